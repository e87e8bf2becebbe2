/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// topk_row.comp — k best of each short row of x [rows, n], one row per
// invocation: no shared memory, no barriers. The invocation keeps the KMAX best
// (key, index) pairs seen so far in registers, sorted, and inserts each element
// by a pass of compare-and-swap over the slots (unrolled: constant indices keep
// the slots in registers). Elements arrive in index order and only a strictly
// better pair displaces a slot, so ties keep the lower index first: the order
// of topk.comp and ONNX Runtime, exactly. Cost n·KMAX per row against the
// workgroup sort's log²(n) barriers: for DEIMv2's [1, 100, 4, 33] k = 4 rows.
// Loop trips per invocation: n (op_select.c keeps n small).
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint KMAX = 4;    // slots: a power of two >= k
layout(constant_id = 2) const uint LARGEST = 1;

#include "topk_key.glsl"

layout(std430, binding = 0) readonly buffer X { T x[]; };
layout(std430, binding = 1) writeonly buffer V { T vals[]; };
layout(std430, binding = 2) writeonly buffer I { int idx[]; };

// keep in sync with vka__topk_push in runtime/src/op_select.c
layout(push_constant) uniform Push {
    uint rows, n, k;
    uint m;            // unused here (topk.comp's sort size)
    uint off_x, off_v, off_i;
} pc;

void main()
{
    uint row = vka_group_id() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
    if (row >= pc.rows)
        return;
    uint base = pc.off_x + row * pc.n;
    uint key[KMAX], id[KMAX];
    // empty slots: the largest pair, displaced by any element (index < 2^32 - 1)
    [[unroll]] for (uint s = 0u; s < KMAX; s++) {
        key[s] = 0xffffffffu;
        id[s] = 0xffffffffu;
    }
    for (uint t = 0u; t < pc.n; t++) {
        uint ck = rank_key(float(x[base + t])), ci = t;
        [[unroll]] for (uint s = 0u; s < KMAX; s++) {
            bool better = ck < key[s] || (ck == key[s] && ci < id[s]);
            uint tk = key[s], ti = id[s];
            key[s] = better ? ck : tk;
            id[s] = better ? ci : ti;
            ck = better ? tk : ck;
            ci = better ? ti : ci;
        }
    }
    uint ob = pc.off_v + row * pc.k, oi = pc.off_i + row * pc.k;
    [[unroll]] for (uint s = 0u; s < KMAX; s++) {
        if (s < pc.k) {
            // the stored value, not one rebuilt from the key (keeps -0 and NaN bits)
            vals[ob + s] = x[base + id[s]];
            idx[oi + s] = int(id[s]);
        }
    }
}
