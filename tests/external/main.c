/* SPDX-License-Identifier: MIT */
/* main.c — an application using an installed vkattn: vit_tiny_ci against
 * the ONNX Runtime golden (tests/check_install.sh builds it through
 * find_package(vkattn) and through pkg-config). Usage: main ASSETS_DIR */
#define VKA_ASSETS_DIR ""
#include "link_app.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s ASSETS_DIR\n", argv[0]);
        return 2;
    }
    CHECK(vka_version() == ((uint32_t)VKA_VERSION_MAJOR << 16 | VKA_VERSION_MINOR << 8 | VKA_VERSION_PATCH),
          "header %d.%d.%d, library %s", VKA_VERSION_MAJOR, VKA_VERSION_MINOR, VKA_VERSION_PATCH,
          vka_version_string());
    run_vit(argv[1]);
    printf("%d failed\n", failures);
    return failures ? 1 : 0;
}
