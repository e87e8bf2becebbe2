/* SPDX-License-Identifier: MIT */
/* vision.c — frames into a vision model's input (vka_classifier,
 * vka_detector): host pixels uploaded, YUYV converted, resized and
 * normalized on the device; class names; runs in flight; and the
 * deformable-attention sampling heatmap. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "vision.h"

void vka__vision_init(vka__vision *v, vka_graph *g)
{
    memset(v, 0, sizeof *v);
    v->g = g;
    v->ctx = g ? g->ctx : NULL;
    v->pp = vka_preprocess_default_params();
}

vka_graph *vka__vision_load(vka_context *ctx, const char *path)
{
    if (!ctx || !path) {
        vka__set_tls_error("vision: %s is NULL", ctx ? "the model path" : "the context");
        return NULL;
    }
    size_t n = strlen(path);
    if (n > 12 && !strcmp(path + n - 12, ".safetensors"))
        return vka_vit_from_safetensors(ctx, path, NULL);
    return vka_onnx_load(ctx, path, NULL);
}

/* ------------------------------------------------------------ labels */

static vka_status add_label(vka__vision *v, const char *s, size_t len)
{
    char **nl = realloc(v->labels, sizeof *nl * (size_t)(v->nlabels + 1));
    if (!nl)
        return vka__err(v->ctx, VKA_ERR_OUT_OF_MEMORY, "vision: out of host memory for the labels");
    v->labels = nl;
    if (!(nl[v->nlabels] = malloc(len + 1)))
        return vka__err(v->ctx, VKA_ERR_OUT_OF_MEMORY, "vision: out of host memory for the labels");
    memcpy(nl[v->nlabels], s, len);
    nl[v->nlabels++][len] = 0;
    return VKA_OK;
}

vka_status vka__vision_labels(vka__vision *v, const char *const *labels, int n, const char *path)
{
    vka_status s = VKA_OK;
    if (labels) {
        if (n < 0)
            return vka__err(v->ctx, VKA_ERR_INVALID_ARG, "vision: label_count %d is negative", n);
        for (int i = 0; i < n && !s; i++)
            s = add_label(v, labels[i] ? labels[i] : "", labels[i] ? strlen(labels[i]) : 0);
        return s;
    }
    if (!path)
        return VKA_OK;
    FILE *f = fopen(path, "r");
    if (!f)
        return vka__err(v->ctx, VKA_ERR_NOT_FOUND, "vision: cannot open labels %s", path);
    char line[512];
    while (!s && fgets(line, sizeof line, f)) {
        size_t len = strcspn(line, "\r\n");
        if (len == strlen(line) && !feof(f)) { /* longer than the buffer: keep its start, skip the rest */
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
        }
        s = add_label(v, line, len);
    }
    if (!s && ferror(f))
        s = vka__err(v->ctx, VKA_ERR_IO, "vision: reading labels %s failed", path);
    fclose(f);
    return s;
}

const char *vka__vision_label(const vka__vision *v, int64_t i)
{
    return i >= 0 && i < v->nlabels ? v->labels[i] : NULL;
}

/* ------------------------------------------------------------ frames */

/* The device tensor holding the frame's pixels (the caller's, or ours after an upload). */
static vka_status frame_source(vka__vision *v, const vka_frame *f, vka_tensor **src)
{
    vka_context *ctx = v->ctx;
    int yuyv = f->format == VKA_FRAME_YUYV;
    if (!f->pixels) {
        vka_tensor *t = f->tensor;
        if (!t)
            return vka__err(ctx, VKA_ERR_INVALID_ARG, "vision: the frame has neither pixels nor a tensor");
        int ok = vka_tensor_dtype(t) == VKA_U8 &&
                 (yuyv ? vka_tensor_ndim(t) == 2 && vka_tensor_dim(t, 1) % 2 == 0
                       : vka_tensor_ndim(t) == 3 && vka_tensor_dim(t, 2) == 3);
        if (!ok || vka_tensor_numel(t) < 1)
            return vka__err(ctx, VKA_ERR_SHAPE, "vision: a %s frame tensor must be U8 %s (this is %s, %d axes)",
                            yuyv ? "YUYV" : "RGB8", yuyv ? "[height, width * 2], width even" : "[height, width, 3]",
                            vka_dtype_str(vka_tensor_dtype(t)), vka_tensor_ndim(t));
        *src = t;
        return VKA_OK;
    }
    if (f->width < 1 || f->height < 1 || f->width > (1 << 16) || f->height > (1 << 16))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vision: frame size %dx%d (want 1..65536 each)", f->width,
                        f->height);
    if (yuyv && f->width % 2)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vision: a YUYV frame's width must be even (this is %d)", f->width);
    size_t row = (size_t)f->width * (yuyv ? 2 : 3), stride = f->stride ? f->stride : row;
    if (stride < row)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vision: frame stride %zu is less than a row (%zu bytes)", stride,
                        row);
    vka_tensor **slot = yuyv ? &v->host_yuyv : &v->host_rgb;
    int64_t shape[3] = {f->height, yuyv ? 2 * (int64_t)f->width : f->width, 3};
    int nd = yuyv ? 2 : 3;
    if (*slot && (vka_tensor_dim(*slot, 0) != shape[0] || vka_tensor_dim(*slot, 1) != shape[1])) {
        vka_tensor_destroy(*slot);
        *slot = NULL;
    }
    if (!*slot && !(*slot = vka_tensor_create(ctx, VKA_U8, nd, shape)))
        return vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "vision: frame tensor %dx%d: %s", f->width, f->height,
                        vka_context_last_error(ctx));
    const uint8_t *px = f->pixels;
    size_t bytes = row * (size_t)f->height;
    if (stride != row) { /* rows packed on the host first */
        if (v->pack_bytes < bytes) {
            uint8_t *np = realloc(v->pack, bytes);
            if (!np)
                return vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "vision: out of host memory packing the frame");
            v->pack = np, v->pack_bytes = bytes;
        }
        for (int y = 0; y < f->height; y++)
            memcpy(v->pack + (size_t)y * row, px + (size_t)y * stride, row);
        px = v->pack;
    }
    vka_status s = vka_tensor_upload(*slot, px, bytes);
    if (s)
        return s;
    *src = *slot;
    return VKA_OK;
}

vka_status vka__vision_feed(vka__vision *v, const vka_frame *f)
{
    vka_context *ctx = v->ctx;
    if (!f)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vision: the frame is NULL");
    if (f->format != VKA_FRAME_RGB8 && f->format != VKA_FRAME_YUYV)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vision: frame format %d is neither VKA_FRAME_RGB8 nor "
                        "VKA_FRAME_YUYV", (int)f->format);
    if (v->pending)
        return vka__err(ctx, VKA_ERR_STATE, "vision: a run is in flight; poll or wait for it before the next frame");
    vka_tensor *src = NULL, *in = vka_graph_input_tensor(v->g, v->in_images);
    vka_status s;
    if (!in)
        return VKA_ERR_STATE;
    if ((s = frame_source(v, f, &src)))
        return s;
    vka_tensor *rgb = src;
    int64_t h = vka_tensor_dim(src, 0), w = vka_tensor_dim(src, 1);
    if (f->format == VKA_FRAME_YUYV) {
        w /= 2;
        int64_t rs[3] = {h, w, 3};
        if (v->yuyv_rgb && (vka_tensor_dim(v->yuyv_rgb, 0) != h || vka_tensor_dim(v->yuyv_rgb, 1) != w)) {
            vka_tensor_destroy(v->yuyv_rgb);
            v->yuyv_rgb = NULL;
        }
        if (!v->yuyv_rgb && !(v->yuyv_rgb = vka_tensor_create(ctx, VKA_U8, 3, rs)))
            return vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "vision: RGB of the YUYV frame: %s",
                            vka_context_last_error(ctx));
        rgb = v->yuyv_rgb;
    }
    /* recorded for every frame: the caller's tensor may be another one each time */
    if ((s = vka_cmd_begin(v->cmd)) || (rgb != src && (s = vka_yuyv_to_rgb(v->cmd, src, rgb))) ||
        (s = vka_preprocess(v->cmd, rgb, &v->pp, in)) || (s = vka_cmd_end(v->cmd)) || (s = vka_cmd_submit(v->cmd)))
        return s;
    v->sub_w = w, v->sub_h = h;
    return VKA_OK;
}

vka_status vka__vision_submit(vka__vision *v, const vka_submit_params *p)
{
    vka_submit_params sp = p ? *p : vka_submit_default_params();
    vka_status s = vka_graph_submit(v->g, &sp);
    if (!s)
        v->pending = 1;
    return s;
}

vka_status vka__vision_poll(vka__vision *v, int *done)
{
    *done = 0;
    if (!v->pending)
        return VKA_OK;
    vka_status s = vka_graph_poll(v->g);
    if (s == VKA_NOT_READY)
        return s;
    v->pending = 0;
    *done = s == VKA_OK;
    return s;
}

vka_status vka__vision_wait(vka__vision *v, int64_t timeout_ns, int *done)
{
    *done = 0;
    if (!v->pending)
        return VKA_OK;
    vka_status s = vka_graph_wait(v->g, timeout_ns);
    if (s == VKA_NOT_READY || s == VKA_ERR_TIMEOUT) /* still running: it may be waited for again */
        return s;
    v->pending = 0;
    *done = s == VKA_OK;
    return s;
}

void vka__vision_free(vka__vision *v)
{
    if (v->pending)
        vka_graph_wait(v->g, -1);
    vka_cmd_destroy(v->cmd);
    vka_graph_destroy(v->g);
    vka_tensor_destroy(v->host_rgb);
    vka_tensor_destroy(v->host_yuyv);
    vka_tensor_destroy(v->yuyv_rgb);
    free(v->pack);
    for (int i = 0; i < v->nlabels; i++)
        free(v->labels[i]);
    free(v->labels);
    memset(v, 0, sizeof *v);
}

/* ------------------------------------------------------------ detector heatmap */

vka_status vka_deform_heatmap(const float *loc, const float *wt, const vka_deform_probe_info *in,
                              const int64_t *queries, int nq, int head, int grid, float *map)
{
    if (!loc || !wt || !in || !map || (nq > 0 && !queries) || nq < 0 || grid < 1 || grid > 4096) {
        vka__set_tls_error("vka_deform_heatmap: %s", grid < 1 || grid > 4096 ? "grid must be 1..4096"
                                                                             : "a NULL buffer or a negative count");
        return VKA_ERR_INVALID_ARG;
    }
    const int G = grid;
    int64_t H = in->heads, P = in->points, Q = in->batch * in->queries;
    for (int i = 0; i < nq; i++)
        if (queries[i] < 0 || queries[i] >= Q) {
            vka__set_tls_error("vka_deform_heatmap: query %lld is outside 0..%lld", (long long)queries[i],
                               (long long)Q - 1);
            return VKA_ERR_INVALID_ARG;
        }
    float *tmp = malloc(sizeof(float) * (size_t)G * G);
    if (!tmp) {
        vka__set_tls_error("vka_deform_heatmap: out of host memory");
        return VKA_ERR_OUT_OF_MEMORY;
    }
    /* the weights splatted bilinearly on the grid */
    memset(map, 0, sizeof(float) * (size_t)G * G);
    for (int i = 0; i < nq; i++)
        for (int64_t h = 0; h < H; h++) {
            if (head >= 0 && h != head)
                continue;
            for (int64_t p = 0; p < P; p++) {
                size_t k = (size_t)((queries[i] * H + h) * P + p);
                float x = loc[2 * k] * G - 0.5f, y = loc[2 * k + 1] * G - 0.5f, w = wt[k];
                int x0 = (int)floorf(x), y0 = (int)floorf(y);
                float ax = x - x0, ay = y - y0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++) {
                        int gx = x0 + dx, gy = y0 + dy;
                        if (gx >= 0 && gy >= 0 && gx < G && gy < G)
                            map[gy * G + gx] += w * (dx ? ax : 1 - ax) * (dy ? ay : 1 - ay);
                    }
            }
        }
    /* two passes of a [1 2 1]/4 blur each way, then a square root: single
     * sampling points become visible blobs and weak ones still show */
    for (int pass = 0; pass < 4; pass++) {
        int horiz = pass % 2 == 0;
        for (int y = 0; y < G; y++)
            for (int x = 0; x < G; x++) {
                float a = horiz ? map[y * G + (x > 0 ? x - 1 : x)] : map[(y > 0 ? y - 1 : y) * G + x];
                float b = horiz ? map[y * G + (x + 1 < G ? x + 1 : x)] : map[(y + 1 < G ? y + 1 : y) * G + x];
                tmp[y * G + x] = 0.25f * a + 0.5f * map[y * G + x] + 0.25f * b;
            }
        memcpy(map, tmp, sizeof(float) * (size_t)G * G);
    }
    for (int i = 0; i < G * G; i++)
        map[i] = sqrtf(fmaxf(map[i], 0.0f));
    free(tmp);
    return VKA_OK;
}
