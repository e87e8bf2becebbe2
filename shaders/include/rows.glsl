/* SPDX-License-Identifier: MIT */
// rows.glsl — a rows-per-workgroup grid for the index-mapping kernels (pool2d,
// pad): lanes run along the output's last axis (gl_WorkGroupID.x picks a
// segment of it), the rows before it are split across y and z (vka__grid_rows
// on the C side). Everything derived from the row is the same in every lane,
// so its divisions are scalar; per lane there is only the last axis, where a
// flat index would cost every lane an integer division (llvmpipe scalarizes
// those) and a per-lane load loop for storage buffers.
#ifndef VKA_ROWS_GLSL
#define VKA_ROWS_GLSL

#include "common.glsl"

#define VKA_ROW_WG 64u
// rows per workgroup: llvmpipe's fixed cost per workgroup (and per 8 lanes)
// is worth several outputs per lane
#define VKA_ROWS_PER_WG 4u

// x at binding 0, read by x_load(i) as a float: element texels where
// VKA_ROWS_TEX is 1 (llvmpipe: inline loads), else a storage buffer (a loop
// over the lanes); y at binding 1
#if VKA_ROWS_TEX
#if defined(VKA_F16) && VKA_F16
layout(binding = 0, r16f) uniform readonly imageBuffer x_tex;
#else
layout(binding = 0, r32f) uniform readonly imageBuffer x_tex;
#endif
#define x_load(i) imageLoad(x_tex, int(i)).x
#else
layout(std430, binding = 0) readonly buffer X { T x[]; };
#define x_load(i) float(x[i])
#endif
layout(std430, binding = 1) writeonly buffer Y { T y[]; };

// the workgroup's block of rows
uint vka_row_id()
{
    return gl_WorkGroupID.z * gl_NumWorkGroups.y + gl_WorkGroupID.y;
}

#endif
