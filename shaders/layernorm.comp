/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// layernorm.comp — y = (x - mean) / sqrt(var + eps) · gamma + beta along rows of
// length n; fp32 math. Two passes for the statistics (mean, then the mean of
// squared deviations): E[x²] − E[x]² cancels catastrophically when |mean| ≫ std.
// The mean pass sums x − x[0] rather than x: the partial sums then grow with
// the spread of the row, not with its offset, so the mean keeps its last bits.
// RMS = 1 (a specialization constant, folded by the compiler) is RMSNorm:
// y = x / sqrt(mean(x²) + eps) · gamma, one statistics pass (no mean to
// subtract, so nothing cancels).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
// 0: one workgroup per row; 1: one invocation per row (short rows)
layout(constant_id = 1) const uint PER_THREAD = 0u;
// 0: LayerNorm; 1: RMSNorm (no mean, no beta)
layout(constant_id = 2) const uint RMS = 0u;
// 1 (with PER_THREAD): rows read and written as 4-vectors through the aliases
// below; n and every offset are multiples of 4 (op_norm.c checks). A CPU
// driver gathers each lane's elements: a 4-vector gather does the work of four
// (DeiT-Tiny's 197 x 192 LayerNorm: 0.26 ms with scalar gathers).
layout(constant_id = 3) const uint VEC4 = 0u;

#include "rowreduce.glsl"

layout(std430, binding = 0) readonly buffer X { T x[]; };
layout(std430, binding = 1) readonly buffer G { T gamma[]; };
layout(std430, binding = 2) readonly buffer B { T beta[]; };
// y may alias x: each element is read and then written by one invocation.
layout(std430, binding = 3) writeonly buffer Y { T y[]; };
// the same buffers as 4-vectors (VEC4)
layout(std430, binding = 0) readonly buffer X4 { T4 x4[]; };
layout(std430, binding = 1) readonly buffer G4 { T4 gamma4[]; };
layout(std430, binding = 2) readonly buffer B4 { T4 beta4[]; };
layout(std430, binding = 3) writeonly buffer Y4 { T4 y4[]; };

// keep in sync with vka__layernorm_push in runtime/src/op_norm.c
layout(push_constant) uniform Push {
    uint rows;
    uint n;
    uint off_x;
    uint off_g;
    uint off_b;
    uint off_y;
    uint has_gamma;
    uint has_beta;
    float eps;
} pc;

void layernorm_row(uint r, uint first, uint step, bool coop)
{
    uint xb = pc.off_x + r * pc.n;
    uint yb = pc.off_y + r * pc.n;
    float mean = 0.0;
    if (RMS == 0u) {
        float pivot = float(x[xb]);
        float s = 0.0;
        for (uint i0 = 0u; i0 < pc.n; i0 += step) {
            uint i = i0 + first;
            if (i < pc.n)
                s += float(x[xb + i]) - pivot;
        }
        if (coop)
            s = vka_wg_sum(s);
        mean = pivot + s / float(pc.n);
    }
    float q = 0.0;
    for (uint i0 = 0u; i0 < pc.n; i0 += step) {
        uint i = i0 + first;
        if (i < pc.n) {
            float d = float(x[xb + i]) - mean;
            q += d * d;
        }
    }
    if (coop)
        q = vka_wg_sum(q);
    float rstd = inversesqrt(q / float(pc.n) + pc.eps);
    for (uint i0 = 0u; i0 < pc.n; i0 += step) {
        uint i = i0 + first;
        if (i < pc.n) {
            float v = (float(x[xb + i]) - mean) * rstd;
            if (pc.has_gamma != 0u)
                v *= float(gamma[pc.off_g + i]);
            if (RMS == 0u && pc.has_beta != 0u)
                v += float(beta[pc.off_b + i]);
            y[yb + i] = T(v);
        }
    }
}

// layernorm_row for one invocation and 4-vectors: the same passes and the same
// pivot, with four partial sums per pass.
void layernorm_row4(uint r)
{
    uint xb = (pc.off_x + r * pc.n) >> 2u, yb = (pc.off_y + r * pc.n) >> 2u, n4 = pc.n >> 2u;
    float mean = 0.0;
    if (RMS == 0u) {
        float pivot = float(x4[xb].x);
        vec4 s = vec4(0.0);
        for (uint i = 0u; i < n4; i++)
            s += vec4(x4[xb + i]) - pivot;
        mean = pivot + (s.x + s.y + s.z + s.w) / float(pc.n);
    }
    vec4 q = vec4(0.0);
    for (uint i = 0u; i < n4; i++) {
        vec4 d = vec4(x4[xb + i]) - mean;
        q += d * d;
    }
    float rstd = inversesqrt((q.x + q.y + q.z + q.w) / float(pc.n) + pc.eps);
    for (uint i = 0u; i < n4; i++) {
        vec4 v = (vec4(x4[xb + i]) - mean) * rstd;
        if (pc.has_gamma != 0u)
            v *= vec4(gamma4[(pc.off_g >> 2u) + i]);
        if (RMS == 0u && pc.has_beta != 0u)
            v += vec4(beta4[(pc.off_b >> 2u) + i]);
        y4[yb + i] = T4(v);
    }
}

void main()
{
    if (PER_THREAD == 0u) {
        uint r = vka_group_id();
        if (r >= pc.rows) // the whole workgroup leaves together
            return;
        layernorm_row(r, gl_LocalInvocationID.x, gl_WorkGroupSize.x, true);
    } else {
        uint r = vka_group_id() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
        if (r < pc.rows) {
            if (VEC4 != 0u)
                layernorm_row4(r);
            else
                layernorm_row(r, 0u, 1u, false);
        }
    }
}
