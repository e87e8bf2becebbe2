/* SPDX-License-Identifier: MIT */
/* shaders.h — the SPIR-V modules embedded at build time (shaders/CMakeLists.txt). */
#ifndef VKA_SHADERS_H
#define VKA_SHADERS_H
#include <stddef.h>
#include <stdint.h>

typedef struct vka__shader {
    const char *name;            /* "<op>" or "<op>_<variant>" */
    const uint32_t *code;
    const size_t *size;          /* bytes */
} vka__shader;

extern const vka__shader vka__shaders[]; /* ends with a NULL name */

const vka__shader *vka__shader_find(const char *name);
#endif
