/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// conv2d_tex_w1.comp — conv2d_tex.comp for weights in any layout (OIHW as
// vka_conv2d takes them), read as element texels (see include/conv2d_tex.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#define VKA_CONV_W1 1
#include "conv2d_tex.glsl"
