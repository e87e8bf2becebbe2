/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// where_u8.comp — y = cond ? a : b, cond U8 (see include/where_body.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_8bit_storage : require
#include "common.glsl"
#define VKA_COND_U8 1
#include "where_body.glsl"
