/* SPDX-License-Identifier: MIT */
/* test_view.c — `vkattn view` end to end in a virtual X display (CTest runs
 * this under xvfb-run; lavapipe presents to it through a Vulkan swapchain).
 *
 * 1. DEIMv2 atto on images/bus.jpg, 10 frames, 800x600 window, --heatmap: the
 *    screenshot is 800x600; the class colour runs along every side of ONNX
 *    Runtime's boxes (4 persons, the bus) mapped into the letterboxed frame;
 *    the same run without --heatmap leaves the photo's pixels alone, with it
 *    they are tinted by the colormap over a large part of the frame.
 * 2. DeiT-Tiny on the synthetic source, heatmap on, source paused: two
 *    screenshots in a row are identical over the frame, and one after key h
 *    (next head, pushed as an SDL key event by --script) differs there.
 * 3. A resize to 640x480 mid-run (--script resize=...): the swapchain is
 *    rebuilt and the final screenshot is 640x480.
 * 4. Bad options and sources exit 2 / 1 with a message naming them.
 * 5. Inference does not block the window: the detector run presents frames
 *    while its inference runs (in 8 slices), and its screenshot, taken after
 *    the inference finished, has the boxes of 1.
 * Each run must exit 0: with VKATTN_VALIDATE=1 a validation error fails it. */
#include <unistd.h>

#include "cli.h"
#include "common.h"
#include "cli_common.h"

static char tmpdir[64];

/* Runs `vkattn view ARGS`, stdout into *out, stderr to tmpdir/err.txt. */
static int view(const char *args, char **out)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s view %s 2>%s/err.txt", cli_path(), args, tmpdir);
    printf("$ %s\n", cmd);
    int rc = run_cmd(cmd, out);
    char path[128];
    snprintf(path, sizeof path, "%s/err.txt", tmpdir);
    char *err = read_text(path);
    printf("%s%s", *out, err);
    free(err);
    return rc;
}

/* The letterboxed place of a W x H frame in a window (as view.c's fit). */
static void fit(int fw, int fh, int W, int H, double *dx, double *dy, double *s)
{
    double aspect = (double)fw / fh, h = fmin(W / aspect, H);
    *s = floor(h) / fh;
    *dx = floor((W - floor(h * aspect)) / 2), *dy = floor((H - floor(h)) / 2);
}

/* Mean absolute difference over a rect of two same-size images. */
static double mean_diff(const vka_image *a, const vka_image *b, int x0, int y0, int x1, int y1)
{
    double d = 0;
    size_t n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++, n++)
            for (int c = 0; c < 3; c++)
                d += fabs((double)a->rgb[((size_t)y * a->width + x) * 3 + c] - b->rgb[((size_t)y * b->width + x) * 3 + c]);
    return n ? d / (3.0 * n) : 0;
}

static void test_detector(const char *model, const char *image)
{
    char args[12288], *out;
    snprintf(args, sizeof args, "%s --source %s --frames 10 --size 800x600 --heatmap --screenshot %s/heat.png", model,
             image, tmpdir);
    int rc = view(args, &out);
    vkt_check(rc == 0 && strstr(out, "screenshot:"), "view detector --heatmap: exit %d", rc);
    vkt_check(strstr(out, "Vulkan swapchain") != NULL, "presented through the Vulkan swapchain");
    /* the model never blocks the window: in 8 slices (the default), a slice per frame at most, so at least 7
     * frames are presented while the (only) inference runs; the boxes below come from that inference */
    const char *nb = strstr(out, "non-blocking: ");
    int during = -1, total = 0, slices = 0;
    if (nb)
        sscanf(nb, "non-blocking: %d of %d frames presented while an inference ran (%*d inferences in %d", &during,
               &total, &slices);
    vkt_check(during >= 7 && slices == 8, "frames presented while an inference ran: %d of %d (%d slices)", during, total,
              slices);
    free(out);
    snprintf(args, sizeof args, "%s --source %s --frames 10 --size 800x600 --screenshot %s/plain.png", model, image,
             tmpdir);
    rc = view(args, &out);
    vkt_check(rc == 0, "view detector: exit %d", rc);
    free(out);

    char p1[128], p2[128];
    snprintf(p1, sizeof p1, "%s/heat.png", tmpdir);
    snprintf(p2, sizeof p2, "%s/plain.png", tmpdir);
    vka_image *heat = vka_image_load(p1), *plain = vka_image_load(p2), *photo = vka_image_load(image);
    vkt_check(heat && plain && heat->width == 800 && heat->height == 600 && plain->width == 800 &&
                  plain->height == 600,
              "screenshots are the window size 800x600 (%dx%d)", heat ? heat->width : 0, heat ? heat->height : 0);
    if (!heat || !plain || !photo || heat->width != 800 || plain->width != 800 || heat->height != 600 ||
        plain->height != 600) {
        vka_image_free(heat), vka_image_free(plain), vka_image_free(photo);
        return;
    }
    double dx, dy, s;
    fit(photo->width, photo->height, 800, 600, &dx, &dy, &s);
    for (int i = 0; i < 5; i++) {
        double b[4] = {dx + bus_golden[i].box[0] * s, dy + bus_golden[i].box[1] * s, dx + bus_golden[i].box[2] * s,
                       dy + bus_golden[i].box[3] * s};
        uint8_t c[3];
        cli_class_color(bus_golden[i].label, c);
        double hp = edge_hits(plain, b, c), hh = edge_hits(heat, b, c);
        vkt_check(hp >= 0.75 && hh >= 0.75,
                  "%s %.2f: class colour (%d,%d,%d) along every side of ORT's box in the window at >= 75%% of points "
                  "(plain %.0f%%, heatmap %.0f%%)", bus_golden[i].label ? "bus" : "person", bus_golden[i].score, c[0], c[1],
                  c[2], 100 * hp, 100 * hh);
    }
    /* heatmap: below the HUD, inside the frame, away from the box lines */
    int x0 = (int)dx + 10, x1 = (int)(dx + photo->width * s) - 10, y0 = 140, y1 = 590;
    double d = mean_diff(heat, plain, x0, y0, x1, y1);
    size_t tinted = 0, n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++, n++) {
            int dd = 0;
            for (int c = 0; c < 3; c++)
                dd += abs((int)heat->rgb[((size_t)y * 800 + x) * 3 + c] - plain->rgb[((size_t)y * 800 + x) * 3 + c]);
            tinted += dd > 30;
        }
    vkt_check(d > 15 && tinted > n / 4,
              "heatmap on: frame tinted (mean |diff| %.1f, %.0f%% of pixels by > 30 over RGB)", d, 100.0 * tinted / n);
    vka_image_free(heat), vka_image_free(plain), vka_image_free(photo);
}

static void test_heads(const char *model)
{
    char args[12288], *out;
    /* pause at 2 (no new frame after it), shots of frames 3 and 4, head 2 from frame 6, shot of frame 7 */
    snprintf(args, sizeof args,
             "%s --source synthetic --frames 8 --size 640x480 --heatmap --script 2:space,4:s,5:s,6:h,8:s "
             "--screenshot %s/vit.png", model, tmpdir);
    int rc = view(args, &out);
    vkt_check(rc == 0, "view classifier: exit %d", rc);
    free(out);
    char p[3][128];
    vka_image *img[3];
    for (int i = 0; i < 3; i++) {
        snprintf(p[i], sizeof p[i], "%s/vit-%d.png", tmpdir, i + 1);
        img[i] = vka_image_load(p[i]);
    }
    int ok = img[0] && img[1] && img[2];
    for (int i = 0; ok && i < 3; i++)
        ok = img[i]->width == 640 && img[i]->height == 480;
    vkt_check(ok, "three key-s screenshots of 640x480");
    if (ok) {
        /* the frame (4:3 fills the window) below the HUD */
        double same = mean_diff(img[0], img[1], 0, 130, 640, 480), head = mean_diff(img[1], img[2], 0, 130, 640, 480);
        vkt_check(same == 0, "paused, same head: frames identical (mean |diff| %.3f)", same);
        vkt_check(head > 2, "key h (head 1 -> 2): heatmap changes (mean |diff| %.2f)", head);
    }
    for (int i = 0; i < 3; i++)
        vka_image_free(img[i]);
}

static void test_resize(const char *model)
{
    char args[12288], *out;
    snprintf(args, sizeof args,
             "%s --source synthetic --frames 6 --size 800x600 --script 3:resize=640x480 --screenshot %s/resized.png",
             model, tmpdir);
    int rc = view(args, &out);
    const char *b = strstr(out, "swapchain builds ");
    int builds = b ? atoi(b + 17) : 0;
    vkt_check(rc == 0 && builds >= 2, "resize: exit %d, swapchain built %d times", rc, builds);
    free(out);
    char p[128];
    snprintf(p, sizeof p, "%s/resized.png", tmpdir);
    vka_image *img = vka_image_load(p);
    vkt_check(img && img->width == 640 && img->height == 480, "after the resize the screenshot is 640x480 (%dx%d)",
              img ? img->width : 0, img ? img->height : 0);
    vka_image_free(img);
}

/* Bad options and sources: a clear message naming them, no window, no crash. */
static void test_errors(const char *model)
{
    char args[12288], *out, path[128];
    snprintf(path, sizeof path, "%s/err.txt", tmpdir);
    struct {
        const char *args, *needle;
        int rc;
    } cases[] = {
        {"--script 3:zz", "--script \"3:zz\"", 2},
        {"--size 10x10", "--size", 2},
        {"--opacity 2", "--opacity", 2},
        {"--source /nonexistent/cam.png", "/nonexistent/cam.png", 1},
        {"--source /dev/null", "/dev/null", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(args, sizeof args, "%s %s --frames 2", model, cases[i].args);
        int rc = view(args, &out);
        char *err = read_text(path);
        vkt_check(rc == cases[i].rc && strstr(err, cases[i].needle), "view %s: exit %d (want %d), message names %s",
                  cases[i].args, rc, cases[i].rc, cases[i].needle);
        free(err);
        free(out);
    }
}

int main(int argc, char **argv)
{
    (void)argc, (void)argv;
    if (!getenv("DISPLAY")) {
        printf("SKIP no X display (CTest runs this under xvfb-run)\n");
        return 77;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vkattn-view-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        printf("FAIL mkdtemp\n");
        return 1;
    }
    char atto[4096], bus[4096], deit[4096], tiny[4096];
    const char *a;
    int n = 0;
    if ((a = vkt_asset("models/deimv2_hgnetv2_atto_coco.onnx")) && ++n)
        snprintf(atto, sizeof atto, "%s", a);
    if ((a = vkt_asset("images/bus.jpg")) && ++n)
        snprintf(bus, sizeof bus, "%s", a);
    if ((a = vkt_asset("models/deit_tiny_patch16_224.onnx")) && ++n)
        snprintf(deit, sizeof deit, "%s", a);
    if ((a = vkt_asset("models/vit_tiny_ci.onnx")) && ++n)
        snprintf(tiny, sizeof tiny, "%s", a);
    if (n < 4)
        return vkt_failed ? 1 : 77;
    test_detector(atto, bus);
    test_heads(deit);
    test_resize(tiny);
    test_errors(tiny);
    printf("%d passed, %d failed\n", vkt_passed, vkt_failed);
    return vkt_failed ? 1 : 0;
}
