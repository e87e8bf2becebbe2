/* SPDX-License-Identifier: MIT */
/* test_reduce.c — vka_reduce (sum, mean, max) against a float64 reference over
 * the first, a middle and the last axis, with the axis kept as 1 and removed,
 * negative axes, axes of 1 to 100k+ elements, unaligned views, more outputs
 * than one grid axis holds, and the error paths. */
#include "common.h"

static const char *op_name(vka_reduce_op op)
{
    return op == VKA_REDUCE_SUM ? "sum" : op == VKA_REDUCE_MEAN ? "mean" : "max";
}

static double *reference(const float *x, int64_t outer, int64_t len, int64_t inner, vka_reduce_op op)
{
    double *ref = malloc(sizeof *ref * (size_t)(outer * inner > 0 ? outer * inner : 1));
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            double acc = op == VKA_REDUCE_MAX ? -INFINITY : 0.0;
            for (int64_t k = 0; k < len; k++) {
                double v = x[(o * len + k) * inner + i];
                acc = op == VKA_REDUCE_MAX ? (v > acc ? v : acc) : acc + v;
            }
            ref[o * inner + i] = op == VKA_REDUCE_MEAN ? acc / (double)len : acc;
        }
    return ref;
}

static void check(vka_context *ctx, vka_dtype dt, vka_reduce_op op, int ndim, const int64_t *shape, int axis,
                  int keep, float offset)
{
    int ax = axis < 0 ? axis + ndim : axis;
    int64_t numel = 1, outer = 1, inner = 1, yshape[VKA_MAX_DIMS];
    int yn = 0;
    for (int i = 0; i < ndim; i++) {
        numel *= shape[i];
        if (i < ax)
            outer *= shape[i];
        if (i > ax)
            inner *= shape[i];
        if (i != ax)
            yshape[yn++] = shape[i];
        else if (keep)
            yshape[yn++] = 1;
    }
    int64_t len = shape[ax];
    float *x = vkt_randn((size_t)numel, 1.0f);
    for (int64_t i = 0; i < numel; i++)
        x[i] += offset;
    if (dt == VKA_F16)
        vkt_round_f16(x, (size_t)numel);
    vka_tensor *tx = vkt_tensor(ctx, dt, ndim, shape, x), *ty = vkt_tensor(ctx, dt, yn, yshape, NULL);
    vkt_poison(ty);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_reduce(cmd, op, tx, axis, ty);
    char what[200], sh[96];
    int k = 0;
    for (int i = 0; i < ndim; i++)
        k += snprintf(sh + k, sizeof sh - (size_t)k, i ? ",%lld" : "%lld", (long long)shape[i]);
    snprintf(what, sizeof what, "reduce %s %s [%s] axis %d%s", op_name(op), vka_dtype_str(dt), sh, axis,
             keep ? " keepdims" : "");
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        float *got = vkt_download(ty);
        double *ref = reference(x, outer, len, inner, op);
        /* a sum or mean of zero-mean noise can land near zero: scale by the terms (the same
         * reduction of |x|); a max is one of the terms */
        float *ax = malloc(sizeof *ax * (size_t)numel);
        for (int64_t i = 0; i < numel; i++)
            ax[i] = fabsf(x[i]);
        double *mag = reference(ax, outer, len, inner, op);
        vkt_compare_terms(what, got, ref, mag, (size_t)(outer * inner), dt == VKA_F16 ? 5e-3 : 1e-5);
        free(got);
        free(ref);
        free(mag);
        free(ax);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(tx), vka_tensor_destroy(ty);
    free(x);
}

/* x and y as unaligned views, middle and last axis */
static void check_views(vka_context *ctx, vka_dtype dt)
{
    const int64_t big = 3 * 65 * 7 + 13;
    float *x = vkt_randn((size_t)big, 1.0f);
    if (dt == VKA_F16)
        vkt_round_f16(x, (size_t)big);
    vka_tensor *px = vkt_tensor(ctx, dt, 1, &big, x), *py = vkt_tensor(ctx, dt, 1, &big, NULL);
    int64_t xs[3] = {3, 65, 7}, ys[2] = {3, 7}, ys2[2] = {3, 65};
    for (int axis = 1; axis <= 2; axis++) {
        vkt_poison(py);
        vka_tensor *vx = vka_tensor_view(px, 5, 3, xs), *vy = vka_tensor_view(py, 1, 2, axis == 1 ? ys : ys2);
        vka_cmd *cmd = vka_cmd_create(ctx);
        vka_cmd_begin(cmd);
        vka_status s = vka_reduce(cmd, VKA_REDUCE_SUM, vx, axis, vy);
        vkt_check(s == VKA_OK, "reduce on views records: %s", vka_status_str(s));
        vkt_run(cmd);
        float *got = vkt_download(py);
        int64_t ny = axis == 1 ? 21 : 195;
        double *ref = axis == 1 ? reference(x + 5, 3, 65, 7, VKA_REDUCE_SUM) : reference(x + 5, 195, 7, 1, VKA_REDUCE_SUM);
        float *ax = malloc(sizeof *ax * (size_t)big);
        for (int64_t i = 0; i < big; i++)
            ax[i] = fabsf(x[i]);
        double *mag = axis == 1 ? reference(ax + 5, 3, 65, 7, VKA_REDUCE_SUM) : reference(ax + 5, 195, 7, 1, VKA_REDUCE_SUM);
        char what[96];
        snprintf(what, sizeof what, "reduce sum unaligned views %s axis %d", vka_dtype_str(dt), axis);
        vkt_compare_terms(what, got + 1, ref, mag, (size_t)ny, dt == VKA_F16 ? 5e-3 : 1e-5);
        free(mag), free(ax);
        vkt_check(isnan(got[0]) && isnan(got[1 + ny]), "reduce view writes nothing outside y");
        vka_cmd_destroy(cmd);
        vka_tensor_destroy(vx), vka_tensor_destroy(vy);
        free(got), free(ref);
    }
    vka_tensor_destroy(px), vka_tensor_destroy(py);
    free(x);
}

static void check_errors(vka_context *ctx)
{
    int64_t s234[3] = {2, 3, 4}, s24[2] = {2, 4}, s23[2] = {2, 3}, s214[3] = {2, 1, 4};
    vka_tensor *x = vkt_tensor(ctx, VKA_F32, 3, s234, NULL), *y = vkt_tensor(ctx, VKA_F32, 2, s24, NULL);
    vka_tensor *bad = vkt_tensor(ctx, VKA_F32, 2, s23, NULL), *keep = vkt_tensor(ctx, VKA_F32, 3, s214, NULL);
    vka_tensor_set_name(x, "feat");
    vka_tensor_set_name(bad, "pooled");
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vkt_expect_error("reduce y shape mismatch", vka_reduce(cmd, VKA_REDUCE_SUM, x, 1, bad), VKA_ERR_SHAPE, "pooled");
    vkt_expect_error("reduce keepdims on the wrong axis", vka_reduce(cmd, VKA_REDUCE_SUM, x, 2, keep), VKA_ERR_SHAPE,
                     "[2, 1, 4]");
    vkt_expect_error("reduce axis 3 of 3-d", vka_reduce(cmd, VKA_REDUCE_SUM, x, 3, y), VKA_ERR_INVALID_ARG, "axis 3");
    vkt_expect_error("reduce axis -4 of 3-d", vka_reduce(cmd, VKA_REDUCE_MAX, x, -4, y), VKA_ERR_INVALID_ARG, "feat");
    vkt_expect_error("reduce bad op", vka_reduce(cmd, VKA_REDUCE_COUNT, x, 1, y), VKA_ERR_INVALID_ARG, "op");
    vkt_expect_error("reduce NULL x", vka_reduce(cmd, VKA_REDUCE_SUM, NULL, 1, y), VKA_ERR_INVALID_ARG, "NULL");
    if (vka_context_device(ctx)->fp16_storage) {
        vka_tensor *h = vkt_tensor(ctx, VKA_F16, 2, s24, NULL);
        vka_tensor_set_name(h, "half_y");
        vkt_expect_error("reduce dtype mismatch", vka_reduce(cmd, VKA_REDUCE_SUM, x, 1, h), VKA_ERR_SHAPE, "half_y");
        vka_tensor_destroy(h);
    }
    float v[24];
    for (int i = 0; i < 24; i++)
        v[i] = (float)i;
    vkt_upload(x, v);
    vka_status s = vka_reduce(cmd, VKA_REDUCE_MEAN, x, -2, keep);
    vkt_check(s == VKA_OK, "reduce usable after errors");
    vkt_run(cmd);
    float *got = vkt_download(keep);
    double ref[8] = {4, 5, 6, 7, 16, 17, 18, 19};
    vkt_compare("reduce mean axis -2 after errors", got, ref, 8, 1e-7);
    free(got);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(y), vka_tensor_destroy(bad), vka_tensor_destroy(keep);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    const vka_device_info *d = vka_context_device(ctx);
    vka_dtype dts_all[2] = {VKA_F32, VKA_F16};
    int ndt = d->fp16_storage ? 2 : 1;
    for (int t = 0; t < ndt; t++) {
        vka_dtype dt = dts_all[t];
        for (int op = 0; op < VKA_REDUCE_COUNT; op++) {
            /* every axis of an odd 3-d shape, kept and removed, negative axes */
            int64_t s3[3] = {7, 65, 197};
            for (int axis = 0; axis < 3; axis++)
                for (int keep = 0; keep < 2; keep++)
                    check(ctx, dt, op, 3, s3, keep ? axis - 3 : axis, keep, 0.5f);
            int64_t s4[4] = {3, 1, 577, 5};
            check(ctx, dt, op, 4, s4, 1, 0, 0.0f); /* axis of 1 */
            check(ctx, dt, op, 4, s4, 2, 1, 0.0f);
            /* last axis: rows 1..1000 of lengths 1..4099 (both kernel modes) */
            const int64_t rows_list[] = {1, 3, 197, 1000};
            const int64_t n_list[] = {1, 7, 65, 197, 577, 1000, 4099};
            for (size_t a = 0; a < 4; a++)
                for (size_t b = 0; b < 7; b += (dt == VKA_F16 ? 2 : 1)) {
                    int64_t sh[2] = {rows_list[a], n_list[b]};
                    check(ctx, dt, op, 2, sh, 1, (int)(a + b) % 2, 0.25f);
                }
            /* first axis of [1000, 197] and [4099, 3] (long strided walks) */
            int64_t f1[2] = {1000, 197}, f2[2] = {4099, 3};
            check(ctx, dt, op, 2, f1, 0, 0, 0.0f);
            check(ctx, dt, op, 2, f2, 0, 1, 1.0f);
            /* 100k+ along the last, first and a middle axis */
            int64_t l1[1] = {100003}, l2[2] = {100003, 3}, l3[3] = {2, 100003, 2};
            check(ctx, dt, op, 1, l1, 0, 1, 0.1f);
            check(ctx, dt, op, 1, l1, 0, 0, 0.1f);
            check(ctx, dt, op, 2, l2, 0, 0, 0.1f);
            check(ctx, dt, op, 3, l3, -2, 0, 0.1f);
            /* one invocation could not walk these on llvmpipe (65535-iteration loop guard) */
            int64_t h1[1] = {4000037}, h2[2] = {1000003, 2};
            /* f16: no offset, a sum of 4e5 overflows it. f32: an offset, so the
             * mean is not ~5e-4 (zero-mean noise over 4M values), where a
             * relative error measures the cancellation instead of the kernel */
            float big_off = dt == VKA_F32 ? 0.1f : 0.0f;
            check(ctx, dt, op, 1, h1, 0, 0, big_off);
            check(ctx, dt, op, 2, h2, 0, 1, big_off);
        }
        check_views(ctx, dt);
    }
    /* more outputs than one grid axis holds, in both modes */
    int64_t many[2] = {70001, 33}, manymid[3] = {70001 * 64 + 5, 2, 1};
    check(ctx, VKA_F32, VKA_REDUCE_SUM, 2, many, 1, 0, 0.0f);
    check(ctx, VKA_F32, VKA_REDUCE_MAX, 3, manymid, 1, 1, 0.0f);
    check_errors(ctx);
    return vkt_finish();
}
