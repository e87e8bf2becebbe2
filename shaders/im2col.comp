// vka-variants: f32 f16
// im2col.comp — unfolds x [N, C, H, W] into cols [N*OH*OW, C*KH*KW] (one row per
// output pixel, columns ordered (c, ky, kx) like the weight [O, C, KH, KW]), so a
// convolution is one GEMM: cols · Wᵀ. Padding reads as zero.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer X { T x[]; };
layout(std430, binding = 1) writeonly buffer Cols { T cols[]; };

// keep in sync with vka__im2col_push in runtime/src/op_conv.c
layout(push_constant) uniform Push {
    uint n, c, h, w;
    uint oh, ow, kh, kw;
    uint stride_h, stride_w, pad_h, pad_w;
    uint dil_h, dil_w;
    uint off_x, off_cols;
    uint total;            // N*OH*OW*C*KH*KW
} pc;

void main()
{
    uint i = vka_group_id() * 256u + gl_LocalInvocationID.x;
    if (i >= pc.total)
        return;
    uint k = pc.c * pc.kh * pc.kw;
    uint col = i % k, row = i / k;
    uint kx = col % pc.kw, ky = (col / pc.kw) % pc.kh, ch = col / (pc.kw * pc.kh);
    uint ox = row % pc.ow, oy = (row / pc.ow) % pc.oh, b = row / (pc.ow * pc.oh);
    int iy = int(oy * pc.stride_h + ky * pc.dil_h) - int(pc.pad_h);
    int ix = int(ox * pc.stride_w + kx * pc.dil_w) - int(pc.pad_w);
    float v = 0.0;
    if (iy >= 0 && iy < int(pc.h) && ix >= 0 && ix < int(pc.w))
        v = float(x[pc.off_x + ((b * pc.c + ch) * pc.h + uint(iy)) * pc.w + uint(ix)]);
    cols[pc.off_cols + i] = T(v);
}
