/* op_conv2d.c — vka_conv2d: direct convolution with fused bias and activation
 * for any groups, and vka_fold_batchnorm (host side). */
#include <math.h>
#include <stdlib.h>

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

vka_status vka_conv2d(vka_cmd *cmd, vka_tensor *x, vka_tensor *w, vka_tensor *bias, const vka_conv_params *p,
                      vka_tensor *y)
{
    static const char *OP = "vka_conv2d";
    vka_status s = vka__check_cmd(cmd, OP);
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    vka_conv_params dp = vka_conv_default_params();
    if (!p)
        p = &dp;
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
    int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], Wd = x->shape[3];
    int64_t O = w->shape[0], KH = w->shape[2], KW = w->shape[3], G = p->groups;
    if (G < 1 || C % G || O % G)
        return vka__err(ctx, VKA_ERR_SHAPE, "%s: groups %lld must divide the %lld channels of x %s and the %lld of w %s",
                        OP, (long long)G, (long long)C, vka__tdesc(x, dx, sizeof dx), (long long)O,
                        vka__tdesc(w, dw, sizeof dw));
    if (w->shape[1] != C / G)
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
    int64_t cg = C / G, og = O / G;
    if (cg * (KH * (KW + 1) + 1) > VKA_CONV_LOOP_MAX)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "%s: %lld input channels per group with a %lldx%lld kernel (w %s) "
                        "exceed the per-invocation loop budget", OP, (long long)cg, (long long)KH, (long long)KW,
                        vka__tdesc(w, dw, sizeof dw));
    if (y->numel == 0)
        return VKA_OK;

    /* Wide pointwise convs are a GEMM W [O, C] · x [C, H·W] per image, where
     * the GEMM kernels' tiles beat the direct kernel once C and O are wide
     * (lavapipe, 2 busy shared cores, noisy: [1,256,20,20]->256 with bias+ReLU
     * 18-20 ms through GEMM vs 26 ms direct; [1,128,40,40]->128 a toss-up;
     * [1,32,80,80]->64 direct 7-9 ms vs GEMM alone 17 ms). The GEMM epilogue
     * adds bias per column, so the per-channel bias and the activation follow
     * as in-place passes. VKATTN_CONV_GEMM=0|1 forces the choice (measuring). */
    bool pointwise = KH == 1 && KW == 1 && p->stride[0] == 1 && p->stride[1] == 1 && !p->pad[0] && !p->pad[1] &&
                     !p->pad[2] && !p->pad[3];
    const char *route = getenv("VKATTN_CONV_GEMM");
    bool use_gemm = pointwise && G == 1 && C >= 128 && O >= 128;
    if (route && (route[0] == '0' || route[0] == '1'))
        use_gemm = pointwise && G == 1 && route[0] == '1';
    if (use_gemm)
        return conv_gemm(cmd, x, w, bias, p->act, y);

    /* Register tile: OCT output channels x PX pixels. Depthwise (one channel
     * per group) gets longer pixel runs instead of idle channel slots. */
    uint32_t oct = og >= 8 ? 8 : og >= 4 ? 4 : og >= 2 ? 2 : 1;
    uint32_t px = oct == 1 ? 8 : 4;
    if (OW <= 4 && px > 4)
        px = 4;
    uint32_t wg = 64;
    /* pointwise convs (most of a DEIMv2/HGNetv2 backbone's work) read four
     * neighbouring pixels per vec4 load when the layout allows it */
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
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "%s: grid %llux%llux%lld for y %s exceeds the device's limits", OP,
                        (unsigned long long)gx, (unsigned long long)gy, (long long)N, vka__tdesc(y, dy, sizeof dy));
    vka__conv2d_push pc = {
        (uint32_t)C, (uint32_t)H, (uint32_t)Wd, (uint32_t)O, (uint32_t)OH, (uint32_t)OW, (uint32_t)KH, (uint32_t)KW,
        (uint32_t)p->stride[0], (uint32_t)p->stride[1], (int32_t)p->pad[0], (int32_t)p->pad[1],
        (uint32_t)p->dilation[0], (uint32_t)p->dilation[1], (uint32_t)cg, (uint32_t)og, (uint32_t)segs,
        (uint32_t)octiles, (uint32_t)p->act, bias != NULL, vka__off(x), vka__off(w), bias ? vka__off(bias) : 0,
        vka__off(y)};
    uint32_t spec[4] = {wg, oct, px, vec};
    vka__binding b[] = {{x, 0}, {w, 0}, {bias, 0}, {y, 1}};
    char name[32];
    return vka__dispatch(cmd, vka__variant(name, sizeof name, "conv2d", x->dtype), spec, 4, b, 4, &pc, sizeof pc,
                         (uint32_t)gx, (uint32_t)gy, (uint32_t)N);
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
