/* SPDX-License-Identifier: MIT */
/* loader.c — the library's private Vulkan loader: libvulkan opened once
 * (pthread_once, so two threads creating their first contexts at the same
 * time are safe) and per-instance function tables. Nothing here writes a
 * global that the host or another context reads: volk's globals are never
 * touched, so a host with its own volk, or linked to libvulkan, keeps its
 * state (tests/link). */
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include "internal.h"
#include "loader.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static vka__loader sys;           /* written once, under `once`; read-only after */
static char sys_err[256];

void vka__loader_from(vka__loader *out, PFN_vkGetInstanceProcAddr gipa)
{
    memset(out, 0, sizeof *out);
    out->vkGetInstanceProcAddr = gipa;
#define LOAD(f) out->f = (PFN_##f)gipa(VK_NULL_HANDLE, #f)
    LOAD(vkCreateInstance);
    LOAD(vkEnumerateInstanceVersion);
    LOAD(vkEnumerateInstanceLayerProperties);
    LOAD(vkEnumerateInstanceExtensionProperties);
#undef LOAD
}

static void open_loader(void)
{
    /* the names volk tries; RTLD_LOCAL keeps libvulkan's symbols out of the
     * global namespace (a host linked to it gets the same, already loaded copy) */
#if defined(__APPLE__)
    static const char *const names[] = {"libvulkan.dylib", "libvulkan.1.dylib", "libMoltenVK.dylib"};
#else
    static const char *const names[] = {"libvulkan.so.1", "libvulkan.so"};
#endif
    void *lib = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !lib; i++)
        lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(sys_err, sizeof sys_err, "no Vulkan loader found (%s): install libvulkan1 and a driver, e.g. "
                                          "apt-get install libvulkan1 mesa-vulkan-drivers", names[0]);
        return;
    }
    PFN_vkGetInstanceProcAddr gipa = (PFN_vkGetInstanceProcAddr)dlsym(lib, "vkGetInstanceProcAddr");
    if (!gipa) {
        snprintf(sys_err, sizeof sys_err, "%s has no vkGetInstanceProcAddr", names[0]);
        return;
    }
    vka__loader_from(&sys, gipa);
    if (!sys.vkCreateInstance || !sys.vkEnumerateInstanceExtensionProperties ||
        !sys.vkEnumerateInstanceLayerProperties) {
        snprintf(sys_err, sizeof sys_err, "the Vulkan loader does not give vkCreateInstance");
        memset(&sys, 0, sizeof sys);
    }
}

const vka__loader *vka__loader_get(void)
{
    pthread_once(&once, open_loader);
    if (!sys.vkGetInstanceProcAddr) {
        vka__set_tls_error("%s", sys_err);
        return NULL;
    }
    return &sys;
}

int vka__instance_fns_load(vka__instance_fns *t, PFN_vkGetInstanceProcAddr gipa, VkInstance instance,
                           const char **missing)
{
    memset(t, 0, sizeof *t);
    t->vkGetInstanceProcAddr = gipa;
#define VKA__X(f) t->f = (PFN_##f)gipa(instance, #f);
    VKA__INSTANCE_FNS(VKA__X)
#undef VKA__X
    /* Vulkan 1.0/1.1 core: every instance has them (the debug-utils pair is an extension) */
#define CORE(f)                                                                                                    \
    if (!t->f) {                                                                                                   \
        *missing = #f;                                                                                             \
        return -1;                                                                                                 \
    }
    CORE(vkDestroyInstance) CORE(vkEnumeratePhysicalDevices) CORE(vkGetPhysicalDeviceProperties)
    CORE(vkGetPhysicalDeviceProperties2) CORE(vkGetPhysicalDeviceFeatures2) CORE(vkGetPhysicalDeviceMemoryProperties)
    CORE(vkGetPhysicalDeviceFormatProperties)
    CORE(vkGetPhysicalDeviceQueueFamilyProperties) CORE(vkEnumerateDeviceExtensionProperties) CORE(vkCreateDevice)
    CORE(vkGetDeviceProcAddr)
#undef CORE
    return 0;
}
