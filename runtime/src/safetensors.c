/* SPDX-License-Identifier: MIT */
/* safetensors.c — bounds-checked .safetensors reading (through mmap, or from
 * a caller's buffer), and writing. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define HEADER_MAX (100u << 20) /* the format's own limit is 100 MB */

struct vka_safetensors;
static struct vka_safetensors *parse(struct vka_safetensors *st, const uint8_t *p, const char *path);

struct vka_safetensors {
    void *map;                   /* NULL when opened on a caller's buffer */
    size_t size;
    vka_st_tensor *t;
    int n;
    cJSON *meta;
    cJSON *root;
};

static const char *const dtype_names[VKA_ST_DTYPE_COUNT] = {"F32", "F16", "BF16", "F64", "I64",
                                                            "I32", "I16", "I8",   "U8",  "BOOL"};
static const size_t dtype_sizes[VKA_ST_DTYPE_COUNT] = {4, 2, 2, 8, 8, 4, 2, 1, 1, 1};

const char *vka_st_dtype_str(vka_st_dtype t) { return t < VKA_ST_DTYPE_COUNT ? dtype_names[t] : "?"; }
size_t vka_st_dtype_size(vka_st_dtype t) { return t < VKA_ST_DTYPE_COUNT ? dtype_sizes[t] : 0; }

static vka_safetensors *fail(vka_safetensors *st, const char *path, const char *fmt, const char *what)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, what ? what : "");
    vka__set_tls_error("%s: %s", path, msg);
    vka_safetensors_close(st);
    return NULL;
}

vka_safetensors *vka_safetensors_open(const char *path)
{
    if (!path) {
        vka__set_tls_error("vka_safetensors_open: path is NULL");
        return NULL;
    }
    vka_safetensors *st = calloc(1, sizeof *st);
    if (!st)
        return fail(NULL, path, "out of host memory%s", "");
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return fail(st, path, "cannot open: %s", strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return fail(st, path, "not a regular file%s", "");
    }
    st->size = (size_t)sb.st_size;
    if (st->size < 8) {
        close(fd);
        return fail(st, path, "truncated: %s", "shorter than the 8-byte header length");
    }
    st->map = mmap(NULL, st->size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (st->map == MAP_FAILED) {
        st->map = NULL;
        return fail(st, path, "mmap failed: %s", strerror(errno));
    }
    return parse(st, st->map, path);
}

/* Offsets are JSON numbers, i.e. doubles: only integers up to 2^53 are exact,
 * and a cast of anything past 2^64 to uint64 is undefined. */
static bool offset_ok(const cJSON *x, uint64_t *out)
{
    if (!cJSON_IsNumber(x) || !(x->valuedouble >= 0) || x->valuedouble > 9007199254740992.0 ||
        x->valuedouble != floor(x->valuedouble))
        return false;
    *out = (uint64_t)x->valuedouble;
    return true;
}

static int by_offset(const void *a, const void *b)
{
    const vka_st_tensor *x = *(vka_st_tensor *const *)a, *y = *(vka_st_tensor *const *)b;
    return x->data < y->data ? -1 : x->data > y->data ? 1 : 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(vka_st_tensor *const *)a)->name, (*(vka_st_tensor *const *)b)->name);
}

/* No two tensors share a name or a byte (the format says so; a duplicate key
 * would make find() depend on order, overlapping data is a crafted file). */
static vka_safetensors *check_disjoint(vka_safetensors *st, const char *path)
{
    vka_st_tensor **ix = malloc(sizeof *ix * (size_t)(st->n ? st->n : 1));
    if (!ix)
        return fail(st, path, "out of host memory%s", "");
    for (int i = 0; i < st->n; i++)
        ix[i] = &st->t[i];
    const char *bad = NULL, *what = NULL;
    qsort(ix, (size_t)st->n, sizeof *ix, by_name);
    for (int i = 1; i < st->n && !bad; i++)
        if (!strcmp(ix[i - 1]->name, ix[i]->name))
            bad = ix[i]->name, what = "tensor \"%s\" appears twice in the header";
    qsort(ix, (size_t)st->n, sizeof *ix, by_offset);
    const uint8_t *end = NULL;
    for (int i = 0; i < st->n && !bad; i++) {
        if (!ix[i]->bytes)
            continue;
        if (end && (const uint8_t *)ix[i]->data < end)
            bad = ix[i]->name, what = "tensor \"%s\": its data_offsets overlap another tensor's";
        end = (const uint8_t *)ix[i]->data + ix[i]->bytes;
    }
    char name[200];
    snprintf(name, sizeof name, "%s", bad ? bad : "");
    free(ix);
    return bad ? fail(st, path, what, name) : st;
}

vka_safetensors *vka_safetensors_open_memory(const void *data, size_t size, const char *what)
{
    what = what ? what : "<memory>";
    if (!data && size) {
        vka__set_tls_error("vka_safetensors_open_memory: data is NULL");
        return NULL;
    }
    vka_safetensors *st = calloc(1, sizeof *st);
    if (!st)
        return fail(NULL, what, "out of host memory%s", "");
    st->size = size;
    if (st->size < 8)
        return fail(st, what, "truncated: %s", "shorter than the 8-byte header length");
    return parse(st, data, what);
}

static vka_safetensors *parse(vka_safetensors *st, const uint8_t *p, const char *path)
{
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | p[i];
    if (hlen > HEADER_MAX || hlen > st->size - 8) {
        char m[128];
        snprintf(m, sizeof m, "header length %llu points past the end of the %zu-byte file",
                 (unsigned long long)hlen, st->size);
        return fail(st, path, "%s", m);
    }
    st->root = cJSON_ParseWithLength((const char *)p + 8, (size_t)hlen);
    if (!cJSON_IsObject(st->root))
        return fail(st, path, "header is not a JSON object%s", "");
    const size_t data0 = 8 + (size_t)hlen, dlen = st->size - data0;
    int n = 0;
    for (cJSON *e = st->root->child; e; e = e->next)
        n += strcmp(e->string, "__metadata__") != 0;
    st->t = calloc((size_t)(n ? n : 1), sizeof *st->t);
    if (!st->t)
        return fail(st, path, "out of host memory%s", "");
    for (cJSON *e = st->root->child; e; e = e->next) {
        if (strcmp(e->string, "__metadata__") == 0) {
            st->meta = e;
            continue;
        }
        vka_st_tensor *t = &st->t[st->n];
        t->name = e->string;
        cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
        cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
        cJSON *off = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
        if (!cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2)
            return fail(st, path, "tensor \"%s\": needs dtype, shape and data_offsets [begin, end]", t->name);
        t->dtype = VKA_ST_DTYPE_COUNT;
        for (int i = 0; i < VKA_ST_DTYPE_COUNT; i++)
            if (strcmp(dt->valuestring, dtype_names[i]) == 0)
                t->dtype = (vka_st_dtype)i;
        if (t->dtype == VKA_ST_DTYPE_COUNT)
            return fail(st, path, "tensor \"%s\": unknown dtype", t->name);
        t->ndim = cJSON_GetArraySize(sh);
        if (t->ndim > VKA_MAX_DIMS)
            return fail(st, path, "tensor \"%s\": more than 8 dimensions", t->name);
        uint64_t numel = 1;
        for (int i = 0; i < t->ndim; i++) {
            cJSON *d = cJSON_GetArrayItem(sh, i);
            if (!cJSON_IsNumber(d) || d->valuedouble < 0 || d->valuedouble > 9.0e15 ||
                d->valuedouble != (double)(int64_t)d->valuedouble)
                return fail(st, path, "tensor \"%s\": bad dimension", t->name);
            t->shape[i] = (int64_t)d->valuedouble;
            if (t->shape[i] && numel > (UINT64_MAX >> 4) / (uint64_t)t->shape[i])
                return fail(st, path, "tensor \"%s\": element count overflows", t->name);
            numel *= (uint64_t)t->shape[i];
        }
        cJSON *b = cJSON_GetArrayItem(off, 0), *en = cJSON_GetArrayItem(off, 1);
        uint64_t lo, hi;
        if (!offset_ok(b, &lo) || !offset_ok(en, &hi) || hi < lo)
            return fail(st, path, "tensor \"%s\": data_offsets must be integers 0 <= begin <= end < 2^53", t->name);
        if (hi > dlen) {
            char m[256];
            snprintf(m, sizeof m, "tensor \"%s\": data_offsets [%llu, %llu] point past the end of the data (%zu bytes)",
                     t->name, (unsigned long long)lo, (unsigned long long)hi, dlen);
            return fail(st, path, "%s", m);
        }
        if (hi - lo != numel * dtype_sizes[t->dtype])
            return fail(st, path, "tensor \"%s\": data size does not match dtype and shape", t->name);
        t->data = p + data0 + lo;
        t->bytes = (size_t)(hi - lo);
        st->n++;
    }
    return check_disjoint(st, path);
}

void vka_safetensors_close(vka_safetensors *st)
{
    if (!st)
        return;
    if (st->map)
        munmap(st->map, st->size);
    cJSON_Delete(st->root);
    free(st->t);
    free(st);
}

int vka_safetensors_count(const vka_safetensors *st) { return st ? st->n : 0; }

const vka_st_tensor *vka_safetensors_get(const vka_safetensors *st, int i)
{
    return st && i >= 0 && i < st->n ? &st->t[i] : NULL;
}

const vka_st_tensor *vka_safetensors_find(const vka_safetensors *st, const char *name)
{
    for (int i = 0; st && name && i < st->n; i++)
        if (strcmp(st->t[i].name, name) == 0)
            return &st->t[i];
    return NULL;
}

const char *vka_safetensors_metadata(const vka_safetensors *st, const char *key)
{
    if (!st || !st->meta || !key)
        return NULL;
    cJSON *v = cJSON_GetObjectItemCaseSensitive(st->meta, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

vka_status vka_safetensors_write(const char *path, int n, const vka_st_tensor *tensors)
{
    if (!path || n < 0 || (n && !tensors)) {
        vka__set_tls_error("vka_safetensors_write: bad arguments");
        return VKA_ERR_INVALID_ARG;
    }
    cJSON *root = cJSON_CreateObject();
    uint64_t off = 0;
    for (int i = 0; i < n; i++) {
        const vka_st_tensor *t = &tensors[i];
        if (!t->name || t->dtype >= VKA_ST_DTYPE_COUNT || t->ndim < 0 || t->ndim > VKA_MAX_DIMS) {
            cJSON_Delete(root);
            vka__set_tls_error("vka_safetensors_write: tensor %d has no name or a bad dtype/rank", i);
            return VKA_ERR_INVALID_ARG;
        }
        cJSON *e = cJSON_AddObjectToObject(root, t->name);
        cJSON_AddStringToObject(e, "dtype", dtype_names[t->dtype]);
        cJSON *sh = cJSON_AddArrayToObject(e, "shape");
        for (int d = 0; d < t->ndim; d++)
            cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)t->shape[d]));
        cJSON *o = cJSON_AddArrayToObject(e, "data_offsets");
        cJSON_AddItemToArray(o, cJSON_CreateNumber((double)off));
        off += t->bytes;
        cJSON_AddItemToArray(o, cJSON_CreateNumber((double)off));
    }
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!json) {
        vka__set_tls_error("vka_safetensors_write: out of host memory");
        return VKA_ERR_OUT_OF_MEMORY;
    }
    size_t jl = strlen(json), padded = (jl + 8 + 7) / 8 * 8 - 8; /* data starts 8-aligned */
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(json);
        vka__set_tls_error("%s: cannot write: %s", path, strerror(errno));
        return VKA_ERR_IO;
    }
    uint8_t len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    bool ok = fwrite(len, 1, 8, f) == 8 && fwrite(json, 1, jl, f) == jl;
    for (size_t i = jl; i < padded && ok; i++)
        ok = fputc(' ', f) != EOF;
    for (int i = 0; i < n && ok; i++)
        ok = fwrite(tensors[i].data, 1, tensors[i].bytes, f) == tensors[i].bytes;
    ok &= fclose(f) == 0;
    free(json);
    if (!ok) {
        vka__set_tls_error("%s: write failed: %s", path, strerror(errno));
        return VKA_ERR_IO;
    }
    return VKA_OK;
}
