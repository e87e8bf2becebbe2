/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// where.comp — y = cond ? a : b, cond I32 (see include/where_body.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#define VKA_COND_U8 0
#include "where_body.glsl"
