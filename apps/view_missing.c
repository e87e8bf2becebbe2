/* SPDX-License-Identifier: MIT */
/* view_missing.c — `vkattn view` in a build without SDL2. */
#include <stdio.h>

#include "cli.h"

int cli_view(int argc, char **argv)
{
    (void)argc, (void)argv;
    fprintf(stderr, "vkattn: view: this build has no viewer (SDL2 was not found at configure time): "
                    "apt-get install libsdl2-dev, then rebuild (cmake -DVKA_VIEWER=ON)\n");
    return 2;
}
