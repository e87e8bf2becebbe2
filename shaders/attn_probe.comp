/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// attn_probe.comp — exact attention probabilities for chosen query rows from Q,
// K and the row log-sum-exp a flash pass saved: p = exp(scale·q·k + mask − lse).
// No second softmax pass and no score matrix. One invocation per key.
// Grid: (ceil(nk / 64), R · H, B). Rows outside [0, nq) give zeros.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
#include "attn.glsl"

layout(constant_id = 0) const uint D = 64;      // head dim
layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer Qb { T q[]; };
layout(std430, binding = 1) readonly buffer Kb { T k[]; };
layout(std430, binding = 2) readonly buffer Mb { T mask[]; };
layout(std430, binding = 3) readonly buffer Lb { float lse[]; };
layout(std430, binding = 4) readonly buffer Rb { int rows[]; };
layout(std430, binding = 5) writeonly buffer Pb { float probs[]; };

void main()
{
    uint j = gl_WorkGroupID.x * 64u + gl_LocalInvocationID.x;
    uint r = gl_WorkGroupID.y / pc.H, h = gl_WorkGroupID.y - r * pc.H, b = gl_WorkGroupID.z;
    if (j >= pc.nk)
        return;
    int row = rows[pc.rows_off + r];
    float p = 0.0;
    if (row >= 0 && uint(row) < pc.nq) {
        uint i = uint(row);
        float l = lse[pc.lse_off + (b * pc.H + h) * pc.nq + i];
        uint qb = pc.q_off + b * pc.q_sb + h * pc.q_sh + i * pc.q_sr;
        uint kb = pc.k_off + b * pc.k_sb + h * pc.k_sh + j * pc.k_sr;
        float s = 0.0;
        // the same order of operations as flash_attn_row.comp (scale · q) · k in
        // groups of G: the LSE it saved then normalises these rows exactly
        const uint G = VKA_ATTN_G;
        [[unroll]] for (uint d0 = 0u; d0 < D; d0 += G) {
            float g = (float(q[qb + d0]) * pc.scale) * float(k[kb + d0]);
            [[unroll]] for (uint c = 1u; c < G; c++)
                g += (float(q[qb + d0 + c]) * pc.scale) * float(k[kb + d0 + c]);
            s += g;
        }
        if ((pc.flags & VKA_ATTN_MASK) != 0u)
            s += float(mask[pc.mask_off + i * pc.nk + j]);
        // a causally hidden key, or a row that saw no key (lse = -inf), has p = 0
        if (j < vka_attn_kend(i) && !isinf(l))
            p = exp(s - l);
    }
    probs[pc.p_off + ((b * pc.H + h) * pc.nrows + r) * pc.nk + j] = p;
}
