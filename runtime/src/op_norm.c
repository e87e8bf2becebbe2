/* SPDX-License-Identifier: MIT */
/* op_norm.c — vka_softmax, vka_layernorm and vka_rmsnorm: row-wise ops over the last axis. */
#include <stdlib.h>

#include "op_rows.h"

/* keep in sync with shaders/softmax.comp */
typedef struct vka__softmax_push {
    uint32_t rows;
    uint32_t n;
    uint32_t off_x;
    uint32_t off_m;
    uint32_t off_y;
    uint32_t mask_rows;          /* 0: no mask; else the mask's rows of n, repeated */
    uint32_t mask_inc;           /* 1, or 0 for a one-element mask */
    float scale;
} vka__softmax_push;
_Static_assert(sizeof(vka__softmax_push) <= VKA_PUSH_MAX, "push constants");

/* keep in sync with shaders/layernorm.comp */
typedef struct vka__layernorm_push {
    uint32_t rows;
    uint32_t n;
    uint32_t off_x;
    uint32_t off_g;
    uint32_t off_b;
    uint32_t off_y;
    uint32_t has_gamma;
    uint32_t has_beta;
    float eps;
} vka__layernorm_push;
_Static_assert(sizeof(vka__layernorm_push) <= VKA_PUSH_MAX, "push constants");

static bool same_shape(const vka_tensor *a, const vka_tensor *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i])
            return false;
    return true;
}

/* x and y: float, one dtype, the same shape with at least one axis. */
static vka_status check_xy(vka_context *ctx, const char *op, const vka_tensor *x, const vka_tensor *y)
{
    vka_status s;
    if ((s = vka__check_float(ctx, op, x, "x")) || (s = vka__check_float(ctx, op, y, "y")) ||
        (s = vka__check_same_dtype(ctx, op, x, y)))
        return s;
    char sx[160], sy[160];
    if (x->ndim < 1)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: x %s is 0-d; it needs a last axis", op, vka__tname(x));
    if (!same_shape(x, y))
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: y %s has shape %s but x %s has %s", op, vka__tname(y),
                        vka__shape_str(y, sy, sizeof sy), vka__tname(x), vka__shape_str(x, sx, sizeof sx));
    if (x->numel > UINT32_MAX)
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: x %s has %lld elements; at most 2^32-1", op, vka__tname(x),
                        (long long)x->numel);
    return VKA_OK;
}

static vka_status too_long(vka_context *ctx, const char *op, const vka_tensor *x)
{
    char sx[160];
    return vka__err(ctx, VKA_ERR_TOO_LARGE,
                    "%s: rows of x %s of shape %s are too long for device \"%s\" (its per-invocation loop limit "
                    "of 65535 iterations)",
                    op, vka__tname(x), vka__shape_str(x, sx, sizeof sx), ctx->info.name);
}

vka_status vka_softmax(vka_cmd *cmd, vka_tensor *x, float scale, vka_tensor *mask, vka_tensor *y)
{
    const char *op = "vka_softmax";
    vka_status s = vka__check_cmd(cmd, op);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((s = check_xy(ctx, op, x, y)))
        return s;
    int64_t n = x->shape[x->ndim - 1];
    uint32_t mask_rows = 0, mask_inc = 0;
    if (mask) {
        if ((s = vka__check_float(ctx, op, mask, "mask")) || (s = vka__check_same_dtype(ctx, op, x, mask)))
            return s;
        /* leading 1s broadcast like missing axes ([1, 1, Nq, Nk] over [B, H, Nq, Nk]) */
        int lead = 0;
        while (lead < mask->ndim && mask->shape[lead] == 1)
            lead++;
        bool fits = mask->ndim - lead <= x->ndim;
        for (int i = lead; fits && i < mask->ndim; i++)
            fits = mask->shape[i] == x->shape[x->ndim - mask->ndim + i];
        if (!fits) {
            char sm[160], sx[160];
            return vka__err(ctx, VKA_ERR_SHAPE,
                            "%s: mask %s has shape %s, which is not a suffix of x %s's shape %s (leading axes "
                            "broadcast)",
                            op, vka__tname(mask), vka__shape_str(mask, sm, sizeof sm), vka__tname(x),
                            vka__shape_str(x, sx, sizeof sx));
        }
        /* a mask covering the last axis repeats every numel/n rows; a
         * one-element mask is the same value everywhere */
        bool scalar = lead == mask->ndim;
        mask_rows = scalar ? 1 : (uint32_t)(mask->numel / (n ? n : 1));
        mask_inc = scalar ? 0 : 1;
    }
    if (x->numel == 0)
        return VKA_OK;
    uint64_t rows = (uint64_t)(x->numel / n);
    uint32_t spec[2], gx, gy;
    uint64_t groups;
    if (vka__rows_plan(ctx, (uint64_t)n, rows, 3, VKA_ROWS_PER_THREAD_MAX, spec, &groups))
        return too_long(ctx, op, x);
    vka__grid1d(ctx, groups, &gx, &gy);
    vka__softmax_push pc = {(uint32_t)rows, (uint32_t)n, vka__off(x), vka__off(mask), vka__off(y),
                            mask_rows, mask_inc, scale};
    char name[32];
    vka__binding b[] = {{x, 0}, {mask, 0}, {y, 1}};
    return vka__dispatch(cmd, vka__variant(name, sizeof name, "softmax", x->dtype), spec, 2, b, 3, &pc, sizeof pc,
                         gx, gy, 1);
}

/* gamma/beta: NULL, or float of x's dtype with n elements along one last axis ([C] or [1, C]). */
static vka_status check_affine(vka_context *ctx, const char *op, const vka_tensor *t, const char *what,
                               const vka_tensor *x)
{
    if (!t)
        return VKA_OK;
    vka_status s;
    if ((s = vka__check_float(ctx, op, t, what)) || (s = vka__check_same_dtype(ctx, op, x, t)))
        return s;
    int64_t c = x->shape[x->ndim - 1];
    if (t->numel != c || t->ndim < 1 || t->shape[t->ndim - 1] != c) {
        char st[160], sx[160];
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: %s %s has shape %s; [%lld] expected for x %s of shape %s", op, what,
                        vka__tname(t), vka__shape_str(t, st, sizeof st), (long long)c, vka__tname(x),
                        vka__shape_str(x, sx, sizeof sx));
    }
    return VKA_OK;
}

/* LayerNorm, or RMSNorm when rms (layernorm.comp's RMS specialization constant). */
static vka_status norm_rows(vka_cmd *cmd, const char *op, int rms, vka_tensor *x, vka_tensor *gamma, vka_tensor *beta,
                            float eps, vka_tensor *y)
{
    vka_status s = vka__check_cmd(cmd, op);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((s = check_xy(ctx, op, x, y)) || (s = check_affine(ctx, op, gamma, "gamma", x)) ||
        (s = check_affine(ctx, op, beta, "beta", x)))
        return s;
    if (!(eps >= 0.0f))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: eps %g must be >= 0", op, (double)eps);
    if (x->numel == 0)
        return VKA_OK;
    int64_t n = x->shape[x->ndim - 1];
    uint64_t rows = (uint64_t)(x->numel / n);
    uint32_t spec[4], gx, gy;
    uint64_t groups;
    if (vka__rows_plan(ctx, (uint64_t)n, rows, rms ? 2 : 3, VKA_ROWS_PER_THREAD_MAX, spec, &groups))
        return too_long(ctx, op, x);
    spec[2] = rms ? 1u : 0u;
    /* an invocation per row, rows of whole 4-vectors: read and write them as such
     * (VKATTN_NORM_VEC4=0 turns it off, for tests and A/B runs) */
    const char *nv = getenv("VKATTN_NORM_VEC4");
    spec[3] = spec[1] == 1 && n % 4 == 0 && vka__off(x) % 4 == 0 && vka__off(y) % 4 == 0 &&
              (!gamma || vka__off(gamma) % 4 == 0) && (!beta || vka__off(beta) % 4 == 0) && !(nv && nv[0] == '0');
    vka__grid1d(ctx, groups, &gx, &gy);
    vka__layernorm_push pc = {(uint32_t)rows, (uint32_t)n, vka__off(x), vka__off(gamma), vka__off(beta), vka__off(y),
                              gamma != NULL, beta != NULL, eps};
    char name[32];
    vka__binding b[] = {{x, 0}, {gamma, 0}, {beta, 0}, {y, 1}};
    return vka__dispatch(cmd, vka__variant(name, sizeof name, "layernorm", x->dtype), spec, 4, b, 4, &pc, sizeof pc,
                         gx, gy, 1);
}

vka_status vka_layernorm(vka_cmd *cmd, vka_tensor *x, vka_tensor *gamma, vka_tensor *beta, float eps, vka_tensor *y)
{
    return norm_rows(cmd, "vka_layernorm", 0, x, gamma, beta, eps, y);
}

vka_status vka_rmsnorm(vka_cmd *cmd, vka_tensor *x, vka_tensor *gamma, float eps, vka_tensor *y)
{
    return norm_rows(cmd, "vka_rmsnorm", 1, x, gamma, NULL, eps, y);
}
