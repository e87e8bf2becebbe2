/* SPDX-License-Identifier: MIT */
/* classify.c — `vkattn classify`: image files through a ViT (ONNX or
 * safetensors) to top-k ImageNet classes, with optional attention heatmaps.
 * Decoding is on the host; resizing, cropping and normalizing on the device. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"

static void classify_usage(void)
{
    printf("usage: vkattn classify MODEL IMAGE|FOLDER... [--top K] [--json] [--heatmap OUT.png] [--labels FILE]\n"
           "                       [--layer L] [--no-fuse] [--precision f32|f16|auto]\n"
           "  MODEL is an .onnx ViT (one float input [1, 3, S, S], logits as output 0) or a .safetensors\n"
           "  ViT (timm, torchvision or Hugging Face names). A FOLDER stands for its images (jpg, png,\n"
           "  bmp, gif, tga, ppm; sorted by name). Each image is resized on the device as\n"
           "  torchvision's Resize(floor(S/0.875)) + CenterCrop(S) with PIL bilinear, and normalized with\n"
           "  the ImageNet mean/std (S = 224: resize 256, crop 224).\n"
           "  Prints per image its top K and its time split into preprocess (decode), inference (upload,\n"
           "  device resize + model, read back) and postprocess (softmax, top-k) ms, then a \"speed:\"\n"
           "  line with the means, the build time and the first run's pipeline compile time apart.\n"
           "  --top K        classes per image (default 5)\n"
           "  --json         instead, one JSON array (the shape detect --json writes too): an entry per\n"
           "                 image and class {\"image_id\", \"file_name\", \"category_id\" (class index),\n"
           "                 \"label\", \"score\" (softmax probability), \"rank\" (1..K), \"logit\"}; image_id\n"
           "                 is the file stem as a number when every stem is all digits, else the image's\n"
           "                 1-based position in the list. A failed image is reported on stderr only,\n"
           "                 status 1; the \"speed:\" line goes to stderr\n"
           "  --heatmap F    write the crop the model saw blended with the CLS-token attention of each head\n"
           "                 of layer L and with their mean, one tile per map (up to 4 per row), each\n"
           "                 labelled (head N, mean), a title with the layer and the top-1 class and score,\n"
           "                 and a colour bar (each tile scaled to its own min..max). With several images,\n"
           "                 F's stem gets _<image stem> (out/h.png -> out/h_cat.png)\n"
           "  --labels FILE  one class name per line (default $VKATTN_ASSETS/labels/imagenet1000_simple.txt,\n"
           "                 else the installed labels, else the ImageNet names built in)\n"
           "  --layer L      attention layer for --heatmap, 0-based, negative from the end (default -1)\n"
           "  --no-fuse      run without the fusion passes\n"
           "  --precision P  f32 (default), f16 or auto: storage of weights and activations\n");
}

/* ------------------------------------------------------------ one image */

typedef struct run_state {
    vka_classifier *m;
    vka_context *ctx;
    int top, layer, several;
    cJSON *json;                 /* --json: the results array; NULL for text */
    char **labels;
    int nlabels;
    const char *heatmap;
    const vka_image *img;        /* the image being run */
    cli_timings t;               /* summed over the images */
} run_state;

static vka_status run_image(void *user)
{
    run_state *st = user;
    return vka_classifier_run_image(st->m, st->img->rgb, st->img->width, st->img->height, 0);
}

static int write_heatmap(run_state *st, const char *path, const vka_class_score *best)
{
    int w, h, S = vka_classifier_input_size(st->m), rc = 1;
    vka_heatmap_info hi = {0};
    float *maps = NULL;
    uint8_t *crop = NULL;
    if (!vka_classifier_heatmaps(st->m, st->layer, NULL, 0, &hi)) { /* the sizes, then the maps */
        size_t bytes = sizeof(float) * (size_t)(hi.heads + 1) * (size_t)(hi.grid_h * hi.grid_w);
        if ((maps = malloc(bytes)) && vka_classifier_heatmaps(st->m, st->layer, maps, bytes, &hi))
            free(maps), maps = NULL;
    }
    if (maps && (crop = malloc((size_t)S * S * 3)) && vka_classifier_input_rgb(st->m, crop, (size_t)S * S * 3))
        free(crop), crop = NULL;
    if (!crop)
        fprintf(stderr, "vkattn: %s\n", vka_context_last_error(st->ctx));
    int heads = hi.heads, grid = hi.grid_h;
    uint8_t *tiles = crop ? cli_heatmap_render(crop, S, maps, heads, grid, &w, &h) : NULL;
    char caption[200], title[300];
    if (best->index < st->nlabels)
        snprintf(caption, sizeof caption, "%s %.2f", st->labels[best->index], best->prob);
    else
        snprintf(caption, sizeof caption, "class %lld %.2f", (long long)best->index, best->prob);
    int layer = st->layer < 0 ? hi.layers + st->layer : st->layer;
    snprintf(title, sizeof title, "CLS attention, layer %d of %d, top-1: %s", layer, hi.layers, caption);
    uint8_t *pic = tiles ? cli_heatmap_label(tiles, w, h, S, heads, title, &w, &h) : NULL;
    char name[1024];
    cli_out_name(name, sizeof name, st->heatmap, path, st->several);
    if (!pic || vka_image_write_png(name, w, h, pic)) {
        if (pic)
            fprintf(stderr, "vkattn: %s\n", vka_last_error());
    } else {
        rc = 0;
        if (!st->json)
            printf("  heatmap: %s (%d heads + mean, layer %d, %dx%d grid)\n", name, heads, layer, grid, grid);
    }
    free(tiles);
    free(pic);
    free(crop);
    free(maps);
    return rc;
}

static int classify_one(run_state *st, const char *path, int64_t image_id)
{
    double t0 = cli_now_ms();
    vka_image *img = vka_image_load(path);
    int rc = 1;
    if (!img) {
        fprintf(stderr, "vkattn: %s\n", vka_last_error());
        return 1;
    }
    st->img = img;
    double t1 = cli_now_ms();
    if (cli_timed_run(&st->t, st->ctx, run_image, st)) {
        fprintf(stderr, "vkattn: %s: %s\n", path, vka_context_last_error(st->ctx));
        vka_image_free(img);
        return 1;
    }
    double t2 = cli_now_ms();
    /* top-k with probabilities (softmax in double on the host) */
    int64_t classes = vka_classifier_classes(st->m);
    vka_class_score *e = malloc(sizeof *e * (size_t)(st->top < classes ? st->top : classes));
    if (!e) {
        fprintf(stderr, "vkattn: %s: out of host memory\n", path);
        vka_image_free(img);
        return 1;
    }
    int k = vka_classifier_top(st->m, st->top, e);
    double t3 = cli_now_ms();
    cli_timings_add(&st->t, t1 - t0, st->t.last_inference_ms, t3 - t2);
    if (!st->json)
        printf("%s (%dx%d; preprocess %.1f ms, inference %.1f ms, postprocess %.1f ms)\n", path, img->width,
               img->height, t1 - t0, st->t.last_inference_ms, t3 - t2);
    for (int i = 0; i < k; i++) {
        const char *label = e[i].index < st->nlabels ? st->labels[e[i].index] : "";
        if (st->json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "image_id", (double)image_id);
            cJSON_AddStringToObject(o, "file_name", path);
            cJSON_AddNumberToObject(o, "category_id", (double)e[i].index);
            cJSON_AddStringToObject(o, "label", label);
            cJSON_AddNumberToObject(o, "score", e[i].prob);
            cJSON_AddNumberToObject(o, "rank", i + 1);
            cJSON_AddNumberToObject(o, "logit", e[i].logit);
            cJSON_AddItemToArray(st->json, o);
        } else {
            printf("  %2d. %4lld  %-28.28s  p %.4f  logit %7.3f\n", i + 1, (long long)e[i].index, label, e[i].prob,
                   e[i].logit);
        }
    }
    fflush(stdout);
    rc = 0;
    if (st->heatmap && k > 0)
        rc = write_heatmap(st, path, &e[0]);
    free(e);
    vka_image_free(img);
    return rc;
}

/* ------------------------------------------------------------ the command */

int cli_classify(int argc, char **argv)
{
    if (argc < 2 || cli_wants_help(argc, argv)) {
        classify_usage();
        return argc < 2 ? 2 : 0;
    }
    static const cli_optdef defs[] = {
        CLI_INT_OPT("--top", 1, 100000),     CLI_STR_OPT("--heatmap"), CLI_STR_OPT("--labels"),
        CLI_INT_OPT("--layer", -1000, 1000), CLI_FLAG_OPT("--json"),   CLI_FLAG_OPT("--no-fuse"),
        CLI_ENUM_OPT("--precision", "f32|f16|auto"),
    };
    /* positional arguments: the model, then images or folders */
    int npos;
    const char **pos;
    if (cli_parse(argc, argv, "classify", defs, CLI_NDEFS(defs), &pos, &npos))
        return 2;
    if (npos < 2) {
        fprintf(stderr, "vkattn: classify needs a model and at least one image\n");
        free(pos);
        return 2;
    }
    run_state st = {.top = (int)cli_int(argc, argv, "--top", 5), .layer = (int)cli_int(argc, argv, "--layer", -1)};
    st.heatmap = cli_opt(argc, argv, "--heatmap", NULL);
    vka_classifier_params cp = vka_classifier_default_params();
    cp.fuse = cli_flag(argc, argv, "--no-fuse") < 0;
    cp.heatmaps = st.heatmap != NULL;
    if (cli_precision(argc, argv, &cp.precision)) {
        free(pos);
        return 2;
    }
    cli_batch b;
    int rc = cli_batch_open(&b, "classify", "imagenet1000_simple.txt", &argc, argv, pos + 1, npos - 1);
    if (rc)
        goto out;
    st.several = b.nimg > 1;
    st.labels = b.labels, st.nlabels = b.nlabels, st.ctx = b.ctx;
    rc = 1;
    cli_build_begin(pos[0]);
    st.m = vka_classifier_create(st.ctx, pos[0], &cp);
    cli_build_end(&st.t, st.ctx);
    if (!st.m) {
        fprintf(stderr, "vkattn: %s\n", vka_last_error());
        goto out;
    }
    if (st.nlabels != vka_classifier_classes(st.m))
        fprintf(stderr, "vkattn: warning: %d labels in %s for %lld classes\n", st.nlabels, b.labpath,
                (long long)vka_classifier_classes(st.m));
    if (cli_flag(argc, argv, "--json") > 0)
        st.json = cJSON_CreateArray();
    rc = 0;
    for (int i = 0; i < b.nimg; i++)
        rc |= classify_one(&st, b.images[i], b.ids[i]);
    if (st.json)
        rc |= cli_print_json(st.json, stdout);
    cli_timings_print(&st.t, st.json ? stderr : stdout);
out:
    vka_classifier_destroy(st.m);
    rc = cli_batch_close(&b, rc);
    cJSON_Delete(st.json);
    free(pos);
    return rc;
}
