/* SPDX-License-Identifier: MIT */
/* op_resize.c — vka_pad (ONNX Pad, any rank), vka_resize (ONNX Resize over H
 * and W) and vka_clip: the index-mapping and elementwise ops around CNNs. */
#include <math.h>

#include "internal.h"
#include "op_shape.h"

/* keep in sync with shaders/include/pad.glsl */
typedef struct vka__pad_push {
    uint32_t rows;
    uint32_t rank;
    uint32_t yshape[VKA_MAX_DIMS];
    uint32_t xshape[VKA_MAX_DIMS];
    int32_t begin[VKA_MAX_DIMS];
    float value;
    uint32_t off_x, off_y;
} vka__pad_push;
_Static_assert(sizeof(vka__pad_push) <= VKA_PUSH_MAX, "push constants");

/* keep in sync with shaders/resize.comp */
typedef struct vka__resize_push {
    uint32_t total;
    uint32_t h, w, oh, ow;
    int32_t a[2], b[2], d[2];
    uint32_t off_x, off_y;
} vka__resize_push;
_Static_assert(sizeof(vka__resize_push) <= VKA_PUSH_MAX, "push constants");

/* keep in sync with shaders/clip.comp */
typedef struct vka__clip_push {
    uint32_t n;
    float lo, hi;
    uint32_t off_x, off_y;
} vka__clip_push;
_Static_assert(sizeof(vka__clip_push) <= VKA_PUSH_MAX, "push constants");

vka_status vka_pad(vka_cmd *cmd, vka_tensor *x, const int64_t *begin, const int64_t *end, vka_pad_mode mode,
                   float value, vka_tensor *y)
{
    static const char *OP = "vka_pad";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((s = vka__check_float_dims(ctx, OP, x, "x", 0)) || (s = vka__check_float_dims(ctx, OP, y, "y", 0)) ||
        (s = vka__check_same_dtype(ctx, OP, x, y)))
        return s;
    if (!begin || !end)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: begin/end pads are NULL", OP);
    if ((unsigned)mode > VKA_PAD_EDGE)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: unknown mode %d", OP, (int)mode);
    char dx[256], dy[256];
    if (x->ndim != y->ndim || x->ndim < 1)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: x %s and y %s differ in rank", OP, vka__tdesc(x, dx, sizeof dx),
                        vka__tdesc(y, dy, sizeof dy));
    for (int d = 0; d < x->ndim; d++) {
        int64_t n = x->shape[d] + begin[d] + end[d];
        if (y->shape[d] != n || n < 0)
            return vka__err(ctx, VKA_ERR_SHAPE, "%s: y %s has %lld on axis %d; x %s padded by %lld + %lld gives %lld",
                            OP, vka__tdesc(y, dy, sizeof dy), (long long)y->shape[d], d, vka__tdesc(x, dx, sizeof dx),
                            (long long)begin[d], (long long)end[d], (long long)n);
        if (mode != VKA_PAD_CONSTANT && n > 0 && x->shape[d] == 0)
            return vka__err(ctx, VKA_ERR_SHAPE, "%s: cannot %s-pad the empty axis %d of x %s", OP,
                            mode == VKA_PAD_REFLECT ? "reflect" : "edge", d, vka__tdesc(x, dx, sizeof dx));
        if (mode == VKA_PAD_REFLECT && (begin[d] >= x->shape[d] || end[d] >= x->shape[d]) && x->shape[d] > 1)
            return vka__err(ctx, VKA_ERR_SHAPE, "%s: reflect pads %lld, %lld of axis %d must be smaller than x %s's %lld",
                            OP, (long long)begin[d], (long long)end[d], d, vka__tdesc(x, dx, sizeof dx),
                            (long long)x->shape[d]);
    }
    if (vka__overlap(x, y))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: y %s overlaps x %s", OP, vka__tdesc(y, dy, sizeof dy),
                        vka__tdesc(x, dx, sizeof dx));
    if (y->numel == 0)
        return VKA_OK;
    int64_t len = y->shape[y->ndim - 1];
    vka__pad_push pc = {.rows = (uint32_t)(y->numel / len), .rank = (uint32_t)x->ndim, .value = value,
                        .off_x = vka__off(x), .off_y = vka__off(y)};
    for (int d = 0; d < x->ndim; d++) {
        pc.yshape[d] = (uint32_t)y->shape[d];
        pc.xshape[d] = (uint32_t)(x->shape[d] ? x->shape[d] : 1);
        pc.begin[d] = (int32_t)begin[d];
    }
    /* an empty x only ever yields the constant (mode 3): never read it */
    uint32_t spec[2] = {x->numel ? (uint32_t)mode : 3u, (uint32_t)x->ndim}, g[3];
    if ((s = vka__grid_rows(ctx, OP, (uint64_t)(y->numel / len), (uint64_t)len, g)))
        return s;
    int tex = vka__rows_x_texel(ctx, x, "VKATTN_PAD_TEXEL");
    vka__binding b[] = {{x->numel ? x : NULL, tex}, {y, 1}};
    char name[32];
    return vka__dispatch(cmd, vka__variant(name, sizeof name, tex ? "pad_tex" : "pad", y->dtype), spec, 2, b, 2, &pc,
                         sizeof pc, g[0], g[1], g[2]);
}

/* A float32 scale as an exact fraction p/q (q a power of two). */
static void scale_fraction(float s, int64_t *p, int64_t *q)
{
    int e;
    double m = frexp((double)s, &e); /* s = m·2^e, m in [0.5, 1) */
    int64_t mi = (int64_t)ldexp(m, 24), qi = 1;
    e -= 24;
    if (e > 30 || e < -60) { /* far outside what the kernel represents: the caller refuses it */
        *p = *q = INT64_MAX / 4;
        return;
    }
    if (e >= 0) {
        mi <<= e;
    } else {
        while (e < 0 && !(mi & 1))
            mi >>= 1, e++;
        qi = (int64_t)1 << -e;
    }
    *p = mi, *q = qi;
}

/* Source coordinate (a·o + b) / d of output index o along one axis. */
static int axis_map(vka_coord_mode coord, int64_t in, int64_t out, int64_t p, int64_t q, int64_t *a, int64_t *b,
                    int64_t *d)
{
    switch (coord) {
    case VKA_COORD_ASYMMETRIC: /* o / s = o·q / p */
        *a = q, *b = 0, *d = p;
        return 0;
    case VKA_COORD_PYTORCH_HALF_PIXEL:
        if (out == 1) {
            *a = 0, *b = 0, *d = 1;
            return 0;
        }
        /* fall through */
    case VKA_COORD_HALF_PIXEL: /* (o + 1/2)/s - 1/2 = ((2o + 1)·q - p) / 2p */
        *a = 2 * q, *b = q - p, *d = 2 * p;
        return 0;
    case VKA_COORD_ALIGN_CORNERS:
        if (out == 1)
            *a = 0, *b = 0, *d = 1;
        else
            *a = in - 1, *b = 0, *d = out - 1;
        return 0;
    }
    return -1;
}

vka_status vka_resize(vka_cmd *cmd, vka_tensor *x, vka_interp mode, vka_coord_mode coord,
                      vka_nearest_mode nearest, const float *scales, vka_tensor *y)
{
    static const char *OP = "vka_resize";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((s = vka__check_float_dims(ctx, OP, x, "x", 0)) || (s = vka__check_float_dims(ctx, OP, y, "y", 0)) ||
        (s = vka__check_same_dtype(ctx, OP, x, y)))
        return s;
    if ((unsigned)mode > VKA_INTERP_LINEAR || (unsigned)coord > VKA_COORD_ASYMMETRIC ||
        (unsigned)nearest > VKA_NEAREST_CEIL)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: unknown mode %d, coordinate mode %d or nearest mode %d", OP,
                        (int)mode, (int)coord, (int)nearest);
    char dx[256], dy[256];
    if (x->ndim != 4 || y->ndim != 4 || x->shape[0] != y->shape[0] || x->shape[1] != y->shape[1])
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: x %s and y %s must be [N, C, H, W] and [N, C, OH, OW]", OP,
                        vka__tdesc(x, dx, sizeof dx), vka__tdesc(y, dy, sizeof dy));
    if (vka__overlap(x, y))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: y %s overlaps x %s", OP, vka__tdesc(y, dy, sizeof dy),
                        vka__tdesc(x, dx, sizeof dx));
    if (y->numel == 0)
        return VKA_OK;
    if (x->numel == 0)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: x %s is empty but y %s is not", OP, vka__tdesc(x, dx, sizeof dx),
                        vka__tdesc(y, dy, sizeof dy));
    vka__resize_push pc = {(uint32_t)y->numel, (uint32_t)x->shape[2], (uint32_t)x->shape[3], (uint32_t)y->shape[2],
                           (uint32_t)y->shape[3], {0, 0}, {0, 0}, {1, 1}, vka__off(x), vka__off(y)};
    for (int k = 0; k < 2; k++) {
        int64_t in = x->shape[2 + k], out = y->shape[2 + k], p = out, q = in, a, b, d;
        if (scales) {
            if (!(scales[k] > 0) || !isfinite(scales[k]))
                return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: scale %g of axis %d must be positive", OP,
                                (double)scales[k], 2 + k);
            /* ONNX: the output length is floor(in · scale) */
            if ((int64_t)floor((double)in * scales[k]) != out)
                return vka__err(ctx, VKA_ERR_SHAPE, "%s: y %s has %lld on axis %d; x %s scaled by %g gives %lld", OP,
                                vka__tdesc(y, dy, sizeof dy), (long long)out, 2 + k, vka__tdesc(x, dx, sizeof dx),
                                (double)scales[k], (long long)floor((double)in * scales[k]));
            scale_fraction(scales[k], &p, &q);
        }
        if (p > (1 << 28) || q > (1 << 28) || axis_map(coord, in, out, p, q, &a, &b, &d))
            return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: scale %g of axis %d is not a fraction the kernel represents "
                            "exactly", OP, scales ? (double)scales[k] : (double)out / (double)in, 2 + k);
        /* the kernel forms 2·(a·o + b) + d in int32 */
        int64_t lo = b < a * (out - 1) + b ? b : a * (out - 1) + b, hi = b > a * (out - 1) + b ? b : a * (out - 1) + b;
        int64_t big = (hi > -lo ? hi : -lo) * 2 + 2 * d;
        if (big >= INT32_MAX)
            return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: axis %d (%lld -> %lld, scale %g) needs coordinates beyond "
                            "32-bit integers", OP, 2 + k, (long long)in, (long long)out,
                            scales ? (double)scales[k] : (double)out / (double)in);
        pc.a[k] = (int32_t)a, pc.b[k] = (int32_t)b, pc.d[k] = (int32_t)d;
    }
    uint32_t spec[2] = {(uint32_t)mode, (uint32_t)nearest}, gx, gy;
    vka__grid1d(ctx, ((uint64_t)y->numel + 255) / 256, &gx, &gy);
    vka__binding bind[] = {{x, 0}, {y, 1}};
    char name[32];
    return vka__dispatch(cmd, vka__variant(name, sizeof name, "resize", x->dtype), spec, 2, bind, 2, &pc, sizeof pc,
                         gx, gy, 1);
}

vka_status vka_clip(vka_cmd *cmd, vka_tensor *x, float lo, float hi, vka_tensor *y)
{
    static const char *OP = "vka_clip";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((s = vka__check_float_dims(ctx, OP, x, "x", 0)) || (s = vka__check_float_dims(ctx, OP, y, "y", 0)) ||
        (s = vka__check_same_dtype(ctx, OP, x, y)))
        return s;
    char dx[256], dy[256];
    if (!vka__same_shape(x, y))
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: x %s and y %s differ in shape", OP, vka__tdesc(x, dx, sizeof dx),
                        vka__tdesc(y, dy, sizeof dy));
    if (vka__overlap(x, y) && !vka__same_memory(x, y))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: y %s overlaps x %s without being the same elements", OP,
                        vka__tdesc(y, dy, sizeof dy), vka__tdesc(x, dx, sizeof dx));
    if (x->numel == 0)
        return VKA_OK;
    vka__clip_push pc = {(uint32_t)x->numel, lo, hi, vka__off(x), vka__off(y)};
    uint32_t gx, gy;
    vka__grid1d(ctx, ((uint64_t)x->numel + 1023) / 1024, &gx, &gy);
    vka__binding b[] = {{x, 0}, {y, 1}};
    char name[32];
    return vka__dispatch(cmd, vka__variant(name, sizeof name, "clip", x->dtype), NULL, 0, b, 2, &pc, sizeof pc,
                         gx, gy, 1);
}
