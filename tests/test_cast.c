/* SPDX-License-Identifier: MIT */
/* test_cast.c — vka_cast between f32, f16 and i32 with exact expected bits:
 * f32 -> f16 rounds to nearest even (ties, subnormals, overflow to inf, NaN),
 * every one of the 65536 f16 patterns -> f32, float -> int truncates toward
 * zero and saturates (NaN -> 0), int -> f32 rounds to nearest even above 2^24;
 * unaligned views; error paths. */
#include "common.h"

static int isnan16(uint16_t h) { return (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu); }
static int isnan32(uint32_t u) { return (u & 0x7f800000u) == 0x7f800000u && (u & 0x7fffffu); }

/* float -> int32 as documented for vka_cast (C leaves NaN and overflow undefined) */
static int32_t ref_f2i(float f)
{
    if (f != f)
        return 0;
    if (f >= 2147483648.0f)
        return INT32_MAX;
    if (f < -2147483648.0f)
        return INT32_MIN;
    return (int32_t)f;
}

static uint32_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* Runs cast x(dt_x) -> y(dt_y) on n raw elements and compares raw result bits
 * to want (NaN matches any NaN). views: both through unaligned views. */
static void run(vka_context *ctx, const char *what, vka_dtype dx, vka_dtype dy, int64_t n, const void *in,
                const void *want, int views)
{
    vka_tensor *x, *y, *px = NULL, *py = NULL;
    if (views) {
        int64_t m = n + 5;
        px = vkt_tensor(ctx, dx, 1, &m, NULL);
        py = vkt_tensor(ctx, dy, 1, &m, NULL);
        x = vka_tensor_view(px, 3, 1, &n);
        y = vka_tensor_view(py, 1, 1, &n);
        vkt_poison(py);
    } else {
        x = vkt_tensor(ctx, dx, 1, &n, NULL);
        y = vkt_tensor(ctx, dy, 1, &n, NULL);
        vkt_poison(y);
    }
    vka_tensor_upload(x, in, vka_tensor_bytes(x));
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_cast(cmd, x, y);
    char full[160];
    snprintf(full, sizeof full, "cast %s -> %s %s n=%lld%s", vka_dtype_str(dx), vka_dtype_str(dy), what,
             (long long)n, views ? " views" : "");
    if (s) {
        vkt_check(0, "%s: %s", full, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        size_t es = vka_dtype_size(dy);
        uint8_t *got = malloc(es * (size_t)n);
        vka_tensor_download(y, got, es * (size_t)n);
        int64_t bad = 0, first = -1;
        for (int64_t i = 0; i < n; i++) {
            int same;
            if (es == 2) {
                uint16_t g, w;
                memcpy(&g, got + 2 * i, 2);
                memcpy(&w, (const uint8_t *)want + 2 * i, 2);
                same = g == w || (isnan16(g) && isnan16(w));
            } else {
                uint32_t g, w;
                memcpy(&g, got + 4 * i, 4);
                memcpy(&w, (const uint8_t *)want + 4 * i, 4);
                same = g == w || (dy == VKA_F32 && isnan32(g) && isnan32(w));
            }
            if (!same && !bad++)
                first = i;
        }
        if (bad) {
            uint32_t g = 0, w = 0, v = 0;
            memcpy(&g, got + es * (size_t)first, es);
            memcpy(&w, (const uint8_t *)want + es * (size_t)first, es);
            memcpy(&v, (const uint8_t *)in + vka_dtype_size(dx) * (size_t)first, vka_dtype_size(dx));
            vkt_check(0, "%s: %lld wrong, first at %lld: input 0x%08x gave 0x%08x, want 0x%08x", full, (long long)bad,
                      (long long)first, v, g, w);
        } else {
            vkt_check(1, "%s: all exact", full);
        }
        free(got);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(y), vka_tensor_destroy(px), vka_tensor_destroy(py);
}

/* floats worth converting: random at many scales plus every edge case */
static float *edge_floats(int64_t n)
{
    static const float special[] = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.7f, 2.7f,
                                    1.00048828125f,     /* 1 + 2^-11: f16 tie, rounds to even (1) */
                                    1.00146484375f,     /* 1 + 3·2^-11: tie, rounds up to 1 + 2^-9 */
                                    1.000732421875f,    /* 1 + 1.5·2^-11: just above the tie */
                                    65504.0f, 65519.0f, 65520.0f, 70000.0f, -1e9f,
                                    6.103515625e-05f,   /* smallest normal f16 */
                                    5.9604644775390625e-08f, 2.98e-08f, 2.99e-08f, 1e-5f, -3.1e-6f, 1e-9f,
                                    16777217.0f, 2147483520.0f, 2147483648.0f, -2147483648.0f, -2147483904.0f,
                                    3e9f, -3e9f, INFINITY, -INFINITY, NAN, -NAN};
    size_t ns = sizeof special / sizeof special[0];
    float *x = malloc(sizeof *x * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        if ((size_t)i < ns)
            x[i] = special[i];
        else
            x[i] = vkt_randn1() * (float)pow(10.0, (double)(vkt_rand_u32() % 13) - 6.0);
    }
    return x;
}

static void test_f32_f16(vka_context *ctx, int64_t n, int views)
{
    float *x = edge_floats(n);
    uint16_t *want = malloc(2 * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        want[i] = vkt_f32_to_f16(x[i]);
    run(ctx, "(ties, subnormals, overflow, NaN)", VKA_F32, VKA_F16, n, x, want, views);
    free(x), free(want);
}

static void test_f16_f32(vka_context *ctx)
{
    int64_t n = 65536;
    uint16_t *x = malloc(2 * (size_t)n);
    float *want = malloc(4 * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        x[i] = (uint16_t)i;
        want[i] = vkt_f16_to_f32((uint16_t)i);
    }
    run(ctx, "(every f16 pattern)", VKA_F16, VKA_F32, n, x, want, 0);
    /* f16 -> i32 on the finite ones */
    int32_t *wi = malloc(4 * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        wi[i] = ref_f2i(vkt_f16_to_f32((uint16_t)i));
    run(ctx, "(every f16 pattern)", VKA_F16, VKA_I32, n, x, wi, 0);
    free(x), free(want), free(wi);
}

static void test_f32_i32(vka_context *ctx, int64_t n, int views)
{
    float *x = edge_floats(n);
    int32_t *want = malloc(4 * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        want[i] = ref_f2i(x[i]);
    run(ctx, "(truncation, saturation, NaN -> 0)", VKA_F32, VKA_I32, n, x, want, views);
    free(x), free(want);
}

static void test_i32_float(vka_context *ctx, int64_t n)
{
    static const int32_t special[] = {0, 1, -1, 16777216, 16777217, 16777219, -16777217, INT32_MAX, INT32_MIN,
                                      65504, 65519, 65520, 2049, 2051, -100000};
    size_t ns = sizeof special / sizeof special[0];
    int32_t *x = malloc(4 * (size_t)n);
    float *wf = malloc(4 * (size_t)n);
    uint16_t *wh = malloc(2 * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        x[i] = (size_t)i < ns ? special[i] : (int32_t)(vkt_rand_u32() >> (vkt_rand_u32() % 32));
        if (i & 1)
            x[i] = -x[i];
        wf[i] = (float)x[i];            /* round to nearest even */
        wh[i] = vkt_f32_to_f16(wf[i]);  /* exact below 2^24, so one rounding */
    }
    run(ctx, "(rounding above 2^24)", VKA_I32, VKA_F32, n, x, wf, 0);
    if (vka_context_device(ctx)->fp16_storage)
        run(ctx, "", VKA_I32, VKA_F16, n, x, wh, 0);
    run(ctx, "(same dtype)", VKA_I32, VKA_I32, n, x, x, 0);
    free(x), free(wf), free(wh);
}

static void test_errors(vka_context *ctx)
{
    int64_t s1[2] = {3, 4}, s2[2] = {4, 3}, n = 12;
    vka_tensor *a = vkt_tensor(ctx, VKA_F32, 2, s1, NULL), *b = vkt_tensor(ctx, VKA_I32, 2, s2, NULL);
    vka_tensor *u = vkt_tensor(ctx, VKA_U8, 2, s1, NULL), *c = vkt_tensor(ctx, VKA_I32, 1, &n, NULL);
    vka_tensor_set_name(a, "floats");
    vka_tensor_set_name(b, "ints");
    vka_tensor_set_name(u, "bytes");
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vkt_expect_error("shape mismatch", vka_cast(cmd, a, b), VKA_ERR_SHAPE, "ints");
    vkt_expect_error("same count, other shape", vka_cast(cmd, a, c), VKA_ERR_SHAPE, "floats");
    vkt_expect_error("u8 unsupported", vka_cast(cmd, a, u), VKA_ERR_UNSUPPORTED, "bytes");
    vkt_expect_error("NULL x", vka_cast(cmd, NULL, b), VKA_ERR_INVALID_ARG, "x is NULL");
    vkt_expect_error("in place across dtypes", vka_cast(cmd, a, a), VKA_ERR_INVALID_ARG, "overlaps");
    vkt_expect_error("NULL cmd", vka_cast(NULL, a, b), VKA_ERR_INVALID_ARG, NULL);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(a), vka_tensor_destroy(b), vka_tensor_destroy(u), vka_tensor_destroy(c);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    if (vka_context_device(ctx)->fp16_storage) {
        test_f32_f16(ctx, 4099, 0);
        test_f32_f16(ctx, 1000003, 0);
        test_f32_f16(ctx, 517, 1);
        test_f16_f32(ctx);
    }
    test_f32_i32(ctx, 4099, 0);
    test_f32_i32(ctx, 517, 1);
    test_i32_float(ctx, 3001);
    {
        float *x = edge_floats(1001);
        run(ctx, "(same dtype)", VKA_F32, VKA_F32, 1001, x, x, 0);
        free(x);
    }
    test_errors(ctx);
    return vkt_finish();
}
