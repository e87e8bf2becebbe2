/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// flash_attn.comp — fused attention with K/V tiles in shared memory (GPUs): the
// WG invocations of a workgroup own WG query rows, load each [BC, D] tile of K
// and V together, then every row runs the online softmax over the tile. When
// all keys of a head fit (BC >= nk) this is the short-sequence variant: one
// load, two barriers. Grid: (ceil(nq / WG), H, B).
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
#include "attn.glsl"

layout(constant_id = 0) const uint D = 64;      // head dim
layout(local_size_x_id = 1) in;                 // WG query rows per workgroup
layout(constant_id = 1) const uint WG = 64;     // the same WG, as a constant
layout(constant_id = 2) const uint BC = 32;     // keys per shared tile

layout(std430, binding = 0) readonly buffer Qb { T q[]; };
layout(std430, binding = 1) readonly buffer Kb { T k[]; };
layout(std430, binding = 2) readonly buffer Vb { T v[]; };
layout(std430, binding = 3) writeonly buffer Ob { T o[]; };
layout(std430, binding = 4) readonly buffer Mb { T mask[]; };
layout(std430, binding = 5) writeonly buffer Lb { float lse[]; };

// fp32 tiles whatever the storage type: converted once per load, not per use
shared float ks[BC * D];
shared float vs[BC * D];

uint tile0;
float loadK(uint j, uint d) { return ks[(j - tile0) * D + d]; }
float loadV(uint j, uint d) { return vs[(j - tile0) * D + d]; }

#include "flash_core.glsl"

void main()
{
    uint b = gl_WorkGroupID.z, h = gl_WorkGroupID.y;
    uint lid = gl_LocalInvocationID.x, wg = gl_WorkGroupSize.x;
    uint i = gl_WorkGroupID.x * wg + lid;
    // rows past nq stay to take part in the tile loads and barriers
    bool live = i < pc.nq;
    uint ic = min(i, pc.nq - 1u);
    uint kend = vka_attn_kend(min(pc.nq, (gl_WorkGroupID.x + 1u) * wg) - 1u);
    uint lim = live ? vka_attn_kend(ic) : 0u;
    uint kbase = pc.k_off + b * pc.k_sb + h * pc.k_sh;
    uint vbase = pc.v_off + b * pc.v_sb + h * pc.v_sh;
    uint qb = pc.q_off + b * pc.q_sb + h * pc.q_sh + ic * pc.q_sr;
    VKA_LOOP for (uint d = 0u; d < D; d++) {
        qv[d] = float(q[qb + d]) * pc.scale;
        acc[d] = 0.0;
    }
    for (uint t0 = 0u; t0 < kend; t0 += BC) {
        uint n = min(BC, kend - t0);
        barrier(); // the previous tile has been consumed by every row
        // a constant trip count the compiler can unroll (BC·D is mostly a
        // multiple of WG = 64; jj < n <= BC guards any remainder and the tile's end)
        VKA_LOOP for (uint e0 = 0u; e0 < BC * D; e0 += WG) {
            uint e = e0 + lid, jj = e / D, d = e - jj * D;
            if (jj < n) {
                ks[e] = float(k[kbase + (t0 + jj) * pc.k_sr + d]);
                vs[e] = float(v[vbase + (t0 + jj) * pc.v_sr + d]);
            }
        }
        barrier(); // the tile is complete before any row reads it
        tile0 = t0;
        uint j = t0;
        for (; j + KB <= t0 + n; j += KB)
            attn_block(ic, j, 1u, lim);
        for (; j < t0 + n; j++)
            attn_one(ic, j, lim);
    }
    if (!live)
        return;
    float inv = l_run > 0.0 ? 1.0 / l_run : 0.0;
    uint ob = pc.o_off + b * pc.o_sb + h * pc.o_sh + i * pc.o_sr;
    VKA_LOOP for (uint d = 0u; d < D; d++)
        o[ob + d] = T(acc[d] * inv);
    if ((pc.flags & VKA_ATTN_LSE) != 0u)
        lse[pc.lse_off + (b * pc.H + h) * pc.nq + i] = attn_lse(m_run, l_run);
}
