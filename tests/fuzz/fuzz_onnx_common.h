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
    /* conv kernels by rule, not by timing each new shape on the device: the
     * fuzzer's odd shapes (3 channels of 7 pixels over 148 147 rows) made
     * lavapipe take seconds and a GiB per probe, which is not the parsers'
     * business; VKATTN_CONV_TUNE=1 in the environment fuzzes the tuner too */
    setenv("VKATTN_CONV_TUNE", "0", 0);
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
        /* on lavapipe device memory is host RAM: a valid model of 24 activations of
         * 100 MB each took the fuzzer past its 3 GiB (the budget check is fuzzed) */
        bp.device_memory_limit = (uint64_t)256 << 20;
        s = vka_graph_build(g, &bp);
    }
    if (fz_verbose) /* VKA_FUZZ_VERBOSE=1: what became of each input (make_seeds.py --check) */
        fprintf(stderr, "fuzz: %s%s\n", g && !s ? "built" : g ? "build refused: " : "import refused: ",
                g && !s ? "" : vka_context_last_error(fz_ctx));
    vka_graph_destroy(g);
    if (fz_verbose) { /* and what stays behind: device memory in use, resident set */
        long pages = 0, rss = 0;
        FILE *f = fopen("/proc/self/statm", "r");
        if (f && fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        if (f)
            fclose(f);
        fprintf(stderr, "fuzz: after destroy: %d pipelines, device memory in use %llu bytes, RSS %ld MiB\n",
                vka_context_pipeline_count(fz_ctx), (unsigned long long)vka_context_memory_used(fz_ctx),
                rss * 4096 / 1048576);
    }
}
#endif
