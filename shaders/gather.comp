/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// gather.comp — ONNX Gather: y[o, j, i] = x[o, indices[j], i] over the flattened
// (outer, axis, inner) view. Values are moved, never computed, so the f32
// variant also carries I32 data bit for bit.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 256;

layout(std430, binding = 0) readonly buffer X { T x[]; };
layout(std430, binding = 1) readonly buffer Ix { int indices[]; };
layout(std430, binding = 2) writeonly buffer Y { T y[]; };

// keep in sync with vka__gather_push in runtime/src/op_select.c
layout(push_constant) uniform Push {
    uint n;            // elements of y
    uint axis_n;       // x.shape[axis]
    uint inner;        // product of x's axes after axis
    uint ni;           // elements of indices
    uint off_x, off_i, off_y;
} pc;

void main()
{
    uint i = vka_group_id() * WG + gl_LocalInvocationID.x;
    if (i >= pc.n)
        return;
    uint ii = i % pc.inner, r = i / pc.inner;
    uint j = r % pc.ni, o = r / pc.ni;
    int id = indices[pc.off_i + j];
    if (id < 0)
        id += int(pc.axis_n);
    // still out of range: 0 (the C side cannot see index values to report them)
    if (id < 0 || uint(id) >= pc.axis_n)
        y[pc.off_y + i] = T(0.0);
    else
        y[pc.off_y + i] = x[pc.off_x + (o * pc.axis_n + uint(id)) * pc.inner + ii];
}
