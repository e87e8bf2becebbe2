/* SPDX-License-Identifier: MIT */
/* test_vision.c — the vision API (vka_classifier, vka_detector,
 * vka_deform_heatmap) against ONNX Runtime goldens.
 *
 * Classifier, DeiT-Tiny on the three photos of assets README 4.1: top-1 and
 * the top-5 set are ORT's, every logit within 0.1 of ORT's (our JPEG/PNG
 * decode and device resize differ a little from PIL's), the crop the model
 * saw within a few levels of the golden's input tensor; a host frame with a
 * stride, a device tensor and memory-loaded ONNX give bit-identical logits;
 * YUYV frames (host and device) classify like the RGB that the documented
 * BT.601 formula gives (float64 on the host); submit/poll and slices give the
 * blocking run's logits; CLS heatmaps are probabilities with the mean last.
 * Detector, DEIMv2 atto on bus.jpg: ORT's detections with score > 0.5
 * (label, IoU > 0.9), boxes clipped, queries traced, the sampling heatmap.
 * vka_deform_heatmap against a float64 reference on random samples and an
 * odd grid. Bad frames, models and labels: errors naming what is wrong, and
 * the object still works after them. */
#include "common.h"

static double iou(const float *a, const float *b)
{
    double ix = fmax(0, fmin(a[2], b[2]) - fmax(a[0], b[0])), iy = fmax(0, fmin(a[3], b[3]) - fmax(a[1], b[1]));
    double inter = ix * iy, ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return ua > 0 ? inter / ua : 0;
}

static float *copy_logits(const vka_classifier *c)
{
    int64_t n = vka_classifier_classes(c);
    const float *l = vka_classifier_logits(c);
    float *o = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        o[i] = l ? l[i] : NAN;
    return o;
}

static int same_floats(const float *a, const float *b, size_t n)
{
    return a && b && memcmp(a, b, sizeof(float) * n) == 0;
}

static double max_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, isfinite(a[i]) && isfinite(b[i]) ? fabs((double)a[i] - b[i]) : INFINITY);
    return m;
}

/* ------------------------------------------------------------ classifier vs ORT */

static const char *photos[3][2] = {
    {"images/coco_000000039769.png", "golden/deit_tiny_cats.safetensors"},
    {"images/ort_kitten_224.png", "golden/deit_tiny_kitten.safetensors"},
    {"images/ort_fish.png", "golden/deit_tiny_fish.safetensors"},
};

static void top5_of(const float *logits, int n, int top[5])
{
    for (int k = 0; k < 5; k++) {
        top[k] = -1;
        for (int i = 0; i < n; i++) {
            int taken = 0;
            for (int q = 0; q < k; q++)
                taken |= top[q] == i;
            if (!taken && (top[k] < 0 || logits[i] > logits[top[k]]))
                top[k] = i;
        }
    }
}

static void test_classifier_goldens(vka_classifier *c)
{
    vka_class_score none[1];
    vkt_check(vka_classifier_top(c, 1, none) == 0 && !vka_classifier_logits(c), "before a run: no top-k, no logits");
    for (int p = 0; p < 3; p++) {
        char ip[4096];
        const char *a = vkt_asset(photos[p][0]);
        if (!a)
            return;
        snprintf(ip, sizeof ip, "%s", a);
        vka_safetensors *st = (a = vkt_asset(photos[p][1])) ? vka_safetensors_open(a) : NULL;
        vka_image *img = vka_image_load(ip);
        if (!st || !img) {
            vkt_check(0, "%s: image and golden load", photos[p][0]);
            vka_safetensors_close(st), vka_image_free(img);
            continue;
        }
        const vka_st_tensor *gl = vka_safetensors_find(st, "logits"), *gx = vka_safetensors_find(st, "pixel_values");
        const float *ort = gl->data;
        vka_status s = vka_classifier_run_image(c, img->rgb, img->width, img->height, 0);
        vkt_check(!s, "%s: run_image %dx%d: %s", photos[p][0], img->width, img->height,
                  s ? vka_context_last_error(vkt_ctx) : "ok");
        vka_class_score t[5];
        int n = vka_classifier_top(c, 5, t), gt[5];
        top5_of(ort, 1000, gt);
        int in_set = 0;
        for (int k = 0; k < 5; k++)
            for (int q = 0; q < 5; q++)
                in_set += t[k].index == gt[q];
        vkt_check(n == 5 && t[0].index == gt[0] && in_set == 5,
                  "%s: top-1 %lld \"%s\" p %.4f (ORT %d), top-5 set = ORT's (%d of 5)", photos[p][0],
                  (long long)t[0].index, t[0].label ? t[0].label : "?", t[0].prob, gt[0], in_set);
        double psum = 0, d = max_diff(vka_classifier_logits(c), ort, 1000);
        for (int k = 0; k < 5; k++)
            psum += t[k].prob;
        int sorted = 1;
        for (int k = 1; k < 5; k++)
            sorted &= t[k].logit <= t[k - 1].logit && t[k].prob <= t[k - 1].prob;
        vkt_check(d < 0.1 && sorted && psum > 0 && psum <= 1 + 1e-9,
                  "%s: max |logit - ORT| %.4f (< 0.1), top-5 sorted, probabilities sum %.4f", photos[p][0], d, psum);
        /* the crop the model saw vs the golden's input tensor (PIL's resize), both as bytes */
        int S = vka_classifier_input_size(c);
        uint8_t *crop = malloc((size_t)S * S * 3);
        s = vka_classifier_input_rgb(c, crop, (size_t)S * S * 3);
        double mad = 0, mx = 0;
        const float *gp = gx->data, mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
        for (int i = 0; !s && i < S * S; i++)
            for (int k = 0; k < 3; k++) {
                double ref = ((double)gp[k * S * S + i] * sd[k] + mean[k]) * 255.0, e = fabs(crop[i * 3 + k] - ref);
                mad += e / (3.0 * S * S);
                mx = fmax(mx, e);
            }
        vkt_check(!s && mad < 0.75, "%s: input_rgb vs the golden's input: mean |diff| %.3f levels (< 0.75), max %.1f",
                  photos[p][0], mad, mx);
        free(crop);
        vka_image_free(img);
        vka_safetensors_close(st);
    }
}

/* ------------------------------------------------------------ frames */

/* BT.601 limited range, as vka_yuyv_to_rgb documents, in float64 */
static uint8_t clamp_u8(double v)
{
    double r = floor(v + 0.5);
    return (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
}

static void yuyv_to_rgb_ref(const uint8_t *yuyv, int w, int h, uint8_t *rgb)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            const uint8_t *p = yuyv + (size_t)y * w * 2 + (size_t)(x / 2) * 4;
            double Y = p[x % 2 ? 2 : 0] - 16.0, U = p[1] - 128.0, V = p[3] - 128.0;
            uint8_t *o = rgb + ((size_t)y * w + x) * 3;
            o[0] = clamp_u8(1.164 * Y + 1.596 * V);
            o[1] = clamp_u8(1.164 * Y - 0.392 * U - 0.813 * V);
            o[2] = clamp_u8(1.164 * Y + 2.017 * U);
        }
}

static void rgb_to_yuyv(const uint8_t *rgb, int w, int h, uint8_t *yuyv)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x += 2) {
            double Y[2], U = 0, V = 0;
            for (int k = 0; k < 2; k++) {
                const uint8_t *p = rgb + ((size_t)y * w + x + k) * 3;
                Y[k] = 16 + (65.481 * p[0] + 128.553 * p[1] + 24.966 * p[2]) / 255;
                U += (128 + (-37.797 * p[0] - 74.203 * p[1] + 112.0 * p[2]) / 255) / 2;
                V += (128 + (112.0 * p[0] - 93.786 * p[1] - 18.214 * p[2]) / 255) / 2;
            }
            uint8_t *o = yuyv + (size_t)y * w * 2 + (size_t)x * 2;
            o[0] = clamp_u8(Y[0]), o[1] = clamp_u8(U), o[2] = clamp_u8(Y[1]), o[3] = clamp_u8(V);
        }
}

static void test_frames(vka_classifier *c, const char *model)
{
    const char *a = vkt_asset("images/coco_000000039769.png");
    vka_image *img = a ? vka_image_load(a) : NULL;
    if (!img)
        return;
    int w = img->width, h = img->height;
    vka_status s = vka_classifier_run_image(c, img->rgb, w, h, 0);
    float *ref = copy_logits(c);
    vkt_check(!s, "cats: packed host frame");

    /* a stride with random bytes between the rows */
    size_t stride = (size_t)w * 3 + 37;
    uint8_t *big = malloc(stride * h);
    for (size_t i = 0; i < stride * h; i++)
        big[i] = (uint8_t)vkt_rand_u32();
    for (int y = 0; y < h; y++)
        memcpy(big + y * stride, img->rgb + (size_t)y * w * 3, (size_t)w * 3);
    s = vka_classifier_run_image(c, big, w, h, stride);
    float *o = copy_logits(c);
    vkt_check(!s && same_floats(o, ref, 1000), "host frame with stride %zu (37 bytes of noise per row): logits "
              "bit-identical to packed", stride);
    free(o);

    /* a device tensor */
    int64_t sh[3] = {h, w, 3};
    vka_tensor *t = vka_tensor_create(vkt_ctx, VKA_U8, 3, sh);
    vka_tensor_upload(t, img->rgb, (size_t)w * h * 3);
    vka_frame f = {.format = VKA_FRAME_RGB8, .tensor = t};
    s = vka_classifier_run(c, &f);
    o = copy_logits(c);
    vkt_check(!s && same_floats(o, ref, 1000), "RGB8 device tensor frame: logits bit-identical to the host frame");
    free(o);
    vka_tensor_destroy(t);

    /* ONNX from memory, freed once the classifier exists */
    FILE *fp = fopen(model, "rb");
    fseek(fp, 0, SEEK_END);
    long sz = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    void *buf = malloc((size_t)sz);
    size_t got = fread(buf, 1, (size_t)sz, fp);
    fclose(fp);
    vka_classifier *cm = got == (size_t)sz ? vka_classifier_create_memory(vkt_ctx, buf, (size_t)sz, NULL) : NULL;
    free(buf);
    s = cm ? vka_classifier_run_image(cm, img->rgb, w, h, 0) : VKA_ERR_NOT_FOUND;
    o = cm ? copy_logits(cm) : NULL;
    vkt_check(!s && same_floats(o, ref, 1000), "classifier from ONNX in memory: logits bit-identical%s%s",
              cm ? "" : ": ", cm ? "" : vka_last_error());
    free(o);
    vka_classifier_destroy(cm);

    /* YUYV: the host-made frame, its RGB by the documented formula in float64 as the reference */
    uint8_t *yuyv = malloc((size_t)w * h * 2), *rgb2 = malloc((size_t)w * h * 3);
    rgb_to_yuyv(img->rgb, w, h, yuyv);
    yuyv_to_rgb_ref(yuyv, w, h, rgb2);
    s = vka_classifier_run_image(c, rgb2, w, h, 0);
    float *yref = copy_logits(c);
    vka_frame yf = {.format = VKA_FRAME_YUYV, .width = w, .height = h, .pixels = yuyv};
    s = s ? s : vka_classifier_run(c, &yf);
    o = copy_logits(c);
    double d = max_diff(o, yref, 1000);
    vka_class_score t1;
    vka_classifier_top(c, 1, &t1);
    vkt_check(!s && d < 1e-2 && t1.index == 281, "YUYV host frame vs RGB from the BT.601 formula (float64): max "
              "|logit diff| %.2e (< 1e-2), top-1 %lld (tabby 281)", d, (long long)t1.index);
    free(o);
    int64_t ys[2] = {h, 2 * (int64_t)w};
    vka_tensor *yt = vka_tensor_create(vkt_ctx, VKA_U8, 2, ys);
    vka_tensor_upload(yt, yuyv, (size_t)w * h * 2);
    vka_frame ytf = {.format = VKA_FRAME_YUYV, .tensor = yt};
    s = vka_classifier_run(c, &ytf);
    o = copy_logits(c);
    d = max_diff(o, yref, 1000);
    vkt_check(!s && d < 1e-2, "YUYV device tensor frame: max |logit diff| %.2e (< 1e-2)", d);
    free(o);

    /* non-blocking: results only after poll says so, equal to the blocking run's */
    vka_frame rf = {.format = VKA_FRAME_RGB8, .width = w, .height = h, .pixels = img->rgb};
    for (int slices = 1; slices <= 5; slices += 4) {
        vka_submit_params sp = vka_submit_default_params();
        sp.slices = slices;
        s = vka_classifier_submit(c, &rf, &sp);
        vka_status again = vka_classifier_submit(c, &rf, NULL);
        int polls = 0;
        vka_status ps;
        while ((ps = vka_classifier_poll(c)) == VKA_NOT_READY) {
            polls++;
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        o = copy_logits(c);
        vkt_check(!s && again == VKA_ERR_STATE && ps == VKA_OK && polls > 0 && same_floats(o, ref, 1000),
                  "submit (%d slices) + poll: %d polls not ready, a second submit meanwhile %s, logits bit-identical "
                  "to the blocking run", slices, polls, vka_status_str(again));
        free(o);
    }
    vka_classifier_submit(c, &rf, NULL);
    s = vka_classifier_wait(c, -1);
    o = copy_logits(c);
    vkt_check(!s && same_floats(o, ref, 1000) && vka_classifier_poll(c) == VKA_OK && vka_classifier_wait(c, 0) == VKA_OK,
              "submit + wait: the same logits; poll and wait with nothing in flight: OK");
    free(o);
    vka_classifier_submit(c, &rf, NULL); /* left in flight: destroy must wait for it (valgrind/ASan builds see) */

    vka_tensor_destroy(yt);
    free(yuyv), free(rgb2), free(yref), free(ref), free(big);
    vka_image_free(img);
}

static void test_bad_frames(vka_classifier *c)
{
    vka_status s;
    uint8_t px[64 * 3] = {0};
    vka_classifier_wait(c, -1);
    s = vka_classifier_run(c, NULL);
    vkt_expect_error("NULL frame", s, VKA_ERR_INVALID_ARG, "frame is NULL");
    vka_frame f = {.format = (vka_frame_format)7, .width = 8, .height = 8, .pixels = px};
    s = vka_classifier_run(c, &f);
    vkt_expect_error("format 7", s, VKA_ERR_INVALID_ARG, "format 7");
    f = (vka_frame){.format = VKA_FRAME_RGB8, .width = 8, .height = 8};
    s = vka_classifier_run(c, &f);
    vkt_expect_error("no pixels, no tensor", s, VKA_ERR_INVALID_ARG, "neither pixels nor a tensor");
    s = vka_classifier_run_image(c, px, 0, 8, 0);
    vkt_expect_error("width 0", s, VKA_ERR_INVALID_ARG, "0x8");
    s = vka_classifier_run_image(c, px, 8, 8, 10);
    vkt_expect_error("stride 10 < 24", s, VKA_ERR_INVALID_ARG, "stride 10");
    s = vka_classifier_run_image(c, NULL, 8, 8, 0);
    vkt_expect_error("NULL pixels", s, VKA_ERR_INVALID_ARG, "NULL");
    f = (vka_frame){.format = VKA_FRAME_YUYV, .width = 7, .height = 4, .pixels = px};
    s = vka_classifier_run(c, &f);
    vkt_expect_error("YUYV width 7", s, VKA_ERR_INVALID_ARG, "even");
    int64_t sh[3] = {8, 8, 3};
    vka_tensor *t = vka_tensor_create(vkt_ctx, VKA_F32, 3, sh);
    f = (vka_frame){.format = VKA_FRAME_RGB8, .tensor = t};
    s = vka_classifier_run(c, &f);
    vkt_expect_error("F32 tensor as an RGB8 frame", s, VKA_ERR_SHAPE, "must be U8");
    f.format = VKA_FRAME_YUYV;
    s = vka_classifier_run(c, &f);
    vkt_expect_error("[8, 8, 3] tensor as a YUYV frame", s, VKA_ERR_SHAPE, "YUYV");
    vka_tensor_destroy(t);
    /* still usable: a tiny 2x3 image runs */
    uint8_t tiny[2 * 3 * 3] = {10, 200, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180};
    s = vka_classifier_run_image(c, tiny, 3, 2, 0);
    const float *l = vka_classifier_logits(c);
    int fin = l != NULL;
    for (int i = 0; l && i < 1000; i++)
        fin &= isfinite(l[i]);
    vkt_check(!s && fin, "after the errors: a 3x2 image runs, finite logits");
    vkt_check(vka_classifier_run(NULL, &f) == VKA_ERR_INVALID_ARG && vka_classifier_poll(NULL) == VKA_ERR_INVALID_ARG &&
              vka_classifier_top(NULL, 5, NULL) == 0, "NULL classifier: INVALID_ARG, top 0");
    uint8_t small[10];
    s = vka_classifier_input_rgb(c, small, sizeof small);
    vkt_expect_error("input_rgb with 10 bytes", s, VKA_ERR_SHAPE, "10 bytes");
    s = vka_classifier_heatmaps(c, -1, (float *)small, sizeof small, NULL);
    vkt_expect_error("heatmaps with 10 bytes", s, VKA_ERR_SHAPE, "10 bytes");
}

/* ------------------------------------------------------------ heatmaps */

static void test_heatmaps(const char *model)
{
    vka_classifier_params p = vka_classifier_default_params();
    p.heatmaps = 1;
    vka_classifier *c = vka_classifier_create(vkt_ctx, model, &p);
    const char *a = vkt_asset("images/ort_kitten_224.png");
    vka_image *img = a ? vka_image_load(a) : NULL;
    if (!c || !img) {
        vkt_check(0, "heatmaps: classifier %s", c ? "ok" : vka_last_error());
        vka_classifier_destroy(c), vka_image_free(img);
        return;
    }
    vka_heatmap_info hi;
    vka_status s = vka_classifier_heatmaps(c, -1, NULL, 0, &hi);
    vkt_check(!s && hi.heads == 3 && hi.grid_h == 14 && hi.grid_w == 14 && hi.layers == 12,
              "heatmap info before a run: %d heads, %dx%d grid, %d layers (DeiT-Tiny: 3, 14x14, 12)", hi.heads,
              hi.grid_h, hi.grid_w, hi.layers);
    size_t gg = 196, bytes = sizeof(float) * 4 * gg;
    float *maps = malloc(bytes);
    s = vka_classifier_heatmaps(c, -1, maps, bytes, &hi);
    vkt_expect_error("heatmaps before a run", s, VKA_ERR_STATE, "no run yet");
    s = vka_classifier_run_image(c, img->rgb, img->width, img->height, 0);
    for (size_t i = 0; i < 4 * gg; i++)
        maps[i] = NAN;
    for (int layer = 0; layer >= -1; layer--) {
        s = s ? s : vka_classifier_heatmaps(c, layer, maps, bytes, &hi);
        int ok = !s;
        double worst_sum = 0, mean_err = 0, lo = INFINITY;
        for (int h = 0; h < 3; h++) {
            double sum = 0;
            for (size_t i = 0; i < gg; i++) {
                sum += maps[h * gg + i];
                lo = fmin(lo, maps[h * gg + i]);
                ok &= isfinite(maps[h * gg + i]);
            }
            worst_sum = fmax(worst_sum, sum);
            ok &= sum > 0.05 && sum <= 1 + 1e-4;
        }
        for (size_t i = 0; i < gg; i++)
            mean_err = fmax(mean_err, fabs(maps[3 * gg + i] - (maps[i] + maps[gg + i] + maps[2 * gg + i]) / 3.0));
        vkt_check(ok && lo >= 0 && mean_err < 1e-6, "layer %d CLS maps: finite, >= 0 (min %.2e), each head's sum "
                  "<= 1 (largest %.4f; the rest is CLS->CLS), mean map = average of heads (max err %.1e)", layer, lo,
                  worst_sum, mean_err);
    }
    /* a classifier without the probe refuses */
    vka_classifier *c0 = vka_classifier_create(vkt_ctx, model, NULL);
    s = c0 ? vka_classifier_run_image(c0, img->rgb, img->width, img->height, 0) : VKA_ERR_NOT_FOUND;
    s = s ? s : vka_classifier_heatmaps(c0, -1, maps, bytes, NULL);
    vkt_expect_error("heatmaps without params.heatmaps", s, VKA_ERR_STATE, "params.heatmaps");
    vka_classifier_destroy(c0);
    free(maps);
    vka_classifier_destroy(c);
    vka_image_free(img);
}

/* ------------------------------------------------------------ detector */

static void test_detector(const char *model)
{
    const char *a = vkt_asset("golden/deimv2_atto_bus.safetensors");
    vka_safetensors *st = a ? vka_safetensors_open(a) : NULL;
    a = vkt_asset("images/bus.jpg");
    vka_image *img = a ? vka_image_load(a) : NULL;
    if (!st || !img) {
        vka_safetensors_close(st), vka_image_free(img);
        return;
    }
    const char *names[] = {"person", "bicycle", "car", "motorcycle", "airplane", "bus"};
    vka_detector_params p = vka_detector_default_params();
    p.heatmaps = 1;
    p.labels = names, p.label_count = 6;
    vka_detector *d = vka_detector_create(vkt_ctx, model, &p);
    if (!d) {
        vkt_check(0, "detector: %s", vka_last_error());
        goto out;
    }
    vkt_check(vka_detector_capacity(d) == 300 && vka_detector_input_size(d) == 320 &&
              vka_detector_results(d, 0.5, NULL, 0) == 0, "DEIMv2 atto: 300 detections, input 320; none before a run");
    vka_frame f = {.format = VKA_FRAME_RGB8, .width = img->width, .height = img->height, .pixels = img->rgb};
    vka_submit_params sp = vka_submit_default_params();
    sp.slices = 3;
    vka_status s = vka_detector_submit(d, &f, &sp);
    int polls = 0;
    vka_status ps;
    while ((ps = vka_detector_poll(d)) == VKA_NOT_READY) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        polls++;
    }
    vkt_check(!s && ps == VKA_OK && polls > 0, "detector submit (3 slices) + poll: %d polls not ready", polls);
    vka_detection det[300];
    int n = vka_detector_results(d, 0.5, det, 300);
    const int64_t *gl = vka_safetensors_find(st, "labels")->data;
    const float *gb = vka_safetensors_find(st, "boxes")->data, *gs = vka_safetensors_find(st, "scores")->data;
    int want = 0, found = 0, inside = 1, traced = 1, named = 1;
    for (int i = 0; i < 300 && gs[i] > 0.5f; i++) {
        want++;
        double best = 0;
        for (int j = 0; j < n; j++)
            if (det[j].label == gl[i])
                best = fmax(best, iou(det[j].box, gb + 4 * i));
        found += best > 0.9;
        printf("  ORT rank %d: label %lld score %.4f, best IoU of ours with that label %.4f\n", i, (long long)gl[i],
               gs[i], best);
    }
    for (int j = 0; j < n; j++) {
        inside &= det[j].box[0] >= 0 && det[j].box[2] <= img->width && det[j].box[1] >= 0 &&
                  det[j].box[3] <= img->height && det[j].score >= 0.5f && (j == 0 || det[j].score <= det[j - 1].score);
        traced &= det[j].query >= 0 && det[j].query < 100 && det[j].rank >= j;
        named &= det[j].label < 6 ? det[j].name && !strcmp(det[j].name, names[det[j].label]) : !det[j].name;
    }
    vkt_check(n == want && found == want && want == 5, "bus.jpg: %d detections >= 0.5, ORT has %d > 0.5, %d matched "
              "by label with IoU > 0.9", n, want, found);
    vkt_check(inside && traced && named, "detections: boxes inside the 810x1080 image, scores sorted, queries traced "
              "(0..99), names from params");
    vkt_check(vka_detector_results(d, 0.5, det, 2) == n && vka_detector_results(d, 2.0, det, 300) == 0,
              "results: the count even when max is smaller; none above 2.0");
    enum { G = 29 };
    float map[G * G];
    for (int i = 0; i < G * G; i++)
        map[i] = NAN;
    s = vka_detector_heatmap(d, 0.5, -1, -1, map, G);
    double mx = 0;
    int fin = 1;
    for (int i = 0; i < G * G; i++)
        fin &= isfinite(map[i]) && map[i] >= 0, mx = fmax(mx, map[i]);
    vkt_check(!s && fin && mx > 0, "sampling heatmap %dx%d of the kept detections: finite, >= 0, max %.3f", G, G, mx);
    /* the same frame again, unclipped boxes and a blocking run */
    vka_detector *d2 = NULL;
    p.clip = 0, p.heatmaps = 0, p.labels = NULL, p.label_count = 0;
    if ((d2 = vka_detector_create(vkt_ctx, model, &p)) && !vka_detector_run_image(d2, img->rgb, img->width, img->height, 0)) {
        vka_detection raw[300];
        int n2 = vka_detector_results(d2, 0.5, raw, 300), beyond = 0;
        for (int j = 0; j < n2; j++)
            beyond |= raw[j].box[2] > img->width || raw[j].box[0] < 0 || raw[j].query != -1 || raw[j].name;
        vkt_check(n2 == n, "clip 0, no heatmaps: %d detections (as clipped), boxes as the model gives them%s", n2,
                  beyond ? " (some past the edge), queries -1" : ", queries -1");
        s = vka_detector_heatmap(d2, 0.5, -1, -1, map, G);
        vkt_expect_error("detector heatmap without params.heatmaps", s, VKA_ERR_STATE, "params.heatmaps");
    } else {
        vkt_check(0, "second detector: %s", vka_context_last_error(vkt_ctx));
    }
    vka_detector_destroy(d2);
out:
    vka_detector_destroy(d);
    vka_safetensors_close(st);
    vka_image_free(img);
}

/* ------------------------------------------------------------ vka_deform_heatmap */

static void test_deform_heatmap(void)
{
    vka_deform_probe_info in = {.batch = 1, .queries = 7, .heads = 3, .points = 5};
    size_t n = 7 * 3 * 5;
    float *loc = vkt_uniform(2 * n, -0.1f, 1.1f), *wt = vkt_uniform(n, 0, 1);
    int64_t qs[3] = {0, 4, 6};
    enum { G = 37 };
    for (int head = -1; head <= 1; head += 2) {
        float map[G * G];
        for (int i = 0; i < G * G; i++)
            map[i] = NAN;
        vka_status s = vka_deform_heatmap(loc, wt, &in, qs, 3, head, G, map);
        double ref[G * G] = {0}, tmp[G * G];
        for (int i = 0; i < 3; i++)
            for (int h = 0; h < 3; h++) {
                if (head >= 0 && h != head)
                    continue;
                for (int p = 0; p < 5; p++) {
                    size_t k = (size_t)((qs[i] * 3 + h) * 5 + p);
                    double x = (double)loc[2 * k] * G - 0.5, y = (double)loc[2 * k + 1] * G - 0.5;
                    int x0 = (int)floor(x), y0 = (int)floor(y);
                    for (int dy = 0; dy < 2; dy++)
                        for (int dx = 0; dx < 2; dx++) {
                            int gx = x0 + dx, gy = y0 + dy;
                            double wx = dx ? x - x0 : 1 - (x - x0), wy = dy ? y - y0 : 1 - (y - y0);
                            if (gx >= 0 && gy >= 0 && gx < G && gy < G)
                                ref[gy * G + gx] += wt[k] * wx * wy;
                        }
                }
            }
        for (int pass = 0; pass < 4; pass++) {
            for (int y = 0; y < G; y++)
                for (int x = 0; x < G; x++) {
                    int hz = pass % 2 == 0;
                    int xa = hz ? (x > 0 ? x - 1 : x) : x, xb = hz ? (x + 1 < G ? x + 1 : x) : x;
                    int ya = hz ? y : (y > 0 ? y - 1 : y), yb = hz ? y : (y + 1 < G ? y + 1 : y);
                    tmp[y * G + x] = 0.25 * ref[ya * G + xa] + 0.5 * ref[y * G + x] + 0.25 * ref[yb * G + xb];
                }
            memcpy(ref, tmp, sizeof ref);
        }
        for (int i = 0; i < G * G; i++)
            ref[i] = sqrt(fmax(ref[i], 0));
        char w[96];
        snprintf(w, sizeof w, "vka_deform_heatmap %dx%d, 3 of 7 queries, head %d, vs float64", G, G, head);
        if (!s)
            vkt_compare(w, map, ref, G * G, 1e-5);
        else
            vkt_check(0, "%s: %s", w, vka_status_str(s));
    }
    float map[4];
    int64_t bad = 7;
    vkt_check(vka_deform_heatmap(loc, wt, &in, &bad, 1, -1, 2, map) == VKA_ERR_INVALID_ARG &&
              strstr(vka_last_error(), "query 7") && vka_deform_heatmap(loc, wt, &in, qs, 3, -1, 0, map) == VKA_ERR_INVALID_ARG &&
              vka_deform_heatmap(NULL, wt, &in, qs, 3, -1, 2, map) == VKA_ERR_INVALID_ARG,
              "vka_deform_heatmap refuses query 7 of 7 (\"%s\"), grid 0, NULL loc", vka_last_error());
    free(loc), free(wt);
}

/* ------------------------------------------------------------ bad models and labels */

static void test_bad_models(const char *deit, const char *deim, const char *vit_st)
{
    vka_classifier *c = vka_classifier_create(vkt_ctx, deim, NULL);
    vkt_check(!c && strstr(vka_last_error(), "orig_target_sizes"), "DEIMv2 as a classifier: NULL, \"%s\"",
              vka_last_error());
    vka_classifier_destroy(c);
    vka_detector *d = vka_detector_create(vkt_ctx, deit, NULL);
    vkt_check(!d && strstr(vka_last_error(), "not an RT-DETR-style detector"), "DeiT as a detector: NULL, \"%s\"",
              vka_last_error());
    vka_detector_destroy(d);
    c = vka_classifier_create(vkt_ctx, "/nonexistent/model.onnx", NULL);
    vkt_check(!c && strstr(vka_last_error(), "/nonexistent/model.onnx"), "missing file: NULL, \"%s\"", vka_last_error());
    c = vka_classifier_create(NULL, deit, NULL);
    vkt_check(!c && strstr(vka_last_error(), "context"), "NULL context: NULL, \"%s\"", vka_last_error());
    static const char junk[] = "this is not an ONNX file";
    d = vka_detector_create_memory(vkt_ctx, junk, sizeof junk, NULL);
    vkt_check(!d && *vka_last_error(), "detector from junk bytes: NULL, \"%s\"", vka_last_error());
    vka_classifier_params p = vka_classifier_default_params();
    p.labels_path = "/nonexistent/labels.txt";
    c = vka_classifier_create(vkt_ctx, deit, &p);
    vkt_check(!c && strstr(vka_last_error(), "/nonexistent/labels.txt"), "missing labels file: NULL, \"%s\"",
              vka_last_error());
    p = vka_classifier_default_params();
    p.crop = 200;
    c = vka_classifier_create(vkt_ctx, deit, &p);
    vkt_check(!c && strstr(vka_last_error(), "crop 200"), "crop 200 on a 224 model: NULL, \"%s\"", vka_last_error());
    p = vka_classifier_default_params();
    p.std[1] = 0;
    c = vka_classifier_create(vkt_ctx, deit, &p);
    vkt_check(!c && strstr(vka_last_error(), "std"), "std 0: NULL, \"%s\"", vka_last_error());
    vka_classifier_destroy(NULL);
    vka_detector_destroy(NULL);
    vkt_check(1, "destroying NULL classifier and detector: no-ops");
    /* labels are copied; a .safetensors ViT and a file of labels */
    char l0[16] = "zero";
    const char *labs[2] = {l0, "one"};
    p = vka_classifier_default_params();
    p.labels = labs, p.label_count = 2;
    c = vit_st ? vka_classifier_create(vkt_ctx, vit_st, &p) : NULL;
    strcpy(l0, "changed");
    vkt_check(c && vka_classifier_classes(c) == 10 && vka_classifier_input_size(c) == 64 &&
              !strcmp(vka_classifier_label(c, 0), "zero") && !vka_classifier_label(c, 2) && !vka_classifier_label(c, -1),
              "vit_tiny_ci.safetensors: 10 classes, input 64, labels copied (\"%s\"), none past the given 2",
              c ? vka_classifier_label(c, 0) : "?");
    vka_preprocess_params pp = vka_classifier_preprocess(c);
    float r[4];
    vka_classifier_crop_rect(c, 640, 480, r);
    /* 64 / 0.875 = 73: 640x480 -> 97x73, crop 64 at (16, 4) -> x 16·640/97 .. 80·640/97 */
    vkt_check(pp.resize == 73 && pp.crop == 64 && fabsf(r[0] - 16 * 640 / 97.0f) < 1e-3f &&
              fabsf(r[2] - 80 * 640 / 97.0f) < 1e-3f && fabsf(r[1] - 4 * 480 / 73.0f) < 1e-3f,
              "preprocess resize %d crop %d; crop rect of 640x480: %.2f %.2f %.2f %.2f", pp.resize, pp.crop, r[0], r[1],
              r[2], r[3]);
    vka_classifier_destroy(c);
}

int main(int argc, char **argv)
{
    vkt_init(argc, argv);
    char deit[4096], deim[4096], vit[4096];
    const char *a;
    if (!(a = vkt_asset("models/deit_tiny_patch16_224.onnx")))
        return vkt_finish() ? 1 : 77;
    snprintf(deit, sizeof deit, "%s", a);
    if (!(a = vkt_asset("models/deimv2_hgnetv2_atto_coco.onnx")))
        return vkt_finish() ? 1 : 77;
    snprintf(deim, sizeof deim, "%s", a);
    a = vkt_asset("models/vit_tiny_ci.safetensors");
    snprintf(vit, sizeof vit, "%s", a ? a : "");
    char labels[4096];
    a = vkt_asset("labels/imagenet1000_simple.txt");
    snprintf(labels, sizeof labels, "%s", a ? a : "");

    test_deform_heatmap();
    vka_classifier_params p = vka_classifier_default_params();
    p.labels_path = labels[0] ? labels : NULL;
    vka_classifier *c = vka_classifier_create(vkt_ctx, deit, &p);
    vkt_check(c != NULL, "DeiT-Tiny classifier: %s", c ? "made" : vka_last_error());
    if (c) {
        vkt_check(vka_classifier_classes(c) == 1000 && vka_classifier_input_size(c) == 224 &&
                  (!labels[0] || !strcmp(vka_classifier_label(c, 281), "tabby cat")),
                  "1000 classes, input 224, label 281 \"%s\"", vka_classifier_label(c, 281));
        test_classifier_goldens(c);
        test_frames(c, deit);
        vka_classifier_destroy(c); /* with a run in flight */
    }
    c = vka_classifier_create(vkt_ctx, deit, NULL);
    if (c)
        test_bad_frames(c);
    vka_classifier_destroy(c);
    test_heatmaps(deit);
    test_detector(deim);
    test_bad_models(deit, deim, vit[0] ? vit : NULL);
    return vkt_finish();
}
