/* vision.h — the image models the image commands run (classify, detect,
 * view): a ViT classifier or an RT-DETR-family detector, loaded, built once,
 * and fed from RGB already on the device (no pixels back through the host).
 *
 *     vision_model m;
 *     if (vision_load(&m, ctx, "deimv2_atto.onnx", VISION_AUTO, &opts) == 0) {
 *         vision_run(&m, rgb, width, height);     // rgb: U8 [height, width, 3] tensor
 *         for (i = 0; i < m.n; i++) ... m.labels[i], m.boxes + 4 * i, m.scores[i]
 *     }
 *     vision_free(&m);
 */
#ifndef VKA_VISION_H
#define VKA_VISION_H
#include "vkattn.h"

typedef enum { VISION_AUTO = -1, VISION_CLASSIFIER = 0, VISION_DETECTOR = 1 } vision_kind;

typedef struct vision_options {
    int fuse;                    /* fusion passes (default 1) */
    int probe;                   /* build with attention probes (heatmaps) */
    int trace_queries;           /* detector: keep which query made each detection (query[]) */
    vka_precision precision;     /* storage of weights and activations (default f32) */
} vision_options;

typedef struct vision_model {
    vision_kind kind;
    vka_context *ctx;            /* not owned */
    vka_graph *g;
    int safetensors;             /* ViT from .safetensors (models/vit.c) */
    int size;                    /* S: the model's square input */
    const char *in_images;       /* graph value names */
    const char *in_sizes;        /* detector: orig_target_sizes */
    const char *out_logits;      /* classifier */
    const char *out_labels, *out_boxes, *out_scores; /* detector */
    int64_t classes;             /* classifier: logits per image */
    int64_t n;                   /* detector: detections per image */
    vka_preprocess_params pp;    /* the model's preprocessing (timm eval / DETR resize) */
    vka_cmd *cmd;                /* preprocessing, recorded per input size */
    int64_t cmd_w, cmd_h;        /* the input size cmd was recorded for */
    vka_tensor *cmd_rgb;         /* and the tensor */
    float *logits;               /* [classes] after a run */
    int64_t *labels;             /* [n] */
    float *boxes;                /* [n, 4] x1 y1 x2 y2 in input pixels */
    float *scores;               /* [n] */
    int64_t *query;              /* [n] decoder query of each detection (trace_queries), else NULL */
    int64_t flat;                /* queries x classes of the traced TopK */
    int pending;                 /* vision_submit'ed, outputs not yet read */
} vision_model;

/* Loads an .onnx (classifier or detector by its inputs and outputs) or a
 * .safetensors ViT and builds it. Prints what is wrong on stderr and returns
 * nonzero on failure; vision_free is safe either way. */
int vision_load(vision_model *m, vka_context *ctx, const char *path, vision_kind kind, const vision_options *o);
/* Preprocesses rgb U8 [h, w, 3] on the device into the graph's input, runs the
 * graph and reads the outputs. Returns a status; the context has the message. */
vka_status vision_run(vision_model *m, vka_tensor *rgb);
/* The same without waiting (the viewer): preprocesses rgb into the graph's
 * input and submits the graph in `slices` parts (vka_submit_params.slices);
 * vision_poll returns VKA_NOT_READY while it runs and VKA_OK once it has
 * finished and the outputs are in m. rgb may be written again once
 * vision_submit has returned; m's outputs stay those of the last finished run. */
vka_status vision_submit(vision_model *m, vka_tensor *rgb, int slices);
vka_status vision_poll(vision_model *m);
/* Waits for a submitted run (the context's timeout) and reads its outputs. */
vka_status vision_wait(vision_model *m);
/* Classifier, after a run with probe: the CLS row of attention layer `layer`
 * as maps [heads, grid, grid] (caller frees); NULL after printing why. */
float *vision_cls_maps(vision_model *m, int layer, int *heads, int *grid);
/* Classifier: the crop the model saw as RGB bytes [S, S, 3] (caller frees). */
uint8_t *vision_crop_rgb(vision_model *m);
void vision_free(vision_model *m);
#endif
