/* SPDX-License-Identifier: MIT */
/* compose.c — the viewer's frame composited on the GPU (see compose.h). */
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "font.h"

#define MAX_RECTS 2048   /* per layer */
#define MAX_GLYPHS 4096
#define FONT_CHARS 128

struct composer {
    vka_context *ctx;
    vka_cmd *cmd;
    int bgra, width, height;
    vka_tensor *image;               /* U8 [height, width, 4] */
    vka_tensor *clear;               /* I32 [1, 5]: the whole window */
    vka_tensor *rects_t[2];          /* I32 [MAX_RECTS, 5] per layer */
    int32_t rects[2][MAX_RECTS * 5];
    int nrects[2];
    vka_tensor *glyphs_t;            /* I32 [MAX_GLYPHS, 4] */
    int32_t glyphs[MAX_GLYPHS * 4];
    int nglyphs;
    vka_tensor *font;                /* I32 [FONT_CHARS, CLI_FONT_H] */
    vka_tensor *map;                 /* F32 [gh, gw] */
    int map_w, map_h;
};

static vka_tensor *tensor_i32(vka_context *ctx, int64_t rows, int64_t cols)
{
    int64_t s[2] = {rows, cols};
    return vka_tensor_create(ctx, VKA_I32, 2, s);
}

composer *composer_create(vka_context *ctx, int bgra, int width, int height)
{
    composer *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->ctx = ctx, c->bgra = bgra;
    c->cmd = vka_cmd_create(ctx);
    c->clear = tensor_i32(ctx, 1, 5);
    c->rects_t[0] = tensor_i32(ctx, MAX_RECTS, 5);
    c->rects_t[1] = tensor_i32(ctx, MAX_RECTS, 5);
    c->glyphs_t = tensor_i32(ctx, MAX_GLYPHS, 4);
    c->font = tensor_i32(ctx, FONT_CHARS, CLI_FONT_H);
    if (!c->cmd || !c->clear || !c->rects_t[0] || !c->rects_t[1] || !c->glyphs_t || !c->font ||
        composer_resize(c, width, height)) {
        composer_destroy(c);
        return NULL;
    }
    int32_t font[FONT_CHARS * CLI_FONT_H] = {0};
    for (int ch = 32; ch < FONT_CHARS; ch++) {
        const uint8_t *g = cli_font_glyph((char)ch);
        for (int r = 0; g && r < CLI_FONT_H; r++)
            font[ch * CLI_FONT_H + r] = g[r];
    }
    for (int r = 0; r < CLI_FONT_H - 1; r++) /* 127: the hollow box of characters the font lacks */
        font[127 * CLI_FONT_H + r] = r == 0 || r == CLI_FONT_H - 2 ? 0x1F : 0x11;
    if (vka_tensor_upload(c->font, font, sizeof font)) {
        composer_destroy(c);
        return NULL;
    }
    return c;
}

void composer_destroy(composer *c)
{
    if (!c)
        return;
    vka_cmd_destroy(c->cmd);
    vka_tensor_destroy(c->image);
    vka_tensor_destroy(c->clear);
    vka_tensor_destroy(c->rects_t[0]);
    vka_tensor_destroy(c->rects_t[1]);
    vka_tensor_destroy(c->glyphs_t);
    vka_tensor_destroy(c->font);
    vka_tensor_destroy(c->map);
    free(c);
}

int composer_resize(composer *c, int width, int height)
{
    if (c->image && width == c->width && height == c->height)
        return 0;
    vka_tensor_destroy(c->image);
    int64_t s[3] = {height, width, 4};
    c->image = vka_tensor_create(c->ctx, VKA_U8, 3, s);
    c->width = width, c->height = height;
    int32_t clear[5] = {0, 0, width, height, (int32_t)0xFF202020u};
    return !c->image || vka_tensor_upload(c->clear, clear, sizeof clear);
}

vka_tensor *composer_image(composer *c) { return c->image; }

void composer_begin(composer *c) { c->nrects[0] = c->nrects[1] = c->nglyphs = 0; }

void composer_rect(composer *c, int layer, int x0, int y0, int x1, int y1, uint32_t argb)
{
    if (layer < 0 || layer > 1 || c->nrects[layer] >= MAX_RECTS || x1 <= x0 || y1 <= y0)
        return;
    int32_t *r = c->rects[layer] + 5 * c->nrects[layer]++;
    r[0] = x0, r[1] = y0, r[2] = x1, r[3] = y1, r[4] = (int32_t)argb;
}

int composer_text(composer *c, int x, int y, const char *s, int scale, uint32_t argb)
{
    for (int i = 0; s[i]; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch != ' ' && c->nglyphs < MAX_GLYPHS) {
            int32_t *g = c->glyphs + 4 * c->nglyphs++;
            /* characters the font lacks draw as its hollow box (DEL's slot) */
            g[0] = x + i * CLI_FONT_ADVANCE * scale, g[1] = y;
            g[2] = (ch < FONT_CHARS && cli_font_glyph((char)ch) ? ch : 127) | scale << 8;
            g[3] = (int32_t)argb;
        }
    }
    return cli_font_text_width(s, scale);
}

vka_status composer_draw(composer *c, vka_tensor *frame, const vka_draw_image_params *p, const float *map, int gw,
                         int gh)
{
    vka_status s;
    if (map && (gw != c->map_w || gh != c->map_h)) {
        vka_tensor_destroy(c->map);
        int64_t ms[2] = {gh, gw};
        if (!(c->map = vka_tensor_create(c->ctx, VKA_F32, 2, ms)))
            return VKA_ERR_OUT_OF_MEMORY;
        c->map_w = gw, c->map_h = gh;
    }
    if ((map && (s = vka_tensor_upload(c->map, map, sizeof(float) * (size_t)gw * gh))) ||
        (s = vka_tensor_upload(c->rects_t[0], c->rects[0], sizeof c->rects[0])) ||
        (s = vka_tensor_upload(c->rects_t[1], c->rects[1], sizeof c->rects[1])) ||
        (s = vka_tensor_upload(c->glyphs_t, c->glyphs, sizeof c->glyphs)))
        return s;
    if ((s = vka_cmd_begin(c->cmd)) || (s = vka_draw_rects(c->cmd, c->clear, 1, c->bgra, c->image)) ||
        (frame && (s = vka_draw_image(c->cmd, frame, map ? c->map : NULL, p, c->image))) ||
        (s = vka_draw_rects(c->cmd, c->rects_t[0], c->nrects[0], c->bgra, c->image)) ||
        (s = vka_draw_rects(c->cmd, c->rects_t[1], c->nrects[1], c->bgra, c->image)) ||
        (s = vka_draw_glyphs(c->cmd, c->font, CLI_FONT_W, CLI_FONT_H, c->glyphs_t, c->nglyphs, c->bgra, c->image)) ||
        (s = vka_cmd_end(c->cmd)))
        return s;
    return vka_cmd_submit(c->cmd);
}

vka_status composer_screenshot(composer *c, const char *path)
{
    size_t n = (size_t)c->width * c->height;
    uint8_t *px = malloc(n * 4), *rgb = malloc(n * 3);
    vka_status s = px && rgb ? vka_tensor_download(c->image, px, n * 4) : VKA_ERR_OUT_OF_MEMORY;
    if (!s) {
        for (size_t i = 0; i < n; i++) {
            rgb[3 * i + 0] = px[4 * i + (c->bgra ? 2 : 0)];
            rgb[3 * i + 1] = px[4 * i + 1];
            rgb[3 * i + 2] = px[4 * i + (c->bgra ? 0 : 2)];
        }
        s = vka_image_write_png(path, c->width, c->height, rgb);
    }
    free(px), free(rgb);
    return s;
}
