/* op_rows.h — workgroup sizes for the row kernels (softmax, layernorm, reduce).
 *
 *     uint32_t spec[2];
 *     uint64_t groups;
 *     if (vka__rows_plan(ctx, n, rows, passes, spec, &groups)) ... row too long
 *     // spec[0]: workgroup size, spec[1]: 0 a workgroup per row, 1 an invocation per row
 *
 * Shared by op_norm.c and op_reduce.c only.
 */
#ifndef VKA_OP_ROWS_H
#define VKA_OP_ROWS_H

#include "internal.h"

/* Rows at most this long go one invocation per row (spec[1] = 1): a workgroup
 * per row only pays once a row fills a few subgroups (measured on lavapipe). */
#define VKA_ROWS_PER_THREAD_MAX 16
/* Workgroup of the one-invocation-per-row mode: no barriers, so any size works. */
#define VKA_ROWS_THREAD_WG 64
/* llvmpipe ends a shader invocation's loops, silently, after 65535 back-edges
 * in total (its infinite-loop guard counts every loop of the invocation
 * together). On CPU devices each invocation's loop iterations, all passes
 * together, stay under this; longer rows get bigger workgroups. */
#define VKA_ROWS_LOOP_BUDGET 60000

/* Fills spec and the workgroup count for `rows` rows of length n that each
 * invocation walks `passes` times. Returns the per-invocation loop iterations
 * when a row is too long for the CPU driver's loop limit even with the largest
 * workgroup, else 0. */
static inline uint64_t vka__rows_plan(const vka_context *ctx, uint64_t n, uint64_t rows, int passes,
                                      uint32_t spec[2], uint64_t *groups)
{
    uint32_t sg = ctx->info.subgroup_size ? ctx->info.subgroup_size : 32;
    uint32_t maxwg = ctx->info.max_workgroup_invocations ? ctx->info.max_workgroup_invocations : 128;
    if (maxwg > 1024)
        maxwg = 1024;
    bool cpu = ctx->info.type == VKA_DEVICE_CPU;
    if (n <= VKA_ROWS_PER_THREAD_MAX) {
        spec[0] = VKA_ROWS_THREAD_WG < maxwg ? VKA_ROWS_THREAD_WG : maxwg;
        spec[1] = 1;
        *groups = (rows + spec[0] - 1) / spec[0];
        return 0;
    }
    uint32_t wg = sg;
    if (!cpu) {
        /* GPUs: grow until each invocation has about four elements; a barrier
         * there is cheap next to a row's latency. */
        while (wg < 256 && (uint64_t)wg * 8 <= n && wg * 2 <= maxwg)
            wg *= 2;
    }
    /* CPU drivers run a subgroup as one SIMD loop and a barrier as a coroutine
     * switch: one subgroup per row, so the reductions need no shared memory,
     * unless the row is too long for the loop limit. The reductions' own loops
     * (one per subgroup, twice per reduction) count against it too. */
    uint64_t iters = 0;
    if (cpu) {
        for (;;) {
            iters = (uint64_t)passes * ((n + wg - 1) / wg + 1) + 4ull * (wg / sg);
            if (iters <= VKA_ROWS_LOOP_BUDGET || wg * 2 > maxwg)
                break;
            wg *= 2;
        }
    }
    spec[0] = wg;
    spec[1] = 0;
    *groups = rows;
    return iters > VKA_ROWS_LOOP_BUDGET ? iters : 0;
}

#endif
