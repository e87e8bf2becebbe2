/* SPDX-License-Identifier: MIT */
// common.glsl — storage type selection and grid helpers shared by every shader.
#ifndef VKA_COMMON_GLSL
#define VKA_COMMON_GLSL

#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : enable

// T is the storage type of float tensors; arithmetic is always fp32.
#if defined(VKA_F16) && VKA_F16
#define T float16_t
#define T4 f16vec4
#else
#define T float
#define T4 vec4
#endif

// Linear workgroup id for grids split across x and y (vka__grid1d on the C side).
uint vka_group_id()
{
    return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
}

#endif
