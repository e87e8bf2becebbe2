// vka-variants: f32 f16
// flash_attn_row.comp — fused attention without shared memory or barriers: each
// invocation owns one query row and streams K/V straight from the buffer. Every
// invocation of a workgroup reads the same key at the same time, so on a CPU
// driver (lavapipe) the loads are broadcasts and workgroup barriers, which are
// expensive there, are avoided entirely. Grid: (ceil(nq / WG), H, B).
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
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

uint kbase, vbase;
float loadK(uint j, uint d) { return float(k[kbase + j * pc.k_sr + d]); }
float loadV(uint j, uint d) { return float(v[vbase + j * pc.v_sr + d]); }

#define VKA_FLASH_UNROLL 1
#include "flash_core.glsl"

void main()
{
    uint b = gl_WorkGroupID.z, h = gl_WorkGroupID.y;
    uint i = gl_WorkGroupID.x * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    // the key range of the workgroup's last row bounds the loop for all rows
    // (uniform trip count); earlier rows mask the causal excess themselves
    uint kend = vka_attn_kend(min(pc.nq, (gl_WorkGroupID.x + 1u) * gl_WorkGroupSize.x) - 1u);
    if (i >= pc.nq)
        return;
    uint lim = vka_attn_kend(i);
    kbase = pc.k_off + b * pc.k_sb + h * pc.k_sh;
    vbase = pc.v_off + b * pc.v_sb + h * pc.v_sh;
    uint qb = pc.q_off + b * pc.q_sb + h * pc.q_sh + i * pc.q_sr;
    [[unroll]] for (uint d = 0u; d < D; d++) {
        qv[d] = float(q[qb + d]) * pc.scale;
        acc[d] = 0.0;
    }
    uint j = 0u;
    for (; j + KB <= kend; j += KB)
        attn_block(i, j, 1u, lim);
    for (; j < kend; j++)
        attn_one(i, j, lim);

    float inv = l_run > 0.0 ? 1.0 / l_run : 0.0;
    uint ob = pc.o_off + b * pc.o_sb + h * pc.o_sh + i * pc.o_sr;
    [[unroll]] for (uint d = 0u; d < D; d++)
        o[ob + d] = T(acc[d] * inv);
    if ((pc.flags & VKA_ATTN_LSE) != 0u)
        lse[pc.lse_off + (b * pc.H + h) * pc.nq + i] = attn_lse(m_run, l_run);
}
