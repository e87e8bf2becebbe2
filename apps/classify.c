/* classify.c — `vkattn classify`: image files through a ViT (ONNX or
 * safetensors) to top-k ImageNet classes, with optional attention heatmaps.
 * Decoding is on the host; resizing, cropping and normalizing on the device. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void classify_usage(void)
{
    printf("usage: vkattn classify MODEL IMAGE... [--top K] [--json] [--heatmap OUT.png] [--labels FILE]\n"
           "                       [--layer L] [--no-fuse]\n"
           "  MODEL is an .onnx ViT (one float input [1, 3, S, S], logits as output 0) or a .safetensors\n"
           "  ViT (timm, torchvision or Hugging Face names). Each image is resized on the device as\n"
           "  torchvision's Resize(floor(S/0.875)) + CenterCrop(S) with PIL bilinear, and normalized with\n"
           "  the ImageNet mean/std (S = 224: resize 256, crop 224).\n"
           "  --top K        classes to print per image (default 5)\n"
           "  --json         one JSON object per image and line: {\"image\", \"width\", \"height\",\n"
           "                 \"top\": [{\"index\", \"label\", \"prob\", \"logit\"}], \"ms\"} (ms: decode to\n"
           "                 probabilities, wall clock); a failed image gives {\"image\", \"error\"}\n"
           "  --heatmap F    write the crop the model saw blended with the CLS-token attention of each head\n"
           "                 of layer L and with their mean: one tile per map, up to 4 tiles per row\n"
           "                 (DeiT-Tiny: 3 heads + mean = 4 tiles, 896x224). With several images,\n"
           "                 F's stem gets _<image stem> (out/h.png -> out/h_cat.png)\n"
           "  --labels FILE  one class name per line (default $VKATTN_ASSETS/labels/imagenet1000_simple.txt,\n"
           "                 VKATTN_ASSETS defaulting to ../shared/assets)\n"
           "  --layer L      attention layer for --heatmap, 0-based, negative from the end (default -1)\n"
           "  --no-fuse      run without the fusion passes\n");
}

typedef struct {
    vka_context *ctx;
    vka_graph *g;
    const char *input, *output;  /* graph value names */
    int size;                    /* S: the model's square input */
    int64_t classes;
    int safetensors;
    vka_cmd *cmd;                /* preprocessing, recorded per image (sizes differ) */
    vka_tensor *pixels;          /* F32 [1, 3, S, S] */
    float *host_pixels;
    float *logits;
} model;

/* The graph's single float input [1, 3, S, S] and its first output. */
static int find_io(model *m)
{
    int found = 0;
    for (int i = 0; i < vka_graph_input_count(m->g); i++) {
        vka_val v = vka_graph_input_at(m->g, i);
        const int64_t *s = vka_graph_shape(m->g, v);
        if (vka_graph_is_int(m->g, v) || vka_graph_dtype(m->g, v) != VKA_F32) {
            fprintf(stderr, "vkattn: input %s is not float; classify feeds one image input only\n",
                    vka_graph_value_name(m->g, v));
            return 1;
        }
        if (vka_graph_ndim(m->g, v) != 4 || s[0] != 1 || s[1] != 3 || s[2] != s[3] || s[2] < 1) {
            fprintf(stderr, "vkattn: input %s is not [1, 3, S, S]\n", vka_graph_value_name(m->g, v));
            return 1;
        }
        m->input = vka_graph_value_name(m->g, v);
        m->size = (int)s[2];
        found++;
    }
    if (found != 1 || vka_graph_output_count(m->g) < 1) {
        fprintf(stderr, "vkattn: the model needs one float input and an output (has %d inputs, %d outputs)\n",
                vka_graph_input_count(m->g), vka_graph_output_count(m->g));
        return 1;
    }
    vka_val o = vka_graph_output_at(m->g, 0);
    m->output = vka_graph_value_name(m->g, o);
    m->classes = 1;
    for (int k = 0; k < vka_graph_ndim(m->g, o); k++)
        m->classes *= vka_graph_shape(m->g, o)[k];
    if (vka_graph_is_int(m->g, o) || m->classes < 1) {
        fprintf(stderr, "vkattn: output %s is not float logits\n", m->output);
        return 1;
    }
    return 0;
}

/* The CLS row of attention layer `layer`: maps [H, grid, grid]. Caller frees. */
static float *cls_maps(model *m, int layer, int *heads, int *grid)
{
    int64_t sh[4];
    if (vka_graph_attention_count(m->g) < 1) {
        fprintf(stderr, "vkattn: --heatmap: the model has no attention node\n");
        return NULL;
    }
    if (vka_graph_attention_shape(m->g, layer, sh)) {
        fprintf(stderr, "vkattn: --heatmap: %s\n", vka_context_last_error(m->ctx));
        return NULL;
    }
    int64_t H = sh[0] * sh[1], nk = sh[3], gr = (int64_t)floor(sqrt((double)(nk - 1)));
    int64_t prefix = nk - gr * gr; /* CLS (and a distillation token, if any) before the patches */
    if (gr < 1 || prefix < 1 || prefix > 2) {
        fprintf(stderr, "vkattn: --heatmap: attention over %lld tokens is not CLS + a square patch grid\n",
                (long long)nk);
        return NULL;
    }
    float *maps = malloc(sizeof(float) * (size_t)(H * gr * gr));
    vka_status s;
    if (m->safetensors) {
        int64_t hh, gg;
        s = vka_vit_cls_attention(m->g, layer, maps, sizeof(float) * (size_t)(H * gr * gr), &hh, &gg, NULL);
    } else {
        float *rows = malloc(sizeof(float) * (size_t)(H * nk));
        int32_t row0 = 0; /* the CLS query */
        s = vka_graph_attention_probe(m->g, layer, 1, &row0, rows, sizeof(float) * (size_t)(H * nk), NULL);
        for (int64_t h = 0; !s && h < H; h++)
            memcpy(maps + h * gr * gr, rows + h * nk + prefix, sizeof(float) * (size_t)(gr * gr));
        free(rows);
    }
    if (s) {
        fprintf(stderr, "vkattn: --heatmap: %s: %s\n", vka_status_str(s), vka_context_last_error(m->ctx));
        free(maps);
        return NULL;
    }
    *heads = (int)H;
    *grid = (int)gr;
    return maps;
}

/* The crop the model saw, back to bytes from the normalized input. */
static uint8_t *crop_rgb(const model *m, const vka_preprocess_params *p)
{
    size_t S = (size_t)m->size;
    uint8_t *rgb = malloc(S * S * 3);
    for (size_t i = 0; i < S * S; i++)
        for (int c = 0; c < 3; c++) {
            long v = lrintf((m->host_pixels[c * S * S + i] * p->std[c] + p->mean[c]) * 255.0f);
            rgb[i * 3 + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    return rgb;
}

typedef struct {
    int64_t index;
    double logit;
} entry;

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->logit != y->logit)
        return x->logit < y->logit ? 1 : -1;
    return x->index < y->index ? -1 : 1;
}

/* ------------------------------------------------------------ one image */

static int classify_one(model *m, const char *path, const vka_preprocess_params *pp, int top, int json,
                        char **labels, int nlabels, const char *heatmap, int several, int layer)
{
    double t0 = cli_now_ms();
    vka_image *img = vka_image_load(path);
    vka_tensor *rgb = NULL;
    const char *err = NULL;
    char errbuf[1200];
    int rc = 1;
    if (!img) {
        err = vka_last_error();
        goto fail;
    }
    int64_t shape[3] = {img->height, img->width, 3};
    vka_status s = VKA_OK;
    if (!(rgb = vka_tensor_create(m->ctx, VKA_U8, 3, shape)) ||
        (s = vka_tensor_upload(rgb, img->rgb, vka_tensor_bytes(rgb))) || (s = vka_cmd_begin(m->cmd)) ||
        (s = vka_preprocess(m->cmd, rgb, pp, m->pixels)) || (s = vka_cmd_end(m->cmd)) ||
        (s = vka_cmd_submit(m->cmd)) ||
        (s = vka_tensor_download(m->pixels, m->host_pixels, vka_tensor_bytes(m->pixels))) ||
        (s = vka_graph_set_input(m->g, m->input, m->host_pixels, vka_tensor_bytes(m->pixels))) ||
        (s = vka_graph_run(m->g)) ||
        (s = vka_graph_get_output(m->g, m->output, m->logits, sizeof(float) * (size_t)m->classes))) {
        snprintf(errbuf, sizeof errbuf, "%s: %s", path, vka_context_last_error(m->ctx));
        err = errbuf;
        goto fail;
    }
    /* softmax in double on the host: 1000 values, not worth a dispatch */
    entry *e = malloc(sizeof *e * (size_t)m->classes);
    double mx = -INFINITY, sum = 0;
    for (int64_t i = 0; i < m->classes; i++) {
        e[i] = (entry){i, m->logits[i]};
        mx = e[i].logit > mx ? e[i].logit : mx;
    }
    for (int64_t i = 0; i < m->classes; i++)
        sum += exp(e[i].logit - mx);
    qsort(e, (size_t)m->classes, sizeof *e, cmp_entry);
    double ms = cli_now_ms() - t0;
    int k = top < m->classes ? top : (int)m->classes;
    if (json) {
        printf("{\"image\": ");
        cli_json_str(path);
        printf(", \"width\": %d, \"height\": %d, \"top\": [", img->width, img->height);
        for (int i = 0; i < k; i++) {
            printf(i ? ", {\"index\": %lld, \"label\": " : "{\"index\": %lld, \"label\": ", (long long)e[i].index);
            cli_json_str(e[i].index < nlabels ? labels[e[i].index] : "");
            printf(", \"prob\": %.6g, \"logit\": %.6g}", exp(e[i].logit - mx) / sum, e[i].logit);
        }
        printf("], \"ms\": %.1f}\n", ms);
    } else {
        printf("%s (%dx%d, %.1f ms)\n", path, img->width, img->height, ms);
        for (int i = 0; i < k; i++)
            printf("  %2d. %4lld  %-28.28s  p %.4f  logit %7.3f\n", i + 1, (long long)e[i].index,
                   e[i].index < nlabels ? labels[e[i].index] : "", exp(e[i].logit - mx) / sum, e[i].logit);
    }
    fflush(stdout);
    free(e);
    rc = 0;
    if (heatmap) {
        int heads, grid, w, h;
        float *maps = cls_maps(m, layer, &heads, &grid);
        uint8_t *crop = maps ? crop_rgb(m, pp) : NULL;
        uint8_t *pic = crop ? cli_heatmap_render(crop, m->size, maps, heads, grid, &w, &h) : NULL;
        char name[1024];
        cli_out_name(name, sizeof name, heatmap, path, several);
        if (!pic || vka_image_write_png(name, w, h, pic)) {
            if (pic)
                fprintf(stderr, "vkattn: %s\n", vka_last_error());
            rc = 1;
        } else if (!json) {
            printf("  heatmap: %s (%d heads + mean, layer %d, %dx%d grid)\n", name, heads, layer, grid, grid);
        }
        free(pic);
        free(crop);
        free(maps);
    }
    vka_tensor_destroy(rgb);
    vka_image_free(img);
    return rc;
fail:
    fprintf(stderr, "vkattn: %s\n", err);
    if (json) {
        printf("{\"image\": ");
        cli_json_str(path);
        printf(", \"error\": ");
        cli_json_str(err);
        printf("}\n");
        fflush(stdout);
    }
    vka_tensor_destroy(rgb);
    vka_image_free(img);
    return rc;
}

/* ------------------------------------------------------------ the command */

int cli_classify(int argc, char **argv)
{
    if (argc < 2 || cli_flag(argc, argv, "-h") > 0 || cli_flag(argc, argv, "--help") > 0) {
        classify_usage();
        return argc < 2 ? 2 : 0;
    }
    static const char *const valued[] = {"--top", "--heatmap", "--labels", "--layer"};
    static const char *const flags[] = {"--json", "--no-fuse"};
    /* positional arguments: the model, then images */
    int npos;
    const char **pos = cli_positionals(argc, argv, "classify", valued, 4, flags, 2, &npos);
    if (!pos)
        return 2;
    if (npos < 2) {
        fprintf(stderr, "vkattn: classify needs a model and at least one image\n");
        free(pos);
        return 2;
    }
    int top = atoi(cli_opt(argc, argv, "--top", "5"));
    int layer = atoi(cli_opt(argc, argv, "--layer", "-1"));
    int json = cli_flag(argc, argv, "--json") > 0;
    const char *heatmap = cli_opt(argc, argv, "--heatmap", NULL);
    char deflab[4096];
    cli_default_labels(deflab, sizeof deflab, "imagenet1000_simple.txt");
    const char *labpath = cli_opt(argc, argv, "--labels", deflab);
    int nlabels = 0;
    char **labels = cli_read_labels(labpath, &nlabels);
    if (!labels && cli_flag(argc, argv, "--labels") > 0) {
        fprintf(stderr, "vkattn: cannot read labels %s\n", labpath);
        free(pos);
        return 1;
    }
    if (!labels)
        fprintf(stderr, "vkattn: warning: no labels at %s (set VKATTN_ASSETS or --labels); printing indices only\n",
                labpath);

    model m = {0};
    int rc = 1;
    if (!(m.ctx = cli_context(&argc, argv)))
        goto out;
    m.safetensors = cli_ends_with(pos[0], ".safetensors");
    m.g = m.safetensors ? vka_vit_from_safetensors(m.ctx, pos[0], NULL) : vka_onnx_load(m.ctx, pos[0], NULL);
    if (!m.g) {
        fprintf(stderr, "vkattn: %s\n", vka_last_error());
        goto out;
    }
    vka_graph_build_params bp = vka_graph_default_build_params();
    bp.fuse = cli_flag(argc, argv, "--no-fuse") < 0;
    bp.probe_attention = heatmap != NULL;
    if (find_io(&m))
        goto out;
    if (vka_graph_build(m.g, &bp)) {
        fprintf(stderr, "vkattn: %s\n", vka_context_last_error(m.ctx));
        goto out;
    }
    if (labels && nlabels != m.classes)
        fprintf(stderr, "vkattn: warning: %d labels in %s for %lld classes\n", nlabels, labpath, (long long)m.classes);
    /* timm's eval transform: resize to floor(S / crop_pct 0.875), center crop S */
    vka_preprocess_params pp = vka_preprocess_default_params();
    pp.crop = m.size;
    pp.resize = (int)floor(m.size / 0.875);
    int64_t ps[4] = {1, 3, m.size, m.size};
    m.cmd = vka_cmd_create(m.ctx);
    m.pixels = vka_tensor_create(m.ctx, VKA_F32, 4, ps);
    m.host_pixels = malloc(sizeof(float) * 3 * (size_t)m.size * m.size);
    m.logits = malloc(sizeof(float) * (size_t)m.classes);
    if (!m.cmd || !m.pixels || !m.host_pixels || !m.logits) {
        fprintf(stderr, "vkattn: %s\n", vka_context_last_error(m.ctx));
        goto out;
    }
    rc = 0;
    for (int i = 1; i < npos; i++)
        rc |= classify_one(&m, pos[i], &pp, top > 0 ? top : 5, json, labels, labels ? nlabels : 0, heatmap,
                           npos > 2, layer);
out:
    free(m.host_pixels);
    free(m.logits);
    vka_tensor_destroy(m.pixels);
    vka_cmd_destroy(m.cmd);
    vka_graph_destroy(m.g);
    if (m.ctx && vka_context_validation_errors(m.ctx)) {
        fprintf(stderr, "vkattn: %d validation errors\n", vka_context_validation_errors(m.ctx));
        rc = 1;
    }
    vka_context_destroy(m.ctx);
    cli_free_labels(labels, nlabels);
    free(pos);
    return rc;
}
