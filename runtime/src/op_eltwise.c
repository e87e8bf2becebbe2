/* SPDX-License-Identifier: MIT */
/* op_eltwise.c — vka_eltwise: a fused chain of elementwise ops (a small
 * program over up to four strided inputs) in one dispatch (eltwise.comp). */
#include <string.h>

#include "internal.h"
#include "op_shape.h"

#define ELEMS_PER_GROUP 1024u /* 256 invocations × EPT 4 */

/* keep in sync with Push in shaders/eltwise.comp */
typedef struct vka__eltwise_push {
    uint32_t n;
    uint32_t off_y;
    uint32_t shape[3];           /* merged axes 1..3 of the computed shape (axis 0 runs to n) */
    uint32_t st[16];             /* st[4·i + k]: stride of input i along axis k */
    uint32_t off[4];
    uint32_t tail[VKA_ELTWISE_MAX_IMM]; /* immediates; strided y: 3 immediates, then y's 4 strides */
} vka__eltwise_push;
_Static_assert(sizeof(vka__eltwise_push) <= VKA_PUSH_MAX, "push constants");
/* eltwise.comp's specialization constants: the program length and modes, then 2 instructions each */
enum { ELTWISE_SPEC = 8 };
_Static_assert(VKA_ELTWISE_MAX_IN == 4 && VKA_ELTWISE_MAX_CODE <= 2 * (ELTWISE_SPEC - 1) &&
                   VKA_ELTWISE_MAX_IMM_STRIDED + 4 == VKA_ELTWISE_MAX_IMM,
               "eltwise.comp's layout");

/* An operand code that reads something that exists: a register, one of the nin
 * inputs, one of the nimm immediates. */
static bool operand_ok(unsigned o, int nin, int nimm)
{
    return o < 4 || (o >= 4 && o < 4u + (unsigned)nin) || (o >= 8 && o < 8u + (unsigned)nimm);
}

static vka_status check_program(vka_context *ctx, const char *op, const vka_eltwise_desc *d, int nin)
{
    int max_imm = d->y_strided ? VKA_ELTWISE_MAX_IMM_STRIDED : VKA_ELTWISE_MAX_IMM;
    if (d->ncode < 1 || d->ncode > VKA_ELTWISE_MAX_CODE)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %d instructions; 1..%d are supported", op, d->ncode,
                        VKA_ELTWISE_MAX_CODE);
    if (d->nimm < 0 || d->nimm > max_imm)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %d immediates; 0..%d are supported%s", op, d->nimm, max_imm,
                        d->y_strided ? " with a strided y" : "");
    for (int k = 0; k < d->ncode; k++) {
        const vka_eltwise_instr *c = &d->code[k];
        bool unary = c->op >= VKA_EW_UNARY;
        if ((!unary && c->op >= VKA_BINARY_COUNT) || (unary && c->op - VKA_EW_UNARY >= VKA_UNARY_COUNT))
            return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: instruction %d has unknown op %d", op, k, c->op);
        if (c->dst > 3)
            return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: instruction %d writes register %d (0..3)", op, k, c->dst);
        if (!operand_ok(c->a, nin, d->nimm) || (!unary && !operand_ok(c->b, nin, d->nimm)))
            return vka__err(ctx, VKA_ERR_INVALID_ARG,
                            "%s: instruction %d reads operand %d/%d, which is not a register, one of the %d inputs "
                            "or one of the %d immediates",
                            op, k, c->a, unary ? -1 : c->b, nin, d->nimm);
    }
    return VKA_OK;
}

/* Strides of input x over y's axes: given (strided) or numpy broadcasting of x's
 * shape; checks that every element read lies inside x. */
static vka_status input_strides(vka_context *ctx, const char *op, const vka_eltwise_desc *d, int i,
                                const vka_tensor *x, int ynd, const int64_t *ys, int64_t *st, int64_t *off)
{
    char dx[256];
    if (d->strided[i]) {
        int64_t end = d->offset[i];
        if (end < 0)
            return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: input %d %s has a negative offset %lld", op, i,
                            vka__tdesc(x, dx, sizeof dx), (long long)end);
        for (int k = 0; k < ynd; k++) {
            if (d->stride[i][k] < 0)
                return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: input %d %s has a negative stride on axis %d", op, i,
                                vka__tdesc(x, dx, sizeof dx), k);
            st[k] = d->stride[i][k];
            end += (ys[k] - 1) * st[k];
        }
        if (end >= x->numel)
            return vka__err(ctx, VKA_ERR_SHAPE,
                            "%s: input %d %s of %lld elements is read up to element %lld (offset %lld and its strides)",
                            op, i, vka__tdesc(x, dx, sizeof dx), (long long)x->numel, (long long)end,
                            (long long)d->offset[i]);
        *off = d->offset[i];
        return VKA_OK;
    }
    if (x->ndim > ynd)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: input %d %s has more axes (%d) than the output (%d)", op, i,
                        vka__tdesc(x, dx, sizeof dx), x->ndim, ynd);
    int64_t dense[VKA_MAX_DIMS];
    vka__dense_strides(x, dense);
    for (int k = 0; k < ynd; k++) {
        int kx = k - (ynd - x->ndim);
        int64_t nx = kx >= 0 ? x->shape[kx] : 1;
        if (nx != 1 && nx != ys[k])
            return vka__err(ctx, VKA_ERR_SHAPE,
                            "%s: input %d %s does not broadcast to the output (axis %d: %lld vs %lld)", op, i,
                            vka__tdesc(x, dx, sizeof dx), k, (long long)nx, (long long)ys[k]);
        st[k] = nx == 1 ? 0 : dense[kx];
    }
    *off = 0;
    return VKA_OK;
}

/* The computed shape and where its elements go in y: y itself, or y's
 * strides from the descriptor, checked to stay inside y and to write each
 * element of y at most once. */
static vka_status output_layout(vka_context *ctx, const char *op, const vka_eltwise_desc *d, const vka_tensor *y,
                                int *nd, int64_t *shape, int64_t *yst, int64_t *n)
{
    char dy[256];
    if (!d->y_strided) {
        *nd = y->ndim;
        memcpy(shape, y->shape, sizeof(int64_t) * VKA_MAX_DIMS);
        vka__dense_strides(y, yst);
        *n = y->numel;
        return VKA_OK;
    }
    if (d->ndim < 0 || d->ndim > VKA_MAX_DIMS)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %d computed axes (0..%d)", op, d->ndim, VKA_MAX_DIMS);
    *nd = d->ndim;
    *n = 1;
    int64_t end = d->y_offset;
    if (end < 0)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: y offset %lld is negative", op, (long long)end);
    for (int k = 0; k < d->ndim; k++) {
        if (d->shape[k] < 0 || d->y_stride[k] < 0)
            return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: computed axis %d has size %lld / y stride %lld", op, k,
                            (long long)d->shape[k], (long long)d->y_stride[k]);
        shape[k] = d->shape[k];
        yst[k] = d->y_stride[k];
        *n *= shape[k];
        end += (shape[k] - 1) * yst[k];
    }
    if (*n == 0)
        return VKA_OK;
    if (end >= y->numel)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: y %s of %lld elements is written up to element %lld", op,
                        vka__tdesc(y, dy, sizeof dy), (long long)y->numel, (long long)end);
    /* one element each: by increasing stride, every axis steps past all the inner ones reach */
    bool used[VKA_MAX_DIMS] = {false};
    int64_t reach = 0;
    for (int r = 0; r < d->ndim; r++) {
        int best = -1;
        for (int k = 0; k < d->ndim; k++)
            if (!used[k] && shape[k] > 1 && (best < 0 || yst[k] < yst[best]))
                best = k;
        if (best < 0)
            break;
        used[best] = true;
        if (yst[best] <= reach)
            return vka__err(ctx, VKA_ERR_INVALID_ARG,
                            "%s: y strides write some elements of y %s twice (axis %d, stride %lld)", op,
                            vka__tdesc(y, dy, sizeof dy), best, (long long)yst[best]);
        reach += (shape[best] - 1) * yst[best];
    }
    if (*n > INT32_MAX)
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: %lld elements; at most 2^31-1", op, (long long)*n);
    return VKA_OK;
}

vka_status vka_eltwise(vka_cmd *cmd, const vka_eltwise_desc *d, int nin, vka_tensor *const *xs, vka_tensor *y)
{
    static const char *OP = "vka_eltwise";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if (!d || !y || (nin > 0 && !xs))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s is NULL", OP, !d ? "descriptor" : !y ? "y" : "xs");
    if (nin < 0 || nin > VKA_ELTWISE_MAX_IN)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %d inputs; 0..%d are supported", OP, nin, VKA_ELTWISE_MAX_IN);
    if ((s = check_program(ctx, OP, d, nin)) || (s = vka__check_float(ctx, OP, y, "y")))
        return s;
    if (y->ctx != ctx)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: y belongs to another context", OP);
    if (y->numel > INT32_MAX || vka__off(y) + (uint64_t)y->numel > UINT32_MAX)
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: y %s has %lld elements; at most 2^31-1", OP, vka__tname(y),
                        (long long)y->numel);
    int nd = 0;
    int64_t n = 0, shape[VKA_MAX_DIMS] = {0}, st[VKA_ELTWISE_MAX_IN + 1][VKA_MAX_DIMS] = {{0}},
               off[VKA_ELTWISE_MAX_IN] = {0};
    if ((s = output_layout(ctx, OP, d, y, &nd, shape, st[VKA_ELTWISE_MAX_IN], &n)))
        return s;
    char dx[256], dy[256];
    for (int i = 0; i < nin; i++) {
        const vka_tensor *x = xs[i];
        if (!x)
            return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: input %d is NULL", OP, i);
        if (x->ctx != ctx)
            return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: input %d belongs to another context", OP, i);
        if ((s = vka__check_float(ctx, OP, x, "input")) || (s = vka__check_same_dtype(ctx, OP, x, y)) ||
            (s = input_strides(ctx, OP, d, i, x, nd, shape, st[i], &off[i])))
            return s;
        /* in place only on exactly the same elements, read in y's order */
        bool dense_same = !d->strided[i] && !d->y_strided && x->numel == y->numel;
        if (vka__overlap(x, y) && !(vka__same_memory(x, y) && dense_same))
            return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: y %s overlaps input %d %s without being the same elements",
                            OP, vka__tdesc(y, dy, sizeof dy), i, vka__tdesc(x, dx, sizeof dx));
        if ((uint64_t)off[i] + vka__off(x) + (uint64_t)x->numel > UINT32_MAX)
            return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: input %d %s is past 32-bit indexing", OP, i, vka__tname(x));
    }
    if (n == 0)
        return VKA_OK;
    int rank = vka__merge_axes(nd, shape, VKA_ELTWISE_MAX_IN + 1, st);
    if (rank > 4)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED,
                        "%s: output %s with these strides walks %d separate axes; at most 4 are supported", OP,
                        vka__tdesc(y, dy, sizeof dy), rank);
    vka__eltwise_push pc;
    memset(&pc, 0, sizeof pc);
    pc.n = (uint32_t)n;
    pc.off_y = vka__off(y) + (uint32_t)(d->y_strided ? d->y_offset : 0);
    for (int k = 1; k < 4; k++) {
        int src = k - (4 - rank);
        pc.shape[k - 1] = src >= 0 ? (uint32_t)shape[src] : 1u;
    }
    for (int k = 0; k < 4; k++) {
        int src = k - (4 - rank);
        for (int i = 0; i < nin; i++)
            pc.st[4 * i + k] = src >= 0 ? (uint32_t)st[i][src] : 0u;
        if (d->y_strided)
            pc.tail[VKA_ELTWISE_MAX_IMM_STRIDED + k] = src >= 0 ? (uint32_t)st[VKA_ELTWISE_MAX_IN][src] : 0u;
    }
    for (int i = 0; i < nin; i++)
        pc.off[i] = vka__off(xs[i]) + (uint32_t)off[i];
    for (int i = 0; i < d->nimm; i++)
        memcpy(&pc.tail[i], &d->imm[i], 4);
    uint32_t spec[ELTWISE_SPEC] = {(uint32_t)d->ncode | (d->y_strided ? 256u : 0u)};
    for (int k = 0; k < d->ncode; k++) {
        const vka_eltwise_instr *c = &d->code[k];
        uint32_t w = (uint32_t)(c->op & 63u) | (uint32_t)(c->dst & 3u) << 6 | (uint32_t)(c->a & 15u) << 8 |
                     (uint32_t)(c->b & 15u) << 12;
        if (c->op >= VKA_EW_UNARY)
            w &= 0x0fffu; /* b unused: one pipeline for any value left there */
        spec[1 + k / 2] |= w << (16 * (k % 2));
    }
    /* rows of the last axis of 8 or more: 4 elements of one row per invocation */
    uint64_t len = pc.shape[2], invocations = ((uint64_t)n + 3) / 4;
    if (len >= 8) {
        spec[0] |= 512u;
        invocations = (uint64_t)n / len * ((len + 3) / 4);
    }
    uint32_t gx, gy;
    vka__grid1d(ctx, (invocations + ELEMS_PER_GROUP / 4 - 1) / (ELEMS_PER_GROUP / 4), &gx, &gy);
    vka__binding b[5] = {{NULL, 0}, {NULL, 0}, {NULL, 0}, {NULL, 0}, {y, 1}};
    for (int i = 0; i < nin; i++)
        b[i].t = xs[i];
    char name[32];
    return vka__dispatch(cmd, vka__variant(name, sizeof name, "eltwise", y->dtype), spec, ELTWISE_SPEC, b, 5, &pc,
                         sizeof pc, gx, gy, 1);
}
