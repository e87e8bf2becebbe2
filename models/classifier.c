/* SPDX-License-Identifier: MIT */
/* classifier.c — vka_classifier: a ViT (ONNX or .safetensors) from frame to
 * top-k classes and per-head CLS attention heatmaps (see vkattn.h, vision). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vision.h"

struct vka_classifier {
    vka__vision v;
    char out_logits[VKA_NAME_MAX]; /* graph value name, copied (see vision.h) */
    int64_t classes;
    int heatmaps;                /* built with the attention probe */
    float *logits;               /* [classes] of the last finished run */
    int have;                    /* a run has finished */
};

vka_classifier_params vka_classifier_default_params(void)
{
    vka_preprocess_params pp = vka_preprocess_default_params();
    vka_classifier_params p = {.fuse = 1};
    memcpy(p.mean, pp.mean, sizeof p.mean);
    memcpy(p.std, pp.std, sizeof p.std);
    return p;
}

/* One float input [1, 3, S, S], float logits as output 0. */
static vka_status check_io(vka_classifier *c)
{
    vka_graph *g = c->v.g;
    vka_context *ctx = c->v.ctx;
    int found = 0;
    for (int i = 0; i < vka_graph_input_count(g); i++) {
        vka_val v = vka_graph_input_at(g, i);
        const int64_t *s = vka_graph_shape(g, v);
        if (vka_graph_is_int(g, v) || vka_graph_dtype(g, v) != VKA_F32)
            return vka__err(ctx, VKA_ERR_SHAPE, "input %s is not float; a classifier has one image input only",
                            vka_graph_value_name(g, v));
        if (vka_graph_ndim(g, v) != 4 || s[0] != 1 || s[1] != 3 || s[2] != s[3] || s[2] < 1 || s[2] > 65536)
            return vka__err(ctx, VKA_ERR_SHAPE, "input %s is not [1, 3, S, S]", vka_graph_value_name(g, v));
        snprintf(c->v.in_images, sizeof c->v.in_images, "%s", vka_graph_value_name(g, v));
        c->v.size = (int)s[2];
        found++;
    }
    if (found != 1 || vka_graph_output_count(g) < 1)
        return vka__err(ctx, VKA_ERR_SHAPE, "a classifier needs one float input and an output (this has %d inputs, "
                        "%d outputs)", vka_graph_input_count(g), vka_graph_output_count(g));
    vka_val o = vka_graph_output_at(g, 0);
    snprintf(c->out_logits, sizeof c->out_logits, "%s", vka_graph_value_name(g, o));
    c->classes = 1;
    for (int k = 0; k < vka_graph_ndim(g, o); k++)
        c->classes *= vka_graph_shape(g, o)[k];
    if (vka_graph_is_int(g, o) || c->classes < 1 || c->classes > (1 << 24))
        return vka__err(ctx, VKA_ERR_SHAPE, "output %s is not float logits", c->out_logits);
    return VKA_OK;
}

vka_classifier *vka_classifier_create_graph(vka_graph *g, const vka_classifier_params *p)
{
    if (!g) {
        vka__set_tls_error("vka_classifier_create_graph: the graph is NULL");
        return NULL;
    }
    vka_classifier_params d = vka_classifier_default_params();
    if (!p)
        p = &d;
    vka_classifier *c = calloc(1, sizeof *c);
    if (!c) {
        vka_graph_destroy(g);
        vka__set_tls_error("vka_classifier_create: out of host memory");
        return NULL;
    }
    vka__vision_init(&c->v, g);
    vka_context *ctx = c->v.ctx;
    vka_graph_build_params bp = vka_graph_default_build_params();
    bp.fuse = p->fuse;
    bp.precision = p->precision;
    bp.probe_attention = c->heatmaps = p->heatmaps != 0;
    if (p->resize < 0 || p->crop < 0 || (p->crop && p->resize && p->resize < p->crop)) {
        vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_classifier_create: resize %d, crop %d (want 0 or resize >= crop "
                 "> 0)", p->resize, p->crop);
        goto fail;
    }
    if (check_io(c) || vka__vision_labels(&c->v, p->labels, p->label_count, p->labels_path) ||
        vka_graph_build(g, &bp))
        goto fail;
    /* timm's eval transform unless the params say otherwise: resize to floor(S / 0.875), center crop S */
    c->v.pp.mode = VKA_RESIZE_SHORT_CROP;
    c->v.pp.crop = c->v.size; /* what the model takes: a crop of another size would not fit its input */
    c->v.pp.resize = p->resize ? p->resize : (int)floor(c->v.size / 0.875);
    if (p->crop && p->crop != c->v.size) {
        vka__err(ctx, VKA_ERR_SHAPE, "vka_classifier_create: crop %d differs from the model's input size %d",
                 p->crop, c->v.size);
        goto fail;
    }
    if (c->v.pp.resize < c->v.pp.crop) {
        vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_classifier_create: resize %d is below the crop %d", c->v.pp.resize,
                 c->v.pp.crop);
        goto fail;
    }
    memcpy(c->v.pp.mean, p->mean, sizeof p->mean);
    memcpy(c->v.pp.std, p->std, sizeof p->std);
    for (int k = 0; k < 3; k++)
        if (!(p->std[k] > 0) || !isfinite(p->mean[k]) || !isfinite(p->std[k])) {
            vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_classifier_create: mean[%d] %g, std[%d] %g (std must be > 0)",
                     k, p->mean[k], k, p->std[k]);
            goto fail;
        }
    if (!(c->logits = malloc(sizeof(float) * (size_t)c->classes))) {
        vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "vka_classifier_create: out of host memory");
        goto fail;
    }
    if (!(c->v.cmd = vka_cmd_create(ctx)))
        goto fail;
    return c;
fail:
    vka__set_tls_error("%s", vka_context_last_error(ctx));
    vka_classifier_destroy(c);
    return NULL;
}

vka_classifier *vka_classifier_create(vka_context *ctx, const char *path, const vka_classifier_params *p)
{
    vka_graph *g = vka__vision_load(ctx, path);
    return g ? vka_classifier_create_graph(g, p) : NULL;
}

vka_classifier *vka_classifier_create_memory(vka_context *ctx, const void *onnx, size_t size,
                                             const vka_classifier_params *p)
{
    if (!ctx) {
        vka__set_tls_error("vka_classifier_create_memory: the context is NULL");
        return NULL;
    }
    vka_graph *g = vka_onnx_load_memory(ctx, onnx, size, NULL);
    return g ? vka_classifier_create_graph(g, p) : NULL;
}

void vka_classifier_destroy(vka_classifier *c)
{
    if (!c)
        return;
    vka__vision_free(&c->v);
    free(c->logits);
    free(c);
}

/* ------------------------------------------------------------ runs */

static vka_status collect(vka_classifier *c)
{
    vka_status s = vka_graph_get_output(c->v.g, c->out_logits, c->logits, sizeof(float) * (size_t)c->classes);
    c->have = !s;
    return s;
}

vka_status vka_classifier_submit(vka_classifier *c, const vka_frame *frame, const vka_submit_params *p)
{
    if (!c)
        return VKA_ERR_INVALID_ARG;
    vka_status s = vka__vision_feed(&c->v, frame);
    return s ? s : vka__vision_submit(&c->v, p);
}

vka_status vka_classifier_poll(vka_classifier *c)
{
    if (!c)
        return VKA_ERR_INVALID_ARG;
    int done;
    vka_status s = vka__vision_poll(&c->v, &done);
    return done ? collect(c) : s;
}

vka_status vka_classifier_wait(vka_classifier *c, int64_t timeout_ns)
{
    if (!c)
        return VKA_ERR_INVALID_ARG;
    int done;
    vka_status s = vka__vision_wait(&c->v, timeout_ns, &done);
    return done ? collect(c) : s;
}

vka_status vka_classifier_run(vka_classifier *c, const vka_frame *frame)
{
    vka_status s = vka_classifier_submit(c, frame, NULL);
    return s ? s : vka_classifier_wait(c, -1);
}

vka_status vka_classifier_run_image(vka_classifier *c, const uint8_t *rgb, int width, int height, size_t stride)
{
    vka_frame f = {.format = VKA_FRAME_RGB8, .width = width, .height = height, .pixels = rgb, .stride = stride};
    if (c && !rgb)
        return vka__err(c->v.ctx, VKA_ERR_INVALID_ARG, "vka_classifier_run_image: the pixels are NULL");
    return vka_classifier_run(c, &f);
}

/* ------------------------------------------------------------ results */

static int cmp_score(const void *a, const void *b)
{
    const vka_class_score *x = a, *y = b;
    if (x->logit != y->logit)
        return x->logit < y->logit ? 1 : -1;
    return x->index < y->index ? -1 : 1;
}

int vka_classifier_top(const vka_classifier *c, int k, vka_class_score *out)
{
    if (!c || !c->have || k < 1 || !out)
        return 0;
    vka_class_score *e = malloc(sizeof *e * (size_t)c->classes);
    if (!e)
        return 0;
    /* softmax in double on the host: a few thousand values, not worth a dispatch */
    double mx = -INFINITY, sum = 0;
    for (int64_t i = 0; i < c->classes; i++) {
        e[i] = (vka_class_score){.index = i, .logit = c->logits[i], .label = vka__vision_label(&c->v, i)};
        mx = (double)c->logits[i] > mx ? (double)c->logits[i] : mx;
    }
    for (int64_t i = 0; i < c->classes; i++)
        sum += exp((double)c->logits[i] - mx);
    qsort(e, (size_t)c->classes, sizeof *e, cmp_score);
    int n = k < c->classes ? k : (int)c->classes;
    for (int i = 0; i < n; i++) {
        out[i] = e[i];
        out[i].prob = exp((double)e[i].logit - mx) / sum;
    }
    free(e);
    return n;
}

int64_t vka_classifier_classes(const vka_classifier *c) { return c ? c->classes : 0; }
const float *vka_classifier_logits(const vka_classifier *c) { return c && c->have ? c->logits : NULL; }
const char *vka_classifier_label(const vka_classifier *c, int64_t i) { return c ? vka__vision_label(&c->v, i) : NULL; }
int vka_classifier_input_size(const vka_classifier *c) { return c ? c->v.size : 0; }
vka_graph *vka_classifier_graph(const vka_classifier *c) { return c ? c->v.g : NULL; }

vka_preprocess_params vka_classifier_preprocess(const vka_classifier *c)
{
    return c ? c->v.pp : vka_preprocess_default_params();
}

void vka_classifier_crop_rect(const vka_classifier *c, int w, int h, float r[4])
{
    if (!c || !r || w < 1 || h < 1) {
        if (r)
            r[0] = r[1] = r[2] = r[3] = 0;
        return;
    }
    /* vka_preprocess's resize (shorter side to `resize`) and centre crop */
    const vka_preprocess_params *pp = &c->v.pp;
    double rw, rh;
    if (w <= h)
        rw = pp->resize, rh = floor((double)pp->resize * h / w);
    else
        rh = pp->resize, rw = floor((double)pp->resize * w / h);
    double left = floor((rw - pp->crop) / 2), top = floor((rh - pp->crop) / 2);
    r[0] = (float)(left * w / rw), r[1] = (float)(top * h / rh);
    r[2] = (float)((left + pp->crop) * w / rw), r[3] = (float)((top + pp->crop) * h / rh);
}

vka_status vka_classifier_input_rgb(vka_classifier *c, uint8_t *rgb, size_t bytes)
{
    if (!c || !rgb)
        return VKA_ERR_INVALID_ARG;
    size_t S = (size_t)c->v.size;
    if (bytes != S * S * 3)
        return vka__err(c->v.ctx, VKA_ERR_SHAPE, "vka_classifier_input_rgb: %zu bytes given for [%zu, %zu, 3]",
                        bytes, S, S);
    if (!c->have || c->v.pending)
        return vka__err(c->v.ctx, VKA_ERR_STATE, "vka_classifier_input_rgb: %s",
                        c->v.pending ? "a run is in flight" : "no run yet");
    vka_tensor *in = vka_graph_input_tensor(c->v.g, c->v.in_images);
    float *px = malloc(sizeof(float) * 3 * S * S);
    vka_status s = !in ? VKA_ERR_STATE : !px ? VKA_ERR_OUT_OF_MEMORY : vka_tensor_download(in, px, sizeof(float) * 3 * S * S);
    for (size_t i = 0; !s && i < S * S; i++)
        for (int k = 0; k < 3; k++) {
            long v = lrintf((px[k * S * S + i] * c->v.pp.std[k] + c->v.pp.mean[k]) * 255.0f);
            rgb[i * 3 + k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    free(px);
    return s;
}

vka_status vka_classifier_heatmaps(vka_classifier *c, int layer, float *maps, size_t bytes, vka_heatmap_info *info)
{
    if (!c)
        return VKA_ERR_INVALID_ARG;
    vka_context *ctx = c->v.ctx;
    vka_graph *g = c->v.g;
    int64_t sh[4];
    int layers = vka_graph_attention_count(g);
    if (layers < 1)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "heatmaps: the model has no attention node");
    vka_status s = vka_graph_attention_shape(g, layer, sh);
    if (s)
        return s;
    int64_t H = sh[0] * sh[1], nk = sh[3], gr = (int64_t)floor(sqrt((double)(nk - 1)));
    int64_t prefix = nk - gr * gr; /* CLS (and a distillation token, if any) before the patches */
    if (gr < 1 || prefix < 1 || prefix > 2)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "heatmaps: attention over %lld tokens is not CLS + a square "
                        "patch grid", (long long)nk);
    if (info)
        *info = (vka_heatmap_info){.heads = (int)H, .grid_h = (int)gr, .grid_w = (int)gr, .layers = layers};
    if (!maps)
        return VKA_OK;
    size_t gg = (size_t)(gr * gr);
    if (bytes < sizeof(float) * (size_t)(H + 1) * gg)
        return vka__err(ctx, VKA_ERR_SHAPE, "heatmaps: %zu bytes given for [%lld, %lld, %lld]", bytes,
                        (long long)H + 1, (long long)gr, (long long)gr);
    if (!c->heatmaps)
        return vka__err(ctx, VKA_ERR_STATE, "heatmaps: the classifier was made without params.heatmaps");
    if (!c->have || c->v.pending)
        return vka__err(ctx, VKA_ERR_STATE, "heatmaps: %s", c->v.pending ? "a run is in flight" : "no run yet");
    float *rows = malloc(sizeof(float) * (size_t)(H * nk));
    if (!rows)
        return vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "heatmaps: out of host memory");
    int32_t row0 = 0; /* the CLS query */
    s = vka_graph_attention_probe(g, layer, 1, &row0, rows, sizeof(float) * (size_t)(H * nk), NULL);
    for (int64_t h = 0; !s && h < H; h++)
        memcpy(maps + h * gg, rows + h * nk + prefix, sizeof(float) * gg);
    free(rows);
    if (s)
        return s;
    float *mean = maps + H * gg;
    memset(mean, 0, sizeof(float) * gg);
    for (int64_t h = 0; h < H; h++)
        for (size_t i = 0; i < gg; i++)
            mean[i] += maps[h * gg + i] / (float)H;
    return VKA_OK;
}
