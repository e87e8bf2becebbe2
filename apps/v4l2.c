/* SPDX-License-Identifier: MIT */
/* v4l2.c — a V4L2 camera through mmap streaming (see v4l2.h), and the MJPEG
 * frame decoder. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "v4l2.h"
#include "vkattn.h"


void cap__seterr(char *err, size_t nerr, const char *fmt, ...)
{
    if (!err || !nerr)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, nerr, fmt, ap);
    va_end(ap);
}

double cap__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ------------------------------------------------------------ MJPEG */

/* JPEG Annex K.3 tables in one DHT segment (DC/AC luminance, DC/AC
 * chrominance): what a Motion-JPEG frame without a DHT means (the AVI1 rule
 * that libjpeg-based players follow too). */
static const uint8_t std_dht[] = {
    0xff, 0xc4, 0x01, 0xa2,
    0x00, 0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    0x10, 0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d,
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71,
    0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72,
    0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37,
    0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
    0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83,
    0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3,
    0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
    0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
    0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
    0x01, 0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    0x11, 0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77,
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22,
    0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1,
    0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x35, 0x36,
    0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
    0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a,
    0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a,
    0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba,
    0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
    0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
};
_Static_assert(sizeof std_dht == 2 + 0x01a2, "DHT segment length");

uint8_t *v4l2_decode_mjpeg(const uint8_t *jpg, size_t n, int *w, int *h, char *err, size_t nerr)
{
    if (!jpg || n < 4 || jpg[0] != 0xff || jpg[1] != 0xd8) {
        cap__seterr(err, nerr, "not a JPEG (%zu bytes, no start-of-image marker)", n);
        return NULL;
    }
    if (n > INT_MAX) {
        cap__seterr(err, nerr, "JPEG of %zu bytes is too large", n);
        return NULL;
    }
    /* The segments before the scan: is there a DHT, where does the scan start. */
    size_t i = 2, sos = 0;
    int has_dht = 0;
    while (i + 4 <= n) {
        if (jpg[i] != 0xff) {
            cap__seterr(err, nerr, "garbled JPEG header: 0x%02x where a marker should be, at byte %zu", jpg[i], i);
            return NULL;
        }
        uint8_t m = jpg[i + 1];
        if (m == 0xff) { /* fill byte before a marker */
            i++;
            continue;
        }
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd8)) { /* markers without a length */
            i += 2;
            continue;
        }
        if (m == 0xda) {
            sos = i;
            break;
        }
        has_dht |= m == 0xc4;
        size_t len = (size_t)jpg[i + 2] << 8 | jpg[i + 3];
        if (len < 2) {
            cap__seterr(err, nerr, "garbled JPEG header: segment 0xff%02x of length %zu at byte %zu", m, len, i);
            return NULL;
        }
        i += 2 + len;
    }
    if (!sos) {
        cap__seterr(err, nerr, "truncated JPEG (%zu bytes): no start-of-scan marker", n);
        return NULL;
    }
    /* Entropy-coded data stuffs every 0xff with a 0x00, so an 0xff 0xd9 after
     * the scan header can only be the end-of-image marker: without it the
     * frame was cut short, which stb_image would decode as grey, not refuse. */
    int eoi = 0;
    for (const uint8_t *p = jpg + sos + 2, *end = jpg + n - 1; p < end && !eoi;) {
        p = memchr(p, 0xff, (size_t)(end - p));
        if (!p)
            break;
        eoi = p[1] == 0xd9;
        p++;
    }
    if (!eoi) {
        cap__seterr(err, nerr, "truncated JPEG (%zu bytes): no end-of-image marker", n);
        return NULL;
    }
    const uint8_t *src = jpg;
    uint8_t *tmp = NULL;
    if (!has_dht) {
        if (!(tmp = malloc(n + sizeof std_dht))) {
            cap__seterr(err, nerr, "out of memory");
            return NULL;
        }
        memcpy(tmp, jpg, sos);
        memcpy(tmp + sos, std_dht, sizeof std_dht);
        memcpy(tmp + sos + sizeof std_dht, jpg + sos, n - sos);
        src = tmp;
        n += sizeof std_dht;
    }
    vka_image *img = vka_image_decode(src, n, "MJPEG frame");
    uint8_t *rgb = img ? malloc((size_t)img->width * img->height * 3) : NULL;
    if (rgb) {
        memcpy(rgb, img->rgb, (size_t)img->width * img->height * 3);
        *w = img->width, *h = img->height;
    } else {
        cap__seterr(err, nerr, "JPEG decoding failed: %s", img ? "out of memory" : vka_last_error());
    }
    vka_image_free(img);
    free(tmp);
    return rgb;
}

/* ------------------------------------------------------------ libc */

static int sys_open(void *u, const char *path, int flags)
{
    (void)u;
    int fd;
    do
        fd = open(path, flags);
    while (fd < 0 && errno == EINTR);
    return fd;
}

/* not retried: Linux releases the descriptor even when close reports EINTR */
static int sys_close(void *u, int fd) { return (void)u, close(fd); }

static int sys_ioctl(void *u, int fd, unsigned long req, void *arg);
static void *sys_mmap(void *u, void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return (void)u, mmap(addr, len, prot, flags, fd, off);
}

static int sys_munmap(void *u, void *addr, size_t len) { return (void)u, munmap(addr, len); }

static int sys_poll(void *u, struct pollfd *fds, nfds_t n, int timeout_ms)
{
    (void)u;
    int r;
    do
        r = poll(fds, n, timeout_ms);
    while (r < 0 && errno == EINTR);
    return r;
}

const v4l2_io *v4l2_io_libc(void)
{
    static const v4l2_io io = {sys_open, sys_close, sys_ioctl, sys_mmap, sys_munmap, sys_poll, NULL};
    return &io;
}

#if defined(__linux__)

#include <linux/videodev2.h>
#include <sys/ioctl.h>

static int sys_ioctl(void *u, int fd, unsigned long req, void *arg)
{
    (void)u;
    int r;
    do
        r = ioctl(fd, req, arg);
    while (r < 0 && errno == EINTR);
    return r;
}

struct v4l2_cam {
    v4l2_io io;
    char path[256];
    int fd;
    uint32_t pixfmt;             /* V4L2_PIX_FMT_YUYV or MJPEG/JPEG */
    int width, height;           /* as the driver set them */
    uint32_t bpl;                /* YUYV bytes per row in the driver's buffers, >= width*2 */
    int fps;                     /* 0: the driver did not say */
    struct {
        void *ptr;
        size_t len;
    } *buf;
    uint32_t nbuf;               /* buffers the driver allocated (REQBUFS) */
    uint32_t nmapped;            /* of which mapped */
    int streaming;
    char describe[320];
};

/* ioctl through the table; on failure err gets "<path>: <name>: <reason>". */
static int xioctl(v4l2_cam *cam, unsigned long req, const char *name, void *arg, char *err, size_t nerr)
{
    if (cam->io.ioctl(cam->io.user, cam->fd, req, arg) == 0)
        return 0;
    int e = errno;
    cap__seterr(err, nerr, "%s: %s: %s", cam->path, name, strerror(e));
    errno = e;
    return -1;
}
#define XIOCTL(cam, req, arg, err, nerr) xioctl(cam, req, #req, arg, err, nerr)

static const char *fourcc(uint32_t f, char s[5])
{
    for (int i = 0; i < 4; i++) {
        char c = (char)(f >> (8 * i) & 0xff);
        s[i] = c >= 0x20 && c < 0x7f ? c : '?';
    }
    s[4] = 0;
    return s;
}

static int is_mjpeg(uint32_t f) { return f == V4L2_PIX_FMT_MJPEG || f == V4L2_PIX_FMT_JPEG; }

/* Picks the pixel format: YUYV unless MJPEG is preferred and offered. */
static int choose_format(v4l2_cam *cam, int prefer_mjpeg, char *err, size_t nerr)
{
    uint32_t mjpeg = 0;
    int yuyv = 0;
    char offered[200] = "", s[5];
    for (uint32_t i = 0; i < 64; i++) {
        struct v4l2_fmtdesc d = {.index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
        if (cam->io.ioctl(cam->io.user, cam->fd, VIDIOC_ENUM_FMT, &d) < 0) {
            if (errno == EINVAL) /* past the last format */
                break;
            cap__seterr(err, nerr, "%s: VIDIOC_ENUM_FMT: %s", cam->path, strerror(errno));
            return -1;
        }
        yuyv |= d.pixelformat == V4L2_PIX_FMT_YUYV;
        if (is_mjpeg(d.pixelformat) && !mjpeg)
            mjpeg = d.pixelformat;
        size_t len = strlen(offered);
        snprintf(offered + len, sizeof offered - len, "%s%s", len ? " " : "", fourcc(d.pixelformat, s));
    }
    if (mjpeg && (prefer_mjpeg || !yuyv))
        cam->pixfmt = mjpeg;
    else if (yuyv)
        cam->pixfmt = V4L2_PIX_FMT_YUYV;
    else {
        cap__seterr(err, nerr, "%s: no YUYV or MJPEG format (the device offers: %s)", cam->path,
               *offered ? offered : "none");
        return -1;
    }
    return 0;
}

static int set_format(v4l2_cam *cam, const cap_params *p, char *err, size_t nerr)
{
    struct v4l2_format f = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
    if (XIOCTL(cam, VIDIOC_G_FMT, &f, err, nerr)) /* the current size, kept when none is asked */
        return -1;
    f.fmt.pix.pixelformat = cam->pixfmt;
    if (p->width > 0)
        f.fmt.pix.width = (uint32_t)p->width;
    if (p->height > 0)
        f.fmt.pix.height = (uint32_t)p->height;
    f.fmt.pix.field = V4L2_FIELD_NONE;
    f.fmt.pix.bytesperline = 0; /* the driver's choice */
    f.fmt.pix.sizeimage = 0;
    if (XIOCTL(cam, VIDIOC_S_FMT, &f, err, nerr))
        return -1;
    char a[5], b[5];
    if (f.fmt.pix.pixelformat != cam->pixfmt) {
        cap__seterr(err, nerr, "%s: VIDIOC_S_FMT: asked for %s, the driver set %s", cam->path, fourcc(cam->pixfmt, a),
               fourcc(f.fmt.pix.pixelformat, b));
        return -1;
    }
    uint32_t w = f.fmt.pix.width, h = f.fmt.pix.height;
    if (w < 2 || h < 1 || w > 16384 || h > 16384 || (cam->pixfmt == V4L2_PIX_FMT_YUYV && w % 2)) {
        cap__seterr(err, nerr, "%s: VIDIOC_S_FMT: the driver set an unusable size %ux%u", cam->path, w, h);
        return -1;
    }
    cam->width = (int)w;
    cam->height = (int)h;
    cam->bpl = f.fmt.pix.bytesperline ? f.fmt.pix.bytesperline : w * 2;
    if (cam->pixfmt == V4L2_PIX_FMT_YUYV && cam->bpl < w * 2) {
        cap__seterr(err, nerr, "%s: VIDIOC_S_FMT: bytesperline %u is less than 2 x width %u", cam->path, cam->bpl, w);
        return -1;
    }
    return 0;
}

/* The frame rate: set when asked (an error if the driver refuses the
 * request; what it answers is used), else read, and then only informative. */
static int set_rate(v4l2_cam *cam, int fps, char *err, size_t nerr)
{
    struct v4l2_streamparm parm = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
    if (fps > 0) {
        parm.parm.capture.timeperframe.numerator = 1;
        parm.parm.capture.timeperframe.denominator = (uint32_t)fps;
        if (XIOCTL(cam, VIDIOC_S_PARM, &parm, err, nerr)) {
            size_t n = strlen(err);
            cap__seterr(err + n, nerr - n, " (asked for %d fps; 0 keeps the device's rate)", fps);
            return -1;
        }
    } else if (cam->io.ioctl(cam->io.user, cam->fd, VIDIOC_G_PARM, &parm) < 0) {
        return 0;
    }
    struct v4l2_fract t = parm.parm.capture.timeperframe;
    cam->fps = t.numerator ? (int)((t.denominator + t.numerator / 2) / t.numerator) : 0;
    return 0;
}

static int start_buffers(v4l2_cam *cam, char *err, size_t nerr)
{
    struct v4l2_requestbuffers rb = {.count = 4, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
    if (XIOCTL(cam, VIDIOC_REQBUFS, &rb, err, nerr))
        return -1;
    cam->nbuf = rb.count; /* from here on, v4l2_close gives them back */
    /* one buffer would be the driver's or ours, never both: frames would stall */
    if (rb.count < 2 || rb.count > 32) {
        cap__seterr(err, nerr, "%s: VIDIOC_REQBUFS: the driver gave %u buffers (need 2 to 32)", cam->path, rb.count);
        return -1;
    }
    if (!(cam->buf = calloc(rb.count, sizeof *cam->buf))) {
        cap__seterr(err, nerr, "%s: out of memory", cam->path);
        return -1;
    }
    for (uint32_t i = 0; i < rb.count; i++) {
        struct v4l2_buffer b = {.index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
        if (XIOCTL(cam, VIDIOC_QUERYBUF, &b, err, nerr))
            return -1;
        void *ptr = cam->io.mmap(cam->io.user, NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, cam->fd,
                                 (off_t)b.m.offset);
        if (ptr == MAP_FAILED) {
            cap__seterr(err, nerr, "%s: mmap of buffer %u (%u bytes): %s", cam->path, i, b.length, strerror(errno));
            return -1;
        }
        cam->buf[i].ptr = ptr;
        cam->buf[i].len = b.length;
        cam->nmapped = i + 1;
        if (XIOCTL(cam, VIDIOC_QBUF, &b, err, nerr))
            return -1;
    }
    enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (XIOCTL(cam, VIDIOC_STREAMON, &type, err, nerr))
        return -1;
    cam->streaming = 1;
    return 0;
}

v4l2_cam *v4l2_open(const cap_params *p, char *err, size_t nerr)
{
    if (!p || !p->source || !*p->source) {
        cap__seterr(err, nerr, "v4l2: no device path given");
        return NULL;
    }
    v4l2_cam *cam = calloc(1, sizeof *cam);
    if (!cam) {
        cap__seterr(err, nerr, "%s: out of memory", p->source);
        return NULL;
    }
    cam->io = p->io ? *p->io : *v4l2_io_libc();
    snprintf(cam->path, sizeof cam->path, "%s", p->source);
    /* non-blocking: a DQBUF with nothing ready returns EAGAIN instead of
     * hanging the thread past capture_close; poll does the waiting */
    cam->fd = cam->io.open(cam->io.user, cam->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (cam->fd < 0) {
        cap__seterr(err, nerr, "%s: open: %s", cam->path, strerror(errno));
        free(cam);
        return NULL;
    }
    struct v4l2_capability cap;
    memset(&cap, 0, sizeof cap);
    if (XIOCTL(cam, VIDIOC_QUERYCAP, &cap, err, nerr)) {
        if (errno == ENOTTY) /* the usual answer of something that is not a V4L2 device */
            cap__seterr(err, nerr, "%s: VIDIOC_QUERYCAP: %s (not a V4L2 device)", cam->path, strerror(ENOTTY));
        goto fail;
    }
    uint32_t caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
    char card[sizeof cap.card + 1];
    memcpy(card, cap.card, sizeof cap.card);
    card[sizeof cap.card] = 0;
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE)) {
        cap__seterr(err, nerr, "%s: not a video capture device (\"%s\", capabilities 0x%08x%s)", cam->path, card, caps,
               caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE ? ": multi-planar capture only, which is not supported" : "");
        goto fail;
    }
    if (!(caps & V4L2_CAP_STREAMING)) {
        cap__seterr(err, nerr, "%s: \"%s\" has no streaming I/O (only mmap streaming is supported)", cam->path, card);
        goto fail;
    }
    if (choose_format(cam, p->prefer_mjpeg, err, nerr) || set_format(cam, p, err, nerr) ||
        set_rate(cam, p->fps, err, nerr) || start_buffers(cam, err, nerr))
        goto fail;
    int n = snprintf(cam->describe, sizeof cam->describe, "%s %s %dx%d", cam->path,
                     cam->pixfmt == V4L2_PIX_FMT_YUYV ? "YUYV" : "MJPEG", cam->width, cam->height);
    if (cam->fps > 0 && n > 0 && (size_t)n < sizeof cam->describe)
        snprintf(cam->describe + n, sizeof cam->describe - (size_t)n, " @%d", cam->fps);
    return cam;
fail:
    v4l2_close(cam);
    return NULL;
}

const char *v4l2_describe(const v4l2_cam *cam) { return cam ? cam->describe : ""; }

/* Gives the frame in buffer b to *out: YUYV rows repacked, MJPEG decoded.
 * 0, or -2 with err when the frame is unusable. */
static int convert(v4l2_cam *cam, const struct v4l2_buffer *b, cap_frame *out, char *err, size_t nerr)
{
    const uint8_t *src = cam->buf[b->index].ptr;
    size_t used = b->bytesused, len = cam->buf[b->index].len;
    if (b->flags & V4L2_BUF_FLAG_ERROR) {
        cap__seterr(err, nerr, "%s: frame %u flagged as corrupt by the driver", cam->path, b->sequence);
        return -2;
    }
    if (used > len) {
        cap__seterr(err, nerr, "%s: frame %u: %zu bytes used in a buffer of %zu", cam->path, b->sequence, used, len);
        return -2;
    }
    size_t w = (size_t)cam->width, h = (size_t)cam->height;
    if (cam->pixfmt == V4L2_PIX_FMT_YUYV) {
        size_t need = cam->bpl * (h - 1) + w * 2, bytes = w * h * 2;
        if (used < need) {
            cap__seterr(err, nerr, "%s: short YUYV frame %u: %zu bytes, need %zu", cam->path, b->sequence, used, need);
            return -2;
        }
        if (out->bytes != bytes || !out->data) {
            uint8_t *d = realloc(out->data, bytes);
            if (!d) {
                cap__seterr(err, nerr, "%s: out of memory for a %zu-byte frame", cam->path, bytes);
                return -2;
            }
            out->data = d;
            out->bytes = bytes;
        }
        if (cam->bpl == w * 2)
            memcpy(out->data, src, bytes);
        else /* drop each row's padding */
            for (size_t y = 0; y < h; y++)
                memcpy(out->data + y * w * 2, src + y * cam->bpl, w * 2);
        out->format = CAP_YUYV;
    } else {
        int jw = 0, jh = 0;
        char why[200];
        uint8_t *rgb = v4l2_decode_mjpeg(src, used, &jw, &jh, why, sizeof why);
        if (!rgb) {
            cap__seterr(err, nerr, "%s: MJPEG frame %u: %s", cam->path, b->sequence, why);
            return -2;
        }
        if (jw != cam->width || jh != cam->height) {
            cap__seterr(err, nerr, "%s: MJPEG frame %u is %dx%d, the stream %dx%d", cam->path, b->sequence, jw, jh,
                   cam->width, cam->height);
            free(rgb);
            return -2;
        }
        /* the frame takes the decoded buffer as its own */
        free(out->data);
        out->data = rgb;
        out->bytes = w * h * 3;
        out->format = CAP_RGB8;
    }
    out->width = cam->width;
    out->height = cam->height;
    return 0;
}

int v4l2_grab(v4l2_cam *cam, int timeout_ms, cap_frame *out, char *err, size_t nerr)
{
    if (!cam) {
        cap__seterr(err, nerr, "v4l2_grab: cam is NULL");
        return -1;
    }
    struct pollfd pfd = {.fd = cam->fd, .events = POLLIN};
    int r = cam->io.poll(cam->io.user, &pfd, 1, timeout_ms);
    if (r < 0) {
        cap__seterr(err, nerr, "%s: poll: %s", cam->path, strerror(errno));
        return -1;
    }
    if (r == 0)
        return 0;
    struct v4l2_buffer b = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
    if (cam->io.ioctl(cam->io.user, cam->fd, VIDIOC_DQBUF, &b) < 0) {
        if (errno == EAGAIN && !(pfd.revents & (POLLERR | POLLHUP | POLLNVAL)))
            return 0;
        /* ENODEV here is the usual sign of an unplugged camera */
        cap__seterr(err, nerr, "%s: VIDIOC_DQBUF: %s", cam->path,
               errno == EAGAIN ? "poll reported an error" : strerror(errno));
        return -1;
    }
    double t0 = cap__now_ms();
    if (b.index >= cam->nbuf) {
        cap__seterr(err, nerr, "%s: VIDIOC_DQBUF: the driver returned buffer %u of %u", cam->path, b.index, cam->nbuf);
        return -1;
    }
    int rc = out ? convert(cam, &b, out, err, nerr) : 0;
    /* a bad frame's buffer goes back too, or the driver runs out of them */
    if (XIOCTL(cam, VIDIOC_QBUF, &b, err, nerr))
        return -1;
    if (out)
        out->capture_ms = cap__now_ms() - t0;
    return rc < 0 ? rc : 1;
}

void v4l2_close(v4l2_cam *cam)
{
    if (!cam)
        return;
    if (cam->streaming) {
        enum v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        cam->io.ioctl(cam->io.user, cam->fd, VIDIOC_STREAMOFF, &type);
    }
    for (uint32_t i = 0; i < cam->nmapped; i++)
        cam->io.munmap(cam->io.user, cam->buf[i].ptr, cam->buf[i].len);
    if (cam->nbuf) { /* frees the driver's buffers now rather than at close */
        struct v4l2_requestbuffers rb = {.count = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
        cam->io.ioctl(cam->io.user, cam->fd, VIDIOC_REQBUFS, &rb);
    }
    if (cam->fd >= 0)
        cam->io.close(cam->io.user, cam->fd);
    free(cam->buf);
    free(cam);
}

#else /* no V4L2 outside Linux */

static int sys_ioctl(void *u, int fd, unsigned long req, void *arg)
{
    (void)u, (void)fd, (void)req, (void)arg;
    errno = ENOTTY;
    return -1;
}

struct v4l2_cam {
    int unused;
};

v4l2_cam *v4l2_open(const cap_params *p, char *err, size_t nerr)
{
    cap__seterr(err, nerr, "%s: V4L2 cameras are only read on Linux", p && p->source ? p->source : "v4l2");
    return NULL;
}

int v4l2_grab(v4l2_cam *cam, int timeout_ms, cap_frame *out, char *err, size_t nerr)
{
    (void)cam, (void)timeout_ms, (void)out;
    cap__seterr(err, nerr, "V4L2 cameras are only read on Linux");
    return -1;
}

const char *v4l2_describe(const v4l2_cam *cam) { return (void)cam, ""; }
void v4l2_close(v4l2_cam *cam) { (void)cam; }

#endif
