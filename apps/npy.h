/* SPDX-License-Identifier: MIT */
/* npy.h — the .npy reader of `vkattn run`: little-endian <f4 or <i8, C order,
 * parsed from memory (so tests/fuzz/fuzz_npy.c can feed it bytes).
 *
 *     cli_npy a;
 *     char why[128];
 *     if (cli_npy_parse(buf, size, &a, why, sizeof why)) puts(why);
 *     // a.data (inside buf), a.bytes, a.is_int, a.shape
 */
#ifndef VKA_CLI_NPY_H
#define VKA_CLI_NPY_H
#include <stddef.h>
#include <stdint.h>

#define CLI_NPY_MAX_DIMS 8

typedef struct cli_npy {
    int is_int;                        /* 1: <i8 (int64), 0: <f4 (float32) */
    int ndim;
    int64_t shape[CLI_NPY_MAX_DIMS];   /* () is a scalar: ndim 0, one element */
    const void *data;                  /* inside the caller's buffer */
    size_t bytes;                      /* exactly the shape's elements x 4 or 8 */
} cli_npy;

/* Parses a whole .npy file held in buf[size]. 0 on success; -1 with `why`
 * saying what is wrong (bad magic, header past the end, other dtype, Fortran
 * order, a malformed or overflowing shape, data not matching the shape). */
int cli_npy_parse(const void *buf, size_t size, cli_npy *out, char *why, size_t why_size);

#endif
