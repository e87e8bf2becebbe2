/* SPDX-License-Identifier: MIT */
/* test_softmax.c — vka_softmax against a float64 reference: odd row counts and
 * lengths (one workgroup per row and one invocation per row), rows of 100k,
 * logits around ±1000 that overflow exp without the max subtraction, masks
 * broadcast over leading axes with -1e30 entries, y aliasing x, unaligned
 * views, more rows than one grid axis holds, and the error paths. */
#include "common.h"

static const char *dts(vka_dtype dt) { return vka_dtype_str(dt); }

/* y = softmax(scale·x + mask) over rows of n; the mask repeats every mrows rows
 * (mrows 0: none; mscalar: one value for everything). */
static double *reference(const float *x, const float *mask, int64_t rows, int64_t n, float scale, int64_t mrows,
                         int mscalar)
{
    double *ref = malloc(sizeof *ref * (size_t)(rows * n));
    double *v = malloc(sizeof *v * (size_t)n);
    for (int64_t r = 0; r < rows; r++) {
        double m = -INFINITY, s = 0;
        for (int64_t i = 0; i < n; i++) {
            v[i] = (double)scale * x[r * n + i];
            if (mask)
                v[i] += mscalar ? mask[0] : mask[(r % mrows) * n + i];
            if (v[i] > m)
                m = v[i];
        }
        for (int64_t i = 0; i < n; i++)
            s += exp(v[i] - m);
        for (int64_t i = 0; i < n; i++)
            ref[r * n + i] = exp(v[i] - m) / s;
    }
    free(v);
    return ref;
}

static double tol_of(vka_dtype dt) { return dt == VKA_F16 ? 5e-3 : 1e-5; }

/* x: [rows, n] (as given by ndim/shape), optional mask of shape mshape. */
static void check_off(vka_context *ctx, vka_dtype dt, int ndim, const int64_t *shape, float sd, float offset,
                      float scale, int mndim, const int64_t *mshape, double mask_neg_frac, int alias, const char *tag)
{
    int64_t numel = 1;
    for (int i = 0; i < ndim; i++)
        numel *= shape[i];
    int64_t n = shape[ndim - 1], rows = numel / n;
    float *x = vkt_randn((size_t)numel, sd);
    for (int64_t i = 0; i < numel; i++)
        x[i] += offset;
    float *mask = NULL;
    int64_t mnumel = 1, mrows = 0;
    int mscalar = 0;
    vka_tensor *tm = NULL;
    if (mshape) {
        for (int i = 0; i < mndim; i++)
            mnumel *= mshape[i];
        mask = vkt_randn((size_t)mnumel, 2.0f);
        /* "masked out": -1e30, which f16 cannot hold (it rounds to -inf, and a
         * row masked out entirely would then be NaN, as in ONNX Runtime and
         * PyTorch: with 7-element rows that came up in about one run in 15),
         * so f16 masks take the most negative f16 instead */
        for (int64_t i = 0; i < mnumel; i++)
            if (vkt_rand01() < mask_neg_frac)
                mask[i] = dt == VKA_F16 ? -65504.0f : -1e30f;
        mscalar = mnumel == 1 && n != 1;
        mrows = mscalar ? 1 : mnumel / n;
        if (dt == VKA_F16)
            vkt_round_f16(mask, (size_t)mnumel);
        tm = vkt_tensor(ctx, dt, mndim, mshape, mask);
    }
    if (dt == VKA_F16)
        vkt_round_f16(x, (size_t)numel);
    vka_tensor *tx = vkt_tensor(ctx, dt, ndim, shape, x);
    vka_tensor *ty = alias ? tx : vkt_tensor(ctx, dt, ndim, shape, NULL);
    if (!alias)
        vkt_poison(ty);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_softmax(cmd, tx, scale, tm, ty);
    if (s) {
        vkt_check(0, "softmax %s %s: %s", tag, dts(dt), vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        float *got = vkt_download(ty);
        double *ref = reference(x, mask, rows, n, scale, mrows, mscalar);
        char what[160];
        snprintf(what, sizeof what, "softmax %s %s rows=%lld n=%lld", tag, dts(dt), (long long)rows, (long long)n);
        vkt_compare(what, got, ref, (size_t)numel, tol_of(dt));
        free(got);
        free(ref);
    }
    vka_cmd_destroy(cmd);
    if (!alias)
        vka_tensor_destroy(ty);
    vka_tensor_destroy(tx);
    vka_tensor_destroy(tm);
    free(x);
    free(mask);
}

static void check(vka_context *ctx, vka_dtype dt, int ndim, const int64_t *shape, float sd, float scale, int mndim,
                  const int64_t *mshape, double mask_neg_frac, int alias, const char *tag)
{
    check_off(ctx, dt, ndim, shape, sd, 0.0f, scale, mndim, mshape, mask_neg_frac, alias, tag);
}

/* x and y as unaligned views into bigger tensors (descriptor offset + element remainder) */
static void check_views(vka_context *ctx, vka_dtype dt)
{
    const int64_t rows = 5, n = 197, big = rows * n + 11;
    float *x = vkt_randn((size_t)big, 3.0f);
    if (dt == VKA_F16)
        vkt_round_f16(x, (size_t)big);
    vka_tensor *px = vkt_tensor(ctx, dt, 1, &big, x), *py = vkt_tensor(ctx, dt, 1, &big, NULL);
    vkt_poison(py);
    int64_t shape[2] = {rows, n};
    vka_tensor *vx = vka_tensor_view(px, 3, 2, shape), *vy = vka_tensor_view(py, 5, 2, shape);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_softmax(cmd, vx, 1.0f, NULL, vy);
    vkt_check(s == VKA_OK, "softmax on views records: %s", vka_status_str(s));
    vkt_run(cmd);
    float *got = vkt_download(py);
    double *ref = reference(x + 3, NULL, rows, n, 1.0f, 0, 0);
    char what[96];
    snprintf(what, sizeof what, "softmax unaligned views %s", dts(dt));
    vkt_compare(what, got + 5, ref, (size_t)(rows * n), tol_of(dt));
    /* the elements around the view stay untouched (poisoned) */
    vkt_check(isnan(got[4]) && isnan(got[5 + rows * n]), "softmax view writes nothing outside y");
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(vx), vka_tensor_destroy(vy), vka_tensor_destroy(px), vka_tensor_destroy(py);
    free(x), free(got), free(ref);
}

static void check_errors(vka_context *ctx)
{
    int64_t s23[2] = {2, 3}, s24[2] = {2, 4}, s3[1] = {3}, s5[1] = {5};
    vka_tensor *x = vkt_tensor(ctx, VKA_F32, 2, s23, NULL), *y = vkt_tensor(ctx, VKA_F32, 2, s24, NULL);
    vka_tensor *m = vkt_tensor(ctx, VKA_F32, 1, s5, NULL), *i32 = vkt_tensor(ctx, VKA_I32, 2, s23, NULL);
    vka_tensor *m3 = vkt_tensor(ctx, VKA_F32, 1, s3, NULL);
    vka_tensor_set_name(x, "logits");
    vka_tensor_set_name(y, "probs");
    vka_tensor_set_name(m, "attn_mask");
    vka_tensor_set_name(i32, "ids");
    vka_cmd *cmd = vka_cmd_create(ctx);
    vkt_expect_error("softmax before begin", vka_softmax(cmd, x, 1.0f, NULL, x), VKA_ERR_STATE, "vka_cmd_begin");
    vka_cmd_begin(cmd);
    vkt_expect_error("softmax y shape mismatch", vka_softmax(cmd, x, 1.0f, NULL, y), VKA_ERR_SHAPE, "probs");
    vkt_expect_error("softmax mask not a suffix", vka_softmax(cmd, x, 1.0f, m, x), VKA_ERR_SHAPE, "attn_mask");
    vkt_expect_error("softmax i32 input", vka_softmax(cmd, i32, 1.0f, NULL, i32), VKA_ERR_SHAPE, "ids");
    vkt_expect_error("softmax NULL x", vka_softmax(cmd, NULL, 1.0f, NULL, y), VKA_ERR_INVALID_ARG, "NULL");
    vkt_expect_error("softmax NULL cmd", vka_softmax(NULL, x, 1.0f, NULL, x), VKA_ERR_INVALID_ARG, NULL);
    if (vka_context_device(ctx)->fp16_storage) {
        vka_tensor *h = vkt_tensor(ctx, VKA_F16, 2, s23, NULL);
        vka_tensor_set_name(h, "half_out");
        vkt_expect_error("softmax dtype mismatch", vka_softmax(cmd, x, 1.0f, NULL, h), VKA_ERR_SHAPE, "half_out");
        vka_tensor_destroy(h);
    }
    /* still usable: a good softmax after the errors */
    float v[6] = {0, 1, 2, 3, 3, 3}, mk[3] = {0, 0, -1e30f};
    vkt_upload(x, v);
    vkt_upload(m3, mk);
    vka_status s = vka_softmax(cmd, x, 1.0f, m3, x);
    vkt_run(cmd);
    float *got = vkt_download(x);
    double e1 = exp(1.0), ref[6] = {1 / (1 + e1), e1 / (1 + e1), 0, 0.5, 0.5, 0};
    vkt_check(s == VKA_OK, "softmax usable after errors");
    vkt_compare("softmax after errors, -1e30 mask entries", got, ref, 6, 1e-6);
    free(got);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(y), vka_tensor_destroy(m), vka_tensor_destroy(i32);
    vka_tensor_destroy(m3);
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
        for (size_t a = 0; a < sizeof rows_list / sizeof *rows_list; a++)
            for (size_t b = 0; b < sizeof n_list / sizeof *n_list; b++) {
                int64_t shape[2] = {rows_list[a], n_list[b]};
                check(ctx, dt, 2, shape, 2.0f, 1.0f, 0, NULL, 0, 0, "plain");
            }
        /* one row of 100k+ and a few */
        int64_t longrow[2] = {3, 100003};
        check(ctx, dt, 2, longrow, 1.0f, 0.5f, 0, NULL, 0, 0, "long rows");
        /* 3 passes of 1M/8 steps each: past llvmpipe's 65535-iteration loop
         * guard unless the workgroup grows */
        int64_t hugerow[1] = {1000003};
        if (dt == VKA_F32) /* in f16 its ~1e-6 probabilities are subnormals: 1e-2 off by storage alone */
            check(ctx, dt, 1, hugerow, 1.0f, 1.0f, 0, NULL, 0, 0, "1M row");
        /* logits ~±1000: exp overflows unless the row max is subtracted */
        int64_t big[3] = {4, 3, 577};
        check(ctx, dt, 3, big, 600.0f, 1.0f, 0, NULL, 0, 0, "large logits");
        check(ctx, dt, 3, big, 100.0f, 8.0f, 0, NULL, 0, 0, "large scale");
        check_off(ctx, dt, 3, big, 2.0f, 1000.0f, 1.0f, 0, NULL, 0, 0, "logits ~+1000");
        check_off(ctx, dt, 3, big, 2.0f, -1000.0f, 1.0f, 0, NULL, 0, 0, "logits ~-1000");
        int64_t bigshort[2] = {300, 5};
        check_off(ctx, dt, 2, bigshort, 2.0f, 1000.0f, 1.0f, 0, NULL, 0, 0, "logits ~+1000, short rows");
        /* mask [Nq, Nk] over [B, H, Nq, Nk], some entries -1e30 */
        int64_t att[4] = {2, 3, 197, 65}, m2[2] = {197, 65}, m4[4] = {1, 1, 197, 65}, m3[3] = {3, 197, 65};
        check(ctx, dt, 4, att, 1.0f, 0.125f, 2, m2, 0.2, 0, "mask [Nq,Nk]");
        check(ctx, dt, 4, att, 1.0f, 0.125f, 4, m4, 0.2, 0, "mask [1,1,Nq,Nk]");
        check(ctx, dt, 4, att, 1.0f, 0.125f, 3, m3, 0.2, 0, "mask [H,Nq,Nk]");
        int64_t mrow[1] = {65};
        check(ctx, dt, 4, att, 1.0f, 1.0f, 1, mrow, 0.3, 0, "mask [Nk]");
        int64_t m1[1] = {1};
        check(ctx, dt, 4, att, 1.0f, 1.0f, 1, m1, 0, 0, "one-element mask");
        int64_t shortatt[4] = {2, 3, 50, 7}, mshort[2] = {50, 7};
        check(ctx, dt, 4, shortatt, 1.0f, 1.0f, 2, mshort, 0.3, 0, "short rows + mask");
        /* y aliases x, both kernel modes */
        int64_t al[2] = {197, 577}, als[2] = {1000, 7};
        check(ctx, dt, 2, al, 3.0f, 1.0f, 0, NULL, 0, 1, "y aliases x");
        check(ctx, dt, 2, als, 3.0f, 1.0f, 2, als, 0.1, 1, "y aliases x, short rows");
        check_views(ctx, dt);
    }
    /* more rows than one grid axis holds (65535 on many devices) */
    int64_t many[2] = {70001, 17}, manyshort[2] = {70001 * 64 + 5, 2};
    check(ctx, VKA_F32, 2, many, 1.0f, 1.0f, 0, NULL, 0, 0, "70001 rows");
    check(ctx, VKA_F32, 2, manyshort, 1.0f, 1.0f, 0, NULL, 0, 0, "4.5M short rows");
    check_errors(ctx);
    return vkt_finish();
}
