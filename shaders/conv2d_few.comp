/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f32_w64
// conv2d_few.comp — convolution with a short reduction (a 3-channel stem:
// C·KH·KW = 27) for CPU drivers (lavapipe), groups 1, with the fused epilogue
// of conv_common.glsl, the weights compiled in.
//
// What it avoids: llvmpipe loads a texel per lane (a gather) even where the
// address is the same in every lane, and bounds-checks and branches around
// every uniform-buffer load, so kernels that load their weights (conv2d_tex)
// spend most of a stem's time on them: each feeds only 3 input channels'
// multiply-adds. Here the weights are specialization constants 16.. (OIHW,
// from the host's copy, vka_conv_epilogue.w_host) and every loop has a
// constant trip count and is unrolled, so each weight is a literal in the
// code: the stems run at 2-4x the texel kernel's rate.
// A lane computes 4 neighbouring outputs of one row; per kernel row and input
// channel it loads the 3·SW + (KW-1)·DW + 1 inputs its 4 outputs read once (as
// 4-vector texels where rows are whole texels, XV = 1, else element texels)
// and takes every tap's inputs out of them, in passes of TM output channels.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#if defined(VKA_FEW_W64) && VKA_FEW_W64
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#endif

#include "conv_common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
layout(constant_id = 1) const uint C = 3;  // input channels
layout(constant_id = 2) const uint O = 16; // output channels
layout(constant_id = 3) const uint KH = 3;
layout(constant_id = 4) const uint KW = 3;
// 5 and 6: the epilogue (epi_spec.glsl)
layout(constant_id = 7) const uint SW = 1;  // stride along x
layout(constant_id = 8) const uint DW = 1;  // dilation along x
layout(constant_id = 9) const uint XV = 0;  // 1: x's rows as 4-vector texels
layout(constant_id = 10) const uint PH = 0; // XV: the phase of every group's first input, (-pad_left) & 3
layout(constant_id = 11) const uint TM = 8; // output channels per pass (divides O)

layout(binding = 0, r32f) uniform readonly imageBuffer x1_tex;
layout(binding = 1, rgba32f) uniform readonly imageBuffer x4_tex;

// the weights: 1024 specialization constants from id 16, named by their index
// in base 16 with a letter a-p per digit (waaa .. wdpp), and copied into one
// private array at the start, weight (((o·C + c)·KH + ky)·KW + kx) at that
// index (OIHW). The _w64 variant (VKA_FEW_W64; shaderInt64) takes two weights
// per constant, low word first, so one pipeline holds 2048: glslang takes ids
// below 2047, and a conv split over pipelines pays a dispatch per part (a
// 1x1 32->64 in two took 2.7x the time of one of its halves, on 2 threads).
// Keep the counts in sync with VKA__CONV_FEW_WMAX(64) in internal.h. Compile
// time grows with the code: 0.2-0.4 s for up to 1024 weights, 0.9 s for 2048.
#if defined(VKA_FEW_W64) && VKA_FEW_W64
#define VKA_FEW_WMAX 2048
#define VKA_FEW_W(NAME, IDX) layout(constant_id = 16 + (IDX)) const uint64_t w##NAME = 0ul;
#define VKA_FEW_E(W) uintBitsToFloat(unpack32(W))
#else
#define VKA_FEW_WMAX 1024
#define VKA_FEW_W(NAME, IDX) layout(constant_id = 16 + (IDX)) const float w##NAME = 0.0;
#define VKA_FEW_E(W) W
#endif
#define VKA_FEW_W16(PFX, IDX) \
    VKA_FEW_W(PFX##a, (IDX) + 0) VKA_FEW_W(PFX##b, (IDX) + 1) VKA_FEW_W(PFX##c, (IDX) + 2) \
    VKA_FEW_W(PFX##d, (IDX) + 3) VKA_FEW_W(PFX##e, (IDX) + 4) VKA_FEW_W(PFX##f, (IDX) + 5) \
    VKA_FEW_W(PFX##g, (IDX) + 6) VKA_FEW_W(PFX##h, (IDX) + 7) VKA_FEW_W(PFX##i, (IDX) + 8) \
    VKA_FEW_W(PFX##j, (IDX) + 9) VKA_FEW_W(PFX##k, (IDX) + 10) VKA_FEW_W(PFX##l, (IDX) + 11) \
    VKA_FEW_W(PFX##m, (IDX) + 12) VKA_FEW_W(PFX##n, (IDX) + 13) VKA_FEW_W(PFX##o, (IDX) + 14) \
    VKA_FEW_W(PFX##p, (IDX) + 15)
#define VKA_FEW_W256(PFX, IDX) \
    VKA_FEW_W16(PFX##a, (IDX) + 0) VKA_FEW_W16(PFX##b, (IDX) + 16) VKA_FEW_W16(PFX##c, (IDX) + 32) \
    VKA_FEW_W16(PFX##d, (IDX) + 48) VKA_FEW_W16(PFX##e, (IDX) + 64) VKA_FEW_W16(PFX##f, (IDX) + 80) \
    VKA_FEW_W16(PFX##g, (IDX) + 96) VKA_FEW_W16(PFX##h, (IDX) + 112) VKA_FEW_W16(PFX##i, (IDX) + 128) \
    VKA_FEW_W16(PFX##j, (IDX) + 144) VKA_FEW_W16(PFX##k, (IDX) + 160) VKA_FEW_W16(PFX##l, (IDX) + 176) \
    VKA_FEW_W16(PFX##m, (IDX) + 192) VKA_FEW_W16(PFX##n, (IDX) + 208) VKA_FEW_W16(PFX##o, (IDX) + 224) \
    VKA_FEW_W16(PFX##p, (IDX) + 240)
VKA_FEW_W256(a, 0) VKA_FEW_W256(b, 256) VKA_FEW_W256(c, 512) VKA_FEW_W256(d, 768)
#define VKA_FEW_L16(PFX) \
    VKA_FEW_E(w##PFX##a), VKA_FEW_E(w##PFX##b), VKA_FEW_E(w##PFX##c), VKA_FEW_E(w##PFX##d), \
    VKA_FEW_E(w##PFX##e), VKA_FEW_E(w##PFX##f), VKA_FEW_E(w##PFX##g), VKA_FEW_E(w##PFX##h), \
    VKA_FEW_E(w##PFX##i), VKA_FEW_E(w##PFX##j), VKA_FEW_E(w##PFX##k), VKA_FEW_E(w##PFX##l), \
    VKA_FEW_E(w##PFX##m), VKA_FEW_E(w##PFX##n), VKA_FEW_E(w##PFX##o), VKA_FEW_E(w##PFX##p)
#define VKA_FEW_L256(PFX) \
    VKA_FEW_L16(PFX##a), VKA_FEW_L16(PFX##b), VKA_FEW_L16(PFX##c), VKA_FEW_L16(PFX##d), VKA_FEW_L16(PFX##e), \
    VKA_FEW_L16(PFX##f), VKA_FEW_L16(PFX##g), VKA_FEW_L16(PFX##h), VKA_FEW_L16(PFX##i), VKA_FEW_L16(PFX##j), \
    VKA_FEW_L16(PFX##k), VKA_FEW_L16(PFX##l), VKA_FEW_L16(PFX##m), VKA_FEW_L16(PFX##n), VKA_FEW_L16(PFX##o), \
    VKA_FEW_L16(PFX##p)
#if defined(VKA_FEW_W64) && VKA_FEW_W64
// pairs: one unpack per constant (two per constant into a float array took
// 0.6 s more to compile)
#define VKA_FEW_WTS vec2[1024](VKA_FEW_L256(a), VKA_FEW_L256(b), VKA_FEW_L256(c), VKA_FEW_L256(d))
vec2 WTS[1024];
#define VKA_FEW_WAT(I) WTS[(I) >> 1][(I) & 1u]
#else
#define VKA_FEW_WTS float[VKA_FEW_WMAX](VKA_FEW_L256(a), VKA_FEW_L256(b), VKA_FEW_L256(c), VKA_FEW_L256(d))
float WTS[VKA_FEW_WMAX];
#define VKA_FEW_WAT(I) WTS[I]
#endif

// the most inputs one row of a group reads (L below), and their texels
#define VKA_FEW_LMAX 40
#define VKA_FEW_TMAX 11

const uint L = 3u * SW + (KW - 1u) * DW + 1u;
const uint NT = (PH + L + 3u) / 4u;

// The lane's group: 4 outputs of row oy from column ox0 of batch nb, its
// inputs from row iy0 and column ix0; past the last group (live false) the
// last again, not stored.
struct Group {
    uint nb, oy, ox0;
    int iy0, ix0;
    bool live;
};

// Output channels m0 .. m0+TM-1 of the lane's group. m0 must reach here as a
// constant (the caller's passes are written out, not a loop): llvmpipe leaves
// a loop this long rolled, and a weight offset that depends on its counter is
// then a load per lane, 3x slower in all.
void few_pass(const uint m0, Group gr)
{
    uint hw = pc.h * pc.w, xb = pc.off_x + gr.nb * C * hw;
    int xend = int(pc.off_x + gl_NumWorkGroups.y * C * hw); // one past x's last element
    vec4 acc[TM];
    [[unroll]] for (uint i = 0; i < TM; i++)
        acc[i] = vec4(0.0);
    [[unroll]] for (uint ky = 0; ky < KH; ky++) {
        int iy = gr.iy0 + int(ky * pc.dh);
        bool rok = iy >= 0 && iy < int(pc.h);
        int e = int(xb) + clamp(iy, 0, int(pc.h) - 1) * int(pc.w) + gr.ix0; // the row's first input
        [[unroll]] for (uint ci = 0; ci < C; ci++) {
            int ec = e + int(ci * hw);
            float seg[VKA_FEW_LMAX];
            if (XV != 0u) { // ec - PH is a multiple of 4: NT whole texels
                vec4 tx[VKA_FEW_TMAX];
                [[unroll]] for (uint t = 0; t < NT; t++)
                    tx[t] = imageLoad(x4_tex, clamp((ec >> 2) + int(t), 0, (xend >> 2) - 1));
                [[unroll]] for (uint u = 0; u < L; u++)
                    seg[u] = tx[(PH + u) >> 2][(PH + u) & 3u];
            } else {
                [[unroll]] for (uint u = 0; u < L; u++)
                    seg[u] = imageLoad(x1_tex, clamp(ec + int(u), 0, xend - 1)).x;
            }
            // outside x: padding (a clamped address was read)
            [[unroll]] for (uint u = 0; u < L; u++)
                seg[u] = rok && uint(gr.ix0 + int(u)) < pc.w ? seg[u] : 0.0;
            [[unroll]] for (uint kx = 0; kx < KW; kx++) {
                vec4 xv = vec4(seg[kx * DW], seg[kx * DW + SW], seg[kx * DW + 2u * SW], seg[kx * DW + 3u * SW]);
                [[unroll]] for (uint i = 0; i < TM; i++) {
                    uint wi = (((m0 + i) * C + ci) * KH + ky) * KW + kx; // a constant
                    acc[i] = fma(vec4(VKA_FEW_WAT(wi)), xv, acc[i]);
                }
            }
        }
    }
    if (gr.live) {
        uint n = min(pc.ow - gr.ox0, 4u);
        [[unroll]] for (uint i = 0; i < TM; i++) {
            uint oc = m0 + i;
            conv_store4c(conv_chan(oc), (gr.nb * pc.o + oc) * pc.oh * pc.ow + gr.oy * pc.ow + gr.ox0, acc[i], n);
        }
    }
}

void main()
{
    WTS = VKA_FEW_WTS;
    uint ngx = (pc.ow + 3u) / 4u, ngrp = pc.oh * ngx;
    uint grp = gl_WorkGroupID.x * WG + gl_LocalInvocationID.x;
    Group gr;
    gr.live = grp < ngrp;
    grp = min(grp, ngrp - 1u);
    gr.nb = gl_WorkGroupID.y;
    gr.oy = grp / ngx, gr.ox0 = (grp % ngx) * 4u;
    gr.ix0 = int(gr.ox0 * SW) - pc.pl, gr.iy0 = int(gr.oy * pc.sh) - pc.pt;
    // the passes, written out: at most 8 of them (op_conv2d.c's FEW_PASSES;
    // constants that fail the test drop out)
#define VKA_FEW_PASS(k)                                                                                             \
    if ((k) * TM < O)                                                                                                \
        few_pass((k) * TM, gr);
    VKA_FEW_PASS(0u)
    VKA_FEW_PASS(1u)
    VKA_FEW_PASS(2u)
    VKA_FEW_PASS(3u)
    VKA_FEW_PASS(4u)
    VKA_FEW_PASS(5u)
    VKA_FEW_PASS(6u)
    VKA_FEW_PASS(7u)
#undef VKA_FEW_PASS
}
