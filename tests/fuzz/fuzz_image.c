/* SPDX-License-Identifier: MIT */
/* fuzz_image.c — libFuzzer: raw bytes as an encoded image (vka_image_decode:
 * stb_image's PNG, JPEG, BMP, GIF, TGA, HDR, PNM behind vkattn's limits);
 * a decoded image's every pixel byte is read.
 *
 * A 100-byte RLE TGA or PNG may declare up to 16384x16384 pixels, which vkattn
 * accepts and stb then decodes in 20-80 s under ASan: most of a run would go
 * to a few such inputs (44 exec/s). So inputs that vka_image_probe accepts
 * (every check decoding makes first) with more than FZ_MAX_PIXELS are
 * skipped; those it refuses still go in (their refusal is fuzzed, in probe
 * and decode alike), as does everything smaller. */
#include <stdint.h>
#include <stdlib.h>

#include "vkattn.h"

#define FZ_MAX_PIXELS (1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int w = 0, h = 0;
    if (vka_image_probe(data, size, "fuzz", &w, &h) == VKA_OK && (int64_t)w * h > FZ_MAX_PIXELS)
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
