/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// gemm_regtile_tex.comp — gemm_regtile.comp with A and B bound as storage
// texel buffers of 4-vectors (vka__binding write = VKA__TEXEL), which llvmpipe
// loads far faster than storage buffers (see include/gemm_regtile.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_ballot : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#define VKA_GEMM_TEXEL 1
#include "gemm_regtile.glsl"
