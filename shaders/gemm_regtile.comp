// vka-variants: f32 f16
// gemm_regtile.comp — the register-tiled GEMM for CPU drivers with every
// operand a storage buffer (see include/gemm_regtile.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_ballot : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#define VKA_GEMM_TEXEL 0
#include "gemm_regtile.glsl"
