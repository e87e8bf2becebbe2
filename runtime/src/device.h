/* device.h — instance creation and device queries shared by context.c. */
#ifndef VKA_DEVICE_H
#define VKA_DEVICE_H
#include "internal.h"

vka_status vka__volk_init(void);
vka_status vka__instance_create(int validation, const char *const *extra, int nextra, VkInstance *out);
void vka__device_query(VkPhysicalDevice pd, int index, vka_device_info *info);
bool vka__device_has_ext(VkPhysicalDevice pd, const char *name);
vka_status vka__device_pick(VkInstance inst, const vka_context_params *p, VkPhysicalDevice *out, int *out_index);
#endif
