/* onnx.c — ONNX import: protobuf-c parses the model (schema from Debian's
 * onnx.proto, compiled at build time), each node becomes builder calls, and
 * nodes whose inputs are constant fold on the host (shape arithmetic). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "onnx.pb-c.h"

#define OPSET_MIN 13
#define OPSET_MAX 17

typedef struct {
    char *name;
    vka_val v;
} entry;

typedef struct {
    vka_graph *g;
    vka_context *ctx;
    const char *path;
    int64_t opset;
    int64_t dyn;
    entry *tab;                  /* open addressing, power-of-two size */
    size_t cap, n;
    const Onnx__NodeProto *node; /* the node being imported, for messages */
    char where[256];
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

static vka_status read_external(importer *im, const Onnx__TensorProto *t, size_t need, uint8_t *out)
{
    const char *loc = NULL;
    long long off = 0, len = -1;
    for (size_t i = 0; i < t->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = t->external_data[i];
        if (!e->key || !e->value)
            continue;
        if (!strcmp(e->key, "location"))
            loc = e->value;
        else if (!strcmp(e->key, "offset"))
            off = atoll(e->value);
        else if (!strcmp(e->key, "length"))
            len = atoll(e->value);
    }
    if (!loc || strstr(loc, "..") || loc[0] == '/')
        return ierr(im, VKA_ERR_FORMAT, "initializer %s: external data without a plain relative location", t->name);
    if (len >= 0 && (size_t)len != need)
        return ierr(im, VKA_ERR_FORMAT, "initializer %s: external length %lld, %zu bytes expected", t->name, len, need);
    char path[2048];
    const char *slash = strrchr(im->path, '/');
    snprintf(path, sizeof path, "%.*s%s", slash ? (int)(slash - im->path + 1) : 0, im->path, loc);
    FILE *f = fopen(path, "rb");
    if (!f)
        return ierr(im, VKA_ERR_IO, "initializer %s: cannot open external data %s: %s", t->name, path, strerror(errno));
    bool ok = fseek(f, (long)off, SEEK_SET) == 0 && fread(out, 1, need, f) == need;
    fclose(f);
    if (!ok)
        return ierr(im, VKA_ERR_FORMAT, "initializer %s: external data %s too short (offset %lld, %zu bytes)",
                    t->name, path, off, need);
    return VKA_OK;
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

/* A TensorProto as a graph constant. */
static vka_status make_const(importer *im, const Onnx__TensorProto *t, const char *name, vka_val *out)
{
    int nd = (int)t->n_dims;
    if (nd > VKA_MAX_DIMS)
        return ierr(im, VKA_ERR_UNSUPPORTED, "tensor %s has %d dimensions", name, nd);
    int64_t shape[VKA_MAX_DIMS], n = 1;
    for (int i = 0; i < nd; i++) {
        if (t->dims[i] < 0)
            return ierr(im, VKA_ERR_FORMAT, "tensor %s: negative dimension", name);
        shape[i] = t->dims[i];
        n *= shape[i];
    }
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
    uint8_t *raw = malloc(need ? need : 1);
    if (!raw)
        return ierr(im, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
    vka_status s = VKA_OK;
    bool have_raw = false;
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        s = read_external(im, t, need, raw);
        have_raw = true;
    } else if (t->has_raw_data) {
        if (t->raw_data.len != need)
            s = ierr(im, VKA_ERR_FORMAT, "tensor %s: raw_data has %zu bytes, shape and type need %zu", name,
                     t->raw_data.len, need);
        else
            memcpy(raw, t->raw_data.data, need);
        have_raw = true;
    }
    if (s) {
        free(raw);
        return s;
    }
    /* typed fields: float_data, int32_data (also f16/bool/int8 payloads), int64_data, double_data */
    size_t have = have_raw ? (size_t)n
                  : dt == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT  ? t->n_float_data
                  : dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64  ? t->n_int64_data
                  : dt == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE ? t->n_double_data
                                                                : t->n_int32_data;
    if (have != (size_t)n) {
        free(raw);
        return ierr(im, VKA_ERR_FORMAT, "tensor %s: %zu values stored, shape needs %lld", name, have, (long long)n);
    }
    void *h = calloc((size_t)(n ? n : 1), is_int ? 8 : 4);
    if (!h) {
        free(raw);
        return ierr(im, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
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
            ((int64_t *)h)[i] = (int64_t)v;
        else
            ((float *)h)[i] = (float)v;
    }
    free(raw);
    if (is_int)
        *out = vka_graph_const_i64(im->g, name, nd, shape, h);
    else
        *out = vka_graph_const(im->g, name, VKA_F32, nd, shape, h);
    free(h);
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

/* Integer list from an attribute or, failing that, a constant input. */
static int ints_of(importer *im, const Onnx__NodeProto *n, const char *aname, int input, int64_t *out, int max)
{
    const Onnx__AttributeProto *a = attr(n, aname);
    if (a && a->n_ints) {
        int k = (int)a->n_ints < max ? (int)a->n_ints : max;
        memcpy(out, a->ints, sizeof(int64_t) * (size_t)k);
        return k;
    }
    if (input >= 0 && (size_t)input < n->n_input && n->input[input][0]) {
        vka_val v = tab_get(im, n->input[input]);
        if (v >= 0 && vka__graph_is_const(im->g, v)) {
            int64_t cnt = im->g->vals[v].numel;
            int k = cnt < max ? (int)cnt : max;
            for (int i = 0; i < k; i++)
                out[i] = vka__const_i64(im->g, v, i);
            return k;
        }
        return -2; /* present but not constant */
    }
    return -1; /* absent */
}

static vka_val in_val(importer *im, const Onnx__NodeProto *n, size_t i)
{
    if (i >= n->n_input || !n->input[i][0])
        return VKA_NONE;
    return tab_get(im, n->input[i]);
}

/* ---------------------------------------------------------------- nodes */

static vka_status need_inputs(importer *im, const Onnx__NodeProto *n, size_t k)
{
    if (n->n_input < k)
        return ierr(im, VKA_ERR_FORMAT, "%zu inputs, at least %zu expected", n->n_input, k);
    for (size_t i = 0; i < k; i++)
        if (!n->input[i][0] || tab_get(im, n->input[i]) < 0)
            return ierr(im, VKA_ERR_FORMAT, "input %zu (%s) is not defined before this node", i, n->input[i]);
    if (n->n_output < 1)
        return ierr(im, VKA_ERR_FORMAT, "no output");
    return VKA_OK;
}

/* Host-only comparison and logic ops (their inputs must be constant). */
static vka_val fold_compare(importer *im, const Onnx__NodeProto *n, const char *op)
{
    vka_graph *g = im->g;
    vka_val a = in_val(im, n, 0), b = in_val(im, n, 1);
    if (!vka__graph_is_const(g, a) || (b >= 0 && !vka__graph_is_const(g, b))) {
        static const struct { const char *s; vka_compare_op op; } dev[] = {
            {"Equal", VKA_CMP_EQ}, {"Less", VKA_CMP_LT}, {"Greater", VKA_CMP_GT}, {"LessOrEqual", VKA_CMP_LE},
            {"GreaterOrEqual", VKA_CMP_GE}, {"And", VKA_CMP_AND}, {"Or", VKA_CMP_OR}};
        for (size_t i = 0; i < sizeof dev / sizeof dev[0]; i++)
            if (!strcmp(op, dev[i].s))
                return vka_graph_compare(g, n->output[0], dev[i].op, a, b);
        int64_t zero = 0; /* Not x == (x == 0) */
        return vka_graph_compare(g, n->output[0], VKA_CMP_EQ, a, vka_graph_const_i64(g, "zero", 0, NULL, &zero));
    }
    vka__value *va = &g->vals[a], *vb = b >= 0 ? &g->vals[b] : va;
    int nd = va->ndim > vb->ndim ? va->ndim : vb->ndim;
    int64_t s[VKA_MAX_DIMS];
    for (int i = 0; i < nd; i++) {
        int ia = va->ndim - nd + i, ib = vb->ndim - nd + i;
        int64_t da = ia >= 0 ? va->shape[ia] : 1, db = ib >= 0 ? vb->shape[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            ierr(im, VKA_ERR_SHAPE, "%s operands do not broadcast", op);
            return VKA_NONE;
        }
        s[i] = da == 1 ? db : da;
    }
    int64_t total = 1;
    for (int i = 0; i < nd; i++)
        total *= s[i];
    int64_t *h = malloc(sizeof *h * (size_t)(total ? total : 1));
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
        h[i] = !strcmp(op, "Equal")     ? x == y
               : !strcmp(op, "Less")    ? x < y
               : !strcmp(op, "Greater") ? x > y
               : !strcmp(op, "LessOrEqual")    ? x <= y
               : !strcmp(op, "GreaterOrEqual") ? x >= y
               : !strcmp(op, "And")     ? (x != 0) && (y != 0)
               : !strcmp(op, "Or")      ? (x != 0) || (y != 0)
                                        : x == 0; /* Not */
    }
    vka_val r = vka_graph_const_i64(g, n->output[0], nd, s, h);
    free(h);
    return r;
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
    snprintf(buf, cap, "%.*s", (int)a->s.len, (const char *)a->s.data);
    return buf;
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
    p->ceil_mode = (int)attr_i(n, "ceil_mode", 0);
    p->count_include_pad = (int)attr_i(n, "count_include_pad", 0);
    return VKA_OK;
}

/* The CNN and detection operators; 1: handled (r or an error set), 0: not one of them. */
static int import_vision(importer *im, const Onnx__NodeProto *n, const char *op, const char *name, vka_val *r,
                         vka_status *st)
{
    vka_graph *g = im->g;
    vka_status s = VKA_OK;
    char buf[64];
    *st = VKA_OK;
#define NEED(k)                                                                                                    \
    do {                                                                                                           \
        if ((s = need_inputs(im, n, (k)))) {                                                                       \
            *st = s;                                                                                               \
            return 1;                                                                                              \
        }                                                                                                          \
    } while (0)
#define FAIL(...)                                                                                                  \
    do {                                                                                                           \
        *st = ierr(im, __VA_ARGS__);                                                                               \
        return 1;                                                                                                  \
    } while (0)
    if (!strcmp(op, "Pad")) {
        NEED(1);
        vka_val x = in_val(im, n, 0);
        int nd = g->vals[x].ndim;
        int64_t pads[2 * VKA_MAX_DIMS], axes[VKA_MAX_DIMS];
        int k = ints_of(im, n, "pads", 1, pads, 2 * VKA_MAX_DIMS);
        int na = ints_of(im, n, "", 3, axes, VKA_MAX_DIMS);
        if (k < 0 || na == -2)
            FAIL(VKA_ERR_UNSUPPORTED, "pads and axes must be constant");
        int64_t begin[VKA_MAX_DIMS] = {0}, end[VKA_MAX_DIMS] = {0};
        int cnt = na > 0 ? na : nd;
        if (k != 2 * cnt)
            FAIL(VKA_ERR_FORMAT, "%d pads for %d axes", k, cnt);
        for (int i = 0; i < cnt; i++) {
            int64_t a = na > 0 ? (axes[i] < 0 ? axes[i] + nd : axes[i]) : i;
            begin[a] = pads[i];
            end[a] = pads[cnt + i];
        }
        double cv = 0;
        vka_val cval = in_val(im, n, 2);
        if (cval >= 0 && !vka__const_scalar(g, cval, &cv))
            FAIL(VKA_ERR_UNSUPPORTED, "constant_value must be a constant scalar");
        vka_pad_mode mode = attr_is(n, "mode", "reflect", "constant") ? VKA_PAD_REFLECT
                            : attr_is(n, "mode", "edge", "constant") ? VKA_PAD_EDGE
                                                                     : VKA_PAD_CONSTANT;
        if (!attr_is(n, "mode", "constant", "constant") && mode == VKA_PAD_CONSTANT)
            FAIL(VKA_ERR_UNSUPPORTED, "Pad mode %s", attr_s(n, "mode", buf, sizeof buf, "?"));
        *r = vka_graph_pad(g, name, x, begin, end, mode, (float)cv);
        return 1;
    }
    if (!strcmp(op, "MaxPool") || !strcmp(op, "AveragePool")) {
        NEED(1);
        if (n->n_output > 1 && n->output[1][0])
            FAIL(VKA_ERR_UNSUPPORTED, "MaxPool's Indices output");
        vka_pool_params p;
        if ((s = pool_params(im, n, &p))) {
            *st = s;
            return 1;
        }
        *r = vka_graph_pool(g, name, op[0] == 'M' ? VKA_POOL_MAX : VKA_POOL_AVG, in_val(im, n, 0), &p);
        return 1;
    }
    if (!strcmp(op, "BatchNormalization")) {
        /* inference form: y = (x - mean) / sqrt(var + eps) * scale + bias per channel (axis 1),
         * as one per-channel multiply and add of constants; the conv-affine fusion folds them
         * into a preceding convolution's weights */
        NEED(5);
        if (n->n_output > 1 && n->output[1][0])
            FAIL(VKA_ERR_UNSUPPORTED, "BatchNormalization in training mode (running mean/var outputs)");
        vka_val x = in_val(im, n, 0);
        const vka__value *v = &g->vals[x];
        int64_t C = v->ndim >= 2 ? v->shape[1] : 0;
        double eps = attr_f(n, "epsilon", 1e-5f);
        float *sc = malloc(sizeof *sc * (size_t)(C ? C : 1)), *sh = malloc(sizeof *sh * (size_t)(C ? C : 1));
        bool ok = C > 0;
        for (int i = 1; ok && i < 5; i++)
            ok = vka__graph_is_const(g, in_val(im, n, (size_t)i)) && g->vals[in_val(im, n, (size_t)i)].numel == C;
        for (int64_t c = 0; ok && c < C; c++) {
            double s1 = vka__const_at(g, in_val(im, n, 1), c) / sqrt(vka__const_at(g, in_val(im, n, 4), c) + eps);
            sc[c] = (float)s1;
            sh[c] = (float)(vka__const_at(g, in_val(im, n, 2), c) - vka__const_at(g, in_val(im, n, 3), c) * s1);
        }
        if (!ok) {
            free(sc), free(sh);
            FAIL(VKA_ERR_UNSUPPORTED, "BatchNormalization needs constant scale, bias, mean and var of C elements");
        }
        int64_t cs[VKA_MAX_DIMS];
        for (int i = 0; i < v->ndim; i++)
            cs[i] = i == 1 ? C : 1;
        char nm[112];
        snprintf(nm, sizeof nm, "%.90s/scale", name);
        vka_val vs = vka_graph_const(g, nm, VKA_F32, v->ndim - 1, cs + 1, sc);
        snprintf(nm, sizeof nm, "%.90s/shift", name);
        vka_val vt = vka_graph_const(g, nm, VKA_F32, v->ndim - 1, cs + 1, sh);
        free(sc), free(sh);
        vka_val y = vka_graph_binary(g, name, VKA_MUL, x, vs);
        *r = y < 0 ? y : vka_graph_binary(g, name, VKA_ADD, y, vt);
        return 1;
    }
    if (!strcmp(op, "GlobalAveragePool")) {
        NEED(1);
        *r = vka_graph_global_avgpool(g, name, in_val(im, n, 0));
        return 1;
    }
    if (!strcmp(op, "Resize")) {
        NEED(1);
        vka_val x = in_val(im, n, 0);
        const vka__value *v = &g->vals[x];
        if (v->ndim != 4)
            FAIL(VKA_ERR_UNSUPPORTED, "Resize of a rank-%d tensor (NCHW only)", v->ndim);
        vka_interp mode;
        if (attr_is(n, "mode", "nearest", "nearest"))
            mode = VKA_INTERP_NEAREST;
        else if (attr_is(n, "mode", "linear", "nearest"))
            mode = VKA_INTERP_LINEAR;
        else
            FAIL(VKA_ERR_UNSUPPORTED, "Resize mode %s", attr_s(n, "mode", buf, sizeof buf, "?"));
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
            FAIL(VKA_ERR_UNSUPPORTED, "Resize coordinate_transformation_mode %s / nearest_mode %s",
                 attr_s(n, "coordinate_transformation_mode", buf, sizeof buf, "?"),
                 attr_s(n, "nearest_mode", buf + 32, 32, "?"));
        double sc[VKA_MAX_DIMS];
        int64_t sizes[VKA_MAX_DIMS];
        vka_val vs = in_val(im, n, 2), vz = in_val(im, n, 3);
        int64_t oh, ow;
        float scales[2];
        bool have_scales = false;
        if (vs >= 0 && g->vals[vs].numel == 4 && vka__graph_is_const(g, vs)) {
            for (int i = 0; i < 4; i++)
                sc[i] = vka__const_at(g, vs, i);
            if (sc[0] != 1 || sc[1] != 1)
                FAIL(VKA_ERR_UNSUPPORTED, "Resize scales on N or C");
            oh = (int64_t)floor(v->shape[2] * sc[2]);
            ow = (int64_t)floor(v->shape[3] * sc[3]);
            scales[0] = (float)sc[2], scales[1] = (float)sc[3];
            have_scales = true;
        } else if (ints_of(im, n, "", 3, sizes, VKA_MAX_DIMS) == 4 && vz >= 0) {
            if (sizes[0] != v->shape[0] || sizes[1] != v->shape[1])
                FAIL(VKA_ERR_UNSUPPORTED, "Resize sizes on N or C");
            oh = sizes[2], ow = sizes[3];
        } else {
            FAIL(VKA_ERR_UNSUPPORTED, "Resize needs constant scales or sizes");
        }
        *r = vka_graph_resize(g, name, x, mode, (vka_coord_mode)coord, (vka_nearest_mode)nearest, oh, ow,
                              have_scales ? scales : NULL);
        return 1;
    }
    if (!strcmp(op, "Clip")) {
        NEED(1);
        double lo = -INFINITY, hi = INFINITY;
        vka_val a = in_val(im, n, 1), b = in_val(im, n, 2);
        if ((a >= 0 && !vka__const_scalar(g, a, &lo)) || (b >= 0 && !vka__const_scalar(g, b, &hi)))
            FAIL(VKA_ERR_UNSUPPORTED, "Clip bounds must be constant scalars");
        *r = vka_graph_clip(g, name, in_val(im, n, 0), (float)lo, (float)hi);
        return 1;
    }
    if (!strcmp(op, "TopK")) {
        NEED(2);
        vka_val x = in_val(im, n, 0);
        int64_t axis = attr_i(n, "axis", -1), k;
        double kd;
        if (axis < 0)
            axis += g->vals[x].ndim;
        if (axis != g->vals[x].ndim - 1)
            FAIL(VKA_ERR_UNSUPPORTED, "TopK over axis %lld (the last axis only)", (long long)axis);
        if (!vka__graph_is_const(g, in_val(im, n, 1)) || !(kd = vka__const_at(g, in_val(im, n, 1), 0), 1))
            FAIL(VKA_ERR_UNSUPPORTED, "K must be constant");
        k = (int64_t)kd;
        vka_val idx = VKA_NONE;
        *r = vka_graph_topk(g, name, x, k, (int)attr_i(n, "largest", 1), &idx);
        if (*r >= 0 && n->n_output > 1 && n->output[1][0] && !tab_put(im, n->output[1], idx))
            FAIL(VKA_ERR_OUT_OF_MEMORY, "out of host memory");
        return 1;
    }
    if (!strcmp(op, "GatherElements")) {
        NEED(2);
        *r = vka_graph_gather_elements(g, name, in_val(im, n, 0), in_val(im, n, 1), (int)attr_i(n, "axis", 0));
        return 1;
    }
    if (!strcmp(op, "Tile")) {
        NEED(2);
        int64_t reps[VKA_MAX_DIMS];
        int k = ints_of(im, n, "", 1, reps, VKA_MAX_DIMS);
        if (k != g->vals[in_val(im, n, 0)].ndim)
            FAIL(VKA_ERR_UNSUPPORTED, "Tile repeats must be constant, one per axis");
        *r = vka_graph_tile(g, name, in_val(im, n, 0), reps);
        return 1;
    }
    if (!strcmp(op, "GridSample")) {
        NEED(2);
        if (!attr_is(n, "mode", "bilinear", "bilinear") || !attr_is(n, "padding_mode", "zeros", "zeros"))
            FAIL(VKA_ERR_UNSUPPORTED, "GridSample mode %s padding %s (bilinear, zeros)",
                 attr_s(n, "mode", buf, sizeof buf, "bilinear"), attr_s(n, "padding_mode", buf + 32, 32, "zeros"));
        *r = vka_graph_grid_sample(g, name, in_val(im, n, 0), in_val(im, n, 1), (int)attr_i(n, "align_corners", 0));
        return 1;
    }
#undef NEED
#undef FAIL
    return 0;
}

static vka_status import_node(importer *im, const Onnx__NodeProto *n)
{
    vka_graph *g = im->g;
    const char *op = n->op_type ? n->op_type : "";
    const char *name = n->name && *n->name ? n->name : n->n_output ? n->output[0] : op;
    vka_val r = VKA_NONE;
    vka_status s = VKA_OK;
    im->node = n;
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx"))
        return ierr(im, VKA_ERR_UNSUPPORTED, "operator domain \"%s\" is not supported", n->domain);

    static const struct { const char *name; int op; } bin[] = {
        {"Add", VKA_ADD}, {"Sub", VKA_SUB}, {"Mul", VKA_MUL}, {"Div", VKA_DIV},
        {"Pow", VKA_POW}, {"Max", VKA_MAX}, {"Min", VKA_MIN}};
    static const struct { const char *name; int op; } un[] = {
        {"Exp", VKA_EXP},   {"Log", VKA_LOG},   {"Sqrt", VKA_SQRT},          {"Erf", VKA_ERF},
        {"Tanh", VKA_TANH}, {"Sigmoid", VKA_SIGMOID}, {"Relu", VKA_RELU},    {"Neg", VKA_NEG},
        {"Reciprocal", VKA_RECIPROCAL}, {"Abs", VKA_ABS}, {"Sin", VKA_SIN}, {"Cos", VKA_COS}};
    for (size_t i = 0; i < sizeof bin / sizeof bin[0]; i++)
        if (!strcmp(op, bin[i].name)) {
            if ((s = need_inputs(im, n, 2)))
                return s;
            r = vka_graph_binary(g, name, (vka_binary_op)bin[i].op, in_val(im, n, 0), in_val(im, n, 1));
            for (size_t j = 2; r >= 0 && j < n->n_input && (bin[i].op == VKA_MAX || bin[i].op == VKA_MIN); j++)
                r = vka_graph_binary(g, name, (vka_binary_op)bin[i].op, r, in_val(im, n, j));
            goto done;
        }
    for (size_t i = 0; i < sizeof un / sizeof un[0]; i++)
        if (!strcmp(op, un[i].name)) {
            if ((s = need_inputs(im, n, 1)))
                return s;
            r = vka_graph_unary(g, name, (vka_unary_op)un[i].op, in_val(im, n, 0));
            goto done;
        }

    if (import_vision(im, n, op, name, &r, &s)) {
        if (s)
            return s;
        goto done;
    }
    if (!strcmp(op, "Constant")) {
        const Onnx__AttributeProto *a;
        if ((a = attr(n, "value")) && a->t)
            return make_const(im, a->t, n->output[0], &r) ? VKA_ERR_FORMAT : (tab_put(im, n->output[0], r), VKA_OK);
        if ((a = attr(n, "value_float")) && a->has_f)
            r = vka_graph_const(g, n->output[0], VKA_F32, 0, NULL, &a->f);
        else if ((a = attr(n, "value_int")) && a->has_i)
            r = vka_graph_const_i64(g, n->output[0], 0, NULL, &a->i);
        else if ((a = attr(n, "value_ints")))
            r = vka_graph_const_i64(g, n->output[0], 1, (int64_t[]){(int64_t)a->n_ints}, a->ints);
        else if ((a = attr(n, "value_floats")))
            r = vka_graph_const(g, n->output[0], VKA_F32, 1, (int64_t[]){(int64_t)a->n_floats}, a->floats);
        else
            return ierr(im, VKA_ERR_UNSUPPORTED, "Constant without a value, value_float(s) or value_int(s)");
        goto done;
    }
    if (!strcmp(op, "Identity") || !strcmp(op, "Dropout")) {
        if ((s = need_inputs(im, n, 1)))
            return s;
        vka_val x = in_val(im, n, 0);
        r = vka_graph_reshape(g, name, x, g->vals[x].ndim, g->vals[x].shape);
        goto done;
    }
    if (!strcmp(op, "MatMul")) {
        if ((s = need_inputs(im, n, 2)))
            return s;
        r = vka_graph_matmul(g, name, in_val(im, n, 0), in_val(im, n, 1));
        goto done;
    }
    if (!strcmp(op, "Gemm")) {
        if ((s = need_inputs(im, n, 2)))
            return s;
        r = vka_graph_gemm(g, name, in_val(im, n, 0), in_val(im, n, 1), in_val(im, n, 2), attr_f(n, "alpha", 1.0f),
                           attr_f(n, "beta", 1.0f), (int)attr_i(n, "transA", 0), (int)attr_i(n, "transB", 0));
        goto done;
    }
    if (!strcmp(op, "LayerNormalization")) {
        if ((s = need_inputs(im, n, 2)))
            return s;
        if (n->n_output > 1 && (n->output[1][0] || (n->n_output > 2 && n->output[2][0])))
            return ierr(im, VKA_ERR_UNSUPPORTED, "LayerNormalization's Mean/InvStdDev outputs");
        r = vka_graph_layernorm(g, name, in_val(im, n, 0), in_val(im, n, 1), in_val(im, n, 2),
                                (int)attr_i(n, "axis", -1), attr_f(n, "epsilon", 1e-5f));
        goto done;
    }
    if (!strcmp(op, "ReduceMean") || !strcmp(op, "ReduceSum") || !strcmp(op, "ReduceMax")) {
        if ((s = need_inputs(im, n, 1)))
            return s;
        int64_t axes[VKA_MAX_DIMS];
        int k = ints_of(im, n, "axes", 1, axes, VKA_MAX_DIMS); /* attribute before opset 18 (13 for Sum) */
        if (k == -2)
            return ierr(im, VKA_ERR_UNSUPPORTED, "axes must be constant");
        if (k < 0 && attr_i(n, "noop_with_empty_axes", 0)) {
            vka_val x = in_val(im, n, 0);
            r = vka_graph_reshape(g, name, x, g->vals[x].ndim, g->vals[x].shape);
            goto done;
        }
        vka_reduce_op ro = op[6] == 'M' && op[7] == 'e' ? VKA_REDUCE_MEAN : op[6] == 'S' ? VKA_REDUCE_SUM : VKA_REDUCE_MAX;
        r = vka_graph_reduce(g, name, ro, in_val(im, n, 0), k < 0 ? 0 : k, axes, (int)attr_i(n, "keepdims", 1));
        goto done;
    }
    if (!strcmp(op, "Softmax")) {
        if ((s = need_inputs(im, n, 1)))
            return s;
        r = vka_graph_softmax(g, name, in_val(im, n, 0), (int)attr_i(n, "axis", -1));
        goto done;
    }
    if (!strcmp(op, "Transpose")) {
        if ((s = need_inputs(im, n, 1)))
            return s;
        const Onnx__AttributeProto *a = attr(n, "perm");
        int perm[VKA_MAX_DIMS];
        for (size_t i = 0; a && i < a->n_ints && i < VKA_MAX_DIMS; i++)
            perm[i] = (int)a->ints[i];
        r = vka_graph_transpose(g, name, in_val(im, n, 0), a && a->n_ints ? perm : NULL);
        goto done;
    }
    if (!strcmp(op, "Reshape") || !strcmp(op, "Expand")) {
        if ((s = need_inputs(im, n, 2)))
            return s;
        int64_t shp[VKA_MAX_DIMS];
        int k = ints_of(im, n, "", 1, shp, VKA_MAX_DIMS);
        if (k < 0)
            return ierr(im, VKA_ERR_UNSUPPORTED, "the shape input must be constant for a fixed input size");
        if (!strcmp(op, "Expand"))
            r = vka_graph_expand(g, name, in_val(im, n, 0), k, shp);
        else {
            if (attr_i(n, "allowzero", 0))
                for (int i = 0; i < k; i++)
                    if (shp[i] == 0)
                        return ierr(im, VKA_ERR_UNSUPPORTED, "Reshape allowzero=1 with a 0 dimension");
            r = vka_graph_reshape(g, name, in_val(im, n, 0), k, shp);
        }
        goto done;
    }
    if (!strcmp(op, "Flatten")) {
        if ((s = need_inputs(im, n, 1)))
            return s;
        vka_val x = in_val(im, n, 0);
        const vka__value *v = &g->vals[x];
        int64_t ax = attr_i(n, "axis", 1), a = 1;
        if (ax < 0)
            ax += v->ndim;
        for (int i = 0; i < ax; i++)
            a *= v->shape[i];
        r = vka_graph_reshape(g, name, x, 2, (int64_t[]){a, a ? v->numel / a : 0});
        goto done;
    }
    if (!strcmp(op, "Squeeze") || !strcmp(op, "Unsqueeze")) {
        if ((s = need_inputs(im, n, 1)))
            return s;
        vka_val x = in_val(im, n, 0);
        const vka__value *v = &g->vals[x];
        int64_t axes[VKA_MAX_DIMS];
        int k = ints_of(im, n, "axes", 1, axes, VKA_MAX_DIMS);
        if (k == -2)
            return ierr(im, VKA_ERR_UNSUPPORTED, "axes must be constant");
        int64_t shp[VKA_MAX_DIMS];
        int nd = 0;
        if (!strcmp(op, "Squeeze")) {
            for (int i = 0; i < v->ndim; i++) {
                bool drop = false;
                for (int j = 0; j < k; j++)
                    drop |= (axes[j] < 0 ? axes[j] + v->ndim : axes[j]) == i;
                if (k < 0)
                    drop = v->shape[i] == 1;
                if (!drop)
                    shp[nd++] = v->shape[i];
            }
        } else {
            nd = v->ndim + (k > 0 ? k : 0);
            if (nd > VKA_MAX_DIMS || k <= 0)
                return ierr(im, VKA_ERR_UNSUPPORTED, "Unsqueeze to rank %d", nd);
            bool ins[VKA_MAX_DIMS] = {0};
            for (int j = 0; j < k; j++)
                ins[axes[j] < 0 ? axes[j] + nd : axes[j]] = true;
            for (int i = 0, src = 0; i < nd; i++)
                shp[i] = ins[i] ? 1 : v->shape[src++];
        }
        r = vka_graph_reshape(g, name, x, nd, shp);
        goto done;
    }
    if (!strcmp(op, "Slice")) {
        if ((s = need_inputs(im, n, 3)))
            return s;
        int64_t st[VKA_MAX_DIMS], en[VKA_MAX_DIMS], ax[VKA_MAX_DIMS], sp[VKA_MAX_DIMS];
        int k1 = ints_of(im, n, "", 1, st, VKA_MAX_DIMS), k2 = ints_of(im, n, "", 2, en, VKA_MAX_DIMS);
        int k3 = ints_of(im, n, "", 3, ax, VKA_MAX_DIMS), k4 = ints_of(im, n, "", 4, sp, VKA_MAX_DIMS);
        if (k1 < 0 || k2 != k1 || k3 == -2 || k4 == -2 || (k3 >= 0 && k3 != k1) || (k4 >= 0 && k4 != k1))
            return ierr(im, VKA_ERR_UNSUPPORTED, "Slice starts/ends/axes/steps must be constant and of equal length");
        r = vka_graph_slice(g, name, in_val(im, n, 0), k1, st, en, k3 >= 0 ? ax : NULL, k4 >= 0 ? sp : NULL);
        goto done;
    }
    if (!strcmp(op, "Concat")) {
        vka_val xs[VKA__MAX_IN];
        if (n->n_input < 1 || n->n_input > VKA__MAX_IN)
            return ierr(im, VKA_ERR_UNSUPPORTED, "Concat of %zu inputs", n->n_input);
        if ((s = need_inputs(im, n, n->n_input)))
            return s;
        for (size_t i = 0; i < n->n_input; i++)
            xs[i] = in_val(im, n, i);
        r = vka_graph_concat(g, name, (int)n->n_input, xs, (int)attr_i(n, "axis", 0));
        goto done;
    }
    if (!strcmp(op, "Gather")) {
        if ((s = need_inputs(im, n, 2)))
            return s;
        r = vka_graph_gather(g, name, in_val(im, n, 0), in_val(im, n, 1), (int)attr_i(n, "axis", 0));
        goto done;
    }
    if (!strcmp(op, "Cast")) {
        if ((s = need_inputs(im, n, 1)))
            return s;
        int64_t to = attr_i(n, "to", 1);
        bool to_int = to == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 || to == ONNX__TENSOR_PROTO__DATA_TYPE__INT32 ||
                      to == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL || to == ONNX__TENSOR_PROTO__DATA_TYPE__INT8 ||
                      to == ONNX__TENSOR_PROTO__DATA_TYPE__UINT8;
        if (!to_int && to != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && to != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE)
            return ierr(im, VKA_ERR_UNSUPPORTED, "Cast to type %lld", (long long)to);
        r = vka_graph_cast(g, name, in_val(im, n, 0), to_int ? VKA_I32 : VKA_F32);
        goto done;
    }
    if (!strcmp(op, "Where")) {
        if ((s = need_inputs(im, n, 3)))
            return s;
        r = vka_graph_where(g, name, in_val(im, n, 0), in_val(im, n, 1), in_val(im, n, 2));
        goto done;
    }
    if (!strcmp(op, "Conv")) {
        if ((s = need_inputs(im, n, 2)))
            return s;
        const Onnx__AttributeProto *ap = attr(n, "auto_pad");
        if (ap && ap->has_s && ap->s.len && strncmp((const char *)ap->s.data, "NOTSET", ap->s.len))
            return ierr(im, VKA_ERR_UNSUPPORTED, "auto_pad %.*s", (int)ap->s.len, (const char *)ap->s.data);
        vka_conv_params p = vka_conv_default_params();
        int64_t v[4];
        if (ints_of(im, n, "strides", -1, v, 2) == 2)
            p.stride[0] = v[0], p.stride[1] = v[1];
        if (ints_of(im, n, "dilations", -1, v, 2) == 2)
            p.dilation[0] = v[0], p.dilation[1] = v[1];
        if (ints_of(im, n, "pads", -1, v, 4) == 4) /* ONNX: h_begin, w_begin, h_end, w_end */
            p.pad[0] = v[0], p.pad[1] = v[1], p.pad[2] = v[2], p.pad[3] = v[3];
        p.groups = attr_i(n, "group", 1);
        r = vka_graph_conv(g, name, in_val(im, n, 0), in_val(im, n, 1), in_val(im, n, 2), &p);
        goto done;
    }
    if (!strcmp(op, "Shape") || !strcmp(op, "Size")) {
        if ((s = need_inputs(im, n, 1)))
            return s;
        const vka__value *v = &g->vals[in_val(im, n, 0)];
        if (!strcmp(op, "Size")) {
            r = vka_graph_const_i64(g, n->output[0], 0, NULL, &v->numel);
            goto done;
        }
        int64_t a = attr_i(n, "start", 0), b = attr_i(n, "end", v->ndim);
        a = a < 0 ? a + v->ndim : a;
        b = b < 0 ? b + v->ndim : b;
        a = a < 0 ? 0 : a > v->ndim ? v->ndim : a;
        b = b < a ? a : b > v->ndim ? v->ndim : b;
        r = vka_graph_const_i64(g, n->output[0], 1, (int64_t[]){b - a}, v->shape + a);
        goto done;
    }
    if (!strcmp(op, "ConstantOfShape")) {
        int64_t shp[VKA_MAX_DIMS];
        int k = ints_of(im, n, "", 0, shp, VKA_MAX_DIMS);
        if (k < 0)
            return ierr(im, VKA_ERR_UNSUPPORTED, "the shape input must be constant");
        int64_t total = 1;
        for (int i = 0; i < k; i++)
            total *= shp[i];
        vka_val fill = VKA_NONE;
        const Onnx__AttributeProto *a = attr(n, "value");
        if (a && a->t && (s = make_const(im, a->t, "ConstantOfShape.value", &fill)))
            return s;
        bool is_int = fill >= 0 && g->vals[fill].is_int;
        double fv = fill >= 0 ? vka__const_at(g, fill, 0) : 0.0;
        if (is_int) {
            int64_t *h = malloc(sizeof *h * (size_t)(total ? total : 1));
            for (int64_t i = 0; i < total; i++)
                h[i] = (int64_t)fv;
            r = vka_graph_const_i64(g, n->output[0], k, shp, h);
            free(h);
        } else {
            float *h = malloc(sizeof *h * (size_t)(total ? total : 1));
            for (int64_t i = 0; i < total; i++)
                h[i] = (float)fv;
            r = vka_graph_const(g, n->output[0], VKA_F32, k, shp, h);
            free(h);
        }
        goto done;
    }
    if (!strcmp(op, "Range")) {
        if ((s = need_inputs(im, n, 3)))
            return s;
        double a, b, d;
        if (!vka__const_scalar(g, in_val(im, n, 0), &a) || !vka__const_scalar(g, in_val(im, n, 1), &b) ||
            !vka__const_scalar(g, in_val(im, n, 2), &d) || d == 0)
            return ierr(im, VKA_ERR_UNSUPPORTED, "Range needs constant scalar start, limit and a non-zero delta");
        int64_t cnt = (int64_t)ceil((b - a) / d);
        cnt = cnt < 0 ? 0 : cnt;
        bool is_int = g->vals[in_val(im, n, 0)].is_int;
        if (is_int) {
            int64_t *h = malloc(sizeof *h * (size_t)(cnt ? cnt : 1));
            for (int64_t i = 0; i < cnt; i++)
                h[i] = (int64_t)(a + d * (double)i);
            r = vka_graph_const_i64(g, n->output[0], 1, &cnt, h);
            free(h);
        } else {
            float *h = malloc(sizeof *h * (size_t)(cnt ? cnt : 1));
            for (int64_t i = 0; i < cnt; i++)
                h[i] = (float)(a + d * (double)i);
            r = vka_graph_const(g, n->output[0], VKA_F32, 1, &cnt, h);
            free(h);
        }
        goto done;
    }
    if (!strcmp(op, "Equal") || !strcmp(op, "Less") || !strcmp(op, "Greater") || !strcmp(op, "LessOrEqual") ||
        !strcmp(op, "GreaterOrEqual") || !strcmp(op, "And") || !strcmp(op, "Or") || !strcmp(op, "Not")) {
        if ((s = need_inputs(im, n, !strcmp(op, "Not") ? 1 : 2)))
            return s;
        r = fold_compare(im, n, op);
        goto done;
    }
    if (!strcmp(op, "Split")) {
        if ((s = need_inputs(im, n, 1)))
            return s;
        vka_val x = in_val(im, n, 0);
        const vka__value *v = &g->vals[x];
        int64_t axis = attr_i(n, "axis", 0), sizes[16];
        axis = axis < 0 ? axis + v->ndim : axis;
        int k = ints_of(im, n, "split", 1, sizes, 16);
        int nout = (int)n->n_output;
        if (k == -2 || nout > 16 || axis < 0 || axis >= v->ndim)
            return ierr(im, VKA_ERR_UNSUPPORTED, "Split with non-constant sizes or %d outputs", nout);
        if (k < 0) {
            int64_t dim = v->shape[axis], each = (dim + nout - 1) / nout;
            for (int i = 0; i < nout; i++)
                sizes[i] = i < nout - 1 ? each : dim - each * (nout - 1);
        }
        int64_t start = 0;
        for (int i = 0; i < nout; i++) {
            int64_t e = start + sizes[i];
            vka_val o = vka_graph_slice(g, n->output[i], x, 1, &start, &e, &axis, NULL);
            if (o < 0 || !tab_put(im, n->output[i], o))
                return VKA_ERR_SHAPE;
            start = e;
        }
        return VKA_OK;
    }
    return ierr(im, VKA_ERR_UNSUPPORTED, "unsupported operator %s", op);
done:
    if (r < 0)
        return g->ctx->err[0] ? VKA_ERR_SHAPE : ierr(im, VKA_ERR_SHAPE, "could not be built");
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
        if (!t->name)
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
        int nd = tt->shape ? (int)tt->shape->n_dim : 0;
        if (nd > VKA_MAX_DIMS)
            return ierr(im, VKA_ERR_UNSUPPORTED, "input %s has rank %d", vi->name, nd);
        for (int d = 0; d < nd; d++) {
            const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[d];
            shape[d] = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && dim->dim_value > 0
                           ? dim->dim_value
                           : im->dyn;
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
        vka_val v = tab_get(im, gp->output[i]->name);
        if (v < 0)
            return ierr(im, VKA_ERR_FORMAT, "graph output %s is produced by no node", gp->output[i]->name);
        /* an output that is a view or appears twice gets its own name on a fresh view */
        if (im->g->vals[v].is_output || im->g->vals[v].is_input || vka__graph_is_const(im->g, v) ||
            strcmp(im->g->vals[v].name, gp->output[i]->name))
            v = vka_graph_reshape(im->g, gp->output[i]->name, v, im->g->vals[v].ndim, im->g->vals[v].shape);
        if (v < 0 || (s = vka_graph_output(im->g, v, gp->output[i]->name)))
            return VKA_ERR_SHAPE;
    }
    return VKA_OK;
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
    FILE *f = fopen(path, "rb");
    if (!f) {
        vka__err(ctx, VKA_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = NULL;
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
        buf = malloc((size_t)len + 1);
    bool ok = buf && fread(buf, 1, (size_t)len, f) == (size_t)len;
    fclose(f);
    if (!ok) {
        free(buf);
        vka__err(ctx, VKA_ERR_IO, "%s: cannot read", path);
        return NULL;
    }
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, (size_t)len, buf);
    free(buf);
    if (!m) {
        vka__err(ctx, VKA_ERR_FORMAT, "%s: not a valid ONNX model (the protobuf is truncated or corrupt, %ld bytes)",
                 path, len);
        return NULL;
    }
    importer im = {.ctx = ctx, .path = path, .dyn = p->dynamic_dim > 0 ? p->dynamic_dim : 1};
    im.g = vka_graph_create(ctx);
    vka_status s = im.g ? import_graph(&im, m) : VKA_ERR_OUT_OF_MEMORY;
    for (size_t i = 0; i < im.cap; i++)
        free(im.tab[i].name);
    free(im.tab);
    onnx__model_proto__free_unpacked(m, NULL);
    if (s || im.g->failed) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", ctx->err);
        vka_graph_destroy(im.g);
        if (!strstr(msg, path))
            vka__err(ctx, s ? s : VKA_ERR_FORMAT, "%s: %s", path, msg);
        else
            vka__set_tls_error("%s", msg);
        return NULL;
    }
    return im.g;
}
