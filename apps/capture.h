/* SPDX-License-Identifier: MIT */
/* capture.h — frame sources for the live viewer (synthetic scene, image file,
 * folder of images, V4L2 camera), each read on its own thread so a slow camera
 * or decoder never stalls rendering; the renderer takes the newest frame.
 *
 *     cap_params p = {.source = "/dev/video0", .width = 640, .height = 480, .fps = 30};
 *     char err[256];
 *     capture *c = capture_open(&p, err, sizeof err);   // negotiates; NULL + err on failure
 *     if (!c || capture_start(c)) { ... }
 *     cap_frame f = {0};                                 // reused: data grows as needed
 *     for (;;) {                                         // the render loop
 *         int r = capture_latest(c, f.seq, &f);
 *         if (r < 0) { fprintf(stderr, "%s\n", capture_error(c)); break; }
 *         if (r) ... upload f.data (RGB8 or YUYV, f.width x f.height) ...
 *         ... draw; HUD: capture_describe(c), capture_stats(c, &n, &dropped) ...
 *     }
 *     cap_frame_free(&f);
 *     capture_close(c);                                  // stops and joins the thread
 *
 * Threading: call these from one thread (the renderer's); it and the capture
 * thread share state only under the capture's mutex. The `warn` callback runs
 * on the capture thread (and inside capture_open).
 *
 * Sources:
 *   synthetic  coloured shapes moving over a gradient, frame t = seq - 1 a pure
 *              function of t (capture_synthetic_frame); paused, its clock stops.
 *   image      delivered once (fps 0) or repeated at fps.
 *   folder     its regular files, dot files left out, in strcmp order of their
 *              names (zero-pad numbers: frame10 sorts before frame2), looped
 *              at fps. A file that is not a readable image is skipped with one
 *              warning and counted in capture_skipped; capture_open fails when
 *              none is. Frames may change size from file to file.
 *   camera     YUYV frames as CAP_YUYV, MJPEG decoded here into CAP_RGB8.
 */
#ifndef VKA_CAPTURE_H
#define VKA_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

typedef enum cap_format {
    CAP_RGB8 = 0,                /* 3 bytes per pixel, R G B */
    CAP_YUYV = 1,                /* 2 bytes per pixel, Y0 U Y1 V per pair (V4L2_PIX_FMT_YUYV): to RGB on
                                    the device with vka_yuyv_to_rgb */
} cap_format;

typedef struct cap_frame {
    int width, height;           /* pixels; may change between frames of a folder */
    cap_format format;
    uint8_t *data;               /* [height, width, 3] RGB8 or [height, width*2] YUYV, rows packed */
    size_t bytes;                /* bytes in data (also its allocated size) */
    uint64_t seq;                /* 1, 2, ... in capture order; 0: no frame yet */
    double capture_ms;           /* time to grab and convert/decode this frame on the capture thread */
} cap_frame;

struct v4l2_io;                  /* v4l2.h */

typedef struct cap_params {
    const char *source;          /* "synthetic", an image file, a folder of images, or a V4L2 device
                                    (/dev/video0; any path under /dev/, or any path when io is set) */
    int width, height;           /* synthetic: 640x480 by default; camera: 0 keeps the device's current
                                    size; images: ignored (frames have the file's size) */
    int fps;                     /* synthetic 30, folder 10 by default; image: 0 delivers it once, > 0
                                    repeats it at that rate; camera: 0 keeps the device's rate */
    int prefer_mjpeg;            /* camera: MJPEG even when YUYV is offered (more fps at large sizes
                                    over USB 2, at the cost of decoding on the capture thread) */
    const struct v4l2_io *io;    /* camera: the system calls, NULL for libc's (tests pass a fake camera) */
    void (*warn)(void *user, const char *msg); /* skipped files and bad frames; NULL prints to stderr */
    void *warn_user;
} cap_params;

typedef struct capture capture;

/* Opens the source and, for a camera, negotiates format, size, rate and
 * buffers. NULL with err naming the source and what failed, e.g.
 * "/dev/video0: VIDIOC_S_FMT: Invalid argument". */
capture *capture_open(const cap_params *p, char *err, size_t nerr);
/* Starts the capture thread. 0, or -1 with capture_error(). */
int capture_start(capture *c);
/* Copies the newest frame into *out (reallocating out->data as needed) if its
 * seq > last_seq: 1 copied, 0 none newer, -1 the source failed (capture_error;
 * any frame captured before the failure is handed out first). Never waits for
 * the source, only for the short copy under the capture's mutex. */
int capture_latest(capture *c, uint64_t last_seq, cap_frame *out);
/* paused: no new frame is published once this returns (synthetic: its clock
 * stops; folder: it stays on its image; camera: frames are read and let go so
 * the driver does not stall) until capture_pause(c, 0). */
void capture_pause(capture *c, int paused);
/* captured: frames published; dropped: replaced by a newer one before any
 * capture_latest took them. Either pointer may be NULL. */
void capture_stats(const capture *c, uint64_t *captured, uint64_t *dropped);
/* Frames or files the source could not use and skipped (a truncated MJPEG
 * frame, a file in a folder that is not an image); each also went to warn. */
uint64_t capture_skipped(const capture *c);
/* One line for the HUD, fixed at open: "/dev/video0 YUYV 640x480 @30",
 * "synthetic RGB8 640x480 @30", "photos/ (12 files) @10". */
const char *capture_describe(const capture *c);
/* Why the source failed; "" while it has not. */
const char *capture_error(const capture *c);
/* Stops and joins the thread, releases the source. NULL is a no-op. */
void capture_close(capture *c);
/* Frees f->data and zeroes *f (so it can be reused). NULL is a no-op. */
void cap_frame_free(cap_frame *f);

/* The synthetic source's frame t (= seq - 1): coloured shapes moving over a
 * gradient and t in binary as 16 cells along the bottom (white = 1, least
 * significant bit left), a pure function of (t, w, h) in integer arithmetic,
 * so tests can rebuild any frame. rgb: [h, w, 3]. */
void capture_synthetic_frame(uint64_t t, int w, int h, uint8_t *rgb);

#endif
