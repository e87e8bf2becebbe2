/* SPDX-License-Identifier: MIT */
/* fuzz_onnx_struct.c — libFuzzer, structure-aware: the input is unpacked as an
 * ONNX ModelProto (protobuf-c, the library's own schema), mutated where the
 * importer's checks live (dims of inputs and initializers, attribute values,
 * types and names, axes lists, node wiring and arity, op types, node order,
 * opset, initializer payloads) and packed again, so most inputs are valid
 * protobuf that reaches the importer and the graph builder. Inputs that do not
 * parse get libFuzzer's byte mutations. Then the same as fuzz_onnx. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_onnx_common.h"
#include "onnx.pb-c.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* ---------------------------------------------------------------- randomness */
static uint64_t rng;
static uint32_t rnd(uint32_t n) /* 0..n-1 (n > 0) */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)((rng >> 11) % (n ? n : 1));
}

static int64_t interesting_int(int64_t cur)
{
    static const int64_t v[] = {0, 1, -1, 2, -2, 3, 4, 7, 8, 9, 16, 63, 64, 100000, -99997, 65535, 65536,
                                INT32_MAX, INT32_MIN, (int64_t)1 << 31, (int64_t)1 << 32, ((int64_t)1 << 62) + 2,
                                INT64_MAX, INT64_MIN, INT64_MAX / 2};
    switch (rnd(4)) {
    case 0: return (int64_t)((uint64_t)cur + rnd(9) - 4); /* wraps at the ends, on purpose */
    case 1: return (int64_t)rnd(33) - 16;
    default: return v[rnd(sizeof v / sizeof v[0])];
    }
}

static float interesting_float(float cur)
{
    static const float v[] = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 2.0f, 1e-12f, 1e30f, -1e30f, 3.4e38f, 1e-45f};
    switch (rnd(5)) {
    case 0: return NAN;
    case 1: return rnd(2) ? INFINITY : -INFINITY;
    case 2: return cur * (float)(rnd(7) + 1) - 3.0f;
    default: return v[rnd(sizeof v / sizeof v[0])];
    }
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* protobuf-c frees a string unless it is the shared empty default */
static void set_str(char **field, const char *s)
{
    char *d = dupstr(s);
    if (!d)
        return;
    if (*field && *field != protobuf_c_empty_string)
        free(*field);
    *field = d;
}

/* Grows or shrinks a malloc'ed array (protobuf-c frees it with free()). */
static int resize_arr(void **arr, size_t *n, size_t elem, size_t want)
{
    if (want > 64)
        return -1;
    void *p = realloc(*arr, (want ? want : 1) * elem);
    if (!p)
        return -1;
    if (want > *n)
        memset((char *)p + *n * elem, 0, (want - *n) * elem);
    *arr = p;
    *n = want;
    return 0;
}

static void mutate_ints(int64_t **v, size_t *n)
{
    switch (rnd(4)) {
    case 0: /* append */
        if (!resize_arr((void **)v, n, sizeof **v, *n + 1))
            (*v)[*n - 1] = interesting_int(0);
        return;
    case 1: /* drop the last */
        if (*n)
            resize_arr((void **)v, n, sizeof **v, *n - 1);
        return;
    default:
        if (*n) {
            size_t i = rnd((uint32_t)*n);
            (*v)[i] = interesting_int((*v)[i]);
        }
    }
}

/* ---------------------------------------------------------------- names in the graph */
static const char *const op_names[] = {
    "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Exp", "Log", "Sqrt", "Erf", "Tanh", "Sigmoid", "Relu", "Neg",
    "Reciprocal", "Abs", "Sin", "Cos", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or",
    "Not", "Pad", "MaxPool", "AveragePool", "BatchNormalization", "GlobalAveragePool", "Resize", "Clip", "TopK",
    "GatherElements", "Tile", "GridSample", "Constant", "Identity", "Dropout", "MatMul", "Gemm",
    "LayerNormalization", "ReduceMean", "ReduceSum", "ReduceMax", "Softmax", "Transpose", "Reshape", "Expand",
    "Flatten", "Squeeze", "Unsqueeze", "Slice", "Concat", "Gather", "Cast", "Where", "Conv", "Shape", "Size",
    "ConstantOfShape", "Range", "Split", "Loop", "If", "Einsum", "NoSuchOp"};
static const char *const attr_names[] = {
    "axis", "axes", "perm", "pads", "strides", "kernel_shape", "dilations", "group", "split", "num_outputs", "to",
    "value", "value_int", "value_ints", "value_float", "value_floats", "keepdims", "epsilon", "alpha", "beta",
    "transA", "transB", "mode", "start", "end", "largest", "sorted", "allowzero", "ceil_mode", "auto_pad",
    "align_corners", "padding_mode", "coordinate_transformation_mode", "nearest_mode", "noop_with_empty_axes",
    "count_include_pad", "storage_order", "stash_type", "training_mode", "momentum", "exclude_outside"};

/* Some tensor name of the graph (input, initializer, node output), or an odd one. */
static const char *any_name(const Onnx__GraphProto *g)
{
    size_t total = g->n_input + g->n_initializer + g->n_node;
    uint32_t r = rnd((uint32_t)total + 2);
    if (r < g->n_input)
        return g->input[r]->name ? g->input[r]->name : "";
    r -= (uint32_t)g->n_input;
    if (r < g->n_initializer)
        return g->initializer[r]->name ? g->initializer[r]->name : "";
    r -= (uint32_t)g->n_initializer;
    if (r < g->n_node && g->node[r]->n_output)
        return g->node[r]->output[rnd((uint32_t)g->node[r]->n_output)];
    return rnd(2) ? "" : "no_such_tensor";
}

/* ---------------------------------------------------------------- the mutations */
static Onnx__TensorShapeProto *shape_of(Onnx__ValueInfoProto *vi)
{
    if (!vi || !vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !vi->type->tensor_type)
        return NULL;
    return vi->type->tensor_type->shape;
}

static void mutate_value_info(Onnx__GraphProto *g)
{
    size_t n = g->n_input + g->n_output;
    if (!n)
        return;
    size_t k = rnd((uint32_t)n);
    Onnx__ValueInfoProto *vi = k < g->n_input ? g->input[k] : g->output[k - g->n_input];
    if (vi && vi->type && vi->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && vi->type->tensor_type &&
        rnd(6) == 0) {
        static const int32_t types[] = {1, 6, 7, 9, 10, 11, 2, 0, 100};
        vi->type->tensor_type->has_elem_type = 1;
        vi->type->tensor_type->elem_type = types[rnd(sizeof types / sizeof types[0])];
        return;
    }
    Onnx__TensorShapeProto *s = shape_of(vi);
    if (!s)
        return;
    uint32_t what = rnd(5);
    if (what == 0 && s->n_dim < 10) { /* one more dim */
        Onnx__TensorShapeProto__Dimension *d = malloc(sizeof *d);
        if (!d)
            return;
        onnx__tensor_shape_proto__dimension__init(d);
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d->dim_value = interesting_int(1);
        void *arr = s->dim;
        size_t nd = s->n_dim;
        if (resize_arr(&arr, &nd, sizeof *s->dim, nd + 1)) {
            free(d);
            return;
        }
        s->dim = arr;
        s->n_dim = nd;
        s->dim[nd - 1] = d;
    } else if (what == 1 && s->n_dim) { /* one dim less */
        protobuf_c_message_free_unpacked(&s->dim[s->n_dim - 1]->base, NULL);
        s->n_dim--;
    } else if (s->n_dim) {
        Onnx__TensorShapeProto__Dimension *d = s->dim[rnd((uint32_t)s->n_dim)];
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM) {
            if (d->dim_param && d->dim_param != protobuf_c_empty_string)
                free(d->dim_param);
            d->dim_value = 1;
        }
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d->dim_value = interesting_int(d->dim_value);
    }
}

static void mutate_tensor(Onnx__TensorProto *t)
{
    switch (rnd(6)) {
    case 0:
    case 1:
        mutate_ints(&t->dims, &t->n_dims);
        return;
    case 2: { /* data type */
        static const int32_t types[] = {1, 6, 7, 9, 10, 11, 2, 3, 0, 8, 16, 999};
        t->has_data_type = 1;
        t->data_type = types[rnd(sizeof types / sizeof types[0])];
        return;
    }
    case 3: /* payload cut short */
        if (t->has_raw_data && t->raw_data.len)
            t->raw_data.len = rnd((uint32_t)t->raw_data.len);
        else if (t->n_float_data)
            t->n_float_data = rnd((uint32_t)t->n_float_data);
        else if (t->n_int64_data)
            t->n_int64_data = rnd((uint32_t)t->n_int64_data);
        return;
    case 4: /* a value inside the payload (indices, shapes, pads fed as tensors) */
        if (t->n_int64_data) {
            size_t i = rnd((uint32_t)t->n_int64_data);
            t->int64_data[i] = interesting_int(t->int64_data[i]);
        } else if (t->has_raw_data && t->raw_data.len >= 8) {
            size_t i = rnd((uint32_t)(t->raw_data.len / 8)) * 8;
            int64_t v;
            memcpy(&v, t->raw_data.data + i, 8);
            v = t->data_type == 1 ? 0 : interesting_int(v);
            if (t->data_type == 1) {
                float f[2] = {interesting_float(1), interesting_float(0)};
                memcpy(&v, f, 8);
            }
            memcpy(t->raw_data.data + i, &v, 8);
        } else if (t->n_float_data) {
            size_t i = rnd((uint32_t)t->n_float_data);
            t->float_data[i] = interesting_float(t->float_data[i]);
        }
        return;
    default: /* external data, which load_memory refuses (no folder given) */
        t->has_data_location = 1;
        t->data_location = rnd(2) ? ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL : 7;
        return;
    }
}

static void mutate_attribute(Onnx__AttributeProto *a)
{
    switch (rnd(8)) {
    case 0: { /* another type: the importer must check it */
        static const Onnx__AttributeProto__AttributeType types[] = {
            ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS,
            ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS,
            ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR,
            ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED};
        a->has_type = 1;
        a->type = types[rnd(sizeof types / sizeof types[0])];
        return;
    }
    case 1:
        set_str(&a->name, attr_names[rnd(sizeof attr_names / sizeof attr_names[0])]);
        return;
    case 2:
        a->has_f = 1;
        a->f = interesting_float(a->f);
        if (a->n_floats) {
            size_t i = rnd((uint32_t)a->n_floats);
            a->floats[i] = interesting_float(a->floats[i]);
        }
        return;
    case 3:
        if (a->t) {
            mutate_tensor(a->t);
            return;
        }
        /* fall through */
    case 4:
    case 5:
        if (a->n_ints || a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS) {
            mutate_ints(&a->ints, &a->n_ints);
            return;
        }
        /* fall through */
    default:
        a->has_i = 1;
        a->i = interesting_int(a->i);
        return;
    }
}

static void add_attribute(Onnx__NodeProto *n)
{
    if (n->n_attribute >= 16)
        return;
    Onnx__AttributeProto *a = malloc(sizeof *a);
    if (!a)
        return;
    onnx__attribute_proto__init(a);
    a->name = dupstr(attr_names[rnd(sizeof attr_names / sizeof attr_names[0])]);
    a->has_type = 1;
    if (rnd(2)) {
        a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
        a->has_i = 1;
        a->i = interesting_int(0);
    } else {
        a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
        size_t k = rnd(6);
        for (size_t i = 0; i < k; i++)
            mutate_ints(&a->ints, &a->n_ints);
    }
    void *arr = n->attribute;
    size_t na = n->n_attribute;
    if (!a->name || resize_arr(&arr, &na, sizeof *n->attribute, na + 1)) {
        protobuf_c_message_free_unpacked(&a->base, NULL);
        return;
    }
    n->attribute = arr;
    n->n_attribute = na;
    n->attribute[na - 1] = a;
}

/* Node wiring: an input or output renamed to another tensor of the graph (or
 * none), one input more or less. */
static void mutate_wiring(Onnx__GraphProto *g, Onnx__NodeProto *n)
{
    uint32_t what = rnd(4);
    if (what == 0 && n->n_input < 12) {
        void *arr = n->input;
        size_t ni = n->n_input;
        char *s = dupstr(any_name(g));
        if (!s || resize_arr(&arr, &ni, sizeof *n->input, ni + 1)) {
            free(s);
            return;
        }
        n->input = arr;
        n->n_input = ni;
        n->input[ni - 1] = s;
    } else if (what == 1 && n->n_input) {
        free(n->input[n->n_input - 1]);
        n->n_input--;
    } else if (what == 2 && n->n_output) {
        set_str(&n->output[rnd((uint32_t)n->n_output)], any_name(g));
    } else if (n->n_input) {
        set_str(&n->input[rnd((uint32_t)n->n_input)], any_name(g));
    }
}

static void mutate_graph(Onnx__ModelProto *m, Onnx__GraphProto *g)
{
    uint32_t what = rnd(16);
    if (what < 2) {
        mutate_value_info(g);
    } else if (what < 4) {
        if (g->n_initializer)
            mutate_tensor(g->initializer[rnd((uint32_t)g->n_initializer)]);
    } else if (what == 4 && m->n_opset_import) {
        m->opset_import[0]->has_version = 1;
        m->opset_import[0]->version = rnd(4) ? 11 + (int64_t)rnd(12) : interesting_int(17);
    } else if (what == 5 && g->n_node >= 2) { /* order: a node before its producer */
        size_t i = rnd((uint32_t)g->n_node), j = rnd((uint32_t)g->n_node);
        Onnx__NodeProto *t = g->node[i];
        g->node[i] = g->node[j];
        g->node[j] = t;
    } else if (what == 6 && g->n_node >= 2) { /* a node removed */
        size_t i = rnd((uint32_t)g->n_node);
        protobuf_c_message_free_unpacked(&g->node[i]->base, NULL);
        memmove(g->node + i, g->node + i + 1, (g->n_node - i - 1) * sizeof *g->node);
        g->n_node--;
    } else if (g->n_node) {
        Onnx__NodeProto *n = g->node[rnd((uint32_t)g->n_node)];
        uint32_t k = rnd(10);
        if (k < 4 && n->n_attribute)
            mutate_attribute(n->attribute[rnd((uint32_t)n->n_attribute)]);
        else if (k < 5)
            add_attribute(n);
        else if (k < 8)
            mutate_wiring(g, n);
        else
            set_str(&n->op_type, op_names[rnd(sizeof op_names / sizeof op_names[0])]);
    }
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    rng = (uint64_t)seed * 0x9E3779B97F4A7C15ull + 1;
    Onnx__ModelProto *m = rnd(10) ? onnx__model_proto__unpack(NULL, size, data) : NULL;
    if (!m || !m->graph) {
        if (m)
            onnx__model_proto__free_unpacked(m, NULL);
        return LLVMFuzzerMutate(data, size, max_size);
    }
    for (uint32_t k = 1 + rnd(3); k; k--)
        mutate_graph(m, m->graph);
    size_t n = onnx__model_proto__get_packed_size(m);
    if (n <= max_size)
        onnx__model_proto__pack(m, data);
    onnx__model_proto__free_unpacked(m, NULL);
    return n <= max_size ? n : LLVMFuzzerMutate(data, size, max_size);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_onnx_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_onnx_one(data, size);
    return 0;
}
