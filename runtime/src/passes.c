/* passes.c — fusions on the graph IR: the exported attention subgraph into
 * flash attention, Erf-GELU into one op, and bias / activation / residual into
 * GEMM epilogues. Nodes are rewritten in place (the node list stays in
 * topological order); what nothing reads any more is removed by the executor's
 * dead-node pass. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

typedef struct {
    int *nuse;                   /* live readers of each value */
    int *reader;                 /* the last live reader of each value */
} uses;

static void count_uses(const vka_graph *g, uses *u)
{
    memset(u->nuse, 0, sizeof *u->nuse * (size_t)g->nvals);
    for (int i = 0; i < g->nvals; i++)
        u->reader[i] = -1;
    for (int i = 0; i < g->nnodes; i++) {
        const vka__node *n = &g->nodes[i];
        if (n->dead)
            continue;
        vka_val in[VKA__MAX_IN + 3] = {0};
        int k = 0;
        for (int j = 0; j < n->nin; j++)
            if (n->in[j] >= 0)
                in[k++] = n->in[j];
        if (n->bias >= 0)
            in[k++] = n->bias;
        if (n->residual >= 0)
            in[k++] = n->residual;
        if (n->mask >= 0 && n->op == VKA__OP_ATTENTION && n->nin < 4)
            in[k++] = n->mask;
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

/* ---------------------------------------------------------------- attention */

typedef struct {
    vka__node *qk, *softmax, *pv;
    vka_val q, k, v, mask;
    float scale;
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
    if (!swaps_last_two(pk, nd))
        return false;
    vka_val k = pk->in[0];
    /* scale on K (some exporters split it between Q and K) */
    vka__node *pks = producer(g, k);
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
    const vka__value *vq = &g->vals[q], *vk = &g->vals[k], *vv = &g->vals[v];
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
    m->q = q, m->k = k, m->v = v, m->pv = pv;
    m->scale = (float)scale;
    return true;
}

static int fuse_attention(vka_graph *g, uses *u)
{
    int count = 0;
    for (int i = 0; i < g->nnodes; i++) {
        attn_match m;
        if (g->nodes[i].dead || !match_attention(g, u, &g->nodes[i], &m))
            continue;
        vka__node *a = m.pv;
        a->op = VKA__OP_ATTENTION;
        a->in[0] = m.q, a->in[1] = m.k, a->in[2] = m.v;
        a->nin = 3;
        a->mask = m.mask;
        if (m.mask >= 0)
            a->in[a->nin++] = m.mask;
        a->scale = m.scale;
        count_uses(g, u);
        count++;
    }
    return count;
}

void vka__graph_mark_attention(vka_graph *g)
{
    uses u = {calloc((size_t)g->nvals, sizeof(int)), calloc((size_t)g->nvals, sizeof(int))};
    count_uses(g, &u);
    for (int i = 0; i < g->nnodes; i++) {
        attn_match m;
        g->nodes[i].is_attention_softmax = !g->nodes[i].dead && match_attention(g, &u, &g->nodes[i], &m);
    }
    free(u.nuse);
    free(u.reader);
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

/* ---------------------------------------------------------------- GEMM epilogues */

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

/* Moves node c's output onto node gm (c disappears). */
static void absorb(vka_graph *g, vka__node *gm, vka__node *c)
{
    gm->out = c->out;
    g->vals[c->out].producer = (int)(gm - g->nodes);
    c->dead = true;
}

static bool available_before(vka_graph *g, vka_val v, const vka__node *at)
{
    int p = g->vals[v].producer;
    return p < 0 || p < (int)(at - g->nodes);
}

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
            vka__node *c = &g->nodes[u->reader[out]];
            const vka__value *vo = &g->vals[out];
            int64_t n = vo->shape[vo->ndim - 1];
            bool has_bias = gm->bias >= 0 || (gm->op == VKA__OP_GEMM && gm->nin > 2);
            if (is_binary(c, VKA_ADD) && !has_bias && gm->act == VKA_ACT_NONE && gm->residual < 0) {
                vka_val o = c->in[0] == out ? c->in[1] : c->in[0];
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
                vka_val o = c->in[0] == out ? c->in[1] : c->in[0];
                const vka__value *vr = &g->vals[o];
                bool same = vr->numel == vo->numel && g->vals[c->out].numel == vo->numel &&
                            vr->dtype == vo->dtype && !vr->is_int && o != out;
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

vka_status vka__graph_fuse(vka_graph *g)
{
    uses u = {calloc((size_t)g->nvals + 1, sizeof(int)), calloc((size_t)g->nvals + 1, sizeof(int))};
    if (!u.nuse || !u.reader) {
        free(u.nuse), free(u.reader);
        return vka__err(g->ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    count_uses(g, &u);
    int na = fuse_attention(g, &u);
    int ng = fuse_gelu(g, &u);
    int ne = fuse_epilogues(g, &u);
    vka__log(g->ctx, VKA_LOG_INFO, "fusion: %d attention, %d GELU, %d GEMM epilogues", na, ng, ne);
    free(u.nuse);
    free(u.reader);
    return VKA_OK;
}
