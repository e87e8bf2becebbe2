/* SPDX-License-Identifier: MIT */
/* graph.c — the graph IR: values, nodes, builders with static shape inference,
 * and folding on the host of any node whose inputs are all constant. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

static const char *const op_names[VKA__OP_COUNT] = {
    "matmul", "gemm",  "binary", "unary",  "layernorm", "softmax", "reshape", "transpose",
    "slice",  "concat", "gather", "expand", "cast",      "where",   "conv",    "flash_attention",
    "reduce", "pad",  "pool",   "resize", "clip", "topk", "gather_elements", "tile", "compare",
    "grid_sample", "deform_attn", "rmsnorm", "eltwise",
};

const char *vka__op_name(vka__op op) { return op < VKA__OP_COUNT ? op_names[op] : "?"; }

vka_graph *vka_graph_create(vka_context *ctx)
{
    if (!ctx) {
        vka__set_tls_error("vka_graph_create: context is NULL");
        return NULL;
    }
    vka_graph *g = calloc(1, sizeof *g);
    if (!g) {
        vka__err(ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
        return NULL;
    }
    g->ctx = ctx;
    g->params = vka_graph_default_build_params();
    g->host_budget = vka__host_budget_default();
    return g;
}

void vka_graph_destroy(vka_graph *g)
{
    if (!g)
        return;
    vka__graph_run_free(g);
    vka_cmd_destroy(g->cmd);
    for (int i = 0; i < g->nvals; i++) {
        vka_tensor_destroy(g->vals[i].t);
        free(g->vals[i].host);
    }
    for (int i = 0; i < g->nbufs; i++)
        vka_tensor_destroy(g->bufs[i].t);
    free(g->bufs);
    free(g->vals);
    free(g->nodes);
    free(g->inputs);
    free(g->outputs);
    free(g->plan);
    free(g->attn_nodes);
    free(g->deform_nodes);
    free(g);
}

/* ---------------------------------------------------------------- helpers */

static const char *dims_str(int nd, const int64_t *shape, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < nd && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (k < n)
        snprintf(buf + k, n - k, "]");
    return buf;
}

static const char *shape_str(const vka__value *v, char *buf, size_t n) { return dims_str(v->ndim, v->shape, buf, n); }

/* Records a builder error naming the node; the graph then refuses to build. */
static vka_val gerr(vka_graph *g, const char *node, vka_status s, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static vka_val gerr(vka_graph *g, const char *node, vka_status s, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vka__err(g->ctx, s, "node %s: %s", node && *node ? node : "(unnamed)", msg);
    g->failed = true;
    return VKA_NONE;
}

static bool valid(const vka_graph *g, vka_val v) { return v >= 0 && v < g->nvals; }

/* double to int64 as the folding needs it: truncation, saturation at the ends,
 * NaN as 0 (a cast of NaN to an integer is undefined in C and in ONNX). */
static int64_t to_i64(double v)
{
    return v != v ? 0 : v >= 9.2233720368547748e18 ? INT64_MAX : v <= -9.2233720368547758e18 ? INT64_MIN : (int64_t)v;
}

/* The value and node arrays grow by doubling. In sanitizer and fuzz builds
 * (VKA_GRAPH_GROW_BY_ONE) they grow by one element up to 1024, into a new
 * block each time, so a pointer into them held across an addition is a
 * use-after-free ASan reports on the first graph that does it, not only on
 * the rare graph whose addition lands on a power of two (slice_full's did,
 * for DEIMv2, under ASan only). */
static int grow_cap(int cap)
{
#ifdef VKA_GRAPH_GROW_BY_ONE
    return cap < 1024 ? cap + 1 : cap * 2;
#else
    return cap ? cap * 2 : 256;
#endif
}

static void *grow(void *old, size_t used, size_t elem, size_t cap)
{
#ifdef VKA_GRAPH_GROW_BY_ONE
    void *p = malloc(elem * cap);
    if (p && used)
        memcpy(p, old, elem * used);
    if (p)
        free(old);
    return p;
#else
    (void)used;
    return realloc(old, elem * cap);
#endif
}

vka_val vka__graph_add_value(vka_graph *g, const char *name, vka_dtype dt, bool is_int, int ndim,
                             const int64_t *shape)
{
    if (ndim < 0 || ndim > VKA_MAX_DIMS)
        return gerr(g, name, VKA_ERR_SHAPE, "rank %d outside 0..%d", ndim, VKA_MAX_DIMS);
    /* Callers often pass another value's shape (a pointer into g->vals) and
     * the realloc below would free it: copy the dims first. The name may point
     * there too. */
    int64_t dims[VKA_MAX_DIMS];
    for (int i = 0; i < ndim; i++)
        dims[i] = shape[i];
    char nm[sizeof g->vals[0].name];
    snprintf(nm, sizeof nm, "%s", name ? name : "");
    name = nm;
    if (g->nvals == g->cap_vals) {
        int cap = grow_cap(g->cap_vals);
        vka__value *nv = grow(g->vals, (size_t)g->nvals, sizeof *nv, (size_t)cap);
        if (!nv)
            return gerr(g, name, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
        g->vals = nv;
        g->cap_vals = cap;
    }
    vka__value *v = &g->vals[g->nvals];
    memset(v, 0, sizeof *v);
    snprintf(v->name, sizeof v->name, "%s", name ? name : "");
    v->dtype = is_int ? VKA_I32 : dt;
    v->is_int = is_int;
    v->ndim = ndim;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 0)
            return gerr(g, name, VKA_ERR_SHAPE, "dimension %d is negative (%lld)", i, (long long)dims[i]);
        v->shape[i] = dims[i];
    }
    if (!vka__numel(ndim, dims, &v->numel)) {
        char sd[160];
        return gerr(g, name, VKA_ERR_TOO_LARGE, "shape %s has more than 2^48 elements", dims_str(ndim, dims, sd, sizeof sd));
    }
    v->producer = -1;
    v->alias = VKA_NONE;
    v->buf = -1;
    v->last_use = -1;
    return g->nvals++;
}

int vka__graph_add_node(vka_graph *g, vka__op op, const char *name, const vka_val *in, int nin)
{
    if (g->nnodes == g->cap_nodes) {
        int cap = grow_cap(g->cap_nodes);
        vka__node *nn = grow(g->nodes, (size_t)g->nnodes, sizeof *nn, (size_t)cap);
        if (!nn) {
            gerr(g, name, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
            return -1;
        }
        g->nodes = nn;
        g->cap_nodes = cap;
    }
    vka__node *n = &g->nodes[g->nnodes];
    memset(n, 0, sizeof *n);
    n->op = op;
    snprintf(n->name, sizeof n->name, "%s", name ? name : "");
    for (int i = 0; i < nin; i++)
        n->in[i] = in[i];
    n->nin = nin;
    n->out = n->out2 = VKA_NONE;
    n->bias = n->residual = n->mask = n->lse = VKA_NONE;
    n->into = -1;
    n->ew_dst = VKA_NONE;
    n->alpha = 1;
    n->beta = 0;
    return g->nnodes++;
}

bool vka__graph_is_const(const vka_graph *g, vka_val v) { return valid(g, v) && g->vals[v].host != NULL; }

int vka__node_inputs(const vka__node *n, vka_val *out)
{
    int k = 0;
    for (int j = 0; j < n->nin; j++)
        if (n->in[j] >= 0)
            out[k++] = n->in[j];
    if (n->bias >= 0)
        out[k++] = n->bias;
    if (n->residual >= 0)
        out[k++] = n->residual;
    if (n->mask >= 0 && n->op == VKA__OP_ATTENTION && n->nin < 4)
        out[k++] = n->mask;
    return k;
}

double vka__const_at(const vka_graph *g, vka_val v, int64_t i)
{
    const vka__value *x = &g->vals[v];
    return x->is_int ? (double)((const int64_t *)x->host)[i] : (double)((const float *)x->host)[i];
}

int64_t vka__const_i64(const vka_graph *g, vka_val v, int64_t i)
{
    const vka__value *x = &g->vals[v];
    if (x->is_int)
        return ((const int64_t *)x->host)[i];
    return to_i64(((const float *)x->host)[i]);
}

bool vka__const_scalar(const vka_graph *g, vka_val v, double *out)
{
    if (!vka__graph_is_const(g, v) || g->vals[v].numel != 1)
        return false;
    *out = vka__const_at(g, v, 0);
    return true;
}

/* Makes a node with one output value of the given shape. */
static vka_val add_op(vka_graph *g, vka__op op, const char *name, const vka_val *in, int nin, vka_dtype dt,
                      bool is_int, int ndim, const int64_t *shape, int *node_out)
{
    char vname[96];
    snprintf(vname, sizeof vname, "%s", name && *name ? name : vka__op_name(op));
    vka_val out = vka__graph_add_value(g, vname, dt, is_int, ndim, shape);
    if (out < 0)
        return VKA_NONE;
    /* The zero-size rule: empty tensors exist as host constants (shape
     * arithmetic folds them), never on the device, where a kernel would divide
     * by an empty axis or dispatch no work at all for an output it must write. */
    char sd[160];
    if (g->vals[out].numel == 0)
        return gerr(g, name, VKA_ERR_UNSUPPORTED, "%s output %s is empty (zero-size tensors run on the host only)",
                    vka__op_name(op), shape_str(&g->vals[out], sd, sizeof sd));
    for (int i = 0; i < nin; i++)
        if (in[i] >= 0 && g->vals[in[i]].numel == 0)
            return gerr(g, name, VKA_ERR_UNSUPPORTED, "%s input %d %s is empty (zero-size tensors run on the host only)",
                        vka__op_name(op), i, shape_str(&g->vals[in[i]], sd, sizeof sd));
    int n = vka__graph_add_node(g, op, name, in, nin);
    if (n < 0)
        return VKA_NONE;
    g->nodes[n].out = out;
    g->vals[out].producer = n;
    if (node_out)
        *node_out = n;
    return out;
}

/* A constant value with host data (taken over, not copied). */
vka_val vka__graph_const_owned(vka_graph *g, const char *name, bool is_int, int ndim, const int64_t *shape,
                               void *data)
{
    vka_val v = vka__graph_add_value(g, name, VKA_F32, is_int, ndim, shape);
    if (v < 0) {
        free(data);
        return VKA_NONE;
    }
    g->vals[v].host = data;
    return v;
}

static bool check_in(vka_graph *g, const char *name, vka_val v, const char *what)
{
    if (!valid(g, v)) {
        gerr(g, name, VKA_ERR_INVALID_ARG, "input %s is not a value of this graph (%d)", what, (int)v);
        return false;
    }
    return true;
}

static bool all_const(const vka_graph *g, const vka_val *in, int n)
{
    for (int i = 0; i < n; i++)
        if (in[i] >= 0 && !vka__graph_is_const(g, in[i]))
            return false;
    return true;
}

/* Host storage for a constant of the given shape (int64 or float), its count
 * checked and charged to the graph's host budget before anything is allocated:
 * NULL with the node's error set. *n gets the element count. */
void *vka__host_new(vka_graph *g, const char *name, bool is_int, int nd, const int64_t *shape, int64_t *n)
{
    char sd[160];
    if (!vka__numel(nd, shape, n)) {
        gerr(g, name, VKA_ERR_TOO_LARGE, "constant of shape %s: the element count overflows",
             dims_str(nd, shape, sd, sizeof sd));
        return NULL;
    }
    uint64_t bytes = (uint64_t)(*n ? *n : 1) * (is_int ? 8 : 4);
    if (g->host_bytes > g->host_budget || bytes > g->host_budget - g->host_bytes) {
        gerr(g, name, VKA_ERR_TOO_LARGE, "constant of shape %s needs %.1f MiB of host memory, over the budget of "
             "%.1f MiB (%.1f MiB used)", dims_str(nd, shape, sd, sizeof sd), bytes / 1048576.0,
             g->host_budget / 1048576.0, g->host_bytes / 1048576.0);
        return NULL;
    }
    void *h = calloc(1, (size_t)bytes);
    if (!h) {
        gerr(g, name, VKA_ERR_OUT_OF_MEMORY, "out of host memory (%.1f MiB for a constant)", bytes / 1048576.0);
        return NULL;
    }
    g->host_bytes += bytes;
    return h;
}

static void host_set(void *p, bool is_int, int64_t i, double v)
{
    if (is_int)
        ((int64_t *)p)[i] = to_i64(v);
    else
        ((float *)p)[i] = (float)v;
}

/* Offset into an input of shape in[0..nd) (right-aligned against the output's
 * rank ond) for output multi-index idx, with broadcasting. */
static int64_t bcast_offset(const int64_t *idx, int ond, const int64_t *in, int nd)
{
    int64_t off = 0, stride = 1;
    for (int i = nd - 1; i >= 0; i--) {
        int oi = ond - nd + i;
        int64_t d = in[i] == 1 ? 0 : idx[oi];
        off += d * stride;
        stride *= in[i];
    }
    return off;
}

static void unravel(int64_t i, const int64_t *shape, int nd, int64_t *idx)
{
    for (int d = nd - 1; d >= 0; d--) {
        idx[d] = shape[d] ? i % shape[d] : 0;
        i = shape[d] ? i / shape[d] : 0;
    }
}

static bool broadcast_shapes(const vka__value *a, const vka__value *b, int *nd, int64_t *out)
{
    *nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < *nd; i++) {
        int ia = a->ndim - *nd + i, ib = b->ndim - *nd + i;
        int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return false;
        out[i] = da == 1 ? db : da;
    }
    return true;
}

/* ---------------------------------------------------------------- inputs, constants, outputs */

vka_val vka_graph_input(vka_graph *g, const char *name, vka_dtype dtype, int ndim, const int64_t *shape)
{
    if (!g)
        return VKA_NONE;
    if (!name || !*name)
        return gerr(g, "(input)", VKA_ERR_INVALID_ARG, "graph inputs need a name");
    vka_val v = vka__graph_add_value(g, name, dtype, dtype == VKA_I32, ndim, shape);
    if (v < 0)
        return v;
    g->vals[v].is_input = true;
    vka_val *ni = realloc(g->inputs, sizeof *ni * (size_t)(g->ninputs + 1));
    if (!ni)
        return gerr(g, name, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
    g->inputs = ni;
    g->inputs[g->ninputs++] = v;
    return v;
}

vka_val vka_graph_const(vka_graph *g, const char *name, vka_dtype dtype, int ndim, const int64_t *shape,
                        const void *data)
{
    if (!g)
        return VKA_NONE;
    if (!data)
        return gerr(g, name, VKA_ERR_INVALID_ARG, "constant data is NULL");
    if (ndim < 0 || ndim > VKA_MAX_DIMS)
        return gerr(g, name, VKA_ERR_SHAPE, "rank %d outside 0..%d", ndim, VKA_MAX_DIMS);
    if (dtype != VKA_F32 && dtype != VKA_I32)
        return gerr(g, name, VKA_ERR_UNSUPPORTED, "constants are F32 or I32 (%s given)", vka_dtype_str(dtype));
    int64_t n;
    bool is_int = dtype == VKA_I32;
    void *h = vka__host_new(g, name, is_int, ndim, shape, &n);
    if (!h)
        return VKA_NONE;
    if (dtype == VKA_F32)
        memcpy(h, data, (size_t)n * 4);
    else if (dtype == VKA_I32)
        for (int64_t i = 0; i < n; i++)
            ((int64_t *)h)[i] = ((const int32_t *)data)[i];
    else {
        free(h);
        return gerr(g, name, VKA_ERR_UNSUPPORTED, "constants are F32 or I32 (%s given)", vka_dtype_str(dtype));
    }
    return vka__graph_const_owned(g, name, is_int, ndim, shape, h);
}

vka_val vka_graph_const_i64(vka_graph *g, const char *name, int ndim, const int64_t *shape, const int64_t *data)
{
    if (!g)
        return VKA_NONE;
    if (ndim < 0 || ndim > VKA_MAX_DIMS)
        return gerr(g, name, VKA_ERR_SHAPE, "rank %d outside 0..%d", ndim, VKA_MAX_DIMS);
    int64_t n;
    void *h = vka__host_new(g, name, true, ndim, shape, &n);
    if (!h)
        return VKA_NONE;
    if (n && !data) {
        free(h);
        return gerr(g, name, VKA_ERR_INVALID_ARG, "constant data is NULL");
    }
    if (n)
        memcpy(h, data, (size_t)n * 8);
    return vka__graph_const_owned(g, name, true, ndim, shape, h);
}

vka_status vka_graph_output(vka_graph *g, vka_val v, const char *name)
{
    if (!g)
        return VKA_ERR_INVALID_ARG;
    if (!check_in(g, name, v, "output"))
        return VKA_ERR_INVALID_ARG;
    vka_val *no = realloc(g->outputs, sizeof *no * (size_t)(g->noutputs + 1));
    if (!no)
        return VKA_ERR_OUT_OF_MEMORY;
    g->outputs = no;
    g->outputs[g->noutputs++] = v;
    g->vals[v].is_output = true;
    if (name && *name)
        snprintf(g->vals[v].name, sizeof g->vals[v].name, "%s", name);
    return VKA_OK;
}

int vka_graph_ndim(const vka_graph *g, vka_val v) { return g && valid(g, v) ? g->vals[v].ndim : -1; }
const int64_t *vka_graph_shape(const vka_graph *g, vka_val v) { return g && valid(g, v) ? g->vals[v].shape : NULL; }
vka_dtype vka_graph_dtype(const vka_graph *g, vka_val v) { return g && valid(g, v) ? g->vals[v].dtype : VKA_F32; }
const void *vka_graph_const_data(const vka_graph *g, vka_val v) { return g && valid(g, v) ? g->vals[v].host : NULL; }
int vka_graph_is_int(const vka_graph *g, vka_val v) { return g && valid(g, v) && g->vals[v].is_int; }
const char *vka_graph_value_name(const vka_graph *g, vka_val v) { return g && valid(g, v) ? g->vals[v].name : ""; }
int vka_graph_input_count(const vka_graph *g) { return g ? g->ninputs : 0; }
int vka_graph_output_count(const vka_graph *g) { return g ? g->noutputs : 0; }
vka_val vka_graph_input_at(const vka_graph *g, int i) { return g && i >= 0 && i < g->ninputs ? g->inputs[i] : VKA_NONE; }
vka_val vka_graph_output_at(const vka_graph *g, int i)
{
    return g && i >= 0 && i < g->noutputs ? g->outputs[i] : VKA_NONE;
}

/* ---------------------------------------------------------------- elementwise */

static double apply_binary(vka_binary_op op, double a, double b, bool is_int)
{
    switch (op) {
    case VKA_ADD: return a + b;
    case VKA_SUB: return a - b;
    case VKA_MUL: return a * b;
    case VKA_DIV:
        if (!is_int)
            return a / b;
        if (to_i64(b) == 0 || (to_i64(a) == INT64_MIN && to_i64(b) == -1))
            return 0;
        return (double)(to_i64(a) / to_i64(b));
    case VKA_POW: return pow(a, b);
    case VKA_MAX: return a > b ? a : b;
    case VKA_MIN: return a < b ? a : b;
    default: return 0;
    }
}

vka_val vka_graph_binary(vka_graph *g, const char *name, vka_binary_op op, vka_val a, vka_val b)
{
    if (!g || !check_in(g, name, a, "a") || !check_in(g, name, b, "b"))
        return VKA_NONE;
    if ((unsigned)op >= VKA_BINARY_COUNT)
        return gerr(g, name, VKA_ERR_INVALID_ARG, "unknown binary op %d", (int)op);
    const vka__value *va = &g->vals[a], *vb = &g->vals[b];
    int nd;
    int64_t shape[VKA_MAX_DIMS];
    char sa[128], sb[128];
    if (!broadcast_shapes(va, vb, &nd, shape))
        return gerr(g, name, VKA_ERR_SHAPE, "cannot broadcast %s with %s", shape_str(va, sa, sizeof sa),
                    shape_str(vb, sb, sizeof sb));
    bool is_int = va->is_int && vb->is_int;
    if (va->is_int != vb->is_int && !(all_const(g, (vka_val[]){a, b}, 2)))
        return gerr(g, name, VKA_ERR_SHAPE, "mixes an integer and a float tensor");
    vka_val in[2] = {a, b};
    if (all_const(g, in, 2)) {
        int64_t n;
        void *h = vka__host_new(g, name, is_int, nd, shape, &n);
        if (!h)
            return VKA_NONE;
        int64_t idx[VKA_MAX_DIMS];
        for (int64_t i = 0; i < n; i++) {
            unravel(i, shape, nd, idx);
            double x = vka__const_at(g, a, bcast_offset(idx, nd, va->shape, va->ndim));
            double y = vka__const_at(g, b, bcast_offset(idx, nd, vb->shape, vb->ndim));
            host_set(h, is_int, i, apply_binary(op, x, y, is_int));
        }
        return vka__graph_const_owned(g, name, is_int, nd, shape, h);
    }
    int node;
    vka_val out = add_op(g, VKA__OP_BINARY, name, in, 2, is_int ? VKA_I32 : va->is_int ? vb->dtype : va->dtype,
                         is_int, nd, shape, &node);
    if (out >= 0)
        g->nodes[node].sub = op;
    return out;
}

static double apply_unary(vka_unary_op op, double x)
{
    switch (op) {
    case VKA_EXP: return exp(x);
    case VKA_LOG: return log(x);
    case VKA_SQRT: return sqrt(x);
    case VKA_ERF: return erf(x);
    case VKA_TANH: return tanh(x);
    case VKA_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case VKA_RELU: return x > 0 ? x : 0;
    case VKA_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case VKA_NEG: return -x;
    case VKA_RECIPROCAL: return 1.0 / x;
    case VKA_ABS: return fabs(x);
    case VKA_GELU_TANH: return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    case VKA_SILU: return x / (1.0 + exp(-x));
    case VKA_SIN: return sin(x);
    case VKA_COS: return cos(x);
    default: return 0;
    }
}

vka_val vka_graph_unary(vka_graph *g, const char *name, vka_unary_op op, vka_val x)
{
    if (!g || !check_in(g, name, x, "x"))
        return VKA_NONE;
    if ((unsigned)op >= VKA_UNARY_COUNT)
        return gerr(g, name, VKA_ERR_INVALID_ARG, "unknown unary op %d", (int)op);
    const vka__value *v = &g->vals[x];
    if (vka__graph_is_const(g, x)) {
        bool is_int = v->is_int && (op == VKA_NEG || op == VKA_ABS || op == VKA_RELU);
        int64_t hn;
        void *h = vka__host_new(g, name, is_int, v->ndim, v->shape, &hn);
        if (!h)
            return VKA_NONE;
        for (int64_t i = 0; i < v->numel; i++)
            host_set(h, is_int, i, apply_unary(op, vka__const_at(g, x, i)));
        return vka__graph_const_owned(g, name, is_int, v->ndim, v->shape, h);
    }
    if (v->is_int)
        return gerr(g, name, VKA_ERR_UNSUPPORTED, "unary op %d on an integer tensor", (int)op);
    int node;
    vka_val out = add_op(g, VKA__OP_UNARY, name, &x, 1, v->dtype, false, v->ndim, v->shape, &node);
    if (out >= 0)
        g->nodes[node].sub = op;
    return out;
}

vka_val vka_graph_cast(vka_graph *g, const char *name, vka_val x, vka_dtype to)
{
    if (!g || !check_in(g, name, x, "x"))
        return VKA_NONE;
    const vka__value *v = &g->vals[x];
    bool to_int = to == VKA_I32;
    if (vka__graph_is_const(g, x)) {
        int64_t hn;
        void *h = vka__host_new(g, name, to_int, v->ndim, v->shape, &hn);
        if (!h)
            return VKA_NONE;
        for (int64_t i = 0; i < v->numel; i++) {
            double d = vka__const_at(g, x, i);
            host_set(h, to_int, i, to_int ? trunc(d) : d);
        }
        return vka__graph_const_owned(g, name, to_int, v->ndim, v->shape, h);
    }
    if (to_int == v->is_int && (to_int || to == v->dtype))
        return vka_graph_reshape(g, name, x, v->ndim, v->shape); /* no-op cast: a view */
    return add_op(g, VKA__OP_CAST, name, &x, 1, to, to_int, v->ndim, v->shape, NULL);
}

/* ---------------------------------------------------------------- linear algebra */

vka_val vka_graph_matmul(vka_graph *g, const char *name, vka_val a, vka_val b)
{
    if (!g || !check_in(g, name, a, "a") || !check_in(g, name, b, "b"))
        return VKA_NONE;
    const vka__value *va = &g->vals[a], *vb = &g->vals[b];
    char sa[128], sb[128];
    if (va->ndim == 0 || vb->ndim == 0)
        return gerr(g, name, VKA_ERR_SHAPE, "matmul of a scalar");
    if (va->ndim == 1 || vb->ndim == 1) { /* numpy: a 1-D operand gains an axis that the result drops */
        char nm[112];
        snprintf(nm, sizeof nm, "%.90s/2d", name ? name : "matmul");
        bool a1 = va->ndim == 1, b1 = vb->ndim == 1; /* the reshapes may move g->vals, and va, vb with it */
        vka_val a2 = a1 ? vka_graph_reshape(g, nm, a, 2, (int64_t[]){1, va->shape[0]}) : a;
        vka_val b2 = b1 ? vka_graph_reshape(g, nm, b, 2, (int64_t[]){g->vals[b].shape[0], 1}) : b;
        vka_val r = a2 < 0 || b2 < 0 ? VKA_NONE : vka_graph_matmul(g, nm, a2, b2);
        if (r < 0)
            return r;
        const vka__value *vr = &g->vals[r];
        int64_t s[VKA_MAX_DIMS];
        int nd = 0;
        for (int i = 0; i < vr->ndim; i++)
            if (!((a1 && i == vr->ndim - 2) || (g->vals[b].ndim == 1 && i == vr->ndim - 1)))
                s[nd++] = vr->shape[i];
        return vka_graph_reshape(g, name, r, nd, s);
    }
    int64_t m = va->shape[va->ndim - 2], k = va->shape[va->ndim - 1];
    int64_t k2 = vb->shape[vb->ndim - 2], n = vb->shape[vb->ndim - 1];
    if (k != k2)
        return gerr(g, name, VKA_ERR_SHAPE, "matmul %s x %s: inner dimensions %lld and %lld differ",
                    shape_str(va, sa, sizeof sa), shape_str(vb, sb, sizeof sb), (long long)k, (long long)k2);
    /* batch dims broadcast */
    vka__value ba = *va, bb = *vb;
    ba.ndim -= 2;
    bb.ndim -= 2;
    int nd;
    int64_t shape[VKA_MAX_DIMS];
    if (!broadcast_shapes(&ba, &bb, &nd, shape))
        return gerr(g, name, VKA_ERR_SHAPE, "matmul %s x %s: batch dimensions do not broadcast",
                    shape_str(va, sa, sizeof sa), shape_str(vb, sb, sizeof sb));
    shape[nd] = m;
    shape[nd + 1] = n;
    if (va->is_int || vb->is_int)
        return gerr(g, name, VKA_ERR_UNSUPPORTED, "integer matmul");
    vka_val in[2] = {a, b};
    return add_op(g, VKA__OP_MATMUL, name, in, 2, va->dtype, false, nd + 2, shape, NULL);
}

vka_val vka_graph_gemm(vka_graph *g, const char *name, vka_val a, vka_val b, vka_val c, float alpha, float beta,
                       int trans_a, int trans_b)
{
    if (!g || !check_in(g, name, a, "a") || !check_in(g, name, b, "b"))
        return VKA_NONE;
    if (c != VKA_NONE && !check_in(g, name, c, "c"))
        return VKA_NONE;
    const vka__value *va = &g->vals[a], *vb = &g->vals[b];
    char sa[128], sb[128];
    if (va->ndim != 2 || vb->ndim != 2)
        return gerr(g, name, VKA_ERR_SHAPE, "Gemm needs 2-D a and b (%s, %s)", shape_str(va, sa, sizeof sa),
                    shape_str(vb, sb, sizeof sb));
    int64_t m = va->shape[trans_a ? 1 : 0], k = va->shape[trans_a ? 0 : 1];
    int64_t k2 = vb->shape[trans_b ? 1 : 0], n = vb->shape[trans_b ? 0 : 1];
    if (k != k2)
        return gerr(g, name, VKA_ERR_SHAPE, "Gemm %s x %s (transA %d, transB %d): inner dimensions %lld and %lld differ",
                    shape_str(va, sa, sizeof sa), shape_str(vb, sb, sizeof sb), trans_a, trans_b, (long long)k,
                    (long long)k2);
    int64_t shape[2] = {m, n};
    if (c != VKA_NONE) {
        const vka__value *vc = &g->vals[c];
        vka__value out = {.ndim = 2, .shape = {m, n}};
        int nd;
        int64_t bs[VKA_MAX_DIMS];
        if (!broadcast_shapes(vc, &out, &nd, bs) || nd != 2 || bs[0] != m || bs[1] != n)
            return gerr(g, name, VKA_ERR_SHAPE, "Gemm C %s does not broadcast to [%lld, %lld]",
                        shape_str(vc, sa, sizeof sa), (long long)m, (long long)n);
    }
    /* A transposed constant operand is transposed once here, on the host: the
     * GEMM kernels are fastest on row-major operands (vec4 rows of B). */
    if (trans_b && vka__graph_is_const(g, b)) {
        char tn[112];
        snprintf(tn, sizeof tn, "%.90s/wT", name ? name : "gemm");
        b = vka_graph_transpose(g, tn, b, (int[]){1, 0});
        trans_b = 0;
    }
    if (trans_a && vka__graph_is_const(g, a)) {
        char tn[112];
        snprintf(tn, sizeof tn, "%.90s/aT", name ? name : "gemm");
        a = vka_graph_transpose(g, tn, a, (int[]){1, 0});
        trans_a = 0;
    }
    if (a < 0 || b < 0)
        return VKA_NONE;
    vka_val in[3] = {a, b, c};
    int node;
    vka_val out = add_op(g, VKA__OP_GEMM, name, in, c != VKA_NONE ? 3 : 2, g->vals[a].dtype, false, 2, shape, &node);
    if (out >= 0) {
        vka__node *nd = &g->nodes[node];
        nd->alpha = alpha;
        nd->beta = c != VKA_NONE ? beta : 0;
        nd->trans_a = trans_a;
        nd->trans_b = trans_b;
    }
    return out;
}

vka_conv_params vka_conv_default_params(void)
{
    vka_conv_params p = {.stride = {1, 1}, .pad = {0, 0, 0, 0}, .dilation = {1, 1}, .groups = 1, .act = VKA_ACT_NONE};
    return p;
}

/* Output length of a sliding window of k taps dilated by dil over a padded axis of
 * length in, stepping by stride; 0 when the window does not fit. The caller bounds
 * in and k (<= 3 * 2^48), dil (1..65536) and stride (>= 1); the fit test divides
 * instead of multiplying, so dil * (k - 1) is only formed once it is below in. */
static int64_t window_out(int64_t in, int64_t k, int64_t dil, int64_t stride)
{
    if (k < 1 || in < 1 || k - 1 > (in - 1) / dil)
        return 0;
    return (in - dil * (k - 1) - 1) / stride + 1;
}

/* A patch embedding (ViT's 16x16 conv of stride 16, Swin's 4x4 of stride 4):
 * kernel = stride, no padding or dilation, one group, windows tiling x
 * exactly. Its im2col is a permutation of x, so it becomes one transpose into
 * [N·OH·OW, C·KH·KW], a GEMM against w as [O, C·KH·KW] with the bias, and a
 * transpose back to NCHW: GEMM's rate instead of the conv kernels', whose
 * per-tap work dominates with 256 taps of 3 channels (DeiT-Tiny's 3->192
 * conv_proj: 8.3 ms of its 131 on lavapipe). Checked by the caller. */
static vka_val patch_conv(vka_graph *g, const char *name, vka_val x, vka_val w, vka_val bias, int64_t oh, int64_t ow)
{
    int64_t N = g->vals[x].shape[0], C = g->vals[x].shape[1], O = g->vals[w].shape[0], kh = g->vals[w].shape[2],
            kw = g->vals[w].shape[3];
    const char *base = name ? name : "conv";
    char nm[5][160];
    static const char *const part[5] = {"patches", "im2col", "rows", "w_rows", "gemm"};
    for (int i = 0; i < 5; i++)
        snprintf(nm[i], sizeof nm[i], "%.120s/patch_%s", base, part[i]);
    vka_val a = vka_graph_reshape(g, nm[0], x, 6, (int64_t[]){N, C, oh, kh, ow, kw});
    a = vka_graph_transpose(g, nm[1], a, (int[]){0, 2, 4, 1, 3, 5});
    a = vka_graph_reshape(g, nm[2], a, 2, (int64_t[]){N * oh * ow, C * kh * kw});
    vka_val wm = vka_graph_reshape(g, nm[3], w, 2, (int64_t[]){O, C * kh * kw});
    vka_val y = vka_graph_gemm(g, nm[4], a, wm, bias, 1.0f, 1.0f, 0, 1);
    y = vka_graph_reshape(g, nm[4], y, 4, (int64_t[]){N, oh, ow, O});
    return vka_graph_transpose(g, name, y, (int[]){0, 3, 1, 2});
}

vka_val vka_graph_conv(vka_graph *g, const char *name, vka_val x, vka_val w, vka_val bias, const vka_conv_params *p)
{
    if (!g || !check_in(g, name, x, "x") || !check_in(g, name, w, "w"))
        return VKA_NONE;
    if (bias != VKA_NONE && !check_in(g, name, bias, "bias"))
        return VKA_NONE;
    vka_conv_params d = vka_conv_default_params();
    if (!p)
        p = &d;
    const vka__value *vx = &g->vals[x], *vw = &g->vals[w];
    char sx[128], sw[128];
    if (vx->ndim != 4 || vw->ndim != 4)
        return gerr(g, name, VKA_ERR_UNSUPPORTED, "Conv needs 4-D x and w (2-D convolution): %s, %s",
                    shape_str(vx, sx, sizeof sx), shape_str(vw, sw, sizeof sw));
    if (p->groups < 1 || p->stride[0] < 1 || p->stride[1] < 1 || p->dilation[0] < 1 || p->dilation[1] < 1)
        return gerr(g, name, VKA_ERR_SHAPE, "Conv group %lld, strides %lldx%lld, dilations %lldx%lld: each must be >= 1",
                    (long long)p->groups, (long long)p->stride[0], (long long)p->stride[1], (long long)p->dilation[0],
                    (long long)p->dilation[1]);
    for (int i = 0; i < 4; i++)
        if (p->pad[i] < 0 || p->pad[i] > VKA__MAX_NUMEL)
            return gerr(g, name, VKA_ERR_SHAPE, "Conv pad %lld", (long long)p->pad[i]);
    if (p->stride[0] > VKA__MAX_NUMEL || p->stride[1] > VKA__MAX_NUMEL || p->dilation[0] > 65536 ||
        p->dilation[1] > 65536)
        return gerr(g, name, VKA_ERR_SHAPE, "Conv strides %lldx%lld, dilations %lldx%lld out of range",
                    (long long)p->stride[0], (long long)p->stride[1], (long long)p->dilation[0],
                    (long long)p->dilation[1]);
    int64_t gr = p->groups;
    if (gr > vx->shape[1] || vx->shape[1] != vw->shape[1] * gr || vw->shape[0] % gr)
        return gerr(g, name, VKA_ERR_SHAPE, "Conv x %s, w %s, groups %lld: channels do not match",
                    shape_str(vx, sx, sizeof sx), shape_str(vw, sw, sizeof sw), (long long)gr);
    if (bias != VKA_NONE && g->vals[bias].numel != vw->shape[0])
        return gerr(g, name, VKA_ERR_SHAPE, "Conv bias has %lld elements for %lld output channels",
                    (long long)g->vals[bias].numel, (long long)vw->shape[0]);
    int64_t oh = window_out(vx->shape[2] + p->pad[0] + p->pad[2], vw->shape[2], p->dilation[0], p->stride[0]);
    int64_t ow = window_out(vx->shape[3] + p->pad[1] + p->pad[3], vw->shape[3], p->dilation[1], p->stride[1]);
    if (oh <= 0 || ow <= 0)
        return gerr(g, name, VKA_ERR_SHAPE, "Conv output would be %lldx%lld", (long long)oh, (long long)ow);
    if (p->act == VKA_ACT_NONE && gr == 1 && vw->shape[2] == p->stride[0] && vw->shape[3] == p->stride[1] &&
        p->dilation[0] == 1 && p->dilation[1] == 1 && !p->pad[0] && !p->pad[1] && !p->pad[2] && !p->pad[3] &&
        vw->shape[2] * vw->shape[3] >= 16 && vx->shape[2] == oh * vw->shape[2] && vx->shape[3] == ow * vw->shape[3])
        return patch_conv(g, name, x, w, bias, oh, ow);
    int64_t shape[4] = {vx->shape[0], vw->shape[0], oh, ow};
    vka_val in[3] = {x, w, bias};
    int node;
    vka_val out = add_op(g, VKA__OP_CONV, name, in, bias != VKA_NONE ? 3 : 2, vx->dtype, false, 4, shape, &node);
    if (out >= 0) {
        g->nodes[node].conv = *p;
        g->nodes[node].conv.groups = gr;
    }
    return out;
}

/* ---------------------------------------------------------------- normalization */

vka_val vka_graph_layernorm(vka_graph *g, const char *name, vka_val x, vka_val gamma, vka_val beta, int axis,
                            float eps)
{
    if (!g || !check_in(g, name, x, "x"))
        return VKA_NONE;
    const vka__value *v = &g->vals[x];
    if (axis < 0)
        axis += v->ndim;
    if (axis < 0 || axis >= v->ndim)
        return gerr(g, name, VKA_ERR_SHAPE, "LayerNorm axis out of range for rank %d", v->ndim);
    int64_t c = 1;
    for (int i = axis; i < v->ndim; i++)
        c *= v->shape[i];
    vka_val in[3] = {x, gamma, beta};
    for (int i = 1; i < 3; i++)
        if (in[i] != VKA_NONE && (!check_in(g, name, in[i], i == 1 ? "gamma" : "beta") || g->vals[in[i]].numel != c))
            return gerr(g, name, VKA_ERR_SHAPE, "LayerNorm %s has %lld elements, the normalized axes %lld",
                        i == 1 ? "gamma" : "beta", valid(g, in[i]) ? (long long)g->vals[in[i]].numel : -1LL,
                        (long long)c);
    int node;
    vka_val out = add_op(g, VKA__OP_LAYERNORM, name, in, 3, v->dtype, false, v->ndim, v->shape, &node);
    if (out >= 0) {
        g->nodes[node].axis = axis;
        g->nodes[node].eps = eps;
    }
    return out;
}

vka_val vka_graph_softmax(vka_graph *g, const char *name, vka_val x, int axis)
{
    if (!g || !check_in(g, name, x, "x"))
        return VKA_NONE;
    const vka__value *v = &g->vals[x];
    int given = axis;
    if (!vka__axis(given, v->ndim, &axis))
        return gerr(g, name, VKA_ERR_SHAPE, "Softmax axis %d out of range for rank %d", given, v->ndim);
    for (int i = axis + 1; i < v->ndim; i++)
        if (v->shape[i] != 1)
            return gerr(g, name, VKA_ERR_UNSUPPORTED, "Softmax over axis %d of a rank-%d tensor (only the last)",
                        axis, v->ndim);
    int node;
    vka_val out = add_op(g, VKA__OP_SOFTMAX, name, &x, 1, v->dtype, false, v->ndim, v->shape, &node);
    if (out >= 0) {
        g->nodes[node].axis = axis;
        g->nodes[node].scale = 1.0f;
    }
    return out;
}

/* One axis; the output keeps it as 1. */
static vka_val reduce_one(vka_graph *g, const char *name, vka_reduce_op op, vka_val x, int axis)
{
    const vka__value *v = &g->vals[x];
    int64_t s[VKA_MAX_DIMS];
    memcpy(s, v->shape, sizeof s);
    s[axis] = 1;
    if (vka__graph_is_const(g, x)) {
        int64_t outer = 1, inner = 1, len = v->shape[axis];
        for (int d = 0; d < axis; d++)
            outer *= v->shape[d];
        for (int d = axis + 1; d < v->ndim; d++)
            inner *= v->shape[d];
        int64_t hn;
        void *h = vka__host_new(g, name, v->is_int, v->ndim, s, &hn);
        if (!h)
            return VKA_NONE;
        for (int64_t o = 0; o < outer; o++)
            for (int64_t i = 0; i < inner; i++) {
                double acc = op == VKA_REDUCE_MAX ? -INFINITY : 0;
                for (int64_t k = 0; k < len; k++) {
                    double e = vka__const_at(g, x, (o * len + k) * inner + i);
                    acc = op == VKA_REDUCE_MAX ? (e > acc ? e : acc) : acc + e;
                }
                host_set(h, v->is_int, o * inner + i, op == VKA_REDUCE_MEAN && len ? acc / (double)len : acc);
            }
        return vka__graph_const_owned(g, name, v->is_int, v->ndim, s, h);
    }
    if (v->is_int)
        return gerr(g, name, VKA_ERR_UNSUPPORTED, "reduction of an integer tensor on the device");
    int node;
    vka_val out = add_op(g, VKA__OP_REDUCE, name, &x, 1, v->dtype, false, v->ndim, s, &node);
    if (out >= 0) {
        g->nodes[node].sub = op;
        g->nodes[node].axis = axis;
    }
    return out;
}

vka_val vka_graph_reduce(vka_graph *g, const char *name, vka_reduce_op op, vka_val x, int n, const int64_t *axes,
                         int keepdims)
{
    if (!g || !check_in(g, name, x, "x"))
        return VKA_NONE;
    if ((unsigned)op >= VKA_REDUCE_COUNT)
        return gerr(g, name, VKA_ERR_INVALID_ARG, "unknown reduction %d", (int)op);
    const vka__value *v = &g->vals[x];
    int nd = v->ndim;
    bool red[VKA_MAX_DIMS] = {0};
    for (int i = 0; i < (n ? n : nd); i++) {
        int64_t a = n ? axes[i] : i;
        if (a < 0)
            a += nd;
        if (a < 0 || a >= nd)
            return gerr(g, name, VKA_ERR_SHAPE, "reduce axis %lld out of range for rank %d", (long long)(n ? axes[i] : i),
                        nd);
        red[a] = true;
    }
    int64_t kept[VKA_MAX_DIMS], dropped[VKA_MAX_DIMS];
    int nk = 0, ndr = 0;
    for (int i = 0; i < nd; i++) {
        kept[nk++] = red[i] ? 1 : v->shape[i];
        if (!red[i])
            dropped[ndr++] = v->shape[i];
    }
    vka_val r = x;
    for (int i = 0; i < nd && r >= 0; i++)
        if (red[i] && g->vals[x].shape[i] != 1)
            r = reduce_one(g, name, op, r, i);
    if (r < 0)
        return r;
    if (r == x) /* only size-1 axes: nothing to reduce */
        r = vka_graph_reshape(g, name, x, nk, kept);
    return keepdims ? r : vka_graph_reshape(g, name, r, ndr, dropped);
}

/* ---------------------------------------------------------------- layout */

vka_val vka_graph_reshape(vka_graph *g, const char *name, vka_val x, int ndim, const int64_t *shape)
{
    if (!g || !check_in(g, name, x, "x"))
        return VKA_NONE;
    const vka__value *v = &g->vals[x];
    if (ndim < 0 || ndim > VKA_MAX_DIMS)
        return gerr(g, name, VKA_ERR_SHAPE, "Reshape to rank %d", ndim);
    int64_t s[VKA_MAX_DIMS], known = 1;
    int infer = -1;
    for (int i = 0; i < ndim; i++) {
        s[i] = shape[i] == 0 && i < v->ndim ? v->shape[i] : shape[i];
        if (s[i] == -1) {
            if (infer >= 0)
                return gerr(g, name, VKA_ERR_SHAPE, "Reshape with two -1 dimensions");
            infer = i;
        } else if (s[i] < 0)
            return gerr(g, name, VKA_ERR_SHAPE, "Reshape dimension %lld", (long long)s[i]);
        else if (!vka__mul_count(known, s[i], &known))
            return gerr(g, name, VKA_ERR_SHAPE, "Reshape to more than 2^48 elements");
    }
    if (infer >= 0)
        s[infer] = known ? v->numel / known : 0;
    int64_t n;
    char sx[128];
    if (!vka__numel(ndim, s, &n) || n != v->numel)
        return gerr(g, name, VKA_ERR_SHAPE, "cannot reshape %s (%lld elements) to %d dims of %lld elements",
                    shape_str(v, sx, sizeof sx), (long long)v->numel, ndim, (long long)n);
    if (vka__graph_is_const(g, x)) {
        size_t es = v->is_int ? 8 : 4;
        int64_t hn;
        void *h = vka__host_new(g, name, v->is_int, ndim, s, &hn);
        if (!h)
            return VKA_NONE;
        memcpy(h, g->vals[x].host, (size_t)n * es);
        return vka__graph_const_owned(g, name, v->is_int, ndim, s, h);
    }
    return add_op(g, VKA__OP_RESHAPE, name, &x, 1, v->dtype, v->is_int, ndim, s, NULL);
}

/* Offset in a tensor of shape `shape` of the element that transpose `perm`
 * puts at index idx of its output. */
static int64_t transposed_src(const int64_t *idx, const int *perm, const int64_t *shape, int nd)
{
    int64_t src[VKA_MAX_DIMS], off = 0;
    for (int d = 0; d < nd; d++)
        src[perm[d]] = idx[d];
    for (int d = 0; d < nd; d++)
        off = off * shape[d] + src[d];
    return off;
}

/* Is transposing x by perm (into shape s) the inverse of how x was made, a
 * Reshape of a Transpose of some z, so that every element lands where z had
 * it? Then it is z, and the caller reshapes it. A patch embedding's
 * NHWC->NCHW transpose followed by a ViT's flatten and NCHW->NLC transpose
 * is such a pair. Walked element by element, up to 2^20 of them. */
static vka_val undoes_transpose(vka_graph *g, vka_val x, const int *perm, const int64_t *s)
{
    const vka__value *v = &g->vals[x];
    int r = v->producer;
    if (r < 0 || g->nodes[r].op != VKA__OP_RESHAPE || v->numel > (1 << 20))
        return VKA_NONE;
    vka_val mid = g->nodes[r].in[0];
    int t = g->vals[mid].producer;
    if (t < 0 || g->nodes[t].op != VKA__OP_TRANSPOSE)
        return VKA_NONE;
    vka_val z = g->nodes[t].in[0];
    const vka__value *vm = &g->vals[mid], *vz = &g->vals[z];
    int64_t idx[VKA_MAX_DIMS];
    for (int64_t i = 0; i < v->numel; i++) {
        unravel(i, s, v->ndim, idx);
        int64_t off = transposed_src(idx, perm, v->shape, v->ndim); /* in x, so in mid */
        unravel(off, vm->shape, vm->ndim, idx);
        if (transposed_src(idx, g->nodes[t].perm, vz->shape, vz->ndim) != i)
            return VKA_NONE;
    }
    return z;
}

vka_val vka_graph_transpose(vka_graph *g, const char *name, vka_val x, const int *perm)
{
    if (!g || !check_in(g, name, x, "x"))
        return VKA_NONE;
    const vka__value *v = &g->vals[x];
    int p[VKA_MAX_DIMS] = {0}, seen[VKA_MAX_DIMS] = {0};
    int64_t s[VKA_MAX_DIMS];
    for (int i = 0; i < v->ndim; i++) {
        p[i] = perm ? perm[i] : v->ndim - 1 - i;
        if (p[i] < 0 || p[i] >= v->ndim || seen[p[i]]++)
            return gerr(g, name, VKA_ERR_SHAPE, "Transpose perm is not a permutation of 0..%d", v->ndim - 1);
        s[i] = v->shape[p[i]];
    }
    /* a permutation that moves only size-1 axes is a reshape */
    bool trivial = true;
    int last = -1;
    for (int i = 0; i < v->ndim; i++)
        if (v->shape[p[i]] != 1) {
            trivial &= p[i] > last;
            last = p[i];
        }
    if (trivial)
        return vka_graph_reshape(g, name, x, v->ndim, s);
    if (vka__graph_is_const(g, x)) {
        int64_t hn;
        void *h = vka__host_new(g, name, v->is_int, v->ndim, v->shape, &hn);
        if (!h)
            return VKA_NONE;
        int64_t idx[VKA_MAX_DIMS];
        for (int64_t i = 0; i < v->numel; i++) {
            unravel(i, s, v->ndim, idx);
            host_set(h, v->is_int, i, vka__const_at(g, x, transposed_src(idx, p, v->shape, v->ndim)));
        }
        return vka__graph_const_owned(g, name, v->is_int, v->ndim, s, h);
    }
    vka_val z = undoes_transpose(g, x, p, s);
    if (z != VKA_NONE)
        return vka_graph_reshape(g, name, z, v->ndim, s);
    int node;
    vka_val out = add_op(g, VKA__OP_TRANSPOSE, name, &x, 1, v->dtype, v->is_int, v->ndim, s, &node);
    if (out >= 0)
        memcpy(g->nodes[node].perm, p, sizeof p);
    return out;
}

/* Slice with per-axis start/step over all axes; out shape given. */
static vka_val slice_full(vka_graph *g, const char *name, vka_val x, const int64_t *start, const int64_t *step,
                          const int64_t *oshape)
{
    const vka__value *v = &g->vals[x];
    if (vka__graph_is_const(g, x)) {
        int64_t n;
        void *h = vka__host_new(g, name, v->is_int, v->ndim, oshape, &n);
        if (!h)
            return VKA_NONE;
        int64_t idx[VKA_MAX_DIMS];
        for (int64_t i = 0; i < n; i++) {
            unravel(i, oshape, v->ndim, idx);
            int64_t off = 0;
            for (int d = 0; d < v->ndim; d++)
                off = off * v->shape[d] + start[d] + idx[d] * step[d];
            host_set(h, v->is_int, i, vka__const_at(g, x, off));
        }
        return vka__graph_const_owned(g, name, v->is_int, v->ndim, oshape, h);
    }
    int node, nd = v->ndim; /* add_op may move g->vals, and v with it */
    vka_val out = add_op(g, VKA__OP_SLICE, name, &x, 1, v->dtype, v->is_int, nd, oshape, &node);
    if (out >= 0) {
        memcpy(g->nodes[node].starts, start, sizeof(int64_t) * (size_t)nd);
        memcpy(g->nodes[node].steps, step, sizeof(int64_t) * (size_t)nd);
    }
    return out;
}

vka_val vka_graph_slice(vka_graph *g, const char *name, vka_val x, int n, const int64_t *starts,
                        const int64_t *ends, const int64_t *axes, const int64_t *steps)
{
    if (!g || !check_in(g, name, x, "x"))
        return VKA_NONE;
    if (n < 0 || n > VKA_MAX_DIMS || (n && (!starts || !ends)))
        return gerr(g, name, VKA_ERR_INVALID_ARG, "Slice of %d axes", n);
    const vka__value *v = &g->vals[x];
    int64_t st[VKA_MAX_DIMS], sp[VKA_MAX_DIMS], os[VKA_MAX_DIMS];
    for (int i = 0; i < v->ndim; i++)
        st[i] = 0, sp[i] = 1, os[i] = v->shape[i];
    for (int j = 0; j < n; j++) {
        int64_t a = axes ? axes[j] : j;
        if (a < 0)
            a += v->ndim;
        if (a < 0 || a >= v->ndim)
            return gerr(g, name, VKA_ERR_SHAPE, "Slice axis %lld out of range for rank %d%s",
                        (long long)(axes ? axes[j] : j), v->ndim, axes ? "" : " (more starts than axes)");
        int64_t dim = v->shape[a], step = steps ? steps[j] : 1;
        if (step == 0 || step == INT64_MIN)
            return gerr(g, name, VKA_ERR_SHAPE, "Slice step %lld on axis %lld", (long long)step, (long long)a);
        int64_t s = starts[j], e = ends[j];
        if (s < 0)
            s += dim;
        if (e < 0)
            e += dim;
        int64_t cnt;
        if (step > 0) {
            s = s < 0 ? 0 : s > dim ? dim : s;
            e = e < 0 ? 0 : e > dim ? dim : e;
            cnt = e > s ? (e - s - 1) / step + 1 : 0; /* not e - s + step - 1: step may be near INT64_MAX */
        } else {
            s = s < 0 ? -1 : s > dim - 1 ? dim - 1 : s;
            e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
            cnt = s > e ? (s - e - 1) / (-step) + 1 : 0;
        }
        st[a] = cnt ? s : 0;
        sp[a] = step;
        os[a] = cnt;
    }
    return slice_full(g, name, x, st, sp, os);
}

vka_val vka_graph_concat(vka_graph *g, const char *name, int n, const vka_val *xs, int axis)
{
    if (!g)
        return VKA_NONE;
    if (n < 1 || n > VKA__MAX_IN)
        return gerr(g, name, VKA_ERR_UNSUPPORTED, "Concat of %d inputs (1..%d)", n, VKA__MAX_IN);
    for (int i = 0; i < n; i++)
        if (!check_in(g, name, xs[i], "input"))
            return VKA_NONE;
    const vka__value *v0 = &g->vals[xs[0]];
    if (axis < 0)
        axis += v0->ndim;
    if (axis < 0 || axis >= v0->ndim)
        return gerr(g, name, VKA_ERR_SHAPE, "Concat axis out of range for rank %d", v0->ndim);
    int64_t s[VKA_MAX_DIMS];
    memcpy(s, v0->shape, sizeof s);
    s[axis] = 0;
    bool is_int = v0->is_int;
    char s0[128], s1[128];
    for (int i = 0; i < n; i++) {
        const vka__value *vi = &g->vals[xs[i]];
        bool ok = vi->ndim == v0->ndim && vi->is_int == is_int;
        for (int d = 0; ok && d < v0->ndim; d++)
            ok = d == axis || vi->shape[d] == v0->shape[d];
        if (!ok)
            return gerr(g, name, VKA_ERR_SHAPE, "Concat on axis %d: input %d %s does not match input 0 %s", axis, i,
                        shape_str(vi, s1, sizeof s1), shape_str(v0, s0, sizeof s0));
        s[axis] += vi->shape[axis];
    }
    if (all_const(g, xs, n)) {
        int64_t total;
        void *h = vka__host_new(g, name, is_int, v0->ndim, s, &total);
        if (!h)
            return VKA_NONE;
        int64_t idx[VKA_MAX_DIMS];
        for (int64_t i = 0; i < total; i++) {
            unravel(i, s, v0->ndim, idx);
            int k = 0;
            while (idx[axis] >= g->vals[xs[k]].shape[axis])
                idx[axis] -= g->vals[xs[k++]].shape[axis];
            const vka__value *vk = &g->vals[xs[k]];
            int64_t off = 0;
            for (int d = 0; d < v0->ndim; d++)
                off = off * vk->shape[d] + idx[d];
            host_set(h, is_int, i, vka__const_at(g, xs[k], off));
        }
        return vka__graph_const_owned(g, name, is_int, v0->ndim, s, h);
    }
    int node;
    vka_val out = add_op(g, VKA__OP_CONCAT, name, xs, n, v0->dtype, is_int, v0->ndim, s, &node);
    if (out >= 0)
        g->nodes[node].axis = axis;
    return out;
}

vka_val vka_graph_gather(vka_graph *g, const char *name, vka_val x, vka_val indices, int axis)
{
    if (!g || !check_in(g, name, x, "x") || !check_in(g, name, indices, "indices"))
        return VKA_NONE;
    const vka__value *v = &g->vals[x], *vi = &g->vals[indices];
    if (axis < 0)
        axis += v->ndim;
    if (axis < 0 || axis >= v->ndim)
        return gerr(g, name, VKA_ERR_SHAPE, "Gather axis out of range for rank %d", v->ndim);
    if (!vi->is_int)
        return gerr(g, name, VKA_ERR_SHAPE, "Gather indices must be integers");
    int nd = v->ndim - 1 + vi->ndim;
    if (nd > VKA_MAX_DIMS)
        return gerr(g, name, VKA_ERR_SHAPE, "Gather output rank %d", nd);
    int64_t s[VKA_MAX_DIMS];
    int k = 0;
    for (int d = 0; d < axis; d++)
        s[k++] = v->shape[d];
    for (int d = 0; d < vi->ndim; d++)
        s[k++] = vi->shape[d];
    for (int d = axis + 1; d < v->ndim; d++)
        s[k++] = v->shape[d];
    if (vka__graph_is_const(g, indices)) {
        for (int64_t i = 0; i < vi->numel; i++) {
            /* exact: as a double, an index past 2^63 made the error message's cast undefined */
            int64_t ix = vka__const_i64(g, indices, i);
            if (ix < -v->shape[axis] || ix >= v->shape[axis])
                return gerr(g, name, VKA_ERR_SHAPE, "Gather index %lld outside axis %d of size %lld",
                            (long long)ix, axis, (long long)v->shape[axis]);
        }
        /* one constant index: a slice, then drop the axis (a view) */
        if (vi->numel == 1) {
            int64_t ix = vka__const_i64(g, indices, 0);
            if (ix < 0)
                ix += v->shape[axis];
            int64_t st[VKA_MAX_DIMS] = {0}, sp[VKA_MAX_DIMS], os[VKA_MAX_DIMS];
            for (int d = 0; d < v->ndim; d++)
                sp[d] = 1, os[d] = v->shape[d];
            st[axis] = ix;
            os[axis] = 1;
            char sn[100];
            snprintf(sn, sizeof sn, "%.80s/slice", name ? name : "gather");
            vka_val sl = slice_full(g, sn, x, st, sp, os);
            return sl < 0 ? sl : vka_graph_reshape(g, name, sl, nd, s);
        }
        if (vka__graph_is_const(g, x)) {
            int64_t n;
            void *h = vka__host_new(g, name, v->is_int, nd, s, &n);
            if (!h)
                return VKA_NONE;
            int64_t outer = 1, inner = 1;
            for (int d = 0; d < axis; d++)
                outer *= v->shape[d];
            for (int d = axis + 1; d < v->ndim; d++)
                inner *= v->shape[d];
            int64_t o = 0;
            for (int64_t a = 0; a < outer; a++)
                for (int64_t j = 0; j < vi->numel; j++) {
                    int64_t ix = vka__const_i64(g, indices, j);
                    if (ix < 0)
                        ix += v->shape[axis];
                    for (int64_t b = 0; b < inner; b++)
                        host_set(h, v->is_int, o++, vka__const_at(g, x, (a * v->shape[axis] + ix) * inner + b));
                }
            return vka__graph_const_owned(g, name, v->is_int, nd, s, h);
        }
    }
    vka_val in[2] = {x, indices};
    int node;
    vka_val out = add_op(g, VKA__OP_GATHER, name, in, 2, v->dtype, v->is_int, nd, s, &node);
    if (out >= 0)
        g->nodes[node].axis = axis;
    return out;
}

vka_val vka_graph_expand(vka_graph *g, const char *name, vka_val x, int ndim, const int64_t *shape)
{
    if (!g || !check_in(g, name, x, "x"))
        return VKA_NONE;
    const vka__value *v = &g->vals[x];
    vka__value target = {.ndim = ndim};
    memcpy(target.shape, shape, sizeof(int64_t) * (size_t)ndim);
    int nd;
    int64_t s[VKA_MAX_DIMS];
    char sx[128], st[128];
    if (!broadcast_shapes(v, &target, &nd, s))
        return gerr(g, name, VKA_ERR_SHAPE, "cannot expand %s to %s", shape_str(v, sx, sizeof sx),
                    shape_str(&target, st, sizeof st));
    if (vka__graph_is_const(g, x)) {
        int64_t n;
        void *h = vka__host_new(g, name, v->is_int, nd, s, &n);
        if (!h)
            return VKA_NONE;
        int64_t idx[VKA_MAX_DIMS];
        for (int64_t i = 0; i < n; i++) {
            unravel(i, s, nd, idx);
            host_set(h, v->is_int, i, vka__const_at(g, x, bcast_offset(idx, nd, v->shape, v->ndim)));
        }
        return vka__graph_const_owned(g, name, v->is_int, nd, s, h);
    }
    return add_op(g, VKA__OP_EXPAND, name, &x, 1, v->dtype, v->is_int, nd, s, NULL);
}

vka_val vka_graph_where(vka_graph *g, const char *name, vka_val cond, vka_val a, vka_val b)
{
    if (!g || !check_in(g, name, cond, "cond") || !check_in(g, name, a, "a") || !check_in(g, name, b, "b"))
        return VKA_NONE;
    const vka__value *vc = &g->vals[cond], *va = &g->vals[a], *vb = &g->vals[b];
    int nd1, nd;
    int64_t s1[VKA_MAX_DIMS] = {0}, s[VKA_MAX_DIMS];
    vka__value tmp = {0};
    char sa[128], sb[128];
    if (!broadcast_shapes(va, vb, &nd1, s1))
        return gerr(g, name, VKA_ERR_SHAPE, "Where: %s and %s do not broadcast", shape_str(va, sa, sizeof sa),
                    shape_str(vb, sb, sizeof sb));
    tmp.ndim = nd1;
    memcpy(tmp.shape, s1, sizeof s1);
    if (!broadcast_shapes(vc, &tmp, &nd, s))
        return gerr(g, name, VKA_ERR_SHAPE, "Where: condition %s does not broadcast", shape_str(vc, sa, sizeof sa));
    vka_val in[3] = {cond, a, b};
    if (!all_const(g, in, 3)) {
        if (va->is_int != vb->is_int)
            return gerr(g, name, VKA_ERR_SHAPE, "Where mixes integer and float operands");
        return add_op(g, VKA__OP_WHERE, name, in, 3, va->is_int ? VKA_I32 : va->dtype, va->is_int, nd, s, NULL);
    }
    bool is_int = va->is_int;
    int64_t n;
    void *h = vka__host_new(g, name, is_int, nd, s, &n);
    if (!h)
        return VKA_NONE;
    int64_t idx[VKA_MAX_DIMS];
    for (int64_t i = 0; i < n; i++) {
        unravel(i, s, nd, idx);
        bool c = vka__const_at(g, cond, bcast_offset(idx, nd, vc->shape, vc->ndim)) != 0;
        vka_val src = c ? a : b;
        const vka__value *vs = &g->vals[src];
        host_set(h, is_int, i, vka__const_at(g, src, bcast_offset(idx, nd, vs->shape, vs->ndim)));
    }
    return vka__graph_const_owned(g, name, is_int, nd, s, h);
}

/* ---------------------------------------------------------------- attention */

vka_val vka_graph_attention(vka_graph *g, const char *name, vka_val q, vka_val k, vka_val v, vka_val mask,
                            float scale)
{
    if (!g || !check_in(g, name, q, "q") || !check_in(g, name, k, "k") || !check_in(g, name, v, "v"))
        return VKA_NONE;
    const vka__value *vq = &g->vals[q], *vk = &g->vals[k], *vv = &g->vals[v];
    char s1[128], s2[128], s3[128];
    bool ok = vq->ndim == 4 && vk->ndim == 4 && vv->ndim == 4 && vq->shape[0] == vk->shape[0] &&
              vq->shape[1] == vk->shape[1] && vq->shape[3] == vk->shape[3] && vk->shape[0] == vv->shape[0] &&
              vk->shape[1] == vv->shape[1] && vk->shape[2] == vv->shape[2] && vv->shape[3] == vq->shape[3];
    if (!ok)
        return gerr(g, name, VKA_ERR_SHAPE, "attention q %s, k %s, v %s: expected [B,H,Nq,D], [B,H,Nk,D] twice",
                    shape_str(vq, s1, sizeof s1), shape_str(vk, s2, sizeof s2), shape_str(vv, s3, sizeof s3));
    if (mask != VKA_NONE && (!check_in(g, name, mask, "mask") ||
                             g->vals[mask].numel != vq->shape[2] * vk->shape[2]))
        return gerr(g, name, VKA_ERR_SHAPE, "attention mask must be [Nq, Nk] = [%lld, %lld]", (long long)vq->shape[2],
                    (long long)vk->shape[2]);
    vka_val in[4] = {q, k, v, mask};
    int node;
    int64_t d = vq->shape[3]; /* add_op may move g->vals, and vq with it */
    vka_val out = add_op(g, VKA__OP_ATTENTION, name, in, mask != VKA_NONE ? 4 : 3, vq->dtype, false, 4, vq->shape,
                         &node);
    if (out >= 0) {
        g->nodes[node].scale = scale > 0 ? scale : 1.0f / sqrtf((float)d);
        g->nodes[node].mask = mask;
    }
    return out;
}

/* ---------------------------------------------------------------- convolutional networks */

static bool float_in(vka_graph *g, const char *name, vka_val x, const char *what)
{
    if (!check_in(g, name, x, what))
        return false;
    if (g->vals[x].is_int) {
        gerr(g, name, VKA_ERR_SHAPE, "%s must be a float tensor", what);
        return false;
    }
    return true;
}

static bool nchw(vka_graph *g, const char *name, vka_val x)
{
    if (g->vals[x].ndim != 4) {
        char sx[128];
        gerr(g, name, VKA_ERR_SHAPE, "expects an NCHW tensor, got %s", shape_str(&g->vals[x], sx, sizeof sx));
        return false;
    }
    return true;
}

vka_val vka_graph_pad(vka_graph *g, const char *name, vka_val x, const int64_t *begin, const int64_t *end,
                      vka_pad_mode mode, float value)
{
    if (!g || !check_in(g, name, x, "x"))
        return VKA_NONE;
    const vka__value *v = &g->vals[x];
    int64_t s[VKA_MAX_DIMS];
    bool none = true;
    for (int i = 0; i < v->ndim; i++) {
        if (begin[i] < -VKA__MAX_NUMEL || begin[i] > VKA__MAX_NUMEL || end[i] < -VKA__MAX_NUMEL ||
            end[i] > VKA__MAX_NUMEL)
            return gerr(g, name, VKA_ERR_SHAPE, "Pad of %lld, %lld on axis %d", (long long)begin[i],
                        (long long)end[i], i);
        s[i] = v->shape[i] + begin[i] + end[i];
        none &= begin[i] == 0 && end[i] == 0;
        if (s[i] < 0)
            return gerr(g, name, VKA_ERR_SHAPE, "Pad makes axis %d negative", i);
    }
    if (none)
        return vka_graph_reshape(g, name, x, v->ndim, v->shape);
    int node, nd = v->ndim; /* add_op may move g->vals, and v with it */
    vka_val out = add_op(g, VKA__OP_PAD, name, &x, 1, v->dtype, v->is_int, nd, s, &node);
    if (out >= 0) {
        memcpy(g->nodes[node].starts, begin, sizeof(int64_t) * (size_t)nd);
        memcpy(g->nodes[node].steps, end, sizeof(int64_t) * (size_t)nd);
        g->nodes[node].sub = mode;
        g->nodes[node].alpha = value;
    }
    return out;
}

vka_val vka_graph_pool(vka_graph *g, const char *name, vka_pool_op op, vka_val x, const vka_pool_params *p)
{
    if (!g || !float_in(g, name, x, "x") || !nchw(g, name, x))
        return VKA_NONE;
    const vka__value *v = &g->vals[x];
    int64_t s[4] = {v->shape[0], v->shape[1], 0, 0};
    if (!p)
        return gerr(g, name, VKA_ERR_INVALID_ARG, "pool parameters missing");
    for (int a = 0; a < 2; a++)
        if (p->kernel[a] < 1 || p->kernel[a] > 65536 || p->stride[a] < 1 || p->stride[a] > 65536 ||
            p->dilation[a] < 1 || p->dilation[a] > 65536 || p->pad[a] < 0 || p->pad[2 + a] < 0 ||
            p->pad[a] > VKA__MAX_NUMEL || p->pad[2 + a] > VKA__MAX_NUMEL)
            return gerr(g, name, VKA_ERR_SHAPE,
                        "pool kernel %lld, stride %lld, dilation %lld (each 1..65536), pads %lld, %lld (>= 0) on axis %d",
                        (long long)p->kernel[a], (long long)p->stride[a], (long long)p->dilation[a],
                        (long long)p->pad[a], (long long)p->pad[2 + a], 2 + a);
    for (int a = 0; a < 2; a++) {
        int64_t in = v->shape[2 + a] + p->pad[a] + p->pad[2 + a], span = p->dilation[a] * (p->kernel[a] - 1) + 1;
        if (in < span)
            return gerr(g, name, VKA_ERR_SHAPE, "pool window %lld does not fit axis %d of %lld (padded)",
                        (long long)span, 2 + a, (long long)in);
        s[2 + a] = vka__pool_len(v->shape[2 + a], p->pad[a], p->pad[2 + a], p->kernel[a], p->dilation[a],
                                 p->stride[a], p->ceil_mode);
    }
    int node;
    vka_val out = add_op(g, VKA__OP_POOL, name, &x, 1, v->dtype, false, 4, s, &node);
    if (out >= 0) {
        g->nodes[node].sub = op;
        g->nodes[node].pool = *p;
    }
    return out;
}

vka_val vka_graph_global_avgpool(vka_graph *g, const char *name, vka_val x)
{
    if (!g || !float_in(g, name, x, "x") || !nchw(g, name, x))
        return VKA_NONE;
    const vka__value *v = &g->vals[x];
    int64_t s[4] = {v->shape[0], v->shape[1], 1, 1};
    int node;
    vka_val out = add_op(g, VKA__OP_POOL, name, &x, 1, v->dtype, false, 4, s, &node);
    if (out >= 0)
        g->nodes[node].sub = -1;
    return out;
}

vka_val vka_graph_resize(vka_graph *g, const char *name, vka_val x, vka_interp mode, vka_coord_mode coord,
                         vka_nearest_mode nearest, int64_t oh, int64_t ow, const float *scales)
{
    if (!g || !float_in(g, name, x, "x") || !nchw(g, name, x))
        return VKA_NONE;
    const vka__value *v = &g->vals[x];
    if (oh < 1 || ow < 1)
        return gerr(g, name, VKA_ERR_SHAPE, "Resize to %lldx%lld", (long long)oh, (long long)ow);
    int64_t s[4] = {v->shape[0], v->shape[1], oh, ow};
    int node;
    vka_val out = add_op(g, VKA__OP_RESIZE, name, &x, 1, v->dtype, false, 4, s, &node);
    if (out >= 0) {
        vka__node *n = &g->nodes[node];
        n->interp = mode, n->coord = coord, n->nearest = nearest;
        n->scales[0] = scales ? scales[0] : 0;
        n->scales[1] = scales ? scales[1] : 0;
    }
    return out;
}

vka_val vka_graph_clip(vka_graph *g, const char *name, vka_val x, float lo, float hi)
{
    if (!g || !check_in(g, name, x, "x"))
        return VKA_NONE;
    const vka__value *v = &g->vals[x];
    if (vka__graph_is_const(g, x)) {
        int64_t hn;
        void *h = vka__host_new(g, name, v->is_int, v->ndim, v->shape, &hn);
        if (!h)
            return VKA_NONE;
        for (int64_t i = 0; i < v->numel; i++) {
            double e = vka__const_at(g, x, i);
            host_set(h, v->is_int, i, e < lo ? lo : e > hi ? hi : e);
        }
        return vka__graph_const_owned(g, name, v->is_int, v->ndim, v->shape, h);
    }
    if (v->is_int)
        return gerr(g, name, VKA_ERR_UNSUPPORTED, "Clip of an integer tensor on the device");
    int node;
    vka_val out = add_op(g, VKA__OP_CLIP, name, &x, 1, v->dtype, false, v->ndim, v->shape, &node);
    if (out >= 0)
        g->nodes[node].alpha = lo, g->nodes[node].beta = hi;
    return out;
}

/* ---------------------------------------------------------------- detection */

vka_val vka_graph_topk(vka_graph *g, const char *name, vka_val x, int64_t k, int largest, vka_val *indices)
{
    if (!g || !float_in(g, name, x, "x") || !indices)
        return VKA_NONE;
    const vka__value *v = &g->vals[x];
    if (v->ndim < 1 || k < 1 || k > v->shape[v->ndim - 1])
        return gerr(g, name, VKA_ERR_SHAPE, "TopK k %lld for a last axis of %lld", (long long)k,
                    v->ndim ? (long long)v->shape[v->ndim - 1] : 0LL);
    int64_t s[VKA_MAX_DIMS];
    memcpy(s, v->shape, sizeof s);
    s[v->ndim - 1] = k;
    int node, nd = v->ndim; /* add_op may move g->vals, and v with it */
    vka_val out = add_op(g, VKA__OP_TOPK, name, &x, 1, v->dtype, false, nd, s, &node);
    if (out < 0)
        return out;
    char iname[112];
    snprintf(iname, sizeof iname, "%.90s/indices", name && *name ? name : "topk");
    vka_val idx = vka__graph_add_value(g, iname, VKA_I32, true, nd, s);
    if (idx < 0)
        return VKA_NONE;
    g->nodes[node].out2 = idx;
    g->nodes[node].k = k;
    g->nodes[node].sub = largest;
    g->vals[idx].producer = node;
    *indices = idx;
    return out;
}

vka_val vka_graph_gather_elements(vka_graph *g, const char *name, vka_val x, vka_val indices, int axis)
{
    if (!g || !check_in(g, name, x, "x") || !check_in(g, name, indices, "indices"))
        return VKA_NONE;
    const vka__value *v = &g->vals[x], *vi = &g->vals[indices];
    if (axis < 0)
        axis += v->ndim;
    if (!vi->is_int || vi->ndim != v->ndim || axis < 0 || axis >= v->ndim)
        return gerr(g, name, VKA_ERR_SHAPE, "GatherElements needs integer indices of x's rank and a valid axis");
    vka_val in[2] = {x, indices};
    int node;
    vka_val out = add_op(g, VKA__OP_GATHER_ELEMENTS, name, in, 2, v->dtype, v->is_int, vi->ndim, vi->shape, &node);
    if (out >= 0)
        g->nodes[node].axis = axis;
    return out;
}

vka_val vka_graph_tile(vka_graph *g, const char *name, vka_val x, const int64_t *repeats)
{
    if (!g || !check_in(g, name, x, "x"))
        return VKA_NONE;
    const vka__value *v = &g->vals[x];
    int64_t s[VKA_MAX_DIMS];
    for (int i = 0; i < v->ndim; i++) {
        if (!vka__mul_count(v->shape[i], repeats[i], &s[i]))
            return gerr(g, name, VKA_ERR_SHAPE, "Tile repeat %lld of axis %d (%lld)", (long long)repeats[i], i,
                        (long long)v->shape[i]);
    }
    if (vka__graph_is_const(g, x)) { /* a Tile of a constant is an Expand of an Unsqueeze: fold */
        int64_t n;
        void *h = vka__host_new(g, name, v->is_int, v->ndim, s, &n);
        if (!h)
            return VKA_NONE;
        int64_t idx[VKA_MAX_DIMS];
        for (int64_t i = 0; i < n; i++) {
            unravel(i, s, v->ndim, idx);
            int64_t off = 0;
            for (int d = 0; d < v->ndim; d++)
                off = off * v->shape[d] + idx[d] % v->shape[d];
            host_set(h, v->is_int, i, vka__const_at(g, x, off));
        }
        return vka__graph_const_owned(g, name, v->is_int, v->ndim, s, h);
    }
    int node, nd = v->ndim; /* add_op may move g->vals, and v with it */
    vka_val out = add_op(g, VKA__OP_TILE, name, &x, 1, v->dtype, v->is_int, nd, s, &node);
    if (out >= 0)
        memcpy(g->nodes[node].starts, repeats, sizeof(int64_t) * (size_t)nd);
    return out;
}

vka_val vka_graph_compare(vka_graph *g, const char *name, vka_compare_op op, vka_val a, vka_val b)
{
    if (!g || !check_in(g, name, a, "a") || !check_in(g, name, b, "b"))
        return VKA_NONE;
    const vka__value *va = &g->vals[a], *vb = &g->vals[b];
    int nd;
    int64_t s[VKA_MAX_DIMS];
    char sa[128], sb[128];
    if (!broadcast_shapes(va, vb, &nd, s))
        return gerr(g, name, VKA_ERR_SHAPE, "cannot broadcast %s with %s", shape_str(va, sa, sizeof sa),
                    shape_str(vb, sb, sizeof sb));
    vka_val in[2] = {a, b};
    int node;
    vka_val out = add_op(g, VKA__OP_COMPARE, name, in, 2, VKA_I32, true, nd, s, &node);
    if (out >= 0)
        g->nodes[node].sub = op;
    return out;
}

vka_val vka_graph_grid_sample(vka_graph *g, const char *name, vka_val x, vka_val grid, int align_corners)
{
    if (!g || !float_in(g, name, x, "x") || !float_in(g, name, grid, "grid") || !nchw(g, name, x))
        return VKA_NONE;
    const vka__value *v = &g->vals[x], *vg = &g->vals[grid];
    if (vg->ndim != 4 || vg->shape[0] != v->shape[0] || vg->shape[3] != 2)
        return gerr(g, name, VKA_ERR_SHAPE, "GridSample grid must be [N, Ho, Wo, 2]");
    int64_t s[4] = {v->shape[0], v->shape[1], vg->shape[1], vg->shape[2]};
    vka_val in[2] = {x, grid};
    int node;
    vka_val out = add_op(g, VKA__OP_GRID_SAMPLE, name, in, 2, v->dtype, false, 4, s, &node);
    if (out >= 0)
        g->nodes[node].sub = align_corners;
    return out;
}

vka_val vka_graph_deform_attn(vka_graph *g, const char *name, const vka_deform_attn_desc *d, vka_val value,
                              vka_val loc, vka_val weights)
{
    if (!g || !d || !float_in(g, name, value, "value") || !float_in(g, name, loc, "locations") ||
        !float_in(g, name, weights, "weights"))
        return VKA_NONE;
    const vka__value *v = &g->vals[value], *w = &g->vals[weights];
    if (v->ndim != 4 || w->ndim < 4)
        return gerr(g, name, VKA_ERR_SHAPE, "deform_attn value must be 4-D and weights [B, Nq, H, ...]");
    int64_t H = d->value_layout == VKA_DEFORM_VALUE_BHDS ? v->shape[1] : v->shape[2];
    int64_t D = d->value_layout == VKA_DEFORM_VALUE_BHDS ? v->shape[2] : v->shape[3];
    int64_t s[3] = {w->shape[0], w->shape[1], 0};
    if (!vka__mul_count(H, D, &s[2]))
        return gerr(g, name, VKA_ERR_SHAPE, "deform_attn heads x dim overflows");
    vka_val in[3] = {value, loc, weights};
    int node;
    vka_val out = add_op(g, VKA__OP_DEFORM_ATTN, name, in, 3, v->dtype, false, 3, s, &node);
    if (out >= 0)
        g->nodes[node].deform = *d;
    return out;
}
