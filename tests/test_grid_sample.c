/* SPDX-License-Identifier: MIT */
/* test_grid_sample.c — vka_grid_sample (ONNX GridSample, bilinear, zeros) on
 * f32 and f16 storage against a float64 reference: align_corners 0 and 1,
 * coordinates beyond [-1, 1] (partly and wholly outside), odd shapes, a
 * hand-computed case, NaN and huge coordinates, unaligned views. */
#include "common.h"

static double tap(const float *x, int64_t H, int64_t W, int64_t xi, int64_t yi)
{
    return xi < 0 || yi < 0 || xi >= W || yi >= H ? 0.0 : x[yi * W + xi];
}

static void reference(const float *x, const float *g, int64_t N, int64_t C, int64_t H, int64_t W, int64_t Ho,
                      int64_t Wo, int ac, double *y)
{
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t i = 0; i < Ho; i++)
                for (int64_t j = 0; j < Wo; j++) {
                    const float *gp = g + ((n * Ho + i) * Wo + j) * 2;
                    double gx = gp[0], gy = gp[1], fx, fy;
                    if (ac) {
                        fx = (gx + 1) / 2 * (W - 1);
                        fy = (gy + 1) / 2 * (H - 1);
                    } else {
                        fx = ((gx + 1) * W - 1) / 2;
                        fy = ((gy + 1) * H - 1) / 2;
                    }
                    double v = 0;
                    if (isfinite(fx) && isfinite(fy) && fabs(fx) < 1e9 && fabs(fy) < 1e9) {
                        double x0 = floor(fx), y0 = floor(fy), ax = fx - x0, ay = fy - y0;
                        const float *xp = x + (n * C + c) * H * W;
                        int64_t a = (int64_t)x0, b = (int64_t)y0;
                        v = (1 - ay) * ((1 - ax) * tap(xp, H, W, a, b) + ax * tap(xp, H, W, a + 1, b)) +
                            ay * ((1 - ax) * tap(xp, H, W, a, b + 1) + ax * tap(xp, H, W, a + 1, b + 1));
                    }
                    y[((n * C + c) * Ho + i) * Wo + j] = v;
                }
}

static void run_case(vka_context *ctx, vka_dtype dt, int64_t N, int64_t C, int64_t H, int64_t W, int64_t Ho,
                     int64_t Wo, int ac, int views)
{
    size_t nx = (size_t)(N * C * H * W), ng = (size_t)(N * Ho * Wo * 2), ny = (size_t)(N * C * Ho * Wo);
    float *hx = vkt_randn(nx, 1.0f), *hg = vkt_uniform(ng, -1.3f, 1.3f);
    if (ng >= 4) /* one point wholly outside */
        hg[0] = 1.9f, hg[1] = -2.5f;
    if (dt == VKA_F16)
        vkt_round_f16(hx, nx), vkt_round_f16(hg, ng);
    double *ref = malloc(sizeof *ref * ny);
    reference(hx, hg, N, C, H, W, Ho, Wo, ac, ref);
    int64_t xs[4] = {N, C, H, W}, gs[4] = {N, Ho, Wo, 2}, ys[4] = {N, C, Ho, Wo};
    vka_tensor *parent = NULL, *x, *g, *y;
    if (views) {
        int64_t tot = (int64_t)(nx + ng + ny) + 9;
        parent = vkt_tensor(ctx, dt, 1, &tot, NULL);
        x = vka_tensor_view(parent, 1, 4, xs);
        g = vka_tensor_view(parent, 1 + (int64_t)nx + 3, 4, gs);
        y = vka_tensor_view(parent, 1 + (int64_t)(nx + ng) + 7, 4, ys);
        vkt_upload(x, hx), vkt_upload(g, hg);
    } else {
        x = vkt_tensor(ctx, dt, 4, xs, hx);
        g = vkt_tensor(ctx, dt, 4, gs, hg);
        y = vkt_tensor(ctx, dt, 4, ys, NULL);
    }
    vkt_poison(y);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_grid_sample(cmd, x, g, ac, y);
    char what[160];
    snprintf(what, sizeof what, "grid_sample %s x[%lld,%lld,%lld,%lld] grid[%lld,%lld,%lld,2] align_corners=%d%s",
             vka_dtype_str(dt), (long long)N, (long long)C, (long long)H, (long long)W, (long long)N, (long long)Ho,
             (long long)Wo, ac, views ? " views" : "");
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        float *got = vkt_download(y);
        vkt_compare(what, got, ref, ny, dt == VKA_F16 ? 5e-3 : 1e-5);
        free(got);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(g), vka_tensor_destroy(y), vka_tensor_destroy(parent);
    free(hx), free(hg), free(ref);
}

/* 2x2 image, values by hand: the centre (0, 0) averages all four pixels with
 * either convention; (-1, -1) is pixel (0, 0)'s centre with align_corners 1 but
 * its outer corner with 0 (a quarter of it, the other taps padding); NaN and
 * 1e30 read 0. */
static void test_by_hand(vka_context *ctx)
{
    const float x[4] = {1, 2, 3, 4};
    const float g[10] = {0, 0, -1, -1, 1, 1, NAN, 0.5f, 1e30f, -1e30f};
    const double want[2][5] = {{2.5, 0.25, 1.0, 0, 0}, {2.5, 1.0, 4.0, 0, 0}};
    int64_t xs[4] = {1, 1, 2, 2}, gs[4] = {1, 1, 5, 2}, ys[4] = {1, 1, 1, 5};
    vka_tensor *tx = vkt_tensor(ctx, VKA_F32, 4, xs, x), *tg = vkt_tensor(ctx, VKA_F32, 4, gs, g);
    vka_tensor *ty = vkt_tensor(ctx, VKA_F32, 4, ys, NULL);
    vka_cmd *cmd = vka_cmd_create(ctx);
    for (int ac = 0; ac < 2; ac++) {
        vkt_poison(ty);
        vka_cmd_begin(cmd);
        vka_grid_sample(cmd, tx, tg, ac, ty);
        vkt_run(cmd);
        float *got = vkt_download(ty);
        int ok = 1;
        for (int i = 0; i < 5; i++)
            ok &= fabs(got[i] - want[ac][i]) < 1e-6;
        vkt_check(ok, "by hand align_corners=%d: (0,0)=%g (-1,-1)=%g (1,1)=%g NaN=%g 1e30=%g", ac, got[0], got[1],
                  got[2], got[3], got[4]);
        free(got);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(tx), vka_tensor_destroy(tg), vka_tensor_destroy(ty);
}

static void test_errors(vka_context *ctx)
{
    int64_t xs[4] = {2, 3, 5, 6}, gs[4] = {2, 4, 7, 2}, ys[4] = {2, 3, 4, 7}, ysb[4] = {2, 3, 7, 4};
    vka_tensor *x = vkt_tensor(ctx, VKA_F32, 4, xs, NULL), *g = vkt_tensor(ctx, VKA_F32, 4, gs, NULL);
    vka_tensor *y = vkt_tensor(ctx, VKA_F32, 4, ys, NULL), *yb = vkt_tensor(ctx, VKA_F32, 4, ysb, NULL);
    vka_tensor *gi = vkt_tensor(ctx, VKA_I32, 4, gs, NULL);
    vka_tensor_set_name(yb, "transposed");
    vka_tensor_set_name(gi, "intgrid");
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vkt_expect_error("y [N, C, Wo, Ho]", vka_grid_sample(cmd, x, g, 0, yb), VKA_ERR_SHAPE,
                     "y \"transposed\" [2, 3, 7, 4] must be [2, 3, 4, 7]");
    vkt_expect_error("I32 grid", vka_grid_sample(cmd, x, gi, 0, y), VKA_ERR_SHAPE, "intgrid");
    vkt_expect_error("NULL x", vka_grid_sample(cmd, NULL, g, 0, y), VKA_ERR_INVALID_ARG, "x is NULL");
    vka_cmd_end(cmd);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(g), vka_tensor_destroy(y), vka_tensor_destroy(yb);
    vka_tensor_destroy(gi);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    int f16 = vka_context_device(ctx)->fp16_storage;
    for (int d = 0; d < 1 + f16; d++) {
        vka_dtype dt = d ? VKA_F16 : VKA_F32;
        for (int ac = 0; ac < 2; ac++) {
            run_case(ctx, dt, 2, 3, 13, 17, 5, 7, ac, 0);
            run_case(ctx, dt, 16, 8, 20, 20, 100, 4, ac, 0); /* DEIMv2 level 0 */
            run_case(ctx, dt, 1, 5, 1, 9, 3, 11, ac, d);       /* a one-row image */
        }
    }
    test_by_hand(ctx);
    test_errors(ctx);
    return vkt_finish();
}
