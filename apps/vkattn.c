/* SPDX-License-Identifier: MIT */
/* vkattn.c — the command-line tool: subcommand dispatch and shared options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "vkattn %d.%d.%d — Vulkan attention runtime\n"
            "\n"
            "usage: vkattn <command> [options]\n"
            "\n"
            "commands:\n"
            "  devices [--json]             list Vulkan devices: identity (driver ID and version, conformance,\n"
            "                               UUIDs), limits and features\n"
            "  run MODEL.onnx [options]     run a model on inputs from files (vkattn run --help)\n"
            "  classify MODEL IMAGE|DIR...  top-k ImageNet classes of image files, attention heatmaps\n"
            "                               (vkattn classify --help)\n"
            "  detect MODEL.onnx IMAGE|DIR... objects in image files with an RT-DETR-family detector (DEIMv2):\n"
            "                               text, COCO JSON, annotated PNG (vkattn detect --help)\n"
            "  view MODEL [--source S]      live window: camera/image/folder/synthetic frames through the model,\n"
            "                               boxes and per-head attention heatmaps composited on the GPU\n"
            "                               (vkattn view --help for options and keys)\n"
            "  bench gemm [options]         GEMM GFLOP/s (square, ViT-B, DeiT-Tiny, odd shapes) vs measured fp32 peak\n"
            "  bench attention [options]    flash vs naive attention: time, GFLOP/s, memory\n"
            "  bench conv [options]         convolution kernels on RT-DETRv2/HGNetv2 shapes vs measured fp32 peak\n"
            "  bench model MODEL.onnx       model latency (median, no timestamps); GPU time and slowest nodes\n"
            "  bench peak                   the fp32 FMA peak that \"%% of peak\" is measured against\n"
            "  bench suite                  gemm + attention + conv + every model in $VKATTN_ASSETS/models\n"
            "  bench compare A.json B.json  reports side by side: Markdown table, PNG bar chart (--png)\n"
            "                               every bench writes --format text|json|csv|md (--out FILE)\n"
            "\n"
            "common options:\n"
            "  --device N|NAME              device index or name substring (default: VKATTN_DEVICE, else the\n"
            "                               best by type: discrete > integrated > CPU)\n"
            "  --validate                   enable the Khronos validation layer (also VKATTN_VALIDATE=1)\n"
            "  -h, --help                   this help; `vkattn <command> --help` for a command's options\n"
            "\n"
            "environment: VKATTN_DEVICE, VKATTN_VALIDATE=1, VKATTN_ASSETS (models, labels),\n"
            "             VKATTN_LOG=info|debug (fusions, memory plan, barriers),\n"
            "             VKATTN_PROGRESS=1|0 (progress lines while compiling; default: when stderr is a terminal)\n"
            "             VKATTN_COOPMAT=0|emulate (tensor-core kernels off, or emulated for tests)\n",
            VKA_VERSION_MAJOR, VKA_VERSION_MINOR, VKA_VERSION_PATCH);
}

int cli_flag(int argc, char **argv, const char *flag)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], flag) == 0)
            return i;
    return -1;
}

const char *cli_opt(int argc, char **argv, const char *flag, const char *def)
{
    int i = cli_flag(argc, argv, flag);
    return i > 0 && i + 1 < argc ? argv[i + 1] : def;
}

int cli_device_select(const char *arg, int *index, const char **name)
{
    int n = 0;
    if (vka_devices_list(NULL, 0, &n)) {
        fprintf(stderr, "vkattn: %s\n", vka_last_error());
        return -1;
    }
    vka_device_info *d = calloc((size_t)(n ? n : 1), sizeof *d);
    if (!d)
        return -1;
    vka_devices_list(d, n, &n);
    char *end;
    long v = strtol(arg, &end, 10);
    int found = -1;
    if (*arg && *end == 0) {
        if (v >= 0 && v < n)
            found = (int)v;
        *index = (int)v;
    } else {
        for (int k = 0; k < n && found < 0; k++)
            if (strstr(d[k].name, arg))
                found = k;
        *name = arg;
    }
    if (found < 0) {
        fprintf(stderr, "vkattn: --device %s: no such device; there %s %d:", arg, n == 1 ? "is" : "are", n);
        for (int k = 0; k < n; k++)
            fprintf(stderr, "%s %d \"%s\"", k ? "," : "", k, d[k].name);
        fprintf(stderr, "\n");
    }
    free(d);
    return found;
}

/* Errors come back as statuses and are printed by the command; the log shows the rest. */
static void cli_log(void *user, int level, const char *msg)
{
    (void)user;
    if (level == VKA_LOG_ERROR && strncmp(msg, "validation", 10) != 0)
        return;
    fprintf(stderr, "vkattn: %s%s\n", level == VKA_LOG_ERROR ? "error: " : level == VKA_LOG_WARN ? "warning: " : "",
            msg);
}

static void drop(int *argc, char **argv, int i, int n)
{
    memmove(&argv[i], &argv[i + n], sizeof(char *) * (size_t)(*argc - i - n + 1));
    *argc -= n;
}

vka_context *cli_context(int *argc, char **argv)
{
    vka_context_params p = vka_context_default_params();
    p.log = cli_log;
    const char *lv = getenv("VKATTN_LOG"); /* info | debug: what the runtime decides (fusions, memory, barriers) */
    if (lv && !strcmp(lv, "info"))
        p.log_level = VKA_LOG_INFO;
    else if (lv && !strcmp(lv, "debug"))
        p.log_level = VKA_LOG_DEBUG;
    int i = cli_flag(*argc, argv, "--device");
    if (i > 0 && i + 1 < *argc) {
        if (cli_device_select(argv[i + 1], &p.device_index, &p.device_name) < 0)
            return NULL; /* cli_parse has already turned this into exit status 2 */
        drop(argc, argv, i, 2);
    }
    if ((i = cli_flag(*argc, argv, "--validate")) > 0) {
        p.validation = 1;
        drop(argc, argv, i, 1);
    }
    vka_context *ctx = vka_context_create(&p);
    if (!ctx)
        fprintf(stderr, "vkattn: %s\n", vka_last_error());
    return ctx;
}

/* The subcommands: one entry each, dispatched by name. */
static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} commands[] = {
    {"devices", cli_devices}, {"run", cli_run},   {"classify", cli_classify},
    {"detect", cli_detect},   {"view", cli_view}, {"bench", cli_bench},
};

int main(int argc, char **argv)
{
    cli_txt = stdout;
    /* global options before the command go after it, where every command reads them */
    int first = 1;
    while (first < argc && (!strcmp(argv[first], "--device") || !strcmp(argv[first], "--validate"))) {
        if (!strcmp(argv[first], "--device") && first + 1 >= argc) {
            fprintf(stderr, "vkattn: --device needs a value (an index or part of a device name)\n");
            return 2;
        }
        first += !strcmp(argv[first], "--device") ? 2 : 1;
    }
    if (first > 1 && first < argc) {
        /* rotate argv[1..argc) in place: the command first, the globals last */
        for (int k = 1; k < first; k++) {
            char *g = argv[1];
            memmove(&argv[1], &argv[2], sizeof(char *) * (size_t)(argc - 2));
            argv[argc - 1] = g;
        }
    } else if (first > 1) {
        fprintf(stderr, "vkattn: global options but no command\n\n");
        usage(stderr);
        return 2;
    }
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *c = argv[1];
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(c, commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    if (strcmp(c, "--version") == 0) {
        printf("vkattn %d.%d.%d (commit %s)\n", VKA_VERSION_MAJOR, VKA_VERSION_MINOR, VKA_VERSION_PATCH,
               cli_git_commit());
        return 0;
    }
    fprintf(stderr, "vkattn: unknown %s \"%s\"\n\n", c[0] == '-' ? "option" : "command", c);
    usage(stderr);
    return 2;
}
