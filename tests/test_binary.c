/* SPDX-License-Identifier: MIT */
/* test_binary.c — vka_binary: every op on f32 and f16 storage against a
 * float64 reference, with numpy broadcasting on every axis (ranks 0 to 8,
 * scalars, rows, [3,1,5,1] op [1,4,1,7]), unaligned views, in-place outputs,
 * a chain that needs a barrier, and the error paths. The same on i32 against
 * an exact int64 reference: magnitudes up to 2^30, wrapping, division toward
 * zero and by zero, a DEIM-style label/query split of TopK indices. */
#include "common.h"

static const char *OPS[] = {"add", "sub", "mul", "div", "pow", "max", "min"};

static double ref_op(int op, double a, double b)
{
    switch (op) {
    case VKA_ADD: return a + b;
    case VKA_SUB: return a - b;
    case VKA_MUL: return a * b;
    case VKA_DIV: return a / b;
    case VKA_POW: return pow(a, b);
    case VKA_MAX: return a > b ? a : b;
    default: return a < b ? a : b;
    }
}

/* Inputs each op is defined on: pow with positive bases, div away from 0. */
static float *make_input(int op, int which, size_t n)
{
    if (op == VKA_POW)
        return which == 0 ? vkt_uniform(n, 0.3f, 2.5f) : vkt_uniform(n, -2.0f, 2.0f);
    if (op == VKA_DIV && which == 1) {
        float *x = vkt_uniform(n, 0.5f, 2.0f);
        for (size_t i = 0; i < n; i++)
            if (vkt_rand_u32() & 1)
                x[i] = -x[i];
        return x;
    }
    return vkt_randn(n, 1.0f);
}

static int64_t numel(int r, const int64_t *s)
{
    int64_t n = 1;
    for (int i = 0; i < r; i++)
        n *= s[i];
    return n;
}

/* Flat index into an operand of rank r (aligned at the last axis, size-1 axes
 * broadcast) for the output multi-index idx of rank R. */
static int64_t bcast_index(int R, const int64_t *idx, int r, const int64_t *s)
{
    int64_t f = 0;
    for (int k = 0; k < r; k++) {
        int64_t i = s[k] == 1 ? 0 : idx[k + R - r];
        f = f * s[k] + i;
    }
    return f;
}

static void fmt_shape(char *buf, size_t n, int r, const int64_t *s)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < r; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ",%lld" : "%lld", (long long)s[i]);
    snprintf(buf + k, n - k, "]");
}

enum { OUT_NEW = 0, OUT_IN_A = 1, OUT_IN_B = 2, OUT_VIEWS = 3 };

static void run_case(vka_context *ctx, vka_dtype dt, int op, int ra, const int64_t *sa, int rb, const int64_t *sb,
                     int where)
{
    int R = ra > rb ? ra : rb;
    int64_t sy[VKA_MAX_DIMS];
    for (int k = 0; k < R; k++) {
        int ka = k - (R - ra), kb = k - (R - rb);
        int64_t na = ka >= 0 ? sa[ka] : 1, nb = kb >= 0 ? sb[kb] : 1;
        sy[k] = na == 1 ? nb : na;
    }
    size_t na = (size_t)numel(ra, sa), nb = (size_t)numel(rb, sb), ny = (size_t)numel(R, sy);
    float *ha = make_input(op, 0, na), *hb = make_input(op, 1, nb);
    if (dt == VKA_F16) {
        vkt_round_f16(ha, na);
        vkt_round_f16(hb, nb);
    }
    double *ref = malloc(sizeof *ref * ny);
    int64_t idx[VKA_MAX_DIMS] = {0};
    for (size_t i = 0; i < ny; i++) {
        int64_t rem = (int64_t)i;
        for (int k = R - 1; k >= 0; k--) {
            idx[k] = rem % sy[k];
            rem /= sy[k];
        }
        ref[i] = ref_op(op, ha[bcast_index(R, idx, ra, sa)], hb[bcast_index(R, idx, rb, sb)]);
    }

    vka_tensor *a, *b, *y, *pa = NULL, *pb = NULL, *py = NULL;
    if (where == OUT_VIEWS) {
        /* views 1, 3 and 5 elements into larger parents: unaligned descriptor offsets */
        int64_t n1 = (int64_t)na + 7, n2 = (int64_t)nb + 7, n3 = (int64_t)ny + 7;
        pa = vkt_tensor(ctx, dt, 1, &n1, NULL);
        pb = vkt_tensor(ctx, dt, 1, &n2, NULL);
        py = vkt_tensor(ctx, dt, 1, &n3, NULL);
        a = vka_tensor_view(pa, 1, ra, sa);
        b = vka_tensor_view(pb, 3, rb, sb);
        y = vka_tensor_view(py, 5, R, sy);
        vkt_upload(a, ha);
        vkt_upload(b, hb);
        vkt_poison(py);
    } else {
        a = vkt_tensor(ctx, dt, ra, sa, ha);
        b = vkt_tensor(ctx, dt, rb, sb, hb);
        y = where == OUT_IN_A ? a : where == OUT_IN_B ? b : vkt_tensor(ctx, dt, R, sy, NULL);
        if (where == OUT_NEW)
            vkt_poison(y);
    }
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_binary(cmd, (vka_binary_op)op, a, b, y);
    char what[256], s1[64], s2[64];
    fmt_shape(s1, sizeof s1, ra, sa);
    fmt_shape(s2, sizeof s2, rb, sb);
    static const char *WHERE[] = {"", " y=a", " y=b", " views"};
    snprintf(what, sizeof what, "%s %s %s %s%s", OPS[op], vka_dtype_str(dt), s1, s2, WHERE[where]);
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        float *got = vkt_download(y);
        vkt_compare(what, got, ref, ny, dt == VKA_F16 ? 5e-3 : 1e-5);
        free(got);
    }
    vka_cmd_destroy(cmd);
    if (where == OUT_NEW || where == OUT_VIEWS)
        vka_tensor_destroy(y);
    vka_tensor_destroy(a);
    vka_tensor_destroy(b);
    vka_tensor_destroy(pa);
    vka_tensor_destroy(pb);
    vka_tensor_destroy(py);
    free(ha), free(hb), free(ref);
}

/* ((x + b) * x) - x with the second and third steps reading the first's output */
static void test_chain(vka_context *ctx)
{
    int64_t s[2] = {61, 129}, sb[1] = {129};
    size_t n = 61 * 129;
    float *hx = vkt_randn(n, 1.0f), *hb = vkt_randn(129, 1.0f);
    double *ref = malloc(sizeof *ref * n);
    for (size_t i = 0; i < n; i++) {
        double t = (double)hx[i] + hb[i % 129];
        ref[i] = t * hx[i] - hx[i];
    }
    vka_tensor *x = vkt_tensor(ctx, VKA_F32, 2, s, hx), *b = vkt_tensor(ctx, VKA_F32, 1, sb, hb);
    vka_tensor *t = vkt_tensor(ctx, VKA_F32, 2, s, NULL), *y = vkt_tensor(ctx, VKA_F32, 2, s, NULL);
    vkt_poison(t);
    vkt_poison(y);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_binary(cmd, VKA_ADD, x, b, t);
    vka_binary(cmd, VKA_MUL, t, x, t);
    vka_binary(cmd, VKA_SUB, t, x, y);
    vkt_run(cmd);
    float *got = vkt_download(y);
    vkt_compare("chain (x+b)*x-x with in-place middle step", got, ref, n, 1e-5);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(b), vka_tensor_destroy(t), vka_tensor_destroy(y);
    free(hx), free(hb), free(ref), free(got);
}

/* pow where GLSL's pow is undefined (base <= 0) follows numpy: odd integer
 * exponents keep the sign, even ones drop it, x^0 = 1, fractional -> NaN */
static void test_pow_signs(vka_context *ctx)
{
    static const float a[] = {-2.0f, -2.0f, -3.0f, 0.0f, -5.0f, 0.0f, -1.5f, 2.0f, -0.5f};
    static const float b[] = {3.0f, 2.0f, -1.0f, 0.0f, 0.0f, 2.5f, 0.5f, -2.0f, -3.0f};
    static const double want[] = {-8.0, 4.0, -1.0 / 3.0, 1.0, 1.0, 0.0, NAN, 0.25, -8.0};
    int64_t n = 9;
    vka_tensor *ta = vkt_tensor(ctx, VKA_F32, 1, &n, a), *tb = vkt_tensor(ctx, VKA_F32, 1, &n, b);
    vka_tensor *ty = vkt_tensor(ctx, VKA_F32, 1, &n, NULL);
    vkt_poison(ty);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_binary(cmd, VKA_POW, ta, tb, ty);
    vkt_run(cmd);
    float *got = vkt_download(ty);
    int ok = 1;
    for (int i = 0; i < n; i++)
        ok &= isnan(want[i]) ? isnan(got[i]) : fabs(got[i] - want[i]) <= 1e-6 * fabs(want[i]);
    vkt_check(ok, "pow signs: (-2)^3=%g (-2)^2=%g (-3)^-1=%g 0^0=%g (-5)^0=%g 0^2.5=%g (-1.5)^0.5=%g 2^-2=%g "
              "(-0.5)^-3=%g", got[0], got[1], got[2], got[3], got[4], got[5], got[6], got[7], got[8]);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(ta), vka_tensor_destroy(tb), vka_tensor_destroy(ty);
    free(got);
}

static void test_errors(vka_context *ctx)
{
    int64_t s23[2] = {2, 3}, s4[1] = {4}, s6[1] = {6}, s5[1] = {5};
    vka_tensor *a = vkt_tensor(ctx, VKA_F32, 2, s23, NULL), *b = vkt_tensor(ctx, VKA_F32, 1, s4, NULL);
    vka_tensor *y = vkt_tensor(ctx, VKA_F32, 2, s23, NULL), *h = vkt_tensor(ctx, VKA_F16, 2, s23, NULL);
    vka_tensor *big = vkt_tensor(ctx, VKA_F32, 1, s6, NULL);
    vka_tensor_set_name(a, "alpha");
    vka_tensor_set_name(b, "beta");
    vka_tensor_set_name(y, "out");
    vka_tensor_set_name(h, "half");
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_binary(cmd, VKA_ADD, a, b, y);
    vkt_expect_error("broadcast [2,3] with [4]", s, VKA_ERR_SHAPE, "cannot broadcast a \"alpha\" [2, 3] with b \"beta\" [4] (axis -1: 3 vs 4)");
    vkt_expect_error("wrong y shape", vka_binary(cmd, VKA_ADD, a, a, b), VKA_ERR_SHAPE, "beta");
    vkt_expect_error("dtype mismatch", vka_binary(cmd, VKA_MUL, a, h, y), VKA_ERR_SHAPE, "half");
    vkt_expect_error("NULL b", vka_binary(cmd, VKA_MUL, a, NULL, y), VKA_ERR_INVALID_ARG, "b is NULL");
    vkt_expect_error("bad op", vka_binary(cmd, (vka_binary_op)99, a, a, y), VKA_ERR_INVALID_ARG, "99");
    vkt_expect_error("NULL cmd", vka_binary(NULL, VKA_ADD, a, a, y), VKA_ERR_INVALID_ARG, NULL);
    /* y shifted one element against a: an in-place that would read overwritten data */
    vka_tensor *v0 = vka_tensor_view(big, 0, 1, s5), *v1 = vka_tensor_view(big, 1, 1, s5);
    vka_tensor_set_name(v1, "shifted");
    vkt_expect_error("partial overlap", vka_binary(cmd, VKA_ADD, v0, v0, v1), VKA_ERR_INVALID_ARG, "shifted");
    /* y over b where b broadcasts: later rows would read b after row 0 overwrote it */
    int64_t s34[2] = {3, 4};
    vka_tensor *m = vkt_tensor(ctx, VKA_F32, 2, s34, NULL);
    vka_tensor *bc = vka_tensor_view(m, 0, 1, s4);
    vka_tensor_set_name(bc, "bcast");
    vkt_expect_error("y over a broadcast b", vka_binary(cmd, VKA_ADD, m, bc, m), VKA_ERR_INVALID_ARG, "bcast");
    vka_cmd_end(cmd);
    /* still usable */
    vka_cmd_begin(cmd);
    s = vka_binary(cmd, VKA_ADD, a, a, y);
    vkt_check(s == VKA_OK, "usable after errors: %s", vka_status_str(s));
    vkt_run(cmd);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(v0), vka_tensor_destroy(v1), vka_tensor_destroy(bc);
    vka_tensor_destroy(m), vka_tensor_destroy(big);
    vka_tensor_destroy(a), vka_tensor_destroy(b), vka_tensor_destroy(y), vka_tensor_destroy(h);
}

/* ---------------------------------------------------------------- i32 */

/* int64 math wrapped to int32 the way the kernels define it: two's complement
 * modulo 2^32, division toward zero, x / 0 = 0. */
static int32_t wrap32(int64_t r)
{
    uint32_t u = (uint32_t)((uint64_t)r & 0xffffffffu);
    return u >= 0x80000000u ? (int32_t)((int64_t)u - 4294967296) : (int32_t)u;
}

static int32_t ref_i32(int op, int32_t a, int32_t b)
{
    int64_t x = a, z = b;
    switch (op) {
    case VKA_ADD: return wrap32(x + z);
    case VKA_SUB: return wrap32(x - z);
    case VKA_MUL: return wrap32(x * z);
    case VKA_DIV: return z ? wrap32(x / z) : 0;
    case VKA_MAX: return a > b ? a : b;
    default: return a < b ? a : b;
    }
}

/* Exact comparison; names the first mismatch. */
static void check_i32(const char *what, const int32_t *got, const int32_t *want, const int32_t *ia,
                      const int32_t *ib, size_t n)
{
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i] && !bad++)
            first = i;
    if (bad)
        vkt_check(0, "%s: %zu of %zu wrong, first at %zu: %d op %d gave %d, want %d", what, bad, n, first,
                  ia ? ia[first] : 0, ib ? ib[first] : 0, got[first], want[first]);
    else
        vkt_check(1, "%s: exact, n=%zu", what, n);
}

static void run_case_i32(vka_context *ctx, int op, int ra, const int64_t *sa, int rb, const int64_t *sb, int where)
{
    int R = ra > rb ? ra : rb;
    int64_t sy[VKA_MAX_DIMS];
    for (int k = 0; k < R; k++) {
        int ka = k - (R - ra), kb = k - (R - rb);
        int64_t na = ka >= 0 ? sa[ka] : 1, nb = kb >= 0 ? sb[kb] : 1;
        sy[k] = na == 1 ? nb : na;
    }
    size_t na = (size_t)numel(ra, sa), nb = (size_t)numel(rb, sb), ny = (size_t)numel(R, sy);
    int32_t *ha = vkt_rand_i32(na), *hb = vkt_rand_i32(nb);
    if (op == VKA_DIV)
        for (size_t i = 0; i < nb; i++)
            if (vkt_rand_u32() % 16 == 0)
                hb[i] = 0; /* x / 0 = 0 */
    int32_t *ref = malloc(4 * ny), *xa = malloc(4 * ny), *xb = malloc(4 * ny);
    int64_t idx[VKA_MAX_DIMS] = {0};
    for (size_t i = 0; i < ny; i++) {
        int64_t rem = (int64_t)i;
        for (int k = R - 1; k >= 0; k--) {
            idx[k] = rem % sy[k];
            rem /= sy[k];
        }
        xa[i] = ha[bcast_index(R, idx, ra, sa)];
        xb[i] = hb[bcast_index(R, idx, rb, sb)];
        ref[i] = ref_i32(op, xa[i], xb[i]);
    }

    vka_tensor *a, *b, *y, *pa = NULL, *pb = NULL, *py = NULL;
    if (where == OUT_VIEWS) {
        int64_t n1 = (int64_t)na + 7, n2 = (int64_t)nb + 7, n3 = (int64_t)ny + 7;
        pa = vkt_tensor(ctx, VKA_I32, 1, &n1, NULL);
        pb = vkt_tensor(ctx, VKA_I32, 1, &n2, NULL);
        py = vkt_tensor(ctx, VKA_I32, 1, &n3, NULL);
        a = vka_tensor_view(pa, 1, ra, sa);
        b = vka_tensor_view(pb, 3, rb, sb);
        y = vka_tensor_view(py, 5, R, sy);
        vkt_poison(py);
    } else {
        a = vkt_tensor(ctx, VKA_I32, ra, sa, NULL);
        b = vkt_tensor(ctx, VKA_I32, rb, sb, NULL);
        y = where == OUT_IN_A ? a : where == OUT_IN_B ? b : vkt_tensor(ctx, VKA_I32, R, sy, NULL);
        if (where == OUT_NEW)
            vkt_poison(y);
    }
    vkt_upload_i32(a, ha);
    vkt_upload_i32(b, hb);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_binary(cmd, (vka_binary_op)op, a, b, y);
    char what[256], s1[64], s2[64];
    fmt_shape(s1, sizeof s1, ra, sa);
    fmt_shape(s2, sizeof s2, rb, sb);
    static const char *WHERE[] = {"", " y=a", " y=b", " views"};
    snprintf(what, sizeof what, "%s i32 %s %s%s", OPS[op], s1, s2, WHERE[where]);
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        int32_t *got = vkt_download_i32(y);
        check_i32(what, got, ref, xa, xb, ny);
        free(got);
    }
    vka_cmd_destroy(cmd);
    if (where == OUT_NEW || where == OUT_VIEWS)
        vka_tensor_destroy(y);
    vka_tensor_destroy(a), vka_tensor_destroy(b);
    vka_tensor_destroy(pa), vka_tensor_destroy(pb), vka_tensor_destroy(py);
    free(ha), free(hb), free(ref), free(xa), free(xb);
}

/* Division and wrapping at the edges, against values written out by hand
 * rather than by ref_i32, so the reference cannot share a mistake. */
static void test_i32_edges(vka_context *ctx)
{
    enum { N = 16 };
    static const int32_t a[N] = {7, -7, 7, -7, 0, 5, INT32_MIN, INT32_MIN, INT32_MIN, INT32_MAX,
                                 -1, 1, -(1 << 30), 0, -6, 1 << 30};
    static const int32_t b[N] = {2, 2, -2, -2, 3, 0, -1, 1, INT32_MIN, -1,
                                 0, INT32_MIN, 3, 0, 3, -(1 << 30)};
    static const int32_t want_div[N] = {3, -3, -3, 3, 0, 0, INT32_MIN, INT32_MIN, 1, -INT32_MAX,
                                        0, 0, -357913941, 0, -2, -1};
    /* modulo 2^32: INT32_MIN + -1 ≡ INT32_MAX, 2^30 · -2^30 ≡ 0, INT32_MIN · -1 ≡ INT32_MIN */
    static const int32_t want_add[N] = {9, -5, 5, -9, 3, 5, INT32_MAX, INT32_MIN + 1, 0, INT32_MAX - 1,
                                        -1, INT32_MIN + 1, -(1 << 30) + 3, 0, -3, 0};
    static const int32_t want_mul[N] = {14, -14, -14, 14, 0, 0, INT32_MIN, INT32_MIN, 0, -INT32_MAX,
                                        0, INT32_MIN, 1 << 30 /* -3·2^30 */, 0, -18, 0};
    int64_t n = N;
    vka_tensor *ta = vkt_tensor(ctx, VKA_I32, 1, &n, NULL), *tb = vkt_tensor(ctx, VKA_I32, 1, &n, NULL);
    vka_tensor *ty = vkt_tensor(ctx, VKA_I32, 1, &n, NULL);
    vkt_upload_i32(ta, a);
    vkt_upload_i32(tb, b);
    const int ops[3] = {VKA_DIV, VKA_ADD, VKA_MUL};
    const int32_t *want[3] = {want_div, want_add, want_mul};
    for (int k = 0; k < 3; k++) {
        vkt_poison(ty);
        vka_cmd *cmd = vka_cmd_create(ctx);
        vka_cmd_begin(cmd);
        vka_binary(cmd, (vka_binary_op)ops[k], ta, tb, ty);
        vkt_run(cmd);
        int32_t *got = vkt_download_i32(ty);
        char what[64];
        snprintf(what, sizeof what, "i32 %s edges (toward zero, /0, INT32_MIN, wrap)", OPS[ops[k]]);
        check_i32(what, got, want[k], a, b, N);
        free(got);
        vka_cmd_destroy(cmd);
    }
    vka_tensor_destroy(ta), vka_tensor_destroy(tb), vka_tensor_destroy(ty);
}

/* DEIM-style postprocess: TopK over [Q·C] flattened scores gives indices;
 * label = idx mod C and query = idx / C, with Mod as idx - (idx / C)·C. */
static void test_i32_topk_split(vka_context *ctx)
{
    const int32_t C = 80, Q = 300;
    int64_t sidx[2] = {2, 300}, s1 = 1;
    size_t n = 600;
    int32_t *idx = malloc(4 * n);
    for (size_t i = 0; i < n; i++)
        idx[i] = (int32_t)(vkt_rand_u32() % (uint32_t)(Q * C));
    vka_tensor *ti = vkt_tensor(ctx, VKA_I32, 2, sidx, NULL), *tc = vkt_tensor(ctx, VKA_I32, 1, &s1, NULL);
    vka_tensor *q = vkt_tensor(ctx, VKA_I32, 2, sidx, NULL), *lab = vkt_tensor(ctx, VKA_I32, 2, sidx, NULL);
    vkt_upload_i32(ti, idx);
    vkt_upload_i32(tc, &C);
    vkt_poison(q);
    vkt_poison(lab);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_binary(cmd, VKA_DIV, ti, tc, q);
    vka_binary(cmd, VKA_MUL, q, tc, lab);
    vka_binary(cmd, VKA_SUB, ti, lab, lab);
    vkt_run(cmd);
    int32_t *gq = vkt_download_i32(q), *gl = vkt_download_i32(lab);
    int32_t *wq = malloc(4 * n), *wl = malloc(4 * n);
    for (size_t i = 0; i < n; i++) {
        wq[i] = idx[i] / C;
        wl[i] = idx[i] % C;
    }
    check_i32("i32 topk split: query = idx / 80", gq, wq, idx, NULL, n);
    check_i32("i32 topk split: label = idx - (idx / 80) * 80, in place", gl, wl, idx, NULL, n);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(ti), vka_tensor_destroy(tc), vka_tensor_destroy(q), vka_tensor_destroy(lab);
    free(idx), free(gq), free(gl), free(wq), free(wl);
}

static void test_i32_errors(vka_context *ctx)
{
    int64_t s23[2] = {2, 3}, s4[1] = {4};
    vka_tensor *ia = vkt_tensor(ctx, VKA_I32, 2, s23, NULL), *ib = vkt_tensor(ctx, VKA_I32, 1, s4, NULL);
    vka_tensor *iy = vkt_tensor(ctx, VKA_I32, 2, s23, NULL), *f = vkt_tensor(ctx, VKA_F32, 2, s23, NULL);
    vka_tensor *u = vkt_tensor(ctx, VKA_U8, 2, s23, NULL);
    vka_tensor_set_name(ia, "topk_idx");
    vka_tensor_set_name(ib, "ibeta");
    vka_tensor_set_name(iy, "iout");
    vka_tensor_set_name(f, "scores");
    vka_tensor_set_name(u, "mask");
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vkt_expect_error("i32 pow", vka_binary(cmd, VKA_POW, ia, ia, iy), VKA_ERR_UNSUPPORTED, "pow on i32");
    vkt_expect_error("i32 a, f32 b", vka_binary(cmd, VKA_DIV, ia, f, iy), VKA_ERR_SHAPE,
                     "a \"topk_idx\" [2, 3] is i32 but b \"scores\" [2, 3] is f32");
    vkt_expect_error("f32 a, i32 b", vka_binary(cmd, VKA_MUL, f, ia, f), VKA_ERR_SHAPE, "topk_idx");
    vkt_expect_error("i32 a/b, f32 y", vka_binary(cmd, VKA_ADD, ia, ia, f), VKA_ERR_SHAPE, "scores");
    vkt_expect_error("u8 operand", vka_binary(cmd, VKA_ADD, u, u, u), VKA_ERR_SHAPE, "f32, f16 or i32 expected");
    vkt_expect_error("i32 broadcast [2,3] with [4]", vka_binary(cmd, VKA_SUB, ia, ib, iy), VKA_ERR_SHAPE,
                     "cannot broadcast a \"topk_idx\" [2, 3] with b \"ibeta\" [4]");
    vka_cmd_end(cmd);
    vka_cmd_begin(cmd);
    vka_status s = vka_binary(cmd, VKA_ADD, ia, ia, iy);
    vkt_check(s == VKA_OK, "i32 usable after errors: %s", vka_status_str(s));
    vkt_run(cmd);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(ia), vka_tensor_destroy(ib), vka_tensor_destroy(iy), vka_tensor_destroy(f);
    vka_tensor_destroy(u);
}

static void test_i32(vka_context *ctx)
{
    for (int op = 0; op < VKA_BINARY_COUNT; op++) {
        if (op == VKA_POW)
            continue;
        run_case_i32(ctx, op, 2, (int64_t[]){37, 53}, 2, (int64_t[]){37, 53}, OUT_NEW);
        run_case_i32(ctx, op, 3, (int64_t[]){5, 7, 3}, 1, (int64_t[]){1}, OUT_NEW);
        run_case_i32(ctx, op, 1, (int64_t[]){1}, 2, (int64_t[]){3, 129}, OUT_NEW);
        run_case_i32(ctx, op, 1, (int64_t[]){5}, 3, (int64_t[]){2, 3, 5}, OUT_NEW);
        run_case_i32(ctx, op, 4, (int64_t[]){3, 1, 5, 1}, 4, (int64_t[]){1, 4, 1, 7}, OUT_NEW);
        /* broadcasting on each axis, of a and of b */
        for (int k = 0; k < 4; k++) {
            int64_t full[4] = {3, 4, 5, 6}, one[4] = {3, 4, 5, 6};
            one[k] = 1;
            run_case_i32(ctx, op, 4, full, 4, one, OUT_NEW);
            run_case_i32(ctx, op, 4, one, 4, full, OUT_NEW);
        }
    }
    run_case_i32(ctx, VKA_MUL, 0, NULL, 2, (int64_t[]){9, 11}, OUT_NEW);
    run_case_i32(ctx, VKA_SUB, 0, NULL, 0, NULL, OUT_NEW);
    run_case_i32(ctx, VKA_DIV, 6, (int64_t[]){2, 3, 1, 2, 1, 3}, 5, (int64_t[]){3, 1, 2, 1, 1}, OUT_NEW);
    run_case_i32(ctx, VKA_MIN, 8, (int64_t[]){2, 1, 2, 1, 2, 1, 2, 3}, 7, (int64_t[]){2, 1, 2, 1, 2, 1, 1}, OUT_NEW);
    run_case_i32(ctx, VKA_DIV, 1, (int64_t[]){1000003}, 1, (int64_t[]){1000003}, OUT_NEW);
    run_case_i32(ctx, VKA_DIV, 3, (int64_t[]){4, 5, 6}, 1, (int64_t[]){6}, OUT_IN_A);
    run_case_i32(ctx, VKA_SUB, 2, (int64_t[]){1, 6}, 2, (int64_t[]){7, 6}, OUT_IN_B);
    run_case_i32(ctx, VKA_MUL, 2, (int64_t[]){31, 17}, 2, (int64_t[]){31, 17}, OUT_IN_A);
    run_case_i32(ctx, VKA_MAX, 3, (int64_t[]){3, 1, 5}, 2, (int64_t[]){4, 1}, OUT_VIEWS);
    run_case_i32(ctx, VKA_DIV, 2, (int64_t[]){17, 33}, 2, (int64_t[]){17, 33}, OUT_VIEWS);
    run_case_i32(ctx, VKA_ADD, 3, (int64_t[]){6, 7, 19}, 3, (int64_t[]){6, 1, 19}, OUT_NEW);
    run_case_i32(ctx, VKA_SUB, 2, (int64_t[]){300, 129}, 2, (int64_t[]){300, 1}, OUT_NEW);
    run_case_i32(ctx, VKA_MUL, 2, (int64_t[]){5, 33}, 1, (int64_t[]){33}, OUT_VIEWS);
    test_i32_edges(ctx);
    test_i32_topk_split(ctx);
    test_i32_errors(ctx);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    int f16 = vka_context_device(ctx)->fp16_storage;
    for (int d = 0; d < 1 + f16; d++) {
        vka_dtype dt = d ? VKA_F16 : VKA_F32;
        for (int op = 0; op < VKA_BINARY_COUNT; op++) {
            /* same shape (flat path), scalars both ways, rows, the classic cross broadcast */
            run_case(ctx, dt, op, 2, (int64_t[]){37, 53}, 2, (int64_t[]){37, 53}, OUT_NEW);
            run_case(ctx, dt, op, 3, (int64_t[]){5, 7, 3}, 1, (int64_t[]){1}, OUT_NEW);
            run_case(ctx, dt, op, 1, (int64_t[]){1}, 2, (int64_t[]){3, 129}, OUT_NEW);
            run_case(ctx, dt, op, 1, (int64_t[]){5}, 3, (int64_t[]){2, 3, 5}, OUT_NEW);
            run_case(ctx, dt, op, 4, (int64_t[]){3, 1, 5, 1}, 4, (int64_t[]){1, 4, 1, 7}, OUT_NEW);
        }
        /* broadcasting on every axis, of a and of b, all ops on a few */
        for (int k = 0; k < 4; k++) {
            int64_t full[4] = {3, 4, 5, 6}, one[4] = {3, 4, 5, 6};
            one[k] = 1;
            run_case(ctx, dt, k % VKA_BINARY_COUNT, 4, full, 4, one, OUT_NEW);
            run_case(ctx, dt, (k + 3) % VKA_BINARY_COUNT, 4, one, 4, full, OUT_NEW);
        }
        /* rank 0, 5, 6 and 8; a large flat case */
        run_case(ctx, dt, VKA_MUL, 0, NULL, 2, (int64_t[]){9, 11}, OUT_NEW);
        run_case(ctx, dt, VKA_SUB, 0, NULL, 0, NULL, OUT_NEW);
        run_case(ctx, dt, VKA_ADD, 5, (int64_t[]){2, 1, 3, 1, 4}, 5, (int64_t[]){1, 5, 1, 2, 1}, OUT_NEW);
        run_case(ctx, dt, VKA_DIV, 6, (int64_t[]){2, 3, 1, 2, 1, 3}, 5, (int64_t[]){3, 1, 2, 1, 1}, OUT_NEW);
        run_case(ctx, dt, VKA_MAX, 8, (int64_t[]){2, 1, 2, 1, 2, 1, 2, 3}, 7, (int64_t[]){2, 1, 2, 1, 2, 1, 1},
                 OUT_NEW);
        run_case(ctx, dt, VKA_ADD, 1, (int64_t[]){1000003}, 1, (int64_t[]){1000003}, OUT_NEW);
        /* in place and through unaligned views */
        run_case(ctx, dt, VKA_ADD, 3, (int64_t[]){4, 5, 6}, 1, (int64_t[]){6}, OUT_IN_A);
        run_case(ctx, dt, VKA_SUB, 2, (int64_t[]){1, 6}, 2, (int64_t[]){7, 6}, OUT_IN_B);
        run_case(ctx, dt, VKA_POW, 2, (int64_t[]){31, 17}, 2, (int64_t[]){31, 17}, OUT_IN_A);
        run_case(ctx, dt, VKA_MUL, 3, (int64_t[]){3, 1, 5}, 2, (int64_t[]){4, 1}, OUT_VIEWS);
        run_case(ctx, dt, VKA_DIV, 2, (int64_t[]){17, 33}, 2, (int64_t[]){17, 33}, OUT_VIEWS);
        /* broadcast rows of 8 or more (4 elements of a row per invocation), lengths not multiples of 4 */
        run_case(ctx, dt, VKA_ADD, 3, (int64_t[]){6, 7, 19}, 3, (int64_t[]){6, 1, 19}, OUT_NEW);
        run_case(ctx, dt, VKA_MUL, 3, (int64_t[]){5, 1, 9}, 3, (int64_t[]){1, 3, 9}, OUT_NEW);
        run_case(ctx, dt, VKA_SUB, 3, (int64_t[]){2, 13, 64}, 2, (int64_t[]){13, 1}, OUT_NEW);
        run_case(ctx, dt, VKA_MAX, 2, (int64_t[]){300, 129}, 2, (int64_t[]){300, 1}, OUT_NEW);
        run_case(ctx, dt, VKA_ADD, 2, (int64_t[]){5, 33}, 1, (int64_t[]){33}, OUT_VIEWS);
        run_case(ctx, dt, VKA_MUL, 3, (int64_t[]){4, 3, 10}, 1, (int64_t[]){10}, OUT_IN_A);
    }
    test_chain(ctx);
    test_pow_signs(ctx);
    test_errors(ctx);
    test_i32(ctx);
    return vkt_finish();
}
