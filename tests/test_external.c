/* SPDX-License-Identifier: MIT */
/* test_external.c — "bring your own Vulkan": a context adopting the
 * application's instance, device and queue, which stay usable afterwards; and
 * the pipeline cache persisted to $XDG_CACHE_HOME/vkattn (reloaded, and a
 * corrupt file ignored). */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <volk.h>

#include "common.h"

static void test_copy(vka_context *ctx, const char *what)
{
    int64_t n = 4099;
    float *x = vkt_randn((size_t)n, 1.0f);
    vka_tensor *a = vkt_tensor(ctx, VKA_F32, 1, &n, x), *b = vkt_tensor(ctx, VKA_F32, 1, &n, NULL);
    vkt_poison(b);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_copy(cmd, a, b);
    vkt_run(cmd);
    float *got = vkt_download(b);
    double *ref = malloc(sizeof *ref * (size_t)n);
    for (int64_t i = 0; i < n; i++)
        ref[i] = x[i];
    vkt_compare(what, got, ref, (size_t)n, 1e-30);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(a);
    vka_tensor_destroy(b);
    free(x), free(got), free(ref);
}

static void test_external(void)
{
    if (volkInitialize() != VK_SUCCESS) {
        vkt_check(0, "volkInitialize");
        return;
    }
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO, .apiVersion = VK_API_VERSION_1_2};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, .pApplicationInfo = &app};
    VkInstance inst;
    if (vkCreateInstance(&ici, NULL, &inst) != VK_SUCCESS) {
        vkt_check(0, "application vkCreateInstance");
        return;
    }
    volkLoadInstanceOnly(inst);
    uint32_t n = 1;
    VkPhysicalDevice pd;
    vkEnumeratePhysicalDevices(inst, &n, &pd);
    uint32_t nq = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, NULL);
    VkQueueFamilyProperties qf[16];
    nq = nq > 16 ? 16 : nq;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, qf);
    uint32_t fam = 0;
    while (fam < nq && !(qf[fam].queueFlags & VK_QUEUE_COMPUTE_BIT))
        fam++;
    float prio = 1;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueFamilyIndex = fam,
                                   .queueCount = 1,
                                   .pQueuePriorities = &prio};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci};
    VkDevice dev;
    if (vkCreateDevice(pd, &dci, NULL, &dev) != VK_SUCCESS) {
        vkt_check(0, "application vkCreateDevice");
        vkDestroyInstance(inst, NULL);
        return;
    }
    struct VolkDeviceTable t;
    volkLoadDeviceTable(&t, dev);
    VkQueue q;
    t.vkGetDeviceQueue(dev, fam, 0, &q);

    vka_external_vulkan ext = {.instance = inst, .physical_device = pd, .device = dev, .queue = q,
                               .queue_family = fam, .fp16_storage_enabled = 0};
    vka_context *ctx = vka_context_create_external(&ext, NULL);
    vkt_check(ctx != NULL, "vka_context_create_external: %s", ctx ? "ok" : vka_last_error());
    if (ctx) {
        vka_context *saved = vkt_ctx;
        vkt_ctx = ctx;
        test_copy(ctx, "copy on the application's device");
        /* f16 was not enabled by the application: refused, not undefined */
        int64_t s = 8;
        vka_tensor *h = vka_tensor_create(ctx, VKA_F16, 1, &s);
        vka_cmd *cmd = vka_cmd_create(ctx);
        vka_cmd_begin(cmd);
        vka_status st = vka_copy(cmd, h, h);
        vkt_check(st == VKA_ERR_UNSUPPORTED, "f16 without the application enabling 16-bit storage: %s (%s)",
                  vka_status_str(st), vka_context_last_error(ctx));
        vka_cmd_end(cmd);
        vka_cmd_destroy(cmd);
        vka_tensor_destroy(h);
        vka_context_destroy(ctx);
        vkt_ctx = saved;
    }
    /* the application's objects are untouched and usable */
    VkResult r = t.vkDeviceWaitIdle(dev);
    VkFence f;
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkResult r2 = t.vkCreateFence(dev, &fci, NULL, &f);
    vkt_check(r == VK_SUCCESS && r2 == VK_SUCCESS, "application device usable after vka_context_destroy");
    if (r2 == VK_SUCCESS)
        t.vkDestroyFence(dev, f, NULL);
    t.vkDestroyDevice(dev, NULL);
    vkDestroyInstance(inst, NULL);

    vka_context *bad = vka_context_create_external(NULL, NULL);
    vkt_check(bad == NULL && strstr(vka_last_error(), "required"), "NULL external description refused: \"%s\"",
              vka_last_error());
}

static char cache_msgs[4096];
static void capture_log(void *user, int level, const char *msg)
{
    (void)user, (void)level;
    strncat(cache_msgs, msg, sizeof cache_msgs - strlen(cache_msgs) - 2);
    strcat(cache_msgs, "\n");
}

static int find_cache_file(const char *dir, char *out, size_t n)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".pipelines")) {
            snprintf(out, n, "%s/%s", dir, e->d_name);
            found = 1;
        }
    closedir(d);
    return found;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void test_pipeline_cache(void)
{
    char tmpl[] = "/tmp/vkattn-cache-XXXXXX";
    char *tmp = mkdtemp(tmpl);
    setenv("XDG_CACHE_HOME", tmp, 1);
    vka_context_params p = vka_context_default_params();
    p.log = capture_log;
    p.log_level = VKA_LOG_DEBUG;
    for (int round = 0; round < 3; round++) {
        cache_msgs[0] = 0;
        vka_context *ctx = vka_context_create(&p);
        if (!ctx) {
            vkt_check(0, "context with cache: %s", vka_last_error());
            return;
        }
        vka_context *saved = vkt_ctx;
        vkt_ctx = ctx;
        test_copy(ctx, round == 0 ? "copy, empty pipeline cache" : round == 1 ? "copy, cache reloaded"
                                                                              : "copy, corrupt cache ignored");
        vkt_ctx = saved;
        if (round == 1)
            vkt_check(strstr(cache_msgs, "pipeline cache:") && strstr(cache_msgs, "bytes from"),
                      "second context loads the cache file");
        vka_context_destroy(ctx);
        char dir[512], file[1024];
        snprintf(dir, sizeof dir, "%s/vkattn", tmp);
        int ok = find_cache_file(dir, file, sizeof file);
        struct stat st;
        vkt_check(ok && stat(file, &st) == 0 && st.st_size >= 32, "cache file written (header + driver data): %s", ok ? file : "(none)");
        if (round == 2 && ok) { /* leave /tmp as we found it */
            nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS); /* Mesa caches shaders there too */
        }
        if (round == 1 && ok) { /* corrupt it for round 2 */
            FILE *f = fopen(file, "r+b");
            if (f) {
                fwrite("garbage-garbage-garbage-garbage-garbage-garbage", 1, 40, f);
                fclose(f);
            }
        }
    }
}

/* An application that presents from the runtime's device: extra instance and
 * device extensions, a graphics-capable queue, the handles handed back, a
 * tensor's VkBuffer, and a graph input filled on the device. */
static void test_sharing(void)
{
    vka_context_params p = vka_context_default_params();
    p.log = vkt_log;
    const char *bogus[] = {"VK_KHR_no_such_extension"};
    p.instance_extensions = bogus;
    p.instance_extension_count = 1;
    vka_context *bad = vka_context_create(&p);
    vkt_check(!bad && strstr(vka_last_error(), "VK_KHR_no_such_extension"), "missing instance extension named: %s",
              vka_last_error());
    vka_context_destroy(bad);
    p.instance_extensions = NULL, p.instance_extension_count = 0;
    p.device_extensions = bogus;
    p.device_extension_count = 1;
    bad = vka_context_create(&p);
    vkt_check(!bad && strstr(vka_last_error(), "VK_KHR_no_such_extension"), "missing device extension named: %s",
              vka_last_error());
    vka_context_destroy(bad);

    const char *iexts[] = {"VK_KHR_surface"}, *dexts[] = {"VK_KHR_swapchain"};
    p.instance_extensions = iexts, p.instance_extension_count = 1;
    p.device_extensions = dexts, p.device_extension_count = 1;
    p.graphics_queue = 1;
    vka_context *ctx = vka_context_create(&p);
    if (!ctx) { /* a loader without surfaces (headless build) */
        printf("skip: sharing: %s\n", vka_last_error());
        return;
    }
    vka_external_vulkan h;
    vkt_check(vka_context_vulkan(ctx, &h) == VKA_OK && h.instance && h.device && h.queue && h.physical_device,
              "vka_context_vulkan gives the handles");
    /* the test's own volk (the library's loader is private to it) */
    volkInitializeCustom((PFN_vkGetInstanceProcAddr)h.get_instance_proc_addr);
    volkLoadInstanceOnly((VkInstance)h.instance);
    uint32_t nq = 0;
    vkGetPhysicalDeviceQueueFamilyProperties((VkPhysicalDevice)h.physical_device, &nq, NULL);
    VkQueueFamilyProperties qf[16];
    nq = nq > 16 ? 16 : nq;
    vkGetPhysicalDeviceQueueFamilyProperties((VkPhysicalDevice)h.physical_device, &nq, qf);
    vkt_check(h.queue_family < nq && (qf[h.queue_family].queueFlags & VK_QUEUE_GRAPHICS_BIT),
              "graphics_queue = 1 gives a graphics-capable family (%u)", h.queue_family);
    /* the swapchain extension is really on: its entry point resolves */
    vkt_check(vkGetDeviceProcAddr((VkDevice)h.device, "vkCreateSwapchainKHR") != NULL, "VK_KHR_swapchain enabled");
    test_copy(ctx, "copy on a context with application extensions");

    int64_t n = 37;
    vka_tensor *t = vka_tensor_create(ctx, VKA_F32, 1, &n), *v = vka_tensor_view(t, 5, 1, (int64_t[]){8});
    void *buf = NULL, *vbuf = NULL;
    uint64_t off = 1, voff = 0;
    vkt_check(vka_tensor_vulkan(t, &buf, &off) == VKA_OK && buf && vka_tensor_vulkan(v, &vbuf, &voff) == VKA_OK &&
                  vbuf == buf && voff == off + 5 * sizeof(float),
              "vka_tensor_vulkan: buffer and offsets (view at +20 bytes: %llu vs %llu)", (unsigned long long)voff,
              (unsigned long long)off);
    vkt_check(vka_tensor_vulkan(NULL, &buf, &off) == VKA_ERR_INVALID_ARG, "vka_tensor_vulkan(NULL)");
    vka_tensor_destroy(v);
    vka_tensor_destroy(t);

    /* y = x + 1, with x written on the device by a copy in another command */
    vka_graph *g = vka_graph_create(ctx);
    int64_t shape[2] = {3, 5};
    float one = 1.0f;
    vka_val x = vka_graph_input(g, "x", VKA_F32, 2, shape);
    vka_val c = vka_graph_const(g, "one", VKA_F32, 0, NULL, &one);
    vka_graph_output(g, vka_graph_binary(g, "add", VKA_ADD, x, c), "y");
    vkt_check(vka_graph_input_tensor(g, "x") == NULL, "input tensor before build is NULL");
    vka_graph_build_params bp = vka_graph_default_build_params();
    vkt_check(vka_graph_build(g, &bp) == VKA_OK, "graph builds");
    vkt_check(vka_graph_input_tensor(g, "nope") == NULL && strstr(vka_context_last_error(ctx), "nope"),
              "unknown input named");
    vka_tensor *xt = vka_graph_input_tensor(g, "x");
    float *src = vkt_randn(15, 1.0f), got[15];
    vka_tensor *st = vkt_tensor(ctx, VKA_F32, 2, shape, src);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_copy(cmd, st, xt);
    vkt_run(cmd);
    vkt_check(vka_graph_run(g) == VKA_OK && vka_graph_get_output(g, "y", got, sizeof got) == VKA_OK, "graph runs");
    double ref[15];
    for (int i = 0; i < 15; i++)
        ref[i] = (double)src[i] + 1.0;
    vkt_compare("graph input filled on the device", got, ref, 15, 1e-7);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(st);
    vka_graph_destroy(g);
    free(src);
    vkt_check(vka_context_validation_errors(ctx) == 0, "no validation errors on the sharing context");
    vka_context_destroy(ctx);
}

int main(int argc, char **argv)
{
    vkt_init(argc, argv);
    test_sharing();
    test_external();
    test_pipeline_cache();
    return vkt_finish();
}
