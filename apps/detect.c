/* SPDX-License-Identifier: MIT */
/* detect.c — `vkattn detect`: image files through an RT-DETR-family detector
 * exported with its postprocessor (DEIMv2) to labelled boxes, as
 * text, COCO results JSON, or the image annotated. Decoding and drawing are on
 * the host; resizing and scaling to [0, 1] on the device. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"

static void detect_usage(void)
{
    printf("usage: vkattn detect MODEL.onnx IMAGE|FOLDER... [--threshold T] [--json] [--out FILE.png]\n"
           "                     [--labels FILE] [--heatmap] [--no-fuse] [--precision f32|f16|auto]\n"
           "  MODEL is an RT-DETR-family ONNX detector exported with its postprocessor inside, as DEIMv2's\n"
           "  (tested with DEIMv2 atto and femto, and RT-DETRv2's official tools/export_onnx.py):\n"
           "  inputs images f32 [1, 3, S, S] and orig_target_sizes int64 [1, 2] = [[width, height]],\n"
           "  outputs labels int64 [1, N], boxes f32 [1, N, 4] (x1 y1 x2 y2 in image pixels), scores\n"
           "  f32 [1, N]. Each image is resized on the device straight to S x S (aspect not kept,\n"
           "  bilinear, antialiased when downscaling, as PIL) and scaled to [0, 1], no mean/std; S is\n"
           "  read from the model (DEIMv2 atto 320, femto 416, RT-DETRv2 640). The graph is built once for\n"
           "  all images. A FOLDER stands for its images (jpg, png, bmp, gif, tga, ppm; sorted by name).\n"
           "  Output: per image a line \"# IMAGE (WxH): N detections; preprocess A ms, inference B ms,\n"
           "  postprocess C ms\", then one line per detection with score >= T: \"label score x1 y1 x2 y2\"\n"
           "  (box clipped to the image, spaces in label names written as '_'); at the end a \"speed:\"\n"
           "  line with the means, the build time and the first run's pipeline compile time apart.\n"
           "  --threshold T  keep detections with score >= T, 0..1 (default 0.5)\n"
           "  --json         instead, one JSON array for all images in the COCO results format (loadable\n"
           "                 by pycocotools' loadRes; the shape classify --json writes too):\n"
           "                 {\"image_id\", \"file_name\", \"category_id\", \"label\", \"score\", \"bbox\": [x, y, w, h]};\n"
           "                 image_id is the file stem as a number when every stem is all digits\n"
           "                 (000000039769.jpg -> 39769), else the image's 1-based position in the list\n"
           "                 (file_name says which); category_id is the official COCO id (1..90 with gaps)\n"
           "                 of the 80-class index. The \"speed:\" line goes to stderr\n"
           "  --out F        write the image with the kept boxes drawn (a colour per class) and tags\n"
           "                 \"label 0.81\"; with several images, F's stem gets _<image stem>\n"
           "                 (out.png -> out_bus.png, out_zidane.png)\n"
           "  --heatmap      with --out: under the boxes, where the last decoder layer's deformable\n"
           "                 attention sampled for the kept detections (weights of all heads, blurred,\n"
           "                 inferno colormap weighted by the heat, so the photo stays as it was where\n"
           "                 the decoder did not look), with a colour bar bottom left\n"
           "  --labels FILE  one class name per line (default $VKATTN_ASSETS/labels/coco80.txt, else the\n"
           "                 installed labels, else the COCO names built in)\n"
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
    int several;
    cJSON *json;                        /* --json: the results array; NULL for text */
    int heatmap;                        /* --heatmap: where the decoder looked, under the boxes */
    const char *out;
    char **names;
    int nnames;
    vka_detector *m;
    vka_context *ctx;
    const vka_image *img;               /* the image being run */
    cli_timings t;
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
 * as a heatmap blended into the image, weighted by the heat (the photo stays
 * bright where the decoder did not look), and a colour bar. */
static int draw_heat(options *o, vka_image *img)
{
    float map[CLI_DET_GRID * CLI_DET_GRID];
    if (vka_detector_heatmap(o->m, o->threshold, -1, -1, map, CLI_DET_GRID)) {
        fprintf(stderr, "vkattn: detect --heatmap: %s\n", vka_context_last_error(o->ctx));
        return 1;
    }
    cli_heat_blend(img->rgb, img->width, img->height, map, CLI_DET_GRID, 0.85f);
    /* the scale, bottom left: what the colours mean */
    int bw = img->width / 4 < 200 ? img->width / 4 : 200;
    if (bw >= 40 && img->height >= 40)
        cli_draw_colorbar(img->rgb, img->width, img->height, 8, img->height - 30, bw, 8, "low", "high attention");
    return 0;
}

static vka_status run_image(void *user)
{
    options *o = user;
    return vka_detector_run_image(o->m, o->img->rgb, o->img->width, o->img->height, 0);
}

static int detect_one(options *o, const char *path, int64_t image_id)
{
    double t0 = cli_now_ms();
    vka_image *img = vka_image_load(path);
    vka_detection *det = NULL;
    char *lines = NULL;
    int rc = 1;
    if (!img) {
        fprintf(stderr, "vkattn: %s\n", vka_last_error());
        return 1;
    }
    o->img = img;
    double t1 = cli_now_ms();
    if (cli_timed_run(&o->t, o->ctx, run_image, o)) {
        fprintf(stderr, "vkattn: %s: %s\n", path, vka_context_last_error(o->ctx));
        goto done;
    }
    double t2 = cli_now_ms();
    int kept;
    if (!(det = kept_detections(o->m, o->threshold, &kept))) {
        fprintf(stderr, "vkattn: %s: out of host memory\n", path);
        goto done;
    }
    float W = (float)img->width, H = (float)img->height;
    char buf[32], tag[96];
    /* text lines are collected first: the header carries the postprocess time */
    size_t cap = 256 + (size_t)kept * 128, len = 0;
    if (!o->json && (lines = malloc(cap)))
        lines[0] = 0;
    for (int i = 0; i < kept; i++) {
        const float *b = det[i].box;
        float x1 = clampf(b[0], 0, W), y1 = clampf(b[1], 0, H), x2 = clampf(b[2], 0, W), y2 = clampf(b[3], 0, H);
        const char *name = class_name(o, det[i].label, buf, sizeof buf);
        if (o->json) {
            int64_t c = det[i].label;
            cJSON *e = cJSON_CreateObject();
            /* COCO results: image_id, category_id, bbox [x, y, w, h], score; the rest is ignored by pycocotools */
            cJSON_AddNumberToObject(e, "image_id", (double)image_id);
            cJSON_AddStringToObject(e, "file_name", path);
            cJSON_AddNumberToObject(e, "category_id", (double)(c >= 0 && c < 80 ? coco80_to_91[c] : c));
            cJSON_AddStringToObject(e, "label", name);
            cJSON_AddNumberToObject(e, "score", round(det[i].score * 1e5) / 1e5);
            double bb[4] = {round(x1 * 100) / 100, round(y1 * 100) / 100, round((x2 - x1) * 100) / 100,
                            round((y2 - y1) * 100) / 100};
            cJSON_AddItemToObject(e, "bbox", cJSON_CreateDoubleArray(bb, 4));
            cJSON_AddItemToArray(o->json, e);
        } else if (lines) {
            snprintf(tag, sizeof tag, "%s", name);
            for (char *p = tag; *p; p++)
                *p = *p == ' ' ? '_' : *p;
            len += (size_t)snprintf(lines + len, cap - len, "%s %.4f %.1f %.1f %.1f %.1f\n", tag, det[i].score, x1, y1,
                                    x2, y2);
        }
    }
    double t3 = cli_now_ms();
    cli_timings_add(&o->t, t1 - t0, o->t.last_inference_ms, t3 - t2);
    if (lines)
        printf("# %s (%dx%d): %d detection%s; preprocess %.1f ms, inference %.1f ms, postprocess %.1f ms\n%s", path,
               img->width, img->height, kept, kept == 1 ? "" : "s", t1 - t0, o->t.last_inference_ms, t3 - t2, lines);
    fflush(stdout);
    rc = 0;
    if (o->out && o->heatmap && (rc = draw_heat(o, img)))
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
    free(lines);
    free(det);
    vka_image_free(img);
    return rc;
}

/* ------------------------------------------------------------ the command */

int cli_detect(int argc, char **argv)
{
    if (argc < 2 || cli_wants_help(argc, argv)) {
        detect_usage();
        return argc < 2 ? 2 : 0;
    }
    static const cli_optdef defs[] = {
        CLI_NUM_OPT("--threshold", 0, 1), CLI_STR_OPT("--out"),      CLI_STR_OPT("--labels"),
        CLI_FLAG_OPT("--json"),           CLI_FLAG_OPT("--no-fuse"), CLI_FLAG_OPT("--heatmap"),
        CLI_ENUM_OPT("--precision", "f32|f16|auto"),
    };
    int npos;
    const char **pos;
    if (cli_parse(argc, argv, "detect", defs, CLI_NDEFS(defs), &pos, &npos))
        return 2;
    if (cli_flag(argc, argv, "--heatmap") > 0 && !cli_opt(argc, argv, "--out", NULL)) {
        fprintf(stderr, "vkattn: detect: --heatmap draws into the --out image: give --out FILE.png\n");
        free(pos);
        return 2;
    }
    if (npos < 2) {
        fprintf(stderr, "vkattn: detect needs a model and at least one image\n");
        free(pos);
        return 2;
    }
    options o = {.threshold = cli_num(argc, argv, "--threshold", 0.5)};
    o.out = cli_opt(argc, argv, "--out", NULL);
    o.heatmap = cli_flag(argc, argv, "--heatmap") > 0;
    vka_detector_params dp = vka_detector_default_params();
    dp.fuse = cli_flag(argc, argv, "--no-fuse") < 0;
    dp.heatmaps = o.heatmap;
    dp.clip = 0; /* clipped here, as the drawing clips */
    if (cli_precision(argc, argv, &dp.precision)) {
        free(pos);
        return 2;
    }
    cli_batch b;
    int rc = cli_batch_open(&b, "detect", "coco80.txt", &argc, argv, pos + 1, npos - 1);
    if (rc)
        goto out;
    o.several = b.nimg > 1;
    o.names = b.labels, o.nnames = b.nlabels, o.ctx = b.ctx;
    rc = 1;
    cli_build_begin(pos[0]);
    o.m = vka_detector_create(o.ctx, pos[0], &dp);
    cli_build_end(&o.t, o.ctx);
    if (!o.m) {
        fprintf(stderr, "vkattn: %s\n", vka_last_error());
        goto out;
    }
    if (cli_flag(argc, argv, "--json") > 0)
        o.json = cJSON_CreateArray();
    rc = 0;
    for (int i = 0; i < b.nimg; i++)
        rc |= detect_one(&o, b.images[i], b.ids[i]);
    if (o.json)
        rc |= cli_print_json(o.json, stdout);
    cli_timings_print(&o.t, o.json ? stderr : stdout);
out:
    vka_detector_destroy(o.m);
    rc = cli_batch_close(&b, rc);
    cJSON_Delete(o.json);
    free(pos);
    return rc;
}
