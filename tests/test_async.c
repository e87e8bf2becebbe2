/* SPDX-License-Identifier: MIT */
/* test_async.c — non-blocking runs. DeiT-Tiny submitted with
 * vka_graph_submit while the host keeps working (whole and in 8 slices),
 * ordered against the application's own submissions by binary semaphores and
 * fences, and recorded into the application's command buffers with
 * vka_graph_record; every run's logits against ONNX Runtime's. A context on
 * an application's device shares its queue with a thread that submits under
 * the application's mutex (vka_context_params.queue_lock). A context timeout
 * shorter than a run gives VKA_ERR_TIMEOUT and the run can still be waited
 * for; a graph run with an input never set fails naming it (DEIMv2 without
 * orig_target_sizes). */
#include <pthread.h>
#include <stdatomic.h>
#include <volk.h>

#include "common.h"
#include "app_vulkan.h"

static double gold[1000];
static const vka_st_tensor *kitten;

static void check_logits(vka_graph *g, const char *what)
{
    float logits[1000];
    for (int i = 0; i < 1000; i++)
        logits[i] = NAN;
    vka_status s = vka_graph_get_output(g, "logits", logits, sizeof logits);
    vkt_check(!s, "%s: outputs readable: %s", what, s ? vka_context_last_error(vkt_ctx) : "ok");
    char w[200];
    snprintf(w, sizeof w, "%s: DeiT-Tiny logits vs ONNX Runtime", what);
    vkt_compare(w, logits, gold, 1000, 1e-4);
}

/* Host work the test can count: a few hundred microseconds of arithmetic. */
static volatile double sink;
static void host_work(void)
{
    double a = 0;
    for (int i = 1; i < 200000; i++)
        a += 1.0 / i;
    sink = a;
}

static void test_host_work(vka_graph *g)
{
    for (int slices = 1; slices <= 8; slices *= 8) {
        vka_submit_params sp = vka_submit_default_params();
        sp.slices = slices;
        vka_status s = vka_graph_submit(g, &sp);
        vkt_check(!s, "submit in %d slice%s: %s", slices, slices > 1 ? "s" : "", s ? vka_context_last_error(vkt_ctx) : "ok");
        if (s)
            continue;
        /* while it runs: what would touch its tensors is refused */
        float buf[1000];
        if (slices == 1) {
            vkt_check(vka_graph_get_output(g, "logits", buf, sizeof buf) == VKA_ERR_STATE &&
                          strstr(vka_context_last_error(vkt_ctx), "still pending"),
                      "get_output during the run refused: %s", vka_context_last_error(vkt_ctx));
            vkt_check(vka_graph_set_input(g, "pixel_values", kitten->data, kitten->bytes) == VKA_ERR_STATE,
                      "set_input during the run refused");
            vkt_check(vka_graph_submit(g, NULL) == VKA_ERR_STATE, "a second submit during the run refused");
            vkt_check(vka_graph_input_tensor(g, "pixel_values") == NULL, "input_tensor during the run refused");
        }
        int busy = 0, units = 0;
        while ((s = vka_graph_poll(g)) == VKA_NOT_READY) {
            busy++;
            host_work();
            units++;
        }
        printf("  %d slice%s: %d polls said not ready, %d units of host work done meanwhile\n", slices,
               slices > 1 ? "s" : "", busy, units);
        vkt_check(!s && busy >= (slices > 1 ? slices - 1 : 1),
                  "the host worked while the graph ran (%d slices: %d polls not ready, at least %d expected)", slices,
                  busy, slices > 1 ? slices - 1 : 1);
        char w[64];
        snprintf(w, sizeof w, "submit + poll, %d slice%s", slices, slices > 1 ? "s" : "");
        check_logits(g, w);
        vkt_check(vka_graph_poll(g) == VKA_OK && vka_graph_wait(g, 0) == VKA_OK, "poll and wait after the end: ok");
    }
}

/* The application's queue work before and after the graph, ordered by semaphores. */
static void test_semaphores(vka_graph *g)
{
    vka_external_vulkan h;
    vka_context_vulkan(vkt_ctx, &h);
    volkInitializeCustom((PFN_vkGetInstanceProcAddr)h.get_instance_proc_addr);
    volkLoadInstanceOnly((VkInstance)h.instance);
    struct VolkDeviceTable vk;
    VkDevice dev = (VkDevice)h.device;
    VkQueue q = (VkQueue)h.queue;
    volkLoadDeviceTable(&vk, dev);
    for (int slices = 1; slices <= 3; slices += 2) {
        VkSemaphoreCreateInfo sci = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
        VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        VkSemaphore before, after;
        VkFence graph_done, app_done;
        vk.vkCreateSemaphore(dev, &sci, NULL, &before);
        vk.vkCreateSemaphore(dev, &sci, NULL, &after);
        vk.vkCreateFence(dev, &fci, NULL, &graph_done);
        vk.vkCreateFence(dev, &fci, NULL, &app_done);
        /* application work that the graph waits for, then the graph, then application work after it */
        VkSubmitInfo a = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .signalSemaphoreCount = 1, .pSignalSemaphores = &before};
        VkResult r = vk.vkQueueSubmit(q, 1, &a, VK_NULL_HANDLE);
        vka_submit_params sp = vka_submit_default_params();
        void *waits[1] = {before}, *signals[1] = {after};
        sp.sync.wait_count = 1, sp.sync.wait_semaphores = waits;
        sp.sync.signal_count = 1, sp.sync.signal_semaphores = signals;
        sp.sync.fence = graph_done;
        sp.slices = slices;
        vka_status s = vka_graph_submit(g, &sp);
        VkPipelineStageFlags st = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT;
        VkSubmitInfo b = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .waitSemaphoreCount = 1, .pWaitSemaphores = &after,
                          .pWaitDstStageMask = &st};
        /* whole, b is queued behind the pending graph; in slices, the last one (which signals `after`)
         * is submitted by poll, so b goes in once the graph is done */
        if (!s && slices > 1)
            while ((s = vka_graph_poll(g)) == VKA_NOT_READY)
                host_work();
        VkResult r2 = vk.vkQueueSubmit(q, 1, &b, app_done);
        VkFence fences[2] = {graph_done, app_done};
        VkResult r3 = vk.vkWaitForFences(dev, 2, fences, VK_TRUE, 60ull * 1000000000ull);
        vkt_check(r == VK_SUCCESS && !s && r2 == VK_SUCCESS && r3 == VK_SUCCESS,
                  "%d slice%s: application submit -> graph (waits, signals, fence) -> application submit: %s", slices,
                  slices > 1 ? "s" : "", s ? vka_context_last_error(vkt_ctx) : "ok");
        /* the graph's fence is signalled, so the run is over for poll too */
        vkt_check(vka_graph_poll(g) == VKA_OK, "poll after the application's fence: finished");
        check_logits(g, slices > 1 ? "semaphores, 3 slices" : "semaphores");
        vk.vkDestroySemaphore(dev, before, NULL), vk.vkDestroySemaphore(dev, after, NULL);
        vk.vkDestroyFence(dev, graph_done, NULL), vk.vkDestroyFence(dev, app_done, NULL);
    }
}

/* The graph inside the application's own command buffers. */
static void test_record(vka_graph *g)
{
    vka_external_vulkan h;
    vka_context_vulkan(vkt_ctx, &h);
    struct VolkDeviceTable vk;
    VkDevice dev = (VkDevice)h.device;
    volkLoadDeviceTable(&vk, dev);
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .queueFamilyIndex = h.queue_family};
    VkCommandPool pool;
    VkCommandBuffer cb[2];
    vk.vkCreateCommandPool(dev, &pci, NULL, &pool);
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = pool, .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 2};
    vk.vkAllocateCommandBuffers(dev, &ai, cb);
    vka_status s = VKA_OK;
    for (int i = 0; i < 2 && !s; i++) {
        VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        vk.vkBeginCommandBuffer(cb[i], &bi);
        s = vka_graph_record(g, cb[i]);
        vk.vkEndCommandBuffer(cb[i]);
    }
    vkt_check(!s, "vka_graph_record into two application command buffers: %s", s ? vka_context_last_error(vkt_ctx) : "ok");
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence f;
    vk.vkCreateFence(dev, &fci, NULL, &f);
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 2, .pCommandBuffers = cb};
    VkResult r = vk.vkQueueSubmit((VkQueue)h.queue, 1, &si, f);
    if (r == VK_SUCCESS)
        r = vk.vkWaitForFences(dev, 1, &f, VK_TRUE, 60ull * 1000000000ull);
    vkt_check(r == VK_SUCCESS, "the application submits them and waits on its fence: %d", (int)r);
    check_logits(g, "recorded into the application's command buffers");
    vkt_check(vka_graph_record(g, NULL) == VKA_ERR_INVALID_ARG, "vka_graph_record(NULL) refused");
    vk.vkDestroyFence(dev, f, NULL);
    vk.vkDestroyCommandPool(dev, pool, NULL);
}

/* ---- a queue shared with another thread of the application */

typedef struct {
    app *a;
    pthread_mutex_t mu;
    atomic_int stop;             /* set by the main thread, read by the application thread */
    int submits, locks, unlocks, held;
    int bad;                     /* lock/unlock out of order */
} shared_queue;

static void queue_lock(void *user, int lock)
{
    shared_queue *q = user;
    if (lock) {
        pthread_mutex_lock(&q->mu);
        q->bad += q->held;
        q->held = 1, q->locks++;
    } else {
        q->bad += !q->held;
        q->held = 0, q->unlocks++;
        pthread_mutex_unlock(&q->mu);
    }
}

static void *app_thread(void *arg)
{
    shared_queue *q = arg;
    app *a = q->a;
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence f;
    a->vk.vkCreateFence(a->device, &fci, NULL, &f);
    while (!q->stop) {
        VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO};
        pthread_mutex_lock(&q->mu);
        VkResult r = a->vk.vkQueueSubmit(a->queue, 1, &si, f);
        pthread_mutex_unlock(&q->mu);
        if (r == VK_SUCCESS) {
            /* a fence may be reset only once its submission is done: a slow
             * machine (sanitizers, load) can take longer than one wait */
            while ((r = a->vk.vkWaitForFences(a->device, 1, &f, VK_TRUE, 60ull * 1000000000ull)) == VK_TIMEOUT)
                ;
            if (r != VK_SUCCESS)
                break;
            a->vk.vkResetFences(a->device, 1, &f);
            q->submits++;
        }
    }
    a->vk.vkDestroyFence(a->device, f, NULL);
    return NULL;
}

static void test_queue_lock(void)
{
    const char *mp = vkt_asset("models/vit_tiny_ci.onnx");
    char model[4096];
    if (!mp)
        return;
    snprintf(model, sizeof model, "%s", mp); /* vkt_asset's buffer is reused */
    const char *gp = vkt_asset("golden/vit_tiny_ci_rand.safetensors");
    if (!gp)
        return;
    vka_safetensors *st = vka_safetensors_open(gp);
    app a;
    if (!st || app_init(&a))
        return;
    VkPhysicalDeviceVulkan12Features f12 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    VkPhysicalDeviceVulkan11Features f11 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES,
                                            .pNext = &f12};
    VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &f11};
    vka_vulkan_wants w;
    if (vka_vulkan_device_wants(a.instance, a.phys, NULL, &f2, &w) ||
        app_device(&a, &f2, w.device_extensions, w.device_extension_count)) {
        app_free(&a);
        return;
    }
    shared_queue q = {.a = &a};
    pthread_mutex_init(&q.mu, NULL);
    vka_external_vulkan ext = app_external(&a);
    vka_context_params p = vka_context_default_params();
    p.log = vkt_log;
    p.queue_lock = queue_lock;
    p.queue_lock_user = &q;
    vka_context *ctx = vka_context_create_external(&ext, &p);
    vka_graph *g = ctx ? vka_onnx_load(ctx, model, NULL) : NULL;
    const vka_st_tensor *in = vka_safetensors_find(st, "pixel_values"), *lg = vka_safetensors_find(st, "logits");
    vka_status s = g ? vka_graph_build(g, NULL) : VKA_ERR_NOT_FOUND;
    if (!s)
        s = vka_graph_set_input(g, "pixel_values", in->data, in->bytes);
    pthread_t th;
    pthread_create(&th, NULL, app_thread, &q);
    double worst = 0;
    const int runs = 20;
    for (int i = 0; i < runs && !s; i++) {
        float out[10];
        vka_submit_params sp = vka_submit_default_params();
        sp.slices = 1 + i % 3;
        if (!(s = vka_graph_submit(g, &sp)) && !(s = vka_graph_wait(g, -1)))
            s = vka_graph_get_output(g, "logits", out, sizeof out);
        for (int k = 0; k < 10 && !s; k++) {
            double d = fabs(out[k] - ((const float *)lg->data)[k]);
            worst = d > worst || d != d ? d : worst;
        }
    }
    q.stop = 1;
    pthread_join(th, NULL);
    vkt_check(!s && worst < 1e-5, "%d runs of vit_tiny_ci on the application's queue while its thread submitted %d "
                                  "times: max abs err vs ONNX Runtime %.2e (%s)",
              runs, q.submits, worst, s ? vka_context_last_error(ctx) : "ok");
    vkt_check(q.locks > 0 && q.locks == q.unlocks && !q.bad && q.submits > 0,
              "queue_lock called around each submission (%d locks, %d unlocks, %d out of order)", q.locks, q.unlocks,
              q.bad);
    vka_graph_destroy(g);
    vka_context_destroy(ctx);
    vkt_check(a.validation_errors == 0, "the application's validation layer (%s; thread checks on the shared queue): "
                                        "%d errors", a.validation ? "on" : "off", a.validation_errors);
    app_free(&a);
    pthread_mutex_destroy(&q.mu);
    vka_safetensors_close(st);
}

/* A context whose timeout is shorter than a run. */
static void test_timeout(const char *model)
{
    vka_context_params p = vka_context_default_params();
    p.log = vkt_log;
    p.timeout_ms = 1;
    vka_context *ctx = vka_context_create(&p);
    vka_graph *g = ctx ? vka_onnx_load(ctx, model, NULL) : NULL;
    vka_status s = g ? vka_graph_build(g, NULL) : VKA_ERR_NOT_FOUND;
    if (!s)
        s = vka_graph_set_input(g, "pixel_values", kitten->data, kitten->bytes);
    if (s) {
        vkt_check(0, "timeout context: %s", ctx ? vka_context_last_error(ctx) : vka_last_error());
    } else {
        vka_context *saved = vkt_ctx;
        vkt_ctx = ctx;
        vka_graph_run(g); /* pipelines are built by now; the next run is the timed one */
        vka_graph_wait(g, 60ll * 1000000000ll);
        s = vka_graph_run(g);
        vkt_check(s == VKA_ERR_TIMEOUT && strstr(vka_context_last_error(ctx), "did not finish within"),
                  "a 1 ms timeout on a DeiT-Tiny run: %s (%s)", vka_status_str(s), vka_context_last_error(ctx));
        vkt_check(vka_graph_submit(g, NULL) == VKA_ERR_STATE, "resubmitting while it is still pending refused");
        s = vka_graph_wait(g, 60ll * 1000000000ll);
        vkt_check(!s, "waiting again with an explicit 60 s finishes it: %s", vka_status_str(s));
        check_logits(g, "after the timeout");
        vkt_ctx = saved;
    }
    vka_graph_destroy(g);
    vka_context_destroy(ctx);
}

/* vka_graph_run names the inputs never set. */
static void test_unset_inputs(vka_context *ctx)
{
    const char *mp = vkt_asset("models/deimv2_hgnetv2_atto_coco.onnx");
    char model[4096];
    if (!mp)
        return;
    snprintf(model, sizeof model, "%s", mp); /* vkt_asset's buffer is reused */
    const char *gp = vkt_asset("golden/deimv2_atto_bus.safetensors");
    if (!gp)
        return;
    vka_safetensors *st = vka_safetensors_open(gp);
    vka_graph *g = vka_onnx_load(ctx, model, NULL);
    vka_status s = g && st ? vka_graph_build(g, NULL) : VKA_ERR_NOT_FOUND;
    vkt_check(!s, "DEIMv2 atto builds: %s", s ? vka_context_last_error(ctx) : "ok");
    if (!s) {
        s = vka_graph_run(g);
        vkt_check(s == VKA_ERR_STATE && strstr(vka_context_last_error(ctx), "\"images\", \"orig_target_sizes\""),
                  "run with no input set: %s", vka_context_last_error(ctx));
        const vka_st_tensor *im = vka_safetensors_find(st, "images"), *sz = vka_safetensors_find(st, "orig_target_sizes");
        vka_graph_set_input(g, "images", im->data, im->bytes);
        s = vka_graph_run(g);
        vkt_check(s == VKA_ERR_STATE && strstr(vka_context_last_error(ctx), "input \"orig_target_sizes\" never set"),
                  "DEIMv2 without orig_target_sizes: %s", vka_context_last_error(ctx));
        vka_graph_set_input(g, "orig_target_sizes", sz->data, sz->bytes);
        float scores[300];
        s = vka_graph_run(g);
        if (!s)
            s = vka_graph_get_output(g, "scores", scores, sizeof scores);
        vkt_check(!s && fabsf(scores[0] - ((const float *)vka_safetensors_find(st, "scores")->data)[0]) < 1e-3f,
                  "with both set it runs (top score %.4f)", s ? NAN : scores[0]);
        /* filling an input on the device counts as set */
        vka_graph *g2 = vka_onnx_load(ctx, model, NULL);
        if (g2 && !vka_graph_build(g2, NULL)) {
            vka_graph_input_tensor(g2, "images");
            vka_graph_set_input(g2, "orig_target_sizes", sz->data, sz->bytes);
            vkt_check(vka_graph_run(g2) == VKA_OK, "an input taken with vka_graph_input_tensor counts as set");
        }
        vka_graph_destroy(g2);
    }
    vka_graph_destroy(g);
    vka_safetensors_close(st);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    const char *mp = vkt_asset("models/deit_tiny_patch16_224.onnx");
    char model[4096];
    if (!mp)
        return vkt_finish();
    snprintf(model, sizeof model, "%s", mp); /* vkt_asset's buffer is reused */
    const char *gp = vkt_asset("golden/deit_tiny_kitten.safetensors");
    if (!gp)
        return vkt_finish();
    vka_safetensors *st = vka_safetensors_open(gp);
    kitten = st ? vka_safetensors_find(st, "pixel_values") : NULL;
    const vka_st_tensor *lg = st ? vka_safetensors_find(st, "logits") : NULL;
    vka_graph *g = vka_onnx_load(ctx, model, NULL);
    vka_status s = g && kitten && lg ? vka_graph_build(g, NULL) : VKA_ERR_NOT_FOUND;
    if (!s)
        s = vka_graph_set_input(g, "pixel_values", kitten->data, kitten->bytes);
    vkt_check(!s, "DeiT-Tiny builds: %s", s ? vka_context_last_error(ctx) : "ok");
    if (!s) {
        for (int i = 0; i < 1000; i++)
            gold[i] = ((const float *)lg->data)[i];
        test_host_work(g);
        test_semaphores(g);
        test_record(g);
        test_timeout(model);
    }
    vka_graph_destroy(g);
    test_unset_inputs(ctx);
    test_queue_lock();
    vka_safetensors_close(st);
    return vkt_finish();
}
