/* SPDX-License-Identifier: MIT */
/* report.c — benchmark reports: what ran, where, when and every sample, one
 * shape for every benchmark, written as text, JSON, CSV or Markdown. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"

struct cli_report {
    cli_format fmt;
    cJSON *root, *results;
    double peak; /* GFLOP/s, 0: not measured */
};

FILE *cli_txt;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void cli_stats(const double *v, int n, cli_stat *s)
{
    memset(s, 0, sizeof *s);
    if (n < 1)
        return;
    double *t = malloc(sizeof *t * (size_t)n), sum = 0, ss = 0;
    if (!t)
        return;
    memcpy(t, v, sizeof *t * (size_t)n);
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    for (int i = 0; i < n; i++)
        sum += t[i];
    s->mean = sum / n;
    for (int i = 0; i < n; i++)
        ss += (t[i] - s->mean) * (t[i] - s->mean);
    s->stddev = n > 1 ? sqrt(ss / (n - 1)) : 0; /* sample standard deviation */
    s->min = t[0];
    s->max = t[n - 1];
    s->median = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    free(t);
}

static const char *const format_names[] = {"text", "json", "csv", "md"};

cli_format cli_format_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (s && !strcmp(s, format_names[i]))
            return (cli_format)i;
    return CLI_FMT_TEXT;
}

/* environment variables that change what a benchmark measures */
static const char *const env_names[] = {
    "VKATTN_DEVICE",         "VKATTN_GEMM_VARIANT", "VKATTN_ATTN_VARIANT", "VKATTN_FORCE_STAGING",
    "VKATTN_VALIDATE",       "LP_NUM_THREADS",      "MESA_VK_DEVICE_SELECT", "VK_ICD_FILENAMES",
    "VK_DRIVER_FILES",
};

cli_report *cli_report_begin(vka_context *ctx, const char *bench, int argc, char **argv, cli_format fmt)
{
    cli_report *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->fmt = fmt;
    r->root = cJSON_CreateObject();
    cJSON *v = cJSON_AddObjectToObject(r->root, "vkattn");
    char b[256];
    snprintf(b, sizeof b, "%d.%d.%d", VKA_VERSION_MAJOR, VKA_VERSION_MINOR, VKA_VERSION_PATCH);
    cJSON_AddStringToObject(v, "version", b);
    cJSON_AddStringToObject(v, "commit", cli_git_commit());
    cJSON_AddStringToObject(r->root, "benchmark", bench);
    time_t now = time(NULL);
    strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    cJSON_AddStringToObject(r->root, "date", b);
    cJSON_AddItemToObject(r->root, "device", cli_device_json(vka_context_device(ctx)));
    cJSON *host = cJSON_AddObjectToObject(r->root, "host");
    if (gethostname(b, sizeof b) == 0) {
        b[sizeof b - 1] = 0;
        cJSON_AddStringToObject(host, "name", b);
    }
    cJSON_AddNumberToObject(host, "cpus", (double)sysconf(_SC_NPROCESSORS_ONLN));
    FILE *f = fopen("/proc/loadavg", "r");
    double l1, l5;
    if (f && fscanf(f, "%lf %lf", &l1, &l5) == 2) {
        cJSON_AddNumberToObject(host, "load_1min", l1);
        cJSON_AddNumberToObject(host, "load_5min", l5);
    }
    if (f)
        fclose(f);
    cJSON *set = cJSON_AddObjectToObject(r->root, "settings");
    cJSON *args = cJSON_AddArrayToObject(set, "args");
    for (int i = 1; i < argc; i++)
        cJSON_AddItemToArray(args, cJSON_CreateString(argv[i]));
    cJSON *env = cJSON_AddObjectToObject(set, "env");
    for (size_t i = 0; i < sizeof env_names / sizeof env_names[0]; i++) {
        const char *e = getenv(env_names[i]);
        if (e)
            cJSON_AddStringToObject(env, env_names[i], e);
    }
    cJSON_AddNullToObject(r->root, "peak");
    r->results = cJSON_AddArrayToObject(r->root, "results");
    return r;
}

void cli_report_setting(cli_report *r, const char *key, const char *value)
{
    if (!r)
        return;
    cJSON *set = cJSON_GetObjectItemCaseSensitive(r->root, "settings");
    cJSON_DeleteItemFromObjectCaseSensitive(set, key);
    cJSON_AddStringToObject(set, key, value);
}

double cli_report_peak(cli_report *r, vka_context *ctx, int reps, double min_ms, int tries)
{
    if (r && r->peak > 0)
        return r->peak;
    /* the best of up to `tries` measurements, until one is stable: its
     * repetitions within 10% (a busy machine only ever makes it slower) */
    vka_peak_info best = {0}, pi;
    cJSON *meas = cJSON_CreateArray();
    int stable = 0, n = 0;
    for (int t = 0; t < tries && !stable; t++) {
        if (vka_measure_fp32_peak_ex(ctx, reps, min_ms, &pi) != VKA_OK) {
            fprintf(cli_txt, "# fp32 FMA peak: not measured (%s)\n", vka_context_last_error(ctx));
            break;
        }
        n++;
        cJSON *m = cJSON_CreateObject();
        cJSON_AddNumberToObject(m, "gflops", pi.gflops);
        cJSON_AddNumberToObject(m, "median_gflops", pi.median_gflops);
        cJSON_AddNumberToObject(m, "worst_gflops", pi.worst_gflops);
        cJSON_AddNumberToObject(m, "reps", pi.reps);
        cJSON_AddNumberToObject(m, "rep_ms", pi.rep_ms);
        cJSON_AddNumberToObject(m, "invocations", (double)pi.invocations);
        cJSON_AddNumberToObject(m, "iters", pi.iters);
        cJSON_AddItemToArray(meas, m);
        stable = pi.worst_gflops >= 0.9 * pi.gflops;
        if (pi.gflops > best.gflops)
            best = pi;
    }
    if (best.gflops > 0) {
        fprintf(cli_txt,
                "# measured fp32 FMA peak: %.1f GFLOP/s (best of %d measurement%s of %d dispatches of >= %.0f ms: "
                "%llu invocations x %u iterations x 48 FMA; median %.1f, worst %.1f)\n",
                best.gflops, n, n == 1 ? "" : "s", best.reps, best.rep_ms, (unsigned long long)best.invocations,
                best.iters, best.median_gflops, best.worst_gflops);
        if (!stable)
            fprintf(cli_txt, "# warning: the peak repetitions spread by %.0f%%: the machine is busy, shares of "
                             "peak are unreliable\n",
                    100.0 * (1 - best.worst_gflops / best.gflops));
    }
    if (r) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "what", "fp32 FMA throughput (vka_measure_fp32_peak_ex), best measurement");
        cJSON_AddNumberToObject(p, "gflops", best.gflops);
        cJSON_AddBoolToObject(p, "stable", stable);
        cJSON_AddNumberToObject(p, "min_ms", min_ms);
        cJSON_AddItemToObject(p, "measurements", meas);
        cJSON_ReplaceItemInObjectCaseSensitive(r->root, "peak", p);
        r->peak = best.gflops;
    } else {
        cJSON_Delete(meas);
    }
    return best.gflops;
}

cJSON *cli_report_result(cli_report *r, const char *bench, const char *name, const char *variant, double flop,
                         const double *ms, int n)
{
    if (!r)
        return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "benchmark", bench);
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "variant", variant && *variant ? variant : "default");
    if (n < 1) {
        cJSON_AddStringToObject(o, "error", "failed");
        cJSON_AddItemToArray(r->results, o);
        return o;
    }
    cli_stat s;
    cli_stats(ms, n, &s);
    cJSON_AddItemToObject(o, "samples_ms", cJSON_CreateDoubleArray(ms, n));
    cJSON_AddNumberToObject(o, "runs", n);
    cJSON_AddNumberToObject(o, "min_ms", s.min);
    cJSON_AddNumberToObject(o, "median_ms", s.median);
    cJSON_AddNumberToObject(o, "mean_ms", s.mean);
    cJSON_AddNumberToObject(o, "stddev_ms", s.stddev);
    cJSON_AddNumberToObject(o, "max_ms", s.max);
    if (flop > 0) {
        double gf = flop / (s.median * 1e6), gb = flop / (s.min * 1e6);
        cJSON_AddNumberToObject(o, "flop", flop);
        cJSON_AddNumberToObject(o, "gflops", gf);
        cJSON_AddNumberToObject(o, "gflops_best", gb);
        if (r->peak > 0) {
            cJSON_AddNumberToObject(o, "peak_pct", 100 * gf / r->peak);
            cJSON_AddNumberToObject(o, "peak_pct_best", 100 * gb / r->peak);
            /* over 100%: the peak or this timing was disturbed, not a fact */
            cJSON_AddBoolToObject(o, "over_peak", gb > r->peak);
        }
    }
    cJSON_AddItemToArray(r->results, o);
    return o;
}

void cli_report_error(cli_report *r, const char *bench, const char *name, const char *variant, const char *why)
{
    cJSON *o = cli_report_result(r, bench, name, variant, 0, NULL, 0);
    if (o)
        cJSON_ReplaceItemInObjectCaseSensitive(o, "error", cJSON_CreateString(why && *why ? why : "failed"));
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* CSV field: quoted when it holds a comma, quote or newline */
static void csv(FILE *f, const char *s, int last)
{
    if (strpbrk(s, ",\"\n")) {
        fputc('"', f);
        for (; *s; s++)
            fprintf(f, *s == '"' ? "\"\"" : "%c", *s);
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputc(last ? '\n' : ',', f);
}

static void csv_num(FILE *f, double v, int last)
{
    char b[64] = "";
    if (isfinite(v))
        snprintf(b, sizeof b, "%.6g", v);
    csv(f, b, last);
}

static void write_csv(const cJSON *root, FILE *f)
{
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(root, "device"), *res;
    fprintf(f, "benchmark,name,variant,runs,min_ms,median_ms,mean_ms,stddev_ms,max_ms,gflops,peak_pct,over_peak,"
               "error,device,driver_info,date,commit,samples_ms\n");
    cJSON_ArrayForEach(res, cJSON_GetObjectItemCaseSensitive(root, "results"))
    {
        csv(f, str(res, "benchmark"), 0);
        csv(f, str(res, "name"), 0);
        csv(f, str(res, "variant"), 0);
        csv_num(f, num(res, "runs"), 0);
        csv_num(f, num(res, "min_ms"), 0);
        csv_num(f, num(res, "median_ms"), 0);
        csv_num(f, num(res, "mean_ms"), 0);
        csv_num(f, num(res, "stddev_ms"), 0);
        csv_num(f, num(res, "max_ms"), 0);
        csv_num(f, num(res, "gflops"), 0);
        csv_num(f, num(res, "peak_pct"), 0);
        csv(f, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "over_peak")) ? "yes" : "", 0);
        csv(f, str(res, "error"), 0);
        csv(f, str(dev, "name"), 0);
        csv(f, str(dev, "driver_info"), 0);
        csv(f, str(root, "date"), 0);
        csv(f, str(cJSON_GetObjectItemCaseSensitive(root, "vkattn"), "commit"), 0);
        char samples[4096] = "";
        size_t k = 0;
        const cJSON *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(res, "samples_ms")) if (k < sizeof samples - 32) k +=
            (size_t)snprintf(samples + k, sizeof samples - k, k ? ";%.6g" : "%.6g", s->valuedouble);
        csv(f, samples, 1);
    }
}

static void md_num(FILE *f, double v, const char *fmt)
{
    if (isfinite(v))
        fprintf(f, fmt, v);
    else
        fprintf(f, " - |");
}

static void write_md(const cJSON *root, FILE *f)
{
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(root, "device"), *res;
    const cJSON *peak = cJSON_GetObjectItemCaseSensitive(root, "peak");
    fprintf(f, "vkattn bench %s, %s: %s (%s %s, %s), vkattn %s (%s)\n\n", str(root, "benchmark"), str(root, "date"),
            str(dev, "name"), str(dev, "driver_name"), str(dev, "driver_info"), str(dev, "driver_id"),
            str(cJSON_GetObjectItemCaseSensitive(root, "vkattn"), "version"),
            str(cJSON_GetObjectItemCaseSensitive(root, "vkattn"), "commit"));
    if (cJSON_IsObject(peak))
        fprintf(f, "Measured fp32 FMA peak: %.1f GFLOP/s%s.\n\n", num(peak, "gflops"),
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(peak, "stable")) ? "" : " (unstable: machine busy)");
    fprintf(f, "| benchmark | case | variant | runs | median ms | min ms | stddev ms | GFLOP/s | %% of peak |\n"
               "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    cJSON_ArrayForEach(res, cJSON_GetObjectItemCaseSensitive(root, "results"))
    {
        fprintf(f, "| %s | %s | %s |", str(res, "benchmark"), str(res, "name"), str(res, "variant"));
        if (*str(res, "error")) {
            fprintf(f, " failed: %s | | | | | |\n", str(res, "error"));
            continue;
        }
        md_num(f, num(res, "runs"), " %.0f |");
        md_num(f, num(res, "median_ms"), " %.3f |");
        md_num(f, num(res, "min_ms"), " %.3f |");
        md_num(f, num(res, "stddev_ms"), " %.3f |");
        md_num(f, num(res, "gflops"), " %.2f |");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "over_peak")))
            fprintf(f, " %.0f%% (over the peak: disturbed) |", num(res, "peak_pct"));
        else
            md_num(f, num(res, "peak_pct"), " %.1f%% |");
        fputc('\n', f);
    }
}

int cli_report_end(cli_report *r, const char *out)
{
    if (!r)
        return 0;
    int rc = 0;
    if (r->fmt != CLI_FMT_TEXT || out) {
        FILE *f = out ? fopen(out, "w") : stdout;
        if (!f) {
            fprintf(stderr, "vkattn: cannot write the report to %s\n", out);
            rc = 1;
        } else {
            cli_format fmt = r->fmt;
            if (fmt == CLI_FMT_TEXT) /* the table went to the terminal; the file's extension picks */
                fmt = cli_ends_with(out, ".csv") ? CLI_FMT_CSV : cli_ends_with(out, ".md") ? CLI_FMT_MD : CLI_FMT_JSON;
            if (fmt == CLI_FMT_CSV)
                write_csv(r->root, f);
            else if (fmt == CLI_FMT_MD)
                write_md(r->root, f);
            else
                rc = cli_print_json(r->root, f);
            rc |= ferror(f) != 0;
            if (out && fclose(f)) {
                fprintf(stderr, "vkattn: cannot write the report to %s\n", out);
                rc = 1;
            }
        }
    }
    cJSON_Delete(r->root);
    free(r);
    return rc;
}
