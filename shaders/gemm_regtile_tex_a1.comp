/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// gemm_regtile_tex_a1.comp — gemm_regtile_tex.comp with A as element texels (r32f / r16f: any k, offset and stride), B as 4-vectors
// (vka__binding write = VKA__TEXEL1 for element texels; see include/gemm_regtile.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_ballot : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#define VKA_GEMM_TEXEL 1
#define VKA_GEMM_A1 1
#define VKA_GEMM_B1 0
#include "gemm_regtile.glsl"
