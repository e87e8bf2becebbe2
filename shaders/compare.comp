/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// compare.comp — y = (a op b) as I32 0/1 with numpy broadcasting. In the f32
// variant ISINT reads the words as int32, so large integers compare exactly.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 256;
// keep in sync with vka_compare_op in runtime/include/vkattn.h
layout(constant_id = 1) const uint OP = 0;
layout(constant_id = 2) const uint ISINT = 0;

layout(std430, binding = 0) readonly buffer A { T a[]; };
layout(std430, binding = 1) readonly buffer B { T b[]; };
layout(std430, binding = 2) writeonly buffer Y { int y[]; };

// keep in sync with vka__compare_push in runtime/src/op_select.c
layout(push_constant) uniform Push {
    uint n, rank;
    uint off_a, off_b, off_y;
    uint shape[8];     // of y after axis merging
    uint sa[8];        // element strides over y's axes (0: broadcast)
    uint sb[8];
} pc;

bool cmp_f(float p, float q)
{
    switch (OP) {
    case 0: return p == q;
    case 1: return p < q;
    case 2: return p > q;
    case 3: return p <= q;
    case 4: return p >= q;
    case 5: return p != 0.0 && q != 0.0;
    case 6: return p != 0.0 || q != 0.0;
    default: return (p != 0.0) != (q != 0.0);
    }
}

bool cmp_i(int p, int q)
{
    switch (OP) {
    case 0: return p == q;
    case 1: return p < q;
    case 2: return p > q;
    case 3: return p <= q;
    case 4: return p >= q;
    case 5: return p != 0 && q != 0;
    case 6: return p != 0 || q != 0;
    default: return (p != 0) != (q != 0);
    }
}

void main()
{
    uint i = vka_group_id() * WG + gl_LocalInvocationID.x;
    if (i >= pc.n)
        return;
    uint r = i, ia = 0u, ib = 0u;
    for (uint k = pc.rank; k-- > 0u;) {
        uint c = r % pc.shape[k];
        r /= pc.shape[k];
        ia += c * pc.sa[k];
        ib += c * pc.sb[k];
    }
    T p = a[pc.off_a + ia], q = b[pc.off_b + ib];
    bool t;
#if defined(VKA_F16) && VKA_F16
    t = cmp_f(float(p), float(q));
#else
    if (ISINT != 0u)
        t = cmp_i(floatBitsToInt(p), floatBitsToInt(q));
    else
        t = cmp_f(p, q);
#endif
    y[pc.off_y + i] = t ? 1 : 0;
}
