/* SPDX-License-Identifier: MIT */
/* op_gemm.c — vka_gemm: batched C = act(alpha·op(A)·op(B) + bias) + residual + beta·C.
 *
 * Two algorithms, picked per call from the device (VKATTN_GEMM_VARIANT=regtile|shared
 * overrides): a barrier-free register-tiled kernel for CPU drivers, where a
 * workgroup barrier is a coroutine switch and shared memory is just more
 * memory (its operands as texel buffers where the device allows, in the
 * orientation that keeps its lanes busy: plan_regtile), and a shared-memory
 * tiled kernel for GPUs. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* keep in sync with Push in shaders/include/gemm_common.glsl */
typedef struct vka__gemm_push {
    uint32_t m, n, k;
    uint32_t z0;                 /* first batch of this dispatch */
    uint32_t a_rs, a_ks, a_bs;   /* element strides of op(A): row, k, batch */
    uint32_t b_ks, b_ns, b_bs;   /* of op(B): k, column, batch */
    uint32_t c_rs, c_bs;         /* of C and the residual */
    uint32_t c_cs;               /* column stride of C: 1, or c_rs when the kernel computes Cᵀ */
    uint32_t off_a, off_b, off_c, off_bias, off_res;
    float alpha, beta;
    uint32_t act;
    uint32_t flags;
} vka__gemm_push;
_Static_assert(sizeof(vka__gemm_push) <= VKA_PUSH_MAX, "push constants");

/* keep in sync with VKA_GEMM_* in gemm_common.glsl */
enum { GEMM_BIAS = 1, GEMM_RES = 2, GEMM_BETA = 4, GEMM_BIAS_ROW = 8 };

/* Tiles, tuned on lavapipe (regtile) and typical desktop GPUs (shared); see docs/perf.md. */
enum { RT_WG = 64, RT_TM = 8, RT_TN_SB = 2 };
/* The texel kernels: workgroups of one 8-wide subgroup (64 columns of 8 rows).
 * A workgroup streams a K × 64 panel of B; the next one down the rows finds it
 * in L2, where 512 columns (1.5 MiB at K = 768) did not fit. */
enum { RT_TEX_WG = 8, RT_TN = 2 };
enum { SH_WGX = 16, SH_WGY = 16, SH_TM = 4, SH_TN = 4, SH_BK = 16 };

vka_gemm_desc vka_gemm_default_desc(void)
{
    vka_gemm_desc d;
    memset(&d, 0, sizeof d);
    d.alpha = 1.0f;
    return d;
}

/* One stored matrix operand: rows × cols with leading dimension ld, batch stride bs. */
typedef struct operand {
    const char *what;
    vka_tensor *t;
    int64_t rows, cols, ld, bs;
} operand;

static int overlaps(const vka_tensor *x, const vka_tensor *y)
{
    if (!x || !y || x->alloc.block != y->alloc.block)
        return 0;
    VkDeviceSize x0 = x->alloc.offset + x->byte_offset, y0 = y->alloc.offset + y->byte_offset;
    return x0 < y0 + y->bytes && y0 < x0 + x->bytes;
}

/* Fills in the default ld and batch stride and checks that every batch's
 * matrix lies inside the tensor. */
static vka_status resolve(vka_context *ctx, operand *o, int64_t batch, int64_t ld, int64_t bs, int shareable)
{
    vka_tensor *t = o->t;
    char sb[96];
    /* a strided operand (ld set) may be any 1-D to 3-D span of memory */
    if (t->ndim > 3 || t->ndim < (ld ? 1 : 2))
        return vka__err(ctx, VKA_ERR_SHAPE, "vka_gemm: %s %s has shape %s; 2-D or 3-D expected", o->what,
                        vka__tname(t), vka__shape_str(t, sb, sizeof sb));
    if (ld == 0) {
        /* dense: the tensor's matrix dims must be exactly the operand's */
        if (t->shape[t->ndim - 2] != o->rows || t->shape[t->ndim - 1] != o->cols)
            return vka__err(ctx, VKA_ERR_SHAPE,
                            "vka_gemm: %s %s has shape %s but the product needs [%s%lld, %lld] (set ld%s and m/n/k for "
                            "strided views)",
                            o->what, vka__tname(t), vka__shape_str(t, sb, sizeof sb), t->ndim == 3 ? "batch, " : "",
                            (long long)o->rows, (long long)o->cols, o->what);
        ld = o->cols;
    }
    if (ld < o->cols)
        return vka__err(ctx, VKA_ERR_SHAPE, "vka_gemm: ld%s = %lld is less than the %lld columns of %s %s", o->what,
                        (long long)ld, (long long)o->cols, o->what, vka__tname(t));
    if (bs == 0) {
        if (t->ndim == 3) {
            if (t->shape[0] != batch)
                return vka__err(ctx, VKA_ERR_SHAPE, "vka_gemm: %s %s has shape %s; batch %lld expected", o->what,
                                vka__tname(t), vka__shape_str(t, sb, sizeof sb), (long long)batch);
            bs = t->shape[1] * t->shape[2];
        } else if (batch > 1 && !shareable) {
            return vka__err(ctx, VKA_ERR_SHAPE, "vka_gemm: %s %s has shape %s but batch is %lld (set stride_%s)",
                            o->what, vka__tname(t), vka__shape_str(t, sb, sizeof sb), (long long)batch, o->what);
        }
    }
    if (bs < 0)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_gemm: stride_%s is negative", o->what);
    int64_t need = (batch - 1) * bs + (o->rows - 1) * ld + o->cols; /* one past the last element read */
    if (o->rows > 0 && o->cols > 0 && need > t->numel)
        return vka__err(ctx, VKA_ERR_SHAPE,
                        "vka_gemm: %s %s (shape %s, %lld elements) is too small for %lld × [%lld, %lld] with ld %lld "
                        "and batch stride %lld",
                        o->what, vka__tname(t), vka__shape_str(t, sb, sizeof sb), (long long)t->numel,
                        (long long)batch, (long long)o->rows, (long long)o->cols, (long long)ld, (long long)bs);
    if (need > (int64_t)UINT32_MAX || ld > (int64_t)UINT32_MAX || bs > (int64_t)UINT32_MAX)
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "vka_gemm: %s %s needs 32-bit indices beyond 2^32", o->what,
                        vka__tname(t));
    o->ld = ld;
    o->bs = bs;
    return VKA_OK;
}

/* "regtile" on CPU drivers, "shared" elsewhere; VKATTN_GEMM_VARIANT overrides. */
static int use_regtile(vka_context *ctx)
{
    const char *v = getenv("VKATTN_GEMM_VARIANT");
    /* the regtile kernel hands A around 8 lanes with subgroupBroadcast */
    int ok = ctx->info.subgroup_size >= 8 && RT_WG % ctx->info.subgroup_size == 0;
    if (v && strcmp(v, "regtile") == 0 && ok)
        return 1;
    if (v && strcmp(v, "shared") == 0)
        return 0;
    return ok && ctx->info.type == VKA_DEVICE_CPU;
}

/* The kernel computes Cᵀ = Bᵀ·Aᵀ: A and B trade places and C is written
 * through its columns (lanes then run along the rows of C). */
static void swap_operands(vka__gemm_push *pc)
{
    vka__gemm_push o = *pc;
    pc->m = o.n, pc->n = o.m;
    pc->a_rs = o.b_ns, pc->a_ks = o.b_ks, pc->a_bs = o.b_bs, pc->off_a = o.off_b;
    pc->b_ks = o.a_ks, pc->b_ns = o.a_rs, pc->b_bs = o.a_bs, pc->off_b = o.off_a;
    pc->c_rs = o.c_cs, pc->c_cs = o.c_rs;
    pc->flags |= GEMM_BIAS_ROW;
}

/* Rows of op(A) made of whole 4-element texels (every batch too). */
static int a_vec4(const vka__gemm_push *pc, int64_t batch)
{
    return pc->a_ks == 1 && pc->k % 4 == 0 && pc->off_a % 4 == 0 && (pc->m == 1 || pc->a_rs % 4 == 0) &&
           (batch == 1 || pc->a_bs % 4 == 0);
}

/* Columns of op(B) in 4-vectors: every row of every batch starts on a texel. */
static int b_vec4(const vka__gemm_push *pc, int64_t batch)
{
    return pc->b_ns == 1 && pc->n % 4 == 0 && pc->off_b % 4 == 0 && (pc->k == 1 || pc->b_ks % 4 == 0) &&
           (batch == 1 || pc->b_bs % 4 == 0);
}

typedef struct regtile_plan {
    uint32_t spec[5];            /* WG, TM, TN, VEC, WIDE */
    int swap;                    /* compute Cᵀ = Bᵀ·Aᵀ */
    int tex_a, tex_b;            /* vka__binding.write of A and B: 0, VKA__TEXEL or VKA__TEXEL1 */
    const char *shader;
} regtile_plan;

/* Relative cost per multiply-add of the texel kernels on llvmpipe: element
 * texels cost four loads where a vector costs one. Fitted to where the two
 * orientations cross over (bench gemm --vary VKATTN_GEMM_SWAP=0:1, docs/perf.md):
 * 300x32x256 even, 300x91x256 and 845x80x96 better unswapped. */
static double texel_cost(int a4, int b4)
{
    return 1.0 + (a4 ? 0 : 0.4) + (b4 ? 0 : 0.4);
}

/* Padded multiply-adds of a TM × cols tile grid over rows × cols: what llvmpipe
 * computes, clamped lanes included. */
static double padded(int64_t rows, int64_t cols, int64_t tm, int64_t tn)
{
    return (double)((rows + tm - 1) / tm * tm) * (double)((cols + tn - 1) / tn * tn);
}

/* Chooses the regtile kernel for a CPU driver. Texel buffers (gemm_regtile_tex*)
 * whenever the views are possible: 4-vector texels where an operand's rows are
 * whole texels, element texels otherwise; and Cᵀ = Bᵀ·Aᵀ when C is so narrow
 * (N up to ~32 at M in the hundreds: DETR box heads, DEIMv2's integral) that
 * most lanes of a column tile would compute clamped copies. The storage-buffer kernel
 * (gemm_regtile) is the fallback, and what VKATTN_GEMM_TEXEL=0 forces.
 * For tests and comparisons: VKATTN_GEMM_TEXEL=vec4 is the selection from
 * before element texels and 8-wide workgroups (4-vector texels only, 64, 32
 * or 16 lanes); VKATTN_GEMM_SWAP=0|1 forces the orientation;
 * VKATTN_GEMM_TILE=wg,tm,tn[,wide] sets the tile. */
static void plan_regtile(vka_context *ctx, const vka__gemm_push *pc, const vka_tensor *a, const vka_tensor *b,
                         int64_t batch, regtile_plan *rp)
{
    const char *tx = getenv("VKATTN_GEMM_TEXEL");
    int no_tex = tx && strcmp(tx, "0") == 0, vec4_only = tx && strcmp(tx, "vec4") == 0;
    int64_t m = pc->m, n = pc->n;
    memset(rp, 0, sizeof *rp);
    rp->spec[0] = RT_TEX_WG, rp->spec[1] = RT_TM, rp->spec[2] = RT_TN, rp->spec[3] = 4;
    int64_t tm = RT_TM, tn = (int64_t)RT_TEX_WG * RT_TN * 4;

    /* the texel kernels, both orientations */
    int a4 = a_vec4(pc, batch), b4 = b_vec4(pc, batch);
    int ok = !no_tex && (a4 ? vka__texel_ok(ctx, a) : vka__texel1_ok(ctx, a)) &&
             (b4 ? vka__texel_ok(ctx, b) : vka__texel1_ok(ctx, b));
    if (vec4_only)
        ok = ok && a4 && b4;
    vka__gemm_push t = *pc;
    swap_operands(&t);
    int ta4 = a_vec4(&t, batch), tb4 = b_vec4(&t, batch);
    int tok = !no_tex && !vec4_only && (ta4 ? vka__texel_ok(ctx, b) : vka__texel1_ok(ctx, b)) &&
              (tb4 ? vka__texel_ok(ctx, a) : vka__texel1_ok(ctx, a));
    double cost = ok ? padded(m, n, tm, tn) * texel_cost(a4, b4) : 1e300;
    double tcost = tok ? padded(n, m, tm, tn) * texel_cost(ta4, tb4) : 1e300;
    if (tok && tcost < cost) {
        rp->swap = 1;
        a4 = ta4, b4 = tb4;
    }
    const char *sw = getenv("VKATTN_GEMM_SWAP"); /* 0 / 1 forces the orientation (tests) */
    if (sw && (sw[0] == '0' || sw[0] == '1') && !sw[1] && tok && ok) {
        rp->swap = sw[0] == '1';
        a4 = rp->swap ? ta4 : a_vec4(pc, batch), b4 = rp->swap ? tb4 : b_vec4(pc, batch);
    }
    if (ok && vec4_only) {
        /* the narrowest of 64, 32, 16 invocations that wastes the fewest
         * columns in the last tile, as before the 8-wide workgroups */
        double best = 1e300;
        for (uint32_t w = 64; w >= 16; w /= 2)
            if (padded(1, n, 1, (int64_t)w * RT_TN * 4) < best)
                best = padded(1, n, 1, (int64_t)w * RT_TN * 4), rp->spec[0] = w;
    }
    if (ok || rp->swap) {
        rp->tex_a = a4 ? VKA__TEXEL : VKA__TEXEL1;
        rp->tex_b = b4 ? VKA__TEXEL : VKA__TEXEL1;
        rp->shader = a4 && b4 ? "gemm_regtile_tex" : a4 ? "gemm_regtile_tex_b1" : b4 ? "gemm_regtile_tex_a1"
                                                                                  : "gemm_regtile_tex_a1b1";
    } else {
        /* storage buffers: B as vec4 when every row of every batch starts on a 4-element boundary */
        rp->spec[0] = RT_WG, rp->spec[2] = RT_TN_SB, rp->spec[3] = b_vec4(pc, batch) ? 4 : 1;
        rp->spec[4] = ctx->shader_int64 ? 1 : 0;
        rp->shader = "gemm_regtile";
    }
    /* tuning aid: VKATTN_GEMM_TILE=wg,tm,tn[,wide] */
    const char *tile = getenv("VKATTN_GEMM_TILE");
    unsigned wg, tmv, tnv, wide;
    int nt = tile ? sscanf(tile, "%u,%u,%u,%u", &wg, &tmv, &tnv, &wide) : 0;
    if (nt >= 3 && wg && tmv && tnv && (rp->tex_a || wg % 8 == 0))
        rp->spec[0] = wg, rp->spec[1] = tmv, rp->spec[2] = tnv;
    if (nt == 4 && !rp->tex_a)
        rp->spec[4] = wide && ctx->shader_int64;
}

vka_status vka_gemm(vka_cmd *cmd, const vka_gemm_desc *d, vka_tensor *a, vka_tensor *b, vka_tensor *c)
{
    static const char *op = "vka_gemm";
    vka_status s = vka__check_cmd(cmd, op);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if (!d)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_gemm: desc is NULL");
    if ((s = vka__check_float(ctx, op, a, "a")) || (s = vka__check_float(ctx, op, b, "b")) ||
        (s = vka__check_float(ctx, op, c, "c")))
        return s;
    if (d->bias && (s = vka__check_float(ctx, op, d->bias, "bias")))
        return s;
    if (d->residual && (s = vka__check_float(ctx, op, d->residual, "residual")))
        return s;
    if ((s = vka__check_same_dtype(ctx, op, a, b)) || (s = vka__check_same_dtype(ctx, op, a, c)) ||
        (s = vka__check_same_dtype(ctx, op, a, d->bias)) || (s = vka__check_same_dtype(ctx, op, a, d->residual)))
        return s;
    if ((unsigned)d->act > VKA_ACT_SIGMOID)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_gemm: unknown activation %d", (int)d->act);
    if (d->m < 0 || d->n < 0 || d->k < 0 || d->batch < 0 || d->lda < 0 || d->ldb < 0 || d->ldc < 0)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_gemm: negative m, n, k, batch or leading dimension");
    if (overlaps(c, a) || overlaps(c, b))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_gemm: output c %s overlaps input %s %s", vka__tname(c),
                        overlaps(c, a) ? "a" : "b", vka__tname(overlaps(c, a) ? a : b));
    if (overlaps(c, d->bias) || overlaps(c, d->residual))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_gemm: output c %s overlaps %s", vka__tname(c),
                        overlaps(c, d->bias) ? "bias" : "residual");
    /* sizes: the descriptor's, else the tensors' (a 1-D operand needs them given) */
#define VKA_DIM(t, i) ((t)->ndim >= (i) ? (t)->shape[(t)->ndim - (i)] : -1)
    int64_t m = d->m ? d->m : VKA_DIM(a, d->trans_a ? 1 : 2);
    int64_t k = d->k ? d->k : VKA_DIM(a, d->trans_a ? 2 : 1);
    int64_t n = d->n ? d->n : VKA_DIM(b, d->trans_b ? 2 : 1);
    int64_t kb = d->k ? d->k : VKA_DIM(b, d->trans_b ? 1 : 2);
#undef VKA_DIM
    if (m < 0 || n < 0 || k < 0 || kb < 0)
        return vka__err(ctx, VKA_ERR_SHAPE, "vka_gemm: a %s or b %s is 1-D; set m, n and k in the descriptor",
                        vka__tname(a), vka__tname(b));
    int64_t batch = d->batch;
    if (!batch)
        batch = c->ndim == 3 ? c->shape[0] : a->ndim == 3 ? a->shape[0] : b->ndim == 3 ? b->shape[0] : 1;
    if (kb != k) {
        char sa[96], sb[96];
        return vka__err(ctx, VKA_ERR_SHAPE, "vka_gemm: inner dimensions differ: a %s %s%s has k = %lld, b %s %s%s has k = %lld",
                        vka__tname(a), vka__shape_str(a, sa, sizeof sa), d->trans_a ? "ᵀ" : "", (long long)k,
                        vka__tname(b), vka__shape_str(b, sb, sizeof sb), d->trans_b ? "ᵀ" : "", (long long)kb);
    }
    operand oa = {"a", a, d->trans_a ? k : m, d->trans_a ? m : k, 0, 0};
    operand ob = {"b", b, d->trans_b ? n : k, d->trans_b ? k : n, 0, 0};
    operand oc = {"c", c, m, n, 0, 0};
    if ((s = resolve(ctx, &oa, batch, d->lda, d->stride_a, 1)) || (s = resolve(ctx, &ob, batch, d->ldb, d->stride_b, 1)) ||
        (s = resolve(ctx, &oc, batch, d->ldc, d->stride_c, 0)))
        return s;
    if (d->bias && (d->bias->numel != n || d->bias->shape[d->bias->ndim ? d->bias->ndim - 1 : 0] != n)) {
        char sb[96];
        return vka__err(ctx, VKA_ERR_SHAPE, "vka_gemm: bias %s has shape %s; [%lld] expected", vka__tname(d->bias),
                        vka__shape_str(d->bias, sb, sizeof sb), (long long)n);
    }
    if (d->residual) {
        int same = d->residual->ndim == c->ndim;
        for (int i = 0; same && i < c->ndim; i++)
            same = d->residual->shape[i] == c->shape[i];
        if (!same) {
            char sr[96], sc[96];
            return vka__err(ctx, VKA_ERR_SHAPE, "vka_gemm: residual %s has shape %s; c %s has %s",
                            vka__tname(d->residual), vka__shape_str(d->residual, sr, sizeof sr), vka__tname(c),
                            vka__shape_str(c, sc, sizeof sc));
        }
    }
    if (m == 0 || n == 0 || batch == 0)
        return VKA_OK;
    /* k == 0: the product is zero and the epilogue still runs (the shaders' loops do nothing) */

    vka__gemm_push pc = {
        .m = (uint32_t)m, .n = (uint32_t)n, .k = (uint32_t)k,
        .a_rs = (uint32_t)(d->trans_a ? 1 : oa.ld), .a_ks = (uint32_t)(d->trans_a ? oa.ld : 1),
        .a_bs = (uint32_t)oa.bs,
        .b_ks = (uint32_t)(d->trans_b ? 1 : ob.ld), .b_ns = (uint32_t)(d->trans_b ? ob.ld : 1),
        .b_bs = (uint32_t)ob.bs,
        .c_rs = (uint32_t)oc.ld, .c_bs = (uint32_t)oc.bs, .c_cs = 1,
        .off_a = vka__off(a), .off_b = vka__off(b), .off_c = vka__off(c),
        .off_bias = vka__off(d->bias), .off_res = vka__off(d->residual),
        .alpha = d->alpha, .beta = d->beta,
        .act = (uint32_t)d->act,
        .flags = (d->bias ? GEMM_BIAS : 0) | (d->residual ? GEMM_RES : 0) | (d->beta != 0.0f ? GEMM_BETA : 0),
    };

    char name[40];
    uint32_t spec[8];
    int nspec;
    int64_t bm, bn;
    int rowmajor_grid = 0;
    int bind_a = 0, bind_b = 0, swapped = 0;
    vka_tensor *ta = a, *tb = b;
    if ((ctx->coopmat_gemm || ctx->coopmat_emulate) && a->dtype == VKA_F16) { /* the matrix units (coopmat.c) */
        nspec = 0;
        bm = bn = 64;
        snprintf(name, sizeof name, "%s", ctx->coopmat_gemm ? "gemm_coopmat_f16" : "gemm_coopmat_f16_emu");
    } else if (use_regtile(ctx)) {
        rowmajor_grid = 1;
        regtile_plan rp;
        plan_regtile(ctx, &pc, a, b, batch, &rp);
        memcpy(spec, rp.spec, sizeof rp.spec);
        nspec = 5;
        bm = spec[1], bn = (int64_t)spec[0] * spec[2] * spec[3];
        if (rp.swap) { /* Cᵀ = Bᵀ·Aᵀ */
            swapped = 1;
            swap_operands(&pc);
            ta = b, tb = a;
        }
        bind_a = rp.tex_a, bind_b = rp.tex_b;
        /* llvmpipe ends an invocation after 65535 loop iterations in all:
         * refuse what would silently be cut short (k / 4 or k / 8 trips) */
        int64_t trips = rp.tex_a ? k / 4 + 4 : k / 8 + 2;
        if (strstr(ctx->info.driver_name, "llvmpipe") && trips > 65000)
            return vka__err(ctx, VKA_ERR_TOO_LARGE,
                            "vka_gemm: k = %lld needs %lld loop iterations per invocation, over llvmpipe's limit of "
                            "65535",
                            (long long)k, (long long)trips);
        vka__variant(name, sizeof name, rp.shader, a->dtype);
    } else {
        spec[0] = SH_WGX, spec[1] = SH_WGY, spec[2] = SH_TM, spec[3] = SH_TN, spec[4] = SH_BK, nspec = 5;
        bm = SH_WGY * SH_TM, bn = SH_WGX * SH_TN;
        vka__variant(name, sizeof name, "gemm_shared", a->dtype);
    }
    int64_t km = swapped ? n : m, kn = swapped ? m : n; /* the kernel's rows and columns */
    const uint32_t *maxg = ctx->props.limits.maxComputeWorkGroupCount;
    int64_t gx = (kn + bn - 1) / bn, gy = (km + bm - 1) / bm;
    if (rowmajor_grid) { /* regtile: x over rows (see gemm_regtile.comp) */
        int64_t t = gx;
        gx = gy, gy = t;
    }
    if (gx > maxg[0] || gy > maxg[1])
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "vka_gemm: c %s [%lld, %lld] needs a %lldx%lld grid; the device allows %ux%u",
                        vka__tname(c), (long long)m, (long long)n, (long long)gx, (long long)gy, maxg[0], maxg[1]);
    nspec = vka__epi_spec(spec, nspec, pc.act, pc.flags); /* after the swap: its flags */
    vka__binding bind[] = {{ta, bind_a}, {tb, bind_b}, {c, 1}, {d->bias, 0}, {d->residual, 0}};
    /* batches beyond maxComputeWorkGroupCount[2] go into further dispatches */
    for (int64_t z0 = 0; z0 < batch; z0 += maxg[2]) {
        int64_t gz = batch - z0 < maxg[2] ? batch - z0 : maxg[2];
        pc.z0 = (uint32_t)z0;
        if ((s = vka__dispatch(cmd, name, spec, nspec, bind, 5, &pc, sizeof pc, (uint32_t)gx, (uint32_t)gy,
                               (uint32_t)gz)))
            return s;
    }
    return VKA_OK;
}
