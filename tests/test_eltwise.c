/* SPDX-License-Identifier: MIT */
/* test_eltwise.c — vka_eltwise (fused elementwise programs) against a float64
 * interpreter of the same program: the chains the fusion pass makes (Relu ->
 * per-channel scale -> shift, x·sigmoid(x), box arithmetic on strided
 * slices), every unary and binary op, random programs over random broadcasts
 * and strides, transposed reads, strided writes (the columns of a concat),
 * f32 and f16 storage, in place, unaligned views, and the error paths.
 * Outputs are NaN-poisoned before each run. */
#include "common.h"

typedef struct {
    int ndim;
    int64_t shape[VKA_MAX_DIMS];
    float *data;                 /* host copy (rounded to f16 for f16 runs) */
    int64_t numel;
} input;

static double ref_unary(int op, double x)
{
    switch (op) {
    case VKA_EXP: return exp(x);
    case VKA_LOG: return log(x);
    case VKA_SQRT: return sqrt(x);
    case VKA_ERF: return erf(x);
    case VKA_TANH: return tanh(x);
    case VKA_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case VKA_RELU: return x > 0 ? x : 0;
    case VKA_GELU: return 0.5 * x * erfc(-x / sqrt(2.0));
    case VKA_NEG: return -x;
    case VKA_RECIPROCAL: return 1.0 / x;
    case VKA_ABS: return fabs(x);
    case VKA_GELU_TANH: {
        double u = sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x);
        return x / (1.0 + exp(-2.0 * u));
    }
    case VKA_SIN: return sin(x);
    case VKA_COS: return cos(x);
    default: return x / (1.0 + exp(-x)); /* silu */
    }
}

static double ref_binary(int op, double a, double b)
{
    switch (op) {
    case VKA_ADD: return a + b;
    case VKA_SUB: return a - b;
    case VKA_MUL: return a * b;
    case VKA_DIV: return a / b;
    case VKA_POW: return pow(a, b);
    case VKA_MAX: return a > b ? a : b;
    default: return a < b ? a : b;
    }
}

/* Element offsets of input x read over y's shape: the descriptor's strides, or
 * numpy broadcasting, computed here independently of the library. */
static void ref_strides(const vka_eltwise_desc *d, int i, const input *x, int yndim, const int64_t *yshape,
                        int64_t *st, int64_t *off)
{
    if (d->strided[i]) {
        memcpy(st, d->stride[i], sizeof(int64_t) * (size_t)yndim);
        *off = d->offset[i];
        return;
    }
    int64_t acc = 1;
    for (int k = yndim - 1; k >= 0; k--) {
        int kx = k - (yndim - x->ndim);
        int64_t nx = kx >= 0 ? x->shape[kx] : 1;
        st[k] = nx == 1 ? 0 : acc;
        acc *= nx;
    }
    (void)yshape;
    *off = 0;
}

static double *reference(const vka_eltwise_desc *d, int nin, const input *in, int yndim, const int64_t *yshape,
                         int64_t n)
{
    int64_t st[VKA_ELTWISE_MAX_IN][VKA_MAX_DIMS], off[VKA_ELTWISE_MAX_IN];
    for (int i = 0; i < nin; i++)
        ref_strides(d, i, &in[i], yndim, yshape, st[i], &off[i]);
    double *ref = malloc(sizeof *ref * (size_t)n);
    for (int64_t e = 0; e < n; e++) {
        double xs[4] = {0}, r[4] = {0};
        for (int i = 0; i < nin; i++) {
            int64_t rem = e, idx = off[i];
            for (int k = yndim - 1; k >= 0; k--) {
                idx += (rem % yshape[k]) * st[i][k];
                rem /= yshape[k];
            }
            xs[i] = in[i].data[idx];
        }
        for (int k = 0; k < d->ncode; k++) {
            const vka_eltwise_instr *c = &d->code[k];
            double ops[2];
            int o[2] = {c->a, c->b};
            for (int j = 0; j < 2; j++)
                ops[j] = o[j] < 4 ? r[o[j]] : o[j] < 8 ? xs[o[j] - 4] : (double)d->imm[o[j] - 8];
            r[c->dst] = c->op >= VKA_EW_UNARY ? ref_unary(c->op - VKA_EW_UNARY, ops[0]) : ref_binary(c->op, ops[0], ops[1]);
        }
        ref[e] = r[0];
    }
    return ref;
}

static vka_eltwise_instr I(int op, int dst, int a, int b) { return (vka_eltwise_instr){(uint8_t)op, (uint8_t)dst, (uint8_t)a, (uint8_t)b}; }
static vka_eltwise_instr U(int uop, int dst, int a) { return I(VKA_EW_UNARY + uop, dst, a, 0); }

static input make_input(int ndim, const int64_t *shape, float *data)
{
    input x = {.ndim = ndim, .data = data, .numel = 1};
    for (int k = 0; k < ndim; k++) {
        x.shape[k] = shape[k];
        x.numel *= shape[k];
    }
    return x;
}

/* Runs the program on fresh tensors, compares with the reference, and frees
 * the inputs' host data. where: 0 plain, 1 y aliases input 0, 2 unaligned views. */
static void run(vka_context *ctx, vka_dtype dt, const char *tag, const vka_eltwise_desc *d, int nin, input *in,
                int yndim, const int64_t *yshape, int where, double tol)
{
    int64_t n = 1;
    for (int k = 0; k < yndim; k++)
        n *= yshape[k];
    for (int i = 0; i < nin; i++)
        if (dt == VKA_F16)
            vkt_round_f16(in[i].data, (size_t)in[i].numel);
    vka_eltwise_desc dd = *d; /* immediates stay fp32 on the device for f16 storage too */
    double *ref = reference(&dd, nin, in, yndim, yshape, n);
    vka_tensor *xs[VKA_ELTWISE_MAX_IN] = {0}, *parents[VKA_ELTWISE_MAX_IN + 1] = {0}, *y;
    for (int i = 0; i < nin; i++) {
        if (where == 2) {
            int64_t big = in[i].numel + 5 + i;
            parents[i] = vkt_tensor(ctx, dt, 1, &big, NULL);
            xs[i] = vka_tensor_view(parents[i], 3 + i, in[i].ndim, in[i].shape);
            vkt_upload(xs[i], in[i].data);
        } else {
            xs[i] = vkt_tensor(ctx, dt, in[i].ndim, in[i].shape, in[i].data);
        }
    }
    if (where == 1) {
        y = xs[0];
    } else if (where == 2) {
        int64_t big = n + 4;
        parents[VKA_ELTWISE_MAX_IN] = vkt_tensor(ctx, dt, 1, &big, NULL);
        vkt_poison(parents[VKA_ELTWISE_MAX_IN]);
        y = vka_tensor_view(parents[VKA_ELTWISE_MAX_IN], 1, yndim, yshape);
    } else {
        y = vkt_tensor(ctx, dt, yndim, yshape, NULL);
        vkt_poison(y);
    }
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_eltwise(cmd, &dd, nin, xs, y);
    char what[200];
    snprintf(what, sizeof what, "eltwise %s %s, %d instr, %d inputs, n=%lld%s", tag, vka_dtype_str(dt), d->ncode, nin,
             (long long)n, where == 1 ? ", in place" : where == 2 ? ", unaligned views" : "");
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        if (where == 2) {
            float *all = vkt_download(parents[VKA_ELTWISE_MAX_IN]);
            vkt_compare(what, all + 1, ref, (size_t)n, tol);
            vkt_check(isnan(all[0]) && isnan(all[n + 1]), "%s writes nothing outside y", what);
            free(all);
        } else {
            float *got = vkt_download(y);
            vkt_compare(what, got, ref, (size_t)n, tol);
            free(got);
        }
    }
    vka_cmd_destroy(cmd);
    if (where != 1)
        vka_tensor_destroy(y);
    for (int i = 0; i < nin; i++) {
        vka_tensor_destroy(xs[i]);
        free(in[i].data);
    }
    for (int i = 0; i <= VKA_ELTWISE_MAX_IN; i++)
        vka_tensor_destroy(parents[i]);
    free(ref);
}

static double tol_of(vka_dtype dt) { return dt == VKA_F16 ? 5e-3 : 1e-5; }

/* Relu -> Mul(scale[C,1,1]) -> Add(shift[C,1,1]) on [1, C, H, W] (DEIMv2's learnable affine block) */
static void test_lab(vka_context *ctx, vka_dtype dt, int where)
{
    int64_t ys[4] = {1, 13, 9, 11}, cs[3] = {13, 1, 1};
    vka_eltwise_desc d = {0};
    d.ncode = 3;
    d.code[0] = U(VKA_RELU, 0, VKA_EW_X(0));
    d.code[1] = I(VKA_MUL, 0, VKA_EW_R(0), VKA_EW_X(1));
    d.code[2] = I(VKA_ADD, 0, VKA_EW_R(0), VKA_EW_X(2));
    input in[3] = {make_input(4, ys, vkt_randn(13 * 99, 1.5f)), make_input(3, cs, vkt_uniform(13, 0.5f, 1.5f)),
                   make_input(3, cs, vkt_randn(13, 1.0f))};
    run(ctx, dt, "relu*scale+shift", &d, 3, in, 4, ys, where, tol_of(dt));
}

/* x·sigmoid(x) through a second register */
static void test_silu(vka_context *ctx, vka_dtype dt)
{
    int64_t ys[3] = {3, 101, 37};
    vka_eltwise_desc d = {0};
    d.ncode = 2;
    d.code[0] = U(VKA_SIGMOID, 1, VKA_EW_X(0));
    d.code[1] = I(VKA_MUL, 0, VKA_EW_X(0), VKA_EW_R(1));
    input in[1] = {make_input(3, ys, vkt_randn(3 * 101 * 37, 4.0f))};
    run(ctx, dt, "x*sigmoid(x)", &d, 1, in, 3, ys, 0, tol_of(dt));
}

/* cx - 0.5·w and cy + 0.5·h as DETR box heads write them: columns of a [N, 4]
 * tensor read through strides (no slice copies), plus an immediate. */
static void test_box(vka_context *ctx, vka_dtype dt)
{
    const int64_t N = 301;
    int64_t bs[2] = {N, 4}, ys[2] = {N, 1};
    float *boxes = vkt_uniform((size_t)(N * 4), 0.05f, 0.95f);
    float *copy = malloc(sizeof *copy * (size_t)(N * 4));
    memcpy(copy, boxes, sizeof *copy * (size_t)(N * 4));
    vka_eltwise_desc d = {0};
    d.ncode = 3;
    d.nimm = 2;
    d.imm[0] = 0.5f;
    d.imm[1] = 640.0f;
    d.code[0] = I(VKA_MUL, 1, VKA_EW_X(1), VKA_EW_C(0));
    d.code[1] = I(VKA_SUB, 0, VKA_EW_X(0), VKA_EW_R(1));
    d.code[2] = I(VKA_MUL, 0, VKA_EW_R(0), VKA_EW_C(1));
    d.strided[0] = d.strided[1] = 1;
    d.offset[0] = 0, d.stride[0][0] = 4, d.stride[0][1] = 0;
    d.offset[1] = 2, d.stride[1][0] = 4, d.stride[1][1] = 0;
    input in[2] = {make_input(2, bs, boxes), make_input(2, bs, copy)};
    run(ctx, dt, "box (cx - w/2)*640 on strided columns", &d, 2, in, 2, ys, 0, dt == VKA_F16 ? 5e-3 : 1e-6);
}

/* A transposed read (x [5, 7, 3] seen as [3, 5, 7]), a broadcast row and pow. */
static void test_transposed(vka_context *ctx, vka_dtype dt)
{
    int64_t xs[3] = {5, 7, 3}, ys[3] = {3, 5, 7}, rs[1] = {7};
    vka_eltwise_desc d = {0};
    d.ncode = 3;
    d.nimm = 1;
    d.imm[0] = 2.0f;
    d.code[0] = U(VKA_ABS, 2, VKA_EW_X(0));
    d.code[1] = I(VKA_POW, 3, VKA_EW_R(2), VKA_EW_C(0));
    d.code[2] = I(VKA_ADD, 0, VKA_EW_R(3), VKA_EW_X(1));
    d.strided[0] = 1;
    d.stride[0][0] = 1, d.stride[0][1] = 21, d.stride[0][2] = 3;
    input in[2] = {make_input(3, xs, vkt_randn(105, 1.0f)), make_input(1, rs, vkt_randn(7, 1.0f))};
    run(ctx, dt, "|x^T|^2 + row", &d, 2, in, 3, ys, 0, tol_of(dt));
}

/* Every binary op on [R, C] with b broadcast along rows, inside its domain. */
static void test_binary_ops(vka_context *ctx, vka_dtype dt)
{
    static const char *names[] = {"add", "sub", "mul", "div", "pow", "max", "min"};
    int64_t ys[2] = {37, 29}, bs[2] = {1, 29};
    for (int op = 0; op < VKA_BINARY_COUNT; op++) {
        float *a = op == VKA_POW ? vkt_uniform(37 * 29, 0.1f, 3.0f) : vkt_randn(37 * 29, 2.0f);
        float *b = op == VKA_DIV ? vkt_uniform(29, 0.5f, 2.0f) : op == VKA_POW ? vkt_uniform(29, -2.0f, 2.0f)
                                                                              : vkt_randn(29, 2.0f);
        vka_eltwise_desc d = {0};
        d.ncode = 1;
        d.code[0] = I(op, 0, VKA_EW_X(0), VKA_EW_X(1));
        input in[2] = {make_input(2, ys, a), make_input(2, bs, b)};
        char tag[64];
        snprintf(tag, sizeof tag, "binary %s", names[op]);
        run(ctx, dt, tag, &d, 2, in, 2, ys, 0, tol_of(dt));
    }
}

/* Every unary op, each inside its domain (the x of the ONNX graphs). */
static void test_unary_ops(vka_context *ctx, vka_dtype dt)
{
    static const char *names[] = {"exp", "log", "sqrt", "erf", "tanh", "sigmoid", "relu", "gelu",
                                  "neg", "reciprocal", "abs", "gelu_tanh", "silu", "sin", "cos"};
    int64_t ys[1] = {1003};
    for (int op = 0; op < VKA_UNARY_COUNT; op++) {
        float *x = op == VKA_LOG ? vkt_uniform(1003, 0.01f, 100.0f)
                   : op == VKA_SQRT ? vkt_uniform(1003, 0.0f, 50.0f)
                   : op == VKA_RECIPROCAL ? vkt_uniform(1003, 0.1f, 10.0f)
                   : op == VKA_EXP ? vkt_uniform(1003, -12.0f, 10.0f)
                                   : vkt_randn(1003, 2.5f);
        vka_eltwise_desc d = {0};
        d.ncode = 1;
        d.code[0] = U(op, 0, VKA_EW_X(0));
        input in[1] = {make_input(1, ys, x)};
        char tag[64];
        snprintf(tag, sizeof tag, "unary %s", names[op]);
        run(ctx, dt, tag, &d, 1, in, 1, ys, 0, tol_of(dt));
    }
}

/* Random programs of bounded ops over random broadcasts of 1..4 inputs. */
static void test_random(vka_context *ctx, vka_dtype dt, int count)
{
    static const int bin[] = {VKA_ADD, VKA_SUB, VKA_MUL, VKA_MAX, VKA_MIN};
    static const int un[] = {VKA_TANH, VKA_SIGMOID, VKA_RELU, VKA_NEG, VKA_ABS, VKA_GELU, VKA_SILU,
                             VKA_ERF, VKA_SIN, VKA_COS, VKA_GELU_TANH};
    for (int t = 0; t < count; t++) {
        int yndim = 1 + (int)(vkt_rand_u32() % 4);
        int64_t ys[4];
        for (int k = 0; k < yndim; k++)
            ys[k] = 1 + vkt_rand_u32() % 23;
        int nin = 1 + (int)(vkt_rand_u32() % 4);
        input in[4];
        for (int i = 0; i < nin; i++) {
            int nd = 1 + (int)(vkt_rand_u32() % (unsigned)yndim);
            int64_t sh[4];
            for (int k = 0; k < nd; k++) /* a suffix of y's shape, some axes broadcast */
                sh[k] = vkt_rand_u32() % 3 == 0 ? 1 : ys[yndim - nd + k];
            int64_t numel = 1;
            for (int k = 0; k < nd; k++)
                numel *= sh[k];
            in[i] = make_input(nd, sh, vkt_randn((size_t)numel, 1.0f));
        }
        vka_eltwise_desc d = {0};
        d.nimm = (int)(vkt_rand_u32() % (VKA_ELTWISE_MAX_IMM + 1));
        for (int i = 0; i < d.nimm; i++)
            d.imm[i] = (float)(vkt_rand01() * 2 - 1);
        d.ncode = 1 + (int)(vkt_rand_u32() % VKA_ELTWISE_MAX_CODE);
        for (int k = 0; k < d.ncode; k++) {
            /* operands: any register, input or immediate */
            int nops = 4 + nin + d.nimm;
            int ops[2];
            for (int j = 0; j < 2; j++) {
                int o = (int)(vkt_rand_u32() % (unsigned)nops);
                ops[j] = o < 4 ? VKA_EW_R(o) : o < 4 + nin ? VKA_EW_X(o - 4) : VKA_EW_C(o - 4 - nin);
            }
            int dst = k == d.ncode - 1 ? 0 : (int)(vkt_rand_u32() % 4);
            if (vkt_rand_u32() & 1)
                d.code[k] = I(bin[vkt_rand_u32() % 5], dst, ops[0], ops[1]);
            else
                d.code[k] = U(un[vkt_rand_u32() % 11], dst, ops[0]);
        }
        char tag[64];
        snprintf(tag, sizeof tag, "random program %d (rank %d)", t, yndim);
        /* the random chains may end near 0 (relu, min); an absolute floor keeps
         * the relative L2 meaningful there */
        run(ctx, dt, tag, &d, nin, in, yndim, ys, 0, dt == VKA_F16 ? 1e-2 : 2e-5);
    }
}

/* Four programs write the four columns of a [N, 4] box tensor through y
 * strides (a concat along the last axis made a view): cx ± w/2, cy ± h/2 from
 * a [N, 4] (cx, cy, w, h) input read through strides. With cols = 3, one
 * column is left out and must stay as poisoned. */
static void test_columns(vka_context *ctx, vka_dtype dt, int cols, int unaligned)
{
    const int64_t N = 203;
    int64_t bs[2] = {N, 4};
    float *boxes = vkt_uniform((size_t)(N * 4), 0.05f, 0.95f);
    if (dt == VKA_F16)
        vkt_round_f16(boxes, (size_t)(N * 4));
    vka_tensor *x = vkt_tensor(ctx, dt, 2, bs, boxes), *parent = NULL, *y;
    if (unaligned) {
        int64_t big = N * 4 + 3;
        parent = vkt_tensor(ctx, dt, 1, &big, NULL);
        vkt_poison(parent);
        y = vka_tensor_view(parent, 1, 2, bs);
    } else {
        y = vkt_tensor(ctx, dt, 2, bs, NULL);
        vkt_poison(y);
    }
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    double *ref = malloc(sizeof *ref * (size_t)(N * 4));
    vka_status s = VKA_OK;
    for (int c = 0; c < cols && !s; c++) {
        vka_eltwise_desc d = {0};
        d.nimm = 1;
        d.imm[0] = c < 2 ? -0.5f : 0.5f;
        d.ncode = 2;
        d.code[0] = I(VKA_MUL, 1, VKA_EW_X(1), VKA_EW_C(0));
        d.code[1] = I(VKA_ADD, 0, VKA_EW_X(0), VKA_EW_R(1));
        d.strided[0] = d.strided[1] = 1;
        d.offset[0] = c % 2, d.stride[0][0] = 4; /* cx or cy */
        d.offset[1] = 2 + c % 2, d.stride[1][0] = 4; /* w or h */
        d.y_strided = 1;
        d.ndim = 2;
        d.shape[0] = N, d.shape[1] = 1;
        d.y_stride[0] = 4, d.y_stride[1] = 1;
        d.y_offset = c;
        vka_tensor *xs[2] = {x, x};
        s = vka_eltwise(cmd, &d, 2, xs, y);
        for (int64_t r = 0; r < N; r++)
            ref[r * 4 + c] = boxes[r * 4 + c % 2] + (double)d.imm[0] * boxes[r * 4 + 2 + c % 2];
    }
    char what[160];
    snprintf(what, sizeof what, "eltwise %d programs into the columns of [%lld, 4] %s%s", cols, (long long)N,
             vka_dtype_str(dt), unaligned ? ", unaligned view" : "");
    if (s) {
        vkt_check(0, "%s: %s", what, vka_context_last_error(ctx));
    } else {
        vkt_run(cmd);
        float *all = vkt_download(unaligned ? parent : y), *got = all + (unaligned ? 1 : 0);
        float *sel = malloc(sizeof *sel * (size_t)(N * cols));
        double *rsel = malloc(sizeof *rsel * (size_t)(N * cols));
        int untouched = 1;
        for (int64_t r = 0; r < N; r++)
            for (int c = 0; c < 4; c++) {
                if (c < cols) {
                    sel[r * cols + c] = got[r * 4 + c];
                    rsel[r * cols + c] = ref[r * 4 + c];
                } else {
                    untouched &= isnan(got[r * 4 + c]);
                }
            }
        vkt_compare(what, sel, rsel, (size_t)(N * cols), dt == VKA_F16 ? 5e-3 : 1e-6);
        if (cols < 4)
            vkt_check(untouched, "%s: the column left out stays untouched", what);
        if (unaligned)
            vkt_check(isnan(all[0]) && isnan(all[N * 4 + 1]), "%s writes nothing outside y", what);
        free(all), free(sel), free(rsel);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(y), vka_tensor_destroy(parent);
    free(boxes), free(ref);
}

static void test_strided_errors(vka_context *ctx)
{
    int64_t s34[2] = {3, 4};
    vka_tensor *x = vkt_tensor(ctx, VKA_F32, 2, s34, NULL), *y = vkt_tensor(ctx, VKA_F32, 2, s34, NULL);
    vka_tensor_set_name(y, "boxes");
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_eltwise_desc d = {0};
    d.ncode = 1;
    d.code[0] = U(VKA_NEG, 0, VKA_EW_X(0));
    d.strided[0] = 1;
    d.stride[0][0] = 4;
    d.y_strided = 1;
    d.ndim = 2;
    d.shape[0] = 3, d.shape[1] = 1;
    d.y_stride[0] = 4, d.y_stride[1] = 1;
    vka_tensor *xs[1] = {x};
    vka_eltwise_desc bad = d;
    bad.y_offset = 1;
    bad.y_stride[0] = 6; /* 1 + 2·6 = 13 > 11 */
    vkt_expect_error("eltwise y strides past the end", vka_eltwise(cmd, &bad, 1, xs, y), VKA_ERR_SHAPE, "boxes");
    bad = d;
    bad.shape[1] = 2, bad.y_stride[1] = 0;
    bad.stride[0][1] = 1;
    vkt_expect_error("eltwise y strides writing twice", vka_eltwise(cmd, &bad, 1, xs, y), VKA_ERR_INVALID_ARG,
                     "twice");
    bad = d;
    bad.nimm = 4;
    vkt_expect_error("eltwise 4 immediates with a strided y", vka_eltwise(cmd, &bad, 1, xs, y), VKA_ERR_INVALID_ARG,
                     "strided y");
    vka_tensor *same[1] = {y};
    vkt_expect_error("eltwise strided y over its input", vka_eltwise(cmd, &d, 1, same, y), VKA_ERR_INVALID_ARG,
                     "overlaps");
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(x), vka_tensor_destroy(y);
}

static void test_errors(vka_context *ctx)
{
    int64_t s6[1] = {6}, s5[1] = {5}, s32[2] = {3, 2};
    vka_tensor *x = vkt_tensor(ctx, VKA_F32, 1, s6, NULL), *y = vkt_tensor(ctx, VKA_F32, 1, s6, NULL);
    vka_tensor *x5 = vkt_tensor(ctx, VKA_F32, 1, s5, NULL), *y32 = vkt_tensor(ctx, VKA_F32, 2, s32, NULL);
    vka_tensor_set_name(x, "feat");
    vka_tensor_set_name(x5, "short");
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_eltwise_desc d = {0};
    d.ncode = 1;
    d.code[0] = U(VKA_RELU, 0, VKA_EW_X(0));
    vka_tensor *in1[1] = {x}, *in5[1] = {x5};
    vkt_expect_error("eltwise NULL descriptor", vka_eltwise(cmd, NULL, 1, in1, y), VKA_ERR_INVALID_ARG, "descriptor");
    vkt_expect_error("eltwise 5 inputs", vka_eltwise(cmd, &d, 5, in1, y), VKA_ERR_INVALID_ARG, "5 inputs");
    vka_eltwise_desc bad = d;
    bad.ncode = 0;
    vkt_expect_error("eltwise no instructions", vka_eltwise(cmd, &bad, 1, in1, y), VKA_ERR_INVALID_ARG, "0 instr");
    bad.ncode = VKA_ELTWISE_MAX_CODE + 1;
    vkt_expect_error("eltwise too many instructions", vka_eltwise(cmd, &bad, 1, in1, y), VKA_ERR_INVALID_ARG,
                     "instructions");
    bad = d;
    bad.code[0].op = 20;
    vkt_expect_error("eltwise unknown op", vka_eltwise(cmd, &bad, 1, in1, y), VKA_ERR_INVALID_ARG, "unknown op 20");
    bad = d;
    bad.code[0] = I(VKA_ADD, 0, VKA_EW_X(0), VKA_EW_X(1));
    vkt_expect_error("eltwise reads a missing input", vka_eltwise(cmd, &bad, 1, in1, y), VKA_ERR_INVALID_ARG,
                     "operand");
    bad.code[0] = I(VKA_ADD, 0, VKA_EW_X(0), VKA_EW_C(0));
    vkt_expect_error("eltwise reads a missing immediate", vka_eltwise(cmd, &bad, 1, in1, y), VKA_ERR_INVALID_ARG,
                     "immediates");
    bad = d;
    bad.code[0].dst = 4;
    vkt_expect_error("eltwise writes register 4", vka_eltwise(cmd, &bad, 1, in1, y), VKA_ERR_INVALID_ARG,
                     "register 4");
    vkt_expect_error("eltwise no broadcast", vka_eltwise(cmd, &d, 1, in5, y), VKA_ERR_SHAPE, "short");
    bad = d;
    bad.strided[0] = 1;
    bad.offset[0] = 1;
    bad.stride[0][0] = 1;
    vkt_expect_error("eltwise strides past the end", vka_eltwise(cmd, &bad, 1, in1, y), VKA_ERR_SHAPE, "feat");
    bad.offset[0] = 0;
    bad.stride[0][0] = -1;
    vkt_expect_error("eltwise negative stride", vka_eltwise(cmd, &bad, 1, in1, y), VKA_ERR_INVALID_ARG, "negative");
    vka_tensor *shifted = vka_tensor_view(x, 1, 1, s5);
    vka_tensor *in_sh[1] = {shifted};
    vka_tensor *yv = vka_tensor_view(x, 0, 1, s5);
    vkt_expect_error("eltwise shifted overlap", vka_eltwise(cmd, &d, 1, in_sh, yv), VKA_ERR_INVALID_ARG, "overlaps");
    /* six separate axes: a transposed read over [2,2,2,2,2,2] that no merge can fold */
    int64_t s64[6] = {2, 2, 2, 2, 2, 2}, n64 = 64;
    vka_tensor *x64 = vkt_tensor(ctx, VKA_F32, 1, &n64, NULL), *y64 = vkt_tensor(ctx, VKA_F32, 6, s64, NULL);
    bad = d;
    bad.strided[0] = 1;
    int64_t tp[6] = {1, 2, 4, 8, 16, 32}; /* fully reversed axes */
    memcpy(bad.stride[0], tp, sizeof tp);
    vka_tensor *in64[1] = {x64};
    vkt_expect_error("eltwise 6 unmergeable axes", vka_eltwise(cmd, &bad, 1, in64, y64), VKA_ERR_UNSUPPORTED,
                     "at most 4");
    if (vka_context_device(ctx)->fp16_storage) {
        vka_tensor *h = vkt_tensor(ctx, VKA_F16, 1, s6, NULL);
        vka_tensor_set_name(h, "half");
        vka_tensor *inh[1] = {h};
        vkt_expect_error("eltwise dtype mismatch", vka_eltwise(cmd, &d, 1, inh, y), VKA_ERR_SHAPE, "half");
        vka_tensor_destroy(h);
    }
    (void)y32;
    /* still usable */
    float v[6] = {-1, 2, -3, 4, -5, 6};
    vkt_upload(x, v);
    vkt_poison(y);
    vkt_check(vka_eltwise(cmd, &d, 1, in1, y) == VKA_OK, "eltwise usable after errors");
    vkt_run(cmd);
    float *got = vkt_download(y);
    double ref[6] = {0, 2, 0, 4, 0, 6};
    vkt_compare("eltwise relu after errors", got, ref, 6, 1e-7);
    free(got);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(shifted), vka_tensor_destroy(yv);
    vka_tensor_destroy(x), vka_tensor_destroy(y), vka_tensor_destroy(x5), vka_tensor_destroy(y32);
    vka_tensor_destroy(x64), vka_tensor_destroy(y64);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    vka_dtype dts[2] = {VKA_F32, VKA_F16};
    int ndt = vka_context_device(ctx)->fp16_storage ? 2 : 1;
    for (int t = 0; t < ndt; t++) {
        vka_dtype dt = dts[t];
        test_lab(ctx, dt, 0);
        test_lab(ctx, dt, 1);
        test_lab(ctx, dt, 2);
        test_silu(ctx, dt);
        test_box(ctx, dt);
        test_transposed(ctx, dt);
        test_binary_ops(ctx, dt);
        test_unary_ops(ctx, dt);
        test_random(ctx, dt, dt == VKA_F32 ? 24 : 8);
        test_columns(ctx, dt, 4, 0);
        test_columns(ctx, dt, 3, 1);
    }
    test_errors(ctx);
    test_strided_errors(ctx);
    return vkt_finish();
}
