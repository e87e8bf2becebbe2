/* SPDX-License-Identifier: MIT */
/* test_onnx_hostile.c — models crafted as an attacker would (issue #13): each
 * replays one finding of the ASan/UBSan/libFuzzer review and must give a clear
 * error naming what is wrong (node, op, attribute, tensor) and never a crash, a
 * sanitizer report or an allocation sized by the file before a limit check.
 * Most load from memory (vka_onnx_load_memory); those about files (a
 * directory, a 3 GiB initializer in a sparse file, external data through a
 * symlink) load from disk. With VKA_CLI, `vkattn run` is replayed on each file
 * too: exit 1 and the same message. The context stays usable throughout. */
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "onnx.pb-c.h"

static char dir[64];

static const char *tmp_path(const char *name)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

/* ------------------------------------------------------------ a small model builder (freed all at once) */

static void *arena[4096];
static int narena;

static void *keep(void *p)
{
    if (narena < (int)(sizeof arena / sizeof arena[0]))
        arena[narena++] = p;
    return p;
}

static void *zalloc(size_t n) { return keep(calloc(1, n)); }

static void arena_free(void)
{
    while (narena)
        free(arena[--narena]);
}

typedef struct {
    Onnx__ModelProto m;
    Onnx__GraphProto g;
    Onnx__OperatorSetIdProto os, *osp[1];
    Onnx__NodeProto *nodes[16];
    Onnx__TensorProto *inits[16];
    Onnx__ValueInfoProto *ins[4], *outs[4];
} model;

static Onnx__ValueInfoProto *value_info(const char *name, int nd, const int64_t *dims)
{
    Onnx__TensorShapeProto__Dimension **d = zalloc(sizeof *d * (size_t)(nd ? nd : 1));
    for (int i = 0; i < nd; i++) {
        d[i] = zalloc(sizeof **d);
        onnx__tensor_shape_proto__dimension__init(d[i]);
        d[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d[i]->dim_value = dims[i];
    }
    Onnx__TensorShapeProto *shp = zalloc(sizeof *shp);
    onnx__tensor_shape_proto__init(shp);
    shp->n_dim = (size_t)nd, shp->dim = d;
    Onnx__TypeProto__Tensor *tt = zalloc(sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1, tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, tt->shape = shp;
    Onnx__TypeProto *ty = zalloc(sizeof *ty);
    onnx__type_proto__init(ty);
    ty->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, ty->tensor_type = tt;
    Onnx__ValueInfoProto *vi = zalloc(sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = (char *)name, vi->type = ty;
    return vi;
}

/* One float input x of the given shape, output y, opset 17. */
static model *model_new(int nd, const int64_t *xdims)
{
    model *m = zalloc(sizeof *m);
    onnx__model_proto__init(&m->m);
    onnx__graph_proto__init(&m->g);
    onnx__operator_set_id_proto__init(&m->os);
    m->os.domain = "", m->os.has_version = 1, m->os.version = 17;
    m->osp[0] = &m->os;
    m->m.has_ir_version = 1, m->m.ir_version = 8, m->m.n_opset_import = 1, m->m.opset_import = m->osp;
    m->m.graph = &m->g;
    m->g.name = "g";
    m->ins[0] = value_info("x", nd, xdims);
    m->outs[0] = value_info("y", 0, NULL);
    m->g.input = m->ins, m->g.n_input = 1;
    m->g.output = m->outs, m->g.n_output = 1;
    m->g.node = m->nodes, m->g.initializer = m->inits;
    return m;
}

/* ins/outs: comma-separated names ("" for an empty optional input) */
static char **names(const char *list, size_t *n)
{
    char *s = keep(strdup(list));
    char **v = zalloc(sizeof *v * 16);
    *n = 0;
    if (!*list)
        return v;
    for (char *p = s;; p++) {
        v[(*n)++] = p;
        p = strchr(p, ',');
        if (!p)
            break;
        *p = 0;
    }
    return v;
}

static Onnx__NodeProto *node(model *m, const char *op, const char *ins, const char *outs)
{
    Onnx__NodeProto *n = zalloc(sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = (char *)op;
    n->name = keep(strdup(op)); /* named after its op: the messages must name it */
    n->input = names(ins, &n->n_input);
    n->output = names(outs, &n->n_output);
    n->attribute = zalloc(sizeof *n->attribute * 8);
    m->nodes[m->g.n_node++] = n;
    return n;
}

static Onnx__AttributeProto *attr_new(Onnx__NodeProto *n, const char *name, int type)
{
    Onnx__AttributeProto *a = zalloc(sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = (char *)name, a->has_type = 1, a->type = type;
    n->attribute[n->n_attribute++] = a;
    return a;
}

static void attr_i(Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr_new(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1, a->i = v;
}

static void attr_f(Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = attr_new(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1, a->f = v;
}

static void attr_ints(Onnx__NodeProto *n, const char *name, int k, const int64_t *v)
{
    Onnx__AttributeProto *a = attr_new(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = (size_t)k, a->ints = zalloc(sizeof(int64_t) * (size_t)(k ? k : 1));
    memcpy(a->ints, v, sizeof(int64_t) * (size_t)k);
}

static Onnx__TensorProto *tensor(const char *name, int dt, int nd, const int64_t *dims, const void *raw, size_t bytes)
{
    Onnx__TensorProto *t = zalloc(sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = (char *)name, t->has_data_type = 1, t->data_type = dt;
    t->n_dims = (size_t)nd, t->dims = zalloc(sizeof(int64_t) * (size_t)(nd ? nd : 1));
    if (nd)
        memcpy(t->dims, dims, sizeof(int64_t) * (size_t)nd);
    t->has_raw_data = 1, t->raw_data.len = bytes;
    t->raw_data.data = bytes ? keep(malloc(bytes)) : NULL;
    if (bytes)
        memcpy(t->raw_data.data, raw, bytes);
    return t;
}

static void init_i64(model *m, const char *name, int k, const int64_t *v)
{
    m->inits[m->g.n_initializer++] =
        tensor(name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, (int64_t[]){k}, v, sizeof(int64_t) * (size_t)k);
}

static void init_f32(model *m, const char *name, int nd, const int64_t *dims, const float *v, size_t n)
{
    m->inits[m->g.n_initializer++] = tensor(name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, nd, dims, v, 4 * n);
}

static void scalar_f32(model *m, const char *name, float v)
{
    m->inits[m->g.n_initializer++] = tensor(name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 0, NULL, &v, 4);
}

static uint8_t *pack(model *m, size_t *len)
{
    *len = onnx__model_proto__get_packed_size(&m->m);
    uint8_t *buf = malloc(*len);
    onnx__model_proto__pack(&m->m, buf);
    return buf;
}

static void write_file(const char *path, const void *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        if (fwrite(d, 1, n, f) != n)
            printf("note: short write to %s\n", path);
        fclose(f);
    }
}

/* ------------------------------------------------------------ checks */

static int ncli;

/* `vkattn run FILE`: exit 1 and the needle in its message. */
static void cli_expect(const char *what, const char *file, const char *needle)
{
#ifdef VKA_CLI
    char cmd[1024], out[4096] = "";
    snprintf(cmd, sizeof cmd, "VKATTN_VALIDATE=0 %s run '%s' 2>&1", VKA_CLI, file);
    FILE *p = popen(cmd, "r");
    size_t k = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[k] = 0;
    int st = p ? pclose(p) : -1;
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    char *nl = strrchr(out, '\n');
    if (nl && !nl[1])
        *nl = 0;
    vkt_check(code == 1 && strstr(out, needle), "CLI on %s: exit %d (1 expected), \"%s\"", what, code, out);
    ncli++;
#else
    (void)what, (void)file, (void)needle;
#endif
}

/* Loads from memory and from a file (and the CLI on the file): an error with every needle. */
static void expect(vka_context *ctx, const char *what, model *m, const char *n1, const char *n2)
{
    size_t len;
    uint8_t *buf = pack(m, &len);
    vka_graph *g = vka_onnx_load_memory(ctx, buf, len, NULL);
    const char *e = vka_last_error();
    vkt_check(!g && strstr(e, n1) && (!n2 || strstr(e, n2)), "%s: \"%s\"", what, e);
    vka_graph_destroy(g);
    const char *f = tmp_path("case.onnx");
    write_file(f, buf, len);
    g = vka_onnx_load(ctx, f, NULL);
    e = vka_last_error();
    vkt_check(!g && strstr(e, n1) && strstr(e, "case.onnx"), "%s (file): \"%s\"", what, e);
    vka_graph_destroy(g);
    cli_expect(what, f, n1);
    free(buf);
    arena_free();
}

/* Loads (no error): inputs whose folding once had undefined behaviour. */
static void expect_ok(vka_context *ctx, const char *what, model *m)
{
    size_t len;
    uint8_t *buf = pack(m, &len);
    vka_graph *g = vka_onnx_load_memory(ctx, buf, len, NULL);
    vkt_check(g != NULL, "%s loads: %s", what, g ? "ok" : vka_last_error());
    vka_graph_destroy(g);
    free(buf);
    arena_free();
}

static const int64_t X23[2] = {2, 3};

static void bad_axes(vka_context *ctx)
{
    model *m = model_new(2, X23);
    init_i64(m, "pads", 2, (int64_t[]){1, 1});
    init_i64(m, "axes", 1, (int64_t[]){9});
    node(m, "Pad", "x,pads,,axes", "y");
    expect(ctx, "Pad axes [9]", m, "Pad axis 9 out of range", "node Pad");

    m = model_new(2, X23);
    init_i64(m, "pads", 2, (int64_t[]){1, 1});
    init_i64(m, "axes", 1, (int64_t[]){100000});
    node(m, "Pad", "x,pads,,axes", "y");
    expect(ctx, "Pad axes [100000]", m, "Pad axis 100000 out of range", NULL);

    m = model_new(2, X23);
    init_i64(m, "axes", 1, (int64_t[]){5});
    node(m, "Unsqueeze", "x,axes", "y");
    expect(ctx, "Unsqueeze axes [5] on rank 2", m, "Unsqueeze axis 5 out of range", "node Unsqueeze");

    m = model_new(2, X23);
    attr_i(node(m, "Flatten", "x", "y"), "axis", 5);
    expect(ctx, "Flatten axis 5 on rank 2", m, "Flatten axis 5 out of range", NULL);

    m = model_new(2, X23);
    attr_i(node(m, "Softmax", "x", "y"), "axis", -99997);
    expect(ctx, "Softmax axis -99997", m, "Softmax axis -99997 out of range", NULL);

    m = model_new(2, X23);
    init_i64(m, "st", 3, (int64_t[]){0, 0, 0});
    init_i64(m, "en", 3, (int64_t[]){1, 1, 1});
    node(m, "Slice", "x,st,en", "y");
    expect(ctx, "Slice with 3 starts on rank 2, no axes", m, "Slice axis 2 out of range for rank 2", "more starts");

    m = model_new(2, X23);
    attr_ints(node(m, "Transpose", "x", "y"), "perm", 1, (int64_t[]){1});
    expect(ctx, "Transpose perm shorter than the rank", m, "perm has 1 entries for a rank-2", NULL);

    m = model_new(2, X23);
    init_i64(m, "split", 1, (int64_t[]){1});
    attr_i(node(m, "Split", "x,split", "y,y2"), "axis", 0);
    expect(ctx, "Split with fewer sizes than outputs", m, "Split has 1 sizes for 2 outputs", NULL);
}

static void bad_sizes(vka_context *ctx)
{
    /* dims whose product wraps: [2^62 + 2, 4] -> 8 in 64-bit arithmetic */
    model *m = model_new(2, X23);
    float eight[8] = {0};
    init_f32(m, "w", 2, (int64_t[]){(1ll << 62) + 2, 4}, eight, 8);
    node(m, "Transpose", "w", "y");
    expect(ctx, "initializer dims [2^62+2, 4]", m, "tensor w", "overflows");

    m = model_new(2, X23);
    init_f32(m, "w", 2, (int64_t[]){1ll << 32, 1ll << 32}, eight, 1);
    node(m, "Relu", "w", "y");
    expect(ctx, "initializer dims [2^32, 2^32]", m, "tensor w", "overflows");

    m = model_new(2, X23);
    init_i64(m, "shape", 2, (int64_t[]){1ll << 32, 1ll << 32});
    node(m, "ConstantOfShape", "shape", "y");
    expect(ctx, "ConstantOfShape [2^32, 2^32]", m, "node ConstantOfShape", "overflows");

    m = model_new(2, X23);
    init_i64(m, "shape", 2, (int64_t[]){1ll << 20, 1ll << 20});
    node(m, "ConstantOfShape", "shape", "y");
    expect(ctx, "ConstantOfShape of 4 TiB", m, "node ConstantOfShape", "over the budget");

    m = model_new(2, X23);
    scalar_f32(m, "one", 1);
    init_i64(m, "shape", 2, (int64_t[]){1ll << 20, 1ll << 20});
    node(m, "Expand", "one,shape", "y");
    expect(ctx, "Expand to 4 TiB", m, "node Expand", "over the budget");

    m = model_new(2, X23);
    scalar_f32(m, "a", 0), scalar_f32(m, "b", 1e13f), scalar_f32(m, "d", 1);
    node(m, "Range", "a,b,d", "y");
    expect(ctx, "Range of 10^13 elements", m, "node Range", "over the budget");

    m = model_new(2, X23);
    init_f32(m, "w", 1, (int64_t[]){2}, eight, 2);
    init_i64(m, "reps", 1, (int64_t[]){1ll << 40});
    node(m, "Tile", "w,reps", "y");
    expect(ctx, "Tile of a constant to 2^41 elements", m, "node Tile", "over the budget");

    m = model_new(2, X23);
    scalar_f32(m, "a", NAN), scalar_f32(m, "b", 10), scalar_f32(m, "d", 1);
    node(m, "Range", "a,b,d", "y");
    expect(ctx, "Range from NaN", m, "Range length nan", NULL);

    int64_t x4[4] = {1, 1, 2, 2};
    m = model_new(4, x4);
    float sc[4] = {1, 1, INFINITY, INFINITY};
    init_f32(m, "scales", 1, (int64_t[]){4}, sc, 4);
    node(m, "Resize", "x,,scales", "y");
    expect(ctx, "Resize scales inf", m, "Resize output height inf", NULL);

    /* negative graph-input dim */
    m = model_new(2, (int64_t[]){-3, 3});
    node(m, "Relu", "x", "y");
    expect(ctx, "graph input dim -3", m, "input x: dimension 0 is -3", NULL);
}

static void zero_and_division(vka_context *ctx)
{
    int64_t x4[4] = {1, 1, 4, 4};
    float w1 = 1;
    model *m = model_new(4, x4);
    init_f32(m, "w", 4, (int64_t[]){1, 1, 1, 1}, &w1, 1);
    attr_ints(node(m, "Conv", "x,w", "y"), "strides", 2, (int64_t[]){0, 0});
    expect(ctx, "Conv stride 0", m, "node Conv", "strides 0x0");

    m = model_new(4, x4);
    init_f32(m, "w", 4, (int64_t[]){0, 1, 1, 1}, NULL, 0);
    node(m, "Conv", "x,w", "y");
    expect(ctx, "Conv with 0 output channels", m, "node Conv", "empty");

    m = model_new(2, X23);
    init_f32(m, "e", 2, (int64_t[]){2, 0}, NULL, 0);
    init_f32(m, "gamma", 1, (int64_t[]){0}, NULL, 0);
    node(m, "LayerNormalization", "e,gamma", "y");
    expect(ctx, "LayerNorm over an empty axis", m, "node LayerNormalization", "empty");

    m = model_new(2, X23);
    init_f32(m, "a", 2, (int64_t[]){2, 0}, NULL, 0);
    init_f32(m, "b", 2, (int64_t[]){0, 3}, NULL, 0);
    node(m, "MatMul", "a,b", "y");
    expect(ctx, "MatMul with K = 0", m, "node MatMul", "empty");
}

static void bad_nodes(vka_context *ctx)
{
    model *m = model_new(2, X23);
    node(m, "Relu", "x", "y");
    Onnx__NodeProto *c = node(m, "Constant", "", "");
    c->n_output = 0;
    attr_f(c, "value_float", 1);
    expect(ctx, "Constant with no output", m, "node Constant", "0 outputs");

    m = model_new(2, X23);
    node(m, "Relu", "x", "y");
    init_i64(m, "shape", 1, (int64_t[]){2});
    node(m, "ConstantOfShape", "shape", "")->n_output = 0;
    expect(ctx, "ConstantOfShape with no output", m, "node ConstantOfShape", "0 outputs");

    m = model_new(2, X23);
    attr_i(node(m, "Relu", "x", "y"), "frobnicate", 1);
    expect(ctx, "unknown attribute", m, "unknown attribute \"frobnicate\"", "node Relu (op Relu");

    m = model_new(2, X23);
    node(m, "Add", "x,x,x", "y");
    expect(ctx, "Add with 3 inputs", m, "3 inputs, Add takes 2..2", NULL);

    m = model_new(2, X23);
    attr_f(node(m, "Softmax", "x", "y"), "axis", 1.0f);
    expect(ctx, "Softmax axis given as a float", m, "attribute axis is of type float, int expected", NULL);

    m = model_new(2, X23);
    Onnx__NodeProto *s = node(m, "Softmax", "x", "y");
    attr_i(s, "axis", -1), attr_i(s, "axis", 1);
    expect(ctx, "attribute given twice", m, "attribute axis is given twice", NULL);

    /* a NaN cast to int64 and an empty initializer (once memcpy from NULL): load cleanly */
    m = model_new(2, X23);
    scalar_f32(m, "nan", NAN);
    init_f32(m, "empty", 1, (int64_t[]){0}, NULL, 0);
    attr_i(node(m, "Cast", "nan", "i"), "to", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    node(m, "Relu", "x", "y");
    expect_ok(ctx, "Cast of NaN to int64 and an empty initializer", m);
}

/* ModelProto.graph -> GraphProto.node -> NodeProto.attribute -> AttributeProto.g -> ...,
 * `levels` deep: protobuf-c's recursive unpack once overflowed the stack on it. */
static void deep_nesting(vka_context *ctx, int levels)
{
    size_t cap = (size_t)levels * 8 + 64, pos = cap;
    uint8_t *b = malloc(cap);
    /* written back to front: each level is tag, length, then the level inside */
    static const uint8_t tags[4] = {0x0a /* GraphProto.node (1) */, 0x2a /* NodeProto.attribute (5) */,
                                    0x32 /* AttributeProto.g (6) */, 0x0a};
    for (int l = levels - 1; l >= 0; l--) {
        size_t len = cap - pos;
        uint8_t v[10];
        int k = 0;
        do {
            v[k++] = (uint8_t)((len & 0x7f) | (len > 0x7f ? 0x80 : 0));
            len >>= 7;
        } while (len);
        for (int i = k - 1; i >= 0; i--)
            b[--pos] = v[i];
        b[--pos] = l == 0 ? 0x3a /* ModelProto.graph (7) */ : tags[(l - 1) % 3];
    }
    vka_graph *g = vka_onnx_load_memory(ctx, b + pos, cap - pos, NULL);
    vkt_check(!g && strstr(vka_last_error(), "nested more than 64 deep"), "model nested %d deep: \"%s\"", levels,
              vka_last_error());
    const char *f = tmp_path("deep.onnx");
    write_file(f, b + pos, cap - pos);
    cli_expect("model nested deep", f, "nested more than 64 deep");
    vka_graph_destroy(g);
    free(b);
}

static void put_varint(FILE *f, uint64_t v)
{
    do {
        fputc((int)((v & 0x7f) | (v > 0x7f ? 0x80 : 0)), f);
        v >>= 7;
    } while (v);
}

static size_t varint_len(uint64_t v)
{
    size_t k = 1;
    while (v > 0x7f)
        v >>= 7, k++;
    return k;
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* A model whose one initializer is 3 GiB of raw_data, in a sparse file: it is
 * refused from its header (device limit or host budget), the payload never read. */
static void huge_initializer(vka_context *ctx)
{
    const char *f = tmp_path("huge.onnx");
    const uint64_t numel = 805306368, bytes = numel * 4; /* 3 GiB of F32 */
    /* TensorProto: dims (1) varint, data_type (2) = 1, name (8) "big", raw_data (9) */
    uint64_t tlen = 1 + varint_len(numel) + 2 + 5 + 1 + varint_len(bytes) + bytes;
    uint64_t glen = 1 + varint_len(tlen) + tlen;
    FILE *fp = fopen(f, "wb");
    if (!fp) {
        vkt_check(0, "cannot write %s", f);
        return;
    }
    fputc(0x08, fp), fputc(8, fp);                                            /* ir_version 8 */
    fputc(0x42, fp), fputc(2, fp), fputc(0x10, fp), fputc(17, fp);            /* opset_import { version 17 } */
    fputc(0x3a, fp), put_varint(fp, glen);                                    /* graph */
    fputc(0x2a, fp), put_varint(fp, tlen);                                    /* initializer */
    fputc(0x08, fp), put_varint(fp, numel);                                   /* dims */
    fputc(0x10, fp), fputc(1, fp);                                            /* FLOAT */
    fputc(0x42, fp), fputc(3, fp), fputs("big", fp);                          /* name */
    fputc(0x4a, fp), put_varint(fp, bytes);                                   /* raw_data */
    long head = ftell(fp);
    fclose(fp);
    if (truncate(f, head + (off_t)bytes)) {
        vkt_check(0, "cannot extend %s", f);
        return;
    }
    long rss0 = max_rss_kb();
    vka_onnx_params p = vka_onnx_default_params();
    p.host_memory_limit = 1ull << 30; /* so a device with a 4 GiB buffer range refuses it too */
    vka_graph *g = vka_onnx_load(ctx, f, &p);
    long grew = max_rss_kb() - rss0;
    const char *e = vka_last_error();
    vkt_check(!g && strstr(e, "big") && (strstr(e, "maxStorageBufferRange") || strstr(e, "budget")),
              "3 GiB initializer refused: \"%s\"", e);
    vkt_check(grew < 200 * 1024, "refusing it grew the peak RSS by %ld KiB (< 200 MiB)", grew);
    vka_graph_destroy(g);
    cli_expect("3 GiB initializer", f, "big");
    unlink(f);
}

static void files(vka_context *ctx)
{
    vka_graph *g = vka_onnx_load(ctx, dir, NULL);
    vkt_check(!g && strstr(vka_last_error(), "not a regular file (a directory)"), "a directory as a model: \"%s\"",
              vka_last_error());
    cli_expect("a directory as a model", dir, "not a regular file");

    /* external data through a symlink that leaves the model's folder */
    char sub[300], outside[300], link[300], path[400];
    snprintf(sub, sizeof sub, "%s/m", dir);
    snprintf(outside, sizeof outside, "%s/secret.bin", dir);
    snprintf(link, sizeof link, "%s/m/w.bin", dir);
    mkdir(sub, 0700);
    float w[6] = {1, 2, 3, 4, 5, 6};
    write_file(outside, w, sizeof w);
    if (symlink(outside, link)) {
        vkt_check(0, "cannot make the symlink %s", link);
        return;
    }
    model *m = model_new(2, X23);
    Onnx__TensorProto *t = tensor("w", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, X23, NULL, 0);
    t->has_raw_data = 0;
    t->has_data_location = 1, t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    Onnx__StringStringEntryProto *loc = zalloc(sizeof *loc), **ed = zalloc(sizeof *ed);
    onnx__string_string_entry_proto__init(loc);
    loc->key = "location", loc->value = "w.bin";
    ed[0] = loc;
    t->n_external_data = 1, t->external_data = ed;
    m->inits[m->g.n_initializer++] = t;
    node(m, "Add", "x,w", "y");
    size_t len;
    uint8_t *buf = pack(m, &len);
    snprintf(path, sizeof path, "%s/model.onnx", sub);
    write_file(path, buf, len);
    g = vka_onnx_load(ctx, path, NULL);
    vkt_check(!g && strstr(vka_last_error(), "outside the model's folder") && strstr(vka_last_error(), "initializer w"),
              "external data through a symlink out of the folder: \"%s\"", vka_last_error());
    vka_graph_destroy(g);
    cli_expect("external data through a symlink", path, "outside the model's folder");
    /* the same file as a regular file in the folder loads */
    unlink(link);
    write_file(link, w, sizeof w);
    g = vka_onnx_load(ctx, path, NULL);
    vkt_check(g != NULL, "external data in the model's folder loads: %s", g ? "ok" : vka_last_error());
    vka_graph_destroy(g);
    /* from memory: external data only with external_data_dir */
    g = vka_onnx_load_memory(ctx, buf, len, NULL);
    vkt_check(!g && strstr(vka_last_error(), "external_data_dir"), "external data from memory without a folder: \"%s\"",
              vka_last_error());
    vka_onnx_params p = vka_onnx_default_params();
    p.external_data_dir = sub;
    g = vka_onnx_load_memory(ctx, buf, len, &p);
    vkt_check(g != NULL, "external data from memory with external_data_dir: %s", g ? "ok" : vka_last_error());
    vka_graph_destroy(g);
    free(buf);
    arena_free();
}

/* The CLI's --inputs: a tensor of the right byte count but the wrong dtype or shape is refused. */
static void cli_inputs(void)
{
#ifdef VKA_CLI
    model *m = model_new(2, X23);
    node(m, "Relu", "x", "y");
    size_t len;
    uint8_t *buf = pack(m, &len);
    const char *mp = tmp_path("relu.onnx");
    write_file(mp, buf, len);
    free(buf);
    arena_free();
    int64_t i3[3] = {1, 2, 3};
    float f6[6] = {1, 2, 3, 4, 5, 6};
    struct { const char *what, *needle; vka_st_tensor t; } cases[] = {
        {"I64 [3] for F32 [2, 3] (same 24 bytes)", "I64 [3], the model expects F32 [2, 3]",
         {.name = "x", .dtype = VKA_ST_I64, .ndim = 1, .shape = {3}, .data = i3, .bytes = sizeof i3}},
        {"F32 [3, 2] for F32 [2, 3]", "F32 [3, 2], the model expects F32 [2, 3]",
         {.name = "x", .dtype = VKA_ST_F32, .ndim = 2, .shape = {3, 2}, .data = f6, .bytes = sizeof f6}},
        {"F32 [2, 3] (correct)", NULL,
         {.name = "x", .dtype = VKA_ST_F32, .ndim = 2, .shape = {2, 3}, .data = f6, .bytes = sizeof f6}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *sp = tmp_path("in.safetensors");
        vka_safetensors_write(sp, 1, &cases[i].t);
        char cmd[1024], out[4096] = "";
        snprintf(cmd, sizeof cmd, "VKATTN_VALIDATE=0 %s run '%s' --inputs '%s' 2>&1", VKA_CLI, mp, sp);
        FILE *p = popen(cmd, "r");
        size_t k = p ? fread(out, 1, sizeof out - 1, p) : 0;
        out[k] = 0;
        int st = p ? pclose(p) : -1, code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (cases[i].needle)
            vkt_check(code == 1 && strstr(out, cases[i].needle), "run --inputs %s: exit %d, \"%s\"", cases[i].what,
                      code, out);
        else
            vkt_check(code == 0, "run --inputs %s: exit %d", cases[i].what, code);
    }
#endif
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    snprintf(dir, sizeof dir, "/tmp/vkattn-hostile-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    bad_axes(ctx);
    bad_sizes(ctx);
    zero_and_division(ctx);
    bad_nodes(ctx);
    deep_nesting(ctx, 100000);
    huge_initializer(ctx);
    files(ctx);
    cli_inputs();
    printf("%d CLI replays\n", ncli);

    /* still usable: a good model loads, builds and runs */
    model *m = model_new(2, X23);
    node(m, "Relu", "x", "y");
    size_t len;
    uint8_t *buf = pack(m, &len);
    vka_graph *g = vka_onnx_load_memory(ctx, buf, len, NULL);
    vka_status s = g ? vka_graph_build(g, NULL) : VKA_ERR_STATE;
    float x[6] = {-1, 2, -3, 4, -5, 6}, y[6] = {NAN, NAN, NAN, NAN, NAN, NAN};
    if (!s)
        s = vka_graph_set_input(g, "x", x, sizeof x);
    if (!s)
        s = vka_graph_run(g);
    if (!s)
        s = vka_graph_get_output(g, "y", y, sizeof y);
    double ref[6] = {0, 2, 0, 4, 0, 6};
    vkt_check(s == VKA_OK, "a good model still loads from memory and runs: %s", vka_status_str(s));
    vkt_compare("Relu after the errors", y, ref, 6, 1e-7);
    vka_graph_destroy(g);
    free(buf);
    arena_free();

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", dir);
    return vkt_finish();
}
