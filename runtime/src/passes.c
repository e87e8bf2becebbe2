/* SPDX-License-Identifier: MIT */
/* passes.c — fusions on the graph IR: the exported attention subgraph into
 * flash attention (Q, K, V and O addressed through strides in the tensors the
 * projections wrote, so the slices and transposes around it disappear), the
 * decomposed LayerNorm and RMSNorm into one kernel each, constant Pads into
 * the convs and max pools that read them, Erf-GELU and
 * x·sigmoid(x) into one op, bias / activation / residual into GEMM epilogues,
 * and what elementwise chains are left into one program each (vka_eltwise).
 * Nodes are rewritten in place (the node list stays in topological order);
 * what nothing reads any more is removed by the executor's dead-node pass, and
 * each removed node remembers which node absorbed it (--plan shows it). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "op_shape.h"

typedef struct {
    int *nuse;                   /* live readers of each value */
    int *reader;                 /* the last live reader of each value */
    int cap;                     /* values the arrays hold (passes may add constants) */
} uses;

static void count_once(const vka_graph *g, uses *u);

/* Counts live readers, killing nodes nothing reads any more (a rewrite leaves
 * the nodes it replaced unread) until none is left to kill. */
static void count_uses(vka_graph *g, uses *u)
{
    for (;;) {
        count_once(g, u);
        bool killed = false;
        for (int i = 0; i < g->nnodes; i++) {
            vka__node *n = &g->nodes[i];
            if (!n->dead && u->nuse[n->out] == 0 && !g->vals[n->out].is_output &&
                (n->out2 < 0 || (u->nuse[n->out2] == 0 && !g->vals[n->out2].is_output))) {
                n->dead = true;
                killed = true;
            }
        }
        if (!killed)
            return;
    }
}

/* How often live node n reads v. */
static int node_reads(const vka__node *n, vka_val v)
{
    vka_val in[VKA__NODE_MAX_READS];
    int k = n->dead ? 0 : vka__node_inputs(n, in), r = 0;
    for (int j = 0; j < k; j++)
        r += in[j] == v;
    return r;
}

static void count_once(const vka_graph *g, uses *u)
{
    if (g->nvals > u->cap) { /* cannot happen with the reserve vka__graph_fuse makes; stop fusing */
        for (int i = 0; i < u->cap; i++)
            u->nuse[i] = 1000, u->reader[i] = -1;
        return;
    }
    memset(u->nuse, 0, sizeof *u->nuse * (size_t)g->nvals);
    for (int i = 0; i < g->nvals; i++)
        u->reader[i] = -1;
    for (int i = 0; i < g->nnodes; i++) {
        const vka__node *n = &g->nodes[i];
        if (n->dead)
            continue;
        vka_val in[VKA__NODE_MAX_READS];
        int k = vka__node_inputs(n, in);
        for (int j = 0; j < k; j++) {
            u->nuse[in[j]]++;
            u->reader[in[j]] = i;
        }
    }
    for (int i = 0; i < g->noutputs; i++)
        u->nuse[g->outputs[i]] += 1000; /* outputs are read by the application */
}

static vka__node *producer(vka_graph *g, vka_val v)
{
    int p = v >= 0 ? g->vals[v].producer : -1;
    return p >= 0 && !g->nodes[p].dead ? &g->nodes[p] : NULL;
}

static bool is_binary(const vka__node *n, vka_binary_op op) { return n && n->op == VKA__OP_BINARY && n->sub == (int)op; }

/* For a binary node with one scalar-constant operand: that constant and the other operand. */
static bool scalar_operand(vka_graph *g, const vka__node *n, double *c, vka_val *other, bool *const_first)
{
    if (!n || n->op != VKA__OP_BINARY)
        return false;
    for (int i = 0; i < 2; i++)
        if (vka__const_scalar(g, n->in[i], c)) {
            *other = n->in[1 - i];
            if (const_first)
                *const_first = i == 0;
            return true;
        }
    return false;
}

/* The reader of v if it is the only one. */
static vka__node *sole_reader(vka_graph *g, const uses *u, vka_val v)
{
    return u->nuse[v] == 1 && u->reader[v] >= 0 ? &g->nodes[u->reader[v]] : NULL;
}

/* Moves node c's output onto node gm (c disappears). */
static void absorb(vka_graph *g, vka__node *gm, vka__node *c)
{
    gm->out = c->out;
    g->vals[c->out].producer = (int)(gm - g->nodes);
    c->dead = true;
}

/* ---------------------------------------------------------------- strided views */

/* A value read through strides: element (i_0, .., i_n-1) of the logical tensor
 * `shape` is element off + Σ i_k·st[k] of base's memory. The attention and
 * elementwise fusions read their operands this way, straight out of the
 * tensor a slice, transpose or reshape chain started from. */
typedef struct {
    vka_val base;
    int ndim;
    int64_t shape[VKA_MAX_DIMS], st[VKA_MAX_DIMS];
    int64_t off;
} sview;

static void dense_strides(int nd, const int64_t *shape, int64_t *st)
{
    int64_t acc = 1;
    for (int k = nd - 1; k >= 0; k--) {
        st[k] = acc;
        acc *= shape[k];
    }
}

static void sview_dense(const vka_graph *g, vka_val v, sview *s)
{
    const vka__value *x = &g->vals[v];
    s->base = v;
    s->ndim = x->ndim;
    memcpy(s->shape, x->shape, sizeof s->shape);
    dense_strides(x->ndim, x->shape, s->st);
    s->off = 0;
}

/* Moves view s from y's memory onto x's, where y's axis k holds x's elements
 * first_k + j·mult_k (a slice or a transpose of x). Fails when a step of the
 * view would carry from one of y's axes into the next: then no stride of x
 * describes it. */
static bool sview_map(sview *s, int ynd, const int64_t *yshape, const int64_t *first, const int64_t *mult)
{
    int64_t ys[VKA_MAX_DIMS], digit[VKA_MAX_DIMS], reach[VKA_MAX_DIMS], nst[VKA_MAX_DIMS];
    dense_strides(ynd, yshape, ys);
    int64_t rem = s->off;
    for (int k = 0; k < ynd; k++) {
        digit[k] = rem / ys[k];
        rem -= digit[k] * ys[k];
        reach[k] = digit[k];
    }
    for (int a = 0; a < s->ndim; a++) {
        nst[a] = 0;
        if (s->shape[a] == 1 || s->st[a] == 0)
            continue;
        int k = -1;
        for (int j = 0; j < ynd && k < 0; j++) /* the outermost axis of y a step of a stays inside */
            if (yshape[j] > 1 && ys[j] <= s->st[a])
                k = j;
        if (k < 0 || s->st[a] % ys[k])
            return false;
        int64_t c = s->st[a] / ys[k];
        reach[k] += c * (s->shape[a] - 1);
        nst[a] = c * mult[k];
    }
    int64_t off = 0;
    for (int k = 0; k < ynd; k++) {
        if (reach[k] >= yshape[k])
            return false;
        off += first[k] + digit[k] * mult[k];
    }
    memcpy(s->st, nst, sizeof nst);
    s->off = off;
    return true;
}

/* One step back through the producer of s->base when it only moves data. */
static bool sview_step(vka_graph *g, sview *s)
{
    vka__node *p = producer(g, s->base);
    if (!p || (p->op != VKA__OP_RESHAPE && p->op != VKA__OP_SLICE && p->op != VKA__OP_TRANSPOSE))
        return false;
    const vka__value *y = &g->vals[s->base], *x = &g->vals[p->in[0]];
    if (x->dtype != y->dtype || x->is_int != y->is_int)
        return false;
    if (p->op == VKA__OP_RESHAPE) { /* the same memory in the same order */
        s->base = p->in[0];
        return true;
    }
    int64_t xs[VKA_MAX_DIMS], first[VKA_MAX_DIMS], mult[VKA_MAX_DIMS];
    dense_strides(x->ndim, x->shape, xs);
    for (int k = 0; k < y->ndim; k++) {
        if (p->op == VKA__OP_SLICE) {
            if (p->steps[k] < 1)
                return false;
            first[k] = p->starts[k] * xs[k];
            mult[k] = p->steps[k] * xs[k];
        } else {
            first[k] = 0;
            mult[k] = xs[p->perm[k]];
        }
    }
    sview t = *s;
    if (!sview_map(&t, y->ndim, y->shape, first, mult))
        return false;
    t.base = p->in[0];
    *s = t;
    return true;
}

/* The view of v as far back as slices, transposes and reshapes go; with
 * last_dense, only as far as its last axis stays contiguous. */
static void sview_resolve(vka_graph *g, vka_val v, bool last_dense, sview *s)
{
    sview_dense(g, v, s);
    for (;;) {
        sview t = *s;
        if (!sview_step(g, &t) || (last_dense && t.shape[t.ndim - 1] > 1 && t.st[t.ndim - 1] != 1))
            return;
        *s = t;
    }
}

/* ---------------------------------------------------------------- attention */

typedef struct {
    vka__node *qk, *softmax, *pv;
    vka_val q, k, v, mask;
    float scale;
    vka__node *k_rewrite;        /* a transpose producing Kᵀ directly, to be turned into one producing K */
} attn_match;

static bool swaps_last_two(const vka__node *t, int ndim)
{
    if (!t || t->op != VKA__OP_TRANSPOSE)
        return false;
    for (int i = 0; i < ndim - 2; i++)
        if (t->perm[i] != i)
            return false;
    return t->perm[ndim - 2] == ndim - 1 && t->perm[ndim - 1] == ndim - 2;
}

/* Softmax(scale·(Q·Kᵀ) [+ mask]) · V, as exporters write it: MatMul(q, Transpose(k)),
 * Mul/Div by a scalar before or after it, an optional Add of a mask, Softmax on
 * the last axis, MatMul with V. */
static bool match_attention(vka_graph *g, const uses *u, vka__node *s, attn_match *m)
{
    if (s->op != VKA__OP_SOFTMAX || s->axis != g->vals[s->out].ndim - 1)
        return false;
    memset(m, 0, sizeof *m);
    m->softmax = s;
    m->mask = VKA_NONE;
    double scale = s->scale;
    vka_val x = s->in[0];
    vka__node *p = producer(g, x);
    double c;
    vka_val other;
    /* additive mask */
    if (is_binary(p, VKA_ADD) && u->nuse[x] == 1) {
        for (int i = 0; i < 2; i++) {
            vka__node *pi = producer(g, p->in[i]);
            if (pi && (pi->op == VKA__OP_MATMUL || is_binary(pi, VKA_MUL) || is_binary(pi, VKA_DIV))) {
                m->mask = p->in[1 - i];
                x = p->in[i];
                break;
            }
        }
        if (m->mask < 0)
            return false;
        p = producer(g, x);
    }
    /* scale after Q·Kᵀ */
    if (p && p->op == VKA__OP_BINARY && u->nuse[x] == 1) {
        bool cf;
        if (!scalar_operand(g, p, &c, &other, &cf) || !(p->sub == VKA_MUL || (p->sub == VKA_DIV && !cf)))
            return false;
        scale *= p->sub == VKA_MUL ? c : 1.0 / c;
        x = other;
        p = producer(g, x);
    }
    if (!p || p->op != VKA__OP_MATMUL || u->nuse[x] != 1 || p->act || p->bias >= 0 || p->residual >= 0)
        return false;
    m->qk = p;
    /* scale on Q */
    vka_val q = p->in[0];
    vka__node *pq = producer(g, q);
    bool cf;
    if (pq && scalar_operand(g, pq, &c, &other, &cf) &&
        (pq->sub == VKA_MUL || (pq->sub == VKA_DIV && !cf)) && g->vals[other].ndim == g->vals[q].ndim) {
        scale *= pq->sub == VKA_MUL ? c : 1.0 / c;
        q = other;
    }
    /* Kᵀ */
    vka_val kt = p->in[1];
    vka__node *pk = producer(g, kt);
    int nd = g->vals[kt].ndim;
    vka_val k;
    if (swaps_last_two(pk, nd)) {
        k = pk->in[0];
    } else if (pk && pk->op == VKA__OP_TRANSPOSE && u->nuse[kt] == 1 && nd >= 3) {
        /* Kᵀ = Transpose(x, p) straight from another layout (e.g. [N, H, D] -> [H, D, N]):
         * the same transpose with its last two axes swapped gives K */
        m->k_rewrite = pk;
        k = kt;
    } else {
        return false;
    }
    /* scale on K (some exporters split it between Q and K) */
    vka__node *pks = m->k_rewrite ? NULL : producer(g, k);
    if (pks && scalar_operand(g, pks, &c, &other, &cf) && (pks->sub == VKA_MUL || (pks->sub == VKA_DIV && !cf)) &&
        g->vals[other].ndim == g->vals[k].ndim) {
        scale *= pks->sub == VKA_MUL ? c : 1.0 / c;
        k = other;
    }
    /* P · V: the softmax's only reader */
    if (u->nuse[s->out] != 1 || u->reader[s->out] < 0)
        return false;
    vka__node *pv = &g->nodes[u->reader[s->out]];
    if (pv->op != VKA__OP_MATMUL || pv->in[0] != s->out || pv->act || pv->bias >= 0 || pv->residual >= 0)
        return false;
    vka_val v = pv->in[1];
    /* shapes: q [.., Nq, D], k [.., Nk, D], v [.., Nk, D] with equal leading dims, rank 3 or 4 */
    vka__value kshape;
    const vka__value *vq = &g->vals[q], *vk = &g->vals[k], *vv = &g->vals[v];
    if (m->k_rewrite) { /* K's shape once the rewrite is done */
        kshape = *vk;
        kshape.shape[nd - 2] = vk->shape[nd - 1];
        kshape.shape[nd - 1] = vk->shape[nd - 2];
        vk = &kshape;
    }
    if (vq->ndim != vk->ndim || vq->ndim != vv->ndim || vq->ndim < 3 || vq->ndim > 4)
        return false;
    for (int i = 0; i < vq->ndim - 2; i++)
        if (vq->shape[i] != vk->shape[i] || vq->shape[i] != vv->shape[i])
            return false;
    int64_t nq = vq->shape[vq->ndim - 2], nk = vk->shape[vk->ndim - 2], d = vq->shape[vq->ndim - 1];
    if (vk->shape[vk->ndim - 1] != d || vv->shape[vv->ndim - 2] != nk || vv->shape[vv->ndim - 1] != d)
        return false;
    if (m->mask >= 0 && g->vals[m->mask].numel != nq * nk)
        return false; /* a mask that varies over batch or heads stays unfused */
    if (!vka__attn_head_dim_ok(d))
        return false; /* no flash kernel for this head dim: the naive path stays */
    m->q = q, m->k = k, m->v = v, m->pv = pv;
    m->scale = (float)scale;
    return true;
}

/* Attention node a (q, k, v of [B, H, N, D] or [B·H, N, D]) reads Q, K and V
 * through strides from the tensors the slices / transposes / reshapes before
 * it started from (DeiT: the packed QKV projection), and writes O where a
 * transpose after it (keeping D last) would have put it. */
static void attn_views(vka_graph *g, uses *u, vka__node *a)
{
    const vka__value *vq = &g->vals[a->in[0]], *vk = &g->vals[a->in[1]];
    int r = vq->ndim;
    vka_attn_desc d = vka_attn_default_desc();
    d.batch = r == 4 ? vq->shape[0] : 1;
    d.heads = vq->shape[r - 3];
    d.nq = vq->shape[r - 2];
    d.nk = vk->shape[r - 2];
    d.head_dim = vq->shape[r - 1];
    d.scale = a->scale;
    int64_t *strides[4] = {d.q_stride, d.k_stride, d.v_stride, d.o_stride};
    int64_t *offs[4] = {&d.q_offset, &d.k_offset, &d.v_offset, &d.o_offset};
    bool moved = false;
    for (int i = 0; i < 3; i++) {
        sview sv;
        sview_resolve(g, a->in[i], true, &sv);
        moved |= sv.base != a->in[i];
        a->in[i] = sv.base;
        /* (batch, head, row) strides; a lone batch of B·H heads takes any batch stride */
        strides[i][0] = r == 4 ? sv.st[0] : sv.st[0] * sv.shape[0];
        strides[i][1] = sv.st[r - 3];
        strides[i][2] = sv.st[r - 2];
        *offs[i] = sv.off;
        if (strides[i][0] == 0 && strides[i][1] == 0 && strides[i][2] == 0)
            strides[i][0] = 1; /* all zero means dense to vka_attention; B = H = N = 1 here */
    }
    /* O: the transpose that only reader applies, when it keeps D last */
    vka_val o = a->out;
    const vka__value *vo = &g->vals[o];
    int64_t ost[VKA_MAX_DIMS];
    dense_strides(r, vo->shape, ost);
    vka__node *t = sole_reader(g, u, o);
    if (t && t->op == VKA__OP_TRANSPOSE && !vo->is_output && t->perm[r - 1] == r - 1) {
        int64_t ys[VKA_MAX_DIMS];
        dense_strides(r, g->vals[t->out].shape, ys);
        for (int k = 0; k < r; k++)
            ost[t->perm[k]] = ys[k];
        absorb(g, a, t);
        moved = true;
    }
    if (!moved)
        return;
    d.o_stride[0] = r == 4 ? ost[0] : ost[0] * vo->shape[0];
    d.o_stride[1] = ost[r - 3];
    d.o_stride[2] = ost[r - 2];
    a->attn = d;
    a->attn_strided = true;
}

static int fuse_attention(vka_graph *g, uses *u)
{
    int count = 0;
    for (int i = 0; i < g->nnodes; i++) {
        attn_match m;
        if (g->nodes[i].dead || !match_attention(g, u, &g->nodes[i], &m))
            continue;
        if (m.k_rewrite) {
            vka__node *t = m.k_rewrite;
            vka__value *kv = &g->vals[t->out];
            int nd = kv->ndim, tp = t->perm[nd - 2];
            t->perm[nd - 2] = t->perm[nd - 1];
            t->perm[nd - 1] = tp;
            int64_t ts = kv->shape[nd - 2];
            kv->shape[nd - 2] = kv->shape[nd - 1];
            kv->shape[nd - 1] = ts;
        }
        vka__node *a = m.pv;
        a->op = VKA__OP_ATTENTION;
        a->in[0] = m.q, a->in[1] = m.k, a->in[2] = m.v;
        a->nin = 3;
        a->mask = m.mask;
        if (m.mask >= 0)
            a->in[a->nin++] = m.mask;
        a->scale = m.scale;
        count_uses(g, u);
        attn_views(g, u, a);
        count_uses(g, u);
        count++;
    }
    return count;
}

void vka__graph_mark_attention(vka_graph *g)
{
    uses u = {calloc((size_t)g->nvals + 1, sizeof(int)), calloc((size_t)g->nvals + 1, sizeof(int)), g->nvals + 1};
    count_uses(g, &u);
    for (int i = 0; i < g->nnodes; i++) {
        attn_match m;
        g->nodes[i].is_attention_softmax = !g->nodes[i].dead && match_attention(g, &u, &g->nodes[i], &m);
    }
    free(u.nuse);
    free(u.reader);
}

/* ---------------------------------------------------------------- LayerNorm */

static bool is_mean_last(vka_graph *g, const vka__node *n)
{
    return n && n->op == VKA__OP_REDUCE && n->sub == VKA_REDUCE_MEAN && n->axis == g->vals[n->in[0]].ndim - 1;
}

/* A constant of C elements that broadcasts along the last axis only. */
static bool per_channel(vka_graph *g, vka_val v, int64_t c)
{
    const vka__value *x = &g->vals[v];
    return vka__graph_is_const(g, v) && x->numel == c && x->ndim >= 1 && x->shape[x->ndim - 1] == c;
}

/* mean = ReduceMean(x); d = x - mean; var = ReduceMean(d^2); y = d / sqrt(var + eps) [* gamma] [+ beta]
 * -> one LayerNorm over the last axis. */
static int fuse_layernorm(vka_graph *g, uses *u)
{
    int count = 0;
    for (int i = 0; i < g->nnodes; i++) {
        vka__node *r1 = &g->nodes[i];
        if (r1->dead || !is_mean_last(g, r1))
            continue;
        vka_val x = r1->in[0];
        int64_t c = g->vals[x].shape[g->vals[x].ndim - 1];
        vka__node *sub = sole_reader(g, u, r1->out);
        if (!is_binary(sub, VKA_SUB) || sub->in[0] != x || sub->in[1] != r1->out || u->nuse[sub->out] != 2)
            continue;
        /* d is read by Pow(d, 2) (or Mul(d, d)) and by Div(d, std) */
        vka__node *sq = NULL, *div = NULL;
        for (int j = i + 1; j < g->nnodes; j++) {
            vka__node *n = &g->nodes[j];
            if (n->dead || n->op != VKA__OP_BINARY || (n->in[0] != sub->out && n->in[1] != sub->out))
                continue;
            double e;
            if ((is_binary(n, VKA_POW) && n->in[0] == sub->out && vka__const_scalar(g, n->in[1], &e) && e == 2.0) ||
                (is_binary(n, VKA_MUL) && n->in[0] == sub->out && n->in[1] == sub->out))
                sq = n;
            else if (is_binary(n, VKA_DIV) && n->in[0] == sub->out)
                div = n;
        }
        if (!sq || !div)
            continue;
        vka__node *r2 = sole_reader(g, u, sq->out);
        if (!is_mean_last(g, r2))
            continue;
        vka__node *add = sole_reader(g, u, r2->out);
        double eps;
        vka_val other;
        if (!is_binary(add, VKA_ADD) || !scalar_operand(g, add, &eps, &other, NULL))
            continue;
        vka__node *sqrt_n = sole_reader(g, u, add->out);
        if (!sqrt_n || sqrt_n->op != VKA__OP_UNARY || sqrt_n->sub != VKA_SQRT || div->in[1] != sqrt_n->out)
            continue;
        vka__node *last = div;
        vka_val gamma = VKA_NONE, beta = VKA_NONE;
        vka__node *mul = sole_reader(g, u, div->out);
        if (is_binary(mul, VKA_MUL) && !g->vals[div->out].is_output) {
            vka_val gv = mul->in[0] == div->out ? mul->in[1] : mul->in[0];
            if (per_channel(g, gv, c)) {
                gamma = gv;
                last = mul;
                vka__node *ad = sole_reader(g, u, mul->out);
                if (is_binary(ad, VKA_ADD) && !g->vals[mul->out].is_output) {
                    vka_val bv = ad->in[0] == mul->out ? ad->in[1] : ad->in[0];
                    if (per_channel(g, bv, c)) {
                        beta = bv;
                        last = ad;
                    }
                }
            }
        }
        /* gamma/beta may be shaped [1, 1, C]: the layernorm reads them as [C] */
        last->op = VKA__OP_LAYERNORM;
        last->in[0] = x;
        last->in[1] = gamma;
        last->in[2] = beta;
        last->nin = 3;
        last->axis = g->vals[x].ndim - 1;
        last->eps = (float)eps;
        count_uses(g, u);
        count++;
    }
    return count;
}

/* ---------------------------------------------------------------- RMSNorm */

/* y = x · 1/sqrt(ReduceMean(x², last axis) + eps) [· gamma], as T5-style RMSNorm
 * exports (DEIMv2's decoder): Pow(x, 2) or Mul(x, x), ReduceMean, Add(eps),
 * Sqrt, then Div(x, s) or Mul(x, Div(1, s)) or Mul(x, Reciprocal(s)), then an
 * optional Mul by a per-channel gamma -> one RMSNorm over the last axis. */
static int fuse_rmsnorm(vka_graph *g, uses *u)
{
    int count = 0;
    for (int i = 0; i < g->nnodes; i++) {
        vka__node *r1 = &g->nodes[i];
        if (r1->dead || !is_mean_last(g, r1))
            continue;
        vka__node *sq = producer(g, r1->in[0]);
        double e;
        if (!sq || u->nuse[r1->in[0]] != 1 ||
            !((is_binary(sq, VKA_POW) && vka__const_scalar(g, sq->in[1], &e) && e == 2.0) ||
              (is_binary(sq, VKA_MUL) && sq->in[0] == sq->in[1])))
            continue;
        vka_val x = sq->in[0];
        const vka__value *vx = &g->vals[x];
        if (vx->is_int || vx->ndim < 1 || g->vals[sq->out].numel != vx->numel)
            continue;
        int64_t c = vx->shape[vx->ndim - 1];
        vka__node *add = sole_reader(g, u, r1->out);
        double eps;
        vka_val other;
        if (!is_binary(add, VKA_ADD) || !scalar_operand(g, add, &eps, &other, NULL) || !(eps >= 0))
            continue;
        vka__node *sqrt_n = sole_reader(g, u, add->out);
        if (!sqrt_n || sqrt_n->op != VKA__OP_UNARY || sqrt_n->sub != VKA_SQRT)
            continue;
        vka__node *nx = sole_reader(g, u, sqrt_n->out), *last = NULL;
        double one;
        bool cf;
        if (is_binary(nx, VKA_DIV) && nx->in[0] == x && nx->in[1] == sqrt_n->out) {
            last = nx; /* x / s */
        } else if ((is_binary(nx, VKA_DIV) && scalar_operand(g, nx, &one, &other, &cf) && cf && one == 1.0) ||
                   (nx && nx->op == VKA__OP_UNARY && nx->sub == VKA_RECIPROCAL)) {
            vka__node *mul = sole_reader(g, u, nx->out); /* x · (1 / s) */
            if (is_binary(mul, VKA_MUL) && (mul->in[0] == x || mul->in[1] == x) && mul->in[0] != mul->in[1])
                last = mul;
        }
        if (!last || g->vals[last->out].numel != vx->numel)
            continue;
        vka_val gamma = VKA_NONE;
        vka__node *mg = sole_reader(g, u, last->out);
        if (is_binary(mg, VKA_MUL) && !g->vals[last->out].is_output) {
            vka_val gv = mg->in[0] == last->out ? mg->in[1] : mg->in[0];
            if (gv != last->out && per_channel(g, gv, c) && g->vals[mg->out].numel == vx->numel) {
                gamma = gv;
                last = mg;
            }
        }
        last->op = VKA__OP_RMSNORM;
        last->in[0] = x;
        last->in[1] = gamma;
        last->nin = 2;
        last->axis = vx->ndim - 1;
        last->eps = (float)eps;
        count_uses(g, u);
        count++;
    }
    return count;
}

/* ---------------------------------------------------------------- GELU */

/* x·0.5·(1 + erf(x/√2)) in either association -> one GELU node. */
static int fuse_gelu(vka_graph *g, uses *u)
{
    int count = 0;
    for (int i = 0; i < g->nnodes; i++) {
        vka__node *e = &g->nodes[i];
        if (e->dead || e->op != VKA__OP_UNARY || e->sub != VKA_ERF || u->nuse[e->out] != 1)
            continue;
        double c;
        vka_val x;
        bool cf;
        vka__node *d = producer(g, e->in[0]);
        if (!scalar_operand(g, d, &c, &x, &cf) ||
            !((d->sub == VKA_DIV && !cf && fabs(c - 1.4142135623730951) < 1e-3) || (d->sub == VKA_MUL && fabs(c - 0.7071067811865476) < 1e-3)))
            continue;
        vka__node *add = &g->nodes[u->reader[e->out]];
        vka_val other;
        if (!is_binary(add, VKA_ADD) || !scalar_operand(g, add, &c, &other, NULL) || c != 1.0 ||
            u->nuse[add->out] != 1)
            continue;
        vka__node *m1 = &g->nodes[u->reader[add->out]];
        if (!is_binary(m1, VKA_MUL))
            continue;
        vka_val o = m1->in[0] == add->out ? m1->in[1] : m1->in[0];
        vka__node *result = NULL;
        if (o == x && u->nuse[m1->out] == 1) { /* (x · (1+erf)) · 0.5 */
            vka__node *m2 = &g->nodes[u->reader[m1->out]];
            vka_val oo;
            if (is_binary(m2, VKA_MUL) && scalar_operand(g, m2, &c, &oo, NULL) && c == 0.5)
                result = m2;
        } else { /* (x · 0.5) · (1+erf) */
            vka__node *h = producer(g, o);
            vka_val hx;
            if (is_binary(h, VKA_MUL) && scalar_operand(g, h, &c, &hx, NULL) && c == 0.5 && hx == x)
                result = m1;
        }
        if (!result)
            continue;
        result->op = VKA__OP_UNARY;
        result->sub = VKA_GELU;
        result->in[0] = x;
        result->nin = 1;
        count_uses(g, u);
        count++;
    }
    return count;
}

/* Mul(x, Sigmoid(x)) -> one SiLU node (which GEMM and conv epilogues take). */
static int fuse_silu(vka_graph *g, uses *u)
{
    int count = 0;
    for (int i = 0; i < g->nnodes; i++) {
        vka__node *m = &g->nodes[i];
        if (m->dead || !is_binary(m, VKA_MUL))
            continue;
        for (int j = 0; j < 2; j++) {
            vka__node *sg = producer(g, m->in[j]);
            if (sg && sg->op == VKA__OP_UNARY && sg->sub == VKA_SIGMOID && sg->in[0] == m->in[1 - j] &&
                u->nuse[sg->out] == 1 && !g->vals[sg->out].is_output &&
                g->vals[m->out].numel == g->vals[sg->out].numel) {
                m->op = VKA__OP_UNARY;
                m->sub = VKA_SILU;
                m->in[0] = sg->in[0];
                m->nin = 1;
                count_uses(g, u);
                count++;
                break;
            }
        }
    }
    return count;
}

/* ---------------------------------------------------------------- deformable attention */

/* GridSample's grid from sampling locations in [0, 1]: Sub(Mul(L, 2), 1).
 * Returns L, or VKA_NONE when grid is not that. */
static vka_val grid_locations(vka_graph *g, vka_val grid)
{
    vka__node *sub = producer(g, grid);
    double c;
    vka_val o;
    bool cf;
    if (!is_binary(sub, VKA_SUB) || !scalar_operand(g, sub, &c, &o, &cf) || cf || c != 1.0)
        return VKA_NONE;
    vka__node *mul2 = producer(g, o);
    if (!is_binary(mul2, VKA_MUL) || !scalar_operand(g, mul2, &c, &o, NULL) || c != 2.0)
        return VKA_NONE;
    return o;
}

static bool available_before(vka_graph *g, vka_val v, const vka__node *at)
{
    int p = g->vals[v].producer;
    return p < 0 || p < (int)(at - g->nodes);
}

/* The matched subgraph's last node nx becomes one deform_attn over value V,
 * locations L and weights W (the rest dies in DCE), when all three exist
 * before nx. Returns 1 when it did. */
static int rewrite_as_deform(vka_graph *g, uses *u, vka__node *nx, vka_val V, vka_val L, vka_val W,
                             const vka_deform_attn_desc *d)
{
    if (!available_before(g, L, nx) || !available_before(g, W, nx) || !available_before(g, V, nx))
        return 0;
    nx->op = VKA__OP_DEFORM_ATTN;
    nx->in[0] = V, nx->in[1] = L, nx->in[2] = W;
    nx->nin = 3;
    nx->deform = *d;
    count_uses(g, u);
    return 1;
}

/* Follows reshapes (views) back to the first producer that is not one. */
static vka__node *through_reshapes(vka_graph *g, vka_val v, vka_val *src)
{
    vka__node *p = producer(g, v);
    while (p && p->op == VKA__OP_RESHAPE) {
        v = p->in[0];
        p = producer(g, v);
    }
    if (src)
        *src = v;
    return p;
}

static bool perm_is(const vka__node *t, int nd, const int *perm)
{
    if (!t || t->op != VKA__OP_TRANSPOSE)
        return false;
    for (int i = 0; i < nd; i++)
        if (t->perm[i] != perm[i])
            return false;
    return true;
}

/* Multi-scale deformable attention as D-FINE/DEIMv2 and RT-DETRv2 (its default,
 * grid-sample form) export it:
 *   value_l = Reshape(Slice(V [B,H,D,S], last axis, level l))       -> [B·H, D, h_l, w_l]
 *             (RT-DETRv2: Slice(Reshape(V, [B·H, D, S]), last axis, level l))
 *   grid    = Reshape(Transpose(2·L - 1, perm 0,2,1,3,4)), split by level -> [B·H, Nq, P_l, 2]
 *   y = Transpose(Reshape(ReduceSum(Concat_l(GridSample(value_l, grid_l)) · Reshape(Transpose(W)))))
 * -> one deform_attn(V, L [B,Nq,H,ΣP,2], W [B,Nq,H,ΣP]) with output [B, Nq, H·D]. */
static int fuse_deform(vka_graph *g, uses *u)
{
    int count = 0;
    for (int i = 0; i < g->nnodes; i++) {
        vka__node *cat = &g->nodes[i];
        if (cat->dead || cat->op != VKA__OP_CONCAT || cat->axis != 3 || cat->nin > VKA_DEFORM_MAX_LEVELS)
            continue;
        vka_deform_attn_desc d = vka_deform_attn_default_desc();
        d.value_layout = VKA_DEFORM_VALUE_BHDS;
        d.levels = cat->nin;
        vka_val V = VKA_NONE, Gr = VKA_NONE;
        int64_t s_next = 0, p_next = 0;
        bool ok = true;
        for (int l = 0; l < cat->nin && ok; l++) {
            vka__node *gs = producer(g, cat->in[l]);
            ok = gs && gs->op == VKA__OP_GRID_SAMPLE && gs->sub == 0;
            if (!ok)
                break;
            const vka__value *xv = &g->vals[gs->in[0]];
            vka_val src;
            vka__node *sl = through_reshapes(g, gs->in[0], &src);
            ok = sl && sl->op == VKA__OP_SLICE && xv->ndim == 4;
            if (!ok)
                break;
            const vka__value *vv = &g->vals[sl->in[0]];
            int nd = vv->ndim;
            ok = (nd == 4 || nd == 3) && sl->starts[nd - 1] == s_next && sl->steps[nd - 1] == 1 &&
                 g->vals[sl->out].shape[nd - 1] == xv->shape[2] * xv->shape[3];
            for (int a = 0; ok && a < nd - 1; a++)
                ok = g->vals[sl->out].shape[a] == vv->shape[a];
            /* RT-DETRv2 slices the levels after flattening [B, H, D, S] to [B·H, D, S] (a view):
             * the value is then the 4-D tensor behind the reshapes */
            vka_val v4 = sl->in[0];
            if (ok && nd == 3) {
                through_reshapes(g, sl->in[0], &v4);
                const vka__value *x4 = &g->vals[v4];
                ok = x4->ndim == 4 && x4->shape[0] * x4->shape[1] == vv->shape[0] && x4->shape[2] == vv->shape[1] &&
                     x4->shape[3] == vv->shape[2];
            }
            ok = ok && (V < 0 || V == v4);
            if (!ok)
                break;
            V = v4;
            d.spatial_shapes[l][0] = xv->shape[2];
            d.spatial_shapes[l][1] = xv->shape[3];
            s_next += xv->shape[2] * xv->shape[3];
            /* grid: a slice of Gr along the points axis */
            vka__node *gsl = producer(g, gs->in[1]);
            ok = gsl && gsl->op == VKA__OP_SLICE && (Gr < 0 || Gr == gsl->in[0]) && gsl->starts[2] == p_next &&
                 gsl->steps[2] == 1 && g->vals[gsl->in[0]].ndim == 4;
            if (!ok)
                break;
            Gr = gsl->in[0];
            d.points[l] = (int)g->vals[gsl->out].shape[2];
            p_next += d.points[l];
        }
        if (!ok || V < 0 || g->vals[V].shape[3] != s_next || g->vals[Gr].shape[2] != p_next)
            continue;
        /* grid = Reshape(Transpose(Sub(Mul(L, 2), 1), perm 0,2,1,3,4)) */
        vka_val gsrc;
        vka__node *gt = through_reshapes(g, Gr, &gsrc);
        if (!perm_is(gt, 5, (int[]){0, 2, 1, 3, 4}))
            continue;
        vka_val L = grid_locations(g, gt->in[0]);
        if (L == VKA_NONE)
            continue;
        /* weights: Mul(Concat, Reshape(Transpose(W, perm 0,2,1,3))) */
        vka__node *mw = u->nuse[cat->out] == 1 ? &g->nodes[u->reader[cat->out]] : NULL;
        if (!is_binary(mw, VKA_MUL))
            continue;
        vka_val wr = mw->in[0] == cat->out ? mw->in[1] : mw->in[0], wsrc;
        vka__node *wt = through_reshapes(g, wr, &wsrc);
        if (!perm_is(wt, 4, (int[]){0, 2, 1, 3}))
            continue;
        vka_val W = wt->in[0];
        /* ReduceSum over the points, reshapes, Transpose(0,2,1) */
        vka__node *rs = u->nuse[mw->out] == 1 ? &g->nodes[u->reader[mw->out]] : NULL;
        if (!rs || rs->op != VKA__OP_REDUCE || rs->sub != VKA_REDUCE_SUM || rs->axis != 3)
            continue;
        vka_val cur = rs->out;
        vka__node *nx = u->nuse[cur] == 1 ? &g->nodes[u->reader[cur]] : NULL;
        while (nx && nx->op == VKA__OP_RESHAPE && !g->vals[nx->out].is_output) {
            cur = nx->out;
            nx = u->nuse[cur] == 1 ? &g->nodes[u->reader[cur]] : NULL;
        }
        if (!perm_is(nx, 3, (int[]){0, 2, 1}))
            continue;
        const vka__value *vl = &g->vals[L], *vw = &g->vals[W], *vo = &g->vals[nx->out];
        const vka__value *vv = &g->vals[V];
        if (vl->ndim != 5 || vl->shape[3] != p_next || vw->ndim != 4 || vw->shape[3] != p_next ||
            vo->shape[2] != vv->shape[1] * vv->shape[2])
            continue;
        count += rewrite_as_deform(g, u, nx, V, L, W, &d);
    }
    return count;
}

static bool all_steps_one(const vka__node *sl, int nd)
{
    for (int a = 0; a < nd; a++)
        if (sl->steps[a] != 1)
            return false;
    return true;
}

/* Slice x of one run along `axis` (steps 1, the other axes whole): its start there, else -1. */
static int64_t slice_start_on(const vka_graph *g, const vka__node *sl, int axis)
{
    const vka__value *x = &g->vals[sl->in[0]], *y = &g->vals[sl->out];
    if (!all_steps_one(sl, x->ndim))
        return -1;
    for (int a = 0; a < x->ndim; a++)
        if (a != axis && (y->shape[a] != x->shape[a] || sl->starts[a] != 0))
            return -1;
    return sl->starts[axis];
}

/* Multi-scale deformable attention as RT-DETR v1 (Ultralytics) and Deformable-DETR's
 * multi_scale_deformable_attn_pytorch export it, the levels stacked on a new axis:
 *   value_l = Reshape(Transpose(Reshape(Slice(V [B,S,H,D], axis 1, level l)), 0,2,1)) -> [B·H, D, h_l, w_l]
 *   grid_l  = Reshape(Transpose(Gather(2·L - 1, axis 3, l), 0,2,1,3,4))              -> [B·H, Nq, P, 2]
 *             (L [B,Nq,H,levels,P,2]; a Gather of one index is a Slice and a Reshape)
 *   y = Transpose(Reshape(ReduceSum(Reshape(Concat_l(Unsqueeze(GridSample(value_l, grid_l), 3)))
 *                                   · Reshape(Transpose(W [B,Nq,H,levels,P], 0,2,1,3,4)))), 0,2,1)
 * -> one deform_attn(V, L, W) with output [B, Nq, H·D]. */
static int fuse_deform_stacked(vka_graph *g, uses *u)
{
    int count = 0;
    for (int i = 0; i < g->nnodes; i++) {
        vka__node *cat = &g->nodes[i];
        const vka__value *vc = &g->vals[cat->out];
        if (cat->dead || cat->op != VKA__OP_CONCAT || cat->axis != 3 || vc->ndim != 5 || cat->nin > VKA_DEFORM_MAX_LEVELS)
            continue;
        /* cat: [B·H, D, Nq, levels, P] */
        int64_t BH = vc->shape[0], D = vc->shape[1], Nq = vc->shape[2], NL = cat->nin, P = vc->shape[4];
        vka_deform_attn_desc d = vka_deform_attn_default_desc();
        d.value_layout = VKA_DEFORM_VALUE_BSHD;
        d.levels = cat->nin;
        vka_val V = VKA_NONE, G = VKA_NONE;
        int64_t s_next = 0;
        bool ok = P >= 1 && P <= 255;
        for (int l = 0; l < cat->nin && ok; l++) {
            /* Unsqueeze(GridSample(value_l, grid_l)): [B·H, D, Nq, P] -> [B·H, D, Nq, 1, P] */
            vka__node *gs = through_reshapes(g, cat->in[l], NULL);
            ok = gs && gs->op == VKA__OP_GRID_SAMPLE && gs->sub == 0 && g->vals[cat->in[l]].shape[3] == 1;
            if (!ok)
                break;
            const vka__value *xv = &g->vals[gs->in[0]], *yv = &g->vals[gs->out];
            ok = xv->shape[0] == BH && xv->shape[1] == D && yv->shape[2] == Nq && yv->shape[3] == P;
            /* value_l: Slice [B, S_l, H, D] -> Reshape [B, S_l, H·D] -> Transpose [B, H·D, S_l] -> Reshape */
            vka__node *tr = ok ? through_reshapes(g, gs->in[0], NULL) : NULL;
            ok = perm_is(tr, 3, (int[]){0, 2, 1});
            vka__node *sl = ok ? through_reshapes(g, tr->in[0], NULL) : NULL;
            ok = sl && sl->op == VKA__OP_SLICE && g->vals[sl->in[0]].ndim == 4 && (V < 0 || V == sl->in[0]);
            if (!ok)
                break;
            const vka__value *vv = &g->vals[sl->in[0]], *vs = &g->vals[sl->out], *vt = &g->vals[tr->in[0]];
            int64_t hw = xv->shape[2] * xv->shape[3];
            ok = slice_start_on(g, sl, 1) == s_next && vs->shape[1] == hw && vv->shape[0] * vv->shape[2] == BH &&
                 vv->shape[3] == D && vt->ndim == 3 && vt->shape[0] == vv->shape[0] && vt->shape[1] == hw &&
                 vt->shape[2] == vv->shape[2] * D;
            if (!ok)
                break;
            V = sl->in[0];
            d.spatial_shapes[l][0] = xv->shape[2];
            d.spatial_shapes[l][1] = xv->shape[3];
            d.points[l] = (int)P;
            s_next += hw;
            /* grid_l: Slice [B, Nq, H, 1, P, 2] of G at level l -> Reshape -> Transpose 0,2,1,3,4 -> Reshape */
            vka__node *gt = through_reshapes(g, gs->in[1], NULL);
            ok = perm_is(gt, 5, (int[]){0, 2, 1, 3, 4});
            vka__node *gsl = ok ? through_reshapes(g, gt->in[0], NULL) : NULL;
            ok = gsl && gsl->op == VKA__OP_SLICE && g->vals[gsl->in[0]].ndim == 6 && (G < 0 || G == gsl->in[0]);
            if (!ok)
                break;
            G = gsl->in[0];
            const vka__value *vg = &g->vals[G], *vgt = &g->vals[gt->in[0]];
            int64_t want[5] = {vv->shape[0], Nq, vv->shape[2], P, 2};
            ok = slice_start_on(g, gsl, 3) == l && g->vals[gsl->out].shape[3] == 1 && vg->shape[0] == vv->shape[0] &&
                 vg->shape[1] == Nq && vg->shape[2] == vv->shape[2] && vg->shape[3] == NL && vg->shape[4] == P &&
                 vg->shape[5] == 2 && vgt->ndim == 5;
            for (int a = 0; ok && a < 5; a++)
                ok = vgt->shape[a] == want[a];
        }
        if (!ok || V < 0 || g->vals[V].shape[1] != s_next)
            continue;
        /* G = Sub(Mul(L, 2), 1) */
        vka_val L = grid_locations(g, G);
        if (L == VKA_NONE)
            continue;
        /* Reshape(cat) [B·H, D, Nq, levels·P] · Reshape(Transpose(W, 0,2,1,3,4)) [B·H, 1, Nq, levels·P] */
        vka_val cur = cat->out;
        vka__node *mw = sole_reader(g, u, cur);
        while (mw && mw->op == VKA__OP_RESHAPE) {
            cur = mw->out;
            mw = sole_reader(g, u, cur);
        }
        if (!is_binary(mw, VKA_MUL) || cur == cat->out)
            continue;
        vka_val wr = mw->in[0] == cur ? mw->in[1] : mw->in[0];
        const vka__value *vf = &g->vals[cur], *vwr = &g->vals[wr], *vm = &g->vals[mw->out];
        int64_t fl[4] = {BH, D, Nq, NL * P}, wl[4] = {BH, 1, Nq, NL * P};
        ok = vf->ndim == 4 && vwr->ndim == 4 && vm->ndim == 4;
        for (int a = 0; ok && a < 4; a++)
            ok = vf->shape[a] == fl[a] && vwr->shape[a] == wl[a] && vm->shape[a] == fl[a];
        vka__node *wt = ok ? through_reshapes(g, wr, NULL) : NULL;
        if (!perm_is(wt, 5, (int[]){0, 2, 1, 3, 4}))
            continue;
        vka_val W = wt->in[0];
        /* ReduceSum over the points, reshapes to [B, H·D, Nq], Transpose(0,2,1) */
        vka__node *rs = sole_reader(g, u, mw->out);
        if (!rs || rs->op != VKA__OP_REDUCE || rs->sub != VKA_REDUCE_SUM || rs->axis != 3)
            continue;
        cur = rs->out;
        vka__node *nx = sole_reader(g, u, cur);
        while (nx && nx->op == VKA__OP_RESHAPE) {
            cur = nx->out;
            nx = sole_reader(g, u, cur);
        }
        if (!perm_is(nx, 3, (int[]){0, 2, 1}))
            continue;
        const vka__value *vl = &g->vals[L], *vw = &g->vals[W], *vv = &g->vals[V], *vo = &g->vals[cur];
        int64_t B = vv->shape[0], H = vv->shape[2];
        int64_t ls[6] = {B, Nq, H, NL, P, 2}, to[3] = {B, H * D, Nq};
        ok = vl->ndim == 6 && vw->ndim == 5 && vo->ndim == 3;
        for (int a = 0; ok && a < 6; a++)
            ok = vl->shape[a] == ls[a] && (a == 5 || vw->shape[a] == ls[a]);
        for (int a = 0; ok && a < 3; a++)
            ok = vo->shape[a] == to[a];
        if (ok)
            count += rewrite_as_deform(g, u, nx, V, L, W, &d);
    }
    return count;
}

/* ---------------------------------------------------------------- conv + per-channel affine */

/* A constant that scales or shifts each output channel of an NCHW tensor: [C, 1, 1] or [1, C, 1, 1]. */
static bool per_out_channel(vka_graph *g, vka_val v, int64_t c)
{
    const vka__value *x = &g->vals[v];
    if (!vka__graph_is_const(g, v) || x->numel != c || x->ndim < 3 || x->ndim > 4)
        return false;
    return x->shape[x->ndim - 3] == c && x->shape[x->ndim - 1] == 1 && x->shape[x->ndim - 2] == 1;
}

/* Conv (constant weights, no activation yet) followed by Mul(per-channel constant) and/or
 * Add(per-channel constant), as an exported BatchNormalization becomes: fold them into
 * new constant weights and bias (the originals may be shared, so they are copied). */
static int fuse_conv_affine(vka_graph *g, uses *u)
{
    int count = 0;
    for (int i = 0; i < g->nnodes; i++) {
        vka__node *cv = &g->nodes[i];
        if (cv->dead || cv->op != VKA__OP_CONV || cv->conv.act != VKA_ACT_NONE || !vka__graph_is_const(g, cv->in[1]) ||
            (cv->nin > 2 && !vka__graph_is_const(g, cv->in[2])))
            continue;
        const vka__value *w = &g->vals[cv->in[1]];
        if (w->ndim < 1 || w->shape[0] < 1) /* empty weights never reach here (zero-size rule); no division by 0 */
            continue;
        int64_t O = w->shape[0], per = w->numel / O;
        for (;;) {
            if (u->nuse[cv->out] != 1 || g->vals[cv->out].is_output)
                break;
            vka__node *c = &g->nodes[u->reader[cv->out]];
            bool mul = is_binary(c, VKA_MUL), add = is_binary(c, VKA_ADD);
            vka_val k = c->in[0] == cv->out ? c->in[1] : c->in[0];
            if ((!mul && !add) || !per_out_channel(g, k, O) || g->vals[c->out].numel != g->vals[cv->out].numel)
                break;
            float *nw = malloc(sizeof *nw * (size_t)w->numel), *nb = malloc(sizeof *nb * (size_t)O);
            if (!nw || !nb) {
                free(nw), free(nb);
                break; /* out of host memory: the unfused graph still runs */
            }
            for (int64_t o = 0; o < O; o++) {
                double kv = vka__const_at(g, k, o), b = cv->nin > 2 ? vka__const_at(g, cv->in[2], o) : 0;
                for (int64_t j = 0; j < per; j++) {
                    double wv = vka__const_at(g, cv->in[1], o * per + j);
                    nw[o * per + j] = (float)(mul ? wv * kv : wv);
                }
                nb[o] = (float)(mul ? b * kv : b + kv);
            }
            char nm[112];
            int64_t wshape[VKA_MAX_DIMS]; /* adding a value may move g->vals */
            int wnd = w->ndim;
            memcpy(wshape, w->shape, sizeof wshape);
            snprintf(nm, sizeof nm, "%.90s/w", c->name);
            vka_val vw = vka_graph_const(g, nm, VKA_F32, wnd, wshape, nw);
            snprintf(nm, sizeof nm, "%.90s/b", c->name);
            vka_val vb = vka_graph_const(g, nm, VKA_F32, 1, &O, nb);
            free(nw), free(nb);
            if (vw < 0 || vb < 0)
                return count;
            w = &g->vals[vw];
            cv->in[1] = vw;
            cv->in[2] = vb;
            cv->nin = 3;
            cv->out = c->out;
            g->vals[c->out].producer = i;
            c->dead = true;
            count_uses(g, u);
            count++;
        }
    }
    return count;
}

/* ---------------------------------------------------------------- Pad folding */

/* Can reader r take Pad pd's H/W amounts (b: begin, e: end) into its own
 * padding, reading pd's input x instead? Convs when the Pad's value is 0 (a
 * conv pads with zeros); max pools without padding of their own, holding the
 * Pad's value in the padding, when the pads stay inside the window and the
 * output keeps its size (ceil_mode counts from the leading pad). */
static bool pad_foldable(vka_graph *g, const vka__node *pd, const vka__node *r)
{
    const int64_t *b = pd->starts, *e = pd->steps;
    if (r->in[0] != pd->out || node_reads(r, pd->out) != 1) /* x, and only x */
        return false;
    if (r->op == VKA__OP_CONV)
        return pd->alpha == 0.0f;
    if (r->op != VKA__OP_POOL || r->sub != VKA_POOL_MAX || r->pool_padv)
        return false;
    const vka_pool_params *p = &r->pool;
    const vka__value *x = &g->vals[pd->in[0]], *y = &g->vals[r->out];
    for (int a = 0; a < 2; a++) {
        int64_t pa = b[2 + a], pb = e[2 + a], span = p->kernel[a] * p->dilation[a];
        if (p->pad[a] || p->pad[2 + a] || pa >= span || pb >= span ||
            vka__pool_len(x->shape[2 + a], pa, pb, p->kernel[a], p->dilation[a], p->stride[a], p->ceil_mode) !=
                y->shape[2 + a])
            return false;
    }
    return true;
}

/* A constant Pad of H and W (HGNetv2's stem pads once for a 2x2 conv and a
 * 2x2 max pool) disappears when every reader can take it into its padding. */
static int fold_pads(vka_graph *g, uses *u)
{
    int count = 0;
    for (int i = 0; i < g->nnodes; i++) {
        vka__node *pd = &g->nodes[i];
        if (pd->dead || pd->op != VKA__OP_PAD || pd->sub != VKA_PAD_CONSTANT || g->vals[pd->out].ndim != 4 ||
            g->vals[pd->out].is_output || u->nuse[pd->out] < 1)
            continue;
        const int64_t *b = pd->starts, *e = pd->steps;
        if (b[0] || b[1] || e[0] || e[1] || b[2] < 0 || b[3] < 0 || e[2] < 0 || e[3] < 0)
            continue;
        int nread = 0;
        bool ok = true;
        for (int j = i + 1; j < g->nnodes && ok; j++) {
            vka__node *r = &g->nodes[j];
            if (node_reads(r, pd->out))
                nread++, ok = pad_foldable(g, pd, r);
        }
        if (!ok || nread != u->nuse[pd->out])
            continue;
        for (int j = i + 1; j < g->nnodes; j++) {
            vka__node *r = &g->nodes[j];
            if (r->dead || r->in[0] != pd->out)
                continue;
            r->in[0] = pd->in[0];
            int64_t *pad = r->op == VKA__OP_CONV ? r->conv.pad : r->pool.pad;
            pad[0] += b[2], pad[1] += b[3], pad[2] += e[2], pad[3] += e[3];
            if (r->op == VKA__OP_POOL)
                r->pool_padv = true, r->alpha = pd->alpha;
        }
        count_uses(g, u);
        count++;
    }
    return count;
}

/* ---------------------------------------------------------------- conv epilogues */

static vka_act act_of(int unary)
{
    switch (unary) {
    case VKA_RELU: return VKA_ACT_RELU;
    case VKA_GELU: return VKA_ACT_GELU_ERF;
    case VKA_GELU_TANH: return VKA_ACT_GELU_TANH;
    case VKA_SILU: return VKA_ACT_SILU;
    case VKA_SIGMOID: return VKA_ACT_SIGMOID;
    default: return VKA_ACT_NONE;
    }
}

/* A constant the same for every element of an output channel: a scalar, or
 * per channel ([O], [O, 1, 1], [1, O, 1, 1]). */
static bool chan_const(vka_graph *g, vka_val v, int64_t O)
{
    const vka__value *x = &g->vals[v];
    if (!vka__graph_is_const(g, v) || x->is_int)
        return false;
    return x->numel == 1 || per_out_channel(g, v, O) || (x->ndim == 1 && x->numel == O);
}

/* That constant as a new [O] constant (VKA_NONE when out of memory). */
static vka_val chan_vector(vka_graph *g, vka_val v, int64_t O, const char *name)
{
    float *d = malloc(sizeof *d * (size_t)O);
    if (!d)
        return VKA_NONE;
    bool scalar = g->vals[v].numel == 1;
    for (int64_t o = 0; o < O; o++)
        d[o] = (float)vka__const_at(g, v, scalar ? 0 : o);
    vka_val r = vka_graph_const(g, name, VKA_F32, 1, &O, d);
    free(d);
    return r;
}

/* Conv followed by an activation, a per-channel (or scalar) Mul and Add
 * (DEIMv2's learnable affine after the activation) and a residual Add, in the
 * order the conv epilogue applies them (conv_common.glsl): bias, residual when
 * an activation follows it (ResNet: relu(conv + shortcut)), activation, scale,
 * shift, residual. Mul/Add right after a conv without activation are folded
 * into its weights by fuse_conv_affine first. Runs before fuse_eltwise, which
 * would otherwise swallow these nodes into elementwise programs. */
static int fuse_conv_epilogue(vka_graph *g, uses *u)
{
    int count = 0;
    for (int i = 0; i < g->nnodes; i++) {
        vka__node *cv = &g->nodes[i];
        if (cv->dead || cv->op != VKA__OP_CONV || g->vals[cv->out].ndim != 4)
            continue;
        int64_t O = g->vals[cv->out].shape[1];
        for (;;) {
            vka_val out = cv->out;
            vka__node *c = sole_reader(g, u, out);
            if (!c || g->vals[out].is_output || g->vals[c->out].numel != g->vals[out].numel ||
                g->vals[c->out].dtype != g->vals[out].dtype)
                break;
            bool has_scale = cv->nin > 3 && cv->in[3] >= 0, has_shift = cv->nin > 4 && cv->in[4] >= 0;
            if (c->op == VKA__OP_UNARY && act_of(c->sub) && cv->conv.act == VKA_ACT_NONE && !has_scale && !has_shift) {
                cv->conv.act = act_of(c->sub);
                cv->conv_res_pre = cv->residual >= 0;
                absorb(g, cv, c);
                count_uses(g, u);
                count++;
                continue;
            }
            bool mul = is_binary(c, VKA_MUL), add = is_binary(c, VKA_ADD);
            if (!mul && !add)
                break;
            vka_val k = c->in[0] == out ? c->in[1] : c->in[0];
            if (k == out)
                break;
            if (chan_const(g, k, O) && !has_shift && cv->residual < 0 && !(mul && has_scale)) {
                char nm[112];
                snprintf(nm, sizeof nm, "%.90s/%s", c->name, mul ? "scale" : "shift");
                vka_val vk = chan_vector(g, k, O, nm);
                if (vk < 0)
                    return count;
                cv = &g->nodes[i]; /* (values may have moved, nodes not) */
                for (int j = cv->nin; j < 5; j++)
                    cv->in[j] = VKA_NONE;
                cv->nin = 5;
                cv->in[mul ? 3 : 4] = vk;
                absorb(g, cv, c);
                count_uses(g, u);
                count++;
                continue;
            }
            const vka__value *vr = &g->vals[k], *vo = &g->vals[out];
            if (add && cv->residual < 0 && vr->numel == vo->numel && vr->dtype == vo->dtype && !vr->is_int &&
                available_before(g, k, cv)) {
                cv->residual = k;
                cv->conv_res_pre = false;
                absorb(g, cv, c);
                count_uses(g, u);
                count++;
                continue;
            }
            break;
        }
    }
    return count;
}

/* The kernel of every conv (vka__conv_plan: measured on the device), and
 * constant weights packed (vka_conv_pack_weights) where that kernel wants them. */
static int plan_convs(vka_graph *g)
{
    int count = 0;
    for (int i = 0; i < g->nnodes; i++) {
        vka__node *cv = &g->nodes[i];
        if (cv->dead || cv->op != VKA__OP_CONV || cv->conv_packed)
            continue;
        const vka__value *w = &g->vals[cv->in[1]], *x = &g->vals[cv->in[0]];
        if (w->ndim != 4 || x->ndim != 4 || w->is_int)
            continue;
        bool packed;
        bool wc = vka__graph_is_const(g, cv->in[1]); /* rec_conv hands constant weights to the kernel */
        int v = vka__conv_plan(g->ctx, x->dtype, x->shape, w->shape, &cv->conv, wc, &packed);
        if (v < 0 || (packed && !wc))
            continue; /* vka_conv2d_ex chooses when recorded */
        cv->conv_kernel = v + 1;
        if (!packed)
            continue;
        int64_t O = w->shape[0], cg = w->shape[1], KH = w->shape[2], KW = w->shape[3];
        int64_t cg4 = (cg + 3) / 4 * 4, shape[4] = {O, KH, KW, cg4};
        float *dst = malloc(sizeof *dst * (size_t)(O * KH * KW * cg4));
        if (!dst) {
            cv->conv_kernel = 0;
            return count; /* out of host memory: the OIHW weights still run */
        }
        vka_conv_pack_weights((const float *)w->host, O, cg, KH, KW, dst); /* a constant's floats */
        char nm[112];
        snprintf(nm, sizeof nm, "%.90s/wpack", cv->name);
        vka_val vw = vka_graph_const(g, nm, VKA_F32, 4, shape, dst);
        free(dst);
        cv = &g->nodes[i];
        if (vw < 0) {
            cv->conv_kernel = 0;
            return count;
        }
        cv->in[1] = vw;
        cv->conv_packed = true;
        count++;
    }
    return count;
}

/* ---------------------------------------------------------------- GEMM epilogues */

static int fuse_epilogues(vka_graph *g, uses *u)
{
    int count = 0;
    for (int i = 0; i < g->nnodes; i++) {
        vka__node *gm = &g->nodes[i];
        if (gm->dead || (gm->op != VKA__OP_MATMUL && gm->op != VKA__OP_GEMM))
            continue;
        for (;;) {
            vka_val out = gm->out;
            if (u->nuse[out] != 1 || g->vals[out].is_output)
                break;
            const vka__value *vo = &g->vals[out];
            int64_t n = vo->shape[vo->ndim - 1];
            /* the epilogue op may read the result through reshapes (a view: the
             * same memory), e.g. [N, C] -> [1, N, C] before a residual add */
            vka_val cur = out;
            vka__node *c = sole_reader(g, u, cur);
            while (c && c->op == VKA__OP_RESHAPE && !g->vals[c->out].is_output && u->nuse[c->out] == 1) {
                cur = c->out;
                c = sole_reader(g, u, cur);
            }
            if (!c)
                break;
            const vka__value *vcur = &g->vals[cur];
            bool has_bias = gm->bias >= 0 || (gm->op == VKA__OP_GEMM && gm->nin > 2);
            if (is_binary(c, VKA_ADD) && !has_bias && gm->act == VKA_ACT_NONE && gm->residual < 0 &&
                vcur->shape[vcur->ndim - 1] == n) {
                vka_val o = c->in[0] == cur ? c->in[1] : c->in[0];
                const vka__value *vb = &g->vals[o];
                bool row = vka__graph_is_const(g, o) && vb->numel == n && vb->shape[vb->ndim - 1] == n &&
                           g->vals[c->out].numel == vo->numel;
                if (row) {
                    gm->bias = o;
                    absorb(g, gm, c);
                    count_uses(g, u);
                    count++;
                    continue;
                }
            }
            if (c->op == VKA__OP_UNARY && gm->act == VKA_ACT_NONE && gm->residual < 0 && act_of(c->sub)) {
                gm->act = act_of(c->sub);
                absorb(g, gm, c);
                count_uses(g, u);
                count++;
                continue;
            }
            if (is_binary(c, VKA_ADD) && gm->residual < 0) {
                vka_val o = c->in[0] == cur ? c->in[1] : c->in[0];
                const vka__value *vr = &g->vals[o];
                bool same = vr->numel == vo->numel && g->vals[c->out].numel == vo->numel &&
                            vr->dtype == vo->dtype && !vr->is_int && o != cur;
                if (same && available_before(g, o, gm)) {
                    gm->residual = o;
                    absorb(g, gm, c);
                    count_uses(g, u);
                    count++;
                    continue;
                }
            }
            break;
        }
    }
    return count;
}

/* ---------------------------------------------------------------- elementwise programs */

/* A node the elementwise program can compute: float unary, binary or clip. */
static bool ew_able(const vka_graph *g, const vka__node *n)
{
    if (!n || n->dead || n->out2 >= 0 || (n->op != VKA__OP_BINARY && n->op != VKA__OP_UNARY && n->op != VKA__OP_CLIP))
        return false;
    const vka__value *o = &g->vals[n->out];
    if (o->is_int || (o->dtype != VKA_F32 && o->dtype != VKA_F16) || o->ndim > VKA_MAX_DIMS)
        return false;
    if (n->op == VKA__OP_UNARY && (n->sub < 0 || n->sub >= VKA_UNARY_COUNT))
        return false;
    if (n->op == VKA__OP_BINARY && (n->sub < 0 || n->sub >= VKA_BINARY_COUNT))
        return false;
    int nin = n->op == VKA__OP_BINARY ? 2 : 1;
    for (int i = 0; i < nin; i++) {
        const vka__value *x = &g->vals[n->in[i]];
        if (x->is_int || x->dtype != o->dtype)
            return false;
    }
    return true;
}

static bool same_shape(const vka__value *a, const vka__value *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int k = 0; k < a->ndim; k++)
        if (a->shape[k] != b->shape[k])
            return false;
    return true;
}

#define EW_MAX_NODES VKA_ELTWISE_MAX_CODE

typedef struct {
    int node[EW_MAX_NODES];      /* node indices, ascending (topological) */
    int n;
} ew_cluster;

static bool in_cluster(const ew_cluster *c, vka_val v, const vka_graph *g)
{
    int p = g->vals[v].producer;
    for (int i = 0; i < c->n; i++)
        if (c->node[i] == p && !g->nodes[p].dead)
            return true;
    return false;
}

/* Compiles cluster c (its last node the root, whose output the program
 * writes) into d over inputs ins. False when it does not fit the kernel:
 * registers, inputs, immediates, instructions, or more than 4 separate axes. */
static bool ew_compile(vka_graph *g, const ew_cluster *c, vka_eltwise_desc *d, vka_val *ins, int *nin, bool *walked)
{
    memset(d, 0, sizeof *d);
    *nin = 0;
    *walked = false;
    const vka__node *root = &g->nodes[c->node[c->n - 1]];
    const vka__value *vy = &g->vals[root->out];
    int reg_of[EW_MAX_NODES];    /* register holding each node's result */
    int left[EW_MAX_NODES];      /* reads of each node's result still to come in the program */
    bool busy[4] = {false};
    for (int i = 0; i < c->n; i++) {
        left[i] = 0;
        reg_of[i] = -1;
    }
    for (int i = 0; i < c->n; i++) {
        const vka__node *n = &g->nodes[c->node[i]];
        int nr = n->op == VKA__OP_BINARY ? 2 : 1;
        for (int j = 0; j < nr; j++)
            for (int k = 0; k < i; k++)
                if (g->nodes[c->node[k]].out == n->in[j])
                    left[k]++;
    }
    for (int i = 0; i < c->n; i++) {
        const vka__node *n = &g->nodes[c->node[i]];
        int nr = n->op == VKA__OP_BINARY ? 2 : 1, opnd[2] = {0, 0};
        for (int j = 0; j < nr; j++) {
            vka_val v = n->in[j];
            int k = -1;
            for (int q = 0; q < i; q++)
                if (g->nodes[c->node[q]].out == v)
                    k = q;
            if (k >= 0) {
                opnd[j] = VKA_EW_R(reg_of[k]);
                continue;
            }
            double cv;
            if (vka__const_scalar(g, v, &cv)) { /* an immediate */
                float f = (float)cv;
                int m = 0;
                while (m < d->nimm && memcmp(&d->imm[m], &f, sizeof f))
                    m++;
                if (m == d->nimm) {
                    if (d->nimm == VKA_ELTWISE_MAX_IMM)
                        return false;
                    d->imm[d->nimm++] = f;
                }
                opnd[j] = VKA_EW_C(m);
                continue;
            }
            /* an input, read through strides over y's axes (numpy alignment) */
            sview sv;
            sview_resolve(g, v, false, &sv);
            if (g->vals[sv.base].dtype != vy->dtype)
                sview_dense(g, v, &sv);
            int64_t st[VKA_MAX_DIMS] = {0};
            for (int a = 0; a < vy->ndim; a++) {
                int av = a - (vy->ndim - sv.ndim);
                st[a] = av >= 0 && sv.shape[av] != 1 ? sv.st[av] : 0;
                if (st[a] < 0)
                    return false;
            }
            int m = 0;
            while (m < *nin && !(ins[m] == sv.base && d->offset[m] == sv.off &&
                                 !memcmp(d->stride[m], st, sizeof(int64_t) * (size_t)vy->ndim)))
                m++;
            if (m == *nin) {
                if (*nin == VKA_ELTWISE_MAX_IN)
                    return false;
                ins[m] = sv.base;
                d->strided[m] = 1;
                d->offset[m] = sv.off;
                memcpy(d->stride[m], st, sizeof st);
                *walked |= sv.base != v;
                (*nin)++;
            }
            opnd[j] = VKA_EW_X(m);
        }
        /* operands read: free the registers of results read for the last time */
        for (int j = 0; j < nr; j++)
            for (int q = 0; q < i; q++)
                if (g->nodes[c->node[q]].out == n->in[j] && --left[q] == 0)
                    busy[reg_of[q]] = false;
        int dst = 0;
        if (i < c->n - 1) {
            while (dst < 4 && busy[dst])
                dst++;
            if (dst == 4)
                return false;
            busy[dst] = true;
        }
        reg_of[i] = dst;
        int ncode = n->op == VKA__OP_CLIP ? 2 : 1;
        if (d->ncode + ncode > VKA_ELTWISE_MAX_CODE)
            return false;
        if (n->op == VKA__OP_BINARY) {
            d->code[d->ncode++] = (vka_eltwise_instr){(uint8_t)n->sub, (uint8_t)dst, (uint8_t)opnd[0], (uint8_t)opnd[1]};
        } else if (n->op == VKA__OP_UNARY) {
            d->code[d->ncode++] = (vka_eltwise_instr){(uint8_t)(VKA_EW_UNARY + n->sub), (uint8_t)dst, (uint8_t)opnd[0], 0};
        } else { /* clip: x < lo ? lo : x, then > hi ? hi */
            float b[2] = {n->alpha, n->beta};
            int bi[2];
            for (int j = 0; j < 2; j++) {
                int m = 0;
                while (m < d->nimm && memcmp(&d->imm[m], &b[j], sizeof b[j]))
                    m++;
                if (m == d->nimm) {
                    if (d->nimm == VKA_ELTWISE_MAX_IMM)
                        return false;
                    d->imm[d->nimm++] = b[j];
                }
                bi[j] = VKA_EW_C(m);
            }
            d->code[d->ncode++] = (vka_eltwise_instr){VKA_MAX, (uint8_t)dst, (uint8_t)opnd[0], (uint8_t)bi[0]};
            d->code[d->ncode++] = (vka_eltwise_instr){VKA_MIN, (uint8_t)dst, (uint8_t)VKA_EW_R(dst), (uint8_t)bi[1]};
        }
    }
    /* the kernel walks at most 4 separate axes */
    int64_t shape[VKA_MAX_DIMS], st[VKA_ELTWISE_MAX_IN][VKA_MAX_DIMS] = {{0}};
    memcpy(shape, vy->shape, sizeof shape);
    for (int m = 0; m < *nin; m++)
        memcpy(st[m], d->stride[m], sizeof st[m]);
    int rank = vy->ndim;
    for (int k = 0; k < rank; k++)
        if (shape[k] < 1)
            return false;
    int merged = rank ? vka__merge_axes(rank, shape, VKA_ELTWISE_MAX_IN, st) : 1;
    return merged <= 4;
}

/* How many reads of v come from the cluster's nodes. */
static int reads_in(const vka_graph *g, const ew_cluster *c, vka_val v)
{
    int r = 0;
    for (int i = 0; i < c->n; i++) {
        const vka__node *n = &g->nodes[c->node[i]];
        for (int j = 0; j < n->nin; j++)
            r += n->in[j] == v;
    }
    return r;
}

/* Can a program absorb a copy of p, the producer of v, which readers outside
 * it still read? Where every reader of v is an elementwise node (or program),
 * each can take its own copy and p's dispatch goes away once the last does:
 * recomputing an elementwise op costs less than a dispatch and a round trip
 * of v through memory (DEIMv2's box decoding: x ± w/2 read by two concats'
 * programs). */
static bool ew_copyable(const vka_graph *g, const vka__node *p, vka_val v)
{
    if (p->op == VKA__OP_ELTWISE)
        return false;
    for (int i = 0; i < g->nnodes; i++) {
        const vka__node *n = &g->nodes[i];
        if (node_reads(n, v) && n->op != VKA__OP_ELTWISE && !ew_able(g, n))
            return false;
    }
    return true;
}

/* Chains of elementwise nodes on one shape -> one vka_eltwise program each:
 * from each remaining elementwise node (latest first) as the root, producers
 * whose result only the chain reads are absorbed while the program fits, and
 * copies of producers whose result only elementwise nodes read (each reader
 * takes a copy; the producer goes when the last one has). A lone node is
 * rewritten only when its program reads through a slice, transpose or
 * reshape (which then disappears). */
static int fuse_eltwise(vka_graph *g, uses *u)
{
    int count = 0;
    for (int i = g->nnodes - 1; i >= 0; i--) {
        vka__node *root = &g->nodes[i];
        if (!ew_able(g, root))
            continue;
        const vka__value *vy = &g->vals[root->out];
        ew_cluster c = {.node = {i}, .n = 1};
        vka_eltwise_desc d;
        vka_val ins[VKA_ELTWISE_MAX_IN];
        int nin;
        bool walked;
        if (!ew_compile(g, &c, &d, ins, &nin, &walked))
            continue;
        /* grow: producers of the cluster's operands, nearest first */
        bool grew = true;
        int rejected[EW_MAX_NODES * 2], nrej = 0;
        while (grew && c.n < EW_MAX_NODES) {
            grew = false;
            for (int k = c.n - 1; k >= 0 && !grew; k--) {
                const vka__node *n = &g->nodes[c.node[k]];
                for (int j = 0; j < n->nin && !grew; j++) {
                    vka_val v = n->in[j];
                    vka__node *p = producer(g, v);
                    if (!ew_able(g, p) || in_cluster(&c, v, g) || g->vals[v].is_output ||
                        !same_shape(&g->vals[v], vy) || (reads_in(g, &c, v) != u->nuse[v] && !ew_copyable(g, p, v)))
                        continue;
                    int pi = (int)(p - g->nodes);
                    bool rej = false;
                    for (int r = 0; r < nrej; r++)
                        rej |= rejected[r] == pi;
                    if (rej)
                        continue;
                    ew_cluster t = c; /* insert pi keeping the indices ascending */
                    int at = 0;
                    while (at < t.n && t.node[at] < pi)
                        at++;
                    memmove(&t.node[at + 1], &t.node[at], sizeof(int) * (size_t)(t.n - at));
                    t.node[at] = pi;
                    t.n++;
                    vka_eltwise_desc td;
                    vka_val tins[VKA_ELTWISE_MAX_IN];
                    int tnin;
                    bool tw;
                    if (ew_compile(g, &t, &td, tins, &tnin, &tw)) {
                        c = t, d = td, nin = tnin, walked = tw;
                        memcpy(ins, tins, sizeof tins);
                        grew = true;
                    } else if (nrej < EW_MAX_NODES * 2) {
                        rejected[nrej++] = pi;
                    }
                }
            }
        }
        if (c.n < 2 && !walked)
            continue;
        root->op = VKA__OP_ELTWISE;
        for (int j = 0; j < nin; j++)
            root->in[j] = ins[j];
        root->nin = nin;
        root->ew = d;
        count_uses(g, u);
        count++;
    }
    return count;
}

/* ---------------------------------------------------------------- absorbed nodes */

/* The data flow before the passes, to say afterwards which node absorbed each
 * node they removed. */
typedef struct {
    vka__op *op;
    vka_val (*in)[VKA__MAX_IN];
    int *nin;
    vka_val *out;
    bool *dead;
} flow;

static bool flow_save(const vka_graph *g, flow *f)
{
    size_t n = (size_t)g->nnodes + 1;
    f->op = malloc(sizeof *f->op * n);
    f->in = malloc(sizeof *f->in * n);
    f->nin = malloc(sizeof *f->nin * n);
    f->out = malloc(sizeof *f->out * n);
    f->dead = malloc(sizeof *f->dead * n);
    if (!f->op || !f->in || !f->nin || !f->out || !f->dead)
        return false;
    for (int i = 0; i < g->nnodes; i++) {
        f->op[i] = g->nodes[i].op;
        memcpy(f->in[i], g->nodes[i].in, sizeof f->in[i]);
        f->nin[i] = g->nodes[i].nin;
        f->out[i] = g->nodes[i].out;
        f->dead[i] = g->nodes[i].dead;
    }
    return true;
}

static void flow_free(flow *f)
{
    free(f->op), free(f->in), free(f->nin), free(f->out), free(f->dead);
}

/* For each node the passes removed: the node now producing its old output
 * (epilogues, folding), else the nearest live node its old output flowed into
 * (what a pattern rewrite replaced, e.g. the slices before an attention). */
static void record_absorbed(vka_graph *g, const flow *f)
{
    int n = g->nnodes;
    int *queue = malloc(sizeof *queue * (size_t)(n + 1));
    char *seen = malloc((size_t)n + 1);
    if (!queue || !seen) {
        free(queue), free(seen);
        return;
    }
    for (int j = 0; j < n; j++) { /* first the nodes whose output another node now writes */
        vka__node *d = &g->nodes[j];
        int p = !d->dead || f->dead[j] || f->out[j] < 0 ? -1 : g->vals[f->out[j]].producer;
        if (p >= 0 && p != j && !g->nodes[p].dead)
            d->into = p;
    }
    for (int j = 0; j < n; j++) {
        vka__node *d = &g->nodes[j];
        if (!d->dead || f->dead[j] || f->out[j] < 0 || d->into >= 0)
            continue;
        /* breadth first along the old edges (nodes come in index order) to a
         * live node or to one already placed above */
        memset(seen, 0, (size_t)n);
        int head = 0, tail = 0;
        queue[tail++] = j;
        seen[j] = 1;
        while (head < tail && d->into < 0) {
            int a = queue[head++];
            for (int r = a + 1; r < n && d->into < 0; r++) {
                if (seen[r] || f->dead[r])
                    continue;
                bool reads = false;
                for (int k = 0; k < f->nin[r] && !reads; k++)
                    reads = f->in[r][k] == f->out[a];
                if (!reads)
                    continue;
                seen[r] = 1;
                if (!g->nodes[r].dead)
                    d->into = r;
                else if (g->nodes[r].into >= 0 && g->vals[f->out[r]].producer == g->nodes[r].into)
                    d->into = g->nodes[r].into;
                else
                    queue[tail++] = r;
            }
        }
    }
    for (int j = 0; j < n; j++) /* a removed node shows its op as imported, not what a rewrite made of it */
        if (g->nodes[j].dead && !f->dead[j])
            g->nodes[j].op = f->op[j];
    free(queue), free(seen);
}

vka_status vka__graph_fuse(vka_graph *g)
{
    /* room for the constants folding adds: at most two per node it removes */
    int cap = g->nvals + 2 * g->nnodes + 16;
    uses u = {calloc((size_t)cap, sizeof(int)), calloc((size_t)cap, sizeof(int)), cap};
    flow f = {0};
    if (!u.nuse || !u.reader || !flow_save(g, &f)) {
        free(u.nuse), free(u.reader), flow_free(&f);
        return vka__err(g->ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    count_uses(g, &u);
    int npd = fold_pads(g, &u);
    int nc = fuse_conv_affine(g, &u);
    int nl = fuse_layernorm(g, &u);
    int nr = fuse_rmsnorm(g, &u);
    int na = fuse_attention(g, &u);
    int nd = fuse_deform(g, &u);
    nd += fuse_deform_stacked(g, &u);
    int ng = fuse_gelu(g, &u);
    int ns = fuse_silu(g, &u);
    int nce = fuse_conv_epilogue(g, &u);
    int ne = fuse_epilogues(g, &u);
    /* last: what the kernel-specific fusions above left of elementwise chains */
    int nw = fuse_eltwise(g, &u);
    int np = plan_convs(g);
    count_uses(g, &u);
    vka__log(g->ctx, VKA_LOG_INFO,
             "fusion: %d pads folded, %d conv affine, %d layernorm, %d rmsnorm, %d attention, %d deformable attention, "
             "%d GELU, %d SiLU, %d conv epilogues, %d GEMM epilogues, %d elementwise programs; %d conv weights packed",
             npd, nc, nl, nr, na, nd, ng, ns, nce, ne, nw, np);
    record_absorbed(g, &f);
    flow_free(&f);
    free(u.nuse);
    free(u.reader);
    return VKA_OK;
}
