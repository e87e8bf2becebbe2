/* SPDX-License-Identifier: MIT */
/* image.c — image files in and out: decoding through stb_image, PNG writing
 * through stb_image_write. The implementations are compiled here, once, so the
 * static library carries them and an application needs no libstb. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The formats the header promises, and no others (PIC is left out). */
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_BMP
#define STBI_ONLY_TGA
#define STBI_ONLY_GIF
#define STBI_ONLY_HDR
#define STBI_ONLY_PNM
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STB_IMAGE_WRITE_STATIC
/* stb is third-party: its warnings under -Wall -Wextra are not ours to fix. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wtype-limits"
/* stb_image 2.30, vendored (runtime/third_party/README.md): Debian's 2.27 has
 * memory-safety bugs that 2.28 fixed and fuzz_image found */
#include "../third_party/stb_image.h"
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

/* Larger than any camera; beyond it a header is more likely corrupt or hostile
 * than a real photo, and H*W*3 bytes would not fit a device buffer anyway. */
#define VKA_IMAGE_MAX_SIDE 16384
/* stb_image sizes its buffers in int: a 16384x16384 RGBA16 PNG (2 GiB decoded)
 * makes it ask for a negative size. The bytes stb will hold, at the file's own
 * channels and depth and then at 3 channels, stay under this. */
#define VKA_IMAGE_MAX_BYTES (1ull << 30)

/* The decoded size check, from the header alone; NULL if fine, else why. */
static const char *too_big(int w, int h, int c, int is16, char *buf, size_t n)
{
    uint64_t px = (uint64_t)w * (uint64_t)h, bytes = px * (uint64_t)(c > 3 ? c : 3) * (is16 ? 2 : 1);
    if (bytes <= VKA_IMAGE_MAX_BYTES)
        return NULL;
    snprintf(buf, n, "%dx%d with %d channels of %d bits needs %.1f MiB decoded; more than %.0f MiB is refused", w, h,
             c, is16 ? 16 : 8, bytes / 1048576.0, VKA_IMAGE_MAX_BYTES / 1048576.0);
    return buf;
}

/* Two things stb_image 2.27 (Debian's libstb-dev) did not check in a JPEG, both
 * found by tests/fuzz/fuzz_image:
 *  - a DHT segment's 16 code counts may add up to more than 256, and building
 *    that table writes past its arrays (stbi_info reads those tables too);
 *  - a scan may name a Huffman table no DHT defined (or a component whose
 *    quantization table no DQT defined): 2.27 did not clear its decoder state,
 *    so it decoded with uninitialised tables and indexed their values with
 *    whatever they held (values[-978] in one progressive AC scan).
 * The vendored 2.30 guards the first and decodes the second with zeroed
 * tables, i.e. as garbage; both stay refused here, with a reason, whichever
 * stb_image is compiled in (a distribution may unbundle it).
 * This walks the markers as stb finds them (segments by their length,
 * entropy-coded data up to the next 0xFF that is not stuffing or a restart),
 * tracks which tables are defined, and refuses such a file before stb sees
 * it, as libjpeg does ("Huffman table 0x.. was not defined"). What each scan
 * needs follows stb's decoder: a baseline scan both tables of each component;
 * a progressive DC scan its DC table (first pass only); a progressive AC scan
 * its AC table. NULL if fine (or not a JPEG), else why. */
static const char *jpeg_bad(const uint8_t *p, size_t n, char *buf, size_t bn)
{
    size_t i = 0;
    while (i < n && p[i] == 0xFF)
        i++;
    if (i == 0 || i >= n || p[i] != 0xD8) /* stb's JPEG test: 0xFF..., then SOI */
        return NULL;
    i++;
    bool dc_def[4] = {0}, ac_def[4] = {0}, q_def[4] = {0}, progressive = false;
    int ncomp = 0, comp_id[4] = {0}, comp_tq[4] = {0};
    while (i < n) {
        if (p[i] != 0xFF) { /* entropy-coded data, or junk stb skips the same way */
            i++;
            continue;
        }
        while (i < n && p[i] == 0xFF)
            i++;
        if (i >= n)
            break;
        uint8_t c = p[i++];
        if (c == 0x00 || c == 0x01 || (c >= 0xD0 && c <= 0xD9)) /* stuffing, TEM, RSTn, SOI, EOI: no length */
            continue;
        if (i + 2 > n)
            break;
        size_t len = (size_t)p[i] << 8 | p[i + 1], end = i + len < n ? i + len : n;
        if (c == 0xC4) { /* stb reads table after table while the length lasts, zeros past the end */
            size_t q = i + 2;
            long left = (long)len - 2;
            while (left > 0 && q < n) {
                int sum = 0;
                for (size_t k = q + 1; k < q + 17 && k < n; k++)
                    sum += p[k];
                if (sum > 256) {
                    snprintf(buf, bn, "a JPEG whose Huffman table at byte %zu has %d codes (at most 256)", q, sum);
                    return buf;
                }
                if ((p[q] >> 4) <= 1 && (p[q] & 15) <= 3) /* stb refuses other classes and ids */
                    ((p[q] >> 4) ? ac_def : dc_def)[p[q] & 15] = true;
                q += 17 + (size_t)sum;
                left -= 17 + sum;
            }
        } else if (c == 0xDB) { /* DQT: precision/id, then 64 entries of 8 or 16 bits */
            for (size_t q = i + 2; q < end;) {
                if ((p[q] & 15) <= 3)
                    q_def[p[q] & 15] = true;
                q += (p[q] >> 4) ? 129 : 65;
            }
        } else if (c >= 0xC0 && c <= 0xC2 && i + 8 <= n) { /* SOF0/1/2: components and their DQT ids */
            progressive = c == 0xC2;
            ncomp = p[i + 7] < 4 ? p[i + 7] : 4;
            for (int k = 0; k < ncomp && i + 8 + 3 * (size_t)k + 2 < n; k++) {
                comp_id[k] = p[i + 8 + 3 * k];
                comp_tq[k] = p[i + 8 + 3 * k + 2] & 3;
            }
        } else if (c == 0xDA && i + 3 <= n) { /* SOS: component selectors, tables, then Ss Se AhAl */
            int ns = p[i + 2];
            size_t sp = i + 3 + 2 * (size_t)ns;
            if (ns > 4 || sp + 3 > n)
                break; /* stb refuses it */
            int ss = p[sp], ah = p[sp + 2] >> 4;
            for (int k = 0; k < ns; k++) {
                int id = p[i + 3 + 2 * k], hd = p[i + 4 + 2 * k] >> 4, ha = p[i + 4 + 2 * k] & 15, tq = -1;
                for (int m = 0; m < ncomp; m++)
                    if (comp_id[m] == id)
                        tq = comp_tq[m];
                if (hd > 3 || ha > 3 || tq < 0)
                    break; /* stb refuses it */
                bool need_dc = !progressive || (ss == 0 && ah == 0), need_ac = !progressive || ss > 0;
                const char *what = need_dc && !dc_def[hd]   ? "a DC Huffman"
                                   : need_ac && !ac_def[ha] ? "an AC Huffman"
                                   : !q_def[tq]             ? "a quantization"
                                                            : NULL;
                if (what) {
                    snprintf(buf, bn, "a JPEG whose scan at byte %zu uses %s table (%d) that no earlier segment defined",
                             i - 2, what, what[2] == 'D' ? hd : what[3] == 'A' ? ha : tq);
                    return buf;
                }
            }
        }
        i += len;
    }
    return NULL;
}

/* stb_image 2.27 converted a 16-bit greyscale PNM (P5, maxval over 255) to RGB
 * with its 8-bit routine and then read the result as 16-bit: a heap read past
 * the buffer (found by tests/fuzz/fuzz_image; 2.30 refuses the file). Its header
 * numbers also overflowed an int past 9 digits. Both stay refused here, with a
 * reason. Parsed as stb parses it; NULL if fine or not a PNM. */
static const char *pnm_bad(const uint8_t *p, size_t n, char *buf, size_t bn)
{
    if (n < 2 || p[0] != 'P' || (p[1] != '5' && p[1] != '6'))
        return NULL;
    size_t i = 2;
    long long v[3];
    for (int k = 0; k < 3; k++) {
        for (;;) { /* whitespace, then # comments to the end of the line */
            while (i < n && (p[i] == ' ' || (p[i] >= '\t' && p[i] <= '\r')))
                i++;
            if (i >= n || p[i] != '#')
                break;
            while (i < n && p[i] != '\n' && p[i] != '\r')
                i++;
        }
        int digits = 0;
        for (v[k] = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
            if (++digits > 9) {
                snprintf(buf, bn, "a PNM whose header has a number of more than 9 digits");
                return buf;
            }
            v[k] = v[k] * 10 + (p[i] - '0');
        }
    }
    if (p[1] == '5' && v[2] > 255) {
        snprintf(buf, bn, "a 16-bit greyscale PNM (maxval %lld), which is not supported", v[2]);
        return buf;
    }
    if (v[0] == 0 || v[1] == 0) { /* stb 2.30 calls it an unknown image type */
        snprintf(buf, bn, "a PNM of zero size (%lldx%lld)", v[0], v[1]);
        return buf;
    }
    return NULL;
}

/* What stb_image must not see (see jpeg_bad, pnm_bad); NULL if none. */
static const char *pre_scan(const uint8_t *p, size_t n, char *buf, size_t bn)
{
    const char *bad = jpeg_bad(p, n, buf, bn);
    return bad ? bad : pnm_bad(p, n, buf, bn);
}

/* Decoded pixels into an image that owns them (freed on failure); fn and what name them in the error. */
static vka_image *wrap(uint8_t *rgb, int w, int h, const char *fn, const char *what)
{
    vka_image *img = malloc(sizeof *img);
    if (!img) {
        stbi_image_free(rgb);
        vka__set_tls_error("%s: out of host memory for %s", fn, what);
        return NULL;
    }
    img->width = w;
    img->height = h;
    img->rgb = rgb;
    return img;
}

vka_image *vka_image_load(const char *path)
{
    if (!path) {
        vka__set_tls_error("vka_image_load: path is NULL");
        return NULL;
    }
    /* fopen first so a missing file says so, rather than stb's "can't fopen" */
    FILE *f = fopen(path, "rb");
    if (!f) {
        vka__set_tls_error("vka_image_load: cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    /* a JPEG or PNM is read whole first for pre_scan (before stb reads any of it) */
    unsigned char sig[2] = {0};
    if (fread(sig, 1, 2, f) == 2 &&
        ((sig[0] == 0xFF && (sig[1] == 0xD8 || sig[1] == 0xFF)) || (sig[0] == 'P' && (sig[1] == '5' || sig[1] == '6')))) {
        char why[160];
        const char *bad = NULL;
        long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
        uint8_t *all = size > 0 && size <= INT_MAX ? malloc((size_t)size) : NULL;
        if (all && fseek(f, 0, SEEK_SET) == 0 && fread(all, 1, (size_t)size, f) == (size_t)size)
            bad = pre_scan(all, (size_t)size, why, sizeof why);
        else
            bad = size > INT_MAX ? "over 2 GiB" : "unreadable";
        free(all);
        if (bad) {
            fclose(f);
            vka__set_tls_error("vka_image_load: %s is %s", path, bad);
            return NULL;
        }
    }
    rewind(f);
    int w = 0, h = 0, c = 0;
    /* the header alone, so absurd dimensions are refused before any allocation */
    if (!stbi_info_from_file(f, &w, &h, &c)) {
        fclose(f);
        vka__set_tls_error("vka_image_load: %s is not an image stb_image can read (JPEG, PNG, BMP, TGA, GIF, HDR, "
                           "PNM): %s", path, stbi_failure_reason());
        return NULL;
    }
    if (w <= 0 || h <= 0) {
        fclose(f);
        vka__set_tls_error("vka_image_load: %s has zero size (%dx%d)", path, w, h);
        return NULL;
    }
    if (w > VKA_IMAGE_MAX_SIDE || h > VKA_IMAGE_MAX_SIDE) {
        fclose(f);
        vka__set_tls_error("vka_image_load: %s is %dx%d; more than %d pixels per side is refused", path, w, h,
                           VKA_IMAGE_MAX_SIDE);
        return NULL;
    }
    char why[160];
    if (too_big(w, h, c, stbi_is_16_bit_from_file(f), why, sizeof why)) {
        fclose(f);
        vka__set_tls_error("vka_image_load: %s is %s", path, why);
        return NULL;
    }
    /* 3 channels requested: grey is replicated, alpha dropped (as PIL's convert('RGB')) */
    uint8_t *rgb = stbi_load_from_file(f, &w, &h, &c, 3);
    fclose(f);
    if (!rgb) {
        vka__set_tls_error("vka_image_load: decoding %s failed: %s", path, stbi_failure_reason());
        return NULL;
    }
    return wrap(rgb, w, h, "vka_image_load", path);
}

/* Everything vka_image_decode checks before decoding: size, the JPEG/PNM
 * guards, stb's header, the side and decoded-size limits; errors as `fn`. */
static vka_status probe(const void *data, size_t bytes, const char *what, const char *fn, int *w, int *h, int *c)
{
    if (!data || bytes == 0 || bytes > INT_MAX) {
        vka__set_tls_error("%s: %s: %s", fn, what, !data ? "data is NULL" : "size out of range");
        return VKA_ERR_INVALID_ARG;
    }
    char bad[160];
    if (pre_scan(data, bytes, bad, sizeof bad)) {
        vka__set_tls_error("%s: %s is %s", fn, what, bad);
        return VKA_ERR_FORMAT;
    }
    if (!stbi_info_from_memory(data, (int)bytes, w, h, c)) {
        vka__set_tls_error("%s: %s is not an image stb_image can read: %s", fn, what, stbi_failure_reason());
        return VKA_ERR_FORMAT;
    }
    if (*w <= 0 || *h <= 0 || *w > VKA_IMAGE_MAX_SIDE || *h > VKA_IMAGE_MAX_SIDE) {
        vka__set_tls_error("%s: %s is %dx%d; 1 to %d pixels per side are accepted", fn, what, *w, *h,
                           VKA_IMAGE_MAX_SIDE);
        return VKA_ERR_TOO_LARGE;
    }
    char why[160];
    if (too_big(*w, *h, *c, stbi_is_16_bit_from_memory(data, (int)bytes), why, sizeof why)) {
        vka__set_tls_error("%s: %s is %s", fn, what, why);
        return VKA_ERR_TOO_LARGE;
    }
    return VKA_OK;
}

vka_status vka_image_probe(const void *data, size_t bytes, const char *what, int *width, int *height)
{
    int w = 0, h = 0, c = 0;
    vka_status s = probe(data, bytes, what ? what : "image", "vka_image_probe", &w, &h, &c);
    if (width)
        *width = s ? 0 : w;
    if (height)
        *height = s ? 0 : h;
    return s;
}

vka_image *vka_image_decode(const void *data, size_t bytes, const char *what)
{
    what = what ? what : "image";
    int w = 0, h = 0, c = 0;
    if (probe(data, bytes, what, "vka_image_decode", &w, &h, &c))
        return NULL;
    uint8_t *rgb = stbi_load_from_memory(data, (int)bytes, &w, &h, &c, 3);
    if (!rgb) {
        vka__set_tls_error("vka_image_decode: decoding %s failed: %s", what, stbi_failure_reason());
        return NULL;
    }
    return wrap(rgb, w, h, "vka_image_decode", what);
}

void vka_image_free(vka_image *img)
{
    if (!img)
        return;
    stbi_image_free(img->rgb);
    free(img);
}

vka_status vka_image_write_png(const char *path, int width, int height, const uint8_t *rgb)
{
    if (!path || !rgb || width <= 0 || height <= 0 || width > VKA_IMAGE_MAX_SIDE || height > VKA_IMAGE_MAX_SIDE) {
        vka__set_tls_error("vka_image_write_png: bad arguments (path %s, %dx%d, rgb %s)", path ? path : "NULL", width,
                           height, rgb ? "set" : "NULL");
        return VKA_ERR_INVALID_ARG;
    }
    errno = 0;
    if (!stbi_write_png(path, width, height, 3, rgb, width * 3)) {
        /* stb_image_write gives no reason; errno from its fopen/fwrite usually does */
        vka__set_tls_error("vka_image_write_png: cannot write %s: %s", path, errno ? strerror(errno) : "write failed");
        return VKA_ERR_IO;
    }
    return VKA_OK;
}
