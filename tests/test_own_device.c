/* SPDX-License-Identifier: MIT */
/* test_own_device.c — the own-device contract. An application (its own
 * volk, instance and validation layer) asks vka_vulkan_device_wants what to
 * enable, creates its device with exactly that, and runs DeiT-Tiny and
 * DEIMv2 atto on it against ONNX Runtime goldens; then a device with no
 * optional feature at all (the game that enabled none): the same models run
 * (the GEMM's variant without 64-bit integers), u8 and f16 kernels are
 * refused naming the feature (a vka_classifier's frames too), and the
 * application's validation layer reports nothing (with VKATTN_VALIDATE=1). */
#include <volk.h>

#include "common.h"
#include "detr_check.h"
#include "app_vulkan.h"

static char logbuf[1 << 16];
static void capture(void *user, int level, const char *msg)
{
    (void)user, (void)level;
    if (!strstr(msg, "noi64") && !strstr(msg, "features in use")) /* of the debug log, what is checked */
        return;
    size_t n = strlen(logbuf);
    if (n + strlen(msg) + 2 < sizeof logbuf) {
        strcat(logbuf, msg);
        strcat(logbuf, "\n");
    }
}

/* DeiT-Tiny on the kitten golden: logits within 1e-4 of ORT's (as test_vit). */
static void run_deit(vka_context *ctx, const char *what)
{
    const char *mp = vkt_asset("models/deit_tiny_patch16_224.onnx");
    char model[4096];
    if (!mp)
        return;
    snprintf(model, sizeof model, "%s", mp);
    const char *gp = vkt_asset("golden/deit_tiny_kitten.safetensors");
    vka_safetensors *st = gp ? vka_safetensors_open(gp) : NULL;
    if (!st)
        return;
    const vka_st_tensor *in = vka_safetensors_find(st, "pixel_values"), *gold = vka_safetensors_find(st, "logits");
    vka_graph *g = vka_onnx_load(ctx, model, NULL);
    float logits[1000];
    for (int i = 0; i < 1000; i++)
        logits[i] = NAN;
    vka_status s = g ? vka_graph_build(g, NULL) : VKA_ERR_NOT_FOUND;
    if (!s)
        s = vka_graph_set_input(g, "pixel_values", in->data, in->bytes);
    if (!s)
        s = vka_graph_run(g);
    if (!s)
        s = vka_graph_get_output(g, "logits", logits, sizeof logits);
    vkt_check(!s, "%s: DeiT-Tiny runs: %s", what, s ? vka_context_last_error(ctx) : "ok");
    double ref[1000];
    for (int i = 0; i < 1000; i++)
        ref[i] = ((const float *)gold->data)[i];
    char w[160];
    snprintf(w, sizeof w, "%s: DeiT-Tiny on kitten, logits vs ONNX Runtime", what);
    vkt_compare(w, logits, ref, 1000, 1e-4);
    vka_graph_destroy(g);
    vka_safetensors_close(st);
}

static void run_deimv2(vka_context *ctx, const char *what)
{
    const char *mp = vkt_asset("models/deimv2_hgnetv2_atto_coco.onnx");
    char model[4096];
    if (!mp)
        return;
    snprintf(model, sizeof model, "%s", mp);
    const char *gp = vkt_asset("golden/deimv2_atto_bus.safetensors");
    vka_safetensors *st = gp ? vka_safetensors_open(gp) : NULL;
    if (!st)
        return;
    dets d;
    char w[96];
    snprintf(w, sizeof w, "%s: DEIMv2 atto on bus", what);
    if (detr_run(ctx, model, st, 1, 3, 0.005, &d))
        detr_check(w, &d, st, 0.3f);
    free_dets(&d);
    vka_safetensors_close(st);
}

static vka_context *external(app *a, int debug_log)
{
    vka_external_vulkan ext = app_external(a);
    vka_context_params p = vka_context_default_params();
    logbuf[0] = 0;
    p.log = capture;
    p.log_level = debug_log ? VKA_LOG_DEBUG : VKA_LOG_WARN;
    vka_context *ctx = vka_context_create_external(&ext, &p);
    vkt_check(ctx != NULL, "vka_context_create_external: %s", ctx ? "ok" : vka_last_error());
    return ctx;
}

/* A device with exactly what vka_vulkan_device_wants reported. */
/* The vision objects on the application's device: an RGB and a YUYV frame
 * through vit_tiny_ci run (finite logits) with the wanted features; without
 * 8-bit storage the model still builds and a frame is refused naming it. */
static void run_vision(vka_context *ctx, const char *what, int has_u8)
{
    const char *mp = vkt_asset("models/vit_tiny_ci.onnx");
    if (!mp)
        return;
    vka_classifier *c = vka_classifier_create(ctx, mp, NULL);
    vkt_check(c != NULL, "%s: vka_classifier on vit_tiny_ci: %s", what, c ? "made" : vka_last_error());
    if (!c)
        return;
    enum { W = 38, H = 21 };
    uint8_t rgb[W * H * 3], yuyv[W * H * 2];
    for (int i = 0; i < W * H * 3; i++)
        rgb[i] = (uint8_t)vkt_rand_u32();
    for (int i = 0; i < W * H * 2; i++)
        yuyv[i] = (uint8_t)vkt_rand_u32();
    vka_frame f[2] = {{.format = VKA_FRAME_RGB8, .width = W, .height = H, .pixels = rgb},
                      {.format = VKA_FRAME_YUYV, .width = W, .height = H, .pixels = yuyv}};
    for (int k = 0; k < 2; k++) {
        vka_status s = vka_classifier_run(c, &f[k]);
        const float *l = vka_classifier_logits(c);
        int fin = l != NULL;
        for (int i = 0; l && i < 10; i++)
            fin &= isfinite(l[i]);
        if (has_u8)
            vkt_check(!s && fin, "%s: a %s frame through vka_classifier: %s, finite logits", what,
                      k ? "YUYV" : "RGB8", s ? vka_context_last_error(ctx) : "ok");
        else
            vkt_check(s == VKA_ERR_UNSUPPORTED && strstr(vka_context_last_error(ctx), "storageBuffer8BitAccess"),
                      "%s: a %s frame refused naming the feature: %s", what, k ? "YUYV" : "RGB8",
                      vka_context_last_error(ctx));
    }
    vka_classifier_destroy(c);
}

static void test_wanted(app *a)
{
    VkPhysicalDeviceVulkan12Features f12 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    VkPhysicalDeviceVulkan11Features f11 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES,
                                            .pNext = &f12};
    VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &f11};
    vka_vulkan_wants w;
    vka_status s = vka_vulkan_device_wants(a->instance, a->phys, (void *)vkGetInstanceProcAddr, &f2, &w);
    char list[400] = "";
    for (int i = 0; i < w.feature_count; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", w.features[i]);
    printf("vkattn wants Vulkan %u.%u, %d device extensions, features: %s\n", VK_API_VERSION_MAJOR(w.api_version),
           VK_API_VERSION_MINOR(w.api_version), w.device_extension_count, list);
    vkt_check(!s && w.api_version == VK_API_VERSION_1_2 && w.not_in_chain_count == 0 && w.instance_extension_count == 0,
              "vka_vulkan_device_wants: %s; all %d wanted features set in the chain", s ? vka_last_error() : "ok",
              w.feature_count);
    /* the chain holds what was reported and nothing else */
    int set = f2.features.shaderInt64 + f11.storageBuffer16BitAccess + f12.shaderInt8 + f12.shaderFloat16 +
              f12.storageBuffer8BitAccess;
    vkt_check(set == w.feature_count && !f12.timelineSemaphore && !f2.features.shaderInt16,
              "the chain has exactly the %d reported features (%d set)", w.feature_count, set);
    /* lavapipe has them all: the run below uses every kernel variant that needs one */
    vkt_check(w.feature_count == 5, "lavapipe offers all 5 (%s)", list);
    if (app_device(a, &f2, w.device_extensions, w.device_extension_count))
        return;
    vka_context *ctx = external(a, 0);
    if (!ctx)
        return;
    vka_context *saved = vkt_ctx;
    vkt_ctx = ctx;
    run_deit(ctx, "wanted features");
    run_deimv2(ctx, "wanted features");
    run_vision(ctx, "wanted features", 1);
    /* u8 images work here (storageBuffer8BitAccess was enabled) */
    int64_t rs[3] = {37, 53, 3}, os[4] = {1, 3, 32, 32};
    vka_tensor *rgb = vka_tensor_create(ctx, VKA_U8, 3, rs), *out = vka_tensor_create(ctx, VKA_F32, 4, os);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_preprocess_params pp = vka_preprocess_default_params();
    pp.resize = 36, pp.crop = 32;
    vka_cmd_begin(cmd);
    s = vka_preprocess(cmd, rgb, &pp, out);
    vka_cmd_end(cmd);
    vkt_check(!s && !vka_cmd_submit(cmd), "vka_preprocess (u8) on the wanted features: %s",
              s ? vka_context_last_error(ctx) : "ok");
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(rgb), vka_tensor_destroy(out);
    vkt_ctx = saved;
    vka_context_destroy(ctx);
    app_device_free(a);
}

/* A device with no optional feature: models still run, u8/f16 are refused by name. */
static void test_none(app *a)
{
    VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    if (app_device(a, &f2, NULL, 0))
        return;
    vka_context *ctx = external(a, 1);
    if (!ctx)
        return;
    vka_context *saved = vkt_ctx;
    vkt_ctx = ctx;
    run_deit(ctx, "no optional features");
    run_deimv2(ctx, "no optional features");
    run_vision(ctx, "no optional features", 0);
    /* The texel-buffer GEMMs the models run need no 64-bit integers; the
     * storage-buffer GEMM does, and falls back to its _noi64 variant. */
    {
        enum { M = 37, N = 29, K = 23 };
        int64_t sa[2] = {M, K}, sb[2] = {K, N}, sc[2] = {M, N};
        float *ha = vkt_randn(M * K, 1), *hb = vkt_randn(K * N, 1);
        double ref[M * N];
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++) {
                double acc = 0;
                for (int k = 0; k < K; k++)
                    acc += (double)ha[i * K + k] * hb[k * N + j];
                ref[i * N + j] = acc;
            }
        vka_tensor *ta = vkt_tensor(ctx, VKA_F32, 2, sa, ha), *tb = vkt_tensor(ctx, VKA_F32, 2, sb, hb);
        vka_tensor *tc = vka_tensor_create(ctx, VKA_F32, 2, sc);
        vkt_poison(tc);
        setenv("VKATTN_GEMM_TEXEL", "0", 1);
        vka_cmd *gc = vka_cmd_create(ctx);
        vka_gemm_desc d = vka_gemm_default_desc();
        vka_cmd_begin(gc);
        vka_status gs = vka_gemm(gc, &d, ta, tb, tc);
        unsetenv("VKATTN_GEMM_TEXEL");
        vkt_check(gs == VKA_OK, "storage-buffer GEMM recorded without shaderInt64: %s", vka_status_str(gs));
        if (gs == VKA_OK) {
            vkt_run(gc);
            float *out = vkt_download(tc);
            vkt_compare("storage-buffer GEMM 37x29x23 without shaderInt64", out, ref, M * N, 1e-5);
            free(out);
        }
        const char *fb = strstr(logbuf, "using gemm_regtile");
        vkt_check(fb != NULL, "the GEMM ran its variant without shaderInt64 (%.*s)",
                  fb ? (int)strcspn(fb, "\n") : 4, fb ? fb : "none");
        vka_cmd_destroy(gc);
        vka_tensor_destroy(ta), vka_tensor_destroy(tb), vka_tensor_destroy(tc);
        free(ha), free(hb);
    }
    vkt_check(strstr(logbuf, "device features in use: none") != NULL, "the context uses no optional feature");

    int64_t rs[3] = {8, 8, 3}, os[4] = {1, 3, 4, 4}, hs = 8;
    vka_tensor *rgb = vka_tensor_create(ctx, VKA_U8, 3, rs), *out = vka_tensor_create(ctx, VKA_F32, 4, os);
    vka_tensor *h = vka_tensor_create(ctx, VKA_F16, 1, &hs);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_preprocess_params pp = vka_preprocess_default_params();
    pp.resize = 4, pp.crop = 4;
    vka_cmd_begin(cmd);
    vka_status s = vka_preprocess(cmd, rgb, &pp, out);
    vkt_check(s == VKA_ERR_UNSUPPORTED && strstr(vka_context_last_error(ctx), "storageBuffer8BitAccess"),
              "u8 preprocessing refused naming the feature: %s", vka_context_last_error(ctx));
    s = vka_copy(cmd, h, h);
    vkt_check(s == VKA_ERR_UNSUPPORTED && strstr(vka_context_last_error(ctx), "16-bit storage"),
              "f16 refused: %s", vka_context_last_error(ctx));
    vka_cmd_end(cmd);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(rgb), vka_tensor_destroy(out), vka_tensor_destroy(h);
    vkt_ctx = saved;
    vka_context_destroy(ctx);
    app_device_free(a);
}

static void test_bad_args(app *a)
{
    vka_vulkan_wants w;
    vkt_check(vka_vulkan_device_wants(NULL, a->phys, NULL, NULL, &w) == VKA_ERR_INVALID_ARG &&
                  strstr(vka_last_error(), "required"),
              "wants without an instance refused: %s", vka_last_error());
    VkPhysicalDeviceVulkan12Features notf2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    vkt_check(vka_vulkan_device_wants(a->instance, a->phys, NULL, &notf2, &w) == VKA_ERR_INVALID_ARG &&
                  strstr(vka_last_error(), "VkPhysicalDeviceFeatures2"),
              "a chain not starting with VkPhysicalDeviceFeatures2 refused: %s", vka_last_error());
    /* a chain without the 1.1/1.2 structs: shaderInt64 set, the rest reported as not in the chain */
    VkPhysicalDeviceFeatures2 bare = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    vka_status s = vka_vulkan_device_wants(a->instance, a->phys, NULL, &bare, &w);
    vkt_check(!s && bare.features.shaderInt64 && w.not_in_chain_count == w.feature_count - 1,
              "a bare VkPhysicalDeviceFeatures2: shaderInt64 set, %d of %d features reported as not in the chain",
              w.not_in_chain_count, w.feature_count);
    VkDeviceCreateInfo notdci = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    vka_external_vulkan ext = {.instance = a->instance, .physical_device = a->phys, .device = (void *)1,
                               .queue = (void *)1, .device_create_info = &notdci};
    vkt_check(vka_context_create_external(&ext, NULL) == NULL && strstr(vka_last_error(), "VkDeviceCreateInfo"),
              "device_create_info of the wrong type refused: %s", vka_last_error());
}

int main(int argc, char **argv)
{
    vkt_init(argc, argv);
    app a;
    if (!app_init(&a)) {
        test_bad_args(&a);
        test_wanted(&a);
        test_none(&a);
        vkt_check(a.validation_errors == 0, "the application's validation layer (%s): %d errors",
                  a.validation ? "on" : "off: VKATTN_VALIDATE=1 turns it on", a.validation_errors);
    }
    app_free(&a);
    return vkt_finish();
}
