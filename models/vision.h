/* SPDX-License-Identifier: MIT */
/* vision.h — what the classifier and the detector (models/classifier.c,
 * models/detector.c) share: a frame (host pixels or a device tensor, RGB or
 * YUYV) preprocessed on the device into the model's input, class names, and
 * the state of a run in flight. Internal to the library. */
#ifndef VKA_MODELS_VISION_H
#define VKA_MODELS_VISION_H

#include "internal.h"
#include "graph.h"

/* room for a graph value name (vka__value.name) */
#define VKA_NAME_MAX ((int)sizeof(((vka__value *)0)->name))

typedef struct vka__vision {
    vka_context *ctx;            /* the graph's, not owned */
    vka_graph *g;                /* owned */
    /* graph value names, copied: the graph's own strings move when the build
     * adds values (a use-after-free ASan found once the value array moved on
     * every addition in sanitizer builds) */
    char in_images[VKA_NAME_MAX];
    int size;                    /* S: the model's square input */
    vka_preprocess_params pp;
    vka_cmd *cmd;                /* [YUYV -> RGB,] preprocessing into the input; recorded per frame */
    vka_tensor *host_rgb;        /* host frames are uploaded here (owned) */
    vka_tensor *host_yuyv;
    vka_tensor *yuyv_rgb;        /* YUYV frames converted here (owned) */
    uint8_t *pack;               /* strided host rows packed here before the upload */
    size_t pack_bytes;
    int pending;                 /* submitted, results not yet read */
    int64_t sub_w, sub_h;        /* frame size of the run in flight */
    char **labels;               /* copied class names */
    int nlabels;
} vka__vision;

/* Takes g (destroyed on failure by the caller through vka__vision_free). */
void vka__vision_init(vka__vision *v, vka_graph *g);
/* Copies labels (or reads labels_path when labels is NULL). */
vka_status vka__vision_labels(vka__vision *v, const char *const *labels, int n, const char *path);
const char *vka__vision_label(const vka__vision *v, int64_t i);
/* Checks the frame, uploads host pixels, converts YUYV and preprocesses into
 * the graph's input; waits for that. Sets sub_w, sub_h. VKA_ERR_STATE while
 * a run is pending. */
vka_status vka__vision_feed(vka__vision *v, const vka_frame *f);
/* Submits the graph (after feed) and marks the run pending. */
vka_status vka__vision_submit(vka__vision *v, const vka_submit_params *p);
/* poll / wait on the graph: VKA_OK with *done = 1 when a pending run has
 * just finished (the caller then reads its outputs). */
vka_status vka__vision_poll(vka__vision *v, int *done);
vka_status vka__vision_wait(vka__vision *v, int64_t timeout_ns, int *done);
/* Waits for a pending run and frees everything (the graph too). */
void vka__vision_free(vka__vision *v);
/* Loads an .onnx or .safetensors (ViT) file, or ONNX bytes, into a graph. */
vka_graph *vka__vision_load(vka_context *ctx, const char *path);
#endif
