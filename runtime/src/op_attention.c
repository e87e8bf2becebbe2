/* SPDX-License-Identifier: MIT */
/* op_attention.c — fused flash attention (three variants chosen per device and
 * shape), the attention probe, and the naive GEMM → softmax → GEMM path.
 *
 * Variants of vka_attention (shaders/flash_attn*.comp):
 *   row    one query row per invocation, K/V streamed from the buffer, no shared
 *          memory and no barriers. CPU drivers (lavapipe): every invocation of a
 *          workgroup reads the same key, so shared memory buys nothing and its
 *          barriers cost a coroutine switch each. When K and V addresses are
 *          whole 4-element texels it runs as flash_attn_row_tex: K/V through
 *          texel buffers (a free broadcast on llvmpipe), 4 rows per invocation.
 *   tiled  K/V tiles [BC, D] in shared memory, one query row per invocation
 *          (GPUs). When a whole head's K/V fits the device's shared memory the
 *          tile covers all keys: the short-sequence variant.
 *   split  split-KV: one workgroup per query row whose invocations take
 *          interleaved keys, merged by an in-workgroup reduce. For few query
 *          rows over many keys, where one row per invocation idles the lanes.
 * VKATTN_ATTN_VARIANT=row|tiled|split overrides the choice (tests, benchmarks).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* keep in sync with Push in shaders/include/attn.glsl */
typedef struct vka__attn_push {
    uint32_t B, H, nq, nk;
    uint32_t q_sb, q_sh, q_sr;
    uint32_t k_sb, k_sh, k_sr;
    uint32_t v_sb, v_sh, v_sr;
    uint32_t o_sb, o_sh, o_sr;
    uint32_t q_off, k_off, v_off, o_off;
    uint32_t mask_off, lse_off;
    float scale;
    uint32_t flags;
    int32_t causal_shift;
    uint32_t nrows;
    uint32_t rows_off, p_off;
} vka__attn_push;
_Static_assert(sizeof(vka__attn_push) <= VKA_PUSH_MAX, "push constants");

enum { ATTN_MASK = 1, ATTN_CAUSAL = 2, ATTN_LSE = 4 }; /* keep in sync with attn.glsl */

typedef enum { VAR_ROW, VAR_TILED, VAR_SPLIT } attn_variant;

#define ROW_WG 64
/* flash_attn_row_tex, measured on lavapipe (2 threads, ViT shapes and N=1024,
 * D=32..128): 4 rows per invocation beat 1-3 by 1.3-2x (each K/V texel load
 * serves 4 rows) and are still register-resident enough; workgroups of one
 * 8-wide subgroup beat 16-64 by ~10-30% on short sequences (finer work units
 * balance the two threads and waste fewer rows past nq). */
#define ROW_TEX_WG 8
#define ROW_TEX_ROWS 4
#define TILED_WG 64
#define SPLIT_WG 64

/* Output columns per reduce round of flash_attn_split (its DC). */
static uint32_t split_dc(uint32_t D)
{
    return D % 16 == 0 ? 16 : D % 8 == 0 ? 8 : 4;
}

vka_attn_desc vka_attn_default_desc(void)
{
    vka_attn_desc d;
    memset(&d, 0, sizeof d);
    d.batch = d.heads = 1;
    return d;
}

/* D is a specialization constant (fully unrolled loops). Multiples of 4 from
 * 4 to 128, so that every kernel works in whole groups G of 8 elements, or of
 * 4 when D % 8 != 0 (VKA_ATTN_G in attn.glsl; DETR decoders such as DEIMv2
 * atto's 8 heads of D = 8 and femto's of D = 12): the scores are summed in
 * groups of G (all variants and the probe round alike), the row variant shares
 * a key row over G lanes, flash_attn_row_tex reads G / 4 texels per group, and
 * the split variant reduces its output in slices of 16, 8 or 4 columns. */
int vka__attn_head_dim_ok(int64_t D)
{
    return D >= 4 && D <= 128 && D % 4 == 0;
}

/* Resolves a tensor's strides (dense [B, H, N, D] when all are 0) and checks
 * that every element the descriptor addresses lies inside it. */
static vka_status resolve_strides(vka_context *ctx, const char *op, const char *what, const vka_tensor *t,
                                  const vka_attn_desc *d, int64_t n, const int64_t in[3], int64_t offset,
                                  int64_t out[3])
{
    int64_t D = d->head_dim;
    if (in[0] == 0 && in[1] == 0 && in[2] == 0) {
        out[2] = D;
        out[1] = n * D;
        out[0] = d->heads * n * D;
    } else {
        memcpy(out, in, 3 * sizeof *out);
    }
    char sb[96];
    if (out[0] < 0 || out[1] < 0 || out[2] < 0 || offset < 0)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s strides (%lld, %lld, %lld) / offset %lld are negative", op,
                        what, (long long)out[0], (long long)out[1], (long long)out[2], (long long)offset);
    int64_t end = offset + (d->batch - 1) * out[0] + (d->heads - 1) * out[1] + (n - 1) * out[2] + D;
    if (end > t->numel)
        return vka__err(ctx, VKA_ERR_SHAPE,
                        "%s: %s %s %s holds %lld elements but B=%lld H=%lld N=%lld D=%lld with strides "
                        "(%lld, %lld, %lld) and offset %lld reach element %lld",
                        op, what, vka__tname(t), vka__shape_str(t, sb, sizeof sb), (long long)t->numel,
                        (long long)d->batch, (long long)d->heads, (long long)n, (long long)D, (long long)out[0],
                        (long long)out[1], (long long)out[2], (long long)offset, (long long)end);
    if (end + vka__off(t) > UINT32_MAX)
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: %s %s reaches element %lld, over 32-bit indexing", op, what,
                        vka__tname(t), (long long)end);
    return VKA_OK;
}

/* Checks the descriptor and the tensors shared by vka_attention, the naive path
 * and the probe (v, o may be NULL for the probe), and fills the push constants. */
static vka_status attn_prepare(vka_cmd *cmd, const char *op, const vka_attn_desc *d, vka_tensor *q, vka_tensor *k,
                               vka_tensor *v, vka_tensor *o, int need_vo, vka__attn_push *pc)
{
    vka_status s = vka__check_cmd(cmd, op);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    if (!d)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: descriptor is NULL", op);
    if (!q || !k || (need_vo && (!v || !o)))
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s is NULL", op, !q ? "q" : !k ? "k" : !v ? "v" : "o");
    if (d->batch < 1 || d->heads < 1 || d->nq < 1 || d->nk < 1 || d->head_dim < 1)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: batch %lld, heads %lld, nq %lld, nk %lld, head_dim %lld must be >= 1",
                        op, (long long)d->batch, (long long)d->heads, (long long)d->nq, (long long)d->nk,
                        (long long)d->head_dim);
    if (!vka__attn_head_dim_ok(d->head_dim))
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: head_dim %lld is not supported (multiples of 4 from 4 to 128)", op,
                        (long long)d->head_dim);
    if (d->batch > 65535 || d->heads > 65535 || d->nq > UINT32_MAX || d->nk > UINT32_MAX)
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: batch %lld / heads %lld / nq %lld / nk %lld over the grid limits", op,
                        (long long)d->batch, (long long)d->heads, (long long)d->nq, (long long)d->nk);
    if ((s = vka__check_float(ctx, op, q, "q")))
        return s;
    vka_tensor *same[] = {k, v, o, d->mask};
    for (int i = 0; i < 4; i++)
        if (same[i] && (s = vka__check_same_dtype(ctx, op, q, same[i])))
            return s;
    if (q->dtype == VKA_F16 && !ctx->info.fp16_storage)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: device has no 16-bit storage for f16 tensors", op);

    int64_t qs[3], ks[3], vs[3] = {0}, os[3] = {0};
    if ((s = resolve_strides(ctx, op, "q", q, d, d->nq, d->q_stride, d->q_offset, qs)) ||
        (s = resolve_strides(ctx, op, "k", k, d, d->nk, d->k_stride, d->k_offset, ks)))
        return s;
    if (v && (s = resolve_strides(ctx, op, "v", v, d, d->nk, d->v_stride, d->v_offset, vs)))
        return s;
    if (o && (s = resolve_strides(ctx, op, "o", o, d, d->nq, d->o_stride, d->o_offset, os)))
        return s;
    char sb[96];
    if (d->mask) {
        const vka_tensor *m = d->mask;
        if (m->ndim < 2 || m->numel != d->nq * d->nk || vka_tensor_dim(m, -1) != d->nk ||
            vka_tensor_dim(m, -2) != d->nq)
            return vka__err(ctx, VKA_ERR_SHAPE, "%s: mask %s is %s, want [nq, nk] = [%lld, %lld]", op, vka__tname(m),
                            vka__shape_str(m, sb, sizeof sb), (long long)d->nq, (long long)d->nk);
    }
    if (d->lse) {
        const vka_tensor *l = d->lse;
        if (l->dtype != VKA_F32 || l->numel != d->batch * d->heads * d->nq || vka_tensor_dim(l, -1) != d->nq)
            return vka__err(ctx, VKA_ERR_SHAPE, "%s: lse %s is %s %s, want F32 [B, H, nq] = [%lld, %lld, %lld]", op,
                            vka__tname(l), vka_dtype_str(l->dtype), vka__shape_str(l, sb, sizeof sb),
                            (long long)d->batch, (long long)d->heads, (long long)d->nq);
    }
    if (o && o->dtype == q->dtype && o->alloc.block == q->alloc.block) {
        /* outputs must not alias inputs: the grid reads K/V rows other rows write */
        const vka_tensor *in[] = {q, k, v};
        for (int i = 0; i < 3; i++) {
            const vka_tensor *t = in[i];
            if (!t || t->alloc.block != o->alloc.block)
                continue;
            VkDeviceSize a0 = t->alloc.offset + t->byte_offset, a1 = a0 + t->bytes;
            VkDeviceSize b0 = o->alloc.offset + o->byte_offset, b1 = b0 + o->bytes;
            if (a0 < b1 && b0 < a1)
                return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: o %s overlaps input %s %s", op, vka__tname(o),
                                i == 0 ? "q" : i == 1 ? "k" : "v", vka__tname(t));
        }
    }

    memset(pc, 0, sizeof *pc);
    pc->B = (uint32_t)d->batch;
    pc->H = (uint32_t)d->heads;
    pc->nq = (uint32_t)d->nq;
    pc->nk = (uint32_t)d->nk;
    uint32_t *dst[4] = {&pc->q_sb, &pc->k_sb, &pc->v_sb, &pc->o_sb};
    int64_t *src[4] = {qs, ks, vs, os};
    for (int t = 0; t < 4; t++)
        for (int i = 0; i < 3; i++)
            dst[t][i] = (uint32_t)src[t][i];
    pc->q_off = vka__off(q) + (uint32_t)d->q_offset;
    pc->k_off = vka__off(k) + (uint32_t)d->k_offset;
    pc->v_off = v ? vka__off(v) + (uint32_t)d->v_offset : 0;
    pc->o_off = o ? vka__off(o) + (uint32_t)d->o_offset : 0;
    pc->mask_off = vka__off(d->mask);
    pc->lse_off = vka__off(d->lse);
    pc->scale = d->scale != 0.0f ? d->scale : (float)(1.0 / sqrt((double)d->head_dim));
    pc->flags = (d->mask ? ATTN_MASK : 0) | (d->causal ? ATTN_CAUSAL : 0) | (d->lse ? ATTN_LSE : 0);
    pc->causal_shift = (int32_t)(d->nk - d->nq);
    return VKA_OK;
}

/* Keys per shared tile of the tiled variant: all of them when a head's K and V
 * fit in shared memory (short sequences), else the largest power of two <= 64. */
static uint32_t tiled_bc(const vka_context *ctx, int64_t D, int64_t nk)
{
    uint64_t per_key = 2 * (uint64_t)D * sizeof(float);
    uint64_t fit = ctx->info.max_shared_memory / per_key;
    uint64_t all = ((uint64_t)nk + 15) / 16 * 16; /* rounded: fewer distinct pipelines */
    if (all <= fit && all <= 256)
        return (uint32_t)all;
    uint32_t bc = 64;
    while (bc > 8 && bc > fit)
        bc /= 2;
    return bc;
}

static attn_variant choose_variant(const vka_context *ctx, const vka_attn_desc *d)
{
    const char *env = getenv("VKATTN_ATTN_VARIANT");
    if (env && strcmp(env, "row") == 0)
        return VAR_ROW;
    if (env && strcmp(env, "tiled") == 0)
        return VAR_TILED;
    if (env && strcmp(env, "split") == 0)
        return VAR_SPLIT;
    /* CPU drivers: broadcast loads from the buffer, no barriers (measured on
     * lavapipe: a barrier turns the shader into a coroutine, slower to run and
     * minutes to JIT once unrolled) */
    if (ctx->info.type == VKA_DEVICE_CPU)
        return VAR_ROW;
    /* few rows over many keys: a row per invocation would leave most lanes idle */
    if (d->nq < 16 && d->nk >= 512)
        return VAR_SPLIT;
    if (tiled_bc(ctx, d->head_dim, d->nk) < 8)
        return VAR_ROW;
    return VAR_TILED;
}

/* Can the row variant read K and V as texel buffers of 4-vectors
 * (flash_attn_row_tex)? Needs every K/V address in whole texels: offsets and
 * strides multiples of 4 elements (views of odd offsets fall back to
 * flash_attn_row). VKATTN_ATTN_TEXEL=0 turns it off (tests, comparisons). */
static int row_texel(vka_context *ctx, const vka__attn_push *pc, const vka_tensor *k, const vka_tensor *v)
{
    const char *env = getenv("VKATTN_ATTN_TEXEL");
    if (env && strcmp(env, "0") == 0)
        return 0;
    uint32_t w[] = {pc->k_off, pc->k_sb, pc->k_sh, pc->k_sr, pc->v_off, pc->v_sb, pc->v_sh, pc->v_sr};
    for (size_t i = 0; i < sizeof w / sizeof *w; i++)
        if (w[i] % 4)
            return 0;
    return vka__texel_ok(ctx, k) && vka__texel_ok(ctx, v);
}

/* Query rows per invocation of flash_attn_row_tex: each K/V texel load serves
 * them all. VKATTN_ATTN_ROWS=1..4 overrides (benchmarks). */
static uint32_t row_tex_rows(void)
{
    const char *env = getenv("VKATTN_ATTN_ROWS");
    if (env && env[0] >= '1' && env[0] <= '4' && !env[1])
        return (uint32_t)(env[0] - '0');
    return ROW_TEX_ROWS;
}

/* flash_attn_coopmat: both products on the matrix units, where coopmat.c enabled them (or emulated,
 * VKATTN_COOPMAT=emulate), for f16 with D a multiple of 16 up to 128 whose tiles fit in shared memory. */
static const char *coopmat_kernel(vka_context *ctx, const vka_attn_desc *d, const vka_tensor *q)
{
    if (!(ctx->coopmat_gemm || ctx->coopmat_emulate) || q->dtype != VKA_F16 || d->head_dim % 16 || d->head_dim > 128)
        return NULL;
    uint64_t D = (uint64_t)d->head_dim;
    /* sq, sk, sv, sp, sacc, s_alpha as declared in flash_attn_coopmat.comp */
    uint64_t shared = 64 * D * 2 + 2 * 16 * D * 2 + 64 * 16 * 2 + 4 * 256 * 4 + 64 * 4;
    if (shared > ctx->info.max_shared_memory)
        return NULL;
    /* the emulation's loops per invocation against llvmpipe's 65535 */
    if (ctx->coopmat_emulate && strstr(ctx->info.driver_name, "llvmpipe") &&
        ((uint64_t)d->nk + 15) / 16 * (D / 16) * 300 + 200 > 60000)
        return NULL;
    return ctx->coopmat_gemm ? "flash_attn_coopmat_f16" : "flash_attn_coopmat_f16_emu";
}

vka_status vka_attention(vka_cmd *cmd, const vka_attn_desc *d, vka_tensor *q, vka_tensor *k, vka_tensor *v, vka_tensor *o)
{
    static const char op[] = "vka_attention";
    vka__attn_push pc;
    vka_status s = attn_prepare(cmd, op, d, q, k, v, o, 1, &pc);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    vka__binding b[] = {{q, 0}, {k, 0}, {v, 0}, {o, 1}, {d->mask, 0}, {d->lse, 1}};
    char name[64];
    uint32_t D = (uint32_t)d->head_dim;
    const char *cm = coopmat_kernel(ctx, d, q);
    if (cm) { /* 64 query rows per workgroup */
        uint32_t spec[] = {D};
        return vka__dispatch(cmd, cm, spec, 1, b, 6, &pc, sizeof pc, (pc.nq + 63) / 64, pc.H, pc.B);
    }
    attn_variant var = choose_variant(ctx, d);
    if (strstr(ctx->info.driver_name, "llvmpipe")) {
        /* llvmpipe ends a shader invocation after 65535 loop iterations in all
         * (LP_MAX_TGSI_LOOP_ITERATIONS): refuse what would be cut short */
        uint64_t nk = (uint64_t)d->nk, it;
        if (var == VAR_ROW) /* both row kernels: one dynamic loop, over key blocks of 8 and the tail */
            it = nk / 8 + 8 + 2 * D;
        else if (var == VAR_SPLIT) /* + D / DC reduce rounds (DC as in flash_attn_split.comp) */
            it = (nk / SPLIT_WG / 8 + 8) * 18 * D + (D / split_dc(D)) * (SPLIT_WG + 2 * split_dc(D)) + 2 * SPLIT_WG;
        else
            it = (nk / 8 + 8) * 18 * D + (nk / 8 + 1) * (2 * D);
        if (it > 65000)
            return vka__err(ctx, VKA_ERR_TOO_LARGE,
                            "%s: nk %lld with head_dim %u needs ~%llu loop iterations per invocation in the %s "
                            "variant, over llvmpipe's limit of 65535",
                            op, (long long)d->nk, D, (unsigned long long)it,
                            var == VAR_ROW ? "row" : var == VAR_SPLIT ? "split" : "tiled");
    }
    switch (var) {
    case VAR_SPLIT: {
        uint32_t spec[] = {D, SPLIT_WG};
        return vka__dispatch(cmd, vka__variant(name, sizeof name, "flash_attn_split", q->dtype), spec, 2, b, 6, &pc,
                             sizeof pc, pc.nq, pc.H, pc.B);
    }
    case VAR_TILED: {
        uint32_t bc = tiled_bc(ctx, d->head_dim, d->nk);
        if (bc < 8)
            return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: %u bytes of shared memory hold no K/V tile of head_dim %u",
                            op, ctx->info.max_shared_memory, D);
        uint32_t spec[] = {D, TILED_WG, bc};
        return vka__dispatch(cmd, vka__variant(name, sizeof name, "flash_attn", q->dtype), spec, 3, b, 6, &pc,
                             sizeof pc, (pc.nq + TILED_WG - 1) / TILED_WG, pc.H, pc.B);
    }
    case VAR_ROW:
    default: {
        if (row_texel(ctx, &pc, k, v)) {
            /* K and V as texel buffers; a workgroup covers ROW_TEX_WG·rows query rows */
            uint32_t rows = row_tex_rows(), spec[] = {D, ROW_TEX_WG, rows}, per = ROW_TEX_WG * rows;
            vka__binding bt[] = {{q, 0}, {k, VKA__TEXEL}, {v, VKA__TEXEL}, {o, 1}, {d->mask, 0}, {d->lse, 1}};
            return vka__dispatch(cmd, vka__variant(name, sizeof name, "flash_attn_row_tex", q->dtype), spec, 3, bt,
                                 6, &pc, sizeof pc, (pc.nq + per - 1) / per, pc.H, pc.B);
        }
        uint32_t spec[] = {D, ROW_WG};
        return vka__dispatch(cmd, vka__variant(name, sizeof name, "flash_attn_row", q->dtype), spec, 2, b, 6, &pc,
                             sizeof pc, (pc.nq + ROW_WG - 1) / ROW_WG, pc.H, pc.B);
    }
    }
}

vka_status vka_attention_probe(vka_cmd *cmd, const vka_attn_desc *d, vka_tensor *q, vka_tensor *k, vka_tensor *rows,
                               vka_tensor *probs)
{
    static const char op[] = "vka_attention_probe";
    vka__attn_push pc;
    vka_status s = attn_prepare(cmd, op, d, q, k, NULL, NULL, 0, &pc);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    char sb[96];
    if (!d->lse)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: d->lse is NULL; the probe needs the LSE a vka_attention pass saved", op);
    if (!rows || !probs)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: %s is NULL", op, rows ? "probs" : "rows");
    if (rows->dtype != VKA_I32 || rows->ndim != 1 || rows->numel < 1)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: rows %s is %s %s, want I32 [R]", op, vka__tname(rows),
                        vka_dtype_str(rows->dtype), vka__shape_str(rows, sb, sizeof sb));
    int64_t R = rows->numel;
    int64_t want[4] = {d->batch, d->heads, R, d->nk};
    if (probs->dtype != VKA_F32 || probs->ndim != 4 || memcmp(probs->shape, want, sizeof want) != 0)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: probs %s is %s %s, want F32 [B, H, R, nk] = [%lld, %lld, %lld, %lld]",
                        op, vka__tname(probs), vka_dtype_str(probs->dtype), vka__shape_str(probs, sb, sizeof sb),
                        (long long)want[0], (long long)want[1], (long long)want[2], (long long)want[3]);
    if (R * d->heads > 65535)
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: %lld rows x %lld heads over the grid limit", op, (long long)R,
                        (long long)d->heads);
    pc.nrows = (uint32_t)R;
    pc.rows_off = vka__off(rows);
    pc.p_off = vka__off(probs);
    vka__binding b[] = {{q, 0}, {k, 0}, {d->mask, 0}, {d->lse, 0}, {rows, 0}, {probs, 1}};
    uint32_t spec[] = {(uint32_t)d->head_dim};
    char name[64];
    return vka__dispatch(cmd, vka__variant(name, sizeof name, "attn_probe", q->dtype), spec, 1, b, 6, &pc, sizeof pc,
                         (pc.nk + 63) / 64, (uint32_t)(R * d->heads), pc.B);
}

/* ---------------------------------------------------------------- naive path */

/* A view of t starting `offset` elements in that spans `extent` elements. GEMM
 * has no offset field, so strided operands are passed as views; the views hold
 * no memory and are not needed once the dispatch is recorded. */
static vka_tensor *span_view(vka_tensor *t, int64_t offset, int64_t extent)
{
    int64_t shape[2] = {1, extent};
    return vka_tensor_view(t, offset, 2, shape);
}

/* One batched GEMM c = a·op(b) over views of a, b, c: `per` heads each. */
static vka_status naive_gemm(vka_cmd *cmd, const char *op, vka_gemm_desc *g, vka_tensor *a, int64_t a_off,
                             int64_t a_ext, vka_tensor *b, int64_t b_off, int64_t b_ext, vka_tensor *c,
                             int64_t c_off, int64_t c_ext)
{
    vka_tensor *av = span_view(a, a_off, a_ext), *bv = span_view(b, b_off, b_ext), *cv = span_view(c, c_off, c_ext);
    vka_status s = (!av || !bv || !cv) ? vka__err(cmd->ctx, VKA_ERR_SHAPE, "%s: operand views: %s", op,
                                                  vka_context_last_error(cmd->ctx))
                                       : vka_gemm(cmd, g, av, bv, cv);
    vka_tensor_destroy(av);
    vka_tensor_destroy(bv);
    vka_tensor_destroy(cv);
    return s;
}

vka_status vka_attention_naive(vka_cmd *cmd, const vka_attn_desc *d, vka_tensor *q, vka_tensor *k, vka_tensor *v,
                               vka_tensor *scores, vka_tensor *o)
{
    static const char op[] = "vka_attention_naive";
    vka__attn_push pc;
    vka_status s = attn_prepare(cmd, op, d, q, k, v, o, 1, &pc);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    char sb[96];
    if (d->causal)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED,
                        "%s: causal is not supported; pass an additive causal mask in d->mask instead", op);
    if (d->lse)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: the naive path does not produce lse; set d->lse = NULL", op);
    if (!scores)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "%s: scores is NULL", op);
    int64_t want[4] = {d->batch, d->heads, d->nq, d->nk};
    if ((scores->dtype != VKA_F32 && scores->dtype != q->dtype) || scores->ndim != 4 ||
        memcmp(scores->shape, want, sizeof want) != 0)
        return vka__err(ctx, VKA_ERR_SHAPE,
                        "%s: scores %s is %s %s, want F32 or %s [B, H, nq, nk] = [%lld, %lld, %lld, %lld]", op,
                        vka__tname(scores), vka_dtype_str(scores->dtype), vka__shape_str(scores, sb, sizeof sb),
                        vka_dtype_str(q->dtype), (long long)want[0], (long long)want[1], (long long)want[2],
                        (long long)want[3]);

    /* Batch each GEMM over B·H when every tensor's batch stride is H head
     * strides (true of [B,H,N,D], [B,N,H,D] and packed QKV), else loop over B. */
    int64_t B = d->batch, H = d->heads, D = d->head_dim, nq = d->nq, nk = d->nk;
    int flat = pc.q_sb == H * (int64_t)pc.q_sh && pc.k_sb == H * (int64_t)pc.k_sh &&
               pc.v_sb == H * (int64_t)pc.v_sh && pc.o_sb == H * (int64_t)pc.o_sh;
    int64_t nb = flat ? 1 : B, per = flat ? B * H : H;
    /* S = Q·Kᵀ per head, unscaled: the softmax applies the scale and the mask */
    for (int64_t bi = 0; bi < nb && !s; bi++) {
        vka_gemm_desc g = vka_gemm_default_desc();
        g.trans_b = 1;
        g.batch = per, g.m = nq, g.n = nk, g.k = D;
        g.lda = pc.q_sr, g.ldb = pc.k_sr, g.ldc = nk;
        g.stride_a = pc.q_sh, g.stride_b = pc.k_sh, g.stride_c = nq * nk;
        s = naive_gemm(cmd, op, &g, q, d->q_offset + bi * pc.q_sb, (per - 1) * pc.q_sh + (nq - 1) * pc.q_sr + D, k,
                       d->k_offset + bi * pc.k_sb, (per - 1) * pc.k_sh + (nk - 1) * pc.k_sr + D, scores,
                       bi * per * nq * nk, per * nq * nk);
    }
    if (!s)
        s = vka_softmax(cmd, scores, pc.scale, d->mask, scores);
    /* O = P·V per head */
    for (int64_t bi = 0; bi < nb && !s; bi++) {
        vka_gemm_desc g = vka_gemm_default_desc();
        g.batch = per, g.m = nq, g.n = D, g.k = nk;
        g.lda = nk, g.ldb = pc.v_sr, g.ldc = pc.o_sr;
        g.stride_a = nq * nk, g.stride_b = pc.v_sh, g.stride_c = pc.o_sh;
        s = naive_gemm(cmd, op, &g, scores, bi * per * nq * nk, per * nq * nk, v, d->v_offset + bi * pc.v_sb,
                       (per - 1) * pc.v_sh + (nk - 1) * pc.v_sr + D, o, d->o_offset + bi * pc.o_sb,
                       (per - 1) * pc.o_sh + (nq - 1) * pc.o_sr + D);
    }
    return s;
}
