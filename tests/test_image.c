/* SPDX-License-Identifier: MIT */
/* test_image.c — vka_image_load / vka_image_write_png: a PNG round trip of
 * random pixels (bit exact), the asset photos (sizes, RGBA to RGB), and files
 * that are not images (missing, text, zero size, absurd size, truncated),
 * each a clear error naming the file, no crash. */
#include <unistd.h>

#include "common.h"

static char tmpdir[64];

static const char *write_raw(const char *name, const void *data, size_t n)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
    return path;
}

static void expect_fail(const char *what, const char *path, const char *needle)
{
    vka_image *img = vka_image_load(path);
    const char *msg = vka_last_error();
    vkt_check(!img && strstr(msg, needle) && strstr(msg, path), "%s: \"%s\"", what, msg);
    vka_image_free(img);
}

static void asset(const char *rel, int w, int h)
{
    const char *p = vkt_asset(rel);
    if (!p)
        return;
    vka_image *img = vka_image_load(p);
    vkt_check(img && img->width == w && img->height == h, "%s: %dx%d (want %dx%d)%s%s", rel, img ? img->width : 0,
              img ? img->height : 0, w, h, img ? "" : ": ", img ? "" : vka_last_error());
    vka_image_free(img);
}

int main(int argc, char **argv)
{
    /* no device needed: vkt_init for the seed, the summary and the harness' shape */
    vkt_init(argc, argv);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vkattn-img-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;

    /* PNG round trip, odd size, random bytes */
    int w = 97, h = 61;
    uint8_t *rgb = malloc((size_t)w * h * 3);
    for (int i = 0; i < w * h * 3; i++)
        rgb[i] = (uint8_t)vkt_rand_u32();
    char path[256];
    snprintf(path, sizeof path, "%s/rt.png", tmpdir);
    vka_status s = vka_image_write_png(path, w, h, rgb);
    vka_image *img = vka_image_load(path);
    vkt_check(s == VKA_OK && img && img->width == w && img->height == h &&
                  memcmp(img->rgb, rgb, (size_t)w * h * 3) == 0,
              "PNG round trip %dx%d bit exact: %s", w, h, img ? "ok" : vka_last_error());
    vka_image_free(img);

    snprintf(path, sizeof path, "%s/no/such/dir/x.png", tmpdir);
    s = vka_image_write_png(path, w, h, rgb);
    vkt_check(s == VKA_ERR_IO && strstr(vka_last_error(), path), "write into a missing directory: %s, \"%s\"",
              vka_status_str(s), vka_last_error());
    s = vka_image_write_png(path, 0, h, rgb);
    vkt_check(s == VKA_ERR_INVALID_ARG, "write 0 x %d: %s", h, vka_status_str(s));

    /* the photos the goldens came from; the kitten is RGBA (alpha dropped) */
    asset("images/ort_fish.png", 224, 224);
    asset("images/ort_kitten_224.png", 224, 224);
    asset("images/coco_000000039769.png", 640, 480);
    asset("images/bus.jpg", 810, 1080);

    /* files that are not (usable) images */
    snprintf(path, sizeof path, "%s/missing.png", tmpdir);
    expect_fail("missing file", path, "No such file");
    expect_fail("text file", write_raw("notes.txt", "hello, not an image\n", 20), "not an image");
    expect_fail("empty file", write_raw("empty.png", "", 0), "not an image");
    expect_fail("zero width PNM", write_raw("zero.ppm", "P6\n0 10\n255\n", 12), "zero size");
    expect_fail("20000 px wide PNM header", write_raw("big.ppm", "P6\n20000 10\n255\n", 16), "16384");
    const char *fish = vkt_asset("images/ort_fish.png");
    if (fish) {
        FILE *f = fopen(fish, "rb");
        uint8_t head[200];
        size_t n = fread(head, 1, sizeof head, f);
        fclose(f);
        expect_fail("PNG cut after 200 bytes", write_raw("cut.png", head, n), "decoding");
    }
    vkt_check(vka_image_load(NULL) == NULL, "NULL path: \"%s\"", vka_last_error());

    /* from memory: the round-trip PNG's bytes decode as the file did; bad bytes name `what` */
    snprintf(path, sizeof path, "%s/rt.png", tmpdir);
    FILE *pf = fopen(path, "rb");
    static uint8_t enc[1 << 16];
    size_t ne = pf ? fread(enc, 1, sizeof enc, pf) : 0;
    if (pf)
        fclose(pf);
    img = vka_image_decode(enc, ne, "rt.png bytes");
    vkt_check(img && img->width == w && img->height == h && memcmp(img->rgb, rgb, (size_t)w * h * 3) == 0,
              "decode from memory (%zu bytes) bit exact: %s", ne, img ? "ok" : vka_last_error());
    vka_image_free(img);
    img = vka_image_decode(enc, ne / 3, "a cut PNG");
    vkt_check(!img && strstr(vka_last_error(), "a cut PNG"), "decode of a third of a PNG fails naming it: \"%s\"",
              vka_last_error());
    vka_image_free(img);
    img = vka_image_decode("P6\n20000 10\n255\n", 16, "huge header");
    vkt_check(!img && strstr(vka_last_error(), "16384"), "decode refuses 20000 px: \"%s\"", vka_last_error());
    {
        /* #13: a 16384x16384 RGBA 16-bit PNG header (2 GiB decoded): stb_image would ask for a negative
         * size; refused from the header, before decoding */
        static const uint8_t png[] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                      0, 0, 0x40, 0, 0, 0, 0x40, 0, 16, 6, 0, 0, 0, 0, 0, 0, 0,
                                      0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
        img = vka_image_decode(png, sizeof png, "rgba16.png");
        vkt_check(!img && strstr(vka_last_error(), "rgba16.png") && strstr(vka_last_error(), "16 bits"),
                  "16384x16384 RGBA16 PNG refused before decoding: \"%s\"", vka_last_error());
        vka_image_free(img);
        char pp[256];
        snprintf(pp, sizeof pp, "%s/rgba16.png", tmpdir);
        FILE *pw = fopen(pp, "wb");
        if (pw) {
            fwrite(png, 1, sizeof png, pw);
            fclose(pw);
        }
        img = vka_image_load(pp);
        vkt_check(!img && strstr(vka_last_error(), "16 bits"), "the same file through vka_image_load: \"%s\"",
                  vka_last_error());
        vka_image_free(img);
    }
    vkt_check(vka_image_decode(NULL, 10, "x") == NULL && vka_image_decode(enc, 0, "x") == NULL,
              "decode of NULL / 0 bytes refused");
    /* vka_image_probe: the header's size after the same checks, without decoding */
    int pw = -1, ph = -1;
    vka_status ps = vka_image_probe(enc, ne, "rt.png bytes", &pw, &ph);
    vkt_check(ps == VKA_OK && pw == w && ph == h, "probe of the round-trip PNG: %dx%d (want %dx%d)", pw, ph, w, h);
    ps = vka_image_probe("P6\n20000 10\n255\n", 16, "huge header", &pw, &ph);
    vkt_check(ps == VKA_ERR_TOO_LARGE && pw == 0 && ph == 0 && strstr(vka_last_error(), "huge header") &&
                  strstr(vka_last_error(), "16384"),
              "probe refuses 20000 px, naming it: \"%s\"", vka_last_error());
    ps = vka_image_probe("P5\n4 4\n65535\n", 15, "p5-16", &pw, &ph);
    vkt_check(ps == VKA_ERR_FORMAT && strstr(vka_last_error(), "16-bit greyscale PNM"),
              "probe applies the PNM guard: \"%s\"", vka_last_error());
    vkt_check(vka_image_probe(NULL, 10, "x", &pw, &ph) == VKA_ERR_INVALID_ARG, "probe of NULL refused");
    vka_image_free(NULL);

    free(rgb);
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf %s", tmpdir); /* our mkdtemp directory */
    if (system(rm) != 0)
        printf("note: could not remove %s\n", tmpdir);
    return vkt_finish();
}
