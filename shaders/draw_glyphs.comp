/* SPDX-License-Identifier: MIT */
// draw_glyphs.comp — n glyphs I32 [>= n, 4] (x, y, char | scale << 8,
// 0xAARRGGBB) of a 1-bit font I32 [nchars, font_h] drawn into an RGBA8 dst,
// alpha-blended. A scatter: glyph g is drawn by the workgroup with group id g
// (vka__grid1d), its clipped pixels walked flat over 64 invocations. A glyph
// is at most 32·16 x 64·16 pixels, 8192 per invocation: under llvmpipe's limit
// of 65535 loop iterations per invocation.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "draw.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer Font { int font[]; };
layout(std430, binding = 1) readonly buffer Glyphs { int glyphs[]; };
layout(std430, binding = 2) buffer Dst { uint dst[]; };

// keep in sync with vka__draw_glyphs_push in runtime/src/op_draw.c
layout(push_constant) uniform Push {
    int w, h;            // dst in pixels
    int n;               // glyphs to draw
    int bgra;
    int nchars;          // rows of font / font_h
    int font_w, font_h;  // 1..32, 1..64
    uint off_font, off_glyphs; // vka__off of font and glyphs (ints)
    uint off_dst;        // of dst, in words
} pc;

void main()
{
    uint g = vka_group_id();
    if (g >= uint(pc.n))
        return;
    uint b = pc.off_glyphs + g * 4u;
    int gx = glyphs[b], gy = glyphs[b + 1u], cs = glyphs[b + 2u];
    uint col = uint(glyphs[b + 3u]);
    int c = cs & 255, scale = cs >> 8;
    if (scale < 1 || scale > 16 || c >= pc.nchars)
        return;
    int gw = pc.font_w * scale, gh = pc.font_h * scale;
    // compared before any sum so that coordinates near INT_MAX cannot wrap
    if (gx >= pc.w || gy >= pc.h || gx <= -gw || gy <= -gh)
        return;
    int x0 = max(gx, 0), y0 = max(gy, 0), x1 = min(gx + gw, pc.w), y1 = min(gy + gh, pc.h);
    bool bgra = pc.bgra != 0, opaque = (col >> 24) == 255u;
    uint word = vka_pack(vka_argb(col), bgra);
    uint rw = uint(x1 - x0), npx = rw * uint(y1 - y0);
    uint rows = pc.off_font + uint(c * pc.font_h);
    for (uint p = gl_LocalInvocationID.x; p < npx; p += gl_WorkGroupSize.x) {
        int x = x0 + int(p % rw), y = y0 + int(p / rw);
        uint bits = uint(font[rows + uint((y - gy) / scale)]);
        if (((bits >> uint(pc.font_w - 1 - (x - gx) / scale)) & 1u) == 0u)
            continue;
        uint i = pc.off_dst + uint(y) * uint(pc.w) + uint(x);
        dst[i] = opaque ? word : vka_blend(dst[i], col, bgra);
    }
}
