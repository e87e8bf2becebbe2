/* SPDX-License-Identifier: MIT */
// rowreduce.glsl — sum/max of one float across a workgroup that owns a row.
// Subgroup arithmetic first, then shared memory only when the workgroup holds
// more than one subgroup: barriers are costly on CPU drivers (lavapipe), where
// the C side uses one subgroup per row and grows the workgroup only for rows
// too long for llvmpipe's loop limit (see runtime/src/op_rows.h).
// Needs `layout(local_size_x_id = 0) in;` declared before the include.
// The row loops that feed these run `for (i0 = 0; i0 < n; i0 += step)` with a
// guard on i0 + lane rather than starting at the lane: a loop whose trip count
// is the same for every lane is twice as fast on llvmpipe (measured, softmax
// 2364 x 197: 7.8 -> 3.3 ms), and costs nothing on GPUs.
#ifndef VKA_ROWREDUCE_GLSL
#define VKA_ROWREDUCE_GLSL

#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require

// One slot per subgroup; sized by the workgroup size so any subgroup size fits.
shared float vka_red[gl_WorkGroupSize.x];

float vka_wg_sum(float v)
{
    v = subgroupAdd(v);
    if (gl_NumSubgroups == 1u) // uniform: same for the whole workgroup
        return v;
    if (subgroupElect())
        vka_red[gl_SubgroupID] = v;
    barrier();
    float r = 0.0;
    for (uint i = 0u; i < gl_NumSubgroups; i++)
        r += vka_red[i];
    barrier(); // the slots are reused by the next reduction
    return r;
}

float vka_wg_max(float v)
{
    v = subgroupMax(v);
    if (gl_NumSubgroups == 1u)
        return v;
    if (subgroupElect())
        vka_red[gl_SubgroupID] = v;
    barrier();
    float r = vka_red[0];
    for (uint i = 1u; i < gl_NumSubgroups; i++)
        r = max(r, vka_red[i]);
    barrier();
    return r;
}

#endif
