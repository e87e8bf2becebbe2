/* SPDX-License-Identifier: MIT */
/* coopmat.c — cooperative matrices: what a device reports (NV and KHR
 * properties) and whether the NV fp16 GEMM (gemm_coopmat.comp) may run.
 *
 * The KHR route: VK_KHR_cooperative_matrix is queried here (its entry point
 * found through vkGetInstanceProcAddr, its structure declared below because
 * the Vulkan headers of Debian 12 predate it) and reported, but no KHR kernel
 * is built: glslang 12 has no GL_KHR_cooperative_matrix, and SPIRV-Tools
 * 2023.1 neither assembles nor validates SPV_KHR_cooperative_matrix
 * ("Invalid capability 'CooperativeMatrixKHR'"). The NV module could be
 * rewritten to the KHR opcodes (OpTypeCooperativeMatrixKHR takes a use
 * operand, OpCooperativeMatrixMulAddKHR replaces OpCooperativeMatrixMulAddNV,
 * loads and stores take a layout enum), but nothing here could validate it. */
#include <stdio.h>
#include <string.h>

#include "device.h"
#include "internal.h"

/* VkCooperativeMatrixPropertiesKHR (VK_KHR_cooperative_matrix, spec 1.3.255) */
#define VKA__STYPE_COOPMAT_PROPS_KHR ((VkStructureType)1000506001)
typedef struct {
    VkStructureType sType;
    void *pNext;
    uint32_t MSize, NSize, KSize;
    VkComponentTypeNV AType, BType, CType, ResultType; /* VkComponentTypeKHR: the same values */
    VkBool32 saturatingAccumulation;
    VkScopeNV scope;
} vka__coopmat_props_khr;
typedef VkResult(VKAPI_PTR *vka__pfn_coopmat_khr)(VkPhysicalDevice, uint32_t *, vka__coopmat_props_khr *);

static int dtype_of(VkComponentTypeNV t)
{
    switch (t) {
    case VK_COMPONENT_TYPE_FLOAT16_NV: return VKA_F16;
    case VK_COMPONENT_TYPE_FLOAT32_NV: return VKA_F32;
    case VK_COMPONENT_TYPE_SINT32_NV: return VKA_I32;
    case VK_COMPONENT_TYPE_UINT8_NV: return VKA_U8;
    default: return -1;
    }
}

void vka__coopmat_query(const vka__instance_fns *vi, VkInstance instance, VkPhysicalDevice pd, uint32_t subgroup_size,
                        vka_coopmat_report *r)
{
    memset(r, 0, sizeof *r);
    r->subgroup_size = subgroup_size;
    r->nv_ext = vka__device_has_ext(vi, pd, "VK_NV_cooperative_matrix");
    r->khr_ext = vka__device_has_ext(vi, pd, "VK_KHR_cooperative_matrix");
    if (r->nv_ext && vi->vkGetPhysicalDeviceCooperativeMatrixPropertiesNV) {
        VkCooperativeMatrixPropertiesNV p[32];
        uint32_t n = 32;
        for (uint32_t i = 0; i < n; i++)
            p[i] = (VkCooperativeMatrixPropertiesNV){.sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV};
        VkResult res = vi->vkGetPhysicalDeviceCooperativeMatrixPropertiesNV(pd, &n, p);
        for (uint32_t i = 0; (res == VK_SUCCESS || res == VK_INCOMPLETE) && i < n && i < 32; i++)
            r->nv[r->n_nv++] = (vka_coopmat_entry){p[i].MSize, p[i].NSize, p[i].KSize, dtype_of(p[i].AType),
                                                   dtype_of(p[i].BType), dtype_of(p[i].CType),
                                                   dtype_of(p[i].DType), p[i].scope == VK_SCOPE_SUBGROUP_NV};
    }
    vka__pfn_coopmat_khr khr =
        r->khr_ext ? (vka__pfn_coopmat_khr)vi->vkGetInstanceProcAddr(instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR")
                   : NULL;
    if (khr) {
        vka__coopmat_props_khr p[32];
        uint32_t n = 32;
        for (uint32_t i = 0; i < n; i++)
            p[i] = (vka__coopmat_props_khr){.sType = VKA__STYPE_COOPMAT_PROPS_KHR};
        VkResult res = khr(pd, &n, p);
        for (uint32_t i = 0; (res == VK_SUCCESS || res == VK_INCOMPLETE) && i < n && i < 32; i++)
            r->khr[r->n_khr++] = (vka_coopmat_entry){p[i].MSize, p[i].NSize, p[i].KSize, dtype_of(p[i].AType),
                                                     dtype_of(p[i].BType), dtype_of(p[i].CType),
                                                     dtype_of(p[i].ResultType), p[i].scope == VK_SCOPE_SUBGROUP_NV};
    }
}

/* The entry gemm_coopmat.comp is written for. */
static bool fits(const vka_coopmat_entry *e)
{
    return e->m == 16 && e->n == 16 && e->k == 16 && e->a == VKA_F16 && e->b == VKA_F16 && e->c == VKA_F32 &&
           e->result == VKA_F32 && e->subgroup_scope;
}

int vka_coopmat_choose(const vka_coopmat_report *r, char *why, size_t why_size)
{
    char tmp[8];
    if (!why)
        why = tmp, why_size = sizeof tmp;
    if (!r) {
        snprintf(why, why_size, "no cooperative matrix: no report");
        return 0;
    }
    if (!r->nv_ext && !r->khr_ext) {
        snprintf(why, why_size, "no cooperative matrix: the device has neither VK_NV_ nor VK_KHR_cooperative_matrix");
        return 0;
    }
    if (!r->nv_ext) {
        bool k = false;
        for (int i = 0; i < r->n_khr; i++)
            k |= fits(&r->khr[i]);
        snprintf(why, why_size,
                 "no cooperative matrix: VK_KHR_cooperative_matrix only (%d entries%s), and no KHR kernel is built",
                 r->n_khr, k ? ", 16x16x16 f16*f16+f32 among them" : "");
        return 0;
    }
    int hit = -1;
    for (int i = 0; i < r->n_nv && hit < 0; i++)
        if (fits(&r->nv[i]))
            hit = i;
    if (hit < 0) {
        snprintf(why, why_size,
                 "no cooperative matrix: VK_NV_cooperative_matrix reports no 16x16x16 f16*f16+f32 subgroup entry "
                 "(%d entries)",
                 r->n_nv);
        return 0;
    }
    if (r->subgroup_size != 32) {
        snprintf(why, why_size, "no cooperative matrix: the NV kernel is written for 32-wide subgroups, the device has %u",
                 r->subgroup_size);
        return 0;
    }
    snprintf(why, why_size, "cooperative matrix: NV 16x16x16 f16*f16+f32 (entry %d of %d): f16 GEMMs run gemm_coopmat",
             hit, r->n_nv);
    return 1;
}

const vka_coopmat_report *vka_context_coopmat(const vka_context *ctx, int *chosen, const char **why)
{
    if (!ctx)
        return NULL;
    if (chosen)
        *chosen = ctx->coopmat_gemm;
    if (why)
        *why = ctx->coopmat_why;
    return &ctx->coopmat;
}
