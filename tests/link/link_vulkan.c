/* SPDX-License-Identifier: MIT */
/* link_vulkan.c — a game linked to libvulkan (-lvulkan, the loader's own
 * vkCreateInstance) and to libvkattn: its Vulkan calls reach the loader, not
 * something of vkattn's, before and after vkattn runs a graph (before this
 * test existed, the static library exported volk's NULL vkCreateInstance and
 * the game crashed in its first Vulkan call). */
#include <vulkan/vulkan.h>

#include "link_app.h"

static int game_vulkan(const char *when)
{
    VkApplicationInfo ai = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO, .apiVersion = VK_API_VERSION_1_2};
    VkInstanceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, .pApplicationInfo = &ai};
    VkInstance inst = VK_NULL_HANDLE;
    VkResult r = vkCreateInstance(&ci, NULL, &inst);
    uint32_t n = 0;
    if (r == VK_SUCCESS)
        r = vkEnumeratePhysicalDevices(inst, &n, NULL);
    CHECK(r == VK_SUCCESS && n > 0, "the game's own vkCreateInstance / vkEnumeratePhysicalDevices %s: %d, %u devices",
          when, (int)r, n);
    if (inst)
        vkDestroyInstance(inst, NULL);
    return r != VK_SUCCESS;
}

int main(void)
{
    game_vulkan("before vkattn");
    run_vit(assets_dir());
    game_vulkan("after vkattn");
    printf("%d failed\n", failures);
    return failures ? 1 : 0;
}
