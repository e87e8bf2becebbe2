/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// flash_attn_row_tex.comp — flash_attn_row.comp with K and V bound as storage
// texel buffers of 4-vectors (vka__binding write = VKA__TEXEL), for CPU
// drivers (lavapipe). Every invocation of a subgroup reads the same key row at
// the same moment; llvmpipe compiles such an imageLoad inline into 8 vector
// loads and a transpose that hands every lane the value (a free broadcast),
// where a storage-buffer load is a per-lane scalar loop and subgroupBroadcast
// another loop over the lanes.
// Each invocation owns ROWS query rows (l, l + WG, ...) so that every K/V
// texel load, the dominant cost, serves ROWS rows.
// Needs K and V offsets and strides in whole texels (multiples of 4 elements);
// op_attention.c falls back to flash_attn_row.comp otherwise.
// Grid: (ceil(nq / (WG·ROWS)), H, B). No barriers, no shared memory; the key
// loop is uniform over the workgroup so no invocation leaves early.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
#include "attn.glsl"

layout(constant_id = 0) const uint D = 64;      // head dim (multiple of 4: whole texels)
layout(local_size_x_id = 1) in;                 // WG invocations per workgroup
layout(constant_id = 2) const uint ROWS = 2;    // query rows per invocation (1..4)

layout(std430, binding = 0) readonly buffer Qb { T q[]; };
#if defined(VKA_F16) && VKA_F16
layout(binding = 1, rgba16f) uniform readonly imageBuffer k_tex;
layout(binding = 2, rgba16f) uniform readonly imageBuffer v_tex;
#else
layout(binding = 1, rgba32f) uniform readonly imageBuffer k_tex;
layout(binding = 2, rgba32f) uniform readonly imageBuffer v_tex;
#endif
layout(std430, binding = 3) writeonly buffer Ob { T o[]; };
layout(std430, binding = 4) readonly buffer Mb { T mask[]; };
layout(std430, binding = 5) writeonly buffer Lb { float lse[]; };

const uint KB = 8u;     // keys per online-softmax update
const uint D4 = D / 4u;
const uint G = VKA_ATTN_G;  // products per score group: texel pairs, or single texels when D % 8 != 0
const uint MAXR = 4u;   // array bound for ROWS (arrays need a constant size)

// Every loop but the key loop is unrolled: faster, and llvmpipe stops an
// invocation after 65535 loop iterations in total. The row state lives in
// main's locals (macros, not functions over globals): llvmpipe keeps locals
// in registers but global private arrays in memory. Loops over r < ROWS with
// ROWS < MAXR fold away since ROWS is a specialization constant.

// sc[r] = scale·q_r·k[j] (+ mask), -inf past row r's last visible key. The
// products are summed in groups of G (left to right, then added) like
// flash_core.glsl and attn_probe.comp: every variant rounds the scores alike,
// so the probe matches whichever variant saved the LSE.
#define SCORES(sc, j)                                                           \
    {                                                                           \
        [[unroll]] for (uint r = 0u; r < ROWS; r++)                             \
            sc[r] = 0.0;                                                        \
        int t_ = int(kt + (j) * k_sr4);                                         \
        [[unroll]] for (uint d0 = 0u; d0 < D4; d0 += G / 4u) {                  \
            vec4 ka = imageLoad(k_tex, t_ + int(d0));                           \
            vec4 kc = G == 8u ? imageLoad(k_tex, t_ + int(d0) + 1) : vec4(0.0); \
            [[unroll]] for (uint r = 0u; r < ROWS; r++) {                       \
                uint e = r * D + d0 * 4u;                                       \
                float g_ = qv[e] * ka.x + qv[e + 1u] * ka.y + qv[e + 2u] * ka.z + qv[e + 3u] * ka.w; \
                if (G == 8u) {                                                  \
                    g_ += qv[e + 4u] * kc.x;                                    \
                    g_ += qv[e + 5u] * kc.y;                                    \
                    g_ += qv[e + 6u] * kc.z;                                    \
                    g_ += qv[e + 7u] * kc.w;                                    \
                }                                                               \
                sc[r] += g_;                                                    \
            }                                                                   \
        }                                                                       \
        [[unroll]] for (uint r = 0u; r < ROWS; r++) {                           \
            if ((pc.flags & VKA_ATTN_MASK) != 0u)                               \
                sc[r] += float(mask[pc.mask_off + ic[r] * pc.nk + (j)]);        \
            sc[r] = (j) < lim[r] ? sc[r] : uintBitsToFloat(0xff800000u);        \
        }                                                                       \
    }

// acc_r += p[r] · v[j]
#define ACCUMULATE(j, p)                                                        \
    {                                                                           \
        int t_ = int(vt + (j) * v_sr4);                                         \
        [[unroll]] for (uint d4 = 0u; d4 < D4; d4++) {                          \
            vec4 vv = imageLoad(v_tex, t_ + int(d4));                           \
            [[unroll]] for (uint r = 0u; r < ROWS; r++) {                       \
                uint e = r * D + d4 * 4u;                                       \
                acc[e] += (p)[r] * vv.x;                                        \
                acc[e + 1u] += (p)[r] * vv.y;                                   \
                acc[e + 2u] += (p)[r] * vv.z;                                   \
                acc[e + 3u] += (p)[r] * vv.w;                                   \
            }                                                                   \
        }                                                                       \
    }

void main()
{
    float qv[MAXR * D];    // scale · q[row r, :] at r·D
    float acc[MAXR * D];   // Σ exp(s - m_run) · v, not yet divided by l_run
    float m_run[MAXR], l_run[MAXR];
    uint i[MAXR], ic[MAXR], lim[MAXR];
    uint b = gl_WorkGroupID.z, h = gl_WorkGroupID.y;
    uint rows_wg = gl_WorkGroupSize.x * ROWS;
    uint i0 = gl_WorkGroupID.x * rows_wg + gl_LocalInvocationID.x;
    // the key range of the workgroup's last row bounds the loop for all rows
    // (uniform trip count); earlier rows mask the causal excess themselves
    uint kend = vka_attn_kend(min(pc.nq, (gl_WorkGroupID.x + 1u) * rows_wg) - 1u);
    uint qb = pc.q_off + b * pc.q_sb + h * pc.q_sh;
    [[unroll]] for (uint r = 0u; r < ROWS; r++) {
        i[r] = i0 + r * gl_WorkGroupSize.x;
        // rows past nq compute row nq-1 and store nothing: the key loop stays uniform
        ic[r] = min(i[r], pc.nq - 1u);
        lim[r] = vka_attn_kend(ic[r]);
        m_run[r] = VKA_NEG_BIG;
        l_run[r] = 0.0;
        [[unroll]] for (uint d = 0u; d < D; d++) {
            qv[r * D + d] = float(q[qb + ic[r] * pc.q_sr + d]) * pc.scale;
            acc[r * D + d] = 0.0;
        }
    }
    // texel indices (op_attention.c guarantees whole texels)
    uint kt = (pc.k_off + b * pc.k_sb + h * pc.k_sh) / 4u, k_sr4 = pc.k_sr / 4u;
    uint vt = (pc.v_off + b * pc.v_sb + h * pc.v_sh) / 4u, v_sr4 = pc.v_sr / 4u;
    uint j = 0u;
    for (; j + KB <= kend; j += KB) {
        float s[KB][MAXR];
        float mn[MAXR];
        [[unroll]] for (uint r = 0u; r < ROWS; r++)
            mn[r] = m_run[r];
        [[unroll]] for (uint jj = 0u; jj < KB; jj++) {
            SCORES(s[jj], j + jj);
            [[unroll]] for (uint r = 0u; r < ROWS; r++)
                mn[r] = max(mn[r], s[jj][r]);
        }
        [[unroll]] for (uint r = 0u; r < ROWS; r++) {
            float alpha = exp(m_run[r] - mn[r]);
            l_run[r] *= alpha;
            [[unroll]] for (uint d = 0u; d < D; d++)
                acc[r * D + d] *= alpha;
            m_run[r] = mn[r];
        }
        [[unroll]] for (uint jj = 0u; jj < KB; jj++) {
            float p[MAXR];
            [[unroll]] for (uint r = 0u; r < ROWS; r++) {
                p[r] = exp(s[jj][r] - mn[r]);
                l_run[r] += p[r];
            }
            ACCUMULATE(j + jj, p);
        }
    }
    for (; j < kend; j++) {
        float s[MAXR], p[MAXR];
        SCORES(s, j);
        [[unroll]] for (uint r = 0u; r < ROWS; r++) {
            float mn = max(m_run[r], s[r]);
            float alpha = exp(m_run[r] - mn);
            p[r] = exp(s[r] - mn);
            l_run[r] = l_run[r] * alpha + p[r];
            [[unroll]] for (uint d = 0u; d < D; d++)
                acc[r * D + d] *= alpha;
            m_run[r] = mn;
        }
        ACCUMULATE(j, p);
    }
    [[unroll]] for (uint r = 0u; r < ROWS; r++) {
        if (i[r] < pc.nq) {
            float inv = l_run[r] > 0.0 ? 1.0 / l_run[r] : 0.0;
            uint ob = pc.o_off + b * pc.o_sb + h * pc.o_sh + i[r] * pc.o_sr;
            [[unroll]] for (uint d = 0u; d < D; d++)
                o[ob + d] = T(acc[r * D + d] * inv);
            if ((pc.flags & VKA_ATTN_LSE) != 0u)
                lse[pc.lse_off + (b * pc.H + h) * pc.nq + i[r]] =
                    l_run[r] > 0.0 ? m_run[r] + log(l_run[r]) : uintBitsToFloat(0xff800000u);
        }
    }
}
