/* SPDX-License-Identifier: MIT */
/* test_conv2d.c — vka_conv2d / vka_conv2d_ex against a float64 CPU reference:
 * 1x1, 2x2, 3x3, 5x5 and 7x7 kernels, strides, asymmetric pads, dilation,
 * groups 1/2/4, depthwise, odd sizes, bias and every activation, f32 and f16
 * storage, with every kernel variant forced (VKATTN_CONV_VARIANT: tex with
 * OIHW and packed weights and both x load paths, shared, dw, gemm, direct,
 * few with the weights' host copy compiled in, checked to run where it applies) and
 * every epilogue (per-channel scale/shift, residual before or after the
 * activation); vka_fold_batchnorm against convolution followed by
 * BatchNormalization; then the error paths.
 * Prints GPU times of DEIMv2-like shapes (information only). */
#include "common.h"

typedef struct ccase {
    int64_t n, c, h, w, o, kh, kw;
    int64_t sh, sw, pt, pl, pb, pr, dh, dw, groups;
    int bias;
    vka_act act;
} ccase;

static double act_ref(double x, vka_act a)
{
    switch (a) {
    case VKA_ACT_RELU: return x > 0 ? x : 0;
    case VKA_ACT_GELU_ERF: return 0.5 * x * (1 + erf(x / sqrt(2.0)));
    case VKA_ACT_GELU_TANH: return 0.5 * x * (1 + tanh(sqrt(2 / 3.141592653589793) * (x + 0.044715 * x * x * x)));
    case VKA_ACT_SILU: return x / (1 + exp(-x));
    case VKA_ACT_SIGMOID: return 1 / (1 + exp(-x));
    default: return x;
    }
}

static int64_t out_size(int64_t in, int64_t pa, int64_t pb, int64_t k, int64_t d, int64_t s)
{
    return (in + pa + pb - d * (k - 1) - 1) / s + 1;
}

/* y [N, O, OH, OW] = conv(x, w) + bias, without activation */
static void conv_ref(const ccase *g, const float *x, const float *w, const float *b, double *y, int64_t oh, int64_t ow)
{
    int64_t cg = g->c / g->groups, og = g->o / g->groups;
    for (int64_t n = 0; n < g->n; n++)
        for (int64_t o = 0; o < g->o; o++) {
            int64_t gi = o / og;
            for (int64_t oy = 0; oy < oh; oy++)
                for (int64_t ox = 0; ox < ow; ox++) {
                    double acc = b ? b[o] : 0;
                    for (int64_t ci = 0; ci < cg; ci++)
                        for (int64_t ky = 0; ky < g->kh; ky++) {
                            int64_t iy = oy * g->sh + ky * g->dh - g->pt;
                            if (iy < 0 || iy >= g->h)
                                continue;
                            for (int64_t kx = 0; kx < g->kw; kx++) {
                                int64_t ix = ox * g->sw + kx * g->dw - g->pl;
                                if (ix < 0 || ix >= g->w)
                                    continue;
                                acc += (double)x[((n * g->c + gi * cg + ci) * g->h + iy) * g->w + ix] *
                                       w[((o * cg + ci) * g->kh + ky) * g->kw + kx];
                            }
                        }
                    y[((n * g->o + o) * oh + oy) * ow + ox] = acc;
                }
        }
}

static vka_conv_params params_of(const ccase *g)
{
    vka_conv_params p = vka_conv_default_params();
    p.stride[0] = g->sh, p.stride[1] = g->sw;
    p.pad[0] = g->pt, p.pad[1] = g->pl, p.pad[2] = g->pb, p.pad[3] = g->pr;
    p.dilation[0] = g->dh, p.dilation[1] = g->dw;
    p.groups = g->groups;
    p.act = g->act;
    return p;
}

/* The epilogue beyond bias and activation, and the weight layout. */
typedef struct cepi {
    int scale, shift, res, res_pre, packed;
    int64_t yoff, roff; /* y and the residual as views at these element offsets (the texel kernel's
                           vector stores and residual loads need multiples of 4) */
} cepi;

/* Does the few kernel take O output channels of a reduction of k (as
 * few_chunk in op_conv2d.c: chunks of d channels dividing O, at most 4 of
 * them, d·k <= 1024, in passes of a divisor of d up to 8, at most 8 passes)? */
static int few_applies(int64_t o, int64_t k)
{
    for (int64_t d = o < 64 ? o : 64; d >= 1 && d * 4 >= o; d--) {
        int64_t tm = 8;
        while (tm > 1 && (d % tm || d / tm > 8))
            tm--;
        if (o % d == 0 && d * k <= 2048 && d % tm == 0 && d / tm <= 8) /* 2048: lavapipe has shaderInt64 */
            return 1;
    }
    return 0;
}

/* Returns the GPU time of the dispatch in ms (timestamps on). */
static double run_case_ex(vka_context *ctx, vka_dtype dt, const ccase *g, int check, const cepi *ep)
{
    cepi none = {0};
    if (!ep)
        ep = &none;
    int64_t oh = out_size(g->h, g->pt, g->pb, g->kh, g->dh, g->sh), ow = out_size(g->w, g->pl, g->pr, g->kw, g->dw, g->sw);
    int64_t sx[4] = {g->n, g->c, g->h, g->w}, sw[4] = {g->o, g->c / g->groups, g->kh, g->kw}, sy[4] = {g->n, g->o, oh, ow};
    size_t nx = (size_t)(sx[0] * sx[1] * sx[2] * sx[3]), nw = (size_t)(sw[0] * sw[1] * sw[2] * sw[3]);
    size_t ny = (size_t)(sy[0] * sy[1] * sy[2] * sy[3]);
    float fan = (float)(sw[1] * sw[2] * sw[3]);
    float *hx = vkt_randn(nx, 1.0f), *hw = vkt_randn(nw, 1.0f / sqrtf(fan)), *hb = vkt_randn((size_t)g->o, 0.5f);
    float *hs = vkt_randn((size_t)g->o, 1.0f), *ht = vkt_randn((size_t)g->o, 1.0f), *hr = vkt_randn(ny, 1.0f);
    if (dt == VKA_F16)
        vkt_round_f16(hx, nx), vkt_round_f16(hw, nw), vkt_round_f16(hb, (size_t)g->o), vkt_round_f16(hs, (size_t)g->o),
            vkt_round_f16(ht, (size_t)g->o), vkt_round_f16(hr, ny);
    int64_t cg = g->c / g->groups, cg4 = (cg + 3) / 4 * 4, sp[4] = {g->o, g->kh, g->kw, cg4};
    float *hp = malloc(sizeof *hp * (size_t)(g->o * g->kh * g->kw * cg4));
    vka_conv_pack_weights(hw, g->o, cg, g->kh, g->kw, hp);
    vka_tensor *x = vkt_tensor(ctx, dt, 4, sx, hx), *w = ep->packed ? vkt_tensor(ctx, dt, 4, sp, hp) : vkt_tensor(ctx, dt, 4, sw, hw);
    vka_tensor *ts = ep->scale ? vkt_tensor(ctx, dt, 1, &g->o, hs) : NULL, *tt = ep->shift ? vkt_tensor(ctx, dt, 1, &g->o, ht) : NULL;
    vka_tensor *rbase = NULL, *ybase = NULL;
    vka_tensor *tr = !ep->res ? NULL : ep->roff ? vkt_tensor_at(ctx, dt, 4, sy, ep->roff, hr, &rbase) : vkt_tensor(ctx, dt, 4, sy, hr);
    vka_tensor *b = g->bias ? vkt_tensor(ctx, dt, 1, &g->o, hb) : NULL;
    vka_tensor *y = ep->yoff ? vkt_tensor_at(ctx, dt, 4, sy, ep->yoff, NULL, &ybase) : vkt_tensor(ctx, dt, 4, sy, NULL);
    vkt_poison(y);
    vka_conv_params p = params_of(g);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_enable_timestamps(cmd, 1);
    vka_cmd_begin(cmd);
    char what[256];
    snprintf(what, sizeof what, "%s x[%lld,%lld,%lld,%lld] w[%lld,%lld,%lld,%lld] s%lldx%lld pad %lld,%lld,%lld,%lld "
             "dil %lldx%lld groups %lld%s act %d%s%s%s%s y@%lld res@%lld", vka_dtype_str(dt), (long long)g->n, (long long)g->c, (long long)g->h,
             (long long)g->w, (long long)sw[0], (long long)sw[1], (long long)g->kh, (long long)g->kw, (long long)g->sh,
             (long long)g->sw, (long long)g->pt, (long long)g->pl, (long long)g->pb, (long long)g->pr, (long long)g->dh,
             (long long)g->dw, (long long)g->groups, g->bias ? " bias" : "", (int)g->act, ep->packed ? " packed-w" : "",
             ep->scale ? " scale" : "", ep->shift ? " shift" : "", ep->res ? (ep->res_pre ? " res-pre-act" : " res") : "",
             (long long)ep->yoff, (long long)ep->roff);
    double ms = 0;
    /* the few kernel compiles in the weights' host copy (vka_conv_epilogue.w_host) */
    const char *forced = getenv("VKATTN_CONV_VARIANT");
    int few = forced && !strcmp(forced, "few");
    vka_conv_epilogue e = {ts, tt, tr, ep->res_pre, ep->packed, few && !ep->packed ? hw : NULL};
    vka_status s = ep->scale || ep->shift || ep->res || ep->packed || e.w_host ? vka_conv2d_ex(cmd, x, w, b, &p, &e, y)
                                                                               : vka_conv2d(cmd, x, w, b, &p, y);
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        for (int i = 0; i < vka_cmd_dispatch_count(cmd); i++) {
            double t;
            if (!vka_cmd_timing(cmd, i, NULL, &t))
                ms += t;
        }
        if (check) {
            const char *kernel = NULL;
            vka_cmd_timing(cmd, 0, &kernel, NULL);
            /* where it applies (f32, groups 1, inputs of 4 outputs' row at most 40,
             * the output channels in at most 4 dispatches of at most 1024 weights and
             * passes of up to 8 channels), it ran */
            if (few && !ep->packed && dt == VKA_F32 && g->groups == 1 && 3 * g->sw + (g->kw - 1) * g->dw + 1 <= 40 &&
                few_applies(g->o, g->c * g->kh * g->kw))
                vkt_check(kernel && !strncmp(kernel, "conv2d_few_f32", 14), "%s: forced few ran %s", what,
                          kernel ? kernel : "?");
            /* a depthwise conv with dw forced ran the depthwise kernel */
            if (forced && !strcmp(forced, "dw") && g->groups == g->c && g->o == g->c && !ep->packed)
                vkt_check(kernel && !strncmp(kernel, "conv2d_dw_", 10), "%s: forced dw ran %s", what,
                          kernel ? kernel : "?");
            char full[400];
            snprintf(full, sizeof full, "%s [%s%s]", what, kernel ? kernel : "?",
                     vka_cmd_dispatch_count(cmd) > 1 ? " + passes" : "");
            float *got = vkt_download(y);
            double *ref = malloc(sizeof *ref * ny);
            conv_ref(g, hx, hw, g->bias ? hb : NULL, ref, oh, ow);
            for (size_t i = 0; i < ny; i++) {
                int64_t o = (int64_t)(i / (size_t)(oh * ow)) % g->o;
                double v = ref[i] + (ep->res && ep->res_pre ? hr[i] : 0);
                v = act_ref(v, g->act);
                if (ep->scale)
                    v *= hs[o];
                if (ep->shift)
                    v += ht[o];
                ref[i] = v + (ep->res && !ep->res_pre ? hr[i] : 0);
            }
            vkt_compare(full, got, ref, ny, dt == VKA_F32 ? 1e-5 : 5e-3);
            free(got), free(ref);
        }
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(w), vka_tensor_destroy(b), vka_tensor_destroy(y);
    vka_tensor_destroy(ts), vka_tensor_destroy(tt), vka_tensor_destroy(tr);
    vka_tensor_destroy(rbase), vka_tensor_destroy(ybase);
    free(hx), free(hw), free(hb), free(hs), free(ht), free(hr), free(hp);
    return ms;
}

static double run_case(vka_context *ctx, vka_dtype dt, const ccase *g, int check)
{
    return run_case_ex(ctx, dt, g, check, NULL);
}

static void run_all(vka_context *ctx, vka_dtype dt)
{
    const ccase cs[] = {
        /* n  c   h   w   o  kh kw sh sw pt pl pb pr dh dw  g  bias act */
        {1, 3, 17, 13, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, VKA_ACT_RELU},     /* stem-like, odd size */
        {2, 16, 13, 17, 24, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, VKA_ACT_NONE},    /* 1x1, batch 2 */
        {1, 24, 40, 40, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 0, VKA_ACT_NONE},    /* 40x40 stride 2, no bias */
        {1, 96, 13, 13, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 96, 1, VKA_ACT_NONE},   /* depthwise 3x3 */
        {1, 96, 17, 13, 96, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 96, 1, VKA_ACT_RELU},   /* depthwise 5x5 */
        {1, 24, 40, 40, 24, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, 24, 1, VKA_ACT_NONE},   /* depthwise 5x5 stride 2 */
        {1, 16, 19, 23, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, VKA_ACT_NONE},    /* groups 2 */
        {1, 16, 15, 15, 12, 3, 3, 1, 2, 0, 1, 2, 0, 1, 1, 4, 1, VKA_ACT_NONE},    /* groups 4, 3 out/group, asym pad */
        {1, 16, 21, 18, 16, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, 1, VKA_ACT_NONE},    /* dilation 2 */
        {1, 3, 13, 13, 5, 7, 7, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, VKA_ACT_NONE},      /* 7x7 valid, 5 outputs */
        {1, 16, 16, 16, 16, 2, 2, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, VKA_ACT_NONE},    /* HGNetv2 stem 2x2, pad end */
        {1, 256, 10, 10, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, VKA_ACT_NONE},   /* long reduction */
        {1, 5, 1, 1, 7, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, VKA_ACT_NONE},        /* 1x1 image */
        {2, 24, 8, 6, 40, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, VKA_ACT_SILU},      /* pointwise vec4 path, batch 2 */
        {1, 16, 12, 10, 24, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2, 1, VKA_ACT_NONE},    /* pointwise vec4, groups 2 */
        {1, 16, 12, 10, 24, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, VKA_ACT_NONE},    /* 1x1 stride 2: generic path */
        {1, 160, 9, 11, 144, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, VKA_ACT_RELU},   /* wide pointwise: GEMM route */
        {2, 128, 6, 6, 130, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0, VKA_ACT_GELU_ERF}, /* GEMM route, batch, no bias */
        {1, 128, 5, 7, 128, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, VKA_ACT_NONE},
        {1, 128, 5, 7, 128, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, VKA_ACT_SIGMOID},
        {1, 128, 5, 7, 128, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, VKA_ACT_SILU},
        {1, 128, 5, 7, 128, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, VKA_ACT_GELU_TANH},
        /* W and OW multiples of 4 (the texel kernel's 4-vector x loads), odd C and O */
        {1, 13, 12, 20, 19, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, VKA_ACT_RELU},    /* 3x3 s1 */
        {2, 7, 9, 16, 21, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, VKA_ACT_NONE},      /* 3x3 s2, batch 2 */
        {1, 10, 11, 12, 9, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, 1, VKA_ACT_NONE},     /* dilation 2 */
        {1, 9, 8, 12, 11, 3, 3, 1, 1, 0, 2, 2, 0, 1, 1, 1, 0, VKA_ACT_SILU},      /* asymmetric pad */
        {1, 12, 7, 8, 18, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, VKA_ACT_NONE},      /* groups 2 */
        {1, 5, 13, 24, 6, 5, 5, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, VKA_ACT_NONE},      /* 5x5 s2 */
        {1, 3, 33, 32, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, VKA_ACT_RELU},     /* stem, C = 3 */
        {1, 36, 4, 4, 20, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, VKA_ACT_NONE},      /* 1x1 */
        {1, 3, 12, 13, 4, 3, 3, 3, 3, 1, 0, 1, 2, 1, 1, 1, 1, VKA_ACT_NONE},      /* stride 3 */
        /* depthwise: rows wider than a workgroup, batch, dilation, odd kernels, rows not in blocks of 4 */
        {2, 8, 7, 75, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, 1, VKA_ACT_RELU},
        {1, 6, 10, 36, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 6, 1, VKA_ACT_NONE},
        {1, 5, 9, 14, 5, 7, 7, 2, 2, 3, 1, 2, 3, 1, 1, 5, 0, VKA_ACT_SILU},
        {1, 4, 6, 33, 4, 1, 5, 1, 1, 0, 2, 0, 2, 1, 1, 4, 1, VKA_ACT_NONE},
        {1, 4, 9, 8, 4, 3, 1, 1, 1, 1, 0, 1, 0, 1, 1, 4, 1, VKA_ACT_NONE},
        /* depthwise with rows of whole 4-vectors (the kernel's texel loads of x):
         * batch 2 over two row blocks, stride 2 with odd height, dilation 2, a
         * 7x7 (fewer rows per lane), pad left 4, rows of 4 outputs, a vertical
         * stride beyond the kernel's reach (rows no output reads), a 16x16 */
        {2, 12, 16, 24, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 12, 1, VKA_ACT_RELU},
        {1, 8, 21, 20, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 8, 1, VKA_ACT_NONE},
        {1, 6, 19, 16, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 6, 1, VKA_ACT_SILU},
        {1, 4, 9, 12, 4, 7, 7, 1, 1, 3, 3, 3, 3, 1, 1, 4, 0, VKA_ACT_NONE},
        {1, 4, 10, 16, 4, 3, 5, 1, 1, 1, 4, 1, 4, 1, 1, 4, 1, VKA_ACT_NONE},
        {1, 3, 7, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3, 1, VKA_ACT_NONE},
        {1, 5, 23, 8, 5, 2, 3, 4, 1, 0, 1, 0, 1, 1, 1, 5, 1, VKA_ACT_NONE},
        {1, 2, 20, 20, 2, 16, 16, 1, 1, 7, 8, 8, 7, 1, 1, 2, 1, VKA_ACT_NONE},
        /* 1071 weights, an odd count over 1024: conv2d_few's 64-bit constants, the last half empty */
        {1, 17, 12, 10, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, VKA_ACT_RELU},
    };
    for (size_t i = 0; i < sizeof cs / sizeof *cs; i++)
        run_case(ctx, dt, &cs[i], 1);
    for (int act = VKA_ACT_NONE; act <= VKA_ACT_SIGMOID; act++) {
        ccase g = {1, 8, 11, 9, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, (vka_act)act};
        run_case(ctx, dt, &g, 1);
    }
    /* every epilogue on a 3x3 (both x load paths of the texel kernel), a depthwise and a pointwise conv,
     * and a 3x3 whose 2304 weights the few kernel takes in 4 dispatches (batch 2) */
    const ccase ec[] = {
        {1, 13, 12, 20, 19, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, VKA_ACT_RELU},
        {2, 16, 9, 12, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, VKA_ACT_RELU},
        {1, 11, 9, 7, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, VKA_ACT_SILU},
        {1, 24, 9, 11, 24, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 24, 1, VKA_ACT_RELU},
        {2, 12, 10, 16, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 12, 1, VKA_ACT_RELU},
        {1, 20, 6, 10, 17, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, VKA_ACT_RELU},
    };
    const cepi eps[] = {
        {1, 0, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 0, 0}, {1, 1, 0, 0, 0, 0, 0}, {0, 0, 1, 0, 0, 0, 0}, {0, 0, 1, 1, 0, 0, 0}, {1, 1, 1, 0, 0, 0, 0},
        {1, 1, 1, 1, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof ec / sizeof *ec; i++)
        for (size_t j = 0; j < sizeof eps / sizeof *eps; j++)
            run_case_ex(ctx, dt, &ec[i], 1, &eps[j]);
    /* y and the residual at offsets: aligned (vector stores and loads), either one not */
    const cepi offs[] = {{1, 1, 1, 0, 0, 4, 8}, {0, 0, 1, 1, 0, 1, 0}, {0, 1, 1, 0, 0, 0, 3}, {1, 0, 0, 0, 0, 6, 0}};
    for (size_t i = 0; i < sizeof ec / sizeof *ec; i++)
        for (size_t j = 0; j < sizeof offs / sizeof *offs; j++)
            run_case_ex(ctx, dt, &ec[i], 1, &offs[j]);
    /* packed weights (the texel and shared kernels take them) */
    const char *v = getenv("VKATTN_CONV_VARIANT");
    if (!v || !strcmp(v, "tex") || !strcmp(v, "shared")) {
        cepi pk = {0, 0, 0, 0, 1, 0, 0}, pke = {1, 1, 1, 1, 1, 0, 0};
        for (size_t i = 0; i < sizeof cs / sizeof *cs; i++)
            if (cs[i].groups != cs[i].c || !v)
                run_case_ex(ctx, dt, &cs[i], 1, &pk);
        for (size_t i = 0; i < sizeof ec / sizeof *ec; i++)
            run_case_ex(ctx, dt, &ec[i], 1, &pke);
    }
}

/* Every variant forced (where it applies; elsewhere the rule's choice runs). */
static void run_variants(vka_context *ctx)
{
    const char *vars[] = {"tex", "shared", "dw", "gemm", "direct", "few"};
    const char *old = getenv("VKATTN_CONV_VARIANT");
    if (old) /* one variant asked for: run_all already ran it */
        return;
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        printf("-- VKATTN_CONV_VARIANT=%s\n", vars[i]);
        setenv("VKATTN_CONV_VARIANT", vars[i], 1);
        run_all(ctx, VKA_F32);
        if (!strcmp(vars[i], "tex")) {
            printf("-- VKATTN_CONV_VARIANT=tex, VKATTN_CONV_XVEC=1 (4-vector loads of x wherever rows allow)\n");
            setenv("VKATTN_CONV_XVEC", "1", 1);
            run_all(ctx, VKA_F32);
            printf("-- VKATTN_CONV_VARIANT=tex, VKATTN_CONV_XVEC=0 (element loads of x only)\n");
            setenv("VKATTN_CONV_XVEC", "0", 1);
            run_all(ctx, VKA_F32);
            unsetenv("VKATTN_CONV_XVEC");
        }
    }
    unsetenv("VKATTN_CONV_VARIANT");
}

/* BatchNormalization folded into the conv weights equals conv then BN. */
static void test_fold(void)
{
    ccase g = {1, 6, 9, 8, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1, VKA_ACT_NONE};
    int64_t per = (g.c / g.groups) * g.kh * g.kw, O = g.o;
    size_t nx = (size_t)(g.n * g.c * g.h * g.w), nw = (size_t)(O * per), ny = (size_t)(g.n * O * g.h * g.w);
    float *x = vkt_randn(nx, 1), *w = vkt_randn(nw, 0.3f), *b = vkt_randn((size_t)O, 1);
    float *scale = vkt_randn((size_t)O, 1), *bias = vkt_randn((size_t)O, 1), *mean = vkt_randn((size_t)O, 1);
    float *var = vkt_uniform((size_t)O, 0.1f, 3.0f), *wf = malloc(sizeof *wf * nw), *bf = malloc(sizeof *bf * O);
    double *ref = malloc(sizeof *ref * ny), *got = malloc(sizeof *got * ny);
    float eps = 1e-5f;
    for (int with_b = 0; with_b < 2; with_b++) {
        const float *bb = with_b ? b : NULL;
        vka_fold_batchnorm(w, bb, O, per, scale, bias, mean, var, eps, wf, bf);
        conv_ref(&g, x, w, bb, ref, g.h, g.w);
        for (size_t i = 0; i < ny; i++) {
            int64_t o = (int64_t)(i / (size_t)(g.h * g.w)) % O;
            ref[i] = (ref[i] - mean[o]) / sqrt((double)var[o] + eps) * scale[o] + bias[o];
        }
        conv_ref(&g, x, wf, bf, got, g.h, g.w);
        float *gf = malloc(sizeof *gf * ny);
        for (size_t i = 0; i < ny; i++)
            gf[i] = (float)got[i];
        vkt_compare(with_b ? "fold_batchnorm with conv bias" : "fold_batchnorm without conv bias", gf, ref, ny, 1e-6);
        free(gf);
    }
    /* in place (w_out == w, b_out == b) gives the same */
    float *w2 = malloc(sizeof *w2 * nw), *b2 = malloc(sizeof *b2 * O);
    memcpy(w2, w, sizeof *w2 * nw), memcpy(b2, b, sizeof *b2 * O);
    vka_fold_batchnorm(w, b, O, per, scale, bias, mean, var, eps, wf, bf);
    vka_fold_batchnorm(w2, b2, O, per, scale, bias, mean, var, eps, w2, b2);
    vkt_check(!memcmp(w2, wf, sizeof *wf * nw) && !memcmp(b2, bf, sizeof *bf * O), "fold_batchnorm in place");
    free(x), free(w), free(b), free(scale), free(bias), free(mean), free(var), free(wf), free(bf), free(ref);
    free(got), free(w2), free(b2);
}

static void test_errors(vka_context *ctx)
{
    int64_t sx[4] = {1, 8, 10, 10}, sw[4] = {16, 8, 3, 3}, sy[4] = {1, 16, 10, 10}, sbad[4] = {1, 16, 9, 10};
    int64_t sw3[4] = {16, 3, 3, 3}, nb = 15;
    vka_tensor *x = vkt_tensor(ctx, VKA_F32, 4, sx, NULL), *w = vkt_tensor(ctx, VKA_F32, 4, sw, NULL);
    vka_tensor *y = vkt_tensor(ctx, VKA_F32, 4, sy, NULL), *ybad = vkt_tensor(ctx, VKA_F32, 4, sbad, NULL);
    vka_tensor *w3 = vkt_tensor(ctx, VKA_F32, 4, sw3, NULL), *b = vkt_tensor(ctx, VKA_F32, 1, &nb, NULL);
    vka_tensor *xh = vkt_tensor(ctx, VKA_F16, 4, sx, NULL);
    vka_tensor_set_name(ybad, "conv_out");
    vka_tensor_set_name(w3, "weights3");
    vka_conv_params p = vka_conv_default_params();
    p.pad[0] = p.pad[1] = p.pad[2] = p.pad[3] = 1;
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vkt_expect_error("conv2d y of the wrong size", vka_conv2d(cmd, x, w, NULL, &p, ybad), VKA_ERR_SHAPE,
                     "\"conv_out\" [1, 16, 9, 10] must be [1, 16, 10, 10]");
    vkt_expect_error("conv2d w channels", vka_conv2d(cmd, x, w3, NULL, &p, y), VKA_ERR_SHAPE, "\"weights3\"");
    vkt_expect_error("conv2d bias length", vka_conv2d(cmd, x, w, b, &p, y), VKA_ERR_SHAPE, "bias");
    vkt_expect_error("conv2d mixed dtypes", vka_conv2d(cmd, xh, w, NULL, &p, y), VKA_ERR_SHAPE, "f16");
    p.groups = 3;
    vkt_expect_error("conv2d groups not dividing C", vka_conv2d(cmd, x, w, NULL, &p, y), VKA_ERR_SHAPE, "groups 3");
    p.groups = 1, p.stride[0] = 0;
    vkt_expect_error("conv2d stride 0", vka_conv2d(cmd, x, w, NULL, &p, y), VKA_ERR_INVALID_ARG, "stride");
    p.stride[0] = 1;
    int64_t s11[4] = {16, 16, 1, 1};
    vka_tensor *w11 = vkt_tensor(ctx, VKA_F32, 4, s11, NULL);
    vka_conv_params p0 = vka_conv_default_params();
    vkt_expect_error("conv2d in place", vka_conv2d(cmd, y, w11, NULL, &p0, y), VKA_ERR_INVALID_ARG, "overlaps");
    vka_tensor_destroy(w11);
    vka_cmd_end(cmd);
    vka_cmd_destroy(cmd);
    /* the plan's weight layout: 0 or 1 for a conv, -1 for shapes that make none */
    int64_t xs[4] = {1, 8, 10, 10}, ws[4] = {16, 8, 3, 3}, wdw[4] = {8, 1, 3, 3}, wneg[4] = {16, 8, -3, 3};
    int r = vka_conv2d_plan_packed(ctx, VKA_F32, xs, ws, &p, 1);
    vkt_check(r == 0 || r == 1, "conv2d_plan_packed 3x3: %d (0 or 1)", r);
    vka_conv_params pd = p;
    pd.groups = 8;
    r = vka_conv2d_plan_packed(ctx, VKA_F32, xs, wdw, &pd, 1);
    vkt_check(r == 0, "conv2d_plan_packed depthwise: %d (0: the depthwise kernel takes OIHW)", r);
    r = vka_conv2d_plan_packed(ctx, VKA_F32, xs, wdw, &p, 1);
    vkt_check(r < 0, "conv2d_plan_packed w of 1 channel for x of 8, groups 1: %d (< 0)", r);
    r = vka_conv2d_plan_packed(ctx, VKA_F32, xs, wneg, &p, 0);
    vkt_check(r < 0, "conv2d_plan_packed negative kernel size: %d (< 0)", r);
    pd.groups = 0;
    r = vka_conv2d_plan_packed(ctx, VKA_F32, xs, wdw, &pd, 0);
    vkt_check(r < 0, "conv2d_plan_packed groups 0: %d (< 0)", r);
    r = vka_conv2d_plan_packed(ctx, VKA_I32, xs, ws, &p, 0);
    vkt_check(r < 0, "conv2d_plan_packed i32: %d (< 0)", r);
    vka_tensor_destroy(x), vka_tensor_destroy(w), vka_tensor_destroy(y), vka_tensor_destroy(ybad);
    vka_tensor_destroy(w3), vka_tensor_destroy(b), vka_tensor_destroy(xh);
}

/* DEIMv2-atto-like layers at 320x320 input; GPU time only, not checked. */
static void timings(vka_context *ctx, vka_dtype dt)
{
    const ccase cs[] = {
        {1, 3, 320, 320, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, VKA_ACT_RELU},
        {1, 16, 160, 160, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, VKA_ACT_RELU},
        {1, 32, 80, 80, 64, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, VKA_ACT_RELU},
        {1, 64, 80, 80, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 64, 1, VKA_ACT_NONE},
        {1, 128, 40, 40, 128, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, VKA_ACT_RELU},
        {1, 128, 40, 40, 128, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 128, 1, VKA_ACT_NONE},
        {1, 64, 40, 40, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, VKA_ACT_SILU},
        {1, 256, 20, 20, 256, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, VKA_ACT_RELU},
        {1, 256, 20, 20, 256, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 256, 1, VKA_ACT_NONE},
    };
    for (size_t i = 0; i < sizeof cs / sizeof *cs; i++) {
        const ccase *g = &cs[i];
        run_case(ctx, dt, g, 0); /* warm the pipeline */
        double ms = run_case(ctx, dt, g, 0);
        int64_t oh = out_size(g->h, g->pt, g->pb, g->kh, g->dh, g->sh), ow = out_size(g->w, g->pl, g->pr, g->kw, g->dw, g->sw);
        double flop = 2.0 * g->n * g->o * oh * ow * (g->c / g->groups) * g->kh * g->kw;
        printf("time %s conv [1,%lld,%lld,%lld] -> %lld, %lldx%lld s%lld g%lld: %.3f ms (%.2f GFLOP/s)\n",
               vka_dtype_str(dt), (long long)g->c, (long long)g->h, (long long)g->w, (long long)g->o, (long long)g->kh,
               (long long)g->kw, (long long)g->sh, (long long)g->groups, ms, ms > 0 ? flop / ms * 1e-6 : 0.0);
    }
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    run_all(ctx, VKA_F32);
    if (vka_context_device(ctx)->fp16_storage)
        run_all(ctx, VKA_F16);
    run_variants(ctx);
    test_fold();
    test_errors(ctx);
    if (getenv("VKATTN_CONV_TIMINGS"))
        timings(ctx, VKA_F32);
    return vkt_finish();
}
