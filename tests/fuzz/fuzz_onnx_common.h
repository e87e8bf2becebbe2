/* SPDX-License-Identifier: MIT */
/* fuzz_onnx_common.h — what fuzz_onnx and fuzz_onnx_struct do with an input:
 * import it as an ONNX model and build the graph (passes, plan, device
 * memory, recording) on one lavapipe context created once for the process.
 * Any ASan/UBSan report, crash or leak is a finding; a refused model is not. */
#ifndef VKA_FUZZ_ONNX_COMMON_H
#define VKA_FUZZ_ONNX_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "vkattn.h"

static vka_context *fz_ctx;
static int fz_verbose;

static void fz_onnx_init(void)
{
    vka_context_params p = vka_context_default_params();
    p.validation = 0;          /* the layer's own allocations would swamp the run */
    p.pipeline_cache = 0;      /* nothing written to the user's cache */
    fz_verbose = getenv("VKA_FUZZ_VERBOSE") && getenv("VKA_FUZZ_VERBOSE")[0] == '1';
    fz_ctx = vka_context_create(&p);
    if (!fz_ctx) {
        fprintf(stderr, "fuzz: no Vulkan context: %s\n", vka_last_error());
        exit(1);
    }
}

static void fz_onnx_one(const uint8_t *data, size_t size)
{
    vka_onnx_params op = vka_onnx_default_params();
    /* small: folding a 200 MB constant passes a 256 MiB budget but takes 20 s per input under
     * -fsanitize=fuzzer; the budget check itself is what is fuzzed */
    op.host_memory_limit = (uint64_t)32 << 20;
    vka_graph *g = vka_onnx_load_memory(fz_ctx, data, size, &op);
    vka_status s = VKA_OK;
    if (g) {
        vka_graph_build_params bp = vka_graph_default_build_params();
        bp.fuse = (int)(size & 1); /* half the inputs build unfused: both paths of the passes */
        s = vka_graph_build(g, &bp);
    }
    if (fz_verbose) /* VKA_FUZZ_VERBOSE=1: what became of each input (make_seeds.py --check) */
        fprintf(stderr, "fuzz: %s%s\n", g && !s ? "built" : g ? "build refused: " : "import refused: ",
                g && !s ? "" : vka_context_last_error(fz_ctx));
    vka_graph_destroy(g);
}
#endif
