/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// cast.comp — dtype conversion, elementwise. The _f16 variant handles every
// pair with an F16 side, the _f32 variant F32 <-> I32, so devices without
// 16-bit storage never load a module that needs it. Each binding is declared
// once per element type it may hold (descriptor aliasing); SRC and DST pick.
//   float -> int truncates toward zero like C; beyond the int32 range it
//   saturates and NaN gives 0 (C leaves those undefined).
//   int -> float and f32 -> f16 round to nearest even.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define WG 256u
#define EPT 4u

layout(local_size_x = 256) in;

// keep in sync with vka_dtype in runtime/include/vkattn.h: 0 F32, 1 F16, 2 I32
layout(constant_id = 0) const uint SRC = 0;
layout(constant_id = 1) const uint DST = 2;

layout(std430, binding = 0) readonly buffer XF { float xf[]; };
layout(std430, binding = 0) readonly buffer XI { int xi[]; };
layout(std430, binding = 1) writeonly buffer YF { float yf[]; };
layout(std430, binding = 1) writeonly buffer YI { int yi[]; };
#if VKA_F16
layout(std430, binding = 0) readonly buffer XH { float16_t xh[]; };
layout(std430, binding = 1) writeonly buffer YH { float16_t yh[]; };
#endif

// keep in sync with vka__cast_push in runtime/src/op_elementwise.c
layout(push_constant) uniform Push {
    uint n;
    uint off_x;
    uint off_y;
} pc;

int to_int(float v)
{
    if (!(v == v))
        return 0;
    if (v >= 2147483648.0)
        return 2147483647;
    if (v < -2147483648.0)
        return -2147483647 - 1;
    return int(v); // OpConvertFToS truncates toward zero
}

void main()
{
    uint base = vka_group_id() * (WG * EPT) + gl_LocalInvocationID.x;
    for (uint e = 0u; e < EPT; e++) {
        uint i = base + e * WG;
        if (i >= pc.n)
            return;
        uint ix = pc.off_x + i, iy = pc.off_y + i;
        if (SRC == 2u && DST == 2u) {
            yi[iy] = xi[ix];
            continue;
        }
        if (SRC == 2u && DST == 0u) {
            yf[iy] = float(xi[ix]);
            continue;
        }
        float v;
#if VKA_F16
        if (SRC == 1u)
            v = float(xh[ix]);
        else
#endif
        if (SRC == 2u)
            v = float(xi[ix]);
        else
            v = xf[ix];
#if VKA_F16
        if (DST == 1u) {
            yh[iy] = float16_t(v);
            continue;
        }
#endif
        if (DST == 2u)
            yi[iy] = to_int(v);
        else
            yf[iy] = v;
    }
}
