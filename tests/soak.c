/* SPDX-License-Identifier: MIT */
/* soak.c — long-run check that vkattn holds no growing memory and no Vulkan
 * object past its lifetime (issue #13 item 4; figures in docs/soak.md):
 *
 *     build/tests/soak [--runs N] [--cycles M] [--sample K] [--warmup W] [--cycle-graphs G] [--inject-leak]
 *
 * 1. Runs: one context, DeiT-Tiny and DEIMv2 atto built once each, then N
 *    inferences of each (alternating, inputs uploaded every time). Every K
 *    runs it samples the process RSS, the host heap in use (glibc mallinfo2)
 *    and the context's device memory (vka_context_memory_used: the blocks
 *    its allocator holds); it reports them after run 1 and at the end and
 *    their least-squares slopes per 1000 runs over the samples after the
 *    first W runs (lazy first-run allocations are not a leak), and checks
 *    that every run's outputs are bit-identical to the first run's.
 * 2. Cycles: M times create a context, load and build the first G models
 *    (default both), run each once (outputs bit-identical to phase 1's),
 *    destroy the graphs (the context's device memory must return to what it
 *    held before them) and the context; RSS and heap after each teardown,
 *    and their slopes per 100 cycles. These contexts have the Khronos
 *    validation layer on (VKATTN_VALIDATE=0 turns it off): its object tracker
 *    reports every VkBuffer, VkPipeline, ... still alive at vkDestroyDevice,
 *    so any error it logs fails the soak. --inject-leak first runs one extra
 *    context that leaks a VkSemaphore, to show that such a leak is seen: the
 *    soak fails unless the layer reports it.
 *
 * Phase 1's validation follows VKATTN_VALIDATE (default off). The phases can
 * run as two processes: --cycles 0, and --runs 1 --cycles M. Models and
 * goldens (for a first-run sanity check against ONNX Runtime) come from
 * VKATTN_ASSETS (default ../shared/assets). Exit 0: all checks held; 1: a
 * check failed; 77: assets missing (a failure with VKATTN_REQUIRE_ASSETS=1).
 * Slopes are reported, not judged: docs/soak.md reads them. */
#include "vkattn.h"

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan_core.h>

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

typedef struct {
    const char *name, *onnx, *golden;   /* paths relative to the assets */
    vka_graph *g;
    vka_safetensors *st;
    int nout;
    const char **out_names;
    size_t *out_bytes;
    unsigned char **ref;                /* first run's outputs */
    unsigned char **cur;
} model;

static model models[] = {
    {.name = "DeiT-Tiny", .onnx = "models/deit_tiny_patch16_224.onnx", .golden = "golden/deit_tiny_cats.safetensors"},
    {.name = "DEIMv2 atto", .onnx = "models/deimv2_hgnetv2_atto_coco.onnx",
     .golden = "golden/deimv2_atto_bus.safetensors"},
};
enum { NMODELS = sizeof models / sizeof models[0] };

static int failures;

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s ", ok ? "PASS" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    failures += !ok;
    fflush(stdout);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Resident set size in KiB (/proc/self/status: VmRSS = RssAnon + RssFile + RssShmem); *anon gets
 * RssAnon (heap, anonymous mmaps such as JIT code) when not NULL. */
static double rss_kib2(double *anon)
{
    char line[256];
    double rss = 0, an = 0;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6))
            rss = atof(line + 6);
        else if (!strncmp(line, "RssAnon:", 8))
            an = atof(line + 8);
    }
    if (f)
        fclose(f);
    if (anon)
        *anon = an;
    return rss;
}

static double rss_kib(void) { return rss_kib2(NULL); }

/* Number of mappings of the process (/proc/self/maps lines): a driver or loader that leaves
 * mappings behind (JIT code, dlopen'ed libraries) shows here. */
static long map_count(void)
{
    long n = 0;
    int c;
    FILE *f = fopen("/proc/self/maps", "r");
    while (f && (c = fgetc(f)) != EOF)
        n += c == '\n';
    if (f)
        fclose(f);
    return n;
}

/* Host heap bytes in use (glibc's mallinfo2: allocated chunks in all arenas plus mmapped ones), in
 * KiB; -1 without glibc. Unlike RSS it does not move with fragmentation or with pages the allocator
 * keeps after a free: a growing heap is memory someone still holds. */
static double heap_kib(void)
{
#ifdef __GLIBC__
    struct mallinfo2 mi = mallinfo2();
    return (double)(mi.uordblks + mi.hblkhd) / 1024.0;
#else
    return -1;
#endif
}

/* Least-squares slope of y over x. */
static double slope(const double *x, const double *y, int n)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0;
    for (int i = 0; i < n; i++)
        mx += x[i], my += y[i];
    mx /= n, my /= n;
    for (int i = 0; i < n; i++)
        sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx);
    return sxx > 0 ? sxy / sxx : 0;
}

/* Validation messages of the cycle contexts: the layer's errors, and among them its reports of
 * objects alive at vkDestroyDevice / vkDestroyInstance. */
typedef struct {
    int errors, leaks, shown;
} vlog;

static void log_cb(void *user, int level, const char *msg)
{
    vlog *v = user;
    if (level != VKA_LOG_ERROR || strncmp(msg, "validation:", 11) != 0)
        return;
    v->errors++;
    v->leaks += strstr(msg, "has not been destroyed") != NULL || strstr(msg, "05137") != NULL;
    if (v->shown++ < 5)
        printf("  validation: %.400s\n", msg + 11);
}

static vka_context *make_context(int validation, vlog *v)
{
    vka_context_params p = vka_context_default_params();
    p.validation = validation;
    if (v) {
        p.log = log_cb;
        p.log_user = v;
        p.log_level = VKA_LOG_ERROR;
    }
    vka_context *ctx = vka_context_create(&p);
    if (!ctx)
        check(0, "context: %s", vka_last_error());
    return ctx;
}

/* Loads and builds m's graph on ctx. */
static vka_graph *load(vka_context *ctx, const char *dir, const model *m)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, m->onnx);
    vka_graph *g = vka_onnx_load(ctx, path, NULL);
    vka_status s = g ? vka_graph_build(g, NULL) : VKA_ERR_INVALID_ARG;
    if (s) {
        check(0, "%s: load and build %s: %s", m->name, path, g ? vka_context_last_error(ctx) : vka_last_error());
        vka_graph_destroy(g);
        return NULL;
    }
    return g;
}

/* One inference of m on g with the golden's inputs; outputs into out[]. */
static vka_status infer(vka_graph *g, const model *m, unsigned char **out)
{
    vka_status s = VKA_OK;
    for (int i = 0; i < vka_graph_input_count(g) && !s; i++) {
        const char *name = vka_graph_value_name(g, vka_graph_input_at(g, i));
        const vka_st_tensor *t = vka_safetensors_find(m->st, name);
        s = t ? vka_graph_set_input(g, name, t->data, t->bytes) : VKA_ERR_NOT_FOUND;
    }
    if (!s)
        s = vka_graph_run(g);
    for (int i = 0; i < m->nout && !s; i++)
        s = vka_graph_get_output(g, m->out_names[i], out[i], m->out_bytes[i]);
    return s;
}

static int same_outputs(const model *m, unsigned char *const *a, unsigned char *const *b)
{
    for (int i = 0; i < m->nout; i++)
        if (memcmp(a[i], b[i], m->out_bytes[i]))
            return 0;
    return 1;
}

/* The first run against the ONNX Runtime golden: relative error of each float output (a sanity
 * check that the soak runs the right thing; the tests check the models properly). */
static void report_vs_golden(const model *m)
{
    for (int i = 0; i < m->nout; i++) {
        const vka_st_tensor *t = vka_safetensors_find(m->st, m->out_names[i]);
        if (t->dtype != VKA_ST_F32)
            continue;
        const float *o = (const float *)m->ref[i], *r = t->data;
        double num = 0, den = 0;
        for (size_t k = 0; k < t->bytes / 4; k++)
            num += ((double)o[k] - r[k]) * ((double)o[k] - r[k]), den += (double)r[k] * r[k];
        printf("  %s %s vs ONNX Runtime: rel err %.2e\n", m->name, m->out_names[i], sqrt(num / (den > 0 ? den : 1)));
    }
}

/* Output names and sizes of m from its built graph and golden; buffers for them. */
static int setup_outputs(model *m)
{
    vka_graph *g = m->g;
    m->nout = vka_graph_output_count(g);
    m->out_names = calloc((size_t)m->nout, sizeof *m->out_names); /* copies: they outlive g */
    m->out_bytes = calloc((size_t)m->nout, sizeof *m->out_bytes);
    m->ref = calloc((size_t)m->nout, sizeof *m->ref);
    m->cur = calloc((size_t)m->nout, sizeof *m->cur);
    for (int i = 0; i < m->nout; i++) {
        m->out_names[i] = strdup(vka_graph_value_name(g, vka_graph_output_at(g, i)));
        const vka_st_tensor *t = vka_safetensors_find(m->st, m->out_names[i]);
        if (!t) {
            check(0, "%s: golden has no output %s", m->name, m->out_names[i]);
            return 0;
        }
        m->out_bytes[i] = t->bytes;
        m->ref[i] = malloc(t->bytes);
        m->cur[i] = malloc(t->bytes);
    }
    return 1;
}

/* The injected leak's host memory: the driver allocates the semaphore through these callbacks, so the
 * soak frees it once the device is gone (under ASan the leak would otherwise be a real one). */
static void *leak_mem[64];

static void *leak_alloc(void *user, size_t size, size_t align, VkSystemAllocationScope scope)
{
    (void)user, (void)scope;
    size_t a = align < sizeof(void *) ? sizeof(void *) : align;
    for (int i = 0; i < 64; i++)
        if (!leak_mem[i])
            return leak_mem[i] = aligned_alloc(a, (size + a - 1) / a * a);
    return NULL;
}

static void leak_free(void *user, void *mem)
{
    (void)user;
    for (int i = 0; mem && i < 64; i++)
        if (leak_mem[i] == mem) {
            free(mem);
            leak_mem[i] = NULL;
        }
}

static void *leak_realloc(void *user, void *old, size_t size, size_t align, VkSystemAllocationScope scope)
{
    (void)old, (void)size, (void)align, (void)scope, (void)user;
    return NULL; /* vkCreateSemaphore does not reallocate */
}

/* Creates a VkSemaphore on ctx's device and drops it: a Vulkan object alive at vkDestroyDevice, as a
 * leak in the runtime would be. (A leaked vka_tensor is not one: tensors are ranges of the context's
 * blocks, which the context frees.) Free its memory with leak_free_all after the context is gone. */
static int leak_semaphore(vka_context *ctx)
{
    vka_external_vulkan h;
    if (vka_context_vulkan(ctx, &h))
        return 0;
    PFN_vkGetInstanceProcAddr gipa = (PFN_vkGetInstanceProcAddr)h.get_instance_proc_addr;
    PFN_vkGetDeviceProcAddr gdpa = (PFN_vkGetDeviceProcAddr)gipa((VkInstance)h.instance, "vkGetDeviceProcAddr");
    PFN_vkCreateSemaphore create = gdpa ? (PFN_vkCreateSemaphore)gdpa((VkDevice)h.device, "vkCreateSemaphore") : NULL;
    VkSemaphoreCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
    VkAllocationCallbacks cb = {.pfnAllocation = leak_alloc, .pfnReallocation = leak_realloc, .pfnFree = leak_free};
    VkSemaphore sem = VK_NULL_HANDLE;
    return create && create((VkDevice)h.device, &ci, &cb, &sem) == VK_SUCCESS;
}

static void leak_free_all(void)
{
    for (int i = 0; i < 64; i++)
        free(leak_mem[i]), leak_mem[i] = NULL;
}

static void usage(void)
{
    fprintf(stderr, "usage: soak [--runs N (10000)] [--cycles M (200)] [--sample K (runs/20)] "
                    "[--warmup W (min(100, runs/10))] [--cycle-graphs 0|1|2 (2)] [--inject-leak]\n");
}

int main(int argc, char **argv)
{
    long runs = 10000, cycles = 200, sample = 0, warmup = -1;
    int inject = 0, cycle_graphs = NMODELS;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atol(argv[++i]);
        else if (!strcmp(argv[i], "--cycles") && i + 1 < argc)
            cycles = atol(argv[++i]);
        else if (!strcmp(argv[i], "--sample") && i + 1 < argc)
            sample = atol(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
            warmup = atol(argv[++i]);
        else if (!strcmp(argv[i], "--cycle-graphs") && i + 1 < argc)
            cycle_graphs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--inject-leak"))
            inject = 1;
        else {
            usage();
            return 2;
        }
    }
    if (runs < 1 || cycles < 0 || cycle_graphs < 0 || cycle_graphs > NMODELS) {
        usage();
        return 2;
    }
    if (sample <= 0)
        sample = runs >= 20 ? runs / 20 : 1;
    if (warmup < 0)
        warmup = runs / 10 < 100 ? runs / 10 : 100;

    char dir[4096];
    const char *a = getenv("VKATTN_ASSETS");
    snprintf(dir, sizeof dir, "%s", a && *a ? a : VKA_SOURCE_DIR "/../shared/assets");
    for (int m = 0; m < NMODELS; m++) {
        char p[2][4200];
        snprintf(p[0], sizeof p[0], "%s/%s", dir, models[m].onnx);
        snprintf(p[1], sizeof p[1], "%s/%s", dir, models[m].golden);
        for (int k = 0; k < 2; k++)
            if (access(p[k], R_OK)) {
                const char *req = getenv("VKATTN_REQUIRE_ASSETS");
                printf("%s asset %s is missing (see scripts/get-assets.sh)\n",
                       req && !strcmp(req, "1") ? "FAIL" : "skipped:", p[k]);
                return req && !strcmp(req, "1") ? 1 : 77;
            }
        snprintf(p[1], sizeof p[1], "%s/%s", dir, models[m].golden);
        models[m].st = vka_safetensors_open(p[1]);
        if (!models[m].st) {
            check(0, "%s", vka_last_error());
            return 1;
        }
    }

    /* ---- phase 1: runs */
    double t0 = now_s(), rss0 = rss_kib();
    const char *ve = getenv("VKATTN_VALIDATE");
    vka_context *ctx = make_context(ve && !strcmp(ve, "1"), NULL);
    if (!ctx)
        return 1;
    uint64_t dev_bare = vka_context_memory_used(ctx);
    const vka_device_info *di = vka_context_device(ctx);
    printf("device: %s (%s %s), phase 1 validation %s; %ld runs of each model, %ld cycles\n", di->name,
           di->driver_name, di->driver_info, vka_context_validation_enabled(ctx) ? "on" : "off", runs, cycles);
    for (int m = 0; m < NMODELS; m++)
        if (!(models[m].g = load(ctx, dir, &models[m])) || !setup_outputs(&models[m]))
            return 1;
    long nsamples = runs / sample + 2, ns = 0, diff_runs = 0;
    double t_run1 = now_s();
    double *sx = calloc((size_t)nsamples, sizeof *sx), *srss = calloc((size_t)nsamples, sizeof *srss),
           *sdev = calloc((size_t)nsamples, sizeof *sdev), *sheap = calloc((size_t)nsamples, sizeof *sheap);
    double rss_built = rss_kib(), dev_built = (double)vka_context_memory_used(ctx);
    printf("RSS %.0f KiB before the context, %.0f KiB with both graphs built; device memory %.2f MiB\n", rss0,
           rss_built, dev_built / 1048576.0);
    printf("%8s %12s %12s %14s %10s\n", "run", "RSS KiB", "heap KiB", "device bytes", "seconds");
    for (long r = 1; r <= runs; r++) {
        for (int m = 0; m < NMODELS; m++) {
            model *md = &models[m];
            vka_status s = infer(md->g, md, r == 1 ? md->ref : md->cur);
            if (s) {
                check(0, "%s run %ld: %s", md->name, r, vka_context_last_error(ctx));
                return 1;
            }
            if (r > 1 && !same_outputs(md, md->ref, md->cur)) {
                if (diff_runs++ < 5)
                    printf("  %s run %ld: outputs differ from run 1\n", md->name, r);
            }
        }
        if (r == 1) {
            t_run1 = now_s();
            for (int m = 0; m < NMODELS; m++)
                report_vs_golden(&models[m]);
        }
        if (r == 1 || r % sample == 0 || r == runs) {
            sx[ns] = (double)r, srss[ns] = rss_kib(), sheap[ns] = heap_kib();
            sdev[ns] = (double)vka_context_memory_used(ctx);
            printf("%8ld %12.0f %12.0f %14.0f %10.1f\n", r, srss[ns], sheap[ns], sdev[ns], now_s() - t0);
            fflush(stdout);
            ns++;
        }
    }
    int first = 0;
    while (first < ns - 2 && sx[first] < (double)warmup)
        first++;
    double rs = 1000 * slope(sx + first, srss + first, (int)(ns - first)),
           hs = 1000 * slope(sx + first, sheap + first, (int)(ns - first)),
           ds = 1000 * slope(sx + first, sdev + first, (int)(ns - first));
    /* and over the second half alone: allocators grow in steps early on and then settle */
    int half = first + (int)(ns - first) / 2;
    double rs2 = ns - half >= 2 ? 1000 * slope(sx + half, srss + half, (int)(ns - half)) : 0,
           hs2 = ns - half >= 2 ? 1000 * slope(sx + half, sheap + half, (int)(ns - half)) : 0;
    printf("phase 1: %ld runs of each model in %.0f s (%.1f ms per pair after run 1); after run 1 -> at the end: RSS "
           "%.0f -> %.0f KiB, heap %.0f -> %.0f KiB, device memory %.0f -> %.0f bytes; slopes from run %.0f on: RSS "
           "%+.1f KiB, heap %+.1f KiB, device memory %+.0f bytes per 1000 runs; from run %.0f on: RSS %+.1f KiB, "
           "heap %+.1f KiB per 1000 runs\n",
           runs, now_s() - t0, runs > 1 ? 1000 * (now_s() - t_run1) / (double)(runs - 1) : NAN, srss[0],
           srss[ns - 1], sheap[0], sheap[ns - 1], sdev[0], sdev[ns - 1], sx[first], rs, hs, ds, sx[half], rs2, hs2);
    check(diff_runs == 0, "phase 1: every run's outputs bit-identical to run 1's (%ld runs differ)", diff_runs);
    for (int m = 0; m < NMODELS; m++)
        vka_graph_destroy(models[m].g), models[m].g = NULL;
    check(vka_context_memory_used(ctx) == dev_bare,
          "phase 1: graphs destroyed, the context holds %llu bytes of device memory (%llu before them, %.0f with them)",
          (unsigned long long)vka_context_memory_used(ctx), (unsigned long long)dev_bare, dev_built);
    vka_context_destroy(ctx);
    free(sx), free(srss), free(sdev), free(sheap);

    /* ---- phase 2: cycles */
    if (cycles > 0) {
        int cval = !(ve && !strcmp(ve, "0"));
        double *cx = calloc((size_t)cycles, sizeof *cx), *crss = calloc((size_t)cycles, sizeof *crss),
               *cheap = calloc((size_t)cycles, sizeof *cheap), *canon = calloc((size_t)cycles, sizeof *canon);
        vlog v = {0, 0, 0};
        long diff_cycles = 0, held_cycles = 0;
        double tc = now_s();
        printf("phase 2: %ld cycles of a context and %s, validation %s\n", cycles,
               cycle_graphs == 0 ? "no graph" : cycle_graphs == 1 ? "DeiT-Tiny" : "both graphs", cval ? "on" : "off");
        if (inject) {
            vlog iv = {0, 0, 0};
            vka_context *cc = make_context(cval, &iv);
            if (!cc)
                return 1;
            int made = leak_semaphore(cc);
            vka_context_destroy(cc);
            leak_free_all();
            check(made && cval && iv.leaks > 0, "phase 2: an injected leak (a VkSemaphore on the context's device, "
                  "never destroyed) is reported by the validation layer (%d reports, %d errors)", iv.leaks, iv.errors);
        }
        for (long c = 0; c < cycles; c++) {
            vka_context *cc = make_context(cval, &v);
            if (!cc)
                return 1;
            uint64_t base = vka_context_memory_used(cc);
            for (int m = 0; m < cycle_graphs; m++) {
                model *md = &models[m];
                vka_graph *g = load(cc, dir, md);
                vka_status s = g ? infer(g, md, md->cur) : VKA_ERR_INVALID_ARG;
                if (s && g)
                    check(0, "%s cycle %ld: %s", md->name, c, vka_context_last_error(cc));
                if (s)
                    return 1;
                diff_cycles += !same_outputs(md, md->ref, md->cur);
                vka_graph_destroy(g);
            }
            held_cycles += vka_context_memory_used(cc) != base;
            vka_context_destroy(cc);
            cx[c] = (double)c, crss[c] = rss_kib2(&canon[c]), cheap[c] = heap_kib();
            if (c == 0 || (c + 1) % 10 == 0 || c + 1 == cycles) {
                printf("  cycle %4ld: RSS %.0f KiB (anonymous %.0f), heap %.0f KiB, %ld mappings, %.1f s\n", c + 1,
                       crss[c], canon[c], cheap[c], map_count(), now_s() - tc);
                fflush(stdout);
            }
        }
        int cf = cycles > 10 ? 2 : 0; /* the first cycles fill caches (pipeline cache file, allocator arenas) */
        int nc = (int)(cycles - cf);
        double cs = nc >= 2 ? 100 * slope(cx + cf, crss + cf, nc) : 0,
               cas = nc >= 2 ? 100 * slope(cx + cf, canon + cf, nc) : 0,
               chs = nc >= 2 ? 100 * slope(cx + cf, cheap + cf, nc) : 0;
        int h2 = cf + nc / 2, n2 = (int)(cycles - h2);
        double cs2 = n2 >= 2 ? 100 * slope(cx + h2, crss + h2, n2) : 0,
               chs2 = n2 >= 2 ? 100 * slope(cx + h2, cheap + h2, n2) : 0;
        printf("phase 2: %ld cycles in %.0f s; after cycle 1 -> after cycle %ld: RSS %.0f -> %.0f KiB (anonymous "
               "%.0f -> %.0f), heap %.0f -> %.0f KiB; slopes from cycle %d on: RSS %+.1f KiB (anonymous %+.1f), heap "
               "%+.1f KiB per 100 cycles; from cycle %d on: RSS %+.1f KiB, heap %+.1f KiB per 100 cycles\n",
               cycles, now_s() - tc, cycles, crss[0], crss[cycles - 1], canon[0], canon[cycles - 1], cheap[0],
               cheap[cycles - 1], cf + 1, cs, cas, chs, h2 + 1, cs2, chs2);
        check(diff_cycles == 0, "phase 2: outputs of every cycle bit-identical to phase 1's (%ld differ)",
              diff_cycles);
        check(held_cycles == 0, "phase 2: device memory back to the bare context's after destroying the graphs "
              "(%ld cycles held more)", held_cycles);
        check(v.errors == 0, "phase 2: validation layer %s: %d errors, %d of them objects not destroyed",
              cval ? "on" : "OFF (VKATTN_VALIDATE=0)", v.errors, v.leaks);
        free(cx), free(crss), free(cheap), free(canon);
    }
    for (int m = 0; m < NMODELS; m++) {
        for (int i = 0; i < models[m].nout; i++)
            free(models[m].ref[i]), free(models[m].cur[i]), free((char *)models[m].out_names[i]);
        free(models[m].ref), free(models[m].cur), free(models[m].out_names), free(models[m].out_bytes);
        vka_safetensors_close(models[m].st);
    }
    printf("%s\n", failures ? "soak FAILED" : "soak passed");
    return failures ? 1 : 0;
}
