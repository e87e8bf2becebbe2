/* SPDX-License-Identifier: MIT */
/* version.c — the library's version at run time (the header's may differ). */
#include "vkattn.h"

#define VKA_STR_(x) #x
#define VKA_STR(x) VKA_STR_(x)

uint32_t vka_version(void) { return (uint32_t)VKA_VERSION_MAJOR << 16 | VKA_VERSION_MINOR << 8 | VKA_VERSION_PATCH; }

const char *vka_version_string(void)
{
    return VKA_STR(VKA_VERSION_MAJOR) "." VKA_STR(VKA_VERSION_MINOR) "." VKA_STR(VKA_VERSION_PATCH);
}
