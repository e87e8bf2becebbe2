/* SPDX-License-Identifier: MIT */
/* tensor.c — tensors: shape bookkeeping, views, and host <-> device copies. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *vka__shape_str(const vka_tensor *t, char *buf, size_t n)
{
    size_t k = 0;
    k += snprintf(buf + k, n - k, "[");
    for (int i = 0; t && i < t->ndim && k < n; i++)
        k += snprintf(buf + k, n - k, i ? ", %lld" : "%lld", (long long)t->shape[i]);
    if (k < n)
        snprintf(buf + k, n - k, "]");
    return buf;
}

const char *vka__tname(const vka_tensor *t)
{
    return t && t->name[0] ? t->name : "(unnamed)";
}

static vka_status check_shape(vka_context *ctx, int ndim, const int64_t *shape, int64_t *numel)
{
    if (ndim < 0 || ndim > VKA_MAX_DIMS)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "tensor rank %d is outside 0..%d", ndim, VKA_MAX_DIMS);
    if (ndim > 0 && !shape)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "tensor shape is NULL");
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return vka__err(ctx, VKA_ERR_SHAPE, "tensor dimension %d is negative (%lld)", i, (long long)shape[i]);
        if (shape[i] && n > INT64_MAX / 16 / shape[i])
            return vka__err(ctx, VKA_ERR_TOO_LARGE, "tensor element count overflows");
        n *= shape[i];
    }
    *numel = n;
    return VKA_OK;
}

vka_tensor *vka_tensor_create(vka_context *ctx, vka_dtype dtype, int ndim, const int64_t *shape)
{
    if (!ctx) {
        vka__set_tls_error("vka_tensor_create: context is NULL");
        return NULL;
    }
    size_t es = vka_dtype_size(dtype);
    if (!es) {
        vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_tensor_create: unknown dtype %d", (int)dtype);
        return NULL;
    }
    int64_t numel;
    if (check_shape(ctx, ndim, shape, &numel))
        return NULL;
    uint64_t bytes = (uint64_t)numel * es;
    if (bytes > ctx->info.max_storage_buffer_range) {
        char sb[128];
        vka_tensor tmp = {.ndim = ndim};
        memcpy(tmp.shape, shape, sizeof(int64_t) * (size_t)ndim);
        vka__err(ctx, VKA_ERR_TOO_LARGE,
                 "tensor %s %s is %.1f MiB, over the device's maxStorageBufferRange of %.1f MiB (%s)",
                 vka__shape_str(&tmp, sb, sizeof sb), vka_dtype_str(dtype), bytes / 1048576.0,
                 ctx->info.max_storage_buffer_range / 1048576.0, ctx->info.name);
        return NULL;
    }
    vka_tensor *t = calloc(1, sizeof *t);
    if (!t) {
        vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
        return NULL;
    }
    t->ctx = ctx;
    t->dtype = dtype;
    t->ndim = ndim;
    if (ndim)
        memcpy(t->shape, shape, sizeof(int64_t) * (size_t)ndim);
    t->numel = numel;
    t->bytes = (size_t)bytes;
    if (vka__mem_alloc(ctx, bytes, &t->alloc)) {
        free(t);
        return NULL;
    }
    return t;
}

vka_tensor *vka_tensor_view(vka_tensor *parent, int64_t offset, int ndim, const int64_t *shape)
{
    if (!parent) {
        vka__set_tls_error("vka_tensor_view: parent is NULL");
        return NULL;
    }
    vka_context *ctx = parent->ctx;
    int64_t numel;
    if (check_shape(ctx, ndim, shape, &numel))
        return NULL;
    if (offset < 0 || offset + numel > parent->numel) {
        char sb[128];
        vka__err(ctx, VKA_ERR_SHAPE, "view of %lld elements at offset %lld lies outside tensor %s %s",
                 (long long)numel, (long long)offset, vka__tname(parent), vka__shape_str(parent, sb, sizeof sb));
        return NULL;
    }
    size_t es = vka_dtype_size(parent->dtype);
    return vka__tensor_view_typed(parent, parent->dtype, (size_t)offset * es, ndim, shape);
}

void vka_tensor_destroy(vka_tensor *t)
{
    if (!t)
        return;
    if (!t->is_view)
        vka__mem_free(t->ctx, &t->alloc);
    free(t);
}

vka_dtype vka_tensor_dtype(const vka_tensor *t) { return t->dtype; }
int vka_tensor_ndim(const vka_tensor *t) { return t->ndim; }
const int64_t *vka_tensor_shape(const vka_tensor *t) { return t->shape; }
int64_t vka_tensor_numel(const vka_tensor *t) { return t->numel; }
size_t vka_tensor_bytes(const vka_tensor *t) { return t ? t->bytes : 0; }

vka_status vka_tensor_vulkan(const vka_tensor *t, void **vk_buffer, uint64_t *offset)
{
    if (!t || !vk_buffer || !offset)
        return VKA_ERR_INVALID_ARG;
    *vk_buffer = (void *)t->alloc.block->buf;
    *offset = (uint64_t)(t->alloc.offset + t->byte_offset);
    return VKA_OK;
}

int64_t vka_tensor_dim(const vka_tensor *t, int axis)
{
    if (axis < 0)
        axis += t->ndim;
    return axis >= 0 && axis < t->ndim ? t->shape[axis] : 0;
}

void vka_tensor_set_name(vka_tensor *t, const char *name)
{
    if (t)
        snprintf(t->name, sizeof t->name, "%s", name ? name : "");
}

const char *vka_tensor_name(const vka_tensor *t) { return t ? t->name : ""; }

uint32_t vka__off(const vka_tensor *t)
{
    if (!t)
        return 0;
    VkDeviceSize a = t->ctx->props.limits.minStorageBufferOffsetAlignment;
    VkDeviceSize off = t->alloc.offset + t->byte_offset;
    return (uint32_t)((off % a) / vka_dtype_size(t->dtype));
}

/* ---------------------------------------------------------------- copies */

static vka_status ensure_staging(vka_context *ctx, VkDeviceSize size)
{
    if (ctx->staging_size >= size)
        return VKA_OK;
    if (ctx->staging_buf) {
        ctx->vk.vkDestroyBuffer(ctx->device, ctx->staging_buf, NULL);
        ctx->vk.vkFreeMemory(ctx->device, ctx->staging_mem, NULL);
        ctx->staging_buf = VK_NULL_HANDLE;
        ctx->staging_mem = VK_NULL_HANDLE;
        ctx->staging_size = 0;
    }
    VkBufferCreateInfo bci = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = size,
        .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
    };
    VKA_VK(ctx, ctx->vk.vkCreateBuffer(ctx->device, &bci, NULL, &ctx->staging_buf));
    VkMemoryRequirements req;
    ctx->vk.vkGetBufferMemoryRequirements(ctx->device, ctx->staging_buf, &req);
    VkMemoryAllocateInfo mai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = req.size,
        .memoryTypeIndex = ctx->staging_type,
    };
    VKA_VK(ctx, ctx->vk.vkAllocateMemory(ctx->device, &mai, NULL, &ctx->staging_mem));
    VKA_VK(ctx, ctx->vk.vkBindBufferMemory(ctx->device, ctx->staging_buf, ctx->staging_mem, 0));
    VKA_VK(ctx, ctx->vk.vkMapMemory(ctx->device, ctx->staging_mem, 0, VK_WHOLE_SIZE, 0, &ctx->staging_map));
    ctx->staging_size = size;
    return VKA_OK;
}

/* One-shot copy between the staging buffer and a tensor, waited on. */
static vka_status staged_copy(vka_context *ctx, const vka_tensor *t, bool to_device)
{
    if (ctx->xfer_pending) { /* an earlier copy that timed out: it must end before the fence is reused */
        vka_status s = vka__fence_wait(ctx, ctx->xfer_fence, -1, "an earlier staged copy");
        if (s)
            return s;
        ctx->vk.vkResetFences(ctx->device, 1, &ctx->xfer_fence);
        ctx->vk.vkFreeCommandBuffers(ctx->device, ctx->pool, 1, &ctx->xfer_pending);
        ctx->xfer_pending = VK_NULL_HANDLE;
    }
    VkCommandBufferAllocateInfo ai = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = ctx->pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
    };
    VkCommandBuffer cb;
    VKA_VK(ctx, ctx->vk.vkAllocateCommandBuffers(ctx->device, &ai, &cb));
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    vka_status s = VKA_OK;
    VkResult r = ctx->vk.vkBeginCommandBuffer(cb, &bi);
    if (r == VK_SUCCESS) {
        VkBufferCopy reg = {.size = t->bytes};
        VkDeviceSize toff = t->alloc.offset + t->byte_offset;
        if (to_device) {
            reg.dstOffset = toff;
            ctx->vk.vkCmdCopyBuffer(cb, ctx->staging_buf, t->alloc.block->buf, 1, &reg);
        } else {
            reg.srcOffset = toff;
            ctx->vk.vkCmdCopyBuffer(cb, t->alloc.block->buf, ctx->staging_buf, 1, &reg);
        }
        /* transfer write -> host read of the staging buffer on download */
        VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                              .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                              .dstAccessMask = VK_ACCESS_HOST_READ_BIT | VK_ACCESS_SHADER_READ_BIT};
        ctx->vk.vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
                                     VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, 0, 1, &mb,
                                     0, NULL, 0, NULL);
        r = ctx->vk.vkEndCommandBuffer(cb);
    }
    if (r == VK_SUCCESS) {
        VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cb};
        r = vka__queue_submit(ctx, 1, &si, ctx->xfer_fence);
    }
    if (r != VK_SUCCESS) {
        s = vka__err(ctx, r == VK_ERROR_DEVICE_LOST ? VKA_ERR_DEVICE_LOST : VKA_ERR_VULKAN,
                     "staged %s of tensor %s failed: %s", to_device ? "upload" : "download", vka__tname(t),
                     vka__vkresult_str(r));
        ctx->vk.vkFreeCommandBuffers(ctx->device, ctx->pool, 1, &cb);
        return s;
    }
    char what[160];
    snprintf(what, sizeof what, "staged %s of tensor %s", to_device ? "upload" : "download", vka__tname(t));
    if ((s = vka__fence_wait(ctx, ctx->xfer_fence, -1, what))) {
        ctx->xfer_pending = cb; /* it may still be running: freed once it has ended */
        return s;
    }
    ctx->vk.vkResetFences(ctx->device, 1, &ctx->xfer_fence);
    ctx->vk.vkFreeCommandBuffers(ctx->device, ctx->pool, 1, &cb);
    return s;
}

static vka_status check_copy(const vka_tensor *t, const void *data, size_t bytes, const char *what)
{
    if (!t) {
        vka__set_tls_error("%s: tensor is NULL", what);
        return VKA_ERR_INVALID_ARG;
    }
    if (!data && bytes)
        return vka__err(t->ctx, VKA_ERR_INVALID_ARG, "%s: data is NULL", what);
    if (bytes != t->bytes)
        return vka__err(t->ctx, VKA_ERR_SHAPE, "%s of tensor %s: %zu bytes given, the tensor has %zu", what,
                        vka__tname(t), bytes, t->bytes);
    return VKA_OK;
}

/* Flushes or invalidates a mapped range of non-coherent memory, widened to nonCoherentAtomSize. */
static vka_status sync_range(vka_context *ctx, VkDeviceMemory mem, VkDeviceSize off, VkDeviceSize size,
                             VkDeviceSize total, bool flush)
{
    VkDeviceSize atom = ctx->props.limits.nonCoherentAtomSize;
    VkDeviceSize lo = off / atom * atom;
    VkDeviceSize hi = (off + size + atom - 1) / atom * atom;
    VkMappedMemoryRange r = {.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE, .memory = mem, .offset = lo,
                             .size = hi > total ? VK_WHOLE_SIZE : hi - lo};
    if (flush)
        VKA_VK(ctx, ctx->vk.vkFlushMappedMemoryRanges(ctx->device, 1, &r));
    else
        VKA_VK(ctx, ctx->vk.vkInvalidateMappedMemoryRanges(ctx->device, 1, &r));
    return VKA_OK;
}

vka_status vka_tensor_upload(vka_tensor *t, const void *data, size_t bytes)
{
    vka_status s = check_copy(t, data, bytes, "vka_tensor_upload");
    if (s || !bytes)
        return s;
    vka_context *ctx = t->ctx;
    VkDeviceSize off = t->alloc.offset + t->byte_offset;
    if (t->alloc.block->mapped) {
        memcpy((char *)t->alloc.block->mapped + off, data, bytes);
        return ctx->mem_coherent ? VKA_OK : sync_range(ctx, t->alloc.block->mem, off, bytes, t->alloc.block->size, true);
    }
    if ((s = ensure_staging(ctx, bytes)))
        return s;
    memcpy(ctx->staging_map, data, bytes);
    if (!ctx->staging_coherent && (s = sync_range(ctx, ctx->staging_mem, 0, bytes, ctx->staging_size, true)))
        return s;
    return staged_copy(ctx, t, true);
}

vka_status vka_tensor_download(const vka_tensor *t, void *data, size_t bytes)
{
    vka_status s = check_copy(t, data, bytes, "vka_tensor_download");
    if (s || !bytes)
        return s;
    vka_context *ctx = t->ctx;
    VkDeviceSize off = t->alloc.offset + t->byte_offset;
    if (t->alloc.block->mapped) {
        if (!ctx->mem_coherent && (s = sync_range(ctx, t->alloc.block->mem, off, bytes, t->alloc.block->size, false)))
            return s;
        memcpy(data, (char *)t->alloc.block->mapped + off, bytes);
        return VKA_OK;
    }
    if ((s = ensure_staging(ctx, bytes)) || (s = staged_copy(ctx, t, false)))
        return s;
    if (!ctx->staging_coherent && (s = sync_range(ctx, ctx->staging_mem, 0, bytes, ctx->staging_size, false)))
        return s;
    memcpy(data, ctx->staging_map, bytes);
    return VKA_OK;
}

vka_tensor *vka__tensor_view_typed(vka_tensor *parent, vka_dtype dtype, size_t byte_offset, int ndim,
                                   const int64_t *shape)
{
    vka_context *ctx = parent->ctx;
    int64_t numel;
    if (check_shape(ctx, ndim, shape, &numel))
        return NULL;
    size_t bytes = (size_t)numel * vka_dtype_size(dtype);
    if (byte_offset + bytes > parent->bytes || byte_offset % vka_dtype_size(dtype)) {
        vka__err(ctx, VKA_ERR_SHAPE, "typed view of %zu bytes at %zu outside a %zu-byte buffer", bytes, byte_offset,
                 parent->bytes);
        return NULL;
    }
    vka_tensor *t = calloc(1, sizeof *t);
    if (!t) {
        vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
        return NULL;
    }
    *t = *parent;
    t->dtype = dtype;
    t->ndim = ndim;
    memset(t->shape, 0, sizeof t->shape);
    if (ndim)
        memcpy(t->shape, shape, sizeof(int64_t) * (size_t)ndim);
    t->numel = numel;
    t->bytes = bytes;
    t->byte_offset = parent->byte_offset + byte_offset;
    t->is_view = true;
    return t;
}

uint16_t vka__f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, e = (x >> 23) & 0xffu, m = x & 0x7fffffu;
    if (e == 0xff)
        return (uint16_t)(sign | 0x7c00u | (m ? 0x200u : 0));
    int32_t ne = (int32_t)e - 127 + 15;
    if (ne >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (ne <= 0) { /* subnormal */
        if (ne < -10)
            return (uint16_t)sign;
        m |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - ne), hm = m >> shift;
        uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (hm & 1)))
            hm++;
        return (uint16_t)(sign | hm);
    }
    uint32_t hm = m >> 13, rem = m & 0x1fffu, h = sign | ((uint32_t)ne << 10) | hm;
    if (rem > 0x1000u || (rem == 0x1000u && (hm & 1)))
        h++; /* a carry into the exponent is the right rounding (up to inf) */
    return (uint16_t)h;
}

float vka__f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, x;
    if (e == 0) {
        if (m == 0) {
            x = sign;
        } else {
            e = 127 - 15 + 1;
            while (!(m & 0x400u)) {
                m <<= 1;
                e--;
            }
            x = sign | (e << 23) | ((m & 0x3ffu) << 13);
        }
    } else if (e == 31) {
        x = sign | 0x7f800000u | (m << 13);
    } else {
        x = sign | ((e - 15 + 127) << 23) | (m << 13);
    }
    float f;
    memcpy(&f, &x, 4);
    return f;
}

vka_status vka__download_f32(const vka_tensor *t, float *out, int64_t n)
{
    if (t->dtype != VKA_F16)
        return vka_tensor_download(t, out, (size_t)n * 4);
    uint16_t *h = malloc(sizeof *h * (size_t)(n ? n : 1));
    if (!h)
        return vka__err(t->ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
    vka_status s = vka_tensor_download(t, h, (size_t)n * 2);
    for (int64_t i = 0; !s && i < n; i++)
        out[i] = vka__f16_to_f32(h[i]);
    free(h);
    return s;
}
