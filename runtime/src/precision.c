/* SPDX-License-Identifier: MIT */
/* precision.c — fp16 graphs: the one place that decides the storage dtype of
 * every float value (vka_graph_build_params.precision) and inserts the casts.
 *
 * The rule (precision F16; AUTO is F16 on a device that is not a CPU and has
 * storageBuffer16BitAccess and shaderFloat16 enabled, F32 elsewhere):
 *  - Math is fp32 in every kernel whatever the storage: loads widen f16 to
 *    fp32, GEMM/conv/attention accumulate in fp32, softmax, LayerNorm/RMSNorm
 *    statistics and reductions run in fp32 registers; a result is rounded to
 *    f16 once, when it is stored. This pass chooses storage only.
 *  - fp32 storage:
 *      graph inputs and outputs (the interface does not change with precision);
 *      integer values (untouched);
 *      Reduce and TopK nodes (a sum can pass f16's 65504; TopK's scores);
 *      the light nodes (elementwise, data movement, Reduce, TopK) whose result
 *      reaches a graph output, a Reduce or a TopK through light nodes only:
 *      the score (sigmoid), box-decoding and postprocessing tails of a
 *      detector, and what feeds a reduction (the squares of a decomposed
 *      LayerNorm's variance when fusion is off);
 *      the LSE saved for attention probes.
 *  - f16 storage: every other float value: weights (converted once, when
 *    they are uploaded) and the activations of GEMM, conv, attention, norms,
 *    softmax, pooling, resize, grid sampling, deformable attention and of the
 *    elementwise / data-movement nodes between them.
 *  - A node reads and writes one float dtype (the kernels' contract). Where a
 *    value's dtype differs from a reader's, one cast per (value, dtype) is
 *    inserted before its first such reader; an output written by an f16 node
 *    gets a cast to its f32 self; a weight read in both dtypes is uploaded
 *    twice.
 */
#include <stdlib.h>
#include <string.h>

#include "graph.h"

const char *vka_precision_str(vka_precision p)
{
    switch (p) {
    case VKA_PRECISION_F32: return "f32";
    case VKA_PRECISION_F16: return "f16";
    case VKA_PRECISION_AUTO: return "auto";
    }
    return "?";
}

vka_precision vka__precision_resolve(const vka_context *ctx, vka_precision p)
{
    if (p != VKA_PRECISION_AUTO)
        return p;
    bool f16 = ctx->info.fp16_storage && ctx->info.fp16_arith && ctx->info.type != VKA_DEVICE_CPU;
    return f16 ? VKA_PRECISION_F16 : VKA_PRECISION_F32;
}

/* Elementwise and data-movement nodes (and Reduce, TopK): cheap enough to run
 * in fp32 on the tails that feed outputs and TopK. The others are "heavy". */
static bool is_light(vka__op op)
{
    switch (op) {
    case VKA__OP_BINARY:
    case VKA__OP_UNARY:
    case VKA__OP_ELTWISE:
    case VKA__OP_RESHAPE:
    case VKA__OP_TRANSPOSE:
    case VKA__OP_SLICE:
    case VKA__OP_CONCAT:
    case VKA__OP_GATHER:
    case VKA__OP_GATHER_ELEMENTS:
    case VKA__OP_EXPAND:
    case VKA__OP_TILE:
    case VKA__OP_CAST:
    case VKA__OP_WHERE:
    case VKA__OP_CLIP:
    case VKA__OP_COMPARE:
    case VKA__OP_PAD:
    case VKA__OP_REDUCE:
    case VKA__OP_TOPK: return true;
    default: return false;
    }
}

static bool is_float(const vka__value *v) { return !v->is_int && (v->dtype == VKA_F32 || v->dtype == VKA_F16); }

/* The float operands of node n (a Cast's input is not one: it reads any dtype). */
static int float_slots(vka_graph *g, vka__node *n, vka_val **out)
{
    int k = 0;
    if (n->op != VKA__OP_CAST)
        for (int i = 0; i < n->nin; i++)
            if (n->in[i] >= 0 && is_float(&g->vals[n->in[i]]))
                out[k++] = &n->in[i];
    vka_val *extra[3] = {&n->bias, &n->residual, &n->mask};
    for (int i = 0; i < 3; i++)
        if (*extra[i] >= 0 && is_float(&g->vals[*extra[i]]))
            out[k++] = extra[i];
    return k;
}

typedef struct {
    vka_graph *g;
    int *ord;             /* the new node order (old and new node indices) */
    int nord, cap;
    vka_val *to[2];       /* [F16, F32]: the value's copy in that dtype, per original value */
    int nvals0;
} rewrite;

static bool push_ord(rewrite *r, int node)
{
    if (r->nord == r->cap) {
        int cap = r->cap * 2 + 64;
        int *o = realloc(r->ord, sizeof *o * (size_t)cap);
        if (!o)
            return false;
        r->ord = o, r->cap = cap;
    }
    r->ord[r->nord++] = node;
    return true;
}

/* A new value like v in dtype dt, named v's name + suffix. */
static vka_val twin(vka_graph *g, vka_val v, vka_dtype dt)
{
    char nm[96];
    const vka__value *x = &g->vals[v];
    snprintf(nm, sizeof nm, "%.88s/%s", x->name, dt == VKA_F16 ? "f16" : "f32");
    int64_t shape[VKA_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    return vka__graph_add_value(g, nm, dt, false, x->ndim, shape);
}

/* A cast node y = x, appended to the new order. */
static bool add_cast(rewrite *r, vka_val x, vka_val y)
{
    vka_graph *g = r->g;
    char nm[96];
    snprintf(nm, sizeof nm, "%.88s/cast", g->vals[y].name);
    int c = vka__graph_add_node(g, VKA__OP_CAST, nm, &x, 1);
    if (c < 0)
        return false;
    g->nodes[c].out = y;
    g->vals[y].producer = c;
    return push_ord(r, c);
}

/* v as dtype dt: itself, its copy, or a new cast of it. */
static vka_val in_dtype(rewrite *r, vka_val v, vka_dtype dt)
{
    vka_graph *g = r->g;
    if (g->vals[v].dtype == dt)
        return v;
    int k = dt == VKA_F32;
    if (v < r->nvals0 && r->to[k][v] != VKA_NONE)
        return r->to[k][v];
    vka_val y = twin(g, v, dt);
    if (y < 0 || !add_cast(r, v, y))
        return VKA_NONE;
    if (v < r->nvals0)
        r->to[k][v] = y;
    return y;
}

/* Constants: f16 when only f16 nodes read them, an f16 copy when both do. */
static vka_status place_constants(vka_graph *g, const char *want32, rewrite *r)
{
    unsigned char *need = calloc((size_t)r->nvals0 + 1, 1); /* 1: an f16 reader, 2: an f32 reader */
    if (!need)
        return VKA_ERR_OUT_OF_MEMORY;
    for (int i = 0; i < g->nnodes; i++) {
        vka__node *n = &g->nodes[i];
        if (n->dead)
            continue;
        vka_val *slot[VKA__MAX_IN + 3];
        int k = float_slots(g, n, slot);
        for (int j = 0; j < k; j++)
            if (vka__graph_is_const(g, *slot[j]))
                need[*slot[j]] |= want32[i] ? 2 : 1;
        if (n->op == VKA__OP_CAST && n->in[0] >= 0 && vka__graph_is_const(g, n->in[0]))
            need[n->in[0]] |= 2;
    }
    for (int i = 0; i < g->noutputs; i++)
        need[g->outputs[i]] |= 2;
    vka_status s = VKA_OK;
    for (vka_val v = 0; v < r->nvals0 && !s; v++) {
        if (!vka__graph_is_const(g, v) || !is_float(&g->vals[v]) || !(need[v] & 1))
            continue;
        if (need[v] == 1) {
            g->vals[v].dtype = VKA_F16; /* the host data stays f32: place_const converts it */
            continue;
        }
        size_t bytes = (size_t)g->vals[v].numel * sizeof(float);
        float *h = malloc(bytes ? bytes : 1);
        vka_val c = h ? twin(g, v, VKA_F16) : VKA_NONE;
        if (c < 0) {
            free(h);
            s = VKA_ERR_OUT_OF_MEMORY;
            break;
        }
        memcpy(h, g->vals[v].host, bytes);
        g->vals[c].host = h;
        r->to[0][v] = c;
    }
    free(need);
    return s;
}

/* Marks the light nodes that must stay fp32 (see the rule above). */
static vka_status mark_fp32(vka_graph *g, char *want32)
{
    int *stack = malloc(sizeof *stack * ((size_t)g->nnodes + 1)), sp = 0;
    if (!stack)
        return VKA_ERR_OUT_OF_MEMORY;
    for (int i = 0; i < g->nnodes; i++) {
        vka__node *n = &g->nodes[i];
        if (n->dead)
            continue;
        if (n->op == VKA__OP_REDUCE || n->op == VKA__OP_TOPK) {
            want32[i] = 1;
            stack[sp++] = i;
        }
    }
    for (int i = 0; i < g->noutputs; i++) {
        int p = g->vals[g->outputs[i]].producer;
        if (p >= 0 && !g->nodes[p].dead && is_light(g->nodes[p].op) && !want32[p] && is_float(&g->vals[g->outputs[i]])) {
            want32[p] = 1;
            stack[sp++] = p;
        }
    }
    while (sp > 0) {
        vka__node *n = &g->nodes[stack[--sp]];
        for (int i = 0; i < n->nin; i++) {
            vka_val v = n->in[i];
            int p = v >= 0 && is_float(&g->vals[v]) ? g->vals[v].producer : -1;
            if (p >= 0 && !g->nodes[p].dead && is_light(g->nodes[p].op) && !want32[p]) {
                want32[p] = 1;
                stack[sp++] = p;
            }
        }
    }
    free(stack);
    return VKA_OK;
}

/* Puts the nodes in r->ord's order, renumbering producers and `into`. */
static vka_status reorder(vka_graph *g, rewrite *r)
{
    int n = g->nnodes;
    vka__node *nn = malloc(sizeof *nn * (size_t)n);
    int *idx = malloc(sizeof *idx * (size_t)n);
    if (!nn || !idx || r->nord != n) {
        free(nn), free(idx);
        return VKA_ERR_OUT_OF_MEMORY;
    }
    for (int k = 0; k < n; k++) {
        nn[k] = g->nodes[r->ord[k]];
        idx[r->ord[k]] = k;
    }
    memcpy(g->nodes, nn, sizeof *nn * (size_t)n);
    for (int k = 0; k < n; k++)
        if (g->nodes[k].into >= 0)
            g->nodes[k].into = idx[g->nodes[k].into];
    for (int v = 0; v < g->nvals; v++)
        if (g->vals[v].producer >= 0)
            g->vals[v].producer = idx[g->vals[v].producer];
    free(nn), free(idx);
    return VKA_OK;
}

vka_status vka__graph_precision(vka_graph *g, vka_precision p)
{
    vka_context *ctx = g->ctx;
    if (p == VKA_PRECISION_F32)
        return VKA_OK;
    if (!ctx->info.fp16_storage || !ctx->info.fp16_arith)
        return vka__err(ctx, VKA_ERR_UNSUPPORTED,
                        "precision f16: device \"%s\" lacks %s (f16 graphs need storageBuffer16BitAccess and "
                        "shaderFloat16)",
                        ctx->info.name, !ctx->info.fp16_storage ? "storageBuffer16BitAccess" : "shaderFloat16");
    int n0 = g->nnodes;
    rewrite r = {.g = g, .nvals0 = g->nvals};
    char *want32 = calloc((size_t)n0 + 1, 1);
    r.to[0] = malloc(sizeof(vka_val) * ((size_t)g->nvals + 1));
    r.to[1] = malloc(sizeof(vka_val) * ((size_t)g->nvals + 1));
    bool *is_out = calloc((size_t)g->nvals + 1, 1);
    vka_status s = want32 && r.to[0] && r.to[1] && is_out ? VKA_OK : VKA_ERR_OUT_OF_MEMORY;
    for (int v = 0; !s && v < g->nvals; v++)
        r.to[0][v] = r.to[1][v] = VKA_NONE;
    for (int i = 0; !s && i < g->noutputs; i++)
        is_out[g->outputs[i]] = true;
    if (!s)
        s = mark_fp32(g, want32);
    if (!s)
        s = place_constants(g, want32, &r);
    for (int i = 0; !s && i < n0; i++) {
        vka__node *n = &g->nodes[i];
        if (n->dead) {
            s = push_ord(&r, i) ? VKA_OK : VKA_ERR_OUT_OF_MEMORY;
            continue;
        }
        vka_dtype dt = want32[i] ? VKA_F32 : VKA_F16;
        vka_val *slot[VKA__MAX_IN + 3];
        int k = float_slots(g, n, slot);
        vka_val read[VKA__MAX_IN + 3];
        for (int j = 0; j < k; j++)
            read[j] = *slot[j];
        for (int j = 0; j < k && !s; j++) {
            vka_val v = in_dtype(&r, read[j], dt); /* may grow g->nodes: n is refreshed below */
            if (v < 0)
                s = VKA_ERR_OUT_OF_MEMORY;
            n = &g->nodes[i];
            k = float_slots(g, n, slot); /* the same slots, at n's new address */
            *slot[j] = v;
        }
        if (s || !push_ord(&r, i)) {
            s = s ? s : VKA_ERR_OUT_OF_MEMORY;
            break;
        }
        n = &g->nodes[i];
        vka_val outs[2] = {n->out, n->out2};
        for (int o = 0; o < 2 && !s; o++) {
            vka_val v = outs[o];
            if (v < 0 || !is_float(&g->vals[v]) || g->vals[v].dtype == dt)
                continue;
            if (!is_out[v] && !g->vals[v].is_input) {
                g->vals[v].dtype = dt;
                continue;
            }
            /* an output keeps its dtype: the node writes a twin, a cast writes the output */
            vka_val t = twin(g, v, dt);
            if (t < 0) {
                s = VKA_ERR_OUT_OF_MEMORY;
                break;
            }
            n = &g->nodes[i];
            if (o == 0)
                n->out = t;
            else
                n->out2 = t;
            g->vals[t].producer = i;
            r.to[dt == VKA_F32][v] = t;
            if (!add_cast(&r, t, v))
                s = VKA_ERR_OUT_OF_MEMORY;
        }
    }
    int casts = g->nnodes - n0, f32_nodes = 0;
    for (int i = 0; i < n0; i++)
        f32_nodes += want32[i] && !g->nodes[i].dead;
    if (!s)
        s = reorder(g, &r);
    free(want32), free(r.to[0]), free(r.to[1]), free(is_out), free(r.ord);
    if (s)
        return vka__err(ctx, s, "precision f16: out of host memory rewriting the graph");
    vka__log(ctx, VKA_LOG_INFO, "precision f16: %d light nodes kept fp32, %d casts inserted", f32_nodes, casts);
    return VKA_OK;
}
