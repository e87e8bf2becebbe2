/* SPDX-License-Identifier: MIT */
/* op_elementwise.c — vka_binary (numpy broadcasting), vka_unary, vka_cast:
 * one dispatch each, fp32 math on f32 or f16 storage, or int32 math on i32
 * (binary_i32.comp, unary_i32.comp: the same bodies, shaders/include/). */
#include <string.h>

#include "internal.h"
#include "op_shape.h"

/* Elements per workgroup: 256 invocations × 4 elements (EPT in the shaders). */
#define ELEMS_PER_GROUP 1024u

/* keep in sync with shaders/include/binary_body.glsl */
typedef struct vka__binary_push {
    uint32_t n;
    uint32_t off_a;
    uint32_t off_b;
    uint32_t off_y;
    uint32_t rank;               /* axes after merging (mode 3), 1..8 */
    uint32_t shape[VKA_MAX_DIMS]; /* of y, outermost first */
    uint32_t sa[VKA_MAX_DIMS];   /* element strides of a over y's axes (0: broadcast) */
    uint32_t sb[VKA_MAX_DIMS];
} vka__binary_push;
_Static_assert(sizeof(vka__binary_push) <= VKA_PUSH_MAX, "push constants");

/* keep in sync with shaders/include/unary_body.glsl and shaders/cast.comp */
typedef struct vka__unary_push {
    uint32_t n;
    uint32_t off_x;
    uint32_t off_y;
} vka__unary_push;
_Static_assert(sizeof(vka__unary_push) <= VKA_PUSH_MAX, "push constants");
typedef vka__unary_push vka__cast_push;

/* binary_body.glsl's MODE specialization constant */
enum { MODE_DENSE = 0, MODE_B_SCALAR = 1, MODE_A_SCALAR = 2, MODE_STRIDED = 3, MODE_ROWS = 4 };

static vka_status check_ctx(vka_context *ctx, const char *op, const vka_tensor *t, const char *what)
{
    if (!t)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s is NULL", op, what);
    if (t->ctx != ctx)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s belongs to another context", op, what);
    return VKA_OK;
}

/* The kernels index with 32-bit integers. */
static vka_status check_count(vka_context *ctx, const char *op, const vka_tensor *t)
{
    if (t->numel > INT32_MAX) {
        char d[256];
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: %s %s has %lld elements; at most 2^31-1 are supported", op,
                        vka_dtype_str(t->dtype), vka__tdesc(t, d, sizeof d), (long long)t->numel);
    }
    return VKA_OK;
}

/* Operands of the elementwise ops: float (f32/f16, which the device must
 * store) or i32, all of one kind. A mix of i32 and float is the caller's to
 * resolve with vka_cast: which side to convert is a modelling choice. */
static vka_status check_numeric(vka_context *ctx, const char *op, const vka_tensor *t, const char *what,
                                const vka_tensor *first, const char *first_what)
{
    char d1[256], d2[256];
    if (t->dtype != VKA_I32 && t->dtype != VKA_F32 && t->dtype != VKA_F16)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: %s %s is %s; f32, f16 or i32 expected", op, what,
                        vka__tdesc(t, d1, sizeof d1), vka_dtype_str(t->dtype));
    if (first && (t->dtype == VKA_I32) != (first->dtype == VKA_I32))
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: %s %s is %s but %s %s is %s; cast one of them first (vka_cast)", op,
                        first_what, vka__tdesc(first, d1, sizeof d1), vka_dtype_str(first->dtype), what,
                        vka__tdesc(t, d2, sizeof d2), vka_dtype_str(t->dtype));
    if (t->dtype != VKA_I32)
        return vka__check_float(ctx, op, t, what);
    return VKA_OK;
}

/* In place is fine only on exactly the same elements; a shifted overlap would
 * read what another invocation already overwrote. */
static vka_status check_alias(vka_context *ctx, const char *op, const vka_tensor *in, const char *in_what,
                              const vka_tensor *y)
{
    if (vka__overlap(in, y) && !(vka__same_memory(in, y) && in->numel == y->numel)) {
        char d1[256], d2[256];
        return vka__err(ctx, VKA_ERR_INVALID_ARG,
                        "%s: y %s overlaps %s %s without being the same elements (in place needs the same shape)", op,
                        vka__tdesc(y, d1, sizeof d1), in_what, vka__tdesc(in, d2, sizeof d2));
    }
    return VKA_OK;
}

vka_status vka_binary(vka_cmd *cmd, vka_binary_op op, vka_tensor *a, vka_tensor *b, vka_tensor *y)
{
    static const char *OP = "vka_binary";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((unsigned)op >= VKA_BINARY_COUNT)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: unknown op %d", OP, (int)op);
    if ((s = check_ctx(ctx, OP, a, "a")) || (s = check_ctx(ctx, OP, b, "b")) || (s = check_ctx(ctx, OP, y, "y")) ||
        (s = check_numeric(ctx, OP, a, "a", NULL, NULL)) || (s = check_numeric(ctx, OP, b, "b", a, "a")) ||
        (s = check_numeric(ctx, OP, y, "y", a, "a")) || (s = vka__check_same_dtype(ctx, OP, a, b)) ||
        (s = vka__check_same_dtype(ctx, OP, a, y)))
        return s;
    char da[256], db[256], dy[256];
    if (a->dtype == VKA_I32 && op == VKA_POW)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: pow on i32 tensors (a %s, b %s) is not supported; cast to f32",
                        OP, vka__tdesc(a, da, sizeof da), vka__tdesc(b, db, sizeof db));

    /* numpy broadcasting: align the shapes at the last axis */
    int rank = a->ndim > b->ndim ? a->ndim : b->ndim;
    int64_t shape[VKA_MAX_DIMS], st[2][VKA_MAX_DIMS], dense_a[VKA_MAX_DIMS], dense_b[VKA_MAX_DIMS];
    vka__dense_strides(a, dense_a);
    vka__dense_strides(b, dense_b);
    for (int k = 0; k < rank; k++) {
        int ka = k - (rank - a->ndim), kb = k - (rank - b->ndim);
        int64_t na = ka >= 0 ? a->shape[ka] : 1, nb = kb >= 0 ? b->shape[kb] : 1;
        if (na != nb && na != 1 && nb != 1)
            return vka__err(ctx, VKA_ERR_SHAPE, "%s: cannot broadcast a %s with b %s (axis %d: %lld vs %lld)", OP,
                            vka__tdesc(a, da, sizeof da), vka__tdesc(b, db, sizeof db), k - rank, (long long)na,
                            (long long)nb);
        shape[k] = na == 1 ? nb : na;
        st[0][k] = na == 1 ? 0 : dense_a[ka];
        st[1][k] = nb == 1 ? 0 : dense_b[kb];
    }
    bool y_ok = y->ndim == rank;
    for (int k = 0; k < rank && y_ok; k++)
        y_ok = y->shape[k] == shape[k];
    if (!y_ok) {
        char sb[160] = "[";
        for (int k = 0; k < rank; k++)
            snprintf(sb + strlen(sb), sizeof sb - strlen(sb), k ? ", %lld" : "%lld", (long long)shape[k]);
        strncat(sb, "]", sizeof sb - strlen(sb) - 1);
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: y %s does not have the broadcast shape %s of a %s and b %s", OP,
                        vka__tdesc(y, dy, sizeof dy), sb, vka__tdesc(a, da, sizeof da), vka__tdesc(b, db, sizeof db));
    }
    if ((s = check_alias(ctx, OP, a, "a", y)) || (s = check_alias(ctx, OP, b, "b", y)) ||
        (s = check_count(ctx, OP, y)) || (s = check_count(ctx, OP, a)) || (s = check_count(ctx, OP, b)))
        return s;
    if (y->numel == 0)
        return VKA_OK;

    rank = vka__merge_axes(rank, shape, 2, st);
    uint32_t mode = MODE_STRIDED;
    if (rank == 1 && st[0][0] == 1 && st[1][0] == 1)
        mode = MODE_DENSE;
    else if (rank == 1 && st[0][0] == 1 && st[1][0] == 0)
        mode = MODE_B_SCALAR;
    else if (rank == 1 && st[0][0] == 0 && st[1][0] == 1)
        mode = MODE_A_SCALAR;
    vka__binary_push pc = {.n = (uint32_t)y->numel, .off_a = vka__off(a), .off_b = vka__off(b),
                           .off_y = vka__off(y), .rank = (uint32_t)rank};
    for (int k = 0; k < rank; k++) {
        pc.shape[k] = (uint32_t)shape[k];
        pc.sa[k] = (uint32_t)st[0][k];
        pc.sb[k] = (uint32_t)st[1][k];
    }
    /* strided with rows of at least 8: 4 elements of one row per invocation
     * (mode 4; shorter rows would leave most of a chunk idle) */
    uint64_t invocations = (y->numel + 3) / 4, len = (uint64_t)shape[rank - 1];
    if (mode == MODE_STRIDED && len >= 8) {
        mode = MODE_ROWS;
        invocations = (uint64_t)y->numel / len * ((len + 3) / 4);
    }
    uint32_t spec[3] = {(uint32_t)op, mode, (uint32_t)rank};
    uint32_t gx, gy;
    vka__grid1d(ctx, (invocations + ELEMS_PER_GROUP / 4 - 1) / (ELEMS_PER_GROUP / 4), &gx, &gy);
    vka__binding bind[] = {{a, 0}, {b, 0}, {y, 1}};
    char name[32]; /* binary_f32, binary_f16 or binary_i32 */
    return vka__dispatch(cmd, vka__variant(name, sizeof name, "binary", y->dtype), spec, 3, bind, 3, &pc, sizeof pc,
                         gx, gy, 1);
}

vka_status vka_unary(vka_cmd *cmd, vka_unary_op op, vka_tensor *x, vka_tensor *y)
{
    static const char *OP = "vka_unary";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((unsigned)op >= VKA_UNARY_COUNT)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: unknown op %d", OP, (int)op);
    if ((s = check_ctx(ctx, OP, x, "x")) || (s = check_ctx(ctx, OP, y, "y")) ||
        (s = check_numeric(ctx, OP, x, "x", NULL, NULL)) || (s = check_numeric(ctx, OP, y, "y", x, "x")) ||
        (s = vka__check_same_dtype(ctx, OP, x, y)))
        return s;
    char dx[256], dy[256];
    /* on integers only what ONNX graphs use on indices; the others are float math */
    if (x->dtype == VKA_I32 && op != VKA_NEG && op != VKA_ABS)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED,
                        "%s: op %d on i32 tensor x %s is not supported; i32 has neg and abs only", OP, (int)op,
                        vka__tdesc(x, dx, sizeof dx));
    if (!vka__same_shape(x, y))
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: x %s and y %s differ in shape", OP, vka__tdesc(x, dx, sizeof dx),
                        vka__tdesc(y, dy, sizeof dy));
    if ((s = check_alias(ctx, OP, x, "x", y)) || (s = check_count(ctx, OP, x)))
        return s;
    if (x->numel == 0)
        return VKA_OK;
    vka__unary_push pc = {(uint32_t)x->numel, vka__off(x), vka__off(y)};
    uint32_t spec[1] = {(uint32_t)op};
    uint32_t gx, gy;
    vka__grid1d(ctx, (x->numel + ELEMS_PER_GROUP - 1) / ELEMS_PER_GROUP, &gx, &gy);
    vka__binding bind[] = {{x, 0}, {y, 1}};
    char name[32]; /* unary_f32, unary_f16 or unary_i32 */
    return vka__dispatch(cmd, vka__variant(name, sizeof name, "unary", x->dtype), spec, 1, bind, 2, &pc, sizeof pc,
                         gx, gy, 1);
}

/* float -> int truncates toward zero like C; values beyond the int32 range
 * saturate and NaN becomes 0 (where C is undefined). int -> float and
 * f32 -> f16 round to nearest even; f32 beyond ±65504 becomes ±inf in f16. */
vka_status vka_cast(vka_cmd *cmd, vka_tensor *x, vka_tensor *y)
{
    static const char *OP = "vka_cast";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((s = check_ctx(ctx, OP, x, "x")) || (s = check_ctx(ctx, OP, y, "y")))
        return s;
    char dx[256], dy[256];
    const vka_tensor *ts[2] = {x, y};
    for (int i = 0; i < 2; i++) {
        vka_dtype t = ts[i]->dtype;
        if (t != VKA_F32 && t != VKA_F16 && t != VKA_I32)
            return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: %s %s is %s; f32, f16 and i32 are supported", OP,
                            i ? "y" : "x", vka__tdesc(ts[i], dx, sizeof dx), vka_dtype_str(t));
        if (t == VKA_F16 && !ctx->info.fp16_storage)
            return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: device \"%s\" has no 16-bit storage for f16 tensor %s",
                            OP, ctx->info.name, vka__tname(ts[i]));
    }
    if (!vka__same_shape(x, y))
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: x %s and y %s differ in shape", OP, vka__tdesc(x, dx, sizeof dx),
                        vka__tdesc(y, dy, sizeof dy));
    if (vka__overlap(x, y))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: y %s overlaps x %s", OP, vka__tdesc(y, dy, sizeof dy),
                        vka__tdesc(x, dx, sizeof dx));
    if ((s = check_count(ctx, OP, x)))
        return s;
    if (x->numel == 0)
        return VKA_OK;
    vka__cast_push pc = {(uint32_t)x->numel, vka__off(x), vka__off(y)};
    /* the dtype enum values are cast.comp's SRC/DST codes */
    uint32_t spec[2] = {(uint32_t)x->dtype, (uint32_t)y->dtype};
    bool f16 = x->dtype == VKA_F16 || y->dtype == VKA_F16;
    uint32_t gx, gy;
    vka__grid1d(ctx, (x->numel + ELEMS_PER_GROUP - 1) / ELEMS_PER_GROUP, &gx, &gy);
    vka__binding bind[] = {{x, 0}, {y, 1}};
    return vka__dispatch(cmd, f16 ? "cast_f16" : "cast_f32", spec, 2, bind, 2, &pc, sizeof pc, gx, gy, 1);
}
