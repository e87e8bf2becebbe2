/* SPDX-License-Identifier: MIT */
/* cli_common.h — helpers for the tests that run the vkattn CLI (classify,
 * detect, view): running a command, reading its files, and ONNX Runtime's
 * detections on bus.jpg to look for in drawn images. Include after common.h. */
#ifndef VKA_TEST_CLI_COMMON_H
#define VKA_TEST_CLI_COMMON_H
#include <sys/wait.h>

static const char *cli_path(void)
{
#ifdef VKA_CLI
    return VKA_CLI;
#else
    return "vkattn";
#endif
}

/* Runs cmd with stdout captured into *out (caller frees); returns the exit
 * status, or -1 when it did not exit normally (a crash). */
static int run_cmd(const char *cmd, char **out)
{
    FILE *p = popen(cmd, "r");
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while (p && (r = fread(buf + n, 1, cap - n - 1, p)) > 0)
        if ((n += r) + 1 >= cap)
            buf = realloc(buf, cap *= 2);
    buf[n] = 0;
    int st = p ? pclose(p) : -1;
    *out = buf;
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The first 64 KiB of a text file ("" if unreadable); caller frees. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    char *b = calloc(1, 65536);
    if (f) {
        size_t n = fread(b, 1, 65535, f);
        b[n] = 0;
        fclose(f);
    }
    return b;
}

/* ORT on the golden's tensor, DEIMv2 atto on bus.jpg (assets README 4.3):
 * label (0 person, 5 bus), score, box x1 y1 x2 y2 in the 810x1080 image. */
typedef struct {
    int label;
    double score, box[4];
} det;
static const det bus_golden[5] = {
    {0, 0.8096, {55.6, 394.2, 222.7, 913.1}}, {0, 0.7897, {221.0, 398.0, 351.6, 856.0}},
    {0, 0.7324, {676.4, 401.4, 810.5, 872.4}}, {5, 0.6634, {28.3, 244.5, 799.2, 765.7}},
    {0, 0.5933, {0.5, 555.3, 73.3, 875.6}},
};

static double iou(const double *a, const double *b)
{
    double iw = fmin(a[2], b[2]) - fmax(a[0], b[0]), ih = fmin(a[3], b[3]) - fmax(a[1], b[1]);
    double in = iw > 0 && ih > 0 ? iw * ih : 0;
    double u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - in;
    return u > 0 ? in / u : 0;
}

/* Fraction of points along the middle 80% of each side of box where a pixel of
 * colour c lies within +-8 px across the side; the smallest over the 4 sides. */
static double edge_hits(const vka_image *img, const double *box, const uint8_t c[3])
{
    double worst = 1;
    for (int side = 0; side < 4; side++) {
        int hits = 0, n = 40;
        for (int k = 0; k < n; k++) {
            double f = 0.1 + 0.8 * k / (n - 1);
            int horiz = side < 2;
            int along = (int)lround(horiz ? box[0] + f * (box[2] - box[0]) : box[1] + f * (box[3] - box[1]));
            int at = (int)lround(side == 0 ? box[1] : side == 1 ? box[3] : side == 2 ? box[0] : box[2]);
            int hit = 0;
            for (int d = -8; d <= 8 && !hit; d++) {
                int x = horiz ? along : at + d, y = horiz ? at + d : along;
                if (x >= 0 && y >= 0 && x < img->width && y < img->height)
                    hit = !memcmp(img->rgb + ((size_t)y * img->width + x) * 3, c, 3);
            }
            hits += hit;
        }
        worst = fmin(worst, (double)hits / n);
    }
    return worst;
}
#endif
