/* SPDX-License-Identifier: MIT */
/* test_graph.c — graphs built with the C builder API against float64 CPU
 * references: a decomposed LayerNorm (fused into one layernorm, and not),
 * batched and broadcast matmul, convolution through im2col + GEMM, GEMM
 * epilogue fusion (bias + GELU + residual), and activation buffer reuse.
 * Each later fusion is run fused and unfused against its reference, and the
 * fused plan is checked to be what the pass makes of it (so the check fails
 * without the pass): decomposed RMSNorm, attention reading Q/K/V out of a
 * packed projection through strides, epilogues through reshapes, x·sigmoid(x),
 * elementwise chains (per-channel affine, box arithmetic on slices written
 * into a concat), slices and concats as views, constant Pads folded into the
 * convs and max pools that read them, and what --plan lists as absorbed. */
#include <stdbool.h>

#include "common.h"

static int plan_has(vka_graph *g, const char *op)
{
    int c = 0;
    for (int i = 0; i < vka_graph_plan_size(g); i++)
        c += !strcmp(vka_graph_plan_op(g, i), op);
    return c;
}

/* Builds with fusion on or off, feeds inputs in order, returns output 0 (caller frees). */
static float *run(vka_graph *g, int fuse, int nin, const float **in, const size_t *bytes, size_t out_n)
{
    vka_graph_build_params bp = vka_graph_default_build_params();
    bp.fuse = fuse;
    vka_status s = vka_graph_build(g, &bp);
    for (int i = 0; i < nin && !s; i++)
        s = vka_graph_set_input(g, vka_graph_value_name(g, vka_graph_input_at(g, i)), in[i], bytes[i]);
    if (!s)
        s = vka_graph_run(g);
    float *out = malloc(sizeof *out * out_n);
    for (size_t i = 0; i < out_n; i++)
        out[i] = NAN;
    if (!s)
        s = vka_graph_get_output(g, vka_graph_value_name(g, vka_graph_output_at(g, 0)), out, out_n * 4);
    if (s)
        vkt_check(0, "graph build/run: %s", vka_context_last_error(vkt_ctx));
    return out;
}

static void test_layernorm_decomposed(vka_context *ctx)
{
    const int64_t R = 21, C = 65;
    float *x = vkt_randn((size_t)(R * C), 2.0f), *ga = vkt_randn((size_t)C, 1.0f), *be = vkt_randn((size_t)C, 1.0f);
    for (int64_t i = 0; i < R * C; i++)
        x[i] += 3.0f; /* an offset, as real activations have */
    double *ref = malloc(sizeof *ref * (size_t)(R * C));
    const double eps = 1e-5;
    for (int64_t r = 0; r < R; r++) {
        double m = 0, v = 0;
        for (int64_t c = 0; c < C; c++)
            m += x[r * C + c];
        m /= C;
        for (int64_t c = 0; c < C; c++)
            v += (x[r * C + c] - m) * (x[r * C + c] - m);
        v /= C;
        for (int64_t c = 0; c < C; c++)
            ref[r * C + c] = (x[r * C + c] - m) / sqrt(v + eps) * ga[c] + be[c];
    }
    for (int fuse = 1; fuse >= 0; fuse--) {
        vka_graph *g = vka_graph_create(ctx);
        vka_val in = vka_graph_input(g, "x", VKA_F32, 3, (int64_t[]){3, 7, C});
        int64_t ax = -1;
        float two = 2.0f, e = (float)eps;
        vka_val mean = vka_graph_reduce(g, "mean", VKA_REDUCE_MEAN, in, 1, &ax, 1);
        vka_val d = vka_graph_binary(g, "sub", VKA_SUB, in, mean);
        vka_val p = vka_graph_binary(g, "pow", VKA_POW, d, vka_graph_const(g, "two", VKA_F32, 0, NULL, &two));
        vka_val var = vka_graph_reduce(g, "var", VKA_REDUCE_MEAN, p, 1, &ax, 1);
        vka_val ve = vka_graph_binary(g, "add_eps", VKA_ADD, var, vka_graph_const(g, "eps", VKA_F32, 0, NULL, &e));
        vka_val sd = vka_graph_unary(g, "sqrt", VKA_SQRT, ve);
        vka_val y = vka_graph_binary(g, "div", VKA_DIV, d, sd);
        y = vka_graph_binary(g, "mul", VKA_MUL, y, vka_graph_const(g, "gamma", VKA_F32, 1, &C, ga));
        y = vka_graph_binary(g, "add", VKA_ADD, y, vka_graph_const(g, "beta", VKA_F32, 1, &C, be));
        vka_graph_output(g, y, "y");
        size_t b = (size_t)(R * C) * 4;
        const float *ins[1] = {x};
        float *got = run(g, fuse, 1, ins, &b, (size_t)(R * C));
        char w[128];
        snprintf(w, sizeof w, "decomposed LayerNorm [3,7,%lld] %s", (long long)C, fuse ? "fused" : "unfused");
        vkt_compare(w, got, ref, (size_t)(R * C), 1e-5);
        if (fuse)
            vkt_check(plan_has(g, "layernorm") == 1 && plan_has(g, "reduce") == 0 && vka_graph_plan_size(g) == 1,
                      "fused plan is one layernorm (%d nodes)", vka_graph_plan_size(g));
        else
            vkt_check(plan_has(g, "reduce") == 2 && plan_has(g, "layernorm") == 0, "unfused plan keeps 2 reduces");
        free(got);
        vka_graph_destroy(g);
    }
    free(x), free(ga), free(be), free(ref);
}

static void ref_matmul(const float *a, const float *b, double *c, int64_t m, int64_t k, int64_t n)
{
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double s = 0;
            for (int64_t t = 0; t < k; t++)
                s += (double)a[i * k + t] * b[t * n + j];
            c[i * n + j] = s;
        }
}

static void test_matmul(vka_context *ctx)
{
    /* a [2, 3, 5, 7] x b [7, 9]: one B for every batch */
    {
        float *a = vkt_randn(2 * 3 * 5 * 7, 1), *b = vkt_randn(7 * 9, 1);
        double *ref = malloc(sizeof *ref * 2 * 3 * 5 * 9);
        ref_matmul(a, b, ref, 30, 7, 9);
        vka_graph *g = vka_graph_create(ctx);
        vka_val va = vka_graph_input(g, "a", VKA_F32, 4, (int64_t[]){2, 3, 5, 7});
        vka_val vb = vka_graph_const(g, "b", VKA_F32, 2, (int64_t[]){7, 9}, b);
        vka_graph_output(g, vka_graph_matmul(g, "mm", va, vb), "c");
        size_t by = 2 * 3 * 5 * 7 * 4;
        const float *ins[1] = {a};
        float *got = run(g, 1, 1, ins, &by, 270);
        vkt_compare("matmul [2,3,5,7] x [7,9]", got, ref, 270, 1e-5);
        free(got), free(a), free(b), free(ref);
        vka_graph_destroy(g);
    }
    /* a [4, 5, 6] x b [4, 6, 3]: batched; and a [5, 6] x b [4, 6, 3]: shared A */
    for (int shared = 0; shared < 2; shared++) {
        float *a = vkt_randn(4 * 5 * 6, 1), *b = vkt_randn(4 * 6 * 3, 1);
        double *ref = malloc(sizeof *ref * 4 * 5 * 3);
        for (int z = 0; z < 4; z++)
            ref_matmul(a + (shared ? 0 : z * 30), b + z * 18, ref + z * 15, 5, 6, 3);
        vka_graph *g = vka_graph_create(ctx);
        vka_val va = shared ? vka_graph_input(g, "a", VKA_F32, 2, (int64_t[]){5, 6})
                            : vka_graph_input(g, "a", VKA_F32, 3, (int64_t[]){4, 5, 6});
        vka_val vb = vka_graph_input(g, "b", VKA_F32, 3, (int64_t[]){4, 6, 3});
        vka_graph_output(g, vka_graph_matmul(g, "mm", va, vb), "c");
        size_t by[2] = {(size_t)(shared ? 30 : 120) * 4, 72 * 4};
        const float *ins[2] = {a, b};
        float *got = run(g, 1, 2, ins, by, 60);
        vkt_compare(shared ? "matmul [5,6] x [4,6,3] (shared A)" : "matmul [4,5,6] x [4,6,3]", got, ref, 60, 1e-5);
        free(got), free(a), free(b), free(ref);
        vka_graph_destroy(g);
    }
}

/* float64 reference: y[N, O, OH, OW] of a one-group conv (symmetric padding). */
static void ref_conv(const float *x, const float *w, const float *b, int64_t N, int64_t C, int64_t H, int64_t W,
                     int64_t O, int64_t KH, int64_t KW, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                     int64_t dw, double *ref)
{
    int64_t OH = (H + 2 * ph - dh * (KH - 1) - 1) / sh + 1, OW = (W + 2 * pw - dw * (KW - 1) - 1) / sw + 1;
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < O; o++)
            for (int64_t oy = 0; oy < OH; oy++)
                for (int64_t ox = 0; ox < OW; ox++) {
                    double s = b[o];
                    for (int64_t c = 0; c < C; c++)
                        for (int64_t ky = 0; ky < KH; ky++)
                            for (int64_t kx = 0; kx < KW; kx++) {
                                int64_t iy = oy * sh + ky * dh - ph, ix = ox * sw + kx * dw - pw;
                                if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                                    s += (double)x[((n * C + c) * H + iy) * W + ix] * w[((o * C + c) * KH + ky) * KW + kx];
                            }
                    ref[((n * O + o) * OH + oy) * OW + ox] = s;
                }
}

static void test_conv(vka_context *ctx)
{
    struct { int64_t n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw; } cs[] = {
        {2, 3, 11, 13, 5, 3, 3, 2, 2, 1, 1, 1, 1},  /* stride 2, pad 1 */
        {1, 3, 16, 16, 7, 4, 4, 4, 4, 0, 0, 1, 1},  /* ViT patch embedding */
        {1, 4, 9, 10, 3, 3, 2, 1, 1, 2, 0, 2, 1},   /* dilation, asymmetric kernel */
        {2, 3, 12, 20, 5, 4, 4, 4, 4, 0, 0, 1, 1},  /* patch embedding, batch 2, 3x5 patches: a GEMM */
        {1, 2, 8, 15, 6, 4, 5, 4, 5, 0, 0, 1, 1},   /* 4x5 patches of stride 4x5: a GEMM */
    };
    for (size_t t = 0; t < sizeof cs / sizeof cs[0]; t++) {
        int64_t N = cs[t].n, C = cs[t].c, H = cs[t].h, W = cs[t].w, O = cs[t].o, KH = cs[t].kh, KW = cs[t].kw;
        int64_t OH = (H + 2 * cs[t].ph - cs[t].dh * (KH - 1) - 1) / cs[t].sh + 1;
        int64_t OW = (W + 2 * cs[t].pw - cs[t].dw * (KW - 1) - 1) / cs[t].sw + 1;
        float *x = vkt_randn((size_t)(N * C * H * W), 1), *w = vkt_randn((size_t)(O * C * KH * KW), 1),
              *b = vkt_randn((size_t)O, 1);
        size_t on = (size_t)(N * O * OH * OW);
        double *ref = malloc(sizeof *ref * on);
        ref_conv(x, w, b, N, C, H, W, O, KH, KW, cs[t].sh, cs[t].sw, cs[t].ph, cs[t].pw, cs[t].dh, cs[t].dw, ref);
        vka_graph *g = vka_graph_create(ctx);
        vka_conv_params p = vka_conv_default_params();
        p.stride[0] = cs[t].sh, p.stride[1] = cs[t].sw;
        p.pad[0] = p.pad[2] = cs[t].ph, p.pad[1] = p.pad[3] = cs[t].pw;
        p.dilation[0] = cs[t].dh, p.dilation[1] = cs[t].dw;
        vka_val vx = vka_graph_input(g, "x", VKA_F32, 4, (int64_t[]){N, C, H, W});
        vka_val y = vka_graph_conv(g, "conv", vx, vka_graph_const(g, "w", VKA_F32, 4, (int64_t[]){O, C, KH, KW}, w),
                                   vka_graph_const(g, "b", VKA_F32, 1, &O, b), &p);
        vka_graph_output(g, y, "y");
        size_t by = (size_t)(N * C * H * W) * 4;
        const float *ins[1] = {x};
        float *got = run(g, 1, 1, ins, &by, on);
        char what[128];
        snprintf(what, sizeof what, "conv x[%lld,%lld,%lld,%lld] w[%lld,%lld,%lld,%lld] stride %lld pad %lld dil %lld",
                 (long long)N, (long long)C, (long long)H, (long long)W, (long long)O, (long long)C, (long long)KH,
                 (long long)KW, (long long)cs[t].sh, (long long)cs[t].ph, (long long)cs[t].dh);
        vkt_compare(what, got, ref, on, 1e-5);
        /* kernel = stride, no padding, >= 16 taps: a transpose and a GEMM, no conv kernel */
        bool patch = KH == cs[t].sh && KW == cs[t].sw && !cs[t].ph && !cs[t].pw && KH * KW >= 16, conv = false;
        for (int i = 0; i < vka_graph_plan_size(g); i++)
            conv |= !strncmp(vka_graph_plan_op(g, i), "conv", 4);
        vkt_check(conv != patch, "%s: %s", what, patch ? "patches through GEMM, no conv kernel" : "a conv kernel");
        free(got), free(x), free(w), free(b), free(ref);
        vka_graph_destroy(g);
    }
}

/* A constant Pad of H and W read by a 2x2 conv and a 2x2 max pool whose outputs
 * are concatenated (HGNetv2's stem), fused and unfused against float64 on the
 * padded tensor: folded into both (the plan has no pad) where the value is 0;
 * a value of 0.5 folds into a max pool alone (the padding then wins the max
 * over negative inputs) but not into a conv (it pads with zeros); a pad as
 * wide as the pool's window, and a ceil_mode pool whose last window would
 * start in the folded bottom pad (a pooled length that would change), keep
 * the Pad. Odd sizes, negative inputs. */
typedef struct {
    int64_t h, w, top, left, bottom, right, k, s;
    int ceil, conv;
    float value;
    int folds;
} pad_case;

static void test_pad_fold(vka_context *ctx)
{
    const pad_case cs[] = {
        {9, 10, 1, 0, 1, 1, 2, 1, 1, 1, 0.0f, 1},  /* conv + pool, pad value 0 */
        {9, 10, 1, 0, 1, 2, 2, 1, 1, 1, 0.0f, 0},  /* a pad as wide as the pool window: kept */
        {7, 6, 0, 1, 1, 1, 2, 1, 0, 0, 0.5f, 1},   /* pool alone, pad value 0.5 */
        {7, 6, 0, 1, 1, 1, 2, 1, 0, 1, 0.5f, 0},   /* conv + pool, pad value 0.5: kept */
        {4, 4, 0, 0, 2, 2, 3, 2, 1, 0, 0.0f, 0},   /* the ceil_mode length would change: kept */
    };
    const int64_t C = 3, O = 4, N = 1;
    for (size_t t = 0; t < sizeof cs / sizeof *cs; t++) {
        const pad_case *q = &cs[t];
        int64_t H = q->h, W = q->w, HP = H + q->top + q->bottom, WP = W + q->left + q->right;
        /* the pool's output length on the padded tensor (its own pads 0) */
        int64_t PL[2], in[2] = {HP, WP};
        for (int a = 0; a < 2; a++) {
            int64_t num = in[a] - q->k, o = (q->ceil ? (num + q->s - 1) / q->s : num / q->s) + 1;
            if (q->ceil && (o - 1) * q->s >= in[a])
                o--;
            PL[a] = o;
        }
        int64_t CH = HP - 1, CW = WP - 1; /* the 2x2 conv's output */
        float *x = vkt_randn((size_t)(N * C * H * W), 1), *w = vkt_randn((size_t)(O * C * 4), 1),
              *b = vkt_randn((size_t)O, 1);
        double *xp = malloc(sizeof *xp * (size_t)(C * HP * WP));
        for (int64_t c = 0; c < C; c++)
            for (int64_t i = 0; i < HP; i++)
                for (int64_t j = 0; j < WP; j++) {
                    int64_t iy = i - q->top, ix = j - q->left;
                    xp[(c * HP + i) * WP + j] =
                        iy >= 0 && iy < H && ix >= 0 && ix < W ? (double)x[(c * H + iy) * W + ix] : (double)q->value;
                }
        /* output: the pool's [C, PL0, PL1], then (with the conv) the conv's [O, CH, CW] when the shapes concat */
        size_t pn = (size_t)(C * PL[0] * PL[1]), cn = q->conv ? (size_t)(O * CH * CW) : 0, on = pn + cn;
        double *ref = malloc(sizeof *ref * on);
        for (int64_t c = 0; c < C; c++)
            for (int64_t i = 0; i < PL[0]; i++)
                for (int64_t j = 0; j < PL[1]; j++) {
                    double m = -INFINITY;
                    for (int64_t ky = 0; ky < q->k; ky++)
                        for (int64_t kx = 0; kx < q->k; kx++) {
                            int64_t iy = i * q->s + ky, ix = j * q->s + kx;
                            if (iy < HP && ix < WP && xp[(c * HP + iy) * WP + ix] > m)
                                m = xp[(c * HP + iy) * WP + ix];
                        }
                    ref[(c * PL[0] + i) * PL[1] + j] = m;
                }
        for (int64_t o = 0; o < O && q->conv; o++)
            for (int64_t i = 0; i < CH; i++)
                for (int64_t j = 0; j < CW; j++) {
                    double s = b[o];
                    for (int64_t c = 0; c < C; c++)
                        for (int64_t ky = 0; ky < 2; ky++)
                            for (int64_t kx = 0; kx < 2; kx++)
                                s += xp[(c * HP + i + ky) * WP + j + kx] * w[((o * C + c) * 2 + ky) * 2 + kx];
                    ref[pn + (size_t)((o * CH + i) * CW + j)] = s;
                }
        for (int fuse = 1; fuse >= 0; fuse--) {
            vka_graph *g = vka_graph_create(ctx);
            vka_val vx = vka_graph_input(g, "x", VKA_F32, 4, (int64_t[]){N, C, H, W});
            vka_val pd = vka_graph_pad(g, "pad", vx, (int64_t[]){0, 0, q->top, q->left},
                                       (int64_t[]){0, 0, q->bottom, q->right}, VKA_PAD_CONSTANT, q->value);
            vka_pool_params pp = vka_pool_default_params();
            pp.kernel[0] = pp.kernel[1] = q->k, pp.stride[0] = pp.stride[1] = q->s, pp.ceil_mode = q->ceil;
            vka_val y = vka_graph_pool(g, "pool", VKA_POOL_MAX, pd, &pp);
            if (q->conv) {
                vka_conv_params cp = vka_conv_default_params();
                vka_val vw = vka_graph_const(g, "w", VKA_F32, 4, (int64_t[]){O, C, 2, 2}, w);
                vka_val cv = vka_graph_conv(g, "conv", pd, vw, vka_graph_const(g, "b", VKA_F32, 1, &O, b), &cp);
                /* flattened, so that outputs of different sizes concatenate */
                vka_val fy = vka_graph_reshape(g, "fp", y, 2, (int64_t[]){1, (int64_t)pn});
                vka_val fc = vka_graph_reshape(g, "fc", cv, 2, (int64_t[]){1, (int64_t)cn});
                y = vka_graph_concat(g, "cat", 2, (vka_val[]){fy, fc}, 1);
            }
            vka_graph_output(g, y, "y");
            size_t by = (size_t)(N * C * H * W) * 4;
            const float *ins[1] = {x};
            float *got = run(g, fuse, 1, ins, &by, on);
            char what[160];
            snprintf(what, sizeof what,
                     "pad %lld,%lld,%lld,%lld value %g of x[1,3,%lld,%lld] into %s max pool k%lld s%lld%s, %s",
                     (long long)q->top, (long long)q->left, (long long)q->bottom, (long long)q->right, q->value,
                     (long long)H, (long long)W, q->conv ? "a 2x2 conv and a" : "a", (long long)q->k, (long long)q->s,
                     q->ceil ? " ceil" : "", fuse ? "fused" : "unfused");
            vkt_compare(what, got, ref, on, 1e-5);
            if (fuse)
                vkt_check(plan_has(g, "pad") == !q->folds, "%s: plan has %d pad (want %d)", what, plan_has(g, "pad"),
                          !q->folds);
            free(got);
            vka_graph_destroy(g);
        }
        free(x), free(w), free(b), free(xp), free(ref);
    }
}

/* A patch embedding's output flattened and transposed to tokens (ViT:
 * [N, O, OH, OW] -> [N, O, OH·OW] -> [N, OH·OW, O]) undoes the transpose back
 * to NCHW that the patch GEMM ends with: the plan keeps one transpose (the
 * im2col) and reads the tokens straight out of the GEMM. */
static void test_patch_tokens(vka_context *ctx)
{
    const int64_t N = 2, C = 3, H = 8, W = 12, O = 6, P = 4, OH = H / P, OW = W / P, L = OH * OW;
    float *x = vkt_randn((size_t)(N * C * H * W), 1), *w = vkt_randn((size_t)(O * C * P * P), 1),
          *b = vkt_randn((size_t)O, 1);
    size_t on = (size_t)(N * L * O);
    double *nchw = malloc(sizeof *nchw * on), *ref = malloc(sizeof *ref * on);
    ref_conv(x, w, b, N, C, H, W, O, P, P, P, P, 0, 0, 1, 1, nchw);
    for (int64_t n = 0; n < N; n++) /* [N, O, L] -> [N, L, O] */
        for (int64_t l = 0; l < L; l++)
            for (int64_t o = 0; o < O; o++)
                ref[(n * L + l) * O + o] = nchw[(n * O + o) * L + l];
    free(nchw);
    vka_graph *g = vka_graph_create(ctx);
    vka_conv_params p = vka_conv_default_params();
    p.stride[0] = p.stride[1] = P;
    vka_val vx = vka_graph_input(g, "x", VKA_F32, 4, (int64_t[]){N, C, H, W});
    vka_val y = vka_graph_conv(g, "patch", vx, vka_graph_const(g, "w", VKA_F32, 4, (int64_t[]){O, C, P, P}, w),
                               vka_graph_const(g, "b", VKA_F32, 1, &O, b), &p);
    y = vka_graph_reshape(g, "flat", y, 3, (int64_t[]){N, O, L});
    y = vka_graph_transpose(g, "tokens", y, (int[]){0, 2, 1});
    vka_graph_output(g, y, "y");
    size_t by = (size_t)(N * C * H * W) * 4;
    const float *ins[1] = {x};
    float *got = run(g, 1, 1, ins, &by, on);
    vkt_compare("patch embedding to tokens [2, 6, 6]", got, ref, on, 1e-5);
    int transposes = 0;
    for (int i = 0; i < vka_graph_plan_size(g); i++)
        transposes += !strcmp(vka_graph_plan_op(g, i), "transpose");
    vkt_check(transposes == 1, "patch embedding to tokens: %d transpose kernels (the im2col only)", transposes);
    free(got), free(x), free(w), free(b), free(ref);
    vka_graph_destroy(g);
}

static void test_epilogue(vka_context *ctx)
{
    const int64_t M = 37, K = 29, N = 43;
    float *x = vkt_randn((size_t)(M * K), 1), *w = vkt_randn((size_t)(K * N), 0.3f), *b = vkt_randn((size_t)N, 1),
          *r = vkt_randn((size_t)(M * N), 1);
    double *ref = malloc(sizeof *ref * (size_t)(M * N));
    ref_matmul(x, w, ref, M, K, N);
    for (int64_t i = 0; i < M * N; i++) {
        double v = ref[i] + b[i % N];
        ref[i] = 0.5 * v * (1 + erf(v / sqrt(2.0))) + r[i];
    }
    for (int fuse = 1; fuse >= 0; fuse--) {
        vka_graph *g = vka_graph_create(ctx);
        vka_val vx = vka_graph_input(g, "x", VKA_F32, 2, (int64_t[]){M, K});
        vka_val vr = vka_graph_input(g, "r", VKA_F32, 2, (int64_t[]){M, N});
        vka_val y = vka_graph_matmul(g, "fc", vx, vka_graph_const(g, "w", VKA_F32, 2, (int64_t[]){K, N}, w));
        y = vka_graph_binary(g, "bias", VKA_ADD, y, vka_graph_const(g, "b", VKA_F32, 1, &N, b));
        /* GELU as exporters write it: x * 0.5 * (1 + erf(x / sqrt 2)) */
        float sq2 = 1.41421354f, half = 0.5f, one = 1.0f;
        vka_val e = vka_graph_binary(g, "div", VKA_DIV, y, vka_graph_const(g, "sqrt2", VKA_F32, 0, NULL, &sq2));
        e = vka_graph_unary(g, "erf", VKA_ERF, e);
        e = vka_graph_binary(g, "add1", VKA_ADD, e, vka_graph_const(g, "one", VKA_F32, 0, NULL, &one));
        e = vka_graph_binary(g, "mulx", VKA_MUL, y, e);
        e = vka_graph_binary(g, "half", VKA_MUL, e, vka_graph_const(g, "0.5", VKA_F32, 0, NULL, &half));
        y = vka_graph_binary(g, "residual", VKA_ADD, e, vr);
        vka_graph_output(g, y, "y");
        size_t by[2] = {(size_t)(M * K) * 4, (size_t)(M * N) * 4};
        const float *ins[2] = {x, r};
        float *got = run(g, fuse, 2, ins, by, (size_t)(M * N));
        vkt_compare(fuse ? "matmul+bias+erf-GELU+residual fused" : "matmul+bias+erf-GELU+residual unfused", got, ref,
                    (size_t)(M * N), 1e-5);
        if (fuse)
            vkt_check(vka_graph_plan_size(g) == 1 && plan_has(g, "matmul") == 1,
                      "fused plan is one GEMM with its epilogue (%d nodes)", vka_graph_plan_size(g));
        else
            vkt_check(vka_graph_plan_size(g) == 8, "unfused plan keeps all 8 nodes (%d)", vka_graph_plan_size(g));
        free(got);
        vka_graph_destroy(g);
    }
    free(x), free(w), free(b), free(r), free(ref);
}

/* y[o, y, x] = b[o] + Σ x[c, y+ky-1, x+kx-1]·w[o, c, ky, kx]: a 3x3 conv with
 * padding 1, batch 1, in float64 (the reference of the conv tests below). */
static void ref_conv3x3(const float *x, const float *w, const float *b, int64_t C, int64_t H, int64_t W, int64_t O,
                        double *y)
{
    for (int64_t o = 0; o < O; o++)
        for (int64_t yy = 0; yy < H; yy++)
            for (int64_t xx = 0; xx < W; xx++) {
                double s = b[o];
                for (int64_t c = 0; c < C; c++)
                    for (int64_t ky = 0; ky < 3; ky++)
                        for (int64_t kx = 0; kx < 3; kx++) {
                            int64_t iy = yy + ky - 1, ix = xx + kx - 1;
                            if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                                s += (double)x[(c * H + iy) * W + ix] * w[((o * C + c) * 3 + ky) * 3 + kx];
                        }
                y[(o * H + yy) * W + xx] = s;
            }
}

/* Conv followed by a per-channel multiply and add (an exported BatchNormalization)
 * folds into the conv's weights and bias. */
static void test_conv_affine(vka_context *ctx)
{
    const int64_t N = 1, C = 3, H = 9, W = 11, O = 5;
    float *x = vkt_randn((size_t)(N * C * H * W), 1), *w = vkt_randn((size_t)(O * C * 9), 1),
          *b = vkt_randn((size_t)O, 1), *sc = vkt_uniform((size_t)O, 0.5f, 2.0f), *sh = vkt_randn((size_t)O, 1);
    size_t on = (size_t)(N * O * H * W);
    double *ref = malloc(sizeof *ref * on);
    ref_conv3x3(x, w, b, C, H, W, O, ref);
    for (size_t i = 0; i < on; i++)
        ref[i] = ref[i] * sc[i / (size_t)(H * W)] + sh[i / (size_t)(H * W)];
    for (int fuse = 1; fuse >= 0; fuse--) {
        vka_graph *g = vka_graph_create(ctx);
        vka_conv_params p = vka_conv_default_params();
        p.pad[0] = p.pad[1] = p.pad[2] = p.pad[3] = 1;
        vka_val vx = vka_graph_input(g, "x", VKA_F32, 4, (int64_t[]){N, C, H, W});
        vka_val y = vka_graph_conv(g, "conv", vx, vka_graph_const(g, "w", VKA_F32, 4, (int64_t[]){O, C, 3, 3}, w),
                                   vka_graph_const(g, "b", VKA_F32, 1, &O, b), &p);
        y = vka_graph_binary(g, "bn_scale", VKA_MUL, y, vka_graph_const(g, "s", VKA_F32, 3, (int64_t[]){O, 1, 1}, sc));
        y = vka_graph_binary(g, "bn_shift", VKA_ADD, y, vka_graph_const(g, "t", VKA_F32, 3, (int64_t[]){O, 1, 1}, sh));
        vka_graph_output(g, y, "y");
        size_t by = (size_t)(N * C * H * W) * 4;
        const float *ins[1] = {x};
        float *got = run(g, fuse, 1, ins, &by, on);
        vkt_compare(fuse ? "conv + per-channel scale/shift folded" : "conv + per-channel scale/shift unfolded", got,
                    ref, on, 1e-5);
        vkt_check(vka_graph_plan_size(g) == (fuse ? 1 : 3), "%s plan: %d nodes", fuse ? "folded" : "unfolded",
                  vka_graph_plan_size(g));
        free(got);
        vka_graph_destroy(g);
    }
    free(x), free(w), free(b), free(sc), free(sh), free(ref);
}

/* Conv epilogues: (a) conv -> ReLU -> Mul(scalar) -> Add(per-channel) -> Add(residual input)
 * (DEIMv2's conv + activation + learnable affine, then a block's shortcut) and
 * (b) conv -> Add(residual) -> ReLU (a ResNet block) each fuse into one conv
 * node; fused and unfused against float64. Odd sizes (C 5, O 7, 9x10). */
static void test_conv_epilogue(vka_context *ctx)
{
    const int64_t N = 1, C = 5, H = 9, W = 10, O = 7;
    size_t on = (size_t)(N * O * H * W);
    float *x = vkt_randn((size_t)(N * C * H * W), 1), *w = vkt_randn((size_t)(O * C * 9), 0.5f),
          *b = vkt_randn((size_t)O, 1), *sh = vkt_randn((size_t)O, 1), *r = vkt_randn(on, 1), sc = 1.7f;
    double *conv = malloc(sizeof *conv * on), *ref = malloc(sizeof *ref * on);
    ref_conv3x3(x, w, b, C, H, W, O, conv);
    for (int kind = 0; kind < 2; kind++) {
        for (size_t i = 0; i < on; i++) {
            int64_t o = (int64_t)(i / (size_t)(H * W));
            ref[i] = kind == 0 ? (conv[i] > 0 ? conv[i] : 0) * sc + sh[o] + r[i]
                               : (conv[i] + r[i] > 0 ? conv[i] + r[i] : 0);
        }
        for (int fuse = 1; fuse >= 0; fuse--) {
            vka_graph *g = vka_graph_create(ctx);
            vka_conv_params p = vka_conv_default_params();
            p.pad[0] = p.pad[1] = p.pad[2] = p.pad[3] = 1;
            vka_val vx = vka_graph_input(g, "x", VKA_F32, 4, (int64_t[]){N, C, H, W});
            vka_val vr = vka_graph_input(g, "r", VKA_F32, 4, (int64_t[]){N, O, H, W});
            vka_val y = vka_graph_conv(g, "conv", vx, vka_graph_const(g, "w", VKA_F32, 4, (int64_t[]){O, C, 3, 3}, w),
                                       vka_graph_const(g, "b", VKA_F32, 1, &O, b), &p);
            if (kind == 0) {
                y = vka_graph_unary(g, "relu", VKA_RELU, y);
                y = vka_graph_binary(g, "lab_scale", VKA_MUL, y, vka_graph_const(g, "s", VKA_F32, 1, (int64_t[]){1}, &sc));
                y = vka_graph_binary(g, "lab_shift", VKA_ADD, y,
                                     vka_graph_const(g, "t", VKA_F32, 4, (int64_t[]){1, O, 1, 1}, sh));
                y = vka_graph_binary(g, "shortcut", VKA_ADD, vr, y);
            } else {
                y = vka_graph_binary(g, "shortcut", VKA_ADD, y, vr);
                y = vka_graph_unary(g, "relu", VKA_RELU, y);
            }
            vka_graph_output(g, y, "y");
            size_t by[2] = {(size_t)(N * C * H * W) * 4, on * 4};
            const float *ins[2] = {x, r};
            float *got = run(g, fuse, 2, ins, by, on);
            char what[128];
            snprintf(what, sizeof what, "%s %s [%s]",
                     kind == 0 ? "conv+relu+scale+shift+residual" : "conv+residual+relu", fuse ? "fused" : "unfused",
                     vka_graph_plan_op(g, 0));
            vkt_compare(what, got, ref, on, 1e-5);
            int want = fuse ? 1 : (kind == 0 ? 5 : 3);
            vkt_check(vka_graph_plan_size(g) == want && !strncmp(vka_graph_plan_op(g, 0), "conv", 4),
                      "%s plan: %d nodes (want %d)", what, vka_graph_plan_size(g), want);
            free(got);
            vka_graph_destroy(g);
        }
    }
    free(x), free(w), free(b), free(sh), free(r), free(conv), free(ref);
}

/* Names the plan entry absorbed, comma separated, into buf. */
static const char *absorbed_list(vka_graph *g, int i, char *buf, size_t n)
{
    buf[0] = 0;
    const char *name;
    for (int j = 0; (name = vka_graph_plan_absorbed(g, i, j, NULL)); j++)
        snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", j ? "," : "", name);
    return buf;
}

/* y = x · 1/sqrt(mean(x²) + eps) · gamma as DEIMv2's decoder exports it
 * (div_form 0: Mul(x, Div(1, s)); 1: Div(x, s)) -> one rmsnorm. */
static void test_rmsnorm_decomposed(vka_context *ctx, int div_form)
{
    const int64_t R = 3 * 33, C = 67;
    float *x = vkt_randn((size_t)(R * C), 1.5f), *ga = vkt_uniform((size_t)C, 0.5f, 1.5f);
    double *ref = malloc(sizeof *ref * (size_t)(R * C));
    const float eps = 1e-6f;
    for (int64_t r = 0; r < R; r++) {
        double ms = 0;
        for (int64_t c = 0; c < C; c++)
            ms += (double)x[r * C + c] * x[r * C + c];
        for (int64_t c = 0; c < C; c++)
            ref[r * C + c] = x[r * C + c] / sqrt(ms / C + eps) * ga[c];
    }
    for (int fuse = 1; fuse >= 0; fuse--) {
        vka_graph *g = vka_graph_create(ctx);
        vka_val in = vka_graph_input(g, "x", VKA_F32, 3, (int64_t[]){3, 33, C});
        int64_t ax = -1;
        float two = 2.0f, one = 1.0f;
        vka_val p = vka_graph_binary(g, "pow", VKA_POW, in, vka_graph_const(g, "two", VKA_F32, 0, NULL, &two));
        vka_val m = vka_graph_reduce(g, "mean", VKA_REDUCE_MEAN, p, 1, &ax, 1);
        vka_val a = vka_graph_binary(g, "add_eps", VKA_ADD, m, vka_graph_const(g, "eps", VKA_F32, 0, NULL, &eps));
        vka_val sq = vka_graph_unary(g, "sqrt", VKA_SQRT, a);
        vka_val y;
        if (div_form) {
            y = vka_graph_binary(g, "div", VKA_DIV, in, sq);
        } else {
            vka_val r = vka_graph_binary(g, "recip", VKA_DIV, vka_graph_const(g, "one", VKA_F32, 0, NULL, &one), sq);
            y = vka_graph_binary(g, "mul", VKA_MUL, in, r);
        }
        y = vka_graph_binary(g, "scale", VKA_MUL, y, vka_graph_const(g, "gamma", VKA_F32, 1, &C, ga));
        vka_graph_output(g, y, "y");
        size_t b = (size_t)(R * C) * 4;
        const float *ins[1] = {x};
        float *got = run(g, fuse, 1, ins, &b, (size_t)(R * C));
        char w[128], ab[512];
        snprintf(w, sizeof w, "decomposed RMSNorm (%s) [3,33,%lld] %s", div_form ? "x / s" : "x * (1 / s)", (long long)C,
                 fuse ? "fused" : "unfused");
        vkt_compare(w, got, ref, (size_t)(R * C), 1e-5);
        if (fuse) {
            vkt_check(vka_graph_plan_size(g) == 1 && plan_has(g, "rmsnorm") == 1 && vka_graph_dispatch_count(g) == 1,
                      "fused plan is one rmsnorm (%d nodes, %d dispatches)", vka_graph_plan_size(g),
                      vka_graph_dispatch_count(g));
            absorbed_list(g, 0, ab, sizeof ab);
            vkt_check(strstr(ab, "pow") && strstr(ab, "mean") && strstr(ab, "sqrt") && strstr(ab, "add_eps"),
                      "--plan shows what the rmsnorm absorbed: %s", ab);
        } else {
            vkt_check(plan_has(g, "rmsnorm") == 0 && plan_has(g, "reduce") == 1, "unfused plan keeps the reduce");
        }
        free(got);
        vka_graph_destroy(g);
    }
    free(x), free(ga), free(ref);
}

/* DeiT's (torchvision's) attention block: qkv = x·W [N, 3·H·D] sliced into q,
 * k, v, each reshaped to [N, H, D] and transposed to [H, N, D] (k to [H, D, N]),
 * softmax(q/√D · kᵀ)·v transposed back to [N, H, D] and reshaped to [N, H·D].
 * Fused: the projection, one flash attention reading q/k/v out of qkv through
 * strides and writing straight into the [N, H·D] layout, nothing else. */
static void test_attention_packed(vka_context *ctx)
{
    const int64_t N = 37, H = 3, D = 16, E = H * D, K = 24;
    float *x = vkt_randn((size_t)(N * K), 1.0f), *w = vkt_randn((size_t)(K * 3 * E), 0.3f);
    /* float64 reference */
    double *qkv = calloc((size_t)(N * 3 * E), sizeof *qkv), *ref = calloc((size_t)(N * E), sizeof *ref);
    for (int64_t n = 0; n < N; n++)
        for (int64_t j = 0; j < 3 * E; j++)
            for (int64_t k = 0; k < K; k++)
                qkv[n * 3 * E + j] += (double)x[n * K + k] * w[k * 3 * E + j];
    double scale = 1.0 / sqrt((double)D), *p = malloc(sizeof *p * (size_t)N);
    for (int64_t h = 0; h < H; h++)
        for (int64_t i = 0; i < N; i++) {
            double mx = -INFINITY, sum = 0;
            for (int64_t j = 0; j < N; j++) {
                double sc = 0;
                for (int64_t d = 0; d < D; d++)
                    sc += qkv[i * 3 * E + h * D + d] * qkv[j * 3 * E + E + h * D + d];
                p[j] = sc * scale;
                mx = p[j] > mx ? p[j] : mx;
            }
            for (int64_t j = 0; j < N; j++)
                sum += (p[j] = exp(p[j] - mx));
            for (int64_t d = 0; d < D; d++) {
                double o = 0;
                for (int64_t j = 0; j < N; j++)
                    o += p[j] / sum * qkv[j * 3 * E + 2 * E + h * D + d];
                ref[i * E + h * D + d] = o;
            }
        }
    for (int fuse = 1; fuse >= 0; fuse--) {
        vka_graph *g = vka_graph_create(ctx);
        vka_val in = vka_graph_input(g, "x", VKA_F32, 2, (int64_t[]){N, K});
        vka_val pr = vka_graph_matmul(g, "qkv", in, vka_graph_const(g, "w", VKA_F32, 2, (int64_t[]){K, 3 * E}, w));
        vka_val part[3];
        for (int t = 0; t < 3; t++) {
            int64_t st = t * E, en = (t + 1) * E, ax = 1;
            char nm[32];
            snprintf(nm, sizeof nm, "slice%d", t);
            vka_val sl = vka_graph_slice(g, nm, pr, 1, &st, &en, &ax, NULL);
            vka_val rs = vka_graph_reshape(g, NULL, sl, 3, (int64_t[]){N, H, D});
            part[t] = vka_graph_transpose(g, NULL, rs, t == 1 ? (int[]){1, 2, 0} : (int[]){1, 0, 2});
        }
        float sd = (float)sqrt((double)D);
        vka_val q = vka_graph_binary(g, "qscale", VKA_DIV, part[0], vka_graph_const(g, "sd", VKA_F32, 0, NULL, &sd));
        vka_val sc = vka_graph_matmul(g, "qk", q, part[1]);
        vka_val pm = vka_graph_softmax(g, "softmax", sc, -1);
        vka_val o = vka_graph_matmul(g, "pv", pm, part[2]);
        vka_val ot = vka_graph_transpose(g, "out_t", o, (int[]){1, 0, 2});
        vka_graph_output(g, vka_graph_reshape(g, NULL, ot, 2, (int64_t[]){N, E}), "y");
        size_t b = (size_t)(N * K) * 4;
        const float *ins[1] = {x};
        float *got = run(g, fuse, 1, ins, &b, (size_t)(N * E));
        vkt_compare(fuse ? "attention on a packed QKV projection, fused" : "attention on a packed QKV projection, unfused",
                    got, ref, (size_t)(N * E), 1e-5);
        if (fuse) {
            char ab[1024];
            absorbed_list(g, 1, ab, sizeof ab);
            vkt_check(vka_graph_plan_size(g) == 2 && plan_has(g, "matmul") == 1 && plan_has(g, "flash_attention") == 1 &&
                          plan_has(g, "slice") == 0 && plan_has(g, "transpose") == 0,
                      "fused plan is the projection and one flash attention, no slice or transpose (%d nodes)",
                      vka_graph_plan_size(g));
            vkt_check(strstr(ab, "slice0") && strstr(ab, "slice2") && strstr(ab, "out_t") && strstr(ab, "softmax"),
                      "--plan shows the slices and transposes the attention absorbed: %s", ab);
        } else {
            vkt_check(plan_has(g, "slice") == 3 && plan_has(g, "transpose") == 4, "unfused plan keeps 3 slices, 4 transposes");
        }
        free(got);
        vka_graph_destroy(g);
    }
    free(x), free(w), free(qkv), free(ref), free(p);
}

/* Gemm [N, C] -> Reshape [1, N, C] -> Add(residual [1, N, C]): the add becomes
 * the GEMM's residual epilogue through the reshape; x·sigmoid(x) after a
 * matmul becomes its SiLU epilogue. */
static void test_epilogue_reshape_silu(vka_context *ctx)
{
    const int64_t N = 29, K = 19, C = 23;
    float *x = vkt_randn((size_t)(N * K), 1.0f), *w = vkt_randn((size_t)(K * C), 0.5f), *w2 = vkt_randn((size_t)(C * C), 0.3f);
    float *res = vkt_randn((size_t)(N * C), 1.0f);
    double *h = malloc(sizeof *h * (size_t)(N * C)), *ref = malloc(sizeof *ref * (size_t)(N * C));
    ref_matmul(x, w, h, N, K, C);
    for (int64_t i = 0; i < N * C; i++)
        h[i] = h[i] / (1.0 + exp(-h[i])) ; /* silu */
    for (int64_t i = 0; i < N; i++)
        for (int64_t j = 0; j < C; j++) {
            double s = 0;
            for (int64_t k = 0; k < C; k++)
                s += h[i * C + k] * w2[k * C + j];
            ref[i * C + j] = s + res[i * C + j];
        }
    for (int fuse = 1; fuse >= 0; fuse--) {
        vka_graph *g = vka_graph_create(ctx);
        vka_val in = vka_graph_input(g, "x", VKA_F32, 2, (int64_t[]){N, K});
        vka_val rin = vka_graph_input(g, "res", VKA_F32, 3, (int64_t[]){1, N, C});
        vka_val m = vka_graph_matmul(g, "mm1", in, vka_graph_const(g, "w", VKA_F32, 2, (int64_t[]){K, C}, w));
        vka_val sg = vka_graph_unary(g, "sigmoid", VKA_SIGMOID, m);
        vka_val a = vka_graph_binary(g, "swish", VKA_MUL, m, sg);
        vka_val m2 = vka_graph_gemm(g, "gemm2", a, vka_graph_const(g, "w2", VKA_F32, 2, (int64_t[]){C, C}, w2), VKA_NONE,
                                    1.0f, 0.0f, 0, 0);
        vka_val r = vka_graph_reshape(g, "unsqueeze", m2, 3, (int64_t[]){1, N, C});
        vka_graph_output(g, vka_graph_binary(g, "residual", VKA_ADD, r, rin), "y");
        size_t b[2] = {(size_t)(N * K) * 4, (size_t)(N * C) * 4};
        const float *ins[2] = {x, res};
        float *got = run(g, fuse, 2, ins, b, (size_t)(N * C));
        vkt_compare(fuse ? "matmul + x*sigmoid(x), gemm + reshape + residual, fused"
                         : "matmul + x*sigmoid(x), gemm + reshape + residual, unfused",
                    got, ref, (size_t)(N * C), 1e-5);
        if (fuse)
            vkt_check(vka_graph_plan_size(g) == 2 && plan_has(g, "binary") == 0 && plan_has(g, "unary") == 0,
                      "fused plan is two GEMMs with SiLU and residual epilogues (%d nodes)", vka_graph_plan_size(g));
        else
            vkt_check(vka_graph_plan_size(g) == 5, "unfused plan keeps 5 kernel nodes (%d)", vka_graph_plan_size(g));
        free(got);
        vka_graph_destroy(g);
    }
    free(x), free(w), free(w2), free(res), free(h), free(ref);
}

/* HGNetv2's learnable affine block after a conv: Relu -> Mul(scale [C,1,1]) ->
 * Add(bias [C,1,1]) on [1, C, H, W] -> one elementwise program. */
static void test_eltwise_affine(vka_context *ctx)
{
    const int64_t C = 11, H = 13, W = 7, n = C * H * W;
    float *x = vkt_randn((size_t)n, 1.0f), *sc = vkt_uniform((size_t)C, 0.5f, 1.5f), *sh = vkt_randn((size_t)C, 0.5f);
    float lo = -0.75f, hi = 2.5f;
    double *ref = malloc(sizeof *ref * (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        double v = (x[i] > 0 ? x[i] : 0) * sc[i / (H * W)] + sh[i / (H * W)];
        ref[i] = v < lo ? lo : v > hi ? hi : v;
    }
    for (int fuse = 1; fuse >= 0; fuse--) {
        vka_graph *g = vka_graph_create(ctx);
        vka_val in = vka_graph_input(g, "x", VKA_F32, 4, (int64_t[]){1, C, H, W});
        vka_val y = vka_graph_unary(g, "relu", VKA_RELU, in);
        y = vka_graph_binary(g, "scale", VKA_MUL, y, vka_graph_const(g, "s", VKA_F32, 3, (int64_t[]){C, 1, 1}, sc));
        y = vka_graph_binary(g, "shift", VKA_ADD, y, vka_graph_const(g, "b", VKA_F32, 3, (int64_t[]){C, 1, 1}, sh));
        vka_graph_output(g, vka_graph_clip(g, "clip", y, lo, hi), "y");
        size_t b = (size_t)n * 4;
        const float *ins[1] = {x};
        float *got = run(g, fuse, 1, ins, &b, (size_t)n);
        vkt_compare(fuse ? "relu * scale[C] + shift[C], clip, fused" : "relu * scale[C] + shift[C], clip, unfused", got,
                    ref, (size_t)n, 1e-6);
        if (fuse)
            vkt_check(vka_graph_plan_size(g) == 1 && plan_has(g, "eltwise") == 1,
                      "fused plan is one elementwise program (%d nodes)", vka_graph_plan_size(g));
        else
            vkt_check(vka_graph_plan_size(g) == 4, "unfused plan keeps 4 nodes (%d)", vka_graph_plan_size(g));
        free(got);
        vka_graph_destroy(g);
    }
    free(x), free(sc), free(sh), free(ref);
}

/* A graph input "boxes" [Q, 4] and its columns as [Q] (slices, reshaped). */
static void box_columns(vka_graph *g, int64_t Q, vka_val col[4])
{
    vka_val in = vka_graph_input(g, "boxes", VKA_F32, 2, (int64_t[]){Q, 4});
    for (int c = 0; c < 4; c++) {
        int64_t st = c, en = c + 1, ax = 1;
        col[c] = vka_graph_reshape(g, NULL, vka_graph_slice(g, NULL, in, 1, &st, &en, &ax, NULL), 1, &Q);
    }
}

/* DETR box decoding: boxes [Q, 4] (cx, cy, w, h) sliced into columns,
 * x0 = cx - 0.5·w, y0 = cy - 0.5·h, x1 = cx + 0.5·w, y1 = cy + 0.5·h, each
 * unsqueezed to [Q, 1] and concatenated along the last axis, times a scale.
 * Fused: four programs read the columns through strides and write their
 * column of the concat (no slice, no concat dispatch), then the scale. */
static void test_eltwise_boxes(vka_context *ctx)
{
    const int64_t Q = 301;
    float *bx = vkt_uniform((size_t)(Q * 4), 0.05f, 0.95f), s640 = 640.0f, half = 0.5f;
    double *ref = malloc(sizeof *ref * (size_t)(Q * 4));
    for (int64_t q = 0; q < Q; q++)
        for (int c = 0; c < 4; c++)
            ref[q * 4 + c] = (bx[q * 4 + c % 2] + (c < 2 ? -0.5 : 0.5) * bx[q * 4 + 2 + c % 2]) * 640.0;
    for (int fuse = 1; fuse >= 0; fuse--) {
        vka_graph *g = vka_graph_create(ctx);
        vka_val col[4], parts[4];
        box_columns(g, Q, col);
        vka_val hc = vka_graph_const(g, "half", VKA_F32, 0, NULL, &half);
        for (int c = 0; c < 4; c++) {
            vka_val hw = vka_graph_binary(g, NULL, VKA_MUL, col[2 + c % 2], hc);
            vka_val e = vka_graph_binary(g, NULL, c < 2 ? VKA_SUB : VKA_ADD, col[c % 2], hw);
            parts[c] = vka_graph_reshape(g, NULL, e, 2, (int64_t[]){Q, 1});
        }
        vka_val cat = vka_graph_concat(g, "xyxy", 4, parts, 1);
        vka_val m = vka_graph_matmul(g, "keep", cat, vka_graph_const(g, "eye", VKA_F32, 2, (int64_t[]){4, 4},
                                                                   (float[]){1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}));
        vka_graph_output(g, vka_graph_binary(g, "scale", VKA_MUL, m, vka_graph_const(g, "s", VKA_F32, 0, NULL, &s640)),
                         "y");
        size_t b = (size_t)(Q * 4) * 4;
        const float *ins[1] = {bx};
        float *got = run(g, fuse, 1, ins, &b, (size_t)(Q * 4));
        vkt_compare(fuse ? "box decoding on column slices into a concat, fused"
                         : "box decoding on column slices into a concat, unfused",
                    got, ref, (size_t)(Q * 4), 1e-6);
        if (fuse)
            vkt_check(plan_has(g, "eltwise") == 4 && plan_has(g, "slice") == 0 && plan_has(g, "concat") == 0 &&
                          vka_graph_dispatch_count(g) == 6,
                      "fused plan: 4 programs writing the concat's columns, the matmul, the scale (%d dispatches)",
                      vka_graph_dispatch_count(g));
        else
            vkt_check(plan_has(g, "slice") == 4 && plan_has(g, "concat") == 1, "unfused plan keeps 4 slices, the concat");
        free(got);
        vka_graph_destroy(g);
    }
    free(bx), free(ref);
}

/* A producer read by several elementwise programs is copied into each:
 * hw = 0.5·w feeds x0 = cx - hw and x1 = cx + hw (DEIMv2's box decoding),
 * so its own dispatch goes; hh = 0.5·h also feeds a matmul, so it stays and
 * y0, y1 read it. y = concat(x0, y0, x1, y1, hh·[[2]]) on the last axis,
 * against float64. */
static void test_eltwise_copies(vka_context *ctx)
{
    const int64_t Q = 203;
    float *bx = vkt_uniform((size_t)(Q * 4), 0.05f, 0.95f), half = 0.5f, two = 2.0f;
    double *ref = malloc(sizeof *ref * (size_t)(Q * 5));
    for (int64_t q = 0; q < Q; q++) {
        for (int c = 0; c < 4; c++)
            ref[q * 5 + c] = bx[q * 4 + c % 2] + (c < 2 ? -0.5 : 0.5) * bx[q * 4 + 2 + c % 2];
        ref[q * 5 + 4] = 2.0 * (0.5 * bx[q * 4 + 3]);
    }
    for (int fuse = 1; fuse >= 0; fuse--) {
        vka_graph *g = vka_graph_create(ctx);
        vka_val col[4], parts[5];
        box_columns(g, Q, col);
        vka_val hc = vka_graph_const(g, "half", VKA_F32, 0, NULL, &half);
        vka_val hw = vka_graph_binary(g, "hw", VKA_MUL, col[2], hc), hh = vka_graph_binary(g, "hh", VKA_MUL, col[3], hc);
        for (int c = 0; c < 4; c++) {
            vka_val e = vka_graph_binary(g, NULL, c < 2 ? VKA_SUB : VKA_ADD, col[c % 2], c % 2 ? hh : hw);
            parts[c] = vka_graph_reshape(g, NULL, e, 2, (int64_t[]){Q, 1});
        }
        parts[4] = vka_graph_matmul(g, "twice", vka_graph_reshape(g, NULL, hh, 2, (int64_t[]){Q, 1}),
                                    vka_graph_const(g, "two", VKA_F32, 2, (int64_t[]){1, 1}, &two));
        vka_graph_output(g, vka_graph_concat(g, "y", 5, parts, 1), "y");
        size_t b = (size_t)(Q * 4) * 4;
        const float *ins[1] = {bx};
        float *got = run(g, fuse, 1, ins, &b, (size_t)(Q * 5));
        vkt_compare(fuse ? "a producer copied into the programs that read it, fused"
                         : "a producer copied into the programs that read it, unfused",
                    got, ref, (size_t)(Q * 5), 1e-6);
        if (fuse) /* x0, x1 (each with hw), y0, y1, hh; no binary node left */
            vkt_check(plan_has(g, "eltwise") == 5 && plan_has(g, "binary") == 0,
                      "fused plan: hw copied into x0 and x1, hh kept for the matmul (%d programs, %d binary, %d "
                      "dispatches)", plan_has(g, "eltwise"), plan_has(g, "binary"), vka_graph_dispatch_count(g));
        free(got);
        vka_graph_destroy(g);
    }
    free(bx), free(ref);
}

/* Views: a channel Split's halves through two matmuls and concatenated back
 * with them (the concat made of the producers' outputs; the halves read in
 * place). [2·C, F] -> halves [C, F] -> a = half0·W, b = half1·W ->
 * concat(half0, half1, a, b) on axis 0. */
static void test_views(vka_context *ctx)
{
    const int64_t C = 9, F = 13;
    float *x = vkt_randn((size_t)(2 * C * F), 1.0f), *w = vkt_randn((size_t)(F * F), 0.4f);
    double *ref = malloc(sizeof *ref * (size_t)(4 * C * F)), *t = malloc(sizeof *t * (size_t)(C * F));
    for (int64_t i = 0; i < 2 * C * F; i++)
        ref[i] = x[i];
    for (int h = 0; h < 2; h++) {
        ref_matmul(x + h * C * F, w, t, C, F, F);
        memcpy(ref + (2 + h) * C * F, t, sizeof *t * (size_t)(C * F));
    }
    for (int fuse = 1; fuse >= 0; fuse--) {
        vka_graph *g = vka_graph_create(ctx);
        vka_val in = vka_graph_input(g, "x", VKA_F32, 2, (int64_t[]){2 * C, F});
        vka_val base = vka_graph_unary(g, "produce", VKA_ABS, in); /* a kernel output to place */
        vka_val wc = vka_graph_const(g, "w", VKA_F32, 2, (int64_t[]){F, F}, w), half[2], prod[2];
        for (int h = 0; h < 2; h++) {
            int64_t st = h * C, en = (h + 1) * C, ax = 0;
            half[h] = vka_graph_slice(g, h ? "half1" : "half0", base, 1, &st, &en, &ax, NULL);
            prod[h] = vka_graph_matmul(g, h ? "mm1" : "mm0", half[h], wc);
        }
        vka_val cat = vka_graph_concat(g, "cat", 4, (vka_val[]){half[0], half[1], prod[0], prod[1]}, 0);
        vka_graph_output(g, vka_graph_unary(g, "consume", VKA_NEG, vka_graph_unary(g, NULL, VKA_NEG, cat)), "y");
        size_t b = (size_t)(2 * C * F) * 4;
        const float *ins[1] = {x};
        float *got = run(g, fuse, 1, ins, &b, (size_t)(4 * C * F));
        /* |x| for the halves */
        double *r2 = malloc(sizeof *r2 * (size_t)(4 * C * F));
        for (int64_t i = 0; i < 4 * C * F; i++)
            r2[i] = i < 2 * C * F ? fabs(ref[i]) : 0;
        for (int h = 0; h < 2; h++) {
            float *ax = malloc(sizeof *ax * (size_t)(C * F));
            for (int64_t i = 0; i < C * F; i++)
                ax[i] = fabsf(x[h * C * F + i]);
            ref_matmul(ax, w, r2 + (2 + h) * C * F, C, F, F);
            free(ax);
        }
        vkt_compare(fuse ? "split halves and their matmuls concatenated, fused (views)"
                         : "split halves and their matmuls concatenated, unfused",
                    got, r2, (size_t)(4 * C * F), 1e-5);
        if (fuse)
            vkt_check(plan_has(g, "slice") == 0 && plan_has(g, "concat") == 0,
                      "fused plan has no slice and no concat (%d nodes: the split halves are read in place, the "
                      "producers write into the concat)",
                      vka_graph_plan_size(g));
        else
            vkt_check(plan_has(g, "slice") == 2 && plan_has(g, "concat") == 1, "unfused plan keeps the slices, the concat");
        free(got), free(r2);
        vka_graph_destroy(g);
    }
    free(x), free(w), free(ref), free(t);
}

static void test_reuse(vka_context *ctx)
{
    const int64_t n = 100003;
    float *x = vkt_uniform((size_t)n, 0.1f, 2.0f);
    double *ref = malloc(sizeof *ref * (size_t)n);
    vka_graph *g = vka_graph_create(ctx);
    vka_val v = vka_graph_input(g, "x", VKA_F32, 1, &n);
    for (int i = 0; i < 10; i++)
        v = vka_graph_unary(g, NULL, i % 2 ? VKA_NEG : VKA_ABS, v);
    vka_graph_output(g, v, "y");
    for (int64_t i = 0; i < n; i++)
        ref[i] = -fabs((double)x[i]);
    size_t by = (size_t)n * 4;
    const float *ins[1] = {x};
    /* unfused: fused, the chain is one elementwise program with nothing to reuse */
    float *got = run(g, 0, 1, ins, &by, (size_t)n);
    vkt_compare("chain of 10 unary ops", got, ref, (size_t)n, 1e-7);
    uint64_t noreuse, act = vka_graph_activation_bytes(g, &noreuse);
    vkt_check(act <= 3 * (uint64_t)by + 1024 && noreuse >= 10 * (uint64_t)by,
              "buffer reuse: %llu bytes of activations instead of %llu", (unsigned long long)act,
              (unsigned long long)noreuse);
    free(got), free(x), free(ref);
    vka_graph_destroy(g);
}

/* vka_graph_build_params.device_memory_limit: a chain of unfused ops over a
 * 4 MB input needs its input, and activations for two buffers; a limit below
 * that fails naming the limit, and the context holds no more device memory
 * than before; at the need (read back from the unlimited build) it builds. */
static void test_memory_limit(vka_context *ctx)
{
    const int64_t n = 1 << 20;
    uint64_t need = 0;
    for (int pass = 0; pass < 3; pass++) {
        vka_graph *g = vka_graph_create(ctx);
        vka_val v = vka_graph_input(g, "x", VKA_F32, 1, &n);
        for (int i = 0; i < 6; i++)
            v = vka_graph_unary(g, NULL, i % 2 ? VKA_NEG : VKA_ABS, v);
        vka_graph_output(g, v, "y");
        vka_graph_build_params bp = vka_graph_default_build_params();
        bp.fuse = 0;
        bp.device_memory_limit = pass == 0 ? 0 : pass == 1 ? need - 1 : need;
        uint64_t before = vka_context_memory_used(ctx);
        vka_status s = vka_graph_build(g, &bp);
        if (pass == 0) {
            need = 4 * (uint64_t)n + vka_graph_weight_bytes(g) + vka_graph_activation_bytes(g, NULL);
            vkt_check(!s && need >= 12 * (uint64_t)n, "unlimited build: needs %llu bytes", (unsigned long long)need);
        } else if (pass == 1) {
            const char *e = vka_context_last_error(ctx);
            vka_graph_destroy(g), g = NULL;
            vkt_check(s == VKA_ERR_TOO_LARGE && strstr(e, "device_memory_limit") &&
                          vka_context_memory_used(ctx) <= before,
                      "limit one byte below: VKA_ERR_TOO_LARGE, %llu bytes held after (%llu before): %s",
                      (unsigned long long)vka_context_memory_used(ctx), (unsigned long long)before, e);
        } else
            vkt_check(!s, "limit at the need (%llu bytes): builds (%s)", (unsigned long long)need,
                      s ? vka_context_last_error(ctx) : "ok");
        vka_graph_destroy(g);
    }
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    test_layernorm_decomposed(ctx);
    test_matmul(ctx);
    test_conv(ctx);
    test_patch_tokens(ctx);
    test_epilogue(ctx);
    test_conv_affine(ctx);
    test_conv_epilogue(ctx);
    test_pad_fold(ctx);
    test_rmsnorm_decomposed(ctx, 0);
    test_rmsnorm_decomposed(ctx, 1);
    test_attention_packed(ctx);
    test_epilogue_reshape_silu(ctx);
    test_eltwise_affine(ctx);
    test_eltwise_boxes(ctx);
    test_eltwise_copies(ctx);
    test_views(ctx);
    test_reuse(ctx);
    test_memory_limit(ctx);
    return vkt_finish();
}
