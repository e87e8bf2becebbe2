/* SPDX-License-Identifier: MIT */
/* detect.c — a first vkattn detector program: one image through an
 * RT-DETR-family detector exported with its postprocessor (DEIMv2,
 * RT-DETRv2), its boxes above a score threshold.
 *
 *     detect MODEL.onnx IMAGE [LABELS.txt] [THRESHOLD]
 *     detect deimv2_hgnetv2_atto_coco.onnx bus.jpg coco80.txt 0.5
 *
 * The image is resized to the model's square input on the device; boxes come
 * back in the image's pixels, clipped to it. */
#include <stdio.h>
#include <stdlib.h>

#include <vkattn.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL.onnx IMAGE [LABELS.txt] [THRESHOLD]\n", argv[0]);
        return 2;
    }
    const char *model = argv[1], *image = argv[2], *labels = argc > 3 ? argv[3] : NULL;
    double threshold = argc > 4 ? atof(argv[4]) : 0.5;
    int rc = 1;

    vka_context_params cp = vka_context_default_params();
    vka_context *ctx = vka_context_create(&cp);
    if (!ctx) {
        fprintf(stderr, "detect: no Vulkan device: %s\n", vka_last_error());
        return 1;
    }
    printf("device: %s\n", vka_context_device(ctx)->name);

    /* The detector: loads and builds the model once. */
    vka_detector_params p = vka_detector_default_params();
    p.labels_path = labels;                      /* one class name per line; NULL: class numbers only */
    vka_detector *det = vka_detector_create(ctx, model, &p);
    vka_image *img = NULL;
    vka_detection *boxes = NULL;
    if (!det) {
        fprintf(stderr, "detect: %s\n", vka_last_error());
        goto out;
    }
    printf("model: %s, input %dx%d, %d detections per image\n", model, vka_detector_input_size(det),
           vka_detector_input_size(det), vka_detector_capacity(det));

    if (!(img = vka_image_load(image))) {
        fprintf(stderr, "detect: %s\n", vka_last_error());
        goto out;
    }
    if (vka_detector_run_image(det, img->rgb, img->width, img->height, 0) != VKA_OK) {
        fprintf(stderr, "detect: %s\n", vka_context_last_error(ctx));
        goto out;
    }

    /* Count, then fetch: the detections with score >= threshold, best first. */
    int n = vka_detector_results(det, threshold, NULL, 0);
    if (!(boxes = malloc(sizeof *boxes * (size_t)(n > 0 ? n : 1))))
        goto out;
    vka_detector_results(det, threshold, boxes, n);
    printf("%s (%dx%d): %d detections with score >= %.2f\n", image, img->width, img->height, n, threshold);
    for (int i = 0; i < n; i++) {
        const vka_detection *d = &boxes[i];
        printf("box label %lld  score %.4f  x1 %.1f y1 %.1f x2 %.1f y2 %.1f  %s\n", (long long)d->label, d->score,
               d->box[0], d->box[1], d->box[2], d->box[3], d->name ? d->name : "");
    }
    rc = 0;

out:
    free(boxes);
    vka_image_free(img);
    vka_detector_destroy(det);
    if (vka_context_validation_errors(ctx)) { /* VKATTN_VALIDATE=1: the layer's errors fail the run */
        fprintf(stderr, "detect: %d validation errors\n", vka_context_validation_errors(ctx));
        rc = 1;
    }
    vka_context_destroy(ctx);
    return rc;
}
