/* SPDX-License-Identifier: MIT */
/* op_deform.c — vka_grid_sample and vka_deform_attn: bilinear sampling with
 * zeros padding, per ONNX GridSample and per RT-DETR's multi-scale deformable
 * attention (one dispatch for all levels, heads and points). */
#include <string.h>

#include "internal.h"
#include "op_shape.h"

/* keep in sync with shaders/grid_sample.comp */
typedef struct vka__grid_sample_push {
    uint32_t n;                  /* elements of y */
    uint32_t c, h, w;            /* x [N, C, H, W] */
    uint32_t ho, wo;             /* y [N, C, Ho, Wo] */
    uint32_t align_corners;
    uint32_t off_x, off_g, off_y;
} vka__grid_sample_push;
_Static_assert(sizeof(vka__grid_sample_push) <= VKA_PUSH_MAX, "push constants");

/* keep in sync with shaders/deform_attn.comp */
typedef struct vka__deform_push {
    uint32_t n;                  /* invocations: B·Nq·H·nch */
    uint32_t h, d, nch;          /* heads, channels, channel chunks */
    uint32_t l, ptot;            /* levels, Σ points */
    uint32_t off_v, off_loc, off_w, off_out;
    uint32_t sv_b, sv_s, sv_h, sv_d; /* element strides of value */
    uint32_t nq;
    uint32_t hw[VKA_DEFORM_MAX_LEVELS]; /* height << 16 | width */
    uint32_t pts[2];             /* points per level, 8 bits each, level 0 lowest */
} vka__deform_push;
_Static_assert(sizeof(vka__deform_push) <= VKA_PUSH_MAX, "push constants");

#define GRID_WG 256u
#define DEFORM_WG 64u
#define DEFORM_DCH 8u /* channels per invocation: DEIMv2's D, a quarter of RT-DETR's */

static vka_status check_t(vka_context *ctx, const char *op, const vka_tensor *t, const char *what, int ndim)
{
    if (!t)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s is NULL", op, what);
    if (t->ctx != ctx)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s belongs to another context", op, what);
    if (ndim && t->ndim != ndim) {
        char d[256];
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: %s %s must have %d axes", op, what, vka__tdesc(t, d, sizeof d),
                        ndim);
    }
    if (t->numel > INT32_MAX) {
        char d[256];
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: %s %s has over 2^31-1 elements", op, what,
                        vka__tdesc(t, d, sizeof d));
    }
    vka_status s = vka__check_float(ctx, op, t, what);
    if (!s && t->dtype == VKA_F16 && !ctx->info.fp16_storage)
        s = vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: device has no 16-bit storage for f16 %s", op, what);
    return s;
}

static vka_status check_out(vka_context *ctx, const char *op, const vka_tensor *y, int n, vka_tensor *const *in,
                            const char *const *names)
{
    for (int i = 0; i < n; i++)
        if (vka__overlap(in[i], y)) {
            char d1[256], d2[256];
            return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: output %s overlaps %s %s", op, vka__tdesc(y, d1, sizeof d1),
                            names[i], vka__tdesc(in[i], d2, sizeof d2));
        }
    return VKA_OK;
}

vka_status vka_grid_sample(vka_cmd *cmd, vka_tensor *x, vka_tensor *grid, int align_corners, vka_tensor *y)
{
    static const char *OP = "vka_grid_sample";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if ((s = check_t(ctx, OP, x, "x", 4)) || (s = check_t(ctx, OP, grid, "grid", 4)) ||
        (s = check_t(ctx, OP, y, "y", 4)) || (s = vka__check_same_dtype(ctx, OP, x, grid)) ||
        (s = vka__check_same_dtype(ctx, OP, x, y)))
        return s;
    char dx[256], dg[256], dy[256];
    const int64_t *xs = x->shape, *gs = grid->shape, *ys = y->shape;
    if (gs[0] != xs[0] || gs[3] != 2)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: grid %s must be [N, Ho, Wo, 2] with N = %lld of x %s", OP,
                        vka__tdesc(grid, dg, sizeof dg), (long long)xs[0], vka__tdesc(x, dx, sizeof dx));
    if (ys[0] != xs[0] || ys[1] != xs[1] || ys[2] != gs[1] || ys[3] != gs[2])
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: y %s must be [%lld, %lld, %lld, %lld] for x %s and grid %s", OP,
                        vka__tdesc(y, dy, sizeof dy), (long long)xs[0], (long long)xs[1], (long long)gs[1],
                        (long long)gs[2], vka__tdesc(x, dx, sizeof dx), vka__tdesc(grid, dg, sizeof dg));
    vka_tensor *ins[2] = {x, grid};
    static const char *const names[2] = {"x", "grid"};
    if ((s = check_out(ctx, OP, y, 2, ins, names)))
        return s;
    if (y->numel == 0)
        return VKA_OK;
    if (xs[2] == 0 || xs[3] == 0)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: x %s has an empty image", OP, vka__tdesc(x, dx, sizeof dx));
    vka__grid_sample_push pc = {
        .n = (uint32_t)y->numel, .c = (uint32_t)xs[1], .h = (uint32_t)xs[2], .w = (uint32_t)xs[3],
        .ho = (uint32_t)gs[1], .wo = (uint32_t)gs[2], .align_corners = align_corners ? 1u : 0u,
        .off_x = vka__off(x), .off_g = vka__off(grid), .off_y = vka__off(y)};
    uint32_t spec[1] = {GRID_WG}, gx, gy;
    vka__grid1d(ctx, (y->numel + GRID_WG - 1) / GRID_WG, &gx, &gy);
    vka__binding b[] = {{x, 0}, {grid, 0}, {y, 1}};
    char name[32];
    return vka__dispatch(cmd, vka__variant(name, sizeof name, "grid_sample", y->dtype), spec, 1, b, 3, &pc, sizeof pc,
                         gx, gy, 1);
}

vka_deform_attn_desc vka_deform_attn_default_desc(void)
{
    vka_deform_attn_desc d;
    memset(&d, 0, sizeof d);
    d.value_layout = VKA_DEFORM_VALUE_BSHD;
    return d;
}

vka_status vka_deform_attn(vka_cmd *cmd, const vka_deform_attn_desc *d, vka_tensor *value, vka_tensor *loc,
                           vka_tensor *w, vka_tensor *out)
{
    static const char *OP = "vka_deform_attn";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if (!d)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: desc is NULL", OP);
    if ((s = check_t(ctx, OP, value, "value", 4)) || (s = check_t(ctx, OP, loc, "sampling_locations", 0)) ||
        (s = check_t(ctx, OP, w, "attention_weights", 0)) || (s = check_t(ctx, OP, out, "out", 3)) ||
        (s = vka__check_same_dtype(ctx, OP, value, loc)) || (s = vka__check_same_dtype(ctx, OP, value, w)) ||
        (s = vka__check_same_dtype(ctx, OP, value, out)))
        return s;
    int L = d->levels;
    if (L < 1 || L > VKA_DEFORM_MAX_LEVELS)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %d levels; 1 to %d are supported", OP, L,
                        VKA_DEFORM_MAX_LEVELS);
    if (d->value_layout != VKA_DEFORM_VALUE_BSHD && d->value_layout != VKA_DEFORM_VALUE_BHDS)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: unknown value layout %d", OP, (int)d->value_layout);
    char dv[256], dl[256], dw[256], dout[256];
    vka__tdesc(value, dv, sizeof dv);
    vka__tdesc(loc, dl, sizeof dl);
    vka__tdesc(w, dw, sizeof dw);
    vka__tdesc(out, dout, sizeof dout);

    int64_t S = 0;
    for (int l = 0; l < L; l++) {
        int64_t hl = d->spatial_shapes[l][0], wl = d->spatial_shapes[l][1];
        if (hl < 1 || wl < 1 || hl > 65535 || wl > 65535)
            return vka__err(ctx, VKA_ERR_SHAPE, "%s: level %d is %lld x %lld; 1 to 65535 per side", OP, l,
                            (long long)hl, (long long)wl);
        S += hl * wl;
    }
    const int64_t *vs = value->shape;
    int bshd = d->value_layout == VKA_DEFORM_VALUE_BSHD;
    int64_t B = vs[0], H = bshd ? vs[2] : vs[1], D = bshd ? vs[3] : vs[2], Sv = bshd ? vs[1] : vs[3];
    if (Sv != S)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: value %s has S = %lld (layout %s) but the %d levels hold %lld", OP, dv,
                        (long long)Sv, bshd ? "[B, S, H, D]" : "[B, H, D, S]", L, (long long)S);

    /* points per level: given, or one P from the tensors' [.., L, P(, 2)] axes */
    int64_t pts[VKA_DEFORM_MAX_LEVELS], ptot = 0;
    int given = 0;
    for (int l = 0; l < VKA_DEFORM_MAX_LEVELS; l++)
        given |= d->points[l] != 0;
    int split = 0; /* loc as [B, Nq, H, L, P, 2] */
    if (given) {
        for (int l = 0; l < L; l++) {
            if (d->points[l] < 1 || d->points[l] > 255)
                return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: level %d has %d points; 1 to 255 are supported", OP, l,
                                d->points[l]);
            pts[l] = d->points[l];
            ptot += pts[l];
        }
        split = loc->ndim == 6;
    } else {
        split = 1;
        if (loc->ndim != 6)
            return vka__err(ctx, VKA_ERR_SHAPE,
                            "%s: sampling_locations %s must be [B, Nq, H, L, P, 2] (or set desc points per level)", OP,
                            dl);
        if (loc->shape[4] < 1 || loc->shape[4] > 255)
            return vka__err(ctx, VKA_ERR_SHAPE, "%s: sampling_locations %s: 1 to 255 points are supported", OP, dl);
        for (int l = 0; l < L; l++)
            pts[l] = loc->shape[4];
        ptot = loc->shape[4] * L;
    }
    /* expected shapes */
    int64_t nq = loc->ndim >= 2 ? loc->shape[1] : -1;
    int ok = true;
    if (split) {
        int64_t el[6] = {B, nq, H, L, ptot / L, 2};
        ok = loc->ndim == 6 && w->ndim == 5 && ptot % L == 0;
        for (int k = 0; k < 6 && ok; k++)
            ok = loc->shape[k] == el[k] && (k == 5 || w->shape[k] == el[k]);
        for (int l = 0; l < L && ok; l++)
            ok = pts[l] == ptot / L;
    } else {
        int64_t el[5] = {B, nq, H, ptot, 2};
        ok = loc->ndim == 5 && w->ndim == 4;
        for (int k = 0; k < 5 && ok; k++)
            ok = loc->shape[k] == el[k] && (k == 4 || w->shape[k] == el[k]);
    }
    if (!ok)
        return vka__err(ctx, VKA_ERR_SHAPE,
                        "%s: sampling_locations %s and attention_weights %s do not fit value %s (B %lld, H %lld) with "
                        "%d levels of %lld points in all: want [B, Nq, H, L, P, 2] / [B, Nq, H, L, P] or "
                        "[B, Nq, H, ΣP, 2] / [B, Nq, H, ΣP]",
                        OP, dl, dw, dv, (long long)B, (long long)H, L, (long long)ptot);
    if (out->shape[0] != B || out->shape[1] != nq || out->shape[2] != H * D)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: out %s must be [%lld, %lld, %lld] (B, Nq, H·D)", OP, dout,
                        (long long)B, (long long)nq, (long long)(H * D));
    vka_tensor *ins[3] = {value, loc, w};
    static const char *const names[3] = {"value", "sampling_locations", "attention_weights"};
    if ((s = check_out(ctx, OP, out, 3, ins, names)))
        return s;
    if (out->numel == 0)
        return VKA_OK;

    uint32_t nch = (uint32_t)((D + DEFORM_DCH - 1) / DEFORM_DCH);
    vka__deform_push pc = {.n = (uint32_t)(B * nq * H * nch), .h = (uint32_t)H, .d = (uint32_t)D, .nch = nch,
                           .l = (uint32_t)L, .ptot = (uint32_t)ptot, .off_v = vka__off(value),
                           .off_loc = vka__off(loc), .off_w = vka__off(w), .off_out = vka__off(out),
                           .nq = (uint32_t)nq};
    if (bshd) {
        pc.sv_b = (uint32_t)(S * H * D), pc.sv_s = (uint32_t)(H * D), pc.sv_h = (uint32_t)D, pc.sv_d = 1;
    } else {
        pc.sv_b = (uint32_t)(H * D * S), pc.sv_h = (uint32_t)(D * S), pc.sv_d = (uint32_t)S, pc.sv_s = 1;
    }
    for (int l = 0; l < L; l++) {
        pc.hw[l] = (uint32_t)d->spatial_shapes[l][0] << 16 | (uint32_t)d->spatial_shapes[l][1];
        pc.pts[l >> 2] |= (uint32_t)pts[l] << ((l & 3) * 8);
    }
    uint32_t spec[2] = {DEFORM_WG, DEFORM_DCH}, gx, gy;
    vka__grid1d(ctx, (pc.n + DEFORM_WG - 1) / DEFORM_WG, &gx, &gy);
    vka__binding b[] = {{value, 0}, {loc, 0}, {w, 0}, {out, 1}};
    char name[32];
    return vka__dispatch(cmd, vka__variant(name, sizeof name, "deform_attn", out->dtype), spec, 2, b, 4, &pc,
                         sizeof pc, gx, gy, 1);
}
