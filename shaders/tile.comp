/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// tile.comp — ONNX Tile: y[i] = x[i mod x.shape per axis]. Values moved bit
// for bit (the f32 variant also carries I32).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 256;

layout(std430, binding = 0) readonly buffer X { T x[]; };
layout(std430, binding = 1) writeonly buffer Y { T y[]; };

// keep in sync with vka__tile_push in runtime/src/op_select.c
layout(push_constant) uniform Push {
    uint n, rank;
    uint off_x, off_y;
    uint yshape[8];
    uint xshape[8];
} pc;

void main()
{
    uint i = vka_group_id() * WG + gl_LocalInvocationID.x;
    if (i >= pc.n)
        return;
    uint r = i, xo = 0u, st = 1u;
    for (uint k = pc.rank; k-- > 0u;) {
        uint c = r % pc.yshape[k];
        r /= pc.yshape[k];
        xo += (c % pc.xshape[k]) * st;
        st *= pc.xshape[k];
    }
    y[pc.off_y + i] = x[pc.off_x + xo];
}
