/* SPDX-License-Identifier: MIT */
/* volk_table.c — volk's generated device-table loader, used privately: the
 * table is filled through the context's own vkGetDeviceProcAddr. volk.c's
 * global function pointers come along but are never loaded or read; like
 * everything not vka_*, they are hidden in the shared library and localised
 * in the static one (runtime/CMakeLists.txt). */
#include "volk.c"

#include "loader.h"

typedef struct {
    VkDevice device;
    PFN_vkGetDeviceProcAddr gdpa;
} device_loader;

static PFN_vkVoidFunction load(void *user, const char *name)
{
    const device_loader *d = user;
    return d->gdpa(d->device, name);
}

void vka__load_device_table(struct VolkDeviceTable *t, VkDevice device, PFN_vkGetDeviceProcAddr gdpa)
{
    device_loader d = {device, gdpa};
    volkGenLoadDeviceTable(t, &d, load);
}
