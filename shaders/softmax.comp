/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// softmax.comp — y = softmax(scale·x + mask) along rows of length n; fp32 math.
// Three passes over the row (max, sum of exp, write) instead of an online
// softmax: the online form needs two exps per element in its first pass, and
// exp, not memory, is what costs on a CPU driver; the row stays in cache.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
// 0: one workgroup per row (reductions across the workgroup);
// 1: one invocation per row (short rows: no cooperation, no reductions)
layout(constant_id = 1) const uint PER_THREAD = 0u;

#include "rowreduce.glsl"

layout(std430, binding = 0) readonly buffer X { T x[]; };
layout(std430, binding = 1) readonly buffer M { T mk[]; };
// y may alias x: each element is read and then written by one invocation, and
// every read of the first two passes ends before the reductions return.
layout(std430, binding = 2) writeonly buffer Y { T y[]; };

// keep in sync with vka__softmax_push in runtime/src/op_norm.c
layout(push_constant) uniform Push {
    uint rows;
    uint n;
    uint off_x;
    uint off_m;
    uint off_y;
    uint mask_rows; // 0: no mask; else the mask's rows, repeated over x's rows
    uint mask_inc;  // 1, or 0 for a one-element mask
    float scale;
} pc;

const float FLT_LOWEST = -3.402823466e38;

float logit(uint xb, uint mb, uint i)
{
    float v = pc.scale * float(x[xb + i]);
    if (pc.mask_rows != 0u)
        v += float(mk[mb + i * pc.mask_inc]);
    return v;
}

void softmax_row(uint r, uint first, uint step, bool coop)
{
    uint xb = pc.off_x + r * pc.n;
    uint yb = pc.off_y + r * pc.n;
    uint mb = pc.mask_rows != 0u ? pc.off_m + (r % pc.mask_rows) * pc.n * pc.mask_inc : 0u;
    // start at the lowest finite value, not -inf: masked (-inf) logits then give
    // exp(-inf - m) = 0 instead of exp(-inf + inf) = NaN
    float m = FLT_LOWEST;
    for (uint i0 = 0u; i0 < pc.n; i0 += step) {
        uint i = i0 + first;
        if (i < pc.n)
            m = max(m, logit(xb, mb, i));
    }
    if (coop)
        m = vka_wg_max(m);
    float s = 0.0;
    for (uint i0 = 0u; i0 < pc.n; i0 += step) {
        uint i = i0 + first;
        if (i < pc.n)
            s += exp(logit(xb, mb, i) - m);
    }
    if (coop)
        s = vka_wg_sum(s);
    float inv = 1.0 / s;
    for (uint i0 = 0u; i0 < pc.n; i0 += step) {
        uint i = i0 + first;
        if (i < pc.n)
            y[yb + i] = T(exp(logit(xb, mb, i) - m) * inv);
    }
}

void main()
{
    if (PER_THREAD == 0u) {
        uint r = vka_group_id();
        if (r >= pc.rows) // the whole workgroup leaves together
            return;
        softmax_row(r, gl_LocalInvocationID.x, gl_WorkGroupSize.x, true);
    } else {
        uint r = vka_group_id() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
        if (r < pc.rows)
            softmax_row(r, 0u, 1u, false);
    }
}
