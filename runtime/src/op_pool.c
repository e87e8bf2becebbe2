/* SPDX-License-Identifier: MIT */
/* op_pool.c — vka_pool2d (max / average over windows) and vka_global_avgpool
 * (a mean over H·W through vka_reduce). */
#include <stdlib.h>

#include "internal.h"
#include "op_shape.h"

/* keep in sync with shaders/include/pool_push.glsl */
typedef struct vka__pool_push {
    uint32_t rows;
    uint32_t h, w, oh, ow;
    uint32_t kh, kw, sh, sw, dh, dw;
    int32_t pt, pl, pb, pr;
    uint32_t include_pad;
    uint32_t off_x, off_y;
    float padv;
} vka__pool_push;
_Static_assert(sizeof(vka__pool_push) <= VKA_PUSH_MAX, "push constants");

vka_pool_params vka_pool_default_params(void)
{
    vka_pool_params p = {{2, 2}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 0, 0};
    return p;
}

int64_t vka__pool_len(int64_t in, int64_t pa, int64_t pb, int64_t k, int64_t d, int64_t s, int ceil_mode)
{
    int64_t num = in + pa + pb - (d * (k - 1) + 1);
    if (num < 0)
        return -1;
    int64_t o = (ceil_mode ? (num + s - 1) / s : num / s) + 1;
    if (ceil_mode && (o - 1) * s >= in + pa)
        o--;
    return o;
}

/* The pooling through pool2d_tile.comp (x can be element texels; the window
 * vka__tile_ok). lavapipe, bench model 2026-12-03, per-node GPU time against
 * pool2d_tex's lane per output: DEIMv2's stem max pool (2x2, stride 1)
 * femto 4.0 -> 1.0 ms, atto 1.9 -> 0.56 ms; its encoder's 2x2 stride-2
 * average pools 2.5-3.7x faster. */
static vka_status pool_tile(vka_cmd *cmd, vka_pool_op op, vka_tensor *x, const vka_pool_params *p,
                            const float *pad_value, vka_tensor *y, const vka__pool_push *pc)
{
    vka__tile t;
    vka_status s = vka__tile_layout(cmd->ctx, "vka_pool2d", y, p->kernel[0], p->kernel[1], &t);
    if (s)
        return s;
    uint32_t ph, xv = vka__x_rows_texel4(cmd->ctx, x, p->pad[1], &ph);
    uint32_t y4 = y->shape[3] % 4 == 0 && vka__off(y) % 4 == 0;
    uint32_t spec[14] = {VKA_TILE_WG, t.rows, (uint32_t)p->kernel[0], (uint32_t)p->kernel[1], (uint32_t)p->stride[0],
                         (uint32_t)p->stride[1], (uint32_t)p->dilation[0], (uint32_t)p->dilation[1],
                         op == VKA_POOL_AVG, pad_value != NULL, xv, ph, t.px / 4, y4};
    vka__binding b[] = {{x, VKA__TEXEL1}, {x, xv ? VKA__TEXEL : VKA__TEXEL1}, {y, 1}};
    char name[32];
    return vka__dispatch(cmd, vka__variant(name, sizeof name, "pool2d_tile", x->dtype), spec, 14, b, 3, pc,
                         sizeof *pc, t.gx, t.gy, 1);
}

vka_status vka_pool2d(vka_cmd *cmd, vka_pool_op op, vka_tensor *x, const vka_pool_params *p, vka_tensor *y)
{
    return vka__pool2d(cmd, op, x, p, NULL, y);
}

vka_status vka__pool2d(vka_cmd *cmd, vka_pool_op op, vka_tensor *x, const vka_pool_params *p, const float *pad_value,
                       vka_tensor *y)
{
    static const char *OP = "vka_pool2d";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if (op != VKA_POOL_MAX && op != VKA_POOL_AVG)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: unknown op %d", OP, (int)op);
    if (pad_value && op != VKA_POOL_MAX)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: a padding value is for max pooling only", OP);
    vka_pool_params dp = vka_pool_default_params();
    if (!p)
        p = &dp;
    if ((s = vka__check_float_dims(ctx, OP, x, "x", 0)) || (s = vka__check_float_dims(ctx, OP, y, "y", 0)) ||
        (s = vka__check_same_dtype(ctx, OP, x, y)))
        return s;
    char dx[256], dy[256];
    if (x->ndim != 4 || y->ndim != 4)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: x %s and y %s must be [N, C, H, W]", OP, vka__tdesc(x, dx, sizeof dx),
                        vka__tdesc(y, dy, sizeof dy));
    for (int i = 0; i < 2; i++)
        if (p->kernel[i] < 1 || p->stride[i] < 1 || p->dilation[i] < 1 || p->kernel[i] * p->dilation[i] > 65535)
            return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: kernel %lldx%lld, stride %lldx%lld, dilation %lldx%lld", OP,
                            (long long)p->kernel[0], (long long)p->kernel[1], (long long)p->stride[0],
                            (long long)p->stride[1], (long long)p->dilation[0], (long long)p->dilation[1]);
    for (int i = 0; i < 4; i++)
        if (p->pad[i] < 0 || p->pad[i] >= p->kernel[i & 1] * p->dilation[i & 1])
            return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: pad %lld must be >= 0 and smaller than the window", OP,
                            (long long)p->pad[i]);
    /* llvmpipe ends an invocation's loops after 65535 iterations in total */
    if (p->kernel[0] * (p->kernel[1] + 1) > 40000)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: a %lldx%lld window is too large for one invocation; use "
                        "vka_global_avgpool for global pooling", OP, (long long)p->kernel[0], (long long)p->kernel[1]);
    int64_t H = x->shape[2], W = x->shape[3];
    int64_t OH = vka__pool_len(H, p->pad[0], p->pad[2], p->kernel[0], p->dilation[0], p->stride[0], p->ceil_mode);
    int64_t OW = vka__pool_len(W, p->pad[1], p->pad[3], p->kernel[1], p->dilation[1], p->stride[1], p->ceil_mode);
    if (OH < 1 || OW < 1)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: the %lldx%lld window is larger than padded x %s", OP,
                        (long long)p->kernel[0], (long long)p->kernel[1], vka__tdesc(x, dx, sizeof dx));
    if (y->shape[0] != x->shape[0] || y->shape[1] != x->shape[1] || y->shape[2] != OH || y->shape[3] != OW)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: y %s must be [%lld, %lld, %lld, %lld] for x %s", OP,
                        vka__tdesc(y, dy, sizeof dy), (long long)x->shape[0], (long long)x->shape[1], (long long)OH,
                        (long long)OW, vka__tdesc(x, dx, sizeof dx));
    if (vka__overlap(x, y))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: y %s overlaps x %s", OP, vka__tdesc(y, dy, sizeof dy),
                        vka__tdesc(x, dx, sizeof dx));
    if (y->numel == 0)
        return VKA_OK;
    vka__pool_push pc = {(uint32_t)(y->numel / OW), (uint32_t)H, (uint32_t)W, (uint32_t)OH, (uint32_t)OW,
                         (uint32_t)p->kernel[0], (uint32_t)p->kernel[1], (uint32_t)p->stride[0],
                         (uint32_t)p->stride[1], (uint32_t)p->dilation[0], (uint32_t)p->dilation[1],
                         (int32_t)p->pad[0], (int32_t)p->pad[1], (int32_t)p->pad[2], (int32_t)p->pad[3],
                         p->count_include_pad != 0, vka__off(x), vka__off(y), pad_value ? *pad_value : 0.0f};
    int tex = vka__rows_x_texel(ctx, x, "VKATTN_POOL_TEXEL");
    const char *tile_env = getenv("VKATTN_POOL_TILE");
    if (tex && !(tile_env && tile_env[0] == '0') &&
        vka__tile_ok(p->kernel[0], p->kernel[1], p->stride[0], p->stride[1], p->dilation[0], p->dilation[1]))
        return pool_tile(cmd, op, x, p, pad_value, y, &pc);
    /* windows up to 5x5 unrolled (a pipeline per size) */
    uint32_t spec[4] = {op == VKA_POOL_AVG, p->kernel[0] <= 5 ? (uint32_t)p->kernel[0] : 0,
                        p->kernel[1] <= 5 ? (uint32_t)p->kernel[1] : 0, pad_value != NULL}, g[3];
    if ((s = vka__grid_rows(ctx, OP, (uint64_t)(y->numel / OW), (uint64_t)OW, g)))
        return s;
    vka__binding b[] = {{x, tex}, {y, 1}};
    char name[32];
    return vka__dispatch(cmd, vka__variant(name, sizeof name, tex ? "pool2d_tex" : "pool2d", x->dtype), spec, 4, b, 2,
                         &pc, sizeof pc, g[0], g[1], g[2]);
}

vka_status vka_global_avgpool(vka_cmd *cmd, vka_tensor *x, vka_tensor *y)
{
    static const char *OP = "vka_global_avgpool";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((s = vka__check_float_dims(ctx, OP, x, "x", 0)) || (s = vka__check_float_dims(ctx, OP, y, "y", 0)) ||
        (s = vka__check_same_dtype(ctx, OP, x, y)))
        return s;
    char dx[256], dy[256];
    if (x->ndim != 4)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: x %s must be [N, C, H, W]", OP, vka__tdesc(x, dx, sizeof dx));
    int64_t NC = x->shape[0] * x->shape[1], HW = x->shape[2] * x->shape[3];
    bool ok = (y->ndim == 4 && y->shape[2] == 1 && y->shape[3] == 1) || y->ndim == 2;
    if (!ok || y->shape[0] != x->shape[0] || y->shape[1] != x->shape[1])
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: y %s must be [%lld, %lld, 1, 1] or [%lld, %lld] for x %s", OP,
                        vka__tdesc(y, dy, sizeof dy), (long long)x->shape[0], (long long)x->shape[1],
                        (long long)x->shape[0], (long long)x->shape[1], vka__tdesc(x, dx, sizeof dx));
    if (vka__overlap(x, y))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: y %s overlaps x %s", OP, vka__tdesc(y, dy, sizeof dy),
                        vka__tdesc(x, dx, sizeof dx));
    if (NC == 0)
        return VKA_OK;
    if (HW == 0)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: x %s has no pixels to average", OP, vka__tdesc(x, dx, sizeof dx));
    /* a row reduction over [N·C, H·W]: vka_reduce already splits long rows
     * across a workgroup within llvmpipe's loop limit */
    int64_t s2[2] = {NC, HW};
    vka_tensor *xv = vka_tensor_view(x, 0, 2, s2), *yv = vka_tensor_view(y, 0, 1, &NC);
    if (!xv || !yv)
        s = VKA_ERR_OUT_OF_MEMORY;
    else
        s = vka_reduce(cmd, VKA_REDUCE_MEAN, xv, 1, yv);
    vka_tensor_destroy(xv), vka_tensor_destroy(yv);
    return s;
}
