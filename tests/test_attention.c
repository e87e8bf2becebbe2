/* SPDX-License-Identifier: MIT */
/* test_attention.c — vka_attention (every variant), vka_attention_probe and
 * vka_attention_naive against a float64 CPU reference: head dims 4 .. 128
 * (every multiple of 16; 8, 24, 40 for the multiples of 8 that are not of 16;
 * 4, 12, 20, 36 for the multiples of 4 that are not of 8: DETR decoders such
 * as DEIMv2 atto's run 8 heads of D = 8, femto's of D = 12), N = 1 .. 16384,
 * cross-attention (nq != nk), B·H > 1, [B,H,N,D], [B,N,H,D] and packed QKV
 * [B,N,3,H,D] through strides, unaligned views and offsets,
 * additive masks with -inf entries, causal, LSE; logits large enough that exp
 * overflows without the max subtraction; on CPU devices, which row kernel ran
 * (K/V as texel buffers when aligned, else storage buffers). Then the error
 * paths. */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

enum { L_BHND = 0, L_BNHD = 1, L_QKV = 2 };
static const char *layout_str[] = {"BHND", "BNHD", "QKV"};

typedef struct acase {
    vka_dtype dt;
    int64_t B, H, nq, nk, D;
    int layout;
    int mask, causal, lse, unaligned, probe, naive;
    float scale;         /* 0: default 1/sqrt(D) */
    float sd;            /* of q and k: logits of sd ≈ sd²·sqrt(D)·scale */
    const char *variant; /* VKATTN_ATTN_VARIANT, NULL: the device's choice */
    int notexel;         /* VKATTN_ATTN_TEXEL=0: the row variant without texel buffers */
    const char *rows;    /* VKATTN_ATTN_ROWS (flash_attn_row_tex rows per invocation), NULL: default */
    int coopmat;         /* run in a VKATTN_COOPMAT=emulate context: flash_attn_coopmat_f16_emu must run */
} acase;

typedef struct lay {
    int64_t sb, sh, sr, off; /* element strides and offset into the host array */
} lay;

static lay make_lay(int layout, int64_t B, int64_t H, int64_t N, int64_t D, int which, int64_t pad)
{
    (void)B;
    lay l;
    if (layout == L_BHND)
        l = (lay){H * N * D, N * D, D, pad};
    else if (layout == L_BNHD || which == 3)
        l = (lay){N * H * D, D, H * D, pad};
    else
        l = (lay){N * 3 * H * D, D, 3 * H * D, pad + which * H * D};
    return l;
}

/* float64 reference: out [B, H, nq, D], lse [B, H, nq] (dense); mag [B, H, nq]:
 * per row the largest magnitude of a visible score's terms,
 * scale·Σ|q_d·k_d| + |mask|, which bounds the fp32 error of the row's LSE */
static void ref_attention(const acase *c, double scale, const float *q, lay lq, const float *k, lay lk,
                          const float *v, lay lv, const float *mask, double *out, double *lse, double *mag)
{
    int64_t D = c->D, nq = c->nq, nk = c->nk;
    double *s = malloc(sizeof *s * (size_t)nk);
    for (int64_t b = 0; b < c->B; b++)
        for (int64_t h = 0; h < c->H; h++)
            for (int64_t i = 0; i < nq; i++) {
                const float *qi = q + lq.off + b * lq.sb + h * lq.sh + i * lq.sr;
                double m = -INFINITY, big = 0;
                for (int64_t j = 0; j < nk; j++) {
                    const float *kj = k + lk.off + b * lk.sb + h * lk.sh + j * lk.sr;
                    double x = 0, ax = 0;
                    for (int64_t d = 0; d < D; d++) {
                        x += (double)qi[d] * kj[d];
                        ax += fabs((double)qi[d] * kj[d]);
                    }
                    x *= scale;
                    ax *= scale;
                    if (mask) {
                        x += mask[i * nk + j];
                        ax += isinf(mask[i * nk + j]) ? 0 : fabs(mask[i * nk + j]);
                    }
                    if (c->causal && j > i + nk - nq)
                        x = -INFINITY, ax = 0;
                    s[j] = x;
                    if (x > m)
                        m = x;
                    if (x != -INFINITY && ax > big)
                        big = ax;
                }
                mag[(b * c->H + h) * nq + i] = big;
                double l = 0;
                double *o = out + ((b * c->H + h) * nq + i) * D;
                for (int64_t d = 0; d < D; d++)
                    o[d] = 0;
                for (int64_t j = 0; j < nk; j++) {
                    double p = s[j] == -INFINITY ? 0 : exp(s[j] - m);
                    l += p;
                    const float *vj = v + lv.off + b * lv.sb + h * lv.sh + j * lv.sr;
                    for (int64_t d = 0; d < D; d++)
                        o[d] += p * vj[d];
                }
                for (int64_t d = 0; d < D; d++)
                    o[d] /= l;
                lse[(b * c->H + h) * nq + i] = m + log(l);
            }
    free(s);
}

static float *host_data(size_t n, float sd, vka_dtype dt)
{
    float *x = vkt_randn(n, sd);
    if (dt == VKA_F16)
        vkt_round_f16(x, n);
    return x;
}

/* A tensor of n + pad elements; with pad > 0 a view starting one element in
 * (an unaligned descriptor offset) is returned in *view, the rest of the pad
 * goes into the descriptor offset. */
static vka_tensor *make_tensor(vka_context *ctx, vka_dtype dt, int64_t n, int64_t pad, const float *data,
                               vka_tensor **view, const char *name)
{
    int64_t total = n + pad;
    vka_tensor *t = vkt_tensor(ctx, dt, 1, &total, data);
    vka_tensor_set_name(t, name);
    *view = NULL;
    if (pad) {
        int64_t m = total - 1;
        *view = vka_tensor_view(t, 1, 1, &m);
        vka_tensor_set_name(*view, name);
    }
    return t;
}

static void run_case(vka_context *ctx, const acase *c)
{
    int64_t B = c->B, H = c->H, nq = c->nq, nk = c->nk, D = c->D;
    int64_t pad = c->unaligned ? 5 : 0;
    char what[160];
    snprintf(what, sizeof what, "%s %s B=%lld H=%lld nq=%lld nk=%lld D=%lld%s%s%s%s [%s]", vka_dtype_str(c->dt),
             layout_str[c->layout], (long long)B, (long long)H, (long long)nq, (long long)nk, (long long)D,
             c->mask ? " mask" : "", c->causal ? " causal" : "", c->lse ? " lse" : "",
             c->unaligned ? " unaligned" : "", c->variant ? c->variant : "auto");
    if (c->notexel || c->rows) {
        size_t n = strlen(what);
        snprintf(what + n, sizeof what - n, "%s%s%s", c->notexel ? " notexel" : "", c->rows ? " rows=" : "",
                 c->rows ? c->rows : "");
    }
    if (c->variant)
        setenv("VKATTN_ATTN_VARIANT", c->variant, 1);
    else
        unsetenv("VKATTN_ATTN_VARIANT");
    if (c->notexel)
        setenv("VKATTN_ATTN_TEXEL", "0", 1);
    else
        unsetenv("VKATTN_ATTN_TEXEL");
    if (c->rows)
        setenv("VKATTN_ATTN_ROWS", c->rows, 1);
    else
        unsetenv("VKATTN_ATTN_ROWS");

    lay lq = make_lay(c->layout, B, H, nq, D, 0, pad), lk = make_lay(c->layout, B, H, nk, D, 1, pad),
        lv = make_lay(c->layout, B, H, nk, D, 2, pad), lo = make_lay(c->layout, B, H, nq, D, 3, pad);
    int64_t nqe = B * H * nq * D, nke = B * H * nk * D;
    float *hq, *hk, *hv;
    vka_tensor *tq, *tk = NULL, *tv = NULL, *vq, *vk = NULL, *vv = NULL;
    if (c->layout == L_QKV) {
        /* one packed buffer [B, N, 3, H, D]: q at 0, k at H·D, v at 2·H·D */
        float *qkv = host_data((size_t)(3 * nqe + pad), 1.0f, c->dt);
        for (int64_t b = 0; b < B; b++)
            for (int64_t n = 0; n < nq; n++)
                for (int64_t x = 0; x < 2 * H * D; x++) /* q and k get the large sd */
                    qkv[pad + (b * nq + n) * 3 * H * D + x] *= c->sd;
        if (c->dt == VKA_F16)
            vkt_round_f16(qkv, (size_t)(3 * nqe + pad));
        tq = make_tensor(ctx, c->dt, 3 * nqe, pad, qkv, &vq, "qkv");
        hq = hk = hv = qkv;
    } else {
        hq = host_data((size_t)(nqe + pad), c->sd, c->dt);
        hk = host_data((size_t)(nke + pad), c->sd, c->dt);
        hv = host_data((size_t)(nke + pad), 1.0f, c->dt);
        tq = make_tensor(ctx, c->dt, nqe, pad, hq, &vq, "query");
        tk = make_tensor(ctx, c->dt, nke, pad, hk, &vk, "key");
        tv = make_tensor(ctx, c->dt, nke, pad, hv, &vv, "value");
    }
    vka_tensor *to, *vo;
    to = make_tensor(ctx, c->dt, nqe, pad, NULL, &vo, "out");
    float *hmask = NULL;
    vka_tensor *tmask = NULL, *tlse = NULL;
    if (c->mask) {
        hmask = vkt_randn((size_t)(nq * nk), 2.0f);
        for (int64_t i = 0; i < nq; i++)
            for (int64_t j = 1; j < nk; j++) /* key 0 stays visible: no empty row */
                if ((i * 7 + j * 3) % 11 == 0)
                    hmask[i * nk + j] = -INFINITY;
        if (c->dt == VKA_F16)
            vkt_round_f16(hmask, (size_t)(nq * nk));
        int64_t ms[2] = {nq, nk};
        tmask = vkt_tensor(ctx, c->dt, 2, ms, hmask);
        vka_tensor_set_name(tmask, "mask");
    }
    if (c->lse) {
        int64_t ls[3] = {B, H, nq};
        tlse = vkt_tensor(ctx, VKA_F32, 3, ls, NULL);
        vkt_poison(tlse);
    }
    vkt_poison(to);

    vka_attn_desc d = vka_attn_default_desc();
    d.batch = B, d.heads = H, d.nq = nq, d.nk = nk, d.head_dim = D;
    d.scale = c->scale;
    d.causal = c->causal;
    d.mask = tmask;
    d.lse = tlse;
    lay *ls[4] = {&lq, &lk, &lv, &lo};
    int64_t *st[4] = {d.q_stride, d.k_stride, d.v_stride, d.o_stride};
    int64_t *of[4] = {&d.q_offset, &d.k_offset, &d.v_offset, &d.o_offset};
    for (int t = 0; t < 4; t++) {
        if (c->layout != L_BHND) {
            st[t][0] = ls[t]->sb, st[t][1] = ls[t]->sh, st[t][2] = ls[t]->sr;
        }
        *of[t] = ls[t]->off - (pad ? 1 : 0); /* the view already starts 1 element in */
    }
    vka_tensor *aq = vq ? vq : tq;
    vka_tensor *ak = c->layout == L_QKV ? aq : vk ? vk : tk;
    vka_tensor *av = c->layout == L_QKV ? aq : vv ? vv : tv;
    vka_tensor *ao = vo ? vo : to;

    double scale = c->scale != 0 ? c->scale : 1.0 / sqrt((double)D);
    double *ref = malloc(sizeof *ref * (size_t)nqe), *rlse = malloc(sizeof *rlse * (size_t)(B * H * nq));
    double *rmag = malloc(sizeof *rmag * (size_t)(B * H * nq));
    ref_attention(c, scale, hq, lq, hk, lk, hv, lv, hmask, ref, rlse, rmag);

    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_attention(cmd, &d, aq, ak, av, ao);
    if (s) {
        vkt_check(0, "%s: vka_attention: %s: %s", what, vka_status_str(s), vka_context_last_error(ctx));
        goto done;
    }
    vkt_run(cmd);
    if (c->coopmat) { /* the cooperative-matrix kernel's tiling, emulated */
        const char *label = "";
        vka_cmd_timing(cmd, 0, &label, NULL);
        vkt_check(strstr(label, "flash_attn_coopmat_f16_emu") != NULL, "%s: ran %s, want flash_attn_coopmat_f16_emu",
                  what, label);
    } else if (vka_context_device(ctx)->type == VKA_DEVICE_CPU && (!c->variant || strcmp(c->variant, "row") == 0)) {
        /* the row variant reads K/V through texel buffers exactly when their
         * offsets and strides are whole texels (unaligned views fall back) */
        const char *label = "";
        vka_cmd_timing(cmd, 0, &label, NULL);
        int want = !c->unaligned && !c->notexel;
        vkt_check((strstr(label, "flash_attn_row_tex") != NULL) == want, "%s: ran %s, want %s", what, label,
                  want ? "flash_attn_row_tex" : "flash_attn_row");
    }
    float *got = vkt_download(to);
    float *go = malloc(sizeof *go * (size_t)nqe);
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t i = 0; i < nq; i++)
                memcpy(go + ((b * H + h) * nq + i) * D, got + lo.off + b * lo.sb + h * lo.sh + i * lo.sr,
                       sizeof *go * (size_t)D);
    vkt_compare(what, go, ref, (size_t)nqe, c->dt == VKA_F16 ? 5e-3 : 1e-5);
    if (pad) {
        int untouched = 1;
        for (int64_t x = 0; x < pad; x++)
            untouched &= isnan(got[x]);
        vkt_check(untouched, "%s: nothing written before the output's offset", what);
    }
    free(got);
    free(go);
    if (tlse) {
        float *gl = vkt_download(tlse);
        char w2[200];
        snprintf(w2, sizeof w2, "%s lse", what);
        /* An LSE is m + log(l) with m the row's largest score: it may sit near
         * zero while its terms do not (a 1x1 problem's LSE is its one score, a
         * sum of products of size ~sd²·scale·sqrt(D)), and its fp32 rounding
         * scales with the terms, so the error is measured against them (a
         * relative error of the value failed by chance: seed 670016983, 3.5e-5
         * on an LSE of 0.2 whose terms sum to ~150 in magnitude). */
        vkt_compare_terms(w2, gl, rlse, rmag, (size_t)(B * H * nq), 1e-5);
        free(gl);
    }

    if (c->probe && tlse) {
        /* probe rows: first, last, one in the middle, and one repeated */
        int64_t R = nq >= 3 ? 4 : 1;
        float rows_f[4] = {0, (float)(nq - 1), (float)(nq / 2), 0};
        int64_t rs = R, ps[4] = {B, H, R, nk};
        vka_tensor *trows = vkt_tensor(ctx, VKA_I32, 1, &rs, rows_f);
        vka_tensor *tp = vkt_tensor(ctx, VKA_F32, 4, ps, NULL);
        vkt_poison(tp);
        vka_cmd *pc = vka_cmd_create(ctx);
        vka_cmd_begin(pc);
        s = vka_attention_probe(pc, &d, aq, ak, trows, tp);
        if (s) {
            vkt_check(0, "%s: probe: %s: %s", what, vka_status_str(s), vka_context_last_error(ctx));
        } else {
            vkt_run(pc);
            float *gp = vkt_download(tp);
            size_t np = (size_t)(B * H * R * nk);
            double *rp = malloc(sizeof *rp * np);
            double worst = 0;
            for (int64_t bh = 0; bh < B * H; bh++)
                for (int64_t r = 0; r < R; r++) {
                    int64_t i = (int64_t)rows_f[r];
                    double sum = 0;
                    for (int64_t j = 0; j < nk; j++) {
                        /* reference row: p = exp(s - lse) recomputed in f64 */
                        int64_t b = bh / H, h = bh % H;
                        const float *qi = hq + lq.off + b * lq.sb + h * lq.sh + i * lq.sr;
                        const float *kj = hk + lk.off + b * lk.sb + h * lk.sh + j * lk.sr;
                        double x = 0;
                        for (int64_t dd = 0; dd < D; dd++)
                            x += (double)qi[dd] * kj[dd];
                        x = x * scale + (hmask ? hmask[i * nk + j] : 0);
                        if (c->causal && j > i + nk - nq)
                            x = -INFINITY;
                        rp[(bh * R + r) * nk + j] = x == -INFINITY ? 0 : exp(x - rlse[bh * nq + i]);
                        sum += gp[(bh * R + r) * nk + j];
                    }
                    if (fabs(sum - 1) > worst || isnan(sum))
                        worst = isnan(sum) ? INFINITY : fabs(sum - 1);
                }
            char w2[200];
            snprintf(w2, sizeof w2, "%s probe %lld rows", what, (long long)R);
            /* the other kernels sum a score's products in the probe's order (VKA_ATTN_G), so the probe
             * reproduces their LSE to the bit; the matrix units sum in their own order, which moves the LSE
             * by fp32 rounding of the largest scores (~1e-6 relative of |s| up to ~30 here) */
            double ptol = c->coopmat ? 2e-4 : 1e-5;
            vkt_compare(w2, gp, rp, np, ptol);
            vkt_check(worst < ptol, "%s probe rows sum to 1: worst |sum - 1| = %.2e (tol %.0e)", what, worst, ptol);
            free(gp);
            free(rp);
        }
        vka_cmd_destroy(pc);
        vka_tensor_destroy(trows);
        vka_tensor_destroy(tp);
    }

    if (c->naive) {
        int64_t ss[4] = {B, H, nq, nk};
        vka_tensor *tsc = vkt_tensor(ctx, VKA_F32, 4, ss, NULL);
        if (c->dt == VKA_F16) { /* the GEMMs take one dtype: scores in the q dtype */
            vka_tensor_destroy(tsc);
            tsc = vkt_tensor(ctx, VKA_F16, 4, ss, NULL);
        }
        vka_attn_desc dn = d;
        dn.lse = NULL;
        vkt_poison(to);
        vka_cmd *nc = vka_cmd_create(ctx);
        vka_cmd_begin(nc);
        s = vka_attention_naive(nc, &dn, aq, ak, av, tsc, ao);
        char w2[200];
        snprintf(w2, sizeof w2, "%s naive", what);
        if (s == VKA_ERR_UNSUPPORTED && strstr(vka_context_last_error(ctx), "not built yet")) {
            printf("SKIP %s: vka_gemm / vka_softmax not merged yet (%s)\n", w2, vka_context_last_error(ctx));
        } else if (s) {
            vkt_check(0, "%s: %s: %s", w2, vka_status_str(s), vka_context_last_error(ctx));
        } else {
            vkt_run(nc);
            float *gn = vkt_download(to), *gno = malloc(sizeof *gno * (size_t)nqe);
            for (int64_t b = 0; b < B; b++)
                for (int64_t h = 0; h < H; h++)
                    for (int64_t i = 0; i < nq; i++)
                        memcpy(gno + ((b * H + h) * nq + i) * D, gn + lo.off + b * lo.sb + h * lo.sh + i * lo.sr,
                               sizeof *gno * (size_t)D);
            /* f16 scores round the probabilities: the f16 tolerance */
            vkt_compare(w2, gno, ref, (size_t)nqe, c->dt == VKA_F16 ? 1e-2 : 1e-5);
            free(gn);
            free(gno);
        }
        vka_cmd_destroy(nc);
        vka_tensor_destroy(tsc);
    }

done:
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(vq), vka_tensor_destroy(vk), vka_tensor_destroy(vv), vka_tensor_destroy(vo);
    vka_tensor_destroy(tq), vka_tensor_destroy(tk), vka_tensor_destroy(tv), vka_tensor_destroy(to);
    vka_tensor_destroy(tmask), vka_tensor_destroy(tlse);
    if (c->layout == L_QKV)
        free(hq);
    else
        free(hq), free(hk), free(hv);
    free(hmask), free(ref), free(rlse), free(rmag);
    unsetenv("VKATTN_ATTN_VARIANT");
    unsetenv("VKATTN_ATTN_TEXEL");
    unsetenv("VKATTN_ATTN_ROWS");
}

static void test_errors(vka_context *ctx)
{
    int64_t s4[4] = {1, 2, 10, 64}, s4b[4] = {1, 2, 9, 64}, s12[4] = {1, 2, 10, 10}, ms[2] = {10, 11};
    vka_tensor *q = vkt_tensor(ctx, VKA_F32, 4, s4, NULL), *k = vkt_tensor(ctx, VKA_F32, 4, s4, NULL),
               *v = vkt_tensor(ctx, VKA_F32, 4, s4, NULL), *o = vkt_tensor(ctx, VKA_F32, 4, s4, NULL),
               *small = vkt_tensor(ctx, VKA_F32, 4, s4b, NULL), *q12 = vkt_tensor(ctx, VKA_F32, 4, s12, NULL),
               *badmask = vkt_tensor(ctx, VKA_F32, 2, ms, NULL), *qh = vkt_tensor(ctx, VKA_F16, 4, s4, NULL);
    vka_tensor_set_name(small, "tiny_key");
    vka_tensor_set_name(badmask, "pad_mask");
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_attn_desc d = vka_attn_default_desc();
    d.batch = 1, d.heads = 2, d.nq = 10, d.nk = 10, d.head_dim = 10;
    vkt_expect_error("head_dim 10 unsupported", vka_attention(cmd, &d, q12, q12, q12, o), VKA_ERR_UNSUPPORTED,
                     "multiples of 4 from 4 to 128");
    d.head_dim = 136;
    vkt_expect_error("head_dim 136 unsupported", vka_attention_probe(cmd, &d, q, k, q, o), VKA_ERR_UNSUPPORTED,
                     "head_dim 136");
    d.head_dim = 64;
    vkt_expect_error("k too small names the tensor", vka_attention(cmd, &d, q, small, v, o), VKA_ERR_SHAPE,
                     "tiny_key");
    d.mask = badmask;
    vkt_expect_error("mask shape names the mask", vka_attention(cmd, &d, q, k, v, o), VKA_ERR_SHAPE, "pad_mask");
    d.mask = NULL;
    d.lse = o;
    vkt_expect_error("lse shape", vka_attention(cmd, &d, q, k, v, o), VKA_ERR_SHAPE, "lse");
    d.lse = NULL;
    vkt_expect_error("dtype mismatch", vka_attention(cmd, &d, q, qh, v, o), VKA_ERR_SHAPE, NULL);
    vkt_expect_error("o aliases q", vka_attention(cmd, &d, q, k, v, q), VKA_ERR_INVALID_ARG, "overlaps");
    vkt_expect_error("probe without lse", vka_attention_probe(cmd, &d, q, k, q, o), VKA_ERR_INVALID_ARG, "lse");
    d.causal = 1;
    vkt_expect_error("naive causal unsupported", vka_attention_naive(cmd, &d, q, k, v, o, o), VKA_ERR_UNSUPPORTED,
                     "causal");
    d.causal = 0;
    d.nq = 0;
    vkt_expect_error("nq 0", vka_attention(cmd, &d, q, k, v, o), VKA_ERR_INVALID_ARG, "nq 0");
    /* the command is still usable after the refused calls */
    d.nq = 10;
    vka_status s = vka_attention(cmd, &d, q, k, v, o);
    vkt_check(s == VKA_OK, "valid call after errors: %s", vka_status_str(s));
    vka_cmd_end(cmd);
    vka_cmd_destroy(cmd);
    vka_tensor *all[] = {q, k, v, o, small, q12, badmask, qh};
    for (int i = 0; i < 8; i++)
        vka_tensor_destroy(all[i]);
}

static void run_all(vka_context *ctx)
{
    /* the multiples of 16 and three of 8 (each D is its own pipeline, and on
     * lavapipe an unrolled one takes seconds to compile: not all 16) */
    static const int64_t dims[] = {8, 16, 24, 32, 40, 48, 64, 80, 96, 112, 128};
    /* f32 and f16, B·H > 1, cross-attention shapes */
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        acase c = {.dt = VKA_F32, .B = 2, .H = 3, .nq = 37, .nk = 45, .D = dims[i], .layout = L_BHND, .lse = 1,
                   .sd = 5.5f, .naive = 1};
        run_case(ctx, &c);
        acase h = {.dt = VKA_F16, .B = 1, .H = 2, .nq = 29, .nk = 23, .D = dims[i], .layout = L_BNHD, .mask = 1,
                   .sd = 3.0f};
        run_case(ctx, &h);
    }
    acase cases[] = {
        /* N = 1 */
        {.dt = VKA_F32, .B = 1, .H = 1, .nq = 1, .nk = 1, .D = 64, .lse = 1, .sd = 5.5f, .probe = 1, .naive = 1},
        /* ViT-B/16 from a packed QKV projection, through unaligned views */
        {.dt = VKA_F32, .B = 1, .H = 2, .nq = 197, .nk = 197, .D = 64, .layout = L_QKV, .lse = 1, .unaligned = 1,
         .sd = 5.5f, .probe = 1, .naive = 1},
        {.dt = VKA_F16, .B = 2, .H = 1, .nq = 197, .nk = 197, .D = 64, .layout = L_QKV, .lse = 1, .unaligned = 1,
         .sd = 3.0f, .probe = 1, .naive = 1},
        /* ViT @384 with a mask, [B, N, H, D] */
        {.dt = VKA_F32, .B = 1, .H = 1, .nq = 577, .nk = 577, .D = 64, .layout = L_BNHD, .mask = 1, .lse = 1,
         .sd = 5.5f, .probe = 1, .naive = 1},
        /* long causal, explicit scale with logits of sd ~30 */
        {.dt = VKA_F32, .B = 1, .H = 1, .nq = 1000, .nk = 1000, .D = 32, .causal = 1, .lse = 1, .scale = 1.0f,
         .sd = 1.0f, .probe = 1},
        /* cross-attention with mask and causal (shifted diagonal) */
        {.dt = VKA_F32, .B = 2, .H = 2, .nq = 100, .nk = 300, .D = 96, .layout = L_BNHD, .mask = 1, .causal = 1,
         .lse = 1, .sd = 5.5f, .probe = 1, .naive = 0},
        {.dt = VKA_F16, .B = 1, .H = 3, .nq = 300, .nk = 100, .D = 48, .mask = 1, .lse = 1, .sd = 3.0f, .probe = 1},
        /* few queries over many keys: the device's choice is split-KV */
        {.dt = VKA_F32, .B = 1, .H = 2, .nq = 3, .nk = 2000, .D = 80, .mask = 1, .causal = 1, .lse = 1, .sd = 5.5f,
         .probe = 1},
        {.dt = VKA_F16, .B = 1, .H = 1, .nq = 1, .nk = 1500, .D = 128, .layout = L_BNHD, .lse = 1, .sd = 3.0f},
        /* a long row: 16384 keys (past llvmpipe's loop limiter if the inner loops were dynamic) */
        {.dt = VKA_F32, .B = 1, .H = 1, .nq = 4, .nk = 16384, .D = 64, .mask = 1, .lse = 1, .sd = 5.5f, .probe = 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(ctx, &cases[i]);
    /* head dims that are multiples of 8 but not of 16 (texel pairs, 8-lane key
     * sharing, 8-column split reduce): odd N, nq != nk, B·H > 1, every layout,
     * mask, causal, LSE and probe rows, both row kernels, f32 and f16 */
    acase d8[] = {
        {.dt = VKA_F32, .B = 1, .H = 1, .nq = 1, .nk = 1, .D = 8, .lse = 1, .sd = 5.5f, .probe = 1, .naive = 1},
        /* DEIMv2's decoder self-attention: 8 heads of 8 over its queries */
        {.dt = VKA_F32, .B = 1, .H = 8, .nq = 300, .nk = 300, .D = 8, .layout = L_BNHD, .lse = 1, .sd = 5.5f,
         .probe = 1, .naive = 1},
        {.dt = VKA_F16, .B = 2, .H = 8, .nq = 7, .nk = 197, .D = 8, .mask = 1, .causal = 1, .lse = 1, .sd = 3.0f,
         .probe = 1, .naive = 0},
        {.dt = VKA_F32, .B = 2, .H = 2, .nq = 300, .nk = 7, .D = 8, .mask = 1, .lse = 1, .sd = 5.5f, .probe = 1,
         .notexel = 1, .naive = 1},
        {.dt = VKA_F16, .B = 2, .H = 1, .nq = 197, .nk = 197, .D = 24, .layout = L_QKV, .lse = 1, .unaligned = 1,
         .sd = 3.0f, .probe = 1, .naive = 1},
        {.dt = VKA_F32, .B = 1, .H = 3, .nq = 61, .nk = 83, .D = 24, .layout = L_BNHD, .mask = 1, .causal = 1,
         .lse = 1, .sd = 5.5f, .probe = 1, .rows = "3"},
        {.dt = VKA_F32, .B = 1, .H = 2, .nq = 7, .nk = 300, .D = 40, .mask = 1, .causal = 1, .lse = 1, .sd = 5.5f,
         .probe = 1},
        {.dt = VKA_F16, .B = 2, .H = 2, .nq = 45, .nk = 45, .D = 40, .layout = L_QKV, .lse = 1, .sd = 3.0f,
         .probe = 1, .naive = 1},
    };
    for (size_t i = 0; i < sizeof d8 / sizeof d8[0]; i++)
        run_case(ctx, &d8[i]);
    /* head dims that are multiples of 4 but not of 8 (score groups of 4, 4-lane
     * key sharing, single-texel groups, 4-column split reduce): the same
     * spread of shapes, layouts, masks and kernels */
    acase d4[] = {
        {.dt = VKA_F32, .B = 1, .H = 1, .nq = 1, .nk = 1, .D = 4, .lse = 1, .sd = 5.5f, .probe = 1, .naive = 1},
        /* DEIMv2 femto's decoder self-attention: 8 heads of 12 over its 150 queries */
        {.dt = VKA_F32, .B = 1, .H = 8, .nq = 150, .nk = 150, .D = 12, .layout = L_BNHD, .lse = 1, .sd = 5.5f,
         .probe = 1, .naive = 1},
        {.dt = VKA_F16, .B = 2, .H = 8, .nq = 7, .nk = 197, .D = 12, .mask = 1, .causal = 1, .lse = 1, .sd = 3.0f,
         .probe = 1},
        {.dt = VKA_F32, .B = 2, .H = 2, .nq = 300, .nk = 7, .D = 12, .mask = 1, .lse = 1, .sd = 5.5f, .probe = 1,
         .notexel = 1, .naive = 1},
        {.dt = VKA_F16, .B = 2, .H = 1, .nq = 197, .nk = 197, .D = 20, .layout = L_QKV, .lse = 1, .unaligned = 1,
         .sd = 3.0f, .probe = 1, .naive = 1},
        {.dt = VKA_F32, .B = 1, .H = 3, .nq = 61, .nk = 83, .D = 12, .layout = L_BNHD, .mask = 1, .causal = 1,
         .lse = 1, .sd = 5.5f, .probe = 1, .rows = "3"},
        {.dt = VKA_F32, .B = 1, .H = 2, .nq = 45, .nk = 37, .D = 36, .layout = L_QKV, .lse = 1, .sd = 5.5f,
         .probe = 1, .rows = "1", .naive = 1},
        {.dt = VKA_F16, .B = 1, .H = 2, .nq = 29, .nk = 23, .D = 4, .layout = L_BNHD, .mask = 1, .sd = 3.0f},
    };
    for (size_t i = 0; i < sizeof d4 / sizeof d4[0]; i++)
        run_case(ctx, &d4[i]);
    /* the row variant with K/V as texel buffers (CPU devices) and without:
     * packed QKV through aligned offsets, every rows-per-invocation count, f16,
     * nq not a multiple of a workgroup's rows, causal and mask */
    acase tc[] = {
        {.dt = VKA_F32, .B = 1, .H = 2, .nq = 197, .nk = 197, .D = 64, .layout = L_QKV, .lse = 1, .sd = 5.5f,
         .probe = 1, .naive = 1},
        {.dt = VKA_F16, .B = 2, .H = 1, .nq = 197, .nk = 197, .D = 64, .layout = L_QKV, .lse = 1, .sd = 3.0f,
         .probe = 1},
        {.dt = VKA_F32, .B = 1, .H = 2, .nq = 197, .nk = 197, .D = 64, .layout = L_QKV, .lse = 1, .sd = 5.5f,
         .probe = 1, .notexel = 1},
        {.dt = VKA_F32, .B = 1, .H = 2, .nq = 61, .nk = 83, .D = 128, .layout = L_BNHD, .mask = 1, .causal = 1,
         .lse = 1, .sd = 5.5f, .probe = 1, .rows = "1"},
        {.dt = VKA_F16, .B = 1, .H = 2, .nq = 45, .nk = 37, .D = 16, .mask = 1, .lse = 1, .sd = 3.0f, .rows = "2"},
        {.dt = VKA_F32, .B = 2, .H = 1, .nq = 50, .nk = 129, .D = 48, .causal = 1, .lse = 1, .sd = 5.5f,
         .probe = 1, .rows = "3"},
    };
    for (size_t i = 0; i < sizeof tc / sizeof tc[0]; i++)
        run_case(ctx, &tc[i]);
    /* every variant on every device: the forced ones */
    static const char *variants[] = {"row", "tiled", "split"};
    for (int vi = 0; vi < 3; vi++) {
        acase vc[] = {
            {.dt = VKA_F32, .B = 1, .H = 2, .nq = 70, .nk = 150, .D = 128, .mask = 1, .causal = 1, .lse = 1,
             .sd = 5.5f},
            {.dt = VKA_F32, .B = 2, .H = 1, .nq = 40, .nk = 40, .D = 64, .layout = L_QKV, .unaligned = 1, .lse = 1,
             .sd = 5.5f, .probe = 1},
            {.dt = VKA_F16, .B = 1, .H = 2, .nq = 65, .nk = 131, .D = 32, .layout = L_BNHD, .mask = 1, .lse = 1,
             .sd = 3.0f},
            {.dt = VKA_F32, .B = 1, .H = 1, .nq = 5, .nk = 401, .D = 48, .causal = 1, .lse = 1, .sd = 5.5f},
            /* D % 16 != 0: the split variant reduces 8 columns per round */
            {.dt = VKA_F32, .B = 2, .H = 8, .nq = 7, .nk = 300, .D = 8, .mask = 1, .lse = 1, .sd = 5.5f,
             .probe = 1},
            {.dt = VKA_F16, .B = 1, .H = 2, .nq = 37, .nk = 197, .D = 24, .layout = L_BNHD, .causal = 1, .lse = 1,
             .sd = 3.0f, .probe = 1},
            {.dt = VKA_F32, .B = 1, .H = 3, .nq = 61, .nk = 61, .D = 40, .layout = L_QKV, .unaligned = 1,
             .mask = 1, .lse = 1, .sd = 5.5f, .probe = 1},
            /* D % 8 != 0: score groups of 4, the split variant reduces 4 columns per round */
            {.dt = VKA_F32, .B = 1, .H = 8, .nq = 150, .nk = 150, .D = 12, .layout = L_BNHD, .lse = 1, .sd = 5.5f,
             .probe = 1},
            {.dt = VKA_F16, .B = 2, .H = 2, .nq = 9, .nk = 301, .D = 12, .mask = 1, .causal = 1, .lse = 1,
             .sd = 3.0f, .probe = 1},
            {.dt = VKA_F32, .B = 1, .H = 2, .nq = 65, .nk = 65, .D = 4, .layout = L_QKV, .unaligned = 1, .lse = 1,
             .sd = 5.5f, .probe = 1},
        };
        for (size_t i = 0; i < sizeof vc / sizeof vc[0]; i++) {
            vc[i].variant = variants[vi];
            run_case(ctx, &vc[i]);
        }
    }
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    /* VKATTN_SEED_RUNS=N: the whole list N times, the seed one higher each
     * time: the same inputs as N processes with VKATTN_SEED = s, s+1, ..., with
     * the pipelines compiled once (on lavapipe the compiles are most of a run) */
    const char *env = getenv("VKATTN_SEED_RUNS");
    long runs = env ? strtol(env, NULL, 10) : 1;
    uint64_t seed0 = vkt_rng_state;
    for (long r = 0; r < (runs > 1 ? runs : 1); r++) {
        vkt_rng_state = seed0 + (uint64_t)r ? seed0 + (uint64_t)r : 1;
        if (runs > 1)
            printf("seed run %ld: seed %llu\n", r, (unsigned long long)vkt_rng_state);
        run_all(ctx);
    }
    test_errors(ctx);
    /* flash_attn_coopmat's tiling, offsets and softmax with its matrix operations emulated (the kernel the
     * devices with NV cooperative matrices run): D = 16 .. 64, rows past a 64-row block, keys past a
     * 16-key tile, every layout, mask, causal, LSE, probe, unaligned views */
    const vka_device_info *dev = vka_context_device(ctx);
    if (dev->fp16_storage && dev->fp16_arith) {
        vka_context *ec = vkt_context_coopmat_emulated(vkt_log, VKA_LOG_WARN);
        acase cm[] = {
            {.dt = VKA_F16, .B = 2, .H = 3, .nq = 37, .nk = 45, .D = 16, .layout = L_BHND, .lse = 1, .sd = 3.0f,
             .probe = 1, .coopmat = 1},
            {.dt = VKA_F16, .B = 1, .H = 2, .nq = 70, .nk = 23, .D = 32, .layout = L_BNHD, .mask = 1, .sd = 3.0f,
             .coopmat = 1},
            {.dt = VKA_F16, .B = 1, .H = 1, .nq = 150, .nk = 150, .D = 64, .layout = L_QKV, .lse = 1, .unaligned = 1,
             .sd = 3.0f, .probe = 1, .coopmat = 1},
            {.dt = VKA_F16, .B = 1, .H = 2, .nq = 100, .nk = 131, .D = 48, .mask = 1, .causal = 1, .lse = 1,
             .sd = 3.0f, .probe = 1, .coopmat = 1},
            {.dt = VKA_F16, .B = 1, .H = 1, .nq = 1, .nk = 1, .D = 16, .lse = 1, .sd = 3.0f, .coopmat = 1},
        };
        for (size_t i = 0; ec && i < sizeof cm / sizeof cm[0]; i++)
            run_case(ec, &cm[i]);
        if (ec)
            vkt_check(vka_context_validation_errors(ec) == 0, "emulating context: %d validation errors",
                      vka_context_validation_errors(ec));
        vka_context_destroy(ec);
    }
    return vkt_finish();
}
