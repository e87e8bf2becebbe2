/* SPDX-License-Identifier: MIT */
/* detector.c — vka_detector: an RT-DETR-family ONNX detector exported with
 * its postprocessor (DEIMv2, RT-DETRv2) from frame to labelled boxes, and
 * where its decoder looked for them (see vkattn.h, vision). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vision.h"

struct vka_detector {
    vka__vision v;
    char in_sizes[VKA_NAME_MAX]; /* orig_target_sizes; names copied (see vision.h) */
    char out_labels[VKA_NAME_MAX], out_boxes[VKA_NAME_MAX], out_scores[VKA_NAME_MAX];
    int64_t n;                   /* detections per frame */
    int trace;                   /* heatmaps: built with the probe, queries traced */
    int clip;
    int64_t flat;                /* queries x classes of the traced TopK */
    int64_t *labels;             /* [n] of the last finished run */
    float *boxes;                /* [n, 4] */
    float *scores;               /* [n] */
    int64_t *query;              /* [n] (trace) */
    int64_t w, h;                /* its frame */
    int have;
};

vka_detector_params vka_detector_default_params(void)
{
    vka_detector_params p = {.fuse = 1, .clip = 1};
    return p;
}

/* Inputs and outputs by dtype and shape, as RT-DETR's deploy script exports
 * them (images, orig_target_sizes -> labels, boxes, scores). */
static vka_status check_io(vka_detector *d)
{
    vka_graph *g = d->v.g;
    vka_context *ctx = d->v.ctx;
    for (int i = 0; i < vka_graph_input_count(g); i++) {
        vka_val v = vka_graph_input_at(g, i);
        const int64_t *s = vka_graph_shape(g, v);
        int nd = vka_graph_ndim(g, v);
        if (!vka_graph_is_int(g, v) && vka_graph_dtype(g, v) == VKA_F32 && nd == 4 && s[0] == 1 && s[1] == 3 &&
            s[2] == s[3] && s[2] > 0 && s[2] <= 65536 && !d->v.in_images[0]) {
            snprintf(d->v.in_images, sizeof d->v.in_images, "%s", vka_graph_value_name(g, v));
            d->v.size = (int)s[2];
        } else if (vka_graph_is_int(g, v) && nd == 2 && s[0] == 1 && s[1] == 2 && !d->in_sizes[0]) {
            snprintf(d->in_sizes, sizeof d->in_sizes, "%s", vka_graph_value_name(g, v));
        } else {
            return vka__err(ctx, VKA_ERR_SHAPE, "unexpected input %s for a detector (want images f32 [1, 3, S, S] "
                            "and orig_target_sizes int64 [1, 2])", vka_graph_value_name(g, v));
        }
    }
    int64_t nb = -1, ns = -1;
    for (int i = 0; i < vka_graph_output_count(g); i++) {
        vka_val v = vka_graph_output_at(g, i);
        const int64_t *s = vka_graph_shape(g, v);
        int nd = vka_graph_ndim(g, v), isint = vka_graph_is_int(g, v);
        if (!strcmp(vka_graph_value_name(g, v), VKA_DETR_TOPK_OUTPUT))
            continue;
        if (isint && nd == 2 && s[0] == 1 && !d->out_labels[0])
            snprintf(d->out_labels, sizeof d->out_labels, "%s", vka_graph_value_name(g, v)), d->n = s[1];
        else if (!isint && nd == 3 && s[0] == 1 && s[2] == 4 && !d->out_boxes[0])
            snprintf(d->out_boxes, sizeof d->out_boxes, "%s", vka_graph_value_name(g, v)), nb = s[1];
        else if (!isint && nd == 2 && s[0] == 1 && !d->out_scores[0])
            snprintf(d->out_scores, sizeof d->out_scores, "%s", vka_graph_value_name(g, v)), ns = s[1];
    }
    if (!d->v.in_images[0] || !d->in_sizes[0] || !d->out_labels[0] || !d->out_boxes[0] || !d->out_scores[0] || d->n < 1 ||
        d->n > (1 << 20) || nb != d->n || ns != d->n)
        return vka__err(ctx, VKA_ERR_SHAPE, "the model is not an RT-DETR-style detector: it needs inputs images "
                        "[1, 3, S, S] and orig_target_sizes [1, 2], outputs labels [1, N], boxes [1, N, 4], "
                        "scores [1, N]");
    return VKA_OK;
}

vka_detector *vka_detector_create_graph(vka_graph *g, const vka_detector_params *p)
{
    if (!g) {
        vka__set_tls_error("vka_detector_create_graph: the graph is NULL");
        return NULL;
    }
    vka_detector_params dp = vka_detector_default_params();
    if (!p)
        p = &dp;
    vka_detector *d = calloc(1, sizeof *d);
    if (!d) {
        vka_graph_destroy(g);
        vka__set_tls_error("vka_detector_create: out of host memory");
        return NULL;
    }
    vka__vision_init(&d->v, g);
    vka_context *ctx = d->v.ctx;
    d->trace = p->heatmaps != 0;
    d->clip = p->clip != 0;
    if (d->trace && vka_detr_trace_queries(g, &d->flat))
        goto fail;
    vka_graph_build_params bp = vka_graph_default_build_params();
    bp.fuse = p->fuse;
    bp.precision = p->precision;
    bp.probe_attention = d->trace;
    if (check_io(d) || vka__vision_labels(&d->v, p->labels, p->label_count, p->labels_path) ||
        vka_graph_build(g, &bp))
        goto fail;
    /* DETR preprocessing: a plain resize to S x S, pixels / 255 */
    d->v.pp.mode = VKA_RESIZE_SQUARE;
    d->v.pp.crop = d->v.pp.resize = d->v.size;
    for (int k = 0; k < 3; k++)
        d->v.pp.mean[k] = 0.0f, d->v.pp.std[k] = 1.0f;
    size_t n = (size_t)d->n;
    d->labels = malloc(sizeof(int64_t) * n);
    d->boxes = malloc(sizeof(float) * 4 * n);
    d->scores = malloc(sizeof(float) * n);
    d->query = malloc(sizeof(int64_t) * n);
    if (!d->labels || !d->boxes || !d->scores || !d->query) {
        vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "vka_detector_create: out of host memory");
        goto fail;
    }
    if (!(d->v.cmd = vka_cmd_create(ctx)))
        goto fail;
    return d;
fail:
    vka__set_tls_error("%s", vka_context_last_error(ctx));
    vka_detector_destroy(d);
    return NULL;
}

vka_detector *vka_detector_create(vka_context *ctx, const char *path, const vka_detector_params *p)
{
    vka_graph *g = vka__vision_load(ctx, path);
    return g ? vka_detector_create_graph(g, p) : NULL;
}

vka_detector *vka_detector_create_memory(vka_context *ctx, const void *onnx, size_t size, const vka_detector_params *p)
{
    if (!ctx) {
        vka__set_tls_error("vka_detector_create_memory: the context is NULL");
        return NULL;
    }
    vka_graph *g = vka_onnx_load_memory(ctx, onnx, size, NULL);
    return g ? vka_detector_create_graph(g, p) : NULL;
}

void vka_detector_destroy(vka_detector *d)
{
    if (!d)
        return;
    vka__vision_free(&d->v);
    free(d->labels), free(d->boxes), free(d->scores), free(d->query);
    free(d);
}

/* ------------------------------------------------------------ runs */

/* The finished run's outputs. */
static vka_status collect(vka_detector *d)
{
    vka_graph *g = d->v.g;
    size_t n = (size_t)d->n;
    vka_status s;
    d->have = 0;
    if ((s = vka_graph_get_output(g, d->out_labels, d->labels, sizeof(int64_t) * n)) ||
        (s = vka_graph_get_output(g, d->out_boxes, d->boxes, sizeof(float) * 4 * n)) ||
        (s = vka_graph_get_output(g, d->out_scores, d->scores, sizeof(float) * n)))
        return s;
    for (size_t i = 0; i < n; i++)
        d->query[i] = -1;
    if (d->trace) {
        if ((s = vka_graph_get_output(g, VKA_DETR_TOPK_OUTPUT, d->query, sizeof(int64_t) * n)))
            return s;
        vka_deform_probe_info info;
        int64_t per = 0;
        if (vka_graph_deform_count(g) > 0 && !vka_graph_deform_probe(g, -1, NULL, 0, NULL, 0, &info) &&
            info.queries > 0 && d->flat % info.queries == 0)
            per = d->flat / info.queries; /* classes */
        for (size_t i = 0; i < n; i++)
            d->query[i] = per > 0 ? d->query[i] / per : -1;
    }
    d->w = d->v.sub_w, d->h = d->v.sub_h;
    d->have = 1;
    return VKA_OK;
}

vka_status vka_detector_submit(vka_detector *d, const vka_frame *frame, const vka_submit_params *p)
{
    if (!d)
        return VKA_ERR_INVALID_ARG;
    vka_status s = vka__vision_feed(&d->v, frame);
    if (s)
        return s;
    int64_t sizes[2] = {d->v.sub_w, d->v.sub_h};
    if ((s = vka_graph_set_input(d->v.g, d->in_sizes, sizes, sizeof sizes)))
        return s;
    return vka__vision_submit(&d->v, p);
}

vka_status vka_detector_poll(vka_detector *d)
{
    if (!d)
        return VKA_ERR_INVALID_ARG;
    int done;
    vka_status s = vka__vision_poll(&d->v, &done);
    return done ? collect(d) : s;
}

vka_status vka_detector_wait(vka_detector *d, int64_t timeout_ns)
{
    if (!d)
        return VKA_ERR_INVALID_ARG;
    int done;
    vka_status s = vka__vision_wait(&d->v, timeout_ns, &done);
    return done ? collect(d) : s;
}

vka_status vka_detector_run(vka_detector *d, const vka_frame *frame)
{
    vka_status s = vka_detector_submit(d, frame, NULL);
    return s ? s : vka_detector_wait(d, -1);
}

vka_status vka_detector_run_image(vka_detector *d, const uint8_t *rgb, int width, int height, size_t stride)
{
    vka_frame f = {.format = VKA_FRAME_RGB8, .width = width, .height = height, .pixels = rgb, .stride = stride};
    if (d && !rgb)
        return vka__err(d->v.ctx, VKA_ERR_INVALID_ARG, "vka_detector_run_image: the pixels are NULL");
    return vka_detector_run(d, &f);
}

/* ------------------------------------------------------------ results */

static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

int vka_detector_results(const vka_detector *d, double threshold, vka_detection *out, int max)
{
    if (!d || !d->have)
        return 0;
    float W = (float)d->w, H = (float)d->h;
    int count = 0;
    for (int64_t i = 0; i < d->n; i++) {
        if (!(d->scores[i] >= threshold))
            continue;
        if (out && count < max) {
            vka_detection *o = &out[count];
            const float *b = d->boxes + 4 * i;
            for (int k = 0; k < 4; k++)
                o->box[k] = d->clip ? clampf(b[k], 0, k % 2 ? H : W) : b[k];
            o->score = d->scores[i];
            o->label = d->labels[i];
            o->name = vka__vision_label(&d->v, d->labels[i]);
            o->rank = (int)i;
            o->query = d->query[i];
        }
        count++;
    }
    return count;
}

int vka_detector_capacity(const vka_detector *d) { return d ? (int)d->n : 0; }
int vka_detector_input_size(const vka_detector *d) { return d ? d->v.size : 0; }
const char *vka_detector_label(const vka_detector *d, int64_t i) { return d ? vka__vision_label(&d->v, i) : NULL; }
vka_graph *vka_detector_graph(const vka_detector *d) { return d ? d->v.g : NULL; }

vka_status vka_detector_heatmap(vka_detector *d, double threshold, int layer, int head, float *map, int grid)
{
    if (!d || !map)
        return VKA_ERR_INVALID_ARG;
    vka_context *ctx = d->v.ctx;
    vka_graph *g = d->v.g;
    vka_deform_probe_info in;
    if (!d->trace)
        return vka__err(ctx, VKA_ERR_STATE, "heatmap: the detector was made without params.heatmaps");
    if (vka_graph_deform_count(g) < 1 || vka_graph_deform_probe(g, layer, NULL, 0, NULL, 0, &in))
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "the model has no deformable attention to probe");
    if (!d->have || d->v.pending)
        return vka__err(ctx, VKA_ERR_STATE, "heatmap: %s", d->v.pending ? "a run is in flight" : "no run yet");
    size_t n = (size_t)(in.batch * in.queries * in.heads * in.points);
    float *loc = malloc(sizeof(float) * 2 * n), *wt = malloc(sizeof(float) * n);
    int64_t *qs = malloc(sizeof(int64_t) * (size_t)d->n);
    int nq = 0;
    vka_status s = !loc || !wt || !qs ? vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "heatmap: out of host memory")
                                      : vka_graph_deform_probe(g, layer, loc, sizeof(float) * 2 * n, wt,
                                                               sizeof(float) * n, NULL);
    if (!s) {
        for (int64_t i = 0; i < d->n; i++)
            if (d->scores[i] >= threshold && d->query[i] >= 0)
                qs[nq++] = d->query[i];
        if ((s = vka_deform_heatmap(loc, wt, &in, qs, nq, head, grid, map)))
            vka__err(ctx, s, "%s", vka_last_error());
    }
    free(loc), free(wt), free(qs);
    return s;
}
