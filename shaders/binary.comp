/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// binary.comp — y = a op b with numpy broadcasting on float tensors; fp32 math
// on any storage (body in include/binary_body.glsl, the ops in
// include/float_ops.glsl, int32 in binary_i32.comp).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "float_ops.glsl"

#define VKA_ELEM T
#define VKA_CALC float
#include "binary_body.glsl"

float apply(float x, float z)
{
    return vka_binary_f(OP, x, z);
}
