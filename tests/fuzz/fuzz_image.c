/* fuzz_image.c — libFuzzer: raw bytes as an encoded image (vka_image_decode:
 * stb_image's PNG, JPEG, BMP, GIF, TGA, PSD, HDR, PNM behind vkattn's limits);
 * a decoded image's every pixel byte is read. */
#include <stdint.h>
#include <stdlib.h>

#include "vkattn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
