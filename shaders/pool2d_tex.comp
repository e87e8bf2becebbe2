/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// pool2d_tex.comp — max or average pooling, x read as element texels
// (see include/pool2d.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#define VKA_ROWS_TEX 1
#include "pool2d.glsl"
