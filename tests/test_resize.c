/* SPDX-License-Identifier: MIT */
/* test_resize.c — vka_resize against a float64 implementation of the ONNX
 * Resize spec (every coordinate_transformation_mode and nearest_mode, linear,
 * sizes and explicit scales, up and down, DEIMv2's 2x nearest/asymmetric/floor
 * upsample), vka_pad (constant, reflect, edge; ranks 1-5; negative pads) and
 * vka_clip (in place, NaN), f32 and f16; then the error paths. */
#include "common.h"

static const char *COORD[] = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"};
static const char *NEAR[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};

/* The ONNX spec's source coordinate of output index o (scale: ONNX scale). */
static double src_coord(vka_coord_mode c, int64_t o, int64_t in, int64_t out, const float *scale)
{
    switch (c) {
    case VKA_COORD_HALF_PIXEL:
        return scale ? (o + 0.5) / (double)*scale - 0.5 : (o + 0.5) * (double)in / (double)out - 0.5;
    case VKA_COORD_PYTORCH_HALF_PIXEL:
        if (out == 1)
            return 0;
        return scale ? (o + 0.5) / (double)*scale - 0.5 : (o + 0.5) * (double)in / (double)out - 0.5;
    case VKA_COORD_ALIGN_CORNERS:
        return out == 1 ? 0 : o * (double)(in - 1) / (double)(out - 1);
    default:
        return scale ? o / (double)*scale : o * (double)in / (double)out;
    }
}

static int64_t near_index(double x, vka_nearest_mode m, int64_t len)
{
    double r;
    switch (m) {
    case VKA_NEAREST_ROUND_PREFER_FLOOR: r = x == floor(x) + 0.5 ? floor(x) : round(x); break;
    case VKA_NEAREST_ROUND_PREFER_CEIL: r = x == floor(x) + 0.5 ? ceil(x) : round(x); break;
    case VKA_NEAREST_FLOOR: r = floor(x); break;
    default: r = ceil(x); break;
    }
    int64_t i = (int64_t)r;
    return i < 0 ? 0 : i >= len ? len - 1 : i;
}

static int64_t clampi(int64_t i, int64_t len) { return i < 0 ? 0 : i >= len ? len - 1 : i; }

static void resize_ref(const float *x, int64_t NC, int64_t H, int64_t W, int64_t OH, int64_t OW, vka_interp mode,
                       vka_coord_mode c, vka_nearest_mode nm, const float *scales, double *y)
{
    for (int64_t nc = 0; nc < NC; nc++)
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++) {
                double sy = src_coord(c, oy, H, OH, scales ? &scales[0] : NULL);
                double sx = src_coord(c, ox, W, OW, scales ? &scales[1] : NULL);
                const float *p = x + nc * H * W;
                double v;
                if (mode == VKA_INTERP_NEAREST) {
                    v = p[near_index(sy, nm, H) * W + near_index(sx, nm, W)];
                } else { /* the spec pads with edge values: neighbours clamp */
                    int64_t y0 = (int64_t)floor(sy), x0 = (int64_t)floor(sx);
                    double wy = sy - y0, wx = sx - x0;
                    double v00 = p[clampi(y0, H) * W + clampi(x0, W)], v01 = p[clampi(y0, H) * W + clampi(x0 + 1, W)];
                    double v10 = p[clampi(y0 + 1, H) * W + clampi(x0, W)];
                    double v11 = p[clampi(y0 + 1, H) * W + clampi(x0 + 1, W)];
                    v = (1 - wy) * ((1 - wx) * v00 + wx * v01) + wy * ((1 - wx) * v10 + wx * v11);
                }
                y[(nc * OH + oy) * OW + ox] = v;
            }
}

static void run_resize(vka_context *ctx, vka_dtype dt, int64_t n, int64_t c, int64_t h, int64_t w, int64_t oh,
                       int64_t ow, vka_interp mode, vka_coord_mode cm, vka_nearest_mode nm, const float *scales)
{
    int64_t sx[4] = {n, c, h, w}, sy[4] = {n, c, oh, ow};
    size_t nx = (size_t)(n * c * h * w), ny = (size_t)(n * c * oh * ow);
    float *hx = vkt_randn(nx, 1.0f);
    if (dt == VKA_F16)
        vkt_round_f16(hx, nx);
    vka_tensor *x = vkt_tensor(ctx, dt, 4, sx, hx), *y = vkt_tensor(ctx, dt, 4, sy, NULL);
    vkt_poison(y);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    char what[200];
    snprintf(what, sizeof what, "%s resize %s %s%s%s [%lld,%lld,%lld,%lld] -> %lldx%lld%s", vka_dtype_str(dt),
             mode ? "linear" : "nearest", COORD[cm], mode ? "" : " ", mode ? "" : NEAR[nm], (long long)n, (long long)c,
             (long long)h, (long long)w, (long long)oh, (long long)ow, scales ? " (scales)" : " (sizes)");
    vka_status s = vka_resize(cmd, x, mode, cm, nm, scales, y);
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        float *got = vkt_download(y);
        double *ref = malloc(sizeof *ref * ny);
        resize_ref(hx, n * c, h, w, oh, ow, mode, cm, nm, scales, ref);
        /* nearest copies values: exact in either storage */
        vkt_compare(what, got, ref, ny, mode == VKA_INTERP_NEAREST ? 1e-7 : dt == VKA_F32 ? 1e-5 : 5e-3);
        free(got), free(ref);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(y);
    free(hx);
}

static void resize_all(vka_context *ctx, vka_dtype dt)
{
    /* DEIMv2's encoder upsample: [1, C, H, W] x2, nearest, asymmetric, floor */
    float two[2] = {2.0f, 2.0f}, s15[2] = {1.5f, 0.75f}, half[2] = {0.5f, 0.5f};
    run_resize(ctx, dt, 1, 64, 10, 10, 20, 20, VKA_INTERP_NEAREST, VKA_COORD_ASYMMETRIC, VKA_NEAREST_FLOOR, two);
    run_resize(ctx, dt, 1, 16, 13, 17, 26, 34, VKA_INTERP_NEAREST, VKA_COORD_ASYMMETRIC, VKA_NEAREST_FLOOR, NULL);
    for (int cm = 0; cm < 4; cm++)
        for (int nm = 0; nm < 4; nm++) {
            /* up by non-integer sizes, down, and explicit scales: ties occur in several of these */
            run_resize(ctx, dt, 1, 3, 13, 17, 20, 40, VKA_INTERP_NEAREST, (vka_coord_mode)cm, (vka_nearest_mode)nm, NULL);
            run_resize(ctx, dt, 2, 2, 17, 13, 9, 5, VKA_INTERP_NEAREST, (vka_coord_mode)cm, (vka_nearest_mode)nm, NULL);
            run_resize(ctx, dt, 1, 3, 13, 16, 19, 12, VKA_INTERP_NEAREST, (vka_coord_mode)cm, (vka_nearest_mode)nm, s15);
        }
    for (int cm = 0; cm < 4; cm++) {
        run_resize(ctx, dt, 1, 4, 13, 17, 26, 34, VKA_INTERP_LINEAR, (vka_coord_mode)cm, 0, NULL);
        run_resize(ctx, dt, 1, 4, 17, 13, 7, 9, VKA_INTERP_LINEAR, (vka_coord_mode)cm, 0, NULL);
        run_resize(ctx, dt, 1, 4, 13, 16, 19, 12, VKA_INTERP_LINEAR, (vka_coord_mode)cm, 0, s15);
        run_resize(ctx, dt, 1, 4, 14, 15, 7, 7, VKA_INTERP_LINEAR, (vka_coord_mode)cm, 0, half);
        run_resize(ctx, dt, 1, 2, 5, 6, 1, 1, VKA_INTERP_LINEAR, (vka_coord_mode)cm, 0, NULL); /* to one pixel */
    }
}

/* ------------------------------------------------------------------ pad */

static void run_pad(vka_context *ctx, vka_dtype dt, int rank, const int64_t *shape, const int64_t *begin,
                    const int64_t *end, vka_pad_mode mode)
{
    int64_t ys[8];
    size_t nx = 1, ny = 1;
    for (int d = 0; d < rank; d++) {
        ys[d] = shape[d] + begin[d] + end[d];
        nx *= (size_t)shape[d], ny *= (size_t)ys[d];
    }
    float *hx = vkt_randn(nx, 1.0f);
    if (dt == VKA_F16)
        vkt_round_f16(hx, nx);
    float value = dt == VKA_F16 ? 0.5f : -1.25f;
    vka_tensor *x = vkt_tensor(ctx, dt, rank, shape, hx), *y = vkt_tensor(ctx, dt, rank, ys, NULL);
    vkt_poison(y);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    char what[200] = "";
    int len = snprintf(what, sizeof what, "%s pad %s rank %d x[", vka_dtype_str(dt),
                       mode == VKA_PAD_CONSTANT ? "constant" : mode == VKA_PAD_REFLECT ? "reflect" : "edge", rank);
    for (int d = 0; d < rank; d++)
        len += snprintf(what + len, sizeof what - (size_t)len, "%s%lld(%+lld,%+lld)", d ? "," : "", (long long)shape[d],
                        (long long)begin[d], (long long)end[d]);
    snprintf(what + len, sizeof what - (size_t)len, "]");
    vka_status s = vka_pad(cmd, x, begin, end, mode, value, y);
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        float *got = vkt_download(y);
        double *ref = malloc(sizeof *ref * ny);
        for (size_t i = 0; i < ny; i++) {
            size_t rem = i, src = 0, stride = 1;
            int inside = 1;
            for (int d = rank - 1; d >= 0; d--) {
                int64_t o = (int64_t)(rem % (size_t)ys[d]), n = shape[d];
                rem /= (size_t)ys[d];
                int64_t k = o - begin[d];
                if (k < 0 || k >= n) {
                    if (mode == VKA_PAD_EDGE)
                        k = k < 0 ? 0 : n - 1;
                    else if (mode == VKA_PAD_REFLECT)
                        k = n == 1 ? 0 : k < 0 ? -k : 2 * (n - 1) - k; /* pads < n: one reflection (numpy) */
                    else
                        inside = 0;
                }
                src += (size_t)(inside ? k : 0) * stride;
                stride *= (size_t)n;
            }
            ref[i] = inside ? hx[src] : value;
        }
        vkt_compare(what, got, ref, ny, 1e-7);
        free(got), free(ref);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(y);
    free(hx);
}

static void pad_all(vka_context *ctx, vka_dtype dt)
{
    for (int m = 0; m < 3; m++) {
        vka_pad_mode mode = (vka_pad_mode)m;
        int64_t s4[4] = {1, 16, 13, 17}, b4[4] = {0, 0, 0, 0}, e4[4] = {0, 0, 1, 1}; /* HGNetv2 stem pad */
        run_pad(ctx, dt, 4, s4, b4, e4, mode);
        int64_t b4b[4] = {0, 1, 2, 3}, e4b[4] = {1, 0, 3, 2};
        run_pad(ctx, dt, 4, s4, b4b, e4b, mode);
        int64_t s1[1] = {7}, b1[1] = {3}, e1[1] = {5};
        run_pad(ctx, dt, 1, s1, b1, e1, mode == VKA_PAD_REFLECT ? VKA_PAD_EDGE : mode);
        int64_t b1r[1] = {6}, e1r[1] = {2};
        run_pad(ctx, dt, 1, s1, b1r, e1r, mode);
        int64_t s5[5] = {2, 3, 4, 5, 6}, b5[5] = {1, 0, 2, 1, 0}, e5[5] = {0, 2, 1, 0, 3};
        run_pad(ctx, dt, 5, s5, b5, e5, mode);
        int64_t s3[3] = {5, 9, 8}, b3[3] = {-1, 2, -3}, e3[3] = {1, -2, 2}; /* negative pads crop */
        run_pad(ctx, dt, 3, s3, b3, e3, mode);
        /* rows longer than a workgroup's 64 lanes; row blocks that wrap two axes at once */
        int64_t sl[4] = {2, 3, 2, 150}, bl[4] = {0, 1, 0, 3}, el[4] = {1, 0, 1, 40};
        run_pad(ctx, dt, 4, sl, bl, el, mode);
    }
    /* an empty x: y is all the constant */
    int64_t s0[3] = {2, 0, 3}, b0[3] = {0, 2, 0}, e0[3] = {0, 1, 1};
    run_pad(ctx, dt, 3, s0, b0, e0, VKA_PAD_CONSTANT);
}

/* ------------------------------------------------------------------ clip */

static void clip_all(vka_context *ctx, vka_dtype dt)
{
    int64_t shape[3] = {3, 37, 41};
    size_t n = 3 * 37 * 41;
    float *hx = vkt_randn(n, 3.0f);
    hx[5] = NAN;
    if (dt == VKA_F16)
        vkt_round_f16(hx, n);
    const float bounds[][2] = {{0.0f, 6.0f}, {-1.5f, 2.25f}, {-INFINITY, 0.5f}};
    for (int k = 0; k < 3; k++)
        for (int inplace = 0; inplace < 2; inplace++) {
            vka_tensor *x = vkt_tensor(ctx, dt, 3, shape, hx), *y = inplace ? x : vkt_tensor(ctx, dt, 3, shape, NULL);
            if (!inplace)
                vkt_poison(y);
            vka_cmd *cmd = vka_cmd_create(ctx);
            vka_cmd_begin(cmd);
            char what[128];
            snprintf(what, sizeof what, "%s clip [%g, %g]%s", vka_dtype_str(dt), bounds[k][0], bounds[k][1],
                     inplace ? " in place" : "");
            vka_status s = vka_clip(cmd, x, bounds[k][0], bounds[k][1], y);
            if (s) {
                vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
            } else {
                vkt_run(cmd);
                float *got = vkt_download(y);
                vkt_check(isnan(got[5]), "%s: NaN stays NaN (got %g)", what, got[5]);
                got[5] = 0;
                double *ref = malloc(sizeof *ref * n);
                for (size_t i = 0; i < n; i++)
                    ref[i] = i == 5 ? 0 : fmin(fmax(hx[i], bounds[k][0]), bounds[k][1]);
                vkt_compare(what, got, ref, n, 1e-7);
                free(got), free(ref);
            }
            vka_cmd_destroy(cmd);
            if (!inplace)
                vka_tensor_destroy(y);
            vka_tensor_destroy(x);
        }
    free(hx);
}

static void test_errors(vka_context *ctx)
{
    int64_t sx[4] = {1, 4, 10, 10}, sy[4] = {1, 4, 20, 21}, sc[4] = {1, 5, 20, 20};
    vka_tensor *x = vkt_tensor(ctx, VKA_F32, 4, sx, NULL), *y = vkt_tensor(ctx, VKA_F32, 4, sy, NULL);
    vka_tensor *yc = vkt_tensor(ctx, VKA_F32, 4, sc, NULL);
    vka_tensor_set_name(y, "up");
    vka_tensor_set_name(yc, "upc");
    float two[2] = {2, 2}, bad[2] = {0, 2};
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vkt_expect_error("resize size vs scales", vka_resize(cmd, x, VKA_INTERP_NEAREST, VKA_COORD_ASYMMETRIC,
                                                         VKA_NEAREST_FLOOR, two, y), VKA_ERR_SHAPE, "\"up\" [1, 4, 20, 21]");
    vkt_expect_error("resize channels", vka_resize(cmd, x, VKA_INTERP_NEAREST, VKA_COORD_ASYMMETRIC, VKA_NEAREST_FLOOR,
                                                   NULL, yc), VKA_ERR_SHAPE, "\"upc\"");
    vkt_expect_error("resize scale 0", vka_resize(cmd, x, VKA_INTERP_LINEAR, VKA_COORD_HALF_PIXEL, 0, bad, y),
                     VKA_ERR_INVALID_ARG, "scale 0");
    vkt_expect_error("resize bad mode", vka_resize(cmd, x, (vka_interp)5, VKA_COORD_HALF_PIXEL, 0, NULL, y),
                     VKA_ERR_INVALID_ARG, "mode 5");
    int64_t b[4] = {0, 0, 5, 5}, e[4] = {0, 0, 5, 6}, e2[4] = {0, 0, 5, 5};
    vkt_expect_error("pad wrong y", vka_pad(cmd, x, b, e2, VKA_PAD_CONSTANT, 0, y), VKA_ERR_SHAPE, "\"up\"");
    int64_t b10[4] = {0, 0, 10, 0}, e10[4] = {0, 0, 0, 11};
    vkt_expect_error("pad reflect too wide", vka_pad(cmd, x, b10, e10, VKA_PAD_REFLECT, 0, y), VKA_ERR_SHAPE,
                     "must be smaller");
    (void)e;
    vkt_expect_error("clip shape", vka_clip(cmd, x, 0, 1, y), VKA_ERR_SHAPE, "differ in shape");
    vka_cmd_end(cmd);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(y), vka_tensor_destroy(yc);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    int f16 = vka_context_device(ctx)->fp16_storage;
    for (int k = 0; k < 1 + f16; k++) {
        vka_dtype dt = k ? VKA_F16 : VKA_F32;
        resize_all(ctx, dt);
        pad_all(ctx, dt);
        clip_all(ctx, dt);
    }
    printf("-- VKATTN_PAD_TEXEL=0 (x from a storage buffer)\n");
    setenv("VKATTN_PAD_TEXEL", "0", 1);
    pad_all(ctx, VKA_F32);
    unsetenv("VKATTN_PAD_TEXEL");
    test_errors(ctx);
    return vkt_finish();
}
