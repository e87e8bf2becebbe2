/* SPDX-License-Identifier: MIT */
/* classify.c — a first vkattn program: one image through a ViT classifier
 * (DeiT, ViT: ONNX or .safetensors), its five most likely classes.
 *
 *     classify MODEL IMAGE [LABELS.txt]
 *     classify deit_tiny_patch16_224.onnx cat.jpg imagenet1000_simple.txt
 *
 * The image is decoded on the host, then resized, cropped and normalized on
 * the device as the model was evaluated (the input size comes from the
 * model); the softmax over the logits is done on the host. */
#include <stdio.h>
#include <stdlib.h>

#include <vkattn.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL IMAGE [LABELS.txt]\n", argv[0]);
        return 2;
    }
    const char *model = argv[1], *image = argv[2], *labels = argc > 3 ? argv[3] : NULL;
    int rc = 1;

    /* 1. A context on the best Vulkan device (VKATTN_DEVICE picks another). */
    vka_context_params cp = vka_context_default_params();
    vka_context *ctx = vka_context_create(&cp);
    if (!ctx) {
        fprintf(stderr, "classify: no Vulkan device: %s\n", vka_last_error());
        return 1;
    }
    printf("device: %s\n", vka_context_device(ctx)->name);

    /* 2. The classifier: loads and builds the model once. */
    vka_classifier_params p = vka_classifier_default_params();
    p.labels_path = labels;                       /* one class name per line; NULL: indices only */
    vka_classifier *cls = vka_classifier_create(ctx, model, &p);
    vka_image *img = NULL;
    if (!cls) {
        fprintf(stderr, "classify: %s\n", vka_last_error());
        goto out;
    }
    printf("model: %s, %lld classes, input %dx%d\n", model, (long long)vka_classifier_classes(cls),
           vka_classifier_input_size(cls), vka_classifier_input_size(cls));

    /* 3. An image: RGB bytes, rows packed (stride 0). */
    if (!(img = vka_image_load(image))) {
        fprintf(stderr, "classify: %s\n", vka_last_error());
        goto out;
    }

    /* 4. Run and wait (vka_classifier_submit + _poll would not block). */
    if (vka_classifier_run_image(cls, img->rgb, img->width, img->height, 0) != VKA_OK) {
        fprintf(stderr, "classify: %s\n", vka_context_last_error(ctx));
        goto out;
    }

    /* 5. The five most likely classes. */
    vka_class_score top[5];
    int n = vka_classifier_top(cls, 5, top);
    printf("%s (%dx%d):\n", image, img->width, img->height);
    for (int i = 0; i < n; i++)
        printf("%d. class %lld  p %.4f  logit %.3f  %s\n", i + 1, (long long)top[i].index, top[i].prob,
               top[i].logit, top[i].label ? top[i].label : "");
    rc = 0;

out:
    vka_image_free(img);
    vka_classifier_destroy(cls);
    /* VKATTN_VALIDATE=1 runs the Khronos validation layer: count its errors as a failure */
    if (vka_context_validation_errors(ctx)) {
        fprintf(stderr, "classify: %d validation errors\n", vka_context_validation_errors(ctx));
        rc = 1;
    }
    vka_context_destroy(ctx);
    return rc;
}
