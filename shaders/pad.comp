/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// pad.comp — ONNX Pad, x read from a storage buffer (where it cannot be an
// element texel buffer; see include/pad.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#define VKA_ROWS_TEX 0
#include "pad.glsl"
