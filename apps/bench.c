/* SPDX-License-Identifier: MIT */
/* bench.c — `vkattn bench`: shared timing helpers and the GEMM benchmark. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double *cli_time_samples(vka_cmd *cmd, int runs)
{
    if (vka_cmd_submit(cmd)) /* warm-up: pipelines and caches */
        return NULL;
    double *t = malloc(sizeof *t * (size_t)runs);
    for (int r = 0; t && r < runs; r++) {
        if (vka_cmd_submit(cmd)) {
            free(t);
            return NULL;
        }
        double sum = 0;
        for (int i = 0; i < vka_cmd_dispatch_count(cmd); i++) {
            double ms;
            vka_cmd_timing(cmd, i, NULL, &ms);
            sum += ms;
        }
        t[r] = sum;
    }
    return t;
}

double cli_time_cmd(vka_cmd *cmd, int runs)
{
    double *t = cli_time_samples(cmd, runs);
    if (!t)
        return -1;
    cli_stat st;
    cli_stats(t, runs, &st);
    free(t);
    return st.median;
}

void cli_print_bench_header(vka_context *ctx, const char *what)
{
    const vka_device_info *d = vka_context_device(ctx);
    char date[32];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
    char id[64], ver[64];
    fprintf(cli_txt, "# vkattn bench %s, vkattn %d.%d.%d (%s)\n# device: %s (%s, %s %s), date: %s\n", what,
            VKA_VERSION_MAJOR, VKA_VERSION_MINOR, VKA_VERSION_PATCH, cli_git_commit(), d->name,
            vka_device_type_str(d->type), d->driver_name, d->driver_info, date);
    fprintf(cli_txt, "# vendor 0x%04x device 0x%04x, %s, driver version %s, conformance %u.%u.%u.%u\n", d->vendor_id,
            d->device_id, cli_driver_id_str(d->driver_id, id, sizeof id), cli_driver_version_str(d, ver, sizeof ver),
            d->conformance_version[0], d->conformance_version[1], d->conformance_version[2],
            d->conformance_version[3]);
    /* other work on the machine skews CPU-driver timings: say how busy it was */
    FILE *f = fopen("/proc/loadavg", "r");
    double l1, l5;
    if (f && fscanf(f, "%lf %lf", &l1, &l5) == 2)
        fprintf(cli_txt, "# load average %.2f (1 min), %.2f (5 min) on %ld CPUs\n", l1, l5,
                sysconf(_SC_NPROCESSORS_ONLN));
    if (f)
        fclose(f);
    /* which kernels f16 work runs on: the matrix units, or the fp32-math fallbacks */
    int cm = 0;
    const char *why = "";
    vka_context_coopmat(ctx, &cm, &why);
    fprintf(cli_txt, "# %s; f16 GEMMs: %s; f16 flash attention (D %% 16 == 0): %s\n", why,
           cm ? "gemm_coopmat (tensor cores, fp32 accumulation)" : "the regtile/shared kernels (no cooperative matrix)",
           cm ? "flash_attn_coopmat (Q·Kᵀ and P·V on tensor cores)" : "the fp32-math kernels");
}

static void fill_random(vka_tensor *t)
{
    size_t n = (size_t)vka_tensor_numel(t), es = vka_tensor_bytes(t) / (n ? n : 1);
    uint8_t *buf = malloc(vka_tensor_bytes(t) + 1);
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u;
        float v = ((s >> 8) / 16777216.0f) - 0.5f;
        if (es == 4)
            memcpy(buf + 4 * i, &v, 4);
        else { /* f16: exponent-safe values in [-0.5, 0.5) */
            uint16_t h = (uint16_t)(0x3800 | ((s >> 8) & 0x3ff)) ^ (uint16_t)((s & 1) << 15);
            memcpy(buf + 2 * i, &h, 2);
        }
    }
    vka_tensor_upload(t, buf, vka_tensor_bytes(t));
    free(buf);
}

double cli_measure_peak(vka_context *ctx)
{
    /* best of up to 3 measurements of 5 dispatches of >= 200 ms, once per report */
    return cli_report_peak(cli_bench_report, ctx, 5, 200, 3);
}

const char *cli_peak_share(char *buf, size_t n, double gflops, double peak)
{
    if (peak <= 0)
        snprintf(buf, n, "-");
    else if (gflops > peak) /* a timing or the peak was disturbed: not a fact */
        snprintf(buf, n, "%.0f%%?!", 100.0 * gflops / peak);
    else
        snprintf(buf, n, "%.1f%%", 100.0 * gflops / peak);
    return buf;
}

/* GPU times of `runs` runs of C = A·B (ms, run order; caller frees), NULL on
 * failure with the reason in why. */
static double *bench_one_gemm(vka_context *ctx, vka_dtype dt, int64_t m, int64_t n, int64_t k, int runs,
                              const char **kernel, char *why, size_t nwhy)
{
    int64_t sa[2] = {m, k}, sb[2] = {k, n}, sc[2] = {m, n};
    vka_tensor *a = vka_tensor_create(ctx, dt, 2, sa), *b = vka_tensor_create(ctx, dt, 2, sb),
               *c = vka_tensor_create(ctx, dt, 2, sc);
    vka_cmd *cmd = vka_cmd_create(ctx);
    double *t = NULL;
    static char name[64];
    name[0] = 0;
    if (a && b && c && cmd) {
        fill_random(a);
        fill_random(b);
        vka_gemm_desc g = vka_gemm_default_desc();
        vka_cmd_enable_timestamps(cmd, 1);
        if (!vka_cmd_begin(cmd) && !vka_gemm(cmd, &g, a, b, c) && !vka_cmd_end(cmd))
            t = cli_time_samples(cmd, runs);
        const char *label = NULL;
        if (t && vka_cmd_timing(cmd, 0, &label, NULL) == VKA_OK && label)
            snprintf(name, sizeof name, "%s", label);
    }
    if (!t) {
        snprintf(why, nwhy, "%s", vka_context_last_error(ctx));
        fprintf(stderr, "vkattn: gemm %lldx%lldx%lld: %s\n", (long long)m, (long long)n, (long long)k, why);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(a);
    vka_tensor_destroy(b);
    vka_tensor_destroy(c);
    *kernel = name;
    return t;
}

/* Named shape sets of `bench gemm` (M x N x K). */
typedef struct gemm_shape {
    int64_t m, n, k;
    const char *what;
} gemm_shape;
static const gemm_shape VIT_SHAPES[] = {
    {197, 2304, 768, "ViT-B qkv"}, {197, 768, 768, "ViT-B proj"},
    {197, 3072, 768, "ViT-B fc1"}, {197, 768, 3072, "ViT-B fc2"},
};
static const gemm_shape DEIT_SHAPES[] = {
    {197, 576, 192, "DeiT-Ti qkv"}, {197, 192, 192, "DeiT-Ti proj"},
    {197, 768, 192, "DeiT-Ti fc1"}, {197, 192, 768, "DeiT-Ti fc2"},
};
static const gemm_shape ODD_SHAPES[] = {
    {400, 1, 33, "DEIMv2 integral"},   {300, 4, 256, "box head out"}, {300, 91, 256, "91 classes"},
    {150, 150, 12, "D=12 scores"},     {1, 1000, 192, "DeiT-Ti head"}, {257, 129, 33, "all odd"},
};

#define GEMM_MAX_SHAPES 64
static int add_set(gemm_shape *sh, int ns, const gemm_shape *set, int n)
{
    for (int i = 0; i < n && ns < GEMM_MAX_SHAPES; i++)
        sh[ns++] = set[i];
    return ns;
}

/* --vary VAR=V1:V2:...: each shape is timed once per value of the environment
 * variable (interleaved, "-" unsets it), e.g. to compare kernel variants. */
#define GEMM_MAX_VARY 8

int cli_bench_gemm(vka_context *ctx, int argc, char **argv)
{
    if (!ctx) {
        printf("usage: vkattn bench gemm [--runs N] [--rounds R] [--dtype f32|f16] [--shapes LIST]\n"
               "                         [--sizes S1,S2,...] [--vary VAR=V1:V2:...] [--no-peak]\n"
               "  Times C[M,N] = A[M,K]·B[K,N] with GPU timestamps (median and best of N runs after a\n"
               "  warm-up) and reports GFLOP/s (2·M·N·K, of the median) and the shares of the device's\n"
               "  measured fp32 FMA peak of the median and of the best run\n"
               "  (best of 5 dispatches of >= 200 ms; a share over 100%% is flagged \"?!\").\n"
               "  --shapes  comma-separated sets and MxNxK shapes (default square,vit,deit,odd):\n"
               "            square  S x S x S for --sizes (default 256,512,1024,2048)\n"
               "            vit     ViT-B/16: 197x2304x768 qkv, 197x768x768 proj, 197x3072x768 fc1,\n"
               "                    197x768x3072 fc2\n"
               "            deit    DeiT-Tiny: 197x576x192 qkv, 197x192x192 proj, 197x768x192 fc1,\n"
               "                    197x192x768 fc2\n"
               "            odd     N, K or M not multiples of 4: 400x1x33 (DEIMv2 integral),\n"
               "                    300x4x256, 300x91x256, 150x150x12, 1x1000x192, 257x129x33\n"
               "  --vary    time every shape once per value of an environment variable, interleaved\n"
               "            (\"-\" unsets it), e.g. --vary VKATTN_GEMM_VARIANT=regtile:shared\n"
               "  --rounds  repeat the whole list R times (interleaved A/B comparisons)\n"
               "  --format text|json|csv|md  the report (vkattn bench --help); --out FILE writes it to FILE\n");
        return 0;
    }
    int runs = (int)cli_int(argc, argv, "--runs", 10);
    int rounds = (int)cli_int(argc, argv, "--rounds", 1);
    const char *dts = cli_opt(argc, argv, "--dtype", "f32");
    vka_dtype dt = strcmp(dts, "f16") == 0 ? VKA_F16 : VKA_F32;
    cli_report_setting(cli_bench_report, "gemm_dtype", dts);
    char sizes[256], list[512], vary[512];
    snprintf(sizes, sizeof sizes, "%s", cli_opt(argc, argv, "--sizes", "256,512,1024,2048"));
    /* --sizes alone: just those squares, as before the shape sets */
    const char *defl = cli_flag(argc, argv, "--sizes") > 0 ? "square" : "square,vit,deit,odd";
    snprintf(list, sizeof list, "%s", cli_opt(argc, argv, "--shapes", defl));
    snprintf(vary, sizeof vary, "%s", cli_opt(argc, argv, "--vary", ""));

    gemm_shape shapes[GEMM_MAX_SHAPES];
    int ns = 0;
    char *save = NULL;
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        long long m, n, k;
        char junk;
        if (!strcmp(tok, "square")) {
            char *s2 = NULL;
            for (char *sz = strtok_r(sizes, ",", &s2); sz && ns < GEMM_MAX_SHAPES; sz = strtok_r(NULL, ",", &s2)) {
                char *end;
                long long v = strtoll(sz, &end, 10);
                if (end == sz || *end || v < 1 || v > 65536) {
                    fprintf(stderr, "vkattn: bench gemm: --sizes \"%s\" is not a size 1..65536\n", sz);
                    return 2;
                }
                shapes[ns++] = (gemm_shape){v, v, v, ""};
            }
        } else if (!strcmp(tok, "vit")) {
            ns = add_set(shapes, ns, VIT_SHAPES, 4);
        } else if (!strcmp(tok, "deit")) {
            ns = add_set(shapes, ns, DEIT_SHAPES, 4);
        } else if (!strcmp(tok, "odd")) {
            ns = add_set(shapes, ns, ODD_SHAPES, 6);
        } else if (sscanf(tok, "%lldx%lldx%lld%c", &m, &n, &k, &junk) == 3 && m > 0 && n > 0 && k > 0) {
            if (ns < GEMM_MAX_SHAPES)
                shapes[ns++] = (gemm_shape){m, n, k, ""};
        } else {
            fprintf(stderr, "vkattn: bench gemm: unknown shape \"%s\" (square, vit, deit, odd or MxNxK)\n", tok);
            return 2;
        }
    }
    const char *vvals[GEMM_MAX_VARY] = {NULL};
    char vname[128] = "";
    int nv = 1;
    if (vary[0]) {
        char *eq = strchr(vary, '=');
        if (!eq || eq == vary || (size_t)(eq - vary) >= sizeof vname) {
            fprintf(stderr, "vkattn: bench gemm: --vary wants VAR=V1:V2:...\n");
            return 2;
        }
        memcpy(vname, vary, (size_t)(eq - vary));
        vname[eq - vary] = 0;
        nv = 0;
        for (char *v = strtok_r(eq + 1, ":", &save); v && nv < GEMM_MAX_VARY; v = strtok_r(NULL, ":", &save))
            vvals[nv++] = v;
        if (!nv) {
            fprintf(stderr, "vkattn: bench gemm: --vary %s has no values\n", vname);
            return 2;
        }
    }

    cli_print_bench_header(ctx, "gemm");
    double peak = cli_flag(argc, argv, "--no-peak") < 0 ? cli_measure_peak(ctx) : 0;
    fprintf(cli_txt, "# dtype %s, median of %d runs, GPU timestamps%s\n", vka_dtype_str(dt), runs,
            rounds > 1 ? ", rounds interleaved" : "");
    fprintf(cli_txt, "%-14s %-16s %-14s %9s %9s %8s %8s %8s  %s\n", "M x N x K", "shape", vname[0] ? vname : "variant",
           "ms", "best ms", "GFLOP/s", "% peak", "best %", "kernel");
    int rc = 0;
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < ns; i++)
            for (int v = 0; v < nv; v++) {
                if (vname[0]) {
                    if (!strcmp(vvals[v], "-"))
                        unsetenv(vname);
                    else
                        setenv(vname, vvals[v], 1);
                }
                int64_t m = shapes[i].m, n = shapes[i].n, k = shapes[i].k;
                const char *kernel = "";
                char why[512] = "", label[64], share[32], bshare[32], var[160];
                double *t = bench_one_gemm(ctx, dt, m, n, k, runs, &kernel, why, sizeof why);
                snprintf(label, sizeof label, "%lldx%lldx%lld", (long long)m, (long long)n, (long long)k);
                snprintf(var, sizeof var, "%s%s%s", vname[0] ? vname : "", vname[0] ? "=" : "",
                         vname[0] ? vvals[v] : "default");
                char name[96];
                snprintf(name, sizeof name, "%s%s%s%s", label, shapes[i].what[0] ? " (" : "", shapes[i].what,
                         shapes[i].what[0] ? ")" : "");
                if (!t) {
                    fprintf(cli_txt, "%-14s %-16s %-14s %9s\n", label, shapes[i].what, vname[0] ? vvals[v] : var,
                            "failed");
                    cli_report_error(cli_bench_report, "gemm", name, var, why);
                    rc = 1;
                    continue;
                }
                cli_stat st;
                cli_stats(t, runs, &st);
                double ms = st.median, best = st.min;
                cJSON *res = cli_report_result(cli_bench_report, "gemm", name, var, 2.0 * m * n * k, t, runs);
                if (res) {
                    cJSON_AddStringToObject(res, "kernel", kernel);
                    cJSON_AddStringToObject(res, "dtype", dts);
                    cJSON_AddNumberToObject(res, "round", r);
                }
                free(t);
                double gf = 2.0 * m * n * k / (ms * 1e6), gb = 2.0 * m * n * k / (best * 1e6);
                fprintf(cli_txt, "%-14s %-16s %-14s %9.3f %9.3f %8.2f %8s %8s  %s\n", label, shapes[i].what,
                        vname[0] ? vvals[v] : "default", ms, best, gf,
                       cli_peak_share(share, sizeof share, gf, peak), cli_peak_share(bshare, sizeof bshare, gb, peak),
                       kernel);
                fflush(cli_txt);
            }
    if (vname[0])
        unsetenv(vname);
    return rc;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int cli_suite_running; /* bench suite: one header for all */
static int bench_model_file(vka_context *ctx, const char *path, int runs, int top, int fuse, int nopeak,
                            vka_precision precision);

/* `vkattn bench model`: end-to-end latency of an ONNX model (upload, replay,
 * download) and its GPU time, medians of N runs, and the slowest nodes. */
static int cli_bench_model(vka_context *ctx, int argc, char **argv)
{
    if (!ctx) {
        printf("usage: vkattn bench model MODEL.onnx [--runs N] [--no-fuse] [--top K] [--no-peak]\n"
               "                        [--precision f32|f16|auto]\n"
               "  Builds the model and runs it N times (after 2 warm-ups) on fixed random inputs: median\n"
               "  latency (host clock: upload + replay + download) as an application runs it, without\n"
               "  timestamps; then a second build with a GPU timestamp after every dispatch, run N times\n"
               "  more: its latency, its GPU time (sum of the dispatches' times) and the K slowest nodes\n"
               "  of the median-ish last run (--top 0: no second build). The plan's kernel nodes and\n"
               "  dispatches, the model's GFLOP counted from the plan (vka_graph_plan_flops) and its\n"
               "  share of the device's measured fp32 FMA peak: GFLOP / latency / peak.\n"
               "  --no-fuse   the plan without fusion passes or views (A/B against the fused one)\n"
               "  --precision storage of weights and activations (f32 default; f16: fp32 math, f16\n"
               "              storage; auto: f16 on GPUs with fp16, f32 on CPU drivers); the header\n"
               "              prints the precision built, the bytes of weights and activations, and\n"
               "              which GEMM kernels ran (cooperative matrix or not)\n"
               "  --no-peak   skip the peak measurement\n"
               "  --format text|json|csv|md  the report (vkattn bench --help); --out FILE writes it to FILE\n");
        return 0;
    }
    vka_precision precision;
    if (cli_precision(argc, argv, &precision))
        return 2;
    return bench_model_file(ctx, argv[1], (int)cli_int(argc, argv, "--runs", 20), (int)cli_int(argc, argv, "--top", 5),
                            cli_flag(argc, argv, "--no-fuse") < 0, cli_flag(argc, argv, "--no-peak") > 0, precision);
}

/* The model at path loaded and built (profile: per-dispatch timestamps),
 * the build's time into build_ms unless NULL; NULL after printing why. */
static vka_graph *bench_build(vka_context *ctx, const char *path, vka_precision precision, int fuse, int profile,
                              double *build_ms)
{
    vka_graph *g = vka_onnx_load(ctx, path, NULL);
    if (!g) {
        fprintf(stderr, "vkattn: %s\n", vka_last_error());
        return NULL;
    }
    vka_graph_build_params bp = vka_graph_default_build_params();
    bp.precision = precision;
    bp.fuse = fuse;
    bp.profile = profile;
    double t0 = now_ms();
    if (vka_graph_build(g, &bp)) {
        fprintf(stderr, "vkattn: %s\n", vka_context_last_error(ctx));
        vka_graph_destroy(g);
        return NULL;
    }
    if (build_ms)
        *build_ms = now_ms() - t0;
    return g;
}

/* Runs g `runs` times after 2 warm-ups: host-clock latency (set inputs, run,
 * get outputs) into lat, and with gpu the sum of its nodes' GPU times (a
 * graph built with profile = 1). Nonzero on failure. */
static int bench_runs(vka_graph *g, int runs, void **in, const size_t *inb, void **out, const size_t *outb,
                      double *lat, double *gpu)
{
    int ni = vka_graph_input_count(g), no = vka_graph_output_count(g), rc = 0;
    for (int r = -2; r < runs && !rc; r++) {
        double a = now_ms();
        for (int i = 0; i < ni && !rc; i++)
            rc = vka_graph_set_input(g, vka_graph_value_name(g, vka_graph_input_at(g, i)), in[i], inb[i]) != 0;
        rc = rc || vka_graph_run(g) != 0;
        for (int i = 0; i < no && !rc; i++)
            rc = vka_graph_get_output(g, vka_graph_value_name(g, vka_graph_output_at(g, i)), out[i], outb[i]) != 0;
        double b = now_ms();
        if (r < 0 || rc)
            continue;
        lat[r] = b - a;
        double sum = 0;
        for (int i = 0; gpu && i < vka_graph_plan_size(g); i++) {
            double ms;
            vka_graph_profile(g, i, NULL, NULL, &ms);
            sum += ms;
        }
        if (gpu)
            gpu[r] = sum;
    }
    return rc;
}

/* Latency is measured on a build without timestamps, as an application runs
 * the model: on lavapipe a timestamp after every dispatch took DEIMv2 atto
 * from 46 to 58 ms (docs/perf.md, 2026-12-03). A second build with
 * per-dispatch timestamps then gives the GPU time and the slowest nodes
 * (skipped with --top 0). */
static int bench_model_file(vka_context *ctx, const char *path, int runs, int top, int fuse, int nopeak,
                            vka_precision precision)
{
    double build_ms;
    vka_graph *g = bench_build(ctx, path, precision, fuse, 0, &build_ms), *gp = NULL;
    if (!g)
        return 1;
    /* inputs: uniform [0, 1) floats (an image's range), ones for integer inputs */
    int ni = vka_graph_input_count(g);
    void **in = calloc((size_t)ni, sizeof *in);
    size_t *inb = calloc((size_t)ni, sizeof *inb);
    uint32_t seed = 1;
    for (int i = 0; i < ni; i++) {
        vka_val v = vka_graph_input_at(g, i);
        int isint = vka_graph_is_int(g, v);
        inb[i] = cli_value_bytes(g, v);
        int64_t n = (int64_t)(inb[i] / (isint ? 8 : 4));
        in[i] = malloc(inb[i] ? inb[i] : 1);
        for (int64_t j = 0; j < n; j++) {
            seed = seed * 1664525u + 1013904223u;
            if (isint)
                ((int64_t *)in[i])[j] = 1;
            else
                ((float *)in[i])[j] = (seed >> 8) / 16777216.0f;
        }
    }
    int no = vka_graph_output_count(g);
    void **out = calloc((size_t)no, sizeof *out);
    size_t *outb = calloc((size_t)no, sizeof *outb);
    for (int i = 0; i < no; i++) {
        outb[i] = cli_value_bytes(g, vka_graph_output_at(g, i));
        out[i] = malloc(outb[i] ? outb[i] : 1);
    }
    double *lat = malloc(sizeof *lat * (size_t)runs), *plat = malloc(sizeof *plat * (size_t)runs);
    double *gpu = malloc(sizeof *gpu * (size_t)runs);
    int rc = bench_runs(g, runs, in, inb, out, outb, lat, NULL);
    if (rc)
        fprintf(stderr, "vkattn: %s\n", vka_context_last_error(ctx));
    /* what the report says of the plan; then the same model with timestamps */
    int nplan = vka_graph_plan_size(g), ndisp = vka_graph_dispatch_count(g);
    uint64_t noreuse, act = vka_graph_activation_bytes(g, &noreuse);
    double flops = 0, peak = 0;
    for (int i = 0; i < nplan; i++)
        flops += vka_graph_plan_flops(g, i);
    if (!rc && !cli_suite_running)
        cli_print_bench_header(ctx, "model");
    if (!rc) {
        fprintf(cli_txt, "# model %s, %s, %d kernel nodes, %d dispatches, %.3f GFLOP, build %.0f ms, activations "
                "%.2f MiB (%.2f MiB without reuse)\n", path, fuse ? "fused" : "unfused", nplan, ndisp, flops / 1e9,
                build_ms, act / 1048576.0, noreuse / 1048576.0);
        fprintf(cli_txt, "# ");
        cli_print_bytes(g);
    }
    vka_graph_destroy(g);
    if (!rc && top > 0) {
        if (!(gp = bench_build(ctx, path, precision, fuse, 1, NULL)))
            rc = 1;
        else if ((rc = bench_runs(gp, runs, in, inb, out, outb, plat, gpu)))
            fprintf(stderr, "vkattn: %s\n", vka_context_last_error(ctx));
    }
    if (!rc) {
        int stem;
        const char *base = cli_stem(path, &stem);
        char name[256];
        snprintf(name, sizeof name, "%.*s", stem, base);
        cJSON *res = cli_report_result(cli_bench_report, "model", name, fuse ? "fused" : "unfused", flops, lat, runs);
        if (res) {
            cJSON_AddStringToObject(res, "timing", "end to end (upload, replay, download), host clock, no timestamps");
            if (gp) {
                cli_stat gs, ps;
                cli_stats(gpu, runs, &gs);
                cli_stats(plat, runs, &ps);
                cJSON_AddItemToObject(res, "gpu_samples_ms", cJSON_CreateDoubleArray(gpu, runs));
                cJSON_AddNumberToObject(res, "gpu_median_ms", gs.median);
                cJSON_AddItemToObject(res, "profiled_samples_ms", cJSON_CreateDoubleArray(plat, runs));
                cJSON_AddNumberToObject(res, "profiled_median_ms", ps.median);
            }
            cJSON_AddNumberToObject(res, "kernel_nodes", nplan);
            cJSON_AddNumberToObject(res, "dispatches", ndisp);
            cJSON_AddNumberToObject(res, "build_ms", build_ms);
            cJSON_AddNumberToObject(res, "activation_bytes", (double)act);
        }
        double ms = median(lat, runs), gms = gp ? median(gpu, runs) : 0;
        if (gp)
            fprintf(cli_txt, "latency (median of %d): %.2f ms end to end; with a timestamp per dispatch: %.2f ms end "
                    "to end, %.2f ms GPU\n", runs, ms, median(plat, runs), gms);
        else
            fprintf(cli_txt, "latency (median of %d): %.2f ms end to end\n", runs, ms);
        if (!nopeak && (peak = cli_measure_peak(ctx)) > 0) {
            fprintf(cli_txt, "model at %.2f GFLOP/s end to end = %.1f%% of the peak", flops / (ms * 1e6),
                    100.0 * flops / (ms * 1e6) / peak);
            if (gp)
                fprintf(cli_txt, " (%.1f%% by GPU time)", 100.0 * flops / (gms * 1e6) / peak);
            fprintf(cli_txt, "\n");
        }
        if (gp)
            cli_print_profile(gp, top);
    }
    for (int i = 0; i < ni; i++)
        free(in[i]);
    for (int i = 0; i < no; i++)
        free(out[i]);
    free(in), free(inb), free(out), free(outb), free(lat), free(plat), free(gpu);
    vka_graph_destroy(gp);
    return rc;
}

/* The benchmarks: one entry each (a new one is one line here). Options are
 * checked against defs before a context is made; ctx is NULL for --help. */
typedef struct bench_entry {
    const char *name;
    int (*fn)(vka_context *ctx, int argc, char **argv);
    /* a benchmark that needs no device (compare): run instead of fn, no report */
    int (*no_device)(int argc, char **argv);
    const cli_optdef *defs;
    int ndefs;
    const char *summary;
} bench_entry;

/* `vkattn bench peak`: the fp32 FMA peak alone, measured as the shares of
 * peak in every other benchmark are. */
static int cli_bench_peak(vka_context *ctx, int argc, char **argv)
{
    if (!ctx) {
        printf("usage: vkattn bench peak [--reps N] [--ms MS] [--tries T] [--format text|json|csv|md] [--out FILE]\n"
               "  Measures the device's fp32 FMA throughput (vka_measure_fp32_peak_ex): a shader of\n"
               "  48 independent FMAs per iteration, N dispatches (default 5) of at least MS ms of GPU\n"
               "  time each (default 200), up to T measurements (default 3) until one has its\n"
               "  repetitions within 10%% of each other; the best is the peak. Every other benchmark\n"
               "  measures it the same way for its \"%% of peak\" (a share over 100%% is flagged).\n");
        return 0;
    }
    cli_print_bench_header(ctx, "peak");
    double peak = cli_report_peak(cli_bench_report, ctx, (int)cli_int(argc, argv, "--reps", 5),
                                  cli_num(argc, argv, "--ms", 200), (int)cli_int(argc, argv, "--tries", 3));
    return peak > 0 ? 0 : 1;
}

static const bench_entry *find_bench(const char *name);

/* `vkattn bench suite`: the standard set into one report. */
static int cli_bench_suite(vka_context *ctx, int argc, char **argv)
{
    if (!ctx) {
        printf("usage: vkattn bench suite [--runs N] [--models DIR] [--no-models] [--format text|json|csv|md]\n"
               "                          [--out FILE]\n"
               "  One report with the standard set: the fp32 peak, bench gemm (square, vit, deit, odd),\n"
               "  bench attention --quick, bench conv when this build has it, and bench model on every\n"
               "  .onnx in DIR (default $VKATTN_ASSETS/models). --runs applies to each (default: theirs).\n"
               "  Compare reports from several devices with vkattn bench compare.\n");
        return 0;
    }
    cli_suite_running = 1;
    cli_print_bench_header(ctx, "suite");
    int rc = 0;
    const char *runs = cli_opt(argc, argv, "--runs", NULL);
    static const char *const parts[] = {"gemm", "attention", "conv"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const bench_entry *b = find_bench(parts[i]);
        if (!b)
            continue;
        char *av[6] = {(char *)parts[i]};
        int ac = 1;
        if (runs)
            av[ac++] = "--runs", av[ac++] = (char *)runs;
        if (!strcmp(parts[i], "attention"))
            av[ac++] = "--quick";
        av[ac] = NULL;
        fprintf(cli_txt, "\n# --- bench %s\n", parts[i]);
        rc |= b->fn(ctx, ac, av);
    }
    if (cli_flag(argc, argv, "--no-models") < 0) {
        char dir[4096];
        const char *assets = getenv("VKATTN_ASSETS");
        snprintf(dir, sizeof dir, "%s", cli_opt(argc, argv, "--models", ""));
        if (!dir[0])
            snprintf(dir, sizeof dir, "%s/models", assets && *assets ? assets : "../shared/assets");
        int n = 0;
        char **files = cli_list_files(dir, ".onnx", &n);
        if (!n)
            fprintf(cli_txt, "# no .onnx models in %s\n", dir);
        for (int i = 0; i < n; i++) {
            fprintf(cli_txt, "\n# --- bench model %s\n", files[i]);
            rc |= bench_model_file(ctx, files[i], runs ? atoi(runs) : 10, 3, 1, 0, VKA_PRECISION_F32);
        }
        cli_free_labels(files, n);
    }
    cli_suite_running = 0;
    return rc;
}


/* every benchmark writes its report as --format to stdout or --out */
#define REPORT_OPTS CLI_ENUM_OPT("--format", CLI_FORMATS), CLI_STR_OPT("--out")
static const cli_optdef gemm_defs[] = {
    CLI_INT_OPT("--runs", 1, 100000), CLI_INT_OPT("--rounds", 1, 1000), CLI_ENUM_OPT("--dtype", "f32|f16"),
    CLI_STR_OPT("--shapes"),          CLI_STR_OPT("--sizes"),           CLI_STR_OPT("--vary"),
    CLI_FLAG_OPT("--no-peak"),       REPORT_OPTS,
};
static const cli_optdef attention_defs[] = {
    CLI_INT_OPT("--runs", 1, 100000), CLI_ENUM_OPT("--dtype", "f32|f16"), CLI_FLAG_OPT("--quick"), REPORT_OPTS,
};
static const cli_optdef model_defs[] = {
    CLI_INT_OPT("--runs", 1, 100000), CLI_INT_OPT("--top", 0, 100000), CLI_FLAG_OPT("--no-fuse"),
    CLI_FLAG_OPT("--no-peak"),        CLI_ENUM_OPT("--precision", "f32|f16|auto"), REPORT_OPTS,
};


static const cli_optdef conv_defs[] = {
    CLI_INT_OPT("--runs", 1, 100000), CLI_INT_OPT("--rounds", 1, 1000), CLI_STR_OPT("--shapes"),
    CLI_STR_OPT("--variant"),         CLI_ENUM_OPT("--layout", "auto|oihw|packed"), CLI_STR_OPT("--filter"),
    CLI_FLAG_OPT("--no-peak"),        REPORT_OPTS,
};
static const cli_optdef peak_defs[] = {
    CLI_INT_OPT("--reps", 1, 1000), CLI_NUM_OPT("--ms", 1, 60000), CLI_INT_OPT("--tries", 1, 100), REPORT_OPTS,
};
static const cli_optdef suite_defs[] = {
    CLI_INT_OPT("--runs", 1, 100000), CLI_STR_OPT("--models"), CLI_FLAG_OPT("--no-models"), REPORT_OPTS,
};

static const bench_entry benches[] = {
    {"gemm", cli_bench_gemm, NULL, gemm_defs, CLI_NDEFS(gemm_defs), "GEMM GFLOP/s vs measured fp32 peak"},
    {"attention", cli_bench_attention, NULL, attention_defs, CLI_NDEFS(attention_defs), "flash vs naive attention"},
    {"conv", cli_bench_conv, NULL, conv_defs, CLI_NDEFS(conv_defs), "convolution kernels on RT-DETRv2/HGNetv2 shapes"},
    {"model", cli_bench_model, NULL, model_defs, CLI_NDEFS(model_defs), "model latency and slowest nodes"},
    {"peak", cli_bench_peak, NULL, peak_defs, CLI_NDEFS(peak_defs), "the fp32 FMA peak the shares are of"},
    {"suite", cli_bench_suite, NULL, suite_defs, CLI_NDEFS(suite_defs),
     "gemm + attention + conv + every model in $VKATTN_ASSETS/models, one report"},
    {"compare", NULL, cli_bench_compare, NULL, 0, /* parses its own options */
     "reports side by side: Markdown table and PNG bar chart"},
};
#define NBENCH ((int)(sizeof benches / sizeof benches[0]))

static const bench_entry *find_bench(const char *name)
{
    for (int i = 0; i < NBENCH; i++)
        if (!strcmp(name, benches[i].name))
            return &benches[i];
    return NULL;
}

cli_report *cli_bench_report;

static void bench_usage(FILE *f)
{
    fprintf(f, "usage: vkattn bench <benchmark> [options]  (vkattn bench <benchmark> --help)\nbenchmarks:\n");
    for (int i = 0; i < NBENCH; i++)
        fprintf(f, "  %-10s %s\n", benches[i].name, benches[i].summary);
    fprintf(f, "reports (every benchmark but compare):\n"
               "  --format text   the table on stdout (default)\n"
               "  --format json   one object: vkattn version and commit, benchmark, date, device (vendor and\n"
               "                  device id, driver name/info/ID/version, API and conformance version, device\n"
               "                  and driver UUID, limits), host (name, CPUs, load), settings (arguments, the\n"
               "                  environment that changes timings), peak (fp32 FMA, best of up to 3\n"
               "                  measurements until one is stable), results: per case every sample (ms),\n"
               "                  min/median/mean/stddev/max, flop, GFLOP/s of the median and of the best,\n"
               "                  %% of peak, over_peak (a share over 100%%: disturbed, not a fact)\n"
               "  --format csv    a row per case (samples joined by ';' in the last column)\n"
               "  --format md     a Markdown table with the device and peak above it\n"
               "  --out FILE      the report to FILE (with --format text: the format of FILE's extension,\n"
               "                  .json by default) and the table still on stdout\n"
               "  json/csv/md without --out go to stdout and the table to stderr\n");
}

int cli_bench(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        bench_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const bench_entry *b = find_bench(argv[1]);
    if (!b) {
        fprintf(stderr, "vkattn: bench: unknown benchmark \"%s\"\n", argv[1]);
        bench_usage(stderr);
        return 2;
    }
    argc--, argv++;
    if (b->no_device)
        return b->no_device(argc, argv);
    if (cli_wants_help(argc, argv))
        return b->fn(NULL, argc, argv);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "bench %s", b->name);
    const char **pos;
    int npos;
    if (cli_parse(argc, argv, cmd, b->defs, b->ndefs, &pos, &npos))
        return 2;
    int want = b->fn == cli_bench_model ? 1 : 0;
    if (npos != want || (want && strcmp(pos[0], argv[1]))) {
        if (npos > want)
            fprintf(stderr, "vkattn: %s: unexpected argument \"%s\"\n", cmd, pos[want]);
        else
            fprintf(stderr, "vkattn: %s: wants the model first (vkattn %s --help)\n", cmd, cmd);
        free(pos);
        return 2;
    }
    free(pos);
    vka_context *ctx = cli_context(&argc, argv);
    if (!ctx)
        return 1;
    cli_format fmt = cli_format_parse(cli_opt(argc, argv, "--format", "text"));
    const char *out = cli_opt(argc, argv, "--out", NULL);
    cli_txt = fmt == CLI_FMT_TEXT || out ? stdout : stderr; /* stdout is the report's */
    cli_bench_report = cli_report_begin(ctx, b->name, argc, argv, fmt);
    int rc = b->fn(ctx, argc, argv);
    rc |= cli_report_end(cli_bench_report, out);
    cli_bench_report = NULL;
    int verr = vka_context_validation_errors(ctx);
    vka_context_destroy(ctx);
    if (verr) {
        fprintf(stderr, "vkattn: %d validation errors\n", verr);
        rc = 1;
    }
    return rc;
}
