/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// unary.comp — y = op(x) elementwise on float tensors; fp32 math on any
// storage (body in include/unary_body.glsl, the ops in include/float_ops.glsl,
// int32 in unary_i32.comp).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "float_ops.glsl"

#define VKA_ELEM T
#define VKA_CALC float
#include "unary_body.glsl"

float apply(float v)
{
    return vka_unary_f(OP, v);
}
