/* classify.c — `vkattn classify`: image files through a ViT (ONNX or
 * safetensors) to top-k ImageNet classes, with optional attention heatmaps.
 * Decoding is on the host; resizing, cropping and normalizing on the device. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "vision.h"

static void classify_usage(void)
{
    printf("usage: vkattn classify MODEL IMAGE|FOLDER... [--top K] [--json] [--heatmap OUT.png] [--labels FILE]\n"
           "                       [--layer L] [--no-fuse]\n"
           "  MODEL is an .onnx ViT (one float input [1, 3, S, S], logits as output 0) or a .safetensors\n"
           "  ViT (timm, torchvision or Hugging Face names). A FOLDER stands for its images (jpg, png,\n"
           "  bmp, gif, tga, ppm; sorted by name). Each image is resized on the device as\n"
           "  torchvision's Resize(floor(S/0.875)) + CenterCrop(S) with PIL bilinear, and normalized with\n"
           "  the ImageNet mean/std (S = 224: resize 256, crop 224).\n"
           "  Prints per image its top K and its time split into preprocess (decode, upload), inference\n"
           "  (device resize + model + read back) and postprocess (softmax, top-k) ms, then a \"speed:\"\n"
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
           "  --no-fuse      run without the fusion passes\n");
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

typedef struct run_state {
    int top, layer, several;
    cJSON *json;                 /* --json: the results array; NULL for text */
    char **labels;
    int nlabels;
    const char *heatmap;
    cli_timings t;               /* summed over the images */
} run_state;

static int classify_one(vision_model *m, const char *path, int64_t image_id, run_state *st)
{
    double t0 = cli_now_ms();
    vka_image *img = vka_image_load(path);
    vka_tensor *rgb = NULL;
    int rc = 1;
    if (!img) {
        fprintf(stderr, "vkattn: %s\n", vka_last_error());
        return 1;
    }
    int64_t shape[3] = {img->height, img->width, 3};
    if (!(rgb = vka_tensor_create(m->ctx, VKA_U8, 3, shape)) || vka_tensor_upload(rgb, img->rgb, vka_tensor_bytes(rgb))) {
        fprintf(stderr, "vkattn: %s: %s\n", path, vka_context_last_error(m->ctx));
        goto done;
    }
    double t1 = cli_now_ms();
    if (cli_first_run(m, rgb, &st->t)) {
        fprintf(stderr, "vkattn: %s: %s\n", path, vka_context_last_error(m->ctx));
        goto done;
    }
    double t2 = cli_now_ms();
    /* softmax in double on the host: 1000 values, not worth a dispatch */
    entry *e = malloc(sizeof *e * (size_t)m->classes);
    if (!e)
        goto done;
    double mx = -INFINITY, sum = 0;
    for (int64_t i = 0; i < m->classes; i++) {
        e[i] = (entry){i, m->logits[i]};
        mx = e[i].logit > mx ? e[i].logit : mx;
    }
    for (int64_t i = 0; i < m->classes; i++)
        sum += exp(e[i].logit - mx);
    qsort(e, (size_t)m->classes, sizeof *e, cmp_entry);
    double t3 = cli_now_ms();
    cli_timings_add(&st->t, t1 - t0, st->t.last_inference_ms >= 0 ? st->t.last_inference_ms : t2 - t1, t3 - t2);
    int k = st->top < m->classes ? st->top : (int)m->classes;
    for (int i = 0; i < k; i++) {
        const char *label = e[i].index < st->nlabels ? st->labels[e[i].index] : "";
        double p = exp(e[i].logit - mx) / sum;
        if (st->json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "image_id", (double)image_id);
            cJSON_AddStringToObject(o, "file_name", path);
            cJSON_AddNumberToObject(o, "category_id", (double)e[i].index);
            cJSON_AddStringToObject(o, "label", label);
            cJSON_AddNumberToObject(o, "score", p);
            cJSON_AddNumberToObject(o, "rank", i + 1);
            cJSON_AddNumberToObject(o, "logit", e[i].logit);
            cJSON_AddItemToArray(st->json, o);
        } else {
            if (i == 0)
                printf("%s (%dx%d; preprocess %.1f ms, inference %.1f ms, postprocess %.1f ms)\n", path, img->width,
                       img->height, t1 - t0, st->t.last_inference_ms, t3 - t2);
            printf("  %2d. %4lld  %-28.28s  p %.4f  logit %7.3f\n", i + 1, (long long)e[i].index, label, p,
                   e[i].logit);
        }
    }
    fflush(stdout);
    char caption[200];
    snprintf(caption, sizeof caption, "%s %.2f", e[0].index < st->nlabels ? st->labels[e[0].index] : "class",
             exp(e[0].logit - mx) / sum);
    if (e[0].index >= st->nlabels)
        snprintf(caption, sizeof caption, "class %lld %.2f", (long long)e[0].index, exp(e[0].logit - mx) / sum);
    free(e);
    rc = 0;
    if (st->heatmap) {
        int heads, grid, w, h;
        float *maps = vision_cls_maps(m, st->layer, &heads, &grid);
        uint8_t *crop = maps ? vision_crop_rgb(m) : NULL;
        uint8_t *tiles = crop ? cli_heatmap_render(crop, m->size, maps, heads, grid, &w, &h) : NULL;
        char title[300];
        if (st->layer < 0)
            snprintf(title, sizeof title, "CLS attention, layer %d from the end; top-1: %s", -st->layer, caption);
        else
            snprintf(title, sizeof title, "CLS attention, layer %d; top-1: %s", st->layer, caption);
        uint8_t *pic = tiles ? cli_heatmap_label(tiles, w, h, m->size, heads, title, &w, &h) : NULL;
        free(tiles);
        char name[1024];
        cli_out_name(name, sizeof name, st->heatmap, path, st->several);
        if (!pic || vka_image_write_png(name, w, h, pic)) {
            if (pic)
                fprintf(stderr, "vkattn: %s\n", vka_last_error());
            rc = 1;
        } else if (!st->json) {
            printf("  heatmap: %s (%d heads + mean, layer %d, %dx%d grid)\n", name, heads, st->layer, grid, grid);
        }
        free(pic);
        free(crop);
        free(maps);
    }
done:
    vka_tensor_destroy(rgb);
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
        CLI_INT_OPT("--top", 1, 100000), CLI_STR_OPT("--heatmap"),   CLI_STR_OPT("--labels"),
        CLI_INT_OPT("--layer", -1000, 1000), CLI_FLAG_OPT("--json"), CLI_FLAG_OPT("--no-fuse"),
    };
    /* positional arguments: the model, then images */
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
    int nimg = 0;
    char **images = cli_expand_images(pos + 1, npos - 1, &nimg);
    int64_t *ids = calloc((size_t)(nimg ? nimg : 1), sizeof *ids);
    cli_image_ids((const char *const *)images, nimg, ids);
    st.several = nimg > 1;
    char deflab[4096];
    cli_default_labels(deflab, sizeof deflab, "imagenet1000_simple.txt");
    const char *labpath = cli_opt(argc, argv, "--labels", deflab);
    st.labels = cli_read_labels(labpath, &st.nlabels);
    vision_model m = {0};
    vka_context *ctx = NULL;
    int rc = 1;
    if (!st.labels) {
        fprintf(stderr, "vkattn: classify: cannot read labels %s\n", labpath);
        goto out;
    }
    if (!nimg) {
        fprintf(stderr, "vkattn: classify: no images\n");
        goto out;
    }
    ctx = cli_context(&argc, argv);
    vision_options vo = {.fuse = cli_flag(argc, argv, "--no-fuse") < 0, .probe = st.heatmap != NULL};
    if (!ctx || cli_load_model(&m, ctx, pos[0], VISION_CLASSIFIER, &vo, &st.t))
        goto out;
    if (st.nlabels != m.classes)
        fprintf(stderr, "vkattn: warning: %d labels in %s for %lld classes\n", st.nlabels, labpath,
                (long long)m.classes);
    if (cli_flag(argc, argv, "--json") > 0)
        st.json = cJSON_CreateArray();
    rc = 0;
    for (int i = 0; i < nimg; i++)
        rc |= classify_one(&m, images[i], ids[i], &st);
    if (st.json)
        rc |= cli_print_json(st.json, stdout);
    cli_timings_print(&st.t, st.json ? stderr : stdout);
out:
    vision_free(&m);
    if (ctx && vka_context_validation_errors(ctx)) {
        fprintf(stderr, "vkattn: %d validation errors\n", vka_context_validation_errors(ctx));
        rc = 1;
    }
    vka_context_destroy(ctx);
    cJSON_Delete(st.json);
    cli_free_labels(st.labels, st.nlabels);
    cli_free_labels(images, nimg);
    free(ids);
    free(pos);
    return rc;
}
