/* SPDX-License-Identifier: MIT */
// vka-variants: f32 f16
// topk.comp — k best of each row of x [rows, n], one workgroup per row (short
// rows with small k go to topk_row.comp instead). Every value becomes a 32-bit
// rank key (include/topk_key.glsl) and the pair (key, index) is totally
// ordered: ties go to the lower index, as in ONNX Runtime.
//   MODE 0 (n <= 2048): the whole row is bitonic-sorted in shared memory.
//   MODE 1 (k <= 2048): a radix select (4 passes of 8 bits over the key, then,
//   only when the k-th key is tied, up to 3 passes over the tied indices) finds
//   the k-th pair exactly; the k pairs up to it are gathered and sorted.
// Loop trips per invocation stay near 8·n/WG + 7·256, under lavapipe's budget
// for the n <= 2^19 the C side allows.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 256;
layout(constant_id = 1) const uint MODE = 0;
layout(constant_id = 2) const uint LARGEST = 1;

#define MAXS 2048u

layout(std430, binding = 0) readonly buffer X { T x[]; };
layout(std430, binding = 1) writeonly buffer V { T vals[]; };
layout(std430, binding = 2) writeonly buffer I { int idx[]; };

// keep in sync with vka__topk_push in runtime/src/op_select.c
layout(push_constant) uniform Push {
    uint rows, n, k;
    uint m;            // power of two >= the items to sort (n or k), <= MAXS
    uint off_x, off_v, off_i;
} pc;

shared uint sk[MAXS];
shared uint si[MAXS];
shared uint hist[256];
shared uint s_prefix, s_rem, s_tied, s_count;

#include "topk_key.glsl"

// Ascending bitonic sort of sk/si[0, pc.m) by (key, index).
void bitonic()
{
    uint lid = gl_LocalInvocationID.x;
    for (uint size = 2u; size <= pc.m; size <<= 1u) {
        for (uint stride = size >> 1u; stride > 0u; stride >>= 1u) {
            for (uint t = lid; t < pc.m / 2u; t += WG) {
                uint i = 2u * t - (t & (stride - 1u)), j = i + stride;
                uint ki = sk[i], kj = sk[j], ii = si[i], ij = si[j];
                bool gt = ki > kj || (ki == kj && ii > ij);
                if (gt == ((i & size) == 0u)) {
                    sk[i] = kj, sk[j] = ki;
                    si[i] = ij, si[j] = ii;
                }
            }
            barrier();
        }
    }
}

// One radix pass over the candidates (key, index) whose masked bits match
// prefix: histogram of 8 bits at shift, then the bucket holding the rem-th.
// USE_INDEX selects the index instead of the key as the digit source.
void radix_pass(uint base, uint shift, bool use_index, uint key_eq, uint mask)
{
    uint lid = gl_LocalInvocationID.x;
    hist[lid] = 0u; // WG == 256 in MODE 1
    barrier();
    uint prefix = s_prefix;
    for (uint t = lid; t < pc.n; t += WG) {
        uint key = rank_key(float(x[base + t]));
        if (use_index) {
            if (key == key_eq && (t & mask) == prefix)
                atomicAdd(hist[(t >> shift) & 255u], 1u);
        } else if ((key & mask) == prefix) {
            atomicAdd(hist[(key >> shift) & 255u], 1u);
        }
    }
    barrier();
    if (lid == 0u) {
        uint cum = 0u, rem = s_rem;
        for (uint b = 0u; b < 256u; b++) {
            uint h = hist[b];
            if (cum + h >= rem) {
                s_prefix = prefix | (b << shift);
                s_rem = rem - cum;
                s_tied = h;
                break;
            }
            cum += h;
        }
    }
    barrier();
}

void main()
{
    uint row = vka_group_id();
    if (row >= pc.rows)
        return;
    uint lid = gl_LocalInvocationID.x;
    uint base = pc.off_x + row * pc.n;
    if (MODE == 0u) {
        for (uint t = lid; t < pc.m; t += WG) {
            sk[t] = t < pc.n ? rank_key(float(x[base + t])) : 0xffffffffu;
            si[t] = t < pc.n ? t : 0xffffffffu;
        }
        barrier();
    } else {
        if (lid == 0u) {
            s_prefix = 0u;
            s_rem = pc.k;
        }
        barrier();
        uint mask = 0u;
        for (uint pass = 0u; pass < 4u; pass++) {
            uint shift = 24u - 8u * pass;
            radix_pass(base, shift, false, 0u, mask);
            mask |= 255u << shift;
        }
        uint kth = s_prefix;    // the k-th key
        uint last = 0xffffffffu; // highest index taken among keys equal to kth
        bool partial_tie = s_tied != s_rem;
        barrier(); // everyone has read s_prefix before it is reset below
        if (partial_tie) {
            // only part of the tie is taken: find the s_rem-th lowest tied index
            if (lid == 0u)
                s_prefix = 0u;
            barrier();
            mask = 0u;
            for (uint pass = 0u; pass < 3u; pass++) {
                uint shift = 16u - 8u * pass;
                radix_pass(base, shift, true, kth, mask);
                mask |= 255u << shift;
            }
            last = s_prefix;
        }
        if (lid == 0u)
            s_count = 0u;
        barrier();
        for (uint t = lid; t < pc.n; t += WG) {
            uint key = rank_key(float(x[base + t]));
            if (key < kth || (key == kth && t <= last)) {
                uint slot = atomicAdd(s_count, 1u);
                sk[slot] = key;
                si[slot] = t;
            }
        }
        barrier();
        for (uint t = pc.k + lid; t < pc.m; t += WG) {
            sk[t] = 0xffffffffu;
            si[t] = 0xffffffffu;
        }
        barrier();
    }
    bitonic();
    for (uint t = lid; t < pc.k; t += WG) {
        uint j = si[t];
        // the stored value, not one rebuilt from the key (keeps -0 and NaN bits)
        vals[pc.off_v + row * pc.k + t] = x[base + j];
        idx[pc.off_i + row * pc.k + t] = int(j);
    }
}
