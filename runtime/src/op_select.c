/* SPDX-License-Identifier: MIT */
/* op_select.c — index and selection ops of the detection heads: vka_topk,
 * vka_gather, vka_gather_elements, vka_tile, vka_where, vka_compare. Integer
 * tensors are I32; data-moving ops carry F32, F16 and I32 values bit for bit. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "op_shape.h"

#define WG 256u
#define TOPK_MAX_SORT 2048   /* shared-memory sort size (16 KiB of keys + indices) */
#define TOPK_MAX_N (1 << 19) /* keeps the select passes under lavapipe's loop budget */
/* topk_row.comp (a row per invocation) for rows up to this long with k up to
 * TOPK_ROW_MAX_K: n·KMAX compare-and-swaps per row beat a workgroup sort's
 * log²(n) barriers (DEIMv2's 400 rows of 33, k = 4: ~30 ms as 400 workgroup
 * sorts on lavapipe). */
#define TOPK_ROW_MAX_N 256
#define TOPK_ROW_MAX_K 32
#define TOPK_ROW_WG 64u

/* keep in sync with shaders/topk.comp */
typedef struct vka__topk_push {
    uint32_t rows, n, k;
    uint32_t m;                  /* power of two >= the items to sort */
    uint32_t off_x, off_v, off_i;
} vka__topk_push;
_Static_assert(sizeof(vka__topk_push) <= VKA_PUSH_MAX, "push constants");

/* keep in sync with shaders/gather.comp */
typedef struct vka__gather_push {
    uint32_t n;                  /* elements of y */
    uint32_t axis_n;             /* x.shape[axis] */
    uint32_t inner;              /* product of x's axes after axis */
    uint32_t ni;                 /* elements of indices */
    uint32_t off_x, off_i, off_y;
} vka__gather_push;
_Static_assert(sizeof(vka__gather_push) <= VKA_PUSH_MAX, "push constants");

/* keep in sync with shaders/gather_elements.comp */
typedef struct vka__gather_elements_push {
    uint32_t n;
    uint32_t rank, axis;
    uint32_t axis_n;
    uint32_t off_x, off_i, off_y;
    uint32_t shape[VKA_MAX_DIMS];   /* of indices / y */
    uint32_t xstride[VKA_MAX_DIMS]; /* element strides of x */
} vka__gather_elements_push;
_Static_assert(sizeof(vka__gather_elements_push) <= VKA_PUSH_MAX, "push constants");

/* keep in sync with shaders/tile.comp */
typedef struct vka__tile_push {
    uint32_t n, rank;
    uint32_t off_x, off_y;
    uint32_t yshape[VKA_MAX_DIMS];
    uint32_t xshape[VKA_MAX_DIMS];
} vka__tile_push;
_Static_assert(sizeof(vka__tile_push) <= VKA_PUSH_MAX, "push constants");

#define WHERE_MAX_RANK 6
/* keep in sync with shaders/include/where_body.glsl */
typedef struct vka__where_push {
    uint32_t n, rank;
    uint32_t off_c, off_a, off_b, off_y;
    uint32_t shape[WHERE_MAX_RANK];
    uint32_t sc[WHERE_MAX_RANK];
    uint32_t sa[WHERE_MAX_RANK];
    uint32_t sb[WHERE_MAX_RANK];
} vka__where_push;
_Static_assert(sizeof(vka__where_push) <= VKA_PUSH_MAX, "push constants");

/* keep in sync with shaders/compare.comp */
typedef struct vka__compare_push {
    uint32_t n, rank;
    uint32_t off_a, off_b, off_y;
    uint32_t shape[VKA_MAX_DIMS];
    uint32_t sa[VKA_MAX_DIMS];
    uint32_t sb[VKA_MAX_DIMS];
} vka__compare_push;
_Static_assert(sizeof(vka__compare_push) <= VKA_PUSH_MAX, "push constants");

/* ---------------------------------------------------------------- checks */

static vka_status check_t(vka_context *ctx, const char *op, const vka_tensor *t, const char *what)
{
    if (!t)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s is NULL", op, what);
    if (t->ctx != ctx)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s belongs to another context", op, what);
    if (t->numel > INT32_MAX) {
        char d[256];
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: %s %s has over 2^31-1 elements", op, what,
                        vka__tdesc(t, d, sizeof d));
    }
    if (t->dtype == VKA_F16 && !ctx->info.fp16_storage)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: device \"%s\" has no 16-bit storage for f16 %s", op,
                        ctx->info.name, what);
    return VKA_OK;
}

/* A dtype the data-moving kernels carry: F32, F16 or I32. */
static vka_status check_data(vka_context *ctx, const char *op, const vka_tensor *t, const char *what)
{
    vka_status s = check_t(ctx, op, t, what);
    if (!s && t->dtype != VKA_F32 && t->dtype != VKA_F16 && t->dtype != VKA_I32) {
        char d[256];
        s = vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: %s %s is %s; f32, f16 and i32 are supported", op, what,
                     vka__tdesc(t, d, sizeof d), vka_dtype_str(t->dtype));
    }
    return s;
}

static vka_status check_dtype(vka_context *ctx, const char *op, const vka_tensor *t, const char *what, vka_dtype want)
{
    if (t->dtype != want) {
        char d[256];
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: %s %s is %s; %s expected", op, what, vka__tdesc(t, d, sizeof d),
                        vka_dtype_str(t->dtype), vka_dtype_str(want));
    }
    return VKA_OK;
}

static vka_status check_same(vka_context *ctx, const char *op, const vka_tensor *a, const char *wa,
                             const vka_tensor *b, const char *wb)
{
    if (a->dtype != b->dtype) {
        char d1[256], d2[256];
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: %s %s is %s but %s %s is %s", op, wa, vka__tdesc(a, d1, sizeof d1),
                        vka_dtype_str(a->dtype), wb, vka__tdesc(b, d2, sizeof d2), vka_dtype_str(b->dtype));
    }
    return VKA_OK;
}

static vka_status check_no_overlap(vka_context *ctx, const char *op, const vka_tensor *y, const char *wy,
                                   const vka_tensor *in, const char *win)
{
    if (vka__overlap(in, y)) {
        char d1[256], d2[256];
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s %s overlaps %s %s", op, wy, vka__tdesc(y, d1, sizeof d1),
                        win, vka__tdesc(in, d2, sizeof d2));
    }
    return VKA_OK;
}

static const char *shape_of(char *buf, size_t n, int rank, const int64_t *s)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < rank && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ", %lld" : "%lld", (long long)s[i]);
    if (k < n)
        snprintf(buf + k, n - k, "]");
    return buf;
}

static bool shape_is(const vka_tensor *t, int rank, const int64_t *s)
{
    if (t->ndim != rank)
        return false;
    for (int k = 0; k < rank; k++)
        if (t->shape[k] != s[k])
            return false;
    return true;
}

/* ONNX-style axis (negative from the end) into [0, rank), or -1. */
static int norm_axis(int axis, int rank)
{
    if (axis < 0)
        axis += rank;
    return axis >= 0 && axis < rank ? axis : -1;
}

static vka_status dispatch_1d(vka_cmd *cmd, const char *base, vka_dtype dt, const vka__binding *b, int nb,
                              const uint32_t *spec, int nspec, const void *pc, size_t size, int64_t n)
{
    uint32_t gx, gy;
    vka__grid1d(cmd->ctx, ((uint64_t)n + WG - 1) / WG, &gx, &gy);
    char name[48];
    /* I32 data moves through the f32 variant's 32-bit words */
    return vka__dispatch(cmd, vka__variant(name, sizeof name, base, dt == VKA_F16 ? VKA_F16 : VKA_F32), spec, nspec,
                         b, nb, pc, size, gx, gy, 1);
}

/* ---------------------------------------------------------------- topk */

vka_status vka_topk(vka_cmd *cmd, vka_tensor *x, int64_t k, int largest, int sorted, vka_tensor *values,
                    vka_tensor *indices)
{
    static const char *OP = "vka_topk";
    (void)sorted; /* always sorted: best first, ties by index */
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((s = check_t(ctx, OP, x, "x")) || (s = check_t(ctx, OP, values, "values")) ||
        (s = check_t(ctx, OP, indices, "indices")) || (s = vka__check_float(ctx, OP, x, "x")) ||
        (s = check_same(ctx, OP, x, "x", values, "values")) ||
        (s = check_dtype(ctx, OP, indices, "indices", VKA_I32)))
        return s;
    char dx[256], ds[160];
    if (x->ndim < 1)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: x %s has no axis", OP, vka__tdesc(x, dx, sizeof dx));
    int64_t n = x->shape[x->ndim - 1];
    if (k < 0 || k > n)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: k = %lld is outside [0, %lld] for x %s", OP, (long long)k,
                        (long long)n, vka__tdesc(x, dx, sizeof dx));
    int64_t want[VKA_MAX_DIMS];
    memcpy(want, x->shape, sizeof want[0] * (size_t)x->ndim);
    want[x->ndim - 1] = k;
    if (!shape_is(values, x->ndim, want) || !shape_is(indices, x->ndim, want)) {
        char dv[256], di[256];
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: values %s and indices %s must be %s for x %s and k = %lld", OP,
                        vka__tdesc(values, dv, sizeof dv), vka__tdesc(indices, di, sizeof di),
                        shape_of(ds, sizeof ds, x->ndim, want), vka__tdesc(x, dx, sizeof dx), (long long)k);
    }
    if ((s = check_no_overlap(ctx, OP, values, "values", x, "x")) ||
        (s = check_no_overlap(ctx, OP, indices, "indices", x, "x")) ||
        (s = check_no_overlap(ctx, OP, indices, "indices", values, "values")))
        return s;
    /* VKATTN_TOPK_VARIANT=row|group overrides the choice (tests, benchmarks) */
    const char *var = getenv("VKATTN_TOPK_VARIANT");
    int row = n <= TOPK_ROW_MAX_N && k <= TOPK_ROW_MAX_K;
    if (var && strcmp(var, "group") == 0)
        row = 0;
    else if (var && strcmp(var, "row") == 0 && n <= TOPK_MAX_SORT && k <= TOPK_ROW_MAX_K)
        row = 1;
    uint32_t mode = n <= TOPK_MAX_SORT ? 0u : 1u;
    if (mode == 1 && (k > TOPK_MAX_SORT || n > TOPK_MAX_N))
        return vka__err(ctx, VKA_ERR_UNSUPPORTED,
                        "%s: x %s with k = %lld: rows over %d need k <= %d, and at most %d elements", OP,
                        vka__tdesc(x, dx, sizeof dx), (long long)k, TOPK_MAX_SORT, TOPK_MAX_SORT, TOPK_MAX_N);
    int64_t rows = n ? x->numel / n : 0;
    if (k == 0 || rows == 0)
        return VKA_OK;
    uint32_t items = mode == 0 ? (uint32_t)n : (uint32_t)k, m = 1;
    while (m < items)
        m <<= 1;
    if (m < 2)
        m = 2;
    vka__topk_push pc = {.rows = (uint32_t)rows, .n = (uint32_t)n, .k = (uint32_t)k, .m = m,
                         .off_x = vka__off(x), .off_v = vka__off(values), .off_i = vka__off(indices)};
    vka__binding b[] = {{x, 0}, {values, 1}, {indices, 1}};
    char name[32];
    uint32_t gx, gy;
    if (row) {
        uint32_t kmax = 1;
        while (kmax < (uint32_t)k)
            kmax <<= 1;
        uint32_t spec[3] = {TOPK_ROW_WG, kmax, largest ? 1u : 0u};
        vka__grid1d(ctx, ((uint64_t)rows + TOPK_ROW_WG - 1) / TOPK_ROW_WG, &gx, &gy);
        return vka__dispatch(cmd, vka__variant(name, sizeof name, "topk_row", x->dtype), spec, 3, b, 3, &pc,
                             sizeof pc, gx, gy, 1);
    }
    uint32_t spec[3] = {WG, mode, largest ? 1u : 0u};
    vka__grid1d(ctx, (uint64_t)rows, &gx, &gy);
    return vka__dispatch(cmd, vka__variant(name, sizeof name, "topk", x->dtype), spec, 3, b, 3, &pc, sizeof pc, gx,
                         gy, 1);
}

/* ---------------------------------------------------------------- gathers */

vka_status vka_gather(vka_cmd *cmd, vka_tensor *x, vka_tensor *indices, int axis, vka_tensor *y)
{
    static const char *OP = "vka_gather";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((s = check_data(ctx, OP, x, "x")) || (s = check_t(ctx, OP, indices, "indices")) ||
        (s = check_data(ctx, OP, y, "y")) || (s = check_dtype(ctx, OP, indices, "indices", VKA_I32)) ||
        (s = check_same(ctx, OP, x, "x", y, "y")))
        return s;
    char dx[256], di[256], dy[256], ds[160];
    int ax = norm_axis(axis, x->ndim);
    if (ax < 0)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: axis %d is outside x %s", OP, axis, vka__tdesc(x, dx, sizeof dx));
    int rank = x->ndim - 1 + indices->ndim;
    if (rank > VKA_MAX_DIMS)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: x %s gathered by indices %s has over %d axes", OP,
                        vka__tdesc(x, dx, sizeof dx), vka__tdesc(indices, di, sizeof di), VKA_MAX_DIMS);
    int64_t want[VKA_MAX_DIMS], outer = 1, inner = 1;
    int r = 0;
    for (int k = 0; k < ax; k++)
        outer *= want[r++] = x->shape[k];
    for (int k = 0; k < indices->ndim; k++)
        want[r++] = indices->shape[k];
    for (int k = ax + 1; k < x->ndim; k++)
        inner *= want[r++] = x->shape[k];
    if (!shape_is(y, rank, want))
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: y %s must be %s for x %s, indices %s, axis %d", OP,
                        vka__tdesc(y, dy, sizeof dy), shape_of(ds, sizeof ds, rank, want),
                        vka__tdesc(x, dx, sizeof dx), vka__tdesc(indices, di, sizeof di), axis);
    if ((s = check_no_overlap(ctx, OP, y, "y", x, "x")) ||
        (s = check_no_overlap(ctx, OP, y, "y", indices, "indices")))
        return s;
    if (y->numel == 0)
        return VKA_OK;
    (void)outer;
    vka__gather_push pc = {.n = (uint32_t)y->numel, .axis_n = (uint32_t)x->shape[ax], .inner = (uint32_t)inner,
                           .ni = (uint32_t)indices->numel, .off_x = vka__off(x), .off_i = vka__off(indices),
                           .off_y = vka__off(y)};
    uint32_t spec[1] = {WG};
    vka__binding b[] = {{x, 0}, {indices, 0}, {y, 1}};
    return dispatch_1d(cmd, "gather", x->dtype, b, 3, spec, 1, &pc, sizeof pc, y->numel);
}

vka_status vka_gather_elements(vka_cmd *cmd, vka_tensor *x, vka_tensor *indices, int axis, vka_tensor *y)
{
    static const char *OP = "vka_gather_elements";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((s = check_data(ctx, OP, x, "x")) || (s = check_t(ctx, OP, indices, "indices")) ||
        (s = check_data(ctx, OP, y, "y")) || (s = check_dtype(ctx, OP, indices, "indices", VKA_I32)) ||
        (s = check_same(ctx, OP, x, "x", y, "y")))
        return s;
    char dx[256], di[256], dy[256];
    int ax = norm_axis(axis, x->ndim);
    if (ax < 0)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: axis %d is outside x %s", OP, axis, vka__tdesc(x, dx, sizeof dx));
    bool ok = indices->ndim == x->ndim;
    for (int k = 0; k < x->ndim && ok; k++)
        ok = k == ax || indices->shape[k] <= x->shape[k];
    if (!ok)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: indices %s must have x %s's rank and no larger axes but %d", OP,
                        vka__tdesc(indices, di, sizeof di), vka__tdesc(x, dx, sizeof dx), axis);
    if (!vka__same_shape(indices, y))
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: y %s must be shaped like indices %s", OP,
                        vka__tdesc(y, dy, sizeof dy), vka__tdesc(indices, di, sizeof di));
    if ((s = check_no_overlap(ctx, OP, y, "y", x, "x")) ||
        (s = check_no_overlap(ctx, OP, y, "y", indices, "indices")))
        return s;
    if (y->numel == 0)
        return VKA_OK;
    vka__gather_elements_push pc = {.n = (uint32_t)y->numel, .rank = (uint32_t)x->ndim, .axis = (uint32_t)ax,
                                    .axis_n = (uint32_t)x->shape[ax], .off_x = vka__off(x),
                                    .off_i = vka__off(indices), .off_y = vka__off(y)};
    int64_t st[VKA_MAX_DIMS];
    vka__dense_strides(x, st);
    for (int k = 0; k < x->ndim; k++) {
        pc.shape[k] = (uint32_t)indices->shape[k];
        pc.xstride[k] = (uint32_t)st[k];
    }
    uint32_t spec[1] = {WG};
    vka__binding b[] = {{x, 0}, {indices, 0}, {y, 1}};
    return dispatch_1d(cmd, "gather_elements", x->dtype, b, 3, spec, 1, &pc, sizeof pc, y->numel);
}

/* ---------------------------------------------------------------- tile */

vka_status vka_tile(vka_cmd *cmd, vka_tensor *x, const int64_t *repeats, vka_tensor *y)
{
    static const char *OP = "vka_tile";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((s = check_data(ctx, OP, x, "x")) || (s = check_data(ctx, OP, y, "y")) ||
        (s = check_same(ctx, OP, x, "x", y, "y")))
        return s;
    if (!repeats)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: repeats is NULL", OP);
    char dx[256], dy[256], ds[160];
    int64_t want[VKA_MAX_DIMS];
    for (int k = 0; k < x->ndim; k++) {
        if (repeats[k] < 0)
            return vka__err(ctx, VKA_ERR_SHAPE, "%s: repeats[%d] = %lld is negative (x %s)", OP, k,
                            (long long)repeats[k], vka__tdesc(x, dx, sizeof dx));
        want[k] = x->shape[k] * repeats[k];
    }
    if (!shape_is(y, x->ndim, want))
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: y %s must be %s for x %s tiled", OP, vka__tdesc(y, dy, sizeof dy),
                        shape_of(ds, sizeof ds, x->ndim, want), vka__tdesc(x, dx, sizeof dx));
    if ((s = check_no_overlap(ctx, OP, y, "y", x, "x")))
        return s;
    if (y->numel == 0)
        return VKA_OK;
    vka__tile_push pc = {.n = (uint32_t)y->numel, .rank = (uint32_t)(x->ndim ? x->ndim : 1), .off_x = vka__off(x),
                         .off_y = vka__off(y)};
    pc.yshape[0] = pc.xshape[0] = 1;
    for (int k = 0; k < x->ndim; k++) {
        pc.yshape[k] = (uint32_t)want[k];
        pc.xshape[k] = (uint32_t)x->shape[k];
    }
    uint32_t spec[1] = {WG};
    vka__binding b[] = {{x, 0}, {y, 1}};
    return dispatch_1d(cmd, "tile", x->dtype, b, 2, spec, 1, &pc, sizeof pc, y->numel);
}

/* ---------------------------------------------------------------- broadcasting */

/* numpy broadcast of n operands to y: fills shape and strides (0 on broadcast
 * axes), checks y, merges axes; returns the rank or -1 after setting the error. */
static int broadcast(vka_context *ctx, const char *op, int n, vka_tensor *const *t, const char *const *names,
                     const vka_tensor *y, int64_t *shape, int64_t (*st)[VKA_MAX_DIMS])
{
    int rank = 0;
    for (int i = 0; i < n; i++)
        if (t[i]->ndim > rank)
            rank = t[i]->ndim;
    for (int k = 0; k < rank; k++) {
        shape[k] = 1;
        for (int i = 0; i < n; i++) {
            int ki = k - (rank - t[i]->ndim);
            int64_t d = ki >= 0 ? t[i]->shape[ki] : 1;
            if (d != 1 && shape[k] != 1 && d != shape[k]) {
                char d1[256];
                vka__err(ctx, VKA_ERR_SHAPE, "%s: cannot broadcast %s %s on axis %d (%lld vs %lld)", op, names[i],
                         vka__tdesc(t[i], d1, sizeof d1), k - rank, (long long)d, (long long)shape[k]);
                return -1;
            }
            if (d != 1)
                shape[k] = d;
        }
    }
    if (!shape_is(y, rank, shape)) {
        char dy[256], ds[160];
        vka__err(ctx, VKA_ERR_SHAPE, "%s: y %s does not have the broadcast shape %s", op, vka__tdesc(y, dy, sizeof dy),
                 shape_of(ds, sizeof ds, rank, shape));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        int64_t dense[VKA_MAX_DIMS];
        vka__dense_strides(t[i], dense);
        for (int k = 0; k < rank; k++) {
            int ki = k - (rank - t[i]->ndim);
            st[i][k] = ki >= 0 && t[i]->shape[ki] != 1 ? dense[ki] : 0;
        }
    }
    return vka__merge_axes(rank, shape, n, st);
}

/* ---------------------------------------------------------------- where, compare */

vka_status vka_where(vka_cmd *cmd, vka_tensor *cond, vka_tensor *a, vka_tensor *b, vka_tensor *y)
{
    static const char *OP = "vka_where";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((s = check_t(ctx, OP, cond, "cond")) || (s = check_data(ctx, OP, a, "a")) ||
        (s = check_data(ctx, OP, b, "b")) || (s = check_data(ctx, OP, y, "y")) ||
        (s = check_same(ctx, OP, a, "a", b, "b")) || (s = check_same(ctx, OP, a, "a", y, "y")))
        return s;
    char dc[256];
    if (cond->dtype != VKA_U8 && cond->dtype != VKA_I32)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: cond %s is %s; u8 or i32 expected", OP,
                        vka__tdesc(cond, dc, sizeof dc), vka_dtype_str(cond->dtype));
    if (cond->dtype == VKA_U8) {
        /* where_u8 declares 8-bit storage; without it the pipeline would not build */
        if (!ctx->feat.storage8)
            return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: device \"%s\" lacks storageBuffer8BitAccess for u8 cond %s",
                            OP, ctx->info.name, vka__tdesc(cond, dc, sizeof dc));
    }
    int64_t shape[VKA_MAX_DIMS], st[3][VKA_MAX_DIMS];
    vka_tensor *ts[3] = {cond, a, b};
    static const char *const names[3] = {"cond", "a", "b"};
    int rank = broadcast(ctx, OP, 3, ts, names, y, shape, st);
    if (rank < 0)
        return VKA_ERR_SHAPE;
    for (int i = 0; i < 3; i++)
        if ((s = check_no_overlap(ctx, OP, y, "y", ts[i], names[i])))
            return s;
    if (y->numel == 0)
        return VKA_OK;
    if (rank > WHERE_MAX_RANK) {
        char dy[256];
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: y %s needs %d axes after merging; at most %d are supported",
                        OP, vka__tdesc(y, dy, sizeof dy), rank, WHERE_MAX_RANK);
    }
    vka__where_push pc = {.n = (uint32_t)y->numel, .rank = (uint32_t)rank, .off_c = vka__off(cond),
                          .off_a = vka__off(a), .off_b = vka__off(b), .off_y = vka__off(y)};
    for (int k = 0; k < rank; k++) {
        pc.shape[k] = (uint32_t)shape[k];
        pc.sc[k] = (uint32_t)st[0][k];
        pc.sa[k] = (uint32_t)st[1][k];
        pc.sb[k] = (uint32_t)st[2][k];
    }
    uint32_t spec[1] = {WG};
    vka__binding bind[] = {{cond, 0}, {a, 0}, {b, 0}, {y, 1}};
    return dispatch_1d(cmd, cond->dtype == VKA_U8 ? "where_u8" : "where", y->dtype, bind, 4, spec, 1, &pc, sizeof pc,
                       y->numel);
}

vka_status vka_compare(vka_cmd *cmd, vka_compare_op op, vka_tensor *a, vka_tensor *b, vka_tensor *y)
{
    static const char *OP = "vka_compare";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((unsigned)op >= VKA_CMP_COUNT)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: unknown op %d", OP, (int)op);
    if ((s = check_data(ctx, OP, a, "a")) || (s = check_data(ctx, OP, b, "b")) || (s = check_t(ctx, OP, y, "y")) ||
        (s = check_same(ctx, OP, a, "a", b, "b")) || (s = check_dtype(ctx, OP, y, "y", VKA_I32)))
        return s;
    int64_t shape[VKA_MAX_DIMS], st[2][VKA_MAX_DIMS];
    vka_tensor *ts[2] = {a, b};
    static const char *const names[2] = {"a", "b"};
    int rank = broadcast(ctx, OP, 2, ts, names, y, shape, st);
    if (rank < 0)
        return VKA_ERR_SHAPE;
    /* y of I32 over an I32 input of the same shape is fine element for element */
    for (int i = 0; i < 2; i++)
        if (vka__overlap(ts[i], y) && !(vka__same_memory(ts[i], y) && ts[i]->numel == y->numel) &&
            (s = check_no_overlap(ctx, OP, y, "y", ts[i], names[i])))
            return s;
    if (y->numel == 0)
        return VKA_OK;
    vka__compare_push pc = {.n = (uint32_t)y->numel, .rank = (uint32_t)rank, .off_a = vka__off(a),
                            .off_b = vka__off(b), .off_y = vka__off(y)};
    for (int k = 0; k < rank; k++) {
        pc.shape[k] = (uint32_t)shape[k];
        pc.sa[k] = (uint32_t)st[0][k];
        pc.sb[k] = (uint32_t)st[1][k];
    }
    uint32_t spec[3] = {WG, (uint32_t)op, a->dtype == VKA_I32 ? 1u : 0u};
    vka__binding bind[] = {{a, 0}, {b, 0}, {y, 1}};
    return dispatch_1d(cmd, "compare", a->dtype, bind, 3, spec, 3, &pc, sizeof pc, y->numel);
}
