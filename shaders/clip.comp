/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// clip.comp — y = min(max(x, lo), hi) elementwise (ONNX Clip); y may alias x
// (each element is read and written by one invocation only). NaN stays NaN.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define WG 256u
#define EPT 4u

layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer X { T x[]; };
layout(std430, binding = 1) writeonly buffer Y { T y[]; };

// keep in sync with vka__clip_push in runtime/src/op_resize.c
layout(push_constant) uniform Push {
    uint n;
    float lo, hi;
    uint off_x, off_y;
} pc;

void main()
{
    uint base = vka_group_id() * (WG * EPT) + gl_LocalInvocationID.x;
    for (uint e = 0u; e < EPT; e++) {
        uint i = base + e * WG;
        if (i >= pc.n)
            return;
        float v = float(x[pc.off_x + i]);
        // comparisons rather than min/max, whose NaN result GLSL leaves undefined
        v = v < pc.lo ? pc.lo : v;
        v = v > pc.hi ? pc.hi : v;
        y[pc.off_y + i] = T(v);
    }
}
