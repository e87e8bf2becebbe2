/* test_graph.c — graphs built with the C builder API against float64 CPU
 * references: a decomposed LayerNorm (fused into one layernorm, and not),
 * batched and broadcast matmul, convolution through im2col + GEMM, GEMM
 * epilogue fusion (bias + GELU + residual), and activation buffer reuse. */
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

static void test_conv(vka_context *ctx)
{
    struct { int64_t n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw; } cs[] = {
        {2, 3, 11, 13, 5, 3, 3, 2, 2, 1, 1, 1, 1},  /* stride 2, pad 1 */
        {1, 3, 16, 16, 7, 4, 4, 4, 4, 0, 0, 1, 1},  /* ViT patch embedding */
        {1, 4, 9, 10, 3, 3, 2, 1, 1, 2, 0, 2, 1},   /* dilation, asymmetric kernel */
    };
    for (size_t t = 0; t < sizeof cs / sizeof cs[0]; t++) {
        int64_t N = cs[t].n, C = cs[t].c, H = cs[t].h, W = cs[t].w, O = cs[t].o, KH = cs[t].kh, KW = cs[t].kw;
        int64_t OH = (H + 2 * cs[t].ph - cs[t].dh * (KH - 1) - 1) / cs[t].sh + 1;
        int64_t OW = (W + 2 * cs[t].pw - cs[t].dw * (KW - 1) - 1) / cs[t].sw + 1;
        float *x = vkt_randn((size_t)(N * C * H * W), 1), *w = vkt_randn((size_t)(O * C * KH * KW), 1),
              *b = vkt_randn((size_t)O, 1);
        size_t on = (size_t)(N * O * OH * OW);
        double *ref = malloc(sizeof *ref * on);
        for (int64_t n = 0; n < N; n++)
            for (int64_t o = 0; o < O; o++)
                for (int64_t oy = 0; oy < OH; oy++)
                    for (int64_t ox = 0; ox < OW; ox++) {
                        double s = b[o];
                        for (int64_t c = 0; c < C; c++)
                            for (int64_t ky = 0; ky < KH; ky++)
                                for (int64_t kx = 0; kx < KW; kx++) {
                                    int64_t iy = oy * cs[t].sh + ky * cs[t].dh - cs[t].ph;
                                    int64_t ix = ox * cs[t].sw + kx * cs[t].dw - cs[t].pw;
                                    if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                                        s += (double)x[((n * C + c) * H + iy) * W + ix] *
                                             w[((o * C + c) * KH + ky) * KW + kx];
                                }
                        ref[((n * O + o) * OH + oy) * OW + ox] = s;
                    }
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
        free(got), free(x), free(w), free(b), free(ref);
        vka_graph_destroy(g);
    }
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

/* Conv followed by a per-channel multiply and add (an exported BatchNormalization)
 * folds into the conv's weights and bias. */
static void test_conv_affine(vka_context *ctx)
{
    const int64_t N = 1, C = 3, H = 9, W = 11, O = 5;
    float *x = vkt_randn((size_t)(N * C * H * W), 1), *w = vkt_randn((size_t)(O * C * 9), 1),
          *b = vkt_randn((size_t)O, 1), *sc = vkt_uniform((size_t)O, 0.5f, 2.0f), *sh = vkt_randn((size_t)O, 1);
    size_t on = (size_t)(N * O * H * W);
    double *ref = malloc(sizeof *ref * on);
    for (int64_t o = 0; o < O; o++)
        for (int64_t y = 0; y < H; y++)
            for (int64_t xx = 0; xx < W; xx++) {
                double s = b[o];
                for (int64_t c = 0; c < C; c++)
                    for (int64_t ky = 0; ky < 3; ky++)
                        for (int64_t kx = 0; kx < 3; kx++) {
                            int64_t iy = y + ky - 1, ix = xx + kx - 1;
                            if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                                s += (double)x[(c * H + iy) * W + ix] * w[((o * C + c) * 3 + ky) * 3 + kx];
                        }
                ref[(o * H + y) * W + xx] = s * sc[o] + sh[o];
            }
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

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    test_layernorm_decomposed(ctx);
    test_matmul(ctx);
    test_conv(ctx);
    test_epilogue(ctx);
    test_conv_affine(ctx);
    test_reuse(ctx);
    return vkt_finish();
}
