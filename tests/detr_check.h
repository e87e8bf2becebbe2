/* SPDX-License-Identifier: MIT */
/* detr_check.h — detections of an RT-DETR-family detector exported with its
 * postprocessor (labels [1, N] int64, boxes [1, N, 4] xyxy, scores [1, N]
 * sorted) against an ONNX Runtime golden; shared by test_detr.c (DEIMv2) and
 * test_rtdetr.c (RT-DETRv2). Header-only, after common.h.
 *
 *     dets d = {...};                        // our outputs, n = golden's N
 *     detr_check("DEIMv2 atto on bus", &d, golden, 0.3f);
 *     free_dets(&d);
 */
#ifndef VKA_TEST_DETR_CHECK_H
#define VKA_TEST_DETR_CHECK_H

#include <stdbool.h>

typedef struct {
    int64_t *labels;
    float *boxes, *scores;
    int n;
    int grid_samples, deform_attns, flash_attns;   /* in the executed plan */
    int dispatches;                                /* in the recording */
} dets;

static void free_dets(dets *d)
{
    free(d->labels), free(d->boxes), free(d->scores);
}

static double iou(const float *a, const float *b)
{
    double ix = fmax(0, fmin(a[2], b[2]) - fmax(a[0], b[0])), iy = fmax(0, fmin(a[3], b[3]) - fmax(a[1], b[1]));
    double inter = ix * iy, ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return ua > 0 ? inter / ua : 0;
}

/* How close detections must be: fp32 (detr_check) or f16 storage (test_f16). */
typedef struct {
    double raw;           /* relative error of the sorted scores and of the paired boxes */
    float pair_score;     /* a box is paired with a golden one of its label within this score */
    double min_iou;       /* a detection above min_score: IoU over this */
    float score;          /* ... and its score within this */
    int max_unpaired;     /* golden entries left without a box of ours (tail rank swaps); left out of the box compare */
    float box_min_score;  /* boxes compared for golden entries scoring at least this (0: all) */
} detr_tol;

static void detr_check_tol(const char *what, const dets *d, const vka_safetensors *st, float min_score,
                           const detr_tol *tol);

static void detr_check(const char *what, const dets *d, const vka_safetensors *st, float min_score)
{
    const detr_tol fp32 = {1e-3, 1e-4f, 0.99, 1e-3f, 0, 0};
    detr_check_tol(what, d, st, min_score, &fp32);
}

static void detr_check_tol(const char *what, const dets *d, const vka_safetensors *st, float min_score,
                           const detr_tol *tol)
{
    const vka_st_tensor *gl = vka_safetensors_find(st, "labels"), *gb = vka_safetensors_find(st, "boxes"),
                        *gs = vka_safetensors_find(st, "scores");
    if (!gl || !gb || !gs || d->n <= 0) {
        vkt_check(0, "%s: the golden lacks labels, boxes or scores", what);
        return;
    }
    const int64_t *glab = gl->data;
    const float *gbox = gb->data, *gsc = gs->data;
    int n = d->n;
    /* raw outputs: scores are sorted, so compare them as they are; boxes by the rank's box */
    double *ref = calloc(4 * (size_t)n, sizeof *ref);
    for (int i = 0; i < n; i++)
        ref[i] = gsc[i];
    char w[200];
    snprintf(w, sizeof w, "%s: %d scores vs ONNX Runtime", what, n);
    vkt_compare(w, d->scores, ref, (size_t)n, tol->raw);
    /* boxes: ranks of near-equal scores may swap, so each golden entry is paired with one of ours of
     * the same label whose score agrees within pair_score (the nearest box among those); the raw
     * relative bound then applies to the paired boxes */
    float *ours = calloc(4 * (size_t)n, sizeof *ours);
    bool *used = calloc((size_t)n, 1);
    int unpaired = 0, skipped = 0;
    for (int i = 0; i < n; i++) {
        if (gsc[i] < tol->box_min_score) {
            skipped++;
            continue;
        }
        int best = -1;
        double bd = INFINITY;
        for (int j = 0; j < n; j++) {
            if (used[j] || d->labels[j] != glab[i] || fabsf(d->scores[j] - gsc[i]) > tol->pair_score)
                continue;
            double dist = 0;
            for (int c = 0; c < 4; c++)
                dist += fabs(d->boxes[4 * j + c] - gbox[4 * i + c]);
            if (dist < bd)
                bd = dist, best = j;
        }
        /* an unpaired entry is NaN (a failure), or left out when the tolerance allows some */
        int k = i - skipped - (tol->max_unpaired ? unpaired : 0);
        if (best < 0) {
            unpaired++;
            for (int c = 0; c < 4 && !tol->max_unpaired; c++)
                ours[4 * k + c] = NAN, ref[4 * k + c] = gbox[4 * i + c];
            continue;
        }
        used[best] = true;
        memcpy(ours + 4 * k, d->boxes + 4 * best, 4 * sizeof(float));
        for (int c = 0; c < 4; c++)
            ref[4 * k + c] = gbox[4 * i + c];
    }
    int npaired = n - skipped - (tol->max_unpaired ? unpaired : 0);
    snprintf(w, sizeof w, "%s: %d boxes vs ONNX Runtime (paired by label and score; %d unpaired)", what, n - skipped,
             unpaired);
    vkt_compare(w, ours, ref, 4 * (size_t)npaired, tol->raw);
    if (tol->max_unpaired)
        vkt_check(unpaired <= tol->max_unpaired, "%s: %d of %d golden entries unpaired (at most %d)", what, unpaired,
                  n, tol->max_unpaired);
    free(ours), free(used), free(ref);
    /* detections above min_score: same label, IoU > min_iou, |score diff| < score (rank swaps of near-equal
     * scores allowed) */
    int found = 0, wanted = 0;
    for (int i = 0; i < n && gsc[i] > min_score; i++) {
        wanted++;
        int best = -1;
        double bi = 0;
        for (int j = 0; j < n; j++)
            if (d->labels[j] == glab[i] && fabsf(d->scores[j] - gsc[i]) < tol->score && iou(d->boxes + 4 * j, gbox + 4 * i) > bi)
                bi = iou(d->boxes + 4 * j, gbox + 4 * i), best = j;
        if (best >= 0 && bi > tol->min_iou)
            found++;
        else
            printf("  missing golden rank %d: label %lld score %.4f box %.1f %.1f %.1f %.1f (best IoU %.4f)\n", i,
                   (long long)glab[i], gsc[i], gbox[4 * i], gbox[4 * i + 1], gbox[4 * i + 2], gbox[4 * i + 3], bi);
    }
    vkt_check(found == wanted && wanted > 0,
              "%s: %d of %d golden detections with score > %.2f matched (same label, IoU > %.2f, score within %.0e)",
              what, found, wanted, min_score, tol->min_iou, tol->score);
}

/* The detection probe of the last decoder layer: shapes, each head's weights
 * sum to 1 over its points (they are a softmax), and locations are finite and
 * near the maps (sampling may reach a little past an edge). */
static void detr_check_probe_tol(vka_graph *g, const char *model, int layers, double max_far, double sum_tol);

static void detr_check_probe(vka_graph *g, const char *model, int layers, double max_far)
{
    detr_check_probe_tol(g, model, layers, max_far, 1e-5);
}

/* The same with the weights' sums within sum_tol of 1 (f16 storage rounds each weight). */
static void detr_check_probe_tol(vka_graph *g, const char *model, int layers, double max_far, double sum_tol)
{
    vka_deform_probe_info in;
    vka_status s = vka_graph_deform_probe(g, -1, NULL, 0, NULL, 0, &in);
    if (s) {
        vkt_check(0, "deform probe: %s", vka_context_last_error(vkt_ctx));
        return;
    }
    size_t nw = (size_t)(in.batch * in.queries * in.heads * in.points);
    float *loc = malloc(sizeof *loc * 2 * nw), *w = malloc(sizeof *w * nw);
    s = vka_graph_deform_probe(g, -1, loc, 8 * nw, w, 4 * nw, NULL);
    double worst = 0;
    int outside = 0, bad = 0;
    for (size_t i = 0; !s && i < nw / (size_t)in.points; i++) {
        double sum = 0;
        for (int64_t p = 0; p < in.points; p++)
            sum += w[i * (size_t)in.points + (size_t)p];
        worst = fabs(sum - 1) > worst ? fabs(sum - 1) : worst;
    }
    for (size_t i = 0; !s && i < 2 * nw; i++) {
        bad += !isfinite(loc[i]);
        outside += loc[i] < -0.5f || loc[i] > 1.5f;
    }
    int64_t psum = 0;
    for (int l = 0; l < in.desc.levels; l++)
        psum += in.desc.points[l];
    vkt_check(!s && vka_graph_deform_count(g) == layers && in.desc.levels >= 2 && psum == in.points && worst < sum_tol &&
                  !bad && outside < max_far * (double)(2 * nw),
              "%s detection probe: %d layers, last: %lld queries x %lld heads x %lld points over %d levels, "
              "weights sum to 1 (worst %.1e), %d of %zu coordinates far off the maps",
              model, vka_graph_deform_count(g), (long long)in.queries, (long long)in.heads, (long long)in.points,
              in.desc.levels, worst, outside, 2 * nw);
    free(loc), free(w);
}

/* Feeds a built RT-DETR-family graph the golden's inputs (images,
 * orig_target_sizes), runs it and reads labels, boxes and scores into *out,
 * allocated as many as the golden has and NaN-poisoned first. */
static vka_status detr_feed_read(vka_graph *g, const vka_safetensors *st, dets *out)
{
    vka_status s = VKA_OK;
    const char *in[2] = {"images", "orig_target_sizes"};
    for (int i = 0; i < 2 && !s; i++) {
        const vka_st_tensor *t = vka_safetensors_find(st, in[i]);
        s = t ? vka_graph_set_input(g, in[i], t->data, t->bytes) : VKA_ERR_NOT_FOUND;
    }
    if (!s)
        s = vka_graph_run(g);
    const vka_st_tensor *gl = vka_safetensors_find(st, "labels");
    int n = gl ? (int)gl->shape[1] : 0;
    out->n = n;
    out->labels = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    out->boxes = malloc(sizeof(float) * 4 * (size_t)(n ? n : 1));
    out->scores = malloc(sizeof(float) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        out->scores[i] = NAN;
    for (int i = 0; i < 4 * n; i++)
        out->boxes[i] = NAN;
    if (!s)
        s = vka_graph_get_output(g, "labels", out->labels, sizeof(int64_t) * (size_t)n);
    if (!s)
        s = vka_graph_get_output(g, "boxes", out->boxes, sizeof(float) * 4 * (size_t)n);
    if (!s)
        s = vka_graph_get_output(g, "scores", out->scores, sizeof(float) * (size_t)n);
    return s;
}

/* Loads, builds (fusion on or off) and runs the model on the golden's inputs images and
 * orig_target_sizes; out gets the outputs and the plan's grid_sample / deform_attn counts. With
 * fusion on, the probe of the last of the `layers` fused deformable attentions is checked too, with at
 * most the fraction max_far of its sampling coordinates far off the maps (outside [-0.5, 1.5]). */
static int detr_run(vka_context *ctx, const char *model, const vka_safetensors *st, int fuse, int layers, double max_far,
                    dets *out)
{
    memset(out, 0, sizeof *out);
    vka_graph *g = vka_onnx_load(ctx, model, NULL);
    if (!g) {
        vkt_check(0, "load %s: %s", model, vka_last_error());
        return 0;
    }
    vka_graph_build_params bp = vka_graph_default_build_params();
    bp.fuse = fuse;
    bp.probe_attention = fuse; /* the detection probe reads the fused deformable attention */
    vka_status s = vka_graph_build(g, &bp);
    if (!s)
        s = detr_feed_read(g, st, out);
    out->dispatches = vka_graph_dispatch_count(g);
    for (int i = 0; i < vka_graph_plan_size(g); i++) {
        out->grid_samples += !strcmp(vka_graph_plan_op(g, i), "grid_sample");
        out->deform_attns += !strcmp(vka_graph_plan_op(g, i), "deform_attn");
        out->flash_attns += !strcmp(vka_graph_plan_op(g, i), "flash_attention");
    }
    if (!s && fuse)
        detr_check_probe(g, model, layers, max_far);
    if (s)
        vkt_check(0, "%s (%s): %s", model, fuse ? "fused" : "unfused", vka_context_last_error(ctx));
    vka_graph_destroy(g);
    return s == VKA_OK;
}

#endif
