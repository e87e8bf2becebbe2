/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// pad_tex.comp — ONNX Pad, x read as element texels (see include/pad.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#define VKA_ROWS_TEX 1
#include "pad.glsl"
