/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// flash_attn_split.comp — split-KV attention for few query rows over many keys
// (decoding, cross-attention of a few queries): one workgroup per query row, its
// WG invocations take every WG-th key each with their own running max, sum and
// output, and a reduce pass through shared memory merges the WG partial
// softmaxes. Keeps every lane busy where one row per invocation would leave a
// workgroup nearly empty. Grid: (nq, H, B). Needs WG >= 16 and D % 4 == 0.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
#include "attn.glsl"

layout(constant_id = 0) const uint D = 64;      // head dim
layout(local_size_x_id = 1) in;                 // WG key streams per row
layout(constant_id = 1) const uint WGC = 64;    // the same WG, to size the shared arrays

layout(std430, binding = 0) readonly buffer Qb { T q[]; };
layout(std430, binding = 1) readonly buffer Kb { T k[]; };
layout(std430, binding = 2) readonly buffer Vb { T v[]; };
layout(std430, binding = 3) writeonly buffer Ob { T o[]; };
layout(std430, binding = 4) readonly buffer Mb { T mask[]; };
layout(std430, binding = 5) writeonly buffer Lb { float lse[]; };

uint kbase, vbase;
float loadK(uint j, uint d) { return float(k[kbase + j * pc.k_sr + d]); }
float loadV(uint j, uint d) { return float(v[vbase + j * pc.v_sr + d]); }

#include "flash_core.glsl"

// output columns reduced per round: 16, or 8 when D % 16 != 0, or 4 when
// D % 8 != 0 (D is a multiple of 4); D is a specialization constant.
// keep in sync with split_dc() in runtime/src/op_attention.c
const uint DC = (D % 16u == 0u) ? 16u : (D % 8u == 0u) ? 8u : 4u;
shared float sm[WGC], sl[WGC];
shared float so[WGC * DC];

void main()
{
    uint b = gl_WorkGroupID.z, h = gl_WorkGroupID.y, i = gl_WorkGroupID.x;
    uint t = gl_LocalInvocationID.x;
    uint kend = vka_attn_kend(i);
    kbase = pc.k_off + b * pc.k_sb + h * pc.k_sh;
    vbase = pc.v_off + b * pc.v_sb + h * pc.v_sh;
    uint qb = pc.q_off + b * pc.q_sb + h * pc.q_sh + i * pc.q_sr;
    VKA_LOOP for (uint d = 0u; d < D; d++) {
        qv[d] = float(q[qb + d]) * pc.scale;
        acc[d] = 0.0;
    }
    uint j = t;
    for (; j + (KB - 1u) * WGC < kend; j += KB * WGC)
        attn_block(i, j, WGC, kend);
    for (; j < kend; j += WGC)
        attn_one(i, j, kend);

    // merge the partial softmaxes: rescale each to the row max, then sum
    sm[t] = m_run;
    sl[t] = l_run;
    barrier(); // every stream's max and sum are written
    float M = VKA_NEG_BIG;
    for (uint u = 0u; u < WGC; u++)
        M = max(M, sm[u]);
    float L = 0.0;
    for (uint u = 0u; u < WGC; u++)
        L += sl[u] * exp(sm[u] - M);
    float f = exp(m_run - M) * (L > 0.0 ? 1.0 / L : 0.0);
    uint ob = pc.o_off + b * pc.o_sb + h * pc.o_sh + i * pc.o_sr;
    for (uint d0 = 0u; d0 < D; d0 += DC) {
        VKA_LOOP for (uint c = 0u; c < DC; c++)
            so[t * DC + c] = acc[d0 + c] * f;
        barrier(); // this round's partial outputs are written
        if (t < DC) {
            float s = 0.0;
            for (uint u = 0u; u < WGC; u++)
                s += so[u * DC + t];
            o[ob + d0 + t] = T(s);
        }
        barrier(); // the sums are read before the next round overwrites so[]
    }
    if (t == 0u && (pc.flags & VKA_ATTN_LSE) != 0u)
        lse[pc.lse_off + (b * pc.H + h) * pc.nq + i] = attn_lse(M, L);
}
