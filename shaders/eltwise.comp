/* SPDX-License-Identifier: MIT */
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
// EPT consecutive elements of one row (the last axis) per invocation, rows of
// 8 or more (bit 9): one locate() and no wrap to test
const bool ROWS = (HEAD & 512u) != 0u;
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

// Instruction k's 16 bits. Called with constant k only (the STEP macros
// below), so with the specialization constants it folds to a constant.
uint instr(uint k)
{
    uint w = k < 2u ? CW0 : k < 4u ? CW1 : k < 6u ? CW2 : k < 8u ? CW3 : k < 10u ? CW4 : k < 12u ? CW5 : CW6;
    return (k & 1u) != 0u ? w >> 16 : w & 0xffffu;
}

bool is_unary(uint w) { return (w & 63u) >= 32u; }

bool reads(uint w, uint o) { return ((w >> 8) & 15u) == o || (!is_unary(w) && ((w >> 12) & 15u) == o); }

// Does the program read input i? Unrolled like the program itself.
bool uses_input(uint i)
{
    uint o = 4u + i;
    bool r = false;
#define USES(K) r = r || (K < NCODE && reads(instr(K), o));
    USES(0u) USES(1u) USES(2u) USES(3u) USES(4u) USES(5u) USES(6u)
    USES(7u) USES(8u) USES(9u) USES(10u) USES(11u) USES(12u) USES(13u)
#undef USES
    return r;
}

// Four registers as scalars (not an array: an array indexed at run time would
// live in memory on CPU drivers); every operand and destination is a
// constant after specialization, so these selects fold away.
float operand(uint o, float r0, float r1, float r2, float r3, float xs0, float xs1, float xs2, float xs3)
{
    if (o < 4u)
        return o == 0u ? r0 : o == 1u ? r1 : o == 2u ? r2 : r3;
    if (o < 8u)
        return o == 4u ? xs0 : o == 5u ? xs1 : o == 6u ? xs2 : xs3;
    return imm(min(o - 8u, 6u));
}

// The program, unrolled by hand: a loop over NCODE with the op bodies
// inlined is too big for the driver's unroller, and left as a loop nothing
// folds (measured on lavapipe: 300 ns per element instead of a few).
float program(float xs0, float xs1, float xs2, float xs3)
{
    float r0 = 0.0, r1 = 0.0, r2 = 0.0, r3 = 0.0;
#define STEP(K)                                                                                        \
    if (K < NCODE) {                                                                                   \
        uint w = instr(K), op = w & 63u, d = (w >> 6) & 3u;                                            \
        float a = operand((w >> 8) & 15u, r0, r1, r2, r3, xs0, xs1, xs2, xs3);                         \
        float v = op >= 32u ? vka_unary_f(op - 32u, a)                                                 \
                            : vka_binary_f(op, a, operand((w >> 12) & 15u, r0, r1, r2, r3, xs0, xs1, xs2, xs3)); \
        if (d == 0u) r0 = v; else if (d == 1u) r1 = v; else if (d == 2u) r2 = v; else r3 = v;         \
    }
    STEP(0u) STEP(1u) STEP(2u) STEP(3u) STEP(4u) STEP(5u) STEP(6u)
    STEP(7u) STEP(8u) STEP(9u) STEP(10u) STEP(11u) STEP(12u) STEP(13u)
#undef STEP
    return r0;
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

// y[iy] = the program over the inputs at idx (those it reads).
void eval_store(uint idx[4], uint iy)
{
    float a0 = uses_input(0u) ? float(x0[idx[0]]) : 0.0;
    float a1 = uses_input(1u) ? float(x1[idx[1]]) : 0.0;
    float a2 = uses_input(2u) ? float(x2[idx[2]]) : 0.0;
    float a3 = uses_input(3u) ? float(x3[idx[3]]) : 0.0;
    y[iy] = T(program(a0, a1, a2, a3));
}

// The next element along the last axis (no wrap).
void step_last(inout uint idx[4], inout uint iy)
{
    for (uint j = 0u; j < 4u; j++)
        idx[j] += pc.st[4u * j + 3u];
    iy += Y_STRIDED ? pc.tail[6] : 1u;
}

void main()
{
    uint idx[4], iy, last;
    if (ROWS) {
        // under llvmpipe's execution masks the re-locate below runs, divisions
        // and all, for every element; here it runs once per invocation
        uint g = vka_group_id() * WG + gl_LocalInvocationID.x;
        uint len = pc.shape[2], cpr = (len + EPT - 1u) / EPT;
        uint row = g / cpr, c0 = (g - row * cpr) * EPT;
        if (row >= pc.n / len)
            return;
        locate(row * len + c0, idx, iy, last);
        for (uint e = 0u; e < EPT; e++) {
            if (c0 + e < len)
                eval_store(idx, iy);
            step_last(idx, iy);
        }
        return;
    }
    uint first = (vka_group_id() * WG + gl_LocalInvocationID.x) * EPT;
    if (first >= pc.n)
        return;
    locate(first, idx, iy, last);
    for (uint e = 0u; e < EPT; e++) {
        uint i = first + e;
        if (i >= pc.n)
            return;
        if (e > 0u) {
            last++;
            step_last(idx, iy);
            if (last == pc.shape[2])
                locate(i, idx, iy, last);
        }
        eval_store(idx, iy);
    }
}
