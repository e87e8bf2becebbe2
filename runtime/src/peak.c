/* SPDX-License-Identifier: MIT */
/* peak.c — vka_measure_fp32_peak: the device's fp32 FMA throughput, for
 * "% of peak" columns in benchmarks. */
#include <stdlib.h>

#include "internal.h"

/* keep in sync with Push in shaders/peak_fma.comp */
typedef struct vka__peak_push {
    uint32_t iters;
    float mul;
    float add;
} vka__peak_push;
_Static_assert(sizeof(vka__peak_push) <= VKA_PUSH_MAX, "push constants");

#define VKA_PEAK_FMAS 48.0 /* per invocation per iteration of peak_fma.comp */
#define VKA_PEAK_WG 64     /* its local_size_x */
/* Iterations per invocation at most: llvmpipe ends an invocation's loops after
 * 65535 iterations in all, which would cut the work short and inflate the
 * result. Longer runs get more workgroups instead. */
#define VKA_PEAK_MAX_ITERS 32768u

/* A recorded dispatch of groups × 64 invocations × iters, resubmitted per repetition. */
typedef struct peak_run {
    vka_cmd *cmd;
    uint32_t groups, iters;
} peak_run;

static vka_status record(vka_context *ctx, vka_tensor *out, uint32_t groups, uint32_t iters, peak_run *r)
{
    r->groups = groups, r->iters = iters;
    r->cmd = vka_cmd_create(ctx);
    if (!r->cmd)
        return vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "vka_measure_fp32_peak: cannot create a command");
    vka__peak_push pc = {iters, 0.999f, 0.001f}; /* converges to 1: no overflow, no denormals */
    vka__binding b[] = {{out, 1}};
    vka_status s = vka_cmd_enable_timestamps(r->cmd, 1);
    if (!s)
        s = vka_cmd_begin(r->cmd);
    if (!s)
        s = vka__dispatch(r->cmd, "peak_fma", NULL, 0, b, 1, &pc, sizeof pc, groups, 1, 1);
    if (!s)
        s = vka_cmd_end(r->cmd);
    return s;
}

static vka_status time_run(peak_run *r, double *ms)
{
    vka_status s = vka_cmd_submit(r->cmd);
    if (!s)
        s = vka_cmd_timing(r->cmd, 0, NULL, ms);
    return s;
}

static double gflops_of(const peak_run *r, double ms)
{
    return 2.0 * VKA_PEAK_FMAS * VKA_PEAK_WG * (double)r->groups * r->iters / (ms * 1e6);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

vka_status vka_measure_fp32_peak_ex(vka_context *ctx, int reps, double min_ms, vka_peak_info *info)
{
    if (!ctx || !info) {
        if (ctx)
            return vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_measure_fp32_peak: info is NULL");
        vka__set_tls_error("vka_measure_fp32_peak: ctx is NULL");
        return VKA_ERR_INVALID_ARG;
    }
    if (reps <= 0)
        reps = 5;
    if (reps > 1000)
        reps = 1000;
    if (min_ms <= 0)
        min_ms = 200.0;
    /* Enough invocations to fill any GPU (a few per lane of the largest ones);
     * the work grows until one dispatch runs for min_ms, so that the dispatch
     * overhead (~85 µs on lavapipe) and the clock ramp are noise, and a
     * preemption by another process is a small part of a repetition. */
    uint32_t maxg = ctx->props.limits.maxComputeWorkGroupCount[0];
    if (maxg > 65535)
        maxg = 65535; /* sizes the output buffer: 16 MiB at most */
    uint32_t groups = ctx->info.type == VKA_DEVICE_CPU ? 256 : 4096;
    if (groups > maxg)
        groups = maxg;
    int64_t n = (int64_t)maxg * VKA_PEAK_WG;
    vka_tensor *out = vka_tensor_create(ctx, VKA_F32, 1, &n);
    if (!out)
        return VKA_ERR_OUT_OF_MEMORY;
    vka_tensor_set_name(out, "peak_fma.out");
    double *t = malloc(sizeof *t * (size_t)reps);
    peak_run r = {0};
    uint32_t iters = 64;
    double ms = 0;
    vka_status s = t ? VKA_OK : vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "vka_measure_fp32_peak: out of host memory");
    /* calibration: grow ×8 until a dispatch is long enough to extrapolate */
    for (int step = 0; !s; step++) {
        if ((s = record(ctx, out, groups, iters, &r)) || (s = time_run(&r, &ms)))
            break;
        vka_cmd_destroy(r.cmd);
        r.cmd = NULL;
        int at_max = iters >= VKA_PEAK_MAX_ITERS && groups >= maxg;
        if (ms >= min_ms || at_max || step >= 40)
            break;
        double f = ms >= min_ms / 8 ? 1.1 * min_ms / ms : 8.0; /* 10% over: some runs are faster */
        double it = iters * f;
        if (it <= VKA_PEAK_MAX_ITERS) {
            iters = (uint32_t)(it + 1);
        } else { /* the rest of the growth in workgroups */
            double g = groups * (it / VKA_PEAK_MAX_ITERS);
            iters = VKA_PEAK_MAX_ITERS;
            groups = g >= maxg ? maxg : (uint32_t)(g + 1);
        }
    }
    if (!s)
        s = record(ctx, out, groups, iters, &r);
    double total = 0;
    for (int i = 0; i < reps && !s; i++) {
        s = time_run(&r, &t[i]);
        total += t[i];
        if (!s && t[i] <= 0)
            s = vka__err(ctx, VKA_ERR_UNSUPPORTED, "vka_measure_fp32_peak: the device reported no elapsed time");
    }
    if (!s) {
        qsort(t, (size_t)reps, sizeof *t, cmp_double);
        info->gflops = gflops_of(&r, t[0]);
        info->median_gflops = gflops_of(&r, reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]));
        info->worst_gflops = gflops_of(&r, t[reps - 1]);
        info->reps = reps;
        info->rep_ms = t[0];
        info->total_ms = total;
        info->invocations = (uint64_t)r.groups * VKA_PEAK_WG;
        info->iters = r.iters;
    }
    vka_cmd_destroy(r.cmd);
    vka_tensor_destroy(out);
    free(t);
    return s;
}

vka_status vka_measure_fp32_peak(vka_context *ctx, double *gflops)
{
    if (ctx && !gflops)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_measure_fp32_peak: gflops is NULL");
    vka_peak_info info;
    vka_status s = vka_measure_fp32_peak_ex(ctx, 0, 0, &info);
    if (!s)
        *gflops = info.gflops;
    return s;
}
