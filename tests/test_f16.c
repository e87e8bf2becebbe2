/* SPDX-License-Identifier: MIT */
/* test_f16.c — fp16 graphs (vka_graph_build_params.precision, precision.c):
 *  - the rule on a small graph of odd shapes: a GEMM stored f16 (inputs cast,
 *    weights converted at upload), its sigmoid tail to an output and a Reduce
 *    kept f32, TopK on f32 scores; against a float64 reference of the f16
 *    rounded inputs; casts in the plan; weight bytes halved; AUTO resolves to
 *    f32 on a CPU device; an unknown precision is refused;
 *  - DeiT-Tiny on the three photos (f16 forced): top-5 equal to ONNX
 *    Runtime's, logits within 2e-2 relative, CLS probe maps sum to 1; once
 *    more with the cooperative-matrix GEMM and flash attention emulated;
 *  - DEIMv2 atto and femto on three images (f16 forced): every ORT detection
 *    above 0.3 matched by label with IoU > 0.95 and score within 0.02, the
 *    sorted scores within 3e-2 relative, the detections' sampling weights
 *    summing to 1 within 2e-3 (they are stored f16);
 *  - weight bytes halved and activation bytes (without reuse) about halved
 *    against the same model built f32 (printed; the peak with reuse too).
 * Goldens: ../shared/assets/golden (ONNX Runtime 1.30 CPU). */
#include <stdbool.h>

#include "common.h"
#include "detr_check.h"

static int plan_count(vka_graph *g, const char *op)
{
    int c = 0;
    for (int i = 0; i < vka_graph_plan_size(g); i++)
        c += !strcmp(vka_graph_plan_op(g, i), op);
    return c;
}

static vka_graph_build_params params(vka_precision p, int probe)
{
    vka_graph_build_params bp = vka_graph_default_build_params();
    bp.precision = p;
    bp.probe_attention = probe;
    return bp;
}

/* ---------------------------------------------------------------- the rule on a small graph */

/* y = x·w + b [M, N] (f16), s = sigmoid(y) (f32 tail to an output), r = sum_j y (Reduce: f32),
 * top-k of s per row (TopK: f32 values). */
static vka_graph *small_graph(vka_context *ctx, int64_t M, int64_t K, int64_t N, const float *w, const float *b,
                              int64_t k)
{
    vka_graph *g = vka_graph_create(ctx);
    vka_val x = vka_graph_input(g, "x", VKA_F32, 2, (int64_t[]){M, K});
    vka_val wv = vka_graph_const(g, "w", VKA_F32, 2, (int64_t[]){K, N}, w);
    vka_val bv = vka_graph_const(g, "b", VKA_F32, 1, (int64_t[]){N}, b);
    vka_val y = vka_graph_binary(g, "y", VKA_ADD, vka_graph_matmul(g, "xw", x, wv), bv);
    vka_val s = vka_graph_unary(g, "s", VKA_SIGMOID, y);
    vka_val r = vka_graph_reduce(g, "r", VKA_REDUCE_SUM, y, 1, (int64_t[]){1}, 0);
    vka_val idx = VKA_NONE;
    vka_val tv = vka_graph_topk(g, "top", s, k, 1, &idx);
    vka_graph_output(g, s, "s");
    vka_graph_output(g, r, "r");
    vka_graph_output(g, tv, "topv");
    return g;
}

static void test_rule(vka_context *ctx)
{
    const int64_t M = 37, K = 53, N = 29, k = 5;
    float *x = vkt_randn((size_t)(M * K), 1.0f), *w = vkt_randn((size_t)(K * N), 0.3f), *b = vkt_randn((size_t)N, 0.5f);
    /* the reference sees what the f16 graph sees: x and w rounded to f16, math in float64 */
    float *xh = malloc(sizeof *xh * (size_t)(M * K)), *wh = malloc(sizeof *wh * (size_t)(K * N)),
          *bh = malloc(sizeof *bh * (size_t)N);
    memcpy(xh, x, sizeof *xh * (size_t)(M * K));
    memcpy(wh, w, sizeof *wh * (size_t)(K * N));
    memcpy(bh, b, sizeof *bh * (size_t)N);
    vkt_round_f16(xh, (size_t)(M * K)), vkt_round_f16(wh, (size_t)(K * N)), vkt_round_f16(bh, (size_t)N);
    double *ys = malloc(sizeof *ys * (size_t)(M * N)), *rs = calloc((size_t)M, sizeof *rs),
           *rmag = calloc((size_t)M, sizeof *rmag), *tv = malloc(sizeof *tv * (size_t)(M * k));
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double acc = bh[j];
            for (int64_t q = 0; q < K; q++)
                acc += (double)xh[i * K + q] * wh[q * N + j];
            acc = vkt_f16_to_f32(vkt_f32_to_f16((float)acc)); /* y is stored f16 */
            ys[i * N + j] = 1 / (1 + exp(-acc));
            rs[i] += acc;
            rmag[i] += fabs(acc);
        }
    for (int64_t i = 0; i < M; i++) { /* top-k of each row of s, descending */
        double row[64];
        memcpy(row, ys + i * N, sizeof(double) * (size_t)N);
        for (int64_t t = 0; t < k; t++) {
            int64_t best = 0;
            for (int64_t j = 1; j < N; j++)
                best = row[j] > row[best] ? j : best;
            tv[i * k + t] = row[best];
            row[best] = -1;
        }
    }
    for (int pi = 0; pi < 2; pi++) {
        vka_precision prec = pi ? VKA_PRECISION_F16 : VKA_PRECISION_F32;
        vka_graph *g = small_graph(ctx, M, K, N, w, b, k);
        vka_graph_build_params bp = params(prec, 0);
        vka_status st = vka_graph_build(g, &bp);
        float *s = malloc(sizeof *s * (size_t)(M * N)), *r = malloc(sizeof *r * (size_t)M),
              *t = malloc(sizeof *t * (size_t)(M * k));
        for (int64_t i = 0; i < M * N; i++)
            s[i] = NAN;
        for (int64_t i = 0; i < M; i++)
            r[i] = NAN;
        for (int64_t i = 0; i < M * k; i++)
            t[i] = NAN;
        if (!st)
            st = vka_graph_set_input(g, "x", x, sizeof *x * (size_t)(M * K));
        if (!st)
            st = vka_graph_run(g);
        if (!st)
            st = vka_graph_get_output(g, "s", s, sizeof *s * (size_t)(M * N));
        if (!st)
            st = vka_graph_get_output(g, "r", r, sizeof *r * (size_t)M);
        if (!st)
            st = vka_graph_get_output(g, "topv", t, sizeof *t * (size_t)(M * k));
        vkt_check(!st, "small graph (%s) %lldx%lldx%lld: build and run (%s)", vka_precision_str(prec), (long long)M,
                  (long long)K, (long long)N, st ? vka_context_last_error(ctx) : "ok");
        if (!st && pi) {
            vkt_compare("f16 graph: sigmoid(x·w + b) (f16 GEMM, f32 tail) vs float64", s, ys, (size_t)(M * N), 1e-3);
            vkt_compare_terms("f16 graph: Reduce sum (f32) vs float64", r, rs, rmag, (size_t)M, 1e-3);
            vkt_compare("f16 graph: TopK values (f32 scores) vs float64", t, tv, (size_t)(M * k), 1e-3);
            /* x -> f16 before the GEMM, y -> f32 before the sigmoid and the Reduce */
            int casts = plan_count(g, "cast");
            vkt_check(casts == 2 && vka_graph_precision(g) == VKA_PRECISION_F16,
                      "f16 graph plan: %d casts (want 2: the input to f16, the GEMM's result to f32), precision %s",
                      casts, vka_precision_str(vka_graph_precision(g)));
            /* w is read by the f16 GEMM only, b by the f16 epilogue (fused) or add: both f16 */
            uint64_t wb = vka_graph_weight_bytes(g), want = (uint64_t)(K * N + N) * 2;
            vkt_check(wb == want, "f16 graph: weight bytes %llu (want %llu: f16)", (unsigned long long)wb,
                      (unsigned long long)want);
        } else if (!st) {
            vkt_check(plan_count(g, "cast") == 0 && vka_graph_weight_bytes(g) == (uint64_t)(K * N + N) * 4 &&
                          vka_graph_precision(g) == VKA_PRECISION_F32,
                      "f32 graph: no casts, weight bytes %llu (f32)", (unsigned long long)vka_graph_weight_bytes(g));
        }
        free(s), free(r), free(t);
        vka_graph_destroy(g);
    }
    /* AUTO: f16 only on a non-CPU device with fp16 storage and arithmetic */
    const vka_device_info *d = vka_context_device(ctx);
    vka_precision want = d->type != VKA_DEVICE_CPU && d->fp16_storage && d->fp16_arith ? VKA_PRECISION_F16
                                                                                        : VKA_PRECISION_F32;
    vka_graph *g = small_graph(ctx, M, K, N, w, b, k);
    vka_graph_build_params bp = params(VKA_PRECISION_AUTO, 0);
    vka_status st = vka_graph_build(g, &bp);
    vkt_check(!st && vka_graph_precision(g) == want, "precision auto on %s (%s): %s (want %s)", d->name,
              vka_device_type_str(d->type), vka_precision_str(vka_graph_precision(g)), vka_precision_str(want));
    vka_graph_destroy(g);
    g = small_graph(ctx, M, K, N, w, b, k);
    bp = params((vka_precision)7, 0);
    vkt_expect_error("build with precision 7", vka_graph_build(g, &bp), VKA_ERR_INVALID_ARG, "unknown precision");
    vka_graph_destroy(g);
    free(x), free(w), free(b), free(xh), free(wh), free(bh), free(ys), free(rs), free(rmag), free(tv);
}

/* ---------------------------------------------------------------- bytes */

/* The model built f32 and f16 (not run): weights halved, activations without reuse about halved. */
static void check_bytes(vka_context *ctx, const char *model, const char *label)
{
    uint64_t w[2], a[2], an[2];
    for (int i = 0; i < 2; i++) {
        vka_graph *g = vka_onnx_load(ctx, model, NULL);
        vka_graph_build_params bp = params(i ? VKA_PRECISION_F16 : VKA_PRECISION_F32, 0);
        if (!g || vka_graph_build(g, &bp)) {
            vkt_check(0, "%s: build (%s): %s", label, i ? "f16" : "f32", vka_context_last_error(ctx));
            vka_graph_destroy(g);
            return;
        }
        w[i] = vka_graph_weight_bytes(g);
        a[i] = vka_graph_activation_bytes(g, &an[i]);
        vka_graph_destroy(g);
    }
    double rw = (double)w[1] / (double)w[0], ra = (double)an[1] / (double)an[0];
    vkt_check(w[0] > 0 && rw <= 0.51,
              "%s: weights %.2f MiB f32 -> %.2f MiB f16 (ratio %.3f, at most 0.51: f32 copies only where an f32 node "
              "reads a weight)",
              label, w[0] / 1048576.0, w[1] / 1048576.0, rw);
    vkt_check(an[0] > 0 && ra <= 0.55,
              "%s: activations without reuse %.2f MiB -> %.2f MiB (ratio %.3f, at most 0.55: f32 tails and casts); "
              "peak with reuse %.2f -> %.2f MiB",
              label, an[0] / 1048576.0, an[1] / 1048576.0, ra, a[0] / 1048576.0, a[1] / 1048576.0);
}

/* ---------------------------------------------------------------- DeiT-Tiny */

static void test_deit(vka_context *ctx, const char *golden, const char *how)
{
    const char *mp = vkt_asset("models/deit_tiny_patch16_224.onnx");
    if (!mp)
        return;
    char model[4096];
    snprintf(model, sizeof model, "%s", mp);
    const char *gp = vkt_asset(golden);
    vka_safetensors *st = gp ? vka_safetensors_open(gp) : NULL;
    const vka_st_tensor *in = st ? vka_safetensors_find(st, "pixel_values") : NULL;
    const vka_st_tensor *gold = st ? vka_safetensors_find(st, "logits") : NULL;
    if (!in || !gold) {
        vkt_check(0, "golden %s: %s", golden, vka_last_error());
        vka_safetensors_close(st);
        return;
    }
    vka_graph *g = vka_onnx_load(ctx, model, NULL);
    vka_graph_build_params bp = params(VKA_PRECISION_F16, 1);
    int64_t n = (int64_t)(gold->bytes / 4);
    float *logits = malloc(sizeof *logits * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        logits[i] = NAN;
    vka_status s = g ? vka_graph_build(g, &bp) : VKA_ERR_INVALID_ARG;
    if (!s)
        s = vka_graph_set_input(g, "pixel_values", in->data, in->bytes);
    if (!s)
        s = vka_graph_run(g);
    if (!s)
        s = vka_graph_get_output(g, "logits", logits, sizeof *logits * (size_t)n);
    if (s) {
        vkt_check(0, "DeiT-Tiny f16 on %s: %s", golden, vka_context_last_error(ctx));
    } else {
        double *ref = malloc(sizeof *ref * (size_t)n);
        const float *gf = gold->data;
        for (int64_t i = 0; i < n; i++)
            ref[i] = gf[i];
        char w[200];
        snprintf(w, sizeof w, "DeiT-Tiny f16%s on %s: logits vs ONNX Runtime", how, golden);
        vkt_compare(w, logits, ref, (size_t)n, 2e-2);
        int a[5], b[5];
        for (int j = 0; j < 5; j++) { /* top-5 of ours and of the golden */
            a[j] = b[j] = -1;
            for (int64_t i = 0; i < n; i++) {
                bool ua = false, ub = false;
                for (int t = 0; t < j; t++)
                    ua |= a[t] == i, ub |= b[t] == i;
                if (!ua && (a[j] < 0 || logits[i] > logits[a[j]]))
                    a[j] = (int)i;
                if (!ub && (b[j] < 0 || gf[i] > gf[b[j]]))
                    b[j] = (int)i;
            }
        }
        vkt_check(!memcmp(a, b, sizeof a), "DeiT-Tiny f16%s on %s: top-5 %d %d %d %d %d (ONNX Runtime %d %d %d %d %d)",
                  how, golden, a[0], a[1], a[2], a[3], a[4], b[0], b[1], b[2], b[3], b[4]);
        /* the probe reads f16 q and k with the f32 LSE of the same pass: exact rows sum to 1 */
        int64_t sh[4];
        s = vka_graph_attention_shape(g, -1, sh);
        size_t pn = s ? 0 : (size_t)(sh[0] * sh[1] * sh[3]);
        float *probe = malloc(sizeof *probe * (pn ? pn : 1));
        int32_t row = 0;
        if (!s)
            s = vka_graph_attention_probe(g, -1, 1, &row, probe, sizeof *probe * pn, NULL);
        double worst = s ? INFINITY : 0;
        for (int64_t h = 0; !s && h < sh[0] * sh[1]; h++) {
            double sum = 0;
            for (int64_t j = 0; j < sh[3]; j++)
                sum += probe[h * sh[3] + j];
            worst = fabs(sum - 1) > worst || isnan(sum) ? fabs(sum - 1) : worst;
        }
        vkt_check(!s && worst < 1e-3 && plan_count(g, "flash_attention") == 12,
                  "DeiT-Tiny f16%s: CLS probe rows sum to 1 (worst |sum-1| %.1e), 12 flash-attention nodes", how, worst);
        free(probe);
        free(ref);
    }
    free(logits);
    vka_graph_destroy(g);
    vka_safetensors_close(st);
}

/* DeiT-Tiny f16 once more on a context whose f16 GEMMs and flash attentions run the cooperative-matrix
 * kernels with their matrix operations emulated (VKATTN_COOPMAT=emulate): the kernels the devices with
 * NV cooperative matrices run, end to end on a real model. The debug log names the kernels recorded. */
static int saw_gemm, saw_attn;
static void kernel_log(void *user, int level, const char *msg)
{
    (void)user;
    saw_gemm |= strstr(msg, "gemm_coopmat_f16_emu") != NULL;
    saw_attn |= strstr(msg, "flash_attn_coopmat_f16_emu") != NULL;
    if (level <= VKA_LOG_WARN)
        vkt_log(NULL, level, msg);
}

static void test_deit_coopmat_emulated(const char *golden)
{
    vka_context *ec = vkt_context_coopmat_emulated(kernel_log, VKA_LOG_DEBUG);
    if (!ec) {
        vkt_check(0, "emulating context: %s", vka_last_error());
        return;
    }
    test_deit(ec, golden, " (coopmat kernels, emulated)");
    vkt_check(saw_gemm && saw_attn && vka_context_validation_errors(ec) == 0,
              "DeiT-Tiny f16 recorded gemm_coopmat_f16_emu (%s) and flash_attn_coopmat_f16_emu (%s), %d validation "
              "errors",
              saw_gemm ? "yes" : "no", saw_attn ? "yes" : "no", vka_context_validation_errors(ec));
    vka_context_destroy(ec);
}

/* ---------------------------------------------------------------- DEIMv2 */

static void test_deim(vka_context *ctx, const char *model, const char *label, const vka_safetensors *st)
{
    dets d;
    memset(&d, 0, sizeof d);
    vka_graph *g = vka_onnx_load(ctx, model, NULL);
    vka_graph_build_params bp = params(VKA_PRECISION_F16, 1);
    vka_status s = g ? vka_graph_build(g, &bp) : VKA_ERR_INVALID_ARG;
    if (!s)
        s = detr_feed_read(g, st, &d);
    if (s) {
        vkt_check(0, "%s: %s", label, vka_context_last_error(ctx));
    } else {
        /* the f16 acceptance (detections above 0.3: IoU > 0.95, score within 0.02); the raw sorted
         * scores within 3e-2 relative; boxes compared raw (3e-2 relative) only for the golden entries above
         * 0.3: below, a label has many entries of near-equal scores, and pairing by label and a score within
         * 0.02 pairs boxes of different objects */
        const detr_tol f16 = {3e-2, 2e-2f, 0.95, 2e-2f, 0, 0.3f};
        detr_check_tol(label, &d, st, 0.3f, &f16);
        detr_check_probe_tol(g, label, 3, 0.005, 2e-3);
    }
    free_dets(&d);
    vka_graph_destroy(g);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    const vka_device_info *dev = vka_context_device(ctx);
    if (!dev->fp16_storage || !dev->fp16_arith) {
        vka_graph *g = vka_graph_create(ctx);
        vka_graph_output(g, vka_graph_input(g, "x", VKA_F32, 1, (int64_t[]){3}), "x");
        vka_graph_build_params bp = params(VKA_PRECISION_F16, 0);
        vkt_expect_error("f16 graph on a device without fp16", vka_graph_build(g, &bp), VKA_ERR_UNSUPPORTED,
                         "precision f16");
        vka_graph_destroy(g);
        return vkt_finish();
    }
    test_rule(ctx);
    const char *imgs[3] = {"golden/deit_tiny_cats.safetensors", "golden/deit_tiny_kitten.safetensors",
                           "golden/deit_tiny_fish.safetensors"};
    for (int i = 0; i < 3; i++)
        test_deit(ctx, imgs[i], "");
    test_deit_coopmat_emulated(imgs[0]);
    const char *deit = vkt_asset("models/deit_tiny_patch16_224.onnx");
    if (deit) {
        char p[4096];
        snprintf(p, sizeof p, "%s", deit);
        check_bytes(ctx, p, "DeiT-Tiny");
    }
    const char *models[2] = {"atto", "femto"}, *images[3] = {"bus", "zidane", "cats"};
    for (int m = 0; m < 2; m++) {
        char rel[128], model[4096];
        snprintf(rel, sizeof rel, "models/deimv2_hgnetv2_%s_coco.onnx", models[m]);
        const char *mp = vkt_asset(rel);
        if (!mp)
            continue;
        snprintf(model, sizeof model, "%s", mp);
        for (int i = 0; i < 3; i++) {
            snprintf(rel, sizeof rel, "golden/deimv2_%s_%s.safetensors", models[m], images[i]);
            const char *gp = vkt_asset(rel);
            vka_safetensors *st = gp ? vka_safetensors_open(gp) : NULL;
            if (!st)
                continue;
            char label[96];
            snprintf(label, sizeof label, "DEIMv2 %s f16 on %s", models[m], images[i]);
            test_deim(ctx, model, label, st);
            vka_safetensors_close(st);
        }
        char label[64];
        snprintf(label, sizeof label, "DEIMv2 %s", models[m]);
        check_bytes(ctx, model, label);
    }
    return vkt_finish();
}
