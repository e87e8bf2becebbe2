/* SPDX-License-Identifier: MIT */
/* op_copy.c — vka_copy: element copy between tensors of one dtype. */
#include "internal.h"

/* keep in sync with shaders/copy.comp */
typedef struct vka__copy_push {
    uint32_t n;
    uint32_t off_x;
    uint32_t off_y;
} vka__copy_push;
_Static_assert(sizeof(vka__copy_push) <= VKA_PUSH_MAX, "push constants");

vka_status vka_copy(vka_cmd *cmd, vka_tensor *x, vka_tensor *y)
{
    vka_status s = vka__check_cmd(cmd, "vka_copy");
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if (!x || !y)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_copy: %s is NULL", x ? "y" : "x");
    if (x->numel != y->numel || vka_dtype_size(x->dtype) != vka_dtype_size(y->dtype))
        return vka__err(ctx, VKA_ERR_SHAPE, "vka_copy: %s has %lld %s elements, %s has %lld %s", vka__tname(x),
                        (long long)x->numel, vka_dtype_str(x->dtype), vka__tname(y), (long long)y->numel,
                        vka_dtype_str(y->dtype));
    if (x->numel > UINT32_MAX)
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "vka_copy: %lld elements", (long long)x->numel);
    /* 4-byte types copy as f32 words, 2-byte as f16 words, bytes through f16 when even */
    size_t es = vka_dtype_size(x->dtype);
    if (es == 1)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "vka_copy: u8 tensors are not supported");
    if (es == 2 && !ctx->info.fp16_storage)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "vka_copy: device has no 16-bit storage");
    vka__copy_push pc = {(uint32_t)x->numel, vka__off(x), vka__off(y)};
    uint32_t gx, gy;
    vka__grid1d(ctx, (x->numel + 255) / 256, &gx, &gy);
    vka__binding b[] = {{x, 0}, {y, 1}};
    return vka__dispatch(cmd, es == 4 ? "copy_f32" : "copy_f16", NULL, 0, b, 2, &pc, sizeof pc, gx, gy, 1);
}
