/* SPDX-License-Identifier: MIT */
// binary_i32.comp — y = a op b with numpy broadcasting on int32 tensors (body in
// include/binary_body.glsl). Add, sub and mul wrap modulo 2^32; div truncates
// toward zero like C and ONNX, and x / 0 = 0. Pow is refused on the C side.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define VKA_ELEM int
#define VKA_CALC int
#include "binary_body.glsl"

// Through the magnitudes in uint: OpSDiv leaves the rounding of negative
// operands, INT_MIN / -1 and a zero divisor to the driver, OpUDiv only the zero
// divisor, which never reaches it here. INT_MIN / -1 wraps to INT_MIN.
int vka_idiv(int x, int z)
{
    uint q = uint(abs(x)) / uint(z == 0 ? 1 : abs(z)); // abs(INT_MIN) is 2^31 as uint
    int s = (x < 0) != (z < 0) ? -int(q) : int(q);
    return z == 0 ? 0 : s;
}

int apply(int x, int z)
{
    switch (OP) {
    case 0: return x + z;
    case 1: return x - z;
    case 2: return x * z;
    case 3: return vka_idiv(x, z);
    case 5: return max(x, z);
    case 6: return min(x, z);
    default: return 0; // 4 (pow) never dispatched
    }
}
