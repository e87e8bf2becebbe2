/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// gemm_shared.comp — C = act(alpha·op(A)·op(B) + bias) + residual + beta·C with
// shared-memory tiles, for GPUs.
//
// A WGX×WGY workgroup computes a BM×BN tile of C (BM = WGY·TM, BN = WGX·TN).
// Per BK slice of k, the workgroup loads A[BM][BK] and B[BK][BN] into shared
// memory cooperatively (consecutive invocations read consecutive elements of
// the dense axis) and each invocation accumulates TM×TN results in registers.
// Rows and columns of an invocation are strided by WGY and WGX so that the
// shared-memory reads of neighbouring invocations hit different banks.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "gemm_common.glsl"

layout(local_size_x_id = 0, local_size_y_id = 1) in;
layout(constant_id = 0) const uint WGX = 16;
layout(constant_id = 1) const uint WGY = 16;
layout(constant_id = 2) const uint TM = 4;
layout(constant_id = 3) const uint TN = 4;
layout(constant_id = 4) const uint BK = 16;

const uint BM = WGY * TM;
const uint BN = WGX * TN;
const uint NT = WGX * WGY;

shared float as[BK * BM]; // [k][row]
shared float bs[BK * BN]; // [k][col]

void main()
{
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y;
    uint tid = ty * WGX + tx;
    uint z = pc.z0 + gl_WorkGroupID.z;
    uint m0 = gl_WorkGroupID.y * BM;
    uint n0 = gl_WorkGroupID.x * BN;
    uint abase = pc.off_a + z * pc.a_bs;
    uint bbase = pc.off_b + z * pc.b_bs;
    // A is read along k when it is not transposed (a_ks == 1), along rows otherwise
    bool a_kfast = pc.a_ks == 1u;

    float acc[TM][TN];
    for (uint i = 0; i < TM; i++)
        for (uint t = 0; t < TN; t++)
            acc[i][t] = 0.0;

    for (uint k0 = 0; k0 < pc.k; k0 += BK) {
        for (uint e = tid; e < BK * BM; e += NT) {
            uint kk = a_kfast ? e % BK : e / BM;
            uint r = a_kfast ? e / BK : e % BM;
            uint gr = m0 + r, gk = k0 + kk;
            as[kk * BM + r] = gr < pc.m && gk < pc.k ? float(a_buf[abase + gr * pc.a_rs + gk * pc.a_ks]) : 0.0;
        }
        for (uint e = tid; e < BK * BN; e += NT) {
            uint kk = e / BN, c = e % BN;
            uint gc = n0 + c, gk = k0 + kk;
            bs[kk * BN + c] = gc < pc.n && gk < pc.k ? float(b_buf[bbase + gk * pc.b_ks + gc * pc.b_ns]) : 0.0;
        }
        barrier();
        for (uint kk = 0; kk < BK; kk++) {
            float av[TM], bv[TN];
            for (uint i = 0; i < TM; i++)
                av[i] = as[kk * BM + ty + WGY * i];
            for (uint t = 0; t < TN; t++)
                bv[t] = bs[kk * BN + tx + WGX * t];
            for (uint i = 0; i < TM; i++)
                for (uint t = 0; t < TN; t++)
                    acc[i][t] = fma(av[i], bv[t], acc[i][t]);
        }
        barrier();
    }

    for (uint i = 0; i < TM; i++)
        for (uint t = 0; t < TN; t++) {
            uint r = m0 + ty + WGY * i, c = n0 + tx + WGX * t;
            if (r < pc.m && c < pc.n)
                gemm_store(z, r, c, acc[i][t]);
        }
}
