/* SPDX-License-Identifier: MIT */
/* test_pool.c — vka_pool2d (max, average with and without the padding counted,
 * ceil_mode, dilation, asymmetric pads) and vka_global_avgpool against a
 * float64 reference that follows the ONNX reference implementation (windows in
 * padded coordinates; ceil-mode overhang never counts), f32 and f16; then the
 * error paths. */
#include "common.h"

static int64_t pool_out(int64_t in, int64_t pa, int64_t pb, int64_t k, int64_t d, int64_t s, int ceil_mode)
{
    int64_t num = in + pa + pb - (d * (k - 1) + 1);
    int64_t o = (int64_t)(ceil_mode ? ceil((double)num / s) : floor((double)num / s)) + 1;
    if (ceil_mode && (o - 1) * s >= in + pa) /* the last window must start inside x or its leading pad */
        o--;
    return o;
}

static void pool_ref(vka_pool_op op, const vka_pool_params *p, int64_t NC, int64_t H, int64_t W, int64_t OH,
                     int64_t OW, const float *x, double *y)
{
    for (int64_t nc = 0; nc < NC; nc++)
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++) {
                double acc = op == VKA_POOL_MAX ? -INFINITY : 0;
                int64_t n = 0, npad = 0;
                for (int64_t ky = 0; ky < p->kernel[0]; ky++)
                    for (int64_t kx = 0; kx < p->kernel[1]; kx++) {
                        int64_t iy = oy * p->stride[0] + ky * p->dilation[0] - p->pad[0];
                        int64_t ix = ox * p->stride[1] + kx * p->dilation[1] - p->pad[1];
                        if (iy >= H + p->pad[2] || ix >= W + p->pad[3])
                            continue; /* past the padding (ceil_mode) */
                        npad++;
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                            continue;
                        double v = x[(nc * H + iy) * W + ix];
                        acc = op == VKA_POOL_MAX ? fmax(acc, v) : acc + v;
                        n++;
                    }
                y[(nc * OH + oy) * OW + ox] =
                    op == VKA_POOL_MAX ? acc : acc / (double)(p->count_include_pad ? npad : n);
            }
}

typedef struct pcase {
    int64_t n, c, h, w;
    vka_pool_op op;
    vka_pool_params p;
} pcase;

static int64_t g_xoff; /* x's element offset in its buffer */
static int g_tile_ran;  /* cases that ran pool2d_tile */

static void run_case(vka_context *ctx, vka_dtype dt, const pcase *g)
{
    const vka_pool_params *p = &g->p;
    int64_t OH = pool_out(g->h, p->pad[0], p->pad[2], p->kernel[0], p->dilation[0], p->stride[0], p->ceil_mode);
    int64_t OW = pool_out(g->w, p->pad[1], p->pad[3], p->kernel[1], p->dilation[1], p->stride[1], p->ceil_mode);
    int64_t sx[4] = {g->n, g->c, g->h, g->w}, sy[4] = {g->n, g->c, OH, OW};
    size_t nx = (size_t)(g->n * g->c * g->h * g->w), ny = (size_t)(g->n * g->c * OH * OW);
    float *hx = vkt_randn(nx, 1.0f);
    if (dt == VKA_F16)
        vkt_round_f16(hx, nx);
    /* x as a view at g_xoff elements into a larger tensor (the texel view's offset) */
    vka_tensor *xbase;
    vka_tensor *x = vkt_tensor_at(ctx, dt, 4, sx, g_xoff, hx, &xbase), *y = vkt_tensor(ctx, dt, 4, sy, NULL);
    vkt_poison(y);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    char what[256];
    snprintf(what, sizeof what, "%s %s [%lld,%lld,%lld,%lld]@%lld k%lldx%lld s%lldx%lld pad %lld,%lld,%lld,%lld dil %lldx%lld%s%s",
             vka_dtype_str(dt), g->op == VKA_POOL_MAX ? "maxpool" : "avgpool", (long long)g->n, (long long)g->c,
             (long long)g->h, (long long)g->w, (long long)g_xoff, (long long)p->kernel[0], (long long)p->kernel[1], (long long)p->stride[0],
             (long long)p->stride[1], (long long)p->pad[0], (long long)p->pad[1], (long long)p->pad[2],
             (long long)p->pad[3], (long long)p->dilation[0], (long long)p->dilation[1], p->ceil_mode ? " ceil" : "",
             p->count_include_pad ? " include_pad" : "");
    vka_status s = vka_pool2d(cmd, g->op, x, p, y);
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        const char *kernel = NULL;
        vka_cmd_timing(cmd, 0, &kernel, NULL);
        int tile = kernel && !strncmp(kernel, "pool2d_tile_", 12);
        g_tile_ran += tile;
        /* the tile kernel takes windows up to 16x16 with strides and
         * dilations up to 4, and never runs when the row kernel is forced */
        const char *env = getenv("VKATTN_POOL_TILE");
        int small = p->kernel[0] <= 16 && p->kernel[1] <= 16 && p->stride[0] <= 4 && p->stride[1] <= 4 &&
                    p->dilation[0] <= 4 && p->dilation[1] <= 4;
        if ((env && env[0] == '0') || !small)
            vkt_check(!tile, "%s: ran %s", what, kernel ? kernel : "?");
        float *got = vkt_download(y);
        double *ref = malloc(sizeof *ref * ny);
        pool_ref(g->op, p, g->n * g->c, g->h, g->w, OH, OW, hx, ref);
        /* max is exact; averages differ by summation rounding only */
        vkt_compare(what, got, ref, ny, dt == VKA_F32 ? 1e-6 : 5e-3);
        free(got), free(ref);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(y), vka_tensor_destroy(xbase);
    free(hx);
}

static void run_global(vka_context *ctx, vka_dtype dt, int64_t n, int64_t c, int64_t h, int64_t w, int flat)
{
    int64_t sx[4] = {n, c, h, w}, sy[4] = {n, c, 1, 1};
    size_t nx = (size_t)(n * c * h * w), ny = (size_t)(n * c);
    float *hx = vkt_randn(nx, 1.0f);
    for (size_t i = 0; i < nx; i++)
        hx[i] += 0.5f; /* a non-zero mean so the relative error means something */
    if (dt == VKA_F16)
        vkt_round_f16(hx, nx);
    vka_tensor *x = vkt_tensor(ctx, dt, 4, sx, hx), *y = vkt_tensor(ctx, dt, flat ? 2 : 4, sy, NULL);
    vkt_poison(y);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    char what[128];
    snprintf(what, sizeof what, "%s global_avgpool [%lld,%lld,%lld,%lld] -> %s", vka_dtype_str(dt), (long long)n,
             (long long)c, (long long)h, (long long)w, flat ? "[N, C]" : "[N, C, 1, 1]");
    vka_status s = vka_global_avgpool(cmd, x, y);
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        float *got = vkt_download(y);
        double *ref = calloc(ny, sizeof *ref);
        for (size_t i = 0; i < ny; i++) {
            for (int64_t k = 0; k < h * w; k++)
                ref[i] += hx[i * (size_t)(h * w) + (size_t)k];
            ref[i] /= (double)(h * w);
        }
        vkt_compare(what, got, ref, ny, dt == VKA_F32 ? 1e-5 : 5e-3);
        free(got), free(ref);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(y);
    free(hx);
}

static vka_pool_params pp(int64_t k0, int64_t k1, int64_t s0, int64_t s1, int64_t pt, int64_t pl, int64_t pb,
                          int64_t pr, int64_t d, int ceil_mode, int include_pad)
{
    vka_pool_params p = {{k0, k1}, {s0, s1}, {pt, pl, pb, pr}, {d, d}, ceil_mode, include_pad};
    return p;
}

static void run_all(vka_context *ctx, vka_dtype dt)
{
    const pcase cs[] = {
        {1, 16, 17, 13, VKA_POOL_MAX, pp(3, 3, 2, 2, 1, 1, 1, 1, 1, 0, 0)},   /* ResNet stem */
        {1, 16, 40, 40, VKA_POOL_MAX, pp(2, 2, 1, 1, 0, 0, 0, 0, 1, 1, 0)},   /* HGNetv2 stem, ceil */
        {2, 3, 13, 17, VKA_POOL_MAX, pp(3, 2, 2, 3, 0, 1, 1, 0, 1, 1, 0)},    /* ceil, asymmetric */
        {1, 5, 17, 17, VKA_POOL_MAX, pp(3, 3, 1, 1, 2, 2, 2, 2, 2, 0, 0)},    /* dilation 2 */
        {1, 16, 13, 13, VKA_POOL_AVG, pp(3, 3, 2, 2, 1, 1, 1, 1, 1, 0, 0)},
        {1, 16, 13, 13, VKA_POOL_AVG, pp(3, 3, 2, 2, 1, 1, 1, 1, 1, 0, 1)},
        {1, 24, 40, 40, VKA_POOL_AVG, pp(2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 0)},   /* DEIMv2 downsample */
        {1, 7, 14, 11, VKA_POOL_AVG, pp(3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1)},    /* ceil with include_pad */
        {1, 7, 14, 11, VKA_POOL_AVG, pp(3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0)},
        {1, 3, 17, 15, VKA_POOL_AVG, pp(4, 3, 3, 2, 2, 0, 1, 1, 1, 1, 1)},
        /* rows longer than a workgroup's 64 outputs */
        {1, 4, 9, 150, VKA_POOL_MAX, pp(3, 3, 1, 1, 1, 1, 1, 1, 1, 0, 0)},
        {2, 3, 5, 261, VKA_POOL_AVG, pp(2, 3, 2, 2, 0, 1, 1, 0, 1, 1, 0)},
        /* pool2d_tile: rows of whole 4-vectors in and out (x's texels with
         * each phase of the left pad), planes of several lanes' tiles, batch 2 */
        {2, 5, 24, 32, VKA_POOL_MAX, pp(2, 2, 1, 1, 0, 0, 1, 1, 1, 1, 0)},
        {1, 6, 21, 36, VKA_POOL_MAX, pp(3, 3, 1, 1, 1, 1, 1, 1, 1, 0, 0)},
        {1, 6, 21, 36, VKA_POOL_AVG, pp(3, 3, 1, 1, 1, 1, 1, 1, 1, 0, 1)},
        {1, 3, 20, 40, VKA_POOL_AVG, pp(5, 5, 1, 1, 2, 2, 2, 2, 1, 0, 0)},
        {1, 3, 20, 40, VKA_POOL_MAX, pp(4, 4, 1, 1, 3, 3, 0, 0, 1, 0, 0)},
        {1, 4, 16, 16, VKA_POOL_AVG, pp(2, 2, 2, 2, 0, 0, 0, 0, 1, 0, 0)},
        /* strides 3 and 4 (input rows no window reads), dilation 3, a 7x7
         * and a 9x11 window (fewer rows per lane), one plane of 1x1 */
        {1, 3, 29, 31, VKA_POOL_MAX, pp(2, 3, 3, 4, 0, 1, 1, 2, 1, 1, 0)},
        {1, 2, 30, 28, VKA_POOL_AVG, pp(3, 3, 2, 2, 3, 3, 3, 3, 3, 1, 1)},
        {1, 2, 23, 23, VKA_POOL_MAX, pp(7, 7, 1, 1, 3, 3, 3, 3, 1, 0, 0)},
        {1, 2, 23, 26, VKA_POOL_AVG, pp(9, 11, 2, 1, 4, 5, 4, 5, 1, 1, 0)},
        {1, 1, 1, 1, VKA_POOL_AVG, pp(1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0)},
        /* past pool2d_tile's limits: a stride of 5, a 17-wide window */
        {1, 3, 16, 21, VKA_POOL_MAX, pp(3, 3, 5, 5, 1, 1, 1, 1, 1, 1, 0)},
        {1, 2, 5, 40, VKA_POOL_AVG, pp(1, 17, 1, 1, 0, 8, 0, 8, 1, 0, 1)},
    };
    for (size_t i = 0; i < sizeof cs / sizeof *cs; i++)
        run_case(ctx, dt, &cs[i]);
    g_xoff = 5; /* x not at the start of its buffer (element texels only) */
    for (size_t i = 0; i < sizeof cs / sizeof *cs; i += 3)
        run_case(ctx, dt, &cs[i]);
    g_xoff = 8; /* ... and at a whole 4-vector */
    for (size_t i = 1; i < sizeof cs / sizeof *cs; i += 3)
        run_case(ctx, dt, &cs[i]);
    g_xoff = 0;
    run_global(ctx, dt, 1, 96, 13, 17, 0);
    run_global(ctx, dt, 2, 16, 40, 40, 1);
    run_global(ctx, dt, 1, 5, 1, 1, 0);
    run_global(ctx, dt, 1, 3, 160, 160, 0); /* rows longer than one invocation's loop budget */
}

static void test_errors(vka_context *ctx)
{
    int64_t sx[4] = {1, 4, 10, 10}, sy[4] = {1, 4, 5, 5}, sbad[4] = {1, 4, 6, 5}, sg[4] = {1, 5, 1, 1};
    vka_tensor *x = vkt_tensor(ctx, VKA_F32, 4, sx, NULL), *y = vkt_tensor(ctx, VKA_F32, 4, sy, NULL);
    vka_tensor *ybad = vkt_tensor(ctx, VKA_F32, 4, sbad, NULL), *g = vkt_tensor(ctx, VKA_F32, 4, sg, NULL);
    vka_tensor_set_name(ybad, "pool_out");
    vka_tensor_set_name(g, "gap_out");
    vka_pool_params p = pp(2, 2, 2, 2, 0, 0, 0, 0, 1, 0, 0);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vkt_expect_error("pool2d y wrong size", vka_pool2d(cmd, VKA_POOL_MAX, x, &p, ybad), VKA_ERR_SHAPE,
                     "\"pool_out\" [1, 4, 6, 5] must be [1, 4, 5, 5]");
    p.ceil_mode = 1;
    vkt_expect_error("pool2d y wrong size (ceil)", vka_pool2d(cmd, VKA_POOL_AVG, x, &p, ybad), VKA_ERR_SHAPE,
                     "pool_out");
    p.stride[1] = 0;
    vkt_expect_error("pool2d stride 0", vka_pool2d(cmd, VKA_POOL_MAX, x, &p, y), VKA_ERR_INVALID_ARG, "stride");
    vkt_expect_error("pool2d unknown op", vka_pool2d(cmd, (vka_pool_op)7, x, &p, y), VKA_ERR_INVALID_ARG, "op 7");
    vkt_expect_error("global_avgpool channels", vka_global_avgpool(cmd, x, g), VKA_ERR_SHAPE, "\"gap_out\"");
    vkt_expect_error("pool2d in place", vka_pool2d(cmd, VKA_POOL_MAX, x, NULL, x), VKA_ERR_SHAPE, "must be");
    vka_cmd_end(cmd);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(y), vka_tensor_destroy(ybad), vka_tensor_destroy(g);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    run_all(ctx, VKA_F32);
    vkt_check(g_tile_ran >= 20, "pool2d_tile ran in %d cases", g_tile_ran);
    if (vka_context_device(ctx)->fp16_storage)
        run_all(ctx, VKA_F16);
    printf("-- VKATTN_POOL_TILE=0 (the row kernel)\n");
    setenv("VKATTN_POOL_TILE", "0", 1);
    run_all(ctx, VKA_F32);
    unsetenv("VKATTN_POOL_TILE");
    printf("-- VKATTN_POOL_TEXEL=0 (x from a storage buffer)\n");
    setenv("VKATTN_POOL_TEXEL", "0", 1);
    run_all(ctx, VKA_F32);
    unsetenv("VKATTN_POOL_TEXEL");
    test_errors(ctx);
    return vkt_finish();
}
