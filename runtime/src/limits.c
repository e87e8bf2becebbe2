/* SPDX-License-Identifier: MIT */
/* limits.c — the one place where counts from files become sizes: overflow-
 * checked element counts and byte sizes, axis normalisation, and the host
 * memory budget that loaders and host folding check before allocating. */
#define _POSIX_C_SOURCE 200809L
#include <unistd.h>

#include "internal.h"

bool vka__mul_count(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0 || (a && b > VKA__MAX_NUMEL / a)) {
        *out = -1;
        return false;
    }
    *out = a * b;
    return true;
}

bool vka__numel(int ndim, const int64_t *shape, int64_t *out)
{
    int64_t n = 1;
    if (ndim < 0 || ndim > VKA_MAX_DIMS || (ndim && !shape)) {
        *out = -1;
        return false;
    }
    /* a zero dim makes the count 0 whatever follows, but a later dim that is
     * negative or alone past the limit is still refused */
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0 || shape[i] > VKA__MAX_NUMEL) {
            *out = -1;
            return false;
        }
        if (!vka__mul_count(n, shape[i], &n))
            return false;
    }
    *out = n;
    return true;
}

bool vka__axis(int64_t axis, int rank, int *out)
{
    if (axis < -(int64_t)rank || axis >= rank)
        return false;
    *out = (int)(axis < 0 ? axis + rank : axis);
    return true;
}

bool vka__axis_insert(int64_t axis, int rank, int *out) { return vka__axis(axis, rank + 1, out); }

uint64_t vka__host_budget_default(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    uint64_t ram = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : (8ull << 30);
    return ram / 2; /* half the machine: a model that needs more is more likely hostile than real */
}
