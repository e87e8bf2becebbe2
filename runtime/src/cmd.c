/* SPDX-License-Identifier: MIT */
/* cmd.c — recording dispatches once, barriers from tracked hazards, replay and
 * per-dispatch GPU timestamps. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "op_shape.h"

#define SETS_PER_POOL 256
#define MAX_TIMESTAMPS 8192

enum { IDLE = 0, RECORDING = 1, ENDED = 2 };

static vka_cmd *cmd_create(vka_context *ctx, bool secondary)
{
    if (!ctx) {
        vka__set_tls_error("vka_cmd_create: context is NULL");
        return NULL;
    }
    vka_cmd *cmd = calloc(1, sizeof *cmd);
    if (!cmd) {
        vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
        return NULL;
    }
    cmd->ctx = ctx;
    cmd->secondary = secondary;
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                   .queueFamilyIndex = ctx->queue_family};
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .level = secondary ? VK_COMMAND_BUFFER_LEVEL_SECONDARY
                                                         : VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkResult r = ctx->vk.vkCreateCommandPool(ctx->device, &pci, NULL, &cmd->pool);
    if (r == VK_SUCCESS) {
        ai.commandPool = cmd->pool;
        r = ctx->vk.vkAllocateCommandBuffers(ctx->device, &ai, &cmd->cb);
    }
    if (r == VK_SUCCESS && !secondary)
        r = ctx->vk.vkCreateFence(ctx->device, &fci, NULL, &cmd->fence);
    if (r != VK_SUCCESS) {
        vka__err(ctx, VKA_ERR_VULKAN, "vka_cmd_create: %s", vka__vkresult_str(r));
        vka_cmd_destroy(cmd);
        return NULL;
    }
    return cmd;
}

vka_cmd *vka_cmd_create(vka_context *ctx) { return cmd_create(ctx, false); }
vka_cmd *vka__cmd_create_secondary(vka_context *ctx) { return cmd_create(ctx, true); }

static void views_destroy(vka_cmd *cmd)
{
    for (int i = 0; i < cmd->nviews; i++)
        cmd->ctx->vk.vkDestroyBufferView(cmd->ctx->device, cmd->views[i], NULL);
    cmd->nviews = 0;
}

void vka_cmd_destroy(vka_cmd *cmd)
{
    if (!cmd)
        return;
    vka_context *ctx = cmd->ctx;
    /* a run still going would use what is freed below: let it finish (a hung
     * device: give up after the context's timeout; nothing better is left) */
    if (cmd->inflight && vka_cmd_wait(cmd, -1) != VKA_OK)
        vka__log(ctx, VKA_LOG_ERROR, "vka_cmd_destroy: %s", ctx->err);
    for (int i = 0; i < cmd->ndpools; i++)
        ctx->vk.vkDestroyDescriptorPool(ctx->device, cmd->dpools[i], NULL);
    views_destroy(cmd);
    free(cmd->views);
    if (cmd->qpool)
        ctx->vk.vkDestroyQueryPool(ctx->device, cmd->qpool, NULL);
    if (cmd->fence)
        ctx->vk.vkDestroyFence(ctx->device, cmd->fence, NULL);
    if (cmd->pool)
        ctx->vk.vkDestroyCommandPool(ctx->device, cmd->pool, NULL);
    free(cmd->dpools);
    free(cmd->pending);
    free(cmd->labels);
    free(cmd->times_ms);
    free(cmd);
}

vka_status vka_cmd_enable_timestamps(vka_cmd *cmd, int enable)
{
    if (!cmd)
        return VKA_ERR_INVALID_ARG;
    if (cmd->state == RECORDING)
        return vka__err(cmd->ctx, VKA_ERR_STATE, "vka_cmd_enable_timestamps: call before vka_cmd_begin");
    if (enable && cmd->secondary)
        return vka__err(cmd->ctx, VKA_ERR_UNSUPPORTED, "vka_cmd_enable_timestamps: not in a secondary command buffer");
    if (enable && !cmd->ctx->props.limits.timestampComputeAndGraphics)
        return vka__err(cmd->ctx, VKA_ERR_UNSUPPORTED, "device \"%s\" has no timestamps on compute queues",
                        cmd->ctx->info.name);
    cmd->timestamps = enable;
    return VKA_OK;
}

static void full_barrier(vka_cmd *cmd, VkPipelineStageFlags src, VkAccessFlags srca, VkPipelineStageFlags dst,
                         VkAccessFlags dsta)
{
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER, .srcAccessMask = srca, .dstAccessMask = dsta};
    cmd->ctx->vk.vkCmdPipelineBarrier(cmd->cb, src, dst, 0, 1, &mb, 0, NULL, 0, NULL);
    cmd->nbarriers++;
}

vka_status vka_cmd_begin(vka_cmd *cmd)
{
    if (!cmd)
        return VKA_ERR_INVALID_ARG;
    vka_context *ctx = cmd->ctx;
    if (cmd->inflight)
        return vka__err(ctx, VKA_ERR_STATE, "vka_cmd_begin: the command is still running (vka_cmd_wait first)");
    VKA_VK(ctx, ctx->vk.vkResetCommandBuffer(cmd->cb, 0));
    for (int i = 0; i < cmd->ndpools; i++)
        VKA_VK(ctx, ctx->vk.vkResetDescriptorPool(ctx->device, cmd->dpools[i], 0));
    cmd->dpool_cur = 0;
    cmd->dpool_used = 0;
    views_destroy(cmd); /* the previous recording, which the reset pools no longer reference */
    cmd->npending = 0;
    cmd->ndispatch = 0;
    cmd->nbarriers = 0;
    cmd->label[0] = 0;
    /* a secondary one is executed by the application's command buffers, outside
     * render passes, possibly by several pending at once */
    VkCommandBufferInheritanceInfo inh = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_INHERITANCE_INFO};
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = cmd->secondary ? VK_COMMAND_BUFFER_USAGE_SIMULTANEOUS_USE_BIT : 0,
                                   .pInheritanceInfo = cmd->secondary ? &inh : NULL};
    VKA_VK(ctx, ctx->vk.vkBeginCommandBuffer(cmd->cb, &bi));
    cmd->state = RECORDING;
    if (cmd->timestamps) {
        if (!cmd->qpool) {
            VkQueryPoolCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                         .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                         .queryCount = MAX_TIMESTAMPS};
            VKA_VK(ctx, ctx->vk.vkCreateQueryPool(ctx->device, &qci, NULL, &cmd->qpool));
            cmd->qcap = MAX_TIMESTAMPS;
        }
        ctx->vk.vkCmdResetQueryPool(cmd->cb, cmd->qpool, 0, (uint32_t)cmd->qcap);
        ctx->vk.vkCmdWriteTimestamp(cmd->cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, cmd->qpool, 0);
    }
    /* The previous replay's shader writes -> this replay's shader reads and writes. */
    full_barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                 VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                 VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
    return VKA_OK;
}

vka_status vka_cmd_end(vka_cmd *cmd)
{
    if (!cmd)
        return VKA_ERR_INVALID_ARG;
    vka_context *ctx = cmd->ctx;
    if (cmd->state != RECORDING)
        return vka__err(ctx, VKA_ERR_STATE, "vka_cmd_end without vka_cmd_begin");
    /* The recording's shader writes -> the host's reads (mapped download) and
     * transfer reads (staged download). */
    full_barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                 VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                 VK_ACCESS_HOST_READ_BIT | VK_ACCESS_TRANSFER_READ_BIT);
    cmd->state = IDLE;
    VKA_VK(ctx, ctx->vk.vkEndCommandBuffer(cmd->cb));
    cmd->state = ENDED;
    return VKA_OK;
}

vka_sync vka_sync_default(void)
{
    vka_sync z = {0};
    return z;
}

/* After the fence: the per-dispatch times of this run. */
static vka_status finished(vka_cmd *cmd)
{
    vka_context *ctx = cmd->ctx;
    cmd->inflight = false;
    VKA_VK(ctx, ctx->vk.vkResetFences(ctx->device, 1, &cmd->fence));
    if (!cmd->timestamps || !cmd->ndispatch)
        return VKA_OK;
    int nq = cmd->ndispatch + 1 < cmd->qcap ? cmd->ndispatch + 1 : cmd->qcap;
    uint64_t *ts = malloc(sizeof *ts * (size_t)nq);
    if (!ts)
        return vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
    VkResult r = ctx->vk.vkGetQueryPoolResults(ctx->device, cmd->qpool, 0, (uint32_t)nq, sizeof *ts * (size_t)nq, ts,
                                               sizeof *ts, VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
    if (r != VK_SUCCESS) {
        free(ts);
        return vka__err(ctx, VKA_ERR_VULKAN, "vkGetQueryPoolResults failed: %s", vka__vkresult_str(r));
    }
    double period = ctx->props.limits.timestampPeriod;
    for (int i = 0; i < cmd->ndispatch; i++)
        cmd->times_ms[i] = i + 1 < nq ? (double)(ts[i + 1] - ts[i]) * period * 1e-6 : -1.0;
    free(ts);
    return VKA_OK;
}

static vka_status check_sync(vka_context *ctx, const vka_sync *y)
{
    if (y->wait_count < 0 || y->wait_count > 64 || y->signal_count < 0 || y->signal_count > 64 ||
        (y->wait_count && !y->wait_semaphores) || (y->signal_count && !y->signal_semaphores))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_sync: %d wait and %d signal semaphores (0..64, with lists)",
                        y->wait_count, y->signal_count);
    return VKA_OK;
}

vka_status vka__cmd_submit_sync(vka_cmd *cmd, const vka_sync *sync, bool waits, bool signals)
{
    vka_context *ctx = cmd->ctx;
    vka_sync none = {0};
    const vka_sync *y = sync ? sync : &none;
    vka_status s = check_sync(ctx, y);
    if (s)
        return s;
    uint32_t nw = waits ? (uint32_t)y->wait_count : 0, ns = signals ? (uint32_t)y->signal_count : 0;
    VkPipelineStageFlags stages[64];
    for (uint32_t i = 0; i < nw; i++)
        stages[i] = y->wait_stages ? y->wait_stages[i] : VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT;
    /* timeline values when given (ignored by the driver for binary semaphores) */
    VkTimelineSemaphoreSubmitInfo tl = {.sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
                                        .waitSemaphoreValueCount = y->wait_values ? nw : 0,
                                        .pWaitSemaphoreValues = y->wait_values,
                                        .signalSemaphoreValueCount = y->signal_values ? ns : 0,
                                        .pSignalSemaphoreValues = y->signal_values};
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .pNext = (nw && y->wait_values) || (ns && y->signal_values) ? &tl : NULL,
                       .waitSemaphoreCount = nw,
                       .pWaitSemaphores = (const VkSemaphore *)y->wait_semaphores,
                       .pWaitDstStageMask = stages,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &cmd->cb,
                       .signalSemaphoreCount = ns,
                       .pSignalSemaphores = (const VkSemaphore *)y->signal_semaphores};
    VkResult r = vka__queue_submit(ctx, 1, &si, cmd->fence);
    if (r != VK_SUCCESS)
        return vka__err(ctx, r == VK_ERROR_DEVICE_LOST ? VKA_ERR_DEVICE_LOST : VKA_ERR_VULKAN,
                        "vkQueueSubmit failed: %s", vka__vkresult_str(r));
    cmd->inflight = true;
    /* the application's fence: signalled once everything submitted so far is done */
    if (signals && y->fence && (r = vka__queue_submit(ctx, 0, NULL, (VkFence)y->fence)) != VK_SUCCESS)
        return vka__err(ctx, r == VK_ERROR_DEVICE_LOST ? VKA_ERR_DEVICE_LOST : VKA_ERR_VULKAN,
                        "vkQueueSubmit (the application's fence) failed: %s", vka__vkresult_str(r));
    return VKA_OK;
}

static vka_status check_submittable(vka_cmd *cmd, const char *what)
{
    if (cmd->secondary)
        return vka__err(cmd->ctx, VKA_ERR_STATE, "%s: a secondary command is executed by the application", what);
    if (cmd->state != ENDED)
        return vka__err(cmd->ctx, VKA_ERR_STATE, "%s: the command is not recorded (call begin ... end first)", what);
    if (cmd->inflight)
        return vka__err(cmd->ctx, VKA_ERR_STATE, "%s: the command is still running (vka_cmd_wait first)", what);
    return VKA_OK;
}

vka_status vka_cmd_submit_async(vka_cmd *cmd, const vka_sync *sync)
{
    if (!cmd)
        return VKA_ERR_INVALID_ARG;
    vka_status s = check_submittable(cmd, "vka_cmd_submit_async");
    return s ? s : vka__cmd_submit_sync(cmd, sync, true, true);
}

vka_status vka_cmd_poll(vka_cmd *cmd)
{
    if (!cmd)
        return VKA_ERR_INVALID_ARG;
    if (!cmd->inflight)
        return VKA_OK;
    vka_context *ctx = cmd->ctx;
    VkResult r = ctx->vk.vkGetFenceStatus(ctx->device, cmd->fence);
    if (r == VK_NOT_READY)
        return VKA_NOT_READY;
    if (r != VK_SUCCESS)
        return vka__err(ctx, r == VK_ERROR_DEVICE_LOST ? VKA_ERR_DEVICE_LOST : VKA_ERR_VULKAN,
                        "vkGetFenceStatus failed: %s", vka__vkresult_str(r));
    return finished(cmd);
}

vka_status vka__cmd_wait_named(vka_cmd *cmd, int64_t timeout_ns, const char *what)
{
    if (!cmd)
        return VKA_ERR_INVALID_ARG;
    if (!cmd->inflight)
        return VKA_OK;
    vka_status s = vka__fence_wait(cmd->ctx, cmd->fence, timeout_ns, what);
    return s ? s : finished(cmd);
}

vka_status vka_cmd_wait(vka_cmd *cmd, int64_t timeout_ns) { return vka__cmd_wait_named(cmd, timeout_ns, "vka_cmd_wait"); }

vka_status vka_cmd_submit(vka_cmd *cmd)
{
    if (!cmd)
        return VKA_ERR_INVALID_ARG;
    vka_status s = check_submittable(cmd, "vka_cmd_submit");
    if (!s)
        s = vka__cmd_submit_sync(cmd, NULL, false, false);
    return s ? s : vka_cmd_wait(cmd, -1);
}

int vka_cmd_dispatch_count(const vka_cmd *cmd) { return cmd ? cmd->ndispatch : 0; }

vka_status vka_cmd_timing(const vka_cmd *cmd, int i, const char **label, double *ms)
{
    if (!cmd || i < 0 || i >= cmd->ndispatch)
        return VKA_ERR_INVALID_ARG;
    if (label)
        *label = cmd->labels[i];
    if (ms)
        *ms = cmd->timestamps && cmd->times_ms ? cmd->times_ms[i] : -1.0;
    return VKA_OK;
}

void vka_cmd_set_label(vka_cmd *cmd, const char *label)
{
    if (cmd)
        snprintf(cmd->label, sizeof cmd->label, "%s", label ? label : "");
}

/* ---------------------------------------------------------------- dispatch */

vka_status vka__check_cmd(vka_cmd *cmd, const char *op)
{
    if (!cmd) {
        vka__set_tls_error("%s: cmd is NULL", op);
        return VKA_ERR_INVALID_ARG;
    }
    if (cmd->state != RECORDING)
        return vka__err(cmd->ctx, VKA_ERR_STATE, "%s: the command is not recording (call vka_cmd_begin)", op);
    return VKA_OK;
}

vka_status vka__check_float(vka_context *ctx, const char *op, const vka_tensor *t, const char *what)
{
    if (!t)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s is NULL", op, what);
    if (t->ctx != ctx)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s belongs to another context", op, what);
    if (t->dtype != VKA_F32 && t->dtype != VKA_F16)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: %s %s is %s; f32 or f16 expected", op, what, vka__tname(t),
                        vka_dtype_str(t->dtype));
    if (t->dtype == VKA_F16 && !ctx->info.fp16_storage)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: device \"%s\" has no 16-bit storage for f16 tensor %s", op,
                        ctx->info.name, vka__tname(t));
    return VKA_OK;
}

vka_status vka__check_float_dims(vka_context *ctx, const char *op, const vka_tensor *t, const char *what, int ndim)
{
    vka_status s = vka__check_float(ctx, op, t, what);
    if (s)
        return s;
    char d[160];
    if (ndim && t->ndim != ndim)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: %s %s %s must have %d axes", op, what, vka__tname(t),
                        vka__shape_str(t, d, sizeof d), ndim);
    if (t->numel > INT32_MAX)
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: %s %s %s has %lld elements; at most 2^31-1", op, what,
                        vka__tname(t), vka__shape_str(t, d, sizeof d), (long long)t->numel);
    return VKA_OK;
}

vka_status vka__check_same_dtype(vka_context *ctx, const char *op, const vka_tensor *a, const vka_tensor *b)
{
    if (a && b && a->dtype != b->dtype)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: tensor %s is %s but %s is %s", op, vka__tname(a),
                        vka_dtype_str(a->dtype), vka__tname(b), vka_dtype_str(b->dtype));
    return VKA_OK;
}

void vka__grid1d(vka_context *ctx, uint64_t groups, uint32_t *gx, uint32_t *gy)
{
    uint64_t maxx = ctx->props.limits.maxComputeWorkGroupCount[0];
    if (groups <= maxx) {
        *gx = (uint32_t)(groups ? groups : 1);
        *gy = 1;
    } else {
        *gx = (uint32_t)maxx;
        *gy = (uint32_t)((groups + maxx - 1) / maxx);
    }
}

vka_status vka__grid_rows(vka_context *ctx, const char *op, uint64_t rows, uint64_t len, uint32_t g[3])
{
    const uint32_t *maxg = ctx->props.limits.maxComputeWorkGroupCount;
    uint64_t blocks = (rows + VKA_ROWS_PER_WG - 1) / VKA_ROWS_PER_WG;
    uint64_t gx = (len + VKA_ROW_WG - 1) / VKA_ROW_WG, gy = blocks < maxg[1] ? blocks : maxg[1];
    uint64_t gz = gy ? (blocks + gy - 1) / gy : 0;
    if (!gx || !gy || gx > maxg[0] || gz > maxg[2] || rows > UINT32_MAX)
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: %llu rows of %llu elements exceed the device's grid", op,
                        (unsigned long long)rows, (unsigned long long)len);
    g[0] = (uint32_t)gx, g[1] = (uint32_t)gy, g[2] = (uint32_t)gz;
    return VKA_OK;
}

bool vka__tile_ok(int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t dh, int64_t dw)
{
    return kh <= 16 && kw <= 16 && sh <= 4 && sw <= 4 && dh <= 4 && dw <= 4;
}

vka_status vka__tile_layout(vka_context *ctx, const char *op, const vka_tensor *y, int64_t kh, int64_t kw,
                            vka__tile *t)
{
    int64_t OH = y->shape[2], OW = y->shape[3];
    t->rows = VKA_TILE_ROWS, t->px = OW > 4 ? 8 : 4;
    while (t->rows > 1 && t->rows * kh * kw > VKA_TILE_TAPS)
        t->rows /= 2;
    uint64_t nlanes = (uint64_t)(OW + t->px - 1) / t->px * (((uint64_t)OH + t->rows - 1) / t->rows) *
                      (uint64_t)(y->shape[0] * y->shape[1]);
    vka__grid1d(ctx, (nlanes + VKA_TILE_WG - 1) / VKA_TILE_WG, &t->gx, &t->gy);
    if (nlanes > UINT32_MAX || t->gy > ctx->props.limits.maxComputeWorkGroupCount[1]) {
        char dy[256];
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: y %s needs more workgroups than the device has", op,
                        vka__tdesc(y, dy, sizeof dy));
    }
    return VKA_OK;
}

uint32_t vka__x_rows_texel4(const vka_context *ctx, const vka_tensor *x, int64_t pad_left, uint32_t *ph)
{
    uint32_t xv = x->shape[3] % 4 == 0 && vka__off(x) % 4 == 0 && vka__texel_ok(ctx, x);
    *ph = xv ? (uint32_t)(-pad_left) & 3u : 0;
    return xv;
}

int vka__rows_x_texel(const vka_context *ctx, const vka_tensor *x, const char *env)
{
    const char *v = getenv(env);
    return x->numel && !(v && v[0] == '0') && vka__texel1_ok(ctx, x) ? VKA__TEXEL1 : 0;
}

static vka_status alloc_set(vka_cmd *cmd, VkDescriptorSetLayout dsl, VkDescriptorSet *out)
{
    vka_context *ctx = cmd->ctx;
    if (cmd->dpool_used >= SETS_PER_POOL) {
        cmd->dpool_cur++;
        cmd->dpool_used = 0;
    }
    if (cmd->dpool_cur >= cmd->ndpools) {
        VkDescriptorPoolSize ps[2] = {{.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                       .descriptorCount = SETS_PER_POOL * VKA_MAX_BINDINGS},
                                      {.type = VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER,
                                       .descriptorCount = SETS_PER_POOL * 3}}; /* VKA__TEXEL bindings */
        VkDescriptorPoolCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                         .maxSets = SETS_PER_POOL,
                                         .poolSizeCount = 2,
                                         .pPoolSizes = ps};
        VkDescriptorPool *np = realloc(cmd->dpools, sizeof *np * (size_t)(cmd->ndpools + 1));
        if (!np)
            return vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
        cmd->dpools = np;
        VKA_VK(ctx, ctx->vk.vkCreateDescriptorPool(ctx->device, &ci, NULL, &cmd->dpools[cmd->ndpools]));
        cmd->ndpools++;
        cmd->dpool_cur = cmd->ndpools - 1;
        cmd->dpool_used = 0;
    }
    VkDescriptorSetAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                      .descriptorPool = cmd->dpools[cmd->dpool_cur],
                                      .descriptorSetCount = 1,
                                      .pSetLayouts = &dsl};
    VKA_VK(ctx, ctx->vk.vkAllocateDescriptorSets(ctx->device, &ai, out));
    cmd->dpool_used++;
    return VKA_OK;
}

static vka_status pending_add(vka_cmd *cmd, VkBuffer buf, VkDeviceSize lo, VkDeviceSize hi, bool write)
{
    if (cmd->npending == cmd->cap_pending) {
        int cap = cmd->cap_pending ? cmd->cap_pending * 2 : 64;
        vka__access *np = realloc(cmd->pending, sizeof *np * (size_t)cap);
        if (!np)
            return vka__err(cmd->ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
        cmd->pending = np;
        cmd->cap_pending = cap;
    }
    cmd->pending[cmd->npending++] = (vka__access){buf, lo, hi, write};
    return VKA_OK;
}

static vka_status label_push(vka_cmd *cmd, const char *shader)
{
    if (cmd->ndispatch == cmd->cap_labels) {
        int cap = cmd->cap_labels ? cmd->cap_labels * 2 : 64;
        char(*nl)[64] = realloc(cmd->labels, sizeof *nl * (size_t)cap);
        if (!nl)
            return vka__err(cmd->ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
        cmd->labels = nl;
        double *nt = realloc(cmd->times_ms, sizeof *nt * (size_t)cap);
        if (!nt)
            return vka__err(cmd->ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
        cmd->times_ms = nt;
        cmd->cap_labels = cap;
    }
    if (cmd->label[0])
        snprintf(cmd->labels[cmd->ndispatch], 64, "%.31s:%.31s", cmd->label, shader);
    else
        snprintf(cmd->labels[cmd->ndispatch], 64, "%s", shader);
    cmd->times_ms[cmd->ndispatch] = -1.0;
    return VKA_OK;
}

int vka__texel_ok(const vka_context *ctx, const vka_tensor *t)
{
    /* the view starts at the storage descriptor's offset (see vka__dispatch) */
    const VkPhysicalDeviceLimits *lim = &ctx->props.limits;
    VkDeviceSize off = t->alloc.offset + t->byte_offset;
    VkDeviceSize lo = off / lim->minStorageBufferOffsetAlignment * lim->minStorageBufferOffsetAlignment;
    return lo % lim->minTexelBufferOffsetAlignment == 0 &&
           (off - lo + t->bytes) / (4 * vka_dtype_size(t->dtype)) <= lim->maxTexelBufferElements;
}

static VkFormat texel_format(vka_dtype dt, int comps)
{
    if (comps == 1)
        return dt == VKA_F16 ? VK_FORMAT_R16_SFLOAT : VK_FORMAT_R32_SFLOAT;
    return dt == VKA_F16 ? VK_FORMAT_R16G16B16A16_SFLOAT : VK_FORMAT_R32G32B32A32_SFLOAT;
}

int vka__texel1_ok(const vka_context *ctx, const vka_tensor *t)
{
    const VkPhysicalDeviceLimits *lim = &ctx->props.limits;
    VkDeviceSize off = t->alloc.offset + t->byte_offset;
    VkDeviceSize lo = off / lim->minStorageBufferOffsetAlignment * lim->minStorageBufferOffsetAlignment;
    if (lo % lim->minTexelBufferOffsetAlignment || (off - lo + t->bytes) / vka_dtype_size(t->dtype) > lim->maxTexelBufferElements)
        return 0;
    VkFormatProperties fp;
    ctx->vi.vkGetPhysicalDeviceFormatProperties(ctx->phys, texel_format(t->dtype, 1), &fp);
    return (fp.bufferFeatures & VK_FORMAT_FEATURE_STORAGE_TEXEL_BUFFER_BIT) != 0;
}

/* A view of 4-vectors (comps 4) or scalars (comps 1) of t's dtype from byte lo
 * (the storage descriptor's offset, so that shaders index both alike), kept
 * until the next recording. */
static vka_status texel_view(vka_cmd *cmd, const vka_tensor *t, VkDeviceSize lo, VkDeviceSize range, int comps,
                             VkBufferView *out)
{
    vka_context *ctx = cmd->ctx;
    VkDeviceSize texel = (VkDeviceSize)comps * vka_dtype_size(t->dtype);
    VkDeviceSize n = range / texel;
    if (lo % ctx->props.limits.minTexelBufferOffsetAlignment || n == 0 || n > ctx->props.limits.maxTexelBufferElements)
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "tensor %s cannot be a texel buffer (offset %llu, %llu texels)",
                        vka__tname(t), (unsigned long long)lo, (unsigned long long)n);
    if (cmd->nviews == cmd->cap_views) {
        int cap = cmd->cap_views ? cmd->cap_views * 2 : 16;
        VkBufferView *nv = realloc(cmd->views, sizeof *nv * (size_t)cap);
        if (!nv)
            return vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
        cmd->views = nv;
        cmd->cap_views = cap;
    }
    VkBufferViewCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO,
                                 .buffer = t->alloc.block->buf,
                                 .format = texel_format(t->dtype, comps),
                                 .offset = lo,
                                 .range = n * texel};
    VKA_VK(ctx, ctx->vk.vkCreateBufferView(ctx->device, &ci, NULL, &cmd->views[cmd->nviews]));
    *out = cmd->views[cmd->nviews++];
    return VKA_OK;
}

vka_status vka__dispatch(vka_cmd *cmd, const char *shader, const uint32_t *spec, int nspec, const vka__binding *b,
                         int nbind, const void *push, size_t push_size, uint32_t gx, uint32_t gy, uint32_t gz)
{
    vka_status s = vka__check_cmd(cmd, shader);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if (push_size > VKA_PUSH_MAX)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: push constants of %zu bytes", shader, push_size);
    const uint32_t *maxg = ctx->props.limits.maxComputeWorkGroupCount;
    if (gx > maxg[0] || gy > maxg[1] || gz > maxg[2])
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: grid %ux%ux%u exceeds the device's %ux%ux%u", shader, gx, gy,
                        gz, maxg[0], maxg[1], maxg[2]);
    if ((uint64_t)gx * gy * gz == 0)
        return VKA_OK;
    vka__pipeline *p;
    uint32_t texel = 0;
    for (int i = 0; i < nbind; i++)
        if (b[i].write == VKA__TEXEL || b[i].write == VKA__TEXEL1)
            texel |= 1u << i;
    if ((s = vka__pipeline_get(ctx, shader, spec, nspec, nbind, texel, &p)))
        return s;
    VkPipeline pipe = p->pipe;
    VkPipelineLayout layout = p->layout;
    VkDescriptorSet set;
    if ((s = alloc_set(cmd, p->dsl, &set)))
        return s;

    VkDescriptorBufferInfo bi[VKA_MAX_BINDINGS];
    VkBufferView bv[VKA_MAX_BINDINGS];
    VkWriteDescriptorSet w[VKA_MAX_BINDINGS];
    VkDeviceSize align = ctx->props.limits.minStorageBufferOffsetAlignment;
    bool need_barrier = false;
    for (int i = 0; i < nbind; i++) {
        const vka_tensor *t = b[i].t ? b[i].t : ctx->dummy;
        VkDeviceSize off = t->alloc.offset + t->byte_offset;
        VkDeviceSize lo = off / align * align;
        VkDeviceSize range = off - lo + (t->bytes ? t->bytes : 4);
        bi[i] = (VkDescriptorBufferInfo){.buffer = t->alloc.block->buf, .offset = lo, .range = range};
        w[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                      .dstSet = set,
                                      .dstBinding = (uint32_t)i,
                                      .descriptorCount = 1,
                                      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                      .pBufferInfo = &bi[i]};
        if (b[i].write == VKA__TEXEL || b[i].write == VKA__TEXEL1) {
            if ((s = texel_view(cmd, t, lo, range, b[i].write == VKA__TEXEL1 ? 1 : 4, &bv[i])))
                return s;
            w[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER;
            w[i].pBufferInfo = NULL;
            w[i].pTexelBufferView = &bv[i];
        }
        if (!b[i].t)
            continue;
        for (int j = 0; j < cmd->npending && !need_barrier; j++) {
            const vka__access *a = &cmd->pending[j];
            if (a->buf == bi[i].buffer && a->lo < off + t->bytes && off < a->hi && (a->write || b[i].write == 1))
                need_barrier = true;
        }
    }
    ctx->vk.vkUpdateDescriptorSets(ctx->device, (uint32_t)nbind, w, 0, NULL);
    if (need_barrier) {
        /* An earlier dispatch since the last barrier wrote what this one reads,
         * or read/wrote what this one writes: its shader writes -> our reads/writes. */
        vka__log(ctx, VKA_LOG_DEBUG, "barrier: %s waits on %s", shader,
                 cmd->ndispatch ? cmd->labels[cmd->ndispatch - 1] : "(begin)");
        full_barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT,
                     VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
        cmd->npending = 0;
    }
    for (int i = 0; i < nbind; i++)
        if (b[i].t && (s = pending_add(cmd, bi[i].buffer, b[i].t->alloc.offset + b[i].t->byte_offset,
                                       b[i].t->alloc.offset + b[i].t->byte_offset + b[i].t->bytes,
                                       b[i].write == 1)))
            return s;
    if ((s = label_push(cmd, shader)))
        return s;

    ctx->vk.vkCmdBindPipeline(cmd->cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipe);
    ctx->vk.vkCmdBindDescriptorSets(cmd->cb, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &set, 0, NULL);
    if (push_size) {
        uint8_t pc[VKA_PUSH_MAX] = {0};
        memcpy(pc, push, push_size);
        ctx->vk.vkCmdPushConstants(cmd->cb, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, VKA_PUSH_MAX, pc);
    }
    ctx->vk.vkCmdDispatch(cmd->cb, gx, gy, gz);
    cmd->ndispatch++;
    if (cmd->timestamps && cmd->ndispatch < cmd->qcap)
        ctx->vk.vkCmdWriteTimestamp(cmd->cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, cmd->qpool,
                                    (uint32_t)cmd->ndispatch);
    return VKA_OK;
}
