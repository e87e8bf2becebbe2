/* SPDX-License-Identifier: MIT */
/* fuzz_image.c — libFuzzer: raw bytes as an encoded image (vka_image_decode:
 * stb_image's PNG, JPEG, BMP, GIF, TGA, PSD, HDR, PNM behind vkattn's limits);
 * a decoded image's every pixel byte is read.
 *
 * A 100-byte RLE TGA or PNG may declare up to 16384x16384 pixels, which vkattn
 * accepts and stb then decodes in 20-80 s under ASan: most of a run would go
 * to a few such inputs (44 exec/s). So inputs whose header declares more than
 * FZ_MAX_PIXELS but within vkattn's limits are skipped; those past the limits
 * still go in (their refusal is fuzzed), as does everything smaller. The
 * header is read by this target's own copy of stb_image, except JPEG and PNM
 * headers, which stb would read before the library's guards (jpeg_dims,
 * pnm_dims). */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vkattn.h"

#define FZ_MAX_PIXELS (1 << 20)
#define FZ_LIMIT_SIDE 16384 /* runtime/src/image.c VKA_IMAGE_MAX_SIDE */

#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_TGA
#define STBI_ONLY_GIF
#define STBI_ONLY_PSD
#define STBI_ONLY_HDR
#define STBI_ONLY_PNM
#define STBI_NO_STDIO
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../../runtime/third_party/stb_image.h" /* the library's stb_image */

/* A JPEG's size from its SOFn segment (stb's JPEG reader is left out of this
 * copy: its header pass reads Huffman tables, which only the library guards). */
static int jpeg_dims(const uint8_t *p, size_t n, int *w, int *h)
{
    size_t i = 2;
    while (i + 9 < n) {
        if (p[i] != 0xFF) {
            i++;
            continue;
        }
        uint8_t m = p[i + 1];
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            *h = p[i + 5] << 8 | p[i + 6];
            *w = p[i + 7] << 8 | p[i + 8];
            return 1;
        }
        if (m == 0xFF || m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD9)) {
            i++;
            continue;
        }
        i += 2 + (size_t)(p[i + 2] << 8 | p[i + 3]);
    }
    return 0;
}

/* A PNM's size, parsed as stb does but refusing numbers over 9 digits, as the
 * library does before stb's int parse overflows (stb's own info would). */
static int pnm_dims(const uint8_t *p, size_t n, int *w, int *h)
{
    size_t i = 2;
    long v[2];
    for (int k = 0; k < 2; k++) {
        for (;;) {
            while (i < n && (p[i] == ' ' || (p[i] >= '\t' && p[i] <= '\r')))
                i++;
            if (i >= n || p[i] != '#')
                break;
            while (i < n && p[i] != '\n' && p[i] != '\r')
                i++;
        }
        int digits = 0;
        for (v[k] = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++)
            if (++digits > 9)
                return 0;
            else
                v[k] = v[k] * 10 + (p[i] - '0');
    }
    *w = (int)v[0];
    *h = (int)v[1];
    return 1;
}

static int huge_but_allowed(const uint8_t *data, size_t size)
{
    int w = 0, h = 0, c = 0;
    int known = size >= 2 && data[0] == 0xFF && data[1] == 0xD8 ? jpeg_dims(data, size, &w, &h)
                : size >= 2 && data[0] == 'P' && (data[1] == '5' || data[1] == '6')
                    ? pnm_dims(data, size, &w, &h)
                    : size <= INT_MAX && stbi_info_from_memory(data, (int)size, &w, &h, &c);
    return known && w > 0 && h > 0 && w <= FZ_LIMIT_SIDE && h <= FZ_LIMIT_SIDE &&
           (int64_t)w * h > FZ_MAX_PIXELS;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (huge_but_allowed(data, size))
        return 0;
    vka_image *img = vka_image_decode(data, size, "fuzz");
    if (!img)
        return 0;
    if (img->width <= 0 || img->height <= 0 || !img->rgb)
        abort();
    volatile uint8_t sink = 0;
    size_t n = (size_t)img->width * (size_t)img->height * 3;
    for (size_t i = 0; i < n; i++)
        sink ^= img->rgb[i];
    (void)sink;
    vka_image_free(img);
    return 0;
}
