/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// flash_attn_row.comp — fused attention without shared memory or barriers: each
// invocation owns one query row and streams K/V straight from the buffer. For
// CPU drivers (lavapipe), where barriers are expensive and a buffer load inside
// a loop costs one scalar load per lane whatever its address: the LW lanes of a
// subgroup each load a different element of the key row and share them with
// subgroupBroadcast, so a row of D values costs D / LW loads instead of D.
// Grid: (ceil(nq / WG), H, B). Needs a subgroup size >= LW and a uniform key
// loop, so no invocation leaves early.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_ballot : require
#include "common.glsl"
#include "attn.glsl"

layout(constant_id = 0) const uint D = 64;      // head dim
layout(local_size_x_id = 1) in;                 // WG query rows per workgroup

layout(std430, binding = 0) readonly buffer Qb { T q[]; };
layout(std430, binding = 1) readonly buffer Kb { T k[]; };
layout(std430, binding = 2) readonly buffer Vb { T v[]; };
layout(std430, binding = 3) writeonly buffer Ob { T o[]; };
layout(std430, binding = 4) readonly buffer Mb { T mask[]; };
layout(std430, binding = 5) writeonly buffer Lb { float lse[]; };

// lanes that share one key row load: the score group (8, or 4 when D % 8 != 0)
const uint LW = VKA_ATTN_G;
const uint KB = 8u;    // keys per online-softmax update

// Loops over D and KB are unrolled: faster, and llvmpipe stops an invocation
// after 65535 loop iterations in total, so only the key loop may stay dynamic.
// The row state lives in main's locals (macros, not functions over globals):
// llvmpipe keeps locals in registers but global private arrays in memory.

// x = scale·q·k[j] (+ mask), -inf past the row's last visible key; each group
// of LW products summed left to right, then added (as flash_core.glsl)
#define SCORE(x, j)                                                             \
    {                                                                           \
        x = 0.0;                                                                \
        uint base_ = kb + (j) * pc.k_sr + lane;                                 \
        [[unroll]] for (uint d0 = 0u; d0 < D; d0 += LW) {                       \
            float kx = float(k[base_ + d0]);                                    \
            float g_ = qv[d0] * subgroupBroadcast(kx, 0u) + qv[d0 + 1u] * subgroupBroadcast(kx, 1u) \
                     + qv[d0 + 2u] * subgroupBroadcast(kx, 2u) + qv[d0 + 3u] * subgroupBroadcast(kx, 3u); \
            if (LW == 8u) {                                                     \
                g_ += qv[d0 + 4u] * subgroupBroadcast(kx, 4u);                  \
                g_ += qv[d0 + 5u] * subgroupBroadcast(kx, 5u);                  \
                g_ += qv[d0 + 6u] * subgroupBroadcast(kx, 6u);                  \
                g_ += qv[d0 + 7u] * subgroupBroadcast(kx, 7u);                  \
            }                                                                   \
            x += g_;                                                            \
        }                                                                       \
        if ((pc.flags & VKA_ATTN_MASK) != 0u)                                   \
            x += float(mask[pc.mask_off + ic * pc.nk + (j)]);                   \
        x = (j) < lim ? x : uintBitsToFloat(0xff800000u);                       \
    }

// acc += p · v[j]
#define ACCUMULATE(j, p)                                                        \
    {                                                                           \
        uint base_ = vb + (j) * pc.v_sr + lane;                                 \
        [[unroll]] for (uint d0 = 0u; d0 < D; d0 += LW) {                       \
            float vx = float(v[base_ + d0]);                                    \
            acc[d0] += (p) * subgroupBroadcast(vx, 0u);                         \
            acc[d0 + 1u] += (p) * subgroupBroadcast(vx, 1u);                    \
            acc[d0 + 2u] += (p) * subgroupBroadcast(vx, 2u);                    \
            acc[d0 + 3u] += (p) * subgroupBroadcast(vx, 3u);                    \
            if (LW == 8u) {                                                     \
                acc[d0 + 4u] += (p) * subgroupBroadcast(vx, 4u);                \
                acc[d0 + 5u] += (p) * subgroupBroadcast(vx, 5u);                \
                acc[d0 + 6u] += (p) * subgroupBroadcast(vx, 6u);                \
                acc[d0 + 7u] += (p) * subgroupBroadcast(vx, 7u);                \
            }                                                                   \
        }                                                                       \
    }

void main()
{
    float qv[D];           // scale · q[i, :]
    float acc[D];          // Σ exp(s - m_run) · v, not yet divided by l_run
    float m_run = VKA_NEG_BIG;
    float l_run = 0.0;
    uint b = gl_WorkGroupID.z, h = gl_WorkGroupID.y;
    uint i = gl_WorkGroupID.x * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    uint lane = gl_SubgroupInvocationID % LW;
    // rows past nq compute row nq-1 and store nothing: every lane must take
    // part in the shared loads
    uint ic = min(i, pc.nq - 1u);
    // the key range of the workgroup's last row bounds the loop for all rows
    // (uniform trip count); earlier rows mask the causal excess themselves
    uint kend = vka_attn_kend(min(pc.nq, (gl_WorkGroupID.x + 1u) * gl_WorkGroupSize.x) - 1u);
    uint lim = vka_attn_kend(ic);
    uint kb = pc.k_off + b * pc.k_sb + h * pc.k_sh;
    uint vb = pc.v_off + b * pc.v_sb + h * pc.v_sh;
    uint qb = pc.q_off + b * pc.q_sb + h * pc.q_sh + ic * pc.q_sr;
    [[unroll]] for (uint d = 0u; d < D; d++) {
        qv[d] = float(q[qb + d]) * pc.scale;
        acc[d] = 0.0;
    }
    uint j = 0u;
    for (; j + KB <= kend; j += KB) {
        float s[KB];
        float mb = VKA_NEG_BIG;
        [[unroll]] for (uint jj = 0u; jj < KB; jj++) {
            SCORE(s[jj], j + jj);
            mb = max(mb, s[jj]);
        }
        float mn = max(m_run, mb);
        float alpha = exp(m_run - mn);
        l_run *= alpha;
        [[unroll]] for (uint d = 0u; d < D; d++)
            acc[d] *= alpha;
        [[unroll]] for (uint jj = 0u; jj < KB; jj++) {
            float p = exp(s[jj] - mn);
            l_run += p;
            ACCUMULATE(j + jj, p);
        }
        m_run = mn;
    }
    for (; j < kend; j++) {
        float s;
        SCORE(s, j);
        float mn = max(m_run, s);
        float alpha = exp(m_run - mn);
        float p = exp(s - mn);
        l_run = l_run * alpha + p;
        [[unroll]] for (uint d = 0u; d < D; d++)
            acc[d] *= alpha;
        ACCUMULATE(j, p);
        m_run = mn;
    }
    if (i >= pc.nq)
        return;
    float inv = l_run > 0.0 ? 1.0 / l_run : 0.0;
    uint ob = pc.o_off + b * pc.o_sb + h * pc.o_sh + i * pc.o_sr;
    [[unroll]] for (uint d = 0u; d < D; d++)
        o[ob + d] = T(acc[d] * inv);
    if ((pc.flags & VKA_ATTN_LSE) != 0u)
        lse[pc.lse_off + (b * pc.H + h) * pc.nq + i] = l_run > 0.0 ? m_run + log(l_run) : uintBitsToFloat(0xff800000u);
}
