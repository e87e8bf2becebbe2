/* SPDX-License-Identifier: MIT */
// yuyv_rgb.comp — YUYV 4:2:2 U8 [H, W·2] -> RGB U8 [H, W, 3], BT.601 limited
// range. One invocation per pixel pair: the pair shares its U and V, so one
// 4-byte read feeds two pixels.
#version 450
#extension GL_EXT_shader_8bit_storage : require

layout(local_size_x = 16, local_size_y = 16) in;

layout(std430, binding = 0) readonly buffer In { uint8_t yuyv[]; };
layout(std430, binding = 1) writeonly buffer Out { uint8_t rgb[]; };

// keep in sync with vka__yuyv_push in runtime/src/op_preprocess.c
layout(push_constant) uniform Push {
    int w, h;              // pixels (w even)
    uint off_in, off_out;  // vka__off of the tensors
    float ky;              // 255/219: Y 16..235 -> 0..255
    float rv, gu, gv, bu;  // chroma terms, derived from Kr, Kb on the host
} pc;

uint8_t u8(float x) { return uint8_t(uint(clamp(floor(x + 0.5), 0.0, 255.0))); }

void put(uint o, float y, float u, float v)
{
    rgb[o] = u8(y + pc.rv * v);
    rgb[o + 1u] = u8(y - pc.gu * u - pc.gv * v);
    rgb[o + 2u] = u8(y + pc.bu * u);
}

void main()
{
    uint px = gl_GlobalInvocationID.x, row = gl_GlobalInvocationID.y;
    if (px >= uint(pc.w / 2) || row >= uint(pc.h))
        return;
    uint i = pc.off_in + row * uint(pc.w) * 2u + px * 4u;
    float y0 = pc.ky * (float(uint(yuyv[i])) - 16.0), y1 = pc.ky * (float(uint(yuyv[i + 2u])) - 16.0);
    float u = float(uint(yuyv[i + 1u])) - 128.0, v = float(uint(yuyv[i + 3u])) - 128.0;
    uint o = pc.off_out + (row * uint(pc.w) + px * 2u) * 3u;
    put(o, y0, u, v);
    put(o + 3u, y1, u, v);
}
