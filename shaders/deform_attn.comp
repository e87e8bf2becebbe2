/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// deform_attn.comp — multi-scale deformable attention (RT-DETR's MSDeformAttn,
// D-FINE's per-level point counts) in one pass. One invocation per (b, q, h)
// and chunk of DCH channels: the sampling geometry of a point is computed once
// per chunk, and a chunk's channels are contiguous in the output. The loop
// trip count per invocation is ΣP·DCH, far under lavapipe's budget.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
layout(constant_id = 1) const uint DCH = 8; // channels per invocation

layout(std430, binding = 0) readonly buffer V { T value[]; };
layout(std430, binding = 1) readonly buffer L { T loc[]; };
layout(std430, binding = 2) readonly buffer A { T attw[]; };
layout(std430, binding = 3) writeonly buffer O { T outp[]; };

// keep in sync with vka__deform_push in runtime/src/op_deform.c
layout(push_constant) uniform Push {
    uint n;                 // invocations: B·Nq·H·nch
    uint H, D, nch;         // heads, channels, channel chunks ceil(D / DCH)
    uint L, ptot;           // levels, Σ points
    uint off_v, off_loc, off_w, off_out;
    uint sv_b, sv_s, sv_h, sv_d; // element strides of value
    uint nq;                // queries
    uint hw[8];             // per level: height << 16 | width
    uint pts[2];            // per level: points, 8 bits each, level 0 lowest
} pc;

void main()
{
    uint i = vka_group_id() * WG + gl_LocalInvocationID.x;
    if (i >= pc.n)
        return;
    uint c = i % pc.nch, bqh = i / pc.nch;
    uint h = bqh % pc.H, bq = bqh / pc.H;
    uint b = bq / pc.nq;
    uint d0 = c * DCH;
    float acc[DCH];
    for (uint j = 0u; j < DCH; j++)
        acc[j] = 0.0;
    uint vbase = pc.off_v + b * pc.sv_b + h * pc.sv_h + d0 * pc.sv_d;
    uint pbase = bqh * pc.ptot;
    uint start = 0u, pi = 0u;
    for (uint l = 0u; l < pc.L; l++) {
        int Hl = int(pc.hw[l] >> 16), Wl = int(pc.hw[l] & 0xffffu);
        uint np = (pc.pts[l >> 2] >> ((l & 3u) * 8u)) & 0xffu;
        for (uint p = 0u; p < np; p++, pi++) {
            uint li = pc.off_loc + (pbase + pi) * 2u;
            float wgt = float(attw[pc.off_w + pbase + pi]);
            // align_corners = False: pixel centres at (i + 0.5) / size
            float fx = float(loc[li]) * float(Wl) - 0.5;
            float fy = float(loc[li + 1u]) * float(Hl) - 0.5;
            // also false for NaN; keeps floor() in int range
            if (!(fx > -1.0 && fy > -1.0 && fx < float(Wl) && fy < float(Hl)))
                continue;
            float x0f = floor(fx), y0f = floor(fy);
            float ax = fx - x0f, ay = fy - y0f;
            int x0 = int(x0f), y0 = int(y0f);
            float cw[4] = float[4]((1.0 - ax) * (1.0 - ay), ax * (1.0 - ay), (1.0 - ax) * ay, ax * ay);
            for (uint t = 0u; t < 4u; t++) {
                int xx = x0 + int(t & 1u), yy = y0 + int(t >> 1);
                if (xx < 0 || yy < 0 || xx >= Wl || yy >= Hl)
                    continue;
                float f = wgt * cw[t];
                uint vi = vbase + (start + uint(yy * Wl + xx)) * pc.sv_s;
                for (uint j = 0u; j < DCH; j++)
                    if (d0 + j < pc.D)
                        acc[j] += f * float(value[vi + j * pc.sv_d]);
            }
        }
        start += uint(Hl * Wl);
    }
    uint o = pc.off_out + bqh * pc.D + d0;
    for (uint j = 0u; j < DCH; j++)
        if (d0 + j < pc.D)
            outp[o + j] = T(acc[j]);
}
