/* SPDX-License-Identifier: MIT */
/* op_reduce.c — vka_reduce: sum, mean or max over one axis. */
#include "op_rows.h"

/* keep in sync with shaders/reduce.comp */
typedef struct vka__reduce_push {
    uint32_t outputs;            /* outer · inner */
    uint32_t len;                /* the reduced axis */
    uint32_t inner;              /* elements after the axis */
    uint32_t off_x;
    uint32_t off_y;
} vka__reduce_push;
_Static_assert(sizeof(vka__reduce_push) <= VKA_PUSH_MAX, "push constants");

/* Middle axes up to this long are walked by one invocation per output on every
 * device; longer ones get a workgroup per output on GPUs. */
#define VKA_REDUCE_THREAD_LEN_MAX 1024

/* y's shape is x's without `axis` (keep = 0) or with it set to 1 (keep = 1). */
static bool reduced_shape(const vka_tensor *x, int axis, const vka_tensor *y, int keep)
{
    if (y->ndim != x->ndim - !keep)
        return false;
    for (int i = 0, j = 0; i < x->ndim; i++) {
        if (i == axis) {
            if (keep && y->shape[j++] != 1)
                return false;
        } else if (y->shape[j++] != x->shape[i]) {
            return false;
        }
    }
    return true;
}

vka_status vka_reduce(vka_cmd *cmd, vka_reduce_op op, vka_tensor *x, int axis, vka_tensor *y)
{
    const char *fn = "vka_reduce";
    vka_status s = vka__check_cmd(cmd, fn);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((s = vka__check_float(ctx, fn, x, "x")) || (s = vka__check_float(ctx, fn, y, "y")) ||
        (s = vka__check_same_dtype(ctx, fn, x, y)))
        return s;
    if ((unsigned)op >= VKA_REDUCE_COUNT)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: unknown op %d", fn, (int)op);
    char sx[160], sy[160];
    if (axis < -x->ndim || axis >= x->ndim)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: axis %d is outside x %s of shape %s", fn, axis,
                        vka__tname(x), vka__shape_str(x, sx, sizeof sx));
    if (axis < 0)
        axis += x->ndim;
    if (!reduced_shape(x, axis, y, 0) && !reduced_shape(x, axis, y, 1))
        return vka__err(ctx, VKA_ERR_SHAPE,
                        "%s: y %s has shape %s; reducing axis %d of x %s of shape %s gives that shape with the "
                        "axis removed or set to 1",
                        fn, vka__tname(y), vka__shape_str(y, sy, sizeof sy), axis, vka__tname(x),
                        vka__shape_str(x, sx, sizeof sx));
    if (x->numel > UINT32_MAX)
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: x %s has %lld elements; at most 2^32-1", fn, vka__tname(x),
                        (long long)x->numel);
    int64_t len = x->shape[axis], inner = 1;
    for (int i = axis + 1; i < x->ndim; i++)
        inner *= x->shape[i];
    uint64_t outputs = (uint64_t)y->numel;
    if (outputs == 0)
        return VKA_OK;
    uint32_t spec[3], gx, gy;
    uint64_t groups;
    /* a middle axis of moderate length goes one invocation per output on any
     * device: neighbouring invocations then read neighbouring addresses */
    uint64_t thread_max = inner > 1 ? VKA_REDUCE_THREAD_LEN_MAX : VKA_ROWS_PER_THREAD_MAX;
    if (vka__rows_plan(ctx, (uint64_t)len, outputs, 1, thread_max, spec, &groups))
        return vka__err(ctx, VKA_ERR_TOO_LARGE,
                        "%s: axis %d of x %s of shape %s is too long for device \"%s\" (its per-invocation loop "
                        "limit of 65535 iterations)",
                        fn, axis, vka__tname(x), vka__shape_str(x, sx, sizeof sx), ctx->info.name);
    spec[2] = (uint32_t)op;
    vka__grid1d(ctx, groups, &gx, &gy);
    vka__reduce_push pc = {(uint32_t)outputs, (uint32_t)len, (uint32_t)inner, vka__off(x), vka__off(y)};
    char name[32];
    vka__binding b[] = {{x, 0}, {y, 1}};
    return vka__dispatch(cmd, vka__variant(name, sizeof name, "reduce", x->dtype), spec, 3, b, 2, &pc, sizeof pc, gx,
                         gy, 1);
}
