/* SPDX-License-Identifier: MIT */
/* test_gemm.c — vka_gemm against a float64 CPU reference: odd shapes, batches
 * (with a 2-D operand shared across them), every transpose combination, strided
 * views (Q and K straight out of a packed QKV), narrow outputs (N = 1..7), bias,
 * residual, alpha, beta and every activation, in f32 and f16 storage, through
 * every kernel: regtile with texel buffers as the device picks them (4-vector
 * or element texels), regtile computing Cᵀ = Bᵀ·Aᵀ (VKATTN_GEMM_SWAP=1),
 * regtile on storage buffers (VKATTN_GEMM_TEXEL=0) and shared (picked with
 * VKATTN_GEMM_VARIANT); then the error paths. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include "common.h"

typedef struct gcase {
    int64_t m, n, k, batch;
    int trans_a, trans_b;
    int a2d, b2d;        /* operand shared across the batch */
    int64_t pad_a, pad_b, pad_c; /* ld = dense cols + pad (0: dense, ld left 0) */
    int bias, residual;
    float alpha, beta;
    vka_act act;
} gcase;

static const char *variant_name;
static int texel_runs;  /* cases that ran gemm_regtile_tex (A and B as 4-vector texels) */
static int texel1_runs; /* cases that ran a gemm_regtile_tex_* kernel (element texels) */

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

static void run_case(vka_context *ctx, vka_dtype dt, const gcase *g)
{
    int64_t B = g->batch;
    /* stored shapes: rows × cols with leading dimension ld */
    int64_t ar = g->trans_a ? g->k : g->m, ac = g->trans_a ? g->m : g->k, lda = ac + g->pad_a;
    int64_t br = g->trans_b ? g->n : g->k, bc = g->trans_b ? g->k : g->n, ldb = bc + g->pad_b;
    int64_t ldc = g->n + g->pad_c;
    int64_t nba = g->a2d ? 1 : B, nbb = g->b2d ? 1 : B;
    size_t na = (size_t)(nba * ar * lda), nb = (size_t)(nbb * br * ldb), nc = (size_t)(B * g->m * ldc);
    float *ha = vkt_randn(na, 1.0f), *hb = vkt_randn(nb, 1.0f), *hbias = vkt_randn((size_t)g->n, 1.0f);
    float *hres = vkt_randn(nc, 1.0f), *hc0 = vkt_randn(nc, 1.0f);
    if (dt == VKA_F16) {
        vkt_round_f16(ha, na), vkt_round_f16(hb, nb), vkt_round_f16(hbias, (size_t)g->n);
        vkt_round_f16(hres, nc), vkt_round_f16(hc0, nc);
    }
    int64_t sa[3] = {nba, ar, lda}, sb[3] = {nbb, br, ldb}, sc[3] = {B, g->m, ldc};
    int ra = g->a2d ? 2 : 3, rb = g->b2d ? 2 : 3, rc = B > 1 ? 3 : 2;
    vka_tensor *a = vkt_tensor(ctx, dt, ra, sa + 3 - ra, ha), *b = vkt_tensor(ctx, dt, rb, sb + 3 - rb, hb);
    vka_tensor *c = vkt_tensor(ctx, dt, rc, sc + 3 - rc, NULL);
    vka_tensor *bias = g->bias ? vkt_tensor(ctx, dt, 1, &g->n, hbias) : NULL;
    vka_tensor *res = g->residual ? vkt_tensor(ctx, dt, rc, sc + 3 - rc, hres) : NULL;
    if (g->beta != 0)
        vkt_upload(c, hc0);
    else
        vkt_poison(c);

    vka_gemm_desc d = vka_gemm_default_desc();
    d.trans_a = g->trans_a, d.trans_b = g->trans_b, d.alpha = g->alpha, d.beta = g->beta, d.act = g->act;
    d.bias = bias, d.residual = res;
    if (g->pad_a || g->pad_b || g->pad_c) {
        d.lda = lda, d.ldb = ldb, d.ldc = ldc;
        d.m = g->m, d.n = g->n, d.k = g->k;
    }
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_gemm(cmd, &d, a, b, c);
    const char *kernel = "";
    if (!s)
        vka_cmd_timing(cmd, 0, &kernel, NULL);
    texel_runs += strncmp(kernel, "gemm_regtile_tex_f", 18) == 0;
    texel1_runs += strncmp(kernel, "gemm_regtile_tex_", 17) == 0 && strncmp(kernel, "gemm_regtile_tex_f", 18) != 0;
    char what[240];
    snprintf(what, sizeof what, "%s (%s) %s %lldx%lldx%lld batch %lld%s%s%s%s%s%s%s alpha %g beta %g act %d", variant_name,
             kernel, vka_dtype_str(dt), (long long)g->m, (long long)g->n, (long long)g->k, (long long)B,
             g->trans_a ? " Aᵀ" : "", g->trans_b ? " Bᵀ" : "", g->a2d ? " shared-A" : "", g->b2d ? " shared-B" : "",
             g->pad_a || g->pad_b || g->pad_c ? " strided" : "", g->bias ? " bias" : "", g->residual ? " residual" : "",
             g->alpha, g->beta, (int)g->act);
    if (s) {
        vkt_check(0, "%s: vka_gemm: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        float *got = vkt_download(c);
        double *ref = malloc(sizeof *ref * nc), *mag = calloc(nc, sizeof *mag);
        float *out = malloc(sizeof *out * nc);
        for (int64_t z = 0; z < B; z++)
            for (int64_t i = 0; i < g->m; i++)
                for (int64_t j = 0; j < ldc; j++) {
                    size_t ci = (size_t)((z * g->m + i) * ldc + j);
                    if (j >= g->n) { /* padding columns of c must be left alone: compare as-is */
                        ref[ci] = 0, out[ci] = 0;
                        if (g->beta != 0 && got[ci] != hc0[ci])
                            ref[ci] = 1e30;
                        continue;
                    }
                    double acc = 0, am = 0;
                    const float *pa = ha + (g->a2d ? 0 : z * ar * lda), *pb = hb + (g->b2d ? 0 : z * br * ldb);
                    for (int64_t kk = 0; kk < g->k; kk++) {
                        double av = g->trans_a ? pa[kk * lda + i] : pa[i * lda + kk];
                        double bv = g->trans_b ? pb[j * ldb + kk] : pb[kk * ldb + j];
                        acc += av * bv;
                        am += fabs(av * bv);
                    }
                    double v = g->alpha * acc + (g->bias ? hbias[j] : 0);
                    v = act_ref(v, g->act) + (g->residual ? hres[ci] : 0) + g->beta * (double)hc0[ci];
                    ref[ci] = v, out[ci] = got[ci];
                    /* a dot product's rounding scales with its terms, not its value (which may
                     * cancel to near zero); the activations here have slopes of at most ~1.1 */
                    mag[ci] = fabs(g->alpha) * am + (g->bias ? fabs(hbias[j]) : 0) + (g->residual ? fabs(hres[ci]) : 0) +
                              fabs(g->beta * (double)hc0[ci]);
                }
        vkt_compare_terms(what, out, ref, mag, nc, dt == VKA_F32 ? 1e-5 : 5e-3);
        free(mag);
        free(got), free(ref), free(out);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(a), vka_tensor_destroy(b), vka_tensor_destroy(c);
    vka_tensor_destroy(bias), vka_tensor_destroy(res);
    free(ha), free(hb), free(hbias), free(hres), free(hc0);
}

/* Q·Kᵀ with Q and K read in place from a packed QKV [197, 3·192] projection. */
static void run_qkv(vka_context *ctx, vka_dtype dt)
{
    const int64_t T = 197, D = 192, W = 3 * D;
    int64_t sq[2] = {T, W}, sc[2] = {T, T};
    float *h = vkt_randn((size_t)(T * W), 1.0f);
    if (dt == VKA_F16)
        vkt_round_f16(h, (size_t)(T * W));
    vka_tensor *qkv = vkt_tensor(ctx, dt, 2, sq, h), *c = vkt_tensor(ctx, dt, 2, sc, NULL);
    int64_t span = T * W - D;
    vka_tensor *kview = vka_tensor_view(qkv, D, 1, &span); /* K starts D elements in: unaligned on purpose */
    vkt_poison(c);
    vka_gemm_desc d = vka_gemm_default_desc();
    d.trans_b = 1, d.m = T, d.n = T, d.k = D, d.lda = W, d.ldb = W, d.alpha = 0.125f;
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_gemm(cmd, &d, qkv, kview, c);
    char what[96];
    snprintf(what, sizeof what, "%s %s Q·Kᵀ from packed QKV [197, 576]", variant_name, vka_dtype_str(dt));
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        float *got = vkt_download(c);
        double *ref = malloc(sizeof *ref * (size_t)(T * T));
        for (int64_t i = 0; i < T; i++)
            for (int64_t j = 0; j < T; j++) {
                double acc = 0;
                for (int64_t kk = 0; kk < D; kk++)
                    acc += (double)h[i * W + kk] * h[j * W + D + kk];
                ref[i * T + j] = 0.125 * acc;
            }
        vkt_compare(what, got, ref, (size_t)(T * T), dt == VKA_F32 ? 1e-5 : 5e-3);
        free(got), free(ref);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(kview), vka_tensor_destroy(qkv), vka_tensor_destroy(c);
    free(h);
}

static void run_all(vka_context *ctx, vka_dtype dt)
{
    const gcase plain[] = {
        {197, 577, 65, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, VKA_ACT_NONE},
        {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, VKA_ACT_NONE},
        {3, 5, 7, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, VKA_ACT_NONE},
        {64, 64, 64, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, VKA_ACT_NONE},
        {257, 129, 33, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, VKA_ACT_NONE},
        {64, 256, 96, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, VKA_ACT_NONE}, /* the vec4 path of regtile */
        /* texel-buffer path (gemm_regtile_tex): partial row and column tiles,
         * k = 4 (one texel per row of A), batches with own and shared operands;
         * k % 4 != 0 with an aligned lda must fall back to storage buffers */
        {197, 516, 68, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, VKA_ACT_GELU_ERF},
        {9, 12, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, VKA_ACT_NONE},
        {21, 132, 36, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, VKA_ACT_NONE},
        {21, 132, 36, 3, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, VKA_ACT_NONE},
        {21, 132, 36, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, VKA_ACT_NONE},
        {16, 64, 18, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, VKA_ACT_NONE},
        /* narrow outputs: DEIMv2's integral (N = 1, K = 33), a box head (N = 4),
         * N % 4 != 0 with K % 4 == 0 (element texels for B only), batches */
        {400, 1, 33, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, VKA_ACT_NONE},
        {300, 4, 64, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, VKA_ACT_SIGMOID},
        {75, 7, 12, 3, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0.5f, 0, VKA_ACT_RELU},
        {150, 150, 12, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, VKA_ACT_NONE},
        {70, 2, 40, 2, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0.5f, VKA_ACT_NONE},
    };
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
        run_case(ctx, dt, &plain[i]);
    /* every transpose combination, on an odd shape and on a vec4-friendly one */
    for (int t = 0; t < 4; t++) {
        gcase g = {37, 53, 29, 1, t & 1, t >> 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, VKA_ACT_NONE};
        run_case(ctx, dt, &g);
        gcase h = {33, 64, 40, 1, t & 1, t >> 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, VKA_ACT_NONE};
        run_case(ctx, dt, &h);
    }
    /* batches: own operands, shared 2-D B (weights), shared 2-D A, transposed */
    gcase bt[] = {
        {45, 67, 23, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, VKA_ACT_NONE},
        {45, 68, 23, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, VKA_ACT_NONE},
        {45, 67, 23, 3, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, VKA_ACT_NONE},
    };
    for (size_t i = 0; i < sizeof bt / sizeof *bt; i++)
        run_case(ctx, dt, &bt[i]);
    /* strided views: padded leading dimensions of a, b and c */
    gcase st[] = {
        {31, 41, 19, 2, 0, 0, 0, 0, 5, 3, 7, 0, 0, 1, 0, VKA_ACT_NONE},
        {31, 41, 19, 1, 1, 1, 0, 0, 2, 1, 1, 1, 0, 1, 0, VKA_ACT_NONE},
        {20, 48, 16, 2, 0, 0, 0, 0, 4, 8, 4, 0, 0, 1, 0, VKA_ACT_NONE},
    };
    for (size_t i = 0; i < sizeof st / sizeof *st; i++)
        run_case(ctx, dt, &st[i]);
    /* epilogue: bias, residual, alpha, beta and every activation */
    for (int act = VKA_ACT_NONE; act <= VKA_ACT_SIGMOID; act++) {
        gcase g = {29, 71, 37, 2, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0.7f, 0, (vka_act)act};
        run_case(ctx, dt, &g);
    }
    gcase ep[] = {
        {29, 71, 37, 2, 0, 1, 0, 0, 0, 0, 0, 1, 1, -1.5f, 0.5f, VKA_ACT_GELU_ERF},
        {29, 72, 37, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2.0f, -1.0f, VKA_ACT_NONE},
    };
    for (size_t i = 0; i < sizeof ep / sizeof *ep; i++)
        run_case(ctx, dt, &ep[i]);
    run_qkv(ctx, dt);
}

static void test_errors(vka_context *ctx)
{
    int64_t s45[2] = {4, 5}, s67[2] = {6, 7}, s47[2] = {4, 7}, s57[2] = {5, 7}, s3[1] = {3};
    vka_tensor *a = vkt_tensor(ctx, VKA_F32, 2, s45, NULL), *w = vkt_tensor(ctx, VKA_F32, 2, s67, NULL);
    vka_tensor *b = vkt_tensor(ctx, VKA_F32, 2, s57, NULL), *c = vkt_tensor(ctx, VKA_F32, 2, s47, NULL);
    vka_tensor *c16 = vkt_tensor(ctx, VKA_F16, 2, s47, NULL), *bias3 = vkt_tensor(ctx, VKA_F32, 1, s3, NULL);
    vka_tensor_set_name(a, "x");
    vka_tensor_set_name(w, "weights");
    vka_tensor_set_name(c, "out");
    vka_tensor_set_name(c16, "out16");
    vka_tensor_set_name(bias3, "b3");
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_gemm_desc d = vka_gemm_default_desc();
    vkt_expect_error("gemm before begin", vka_gemm(cmd, &d, a, b, c), VKA_ERR_STATE, "vka_cmd_begin");
    vka_cmd_begin(cmd);
    vkt_expect_error("gemm inner dims differ", vka_gemm(cmd, &d, a, w, c), VKA_ERR_SHAPE, "weights");
    int64_t s46[2] = {4, 6};
    vka_tensor *wrong = vkt_tensor(ctx, VKA_F32, 2, s46, NULL);
    vka_tensor_set_name(wrong, "wrongout");
    vkt_expect_error("gemm output shape", vka_gemm(cmd, &d, a, b, wrong), VKA_ERR_SHAPE, "wrongout");
    vka_tensor_destroy(wrong);
    vkt_expect_error("gemm dtype mismatch", vka_gemm(cmd, &d, a, b, c16), VKA_ERR_SHAPE, "out16");
    vkt_expect_error("gemm NULL b", vka_gemm(cmd, &d, a, NULL, c), VKA_ERR_INVALID_ARG, "NULL");
    vkt_expect_error("gemm NULL desc", vka_gemm(cmd, NULL, a, b, c), VKA_ERR_INVALID_ARG, "NULL");
    d.bias = bias3;
    vkt_expect_error("gemm bias shape", vka_gemm(cmd, &d, a, b, c), VKA_ERR_SHAPE, "b3");
    d = vka_gemm_default_desc();
    int64_t s44[2] = {4, 4};
    vka_tensor *sq = vkt_tensor(ctx, VKA_F32, 2, s44, NULL);
    vka_tensor_set_name(sq, "square");
    vkt_expect_error("gemm c aliases a", vka_gemm(cmd, &d, sq, sq, sq), VKA_ERR_INVALID_ARG, "overlaps");
    d.lda = 3; /* less than k = 5 */
    d.m = 4, d.n = 7, d.k = 5;
    vkt_expect_error("gemm lda < k", vka_gemm(cmd, &d, a, b, c), VKA_ERR_SHAPE, "lda");
    d = vka_gemm_default_desc();
    d.act = (vka_act)42;
    vkt_expect_error("gemm unknown activation", vka_gemm(cmd, &d, a, b, c), VKA_ERR_INVALID_ARG, "activation");
    /* still usable */
    d = vka_gemm_default_desc();
    vka_status s = vka_gemm(cmd, &d, a, b, c);
    if (!s)
        s = vka_cmd_end(cmd);
    if (!s)
        s = vka_cmd_submit(cmd);
    vkt_check(s == VKA_OK, "gemm usable after errors: %s", vka_status_str(s));
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(a), vka_tensor_destroy(w), vka_tensor_destroy(b), vka_tensor_destroy(c);
    vka_tensor_destroy(c16), vka_tensor_destroy(bias3), vka_tensor_destroy(sq);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    /* name, VKATTN_GEMM_VARIANT, VKATTN_GEMM_TEXEL, VKATTN_GEMM_SWAP (NULL: unset) */
    const char *variants[][4] = {
        {"regtile", "regtile", NULL, NULL},
        {"regtile-Cᵀ", "regtile", NULL, "1"},
        {"regtile-storage", "regtile", "0", NULL},
        {"shared", "shared", NULL, NULL},
    };
    const char *vars[3] = {"VKATTN_GEMM_VARIANT", "VKATTN_GEMM_TEXEL", "VKATTN_GEMM_SWAP"};
    for (int v = 0; v < 4; v++) {
        /* vka_gemm picks its kernel per call, so the variables steer each run */
        for (int e = 0; e < 3; e++)
            if (variants[v][e + 1])
                setenv(vars[e], variants[v][e + 1], 1);
            else
                unsetenv(vars[e]);
        variant_name = variants[v][0];
        run_all(ctx, VKA_F32);
        if (vka_context_device(ctx)->fp16_storage)
            run_all(ctx, VKA_F16);
    }
    for (int e = 0; e < 3; e++)
        unsetenv(vars[e]);
    /* on CPU devices the texel kernels are the default: make sure the cases
     * above reached both kinds */
    if (vka_context_device(ctx)->type == VKA_DEVICE_CPU) {
        vkt_check(texel_runs > 0, "regtile cases through gemm_regtile_tex: %d", texel_runs);
        vkt_check(texel1_runs > 0, "regtile cases through element-texel kernels: %d", texel1_runs);
    }
    test_errors(ctx);
    return vkt_finish();
}
