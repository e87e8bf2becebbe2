/* SPDX-License-Identifier: MIT */
/* fuzz_onnx.c — libFuzzer: raw bytes as an ONNX model, imported
 * (vka_onnx_load_memory) and built (vka_graph_build). Seeds: make_seeds.py. */
#include "fuzz_onnx_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_onnx_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_onnx_one(data, size);
    return 0;
}
