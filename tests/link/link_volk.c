/* SPDX-License-Identifier: MIT */
/* link_volk.c — a game with its own volk linked to libvkattn: after vkattn
 * made and destroyed contexts (its own, and one on the game's device), the
 * game's volk still has the game's instance, device and function pointers
 * (before this test existed, vka_context_create replaced them with vkattn's). */
#include <volk.h>

#include "link_app.h"

int main(void)
{
    CHECK(volkInitialize() == VK_SUCCESS, "the game's volkInitialize");
    VkApplicationInfo ai = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO, .apiVersion = VK_API_VERSION_1_2};
    VkInstanceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, .pApplicationInfo = &ai};
    VkInstance inst = VK_NULL_HANDLE;
    if (vkCreateInstance(&ci, NULL, &inst) != VK_SUCCESS)
        return 1;
    volkLoadInstance(inst);
    uint32_t n = 1;
    VkPhysicalDevice pd;
    vkEnumeratePhysicalDevices(inst, &n, &pd);
    float prio = 1;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO, .queueFamilyIndex = 0,
                                   .queueCount = 1, .pQueuePriorities = &prio};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci};
    VkDevice dev = VK_NULL_HANDLE;
    vkCreateDevice(pd, &dci, NULL, &dev);
    volkLoadDevice(dev);
    /* the game's volk state */
    void *before[6] = {(void *)volkGetLoadedInstance(), (void *)volkGetLoadedDevice(), (void *)vkCreateInstance,
                       (void *)vkEnumeratePhysicalDevices, (void *)vkQueueSubmit, (void *)vkCreateBuffer};

    run_vit(assets_dir());
    VkQueue q;
    vkGetDeviceQueue(dev, 0, 0, &q);
    vka_external_vulkan ext = {.instance = inst, .physical_device = pd, .device = dev, .queue = q,
                               .get_instance_proc_addr = (void *)vkGetInstanceProcAddr, .device_create_info = &dci};
    vka_context *ctx = vka_context_create_external(&ext, NULL);
    CHECK(ctx != NULL, "a context on the game's device: %s", ctx ? "ok" : vka_last_error());
    vka_context_destroy(ctx);

    void *after[6] = {(void *)volkGetLoadedInstance(), (void *)volkGetLoadedDevice(), (void *)vkCreateInstance,
                      (void *)vkEnumeratePhysicalDevices, (void *)vkQueueSubmit, (void *)vkCreateBuffer};
    static const char *const what[6] = {"volkGetLoadedInstance", "volkGetLoadedDevice", "vkCreateInstance",
                                        "vkEnumeratePhysicalDevices", "vkQueueSubmit", "vkCreateBuffer"};
    for (int i = 0; i < 6; i++)
        CHECK(before[i] == after[i] && after[i] != NULL, "the game's %s unchanged (%p)", what[i], after[i]);
    CHECK(vkDeviceWaitIdle(dev) == VK_SUCCESS, "the game's device still works through its volk");
    vkDestroyDevice(dev, NULL);
    vkDestroyInstance(inst, NULL);
    printf("%d failed\n", failures);
    return failures ? 1 : 0;
}
