/* SPDX-License-Identifier: MIT */
// unary_i32.comp — y = op(x) elementwise on int32 tensors, neg and abs only
// (the C side refuses the rest); body in include/unary_body.glsl.
// Both wrap: -INT_MIN and abs(INT_MIN) are INT_MIN.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define VKA_ELEM int
#define VKA_CALC int
#include "unary_body.glsl"

int apply(int v)
{
    switch (OP) {
    case 8: return -v;
    case 10: return abs(v);
    default: return 0; // never dispatched
    }
}
