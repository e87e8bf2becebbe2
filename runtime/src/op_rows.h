/* op_rows.h — workgroup sizes for the row kernels (softmax, layernorm, reduce).
 *
 *     uint32_t spec[2];
 *     vka__rows_plan(ctx, n, rows, spec, &groups);   // spec[0] size, spec[1] mode
 *
 * Shared by op_norm.c and op_reduce.c only.
 */
#ifndef VKA_OP_ROWS_H
#define VKA_OP_ROWS_H

#include "internal.h"

/* Rows at most this long go one invocation per row (spec[1] = 1). Measured on
 * lavapipe: a workgroup per row only wins once a row fills a few subgroups,
 * because every workgroup pays the driver's per-group setup. */
#define VKA_ROWS_PER_THREAD_MAX 16
/* Workgroup of the one-invocation-per-row mode: no barriers, so any size works. */
#define VKA_ROWS_THREAD_WG 64

/* Fills spec[0] (workgroup size) and spec[1] (0: a workgroup per row, 1: an
 * invocation per row) for `rows` rows of length n, and the workgroup count. */
static inline void vka__rows_plan(const vka_context *ctx, uint64_t n, uint64_t rows, uint32_t spec[2],
                                  uint64_t *groups)
{
    uint32_t sg = ctx->info.subgroup_size ? ctx->info.subgroup_size : 32;
    uint32_t maxwg = ctx->info.max_workgroup_invocations ? ctx->info.max_workgroup_invocations : 128;
    if (n <= VKA_ROWS_PER_THREAD_MAX) {
        spec[0] = VKA_ROWS_THREAD_WG < maxwg ? VKA_ROWS_THREAD_WG : maxwg;
        spec[1] = 1;
        *groups = (rows + spec[0] - 1) / spec[0];
        return;
    }
    uint32_t wg = sg;
    if (ctx->info.type != VKA_DEVICE_CPU) {
        /* GPUs: grow until each invocation has about four elements; a barrier
         * there is cheap next to a row's latency. */
        while (wg < 256 && (uint64_t)wg * 8 <= n && wg * 2 <= maxwg)
            wg *= 2;
    }
    /* CPU drivers run a subgroup as one SIMD loop and a barrier as a coroutine
     * switch: one subgroup per row, so the reductions never need shared memory. */
    spec[0] = wg;
    spec[1] = 0;
    *groups = rows;
}

#endif
