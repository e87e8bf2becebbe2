/* SPDX-License-Identifier: MIT */
/* test_examples.c — runs the programs of examples/ and checks what they print
 * against the ONNX Runtime goldens (assets/golden):
 *   classify: DeiT-Tiny on the three photos: top-1 is ORT's argmax and the
 *     printed top-5 is ORT's top-5 set;
 *   detect: DEIMv2 atto on bus.jpg: one printed box per ORT detection with
 *     score > 0.5, each of the same label with IoU > 0.9;
 *   game_loop: the same boxes, and more than one frame presented while an
 *     inference was in flight, headless and (under xvfb-run, built with SDL2)
 *     through a window's swapchain, made again when the window is resized;
 *   bad usage exits 2, a missing model exits 1 naming it.
 * With VKATTN_VALIDATE=1 the programs run the validation layer (game_loop on
 * its own instance) and exit 1 on any validation error. */
#include "common.h"
#include "cli_common.h"

static double iou4(const float *a, const float *b)
{
    double ix = fmax(0, fmin(a[2], b[2]) - fmax(a[0], b[0])), iy = fmax(0, fmin(a[3], b[3]) - fmax(a[1], b[1]));
    double inter = ix * iy, ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    return ua > 0 ? inter / ua : 0;
}

static char model_deit[4096], model_deim[4096], assets[4096];

static void check_classify(void)
{
    static const char *photos[3][2] = {
        {"images/coco_000000039769.png", "golden/deit_tiny_cats.safetensors"},
        {"images/ort_kitten_224.png", "golden/deit_tiny_kitten.safetensors"},
        {"images/ort_fish.png", "golden/deit_tiny_fish.safetensors"},
    };
    for (int p = 0; p < 3; p++) {
        char gp[4200], cmd[16384], *out;
        snprintf(gp, sizeof gp, "%s/%s", assets, photos[p][1]);
        vka_safetensors *st = vka_safetensors_open(gp);
        const vka_st_tensor *gl = st ? vka_safetensors_find(st, "logits") : NULL;
        if (!gl) {
            vkt_check(0, "golden %s", gp);
            vka_safetensors_close(st);
            continue;
        }
        /* ORT's top-5 */
        const float *l = gl->data;
        int top[5];
        for (int k = 0; k < 5; k++) {
            top[k] = -1;
            for (int i = 0; i < 1000; i++) {
                int taken = 0;
                for (int q = 0; q < k; q++)
                    taken |= top[q] == i;
                if (!taken && (top[k] < 0 || l[i] > l[top[k]]))
                    top[k] = i;
            }
        }
        snprintf(cmd, sizeof cmd, "'%s' '%s' '%s/%s' '%s/labels/imagenet1000_simple.txt'", VKA_EX_CLASSIFY, model_deit,
                 assets, photos[p][0], assets);
        int rc = run_cmd(cmd, &out);
        int got[5] = {-1, -1, -1, -1, -1}, in_set = 0;
        for (int k = 0; k < 5; k++) {
            char pat[32];
            snprintf(pat, sizeof pat, "\n%d. class ", k + 1);
            const char *s = strstr(out, pat);
            got[k] = s ? atoi(s + strlen(pat)) : -1;
            for (int q = 0; q < 5; q++)
                in_set += got[k] == top[q];
        }
        vkt_check(rc == 0 && got[0] == top[0] && in_set == 5,
                  "examples/classify %s: exit %d, top-1 %d (ORT %d), top-5 {%d %d %d %d %d}: %d of ORT's 5",
                  photos[p][0], rc, got[0], top[0], got[0], got[1], got[2], got[3], got[4], in_set);
        free(out);
        vka_safetensors_close(st);
    }
}

/* The "box label L score S x1 X y1 Y x2 X y2 Y" lines of out against ORT's detections > 0.5 on bus.jpg. */
static void check_boxes(const char *what, const char *out)
{
    char gp[4200];
    snprintf(gp, sizeof gp, "%s/golden/deimv2_atto_bus.safetensors", assets);
    vka_safetensors *st = vka_safetensors_open(gp);
    if (!st) {
        vkt_check(0, "golden %s", gp);
        return;
    }
    const int64_t *gl = vka_safetensors_find(st, "labels")->data;
    const float *gb = vka_safetensors_find(st, "boxes")->data, *gs = vka_safetensors_find(st, "scores")->data;
    int n = 0, labels[64];
    float boxes[64][4], scores[64];
    for (const char *s = strstr(out, "box label "); s && n < 64; s = strstr(s + 1, "\nbox label ")) {
        if (*s == '\n')
            s++;
        if (sscanf(s, "box label %d score %f x1 %f y1 %f x2 %f y2 %f", &labels[n], &scores[n], &boxes[n][0],
                   &boxes[n][1], &boxes[n][2], &boxes[n][3]) == 6)
            n++;
    }
    int want = 0, found = 0;
    double worst = 1;
    for (int i = 0; i < 300 && gs[i] > 0.5f; i++) {
        want++;
        double best = 0;
        for (int j = 0; j < n; j++)
            if (labels[j] == gl[i])
                best = fmax(best, iou4(boxes[j], gb + 4 * i));
        found += best > 0.9;
        worst = fmin(worst, best);
    }
    vkt_check(want == 5 && n == want && found == want, "%s: %d boxes printed, ORT has %d with score > 0.5, %d matched "
              "by label with IoU > 0.9 (lowest best IoU %.4f)", what, n, want, found, worst);
    vka_safetensors_close(st);
}

static void check_detect(void)
{
    char cmd[16384], *out;
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s/images/bus.jpg' '%s/labels/coco80.txt' 0.5", VKA_EX_DETECT, model_deim,
             assets, assets);
    int rc = run_cmd(cmd, &out);
    vkt_check(rc == 0 && strstr(out, "person") && strstr(out, "bus"), "examples/detect bus.jpg: exit %d, names "
              "person and bus", rc);
    check_boxes("examples/detect bus.jpg", out);
    free(out);
}

#ifdef VKA_EX_GAME_LOOP
static void check_game_loop(int window)
{
    char cmd[16384], *out;
    /* the window is resized after the first inference: the swapchain must follow */
    int want = window ? 3 : 2;
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s/images/bus.jpg' --labels '%s/labels/coco80.txt' --inferences %d %s",
             VKA_EX_GAME_LOOP, model_deim, assets, assets, want, window ? "--resize 800x500" : "--headless");
    int rc = run_cmd(cmd, &out);
    int frames = 0, during = 0, inferences = 0;
    const char *f = strstr(out, "frames ");
    if (f)
        sscanf(f, "frames %d (%d while an inference was in flight)", &frames, &during);
    const char *i = f ? strstr(f, "; ") : NULL;
    if (i)
        sscanf(i, "; %d inferences", &inferences);
    const char *mode = window ? "window (swapchain)" : "headless (offscreen)";
    vkt_check(rc == 0 && strstr(out, mode) && inferences == want && during > 1 && frames >= during,
              "examples/game_loop %s: exit %d, %d frames, %d presented while an inference was in flight (> 1), %d "
              "inferences", mode, rc, frames, during, inferences);
    if (window)
        vkt_check(strstr(out, "swapchain made 2 times, last 800x500") != NULL,
                  "examples/game_loop window resized to 800x500 after the first inference: the swapchain made again "
                  "(%.38s)", strstr(out, "swapchain made") ? strstr(out, "swapchain made") : "no swapchain line");
    char what[96];
    snprintf(what, sizeof what, "examples/game_loop %s", window ? "window" : "headless");
    check_boxes(what, out);
    free(out);
}
#endif

int main(int argc, char **argv)
{
    vkt_init(argc, argv);
    const char *a;
    if (!(a = vkt_asset("models/deit_tiny_patch16_224.onnx")))
        return vkt_finish() ? 1 : 77;
    snprintf(model_deit, sizeof model_deit, "%s", a);
    snprintf(assets, sizeof assets, "%.*s", (int)(strlen(a) - strlen("/models/deit_tiny_patch16_224.onnx")), a);
    if (!(a = vkt_asset("models/deimv2_hgnetv2_atto_coco.onnx")))
        return vkt_finish() ? 1 : 77;
    snprintf(model_deim, sizeof model_deim, "%s", a);
    /* the programs make their own contexts: ours only prints the device */
    vka_context_destroy(vkt_ctx);
    vkt_ctx = NULL;

    check_classify();
    check_detect();
#ifdef VKA_EX_GAME_LOOP
    check_game_loop(0);
#ifdef VKA_EX_GAME_SDL
    const char *d = getenv("DISPLAY");
    if (d && *d)
        check_game_loop(1);
    else
        printf("SKIP examples/game_loop in a window: no DISPLAY (CTest runs it under xvfb-run when installed)\n");
#endif
#else
    printf("SKIP examples/game_loop: not built (no Vulkan loader/headers)\n");
#endif
    char cmd[16384], *out;
    snprintf(cmd, sizeof cmd, "'%s' 2>&1", VKA_EX_CLASSIFY);
    int rc = run_cmd(cmd, &out);
    vkt_check(rc == 2 && strstr(out, "usage"), "examples/classify without arguments: exit %d (want 2), usage", rc);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' /nonexistent/x.onnx '%s/images/bus.jpg' 2>&1", VKA_EX_DETECT, assets);
    rc = run_cmd(cmd, &out);
    vkt_check(rc == 1 && strstr(out, "/nonexistent/x.onnx"), "examples/detect with a missing model: exit %d (want 1), "
              "message names it", rc);
    free(out);
    return vkt_finish();
}
