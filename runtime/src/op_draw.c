/* SPDX-License-Identifier: MIT */
/* op_draw.c — vka_draw_image, vka_draw_rects, vka_draw_glyphs: overlays
 * composited into an RGBA8 U8 [H, W, 4] image on the device (the live viewer's
 * window buffer, copied into a swapchain image afterwards). */
#include <math.h>

#include "internal.h"
#include "op_shape.h"

/* llvmpipe ends an invocation after 65535 loop iterations in all: the scatter
 * kernels hand each invocation at most this many pixels (draw_rects through
 * its chunk count, draw_glyphs through the glyph size limits). */
#define DRAW_PX_PER_INVOCATION 16384
#define DRAW_WG 64 /* local size of draw_rects and draw_glyphs */
#define DRAW_FONT_W_MAX 32 /* bits of an int32 font row */
#define DRAW_FONT_H_MAX 64
#define DRAW_SCALE_MAX 16
#define DRAW_COORD_MAX (1 << 24) /* |dst_x|, |dst_y|, dst_w, dst_h: exact in fp32 */
_Static_assert(DRAW_FONT_W_MAX * DRAW_SCALE_MAX * DRAW_FONT_H_MAX * DRAW_SCALE_MAX / DRAW_WG <= DRAW_PX_PER_INVOCATION,
               "the largest glyph over one workgroup stays within the per-invocation limit");

/* keep in sync with shaders/draw_image.comp */
typedef struct vka__draw_image_push {
    int32_t src_w;
    int32_t sx0, sy0, sx1, sy1;
    int32_t dst_w;
    int32_t cx0, cy0, cw, ch;
    int32_t lx0, ly0;
    float scale_x, scale_y;
    uint32_t off_src, off_map;
    uint32_t off_dst;
    int32_t gw, gh;
    int32_t bgra;
    float opacity;
    float lo, inv;
    float mx0, my0, mx1, my1;
    float msx, msy;
} vka__draw_image_push;
_Static_assert(sizeof(vka__draw_image_push) <= VKA_PUSH_MAX, "push constants");

/* keep in sync with shaders/draw_rects.comp */
typedef struct vka__draw_rects_push {
    int32_t w, h;
    int32_t n;
    int32_t bgra;
    uint32_t off_rects;
    uint32_t off_dst;
} vka__draw_rects_push;
_Static_assert(sizeof(vka__draw_rects_push) <= VKA_PUSH_MAX, "push constants");

/* keep in sync with shaders/draw_glyphs.comp */
typedef struct vka__draw_glyphs_push {
    int32_t w, h;
    int32_t n;
    int32_t bgra;
    int32_t nchars;
    int32_t font_w, font_h;
    uint32_t off_font, off_glyphs;
    uint32_t off_dst;
} vka__draw_glyphs_push;
_Static_assert(sizeof(vka__draw_glyphs_push) <= VKA_PUSH_MAX, "push constants");

vka_draw_image_params vka_draw_image_default_params(void)
{
    return (vka_draw_image_params){.heat_opacity = 0.55f, .heat_lo = 0.0f, .heat_hi = 1.0f};
}

/* dst: U8 [H, W, 4] starting on a word (the shaders read and write pixels as
 * uints), H·W within int32. */
static vka_status check_dst(vka_context *ctx, const char *op, const vka_tensor *dst)
{
    char d[256];
    if (dst->dtype != VKA_U8 || dst->ndim != 3 || dst->shape[2] != 4 || dst->shape[0] < 1 || dst->shape[1] < 1)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: dst %s is %s, expected u8 [H, W, 4]", op, vka__tdesc(dst, d, sizeof d),
                        vka_dtype_str(dst->dtype));
    if (vka__tstart(dst) % 4)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: dst %s starts %llu bytes past a multiple of 4; pixels are words",
                        op, vka__tdesc(dst, d, sizeof d), (unsigned long long)(vka__tstart(dst) % 4));
    if (dst->shape[0] * dst->shape[1] > INT32_MAX)
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: dst %s has over 2^31-1 pixels", op, vka__tdesc(dst, d, sizeof d));
    return VKA_OK;
}

static vka_status check_alias(vka_context *ctx, const char *op, const vka_tensor *t, const char *what,
                              const vka_tensor *dst)
{
    char a[256], d[256];
    if (t && vka__overlap(t, dst))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s %s overlaps dst %s", op, what, vka__tdesc(t, a, sizeof a),
                        vka__tdesc(dst, d, sizeof d));
    return VKA_OK;
}

/* Rows of an I32 [rows, cols] tensor of records, n of which are drawn. */
static vka_status check_records(vka_context *ctx, const char *op, const vka_tensor *t, const char *what, int cols,
                                int n)
{
    char d[256];
    if (n < 0)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: n = %d is negative", op, n);
    if (t->dtype != VKA_I32 || t->ndim != 2 || t->shape[1] != cols)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: %s %s is %s, expected i32 [>= n, %d]", op, what,
                        vka__tdesc(t, d, sizeof d), vka_dtype_str(t->dtype), cols);
    if (n > t->shape[0])
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: n = %d but %s %s has %lld rows", op, n, what,
                        vka__tdesc(t, d, sizeof d), (long long)t->shape[0]);
    return VKA_OK;
}

/* as vka_preprocess: enabled on the context's device (its own, or the application's) */
static int has_8bit_storage(vka_context *ctx) { return ctx->feat.storage8; }

vka_status vka_draw_image(vka_cmd *cmd, vka_tensor *src, vka_tensor *map, const vka_draw_image_params *p,
                          vka_tensor *dst)
{
    static const char OP[] = "vka_draw_image";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    char d[256];
    if (!src || !dst || !p)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s is NULL", OP, !src ? "src" : !dst ? "dst" : "params");
    if (src->dtype != VKA_U8 || src->ndim != 3 || src->shape[2] != 3 || src->shape[0] < 1 || src->shape[1] < 1)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: src %s is %s, expected u8 [h, w, 3]", OP, vka__tdesc(src, d, sizeof d),
                        vka_dtype_str(src->dtype));
    if (map && (map->dtype != VKA_F32 || map->ndim != 2 || map->shape[0] < 1 || map->shape[1] < 1))
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: map %s is %s, expected f32 [gh, gw]", OP, vka__tdesc(map, d, sizeof d),
                        vka_dtype_str(map->dtype));
    if ((s = check_dst(ctx, OP, dst)) || (s = check_alias(ctx, OP, src, "src", dst)) ||
        (s = check_alias(ctx, OP, map, "map", dst)))
        return s;
    if (src->shape[0] > INT32_MAX / 3 / src->shape[1]) /* (y·w + x)·3 in int32 */
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: src %s has over 2^31-1 bytes", OP, vka__tdesc(src, d, sizeof d));

    int w = (int)src->shape[1], h = (int)src->shape[0];
    int sx0 = p->src_x0, sy0 = p->src_y0, sx1 = p->src_x1, sy1 = p->src_y1;
    if (!sx0 && !sy0 && !sx1 && !sy1)
        sx1 = w, sy1 = h;
    if (sx0 < 0 || sy0 < 0 || sx1 > w || sy1 > h || sx1 <= sx0 || sy1 <= sy0)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: source rect [%d, %d) x [%d, %d) is empty or outside src %s", OP,
                        p->src_x0, p->src_x1, p->src_y0, p->src_y1, vka__tdesc(src, d, sizeof d));
    if (p->dst_w < 0 || p->dst_h < 0 || p->dst_w > DRAW_COORD_MAX || p->dst_h > DRAW_COORD_MAX ||
        p->dst_x < -DRAW_COORD_MAX || p->dst_x > DRAW_COORD_MAX || p->dst_y < -DRAW_COORD_MAX ||
        p->dst_y > DRAW_COORD_MAX)
        return vka__err(ctx, VKA_ERR_INVALID_ARG,
                        "%s: destination rect at (%d, %d) of %dx%d; sizes must be >= 0 and all within +-2^24", OP,
                        p->dst_x, p->dst_y, p->dst_w, p->dst_h);
    if (!(p->heat_opacity >= 0.0f && p->heat_opacity <= 1.0f))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: heat_opacity %g is outside [0, 1]", OP, (double)p->heat_opacity);
    if (!isfinite(p->heat_lo) || !isfinite(p->heat_hi))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: heat_lo %g, heat_hi %g must be finite", OP, (double)p->heat_lo,
                        (double)p->heat_hi);
    float mx0 = p->map_x0, my0 = p->map_y0, mx1 = p->map_x1, my1 = p->map_y1;
    if (mx0 == 0.0f && my0 == 0.0f && mx1 == 0.0f && my1 == 0.0f)
        mx0 = (float)sx0, my0 = (float)sy0, mx1 = (float)sx1, my1 = (float)sy1;
    if (!isfinite(mx0) || !isfinite(my0) || !isfinite(mx1) || !isfinite(my1) || !(mx1 > mx0) || !(my1 > my0))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: map rect [%g, %g) x [%g, %g) is empty or not finite", OP,
                        (double)p->map_x0, (double)p->map_x1, (double)p->map_y0, (double)p->map_y1);
    if (!has_8bit_storage(ctx))
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: device \"%s\" lacks storageBuffer8BitAccess", OP,
                        ctx->info.name);

    /* the destination rect clipped to dst; nothing left: nothing recorded */
    int64_t W = dst->shape[1], H = dst->shape[0];
    int64_t cx0 = p->dst_x > 0 ? p->dst_x : 0, cy0 = p->dst_y > 0 ? p->dst_y : 0;
    int64_t cx1 = (int64_t)p->dst_x + p->dst_w, cy1 = (int64_t)p->dst_y + p->dst_h;
    cx1 = cx1 < W ? cx1 : W;
    cy1 = cy1 < H ? cy1 : H;
    if (cx1 <= cx0 || cy1 <= cy0)
        return VKA_OK;

    int64_t gw = map ? map->shape[1] : 0, gh = map ? map->shape[0] : 0;
    if (gw * gh > INT32_MAX)
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: map %s has over 2^31-1 elements", OP,
                        vka__tdesc(map, d, sizeof d));
    double range = (double)p->heat_hi - p->heat_lo;
    vka__draw_image_push pc = {
        .src_w = w,
        .sx0 = sx0,
        .sy0 = sy0,
        .sx1 = sx1,
        .sy1 = sy1,
        .dst_w = (int32_t)W,
        .cx0 = (int32_t)cx0,
        .cy0 = (int32_t)cy0,
        .cw = (int32_t)(cx1 - cx0),
        .ch = (int32_t)(cy1 - cy0),
        .lx0 = (int32_t)(cx0 - p->dst_x),
        .ly0 = (int32_t)(cy0 - p->dst_y),
        .scale_x = (float)((double)(sx1 - sx0) / p->dst_w),
        .scale_y = (float)((double)(sy1 - sy0) / p->dst_h),
        .off_src = vka__off(src),
        .off_map = vka__off(map),
        .off_dst = vka__off(dst) / 4,
        .gw = (int32_t)gw,
        .gh = (int32_t)gh,
        .bgra = p->bgra != 0,
        .opacity = p->heat_opacity,
        .lo = p->heat_lo,
        .inv = range != 0.0 ? (float)(1.0 / range) : 0.0f,
        .mx0 = mx0,
        .my0 = my0,
        .mx1 = mx1,
        .my1 = my1,
        .msx = (float)((double)gw / ((double)mx1 - mx0)),
        .msy = (float)((double)gh / ((double)my1 - my0)),
    };
    vka__binding b[] = {{src, 0}, {map, 0}, {dst, 1}};
    uint32_t spec[] = {map != NULL}; /* HAS_MAP */
    return vka__dispatch(cmd, "draw_image", spec, 1, b, 3, &pc, sizeof pc, (uint32_t)((pc.cw + 15) / 16),
                         (uint32_t)((pc.ch + 15) / 16), 1);
}

vka_status vka_draw_rects(vka_cmd *cmd, vka_tensor *rects, int n, int bgra, vka_tensor *dst)
{
    static const char OP[] = "vka_draw_rects";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if (!rects || !dst)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s is NULL", OP, !rects ? "rects" : "dst");
    if ((s = check_records(ctx, OP, rects, "rects", 5, n)) || (s = check_dst(ctx, OP, dst)) ||
        (s = check_alias(ctx, OP, rects, "rects", dst)))
        return s;
    if (n == 0)
        return VKA_OK;
    /* one rect may cover all of dst: enough chunks that no invocation fills
     * more than DRAW_PX_PER_INVOCATION pixels */
    uint64_t npx = (uint64_t)dst->shape[0] * (uint64_t)dst->shape[1];
    uint64_t per_chunk = (uint64_t)DRAW_WG * DRAW_PX_PER_INVOCATION, chunks = (npx + per_chunk - 1) / per_chunk;
    uint32_t gx, gy;
    vka__grid1d(ctx, (uint64_t)n, &gx, &gy);
    if (chunks > ctx->props.limits.maxComputeWorkGroupCount[2])
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: dst of %llu pixels needs %llu chunks of workgroups, over %u",
                        OP, (unsigned long long)npx, (unsigned long long)chunks,
                        ctx->props.limits.maxComputeWorkGroupCount[2]);
    vka__draw_rects_push pc = {
        .w = (int32_t)dst->shape[1],
        .h = (int32_t)dst->shape[0],
        .n = n,
        .bgra = bgra != 0,
        .off_rects = vka__off(rects),
        .off_dst = vka__off(dst) / 4,
    };
    vka__binding b[] = {{rects, 0}, {dst, 1}};
    return vka__dispatch(cmd, "draw_rects", NULL, 0, b, 2, &pc, sizeof pc, gx, gy, (uint32_t)chunks);
}

vka_status vka_draw_glyphs(vka_cmd *cmd, vka_tensor *font, int font_w, int font_h, vka_tensor *glyphs, int n,
                           int bgra, vka_tensor *dst)
{
    static const char OP[] = "vka_draw_glyphs";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    char d[256];
    if (!font || !glyphs || !dst)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s is NULL", OP, !font ? "font" : !glyphs ? "glyphs" : "dst");
    if (font_w < 1 || font_w > DRAW_FONT_W_MAX || font_h < 1 || font_h > DRAW_FONT_H_MAX)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: font of %dx%d pixels; 1..%d wide, 1..%d tall", OP, font_w,
                        font_h, DRAW_FONT_W_MAX, DRAW_FONT_H_MAX);
    if (font->dtype != VKA_I32 || font->ndim != 2 || font->shape[0] < 1 || font->shape[1] != font_h)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: font %s is %s, expected i32 [nchars, %d]", OP,
                        vka__tdesc(font, d, sizeof d), vka_dtype_str(font->dtype), font_h);
    if ((s = check_records(ctx, OP, glyphs, "glyphs", 4, n)) || (s = check_dst(ctx, OP, dst)) ||
        (s = check_alias(ctx, OP, font, "font", dst)) || (s = check_alias(ctx, OP, glyphs, "glyphs", dst)))
        return s;
    if (n == 0)
        return VKA_OK;
    uint32_t gx, gy;
    vka__grid1d(ctx, (uint64_t)n, &gx, &gy);
    vka__draw_glyphs_push pc = {
        .w = (int32_t)dst->shape[1],
        .h = (int32_t)dst->shape[0],
        .n = n,
        .bgra = bgra != 0,
        .nchars = font->shape[0] < INT32_MAX ? (int32_t)font->shape[0] : INT32_MAX,
        .font_w = font_w,
        .font_h = font_h,
        .off_font = vka__off(font),
        .off_glyphs = vka__off(glyphs),
        .off_dst = vka__off(dst) / 4,
    };
    vka__binding b[] = {{font, 0}, {glyphs, 0}, {dst, 1}};
    return vka__dispatch(cmd, "draw_glyphs", NULL, 0, b, 3, &pc, sizeof pc, gx, gy, 1);
}
