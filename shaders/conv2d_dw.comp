/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// conv2d_dw.comp — depthwise convolution (groups == C == O) with the fused
// epilogue of conv_common.glsl.
// A lane computes PX (4 or 8) neighbouring outputs of RPW consecutive rows of
// one channel; lanes are numbered across channels and batch, so workgroups
// stay full however small a plane is. It walks the input rows those outputs
// read once each, top to bottom, and adds each row into every output row that
// reads it, so an input row is loaded once per lane instead of once per
// kernel row (a 3x3 at RPW 8 loads 10 rows for 8 output rows, not 24). A
// row's inputs are 4-vector texels where x's rows are whole aligned texels
// (XV = 1: 4 texel loads instead of 10 element loads for 8 outputs of a 3x3),
// else element texels. Kernel size, strides and dilations are specialization constants and
// every loop has a constant trip count and unrolls, so the choice of output
// row and tap per input row is made at compile time (llvmpipe: a loop
// iteration costs more than a small kernel's work).
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require

#include "conv_common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 8;
layout(constant_id = 1) const uint RPW = 8; // output rows per lane
layout(constant_id = 2) const uint KWS = 3; // kernel width
layout(constant_id = 3) const uint SWS = 1; // horizontal stride
layout(constant_id = 4) const uint DWS = 1; // horizontal dilation
// (5 and 6: the epilogue, epi_spec.glsl)
layout(constant_id = 7) const uint KHS = 3;  // kernel height
layout(constant_id = 8) const uint SHS = 1;  // vertical stride
layout(constant_id = 9) const uint DHS = 1;  // vertical dilation
layout(constant_id = 10) const uint XV = 0;  // 1: x's rows as 4-vector texels
layout(constant_id = 11) const uint PH = 0;  // XV: the phase of every lane's first input, (-pad_left) & 3
layout(constant_id = 12) const uint NV = 1;  // 4-output vectors per row of a lane (1 or 2)

layout(binding = 0, VKA_CONV_TEX1) uniform readonly imageBuffer x_tex;
layout(binding = 1, VKA_CONV_TEX1) uniform readonly imageBuffer w_tex;
layout(binding = 2, VKA_CONV_TEX4) uniform readonly imageBuffer x4_tex;

// the most weights (keep in sync with op_conv2d.c's variant_ok)
#define VKA_DW_KMAX 256

#include "tile_rows.glsl"

void main()
{
    // the lane's tile (tile_rows.glsl)
    uint lane = (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * WG + gl_LocalInvocationID.x;
    uint nplanes = pc.tiles; // batch x channels
    Tile tl = tile_of(lane, nplanes, pc.oh, pc.ow);
    uint plane = tl.plane, ox0 = tl.ox0, oy0 = tl.oy0;
    bool live = tl.live;
    uint ch = plane % pc.c; // y's planes are x's (O == C)
    int ix0 = int(ox0 * SWS) - pc.pl, iy0 = int(oy0 * SHS) - pc.pt;
    uint xplane = pc.off_x + plane * pc.h * pc.w;
    int xlast = int(pc.off_x + nplanes * pc.h * pc.w) - 1; // x's last element

    float wv[VKA_DW_KMAX];
    uint wb = pc.off_w + ch * pc.w_gs;
    [[unroll]] for (uint k = 0; k < KHS * KWS; k++)
        wv[k] = imageLoad(w_tex, int(wb + k * pc.w_ks)).x;
    // which of a row's inputs lie inside it (the same for every row)
    bool colin[VKA_TILE_LMAX];
    [[unroll]] for (uint u = 0; u < L; u++)
        colin[u] = uint(ix0 + int(u)) < pc.w;
    ConvChan cc = conv_chan(ch);

    vec4 acc[RPW * NV];
    [[unroll]] for (uint r = 0; r < RPW * NV; r++)
        acc[r] = vec4(0.0);
    [[unroll]] for (uint j = 0; j < NR; j++) {
        if (!row_used(j))
            continue;
        int iy = iy0 + int(j);
        bool rowin = uint(iy) < pc.h;
        // the row's first input (its row clamped into the plane: padding rows
        // read a real row and are zeroed below)
        int e = int(xplane) + clamp(iy, 0, int(pc.h) - 1) * int(pc.w) + ix0;
        float seg[VKA_TILE_LMAX];
        load_row(e, xlast, seg);
        [[unroll]] for (uint u = 0; u < L; u++)
            seg[u] = rowin && colin[u] ? seg[u] : 0.0;
        // every output row r and kernel row ky that read it
        [[unroll]] for (uint ky = 0; ky < KHS; ky++) {
            if (!reads_row(j, ky))
                continue;
            uint r = (j - ky * DHS) / SHS;
            [[unroll]] for (uint kx = 0; kx < KWS; kx++)
                [[unroll]] for (uint v = 0; v < NV; v++) {
                    uint u0 = kx * DWS + 4u * v * SWS;
                    vec4 xv = vec4(seg[u0], seg[u0 + SWS], seg[u0 + 2u * SWS], seg[u0 + 3u * SWS]);
                    acc[r * NV + v] = fma(vec4(wv[ky * KWS + kx]), xv, acc[r * NV + v]);
                }
        }
        // the output row whose last input row this was
        if (reads_row(j, KHS - 1u)) {
            uint r = (j - (KHS - 1u) * DHS) / SHS, oy = oy0 + r;
            [[unroll]] for (uint v = 0; v < NV; v++) {
                uint ox = ox0 + 4u * v;
                if (live && oy < pc.oh && ox < pc.ow)
                    conv_store4c(cc, (plane * pc.oh + oy) * pc.ow + ox, acc[r * NV + v], min(pc.ow - ox, 4u));
            }
        }
    }
}
