/* SPDX-License-Identifier: MIT */
/* v4l2.h — a V4L2 camera read through mmap streaming: YUYV frames passed on
 * as they are (rows repacked), MJPEG frames decoded to RGB. Used by capture.c
 * on its thread; every system call goes through a v4l2_io table so tests can
 * play the camera.
 *
 *     cap_params p = {.source = "/dev/video0", .width = 640, .height = 480, .fps = 30};
 *     char err[256];
 *     v4l2_cam *cam = v4l2_open(&p, err, sizeof err);   // QUERYCAP .. STREAMON
 *     cap_frame f = {0};
 *     while (v4l2_grab(cam, 100, &f, err, sizeof err) >= 0) ...  // 1 frame, 0 none yet, -2 bad frame skipped
 *     cap_frame_free(&f);
 *     v4l2_close(cam);                                    // STREAMOFF, munmap, close
 */
#ifndef VKA_V4L2_H
#define VKA_V4L2_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "capture.h"

/* The system calls, each with the table's `user` first so a fake camera needs
 * no globals. Failures return -1 (mmap: MAP_FAILED) and set errno. */
typedef struct v4l2_io {
    int (*open)(void *user, const char *path, int flags);
    int (*close)(void *user, int fd);
    int (*ioctl)(void *user, int fd, unsigned long req, void *arg);
    void *(*mmap)(void *user, void *addr, size_t len, int prot, int flags, int fd, off_t off);
    int (*munmap)(void *user, void *addr, size_t len);
    int (*poll)(void *user, struct pollfd *fds, nfds_t n, int timeout_ms);
    void *user;
} v4l2_io;

/* libc's calls; open, ioctl and poll retried on EINTR. */
const v4l2_io *v4l2_io_libc(void);

typedef struct v4l2_cam v4l2_cam;

/* Opens p->source through p->io (NULL: libc) and starts streaming: YUYV
 * unless p->prefer_mjpeg (else MJPEG), p->width x p->height and p->fps when
 * non-zero (the driver may adjust both: what it answers is used), 4 mmap
 * buffers. NULL with err "<path>: <request>: <reason>" on failure, everything
 * acquired so far released. */
v4l2_cam *v4l2_open(const cap_params *p, char *err, size_t nerr);
/* Waits up to timeout_ms for a frame and converts it into *out (data
 * reallocated as needed; seq left to the caller): CAP_YUYV as the camera sent
 * it, CAP_RGB8 for MJPEG. out NULL: the frame is given straight back to the
 * driver unread (paused). 1: a frame; 0: none within the timeout; -2: the
 * frame was bad (driver error flag, short, not a decodable JPEG), given back
 * to the driver and skipped, err says why; -1: the device failed (err). */
int v4l2_grab(v4l2_cam *cam, int timeout_ms, cap_frame *out, char *err, size_t nerr);
/* "/dev/video0 YUYV 640x480 @30" (the negotiated format on the wire; no
 * "@" part when the driver does not tell its rate). */
const char *v4l2_describe(const v4l2_cam *cam);
/* Stops streaming, unmaps and frees the buffers, closes the device. NULL is a no-op. */
void v4l2_close(v4l2_cam *cam);

/* Decodes one MJPEG frame to RGB [*h, *w, 3] (caller frees); a frame without
 * Huffman tables (many UVC cameras leave them out, as Motion-JPEG allows) gets
 * the standard ones of JPEG Annex K.3. NULL with err when the data is not a
 * complete baseline JPEG (no end-of-image marker after the scan: truncated). */
uint8_t *v4l2_decode_mjpeg(const uint8_t *jpg, size_t n, int *w, int *h, char *err, size_t nerr);

/* Shared by the frame sources (capture.c, v4l2.c): a formatted message into
 * err (nothing when err is NULL), and a monotonic clock in milliseconds. */
void cap__seterr(char *err, size_t nerr, const char *fmt, ...);
double cap__now_ms(void);

#endif
