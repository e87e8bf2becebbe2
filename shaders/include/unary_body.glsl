/* SPDX-License-Identifier: MIT */
// unary_body.glsl — y = op(x) elementwise, shared by unary.comp (float
// storage, fp32 math) and unary_i32.comp (int32). The including shader defines
// VKA_ELEM (storage type), VKA_CALC (math type) and
//     VKA_CALC apply(VKA_CALC v)
// switching on the OP specialization constant declared here. y may alias x
// (each element is read and written by one invocation only).
#ifndef VKA_UNARY_BODY_GLSL
#define VKA_UNARY_BODY_GLSL

#define WG 256u
#define EPT 4u

layout(local_size_x = 256) in;

// keep in sync with vka_unary_op in runtime/include/vkattn.h
layout(constant_id = 0) const uint OP = 0;

layout(std430, binding = 0) readonly buffer X { VKA_ELEM x[]; };
layout(std430, binding = 1) writeonly buffer Y { VKA_ELEM y[]; };

// keep in sync with vka__unary_push in runtime/src/op_elementwise.c
layout(push_constant) uniform Push {
    uint n;
    uint off_x;
    uint off_y;
} pc;

VKA_CALC apply(VKA_CALC v);

void main()
{
    uint base = vka_group_id() * (WG * EPT) + gl_LocalInvocationID.x;
    for (uint e = 0u; e < EPT; e++) {
        uint i = base + e * WG;
        if (i >= pc.n)
            return;
        y[pc.off_y + i] = VKA_ELEM(apply(VKA_CALC(x[pc.off_x + i])));
    }
}

#endif
