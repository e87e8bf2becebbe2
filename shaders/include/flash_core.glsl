/* SPDX-License-Identifier: MIT */
// flash_core.glsl — the online-softmax inner loop shared by the flash_attn
// variants. One invocation owns one query row: its scaled query and its fp32
// running max, sum and output stay in registers. The including shader declares
// the `mask` buffer and defines loadK(j, d) / loadV(j, d) (from the buffer or
// from shared memory), then includes this file.
#ifndef VKA_FLASH_CORE_GLSL
#define VKA_FLASH_CORE_GLSL

// VKA_LOOP marks every loop over D or KB. Barrier-free shaders unroll them
// (define VKA_FLASH_UNROLL): faster, and llvmpipe stops a shader invocation
// after 65535 loop iterations in total, which would silently cut long rows
// short if these inner loops were dynamic. Shaders with barriers keep them
// rolled: llvmpipe turns such shaders into coroutines and LLVM needs minutes
// to split a fully unrolled one (so on llvmpipe they suit short rows only).
#if defined(VKA_FLASH_UNROLL)
#define VKA_LOOP [[unroll]]
#else
#define VKA_LOOP [[dont_unroll]]
#endif

// Keys per online-softmax update: the output rescale (D multiplies) is paid
// once per KB keys instead of once per key.
const uint KB = 8;

float qv[D];                 // scale · q[i, :]
float acc[D];                // Σ exp(s - m_run) · v, not yet divided by l_run
float m_run = VKA_NEG_BIG;   // running max of the row's scores
float l_run = 0.0;           // running Σ exp(s - m_run)

const uint G = VKA_ATTN_G;

float vka_score(uint i, uint j, uint lim)
{
    // groups of G like flash_attn_row.comp and attn_probe.comp: every variant
    // rounds the scores alike, so the probe matches whichever saved the LSE
    float x = 0.0;
    VKA_LOOP for (uint d0 = 0u; d0 < D; d0 += G) {
        float g = qv[d0] * loadK(j, d0);
        VKA_LOOP for (uint c = 1u; c < G; c++)
            g += qv[d0 + c] * loadK(j, d0 + c);
        x += g;
    }
    if ((pc.flags & VKA_ATTN_MASK) != 0u)
        x += float(mask[pc.mask_off + i * pc.nk + j]);
    // -inf, not VKA_NEG_BIG: a masked key must contribute exactly 0
    return j < lim ? x : uintBitsToFloat(0xff800000u);
}

// KB keys j = jb + jj·js, all inside the buffer; keys at or past lim (causal) are masked.
void attn_block(uint i, uint jb, uint js, uint lim)
{
    float s[KB];
    float mb = VKA_NEG_BIG;
    VKA_LOOP for (uint jj = 0u; jj < KB; jj++) {
        s[jj] = vka_score(i, jb + jj * js, lim);
        mb = max(mb, s[jj]);
    }
    float mn = max(m_run, mb);
    float alpha = exp(m_run - mn);
    l_run *= alpha;
    VKA_LOOP for (uint d = 0u; d < D; d++)
        acc[d] *= alpha;
    VKA_LOOP for (uint jj = 0u; jj < KB; jj++) {
        float p = exp(s[jj] - mn);
        l_run += p;
        uint j = jb + jj * js;
        VKA_LOOP for (uint d = 0u; d < D; d++)
            acc[d] += p * loadV(j, d);
    }
    m_run = mn;
}

void attn_one(uint i, uint j, uint lim)
{
    float s = vka_score(i, j, lim);
    float mn = max(m_run, s);
    float alpha = exp(m_run - mn);
    float p = exp(s - mn);
    l_run = l_run * alpha + p;
    VKA_LOOP for (uint d = 0u; d < D; d++)
        acc[d] = acc[d] * alpha + p * loadV(j, d);
    m_run = mn;
}

// Row log-sum-exp; -inf for a row that sees no key.
float attn_lse(float m, float l)
{
    return l > 0.0 ? m + log(l) : uintBitsToFloat(0xff800000u);
}

#endif
