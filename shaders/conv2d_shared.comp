/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// conv2d_shared.comp — convolution as an implicit GEMM with shared-memory
// tiles, for GPUs (M = output channels of a group, N = output pixels, K =
// C/groups·KH·KW), with the fused epilogue of conv_common.glsl.
// A WGX×WGY workgroup computes BM×BN outputs (BM = WGY·TM channels, BN = WGX·TN
// pixels). Per BK slice of k it stages the weights [BK][BM] and the im2col
// columns of x [BK][BN] (gathered on the fly, padding as 0) in shared memory,
// then every invocation accumulates TM×TN outputs in registers. Loops stay
// rolled: fully unrolled loops with barriers take minutes to compile on
// lavapipe. The workgroup size comes from the device's limits (op_conv2d.c).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "conv_common.glsl"

layout(local_size_x_id = 0, local_size_y_id = 1) in;
layout(constant_id = 0) const uint WGX = 16;
layout(constant_id = 1) const uint WGY = 16;
layout(constant_id = 2) const uint TM = 4;
layout(constant_id = 3) const uint TN = 4;
layout(constant_id = 4) const uint BK = 16;
const uint BM = WGY * TM;
const uint BN = WGX * TN;
const uint NT = WGX * WGY;

layout(std430, binding = 0) readonly buffer X { T x_buf[]; };
layout(std430, binding = 1) readonly buffer W { T w_buf[]; };

shared float ws[BK * BM]; // [k][channel]
shared float xs[BK * BN]; // [k][pixel]

void main()
{
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
    uint tid = ty * WGX + tx;
    uint groups = pc.c / pc.cg;
    uint nb = gl_WorkGroupID.z / groups, g = gl_WorkGroupID.z % groups;
    uint m0 = gl_WorkGroupID.y * BM, n0 = gl_WorkGroupID.x * BN;
    uint kk2 = pc.kh * pc.kw, K = pc.cg * kk2, npix = pc.oh * pc.ow;
    uint wg0 = pc.off_w + g * pc.w_gs;
    uint xplane = pc.off_x + (nb * pc.c + g * pc.cg) * pc.h * pc.w;

    float acc[TM][TN];
    for (uint i = 0; i < TM; i++)
        for (uint t = 0; t < TN; t++)
            acc[i][t] = 0.0;

    for (uint k0 = 0; k0 < K; k0 += BK) {
        for (uint e = tid; e < BK * BM; e += NT) {
            uint kk = e % BK, r = e / BK;
            uint gr = m0 + r, gk = k0 + kk;
            float v = 0.0;
            if (gr < pc.og && gk < K)
                v = float(w_buf[wg0 + gr * pc.w_os + (gk / kk2) * pc.w_cs + (gk % kk2) * pc.w_ks]);
            ws[kk * BM + r] = v;
        }
        for (uint e = tid; e < BK * BN; e += NT) {
            uint kk = e / BN, col = e % BN;
            uint p = n0 + col, gk = k0 + kk;
            float v = 0.0;
            if (p < npix && gk < K) {
                uint ci = gk / kk2, tap = gk % kk2;
                int iy = int((p / pc.ow) * pc.sh) - pc.pt + int((tap / pc.kw) * pc.dh);
                int ix = int((p % pc.ow) * pc.sw) - pc.pl + int((tap % pc.kw) * pc.dw);
                if (iy >= 0 && iy < int(pc.h) && ix >= 0 && ix < int(pc.w))
                    v = float(x_buf[xplane + (ci * pc.h + uint(iy)) * pc.w + uint(ix)]);
            }
            xs[kk * BN + col] = v;
        }
        barrier();
        for (uint kk = 0; kk < BK; kk++) {
            float av[TM], bv[TN];
            for (uint i = 0; i < TM; i++)
                av[i] = ws[kk * BM + ty + WGY * i];
            for (uint t = 0; t < TN; t++)
                bv[t] = xs[kk * BN + tx + WGX * t];
            for (uint i = 0; i < TM; i++)
                for (uint t = 0; t < TN; t++)
                    acc[i][t] = fma(av[i], bv[t], acc[i][t]);
        }
        barrier();
    }

    for (uint i = 0; i < TM; i++)
        for (uint t = 0; t < TN; t++) {
            uint r = m0 + ty + WGY * i, p = n0 + tx + WGX * t;
            if (r < pc.og && p < npix)
                conv_store(g * pc.og + r, (nb * pc.o + g * pc.og + r) * npix + p, acc[i][t]);
        }
}
