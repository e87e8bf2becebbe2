/* SPDX-License-Identifier: MIT */
// pad.glsl — the body of pad.comp (x a storage buffer) and pad_tex.comp (x an
// element texel buffer, far faster loads on CPU drivers): ONNX Pad for any
// rank up to 8. Each output element finds its source along every axis
// (constant fill, reflection without the edge repeated, or the edge
// repeated). Lanes run along the last axis and loop over rows (rows.glsl):
// the source row, and whether it lies inside x, are the same in every lane,
// so the per-axis divisions are scalar; per lane only the last axis is mapped.
#ifndef VKA_PAD_GLSL
#define VKA_PAD_GLSL

#include "common.glsl"
#include "rows.glsl"

layout(local_size_x = 64) in; // VKA_ROW_WG
// vka_pad_mode: 0 constant, 1 reflect, 2 edge; 3: x is empty, y all constant (x never read)
layout(constant_id = 0) const uint MODE = 0u;
// the rank (0: pc.rank): a constant unrolls the loops over the axes (on
// llvmpipe a loop iteration costs more than the work inside these)
layout(constant_id = 1) const uint RANK = 0u;

// keep in sync with vka__pad_push in runtime/src/op_resize.c
layout(push_constant) uniform Push {
    uint rows;             // the output's elements / its last axis
    uint rank;
    uint yshape[8];
    uint xshape[8];
    int begin[8];          // leading pad per axis (negative: crop)
    float value;
    uint off_x, off_y;
} pc;

// The source of output position o on an axis of n inputs (s = o - begin):
// inside, reflected or clamped; `inside` false where the constant fills it.
int pad_src(int s, int n, inout bool inside)
{
    if (s >= 0 && s < n)
        return s;
    if (MODE == 1u) {
        // reflect about the first and last element: period 2(n-1)
        int p = max(2 * (n - 1), 1);
        s = abs(s) % p;
        return s >= n ? p - s : s;
    }
    if (MODE == 2u)
        return clamp(s, 0, n - 1);
    inside = false;
    return 0;
}

void main()
{
    uint last = (RANK != 0u ? RANK : pc.rank) - 1u, len = pc.yshape[last];
    uint ox = gl_WorkGroupID.x * VKA_ROW_WG + gl_LocalInvocationID.x;
    int n = int(pc.xshape[last]);
    bool lane_in = true;
    int sx = pad_src(int(min(ox, len - 1u)) - pc.begin[last], n, lane_in);
    // the first row's position along the other axes; later rows step it
    uint idx[8];
    uint rem = vka_row_id() * VKA_ROWS_PER_WG;
    for (int d = int(last) - 1; d >= 0; d--) {
        idx[d] = rem % pc.yshape[d];
        rem /= pc.yshape[d];
    }
    for (uint rr = 0u; rr < VKA_ROWS_PER_WG; rr++) {
        uint row = vka_row_id() * VKA_ROWS_PER_WG + rr;
        if (row >= pc.rows)
            break;
        if (MODE == 3u) {
            if (ox < len)
                y[pc.off_y + row * len + ox] = T(pc.value);
            continue;
        }
        // the row's source (the same in every lane)
        uint src = 0u, stride = uint(n);
        bool inside = true;
        for (int d = int(last) - 1; d >= 0; d--) {
            src += uint(pad_src(int(idx[d]) - pc.begin[d], int(pc.xshape[d]), inside)) * stride;
            stride *= pc.xshape[d];
        }
        float v = x_load(pc.off_x + src + uint(sx));
        if (ox < len)
            y[pc.off_y + row * len + ox] = T(inside && lane_in ? v : pc.value);
        bool carry = true;
        for (int d = int(last) - 1; d >= 0; d--)
            if (carry) {
                idx[d]++;
                carry = idx[d] == pc.yshape[d];
                idx[d] = carry ? 0u : idx[d];
            }
    }
}

#endif
