/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// pool2d_tile.comp — max or average pooling (the semantics of
// include/pool2d.glsl: windows in padded coordinates, the padding counted
// toward an average only with count_include_pad, ceil_mode overhang never
// counted, a NaN wins the max, max over a window with nothing in it is 0) laid
// out as conv2d_dw.comp: a lane computes PX (4 or 8) neighbouring outputs of
// RPW consecutive rows of one plane (batch x channel), lanes numbered across
// planes so that workgroups stay full. It walks the input rows its outputs
// read once each, top to bottom, and folds each into every output row whose
// window reads it: a 2x2 window at stride 1 loads 9 rows for 8 output rows
// instead of 16, as 4-vector texels where x's rows are whole aligned texels.
// Window size, strides and dilations are specialization constants, so every
// loop unrolls and the choice of output row and tap per input row is made at
// compile time. Whether an input counts is separable (its row counts and its
// column counts), so the divisors of the average and "was anything taken" of
// the max are a row count times a column count per output.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require

#include "common.glsl"
#include "pool_push.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 64;
layout(constant_id = 1) const uint RPW = 8;  // output rows per lane
layout(constant_id = 2) const uint KHS = 2;  // window height
layout(constant_id = 3) const uint KWS = 2;  // window width
layout(constant_id = 4) const uint SHS = 1;  // vertical stride
layout(constant_id = 5) const uint SWS = 1;  // horizontal stride
layout(constant_id = 6) const uint DHS = 1;  // vertical dilation
layout(constant_id = 7) const uint DWS = 1;  // horizontal dilation
layout(constant_id = 8) const uint AVG = 0;  // 0 max, 1 average (vka_pool_op)
layout(constant_id = 9) const uint PADV = 0; // max: the padding holds pc.padv and takes part
layout(constant_id = 10) const uint XV = 0;  // 1: x's rows as 4-vector texels
layout(constant_id = 11) const uint PH = 0;  // XV: the phase of every lane's first input, (-pad_left) & 3
layout(constant_id = 12) const uint NV = 1;  // 4-output vectors per row of a lane (1 or 2)
layout(constant_id = 13) const uint Y4 = 0;  // 1: y's rows are whole aligned 4-vectors (vector stores)

#if defined(VKA_F16) && VKA_F16
layout(binding = 0, r16f) uniform readonly imageBuffer x_tex;
layout(binding = 1, rgba16f) uniform readonly imageBuffer x4_tex;
#else
layout(binding = 0, r32f) uniform readonly imageBuffer x_tex;
layout(binding = 1, rgba32f) uniform readonly imageBuffer x4_tex;
#endif
layout(std430, binding = 2) writeonly buffer Y { T y[]; };
layout(std430, binding = 2) writeonly buffer Y4B { T4 y4[]; };

#include "tile_rows.glsl"

void main()
{
    uint nplanes = pc.rows / pc.oh;
    Tile tl = tile_of(vka_group_id() * WG + gl_LocalInvocationID.x, nplanes, pc.oh, pc.ow);
    uint plane = tl.plane, ox0 = tl.ox0, oy0 = tl.oy0;
    bool live = tl.live;
    int ix0 = int(ox0 * SWS) - pc.pl, iy0 = int(oy0 * SHS) - pc.pt;
    uint xplane = pc.off_x + plane * pc.h * pc.w;
    int xlast = int(pc.off_x + nplanes * pc.h * pc.w) - 1; // x's last element

    // which of a row's inputs lie inside x, and inside x or its padding (the
    // same for every row; a window never starts left of the padding)
    bool colin[VKA_TILE_LMAX], colcnt[VKA_TILE_LMAX];
    [[unroll]] for (uint u = 0; u < L; u++) {
        int ix = ix0 + int(u);
        colin[u] = uint(ix) < pc.w;
        colcnt[u] = ix < int(pc.w) + pc.pr;
    }
    // per output column: the window's columns inside x and inside x or its padding
    vec4 cxin[2], cxcnt[2];
    [[unroll]] for (uint v = 0; v < NV; v++)
        [[unroll]] for (uint k = 0; k < 4u; k++) {
            float a = 0.0, b = 0.0;
            [[unroll]] for (uint kx = 0; kx < KWS; kx++) {
                uint u = (4u * v + k) * SWS + kx * DWS;
                a += colin[u] ? 1.0 : 0.0;
                b += colcnt[u] ? 1.0 : 0.0;
            }
            cxin[v][k] = a, cxcnt[v][k] = b;
        }

    const float NEG_INF = -1.0 / 0.0;
    vec4 acc[RPW * NV];
    float ryin[RPW], rycnt[RPW]; // per output row: the window's rows inside x, inside x or its padding
    [[unroll]] for (uint r = 0; r < RPW; r++) {
        ryin[r] = 0.0, rycnt[r] = 0.0;
        [[unroll]] for (uint v = 0; v < NV; v++)
            acc[r * NV + v] = vec4(AVG != 0u ? 0.0 : NEG_INF);
    }
    [[unroll]] for (uint j = 0; j < NR; j++) {
        if (!row_used(j))
            continue;
        int iy = iy0 + int(j);
        bool rowin = uint(iy) < pc.h, rowcnt = iy < int(pc.h) + pc.pb;
        // the row's first input (its row clamped into the plane: rows of the
        // padding read a real row and are replaced below)
        int e = int(xplane) + clamp(iy, 0, int(pc.h) - 1) * int(pc.w) + ix0;
        float seg[VKA_TILE_LMAX];
        load_row(e, xlast, seg);
        // average: what lies outside x adds 0; max: the padding's value
        // where it takes part, else -inf (never wins)
        [[unroll]] for (uint u = 0; u < L; u++) {
            float pad = AVG == 0u && PADV != 0u && rowcnt && colcnt[u] ? pc.padv : (AVG != 0u ? 0.0 : NEG_INF);
            seg[u] = rowin && colin[u] ? seg[u] : pad;
        }
        [[unroll]] for (uint ky = 0; ky < KHS; ky++) {
            if (!reads_row(j, ky))
                continue;
            uint r = (j - ky * DHS) / SHS;
            ryin[r] += rowin ? 1.0 : 0.0;
            rycnt[r] += rowcnt ? 1.0 : 0.0;
            [[unroll]] for (uint kx = 0; kx < KWS; kx++)
                [[unroll]] for (uint v = 0; v < NV; v++) {
                    uint u0 = kx * DWS + 4u * v * SWS;
                    vec4 xv = vec4(seg[u0], seg[u0 + SWS], seg[u0 + 2u * SWS], seg[u0 + 3u * SWS]);
                    vec4 a = acc[r * NV + v];
                    if (AVG != 0u)
                        acc[r * NV + v] = a + xv;
                    else // a NaN input wins the max, as in ONNX Runtime / PyTorch
                        acc[r * NV + v] = mix(a, xv, bvec4(uvec4(greaterThan(xv, a)) | uvec4(isnan(xv))));
                }
        }
        // the output row whose last input row this was
        if (reads_row(j, KHS - 1u)) {
            uint r = (j - (KHS - 1u) * DHS) / SHS, oy = oy0 + r;
            [[unroll]] for (uint v = 0; v < NV; v++) {
                uint ox = ox0 + 4u * v;
                vec4 res;
                if (AVG != 0u) {
                    vec4 d = pc.include_pad != 0u ? rycnt[r] * cxcnt[v] : max(ryin[r] * cxin[v], vec4(1.0));
                    res = acc[r * NV + v] / d;
                } else { // a window with nothing taken (entirely in a padding that does not take part) is 0
                    vec4 n = PADV != 0u ? rycnt[r] * cxcnt[v] : ryin[r] * cxin[v];
                    res = mix(vec4(0.0), acc[r * NV + v], greaterThan(n, vec4(0.0)));
                }
                uint yi = pc.off_y + (plane * pc.oh + oy) * pc.ow + ox;
                if (live && oy < pc.oh && ox < pc.ow) {
                    if (Y4 != 0u) {
                        y4[yi >> 2u] = T4(res);
                    } else {
                        uint n = min(pc.ow - ox, 4u);
                        [[unroll]] for (uint k = 0; k < 4u; k++)
                            if (k < n)
                                y[yi + k] = T(res[k]);
                    }
                }
            }
        }
    }
}
