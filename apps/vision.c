/* vision.c — loading, building and running the image models of classify,
 * detect and view (see vision.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vision.h"

/* A classifier: one float input [1, 3, S, S], float logits as output 0. */
static int classifier_io(vision_model *m, int quiet)
{
    vka_graph *g = m->g;
    int found = 0;
    for (int i = 0; i < vka_graph_input_count(g); i++) {
        vka_val v = vka_graph_input_at(g, i);
        const int64_t *s = vka_graph_shape(g, v);
        if (vka_graph_is_int(g, v) || vka_graph_dtype(g, v) != VKA_F32) {
            if (!quiet)
                fprintf(stderr, "vkattn: input %s is not float; a classifier has one image input only\n",
                        vka_graph_value_name(g, v));
            return 1;
        }
        if (vka_graph_ndim(g, v) != 4 || s[0] != 1 || s[1] != 3 || s[2] != s[3] || s[2] < 1) {
            if (!quiet)
                fprintf(stderr, "vkattn: input %s is not [1, 3, S, S]\n", vka_graph_value_name(g, v));
            return 1;
        }
        m->in_images = vka_graph_value_name(g, v);
        m->size = (int)s[2];
        found++;
    }
    if (found != 1 || vka_graph_output_count(g) < 1) {
        if (!quiet)
            fprintf(stderr, "vkattn: a classifier needs one float input and an output (this has %d inputs, %d "
                            "outputs)\n", vka_graph_input_count(g), vka_graph_output_count(g));
        return 1;
    }
    vka_val o = vka_graph_output_at(g, 0);
    m->out_logits = vka_graph_value_name(g, o);
    m->classes = 1;
    for (int k = 0; k < vka_graph_ndim(g, o); k++)
        m->classes *= vka_graph_shape(g, o)[k];
    if (vka_graph_is_int(g, o) || m->classes < 1) {
        if (!quiet)
            fprintf(stderr, "vkattn: output %s is not float logits\n", m->out_logits);
        return 1;
    }
    return 0;
}

/* A detector: inputs and outputs by dtype and shape, as exported by RT-DETR's
 * deploy script (images, orig_target_sizes -> labels, boxes, scores). */
static int detector_io(vision_model *m, int quiet)
{
    vka_graph *g = m->g;
    for (int i = 0; i < vka_graph_input_count(g); i++) {
        vka_val v = vka_graph_input_at(g, i);
        const int64_t *s = vka_graph_shape(g, v);
        int nd = vka_graph_ndim(g, v);
        if (!vka_graph_is_int(g, v) && vka_graph_dtype(g, v) == VKA_F32 && nd == 4 && s[0] == 1 && s[1] == 3 &&
            s[2] == s[3] && s[2] > 0 && !m->in_images) {
            m->in_images = vka_graph_value_name(g, v);
            m->size = (int)s[2];
        } else if (vka_graph_is_int(g, v) && nd == 2 && s[0] == 1 && s[1] == 2 && !m->in_sizes) {
            m->in_sizes = vka_graph_value_name(g, v);
        } else {
            if (!quiet)
                fprintf(stderr, "vkattn: unexpected input %s for a detector (want images f32 [1, 3, S, S] and "
                                "orig_target_sizes int64 [1, 2])\n", vka_graph_value_name(g, v));
            return 1;
        }
    }
    int64_t nb = -1, ns = -1;
    for (int i = 0; i < vka_graph_output_count(g); i++) {
        vka_val v = vka_graph_output_at(g, i);
        const int64_t *s = vka_graph_shape(g, v);
        int nd = vka_graph_ndim(g, v), isint = vka_graph_is_int(g, v);
        if (!strcmp(vka_graph_value_name(g, v), VKA_DETR_TOPK_OUTPUT))
            continue;
        if (isint && nd == 2 && s[0] == 1 && !m->out_labels)
            m->out_labels = vka_graph_value_name(g, v), m->n = s[1];
        else if (!isint && nd == 3 && s[0] == 1 && s[2] == 4 && !m->out_boxes)
            m->out_boxes = vka_graph_value_name(g, v), nb = s[1];
        else if (!isint && nd == 2 && s[0] == 1 && !m->out_scores)
            m->out_scores = vka_graph_value_name(g, v), ns = s[1];
    }
    if (!m->in_images || !m->in_sizes || !m->out_labels || !m->out_boxes || !m->out_scores || m->n < 1 ||
        nb != m->n || ns != m->n) {
        if (!quiet)
            fprintf(stderr, "vkattn: the model is not an RT-DETR-style detector: it needs inputs images "
                            "[1, 3, S, S] and orig_target_sizes [1, 2], outputs labels [1, N], boxes [1, N, 4], "
                            "scores [1, N]\n");
        return 1;
    }
    return 0;
}

int vision_load(vision_model *m, vka_context *ctx, const char *path, vision_kind kind, const vision_options *o)
{
    memset(m, 0, sizeof *m);
    m->ctx = ctx;
    m->safetensors = cli_ends_with(path, ".safetensors");
    m->g = m->safetensors ? vka_vit_from_safetensors(ctx, path, NULL) : vka_onnx_load(ctx, path, NULL);
    if (!m->g) {
        fprintf(stderr, "vkattn: %s\n", vka_last_error());
        return 1;
    }
    if (kind == VISION_AUTO) /* two inputs (image and its size): a detector */
        kind = vka_graph_input_count(m->g) == 2 ? VISION_DETECTOR : VISION_CLASSIFIER;
    m->kind = kind;
    if (kind == VISION_DETECTOR && o->trace_queries && vka_detr_trace_queries(m->g, &m->flat)) {
        fprintf(stderr, "vkattn: %s\n", vka_context_last_error(ctx));
        return 1;
    }
    if (kind == VISION_DETECTOR ? detector_io(m, 0) : classifier_io(m, 0))
        return 1;
    vka_graph_build_params bp = vka_graph_default_build_params();
    bp.fuse = o->fuse;
    bp.probe_attention = o->probe;
    bp.precision = o->precision;
    if (vka_graph_build(m->g, &bp)) {
        fprintf(stderr, "vkattn: %s\n", vka_context_last_error(ctx));
        return 1;
    }
    m->pp = vka_preprocess_default_params();
    if (kind == VISION_DETECTOR) { /* DETR preprocessing: a plain resize to S x S, pixels / 255 */
        m->pp.mode = VKA_RESIZE_SQUARE;
        m->pp.crop = m->pp.resize = m->size;
        for (int c = 0; c < 3; c++)
            m->pp.mean[c] = 0.0f, m->pp.std[c] = 1.0f;
        m->labels = malloc(sizeof(int64_t) * (size_t)m->n);
        m->boxes = malloc(sizeof(float) * 4 * (size_t)m->n);
        m->scores = malloc(sizeof(float) * (size_t)m->n);
        if (o->trace_queries)
            m->query = malloc(sizeof(int64_t) * (size_t)m->n);
    } else { /* timm's eval transform: resize to floor(S / crop_pct 0.875), center crop S */
        m->pp.crop = m->size;
        m->pp.resize = (int)floor(m->size / 0.875);
        m->logits = malloc(sizeof(float) * (size_t)m->classes);
    }
    if (!(m->cmd = vka_cmd_create(ctx))) {
        fprintf(stderr, "vkattn: %s\n", vka_context_last_error(ctx));
        return 1;
    }
    if (kind == VISION_DETECTOR ? !m->labels || !m->boxes || !m->scores || (o->trace_queries && !m->query)
                                : !m->logits) {
        fprintf(stderr, "vkattn: out of host memory\n");
        return 1;
    }
    return 0;
}

vka_status vision_submit(vision_model *m, vka_tensor *rgb, int slices)
{
    int64_t h = vka_tensor_dim(rgb, 0), w = vka_tensor_dim(rgb, 1);
    vka_tensor *in = vka_graph_input_tensor(m->g, m->in_images);
    vka_status s;
    if (!in)
        return VKA_ERR_STATE;
    /* record the preprocessing once per input tensor and size */
    if (m->cmd_rgb != rgb || m->cmd_w != w || m->cmd_h != h) {
        m->cmd_rgb = NULL;
        if ((s = vka_cmd_begin(m->cmd)) || (s = vka_preprocess(m->cmd, rgb, &m->pp, in)) || (s = vka_cmd_end(m->cmd)))
            return s;
        m->cmd_rgb = rgb, m->cmd_w = w, m->cmd_h = h;
    }
    if ((s = vka_cmd_submit(m->cmd)))
        return s;
    if (m->kind == VISION_DETECTOR) {
        int64_t sizes[2] = {w, h};
        if ((s = vka_graph_set_input(m->g, m->in_sizes, sizes, sizeof sizes)))
            return s;
    }
    vka_submit_params sp = vka_submit_default_params();
    sp.slices = slices;
    if ((s = vka_graph_submit(m->g, &sp)))
        return s;
    m->pending = 1;
    return VKA_OK;
}

/* The finished run's outputs into m. */
static vka_status collect(vision_model *m)
{
    vka_status s;
    m->pending = 0;
    if (m->kind == VISION_CLASSIFIER)
        return vka_graph_get_output(m->g, m->out_logits, m->logits, sizeof(float) * (size_t)m->classes);
    size_t n = (size_t)m->n;
    if ((s = vka_graph_get_output(m->g, m->out_labels, m->labels, sizeof(int64_t) * n)) ||
        (s = vka_graph_get_output(m->g, m->out_boxes, m->boxes, sizeof(float) * 4 * n)) ||
        (s = vka_graph_get_output(m->g, m->out_scores, m->scores, sizeof(float) * n)))
        return s;
    if (m->query) {
        if ((s = vka_graph_get_output(m->g, VKA_DETR_TOPK_OUTPUT, m->query, sizeof(int64_t) * n)))
            return s;
        vka_deform_probe_info info;
        int64_t per = 0;
        if (vka_graph_deform_count(m->g) > 0 && !vka_graph_deform_probe(m->g, -1, NULL, 0, NULL, 0, &info) &&
            info.queries > 0 && m->flat % info.queries == 0)
            per = m->flat / info.queries; /* classes */
        for (size_t i = 0; i < n; i++)
            m->query[i] = per > 0 ? m->query[i] / per : -1;
    }
    return VKA_OK;
}

vka_status vision_poll(vision_model *m)
{
    vka_status s = vka_graph_poll(m->g);
    if (s || !m->pending)
        return s;
    return collect(m);
}

vka_status vision_wait(vision_model *m)
{
    vka_status s = vka_graph_wait(m->g, -1);
    if (s || !m->pending)
        return s;
    return collect(m);
}

vka_status vision_run(vision_model *m, vka_tensor *rgb)
{
    vka_status s = vision_submit(m, rgb, 1);
    return s ? s : vision_wait(m);
}

float *vision_cls_maps(vision_model *m, int layer, int *heads, int *grid)
{
    int64_t sh[4];
    if (vka_graph_attention_count(m->g) < 1) {
        fprintf(stderr, "vkattn: heatmap: the model has no attention node\n");
        return NULL;
    }
    if (vka_graph_attention_shape(m->g, layer, sh)) {
        fprintf(stderr, "vkattn: heatmap: %s\n", vka_context_last_error(m->ctx));
        return NULL;
    }
    int64_t H = sh[0] * sh[1], nk = sh[3], gr = (int64_t)floor(sqrt((double)(nk - 1)));
    int64_t prefix = nk - gr * gr; /* CLS (and a distillation token, if any) before the patches */
    if (gr < 1 || prefix < 1 || prefix > 2) {
        fprintf(stderr, "vkattn: heatmap: attention over %lld tokens is not CLS + a square patch grid\n",
                (long long)nk);
        return NULL;
    }
    float *maps = malloc(sizeof(float) * (size_t)(H * gr * gr));
    float *rows = malloc(sizeof(float) * (size_t)(H * nk));
    vka_status s = VKA_ERR_OUT_OF_MEMORY;
    if (maps && rows && m->safetensors) {
        int64_t hh, gg;
        s = vka_vit_cls_attention(m->g, layer, maps, sizeof(float) * (size_t)(H * gr * gr), &hh, &gg, NULL);
    } else if (maps && rows) {
        int32_t row0 = 0; /* the CLS query */
        s = vka_graph_attention_probe(m->g, layer, 1, &row0, rows, sizeof(float) * (size_t)(H * nk), NULL);
        for (int64_t h = 0; !s && h < H; h++)
            memcpy(maps + h * gr * gr, rows + h * nk + prefix, sizeof(float) * (size_t)(gr * gr));
    }
    free(rows);
    if (s) {
        fprintf(stderr, "vkattn: heatmap: %s: %s\n", vka_status_str(s), vka_context_last_error(m->ctx));
        free(maps);
        return NULL;
    }
    *heads = (int)H;
    *grid = (int)gr;
    return maps;
}

uint8_t *vision_crop_rgb(vision_model *m)
{
    size_t S = (size_t)m->size;
    vka_tensor *in = vka_graph_input_tensor(m->g, m->in_images);
    float *px = malloc(sizeof(float) * 3 * S * S);
    uint8_t *rgb = malloc(S * S * 3);
    if (!in || !px || !rgb || vka_tensor_download(in, px, sizeof(float) * 3 * S * S)) {
        free(px), free(rgb);
        return NULL;
    }
    for (size_t i = 0; i < S * S; i++)
        for (int c = 0; c < 3; c++) {
            long v = lrintf((px[c * S * S + i] * m->pp.std[c] + m->pp.mean[c]) * 255.0f);
            rgb[i * 3 + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    free(px);
    return rgb;
}

void vision_free(vision_model *m)
{
    vka_cmd_destroy(m->cmd);
    vka_graph_destroy(m->g);
    free(m->logits), free(m->labels), free(m->boxes), free(m->scores), free(m->query);
    memset(m, 0, sizeof *m);
}
