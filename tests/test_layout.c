/* SPDX-License-Identifier: MIT */
/* test_layout.c — vka_permute, vka_concat, vka_slice on f32, f16 and i32:
 * bit-exact against a CPU reference (the ops move data and must not touch
 * it; i32 data includes NaN- and denormal-looking bit patterns), 2-D to 8-D
 * permutes incl. [B,N,H,D]->[B,H,N,D], concat along every axis with 2-4
 * inputs, slices with steps 2 and -1, unaligned views, and the error paths. */
#include "common.h"

static size_t esize(vka_dtype dt) { return vka_dtype_size(dt); }

/* n random elements as raw bytes: normals for floats, any 32-bit pattern for i32 */
static void *make_raw(vka_dtype dt, size_t n)
{
    uint8_t *p = malloc(esize(dt) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        if (dt == VKA_F32) {
            float f = vkt_randn1();
            memcpy(p + 4 * i, &f, 4);
        } else if (dt == VKA_F16) {
            uint16_t h = vkt_f32_to_f16(vkt_randn1());
            memcpy(p + 2 * i, &h, 2);
        } else {
            uint32_t u = vkt_rand_u32();
            if (i % 7 == 3)
                u = 0x7fc00001u + (uint32_t)i; /* a NaN payload if read as f32 */
            else if (i % 7 == 5)
                u = (uint32_t)i;               /* a denormal if read as f32 */
            memcpy(p + 4 * i, &u, 4);
        }
    }
    return p;
}

static vka_tensor *raw_tensor(vka_context *ctx, vka_dtype dt, int r, const int64_t *s, const void *data)
{
    vka_tensor *t = vkt_tensor(ctx, dt, r, s, NULL);
    if (data)
        vka_tensor_upload(t, data, vka_tensor_bytes(t));
    else
        vkt_poison(t);
    return t;
}

static void check_exact(const char *what, const vka_tensor *y, const void *ref)
{
    size_t bytes = vka_tensor_bytes(y), es = esize(vka_tensor_dtype(y));
    uint8_t *got = malloc(bytes ? bytes : 1);
    vka_tensor_download(y, got, bytes);
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < bytes / es; i++)
        if (memcmp(got + i * es, (const uint8_t *)ref + i * es, es) && !bad++)
            first = i;
    if (bad)
        vkt_check(0, "%s: %zu of %zu elements differ, first at %zu", what, bad, bytes / es, first);
    else
        vkt_check(1, "%s: all %zu elements bit-exact", what, bytes / es);
    free(got);
}

static int64_t prod(int r, const int64_t *s)
{
    int64_t n = 1;
    for (int k = 0; k < r; k++)
        n *= s[k];
    return n;
}

static void unravel(int64_t i, int r, const int64_t *s, int64_t *idx)
{
    for (int k = r - 1; k >= 0; k--) {
        idx[k] = i % s[k];
        i /= s[k];
    }
}

static int64_t ravel(int r, const int64_t *s, const int64_t *idx)
{
    int64_t f = 0;
    for (int k = 0; k < r; k++)
        f = f * s[k] + idx[k];
    return f;
}

static void fmt(char *buf, size_t n, int r, const int64_t *s)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < r; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ",%lld" : "%lld", (long long)s[i]);
    snprintf(buf + k, n - k, "]");
}

/* ------------------------------------------------------------ permute */

static void test_permute(vka_context *ctx, vka_dtype dt, int r, const int64_t *sx, const int *perm, int views)
{
    int64_t sy[VKA_MAX_DIMS], ix[VKA_MAX_DIMS], iy[VKA_MAX_DIMS];
    for (int k = 0; k < r; k++)
        sy[k] = sx[perm[k]];
    size_t n = (size_t)prod(r, sx), es = esize(dt);
    uint8_t *hx = make_raw(dt, n), *ref = malloc(es * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        unravel((int64_t)i, r, sy, iy);
        for (int k = 0; k < r; k++)
            ix[perm[k]] = iy[k];
        memcpy(ref + i * es, hx + es * (size_t)ravel(r, sx, ix), es);
    }
    vka_tensor *x, *y, *px = NULL, *py = NULL;
    if (views) {
        int64_t m = (int64_t)n + 5;
        px = raw_tensor(ctx, dt, 1, &m, NULL);
        py = raw_tensor(ctx, dt, 1, &m, NULL);
        x = vka_tensor_view(px, 3, r, sx);
        y = vka_tensor_view(py, 1, r, sy);
        vka_tensor_upload(x, hx, n * es);
    } else {
        x = raw_tensor(ctx, dt, r, sx, hx);
        y = raw_tensor(ctx, dt, r, sy, NULL);
    }
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_permute(cmd, x, perm, y);
    char what[160], a[64], p[64] = "(";
    fmt(a, sizeof a, r, sx);
    for (int k = 0; k < r; k++)
        snprintf(p + strlen(p), sizeof p - strlen(p), k ? ",%d" : "%d", perm[k]);
    strcat(p, ")");
    snprintf(what, sizeof what, "permute %s %s %s%s", vka_dtype_str(dt), a, p, views ? " views" : "");
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        check_exact(what, y, ref);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(y), vka_tensor_destroy(px), vka_tensor_destroy(py);
    free(hx), free(ref);
}

/* ------------------------------------------------------------ concat */

/* n inputs shaped like `base` except along axis, where they have sizes[i] */
static void test_concat(vka_context *ctx, vka_dtype dt, int r, const int64_t *base, int axis, int n,
                        const int64_t *sizes)
{
    int ax = axis < 0 ? axis + r : axis;
    int64_t sy[VKA_MAX_DIMS], si[4][VKA_MAX_DIMS], idx[VKA_MAX_DIMS];
    memcpy(sy, base, sizeof(int64_t) * (size_t)r);
    sy[ax] = 0;
    for (int i = 0; i < n; i++) {
        memcpy(si[i], base, sizeof(int64_t) * (size_t)r);
        si[i][ax] = sizes[i];
        sy[ax] += sizes[i];
    }
    size_t ny = (size_t)prod(r, sy), es = esize(dt);
    uint8_t *hx[4], *ref = malloc(es * (ny ? ny : 1));
    vka_tensor *xs[4];
    for (int i = 0; i < n; i++) {
        hx[i] = make_raw(dt, (size_t)prod(r, si[i]));
        xs[i] = raw_tensor(ctx, dt, r, si[i], hx[i]);
    }
    for (size_t j = 0; j < ny; j++) {
        unravel((int64_t)j, r, sy, idx);
        int i = 0;
        while (idx[ax] >= si[i][ax])
            idx[ax] -= si[i++][ax];
        memcpy(ref + j * es, hx[i] + es * (size_t)ravel(r, si[i], idx), es);
    }
    vka_tensor *y = raw_tensor(ctx, dt, r, sy, NULL);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_concat(cmd, n, xs, axis, y);
    char what[160], a[64];
    fmt(a, sizeof a, r, sy);
    snprintf(what, sizeof what, "concat %s %d inputs -> %s along axis %d", vka_dtype_str(dt), n, a, axis);
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        check_exact(what, y, ref);
    }
    vka_cmd_destroy(cmd);
    for (int i = 0; i < n; i++)
        vka_tensor_destroy(xs[i]), free(hx[i]);
    vka_tensor_destroy(y);
    free(ref);
}

/* ------------------------------------------------------------ slice */

static void test_slice(vka_context *ctx, vka_dtype dt, int r, const int64_t *sx, const int64_t *start,
                       const int64_t *step, const int64_t *sy, int views)
{
    int64_t ix[VKA_MAX_DIMS], iy[VKA_MAX_DIMS];
    size_t nx = (size_t)prod(r, sx), ny = (size_t)prod(r, sy), es = esize(dt);
    uint8_t *hx = make_raw(dt, nx), *ref = malloc(es * (ny ? ny : 1));
    for (size_t i = 0; i < ny; i++) {
        unravel((int64_t)i, r, sy, iy);
        for (int k = 0; k < r; k++)
            ix[k] = start[k] + iy[k] * (step ? step[k] : 1);
        memcpy(ref + i * es, hx + es * (size_t)ravel(r, sx, ix), es);
    }
    vka_tensor *x, *y, *px = NULL, *py = NULL;
    if (views) {
        int64_t m = (int64_t)nx + 5;
        px = raw_tensor(ctx, dt, 1, &m, NULL);
        py = raw_tensor(ctx, dt, 1, &m, NULL);
        x = vka_tensor_view(px, 1, r, sx);
        y = vka_tensor_view(py, 3, r, sy);
        vka_tensor_upload(x, hx, nx * es);
    } else {
        x = raw_tensor(ctx, dt, r, sx, hx);
        y = raw_tensor(ctx, dt, r, sy, NULL);
    }
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_slice(cmd, x, start, step, y);
    char what[320], a[64], b[64], c[64], d[64] = "1";
    fmt(a, sizeof a, r, sx);
    fmt(b, sizeof b, r, start);
    fmt(c, sizeof c, r, sy);
    if (step)
        fmt(d, sizeof d, r, step);
    snprintf(what, sizeof what, "slice %s %s start %s step %s -> %s%s", vka_dtype_str(dt), a, b, d, c,
             views ? " views" : "");
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        check_exact(what, y, ref);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(y), vka_tensor_destroy(px), vka_tensor_destroy(py);
    free(hx), free(ref);
}

/* ------------------------------------------------------------ errors */

static void test_errors(vka_context *ctx)
{
    int64_t s234[3] = {2, 3, 4}, s432[3] = {4, 3, 2}, s243[3] = {2, 4, 3}, s34[2] = {3, 4};
    vka_tensor *x = vkt_tensor(ctx, VKA_F32, 3, s234, NULL), *y = vkt_tensor(ctx, VKA_F32, 3, s432, NULL);
    vka_tensor *z = vkt_tensor(ctx, VKA_F32, 3, s243, NULL), *h = vkt_tensor(ctx, VKA_F16, 3, s432, NULL);
    vka_tensor *m = vkt_tensor(ctx, VKA_F32, 2, s34, NULL);
    vka_tensor_set_name(x, "src");
    vka_tensor_set_name(y, "dst");
    vka_tensor_set_name(z, "other");
    vka_tensor_set_name(m, "mat");
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vkt_expect_error("permute duplicate axis", vka_permute(cmd, x, (int[]){2, 2, 0}, y), VKA_ERR_INVALID_ARG,
                     "not a permutation");
    vkt_expect_error("permute axis out of range", vka_permute(cmd, x, (int[]){3, 1, 0}, y), VKA_ERR_INVALID_ARG,
                     "perm[0] = 3");
    vkt_expect_error("permute wrong y shape", vka_permute(cmd, x, (int[]){0, 2, 1}, y), VKA_ERR_SHAPE, "dst");
    vkt_expect_error("permute rank mismatch", vka_permute(cmd, x, (int[]){1, 0}, m), VKA_ERR_SHAPE, "mat");
    vkt_expect_error("permute dtype mismatch", vka_permute(cmd, x, (int[]){2, 1, 0}, h), VKA_ERR_SHAPE, "src");
    vkt_expect_error("permute NULL perm", vka_permute(cmd, x, NULL, y), VKA_ERR_INVALID_ARG, "perm");
    vkt_expect_error("permute NULL x", vka_permute(cmd, NULL, (int[]){2, 1, 0}, y), VKA_ERR_INVALID_ARG, "NULL");
    vkt_expect_error("permute in place", vka_permute(cmd, x, (int[]){0, 1, 2}, x), VKA_ERR_INVALID_ARG, "overlaps");

    int64_t s2x7x4[3] = {2, 7, 4};
    vka_tensor *cy = vkt_tensor(ctx, VKA_F32, 3, s2x7x4, NULL);
    vka_tensor_set_name(cy, "cat");
    vka_tensor *in2[2] = {x, z};
    vkt_expect_error("concat mismatched axis", vka_concat(cmd, 2, in2, 1, cy), VKA_ERR_SHAPE, "other");
    vka_tensor *in3[2] = {x, x};
    vkt_expect_error("concat sum mismatch", vka_concat(cmd, 2, in3, 1, cy), VKA_ERR_SHAPE, "cat");
    vkt_expect_error("concat bad axis", vka_concat(cmd, 2, in3, 3, cy), VKA_ERR_INVALID_ARG, "axis 3");
    vkt_expect_error("concat no inputs", vka_concat(cmd, 0, in3, 0, cy), VKA_ERR_INVALID_ARG, "0 inputs");
    vka_tensor *in4[2] = {x, NULL};
    vkt_expect_error("concat NULL input", vka_concat(cmd, 2, in4, 1, cy), VKA_ERR_INVALID_ARG, "xs[1]");

    int64_t s1x2x2[3] = {1, 2, 2};
    vka_tensor *sy = vkt_tensor(ctx, VKA_F32, 3, s1x2x2, NULL);
    vkt_expect_error("slice past the end", vka_slice(cmd, x, (int64_t[]){1, 2, 0}, NULL, sy), VKA_ERR_SHAPE,
                     "axis 1 of x \"src\" [2, 3, 4]");
    vkt_expect_error("slice step 2 past the end", vka_slice(cmd, x, (int64_t[]){0, 0, 3}, (int64_t[]){1, 1, 2}, sy),
                     VKA_ERR_SHAPE, "axis 2");
    vkt_expect_error("slice negative step below 0",
                     vka_slice(cmd, x, (int64_t[]){0, 0, 0}, (int64_t[]){1, -1, 1}, sy), VKA_ERR_SHAPE,
                     "reach index -1");
    vkt_expect_error("slice negative start", vka_slice(cmd, x, (int64_t[]){-1, 0, 0}, NULL, sy), VKA_ERR_SHAPE,
                     "axis 0");
    vkt_expect_error("slice step 0", vka_slice(cmd, x, (int64_t[]){0, 0, 0}, (int64_t[]){1, 0, 1}, sy),
                     VKA_ERR_INVALID_ARG, "step 0");
    vkt_expect_error("slice rank mismatch", vka_slice(cmd, x, (int64_t[]){0, 0, 0}, NULL, m), VKA_ERR_SHAPE, "mat");
    vkt_expect_error("slice NULL start", vka_slice(cmd, x, NULL, NULL, sy), VKA_ERR_INVALID_ARG, "start");

    /* usable after all of that */
    vka_slice(cmd, x, (int64_t[]){1, 1, 1}, (int64_t[]){1, 1, 2}, sy);
    vka_status s = vka_cmd_end(cmd);
    if (!s)
        s = vka_cmd_submit(cmd);
    vkt_check(s == VKA_OK, "usable after errors: %s", vka_status_str(s));
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(y), vka_tensor_destroy(z), vka_tensor_destroy(h);
    vka_tensor_destroy(m), vka_tensor_destroy(cy), vka_tensor_destroy(sy);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    int f16 = vka_context_device(ctx)->fp16_storage;
    vka_dtype dts[3] = {VKA_F32, VKA_I32, VKA_F16};
    for (int d = 0; d < 2 + f16; d++) {
        vka_dtype dt = dts[d];
        /* permute: transpose, all of 3-D, attention layouts, 6-D and 8-D */
        test_permute(ctx, dt, 2, (int64_t[]){37, 53}, (int[]){1, 0}, 0);
        int p3[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
        for (int i = 0; i < 6; i++)
            test_permute(ctx, dt, 3, (int64_t[]){5, 7, 9}, p3[i], 0);
        test_permute(ctx, dt, 4, (int64_t[]){2, 13, 3, 17}, (int[]){0, 2, 1, 3}, 0); /* [B,N,H,D]->[B,H,N,D] */
        test_permute(ctx, dt, 4, (int64_t[]){2, 3, 13, 17}, (int[]){0, 1, 3, 2}, 0); /* K^T */
        test_permute(ctx, dt, 4, (int64_t[]){3, 1, 11, 6}, (int[]){3, 0, 2, 1}, 1);
        test_permute(ctx, dt, 6, (int64_t[]){2, 3, 1, 4, 5, 3}, (int[]){5, 3, 0, 1, 4, 2}, 0);
        test_permute(ctx, dt, 8, (int64_t[]){2, 3, 2, 1, 3, 2, 2, 3}, (int[]){7, 0, 6, 1, 5, 2, 4, 3}, 0);
        /* concat along every axis with 2-4 inputs, negative axis, an empty input */
        for (int ax = 0; ax < 3; ax++) {
            test_concat(ctx, dt, 3, (int64_t[]){4, 5, 6}, ax, 2, (int64_t[]){3, 2});
            test_concat(ctx, dt, 3, (int64_t[]){4, 5, 6}, ax, 3, (int64_t[]){1, 4, 2});
            test_concat(ctx, dt, 3, (int64_t[]){4, 5, 6}, ax, 4, (int64_t[]){2, 1, 3, 5});
        }
        test_concat(ctx, dt, 4, (int64_t[]){2, 3, 7, 5}, -1, 3, (int64_t[]){5, 0, 11});
        test_concat(ctx, dt, 1, (int64_t[]){1}, 0, 2, (int64_t[]){1000, 777});
        /* slices: step 2, step -1 (reversal), mixed, QKV split, NULL step */
        test_slice(ctx, dt, 3, (int64_t[]){10, 11, 12}, (int64_t[]){1, 2, 3}, (int64_t[]){2, 1, 2},
                   (int64_t[]){5, 7, 4}, 0);
        test_slice(ctx, dt, 2, (int64_t[]){9, 13}, (int64_t[]){8, 12}, (int64_t[]){-1, -1}, (int64_t[]){9, 13}, 0);
        test_slice(ctx, dt, 3, (int64_t[]){6, 7, 8}, (int64_t[]){5, 0, 7}, (int64_t[]){-2, 3, -1},
                   (int64_t[]){3, 3, 8}, 1);
        test_slice(ctx, dt, 3, (int64_t[]){2, 17, 3 * 24}, (int64_t[]){0, 0, 24}, NULL, (int64_t[]){2, 17, 24}, 0);
        test_slice(ctx, dt, 5, (int64_t[]){3, 4, 5, 2, 7}, (int64_t[]){1, 3, 0, 1, 2}, (int64_t[]){1, -1, 2, 1, 2},
                   (int64_t[]){2, 3, 3, 1, 3}, 0);
        test_slice(ctx, dt, 1, (int64_t[]){1000003}, (int64_t[]){1000002}, (int64_t[]){-1}, (int64_t[]){1000003}, 0);
    }
    test_errors(ctx);
    return vkt_finish();
}
