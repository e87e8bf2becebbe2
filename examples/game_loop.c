/* SPDX-License-Identifier: MIT */
/* game_loop.c — a game-style program that owns its Vulkan instance and
 * device, renders a frame every turn of its loop, and runs a detector on the
 * same device and queue without ever waiting for it.
 *
 *     game_loop MODEL.onnx IMAGE [--labels FILE] [--inferences N] [--frames N] [--headless] [--resize WxH]
 *     game_loop deimv2_hgnetv2_atto_coco.onnx bus.jpg --labels coco80.txt
 *
 * What an application sharing its device with vkattn does:
 *   1. asks vka_vulkan_device_wants() which extensions and features to enable
 *      (it fills the application's VkPhysicalDeviceFeatures2 chain), creates
 *      its device with those plus its own (VK_KHR_swapchain), and hands
 *      instance, device and queue to vka_context_create_external();
 *   2. submits the detector with vka_detector_submit() (the graph in slices,
 *      so its own frames queue behind at most one slice on a device with a
 *      single queue) and checks vka_detector_poll() once per frame;
 *   3. draws the last results while the next inference runs.
 * Frames go to an SDL2 window through a swapchain (when built with SDL2 and
 * a display is there), else to an offscreen image (--headless). Each frame is
 * the photo, a bar that moves every frame, and the boxes of the last
 * finished inference, drawn on the host and copied into the image.
 * VKATTN_VALIDATE=1 enables the Khronos validation layer on the application's
 * instance; its errors (vkattn's calls included) fail the run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vulkan/vulkan.h>
#ifdef GAME_SDL
#include <SDL2/SDL.h>
#include <SDL2/SDL_vulkan.h>
#endif

#include <vkattn.h>

#define CHECK(call)                                                                       \
    do {                                                                                  \
        VkResult r_ = (call);                                                             \
        if (r_ < 0) {                                                                     \
            fprintf(stderr, "game_loop: %s failed: VkResult %d\n", #call, (int)r_);       \
            return 1;                                                                     \
        }                                                                                 \
    } while (0)

enum { W = 640, H = 480, MAX_IMAGES = 8 };

typedef struct game {
    VkInstance instance;
    VkDebugUtilsMessengerEXT messenger;
    int validation_errors;
    VkPhysicalDevice phys;
    uint32_t family;
    VkDevice device;
    VkDeviceCreateInfo dci;                 /* kept: vkattn reads which features it enabled */
    VkQueue queue;
    VkCommandPool pool;
    VkCommandBuffer cb;
    VkFence fence;                          /* the last frame's copy is done */
    VkBuffer staging;                       /* the frame drawn on the host, BGRA */
    VkDeviceMemory staging_mem;
    uint8_t *pixels;
    uint8_t *background;                    /* the photo scaled to W x H */
    VkImage offscreen;                      /* --headless: the frame's image */
    VkDeviceMemory offscreen_mem;
#ifdef GAME_SDL
    SDL_Window *win;
#endif
    VkSurfaceKHR surface;
    VkSwapchainKHR swapchain;
    uint32_t ext_w, ext_h;                  /* its images' size (the window's; the frame is copied into its corner) */
    int swapchains;                         /* made so far */
    VkImage images[MAX_IMAGES];
    uint32_t nimages;
    int swap_rb;                            /* swapchain is RGBA: swap red and blue */
    VkSemaphore acquired, rendered[MAX_IMAGES];
} game;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static VKAPI_ATTR VkBool32 VKAPI_CALL on_validation(VkDebugUtilsMessageSeverityFlagBitsEXT sev,
                                                    VkDebugUtilsMessageTypeFlagsEXT type,
                                                    const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
    (void)type;
    if (sev & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
        ((game *)user)->validation_errors++;
        fprintf(stderr, "validation: %s\n", data->pMessage);
    }
    return VK_FALSE;
}

static int memory_type(game *g, uint32_t bits, VkMemoryPropertyFlags want)
{
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(g->phys, &mp);
    for (uint32_t i = 0; i < mp.memoryTypeCount; i++)
        if ((bits & (1u << i)) && (mp.memoryTypes[i].propertyFlags & want) == want)
            return (int)i;
    return -1;
}

/* ------------------------------------------------------------ instance and device */

static int create_instance(game *g, int window)
{
    const char *exts[16];
    uint32_t next = 0;
#ifdef GAME_SDL
    if (window) {
        unsigned n = 0;
        SDL_Vulkan_GetInstanceExtensions(g->win, &n, NULL);
        if (n > 14 || !SDL_Vulkan_GetInstanceExtensions(g->win, &n, exts)) {
            fprintf(stderr, "game_loop: SDL_Vulkan_GetInstanceExtensions: %s\n", SDL_GetError());
            return 1;
        }
        next = n;
    }
#else
    (void)window;
#endif
    const char *v = getenv("VKATTN_VALIDATE"), *layer = "VK_LAYER_KHRONOS_validation";
    int validate = v && *v && strcmp(v, "0");
    if (validate)
        exts[next++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
    VkApplicationInfo ai = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                            .pApplicationName = "vkattn game_loop",
                            .apiVersion = VK_API_VERSION_1_2}; /* what vkattn needs (wants.api_version) */
    VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                .pApplicationInfo = &ai,
                                .enabledLayerCount = validate ? 1 : 0,
                                .ppEnabledLayerNames = &layer,
                                .enabledExtensionCount = next,
                                .ppEnabledExtensionNames = exts};
    CHECK(vkCreateInstance(&ici, NULL, &g->instance));
    if (validate) {
        VkDebugUtilsMessengerCreateInfoEXT mci = {
            .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
            .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
            .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT,
            .pfnUserCallback = on_validation,
            .pUserData = g};
        PFN_vkCreateDebugUtilsMessengerEXT create =
            (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(g->instance, "vkCreateDebugUtilsMessengerEXT");
        if (create)
            CHECK(create(g->instance, &mci, NULL, &g->messenger));
    }
    return 0;
}

static int create_device(game *g, int window, VkPhysicalDeviceFeatures2 *f2, vka_vulkan_wants *wants)
{
    uint32_t n = 1;
    if (vkEnumeratePhysicalDevices(g->instance, &n, &g->phys) < 0 || n < 1) {
        fprintf(stderr, "game_loop: no Vulkan device\n");
        return 1;
    }
#ifdef GAME_SDL
    if (window && !SDL_Vulkan_CreateSurface(g->win, g->instance, &g->surface)) {
        fprintf(stderr, "game_loop: SDL_Vulkan_CreateSurface: %s\n", SDL_GetError());
        return 1;
    }
#endif
    /* a family that computes (vkattn), copies (the frame) and, with a window, presents */
    VkQueueFamilyProperties qf[16];
    uint32_t nq = 16;
    vkGetPhysicalDeviceQueueFamilyProperties(g->phys, &nq, qf);
    for (g->family = 0; g->family < nq; g->family++) {
        VkBool32 present = VK_TRUE;
        if (window)
            vkGetPhysicalDeviceSurfaceSupportKHR(g->phys, g->family, g->surface, &present);
        if ((qf[g->family].queueFlags & VK_QUEUE_COMPUTE_BIT) && present)
            break;
    }
    if (g->family == nq) {
        fprintf(stderr, "game_loop: no queue family that computes%s\n", window ? " and presents" : "");
        return 1;
    }
    /* vkattn says what to enable: it sets its features in our chain and lists its extensions */
    if (vka_vulkan_device_wants(g->instance, g->phys, (void *)vkGetInstanceProcAddr, f2, wants)) {
        fprintf(stderr, "game_loop: %s\n", vka_last_error());
        return 1;
    }
    static const char *exts[8]; /* static: vkattn reads g->dci again in vka_context_create_external */
    uint32_t next = 0;
    for (int i = 0; i < wants->device_extension_count && next < 7; i++)
        exts[next++] = wants->device_extensions[i];
    if (window)
        exts[next++] = VK_KHR_SWAPCHAIN_EXTENSION_NAME; /* ours */
    static float prio = 1.0f;
    static VkDeviceQueueCreateInfo qci;
    qci = (VkDeviceQueueCreateInfo){.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                    .queueFamilyIndex = g->family,
                                    .queueCount = 1,
                                    .pQueuePriorities = &prio};
    g->dci = (VkDeviceCreateInfo){.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                  .pNext = f2,
                                  .queueCreateInfoCount = 1,
                                  .pQueueCreateInfos = &qci,
                                  .enabledExtensionCount = next,
                                  .ppEnabledExtensionNames = exts};
    CHECK(vkCreateDevice(g->phys, &g->dci, NULL, &g->device));
    vkGetDeviceQueue(g->device, g->family, 0, &g->queue);
    return 0;
}

/* ------------------------------------------------------------ frame targets */

/* The window's swapchain, made again when the window changes (the old one
 * is retired: nothing of it is in flight when this is called). */
static int create_swapchain(game *g)
{
    VkSurfaceCapabilitiesKHR caps;
    CHECK(vkGetPhysicalDeviceSurfaceCapabilitiesKHR(g->phys, g->surface, &caps));
    if (!(caps.supportedUsageFlags & VK_IMAGE_USAGE_TRANSFER_DST_BIT))
        return fprintf(stderr, "game_loop: the swapchain cannot be copied into\n"), 1;
    VkSurfaceFormatKHR fmts[32];
    uint32_t nf = 32;
    CHECK(vkGetPhysicalDeviceSurfaceFormatsKHR(g->phys, g->surface, &nf, fmts));
    VkSurfaceFormatKHR fmt = fmts[0];
    for (uint32_t i = 0; i < nf; i++)
        if (fmts[i].format == VK_FORMAT_B8G8R8A8_UNORM || fmts[i].format == VK_FORMAT_B8G8R8A8_SRGB) {
            fmt = fmts[i];
            break;
        }
    g->swap_rb = fmt.format == VK_FORMAT_R8G8B8A8_UNORM || fmt.format == VK_FORMAT_R8G8B8A8_SRGB;
    VkPresentModeKHR modes[8], mode = VK_PRESENT_MODE_FIFO_KHR; /* FIFO is always there; IMMEDIATE if offered */
    uint32_t nm = 8;
    vkGetPhysicalDeviceSurfacePresentModesKHR(g->phys, g->surface, &nm, modes);
    for (uint32_t i = 0; i < nm; i++)
        if (modes[i] == VK_PRESENT_MODE_IMMEDIATE_KHR)
            mode = modes[i];
    uint32_t count = caps.minImageCount + 1;
    if (caps.maxImageCount && count > caps.maxImageCount)
        count = caps.maxImageCount;
    /* the window's size when the surface has one (a window manager may impose it), else ours */
    VkExtent2D ext = caps.currentExtent.width != 0xFFFFFFFFu ? caps.currentExtent : (VkExtent2D){W, H};
    if (ext.width < 1 || ext.height < 1)
        ext = (VkExtent2D){W, H};
    VkSwapchainCreateInfoKHR sw = {.sType = VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR,
                                   .surface = g->surface,
                                   .minImageCount = count,
                                   .imageFormat = fmt.format,
                                   .imageColorSpace = fmt.colorSpace,
                                   .imageExtent = ext,
                                   .oldSwapchain = g->swapchain,
                                   .imageArrayLayers = 1,
                                   .imageUsage = VK_IMAGE_USAGE_TRANSFER_DST_BIT,
                                   .preTransform = caps.currentTransform,
                                   .compositeAlpha = VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR,
                                   .presentMode = mode,
                                   .clipped = VK_TRUE};
    CHECK(vkCreateSwapchainKHR(g->device, &sw, NULL, &g->swapchain));
    if (sw.oldSwapchain)
        vkDestroySwapchainKHR(g->device, sw.oldSwapchain, NULL);
    g->ext_w = sw.imageExtent.width, g->ext_h = sw.imageExtent.height;
    g->swapchains++;
    g->nimages = MAX_IMAGES;
    CHECK(vkGetSwapchainImagesKHR(g->device, g->swapchain, &g->nimages, g->images));
    return 0;
}

static int create_frame_resources(game *g, int window)
{
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                   .queueFamilyIndex = g->family};
    CHECK(vkCreateCommandPool(g->device, &pci, NULL, &g->pool));
    VkCommandBufferAllocateInfo cai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                       .commandPool = g->pool,
                                       .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                       .commandBufferCount = 1};
    CHECK(vkAllocateCommandBuffers(g->device, &cai, &g->cb));
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO, .flags = VK_FENCE_CREATE_SIGNALED_BIT};
    CHECK(vkCreateFence(g->device, &fci, NULL, &g->fence));
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                              .size = (VkDeviceSize)W * H * 4,
                              .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT};
    CHECK(vkCreateBuffer(g->device, &bci, NULL, &g->staging));
    VkMemoryRequirements mr;
    vkGetBufferMemoryRequirements(g->device, g->staging, &mr);
    int mt = memory_type(g, mr.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .allocationSize = mr.size,
                                .memoryTypeIndex = (uint32_t)mt};
    if (mt < 0)
        return fprintf(stderr, "game_loop: no host-visible memory\n"), 1;
    CHECK(vkAllocateMemory(g->device, &mai, NULL, &g->staging_mem));
    CHECK(vkBindBufferMemory(g->device, g->staging, g->staging_mem, 0));
    CHECK(vkMapMemory(g->device, g->staging_mem, 0, VK_WHOLE_SIZE, 0, (void **)&g->pixels));
    VkSemaphoreCreateInfo sci = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    if (!window) { /* headless: one offscreen image */
        VkImageCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
                                 .imageType = VK_IMAGE_TYPE_2D,
                                 .format = VK_FORMAT_B8G8R8A8_UNORM,
                                 .extent = {W, H, 1},
                                 .mipLevels = 1,
                                 .arrayLayers = 1,
                                 .samples = VK_SAMPLE_COUNT_1_BIT,
                                 .tiling = VK_IMAGE_TILING_OPTIMAL,
                                 .usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT};
        CHECK(vkCreateImage(g->device, &ici, NULL, &g->offscreen));
        vkGetImageMemoryRequirements(g->device, g->offscreen, &mr);
        mai.allocationSize = mr.size;
        if ((mt = memory_type(g, mr.memoryTypeBits, 0)) < 0)
            return 1;
        mai.memoryTypeIndex = (uint32_t)mt;
        CHECK(vkAllocateMemory(g->device, &mai, NULL, &g->offscreen_mem));
        CHECK(vkBindImageMemory(g->device, g->offscreen, g->offscreen_mem, 0));
        g->images[0] = g->offscreen;
        g->nimages = 1;
        return 0;
    }
    CHECK(vkCreateSemaphore(g->device, &sci, NULL, &g->acquired));
    for (uint32_t k = 0; k < MAX_IMAGES; k++)
        CHECK(vkCreateSemaphore(g->device, &sci, NULL, &g->rendered[k]));
    return create_swapchain(g);
}

/* ------------------------------------------------------------ a frame */

static void fill_rect(game *g, int x0, int y0, int x1, int y1, const uint8_t bgr[3])
{
    x0 = x0 < 0 ? 0 : x0, y0 = y0 < 0 ? 0 : y0, x1 = x1 > W ? W : x1, y1 = y1 > H ? H : y1;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            uint8_t *p = g->pixels + ((size_t)y * W + x) * 4;
            p[0] = g->swap_rb ? bgr[2] : bgr[0], p[1] = bgr[1], p[2] = g->swap_rb ? bgr[0] : bgr[2], p[3] = 255;
        }
}

/* The photo, a bar moving one step per frame, the boxes (already in frame pixels). */
static void draw(game *g, int frame, const vka_detection *det, int n, float sx, float sy)
{
    memcpy(g->pixels, g->background, (size_t)W * H * 4);
    if (g->swap_rb)
        for (size_t i = 0; i < (size_t)W * H; i++) {
            uint8_t t = g->pixels[i * 4];
            g->pixels[i * 4] = g->pixels[i * 4 + 2], g->pixels[i * 4 + 2] = t;
        }
    static const uint8_t bar[3] = {40, 220, 250}, box[3] = {60, 60, 255};
    int bx = (frame * 7) % (W - 40);
    fill_rect(g, bx, 4, bx + 40, 12, bar);
    for (int i = 0; i < n; i++) {
        int x0 = (int)(det[i].box[0] * sx), y0 = (int)(det[i].box[1] * sy);
        int x1 = (int)(det[i].box[2] * sx), y1 = (int)(det[i].box[3] * sy);
        fill_rect(g, x0, y0, x1, y0 + 2, box), fill_rect(g, x0, y1 - 2, x1, y1, box);
        fill_rect(g, x0, y0, x0 + 2, y1, box), fill_rect(g, x1 - 2, y0, x1, y1, box);
    }
}

/* Copies the drawn frame into the next image and shows it, then waits for
 * that copy (the host draws the next frame into the pixels it reads); on a
 * single queue that wait is at most one slice of the detector's graph.
 * 0: shown, 2: skipped (the swapchain was made again), 1: failed. */
static int present(game *g, int window)
{
    uint32_t idx = 0;
    if (window) {
        VkResult r = vkAcquireNextImageKHR(g->device, g->swapchain, UINT64_MAX, g->acquired, VK_NULL_HANDLE, &idx);
        if (r == VK_ERROR_OUT_OF_DATE_KHR) { /* the window changed: a new swapchain, this frame skipped */
            CHECK(vkQueueWaitIdle(g->queue));
            return create_swapchain(g) ? 1 : 2;
        }
        if (r < 0)
            return fprintf(stderr, "game_loop: vkAcquireNextImageKHR: VkResult %d\n", (int)r), 1;
    }
    VkImage img = g->images[idx];
    CHECK(vkResetFences(g->device, 1, &g->fence));
    CHECK(vkResetCommandBuffer(g->cb, 0));
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    CHECK(vkBeginCommandBuffer(g->cb, &bi));
    VkImageMemoryBarrier b = {.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
                              .srcAccessMask = 0,
                              .dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                              .oldLayout = VK_IMAGE_LAYOUT_UNDEFINED, /* the whole image is rewritten */
                              .newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                              .srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                              .dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
                              .image = img,
                              .subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1}};
    vkCmdPipelineBarrier(g->cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, NULL, 0, NULL, 1,
                         &b);
    /* a window of another size: black around the frame, which goes into its top-left corner */
    uint32_t cw = window && g->ext_w < W ? g->ext_w : W, ch = window && g->ext_h < H ? g->ext_h : H;
    if (window && (g->ext_w != W || g->ext_h != H)) {
        VkClearColorValue black = {{0, 0, 0, 1}};
        vkCmdClearColorImage(g->cb, img, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &black, 1, &b.subresourceRange);
        VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                              .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                              .dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT};
        vkCmdPipelineBarrier(g->cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 1, &mb, 0, NULL,
                             0, NULL);
    }
    VkBufferImageCopy copy = {.bufferRowLength = W,
                              .imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1},
                              .imageExtent = {cw, ch, 1}};
    vkCmdCopyBufferToImage(g->cb, g->staging, img, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &copy);
    b.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    b.dstAccessMask = window ? 0 : VK_ACCESS_TRANSFER_READ_BIT;
    b.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
    b.newLayout = window ? VK_IMAGE_LAYOUT_PRESENT_SRC_KHR : VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
    vkCmdPipelineBarrier(g->cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
                         window ? VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT : VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, NULL, 0,
                         NULL, 1, &b);
    CHECK(vkEndCommandBuffer(g->cb));
    VkPipelineStageFlags stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .waitSemaphoreCount = window ? 1 : 0,
                       .pWaitSemaphores = &g->acquired,
                       .pWaitDstStageMask = &stage,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &g->cb,
                       .signalSemaphoreCount = window ? 1 : 0,
                       .pSignalSemaphores = &g->rendered[idx]};
    /* one thread submits to this queue (ours and vkattn's), so no queue lock is needed; an application
     * that submits from several threads passes vka_context_params.queue_lock */
    CHECK(vkQueueSubmit(g->queue, 1, &si, g->fence));
    if (window) {
        VkPresentInfoKHR pi = {.sType = VK_STRUCTURE_TYPE_PRESENT_INFO_KHR,
                               .waitSemaphoreCount = 1,
                               .pWaitSemaphores = &g->rendered[idx],
                               .swapchainCount = 1,
                               .pSwapchains = &g->swapchain,
                               .pImageIndices = &idx};
        VkResult r = vkQueuePresentKHR(g->queue, &pi);
        if (r < 0 && r != VK_ERROR_OUT_OF_DATE_KHR)
            return fprintf(stderr, "game_loop: vkQueuePresentKHR: VkResult %d\n", (int)r), 1;
        if (r == VK_ERROR_OUT_OF_DATE_KHR || r == VK_SUBOPTIMAL_KHR) { /* shown or not, the next one fits */
            CHECK(vkQueueWaitIdle(g->queue));
            if (create_swapchain(g))
                return 1;
        }
    }
    /* the host draws the next frame into the pixels this copy reads */
    CHECK(vkWaitForFences(g->device, 1, &g->fence, VK_TRUE, UINT64_MAX));
    return 0;
}

static void destroy(game *g)
{
    if (g->device) {
        vkDeviceWaitIdle(g->device);
        for (uint32_t i = 0; i < MAX_IMAGES; i++)
            if (g->rendered[i])
                vkDestroySemaphore(g->device, g->rendered[i], NULL);
        if (g->acquired)
            vkDestroySemaphore(g->device, g->acquired, NULL);
        if (g->swapchain)
            vkDestroySwapchainKHR(g->device, g->swapchain, NULL);
        if (g->offscreen)
            vkDestroyImage(g->device, g->offscreen, NULL);
        if (g->offscreen_mem)
            vkFreeMemory(g->device, g->offscreen_mem, NULL);
        if (g->staging)
            vkDestroyBuffer(g->device, g->staging, NULL);
        if (g->staging_mem)
            vkFreeMemory(g->device, g->staging_mem, NULL);
        if (g->fence)
            vkDestroyFence(g->device, g->fence, NULL);
        if (g->pool)
            vkDestroyCommandPool(g->device, g->pool, NULL);
        vkDestroyDevice(g->device, NULL);
    }
    if (g->surface)
        vkDestroySurfaceKHR(g->instance, g->surface, NULL);
    if (g->messenger) {
        PFN_vkDestroyDebugUtilsMessengerEXT d =
            (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(g->instance, "vkDestroyDebugUtilsMessengerEXT");
        d(g->instance, g->messenger, NULL);
    }
    if (g->instance)
        vkDestroyInstance(g->instance, NULL);
    free(g->background);
}

/* ------------------------------------------------------------ the loop */

int main(int argc, char **argv)
{
    const char *model = NULL, *image = NULL, *labels = NULL;
    int inferences = 2, min_frames = 0, headless = 0, resize_w = 0, resize_h = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--labels") && i + 1 < argc)
            labels = argv[++i];
        else if (!strcmp(argv[i], "--inferences") && i + 1 < argc)
            inferences = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--frames") && i + 1 < argc)
            min_frames = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--headless"))
            headless = 1;
        else if (!strcmp(argv[i], "--resize") && i + 1 < argc && sscanf(argv[i + 1], "%dx%d", &resize_w, &resize_h) == 2)
            i++; /* the window resized once the first inference is in: the swapchain follows */
        else if (argv[i][0] != '-' && !model)
            model = argv[i];
        else if (argv[i][0] != '-' && !image)
            image = argv[i];
        else
            model = NULL, image = NULL, i = argc;
    }
    if (!model || !image || inferences < 1) {
        fprintf(stderr, "usage: %s MODEL.onnx IMAGE [--labels FILE] [--inferences N] [--frames N] [--headless] "
                "[--resize WxH]\n", argv[0]);
        return 2;
    }
    game g = {0};
    vka_context *ctx = NULL;
    vka_detector *det = NULL;
    vka_image *img = vka_image_load(image);
    int rc = 1, window = !headless;
    if (!img) {
        fprintf(stderr, "game_loop: %s\n", vka_last_error());
        return 1;
    }
#ifdef GAME_SDL
    if (window && (SDL_Init(SDL_INIT_VIDEO) != 0 ||
                   !(g.win = SDL_CreateWindow("vkattn game_loop", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, W, H,
                                              SDL_WINDOW_VULKAN)))) {
        fprintf(stderr, "game_loop: no window (%s): headless\n", SDL_GetError());
        window = 0;
    }
#else
    window = 0;
#endif
    /* the photo scaled to the frame once (nearest), BGRA */
    g.background = malloc((size_t)W * H * 4);
    for (int y = 0; g.background && y < H; y++)
        for (int x = 0; x < W; x++) {
            const uint8_t *s = img->rgb + ((size_t)(y * img->height / H) * img->width + x * img->width / W) * 3;
            uint8_t *d = g.background + ((size_t)y * W + x) * 4;
            d[0] = s[2], d[1] = s[1], d[2] = s[0], d[3] = 255;
        }

    /* our device, with what vkattn wants enabled in our own feature chain */
    VkPhysicalDeviceVulkan12Features f12 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    VkPhysicalDeviceVulkan11Features f11 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES,
                                            .pNext = &f12};
    VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &f11};
    vka_vulkan_wants wants;
    if (!g.background || create_instance(&g, window) || create_device(&g, window, &f2, &wants) ||
        create_frame_resources(&g, window))
        goto out;
    printf("game_loop: %s %dx%d; vkattn asked for %d features:", window ? "window (swapchain)" : "headless (offscreen)",
           W, H, wants.feature_count);
    for (int i = 0; i < wants.feature_count; i++)
        printf(" %s", wants.features[i]);
    printf("\n");

    /* vkattn on our device and queue */
    vka_external_vulkan ext = {.instance = g.instance,
                               .physical_device = g.phys,
                               .device = g.device,
                               .queue = g.queue,
                               .queue_family = g.family,
                               .get_instance_proc_addr = (void *)vkGetInstanceProcAddr,
                               .device_create_info = &g.dci};
    vka_context_params cp = vka_context_default_params();
    if (!(ctx = vka_context_create_external(&ext, &cp))) {
        fprintf(stderr, "game_loop: %s\n", vka_last_error());
        goto out;
    }
    vka_detector_params dp = vka_detector_default_params();
    dp.labels_path = labels;
    if (!(det = vka_detector_create(ctx, model, &dp))) {
        fprintf(stderr, "game_loop: %s\n", vka_last_error());
        goto out;
    }
    printf("game_loop: %s on %s\n", model, vka_context_device(ctx)->name);

    vka_frame frame = {.format = VKA_FRAME_RGB8, .width = img->width, .height = img->height, .pixels = img->rgb};
    vka_submit_params sp = vka_submit_default_params();
    sp.slices = 8; /* our frames wait for at most one eighth of the graph */
    vka_detection shown[64];
    int nshown = 0, in_flight = 0, done = 0, frames = 0, during = 0, quit = 0;
    double t_submit = 0, last_ms = 0, t0 = now_ms();
    float sx = (float)W / img->width, sy = (float)H / img->height;
    while (!quit) {
#ifdef GAME_SDL
        SDL_Event e;
        int resized = 0;
        while (window && SDL_PollEvent(&e)) {
            quit |= e.type == SDL_QUIT || (e.type == SDL_KEYDOWN && e.key.keysym.sym == SDLK_ESCAPE);
            resized |= e.type == SDL_WINDOWEVENT && e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED;
        }
        /* a new size: a new swapchain (drivers need not report the old one out of date) */
        if (resized && (vkQueueWaitIdle(g.queue) < 0 || create_swapchain(&g)))
            goto out;
#endif
        if (!in_flight && done < inferences) { /* start the next inference: returns once it is queued */
            if (vka_detector_submit(det, &frame, &sp)) {
                fprintf(stderr, "game_loop: submit: %s\n", vka_context_last_error(ctx));
                goto out;
            }
            in_flight = 1, t_submit = now_ms();
        }
        if (in_flight) { /* finished? never waits */
            vka_status s = vka_detector_poll(det);
            if (s == VKA_OK) {
                in_flight = 0, done++, last_ms = now_ms() - t_submit;
                nshown = vka_detector_results(det, 0.5, shown, 64);
                nshown = nshown < 64 ? nshown : 64;
#ifdef GAME_SDL
                if (window && done == 1 && resize_w > 0 && resize_h > 0)
                    SDL_SetWindowSize(g.win, resize_w, resize_h);
#endif
            } else if (s != VKA_NOT_READY) {
                fprintf(stderr, "game_loop: inference: %s\n", vka_context_last_error(ctx));
                goto out;
            }
        }
        draw(&g, frames, shown, nshown, sx, sy);
        int pr = present(&g, window);
        if (pr == 1)
            goto out;
        if (pr == 2)
            continue;
        frames++;
        during += in_flight;
        if (done >= inferences && frames >= min_frames)
            break;
    }
    double secs = (now_ms() - t0) / 1000.0;
    printf("frames %d (%d while an inference was in flight) in %.2f s, %.1f fps; %d inferences in %d slices, last "
           "%.1f ms\n", frames, during, secs, frames / (secs > 0 ? secs : 1), done, sp.slices, last_ms);
    if (window)
        printf("swapchain made %d times, last %ux%u\n", g.swapchains, g.ext_w, g.ext_h);
    for (int i = 0; i < nshown; i++)
        printf("box label %lld  score %.4f  x1 %.1f y1 %.1f x2 %.1f y2 %.1f  %s\n", (long long)shown[i].label,
               shown[i].score, shown[i].box[0], shown[i].box[1], shown[i].box[2], shown[i].box[3],
               shown[i].name ? shown[i].name : "");
    rc = 0;
out:
    vka_detector_destroy(det);
    vka_context_destroy(ctx);
    destroy(&g);
    if (g.validation_errors) {
        fprintf(stderr, "game_loop: %d validation errors\n", g.validation_errors);
        rc = 1;
    }
#ifdef GAME_SDL
    if (g.win)
        SDL_DestroyWindow(g.win);
    SDL_Quit();
#endif
    vka_image_free(img);
    return rc;
}
