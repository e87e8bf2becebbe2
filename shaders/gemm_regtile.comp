/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16 f32_noi64 f16_noi64
// gemm_regtile.comp — the register-tiled GEMM for CPU drivers with every
// operand a storage buffer (see include/gemm_regtile.glsl). The _noi64
// variants leave out the 64-bit B loads for devices without shaderInt64.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_ballot : require
#if !defined(VKA_NO_INT64)
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#endif
#define VKA_GEMM_TEXEL 0
#include "gemm_regtile.glsl"
