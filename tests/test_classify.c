/* SPDX-License-Identifier: MIT */
/* test_classify.c — `vkattn classify` end to end and the heatmap renderer.
 *
 * Heatmaps (no device): tile layout, bilinear upsampling against a float64
 * formula on a linear ramp (which bilinear interpolation reproduces exactly
 * between the outer cell centers), and a rendered single hot patch that must
 * light up where it is.
 * The CLI (DeiT-Tiny ONNX, fused with heatmaps and unfused): top-1 of the three
 * golden photos equals ONNX Runtime's (281, 281, 0), the top-5 sets equal ORT's
 * (assets README 4.1; an order change between close entries is reported),
 * heatmap PNGs of tiles x crop; a text file passed as an image gives a clear
 * error and exit status 1, no crash. */
#include <cjson/cJSON.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "common.h"
#include "cli_common.h"

static char tmpdir[64];

/* ------------------------------------------------------------ heatmap unit tests */

static void test_heatmap(void)
{
    int cols, rows, w, h;
    cli_heatmap_layout(3, 224, &cols, &rows, &w, &h);
    vkt_check(cols == 4 && rows == 1 && w == 896 && h == 224, "layout 3 heads + mean: %dx%d tiles, %dx%d px", cols,
              rows, w, h);
    cli_heatmap_layout(12, 384, &cols, &rows, &w, &h);
    vkt_check(cols == 4 && rows == 4 && w == 1536 && h == 1536, "layout 12 heads + mean: %dx%d tiles, %dx%d px", cols,
              rows, w, h);

    /* ramp m = 0.3x - 0.7y + 2 on 14x14 -> 224x224: bilinear gives the ramp at the
     * clamped source coordinate (x + 0.5)·14/224 - 0.5 */
    enum { G = 14, S = 224 };
    float map[G * G], *up = malloc(sizeof(float) * S * S);
    double *ref = malloc(sizeof(double) * S * S);
    for (int y = 0; y < G; y++)
        for (int x = 0; x < G; x++)
            map[y * G + x] = 0.3f * x - 0.7f * y + 2.0f;
    cli_upsample_bilinear(map, G, S, up);
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            double fx = fmin(fmax((x + 0.5) * G / S - 0.5, 0), G - 1), fy = fmin(fmax((y + 0.5) * G / S - 0.5, 0), G - 1);
            ref[y * S + x] = 0.3 * fx - 0.7 * fy + 2.0;
        }
    vkt_compare("bilinear upsample 14 -> 224 of a ramp", up, ref, S * S, 1e-6);
    free(ref);
    free(up);

    /* gray crop; head 0 flat, head 1 one hot patch at row 3, column 10, head 2 noise */
    uint8_t *crop = malloc(S * S * 3);
    memset(crop, 128, S * S * 3);
    float maps[3 * G * G] = {0};
    maps[G * G + 3 * G + 10] = 1.0f;
    for (int i = 0; i < G * G; i++)
        maps[2 * G * G + i] = (float)vkt_rand01() * 0.01f;
    uint8_t *pic = cli_heatmap_render(crop, S, maps, 3, G, &w, &h);
    vkt_check(pic && w == 896 && h == 224, "render 3 heads: %dx%d", w, h);
    if (pic) {
        int flat = 1;
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
                flat &= memcmp(pic + ((size_t)y * w + x) * 3, pic, 3) == 0;
        vkt_check(flat && pic[0] == 58 && pic[2] == 60, "flat map: uniform tile (%d,%d,%d = 0.45·gray + 0.55·dark)",
                  pic[0], pic[1], pic[2]);
        for (int t = 1; t <= 3; t += 2) { /* head 1 and the mean: brightest pixel inside patch (3, 10) */
            int bx = 0, by = 0, best = -1;
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++) {
                    const uint8_t *p = pic + ((size_t)y * w + t * S + x) * 3;
                    if (p[0] + p[1] + p[2] > best) {
                        best = p[0] + p[1] + p[2];
                        bx = x;
                        by = y;
                    }
                }
            vkt_check(bx >= 160 && bx < 176 && by >= 48 && by < 64 && best > 500,
                      "tile %d: brightest at (%d, %d), in patch (row 3, col 10) = x 160..175, y 48..63; sum %d", t, bx,
                      by, best);
        }
    }
    free(pic);
    free(crop);
}

/* ------------------------------------------------------------ the CLI */

typedef struct {
    const char *image, *stem;
    int top5[5]; /* ORT, assets README 4.1 */
    double prob[5];
} golden;

static const golden goldens[3] = {
    {"images/coco_000000039769.png", "coco_000000039769", {281, 282, 285, 797, 811}, {0.3693, 0.2787, 0.1466, 0.0135, 0.0056}},
    {"images/ort_kitten_224.png", "ort_kitten_224", {281, 282, 285, 283, 287}, {0.6165, 0.1158, 0.1056, 0.0151, 0.0046}},
    {"images/ort_fish.png", "ort_fish", {0, 389, 758, 391, 395}, {0.3683, 0.2926, 0.0190, 0.0098, 0.0035}},
};

/* The JSON array classify --json writes (README "JSON output"): entries
 * {image_id, file_name, category_id, label, score, rank, logit}, K per image
 * in rank order; the images are given in golden order, so image_id is 1, 2, 3
 * (the file stems are not all digits). */
static void check_results(const char *mode, const char *out, const char *heat)
{
    cJSON *j = cJSON_Parse(out);
    vkt_check(cJSON_IsArray(j) && cJSON_GetArraySize(j) == 15, "%s: a JSON array of %d entries (want 3 images x 5)",
              mode, cJSON_IsArray(j) ? cJSON_GetArraySize(j) : -1);
    for (int i = 0; i < 3; i++) {
        const golden *g = &goldens[i];
        int idx[5] = {-1, -1, -1, -1, -1}, in_set = 0, same_order = 1, fields = 1;
        double maxdp = 0;
        const char *label = NULL;
        for (int k = 0; k < 5; k++) {
            cJSON *e = cJSON_GetArrayItem(j, i * 5 + k);
            const char *fn = cJSON_GetStringValue(cJSON_GetObjectItem(e, "file_name"));
            fields &= cJSON_IsNumber(cJSON_GetObjectItem(e, "image_id")) &&
                      (int)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "image_id")) == i + 1 &&
                      (int)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "rank")) == k + 1 && fn && strstr(fn, g->stem) &&
                      cJSON_IsNumber(cJSON_GetObjectItem(e, "logit"));
            idx[k] = e ? (int)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "category_id")) : -1;
            if (k == 0)
                label = cJSON_GetStringValue(cJSON_GetObjectItem(e, "label"));
            same_order &= idx[k] == g->top5[k];
            for (int q = 0; q < 5; q++)
                if (idx[k] == g->top5[q]) {
                    in_set++;
                    maxdp = fmax(maxdp, fabs(cJSON_GetNumberValue(cJSON_GetObjectItem(e, "score")) - g->prob[q]));
                }
        }
        vkt_check(fields, "%s %s: image_id %d, file_name, rank 1..5, logit in every entry", mode, g->image, i + 1);
        vkt_check(idx[0] == g->top5[0], "%s %s: top-1 %d \"%s\" (ORT %d)", mode, g->image, idx[0], label ? label : "?",
                  g->top5[0]);
        vkt_check(in_set == 5, "%s %s: top-5 {%d %d %d %d %d} = ORT's set (%s order); max |p - p_ORT| %.4f", mode,
                  g->image, idx[0], idx[1], idx[2], idx[3], idx[4], same_order ? "same" : "DIFFERENT", maxdp);
        if (heat) {
            char path[512];
            snprintf(path, sizeof path, "%s/%s_%s.png", tmpdir, heat, g->stem);
            vka_image *img = vka_image_load(path);
            int cols, rows, w, h;
            cli_heatmap_layout(3, 224, &cols, &rows, &w, &h); /* DeiT-Tiny: 3 heads */
            cli_heatmap_labelled_size(w, h, &w, &h);          /* with the title strip and the colour bar */
            vkt_check(img && img->width == w && img->height == h, "%s heatmap %s: %dx%d (want %dx%d)%s", mode, path,
                      img ? img->width : 0, img ? img->height : 0, w, h, img ? "" : vka_last_error());
            if (img) {
                /* the colour bar: its left end is the colormap's low, its right end its high */
                uint8_t lo[3], hi[3];
                cli_colorbar_color(0, lo);
                cli_colorbar_color(1, hi);
                int y = h - CLI_HEAT_BAR_H + 6 + 5, x0 = 6, x1 = 6 + 399;
                const uint8_t *pl = img->rgb + ((size_t)y * w + x0) * 3, *ph = img->rgb + ((size_t)y * w + x1) * 3;
                vkt_check(!memcmp(pl, lo, 3) && !memcmp(ph, hi, 3),
                          "%s heatmap colour bar: (%d,%d,%d) .. (%d,%d,%d), want the colormap's ends", mode, pl[0],
                          pl[1], pl[2], ph[0], ph[1], ph[2]);
            }
            vka_image_free(img);
        }
    }
    cJSON_Delete(j);
}

static void test_cli(void)
{
    const char *mp = vkt_asset("models/deit_tiny_patch16_224.onnx");
    if (!mp)
        return;
    char model[4096], imgs[3][4096], cmd[24576];
    snprintf(model, sizeof model, "%s", mp);
    for (int i = 0; i < 3; i++) {
        const char *p = vkt_asset(goldens[i].image);
        if (!p)
            return;
        snprintf(imgs[i], sizeof imgs[i], "%s", p);
    }
    const char *modes[2] = {"fused", "unfused"};
    for (int m = 0; m < 2; m++) {
        /* fused with heatmaps of the last layer; unfused checks the decomposed graph classifies alike */
        char opt[256];
        if (m)
            snprintf(opt, sizeof opt, "--no-fuse");
        else
            snprintf(opt, sizeof opt, "--heatmap '%s/heat.png'", tmpdir);
        snprintf(cmd, sizeof cmd, "'%s' classify '%s' '%s' '%s' '%s' --json --top 5 %s 2>'%s/err.txt'", cli_path(),
                 model, imgs[0], imgs[1], imgs[2], opt, tmpdir);
        char *out;
        int rc = run_cmd(cmd, &out);
        char errpath[128];
        snprintf(errpath, sizeof errpath, "%s/err.txt", tmpdir);
        char *err = read_text(errpath);
        vkt_check(rc == 0, "%s: vkattn classify exit status %d%s%.500s", modes[m], rc, *err ? ", stderr: " : "", err);
        printf("%s", out);
        check_results(modes[m], out, m ? NULL : "heat");
        free(out);
        free(err);
    }

    /* a text file among the images: an error naming it, status 1, the others still classified */
    char txt[256];
    snprintf(txt, sizeof txt, "%s/notes.txt", tmpdir);
    FILE *f = fopen(txt, "w");
    fputs("this is not an image\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' classify '%s' '%s' '%s' --json --top 1 --no-fuse 2>'%s/err.txt'", cli_path(), model,
             txt, imgs[2], tmpdir);
    char *out;
    int rc = run_cmd(cmd, &out);
    char errpath[128];
    snprintf(errpath, sizeof errpath, "%s/err.txt", tmpdir);
    char *err = read_text(errpath);
    /* the failed image is on stderr only; the JSON array holds the fish (image 2) */
    cJSON *j = cJSON_Parse(out);
    cJSON *t0 = cJSON_GetArrayItem(j, 0);
    int fish = t0 ? (int)cJSON_GetNumberValue(cJSON_GetObjectItem(t0, "category_id")) : -1;
    int id = t0 ? (int)cJSON_GetNumberValue(cJSON_GetObjectItem(t0, "image_id")) : -1;
    vkt_check(rc == 1 && strstr(err, "not an image") && strstr(err, txt) && cJSON_GetArraySize(j) == 1 && fish == 0 &&
                  id == 2,
              "text file as image: status %d (want 1, not a crash), stderr \"%.300s\", JSON entries %d, next image "
              "top-1 %d, image_id %d",
              rc, err, cJSON_GetArraySize(j), fish, id);
    cJSON_Delete(j);
    free(out);
    free(err);
}

int main(int argc, char **argv)
{
    vkt_init(argc, argv); /* the harness; the CLI makes its own context */
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vkattn-cls-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;
    test_heatmap();
    test_cli();
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf %s", tmpdir); /* our mkdtemp directory */
    if (system(rm) != 0)
        printf("note: could not remove %s\n", tmpdir);
    return vkt_finish();
}
