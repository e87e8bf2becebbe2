/* cliutil.c — helpers shared by the image commands (classify, detect):
 * arguments, label files, output names, JSON strings, wall-clock time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "cli.h"

double cli_now_ms(void)
{
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int cli_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

void cli_json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

const char **cli_positionals(int argc, char **argv, const char *cmd, const char *const *valued, int nvalued,
                             const char *const *flags, int nflags, int *npos)
{
    const char **pos = calloc((size_t)argc + 1, sizeof *pos);
    *npos = 0;
    if (!pos)
        return NULL;
    for (int i = 1; i < argc; i++) {
        int takes_value = strcmp(argv[i], "--device") == 0, known = takes_value || !strcmp(argv[i], "--validate");
        for (int v = 0; v < nvalued; v++)
            takes_value |= strcmp(argv[i], valued[v]) == 0;
        for (int f = 0; f < nflags; f++)
            known |= strcmp(argv[i], flags[f]) == 0;
        if (takes_value) {
            if (i + 1 >= argc) {
                fprintf(stderr, "vkattn: %s: %s needs a value\n", cmd, argv[i]);
                free(pos);
                return NULL;
            }
            i++;
        } else if (strncmp(argv[i], "--", 2) != 0) {
            pos[(*npos)++] = argv[i];
        } else if (!known) {
            fprintf(stderr, "vkattn: %s: unknown option %s\n", cmd, argv[i]);
            free(pos);
            return NULL;
        }
    }
    return pos;
}

void cli_default_labels(char *buf, size_t n, const char *file)
{
    const char *assets = getenv("VKATTN_ASSETS");
    snprintf(buf, n, "%s/labels/%s", assets && *assets ? assets : "../shared/assets", file);
#ifdef VKA_DATADIR
    /* an installed CLI: the labels `cmake --install` shipped (next to the
     * executable's prefix, wherever it was moved), unless VKATTN_ASSETS has them */
    if (assets && *assets)
        return;
    FILE *f = fopen(buf, "r");
    if (f) {
        fclose(f);
        return;
    }
    char exe[2048], alt[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[len > 0 ? len : 0] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    for (int i = 0; i < 2; i++) {
        if (i == 0 && !exe[0])
            continue;
        if (i == 0)
            snprintf(alt, sizeof alt, "%s/%s/labels/%s", exe, VKA_BIN_TO_DATADIR, file);
        else
            snprintf(alt, sizeof alt, "%s/labels/%s", VKA_DATADIR, file);
        if ((f = fopen(alt, "r"))) {
            fclose(f);
            snprintf(buf, n, "%s", alt);
            return;
        }
    }
    /* none there either: the warning names the assets path */
#endif
}

char **cli_read_labels(const char *path, int *n)
{
    FILE *f = fopen(path, "r");
    *n = 0;
    if (!f)
        return NULL;
    char **lab = NULL, line[512];
    int cap = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (*n == cap) {
            cap = cap ? cap * 2 : 1024;
            char **nl = realloc(lab, sizeof *lab * (size_t)cap);
            if (!nl)
                break;
            lab = nl;
        }
        size_t len = strlen(line) + 1;
        if (!(lab[*n] = malloc(len)))
            break;
        memcpy(lab[(*n)++], line, len);
    }
    fclose(f);
    if (!lab) /* an empty file: no labels, but readable */
        lab = calloc(1, sizeof *lab);
    return lab;
}

void cli_free_labels(char **labels, int n)
{
    for (int i = 0; i < n; i++)
        free(labels[i]);
    free(labels);
}

const char *cli_stem(const char *path, int *len)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const char *dot = strrchr(base, '.');
    *len = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
    return base;
}

void cli_out_name(char *buf, size_t n, const char *out, const char *image, int several)
{
    if (!several) {
        snprintf(buf, n, "%s", out);
        return;
    }
    int stem;
    const char *base = cli_stem(image, &stem);
    const char *slash = strrchr(out, '/'), *odot = strrchr(out, '.');
    int ostem = odot && (!slash || odot > slash + 1) ? (int)(odot - out) : (int)strlen(out);
    snprintf(buf, n, "%.*s_%.*s%s", ostem, out, stem, base, out + ostem);
}

int cli_precision(int argc, char **argv, vka_precision *out)
{
    const char *v = cli_opt(argc, argv, "--precision", "f32");
    if (!strcmp(v, "f32"))
        *out = VKA_PRECISION_F32;
    else if (!strcmp(v, "f16"))
        *out = VKA_PRECISION_F16;
    else if (!strcmp(v, "auto"))
        *out = VKA_PRECISION_AUTO;
    else {
        fprintf(stderr, "vkattn: --precision takes f32, f16 or auto (not \"%s\")\n", v);
        return 2;
    }
    return 0;
}

void cli_print_bytes(const vka_graph *g)
{
    uint64_t noreuse = 0, act = vka_graph_activation_bytes(g, &noreuse);
    printf("bytes: precision %s, weights %.2f MiB, activations %.2f MiB (%.2f MiB without reuse)\n",
           vka_precision_str(vka_graph_precision(g)), vka_graph_weight_bytes(g) / 1048576.0, act / 1048576.0,
           noreuse / 1048576.0);
}
