/* SPDX-License-Identifier: MIT */
/* op_layout.c — vka_permute, vka_slice, vka_concat: data movement without
 * conversion, all through one strided-copy kernel (strided_copy.comp) after
 * merging the axes that stay contiguous. Permute and slice take one dispatch,
 * concat one per non-empty input. */
#include "internal.h"
#include "op_shape.h"

/* Elements per workgroup: 256 invocations × 4 elements (EPT in the shader). */
#define ELEMS_PER_GROUP 1024u

/* keep in sync with shaders/strided_copy.comp */
typedef struct vka__strided_push {
    uint32_t n;                  /* elements in the index space */
    uint32_t rank;               /* axes after merging, 1..8 */
    int32_t off_x;               /* element of x at index 0 (vka__off + slice start) */
    int32_t off_y;
    int32_t shape[VKA_MAX_DIMS]; /* outermost first */
    int32_t sx[VKA_MAX_DIMS];    /* element strides, negative for reversed slices */
    int32_t sy[VKA_MAX_DIMS];
} vka__strided_push;
_Static_assert(sizeof(vka__strided_push) <= VKA_PUSH_MAX, "push constants");

/* The tensors every layout op accepts: same dtype, 4 or 2 bytes per element,
 * 32-bit indices, from this context, not overlapping the output. */
static vka_status check_pair(vka_context *ctx, const char *op, const vka_tensor *x, const char *xwhat,
                             const vka_tensor *y)
{
    char dx[256], dy[256];
    if (!x || !y)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s is NULL", op, x ? "y" : xwhat);
    if (x->ctx != ctx || y->ctx != ctx)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s belongs to another context", op, x->ctx != ctx ? xwhat : "y");
    vka_status s = vka__check_same_dtype(ctx, op, x, y);
    if (s)
        return s;
    size_t es = vka_dtype_size(x->dtype);
    if (es != 4 && es != 2)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: %s tensors are not supported (%s %s)", op,
                        vka_dtype_str(x->dtype), xwhat, vka__tdesc(x, dx, sizeof dx));
    if (es == 2 && !ctx->info.fp16_storage)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: device \"%s\" has no 16-bit storage for %s", op,
                        ctx->info.name, vka__tname(x));
    if (x->numel > INT32_MAX || y->numel > INT32_MAX)
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: over 2^31-1 elements (%s %s, y %s)", op, xwhat,
                        vka__tdesc(x, dx, sizeof dx), vka__tdesc(y, dy, sizeof dy));
    if (vka__overlap(x, y))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: y %s overlaps %s %s", op, vka__tdesc(y, dy, sizeof dy), xwhat,
                        vka__tdesc(x, dx, sizeof dx));
    return VKA_OK;
}

/* y[base_y + Σ i·sy] = x[base_x + Σ i·sx] for every index i of shape. */
static vka_status strided_copy(vka_cmd *cmd, vka_tensor *x, vka_tensor *y, int rank, int64_t *shape,
                               int64_t (*st)[VKA_MAX_DIMS], int64_t base_x, int64_t base_y)
{
    int64_t n = 1;
    for (int k = 0; k < rank; k++)
        n *= shape[k];
    if (n == 0)
        return VKA_OK;
    rank = vka__merge_axes(rank, shape, 2, st);
    vka__strided_push pc = {.n = (uint32_t)n, .rank = (uint32_t)rank,
                            .off_x = (int32_t)(vka__off(x) + base_x), .off_y = (int32_t)(vka__off(y) + base_y)};
    for (int k = 0; k < rank; k++) {
        pc.shape[k] = (int32_t)shape[k];
        pc.sx[k] = (int32_t)st[0][k];
        pc.sy[k] = (int32_t)st[1][k];
    }
    uint32_t gx, gy;
    vka__grid1d(cmd->ctx, ((uint64_t)n + ELEMS_PER_GROUP - 1) / ELEMS_PER_GROUP, &gx, &gy);
    vka__binding bind[] = {{x, 0}, {y, 1}};
    return vka__dispatch(cmd, vka_dtype_size(x->dtype) == 4 ? "strided_copy_f32" : "strided_copy_f16", NULL, 0, bind,
                         2, &pc, sizeof pc, gx, gy, 1);
}

vka_status vka_permute(vka_cmd *cmd, vka_tensor *x, const int *perm, vka_tensor *y)
{
    static const char *OP = "vka_permute";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((s = check_pair(ctx, OP, x, "x", y)))
        return s;
    char dx[256], dy[256];
    if (!perm)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: perm is NULL", OP);
    if (x->ndim != y->ndim)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: x %s and y %s differ in rank", OP, vka__tdesc(x, dx, sizeof dx),
                        vka__tdesc(y, dy, sizeof dy));
    int seen = 0;
    for (int i = 0; i < x->ndim; i++) {
        if (perm[i] < 0 || perm[i] >= x->ndim || (seen >> perm[i] & 1))
            return vka__err(ctx, VKA_ERR_INVALID_ARG,
                            "%s: perm[%d] = %d is not a permutation of 0..%d (x %s)", OP, i, perm[i], x->ndim - 1,
                            vka__tdesc(x, dx, sizeof dx));
        seen |= 1 << perm[i];
        if (y->shape[i] != x->shape[perm[i]])
            return vka__err(ctx, VKA_ERR_SHAPE, "%s: y %s axis %d is %lld but x %s axis perm[%d] = %d is %lld", OP,
                            vka__tdesc(y, dy, sizeof dy), i, (long long)y->shape[i], vka__tdesc(x, dx, sizeof dx), i,
                            perm[i], (long long)x->shape[perm[i]]);
    }
    /* walk y densely; x's strides follow the permutation */
    int64_t shape[VKA_MAX_DIMS], st[2][VKA_MAX_DIMS], dense_x[VKA_MAX_DIMS];
    vka__dense_strides(x, dense_x);
    vka__dense_strides(y, st[1]);
    for (int i = 0; i < y->ndim; i++) {
        shape[i] = y->shape[i];
        st[0][i] = dense_x[perm[i]];
    }
    return strided_copy(cmd, x, y, y->ndim, shape, st, 0, 0);
}

vka_status vka_slice(vka_cmd *cmd, vka_tensor *x, const int64_t *start, const int64_t *step, vka_tensor *y)
{
    static const char *OP = "vka_slice";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((s = check_pair(ctx, OP, x, "x", y)))
        return s;
    char dx[256], dy[256];
    if (!start && x->ndim)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: start is NULL", OP);
    if (x->ndim != y->ndim)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: x %s and y %s differ in rank", OP, vka__tdesc(x, dx, sizeof dx),
                        vka__tdesc(y, dy, sizeof dy));
    int64_t shape[VKA_MAX_DIMS], st[2][VKA_MAX_DIMS], dense_x[VKA_MAX_DIMS], base = 0;
    vka__dense_strides(x, dense_x);
    vka__dense_strides(y, st[1]);
    if (y->numel == 0)
        return VKA_OK;
    /* every index touched must lie inside x: start and start + (count-1)·step */
    for (int d = 0; d < x->ndim; d++) {
        int64_t c = y->shape[d], sp = step ? step[d] : 1, last = start[d] + (c - 1) * sp;
        if (sp == 0 && c > 1)
            return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: axis %d of x %s: step 0 with %lld elements in y %s", OP,
                            d, vka__tdesc(x, dx, sizeof dx), (long long)c, vka__tdesc(y, dy, sizeof dy));
        if (start[d] < 0 || start[d] >= x->shape[d] || last < 0 || last >= x->shape[d])
            return vka__err(ctx, VKA_ERR_SHAPE,
                            "%s: axis %d of x %s: start %lld, step %lld, count %lld (y %s) reach index %lld, "
                            "outside 0..%lld",
                            OP, d, vka__tdesc(x, dx, sizeof dx), (long long)start[d], (long long)sp, (long long)c,
                            vka__tdesc(y, dy, sizeof dy),
                            (long long)(start[d] < 0 || start[d] >= x->shape[d] ? start[d] : last),
                            (long long)x->shape[d] - 1);
        shape[d] = c;
        st[0][d] = dense_x[d] * sp;
        base += start[d] * dense_x[d];
    }
    return strided_copy(cmd, x, y, y->ndim, shape, st, base, 0);
}

vka_status vka_concat(vka_cmd *cmd, int n, vka_tensor *const *xs, int axis, vka_tensor *y)
{
    static const char *OP = "vka_concat";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if (n < 1 || !xs)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %d inputs%s", OP, n, xs ? "" : " (xs is NULL)");
    if (!y)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: y is NULL", OP);
    char dx[256], dy[256], what[32];
    if (axis < -y->ndim || axis >= y->ndim)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: axis %d is outside y %s", OP, axis,
                        vka__tdesc(y, dy, sizeof dy));
    if (axis < 0)
        axis += y->ndim;
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        snprintf(what, sizeof what, "xs[%d]", i);
        if ((s = check_pair(ctx, OP, xs[i], what, y)))
            return s;
        bool ok = xs[i]->ndim == y->ndim;
        for (int d = 0; d < y->ndim && ok; d++)
            ok = d == axis || xs[i]->shape[d] == y->shape[d];
        if (!ok)
            return vka__err(ctx, VKA_ERR_SHAPE, "%s: xs[%d] %s does not match y %s outside axis %d", OP, i,
                            vka__tdesc(xs[i], dx, sizeof dx), vka__tdesc(y, dy, sizeof dy), axis);
        total += xs[i]->shape[axis];
    }
    if (total != y->shape[axis])
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: the inputs add up to %lld along axis %d but y %s has %lld", OP,
                        (long long)total, axis, vka__tdesc(y, dy, sizeof dy), (long long)y->shape[axis]);
    int64_t dense_y[VKA_MAX_DIMS], at = 0;
    vka__dense_strides(y, dense_y);
    for (int i = 0; i < n; i++) {
        /* walk the input densely; y's strides place it at `at` along the axis */
        int64_t shape[VKA_MAX_DIMS], st[2][VKA_MAX_DIMS];
        vka__dense_strides(xs[i], st[0]);
        for (int d = 0; d < y->ndim; d++) {
            shape[d] = xs[i]->shape[d];
            st[1][d] = dense_y[d];
        }
        if ((s = strided_copy(cmd, xs[i], y, y->ndim, shape, st, 0, at * dense_y[axis])))
            return s;
        at += xs[i]->shape[axis];
    }
    return VKA_OK;
}
