/* SPDX-License-Identifier: MIT */
/* vit.c — a ViT classifier built with the C builder API from a .safetensors
 * file (timm, torchvision or Hugging Face names). This is the example an
 * embedding application follows: read weights, add nodes, build, run.
 *
 *     vka_vit_config cfg;
 *     vka_graph *g = vka_vit_from_safetensors(ctx, "deit_tiny.safetensors", &cfg);
 *     vka_graph_build_params bp = vka_graph_default_build_params();
 *     bp.probe_attention = 1;                      // per-head CLS maps
 *     vka_graph_build(g, &bp);
 *     vka_graph_set_input(g, "pixel_values", x, bytes);
 *     vka_graph_run(g);
 *     vka_graph_get_output(g, "logits", logits, cfg.classes * 4);
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h" /* models/ is part of the library: its error reporting */

/* One weight under its names in the three conventions; %d is the block index,
 * {p} the Hugging Face prefix ("vit." or "deit."). Hugging Face keeps q, k, v
 * apart: "qkv" is assembled from them. */
typedef struct {
    const char *timm, *tv, *hf;
} names;

static const names N_CLS = {"cls_token", "class_token", "{p}embeddings.cls_token"};
static const names N_POS = {"pos_embed", "encoder.pos_embedding", "{p}embeddings.position_embeddings"};
static const names N_PATCH_W = {"patch_embed.proj.weight", "conv_proj.weight",
                                "{p}embeddings.patch_embeddings.projection.weight"};
static const names N_PATCH_B = {"patch_embed.proj.bias", "conv_proj.bias",
                                "{p}embeddings.patch_embeddings.projection.bias"};
static const names N_LN1_W = {"blocks.%d.norm1.weight", "encoder.layers.encoder_layer_%d.ln_1.weight",
                              "{p}encoder.layer.%d.layernorm_before.weight"};
static const names N_LN1_B = {"blocks.%d.norm1.bias", "encoder.layers.encoder_layer_%d.ln_1.bias",
                              "{p}encoder.layer.%d.layernorm_before.bias"};
static const names N_QKV_W = {"blocks.%d.attn.qkv.weight", "encoder.layers.encoder_layer_%d.self_attention.in_proj_weight",
                              NULL};
static const names N_QKV_B = {"blocks.%d.attn.qkv.bias", "encoder.layers.encoder_layer_%d.self_attention.in_proj_bias",
                              NULL};
static const names N_PROJ_W = {"blocks.%d.attn.proj.weight", "encoder.layers.encoder_layer_%d.self_attention.out_proj.weight",
                               "{p}encoder.layer.%d.attention.output.dense.weight"};
static const names N_PROJ_B = {"blocks.%d.attn.proj.bias", "encoder.layers.encoder_layer_%d.self_attention.out_proj.bias",
                               "{p}encoder.layer.%d.attention.output.dense.bias"};
static const names N_LN2_W = {"blocks.%d.norm2.weight", "encoder.layers.encoder_layer_%d.ln_2.weight",
                              "{p}encoder.layer.%d.layernorm_after.weight"};
static const names N_LN2_B = {"blocks.%d.norm2.bias", "encoder.layers.encoder_layer_%d.ln_2.bias",
                              "{p}encoder.layer.%d.layernorm_after.bias"};
static const names N_FC1_W = {"blocks.%d.mlp.fc1.weight", "encoder.layers.encoder_layer_%d.mlp.0.weight",
                              "{p}encoder.layer.%d.intermediate.dense.weight"};
static const names N_FC1_B = {"blocks.%d.mlp.fc1.bias", "encoder.layers.encoder_layer_%d.mlp.0.bias",
                              "{p}encoder.layer.%d.intermediate.dense.bias"};
static const names N_FC2_W = {"blocks.%d.mlp.fc2.weight", "encoder.layers.encoder_layer_%d.mlp.3.weight",
                              "{p}encoder.layer.%d.output.dense.weight"};
static const names N_FC2_B = {"blocks.%d.mlp.fc2.bias", "encoder.layers.encoder_layer_%d.mlp.3.bias",
                              "{p}encoder.layer.%d.output.dense.bias"};
static const names N_NORM_W = {"norm.weight", "encoder.ln.weight", "{p}layernorm.weight"};
static const names N_NORM_B = {"norm.bias", "encoder.ln.bias", "{p}layernorm.bias"};
static const names N_HEAD_W = {"head.weight", "heads.head.weight", "classifier.weight"};
static const names N_HEAD_B = {"head.bias", "heads.head.bias", "classifier.bias"};

typedef struct {
    vka_safetensors *st;
    vka_graph *g;
    const char *path;
    char prefix[8];              /* Hugging Face: "vit." or "deit." */
    int style;                   /* 0 timm, 1 torchvision, 2 Hugging Face */
    char err[512];
} loader;

static void expand(const loader *l, const char *pat, int layer, char *out, size_t n)
{
    char tmp[256];
    const char *p = strstr(pat, "{p}");
    if (p)
        snprintf(tmp, sizeof tmp, "%.*s%s%s", (int)(p - pat), pat, l->prefix, p + 3);
    else
        snprintf(tmp, sizeof tmp, "%s", pat);
    if (strstr(tmp, "%d"))
        snprintf(out, n, tmp, layer);
    else
        snprintf(out, n, "%s", tmp);
}

static const vka_st_tensor *find(loader *l, const names *nm, int layer, char *name_out, size_t n)
{
    const char *pat = l->style == 0 ? nm->timm : l->style == 1 ? nm->tv : nm->hf;
    if (!pat)
        return NULL;
    expand(l, pat, layer, name_out, n);
    return vka_safetensors_find(l->st, name_out);
}

/* Tensor data as floats (F32 as is, F16/BF16/F64 converted). Caller frees. */
static float *as_f32(const vka_st_tensor *t, int64_t *count)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    float *f = malloc(sizeof *f * (size_t)(n ? n : 1));
    if (!f)
        return NULL;
    const uint8_t *p = t->data;
    for (int64_t i = 0; i < n; i++) {
        switch (t->dtype) {
        case VKA_ST_F32: memcpy(&f[i], p + 4 * i, 4); break;
        case VKA_ST_F64: { double d; memcpy(&d, p + 8 * i, 8); f[i] = (float)d; break; }
        case VKA_ST_BF16: { uint16_t h; memcpy(&h, p + 2 * i, 2); uint32_t u = (uint32_t)h << 16; memcpy(&f[i], &u, 4); break; }
        case VKA_ST_F16: {
            uint16_t h;
            memcpy(&h, p + 2 * i, 2);
            uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ff;
            float v = e == 0 ? ldexpf((float)m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexpf((float)(m | 0x400), (int)e - 25);
            f[i] = (h & 0x8000) ? -v : v;
            break;
        }
        default: free(f); return NULL;
        }
    }
    *count = n;
    return f;
}

/* A weight as a graph constant with the given shape (element counts must agree). */
static vka_val weight(loader *l, const names *nm, int layer, int ndim, const int64_t *shape)
{
    if (l->err[0])
        return VKA_NONE;
    char name[256];
    const vka_st_tensor *t = find(l, nm, layer, name, sizeof name);
    if (!t) {
        snprintf(l->err, sizeof l->err, "%s: weight %s not found", l->path, name);
        return VKA_NONE;
    }
    int64_t n, want = 1;
    for (int i = 0; i < ndim; i++)
        want *= shape[i];
    float *f = as_f32(t, &n);
    if (!f || n != want) {
        snprintf(l->err, sizeof l->err, "%s: weight %s has %lld elements (%s), %lld expected", l->path, name,
                 f ? (long long)n : -1LL, vka_st_dtype_str(t->dtype), (long long)want);
        free(f);
        return VKA_NONE;
    }
    vka_val v = vka_graph_const(l->g, name, VKA_F32, ndim, shape, f);
    free(f);
    return v;
}

/* Packed [3C, C] (or [3C]) q;k;v weight: read directly, or concatenated from Hugging Face's three. */
static vka_val qkv(loader *l, int layer, bool bias, int64_t c)
{
    int64_t shape[2] = {3 * c, c};
    int nd = bias ? 1 : 2;
    if (l->style != 2)
        return weight(l, bias ? &N_QKV_B : &N_QKV_W, layer, nd, shape);
    const char *parts[3] = {"query", "key", "value"};
    float *all = malloc(sizeof *all * (size_t)(3 * c * (bias ? 1 : c)));
    for (int i = 0; i < 3 && !l->err[0]; i++) {
        char pat[128], name[256];
        snprintf(pat, sizeof pat, "{p}encoder.layer.%%d.attention.attention.%s.%s", parts[i], bias ? "bias" : "weight");
        expand(l, pat, layer, name, sizeof name);
        const vka_st_tensor *t = vka_safetensors_find(l->st, name);
        int64_t n;
        float *f = t ? as_f32(t, &n) : NULL;
        if (!f || n != c * (bias ? 1 : c))
            snprintf(l->err, sizeof l->err, "%s: weight %s missing or not %lld elements", l->path, name,
                     (long long)(c * (bias ? 1 : c)));
        else
            memcpy(all + i * n, f, sizeof *f * (size_t)n);
        free(f);
    }
    vka_val v = l->err[0] ? VKA_NONE : vka_graph_const(l->g, bias ? "qkv.bias" : "qkv.weight", VKA_F32, nd, shape, all);
    free(all);
    return v;
}

static int64_t meta_int(const vka_safetensors *st, const char *key)
{
    const char *v = vka_safetensors_metadata(st, key);
    return v ? atoll(v) : 0;
}

vka_graph *vka_vit_from_safetensors(vka_context *ctx, const char *path, vka_vit_config *cfg_out)
{
    loader l = {.path = path};
    vka_graph *g = NULL;
    l.st = vka_safetensors_open(path);
    if (!l.st)
        return NULL;
    /* which naming convention */
    char name[256];
    static const char *prefixes[2] = {"vit.", "deit."};
    for (l.style = 0; l.style < 3; l.style++) {
        for (int p = 0; p < (l.style == 2 ? 2 : 1); p++) {
            snprintf(l.prefix, sizeof l.prefix, "%s", l.style == 2 ? prefixes[p] : "");
            if (find(&l, &N_CLS, 0, name, sizeof name))
                goto found;
        }
    }
    vka__err(ctx, VKA_ERR_FORMAT, "%s: no ViT class token (cls_token, class_token or *.embeddings.cls_token)", path);
    vka_safetensors_close(l.st);
    return NULL;
found:;
    vka_vit_config c = {0};
    const vka_st_tensor *cls = find(&l, &N_CLS, 0, name, sizeof name);
    const vka_st_tensor *pw = find(&l, &N_PATCH_W, 0, name, sizeof name);
    const vka_st_tensor *pos = find(&l, &N_POS, 0, name, sizeof name);
    const vka_st_tensor *hw = find(&l, &N_HEAD_W, 0, name, sizeof name);
    if (!pw || !pos || !hw || pw->ndim != 4 || pos->ndim != 3 || hw->ndim != 2 || cls->ndim != 3) {
        snprintf(l.err, sizeof l.err, "%s: patch embedding, position embedding or head weight missing or misshaped",
                 path);
        goto fail;
    }
    c.dim = cls->shape[2];
    c.patch_size = pw->shape[2];
    int64_t ntok = pos->shape[1], grid = (int64_t)llround(sqrt((double)(ntok - 1)));
    if (grid * grid != ntok - 1 || pw->shape[0] != c.dim || pw->shape[1] != 3) {
        snprintf(l.err, sizeof l.err, "%s: %lld position embeddings is not 1 + a square grid", path, (long long)ntok);
        goto fail;
    }
    c.image_size = grid * c.patch_size;
    c.classes = hw->shape[0];
    while (find(&l, &N_LN1_W, (int)c.layers, name, sizeof name))
        c.layers++;
    const vka_st_tensor *f1 = find(&l, &N_FC1_W, 0, name, sizeof name);
    c.mlp_dim = f1 ? f1->shape[0] : 4 * c.dim;
    c.heads = meta_int(l.st, "num_heads");
    if (c.heads <= 0)
        c.heads = c.dim % 64 == 0 ? c.dim / 64 : 1;
    const char *eps = vka_safetensors_metadata(l.st, "layer_norm_eps");
    c.eps = eps ? (float)atof(eps) : 1e-6f;
    if (c.layers == 0 || c.dim % c.heads) {
        snprintf(l.err, sizeof l.err, "%s: %lld blocks, dim %lld, heads %lld", path, (long long)c.layers,
                 (long long)c.dim, (long long)c.heads);
        goto fail;
    }

    int64_t C = c.dim, H = c.heads, D = C / H, P = grid * grid, N = P + 1, S = c.image_size;
    g = l.g = vka_graph_create(ctx);
    if (!g)
        goto fail;
    vka_val x = vka_graph_input(g, "pixel_values", VKA_F32, 4, (int64_t[]){1, 3, S, S});
    /* patch embedding: conv p x p stride p -> [1, C, g, g] -> [1, P, C] */
    vka_conv_params cp = vka_conv_default_params();
    cp.stride[0] = cp.stride[1] = c.patch_size;
    vka_val pe = vka_graph_conv(g, "patch_embed", x, weight(&l, &N_PATCH_W, 0, 4, (int64_t[]){C, 3, c.patch_size, c.patch_size}),
                                weight(&l, &N_PATCH_B, 0, 1, &C), &cp);
    pe = vka_graph_reshape(g, "patch_embed/flatten", pe, 3, (int64_t[]){1, C, P});
    pe = vka_graph_transpose(g, "patch_embed/transpose", pe, (int[]){0, 2, 1});
    vka_val tok[2] = {weight(&l, &N_CLS, 0, 3, (int64_t[]){1, 1, C}), pe};
    vka_val h = vka_graph_concat(g, "tokens", 2, tok, 1);
    h = vka_graph_binary(g, "pos_embed", VKA_ADD, h, weight(&l, &N_POS, 0, 3, (int64_t[]){1, N, C}));
    h = vka_graph_reshape(g, "tokens/2d", h, 2, (int64_t[]){N, C});
    for (int i = 0; i < c.layers && !l.err[0]; i++) {
        char nm[64];
#define NM(s) (snprintf(nm, sizeof nm, "blocks.%d.%s", i, s), nm)
        vka_val a = vka_graph_layernorm(g, NM("norm1"), h, weight(&l, &N_LN1_W, i, 1, &C), weight(&l, &N_LN1_B, i, 1, &C),
                                        -1, c.eps);
        a = vka_graph_gemm(g, NM("attn.qkv"), a, qkv(&l, i, false, C), qkv(&l, i, true, C), 1, 1, 0, 1);
        /* [N, 3C] -> [N, 3, H, D] -> [3, H, N, D]: q, k, v as [1, H, N, D] */
        a = vka_graph_reshape(g, NM("attn.qkv/split"), a, 4, (int64_t[]){N, 3, H, D});
        a = vka_graph_transpose(g, NM("attn.qkv/heads"), a, (int[]){1, 2, 0, 3});
        vka_val qkv3[3];
        for (int j = 0; j < 3; j++) {
            int64_t st = j, en = j + 1, ax = 0;
            char sn[64];
            snprintf(sn, sizeof sn, "blocks.%d.attn.%c", i, "qkv"[j]);
            qkv3[j] = vka_graph_slice(g, sn, a, 1, &st, &en, &ax, NULL);
        }
        a = vka_graph_attention(g, NM("attn"), qkv3[0], qkv3[1], qkv3[2], VKA_NONE, 0);
        a = vka_graph_transpose(g, NM("attn/merge"), a, (int[]){0, 2, 1, 3});
        a = vka_graph_reshape(g, NM("attn/2d"), a, 2, (int64_t[]){N, C});
        a = vka_graph_gemm(g, NM("attn.proj"), a, weight(&l, &N_PROJ_W, i, 2, (int64_t[]){C, C}),
                           weight(&l, &N_PROJ_B, i, 1, &C), 1, 1, 0, 1);
        h = vka_graph_binary(g, NM("residual1"), VKA_ADD, a, h);
        a = vka_graph_layernorm(g, NM("norm2"), h, weight(&l, &N_LN2_W, i, 1, &C), weight(&l, &N_LN2_B, i, 1, &C), -1,
                                c.eps);
        a = vka_graph_gemm(g, NM("mlp.fc1"), a, weight(&l, &N_FC1_W, i, 2, (int64_t[]){c.mlp_dim, C}),
                           weight(&l, &N_FC1_B, i, 1, &c.mlp_dim), 1, 1, 0, 1);
        a = vka_graph_unary(g, NM("mlp.gelu"), VKA_GELU, a);
        a = vka_graph_gemm(g, NM("mlp.fc2"), a, weight(&l, &N_FC2_W, i, 2, (int64_t[]){C, c.mlp_dim}),
                           weight(&l, &N_FC2_B, i, 1, &C), 1, 1, 0, 1);
        h = vka_graph_binary(g, NM("residual2"), VKA_ADD, a, h);
#undef NM
    }
    /* classifier on the CLS token: only that row needs the final norm */
    int64_t st0 = 0, en1 = 1, ax0 = 0;
    h = vka_graph_slice(g, "cls", h, 1, &st0, &en1, &ax0, NULL);
    h = vka_graph_layernorm(g, "norm", h, weight(&l, &N_NORM_W, 0, 1, &C), weight(&l, &N_NORM_B, 0, 1, &C), -1, c.eps);
    h = vka_graph_gemm(g, "head", h, weight(&l, &N_HEAD_W, 0, 2, (int64_t[]){c.classes, C}),
                       weight(&l, &N_HEAD_B, 0, 1, &c.classes), 1, 1, 0, 1);
    if (l.err[0] || h < 0)
        goto fail;
    vka_graph_output(g, h, "logits");
    vka_safetensors_close(l.st);
    if (cfg_out)
        *cfg_out = c;
    return g;
fail:
    if (l.err[0])
        vka__err(ctx, VKA_ERR_FORMAT, "%s", l.err);
    vka_graph_destroy(g);
    vka_safetensors_close(l.st);
    return NULL;
}

vka_status vka_vit_cls_attention(vka_graph *g, int layer, float *out, size_t bytes, int64_t *heads, int64_t *grid,
                                 float *cls_self)
{
    if (!g || !out)
        return VKA_ERR_INVALID_ARG;
    int32_t row = 0; /* the CLS token */
    int64_t shape[4];
    vka_status s = vka_graph_attention_shape(g, layer, shape);
    if (s)
        return s;
    size_t all = (size_t)(shape[0] * shape[1] * shape[3]) * sizeof(float);
    float *tmp = malloc(all);
    if (!tmp)
        return VKA_ERR_OUT_OF_MEMORY;
    if ((s = vka_graph_attention_probe(g, layer, 1, &row, tmp, all, NULL))) {
        free(tmp);
        return s;
    }
    int64_t H = shape[0] * shape[1], N = shape[3], gr = (int64_t)llround(sqrt((double)(N - 1)));
    if (gr * gr != N - 1 || bytes != (size_t)(H * (N - 1)) * sizeof(float)) {
        free(tmp);
        return VKA_ERR_SHAPE;
    }
    for (int64_t h = 0; h < H; h++) {
        memcpy(out + h * (N - 1), tmp + h * N + 1, sizeof(float) * (size_t)(N - 1));
        if (cls_self)
            cls_self[h] = tmp[h * N];
    }
    free(tmp);
    if (heads)
        *heads = H;
    if (grid)
        *grid = gr;
    return VKA_OK;
}
