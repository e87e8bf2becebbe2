/* SPDX-License-Identifier: MIT */
/* run.c — `vkattn run`: an ONNX model on inputs from files, outputs to a
 * safetensors file (how goldens are checked), with the per-node profile. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "npy.h"

static void run_usage(void)
{
    printf("usage: vkattn run MODEL.onnx [--inputs IN.safetensors] [--input NAME=FILE.npy|FILE.f32]...\n"
           "                  [--output OUT.safetensors] [--no-fuse] [--profile] [--plan]\n"
           "                  [--precision f32|f16|auto]\n"
           "  Runs the model once. Inputs come from a safetensors file (tensors named as the graph's\n"
           "  inputs; extra tensors are ignored) or one file per input (.npy float32/int64, or raw\n"
           "  little-endian .f32). Prints each output's shape and stats; --output writes them.\n"
           "  --no-fuse     run without the fusion passes (to check them)\n"
           "  --precision   storage of weights and activations: f32 (default), f16 (fp32 math;\n"
           "                inputs, outputs, scores and box decoding stay f32), auto (f16 on GPUs\n"
           "                with fp16 storage and arithmetic, f32 on CPU drivers)\n"
           "  --profile     per-node GPU time (timestamps), slowest first\n"
           "  --plan        list the executed plan: one line per kernel-level node (op, dispatches,\n"
           "                MFLOP, node), each followed by the nodes it absorbed (fused into it,\n"
           "                or slices/concats it made views of), then the totals and the bytes of\n"
           "                weights and activations\n");
}

static void *read_raw(const char *path, size_t *bytes)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *d = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (d && fread(d, 1, (size_t)n, f) != (size_t)n) {
        free(d);
        d = NULL;
    }
    fclose(f);
    *bytes = (size_t)n;
    return d;
}

size_t cli_value_bytes(const vka_graph *g, vka_val v)
{
    int64_t n = 1;
    for (int i = 0; i < vka_graph_ndim(g, v); i++)
        n *= vka_graph_shape(g, v)[i];
    return (size_t)n * (vka_graph_is_int(g, v) ? 8 : 4);
}

static int feed_inputs(vka_graph *g, int argc, char **argv)
{
    const char *sf = cli_opt(argc, argv, "--inputs", NULL);
    vka_safetensors *st = NULL;
    if (sf && !(st = vka_safetensors_open(sf))) {
        fprintf(stderr, "vkattn: %s\n", vka_last_error());
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < vka_graph_input_count(g) && !rc; i++) {
        vka_val v = vka_graph_input_at(g, i);
        const char *name = vka_graph_value_name(g, v);
        size_t need = cli_value_bytes(g, v), have = 0;
        int want_int = vka_graph_is_int(g, v), have_int = want_int; /* raw .f32 files carry no dtype */
        const void *data = NULL;
        void *owned = NULL;
        for (int a = 1; a + 1 < argc; a++) /* --input NAME=FILE */
            if (!strcmp(argv[a], "--input") && !strncmp(argv[a + 1], name, strlen(name)) &&
                argv[a + 1][strlen(name)] == '=') {
                const char *file = argv[a + 1] + strlen(name) + 1;
                size_t len = strlen(file);
                free(owned); /* --input given twice: the last one wins */
                owned = read_raw(file, &have);
                data = owned;
                cli_npy npy;
                char why[160];
                if (!owned) {
                    fprintf(stderr, "vkattn: cannot read input %s from %s\n", name, file);
                    rc = 1;
                } else if (len > 4 && !strcmp(file + len - 4, ".npy")) {
                    if (cli_npy_parse(owned, have, &npy, why, sizeof why)) {
                        fprintf(stderr, "vkattn: input %s: %s: %s\n", name, file, why);
                        rc = 1;
                    } else {
                        data = npy.data;
                        have = npy.bytes;
                        have_int = npy.is_int;
                    }
                }
            }
        if (!data && st) {
            /* the tensor must be what the graph declares, dtype and shape, not just as many bytes */
            const vka_st_tensor *t = vka_safetensors_find(st, name);
            const int64_t *shp = vka_graph_shape(g, v);
            int nd = vka_graph_ndim(g, v);
            bool same = t && t->ndim == nd;
            for (int d = 0; same && d < nd; d++)
                same = t->shape[d] == shp[d];
            if (t && (t->dtype != (want_int ? VKA_ST_I64 : VKA_ST_F32) || !same)) {
                char gs[160], ts[160];
                size_t k = 0, j = 0;
                for (int d = 0; d < nd && k < sizeof gs - 24; d++)
                    k += (size_t)snprintf(gs + k, sizeof gs - k, d ? ", %lld" : "%lld", (long long)shp[d]);
                for (int d = 0; d < t->ndim && j < sizeof ts - 24; d++)
                    j += (size_t)snprintf(ts + j, sizeof ts - j, d ? ", %lld" : "%lld", (long long)t->shape[d]);
                gs[k] = ts[j] = 0;
                fprintf(stderr, "vkattn: input %s: %s has it as %s [%s], the model expects %s [%s]\n", name, sf,
                        vka_st_dtype_str(t->dtype), ts, want_int ? "I64" : "F32", gs);
                rc = 1;
            } else if (t) {
                data = t->data;
                have = t->bytes;
            }
        }
        if (!rc && !data) {
            fprintf(stderr, "vkattn: no data for input %s (use --inputs FILE.safetensors or --input %s=FILE)\n", name,
                    name);
            rc = 1;
        }
        if (!rc && data && have_int != want_int) {
            fprintf(stderr, "vkattn: input %s: the file holds %s, the model expects %s\n", name,
                    have_int ? "int64" : "float32", want_int ? "int64" : "float32");
            rc = 1;
        }
        if (!rc && have != need) {
            fprintf(stderr, "vkattn: input %s: %zu bytes given, %zu expected\n", name, have, need);
            rc = 1;
        }
        if (!rc && vka_graph_set_input(g, name, data, have)) {
            fprintf(stderr, "vkattn: %s\n", vka_last_error());
            rc = 1;
        }
        free(owned);
    }
    vka_safetensors_close(st);
    return rc;
}

static int cmp_ms(const void *a, const void *b)
{
    double x = ((const double *)a)[0], y = ((const double *)b)[0];
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Prints the top n nodes by GPU time of the last run. */
void cli_print_profile(vka_graph *g, int top)
{
    int n = vka_graph_plan_size(g);
    double(*rows)[2] = malloc(sizeof *rows * (size_t)(n ? n : 1));
    double total = 0;
    for (int i = 0; i < n; i++) {
        double ms;
        vka_graph_profile(g, i, NULL, NULL, &ms);
        rows[i][0] = ms;
        rows[i][1] = i;
        total += ms;
    }
    qsort(rows, (size_t)n, sizeof *rows, cmp_ms);
    fprintf(cli_txt, "%-48s %-16s %10s %7s\n", "node", "op", "ms", "%");
    for (int i = 0; i < n && i < top; i++) {
        const char *node, *op;
        vka_graph_profile(g, (int)rows[i][1], &node, &op, NULL);
        fprintf(cli_txt, "%-48.48s %-16s %10.3f %6.1f%%\n", node, op, rows[i][0], total > 0 ? 100 * rows[i][0] / total : 0);
    }
    fprintf(cli_txt, "%-48s %-16s %10.3f\n", "total (GPU)", "", total);
    free(rows);
}

void cli_print_plan(vka_graph *g)
{
    int absorbed = 0;
    double flops = 0;
    for (int i = 0; i < vka_graph_plan_size(g); i++) {
        double f = vka_graph_plan_flops(g, i);
        flops += f;
        printf("plan %4d  %-16s %2d %10.3f  %s\n", i, vka_graph_plan_op(g, i), vka_graph_plan_dispatches(g, i), f / 1e6,
               vka_graph_plan_node(g, i));
        const char *name, *op;
        for (int j = 0; (name = vka_graph_plan_absorbed(g, i, j, &op)); j++, absorbed++)
            printf("              + %-14s %s\n", op, name);
    }
    printf("plan: %d kernel nodes, %d dispatches, %.3f GFLOP, %d nodes absorbed (columns: op, dispatches, MFLOP, "
           "node)\n",
           vka_graph_plan_size(g), vka_graph_dispatch_count(g), flops / 1e9, absorbed);
}

int cli_run(int argc, char **argv)
{
    if (argc < 2 || cli_wants_help(argc, argv)) {
        run_usage();
        return argc < 2 ? 2 : 0;
    }
    static const cli_optdef defs[] = {
        CLI_STR_OPT("--inputs"), CLI_STR_OPT("--input"),  CLI_STR_OPT("--output"),
        CLI_FLAG_OPT("--no-fuse"), CLI_FLAG_OPT("--profile"), CLI_FLAG_OPT("--plan"),
        CLI_ENUM_OPT("--precision", "f32|f16|auto"),
    };
    const char **pos;
    int npos;
    if (cli_parse(argc, argv, "run", defs, CLI_NDEFS(defs), &pos, &npos))
        return 2;
    const char *model = npos ? pos[0] : NULL;
    free(pos);
    if (npos != 1 || strcmp(model, argv[1])) {
        fprintf(stderr, "vkattn: run: wants one model, first (vkattn run MODEL.onnx [options]); got %d\n", npos);
        return 2;
    }
    for (int a = 1; a + 1 < argc; a++)
        if (!strcmp(argv[a], "--input") && !strchr(argv[++a], '=')) {
            fprintf(stderr, "vkattn: run: --input \"%s\" is not NAME=FILE\n", argv[a]);
            return 2;
        }
    vka_context *ctx = cli_context(&argc, argv);
    if (!ctx)
        return 1;
    int rc = 1;
    vka_graph *g = vka_onnx_load(ctx, argv[1], NULL);
    if (!g) {
        fprintf(stderr, "vkattn: %s\n", vka_last_error());
        goto out;
    }
    vka_graph_build_params bp = vka_graph_default_build_params();
    bp.fuse = cli_flag(argc, argv, "--no-fuse") < 0;
    bp.profile = cli_flag(argc, argv, "--profile") > 0;
    if (cli_precision(argc, argv, &bp.precision)) {
        rc = 2;
        goto out;
    }
    if (vka_graph_build(g, &bp)) {
        fprintf(stderr, "vkattn: %s\n", vka_context_last_error(ctx));
        goto out;
    }
    if (cli_flag(argc, argv, "--plan") > 0) {
        cli_print_plan(g);
        cli_print_bytes(g);
    }
    if (feed_inputs(g, argc, argv))
        goto out;
    if (vka_graph_run(g)) {
        fprintf(stderr, "vkattn: %s\n", vka_context_last_error(ctx));
        goto out;
    }
    int no = vka_graph_output_count(g);
    vka_st_tensor *outs = calloc((size_t)no, sizeof *outs);
    rc = 0;
    for (int i = 0; i < no; i++) {
        vka_val v = vka_graph_output_at(g, i);
        const char *name = vka_graph_value_name(g, v);
        size_t bytes = cli_value_bytes(g, v);
        void *d = malloc(bytes ? bytes : 1);
        if (vka_graph_get_output(g, name, d, bytes)) {
            fprintf(stderr, "vkattn: %s\n", vka_context_last_error(ctx));
            rc = 1;
        }
        int isint = vka_graph_is_int(g, v);
        size_t n = bytes / (isint ? 8 : 4);
        double mn = INFINITY, mx = -INFINITY, sum = 0;
        for (size_t j = 0; j < n; j++) {
            double x = isint ? (double)((int64_t *)d)[j] : ((float *)d)[j];
            mn = x < mn ? x : mn;
            mx = x > mx ? x : mx;
            sum += x;
        }
        printf("output %s [", name);
        for (int k = 0; k < vka_graph_ndim(g, v); k++)
            printf(k ? ", %lld" : "%lld", (long long)vka_graph_shape(g, v)[k]);
        printf("] %s: min %.6g max %.6g mean %.6g\n", isint ? "int64" : "f32", mn, mx, n ? sum / n : 0);
        outs[i] = (vka_st_tensor){.name = name, .dtype = isint ? VKA_ST_I64 : VKA_ST_F32,
                                  .ndim = vka_graph_ndim(g, v), .data = d, .bytes = bytes};
        memcpy(outs[i].shape, vka_graph_shape(g, v), sizeof(int64_t) * (size_t)outs[i].ndim);
    }
    const char *of = cli_opt(argc, argv, "--output", NULL);
    if (of && vka_safetensors_write(of, no, outs)) {
        fprintf(stderr, "vkattn: %s\n", vka_last_error());
        rc = 1;
    }
    for (int i = 0; i < no; i++)
        free((void *)outs[i].data);
    free(outs);
    if (bp.profile)
        cli_print_profile(g, 1000);
out:
    vka_graph_destroy(g);
    if (vka_context_validation_errors(ctx)) {
        fprintf(stderr, "vkattn: %d validation errors\n", vka_context_validation_errors(ctx));
        rc = 1;
    }
    vka_context_destroy(ctx);
    return rc;
}
