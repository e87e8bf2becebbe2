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

#define VKA_ROW_WG 64u
// rows per workgroup: llvmpipe's fixed cost per workgroup (and per 8 lanes)
// is worth several outputs per lane
#define VKA_ROWS_PER_WG 4u

// the workgroup's block of rows
uint vka_row_id()
{
    return gl_WorkGroupID.z * gl_NumWorkGroups.y + gl_WorkGroupID.y;
}

#endif
