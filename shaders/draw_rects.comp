/* SPDX-License-Identifier: MIT */
// draw_rects.comp — n rects I32 [>= n, 5] (x0, y0, x1, y1 exclusive,
// 0xAARRGGBB) filled into an RGBA8 dst, alpha-blended. A scatter: rect r is
// drawn by the workgroups with group id r (x and y, vka__grid1d), its clipped
// pixels walked flat and shared out over the 64 invocations of the
// gl_NumWorkGroups.z chunks. llvmpipe stops an invocation after 65535 loop
// iterations in all; the C side picks the chunk count so that even a rect
// covering all of dst takes at most 16384 per invocation.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "draw.glsl"

layout(local_size_x = 64) in;

layout(std430, binding = 0) readonly buffer Rects { int rects[]; };
layout(std430, binding = 1) buffer Dst { uint dst[]; };

// keep in sync with vka__draw_rects_push in runtime/src/op_draw.c
layout(push_constant) uniform Push {
    int w, h;            // dst in pixels
    int n;               // rects to draw
    int bgra;
    uint off_rects;      // vka__off of rects (ints)
    uint off_dst;        // of dst, in words
} pc;

void main()
{
    uint r = vka_group_id();
    if (r >= uint(pc.n))
        return;
    uint b = pc.off_rects + r * 5u;
    int x0 = max(rects[b], 0), y0 = max(rects[b + 1u], 0);
    int x1 = min(rects[b + 2u], pc.w), y1 = min(rects[b + 3u], pc.h);
    if (x1 <= x0 || y1 <= y0)
        return;
    uint col = uint(rects[b + 4u]);
    bool bgra = pc.bgra != 0, opaque = (col >> 24) == 255u;
    uint word = vka_pack(vka_argb(col), bgra);
    uint rw = uint(x1 - x0), npx = rw * uint(y1 - y0);
    uint step = gl_WorkGroupSize.x * gl_NumWorkGroups.z;
    for (uint p = gl_WorkGroupID.z * gl_WorkGroupSize.x + gl_LocalInvocationID.x; p < npx; p += step) {
        uint i = pc.off_dst + (uint(y0) + p / rw) * uint(pc.w) + uint(x0) + p % rw;
        dst[i] = opaque ? word : vka_blend(dst[i], col, bgra);
    }
}
