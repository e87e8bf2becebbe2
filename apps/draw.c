/* SPDX-License-Identifier: MIT */
/* draw.c — detection boxes and their label tags drawn into RGB images. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "font.h"

/* 20 colours chosen to stay apart from each other (Sasha Trubetskoy's list of
 * 20 distinct colours); classes beyond 20 reuse them. */
static const uint8_t palette[20][3] = {
    {230, 25, 75},   {60, 180, 75},   {255, 225, 25}, {0, 130, 200},   {245, 130, 48},
    {145, 30, 180},  {70, 240, 240},  {240, 50, 230}, {210, 245, 60},  {250, 190, 212},
    {0, 128, 128},   {220, 190, 255}, {170, 110, 40}, {255, 250, 200}, {128, 0, 0},
    {170, 255, 195}, {128, 128, 0},   {255, 215, 180}, {0, 0, 128},    {128, 128, 128},
};

void cli_class_color(int64_t cls, uint8_t rgb[3])
{
    const uint8_t *c = palette[(cls < 0 ? -cls : cls) % 20];
    rgb[0] = c[0], rgb[1] = c[1], rgb[2] = c[2];
}

void cli_fill_rect(uint8_t *rgb, int w, int h, int x0, int y0, int x1, int y1, const uint8_t c[3])
{
    x0 = x0 < 0 ? 0 : x0, y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > w ? w : x1, y1 = y1 > h ? h : y1;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            p[0] = c[0], p[1] = c[1], p[2] = c[2];
        }
}

int cli_draw_thickness(int width, int height)
{
    int m = width < height ? width : height;
    return m >= 900 ? 3 : 2;
}

int cli_draw_scale(int width, int height)
{
    int m = width < height ? width : height;
    return m >= 1400 ? 3 : m >= 400 ? 2 : 1;
}

void cli_detection_layout(int width, int height, const float box[4], int64_t cls, const char *name, float score,
                          cli_detection_shape *d)
{
    cli_class_color(cls, d->color);
    int t = cli_draw_thickness(width, height), sc = cli_draw_scale(width, height);
    /* the box rounded to pixels and kept on the image, its lines inside it */
    int x0 = (int)(box[0] + 0.5f), y0 = (int)(box[1] + 0.5f), x1 = (int)(box[2] + 0.5f), y1 = (int)(box[3] + 0.5f);
    x0 = x0 < 0 ? 0 : x0 > width - 1 ? width - 1 : x0;
    x1 = x1 < x0 + 1 ? x0 + 1 : x1 > width ? width : x1;
    y0 = y0 < 0 ? 0 : y0 > height - 1 ? height - 1 : y0;
    y1 = y1 < y0 + 1 ? y0 + 1 : y1 > height ? height : y1;
    int r[4][4] = {{x0, y0, x1, y0 + t}, {x0, y1 - t, x1, y1}, {x0, y0, x0 + t, y1}, {x1 - t, y0, x1, y1}};
    memcpy(d->rects, r, sizeof r);

    /* "name 0.81" on a tag of the box colour: above the box's top-left corner,
     * or just inside it when there is no room above */
    snprintf(d->text, sizeof d->text, "%.80s %.2f", name, (double)score);
    int pad = sc, tw = cli_font_text_width(d->text, sc) + 2 * pad, th = (CLI_FONT_H + 1) * sc + pad;
    int tx = x0, ty = y0 - th >= 0 ? y0 - th : y0;
    if (tx + tw > width)
        tx = width - tw > 0 ? width - tw : 0;
    int tag[4] = {tx, ty, tx + tw, ty + th};
    memcpy(d->rects[4], tag, sizeof tag);
    /* dark text on light colours, light on dark (Rec. 601 luma) */
    int luma = (299 * d->color[0] + 587 * d->color[1] + 114 * d->color[2]) / 1000;
    d->ink[0] = d->ink[1] = d->ink[2] = luma < 140 ? 255 : 0;
    d->text_x = tx + pad, d->text_y = ty + pad, d->scale = sc;
}

void cli_draw_detection(uint8_t *rgb, int width, int height, const float box[4], int64_t cls, const char *name,
                        float score)
{
    cli_detection_shape d;
    cli_detection_layout(width, height, box, cls, name, score, &d);
    for (int i = 0; i < 5; i++)
        cli_fill_rect(rgb, width, height, d.rects[i][0], d.rects[i][1], d.rects[i][2], d.rects[i][3], d.color);
    cli_font_draw(rgb, width, height, d.text_x, d.text_y, d.text, d.scale, d.ink);
}
