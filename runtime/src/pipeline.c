/* pipeline.c — compute pipelines from the embedded SPIR-V, with specialization
 * constants, and the VkPipelineCache persisted in the user's cache directory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    const vka__shader *sh = vka__shader_find(name);
    if (!sh)
        return vka__err(ctx, VKA_ERR_NOT_FOUND, "no embedded shader named %s", name);
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
    if (nspec)
        memcpy(p.spec, spec, sizeof(uint32_t) * (size_t)nspec);
    p.nspec = nspec;
    p.nbind = nbind;
    p.texel = texel;
    vka_status s = layout_get(ctx, nbind, texel, &p.dsl, &p.layout);
    if (s)
        return s;
    VkShaderModuleCreateInfo smci = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                     .codeSize = *sh->size,
                                     .pCode = sh->code};
    VkShaderModule mod;
    VKA_VK(ctx, ctx->vk.vkCreateShaderModule(ctx->device, &smci, NULL, &mod));
    VkSpecializationMapEntry me[VKA_MAX_SPEC];
    for (int i = 0; i < nspec; i++)
        me[i] = (VkSpecializationMapEntry){.constantID = (uint32_t)i, .offset = (uint32_t)(4 * i), .size = 4};
    VkSpecializationInfo si = {.mapEntryCount = (uint32_t)nspec, .pMapEntries = me,
                               .dataSize = (size_t)nspec * 4, .pData = p.spec};
    VkComputePipelineCreateInfo cci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = mod,
                  .pName = "main",
                  .pSpecializationInfo = nspec ? &si : NULL},
        .layout = p.layout,
    };
    VkResult r = ctx->vk.vkCreateComputePipelines(ctx->device, ctx->pcache, 1, &cci, NULL, &p.pipe);
    ctx->vk.vkDestroyShaderModule(ctx->device, mod, NULL);
    if (r != VK_SUCCESS)
        return vka__err(ctx, VKA_ERR_VULKAN, "vkCreateComputePipelines(%s) failed: %s", name, vka__vkresult_str(r));
    ctx->pipes[ctx->npipes] = p;
    *out = &ctx->pipes[ctx->npipes++];
    return VKA_OK;
}

void vka__pipelines_destroy(vka_context *ctx)
{
    for (int i = 0; i < ctx->npipes; i++)
        ctx->vk.vkDestroyPipeline(ctx->device, ctx->pipes[i].pipe, NULL);
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
    vkGetPhysicalDeviceProperties2(ctx->phys, &p2);
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
        char tmp[1100];
        snprintf(tmp, sizeof tmp, "%s.%d.tmp", ctx->pcache_path, (int)getpid());
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
