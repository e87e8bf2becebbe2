/* op_conv.c — im2col for convolutions lowered to GEMM (graph executor). */
#include "graph.h"

/* keep in sync with shaders/im2col.comp */
typedef struct vka__im2col_push {
    uint32_t n, c, h, w;
    uint32_t oh, ow, kh, kw;
    uint32_t stride_h, stride_w, pad_h, pad_w;
    uint32_t dil_h, dil_w;
    uint32_t off_x, off_cols;
    uint32_t total;
} vka__im2col_push;
_Static_assert(sizeof(vka__im2col_push) <= VKA_PUSH_MAX, "push constants");

vka_status vka__im2col(vka_cmd *cmd, vka_tensor *x, const vka_conv_params *p, int64_t kh, int64_t kw, vka_tensor *cols)
{
    vka_status s = vka__check_cmd(cmd, "im2col");
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((s = vka__check_float(ctx, "im2col", x, "x")) || (s = vka__check_same_dtype(ctx, "im2col", x, cols)))
        return s;
    int64_t oh = (x->shape[2] + p->pad[0] + p->pad[2] - p->dilation[0] * (kh - 1) - 1) / p->stride[0] + 1;
    int64_t ow = (x->shape[3] + p->pad[1] + p->pad[3] - p->dilation[1] * (kw - 1) - 1) / p->stride[1] + 1;
    int64_t total = x->shape[0] * oh * ow * x->shape[1] * kh * kw;
    if (cols->numel != total)
        return vka__err(ctx, VKA_ERR_SHAPE, "im2col: cols has %lld elements, %lld needed", (long long)cols->numel,
                        (long long)total);
    if (total > UINT32_MAX)
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "im2col: %lld elements", (long long)total);
    vka__im2col_push pc = {
        (uint32_t)x->shape[0], (uint32_t)x->shape[1], (uint32_t)x->shape[2], (uint32_t)x->shape[3],
        (uint32_t)oh, (uint32_t)ow, (uint32_t)kh, (uint32_t)kw,
        (uint32_t)p->stride[0], (uint32_t)p->stride[1], (uint32_t)p->pad[0], (uint32_t)p->pad[1],
        (uint32_t)p->dilation[0], (uint32_t)p->dilation[1], vka__off(x), vka__off(cols), (uint32_t)total};
    uint32_t gx, gy;
    vka__grid1d(ctx, ((uint64_t)total + 255) / 256, &gx, &gy);
    char name[32];
    vka__binding b[] = {{x, 0}, {cols, 1}};
    return vka__dispatch(cmd, vka__variant(name, sizeof name, "im2col", x->dtype), NULL, 0, b, 2, &pc, sizeof pc, gx,
                         gy, 1);
}
