/* SPDX-License-Identifier: MIT */
// pool2d.glsl — the body of pool2d.comp (x a storage buffer) and
// pool2d_tex.comp (x an element texel buffer, far faster loads on CPU
// drivers): max or average pooling over KH x KW windows of x [N, C, H, W].
// A workgroup computes VKA_ROW_WG outputs of one output row (rows.glsl): the
// window's rows, and which of them lie inside x or its padding, are the same
// in every lane. Window positions are in padded coordinates: the part inside
// x is read, the part inside the padding counts toward the average divisor
// only with count_include_pad, and the part past the padding (ceil_mode
// windows) never counts (ONNX reference / PyTorch semantics). Loads are at
// clamped addresses and masked by selects, not branched around.
#ifndef VKA_POOL2D_GLSL
#define VKA_POOL2D_GLSL

#include "common.glsl"
#include "rows.glsl"

layout(local_size_x = 64) in; // VKA_ROW_WG
layout(constant_id = 0) const uint AVG = 0u; // 0 max, 1 average (vka_pool_op)
// the window's size where it is small (0: pc.kh, pc.kw): constant loops unroll,
// and a loop's iterations cost llvmpipe several times the window's own work
layout(constant_id = 1) const uint KH = 0u;
layout(constant_id = 2) const uint KW = 0u;
// max: the padding holds pc.padv (a constant Pad folded into the pool by the
// graph) and takes part in the max, instead of never winning it
layout(constant_id = 3) const uint PADV = 0u;

#include "pool_push.glsl"

void main()
{
    uint ox = gl_WorkGroupID.x * VKA_ROW_WG + gl_LocalInvocationID.x;
    int x0 = int(min(ox, pc.ow - 1u) * pc.sw) - pc.pl;
    for (uint rr = 0u; rr < VKA_ROWS_PER_WG; rr++) {
        uint row = vka_row_id() * VKA_ROWS_PER_WG + rr;
        if (row >= pc.rows)
            break;
        uint oy = row % pc.oh, nc = row / pc.oh;
        int y0 = int(oy * pc.sh) - pc.pt;
        uint xb = pc.off_x + nc * pc.h * pc.w;
        float acc = AVG != 0u ? 0.0 : -1.0 / 0.0;
        uint n = 0u, npad = 0u;
        for (uint ky = 0u; ky < (KH != 0u ? KH : pc.kh); ky++) {
            int iy = y0 + int(ky * pc.dh);
            bool rowcount = iy < int(pc.h) + pc.pb, rowin = iy >= 0 && iy < int(pc.h);
            uint rb = xb + uint(clamp(iy, 0, int(pc.h) - 1)) * pc.w;
            for (uint kx = 0u; kx < (KW != 0u ? KW : pc.kw); kx++) {
                int ix = x0 + int(kx * pc.dw);
                bool counted = rowcount && ix < int(pc.w) + pc.pr;
                bool in_ = rowin && ix >= 0 && ix < int(pc.w);
                float v = x_load(rb + uint(clamp(ix, 0, int(pc.w) - 1)));
                bool take = in_ || (PADV != 0u && counted);
                v = in_ ? v : pc.padv;
                npad += counted ? 1u : 0u;
                n += take ? 1u : 0u;
                // a NaN input wins the max as in ONNX Runtime / PyTorch
                acc = AVG != 0u ? acc + (in_ ? v : 0.0) : (take && (v > acc || isnan(v)) ? v : acc);
            }
        }
        float r;
        if (AVG != 0u)
            r = acc / float(pc.include_pad != 0u ? npad : max(n, 1u));
        else
            r = n > 0u ? acc : 0.0; // a window entirely in the padding: nothing to take the max of
        if (ox < pc.ow)
            y[pc.off_y + row * pc.ow + ox] = T(r);
    }
}

#endif
