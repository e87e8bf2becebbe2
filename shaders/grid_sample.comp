/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// grid_sample.comp — ONNX GridSample, bilinear, zeros padding: one invocation
// per output element. The four taps are recomputed per channel: a tap is a
// few flops against four loads, cheaper than a loop over C that would bound C
// by lavapipe's per-invocation loop budget.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 256;

layout(std430, binding = 0) readonly buffer X { T x[]; };
layout(std430, binding = 1) readonly buffer G { T grid[]; };
layout(std430, binding = 2) writeonly buffer Y { T y[]; };

// keep in sync with vka__grid_sample_push in runtime/src/op_deform.c
layout(push_constant) uniform Push {
    uint n;             // elements of y
    uint C, H, W;       // x [N, C, H, W]
    uint Ho, Wo;        // y [N, C, Ho, Wo], grid [N, Ho, Wo, 2]
    uint align_corners;
    uint off_x, off_g, off_y;
} pc;

float tap(uint base, int xi, int yi)
{
    if (xi < 0 || yi < 0 || xi >= int(pc.W) || yi >= int(pc.H))
        return 0.0;
    return float(x[base + uint(yi) * pc.W + uint(xi)]);
}

void main()
{
    uint i = vka_group_id() * WG + gl_LocalInvocationID.x;
    if (i >= pc.n)
        return;
    uint wo = i % pc.Wo, r = i / pc.Wo;
    uint ho = r % pc.Ho;
    r /= pc.Ho;
    uint c = r % pc.C, nb = r / pc.C;
    uint gi = pc.off_g + ((nb * pc.Ho + ho) * pc.Wo + wo) * 2u;
    float gx = float(grid[gi]), gy = float(grid[gi + 1u]);
    float fx, fy;
    if (pc.align_corners != 0u) {
        fx = (gx + 1.0) * 0.5 * float(pc.W - 1u);
        fy = (gy + 1.0) * 0.5 * float(pc.H - 1u);
    } else {
        fx = ((gx + 1.0) * float(pc.W) - 1.0) * 0.5;
        fy = ((gy + 1.0) * float(pc.H) - 1.0) * 0.5;
    }
    float v = 0.0;
    // also false for NaN; keeps floor() within int range for huge coordinates
    if (fx > -1.0 && fy > -1.0 && fx < float(pc.W) && fy < float(pc.H)) {
        float x0f = floor(fx), y0f = floor(fy);
        float ax = fx - x0f, ay = fy - y0f;
        int x0 = int(x0f), y0 = int(y0f);
        uint base = pc.off_x + (nb * pc.C + c) * pc.H * pc.W;
        v = (1.0 - ay) * ((1.0 - ax) * tap(base, x0, y0) + ax * tap(base, x0 + 1, y0)) +
            ay * ((1.0 - ax) * tap(base, x0, y0 + 1) + ax * tap(base, x0 + 1, y0 + 1));
    }
    y[pc.off_y + i] = T(v);
}
