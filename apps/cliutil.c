/* SPDX-License-Identifier: MIT */
/* cliutil.c — helpers shared by the image commands (classify, detect):
 * arguments, label files, output names, JSON strings, wall-clock time. */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "cli.h"

#ifdef VKA_HAVE_GIT_COMMIT_H
#include "git_commit.h"
#endif

const char *cli_git_commit(void)
{
#ifdef VKA_GIT_COMMIT
    return VKA_GIT_COMMIT;
#else
    return "unknown";
#endif
}

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

/* ------------------------------------------------------------ options */

static const cli_optdef global_defs[] = {
    CLI_STR_OPT("--device"),
    CLI_FLAG_OPT("--validate"),
    CLI_FLAG_OPT("-h"),
    CLI_FLAG_OPT("--help"),
};

static const cli_optdef *find_def(const char *arg, const cli_optdef *defs, int ndefs)
{
    for (int i = 0; i < ndefs; i++)
        if (!strcmp(arg, defs[i].name))
            return &defs[i];
    for (int i = 0; i < CLI_NDEFS(global_defs); i++)
        if (!strcmp(arg, global_defs[i].name))
            return &global_defs[i];
    return NULL;
}

/* An argument that looks like an option: "-x..." or "--x...", but not "-" (stdin)
 * or a negative number (a value such as --layer -1 is consumed before this). */
static int looks_like_option(const char *a)
{
    if (a[0] != '-' || !a[1])
        return 0;
    char *end;
    strtod(a, &end);
    return *end != 0;
}

static int check_value(const char *cmd, const cli_optdef *d, const char *v)
{
    char *end;
    errno = 0;
    if (d->kind == CLI_INT || d->kind == CLI_NUM) {
        double x = d->kind == CLI_INT ? (double)strtol(v, &end, 10) : strtod(v, &end);
        if (end == v || *end || errno || !isfinite(x)) {
            fprintf(stderr, "vkattn: %s: %s \"%s\" is not %s\n", cmd, d->name, v,
                    d->kind == CLI_INT ? "an integer" : "a number");
            return 2;
        }
        if (x < d->min || x > d->max) {
            fprintf(stderr, "vkattn: %s: %s %s is out of range (%g..%g)\n", cmd, d->name, v, d->min, d->max);
            return 2;
        }
    } else if (d->kind == CLI_ENUM) {
        size_t n = strlen(v);
        for (const char *c = d->choices; n && c && *c; c = strchr(c, '|') ? strchr(c, '|') + 1 : NULL)
            if (!strncmp(c, v, n) && (c[n] == '|' || c[n] == 0))
                return 0;
        fprintf(stderr, "vkattn: %s: %s \"%s\" is not one of %s\n", cmd, d->name, v, d->choices);
        return 2;
    }
    return 0;
}

int cli_parse(int argc, char **argv, const char *cmd, const cli_optdef *defs, int ndefs, const char ***pos,
              int *npos)
{
    const char **p = calloc((size_t)argc + 1, sizeof *p);
    int n = 0, rc = 0, only_pos = 0;
    if (!p) {
        fprintf(stderr, "vkattn: %s: out of memory\n", cmd);
        return 2;
    }
    for (int i = 1; i < argc && !rc; i++) {
        const char *a = argv[i];
        if (only_pos || !looks_like_option(a)) {
            p[n++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_pos = 1;
            continue;
        }
        const cli_optdef *d = find_def(a, defs, ndefs);
        if (!d) {
            const char *eq = strchr(a, '=');
            if (eq && eq > a + 2)
                fprintf(stderr, "vkattn: %s: unknown option %s (write the value after a space: %.*s %s)\n", cmd, a,
                        (int)(eq - a), a, eq + 1);
            else
                fprintf(stderr, "vkattn: %s: unknown option %s (vkattn %s --help)\n", cmd, a, cmd);
            rc = 2;
        } else if (d->kind != CLI_FLAG) {
            if (i + 1 >= argc) {
                fprintf(stderr, "vkattn: %s: %s needs a value\n", cmd, a);
                rc = 2;
            } else {
                rc = check_value(cmd, d, argv[++i]);
                int idx;
                const char *name;
                if (!rc && !strcmp(a, "--device") && cli_device_select(argv[i], &idx, &name) < 0)
                    rc = 2; /* a device that is not there: a bad value like any other */
            }
        }
    }
    if (rc || !pos)
        free(p);
    else
        *pos = p;
    if (npos)
        *npos = n;
    return rc;
}

long cli_int(int argc, char **argv, const char *flag, long def)
{
    const char *v = cli_opt(argc, argv, flag, NULL);
    return v ? strtol(v, NULL, 10) : def;
}

double cli_num(int argc, char **argv, const char *flag, double def)
{
    const char *v = cli_opt(argc, argv, flag, NULL);
    return v ? strtod(v, NULL) : def;
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            return 0;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return 1;
    }
    return 0;
}

const char **cli_positionals(int argc, char **argv, const char *cmd, const char *const *valued, int nvalued,
                             const char *const *flags, int nflags, int *npos)
{
    cli_optdef *defs = calloc((size_t)(nvalued + nflags + 1), sizeof *defs);
    const char **pos = NULL;
    *npos = 0;
    if (!defs)
        return NULL;
    for (int v = 0; v < nvalued; v++)
        defs[v] = (cli_optdef){.name = valued[v], .kind = CLI_STR};
    for (int f = 0; f < nflags; f++)
        defs[nvalued + f] = (cli_optdef){.name = flags[f], .kind = CLI_FLAG};
    if (cli_parse(argc, argv, cmd, defs, nvalued + nflags, &pos, npos))
        pos = NULL;
    free(defs);
    return pos;
}

static int readable(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f)
        fclose(f);
    return f != NULL;
}

void cli_default_labels(char *buf, size_t n, const char *file)
{
    const char *assets = getenv("VKATTN_ASSETS");
    if (assets && *assets) {
        snprintf(buf, n, "%s/labels/%s", assets, file);
        if (readable(buf))
            return;
    }
#ifdef VKA_DATADIR
    /* an installed CLI: the labels `cmake --install` shipped (next to the
     * executable's prefix, wherever it was moved) */
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
        if (readable(alt)) {
            snprintf(buf, n, "%s", alt);
            return;
        }
    }
#endif
    /* none: the names compiled in (labels_builtin.c) */
    snprintf(buf, n, "builtin:%s", file);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char **cli_list_files(const char *dir, const char *suffix, int *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **list = NULL;
    int cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !cli_ends_with(e->d_name, suffix))
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        struct stat st;
        if (!path)
            break;
        snprintf(path, len, "%s/%s", dir, e->d_name);
        if (stat(path, &st) || !S_ISREG(st.st_mode)) {
            free(path);
            continue;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            char **nl = realloc(list, sizeof *nl * (size_t)cap);
            if (!nl) {
                free(path);
                break;
            }
            list = nl;
        }
        list[(*n)++] = path;
    }
    closedir(d);
    if (list)
        qsort(list, (size_t)*n, sizeof *list, cmp_str);
    return list;
}

static char **copy_labels(const char *const *src, int count, int *n)
{
    char **lab = calloc((size_t)count, sizeof *lab);
    *n = 0;
    for (int i = 0; lab && i < count; i++) {
        size_t len = strlen(src[i]) + 1;
        if (!(lab[i] = malloc(len)))
            break;
        memcpy(lab[i], src[i], len);
        *n = i + 1;
    }
    return lab;
}

char **cli_read_labels(const char *path, int *n)
{
    *n = 0;
    if (!strcmp(path, "builtin:imagenet1000_simple.txt"))
        return copy_labels(cli_imagenet_labels, 1000, n);
    if (!strcmp(path, "builtin:coco80.txt"))
        return copy_labels(cli_coco80_labels, 80, n);
    FILE *f = fopen(path, "r");
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

/* ------------------------------------------------------------ progress */

static struct {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int running, stop, printed;
    double delay_ms, t0;
    char msg[256];
} progress = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void *progress_main(void *arg)
{
    (void)arg;
    struct timespec until;
    timespec_get(&until, TIME_UTC);
    long long ns = until.tv_nsec + (long long)(progress.delay_ms * 1e6);
    until.tv_sec += ns / 1000000000;
    until.tv_nsec = ns % 1000000000;
    pthread_mutex_lock(&progress.mu);
    while (!progress.stop)
        if (pthread_cond_timedwait(&progress.cv, &progress.mu, &until))
            break; /* timed out: still busy, say what */
    if (!progress.stop) {
        fprintf(stderr, "vkattn: %s ...", progress.msg);
        fflush(stderr);
        progress.printed = 1;
    }
    pthread_mutex_unlock(&progress.mu);
    return NULL;
}

void cli_progress_begin(const char *msg, double delay_ms)
{
    /* a terminal's (as curl's progress): logs and pipes get the timings after */
    const char *force = getenv("VKATTN_PROGRESS");
    progress.t0 = cli_now_ms();
    if (progress.running || (force ? strcmp(force, "1") != 0 : !isatty(2)))
        return;
    snprintf(progress.msg, sizeof progress.msg, "%s", msg);
    progress.stop = progress.printed = 0;
    progress.delay_ms = delay_ms;
    progress.running = pthread_create(&progress.thread, NULL, progress_main, NULL) == 0;
}

double cli_progress_end(void)
{
    if (!progress.running)
        return cli_now_ms() - progress.t0;
    pthread_mutex_lock(&progress.mu);
    progress.stop = 1;
    pthread_cond_signal(&progress.cv);
    pthread_mutex_unlock(&progress.mu);
    pthread_join(progress.thread, NULL);
    progress.running = 0;
    double ms = cli_now_ms() - progress.t0;
    if (progress.printed)
        fprintf(stderr, " done in %.1f s\n", ms / 1e3);
    return ms;
}

static const char *const image_exts[] = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tga", ".ppm", ".pgm",
                                         ".JPG", ".JPEG", ".PNG", ".BMP"};

char **cli_expand_images(const char *const *args, int nargs, int *n)
{
    char **out = NULL;
    int cap = 0;
    *n = 0;
    for (int a = 0; a < nargs; a++) {
        struct stat st;
        char **add = NULL;
        int nadd = 0;
        if (stat(args[a], &st) == 0 && S_ISDIR(st.st_mode)) {
            for (size_t e = 0; e < sizeof image_exts / sizeof image_exts[0]; e++) {
                int k = 0;
                char **l = cli_list_files(args[a], image_exts[e], &k);
                char **grown = k ? realloc(add, sizeof *add * (size_t)(nadd + k)) : add;
                if (k && grown) {
                    add = grown;
                    memcpy(add + nadd, l, sizeof *l * (size_t)k);
                    nadd += k;
                    free(l);
                } else {
                    cli_free_labels(l, k);
                }
            }
            if (add)
                qsort(add, (size_t)nadd, sizeof *add, cmp_str);
            if (!nadd)
                fprintf(stderr, "vkattn: warning: no images (jpg, png, bmp, gif, tga, ppm) in %s\n", args[a]);
        } else {
            add = malloc(sizeof *add);
            if (add && (add[0] = malloc(strlen(args[a]) + 1))) {
                strcpy(add[0], args[a]);
                nadd = 1;
            }
        }
        if (*n + nadd > cap) {
            cap = (*n + nadd) * 2;
            char **g = realloc(out, sizeof *out * (size_t)cap);
            if (!g) {
                cli_free_labels(add, nadd);
                break;
            }
            out = g;
        }
        memcpy(out + *n, add, sizeof *add * (size_t)nadd);
        *n += nadd;
        free(add);
    }
    return out;
}

int64_t cli_image_ids(const char *const *paths, int n, int64_t *ids)
{
    int numeric = 1;
    for (int i = 0; i < n && numeric; i++) {
        int len;
        const char *stem = cli_stem(paths[i], &len);
        numeric = len > 0 && len <= 18;
        for (int k = 0; k < len; k++)
            numeric &= stem[k] >= '0' && stem[k] <= '9';
    }
    for (int i = 0; i < n; i++) {
        int len;
        ids[i] = numeric ? strtoll(cli_stem(paths[i], &len), NULL, 10) : i + 1;
    }
    return numeric;
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
    fprintf(cli_txt, "bytes: precision %s, weights %.2f MiB, activations %.2f MiB (%.2f MiB without reuse)\n",
           vka_precision_str(vka_graph_precision(g)), vka_graph_weight_bytes(g) / 1048576.0, act / 1048576.0,
           noreuse / 1048576.0);
}

int cli_batch_open(cli_batch *b, const char *cmd, const char *default_labels, int *argc, char **argv,
                   const char *const *args, int nargs)
{
    memset(b, 0, sizeof *b);
    b->images = cli_expand_images(args, nargs, &b->nimg);
    b->ids = calloc((size_t)(b->nimg ? b->nimg : 1), sizeof *b->ids);
    if (b->ids)
        cli_image_ids((const char *const *)b->images, b->nimg, b->ids);
    cli_default_labels(b->deflab, sizeof b->deflab, default_labels);
    b->labpath = cli_opt(*argc, argv, "--labels", b->deflab);
    b->labels = cli_read_labels(b->labpath, &b->nlabels);
    if (!b->labels) {
        fprintf(stderr, "vkattn: %s: cannot read labels %s\n", cmd, b->labpath);
        return 1;
    }
    if (!b->nimg || !b->ids) {
        fprintf(stderr, "vkattn: %s: %s\n", cmd, b->nimg ? "out of host memory" : "no images");
        return 1;
    }
    return (b->ctx = cli_context(argc, argv)) ? 0 : 1;
}

int cli_batch_close(cli_batch *b, int rc)
{
    if (b->ctx && vka_context_validation_errors(b->ctx)) {
        fprintf(stderr, "vkattn: %d validation errors\n", vka_context_validation_errors(b->ctx));
        rc = 1;
    }
    vka_context_destroy(b->ctx);
    cli_free_labels(b->labels, b->nlabels);
    cli_free_labels(b->images, b->nimg);
    free(b->ids);
    memset(b, 0, sizeof *b);
    return rc;
}
