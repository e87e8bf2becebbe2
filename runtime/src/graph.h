/* SPDX-License-Identifier: MIT */
/* graph.h — the graph IR shared by graph.c (builders, shape inference,
 * folding), passes.c (fusions), exec.c (memory plan, record, run) and onnx.c. */
#ifndef VKA_GRAPH_H
#define VKA_GRAPH_H

#include "internal.h"

typedef enum vka__op {
    VKA__OP_MATMUL,
    VKA__OP_GEMM,
    VKA__OP_BINARY,
    VKA__OP_UNARY,
    VKA__OP_LAYERNORM,
    VKA__OP_SOFTMAX,
    VKA__OP_RESHAPE,    /* a view: no dispatch */
    VKA__OP_TRANSPOSE,
    VKA__OP_SLICE,
    VKA__OP_CONCAT,
    VKA__OP_GATHER,
    VKA__OP_EXPAND,
    VKA__OP_CAST,
    VKA__OP_WHERE,
    VKA__OP_CONV,
    VKA__OP_ATTENTION,
    VKA__OP_REDUCE,             /* one axis; several axes are a chain */
    VKA__OP_PAD,
    VKA__OP_POOL,               /* sub: VKA_POOL_MAX/AVG, or -1 global average */
    VKA__OP_RESIZE,
    VKA__OP_CLIP,
    VKA__OP_TOPK,               /* out: values, out2: I32 indices */
    VKA__OP_GATHER_ELEMENTS,
    VKA__OP_TILE,
    VKA__OP_COMPARE,
    VKA__OP_GRID_SAMPLE,
    VKA__OP_DEFORM_ATTN,
    VKA__OP_RMSNORM,            /* in: x, gamma or VKA_NONE; eps */
    VKA__OP_ELTWISE,            /* a fused chain: node.ew over in[0..nin) */
    VKA__OP_COUNT
} vka__op;

#define VKA__MAX_IN 8

typedef struct vka__value {
    char name[96];
    vka_dtype dtype;             /* device dtype; I32 for integer values */
    bool is_int;                 /* ONNX integer (int64 on the host) */
    int ndim;
    int64_t shape[VKA_MAX_DIMS];
    int64_t numel;
    void *host;                  /* constant data: float (F32 or F16 dtype: converted at upload) or int64 (is_int); owned */
    bool is_input, is_output;
    int producer;                /* node index, -1 for inputs and constants */
    /* filled by vka_graph_build */
    int nuse;                    /* live consumers */
    int last_use;                /* index of the last node reading it */
    vka_val alias;               /* reshape, slice or concat view: the value whose memory this one shares */
    int64_t alias_off;           /* bytes into alias's memory where this one starts */
    bool pinned;                 /* kept alive to the end (outputs, probes) */
    vka_tensor *t;               /* device tensor (a view into a pooled buffer) */
    int buf;                     /* pooled buffer index, -1 none */
} vka__value;

typedef struct vka__node {
    vka__op op;
    char name[96];
    vka_val in[VKA__MAX_IN];
    int nin;
    vka_val out;
    vka_val out2;                /* a second output (TopK indices) or VKA_NONE */
    bool dead;
    /* attributes, by op */
    int sub;                     /* binary/unary op */
    int axis;
    int trans_a, trans_b;
    float alpha, beta, eps, scale;
    int perm[VKA_MAX_DIMS];
    int64_t starts[VKA_MAX_DIMS], steps[VKA_MAX_DIMS]; /* slice, resolved per axis */
    vka_conv_params conv;
    /* conv epilogue, set by fusion: in[3] scale, in[4] shift ([O] constants or
     * VKA_NONE; in[2] is the bias or VKA_NONE), residual (above), added before
     * the activation when conv_res_pre; in[1] packed by vka_conv_pack_weights
     * when conv_packed */
    bool conv_res_pre;
    bool conv_packed;
    int conv_kernel;             /* vka__conv_plan's choice + 1; 0: vka_conv2d_ex chooses when recorded */
    /* GEMM/MATMUL epilogue, set by fusion */
    vka_act act;
    vka_val bias, residual;
    vka_pool_params pool;
    bool pool_padv;              /* max pool: its padding holds alpha (a constant Pad folded in by fusion) */
    int interp, coord, nearest;  /* resize */
    float scales[2];             /* resize scales as given, 0: from sizes */
    int64_t k;                   /* topk */
    vka_deform_attn_desc deform;
    /* attention */
    vka_val mask;
    vka_val lse;                 /* probe: saved log-sum-exp, or VKA_NONE */
    bool is_attention_softmax;   /* unfused path: a softmax that is an attention's P */
    /* set by fusion */
    bool attn_strided;           /* attention: q, k, v, o addressed by attn (dims, strides, offsets) */
    vka_attn_desc attn;          /* its mask/lse pointers unused (from mask/lse above) */
    vka_eltwise_desc ew;         /* VKA__OP_ELTWISE: program and input strides over out's axes */
    int into;                    /* a node fused away or made a view: the node that absorbed it, or -1 */
    bool view;                   /* slice / concat done by the memory plan: no dispatch */
    vka_val ew_dst;              /* ELTWISE placed by the memory plan: writes into this concat (ew.y_strided) */
} vka__node;

typedef struct vka__buffer {
    vka_tensor *t;               /* U8 tensor of `bytes` */
    size_t bytes;
    int free_after;              /* node index after which it is free again */
} vka__buffer;

typedef struct vka__plan_entry {
    int node;
    const char *op;
    double ms;                   /* GPU time of the last run (profile) */
    int first, count;            /* its dispatches in the recording */
} vka__plan_entry;

struct vka_graph {
    vka_context *ctx;
    vka__value *vals;
    int nvals, cap_vals;
    vka__node *nodes;
    int nnodes, cap_nodes;
    vka_val *inputs, *outputs;
    int ninputs, noutputs;
    bool failed;                 /* a builder call failed: refuse to build */
    uint64_t host_budget;        /* bytes of host constants (folding) allowed, checked before allocating */
    uint64_t host_bytes;         /* charged so far */
    bool built;
    vka_graph_build_params params;
    vka__buffer *bufs;
    int nbufs;
    uint64_t act_bytes, act_bytes_noreuse;
    uint64_t weight_bytes;       /* constants on the device */
    uint64_t input_bytes;        /* the graph's inputs on the device */
    vka_precision precision;     /* as built (AUTO resolved) */
    vka_cmd *cmd;
    vka__plan_entry *plan;
    int nplan;
    int *attn_nodes;             /* plan order of attention nodes (fused or softmax) */
    int nattn;
    int *deform_nodes;           /* plan order of deformable-attention nodes */
    int ndeform;
    struct vka__run *run;        /* exec.c: inputs set, a pending run, slices, the secondary recording */
};

/* graph.c */
vka_val vka__graph_add_value(vka_graph *g, const char *name, vka_dtype dt, bool is_int, int ndim,
                             const int64_t *shape);
int vka__graph_add_node(vka_graph *g, vka__op op, const char *name, const vka_val *in, int nin);
const char *vka__op_name(vka__op op);
bool vka__graph_is_const(const vka_graph *g, vka_val v);
/* The values node n reads (its inputs, the epilogue's bias and residual, an
 * attention's mask where it is not among the inputs) into out, each as often
 * as it reads it; returns how many (at most VKA__NODE_MAX_READS). */
#define VKA__NODE_MAX_READS (VKA__MAX_IN + 3)
int vka__node_inputs(const vka__node *n, vka_val *out);
/* Reads element i of a constant as double (floats or ints). */
double vka__const_at(const vka_graph *g, vka_val v, int64_t i);
/* Element i as int64, exactly for integer constants (INT64_MAX ends of slices). */
int64_t vka__const_i64(const vka_graph *g, vka_val v, int64_t i);
bool vka__const_scalar(const vka_graph *g, vka_val v, double *out);
/* Host storage for a constant of the given shape (int64 if is_int, else
 * float), its element count checked and charged to g->host_budget before
 * anything is allocated: NULL with the node's error set. *n: the count. */
void *vka__host_new(vka_graph *g, const char *name, bool is_int, int nd, const int64_t *shape, int64_t *n);
/* A constant value that takes over `data` (from vka__host_new; freed on failure). */
vka_val vka__graph_const_owned(vka_graph *g, const char *name, bool is_int, int ndim, const int64_t *shape,
                               void *data);

/* exec.c: frees g->run (waiting for a pending run); graph destroy and rebuild call it */
void vka__graph_run_free(vka_graph *g);

/* precision.c: AUTO resolved for the context's device */
vka_precision vka__precision_resolve(const vka_context *ctx, vka_precision p);
/* Assigns f16/f32 storage to every float value and inserts the casts (after fusion). */
vka_status vka__graph_precision(vka_graph *g, vka_precision p);

/* passes.c */
vka_status vka__graph_fuse(vka_graph *g);
void vka__graph_mark_attention(vka_graph *g);


#endif
