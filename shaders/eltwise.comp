// vka-variants: f32 f16
// eltwise.comp — y = a short program of unary/binary ops over up to 4 strided
// inputs, one pass over y (vka_eltwise): a fused chain of elementwise nodes in
// one dispatch. The program is specialization constants, so the driver's
// compiler folds every operand and op switch away: each fused chain compiles
// to straight-line code, as if written by hand. fp32 math on any storage; the
// ops are those of unary.comp/binary.comp (include/float_ops.glsl).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "float_ops.glsl"

#define WG 256u
#define EPT 4u // consecutive elements per invocation: the index divisions run once

layout(local_size_x = 256) in;

// keep in sync with vka_eltwise in runtime/src/op_eltwise.c: instruction count
// (bits 0..7) and whether y is written through strides (bit 8), then 7 words of
// two 16-bit instructions (op 0..5, dst 6..7, a 8..11, b 12..15)
layout(constant_id = 0) const uint HEAD = 0u;
const uint NCODE = HEAD & 255u;
const bool Y_STRIDED = (HEAD & 256u) != 0u;
layout(constant_id = 1) const uint CW0 = 0u;
layout(constant_id = 2) const uint CW1 = 0u;
layout(constant_id = 3) const uint CW2 = 0u;
layout(constant_id = 4) const uint CW3 = 0u;
layout(constant_id = 5) const uint CW4 = 0u;
layout(constant_id = 6) const uint CW5 = 0u;
layout(constant_id = 7) const uint CW6 = 0u;

layout(std430, binding = 0) readonly buffer X0 { T x0[]; };
layout(std430, binding = 1) readonly buffer X1 { T x1[]; };
layout(std430, binding = 2) readonly buffer X2 { T x2[]; };
layout(std430, binding = 3) readonly buffer X3 { T x3[]; };
layout(std430, binding = 4) writeonly buffer Y { T y[]; };

// keep in sync with vka__eltwise_push in runtime/src/op_eltwise.c
layout(push_constant) uniform Push {
    uint n;
    uint off_y;
    uint shape[3];  // axes 1..3 of the computed shape after merging (axis 0 runs to n)
    uint st[16];    // st[4·i + k]: element stride of input i along axis k (0: broadcast)
    uint off[4];    // first element of each input
    uint tail[7];   // immediates (float bits); Y_STRIDED: 3 immediates, then y's 4 strides
} pc;

float imm(uint i) { return uintBitsToFloat(pc.tail[i]); }

uint instr(uint k)
{
    uint w;
    switch (k / 2u) {
    case 0u: w = CW0; break;
    case 1u: w = CW1; break;
    case 2u: w = CW2; break;
    case 3u: w = CW3; break;
    case 4u: w = CW4; break;
    case 5u: w = CW5; break;
    default: w = CW6; break;
    }
    return (k & 1u) != 0u ? w >> 16 : w & 0xffffu;
}

// operand: 0..3 registers, 4..7 inputs, 8..13 immediates
float operand(uint o, float r[4], float xs[4])
{
    return o < 4u ? r[o] : o < 8u ? xs[o - 4u] : imm(min(o - 8u, 6u));
}

bool is_unary(uint w) { return (w & 63u) >= 32u; }

bool uses_input(uint i)
{
    for (uint k = 0u; k < NCODE; k++) {
        uint w = instr(k);
        if (((w >> 8) & 15u) == 4u + i || (!is_unary(w) && ((w >> 12) & 15u) == 4u + i))
            return true;
    }
    return false;
}

float program(float xs[4])
{
    float r[4] = float[4](0.0, 0.0, 0.0, 0.0);
    for (uint k = 0u; k < NCODE; k++) {
        uint w = instr(k), op = w & 63u;
        float a = operand((w >> 8) & 15u, r, xs);
        float v = op >= 32u ? vka_unary_f(op - 32u, a) : vka_binary_f(op, a, operand((w >> 12) & 15u, r, xs));
        r[(w >> 6) & 3u] = v;
    }
    return r[0];
}

// Offsets of element i in each input and in y, and i's index along the last axis.
void locate(uint i, out uint idx[4], out uint iy, out uint last)
{
    uint c3 = i % pc.shape[2], q = i / pc.shape[2];
    uint c2 = q % pc.shape[1];
    q /= pc.shape[1];
    uint c1 = q % pc.shape[0], c0 = q / pc.shape[0];
    for (uint j = 0u; j < 4u; j++)
        idx[j] = pc.off[j] + c0 * pc.st[4u * j] + c1 * pc.st[4u * j + 1u] + c2 * pc.st[4u * j + 2u] +
                 c3 * pc.st[4u * j + 3u];
    iy = Y_STRIDED ? pc.off_y + c0 * pc.tail[3] + c1 * pc.tail[4] + c2 * pc.tail[5] + c3 * pc.tail[6]
                   : pc.off_y + i;
    last = c3;
}

void main()
{
    uint first = (vka_group_id() * WG + gl_LocalInvocationID.x) * EPT;
    if (first >= pc.n)
        return;
    bool u0 = uses_input(0u), u1 = uses_input(1u), u2 = uses_input(2u), u3 = uses_input(3u);
    uint idx[4], iy, last;
    locate(first, idx, iy, last);
    for (uint e = 0u; e < EPT; e++) {
        uint i = first + e;
        if (i >= pc.n)
            return;
        if (e > 0u) {
            last++;
            for (uint j = 0u; j < 4u; j++)
                idx[j] += pc.st[4u * j + 3u];
            iy += Y_STRIDED ? pc.tail[6] : 1u;
            if (last == pc.shape[2])
                locate(i, idx, iy, last);
        }
        float xs[4];
        xs[0] = u0 ? float(x0[idx[0]]) : 0.0;
        xs[1] = u1 ? float(x1[idx[1]]) : 0.0;
        xs[2] = u2 ? float(x2[idx[2]]) : 0.0;
        xs[3] = u3 ? float(x3[idx[3]]) : 0.0;
        y[iy] = T(program(xs));
    }
}
