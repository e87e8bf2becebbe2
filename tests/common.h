/* SPDX-License-Identifier: MIT */
/* common.h — the test harness shared by tests/test_*.c (header-only).
 *
 *     int main(int argc, char **argv) {
 *         vka_context *ctx = vkt_init(argc, argv);          // validation from VKATTN_VALIDATE
 *         float *x = vkt_randn(n, 1.0f);                     // fresh random data, seed printed
 *         vka_tensor *t = vkt_tensor(ctx, VKA_F32, 2, shape, x);
 *         vkt_poison(out);                                    // NaN before every run
 *         ... record, submit ...
 *         vkt_compare("gemm 197x577x65 f32", got, ref_f64, n, 1e-5);
 *         return vkt_finish();                                // fails on any validation error
 *     }
 *
 * Every comparison prints relative error ‖out−ref‖/‖ref‖ and max abs error; a
 * NaN or Inf in the output never passes. The last line is "N passed, M failed".
 * VKATTN_SEED=<n> reproduces a run.
 */
#ifndef VKA_TEST_COMMON_H
#define VKA_TEST_COMMON_H

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vkattn.h"

static vka_context *vkt_ctx;
static int vkt_passed, vkt_failed;
static uint64_t vkt_rng_state;

#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#endif

static void vkt_log(void *user, int level, const char *msg)
{
    (void)user;
    fprintf(stderr, "[vkattn %s] %s\n", level == VKA_LOG_ERROR ? "error" : level == VKA_LOG_WARN ? "warn" : "info",
            msg);
}

static uint32_t vkt_rand_u32(void)
{
    /* xorshift64* */
    vkt_rng_state ^= vkt_rng_state >> 12;
    vkt_rng_state ^= vkt_rng_state << 25;
    vkt_rng_state ^= vkt_rng_state >> 27;
    return (uint32_t)((vkt_rng_state * 2685821657736338717ull) >> 32);
}

static double vkt_rand01(void) { return (vkt_rand_u32() + 0.5) / 4294967296.0; }

static float vkt_randn1(void)
{
    double u = vkt_rand01(), v = vkt_rand01();
    return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

/* n floats, normal with standard deviation sd. Caller frees. */
static float *vkt_randn(size_t n, float sd)
{
    float *x = malloc(sizeof *x * (n ? n : 1));
    for (size_t i = 0; i < n; i++)
        x[i] = sd * vkt_randn1();
    return x;
}

/* n floats uniform in [lo, hi). Caller frees. */
static float *vkt_uniform(size_t n, float lo, float hi)
{
    float *x = malloc(sizeof *x * (n ? n : 1));
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * (float)vkt_rand01();
    return x;
}

static void vkt_check(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s ", ok ? "PASS" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (ok)
        vkt_passed++;
    else
        vkt_failed++;
    fflush(stdout);
}

static vka_context *vkt_init(int argc, char **argv)
{
    (void)argc;
    const char *seed = getenv("VKATTN_SEED");
    uint64_t s = seed ? strtoull(seed, NULL, 10) : ((uint64_t)time(NULL) ^ ((uint64_t)clock() << 20));
    vkt_rng_state = s ? s : 1;
    printf("%s: seed %llu (VKATTN_SEED to reproduce)\n", argv[0], (unsigned long long)s);
    vka_context_params p = vka_context_default_params();
    p.log = vkt_log;
    p.log_level = VKA_LOG_WARN;
    vkt_ctx = vka_context_create(&p);
    if (!vkt_ctx) {
        fprintf(stderr, "FAIL context: %s\n", vka_last_error());
        exit(1);
    }
    const vka_device_info *d = vka_context_device(vkt_ctx);
    printf("device: %s (%s %s), validation %s\n", d->name, d->driver_name, d->driver_info,
           vka_context_validation_enabled(vkt_ctx) ? "on" : "off");
    return vkt_ctx;
}

/* A context whose cooperative-matrix kernels run with their matrix operations
 * emulated (VKATTN_COOPMAT=emulate while it is created: the tiling, offsets
 * and epilogues NVIDIA devices run, tested on any device), logging to log at
 * level. NULL with vka_last_error() set when it cannot be made. */
static vka_context *vkt_context_coopmat_emulated(void (*log)(void *, int, const char *), int level)
{
    setenv("VKATTN_COOPMAT", "emulate", 1);
    vka_context_params p = vka_context_default_params();
    p.log = log;
    p.log_level = level;
    vka_context *c = vka_context_create(&p);
    unsetenv("VKATTN_COOPMAT");
    return c;
}

static int vkt_finish(void)
{
    if (vkt_ctx) {
        int verr = vka_context_validation_errors(vkt_ctx);
        if (vka_context_validation_enabled(vkt_ctx))
            vkt_check(verr == 0, "validation layer: %d errors", verr);
        vka_context_destroy(vkt_ctx);
        vkt_ctx = NULL;
    }
    printf("%d passed, %d failed\n", vkt_passed, vkt_failed);
    return vkt_failed ? 1 : 0;
}

/* ---------------------------------------------------------------- f16 */

static uint16_t vkt_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t e = (x >> 23) & 0xffu;
    uint32_t m = x & 0x7fffffu;
    if (e == 0xff)
        return (uint16_t)(sign | 0x7c00u | (m ? 0x200u : 0));
    int32_t ne = (int32_t)e - 127 + 15;
    if (ne >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (ne <= 0) {
        if (ne < -10)
            return (uint16_t)sign;
        m |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - ne);
        uint32_t hm = m >> shift;
        uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (hm & 1)))
            hm++;
        return (uint16_t)(sign | hm);
    }
    uint32_t hm = m >> 13, rem = m & 0x1fffu;
    uint32_t h = sign | ((uint32_t)ne << 10) | hm;
    if (rem > 0x1000u || (rem == 0x1000u && (hm & 1)))
        h++;
    return (uint16_t)h;
}

static float vkt_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu, x;
    if (e == 0) {
        if (m == 0)
            x = sign;
        else {
            e = 127 - 15 + 1;
            while (!(m & 0x400u)) {
                m <<= 1;
                e--;
            }
            x = sign | (e << 23) | ((m & 0x3ffu) << 13);
        }
    } else if (e == 31)
        x = sign | 0x7f800000u | (m << 13);
    else
        x = sign | ((e - 15 + 127) << 23) | (m << 13);
    float f;
    memcpy(&f, &x, 4);
    return f;
}

/* Rounds host data through f16 in place (so a reference sees what the GPU sees). */
static void vkt_round_f16(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = vkt_f16_to_f32(vkt_f32_to_f16(x[i]));
}

/* ---------------------------------------------------------------- tensors */

/* Uploads float data (converted for F16, I32) into tensor t. */
static void vkt_upload(vka_tensor *t, const float *data)
{
    size_t n = (size_t)vka_tensor_numel(t);
    vka_status s;
    if (vka_tensor_dtype(t) == VKA_F32) {
        s = vka_tensor_upload(t, data, n * 4);
    } else if (vka_tensor_dtype(t) == VKA_F16) {
        uint16_t *h = malloc(2 * (n ? n : 1));
        for (size_t i = 0; i < n; i++)
            h[i] = vkt_f32_to_f16(data[i]);
        s = vka_tensor_upload(t, h, n * 2);
        free(h);
    } else {
        int32_t *v = malloc(4 * (n ? n : 1));
        for (size_t i = 0; i < n; i++)
            v[i] = (int32_t)data[i];
        s = vka_tensor_upload(t, v, n * 4);
        free(v);
    }
    if (s) {
        fprintf(stderr, "FAIL upload: %s\n", vka_context_last_error(vkt_ctx));
        exit(1);
    }
}

static vka_tensor *vkt_tensor(vka_context *ctx, vka_dtype dt, int ndim, const int64_t *shape, const float *data)
{
    vka_tensor *t = vka_tensor_create(ctx, dt, ndim, shape);
    if (!t) {
        fprintf(stderr, "FAIL tensor_create: %s\n", vka_context_last_error(ctx));
        exit(1);
    }
    if (data)
        vkt_upload(t, data);
    return t;
}

/* Downloads t as floats into a new array (caller frees). */
static float *vkt_download(const vka_tensor *t)
{
    size_t n = (size_t)vka_tensor_numel(t);
    float *out = malloc(sizeof *out * (n ? n : 1));
    vka_status s;
    if (vka_tensor_dtype(t) == VKA_F32) {
        s = vka_tensor_download(t, out, n * 4);
    } else if (vka_tensor_dtype(t) == VKA_F16) {
        uint16_t *h = malloc(2 * (n ? n : 1));
        s = vka_tensor_download(t, h, n * 2);
        for (size_t i = 0; i < n; i++)
            out[i] = vkt_f16_to_f32(h[i]);
        free(h);
    } else {
        int32_t *v = malloc(4 * (n ? n : 1));
        s = vka_tensor_download(t, v, n * 4);
        for (size_t i = 0; i < n; i++)
            out[i] = (float)v[i];
        free(v);
    }
    if (s) {
        fprintf(stderr, "FAIL download: %s\n", vka_context_last_error(vkt_ctx));
        exit(1);
    }
    return out;
}

/* Exact int32 transfers (vkt_upload/vkt_download go through float, which
 * rounds beyond 2^24). */
static void vkt_upload_i32(vka_tensor *t, const int32_t *v)
{
    if (vka_tensor_upload(t, v, (size_t)vka_tensor_numel(t) * 4)) {
        fprintf(stderr, "FAIL upload: %s\n", vka_context_last_error(vkt_ctx));
        exit(1);
    }
}

static int32_t *vkt_download_i32(const vka_tensor *t)
{
    size_t n = (size_t)vka_tensor_numel(t);
    int32_t *v = malloc(4 * (n ? n : 1));
    if (vka_tensor_download(t, v, n * 4)) {
        fprintf(stderr, "FAIL download: %s\n", vka_context_last_error(vkt_ctx));
        exit(1);
    }
    return v;
}

/* n int32 of mixed magnitudes: a quarter in [-20, 20], a quarter in ±2^15,
 * the rest in [-2^30, 2^30], the ends included. Caller frees. */
static int32_t *vkt_rand_i32(size_t n)
{
    int32_t *v = malloc(4 * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        uint32_t r = vkt_rand_u32(), k = r & 3;
        int64_t span = k == 0 ? 20 : k == 1 ? 1 << 15 : 1 << 30;
        v[i] = (int32_t)((int64_t)(vkt_rand_u32() % (uint64_t)(2 * span + 1)) - span);
    }
    return v;
}

/* Fills t so unwritten outputs show: NaN in f32/f16 (0xff.. bytes); INT32_MAX
 * in i32, where 0xffffffff would be -1, an everyday result of index math. */
static void vkt_poison(vka_tensor *t)
{
    size_t bytes = vka_tensor_bytes(t);
    uint8_t *p = malloc(bytes ? bytes : 1);
    memset(p, 0xff, bytes); /* 0xffffffff is a NaN in f32, 0xffff in f16 */
    if (vka_tensor_dtype(t) == VKA_I32)
        for (size_t i = 0; i + 4 <= bytes; i += 4)
            p[i + 3] = 0x7f; /* little-endian INT32_MAX */
    vka_tensor_upload(t, p, bytes);
    free(p);
}

/* A tensor of the given shape as a view at element `off` of a larger,
 * poisoned one (*base, for the caller to destroy after the view): kernels see
 * a descriptor offset and an element remainder. data, if not NULL, fills it. */
static vka_tensor *vkt_tensor_at(vka_context *ctx, vka_dtype dt, int ndim, const int64_t *shape, int64_t off,
                                 const float *data, vka_tensor **base)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    n += off;
    *base = vkt_tensor(ctx, dt, 1, &n, NULL);
    vkt_poison(*base);
    vka_tensor *t = vka_tensor_view(*base, off, ndim, shape);
    if (!t) {
        fprintf(stderr, "FAIL tensor_view: %s\n", vka_context_last_error(ctx));
        exit(1);
    }
    if (data)
        vkt_upload(t, data);
    return t;
}

/* Records nothing itself: ends, submits and checks the command. */
static void vkt_run(vka_cmd *cmd)
{
    vka_status s = vka_cmd_end(cmd);
    if (!s)
        s = vka_cmd_submit(cmd);
    if (s) {
        fprintf(stderr, "FAIL run: %s: %s\n", vka_status_str(s), vka_context_last_error(vkt_ctx));
        exit(1);
    }
}

/* Compares out against a float64 reference: relative L2 error and max abs error. */
static int vkt_compare(const char *what, const float *out, const double *ref, size_t n, double tol)
{
    double num = 0, den = 0, maxabs = 0;
    size_t bad = 0, first_bad = 0;
    for (size_t i = 0; i < n; i++) {
        double o = out[i];
        if (!isfinite(o)) {
            if (!bad++)
                first_bad = i;
            continue;
        }
        double d = o - ref[i];
        num += d * d;
        den += ref[i] * ref[i];
        if (fabs(d) > maxabs)
            maxabs = fabs(d);
    }
    double rel = den > 0 ? sqrt(num / den) : sqrt(num);
    int ok = bad == 0 && rel < tol;
    if (bad)
        vkt_check(0, "%s: %zu non-finite outputs (first at %zu)", what, bad, first_bad);
    else
        vkt_check(ok, "%s: rel err %.3e (tol %.0e), max abs %.3e, n=%zu", what, rel, tol, maxabs, n);
    return ok;
}

/* For outputs that are sums of terms which may cancel (reductions, dot
 * products): the error of each element measured against the magnitude of the
 * terms that make it, mag[i] = sum |term| (>= |ref[i]|), not against the value
 * itself, which zero-mean data puts near zero; an error there is rounding of
 * the terms, not a wrong result. Reports ||out-ref|| / ||mag|| and, for
 * comparison, the plain relative error and the max abs error. */
static int vkt_compare_terms(const char *what, const float *out, const double *ref, const double *mag, size_t n,
                             double tol)
{
    double num = 0, den = 0, dref = 0, maxabs = 0;
    size_t bad = 0, first_bad = 0;
    for (size_t i = 0; i < n; i++) {
        double o = out[i];
        if (!isfinite(o)) {
            if (!bad++)
                first_bad = i;
            continue;
        }
        double d = o - ref[i], m = fabs(mag[i]) > fabs(ref[i]) ? fabs(mag[i]) : fabs(ref[i]);
        num += d * d;
        den += m * m;
        dref += ref[i] * ref[i];
        if (fabs(d) > maxabs)
            maxabs = fabs(d);
    }
    double rel = den > 0 ? sqrt(num / den) : sqrt(num);
    int ok = bad == 0 && rel < tol;
    if (bad)
        vkt_check(0, "%s: %zu non-finite outputs (first at %zu)", what, bad, first_bad);
    else
        vkt_check(ok, "%s: err %.3e of the terms' magnitude (tol %.0e; rel err %.3e), max abs %.3e, n=%zu", what, rel,
                  tol, dref > 0 ? sqrt(num / dref) : sqrt(num), maxabs, n);
    return ok;
}

/* Checks that an expected error came back with a message containing `needle`. */
static void vkt_expect_error(const char *what, vka_status got, vka_status want, const char *needle)
{
    const char *msg = vka_context_last_error(vkt_ctx);
    int ok = got == want && (!needle || strstr(msg, needle) != NULL);
    vkt_check(ok, "%s: status %s (want %s), message \"%s\"", what, vka_status_str(got), vka_status_str(want), msg);
}

/* ---------------------------------------------------------------- assets */

/* Path of an asset under VKATTN_ASSETS (default ../shared/assets next to the
 * source tree). Returns NULL after printing SKIP when absent, unless
 * VKATTN_REQUIRE_ASSETS=1, which makes a missing asset a failure. */
static const char *vkt_asset(const char *rel)
{
    static char path[4096];
    const char *dir = getenv("VKATTN_ASSETS");
#ifdef VKA_SOURCE_DIR
    if (!dir || !*dir)
        dir = VKA_SOURCE_DIR "/../shared/assets";
#endif
    if (!dir)
        dir = "../shared/assets";
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "rb");
    if (f) {
        fclose(f);
        return path;
    }
    const char *req = getenv("VKATTN_REQUIRE_ASSETS");
    if (req && strcmp(req, "1") == 0)
        vkt_check(0, "asset %s is missing (VKATTN_REQUIRE_ASSETS=1; see scripts/get-assets.sh)", path);
    else
        printf("SKIP asset %s is missing (set VKATTN_ASSETS; see scripts/get-assets.sh)\n", path);
    return NULL;
}

#endif
