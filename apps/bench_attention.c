/* SPDX-License-Identifier: MIT */
/* bench_attention.c — `vkattn bench attention`: fused flash attention against
 * the naive GEMM → softmax → GEMM path on model shapes and long sequences:
 * median GPU time, GFLOP/s (4·N²·D·H per batch) and the device memory each
 * path allocates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"

typedef struct shape {
    const char *name;
    int64_t B, H, N, D;
} shape;

static const shape shapes[] = {
    {"ViT-B/16", 1, 12, 197, 64},
    {"ViT-B/16@384", 1, 12, 577, 64},
    {"DeiT-Tiny", 1, 3, 197, 64},
    {"RT-DETR AIFI", 1, 8, 400, 32},
    {"DEIMv2 atto dec", 1, 8, 100, 8},
    {"DEIMv2 femto dec", 1, 8, 150, 12},
    {"N=1024 D=64", 1, 8, 1024, 64},
    {"N=1024 D=128", 1, 8, 1024, 128},
    {"N=4096 D=64", 1, 8, 4096, 64},
    {"N=4096 D=128", 1, 8, 4096, 128},
    {"N=16384 D=64", 1, 8, 16384, 64},
    {"N=16384 D=128", 1, 8, 16384, 128},
};

static void fill(vka_tensor *t)
{
    size_t n = (size_t)vka_tensor_numel(t), bytes = vka_tensor_bytes(t);
    unsigned char *buf = malloc(bytes ? bytes : 1);
    uint32_t s = 2463534242u;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        float v = (float)((s >> 8) / 16777216.0 - 0.5);
        if (vka_tensor_dtype(t) == VKA_F32)
            memcpy(buf + 4 * i, &v, 4);
        else { /* f16 in [-0.5, 0.5): sign, exponent 2^-1 .. 2^-2 range, random mantissa */
            uint16_t h = (uint16_t)(0x3400 | ((s >> 8) & 0x3ff)) ^ (uint16_t)((s & 1) << 15);
            memcpy(buf + 2 * i, &h, 2);
        }
    }
    vka_tensor_upload(t, buf, bytes);
    free(buf);
}

/* Times one path; returns the samples (ms, run order; caller frees), NULL on
 * failure with the reason in why. */
static double *time_path(vka_context *ctx, int naive, vka_tensor *q, vka_tensor *k, vka_tensor *v, vka_tensor *o,
                        vka_tensor *scores, const vka_attn_desc *d, int runs, char *why, size_t nwhy)
{
    vka_cmd *cmd = vka_cmd_create(ctx);
    double *t = NULL;
    if (!cmd) {
        snprintf(why, nwhy, "%s", vka_last_error());
        return NULL;
    }
    vka_cmd_enable_timestamps(cmd, 1);
    vka_status s = vka_cmd_begin(cmd);
    if (!s)
        s = naive ? vka_attention_naive(cmd, d, q, k, v, scores, o) : vka_attention(cmd, d, q, k, v, o);
    if (!s)
        s = vka_cmd_end(cmd);
    if (!s)
        t = cli_time_samples(cmd, runs);
    if (!t)
        snprintf(why, nwhy, "%s", vka_context_last_error(ctx));
    vka_cmd_destroy(cmd);
    return t;
}

/* Prints and reports one path; returns its median ms (-1: failed). */
static double row(const shape *sh, const char *path, double *t, int runs, double gflop, double mib, const char *why,
                  const char *dts)
{
    double ms = -1;
    if (t) {
        cli_stat st;
        cli_stats(t, runs, &st);
        ms = st.median;
        fprintf(cli_txt, "%-17s %-6s %10.3f %9.1f %10.1f\n", sh->name, path, ms, gflop / (ms * 1e-3), mib);
        cJSON *res = cli_report_result(cli_bench_report, "attention", sh->name, path, gflop * 1e9, t, runs);
        if (res) {
            cJSON_AddStringToObject(res, "dtype", dts);
            cJSON_AddNumberToObject(res, "heads", (double)sh->H);
            cJSON_AddNumberToObject(res, "seq", (double)sh->N);
            cJSON_AddNumberToObject(res, "head_dim", (double)sh->D);
            cJSON_AddNumberToObject(res, "memory_mib", mib);
        }
    } else {
        fprintf(cli_txt, "%-17s %-6s %10s %9s %10.1f  %s\n", sh->name, path, "-", "-", mib, why);
        cli_report_error(cli_bench_report, "attention", sh->name, path, why);
    }
    free(t);
    return ms;
}

int cli_bench_attention(vka_context *ctx, int argc, char **argv)
{
    if (!ctx) {
        printf("usage: vkattn bench attention [--runs N] [--dtype f32|f16] [--quick]\n"
               "  Times fused flash attention (vka_attention) against the naive path\n"
               "  (vka_attention_naive: GEMM, softmax, GEMM through an [B,H,N,N] score tensor)\n"
               "  on ViT-B/16 (H=12 N=197 D=64), ViT-B/16@384 (N=577), DeiT-Tiny (H=3 N=197),\n"
               "  RT-DETR AIFI (H=8 N=400 D=32), the DEIMv2 decoders' self-attention (atto: H=8\n"
               "  N=100 D=8; femto: H=8 N=150 D=12) and N = 1024, 4096, 16384 with H=8, D=64, 128.\n"
               "  Reports the median GPU time of N runs (default 5; 1 for N >= 16384) after a\n"
               "  warm-up, GFLOP/s (4·N²·D·H) and the device memory of the tensors each path\n"
               "  allocates. The naive path's score tensor goes over maxStorageBufferRange\n"
               "  long before flash; such rows say so.\n"
               "  --quick   skip N >= 4096\n"
               "  --format text|json|csv|md  the report (vkattn bench --help); --out FILE writes it to FILE\n"
               "  VKATTN_ATTN_VARIANT=row|tiled|split forces a flash variant.\n");
        return 0;
    }
    int runs = (int)cli_int(argc, argv, "--runs", 5);
    const char *dts = cli_opt(argc, argv, "--dtype", "f32");
    vka_dtype dt = strcmp(dts, "f16") == 0 ? VKA_F16 : VKA_F32;
    int quick = cli_flag(argc, argv, "--quick") > 0;
    const char *var = getenv("VKATTN_ATTN_VARIANT");

    cli_report_setting(cli_bench_report, "attention_dtype", dts);
    cli_report_setting(cli_bench_report, "attention_variant", var ? var : "auto");
    cli_print_bench_header(ctx, "attention");
    fprintf(cli_txt, "# dtype %s, median of %d runs (1 for N >= 16384), GPU timestamps, flash variant %s\n", dts, runs,
           var ? var : "auto");
    fprintf(cli_txt, "# memory: bytes of the tensors each path allocates (q, k, v, o [+ scores])\n");
    fprintf(cli_txt, "%-17s %-6s %10s %9s %10s\n", "shape", "path", "ms", "GFLOP/s", "MiB");
    int rc = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const shape *sh = &shapes[i];
        if (quick && sh->N >= 4096)
            continue;
        int r = sh->N >= 16384 ? 1 : runs;
        int64_t s4[4] = {sh->B, sh->H, sh->N, sh->D}, ss[4] = {sh->B, sh->H, sh->N, sh->N};
        vka_tensor *q = vka_tensor_create(ctx, dt, 4, s4), *k = vka_tensor_create(ctx, dt, 4, s4),
                   *v = vka_tensor_create(ctx, dt, 4, s4), *o = vka_tensor_create(ctx, dt, 4, s4);
        char why[512] = "";
        if (!q || !k || !v || !o) {
            fprintf(cli_txt, "%-17s %s\n", sh->name, vka_context_last_error(ctx));
            cli_report_error(cli_bench_report, "attention", sh->name, "flash", vka_context_last_error(ctx));
            rc = 1;
            goto next;
        }
        fill(q), fill(k), fill(v);
        vka_attn_desc d = vka_attn_default_desc();
        d.batch = sh->B, d.heads = sh->H, d.nq = d.nk = sh->N, d.head_dim = sh->D;
        double gflop = 4.0 * sh->B * sh->H * (double)sh->N * sh->N * sh->D * 1e-9;
        double qkvo = 4.0 * vka_tensor_bytes(q) / 1048576.0;

        double fms = row(sh, "flash", time_path(ctx, 0, q, k, v, o, NULL, &d, r, why, sizeof why), r, gflop, qkvo, why,
                         dts);
        if (fms < 0)
            rc = 1;

        /* the naive path's scores in the q dtype: its GEMMs take one dtype */
        vka_tensor *scores = vka_tensor_create(ctx, dt, 4, ss);
        double smib = (double)sh->B * sh->H * sh->N * sh->N * (dt == VKA_F16 ? 2 : 4) / 1048576.0;
        if (!scores) {
            const char *e = vka_context_last_error(ctx);
            row(sh, "naive", NULL, r, gflop, qkvo + smib,
                strstr(e, "maxStorageBufferRange") ? "over maxStorageBufferRange" : e, dts);
        } else {
            double nms = row(sh, "naive", time_path(ctx, 1, q, k, v, o, scores, &d, r, why, sizeof why), r, gflop,
                             qkvo + smib, why, dts);
            if (nms > 0 && fms > 0)
                fprintf(cli_txt, "%-17s flash/naive speed-up %.2fx\n", sh->name, nms / fms);
        }
        vka_tensor_destroy(scores);
    next:
        vka_tensor_destroy(q), vka_tensor_destroy(k), vka_tensor_destroy(v), vka_tensor_destroy(o);
        fflush(cli_txt);
    }
    return rc;
}
