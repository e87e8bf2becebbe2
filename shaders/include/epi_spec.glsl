/* SPDX-License-Identifier: MIT */
// epi_spec.glsl — the fused epilogue's activation and flags as specialization
// constants 5 and 6 of every kernel with an epilogue (the GEMMs, the convs),
// which keep their own constants at 0-4. The host sets both on every dispatch
// (vka__epi_spec in runtime/src/internal.h), so the driver compiles only the
// activation and the terms that run: CPU drivers (llvmpipe) execute every arm
// of a branch under an execution mask, uniform or not, and the epilogue's
// switch over six activations and five optional loads per element was half
// the time of a 64-channel 1x1 conv. ~0u (never set): the push constants'
// values, chosen at run time.
#ifndef VKA_EPI_SPEC_GLSL
#define VKA_EPI_SPEC_GLSL

layout(constant_id = 5) const uint EPI_ACT = 0xffffffffu;
layout(constant_id = 6) const uint EPI_FLAGS = 0xffffffffu;
#define VKA_EPI_ACT (EPI_ACT != 0xffffffffu ? EPI_ACT : pc.act)
#define VKA_EPI_FLAGS (EPI_FLAGS != 0xffffffffu ? EPI_FLAGS : pc.flags)

#endif
