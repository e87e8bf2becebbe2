/* SPDX-License-Identifier: MIT */
// gemm_regtile.glsl — the body of gemm_regtile.comp and the gemm_regtile_tex*
// variants, which differ only in how A and B are bound (VKA_GEMM_TEXEL, and
// for the texel variants VKA_GEMM_A1 / VKA_GEMM_B1: element texels).
//
// C = act(alpha·op(A)·op(B) + bias) + residual + beta·C without
// shared memory or barriers, for CPU drivers (lavapipe) where a workgroup
// barrier is a coroutine switch.
//
// A workgroup of WG invocations computes TM rows × WG·TN·VEC columns of C;
// invocation l holds column groups n0 + (l + WG·t)·VEC (t < TN) in registers,
// so neighbouring SIMD lanes read neighbouring B elements. Every lane needs the
// same A values. The storage-buffer kernel (gemm_regtile.comp): instead of each
// lane loading the same address (llvmpipe turns a non-uniform load into a
// per-lane scalar loop), lane l loads A[i][k0 + l] for 8 consecutive k and the
// values are handed around with subgroupBroadcast; it requires a subgroup size
// of at least 8 and whole subgroups (WG a multiple of it). The texel kernels
// load A at one address in all lanes, which llvmpipe makes a broadcast.
// The C side may hand these kernels Cᵀ = Bᵀ·Aᵀ (pc.c_cs, VKA_GEMM_BIAS_ROW)
// when C is too narrow for WG·TN·VEC columns.
#ifndef VKA_GEMM_REGTILE_GLSL
#define VKA_GEMM_REGTILE_GLSL

#include "gemm_common.glsl"

#ifndef VKA_GEMM_A1
#define VKA_GEMM_A1 0
#endif
#ifndef VKA_GEMM_B1
#define VKA_GEMM_B1 0
#endif

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
layout(constant_id = 1) const uint TM = 8;   // rows per invocation
layout(constant_id = 2) const uint TN = 1;   // column groups per invocation
// 4: each column group is 4 consecutive columns read as one vector (needs
// b_ns == 1 and off_b, b_ks, b_bs, n multiples of 4); 1: single columns.
layout(constant_id = 3) const uint VEC = 1;
// 1: read the B vectors through 64-bit words (needs shaderInt64). llvmpipe
// loads a non-uniform address lane by lane, one scalar load per component, so
// two 64-bit components per vec4 halve the loads of the hot loop.
layout(constant_id = 4) const uint WIDE = 0;

#if VKA_GEMM_TEXEL
// A and B as storage texel buffers. llvmpipe loads a texel for all 8 lanes
// inline with 8 vector loads and a transpose, without the per-lane loop and
// branches of a storage-buffer load (a uniform texel buffer would do the same,
// but its fetch is an out-of-line call that spills every register).
// A is loaded at one address in every lane, which hands each lane the same
// value: a broadcast for free, where subgroupBroadcast costs a loop over the
// lanes on llvmpipe.
// Texels are 4-vectors where an operand's rows are whole texels, else single
// elements (VKA_GEMM_A1 / VKA_GEMM_B1: any shape, offset and stride, at the
// cost of four loads where one would do).
#if defined(VKA_F16) && VKA_F16
#define VKA_TEX4 rgba16f
#define VKA_TEX1 r16f
#else
#define VKA_TEX4 rgba32f
#define VKA_TEX1 r32f
#endif
#if VKA_GEMM_A1
layout(binding = 0, VKA_TEX1) uniform readonly imageBuffer a_tex;
#else
layout(binding = 0, VKA_TEX4) uniform readonly imageBuffer a_tex;
#endif
#if VKA_GEMM_B1
layout(binding = 1, VKA_TEX1) uniform readonly imageBuffer b_tex;
#else
layout(binding = 1, VKA_TEX4) uniform readonly imageBuffer b_tex;
#endif
#define load_b4(i) imageLoad(b_tex, int(i))
#else
// B again, as vectors: a non-uniform load costs a per-lane loop on llvmpipe,
// and a vec4 amortises the loop over four elements.
layout(std430, binding = 1) readonly buffer B4 { T4 b4_buf[]; };
#if defined(VKA_NO_INT64)
// no shaderInt64 on the device: vec4 loads only (the C side sets WIDE = 0)
vec4 load_b4(uint i)
{
    return vec4(b4_buf[i]);
}
#elif defined(VKA_F16) && VKA_F16
layout(std430, binding = 1) readonly buffer B8 { uint64_t b8_buf[]; };
vec4 load_b4(uint i)
{
    if (WIDE == 0u)
        return vec4(b4_buf[i]);
    uvec2 w = unpack32(b8_buf[i]);
    return vec4(unpackHalf2x16(w.x), unpackHalf2x16(w.y));
}
#else
layout(std430, binding = 1) readonly buffer B8 { u64vec2 b8_buf[]; };
vec4 load_b4(uint i)
{
    if (WIDE == 0u)
        return b4_buf[i];
    u64vec2 w = b8_buf[i];
    return uintBitsToFloat(uvec4(unpack32(w.x), unpack32(w.y)));
}
#endif
#endif

#define KB 8u // k values per A load (one per lane of an 8-wide subgroup)

void main()
{
    uint lid = gl_LocalInvocationID.x;
    uint lane = gl_SubgroupInvocationID & (KB - 1u);
    uint z = pc.z0 + gl_WorkGroupID.z;
    // x walks down the rows so that consecutive workgroups (run back to back by
    // llvmpipe's threads) reuse the same panel of B from cache.
    uint m0 = gl_WorkGroupID.x * TM;
    uint n0 = gl_WorkGroupID.y * (WG * TN * VEC);

    // Out-of-range rows and columns are clamped, not skipped: every lane must
    // take part in the broadcasts; their results are simply not stored.
    uint abase[TM];
    for (uint i = 0; i < TM; i++)
        abase[i] = pc.off_a + z * pc.a_bs + min(m0 + i, pc.m - 1u) * pc.a_rs;
    uint bbase[TN];
    for (uint t = 0; t < TN; t++)
        bbase[t] = pc.off_b + z * pc.b_bs + min(n0 + (lid + WG * t) * VEC, pc.n - VEC) * pc.b_ns;

    vec4 acc[TM][TN];
    for (uint i = 0; i < TM; i++)
        for (uint t = 0; t < TN; t++)
            acc[i][t] = vec4(0.0);

#if VKA_GEMM_TEXEL
    // Needs VEC == 4. Each pass: TM loads of A (4 k each), then per k TN loads
    // of B and TM·TN vec4 FMAs.
    // A4 (vectors): k a multiple of 4 and a_ks == 1 with off_a, a_rs, a_bs
    // multiples of 4, so rows of A start on texels and end on them; every load
    // is in bounds (imageLoad out of bounds is undefined). A1: element loads,
    // rows clamped to m, the k % 4 tail in a loop of its own.
    // B4: b_ns == 1 and off_b, b_ks, b_bs, n multiples of 4. B1: each lane
    // loads its 4 columns one by one, clamped to n.
#if VKA_GEMM_B1
    uint bcol[TN][4];
    for (uint t = 0; t < TN; t++)
        for (uint v = 0; v < 4u; v++)
            bcol[t][v] = pc.off_b + z * pc.b_bs + min(n0 + (lid + WG * t) * 4u + v, pc.n - 1u) * pc.b_ns;
#define VKA_LOAD_B(t, k)                                                                                  \
    vec4(imageLoad(b_tex, int(bcol[t][0] + (k) * pc.b_ks)).x, imageLoad(b_tex, int(bcol[t][1] + (k) * pc.b_ks)).x, \
         imageLoad(b_tex, int(bcol[t][2] + (k) * pc.b_ks)).x, imageLoad(b_tex, int(bcol[t][3] + (k) * pc.b_ks)).x)
#else
#define VKA_LOAD_B(t, k) load_b4((bbase[t] + (k) * pc.b_ks) / 4u)
#endif
    uint kmain = pc.k & ~3u; // all of k for A4
    for (uint k0 = 0; k0 < kmain; k0 += 4u) {
        vec4 a4[TM];
        for (uint i = 0; i < TM; i++) {
#if VKA_GEMM_A1
            uint ai = abase[i] + k0 * pc.a_ks;
            a4[i] = vec4(imageLoad(a_tex, int(ai)).x, imageLoad(a_tex, int(ai + pc.a_ks)).x,
                         imageLoad(a_tex, int(ai + 2u * pc.a_ks)).x, imageLoad(a_tex, int(ai + 3u * pc.a_ks)).x);
#else
            a4[i] = imageLoad(a_tex, int((abase[i] + k0) / 4u));
#endif
        }
        for (uint kk = 0; kk < 4u; kk++) {
            vec4 bv[TN];
            for (uint t = 0; t < TN; t++)
                bv[t] = VKA_LOAD_B(t, k0 + kk);
            for (uint i = 0; i < TM; i++)
                for (uint t = 0; t < TN; t++)
                    acc[i][t] = fma(vec4(a4[i][kk]), bv[t], acc[i][t]);
        }
    }
#if VKA_GEMM_A1
    for (uint k = kmain; k < pc.k; k++) {
        vec4 bv[TN];
        for (uint t = 0; t < TN; t++)
            bv[t] = VKA_LOAD_B(t, k);
        for (uint i = 0; i < TM; i++) {
            float a = imageLoad(a_tex, int(abase[i] + k * pc.a_ks)).x;
            for (uint t = 0; t < TN; t++)
                acc[i][t] = fma(vec4(a), bv[t], acc[i][t]);
        }
    }
#endif
#undef VKA_LOAD_B
#else
    // One step of k: TN loads of B, TM broadcasts of A, TM·TN FMAs. KR is the
    // B row offset; a macro because the broadcast lane must be a constant.
#define VKA_STEP(kk, KR)                                                              \
    {                                                                                 \
        uint kr = (KR) * pc.b_ks;                                                     \
        vec4 bv[TN];                                                                  \
        for (uint t = 0; t < TN; t++)                                                 \
            bv[t] = VEC == 4u ? load_b4((bbase[t] + kr) / 4u)                    \
                              : vec4(b_scalar(bbase[t] + kr));                    \
        for (uint i = 0; i < TM; i++) {                                               \
            float a = subgroupBroadcast(av[i], kk);                                   \
            for (uint t = 0; t < TN; t++)                                             \
                acc[i][t] = fma(vec4(a), bv[t], acc[i][t]);                         \
        }                                                                             \
    }
    uint k0 = 0;
    float av[TM];
    for (; k0 + KB <= pc.k; k0 += KB) {
        for (uint i = 0; i < TM; i++)
            av[i] = float(a_buf[abase[i] + (k0 + lane) * pc.a_ks]);
        VKA_STEP(0u, k0) VKA_STEP(1u, k0 + 1u) VKA_STEP(2u, k0 + 2u) VKA_STEP(3u, k0 + 3u)
        VKA_STEP(4u, k0 + 4u) VKA_STEP(5u, k0 + 5u) VKA_STEP(6u, k0 + 6u) VKA_STEP(7u, k0 + 7u)
    }
    if (k0 < pc.k) {
        // the tail: A is zero past k, B rows are clamped to stay in bounds
        uint kl = pc.k - 1u;
        uint ka = k0 + lane;
        for (uint i = 0; i < TM; i++)
            av[i] = ka <= kl ? float(a_buf[abase[i] + min(ka, kl) * pc.a_ks]) : 0.0;
        VKA_STEP(0u, k0) VKA_STEP(1u, min(k0 + 1u, kl)) VKA_STEP(2u, min(k0 + 2u, kl))
        VKA_STEP(3u, min(k0 + 3u, kl)) VKA_STEP(4u, min(k0 + 4u, kl)) VKA_STEP(5u, min(k0 + 5u, kl))
        VKA_STEP(6u, min(k0 + 6u, kl)) VKA_STEP(7u, min(k0 + 7u, kl))
    }
#undef VKA_STEP
#endif

    for (uint i = 0; i < TM; i++)
        for (uint t = 0; t < TN; t++)
            for (uint v = 0; v < VEC; v++) {
                uint r = m0 + i, c = n0 + (lid + WG * t) * VEC + v;
                if (r < pc.m && c < pc.n)
                    gemm_store(z, r, c, acc[i][t][v]);
            }
}

#endif
