/* SPDX-License-Identifier: MIT */
/* test_preprocess.c — vka_preprocess against a float64 CPU implementation of
 * PIL's bilinear resampling (crop, /255, mean/std) on random images of odd
 * sizes, up- and downscaling, both modes; then against the DeiT goldens'
 * pixel_values, which PIL made with 8-bit rounding between and after its two
 * passes. A CPU emulation of that fixed-point path checks that the reference
 * geometry is PIL's (it should match the goldens bit for bit), and the GPU's
 * distance from the goldens is measured and bounded. */
#include "common.h"

/* ------------------------------------------------------------ PIL's coefficients */

/* Pillow 9.4 Resample.c precompute_coeffs for the bilinear filter, box [0, in):
 * per output pixel, first tap and tap count, and normalized double weights
 * (ksize per output). Returns ksize. */
static int pil_coeffs(int in, int out, int antialias, int **bounds, double **kk)
{
    double scale = (double)in / out, fs = scale;
    if (fs < 1.0 || !antialias)
        fs = 1.0;
    double support = 1.0 * fs;
    int ksize = (int)ceil(support) * 2 + 1;
    *bounds = malloc(sizeof(int) * 2 * (size_t)out);
    *kk = calloc((size_t)out * (size_t)ksize, sizeof(double));
    for (int xx = 0; xx < out; xx++) {
        double center = (xx + 0.5) * scale, ww = 0, ss = 1.0 / fs;
        int xmin = (int)(center - support + 0.5);
        if (xmin < 0)
            xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > in)
            xmax = in;
        xmax -= xmin;
        double *k = *kk + (size_t)xx * ksize;
        for (int x = 0; x < xmax; x++) {
            double a = fabs((x + xmin - center + 0.5) * ss);
            k[x] = a < 1.0 ? 1.0 - a : 0.0;
            ww += k[x];
        }
        for (int x = 0; x < xmax; x++)
            if (ww != 0.0)
                k[x] /= ww;
        (*bounds)[2 * xx] = xmin;
        (*bounds)[2 * xx + 1] = xmax;
    }
    return ksize;
}

/* Resized size and crop offsets as torchvision computes them (Resize(int):
 * long side int(resize*long/short); CenterCrop: int(round((w - crop)/2)), halves to even). */
static void geometry(const vka_preprocess_params *p, int w, int h, int *rw, int *rh, int *left, int *top)
{
    if (p->mode == VKA_RESIZE_SQUARE) {
        *rw = *rh = p->crop;
    } else if (w <= h) {
        *rw = p->resize;
        *rh = (int)floor((double)p->resize * h / w);
    } else {
        *rh = p->resize;
        *rw = (int)floor((double)p->resize * w / h);
    }
    *left = (int)nearbyint((*rw - p->crop) / 2.0); /* default rounding mode: half to even */
    *top = (int)nearbyint((*rh - p->crop) / 2.0);
}

/* float64 reference: both passes in double, no rounding between them. */
static double *ref_preprocess(const uint8_t *img, int w, int h, const vka_preprocess_params *p)
{
    int rw, rh, left, top, *bx, *by;
    double *kx, *ky;
    geometry(p, w, h, &rw, &rh, &left, &top);
    int kxs = pil_coeffs(w, rw, p->antialias, &bx, &kx), kys = pil_coeffs(h, rh, p->antialias, &by, &ky);
    int c2 = p->crop;
    double *out = malloc(sizeof(double) * 3 * (size_t)c2 * c2);
    for (int oy = 0; oy < c2; oy++)
        for (int ox = 0; ox < c2; ox++) {
            int yy = oy + top, xx = ox + left;
            double acc[3] = {0, 0, 0};
            for (int j = 0; j < by[2 * yy + 1]; j++) {
                double wy = ky[(size_t)yy * kys + j];
                const uint8_t *row = img + (size_t)(by[2 * yy] + j) * w * 3;
                for (int i = 0; i < bx[2 * xx + 1]; i++) {
                    double wgt = wy * kx[(size_t)xx * kxs + i];
                    const uint8_t *px = row + (size_t)(bx[2 * xx] + i) * 3;
                    for (int c = 0; c < 3; c++)
                        acc[c] += wgt * px[c];
                }
            }
            for (int c = 0; c < 3; c++)
                out[((size_t)c * c2 + oy) * c2 + ox] = (acc[c] / 255.0 - p->mean[c]) / p->std[c];
        }
    free(bx);
    free(by);
    free(kx);
    free(ky);
    return out;
}

/* ------------------------------------------------------------ PIL's 8-bit path */

#define PREC 22 /* Pillow's PRECISION_BITS = 32 - 8 - 2 */

static int *fixed_coeffs(const double *kk, size_t n)
{
    int *k = malloc(sizeof(int) * n);
    for (size_t i = 0; i < n; i++)
        k[i] = kk[i] < 0 ? (int)(-0.5 + kk[i] * (1 << PREC)) : (int)(0.5 + kk[i] * (1 << PREC));
    return k;
}

static uint8_t clip8(int v) { return v >= (1 << PREC << 8) ? 255 : v <= 0 ? 0 : (uint8_t)(v >> PREC); }

/* ImagingResample with 8-bit fixed point: horizontal pass (if the width
 * changes), rounded to u8, vertical pass, rounded; then crop and the float32
 * ToTensor/Normalize arithmetic of torchvision. */
static float *pil_preprocess(const uint8_t *img, int w, int h, const vka_preprocess_params *p)
{
    int rw, rh, left, top, *bx, *by;
    double *kx, *ky;
    geometry(p, w, h, &rw, &rh, &left, &top);
    int kxs = pil_coeffs(w, rw, p->antialias, &bx, &kx), kys = pil_coeffs(h, rh, p->antialias, &by, &ky);
    int *ix = fixed_coeffs(kx, (size_t)rw * kxs), *iy = fixed_coeffs(ky, (size_t)rh * kys);
    uint8_t *tmp = malloc((size_t)rw * h * 3), *res = malloc((size_t)rw * rh * 3);
    for (int y = 0; y < h; y++)
        for (int xx = 0; xx < rw; xx++)
            for (int c = 0; c < 3; c++) {
                int ss = 1 << (PREC - 1);
                for (int i = 0; i < bx[2 * xx + 1]; i++)
                    ss += img[((size_t)y * w + bx[2 * xx] + i) * 3 + c] * ix[(size_t)xx * kxs + i];
                tmp[((size_t)y * rw + xx) * 3 + c] = rw == w ? img[((size_t)y * w + xx) * 3 + c] : clip8(ss);
            }
    for (int yy = 0; yy < rh; yy++)
        for (int x = 0; x < rw; x++)
            for (int c = 0; c < 3; c++) {
                int ss = 1 << (PREC - 1);
                for (int j = 0; j < by[2 * yy + 1]; j++)
                    ss += tmp[((size_t)(by[2 * yy] + j) * rw + x) * 3 + c] * iy[(size_t)yy * kys + j];
                res[((size_t)yy * rw + x) * 3 + c] = rh == h ? tmp[((size_t)yy * rw + x) * 3 + c] : clip8(ss);
            }
    int c2 = p->crop;
    float *out = malloc(sizeof(float) * 3 * (size_t)c2 * c2);
    for (int c = 0; c < 3; c++)
        for (int oy = 0; oy < c2; oy++)
            for (int ox = 0; ox < c2; ox++) {
                float x = (float)res[((size_t)(oy + top) * rw + ox + left) * 3 + c] / 255.0f;
                out[((size_t)c * c2 + oy) * c2 + ox] = (x - p->mean[c]) / p->std[c];
            }
    free(bx), free(by), free(kx), free(ky), free(ix), free(iy), free(tmp), free(res);
    return out;
}

/* ------------------------------------------------------------ device runs */

/* Runs vka_preprocess on img (through a view at `offset` bytes into a larger
 * buffer when offset > 0) into a poisoned output; returns the output or NULL. */
static float *gpu_preprocess(vka_context *ctx, const uint8_t *img, int w, int h, const vka_preprocess_params *p,
                             int offset)
{
    size_t n = (size_t)w * h * 3;
    int64_t pshape[1] = {(int64_t)n + offset}, shape[3] = {h, w, 3}, oshape[4] = {1, 3, p->crop, p->crop};
    vka_tensor *parent = NULL, *rgb;
    if (offset) {
        parent = vka_tensor_create(ctx, VKA_U8, 1, pshape);
        uint8_t *buf = calloc(1, n + offset);
        memcpy(buf + offset, img, n);
        vka_tensor_upload(parent, buf, n + offset);
        free(buf);
        rgb = vka_tensor_view(parent, offset, 3, shape);
    } else {
        rgb = vka_tensor_create(ctx, VKA_U8, 3, shape);
        vka_tensor_upload(rgb, img, n);
    }
    vka_tensor *out = vkt_tensor(ctx, VKA_F32, 4, oshape, NULL);
    vkt_poison(out);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_preprocess(cmd, rgb, p, out);
    float *y = NULL;
    if (s)
        vkt_check(0, "vka_preprocess %dx%d: %s: %s", w, h, vka_status_str(s), vka_context_last_error(ctx));
    else {
        vkt_run(cmd);
        y = vkt_download(out);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(out);
    vka_tensor_destroy(rgb);
    vka_tensor_destroy(parent);
    return y;
}

static void random_case(vka_context *ctx, int w, int h, vka_preprocess_params p, int offset)
{
    uint8_t *img = malloc((size_t)w * h * 3);
    /* half the image noise (worst case for the filter), half smooth gradients */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                img[((size_t)y * w + x) * 3 + c] =
                    x < w / 2 ? (uint8_t)(vkt_rand_u32() & 255) : (uint8_t)((x * 7 + y * 3 + c * 50) & 255);
    float *got = gpu_preprocess(ctx, img, w, h, &p, offset);
    double *ref = ref_preprocess(img, w, h, &p);
    int rw, rh, l, t;
    geometry(&p, w, h, &rw, &rh, &l, &t);
    if (got) {
        char what[160];
        snprintf(what, sizeof what, "%dx%d %s resize %d crop %d (resized %dx%d, crop at %d,%d)%s%s", w, h,
                 p.mode == VKA_RESIZE_SQUARE ? "square" : "short-crop", p.resize, p.crop, rw, rh, l, t,
                 p.antialias ? "" : " no antialias", offset ? " via view" : "");
        vkt_compare(what, got, ref, (size_t)3 * p.crop * p.crop, 1e-5);
    }
    free(got);
    free(ref);
    free(img);
}

/* Reads an image's golden pixel_values and compares the PIL emulation (exact)
 * and the device (bounded, measured). */
static void golden_case(vka_context *ctx, const char *image, const char *golden)
{
    const char *ip = vkt_asset(image);
    if (!ip)
        return;
    vka_image *img = vka_image_load(ip);
    const char *gp = vkt_asset(golden);
    if (!gp) {
        vka_image_free(img);
        return;
    }
    vka_safetensors *st = vka_safetensors_open(gp);
    const vka_st_tensor *pv = st ? vka_safetensors_find(st, "pixel_values") : NULL;
    if (!img || !pv || pv->dtype != VKA_ST_F32 || pv->bytes != sizeof(float) * 3 * 224 * 224) {
        vkt_check(0, "%s: cannot read image or pixel_values: %s", golden, vka_last_error());
        vka_image_free(img);
        vka_safetensors_close(st);
        return;
    }
    const float *gold = pv->data;
    size_t n = 3 * 224 * 224;
    vka_preprocess_params p = vka_preprocess_default_params();

    float *pil = pil_preprocess(img->rgb, img->width, img->height, &p);
    double emax = 0;
    for (size_t i = 0; i < n; i++)
        emax = fmax(emax, fabs((double)pil[i] - gold[i]));
    vkt_check(emax == 0, "%s: CPU emulation of PIL's 8-bit path vs golden pixel_values: max abs %.3g (want 0)",
              image, emax);

    float *got = gpu_preprocess(ctx, img->rgb, img->width, img->height, &p, 0);
    if (got) {
        double gmax = 0, gsum = 0;
        int finite = 1;
        for (size_t i = 0; i < n; i++) {
            double d = fabs((double)got[i] - gold[i]);
            finite &= isfinite(got[i]) != 0;
            gmax = fmax(gmax, d);
            gsum += d;
        }
        /* PIL rounds to 8 bits twice: up to about 1/255 between the passes
         * (spread by the second) plus 0.5/255 at the end, over std ~0.225.
         * The final rounding alone averages 0.25 u8 levels = 0.0044 normalized;
         * measured 0.16-0.31 levels mean, 1.0 level max (Mesa 22.3 lavapipe). */
        vkt_check(finite && gmax < 0.05 && gsum / n < 0.008,
                  "%s %dx%d: device vs golden pixel_values (PIL 8-bit): max abs %.4f (< 0.05), mean abs %.5f "
                  "(< 0.008) normalized units = %.2f / %.3f u8 levels",
                  image, img->width, img->height, gmax, gsum / n, gmax * 0.225 * 255, gsum / n * 0.225 * 255);
    }
    free(got);
    free(pil);
    vka_image_free(img);
    vka_safetensors_close(st);
}

static void error_cases(vka_context *ctx)
{
    int64_t s3[3] = {10, 12, 3}, s4[3] = {10, 12, 4}, o[4] = {1, 3, 8, 8}, o2[4] = {1, 3, 9, 8};
    vka_tensor *rgb = vka_tensor_create(ctx, VKA_U8, 3, s3), *rgbf = vka_tensor_create(ctx, VKA_F32, 3, s3);
    vka_tensor *rgb4 = vka_tensor_create(ctx, VKA_U8, 3, s4);
    vka_tensor *out = vka_tensor_create(ctx, VKA_F32, 4, o), *bad = vka_tensor_create(ctx, VKA_F32, 4, o2);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_preprocess_params p = vka_preprocess_default_params();
    p.resize = 9;
    p.crop = 8;
    vkt_expect_error("f32 rgb refused", vka_preprocess(cmd, rgbf, &p, out), VKA_ERR_SHAPE, "expected u8 [H, W, 3]");
    vkt_expect_error("4 channels refused", vka_preprocess(cmd, rgb4, &p, out), VKA_ERR_SHAPE, "[10, 12, 4]");
    vkt_expect_error("output not [1,3,crop,crop]", vka_preprocess(cmd, rgb, &p, bad), VKA_ERR_SHAPE,
                     "expected f32 [1, 3, 8, 8]");
    p.resize = 7;
    vkt_expect_error("resize < crop", vka_preprocess(cmd, rgb, &p, out), VKA_ERR_INVALID_ARG, "resize >= crop");
    p.resize = 9;
    p.std[1] = 0;
    vkt_expect_error("std 0", vka_preprocess(cmd, rgb, &p, out), VKA_ERR_INVALID_ARG, "std[1]");
    p.std[1] = 1;
    p.mode = (vka_resize_mode)7;
    vkt_expect_error("bad mode", vka_preprocess(cmd, rgb, &p, out), VKA_ERR_INVALID_ARG, "mode 7");
    vka_cmd_end(cmd);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(rgb), vka_tensor_destroy(rgbf), vka_tensor_destroy(rgb4);
    vka_tensor_destroy(out), vka_tensor_destroy(bad);
}

/* ------------------------------------------------------------ YUYV -> RGB */

/* float64 BT.601 limited range from its definition (Kr = 0.299, Kb = 0.114;
 * Y scaled by 255/219, U and V by 255/224), rounded half up, clamped. */
static void ref_yuyv_rgb(const uint8_t *yuyv, int w, int h, uint8_t *rgb)
{
    const double kr = 0.299, kb = 0.114, kg = 1 - kr - kb, c = 255.0 / 224.0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *p = yuyv + ((size_t)y * w + (x & ~1)) * 2;
            double Y = 255.0 / 219.0 * ((x & 1 ? p[2] : p[0]) - 16.0), U = p[1] - 128.0, V = p[3] - 128.0;
            double v[3] = {Y + 2 * (1 - kr) * c * V,
                           Y - 2 * (1 - kb) * kb / kg * c * U - 2 * (1 - kr) * kr / kg * c * V,
                           Y + 2 * (1 - kb) * c * U};
            for (int k = 0; k < 3; k++) {
                double r = floor(v[k] + 0.5);
                rgb[((size_t)y * w + x) * 3 + k] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
            }
        }
}

/* Runs vka_yuyv_to_rgb with both tensors as views at odd byte offsets into
 * parents filled with a guard byte, the output poisoned with `poison`. Returns
 * the output (caller frees) and checks the guard bytes around it. */
static uint8_t *gpu_yuyv_rgb(vka_context *ctx, const uint8_t *yuyv, int w, int h, uint8_t poison, int *guard_ok)
{
    size_t nin = (size_t)w * h * 2, nout = (size_t)w * h * 3, pad = 7;
    int64_t pin[1] = {(int64_t)(nin + 2 * pad)}, pout[1] = {(int64_t)(nout + 2 * pad)};
    int64_t sin[2] = {h, 2 * w}, sout[3] = {h, w, 3};
    vka_tensor *in_parent = vka_tensor_create(ctx, VKA_U8, 1, pin);
    vka_tensor *out_parent = vka_tensor_create(ctx, VKA_U8, 1, pout);
    uint8_t *buf = malloc(nout + 2 * pad);
    memset(buf, 0xa5, nin + 2 * pad);
    memcpy(buf + pad, yuyv, nin);
    vka_tensor_upload(in_parent, buf, nin + 2 * pad);
    memset(buf, 0xa5, nout + 2 * pad);
    memset(buf + pad, poison, nout);
    vka_tensor_upload(out_parent, buf, nout + 2 * pad);
    vka_tensor *in = vka_tensor_view(in_parent, pad, 2, sin), *out = vka_tensor_view(out_parent, pad, 3, sout);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_yuyv_to_rgb(cmd, in, out);
    uint8_t *got = NULL;
    *guard_ok = 0;
    if (s) {
        vkt_check(0, "vka_yuyv_to_rgb %dx%d: %s: %s", w, h, vka_status_str(s), vka_context_last_error(ctx));
        vka_cmd_end(cmd);
    } else {
        vkt_run(cmd);
        vka_tensor_download(out_parent, buf, nout + 2 * pad);
        got = malloc(nout);
        memcpy(got, buf + pad, nout);
        *guard_ok = 1;
        for (size_t i = 0; i < pad; i++)
            *guard_ok &= buf[i] == 0xa5 && buf[pad + nout + i] == 0xa5;
    }
    free(buf);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(in), vka_tensor_destroy(out), vka_tensor_destroy(in_parent), vka_tensor_destroy(out_parent);
    return got;
}

static void yuyv_case(vka_context *ctx, int w, int h)
{
    size_t nin = (size_t)w * h * 2, nout = (size_t)w * h * 3;
    uint8_t *yuyv = malloc(nin), *ref = malloc(nout);
    for (size_t i = 0; i < nin; i++) /* every byte value: out-of-range YUV exercises the clamps */
        yuyv[i] = (uint8_t)vkt_rand_u32();
    ref_yuyv_rgb(yuyv, w, h, ref);
    /* two runs with opposite poisons: a byte left unwritten shows in one of them */
    int g0, g1;
    uint8_t *a = gpu_yuyv_rgb(ctx, yuyv, w, h, 0x00, &g0), *b = gpu_yuyv_rgb(ctx, yuyv, w, h, 0xff, &g1);
    if (a && b) {
        size_t off = 0, first = 0;
        int maxd = 0;
        for (size_t i = 0; i < nout; i++) {
            int d = abs((int)a[i] - ref[i]), e = abs((int)b[i] - ref[i]);
            d = d > e ? d : e;
            if (d && !off++)
                first = i;
            maxd = d > maxd ? d : maxd;
        }
        /* fp32 arithmetic can only disagree with float64 where the value sits
         * within ~1e-4 of a rounding half: rare, and then by one level */
        vkt_check(maxd <= 1 && off * 1000 <= nout && g0 && g1,
                  "yuyv->rgb %dx%d (views at byte 7, poisons 0x00/0xff): max abs %d (<= 1), %zu of %zu bytes off by "
                  "one, guard bytes intact",
                  w, h, maxd, off, nout);
        if (off)
            printf("     first off-by-one at byte %zu: got %d/%d, ref %d\n", first, a[first], b[first], ref[first]);
        if (!g0 || !g1)
            printf("     bytes around the output view were written\n");
    }
    free(a), free(b), free(yuyv), free(ref);
}

/* Anchors of the limited range: black, white, grey, and the saturated primaries. */
static void yuyv_known(vka_context *ctx)
{
    static const uint8_t in[] = {16, 128, 16, 128,  235, 128, 235, 128,  126, 128, 126, 128,
                                 81, 90, 81, 240,   145, 54, 145, 34,   41, 240, 41, 110};
    static const uint8_t want[] = {0, 0, 0, 0, 0, 0,  255, 255, 255, 255, 255, 255,  128, 128, 128, 128, 128, 128,
                                   255, 0, 0, 255, 0, 0,  0, 255, 0, 0, 255, 0,  0, 0, 255, 0, 0, 255};
    int g;
    uint8_t *got = gpu_yuyv_rgb(ctx, in, 12, 1, 0x33, &g);
    if (!got)
        return;
    int maxd = 0;
    for (int i = 0; i < 36; i++)
        maxd = abs((int)got[i] - want[i]) > maxd ? abs((int)got[i] - want[i]) : maxd;
    /* the textbook codes of the primaries are themselves rounded: within 1 */
    vkt_check(maxd <= 1 && !memcmp(got, want, 18), "yuyv->rgb anchors: black (16,128,128), white (235) and "
              "grey (126 -> 128) exact, BT.601 red/green/blue codes -> primaries within 1 (max %d)", maxd);
    free(got);
}

static void yuyv_errors(vka_context *ctx)
{
    int64_t odd[2] = {5, 6}, good[2] = {5, 8}, r[3] = {5, 4, 3}, r_bad[3] = {5, 3, 3}, one[1] = {40};
    vka_tensor *yodd = vka_tensor_create(ctx, VKA_U8, 2, odd), *y = vka_tensor_create(ctx, VKA_U8, 2, good);
    vka_tensor *yf = vka_tensor_create(ctx, VKA_F32, 2, good), *y1 = vka_tensor_create(ctx, VKA_U8, 1, one);
    vka_tensor *rgb = vka_tensor_create(ctx, VKA_U8, 3, r), *rgbb = vka_tensor_create(ctx, VKA_U8, 3, r_bad);
    vka_tensor *rgbf = vka_tensor_create(ctx, VKA_F32, 3, r);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vkt_expect_error("yuyv odd width (6 bytes = 3 pixels) refused", vka_yuyv_to_rgb(cmd, yodd, rgb), VKA_ERR_SHAPE,
                     "not an even width");
    vkt_expect_error("yuyv f32 refused", vka_yuyv_to_rgb(cmd, yf, rgb), VKA_ERR_SHAPE, "expected u8 [H, W*2]");
    vkt_expect_error("yuyv rank 1 refused", vka_yuyv_to_rgb(cmd, y1, rgb), VKA_ERR_SHAPE, "[40]");
    vkt_expect_error("rgb of the wrong width refused", vka_yuyv_to_rgb(cmd, y, rgbb), VKA_ERR_SHAPE,
                     "expected u8 [5, 4, 3]");
    vkt_expect_error("rgb f32 refused", vka_yuyv_to_rgb(cmd, y, rgbf), VKA_ERR_SHAPE, "f32 [5, 4, 3]");
    vkt_expect_error("NULL rgb refused", vka_yuyv_to_rgb(cmd, y, NULL), VKA_ERR_INVALID_ARG, "rgb is NULL");
    vka_cmd_end(cmd);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(yodd), vka_tensor_destroy(y), vka_tensor_destroy(yf), vka_tensor_destroy(y1);
    vka_tensor_destroy(rgb), vka_tensor_destroy(rgbb), vka_tensor_destroy(rgbf);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);

    vka_preprocess_params d = vka_preprocess_default_params();
    vkt_check(d.mode == VKA_RESIZE_SHORT_CROP && d.resize == 256 && d.crop == 224 && d.antialias == 1 &&
                  d.mean[0] == 0.485f && d.mean[1] == 0.456f && d.mean[2] == 0.406f && d.std[0] == 0.229f &&
                  d.std[1] == 0.224f && d.std[2] == 0.225f,
              "default params: short-crop 256/224, ImageNet mean/std, antialias");

    random_case(ctx, 641, 479, d, 0);   /* downscale 1.87x, landscape */
    random_case(ctx, 97, 203, d, 0);    /* upscale, portrait */
    random_case(ctx, 224, 224, d, 0);   /* upscale 224 -> 256, as the golden fish and kitten */
    random_case(ctx, 1283, 1031, d, 0); /* downscale ~4x: 9-tap footprints */
    random_case(ctx, 256, 300, d, 5);   /* width unchanged; a u8 view at an odd byte offset */
    vka_preprocess_params q = d;
    q.resize = 101;
    q.crop = 64;
    random_case(ctx, 300, 200, q, 0); /* 151x101: offsets 43.5 -> 44 and 18.5 -> 18 (half to even) */
    q.antialias = 0;
    random_case(ctx, 641, 479, q, 0); /* downscale without the widened filter */
    vka_preprocess_params sq = {.mode = VKA_RESIZE_SQUARE, .crop = 320, .mean = {0, 0, 0}, .std = {1, 1, 1},
                                .antialias = 1};
    random_case(ctx, 641, 479, sq, 0); /* DETR-style: 2x and 1.5x down, /255 only */
    sq.crop = 416;
    random_case(ctx, 97, 203, sq, 0); /* square upscale */
    sq.crop = 33;
    random_case(ctx, 33, 33, sq, 3); /* identity size: taps land on pixels */

    error_cases(ctx);

    yuyv_known(ctx);
    yuyv_case(ctx, 2, 1);
    yuyv_case(ctx, 6, 3);
    yuyv_case(ctx, 98, 37);
    yuyv_case(ctx, 642, 481); /* a webcam frame, 2 pixels wider, 1 row taller */
    yuyv_case(ctx, 1282, 15);
    yuyv_errors(ctx);

    golden_case(ctx, "images/ort_fish.png", "golden/deit_tiny_fish.safetensors");
    golden_case(ctx, "images/ort_kitten_224.png", "golden/deit_tiny_kitten.safetensors");
    golden_case(ctx, "images/coco_000000039769.png", "golden/deit_tiny_cats.safetensors");
    return vkt_finish();
}
