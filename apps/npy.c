/* SPDX-License-Identifier: MIT */
/* npy.c — parses .npy files (format versions 1-3) for `vkattn run --input`. */
#include "npy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NPY_MAX_HEADER 65536 /* numpy writes under 200 bytes; anything far larger is not a .npy */

static int fail(char *why, size_t n, const char *fmt, ...)
{
    if (why && n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* The value after 'key': in the header dict [p, end), or NULL. */
static const char *find_value(const char *p, const char *end, const char *key)
{
    size_t k = strlen(key);
    for (; p + k + 2 <= end; p++)
        if ((*p == '\'' || *p == '"') && p[k + 1] == *p && !memcmp(p + 1, key, k)) {
            const char *q = skip_ws(p + k + 2, end);
            if (q < end && *q == ':')
                return skip_ws(q + 1, end);
            return NULL;
        }
    return NULL;
}

static int parse_shape(const char *p, const char *end, cli_npy *o, char *why, size_t n)
{
    if (!p || p >= end || *p != '(')
        return fail(why, n, "header has no 'shape' tuple");
    p++;
    o->ndim = 0;
    for (;;) {
        p = skip_ws(p, end);
        if (p < end && *p == ')')
            return 0;
        if (p >= end || *p < '0' || *p > '9')
            return fail(why, n, "malformed 'shape' (dims must be non-negative integers)");
        if (o->ndim == CLI_NPY_MAX_DIMS)
            return fail(why, n, "shape has more than %d dims", CLI_NPY_MAX_DIMS);
        int64_t d = 0;
        for (; p < end && *p >= '0' && *p <= '9'; p++) {
            if (d > (INT64_MAX - (*p - '0')) / 10)
                return fail(why, n, "shape dim %d overflows int64", o->ndim);
            d = d * 10 + (*p - '0');
        }
        o->shape[o->ndim++] = d;
        p = skip_ws(p, end);
        if (p < end && *p == ',')
            p++;
        else if (p >= end || *p != ')')
            return fail(why, n, "malformed 'shape' after dim %d", o->ndim - 1);
    }
}

int cli_npy_parse(const void *buf, size_t size, cli_npy *o, char *why, size_t n)
{
    const unsigned char *b = buf;
    memset(o, 0, sizeof *o);
    if (size < 10 || memcmp(b, "\x93NUMPY", 6))
        return fail(why, n, "not a .npy file (no \\x93NUMPY magic)");
    if (b[6] < 1 || b[6] > 3)
        return fail(why, n, "unknown .npy format version %d", b[6]);
    size_t start = b[6] == 1 ? 10 : 12;
    if (size < start)
        return fail(why, n, "truncated .npy header length");
    size_t hl = b[8] | (size_t)b[9] << 8;
    if (b[6] >= 2)
        hl |= (size_t)b[10] << 16 | (size_t)b[11] << 24;
    if (hl > NPY_MAX_HEADER || hl > size - start)
        return fail(why, n, "header of %zu bytes runs past the file (%zu bytes)", hl, size);
    const char *h = (const char *)b + start, *end = h + hl;
    const char *descr = find_value(h, end, "descr");
    int is_int;
    if (descr && end - descr >= 5 && (!memcmp(descr, "'<f4'", 5) || !memcmp(descr, "\"<f4\"", 5)))
        is_int = 0;
    else if (descr && end - descr >= 5 && (!memcmp(descr, "'<i8'", 5) || !memcmp(descr, "\"<i8\"", 5)))
        is_int = 1;
    else
        return fail(why, n, "dtype is not <f4 (float32) or <i8 (int64)");
    const char *fo = find_value(h, end, "fortran_order");
    if (!fo || end - fo < 5 || memcmp(fo, "False", 5))
        return fail(why, n, "not C order (fortran_order must be False)");
    if (parse_shape(find_value(h, end, "shape"), end, o, why, n))
        return -1;
    size_t esz = is_int ? 8 : 4, count = 1;
    for (int i = 0; i < o->ndim; i++) {
        if (o->shape[i] && count > SIZE_MAX / esz / (uint64_t)o->shape[i])
            return fail(why, n, "shape's byte size overflows");
        count *= (size_t)o->shape[i];
    }
    size_t have = size - start - hl;
    if (have != count * esz)
        return fail(why, n, "%zu data bytes, the shape needs %zu", have, count * esz);
    o->is_int = is_int;
    o->data = b + start + hl;
    o->bytes = have;
    return 0;
}
