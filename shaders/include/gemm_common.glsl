/* SPDX-License-Identifier: MIT */
// gemm_common.glsl — bindings, push constants and the epilogue shared by the
// GEMM variants (gemm_regtile.comp, gemm_shared.comp).
#ifndef VKA_GEMM_COMMON_GLSL
#define VKA_GEMM_COMMON_GLSL

#include "common.glsl"
#include "act.glsl"

// (the gemm_regtile_tex* variants bind A and B as texel buffers instead)
#if !defined(VKA_GEMM_TEXEL) || !VKA_GEMM_TEXEL
layout(std430, binding = 0) readonly buffer A { T a_buf[]; };
layout(std430, binding = 1) readonly buffer B { T b_buf[]; };
#define b_scalar(i) float(b_buf[i])
#else
#define b_scalar(i) 0.0 // unused: the texel variant always reads B as vectors
#endif
layout(std430, binding = 2) buffer C { T c_buf[]; };
layout(std430, binding = 3) readonly buffer Bias { T bias_buf[]; };
layout(std430, binding = 4) readonly buffer Res { T res_buf[]; };

// keep in sync with vka__gemm_push in runtime/src/op_gemm.c
// Operands are addressed by element strides so that transposes and strided
// views need no shader variant: op(A)[i][k] = a_buf[off_a + z*a_bs + i*a_rs + k*a_ks].
layout(push_constant) uniform Push {
    uint m, n, k;
    uint z0;            // first batch of this dispatch (batches over maxComputeWorkGroupCount[2])
    uint a_rs, a_ks, a_bs;
    uint b_ks, b_ns, b_bs;
    uint c_rs, c_bs;    // residual shares c's layout
    uint c_cs;          // column stride of c: 1, or c's row stride when the kernel computes Cᵀ
    uint off_a, off_b, off_c, off_bias, off_res;
    float alpha, beta;
    uint act;
    uint flags;         // VKA_GEMM_BIAS | VKA_GEMM_RES | VKA_GEMM_BETA | VKA_GEMM_BIAS_ROW
} pc;

#include "epi_spec.glsl"

#define VKA_GEMM_BIAS 1u
#define VKA_GEMM_RES 2u
#define VKA_GEMM_BETA 4u
#define VKA_GEMM_BIAS_ROW 8u // the kernel computes Cᵀ: the bias follows its rows

// C[z][i][j] = act(alpha*acc + bias[j]) + residual + beta*C. C is read only
// when beta != 0: an uninitialised output may hold NaN, and 0*NaN is NaN.
void gemm_store(uint z, uint i, uint j, float acc)
{
    float v = pc.alpha * acc;
    if ((VKA_EPI_FLAGS & VKA_GEMM_BIAS) != 0u)
        v += float(bias_buf[pc.off_bias + ((VKA_EPI_FLAGS & VKA_GEMM_BIAS_ROW) != 0u ? i : j)]);
    v = vka_act(v, VKA_EPI_ACT);
    uint ci = z * pc.c_bs + i * pc.c_rs + j * pc.c_cs;
    if ((VKA_EPI_FLAGS & VKA_GEMM_RES) != 0u)
        v += float(res_buf[pc.off_res + ci]);
    if ((VKA_EPI_FLAGS & VKA_GEMM_BETA) != 0u)
        v += pc.beta * float(c_buf[pc.off_c + ci]);
    c_buf[pc.off_c + ci] = T(v);
}

#endif
