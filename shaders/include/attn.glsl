/* SPDX-License-Identifier: MIT */
// attn.glsl — push constants and index helpers shared by the attention shaders
// (flash_attn*.comp, attn_probe.comp). Include after common.glsl.
#ifndef VKA_ATTN_GLSL
#define VKA_ATTN_GLSL

// keep in sync with vka__attn_push in runtime/src/op_attention.c
layout(push_constant) uniform Push {
    uint B, H, nq, nk;
    uint q_sb, q_sh, q_sr;      // element strides (batch, head, row); the last axis is dense
    uint k_sb, k_sh, k_sr;
    uint v_sb, v_sh, v_sr;
    uint o_sb, o_sh, o_sr;
    uint q_off, k_off, v_off, o_off;   // element offsets (descriptor remainder + view + desc offset)
    uint mask_off, lse_off;
    float scale;
    uint flags;                 // VKA_ATTN_MASK | VKA_ATTN_CAUSAL | VKA_ATTN_LSE
    int causal_shift;           // nk - nq: key j is visible to query i when j <= i + shift
    uint nrows;                 // probe: R
    uint rows_off, p_off;       // probe: offsets of rows and probs
} pc;

const uint VKA_ATTN_MASK = 1u;
const uint VKA_ATTN_CAUSAL = 2u;
const uint VKA_ATTN_LSE = 4u;

// A finite "minus infinity" for running maxima: exp(s - m) stays 0 (never
// inf - inf = NaN) when a whole block is masked with -inf.
const float VKA_NEG_BIG = -3.0e38;

// Scores are summed in groups of VKA_ATTN_G products, the group sums in order,
// by every variant and the probe alike: the probe then matches whichever
// variant saved the LSE. 8 for head dims that are multiples of 8, else 4
// (D is a multiple of 4: DEIMv2 femto's D = 12). Use after declaring D.
#define VKA_ATTN_G ((D % 8u == 0u) ? 8u : 4u)

// Number of keys a query row can see (causal truncation), clamped to [0, nk].
uint vka_attn_kend(uint i)
{
    if ((pc.flags & VKA_ATTN_CAUSAL) == 0u)
        return pc.nk;
    int e = int(i) + pc.causal_shift + 1;
    return uint(clamp(e, 0, int(pc.nk)));
}

#endif
