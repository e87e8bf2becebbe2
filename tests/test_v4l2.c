/* SPDX-License-Identifier: MIT */
/* test_v4l2.c — the frame sources of `vkattn view` without a camera or a GPU.
 * A fake camera answers the v4l2_io table from a small state machine (fake
 * fd, ioctls, malloc'd "mmap" buffers holding a known YUYV pattern or a JPEG
 * made here with stb_image_write) and counts what is opened and mapped, so
 * format negotiation, repacking, MJPEG decoding, every failing request and the
 * cleanup after it are checked; then the synthetic, image and folder sources,
 * pausing, dropped-frame counting and capture_open's errors. */
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "common.h"
#include "v4l2.h"

/* stb for the reference decode and for making the JPEG frames: static here,
 * apart from the copies in libvkattn and apps/v4l2.c */
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBI_ONLY_JPEG
/* With one format, stb still declares the static functions of the others;
 * GCC reports those at the end of the file, past any pop, so this warning
 * stays off for the rest of the file. */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wtype-limits"
#include "../runtime/third_party/stb_image.h" /* the library's stb_image */
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

static void sleep_ms(double ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1e3), .tv_nsec = (long)((ms - (time_t)(ms / 1e3) * 1e3) * 1e6)};
    nanosleep(&ts, NULL);
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ------------------------------------------------------------ the fake camera */

#define FAKE_FD 42
#define FAKE_MAXBUF 8
#define FAKE_OFFSET_STEP 0x100000 /* QUERYBUF's m.offset of buffer i: i * step */

typedef struct fake {
    /* what the camera is */
    uint32_t caps;               /* device capabilities */
    uint32_t formats[4];
    int nformats;
    int cur_w, cur_h;            /* the size before any S_FMT */
    int force_w, force_h;        /* > 0: S_FMT answers this size whatever was asked */
    int pad;                     /* YUYV bytesperline = 2 * width + pad */
    uint32_t give_bufs;          /* REQBUFS answers this count (0: what was asked) */
    int fps;                     /* the current rate (S_PARM sets it) */
    const uint8_t *jpeg;         /* MJPEG frames: these bytes every frame */
    size_t jpeg_n;
    int bad_every;               /* every k-th frame (k, 2k, ...: 1-based) cut to a third */
    int silent;                  /* poll never has a frame */
    /* failures to inject */
    unsigned long fail_req;      /* this ioctl fails with fail_errno ... */
    int fail_after;              /* ... after succeeding this many times */
    int fail_errno;
    int fail_mmap;               /* the k-th mmap fails (1-based; 0 none) */
    int fail_open;               /* open fails with this errno */
    /* what happened */
    int fd_open, opens, closes, maps, unmaps, bad_calls;
    int fail_seen;
    uint32_t asked_fmt;
    int asked_w, asked_h, asked_fps;
    uint32_t pixfmt;
    int w, h, bpl;
    uint32_t nbufs;
    void *buf[FAKE_MAXBUF];
    size_t buflen;
    int queue[FAKE_MAXBUF], qlen, queued[FAKE_MAXBUF];
    int streaming, streamons, streamoffs, reqbufs0;
    uint32_t frames;             /* handed out by DQBUF */
} fake;

static void fake_init(fake *f)
{
    memset(f, 0, sizeof *f);
    f->caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
    f->formats[0] = V4L2_PIX_FMT_YUYV;
    f->formats[1] = V4L2_PIX_FMT_MJPEG;
    f->nformats = 2;
    f->cur_w = 640;
    f->cur_h = 480;
    f->fps = 30;
    f->pixfmt = V4L2_PIX_FMT_YUYV;
    f->w = 640;
    f->h = 480;
    f->bpl = 1280;
}

/* The YUYV byte i of row y of frame n; its first byte tells n (37 is odd, so
 * n = byte0 * 37^-1 = byte0 * 173 mod 256). */
static uint8_t pattern(uint32_t n, int y, int i) { return (uint8_t)(n * 37u + (uint32_t)y * 11u + (uint32_t)i * 3u); }
static uint32_t pattern_frame(const uint8_t *data) { return (uint32_t)(data[0] * 173u) & 255u; }

static int fake_open(void *u, const char *path, int flags)
{
    fake *f = u;
    (void)path;
    if (!(flags & O_NONBLOCK))
        f->bad_calls++;
    if (f->fail_open) {
        errno = f->fail_open;
        return -1;
    }
    if (f->fd_open) {
        errno = EBUSY;
        return -1;
    }
    f->fd_open = 1;
    f->opens++;
    return FAKE_FD;
}

static int fake_close(void *u, int fd)
{
    fake *f = u;
    if (fd != FAKE_FD || !f->fd_open) {
        f->bad_calls++;
        errno = EBADF;
        return -1;
    }
    f->fd_open = 0;
    f->closes++;
    return 0;
}

static void fill_frame(fake *f, int i, uint32_t *used)
{
    uint8_t *b = f->buf[i];
    if (f->pixfmt == V4L2_PIX_FMT_YUYV) {
        for (int y = 0; y < f->h; y++)
            for (int x = 0; x < f->bpl; x++)
                b[(size_t)y * f->bpl + x] = x < 2 * f->w ? pattern(f->frames, y, x) : 0xee; /* 0xee: padding */
        *used = (uint32_t)(f->bpl * f->h);
    } else {
        memcpy(b, f->jpeg, f->jpeg_n);
        *used = (uint32_t)f->jpeg_n;
    }
    if (f->bad_every && (f->frames + 1) % (uint32_t)f->bad_every == 0)
        *used /= 3;
}

static int fake_ioctl(void *u, int fd, unsigned long req, void *arg)
{
    fake *f = u;
    if (fd != FAKE_FD || !f->fd_open) {
        f->bad_calls++;
        errno = EBADF;
        return -1;
    }
    if (req == f->fail_req && f->fail_seen++ >= f->fail_after) {
        errno = f->fail_errno;
        return -1;
    }
    switch (req) {
    case VIDIOC_QUERYCAP: {
        struct v4l2_capability *c = arg;
        memset(c, 0, sizeof *c);
        snprintf((char *)c->driver, sizeof c->driver, "fake");
        snprintf((char *)c->card, sizeof c->card, "Fake Camera");
        c->capabilities = f->caps | V4L2_CAP_DEVICE_CAPS;
        c->device_caps = f->caps;
        return 0;
    }
    case VIDIOC_ENUM_FMT: {
        struct v4l2_fmtdesc *d = arg;
        if (d->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || d->index >= (uint32_t)f->nformats) {
            errno = EINVAL;
            return -1;
        }
        d->pixelformat = f->formats[d->index];
        return 0;
    }
    case VIDIOC_G_FMT: {
        struct v4l2_format *v = arg;
        v->fmt.pix.width = (uint32_t)f->cur_w;
        v->fmt.pix.height = (uint32_t)f->cur_h;
        v->fmt.pix.pixelformat = f->formats[0];
        v->fmt.pix.bytesperline = (uint32_t)(2 * f->cur_w);
        return 0;
    }
    case VIDIOC_S_FMT: {
        struct v4l2_format *v = arg;
        f->asked_fmt = v->fmt.pix.pixelformat;
        f->asked_w = (int)v->fmt.pix.width;
        f->asked_h = (int)v->fmt.pix.height;
        int offered = 0;
        for (int i = 0; i < f->nformats; i++)
            offered |= f->formats[i] == v->fmt.pix.pixelformat;
        f->pixfmt = offered ? v->fmt.pix.pixelformat : f->formats[0]; /* drivers fall back, never refuse */
        f->w = f->force_w ? f->force_w : f->asked_w;
        f->h = f->force_h ? f->force_h : f->asked_h;
        f->bpl = f->pixfmt == V4L2_PIX_FMT_YUYV ? 2 * f->w + f->pad : 0;
        v->fmt.pix.pixelformat = f->pixfmt;
        v->fmt.pix.width = (uint32_t)f->w;
        v->fmt.pix.height = (uint32_t)f->h;
        v->fmt.pix.bytesperline = (uint32_t)f->bpl;
        f->buflen = f->pixfmt == V4L2_PIX_FMT_YUYV ? (size_t)f->bpl * f->h : (size_t)f->w * f->h * 2 + 4096;
        v->fmt.pix.sizeimage = (uint32_t)f->buflen;
        return 0;
    }
    case VIDIOC_S_PARM:
    case VIDIOC_G_PARM: {
        struct v4l2_streamparm *p = arg;
        if (req == VIDIOC_S_PARM) {
            struct v4l2_fract t = p->parm.capture.timeperframe;
            f->asked_fps = t.numerator ? (int)(t.denominator / t.numerator) : 0;
            f->fps = f->asked_fps > 60 ? 60 : f->asked_fps; /* the fake's fastest rate */
        }
        p->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
        p->parm.capture.timeperframe.numerator = 1;
        p->parm.capture.timeperframe.denominator = (uint32_t)f->fps;
        return 0;
    }
    case VIDIOC_REQBUFS: {
        struct v4l2_requestbuffers *r = arg;
        if (r->memory != V4L2_MEMORY_MMAP || f->streaming) {
            errno = EINVAL;
            return -1;
        }
        if (r->count == 0) {
            if (f->maps != f->unmaps) /* a real driver answers EBUSY while buffers are mapped */
                f->bad_calls++;
            f->reqbufs0++;
            f->nbufs = 0;
            return 0;
        }
        f->nbufs = f->give_bufs ? f->give_bufs : r->count;
        if (f->nbufs > FAKE_MAXBUF)
            f->nbufs = FAKE_MAXBUF;
        r->count = f->nbufs;
        return 0;
    }
    case VIDIOC_QUERYBUF:
    case VIDIOC_QBUF: {
        struct v4l2_buffer *b = arg;
        if (b->index >= f->nbufs || b->memory != V4L2_MEMORY_MMAP) {
            errno = EINVAL;
            return -1;
        }
        if (req == VIDIOC_QUERYBUF) {
            b->length = (uint32_t)f->buflen;
            b->m.offset = b->index * FAKE_OFFSET_STEP;
            return 0;
        }
        if (!f->buf[b->index] || f->queued[b->index]) {
            f->bad_calls++;
            errno = EINVAL;
            return -1;
        }
        f->queued[b->index] = 1;
        f->queue[f->qlen++] = (int)b->index;
        return 0;
    }
    case VIDIOC_DQBUF: {
        struct v4l2_buffer *b = arg;
        if (!f->streaming || !f->qlen) {
            errno = EAGAIN;
            return -1;
        }
        int i = f->queue[0];
        memmove(f->queue, f->queue + 1, sizeof(int) * (size_t)--f->qlen);
        f->queued[i] = 0;
        b->index = (uint32_t)i;
        b->sequence = f->frames;
        b->flags = 0;
        fill_frame(f, i, &b->bytesused);
        b->length = (uint32_t)f->buflen;
        f->frames++;
        return 0;
    }
    case VIDIOC_STREAMON:
        f->streaming = 1;
        f->streamons++;
        return 0;
    case VIDIOC_STREAMOFF:
        f->streaming = 0;
        f->streamoffs++;
        return 0;
    }
    errno = ENOTTY;
    return -1;
}

static void *fake_mmap(void *u, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    fake *f = u;
    (void)addr, (void)prot, (void)flags;
    size_t i = (size_t)off / FAKE_OFFSET_STEP;
    if (fd != FAKE_FD || i >= f->nbufs || len != f->buflen || f->buf[i]) {
        f->bad_calls++;
        errno = EINVAL;
        return MAP_FAILED;
    }
    if (f->fail_mmap && f->maps + 1 == f->fail_mmap) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    f->buf[i] = malloc(len);
    f->maps++;
    return f->buf[i];
}

static int fake_munmap(void *u, void *addr, size_t len)
{
    fake *f = u;
    for (int i = 0; i < FAKE_MAXBUF; i++)
        if (addr && f->buf[i] == addr && len == f->buflen) {
            free(addr);
            f->buf[i] = NULL;
            f->unmaps++;
            return 0;
        }
    f->bad_calls++;
    errno = EINVAL;
    return -1;
}

static int fake_poll(void *u, struct pollfd *fds, nfds_t n, int timeout_ms)
{
    fake *f = u;
    if (n != 1 || fds[0].fd != FAKE_FD) {
        f->bad_calls++;
        errno = EINVAL;
        return -1;
    }
    if (f->silent || !f->streaming || !f->qlen) {
        sleep_ms(timeout_ms);
        return 0;
    }
    sleep_ms(1); /* a camera at 1000 fps */
    fds[0].revents = POLLIN;
    return 1;
}

static v4l2_io fake_io(fake *f)
{
    return (v4l2_io){fake_open, fake_close, fake_ioctl, fake_mmap, fake_munmap, fake_poll, f};
}

/* Everything the camera handed out came back. */
static int fake_clean(const fake *f)
{
    return !f->fd_open && f->opens == f->closes && f->maps == f->unmaps && !f->bad_calls && !f->streaming;
}

static void fake_report(const char *what, const fake *f)
{
    vkt_check(fake_clean(f), "%s: released: opens %d closes %d, maps %d unmaps %d, streaming %d, bad calls %d", what,
              f->opens, f->closes, f->maps, f->unmaps, f->streaming, f->bad_calls);
}

/* ------------------------------------------------------------ helpers */

/* Waits up to timeout_ms for a frame newer than last: capture_latest's answer. */
static int wait_frame(capture *c, uint64_t last, cap_frame *f, double timeout_ms)
{
    double end = mono_ms() + timeout_ms;
    for (;;) {
        int r = capture_latest(c, last, f);
        if (r || mono_ms() > end)
            return r;
        sleep_ms(0.5);
    }
}

typedef struct warnings {
    int n;
    char last[600], all[2048];
} warnings;

static void collect_warn(void *user, const char *msg)
{
    warnings *w = user;
    w->n++;
    snprintf(w->last, sizeof w->last, "%s", msg);
    size_t len = strlen(w->all);
    snprintf(w->all + len, sizeof w->all - len, "%s\n", msg);
}

static int contains(const char *s, const char *needle) { return s && strstr(s, needle) != NULL; }

/* ------------------------------------------------------------ camera: negotiation */

static v4l2_cam *open_fake(fake *f, v4l2_io *io, int w, int h, int fps, int mjpeg, char *err, size_t nerr)
{
    *io = fake_io(f);
    cap_params p = {.source = "/dev/fake0", .width = w, .height = h, .fps = fps, .prefer_mjpeg = mjpeg, .io = io};
    return v4l2_open(&p, err, nerr);
}

static void test_negotiation(void)
{
    fake f;
    v4l2_io io;
    char err[512] = "";

    fake_init(&f);
    f.formats[0] = V4L2_PIX_FMT_MJPEG, f.formats[1] = V4L2_PIX_FMT_YUYV; /* YUYV listed second */
    v4l2_cam *cam = open_fake(&f, &io, 320, 240, 15, 0, err, sizeof err);
    vkt_check(cam && f.asked_fmt == V4L2_PIX_FMT_YUYV && f.asked_w == 320 && f.asked_h == 240 && f.asked_fps == 15 &&
                  f.streamons == 1 && f.maps == 4 && f.qlen == 4,
              "YUYV chosen when offered (after MJPEG); S_FMT asked 320x240 (%dx%d), S_PARM 15 fps (%d); 4 buffers "
              "mapped and queued, streaming: \"%s\"",
              f.asked_w, f.asked_h, f.asked_fps, cam ? v4l2_describe(cam) : err);
    vkt_check(cam && !strcmp(v4l2_describe(cam), "/dev/fake0 YUYV 320x240 @15"), "describe: \"%s\"",
              cam ? v4l2_describe(cam) : "");
    v4l2_close(cam);
    fake_report("YUYV open/close", &f);
    vkt_check(f.streamoffs == 1 && f.reqbufs0 == 1, "close: STREAMOFF and REQBUFS(0) once each (%d, %d)",
              f.streamoffs, f.reqbufs0);

    fake_init(&f);
    cam = open_fake(&f, &io, 320, 240, 0, 1, err, sizeof err);
    vkt_check(cam && f.asked_fmt == V4L2_PIX_FMT_MJPEG && contains(v4l2_describe(cam), "MJPEG 320x240 @30"),
              "prefer_mjpeg: MJPEG chosen over YUYV; no fps asked: the driver's 30 read back (\"%s\")",
              cam ? v4l2_describe(cam) : err);
    v4l2_close(cam);
    fake_report("MJPEG open/close", &f);

    fake_init(&f);
    f.formats[0] = V4L2_PIX_FMT_MJPEG, f.nformats = 1;
    cam = open_fake(&f, &io, 0, 0, 0, 0, err, sizeof err);
    vkt_check(cam && f.asked_fmt == V4L2_PIX_FMT_MJPEG && f.asked_w == 640 && f.asked_h == 480,
              "MJPEG when it is all there is; size 0 keeps the current 640x480 (asked %dx%d)", f.asked_w, f.asked_h);
    v4l2_close(cam);

    fake_init(&f);
    f.formats[0] = V4L2_PIX_FMT_GREY, f.formats[1] = V4L2_PIX_FMT_NV12;
    cam = open_fake(&f, &io, 0, 0, 0, 0, err, sizeof err);
    vkt_check(!cam && contains(err, "/dev/fake0: no YUYV or MJPEG format") && contains(err, "GREY NV12"),
              "neither YUYV nor MJPEG: \"%s\"", err);
    fake_report("no format", &f);

    fake_init(&f);
    f.force_w = 320, f.force_h = 180;
    cam = open_fake(&f, &io, 333, 222, 0, 0, err, sizeof err);
    cap_frame fr = {0};
    int r = cam ? v4l2_grab(cam, 1000, &fr, err, sizeof err) : -1;
    vkt_check(r == 1 && f.asked_w == 333 && f.asked_h == 222 && fr.width == 320 && fr.height == 180 &&
                  fr.bytes == 320 * 180 * 2 && contains(v4l2_describe(cam), "320x180"),
              "driver adjusts 333x222 to 320x180: frames are %dx%d (%zu bytes)", fr.width, fr.height, fr.bytes);
    cap_frame_free(&fr);
    v4l2_close(cam);

    fake_init(&f);
    f.fps = 0; /* S_PARM asked 200, the fake gives at most 60 */
    cam = open_fake(&f, &io, 64, 48, 200, 0, err, sizeof err);
    vkt_check(cam && f.asked_fps == 200 && contains(v4l2_describe(cam), "@60"),
              "fps asked 200, driver answers 60: \"%s\"", cam ? v4l2_describe(cam) : err);
    v4l2_close(cam);

    struct {
        uint32_t caps;
        const char *want, *what;
    } bad[] = {
        {V4L2_CAP_VIDEO_OUTPUT | V4L2_CAP_STREAMING, "not a video capture device", "output-only device"},
        {V4L2_CAP_VIDEO_CAPTURE_MPLANE | V4L2_CAP_STREAMING, "multi-planar", "multi-planar only"},
        {V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_READWRITE, "has no streaming I/O", "read() only"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fake_init(&f);
        f.caps = bad[i].caps;
        cam = open_fake(&f, &io, 0, 0, 0, 0, err, sizeof err);
        vkt_check(!cam && contains(err, "/dev/fake0: ") && contains(err, bad[i].want) && fake_clean(&f),
                  "%s refused and closed: \"%s\"", bad[i].what, err);
        v4l2_close(cam);
    }

    fake_init(&f);
    f.give_bufs = 1;
    cam = open_fake(&f, &io, 0, 0, 0, 0, err, sizeof err);
    vkt_check(!cam && contains(err, "VIDIOC_REQBUFS: the driver gave 1 buffers") && fake_clean(&f) && f.reqbufs0 == 1,
              "one buffer refused, given back: \"%s\"", err);
    v4l2_close(cam);
}

/* ------------------------------------------------------------ camera: failures */

static void test_failures(void)
{
    struct {
        unsigned long req;
        const char *name;
        int after, err;
    } steps[] = {
        {VIDIOC_QUERYCAP, "VIDIOC_QUERYCAP", 0, ENOTTY},
        {VIDIOC_ENUM_FMT, "VIDIOC_ENUM_FMT", 1, EIO},
        {VIDIOC_G_FMT, "VIDIOC_G_FMT", 0, EIO},
        {VIDIOC_S_FMT, "VIDIOC_S_FMT", 0, EINVAL},
        {VIDIOC_S_PARM, "VIDIOC_S_PARM", 0, EINVAL},
        {VIDIOC_REQBUFS, "VIDIOC_REQBUFS", 0, ENOMEM},
        {VIDIOC_QUERYBUF, "VIDIOC_QUERYBUF", 2, EINVAL},
        {VIDIOC_QBUF, "VIDIOC_QBUF", 3, EIO},
        {VIDIOC_STREAMON, "VIDIOC_STREAMON", 0, ENOSPC},
    };
    char err[512], want[200];
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        fake f;
        fake_init(&f);
        f.fail_req = steps[i].req, f.fail_after = steps[i].after, f.fail_errno = steps[i].err;
        v4l2_io io = fake_io(&f);
        cap_params p = {.source = "/dev/fake0", .width = 64, .height = 48, .fps = 30, .io = &io};
        err[0] = 0;
        capture *c = capture_open(&p, err, sizeof err);
        snprintf(want, sizeof want, "/dev/fake0: %s: %s", steps[i].name, strerror(steps[i].err));
        vkt_check(!c && contains(err, want) && fake_clean(&f) &&
                      (steps[i].req != VIDIOC_S_PARM || contains(err, "(asked for 30 fps; 0 keeps the device's rate)")),
                  "%s fails (call %d): \"%s\"; fd closed, %d of %d maps unmapped", steps[i].name, steps[i].after + 1,
                  err, f.unmaps, f.maps);
        capture_close(c);
    }
    fake f;
    fake_init(&f);
    f.fail_mmap = 3;
    v4l2_io io = fake_io(&f);
    cap_params p = {.source = "/dev/fake0", .width = 64, .height = 48, .io = &io};
    capture *c = capture_open(&p, err, sizeof err);
    vkt_check(!c && contains(err, "/dev/fake0: mmap of buffer 2") && contains(err, strerror(ENOMEM)) &&
                  fake_clean(&f) && f.maps == 2,
              "third mmap fails: \"%s\"; the two mapped are unmapped", err);
    capture_close(c);

    fake_init(&f);
    f.fail_open = ENOENT;
    c = capture_open(&p, err, sizeof err);
    vkt_check(!c && !strcmp(err, "/dev/fake0: open: No such file or directory"), "open fails: \"%s\"", err);
    capture_close(c);
    f.fail_open = EACCES;
    c = capture_open(&p, err, sizeof err);
    vkt_check(!c && contains(err, "/dev/fake0: open: Permission denied"), "open refused: \"%s\"", err);
    capture_close(c);

    /* failures while streaming end the source with an error naming the request */
    struct {
        unsigned long req;
        int after, err;
        const char *want;
    } run[] = {
        {VIDIOC_DQBUF, 5, ENODEV, "/dev/fake0: VIDIOC_DQBUF: No such device"},
        {VIDIOC_QBUF, 4 + 7, EIO, "/dev/fake0: VIDIOC_QBUF: Input/output error"}, /* 4 at open, then per frame */
    };
    for (size_t i = 0; i < sizeof run / sizeof *run; i++) {
        fake_init(&f);
        f.fail_req = run[i].req, f.fail_after = run[i].after, f.fail_errno = run[i].err;
        c = capture_open(&p, err, sizeof err);
        cap_frame fr = {0};
        int r = 0;
        uint64_t got = 0;
        if (c && !capture_start(c)) {
            double end = mono_ms() + 5000;
            while ((r = capture_latest(c, fr.seq, &fr)) >= 0 && mono_ms() < end)
                got += r, sleep_ms(0.5);
        }
        vkt_check(r == -1 && contains(capture_error(c), run[i].want) && got >= 1,
                  "%s while streaming: capture_latest -1 after %llu frames, capture_error \"%s\"", run[i].want,
                  (unsigned long long)got, capture_error(c));
        capture_close(c);
        cap_frame_free(&fr);
        fake_report("after the failure", &f);
    }
}

/* ------------------------------------------------------------ camera: frames */

static void test_yuyv_frames(void)
{
    fake f;
    v4l2_io io;
    char err[512] = "";
    fake_init(&f);
    f.pad = 64;
    v4l2_cam *cam = open_fake(&f, &io, 34, 7, 0, 0, err, sizeof err);
    cap_frame fr = {0};
    int ok = cam != NULL, n = 0;
    for (uint32_t k = 0; ok && k < 10; k++, n++) {
        int r = v4l2_grab(cam, 1000, &fr, err, sizeof err);
        ok = r == 1 && fr.format == CAP_YUYV && fr.width == 34 && fr.height == 7 && fr.bytes == 34 * 7 * 2;
        for (int y = 0; ok && y < 7; y++)
            for (int i = 0; ok && i < 68; i++)
                ok = fr.data[y * 68 + i] == pattern(k, y, i);
    }
    vkt_check(ok && n == 10,
              "YUYV 34x7 with bytesperline 132: 10 frames in order, rows repacked byte-exact (%d ok)%s%s", n,
              ok ? "" : ": ", ok ? "" : err);
    cap_frame_free(&fr);
    v4l2_close(cam);
    fake_report("YUYV frames", &f);

    /* a short frame is skipped (-2) and the stream goes on */
    fake_init(&f);
    f.bad_every = 3;
    cam = open_fake(&f, &io, 16, 4, 0, 0, err, sizeof err);
    int seq[6] = {0};
    for (int k = 0; cam && k < 6; k++)
        seq[k] = v4l2_grab(cam, 1000, &fr, err, sizeof err);
    vkt_check(cam && seq[0] == 1 && seq[1] == 1 && seq[2] == -2 && seq[3] == 1 && seq[5] == -2 &&
                  contains(err, "/dev/fake0: short YUYV frame 5"),
              "short YUYV frames skipped: %d %d %d %d %d %d, \"%s\"", seq[0], seq[1], seq[2], seq[3], seq[4], seq[5],
              err);
    cap_frame_free(&fr);
    v4l2_close(cam);
    fake_report("short frames", &f);
}

typedef struct membuf {
    uint8_t *p;
    size_t n, cap;
} membuf;

static void mem_write(void *ctx, void *data, int size)
{
    membuf *m = ctx;
    if (m->n + (size_t)size > m->cap) {
        m->cap = 2 * (m->n + (size_t)size);
        m->p = realloc(m->p, m->cap);
    }
    memcpy(m->p + m->n, data, (size_t)size);
    m->n += (size_t)size;
}

/* The JPEG without its DHT segments, as many UVC cameras send MJPEG. */
static membuf strip_dht(const membuf *j)
{
    membuf o = {malloc(j->n), 0, j->n};
    size_t i = 2;
    memcpy(o.p, j->p, 2);
    o.n = 2;
    while (i + 4 <= j->n && j->p[i + 1] != 0xda) {
        size_t len = 2 + ((size_t)j->p[i + 2] << 8 | j->p[i + 3]);
        if (j->p[i + 1] != 0xc4)
            memcpy(o.p + o.n, j->p + i, len), o.n += len;
        i += len;
    }
    memcpy(o.p + o.n, j->p + i, j->n - i);
    o.n += j->n - i;
    return o;
}

static void test_mjpeg(void)
{
    enum { W = 72, H = 40 };
    uint8_t src[W * H * 3];
    for (int y = 0; y < H; y++) /* smooth, so JPEG's error stays small and measurable */
        for (int x = 0; x < W; x++) {
            uint8_t *p = src + (y * W + x) * 3;
            p[0] = (uint8_t)(40 + 2 * x), p[1] = (uint8_t)(30 + 4 * y), p[2] = (uint8_t)(200 - x - y);
        }
    membuf jpg = {0};
    stbi_write_jpg_to_func(mem_write, &jpg, W, H, 3, src, 95);
    int rw, rh, rc;
    uint8_t *ref = stbi_load_from_memory(jpg.p, (int)jpg.n, &rw, &rh, &rc, 3);
    char err[512] = "";
    int w = 0, h = 0;
    uint8_t *got = v4l2_decode_mjpeg(jpg.p, jpg.n, &w, &h, err, sizeof err);
    vkt_check(got && ref && w == W && h == H && !memcmp(got, ref, sizeof src),
              "MJPEG %dx%d (%zu bytes) decodes to stb_image's own decode of the same bytes, byte for byte", w, h,
              jpg.n);
    double sum = 0;
    int maxd = 0;
    for (size_t i = 0; got && i < sizeof src; i++) {
        int d = abs((int)got[i] - src[i]);
        sum += d;
        maxd = d > maxd ? d : maxd;
    }
    /* quality 95 on a smooth image: measured mean 0.54 and max 3 levels; the
     * bounds leave room, a wrong decode (colours swapped, shifted) is far off */
    vkt_check(got && sum / sizeof src < 3 && maxd <= 24,
              "MJPEG vs the source pixels: mean abs %.2f (< 3), max %d (<= 24)", sum / sizeof src, maxd);
    membuf bare = strip_dht(&jpg);
    uint8_t *got2 = v4l2_decode_mjpeg(bare.p, bare.n, &w, &h, err, sizeof err);
    vkt_check(got2 && bare.n + 420 == jpg.n && got && !memcmp(got2, got, sizeof src),
              "MJPEG without Huffman tables (%zu bytes, DHT stripped): the standard tables inserted, same pixels%s%s",
              bare.n, got2 ? "" : ": ", got2 ? "" : err);
    free(got2);
    got2 = v4l2_decode_mjpeg(jpg.p, jpg.n / 2, &w, &h, err, sizeof err);
    vkt_check(!got2 && contains(err, "truncated JPEG") && contains(err, "no end-of-image marker"),
              "half a JPEG refused: \"%s\"", err);
    free(got2);
    got2 = v4l2_decode_mjpeg(jpg.p, 300, &w, &h, err, sizeof err);
    vkt_check(!got2 && contains(err, "truncated JPEG") && contains(err, "no start-of-scan"),
              "a JPEG cut in its header refused: \"%s\"", err);
    free(got2);
    uint8_t junk[64] = {0xff, 0xd8, 0x12, 0x34};
    got2 = v4l2_decode_mjpeg(junk, sizeof junk, &w, &h, err, sizeof err);
    vkt_check(!got2 && contains(err, "garbled JPEG header"), "garbage after SOI refused: \"%s\"", err);
    got2 = v4l2_decode_mjpeg(src, sizeof src, &w, &h, err, sizeof err);
    vkt_check(!got2 && contains(err, "not a JPEG"), "raw pixels refused: \"%s\"", err);

    /* through the fake camera and the capture thread: every 4th frame cut short */
    fake f;
    fake_init(&f);
    f.formats[0] = V4L2_PIX_FMT_MJPEG, f.nformats = 1;
    f.jpeg = bare.p, f.jpeg_n = bare.n, f.bad_every = 4;
    v4l2_io io = fake_io(&f);
    warnings wn = {0};
    cap_params p = {.source = "/dev/fake0", .width = W, .height = H, .io = &io, .warn = collect_warn, .warn_user = &wn};
    capture *c = capture_open(&p, err, sizeof err);
    cap_frame fr = {0};
    int frames = 0, same = 1;
    if (c && !capture_start(c))
        while (frames < 12 && wait_frame(c, fr.seq, &fr, 2000) == 1) {
            frames++;
            same &= fr.format == CAP_RGB8 && fr.width == W && fr.height == H && fr.bytes == sizeof src && got &&
                    !memcmp(fr.data, got, sizeof src);
        }
    uint64_t skipped = capture_skipped(c);
    vkt_check(!strcmp(capture_describe(c), "/dev/fake0 MJPEG 72x40 @30"), "describe: \"%s\"", capture_describe(c));
    capture_close(c); /* the thread warns as it goes: read what it wrote after joining it */
    vkt_check(frames == 12 && same, "MJPEG camera through the capture thread: 12 frames, RGB8 %dx%d, decoded right",
              W, H);
    vkt_check(skipped >= 2 && wn.n >= 2 && contains(wn.all, "/dev/fake0: MJPEG frame 3: truncated JPEG (") &&
                  contains(wn.all, "skipped; 1 bad frames so far"),
              "cut frames skipped and counted (%llu), warned: \"%s\"", (unsigned long long)skipped, wn.last);
    cap_frame_free(&fr);
    fake_report("MJPEG capture", &f);
    free(got);
    free(bare.p);
    stbi_image_free(ref);
    free(jpg.p);
}

/* The capture thread on a 1000 fps camera: order, content, every frame
 * counted once (taken or dropped), a prompt close. */
static void test_camera_thread(void)
{
    fake f;
    fake_init(&f);
    f.pad = 6;
    v4l2_io io = fake_io(&f);
    cap_params p = {.source = "/dev/fake0", .width = 40, .height = 8, .fps = 30, .io = &io};
    char err[512] = "";
    capture *c = capture_open(&p, err, sizeof err);
    cap_frame fr = {0};
    uint64_t taken = 0, prev_seq = 0;
    int ok = c && !capture_start(c), in_order = 1;
    long prev_n = -1;
    for (int k = 0; ok && k < 60; k++) {
        if (wait_frame(c, fr.seq, &fr, 2000) != 1) {
            ok = 0;
            break;
        }
        taken++;
        uint32_t n = pattern_frame(fr.data);
        for (int y = 0; y < 8; y++)
            for (int i = 0; i < 80; i++)
                ok &= fr.data[y * 80 + i] == pattern(n, y, i);
        in_order &= fr.seq > prev_seq && (long)n > prev_n;
        prev_seq = fr.seq, prev_n = (long)n;
        if (k % 10 == 9)
            sleep_ms(8); /* let some frames be overwritten */
    }
    capture_pause(c, 1); /* nothing is published after this returns */
    int last = capture_latest(c, fr.seq, &fr);
    taken += last == 1;
    uint64_t captured, dropped;
    capture_stats(c, &captured, &dropped);
    vkt_check(ok && in_order, "camera thread: 60 frames taken, seq and camera frame rising, bytes exact (%s)",
              capture_describe(c));
    vkt_check(captured == taken + dropped && dropped > 0,
              "every frame counted once: captured %llu = taken %llu + dropped %llu", (unsigned long long)captured,
              (unsigned long long)taken, (unsigned long long)dropped);
    sleep_ms(20);
    uint64_t captured2;
    capture_stats(c, &captured2, NULL);
    vkt_check(captured2 == captured && capture_latest(c, fr.seq, &fr) == 0,
              "paused camera: no frame published for 20 ms");
    capture_pause(c, 0);
    vkt_check(wait_frame(c, fr.seq, &fr, 2000) == 1, "unpaused: frames again");
    double t0 = mono_ms();
    capture_close(c);
    double dt = mono_ms() - t0;
    vkt_check(dt < 500, "capture_close with frames flowing: %.1f ms (< 500)", dt);
    fake_report("camera thread", &f);
    vkt_check(f.frames > captured2, "the driver's frames kept moving while paused (%u dequeued, %llu published)",
              f.frames, (unsigned long long)captured2);

    fake_init(&f);
    f.silent = 1;
    c = capture_open(&p, err, sizeof err);
    capture_start(c);
    sleep_ms(30);
    t0 = mono_ms();
    capture_close(c);
    dt = mono_ms() - t0;
    vkt_check(dt < 500, "capture_close on a silent camera (blocked in poll): %.1f ms (< 500)", dt);
    fake_report("silent camera", &f);
    cap_frame_free(&fr);
}

/* ------------------------------------------------------------ synthetic */

static void test_synthetic(void)
{
    enum { W = 96, H = 64 };
    uint8_t *a = malloc(W * H * 3), *b = malloc(W * H * 3);
    capture_synthetic_frame(1234, W, H, a);
    capture_synthetic_frame(1234, W, H, b);
    int same = !memcmp(a, b, W * H * 3);
    capture_synthetic_frame(1235, W, H, b);
    vkt_check(same && memcmp(a, b, W * H * 3), "synthetic frame is a function of t: 1234 twice equal, 1235 differs");
    int cell = 2, bits_ok = 1; /* min(96/16, 64/24) */
    for (int k = 0; k < 16; k++) {
        const uint8_t *px = a + ((size_t)(H - 1) * W + k * cell) * 3;
        bits_ok &= px[0] == ((1234 >> k & 1) ? 255 : 0);
    }
    vkt_check(bits_ok, "synthetic frame carries t (1234) in binary along the bottom");
    uint8_t tiny[3 * 3 * 3];
    capture_synthetic_frame(99, 3, 3, tiny); /* shapes of size 0 must not write outside */
    vkt_check(1, "synthetic 3x3 frame drawn");

    char err[512] = "";
    cap_params p = {.source = "synthetic", .width = W, .height = H, .fps = 200};
    capture *c = capture_open(&p, err, sizeof err);
    vkt_check(c && !strcmp(capture_describe(c), "synthetic RGB8 96x64 @200"), "synthetic describe: \"%s\"",
              c ? capture_describe(c) : err);
    cap_frame fr = {0};
    int ok = c && !capture_start(c), n = 0;
    for (; ok && n < 20; n++) {
        ok = wait_frame(c, fr.seq, &fr, 2000) == 1 && fr.format == CAP_RGB8 && fr.width == W && fr.height == H &&
             fr.bytes == W * H * 3;
        capture_synthetic_frame(fr.seq - 1, W, H, a);
        ok = ok && !memcmp(fr.data, a, W * H * 3);
    }
    vkt_check(ok, "synthetic capture: 20 frames, each equal to capture_synthetic_frame(seq - 1) (last seq %llu)",
              (unsigned long long)fr.seq);

    capture_pause(c, 1);
    capture_latest(c, fr.seq, &fr); /* whatever came before the pause */
    uint64_t held = fr.seq, n1, n2;
    capture_stats(c, &n1, NULL);
    sleep_ms(60);
    capture_stats(c, &n2, NULL);
    vkt_check(capture_latest(c, held, &fr) == 0 && n1 == n2 && n1 == held,
              "paused 60 ms at 200 fps: no new frame, captured stays %llu", (unsigned long long)n1);
    capture_pause(c, 0);
    int r = wait_frame(c, held, &fr, 2000);
    capture_synthetic_frame(held, W, H, a);
    vkt_check(r == 1 && (fr.seq > held + 1 || !memcmp(fr.data, a, W * H * 3)),
              "unpaused: the clock goes on from the held frame (seq %llu after %llu)", (unsigned long long)fr.seq,
              (unsigned long long)held);
    capture_close(c);

    /* a consumer that takes nothing: every frame but the newest is dropped */
    p = (cap_params){.source = "synthetic", .width = 32, .height = 24, .fps = 1000};
    c = capture_open(&p, err, sizeof err);
    capture_start(c);
    sleep_ms(100);
    capture_pause(c, 1);
    uint64_t captured, dropped;
    capture_stats(c, &captured, &dropped);
    r = capture_latest(c, 0, &fr);
    vkt_check(captured >= 2 && dropped == captured - 1 && r == 1 && fr.seq == captured,
              "nobody taking frames: captured %llu, dropped %llu (= captured - 1); the newest is seq %llu",
              (unsigned long long)captured, (unsigned long long)dropped, (unsigned long long)fr.seq);
    capture_close(c);
    cap_frame_free(&fr);
    cap_frame_free(&fr); /* twice: zeroed, so a no-op */
    cap_frame_free(NULL);
    capture_close(NULL);
    free(a);
    free(b);
}

/* ------------------------------------------------------------ image and folder */

static void write_image(const char *dir, const char *name, int w, int h, int seed, uint8_t **pixels)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    uint8_t *rgb = malloc((size_t)w * h * 3);
    for (int i = 0; i < w * h * 3; i++)
        rgb[i] = (uint8_t)(seed * 50 + i * 7);
    vka_image_write_png(path, w, h, rgb);
    *pixels = rgb;
}

static void write_text(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs("not an image\n", f);
    fclose(f);
}

static void test_files(void)
{
    char dir[] = "/tmp/vkattn_test_v4l2_XXXXXX", path[600], err[512] = "";
    if (!mkdtemp(dir)) {
        vkt_check(0, "mkdtemp: %s", strerror(errno));
        return;
    }
    uint8_t *px[3];
    const char *names[3] = {"a.png", "b.png", "c.png"};
    int sizes[3][2] = {{8, 6}, {10, 4}, {6, 6}};
    /* written out of order: the folder source sorts */
    write_image(dir, "c.png", 6, 6, 2, &px[2]);
    write_image(dir, "a.png", 8, 6, 0, &px[0]);
    write_image(dir, "b.png", 10, 4, 1, &px[1]);
    write_text(dir, "notes.txt");
    write_text(dir, ".hidden");
    snprintf(path, sizeof path, "%s/sub", dir);
    mkdir(path, 0700);
    uint8_t *subpx;
    write_image(path, "0.png", 4, 4, 3, &subpx);

    /* one image: delivered once */
    snprintf(path, sizeof path, "%s/a.png", dir);
    cap_params p = {.source = path};
    capture *c = capture_open(&p, err, sizeof err);
    cap_frame fr = {0};
    int r = c && !capture_start(c) ? wait_frame(c, 0, &fr, 2000) : -1;
    sleep_ms(50);
    uint64_t captured;
    capture_stats(c, &captured, NULL);
    vkt_check(r == 1 && fr.width == 8 && fr.height == 6 && fr.format == CAP_RGB8 &&
                  !memcmp(fr.data, px[0], 8 * 6 * 3) && captured == 1 && capture_latest(c, fr.seq, &fr) == 0 &&
                  contains(capture_describe(c), "RGB8 8x6"),
              "image file: one frame with its pixels, then nothing (captured %llu): \"%s\"",
              (unsigned long long)captured, capture_describe(c));
    capture_close(c);
    p.fps = 200;
    c = capture_open(&p, err, sizeof err);
    capture_start(c);
    r = wait_frame(c, 1, &fr, 2000);
    vkt_check(r == 1 && fr.seq >= 2 && !memcmp(fr.data, px[0], 8 * 6 * 3) && contains(capture_describe(c), "@200"),
              "image file with fps: repeated (seq %llu)", (unsigned long long)fr.seq);
    capture_close(c);

    /* the folder: sorted, looping, notes.txt skipped with one warning */
    warnings wn = {0};
    p = (cap_params){.source = dir, .fps = 200, .warn = collect_warn, .warn_user = &wn};
    c = capture_open(&p, err, sizeof err);
    int ok = c && !capture_start(c), frames = 0;
    while (ok && frames < 9) {
        if (wait_frame(c, fr.seq, &fr, 2000) != 1) {
            ok = 0;
            break;
        }
        frames++;
        int k = (int)((fr.seq - 1) % 3);
        ok = fr.width == sizes[k][0] && fr.height == sizes[k][1] &&
             !memcmp(fr.data, px[k], (size_t)sizes[k][0] * sizes[k][1] * 3);
        if (!ok)
            printf("     seq %llu: %dx%d, expected %s\n", (unsigned long long)fr.seq, fr.width, fr.height, names[k]);
    }
    capture_pause(c, 1);
    snprintf(path, sizeof path, "%s (4 files) @200", dir);
    vkt_check(ok && !strcmp(capture_describe(c), path),
              "folder: frame seq shows a, b, c, a, ... (sorted, looping; seq %llu), sizes change; \"%s\"",
              (unsigned long long)fr.seq, capture_describe(c));
    vkt_check(capture_skipped(c) == 1 && wn.n == 1 && contains(wn.last, ": skipped: vka_image_load: ") &&
                  contains(wn.last, "/notes.txt is not an image"),
              "folder: the non-image file skipped once with a warning (%llu skipped): \"%s\"",
              (unsigned long long)capture_skipped(c), wn.last);
    capture_close(c);

    /* capture_open's errors */
    snprintf(path, sizeof path, "%s/missing.jpg", dir);
    p = (cap_params){.source = path};
    c = capture_open(&p, err, sizeof err);
    vkt_check(!c && contains(err, "cannot open") && contains(err, "missing.jpg: No such file or directory"),
              "missing file: \"%s\"", err);
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    c = capture_open(&p, err, sizeof err);
    vkt_check(!c && contains(err, "notes.txt is not an image"), "a file that is not an image: \"%s\"", err);
    snprintf(path, sizeof path, "%s/empty", dir);
    mkdir(path, 0700);
    c = capture_open(&p, err, sizeof err);
    vkt_check(!c && contains(err, "empty has no files"), "empty folder: \"%s\"", err);
    snprintf(path, sizeof path, "%s/text", dir);
    mkdir(path, 0700);
    write_text(path, "x.txt");
    wn.n = 0;
    p.warn = collect_warn, p.warn_user = &wn;
    c = capture_open(&p, err, sizeof err);
    vkt_check(!c && contains(err, "none of its 1 files is an image") && wn.n == 1,
              "folder without images: \"%s\"", err);
    p = (cap_params){.source = "/dev/vkattn-no-such-video9"};
    c = capture_open(&p, err, sizeof err);
    vkt_check(!c && !strcmp(err, "/dev/vkattn-no-such-video9: open: No such file or directory"),
              "unknown device: \"%s\"", err);
    p = (cap_params){.source = "/dev/null"}; /* a character device that is no camera */
    c = capture_open(&p, err, sizeof err);
    vkt_check(!c && contains(err, "/dev/null: VIDIOC_QUERYCAP") && contains(err, "not a V4L2 device"),
              "not a camera: \"%s\"", err);
    c = capture_open(NULL, err, sizeof err);
    vkt_check(!c && contains(err, "no source given"), "no params: \"%s\"", err);
    p = (cap_params){.source = "synthetic", .fps = -1};
    c = capture_open(&p, err, sizeof err);
    vkt_check(!c && contains(err, "fps -1 out of range"), "negative fps: \"%s\"", err);

    /* clean up the temporary folder */
    const char *files[] = {"a.png", "b.png", "c.png", "notes.txt", ".hidden", "sub/0.png", "text/x.txt"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    const char *dirs[] = {"sub", "text", "empty"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, dirs[i]);
        rmdir(path);
    }
    rmdir(dir);
    for (int i = 0; i < 3; i++)
        free(px[i]);
    free(subpx);
    cap_frame_free(&fr);
}

int main(int argc, char **argv)
{
    (void)argc;
    printf("%s: frame sources with a fake camera (no Vulkan device used)\n", argv[0]);
    test_negotiation();
    test_failures();
    test_yuyv_frames();
    test_mjpeg();
    test_camera_thread();
    test_synthetic();
    test_files();
    return vkt_finish();
}
