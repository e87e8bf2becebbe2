/* SPDX-License-Identifier: MIT */
// act.glsl — activation functions in fp32 (GLSL has no erf, and the built-in
// tanh of some drivers loses all relative precision near 0 or returns NaN for
// large |x|). Shared by the elementwise kernels and the GEMM epilogues.
#ifndef VKA_ACT_GLSL
#define VKA_ACT_GLSL

// keep in sync with vka_act in runtime/include/vkattn.h
#define VKA_ACT_NONE 0u
#define VKA_ACT_RELU 1u
#define VKA_ACT_GELU_ERF 2u
#define VKA_ACT_GELU_TANH 3u
#define VKA_ACT_SILU 4u
#define VKA_ACT_SIGMOID 5u

// 1 / (1 + e^-x): exp overflows to inf for x < -88 and the result is the right 0.
float vka_sigmoid(float x)
{
    return 1.0 / (1.0 + exp(-x));
}

float vka_silu(float x)
{
    return x / (1.0 + exp(-x));
}

// tanh with relative error ~1e-7 everywhere: Cephes tanhf's odd polynomial
// where 1 - 2/(e^2x + 1) would cancel, that formula elsewhere (saturates to
// ±1 without NaN since 2/inf = 0).
float vka_tanh(float x)
{
    float a = abs(x);
    if (a < 0.625) {
        float z = x * x;
        float p = (((-5.70498872745e-3 * z + 2.06390887954e-2) * z - 5.37397155531e-2) * z
                   + 1.33314422036e-1) * z - 3.33332819422e-1;
        return x + x * z * p;
    }
    return sign(x) * (1.0 - 2.0 / (exp(2.0 * a) + 1.0));
}

// erfc(a) for a >= 0 with relative error 1.2e-7 everywhere (Numerical
// Recipes' Chebyshev fit erfcc), so the tails stay accurate where
// Abramowitz–Stegun 7.1.26 has only absolute accuracy (~1e-2 relative at 5).
float vka__erfc(float a)
{
    float t = 1.0 / (1.0 + 0.5 * a);
    float p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
              + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
    // a·a rounded loses ~a²·6e-8 of relative accuracy through exp; carry the
    // rounding error e (exact by fma) as exp(-e) ≈ 1 - e
    float aa = a * a;
    float e = fma(a, a, -aa);
    return t * exp(p - aa) * (1.0 - e);
}

// erf with relative error ~2e-7: Cephes erff's series below |x| = 1 (where
// 1 - erfc cancels), 1 - erfc above.
float vka_erf(float x)
{
    float a = abs(x);
    if (a < 1.0) {
        float z = x * x;
        float p = (((((7.853861353153693e-5 * z - 8.010193625184903e-4) * z + 5.188327685732524e-3) * z
                     - 2.685381193529856e-2) * z + 1.128358514861418e-1) * z - 3.761262582423300e-1) * z
                  + 1.128379165726710;
        return x * p;
    }
    return sign(x) * (1.0 - vka__erfc(a));
}

// x·Φ(x) = 0.5·x·(1 + erf(x/√2)). For x < -√2 the sum 1 + erf cancels, so
// Φ comes from erfc directly and stays relatively accurate in the left tail.
float vka_gelu_erf(float x)
{
    float z = x * 0.70710678118654752;
    if (z < -1.0)
        return 0.5 * x * vka__erfc(-z);
    return 0.5 * x * (1.0 + vka_erf(z));
}

// 0.5·x·(1 + tanh(u)) written as x·sigmoid(2u): the same value without the
// cancellation of 1 + tanh(u) for negative x.
float vka_gelu_tanh(float x)
{
    float u = 0.79788456080286536 * (x + 0.044715 * x * x * x);
    return x / (1.0 + exp(-2.0 * u));
}


// The GEMM epilogue's activation, by code.
float vka_act(float x, uint act)
{
    switch (act) {
    case VKA_ACT_RELU: return max(x, 0.0);
    case VKA_ACT_GELU_ERF: return vka_gelu_erf(x);
    case VKA_ACT_GELU_TANH: return vka_gelu_tanh(x);
    case VKA_ACT_SILU: return x * vka_sigmoid(x);
    case VKA_ACT_SIGMOID: return vka_sigmoid(x);
    default: return x;
    }
}

#endif
