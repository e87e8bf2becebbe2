/* SPDX-License-Identifier: MIT */
/* loader.h — the library's private Vulkan loader (loader.c): libvulkan opened
 * once, thread-safely, and function tables per instance and per device, so
 * that no global function pointer is shared with the host or between contexts.
 *
 *     const vka__loader *l = vka__loader_get();      // NULL: vka_last_error() says why
 *     l->vkCreateInstance(&ci, NULL, &inst);
 *     vka__instance_fns vi;
 *     vka__instance_fns_load(&vi, l->vkGetInstanceProcAddr, inst);
 *     vi.vkEnumeratePhysicalDevices(inst, &n, NULL);
 *     vka__load_device_table(&ctx->vk, device, vi.vkGetDeviceProcAddr);
 */
#ifndef VKA_LOADER_H
#define VKA_LOADER_H
#include <volk.h>

/* Entry points that need no instance (vkGetInstanceProcAddr(NULL, ...)). */
typedef struct vka__loader {
    PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr;
    PFN_vkCreateInstance vkCreateInstance;
    PFN_vkEnumerateInstanceVersion vkEnumerateInstanceVersion; /* NULL on a 1.0 loader */
    PFN_vkEnumerateInstanceLayerProperties vkEnumerateInstanceLayerProperties;
    PFN_vkEnumerateInstanceExtensionProperties vkEnumerateInstanceExtensionProperties;
} vka__loader;

/* The system loader (libvulkan.so.1), opened on the first call from any
 * thread; NULL, with the thread's last error set, when there is none. */
const vka__loader *vka__loader_get(void);
/* The same entry points through an application's vkGetInstanceProcAddr. */
void vka__loader_from(vka__loader *out, PFN_vkGetInstanceProcAddr gipa);

/* The instance-level functions the runtime calls. */
#define VKA__INSTANCE_FNS(X)                                                                                   \
    X(vkDestroyInstance)                                                                                       \
    X(vkEnumeratePhysicalDevices)                                                                              \
    X(vkGetPhysicalDeviceProperties)                                                                           \
    X(vkGetPhysicalDeviceProperties2)                                                                          \
    X(vkGetPhysicalDeviceFeatures2)                                                                            \
    X(vkGetPhysicalDeviceMemoryProperties)                                                                     \
    X(vkGetPhysicalDeviceFormatProperties)                                                                     \
    X(vkGetPhysicalDeviceQueueFamilyProperties)                                                                \
    X(vkEnumerateDeviceExtensionProperties)                                                                    \
    X(vkCreateDevice)                                                                                          \
    X(vkGetDeviceProcAddr)                                                                                     \
    X(vkCreateDebugUtilsMessengerEXT)                                                                          \
    X(vkDestroyDebugUtilsMessengerEXT)                                                                         \
    X(vkGetPhysicalDeviceCooperativeMatrixPropertiesNV)

typedef struct vka__instance_fns {
    PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr;
#define VKA__X(f) PFN_##f f;
    VKA__INSTANCE_FNS(VKA__X)
#undef VKA__X
} vka__instance_fns;

/* Loads every entry of the table for `instance` through gipa; returns 0, or -1
 * naming the first core function the instance does not give in *missing
 * (extension functions may stay NULL). */
int vka__instance_fns_load(vka__instance_fns *t, PFN_vkGetInstanceProcAddr gipa, VkInstance instance,
                           const char **missing);

/* volk_table.c: volk's device table loaded through the given vkGetDeviceProcAddr. */
void vka__load_device_table(struct VolkDeviceTable *t, VkDevice device, PFN_vkGetDeviceProcAddr gdpa);

#endif
