/* SPDX-License-Identifier: MIT */
/* link_app.h — what the link tests run through libvkattn once they have set
 * up their own Vulkan: vit_tiny_ci against the ONNX Runtime golden. */
#ifndef VKA_LINK_APP_H
#define VKA_LINK_APP_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vkattn.h"

static int failures;
#define CHECK(ok, ...)                                                                                             \
    do {                                                                                                           \
        int ok_ = (ok);                                                                                            \
        printf("%s ", ok_ ? "PASS" : "FAIL");                                                                      \
        printf(__VA_ARGS__);                                                                                       \
        printf("\n");                                                                                              \
        failures += !ok_;                                                                                          \
    } while (0)

/* vit_tiny_ci on its golden input through a context of the library's own; 0 on success. */
static int run_vit(const char *assets)
{
    char model[4096], golden[4096];
    snprintf(model, sizeof model, "%s/models/vit_tiny_ci.onnx", assets);
    snprintf(golden, sizeof golden, "%s/golden/vit_tiny_ci_rand.safetensors", assets);
    vka_safetensors *st = vka_safetensors_open(golden);
    vka_context *ctx = st ? vka_context_create(NULL) : NULL;
    vka_graph *g = ctx ? vka_onnx_load(ctx, model, NULL) : NULL;
    vka_status s = g ? vka_graph_build(g, NULL) : VKA_ERR_NOT_FOUND;
    const vka_st_tensor *in = st ? vka_safetensors_find(st, "pixel_values") : NULL;
    const vka_st_tensor *gold = st ? vka_safetensors_find(st, "logits") : NULL;
    float out[10];
    double worst = INFINITY;
    if (!s && in && gold && !(s = vka_graph_set_input(g, "pixel_values", in->data, in->bytes)) &&
        !(s = vka_graph_run(g)) && !(s = vka_graph_get_output(g, "logits", out, sizeof out))) {
        worst = 0;
        for (int i = 0; i < 10; i++) {
            double d = fabs(out[i] - ((const float *)gold->data)[i]);
            worst = d > worst || d != d ? d : worst;
        }
    }
    CHECK(!s && worst < 1e-5, "libvkattn %s runs vit_tiny_ci: max abs err vs ONNX Runtime %.2e (%s)",
          vka_version_string(), worst, s ? (ctx ? vka_context_last_error(ctx) : vka_last_error()) : "ok");
    vka_graph_destroy(g);
    vka_context_destroy(ctx);
    vka_safetensors_close(st);
    return !(!s && worst < 1e-5);
}

static const char *assets_dir(void)
{
    const char *a = getenv("VKATTN_ASSETS");
    return a && *a ? a : VKA_ASSETS_DIR;
}
#endif
