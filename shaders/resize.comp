/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// resize.comp — ONNX Resize over H and W of x [N, C, H, W], nearest or
// bilinear. The source coordinate of output index o along an axis is the
// exact rational (a·o + b) / d (the host turns coordinate_transformation_mode
// and the scale into a, b, d), so the nearest modes see exact ties and round
// them as the spec says, where float arithmetic would land on either side.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint LINEAR = 0u;  // vka_interp
layout(constant_id = 1) const uint NEAREST = 0u; // vka_nearest_mode

layout(std430, binding = 0) readonly buffer X { T x[]; };
layout(std430, binding = 1) writeonly buffer Y { T y[]; };

// keep in sync with vka__resize_push in runtime/src/op_resize.c
layout(push_constant) uniform Push {
    uint total;            // N·C·OH·OW
    uint h, w, oh, ow;
    int a[2], b[2], d[2];  // per axis (H, W): source coordinate (a·o + b) / d, d > 0
    uint off_x, off_y;
} pc;

int floordiv(int n, int d)
{
    return n >= 0 ? n / d : -((-n + d - 1) / d);
}

int nearest(int num, int d, int len)
{
    int i;
    if (NEAREST == 0u)       // round_prefer_floor: ceil(x - 1/2)
        i = -floordiv(d - 2 * num, 2 * d);
    else if (NEAREST == 1u)  // round_prefer_ceil: floor(x + 1/2)
        i = floordiv(2 * num + d, 2 * d);
    else if (NEAREST == 2u)  // floor
        i = floordiv(num, d);
    else                     // ceil
        i = -floordiv(-num, d);
    return clamp(i, 0, len - 1);
}

void main()
{
    uint i = vka_group_id() * 256u + gl_LocalInvocationID.x;
    if (i >= pc.total)
        return;
    uint ox = i % pc.ow, oy = (i / pc.ow) % pc.oh, nc = i / (pc.ow * pc.oh);
    int ny = pc.a[0] * int(oy) + pc.b[0], nx = pc.a[1] * int(ox) + pc.b[1];
    int H = int(pc.h), W = int(pc.w);
    uint xb = pc.off_x + nc * pc.h * pc.w;
    float r;
    if (LINEAR == 0u) {
        r = float(x[xb + uint(nearest(ny, pc.d[0], H) * W + nearest(nx, pc.d[1], W))]);
    } else {
        // neighbours clamped to the edge (the spec pads with edge values)
        int y0 = floordiv(ny, pc.d[0]), x0 = floordiv(nx, pc.d[1]);
        float wy = float(ny - y0 * pc.d[0]) / float(pc.d[0]);
        float wx = float(nx - x0 * pc.d[1]) / float(pc.d[1]);
        uint r0 = uint(clamp(y0, 0, H - 1) * W), r1 = uint(clamp(y0 + 1, 0, H - 1) * W);
        uint c0 = uint(clamp(x0, 0, W - 1)), c1 = uint(clamp(x0 + 1, 0, W - 1));
        float v00 = float(x[xb + r0 + c0]), v01 = float(x[xb + r0 + c1]);
        float v10 = float(x[xb + r1 + c0]), v11 = float(x[xb + r1 + c1]);
        float top = v00 + wx * (v01 - v00), bot = v10 + wx * (v11 - v10);
        r = top + wy * (bot - top);
    }
    y[pc.off_y + i] = T(r);
}
