/* SPDX-License-Identifier: MIT */
/* fuzz_npy.c — libFuzzer: raw bytes as a .npy file through the CLI's reader
 * (apps/npy.c, what `vkattn run --input NAME=FILE.npy` uses); a parsed array's
 * data must lie inside the input and match its shape. */
#include <stdint.h>
#include <stdlib.h>

#include "npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cli_npy a;
    char why[160];
    if (cli_npy_parse(data, size, &a, why, sizeof why))
        return 0;
    const uint8_t *p = a.data;
    uint64_t count = 1;
    for (int d = 0; d < a.ndim; d++)
        count *= (uint64_t)a.shape[d];
    if (count * (a.is_int ? 8 : 4) != a.bytes || p < data || p + a.bytes != data + size)
        abort();
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < a.bytes; i++)
        sink ^= p[i];
    (void)sink;
    return 0;
}
