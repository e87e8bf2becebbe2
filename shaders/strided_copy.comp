/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// strided_copy.comp — y[oy + Σ i_k·sy_k] = x[ox + Σ i_k·sx_k] over an index
// space of up to 8 axes. One kernel serves vka_permute (x strides permuted),
// vka_slice (x strides scaled by signed steps) and vka_concat (one dispatch per
// input, y strides of the whole output). Any 4-byte dtype travels as uint
// words (no float load could touch an i32's bits), any 2-byte one as f16
// words: nothing is converted.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define WG 256u
#define EPT 4u

layout(local_size_x = 256) in;

#if VKA_F16
#define W float16_t
#else
#define W uint
#endif
layout(std430, binding = 0) readonly buffer X { W x[]; };
layout(std430, binding = 1) writeonly buffer Y { W y[]; };

// keep in sync with vka__strided_push in runtime/src/op_layout.c
layout(push_constant) uniform Push {
    uint n;         // elements in the index space
    uint rank;      // axes after merging, 1..8
    int off_x;      // element of x at index 0 (vka__off + slice start)
    int off_y;
    int shape[8];   // outermost first
    int sx[8];      // element strides, may be negative (slices with step < 0)
    int sy[8];
} pc;

// Offsets of element i in x and y, and i's index along the last axis.
void locate(uint i, out int ix, out int iy, out int last)
{
    ix = pc.off_x;
    iy = pc.off_y;
    int r = int(i);
    last = 0;
    for (uint k = pc.rank; k-- > 1u;) {
        int d = pc.shape[k];
        int q = r / d;
        int c = r - q * d;
        if (k == pc.rank - 1u)
            last = c;
        ix += c * pc.sx[k];
        iy += c * pc.sy[k];
        r = q;
    }
    if (pc.rank == 1u)
        last = r;
    ix += r * pc.sx[0];
    iy += r * pc.sy[0];
}

void main()
{
    // EPT consecutive elements per invocation: the integer divisions of
    // locate() (scalarised on CPUs) run once, the rest step along the last
    // axis and only re-locate when they wrap it
    uint first = (vka_group_id() * WG + gl_LocalInvocationID.x) * EPT;
    if (first >= pc.n)
        return;
    int ix, iy, last;
    locate(first, ix, iy, last);
    int nl = pc.shape[pc.rank - 1u], sxl = pc.sx[pc.rank - 1u], syl = pc.sy[pc.rank - 1u];
    for (uint e = 0u; e < EPT; e++) {
        uint i = first + e;
        if (i >= pc.n)
            return;
        if (e > 0u) {
            last++;
            ix += sxl;
            iy += syl;
            if (last == nl)
                locate(i, ix, iy, last);
        }
        y[iy] = x[ix];
    }
}
