/* SPDX-License-Identifier: MIT */
/* op_shape.h — shape helpers shared by the elementwise and layout ops: axis
 * merging, memory overlap tests, tensor descriptions for error messages.
 *
 *     int64_t shape[VKA_MAX_DIMS], st[2][VKA_MAX_DIMS];   // index space + strides
 *     int rank = vka__merge_axes(ndim, shape, 2, st);     // fewer axes, same walk
 */
#ifndef VKA_OP_SHAPE_H
#define VKA_OP_SHAPE_H

#include "internal.h"

/* Row-major element strides of t's shape into s[0..ndim). */
static inline void vka__dense_strides(const vka_tensor *t, int64_t *s)
{
    int64_t acc = 1;
    for (int k = t->ndim - 1; k >= 0; k--) {
        s[k] = acc;
        acc *= t->shape[k];
    }
}

/* Drops size-1 axes and merges neighbours that every one of the nstr stride
 * arrays walks as a single axis (st[j][k] == st[j][k+1]·shape[k+1]), so the
 * kernels divide less and same-shape or scalar operands reach the flat paths.
 * Rewrites shape/st in place; returns the new rank, at least 1 (a lone axis of
 * one element when nothing is left). Empty shapes must be handled before. */
static inline int vka__merge_axes(int rank, int64_t *shape, int nstr, int64_t (*st)[VKA_MAX_DIMS])
{
    int r = 0;
    for (int k = 0; k < rank; k++) {
        if (shape[k] == 1)
            continue;
        bool merge = r > 0;
        for (int j = 0; j < nstr && merge; j++)
            merge = st[j][r - 1] == st[j][k] * shape[k];
        if (merge) {
            shape[r - 1] *= shape[k];
            for (int j = 0; j < nstr; j++)
                st[j][r - 1] = st[j][k];
        } else {
            shape[r] = shape[k];
            for (int j = 0; j < nstr; j++)
                st[j][r] = st[j][k];
            r++;
        }
    }
    if (r == 0) {
        shape[0] = 1;
        for (int j = 0; j < nstr; j++)
            st[j][0] = 0;
        r = 1;
    }
    return r;
}

static inline VkDeviceSize vka__tstart(const vka_tensor *t) { return t->alloc.offset + t->byte_offset; }

/* Do a and b share any byte of device memory? */
static inline bool vka__overlap(const vka_tensor *a, const vka_tensor *b)
{
    return a->alloc.block == b->alloc.block && a->bytes && b->bytes && vka__tstart(a) < vka__tstart(b) + b->bytes &&
           vka__tstart(b) < vka__tstart(a) + a->bytes;
}

/* Exactly the same bytes (in-place use), not a shifted or partial overlap. */
static inline bool vka__same_memory(const vka_tensor *a, const vka_tensor *b)
{
    return a->alloc.block == b->alloc.block && vka__tstart(a) == vka__tstart(b) && a->bytes == b->bytes;
}

/* `"name" [2, 3]`, or `[2, 3]` for an unnamed tensor, into buf. */
static inline const char *vka__tdesc(const vka_tensor *t, char *buf, size_t n)
{
    char sb[160];
    if (t && t->name[0])
        snprintf(buf, n, "\"%s\" %s", t->name, vka__shape_str(t, sb, sizeof sb));
    else
        snprintf(buf, n, "%s", vka__shape_str(t, sb, sizeof sb));
    return buf;
}

static inline bool vka__same_shape(const vka_tensor *a, const vka_tensor *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int k = 0; k < a->ndim; k++)
        if (a->shape[k] != b->shape[k])
            return false;
    return true;
}

#endif
