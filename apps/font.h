/* SPDX-License-Identifier: MIT */
/* font.h — a tiny built-in bitmap font for text drawn into RGB images (the
 * label tags of `vkattn detect`, the live viewer). No files, no dependencies.
 *
 *     int w = cli_font_text_width("bus 0.66", 2);          // pixels at 2x
 *     cli_font_draw(rgb, width, height, x, y, "bus 0.66", 2, (uint8_t[3]){255, 255, 255});
 *
 * Covers a-z, A-Z, 0-9, space and . - _ ( ) , / : = + % < > [ ] # @; any other character is drawn as
 * a hollow box. Glyphs are CLI_FONT_W x CLI_FONT_H at scale 1 (capitals and
 * digits 7 rows tall, the last row for descenders), CLI_FONT_ADVANCE apart. */
#ifndef VKA_FONT_H
#define VKA_FONT_H
#include <stdint.h>

#define CLI_FONT_W 5
#define CLI_FONT_H 8
#define CLI_FONT_ADVANCE 6

/* CLI_FONT_H rows of the glyph for c, bit CLI_FONT_W-1 the leftmost column;
 * NULL when the font lacks c. */
const uint8_t *cli_font_glyph(char c);
/* Width in pixels of s drawn at `scale` (no trailing gap). */
int cli_font_text_width(const char *s, int scale);
/* Draws s with its top-left corner at (x, y) into rgb [height, width, 3];
 * each font pixel becomes scale x scale pixels; clipped to the image. */
void cli_font_draw(uint8_t *rgb, int width, int height, int x, int y, const char *s, int scale, const uint8_t color[3]);
#endif
