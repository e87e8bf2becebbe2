/* SPDX-License-Identifier: MIT */
/* test_fuzz_regress.c — replays every input the fuzzers found (tests/fuzz/regress/
 * <kind>/NAME, kinds onnx, safetensors, image, npy) through the API its fuzz
 * target calls, the way it calls it: each must be refused (not crash, not
 * succeed) with an error containing the text in NAME.expect. Under `make asan`
 * any memory error, leak or UB on these inputs fails too. */
#include <dirent.h>
#include <sys/stat.h>

#include "common.h"
#include "npy.h"

#define REGRESS VKA_SOURCE_DIR "/tests/fuzz/regress"

static uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    uint8_t *d = NULL;
    if (fstat(fileno(f), &st) == 0 && st.st_size >= 0 && (d = malloc((size_t)st.st_size + 1)) &&
        fread(d, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        free(d);
        d = NULL;
    }
    *n = d ? (size_t)st.st_size : 0;
    fclose(f);
    return d;
}

/* The input through the fuzz target's API; NULL if accepted, else the error. */
static const char *replay(const char *kind, const uint8_t *d, size_t n, char *why, size_t wn)
{
    if (!strcmp(kind, "onnx")) { /* as tests/fuzz/fuzz_onnx_common.h */
        vka_onnx_params op = vka_onnx_default_params();
        op.host_memory_limit = (uint64_t)32 << 20;
        vka_graph *g = vka_onnx_load_memory(vkt_ctx, d, n, &op);
        if (!g)
            return snprintf(why, wn, "%s", vka_context_last_error(vkt_ctx)), why;
        vka_graph_build_params bp = vka_graph_default_build_params();
        bp.fuse = (int)(n & 1);
        vka_status s = vka_graph_build(g, &bp);
        snprintf(why, wn, "%s", s ? vka_context_last_error(vkt_ctx) : "");
        vka_graph_destroy(g);
        return s ? why : NULL;
    }
    if (!strcmp(kind, "safetensors")) {
        vka_safetensors *st = vka_safetensors_open_memory(d, n, "regress");
        vka_safetensors_close(st);
        return st ? NULL : (snprintf(why, wn, "%s", vka_last_error()), why);
    }
    if (!strcmp(kind, "image")) {
        vka_image *img = vka_image_decode(d, n, "regress");
        vka_image_free(img);
        return img ? NULL : (snprintf(why, wn, "%s", vka_last_error()), why);
    }
    cli_npy a;
    return cli_npy_parse(d, n, &a, why, wn) ? why : NULL;
}

/* fuzz_onnx_struct, 2026-12-02 (regress/onnx/slice_step_int64_max.onnx): Slice
 * counted elements as (end - start + step - 1) / step, which overflows for a step
 * near INT64_MAX (UB; a wrong shape in a release build). One element each way. */
static void slice_huge_steps(void)
{
    vka_graph *g = vka_graph_create(vkt_ctx);
    int64_t data[7] = {10, 11, 12, 13, 14, 15, 16}, shp[1] = {7};
    vka_val x = vka_graph_const_i64(g, "x", 1, shp, data);
    static const struct {
        int64_t start, end, step, want;
    } c[] = {{1, 7, INT64_MAX, 11}, {5, INT64_MIN, -INT64_MAX, 15}, {0, INT64_MAX, INT64_MAX - 1, 10},
             {-1, -8, INT64_MIN + 1, 16}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        vka_val y = vka_graph_slice(g, "slice", x, 1, &c[i].start, &c[i].end, NULL, &c[i].step);
        const int64_t *v = y >= 0 ? vka_graph_const_data(g, y) : NULL;
        int ok = v && vka_graph_ndim(g, y) == 1 && vka_graph_shape(g, y)[0] == 1 && v[0] == c[i].want;
        vkt_check(ok, "Slice [7] from %lld to %lld step %lld: one element, %lld (%s)", (long long)c[i].start,
                  (long long)c[i].end, (long long)c[i].step, (long long)c[i].want,
                  y < 0 ? vka_context_last_error(vkt_ctx) : v ? "folded" : "not folded");
    }
    vka_graph_destroy(g);
}

/* fuzz_onnx_struct in CI, 2026-12-02 (regress/onnx/conv_group_2e62.onnx): Conv
 * multiplied w's channels by the group count unchecked (signed overflow for
 * groups 2^62); its output size multiplied dilation by kernel - 1, and the pool's
 * took kernel, stride, dilation and pads from the caller unchecked. Each is now a
 * refusal naming the parameter, through the C API as well as from ONNX. */
static void window_params_out_of_range(void)
{
    vka_graph *g = vka_graph_create(vkt_ctx);
    vka_val x = vka_graph_input(g, "x", VKA_F32, 4, (int64_t[]){1, 4, 8, 8});
    vka_val x1 = vka_graph_input(g, "x1", VKA_F32, 4, (int64_t[]){1, 1, 8, 8});
    vka_val w = vka_graph_input(g, "w", VKA_F32, 4, (int64_t[]){1, 1, (int64_t)1 << 48, 1});
    vka_conv_params cp = vka_conv_default_params();
    cp.dilation[0] = 65536; /* 65536 * (2^48 - 1) overflowed int64 */
    vka_val y = vka_graph_conv(g, "conv_tall", x1, w, VKA_NONE, &cp);
    vkt_check(y < 0 && strstr(vka_context_last_error(vkt_ctx), "Conv output would be"),
              "Conv kernel 2^48 x 1 dilated 65536 over 8 rows: refused (%s)", vka_context_last_error(vkt_ctx));
    cp = vka_conv_default_params();
    cp.groups = (int64_t)1 << 62;
    w = vka_graph_input(g, "w2", VKA_F32, 4, (int64_t[]){4, 4, 3, 3});
    y = vka_graph_conv(g, "conv_groups", x, w, VKA_NONE, &cp);
    vkt_check(y < 0 && strstr(vka_context_last_error(vkt_ctx), "channels do not match"),
              "Conv groups 2^62: refused (%s)", vka_context_last_error(vkt_ctx));
    static const struct {
        int64_t kernel, stride, dilation, pad;
    } bad[] = {{INT64_MAX, 1, 1, 0}, {2, INT64_MAX, 1, 0}, {2, 1, INT64_MAX, 0}, {2, 1, 1, INT64_MAX},
               {2, 1, 1, -1}, {0, 1, 1, 0}, {2, 0, 1, 0}, {65537, 1, 1, 0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vka_pool_params pp = vka_pool_default_params();
        pp.kernel[1] = bad[i].kernel;
        pp.stride[1] = bad[i].stride;
        pp.dilation[1] = bad[i].dilation;
        pp.pad[3] = bad[i].pad;
        y = vka_graph_pool(g, "pool", VKA_POOL_MAX, x, &pp);
        vkt_check(y < 0 && strstr(vka_context_last_error(vkt_ctx), "on axis 3"),
                  "MaxPool kernel %lld stride %lld dilation %lld pad %lld: refused (%s)", (long long)bad[i].kernel,
                  (long long)bad[i].stride, (long long)bad[i].dilation, (long long)bad[i].pad,
                  vka_context_last_error(vkt_ctx));
    }
    vka_pool_params pp = vka_pool_default_params(); /* and a good one still builds its shape */
    pp.kernel[0] = pp.kernel[1] = 3;
    pp.stride[0] = pp.stride[1] = 2;
    pp.pad[0] = pp.pad[1] = pp.pad[2] = pp.pad[3] = 1;
    y = vka_graph_pool(g, "pool_ok", VKA_POOL_MAX, x, &pp);
    vkt_check(y >= 0 && vka_graph_shape(g, y)[2] == 4 && vka_graph_shape(g, y)[3] == 4,
              "MaxPool 3x3 stride 2 pad 1 on 8x8: 4x4");
    vka_graph_destroy(g);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv)
{
    vkt_init(argc, argv);
    static const char *const kinds[] = {"onnx", "safetensors", "image", "npy"};
    int total = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/%s", REGRESS, kinds[k]);
        DIR *dp = opendir(dir);
        if (!dp)
            continue;
        char *names[256];
        int nn = 0;
        for (struct dirent *e; (e = readdir(dp)) && nn < 256;) {
            size_t l = strlen(e->d_name);
            if (e->d_name[0] != '.' && !(l > 7 && !strcmp(e->d_name + l - 7, ".expect")))
                names[nn++] = strdup(e->d_name);
        }
        closedir(dp);
        qsort(names, (size_t)nn, sizeof *names, cmp_str);
        for (int i = 0; i < nn; i++, total++) {
            char path[800], ep[820], expect[256] = "", why[1024];
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            snprintf(ep, sizeof ep, "%s.expect", path);
            size_t n = 0, en = 0;
            uint8_t *d = read_file(path, &n), *e = read_file(ep, &en);
            if (e) {
                snprintf(expect, sizeof expect, "%.*s", (int)en, (const char *)e);
                expect[strcspn(expect, "\r\n")] = 0;
            }
            if (!d || !expect[0]) {
                vkt_check(0, "%s/%s: %s", kinds[k], names[i], !d ? "unreadable" : "no .expect file (or it is empty)");
            } else {
                const char *r = replay(kinds[k], d, n, why, sizeof why);
                vkt_check(r && strstr(r, expect), "%s/%s (%zu bytes) refused with \"%s\": \"%s\"", kinds[k], names[i],
                          n, expect, r ? r : "accepted");
            }
            free(d);
            free(e);
            free(names[i]);
        }
    }
    vkt_check(total > 0, "%d inputs replayed from %s", total, REGRESS);
    slice_huge_steps();
    window_params_out_of_range();
    return vkt_finish();
}
