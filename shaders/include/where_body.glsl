/* SPDX-License-Identifier: MIT */
// where_body.glsl — ONNX Where with numpy broadcasting over cond, a and b,
// shared by where.comp (I32 cond) and where_u8.comp (U8 cond, which needs
// 8-bit storage and so its own module). Values are moved bit for bit.
#ifndef VKA_WHERE_BODY_GLSL
#define VKA_WHERE_BODY_GLSL

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 256;

#if VKA_COND_U8
layout(std430, binding = 0) readonly buffer Cn { uint8_t cnd[]; };
#else
layout(std430, binding = 0) readonly buffer Cn { int cnd[]; };
#endif
layout(std430, binding = 1) readonly buffer A { T a[]; };
layout(std430, binding = 2) readonly buffer B { T b[]; };
layout(std430, binding = 3) writeonly buffer Y { T y[]; };

// keep in sync with vka__where_push in runtime/src/op_select.c
layout(push_constant) uniform Push {
    uint n, rank;
    uint off_c, off_a, off_b, off_y;
    uint shape[6];     // of y after axis merging
    uint sc[6];        // element strides over y's axes (0: broadcast)
    uint sa[6];
    uint sb[6];
} pc;

void main()
{
    uint i = vka_group_id() * WG + gl_LocalInvocationID.x;
    if (i >= pc.n)
        return;
    uint r = i, ic = 0u, ia = 0u, ib = 0u;
    for (uint k = pc.rank; k-- > 0u;) {
        uint c = r % pc.shape[k];
        r /= pc.shape[k];
        ic += c * pc.sc[k];
        ia += c * pc.sa[k];
        ib += c * pc.sb[k];
    }
    bool t = uint(cnd[pc.off_c + ic]) != 0u;
    y[pc.off_y + i] = t ? a[pc.off_a + ia] : b[pc.off_b + ib];
}

#endif
