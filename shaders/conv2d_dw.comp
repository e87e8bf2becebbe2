/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// conv2d_dw.comp — depthwise convolution (groups == C == O) with the fused
// epilogue of conv_common.glsl.
// An invocation computes PX neighbouring output pixels of one row of one
// channel, and the same pixels of RPW consecutive rows in turn. The channel
// and the rows come from the workgroup id, so the weights, the epilogue's
// per-channel values and the rows' bounds are uniform; x and w are read as
// element texels (llvmpipe: plain loads instead of a per-lane loop), each
// input of a kernel row once into a window that all KW taps of the PX pixels
// reuse. KH, KW and the horizontal stride and dilation are specialization
// constants, so the window and its loops are fixed-size and unroll (a loop
// iteration costs llvmpipe more than a small kernel's work).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "conv_common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 8;
// (1: unused) output pixels per invocation: 4, stored as one vector (conv_store4)
const uint PX = 4u;
layout(constant_id = 2) const uint KWS = 3; // kernel width
layout(constant_id = 3) const uint SWS = 1; // horizontal stride
layout(constant_id = 4) const uint DWS = 1; // horizontal dilation
// (5 and 6: the epilogue, epi_spec.glsl)
layout(constant_id = 7) const uint KHS = 3; // kernel height
const uint L = (PX - 1u) * SWS + (KWS - 1u) * DWS + 1u; // inputs of a kernel row
const uint RPW = 4u; // output rows per workgroup (keep in sync with DW_ROWS in op_conv2d.c)

layout(binding = 0, VKA_CONV_TEX1) uniform readonly imageBuffer x_tex;
layout(binding = 1, VKA_CONV_TEX1) uniform readonly imageBuffer w_tex;

void main()
{
    uint ox0 = (gl_WorkGroupID.x * WG + gl_LocalInvocationID.x) * PX;
    uint ch = gl_WorkGroupID.z % pc.c, nb = gl_WorkGroupID.z / pc.c;
    uint wb = pc.off_w + ch * pc.w_gs;
    uint xplane = pc.off_x + (nb * pc.c + ch) * pc.h * pc.w;
    int ix0 = int(min(ox0, pc.ow - 1u) * SWS) - pc.pl;
    // the weights, once for all rows
    float wv[KHS * KWS];
    for (uint k = 0; k < KHS * KWS; k++)
        wv[k] = imageLoad(w_tex, int(wb + k * pc.w_ks)).x;
    // which window inputs lie inside a row (the same for every row)
    bool colin[L];
    uint xcol[L];
    for (uint e = 0; e < L; e++) {
        int ix = ix0 + int(e);
        colin[e] = ix >= 0 && ix < int(pc.w);
        xcol[e] = uint(clamp(ix, 0, int(pc.w) - 1));
    }
    for (uint r = 0; r < RPW; r++) {
        uint oy = gl_WorkGroupID.y * RPW + r;
        if (oy >= pc.oh)
            break;
        int iy0 = int(oy * pc.sh) - pc.pt;
        float acc[PX];
        for (uint i = 0; i < PX; i++)
            acc[i] = 0.0;
        for (uint ky = 0; ky < KHS; ky++) {
            int iy = iy0 + int(ky * pc.dh);
            bool rowin = iy >= 0 && iy < int(pc.h);
            uint xrow = xplane + uint(clamp(iy, 0, int(pc.h) - 1)) * pc.w;
            float win[L];
            for (uint e = 0; e < L; e++) {
                float v = imageLoad(x_tex, int(xrow + xcol[e])).x;
                win[e] = rowin && colin[e] ? v : 0.0;
            }
            for (uint kx = 0; kx < KWS; kx++)
                for (uint i = 0; i < PX; i++)
                    acc[i] = fma(wv[ky * KWS + kx], win[i * SWS + kx * DWS], acc[i]);
        }
        if (ox0 < pc.ow)
            conv_store4(ch, ((nb * pc.o + ch) * pc.oh + oy) * pc.ow + ox0, vec4(acc[0], acc[1], acc[2], acc[3]),
                        min(pc.ow - ox0, 4u));
    }
}
