/* SPDX-License-Identifier: MIT */
// float_ops.glsl — the float unary and binary ops by number, fp32 math; shared
// by unary.comp, binary.comp and eltwise.comp (the fused elementwise program),
// so a fused chain computes exactly what the separate kernels would.
#ifndef VKA_FLOAT_OPS_GLSL
#define VKA_FLOAT_OPS_GLSL

#include "act.glsl"

// numpy semantics where GLSL's pow is undefined: x <= 0
float vka_pow(float x, float e)
{
    if (e == 0.0)
        return 1.0;
    float r = pow(abs(x), e);
    if (x < 0.0) {
        if (floor(e) != e)
            return uintBitsToFloat(0x7fc00000u); // NaN, like numpy
        if (mod(e, 2.0) == 1.0)
            r = -r;
    }
    return r;
}

// keep in sync with vka_binary_op in runtime/include/vkattn.h
float vka_binary_f(uint op, float x, float z)
{
    switch (op) {
    case 0u: return x + z;
    case 1u: return x - z;
    case 2u: return x * z;
    case 3u: return x / z;
    case 4u: return vka_pow(x, z);
    case 5u: return max(x, z);
    default: return min(x, z);
    }
}

// keep in sync with vka_unary_op in runtime/include/vkattn.h
float vka_unary_f(uint op, float v)
{
    switch (op) {
    case 0u: return exp(v);
    case 1u: return log(v);
    case 2u: return sqrt(v);
    case 3u: return vka_erf(v);
    case 4u: return vka_tanh(v);
    case 5u: return vka_sigmoid(v);
    case 6u: return max(v, 0.0);
    case 7u: return vka_gelu_erf(v);
    case 8u: return -v;
    case 9u: return 1.0 / v;
    case 10u: return abs(v);
    case 11u: return vka_gelu_tanh(v);
    case 12u: return vka_silu(v);
    case 13u: return sin(v);
    default: return cos(v);
    }
}

#endif
