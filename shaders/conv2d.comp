/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// conv2d.comp — direct 2-D convolution, any groups (depthwise included), with
// bias and activation fused: y = act(conv(x, w) + bias).
// An invocation computes an OCT x PX register tile: OCT output channels of one
// group times PX neighbouring output pixels of one row, so every input value it
// loads feeds OCT multiply-adds and every weight PX. The channel tile comes from
// the workgroup id alone, which makes the weight addresses uniform across the
// workgroup: CPU drivers (lavapipe) then load each weight once instead of once
// per lane, and GPUs serve them from the uniform/scalar cache.
// llvmpipe stops a loop after 65535 iterations in total per invocation; the C
// side keeps C/groups·KH·KW well below that (runtime/src/op_conv2d.c).
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"
#include "act.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint OCT = 4u; // output channels per invocation
layout(constant_id = 2) const uint PX = 4u;  // output pixels (along a row) per invocation
// 1: pointwise (1x1, stride 1, no pad) with H·W and the offsets multiples of 4:
// pixels are walked flat, four at a time through vec4 loads (PX must be 4)
layout(constant_id = 3) const uint VEC = 0u;

layout(std430, binding = 0) readonly buffer X { T x[]; };
layout(std430, binding = 0) readonly buffer X4 { T4 x4[]; };
layout(std430, binding = 1) readonly buffer W { T w[]; };
layout(std430, binding = 2) readonly buffer B { T bias[]; };
layout(std430, binding = 3) writeonly buffer Y { T y[]; };

// keep in sync with vka__conv2d_push in runtime/src/op_conv2d.c
layout(push_constant) uniform Push {
    uint c, h, w;          // input channels and size
    uint o, oh, ow;        // output channels and size
    uint kh, kw;
    uint sh, sw;           // stride
    int pt, pl;            // pad top, left
    uint dh, dw;           // dilation
    uint cg, og;           // input and output channels per group
    uint segs;             // ceil(ow / PX): row segments per output row
    uint octiles;          // ceil(og / OCT): channel tiles per group
    uint act;              // VKA_ACT_*
    uint has_bias;
    uint off_x, off_w, off_b, off_y;
} pc;

#include "epi_spec.glsl"
// bias: flag 1 of the epilogue's flags (VKA_CONV_BIAS), as the other convs
#define HAS_BIAS (EPI_FLAGS != 0xffffffffu ? (EPI_FLAGS & 1u) != 0u : pc.has_bias != 0u)

// The pointwise case: a GEMM [O, C] · [C, H·W] per image.
void pointwise()
{
    uint hw = pc.oh * pc.ow;
    uint seg = gl_GlobalInvocationID.x;
    if (seg >= hw / 4u)
        return;
    uint g = gl_WorkGroupID.y / pc.octiles, t = gl_WorkGroupID.y % pc.octiles;
    uint nb = gl_WorkGroupID.z;
    uint oc0 = t * OCT;
    vec4 acc[OCT];
    uint wrow[OCT];
    [[unroll]] for (uint j = 0u; j < OCT; j++) {
        acc[j] = vec4(0.0);
        wrow[j] = (g * pc.og + min(oc0 + j, pc.og - 1u)) * pc.cg + pc.off_w;
    }
    uint xb = ((nb * pc.c + g * pc.cg) * hw + pc.off_x) / 4u + seg;
    for (uint ci = 0u; ci < pc.cg; ci++) {
        vec4 v = vec4(x4[xb + ci * (hw / 4u)]);
        [[unroll]] for (uint j = 0u; j < OCT; j++)
            acc[j] = fma(vec4(float(w[wrow[j] + ci])), v, acc[j]);
    }
    [[unroll]] for (uint j = 0u; j < OCT; j++) {
        if (oc0 + j >= pc.og)
            break;
        uint oc = g * pc.og + oc0 + j;
        float b = HAS_BIAS ? float(bias[pc.off_b + oc]) : 0.0;
        uint yb = pc.off_y + (nb * pc.o + oc) * hw + seg * 4u;
        [[unroll]] for (uint i = 0u; i < 4u; i++)
            y[yb + i] = T(vka_act(acc[j][i] + b, VKA_EPI_ACT));
    }
}

void main()
{
    if (VEC == 1u) {
        pointwise();
        return;
    }
    uint seg = gl_GlobalInvocationID.x;
    if (seg >= pc.oh * pc.segs)
        return;
    uint oy = seg / pc.segs, ox0 = (seg % pc.segs) * PX;
    uint g = gl_WorkGroupID.y / pc.octiles, t = gl_WorkGroupID.y % pc.octiles;
    uint nb = gl_WorkGroupID.z;
    uint oc0 = t * OCT; // within the group
    uint kk = pc.kh * pc.kw;

    float acc[OCT][PX];
    [[unroll]] for (uint j = 0u; j < OCT; j++)
        [[unroll]] for (uint i = 0u; i < PX; i++)
            acc[j][i] = 0.0;

    // weight rows past the group's last channel repeat its last row (never written)
    uint wrow[OCT];
    [[unroll]] for (uint j = 0u; j < OCT; j++)
        wrow[j] = (g * pc.og + min(oc0 + j, pc.og - 1u)) * pc.cg * kk;

    int iy0 = int(oy * pc.sh) - pc.pt;
    int ix0 = int(ox0 * pc.sw) - pc.pl;
    uint xplane = (nb * pc.c + g * pc.cg) * pc.h * pc.w + pc.off_x;
    for (uint ci = 0u; ci < pc.cg; ci++) {
        uint xb = xplane + ci * pc.h * pc.w;
        uint wb = pc.off_w + ci * kk;
        for (uint ky = 0u; ky < pc.kh; ky++) {
            int iy = iy0 + int(ky * pc.dh);
            if (iy < 0 || iy >= int(pc.h))
                continue;
            uint xr = xb + uint(iy) * pc.w;
            for (uint kx = 0u; kx < pc.kw; kx++) {
                float xv[PX];
                [[unroll]] for (uint i = 0u; i < PX; i++) {
                    int ix = ix0 + int(i * pc.sw + kx * pc.dw);
                    bool ok = ix >= 0 && ix < int(pc.w);
                    // always load from a valid address; padding reads as 0
                    float v = float(x[xr + uint(clamp(ix, 0, int(pc.w) - 1))]);
                    xv[i] = ok ? v : 0.0;
                }
                uint wk = wb + ky * pc.kw + kx;
                [[unroll]] for (uint j = 0u; j < OCT; j++) {
                    float wv = float(w[wrow[j] + wk]);
                    [[unroll]] for (uint i = 0u; i < PX; i++)
                        acc[j][i] = fma(wv, xv[i], acc[j][i]);
                }
            }
        }
    }

    [[unroll]] for (uint j = 0u; j < OCT; j++) {
        if (oc0 + j >= pc.og)
            break;
        uint oc = g * pc.og + oc0 + j;
        float b = HAS_BIAS ? float(bias[pc.off_b + oc]) : 0.0;
        uint yb = pc.off_y + ((nb * pc.o + oc) * pc.oh + oy) * pc.ow;
        [[unroll]] for (uint i = 0u; i < PX; i++)
            if (ox0 + i < pc.ow)
                y[yb + ox0 + i] = T(vka_act(acc[j][i] + b, VKA_EPI_ACT));
    }
}
