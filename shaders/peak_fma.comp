/* SPDX-License-Identifier: MIT */
// peak_fma.comp — fp32 FMA throughput: 12 independent chains per invocation
// (enough to cover FMA latency × pipes on CPUs and GPUs alike, few enough to
// stay in 16 AVX2 registers), iterated pc.iters times; the sum is written so
// that nothing is optimised away. 48 FMAs per invocation per iteration
// (VKA_PEAK_FMAS in runtime/src/peak.c).
#version 450
#extension GL_GOOGLE_include_directive : require

layout(local_size_x = 64) in;

layout(std430, binding = 0) writeonly buffer Out { float o[]; };

// keep in sync with vka__peak_push in runtime/src/peak.c
layout(push_constant) uniform Push {
    uint iters;
    float mul;   // runtime values: the compiler cannot fold the chains
    float add;
} pc;

void main()
{
    uint id = gl_GlobalInvocationID.x;
    float s = float(id & 7u) * 1e-3;
    vec4 x0 = vec4(s, s + 0.1, s + 0.2, s + 0.3);
    vec4 x1 = x0 + 0.4, x2 = x0 + 0.8;
    for (uint i = 0; i < pc.iters; i++) {
        // 4 rounds per iteration: 48 FMAs per invocation per iteration
        x0 = fma(x0, vec4(pc.mul), vec4(pc.add));
        x1 = fma(x1, vec4(pc.mul), vec4(pc.add));
        x2 = fma(x2, vec4(pc.mul), vec4(pc.add));
        x0 = fma(x0, vec4(pc.mul), vec4(pc.add));
        x1 = fma(x1, vec4(pc.mul), vec4(pc.add));
        x2 = fma(x2, vec4(pc.mul), vec4(pc.add));
        x0 = fma(x0, vec4(pc.mul), vec4(pc.add));
        x1 = fma(x1, vec4(pc.mul), vec4(pc.add));
        x2 = fma(x2, vec4(pc.mul), vec4(pc.add));
        x0 = fma(x0, vec4(pc.mul), vec4(pc.add));
        x1 = fma(x1, vec4(pc.mul), vec4(pc.add));
        x2 = fma(x2, vec4(pc.mul), vec4(pc.add));
    }
    vec4 r = x0 + x1 + x2;
    o[id] = r.x + r.y + r.z + r.w;
}
