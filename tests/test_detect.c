/* SPDX-License-Identifier: MIT */
/* test_detect.c — `vkattn detect` end to end, and the font and box drawing it
 * links from apps/.
 *
 * Drawing (no device): every character the font promises has a glyph, all
 * distinct, others have none; drawn text has exactly the glyph's pixels; a box
 * is drawn in its class colour on all four sides with a tag above it.
 * The CLI (DEIMv2 atto on images/bus.jpg, threshold 0.5): the detections are
 * ORT's (assets README 4.3: 4 persons and a bus), matched by label with box IoU
 * > 0.9 and |score - ORT| <= 0.05 (our decode and resize of the JPEG differ a
 * little from the golden's stored tensor); the JSON is a COCO results array
 * with category ids 1 and 6; the text lines agree with it; the annotated PNG
 * is 810x1080 with the bus colour along the golden bus box and its tag; a text
 * file among the images gives a clear error and status 1 while the next image
 * still runs; threshold 0.9 gives no detections and status 0. */
#include <cjson/cJSON.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "common.h"
#include "cli_common.h"
#include "font.h"

static char tmpdir[64];

/* ------------------------------------------------------------ drawing unit tests */

static void test_font(void)
{
    const char *need = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .-_(),/:=+%<>[]#@";
    int missing = 0, same = 0, blank = 0;
    for (const char *c = need; *c; c++) {
        const uint8_t *g = cli_font_glyph(*c);
        if (!g) {
            missing++;
            continue;
        }
        int ink = 0;
        for (int r = 0; r < CLI_FONT_H; r++)
            ink |= g[r] & ~((1 << CLI_FONT_W) - 1) ? 0x100 : g[r];
        blank += *c != ' ' && (ink == 0 || ink & 0x100);
        for (const char *d = need; d < c; d++)
            same += cli_font_glyph(*d) && memcmp(cli_font_glyph(*d), g, CLI_FONT_H) == 0;
    }
    vkt_check(missing == 0 && same == 0 && blank == 0,
              "font: %d of %zu characters missing, %d identical pairs, %d blank or wider than %d",
              missing, strlen(need), same, blank, CLI_FONT_W);
    vkt_check(!cli_font_glyph('?') && !cli_font_glyph('\x80'), "font: no glyph for '?' and 0x80");
    vkt_check(cli_font_text_width("bus 0.66", 2) == (8 * CLI_FONT_ADVANCE - 1) * 2 && cli_font_text_width("", 3) == 0,
              "font: width of \"bus 0.66\" at 2x = %d", cli_font_text_width("bus 0.66", 2));

    /* "Ag" at 3x on black: exactly 9 pixels per set glyph bit, all inside the text box */
    enum { W = 40, H = 30 };
    uint8_t img[W * H * 3] = {0}, white[3] = {255, 255, 255};
    cli_font_draw(img, W, H, 2, 3, "Ag", 3, white);
    int bits = 0, lit = 0, outside = 0;
    for (const char *c = "Ag"; *c; c++)
        for (int r = 0; r < CLI_FONT_H; r++)
            bits += __builtin_popcount(cli_font_glyph(*c)[r]);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if (img[(y * W + x) * 3]) {
                lit++;
                outside += x < 2 || x >= 2 + cli_font_text_width("Ag", 3) || y < 3 || y >= 3 + 3 * CLI_FONT_H;
            }
    vkt_check(lit == 9 * bits && outside == 0, "font: \"Ag\" at 3x lights %d pixels (9 x %d glyph bits), %d outside",
              lit, bits, outside);
    /* text running off the image is clipped, not written out of bounds (canary row after it) */
    uint8_t small[5 * 4 * 3 + 3] = {0};
    cli_font_draw(small, 5, 4, 3, 2, "WW", 2, white);
    vkt_check(small[5 * 4 * 3] == 0 && small[5 * 4 * 3 + 2] == 0, "font: clipped at the image edge");
}

static void test_draw(void)
{
    uint8_t c0[3], c5[3];
    cli_class_color(0, c0);
    cli_class_color(5, c5);
    vkt_check(memcmp(c0, c5, 3) != 0, "class colours: person (%d,%d,%d) != bus (%d,%d,%d)", c0[0], c0[1], c0[2], c5[0],
              c5[1], c5[2]);
    int distinct = 1;
    for (int a = 0; a < 20; a++)
        for (int b = 0; b < a; b++) {
            uint8_t x[3], y[3];
            cli_class_color(a, x);
            cli_class_color(b, y);
            distinct &= memcmp(x, y, 3) != 0;
        }
    vkt_check(distinct, "class colours 0..19 all different");

    enum { W = 300, H = 200 };
    uint8_t *img = malloc(W * H * 3);
    memset(img, 100, W * H * 3);
    float box[4] = {50.2f, 80.4f, 250.6f, 180.0f};
    cli_draw_detection(img, W, H, box, 5, "bus", 0.66f);
    int t = cli_draw_thickness(W, H), sides = 0, inside_clear = 1, tag = 0;
    for (int k = 0; k < t; k++) {
        sides += !memcmp(img + ((size_t)(80 + k) * W + 150) * 3, c5, 3);  /* top */
        sides += !memcmp(img + ((size_t)(179 - k) * W + 150) * 3, c5, 3); /* bottom */
        sides += !memcmp(img + ((size_t)130 * W + 50 + k) * 3, c5, 3);    /* left */
        sides += !memcmp(img + ((size_t)130 * W + 250 - k) * 3, c5, 3);   /* right */
    }
    inside_clear = img[((size_t)130 * W + 150) * 3] == 100 && img[((size_t)(80 + t) * W + 150) * 3] == 100;
    for (int y = 60; y < 80; y++)
        for (int x = 50; x < 110; x++)
            tag += !memcmp(img + ((size_t)y * W + x) * 3, c5, 3);
    vkt_check(t >= 2 && t <= 3 && sides == 4 * t && inside_clear && tag > 300,
              "draw: %d px lines on all 4 sides (%d of %d pixels), inside untouched %d, tag pixels above %d", t, sides,
              4 * t, inside_clear, tag);
    free(img);
}

/* ------------------------------------------------------------ the CLI */

static char *read_err(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/err.txt", tmpdir);
    return read_text(path);
}

/* Pairs each golden detection with an unused one of ours of the same label and
 * the best IoU; checks IoU and score. */
static void match_golden(const char *what, const det *ours, int n)
{
    vkt_check(n == 5, "%s: %d detections at threshold 0.5 (ORT: 5)", what, n);
    int used[64] = {0};
    for (int i = 0; i < 5; i++) {
        int best = -1;
        double bi = 0;
        for (int j = 0; j < n && j < 64; j++)
            if (!used[j] && ours[j].label == bus_golden[i].label && iou(ours[j].box, bus_golden[i].box) > bi)
                bi = iou(ours[j].box, bus_golden[i].box), best = j;
        if (best < 0) {
            vkt_check(0, "%s: ORT's %s %.4f has no match", what, bus_golden[i].label ? "bus" : "person", bus_golden[i].score);
            continue;
        }
        used[best] = 1;
        double ds = ours[best].score - bus_golden[i].score;
        vkt_check(bi > 0.9 && fabs(ds) <= 0.05,
                  "%s: %s %.4f (ORT %.4f, diff %+.4f) box %.1f %.1f %.1f %.1f, IoU with ORT's %.4f", what,
                  bus_golden[i].label ? "bus" : "person", ours[best].score, bus_golden[i].score, ds, ours[best].box[0],
                  ours[best].box[1], ours[best].box[2], ours[best].box[3], bi);
    }
}

static void check_png(const char *png, const char *photo)
{
    vka_image *img = vka_image_load(png), *orig = vka_image_load(photo);
    vkt_check(img && img->width == 810 && img->height == 1080, "annotated %s: %dx%d (want 810x1080)%s", png,
              img ? img->width : 0, img ? img->height : 0, img ? "" : vka_last_error());
    if (!img || !orig || img->width != 810 || img->height != 1080) {
        vka_image_free(img);
        vka_image_free(orig);
        return;
    }
    uint8_t bus[3];
    cli_class_color(5, bus);
    double drawn = edge_hits(img, bus_golden[3].box, bus), photo_hits = edge_hits(orig, bus_golden[3].box, bus);
    /* the tag above the bus box's top-left corner: bus colour with white text */
    int tagc = 0, ink = 0, area = 0;
    int x0 = (int)bus_golden[3].box[0] + 6, y1 = (int)bus_golden[3].box[1] - 4;
    for (int y = y1 - 12; y < y1; y++)
        for (int x = x0; x < x0 + 60; x++, area++) {
            const uint8_t *p = img->rgb + ((size_t)y * img->width + x) * 3;
            tagc += !memcmp(p, bus, 3);
            ink += p[0] == 255 && p[1] == 255 && p[2] == 255;
        }
    vkt_check(drawn >= 0.8 && photo_hits <= 0.1,
              "annotated: bus colour (%d,%d,%d) along every side of ORT's bus box at >= %.0f%% of points "
              "(the photo itself: %.0f%%)", bus[0], bus[1], bus[2], 100 * drawn, 100 * photo_hits);
    vkt_check(tagc > area / 3 && ink > area / 20, "annotated: bus tag above the box: %d of %d pixels tag colour, %d text",
              tagc, area, ink);
    /* outside any box the photo is untouched (bottom right corner region) */
    size_t diff = 0;
    for (int y = 950; y < 1080; y++)
        for (int x = 300; x < 800; x++)
            diff += memcmp(img->rgb + ((size_t)y * 810 + x) * 3, orig->rgb + ((size_t)y * 810 + x) * 3, 3) != 0;
    vkt_check(diff == 0, "annotated: %zu pixels changed below the boxes", diff);
    vka_image_free(img);
    vka_image_free(orig);
}

static void test_cli(void)
{
    const char *p = vkt_asset("models/deimv2_hgnetv2_atto_coco.onnx");
    if (!p)
        return;
    char model[4096], bus[4096], labels[4200], cmd[16384];
    snprintf(model, sizeof model, "%s", p);
    if (!(p = vkt_asset("images/bus.jpg")))
        return;
    snprintf(bus, sizeof bus, "%s", p);
    if (!(p = vkt_asset("labels/coco80.txt")))
        return;
    snprintf(labels, sizeof labels, "--labels '%s'", p);

    /* JSON and an annotated PNG */
    snprintf(cmd, sizeof cmd, "'%s' detect '%s' '%s' --threshold 0.5 --json --out '%s/ann.png' %s 2>'%s/err.txt'",
             cli_path(), model, bus, tmpdir, labels, tmpdir);
    char *out, *err;
    int rc = run_cmd(cmd, &out);
    err = read_err();
    /* stderr: only the speed line */
    vkt_check(rc == 0 && !strncmp(err, "speed:", 6) && strchr(err, '\n') && !strchr(err, '\n')[1], "detect --json: exit status %d%s%.500s",
              rc, *err ? ", stderr: " : "", err);
    printf("%s", out);
    cJSON *j = cJSON_Parse(out);
    int n = cJSON_IsArray(j) ? cJSON_GetArraySize(j) : -1, fields = 1, persons = 0, buses = 0, stems = 1;
    det js[64];
    for (int i = 0; i < n && i < 64; i++) {
        cJSON *e = cJSON_GetArrayItem(j, i), *bb = cJSON_GetObjectItem(e, "bbox");
        const char *label = cJSON_GetStringValue(cJSON_GetObjectItem(e, "label"));
        cJSON *id = cJSON_GetObjectItem(e, "image_id");
        int cat = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "category_id"));
        fields &= cJSON_IsArray(bb) && cJSON_GetArraySize(bb) == 4 && label &&
                  cJSON_IsNumber(cJSON_GetObjectItem(e, "score"));
        stems &= cJSON_IsNumber(id) && id->valuedouble == 1; /* "bus" is not a number: its position */
        persons += cat == 1 && label && !strcmp(label, "person");
        buses += cat == 6 && label && !strcmp(label, "bus");
        js[i].label = cat == 6 ? 5 : cat == 1 ? 0 : -1;
        js[i].score = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "score"));
        for (int k = 0; k < 4; k++)
            js[i].box[k] = cJSON_GetNumberValue(cJSON_GetArrayItem(bb, k));
        js[i].box[2] += js[i].box[0]; /* COCO [x, y, w, h] -> xyxy */
        js[i].box[3] += js[i].box[1];
    }
    vkt_check(n == 5 && fields && stems && persons == 4 && buses == 1,
              "JSON: a COCO results array of %d entries (want 5), image_id 1 %d, category_id 1/person x%d, "
              "6/bus x%d", n, stems, persons, buses);
    if (n > 0)
        match_golden("json", js, n < 64 ? n : 64);
    cJSON_Delete(j);
    free(out);
    free(err);
    char png[256];
    snprintf(png, sizeof png, "%s/ann.png", tmpdir);
    check_png(png, bus);

    /* --heatmap: the boxes stay, the photo under them is tinted by the
     * decoder's sampling heat; without the probe the pixels there were the photo's */
    snprintf(cmd, sizeof cmd, "'%s' detect '%s' '%s' --heatmap --out '%s/heat.png' %s >/dev/null 2>'%s/err.txt'",
             cli_path(), model, bus, tmpdir, labels, tmpdir);
    rc = run_cmd(cmd, &out);
    free(out);
    err = read_err();
    vkt_check(rc == 0 && !*err, "detect --heatmap: exit status %d%s%.500s", rc, *err ? ", stderr: " : "", err);
    free(err);
    snprintf(png, sizeof png, "%s/heat.png", tmpdir);
    vka_image *hm = vka_image_load(png), *ph = vka_image_load(bus);
    if (hm && ph && hm->width == ph->width && hm->height == ph->height) {
        uint8_t buscol[3];
        cli_class_color(5, buscol);
        size_t changed = 0, n_in = 0;
        const double *b = bus_golden[3].box; /* inside the bus box, away from its lines */
        for (int y = (int)b[1] + 20; y < (int)b[3] - 20; y += 3)
            for (int x = (int)b[0] + 20; x < (int)b[2] - 20; x += 3, n_in++) {
                const uint8_t *p = hm->rgb + ((size_t)y * hm->width + x) * 3, *q = ph->rgb + ((size_t)y * ph->width + x) * 3;
                changed += abs(p[0] - q[0]) + abs(p[1] - q[1]) + abs(p[2] - q[2]) > 30;
            }
        /* the frame stays bright outside the heat: the whole picture keeps nearly
         * all of the photo's brightness (a uniform 55% inferno blend kept ~60%) */
        double lum_h = 0, lum_p = 0;
        for (size_t i = 0; i < (size_t)hm->width * hm->height * 3; i += 3 * 7)
            lum_h += hm->rgb[i] + hm->rgb[i + 1] + hm->rgb[i + 2], lum_p += ph->rgb[i] + ph->rgb[i + 1] + ph->rgb[i + 2];
        double hits = edge_hits(hm, bus_golden[3].box, buscol);
        vkt_check(changed > n_in / 50 && changed < n_in * 9 / 10 && lum_h > 0.85 * lum_p && hits >= 0.8,
                  "detect --heatmap: %.0f%% of the bus box's pixels tinted (where the decoder sampled), picture "
                  "brightness %.0f%% of the photo's, bus box drawn (%.0f%% of edge points)",
                  100.0 * changed / n_in, 100 * lum_h / lum_p, 100 * hits);
        /* the colour bar, bottom left: the colormap from low to high */
        uint8_t lo[3], hi[3];
        cli_colorbar_color(0, lo);
        cli_colorbar_color(1, hi);
        int bw = hm->width / 4 < 200 ? hm->width / 4 : 200, y = hm->height - 30 + 4;
        const uint8_t *pl = hm->rgb + ((size_t)y * hm->width + 8) * 3, *pr = hm->rgb + ((size_t)y * hm->width + 8 + bw - 1) * 3;
        vkt_check(!memcmp(pl, lo, 3) && !memcmp(pr, hi, 3), "detect --heatmap colour bar: (%d,%d,%d) .. (%d,%d,%d)",
                  pl[0], pl[1], pl[2], pr[0], pr[1], pr[2]);
    } else {
        vkt_check(0, "detect --heatmap: %s is an image of the photo's size", png);
    }
    vka_image_free(hm);
    vka_image_free(ph);

    /* text, with a text file first among the images: an error naming it, status 1,
     * bus.jpg still detected, only its annotated PNG written */
    char txt[256];
    snprintf(txt, sizeof txt, "%s/notes.txt", tmpdir);
    FILE *f = fopen(txt, "w");
    fputs("this is not an image\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' detect '%s' '%s' '%s' --out '%s/multi.png' %s 2>'%s/err.txt'", cli_path(), model,
             txt, bus, tmpdir, labels, tmpdir);
    rc = run_cmd(cmd, &out);
    err = read_err();
    printf("%s", out);
    det tx[64];
    int nt = 0, headers = 0, agree = 1;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        char name[64];
        if (line[0] == '#') {
            headers += strstr(line, "bus.jpg (810x1080): 5 detections") != NULL;
            continue;
        }
        if (nt < 64 && sscanf(line, "%63s %lf %lf %lf %lf %lf", name, &tx[nt].score, &tx[nt].box[0], &tx[nt].box[1],
                              &tx[nt].box[2], &tx[nt].box[3]) == 6) {
            tx[nt].label = !strcmp(name, "bus") ? 5 : !strcmp(name, "person") ? 0 : -1;
            if (nt < n)
                agree &= fabs(tx[nt].score - js[nt].score) < 1e-3 && fabs(tx[nt].box[3] - js[nt].box[3]) < 0.1;
            nt++;
        }
    }
    snprintf(png, sizeof png, "%s/multi_bus.png", tmpdir);
    char nopng[256];
    snprintf(nopng, sizeof nopng, "%s/multi_notes.png", tmpdir);
    vkt_check(rc == 1 && strstr(err, "not an image") && strstr(err, txt) && access(nopng, F_OK) != 0,
              "text file as image: status %d (want 1, not a crash), stderr \"%.300s\", no %s", rc, err, nopng);
    vkt_check(headers == 1 && nt == 5 && agree, "text: header for bus.jpg %d, %d detection lines, same as JSON %d",
              headers, nt, agree);
    match_golden("text", tx, nt);
    vka_image *multi = vka_image_load(png);
    vkt_check(multi && multi->width == 810, "several images: %s written (%dx%d)", png, multi ? multi->width : 0,
              multi ? multi->height : 0);
    vka_image_free(multi);
    free(out);
    free(err);

    /* a threshold above every score: no detections, no error */
    snprintf(cmd, sizeof cmd, "'%s' detect '%s' '%s' --threshold 0.9 --json %s 2>'%s/err.txt'", cli_path(), model, bus,
             labels, tmpdir);
    rc = run_cmd(cmd, &out);
    err = read_err();
    j = cJSON_Parse(out);
    vkt_check(rc == 0 && cJSON_IsArray(j) && cJSON_GetArraySize(j) == 0 && !strstr(err, "vkattn:"),
              "threshold 0.9: status %d, %d entries (want an empty array), stderr \"%.200s\"", rc,
              cJSON_IsArray(j) ? cJSON_GetArraySize(j) : -1, err);
    cJSON_Delete(j);
    free(out);
    free(err);

    /* a bad threshold and a model that is not a detector: errors, not crashes */
    snprintf(cmd, sizeof cmd, "'%s' detect '%s' '%s' --threshold high 2>'%s/err.txt'", cli_path(), model, bus, tmpdir);
    rc = run_cmd(cmd, &out);
    err = read_err();
    vkt_check(rc == 2 && strstr(err, "not a number"), "--threshold high: status %d, stderr \"%.200s\"", rc, err);
    free(out);
    free(err);
    if ((p = vkt_asset("models/vit_tiny_ci.onnx"))) {
        snprintf(cmd, sizeof cmd, "'%s' detect '%s' '%s' 2>'%s/err.txt'", cli_path(), p, bus, tmpdir);
        rc = run_cmd(cmd, &out);
        err = read_err();
        vkt_check(rc == 1 && strstr(err, "not an RT-DETR-style detector"), "ViT as detector: status %d, stderr \"%.200s\"",
                  rc, err);
        free(out);
        free(err);
    }
}

int main(int argc, char **argv)
{
    vkt_init(argc, argv); /* the harness; the CLI makes its own context */
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vkattn-det-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    test_font();
    test_draw();
    test_cli();
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf %s", tmpdir); /* our mkdtemp directory */
    if (system(rm) != 0)
        printf("note: could not remove %s\n", tmpdir);
    return vkt_finish();
}
