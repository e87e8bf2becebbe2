/* SPDX-License-Identifier: MIT */
// binary_body.glsl — y = a op b with numpy broadcasting, shared by binary.comp
// (float storage, fp32 math) and binary_i32.comp (int32). The including shader
// defines VKA_ELEM (storage type), VKA_CALC (math type) and
//     VKA_CALC apply(VKA_CALC x, VKA_CALC z)
// switching on the OP specialization constant declared here.
// The C side merges axes first, so most calls reach one of the flat modes.
#ifndef VKA_BINARY_BODY_GLSL
#define VKA_BINARY_BODY_GLSL

#define WG 256u
#define EPT 4u // elements per invocation, WG apart so neighbours stay adjacent

layout(local_size_x = 256) in;

// keep in sync with vka_binary_op in runtime/include/vkattn.h
layout(constant_id = 0) const uint OP = 0;
// 0: a and b dense like y; 1: b is one element; 2: a is one element;
// 3: strided by pc.shape / pc.sa / pc.sb (0 strides broadcast); 4: as 3 with
// rows of 8 or more, EPT elements of one row per invocation
layout(constant_id = 1) const uint MODE = 0;
// the merged rank where the C side fixes it (0: pc.rank): locate()'s loop unrolls
layout(constant_id = 2) const uint RANK = 0;
#define B_RANK (RANK != 0u ? RANK : pc.rank)

layout(std430, binding = 0) readonly buffer A { VKA_ELEM a[]; };
layout(std430, binding = 1) readonly buffer B { VKA_ELEM b[]; };
layout(std430, binding = 2) writeonly buffer Y { VKA_ELEM y[]; };

// keep in sync with vka__binary_push in runtime/src/op_elementwise.c
layout(push_constant) uniform Push {
    uint n;
    uint off_a;
    uint off_b;
    uint off_y;
    uint rank;      // axes after merging (MODE 3), 1..8
    uint shape[8];  // of y, outermost first
    uint sa[8];     // element strides of a over y's axes
    uint sb[8];
} pc;

VKA_CALC apply(VKA_CALC x, VKA_CALC z);

// Offsets of element i in a and b (MODE 3), and i's index along the last axis.
void locate(uint i, out uint ia, out uint ib, out uint last)
{
    ia = 0u;
    ib = 0u;
    uint r = i;
    last = 0u;
    for (uint k = B_RANK; k-- > 1u;) {
        uint d = pc.shape[k];
        uint q = r / d;
        uint c = r - q * d;
        if (k == B_RANK - 1u)
            last = c;
        ia += c * pc.sa[k];
        ib += c * pc.sb[k];
        r = q;
    }
    if (B_RANK == 1u)
        last = r;
    ia += r * pc.sa[0];
    ib += r * pc.sb[0];
}

void main()
{
    if (MODE == 4u) {
        // EPT consecutive elements of one row (the last axis) per invocation:
        // one locate() and no wrap to test (under llvmpipe's execution masks a
        // re-locate inside the loop runs, divisions and all, for every element)
        uint g = vka_group_id() * WG + gl_LocalInvocationID.x;
        uint len = pc.shape[B_RANK - 1u], cpr = (len + EPT - 1u) / EPT;
        uint row = g / cpr, c0 = (g - row * cpr) * EPT;
        if (row >= pc.n / len)
            return;
        uint ia, ib, last;
        locate(row * len + c0, ia, ib, last);
        uint sal = pc.sa[B_RANK - 1u], sbl = pc.sb[B_RANK - 1u], yi = pc.off_y + row * len + c0;
        for (uint e = 0u; e < EPT; e++) {
            if (c0 + e < len)
                y[yi + e] = VKA_ELEM(apply(VKA_CALC(a[pc.off_a + ia]), VKA_CALC(b[pc.off_b + ib])));
            ia += sal;
            ib += sbl;
        }
        return;
    }
    if (MODE == 3u) {
        // EPT consecutive elements per invocation: the integer divisions of
        // locate() (scalarised on CPUs) run once, the rest step along the last
        // axis and only re-locate when they wrap it
        uint first = (vka_group_id() * WG + gl_LocalInvocationID.x) * EPT;
        if (first >= pc.n)
            return;
        uint ia, ib, last;
        locate(first, ia, ib, last);
        uint nl = pc.shape[pc.rank - 1u], sal = pc.sa[pc.rank - 1u], sbl = pc.sb[pc.rank - 1u];
        for (uint e = 0u; e < EPT; e++) {
            uint i = first + e;
            if (i >= pc.n)
                return;
            if (e > 0u) {
                last++;
                ia += sal;
                ib += sbl;
                if (last == nl)
                    locate(i, ia, ib, last);
            }
            y[pc.off_y + i] = VKA_ELEM(apply(VKA_CALC(a[pc.off_a + ia]), VKA_CALC(b[pc.off_b + ib])));
        }
        return;
    }
    uint base = vka_group_id() * (WG * EPT) + gl_LocalInvocationID.x;
    for (uint e = 0u; e < EPT; e++) {
        uint i = base + e * WG;
        if (i >= pc.n)
            return;
        uint ia = MODE == 2u ? 0u : i, ib = MODE == 1u ? 0u : i;
        y[pc.off_y + i] = VKA_ELEM(apply(VKA_CALC(a[pc.off_a + ia]), VKA_CALC(b[pc.off_b + ib])));
    }
}

#endif
