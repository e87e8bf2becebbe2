/* SPDX-License-Identifier: MIT */
/* exec.c — vka_graph_build (passes, liveness, buffer reuse, one recording) and
 * the per-inference path: upload -> replay -> download. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "op_shape.h"

vka_graph_build_params vka_graph_default_build_params(void)
{
    vka_graph_build_params p = {.fuse = 1, .profile = 0, .probe_attention = 0, .precision = VKA_PRECISION_F32,
                                 .device_memory_limit = 0};
    return p;
}

static vka_val root_of(const vka_graph *g, vka_val v)
{
    while (g->vals[v].alias != VKA_NONE)
        v = g->vals[v].alias;
    return v;
}

/* Marks nodes that no output depends on as dead. */
static vka_status eliminate_dead(vka_graph *g)
{
    bool *need = calloc((size_t)g->nvals + 1, 1);
    if (!need)
        return vka__err(g->ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory (dead-node pass)");
    for (int i = 0; i < g->noutputs; i++)
        need[g->outputs[i]] = true;
    for (int i = g->nnodes - 1; i >= 0; i--) {
        vka__node *n = &g->nodes[i];
        if (n->dead || !(need[n->out] || (n->out2 >= 0 && need[n->out2]))) {
            n->dead = true;
            continue;
        }
        vka_val in[VKA__NODE_MAX_READS];
        int k = vka__node_inputs(n, in);
        for (int j = 0; j < k; j++)
            need[in[j]] = true;
        if (n->lse >= 0)
            need[n->lse] = true;
    }
    free(need);
    return VKA_OK;
}

/* ---------------------------------------------------------------- memory plan */

/* vka_graph_build_params.device_memory_limit: may `bytes` more (for `what`) be allocated? */
static vka_status budget(vka_graph *g, size_t bytes, const char *what)
{
    uint64_t lim = g->params.device_memory_limit, have = g->input_bytes + g->weight_bytes + g->act_bytes;
    if (!lim || have + bytes <= lim)
        return VKA_OK;
    return vka__err(g->ctx, VKA_ERR_TOO_LARGE,
                    "the graph needs more than its device_memory_limit of %.1f MiB: %.1f MiB more for "
                    "%s on top of %.1f MiB of inputs, %.1f MiB of weights and %.1f MiB of activations placed so far",
                    lim / 1048576.0, bytes / 1048576.0, what, g->input_bytes / 1048576.0, g->weight_bytes / 1048576.0,
                    g->act_bytes / 1048576.0);
}

static vka_status buf_get(vka_graph *g, size_t bytes, int at, int *out)
{
    bytes = (bytes + 255) / 256 * 256;
    if (!bytes)
        bytes = 256;
    int best = -1;
    for (int i = 0; i < g->nbufs; i++)
        if (g->bufs[i].free_after < at && g->bufs[i].bytes >= bytes &&
            (best < 0 || g->bufs[i].bytes < g->bufs[best].bytes))
            best = i;
    if (best >= 0 && g->bufs[best].bytes <= 4 * bytes) {
        g->bufs[best].free_after = INT32_MAX;
        *out = best;
        return VKA_OK;
    }
    vka_status s = budget(g, bytes, "activations");
    if (s)
        return s;
    vka__buffer *nb = realloc(g->bufs, sizeof *nb * (size_t)(g->nbufs + 1));
    if (!nb)
        return vka__err(g->ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
    g->bufs = nb;
    int64_t n = (int64_t)bytes;
    vka_tensor *t = vka_tensor_create(g->ctx, VKA_U8, 1, &n);
    if (!t)
        return VKA_ERR_OUT_OF_MEMORY; /* the context has the message */
    g->bufs[g->nbufs] = (vka__buffer){.t = t, .bytes = bytes, .free_after = INT32_MAX};
    g->act_bytes += bytes;
    vka__log(g->ctx, VKA_LOG_DEBUG, "memory plan: buffer %d of %zu bytes at node %d", g->nbufs, bytes, at);
    *out = g->nbufs++;
    return VKA_OK;
}

static size_t value_bytes(const vka__value *v) { return (size_t)v->numel * vka_dtype_size(v->dtype); }

/* Gives value v a device tensor: a typed view of a pooled buffer, or, for a
 * value that shares another's memory (reshape, slice or concat views), a view
 * of that one's tensor (placed first) at its offset. */
static vka_status place(vka_graph *g, vka_val v, int at)
{
    vka__value *x = &g->vals[v];
    if (x->t)
        return VKA_OK;
    if (x->alias != VKA_NONE) {
        vka_status s = place(g, x->alias, at);
        if (s)
            return s;
        x = &g->vals[v];
        x->t = vka__tensor_view_typed(g->vals[x->alias].t, x->dtype, (size_t)x->alias_off, x->ndim, x->shape);
        if (!x->t)
            return VKA_ERR_OUT_OF_MEMORY;
        vka_tensor_set_name(x->t, x->name);
        return VKA_OK;
    }
    int b = -1;
    vka_status s = buf_get(g, value_bytes(x), at, &b);
    if (s)
        return s;
    x->buf = b;
    x->t = vka__tensor_view_typed(g->bufs[b].t, x->dtype, 0, x->ndim, x->shape);
    if (!x->t)
        return VKA_ERR_OUT_OF_MEMORY;
    vka_tensor_set_name(x->t, x->name);
    g->act_bytes_noreuse += value_bytes(x);
    return VKA_OK;
}

/* Uploads a constant (floats as F32, integers as I32). */
static vka_status place_const(vka_graph *g, vka_val v)
{
    vka__value *x = &g->vals[v];
    if (x->t)
        return VKA_OK;
    vka_status bs = budget(g, value_bytes(x), x->name);
    if (bs)
        return bs;
    x->t = vka_tensor_create(g->ctx, x->dtype, x->ndim, x->shape);
    if (!x->t)
        return vka__err(g->ctx, VKA_ERR_OUT_OF_MEMORY, "constant %s: %s", x->name, vka_context_last_error(g->ctx));
    vka_tensor_set_name(x->t, x->name);
    if (x->is_int) {
        int32_t *d = malloc(sizeof *d * (size_t)(x->numel ? x->numel : 1));
        if (!d)
            return vka__err(g->ctx, VKA_ERR_OUT_OF_MEMORY, "constant %s: out of host memory", x->name);
        for (int64_t i = 0; i < x->numel; i++) {
            int64_t w = ((const int64_t *)x->host)[i];
            d[i] = (int32_t)(w > INT32_MAX ? INT32_MAX : w < INT32_MIN ? INT32_MIN : w);
        }
        g->weight_bytes += vka_tensor_bytes(x->t);
        vka_status s = vka_tensor_upload(x->t, d, (size_t)x->numel * 4);
        free(d);
        return s;
    }
    g->weight_bytes += vka_tensor_bytes(x->t);
    if (x->dtype == VKA_F16) { /* the weights of an f16 graph, converted once */
        uint16_t *h = malloc(sizeof *h * (size_t)(x->numel ? x->numel : 1));
        if (!h)
            return vka__err(g->ctx, VKA_ERR_OUT_OF_MEMORY, "constant %s: out of host memory", x->name);
        for (int64_t i = 0; i < x->numel; i++)
            h[i] = vka__f32_to_f16(((const float *)x->host)[i]);
        vka_status s = vka_tensor_upload(x->t, h, (size_t)x->numel * 2);
        free(h);
        return s;
    }
    return vka_tensor_upload(x->t, x->host, (size_t)x->numel * 4);
}

/* A view of value v with another shape (same element count). Owned by the caller. */
static vka_tensor *reshaped(vka_graph *g, vka_val v, int ndim, const int64_t *shape)
{
    return vka_tensor_view(g->vals[v].t, 0, ndim, shape);
}

/* ---------------------------------------------------------------- views */

/* A slice whose elements are one contiguous run of its input's memory (inner
 * axes whole, one partial axis, outer axes of one index): its elements' offset
 * into the input, else -1. */
static int64_t slice_run(const vka_graph *g, const vka__node *n)
{
    const vka__value *x = &g->vals[n->in[0]], *y = &g->vals[n->out];
    if (x->dtype != y->dtype || x->ndim != y->ndim)
        return -1;
    int nd = x->ndim, b = nd - 1;
    while (b >= 0 && y->shape[b] == x->shape[b] && n->starts[b] == 0 && (n->steps[b] == 1 || y->shape[b] <= 1))
        b--;
    if (b >= 0 && y->shape[b] > 1 && n->steps[b] != 1)
        return -1;
    for (int k = 0; k < b; k++)
        if (y->shape[k] != 1)
            return -1;
    int64_t off = 0, acc = 1;
    for (int k = nd - 1; k >= 0; k--) {
        if (n->starts[k] < 0 || n->starts[k] >= (x->shape[k] ? x->shape[k] : 1))
            return -1;
        off += n->starts[k] * acc;
        acc *= x->shape[k];
    }
    return off;
}

/* The value whose memory v is, through reshapes of the same size. */
static vka_val through_reshape_aliases(const vka_graph *g, vka_val v)
{
    while (g->vals[v].alias != VKA_NONE && g->vals[v].alias_off == 0 &&
           g->vals[g->vals[v].alias].numel == g->vals[v].numel && g->vals[g->vals[v].alias].dtype == g->vals[v].dtype)
        v = g->vals[v].alias;
    return v;
}

/* The value whose memory v is part of (following every view), and v's byte
 * offset into it. */
static vka_val root_at(const vka_graph *g, vka_val v, int64_t *off)
{
    *off = 0;
    while (g->vals[v].alias != VKA_NONE) {
        *off += g->vals[v].alias_off;
        v = g->vals[v].alias;
    }
    return v;
}

/* Puts value r (a kernel's output, not yet placed) inside concat n's output at
 * byte `base`, when every input of n that overlaps that range lies inside it
 * and is exactly the view of r at that spot: r itself, or its slices (a
 * Split's parts concatenated back in order). offs: the inputs' byte offsets. */
static bool try_place(vka_graph *g, const vka__node *n, int at, vka_val r, int64_t base, const int64_t *offs)
{
    vka_val c = n->out;
    vka__value *vr = &g->vals[r];
    const vka__value *vc = &g->vals[c];
    int p = vr->producer;
    int64_t end = base + (int64_t)value_bytes(vr);
    if (p < 0 || p >= at || g->nodes[p].dead || g->nodes[p].op == VKA__OP_RESHAPE ||
        vr->is_input || vr->host || vr->alias != VKA_NONE || r == c || base < 0 || end > (int64_t)value_bytes(vc) ||
        vka_dtype_size(vr->dtype) != vka_dtype_size(vc->dtype))
        return false;
    for (int k = 0; k < n->nin; k++) {
        if (offs[k + 1] <= base || offs[k] >= end)
            continue;
        int64_t o;
        if (offs[k] < base || offs[k + 1] > end || root_at(g, n->in[k], &o) != r || o != offs[k] - base)
            return false;
    }
    vr->alias = c;
    vr->alias_off = base;
    return true;
}

/* Is input j of concat node n already in place (its producer wrote it there,
 * or it is a view of what was)? */
static bool concat_in_place(const vka_graph *g, const vka__node *n, int j)
{
    int64_t oc, ox, at = 0;
    for (int k = 0; k < j; k++)
        at += (int64_t)value_bytes(&g->vals[n->in[k]]);
    vka_val rc = root_at(g, n->out, &oc), rx = root_at(g, n->in[j], &ox);
    if (rc == rx && ox == oc + at)
        return true;
    int p = g->vals[through_reshape_aliases(g, n->in[j])].producer;
    return p >= 0 && g->nodes[p].ew_dst == n->out;
}

/* Eltwise node p computing e, which reaches concat output c as input x (e
 * itself, or e squeezed / unsqueezed by reshapes), can write it straight into
 * c at element offset `first` through c's strides, when those still merge
 * into 4 axes with the program's input strides and it reads nothing of c.
 * Sets that up and returns true. */
static bool place_eltwise(vka_graph *g, vka__node *p, vka_val e, vka_val x, vka_val c, int64_t first)
{
    const vka__value *ve = &g->vals[e], *vx = &g->vals[x], *vc = &g->vals[c];
    if (p->op != VKA__OP_ELTWISE || p->out != e || p->ew_dst != VKA_NONE || p->ew.y_strided ||
        p->ew.nimm > VKA_ELTWISE_MAX_IMM_STRIDED || vx->ndim != vc->ndim || ve->dtype != vc->dtype)
        return false;
    for (int i = 0; i < p->nin; i++)
        if (root_of(g, p->in[i]) == root_of(g, c))
            return false;
    /* c's strides over x's axes, then over e's: the axes longer than 1 pair up in order */
    int64_t cst[VKA_MAX_DIMS], yst[VKA_MAX_DIMS] = {0}, acc = 1;
    for (int k = vc->ndim - 1; k >= 0; k--) {
        cst[k] = acc;
        acc *= vc->shape[k];
    }
    int kx = 0;
    for (int a = 0; a < ve->ndim; a++) {
        if (ve->shape[a] == 1)
            continue;
        while (kx < vx->ndim && vx->shape[kx] == 1)
            kx++;
        if (kx == vx->ndim || vx->shape[kx] != ve->shape[a])
            return false;
        yst[a] = cst[kx++];
    }
    while (kx < vx->ndim && vx->shape[kx] == 1)
        kx++;
    if (kx != vx->ndim)
        return false;
    int64_t shape[VKA_MAX_DIMS], st[VKA_ELTWISE_MAX_IN + 1][VKA_MAX_DIMS] = {{0}};
    memcpy(shape, ve->shape, sizeof shape);
    for (int i = 0; i < p->nin; i++)
        memcpy(st[i], p->ew.stride[i], sizeof st[i]);
    memcpy(st[VKA_ELTWISE_MAX_IN], yst, sizeof yst);
    if (ve->ndim && vka__merge_axes(ve->ndim, shape, VKA_ELTWISE_MAX_IN + 1, st) > 4)
        return false;
    p->ew.y_strided = 1;
    p->ew.ndim = ve->ndim;
    memcpy(p->ew.shape, ve->shape, sizeof p->ew.shape);
    memcpy(p->ew.y_stride, yst, sizeof yst);
    p->ew.y_offset = first;
    p->ew_dst = c;
    return true;
}

/* v and the reshapes between it and r are read once each (by the next one,
 * finally by the concat) and are no outputs: nothing else needs them. */
static bool read_once(const vka_graph *g, const int *readers, vka_val v, vka_val r)
{
    for (;;) {
        const vka__value *x = &g->vals[v];
        if (readers[v] != 1 || x->is_output || x->pinned)
            return false;
        if (v == r)
            return true;
        v = x->alias;
    }
}

/* With fusion on, the memory plan makes two data movements views (no
 * dispatch): a slice that is a contiguous run of its input reads it in place,
 * and a concat has the kernels producing its inputs write straight into it:
 * any kernel when its part is a contiguous run of the output (the axes before
 * the concat axis of size 1), an elementwise program through output strides
 * otherwise (e.g. box coordinates concatenated along the last axis). The
 * inputs that cannot be (graph inputs, constants, views, values read
 * elsewhere too when strided) are copied in. */
static void plan_views(vka_graph *g)
{
    /* readers of each value, for the strided case */
    int *readers = calloc((size_t)g->nvals + 1, sizeof *readers);
    if (!readers)
        return; /* no views: correct, only slower */
    for (int i = 0; i < g->nnodes; i++) {
        const vka__node *n = &g->nodes[i];
        if (n->dead)
            continue;
        vka_val in[VKA__NODE_MAX_READS];
        int k = vka__node_inputs(n, in);
        for (int j = 0; j < k; j++)
            readers[in[j]]++;
    }
    for (int i = 0; i < g->nnodes; i++) {
        vka__node *n = &g->nodes[i];
        if (n->dead)
            continue;
        if (n->op == VKA__OP_SLICE) {
            int64_t off = slice_run(g, n);
            if (off < 0)
                continue;
            vka__value *y = &g->vals[n->out];
            y->alias = n->in[0];
            y->alias_off = off * (int64_t)vka_dtype_size(y->dtype);
            n->view = true;
            n->into = g->vals[root_of(g, n->in[0])].producer; /* shown under the kernel that wrote its data */
            continue;
        }
        if (n->op != VKA__OP_CONCAT)
            continue;
        vka_val c = n->out;
        const vka__value *vc = &g->vals[c];
        int64_t outer = 1, inner = 1;
        for (int k = 0; k < n->axis; k++)
            outer *= vc->shape[k];
        for (int k = n->axis + 1; k < vc->ndim; k++)
            inner *= vc->shape[k];
        if (vc->alias != VKA_NONE)
            continue;
        int64_t offs[VKA__MAX_IN + 1] = {0}, first = 0;
        for (int j = 0; j < n->nin; j++)
            offs[j + 1] = offs[j] + (int64_t)value_bytes(&g->vals[n->in[j]]);
        for (int j = 0; j < n->nin; j++) {
            vka_val x = n->in[j];
            const vka__value *vx = &g->vals[x];
            int64_t o;
            vka_val r = root_at(g, x, &o);
            if (outer == 1 && try_place(g, n, i, r, offs[j] - o, offs))
                n->into = g->vals[r].producer; /* shown under the last producer that writes into it */
            if (!concat_in_place(g, n, j)) {
                /* strided: an eltwise program whose result only this concat reads */
                vka_val e = through_reshape_aliases(g, x);
                int p = g->vals[e].producer;
                if (outer != 1 && p >= 0 && p < i && !g->nodes[p].dead && g->vals[e].alias == VKA_NONE &&
                    read_once(g, readers, x, e) && place_eltwise(g, &g->nodes[p], e, x, c, first))
                    n->into = p;
            }
            first += (vx->ndim > n->axis ? vx->shape[n->axis] : 1) * inner;
        }
        bool all = true;
        for (int j = 0; j < n->nin; j++)
            all &= concat_in_place(g, n, j);
        n->view = all;
        if (!all)
            n->into = -1;
    }
    free(readers);
}

/* A partly placed concat: copies in the inputs that are not in place: a
 * contiguous run by vka_copy, a strided part by a copy program (x·1, exact). */
static vka_status rec_concat_rest(vka_graph *g, vka_cmd *cmd, vka__node *n)
{
    const vka__value *vc = &g->vals[n->out];
    int64_t outer = 1, inner = 1, st[VKA_MAX_DIMS], first = 0;
    for (int k = 0; k < n->axis; k++)
        outer *= vc->shape[k];
    for (int k = vc->ndim - 1; k >= 0; k--) {
        st[k] = inner;
        inner *= vc->shape[k];
    }
    for (int j = 0; j < n->nin; j++) {
        vka__value *x = &g->vals[n->in[j]];
        vka_status s = VKA_OK;
        if (!concat_in_place(g, n, j)) {
            if (outer == 1) {
                vka_tensor *dst = vka_tensor_view(vc->t, first, x->ndim, x->shape);
                s = dst ? vka_copy(cmd, x->t, dst) : VKA_ERR_OUT_OF_MEMORY;
                vka_tensor_destroy(dst);
            } else {
                vka_eltwise_desc d;
                memset(&d, 0, sizeof d);
                d.ncode = 1;
                d.nimm = 1;
                d.imm[0] = 1.0f;
                d.code[0] = (vka_eltwise_instr){VKA_MUL, 0, VKA_EW_X(0), VKA_EW_C(0)};
                d.y_strided = 1;
                d.ndim = x->ndim;
                memcpy(d.shape, x->shape, sizeof d.shape);
                memcpy(d.y_stride, st, sizeof st);
                d.y_offset = first;
                s = vka_eltwise(cmd, &d, 1, &x->t, vc->t);
            }
        }
        if (s)
            return s;
        first += (x->ndim > n->axis ? x->shape[n->axis] : 1) * st[n->axis];
    }
    return VKA_OK;
}

/* ---------------------------------------------------------------- recording */

static vka_status rec_matmul(vka_graph *g, vka_cmd *cmd, vka__node *n)
{
    vka__value *a = &g->vals[n->in[0]], *b = &g->vals[n->in[1]], *c = &g->vals[n->out];
    int64_t m = a->shape[a->ndim - 2], k = a->shape[a->ndim - 1], nn = b->shape[b->ndim - 1];
    int64_t ba = a->numel / (m * k), bb = b->numel / (k * nn), bc = c->numel / (m * nn);
    vka_gemm_desc d = vka_gemm_default_desc();
    d.act = n->act;
    d.bias = n->bias >= 0 ? g->vals[n->bias].t : NULL;
    d.alpha = n->alpha;
    vka_tensor *ta = NULL, *tb = NULL, *tc = NULL, *tr = NULL, *tbias = NULL;
    vka_status s;
    if (bb == 1) { /* one B for every batch: fold the batch into M */
        ta = reshaped(g, n->in[0], 2, (int64_t[]){ba * m, k});
        tb = reshaped(g, n->in[1], 2, (int64_t[]){k, nn});
        tc = reshaped(g, n->out, 2, (int64_t[]){bc * m, nn});
        if (n->residual >= 0)
            tr = reshaped(g, n->residual, 2, (int64_t[]){bc * m, nn});
    } else if (ba == bb || ba == 1) {
        ta = ba == 1 ? reshaped(g, n->in[0], 2, (int64_t[]){m, k}) : reshaped(g, n->in[0], 3, (int64_t[]){ba, m, k});
        tb = reshaped(g, n->in[1], 3, (int64_t[]){bb, k, nn});
        tc = reshaped(g, n->out, 3, (int64_t[]){bc, m, nn});
        if (n->residual >= 0)
            tr = reshaped(g, n->residual, 3, (int64_t[]){bc, m, nn});
    } else {
        return vka__err(g->ctx, VKA_ERR_UNSUPPORTED, "node %s: matmul batch broadcast %lld x %lld", n->name,
                        (long long)ba, (long long)bb);
    }
    if (n->bias >= 0) {
        tbias = reshaped(g, n->bias, 1, (int64_t[]){nn});
        d.bias = tbias;
    }
    d.residual = tr;
    s = ta && tb && tc ? vka_gemm(cmd, &d, ta, tb, tc) : VKA_ERR_OUT_OF_MEMORY;
    vka_tensor_destroy(ta), vka_tensor_destroy(tb), vka_tensor_destroy(tc), vka_tensor_destroy(tr);
    vka_tensor_destroy(tbias);
    return s;
}

static vka_status rec_gemm(vka_graph *g, vka_cmd *cmd, vka__node *n)
{
    /* M and N from A and B: the output may have been reshaped by an absorbed epilogue */
    const vka__value *va = &g->vals[n->in[0]], *vb = &g->vals[n->in[1]];
    int64_t m = n->trans_a ? va->shape[1] : va->shape[0], nn = n->trans_b ? vb->shape[0] : vb->shape[1];
    int64_t cs[2] = {m, nn};
    vka_gemm_desc d = vka_gemm_default_desc();
    d.trans_a = n->trans_a;
    d.trans_b = n->trans_b;
    d.alpha = n->alpha;
    d.act = n->act;
    vka_tensor *bias = NULL, *res = NULL, *c = reshaped(g, n->out, 2, cs);
    if (n->nin > 2) { /* ONNX C: a row vector is a bias, a full matrix a residual */
        vka__value *vc = &g->vals[n->in[2]];
        vka_status s = VKA_OK;
        if (n->beta != 1.0f)
            s = vka__err(g->ctx, VKA_ERR_UNSUPPORTED, "node %s: Gemm with beta %g (folded only when 1)", n->name,
                         n->beta);
        else if (vc->numel == nn)
            bias = reshaped(g, n->in[2], 1, &nn);
        else if (vc->numel == m * nn)
            res = reshaped(g, n->in[2], 2, cs);
        else
            s = vka__err(g->ctx, VKA_ERR_UNSUPPORTED, "node %s: Gemm C of %lld elements", n->name,
                         (long long)vc->numel);
        if (s) {
            vka_tensor_destroy(c);
            return s;
        }
    }
    if (n->bias >= 0)
        bias = reshaped(g, n->bias, 1, &nn);
    if (n->residual >= 0)
        res = reshaped(g, n->residual, 2, cs);
    d.bias = bias;
    d.residual = res;
    vka_status s = c ? vka_gemm(cmd, &d, g->vals[n->in[0]].t, g->vals[n->in[1]].t, c) : VKA_ERR_OUT_OF_MEMORY;
    vka_tensor_destroy(bias), vka_tensor_destroy(res), vka_tensor_destroy(c);
    return s;
}

/* The attention descriptor of node n without mask/lse: the fusion's dims and
 * strides, or dense q/k/v/o of [B, H, N, D] or [B·H, N, D]. */
static vka_attn_desc attn_desc_of(const vka_graph *g, const vka__node *n)
{
    vka_attn_desc d = vka_attn_default_desc();
    if (n->attn_strided) {
        d = n->attn;
    } else {
        const vka__value *q = &g->vals[n->in[0]], *k = &g->vals[n->in[1]];
        int r = q->ndim;
        d.batch = r == 4 ? q->shape[0] : 1;
        d.heads = q->shape[r - 3];
        d.nq = q->shape[r - 2];
        d.nk = k->shape[r - 2];
        d.head_dim = q->shape[r - 1];
    }
    d.scale = n->scale;
    d.mask = d.lse = NULL;
    return d;
}

/* B, H, Nq, Nk, D of an attention node. */
static void attn_dims(const vka_graph *g, const vka__node *n, int64_t *dims)
{
    vka_attn_desc d = attn_desc_of(g, n);
    dims[0] = d.batch;
    dims[1] = d.heads;
    dims[2] = d.nq;
    dims[3] = d.nk;
    dims[4] = d.head_dim;
}

static vka_status rec_attention(vka_graph *g, vka_cmd *cmd, vka__node *n)
{
    vka_attn_desc d = attn_desc_of(g, n);
    d.lse = n->lse >= 0 ? g->vals[n->lse].t : NULL;
    vka_tensor *mask2 = NULL;
    if (n->mask >= 0) {
        mask2 = reshaped(g, n->mask, 2, (int64_t[]){d.nq, d.nk});
        d.mask = mask2;
    }
    vka_status s = vka_attention(cmd, &d, g->vals[n->in[0]].t, g->vals[n->in[1]].t, g->vals[n->in[2]].t,
                                 g->vals[n->out].t);
    vka_tensor_destroy(mask2);
    return s;
}

/* A conv with the epilogue fusion gave it (in[2..4], residual) and its weights' layout. */
static vka_status rec_conv(vka_graph *g, vka_cmd *cmd, vka__node *n)
{
#define VKA_IN_T(i) (n->nin > (i) && n->in[i] >= 0 ? g->vals[n->in[i]].t : NULL)
    vka_conv_epilogue e = {VKA_IN_T(3), VKA_IN_T(4), NULL, n->conv_res_pre, n->conv_packed, NULL};
    vka_tensor *res = NULL;
    /* constant OIHW weights: their host copy (floats, the graph's for its
     * lifetime), which conv2d_few compiles in */
    if (!n->conv_packed && !g->vals[n->in[1]].is_int && vka__graph_is_const(g, n->in[1]))
        e.w_host = (const float *)g->vals[n->in[1]].host;
    if (n->residual >= 0) { /* any shape with y's elements: seen as y's */
        const vka__value *vy = &g->vals[n->out];
        res = reshaped(g, n->residual, vy->ndim, vy->shape);
        if (!res)
            return VKA_ERR_OUT_OF_MEMORY;
        e.residual = res;
    }
    vka_status s = vka__conv2d(cmd, VKA_IN_T(0), VKA_IN_T(1), VKA_IN_T(2), &n->conv, &e, g->vals[n->out].t,
                               n->conv_kernel - 1);
#undef VKA_IN_T
    vka_tensor_destroy(res);
    return s;
}

static vka_status record_node(vka_graph *g, vka_cmd *cmd, vka__node *n)
{
    vka_tensor *y = g->vals[n->out].t;
    vka_tensor *x = n->nin > 0 && n->in[0] >= 0 ? g->vals[n->in[0]].t : NULL;
    switch (n->op) {
    case VKA__OP_MATMUL: return rec_matmul(g, cmd, n);
    case VKA__OP_GEMM: return rec_gemm(g, cmd, n);
    case VKA__OP_BINARY: return vka_binary(cmd, (vka_binary_op)n->sub, x, g->vals[n->in[1]].t, y);
    case VKA__OP_UNARY: return vka_unary(cmd, (vka_unary_op)n->sub, x, y);
    case VKA__OP_LAYERNORM: {
        vka__value *vx = &g->vals[n->in[0]];
        int64_t c = 1;
        for (int i = n->axis; i < vx->ndim; i++)
            c *= vx->shape[i];
        vka_tensor *x2 = reshaped(g, n->in[0], 2, (int64_t[]){vx->numel / c, c});
        vka_tensor *y2 = reshaped(g, n->out, 2, (int64_t[]){vx->numel / c, c});
        vka_tensor *ga = n->in[1] >= 0 ? reshaped(g, n->in[1], 1, &c) : NULL;
        vka_tensor *be = n->in[2] >= 0 ? reshaped(g, n->in[2], 1, &c) : NULL;
        vka_status s = vka_layernorm(cmd, x2, ga, be, n->eps, y2);
        vka_tensor_destroy(x2), vka_tensor_destroy(y2), vka_tensor_destroy(ga), vka_tensor_destroy(be);
        return s;
    }
    case VKA__OP_RMSNORM: {
        vka__value *vx = &g->vals[n->in[0]];
        int64_t c = vx->shape[vx->ndim - 1];
        vka_tensor *x2 = reshaped(g, n->in[0], 2, (int64_t[]){vx->numel / c, c});
        vka_tensor *y2 = reshaped(g, n->out, 2, (int64_t[]){vx->numel / c, c});
        vka_tensor *ga = n->in[1] >= 0 ? reshaped(g, n->in[1], 1, &c) : NULL;
        vka_status s = x2 && y2 ? vka_rmsnorm(cmd, x2, ga, n->eps, y2) : VKA_ERR_OUT_OF_MEMORY;
        vka_tensor_destroy(x2), vka_tensor_destroy(y2), vka_tensor_destroy(ga);
        return s;
    }
    case VKA__OP_ELTWISE: {
        vka_tensor *xs[VKA_ELTWISE_MAX_IN];
        for (int i = 0; i < n->nin; i++)
            xs[i] = g->vals[n->in[i]].t;
        /* placed by the memory plan: written straight into the concat */
        return vka_eltwise(cmd, &n->ew, n->nin, xs, n->ew_dst >= 0 ? g->vals[n->ew_dst].t : y);
    }
    case VKA__OP_SOFTMAX: return vka_softmax(cmd, x, n->scale, NULL, y);
    case VKA__OP_REDUCE: return vka_reduce(cmd, (vka_reduce_op)n->sub, x, n->axis, y);
    case VKA__OP_RESHAPE: return VKA_OK; /* a view */
    case VKA__OP_TRANSPOSE: return vka_permute(cmd, x, n->perm, y);
    case VKA__OP_SLICE: return vka_slice(cmd, x, n->starts, n->steps, y);
    case VKA__OP_CONCAT: {
        if (g->params.fuse) {
            bool some = false;
            for (int i = 0; i < n->nin; i++)
                some |= concat_in_place(g, n, i);
            if (some)
                return rec_concat_rest(g, cmd, n);
        }
        vka_tensor *xs[VKA__MAX_IN];
        for (int i = 0; i < n->nin; i++)
            xs[i] = g->vals[n->in[i]].t;
        return vka_concat(cmd, n->nin, xs, n->axis, y);
    }
    case VKA__OP_CAST: return vka_cast(cmd, x, y);
    case VKA__OP_CONV: return rec_conv(g, cmd, n);
    case VKA__OP_ATTENTION: return rec_attention(g, cmd, n);
    case VKA__OP_PAD: return vka_pad(cmd, x, n->starts, n->steps, (vka_pad_mode)n->sub, n->alpha, y);
    case VKA__OP_POOL:
        return n->sub < 0 ? vka_global_avgpool(cmd, x, y)
                          : vka__pool2d(cmd, (vka_pool_op)n->sub, x, &n->pool, n->pool_padv ? &n->alpha : NULL, y);
    case VKA__OP_RESIZE:
        return vka_resize(cmd, x, (vka_interp)n->interp, (vka_coord_mode)n->coord, (vka_nearest_mode)n->nearest,
                          n->scales[0] > 0 ? n->scales : NULL, y);
    case VKA__OP_CLIP: return vka_clip(cmd, x, n->alpha, n->beta, y);
    case VKA__OP_TOPK: return vka_topk(cmd, x, n->k, n->sub, 1, y, g->vals[n->out2].t);
    case VKA__OP_GATHER: return vka_gather(cmd, x, g->vals[n->in[1]].t, n->axis, y);
    case VKA__OP_GATHER_ELEMENTS: return vka_gather_elements(cmd, x, g->vals[n->in[1]].t, n->axis, y);
    case VKA__OP_TILE: return vka_tile(cmd, x, n->starts, y);
    case VKA__OP_COMPARE: return vka_compare(cmd, (vka_compare_op)n->sub, x, g->vals[n->in[1]].t, y);
    case VKA__OP_WHERE: return vka_where(cmd, x, g->vals[n->in[1]].t, g->vals[n->in[2]].t, y);
    case VKA__OP_GRID_SAMPLE: return vka_grid_sample(cmd, x, g->vals[n->in[1]].t, n->sub, y);
    case VKA__OP_DEFORM_ATTN:
        return vka_deform_attn(cmd, &n->deform, x, g->vals[n->in[1]].t, g->vals[n->in[2]].t, y);
    case VKA__OP_EXPAND: { /* a tile of x seen at the output's rank */
        const vka__value *vx = &g->vals[n->in[0]], *vy = &g->vals[n->out];
        int64_t xs[VKA_MAX_DIMS], reps[VKA_MAX_DIMS];
        for (int i = 0; i < vy->ndim; i++) {
            int j = i - (vy->ndim - vx->ndim);
            xs[i] = j >= 0 ? vx->shape[j] : 1;
            reps[i] = vy->shape[i] / xs[i];
        }
        vka_tensor *x2 = reshaped(g, n->in[0], vy->ndim, xs);
        vka_status s = x2 ? vka_tile(cmd, x2, reps, y) : VKA_ERR_OUT_OF_MEMORY;
        vka_tensor_destroy(x2);
        return s;
    }
    default:
        return vka__err(g->ctx, VKA_ERR_UNSUPPORTED, "node %s: %s on device tensors is not supported yet", n->name,
                        vka__op_name(n->op));
    }
}

/* ---------------------------------------------------------------- build */

/* The IR at debug log level: node, op, inputs (with their shapes), output. */
static void dump(const vka_graph *g, const char *when)
{
    vka__log(g->ctx, VKA_LOG_DEBUG, "graph %s: %d nodes", when, g->nnodes);
    for (int i = 0; i < g->nnodes; i++) {
        const vka__node *n = &g->nodes[i];
        char line[1024];
        int k = snprintf(line, sizeof line, "%4d %s%-10s %s <-", i, n->dead ? "(dead) " : "", vka__op_name(n->op), n->name);
        for (int j = 0; j < n->nin && k < (int)sizeof line - 64; j++) {
            const vka__value *v = n->in[j] >= 0 ? &g->vals[n->in[j]] : NULL;
            k += snprintf(line + k, sizeof line - (size_t)k, " %s%s[", v ? v->name : "-", v && v->host ? "(const)" : "");
            for (int d = 0; v && d < v->ndim && k < (int)sizeof line - 16; d++)
                k += snprintf(line + k, sizeof line - (size_t)k, d ? ",%lld" : "%lld", (long long)v->shape[d]);
            k += snprintf(line + k, sizeof line - (size_t)k, "]");
        }
        if (n->op == VKA__OP_TRANSPOSE && k < (int)sizeof line - 40)
            k += snprintf(line + k, sizeof line - (size_t)k, " perm %d%d%d%d", n->perm[0], n->perm[1], n->perm[2],
                          n->perm[3]);
        vka__log(g->ctx, VKA_LOG_DEBUG, "%s", line);
    }
}

static void reset_build(vka_graph *g)
{
    vka__graph_run_free(g);
    vka_cmd_destroy(g->cmd);
    g->cmd = NULL;
    for (int i = 0; i < g->nvals; i++) {
        vka_tensor_destroy(g->vals[i].t);
        g->vals[i].t = NULL;
        g->vals[i].buf = -1;
    }
    for (int i = 0; i < g->nbufs; i++)
        vka_tensor_destroy(g->bufs[i].t);
    free(g->bufs);
    g->bufs = NULL;
    g->nbufs = 0;
    free(g->plan);
    g->plan = NULL;
    g->nplan = 0;
    free(g->attn_nodes);
    g->attn_nodes = NULL;
    g->nattn = 0;
    free(g->deform_nodes);
    g->deform_nodes = NULL;
    g->ndeform = 0;
    g->act_bytes = g->act_bytes_noreuse = 0;
    g->weight_bytes = g->input_bytes = 0;
    g->built = false;
}

vka_status vka_graph_build(vka_graph *g, const vka_graph_build_params *p)
{
    if (!g)
        return VKA_ERR_INVALID_ARG;
    vka_context *ctx = g->ctx;
    if (g->failed)
        return vka__err(ctx, VKA_ERR_STATE, "the graph has a failed node (see the first error); it cannot be built");
    if (g->built)
        return vka__err(ctx, VKA_ERR_STATE, "the graph is already built");
    if (!g->noutputs)
        return vka__err(ctx, VKA_ERR_STATE, "the graph has no outputs");
    g->params = p ? *p : vka_graph_default_build_params();
    vka_status s;
    if (ctx->log && ctx->log_level >= VKA_LOG_DEBUG)
        dump(g, "before passes");
    if (g->params.fuse && (s = vka__graph_fuse(g)))
        return s;
    if ((s = eliminate_dead(g)))
        return s;
    vka__graph_mark_attention(g);
    if (g->params.precision != VKA_PRECISION_F32 && g->params.precision != VKA_PRECISION_F16 &&
        g->params.precision != VKA_PRECISION_AUTO)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_graph_build: unknown precision %d", (int)g->params.precision);
    g->precision = vka__precision_resolve(ctx, g->params.precision);
    if ((s = vka__graph_precision(g, g->precision)))
        return s;

    /* probes: attention nodes keep q, k and an LSE; softmax-form attention its P */
    for (int i = 0; i < g->nnodes && g->params.probe_attention; i++) {
        vka__node *n = &g->nodes[i];
        if (n->dead)
            continue;
        if (n->op == VKA__OP_ATTENTION && n->lse < 0) {
            int64_t dims[5];
            attn_dims(g, n, dims);
            char nm[112];
            snprintf(nm, sizeof nm, "%.90s/lse", n->name);
            vka_val lse = vka__graph_add_value(g, nm, VKA_F32, false, 3, dims);
            if (lse < 0)
                return VKA_ERR_OUT_OF_MEMORY;
            n = &g->nodes[i];
            n->lse = lse;
            g->vals[lse].pinned = g->vals[n->in[0]].pinned = g->vals[n->in[1]].pinned = true;
        } else if (n->op == VKA__OP_SOFTMAX && n->is_attention_softmax) {
            g->vals[n->out].pinned = true;
        } else if (n->op == VKA__OP_DEFORM_ATTN) { /* its locations and weights stay readable */
            g->vals[n->in[1]].pinned = g->vals[n->in[2]].pinned = true;
        }
    }

    /* aliases (all of them before liveness: a concat's inputs become views of a
     * value produced after their readers), liveness */
    for (int i = 0; i < g->nvals; i++) {
        g->vals[i].last_use = -1;
        g->vals[i].alias = VKA_NONE;
        g->vals[i].alias_off = 0;
    }
    for (int i = 0; i < g->nnodes; i++) {
        g->nodes[i].view = false;
        if (g->nodes[i].ew_dst != VKA_NONE) {
            g->nodes[i].ew_dst = VKA_NONE;
            g->nodes[i].ew.y_strided = 0;
        }
        if (!g->nodes[i].dead && g->nodes[i].op == VKA__OP_RESHAPE)
            g->vals[g->nodes[i].out].alias = g->nodes[i].in[0];
    }
    if (g->params.fuse)
        plan_views(g);
    for (int i = 0; i < g->nnodes; i++) {
        vka__node *n = &g->nodes[i];
        if (n->dead)
            continue;
        vka_val in[VKA__NODE_MAX_READS];
        int k = vka__node_inputs(n, in);
        for (int j = 0; j < k; j++) {
            vka_val r = root_of(g, in[j]);
            g->vals[r].last_use = i;
        }
    }
    for (int i = 0; i < g->noutputs; i++)
        g->vals[root_of(g, g->outputs[i])].pinned = true;
    for (int i = 0; i < g->nvals; i++)
        if (g->vals[i].pinned)
            g->vals[root_of(g, i)].pinned = true;

    /* device tensors: inputs, constants that live nodes read */
    for (int i = 0; i < g->ninputs; i++) {
        vka__value *x = &g->vals[g->inputs[i]];
        if (budget(g, value_bytes(x), x->name))
            goto fail;
        x->t = vka_tensor_create(ctx, x->dtype, x->ndim, x->shape);
        if (!x->t)
            goto fail;
        g->input_bytes += vka_tensor_bytes(x->t);
        vka_tensor_set_name(x->t, x->name);
    }
    for (int i = 0; i < g->nnodes; i++) {
        vka__node *n = &g->nodes[i];
        if (n->dead)
            continue;
        vka_val in[VKA__NODE_MAX_READS];
        int k = vka__node_inputs(n, in);
        for (int j = 0; j < k; j++)
            if (vka__graph_is_const(g, in[j]) && (s = place_const(g, in[j])))
                goto fail_s;
    }
    for (int i = 0; i < g->noutputs; i++) /* an output folded to a constant */
        if (vka__graph_is_const(g, g->outputs[i]) && (s = place_const(g, g->outputs[i])))
            goto fail_s;

    /* memory plan + recording in one walk */
    g->cmd = vka_cmd_create(ctx);
    g->plan = calloc((size_t)g->nnodes + 1, sizeof *g->plan);
    g->attn_nodes = calloc((size_t)g->nnodes + 1, sizeof *g->attn_nodes);
    g->deform_nodes = calloc((size_t)g->nnodes + 1, sizeof *g->deform_nodes);
    if (!g->cmd || !g->plan || !g->attn_nodes || !g->deform_nodes)
        goto fail;
    if (g->params.profile && (s = vka_cmd_enable_timestamps(g->cmd, 1)))
        goto fail_s;
    if ((s = vka_cmd_begin(g->cmd)))
        goto fail_s;
    for (int i = 0; i < g->nnodes; i++) {
        vka__node *n = &g->nodes[i];
        if (n->dead)
            continue;
        if (n->op == VKA__OP_RESHAPE || n->view) { /* views: no dispatch */
            int rp = g->vals[root_of(g, n->out)].producer;
            if ((rp < 0 || g->nodes[rp].ew_dst < 0) && (s = place(g, n->out, i)))
                goto fail_s; /* (a reshape of what an eltwise wrote into a concat needs no tensor) */
            continue;
        }
        if ((s = place(g, n->ew_dst >= 0 ? n->ew_dst : n->out, i)) || (n->lse >= 0 && (s = place(g, n->lse, i))) ||
            (n->out2 >= 0 && (s = place(g, n->out2, i))))
            goto fail_s;
        int first = vka_cmd_dispatch_count(g->cmd);
        vka_cmd_set_label(g->cmd, n->name);
        if ((s = record_node(g, g->cmd, n)))
            goto fail_s;
        g->plan[g->nplan++] = (vka__plan_entry){.node = i, .op = vka__op_name(n->op), .ms = -1,
                                                .first = first, .count = vka_cmd_dispatch_count(g->cmd) - first};
        if (n->op == VKA__OP_SOFTMAX && n->is_attention_softmax)
            g->plan[g->nplan - 1].op = "softmax";
        if (n->op == VKA__OP_CONV && g->ctx->conv_variant) /* which kernel: "conv.tex", "conv.dw", ... */
            g->plan[g->nplan - 1].op = g->ctx->conv_variant;
        if (n->op == VKA__OP_ATTENTION || (n->op == VKA__OP_SOFTMAX && n->is_attention_softmax))
            g->attn_nodes[g->nattn++] = i;
        if (n->op == VKA__OP_DEFORM_ATTN)
            g->deform_nodes[g->ndeform++] = i;
        /* buffers whose last reader was this node are free for the next ones */
        vka_val in[VKA__NODE_MAX_READS];
        int k = vka__node_inputs(n, in);
        for (int j = 0; j < k; j++) {
            vka__value *r = &g->vals[root_of(g, in[j])];
            if (r->last_use == i && !r->pinned && r->buf >= 0)
                g->bufs[r->buf].free_after = i;
        }
        for (int o = 0; o < 2; o++) { /* outputs never read */
            vka_val ov = o ? n->out2 : n->out;
            vka__value *ro = ov >= 0 ? &g->vals[root_of(g, ov)] : NULL;
            if (ro && ro->last_use < 0 && !ro->pinned && ro->buf >= 0)
                g->bufs[ro->buf].free_after = i;
        }
    }
    if ((s = vka_cmd_end(g->cmd)))
        goto fail_s;
    g->built = true;
    vka__log(ctx, VKA_LOG_INFO, "graph: %d kernels, %d dispatches, activations %.1f MiB (%.1f MiB without reuse)",
             g->nplan, vka_cmd_dispatch_count(g->cmd), g->act_bytes / 1048576.0, g->act_bytes_noreuse / 1048576.0);
    return VKA_OK;
fail:
    s = VKA_ERR_OUT_OF_MEMORY;
fail_s:
    {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", vka_context_last_error(ctx));
        reset_build(g);
        return vka__err(ctx, s, "vka_graph_build: %s", msg);
    }
}

/* ---------------------------------------------------------------- run */

/* The state of runs, made on first use after build. */
typedef struct vka__run {
    bool *input_set;             /* [ninputs]: set_input or input_tensor since build */
    bool running;                /* submitted, not yet seen finished */
    vka_cmd *cur;                /* the command in flight */
    int next;                    /* next slice to submit */
    int nslices;                 /* of the pending run */
    vka_cmd **slices;            /* the recording in parts (slices > 1), made on first use */
    int nrecorded;               /* parts in slices[] */
    vka_cmd *secondary;          /* vka_graph_record's */
    /* the pending run's signals, copied: the application's arrays need not outlive the call */
    int signal_count;
    void *signal_semaphores[64];
    uint64_t signal_values[64];
    bool has_values;
    void *fence;
} vka__run;

static void free_slices(vka__run *r)
{
    for (int i = 0; i < r->nrecorded; i++)
        vka_cmd_destroy(r->slices[i]);
    free(r->slices);
    r->slices = NULL;
    r->nrecorded = 0;
}

void vka__graph_run_free(vka_graph *g)
{
    vka__run *r = g->run;
    if (!r)
        return;
    if (r->running && r->cur && vka_cmd_wait(r->cur, -1))
        vka__log(g->ctx, VKA_LOG_ERROR, "graph destroyed while its run did not end: %s", g->ctx->err);
    free_slices(r);
    vka_cmd_destroy(r->secondary);
    free(r->input_set);
    free(r);
    g->run = NULL;
}

static vka__run *run_state(vka_graph *g)
{
    if (g->run)
        return g->run;
    vka__run *r = calloc(1, sizeof *r);
    bool *set = calloc((size_t)g->ninputs + 1, sizeof *set);
    if (!r || !set) {
        free(r), free(set);
        vka__err(g->ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
        return NULL;
    }
    r->input_set = set;
    return g->run = r;
}

static vka_status check_ready(vka_graph *g, const char *what)
{
    if (!g->built)
        return vka__err(g->ctx, VKA_ERR_STATE, "%s: build the graph first", what);
    if (g->run && g->run->running)
        return vka__err(g->ctx, VKA_ERR_STATE, "%s: a run submitted with vka_graph_submit is still pending "
                                               "(vka_graph_poll or vka_graph_wait until it has finished)", what);
    return VKA_OK;
}

static vka_val find_named(const vka_graph *g, const vka_val *list, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(g->vals[list[i]].name, name) == 0)
            return list[i];
    return VKA_NONE;
}

static int input_index(const vka_graph *g, const char *name)
{
    for (int i = 0; i < g->ninputs; i++)
        if (strcmp(g->vals[g->inputs[i]].name, name) == 0)
            return i;
    return -1;
}

vka_status vka_graph_set_input(vka_graph *g, const char *name, const void *data, size_t bytes)
{
    if (!g || !name)
        return VKA_ERR_INVALID_ARG;
    vka_status s = check_ready(g, "vka_graph_set_input");
    if (s)
        return s;
    int idx = input_index(g, name);
    if (idx < 0)
        return vka__err(g->ctx, VKA_ERR_NOT_FOUND, "the graph has no input named \"%s\"", name);
    vka__run *r = run_state(g);
    if (!r)
        return VKA_ERR_OUT_OF_MEMORY;
    vka__value *x = &g->vals[g->inputs[idx]];
    if (!data)
        return vka__err(g->ctx, VKA_ERR_INVALID_ARG, "input %s: data is NULL", name);
    if (x->is_int) { /* int64 on the host, I32 on the device */
        if (bytes != (size_t)x->numel * 8)
            return vka__err(g->ctx, VKA_ERR_SHAPE, "input %s: %zu bytes given, %lld int64 values expected", name, bytes,
                            (long long)x->numel);
        if (!data && bytes)
            return vka__err(g->ctx, VKA_ERR_INVALID_ARG, "input %s: data is NULL", name);
        int32_t *d = malloc(4 * (size_t)(x->numel ? x->numel : 1));
        if (!d)
            return vka__err(g->ctx, VKA_ERR_OUT_OF_MEMORY, "input %s: out of host memory", name);
        for (int64_t i = 0; i < x->numel; i++) {
            int64_t w = ((const int64_t *)data)[i];
            if (w > INT32_MAX || w < INT32_MIN) {
                free(d);
                return vka__err(g->ctx, VKA_ERR_TOO_LARGE, "input %s: value %lld does not fit the device's int32", name,
                                (long long)w);
            }
            d[i] = (int32_t)w;
        }
        s = vka_tensor_upload(x->t, d, (size_t)x->numel * 4);
        free(d);
    } else {
        s = vka_tensor_upload(x->t, data, bytes);
    }
    if (!s)
        r->input_set[idx] = true;
    return s;
}

vka_tensor *vka_graph_input_tensor(vka_graph *g, const char *name)
{
    if (!g || !name)
        return NULL;
    if (check_ready(g, "vka_graph_input_tensor"))
        return NULL;
    int idx = input_index(g, name);
    if (idx < 0) {
        vka__err(g->ctx, VKA_ERR_NOT_FOUND, "the graph has no input named \"%s\"", name);
        return NULL;
    }
    vka__run *r = run_state(g);
    if (!r)
        return NULL;
    r->input_set[idx] = true; /* the application fills it on the device */
    return g->vals[g->inputs[idx]].t;
}

/* Every input set since build, or an error naming those that are not. */
static vka_status check_inputs(vka_graph *g, vka__run *r, const char *what)
{
    char names[512];
    int k = 0, n = 0;
    names[0] = 0;
    for (int i = 0; i < g->ninputs; i++)
        if (!r->input_set[i]) {
            n++;
            if (k < (int)sizeof names - 100)
                k += snprintf(names + k, sizeof names - (size_t)k, "%s\"%s\"", k ? ", " : "", g->vals[g->inputs[i]].name);
        }
    if (n)
        return vka__err(g->ctx, VKA_ERR_STATE, "%s: input%s %s never set (vka_graph_set_input, or "
                                               "vka_graph_input_tensor to fill it on the device)",
                        what, n > 1 ? "s" : "", names);
    return VKA_OK;
}

/* Records plan entries [first, end) into cmd (after build: same tensors, same order). */
static vka_status record_plan(vka_graph *g, vka_cmd *cmd, int first, int end)
{
    vka_status s = vka_cmd_begin(cmd);
    for (int i = first; !s && i < end; i++) {
        vka__node *n = &g->nodes[g->plan[i].node];
        vka_cmd_set_label(cmd, n->name);
        s = record_node(g, cmd, n);
    }
    return s ? s : vka_cmd_end(cmd);
}

/* The recording in n parts of about equal dispatch counts (made once per n). */
static vka_status record_slices(vka_graph *g, vka__run *r, int n)
{
    if (r->nrecorded == n)
        return VKA_OK;
    free_slices(r);
    if (!(r->slices = calloc((size_t)n, sizeof *r->slices)))
        return vka__err(g->ctx, VKA_ERR_OUT_OF_MEMORY, "out of host memory");
    int total = vka_cmd_dispatch_count(g->cmd), first = 0;
    vka_status s = VKA_OK;
    for (int k = 0; k < n && !s; k++) {
        int end = first;
        int64_t goal = (int64_t)total * (k + 1) / n; /* dispatches up to the end of this part */
        while (end < g->nplan && (k == n - 1 || g->plan[end].first + g->plan[end].count <= goal || end == first))
            end++;
        if (!(r->slices[k] = vka_cmd_create(g->ctx)))
            s = VKA_ERR_OUT_OF_MEMORY;
        r->nrecorded = k + 1;
        if (!s)
            s = record_plan(g, r->slices[k], first, end);
        first = end;
    }
    if (s) {
        free_slices(r);
        return s;
    }
    return VKA_OK;
}

vka_submit_params vka_submit_default_params(void)
{
    vka_submit_params p = {.slices = 1};
    return p;
}

/* Submits part r->next of the pending run (the application's waits on the
 * first part, its signals and fence on the last). */
static vka_status submit_next(vka_graph *g, vka__run *r, const vka_sync *first_sync)
{
    bool first = r->next == 0, last = r->next == r->nslices - 1;
    vka_cmd *cmd = r->nslices == 1 ? g->cmd : r->slices[r->next];
    vka_sync y = first_sync ? *first_sync : vka_sync_default();
    if (!first)
        y.wait_count = 0;
    y.signal_count = r->signal_count;
    y.signal_semaphores = r->signal_semaphores;
    y.signal_values = r->has_values ? r->signal_values : NULL;
    y.fence = r->fence;
    vka_status s = vka__cmd_submit_sync(cmd, &y, first, last);
    if (s) {
        r->running = false;
        return s;
    }
    r->cur = cmd;
    r->next++;
    return VKA_OK;
}

vka_status vka_graph_submit(vka_graph *g, const vka_submit_params *p)
{
    if (!g)
        return VKA_ERR_INVALID_ARG;
    vka_status s = check_ready(g, "vka_graph_submit");
    if (s)
        return s;
    vka__run *r = run_state(g);
    if (!r)
        return VKA_ERR_OUT_OF_MEMORY;
    vka_submit_params d = vka_submit_default_params();
    if (!p)
        p = &d;
    if ((s = check_inputs(g, r, "vka_graph_submit")))
        return s;
    const vka_sync *y = &p->sync;
    if (p->slices < 1 || p->slices > 1024 || y->signal_count < 0 || y->signal_count > 64 ||
        (y->signal_count && !y->signal_semaphores))
        return vka__err(g->ctx, VKA_ERR_INVALID_ARG, "vka_graph_submit: slices %d (1..1024), %d signal semaphores "
                                                     "(0..64, with a list)", p->slices, y->signal_count);
    int n = p->slices < g->nplan ? p->slices : g->nplan > 0 ? g->nplan : 1;
    if (n > 1 && (s = record_slices(g, r, n)))
        return s;
    r->nslices = n;
    r->next = 0;
    r->signal_count = y->signal_count;
    r->has_values = y->signal_values != NULL;
    for (int i = 0; i < y->signal_count; i++) {
        r->signal_semaphores[i] = y->signal_semaphores[i];
        r->signal_values[i] = y->signal_values ? y->signal_values[i] : 0;
    }
    r->fence = y->fence;
    r->running = true;
    return submit_next(g, r, y);
}

/* The part in flight has finished: submit the next, or end the run. */
static vka_status advance(vka_graph *g, vka__run *r)
{
    if (r->next < r->nslices) {
        vka_status s = submit_next(g, r, NULL);
        return s ? s : VKA_NOT_READY;
    }
    r->running = false;
    if (r->nslices == 1 && g->params.profile)
        for (int i = 0; i < g->nplan; i++) {
            double sum = 0;
            for (int j = 0; j < g->plan[i].count; j++) {
                double ms;
                vka_cmd_timing(g->cmd, g->plan[i].first + j, NULL, &ms);
                sum += ms > 0 ? ms : 0;
            }
            g->plan[i].ms = sum;
        }
    return VKA_OK;
}

vka_status vka_graph_poll(vka_graph *g)
{
    if (!g)
        return VKA_ERR_INVALID_ARG;
    vka__run *r = g->run;
    if (!r || !r->running)
        return VKA_OK;
    vka_status s = vka_cmd_poll(r->cur);
    if (s == VKA_NOT_READY)
        return s;
    if (s) {
        r->running = false;
        return s;
    }
    return advance(g, r);
}

vka_status vka_graph_wait(vka_graph *g, int64_t timeout_ns)
{
    if (!g)
        return VKA_ERR_INVALID_ARG;
    vka__run *r = g->run;
    double end = timeout_ns >= 0 ? vka__now_ns() + (double)timeout_ns : 0;
    while (r && r->running) {
        int64_t left = -1;
        if (timeout_ns >= 0) {
            double rest = end - vka__now_ns();
            left = rest > 0 ? (int64_t)rest : 0;
        }
        char what[96];
        snprintf(what, sizeof what, "vka_graph_wait (part %d of %d)", r->next, r->nslices);
        vka_status s = vka__cmd_wait_named(r->cur, left, r->nslices > 1 ? what : "vka_graph_wait");
        if (s == VKA_NOT_READY || s == VKA_ERR_TIMEOUT) /* still pending: the caller may wait again */
            return s;
        if (s) {
            r->running = false;
            return s;
        }
        if ((s = advance(g, r)) && s != VKA_NOT_READY)
            return s;
    }
    return VKA_OK;
}

vka_status vka_graph_run(vka_graph *g)
{
    vka_status s = vka_graph_submit(g, NULL);
    return s ? s : vka_graph_wait(g, -1);
}

vka_status vka_graph_record(vka_graph *g, void *command_buffer)
{
    if (!g)
        return VKA_ERR_INVALID_ARG;
    if (!command_buffer)
        return vka__err(g->ctx, VKA_ERR_INVALID_ARG, "vka_graph_record: command_buffer is NULL");
    if (!g->built)
        return vka__err(g->ctx, VKA_ERR_STATE, "vka_graph_record: build the graph first");
    vka__run *r = run_state(g);
    if (!r)
        return VKA_ERR_OUT_OF_MEMORY;
    if (!r->secondary) {
        vka_status s;
        if (!(r->secondary = vka__cmd_create_secondary(g->ctx)))
            return VKA_ERR_OUT_OF_MEMORY;
        if ((s = record_plan(g, r->secondary, 0, g->nplan))) {
            vka_cmd_destroy(r->secondary);
            r->secondary = NULL;
            return s;
        }
    }
    g->ctx->vk.vkCmdExecuteCommands((VkCommandBuffer)command_buffer, 1, &r->secondary->cb);
    return VKA_OK;
}

vka_status vka_graph_get_output(vka_graph *g, const char *name, void *data, size_t bytes)
{
    if (!g || !name)
        return VKA_ERR_INVALID_ARG;
    vka_status s = check_ready(g, "vka_graph_get_output");
    if (s)
        return s;
    vka_val v = find_named(g, g->outputs, g->noutputs, name);
    if (v < 0)
        return vka__err(g->ctx, VKA_ERR_NOT_FOUND, "the graph has no output named \"%s\"", name);
    vka__value *x = &g->vals[v];
    if (!data)
        return vka__err(g->ctx, VKA_ERR_INVALID_ARG, "output %s: data is NULL", name);
    if (x->is_int) {
        if (bytes != (size_t)x->numel * 8)
            return vka__err(g->ctx, VKA_ERR_SHAPE, "output %s: %zu bytes for %lld int64 values", name, bytes,
                            (long long)x->numel);
        if (!data && bytes)
            return vka__err(g->ctx, VKA_ERR_INVALID_ARG, "output %s: data is NULL", name);
        int32_t *d = malloc(4 * (size_t)(x->numel ? x->numel : 1));
        if (!d)
            return vka__err(g->ctx, VKA_ERR_OUT_OF_MEMORY, "output %s: out of host memory", name);
        s = vka_tensor_download(x->t, d, (size_t)x->numel * 4);
        for (int64_t i = 0; !s && i < x->numel; i++)
            ((int64_t *)data)[i] = d[i];
        free(d);
        return s;
    }
    return vka_tensor_download(x->t, data, bytes);
}

/* ---------------------------------------------------------------- introspection */

int vka_graph_plan_size(const vka_graph *g) { return g ? g->nplan : 0; }
const char *vka_graph_plan_op(const vka_graph *g, int i) { return g && i >= 0 && i < g->nplan ? g->plan[i].op : NULL; }
const char *vka_graph_plan_node(const vka_graph *g, int i)
{
    return g && i >= 0 && i < g->nplan ? g->nodes[g->plan[i].node].name : NULL;
}

int vka_graph_dispatch_count(const vka_graph *g) { return g && g->cmd ? vka_cmd_dispatch_count(g->cmd) : 0; }

int vka_graph_plan_dispatches(const vka_graph *g, int i)
{
    return g && i >= 0 && i < g->nplan ? g->plan[i].count : 0;
}

/* The plan node that node k ended up in (following absorptions), or -1. */
static int absorbed_by(const vka_graph *g, int k)
{
    for (int steps = 0; k >= 0 && steps <= g->nnodes; steps++) {
        const vka__node *n = &g->nodes[k];
        if (!n->dead && !n->view && n->op != VKA__OP_RESHAPE)
            return k;
        k = n->into;
    }
    return -1;
}

const char *vka_graph_plan_absorbed(const vka_graph *g, int i, int j, const char **op)
{
    if (!g || i < 0 || i >= g->nplan || j < 0)
        return NULL;
    int target = g->plan[i].node;
    for (int k = 0; k < g->nnodes; k++) {
        const vka__node *n = &g->nodes[k];
        if (k == target || n->into < 0 || !(n->dead || n->view) || absorbed_by(g, k) != target || j-- > 0)
            continue;
        if (op)
            *op = vka__op_name(n->op);
        return n->name;
    }
    return NULL;
}

double vka_graph_plan_flops(const vka_graph *g, int i)
{
    if (!g || i < 0 || i >= g->nplan)
        return 0;
    const vka__node *n = &g->nodes[g->plan[i].node];
    const vka__value *y = &g->vals[n->out], *x = n->nin > 0 && n->in[0] >= 0 ? &g->vals[n->in[0]] : NULL;
    double out = (double)y->numel;
    switch (n->op) {
    case VKA__OP_MATMUL: return 2.0 * out * (double)x->shape[x->ndim - 1];
    case VKA__OP_GEMM: return 2.0 * out * (double)(n->trans_a ? x->shape[0] : x->shape[1]);
    case VKA__OP_CONV: {
        /* OIHW [O, C/G, KH, KW], or packed [O, KH, KW, roundup(C/G, 4)] */
        const vka__value *w = &g->vals[n->in[1]];
        if (n->conv_packed)
            return 2.0 * out * (double)(w->shape[1] * w->shape[2] * (x->shape[1] / (n->conv.groups ? n->conv.groups : 1)));
        return 2.0 * out * (double)(w->numel / (w->shape[0] ? w->shape[0] : 1));
    }
    case VKA__OP_ATTENTION: {
        vka_attn_desc d = attn_desc_of(g, n);
        return 4.0 * (double)(d.batch * d.heads * d.nq * d.nk * d.head_dim);
    }
    case VKA__OP_DEFORM_ATTN: {
        double points = 0;
        for (int l = 0; l < n->deform.levels; l++)
            points += n->deform.points[l];
        if (points <= 0) { /* one P for every level, from the weights [.., ΣP] */
            const vka__value *w = &g->vals[n->in[2]];
            points = (double)w->shape[w->ndim - 1];
        }
        return 8.0 * points * out;
    }
    case VKA__OP_ELTWISE: return out * n->ew.ncode;
    case VKA__OP_BINARY: case VKA__OP_UNARY: case VKA__OP_CLIP: case VKA__OP_COMPARE: case VKA__OP_WHERE:
        return out;
    case VKA__OP_SOFTMAX: case VKA__OP_LAYERNORM: case VKA__OP_RMSNORM: return 5.0 * out;
    case VKA__OP_REDUCE: return (double)x->numel;
    case VKA__OP_POOL: return n->sub < 0 ? (double)x->numel : out * (double)(n->pool.kernel[0] * n->pool.kernel[1]);
    default: return 0;
    }
}

uint64_t vka_graph_weight_bytes(const vka_graph *g) { return g && g->built ? g->weight_bytes : 0; }
vka_precision vka_graph_precision(const vka_graph *g) { return g && g->built ? g->precision : VKA_PRECISION_F32; }

uint64_t vka_graph_activation_bytes(const vka_graph *g, uint64_t *without_reuse)
{
    if (without_reuse)
        *without_reuse = g ? g->act_bytes_noreuse : 0;
    return g ? g->act_bytes : 0;
}

vka_status vka_graph_profile(const vka_graph *g, int i, const char **node, const char **op, double *ms)
{
    if (!g || i < 0 || i >= g->nplan)
        return VKA_ERR_INVALID_ARG;
    if (node)
        *node = g->nodes[g->plan[i].node].name;
    if (op)
        *op = g->plan[i].op;
    if (ms)
        *ms = g->plan[i].ms;
    return VKA_OK;
}

int vka_graph_attention_count(const vka_graph *g) { return g ? g->nattn : 0; }

/* B, H, Nq, Nk of plan attention entry `layer`, or an error. */
static vka_status attn_entry(const vka_graph *g, int *layer, int64_t *shape4)
{
    if (!g->built || !g->nattn)
        return vka__err(g->ctx, VKA_ERR_STATE, "attention probe: the graph is not built or has no attention");
    if (*layer < 0)
        *layer += g->nattn;
    if (*layer < 0 || *layer >= g->nattn)
        return vka__err(g->ctx, VKA_ERR_INVALID_ARG, "attention probe: layer out of range (%d attention nodes)",
                        g->nattn);
    const vka__node *n = &g->nodes[g->attn_nodes[*layer]];
    if (n->op == VKA__OP_ATTENTION) {
        int64_t dims[5];
        attn_dims(g, n, dims);
        shape4[0] = dims[0], shape4[1] = dims[1], shape4[2] = dims[2], shape4[3] = dims[3];
    } else { /* softmax P [..., Nq, Nk] */
        const vka__value *p = &g->vals[n->out];
        int64_t nq = p->shape[p->ndim - 2], nk = p->shape[p->ndim - 1];
        shape4[0] = p->ndim >= 4 ? p->shape[0] : 1;
        shape4[1] = p->numel / (shape4[0] * nq * nk);
        shape4[2] = nq, shape4[3] = nk;
    }
    return VKA_OK;
}

vka_status vka_graph_attention_shape(const vka_graph *g, int layer, int64_t shape4[4])
{
    if (!g || !shape4)
        return VKA_ERR_INVALID_ARG;
    return attn_entry(g, &layer, shape4);
}

vka_status vka_graph_attention_probe(vka_graph *g, int layer, int nrows, const int32_t *rows, float *out,
                                     size_t bytes, int64_t *shape4)
{
    if (!g || !rows || !out || nrows <= 0)
        return VKA_ERR_INVALID_ARG;
    vka_context *ctx = g->ctx;
    vka_status s0 = check_ready(g, "attention probe");
    if (s0)
        return s0;
    if (!g->params.probe_attention)
        return vka__err(ctx, VKA_ERR_STATE, "attention probe: build with probe_attention = 1 and run first");
    int64_t sh[4] = {0}, dims[5] = {0};
    vka_status s = attn_entry(g, &layer, sh);
    if (s)
        return s;
    vka__node *n = &g->nodes[g->attn_nodes[layer]];
    if (n->op == VKA__OP_ATTENTION)
        attn_dims(g, n, dims);
    int64_t B = sh[0], H = sh[1], nq = sh[2], nk = sh[3];
    for (int r = 0; r < nrows; r++)
        if (rows[r] < 0 || rows[r] >= nq)
            return vka__err(ctx, VKA_ERR_INVALID_ARG, "attention probe: row %d outside 0..%lld", rows[r],
                            (long long)nq - 1);
    size_t need = (size_t)(B * H * nrows * nk) * sizeof(float);
    if (bytes != need)
        return vka__err(ctx, VKA_ERR_SHAPE, "attention probe: %zu bytes given, %zu needed ([%lld, %lld, %d, %lld] f32)",
                        bytes, need, (long long)B, (long long)H, nrows, (long long)nk);
    if (shape4) {
        shape4[0] = B, shape4[1] = H, shape4[2] = nrows, shape4[3] = nk;
    }
    if (n->op != VKA__OP_ATTENTION) {
        const vka__value *p = &g->vals[n->out];
        float *all = malloc((size_t)p->numel * sizeof *all);
        if (!all)
            return VKA_ERR_OUT_OF_MEMORY;
        s = vka__download_f32(p->t, all, p->numel);
        for (int64_t bh = 0; !s && bh < B * H; bh++)
            for (int r = 0; r < nrows; r++)
                memcpy(out + (bh * nrows + r) * nk, all + (bh * nq + rows[r]) * nk, (size_t)nk * 4);
        free(all);
        return s;
    }
    int64_t nr = nrows;
    vka_tensor *rt = vka_tensor_create(ctx, VKA_I32, 1, &nr);
    vka_tensor *pt = vka_tensor_create(ctx, VKA_F32, 4, (int64_t[]){B, H, nr, nk});
    vka_cmd *cmd = vka_cmd_create(ctx);
    s = rt && pt && cmd ? VKA_OK : VKA_ERR_OUT_OF_MEMORY;
    if (!s)
        s = vka_tensor_upload(rt, rows, (size_t)nrows * 4);
    if (!s) {
        vka_attn_desc d = attn_desc_of(g, n);
        d.mask = n->mask >= 0 ? g->vals[n->mask].t : NULL;
        d.lse = g->vals[n->lse].t;
        if (!(s = vka_cmd_begin(cmd)) && !(s = vka_attention_probe(cmd, &d, g->vals[n->in[0]].t, g->vals[n->in[1]].t,
                                                                    rt, pt)) &&
            !(s = vka_cmd_end(cmd)) && !(s = vka_cmd_submit(cmd)))
            s = vka_tensor_download(pt, out, need);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(rt);
    vka_tensor_destroy(pt);
    return s;
}

int vka_graph_deform_count(const vka_graph *g) { return g ? g->ndeform : 0; }

vka_status vka_graph_deform_probe(vka_graph *g, int layer, float *loc, size_t loc_bytes, float *weights,
                                  size_t weights_bytes, vka_deform_probe_info *info)
{
    if (!g)
        return VKA_ERR_INVALID_ARG;
    vka_context *ctx = g->ctx;
    if (!g->built || !g->params.probe_attention)
        return vka__err(ctx, VKA_ERR_STATE, "deformable-attention probe: build with probe_attention = 1 and run first");
    vka_status s0 = (loc || weights) ? check_ready(g, "deformable-attention probe") : VKA_OK;
    if (s0)
        return s0;
    if (layer < 0)
        layer += g->ndeform;
    if (layer < 0 || layer >= g->ndeform)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "deformable-attention probe: layer out of range (%d layers)",
                        g->ndeform);
    const vka__node *n = &g->nodes[g->deform_nodes[layer]];
    const vka__value *vl = &g->vals[n->in[1]], *vw = &g->vals[n->in[2]];
    /* weights [B, Nq, H, ΣP], or [B, Nq, H, L, P] (RT-DETR v1's stacked levels): the same memory */
    int64_t rows = vw->shape[0] * vw->shape[1] * vw->shape[2];
    vka_deform_probe_info in = {.batch = vw->shape[0], .queries = vw->shape[1], .heads = vw->shape[2],
                                .points = rows ? vw->numel / rows : 0, .desc = n->deform};
    if (info)
        *info = in;
    vka_status s = VKA_OK;
    if (loc) {
        if (loc_bytes != (size_t)vl->numel * 4)
            return vka__err(ctx, VKA_ERR_SHAPE, "deformable-attention probe: %zu bytes for %lld locations", loc_bytes,
                            (long long)vl->numel);
        s = vka__download_f32(vl->t, loc, vl->numel);
    }
    if (!s && weights) {
        if (weights_bytes != (size_t)vw->numel * 4)
            return vka__err(ctx, VKA_ERR_SHAPE, "deformable-attention probe: %zu bytes for %lld weights",
                            weights_bytes, (long long)vw->numel);
        s = vka__download_f32(vw->t, weights, vw->numel);
    }
    return s;
}
