/* SPDX-License-Identifier: MIT */
/* Sanitizer builds only: keeps Mesa's lavapipe driver loaded for the whole
 * process. The Vulkan loader dlcloses the driver at vkDestroyInstance, and a
 * library under it (ICU, through LLVM) holds a static cache that LeakSanitizer
 * then reports from an "<unknown module>" that no suppression can name. Kept
 * loaded, the cache stays reachable and real leaks of ours still show. */
#define _GNU_SOURCE
#include <dlfcn.h>

__attribute__((constructor)) static void vka_sanitize_keep_icd(void)
{
    dlopen("libvulkan_lvp.so", RTLD_NOW | RTLD_NODELETE | RTLD_GLOBAL);
}
