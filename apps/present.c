/* SPDX-License-Identifier: MIT */
/* present.c — the composited image into the window: Vulkan swapchain on the
 * runtime's device, or SDL_Renderer when that device cannot present. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <volk.h>
#include <SDL2/SDL_vulkan.h>

#include "present.h"

#define MAX_IMAGES 8

struct presenter {
    SDL_Window *win;
    vka_context *ctx;
    char desc[160];
    char err[512];
    int bgra;
    int width, height;
    int rebuilds;
    /* Vulkan path */
    int vulkan;
    struct VolkDeviceTable vk;
    VkInstance instance;
    VkPhysicalDevice phys;
    VkDevice device;
    VkQueue queue;
    uint32_t family;
    VkSurfaceKHR surface;
    VkSurfaceFormatKHR format;
    VkSwapchainKHR swapchain;
    VkImage images[MAX_IMAGES];
    uint32_t nimages;
    VkSemaphore acquired;           /* image ready to be written */
    VkSemaphore done[MAX_IMAGES];   /* copy finished: present may read (per image, reused only after its present) */
    VkCommandPool pool;
    VkCommandBuffer cb;
    VkFence fence;
    /* SDL_Renderer path */
    SDL_Renderer *renderer;
    SDL_Texture *texture;
    uint8_t *pixels;
};

static const char *vk_str(VkResult r)
{
    switch (r) {
    case VK_SUCCESS: return "VK_SUCCESS";
    case VK_SUBOPTIMAL_KHR: return "VK_SUBOPTIMAL_KHR";
    case VK_ERROR_OUT_OF_DATE_KHR: return "VK_ERROR_OUT_OF_DATE_KHR";
    case VK_ERROR_SURFACE_LOST_KHR: return "VK_ERROR_SURFACE_LOST_KHR";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
    case VK_ERROR_NATIVE_WINDOW_IN_USE_KHR: return "VK_ERROR_NATIVE_WINDOW_IN_USE_KHR";
    default: return "VkResult error";
    }
}

#define CHECK(p, call)                                                                                           \
    do {                                                                                                         \
        VkResult r_ = (call);                                                                                    \
        if (r_ != VK_SUCCESS) {                                                                                  \
            snprintf((p)->err, sizeof (p)->err, "%s: %s (%d)", #call, vk_str(r_), (int)r_);                       \
            return -1;                                                                                           \
        }                                                                                                        \
    } while (0)

void presenter_context_params(SDL_Window *win, vka_context_params *cp)
{
    static const char *names[32];
    static const char *const dev[] = {"VK_KHR_swapchain"};
    unsigned n = 32;
    if (!SDL_Vulkan_GetInstanceExtensions(win, &n, names))
        n = 0;
    cp->instance_extensions = names;
    cp->instance_extension_count = (int)n;
    cp->device_extensions = dev;
    cp->device_extension_count = 1;
    cp->graphics_queue = 1;
}

static void destroy_swapchain(presenter *p)
{
    if (!p->swapchain)
        return;
    p->vk.vkDeviceWaitIdle(p->device);
    for (uint32_t i = 0; i < MAX_IMAGES; i++)
        if (p->done[i]) {
            p->vk.vkDestroySemaphore(p->device, p->done[i], NULL);
            p->done[i] = VK_NULL_HANDLE;
        }
    p->vk.vkDestroySwapchainKHR(p->device, p->swapchain, NULL);
    p->swapchain = VK_NULL_HANDLE;
    p->nimages = 0;
}

static int build_swapchain(presenter *p)
{
    VkSurfaceCapabilitiesKHR caps;
    CHECK(p, vkGetPhysicalDeviceSurfaceCapabilitiesKHR(p->phys, p->surface, &caps));
    if (!(caps.supportedUsageFlags & VK_IMAGE_USAGE_TRANSFER_DST_BIT)) {
        snprintf(p->err, sizeof p->err, "the surface's images cannot be copy destinations");
        return -1;
    }
    int w, h;
    SDL_Vulkan_GetDrawableSize(p->win, &w, &h);
    VkExtent2D ext = caps.currentExtent;
    if (ext.width == 0xFFFFFFFFu) { /* the surface takes the swapchain's size */
        ext.width = (uint32_t)w, ext.height = (uint32_t)h;
        ext.width = ext.width < caps.minImageExtent.width ? caps.minImageExtent.width
                    : ext.width > caps.maxImageExtent.width ? caps.maxImageExtent.width : ext.width;
        ext.height = ext.height < caps.minImageExtent.height ? caps.minImageExtent.height
                     : ext.height > caps.maxImageExtent.height ? caps.maxImageExtent.height : ext.height;
    }
    if (ext.width == 0 || ext.height == 0) { /* minimized: nothing to build */
        snprintf(p->err, sizeof p->err, "window has no area");
        return 1;
    }
    uint32_t count = caps.minImageCount + 1;
    if (caps.maxImageCount && count > caps.maxImageCount)
        count = caps.maxImageCount;
    if (count > MAX_IMAGES)
        count = MAX_IMAGES;
    VkSwapchainKHR old = p->swapchain;
    VkSwapchainCreateInfoKHR ci = {
        .sType = VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR,
        .surface = p->surface,
        .minImageCount = count,
        .imageFormat = p->format.format,
        .imageColorSpace = p->format.colorSpace,
        .imageExtent = ext,
        .imageArrayLayers = 1,
        .imageUsage = VK_IMAGE_USAGE_TRANSFER_DST_BIT,
        .imageSharingMode = VK_SHARING_MODE_EXCLUSIVE,
        .preTransform = caps.currentTransform,
        .compositeAlpha = (caps.supportedCompositeAlpha & VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR)
                              ? VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR
                              : (VkCompositeAlphaFlagBitsKHR)(caps.supportedCompositeAlpha &
                                                              -caps.supportedCompositeAlpha),
        .presentMode = VK_PRESENT_MODE_FIFO_KHR, /* always there; the model is slower than vsync anyway */
        .clipped = VK_TRUE,
        .oldSwapchain = old,
    };
    if (old)
        p->vk.vkDeviceWaitIdle(p->device);
    VkSwapchainKHR sc;
    VkResult r = p->vk.vkCreateSwapchainKHR(p->device, &ci, NULL, &sc);
    if (old) {
        p->swapchain = old;
        destroy_swapchain(p);
    }
    if (r != VK_SUCCESS) {
        snprintf(p->err, sizeof p->err, "vkCreateSwapchainKHR: %s (%d)", vk_str(r), (int)r);
        return -1;
    }
    p->swapchain = sc;
    p->nimages = MAX_IMAGES;
    CHECK(p, p->vk.vkGetSwapchainImagesKHR(p->device, sc, &p->nimages, p->images));
    VkSemaphoreCreateInfo si = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    for (uint32_t i = 0; i < p->nimages; i++)
        CHECK(p, p->vk.vkCreateSemaphore(p->device, &si, NULL, &p->done[i]));
    p->width = (int)ext.width, p->height = (int)ext.height;
    p->rebuilds++;
    snprintf(p->desc, sizeof p->desc, "Vulkan swapchain (%s, FIFO, %u images, %dx%d)",
             p->format.format == VK_FORMAT_B8G8R8A8_UNORM   ? "B8G8R8A8_UNORM"
             : p->format.format == VK_FORMAT_B8G8R8A8_SRGB  ? "B8G8R8A8_SRGB"
             : p->format.format == VK_FORMAT_R8G8B8A8_UNORM ? "R8G8B8A8_UNORM"
                                                            : "R8G8B8A8_SRGB",
             p->nimages, p->width, p->height);
    return 0;
}

static int vulkan_init(presenter *p)
{
    vka_external_vulkan h;
    vka_context_vulkan(p->ctx, &h);
    p->instance = (VkInstance)h.instance;
    p->phys = (VkPhysicalDevice)h.physical_device;
    p->device = (VkDevice)h.device;
    p->queue = (VkQueue)h.queue;
    p->family = h.queue_family;
    /* the CLI's own volk (the library's loader is private), loaded through the
     * context's vkGetInstanceProcAddr */
    volkInitializeCustom((PFN_vkGetInstanceProcAddr)h.get_instance_proc_addr);
    volkLoadInstanceOnly(p->instance);
    volkLoadDeviceTable(&p->vk, p->device);
    if (!p->vk.vkCreateSwapchainKHR) {
        snprintf(p->err, sizeof p->err, "the device was created without VK_KHR_swapchain");
        return -1;
    }
    if (!SDL_Vulkan_CreateSurface(p->win, p->instance, &p->surface)) {
        snprintf(p->err, sizeof p->err, "SDL_Vulkan_CreateSurface: %s", SDL_GetError());
        return -1;
    }
    VkBool32 ok = VK_FALSE;
    CHECK(p, vkGetPhysicalDeviceSurfaceSupportKHR(p->phys, p->family, p->surface, &ok));
    if (!ok) {
        snprintf(p->err, sizeof p->err, "queue family %u of the device cannot present to this window", p->family);
        return -1;
    }
    uint32_t nf = 0;
    CHECK(p, vkGetPhysicalDeviceSurfaceFormatsKHR(p->phys, p->surface, &nf, NULL));
    VkSurfaceFormatKHR fm[64];
    nf = nf > 64 ? 64 : nf;
    CHECK(p, vkGetPhysicalDeviceSurfaceFormatsKHR(p->phys, p->surface, &nf, fm));
    /* our bytes are sRGB-encoded already: an UNORM image shows them as they
     * are; an SRGB image is the same bytes (a copy does not convert) */
    static const VkFormat pref[] = {VK_FORMAT_B8G8R8A8_UNORM, VK_FORMAT_R8G8B8A8_UNORM, VK_FORMAT_B8G8R8A8_SRGB,
                                    VK_FORMAT_R8G8B8A8_SRGB};
    int found = 0;
    for (int k = 0; k < 4 && !found; k++)
        for (uint32_t i = 0; i < nf && !found; i++)
            if (fm[i].format == pref[k])
                p->format = fm[i], found = 1;
    if (!found) {
        snprintf(p->err, sizeof p->err, "the surface offers no 8-bit RGBA/BGRA format");
        return -1;
    }
    p->bgra = p->format.format == VK_FORMAT_B8G8R8A8_UNORM || p->format.format == VK_FORMAT_B8G8R8A8_SRGB;
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                   .queueFamilyIndex = p->family};
    CHECK(p, p->vk.vkCreateCommandPool(p->device, &pci, NULL, &p->pool));
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = p->pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
    CHECK(p, p->vk.vkAllocateCommandBuffers(p->device, &ai, &p->cb));
    VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO, .flags = VK_FENCE_CREATE_SIGNALED_BIT};
    CHECK(p, p->vk.vkCreateFence(p->device, &fi, NULL, &p->fence));
    VkSemaphoreCreateInfo si = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    CHECK(p, p->vk.vkCreateSemaphore(p->device, &si, NULL, &p->acquired));
    return build_swapchain(p) == 0 ? 0 : -1;
}

static void vulkan_release(presenter *p)
{
    if (!p->device)
        return;
    p->vk.vkDeviceWaitIdle(p->device);
    destroy_swapchain(p);
    if (p->acquired)
        p->vk.vkDestroySemaphore(p->device, p->acquired, NULL);
    if (p->fence)
        p->vk.vkDestroyFence(p->device, p->fence, NULL);
    if (p->pool)
        p->vk.vkDestroyCommandPool(p->device, p->pool, NULL);
    if (p->surface)
        vkDestroySurfaceKHR(p->instance, p->surface, NULL);
    p->acquired = VK_NULL_HANDLE, p->fence = VK_NULL_HANDLE, p->pool = VK_NULL_HANDLE;
    p->surface = VK_NULL_HANDLE, p->device = VK_NULL_HANDLE;
}

static int renderer_init(presenter *p)
{
    p->renderer = SDL_CreateRenderer(p->win, -1, 0);
    if (!p->renderer)
        p->renderer = SDL_CreateRenderer(p->win, -1, SDL_RENDERER_SOFTWARE);
    if (!p->renderer) {
        snprintf(p->err, sizeof p->err, "SDL_CreateRenderer: %s", SDL_GetError());
        return -1;
    }
    SDL_RendererInfo ri;
    SDL_GetRendererInfo(p->renderer, &ri);
    p->bgra = 0; /* SDL_PIXELFORMAT_ABGR8888 is R,G,B,A in memory on little-endian */
    p->vulkan = 0;
    if (presenter_resize(p))
        return -1;
    snprintf(p->desc, sizeof p->desc, "SDL_Renderer (%s; a download per frame)", ri.name);
    return 0;
}

presenter *presenter_create(SDL_Window *win, vka_context *ctx, int vulkan, char *err, size_t nerr)
{
    presenter *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, nerr, "out of host memory");
        return NULL;
    }
    p->win = win, p->ctx = ctx;
    if (vulkan) {
        p->vulkan = 1;
        if (vulkan_init(p) == 0)
            return p;
        /* fall back: say why */
        fprintf(stderr, "vkattn: view: cannot present with Vulkan (%s); using SDL_Renderer\n", p->err);
        vulkan_release(p);
    }
    if (renderer_init(p) == 0)
        return p;
    snprintf(err, nerr, "%s", p->err);
    presenter_destroy(p);
    return NULL;
}

void presenter_destroy(presenter *p)
{
    if (!p)
        return;
    vulkan_release(p);
    if (p->texture)
        SDL_DestroyTexture(p->texture);
    if (p->renderer)
        SDL_DestroyRenderer(p->renderer);
    free(p->pixels);
    free(p);
}

const char *presenter_describe(const presenter *p) { return p->desc; }
int presenter_is_vulkan(const presenter *p) { return p->vulkan; }
int presenter_bgra(const presenter *p) { return p->bgra; }
const char *presenter_error(const presenter *p) { return p->err; }
int presenter_rebuilds(const presenter *p) { return p->rebuilds; }

void presenter_size(const presenter *p, int *width, int *height)
{
    *width = p->width;
    *height = p->height;
}

int presenter_resize(presenter *p)
{
    if (p->vulkan)
        return build_swapchain(p) < 0 ? -1 : 0;
    int w, h;
    SDL_GetRendererOutputSize(p->renderer, &w, &h);
    if (w < 1 || h < 1)
        return 0;
    if (p->texture && w == p->width && h == p->height)
        return 0;
    if (p->texture)
        SDL_DestroyTexture(p->texture);
    free(p->pixels);
    p->texture = SDL_CreateTexture(p->renderer, SDL_PIXELFORMAT_ABGR8888, SDL_TEXTUREACCESS_STREAMING, w, h);
    p->pixels = malloc((size_t)w * h * 4);
    if (!p->texture || !p->pixels) {
        snprintf(p->err, sizeof p->err, "SDL_CreateTexture %dx%d: %s", w, h, p->texture ? "out of memory" : SDL_GetError());
        return -1;
    }
    p->width = w, p->height = h;
    p->rebuilds++;
    return 0;
}

static int show_renderer(presenter *p, vka_tensor *image)
{
    size_t bytes = (size_t)p->width * p->height * 4;
    if (vka_tensor_download(image, p->pixels, bytes)) {
        snprintf(p->err, sizeof p->err, "download: %s", vka_context_last_error(p->ctx));
        return -1;
    }
    SDL_UpdateTexture(p->texture, NULL, p->pixels, p->width * 4);
    SDL_RenderClear(p->renderer);
    SDL_RenderCopy(p->renderer, p->texture, NULL, NULL);
    SDL_RenderPresent(p->renderer);
    return 0;
}

int presenter_show(presenter *p, vka_tensor *image)
{
    if (vka_tensor_ndim(image) != 3 || vka_tensor_dim(image, 0) != p->height || vka_tensor_dim(image, 1) != p->width ||
        vka_tensor_dim(image, 2) != 4) {
        snprintf(p->err, sizeof p->err, "image is not [%d, %d, 4]", p->height, p->width);
        return -1;
    }
    if (!p->vulkan)
        return show_renderer(p, image);
    if (!p->swapchain) /* minimized earlier: try again, skip this frame either way */
        return build_swapchain(p) < 0 ? -1 : 1;
    CHECK(p, p->vk.vkWaitForFences(p->device, 1, &p->fence, VK_TRUE, UINT64_MAX));
    uint32_t idx;
    VkResult r = p->vk.vkAcquireNextImageKHR(p->device, p->swapchain, UINT64_MAX, p->acquired, VK_NULL_HANDLE, &idx);
    if (r == VK_ERROR_OUT_OF_DATE_KHR)
        return build_swapchain(p) < 0 ? -1 : 1;
    if (r != VK_SUCCESS && r != VK_SUBOPTIMAL_KHR) {
        snprintf(p->err, sizeof p->err, "vkAcquireNextImageKHR: %s (%d)", vk_str(r), (int)r);
        return -1;
    }
    void *vbuf;
    uint64_t off;
    vka_tensor_vulkan(image, &vbuf, &off);
    CHECK(p, p->vk.vkResetFences(p->device, 1, &p->fence));
    CHECK(p, p->vk.vkResetCommandBuffer(p->cb, 0));
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    CHECK(p, p->vk.vkBeginCommandBuffer(p->cb, &bi));
    VkImageSubresourceRange range = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    /* the compositor's shader writes (earlier submit) and the acquired image ->
     * this copy; the old contents are not needed */
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT};
    VkImageMemoryBarrier to_dst = {.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
                                   .srcAccessMask = 0,
                                   .dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                                   .oldLayout = VK_IMAGE_LAYOUT_UNDEFINED,
                                   .newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                                   .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                   .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                                   .image = p->images[idx],
                                   .subresourceRange = range};
    p->vk.vkCmdPipelineBarrier(p->cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                               VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &mb, 0, NULL, 1, &to_dst);
    VkBufferImageCopy region = {.bufferOffset = off,
                                .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                                .imageExtent = {(uint32_t)p->width, (uint32_t)p->height, 1}};
    p->vk.vkCmdCopyBufferToImage(p->cb, (VkBuffer)vbuf, p->images[idx], VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1,
                                 &region);
    /* the copy -> presentation (the semaphore makes it visible) */
    VkImageMemoryBarrier to_present = to_dst;
    to_present.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    to_present.dstAccessMask = 0;
    to_present.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    to_present.newLayout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR;
    p->vk.vkCmdPipelineBarrier(p->cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0, 0, NULL,
                               0, NULL, 1, &to_present);
    CHECK(p, p->vk.vkEndCommandBuffer(p->cb));
    VkPipelineStageFlags wait_stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .waitSemaphoreCount = 1,
                       .pWaitSemaphores = &p->acquired,
                       .pWaitDstStageMask = &wait_stage,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &p->cb,
                       .signalSemaphoreCount = 1,
                       .pSignalSemaphores = &p->done[idx]};
    CHECK(p, p->vk.vkQueueSubmit(p->queue, 1, &si, p->fence));
    VkPresentInfoKHR pi = {.sType = VK_STRUCTURE_TYPE_PRESENT_INFO_KHR,
                           .waitSemaphoreCount = 1,
                           .pWaitSemaphores = &p->done[idx],
                           .swapchainCount = 1,
                           .pSwapchains = &p->swapchain,
                           .pImageIndices = &idx};
    r = p->vk.vkQueuePresentKHR(p->queue, &pi);
    if (r == VK_ERROR_OUT_OF_DATE_KHR || r == VK_SUBOPTIMAL_KHR)
        return build_swapchain(p) < 0 ? -1 : 1;
    if (r != VK_SUCCESS) {
        snprintf(p->err, sizeof p->err, "vkQueuePresentKHR: %s (%d)", vk_str(r), (int)r);
        return -1;
    }
    return 0;
}
