/* SPDX-License-Identifier: MIT */
/* op_rows.h — workgroup sizes for the row kernels (softmax, layernorm, reduce).
 *
 *     uint32_t spec[2];
 *     uint64_t groups;
 *     if (vka__rows_plan(ctx, n, rows, passes, VKA_ROWS_PER_THREAD_MAX, spec, &groups)) ... row too long
 *     // spec[0]: workgroup size, spec[1]: 0 a workgroup per row, 1 an invocation per row
 *
 * Shared by op_norm.c and op_reduce.c only.
 */
#ifndef VKA_OP_ROWS_H
#define VKA_OP_ROWS_H

#include "internal.h"

/* On GPUs, contiguous rows at most this long go one invocation per row: longer
 * ones read uncoalesced that way and want a workgroup per row. */
#define VKA_ROWS_PER_THREAD_MAX 16
/* Workgroup of the one-invocation-per-row mode: no barriers, so any size works. */
#define VKA_ROWS_THREAD_WG 64
/* llvmpipe ends a shader invocation's loops, silently, after 65535 back-edges
 * in total (its infinite-loop guard counts every loop of the invocation
 * together). On CPU devices each invocation's loop iterations, all passes
 * together, stay under this. */
#define VKA_ROWS_LOOP_BUDGET 60000

/* Plans `rows` rows of length n that each invocation walks `passes` times;
 * rows up to thread_max long go one invocation per row on any device. Fills
 * spec and the workgroup count. Returns the per-invocation loop iterations
 * when a row is too long for a CPU driver's loop limit even with the largest
 * workgroup, else 0.
 *
 * Measured on lavapipe (2 cores, 2026-11-23, machine shared with other builds, ms per dispatch,
 * workgroup per row of 8 / invocation per row in workgroups of 64):
 *   softmax   2364 x 197:  3.3 / 1.9     softmax  6924 x 577: 46 / 38
 *   softmax  30000 x 32:  23   / 4.1     layernorm 577 x 768: 2.7 / 1.5
 * Every workgroup costs the CPU driver ~1.5 µs of setup and every cross-lane
 * step a masked loop, so there an invocation walks a whole row whenever there
 * are enough rows to fill the cores and the loop limit allows. */
static inline uint64_t vka__rows_plan(const vka_context *ctx, uint64_t n, uint64_t rows, int passes,
                                      uint64_t thread_max, uint32_t spec[2], uint64_t *groups)
{
    uint32_t sg = ctx->info.subgroup_size ? ctx->info.subgroup_size : 32;
    uint32_t maxwg = ctx->info.max_workgroup_invocations ? ctx->info.max_workgroup_invocations : 128;
    if (maxwg > 1024)
        maxwg = 1024;
    bool cpu = ctx->info.type == VKA_DEVICE_CPU;
    uint64_t thread_iters = (uint64_t)passes * (n + 1);
    if (n <= thread_max || (cpu && rows >= 2ull * sg && thread_iters <= VKA_ROWS_LOOP_BUDGET)) {
        /* few rows on a CPU: one subgroup per workgroup spreads them over the cores */
        uint32_t wg = cpu && rows < 1024 ? sg : VKA_ROWS_THREAD_WG;
        spec[0] = wg < maxwg ? wg : maxwg;
        spec[1] = 1;
        *groups = (rows + spec[0] - 1) / spec[0];
        return cpu && thread_iters > VKA_ROWS_LOOP_BUDGET ? thread_iters : 0;
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
     * (one step per subgroup, twice per reduction) count against it too. */
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
