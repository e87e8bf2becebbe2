/* SPDX-License-Identifier: MIT */
/* present.h — shows a composited RGBA image, already on the device, in an SDL2
 * window: through a Vulkan swapchain on the runtime's own device and queue (a
 * buffer-to-image copy, no pixels through the host), or, when that device
 * cannot present to the window, through SDL_Renderer (a download per frame).
 *
 *     presenter *p = presenter_create(win, ctx, 1, err, sizeof err);
 *     presenter_size(p, &w, &h);               // compose an U8 [h, w, 4] image
 *     presenter_show(p, image);                // in presenter_bgra(p) byte order
 *     ... on SDL_WINDOWEVENT_SIZE_CHANGED: presenter_resize(p) and re-read the size
 */
#ifndef VKA_PRESENT_H
#define VKA_PRESENT_H
#include <SDL2/SDL.h>

#include "vkattn.h"

typedef struct presenter presenter;

/* The context must have been created with SDL's instance extensions,
 * VK_KHR_swapchain and graphics_queue = 1 for the swapchain path (see
 * presenter_context_params). vulkan = 0 forces the SDL_Renderer path. */
presenter *presenter_create(SDL_Window *win, vka_context *ctx, int vulkan, char *err, size_t nerr);
void presenter_destroy(presenter *p);
/* Context parameters for presenting to win: SDL's instance extensions (kept in
 * a static list), the swapchain extension, a graphics queue. */
void presenter_context_params(SDL_Window *win, vka_context_params *cp);
/* "Vulkan swapchain (B8G8R8A8_UNORM, FIFO, 3 images)" or "SDL_Renderer (...)" */
const char *presenter_describe(const presenter *p);
int presenter_is_vulkan(const presenter *p);
/* Byte order the image must have: 1 B,G,R,A; 0 R,G,B,A. */
int presenter_bgra(const presenter *p);
/* The size the shown image must have (the swapchain extent / window size). */
void presenter_size(const presenter *p, int *width, int *height);
/* Re-reads the window size and rebuilds the swapchain. 0 on success. */
int presenter_resize(presenter *p);
/* Shows image U8 [h, w, 4] of presenter_size. Rebuilds an out-of-date
 * swapchain by itself (the frame is then skipped: returns 1). 0 shown, < 0
 * error (message in presenter_error). */
int presenter_show(presenter *p, vka_tensor *image);
const char *presenter_error(const presenter *p);
/* Times the swapchain was (re)built, for tests of resizing. */
int presenter_rebuilds(const presenter *p);
#endif
