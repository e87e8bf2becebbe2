/* SPDX-License-Identifier: MIT */
// draw_image.comp — a rect of an RGB U8 [h, w, 3] image scaled bilinearly into
// a rect of an RGBA8 dst, optionally blended with an inferno colormap of a
// heat map F32 [gh, gw] spread over part of the image. One invocation per dst
// pixel of the destination rect clipped to dst; the C side dispatches only the
// clipped rect, so every invocation in range writes exactly its own pixel.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_8bit_storage : require
#include "draw.glsl"

layout(local_size_x = 16, local_size_y = 16) in;
// false when no map is bound: on llvmpipe the map code cost every pixel even
// with its branch never taken (15 vs 23 ms for 1440x1080, measured)
layout(constant_id = 0) const bool HAS_MAP = true;

layout(std430, binding = 0) readonly buffer Src { uint8_t src[]; };
layout(std430, binding = 1) readonly buffer Map { float map[]; };
layout(std430, binding = 2) buffer Dst { uint dst[]; };

// keep in sync with vka__draw_image_push in runtime/src/op_draw.c
layout(push_constant) uniform Push {
    int src_w;                 // src row length in pixels
    int sx0, sy0, sx1, sy1;    // source rect (clamped edges)
    int dst_w;                 // dst row length in pixels
    int cx0, cy0, cw, ch;      // the destination rect clipped to dst
    int lx0, ly0;              // (cx0, cy0) relative to the destination rect's corner
    float scale_x, scale_y;    // source pixels per destination pixel
    uint off_src, off_map;     // vka__off of src (bytes) and map (floats)
    uint off_dst;              // of dst, in words
    int gw, gh;                // map size
    int bgra;
    float opacity;
    float lo, inv;             // t = (v - lo)·inv; inv = 1 / (hi - lo), 0 when hi == lo
    float mx0, my0, mx1, my1;  // map rect in source pixels
    float msx, msy;            // map cells per source pixel
} pc;

// matplotlib's inferno at 9 stops, as apps/heatmap.c (dark = low, bright = high),
// piecewise linear: the stops are summed as clamped ramps, the same function
// as a table lookup and lerp. llvmpipe indexes a constant array per lane
// through memory: the lookup cost about a third of the kernel there.
#define STOP0 vec3(0, 0, 4)
#define STOP1 vec3(31, 12, 72)
#define STOP2 vec3(85, 15, 109)
#define STOP3 vec3(136, 34, 106)
#define STOP4 vec3(186, 54, 85)
#define STOP5 vec3(227, 89, 51)
#define STOP6 vec3(249, 140, 10)
#define STOP7 vec3(249, 201, 50)
#define STOP8 vec3(252, 255, 164)

vec3 inferno(float t)
{
    t = t >= 0.0 ? min(t, 1.0) : 0.0; // NaN to the dark end
    float f = t * 8.0;
    return STOP0 + clamp(f, 0.0, 1.0) * (STOP1 - STOP0) + clamp(f - 1.0, 0.0, 1.0) * (STOP2 - STOP1) +
           clamp(f - 2.0, 0.0, 1.0) * (STOP3 - STOP2) + clamp(f - 3.0, 0.0, 1.0) * (STOP4 - STOP3) +
           clamp(f - 4.0, 0.0, 1.0) * (STOP5 - STOP4) + clamp(f - 5.0, 0.0, 1.0) * (STOP6 - STOP5) +
           clamp(f - 6.0, 0.0, 1.0) * (STOP7 - STOP6) + clamp(f - 7.0, 0.0, 1.0) * (STOP8 - STOP7);
}

vec3 src_px(int x, int y)
{
    uint i = pc.off_src + uint(y * pc.src_w + x) * 3u;
    return vec3(float(uint(src[i])), float(uint(src[i + 1u])), float(uint(src[i + 2u])));
}

float map_at(int x, int y) { return map[pc.off_map + uint(y * pc.gw + x)]; }

void main()
{
    int ox = int(gl_GlobalInvocationID.x), oy = int(gl_GlobalInvocationID.y);
    if (ox >= pc.cw || oy >= pc.ch)
        return;
    // the pixel's centre in source pixels (pixel i spans [i, i + 1])
    float u = float(pc.sx0) + (float(pc.lx0 + ox) + 0.5) * pc.scale_x;
    float v = float(pc.sy0) + (float(pc.ly0 + oy) + 0.5) * pc.scale_y;
    float fx = clamp(u - 0.5, float(pc.sx0), float(pc.sx1 - 1));
    float fy = clamp(v - 0.5, float(pc.sy0), float(pc.sy1 - 1));
    int x0 = int(fx), y0 = int(fy); // >= 0: truncation is floor
    int x1 = min(x0 + 1, pc.sx1 - 1), y1 = min(y0 + 1, pc.sy1 - 1);
    float ax = fx - float(x0), ay = fy - float(y0);
    vec3 c = mix(mix(src_px(x0, y0), src_px(x1, y0), ax), mix(src_px(x0, y1), src_px(x1, y1), ax), ay);
    if (HAS_MAP && u >= pc.mx0 && u < pc.mx1 && v >= pc.my0 && v < pc.my1) {
        float gx = clamp((u - pc.mx0) * pc.msx - 0.5, 0.0, float(pc.gw - 1));
        float gy = clamp((v - pc.my0) * pc.msy - 0.5, 0.0, float(pc.gh - 1));
        int i0 = min(int(gx), pc.gw - 1), j0 = min(int(gy), pc.gh - 1);
        int i1 = min(i0 + 1, pc.gw - 1), j1 = min(j0 + 1, pc.gh - 1);
        float bx = gx - float(i0), by = gy - float(j0);
        float m = mix(mix(map_at(i0, j0), map_at(i1, j0), bx), mix(map_at(i0, j1), map_at(i1, j1), bx), by);
        c = mix(c, inferno((m - pc.lo) * pc.inv), pc.opacity);
    }
    dst[pc.off_dst + uint((pc.cy0 + oy) * pc.dst_w + pc.cx0 + ox)] = vka_pack(vec4(c, 255.0), pc.bgra != 0);
}
