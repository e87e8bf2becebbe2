/* SPDX-License-Identifier: MIT */
/* fuzz_safetensors.c — libFuzzer: raw bytes as a .safetensors file
 * (vka_safetensors_open_memory), then every accessor, and every byte of
 * every tensor read (so ASan sees a tensor that reaches past the input). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vkattn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vka_safetensors *st = vka_safetensors_open_memory(data, size, "fuzz");
    if (!st)
        return 0;
    volatile uint8_t sink = 0;
    int n = vka_safetensors_count(st);
    for (int i = 0; i < n; i++) {
        const vka_st_tensor *t = vka_safetensors_get(st, i);
        if (!t || !t->name || vka_safetensors_find(st, t->name) == NULL)
            abort(); /* every listed tensor is found by its name */
        if ((unsigned)t->dtype >= VKA_ST_DTYPE_COUNT || t->ndim < 0 || t->ndim > VKA_MAX_DIMS)
            abort();
        uint64_t count = 1;
        for (int d = 0; d < t->ndim; d++) {
            if (t->shape[d] < 0)
                abort();
            count *= (uint64_t)t->shape[d];
        }
        if (count * vka_st_dtype_size(t->dtype) != t->bytes)
            abort(); /* the bytes are what the shape says */
        const uint8_t *p = t->data;
        if (t->bytes && (p < data || p + t->bytes > data + size))
            abort();
        for (size_t b = 0; b < t->bytes; b++)
            sink ^= p[b];
        (void)vka_st_dtype_str(t->dtype);
    }
    (void)vka_safetensors_metadata(st, "format");
    (void)vka_safetensors_find(st, "");
    vka_safetensors_close(st);
    (void)sink;
    return 0;
}
