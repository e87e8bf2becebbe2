// vka-variants: f32 f16
// binary.comp — y = a op b with numpy broadcasting on float tensors; fp32 math
// on any storage (body in include/binary_body.glsl, int32 in binary_i32.comp).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define VKA_ELEM T
#define VKA_CALC float
#include "binary_body.glsl"

float vka_pow(float x, float e)
{
    // numpy semantics where GLSL's pow is undefined: x <= 0
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

float apply(float x, float z)
{
    switch (OP) {
    case 0: return x + z;
    case 1: return x - z;
    case 2: return x * z;
    case 3: return x / z;
    case 4: return vka_pow(x, z);
    case 5: return max(x, z);
    default: return min(x, z);
    }
}
