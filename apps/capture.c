/* SPDX-License-Identifier: MIT */
/* capture.c — the frame sources (synthetic, image, folder, camera) and the
 * thread that reads them into a one-frame mailbox (see capture.h). */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "capture.h"
#include "v4l2.h"
#include "vkattn.h"

/* A camera that sends nothing for this long is taken as gone. */
#define CAP_CAMERA_SILENCE_MS 10000.0
/* The camera thread looks at the stop flag at least this often. */
#define CAP_POLL_SLICE_MS 50
#define CAP_MAX_SIDE 16384
#define CAP_MAX_FPS 1000

typedef enum { SRC_SYNTHETIC, SRC_IMAGE, SRC_FOLDER, SRC_CAMERA } cap_kind;

struct capture {
    cap_kind kind;
    int width, height;           /* synthetic frame size */
    int fps;                     /* pacing of the non-camera sources; 0: an image delivered once */
    char *path;
    void (*warn)(void *user, const char *msg);
    void *warn_user;
    char describe[400];

    vka_image *image;            /* the image; for a folder its first readable one, shown first */
    char **files;                /* folder: full paths, sorted by name */
    unsigned char *unusable;     /* folder: per file, 1 once it failed to load (warned once) */
    int nfiles, pos;             /* folder: files, the one the next frame shows */
    v4l2_cam *cam;

    /* the capture thread's own */
    cap_frame work;              /* the frame being made; swapped into slot when published */
    uint64_t t;                  /* frames of this source published: the synthetic clock */

    /* shared, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;           /* stop and pause changes; CLOCK_MONOTONIC for the pacing waits */
    pthread_t thread;
    int started, stop, paused, failed;
    char error[512];             /* set once, with failed, and never changed after */
    cap_frame slot;              /* the newest frame */
    int taken;                   /* slot was copied out by capture_latest */
    uint64_t seq, captured, dropped, skipped;
};


static void default_warn(void *user, const char *msg)
{
    (void)user;
    fprintf(stderr, "vkattn: warning: %s\n", msg);
}

static void warnf(capture *c, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->warn(c->warn_user, msg);
}

/* Makes f->data hold exactly `bytes` (cap_frame.bytes is also its size). */
static int frame_resize(cap_frame *f, size_t bytes)
{
    if (f->data && f->bytes == bytes)
        return 0;
    uint8_t *d = realloc(f->data, bytes ? bytes : 1);
    if (!d)
        return -1;
    f->data = d;
    f->bytes = bytes;
    return 0;
}

void cap_frame_free(cap_frame *f)
{
    if (!f)
        return;
    free(f->data);
    memset(f, 0, sizeof *f);
}

/* ------------------------------------------------------------ synthetic */

/* Position on a back-and-forth path over 0..range, p steps along it. */
static int bounce(uint64_t p, int range)
{
    if (range <= 0)
        return 0;
    uint64_t m = p % (2 * (uint64_t)range);
    return (int)(m <= (uint64_t)range ? m : 2 * (uint64_t)range - m);
}

static void fill_rect(uint8_t *rgb, int w, int h, int x0, int y0, int rw, int rh, const uint8_t col[3])
{
    for (int y = y0 < 0 ? 0 : y0; y < y0 + rh && y < h; y++)
        for (int x = x0 < 0 ? 0 : x0; x < x0 + rw && x < w; x++)
            memcpy(rgb + ((size_t)y * w + x) * 3, col, 3);
}

static void fill_circle(uint8_t *rgb, int w, int h, int cx, int cy, int r, const uint8_t col[3])
{
    for (int y = cy - r < 0 ? 0 : cy - r; y <= cy + r && y < h; y++)
        for (int x = cx - r < 0 ? 0 : cx - r; x <= cx + r && x < w; x++)
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r)
                memcpy(rgb + ((size_t)y * w + x) * 3, col, 3);
}

void capture_synthetic_frame(uint64_t t, int w, int h, uint8_t *rgb)
{
    /* a gradient with diagonal bands drifting one pixel per frame, so even the
     * background shows whether frames advance */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            p[0] = (uint8_t)(30 + 120 * x / w);
            p[1] = (uint8_t)(30 + 120 * y / h);
            p[2] = (uint8_t)(80 + (((uint64_t)x + y + t) & 63));
        }
    int s = w < h ? w : h, v = s / 120 > 1 ? s / 120 : 1; /* v: pixels per frame at the slowest */
    static const uint8_t red[3] = {220, 40, 40}, green[3] = {40, 200, 70}, blue[3] = {50, 80, 230},
                         yellow[3] = {240, 220, 40}, white[3] = {255, 255, 255}, black[3] = {0, 0, 0};
    int rw = s / 4, rh = s / 6, r1 = s / 8, sq = s / 5, r2 = s / 12;
    fill_rect(rgb, w, h, bounce(t * 3 * v, w - rw), bounce(t * v, h - rh), rw, rh, red);
    fill_circle(rgb, w, h, r1 + bounce(t * 2 * v + (uint64_t)w / 3, w - 2 * r1 - 1),
                r1 + bounce(t * 3 * v, h - 2 * r1 - 1), r1, green);
    fill_rect(rgb, w, h, bounce(t * v + (uint64_t)w / 2, w - sq), bounce(t * 2 * v + (uint64_t)h / 2, h - sq), sq,
              sq, blue);
    fill_circle(rgb, w, h, r2 + bounce(t * 4 * v, w - 2 * r2 - 1), r2 + bounce(t * v + (uint64_t)h / 3, h - 2 * r2 - 1),
                r2, yellow);
    /* t's low 16 bits along the bottom edge: a dropped or repeated frame shows */
    int cell = w / 16 < s / 24 ? w / 16 : s / 24;
    if (cell < 1)
        cell = 1;
    for (int b = 0; b < 16; b++)
        fill_rect(rgb, w, h, b * cell, h - cell, cell, cell, t >> b & 1 ? white : black);
}

/* ------------------------------------------------------------ the mailbox */

/* Makes the work frame the newest; 0 without publishing while paused or stopping. */
static int publish(capture *c)
{
    pthread_mutex_lock(&c->mu);
    if (c->paused || c->stop) {
        pthread_mutex_unlock(&c->mu);
        return 0;
    }
    if (c->slot.seq && !c->taken)
        c->dropped++;
    cap_frame old = c->slot; /* its buffer becomes the next work frame's */
    c->slot = c->work;
    c->slot.seq = ++c->seq;
    c->work = old;
    c->taken = 0;
    c->captured++;
    pthread_mutex_unlock(&c->mu);
    return 1;
}

static void fail(capture *c, const char *msg)
{
    pthread_mutex_lock(&c->mu);
    if (!c->failed) {
        snprintf(c->error, sizeof c->error, "%s", msg);
        c->failed = 1;
    }
    pthread_mutex_unlock(&c->mu);
}

/* Waits while paused; 1 when stopping. *next restarts after a pause so the
 * source does not rush to catch up. */
static int wait_unpaused(capture *c, double *next)
{
    pthread_mutex_lock(&c->mu);
    int waited = 0;
    while (c->paused && !c->stop) {
        pthread_cond_wait(&c->cv, &c->mu);
        waited = 1;
    }
    int s = c->stop;
    pthread_mutex_unlock(&c->mu);
    if (waited)
        *next = cap__now_ms();
    return s;
}

/* Waits until the monotonic time `deadline` (ms), a pause or a stop; 1 when stopping. */
static int wait_until(capture *c, double deadline)
{
    struct timespec ts = {.tv_sec = (time_t)(deadline / 1e3),
                          .tv_nsec = (long)((deadline - (double)(time_t)(deadline / 1e3) * 1e3) * 1e6)};
    if (ts.tv_nsec >= 1000000000L)
        ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&c->mu);
    while (!c->stop && !c->paused && cap__now_ms() < deadline)
        if (pthread_cond_timedwait(&c->cv, &c->mu, &ts) == ETIMEDOUT)
            break;
    int s = c->stop;
    pthread_mutex_unlock(&c->mu);
    return s;
}

/* ------------------------------------------------------------ paced sources */

/* The folder's next readable image into the work frame, from c->pos on;
 * files that fail are skipped (warned once). -1 with msg when none is left. */
static int load_folder_image(capture *c, char *msg, size_t nmsg)
{
    for (int k = 0; k < c->nfiles; k++) {
        int i = (c->pos + k) % c->nfiles;
        if (c->unusable[i])
            continue;
        vka_image *img = vka_image_load(c->files[i]);
        if (!img) {
            c->unusable[i] = 1;
            /* warned before counted: whoever sees the count sees the warning done */
            warnf(c, "%s: skipped: %s", c->path, vka_last_error());
            pthread_mutex_lock(&c->mu);
            c->skipped++;
            pthread_mutex_unlock(&c->mu);
            continue;
        }
        c->pos = i;
        size_t bytes = (size_t)img->width * img->height * 3;
        int r = frame_resize(&c->work, bytes);
        if (!r) {
            memcpy(c->work.data, img->rgb, bytes);
            c->work.width = img->width;
            c->work.height = img->height;
            c->work.format = CAP_RGB8;
        }
        vka_image_free(img);
        if (r) {
            cap__seterr(msg, nmsg, "%s: out of memory for a %zu-byte frame", c->files[i], bytes);
            return -1;
        }
        return 0;
    }
    cap__seterr(msg, nmsg, "%s: no readable image is left in the folder", c->path);
    return -1;
}

/* Makes the next frame of a paced source in c->work. */
static int produce(capture *c, char *msg, size_t nmsg)
{
    double t0 = cap__now_ms();
    if (c->kind == SRC_FOLDER && c->t > 0) { /* the first image was loaded by capture_open */
        if (load_folder_image(c, msg, nmsg))
            return -1;
    } else if (c->kind == SRC_SYNTHETIC) {
        if (frame_resize(&c->work, (size_t)c->width * c->height * 3)) {
            cap__seterr(msg, nmsg, "synthetic: out of memory");
            return -1;
        }
        capture_synthetic_frame(c->t, c->width, c->height, c->work.data);
        c->work.width = c->width;
        c->work.height = c->height;
        c->work.format = CAP_RGB8;
    } else { /* the single image, or the folder's first */
        size_t bytes = (size_t)c->image->width * c->image->height * 3;
        if (frame_resize(&c->work, bytes)) {
            cap__seterr(msg, nmsg, "%s: out of memory", c->path);
            return -1;
        }
        memcpy(c->work.data, c->image->rgb, bytes);
        c->work.width = c->image->width;
        c->work.height = c->image->height;
        c->work.format = CAP_RGB8;
    }
    c->work.capture_ms = cap__now_ms() - t0;
    return 0;
}

static void *paced_thread(void *arg)
{
    capture *c = arg;
    double period = c->fps > 0 ? 1000.0 / c->fps : 0, next = cap__now_ms();
    int have = 0; /* c->work holds a frame a pause kept from being published */
    char msg[512];
    for (;;) {
        if (wait_unpaused(c, &next))
            break;
        if (!have && produce(c, msg, sizeof msg)) {
            fail(c, msg);
            break;
        }
        have = 1;
        if (publish(c)) {
            have = 0;
            c->t++;
            if (c->kind == SRC_FOLDER)
                c->pos = (c->pos + 1) % c->nfiles;
            if (period == 0) { /* an image shown once: nothing more to do */
                pthread_mutex_lock(&c->mu);
                while (!c->stop)
                    pthread_cond_wait(&c->cv, &c->mu);
                pthread_mutex_unlock(&c->mu);
                break;
            }
        }
        next += period;
        double now = cap__now_ms();
        if (next < now - period) /* fell behind (slow decode): no burst to catch up */
            next = now;
        if (wait_until(c, next))
            break;
    }
    return NULL;
}

/* ------------------------------------------------------------ camera */

static void *camera_thread(void *arg)
{
    capture *c = arg;
    char msg[512];
    double last = cap__now_ms();
    for (;;) {
        pthread_mutex_lock(&c->mu);
        int stop = c->stop, paused = c->paused;
        pthread_mutex_unlock(&c->mu);
        if (stop)
            break;
        /* paused: frames are still taken and given back, unconverted, so the
         * driver keeps its buffers moving and resumes with a fresh frame */
        int r = v4l2_grab(c->cam, CAP_POLL_SLICE_MS, paused ? NULL : &c->work, msg, sizeof msg);
        if (r == 1) {
            last = cap__now_ms();
            if (!paused)
                publish(c); /* which drops it if a pause came meanwhile */
        } else if (r == -2) {
            uint64_t n = c->skipped + 1; /* this thread is its only writer */
            if (n <= 3 || n % 100 == 0) /* a camera gone bad would flood the terminal */
                warnf(c, "%s (skipped; %llu bad frames so far)", msg, (unsigned long long)n);
            pthread_mutex_lock(&c->mu);
            c->skipped = n;
            pthread_mutex_unlock(&c->mu);
        } else if (r < 0) {
            fail(c, msg);
            break;
        } else if (cap__now_ms() - last > CAP_CAMERA_SILENCE_MS) {
            snprintf(msg, sizeof msg, "%s: no frame for %.0f s", c->path, CAP_CAMERA_SILENCE_MS / 1e3);
            fail(c, msg);
            break;
        }
    }
    return NULL;
}

/* ------------------------------------------------------------ open */

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Lists the folder's regular files (dot files left out) and loads the first
 * readable image. */
static int open_folder(capture *c, char *err, size_t nerr)
{
    DIR *d = opendir(c->path);
    if (!d) {
        cap__seterr(err, nerr, "capture: cannot open folder %s: %s", c->path, strerror(errno));
        return -1;
    }
    int cap = 0, rc = -1;
    struct dirent *e;
    size_t dl = strlen(c->path);
    int slash = dl > 0 && c->path[dl - 1] == '/';
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') /* ".", "..", and hidden files such as .DS_Store */
            continue;
        size_t n = dl + strlen(e->d_name) + 2;
        char *path = malloc(n);
        if (!path)
            goto out;
        snprintf(path, n, "%s%s%s", c->path, slash ? "" : "/", e->d_name);
        struct stat st;
        if (stat(path, &st) || !S_ISREG(st.st_mode)) {
            free(path);
            continue;
        }
        if (c->nfiles == cap) {
            cap = cap ? 2 * cap : 64;
            char **f = realloc(c->files, sizeof *f * (size_t)cap);
            if (!f) {
                free(path);
                goto out;
            }
            c->files = f;
        }
        c->files[c->nfiles++] = path;
    }
    if (!c->nfiles) {
        cap__seterr(err, nerr, "capture: folder %s has no files", c->path);
        rc = -2;
        goto out;
    }
    qsort(c->files, (size_t)c->nfiles, sizeof *c->files, by_name);
    if (!(c->unusable = calloc((size_t)c->nfiles, 1)))
        goto out;
    char first_why[400] = "";
    for (int i = 0; i < c->nfiles && !c->image; i++) {
        if ((c->image = vka_image_load(c->files[i]))) {
            c->pos = i;
            break;
        }
        c->unusable[i] = 1;
        c->skipped++;
        if (!*first_why)
            snprintf(first_why, sizeof first_why, "%s", vka_last_error());
        warnf(c, "%s: skipped: %s", c->path, vka_last_error());
    }
    if (!c->image) {
        cap__seterr(err, nerr, "capture: folder %s: none of its %d files is an image (%s)", c->path, c->nfiles, first_why);
        rc = -2;
        goto out;
    }
    rc = 0;
out:
    closedir(d);
    if (rc == -1)
        cap__seterr(err, nerr, "capture: folder %s: out of memory", c->path);
    return rc;
}

capture *capture_open(const cap_params *p, char *err, size_t nerr)
{
    if (!p || !p->source || !*p->source) {
        cap__seterr(err, nerr, "capture: no source given (\"synthetic\", an image file, a folder of images, or a V4L2 "
                          "device such as /dev/video0)");
        return NULL;
    }
    if (p->width < 0 || p->height < 0 || p->width > CAP_MAX_SIDE || p->height > CAP_MAX_SIDE || p->fps < 0 ||
        p->fps > CAP_MAX_FPS) {
        cap__seterr(err, nerr, "capture: %s: size %dx%d or fps %d out of range (0 = default, sides up to %d, fps up to %d)",
               p->source, p->width, p->height, p->fps, CAP_MAX_SIDE, CAP_MAX_FPS);
        return NULL;
    }
    capture *c = calloc(1, sizeof *c);
    if (!c || !(c->path = malloc(strlen(p->source) + 1))) {
        free(c);
        cap__seterr(err, nerr, "capture: out of memory");
        return NULL;
    }
    strcpy(c->path, p->source);
    c->warn = p->warn ? p->warn : default_warn;
    c->warn_user = p->warn_user;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* pacing must not jump with the wall clock */
    pthread_cond_init(&c->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&c->mu, NULL);

    struct stat st;
    if (strcmp(p->source, "synthetic") == 0) {
        c->kind = SRC_SYNTHETIC;
        c->width = p->width ? p->width : 640;
        c->height = p->height ? p->height : 480;
        c->fps = p->fps ? p->fps : 30;
        snprintf(c->describe, sizeof c->describe, "synthetic RGB8 %dx%d @%d", c->width, c->height, c->fps);
    } else if (p->io || strncmp(p->source, "/dev/", 5) == 0 || (stat(p->source, &st) == 0 && S_ISCHR(st.st_mode))) {
        c->kind = SRC_CAMERA;
        if (!(c->cam = v4l2_open(p, err, nerr)))
            goto fail;
        snprintf(c->describe, sizeof c->describe, "%s", v4l2_describe(c->cam));
    } else if (stat(p->source, &st) != 0) {
        cap__seterr(err, nerr, "capture: cannot open %s: %s", p->source, strerror(errno));
        goto fail;
    } else if (S_ISDIR(st.st_mode)) {
        c->kind = SRC_FOLDER;
        c->fps = p->fps ? p->fps : 10;
        if (open_folder(c, err, nerr))
            goto fail;
        snprintf(c->describe, sizeof c->describe, "%s (%d files) @%d", c->path, c->nfiles, c->fps);
    } else {
        c->kind = SRC_IMAGE;
        c->fps = p->fps;
        if (!(c->image = vka_image_load(p->source))) {
            cap__seterr(err, nerr, "capture: %s", vka_last_error());
            goto fail;
        }
        int n = snprintf(c->describe, sizeof c->describe, "%s RGB8 %dx%d", c->path, c->image->width,
                         c->image->height);
        if (c->fps && n > 0 && (size_t)n < sizeof c->describe)
            snprintf(c->describe + n, sizeof c->describe - (size_t)n, " @%d", c->fps);
    }
    return c;
fail:
    capture_close(c);
    return NULL;
}

int capture_start(capture *c)
{
    if (!c)
        return -1;
    pthread_mutex_lock(&c->mu);
    int started = c->started;
    pthread_mutex_unlock(&c->mu);
    if (started)
        return 0;
    int e = pthread_create(&c->thread, NULL, c->kind == SRC_CAMERA ? camera_thread : paced_thread, c);
    if (e) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s: cannot start the capture thread: %s", c->path, strerror(e));
        fail(c, msg);
        return -1;
    }
    pthread_mutex_lock(&c->mu);
    c->started = 1;
    pthread_mutex_unlock(&c->mu);
    return 0;
}

/* ------------------------------------------------------------ the renderer's side */

int capture_latest(capture *c, uint64_t last_seq, cap_frame *out)
{
    if (!c || !out)
        return -1;
    int r = 0;
    pthread_mutex_lock(&c->mu);
    if (c->slot.seq > last_seq) {
        if (frame_resize(out, c->slot.bytes)) {
            if (!c->failed) {
                snprintf(c->error, sizeof c->error, "%s: out of memory for a %zu-byte frame", c->path,
                         c->slot.bytes);
                c->failed = 1;
            }
            r = -1;
        } else {
            uint8_t *data = out->data;
            *out = c->slot;
            out->data = data;
            memcpy(out->data, c->slot.data, c->slot.bytes);
            c->taken = 1;
            r = 1;
        }
    } else if (c->failed) {
        r = -1;
    }
    pthread_mutex_unlock(&c->mu);
    return r;
}

void capture_pause(capture *c, int paused)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->paused = paused != 0;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

void capture_stats(const capture *c, uint64_t *captured, uint64_t *dropped)
{
    uint64_t n = 0, d = 0;
    if (c) {
        capture *m = (capture *)c; /* the mutex changes; what it guards is only read */
        pthread_mutex_lock(&m->mu);
        n = c->captured;
        d = c->dropped;
        pthread_mutex_unlock(&m->mu);
    }
    if (captured)
        *captured = n;
    if (dropped)
        *dropped = d;
}

uint64_t capture_skipped(const capture *c)
{
    if (!c)
        return 0;
    capture *m = (capture *)c;
    pthread_mutex_lock(&m->mu);
    uint64_t n = c->skipped;
    pthread_mutex_unlock(&m->mu);
    return n;
}

const char *capture_describe(const capture *c) { return c ? c->describe : ""; }

const char *capture_error(const capture *c)
{
    if (!c)
        return "";
    capture *m = (capture *)c;
    pthread_mutex_lock(&m->mu);
    const char *e = c->failed ? c->error : "";
    pthread_mutex_unlock(&m->mu);
    return e;
}

void capture_close(capture *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_broadcast(&c->cv);
    int started = c->started;
    pthread_mutex_unlock(&c->mu);
    if (started)
        pthread_join(c->thread, NULL);
    v4l2_close(c->cam);
    vka_image_free(c->image);
    for (int i = 0; i < c->nfiles; i++)
        free(c->files[i]);
    free(c->files);
    free(c->unusable);
    cap_frame_free(&c->work);
    cap_frame_free(&c->slot);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c->path);
    free(c);
}
