/* SPDX-License-Identifier: MIT */
// conv2d_tex.glsl — the body of conv2d_tex.comp (packed weights) and
// conv2d_tex_w1.comp (weights in any layout): convolution as an implicit GEMM
// for CPU drivers (lavapipe), with the fused epilogue of conv_common.glsl.
// M = output channels of a group, N = output pixels, K = C/groups·KH·KW; no
// im2col buffer, no shared memory, no barriers.
//
// This is gemm_regtile_tex's scheme (include/gemm_regtile.glsl) with the
// weights as A and x as B: a workgroup of WG lanes computes TM output channels
// (from the workgroup id: weight addresses are uniform, one load serves every
// lane) times WG·TN groups of 4 neighbouring output pixels (lane l holds
// groups l + WG·t as vec4 accumulators). The loops run over the kernel taps,
// then the input channels in steps of 4: TM texel loads of 4 channels' weights
// (packed [O, KH, KW, roundup(C/G, 4)] by vka_conv_pack_weights) and per channel
// TN loads of x, TM·TN vec4 multiply-adds.
// x as 4-vector texels (XV = stride 1 or 2, only on request: measured no
// faster than element loads on lavapipe; W and OW multiples of 4, x's
// offset too): a group's 4 outputs of one row read 4 (stride 1) or 7
// (stride 2) neighbouring inputs, which lie in 2 or 3 texels at a phase
// (ix & 3) that is the same in every lane: selects pick the components
// (one texel where every phase is 0: pointwise without padding, XV = 3).
// Otherwise (XV = 0) element texels, one per output pixel.
// Padding and out-of-range pixels read clamped addresses and are masked to 0.
// Per invocation the loops run KH·KW·(C/G/4 + C/G%4 + 2) + KH times;
// op_conv2d.c keeps that under llvmpipe's 65535.
#ifndef VKA_CONV2D_TEX_GLSL
#define VKA_CONV2D_TEX_GLSL

#include "conv_common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 8;
layout(constant_id = 1) const uint TM = 8;  // output channels per workgroup
layout(constant_id = 2) const uint TN = 2;  // 4-pixel groups per lane
layout(constant_id = 3) const uint XV = 0;  // 1, 2: x as 4-vector texels, stride 1 or 2; 3: stride 1 aligned

layout(binding = 0, VKA_CONV_TEX1) uniform readonly imageBuffer x1_tex;
layout(binding = 1, VKA_CONV_TEX4) uniform readonly imageBuffer x4_tex;
#if VKA_CONV_W1
// any weight layout (OIHW as vka_conv2d takes it): element texels
layout(binding = 2, VKA_CONV_TEX1) uniform readonly imageBuffer w_tex;
#define w_elem(i) imageLoad(w_tex, int(i)).x
#else
// packed weights: 4 input channels of one tap are one texel
layout(binding = 2, VKA_CONV_TEX4) uniform readonly imageBuffer w_tex;
#define w_elem(i) imageLoad(w_tex, int((i) >> 2u))[(i) & 3u]
#endif

// 4 inputs of a stride-1 (S = 1) or stride-2 (S = 2) row group starting at
// element e, phase R = e & 3 (the same in every lane, a constant in each copy
// of the loops), as one vector. e may lie before x (left padding of the first
// row): texels are clamped to x's, which only ever replaces masked elements.
vec4 load_row4(int e, int last, uint R)
{
    // XV is a constant and R reaches here as selects, not branches: llvmpipe
    // runs a load behind any branch under an execution mask, far slower
    int t0 = e >> 2; // arithmetic: floor(e / 4)
    vec4 a = imageLoad(x4_tex, clamp(t0, 0, last));
    if (XV == 3u) // stride 1, every group aligned (pointwise without padding)
        return a;
    vec4 b = imageLoad(x4_tex, clamp(t0 + 1, 0, last));
    if (XV == 1u)
        return mix(mix(vec4(a.yzw, b.x), a, bvec4(R == 0u)), mix(vec4(a.w, b.xyz), vec4(a.zw, b.xy), bvec4(R == 2u)),
                   bvec4(R >= 2u));
    vec4 c = imageLoad(x4_tex, clamp(t0 + 2, 0, last));
    return mix(mix(vec4(a.yw, b.yw), vec4(a.xz, b.xz), bvec4(R == 0u)),
               mix(vec4(a.w, b.yw, c.y), vec4(a.z, b.xz, c.x), bvec4(R == 2u)), bvec4(R >= 2u));
}

void main()
{
    uint lid = gl_LocalInvocationID.x;
    uint groups = pc.c / pc.cg;
    uint nb = gl_WorkGroupID.z / groups, g = gl_WorkGroupID.z % groups;
    uint m0 = gl_WorkGroupID.x * TM; // channels within the group
    uint npix = pc.oh * pc.ow, ngrp = (npix + 3u) / 4u;
    uint hw = pc.h * pc.w;
    uint xplane = pc.off_x + (nb * pc.c + g * pc.cg) * hw;
    // last whole texel of x (XV: every plane is whole texels)
    int xlast = int((pc.off_x + (gl_NumWorkGroups.z / groups) * pc.c * hw) / 4u) - 1;

    uint wrow[TM];
    for (uint i = 0; i < TM; i++)
        wrow[i] = pc.off_w + g * pc.w_gs + min(m0 + i, pc.og - 1u) * pc.w_os;

    // the lane's pixel groups (past the last: the last, not stored)
    int gy[TN], gx[TN][4];
    for (uint t = 0; t < TN; t++) {
        uint grp = min(gl_WorkGroupID.y * (WG * TN) + lid + WG * t, ngrp - 1u);
        for (uint v = 0; v < 4u; v++) {
            uint p = min(grp * 4u + v, npix - 1u);
            gx[t][v] = int((p % pc.ow) * pc.sw) - pc.pl;
            if (v == 0u)
                gy[t] = int((p / pc.ow) * pc.sh) - pc.pt;
        }
    }
    // XV = 0: every pixel its own row
    int py[TN][4];
    for (uint t = 0; t < TN; t++)
        for (uint v = 0; v < 4u; v++) {
            uint grp = min(gl_WorkGroupID.y * (WG * TN) + lid + WG * t, ngrp - 1u);
            uint p = min(grp * 4u + v, npix - 1u);
            py[t][v] = int((p / pc.ow) * pc.sh) - pc.pt;
        }

    vec4 acc[TM][TN];
    for (uint i = 0; i < TM; i++)
        for (uint t = 0; t < TN; t++)
            acc[i][t] = vec4(0.0);

    // packed weights are zero past C/G up to a multiple of 4: all of it in
    // steps of 4 (x's channel clamped and masked); OIHW: a tail loop
#if VKA_CONV_W1
    uint cmain = pc.cg & ~3u;
#else
    uint cmain = (pc.cg + 3u) & ~3u;
#endif
    uint clast = pc.cg - 1u;
    for (uint ky = 0; ky < pc.kh; ky++) {
        for (uint kx = 0; kx < pc.kw; kx++) {
            uint tap = (ky * pc.kw + kx) * pc.w_ks;
            // per group: the element where its inputs start, and which are inside x
            uint xe[TN][4];
            int xs[TN];
            bvec4 ok[TN];
            for (uint t = 0; t < TN; t++)
                for (uint v = 0; v < 4u; v++) {
                    int iy = (XV != 0u ? gy[t] : py[t][v]) + int(ky * pc.dh);
                    int ix = gx[t][v] + int(kx * pc.dw);
                    bool in_ = iy >= 0 && iy < int(pc.h) && ix >= 0 && ix < int(pc.w);
                    ok[t][v] = in_;
                    xe[t][v] = xplane + uint(clamp(iy, 0, int(pc.h) - 1)) * pc.w + uint(clamp(ix, 0, int(pc.w) - 1));
                    if (v == 0u) // XV: the unclamped start (one before the row at its left edge: masked)
                        xs[t] = int(xplane) + clamp(iy, 0, int(pc.h) - 1) * int(pc.w) + ix;
                }
            // XV: the phase of every group's first input, the same in all lanes
            // (W, OW and x's offset multiples of 4)
            uint r = XV != 0u ? uint(int(kx * pc.dw) - pc.pl) & 3u : 0u;
// (selects, not a ?: around the loads: llvmpipe would run them under an
// execution mask, far slower than the unconditional load of a clamped channel)
#define VKA_LOAD_X(t, ci, R) mix(vec4(0.0), VKA_LOAD_XC(t, ci, R), bvec4((ci) <= clast))
#define VKA_LOAD_XC(t, ci, R)                                                                                       \
    mix(vec4(0.0),                                                                                                  \
        XV != 0u ? load_row4(xs[t] + int(min(ci, clast) * hw), xlast, R)                                     \
                 : vec4(imageLoad(x1_tex, int(xe[t][0] + min(ci, clast) * hw)).x,                                   \
                        imageLoad(x1_tex, int(xe[t][1] + min(ci, clast) * hw)).x,                                   \
                        imageLoad(x1_tex, int(xe[t][2] + min(ci, clast) * hw)).x,                                   \
                        imageLoad(x1_tex, int(xe[t][3] + min(ci, clast) * hw)).x),                                  \
        ok[t])
#if VKA_CONV_W1
#define VKA_LOAD_W4(i, c0)                                                                                          \
    vec4(w_elem(wrow[i] + tap + (c0) * pc.w_cs), w_elem(wrow[i] + tap + ((c0) + 1u) * pc.w_cs),                    \
         w_elem(wrow[i] + tap + ((c0) + 2u) * pc.w_cs), w_elem(wrow[i] + tap + ((c0) + 3u) * pc.w_cs))
#else
#define VKA_LOAD_W4(i, c0) imageLoad(w_tex, int((wrow[i] + tap + (c0)) >> 2u))
#endif
#define VKA_TAP_LOOPS(R)                                                                                            \
    {                                                                                                               \
        for (uint c0 = 0; c0 < cmain; c0 += 4u) {                                                                   \
            vec4 wv[TM];                                                                                            \
            for (uint i = 0; i < TM; i++)                                                                           \
                wv[i] = VKA_LOAD_W4(i, c0);                                                                         \
            for (uint cc = 0; cc < 4u; cc++) {                                                                      \
                vec4 xv[TN];                                                                                        \
                for (uint t = 0; t < TN; t++)                                                                       \
                    xv[t] = VKA_LOAD_X(t, c0 + cc, R);                                                              \
                for (uint i = 0; i < TM; i++)                                                                       \
                    for (uint t = 0; t < TN; t++)                                                                   \
                        acc[i][t] = fma(vec4(wv[i][cc]), xv[t], acc[i][t]);                                         \
            }                                                                                                       \
        }                                                                                                           \
        for (uint ci = cmain; ci < pc.cg; ci++) {                                                                   \
            vec4 xv[TN];                                                                                            \
            for (uint t = 0; t < TN; t++)                                                                           \
                xv[t] = VKA_LOAD_X(t, ci, R);                                                                       \
            for (uint i = 0; i < TM; i++) {                                                                         \
                float wv = w_elem(wrow[i] + tap + ci * pc.w_cs);                                                    \
                for (uint t = 0; t < TN; t++)                                                                       \
                    acc[i][t] = fma(vec4(wv), xv[t], acc[i][t]);                                                    \
            }                                                                                                       \
        }                                                                                                           \
    }
            VKA_TAP_LOOPS(r)
#undef VKA_TAP_LOOPS
#undef VKA_LOAD_W4
#undef VKA_LOAD_X
#undef VKA_LOAD_XC
        }
    }

    for (uint i = 0; i < TM; i++) {
        uint oc = m0 + i;
        if (oc >= pc.og)
            break;
        ConvChan cc = conv_chan(g * pc.og + oc); // once for the lane's groups
        uint yb = (nb * pc.o + g * pc.og + oc) * npix;
        for (uint t = 0; t < TN; t++) {
            uint grp = gl_WorkGroupID.y * (WG * TN) + lid + WG * t;
            if (grp * 4u < npix)
                conv_store4c(cc, yb + grp * 4u, acc[i][t], min(npix - grp * 4u, 4u));
        }
    }
}

#endif
