/* peak.c — vka_measure_fp32_peak: the device's fp32 FMA throughput, for
 * "% of peak" columns in benchmarks. */
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

/* Times one dispatch of groups × 64 invocations × iters with GPU timestamps. */
static vka_status time_once(vka_context *ctx, vka_tensor *out, uint32_t groups, uint32_t iters, double *ms)
{
    vka_cmd *cmd = vka_cmd_create(ctx);
    if (!cmd)
        return vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "vka_measure_fp32_peak: cannot create a command");
    vka__peak_push pc = {iters, 0.999f, 0.001f}; /* converges to 1: no overflow, no denormals */
    vka__binding b[] = {{out, 1}};
    vka_status s = vka_cmd_enable_timestamps(cmd, 1);
    if (!s)
        s = vka_cmd_begin(cmd);
    if (!s)
        s = vka__dispatch(cmd, "peak_fma", NULL, 0, b, 1, &pc, sizeof pc, groups, 1, 1);
    if (!s)
        s = vka_cmd_end(cmd);
    if (!s)
        s = vka_cmd_submit(cmd);
    if (!s)
        s = vka_cmd_timing(cmd, 0, NULL, ms);
    vka_cmd_destroy(cmd);
    return s;
}

vka_status vka_measure_fp32_peak(vka_context *ctx, double *gflops)
{
    if (!ctx || !gflops) {
        if (ctx)
            return vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_measure_fp32_peak: gflops is NULL");
        vka__set_tls_error("vka_measure_fp32_peak: ctx is NULL");
        return VKA_ERR_INVALID_ARG;
    }
    /* Enough invocations to fill any GPU (a few per lane of the largest ones);
     * iterations doubled until one dispatch runs for at least 50 ms, so that
     * the dispatch overhead (~85 µs on lavapipe) and the clock ramp are noise. */
    uint32_t groups = ctx->info.type == VKA_DEVICE_CPU ? 256 : 4096;
    if (groups > ctx->props.limits.maxComputeWorkGroupCount[0])
        groups = ctx->props.limits.maxComputeWorkGroupCount[0];
    int64_t n = (int64_t)groups * VKA_PEAK_WG;
    vka_tensor *out = vka_tensor_create(ctx, VKA_F32, 1, &n);
    if (!out)
        return VKA_ERR_OUT_OF_MEMORY;
    vka_tensor_set_name(out, "peak_fma.out");
    uint32_t iters = 64;
    double ms = 0;
    vka_status s;
    for (;;) {
        if ((s = time_once(ctx, out, groups, iters, &ms)))
            break;
        if (ms >= 50.0 || iters >= (1u << 30))
            break;
        /* jump straight to ~100 ms once the time is large enough to extrapolate */
        double f = ms > 2.0 ? 100.0 / ms : 8.0;
        iters = (uint32_t)(iters * f > (double)(1u << 30) ? (1u << 30) : iters * f);
    }
    vka_tensor_destroy(out);
    if (s)
        return s;
    if (ms <= 0)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "vka_measure_fp32_peak: the device reported no elapsed time");
    *gflops = 2.0 * VKA_PEAK_FMAS * (double)n * iters / (ms * 1e6);
    return VKA_OK;
}
