/* SPDX-License-Identifier: MIT */
/* status.c — status strings, the last-error message and the log callback. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static _Thread_local char tls_err[1024];

const char *vka_status_str(vka_status s)
{
    switch (s) {
    case VKA_OK: return "ok";
    case VKA_ERR_INVALID_ARG: return "invalid argument";
    case VKA_ERR_SHAPE: return "shape mismatch";
    case VKA_ERR_TOO_LARGE: return "over a device limit";
    case VKA_ERR_OUT_OF_MEMORY: return "out of memory";
    case VKA_ERR_VULKAN: return "Vulkan error";
    case VKA_ERR_UNSUPPORTED: return "unsupported";
    case VKA_ERR_NOT_FOUND: return "not found";
    case VKA_ERR_IO: return "I/O error";
    case VKA_ERR_FORMAT: return "malformed file";
    case VKA_ERR_STATE: return "call out of order";
    case VKA_ERR_DEVICE_LOST: return "device lost";
    case VKA_ERR_TIMEOUT: return "timed out";
    case VKA_NOT_READY: return "not ready";
    }
    return "unknown status";
}

const char *vka_last_error(void) { return tls_err; }

void vka__set_tls_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tls_err, sizeof tls_err, fmt, ap);
    va_end(ap);
}

static void vlog(vka_context *ctx, int level, const char *fmt, va_list ap)
{
    if (!ctx || !ctx->log || level > ctx->log_level)
        return;
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    ctx->log(ctx->log_user, level, msg);
}

void vka__log(vka_context *ctx, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(ctx, level, fmt, ap);
    va_end(ap);
}

vka_status vka__err(vka_context *ctx, vka_status s, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ctx) {
        snprintf(ctx->err, sizeof ctx->err, "%s", msg);
        vka__log(ctx, VKA_LOG_ERROR, "%s", msg);
    }
    snprintf(tls_err, sizeof tls_err, "%s", msg);
    return s;
}

const char *vka_context_last_error(const vka_context *ctx)
{
    return ctx ? ctx->err : "no context";
}

const char *vka__vkresult_str(VkResult r)
{
    switch (r) {
#define C(x) case x: return #x;
        C(VK_SUCCESS) C(VK_NOT_READY) C(VK_TIMEOUT) C(VK_EVENT_SET) C(VK_EVENT_RESET)
        C(VK_INCOMPLETE) C(VK_ERROR_OUT_OF_HOST_MEMORY) C(VK_ERROR_OUT_OF_DEVICE_MEMORY)
        C(VK_ERROR_INITIALIZATION_FAILED) C(VK_ERROR_DEVICE_LOST) C(VK_ERROR_MEMORY_MAP_FAILED)
        C(VK_ERROR_LAYER_NOT_PRESENT) C(VK_ERROR_EXTENSION_NOT_PRESENT)
        C(VK_ERROR_FEATURE_NOT_PRESENT) C(VK_ERROR_INCOMPATIBLE_DRIVER)
        C(VK_ERROR_TOO_MANY_OBJECTS) C(VK_ERROR_FORMAT_NOT_SUPPORTED)
        C(VK_ERROR_FRAGMENTED_POOL) C(VK_ERROR_UNKNOWN) C(VK_ERROR_OUT_OF_POOL_MEMORY)
        C(VK_ERROR_INVALID_EXTERNAL_HANDLE) C(VK_ERROR_FRAGMENTATION)
        C(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS) C(VK_PIPELINE_COMPILE_REQUIRED)
        C(VK_ERROR_SURFACE_LOST_KHR) C(VK_ERROR_NATIVE_WINDOW_IN_USE_KHR)
        C(VK_SUBOPTIMAL_KHR) C(VK_ERROR_OUT_OF_DATE_KHR) C(VK_ERROR_VALIDATION_FAILED_EXT)
#undef C
    default: return "VkResult(unknown)";
    }
}

size_t vka_dtype_size(vka_dtype t)
{
    switch (t) {
    case VKA_F32: return 4;
    case VKA_F16: return 2;
    case VKA_I32: return 4;
    case VKA_U8: return 1;
    }
    return 0;
}

const char *vka_dtype_str(vka_dtype t)
{
    switch (t) {
    case VKA_F32: return "f32";
    case VKA_F16: return "f16";
    case VKA_I32: return "i32";
    case VKA_U8: return "u8";
    }
    return "?";
}
