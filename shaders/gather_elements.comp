/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// gather_elements.comp — ONNX GatherElements: y[i] = x[i with its axis
// coordinate replaced by indices[i]]; y and indices share a shape. Values are
// moved bit for bit (the f32 variant also carries I32).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 256;

layout(std430, binding = 0) readonly buffer X { T x[]; };
layout(std430, binding = 1) readonly buffer Ix { int indices[]; };
layout(std430, binding = 2) writeonly buffer Y { T y[]; };

// keep in sync with vka__gather_elements_push in runtime/src/op_select.c
layout(push_constant) uniform Push {
    uint n;            // elements of y (= of indices)
    uint rank, axis;
    uint axis_n;       // x.shape[axis]
    uint off_x, off_i, off_y;
    uint shape[8];     // of indices / y
    uint xstride[8];   // element strides of x
} pc;

void main()
{
    uint i = vka_group_id() * WG + gl_LocalInvocationID.x;
    if (i >= pc.n)
        return;
    int id = indices[pc.off_i + i];
    if (id < 0)
        id += int(pc.axis_n);
    if (id < 0 || uint(id) >= pc.axis_n) {
        y[pc.off_y + i] = T(0.0); // out of range: 0, as documented in vkattn.h
        return;
    }
    uint r = i, xo = 0u;
    for (uint k = pc.rank; k-- > 0u;) {
        uint c = r % pc.shape[k];
        r /= pc.shape[k];
        xo += (k == pc.axis ? uint(id) : c) * pc.xstride[k];
    }
    y[pc.off_y + i] = x[pc.off_x + xo];
}
