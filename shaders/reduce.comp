/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// reduce.comp — sum, mean or max over the middle axis of x viewed as
// [outer, len, inner]; y is [outer, inner]. fp32 math.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
// 0: one workgroup per output, its invocations splitting the axis (long axes);
// 1: one invocation per output walking the whole axis (short axes, and middle
//    axes of moderate length, where neighbouring invocations read neighbouring
//    addresses at every step)
layout(constant_id = 1) const uint PER_THREAD = 0u;
// 0 sum, 1 mean, 2 max (vka_reduce_op): fixed per pipeline so the hot loop has no branch
layout(constant_id = 2) const uint OP = 0u;

#include "rowreduce.glsl"

layout(std430, binding = 0) readonly buffer X { T x[]; };
layout(std430, binding = 1) writeonly buffer Y { T y[]; };

// keep in sync with vka__reduce_push in runtime/src/op_reduce.c
layout(push_constant) uniform Push {
    uint outputs; // outer · inner
    uint len;
    uint inner;
    uint off_x;
    uint off_y;
} pc;

const float FLT_LOWEST = -3.402823466e38;

// Kahan-compensated: one invocation may add up 100k values, and plain fp32
// accumulation would lose ~sqrt(n)·ulp of the result.
float partial(uint base, uint first, uint step, uint stride)
{
    if (OP == 2u) {
        float m = -1.0 / 0.0;
        for (uint k0 = 0u; k0 < pc.len; k0 += step) {
            uint k = k0 + first;
            if (k < pc.len)
                m = max(m, float(x[base + k * stride]));
        }
        return m;
    }
    precise float s = 0.0, c = 0.0;
    for (uint k0 = 0u; k0 < pc.len; k0 += step) {
        uint k = k0 + first;
        if (k < pc.len) {
            precise float v = float(x[base + k * stride]) - c;
            precise float t = s + v;
            c = (t - s) - v;
            s = t;
        }
    }
    return s;
}

void store(uint o, float v)
{
    if (OP == 1u)
        v /= float(pc.len);
    y[pc.off_y + o] = T(v);
}

void main()
{
    if (PER_THREAD == 0u) {
        uint o = vka_group_id();
        if (o >= pc.outputs) // the whole workgroup leaves together
            return;
        uint ob = o / pc.inner, ii = o - ob * pc.inner;
        float v = partial(pc.off_x + ob * pc.len * pc.inner + ii, gl_LocalInvocationID.x, gl_WorkGroupSize.x,
                          pc.inner);
        v = OP == 2u ? vka_wg_max(v) : vka_wg_sum(v);
        if (gl_LocalInvocationID.x == 0u)
            store(o, v);
    } else {
        uint o = vka_group_id() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
        if (o >= pc.outputs)
            return;
        uint ob = o / pc.inner, ii = o - ob * pc.inner;
        store(o, partial(pc.off_x + ob * pc.len * pc.inner + ii, 0u, 1u, pc.inner));
    }
}
