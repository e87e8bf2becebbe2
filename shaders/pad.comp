/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// pad.comp — ONNX Pad for any rank up to 8: each output element finds its
// source along every axis (constant fill, reflection without the edge
// repeated, or the edge repeated). One output element per invocation.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint MODE = 0u; // vka_pad_mode: 0 constant, 1 reflect, 2 edge

layout(std430, binding = 0) readonly buffer X { T x[]; };
layout(std430, binding = 1) writeonly buffer Y { T y[]; };

// keep in sync with vka__pad_push in runtime/src/op_resize.c
layout(push_constant) uniform Push {
    uint total;
    uint rank;
    uint yshape[8];
    uint xshape[8];
    int begin[8];          // leading pad per axis (negative: crop)
    float value;
    uint off_x, off_y;
} pc;

void main()
{
    uint i = vka_group_id() * 256u + gl_LocalInvocationID.x;
    if (i >= pc.total)
        return;
    uint rem = i, src = 0u, stride = 1u;
    bool inside = true;
    for (int d = int(pc.rank) - 1; d >= 0; d--) {
        uint o = rem % pc.yshape[d];
        rem /= pc.yshape[d];
        int n = int(pc.xshape[d]);
        int s = int(o) - pc.begin[d];
        if (s < 0 || s >= n) {
            if (MODE == 1u) {
                // reflect about the first and last element: period 2(n-1)
                int p = max(2 * (n - 1), 1);
                s = abs(s) % p;
                s = s >= n ? p - s : s;
            } else if (MODE == 2u) {
                s = clamp(s, 0, n - 1);
            } else {
                inside = false;
                s = 0;
            }
        }
        src += uint(s) * stride;
        stride *= uint(n);
    }
    y[pc.off_y + i] = inside ? x[pc.off_x + src] : T(pc.value);
}
