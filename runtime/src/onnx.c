/* SPDX-License-Identifier: MIT */
/* onnx.c — ONNX import: a bounded pre-scan of the wire format (nesting depth,
 * field sizes and declared tensor sizes against the device and host limits),
 * then protobuf-c parses the model (schema from Debian's onnx.proto, compiled
 * at build time), and each node goes through one table of ops (opset range,
 * arity, attribute schema, one small importer function each) to builder calls.
 * Nodes whose inputs are constant fold on the host (shape arithmetic). */
#define _XOPEN_SOURCE 700 /* POSIX 2008 and realpath */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "graph.h"
#include "onnx.pb-c.h"

#define OPSET_MIN 13
#define OPSET_MAX 17
/* Nested messages: a real model is ~4 deep (model, graph, node, attribute),
 * ~12 with subgraphs; protobuf-c unpacks recursively and a file nested 10^5
 * deep would overflow the stack before any of our code runs. */
#define MAX_NESTING 64

typedef struct {
    char *name;
    vka_val v;
} entry;

struct op_def;

typedef struct {
    vka_graph *g;
    vka_context *ctx;
    const char *path;            /* the file, or "<memory>", for messages */
    const char *dir;             /* folder of external data; NULL: refused */
    int64_t opset;
    int64_t dyn;
    entry *tab;                  /* open addressing, power-of-two size */
    size_t cap, n;
    const Onnx__NodeProto *node; /* the node being imported, for messages */
    const struct op_def *def;    /* its table entry */
} importer;

/* ---------------------------------------------------------------- names */

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static bool tab_put(importer *im, const char *name, vka_val v)
{
    if ((im->n + 1) * 2 > im->cap) {
        size_t cap = im->cap ? im->cap * 2 : 1024;
        entry *t = calloc(cap, sizeof *t);
        if (!t)
            return false;
        for (size_t i = 0; i < im->cap; i++)
            if (im->tab[i].name) {
                size_t j = hash(im->tab[i].name) & (cap - 1);
                while (t[j].name)
                    j = (j + 1) & (cap - 1);
                t[j] = im->tab[i];
            }
        free(im->tab);
        im->tab = t;
        im->cap = cap;
    }
    size_t j = hash(name) & (im->cap - 1);
    while (im->tab[j].name && strcmp(im->tab[j].name, name) != 0)
        j = (j + 1) & (im->cap - 1);
    if (!im->tab[j].name) {
        im->tab[j].name = strdup(name);
        im->n++;
    }
    im->tab[j].v = v;
    return true;
}

static vka_val tab_get(const importer *im, const char *name)
{
    if (!im->cap || !name || !*name)
        return VKA_NONE;
    size_t j = hash(name) & (im->cap - 1);
    while (im->tab[j].name) {
        if (strcmp(im->tab[j].name, name) == 0)
            return im->tab[j].v;
        j = (j + 1) & (im->cap - 1);
    }
    return VKA_NONE;
}

static vka_status ierr(importer *im, vka_status s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static vka_status ierr(importer *im, vka_status s, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (im->node)
        return vka__err(im->ctx, s, "%s: node %s (op %s, opset %lld): %s", im->path,
                        im->node->name && *im->node->name ? im->node->name : "(unnamed)", im->node->op_type,
                        (long long)im->opset, msg);
    return vka__err(im->ctx, s, "%s: %s", im->path, msg);
}

/* ---------------------------------------------------------------- tensors */

/* A decimal offset or length from external_data; -1 if absent, -2 if malformed. */
static long long ext_number(const char *s)
{
    if (!s)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return errno || end == s || *end || v < 0 ? -2 : v;
}

/* Reads `need` bytes of external data into out. The file must lie inside the
 * model's folder once every symlink is resolved (a relative name that is a
 * symlink to /etc/passwd is not weights), and be a regular file long enough. */
static vka_status read_external(importer *im, const Onnx__TensorProto *t, size_t need, uint8_t *out)
{
    const char *loc = NULL, *offs = NULL, *lens = NULL;
    for (size_t i = 0; i < t->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = t->external_data[i];
        if (!e->key || !e->value)
            continue;
        if (!strcmp(e->key, "location"))
            loc = e->value;
        else if (!strcmp(e->key, "offset"))
            offs = e->value;
        else if (!strcmp(e->key, "length"))
            lens = e->value;
    }
    long long off = ext_number(offs), len = ext_number(lens);
    if (!loc || !*loc || strstr(loc, "..") || loc[0] == '/')
        return ierr(im, VKA_ERR_FORMAT, "initializer %s: external data without a plain relative location", t->name);
    if (off == -2 || len == -2)
        return ierr(im, VKA_ERR_FORMAT, "initializer %s: external data offset \"%s\" / length \"%s\" are not "
                    "non-negative numbers", t->name, offs ? offs : "", lens ? lens : "");
    off = off < 0 ? 0 : off;
    if (len >= 0 && (unsigned long long)len != need)
        return ierr(im, VKA_ERR_FORMAT, "initializer %s: external length %lld, %zu bytes expected", t->name, len, need);
    if (!im->dir)
        return ierr(im, VKA_ERR_FORMAT, "initializer %s: external data (%s) in a model loaded from memory without "
                    "external_data_dir", t->name, loc);
    char path[PATH_MAX], dir[PATH_MAX], real[PATH_MAX];
    if (!realpath(im->dir, dir))
        return ierr(im, VKA_ERR_IO, "initializer %s: model folder %s: %s", t->name, im->dir, strerror(errno));
    int k = snprintf(path, sizeof path, "%s/%s", im->dir, loc);
    if (k < 0 || (size_t)k >= sizeof path)
        return ierr(im, VKA_ERR_FORMAT, "initializer %s: external data path too long", t->name);
    if (!realpath(path, real))
        return ierr(im, VKA_ERR_IO, "initializer %s: cannot open external data %s: %s", t->name, path, strerror(errno));
    size_t dl = strlen(dir);
    if (strncmp(real, dir, dl) || (real[dl] != '/' && dir[dl - 1] != '/'))
        return ierr(im, VKA_ERR_FORMAT, "initializer %s: external data %s resolves to %s, outside the model's folder %s",
                    t->name, path, real, dir);
    /* the resolved path has no symlink left: O_NOFOLLOW refuses one swapped in since */
    int fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return ierr(im, VKA_ERR_IO, "initializer %s: cannot open external data %s: %s", t->name, real, strerror(errno));
    struct stat sb;
    vka_status s = VKA_OK;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode))
        s = ierr(im, VKA_ERR_FORMAT, "initializer %s: external data %s is not a regular file", t->name, real);
    else if ((unsigned long long)sb.st_size < (unsigned long long)off ||
             (unsigned long long)sb.st_size - (unsigned long long)off < need)
        s = ierr(im, VKA_ERR_FORMAT, "initializer %s: external data %s too short (offset %lld, %zu bytes, file %lld)",
                 t->name, real, off, need, (long long)sb.st_size);
    for (size_t got = 0; !s && got < need;) {
        ssize_t r = pread(fd, out + got, need - got, (off_t)(off + (long long)got));
        if (r <= 0)
            s = ierr(im, VKA_ERR_IO, "initializer %s: reading external data %s: %s", t->name, real,
                     r ? strerror(errno) : "unexpected end");
        got += r > 0 ? (size_t)r : 0;
    }
    close(fd);
    return s;
}

static float half_to_float(uint16_t h)
{
    uint32_t s = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    float f;
    if (e == 0)
        f = ldexpf((float)m, -24);
    else if (e == 31)
        f = m ? NAN : INFINITY;
    else
        f = ldexpf((float)(m | 0x400), (int)e - 25);
    return s ? -f : f;
}

/* The device limit on a constant, from its declared shape alone: every
 * constant that a device node reads becomes one F32/I32 buffer. */
static vka_status check_device_size(importer *im, const char *name, int64_t numel)
{
    uint64_t bytes = (uint64_t)numel * 4, range = im->ctx->info.max_storage_buffer_range;
    if (range && bytes > range)
        return ierr(im, VKA_ERR_TOO_LARGE, "tensor %s has %lld elements (%.1f MiB as F32/I32), over the device's "
                    "maxStorageBufferRange of %.1f MiB", name, (long long)numel, bytes / 1048576.0, range / 1048576.0);
    return VKA_OK;
}

/* A TensorProto as a graph constant: shape and sizes checked, then the host
 * storage charged to the budget, then the data read or converted. */
static vka_status make_const(importer *im, const Onnx__TensorProto *t, const char *name, vka_val *out)
{
    *out = VKA_NONE;
    int nd = (int)t->n_dims;
    if (t->n_dims > VKA_MAX_DIMS)
        return ierr(im, VKA_ERR_UNSUPPORTED, "tensor %s has %zu dimensions", name, t->n_dims);
    int64_t shape[VKA_MAX_DIMS], n;
    for (int i = 0; i < nd; i++) {
        if (t->dims[i] < 0)
            return ierr(im, VKA_ERR_FORMAT, "tensor %s: negative dimension %lld", name, (long long)t->dims[i]);
        shape[i] = t->dims[i];
    }
    if (!vka__numel(nd, shape, &n))
        return ierr(im, VKA_ERR_FORMAT, "tensor %s: the element count of its dims overflows", name);
    vka_status s = check_device_size(im, name, n);
    if (s)
        return s;
    int dt = t->has_data_type ? t->data_type : 0;
    size_t es;
    bool is_int;
    switch (dt) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: es = 4, is_int = false; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: es = 8, is_int = false; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: es = 2, is_int = false; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: es = 8, is_int = true; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: es = 4, is_int = true; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: es = 1, is_int = true; break;
    default: return ierr(im, VKA_ERR_UNSUPPORTED, "tensor %s: data type %d", name, dt);
    }
    size_t need = (size_t)n * es;
    bool external = t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    bool have_raw = external || t->has_raw_data;
    if (t->has_raw_data && !external && t->raw_data.len != need)
        return ierr(im, VKA_ERR_FORMAT, "tensor %s: raw_data has %zu bytes, shape and type need %zu", name,
                    t->raw_data.len, need);
    /* typed fields: float_data, int32_data (also f16/bool/int8 payloads), int64_data, double_data */
    size_t have = have_raw ? (size_t)n
                  : dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT  ? t->n_float_data
                  : dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64  ? t->n_int64_data
                  : dt == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE ? t->n_double_data
                                                                : t->n_int32_data;
    if (have != (size_t)n)
        return ierr(im, VKA_ERR_FORMAT, "tensor %s: %zu values stored, shape needs %lld", name, have, (long long)n);
    int64_t hn;
    void *h = vka__host_new(im->g, name, is_int, nd, shape, &hn);
    if (!h)
        return VKA_ERR_TOO_LARGE;
    const uint8_t *raw = t->raw_data.data;
    uint8_t *ext = NULL;
    int64_t en = 0;
    if (external && need) {
        /* the same budget covers the file's bytes while they are converted */
        if (!(ext = vka__host_new(im->g, name, false, 1, (int64_t[]){(int64_t)(need + 3) / 4}, &en))) {
            free(h);
            return VKA_ERR_TOO_LARGE;
        }
        if ((s = read_external(im, t, need, ext))) {
            free(ext);
            free(h);
            return s;
        }
        raw = ext;
    }
    for (int64_t i = 0; i < n; i++) {
        double v;
        if (have_raw) {
            switch (dt) {
            case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: { float f; memcpy(&f, raw + 4 * i, 4); v = f; break; }
            case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: memcpy(&v, raw + 8 * i, 8); break;
            case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: { uint16_t u; memcpy(&u, raw + 2 * i, 2); v = half_to_float(u); break; }
            case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: { int64_t w; memcpy(&w, raw + 8 * i, 8); ((int64_t *)h)[i] = w; continue; }
            case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: { int32_t w; memcpy(&w, raw + 4 * i, 4); v = w; break; }
            case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: v = (int8_t)raw[i]; break;
            default: v = raw[i]; break;
            }
        } else {
            switch (dt) {
            case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: v = t->float_data[i]; break;
            case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: v = t->double_data[i]; break;
            case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: ((int64_t *)h)[i] = t->int64_data[i]; continue;
            case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: v = half_to_float((uint16_t)t->int32_data[i]); break;
            default: v = t->int32_data[i]; break;
            }
        }
        if (is_int)
            ((int64_t *)h)[i] = (int64_t)v; /* from int32/int8/uint8/bool: exact */
        else
            ((float *)h)[i] = (float)v;
    }
    if (ext) {
        free(ext);
        im->g->host_bytes -= (uint64_t)en * 4; /* charged above */
    }
    *out = vka__graph_const_owned(im->g, name, is_int, nd, shape, h);
    return *out < 0 ? VKA_ERR_SHAPE : VKA_OK;
}

/* ---------------------------------------------------------------- attributes */

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name))
            return n->attribute[i];
    return NULL;
}

static int64_t attr_i(const Onnx__NodeProto *n, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->has_i ? a->i : def;
}

static float attr_f(const Onnx__NodeProto *n, const char *name, float def)
{
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->has_f ? a->f : def;
}

/* An int attribute that the builders take as int (axes, flags): out of range is an error, not a wrap. */
static vka_status attr_int(importer *im, const Onnx__NodeProto *n, const char *name, int64_t def, int *out)
{
    int64_t v = attr_i(n, name, def);
    if (v < INT_MIN || v > INT_MAX)
        return ierr(im, VKA_ERR_FORMAT, "attribute %s = %lld is out of range", name, (long long)v);
    *out = (int)v;
    return VKA_OK;
}

static bool attr_is(const Onnx__NodeProto *n, const char *name, const char *value, const char *def)
{
    const Onnx__AttributeProto *a = attr(n, name);
    if (!a || !a->has_s)
        return !strcmp(value, def);
    return a->s.len == strlen(value) && !memcmp(a->s.data, value, a->s.len);
}

static const char *attr_s(const Onnx__NodeProto *n, const char *name, char *buf, size_t cap, const char *def)
{
    const Onnx__AttributeProto *a = attr(n, name);
    if (!a || !a->has_s)
        return def;
    snprintf(buf, cap, "%.*s", a->s.len > 200 ? 200 : (int)a->s.len, (const char *)a->s.data);
    return buf;
}

#define INTS_ABSENT -1
#define INTS_NOT_CONST -2
#define INTS_TOO_MANY -3

/* Integer list from an attribute or, failing that, a constant input: the
 * count, INTS_ABSENT, INTS_NOT_CONST, or INTS_TOO_MANY (more than max). */
static int ints_of(importer *im, const Onnx__NodeProto *n, const char *aname, int input, int64_t *out, int max)
{
    const Onnx__AttributeProto *a = *aname ? attr(n, aname) : NULL;
    if (a && a->n_ints) {
        if (a->n_ints > (size_t)max)
            return INTS_TOO_MANY;
        memcpy(out, a->ints, sizeof(int64_t) * a->n_ints);
        return (int)a->n_ints;
    }
    if (input >= 0 && (size_t)input < n->n_input && n->input[input][0]) {
        vka_val v = tab_get(im, n->input[input]);
        if (v >= 0 && vka__graph_is_const(im->g, v)) {
            int64_t cnt = im->g->vals[v].numel;
            if (cnt > max)
                return INTS_TOO_MANY;
            for (int i = 0; i < cnt; i++)
                out[i] = vka__const_i64(im->g, v, i);
            return (int)cnt;
        }
        return INTS_NOT_CONST;
    }
    return INTS_ABSENT;
}

/* The error for a failed ints_of (k < 0 other than absent). */
static vka_status ints_err(importer *im, int k, const char *what, int max)
{
    if (k == INTS_TOO_MANY)
        return ierr(im, VKA_ERR_FORMAT, "%s has more than %d values", what, max);
    return ierr(im, VKA_ERR_UNSUPPORTED, "%s must be constant", what);
}

static vka_val in_val(importer *im, const Onnx__NodeProto *n, size_t i)
{
    if (i >= n->n_input || !n->input[i][0])
        return VKA_NONE;
    return tab_get(im, n->input[i]);
}

/* A double from a file as an int64 count or size: NaN, infinities and values
 * past VKA__MAX_NUMEL are errors, never a cast. */
static vka_status to_count(importer *im, double d, const char *what, int64_t *out)
{
    if (!isfinite(d) || d < 0 || d > (double)VKA__MAX_NUMEL)
        return ierr(im, VKA_ERR_FORMAT, "%s %g is not a count in 0..2^48", what, d);
    *out = (int64_t)d;
    return VKA_OK;
}

/* ---------------------------------------------------------------- op importers
 * One function per ONNX op (or family), found through the table below, which
 * has already checked the opset, the arity, that every input named is defined,
 * that output 0 is named, and every attribute's name and type. Each sets *r to
 * the value of output 0 (VKA_NONE with the builder's error on failure). */

typedef vka_status (*op_fn)(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r);

typedef struct attr_def {
    const char *name;
    int type;                    /* ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__* */
    const char *ignored;         /* NULL: honoured; else why it is accepted and ignored */
} attr_def;

typedef struct op_def {
    const char *op;
    int since, until;            /* opsets whose definition of the op this importer implements */
    int min_in, max_in, min_out, max_out;
    op_fn fn;
    int sub;                     /* the family member: binary/unary/compare/reduce op */
    attr_def attrs[8];
} op_def;

#define A_INT ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT
#define A_FLOAT ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT
#define A_STRING ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING
#define A_TENSOR ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR
#define A_INTS ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS
#define A_FLOATS ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS

static vka_status imp_binary(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    vka_binary_op op = (vka_binary_op)im->def->sub;
    *r = vka_graph_binary(im->g, name, op, in_val(im, n, 0), in_val(im, n, 1));
    for (size_t j = 2; *r >= 0 && j < n->n_input; j++) /* Max and Min are variadic */
        *r = vka_graph_binary(im->g, name, op, *r, in_val(im, n, j));
    return VKA_OK;
}

static vka_status imp_unary(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    *r = vka_graph_unary(im->g, name, (vka_unary_op)im->def->sub, in_val(im, n, 0));
    return VKA_OK;
}

/* Host-only comparison and logic ops fold when their inputs are constant;
 * otherwise they run on the device. */
static vka_status imp_compare(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    (void)name;
    vka_graph *g = im->g;
    vka_compare_op op = (vka_compare_op)im->def->sub;
    bool is_not = !strcmp(im->def->op, "Not");
    vka_val a = in_val(im, n, 0), b = is_not ? VKA_NONE : in_val(im, n, 1);
    if (!vka__graph_is_const(g, a) || (b >= 0 && !vka__graph_is_const(g, b))) {
        if (is_not) { /* Not x == (x == 0) */
            int64_t zero = 0;
            *r = vka_graph_compare(g, n->output[0], VKA_CMP_EQ, a, vka_graph_const_i64(g, "zero", 0, NULL, &zero));
        } else {
            *r = vka_graph_compare(g, n->output[0], op, a, b);
        }
        return VKA_OK;
    }
    vka__value *va = &g->vals[a], *vb = b >= 0 ? &g->vals[b] : va;
    int nd = va->ndim > vb->ndim ? va->ndim : vb->ndim;
    int64_t s[VKA_MAX_DIMS], total;
    for (int i = 0; i < nd; i++) {
        int ia = va->ndim - nd + i, ib = vb->ndim - nd + i;
        int64_t da = ia >= 0 ? va->shape[ia] : 1, db = ib >= 0 ? vb->shape[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return ierr(im, VKA_ERR_SHAPE, "%s operands do not broadcast", im->def->op);
        s[i] = da == 1 ? db : da;
    }
    int64_t *h = vka__host_new(g, n->output[0], true, nd, s, &total);
    if (!h)
        return VKA_ERR_TOO_LARGE;
    va = &g->vals[a], vb = b >= 0 ? &g->vals[b] : va;
    for (int64_t i = 0; i < total; i++) {
        int64_t rem = i, oa = 0, ob = 0, sa = 1, sb = 1;
        for (int d = nd - 1; d >= 0; d--) {
            int64_t idx = rem % s[d];
            rem /= s[d];
            int ia = va->ndim - nd + d, ib = vb->ndim - nd + d;
            if (ia >= 0) {
                oa += (va->shape[ia] == 1 ? 0 : idx) * sa;
                sa *= va->shape[ia];
            }
            if (ib >= 0) {
                ob += (vb->shape[ib] == 1 ? 0 : idx) * sb;
                sb *= vb->shape[ib];
            }
        }
        double x = vka__const_at(g, a, oa), y = b >= 0 ? vka__const_at(g, b, ob) : 0;
        h[i] = is_not ? x == 0
               : op == VKA_CMP_EQ ? x == y
               : op == VKA_CMP_LT ? x < y
               : op == VKA_CMP_GT ? x > y
               : op == VKA_CMP_LE ? x <= y
               : op == VKA_CMP_GE ? x >= y
               : op == VKA_CMP_AND ? (x != 0) && (y != 0)
                                   : (x != 0) || (y != 0);
    }
    *r = vka__graph_const_owned(g, n->output[0], true, nd, s, h);
    return VKA_OK;
}

/* MaxPool / AveragePool attributes; auto_pad other than NOTSET/VALID is refused. */
static vka_status pool_params(importer *im, const Onnx__NodeProto *n, vka_pool_params *p)
{
    *p = vka_pool_default_params();
    if (!attr_is(n, "auto_pad", "NOTSET", "NOTSET") && !attr_is(n, "auto_pad", "VALID", "NOTSET"))
        return ierr(im, VKA_ERR_UNSUPPORTED, "auto_pad SAME_UPPER/SAME_LOWER");
    int64_t v[4];
    if (ints_of(im, n, "kernel_shape", -1, v, 2) != 2)
        return ierr(im, VKA_ERR_UNSUPPORTED, "pooling needs a 2-D kernel_shape");
    p->kernel[0] = v[0], p->kernel[1] = v[1];
    if (ints_of(im, n, "strides", -1, v, 2) == 2)
        p->stride[0] = v[0], p->stride[1] = v[1];
    if (ints_of(im, n, "dilations", -1, v, 2) == 2)
        p->dilation[0] = v[0], p->dilation[1] = v[1];
    if (ints_of(im, n, "pads", -1, v, 4) == 4)
        p->pad[0] = v[0], p->pad[1] = v[1], p->pad[2] = v[2], p->pad[3] = v[3];
    vka_status s;
    if ((s = attr_int(im, n, "ceil_mode", 0, &p->ceil_mode)) ||
        (s = attr_int(im, n, "count_include_pad", 0, &p->count_include_pad)))
        return s;
    for (int a = 0; a < 2; a++)
        if (p->kernel[a] < 1 || p->kernel[a] > 65536 || p->stride[a] < 1 || p->stride[a] > 65536 ||
            p->dilation[a] < 1 || p->dilation[a] > 65536)
            return ierr(im, VKA_ERR_FORMAT, "pooling kernel_shape, strides and dilations must be in 1..65536");
    for (int a = 0; a < 4; a++)
        if (p->pad[a] < 0 || p->pad[a] > 65536)
            return ierr(im, VKA_ERR_FORMAT, "pooling pad %lld", (long long)p->pad[a]);
    return VKA_OK;
}

static vka_status imp_pad(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    vka_graph *g = im->g;
    char buf[64];
    vka_val x = in_val(im, n, 0);
    int nd = g->vals[x].ndim;
    int64_t pads[2 * VKA_MAX_DIMS], axes[VKA_MAX_DIMS];
    int k = ints_of(im, n, "pads", 1, pads, 2 * VKA_MAX_DIMS);
    int na = ints_of(im, n, "", 3, axes, VKA_MAX_DIMS);
    if (k < 0)
        return k == INTS_TOO_MANY ? ints_err(im, k, "pads", 2 * VKA_MAX_DIMS)
                                  : ierr(im, VKA_ERR_UNSUPPORTED, "pads and axes must be constant");
    if (na < INTS_ABSENT)
        return na == INTS_TOO_MANY ? ints_err(im, na, "axes", VKA_MAX_DIMS)
                                   : ierr(im, VKA_ERR_UNSUPPORTED, "pads and axes must be constant");
    int64_t begin[VKA_MAX_DIMS] = {0}, end[VKA_MAX_DIMS] = {0};
    int cnt = na > 0 ? na : nd;
    if (k != 2 * cnt)
        return ierr(im, VKA_ERR_FORMAT, "%d pads for %d axes", k, cnt);
    bool seen[VKA_MAX_DIMS] = {0};
    for (int i = 0; i < cnt; i++) {
        int a = i;
        if (na > 0 && !vka__axis(axes[i], nd, &a))
            return ierr(im, VKA_ERR_FORMAT, "Pad axis %lld out of range for rank %d", (long long)axes[i], nd);
        if (seen[a])
            return ierr(im, VKA_ERR_FORMAT, "Pad axis %d given twice", a);
        seen[a] = true;
        begin[a] = pads[i];
        end[a] = pads[cnt + i];
    }
    double cv = 0;
    vka_val cval = in_val(im, n, 2);
    if (cval >= 0 && !vka__const_scalar(g, cval, &cv))
        return ierr(im, VKA_ERR_UNSUPPORTED, "constant_value must be a constant scalar");
    vka_pad_mode mode = attr_is(n, "mode", "reflect", "constant") ? VKA_PAD_REFLECT
                        : attr_is(n, "mode", "edge", "constant") ? VKA_PAD_EDGE
                                                                 : VKA_PAD_CONSTANT;
    if (!attr_is(n, "mode", "constant", "constant") && mode == VKA_PAD_CONSTANT)
        return ierr(im, VKA_ERR_UNSUPPORTED, "Pad mode %s", attr_s(n, "mode", buf, sizeof buf, "?"));
    *r = vka_graph_pad(g, name, x, begin, end, mode, (float)cv);
    return VKA_OK;
}

static vka_status imp_pool(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    if (n->n_output > 1 && n->output[1][0])
        return ierr(im, VKA_ERR_UNSUPPORTED, "MaxPool's Indices output");
    vka_pool_params p;
    vka_status s = pool_params(im, n, &p);
    if (s)
        return s;
    *r = vka_graph_pool(im->g, name, (vka_pool_op)im->def->sub, in_val(im, n, 0), &p);
    return VKA_OK;
}

/* Inference form: y = (x - mean) / sqrt(var + eps) * scale + bias per channel
 * (axis 1), as one per-channel multiply and add of constants; the conv-affine
 * fusion folds them into a preceding convolution's weights. */
static vka_status imp_batchnorm(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    vka_graph *g = im->g;
    if ((n->n_output > 1 && n->output[1][0]) || (n->n_output > 2 && n->output[2][0]) || attr_i(n, "training_mode", 0))
        return ierr(im, VKA_ERR_UNSUPPORTED, "BatchNormalization in training mode (running mean/var outputs)");
    vka_val x = in_val(im, n, 0);
    const vka__value *v = &g->vals[x];
    int64_t C = v->ndim >= 2 ? v->shape[1] : 0;
    double eps = attr_f(n, "epsilon", 1e-5f);
    bool ok = C > 0;
    for (int i = 1; ok && i < 5; i++)
        ok = vka__graph_is_const(g, in_val(im, n, (size_t)i)) && g->vals[in_val(im, n, (size_t)i)].numel == C;
    if (!ok)
        return ierr(im, VKA_ERR_UNSUPPORTED, "BatchNormalization needs constant scale, bias, mean and var of C elements");
    /* C elements already exist as each of the four constants: this is no larger than they are */
    float *sc = malloc(sizeof *sc * (size_t)C), *sh = malloc(sizeof *sh * (size_t)C);
    if (!sc || !sh) {
        free(sc), free(sh);
        return ierr(im, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    for (int64_t c = 0; c < C; c++) {
        double s1 = vka__const_at(g, in_val(im, n, 1), c) / sqrt(vka__const_at(g, in_val(im, n, 4), c) + eps);
        sc[c] = (float)s1;
        sh[c] = (float)(vka__const_at(g, in_val(im, n, 2), c) - vka__const_at(g, in_val(im, n, 3), c) * s1);
    }
    int64_t cs[VKA_MAX_DIMS];
    int nd = v->ndim;
    for (int i = 0; i < nd; i++)
        cs[i] = i == 1 ? C : 1;
    char nm[112];
    snprintf(nm, sizeof nm, "%.90s/scale", name);
    vka_val vs = vka_graph_const(g, nm, VKA_F32, nd - 1, cs + 1, sc);
    snprintf(nm, sizeof nm, "%.90s/shift", name);
    vka_val vt = vka_graph_const(g, nm, VKA_F32, nd - 1, cs + 1, sh);
    free(sc), free(sh);
    vka_val y = vs < 0 || vt < 0 ? VKA_NONE : vka_graph_binary(g, name, VKA_MUL, x, vs);
    *r = y < 0 ? y : vka_graph_binary(g, name, VKA_ADD, y, vt);
    return VKA_OK;
}

static vka_status imp_global_avgpool(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    *r = vka_graph_global_avgpool(im->g, name, in_val(im, n, 0));
    return VKA_OK;
}

static vka_status imp_resize(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    vka_graph *g = im->g;
    char buf[64];
    vka_val x = in_val(im, n, 0);
    const vka__value *v = &g->vals[x];
    if (v->ndim != 4)
        return ierr(im, VKA_ERR_UNSUPPORTED, "Resize of a rank-%d tensor (NCHW only)", v->ndim);
    if (attr_i(n, "exclude_outside", 0))
        return ierr(im, VKA_ERR_UNSUPPORTED, "Resize exclude_outside=1");
    vka_interp mode;
    if (attr_is(n, "mode", "nearest", "nearest"))
        mode = VKA_INTERP_NEAREST;
    else if (attr_is(n, "mode", "linear", "nearest"))
        mode = VKA_INTERP_LINEAR;
    else
        return ierr(im, VKA_ERR_UNSUPPORTED, "Resize mode %s", attr_s(n, "mode", buf, sizeof buf, "?"));
    static const struct { const char *s; int v; } coords[] = {
        {"half_pixel", VKA_COORD_HALF_PIXEL}, {"pytorch_half_pixel", VKA_COORD_PYTORCH_HALF_PIXEL},
        {"align_corners", VKA_COORD_ALIGN_CORNERS}, {"asymmetric", VKA_COORD_ASYMMETRIC}};
    static const struct { const char *s; int v; } nears[] = {
        {"round_prefer_floor", VKA_NEAREST_ROUND_PREFER_FLOOR}, {"round_prefer_ceil", VKA_NEAREST_ROUND_PREFER_CEIL},
        {"floor", VKA_NEAREST_FLOOR}, {"ceil", VKA_NEAREST_CEIL}};
    int coord = -1, nearest = -1;
    for (size_t i = 0; i < 4; i++) {
        if (attr_is(n, "coordinate_transformation_mode", coords[i].s, "half_pixel"))
            coord = coords[i].v;
        if (attr_is(n, "nearest_mode", nears[i].s, "round_prefer_floor"))
            nearest = nears[i].v;
    }
    if (coord < 0 || nearest < 0)
        return ierr(im, VKA_ERR_UNSUPPORTED, "Resize coordinate_transformation_mode %s / nearest_mode %s",
                    attr_s(n, "coordinate_transformation_mode", buf, 32, "?"), attr_s(n, "nearest_mode", buf + 32, 32, "?"));
    double sc[VKA_MAX_DIMS];
    int64_t sizes[VKA_MAX_DIMS];
    vka_val vs = in_val(im, n, 2), vz = in_val(im, n, 3);
    int64_t oh = 0, ow = 0;
    float scales[2];
    bool have_scales = false;
    vka_status s;
    if (vs >= 0 && g->vals[vs].numel == 4 && vka__graph_is_const(g, vs)) {
        for (int i = 0; i < 4; i++)
            sc[i] = vka__const_at(g, vs, i);
        if (sc[0] != 1 || sc[1] != 1)
            return ierr(im, VKA_ERR_UNSUPPORTED, "Resize scales on N or C");
        if ((s = to_count(im, floor((double)v->shape[2] * sc[2]), "Resize output height", &oh)) ||
            (s = to_count(im, floor((double)v->shape[3] * sc[3]), "Resize output width", &ow)))
            return s;
        scales[0] = (float)sc[2], scales[1] = (float)sc[3];
        have_scales = true;
    } else if (ints_of(im, n, "", 3, sizes, VKA_MAX_DIMS) == 4 && vz >= 0) {
        if (sizes[0] != v->shape[0] || sizes[1] != v->shape[1])
            return ierr(im, VKA_ERR_UNSUPPORTED, "Resize sizes on N or C");
        oh = sizes[2], ow = sizes[3];
    } else {
        return ierr(im, VKA_ERR_UNSUPPORTED, "Resize needs constant scales or sizes");
    }
    *r = vka_graph_resize(g, name, x, mode, (vka_coord_mode)coord, (vka_nearest_mode)nearest, oh, ow,
                          have_scales ? scales : NULL);
    return VKA_OK;
}

static vka_status imp_clip(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    double lo = -INFINITY, hi = INFINITY;
    vka_val a = in_val(im, n, 1), b = in_val(im, n, 2);
    if ((a >= 0 && !vka__const_scalar(im->g, a, &lo)) || (b >= 0 && !vka__const_scalar(im->g, b, &hi)))
        return ierr(im, VKA_ERR_UNSUPPORTED, "Clip bounds must be constant scalars");
    *r = vka_graph_clip(im->g, name, in_val(im, n, 0), (float)lo, (float)hi);
    return VKA_OK;
}

static vka_status imp_topk(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    vka_graph *g = im->g;
    vka_val x = in_val(im, n, 0);
    int nd = g->vals[x].ndim, axis;
    if (!vka__axis(attr_i(n, "axis", -1), nd, &axis) || axis != nd - 1)
        return ierr(im, VKA_ERR_UNSUPPORTED, "TopK over axis %lld (the last axis only)", (long long)attr_i(n, "axis", -1));
    double kd;
    int64_t k = 0;
    vka_status s;
    if (!vka__graph_is_const(g, in_val(im, n, 1)) || g->vals[in_val(im, n, 1)].numel < 1)
        return ierr(im, VKA_ERR_UNSUPPORTED, "K must be constant");
    kd = vka__const_at(g, in_val(im, n, 1), 0);
    if ((s = to_count(im, kd, "K", &k)))
        return s;
    int largest = 1;
    if ((s = attr_int(im, n, "largest", 1, &largest)))
        return s;
    vka_val idx = VKA_NONE;
    *r = vka_graph_topk(g, name, x, k, largest, &idx);
    if (*r >= 0 && n->n_output > 1 && n->output[1][0] && !tab_put(im, n->output[1], idx))
        return ierr(im, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
    return VKA_OK;
}

static vka_status imp_gather_elements(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    int axis = 0;
    vka_status s = attr_int(im, n, "axis", 0, &axis);
    if (!s)
        *r = vka_graph_gather_elements(im->g, name, in_val(im, n, 0), in_val(im, n, 1), axis);
    return s;
}

static vka_status imp_tile(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    int64_t reps[VKA_MAX_DIMS];
    int k = ints_of(im, n, "", 1, reps, VKA_MAX_DIMS);
    if (k != im->g->vals[in_val(im, n, 0)].ndim)
        return ierr(im, VKA_ERR_UNSUPPORTED, "Tile repeats must be constant, one per axis");
    *r = vka_graph_tile(im->g, name, in_val(im, n, 0), reps);
    return VKA_OK;
}

static vka_status imp_grid_sample(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    char buf[64];
    if (!attr_is(n, "mode", "bilinear", "bilinear") || !attr_is(n, "padding_mode", "zeros", "zeros"))
        return ierr(im, VKA_ERR_UNSUPPORTED, "GridSample mode %s padding %s (bilinear, zeros)",
                    attr_s(n, "mode", buf, 32, "bilinear"), attr_s(n, "padding_mode", buf + 32, 32, "zeros"));
    int ac = 0;
    vka_status s = attr_int(im, n, "align_corners", 0, &ac);
    if (!s)
        *r = vka_graph_grid_sample(im->g, name, in_val(im, n, 0), in_val(im, n, 1), ac);
    return s;
}

static vka_status imp_constant(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    (void)name;
    vka_graph *g = im->g;
    const Onnx__AttributeProto *a;
    if ((a = attr(n, "value")) && a->t)
        return make_const(im, a->t, n->output[0], r);
    if ((a = attr(n, "value_float")) && a->has_f)
        *r = vka_graph_const(g, n->output[0], VKA_F32, 0, NULL, &a->f);
    else if ((a = attr(n, "value_int")) && a->has_i)
        *r = vka_graph_const_i64(g, n->output[0], 0, NULL, &a->i);
    else if ((a = attr(n, "value_ints")))
        *r = vka_graph_const_i64(g, n->output[0], 1, (int64_t[]){(int64_t)a->n_ints}, a->ints);
    else if ((a = attr(n, "value_floats")))
        *r = vka_graph_const(g, n->output[0], VKA_F32, 1, (int64_t[]){(int64_t)a->n_floats},
                             a->n_floats ? (const void *)a->floats : (const void *)"");
    else
        return ierr(im, VKA_ERR_UNSUPPORTED, "Constant without a value, value_float(s) or value_int(s)");
    return VKA_OK;
}

/* Identity, and Dropout at inference. */
static vka_status imp_identity(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    vka_val x = in_val(im, n, 0);
    *r = vka_graph_reshape(im->g, name, x, im->g->vals[x].ndim, im->g->vals[x].shape);
    return VKA_OK;
}

static vka_status imp_matmul(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    *r = vka_graph_matmul(im->g, name, in_val(im, n, 0), in_val(im, n, 1));
    return VKA_OK;
}

static vka_status imp_gemm(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    int64_t ta = attr_i(n, "transA", 0), tb = attr_i(n, "transB", 0);
    if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1))
        return ierr(im, VKA_ERR_FORMAT, "transA %lld / transB %lld (0 or 1)", (long long)ta, (long long)tb);
    *r = vka_graph_gemm(im->g, name, in_val(im, n, 0), in_val(im, n, 1), in_val(im, n, 2), attr_f(n, "alpha", 1.0f),
                        attr_f(n, "beta", 1.0f), (int)ta, (int)tb);
    return VKA_OK;
}

static vka_status imp_layernorm(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    if (n->n_output > 1 && (n->output[1][0] || (n->n_output > 2 && n->output[2][0])))
        return ierr(im, VKA_ERR_UNSUPPORTED, "LayerNormalization's Mean/InvStdDev outputs");
    int axis = 0;
    vka_status s = attr_int(im, n, "axis", -1, &axis);
    if (!s)
        *r = vka_graph_layernorm(im->g, name, in_val(im, n, 0), in_val(im, n, 1), in_val(im, n, 2), axis,
                                 attr_f(n, "epsilon", 1e-5f));
    return s;
}

static vka_status imp_reduce(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    vka_graph *g = im->g;
    int64_t axes[VKA_MAX_DIMS];
    int k = ints_of(im, n, "axes", 1, axes, VKA_MAX_DIMS); /* attribute before opset 18 (13 for Sum) */
    if (k < INTS_ABSENT)
        return ints_err(im, k, "axes", VKA_MAX_DIMS);
    if (k < 0 && attr_i(n, "noop_with_empty_axes", 0)) {
        vka_val x = in_val(im, n, 0);
        *r = vka_graph_reshape(g, name, x, g->vals[x].ndim, g->vals[x].shape);
        return VKA_OK;
    }
    *r = vka_graph_reduce(g, name, (vka_reduce_op)im->def->sub, in_val(im, n, 0), k < 0 ? 0 : k, axes,
                          attr_i(n, "keepdims", 1) != 0);
    return VKA_OK;
}

static vka_status imp_softmax(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    int axis = 0;
    vka_status s = attr_int(im, n, "axis", -1, &axis);
    if (!s)
        *r = vka_graph_softmax(im->g, name, in_val(im, n, 0), axis);
    return s;
}

static vka_status imp_transpose(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    vka_val x = in_val(im, n, 0);
    int nd = im->g->vals[x].ndim;
    const Onnx__AttributeProto *a = attr(n, "perm");
    int perm[VKA_MAX_DIMS];
    if (a && a->n_ints) {
        if (a->n_ints != (size_t)nd)
            return ierr(im, VKA_ERR_SHAPE, "Transpose perm has %zu entries for a rank-%d input", a->n_ints, nd);
        for (int i = 0; i < nd; i++) {
            if (a->ints[i] < 0 || a->ints[i] >= nd)
                return ierr(im, VKA_ERR_SHAPE, "Transpose perm entry %lld out of range for rank %d",
                            (long long)a->ints[i], nd);
            perm[i] = (int)a->ints[i];
        }
    }
    *r = vka_graph_transpose(im->g, name, x, a && a->n_ints ? perm : NULL);
    return VKA_OK;
}

static vka_status imp_reshape(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    int64_t shp[VKA_MAX_DIMS];
    int k = ints_of(im, n, "", 1, shp, VKA_MAX_DIMS);
    if (k == INTS_TOO_MANY)
        return ints_err(im, k, "the shape", VKA_MAX_DIMS);
    if (k < 0)
        return ierr(im, VKA_ERR_UNSUPPORTED, "the shape input must be constant for a fixed input size");
    if (attr_i(n, "allowzero", 0))
        for (int i = 0; i < k; i++)
            if (shp[i] == 0)
                return ierr(im, VKA_ERR_UNSUPPORTED, "Reshape allowzero=1 with a 0 dimension");
    *r = vka_graph_reshape(im->g, name, in_val(im, n, 0), k, shp);
    return VKA_OK;
}

static vka_status imp_expand(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    int64_t shp[VKA_MAX_DIMS];
    int k = ints_of(im, n, "", 1, shp, VKA_MAX_DIMS);
    if (k == INTS_TOO_MANY)
        return ints_err(im, k, "the shape", VKA_MAX_DIMS);
    if (k < 0)
        return ierr(im, VKA_ERR_UNSUPPORTED, "the shape input must be constant for a fixed input size");
    for (int i = 0; i < k; i++)
        if (shp[i] < 0)
            return ierr(im, VKA_ERR_SHAPE, "Expand to a negative dimension %lld", (long long)shp[i]);
    *r = vka_graph_expand(im->g, name, in_val(im, n, 0), k, shp);
    return VKA_OK;
}

static vka_status imp_flatten(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    vka_val x = in_val(im, n, 0);
    const vka__value *v = &im->g->vals[x];
    int64_t given = attr_i(n, "axis", 1), ax = given, a = 1;
    if (ax < 0)
        ax += v->ndim;
    if (ax < 0 || ax > v->ndim) /* [-r, r]: axis r flattens to [numel, 1] */
        return ierr(im, VKA_ERR_SHAPE, "Flatten axis %lld out of range for rank %d", (long long)given, v->ndim);
    for (int i = 0; i < ax; i++)
        a *= v->shape[i]; /* a factor of numel: no overflow */
    *r = vka_graph_reshape(im->g, name, x, 2, (int64_t[]){a, a ? v->numel / a : 0});
    return VKA_OK;
}

static vka_status imp_squeeze(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    vka_val x = in_val(im, n, 0);
    const vka__value *v = &im->g->vals[x];
    int64_t axes[VKA_MAX_DIMS], shp[VKA_MAX_DIMS];
    int k = ints_of(im, n, "axes", 1, axes, VKA_MAX_DIMS), nd = 0;
    if (k < INTS_ABSENT)
        return ints_err(im, k, "axes", VKA_MAX_DIMS);
    bool drop[VKA_MAX_DIMS] = {0};
    for (int j = 0; j < k; j++) {
        int a;
        if (!vka__axis(axes[j], v->ndim, &a))
            return ierr(im, VKA_ERR_SHAPE, "Squeeze axis %lld out of range for rank %d", (long long)axes[j], v->ndim);
        if (v->shape[a] != 1)
            return ierr(im, VKA_ERR_SHAPE, "Squeeze axis %d has size %lld, not 1", a, (long long)v->shape[a]);
        drop[a] = true;
    }
    for (int i = 0; i < v->ndim; i++)
        if (!(k < 0 ? v->shape[i] == 1 : drop[i]))
            shp[nd++] = v->shape[i];
    *r = vka_graph_reshape(im->g, name, x, nd, shp);
    return VKA_OK;
}

static vka_status imp_unsqueeze(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    vka_val x = in_val(im, n, 0);
    const vka__value *v = &im->g->vals[x];
    int64_t axes[VKA_MAX_DIMS], shp[VKA_MAX_DIMS];
    int k = ints_of(im, n, "axes", 1, axes, VKA_MAX_DIMS);
    if (k == INTS_NOT_CONST)
        return ints_err(im, k, "axes", VKA_MAX_DIMS);
    int nd = v->ndim + (k > 0 ? k : 0);
    if (k == INTS_TOO_MANY || nd > VKA_MAX_DIMS || k <= 0)
        return ierr(im, VKA_ERR_UNSUPPORTED, "Unsqueeze to rank %d", k == INTS_TOO_MANY ? v->ndim + VKA_MAX_DIMS + 1 : nd);
    bool ins[VKA_MAX_DIMS] = {0};
    for (int j = 0; j < k; j++) {
        int a;
        if (!vka__axis(axes[j], nd, &a))
            return ierr(im, VKA_ERR_SHAPE, "Unsqueeze axis %lld out of range for output rank %d", (long long)axes[j], nd);
        if (ins[a])
            return ierr(im, VKA_ERR_SHAPE, "Unsqueeze axis %d given twice", a);
        ins[a] = true;
    }
    for (int i = 0, src = 0; i < nd; i++)
        shp[i] = ins[i] ? 1 : v->shape[src++];
    *r = vka_graph_reshape(im->g, name, x, nd, shp);
    return VKA_OK;
}

static vka_status imp_slice(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    int64_t st[VKA_MAX_DIMS], en[VKA_MAX_DIMS], ax[VKA_MAX_DIMS], sp[VKA_MAX_DIMS];
    int k1 = ints_of(im, n, "", 1, st, VKA_MAX_DIMS), k2 = ints_of(im, n, "", 2, en, VKA_MAX_DIMS);
    int k3 = ints_of(im, n, "", 3, ax, VKA_MAX_DIMS), k4 = ints_of(im, n, "", 4, sp, VKA_MAX_DIMS);
    if (k1 == INTS_TOO_MANY || k2 == INTS_TOO_MANY || k3 == INTS_TOO_MANY || k4 == INTS_TOO_MANY)
        return ierr(im, VKA_ERR_SHAPE, "Slice with more than %d starts/ends/axes/steps", VKA_MAX_DIMS);
    if (k1 < 0 || k2 != k1 || k3 == INTS_NOT_CONST || k4 == INTS_NOT_CONST || (k3 >= 0 && k3 != k1) ||
        (k4 >= 0 && k4 != k1))
        return ierr(im, VKA_ERR_UNSUPPORTED, "Slice starts/ends/axes/steps must be constant and of equal length");
    *r = vka_graph_slice(im->g, name, in_val(im, n, 0), k1, st, en, k3 >= 0 ? ax : NULL, k4 >= 0 ? sp : NULL);
    return VKA_OK;
}

static vka_status imp_concat(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    vka_val xs[VKA__MAX_IN];
    for (size_t i = 0; i < n->n_input; i++)
        if ((xs[i] = in_val(im, n, i)) < 0)
            return ierr(im, VKA_ERR_FORMAT, "Concat input %zu is empty", i);
    int axis = 0;
    vka_status s = attr_int(im, n, "axis", 0, &axis);
    if (!s)
        *r = vka_graph_concat(im->g, name, (int)n->n_input, xs, axis);
    return s;
}

static vka_status imp_gather(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    int axis = 0;
    vka_status s = attr_int(im, n, "axis", 0, &axis);
    if (!s)
        *r = vka_graph_gather(im->g, name, in_val(im, n, 0), in_val(im, n, 1), axis);
    return s;
}

static vka_status imp_cast(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    int64_t to = attr_i(n, "to", 1);
    bool to_int = to == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 || to == ONNX__TENSOR_PROTO__DATA_TYPE__INT32 ||
                  to == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL || to == ONNX__TENSOR_PROTO__DATA_TYPE__INT8 ||
                  to == ONNX__TENSOR_PROTO__DATA_TYPE__UINT8;
    if (!to_int && to != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && to != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE)
        return ierr(im, VKA_ERR_UNSUPPORTED, "Cast to type %lld", (long long)to);
    *r = vka_graph_cast(im->g, name, in_val(im, n, 0), to_int ? VKA_I32 : VKA_F32);
    return VKA_OK;
}

static vka_status imp_where(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    *r = vka_graph_where(im->g, name, in_val(im, n, 0), in_val(im, n, 1), in_val(im, n, 2));
    return VKA_OK;
}

static vka_status imp_conv(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    vka_graph *g = im->g;
    const Onnx__AttributeProto *ap = attr(n, "auto_pad");
    if (ap && ap->has_s && ap->s.len && strncmp((const char *)ap->s.data, "NOTSET", ap->s.len))
        return ierr(im, VKA_ERR_UNSUPPORTED, "auto_pad %.*s", ap->s.len > 32 ? 32 : (int)ap->s.len,
                    (const char *)ap->s.data);
    vka_conv_params p = vka_conv_default_params();
    int64_t v[4];
    if (ints_of(im, n, "strides", -1, v, 2) == 2)
        p.stride[0] = v[0], p.stride[1] = v[1];
    if (ints_of(im, n, "dilations", -1, v, 2) == 2)
        p.dilation[0] = v[0], p.dilation[1] = v[1];
    if (ints_of(im, n, "pads", -1, v, 4) == 4) /* ONNX: h_begin, w_begin, h_end, w_end */
        p.pad[0] = v[0], p.pad[1] = v[1], p.pad[2] = v[2], p.pad[3] = v[3];
    p.groups = attr_i(n, "group", 1);
    /* kernel_shape is optional and W's dims are the kernel: a kernel_shape that disagrees is a broken file */
    vka_val w = in_val(im, n, 1);
    int k = ints_of(im, n, "kernel_shape", -1, v, 2);
    if (k >= 0 && (k != 2 || g->vals[w].ndim != 4 || v[0] != g->vals[w].shape[2] || v[1] != g->vals[w].shape[3]))
        return ierr(im, VKA_ERR_SHAPE, "kernel_shape does not match the weights' spatial dims");
    *r = vka_graph_conv(g, name, in_val(im, n, 0), w, in_val(im, n, 2), &p);
    return VKA_OK;
}

static vka_status imp_shape(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    (void)name;
    const vka__value *v = &im->g->vals[in_val(im, n, 0)];
    int64_t a = attr_i(n, "start", 0), b = attr_i(n, "end", v->ndim);
    a = a < 0 ? a + v->ndim : a;
    b = b < 0 ? b + v->ndim : b;
    a = a < 0 ? 0 : a > v->ndim ? v->ndim : a;
    b = b < a ? a : b > v->ndim ? v->ndim : b;
    int64_t dims[VKA_MAX_DIMS];
    memcpy(dims, v->shape, sizeof dims); /* v points into g->vals, which the constant may move */
    *r = vka_graph_const_i64(im->g, n->output[0], 1, (int64_t[]){b - a}, dims + a);
    return VKA_OK;
}

static vka_status imp_size(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    (void)name;
    int64_t numel = im->g->vals[in_val(im, n, 0)].numel;
    *r = vka_graph_const_i64(im->g, n->output[0], 0, NULL, &numel);
    return VKA_OK;
}

/* A fill value expanded to the shape: the count is checked and charged to the
 * host budget before anything is allocated. */
static vka_status imp_constant_of_shape(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    (void)name;
    vka_graph *g = im->g;
    int64_t shp[VKA_MAX_DIMS];
    int k = ints_of(im, n, "", 0, shp, VKA_MAX_DIMS);
    if (k == INTS_TOO_MANY)
        return ints_err(im, k, "the shape", VKA_MAX_DIMS);
    if (k < 0)
        return ierr(im, VKA_ERR_UNSUPPORTED, "the shape input must be constant");
    for (int i = 0; i < k; i++)
        if (shp[i] < 0)
            return ierr(im, VKA_ERR_SHAPE, "ConstantOfShape with a negative dimension %lld", (long long)shp[i]);
    vka_val fill = VKA_NONE;
    const Onnx__AttributeProto *a = attr(n, "value");
    vka_status s;
    if (a && a->t) {
        if ((s = make_const(im, a->t, "ConstantOfShape.value", &fill)))
            return s;
        if (g->vals[fill].numel != 1)
            return ierr(im, VKA_ERR_FORMAT, "ConstantOfShape value has %lld elements (one expected)",
                        (long long)g->vals[fill].numel);
    } else {
        float zero = 0;
        fill = vka_graph_const(g, "ConstantOfShape.value", VKA_F32, 0, NULL, &zero);
    }
    *r = fill < 0 ? fill : vka_graph_expand(g, n->output[0], fill, k, shp);
    return VKA_OK;
}

static vka_status imp_range(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    (void)name;
    vka_graph *g = im->g;
    double a, b, d;
    if (!vka__const_scalar(g, in_val(im, n, 0), &a) || !vka__const_scalar(g, in_val(im, n, 1), &b) ||
        !vka__const_scalar(g, in_val(im, n, 2), &d) || d == 0)
        return ierr(im, VKA_ERR_UNSUPPORTED, "Range needs constant scalar start, limit and a non-zero delta");
    double c = ceil((b - a) / d);
    int64_t cnt;
    vka_status s = to_count(im, c < 0 ? 0 : c, "Range length", &cnt);
    if (s)
        return s;
    bool is_int = g->vals[in_val(im, n, 0)].is_int;
    int64_t hn;
    void *h = vka__host_new(g, n->output[0], is_int, 1, &cnt, &hn);
    if (!h)
        return VKA_ERR_TOO_LARGE;
    for (int64_t i = 0; i < cnt; i++) {
        if (is_int)
            ((int64_t *)h)[i] = (int64_t)(a + d * (double)i); /* between a and b: in range */
        else
            ((float *)h)[i] = (float)(a + d * (double)i);
    }
    *r = vka__graph_const_owned(g, n->output[0], is_int, 1, &cnt, h);
    return VKA_OK;
}

static vka_status imp_split(importer *im, const Onnx__NodeProto *n, const char *name, vka_val *r)
{
    (void)name;
    vka_graph *g = im->g;
    vka_val x = in_val(im, n, 0);
    const vka__value *v = &g->vals[x];
    int64_t sizes[16];
    int axis = 0, nout = (int)n->n_output;
    if (!vka__axis(attr_i(n, "axis", 0), v->ndim, &axis))
        return ierr(im, VKA_ERR_SHAPE, "Split axis %lld out of range for rank %d", (long long)attr_i(n, "axis", 0),
                    v->ndim);
    if (attr(n, "num_outputs") && attr_i(n, "num_outputs", 0) != nout)
        return ierr(im, VKA_ERR_FORMAT, "num_outputs %lld for %d outputs", (long long)attr_i(n, "num_outputs", 0), nout);
    int k = ints_of(im, n, "split", 1, sizes, 16);
    if (k == INTS_NOT_CONST)
        return ierr(im, VKA_ERR_UNSUPPORTED, "Split with non-constant sizes or %d outputs", nout);
    int64_t dim = v->shape[axis];
    if (k < 0) {
        int64_t each = (dim + nout - 1) / nout;
        for (int i = 0; i < nout; i++)
            sizes[i] = i < nout - 1 ? each : dim - each * (nout - 1);
    } else if (k != nout) {
        return ierr(im, VKA_ERR_SHAPE, "Split has %s%d sizes for %d outputs", k == INTS_TOO_MANY ? "more than " : "",
                    k == INTS_TOO_MANY ? 16 : k, nout);
    }
    int64_t total = 0;
    for (int i = 0; i < nout; i++) {
        if (sizes[i] < 0 || sizes[i] > dim - total)
            return ierr(im, VKA_ERR_SHAPE, "Split sizes do not partition axis %d of %lld", axis, (long long)dim);
        total += sizes[i];
    }
    if (total != dim)
        return ierr(im, VKA_ERR_SHAPE, "Split sizes sum to %lld, axis %d has %lld", (long long)total, axis,
                    (long long)dim);
    int64_t start = 0, ax = axis;
    for (int i = 0; i < nout; i++) {
        int64_t e = start + sizes[i];
        vka_val o = vka_graph_slice(g, n->output[i], x, 1, &start, &e, &ax, NULL);
        if (o < 0)
            return VKA_ERR_SHAPE;
        if (i == 0)
            *r = o;
        else if (n->output[i][0] && !tab_put(im, n->output[i], o))
            return ierr(im, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
        start = e;
    }
    return VKA_OK;
}

/* ---------------------------------------------------------------- the op table
 * since..until: the opsets whose definition of the op is the one implemented
 * (the model's opset must lie in OPSET_MIN..OPSET_MAX too). Attributes not
 * listed are errors; listed ones are honoured unless `ignored` says why not. */

#define ANY 1000 /* no upper bound on inputs (variadic Max/Min) */
#define BIN(nm, op, hi) {nm, 13, OPSET_MAX, 2, hi, 1, 1, imp_binary, op, {{0}}}
#define UN(nm, op) {nm, 13, OPSET_MAX, 1, 1, 1, 1, imp_unary, op, {{0}}}
#define CMP(nm, op, nin) {nm, 13, OPSET_MAX, nin, nin, 1, 1, imp_compare, op, {{0}}}
#define POOL_ATTRS                                                                                                 \
    {"auto_pad", A_STRING, NULL}, {"ceil_mode", A_INT, NULL}, {"dilations", A_INTS, NULL},                         \
        {"kernel_shape", A_INTS, NULL}, {"pads", A_INTS, NULL}, {"strides", A_INTS, NULL}
#define REDUCE(nm, op)                                                                                             \
    {nm, 13, OPSET_MAX, 1, 2, 1, 1, imp_reduce, op,                                                                \
     {{"axes", A_INTS, NULL}, {"keepdims", A_INT, NULL}, {"noop_with_empty_axes", A_INT, NULL}}}

static const op_def op_table[] = {
    BIN("Add", VKA_ADD, 2), BIN("Sub", VKA_SUB, 2), BIN("Mul", VKA_MUL, 2), BIN("Div", VKA_DIV, 2),
    BIN("Pow", VKA_POW, 2), BIN("Max", VKA_MAX, ANY), BIN("Min", VKA_MIN, ANY),
    UN("Exp", VKA_EXP), UN("Log", VKA_LOG), UN("Sqrt", VKA_SQRT), UN("Erf", VKA_ERF), UN("Tanh", VKA_TANH),
    UN("Sigmoid", VKA_SIGMOID), UN("Relu", VKA_RELU), UN("Neg", VKA_NEG), UN("Reciprocal", VKA_RECIPROCAL),
    UN("Abs", VKA_ABS), UN("Sin", VKA_SIN), UN("Cos", VKA_COS),
    CMP("Equal", VKA_CMP_EQ, 2), CMP("Less", VKA_CMP_LT, 2), CMP("Greater", VKA_CMP_GT, 2),
    CMP("LessOrEqual", VKA_CMP_LE, 2), CMP("GreaterOrEqual", VKA_CMP_GE, 2), CMP("And", VKA_CMP_AND, 2),
    CMP("Or", VKA_CMP_OR, 2), CMP("Not", VKA_CMP_EQ, 1),
    /* pads as an attribute is Pad-2's form, still read; axes (input 3) is Pad-18's */
    {"Pad", 13, OPSET_MAX, 1, 4, 1, 1, imp_pad, 0, {{"mode", A_STRING, NULL}, {"pads", A_INTS, NULL}}},
    {"MaxPool", 13, OPSET_MAX, 1, 1, 1, 2, imp_pool, VKA_POOL_MAX,
     {POOL_ATTRS, {"storage_order", A_INT, "orders the Indices output only, which is refused"}}},
    {"AveragePool", 13, OPSET_MAX, 1, 1, 1, 1, imp_pool, VKA_POOL_AVG, {POOL_ATTRS, {"count_include_pad", A_INT, NULL}}},
    {"BatchNormalization", 13, OPSET_MAX, 5, 5, 1, 3, imp_batchnorm, 0,
     {{"epsilon", A_FLOAT, NULL}, {"momentum", A_FLOAT, "updates the running statistics, in training only"},
      {"training_mode", A_INT, NULL}}},
    {"GlobalAveragePool", 13, OPSET_MAX, 1, 1, 1, 1, imp_global_avgpool, 0, {{0}}},
    {"Resize", 13, OPSET_MAX, 1, 4, 1, 1, imp_resize, 0,
     {{"coordinate_transformation_mode", A_STRING, NULL}, {"mode", A_STRING, NULL}, {"nearest_mode", A_STRING, NULL},
      {"exclude_outside", A_INT, NULL},
      {"cubic_coeff_a", A_FLOAT, "used by mode cubic only, which is refused (PyTorch writes it for every mode)"},
      {"extrapolation_value", A_FLOAT, "used by tf_crop_and_resize only, which is refused"}}},
    {"Clip", 13, OPSET_MAX, 1, 3, 1, 1, imp_clip, 0, {{0}}},
    {"TopK", 13, OPSET_MAX, 2, 2, 1, 2, imp_topk, 0,
     {{"axis", A_INT, NULL}, {"largest", A_INT, NULL},
      {"sorted", A_INT, "the output is always sorted, which sorted=0 (any order) allows"}}},
    {"GatherElements", 13, OPSET_MAX, 2, 2, 1, 1, imp_gather_elements, 0, {{"axis", A_INT, NULL}}},
    {"Tile", 13, OPSET_MAX, 2, 2, 1, 1, imp_tile, 0, {{0}}},
    {"GridSample", 16, OPSET_MAX, 2, 2, 1, 1, imp_grid_sample, 0,
     {{"align_corners", A_INT, NULL}, {"mode", A_STRING, NULL}, {"padding_mode", A_STRING, NULL}}},
    {"Constant", 13, OPSET_MAX, 0, 0, 1, 1, imp_constant, 0,
     {{"value", A_TENSOR, NULL}, {"value_float", A_FLOAT, NULL}, {"value_floats", A_FLOATS, NULL},
      {"value_int", A_INT, NULL}, {"value_ints", A_INTS, NULL}}},
    {"Identity", 13, OPSET_MAX, 1, 1, 1, 1, imp_identity, 0, {{0}}},
    /* inference: the identity; ratio and training_mode inputs are read by nothing */
    {"Dropout", 13, OPSET_MAX, 1, 3, 1, 2, imp_identity, 0,
     {{"seed", A_INT, "seeds the random mask of training; at inference Dropout is the identity"}}},
    {"MatMul", 13, OPSET_MAX, 2, 2, 1, 1, imp_matmul, 0, {{0}}},
    {"Gemm", 13, OPSET_MAX, 2, 3, 1, 1, imp_gemm, 0,
     {{"alpha", A_FLOAT, NULL}, {"beta", A_FLOAT, NULL}, {"transA", A_INT, NULL}, {"transB", A_INT, NULL}}},
    {"LayerNormalization", 17, OPSET_MAX, 2, 3, 1, 3, imp_layernorm, 0,
     {{"axis", A_INT, NULL}, {"epsilon", A_FLOAT, NULL},
      {"stash_type", A_INT, "the precision of the statistics: always fp32 here (its default)"}}},
    REDUCE("ReduceMean", VKA_REDUCE_MEAN), REDUCE("ReduceSum", VKA_REDUCE_SUM), REDUCE("ReduceMax", VKA_REDUCE_MAX),
    {"Softmax", 13, OPSET_MAX, 1, 1, 1, 1, imp_softmax, 0, {{"axis", A_INT, NULL}}},
    {"Transpose", 13, OPSET_MAX, 1, 1, 1, 1, imp_transpose, 0, {{"perm", A_INTS, NULL}}},
    {"Reshape", 13, OPSET_MAX, 2, 2, 1, 1, imp_reshape, 0, {{"allowzero", A_INT, NULL}}},
    {"Expand", 13, OPSET_MAX, 2, 2, 1, 1, imp_expand, 0, {{0}}},
    {"Flatten", 13, OPSET_MAX, 1, 1, 1, 1, imp_flatten, 0, {{"axis", A_INT, NULL}}},
    /* axes as an attribute is the opset <= 12 form, still read */
    {"Squeeze", 13, OPSET_MAX, 1, 2, 1, 1, imp_squeeze, 0, {{"axes", A_INTS, NULL}}},
    {"Unsqueeze", 13, OPSET_MAX, 1, 2, 1, 1, imp_unsqueeze, 0, {{"axes", A_INTS, NULL}}},
    {"Slice", 13, OPSET_MAX, 3, 5, 1, 1, imp_slice, 0, {{0}}},
    {"Concat", 13, OPSET_MAX, 1, VKA__MAX_IN, 1, 1, imp_concat, 0, {{"axis", A_INT, NULL}}},
    {"Gather", 13, OPSET_MAX, 2, 2, 1, 1, imp_gather, 0, {{"axis", A_INT, NULL}}},
    {"Cast", 13, OPSET_MAX, 1, 1, 1, 1, imp_cast, 0, {{"to", A_INT, NULL}}},
    {"Where", 13, OPSET_MAX, 3, 3, 1, 1, imp_where, 0, {{0}}},
    {"Conv", 13, OPSET_MAX, 2, 3, 1, 1, imp_conv, 0,
     {{"auto_pad", A_STRING, NULL}, {"dilations", A_INTS, NULL}, {"group", A_INT, NULL},
      {"kernel_shape", A_INTS, NULL}, {"pads", A_INTS, NULL}, {"strides", A_INTS, NULL}}},
    {"Shape", 13, OPSET_MAX, 1, 1, 1, 1, imp_shape, 0, {{"start", A_INT, NULL}, {"end", A_INT, NULL}}},
    {"Size", 13, OPSET_MAX, 1, 1, 1, 1, imp_size, 0, {{0}}},
    {"ConstantOfShape", 13, OPSET_MAX, 1, 1, 1, 1, imp_constant_of_shape, 0, {{"value", A_TENSOR, NULL}}},
    {"Range", 13, OPSET_MAX, 3, 3, 1, 1, imp_range, 0, {{0}}},
    /* split as an attribute is the opset <= 12 form, still read; num_outputs is Split-18's */
    {"Split", 13, OPSET_MAX, 1, 2, 1, 16, imp_split, 0,
     {{"axis", A_INT, NULL}, {"split", A_INTS, NULL}, {"num_outputs", A_INT, NULL}}},
};

static const char *attr_type_name(int t)
{
    switch (t) {
    case A_INT: return "int";
    case A_FLOAT: return "float";
    case A_STRING: return "string";
    case A_TENSOR: return "tensor";
    case A_INTS: return "ints";
    case A_FLOATS: return "floats";
    default: return "another type";
    }
}

/* The checks every op gets from its table entry. */
static vka_status check_node(importer *im, const Onnx__NodeProto *n, const op_def *d)
{
    if (im->opset < d->since || im->opset > d->until)
        return ierr(im, VKA_ERR_UNSUPPORTED, "%s is implemented for opsets %d..%d", d->op, d->since, d->until);
    if (n->n_input < (size_t)d->min_in || n->n_input > (size_t)d->max_in)
        return ierr(im, VKA_ERR_FORMAT, "%zu inputs, %s takes %d..%d", n->n_input, d->op, d->min_in, d->max_in);
    if (n->n_output < (size_t)d->min_out || n->n_output > (size_t)d->max_out)
        return ierr(im, VKA_ERR_FORMAT, "%zu outputs, %s gives %d..%d", n->n_output, d->op, d->min_out, d->max_out);
    for (size_t i = 0; i < n->n_input; i++) {
        bool named = n->input[i][0] != 0;
        if (!named && i < (size_t)d->min_in)
            return ierr(im, VKA_ERR_FORMAT, "input %zu is required and empty", i);
        if (named && tab_get(im, n->input[i]) < 0)
            return ierr(im, VKA_ERR_FORMAT, "input %zu (%s) is not defined before this node", i, n->input[i]);
    }
    if (!n->output[0][0])
        return ierr(im, VKA_ERR_FORMAT, "output 0 has no name");
    for (size_t i = 0; i < n->n_attribute; i++) {
        const Onnx__AttributeProto *a = n->attribute[i];
        const char *an = a->name ? a->name : "";
        const attr_def *ad = NULL;
        for (int j = 0; j < (int)(sizeof d->attrs / sizeof d->attrs[0]) && d->attrs[j].name; j++)
            if (!strcmp(d->attrs[j].name, an))
                ad = &d->attrs[j];
        if (!ad) {
            char known[256] = "none";
            size_t k = 0;
            for (int j = 0; j < (int)(sizeof d->attrs / sizeof d->attrs[0]) && d->attrs[j].name && k < 200; j++)
                k += (size_t)snprintf(known + k, sizeof known - k, "%s%s", j ? ", " : "", d->attrs[j].name);
            return ierr(im, VKA_ERR_UNSUPPORTED, "unknown attribute \"%s\" (%s takes: %s)", an, d->op, known);
        }
        /* older exporters leave the type unset: the value fields alone then say what it is */
        if (a->has_type && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED && (int)a->type != ad->type)
            return ierr(im, VKA_ERR_FORMAT, "attribute %s is of type %s, %s expected", an, attr_type_name((int)a->type),
                        attr_type_name(ad->type));
        for (size_t j = 0; j < i; j++)
            if (n->attribute[j]->name && !strcmp(n->attribute[j]->name, an))
                return ierr(im, VKA_ERR_FORMAT, "attribute %s is given twice", an);
    }
    return VKA_OK;
}

static vka_status import_node(importer *im, const Onnx__NodeProto *n)
{
    vka_graph *g = im->g;
    const char *op = n->op_type ? n->op_type : "";
    const char *name = n->name && *n->name ? n->name : n->n_output && n->output[0][0] ? n->output[0] : op;
    im->node = n;
    im->def = NULL;
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx"))
        return ierr(im, VKA_ERR_UNSUPPORTED, "operator domain \"%s\" is not supported", n->domain);
    for (size_t i = 0; i < sizeof op_table / sizeof op_table[0]; i++)
        if (!strcmp(op, op_table[i].op))
            im->def = &op_table[i];
    if (!im->def)
        return ierr(im, VKA_ERR_UNSUPPORTED, "unsupported operator %s", op);
    vka_val r = VKA_NONE;
    vka_status s = check_node(im, n, im->def);
    if (!s)
        s = im->def->fn(im, n, name, &r);
    if (s || r < 0) {
        if (strstr(im->ctx->err, " (op "))
            return s ? s : VKA_ERR_SHAPE;
        /* a builder's error names the value: add the ONNX node, op and opset */
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", im->ctx->err);
        return ierr(im, s ? s : VKA_ERR_SHAPE, "%s", msg[0] ? msg : "could not be built");
    }
    if (!tab_put(im, n->output[0], r))
        return ierr(im, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
    if (im->ctx->log_level >= VKA_LOG_DEBUG) {
        const vka__value *v = &g->vals[r];
        char sh[128];
        size_t k = 0;
        for (int i = 0; i < v->ndim && k < sizeof sh - 24; i++)
            k += (size_t)snprintf(sh + k, sizeof sh - k, i ? ",%lld" : "%lld", (long long)v->shape[i]);
        sh[k] = 0;
        vka__log(im->ctx, VKA_LOG_DEBUG, "onnx: %s %s -> %s [%s]%s", op, name, n->output[0], sh,
                 v->host ? " (folded)" : "");
    }
    return VKA_OK;
}

/* ---------------------------------------------------------------- model */

vka_onnx_params vka_onnx_default_params(void)
{
    vka_onnx_params p = {.dynamic_dim = 1};
    return p;
}

static vka_status import_graph(importer *im, const Onnx__ModelProto *m)
{
    const Onnx__GraphProto *gp = m->graph;
    if (!gp)
        return ierr(im, VKA_ERR_FORMAT, "the model has no graph");
    im->opset = -1;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[i];
        if (!o->domain || !*o->domain || !strcmp(o->domain, "ai.onnx"))
            im->opset = o->version;
    }
    if (im->opset < OPSET_MIN || im->opset > OPSET_MAX)
        return ierr(im, VKA_ERR_UNSUPPORTED, "opset %lld is outside the supported %d..%d (re-export with "
                    "opset_version in that range)", (long long)im->opset, OPSET_MIN, OPSET_MAX);
    vka_status s;
    for (size_t i = 0; i < gp->n_initializer; i++) {
        vka_val v;
        const Onnx__TensorProto *t = gp->initializer[i];
        if (!t->name || !*t->name)
            return ierr(im, VKA_ERR_FORMAT, "initializer %zu has no name", i);
        if ((s = make_const(im, t, t->name, &v)))
            return s;
        if (!tab_put(im, t->name, v))
            return ierr(im, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        if (!vi->name || tab_get(im, vi->name) >= 0)
            continue; /* an initializer listed as input (old exporters) */
        if (!vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !vi->type->tensor_type)
            return ierr(im, VKA_ERR_UNSUPPORTED, "input %s is not a tensor", vi->name);
        const Onnx__TypeProto__Tensor *tt = vi->type->tensor_type;
        int et = tt->has_elem_type ? tt->elem_type : 0;
        vka_dtype dt;
        if (et == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
            dt = VKA_F32;
        else if (et == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 || et == ONNX__TENSOR_PROTO__DATA_TYPE__INT32)
            dt = VKA_I32;
        else
            return ierr(im, VKA_ERR_UNSUPPORTED, "input %s has element type %d (float and int64 are supported)",
                        vi->name, et);
        int64_t shape[VKA_MAX_DIMS];
        if (tt->shape && tt->shape->n_dim > VKA_MAX_DIMS)
            return ierr(im, VKA_ERR_UNSUPPORTED, "input %s has rank %zu", vi->name, tt->shape->n_dim);
        int nd = tt->shape ? (int)tt->shape->n_dim : 0;
        for (int d = 0; d < nd; d++) {
            const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[d];
            bool fixed = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            if (fixed && dim->dim_value <= 0)
                return ierr(im, VKA_ERR_FORMAT, "input %s: dimension %d is %lld (a fixed dim must be positive; "
                            "a symbolic one takes dynamic_dim)", vi->name, d, (long long)dim->dim_value);
            shape[d] = fixed ? dim->dim_value : im->dyn;
        }
        vka_val v = vka_graph_input(im->g, vi->name, dt, nd, shape);
        if (v < 0 || !tab_put(im, vi->name, v))
            return VKA_ERR_SHAPE;
    }
    for (size_t i = 0; i < gp->n_node; i++)
        if ((s = import_node(im, gp->node[i])))
            return s;
    im->node = NULL;
    for (size_t i = 0; i < gp->n_output; i++) {
        const char *on = gp->output[i]->name;
        vka_val v = tab_get(im, on);
        if (v < 0)
            return ierr(im, VKA_ERR_FORMAT, "graph output %s is produced by no node", on ? on : "(unnamed)");
        /* an output that is a view or appears twice gets its own name on a fresh view */
        if (im->g->vals[v].is_output || im->g->vals[v].is_input || vka__graph_is_const(im->g, v) ||
            strcmp(im->g->vals[v].name, on))
            v = vka_graph_reshape(im->g, on, v, im->g->vals[v].ndim, im->g->vals[v].shape);
        if (v < 0 || (s = vka_graph_output(im->g, v, on)))
            return VKA_ERR_SHAPE;
    }
    return VKA_OK;
}

/* ---------------------------------------------------------------- pre-scan
 * Walks the wire format once before protobuf-c sees it, with the schema from
 * protobuf-c's own descriptors: nesting is bounded (its unpack recurses), every
 * length stays inside the buffer, each tensor's declared shape must fit the
 * device and its payload the limits, and the memory the unpack will allocate
 * (structs, arrays, copied bytes) is estimated against the host budget. Pages
 * of a large payload are skipped, never touched: a 3 GiB initializer is
 * refused without being read. */

typedef struct {
    importer *im;
    uint64_t field_max;          /* bytes of one non-tensor field */
    uint64_t est;                /* host bytes the unpack would allocate */
} scan_state;

static bool get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    for (int sh = 0; sh < 64; sh += 7) {
        if (*p >= end)
            return false;
        uint8_t b = *(*p)++;
        r |= (uint64_t)(b & 0x7f) << sh;
        if (!(b & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

static vka_status scan_msg(scan_state *sc, const ProtobufCMessageDescriptor *d, const uint8_t *p, size_t n,
                           int depth, uint64_t at)
{
    importer *im = sc->im;
    const uint8_t *start = p, *end = p + n;
    bool tensor = d == &onnx__tensor_proto__descriptor;
    int64_t numel = 1, ndims = 0;
    bool dims_bad = false;
    const uint8_t *tname = NULL;
    uint64_t tname_len = 0, payload = 0;
    sc->est += d->sizeof_message + 16;
    while (p < end) {
        uint64_t key, v, off = at + (uint64_t)(p - start);
        if (!get_varint(&p, end, &key) || (key >> 3) == 0 || (key >> 3) > 0x1fffffff)
            return ierr(im, VKA_ERR_FORMAT, "corrupt field key at byte %llu (in %s)", (unsigned long long)off, d->name);
        uint32_t num = (uint32_t)(key >> 3);
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, num);
        bool repeated = f && f->label == PROTOBUF_C_LABEL_REPEATED;
        switch (key & 7) {
        case 0:
            if (!get_varint(&p, end, &v))
                return ierr(im, VKA_ERR_FORMAT, "truncated varint at byte %llu", (unsigned long long)off);
            if (tensor && num == 1) { /* dims, unpacked */
                ndims++;
                dims_bad |= !vka__mul_count(numel, (int64_t)v, &numel);
            }
            sc->est += repeated ? 8 : 0;
            break;
        case 1:
        case 5: {
            size_t w = (key & 7) == 1 ? 8 : 4;
            if ((size_t)(end - p) < w)
                return ierr(im, VKA_ERR_FORMAT, "truncated field at byte %llu", (unsigned long long)off);
            p += w;
            sc->est += repeated ? 8 : 0;
            break;
        }
        case 2:
            if (!get_varint(&p, end, &v) || v > (uint64_t)(end - p))
                return ierr(im, VKA_ERR_FORMAT, "field %u at byte %llu: its length runs past the end of %s",
                            num, (unsigned long long)off, depth ? d->name : "the file");
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                if (depth + 1 > MAX_NESTING)
                    return ierr(im, VKA_ERR_FORMAT, "messages nested more than %d deep at byte %llu (%s)", MAX_NESTING,
                                (unsigned long long)off, d->name);
                vka_status s = scan_msg(sc, f->descriptor, p, (size_t)v, depth + 1, at + (uint64_t)(p - start));
                if (s)
                    return s;
                sc->est += 8;
            } else if (tensor) {
                if (num == 1) /* dims, packed */
                    for (const uint8_t *q = p; q < p + v;) {
                        uint64_t dv;
                        if (!get_varint(&q, p + v, &dv))
                            return ierr(im, VKA_ERR_FORMAT, "corrupt tensor dims at byte %llu", (unsigned long long)off);
                        ndims++;
                        dims_bad |= !vka__mul_count(numel, (int64_t)dv, &numel);
                    }
                else if (num == 8)
                    tname = p, tname_len = v;
                else if (num == 12 && v > sc->field_max)
                    return ierr(im, VKA_ERR_TOO_LARGE, "a tensor's doc_string is %.1f MiB", v / 1048576.0);
                else if (num != 12)
                    payload += v; /* raw_data, packed typed data, strings */
                sc->est += v * (repeated ? 8 : 1) + 8;
            } else {
                if (v > sc->field_max)
                    return ierr(im, VKA_ERR_TOO_LARGE, "field %s of %s at byte %llu is %.1f MiB, over the limit of "
                                "%.1f MiB", f ? f->name : "(unknown)", d->name, (unsigned long long)off,
                                v / 1048576.0, sc->field_max / 1048576.0);
                sc->est += v * (repeated ? 8 : 1) + 8;
            }
            p += v;
            break;
        default:
            return ierr(im, VKA_ERR_FORMAT, "wire type %d at byte %llu (not protobuf as ONNX writes it)",
                        (int)(key & 7), (unsigned long long)off);
        }
    }
    if (tensor) {
        char nm[128];
        snprintf(nm, sizeof nm, "%.*s", tname_len > 100 ? 100 : (int)tname_len, tname ? (const char *)tname : "");
        if (dims_bad || ndims > VKA_MAX_DIMS)
            return ierr(im, VKA_ERR_FORMAT, "tensor %s: %lld dims whose element count overflows or is negative "
                        "(at byte %llu)", *nm ? nm : "(unnamed)", (long long)ndims, (unsigned long long)at);
        vka_status s = check_device_size(im, *nm ? nm : "(unnamed)", numel);
        if (s)
            return s;
        /* 8 bytes an element (int64, double) is the most any stored type takes */
        if (payload > (uint64_t)numel * 8 + 64)
            return ierr(im, VKA_ERR_FORMAT, "tensor %s stores %llu bytes for %lld elements", *nm ? nm : "(unnamed)",
                        (unsigned long long)payload, (long long)numel);
    }
    return VKA_OK;
}

static vka_status prescan(importer *im, const uint8_t *buf, size_t len)
{
    scan_state sc = {.im = im, .field_max = im->g->host_budget};
    vka_status s = scan_msg(&sc, &onnx__model_proto__descriptor, buf, len, 0, 0);
    if (!s && sc.est > im->g->host_budget)
        s = ierr(im, VKA_ERR_TOO_LARGE, "unpacking the model would take about %.1f MiB of host memory, over the "
                 "budget of %.1f MiB", sc.est / 1048576.0, im->g->host_budget / 1048576.0);
    return s;
}

/* ---------------------------------------------------------------- entry points */

static vka_graph *load_buffer(vka_context *ctx, const uint8_t *buf, size_t len, const char *what, const char *dir,
                              const vka_onnx_params *p)
{
    importer im = {.ctx = ctx, .path = what, .dir = dir, .dyn = p->dynamic_dim > 0 ? p->dynamic_dim : 1};
    im.g = vka_graph_create(ctx);
    if (!im.g)
        return NULL;
    if (p->host_memory_limit)
        im.g->host_budget = p->host_memory_limit;
    vka_status s = prescan(&im, buf, len);
    Onnx__ModelProto *m = NULL;
    if (!s && !(m = onnx__model_proto__unpack(NULL, len, buf)))
        s = vka__err(ctx, VKA_ERR_FORMAT, "%s: not a valid ONNX model (the protobuf is truncated or corrupt, %zu bytes)",
                     what, len);
    if (!s)
        s = import_graph(&im, m);
    for (size_t i = 0; i < im.cap; i++)
        free(im.tab[i].name);
    free(im.tab);
    if (m)
        onnx__model_proto__free_unpacked(m, NULL);
    if (s || im.g->failed) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", ctx->err);
        vka_graph_destroy(im.g);
        if (!strstr(msg, what))
            vka__err(ctx, s ? s : VKA_ERR_FORMAT, "%s: %s", what, msg);
        else
            vka__set_tls_error("%s", msg);
        return NULL;
    }
    return im.g;
}

vka_graph *vka_onnx_load_memory(vka_context *ctx, const void *data, size_t size, const vka_onnx_params *p)
{
    if (!ctx || (!data && size)) {
        vka__set_tls_error("vka_onnx_load_memory: context and data are required");
        return NULL;
    }
    vka_onnx_params d = vka_onnx_default_params();
    if (!p)
        p = &d;
    return load_buffer(ctx, data ? data : (const void *)"", size, "<memory>", p->external_data_dir, p);
}

vka_graph *vka_onnx_load(vka_context *ctx, const char *path, const vka_onnx_params *p)
{
    if (!ctx || !path) {
        vka__set_tls_error("vka_onnx_load: context and path are required");
        return NULL;
    }
    vka_onnx_params d = vka_onnx_default_params();
    if (!p)
        p = &d;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        vka__err(ctx, VKA_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb = {0};
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
        close(fd);
        vka__err(ctx, VKA_ERR_IO, "%s: not a regular file%s", path, S_ISDIR(sb.st_mode) ? " (a directory)" : "");
        return NULL;
    }
    /* mapped, not read: the pre-scan touches headers only, so the pages of a
     * payload it refuses are never loaded */
    size_t len = (size_t)sb.st_size;
    void *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (map == MAP_FAILED) {
        vka__err(ctx, VKA_ERR_IO, "%s: cannot map %zu bytes: %s", path, len, strerror(errno));
        return NULL;
    }
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (slash == path ? 1 : (int)(slash - path)) : 1, slash ? path : ".");
    vka_graph *g = load_buffer(ctx, map ? map : (const void *)"", len, path, dir, p);
    if (map)
        munmap(map, len);
    return g;
}
