/* detect.c — `vkattn detect`: image files through an RT-DETR-family detector
 * exported with its postprocessor (DEIMv2) to labelled boxes, as
 * text, COCO results JSON, or the image annotated. Decoding and drawing are on
 * the host; resizing and scaling to [0, 1] on the device. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void detect_usage(void)
{
    printf("usage: vkattn detect MODEL.onnx IMAGE... [--threshold T] [--json] [--out FILE.png] [--labels FILE]\n"
           "                     [--heatmap] [--no-fuse] [--precision f32|f16|auto]\n"
           "  MODEL is an RT-DETR-family ONNX detector exported with its postprocessor inside, as DEIMv2's\n"
           "  (tested with DEIMv2 atto and femto, and RT-DETRv2's official tools/export_onnx.py):\n"
           "  inputs images f32 [1, 3, S, S] and orig_target_sizes int64 [1, 2] = [[width, height]],\n"
           "  outputs labels int64 [1, N], boxes f32 [1, N, 4] (x1 y1 x2 y2 in image pixels), scores\n"
           "  f32 [1, N]. Each image is resized on the device straight to S x S (aspect not kept,\n"
           "  bilinear, antialiased when downscaling, as PIL) and scaled to [0, 1], no mean/std; S is\n"
           "  read from the model (DEIMv2 atto 320, femto 416, RT-DETRv2 640). The graph is built once for\n"
           "  all images.\n"
           "  Output: per image a line \"# IMAGE (WxH): N detections, T ms\", then one line per\n"
           "  detection with score >= T: \"label score x1 y1 x2 y2\" (box clipped to the image, spaces\n"
           "  in label names written as '_').\n"
           "  --threshold T  keep detections with score >= T (default 0.5)\n"
           "  --json         instead, one JSON array for all images in the COCO results format:\n"
           "                 {\"image_id\", \"category_id\", \"bbox\": [x, y, w, h], \"score\", \"label\"};\n"
           "                 image_id is the file stem as a number when it is all digits\n"
           "                 (000000039769.jpg -> 39769), else the stem as a string; category_id is the\n"
           "                 official COCO id (1..90 with gaps) of the 80-class index\n"
           "  --out F        write the image with the kept boxes drawn (a colour per class) and tags\n"
           "                 \"label 0.81\"; with several images, F's stem gets _<image stem>\n"
           "                 (out.png -> out_bus.png, out_zidane.png)\n"
           "  --heatmap      with --out: under the boxes, where the last decoder layer's deformable\n"
           "                 attention sampled for the kept detections (weights of all heads, blurred,\n"
           "                 inferno colormap)\n"
           "  --labels FILE  one class name per line (default $VKATTN_ASSETS/labels/coco80.txt,\n"
           "                 VKATTN_ASSETS defaulting to ../shared/assets, then the installed labels)\n"
           "  --no-fuse      run without the fusion passes\n"
           "  --precision P  f32 (default), f16 or auto: storage of weights and activations\n"
           "  A failed image is reported on stderr and the exit status is 1; the other images still run.\n");
}

/* contiguous COCO-80 index -> official COCO category id (1..90 with gaps) */
static const int coco80_to_91[80] = {
    1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21,
    22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
    46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65,
    67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90,
};

typedef struct {
    double threshold;
    int json, several;
    int heatmap;                        /* --heatmap: where the decoder looked, under the boxes */
    int json_count;                     /* entries printed so far */
    const char *out;
    char **names;
    int nnames;
} options;

static const char *class_name(const options *o, int64_t c, char *buf, size_t n)
{
    if (c >= 0 && c < o->nnames && o->names[c][0])
        return o->names[c];
    snprintf(buf, n, "class%lld", (long long)c);
    return buf;
}

static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

/* The last run's detections with score >= threshold, boxes as the model gave them (caller frees). */
static vka_detection *kept_detections(vka_detector *m, double threshold, int *n)
{
    *n = vka_detector_results(m, threshold, NULL, 0);
    vka_detection *d = malloc(sizeof *d * (size_t)(*n > 0 ? *n : 1));
    if (d)
        vka_detector_results(m, threshold, d, *n);
    return d;
}

/* ------------------------------------------------------------ one image */

/* The last decoder layer's sampling weights of the kept detections (all heads)
 * as a heatmap blended into the image. */
static int draw_heat(vka_detector *m, vka_context *ctx, vka_image *img, const options *o)
{
    float map[CLI_DET_GRID * CLI_DET_GRID];
    if (vka_detector_heatmap(m, o->threshold, -1, -1, map, CLI_DET_GRID)) {
        fprintf(stderr, "vkattn: detect --heatmap: %s\n", vka_context_last_error(ctx));
        return 1;
    }
    cli_heat_blend(img->rgb, img->width, img->height, map, CLI_DET_GRID, 0.55f);
    return 0;
}

static int detect_one(vka_detector *m, vka_context *ctx, const char *path, options *o)
{
    double t0 = cli_now_ms();
    vka_image *img = vka_image_load(path);
    vka_detection *det = NULL;
    int rc = 1;
    if (!img) {
        fprintf(stderr, "vkattn: %s\n", vka_last_error());
        return 1;
    }
    if (vka_detector_run_image(m, img->rgb, img->width, img->height, 0)) {
        fprintf(stderr, "vkattn: %s: %s\n", path, vka_context_last_error(ctx));
        goto done;
    }
    int kept;
    if (!(det = kept_detections(m, o->threshold, &kept))) {
        fprintf(stderr, "vkattn: %s: out of host memory\n", path);
        goto done;
    }
    double ms = cli_now_ms() - t0;
    float W = (float)img->width, H = (float)img->height;
    if (!o->json)
        printf("# %s (%dx%d): %d detection%s, %.1f ms\n", path, img->width, img->height, kept, kept == 1 ? "" : "s",
               ms);
    int stemlen;
    const char *stem = cli_stem(path, &stemlen);
    int numeric = stemlen > 0 && stemlen <= 18;
    for (int k = 0; k < stemlen; k++)
        numeric &= stem[k] >= '0' && stem[k] <= '9';
    char buf[32], tag[96];
    for (int i = 0; i < kept; i++) {
        const float *b = det[i].box;
        float x1 = clampf(b[0], 0, W), y1 = clampf(b[1], 0, H), x2 = clampf(b[2], 0, W), y2 = clampf(b[3], 0, H);
        const char *name = class_name(o, det[i].label, buf, sizeof buf);
        if (o->json) {
            int64_t c = det[i].label;
            printf("%s{\"image_id\": ", o->json_count++ ? ",\n " : "");
            if (numeric)
                printf("%lld", strtoll(stem, NULL, 10) /* stops at the extension */);
            else {
                snprintf(tag, sizeof tag, "%.*s", stemlen < 80 ? stemlen : 80, stem);
                cli_json_str(tag);
            }
            printf(", \"category_id\": %lld, \"bbox\": [%.2f, %.2f, %.2f, %.2f], \"score\": %.5f, \"label\": ",
                   (long long)(c >= 0 && c < 80 ? coco80_to_91[c] : c), x1, y1, x2 - x1, y2 - y1, det[i].score);
            cli_json_str(name);
            putchar('}');
        } else {
            snprintf(tag, sizeof tag, "%s", name);
            for (char *p = tag; *p; p++)
                *p = *p == ' ' ? '_' : *p;
            printf("%s %.4f %.1f %.1f %.1f %.1f\n", tag, det[i].score, x1, y1, x2, y2);
        }
    }
    fflush(stdout);
    rc = 0;
    if (o->out && o->heatmap && (rc = draw_heat(m, ctx, img, o)))
        goto done;
    if (o->out) {
        /* lowest score first, so the surest boxes and tags end on top */
        for (int i = kept - 1; i >= 0; i--)
            cli_draw_detection(img->rgb, img->width, img->height, det[i].box, det[i].label,
                               class_name(o, det[i].label, buf, sizeof buf), det[i].score);
        char name[1024];
        cli_out_name(name, sizeof name, o->out, path, o->several);
        if (vka_image_write_png(name, img->width, img->height, img->rgb)) {
            fprintf(stderr, "vkattn: %s\n", vka_last_error());
            rc = 1;
        } else if (!o->json) {
            printf("# annotated: %s\n", name);
        }
    }
done:
    free(det);
    vka_image_free(img);
    return rc;
}

/* ------------------------------------------------------------ the command */

int cli_detect(int argc, char **argv)
{
    if (argc < 2 || cli_flag(argc, argv, "-h") > 0 || cli_flag(argc, argv, "--help") > 0) {
        detect_usage();
        return argc < 2 ? 2 : 0;
    }
    static const char *const valued[] = {"--threshold", "--out", "--labels", "--precision"};
    static const char *const flags[] = {"--json", "--no-fuse", "--heatmap"};
    int npos;
    const char **pos = cli_positionals(argc, argv, "detect", valued, 4, flags, 3, &npos);
    if (!pos)
        return 2;
    if (npos < 2) {
        fprintf(stderr, "vkattn: detect needs a model and at least one image\n");
        free(pos);
        return 2;
    }
    options o = {.json = cli_flag(argc, argv, "--json") > 0, .several = npos > 2};
    o.out = cli_opt(argc, argv, "--out", NULL);
    const char *ts = cli_opt(argc, argv, "--threshold", "0.5");
    char *end;
    o.threshold = strtod(ts, &end);
    if (end == ts || *end || !isfinite(o.threshold)) {
        fprintf(stderr, "vkattn: detect: --threshold \"%s\" is not a number\n", ts);
        free(pos);
        return 2;
    }
    char deflab[4096];
    cli_default_labels(deflab, sizeof deflab, "coco80.txt");
    const char *labpath = cli_opt(argc, argv, "--labels", deflab);
    o.names = cli_read_labels(labpath, &o.nnames);
    if (!o.names && cli_flag(argc, argv, "--labels") > 0) {
        fprintf(stderr, "vkattn: cannot read labels %s\n", labpath);
        free(pos);
        return 1;
    }
    if (!o.names)
        fprintf(stderr, "vkattn: warning: no labels at %s (set VKATTN_ASSETS or --labels); naming classes classN\n",
                labpath);

    vka_detector *m = NULL;
    int rc = 1;
    vka_context *ctx = cli_context(&argc, argv);
    o.heatmap = cli_flag(argc, argv, "--heatmap") > 0;
    vka_detector_params dp = vka_detector_default_params();
    dp.fuse = cli_flag(argc, argv, "--no-fuse") < 0;
    dp.heatmaps = o.heatmap;
    dp.clip = 0; /* clipped here, as the drawing clips */
    if (cli_precision(argc, argv, &dp.precision)) {
        rc = 2;
        goto out;
    }
    if (!ctx || !(m = vka_detector_create(ctx, pos[0], &dp))) {
        if (ctx)
            fprintf(stderr, "vkattn: %s\n", vka_last_error());
        goto out;
    }
    rc = 0;
    if (o.json)
        printf("[");
    for (int i = 1; i < npos; i++)
        rc |= detect_one(m, ctx, pos[i], &o);
    if (o.json)
        printf("]\n");
out:
    vka_detector_destroy(m);
    if (ctx && vka_context_validation_errors(ctx)) {
        fprintf(stderr, "vkattn: %d validation errors\n", vka_context_validation_errors(ctx));
        rc = 1;
    }
    vka_context_destroy(ctx);
    cli_free_labels(o.names, o.nnames);
    free(pos);
    return rc;
}
