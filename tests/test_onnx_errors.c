/* SPDX-License-Identifier: MIT */
/* test_onnx_errors.c — bad models give clear errors, never a crash: a
 * truncated file, an unknown operator (named with its node and opset), an
 * opset outside 13..17, a node reading an undefined tensor, an initializer
 * whose raw_data does not match its shape, a missing file; and graph builder
 * shape errors name the node. The context stays usable after each. */
#include <unistd.h>

#include "common.h"
#include "onnx.pb-c.h"

static char dir[64];

static const char *tmp_path(const char *name)
{
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const void *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(d, 1, n, f);
    fclose(f);
}

/* A one-node model: y = OP(x [2, 3]) (+ an initializer w if w_bytes >= 0). */
static void write_model(const char *path, const char *op, int64_t opset, const char *input, int w_bytes)
{
    Onnx__TensorShapeProto__Dimension d0 = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT, d1 = d0;
    d0.value_case = d1.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    d0.dim_value = 2;
    d1.dim_value = 3;
    Onnx__TensorShapeProto__Dimension *dims[2] = {&d0, &d1};
    Onnx__TensorShapeProto shp = ONNX__TENSOR_SHAPE_PROTO__INIT;
    shp.n_dim = 2;
    shp.dim = dims;
    Onnx__TypeProto__Tensor tt = ONNX__TYPE_PROTO__TENSOR__INIT;
    tt.has_elem_type = 1;
    tt.elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tt.shape = &shp;
    Onnx__TypeProto ty = ONNX__TYPE_PROTO__INIT;
    ty.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    ty.tensor_type = &tt;
    Onnx__ValueInfoProto xi = ONNX__VALUE_INFO_PROTO__INIT, yi = ONNX__VALUE_INFO_PROTO__INIT;
    xi.name = "x";
    xi.type = &ty;
    yi.name = "y";
    yi.type = &ty;
    Onnx__ValueInfoProto *ins[1] = {&xi}, *outs[1] = {&yi};
    char *nin[2] = {(char *)input, "w"}, *nout[1] = {"y"};
    Onnx__NodeProto node = ONNX__NODE_PROTO__INIT;
    node.name = "the_node";
    node.op_type = (char *)op;
    node.n_input = w_bytes >= 0 ? 2 : 1;
    node.input = nin;
    node.n_output = 1;
    node.output = nout;
    Onnx__NodeProto *nodes[1] = {&node};
    float wdata[6] = {1, 2, 3, 4, 5, 6};
    int64_t wd[2] = {2, 3};
    Onnx__TensorProto w = ONNX__TENSOR_PROTO__INIT;
    w.name = "w";
    w.n_dims = 2;
    w.dims = wd;
    w.has_data_type = 1;
    w.data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    w.has_raw_data = 1;
    w.raw_data.len = (size_t)(w_bytes > 0 ? w_bytes : 0);
    w.raw_data.data = (uint8_t *)wdata;
    Onnx__TensorProto *inits[1] = {&w};
    Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
    g.name = "g";
    g.n_node = 1;
    g.node = nodes;
    g.n_input = 1;
    g.input = ins;
    g.n_output = 1;
    g.output = outs;
    g.n_initializer = w_bytes >= 0 ? 1 : 0;
    g.initializer = inits;
    Onnx__OperatorSetIdProto os = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    os.domain = "";
    os.has_version = 1;
    os.version = opset;
    Onnx__OperatorSetIdProto *oss[1] = {&os};
    Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
    m.has_ir_version = 1;
    m.ir_version = 8;
    m.n_opset_import = 1;
    m.opset_import = oss;
    m.graph = &g;
    size_t len = onnx__model_proto__get_packed_size(&m);
    uint8_t *buf = malloc(len);
    onnx__model_proto__pack(&m, buf);
    write_file(path, buf, len);
    free(buf);
}

static void expect_load_error(vka_context *ctx, const char *what, const char *path, const char *n1, const char *n2)
{
    vka_graph *g = vka_onnx_load(ctx, path, NULL);
    const char *e = vka_last_error();
    vkt_check(!g && strstr(e, n1) && (!n2 || strstr(e, n2)), "%s: \"%s\"", what, e);
    vka_graph_destroy(g);
}

static void still_usable(vka_context *ctx)
{
    const char *p = tmp_path("ok.onnx");
    write_model(p, "Relu", 17, "x", -1);
    vka_graph *g = vka_onnx_load(ctx, p, NULL);
    vka_status s = g ? vka_graph_build(g, NULL) : VKA_ERR_STATE;
    float x[6] = {-1, 2, -3, 4, -5, 6}, y[6];
    for (int i = 0; i < 6; i++)
        y[i] = NAN;
    if (!s)
        s = vka_graph_set_input(g, "x", x, sizeof x);
    if (!s)
        s = vka_graph_run(g);
    if (!s)
        s = vka_graph_get_output(g, "y", y, sizeof y);
    double ref[6] = {0, 2, 0, 4, 0, 6};
    vkt_check(s == VKA_OK, "a good model still loads and runs after the errors: %s", vka_status_str(s));
    vkt_compare("Relu model output", y, ref, 6, 1e-7);
    vka_graph_destroy(g);
}

/* y = BatchNormalization(x [2, 3, 2, 2]) with random scale, bias, mean, var
 * initializers: imported as a per-channel affine, checked against float64. */
static void batchnorm_model(vka_context *ctx)
{
    float prm[4][3];
    for (int i = 0; i < 3; i++) {
        prm[0][i] = 0.5f + (float)vkt_rand01();      /* scale */
        prm[1][i] = vkt_randn1();                     /* bias */
        prm[2][i] = vkt_randn1();                     /* mean */
        prm[3][i] = 0.2f + (float)vkt_rand01();      /* var */
    }
    const char *pn[4] = {"scale", "bias", "mean", "var"};
    int64_t d3 = 3;
    Onnx__TensorProto t[4];
    Onnx__TensorProto *inits[4];
    for (int i = 0; i < 4; i++) {
        onnx__tensor_proto__init(&t[i]);
        t[i].name = (char *)pn[i];
        t[i].n_dims = 1;
        t[i].dims = &d3;
        t[i].has_data_type = 1;
        t[i].data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
        t[i].n_float_data = 3; /* typed field, not raw_data: the other way initializers are stored */
        t[i].float_data = prm[i];
        inits[i] = &t[i];
    }
    int64_t xs[4] = {2, 3, 2, 2};
    Onnx__TensorShapeProto__Dimension dm[4], *dims[4];
    for (int i = 0; i < 4; i++) {
        onnx__tensor_shape_proto__dimension__init(&dm[i]);
        dm[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        dm[i].dim_value = xs[i];
        dims[i] = &dm[i];
    }
    Onnx__TensorShapeProto shp = ONNX__TENSOR_SHAPE_PROTO__INIT;
    shp.n_dim = 4;
    shp.dim = dims;
    Onnx__TypeProto__Tensor tt = ONNX__TYPE_PROTO__TENSOR__INIT;
    tt.has_elem_type = 1;
    tt.elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tt.shape = &shp;
    Onnx__TypeProto ty = ONNX__TYPE_PROTO__INIT;
    ty.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    ty.tensor_type = &tt;
    Onnx__ValueInfoProto xi = ONNX__VALUE_INFO_PROTO__INIT, yi = ONNX__VALUE_INFO_PROTO__INIT;
    xi.name = "x", xi.type = &ty, yi.name = "y", yi.type = &ty;
    Onnx__ValueInfoProto *ins[1] = {&xi}, *outs[1] = {&yi};
    char *nin[5] = {"x", "scale", "bias", "mean", "var"}, *nout[1] = {"y"};
    float eps = 1e-3f;
    Onnx__AttributeProto ae = ONNX__ATTRIBUTE_PROTO__INIT;
    ae.name = "epsilon", ae.has_type = 1, ae.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, ae.has_f = 1, ae.f = eps;
    Onnx__AttributeProto *attrs[1] = {&ae};
    Onnx__NodeProto node = ONNX__NODE_PROTO__INIT;
    node.name = "bn", node.op_type = "BatchNormalization", node.n_input = 5, node.input = nin, node.n_output = 1;
    node.output = nout, node.n_attribute = 1, node.attribute = attrs;
    Onnx__NodeProto *nodes[1] = {&node};
    Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
    g.name = "g", g.n_node = 1, g.node = nodes, g.n_input = 1, g.input = ins, g.n_output = 1, g.output = outs;
    g.n_initializer = 4, g.initializer = inits;
    Onnx__OperatorSetIdProto os = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    os.domain = "", os.has_version = 1, os.version = 15;
    Onnx__OperatorSetIdProto *oss[1] = {&os};
    Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
    m.has_ir_version = 1, m.ir_version = 8, m.n_opset_import = 1, m.opset_import = oss, m.graph = &g;
    size_t len = onnx__model_proto__get_packed_size(&m);
    uint8_t *buf = malloc(len);
    onnx__model_proto__pack(&m, buf);
    write_file(tmp_path("bn.onnx"), buf, len);
    free(buf);

    float *x = vkt_randn(24, 2.0f), y[24];
    double ref[24];
    for (int i = 0; i < 24; i++) {
        int c = (i / 4) % 3;
        ref[i] = (x[i] - prm[2][c]) / sqrt((double)prm[3][c] + eps) * prm[0][c] + prm[1][c];
        y[i] = NAN;
    }
    vka_graph *gr = vka_onnx_load(ctx, tmp_path("bn.onnx"), NULL);
    vka_status s = gr ? vka_graph_build(gr, NULL) : VKA_ERR_FORMAT;
    if (!s)
        s = vka_graph_set_input(gr, "x", x, sizeof(float) * 24);
    if (!s)
        s = vka_graph_run(gr);
    if (!s)
        s = vka_graph_get_output(gr, "y", y, sizeof y);
    vkt_check(s == VKA_OK, "BatchNormalization model (float_data initializers) loads and runs: %s",
              s ? vka_context_last_error(ctx) : "ok");
    vkt_compare("BatchNormalization vs float64", y, ref, 24, 1e-5);
    vka_graph_destroy(gr);
    free(x);
}

static void builder_errors(vka_context *ctx)
{
    vka_graph *g = vka_graph_create(ctx);
    vka_val a = vka_graph_input(g, "a", VKA_F32, 2, (int64_t[]){4, 5});
    vka_val b = vka_graph_input(g, "b", VKA_F32, 2, (int64_t[]){6, 7});
    vka_val c = vka_graph_matmul(g, "mm_bad", a, b);
    vkt_check(c == VKA_NONE && strstr(vka_context_last_error(ctx), "mm_bad") &&
                  strstr(vka_context_last_error(ctx), "inner dimensions"),
              "matmul shape mismatch names the node: \"%s\"", vka_context_last_error(ctx));
    vka_val d = vka_graph_binary(g, "add_bad", VKA_ADD, a, b);
    vkt_check(d == VKA_NONE && strstr(vka_context_last_error(ctx), "add_bad") &&
                  strstr(vka_context_last_error(ctx), "broadcast"),
              "binary broadcast mismatch names the node: \"%s\"", vka_context_last_error(ctx));
    vka_graph_output(g, a, "a_out");
    vka_status s = vka_graph_build(g, NULL);
    vkt_check(s == VKA_ERR_STATE && strstr(vka_context_last_error(ctx), "failed node"),
              "a graph with a failed node refuses to build: \"%s\"", vka_context_last_error(ctx));
    vka_graph_destroy(g);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    snprintf(dir, sizeof dir, "/tmp/vkattn-onnx-XXXXXX");
    if (!mkdtemp(dir))
        return 1;

    expect_load_error(ctx, "missing file", "/nonexistent/model.onnx", "cannot open", NULL);
    write_file(tmp_path("empty.onnx"), "", 0);
    expect_load_error(ctx, "empty file", tmp_path("empty.onnx"), "no graph", NULL);
    write_model(tmp_path("unknown.onnx"), "FrobnicateV2", 17, "x", -1);
    expect_load_error(ctx, "unknown operator", tmp_path("unknown.onnx"), "the_node", "FrobnicateV2");
    {
        vka_graph *g = vka_onnx_load(ctx, tmp_path("unknown.onnx"), NULL);
        vkt_check(!g && strstr(vka_last_error(), "opset 17"), "unknown operator message names the opset: \"%s\"",
                  vka_last_error());
    }
    write_model(tmp_path("opset9.onnx"), "Relu", 9, "x", -1);
    expect_load_error(ctx, "opset 9", tmp_path("opset9.onnx"), "opset 9", "13..17");
    write_model(tmp_path("undef.onnx"), "Relu", 17, "nowhere", -1);
    expect_load_error(ctx, "input defined by no node", tmp_path("undef.onnx"), "nowhere", "not defined");
    write_model(tmp_path("raw.onnx"), "Add", 17, "x", 20);
    expect_load_error(ctx, "raw_data size mismatch", tmp_path("raw.onnx"), "raw_data has 20 bytes", NULL);

    /* truncated copies of a real model at several lengths */
    const char *real = vkt_asset("models/vit_tiny_ci.onnx");
    if (real) {
        FILE *f = fopen(real, "rb");
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *buf = malloc((size_t)n);
        if (fread(buf, 1, (size_t)n, f) != (size_t)n)
            n = 0;
        fclose(f);
        long cuts[4] = {7, n / 3, n / 2, n - 3};
        for (int i = 0; i < 4; i++) {
            write_file(tmp_path("trunc.onnx"), buf, (size_t)cuts[i]);
            char what[64];
            snprintf(what, sizeof what, "truncated at %ld of %ld bytes", cuts[i], n);
            vka_graph *g = vka_onnx_load(ctx, tmp_path("trunc.onnx"), NULL);
            vkt_check(!g && strstr(vka_last_error(), "trunc.onnx"), "%s: \"%s\"", what, vka_last_error());
            vka_graph_destroy(g);
        }
        free(buf);
    }
    builder_errors(ctx);
    batchnorm_model(ctx);
    still_usable(ctx);

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        printf("note: could not remove %s\n", dir);
    return vkt_finish();
}
