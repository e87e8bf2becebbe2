/* SPDX-License-Identifier: MIT */
/* compose.h — the viewer's frame composited on the GPU into an RGBA image the
 * size of the window: the camera frame (scaled, with a heat map blended over
 * it), then boxes and tags, then the HUD panel, then all text. The host only
 * sends the lists of rects and glyphs; pixels stay on the device.
 *
 *     composer *c = composer_create(ctx, bgra, w, h);
 *     composer_begin(c);
 *     composer_rect(c, COMPOSE_OVERLAY, x0, y0, x1, y1, 0xFFE6194B);
 *     composer_text(c, 8, 8, "FPS 4.1", 2, 0xFFFFFFFF);
 *     composer_draw(c, frame_rgb, &image_params, map, gw, gh);   // submits
 *     presenter_show(p, composer_image(c));
 */
#ifndef VKA_COMPOSE_H
#define VKA_COMPOSE_H
#include "vkattn.h"

enum { COMPOSE_OVERLAY = 0, COMPOSE_HUD = 1 }; /* drawn in this order, text after both */

typedef struct composer composer;

composer *composer_create(vka_context *ctx, int bgra, int width, int height);
void composer_destroy(composer *c);
/* New window size: a new image. 0 on success. */
int composer_resize(composer *c, int width, int height);
vka_tensor *composer_image(composer *c);
void composer_begin(composer *c);
/* A filled rect (x1, y1 exclusive), colour 0xAARRGGBB; dropped past the list's capacity. */
void composer_rect(composer *c, int layer, int x0, int y0, int x1, int y1, uint32_t argb);
/* Text in the built-in font at scale 1..16; returns its width in pixels. */
int composer_text(composer *c, int x, int y, const char *s, int scale, uint32_t argb);
/* Clears the window, draws frame (U8 [h, w, 3], or NULL: background only)
 * with p, the heat map (host floats [gh, gw], or NULL) over p's map rect, then
 * the lists; records and submits. Returns a status (context has the message). */
vka_status composer_draw(composer *c, vka_tensor *frame, const vka_draw_image_params *p, const float *map, int gw,
                         int gh);
/* Writes the last composited image as an RGB PNG. */
vka_status composer_screenshot(composer *c, const char *path);
#endif
