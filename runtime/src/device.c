/* SPDX-License-Identifier: MIT */
/* device.c — the Vulkan instance, device queries, and device selection. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"

static bool has_layer(const vka__loader *l, const char *name)
{
    uint32_t n = 0;
    l->vkEnumerateInstanceLayerProperties(&n, NULL);
    VkLayerProperties *p = calloc(n ? n : 1, sizeof *p);
    if (!p)
        return false;
    l->vkEnumerateInstanceLayerProperties(&n, p);
    bool found = false;
    for (uint32_t i = 0; i < n; i++)
        found |= strcmp(p[i].layerName, name) == 0;
    free(p);
    return found;
}

static bool has_instance_ext(const vka__loader *l, const char *name)
{
    uint32_t n = 0;
    l->vkEnumerateInstanceExtensionProperties(NULL, &n, NULL);
    VkExtensionProperties *e = calloc(n ? n : 1, sizeof *e);
    if (!e)
        return false;
    l->vkEnumerateInstanceExtensionProperties(NULL, &n, e);
    bool found = false;
    for (uint32_t i = 0; i < n; i++)
        found |= strcmp(e[i].extensionName, name) == 0;
    free(e);
    return found;
}

bool vka__device_has_ext(const vka__instance_fns *vi, VkPhysicalDevice pd, const char *name)
{
    uint32_t n = 0;
    vi->vkEnumerateDeviceExtensionProperties(pd, NULL, &n, NULL);
    VkExtensionProperties *e = calloc(n ? n : 1, sizeof *e);
    if (!e)
        return false;
    vi->vkEnumerateDeviceExtensionProperties(pd, NULL, &n, e);
    bool found = false;
    for (uint32_t i = 0; i < n; i++)
        found |= strcmp(e[i].extensionName, name) == 0;
    free(e);
    return found;
}

vka_status vka__instance_create(int validation, const char *const *extra, int nextra, VkInstance *out,
                                vka__instance_fns *vi)
{
    const vka__loader *l = vka__loader_get();
    if (!l)
        return VKA_ERR_NOT_FOUND;
    uint32_t api = 0;
    if (!l->vkEnumerateInstanceVersion || l->vkEnumerateInstanceVersion(&api) != VK_SUCCESS ||
        api < VK_API_VERSION_1_2) {
        vka__set_tls_error("the Vulkan loader supports version %u.%u; vkattn needs 1.2",
                           VK_API_VERSION_MAJOR(api), VK_API_VERSION_MINOR(api));
        return VKA_ERR_UNSUPPORTED;
    }
    const char *layers[1];
    uint32_t nlayers = 0;
    if (nextra < 0 || nextra > 30 || (nextra && !extra)) {
        vka__set_tls_error("vka_context_params: instance_extension_count %d (0..30, with a list)", nextra);
        return VKA_ERR_INVALID_ARG;
    }
    const char *exts[32];
    uint32_t nexts = 0;
    for (int i = 0; i < nextra; i++) {
        if (!extra[i] || !has_instance_ext(l, extra[i])) {
            vka__set_tls_error("the Vulkan loader lacks instance extension %s (asked for by the application)",
                               extra[i] ? extra[i] : "(NULL)");
            return VKA_ERR_UNSUPPORTED;
        }
        exts[nexts++] = extra[i];
    }
    if (validation) {
        if (!has_layer(l, "VK_LAYER_KHRONOS_validation")) {
            vka__set_tls_error("validation was requested (VKATTN_VALIDATE) but VK_LAYER_KHRONOS_validation "
                               "is not installed: apt-get install vulkan-validationlayers");
            return VKA_ERR_NOT_FOUND;
        }
        layers[nlayers++] = "VK_LAYER_KHRONOS_validation";
        bool dup = false;
        for (uint32_t i = 0; i < nexts; i++)
            dup |= strcmp(exts[i], VK_EXT_DEBUG_UTILS_EXTENSION_NAME) == 0;
        if (!dup)
            exts[nexts++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
    }
    VkInstanceCreateFlags flags = 0;
    if (has_instance_ext(l, "VK_KHR_portability_enumeration") && nexts < 32) {
        exts[nexts++] = "VK_KHR_portability_enumeration";
        flags |= 0x00000001; /* VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR (MoltenVK) */
    }
    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "vkattn",
        .pEngineName = "vkattn",
        .engineVersion = VK_MAKE_API_VERSION(0, VKA_VERSION_MAJOR, VKA_VERSION_MINOR, VKA_VERSION_PATCH),
        .apiVersion = VK_API_VERSION_1_2,
    };
    VkInstanceCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .flags = flags,
        .pApplicationInfo = &app,
        .enabledLayerCount = nlayers,
        .ppEnabledLayerNames = layers,
        .enabledExtensionCount = nexts,
        .ppEnabledExtensionNames = exts,
    };
    VkResult r = l->vkCreateInstance(&ci, NULL, out);
    if (r != VK_SUCCESS) {
        vka__set_tls_error("vkCreateInstance failed: %s", vka__vkresult_str(r));
        return r == VK_ERROR_INCOMPATIBLE_DRIVER ? VKA_ERR_NOT_FOUND : VKA_ERR_VULKAN;
    }
    const char *missing = NULL;
    if (vka__instance_fns_load(vi, l->vkGetInstanceProcAddr, *out, &missing)) {
        PFN_vkDestroyInstance destroy = (PFN_vkDestroyInstance)l->vkGetInstanceProcAddr(*out, "vkDestroyInstance");
        if (destroy)
            destroy(*out, NULL);
        *out = VK_NULL_HANDLE;
        vka__set_tls_error("the Vulkan instance gives no %s", missing);
        return VKA_ERR_UNSUPPORTED;
    }
    return VKA_OK;
}

static const char *vendor_name(uint32_t id)
{
    switch (id) {
    case 0x10DE: return "NVIDIA";
    case 0x1002: return "AMD";
    case 0x1022: return "AMD";
    case 0x8086: return "Intel";
    case 0x13B5: return "ARM";
    case 0x5143: return "Qualcomm";
    case 0x106B: return "Apple";
    case 0x1010: return "ImgTec";
    case 0x10005: return "Mesa";
    default: return "unknown";
    }
}

void vka__device_query(const vka__instance_fns *vi, VkPhysicalDevice pd, int index, vka_device_info *info)
{
    memset(info, 0, sizeof *info);
    /* subgroup-size control, chained only where the device has the extension */
    bool ssc = vka__device_has_ext(vi, pd, "VK_EXT_subgroup_size_control");
    VkPhysicalDeviceSubgroupSizeControlPropertiesEXT sscp = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES_EXT};
    VkPhysicalDeviceSubgroupSizeControlFeaturesEXT sscf = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES_EXT};
    VkPhysicalDeviceIDProperties idp = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES,
                                        .pNext = ssc ? &sscp : NULL};
    VkPhysicalDeviceDriverProperties drv = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES,
                                            .pNext = &idp};
    VkPhysicalDeviceSubgroupProperties sg = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
                                             .pNext = &drv};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &sg};
    vi->vkGetPhysicalDeviceProperties2(pd, &p2);
    VkPhysicalDeviceVulkan12Features f12 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
                                            .pNext = ssc ? &sscf : NULL};
    VkPhysicalDeviceVulkan11Features f11 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES,
                                            .pNext = &f12};
    VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &f11};
    vi->vkGetPhysicalDeviceFeatures2(pd, &f2);
    VkPhysicalDeviceMemoryProperties mp;
    vi->vkGetPhysicalDeviceMemoryProperties(pd, &mp);

    const VkPhysicalDeviceProperties *p = &p2.properties;
    const VkPhysicalDeviceLimits *L = &p->limits;
    info->index = index;
    snprintf(info->name, sizeof info->name, "%s", p->deviceName);
    snprintf(info->driver_name, sizeof info->driver_name, "%s", drv.driverName);
    snprintf(info->driver_info, sizeof info->driver_info, "%s", drv.driverInfo);
    info->vendor_id = p->vendorID;
    info->device_id = p->deviceID;
    snprintf(info->vendor, sizeof info->vendor, "%s", vendor_name(p->vendorID));
    info->api_version = p->apiVersion;
    info->driver_version = p->driverVersion;
    info->driver_id = (uint32_t)drv.driverID;
    info->conformance_version[0] = drv.conformanceVersion.major;
    info->conformance_version[1] = drv.conformanceVersion.minor;
    info->conformance_version[2] = drv.conformanceVersion.subminor;
    info->conformance_version[3] = drv.conformanceVersion.patch;
    memcpy(info->device_uuid, idp.deviceUUID, VK_UUID_SIZE);
    memcpy(info->driver_uuid, idp.driverUUID, VK_UUID_SIZE);
    switch (p->deviceType) {
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: info->type = VKA_DEVICE_INTEGRATED; break;
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: info->type = VKA_DEVICE_DISCRETE; break;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: info->type = VKA_DEVICE_VIRTUAL; break;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: info->type = VKA_DEVICE_CPU; break;
    default: info->type = VKA_DEVICE_OTHER; break;
    }
    info->subgroup_size = sg.subgroupSize;
    info->subgroup_size_control = ssc && sscf.subgroupSizeControl &&
                                  (sscp.requiredSubgroupSizeStages & VK_SHADER_STAGE_COMPUTE_BIT);
    info->min_subgroup_size = info->subgroup_size_control ? sscp.minSubgroupSize : sg.subgroupSize;
    info->max_subgroup_size = info->subgroup_size_control ? sscp.maxSubgroupSize : sg.subgroupSize;
    info->subgroup_arith = (sg.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                           (sg.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT);
    info->max_shared_memory = L->maxComputeSharedMemorySize;
    info->max_workgroup_invocations = L->maxComputeWorkGroupInvocations;
    info->max_storage_buffer_range = L->maxStorageBufferRange;
    info->timestamp_period_ns = p->limits.timestampPeriod;
    info->fp16_arith = f12.shaderFloat16;
    info->fp16_storage = f11.storageBuffer16BitAccess;
    info->int8_arith = f12.shaderInt8;
    info->cooperative_matrix = vka__device_has_ext(vi, pd, "VK_KHR_cooperative_matrix") ||
                               vka__device_has_ext(vi, pd, "VK_NV_cooperative_matrix");
    for (uint32_t i = 0; i < mp.memoryHeapCount; i++)
        if ((mp.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) &&
            mp.memoryHeaps[i].size > info->device_local_bytes)
            info->device_local_bytes = mp.memoryHeaps[i].size;
    /* Host-visible device-local memory as large as the biggest heap: UMA or full ReBAR. */
    for (uint32_t i = 0; i < mp.memoryTypeCount; i++) {
        VkMemoryPropertyFlags f = mp.memoryTypes[i].propertyFlags;
        if ((f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) && (f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) &&
            mp.memoryHeaps[mp.memoryTypes[i].heapIndex].size >= info->device_local_bytes)
            info->host_visible_device_memory = 1;
    }
}

const char *vka_device_type_str(vka_device_type t)
{
    switch (t) {
    case VKA_DEVICE_INTEGRATED: return "integrated";
    case VKA_DEVICE_DISCRETE: return "discrete";
    case VKA_DEVICE_VIRTUAL: return "virtual";
    case VKA_DEVICE_CPU: return "cpu";
    default: return "other";
    }
}

vka_status vka_devices_list(vka_device_info *out, int max, int *count)
{
    if (!count)
        return VKA_ERR_INVALID_ARG;
    *count = 0;
    VkInstance inst;
    vka__instance_fns vi;
    vka_status s = vka__instance_create(0, NULL, 0, &inst, &vi);
    if (s)
        return s;
    uint32_t n = 0;
    vi.vkEnumeratePhysicalDevices(inst, &n, NULL);
    VkPhysicalDevice *pds = calloc(n ? n : 1, sizeof *pds);
    if (!pds) {
        vi.vkDestroyInstance(inst, NULL);
        return VKA_ERR_OUT_OF_MEMORY;
    }
    vi.vkEnumeratePhysicalDevices(inst, &n, pds);
    for (uint32_t i = 0; i < n && out && (int)i < max; i++)
        vka__device_query(&vi, pds[i], (int)i, &out[i]);
    *count = (int)n;
    free(pds);
    vi.vkDestroyInstance(inst, NULL);
    return VKA_OK;
}

static int type_rank(vka_device_type t)
{
    switch (t) {
    case VKA_DEVICE_DISCRETE: return 5;
    case VKA_DEVICE_INTEGRATED: return 4;
    case VKA_DEVICE_VIRTUAL: return 3;
    case VKA_DEVICE_OTHER: return 2;
    case VKA_DEVICE_CPU: return 1;
    }
    return 0;
}

static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return n == 0;
}

vka_status vka__device_pick(const vka__instance_fns *vi, VkInstance inst, const vka_context_params *p,
                            VkPhysicalDevice *out, int *out_index)
{
    uint32_t n = 0;
    vi->vkEnumeratePhysicalDevices(inst, &n, NULL);
    if (n == 0) {
        vka__set_tls_error("no Vulkan device found: install a driver (apt-get install mesa-vulkan-drivers "
                           "for the CPU device lavapipe)");
        return VKA_ERR_NOT_FOUND;
    }
    VkPhysicalDevice *pds = calloc(n, sizeof *pds);
    vka_device_info *infos = calloc(n, sizeof *infos);
    if (!pds || !infos) {
        free(pds), free(infos);
        return VKA_ERR_OUT_OF_MEMORY;
    }
    vi->vkEnumeratePhysicalDevices(inst, &n, pds);
    for (uint32_t i = 0; i < n; i++)
        vka__device_query(vi, pds[i], (int)i, &infos[i]);

    int index = p->device_index;
    const char *name = p->device_name;
    const char *env = getenv("VKATTN_DEVICE");
    if (index < 0 && !name && env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (*end == 0)
            index = (int)v;
        else
            name = env;
    }
    int pick = -1;
    vka_status s = VKA_OK;
    if (index >= 0) {
        if ((uint32_t)index >= n) {
            vka__set_tls_error("device index %d does not exist (%u devices; see `vkattn devices`)", index, n);
            s = VKA_ERR_NOT_FOUND;
        } else
            pick = index;
    } else if (name) {
        for (uint32_t i = 0; i < n && pick < 0; i++)
            if (contains_nocase(infos[i].name, name))
                pick = (int)i;
        if (pick < 0) {
            vka__set_tls_error("no Vulkan device name contains \"%s\" (see `vkattn devices`)", name);
            s = VKA_ERR_NOT_FOUND;
        }
    } else {
        for (uint32_t i = 0; i < n; i++)
            if (pick < 0 || type_rank(infos[i].type) > type_rank(infos[pick].type))
                pick = (int)i;
    }
    if (pick >= 0 && infos[pick].api_version < VK_API_VERSION_1_2) {
        vka__set_tls_error("device \"%s\" supports Vulkan %u.%u; vkattn needs 1.2", infos[pick].name,
                           VK_API_VERSION_MAJOR(infos[pick].api_version),
                           VK_API_VERSION_MINOR(infos[pick].api_version));
        s = VKA_ERR_UNSUPPORTED;
    }
    if (!s) {
        *out = pds[pick];
        *out_index = pick;
    }
    free(pds);
    free(infos);
    return s;
}
