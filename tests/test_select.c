/* SPDX-License-Identifier: MIT */
/* test_select.c — vka_topk (row-per-invocation, sort and radix-select paths,
 * each short-row case forced through both the row and the workgroup kernels
 * with VKATTN_TOPK_VARIANT; ties broken by the lower index, k = 1, k = N,
 * N 8000 with k 300, N 100000, f16), vka_gather and
 * vka_gather_elements (negative and out-of-range indices, every axis, I32 and
 * f16 data), vka_tile, vka_where (I32 and U8 cond, three-way broadcasting),
 * vka_compare (every op, broadcasting, exact I32), and the error paths. Integer
 * outputs are compared exactly; moved data must come back bit for bit. */
#include "common.h"

static int64_t prod(int r, const int64_t *s)
{
    int64_t n = 1;
    for (int i = 0; i < r; i++)
        n *= s[i];
    return n;
}

static int exact(const char *what, const float *got, const float *want, size_t n)
{
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < n; i++)
        if (!(got[i] == want[i]) && !bad++)
            first = i;
    if (bad)
        vkt_check(0, "%s: %zu of %zu differ (first at %zu: got %g, want %g)", what, bad, n, first, got[first],
                  want[first]);
    else
        vkt_check(1, "%s: exact, n=%zu", what, n);
    return bad == 0;
}

/* ---------------------------------------------------------------- topk */

static const float *g_row;
static int g_largest;
static int cmp_idx(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    float va = g_row[a], vb = g_row[b];
    if (va != vb)
        return (g_largest ? va > vb : va < vb) ? -1 : 1;
    return a < b ? -1 : 1;
}

/* VKATTN_TOPK_VARIANT for the next cases (NULL: the library's choice) */
static const char *topk_variant;
static void set_topk_variant(const char *v)
{
    topk_variant = v;
    if (v)
        setenv("VKATTN_TOPK_VARIANT", v, 1);
    else
        unsetenv("VKATTN_TOPK_VARIANT");
}

/* ties: values from a few levels, so many equal values straddle the k-th */
static void topk_case(vka_context *ctx, vka_dtype dt, int64_t rows, int64_t n, int64_t k, int largest, int ties)
{
    size_t nx = (size_t)(rows * n), ny = (size_t)(rows * k);
    float *hx = vkt_randn(nx, 1.0f);
    if (ties)
        for (size_t i = 0; i < nx; i++)
            hx[i] = (float)(vkt_rand_u32() % (uint32_t)ties) * 0.25f - 1.0f;
    if (dt == VKA_F16)
        vkt_round_f16(hx, nx);
    float *wv = malloc(sizeof *wv * (ny ? ny : 1)), *wi = malloc(sizeof *wi * (ny ? ny : 1));
    int *ord = malloc(sizeof *ord * (size_t)n);
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t i = 0; i < n; i++)
            ord[i] = (int)i;
        g_row = hx + r * n;
        g_largest = largest;
        qsort(ord, (size_t)n, sizeof *ord, cmp_idx);
        for (int64_t j = 0; j < k; j++) {
            wv[r * k + j] = g_row[ord[j]];
            wi[r * k + j] = (float)ord[j];
        }
    }
    int64_t xs[2] = {rows, n}, ys[2] = {rows, k};
    vka_tensor *x = vkt_tensor(ctx, dt, 2, xs, hx), *v = vkt_tensor(ctx, dt, 2, ys, NULL);
    vka_tensor *ix = vkt_tensor(ctx, VKA_I32, 2, ys, NULL);
    vkt_poison(v);
    vkt_poison(ix);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    char what[200];
    vka_status s = vka_topk(cmd, x, k, largest, 1, v, ix);
    const char *kernel = "";
    if (!s)
        vka_cmd_timing(cmd, 0, &kernel, NULL);
    snprintf(what, sizeof what, "topk %s [%lld, %lld] k=%lld %s%s (%s%s%s)", vka_dtype_str(dt), (long long)rows,
             (long long)n, (long long)k, largest ? "largest" : "smallest", ties ? " ties" : "", kernel,
             topk_variant ? ", forced " : "", topk_variant ? topk_variant : "");
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        if (topk_variant)
            vkt_check((strncmp(kernel, "topk_row", 8) == 0) == (strcmp(topk_variant, "row") == 0),
                      "%s: the forced kernel ran", what);
        vkt_run(cmd);
        float *gv = vkt_download(v), *gi = vkt_download(ix);
        char w2[220];
        snprintf(w2, sizeof w2, "%s indices", what);
        exact(w2, gi, wi, ny);
        snprintf(w2, sizeof w2, "%s values", what);
        exact(w2, gv, wv, ny);
        free(gv), free(gi);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(v), vka_tensor_destroy(ix);
    free(hx), free(wv), free(wi), free(ord);
}

/* -0 ties with +0 (lower index first); ±inf order (the row kernel by default) */
static void topk_specials(vka_context *ctx)
{
    const float x[6] = {0.0f, -INFINITY, -0.0f, INFINITY, 1.0f, 0.0f};
    int64_t xs[1] = {6}, ys[1] = {6};
    vka_tensor *tx = vkt_tensor(ctx, VKA_F32, 1, xs, x), *tv = vkt_tensor(ctx, VKA_F32, 1, ys, NULL);
    vka_tensor *ti = vkt_tensor(ctx, VKA_I32, 1, ys, NULL);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_topk(cmd, tx, 6, 1, 1, tv, ti);
    vkt_run(cmd);
    float *gi = vkt_download(ti);
    const float want[6] = {3, 4, 0, 2, 5, 1};
    char what[160];
    snprintf(what, sizeof what, "topk 1-D inf, 1, +0, -0, +0, -inf: -0 ties with +0 by index (%s)",
             topk_variant ? topk_variant : "auto");
    exact(what, gi, want, 6);
    free(gi);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(tx), vka_tensor_destroy(tv), vka_tensor_destroy(ti);
}

/* ---------------------------------------------------------------- gathers */

static float *rand_ints(size_t n, int lo, int hi)
{
    float *x = malloc(sizeof *x * (n ? n : 1));
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(lo + (int)(vkt_rand_u32() % (uint32_t)(hi - lo + 1)));
    return x;
}

static float *make_data(vka_dtype dt, size_t n)
{
    if (dt == VKA_I32)
        return rand_ints(n, -1000000, 1000000);
    float *x = vkt_randn(n, 1.0f);
    if (dt == VKA_F16)
        vkt_round_f16(x, n);
    return x;
}

static void gather_case(vka_context *ctx, vka_dtype dt, int xr, const int64_t *xs, int ir, const int64_t *is,
                        int axis)
{
    int ax = axis < 0 ? axis + xr : axis;
    int64_t n = xs[ax], outer = prod(ax, xs), inner = prod(xr - ax - 1, xs + ax + 1), ni = prod(ir, is);
    size_t nx = (size_t)prod(xr, xs), ny = (size_t)(outer * ni * inner);
    float *hx = make_data(dt, nx);
    /* in range both ways, plus a few out of range (-> 0) */
    float *hi = rand_ints((size_t)ni, (int)-n - 1, (int)n);
    float *want = malloc(sizeof *want * ny);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < ni; j++)
            for (int64_t i = 0; i < inner; i++) {
                int64_t id = (int64_t)hi[j];
                if (id < 0)
                    id += n;
                want[(o * ni + j) * inner + i] = id < 0 || id >= n ? 0.0f : hx[(o * n + id) * inner + i];
            }
    int64_t ys[VKA_MAX_DIMS];
    int yr = 0;
    for (int k = 0; k < ax; k++)
        ys[yr++] = xs[k];
    for (int k = 0; k < ir; k++)
        ys[yr++] = is[k];
    for (int k = ax + 1; k < xr; k++)
        ys[yr++] = xs[k];
    vka_tensor *x = vkt_tensor(ctx, dt, xr, xs, hx), *ti = vkt_tensor(ctx, VKA_I32, ir, is, hi);
    vka_tensor *y = vkt_tensor(ctx, dt, yr, ys, NULL);
    vkt_poison(y);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    char what[128];
    snprintf(what, sizeof what, "gather %s x rank %d axis %d indices rank %d (negative, out of range -> 0)",
             vka_dtype_str(dt), xr, axis, ir);
    vka_status s = vka_gather(cmd, x, ti, axis, y);
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        float *got = vkt_download(y);
        exact(what, got, want, ny);
        free(got);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(ti), vka_tensor_destroy(y);
    free(hx), free(hi), free(want);
}

static void gather_elements_case(vka_context *ctx, vka_dtype dt, int r, const int64_t *xs, const int64_t *is,
                                 int axis)
{
    int ax = axis < 0 ? axis + r : axis;
    size_t nx = (size_t)prod(r, xs), ny = (size_t)prod(r, is);
    int64_t n = xs[ax];
    float *hx = make_data(dt, nx), *hi = rand_ints(ny, (int)-n - 1, (int)n), *want = malloc(sizeof *want * ny);
    for (size_t i = 0; i < ny; i++) {
        int64_t c[VKA_MAX_DIMS], rem = (int64_t)i;
        for (int k = r - 1; k >= 0; k--) {
            c[k] = rem % is[k];
            rem /= is[k];
        }
        int64_t id = (int64_t)hi[i];
        if (id < 0)
            id += n;
        if (id < 0 || id >= n) {
            want[i] = 0;
            continue;
        }
        c[ax] = id;
        int64_t f = 0;
        for (int k = 0; k < r; k++)
            f = f * xs[k] + c[k];
        want[i] = hx[f];
    }
    vka_tensor *x = vkt_tensor(ctx, dt, r, xs, hx), *ti = vkt_tensor(ctx, VKA_I32, r, is, hi);
    vka_tensor *y = vkt_tensor(ctx, dt, r, is, NULL);
    vkt_poison(y);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    char what[128];
    snprintf(what, sizeof what, "gather_elements %s rank %d axis %d", vka_dtype_str(dt), r, axis);
    vka_status s = vka_gather_elements(cmd, x, ti, axis, y);
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        float *got = vkt_download(y);
        exact(what, got, want, ny);
        free(got);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(ti), vka_tensor_destroy(y);
    free(hx), free(hi), free(want);
}

/* ---------------------------------------------------------------- tile */

static void tile_case(vka_context *ctx, vka_dtype dt, int r, const int64_t *xs, const int64_t *rep)
{
    int64_t ys[VKA_MAX_DIMS];
    for (int k = 0; k < r; k++)
        ys[k] = xs[k] * rep[k];
    size_t nx = (size_t)prod(r, xs), ny = (size_t)prod(r, ys);
    float *hx = make_data(dt, nx), *want = malloc(sizeof *want * (ny ? ny : 1));
    for (size_t i = 0; i < ny; i++) {
        int64_t rem = (int64_t)i, f = 0, st = 1;
        for (int k = r - 1; k >= 0; k--) {
            f += (rem % ys[k]) % xs[k] * st;
            st *= xs[k];
            rem /= ys[k];
        }
        want[i] = hx[f];
    }
    vka_tensor *x = vkt_tensor(ctx, dt, r, xs, hx), *y = vkt_tensor(ctx, dt, r, ys, NULL);
    vkt_poison(y);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    char what[128];
    snprintf(what, sizeof what, "tile %s rank %d", vka_dtype_str(dt), r);
    vka_status s = vka_tile(cmd, x, rep, y);
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        float *got = vkt_download(y);
        exact(what, got, want, ny);
        free(got);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(y);
    free(hx), free(want);
}

/* ---------------------------------------------------------------- where, compare */

static int64_t bidx(int R, const int64_t *idx, int r, const int64_t *s)
{
    int64_t f = 0;
    for (int k = 0; k < r; k++)
        f = f * s[k] + (s[k] == 1 ? 0 : idx[k + R - r]);
    return f;
}

static void where_case(vka_context *ctx, vka_dtype dt, vka_dtype ct, int rc, const int64_t *sc, int ra,
                       const int64_t *sa, int rb, const int64_t *sb)
{
    int R = rc > ra ? rc : ra;
    R = R > rb ? R : rb;
    int64_t sy[VKA_MAX_DIMS];
    const int64_t *ss[3] = {sc, sa, sb};
    int rr[3] = {rc, ra, rb};
    for (int k = 0; k < R; k++) {
        sy[k] = 1;
        for (int i = 0; i < 3; i++) {
            int ki = k - (R - rr[i]);
            if (ki >= 0 && ss[i][ki] != 1)
                sy[k] = ss[i][ki];
        }
    }
    size_t nc = (size_t)prod(rc, sc), na = (size_t)prod(ra, sa), nb = (size_t)prod(rb, sb), ny = (size_t)prod(R, sy);
    float *hc = rand_ints(nc, -1, 1), *ha = make_data(dt, na), *hb = make_data(dt, nb);
    float *want = malloc(sizeof *want * ny);
    int64_t idx[VKA_MAX_DIMS];
    for (size_t i = 0; i < ny; i++) {
        int64_t rem = (int64_t)i;
        for (int k = R - 1; k >= 0; k--) {
            idx[k] = rem % sy[k];
            rem /= sy[k];
        }
        want[i] = hc[bidx(R, idx, rc, sc)] != 0 ? ha[bidx(R, idx, ra, sa)] : hb[bidx(R, idx, rb, sb)];
    }
    vka_tensor *c;
    if (ct == VKA_U8) {
        c = vkt_tensor(ctx, VKA_U8, rc, sc, NULL);
        uint8_t *u = malloc(nc ? nc : 1);
        for (size_t i = 0; i < nc; i++)
            u[i] = hc[i] != 0 ? (uint8_t)(1 + vkt_rand_u32() % 255) : 0; /* any non-zero byte is true */
        vka_tensor_upload(c, u, nc);
        free(u);
    } else {
        c = vkt_tensor(ctx, VKA_I32, rc, sc, hc);
    }
    vka_tensor *a = vkt_tensor(ctx, dt, ra, sa, ha), *b = vkt_tensor(ctx, dt, rb, sb, hb);
    vka_tensor *y = vkt_tensor(ctx, dt, R, sy, NULL);
    vkt_poison(y);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    char what[128];
    snprintf(what, sizeof what, "where %s cond %s ranks %d/%d/%d -> %d", vka_dtype_str(dt), vka_dtype_str(ct), rc, ra,
             rb, R);
    vka_status s = vka_where(cmd, c, a, b, y);
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        float *got = vkt_download(y);
        exact(what, got, want, ny);
        free(got);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(c), vka_tensor_destroy(a), vka_tensor_destroy(b), vka_tensor_destroy(y);
    free(hc), free(ha), free(hb), free(want);
}

static int ref_cmp(int op, double p, double q)
{
    switch (op) {
    case VKA_CMP_EQ: return p == q;
    case VKA_CMP_LT: return p < q;
    case VKA_CMP_GT: return p > q;
    case VKA_CMP_LE: return p <= q;
    case VKA_CMP_GE: return p >= q;
    case VKA_CMP_AND: return p != 0 && q != 0;
    case VKA_CMP_OR: return p != 0 || q != 0;
    default: return (p != 0) != (q != 0);
    }
}

static void compare_case(vka_context *ctx, vka_dtype dt, int op, int ra, const int64_t *sa, int rb,
                         const int64_t *sb)
{
    int R = ra > rb ? ra : rb;
    int64_t sy[VKA_MAX_DIMS];
    for (int k = 0; k < R; k++) {
        int ka = k - (R - ra), kb = k - (R - rb);
        int64_t na = ka >= 0 ? sa[ka] : 1, nb = kb >= 0 ? sb[kb] : 1;
        sy[k] = na == 1 ? nb : na;
    }
    size_t na = (size_t)prod(ra, sa), nb = (size_t)prod(rb, sb), ny = (size_t)prod(R, sy);
    /* few distinct values so that EQ, LE and GE see equal pairs */
    float *ha = rand_ints(na, -2, 2), *hb = rand_ints(nb, -2, 2);
    for (size_t i = 0; i < na; i++)
        ha[i] *= dt == VKA_I32 ? 1.0f : 0.5f;
    float *want = malloc(sizeof *want * ny);
    int64_t idx[VKA_MAX_DIMS];
    for (size_t i = 0; i < ny; i++) {
        int64_t rem = (int64_t)i;
        for (int k = R - 1; k >= 0; k--) {
            idx[k] = rem % sy[k];
            rem /= sy[k];
        }
        want[i] = (float)ref_cmp(op, ha[bidx(R, idx, ra, sa)], hb[bidx(R, idx, rb, sb)]);
    }
    vka_tensor *a = vkt_tensor(ctx, dt, ra, sa, ha), *b = vkt_tensor(ctx, dt, rb, sb, hb);
    vka_tensor *y = vkt_tensor(ctx, VKA_I32, R, sy, NULL);
    vkt_poison(y);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    static const char *OPS[] = {"eq", "lt", "gt", "le", "ge", "and", "or", "xor"};
    char what[128];
    snprintf(what, sizeof what, "compare %s %s ranks %d/%d", OPS[op], vka_dtype_str(dt), ra, rb);
    vka_status s = vka_compare(cmd, (vka_compare_op)op, a, b, y);
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        float *got = vkt_download(y);
        exact(what, got, want, ny);
        free(got);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(a), vka_tensor_destroy(b), vka_tensor_destroy(y);
    free(ha), free(hb), free(want);
}

/* I32 compares as integers: 2^24 + 1 and 2^24 are equal as floats */
static void compare_int_exact(vka_context *ctx)
{
    int32_t a[3] = {16777217, -2147483647, 2147483647}, b[3] = {16777216, -2147483647, 2147483646};
    int64_t n = 3;
    vka_tensor *ta = vkt_tensor(ctx, VKA_I32, 1, &n, NULL), *tb = vkt_tensor(ctx, VKA_I32, 1, &n, NULL);
    vka_tensor *ty = vkt_tensor(ctx, VKA_I32, 1, &n, NULL);
    vka_tensor_upload(ta, a, sizeof a);
    vka_tensor_upload(tb, b, sizeof b);
    vkt_poison(ty);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_compare(cmd, VKA_CMP_EQ, ta, tb, ty);
    vkt_run(cmd);
    int32_t got[3];
    vka_tensor_download(ty, got, sizeof got);
    vkt_check(got[0] == 0 && got[1] == 1 && got[2] == 0, "compare eq i32 exact: 2^24+1 == 2^24 -> %d, -2^31+1 -> %d, "
              "2^31-1 vs 2^31-2 -> %d", got[0], got[1], got[2]);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(ta), vka_tensor_destroy(tb), vka_tensor_destroy(ty);
}

static void test_errors(vka_context *ctx)
{
    int64_t xs[2] = {3, 10}, ks[2] = {3, 4}, k11[2] = {3, 11}, big[1] = {5000}, bigk[1] = {2100};
    vka_tensor *x = vkt_tensor(ctx, VKA_F32, 2, xs, NULL), *v = vkt_tensor(ctx, VKA_F32, 2, ks, NULL);
    vka_tensor *iv = vkt_tensor(ctx, VKA_I32, 2, ks, NULL), *fv = vkt_tensor(ctx, VKA_F32, 2, ks, NULL);
    vka_tensor *v11 = vkt_tensor(ctx, VKA_F32, 2, k11, NULL), *i11 = vkt_tensor(ctx, VKA_I32, 2, k11, NULL);
    vka_tensor *xb = vkt_tensor(ctx, VKA_F32, 1, big, NULL), *vb = vkt_tensor(ctx, VKA_F32, 1, bigk, NULL);
    vka_tensor *ib = vkt_tensor(ctx, VKA_I32, 1, bigk, NULL);
    vka_tensor_set_name(x, "scores");
    vka_tensor_set_name(fv, "floatidx");
    vka_tensor_set_name(xb, "long");
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vkt_expect_error("topk k > N", vka_topk(cmd, x, 11, 1, 1, v11, i11), VKA_ERR_SHAPE,
                     "k = 11 is outside [0, 10] for x \"scores\"");
    vkt_expect_error("topk F32 indices", vka_topk(cmd, x, 4, 1, 1, v, fv), VKA_ERR_SHAPE, "floatidx");
    vkt_expect_error("topk k 2100 of 5000", vka_topk(cmd, xb, 2100, 1, 1, vb, ib), VKA_ERR_UNSUPPORTED, "long");
    vkt_expect_error("topk values wrong shape", vka_topk(cmd, x, 3, 1, 1, v, iv), VKA_ERR_SHAPE, "[3, 3]");
    vkt_expect_error("gather axis 2 of rank 2", vka_gather(cmd, x, iv, 2, v), VKA_ERR_SHAPE, "axis 2 is outside x \"scores\"");
    vkt_expect_error("gather F32 indices", vka_gather(cmd, x, fv, 0, v), VKA_ERR_SHAPE, "floatidx");
    vkt_expect_error("gather_elements y shape", vka_gather_elements(cmd, x, iv, 1, v11), VKA_ERR_SHAPE,
                     "must be shaped like indices");
    vkt_expect_error("where F32 cond", vka_where(cmd, fv, v, v, v11), VKA_ERR_SHAPE, "cond \"floatidx\"");
    vkt_expect_error("where bad broadcast", vka_where(cmd, iv, x, x, x), VKA_ERR_SHAPE, "cannot broadcast");
    vkt_expect_error("compare F32 y", vka_compare(cmd, VKA_CMP_LT, x, x, fv), VKA_ERR_SHAPE, "floatidx");
    vkt_expect_error("compare bad op", vka_compare(cmd, (vka_compare_op)42, x, x, iv), VKA_ERR_INVALID_ARG, "42");
    int64_t rep[2] = {2, -1};
    vkt_expect_error("tile negative repeat", vka_tile(cmd, x, rep, v), VKA_ERR_SHAPE, "repeats[1] = -1");
    vka_cmd_end(cmd);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(v), vka_tensor_destroy(iv), vka_tensor_destroy(fv);
    vka_tensor_destroy(v11), vka_tensor_destroy(i11), vka_tensor_destroy(xb), vka_tensor_destroy(vb);
    vka_tensor_destroy(ib);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    int f16 = vka_context_device(ctx)->fp16_storage;
    /* sort path (N <= 2048) */
    topk_case(ctx, VKA_F32, 3, 37, 5, 1, 0);
    topk_case(ctx, VKA_F32, 2, 1000, 1000, 0, 0);          /* k = N, smallest */
    topk_case(ctx, VKA_F32, 4, 513, 17, 1, 7);             /* ties */
    topk_case(ctx, VKA_F32, 400, 33, 4, 1, 0);             /* DEIMv2 lqe: many short rows */
    topk_case(ctx, VKA_F32, 1, 500, 100, 1, 0);            /* DEIMv2 atto encoder: 500 tokens -> 100 queries */
    topk_case(ctx, VKA_F32, 2, 2048, 1, 1, 3);             /* k = 1, ties */
    topk_case(ctx, VKA_F32, 1, 1, 1, 1, 0);
    /* select path (N > 2048) */
    topk_case(ctx, VKA_F32, 1, 8000, 300, 1, 0);           /* postprocessor: 100 queries x 80 classes */
    topk_case(ctx, VKA_F32, 3, 8000, 300, 1, 9);           /* the 300th value inside a large tie */
    topk_case(ctx, VKA_F32, 2, 5001, 1, 0, 2);             /* k = 1 of two values, smallest */
    topk_case(ctx, VKA_F32, 1, 2049, 2048, 1, 0);          /* k at the sort limit */
    topk_case(ctx, VKA_F32, 1, 100000, 100, 1, 0);
    topk_case(ctx, VKA_F32, 1, 70001, 257, 0, 5);
    if (f16) {
        topk_case(ctx, VKA_F16, 5, 300, 30, 1, 0);
        topk_case(ctx, VKA_F16, 1, 8000, 300, 1, 0);
        topk_case(ctx, VKA_F16, 2, 9000, 64, 0, 11);
    }
    topk_specials(ctx);
    /* short rows: the row-per-invocation kernel (the default for n <= 256 and
     * k <= 32) against the workgroup sort on the same inputs */
    static const char *tv[3] = {NULL, "row", "group"};
    for (int t = 0; t < 3; t++) {
        set_topk_variant(tv[t]);
        topk_case(ctx, VKA_F32, 400, 33, 4, 1, 0);  /* DEIMv2 lqe_layers TopK [1, 100, 4, 33] */
        topk_case(ctx, VKA_F32, 400, 33, 4, 1, 3);
        topk_case(ctx, VKA_F32, 37, 100, 5, 0, 4);  /* k = 5 in 8 slots, smallest, ties */
        topk_case(ctx, VKA_F32, 9, 256, 32, 1, 7);  /* the longest rows and most slots */
        topk_case(ctx, VKA_F32, 130, 200, 1, 0, 0); /* k = 1, rows over two workgroups */
        topk_case(ctx, VKA_F32, 70, 3, 3, 1, 2);    /* k = n */
        topk_case(ctx, VKA_F32, 1, 1, 1, 0, 0);
        if (f16) {
            topk_case(ctx, VKA_F16, 130, 33, 4, 1, 0);
            topk_case(ctx, VKA_F16, 7, 50, 17, 0, 5);
        }
        if (tv[t])
            topk_specials(ctx);
    }
    set_topk_variant(NULL);

    for (int d = 0; d < 3; d++) {
        vka_dtype dt = d == 0 ? VKA_F32 : d == 1 ? VKA_I32 : VKA_F16;
        if (dt == VKA_F16 && !f16)
            continue;
        gather_case(ctx, dt, 3, (int64_t[]){4, 5, 6}, 2, (int64_t[]){2, 3}, 1);
        gather_case(ctx, dt, 3, (int64_t[]){4, 5, 6}, 1, (int64_t[]){7}, -1);
        gather_case(ctx, dt, 2, (int64_t[]){9, 13}, 0, NULL, 0);        /* scalar index */
        gather_case(ctx, dt, 2, (int64_t[]){300, 64}, 1, (int64_t[]){100}, 0);
        gather_elements_case(ctx, dt, 3, (int64_t[]){3, 7, 5}, (int64_t[]){3, 4, 5}, 1);
        gather_elements_case(ctx, dt, 3, (int64_t[]){3, 7, 5}, (int64_t[]){2, 7, 5}, 0);
        gather_elements_case(ctx, dt, 3, (int64_t[]){3, 7, 5}, (int64_t[]){3, 6, 9}, -1);
        gather_elements_case(ctx, dt, 3, (int64_t[]){1, 500, 4}, (int64_t[]){1, 100, 4}, 1); /* DEIMv2 boxes */
        tile_case(ctx, dt, 3, (int64_t[]){2, 3, 4}, (int64_t[]){1, 2, 3});
        tile_case(ctx, dt, 2, (int64_t[]){1, 2}, (int64_t[]){300, 1});
        tile_case(ctx, dt, 1, (int64_t[]){5}, (int64_t[]){0});
        where_case(ctx, dt, VKA_I32, 3, (int64_t[]){3, 1, 5}, 2, (int64_t[]){4, 5}, 0, NULL);
        where_case(ctx, dt, VKA_U8, 2, (int64_t[]){1, 7}, 3, (int64_t[]){2, 6, 1}, 1, (int64_t[]){7});
        where_case(ctx, dt, VKA_I32, 1, (int64_t[]){1001}, 1, (int64_t[]){1001}, 1, (int64_t[]){1001});
        if (dt != VKA_F16)
            where_case(ctx, dt, VKA_U8, 7, (int64_t[]){2, 1, 2, 1, 2, 3, 4}, 7, (int64_t[]){1, 2, 1, 2, 1, 3, 4}, 2,
                       (int64_t[]){3, 4}); /* 6 axes once the last two merge */
        for (int op = 0; op < VKA_CMP_COUNT; op++)
            compare_case(ctx, dt, op, 3, (int64_t[]){3, 1, 5}, 2, (int64_t[]){4, 1});
        compare_case(ctx, dt, VKA_CMP_LT, 1, (int64_t[]){333}, 0, NULL);
    }
    compare_int_exact(ctx);
    test_errors(ctx);
    return vkt_finish();
}
