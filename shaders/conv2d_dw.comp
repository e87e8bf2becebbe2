/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// conv2d_dw.comp — depthwise convolution (groups == C == O) with the fused
// epilogue of conv_common.glsl.
// An invocation computes PX neighbouring output pixels of one row of one
// channel. The channel comes from the workgroup id, so the weights and the
// epilogue's per-channel values are uniform loads; x is read as element texels
// (llvmpipe: plain loads instead of a per-lane loop), each input of a kernel
// row once into a window that all KW taps of the PX pixels reuse. KW and the
// horizontal stride and dilation are specialization constants, so the window
// and its loops are fixed-size.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "conv_common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
layout(constant_id = 1) const uint PX = 4;  // output pixels per invocation
layout(constant_id = 2) const uint KWS = 3; // kernel width
layout(constant_id = 3) const uint SWS = 1; // horizontal stride
layout(constant_id = 4) const uint DWS = 1; // horizontal dilation
const uint L = (PX - 1u) * SWS + (KWS - 1u) * DWS + 1u; // inputs of a kernel row

layout(binding = 0, VKA_CONV_TEX1) uniform readonly imageBuffer x_tex;
layout(std430, binding = 1) readonly buffer W { T w_buf[]; };

void main()
{
    uint seg = gl_GlobalInvocationID.x;
    if (seg >= pc.oh * pc.tiles)
        return;
    uint oy = seg / pc.tiles, ox0 = (seg % pc.tiles) * PX;
    uint ch = gl_WorkGroupID.y, nb = gl_WorkGroupID.z;
    uint wb = pc.off_w + ch * pc.w_gs;
    uint xplane = pc.off_x + (nb * pc.c + ch) * pc.h * pc.w;
    int iy0 = int(oy * pc.sh) - pc.pt;
    int ix0 = int(ox0 * SWS) - pc.pl;

    float acc[PX];
    for (uint i = 0; i < PX; i++)
        acc[i] = 0.0;
    for (uint ky = 0; ky < pc.kh; ky++) {
        int iy = iy0 + int(ky * pc.dh);
        if (iy < 0 || iy >= int(pc.h))
            continue;
        uint xrow = xplane + uint(iy) * pc.w;
        float win[L];
        for (uint e = 0; e < L; e++) {
            int ix = ix0 + int(e);
            float v = imageLoad(x_tex, int(xrow + uint(clamp(ix, 0, int(pc.w) - 1)))).x;
            win[e] = ix >= 0 && ix < int(pc.w) ? v : 0.0;
        }
        for (uint kx = 0; kx < KWS; kx++) {
            float wv = float(w_buf[wb + (ky * KWS + kx) * pc.w_ks]);
            for (uint i = 0; i < PX; i++)
                acc[i] = fma(wv, win[i * SWS + kx * DWS], acc[i]);
        }
    }
    uint ybase = ((nb * pc.o + ch) * pc.oh + oy) * pc.ow + ox0;
    for (uint i = 0; i < PX; i++)
        if (ox0 + i < pc.ow)
            conv_store(ch, ybase + i, acc[i]);
}
