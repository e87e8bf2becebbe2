/* SPDX-License-Identifier: MIT */
/* test_deform_attn.c — vka_deform_attn against a float64 reference of RT-DETR's
 * ms_deform_attn_core_pytorch (grid_sample per level, align_corners False,
 * zeros padding, weighted sum): RT-DETR's layout with odd level sizes and
 * locations outside [0, 1], D-FINE/DEIMv2's layout with per-level point counts
 * [4, 2], and the same result composed the way the DEIMv2 export does it (one
 * vka_grid_sample per level on the GPU, then the weighted sum); the exported
 * RT-DETRv2, DEIMv2 and RT-DETR v1 (Ultralytics) subgraphs built as graphs,
 * fused into deform_attn and not. f32 and f16 storage, unaligned views, error
 * paths. */
#include "common.h"

typedef struct cfg {
    int64_t B, Nq, H, D, L;
    int64_t hw[VKA_DEFORM_MAX_LEVELS][2];
    int pts[VKA_DEFORM_MAX_LEVELS];
    int bhds;          /* value [B, H, D, S] instead of [B, S, H, D] */
    int split_shape;   /* loc as [B, Nq, H, L, P, 2] (uniform P) */
} cfg;

static int64_t level_start(const cfg *c, int l)
{
    int64_t s = 0;
    for (int k = 0; k < l; k++)
        s += c->hw[k][0] * c->hw[k][1];
    return s;
}

static int64_t total_s(const cfg *c) { return level_start(c, (int)c->L); }
static int64_t total_p(const cfg *c)
{
    int64_t p = 0;
    for (int l = 0; l < c->L; l++)
        p += c->pts[l];
    return p;
}

static double vat(const cfg *c, const float *v, int64_t b, int64_t s, int64_t h, int64_t d)
{
    int64_t S = total_s(c);
    return c->bhds ? v[((b * c->H + h) * c->D + d) * S + s] : v[((b * S + s) * c->H + h) * c->D + d];
}

/* grid_sample(bilinear, zeros, align_corners False) of one level at loc */
static void reference(const cfg *c, const float *v, const float *loc, const float *w, double *out)
{
    int64_t P = total_p(c);
    for (int64_t b = 0; b < c->B; b++)
        for (int64_t q = 0; q < c->Nq; q++)
            for (int64_t h = 0; h < c->H; h++) {
                double *o = out + ((b * c->Nq + q) * c->H + h) * c->D;
                for (int64_t d = 0; d < c->D; d++)
                    o[d] = 0;
                int64_t pi = 0;
                for (int l = 0; l < c->L; l++) {
                    int64_t Hl = c->hw[l][0], Wl = c->hw[l][1], st = level_start(c, l);
                    for (int p = 0; p < c->pts[l]; p++, pi++) {
                        int64_t e = ((b * c->Nq + q) * c->H + h) * P + pi;
                        double gx = 2.0 * loc[e * 2] - 1.0, gy = 2.0 * loc[e * 2 + 1] - 1.0;
                        double x = ((gx + 1) * Wl - 1) / 2, y = ((gy + 1) * Hl - 1) / 2;
                        double x0 = floor(x), y0 = floor(y), ax = x - x0, ay = y - y0;
                        for (int t = 0; t < 4; t++) {
                            int64_t xx = (int64_t)x0 + (t & 1), yy = (int64_t)y0 + (t >> 1);
                            if (xx < 0 || yy < 0 || xx >= Wl || yy >= Hl)
                                continue;
                            double f = w[e] * ((t & 1) ? ax : 1 - ax) * ((t >> 1) ? ay : 1 - ay);
                            for (int64_t d = 0; d < c->D; d++)
                                o[d] += f * vat(c, v, b, st + yy * Wl + xx, h, d);
                        }
                    }
                }
            }
}

/* softmax over each (b, q, h)'s points, like the model's weights */
static float *make_weights(int64_t rows, int64_t P)
{
    float *w = vkt_randn((size_t)(rows * P), 1.0f);
    for (int64_t r = 0; r < rows; r++) {
        double s = 0;
        for (int64_t p = 0; p < P; p++)
            s += exp(w[r * P + p]);
        for (int64_t p = 0; p < P; p++)
            w[r * P + p] = (float)(exp(w[r * P + p]) / s);
    }
    return w;
}

typedef struct data {
    float *v, *loc, *w;
    double *ref;
    size_t nv, nloc, nw, nout;
} data;

static data make_data(const cfg *c, vka_dtype dt)
{
    data x;
    int64_t S = total_s(c), P = total_p(c);
    x.nv = (size_t)(c->B * S * c->H * c->D);
    x.nloc = (size_t)(c->B * c->Nq * c->H * P * 2);
    x.nw = x.nloc / 2;
    x.nout = (size_t)(c->B * c->Nq * c->H * c->D);
    x.v = vkt_randn(x.nv, 1.0f);
    /* about 15% of the points fall (partly) outside their level */
    x.loc = vkt_uniform(x.nloc, -0.08f, 1.08f);
    x.w = make_weights(c->B * c->Nq * c->H, P);
    if (dt == VKA_F16) {
        vkt_round_f16(x.v, x.nv);
        vkt_round_f16(x.loc, x.nloc);
        vkt_round_f16(x.w, x.nw);
    }
    x.ref = malloc(sizeof *x.ref * x.nout);
    reference(c, x.v, x.loc, x.w, x.ref);
    return x;
}

static void free_data(data *x) { free(x->v), free(x->loc), free(x->w), free(x->ref); }

static vka_deform_attn_desc desc_of(const cfg *c)
{
    vka_deform_attn_desc d = vka_deform_attn_default_desc();
    d.levels = (int)c->L;
    for (int l = 0; l < c->L; l++) {
        d.spatial_shapes[l][0] = c->hw[l][0];
        d.spatial_shapes[l][1] = c->hw[l][1];
        if (!c->split_shape)
            d.points[l] = c->pts[l];
    }
    d.value_layout = c->bhds ? VKA_DEFORM_VALUE_BHDS : VKA_DEFORM_VALUE_BSHD;
    return d;
}

static void run_case(vka_context *ctx, const char *label, const cfg *c, vka_dtype dt, int views)
{
    data x = make_data(c, dt);
    int64_t S = total_s(c), P = total_p(c);
    int64_t vs[4] = {c->B, S, c->H, c->D}, vh[4] = {c->B, c->H, c->D, S};
    int64_t ls[6] = {c->B, c->Nq, c->H, c->L, c->L ? P / c->L : 0, 2}, lf[5] = {c->B, c->Nq, c->H, P, 2};
    int64_t os[3] = {c->B, c->Nq, c->H * c->D};
    vka_tensor *parent = NULL, *tv, *tl, *tw, *to;
    if (views) {
        /* all four in one buffer at odd element offsets: unaligned descriptors */
        int64_t total = (int64_t)(x.nv + x.nloc + x.nw + x.nout) + 16;
        parent = vkt_tensor(ctx, dt, 1, &total, NULL);
        int64_t o1 = 3, o2 = o1 + (int64_t)x.nv + 1, o3 = o2 + (int64_t)x.nloc + 5, o4 = o3 + (int64_t)x.nw + 3;
        tv = vka_tensor_view(parent, o1, 4, c->bhds ? vh : vs);
        tl = c->split_shape ? vka_tensor_view(parent, o2, 6, ls) : vka_tensor_view(parent, o2, 5, lf);
        tw = c->split_shape ? vka_tensor_view(parent, o3, 5, ls) : vka_tensor_view(parent, o3, 4, lf);
        to = vka_tensor_view(parent, o4, 3, os);
        vkt_upload(tv, x.v), vkt_upload(tl, x.loc), vkt_upload(tw, x.w);
    } else {
        tv = vkt_tensor(ctx, dt, 4, c->bhds ? vh : vs, x.v);
        tl = c->split_shape ? vkt_tensor(ctx, dt, 6, ls, x.loc) : vkt_tensor(ctx, dt, 5, lf, x.loc);
        tw = c->split_shape ? vkt_tensor(ctx, dt, 5, ls, x.w) : vkt_tensor(ctx, dt, 4, lf, x.w);
        to = vkt_tensor(ctx, dt, 3, os, NULL);
    }
    vkt_poison(to);
    vka_deform_attn_desc d = desc_of(c);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_deform_attn(cmd, &d, tv, tl, tw, to);
    char what[256];
    snprintf(what, sizeof what, "%s %s%s", label, vka_dtype_str(dt), views ? " views" : "");
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        float *got = vkt_download(to);
        vkt_compare(what, got, x.ref, x.nout, dt == VKA_F16 ? 5e-3 : 1e-5);
        free(got);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(tv), vka_tensor_destroy(tl), vka_tensor_destroy(tw), vka_tensor_destroy(to);
    vka_tensor_destroy(parent);
    free_data(&x);
}

/* The DEIMv2 export's own sequence: per level, value sliced to [B·H, D, H_l,
 * W_l], grid 2·loc-1 transposed to [B·H, Nq, P_l, 2], GridSample ->
 * [B·H, D, Nq, P_l]; then Concat over levels, · weights, ReduceSum over points,
 * -> [B, Nq, H·D]. The GridSamples run on the GPU; vka_deform_attn must match. */
static void test_composed(vka_context *ctx, const cfg *c)
{
    data x = make_data(c, VKA_F32);
    int64_t S = total_s(c), P = total_p(c), BH = c->B * c->H;
    double *comp = calloc(x.nout, sizeof *comp);
    int64_t pofs = 0;
    vka_cmd *cmd = vka_cmd_create(ctx);
    int ok = 1;
    for (int l = 0; l < c->L && ok; l++) {
        int64_t Hl = c->hw[l][0], Wl = c->hw[l][1], Pl = c->pts[l], st = level_start(c, l);
        int64_t vsh[4] = {BH, c->D, Hl, Wl}, gsh[4] = {BH, c->Nq, Pl, 2}, ysh[4] = {BH, c->D, c->Nq, Pl};
        float *hv = malloc(sizeof *hv * (size_t)(BH * c->D * Hl * Wl));
        float *hg = malloc(sizeof *hg * (size_t)(BH * c->Nq * Pl * 2));
        for (int64_t b = 0; b < c->B; b++)
            for (int64_t h = 0; h < c->H; h++)
                for (int64_t d = 0; d < c->D; d++)
                    for (int64_t s = 0; s < Hl * Wl; s++)
                        hv[(((b * c->H + h) * c->D + d) * Hl * Wl) + s] = (float)vat(c, x.v, b, st + s, h, d);
        for (int64_t b = 0; b < c->B; b++)
            for (int64_t h = 0; h < c->H; h++)
                for (int64_t q = 0; q < c->Nq; q++)
                    for (int64_t p = 0; p < Pl; p++)
                        for (int k = 0; k < 2; k++)
                            hg[(((b * c->H + h) * c->Nq + q) * Pl + p) * 2 + k] =
                                2.0f * x.loc[(((b * c->Nq + q) * c->H + h) * P + pofs + p) * 2 + k] - 1.0f;
        vka_tensor *tv = vkt_tensor(ctx, VKA_F32, 4, vsh, hv), *tg = vkt_tensor(ctx, VKA_F32, 4, gsh, hg);
        vka_tensor *ty = vkt_tensor(ctx, VKA_F32, 4, ysh, NULL);
        vkt_poison(ty);
        vka_cmd_begin(cmd);
        vka_status s = vka_grid_sample(cmd, tv, tg, 0, ty);
        if (s) {
            vkt_check(0, "composed grid_sample level %d: %s", l, vka_context_last_error(ctx));
            ok = 0;
        } else {
            vkt_run(cmd);
            float *gy = vkt_download(ty);
            for (int64_t b = 0; b < c->B; b++)
                for (int64_t h = 0; h < c->H; h++)
                    for (int64_t d = 0; d < c->D; d++)
                        for (int64_t q = 0; q < c->Nq; q++)
                            for (int64_t p = 0; p < Pl; p++)
                                comp[((b * c->Nq + q) * c->H + h) * c->D + d] +=
                                    (double)gy[(((b * c->H + h) * c->D + d) * c->Nq + q) * Pl + p] *
                                    x.w[((b * c->Nq + q) * c->H + h) * P + pofs + p];
            free(gy);
        }
        vka_tensor_destroy(tv), vka_tensor_destroy(tg), vka_tensor_destroy(ty);
        free(hv), free(hg);
        pofs += Pl;
    }
    if (ok) {
        /* the composition itself is checked against the float64 reference */
        float *cf = malloc(sizeof *cf * x.nout);
        for (size_t i = 0; i < x.nout; i++)
            cf[i] = (float)comp[i];
        vkt_compare("composed per-level grid_sample + weighted sum vs reference", cf, x.ref, x.nout, 1e-5);
        int64_t vh[4] = {c->B, c->H, c->D, S}, lf[5] = {c->B, c->Nq, c->H, P, 2};
        int64_t os[3] = {c->B, c->Nq, c->H * c->D};
        vka_tensor *tv = vkt_tensor(ctx, VKA_F32, 4, vh, x.v), *tl = vkt_tensor(ctx, VKA_F32, 5, lf, x.loc);
        vka_tensor *tw = vkt_tensor(ctx, VKA_F32, 4, lf, x.w), *to = vkt_tensor(ctx, VKA_F32, 3, os, NULL);
        vkt_poison(to);
        vka_deform_attn_desc d = desc_of(c);
        vka_cmd_begin(cmd);
        vka_status s = vka_deform_attn(cmd, &d, tv, tl, tw, to);
        if (s) {
            vkt_check(0, "deform_attn vs composed: %s", vka_context_last_error(ctx));
        } else {
            vkt_run(cmd);
            float *got = vkt_download(to);
            vkt_compare("deform_attn vs GPU grid_sample composition (DEIMv2 sequence)", got, comp, x.nout, 1e-5);
            free(got);
        }
        vka_tensor_destroy(tv), vka_tensor_destroy(tl), vka_tensor_destroy(tw), vka_tensor_destroy(to);
        free(cf);
    }
    vka_cmd_destroy(cmd);
    free(comp);
    free_data(&x);
}

/* The exported subgraph through vka_graph, fused and not: RT-DETRv2's form
 * (value [B, S, H, D] -> Transpose 0,2,3,1 -> Reshape [B·H, D, S] -> Slice per
 * level) or DEIMv2's (value [B, H, D, S] sliced per level), then each level
 * Reshape [B·H, D, h, w]; grid = Reshape(Transpose(2·L - 1, 0,2,1,3,4)) sliced
 * per level; GridSample, Concat on the last axis, · Reshape(Transpose(W)),
 * ReduceSum over the points, Reshape [B, H·D, Nq], Transpose 0,2,1. Fused, the
 * plan must hold one deform_attn and no grid_sample; both match the reference. */
static void test_graph_fusion(vka_context *ctx, const char *label, const cfg *c, int rtdetrv2)
{
    data x = make_data(c, VKA_F32);
    int64_t S = total_s(c), P = total_p(c), BH = c->B * c->H;
    float *got = malloc(sizeof *got * x.nout);
    for (int fuse = 1; fuse >= 0; fuse--) {
        vka_graph *g = vka_graph_create(ctx);
        int64_t vs_bshd[4] = {c->B, S, c->H, c->D}, vs_bhds[4] = {c->B, c->H, c->D, S};
        int64_t ls[5] = {c->B, c->Nq, c->H, P, 2}, ws[4] = {c->B, c->Nq, c->H, P};
        vka_val v = vka_graph_input(g, "value", VKA_F32, 4, rtdetrv2 ? vs_bshd : vs_bhds);
        vka_val loc = vka_graph_input(g, "loc", VKA_F32, 5, ls);
        vka_val w = vka_graph_input(g, "weights", VKA_F32, 4, ws);
        float two = 2, one = 1;
        vka_val vt = v;
        if (rtdetrv2) {
            vt = vka_graph_transpose(g, "value_t", v, (int[]){0, 2, 3, 1});
            vt = vka_graph_reshape(g, "value_flat", vt, 3, (int64_t[]){BH, c->D, S});
        }
        vka_val grid = vka_graph_binary(g, "loc2", VKA_MUL, loc, vka_graph_const(g, "two", VKA_F32, 0, NULL, &two));
        grid = vka_graph_binary(g, "grid", VKA_SUB, grid, vka_graph_const(g, "one", VKA_F32, 0, NULL, &one));
        grid = vka_graph_transpose(g, "grid_t", grid, (int[]){0, 2, 1, 3, 4});
        grid = vka_graph_reshape(g, "grid_flat", grid, 4, (int64_t[]){BH, c->Nq, P, 2});
        vka_val ys[VKA_DEFORM_MAX_LEVELS];
        int64_t s0 = 0, p0 = 0, last = -1, pax = 2;
        for (int l = 0; l < c->L; l++) {
            int64_t s1 = s0 + c->hw[l][0] * c->hw[l][1], p1 = p0 + c->pts[l];
            char nm[32];
            snprintf(nm, sizeof nm, "value_%d", l);
            vka_val vl = vka_graph_slice(g, nm, vt, 1, &s0, &s1, &last, NULL);
            vl = vka_graph_reshape(g, nm, vl, 4, (int64_t[]){BH, c->D, c->hw[l][0], c->hw[l][1]});
            snprintf(nm, sizeof nm, "grid_%d", l);
            vka_val gl = vka_graph_slice(g, nm, grid, 1, &p0, &p1, &pax, NULL);
            snprintf(nm, sizeof nm, "sample_%d", l);
            ys[l] = vka_graph_grid_sample(g, nm, vl, gl, 0);
            s0 = s1, p0 = p1;
        }
        vka_val y = vka_graph_concat(g, "samples", (int)c->L, ys, -1);
        vka_val wt = vka_graph_transpose(g, "w_t", w, (int[]){0, 2, 1, 3});
        wt = vka_graph_reshape(g, "w_flat", wt, 4, (int64_t[]){BH, 1, c->Nq, P});
        y = vka_graph_binary(g, "weighted", VKA_MUL, y, wt);
        y = vka_graph_reduce(g, "sum", VKA_REDUCE_SUM, y, 1, &last, 0);
        y = vka_graph_reshape(g, "heads", y, 3, (int64_t[]){c->B, c->H * c->D, c->Nq});
        y = vka_graph_transpose(g, "out", y, (int[]){0, 2, 1});
        vka_status s = vka_graph_output(g, y, "out");
        vka_graph_build_params bp = vka_graph_default_build_params();
        bp.fuse = fuse;
        if (!s)
            s = vka_graph_build(g, &bp);
        if (!s)
            s = vka_graph_set_input(g, "value", x.v, 4 * x.nv);
        if (!s)
            s = vka_graph_set_input(g, "loc", x.loc, 4 * x.nloc);
        if (!s)
            s = vka_graph_set_input(g, "weights", x.w, 4 * x.nw);
        for (size_t i = 0; i < x.nout; i++)
            got[i] = NAN;
        if (!s)
            s = vka_graph_run(g);
        if (!s)
            s = vka_graph_get_output(g, "out", got, 4 * x.nout);
        int gs = 0, da = 0;
        for (int i = 0; !s && i < vka_graph_plan_size(g); i++) {
            gs += !strcmp(vka_graph_plan_op(g, i), "grid_sample");
            da += !strcmp(vka_graph_plan_op(g, i), "deform_attn");
        }
        char what[160];
        snprintf(what, sizeof what, "%s graph, %s", label, fuse ? "fused" : "unfused");
        if (s) {
            vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
        } else {
            vkt_compare(what, got, x.ref, x.nout, 1e-5);
            vkt_check(fuse ? da == 1 && gs == 0 : da == 0 && gs == (int)c->L,
                      "%s plan: %d deform_attn, %d grid_sample", what, da, gs);
        }
        vka_graph_destroy(g);
    }
    free(got);
    free_data(&x);
}

/* RT-DETR v1's form (Ultralytics, Deformable-DETR's multi_scale_deformable_attn_pytorch)
 * through vka_graph: value [B, S, H, D] sliced per level on S, each level
 * Reshape [B, S_l, H·D] -> Transpose 0,2,1 -> Reshape [B·H, D, h, w]; grid =
 * 2·L - 1 with L [B, Nq, H, levels, P, 2], per level Gather(axis 3) ->
 * Transpose 0,2,1,3,4 -> Reshape [B·H, Nq, P, 2]; GridSample, Unsqueeze on
 * axis 3, Concat there (torch.stack(dim=-2)), Reshape [B·H, D, Nq, levels·P],
 * · Reshape(Transpose(W [B, Nq, H, levels, P], 0,2,1,3,4)) [B·H, 1, Nq,
 * levels·P], ReduceSum over the last axis, Reshape [B, H·D, Nq], Transpose
 * 0,2,1. Fused, the plan must hold one deform_attn and no grid_sample; fused
 * and unfused match the reference and each other. With align_corners = 1
 * (which deform_attn does not do) nothing may be fused. */
static void test_graph_fusion_stacked(vka_context *ctx, const char *label, const cfg *c, int align_corners)
{
    data x = make_data(c, VKA_F32);
    int64_t S = total_s(c), P = c->pts[0], BH = c->B * c->H, NL = c->L;
    float *got[2] = {malloc(sizeof(float) * x.nout), malloc(sizeof(float) * x.nout)};
    int ran[2] = {0, 0};
    for (int fuse = 1; fuse >= 0; fuse--) {
        vka_graph *g = vka_graph_create(ctx);
        int64_t vs[4] = {c->B, S, c->H, c->D}, ls[6] = {c->B, c->Nq, c->H, NL, P, 2}, ws[5] = {c->B, c->Nq, c->H, NL, P};
        vka_val v = vka_graph_input(g, "value", VKA_F32, 4, vs);
        vka_val loc = vka_graph_input(g, "loc", VKA_F32, 6, ls);
        vka_val w = vka_graph_input(g, "weights", VKA_F32, 5, ws);
        float two = 2, one = 1;
        vka_val grid = vka_graph_binary(g, "loc2", VKA_MUL, loc, vka_graph_const(g, "two", VKA_F32, 0, NULL, &two));
        grid = vka_graph_binary(g, "grid", VKA_SUB, grid, vka_graph_const(g, "one", VKA_F32, 0, NULL, &one));
        vka_val ys[VKA_DEFORM_MAX_LEVELS];
        int64_t s0 = 0, sax = 1, three = 3;
        for (int l = 0; l < c->L; l++) {
            int64_t h = c->hw[l][0], wd = c->hw[l][1], s1 = s0 + h * wd, il = l;
            char nm[32];
            snprintf(nm, sizeof nm, "value_%d", l);
            vka_val vl = vka_graph_slice(g, nm, v, 1, &s0, &s1, &sax, NULL);
            vl = vka_graph_reshape(g, nm, vl, 3, (int64_t[]){c->B, h * wd, c->H * c->D});
            vl = vka_graph_transpose(g, nm, vl, (int[]){0, 2, 1});
            vl = vka_graph_reshape(g, nm, vl, 4, (int64_t[]){BH, c->D, h, wd});
            snprintf(nm, sizeof nm, "grid_%d", l);
            vka_val gl = vka_graph_gather(g, nm, grid, vka_graph_const_i64(g, nm, 0, NULL, &il), (int)three);
            gl = vka_graph_transpose(g, nm, gl, (int[]){0, 2, 1, 3, 4});
            gl = vka_graph_reshape(g, nm, gl, 4, (int64_t[]){BH, c->Nq, P, 2});
            snprintf(nm, sizeof nm, "sample_%d", l);
            ys[l] = vka_graph_grid_sample(g, nm, vl, gl, align_corners);
            ys[l] = vka_graph_reshape(g, nm, ys[l], 5, (int64_t[]){BH, c->D, c->Nq, 1, P});
            s0 = s1;
        }
        vka_val y = vka_graph_concat(g, "stacked", (int)NL, ys, -2);
        y = vka_graph_reshape(g, "stacked_flat", y, 4, (int64_t[]){BH, c->D, c->Nq, NL * P});
        vka_val wt = vka_graph_transpose(g, "w_t", w, (int[]){0, 2, 1, 3, 4});
        wt = vka_graph_reshape(g, "w_flat", wt, 4, (int64_t[]){BH, 1, c->Nq, NL * P});
        y = vka_graph_binary(g, "weighted", VKA_MUL, y, wt);
        int64_t last = -1;
        y = vka_graph_reduce(g, "sum", VKA_REDUCE_SUM, y, 1, &last, 0);
        y = vka_graph_reshape(g, "heads", y, 3, (int64_t[]){c->B, c->H * c->D, c->Nq});
        y = vka_graph_transpose(g, "out", y, (int[]){0, 2, 1});
        vka_status s = vka_graph_output(g, y, "out");
        vka_graph_build_params bp = vka_graph_default_build_params();
        bp.fuse = fuse;
        if (!s)
            s = vka_graph_build(g, &bp);
        if (!s)
            s = vka_graph_set_input(g, "value", x.v, 4 * x.nv);
        if (!s)
            s = vka_graph_set_input(g, "loc", x.loc, 4 * x.nloc);
        if (!s)
            s = vka_graph_set_input(g, "weights", x.w, 4 * x.nw);
        for (size_t i = 0; i < x.nout; i++)
            got[fuse][i] = NAN;
        if (!s)
            s = vka_graph_run(g);
        if (!s)
            s = vka_graph_get_output(g, "out", got[fuse], 4 * x.nout);
        int gs = 0, da = 0;
        for (int i = 0; !s && i < vka_graph_plan_size(g); i++) {
            gs += !strcmp(vka_graph_plan_op(g, i), "grid_sample");
            da += !strcmp(vka_graph_plan_op(g, i), "deform_attn");
        }
        char what[200];
        snprintf(what, sizeof what, "%s graph, %s", label, fuse ? "fused" : "unfused");
        if (s) {
            vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
        } else {
            ran[fuse] = 1;
            if (!align_corners) /* the reference samples with align_corners False */
                vkt_compare(what, got[fuse], x.ref, x.nout, 1e-5);
            vkt_check(fuse && !align_corners ? da == 1 && gs == 0 : da == 0 && gs == (int)NL,
                      "%s plan: %d deform_attn, %d grid_sample", what, da, gs);
        }
        vka_graph_destroy(g);
    }
    if (ran[0] && ran[1]) {
        double *ref = malloc(sizeof *ref * x.nout);
        for (size_t i = 0; i < x.nout; i++)
            ref[i] = got[0][i];
        char what[200];
        snprintf(what, sizeof what, "%s graph, fused vs unfused", label);
        vkt_compare(what, got[1], ref, x.nout, 1e-5);
        free(ref);
    }
    free(got[0]), free(got[1]);
    free_data(&x);
}

static void test_errors(vka_context *ctx)
{
    int64_t vs[4] = {1, 500, 8, 8}, ls[5] = {1, 10, 8, 6, 2}, ws[4] = {1, 10, 8, 6}, os[3] = {1, 10, 64};
    int64_t os_bad[3] = {1, 10, 63}, ws_bad[4] = {1, 10, 8, 5};
    vka_tensor *v = vkt_tensor(ctx, VKA_F32, 4, vs, NULL), *l = vkt_tensor(ctx, VKA_F32, 5, ls, NULL);
    vka_tensor *w = vkt_tensor(ctx, VKA_F32, 4, ws, NULL), *o = vkt_tensor(ctx, VKA_F32, 3, os, NULL);
    vka_tensor *ob = vkt_tensor(ctx, VKA_F32, 3, os_bad, NULL), *wb = vkt_tensor(ctx, VKA_F32, 4, ws_bad, NULL);
    vka_tensor_set_name(v, "memory");
    vka_tensor_set_name(ob, "narrow");
    vka_tensor_set_name(wb, "wts");
    vka_deform_attn_desc d = vka_deform_attn_default_desc();
    d.levels = 2;
    d.spatial_shapes[0][0] = d.spatial_shapes[0][1] = 20;
    d.spatial_shapes[1][0] = d.spatial_shapes[1][1] = 10;
    d.points[0] = 4, d.points[1] = 2;
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vkt_check(vka_deform_attn(cmd, &d, v, l, w, o) == VKA_OK, "DEIMv2 shapes accepted: %s",
              vka_context_last_error(ctx));
    vkt_expect_error("out not [B, Nq, H·D]", vka_deform_attn(cmd, &d, v, l, w, ob), VKA_ERR_SHAPE, "narrow");
    vkt_expect_error("weights with 5 points", vka_deform_attn(cmd, &d, v, l, wb, o), VKA_ERR_SHAPE, "wts");
    d.spatial_shapes[1][1] = 11;
    vkt_expect_error("levels do not sum to S", vka_deform_attn(cmd, &d, v, l, w, o), VKA_ERR_SHAPE,
                     "value \"memory\" [1, 500, 8, 8] has S = 500");
    d.spatial_shapes[1][1] = 10;
    d.levels = 9;
    vkt_expect_error("9 levels", vka_deform_attn(cmd, &d, v, l, w, o), VKA_ERR_INVALID_ARG, "9 levels");
    d.levels = 2;
    vka_tensor *ov = vka_tensor_view(v, 7, 3, os);
    vka_tensor_set_name(ov, "inside");
    vkt_expect_error("out overlaps value", vka_deform_attn(cmd, &d, v, l, w, ov), VKA_ERR_INVALID_ARG,
                     "output \"inside\" [1, 10, 64] overlaps value");
    vka_tensor_destroy(ov);
    vkt_expect_error("NULL desc", vka_deform_attn(cmd, NULL, v, l, w, o), VKA_ERR_INVALID_ARG, "desc");
    int64_t gs_bad[4] = {1, 3, 4, 3}, xs[4] = {1, 2, 5, 5}, ys[4] = {1, 2, 3, 4};
    vka_tensor *gx = vkt_tensor(ctx, VKA_F32, 4, xs, NULL), *gg = vkt_tensor(ctx, VKA_F32, 4, gs_bad, NULL);
    vka_tensor *gy = vkt_tensor(ctx, VKA_F32, 4, ys, NULL);
    vka_tensor_set_name(gg, "grid3");
    vkt_expect_error("grid_sample grid last axis 3", vka_grid_sample(cmd, gx, gg, 0, gy), VKA_ERR_SHAPE, "grid3");
    vka_cmd_end(cmd);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(v), vka_tensor_destroy(l), vka_tensor_destroy(w), vka_tensor_destroy(o);
    vka_tensor_destroy(ob), vka_tensor_destroy(wb), vka_tensor_destroy(gx), vka_tensor_destroy(gg);
    vka_tensor_destroy(gy);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    int f16 = vka_context_device(ctx)->fp16_storage;
    /* RT-DETR: value [B, S, H, D], D 32, P 4, odd level sizes */
    cfg rt = {.B = 1, .Nq = 300, .H = 8, .D = 32, .L = 4,
              .hw = {{40, 40}, {20, 20}, {10, 10}, {13, 17}}, .pts = {4, 4, 4, 4}, .split_shape = 1};
    /* RT-DETR's 3 levels, 2 images, D not a multiple of the channel chunk */
    cfg rt3 = {.B = 2, .Nq = 37, .H = 3, .D = 13, .L = 3, .hw = {{13, 17}, {7, 9}, {1, 5}}, .pts = {3, 3, 3},
               .split_shape = 1};
    /* DEIMv2 atto: value [B, H, D, S], levels 20x20 and 10x10, points [4, 2], D 8 */
    cfg deim = {.B = 1, .Nq = 100, .H = 8, .D = 8, .L = 2, .hw = {{20, 20}, {10, 10}}, .pts = {4, 2}, .bhds = 1};
    /* per-level points with RT-DETR's layout, 5 levels */
    cfg mix = {.B = 2, .Nq = 19, .H = 2, .D = 5, .L = 5, .hw = {{9, 11}, {5, 6}, {3, 3}, {2, 1}, {1, 1}},
               .pts = {1, 2, 3, 4, 5}};
    for (int dt = 0; dt < 1 + f16; dt++) {
        vka_dtype t = dt ? VKA_F16 : VKA_F32;
        run_case(ctx, "RT-DETR Nq300 H8 D32 L4 (40x40 20x20 10x10 13x17) P4", &rt, t, 0);
        run_case(ctx, "RT-DETR B2 Nq37 H3 D13 L3 (13x17 7x9 1x5) P3", &rt3, t, dt == 0);
        run_case(ctx, "DEIMv2 [B,H,D,S] Nq100 H8 D8 L2 (20x20 10x10) P[4,2]", &deim, t, dt == 1);
        run_case(ctx, "per-level P[1..5] [B,S,H,D] L5", &mix, t, 0);
    }
    test_composed(ctx, &deim);
    /* RT-DETRv2 r18vd's decoder: 3 levels, 4 points each (here odd sizes, 2 images) */
    cfg v2 = {.B = 2, .Nq = 23, .H = 3, .D = 7, .L = 3, .hw = {{10, 12}, {5, 6}, {3, 3}}, .pts = {4, 4, 4}};
    test_graph_fusion(ctx, "RT-DETRv2 form (value [B,S,H,D] flattened to [B*H,D,S] before the level slices)", &v2, 1);
    test_graph_fusion(ctx, "DEIMv2 form (value [B,H,D,S], points [4,2])", &deim, 0);
    /* RT-DETR v1 / Ultralytics: levels stacked on a new axis (odd sizes, 2 images) */
    cfg v1 = {.B = 2, .Nq = 11, .H = 3, .D = 16, .L = 2, .hw = {{5, 7}, {3, 4}}, .pts = {4, 4}, .split_shape = 1};
    test_graph_fusion_stacked(ctx, "RT-DETR v1 form (levels stacked on a new axis, value [B,S,H,D])", &v1, 0);
    test_graph_fusion_stacked(ctx, "RT-DETR v1 form with align_corners 1 (not fused)", &v1, 1);
    test_errors(ctx);
    return vkt_finish();
}
