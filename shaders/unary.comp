// vka-variants: f32 f16
// unary.comp — y = op(x) elementwise; fp32 math on any storage. y may alias x
// (each element is read and written by one invocation only).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "act.glsl"

#define WG 256u
#define EPT 4u

layout(local_size_x = 256) in;

// keep in sync with vka_unary_op in runtime/include/vkattn.h
layout(constant_id = 0) const uint OP = 0;

layout(std430, binding = 0) readonly buffer X { T x[]; };
layout(std430, binding = 1) writeonly buffer Y { T y[]; };

// keep in sync with vka__unary_push in runtime/src/op_elementwise.c
layout(push_constant) uniform Push {
    uint n;
    uint off_x;
    uint off_y;
} pc;

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
    default: return vka_silu(v);
    }
}

void main()
{
    uint base = vka_group_id() * (WG * EPT) + gl_LocalInvocationID.x;
    for (uint e = 0u; e < EPT; e++) {
        uint i = base + e * WG;
        if (i >= pc.n)
            return;
        y[pc.off_y + i] = T(apply(float(x[pc.off_x + i])));
    }
}
