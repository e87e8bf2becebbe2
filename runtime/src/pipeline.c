/* SPDX-License-Identifier: MIT */
/* pipeline.c — compute pipelines from the embedded SPIR-V, with specialization
 * constants, and the VkPipelineCache persisted in the user's cache directory. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stddef.h>

#include "internal.h"

const vka__shader *vka__shader_find(const char *name)
{
    for (const vka__shader *s = vka__shaders; s->name; s++)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

const char *vka__variant(char *buf, size_t n, const char *base, vka_dtype t)
{
    snprintf(buf, n, "%s_%s", base, vka_dtype_str(t));
    return buf;
}

/* SPIR-V capabilities (OpCapability operands) that need a device feature or
 * a subgroup operation in compute shaders. */
static const struct {
    uint32_t cap;
    const char *cap_name;
    const char *feature;         /* Vulkan feature name, or NULL: a subgroup operation */
    size_t off;                  /* in vka__features */
    VkSubgroupFeatureFlags sg;   /* for subgroup capabilities */
} caps[] = {
    {11, "Int64", "shaderInt64", offsetof(vka__features, int64), 0},
    {39, "Int8", "shaderInt8", offsetof(vka__features, int8), 0},
    {9, "Float16", "shaderFloat16", offsetof(vka__features, float16), 0},
    {4433, "StorageBuffer16BitAccess", "storageBuffer16BitAccess", offsetof(vka__features, storage16), 0},
    {4448, "StorageBuffer8BitAccess", "storageBuffer8BitAccess", offsetof(vka__features, storage8), 0},
    /* never enabled by the runtime: a kernel that needs one is refused */
    {22, "Int16", "shaderInt16", (size_t)-1, 0},
    {10, "Float64", "shaderFloat64", (size_t)-1, 0},
    {4434, "UniformAndStorageBuffer16BitAccess", "uniformAndStorageBuffer16BitAccess", (size_t)-1, 0},
    {4449, "UniformAndStorageBuffer8BitAccess", "uniformAndStorageBuffer8BitAccess", (size_t)-1, 0},
    {61, "GroupNonUniform", NULL, 0, VK_SUBGROUP_FEATURE_BASIC_BIT},
    {62, "GroupNonUniformVote", NULL, 0, VK_SUBGROUP_FEATURE_VOTE_BIT},
    {63, "GroupNonUniformArithmetic", NULL, 0, VK_SUBGROUP_FEATURE_ARITHMETIC_BIT},
    {64, "GroupNonUniformBallot", NULL, 0, VK_SUBGROUP_FEATURE_BALLOT_BIT},
    {65, "GroupNonUniformShuffle", NULL, 0, VK_SUBGROUP_FEATURE_SHUFFLE_BIT},
    {66, "GroupNonUniformShuffleRelative", NULL, 0, VK_SUBGROUP_FEATURE_SHUFFLE_RELATIVE_BIT},
    {67, "GroupNonUniformClustered", NULL, 0, VK_SUBGROUP_FEATURE_CLUSTERED_BIT},
    {68, "GroupNonUniformQuad", NULL, 0, VK_SUBGROUP_FEATURE_QUAD_BIT},
};

/* The first capability of sh the context cannot give (its index in caps), or -1. */
static int missing_cap(const vka_context *ctx, const vka__shader *sh)
{
    const uint32_t *w = sh->code;
    size_t n = *sh->size / 4;
    for (size_t i = 5; i < n;) { /* after the 5-word header: instructions, word count in the high half */
        uint32_t words = w[i] >> 16, op = w[i] & 0xFFFF;
        if (words == 0)
            break;
        if (op != 17) /* capabilities come first in a module */
            break;
        if (words >= 2)
            for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
                if (caps[k].cap != w[i + 1])
                    continue;
                bool ok = caps[k].feature ? caps[k].off != (size_t)-1 &&
                                                *(const bool *)((const char *)&ctx->feat + caps[k].off)
                                          : (ctx->subgroup_ops & caps[k].sg) == caps[k].sg;
                if (!ok)
                    return (int)k;
            }
        i += words;
    }
    return -1;
}

/* The shader to build for `name` on this context: itself, or its variant
 * without 64-bit integers (<name>_noi64) when the device has no shaderInt64;
 * an error naming the feature when no variant fits. */
static vka_status shader_for(vka_context *ctx, const char *name, const vka__shader **out)
{
    const vka__shader *sh = vka__shader_find(name);
    if (!sh)
        return vka__err(ctx, VKA_ERR_NOT_FOUND, "no embedded shader named %s", name);
    int k = missing_cap(ctx, sh);
    if (k >= 0 && caps[k].cap == 11) {
        char alt[96];
        snprintf(alt, sizeof alt, "%s_noi64", name);
        const vka__shader *fb = vka__shader_find(alt);
        if (fb && missing_cap(ctx, fb) < 0) {
            vka__log(ctx, VKA_LOG_DEBUG, "%s: shaderInt64 is not enabled: using %s", name, alt);
            *out = fb;
            return VKA_OK;
        }
    }
    if (k >= 0) {
        if (caps[k].feature)
            return vka__err(ctx, VKA_ERR_UNSUPPORTED,
                            "kernel %s needs the device feature %s (SPIR-V capability %s), which device \"%s\" "
                            "%s (see vka_vulkan_device_wants)", name, caps[k].feature, caps[k].cap_name,
                            ctx->info.name,
                            ctx->own_device ? "does not have" : "was not created with by the application");
        return vka__err(ctx, VKA_ERR_UNSUPPORTED,
                        "kernel %s needs subgroup operations (SPIR-V capability %s) that device \"%s\" does not "
                        "support in compute shaders", name, caps[k].cap_name, ctx->info.name);
    }
    *out = sh;
    return VKA_OK;
}

static vka_status layout_get(vka_context *ctx, int nbind, uint32_t texel, VkDescriptorSetLayout *dsl,
                             VkPipelineLayout *pl)
{
    if (!ctx->layouts[nbind][texel]) {
        VkDescriptorSetLayoutBinding b[VKA_MAX_BINDINGS];
        for (int i = 0; i < nbind; i++)
            b[i] = (VkDescriptorSetLayoutBinding){.binding = (uint32_t)i,
                                                  .descriptorType = (texel >> i & 1)
                                                                        ? VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER
                                                                        : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                                  .descriptorCount = 1,
                                                  .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
        VkDescriptorSetLayoutCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                                               .bindingCount = (uint32_t)nbind,
                                               .pBindings = b};
        VKA_VK(ctx, ctx->vk.vkCreateDescriptorSetLayout(ctx->device, &dci, NULL, &ctx->dsl[nbind][texel]));
        VkPushConstantRange pr = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .offset = 0, .size = VKA_PUSH_MAX};
        VkPipelineLayoutCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                          .setLayoutCount = 1,
                                          .pSetLayouts = &ctx->dsl[nbind][texel],
                                          .pushConstantRangeCount = 1,
                                          .pPushConstantRanges = &pr};
        VKA_VK(ctx, ctx->vk.vkCreatePipelineLayout(ctx->device, &pci, NULL, &ctx->layouts[nbind][texel]));
    }
    *dsl = ctx->dsl[nbind][texel];
    *pl = ctx->layouts[nbind][texel];
    return VKA_OK;
}

/* Kernels whose correctness or plan depends on the subgroup size, and the
 * size they get where the device has subgroup-size control
 * (VK_EXT_subgroup_size_control): 0 is the device's default size, the one
 * the C side planned with (vka_device_info.subgroup_size). Without control a
 * driver that varies the size per pipeline (Intel: 8, 16 or 32) may compile
 * another; with it the size is fixed, and whole subgroups are asked for where
 * the device can (computeFullSubgroups).
 *   gemm_regtile*      A handed around 8 lanes (subgroupBroadcast), tiles planned for the size
 *   flash_attn_row*    K/V rows shared across LW lanes (subgroupBroadcast)
 *   softmax, layernorm, reduce   one subgroup per row (rowreduce.glsl), planned for the size
 *   gemm_coopmat, flash_attn_coopmat   GL_NV_cooperative_matrix written for 32-wide subgroups */
static const struct {
    const char *prefix;
    uint32_t size;
} sg_needs[] = {
    {"gemm_regtile", 0}, {"flash_attn_row", 0}, {"softmax", 0}, {"layernorm", 0}, {"reduce", 0}, {"gemm_coopmat", 32},
    {"flash_attn_coopmat", 32},
};

uint32_t vka__required_subgroup_size(const vka_context *ctx, const char *name)
{
    if (!ctx->sg_control)
        return 0;
    for (size_t i = 0; i < sizeof sg_needs / sizeof sg_needs[0]; i++)
        if (!strncmp(name, sg_needs[i].prefix, strlen(sg_needs[i].prefix))) {
            uint32_t s = sg_needs[i].size ? sg_needs[i].size : ctx->info.subgroup_size;
            return s >= ctx->info.min_subgroup_size && s <= ctx->info.max_subgroup_size ? s : 0;
        }
    return 0;
}

vka_status vka__pipeline_get(vka_context *ctx, const char *name, const uint32_t *spec, int nspec, int nbind,
                             uint32_t texel, vka__pipeline **out)
{
    if (nspec < 0 || nspec > VKA_MAX_SPEC || nbind < 0 || nbind > VKA_MAX_BINDINGS || texel >= VKA_TEXEL_MASKS)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "pipeline %s: %d specialization constants, %d bindings", name,
                        nspec, nbind);
    for (int i = 0; i < ctx->npipes; i++) {
        vka__pipeline *p = &ctx->pipes[i];
        if (p->nspec == nspec && p->nbind == nbind && p->texel == texel && strcmp(p->name, name) == 0 &&
            (nspec == 0 || memcmp(p->spec, spec, sizeof(uint32_t) * (size_t)nspec) == 0)) {
            *out = p;
            return VKA_OK;
        }
    }
    const vka__shader *sh = NULL;
    vka_status s = shader_for(ctx, name, &sh);
    if (s)
        return s;
    if (ctx->npipes == ctx->cap_pipes) {
        int cap = ctx->cap_pipes ? ctx->cap_pipes * 2 : 32;
        vka__pipeline *np = realloc(ctx->pipes, sizeof *np * (size_t)cap);
        if (!np)
            return vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
        /* pointers handed out earlier stay valid only within one call chain: callers never keep them */
        ctx->pipes = np;
        ctx->cap_pipes = cap;
    }
    vka__pipeline p = {0};
    snprintf(p.name, sizeof p.name, "%s", name);
    p.spec = malloc(sizeof(uint32_t) * (size_t)(nspec ? nspec : 1));
    VkSpecializationMapEntry *me = malloc(sizeof *me * (size_t)(nspec ? nspec : 1));
    if (!p.spec || !me) {
        free(p.spec), free(me);
        return vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    if (nspec)
        memcpy(p.spec, spec, sizeof(uint32_t) * (size_t)nspec);
    p.nspec = nspec;
    p.nbind = nbind;
    p.texel = texel;
    s = layout_get(ctx, nbind, texel, &p.dsl, &p.layout);
    if (s) {
        free(p.spec), free(me);
        return s;
    }
    VkShaderModuleCreateInfo smci = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                     .codeSize = *sh->size,
                                     .pCode = sh->code};
    VkShaderModule mod;
    VkResult r = ctx->vk.vkCreateShaderModule(ctx->device, &smci, NULL, &mod);
    if (r != VK_SUCCESS) {
        free(p.spec), free(me);
        return vka__err(ctx, VKA_ERR_VULKAN, "vkCreateShaderModule(%s) failed: %s", name, vka__vkresult_str(r));
    }
    /* one constant per word; conv2d_few's _w64 variant has 64-bit ones from
     * VKA__CONV_FEW_SPEC0 (two words each; its caller passes whole ones) */
    int w64 = strncmp(name, "conv2d_few_", 11) == 0 && strstr(name, "_w64") ? VKA__CONV_FEW_SPEC0 : nspec, nme = 0;
    for (int i = 0; i < nspec; i += i < w64 ? 1 : 2)
        me[nme++] = (VkSpecializationMapEntry){.constantID = (uint32_t)(i < w64 ? i : w64 + (i - w64) / 2),
                                               .offset = (uint32_t)(4 * i), .size = i < w64 ? 4 : 8};
    VkSpecializationInfo si = {.mapEntryCount = (uint32_t)nme, .pMapEntries = me,
                               .dataSize = (size_t)nspec * 4, .pData = p.spec};
    uint32_t sgsize = vka__required_subgroup_size(ctx, name);
    VkPipelineShaderStageRequiredSubgroupSizeCreateInfoEXT rss = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_REQUIRED_SUBGROUP_SIZE_CREATE_INFO_EXT,
        .requiredSubgroupSize = sgsize,
    };
    if (sgsize)
        vka__log(ctx, VKA_LOG_DEBUG, "pipeline %s: required subgroup size %u", name, sgsize);
    VkComputePipelineCreateInfo cci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .pNext = sgsize ? &rss : NULL,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = mod,
                  .pName = "main",
                  .pSpecializationInfo = nspec ? &si : NULL},
        .layout = p.layout,
    };
    double t0 = vka__now_ns();
    r = ctx->vk.vkCreateComputePipelines(ctx->device, ctx->pcache, 1, &cci, NULL, &p.pipe);
    vka__log(ctx, VKA_LOG_DEBUG, "pipeline %s: %d constants, compiled in %.1f ms", name, nspec,
             (vka__now_ns() - t0) / 1e6);
    ctx->vk.vkDestroyShaderModule(ctx->device, mod, NULL);
    free(me);
    if (r != VK_SUCCESS) {
        free(p.spec);
        return vka__err(ctx, VKA_ERR_VULKAN, "vkCreateComputePipelines(%s) failed: %s", name, vka__vkresult_str(r));
    }
    ctx->pipes[ctx->npipes] = p;
    *out = &ctx->pipes[ctx->npipes++];
    return VKA_OK;
}

void vka__pipelines_destroy(vka_context *ctx)
{
    for (int i = 0; i < ctx->npipes; i++) {
        ctx->vk.vkDestroyPipeline(ctx->device, ctx->pipes[i].pipe, NULL);
        free(ctx->pipes[i].spec);
    }
    free(ctx->pipes);
    ctx->pipes = NULL;
    ctx->npipes = ctx->cap_pipes = 0;
    for (int i = 0; i <= VKA_MAX_BINDINGS; i++)
        for (int t = 0; t < VKA_TEXEL_MASKS; t++) {
            if (ctx->layouts[i][t])
                ctx->vk.vkDestroyPipelineLayout(ctx->device, ctx->layouts[i][t], NULL);
            if (ctx->dsl[i][t])
                ctx->vk.vkDestroyDescriptorSetLayout(ctx->device, ctx->dsl[i][t], NULL);
        }
}

/* ---------------------------------------------------------------- persistent cache */

static int mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        int r = mkdir(path, 0755);
        *p = '/';
        if (r && errno != EEXIST)
            return -1;
    }
    return mkdir(path, 0755) && errno != EEXIST ? -1 : 0;
}

static void hex(char *out, const uint8_t *b, int n)
{
    for (int i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

/* $XDG_CACHE_HOME/vkattn/<deviceUUID>-<driverUUID>.pipelines, or ~/.cache/... */
static bool cache_path(vka_context *ctx, char *out, size_t n)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    char dir[900];
    if (xdg && *xdg)
        snprintf(dir, sizeof dir, "%s/vkattn", xdg);
    else if (home && *home)
        snprintf(dir, sizeof dir, "%s/.cache/vkattn", home);
    else
        return false;
    if (mkdirs(dir))
        return false;
    VkPhysicalDeviceIDProperties id = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &id};
    ctx->vi.vkGetPhysicalDeviceProperties2(ctx->phys, &p2);
    char dev[33], drv[33];
    hex(dev, id.deviceUUID, 16);
    hex(drv, id.driverUUID, 16);
    snprintf(out, n, "%s/%s-%s.pipelines", dir, dev, drv);
    return true;
}

vka_status vka__pipeline_cache_load(vka_context *ctx)
{
    bool want = ctx->pcache_path[0] != 0;
    ctx->pcache_path[0] = 0;
    void *data = NULL;
    size_t size = 0;
    if (want && cache_path(ctx, ctx->pcache_path, sizeof ctx->pcache_path)) {
        FILE *f = fopen(ctx->pcache_path, "rb");
        if (f) {
            if (fseek(f, 0, SEEK_END) == 0) {
                long len = ftell(f);
                if (len >= 32 && len < (64l << 20) && fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)len))) {
                    size = fread(data, 1, (size_t)len, f);
                    /* the header names the device: a stale or foreign file is ignored */
                    const uint32_t *h = data;
                    if (size != (size_t)len || h[2] != ctx->props.vendorID || h[3] != ctx->props.deviceID ||
                        memcmp(&h[4], ctx->props.pipelineCacheUUID, VK_UUID_SIZE) != 0) {
                        free(data);
                        data = NULL;
                        size = 0;
                    }
                }
            }
            fclose(f);
        }
    }
    VkPipelineCacheCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
                                    .initialDataSize = size,
                                    .pInitialData = data};
    VkResult r = ctx->vk.vkCreatePipelineCache(ctx->device, &ci, NULL, &ctx->pcache);
    if (r != VK_SUCCESS && data) { /* a corrupt file: start empty */
        ci.initialDataSize = 0;
        ci.pInitialData = NULL;
        r = ctx->vk.vkCreatePipelineCache(ctx->device, &ci, NULL, &ctx->pcache);
    }
    free(data);
    if (r != VK_SUCCESS)
        return vka__err(ctx, VKA_ERR_VULKAN, "vkCreatePipelineCache failed: %s", vka__vkresult_str(r));
    if (size)
        vka__log(ctx, VKA_LOG_DEBUG, "pipeline cache: %zu bytes from %s", size, ctx->pcache_path);
    return VKA_OK;
}

void vka__pipeline_cache_save(vka_context *ctx)
{
    if (!ctx->pcache || !ctx->pcache_path[0] || ctx->npipes == 0)
        return;
    size_t size = 0;
    if (ctx->vk.vkGetPipelineCacheData(ctx->device, ctx->pcache, &size, NULL) != VK_SUCCESS || !size)
        return;
    void *data = malloc(size);
    if (!data)
        return;
    if (ctx->vk.vkGetPipelineCacheData(ctx->device, ctx->pcache, &size, data) == VK_SUCCESS) {
        /* a name no other context (thread) or process writes at the same time */
        static atomic_uint serial;
        char tmp[1100];
        snprintf(tmp, sizeof tmp, "%s.%d.%u.tmp", ctx->pcache_path, (int)getpid(), atomic_fetch_add(&serial, 1));
        FILE *f = fopen(tmp, "wb");
        if (f) {
            bool ok = fwrite(data, 1, size, f) == size;
            ok &= fclose(f) == 0;
            if (ok && rename(tmp, ctx->pcache_path) == 0)
                vka__log(ctx, VKA_LOG_DEBUG, "pipeline cache: %zu bytes to %s", size, ctx->pcache_path);
            else
                remove(tmp);
        }
    }
    free(data);
}
