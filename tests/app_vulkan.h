/* SPDX-License-Identifier: MIT */
/* app_vulkan.h — a test playing an application that owns its Vulkan: its
 * own volk (the library's loader is private), its instance with the
 * validation layer when VKATTN_VALIDATE=1 and its own error counter (a
 * context on an application's device does not see the layer), its device
 * created with the features it chooses. Header-only, after common.h and
 * volk.h (the test links volk.c).
 *
 *     app a;
 *     if (app_init(&a)) ...;
 *     VkPhysicalDeviceVulkan12Features f12 = {...}; ... features2 chain
 *     vka_vulkan_device_wants(a.instance, a.phys, NULL, &features2, &wants);
 *     app_device(&a, &features2, wants.device_extensions, wants.device_extension_count);
 *     vka_external_vulkan ext = app_external(&a);   // device_create_info: what was enabled
 *     ...
 *     app_free(&a);                                  // a.validation_errors: the layer's errors
 */
#ifndef VKA_TEST_APP_VULKAN_H
#define VKA_TEST_APP_VULKAN_H

typedef struct {
    VkInstance instance;
    VkPhysicalDevice phys;
    VkDevice device;
    VkQueue queue;
    uint32_t family;
    struct VolkDeviceTable vk;
    VkDebugUtilsMessengerEXT messenger;
    int validation;
    int validation_errors;        /* severity error, from the application's messenger */
    VkDeviceCreateInfo dci;       /* as given to vkCreateDevice (its pNext chain is the caller's) */
    VkDeviceQueueCreateInfo qci;
    float prio;
} app;

static VKAPI_ATTR VkBool32 VKAPI_CALL app_on_validation(VkDebugUtilsMessageSeverityFlagBitsEXT sev,
                                                        VkDebugUtilsMessageTypeFlagsEXT type,
                                                        const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
    (void)type;
    app *a = user;
    if (sev & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
        a->validation_errors++;
        printf("  application's validation layer: %s\n", data->pMessage);
    }
    return VK_FALSE;
}

static int app_init(app *a)
{
    memset(a, 0, sizeof *a);
    if (volkInitialize() != VK_SUCCESS) {
        vkt_check(0, "application: volkInitialize");
        return 1;
    }
    const char *v = getenv("VKATTN_VALIDATE");
    a->validation = v && *v && strcmp(v, "0") != 0;
    const char *layers[] = {"VK_LAYER_KHRONOS_validation"}, *exts[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
    VkApplicationInfo ai = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO, .apiVersion = VK_API_VERSION_1_2};
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pApplicationInfo = &ai,
                                .enabledLayerCount = a->validation ? 1 : 0,
                                .ppEnabledLayerNames = layers,
                                .enabledExtensionCount = a->validation ? 1 : 0,
                                .ppEnabledExtensionNames = exts};
    if (vkCreateInstance(&ici, NULL, &a->instance) != VK_SUCCESS) {
        vkt_check(0, "application: vkCreateInstance%s", a->validation ? " with the validation layer" : "");
        return 1;
    }
    volkLoadInstanceOnly(a->instance);
    if (a->validation) {
        VkDebugUtilsMessengerCreateInfoEXT mci = {
            .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
            .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
            .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT,
            .pfnUserCallback = app_on_validation,
            .pUserData = a};
        vkCreateDebugUtilsMessengerEXT(a->instance, &mci, NULL, &a->messenger);
    }
    uint32_t n = 1;
    if (vkEnumeratePhysicalDevices(a->instance, &n, &a->phys) < 0 || n < 1) {
        vkt_check(0, "application: no Vulkan device");
        return 1;
    }
    uint32_t nq = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(a->phys, &nq, NULL);
    VkQueueFamilyProperties qf[16];
    nq = nq > 16 ? 16 : nq;
    vkGetPhysicalDeviceQueueFamilyProperties(a->phys, &nq, qf);
    while (a->family < nq && !(qf[a->family].queueFlags & VK_QUEUE_COMPUTE_BIT))
        a->family++;
    return 0;
}

/* The device with exactly the features of the chain f2 (NULL: none) and the extensions given. */
static int app_device(app *a, const VkPhysicalDeviceFeatures2 *f2, const char *const *exts, int nexts)
{
    a->prio = 1.0f;
    a->qci = (VkDeviceQueueCreateInfo){.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                       .queueFamilyIndex = a->family,
                                       .queueCount = 1,
                                       .pQueuePriorities = &a->prio};
    a->dci = (VkDeviceCreateInfo){.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                  .pNext = f2,
                                  .queueCreateInfoCount = 1,
                                  .pQueueCreateInfos = &a->qci,
                                  .enabledExtensionCount = (uint32_t)nexts,
                                  .ppEnabledExtensionNames = exts};
    VkResult r = vkCreateDevice(a->phys, &a->dci, NULL, &a->device);
    if (r != VK_SUCCESS) {
        vkt_check(0, "application: vkCreateDevice: %d", (int)r);
        return 1;
    }
    volkLoadDeviceTable(&a->vk, a->device);
    a->vk.vkGetDeviceQueue(a->device, a->family, 0, &a->queue);
    return 0;
}

static vka_external_vulkan app_external(const app *a)
{
    vka_external_vulkan e = {.instance = a->instance,
                             .physical_device = a->phys,
                             .device = a->device,
                             .queue = a->queue,
                             .queue_family = a->family,
                             .get_instance_proc_addr = (void *)vkGetInstanceProcAddr,
                             .device_create_info = &a->dci};
    return e;
}

static void app_device_free(app *a)
{
    if (a->device) {
        a->vk.vkDeviceWaitIdle(a->device);
        a->vk.vkDestroyDevice(a->device, NULL);
    }
    a->device = VK_NULL_HANDLE;
}

static void app_free(app *a)
{
    app_device_free(a);
    if (a->messenger)
        vkDestroyDebugUtilsMessengerEXT(a->instance, a->messenger, NULL);
    if (a->instance)
        vkDestroyInstance(a->instance, NULL);
    a->instance = VK_NULL_HANDLE;
}
#endif
