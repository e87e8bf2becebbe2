/* SPDX-License-Identifier: MIT */
/* features.c — the own-device contract: the device features vkattn wants,
 * what a device has, what an application enabled on its own device, and
 * vka_vulkan_device_wants, which fills an application's feature chain. */
#include <string.h>

#include "device.h"

/* Each feature the kernels use (see vka__features), by its Vulkan name. */
static const struct {
    const char *name;
    size_t off;
} table[] = {
    {"shaderInt64", offsetof(vka__features, int64)},
    {"shaderInt8", offsetof(vka__features, int8)},
    {"shaderFloat16", offsetof(vka__features, float16)},
    {"storageBuffer16BitAccess", offsetof(vka__features, storage16)},
    {"storageBuffer8BitAccess", offsetof(vka__features, storage8)},
};
#define NFEAT (sizeof table / sizeof table[0])

static bool *flag(vka__features *f, size_t i) { return (bool *)((char *)f + table[i].off); }

const char *vka__features_str(const vka__features *f, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < NFEAT; i++)
        if (*flag((vka__features *)f, i) && k < n)
            k += (size_t)snprintf(buf + k, n - k, "%s%s", k ? ", " : "", table[i].name);
    if (!buf[0])
        snprintf(buf, n, "none");
    return buf;
}

void vka__features_query(const vka__instance_fns *vi, VkPhysicalDevice pd, vka__features *have)
{
    VkPhysicalDeviceVulkan12Features f12 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    VkPhysicalDeviceVulkan11Features f11 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES,
                                            .pNext = &f12};
    VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &f11};
    vi->vkGetPhysicalDeviceFeatures2(pd, &f2);
    *have = (vka__features){
        .int64 = f2.features.shaderInt64,
        .int8 = f12.shaderInt8,
        .float16 = f12.shaderFloat16,
        .storage16 = f11.storageBuffer16BitAccess,
        .storage8 = f12.storageBuffer8BitAccess,
    };
}

vka_status vka__features_enabled(const void *device_create_info, vka__features *on)
{
    memset(on, 0, sizeof *on);
    const VkDeviceCreateInfo *ci = device_create_info;
    if (ci->sType != VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO) {
        vka__set_tls_error("vka_external_vulkan.device_create_info is not a VkDeviceCreateInfo (sType %d)",
                           (int)ci->sType);
        return VKA_ERR_INVALID_ARG;
    }
    if (ci->pEnabledFeatures)
        on->int64 |= ci->pEnabledFeatures->shaderInt64;
    int n = 0;
    for (const VkBaseInStructure *s = ci->pNext; s; s = s->pNext) {
        if (++n > 256) { /* a chain that loops */
            vka__set_tls_error("vka_external_vulkan.device_create_info: pNext chain longer than 256");
            return VKA_ERR_INVALID_ARG;
        }
        switch (s->sType) {
        case VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2:
            on->int64 |= ((const VkPhysicalDeviceFeatures2 *)s)->features.shaderInt64;
            break;
        case VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES:
            on->storage16 |= ((const VkPhysicalDeviceVulkan11Features *)s)->storageBuffer16BitAccess;
            break;
        case VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES: {
            const VkPhysicalDeviceVulkan12Features *f = (const void *)s;
            on->int8 |= f->shaderInt8, on->float16 |= f->shaderFloat16, on->storage8 |= f->storageBuffer8BitAccess;
            break;
        }
        case VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES:
            on->storage16 |= ((const VkPhysicalDevice16BitStorageFeatures *)s)->storageBuffer16BitAccess;
            break;
        case VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES:
            on->storage8 |= ((const VkPhysicalDevice8BitStorageFeatures *)s)->storageBuffer8BitAccess;
            break;
        case VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES: {
            const VkPhysicalDeviceShaderFloat16Int8Features *f = (const void *)s;
            on->int8 |= f->shaderInt8, on->float16 |= f->shaderFloat16;
            break;
        }
        default: break;
        }
    }
    return VKA_OK;
}

/* Sets wanted feature i in the chain if it has a struct for it; false if none. */
static bool set_in_chain(VkPhysicalDeviceFeatures2 *f2, size_t i)
{
    const char *name = table[i].name;
    bool found = false;
    if (!strcmp(name, "shaderInt64")) {
        f2->features.shaderInt64 = VK_TRUE;
        return true;
    }
    for (VkBaseOutStructure *s = f2->pNext; s; s = s->pNext) {
        switch (s->sType) {
        case VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES:
            if (!strcmp(name, "storageBuffer16BitAccess"))
                ((VkPhysicalDeviceVulkan11Features *)s)->storageBuffer16BitAccess = VK_TRUE, found = true;
            break;
        case VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES: {
            VkPhysicalDeviceVulkan12Features *f = (void *)s;
            if (!strcmp(name, "shaderInt8"))
                f->shaderInt8 = VK_TRUE, found = true;
            else if (!strcmp(name, "shaderFloat16"))
                f->shaderFloat16 = VK_TRUE, found = true;
            else if (!strcmp(name, "storageBuffer8BitAccess"))
                f->storageBuffer8BitAccess = VK_TRUE, found = true;
            break;
        }
        case VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES:
            if (!strcmp(name, "storageBuffer16BitAccess"))
                ((VkPhysicalDevice16BitStorageFeatures *)s)->storageBuffer16BitAccess = VK_TRUE, found = true;
            break;
        case VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES:
            if (!strcmp(name, "storageBuffer8BitAccess"))
                ((VkPhysicalDevice8BitStorageFeatures *)s)->storageBuffer8BitAccess = VK_TRUE, found = true;
            break;
        case VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES: {
            VkPhysicalDeviceShaderFloat16Int8Features *f = (void *)s;
            if (!strcmp(name, "shaderInt8"))
                f->shaderInt8 = VK_TRUE, found = true;
            else if (!strcmp(name, "shaderFloat16"))
                f->shaderFloat16 = VK_TRUE, found = true;
            break;
        }
        default: break;
        }
    }
    return found;
}

vka_status vka_vulkan_device_wants(void *instance, void *physical_device, void *get_instance_proc_addr,
                                   void *features2, vka_vulkan_wants *wants)
{
    if (!instance || !physical_device || !wants) {
        vka__set_tls_error("vka_vulkan_device_wants: instance, physical_device and wants are required");
        return VKA_ERR_INVALID_ARG;
    }
    VkPhysicalDeviceFeatures2 *f2 = features2;
    if (f2 && f2->sType != VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2) {
        vka__set_tls_error("vka_vulkan_device_wants: features2 is not a VkPhysicalDeviceFeatures2 (sType %d)",
                           (int)f2->sType);
        return VKA_ERR_INVALID_ARG;
    }
    PFN_vkGetInstanceProcAddr gipa = (PFN_vkGetInstanceProcAddr)get_instance_proc_addr;
    if (!gipa) {
        const vka__loader *l = vka__loader_get();
        if (!l)
            return VKA_ERR_NOT_FOUND;
        gipa = l->vkGetInstanceProcAddr;
    }
    vka__instance_fns vi;
    const char *missing = NULL;
    if (vka__instance_fns_load(&vi, gipa, (VkInstance)instance, &missing)) {
        vka__set_tls_error("vka_vulkan_device_wants: the instance gives no %s", missing);
        return VKA_ERR_UNSUPPORTED;
    }
    VkPhysicalDevice pd = (VkPhysicalDevice)physical_device;
    VkPhysicalDeviceProperties props;
    vi.vkGetPhysicalDeviceProperties(pd, &props);
    memset(wants, 0, sizeof *wants);
    wants->api_version = VK_API_VERSION_1_2;
    if (props.apiVersion < VK_API_VERSION_1_2) {
        vka__set_tls_error("device \"%s\" supports Vulkan %u.%u; vkattn needs 1.2", props.deviceName,
                           VK_API_VERSION_MAJOR(props.apiVersion), VK_API_VERSION_MINOR(props.apiVersion));
        return VKA_ERR_UNSUPPORTED;
    }
    /* the Vulkan spec requires enabling it on devices that have it (MoltenVK) */
    if (vka__device_has_ext(&vi, pd, "VK_KHR_portability_subset"))
        wants->device_extensions[wants->device_extension_count++] = "VK_KHR_portability_subset";
    vka__features have;
    vka__features_query(&vi, pd, &have);
    for (size_t i = 0; i < NFEAT; i++) {
        if (!*flag(&have, i))
            continue;
        wants->features[wants->feature_count++] = table[i].name;
        if (f2 && !set_in_chain(f2, i))
            wants->not_in_chain[wants->not_in_chain_count++] = table[i].name;
    }
    return VKA_OK;
}
