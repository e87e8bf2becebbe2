/* TEMPORARY placeholder while attention lands. */
#include <stdio.h>
#include "cli.h"
int cli_bench_attention(vka_context *ctx, int argc, char **argv) { (void)ctx; (void)argc; (void)argv; fprintf(stderr, "not built yet\n"); return 1; }
