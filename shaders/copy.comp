/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// copy.comp — y[i] = x[i] for n elements (any dtype of the same size; f16 as 16-bit words).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer X { T x[]; };
layout(std430, binding = 1) writeonly buffer Y { T y[]; };

// keep in sync with vka__copy_push in runtime/src/op_copy.c
layout(push_constant) uniform Push {
    uint n;
    uint off_x;
    uint off_y;
} pc;

void main()
{
    uint i = vka_group_id() * 256u + gl_LocalInvocationID.x;
    if (i < pc.n)
        y[pc.off_y + i] = x[pc.off_x + i];
}
