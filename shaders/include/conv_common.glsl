/* SPDX-License-Identifier: MIT */
// conv_common.glsl — push constants, epilogue bindings and the fused epilogue
// shared by the implicit-GEMM convolutions (conv2d_tex.comp, conv2d_shared.comp)
// and the depthwise kernel (conv2d_dw.comp). x and w are bound by each kernel
// at bindings 0-2 (texel buffers on CPU drivers, storage buffers in the
// shared-memory kernel), the epilogue's buffers at 3-7.
#ifndef VKA_CONV_COMMON_GLSL
#define VKA_CONV_COMMON_GLSL

#include "common.glsl"
#include "act.glsl"

layout(std430, binding = 3) writeonly buffer Y { T y_buf[]; };
layout(std430, binding = 3) writeonly buffer Y4 { T4 y4_buf[]; };
layout(std430, binding = 4) readonly buffer Scale { T scale_buf[]; };
layout(std430, binding = 5) readonly buffer Shift { T shift_buf[]; };
layout(std430, binding = 6) readonly buffer Res { T res_buf[]; };
layout(std430, binding = 6) readonly buffer Res4 { T4 res4_buf[]; };
layout(std430, binding = 7) readonly buffer Bias { T bias_buf[]; };

// keep in sync with vka__convx_push in runtime/src/op_conv2d.c
layout(push_constant) uniform Push {
    uint c, h, w;          // input channels and size
    uint o, oh, ow;        // output channels and size
    uint kh, kw;
    uint sh, sw;           // stride
    int pt, pl;            // pad top, left
    uint dh, dw;           // dilation
    uint cg, og;           // input and output channels per group
    // weight element strides (any layout: OIHW as given, or the packed
    // [O, KH, KW, roundup(C/groups, 4)] of vka_conv_pack_weights)
    uint w_gs, w_os, w_cs, w_ks; // group, output channel (in its group), input channel, kernel tap
    uint tiles;            // the kernel's grid decoding (segments per output row)
    uint act;              // VKA_ACT_*
    uint flags;            // VKA_CONV_*
    uint off_x, off_w, off_b, off_y, off_s, off_t, off_r;
} pc;

#include "epi_spec.glsl"

// keep in sync with op_conv2d.c
#define VKA_CONV_BIAS 1u
#define VKA_CONV_SCALE 2u
#define VKA_CONV_SHIFT 4u
#define VKA_CONV_RES 8u
#define VKA_CONV_RES_PRE 16u // the residual is added before the activation (ResNet blocks)
// conv_store4 only: every run of 4 starts on a 4-element boundary of y (and of
// the residual) and lies inside it, so it is one vector store (llvmpipe loops
// over the lanes for every store, once per component)
#define VKA_CONV_Y4 32u

// A channel's epilogue terms (the flags that are off leave theirs unread).
struct ConvChan {
    float bias, scale, shift;
};

ConvChan conv_chan(uint oc)
{
    uint f = VKA_EPI_FLAGS;
    ConvChan c = ConvChan(0.0, 1.0, 0.0);
    if ((f & VKA_CONV_BIAS) != 0u)
        c.bias = float(bias_buf[pc.off_b + oc]);
    if ((f & VKA_CONV_SCALE) != 0u)
        c.scale = float(scale_buf[pc.off_s + oc]);
    if ((f & VKA_CONV_SHIFT) != 0u)
        c.shift = float(shift_buf[pc.off_t + oc]);
    return c;
}

// One output: ((act(acc + bias (+ r)) · scale + shift) (+ r), with the residual
// r (read only where the flags have one) before or after the activation.
float conv_epi(ConvChan c, float acc, float r)
{
    uint f = VKA_EPI_FLAGS;
    float v = acc;
    if ((f & VKA_CONV_BIAS) != 0u)
        v += c.bias;
    if ((f & (VKA_CONV_RES | VKA_CONV_RES_PRE)) == (VKA_CONV_RES | VKA_CONV_RES_PRE))
        v += r;
    v = vka_act(v, VKA_EPI_ACT);
    if ((f & VKA_CONV_SCALE) != 0u)
        v *= c.scale;
    if ((f & VKA_CONV_SHIFT) != 0u)
        v += c.shift;
    if ((f & (VKA_CONV_RES | VKA_CONV_RES_PRE)) == VKA_CONV_RES)
        v += r;
    return v;
}

// y[yi] = conv_epi(acc) for output channel oc (over all groups); yi is the
// element index of y and of the residual.
void conv_store(uint oc, uint yi, float acc)
{
    float r = (VKA_EPI_FLAGS & VKA_CONV_RES) != 0u ? float(res_buf[pc.off_r + yi]) : 0.0;
    y_buf[pc.off_y + yi] = T(conv_epi(conv_chan(oc), acc, r));
}

// conv_store for 4 outputs of one channel, y[yi..yi+3], of which the first n
// (1..4) are inside y, with the channel's terms loaded once by the caller
// (llvmpipe loops over the lanes for every storage-buffer load, uniform or
// not); the residual at clamped indices; with VKA_CONV_Y4 as vectors.
void conv_store4c(ConvChan c, uint yi, vec4 acc, uint n)
{
    uint f = VKA_EPI_FLAGS;
    vec4 r = vec4(0.0);
    if ((f & VKA_CONV_RES) != 0u && (f & VKA_CONV_Y4) != 0u)
        r = vec4(res4_buf[(pc.off_r + yi) >> 2u]);
    else if ((f & VKA_CONV_RES) != 0u)
        for (uint k = 0; k < 4u; k++)
            r[k] = float(res_buf[pc.off_r + yi + min(k, n - 1u)]);
    vec4 v;
    for (uint k = 0; k < 4u; k++)
        v[k] = conv_epi(c, acc[k], r[k]);
    if ((f & VKA_CONV_Y4) != 0u)
        y4_buf[(pc.off_y + yi) >> 2u] = T4(v);
    else
        for (uint k = 0; k < 4u; k++)
            if (k < n)
                y_buf[pc.off_y + yi + k] = T(v[k]);
}

void conv_store4(uint oc, uint yi, vec4 acc, uint n)
{
    conv_store4c(conv_chan(oc), yi, acc, n);
}

#if defined(VKA_F16) && VKA_F16
#define VKA_CONV_TEX4 rgba16f
#define VKA_CONV_TEX1 r16f
#else
#define VKA_CONV_TEX4 rgba32f
#define VKA_CONV_TEX1 r32f
#endif

#endif
