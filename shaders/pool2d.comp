/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// pool2d.comp — max or average pooling over KH x KW windows of x [N, C, H, W];
// one output per invocation. Window positions are in padded coordinates: the
// part inside x is read, the part inside the padding counts toward the average
// divisor only with count_include_pad, and the part past the padding (ceil_mode
// windows) never counts (ONNX reference / PyTorch semantics).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 256) in;
layout(constant_id = 0) const uint AVG = 0u; // 0 max, 1 average (vka_pool_op)

layout(std430, binding = 0) readonly buffer X { T x[]; };
layout(std430, binding = 1) writeonly buffer Y { T y[]; };

// keep in sync with vka__pool_push in runtime/src/op_pool.c
layout(push_constant) uniform Push {
    uint total;            // N·C·OH·OW
    uint h, w, oh, ow;
    uint kh, kw, sh, sw, dh, dw;
    int pt, pl, pb, pr;
    uint include_pad;
    uint off_x, off_y;
} pc;

void main()
{
    uint i = vka_group_id() * 256u + gl_LocalInvocationID.x;
    if (i >= pc.total)
        return;
    uint ox = i % pc.ow, oy = (i / pc.ow) % pc.oh, nc = i / (pc.ow * pc.oh);
    int y0 = int(oy * pc.sh) - pc.pt, x0 = int(ox * pc.sw) - pc.pl;
    uint xb = pc.off_x + nc * pc.h * pc.w;
    float acc = AVG != 0u ? 0.0 : -1.0 / 0.0;
    uint n = 0u, npad = 0u;
    for (uint ky = 0u; ky < pc.kh; ky++) {
        int iy = y0 + int(ky * pc.dh);
        if (iy >= int(pc.h) + pc.pb)
            break;
        bool rowin = iy >= 0 && iy < int(pc.h);
        for (uint kx = 0u; kx < pc.kw; kx++) {
            int ix = x0 + int(kx * pc.dw);
            if (ix >= int(pc.w) + pc.pr)
                break;
            npad++;
            if (!rowin || ix < 0 || ix >= int(pc.w))
                continue;
            float v = float(x[xb + uint(iy) * pc.w + uint(ix)]);
            // a NaN input wins the max as in ONNX Runtime / PyTorch
            acc = AVG != 0u ? acc + v : (v > acc || isnan(v) ? v : acc);
            n++;
        }
    }
    float r;
    if (AVG != 0u)
        r = acc / float(pc.include_pad != 0u ? npad : max(n, 1u));
    else
        r = n > 0u ? acc : 0.0; // a window entirely in the padding: nothing to take the max of
    y[pc.off_y + i] = T(r);
}
