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
            "  devices [--json]             list Vulkan devices with their limits and features\n"
            "  run MODEL.onnx [options]     run a model on inputs from files (vkattn run --help)\n"
            "  classify MODEL IMAGE...      top-k ImageNet classes of image files, attention heatmaps\n"
            "                               (vkattn classify --help)\n"
            "  detect MODEL.onnx IMAGE...   objects in image files with an RT-DETR-family detector (DEIMv2):\n"
            "                               text, COCO JSON, annotated PNG (vkattn detect --help)\n"
            "  view MODEL [--source S]      live window: camera/image/folder/synthetic frames through the model,\n"
            "                               boxes and per-head attention heatmaps composited on the GPU\n"
            "                               (vkattn view --help for options and keys)\n"
            "  bench gemm [options]         GEMM GFLOP/s (square, ViT-B, DeiT-Tiny, odd shapes) vs measured fp32 peak\n"
            "  bench attention [options]    flash vs naive attention: time, GFLOP/s, memory\n"
            "  bench model MODEL.onnx       model latency (median, GPU timestamps) and its slowest nodes\n"
            "\n"
            "common options:\n"
            "  --device N|NAME              device index or name substring (default: VKATTN_DEVICE, else the\n"
            "                               best by type: discrete > integrated > CPU)\n"
            "  --validate                   enable the Khronos validation layer (also VKATTN_VALIDATE=1)\n"
            "  -h, --help                   this help; `vkattn <command> --help` for a command's options\n"
            "\n"
            "environment: VKATTN_DEVICE, VKATTN_VALIDATE=1, VKATTN_ASSETS (models, labels),\n"
            "             VKATTN_LOG=info|debug (fusions, memory plan, barriers),\n"
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
        char *end;
        long v = strtol(argv[i + 1], &end, 10);
        if (*end == 0)
            p.device_index = (int)v;
        else
            p.device_name = argv[i + 1];
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

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *c = argv[1];
    if (strcmp(c, "devices") == 0)
        return cli_devices(argc - 1, argv + 1);
    if (strcmp(c, "run") == 0)
        return cli_run(argc - 1, argv + 1);
    if (strcmp(c, "classify") == 0)
        return cli_classify(argc - 1, argv + 1);
    if (strcmp(c, "detect") == 0)
        return cli_detect(argc - 1, argv + 1);
    if (strcmp(c, "view") == 0)
        return cli_view(argc - 1, argv + 1);
    if (strcmp(c, "bench") == 0)
        return cli_bench(argc - 1, argv + 1);
    if (strcmp(c, "--version") == 0) {
        printf("vkattn %d.%d.%d\n", VKA_VERSION_MAJOR, VKA_VERSION_MINOR, VKA_VERSION_PATCH);
        return 0;
    }
    fprintf(stderr, "vkattn: unknown command \"%s\"\n\n", c);
    usage(stderr);
    return 2;
}
