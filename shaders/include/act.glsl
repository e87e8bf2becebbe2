// act.glsl — activation functions in fp32 (GLSL has no erf, and the built-in
// tanh of some drivers loses all relative precision near 0 or returns NaN for
// large |x|). Shared by the elementwise kernels and the GEMM epilogues.
#ifndef VKA_ACT_GLSL
#define VKA_ACT_GLSL

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

// erfc(a) for a >= 1 by Abramowitz–Stegun 7.1.26 (absolute error 1.5e-7).
float vka__erfc_as(float a)
{
    float t = 1.0 / (1.0 + 0.3275911 * a);
    float p = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
    return p * exp(-a * a);
}

// erf with relative error ~2e-7: Cephes erff's series below |x| = 1 (where
// A–S alone would have only absolute accuracy), A–S 7.1.26 above.
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
    return sign(x) * (1.0 - vka__erfc_as(a));
}

// x·Φ(x) = 0.5·x·(1 + erf(x/√2)). For x < -√2 the sum 1 + erf cancels, so
// Φ comes from erfc directly and stays relatively accurate in the left tail.
float vka_gelu_erf(float x)
{
    float z = x * 0.70710678118654752;
    if (z < -1.0)
        return 0.5 * x * vka__erfc_as(-z);
    return 0.5 * x * (1.0 + vka_erf(z));
}

// 0.5·x·(1 + tanh(u)) written as x·sigmoid(2u): the same value without the
// cancellation of 1 + tanh(u) for negative x.
float vka_gelu_tanh(float x)
{
    float u = 0.79788456080286536 * (x + 0.044715 * x * x * x);
    return x / (1.0 + exp(-2.0 * u));
}

#endif
