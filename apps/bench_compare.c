/* SPDX-License-Identifier: MIT */
/* bench_compare.c — `vkattn bench compare A.json B.json ...`: benchmark
 * reports (from different devices or settings) side by side, as a Markdown
 * table and a PNG bar chart with the device names on it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "font.h"

#define MAX_REPORTS 8
#define MAX_ROWS 512

/* Okabe-Ito: apart for colour-blind readers too; one per report */
static const uint8_t colors[MAX_REPORTS][3] = {
    {0, 114, 178}, {230, 159, 0}, {0, 158, 115}, {204, 121, 167},
    {86, 180, 233}, {213, 94, 0}, {120, 120, 120}, {240, 228, 66},
};
static const uint8_t ink[3] = {30, 30, 30}, grid[3] = {215, 215, 215}, white[3] = {255, 255, 255};

typedef struct {
    cJSON *root;
    char label[160];
    const char *path;
} report;

typedef struct {
    const char *bench, *name, *variant;
    double v[MAX_REPORTS]; /* the metric; NAN: absent or failed */
    double ms[MAX_REPORTS], gf[MAX_REPORTS]; /* sums over the report's entries of the case */
    int nms[MAX_REPORTS], ngf[MAX_REPORTS];
} row;

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static cJSON *load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "vkattn: bench compare: cannot read %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 && n < (64l << 20) ? malloc((size_t)n + 1) : NULL;
    cJSON *j = NULL;
    if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = 0;
        j = cJSON_Parse(buf);
    }
    fclose(f);
    free(buf);
    if (!j || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "results")) ||
        !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "device"))) {
        fprintf(stderr, "vkattn: bench compare: %s is not a vkattn bench report (--format json: an object with "
                        "\"device\" and \"results\")\n",
                path);
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* Default labels: the device name; reports of one device get the settings
 * that tell them apart (environment, else arguments, else the file name). */
static void make_labels(report *r, int n)
{
    for (int i = 0; i < n; i++) {
        const char *dev = str(cJSON_GetObjectItemCaseSensitive(r[i].root, "device"), "name");
        int same = 0;
        for (int j = 0; j < n; j++)
            same |= j != i && !strcmp(dev, str(cJSON_GetObjectItemCaseSensitive(r[j].root, "device"), "name"));
        snprintf(r[i].label, sizeof r[i].label, "%s", dev);
        if (!same)
            continue;
        char extra[128] = "";
        size_t k = 0;
        const cJSON *set = cJSON_GetObjectItemCaseSensitive(r[i].root, "settings"), *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(set, "env"))
        {
            int differs = 0;
            for (int j = 0; j < n; j++) {
                const cJSON *o = cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r[j].root, "settings"), "env"),
                    e->string);
                differs |= j != i && (!cJSON_IsString(o) || strcmp(o->valuestring, e->valuestring));
            }
            if (differs && k < sizeof extra - 8)
                k += (size_t)snprintf(extra + k, sizeof extra - k, "%s%s=%s", k ? " " : "", e->string,
                                      e->valuestring);
        }
        /* and what the others set that this one did not */
        for (int j = 0; j < n; j++) {
            const cJSON *set_j = cJSON_GetObjectItemCaseSensitive(r[j].root, "settings");
            cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(set_j, "env"))
            {
                int here = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(set, "env"), e->string) !=
                           NULL;
                char item[96];
                snprintf(item, sizeof item, "%s unset", e->string);
                if (j != i && !here && !strstr(extra, item) && k < sizeof extra - 8)
                    k += (size_t)snprintf(extra + k, sizeof extra - k, "%s%s", k ? " " : "", item);
            }
        }
        if (!k) {
            int stem;
            const char *base = cli_stem(r[i].path, &stem);
            snprintf(extra, sizeof extra, "%.*s", stem, base);
        }
        snprintf(r[i].label, sizeof r[i].label, "%.90s, %s", dev, extra);
    }
}

/* ------------------------------------------------------------ the chart */

/* text clipped to max_w pixels (ending in ".." when cut) */
static void text(uint8_t *rgb, int w, int h, int x, int y, const char *s, int scale, int max_w, const uint8_t c[3])
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    if (max_w > 0 && cli_font_text_width(buf, scale) > max_w) {
        size_t n = strlen(buf);
        while (n > 2 && cli_font_text_width(buf, scale) > max_w) {
            buf[--n] = 0;
            buf[n - 1] = buf[n - 2] = '.';
        }
    }
    cli_font_draw(rgb, w, h, x, y, buf, scale, c);
}

static void fmt_value(char *b, size_t n, double v)
{
    if (v >= 100)
        snprintf(b, n, "%.0f", v);
    else if (v >= 10)
        snprintf(b, n, "%.1f", v);
    else if (v >= 0.1)
        snprintf(b, n, "%.2f", v);
    else
        snprintf(b, n, "%.3g", v);
}

/* Chart geometry, in pixels (documented in `bench compare --help`). */
enum { W = 1200, LABEL_W = 330, PLOT_X = 340, PLOT_R = 1110, BAR_H = 12, BAR_GAP = 2, GROUP_GAP = 10 };

static int draw_chart(const char *png, const char *title, const report *r, int nr, const row *rows, int nrows,
                      const char *unit, int *log_scale)
{
    double lo = INFINITY, hi = 0;
    int shown = 0;
    for (int i = 0; i < nrows; i++) {
        int any = 0;
        for (int k = 0; k < nr; k++)
            if (rows[i].v[k] > 0) {
                lo = fmin(lo, rows[i].v[k]), hi = fmax(hi, rows[i].v[k]);
                any = 1;
            }
        shown += any;
    }
    if (!shown) {
        fprintf(stderr, "vkattn: bench compare: no values to chart\n");
        return 1;
    }
    /* log scale when the values span more than 10x: from a decade below the
     * smallest value's decade (so it still shows a bar) to the largest's top */
    *log_scale = hi / lo > 10;
    double a0, a1;
    if (*log_scale) {
        a0 = floor(log10(lo)) - 1;
        a1 = ceil(log10(hi));
        if (a1 <= log10(hi))
            a1 += 1;
    } else {
        a0 = 0;
        double step = pow(10, floor(log10(hi))), t = hi / step;
        a1 = (t <= 2 ? 2 : t <= 5 ? 5 : 10) * step;
        if (a1 < hi * 1.02)
            a1 = hi * 1.1;
    }
    int head = 40 + 16 * nr + 30; /* title, legend, axis labels */
    int h = head + shown * (nr * (BAR_H + BAR_GAP) + GROUP_GAP) + 40;
    uint8_t *rgb = malloc((size_t)W * h * 3);
    if (!rgb)
        return 1;
    memset(rgb, 255, (size_t)W * h * 3);
    text(rgb, W, h, 10, 10, title, 2, W - 20, ink);
    for (int k = 0; k < nr; k++) {
        int y = 40 + 16 * k;
        cli_fill_rect(rgb, W, h, 10, y, 22, y + 12, colors[k]);
        text(rgb, W, h, 30, y + 2, r[k].label, 1, W - 40, ink);
    }
    /* grid and axis labels */
    int top = head, bottom = h - 30, pw = PLOT_R - PLOT_X;
    char lab[64];
    if (*log_scale) {
        for (double d = a0; d <= a1 + 1e-9; d += 1) {
            int x = PLOT_X + (int)lround((d - a0) / (a1 - a0) * pw);
            cli_fill_rect(rgb, W, h, x, top - 4, x + 1, bottom, grid);
            snprintf(lab, sizeof lab, "%g", pow(10, d));
            text(rgb, W, h, x - cli_font_text_width(lab, 1) / 2, top - 16, lab, 1, 0, ink);
        }
    } else {
        for (int t = 0; t <= 5; t++) {
            int x = PLOT_X + (int)lround(t / 5.0 * pw);
            cli_fill_rect(rgb, W, h, x, top - 4, x + 1, bottom, grid);
            snprintf(lab, sizeof lab, "%g", a1 * t / 5);
            text(rgb, W, h, x - cli_font_text_width(lab, 1) / 2, top - 16, lab, 1, 0, ink);
        }
    }
    snprintf(lab, sizeof lab, "%s%s", unit, *log_scale ? " (log scale)" : "");
    text(rgb, W, h, PLOT_R - cli_font_text_width(lab, 1), bottom + 8, lab, 1, 0, ink);
    int y = top;
    for (int i = 0; i < nrows; i++) {
        int any = 0;
        for (int k = 0; k < nr; k++)
            any |= rows[i].v[k] > 0;
        if (!any)
            continue;
        char name[256];
        snprintf(name, sizeof name, "%s %s%s%s", rows[i].bench, rows[i].name,
                 strcmp(rows[i].variant, "default") ? " " : "", strcmp(rows[i].variant, "default") ? rows[i].variant : "");
        int gh = nr * (BAR_H + BAR_GAP);
        text(rgb, W, h, 10, y + gh / 2 - 4, name, 1, LABEL_W, ink);
        for (int k = 0; k < nr; k++, y += BAR_H + BAR_GAP) {
            double v = rows[i].v[k];
            if (!(v > 0)) {
                text(rgb, W, h, PLOT_X + 4, y + 2, "-", 1, 0, ink);
                continue;
            }
            double f = *log_scale ? (log10(v) - a0) / (a1 - a0) : v / a1;
            int len = (int)lround(f * pw);
            cli_fill_rect(rgb, W, h, PLOT_X, y, PLOT_X + len, y + BAR_H, colors[k]);
            fmt_value(lab, sizeof lab, v);
            text(rgb, W, h, PLOT_X + len + 4, y + 2, lab, 1, 0, ink);
        }
        y += GROUP_GAP;
    }
    cli_fill_rect(rgb, W, h, PLOT_X, top - 4, PLOT_X + 1, bottom, ink); /* the axis */
    int rc = vka_image_write_png(png, W, h, rgb) != VKA_OK;
    if (rc)
        fprintf(stderr, "vkattn: bench compare: %s\n", vka_last_error());
    free(rgb);
    (void)white;
    return rc;
}

/* ------------------------------------------------------------ the command */

int cli_bench_compare(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: vkattn bench compare A.json B.json ... [--png CHART.png] [--out TABLE.md]\n"
               "                            [--metric auto|gflops|ms] [--labels \"A,B,...\"] [--title T]\n"
               "  Puts benchmark reports (vkattn bench ... --format json, up to %d) side by side: a Markdown\n"
               "  table (stdout, or --out) with each report's value per case and its ratio to the first\n"
               "  report, and with --png a horizontal bar chart: one group per case, one bar per report in\n"
               "  its colour, the legend naming each report's device (reports of one device add the\n"
               "  environment settings that differ, else the file name). The scale is logarithmic when\n"
               "  the values span more than 10x (from a decade below the smallest value's decade).\n"
               "  --metric  gflops (higher is better; cases without a FLOP count are left out), ms (the\n"
               "            median; lower is better), auto (default): gflops when every case has it\n"
               "  --labels  comma-separated names for the reports instead of the device names\n"
               "  A case timed several times in one report (bench gemm --rounds) counts with its mean.\n",
               MAX_REPORTS);
        return 0;
    }
    static const cli_optdef defs[] = {
        CLI_STR_OPT("--png"), CLI_STR_OPT("--out"), CLI_ENUM_OPT("--metric", "auto|gflops|ms"),
        CLI_STR_OPT("--labels"), CLI_STR_OPT("--title"),
    };
    const char **pos;
    int npos;
    if (cli_parse(argc, argv, "bench compare", defs, CLI_NDEFS(defs), &pos, &npos))
        return 2;
    if (npos < 1 || npos > MAX_REPORTS) {
        fprintf(stderr, "vkattn: bench compare: wants 1 to %d reports (got %d)\n", MAX_REPORTS, npos);
        free(pos);
        return 2;
    }
    report r[MAX_REPORTS] = {0};
    static row rows[MAX_ROWS];
    int nr = 0, nrows = 0, rc = 1;
    for (; nr < npos; nr++) {
        r[nr].path = pos[nr];
        if (!(r[nr].root = load(pos[nr])))
            goto out;
    }
    make_labels(r, nr);
    const char *labels = cli_opt(argc, argv, "--labels", NULL);
    for (int k = 0; labels && *labels && k < nr; k++) {
        size_t n = strcspn(labels, ",");
        snprintf(r[k].label, sizeof r[k].label, "%.*s", (int)n, labels);
        labels += n + (labels[n] == ',');
    }
    /* rows: every (benchmark, case, variant), in order of first appearance; a
     * case timed in several rounds (--rounds) counts with its mean */
    const char *metric = cli_opt(argc, argv, "--metric", "auto");
    int all_flop = 1;
    for (int k = 0; k < nr; k++) {
        const cJSON *res;
        cJSON_ArrayForEach(res, cJSON_GetObjectItemCaseSensitive(r[k].root, "results"))
        {
            const char *b = str(res, "benchmark"), *n = str(res, "name"), *v = str(res, "variant");
            int i = 0;
            while (i < nrows && (strcmp(rows[i].bench, b) || strcmp(rows[i].name, n) || strcmp(rows[i].variant, v)))
                i++;
            if (i == nrows) {
                if (nrows == MAX_ROWS)
                    continue;
                rows[nrows++] = (row){.bench = b, .name = n, .variant = v};
            }
            double ms = num(res, "median_ms"), gf = num(res, "gflops");
            if (isfinite(ms) && !isfinite(gf))
                all_flop = 0;
            if (isfinite(ms))
                rows[i].ms[k] += ms, rows[i].nms[k]++;
            if (isfinite(gf))
                rows[i].gf[k] += gf, rows[i].ngf[k]++;
        }
    }
    int use_gflops = !strcmp(metric, "gflops") || (!strcmp(metric, "auto") && all_flop);
    for (int i = 0; i < nrows; i++)
        for (int k = 0; k < MAX_REPORTS; k++)
            rows[i].v[k] = use_gflops ? (rows[i].ngf[k] ? rows[i].gf[k] / rows[i].ngf[k] : NAN)
                                      : (rows[i].nms[k] ? rows[i].ms[k] / rows[i].nms[k] : NAN);
    const char *unit = use_gflops ? "GFLOP/s (higher is better)" : "median ms (lower is better)";

    /* the table */
    const char *outp = cli_opt(argc, argv, "--out", NULL);
    FILE *f = outp ? fopen(outp, "w") : stdout;
    if (!f) {
        fprintf(stderr, "vkattn: bench compare: cannot write %s\n", outp);
        goto out;
    }
    fprintf(f, "Reports compared (%s):\n\n", unit);
    for (int k = 0; k < nr; k++) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(r[k].root, "device"),
                    *p = cJSON_GetObjectItemCaseSensitive(r[k].root, "peak");
        fprintf(f, "- **%c** %s", 'A' + k, r[k].label);
        if (strncmp(r[k].label, str(d, "name"), strlen(str(d, "name"))))
            fprintf(f, " (%s)", str(d, "name"));
        if (*str(d, "driver_name"))
            fprintf(f, ", %s %s (%s)", str(d, "driver_name"), str(d, "driver_info"), str(d, "driver_id"));
        if (*str(r[k].root, "date"))
            fprintf(f, ", %s, vkattn %s", str(r[k].root, "date"),
                    str(cJSON_GetObjectItemCaseSensitive(r[k].root, "vkattn"), "commit"));
        if (cJSON_IsObject(p))
            fprintf(f, ", fp32 peak %.1f GFLOP/s", num(p, "gflops"));
        fprintf(f, " (`%s`)\n", r[k].path);
    }
    fprintf(f, "\n| benchmark | case | variant |");
    for (int k = 0; k < nr; k++)
        fprintf(f, " %c %s |", 'A' + k, use_gflops ? "GFLOP/s" : "ms");
    for (int k = 1; k < nr; k++)
        fprintf(f, " %c / A |", 'A' + k);
    fprintf(f, "\n| --- | --- | --- |");
    for (int k = 0; k < 2 * nr - 1; k++)
        fprintf(f, " ---: |");
    fprintf(f, "\n");
    for (int i = 0; i < nrows; i++) {
        fprintf(f, "| %s | %s | %s |", rows[i].bench, rows[i].name, rows[i].variant);
        for (int k = 0; k < nr; k++)
            fprintf(f, isfinite(rows[i].v[k]) ? " %.3g |" : " - |", rows[i].v[k]);
        for (int k = 1; k < nr; k++) {
            double a = rows[i].v[0], b = rows[i].v[k];
            /* "how many times better than A": faster is better either way */
            double x = use_gflops ? b / a : a / b;
            fprintf(f, isfinite(x) && a > 0 && b > 0 ? " %.2fx |" : " - |", x);
        }
        fprintf(f, "\n");
    }
    if (nr > 1)
        fprintf(f, "\nX / A: how many times faster X is than A on that case (%s).\n",
                use_gflops ? "GFLOP/s ratio" : "ratio of median times");
    rc = ferror(f) != 0;
    if (outp && fclose(f))
        rc = 1;
    const char *png = cli_opt(argc, argv, "--png", NULL);
    if (png && !rc) {
        char title[256];
        snprintf(title, sizeof title, "%s", cli_opt(argc, argv, "--title", "vkattn bench compare"));
        int log_scale;
        rc = draw_chart(png, title, r, nr, rows, nrows, use_gflops ? "GFLOP/s" : "median ms", &log_scale);
        if (!rc)
            fprintf(stderr, "vkattn: bench compare: chart %s (%s scale)\n", png, log_scale ? "log" : "linear");
    }
out:
    for (int k = 0; k < nr; k++)
        cJSON_Delete(r[k].root);
    free(pos);
    return rc;
}
