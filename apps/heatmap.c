/* SPDX-License-Identifier: MIT */
/* heatmap.c — attention maps drawn over the image the model saw: one tile per
 * map, the crop blended with an inferno colormap of the map upsampled to it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "font.h"

/* matplotlib's inferno at 9 stops (dark = low attention, bright = high) */
static const float inferno[9][3] = {
    {0, 0, 4},       {31, 12, 72},  {85, 15, 109},  {136, 34, 106}, {186, 54, 85},
    {227, 89, 51},   {249, 140, 10}, {249, 201, 50}, {252, 255, 164},
};

void cli_upsample_bilinear(const float *map, int grid, int size, float *out)
{
    /* half-pixel centers (align_corners = False), edges clamped: each grid
     * cell covers size/grid pixels of the crop, as a patch does */
    double s = (double)grid / size;
    for (int y = 0; y < size; y++) {
        double fy = (y + 0.5) * s - 0.5;
        fy = fy < 0 ? 0 : fy > grid - 1 ? grid - 1 : fy;
        int y0 = (int)fy, y1 = y0 + 1 < grid ? y0 + 1 : y0;
        double ay = fy - y0;
        for (int x = 0; x < size; x++) {
            double fx = (x + 0.5) * s - 0.5;
            fx = fx < 0 ? 0 : fx > grid - 1 ? grid - 1 : fx;
            int x0 = (int)fx, x1 = x0 + 1 < grid ? x0 + 1 : x0;
            double ax = fx - x0;
            double top = map[y0 * grid + x0] * (1 - ax) + map[y0 * grid + x1] * ax;
            double bot = map[y1 * grid + x0] * (1 - ax) + map[y1 * grid + x1] * ax;
            out[(size_t)y * size + x] = (float)(top * (1 - ay) + bot * ay);
        }
    }
}

static void colormap(float t, float rgb[3])
{
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    float f = t * 8;
    int i = (int)f < 7 ? (int)f : 7;
    float a = f - (float)i;
    for (int c = 0; c < 3; c++)
        rgb[c] = inferno[i][c] * (1 - a) + inferno[i + 1][c] * a;
}

void cli_heatmap_layout(int nmaps, int size, int *cols, int *rows, int *width, int *height)
{
    int nt = nmaps + 1; /* plus the mean of the maps */
    int c = nt < 4 ? nt : 4;
    *cols = c;
    *rows = (nt + c - 1) / c;
    *width = c * size;
    *height = *rows * size;
}

uint8_t *cli_heatmap_render(const uint8_t *crop, int size, const float *maps, int nmaps, int grid, int *width,
                            int *height)
{
    int cols, rows;
    cli_heatmap_layout(nmaps, size, &cols, &rows, width, height);
    size_t gg = (size_t)grid * grid;
    uint8_t *img = calloc((size_t)*width * *height * 3, 1);
    float *mean = calloc(gg, sizeof *mean), *up = malloc(sizeof *up * (size_t)size * size);
    if (!img || !mean || !up) {
        free(img), free(mean), free(up);
        return NULL;
    }
    for (int m = 0; m < nmaps; m++)
        for (size_t i = 0; i < gg; i++)
            mean[i] += maps[m * gg + i] / (float)nmaps;
    for (int t = 0; t <= nmaps; t++) {
        cli_upsample_bilinear(t < nmaps ? maps + t * gg : mean, grid, size, up);
        /* per tile: heads differ in how peaked they are; each uses the full scale */
        float lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < (size_t)size * size; i++) {
            lo = up[i] < lo ? up[i] : lo;
            hi = up[i] > hi ? up[i] : hi;
        }
        float inv = hi > lo ? 1.0f / (hi - lo) : 0.0f;
        int tx = (t % cols) * size, ty = (t / cols) * size;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++) {
                float col[3];
                colormap((up[(size_t)y * size + x] - lo) * inv, col);
                const uint8_t *src = crop + ((size_t)y * size + x) * 3;
                uint8_t *dst = img + ((size_t)(ty + y) * *width + tx + x) * 3;
                for (int c = 0; c < 3; c++) /* 45% photo, 55% map: both stay readable */
                    dst[c] = (uint8_t)lrintf(0.45f * src[c] + 0.55f * col[c]);
            }
    }
    free(mean);
    free(up);
    return img;
}

void cli_heat_blend(uint8_t *rgb, int width, int height, const float *map, int grid, float opacity)
{
    float lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < grid * grid; i++)
        lo = fminf(lo, map[i]), hi = fmaxf(hi, map[i]);
    float inv = hi > lo ? 1.0f / (hi - lo) : 0.0f;
    for (int y = 0; y < height; y++) {
        float fy = fminf(fmaxf((y + 0.5f) * grid / height - 0.5f, 0.0f), (float)(grid - 1));
        int y0 = (int)fy, y1 = y0 + 1 < grid ? y0 + 1 : y0;
        float ay = fy - y0;
        for (int x = 0; x < width; x++) {
            float fx = fminf(fmaxf((x + 0.5f) * grid / width - 0.5f, 0.0f), (float)(grid - 1));
            int x0 = (int)fx, x1 = x0 + 1 < grid ? x0 + 1 : x0;
            float ax = fx - x0;
            float v = (map[y0 * grid + x0] * (1 - ax) + map[y0 * grid + x1] * ax) * (1 - ay) +
                      (map[y1 * grid + x0] * (1 - ax) + map[y1 * grid + x1] * ax) * ay;
            float col[3], t = (v - lo) * inv;
            colormap(t, col);
            /* weighted by the heat itself: the frame stays as it was where the
             * model did not look, instead of sinking into the colormap's black */
            float a = opacity * t;
            uint8_t *p = rgb + ((size_t)y * width + x) * 3;
            for (int c = 0; c < 3; c++)
                p[c] = (uint8_t)lrintf((1 - a) * p[c] + a * col[c]);
        }
    }
}

/* ------------------------------------------------------------ labels and colour bar */

void cli_colorbar_color(float t, uint8_t rgb[3])
{
    float c[3];
    colormap(t, c);
    for (int k = 0; k < 3; k++)
        rgb[k] = (uint8_t)lrintf(c[k]);
}

void cli_draw_colorbar(uint8_t *rgb, int w, int h, int x, int y, int bw, int bh, const char *lo, const char *hi)
{
    static const uint8_t white[3] = {255, 255, 255}, black[3] = {0, 0, 0};
    cli_fill_rect(rgb, w, h, x - 1, y - 1, x + bw + 1, y + bh + 1, white); /* a frame: visible on any image */
    for (int i = 0; i < bw; i++) {
        uint8_t c[3];
        cli_colorbar_color(bw > 1 ? (float)i / (float)(bw - 1) : 0, c);
        cli_fill_rect(rgb, w, h, x + i, y, x + i + 1, y + bh, c);
    }
    int ty = y + bh + 3, lw = cli_font_text_width(lo, 1), hw = cli_font_text_width(hi, 1);
    cli_fill_rect(rgb, w, h, x - 1, ty - 1, x + lw + 1, ty + CLI_FONT_H + 1, black);
    cli_font_draw(rgb, w, h, x, ty, lo, 1, white);
    cli_fill_rect(rgb, w, h, x + bw - hw - 1, ty - 1, x + bw + 1, ty + CLI_FONT_H + 1, black);
    cli_font_draw(rgb, w, h, x + bw - hw, ty, hi, 1, white);
}

void cli_heatmap_labelled_size(int width, int height, int *out_w, int *out_h)
{
    *out_w = width;
    *out_h = CLI_HEAT_TITLE_H + height + CLI_HEAT_BAR_H;
}

uint8_t *cli_heatmap_label(const uint8_t *tiles, int width, int height, int size, int nmaps, const char *title,
                           int *out_w, int *out_h)
{
    static const uint8_t bg[3] = {24, 24, 24}, white[3] = {255, 255, 255}, black[3] = {0, 0, 0};
    int W, H;
    cli_heatmap_labelled_size(width, height, &W, &H);
    uint8_t *img = malloc((size_t)W * H * 3);
    if (!img)
        return NULL;
    cli_fill_rect(img, W, H, 0, 0, W, H, bg);
    memcpy(img + (size_t)CLI_HEAT_TITLE_H * W * 3, tiles, (size_t)width * height * 3);
    int scale = cli_font_text_width(title, 2) <= W - 12 ? 2 : 1;
    cli_font_draw(img, W, H, 6, (CLI_HEAT_TITLE_H - CLI_FONT_H * scale) / 2 + 1, title, scale, white);
    int cols = nmaps + 1 < 4 ? nmaps + 1 : 4;
    for (int t = 0; t <= nmaps; t++) {
        char cap[48];
        if (t < nmaps)
            snprintf(cap, sizeof cap, "head %d", t);
        else
            snprintf(cap, sizeof cap, "mean of %d heads", nmaps);
        int x = (t % cols) * size + 4, y = CLI_HEAT_TITLE_H + (t / cols) * size + 4;
        int cw = cli_font_text_width(cap, 2) <= size - 10 ? 2 : 1;
        cli_fill_rect(img, W, H, x - 2, y - 2, x + cli_font_text_width(cap, cw) + 2, y + CLI_FONT_H * cw + 1, black);
        cli_font_draw(img, W, H, x, y, cap, cw, white);
    }
    int by = CLI_HEAT_TITLE_H + height + 6, bw = W - 12 < 400 ? W - 12 : 400;
    cli_draw_colorbar(img, W, H, 6, by, bw, 10, "low", "high");
    const char *note = "attention, each tile scaled to its own min..max";
    if (6 + bw + 12 + cli_font_text_width(note, 1) <= W)
        cli_font_draw(img, W, H, 6 + bw + 12, by + 1, note, 1, white);
    *out_w = W;
    *out_h = H;
    return img;
}
