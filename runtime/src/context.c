/* SPDX-License-Identifier: MIT */
/* context.c — creating and destroying a context (own or adopted Vulkan objects). */
#include <stdlib.h>
#include <string.h>

#include "device.h"

vka_context_params vka_context_default_params(void)
{
    vka_context_params p = {
        .device_index = -1,
        .device_name = NULL,
        .validation = -1,
        .pipeline_cache = 1,
        .log = NULL,
        .log_user = NULL,
        .log_level = VKA_LOG_WARN,
        .queue_lock = NULL,
        .queue_lock_user = NULL,
        .timeout_ms = 0,
    };
    return p;
}

static VKAPI_ATTR VkBool32 VKAPI_CALL on_validation(VkDebugUtilsMessageSeverityFlagBitsEXT sev,
                                                    VkDebugUtilsMessageTypeFlagsEXT type,
                                                    const VkDebugUtilsMessengerCallbackDataEXT *data,
                                                    void *user)
{
    (void)type;
    vka_context *ctx = user;
    if (sev & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
        ctx->validation_errors++;
        vka__log(ctx, VKA_LOG_ERROR, "validation: %s", data->pMessage);
    } else if (sev & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
        vka__log(ctx, VKA_LOG_WARN, "validation: %s", data->pMessage);
    }
    return VK_FALSE;
}

static int env_validation(void)
{
    const char *v = getenv("VKATTN_VALIDATE");
    return v && *v && strcmp(v, "0") != 0;
}

/* Picks the memory types for tensors and staging. */
static vka_status choose_memory(vka_context *ctx)
{
    ctx->vi.vkGetPhysicalDeviceMemoryProperties(ctx->phys, &ctx->memprops);
    const VkPhysicalDeviceMemoryProperties *mp = &ctx->memprops;
    int dev = -1, dev_hv = -1, host = -1, host_coh = -1;
    for (uint32_t i = 0; i < mp->memoryTypeCount; i++) {
        VkMemoryPropertyFlags f = mp->memoryTypes[i].propertyFlags;
        if (f & (VK_MEMORY_PROPERTY_PROTECTED_BIT | 0x40 /* DEVICE_COHERENT_AMD */))
            continue;
        bool dl = f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
        bool hv = f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
        if (dl && dev < 0)
            dev = (int)i;
        if (dl && hv && dev_hv < 0 &&
            mp->memoryHeaps[mp->memoryTypes[i].heapIndex].size >= ctx->info.device_local_bytes)
            dev_hv = (int)i;
        if (hv && host < 0)
            host = (int)i;
        if (hv && (f & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) && host_coh < 0)
            host_coh = (int)i;
    }
    /* VKATTN_FORCE_STAGING=1 takes the discrete-GPU path (device-local memory
     * reached through a staging buffer) on any device, for testing it. */
    const char *fs = getenv("VKATTN_FORCE_STAGING");
    bool force_staging = fs && *fs && strcmp(fs, "0") != 0;
    if (dev_hv >= 0 && !force_staging)
        dev = dev_hv; /* UMA or full ReBAR: map tensors directly */
    if (dev < 0)
        dev = host;
    if (dev < 0 || host < 0)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "device \"%s\" has no usable memory type", ctx->info.name);
    ctx->mem_type = (uint32_t)dev;
    VkMemoryPropertyFlags f = mp->memoryTypes[dev].propertyFlags;
    ctx->mem_host_visible = (f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) && !force_staging;
    ctx->mem_coherent = f & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    ctx->staging_type = (uint32_t)(host_coh >= 0 ? host_coh : host);
    ctx->staging_coherent = host_coh >= 0;
    return VKA_OK;
}

/* What every context needs once it has a device and a queue. */
static vka_status finish_setup(vka_context *ctx)
{
    VkPhysicalDeviceSubgroupProperties sg = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &sg};
    ctx->vi.vkGetPhysicalDeviceProperties2(ctx->phys, &p2);
    ctx->subgroup_ops = (sg.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) ? sg.supportedOperations : 0;
    ctx->shader_int64 = ctx->feat.int64;
    ctx->info.fp16_storage = ctx->feat.storage16;
    ctx->info.fp16_arith = ctx->feat.float16;
    ctx->info.int8_arith = ctx->feat.int8;
    /* the coopmat GEMM's tiling with its matrix operations emulated, on any fp16 device (tests) */
    const char *cmv = getenv("VKATTN_COOPMAT");
    if (cmv && !strcmp(cmv, "emulate") && !ctx->coopmat_gemm && ctx->info.fp16_storage && ctx->info.fp16_arith) {
        ctx->coopmat_emulate = true;
        size_t l = strlen(ctx->coopmat_why);
        snprintf(ctx->coopmat_why + l, sizeof ctx->coopmat_why - l, " (VKATTN_COOPMAT=emulate: gemm_coopmat_f16_emu)");
    }
    /* Default timeout: a GPU finishes any one submission of ours in well under a
     * minute (and its kernel driver usually resets a hung one first); a CPU
     * driver runs on the host's cores, where a loaded machine can stretch one
     * submission to minutes. */
    if (ctx->timeout_ns == 0)
        ctx->timeout_ns = (ctx->info.type == VKA_DEVICE_CPU ? 600ll : 60ll) * 1000000000ll;
    char fb[160];
    vka__log(ctx, VKA_LOG_INFO, "device features in use: %s", vka__features_str(&ctx->feat, fb, sizeof fb));
    vka_status s = choose_memory(ctx);
    if (s)
        return s;
    VkCommandPoolCreateInfo pci = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
        .queueFamilyIndex = ctx->queue_family,
    };
    VKA_VK(ctx, ctx->vk.vkCreateCommandPool(ctx->device, &pci, NULL, &ctx->pool));
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VKA_VK(ctx, ctx->vk.vkCreateFence(ctx->device, &fci, NULL, &ctx->xfer_fence));
    if ((s = vka__pipeline_cache_load(ctx)))
        return s;
    int64_t one = 4;
    ctx->dummy = vka_tensor_create(ctx, VKA_U8, 1, &one);
    if (!ctx->dummy)
        return VKA_ERR_OUT_OF_MEMORY;
    vka_tensor_set_name(ctx->dummy, "(absent)");
    return VKA_OK;
}

static vka_context *ctx_alloc(const vka_context_params *p)
{
    vka_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        vka__set_tls_error("out of host memory allocating a context");
        return NULL;
    }
    vka_context_params d = vka_context_default_params();
    if (!p)
        p = &d;
    ctx->log = p->log;
    ctx->log_user = p->log_user;
    ctx->log_level = p->log_level;
    ctx->validation = p->validation < 0 ? env_validation() : p->validation;
    ctx->pcache_path[0] = p->pipeline_cache ? 1 : 0; /* marker: resolved in pipeline_cache_load */
    ctx->queue_lock = p->queue_lock;
    ctx->queue_lock_user = p->queue_lock_user;
    int64_t ms = p->timeout_ms;
    const char *env = getenv("VKATTN_TIMEOUT_MS");
    if (ms == 0 && env && *env)
        ms = strtoll(env, NULL, 10);
    /* 0: by device type, once it is known (finish_setup) */
    ctx->timeout_ns = ms < 0 ? -1 : ms > INT64_MAX / 1000000 ? INT64_MAX : ms * 1000000;
    return ctx;
}

static vka_status create_device(vka_context *ctx, const vka_context_params *p)
{
    VkPhysicalDevice pd = ctx->phys;
    uint32_t nq = 0;
    ctx->vi.vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, NULL);
    VkQueueFamilyProperties *qf = calloc(nq ? nq : 1, sizeof *qf);
    if (!qf)
        return vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
    ctx->vi.vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, qf);
    int fam = -1;
    /* Prefer a compute queue that has no graphics (it runs beside a renderer),
     * unless the application presents with it: graphics families are the ones
     * drivers let present. */
    for (uint32_t i = 0; i < nq && fam < 0; i++)
        if ((qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && qf[i].timestampValidBits &&
            (p->graphics_queue ? (qf[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) != 0
                               : !(qf[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)))
            fam = (int)i;
    for (uint32_t i = 0; i < nq && fam < 0; i++)
        if (qf[i].queueFlags & VK_QUEUE_COMPUTE_BIT)
            fam = (int)i;
    free(qf);
    if (fam < 0)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "device \"%s\" has no compute queue", ctx->info.name);
    ctx->queue_family = (uint32_t)fam;

    /* every feature the kernels use that the device has (vka_vulkan_device_wants asks the same of an
     * application's device); nothing else */
    vka__features have;
    vka__features_query(&ctx->vi, pd, &have);
    /* cooperative matrices: the NV fp16 GEMM when the device reports its entry (coopmat.c) and has the
     * features its module declares (cooperativeMatrix, vulkanMemoryModel, f16) */
    vka__coopmat_query(&ctx->vi, ctx->instance, pd, ctx->info.subgroup_size, &ctx->coopmat);
    ctx->coopmat_gemm = vka_coopmat_choose(&ctx->coopmat, ctx->coopmat_why, sizeof ctx->coopmat_why);
    const char *cmv = getenv("VKATTN_COOPMAT"); /* 0: never (A/B runs); emulate: see finish_setup */
    if (ctx->coopmat_gemm && cmv && !strcmp(cmv, "0")) {
        ctx->coopmat_gemm = false;
        snprintf(ctx->coopmat_why, sizeof ctx->coopmat_why, "no cooperative matrix: VKATTN_COOPMAT=0");
    }
    VkPhysicalDeviceCooperativeMatrixFeaturesNV cm = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV};
    VkPhysicalDeviceVulkan12Features q12 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES, .pNext = &cm};
    if (ctx->coopmat_gemm) {
        VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &q12};
        ctx->vi.vkGetPhysicalDeviceFeatures2(pd, &f2);
        if (!cm.cooperativeMatrix || !q12.vulkanMemoryModel || !have.float16 || !have.storage16) {
            ctx->coopmat_gemm = false;
            snprintf(ctx->coopmat_why, sizeof ctx->coopmat_why,
                     "no cooperative matrix: the device lacks cooperativeMatrix, vulkanMemoryModel or fp16");
        }
    }
    /* subgroup-size control: kernels that depend on the subgroup size require theirs (pipeline.c) */
    VkPhysicalDeviceSubgroupSizeControlFeaturesEXT qsc = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES_EXT};
    if (ctx->info.subgroup_size_control) {
        VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &qsc};
        ctx->vi.vkGetPhysicalDeviceFeatures2(pd, &f2);
    }
    ctx->sg_control = ctx->info.subgroup_size_control;
    ctx->sg_full = ctx->sg_control && qsc.computeFullSubgroups;
    VkPhysicalDeviceSubgroupSizeControlFeaturesEXT esc = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES_EXT,
        .subgroupSizeControl = VK_TRUE,
        .computeFullSubgroups = ctx->sg_full,
    };
    VkPhysicalDeviceCooperativeMatrixFeaturesNV ecm = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV,
        .pNext = ctx->sg_control ? &esc : NULL,
        .cooperativeMatrix = VK_TRUE,
    };
    VkPhysicalDeviceVulkan12Features e12 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
        .pNext = ctx->coopmat_gemm ? (void *)&ecm : ctx->sg_control ? (void *)&esc : NULL,
        .shaderFloat16 = have.float16,
        .shaderInt8 = have.int8,
        .storageBuffer8BitAccess = have.storage8,
        .vulkanMemoryModel = ctx->coopmat_gemm,
    };
    VkPhysicalDeviceVulkan11Features e11 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES,
        .pNext = &e12,
        .storageBuffer16BitAccess = have.storage16,
    };
    VkPhysicalDeviceFeatures2 en = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
        .pNext = &e11,
        .features = {.shaderInt64 = have.int64},
    };
    float prio = 1.0f;
    VkDeviceQueueCreateInfo qci = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
        .queueFamilyIndex = ctx->queue_family,
        .queueCount = 1,
        .pQueuePriorities = &prio,
    };
    const char *exts[34];
    uint32_t nexts = 0;
    if (p->device_extension_count < 0 || p->device_extension_count > 30 ||
        (p->device_extension_count && !p->device_extensions))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_context_params: device_extension_count %d (0..30, with a list)",
                        p->device_extension_count);
    for (int i = 0; i < p->device_extension_count; i++) {
        const char *e = p->device_extensions[i];
        if (!e || !vka__device_has_ext(&ctx->vi, pd, e))
            return vka__err(ctx, VKA_ERR_UNSUPPORTED, "device \"%s\" lacks extension %s (asked for by the application)",
                            ctx->info.name, e ? e : "(NULL)");
        exts[nexts++] = e;
    }
    if (vka__device_has_ext(&ctx->vi, pd, "VK_KHR_portability_subset"))
        exts[nexts++] = "VK_KHR_portability_subset";
    const char *ours[2] = {ctx->coopmat_gemm ? "VK_NV_cooperative_matrix" : NULL,
                           ctx->sg_control ? "VK_EXT_subgroup_size_control" : NULL};
    for (int i = 0; i < 2; i++) { /* once, even if the application asked for it too */
        bool listed = !ours[i];
        for (uint32_t j = 0; j < nexts && !listed; j++)
            listed = strcmp(exts[j], ours[i]) == 0;
        if (!listed)
            exts[nexts++] = ours[i];
    }
    VkDeviceCreateInfo dci = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
        .pNext = &en,
        .queueCreateInfoCount = 1,
        .pQueueCreateInfos = &qci,
        .enabledExtensionCount = nexts,
        .ppEnabledExtensionNames = exts,
    };
    VKA_VK(ctx, ctx->vi.vkCreateDevice(pd, &dci, NULL, &ctx->device));
    ctx->own_device = true;
    vka__load_device_table(&ctx->vk, ctx->device, ctx->vi.vkGetDeviceProcAddr);
    ctx->vk.vkGetDeviceQueue(ctx->device, ctx->queue_family, 0, &ctx->queue);
    ctx->feat = have;
    return VKA_OK;
}

vka_context *vka_context_create(const vka_context_params *p)
{
    vka_context_params d = vka_context_default_params();
    if (!p)
        p = &d;
    vka_context *ctx = ctx_alloc(p);
    if (!ctx)
        return NULL;
    vka_status s = vka__instance_create(ctx->validation, p->instance_extensions, p->instance_extension_count,
                                        &ctx->instance, &ctx->vi);
    if (s)
        goto fail_tls;
    ctx->own_instance = true;
    if (ctx->validation) {
        VkDebugUtilsMessengerCreateInfoEXT mci = {
            .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
            .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT |
                               VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT,
            .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT,
            .pfnUserCallback = on_validation,
            .pUserData = ctx,
        };
        VkResult r = ctx->vi.vkCreateDebugUtilsMessengerEXT
                         ? ctx->vi.vkCreateDebugUtilsMessengerEXT(ctx->instance, &mci, NULL, &ctx->messenger)
                         : VK_ERROR_EXTENSION_NOT_PRESENT;
        if (r != VK_SUCCESS) {
            vka__err(ctx, VKA_ERR_VULKAN, "vkCreateDebugUtilsMessengerEXT failed: %s", vka__vkresult_str(r));
            goto fail;
        }
    }
    int index;
    if ((s = vka__device_pick(&ctx->vi, ctx->instance, p, &ctx->phys, &index)))
        goto fail_tls;
    vka__device_query(&ctx->vi, ctx->phys, index, &ctx->info);
    ctx->vi.vkGetPhysicalDeviceProperties(ctx->phys, &ctx->props);
    if (create_device(ctx, p) || finish_setup(ctx))
        goto fail;
    vka__log(ctx, VKA_LOG_INFO, "device %d: %s (%s %s)%s", index, ctx->info.name, ctx->info.driver_name,
             ctx->info.driver_info, ctx->validation ? ", validation on" : "");
    return ctx;
fail_tls:
    snprintf(ctx->err, sizeof ctx->err, "%s", vka_last_error());
fail:
    vka__set_tls_error("%s", ctx->err);
    vka_context_destroy(ctx);
    return NULL;
}

vka_context *vka_context_create_external(const vka_external_vulkan *ext, const vka_context_params *p)
{
    if (!ext || !ext->instance || !ext->physical_device || !ext->device || !ext->queue) {
        vka__set_tls_error("vka_context_create_external: instance, physical_device, device and queue are required");
        return NULL;
    }
    PFN_vkGetInstanceProcAddr gipa = (PFN_vkGetInstanceProcAddr)ext->get_instance_proc_addr;
    if (!gipa) {
        const vka__loader *l = vka__loader_get();
        if (!l)
            return NULL;
        gipa = l->vkGetInstanceProcAddr;
    }
    vka__features on = {.storage16 = ext->fp16_storage_enabled != 0, .float16 = ext->fp16_arith_enabled != 0};
    if (ext->device_create_info && vka__features_enabled(ext->device_create_info, &on))
        return NULL;
    vka_context *ctx = ctx_alloc(p);
    if (!ctx)
        return NULL;
    ctx->instance = (VkInstance)ext->instance;
    ctx->phys = (VkPhysicalDevice)ext->physical_device;
    ctx->device = (VkDevice)ext->device;
    ctx->queue = (VkQueue)ext->queue;
    ctx->queue_family = ext->queue_family;
    ctx->validation = 0; /* the application owns the instance and its layers */
    const char *missing = NULL;
    if (vka__instance_fns_load(&ctx->vi, gipa, ctx->instance, &missing)) {
        vka__set_tls_error("vka_context_create_external: the instance gives no %s", missing);
        ctx->device = VK_NULL_HANDLE; /* nothing of ours on it to destroy */
        vka_context_destroy(ctx);
        return NULL;
    }
    vka__load_device_table(&ctx->vk, ctx->device, ctx->vi.vkGetDeviceProcAddr);
    vka__device_query(&ctx->vi, ctx->phys, -1, &ctx->info);
    /* reported, not used: the application's device may not have enabled what the NV kernel declares */
    vka__coopmat_query(&ctx->vi, ctx->instance, ctx->phys, ctx->info.subgroup_size, &ctx->coopmat);
    if (vka_coopmat_choose(&ctx->coopmat, ctx->coopmat_why, sizeof ctx->coopmat_why))
        snprintf(ctx->coopmat_why, sizeof ctx->coopmat_why,
                 "no cooperative matrix: the device is the application's (the NV kernel is enabled only on a device "
                 "the context creates)");
    ctx->vi.vkGetPhysicalDeviceProperties(ctx->phys, &ctx->props);
    ctx->feat = on;
    if (finish_setup(ctx)) {
        vka__set_tls_error("%s", ctx->err);
        vka_context_destroy(ctx);
        return NULL;
    }
    return ctx;
}

void vka_context_destroy(vka_context *ctx)
{
    if (!ctx)
        return;
    if (ctx->device) {
        /* Our device: wait for everything. An application's: its other queues
         * are its own business, and our work has finished already (commands
         * and graphs wait for theirs when destroyed, transfers are waited on). */
        if (ctx->own_device)
            ctx->vk.vkDeviceWaitIdle(ctx->device);
        vka_tensor_destroy(ctx->dummy);
        vka__conv_tune_free(ctx);
        vka__pipeline_cache_save(ctx);
        vka__pipelines_destroy(ctx);
        if (ctx->pcache)
            ctx->vk.vkDestroyPipelineCache(ctx->device, ctx->pcache, NULL);
        if (ctx->staging_buf)
            ctx->vk.vkDestroyBuffer(ctx->device, ctx->staging_buf, NULL);
        if (ctx->staging_mem)
            ctx->vk.vkFreeMemory(ctx->device, ctx->staging_mem, NULL);
        vka__mem_destroy_all(ctx);
        if (ctx->xfer_fence)
            ctx->vk.vkDestroyFence(ctx->device, ctx->xfer_fence, NULL);
        if (ctx->pool)
            ctx->vk.vkDestroyCommandPool(ctx->device, ctx->pool, NULL);
        if (ctx->own_device)
            ctx->vk.vkDestroyDevice(ctx->device, NULL);
    }
    if (ctx->messenger)
        ctx->vi.vkDestroyDebugUtilsMessengerEXT(ctx->instance, ctx->messenger, NULL);
    if (ctx->own_instance && ctx->instance)
        ctx->vi.vkDestroyInstance(ctx->instance, NULL);
    free(ctx);
}

const vka_device_info *vka_context_device(const vka_context *ctx) { return ctx ? &ctx->info : NULL; }

vka_status vka_context_vulkan(const vka_context *ctx, vka_external_vulkan *out)
{
    if (!ctx || !out)
        return VKA_ERR_INVALID_ARG;
    *out = (vka_external_vulkan){
        .instance = ctx->instance,
        .physical_device = ctx->phys,
        .device = ctx->device,
        .queue = ctx->queue,
        .queue_family = ctx->queue_family,
        .get_instance_proc_addr = (void *)ctx->vi.vkGetInstanceProcAddr,
        .fp16_storage_enabled = ctx->info.fp16_storage,
        .fp16_arith_enabled = ctx->info.fp16_arith,
    };
    return VKA_OK;
}
int vka_context_validation_errors(const vka_context *ctx) { return ctx ? ctx->validation_errors : 0; }
int vka_context_validation_enabled(const vka_context *ctx) { return ctx ? ctx->validation : 0; }
int vka_context_pipeline_count(const vka_context *ctx) { return ctx ? ctx->npipes : 0; }
uint64_t vka_context_memory_used(const vka_context *ctx) { return ctx ? ctx->mem_used : 0; }
