/* cli.h — the subcommands of the vkattn tool, one file each. */
#ifndef VKA_CLI_H
#define VKA_CLI_H
#include "vkattn.h"

/* Shared options: --device N|NAME, --validate. Removes them from argv. */
vka_context *cli_context(int *argc, char **argv);
/* Index of flag in argv, or -1. */
int cli_flag(int argc, char **argv, const char *flag);
/* Value after flag, or def. */
const char *cli_opt(int argc, char **argv, const char *flag, const char *def);

int cli_devices(int argc, char **argv);
int cli_run(int argc, char **argv);
/* Prints the top n plan nodes of the last run by GPU time. */
void cli_print_profile(vka_graph *g, int top);
int cli_bench(int argc, char **argv);
int cli_bench_gemm(vka_context *ctx, int argc, char **argv);
int cli_bench_attention(vka_context *ctx, int argc, char **argv);

/* Median GPU time (ms) of the recorded command over `runs` submits, after one
 * warm-up; the sum of its per-dispatch timestamps. */
double cli_time_cmd(vka_cmd *cmd, int runs);
/* Prints "device, driver, date" for benchmark headers. */
void cli_print_bench_header(vka_context *ctx, const char *what);
#endif
