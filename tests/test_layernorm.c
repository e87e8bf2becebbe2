/* SPDX-License-Identifier: MIT */
/* test_layernorm.c — vka_layernorm against a float64 reference: odd row counts
 * and lengths (both kernel modes), rows of 100k, with and without gamma/beta,
 * eps 1e-5 and 1e-6, rows with a large offset (where E[x²]−E[x]² would lose
 * the variance), constant rows, y aliasing x, unaligned views, and the error
 * paths. vka_rmsnorm (the same kernel's RMS mode) the same way. */
#include "common.h"

static double *reference(const float *x, const float *g, const float *b, int64_t rows, int64_t n, float eps)
{
    double *ref = malloc(sizeof *ref * (size_t)(rows * n));
    for (int64_t r = 0; r < rows; r++) {
        const float *row = x + r * n;
        double mean = 0, var = 0;
        for (int64_t i = 0; i < n; i++)
            mean += row[i];
        mean /= (double)n;
        for (int64_t i = 0; i < n; i++)
            var += (row[i] - mean) * (row[i] - mean);
        var /= (double)n;
        double rstd = 1.0 / sqrt(var + (double)eps);
        for (int64_t i = 0; i < n; i++)
            ref[r * n + i] = (row[i] - mean) * rstd * (g ? g[i] : 1.0) + (b ? b[i] : 0.0);
    }
    return ref;
}

static double tol_of(vka_dtype dt) { return dt == VKA_F16 ? 5e-3 : 1e-5; }

/* which: bit 0 gamma, bit 1 beta */
static void check(vka_context *ctx, vka_dtype dt, int ndim, const int64_t *shape, float sd, float offset, int which,
                  float eps, int alias, const char *tag)
{
    int64_t numel = 1;
    for (int i = 0; i < ndim; i++)
        numel *= shape[i];
    int64_t n = shape[ndim - 1], rows = numel / n;
    float *x = vkt_randn((size_t)numel, sd);
    for (int64_t i = 0; i < numel; i++)
        x[i] += offset;
    float *g = (which & 1) ? vkt_uniform((size_t)n, 0.5f, 1.5f) : NULL;
    float *b = (which & 2) ? vkt_randn((size_t)n, 0.5f) : NULL;
    if (dt == VKA_F16) {
        vkt_round_f16(x, (size_t)numel);
        if (g)
            vkt_round_f16(g, (size_t)n);
        if (b)
            vkt_round_f16(b, (size_t)n);
    }
    vka_tensor *tx = vkt_tensor(ctx, dt, ndim, shape, x);
    vka_tensor *tg = g ? vkt_tensor(ctx, dt, 1, &n, g) : NULL;
    vka_tensor *tb = b ? vkt_tensor(ctx, dt, 1, &n, b) : NULL;
    vka_tensor *ty = alias ? tx : vkt_tensor(ctx, dt, ndim, shape, NULL);
    if (!alias)
        vkt_poison(ty);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_layernorm(cmd, tx, tg, tb, eps, ty);
    char what[200];
    snprintf(what, sizeof what, "layernorm %s %s rows=%lld n=%lld%s%s eps=%g", tag, vka_dtype_str(dt),
             (long long)rows, (long long)n, g ? " gamma" : "", b ? " beta" : "", (double)eps);
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        float *got = vkt_download(ty);
        double *ref = reference(x, g, b, rows, n, eps);
        vkt_compare(what, got, ref, (size_t)numel, tol_of(dt));
        free(got);
        free(ref);
    }
    vka_cmd_destroy(cmd);
    if (!alias)
        vka_tensor_destroy(ty);
    vka_tensor_destroy(tx), vka_tensor_destroy(tg), vka_tensor_destroy(tb);
    free(x), free(g), free(b);
}

/* x, gamma, beta and y as unaligned views (descriptor offset + element remainder) */
static void check_views(vka_context *ctx, vka_dtype dt)
{
    const int64_t rows = 7, n = 65, big = rows * n + 2 * n + 9;
    float *x = vkt_randn((size_t)big, 2.0f);
    if (dt == VKA_F16)
        vkt_round_f16(x, (size_t)big);
    vka_tensor *px = vkt_tensor(ctx, dt, 1, &big, x), *py = vkt_tensor(ctx, dt, 1, &big, NULL);
    vkt_poison(py);
    int64_t shape[2] = {rows, n};
    /* gamma and beta live after x's rows in the same parent */
    vka_tensor *vx = vka_tensor_view(px, 1, 2, shape), *vy = vka_tensor_view(py, 3, 2, shape);
    vka_tensor *vg = vka_tensor_view(px, 1 + rows * n + 1, 1, &n), *vb = vka_tensor_view(px, 1 + rows * n + 1 + n, 1, &n);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_layernorm(cmd, vx, vg, vb, 1e-5f, vy);
    vkt_check(s == VKA_OK, "layernorm on views records: %s", vka_status_str(s));
    vkt_run(cmd);
    float *got = vkt_download(py);
    double *ref = reference(x + 1, x + 1 + rows * n + 1, x + 1 + rows * n + 1 + n, rows, n, 1e-5f);
    char what[96];
    snprintf(what, sizeof what, "layernorm unaligned views %s", vka_dtype_str(dt));
    vkt_compare(what, got + 3, ref, (size_t)(rows * n), tol_of(dt));
    vkt_check(isnan(got[2]) && isnan(got[3 + rows * n]), "layernorm view writes nothing outside y");
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(vx), vka_tensor_destroy(vy), vka_tensor_destroy(vg), vka_tensor_destroy(vb);
    vka_tensor_destroy(px), vka_tensor_destroy(py);
    free(x), free(got), free(ref);
}

static void check_errors(vka_context *ctx)
{
    int64_t s23[2] = {2, 3}, s32[2] = {3, 2}, s4[1] = {4}, s3[1] = {3};
    vka_tensor *x = vkt_tensor(ctx, VKA_F32, 2, s23, NULL), *y = vkt_tensor(ctx, VKA_F32, 2, s32, NULL);
    vka_tensor *g4 = vkt_tensor(ctx, VKA_F32, 1, s4, NULL), *g3 = vkt_tensor(ctx, VKA_F32, 1, s3, NULL);
    vka_tensor_set_name(x, "hidden");
    vka_tensor_set_name(y, "normed");
    vka_tensor_set_name(g4, "ln.weight");
    vka_tensor_set_name(g3, "ln.bias");
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vkt_expect_error("layernorm y shape mismatch", vka_layernorm(cmd, x, NULL, NULL, 1e-5f, y), VKA_ERR_SHAPE,
                     "normed");
    vkt_expect_error("layernorm gamma shape mismatch", vka_layernorm(cmd, x, g4, g3, 1e-5f, x), VKA_ERR_SHAPE,
                     "ln.weight");
    vkt_expect_error("layernorm beta shape mismatch", vka_layernorm(cmd, x, g3, g4, 1e-5f, x), VKA_ERR_SHAPE,
                     "ln.weight");
    vkt_expect_error("layernorm NULL y", vka_layernorm(cmd, x, NULL, NULL, 1e-5f, NULL), VKA_ERR_INVALID_ARG, "NULL");
    vkt_expect_error("layernorm negative eps", vka_layernorm(cmd, x, NULL, NULL, -1.0f, x), VKA_ERR_INVALID_ARG,
                     "eps");
    if (vka_context_device(ctx)->fp16_storage) {
        vka_tensor *h = vkt_tensor(ctx, VKA_F16, 1, s3, NULL);
        vka_tensor_set_name(h, "half_gamma");
        vkt_expect_error("layernorm dtype mismatch", vka_layernorm(cmd, x, h, NULL, 1e-5f, x), VKA_ERR_SHAPE,
                         "half_gamma");
        vka_tensor_destroy(h);
    }
    /* still usable */
    float v[6] = {1, 2, 3, -1, -1, -1}, gb[3] = {1, 2, 3};
    vkt_upload(x, v);
    vkt_upload(g3, gb);
    vka_status s = vka_layernorm(cmd, x, NULL, g3, 0.0f, x);
    vkt_check(s == VKA_OK, "layernorm usable after errors");
    vkt_run(cmd);
    float *got = vkt_download(x);
    double r = sqrt(1.5), ref[6] = {-r + 1, 2, r + 3, 1, 2, 3};
    /* the constant row with eps 0 is 0/0: NaN, like the reference frameworks; check only the first */
    vkt_compare("layernorm after errors (beta only, eps 0)", got, ref, 3, 1e-6);
    vkt_check(isnan(got[3]), "layernorm of a constant row with eps 0 is NaN (%g)", (double)got[3]);
    free(got);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(y), vka_tensor_destroy(g4), vka_tensor_destroy(g3);
}

/* ---------------------------------------------------------------- RMSNorm */

static double *reference_rms(const float *x, const float *g, int64_t rows, int64_t n, float eps)
{
    double *ref = malloc(sizeof *ref * (size_t)(rows * n));
    for (int64_t r = 0; r < rows; r++) {
        const float *row = x + r * n;
        double ms = 0;
        for (int64_t i = 0; i < n; i++)
            ms += (double)row[i] * row[i];
        double rr = 1.0 / sqrt(ms / (double)n + (double)eps);
        for (int64_t i = 0; i < n; i++)
            ref[r * n + i] = row[i] * rr * (g ? g[i] : 1.0);
    }
    return ref;
}

/* where: 0 fresh y, 1 y aliases x, 2 unaligned views */
static void check_rms(vka_context *ctx, vka_dtype dt, int64_t rows, int64_t n, float offset, int gamma, float eps,
                      int where)
{
    int64_t numel = rows * n, shape[2] = {rows, n};
    float *x = vkt_randn((size_t)numel, 1.5f);
    for (int64_t i = 0; i < numel; i++)
        x[i] += offset;
    float *g = gamma ? vkt_uniform((size_t)n, 0.5f, 1.5f) : NULL;
    if (dt == VKA_F16) {
        vkt_round_f16(x, (size_t)numel);
        if (g)
            vkt_round_f16(g, (size_t)n);
    }
    vka_tensor *px = NULL, *py = NULL, *tx, *ty;
    if (where == 2) {
        int64_t big = numel + 7;
        px = vkt_tensor(ctx, dt, 1, &big, NULL);
        py = vkt_tensor(ctx, dt, 1, &big, NULL);
        vkt_poison(py);
        tx = vka_tensor_view(px, 5, 2, shape);
        ty = vka_tensor_view(py, 1, 2, shape);
        vkt_upload(tx, x);
    } else {
        tx = vkt_tensor(ctx, dt, 2, shape, x);
        ty = where == 1 ? tx : vkt_tensor(ctx, dt, 2, shape, NULL);
        if (!where)
            vkt_poison(ty);
    }
    vka_tensor *tg = g ? vkt_tensor(ctx, dt, 1, &n, g) : NULL;
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_rmsnorm(cmd, tx, tg, eps, ty);
    char what[200];
    snprintf(what, sizeof what, "rmsnorm %s rows=%lld n=%lld%s eps=%g offset %g%s", vka_dtype_str(dt), (long long)rows,
             (long long)n, g ? " gamma" : "", (double)eps, (double)offset,
             where == 1 ? " y aliases x" : where == 2 ? " unaligned views" : "");
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        double *ref = reference_rms(x, g, rows, n, eps);
        if (where == 2) {
            float *all = vkt_download(py);
            vkt_compare(what, all + 1, ref, (size_t)numel, tol_of(dt));
            vkt_check(isnan(all[0]) && isnan(all[numel + 1]), "%s writes nothing outside y", what);
            free(all);
        } else {
            float *got = vkt_download(ty);
            vkt_compare(what, got, ref, (size_t)numel, tol_of(dt));
            free(got);
        }
        free(ref);
    }
    vka_cmd_destroy(cmd);
    if (where != 1)
        vka_tensor_destroy(ty);
    vka_tensor_destroy(tx), vka_tensor_destroy(tg), vka_tensor_destroy(px), vka_tensor_destroy(py);
    free(x), free(g);
}

static void check_rms_errors(vka_context *ctx)
{
    int64_t s23[2] = {2, 3}, s4[1] = {4};
    vka_tensor *x = vkt_tensor(ctx, VKA_F32, 2, s23, NULL), *g4 = vkt_tensor(ctx, VKA_F32, 1, s4, NULL);
    vka_tensor_set_name(g4, "norm.scale");
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vkt_expect_error("rmsnorm gamma shape mismatch", vka_rmsnorm(cmd, x, g4, 1e-6f, x), VKA_ERR_SHAPE, "norm.scale");
    vkt_expect_error("rmsnorm negative eps", vka_rmsnorm(cmd, x, NULL, -1e-6f, x), VKA_ERR_INVALID_ARG, "eps");
    vkt_expect_error("rmsnorm NULL x", vka_rmsnorm(cmd, NULL, NULL, 1e-6f, x), VKA_ERR_INVALID_ARG, "vka_rmsnorm");
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(g4);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    const vka_device_info *d = vka_context_device(ctx);
    vka_dtype dts_all[2] = {VKA_F32, VKA_F16};
    int ndt = d->fp16_storage ? 2 : 1;
    const int64_t rows_list[] = {1, 3, 197, 1000};
    const int64_t n_list[] = {1, 7, 65, 197, 577, 1000, 4099};
    for (int t = 0; t < ndt; t++) {
        vka_dtype dt = dts_all[t];
        int k = 0;
        for (size_t a = 0; a < sizeof rows_list / sizeof *rows_list; a++)
            for (size_t b = 0; b < sizeof n_list / sizeof *n_list; b++, k++) {
                int64_t shape[2] = {rows_list[a], n_list[b]};
                /* cycle through the gamma/beta combinations and both eps */
                check(ctx, dt, 2, shape, 1.5f, 0.3f, k % 4, k % 2 ? 1e-6f : 1e-5f, 0, "plain");
            }
        int64_t vit[3] = {2, 197, 768};
        check(ctx, dt, 3, vit, 1.0f, 0.0f, 3, 1e-6f, 0, "ViT");
        check(ctx, dt, 3, vit, 1.0f, 0.0f, 0, 1e-5f, 0, "ViT");
        int64_t longrow[2] = {3, 100003};
        check(ctx, dt, 2, longrow, 1.0f, 0.0f, 3, 1e-5f, 0, "long rows");
        int64_t hugerow[2] = {2, 1000003}; /* past llvmpipe's loop guard with one subgroup */
        check(ctx, dt, 2, hugerow, 1.0f, 2.0f, 3, 1e-5f, 0, "1M rows");
        /* offset 50σ: E[x²]−E[x]² would cancel ~3 digits of the variance in fp32 */
        int64_t off[2] = {197, 1000}, offs[2] = {1000, 13};
        if (dt == VKA_F32) {
            check(ctx, dt, 2, off, 1.0f, 50.0f, 3, 1e-5f, 0, "offset 50");
            check(ctx, dt, 2, offs, 1.0f, 50.0f, 3, 1e-5f, 0, "offset 50, short rows");
            check(ctx, dt, 2, longrow, 1.0f, 50.0f, 1, 1e-6f, 0, "offset 50, long rows");
        } else {
            check(ctx, dt, 2, off, 0.25f, 3.0f, 3, 1e-5f, 0, "offset 12σ");
        }
        /* eps matters: tiny spread, where eps 1e-5 vs 1e-6 changes the output */
        int64_t tiny[2] = {50, 197};
        check(ctx, dt, 2, tiny, dt == VKA_F16 ? 3e-3f : 3e-3f, 0.0f, 3, 1e-5f, 0, "spread 3e-3");
        check(ctx, dt, 2, tiny, 3e-3f, 0.0f, 3, 1e-6f, 0, "spread 3e-3");
        /* y aliases x, both kernel modes */
        int64_t al[2] = {197, 577}, als[2] = {1000, 7};
        check(ctx, dt, 2, al, 2.0f, 1.0f, 3, 1e-5f, 1, "y aliases x");
        check(ctx, dt, 2, als, 2.0f, 1.0f, 2, 1e-5f, 1, "y aliases x, short rows");
        /* rows of whole 4-vectors (the VEC4 kernel on CPU drivers): DeiT's, aliased, and 4-long */
        int64_t al4[2] = {197, 192}, four[2] = {1000, 4};
        check(ctx, dt, 2, al4, 2.0f, 1.0f, 3, 1e-6f, 1, "y aliases x, rows of 4-vectors");
        check(ctx, dt, 2, four, 1.0f, 0.5f, 1, 1e-5f, 0, "rows of one 4-vector");
        check_views(ctx, dt);
    }
    int64_t many[2] = {70001, 33}, manyshort[2] = {70001 * 64 + 5, 3};
    check(ctx, VKA_F32, 2, many, 1.0f, 0.0f, 3, 1e-5f, 0, "70001 rows");
    check(ctx, VKA_F32, 2, manyshort, 1.0f, 0.0f, 3, 1e-5f, 0, "4.5M short rows");
    check_errors(ctx);
    /* RMSNorm: DEIMv2's decoder rows (100 x 64), odd shapes in both kernel
     * modes, rows past llvmpipe's loop guard, an offset (nothing cancels) */
    const int64_t rms_rows[] = {1, 5, 100, 1001}, rms_n[] = {1, 3, 64, 197, 4099};
    for (int t = 0; t < ndt; t++) {
        int k = 0;
        for (size_t a = 0; a < sizeof rms_rows / sizeof *rms_rows; a++)
            for (size_t b = 0; b < sizeof rms_n / sizeof *rms_n; b++, k++)
                check_rms(ctx, dts_all[t], rms_rows[a], rms_n[b], k % 3 ? 0.0f : 2.0f, k % 2, k % 2 ? 1e-6f : 1e-5f, 0);
        check_rms(ctx, dts_all[t], 3, 100003, 0.5f, 1, 1e-6f, 0);
        check_rms(ctx, dts_all[t], 2, 1000003, 0.0f, 1, 1e-6f, 0);
        check_rms(ctx, dts_all[t], 100, 64, 0.0f, 1, 1e-6f, 1);
        check_rms(ctx, dts_all[t], 3, 577, 0.0f, 1, 1e-6f, 1);
        check_rms(ctx, dts_all[t], 7, 65, 1.0f, 1, 1e-6f, 2);
    }
    check_rms(ctx, VKA_F32, 50, 197, 0.0f, 1, 1.0f, 0); /* eps dominates: it must be inside the root */
    check_rms_errors(ctx);
    return vkt_finish();
}
