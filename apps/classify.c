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
           "                       [--layer L] [--no-fuse] [--precision f32|f16|auto]\n"
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
           "                 VKATTN_ASSETS defaulting to ../shared/assets, then the installed labels)\n"
           "  --layer L      attention layer for --heatmap, 0-based, negative from the end (default -1)\n"
           "  --no-fuse      run without the fusion passes\n"
           "  --precision P  f32 (default), f16 or auto: storage of weights and activations\n");
}

/* ------------------------------------------------------------ one image */

static int classify_one(vka_classifier *m, vka_context *ctx, const char *path, int top, int json,
                        char **labels, int nlabels, const char *heatmap, int several, int layer)
{
    double t0 = cli_now_ms();
    vka_image *img = vka_image_load(path);
    const char *err = NULL;
    char errbuf[1200];
    int rc = 1;
    if (!img) {
        err = vka_last_error();
        goto fail;
    }
    if (vka_classifier_run_image(m, img->rgb, img->width, img->height, 0)) {
        snprintf(errbuf, sizeof errbuf, "%s: %s", path, vka_context_last_error(ctx));
        err = errbuf;
        goto fail;
    }
    /* top-k with probabilities (softmax in double on the host) */
    int64_t classes = vka_classifier_classes(m);
    vka_class_score *e = malloc(sizeof *e * (size_t)(top < classes ? top : classes));
    if (!e) {
        err = "out of host memory";
        goto fail;
    }
    int k = vka_classifier_top(m, top, e);
    double ms = cli_now_ms() - t0;
    if (json) {
        printf("{\"image\": ");
        cli_json_str(path);
        printf(", \"width\": %d, \"height\": %d, \"top\": [", img->width, img->height);
        for (int i = 0; i < k; i++) {
            printf(i ? ", {\"index\": %lld, \"label\": " : "{\"index\": %lld, \"label\": ", (long long)e[i].index);
            cli_json_str(e[i].index < nlabels ? labels[e[i].index] : "");
            printf(", \"prob\": %.6g, \"logit\": %.6g}", e[i].prob, e[i].logit);
        }
        printf("], \"ms\": %.1f}\n", ms);
    } else {
        printf("%s (%dx%d, %.1f ms)\n", path, img->width, img->height, ms);
        for (int i = 0; i < k; i++)
            printf("  %2d. %4lld  %-28.28s  p %.4f  logit %7.3f\n", i + 1, (long long)e[i].index,
                   e[i].index < nlabels ? labels[e[i].index] : "", e[i].prob, e[i].logit);
    }
    fflush(stdout);
    free(e);
    rc = 0;
    if (heatmap) {
        int w, h, S = vka_classifier_input_size(m);
        vka_heatmap_info hi = {0};
        float *maps = NULL;
        uint8_t *crop = NULL;
        if (!vka_classifier_heatmaps(m, layer, NULL, 0, &hi)) { /* the sizes, then the maps */
            size_t bytes = sizeof(float) * (size_t)(hi.heads + 1) * (size_t)(hi.grid_h * hi.grid_w);
            if ((maps = malloc(bytes)) && vka_classifier_heatmaps(m, layer, maps, bytes, &hi))
                free(maps), maps = NULL;
        }
        if (maps && (crop = malloc((size_t)S * S * 3)) && vka_classifier_input_rgb(m, crop, (size_t)S * S * 3))
            free(crop), crop = NULL;
        if (!crop)
            fprintf(stderr, "vkattn: %s\n", vka_context_last_error(ctx));
        int heads = hi.heads, grid = hi.grid_h;
        uint8_t *pic = crop ? cli_heatmap_render(crop, S, maps, heads, grid, &w, &h) : NULL;
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
    static const char *const valued[] = {"--top", "--heatmap", "--labels", "--layer", "--precision"};
    static const char *const flags[] = {"--json", "--no-fuse"};
    /* positional arguments: the model, then images */
    int npos;
    const char **pos = cli_positionals(argc, argv, "classify", valued, 5, flags, 2, &npos);
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

    vka_classifier *m = NULL;
    int rc = 1;
    vka_context *ctx = cli_context(&argc, argv);
    vka_classifier_params cp = vka_classifier_default_params();
    cp.fuse = cli_flag(argc, argv, "--no-fuse") < 0;
    cp.heatmaps = heatmap != NULL;
    if (cli_precision(argc, argv, &cp.precision)) {
        rc = 2;
        goto out;
    }
    if (!ctx || !(m = vka_classifier_create(ctx, pos[0], &cp))) {
        if (ctx)
            fprintf(stderr, "vkattn: %s\n", vka_last_error());
        goto out;
    }
    if (labels && nlabels != vka_classifier_classes(m))
        fprintf(stderr, "vkattn: warning: %d labels in %s for %lld classes\n", nlabels, labpath,
                (long long)vka_classifier_classes(m));
    rc = 0;
    for (int i = 1; i < npos; i++)
        rc |= classify_one(m, ctx, pos[i], top > 0 ? top : 5, json, labels, labels ? nlabels : 0, heatmap,
                           npos > 2, layer);
out:
    vka_classifier_destroy(m);
    if (ctx && vka_context_validation_errors(ctx)) {
        fprintf(stderr, "vkattn: %d validation errors\n", vka_context_validation_errors(ctx));
        rc = 1;
    }
    vka_context_destroy(ctx);
    cli_free_labels(labels, nlabels);
    free(pos);
    return rc;
}
