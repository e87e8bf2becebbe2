/* SPDX-License-Identifier: MIT */
/* device.h — instance creation and device queries shared by context.c and features.c. */
#ifndef VKA_DEVICE_H
#define VKA_DEVICE_H
#include "internal.h"

/* Creates an instance through the system loader and loads its table into *vi. */
vka_status vka__instance_create(int validation, const char *const *extra, int nextra, VkInstance *out,
                                vka__instance_fns *vi);
void vka__device_query(const vka__instance_fns *vi, VkPhysicalDevice pd, int index, vka_device_info *info);
bool vka__device_has_ext(const vka__instance_fns *vi, VkPhysicalDevice pd, const char *name);
vka_status vka__device_pick(const vka__instance_fns *vi, VkInstance inst, const vka_context_params *p,
                            VkPhysicalDevice *out, int *out_index);
#endif
