/* SPDX-License-Identifier: MIT */
/* bench_conv.c — `vkattn bench conv`: convolution kernels on RT-DETRv2 r18vd
 * (640 input) and HGNetv2 (DEIMv2) layer shapes: median GPU time, GFLOP/s
 * (2 per multiply-add) and the share of the device's measured fp32 FMA peak,
 * with the kernel that ran. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include "cli.h"

typedef struct conv_shape {
    const char *set, *what;
    int64_t c, h, o, k, s, groups; /* square input and kernel, pad k/2 */
} conv_shape;

static const conv_shape SHAPES[] = {
    {"rtdetr", "r18 conv1_1", 3, 640, 32, 3, 2, 1},
    {"rtdetr", "r18 conv1_2", 32, 320, 32, 3, 1, 1},
    {"rtdetr", "r18 conv1_3", 32, 320, 64, 3, 1, 1},
    {"rtdetr", "r18 layer1", 64, 160, 64, 3, 1, 1},
    {"rtdetr", "r18 layer2 down", 64, 160, 128, 3, 2, 1},
    {"rtdetr", "r18 layer2", 128, 80, 128, 3, 1, 1},
    {"rtdetr", "r18 layer3", 256, 40, 256, 3, 1, 1},
    {"rtdetr", "r18 layer4", 512, 20, 512, 3, 1, 1},
    {"rtdetr", "r18 short 1x1", 64, 80, 128, 1, 1, 1},
    {"rtdetr", "proj 1x1 p3", 128, 80, 256, 1, 1, 1},
    {"rtdetr", "proj 1x1 p5", 512, 20, 256, 1, 1, 1},
    {"rtdetr", "ccfm 3x3 p3", 256, 80, 256, 3, 1, 1},
    {"hgnet", "stem 3x3 s2", 3, 320, 16, 3, 2, 1},
    {"hgnet", "3x3 16", 16, 160, 16, 3, 1, 1},
    {"hgnet", "1x1 32>64", 32, 80, 64, 1, 1, 1},
    {"hgnet", "1x1 128", 128, 40, 128, 1, 1, 1},
    {"hgnet", "3x3 64", 64, 40, 64, 3, 1, 1},
    {"hgnet", "1x1 256", 256, 20, 256, 1, 1, 1},
    {"hgnet", "dw 3x3 64", 64, 80, 64, 3, 1, 64},
    {"hgnet", "dw 3x3 s2 128", 128, 80, 128, 3, 2, 128},
    {"hgnet", "dw 5x5 128", 128, 40, 128, 5, 1, 128},
    {"hgnet", "dw 5x5 256", 256, 20, 256, 5, 1, 256},
};
#define NSHAPES ((int)(sizeof SHAPES / sizeof *SHAPES))

static void fill(vka_tensor *t, float *host, uint32_t seed)
{
    size_t n = (size_t)vka_tensor_numel(t);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        host[i] = ((seed >> 8) / 16777216.0f) - 0.5f;
    }
    vka_tensor_upload(t, host, n * sizeof *host);
}

/* vka_conv2d_plan_packed for shape c, as a graph with constant weights asks */
static int plan_packed(vka_context *ctx, const conv_shape *c)
{
    int64_t sx[4] = {1, c->c, c->h, c->h}, sw[4] = {c->o, c->c / c->groups, c->k, c->k};
    vka_conv_params p = vka_conv_default_params();
    p.stride[0] = p.stride[1] = c->s;
    p.pad[0] = p.pad[1] = p.pad[2] = p.pad[3] = c->k / 2;
    p.groups = c->groups;
    p.act = VKA_ACT_RELU;
    return vka_conv2d_plan_packed(ctx, VKA_F32, sx, sw, &p, 1);
}

/* GPU ms of each of `runs` runs of one conv after a warm-up (NULL on failure;
 * caller frees), the kernel's name in kernel. */
static double *bench_one(vka_context *ctx, const conv_shape *c, int packed, int runs, char *kernel, size_t nk)
{
    int64_t pad = c->k / 2, oh = (c->h + 2 * pad - c->k) / c->s + 1, cg = c->c / c->groups, og = c->o / c->groups;
    int64_t sx[4] = {1, c->c, c->h, c->h}, sy[4] = {1, c->o, oh, oh}, sw[4] = {c->o, cg, c->k, c->k};
    int64_t sp[4] = {c->o, c->k, c->k, (cg + 3) / 4 * 4}, sb = c->o;
    (void)og;
    vka_tensor *x = vka_tensor_create(ctx, VKA_F32, 4, sx), *y = vka_tensor_create(ctx, VKA_F32, 4, sy);
    vka_tensor *w = vka_tensor_create(ctx, VKA_F32, 4, sw), *b = vka_tensor_create(ctx, VKA_F32, 1, &sb);
    vka_tensor *wp = packed ? vka_tensor_create(ctx, VKA_F32, 4, sp) : NULL;
    vka_cmd *cmd = vka_cmd_create(ctx);
    double *ms = NULL;
    kernel[0] = 0;
    float *hx = malloc(sizeof *hx * (size_t)(c->c * c->h * c->h)), *hw = malloc(sizeof *hw * (size_t)(c->o * cg * c->k * c->k));
    float *hp = packed ? malloc(sizeof *hp * (size_t)(sp[0] * sp[1] * sp[2] * sp[3])) : NULL;
    float *hb = malloc(sizeof *hb * (size_t)c->o);
    if (x && y && w && b && cmd && hx && hw && hb && (!packed || (wp && hp))) {
        fill(x, hx, 1), fill(w, hw, 2), fill(b, hb, 3);
        if (packed) {
            vka_conv_pack_weights(hw, c->o, cg, c->k, c->k, hp);
            vka_tensor_upload(wp, hp, vka_tensor_bytes(wp));
        }
        vka_conv_params p = vka_conv_default_params();
        p.stride[0] = p.stride[1] = c->s;
        p.pad[0] = p.pad[1] = p.pad[2] = p.pad[3] = pad;
        p.groups = c->groups;
        p.act = VKA_ACT_RELU;
        vka_conv_epilogue e = {0};
        e.w_packed = packed;
        e.w_host = packed ? NULL : hw; /* as a graph gives its constant weights */
        vka_cmd_enable_timestamps(cmd, 1);
        if (!vka_cmd_begin(cmd) && !vka_conv2d_ex(cmd, x, packed ? wp : w, b, &p, &e, y) && !vka_cmd_end(cmd))
            ms = cli_time_samples(cmd, runs);
        const char *label = NULL;
        if (ms && vka_cmd_timing(cmd, 0, &label, NULL) == VKA_OK && label)
            snprintf(kernel, nk, "%s%s", label, vka_cmd_dispatch_count(cmd) > 1 ? " +passes" : "");
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(y), vka_tensor_destroy(w), vka_tensor_destroy(b), vka_tensor_destroy(wp);
    free(hx), free(hw), free(hp), free(hb);
    return ms;
}

int cli_bench_conv(vka_context *ctx, int argc, char **argv)
{
    if (!ctx) {
        printf("usage: vkattn bench conv [--runs N] [--rounds R] [--shapes rtdetr,hgnet] [--variant V1:V2:...]\n"
               "                         [--layout auto|oihw|packed] [--filter TEXT] [--no-peak]\n"
               "                         [--format text|json|csv|md] [--out FILE]\n"
               "  Times y = relu(conv(x, w) + bias) (batch 1, f32, pad k/2) on RT-DETRv2 r18vd (640\n"
               "  input) and HGNetv2 (DEIMv2) layer shapes with GPU timestamps (median of N runs\n"
               "  after a warm-up, and the best): ms, GFLOP/s (2·O·OH·OW·C/groups·KH·KW) and the\n"
               "  shares of the device's measured fp32 FMA peak of the median and the best run,\n"
               "  with the kernel that ran.\n"
               "  --variant  tex|shared|dw|gemm|direct|few (VKATTN_CONV_VARIANT; \"-\": the plan's rule,\n"
               "             with the weight layout and host copy a graph build gives),\n"
               "             several separated by ':' are timed interleaved per shape\n"
               "  --layout   weights as given (oihw) or packed by vka_conv_pack_weights, as a built\n"
               "             graph packs them; auto (default): packed where the variant takes them\n"
               "  --filter   only the layers whose name contains this text\n"
               "  --rounds   repeat the whole list R times\n");
        return 0;
    }
    int runs = atoi(cli_opt(argc, argv, "--runs", "5")), rounds = atoi(cli_opt(argc, argv, "--rounds", "1"));
    runs = runs < 1 ? 1 : runs, rounds = rounds < 1 ? 1 : rounds;
    char sets[128], vars[128];
    snprintf(sets, sizeof sets, "%s", cli_opt(argc, argv, "--shapes", "rtdetr,hgnet"));
    snprintf(vars, sizeof vars, "%s", cli_opt(argc, argv, "--variant", "-"));
    const char *layout = cli_opt(argc, argv, "--layout", "auto");
    const char *filter = cli_opt(argc, argv, "--filter", "");
    if (strcmp(layout, "auto") && strcmp(layout, "oihw") && strcmp(layout, "packed")) {
        fprintf(stderr, "vkattn: bench conv: --layout wants auto, oihw or packed\n");
        return 2;
    }
    const char *vv[8];
    int nv = 0;
    char *save = NULL;
    for (char *v = strtok_r(vars, ":", &save); v && nv < 8; v = strtok_r(NULL, ":", &save)) {
        if (strcmp(v, "-") && strcmp(v, "tex") && strcmp(v, "shared") && strcmp(v, "dw") && strcmp(v, "gemm") &&
            strcmp(v, "direct") && strcmp(v, "few")) {
            fprintf(stderr, "vkattn: bench conv: unknown variant \"%s\" (tex, shared, dw, gemm, direct, few, -)\n", v);
            return 2;
        }
        vv[nv++] = v;
    }
    if (!nv)
        vv[nv++] = "-";
    for (char *s = strtok_r(sets, ",", &save); s; s = strtok_r(NULL, ",", &save))
        if (strcmp(s, "rtdetr") && strcmp(s, "hgnet")) {
            fprintf(stderr, "vkattn: bench conv: unknown shape set \"%s\" (rtdetr, hgnet)\n", s);
            return 2;
        }
    snprintf(sets, sizeof sets, ",%s,", cli_opt(argc, argv, "--shapes", "rtdetr,hgnet"));

    cli_print_bench_header(ctx, "conv");
    double peak = cli_flag(argc, argv, "--no-peak") < 0 ? cli_measure_peak(ctx) : 0;
    fprintf(cli_txt, "# f32, batch 1, median of %d runs, GPU timestamps, bias + ReLU fused%s\n", runs,
            rounds > 1 || nv > 1 ? ", interleaved" : "");
    fprintf(cli_txt, "%-16s %-22s %-8s %-6s %9s %9s %8s %8s %8s  %s\n", "layer", "C>O @HxW k s g", "variant", "w",
            "ms", "best ms", "GFLOP/s", "% peak", "best %", "kernel");
    const char *old = getenv("VKATTN_CONV_VARIANT");
    char *saved = old ? strdup(old) : NULL;
    int rc = 0;
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < NSHAPES; i++) {
            const conv_shape *c = &SHAPES[i];
            char key[32];
            snprintf(key, sizeof key, ",%s,", c->set);
            if (!strstr(sets, key) || (filter[0] && !strstr(c->what, filter)))
                continue;
            for (int v = 0; v < nv; v++) {
                if (strcmp(vv[v], "-"))
                    setenv("VKATTN_CONV_VARIANT", vv[v], 1);
                else if (saved)
                    setenv("VKATTN_CONV_VARIANT", saved, 1);
                else
                    unsetenv("VKATTN_CONV_VARIANT");
                /* packed weights feed the implicit-GEMM kernels; depthwise, GEMM, direct
                 * and few take OIHW; the plan's rule: the layout a graph build gives */
                const char *fv = getenv("VKATTN_CONV_VARIANT");
                int dw = c->groups == c->c && c->groups == c->o;
                int packed = !strcmp(layout, "packed") ||
                             (!strcmp(layout, "auto") && !(fv && (!strcmp(fv, "dw") || !strcmp(fv, "gemm") ||
                                                                  !strcmp(fv, "direct") || !strcmp(fv, "few"))) && !dw);
                if (!strcmp(layout, "auto") && !fv)
                    packed = plan_packed(ctx, c) == 1;
                char kernel[96], shape[48], share[32], bshare[32], name[96], var[32];
                double *t = bench_one(ctx, c, packed, runs, kernel, sizeof kernel);
                int64_t pad = c->k / 2, oh = (c->h + 2 * pad - c->k) / c->s + 1;
                double flop = 2.0 * c->o * oh * oh * (c->c / c->groups) * c->k * c->k;
                snprintf(shape, sizeof shape, "%lld>%lld @%lld k%lld s%lld g%lld", (long long)c->c, (long long)c->o,
                         (long long)c->h, (long long)c->k, (long long)c->s, (long long)c->groups);
                snprintf(name, sizeof name, "%s %s", c->what, shape);
                snprintf(var, sizeof var, "%s %s", vv[v], packed ? "packed" : "oihw");
                if (!t) {
                    fprintf(cli_txt, "%-16s %-22s %-8s %-6s %9s  %s\n", c->what, shape, vv[v],
                            packed ? "packed" : "oihw", "failed", vka_context_last_error(ctx));
                    cli_report_error(cli_bench_report, "conv", name, var, vka_context_last_error(ctx));
                    rc = 1;
                    continue;
                }
                cli_stat st;
                cli_stats(t, runs, &st);
                cJSON *res = cli_report_result(cli_bench_report, "conv", name, var, flop, t, runs);
                if (res) {
                    cJSON_AddStringToObject(res, "kernel", kernel);
                    cJSON_AddNumberToObject(res, "round", r);
                }
                free(t);
                double gf = flop / (st.median * 1e6), gb = flop / (st.min * 1e6);
                fprintf(cli_txt, "%-16s %-22s %-8s %-6s %9.3f %9.3f %8.2f %8s %8s  %s\n", c->what, shape, vv[v],
                        packed ? "packed" : "oihw", st.median, st.min, gf, cli_peak_share(share, sizeof share, gf, peak),
                        cli_peak_share(bshare, sizeof bshare, gb, peak), kernel);
                fflush(cli_txt);
            }
        }
    if (saved)
        setenv("VKATTN_CONV_VARIANT", saved, 1);
    else
        unsetenv("VKATTN_CONV_VARIANT");
    free(saved);
    return rc;
}
