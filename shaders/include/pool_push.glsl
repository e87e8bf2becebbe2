/* SPDX-License-Identifier: MIT */
// pool_push.glsl — the push constants of the pooling kernels (pool2d.glsl,
// pool2d_tile.comp); keep in sync with vka__pool_push in runtime/src/op_pool.c.
#ifndef VKA_POOL_PUSH_GLSL
#define VKA_POOL_PUSH_GLSL

layout(push_constant) uniform Push {
    uint rows;             // N·C·OH
    uint h, w, oh, ow;
    uint kh, kw, sh, sw, dh, dw;
    int pt, pl, pb, pr;
    uint include_pad;
    uint off_x, off_y;
    float padv;
} pc;

#endif
