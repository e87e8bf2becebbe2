/* SPDX-License-Identifier: MIT */
// topk_key.glsl — the rank key of vka_topk's kernels (topk.comp, topk_row.comp).
// Every value becomes a 32-bit key, smaller = preferred, so that largest and
// smallest share one code path; with the index, (key, index) is a total order
// whose ties go to the lower index, as in ONNX Runtime. The including shader
// declares the specialization constant LARGEST.
#ifndef VKA_TOPK_KEY_GLSL
#define VKA_TOPK_KEY_GLSL

uint rank_key(float f)
{
    uint u = floatBitsToUint(f);
    if (f == 0.0)
        u = 0u; // -0 ties with +0, as a comparison would have it
    uint a = (u & 0x80000000u) != 0u ? ~u : (u | 0x80000000u); // ascending with f
    return LARGEST != 0u ? ~a : a;
}

#endif
