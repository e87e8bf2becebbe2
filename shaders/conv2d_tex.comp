/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// conv2d_tex.comp — convolution as an implicit GEMM through texel buffers, for
// weights packed by vka_conv_pack_weights (see include/conv2d_tex.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#define VKA_CONV_W1 0
#include "conv2d_tex.glsl"
