/* SPDX-License-Identifier: MIT */
/* memory.c — device memory in large blocks, each one VkBuffer, sub-allocated
 * first-fit with coalescing. Tensors are (block, offset, size) ranges of it. */
#include <stdlib.h>

#include "internal.h"

typedef struct vka__span {
    VkDeviceSize off, size;
    struct vka__span *next;
} vka__span;

static VkDeviceSize align_up(VkDeviceSize v, VkDeviceSize a) { return (v + a - 1) / a * a; }

static vka_status block_create(vka_context *ctx, VkDeviceSize size, vka__block **out)
{
    vka__block *b = calloc(1, sizeof *b);
    vka__span *sp = calloc(1, sizeof *sp);
    if (!b || !sp) {
        free(b), free(sp);
        return vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    VkBufferCreateInfo bci = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = size,
        /* storage texel: VKA__TEXEL bindings */
        .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_STORAGE_TEXEL_BUFFER_BIT |
                 VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                 VK_BUFFER_USAGE_TRANSFER_DST_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };
    VkResult r = ctx->vk.vkCreateBuffer(ctx->device, &bci, NULL, &b->buf);
    if (r != VK_SUCCESS)
        goto fail;
    VkMemoryRequirements req;
    ctx->vk.vkGetBufferMemoryRequirements(ctx->device, b->buf, &req);
    if (!(req.memoryTypeBits & (1u << ctx->mem_type))) {
        r = VK_ERROR_FEATURE_NOT_PRESENT;
        goto fail;
    }
    VkMemoryAllocateInfo mai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = req.size,
        .memoryTypeIndex = ctx->mem_type,
    };
    r = ctx->vk.vkAllocateMemory(ctx->device, &mai, NULL, &b->mem);
    if (r != VK_SUCCESS)
        goto fail;
    r = ctx->vk.vkBindBufferMemory(ctx->device, b->buf, b->mem, 0);
    if (r != VK_SUCCESS)
        goto fail;
    if (ctx->mem_host_visible) {
        r = ctx->vk.vkMapMemory(ctx->device, b->mem, 0, VK_WHOLE_SIZE, 0, &b->mapped);
        if (r != VK_SUCCESS)
            goto fail;
    }
    b->size = size;
    sp->off = 0;
    sp->size = size;
    b->free = sp;
    b->next = ctx->blocks;
    ctx->blocks = b;
    ctx->mem_used += size;
    *out = b;
    return VKA_OK;
fail:
    if (b->mem)
        ctx->vk.vkFreeMemory(ctx->device, b->mem, NULL);
    if (b->buf)
        ctx->vk.vkDestroyBuffer(ctx->device, b->buf, NULL);
    free(b), free(sp);
    if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY)
        return vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "out of device memory allocating a %.1f MiB block (%s)",
                        size / 1048576.0, vka__vkresult_str(r));
    return vka__err(ctx, VKA_ERR_VULKAN, "allocating a %.1f MiB block failed: %s", size / 1048576.0,
                    vka__vkresult_str(r));
}

static bool block_take(vka__block *b, VkDeviceSize size, vka__alloc *out)
{
    for (vka__span **pp = &b->free; *pp; pp = &(*pp)->next) {
        vka__span *s = *pp;
        if (s->size < size)
            continue;
        out->block = b;
        out->offset = s->off;
        out->size = size;
        s->off += size;
        s->size -= size;
        if (s->size == 0) {
            *pp = s->next;
            free(s);
        }
        return true;
    }
    return false;
}

vka_status vka__mem_alloc(vka_context *ctx, VkDeviceSize size, vka__alloc *out)
{
    size = align_up(size ? size : 1, VKA_ALLOC_ALIGN);
    for (vka__block *b = ctx->blocks; b; b = b->next)
        if (block_take(b, size, out))
            return VKA_OK;
    vka__block *b = NULL;
    vka_status s = block_create(ctx, size > VKA_BLOCK_BYTES ? size : VKA_BLOCK_BYTES, &b);
    if (s)
        return s;
    block_take(b, size, out);
    return VKA_OK;
}

static bool block_empty(const vka__block *b) { return b->free && b->free->off == 0 && b->free->size == b->size; }

static void block_destroy(vka_context *ctx, vka__block *b)
{
    for (vka__span *s = b->free, *ns; s; s = ns) {
        ns = s->next;
        free(s);
    }
    if (b->mapped)
        ctx->vk.vkUnmapMemory(ctx->device, b->mem);
    ctx->vk.vkDestroyBuffer(ctx->device, b->buf, NULL);
    ctx->vk.vkFreeMemory(ctx->device, b->mem, NULL);
    ctx->mem_used -= b->size;
    free(b);
}

/* A block no tensor uses any more goes back to the driver, except one empty
 * block of the default size, kept for the next allocation (a loop creating and
 * destroying a small tensor does not allocate and map 64 MiB each time). So a
 * context that built a large graph and destroyed it holds at most that block
 * besides what is still in use (the fuzzer's single context grew to 2.5 GiB
 * of empty blocks over a thousand builds of different models). */
static void block_release_if_empty(vka_context *ctx, vka__block *b)
{
    if (!block_empty(b))
        return;
    if (b->size == VKA_BLOCK_BYTES) {
        bool other = false; /* is another empty default block kept already? */
        for (vka__block *o = ctx->blocks; o && !other; o = o->next)
            other = o != b && o->size == VKA_BLOCK_BYTES && block_empty(o);
        if (!other)
            return;
    }
    for (vka__block **pp = &ctx->blocks; *pp; pp = &(*pp)->next)
        if (*pp == b) {
            *pp = b->next;
            break;
        }
    block_destroy(ctx, b);
}

void vka__mem_free(vka_context *ctx, vka__alloc *a)
{
    vka__block *b = a->block;
    if (!b)
        return;
    vka__span *n = malloc(sizeof *n);
    if (!n)
        return; /* leaks the range until the context goes; never corrupts */
    n->off = a->offset;
    n->size = a->size;
    vka__span **pp = &b->free;
    while (*pp && (*pp)->off < n->off)
        pp = &(*pp)->next;
    n->next = *pp;
    *pp = n;
    /* coalesce with the next span, then with the previous one */
    if (n->next && n->off + n->size == n->next->off) {
        vka__span *x = n->next;
        n->size += x->size;
        n->next = x->next;
        free(x);
    }
    for (vka__span *p = b->free; p && p->next; p = p->next)
        if (p->next == n && p->off + p->size == n->off) {
            p->size += n->size;
            p->next = n->next;
            free(n);
            break;
        }
    a->block = NULL;
    block_release_if_empty(ctx, b);
}

void vka__mem_destroy_all(vka_context *ctx)
{
    for (vka__block *b = ctx->blocks, *nb; b; b = nb) {
        nb = b->next;
        block_destroy(ctx, b);
    }
    ctx->blocks = NULL;
    ctx->mem_used = 0;
}
