/* SPDX-License-Identifier: MIT */
/* queue.c — what touches the queue and waits on it: submissions under the
 * application's queue lock, and fence waits bounded by the context's timeout
 * (a hung device returns an error instead of hanging the host). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

double vka__now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

VkResult vka__queue_submit(vka_context *ctx, uint32_t n, const VkSubmitInfo *si, VkFence fence)
{
    if (ctx->queue_lock)
        ctx->queue_lock(ctx->queue_lock_user, 1);
    VkResult r = ctx->vk.vkQueueSubmit(ctx->queue, n, si, fence);
    if (ctx->queue_lock)
        ctx->queue_lock(ctx->queue_lock_user, 0);
    return r;
}

vka_status vka__fence_wait(vka_context *ctx, VkFence fence, int64_t timeout_ns, const char *what)
{
    bool own_timeout = timeout_ns < 0;
    uint64_t t = own_timeout ? (ctx->timeout_ns < 0 ? UINT64_MAX : (uint64_t)ctx->timeout_ns) : (uint64_t)timeout_ns;
    VkResult r = ctx->vk.vkWaitForFences(ctx->device, 1, &fence, VK_TRUE, t);
    if (r == VK_SUCCESS)
        return VKA_OK;
    if (r == VK_TIMEOUT && !own_timeout)
        return VKA_NOT_READY;
    if (r == VK_TIMEOUT)
        return vka__err(ctx, VKA_ERR_TIMEOUT,
                        "%s: the device did not finish within %.3f s (vka_context_params.timeout_ms, "
                        "VKATTN_TIMEOUT_MS); it may be hung or the work too long for the timeout",
                        what, (double)ctx->timeout_ns * 1e-9);
    return vka__err(ctx, r == VK_ERROR_DEVICE_LOST ? VKA_ERR_DEVICE_LOST : VKA_ERR_VULKAN,
                    "%s: vkWaitForFences failed: %s", what, vka__vkresult_str(r));
}
