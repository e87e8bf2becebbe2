/* SPDX-License-Identifier: MIT */
// vka-variants: f16 f16_emu
// gemm_coopmat.comp — C = act(alpha·op(A)·op(B) + bias) + residual + beta·C on
// the matrix units (tensor cores) through GL_NV_cooperative_matrix: f16 A and
// B, fp32 accumulation, f16 C, the epilogue of gemm_common.glsl.
//
// Chosen by op_gemm.c only when the device has VK_NV_cooperative_matrix, a
// 32-wide subgroup (required through VK_EXT_subgroup_size_control where the
// device has it) and reports the 16x16x16 fp16·fp16 + fp32 -> fp32 entry of
// vkGetPhysicalDeviceCooperativeMatrixPropertiesNV (coopmat.c).
//
// A workgroup of 4 subgroups computes a 64x64 tile of C, each subgroup 32x32
// as 2x2 16x16 accumulators. Per 16-wide slice of k, the workgroup stages
// A[64][16] and B[16][64] in shared memory (zero past M, N and K, so any size
// and any strides work: the loads follow the operands' element strides), the
// subgroups load their fragments from there and multiply-add. At the end the
// accumulators go through shared memory once more so that the epilogue runs
// per element with bounds checks.
//
// The _emu variant replaces the four cooperative-matrix operations (load,
// multiply-add, store, fill) by shared-memory code with the same operands,
// offsets and strides, lanes and "subgroups" taken from the invocation index:
// it runs on any device (VKATTN_COOPMAT=emulate), so that the staging, the
// fragment offsets and the epilogue are tested where no tensor core is.
#version 450
#extension GL_GOOGLE_include_directive : require
#if !VKA_COOPMAT_EMU
#extension GL_NV_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#endif
#include "gemm_common.glsl"

#define SG 32u      // subgroup size the NV cooperative-matrix ops are written for
#define NSG 4u      // subgroups per workgroup
#define BM 64u
#define BN 64u
#define BK 16u
#define MM 16       // the cooperative-matrix shape: M x N x K
#define MN 16
#define MK 16

layout(local_size_x = 128) in; // SG * NSG

shared float16_t sa[BM * BK]; // [row][k]
shared float16_t sb[BK * BN]; // [k][col]
shared float sc[BM * BN];     // [row][col], for the epilogue

#if VKA_COOPMAT_EMU
// A 16x16 fragment is 256 elements, 8 per lane of a 32-wide subgroup: lane l
// holds elements 8l .. 8l+7 (row e / 16, column e % 16) of its accumulators.
shared float16_t emu_f[2][NSG][2][256]; // [A or B][subgroup][i or j][element]
#define ACC float[8]
#define ACC_ZERO float[8](0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
#endif

void main()
{
    uint z = gl_WorkGroupID.z + pc.z0;
    uint row0 = gl_WorkGroupID.y * BM, col0 = gl_WorkGroupID.x * BN;
    uint lid = gl_LocalInvocationID.x;
#if VKA_COOPMAT_EMU
    uint sg = lid / SG, lane = lid % SG;
    ACC acc[2][2];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            acc[i][j] = ACC_ZERO;
#else
    uint sg = gl_SubgroupID;
    fcoopmatNV<32, gl_ScopeSubgroup, MM, MN> acc[2][2];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            acc[i][j] = fcoopmatNV<32, gl_ScopeSubgroup, MM, MN>(0.0);
#endif
    uint wr = (sg / 2u) * 32u, wc = (sg % 2u) * 32u;

    for (uint k0 = 0u; k0 < pc.k; k0 += BK) {
        for (uint t = lid; t < BM * BK; t += SG * NSG) {
            uint r = t / BK, kk = t % BK, gi = row0 + r, gk = k0 + kk;
            sa[t] = gi < pc.m && gk < pc.k ? float16_t(a_buf[pc.off_a + z * pc.a_bs + gi * pc.a_rs + gk * pc.a_ks])
                                           : float16_t(0.0);
        }
        for (uint t = lid; t < BK * BN; t += SG * NSG) {
            uint kk = t / BN, c = t % BN, gk = k0 + kk, gj = col0 + c;
            sb[t] = gk < pc.k && gj < pc.n ? float16_t(b_buf[pc.off_b + z * pc.b_bs + gk * pc.b_ks + gj * pc.b_ns])
                                           : float16_t(0.0);
        }
        barrier();
#if VKA_COOPMAT_EMU
        for (uint i = 0u; i < 2u; i++) // coopMatLoadNV(fa[i], sa, (wr + 16i) * BK, BK, false)
            for (uint t = 0u; t < 8u; t++) {
                uint e = lane * 8u + t;
                emu_f[0][sg][i][e] = sa[(wr + i * 16u) * BK + (e / 16u) * BK + e % 16u];
            }
        for (uint j = 0u; j < 2u; j++) // coopMatLoadNV(fb[j], sb, wc + 16j, BN, false)
            for (uint t = 0u; t < 8u; t++) {
                uint e = lane * 8u + t;
                emu_f[1][sg][j][e] = sb[wc + j * 16u + (e / 16u) * BN + e % 16u];
            }
        barrier();
        for (uint i = 0u; i < 2u; i++) // acc[i][j] = coopMatMulAddNV(fa[i], fb[j], acc[i][j])
            for (uint j = 0u; j < 2u; j++)
                for (uint t = 0u; t < 8u; t++) {
                    uint e = lane * 8u + t, r = e / 16u, c = e % 16u;
                    float s = acc[i][j][t];
                    for (uint kk = 0u; kk < 16u; kk++)
                        s += float(emu_f[0][sg][i][r * 16u + kk]) * float(emu_f[1][sg][j][kk * 16u + c]);
                    acc[i][j][t] = s;
                }
#else
        fcoopmatNV<16, gl_ScopeSubgroup, MM, MK> fa[2];
        fcoopmatNV<16, gl_ScopeSubgroup, MK, MN> fb[2];
        for (int i = 0; i < 2; i++)
            coopMatLoadNV(fa[i], sa, (wr + uint(i) * 16u) * BK, BK, false);
        for (int j = 0; j < 2; j++)
            coopMatLoadNV(fb[j], sb, wc + uint(j) * 16u, BN, false);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                acc[i][j] = coopMatMulAddNV(fa[i], fb[j], acc[i][j]);
#endif
        barrier();
    }
#if VKA_COOPMAT_EMU
    for (uint i = 0u; i < 2u; i++) // coopMatStoreNV(acc[i][j], sc, (wr + 16i) * BN + wc + 16j, BN, false)
        for (uint j = 0u; j < 2u; j++)
            for (uint t = 0u; t < 8u; t++) {
                uint e = lane * 8u + t;
                sc[(wr + i * 16u) * BN + wc + j * 16u + (e / 16u) * BN + e % 16u] = acc[i][j][t];
            }
#else
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            coopMatStoreNV(acc[i][j], sc, (wr + uint(i) * 16u) * BN + wc + uint(j) * 16u, BN, false);
#endif
    barrier();
    for (uint t = lid; t < BM * BN; t += SG * NSG) {
        uint gi = row0 + t / BN, gj = col0 + t % BN;
        if (gi < pc.m && gj < pc.n)
            gemm_store(z, gi, gj, sc[t]);
    }
}
