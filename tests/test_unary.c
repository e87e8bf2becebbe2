/* SPDX-License-Identifier: MIT */
/* test_unary.c — vka_unary: every op on f32 and f16 storage against a float64
 * reference on fresh random inputs in each op's domain; per-element relative
 * accuracy of the transcendental ops in fp32 (near 0 and in the tails, where
 * naive erf/tanh/GELU formulas lose it); in place; unaligned views; errors.
 * i32 neg and abs exactly, INT32_MIN included (it wraps to itself). sin and cos
 * (sine-cosine position embeddings) to an absolute bound. */
#include "common.h"

static const char *OPS[] = {"exp", "log", "sqrt", "erf", "tanh", "sigmoid", "relu",
                            "gelu", "neg", "reciprocal", "abs", "gelu_tanh", "silu", "sin", "cos"};

static double ref_op(int op, double x)
{
    switch (op) {
    case VKA_EXP: return exp(x);
    case VKA_LOG: return log(x);
    case VKA_SQRT: return sqrt(x);
    case VKA_ERF: return erf(x);
    case VKA_TANH: return tanh(x);
    case VKA_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case VKA_RELU: return x > 0 ? x : 0;
    case VKA_GELU: return 0.5 * x * erfc(-x / sqrt(2.0));
    case VKA_NEG: return -x;
    case VKA_RECIPROCAL: return 1.0 / x;
    case VKA_ABS: return fabs(x);
    case VKA_GELU_TANH: {
        /* 0.5·x·(1 + tanh(u)) as x·sigmoid(2u): the same in exact arithmetic,
         * but without cancelling to nothing in double for x < -6 */
        double u = sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x);
        return x / (1.0 + exp(-2.0 * u));
    }
    case VKA_SIN: return sin(x);
    case VKA_COS: return cos(x);
    default: return x / (1.0 + exp(-x));
    }
}

/* random inputs inside each op's domain, spread over its interesting range */
static float *make_input(int op, size_t n)
{
    float *x;
    switch (op) {
    case VKA_LOG: x = vkt_uniform(n, 0.01f, 100.0f); break;
    case VKA_SQRT: x = vkt_uniform(n, 0.0f, 50.0f); break;
    case VKA_RECIPROCAL:
        x = vkt_uniform(n, 0.1f, 10.0f);
        for (size_t i = 0; i < n; i++)
            if (vkt_rand_u32() & 1)
                x[i] = -x[i];
        break;
    case VKA_EXP: x = vkt_uniform(n, -12.0f, 11.0f); break; /* e^11 < 65504, f16's max */
    case VKA_SIGMOID: case VKA_SILU: x = vkt_randn(n, 5.0f); break;
    default: x = vkt_randn(n, 2.5f); break;
    }
    return x;
}

static void run_case(vka_context *ctx, vka_dtype dt, int op, int rank, const int64_t *shape, int where)
{
    int64_t n = 1;
    for (int k = 0; k < rank; k++)
        n *= shape[k];
    float *hx = make_input(op, (size_t)n);
    if (dt == VKA_F16)
        vkt_round_f16(hx, (size_t)n);
    double *ref = malloc(sizeof *ref * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        ref[i] = ref_op(op, hx[i]);
    vka_tensor *x, *y, *px = NULL, *py = NULL;
    if (where == 2) {
        int64_t n1 = n + 9;
        px = vkt_tensor(ctx, dt, 1, &n1, NULL);
        py = vkt_tensor(ctx, dt, 1, &n1, NULL);
        x = vka_tensor_view(px, 7, rank, shape);
        y = vka_tensor_view(py, 1, rank, shape);
        vkt_upload(x, hx);
        vkt_poison(py);
    } else {
        x = vkt_tensor(ctx, dt, rank, shape, hx);
        y = where == 1 ? x : vkt_tensor(ctx, dt, rank, shape, NULL);
        if (where == 0)
            vkt_poison(y);
    }
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_unary(cmd, (vka_unary_op)op, x, y);
    char what[128];
    snprintf(what, sizeof what, "%s %s n=%lld%s", OPS[op], vka_dtype_str(dt), (long long)n,
             where == 1 ? " in place" : where == 2 ? " views" : "");
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        float *got = vkt_download(y);
        vkt_compare(what, got, ref, (size_t)n, dt == VKA_F16 ? 5e-3 : 1e-5);
        free(got);
    }
    vka_cmd_destroy(cmd);
    if (where != 1)
        vka_tensor_destroy(y);
    vka_tensor_destroy(x);
    vka_tensor_destroy(px);
    vka_tensor_destroy(py);
    free(hx), free(ref);
}

/* Worst per-element relative error on a dense sweep of [-lo, hi] plus tiny
 * magnitudes: an L2 norm over random inputs hides erf = A·x + O(1e-7) near 0
 * or 1 + tanh(u) cancelling in GELU's left tail. */
/* (Far tails lose relative accuracy in proportion to the argument of exp,
 * ~|arg|·1e-7 with the driver's exp, hence the ranges below.) */
static void test_pointwise(vka_context *ctx, int op, double lo, double hi, double tol)
{
    enum { SWEEP = 4001, TINY = 40 };
    int64_t n = SWEEP + 2 * TINY;
    float *hx = malloc(sizeof *hx * (size_t)n);
    for (int i = 0; i < SWEEP; i++)
        hx[i] = (float)(lo + (hi - lo) * i / (SWEEP - 1));
    for (int i = 0; i < TINY; i++) {
        float v = (float)pow(10.0, -7.0 + 6.0 * i / TINY); /* 1e-7 .. 1e-1 */
        hx[SWEEP + 2 * i] = v;
        hx[SWEEP + 2 * i + 1] = op == VKA_LOG || op == VKA_SQRT ? v * 3.0f : -v;
    }
    vka_tensor *x = vkt_tensor(ctx, VKA_F32, 1, &n, hx), *y = vkt_tensor(ctx, VKA_F32, 1, &n, NULL);
    vkt_poison(y);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_unary(cmd, (vka_unary_op)op, x, y);
    vkt_run(cmd);
    float *got = vkt_download(y);
    double worst = 0, at = 0;
    int bad = 0;
    for (int64_t i = 0; i < n; i++) {
        double r = ref_op(op, hx[i]);
        if (!isfinite(got[i])) {
            bad++;
            continue;
        }
        /* below the smallest normal float the relative error means nothing; sin and cos (values in
         * [-1, 1], zeros all along) are held to an absolute bound */
        double den = op == VKA_SIN || op == VKA_COS ? 1.0 : fabs(r) > 1e-37 ? fabs(r) : 1.0;
        double e = fabs(got[i] - r) / den;
        if (e > worst)
            worst = e, at = hx[i];
    }
    vkt_check(!bad && worst < tol, "%s f32 pointwise on [%g, %g] + tiny: max %s err %.2e at x=%.6g (tol %.0e)%s",
              OPS[op], lo, hi, op == VKA_SIN || op == VKA_COS ? "abs" : "rel", worst, at, tol,
              bad ? ", non-finite outputs" : "");
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(y);
    free(hx), free(got);
}

/* where: 0 new output, 1 in place, 2 through views 3 and 5 elements into parents */
static void run_case_i32(vka_context *ctx, int op, int nd, const int64_t *shape, int where)
{
    int64_t n = 1;
    for (int k = 0; k < nd; k++)
        n *= shape[k];
    int32_t *hx = vkt_rand_i32((size_t)n), *want = malloc(4 * (size_t)n);
    static const int32_t edge[] = {INT32_MIN, INT32_MAX, 0, -1, 1, INT32_MIN + 1};
    for (int i = 0; i < 6 && i < n; i++)
        hx[i] = edge[i];
    for (int64_t i = 0; i < n; i++) {
        /* two's complement: -INT32_MIN and |INT32_MIN| are 2^31, which wraps back */
        int32_t m = hx[i] == INT32_MIN ? INT32_MIN : -hx[i];
        want[i] = op == VKA_NEG ? m : hx[i] < 0 ? m : hx[i];
    }
    vka_tensor *x, *y, *px = NULL, *py = NULL;
    if (where == 2) {
        int64_t n1 = n + 7;
        px = vkt_tensor(ctx, VKA_I32, 1, &n1, NULL);
        py = vkt_tensor(ctx, VKA_I32, 1, &n1, NULL);
        x = vka_tensor_view(px, 3, nd, shape);
        y = vka_tensor_view(py, 5, nd, shape);
        vkt_poison(py);
    } else {
        x = vkt_tensor(ctx, VKA_I32, nd, shape, NULL);
        y = where == 1 ? x : vkt_tensor(ctx, VKA_I32, nd, shape, NULL);
        if (where == 0)
            vkt_poison(y);
    }
    vkt_upload_i32(x, hx);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_unary(cmd, (vka_unary_op)op, x, y);
    static const char *WHERE[] = {"", " in place", " views"};
    if (s) {
        vkt_check(0, "%s i32 n=%lld%s: %s", OPS[op], (long long)n, WHERE[where], vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        int32_t *got = vkt_download_i32(y);
        int64_t bad = 0, first = 0;
        for (int64_t i = 0; i < n; i++)
            if (got[i] != want[i] && !bad++)
                first = i;
        if (bad)
            vkt_check(0, "%s i32 n=%lld%s: %lld wrong, first %s(%d) gave %d, want %d", OPS[op], (long long)n,
                      WHERE[where], (long long)bad, OPS[op], hx[first], got[first], want[first]);
        else
            vkt_check(1, "%s i32 n=%lld%s: exact (INT32_MIN -> %d)", OPS[op], (long long)n, WHERE[where], got[0]);
        free(got);
    }
    vka_cmd_destroy(cmd);
    if (where != 1)
        vka_tensor_destroy(y);
    vka_tensor_destroy(x), vka_tensor_destroy(px), vka_tensor_destroy(py);
    free(hx), free(want);
}

static void test_errors(vka_context *ctx)
{
    int64_t s1[2] = {3, 4}, s2[2] = {4, 3};
    vka_tensor *a = vkt_tensor(ctx, VKA_F32, 2, s1, NULL), *b = vkt_tensor(ctx, VKA_F32, 2, s2, NULL);
    vka_tensor *h = vkt_tensor(ctx, VKA_F16, 2, s1, NULL), *i32 = vkt_tensor(ctx, VKA_I32, 2, s1, NULL);
    vka_tensor_set_name(a, "act_in");
    vka_tensor_set_name(b, "act_out");
    vka_tensor_set_name(i32, "ints");
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vkt_expect_error("shape mismatch", vka_unary(cmd, VKA_EXP, a, b), VKA_ERR_SHAPE, "act_out");
    vkt_expect_error("dtype mismatch", vka_unary(cmd, VKA_EXP, a, h), VKA_ERR_SHAPE, "act_in");
    vkt_expect_error("i32 exp", vka_unary(cmd, VKA_EXP, i32, i32), VKA_ERR_UNSUPPORTED, "ints");
    vkt_expect_error("i32 relu", vka_unary(cmd, VKA_RELU, i32, i32), VKA_ERR_UNSUPPORTED, "neg and abs only");
    vkt_expect_error("i32 x, f32 y", vka_unary(cmd, VKA_NEG, i32, a), VKA_ERR_SHAPE,
                     "x \"ints\" [3, 4] is i32 but y \"act_in\" [3, 4] is f32");
    vkt_expect_error("f32 x, i32 y", vka_unary(cmd, VKA_ABS, a, i32), VKA_ERR_SHAPE, "ints");
    vkt_expect_error("NULL y", vka_unary(cmd, VKA_EXP, a, NULL), VKA_ERR_INVALID_ARG, "y is NULL");
    vkt_expect_error("bad op", vka_unary(cmd, VKA_UNARY_COUNT, a, a), VKA_ERR_INVALID_ARG, "unknown op");
    int64_t n5 = 5, n6 = 6;
    vka_tensor *p = vkt_tensor(ctx, VKA_F32, 1, &n6, NULL);
    vka_tensor *v0 = vka_tensor_view(p, 0, 1, &n5), *v1 = vka_tensor_view(p, 1, 1, &n5);
    vka_tensor_set_name(v1, "shifted");
    vkt_expect_error("shifted overlap", vka_unary(cmd, VKA_NEG, v0, v1), VKA_ERR_INVALID_ARG, "shifted");
    vka_unary(cmd, VKA_NEG, a, a);
    vka_status s = vka_cmd_end(cmd);
    if (!s)
        s = vka_cmd_submit(cmd);
    vkt_check(s == VKA_OK, "usable after errors: %s", vka_status_str(s));
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(v0), vka_tensor_destroy(v1), vka_tensor_destroy(p);
    vka_tensor_destroy(a), vka_tensor_destroy(b), vka_tensor_destroy(h), vka_tensor_destroy(i32);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    int f16 = vka_context_device(ctx)->fp16_storage;
    const int64_t odd[3] = {7, 13, 29}, big = 1000003;
    for (int d = 0; d < 1 + f16; d++) {
        vka_dtype dt = d ? VKA_F16 : VKA_F32;
        for (int op = 0; op < VKA_UNARY_COUNT; op++) {
            run_case(ctx, dt, op, 3, odd, 0);
            run_case(ctx, dt, op, 1, (int64_t[]){37}, 1);
        }
        run_case(ctx, dt, VKA_GELU, 1, &big, 0);
        run_case(ctx, dt, VKA_SILU, 2, (int64_t[]){33, 65}, 2);
        run_case(ctx, dt, VKA_EXP, 0, NULL, 0);
    }
    test_pointwise(ctx, VKA_ERF, -6, 6, 1e-5);
    test_pointwise(ctx, VKA_TANH, -12, 12, 1e-5);
    test_pointwise(ctx, VKA_SIGMOID, -80, 30, 1e-5);
    test_pointwise(ctx, VKA_SILU, -80, 30, 1e-5);
    test_pointwise(ctx, VKA_GELU, -10, 10, 1e-5);
    test_pointwise(ctx, VKA_GELU_TANH, -8, 12, 1e-5);
    test_pointwise(ctx, VKA_EXP, -80, 80, 1e-5);
    test_pointwise(ctx, VKA_LOG, 1e-6, 1e6, 1e-5);
    test_pointwise(ctx, VKA_SQRT, 0, 1e6, 1e-5);
    test_pointwise(ctx, VKA_RECIPROCAL, -100, 100.03, 1e-5); /* steps over 0 */
    /* sin/cos: the range of sine-cosine position embeddings (grid index x frequency, |x| < 32);
     * GLSL only promises 2^-11 inside [-pi, pi], so the bound is loose */
    test_pointwise(ctx, VKA_SIN, -32, 32, 1e-4);
    test_pointwise(ctx, VKA_COS, -32, 32, 1e-4);
    for (int k = 0; k < 2; k++) {
        int op = k ? VKA_ABS : VKA_NEG;
        run_case_i32(ctx, op, 3, odd, 0);
        run_case_i32(ctx, op, 1, &big, 0);
        run_case_i32(ctx, op, 2, (int64_t[]){33, 65}, 1);
        run_case_i32(ctx, op, 1, (int64_t[]){37}, 2);
    }
    test_errors(ctx);
    return vkt_finish();
}
