/* SPDX-License-Identifier: MIT */
// vka-variants: f16 f16_emu
// flash_attn_coopmat.comp — fused attention with both products on the matrix
// units (GL_NV_cooperative_matrix): S = Q·Kᵀ and O += P·V with f16 operands
// and fp32 accumulators; the online softmax in fp32. Chosen by op_attention.c
// on the devices where coopmat.c enabled the NV GEMM (the same 16x16x16
// f16·f16+f32 entry, 32-wide subgroups), for f16 tensors, D a multiple of 16
// up to 128, when its shared memory fits.
//
// A workgroup of 4 subgroups owns 64 query rows (16 per subgroup) of one
// (batch, head). Q's rows are staged once in shared memory and loaded as D/16
// fragments. Per tile of BC = 16 keys: the K and V rows are staged (zero past
// nk), each subgroup computes its 16x16 block of scores (D/16 multiply-adds
// against Kᵀ, loaded column-major from the K rows) and stores it; the even
// lane of each pair owns one row and runs the online softmax there (scale,
// mask, causal limit; P rounded to f16 once, the sum l over the rounded
// values), then for each 16-column slice of D the subgroup multiplies P by
// V's slice and every lane folds its 8 values into its row's fp32 output
// registers (o = o·alpha + P·V). Lane l owns row l/2, columns (l%2)·8..+7 of
// every slice. Scores are Σ q·k in fp32 times the scale (the other variants
// scale q first: the same up to rounding).
//
// The _emu variant does the four cooperative-matrix operations in plain code
// (a fragment is read where it was loaded from, at the same offset and stride,
// when it is used: the sources do not change in between), so that it runs on
// any device with fp16 (VKATTN_COOPMAT=emulate) and the tiling, offsets and
// softmax are tested where no tensor core is.
#version 450
#extension GL_GOOGLE_include_directive : require
#if !VKA_COOPMAT_EMU
#extension GL_NV_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#endif
#include "common.glsl"
#include "attn.glsl"

layout(constant_id = 0) const uint D = 64; // head dim, a multiple of 16 up to 128
#define SG 32u
#define NSG 4u
#define BQ 64u   // query rows per workgroup
#define BC 16u   // keys per tile
#define DF (D / 16u)

layout(local_size_x = 128) in; // SG * NSG

layout(std430, binding = 0) readonly buffer Qb { T q[]; };
layout(std430, binding = 1) readonly buffer Kb { T k[]; };
layout(std430, binding = 2) readonly buffer Vb { T v[]; };
layout(std430, binding = 3) writeonly buffer Ob { T o[]; };
layout(std430, binding = 4) readonly buffer Mb { T mask[]; };
layout(std430, binding = 5) writeonly buffer Lb { float lse[]; };

shared float16_t sq[BQ * D];        // [row][d]
shared float16_t sk[BC * D];        // [key][d]
shared float16_t sv[BC * D];        // [key][d]
shared float16_t sp[BQ * BC];       // [row][key]: P, f16
shared float sacc[NSG * 256u];      // a subgroup's 16x16 fp32 result (S, then P·V slices)
shared float s_alpha[BQ];           // per row: the rescale of this tile

// Row log-sum-exp; -inf for a row that sees no key (as flash_core.glsl's)
float attn_lse(float m, float l)
{
    return l > 0.0 ? m + log(l) : uintBitsToFloat(0xff800000u);
}

#if VKA_COOPMAT_EMU
// A fragment: where it was loaded from. arr 0 sq, 1 sk, 2 sv, 3 sp.
struct frag {
    uint arr, off, stride;
    bool col;
};
float emu_src(uint arr, uint i)
{
    return arr == 0u ? float(sq[i]) : arr == 1u ? float(sk[i]) : arr == 2u ? float(sv[i]) : float(sp[i]);
}
float emu_at(frag f, uint r, uint c)
{
    return emu_src(f.arr, f.col ? f.off + c * f.stride + r : f.off + r * f.stride + c);
}
#define ACC float[8]
#define ACC_ZERO float[8](0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
#define FRAG frag
#define LOAD(f, arr, id, off, stride, col) f = frag(id, off, stride, col)
// lane l holds elements 8l .. 8l+7 of a 16x16 accumulator (row e / 16, column e % 16)
#define MULADD(acc, a, b)                                                                   \
    for (uint t_ = 0u; t_ < 8u; t_++) {                                                     \
        uint e_ = lane * 8u + t_, r_ = e_ / 16u, c_ = e_ % 16u;                             \
        float s_ = acc[t_];                                                                 \
        for (uint k_ = 0u; k_ < 16u; k_++)                                                  \
            s_ += emu_at(a, r_, k_) * emu_at(b, k_, c_);                                    \
        acc[t_] = s_;                                                                       \
    }
#define STORE(acc, off)                                                                     \
    for (uint t_ = 0u; t_ < 8u; t_++) {                                                     \
        uint e_ = lane * 8u + t_;                                                           \
        sacc[(off) + (e_ / 16u) * 16u + e_ % 16u] = acc[t_];                                \
    }
#else
#define ACC fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>
#define ACC_ZERO fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>(0.0)
#define FRAG fcoopmatNV<16, gl_ScopeSubgroup, 16, 16>
#define LOAD(f, arr, id, off, stride, col) coopMatLoadNV(f, arr, off, stride, col)
#define MULADD(acc, a, b) acc = coopMatMulAddNV(a, b, acc)
#define STORE(acc, off) coopMatStoreNV(acc, sacc, off, 16u, false)
#endif

void main()
{
    uint b = gl_WorkGroupID.z, h = gl_WorkGroupID.y, row0 = gl_WorkGroupID.x * BQ;
    uint lid = gl_LocalInvocationID.x;
#if VKA_COOPMAT_EMU
    uint sg = lid / SG, lane = lid % SG;
#else
    uint sg = gl_SubgroupID, lane = gl_SubgroupInvocationID;
#endif
    uint qbase = pc.q_off + b * pc.q_sb + h * pc.q_sh;
    uint kbase = pc.k_off + b * pc.k_sb + h * pc.k_sh;
    uint vbase = pc.v_off + b * pc.v_sb + h * pc.v_sh;
    for (uint t = lid; t < BQ * D; t += SG * NSG) {
        uint r = t / D, d = t % D;
        sq[t] = row0 + r < pc.nq ? float16_t(q[qbase + (row0 + r) * pc.q_sr + d]) : float16_t(0.0);
    }
    // the row this lane owns (the even lane of a pair runs its softmax), and its state
    uint rl = lane / 2u, row = row0 + sg * 16u + rl, half_ = (lane % 2u) * 8u;
    bool live = row < pc.nq;
    uint lim = live ? vka_attn_kend(row) : 0u;
    uint kend = vka_attn_kend(min(pc.nq, row0 + BQ) - 1u);
    float m_run = VKA_NEG_BIG, l_run = 0.0;
    float oreg[DF * 8u];
    for (uint i = 0u; i < DF * 8u; i++)
        oreg[i] = 0.0;
    barrier();
    FRAG fq[DF];
    for (uint f = 0u; f < DF; f++)
        LOAD(fq[f], sq, 0u, sg * 16u * D + f * 16u, D, false);

    for (uint t0 = 0u; t0 < kend; t0 += BC) {
        barrier(); // the previous tile has been used by every subgroup
        for (uint t = lid; t < BC * D; t += SG * NSG) {
            uint jj = t / D, d = t % D;
            bool in_ = t0 + jj < pc.nk;
            sk[t] = in_ ? float16_t(k[kbase + (t0 + jj) * pc.k_sr + d]) : float16_t(0.0);
            sv[t] = in_ ? float16_t(v[vbase + (t0 + jj) * pc.v_sr + d]) : float16_t(0.0);
        }
        barrier();
        // S = Q·Kᵀ for this subgroup's 16 rows and the tile's 16 keys
        ACC s = ACC_ZERO;
        for (uint f = 0u; f < DF; f++) {
            FRAG fk;
            LOAD(fk, sk, 1u, f * 16u, D, true); // Kᵀ[d][key] = sk[key * D + d]
            MULADD(s, fq[f], fk);
        }
        STORE(s, sg * 256u);
        barrier();
        if (lane % 2u == 0u) { // the online softmax of this lane's row
            float sc[BC];
            float mb = VKA_NEG_BIG;
            for (uint j = 0u; j < BC; j++) {
                uint kj = t0 + j;
                float x = sacc[sg * 256u + rl * 16u + j] * pc.scale;
                if ((pc.flags & VKA_ATTN_MASK) != 0u && live && kj < pc.nk)
                    x += float(mask[pc.mask_off + row * pc.nk + kj]);
                sc[j] = kj < lim ? x : uintBitsToFloat(0xff800000u); // -inf: contributes exactly 0
                mb = max(mb, sc[j]);
            }
            float mn = max(m_run, mb), alpha = exp(m_run - mn), l = 0.0;
            for (uint j = 0u; j < BC; j++) {
                float16_t p = float16_t(exp(sc[j] - mn));
                sp[(sg * 16u + rl) * BC + j] = p;
                l += float(p);
            }
            l_run = l_run * alpha + l;
            m_run = mn;
            s_alpha[sg * 16u + rl] = alpha;
        }
        barrier();
        float alpha = s_alpha[sg * 16u + rl];
        FRAG fp;
        LOAD(fp, sp, 3u, sg * 16u * BC, BC, false);
        for (uint f = 0u; f < DF; f++) { // O[:, 16f .. 16f+15] = O·alpha + P·V[:, 16f ..]
            ACC pv = ACC_ZERO;
            FRAG fv;
            LOAD(fv, sv, 2u, f * 16u, D, false);
            MULADD(pv, fp, fv);
            barrier(); // every lane has read sacc's previous contents
            STORE(pv, sg * 256u);
            barrier();
            for (uint t = 0u; t < 8u; t++)
                oreg[f * 8u + t] = oreg[f * 8u + t] * alpha + sacc[sg * 256u + rl * 16u + half_ + t];
        }
    }
    // the pair's even lane has l_run and m_run: share them through s_alpha (the last use is past)
    barrier();
    if (lane % 2u == 0u)
        s_alpha[sg * 16u + rl] = l_run;
    barrier();
    float l_row = s_alpha[sg * 16u + rl];
    if (live) {
        float inv = l_row > 0.0 ? 1.0 / l_row : 0.0;
        uint ob = pc.o_off + b * pc.o_sb + h * pc.o_sh + row * pc.o_sr;
        for (uint f = 0u; f < DF; f++)
            for (uint t = 0u; t < 8u; t++)
                o[ob + f * 16u + half_ + t] = T(oreg[f * 8u + t] * inv);
        if ((pc.flags & VKA_ATTN_LSE) != 0u && lane % 2u == 0u)
            lse[pc.lse_off + (b * pc.H + h) * pc.nq + row] = attn_lse(m_run, l_run);
    }
}
