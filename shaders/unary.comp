// vka-variants: f32 f16
// unary.comp — y = op(x) elementwise on float tensors; fp32 math on any
// storage (body in include/unary_body.glsl, int32 in unary_i32.comp).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "act.glsl"

#define VKA_ELEM T
#define VKA_CALC float
#include "unary_body.glsl"

float apply(float v)
{
    switch (OP) {
    case 0: return exp(v);
    case 1: return log(v);
    case 2: return sqrt(v);
    case 3: return vka_erf(v);
    case 4: return vka_tanh(v);
    case 5: return vka_sigmoid(v);
    case 6: return max(v, 0.0);
    case 7: return vka_gelu_erf(v);
    case 8: return -v;
    case 9: return 1.0 / v;
    case 10: return abs(v);
    case 11: return vka_gelu_tanh(v);
    case 12: return vka_silu(v);
    case 13: return sin(v);
    default: return cos(v);
    }
}
