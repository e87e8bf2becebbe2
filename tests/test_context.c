/* SPDX-License-Identifier: MIT */
/* test_context.c — context, tensors, commands and error paths: a tensor over
 * maxStorageBufferRange, shape mismatches, NULL handles, calls out of order;
 * each returns the right status and message and leaves the context usable. */
#include "common.h"

/* copy through a chain of dispatches that depend on each other (barriers) and
 * through unaligned views (descriptor offsets + element remainders) */
static void test_copy_chain(vka_context *ctx, vka_dtype dt)
{
    const int64_t n = 1000003; /* odd, > one workgroup grid row */
    float *x = vkt_randn((size_t)n, 1.0f);
    if (dt == VKA_F16)
        vkt_round_f16(x, (size_t)n);
    vka_tensor *a = vkt_tensor(ctx, dt, 1, &n, x);
    vka_tensor *b = vkt_tensor(ctx, dt, 1, &n, NULL);
    vka_tensor *c = vkt_tensor(ctx, dt, 1, &n, NULL);
    vkt_poison(b);
    vkt_poison(c);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_copy(cmd, a, b);
    vka_copy(cmd, b, c); /* reads what the first wrote: needs a barrier */
    /* unaligned views: c[1 .. n-2] <- a[3 .. n] shifted */
    int64_t m = n - 5;
    vka_tensor *va = vka_tensor_view(a, 3, 1, &m), *vc = vka_tensor_view(c, 1, 1, &m);
    vka_copy(cmd, va, vc);
    vkt_run(cmd);
    float *got = vkt_download(c);
    double *ref = malloc(sizeof *ref * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        ref[i] = x[i];
    for (int64_t i = 0; i < m; i++)
        ref[1 + i] = x[3 + i];
    char what[64];
    snprintf(what, sizeof what, "copy chain + unaligned views %s n=%lld", vka_dtype_str(dt), (long long)n);
    vkt_compare(what, got, ref, (size_t)n, 1e-30);
    /* replay: the same recording gives the same result after new input */
    for (int64_t i = 0; i < n; i++)
        x[i] = -x[i], ref[i] = -ref[i];
    vkt_upload(a, x);
    vkt_poison(c);
    vka_status s = vka_cmd_submit(cmd);
    free(got);
    got = vkt_download(c);
    snprintf(what, sizeof what, "copy chain replay %s", vka_dtype_str(dt));
    vkt_check(s == VKA_OK, "replay submit: %s", vka_status_str(s));
    vkt_compare(what, got, ref, (size_t)n, 1e-30);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(va);
    vka_tensor_destroy(vc);
    vka_tensor_destroy(a);
    vka_tensor_destroy(b);
    vka_tensor_destroy(c);
    free(x), free(got), free(ref);
}

static void test_errors(vka_context *ctx)
{
    const vka_device_info *d = vka_context_device(ctx);
    /* a tensor one element over maxStorageBufferRange */
    int64_t big = (int64_t)(d->max_storage_buffer_range / 4) + 1;
    vka_tensor *t = vka_tensor_create(ctx, VKA_F32, 1, &big);
    vkt_check(t == NULL && strstr(vka_context_last_error(ctx), "maxStorageBufferRange") != NULL,
              "tensor over maxStorageBufferRange refused: \"%s\"", vka_context_last_error(ctx));
    vka_tensor_destroy(t);

    int64_t neg[2] = {3, -1};
    t = vka_tensor_create(ctx, VKA_F32, 2, neg);
    vkt_check(t == NULL && strstr(vka_context_last_error(ctx), "negative"), "negative dimension refused: \"%s\"",
              vka_context_last_error(ctx));

    int64_t s1 = 10, s2 = 11;
    vka_tensor *a = vkt_tensor(ctx, VKA_F32, 1, &s1, NULL), *b = vkt_tensor(ctx, VKA_F32, 1, &s2, NULL);
    vka_tensor_set_name(a, "alpha");
    vka_tensor_set_name(b, "beta");
    vka_cmd *cmd = vka_cmd_create(ctx);

    vkt_expect_error("op before begin", vka_copy(cmd, a, a), VKA_ERR_STATE, "vka_cmd_begin");
    vkt_expect_error("submit before end", vka_cmd_submit(cmd), VKA_ERR_STATE, "not recorded");
    vka_cmd_begin(cmd);
    vkt_expect_error("copy size mismatch", vka_copy(cmd, a, b), VKA_ERR_SHAPE, "beta");
    vkt_expect_error("copy NULL tensor", vka_copy(cmd, a, NULL), VKA_ERR_INVALID_ARG, "NULL");
    vkt_expect_error("NULL cmd", vka_copy(NULL, a, a), VKA_ERR_INVALID_ARG, NULL);
    float buf[11];
    vkt_expect_error("upload wrong size", vka_tensor_upload(a, buf, sizeof buf), VKA_ERR_SHAPE, "alpha");
    vka_tensor *v = vka_tensor_view(a, 5, 1, &s1);
    vkt_check(v == NULL && strstr(vka_context_last_error(ctx), "outside"), "view outside its parent refused: \"%s\"",
              vka_context_last_error(ctx));
    /* still usable after all of that */
    vka_copy(cmd, a, a);
    vka_status s = vka_cmd_end(cmd);
    if (!s)
        s = vka_cmd_submit(cmd);
    vkt_check(s == VKA_OK, "context usable after errors: %s", vka_status_str(s));
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(a);
    vka_tensor_destroy(b);

    /* destroying NULL is a no-op */
    vka_tensor_destroy(NULL);
    vka_cmd_destroy(NULL);
    vka_context_destroy(NULL);
    vkt_check(1, "destroy(NULL) is a no-op");

    /* device selection errors */
    vka_context_params p = vka_context_default_params();
    p.device_name = "no-such-device-xyz";
    vka_context *c2 = vka_context_create(&p);
    vkt_check(c2 == NULL && strstr(vka_last_error(), "no-such-device-xyz"), "unknown device name: \"%s\"",
              vka_last_error());
    p = vka_context_default_params();
    p.device_index = 99;
    c2 = vka_context_create(&p);
    vkt_check(c2 == NULL && strstr(vka_last_error(), "99"), "unknown device index: \"%s\"", vka_last_error());
}

static void test_devices(void)
{
    int n = 0;
    vka_status s = vka_devices_list(NULL, 0, &n);
    vkt_check(s == VKA_OK && n >= 1, "vka_devices_list: %d devices", n);
    vka_device_info *d = calloc((size_t)n, sizeof *d);
    vka_devices_list(d, n, &n);
    for (int i = 0; i < n; i++)
        vkt_check(d[i].name[0] && d[i].max_storage_buffer_range > 0 && d[i].subgroup_size > 0,
                  "device %d: %s, subgroup %u, maxStorageBufferRange %llu", i, d[i].name, d[i].subgroup_size,
                  (unsigned long long)d[i].max_storage_buffer_range);
    free(d);
}

static void test_timestamps(vka_context *ctx)
{
    int64_t n = 1 << 20;
    vka_tensor *a = vkt_tensor(ctx, VKA_F32, 1, &n, NULL), *b = vkt_tensor(ctx, VKA_F32, 1, &n, NULL);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_enable_timestamps(cmd, 1);
    vka_cmd_begin(cmd);
    vka_cmd_set_label(cmd, "first");
    vka_copy(cmd, a, b);
    vka_cmd_set_label(cmd, "second");
    vka_copy(cmd, b, a);
    vkt_run(cmd);
    const char *l0, *l1;
    double t0, t1;
    vka_cmd_timing(cmd, 0, &l0, &t0);
    vka_cmd_timing(cmd, 1, &l1, &t1);
    vkt_check(vka_cmd_dispatch_count(cmd) == 2 && strstr(l0, "first") && strstr(l1, "second") && t0 > 0 && t1 > 0,
              "timestamps: %s %.3f ms, %s %.3f ms", l0, t0, l1, t1);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(a);
    vka_tensor_destroy(b);
}

/* The discrete-GPU path: tensors in memory the host cannot map, reached
 * through the staging buffer (forced on any device by VKATTN_FORCE_STAGING). */
static void test_staging(void)
{
    setenv("VKATTN_FORCE_STAGING", "1", 1);
    vka_context_params p = vka_context_default_params();
    p.log = vkt_log;
    vka_context *ctx = vka_context_create(&p);
    unsetenv("VKATTN_FORCE_STAGING");
    if (!ctx) {
        vkt_check(0, "staging context: %s", vka_last_error());
        return;
    }
    vka_context *saved = vkt_ctx;
    vkt_ctx = ctx;
    test_copy_chain(ctx, VKA_F32);
    vkt_ctx = saved;
    int verr = vka_context_validation_errors(ctx);
    vkt_check(verr == 0, "staging context: %d validation errors", verr);
    vka_context_destroy(ctx);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    test_devices();
    test_copy_chain(ctx, VKA_F32);
    if (vka_context_device(ctx)->fp16_storage)
        test_copy_chain(ctx, VKA_F16);
    test_staging();
    test_errors(ctx);
    test_timestamps(ctx);
    return vkt_finish();
}
