/* SPDX-License-Identifier: MIT */
/* test_safetensors.c — reading and writing .safetensors: a round trip, a real
 * asset file, and malformed files (truncated, header or data offsets pointing
 * past the end, bad JSON, size mismatch), each a clear error, no crash. */
#include <unistd.h>

#include "common.h"

static char tmpdir[64];

static const char *write_raw(const char *name, const void *data, size_t n)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
    return path;
}

/* header length (8 bytes LE) + json + data */
static const char *write_st(const char *name, const char *json, const void *data, size_t dn)
{
    size_t jl = strlen(json);
    uint8_t *buf = calloc(1, 8 + jl + dn + 1);
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)((uint64_t)jl >> (8 * i));
    memcpy(buf + 8, json, jl);
    if (dn)
        memcpy(buf + 8 + jl, data, dn);
    const char *p = write_raw(name, buf, 8 + jl + dn);
    free(buf);
    return p;
}

static void expect_fail(const char *what, const char *path, const char *needle)
{
    vka_safetensors *st = vka_safetensors_open(path);
    vkt_check(st == NULL && strstr(vka_last_error(), needle), "%s: \"%s\"", what, vka_last_error());
    vka_safetensors_close(st);
}

int main(int argc, char **argv)
{
    vkt_init(argc, argv);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vkattn-st-XXXXXX");
    if (!mkdtemp(tmpdir))
        return 1;

    /* round trip */
    float *a = vkt_randn(2 * 3 * 5, 1.0f);
    int64_t b[4] = {1, -2, 3, 1ll << 40};
    vka_st_tensor w[2] = {{.name = "alpha", .dtype = VKA_ST_F32, .ndim = 3, .shape = {2, 3, 5}, .data = a, .bytes = 120},
                          {.name = "beta.ids", .dtype = VKA_ST_I64, .ndim = 1, .shape = {4}, .data = b, .bytes = 32}};
    char path[256];
    snprintf(path, sizeof path, "%s/rt.safetensors", tmpdir);
    vka_status s = vka_safetensors_write(path, 2, w);
    vka_safetensors *st = vka_safetensors_open(path);
    vkt_check(s == VKA_OK && st && vka_safetensors_count(st) == 2, "write + open round trip: %s",
              st ? "ok" : vka_last_error());
    if (st) {
        const vka_st_tensor *ra = vka_safetensors_find(st, "alpha"), *rb = vka_safetensors_find(st, "beta.ids");
        vkt_check(ra && ra->ndim == 3 && ra->shape[2] == 5 && ra->bytes == 120 && !memcmp(ra->data, a, 120),
                  "alpha comes back bit-exact");
        vkt_check(rb && rb->dtype == VKA_ST_I64 && !memcmp(rb->data, b, 32), "beta.ids (I64) comes back bit-exact");
        vkt_check(((uintptr_t)ra->data & 7) == 0, "data section is 8-byte aligned");
        vkt_check(vka_safetensors_find(st, "gamma") == NULL, "absent name -> NULL");
    }
    vka_safetensors_close(st);

    /* a real asset: the CI ViT golden (inputs then outputs, as ONNX Runtime wrote them) */
    const char *g = vkt_asset("golden/vit_tiny_ci_rand.safetensors");
    if (g) {
        st = vka_safetensors_open(g);
        const vka_st_tensor *x = st ? vka_safetensors_find(st, "pixel_values") : NULL;
        const vka_st_tensor *y = st ? vka_safetensors_find(st, "logits") : NULL;
        vkt_check(x && y && x->ndim == 4 && x->shape[1] == 3 && x->shape[3] == 64 && y->shape[1] == 10,
                  "golden vit_tiny_ci_rand: pixel_values [1,3,64,64], logits [1,10]");
        vka_safetensors_close(st);
    }

    /* malformed files */
    expect_fail("missing file", "/nonexistent/x.safetensors", "cannot open");
    expect_fail("5-byte file", write_raw("short.st", "abcde", 5), "truncated");
    uint8_t huge[16] = {0xff, 0xff, 0xff, 0, 0, 0, 0, 0, '{', '}'};
    expect_fail("header length past the end", write_raw("hlen.st", huge, 16), "past the end");
    expect_fail("header not JSON", write_st("json.st", "{\"a\": [1, 2", NULL, 0), "JSON");
    float four[4] = {1, 2, 3, 4};
    expect_fail("data_offsets past the end",
                write_st("off.st", "{\"t\":{\"dtype\":\"F32\",\"shape\":[8],\"data_offsets\":[0,32]}}", four, 16),
                "past the end");
    expect_fail("size does not match shape",
                write_st("size.st", "{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", four, 16),
                "does not match");
    expect_fail("unknown dtype",
                write_st("dt.st", "{\"t\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,16]}}", four, 16),
                "unknown dtype");
    expect_fail("negative dimension",
                write_st("neg.st", "{\"t\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", four, 16),
                "bad dimension");
    expect_fail("missing fields", write_st("miss.st", "{\"t\":{\"dtype\":\"F32\"}}", NULL, 0), "data_offsets");

    /* #13: offsets past 2^64 (a double whose cast to uint64 is undefined; gcc gave 0), overlapping
     * data, a duplicate name */
    expect_fail("data_offsets >= 2^64",
                write_st("o64.st", "{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[1e20,1e20]}}", four,
                         16),
                "data_offsets must be integers");
    expect_fail("data_offsets begin 2^64, end 16",
                write_st("o64b.st", "{\"t\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[18446744073709551616,"
                         "18446744073709551616]}}", four, 16),
                "data_offsets must be integers");
    expect_fail("fractional data_offsets",
                write_st("ofr.st", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0.5,4.5]}}", four, 16),
                "data_offsets must be integers");
    expect_fail("overlapping data",
                write_st("ovl.st", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", four, 16),
                "overlap");
    expect_fail("duplicate name",
                write_st("dup.st", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                         "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", four, 16),
                "appears twice");
    {
        /* the same parser on a caller's buffer, without a file */
        static const char js[] = "{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        size_t jl = sizeof js - 1;
        uint8_t *mem = calloc(1, 8 + jl + 16);
        for (int i = 0; i < 8; i++)
            mem[i] = (uint8_t)((uint64_t)jl >> (8 * i));
        memcpy(mem + 8, js, jl);
        memcpy(mem + 8 + jl, four, 16);
        vka_safetensors *ms = vka_safetensors_open_memory(mem, 8 + jl + 16, "buf");
        const vka_st_tensor *t = ms ? vka_safetensors_find(ms, "t") : NULL;
        vkt_check(t && t->bytes == 16 && !memcmp(t->data, four, 16), "open_memory reads a buffer: %s",
                  t ? "ok" : vka_last_error());
        vka_safetensors_close(ms);
        ms = vka_safetensors_open_memory(mem, 8 + jl + 8, "cut buf");
        vkt_check(!ms && strstr(vka_last_error(), "cut buf") && strstr(vka_last_error(), "past the end"),
                  "open_memory on a cut buffer: \"%s\"", vka_last_error());
        vka_safetensors_close(ms);
        free(mem);
    }

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", tmpdir);
    free(a);
    return vkt_finish();
}
