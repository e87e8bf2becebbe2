/* SPDX-License-Identifier: MIT */
/* op_conv2d.c — vka_conv2d / vka_conv2d_ex: convolution with a fused epilogue
 * (bias, activation, per-channel scale/shift, residual) through one of five
 * kernels chosen per call, and the host-side helpers vka_fold_batchnorm and
 * vka_conv_pack_weights.
 *
 * Kernels (VKATTN_CONV_VARIANT=tex|shared|dw|gemm|direct|few forces one where it applies):
 *   tex     conv2d_tex[_w1].comp: implicit GEMM through texel buffers, register
 *           tiles, no barriers (CPU drivers)
 *   shared  conv2d_shared.comp: implicit GEMM with shared-memory tiles (GPUs)
 *   dw      conv2d_dw.comp: depthwise (groups == C == O)
 *   gemm    pointwise convs as vka_gemm + bias / activation passes
 *   direct  conv2d.comp: the direct kernel (bias and activation only; the rest
 *           of an epilogue follows as elementwise passes)
 *   few     conv2d_few.comp: short reductions (3-channel stems) with the weights
 *           compiled in from the host's copy (vka_conv_epilogue.w_host; CPU
 *           drivers, f32) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "op_shape.h"

/* keep in sync with shaders/conv2d.comp */
typedef struct vka__conv2d_push {
    uint32_t c, h, w;
    uint32_t o, oh, ow;
    uint32_t kh, kw;
    uint32_t sh, sw;
    int32_t pt, pl;
    uint32_t dh, dw;
    uint32_t cg, og;
    uint32_t segs;
    uint32_t octiles;
    uint32_t act;
    uint32_t has_bias;
    uint32_t off_x, off_w, off_b, off_y;
} vka__conv2d_push;
_Static_assert(sizeof(vka__conv2d_push) <= VKA_PUSH_MAX, "push constants");

/* llvmpipe ends every loop of an invocation after 65535 iterations in total;
 * the kernel runs C/groups·(KH·(KW+1)+1) of them, kept well under. */
#define VKA_CONV_LOOP_MAX 40000

/* Pointwise groups-1 convolution through vka_gemm: y[n] = w · x[n], then
 * y += bias (per channel) and y = act(y), both in place. */
static vka_status conv_gemm(vka_cmd *cmd, vka_tensor *x, vka_tensor *w, vka_tensor *bias, vka_act act, vka_tensor *y)
{
    static const vka_unary_op UN[] = {VKA_UNARY_COUNT, VKA_RELU, VKA_GELU, VKA_GELU_TANH, VKA_SILU, VKA_SIGMOID};
    int64_t N = x->shape[0], C = x->shape[1], O = w->shape[0], HW = x->shape[2] * x->shape[3];
    int64_t sx[3] = {N, C, HW}, sy[3] = {N, O, HW}, sw[2] = {O, C}, sb[2] = {O, 1};
    vka_tensor *xv = vka_tensor_view(x, 0, 3, sx), *yv = vka_tensor_view(y, 0, 3, sy);
    vka_tensor *wv = vka_tensor_view(w, 0, 2, sw), *bv = bias ? vka_tensor_view(bias, 0, 2, sb) : NULL;
    vka_status s = VKA_ERR_OUT_OF_MEMORY;
    if (xv && yv && wv && (!bias || bv)) {
        vka_gemm_desc d = vka_gemm_default_desc();
        s = vka_gemm(cmd, &d, wv, xv, yv);
        if (!s && bv)
            s = vka_binary(cmd, VKA_ADD, yv, bv, yv);
        if (!s && act != VKA_ACT_NONE)
            s = vka_unary(cmd, UN[act], yv, yv);
    }
    vka_tensor_destroy(xv), vka_tensor_destroy(yv), vka_tensor_destroy(wv), vka_tensor_destroy(bv);
    return s;
}

/* keep in sync with Push in shaders/include/conv_common.glsl */
typedef struct vka__convx_push {
    uint32_t c, h, w;
    uint32_t o, oh, ow;
    uint32_t kh, kw;
    uint32_t sh, sw;
    int32_t pt, pl;
    uint32_t dh, dw;
    uint32_t cg, og;
    uint32_t w_gs, w_os, w_cs, w_ks; /* weight element strides: group, out channel, in channel, tap */
    uint32_t tiles;
    uint32_t act;
    uint32_t flags;
    uint32_t off_x, off_w, off_b, off_y, off_s, off_t, off_r;
} vka__convx_push;
_Static_assert(sizeof(vka__convx_push) <= VKA_PUSH_MAX, "push constants");

/* keep in sync with VKA_CONV_* in conv_common.glsl */
enum { CONV_BIAS = 1, CONV_SCALE = 2, CONV_SHIFT = 4, CONV_RES = 8, CONV_RES_PRE = 16, CONV_Y4 = 32 };

/* The texel kernel's tile, as GEMM's: TEX_TM output channels times TEX_WG
 * lanes of TEX_TN groups of 4 pixels (8 x 64 outputs per workgroup); twice
 * the channels where a tap has at most 4 input channels (3-channel stems:
 * each x load then feeds 16 channels; 13-15% faster there, 10-20% slower
 * for 16 or more channels, bench conv 2026-12-02). */
enum { TEX_WG = 8, TEX_TM = 8, TEX_TN = 2, TEX_TM_FEW = 16 };
/* y's rows (and the residual's) are whole aligned 4-vectors: conv_store4c's
 * vector stores (VKA_CONV_Y4) */
static bool y_rows4(const vka_tensor *y, const vka_conv_epilogue *e)
{
    return y->shape[3] % 4 == 0 && vka__off(y) % 4 == 0 && (!e->residual || vka__off(e->residual) % 4 == 0);
}

/* y = act(conv) through the direct kernel (conv2d.comp) or GEMM; the checks are done. */
static vka_status conv_direct(vka_cmd *cmd, vka_tensor *x, vka_tensor *w, vka_tensor *bias, const vka_conv_params *p,
                              vka_tensor *y)
{
    vka_context *ctx = cmd->ctx;
    int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], Wd = x->shape[3];
    int64_t O = y->shape[1], OH = y->shape[2], OW = y->shape[3], KH = w->shape[2], KW = w->shape[3], G = p->groups;
    int64_t cg = C / G, og = O / G;
    char dy[256];
    /* Register tile: OCT output channels x PX pixels. Depthwise (one channel
     * per group) gets longer pixel runs instead of idle channel slots. */
    uint32_t oct = og >= 8 ? 8 : og >= 4 ? 4 : og >= 2 ? 2 : 1;
    uint32_t px = oct == 1 ? 8 : 4;
    if (OW <= 4 && px > 4)
        px = 4;
    uint32_t wg = 64;
    /* pointwise convs read four neighbouring pixels per vec4 load when the layout allows it */
    const char *env = getenv("VKATTN_CONV_VEC");
    uint32_t vec = KH == 1 && KW == 1 && p->stride[0] == 1 && p->stride[1] == 1 && !p->pad[0] && !p->pad[1] &&
                   !p->pad[2] && !p->pad[3] && (H * Wd) % 4 == 0 && vka__off(x) % 4 == 0 &&
                   !(env && env[0] == '0');
    if (vec)
        px = 4;
    uint64_t segs = (uint64_t)(OW + px - 1) / px, octiles = ((uint64_t)og + oct - 1) / oct;
    uint64_t gx = ((uint64_t)(vec ? OH * OW / 4 : OH * (int64_t)segs) + wg - 1) / wg, gy = (uint64_t)G * octiles;
    const VkPhysicalDeviceLimits *lim = &ctx->props.limits;
    if (gx > lim->maxComputeWorkGroupCount[0] || gy > lim->maxComputeWorkGroupCount[1] ||
        (uint64_t)N > lim->maxComputeWorkGroupCount[2])
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "vka_conv2d: grid %llux%llux%lld for y %s exceeds the device's limits",
                        (unsigned long long)gx, (unsigned long long)gy, (long long)N, vka__tdesc(y, dy, sizeof dy));
    vka__conv2d_push pc = {
        (uint32_t)C, (uint32_t)H, (uint32_t)Wd, (uint32_t)O, (uint32_t)OH, (uint32_t)OW, (uint32_t)KH, (uint32_t)KW,
        (uint32_t)p->stride[0], (uint32_t)p->stride[1], (int32_t)p->pad[0], (int32_t)p->pad[1],
        (uint32_t)p->dilation[0], (uint32_t)p->dilation[1], (uint32_t)cg, (uint32_t)og, (uint32_t)segs,
        (uint32_t)octiles, (uint32_t)p->act, bias != NULL, vka__off(x), vka__off(w), bias ? vka__off(bias) : 0,
        vka__off(y)};
    uint32_t spec[8] = {wg, oct, px, vec};
    int nspec = vka__epi_spec(spec, 4, (uint32_t)p->act, bias ? CONV_BIAS : 0);
    vka__binding b[] = {{x, 0}, {w, 0}, {bias, 0}, {y, 1}};
    char name[32];
    return vka__dispatch(cmd, vka__variant(name, sizeof name, "conv2d", x->dtype), spec, nspec, b, 4, &pc, sizeof pc,
                         (uint32_t)gx, (uint32_t)gy, (uint32_t)N);
}

/* The epilogue beyond bias and activation as in-place elementwise passes after
 * the direct or GEMM kernels: y = y·scale + shift, y += residual. */
static vka_status epilogue_passes(vka_cmd *cmd, const vka_conv_epilogue *e, vka_tensor *y)
{
    int64_t O = y->shape[1], sc[4] = {1, O, 1, 1};
    vka_status s = VKA_OK;
    if (e->scale || e->shift) {
        vka_tensor *sv = e->scale ? vka_tensor_view(e->scale, 0, 4, sc) : NULL;
        vka_tensor *tv = e->shift ? vka_tensor_view(e->shift, 0, 4, sc) : NULL;
        if ((e->scale && !sv) || (e->shift && !tv))
            s = VKA_ERR_OUT_OF_MEMORY;
        if (!s && sv)
            s = vka_binary(cmd, VKA_MUL, y, sv, y);
        if (!s && tv)
            s = vka_binary(cmd, VKA_ADD, y, tv, y);
        vka_tensor_destroy(sv), vka_tensor_destroy(tv);
    }
    if (!s && e->residual)
        s = vka_binary(cmd, VKA_ADD, y, e->residual, y);
    return s;
}

/* The variants, in VKATTN_CONV_VARIANT's spelling. */
typedef enum { V_TEX, V_SHARED, V_DW, V_GEMM, V_DIRECT, V_FEW, V_COUNT } conv_variant;
static const char *const VARIANT_NAMES[] = {"tex", "shared", "dw", "gemm", "direct", "few"};
/* as --plan shows them (ctx->conv_variant) */
static const char *const PLAN_NAMES[] = {"conv.tex", "conv.shared", "conv.dw", "conv.gemm", "conv.direct", "conv.few"};
static const char *const PLAN_NAMES_PACKED[] = {"conv.tex.packed", "conv.shared.packed", "", "", "", ""};

typedef struct conv_shape {
    int64_t n, c, h, w, o, oh, ow, kh, kw, groups;
    int64_t sh, sw, dh, dw, pad[4];
    bool packed;      /* packed weights (vka_conv_pack_weights) */
    bool fixed;       /* the weights' layout is given (vka_conv2d_ex), not the plan's to choose */
    bool w_host;      /* the weights' values are on the host (vka_conv_epilogue.w_host, graph constants) */
    vka_dtype dt;
} conv_shape;

static bool is_depthwise(const conv_shape *s)
{
    return s->groups == s->c && s->groups == s->o;
}

static bool is_pointwise(const conv_shape *s)
{
    return s->kh == 1 && s->kw == 1 && s->sh == 1 && s->sw == 1 && !s->pad[0] && !s->pad[1] && !s->pad[2] &&
           !s->pad[3];
}

/* conv2d_few.comp: FEW_WG lanes per workgroup, its own specialization
 * constants below VKA__CONV_FEW_SPEC0 and the weights from there; its limits: the
 * weights one pipeline compiles in (VKA__CONV_FEW_WMAX, its VKA_FEW_WMAX; twice
 * that in its _w64 variant where the device has shaderInt64), the
 * inputs one row of 4 outputs reads (its VKA_FEW_LMAX) and the passes of at
 * most 8 channels it writes out (at most FEW_PASSES); ours: FEW_DISPATCHES
 * per conv. */
enum { FEW_WG = 64, FEW_LMAX = 40, FEW_PASSES = 8, FEW_DISPATCHES = 4 };

/* conv2d_few's output channels per pass: the largest divisor of O up to 8
 * that leaves at most FEW_PASSES passes (0: none) */
static int64_t few_tm(int64_t o)
{
    for (int64_t d = 8; d >= 1; d--)
        if (o % d == 0 && o / d <= FEW_PASSES)
            return d;
    return 0;
}

/* The most weights one conv2d_few pipeline takes on this device. */
static int64_t few_wmax(const vka_context *ctx)
{
    return ctx->shader_int64 ? VKA__CONV_FEW_WMAX64 : VKA__CONV_FEW_WMAX;
}

/* conv2d_few's output channels per dispatch for O channels of a reduction of
 * k: the most that divide O, fit wmax weights and make passes, in at most
 * FEW_DISPATCHES dispatches (each reads all of x again and compiles a
 * pipeline). 0: none. */
static int64_t few_chunk(int64_t o, int64_t k, int64_t wmax)
{
    for (int64_t d = o < 64 ? o : 64; d >= 1 && d * FEW_DISPATCHES >= o; d--)
        if (o % d == 0 && d * k <= wmax && few_tm(d) > 0)
            return d;
    return 0;
}

/* Where the plan tries conv2d_few: reductions of at most FEW_K (a
 * 3x3 stem's 27, a 3x3 conv of 16 channels' 144) and at least FEW_OUTPUTS
 * outputs. Each such conv compiles pipelines of its own (0.2-0.35 s each on
 * lavapipe) and the texel kernel is at most 1.3x slower on the smaller ones
 * (DEIMv2 atto's 1x1 convs in the encoder: 0.20 against 0.15 ms, bench model
 * 2026-12-03). */
enum { FEW_K = 144, FEW_OUTPUTS = 1 << 18 };

static bool few_pays(const conv_shape *s)
{
    return s->c / s->groups * s->kh * s->kw <= FEW_K && s->n * s->o * s->oh * s->ow >= FEW_OUTPUTS;
}

static bool few_ok(vka_context *ctx, const conv_shape *s, vka_tensor *x)
{
    return ctx->info.type == VKA_DEVICE_CPU && s->dt == VKA_F32 && s->groups == 1 && !s->packed && s->w_host &&
           few_chunk(s->o, s->c * s->kh * s->kw, few_wmax(ctx)) > 0 &&
           3 * s->sw + (s->kw - 1) * s->dw + 1 <= FEW_LMAX &&
           (uint64_t)s->n <= ctx->props.limits.maxComputeWorkGroupCount[1] &&
           (!x || vka__texel1_ok(ctx, x));
}

/* Per-invocation loop iterations of each kernel (llvmpipe stops at 65535). */
static bool loops_ok(const conv_shape *s, conv_variant v)
{
    int64_t cg = s->c / s->groups, kk = s->kh * s->kw;
    switch (v) {
    case V_TEX: return kk * (cg / 4 + cg % 4 + 2) + s->kh < VKA_CONV_LOOP_MAX;
    case V_SHARED: return (cg * kk / 16 + 1) * 48 < VKA_CONV_LOOP_MAX;
    case V_DIRECT: return cg * (s->kh * (s->kw + 1) + 1) <= VKA_CONV_LOOP_MAX;
    default: return true;
    }
}

/* Can variant v run this conv (device features, layout, epilogue)? */
static bool variant_ok(vka_context *ctx, const conv_shape *s, conv_variant v, vka_tensor *x, vka_tensor *w)
{
    if (!loops_ok(s, v))
        return false;
    switch (v) {
    case V_TEX: /* x is bound as element and as 4-vector texels (no tensors: the shape alone) */
        return !x || (vka__texel1_ok(ctx, x) && vka__texel_ok(ctx, x) &&
                      (s->packed ? vka__texel_ok(ctx, w) && vka__off(w) % 4 == 0 : vka__texel1_ok(ctx, w)));
    case V_SHARED: return true;
    case V_DW: /* x and w as element texels (x also as 4-vectors where rows are whole texels) */
        return is_depthwise(s) && !s->packed && (!x || (vka__texel1_ok(ctx, x) && vka__texel1_ok(ctx, w))) &&
               vka__tile_ok(s->kh, s->kw, s->sh, s->sw, s->dh, s->dw) &&
               s->n * s->c * s->oh * s->ow < ((int64_t)1 << 32); /* lanes are numbered in 32 bits */
    case V_GEMM: return is_pointwise(s) && s->groups == 1 && !s->packed;
    case V_DIRECT: return !s->packed;
    case V_FEW: return few_ok(ctx, s, x);
    default: return false;
    }
}

/* The static rule (VKATTN_CONV_TUNE=0, and what the plan falls back to):
 * depthwise -> dw; CPU drivers -> the texel kernel; GPUs -> shared. */
static conv_variant static_rule(vka_context *ctx, const conv_shape *s, vka_tensor *x, vka_tensor *w)
{
    if (s->packed) /* only these two read packed weights */
        return ctx->info.type == VKA_DEVICE_CPU && variant_ok(ctx, s, V_TEX, x, w) ? V_TEX : V_SHARED;
    if (is_depthwise(s) && variant_ok(ctx, s, V_DW, x, w))
        return V_DW;
    if (ctx->info.type == VKA_DEVICE_CPU) {
        if (variant_ok(ctx, s, V_TEX, x, w))
            return V_TEX;
        if (variant_ok(ctx, s, V_DIRECT, x, w))
            return V_DIRECT;
    }
    if (variant_ok(ctx, s, V_SHARED, x, w))
        return V_SHARED;
    return V_TEX;
}

/* ---- the measured rule
 * Which kernel is fastest depends on the device and the shape (lavapipe: the
 * texel kernel for most convs, the direct one for tiny reductions such as a
 * 3-channel stem, the depthwise one against direct). Unless VKATTN_CONV_TUNE=0,
 * the first conv of a shape times its candidates on the device: each on the
 * conv's own shape cropped to ~64 MFLOP of whole output rows, with fresh
 * tensors, one warm-up and the best of three runs (GPU timestamps). The choice is kept per
 * context and in <pipeline cache>.convtune next to the pipeline cache (one
 * "key variant" line per shape; keys name the device and driver through the
 * cache file's name and the dtype and full shape in the key). */
typedef struct vka__conv_tune {
    int n, cap;
    bool loaded;
    char (*key)[192];
    int *variant;
} vka__conv_tune;

void vka__conv_tune_free(vka_context *ctx)
{
    if (ctx->conv_tune) {
        free(ctx->conv_tune->key), free(ctx->conv_tune->variant);
        free(ctx->conv_tune);
        ctx->conv_tune = NULL;
    }
}

static bool tune_file(vka_context *ctx, char *out, size_t n)
{
    size_t len = strlen(ctx->pcache_path);
    if (!len || len + 16 > n)
        return false;
    snprintf(out, n, "%s.convtune", ctx->pcache_path);
    return true;
}

static void tune_add(vka__conv_tune *t, const char *key, int v)
{
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 32;
        char(*k)[192] = realloc(t->key, sizeof *k * (size_t)cap);
        if (k)
            t->key = k;
        int *vv = realloc(t->variant, sizeof *vv * (size_t)cap);
        if (vv)
            t->variant = vv;
        if (!k || !vv)
            return; /* out of host memory: not remembered */
        t->cap = cap;
    }
    snprintf(t->key[t->n], sizeof t->key[t->n], "%s", key);
    t->variant[t->n++] = v;
}

static vka__conv_tune *tune_get(vka_context *ctx)
{
    if (!ctx->conv_tune)
        ctx->conv_tune = calloc(1, sizeof *ctx->conv_tune);
    vka__conv_tune *t = ctx->conv_tune;
    if (t && !t->loaded) {
        t->loaded = true;
        char path[1100], line[256];
        FILE *f = tune_file(ctx, path, sizeof path) ? fopen(path, "r") : NULL;
        while (f && fgets(line, sizeof line, f)) {
            char *sp = strrchr(line, ' ');
            int v = sp ? atoi(sp + 1) : -1;
            if (!sp || v < 0 || v >= V_COUNT || sp - line >= 192)
                continue; /* a torn or foreign line */
            *sp = 0;
            tune_add(t, line, v);
        }
        if (f)
            fclose(f);
    }
    return t;
}

/* Bumped whenever a kernel's speed changes: older measurements are ignored. */
#define VKA_CONV_TUNE_VERSION "k7"

static void tune_key(char *key, size_t n, vka_dtype dt, const conv_shape *s)
{
    snprintf(key, n, VKA_CONV_TUNE_VERSION " %s n%lld c%lld h%lld w%lld o%lld k%lldx%lld s%lldx%lld d%lldx%lld p%lld,%lld,%lld,%lld g%lld%s%s",
             vka_dtype_str(dt), (long long)s->n, (long long)s->c, (long long)s->h, (long long)s->w, (long long)s->o,
             (long long)s->kh, (long long)s->kw, (long long)s->sh, (long long)s->sw, (long long)s->dh,
             (long long)s->dw, (long long)s->pad[0], (long long)s->pad[1], (long long)s->pad[2], (long long)s->pad[3],
             (long long)s->groups, s->packed ? " packed" : "", s->w_host ? " hostw" : "");
}

/* GPU ms of each of the m variants c on shape s (< 0: it cannot run): two
 * warm-up rounds (a pipeline's first runs on lavapipe are up to 1.5x slower:
 * conv2d_few on a 16-channel 3x3 conv, bench conv 2026-12-03), then the best
 * of five rounds, the variants interleaved in each round so that a busy
 * spell of a shared machine hits them alike (on a 2-vCPU VM whose second CPU
 * pauses now and then, a sub-millisecond conv takes one thread's time, 1.6x,
 * in some rounds). */
static void probe(vka_context *ctx, vka_dtype dt, const conv_shape *s, const conv_variant *c, int m, double *ms)
{
    int64_t cg = s->c / s->groups, sx[4] = {1, s->c, s->h, s->w}, sy[4] = {1, s->o, s->oh, s->ow};
    int64_t sw[4] = {s->o, cg, s->kh, s->kw}, sp[4] = {s->o, s->kh, s->kw, (cg + 3) / 4 * 4}, nb = s->o;
    vka_tensor *t[5] = {vka_tensor_create(ctx, dt, 4, sx), vka_tensor_create(ctx, dt, 4, sy),
                        vka_tensor_create(ctx, dt, 4, sw), vka_tensor_create(ctx, dt, 4, sp),
                        vka_tensor_create(ctx, dt, 1, &nb)}; /* x, y, w OIHW, w packed, bias */
    vka_cmd *cmd[V_COUNT] = {NULL};
    size_t most = 0;
    bool ok = true;
    for (int i = 0; i < 5; i++)
        if (!t[i])
            ok = false;
        else if (vka_tensor_bytes(t[i]) > most)
            most = vka_tensor_bytes(t[i]);
    void *zero = ok ? calloc(1, most ? most : 1) : NULL;
    for (int i = 0; ok && i < 5; i++) /* zeros: no NaN or denormal from stale memory */
        ok = zero && vka_tensor_upload(t[i], zero, vka_tensor_bytes(t[i])) == VKA_OK;
    free(zero);
    vka_conv_params p = vka_conv_default_params();
    p.stride[0] = s->sh, p.stride[1] = s->sw, p.dilation[0] = s->dh, p.dilation[1] = s->dw, p.groups = s->groups;
    memcpy(p.pad, s->pad, sizeof p.pad);
    /* host weights for the kernel that compiles them in: any values but zeros,
     * which the compiler would fold away */
    int64_t nw = s->o * cg * s->kh * s->kw;
    bool few = false;
    for (int i = 0; i < m; i++)
        few = few || c[i] == V_FEW;
    float *wh = few ? malloc(sizeof *wh * (size_t)nw) : NULL;
    uint32_t seed = 1;
    for (int64_t i = 0; wh && i < nw; i++) {
        seed = seed * 1664525u + 1013904223u;
        wh[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
    }
    for (int i = 0; i < m; i++) {
        ms[i] = -1;
        bool packed = s->fixed ? s->packed : c[i] == V_TEX || c[i] == V_SHARED;
        vka_conv_epilogue e = {NULL, NULL, NULL, 0, packed, wh};
        cmd[i] = ok ? vka_cmd_create(ctx) : NULL;
        if (cmd[i] && (vka_cmd_enable_timestamps(cmd[i], 1) || vka_cmd_begin(cmd[i]) ||
                       vka__conv2d(cmd[i], t[0], packed ? t[3] : t[2], t[4], &p, &e, t[1], (int)c[i]) ||
                       vka_cmd_end(cmd[i]) || vka_cmd_submit(cmd[i]))) {
            vka_cmd_destroy(cmd[i]);
            cmd[i] = NULL;
        }
    }
    for (int r = 0; r < 6; r++) /* the submit above and round 0: warm-ups */
        for (int i = 0; i < m; i++) {
            if (!cmd[i] || vka_cmd_submit(cmd[i]) || r == 0)
                continue;
            double sum = 0, one;
            for (int k = 0; k < vka_cmd_dispatch_count(cmd[i]); k++)
                if (!vka_cmd_timing(cmd[i], k, NULL, &one))
                    sum += one;
            if (ms[i] < 0 || sum < ms[i])
                ms[i] = sum;
        }
    for (int i = 0; i < m; i++)
        vka_cmd_destroy(cmd[i]);
    for (int i = 0; i < 5; i++)
        vka_tensor_destroy(t[i]);
    free(wh);
}

/* The candidates for shape s on this device, in order of preference on a tie. */
static int candidates(vka_context *ctx, const conv_shape *s, conv_variant *c)
{
    int n = 0;
    bool cpu = ctx->info.type == VKA_DEVICE_CPU;
    if (is_depthwise(s))
        c[n++] = V_DW;
    else if (cpu)
        c[n++] = V_TEX;
    else
        c[n++] = V_SHARED, c[n++] = V_TEX;
    if (!s->packed || !s->fixed) /* OIHW weights (or still to be decided) */
        c[n++] = V_DIRECT;
    if (is_pointwise(s) && s->groups == 1 && (!s->packed || !s->fixed))
        c[n++] = V_GEMM;
    if (cpu && s->w_host && (!s->packed || !s->fixed) && few_pays(s))
        c[n++] = V_FEW;
    return n;
}

/* The measured choice for s (s->fixed set: the weight layout s->packed is given;
 * else the plan may pick either). Falls back to the static rule. */
static conv_variant tuned(vka_context *ctx, vka_dtype dt, const conv_shape *s)
{
    const char *t = getenv("VKATTN_CONV_TUNE");
    if ((t && t[0] == '0') || ctx->info.timestamp_period_ns <= 0)
        return static_rule(ctx, s, NULL, NULL);
    conv_variant c[V_COUNT];
    int nc = candidates(ctx, s, c), m = 0;
    for (int i = 0; i < nc; i++) {
        conv_shape q = *s;
        if (!s->fixed)
            q.packed = c[i] == V_TEX || c[i] == V_SHARED;
        if (variant_ok(ctx, &q, c[i], NULL, NULL))
            c[m++] = c[i];
    }
    if (m <= 1)
        return m ? c[0] : static_rule(ctx, s, NULL, NULL);
    char key[192];
    tune_key(key, sizeof key, dt, s);
    vka__conv_tune *tc = tune_get(ctx);
    for (int i = 0; tc && i < tc->n; i++)
        if (!strcmp(tc->key[i], key))
            return (conv_variant)tc->variant[i];
    /* cropped to about 64 MFLOP and 16 MiB of x and of y (whole rows; never
     * below 8): big enough that the kernels' parallelism and fixed costs rank
     * as on the whole conv (8 rows ranked lavapipe's kernels wrongly), small
     * enough that the first build of a model probes in seconds. A conv whose
     * 8 rows would take more than 64 MiB is not probed. */
    conv_shape q = *s;
    q.n = 1;
    double row = 2.0 * (double)q.o * (double)q.ow * (double)(q.c / q.groups) * (double)(q.kh * q.kw);
    double xrow = 4.0 * (double)q.c * (double)q.w * (double)q.sh, yrow = 4.0 * (double)q.o * (double)q.ow;
    int64_t rows = row > 0 ? (int64_t)(64e6 / row) : q.oh;
    if (xrow > 0 && rows > (int64_t)(16777216.0 / xrow))
        rows = (int64_t)(16777216.0 / xrow);
    if (yrow > 0 && rows > (int64_t)(16777216.0 / yrow))
        rows = (int64_t)(16777216.0 / yrow);
    if (rows < 8)
        rows = 8;
    if (8.0 * (xrow + yrow) > 67108864.0)
        return static_rule(ctx, s, NULL, NULL);
    if (q.oh > rows) {
        q.oh = rows;
        q.h = (q.oh - 1) * q.sh + (q.kh - 1) * q.dh + 1 - q.pad[0] - q.pad[2];
        if (q.h < 1)
            q.h = 1, q.oh = (q.h + q.pad[0] + q.pad[2] - (q.kh - 1) * q.dh - 1) / q.sh + 1;
    }
    conv_variant bestv = c[0];
    double best = -1, ms[V_COUNT];
    probe(ctx, dt, &q, c, m, ms);
    for (int i = 0; i < m; i++)
        vka__log(ctx, VKA_LOG_DEBUG, "conv tune %s: %s %.3f ms on %lld rows", key, VARIANT_NAMES[c[i]], ms[i],
                 (long long)q.oh);
    for (int i = 0; i < m; i++)
        if (ms[i] > 0 && (best < 0 || ms[i] < best * 0.97)) /* the earlier candidate on a near tie */
            best = ms[i], bestv = c[i];
    if (best < 0)
        return static_rule(ctx, s, NULL, NULL);
    /* The rule's kernel stays unless another beats it by 15%: a choice is
     * cached for good, and one made while the machine was busy must not be a
     * coin toss (a pointwise 32->64 conv of DEIMv2 atto kept the GEMM path,
     * 2.6x slower than the texel kernel there, from a probe on a loaded machine) */
    conv_variant rule = static_rule(ctx, &q, NULL, NULL);
    for (int i = 0; i < m; i++)
        if (c[i] == rule && ms[i] > 0 && bestv != rule && best > 0.85 * ms[i])
            bestv = rule;
    if (tc)
        tune_add(tc, key, (int)bestv);
    char path[1100];
    FILE *f = tune_file(ctx, path, sizeof path) ? fopen(path, "a") : NULL;
    if (f) {
        fprintf(f, "%s %d\n", key, (int)bestv);
        fclose(f);
    }
    return bestv;
}

static conv_variant choose(vka_context *ctx, vka_dtype dt, const conv_shape *s, vka_tensor *x, vka_tensor *w,
                           int forced)
{
    if (forced >= 0 && forced < V_COUNT && variant_ok(ctx, s, (conv_variant)forced, x, w))
        return (conv_variant)forced;
    const char *f = getenv("VKATTN_CONV_VARIANT");
    if (f)
        for (int v = 0; v < V_COUNT; v++)
            if (strcmp(f, VARIANT_NAMES[v]) == 0 && variant_ok(ctx, s, (conv_variant)v, x, w))
                return (conv_variant)v;
    conv_shape q = *s;
    q.fixed = true; /* the layout is given */
    conv_variant v = tuned(ctx, dt, &q);
    return variant_ok(ctx, s, v, x, w) ? v : static_rule(ctx, s, x, w);
}

int vka__conv_plan(vka_context *ctx, vka_dtype dt, const int64_t *xs, const int64_t *ws, const vka_conv_params *p,
                   bool w_host, bool *packed)
{
    int64_t G = p->groups, O = ws[0], KH = ws[2], KW = ws[3];
    *packed = false;
    if (G < 1 || xs[1] % G || O % G || p->stride[0] < 1 || p->stride[1] < 1 || p->dilation[0] < 1 ||
        p->dilation[1] < 1)
        return -1;
    int64_t eh = xs[2] + p->pad[0] + p->pad[2] - p->dilation[0] * (KH - 1) - 1;
    int64_t ew = xs[3] + p->pad[1] + p->pad[3] - p->dilation[1] * (KW - 1) - 1;
    if (eh < 0 || ew < 0)
        return -1;
    conv_shape s = {xs[0], xs[1], xs[2], xs[3], O, eh / p->stride[0] + 1, ew / p->stride[1] + 1, KH, KW, G,
                    p->stride[0], p->stride[1], p->dilation[0], p->dilation[1],
                    {p->pad[0], p->pad[1], p->pad[2], p->pad[3]}, false, false, w_host, dt};
    conv_variant v;
    const char *f = getenv("VKATTN_CONV_VARIANT");
    int forced = -1;
    for (int i = 0; f && i < V_COUNT; i++)
        if (!strcmp(f, VARIANT_NAMES[i]))
            forced = i;
    s.packed = forced == V_TEX || forced == V_SHARED;
    if (forced >= 0 && variant_ok(ctx, &s, (conv_variant)forced, NULL, NULL))
        v = (conv_variant)forced;
    else
        v = tuned(ctx, dt, &s);
    *packed = (v == V_TEX || v == V_SHARED) && !is_depthwise(&s);
    s.packed = *packed;
    return variant_ok(ctx, &s, v, NULL, NULL) ? (int)v : -1;
}

int vka_conv2d_plan_packed(vka_context *ctx, vka_dtype dtype, const int64_t xshape[4], const int64_t wshape[4],
                           const vka_conv_params *p, int w_host)
{
    vka_conv_params dp = vka_conv_default_params();
    if (!ctx || !xshape || !wshape || (dtype != VKA_F32 && dtype != VKA_F16))
        return -1;
    for (int i = 0; i < 4; i++)
        if (xshape[i] < 1 || wshape[i] < 1)
            return -1;
    if (!p)
        p = &dp;
    if (p->groups < 1 || xshape[1] % p->groups || xshape[1] / p->groups != wshape[1])
        return -1;
    bool packed;
    return vka__conv_plan(ctx, dtype, xshape, wshape, p, w_host != 0, &packed) < 0 ? -1 : packed;
}

vka_status vka_conv2d(vka_cmd *cmd, vka_tensor *x, vka_tensor *w, vka_tensor *bias, const vka_conv_params *p,
                      vka_tensor *y)
{
    return vka_conv2d_ex(cmd, x, w, bias, p, NULL, y);
}

/* Checks an epilogue tensor: same dtype as y, `n` elements, no overlap with y. */
static vka_status check_epi(vka_context *ctx, const char *what, vka_tensor *t, int64_t n, vka_tensor *y)
{
    static const char *OP = "vka_conv2d_ex";
    char dt[256], dy[256];
    if (!t)
        return VKA_OK;
    vka_status s = vka__check_float(ctx, OP, t, what);
    if (s || (s = vka__check_same_dtype(ctx, OP, y, t)))
        return s;
    if (t->numel != n)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: %s %s must have %lld elements for y %s", OP, what,
                        vka__tdesc(t, dt, sizeof dt), (long long)n, vka__tdesc(y, dy, sizeof dy));
    if (vka__overlap(t, y))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: y %s overlaps the %s %s", OP, vka__tdesc(y, dy, sizeof dy),
                        what, vka__tdesc(t, dt, sizeof dt));
    return VKA_OK;
}

vka_status vka_conv2d_ex(vka_cmd *cmd, vka_tensor *x, vka_tensor *w, vka_tensor *bias, const vka_conv_params *p,
                         const vka_conv_epilogue *e, vka_tensor *y)
{
    return vka__conv2d(cmd, x, w, bias, p, e, y, -1);
}

/* y = conv through conv2d_few with the weights of e->w_host compiled in: the
 * output channels in chunks of few_chunk, a pipeline and a dispatch each; pc0
 * is vka__conv2d's push block. */
static vka_status conv_few(vka_cmd *cmd, vka_tensor *x, vka_tensor *bias, const vka_conv_params *p,
                           const vka_conv_epilogue *e, vka_tensor *y, const vka__convx_push *pc0)
{
    vka_context *ctx = cmd->ctx;
    int64_t N = x->shape[0], O = y->shape[1], OH = y->shape[2], OW = y->shape[3];
    int64_t k = (int64_t)pc0->c * pc0->kh * pc0->kw, oc = few_chunk(O, k, few_wmax(ctx)), plane = OH * OW;
    /* more weights per part than one word per constant holds: the _w64 variant,
     * its count rounded up to whole 64-bit constants */
    bool w64 = oc * k > VKA__CONV_FEW_WMAX;
    int64_t nw = w64 ? (oc * k + 1) / 2 * 2 : oc * k;
    /* x as element and (rows of whole texels) 4-vector texels */
    uint32_t ph, xv = vka__x_rows_texel4(ctx, x, p->pad[1], &ph);
    vka__binding b[] = {{x, VKA__TEXEL1}, {x, xv ? VKA__TEXEL : VKA__TEXEL1}, {NULL, 0}, {y, 1},
                        {e->scale, 0}, {e->shift, 0}, {e->residual, 0}, {bias, 0}};
    vka__convx_push pc = *pc0;
    if (y_rows4(y, e))
        pc.flags |= CONV_Y4;
    uint64_t gx = ((uint64_t)OH * (uint64_t)((OW + 3) / 4) + FEW_WG - 1) / FEW_WG;
    const uint32_t *maxg = ctx->props.limits.maxComputeWorkGroupCount;
    char dy[256], name[40];
    if (gx > maxg[0] || (uint64_t)N > maxg[1])
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "vka_conv2d: grid %llux%lld for y %s exceeds the device's limits",
                        (unsigned long long)gx, (long long)N, vka__tdesc(y, dy, sizeof dy));
    uint32_t *spec = calloc((size_t)(VKA__CONV_FEW_SPEC0 + nw), sizeof *spec);
    if (!spec)
        return vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
    spec[0] = FEW_WG, spec[1] = pc.c, spec[2] = (uint32_t)oc, spec[3] = pc.kh, spec[4] = pc.kw;
    vka__epi_spec(spec, 5, pc.act, pc.flags);
    spec[7] = (uint32_t)p->stride[1], spec[8] = (uint32_t)p->dilation[1], spec[9] = xv;
    spec[10] = ph, spec[11] = (uint32_t)few_tm(oc);
    vka__variant(name, sizeof name, "conv2d_few", x->dtype);
    if (w64)
        strncat(name, "_w64", sizeof name - strlen(name) - 1);
    vka_status s = VKA_OK;
    for (int64_t o0 = 0; o0 < O && !s; o0 += oc) {
        vka__convx_push q = pc; /* channels o0.. of y, the residual and the per-channel terms */
        q.off_y += (uint32_t)(o0 * plane), q.off_r += e->residual ? (uint32_t)(o0 * plane) : 0;
        q.off_b += bias ? (uint32_t)o0 : 0, q.off_s += e->scale ? (uint32_t)o0 : 0, q.off_t += e->shift ? (uint32_t)o0 : 0;
        memcpy(spec + VKA__CONV_FEW_SPEC0, e->w_host + o0 * k, sizeof(float) * (size_t)(oc * k));
        s = vka__dispatch(cmd, name, spec, (int)(VKA__CONV_FEW_SPEC0 + nw), b, 8, &q, sizeof q, (uint32_t)gx,
                          (uint32_t)N, 1);
    }
    free(spec);
    return s;
}

vka_status vka__conv2d(vka_cmd *cmd, vka_tensor *x, vka_tensor *w, vka_tensor *bias, const vka_conv_params *p,
                       const vka_conv_epilogue *e, vka_tensor *y, int variant)
{
    static const char *OP = "vka_conv2d";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    vka_conv_params dp = vka_conv_default_params();
    vka_conv_epilogue de;
    memset(&de, 0, sizeof de);
    if (!p)
        p = &dp;
    if (!e)
        e = &de;
    bool packed = e->w_packed != 0;
    if ((s = vka__check_float_dims(ctx, OP, x, "x", 4)) || (s = vka__check_float_dims(ctx, OP, w, "w", 4)) ||
        (s = vka__check_float_dims(ctx, OP, y, "y", 4)) || (bias && (s = vka__check_float_dims(ctx, OP, bias, "bias", 1))) ||
        (s = vka__check_same_dtype(ctx, OP, x, w)) || (s = vka__check_same_dtype(ctx, OP, x, y)) ||
        (bias && (s = vka__check_same_dtype(ctx, OP, x, bias))))
        return s;
    char dx[256], dw[256], dy[256], db[256];
    for (int i = 0; i < 2; i++)
        if (p->stride[i] < 1 || p->dilation[i] < 1)
            return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: stride %lldx%lld and dilation %lldx%lld must be >= 1", OP,
                            (long long)p->stride[0], (long long)p->stride[1], (long long)p->dilation[0],
                            (long long)p->dilation[1]);
    for (int i = 0; i < 4; i++)
        if (p->pad[i] < 0)
            return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: negative pad %lld", OP, (long long)p->pad[i]);
    if ((unsigned)p->act > VKA_ACT_SIGMOID)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: unknown activation %d", OP, (int)p->act);
    int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], Wd = x->shape[3], G = p->groups;
    /* packed weights: [O, KH, KW, roundup(C/G, 4)] */
    int64_t O = w->shape[0], KH = w->shape[packed ? 1 : 2], KW = w->shape[packed ? 2 : 3];
    if (G < 1 || C % G || O % G)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: groups %lld must divide the %lld channels of x %s and the %lld of w %s",
                        OP, (long long)G, (long long)C, vka__tdesc(x, dx, sizeof dx), (long long)O,
                        vka__tdesc(w, dw, sizeof dw));
    if (packed && w->shape[3] != (C / G + 3) / 4 * 4)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: packed w %s must be [O, KH, KW, roundup(C/groups, 4) = %lld] for x %s, "
                        "groups %lld", OP, vka__tdesc(w, dw, sizeof dw), (long long)((C / G + 3) / 4 * 4),
                        vka__tdesc(x, dx, sizeof dx), (long long)G);
    if (!packed && w->shape[1] != C / G)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: w %s must be [O, C/groups = %lld, KH, KW] for x %s, groups %lld", OP,
                        vka__tdesc(w, dw, sizeof dw), (long long)(C / G), vka__tdesc(x, dx, sizeof dx), (long long)G);
    if (bias && bias->shape[0] != O)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: bias %s must be [%lld] for w %s", OP, vka__tdesc(bias, db, sizeof db),
                        (long long)O, vka__tdesc(w, dw, sizeof dw));
    int64_t eh = H + p->pad[0] + p->pad[2] - p->dilation[0] * (KH - 1) - 1;
    int64_t ew = Wd + p->pad[1] + p->pad[3] - p->dilation[1] * (KW - 1) - 1;
    if (eh < 0 || ew < 0 || KH < 1 || KW < 1)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: kernel of w %s (dilation %lldx%lld) is larger than padded x %s", OP,
                        vka__tdesc(w, dw, sizeof dw), (long long)p->dilation[0], (long long)p->dilation[1],
                        vka__tdesc(x, dx, sizeof dx));
    int64_t OH = eh / p->stride[0] + 1, OW = ew / p->stride[1] + 1;
    if (y->shape[0] != N || y->shape[1] != O || y->shape[2] != OH || y->shape[3] != OW)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: y %s must be [%lld, %lld, %lld, %lld] for x %s and w %s", OP,
                        vka__tdesc(y, dy, sizeof dy), (long long)N, (long long)O, (long long)OH, (long long)OW,
                        vka__tdesc(x, dx, sizeof dx), vka__tdesc(w, dw, sizeof dw));
    if (vka__overlap(x, y) || vka__overlap(w, y) || (bias && vka__overlap(bias, y)))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: y %s overlaps an input", OP, vka__tdesc(y, dy, sizeof dy));
    if ((s = check_epi(ctx, "scale", e->scale, O, y)) || (s = check_epi(ctx, "shift", e->shift, O, y)) ||
        (s = check_epi(ctx, "residual", e->residual, y->numel, y)))
        return s;
    vka_conv_epilogue e2 = *e;
    if (e2.residual && e2.residual_before_act && p->act == VKA_ACT_NONE)
        e2.residual_before_act = 0; /* the same thing */
    e = &e2;
    int64_t cg = C / G, og = O / G;
    conv_shape cs = {N, C, H, Wd, O, OH, OW, KH, KW, G, p->stride[0], p->stride[1], p->dilation[0], p->dilation[1],
                     {p->pad[0], p->pad[1], p->pad[2], p->pad[3]}, packed, true, e->w_host != NULL, x->dtype};
    if (!packed && !loops_ok(&cs, V_DIRECT) && !loops_ok(&cs, V_TEX))
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: %lld input channels per group with a %lldx%lld kernel (w %s) "
                        "exceed the per-invocation loop budget", OP, (long long)cg, (long long)KH, (long long)KW,
                        vka__tdesc(w, dw, sizeof dw));
    if (y->numel == 0)
        return VKA_OK;
    conv_variant v = choose(ctx, x->dtype, &cs, x, w, variant);
    if (packed && (v == V_DW || v == V_GEMM || v == V_DIRECT || v == V_FEW || !variant_ok(ctx, &cs, v, x, w)))
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: packed w %s needs the texel or shared kernel, which this device "
                        "or shape does not allow", OP, vka__tdesc(w, dw, sizeof dw));
    ctx->conv_variant = packed ? PLAN_NAMES_PACKED[v] : PLAN_NAMES[v];

    if (v == V_GEMM || v == V_DIRECT) {
        /* the residual before the activation: the kernel without it, then add, then act */
        bool pre = e->residual && e->residual_before_act;
        vka_conv_params q = *p;
        if (pre)
            q.act = VKA_ACT_NONE;
        s = v == V_GEMM ? conv_gemm(cmd, x, w, bias, q.act, y) : conv_direct(cmd, x, w, bias, &q, y);
        if (!s && pre) {
            static const vka_unary_op UN[] = {VKA_UNARY_COUNT, VKA_RELU, VKA_GELU, VKA_GELU_TANH, VKA_SILU, VKA_SIGMOID};
            if (!(s = vka_binary(cmd, VKA_ADD, y, e->residual, y)))
                s = vka_unary(cmd, UN[p->act], y, y);
            vka_conv_epilogue rest = {e->scale, e->shift, NULL, 0, 0, NULL};
            return s ? s : epilogue_passes(cmd, &rest, y);
        }
        return s ? s : epilogue_passes(cmd, e, y);
    }

    vka__convx_push pc = {
        .c = (uint32_t)C, .h = (uint32_t)H, .w = (uint32_t)Wd, .o = (uint32_t)O, .oh = (uint32_t)OH,
        .ow = (uint32_t)OW, .kh = (uint32_t)KH, .kw = (uint32_t)KW, .sh = (uint32_t)p->stride[0],
        .sw = (uint32_t)p->stride[1], .pt = (int32_t)p->pad[0], .pl = (int32_t)p->pad[1],
        .dh = (uint32_t)p->dilation[0], .dw = (uint32_t)p->dilation[1], .cg = (uint32_t)cg, .og = (uint32_t)og,
        .act = (uint32_t)p->act,
        .flags = (bias ? CONV_BIAS : 0) | (e->scale ? CONV_SCALE : 0) | (e->shift ? CONV_SHIFT : 0) |
                 (e->residual ? CONV_RES : 0) | (e->residual && e->residual_before_act ? CONV_RES_PRE : 0),
        .off_x = vka__off(x), .off_w = vka__off(w), .off_b = vka__off(bias), .off_y = vka__off(y),
        .off_s = vka__off(e->scale), .off_t = vka__off(e->shift), .off_r = vka__off(e->residual),
    };
    if (packed) { /* [O, KH, KW, cg4] */
        int64_t cg4 = (cg + 3) / 4 * 4;
        pc.w_os = (uint32_t)(KH * KW * cg4), pc.w_cs = 1, pc.w_ks = (uint32_t)cg4;
    } else { /* OIHW */
        pc.w_os = (uint32_t)(cg * KH * KW), pc.w_cs = (uint32_t)(KH * KW), pc.w_ks = 1;
    }
    pc.w_gs = pc.w_os * (uint32_t)og;
    /* bindings 0-2: x and w (texel-capable), 3: y, 4-7: the epilogue */
    if (v == V_FEW)
        return conv_few(cmd, x, bias, p, e, y, &pc);
    vka__binding b[] = {{x, 0}, {w, 0}, {NULL, 0}, {y, 1}, {e->scale, 0}, {e->shift, 0}, {e->residual, 0}, {bias, 0}};
    uint32_t spec[13], dw_spec[6] = {0};
    int nspec;
    uint64_t gx, gy, gz;
    const char *shader;
    if (v == V_TEX) {
        b[0] = (vka__binding){x, VKA__TEXEL1}, b[1] = (vka__binding){x, VKA__TEXEL};
        b[2] = (vka__binding){w, packed ? VKA__TEXEL : VKA__TEXEL1};
        shader = packed ? "conv2d_tex" : "conv2d_tex_w1";
        /* x as 4-vectors where rows are whole texels: one texel per group
         * where every group is aligned (pointwise), else 2-3 texels and a
         * select of the phase. The latter measured no faster than element
         * loads on lavapipe (1.5x slower at 256 channels, 80x80), so it is
         * only what VKATTN_CONV_XVEC=1 asks for (=0: element loads only). */
        uint32_t xv = Wd % 4 == 0 && OW % 4 == 0 && vka__off(x) % 4 == 0 && p->stride[1] <= 2 ? (uint32_t)p->stride[1] : 0;
        const char *env = getenv("VKATTN_CONV_XVEC");
        if (xv == 1 && KW == 1 && p->pad[1] % 4 == 0)
            xv = 3; /* every group's inputs are one aligned texel */
        else if (!(env && env[0] == '1'))
            xv = 0;
        if (env && env[0] == '0')
            xv = 0;
        uint32_t tm = cg <= 4 ? TEX_TM_FEW : TEX_TM;
        spec[0] = TEX_WG, spec[1] = tm, spec[2] = TEX_TN, spec[3] = xv, nspec = 4;
        /* y (and the residual) in whole aligned 4-vectors: vector stores */
        if ((OH * OW) % 4 == 0 && vka__off(y) % 4 == 0 && (!e->residual || vka__off(e->residual) % 4 == 0))
            pc.flags |= CONV_Y4;
        uint64_t ngrp = ((uint64_t)OH * OW + 3) / 4;
        gx = ((uint64_t)og + tm - 1) / tm;
        gy = (ngrp + TEX_WG * TEX_TN - 1) / (TEX_WG * TEX_TN);
        gz = (uint64_t)(N * G);
    } else if (v == V_DW) {
        /* x's rows as aligned 4-vector texels where they are whole texels
         * (10% faster than element texels: bench conv, dw 3x3 64) */
        uint32_t ph, xv = vka__x_rows_texel4(ctx, x, p->pad[1], &ph);
        b[0].write = VKA__TEXEL1, b[1].write = VKA__TEXEL1, b[2] = (vka__binding){x, xv ? VKA__TEXEL : VKA__TEXEL1};
        shader = "conv2d_dw";
        vka__tile t; /* lanes numbered across the planes (batch x channels) */
        if ((s = vka__tile_layout(ctx, OP, y, KH, KW, &t)))
            return s;
        spec[0] = VKA_TILE_WG, spec[1] = t.rows, spec[2] = (uint32_t)KW, spec[3] = (uint32_t)p->stride[1];
        spec[4] = (uint32_t)p->dilation[1], nspec = 5;
        gx = t.gx, gy = t.gy, gz = 1;
        pc.tiles = (uint32_t)(N * C); /* the planes */
        dw_spec[0] = (uint32_t)KH, dw_spec[1] = (uint32_t)p->stride[0], dw_spec[2] = (uint32_t)p->dilation[0];
        dw_spec[3] = xv, dw_spec[4] = ph;
        dw_spec[5] = t.px / 4;
        if (y_rows4(y, e))
            pc.flags |= CONV_Y4;
    } else { /* V_SHARED: 16x16 workgroups of 4x4 outputs, smaller where the device's limits say so */
        shader = "conv2d_shared";
        const VkPhysicalDeviceLimits *lim = &ctx->props.limits;
        uint32_t wgx = 16, wgy = 16;
        while ((wgx * wgy > lim->maxComputeWorkGroupInvocations || wgx > lim->maxComputeWorkGroupSize[0] ||
                wgy > lim->maxComputeWorkGroupSize[1] || 4u * 16u * 4u * (wgx + wgy) > lim->maxComputeSharedMemorySize) &&
               wgx * wgy > 1) {
            if (wgy >= wgx)
                wgy /= 2;
            else
                wgx /= 2;
        }
        spec[0] = wgx, spec[1] = wgy, spec[2] = 4, spec[3] = 4, spec[4] = 16, nspec = 5;
        gx = ((uint64_t)OH * OW + wgx * 4 - 1) / (wgx * 4);
        gy = ((uint64_t)og + wgy * 4 - 1) / (wgy * 4);
        gz = (uint64_t)(N * G);
    }
    const uint32_t *maxg = ctx->props.limits.maxComputeWorkGroupCount;
    if (gx > maxg[0] || gy > maxg[1] || gz > maxg[2])
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: grid %llux%llux%llu for y %s exceeds the device's limits", OP,
                        (unsigned long long)gx, (unsigned long long)gy, (unsigned long long)gz,
                        vka__tdesc(y, dy, sizeof dy));
    nspec = vka__epi_spec(spec, nspec, pc.act, pc.flags);
    if (v == V_DW) { /* after the epilogue's 5 and 6: kernel height, vertical stride and dilation, XV, PH,
                      * 4-vectors per row (conv2d_dw.comp's 7-12) */
        memcpy(spec + 7, dw_spec, sizeof dw_spec);
        nspec = 13;
    }
    char name[40];
    return vka__dispatch(cmd, vka__variant(name, sizeof name, shader, x->dtype), spec, nspec, b, 8, &pc, sizeof pc,
                         (uint32_t)gx, (uint32_t)gy, (uint32_t)gz);
}

void vka_conv_pack_weights(const float *w, int64_t O, int64_t cg, int64_t KH, int64_t KW, float *out)
{
    int64_t kk = KH * KW, cg4 = (cg + 3) / 4 * 4;
    for (int64_t o = 0; o < O; o++)
        for (int64_t t = 0; t < kk; t++)
            for (int64_t ci = 0; ci < cg4; ci++)
                out[(o * kk + t) * cg4 + ci] = ci < cg ? w[(o * cg + ci) * kk + t] : 0.0f;
}

void vka_fold_batchnorm(const float *w, const float *b, int64_t O, int64_t per_out, const float *scale,
                        const float *bias, const float *mean, const float *var, float eps, float *w_out,
                        float *b_out)
{
    for (int64_t o = 0; o < O; o++) {
        double s = (double)scale[o] / sqrt((double)var[o] + (double)eps);
        for (int64_t i = 0; i < per_out; i++)
            w_out[o * per_out + i] = (float)((double)w[o * per_out + i] * s);
        b_out[o] = (float)(((b ? (double)b[o] : 0.0) - (double)mean[o]) * s + (double)bias[o]);
    }
}
