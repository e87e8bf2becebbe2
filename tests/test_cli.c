/* SPDX-License-Identifier: MIT */
/* test_cli.c — the vkattn CLI as a user meets it: every command rejects an
 * unknown option and a bad value with exit status 2 and a message naming
 * them; global options go before or after the command; `devices --json`
 * parses (cJSON) and names the device as the library lists it. */
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common.h"
#include "cli_common.h"

/* Runs `vkattn ARGS`; *err gets stderr (caller frees). */
static int run_sh(const char *shell, char **out, char **err)
{
    static char cmd[20480];
    char errpath[] = "/tmp/vkattn_test_cli_XXXXXX";
    int fd = mkstemp(errpath);
    if (fd >= 0)
        close(fd);
    snprintf(cmd, sizeof cmd, "{ %s ; } 2>'%s'", shell, errpath);
    int rc = run_cmd(cmd, out);
    *err = read_text(errpath);
    remove(errpath);
    return rc;
}

static int run_cli(const char *args, char **out, char **err)
{
    static char cmd[16384];
    snprintf(cmd, sizeof cmd, "'%s' %s", cli_path(), args);
    return run_sh(cmd, out, err);
}

/* args must exit 2 with every one of the words in stderr. */
static void expect_usage_error(const char *args, const char *word1, const char *word2)
{
    char *out, *err;
    int rc = run_cli(args, &out, &err);
    if (!strncmp(args, "view", 4) && strstr(err, "has no viewer")) { /* a build without SDL2 */
        vkt_check(rc == 2, "vkattn %s: status %d in a build without the viewer", args, rc);
        free(out), free(err);
        return;
    }
    vkt_check(rc == 2 && strstr(err, word1) && (!word2 || strstr(err, word2)),
              "vkattn %s: status %d (want 2), stderr names \"%s\"%s%s: \"%.200s\"", args, rc, word1,
              word2 ? " and " : "", word2 ? word2 : "", err);
    free(out), free(err);
}

static void check_options(void)
{
    /* one unknown option and one bad value for each command */
    static const struct {
        const char *args, *w1, *w2;
    } cases[] = {
        {"devices --jsn", "--jsn", NULL},
        {"devices --device 99", "--device 99", "no such device"},
        {"devices extra", "extra", NULL},
        {"run m.onnx --bogus", "--bogus", NULL},
        {"run m.onnx --input nofile", "--input", "NAME=FILE"},
        {"run m.onnx --output", "--output", "needs a value"},
        {"run m.onnx --precision bf16", "--precision", "bf16"},
        {"classify m.onnx a.jpg --precision f8", "--precision", "f8"},
        {"detect m.onnx a.jpg --precision half", "--precision", "half"},
        {"bench model m.onnx --precision f64", "--precision", "f64"},
        {"view m.onnx --precision bf16", "--precision", "bf16"},
        {"classify m.onnx a.jpg --tpo 3", "--tpo", NULL},
        {"classify m.onnx a.jpg --top abc", "--top", "abc"},
        {"classify m.onnx a.jpg --top 0", "--top", "out of range"},
        {"classify m.onnx a.jpg --layer 1.5", "--layer", "1.5"},
        {"classify m.onnx a.jpg --top=3", "--top=3", "--top 3"},
        {"detect m.onnx a.jpg --jsn", "--jsn", NULL},
        {"detect m.onnx a.jpg --threshold high", "--threshold", "high"},
        {"detect m.onnx a.jpg --threshold 2", "--threshold", "out of range"},
        {"detect m.onnx a.jpg --heatmap", "--heatmap", "--out"},
        {"view m.onnx --bogus", "--bogus", NULL},
        {"view m.onnx --fps fast", "--fps", "fast"},
        {"bench gemm --typo", "--typo", NULL},
        {"bench gemm --dtype bf16", "--dtype", "bf16"},
        {"bench gemm --runs abc", "--runs", "abc"},
        {"bench gemm --sizes 64,x", "--sizes", "x"},
        {"bench gemm --shapes 3x4x5y", "3x4x5y", NULL},
        {"bench attention --quik", "--quik", NULL},
        {"bench attention --dtype bf16", "--dtype", "bf16"},
        {"bench model m.onnx --tpo 3", "--tpo", NULL},
        {"bench model m.onnx --runs -3", "--runs", "out of range"},
        {"bench model", "model", NULL},
        {"bench nonesuch", "nonesuch", NULL},
        {"bench gemm --format xml", "--format", "xml"},
        {"bench peak --ms 0", "--ms", "out of range"},
        {"bench suite --bogus", "--bogus", NULL},
        {"bench compare a.json --metric speed", "--metric", "speed"},
        {"bench compare a.json --bogus", "--bogus", NULL},
        {"bench compare", "compare", "reports"},
        {"nonesuch", "nonesuch", NULL},
        {"--device", "--device", "needs a value"},
        {"--device 99 devices", "--device 99", "no such device"},
        {"bench gemm --device 99", "--device 99", "no such device"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_usage_error(cases[i].args, cases[i].w1, cases[i].w2);

    /* --help exits 0 for every command and benchmark */
    static const char *helps[] = {"--help", "devices --help", "run --help", "classify --help", "detect --help",
                                  "bench --help", "bench gemm --help", "bench attention --help",
                                  "bench model --help", "bench peak --help", "bench suite --help",
                                  "bench compare --help"};
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
        char *out, *err;
        int rc = run_cli(helps[i], &out, &err);
        vkt_check(rc == 0 && strstr(out, "usage"), "vkattn %s: status %d, usage printed %d", helps[i], rc,
                  strstr(out, "usage") != NULL);
        free(out), free(err);
    }
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* The UUID as devices prints it: 8-4-4-4-12 lowercase hex. */
static void uuid_text(const uint8_t u[16], char *buf)
{
    sprintf(buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4],
            u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static void check_devices_json(void)
{
    int n = 0;
    vka_devices_list(NULL, 0, &n);
    vka_device_info *d = calloc((size_t)(n ? n : 1), sizeof *d);
    vka_devices_list(d, n, &n);
    /* the global option before the command selects the last device */
    char args[64];
    snprintf(args, sizeof args, "--device %d devices --json", n - 1);
    char *out, *err;
    int rc = run_cli(args, &out, &err);
    cJSON *j = cJSON_Parse(out);
    vkt_check(rc == 0 && cJSON_IsArray(j) && cJSON_GetArraySize(j) == 1,
              "vkattn %s: status %d, a JSON array of one device (%d); stderr \"%.200s\"", args, rc,
              j ? cJSON_GetArraySize(j) : -1, err);
    const cJSON *o = cJSON_GetArrayItem(j, 0);
    const vka_device_info *x = &d[n - 1];
    char du[40], dr[40], conf[32];
    uuid_text(x->device_uuid, du);
    uuid_text(x->driver_uuid, dr);
    snprintf(conf, sizeof conf, "%u.%u.%u.%u", x->conformance_version[0], x->conformance_version[1],
             x->conformance_version[2], x->conformance_version[3]);
    const cJSON *dv = cJSON_GetObjectItemCaseSensitive(o, "driver_version"),
                *vid = cJSON_GetObjectItemCaseSensitive(o, "vendor_id"),
                *did = cJSON_GetObjectItemCaseSensitive(o, "device_id");
    vkt_check(o && !strcmp(jstr(o, "name"), x->name) && !strcmp(jstr(o, "driver_name"), x->driver_name) &&
                  !strcmp(jstr(o, "driver_info"), x->driver_info) && cJSON_IsNumber(dv) &&
                  (uint32_t)dv->valuedouble == x->driver_version && cJSON_IsNumber(vid) &&
                  (uint32_t)vid->valuedouble == x->vendor_id && cJSON_IsNumber(did) &&
                  (uint32_t)did->valuedouble == x->device_id,
              "devices --json: name \"%s\", driver \"%s\" \"%s\" version %.0f, vendor %.0f, device %.0f", jstr(o, "name"),
              jstr(o, "driver_name"), jstr(o, "driver_info"), dv ? dv->valuedouble : -1, vid ? vid->valuedouble : -1,
              did ? did->valuedouble : -1);
    vkt_check(!strcmp(jstr(o, "device_uuid"), du) && !strcmp(jstr(o, "driver_uuid"), dr) &&
                  !strcmp(jstr(o, "conformance_version"), conf) && strlen(jstr(o, "api_version")) >= 5 &&
                  strlen(jstr(o, "driver_version_str")) >= 3,
              "devices --json: device uuid %s (%s), driver uuid %s (%s), conformance %s (%s), api %s, driver %s",
              jstr(o, "device_uuid"), du, jstr(o, "driver_uuid"), dr, jstr(o, "conformance_version"), conf,
              jstr(o, "api_version"), jstr(o, "driver_version_str"));
    /* a known driver has its vulkaninfo name; lavapipe's is DRIVER_ID_MESA_LLVMPIPE */
    const char *id = jstr(o, "driver_id");
    vkt_check(x->driver_id == 0 || (!strncmp(id, "DRIVER_ID_", 10) || atoi(id) == (int)x->driver_id),
              "devices --json: driver_id \"%s\" (VkDriverId %u)", id, x->driver_id);
    if (!strcmp(x->driver_name, "llvmpipe"))
        vkt_check(!strcmp(id, "DRIVER_ID_MESA_LLVMPIPE"), "lavapipe's driver_id \"%s\"", id);
    cJSON_Delete(j);
    free(out), free(err), free(d);

    /* the text table carries the same identity; the global option after the command */
    rc = run_cli("devices --validate", &out, &err);
    vkt_check(rc == 0 && strstr(out, "uuid") && strstr(out, "conformance"),
              "devices --validate: status %d, uuid and conformance lines", rc);
    free(out), free(err);
}

static double jnum(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static cJSON *parse_file(const char *path)
{
    char *t = read_text(path);
    cJSON *j = cJSON_Parse(t);
    free(t);
    return j;
}

/* bench gemm --format json: identity, settings and every sample, with
 * statistics that agree with the samples and FLOP counted here */
static void check_bench_json(const char *dir)
{
    static const int shapes[2][3] = {{33, 17, 29}, {64, 48, 40}};
    char args[512], *out, *err;
    snprintf(args, sizeof args, "bench gemm --shapes 33x17x29,64x48x40 --runs 3 --format json --out '%s/a.json'", dir);
    int rc = run_cli(args, &out, &err);
    snprintf(args, sizeof args, "%s/a.json", dir);
    cJSON *j = parse_file(args);
    vkt_check(rc == 0 && cJSON_IsObject(j), "bench gemm --format json --out: status %d, parses %d; stderr \"%.200s\"",
              rc, j != NULL, err);
    free(out), free(err);
    const vka_device_info *d = vka_context_device(vkt_ctx);
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(j, "device"), *v = cJSON_GetObjectItemCaseSensitive(j, "vkattn");
    char du[40];
    uuid_text(d->device_uuid, du);
    vkt_check(!strcmp(jstr(dev, "name"), d->name) && !strcmp(jstr(dev, "device_uuid"), du) &&
                  *jstr(dev, "driver_uuid") && *jstr(dev, "driver_id") && *jstr(dev, "conformance_version") &&
                  jnum(dev, "vendor_id") == d->vendor_id && jnum(dev, "driver_version") == d->driver_version,
              "report device: \"%s\" uuid %s driver_id %s conformance %s", jstr(dev, "name"), jstr(dev, "device_uuid"),
              jstr(dev, "driver_id"), jstr(dev, "conformance_version"));
    vkt_check(*jstr(v, "version") && *jstr(v, "commit") && strlen(jstr(j, "date")) == 20 &&
                  !strcmp(jstr(j, "benchmark"), "gemm") &&
                  cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
                      cJSON_GetObjectItemCaseSensitive(j, "settings"), "args")) == 8,
              "report: version %s commit %s date %s benchmark %s", jstr(v, "version"), jstr(v, "commit"),
              jstr(j, "date"), jstr(j, "benchmark"));
    const cJSON *peak = cJSON_GetObjectItemCaseSensitive(j, "peak");
    double pk = jnum(peak, "gflops");
    vkt_check(pk > 0 && cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(peak, "measurements")) >= 1 &&
                  cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(peak, "stable")),
              "report peak: %.2f GFLOP/s, %d measurements", pk,
              cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(peak, "measurements")));
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(j, "results");
    vkt_check(cJSON_GetArraySize(res) == 2, "report: %d results (want 2)", cJSON_GetArraySize(res));
    for (int i = 0; i < 2 && i < cJSON_GetArraySize(res); i++) {
        const cJSON *r = cJSON_GetArrayItem(res, i), *sm = cJSON_GetObjectItemCaseSensitive(r, "samples_ms"), *x;
        double t[3] = {0}, mean = 0, sd = 0;
        int n = 0;
        cJSON_ArrayForEach(x, sm) if (n < 3) t[n++] = x->valuedouble;
        for (int k = 0; k < n; k++)
            mean += t[k] / n;
        for (int k = 0; k < n; k++)
            sd += (t[k] - mean) * (t[k] - mean) / (n - 1);
        sd = sqrt(sd);
        double mn = fmin(t[0], fmin(t[1], t[2])), mx = fmax(t[0], fmax(t[1], t[2])), med = t[0] + t[1] + t[2] - mn - mx;
        double flop = 2.0 * shapes[i][0] * shapes[i][1] * shapes[i][2];
        double gf = flop / (med * 1e6);
        vkt_check(cJSON_GetArraySize(sm) == 3 && t[0] > 0 && t[1] > 0 && t[2] > 0 &&
                      fabs(jnum(r, "min_ms") - mn) <= 1e-9 * mx && fabs(jnum(r, "max_ms") - mx) <= 1e-9 * mx &&
                      fabs(jnum(r, "median_ms") - med) <= 1e-9 * mx && fabs(jnum(r, "mean_ms") - mean) <= 1e-9 * mx &&
                      fabs(jnum(r, "stddev_ms") - sd) <= 1e-6 * mx + 1e-12 && jnum(r, "flop") == flop &&
                      fabs(jnum(r, "gflops") - gf) <= 1e-9 * gf &&
                      fabs(jnum(r, "peak_pct") - 100 * gf / pk) <= 1e-6 * (100 * gf / pk) &&
                      cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(r, "over_peak")) &&
                      !strncmp(jstr(r, "name"), i ? "64x48x40" : "33x17x29", 8),
                  "result %s: samples %.4f %.4f %.4f -> min %.4f median %.4f mean %.4f sd %.4f, flop %.0f (%.0f), "
                  "%.3f GFLOP/s = %.1f%% of peak",
                  jstr(r, "name"), t[0], t[1], t[2], jnum(r, "min_ms"), jnum(r, "median_ms"), jnum(r, "mean_ms"),
                  jnum(r, "stddev_ms"), jnum(r, "flop"), flop, jnum(r, "gflops"), jnum(r, "peak_pct"));
    }
    cJSON_Delete(j);

    /* CSV: a header and a row per case, the samples in the last column */
    rc = run_cli("bench gemm --shapes 33x17x29 --runs 2 --no-peak --format csv", &out, &err);
    int lines = 0;
    for (char *p = out; *p; p++)
        lines += *p == '\n';
    vkt_check(rc == 0 && lines == 2 && !strncmp(out, "benchmark,name,variant,runs,min_ms,median_ms", 44) &&
                  strstr(out, "\ngemm,33x17x29,default,2,"),
              "bench gemm --format csv: status %d, %d lines: \"%.300s\"", rc, lines, out);
    free(out), free(err);

    /* Markdown: the device above a table with a row per case */
    rc = run_cli("bench gemm --shapes 33x17x29 --runs 2 --no-peak --format md", &out, &err);
    vkt_check(rc == 0 && strstr(out, d->name) && strstr(out, "| benchmark | case | variant | runs | median ms |") &&
                  strstr(out, "| gemm | 33x17x29 | default | 2 |"),
              "bench gemm --format md: status %d, \"%.400s\"", rc, out);
    free(out), free(err);

    /* bench model: end-to-end samples and the GPU's, per run */
    const char *mp = vkt_asset("models/vit_tiny_ci.onnx");
    if (mp) {
        snprintf(args, sizeof args, "bench model '%s' --runs 4 --no-peak --format json", mp);
        rc = run_cli(args, &out, &err);
        j = cJSON_Parse(out);
        const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "results"), 0);
        vkt_check(rc == 0 && !strcmp(jstr(r, "benchmark"), "model") && !strcmp(jstr(r, "name"), "vit_tiny_ci") &&
                      cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "samples_ms")) == 4 &&
                      cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "gpu_samples_ms")) == 4 &&
                      jnum(r, "flop") > 0 && jnum(r, "dispatches") > 0 && jnum(r, "median_ms") > 0,
                  "bench model --format json: status %d, %s %s, %d samples, %d GPU samples, %.0f flop, %.0f dispatches",
                  rc, jstr(r, "name"), jstr(r, "variant"),
                  cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "samples_ms")),
                  cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "gpu_samples_ms")), jnum(r, "flop"),
                  jnum(r, "dispatches"));
        cJSON_Delete(j);
        free(out), free(err);
    }
}

/* Longest horizontal run of colour c in each row; the lengths of the bars
 * (runs over 20 px: longer than the legend swatches) in lens. */
static int bar_lengths(const vka_image *img, const uint8_t c[3], int *lens, int max)
{
    int n = 0, prev = 0;
    for (int y = 0; y < img->height; y++) {
        int best = 0, run = 0;
        for (int x = 0; x < img->width; x++) {
            run = !memcmp(img->rgb + ((size_t)y * img->width + x) * 3, c, 3) ? run + 1 : 0;
            best = run > best ? run : best;
        }
        if (best > 20 && best != prev && n < max) /* a new bar (its rows repeat the length) */
            lens[n++] = best;
        prev = best;
    }
    return n;
}

static void write_report(const char *path, const char *device, const char *const *names, const double *gflops, int n)
{
    FILE *f = fopen(path, "w");
    fprintf(f, "{\"device\": {\"name\": \"%s\"}, \"results\": [", device);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s{\"benchmark\": \"gemm\", \"name\": \"%s\", \"variant\": \"default\", \"median_ms\": %g, "
                   "\"gflops\": %g}",
                i ? ", " : "", names[i], 1000 / gflops[i], gflops[i]);
    fprintf(f, "]}\n");
    fclose(f);
}

/* bench compare on two real reports (table) and on reports with known values
 * (the chart's bars: lengths in proportion, log scale over 10x) */
static void check_compare(const char *dir)
{
    char args[2048], *out, *err, path[512];
    snprintf(args, sizeof args,
             "'%s' bench gemm --shapes 33x17x29,64x48x40,128x128x128 --runs 3 --no-peak --format json > '%s/b.json' && "
             "LP_NUM_THREADS=1 '%s' bench gemm --shapes 33x17x29,64x48x40,128x128x128 --runs 3 --no-peak "
             "--format json > '%s/c.json' && '%s' bench compare '%s/b.json' '%s/c.json' --png '%s/bc.png'",
             cli_path(), dir, cli_path(), dir, cli_path(), dir, dir, dir);
    int rc = run_sh(args, &out, &err);
    vkt_check(rc == 0 && strstr(out, "| gemm | 33x17x29 | default |") && strstr(out, "| gemm | 128x128x128 | default |") &&
                  strstr(out, "B / A") && strstr(out, "LP_NUM_THREADS=1"),
              "bench compare (LP_NUM_THREADS=1 vs default): status %d, table \"%.600s\"; stderr \"%.200s\"", rc, out,
              err);
    free(out), free(err);
    snprintf(path, sizeof path, "%s/bc.png", dir);
    vka_image *img = vka_image_load(path);
    /* 1200 wide; 102 px of title, legend and axis for 2 reports, 38 per case, 40 below */
    vkt_check(img && img->width == 1200 && img->height == 102 + 3 * 38 + 40, "compare chart %s: %dx%d (want 1200x256)",
              path, img ? img->width : 0, img ? img->height : 0);
    static const uint8_t blue[3] = {0, 114, 178}, orange[3] = {230, 159, 0};
    int la[8], lb[8];
    int na = img ? bar_lengths(img, blue, la, 8) : 0, nb = img ? bar_lengths(img, orange, lb, 8) : 0;
    vkt_check(na == 3 && nb == 3, "compare chart: %d bars of report A, %d of report B (want 3 each)", na, nb);
    vka_image_free(img);

    /* known values: A 10 and 20 GFLOP/s, B 40 and 20 -> linear, bars in proportion */
    static const char *const names[2] = {"x", "y"};
    const double a[2] = {10, 20}, b[2] = {40, 20};
    char pa[512], pb[512];
    snprintf(pa, sizeof pa, "%s/ka.json", dir);
    snprintf(pb, sizeof pb, "%s/kb.json", dir);
    write_report(pa, "GPU A", names, a, 2);
    write_report(pb, "GPU B", names, b, 2);
    snprintf(args, sizeof args, "bench compare '%s' '%s' --png '%s/k.png'", pa, pb, dir);
    rc = run_cli(args, &out, &err);
    vkt_check(rc == 0 && strstr(out, "| gemm | x | default | 10 | 40 | 4.00x |") &&
                  strstr(out, "| gemm | y | default | 20 | 20 | 1.00x |") && strstr(err, "linear"),
              "bench compare, known values: status %d, table \"%.400s\", stderr \"%.100s\"", rc, out, err);
    free(out), free(err);
    snprintf(path, sizeof path, "%s/k.png", dir);
    img = vka_image_load(path);
    na = img ? bar_lengths(img, blue, la, 8) : 0, nb = img ? bar_lengths(img, orange, lb, 8) : 0;
    vkt_check(na == 2 && nb == 2 && fabs((double)la[1] / la[0] - 2) < 0.02 && fabs((double)lb[0] / la[0] - 4) < 0.04 &&
                  fabs((double)lb[1] / la[0] - 2) < 0.02,
              "chart bars (linear): A %d, %d px; B %d, %d px (want 1 : 2 and 4 : 2)", na > 0 ? la[0] : 0,
              na > 1 ? la[1] : 0, nb > 0 ? lb[0] : 0, nb > 1 ? lb[1] : 0);
    vka_image_free(img);

    /* 1 against 1000: log scale, bars not in proportion of the values */
    const double c1[1] = {1}, c2[1] = {1000};
    write_report(pa, "GPU A", names, c1, 1);
    write_report(pb, "GPU B", names, c2, 1);
    snprintf(args, sizeof args, "bench compare '%s' '%s' --png '%s/l.png'", pa, pb, dir);
    rc = run_cli(args, &out, &err);
    vkt_check(rc == 0 && strstr(err, "log scale"), "bench compare, 1 vs 1000: status %d, stderr \"%.100s\"", rc, err);
    free(out), free(err);
    snprintf(path, sizeof path, "%s/l.png", dir);
    img = vka_image_load(path);
    na = img ? bar_lengths(img, blue, la, 8) : 0, nb = img ? bar_lengths(img, orange, lb, 8) : 0;
    vkt_check(na == 1 && nb == 1 && lb[0] > 2 * la[0] && lb[0] < 10 * la[0],
              "chart bars (log): A %d px, B %d px (B longer, not 1000x)", na ? la[0] : 0, nb ? lb[0] : 0);
    vka_image_free(img);

    /* not a report: exit 1 naming the file */
    snprintf(args, sizeof args, "bench compare '%s/k.png'", dir);
    rc = run_cli(args, &out, &err);
    vkt_check(rc == 1 && strstr(err, "k.png"), "bench compare on a PNG: status %d, \"%.200s\"", rc, err);
    free(out), free(err);
}

/* detect --json on a folder: one array loadable by Python's json in COCO's
 * results format (image_id int from the numeric file names, category_id int,
 * bbox [x, y, w, h] of 4 numbers, score); classify --json the same shape; the
 * labels come built in without an assets folder */
static void check_image_json(const char *dir)
{
    char model[4096], bus[4096], zid[4096], cls[4096], cat[4096], args[16384], *out, *err;
    const char *p;
    if (!(p = vkt_asset("models/deimv2_hgnetv2_atto_coco.onnx")))
        return;
    snprintf(model, sizeof model, "%s", p);
    if (!(p = vkt_asset("images/bus.jpg")))
        return;
    snprintf(bus, sizeof bus, "%s", p);
    if (!(p = vkt_asset("images/zidane.jpg")))
        return;
    snprintf(zid, sizeof zid, "%s", p);
    snprintf(args, sizeof args,
             "mkdir -p '%s/imgs' && cp '%s' '%s/imgs/000000000139.jpg' && cp '%s' '%s/imgs/000000000285.jpg' && "
             "echo not an image > '%s/imgs/readme.txt' && env -u VKATTN_ASSETS '%s' detect '%s' '%s/imgs' --json > "
             "'%s/det.json'",
             dir, bus, dir, zid, dir, dir, cli_path(), model, dir, dir);
    int rc = run_sh(args, &out, &err);
    vkt_check(rc == 0, "detect --json on a folder: status %d, stderr \"%.300s\"", rc, err);
    free(out), free(err);
    /* Python's json, and COCO's results schema as pycocotools' loadRes reads it */
    snprintf(args, sizeof args,
             "python3 -c '\n"
             "import json, sys\n"
             "d = json.load(open(sys.argv[1]))\n"
             "assert isinstance(d, list) and len(d) > 0, \"not a non-empty array\"\n"
             "for e in d:\n"
             "    assert type(e[\"image_id\"]) is int and type(e[\"category_id\"]) is int, e\n"
             "    assert 1 <= e[\"category_id\"] <= 90, e\n"
             "    b = e[\"bbox\"]\n"
             "    assert isinstance(b, list) and len(b) == 4 and all(isinstance(v, (int, float)) for v in b), e\n"
             "    assert b[2] >= 0 and b[3] >= 0 and 0 <= e[\"score\"] <= 1 and e[\"label\"], e\n"
             "ids = sorted(set(e[\"image_id\"] for e in d))\n"
             "assert ids == [139, 285], ids\n"
             "print(\"ok\", len(d), ids, sorted(set(e[\"label\"] for e in d)))\n"
             "' '%s/det.json'",
             dir);
    rc = run_sh(args, &out, &err);
    vkt_check(rc == 0 && !strncmp(out, "ok", 2) && strstr(out, "person"),
              "detect --json (folder of 000000000139.jpg, 000000000285.jpg): python3 json + COCO schema: %s%s", out,
              err);
    free(out), free(err);

    /* classify: the same array shape, ImageNet names built in */
    if (!(p = vkt_asset("models/deit_tiny_patch16_224.onnx")))
        return;
    snprintf(cls, sizeof cls, "%s", p);
    if (!(p = vkt_asset("images/ort_kitten_224.png")))
        return;
    snprintf(cat, sizeof cat, "%s", p);
    snprintf(args, sizeof args, "env -u VKATTN_ASSETS '%s' classify '%s' '%s' --top 2 --json", cli_path(), cls, cat);
    rc = run_sh(args, &out, &err);
    cJSON *j = cJSON_Parse(out), *e0 = cJSON_GetArrayItem(j, 0);
    vkt_check(rc == 0 && cJSON_GetArraySize(j) == 2 && jnum(e0, "image_id") == 1 && jnum(e0, "category_id") == 281 &&
                  !strcmp(jstr(e0, "label"), "tabby cat") && jnum(e0, "score") > 0.5 && jnum(e0, "rank") == 1,
              "classify --json without assets: status %d, %d entries, top-1 %s %.0f \"%s\" p %.3f; stderr \"%.200s\"",
              rc, cJSON_GetArraySize(j), jstr(e0, "file_name"), jnum(e0, "category_id"), jstr(e0, "label"),
              jnum(e0, "score"), err);
    cJSON_Delete(j);
    free(out), free(err);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    if (!ctx)
        return 1;
    check_options();
    check_devices_json();
    char dir[] = "/tmp/vkattn_test_cli_dir_XXXXXX";
    if (!mkdtemp(dir)) {
        fprintf(stderr, "cannot make a temporary directory\n");
        return 1;
    }
    check_bench_json(dir);
    check_compare(dir);
    check_image_json(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return vkt_finish();
}
