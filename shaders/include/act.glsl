// act.glsl — activation functions shared by the GEMM epilogue and elementwise kernels.
// vka_act(x, VKA_ACT_*) with the codes of vka_act in vkattn.h; fp32 in and out.
#ifndef VKA_ACT_GLSL
#define VKA_ACT_GLSL

// keep in sync with vka_act in runtime/include/vkattn.h
#define VKA_ACT_NONE 0u
#define VKA_ACT_RELU 1u
#define VKA_ACT_GELU_ERF 2u
#define VKA_ACT_GELU_TANH 3u
#define VKA_ACT_SILU 4u
#define VKA_ACT_SIGMOID 5u

// GLSL has no erf. Abramowitz-Stegun 7.1.26: |error| <= 1.5e-7, far below
// what fp32 GEMM outputs need (1e-5 relative), and branch-free.
float vka_erf(float x)
{
    float t = 1.0 / (1.0 + 0.3275911 * abs(x));
    float y = 1.0 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 +
                   t * (-1.453152027 + t * 1.061405429)))) * exp(-x * x);
    return x < 0.0 ? -y : y;
}

// tanh from one exp, clamped so that exp never overflows into inf/inf = NaN
// (GLSL's tanh is allowed to do exactly that for large |x| on some drivers).
float vka_tanh(float x)
{
    float e = exp(-2.0 * min(abs(x), 15.0));
    float y = (1.0 - e) / (1.0 + e);
    return x < 0.0 ? -y : y;
}

float vka_sigmoid(float x)
{
    // exp(-x) overflows to inf for x < -88: 1/(1+inf) = 0, which is right
    return 1.0 / (1.0 + exp(-x));
}

float vka_gelu_erf(float x) { return 0.5 * x * (1.0 + vka_erf(x * 0.70710678118654752)); }

float vka_gelu_tanh(float x)
{
    return 0.5 * x * (1.0 + vka_tanh(0.79788456080286536 * (x + 0.044715 * x * x * x)));
}

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
