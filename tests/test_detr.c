/* SPDX-License-Identifier: MIT */
/* test_detr.c — DEIMv2 atto and femto (real COCO detectors of the RT-DETR
 * family) against ONNX Runtime goldens on three images: every golden
 * detection with score > 0.3 is found with the same label, a box with
 * IoU > 0.99 (within 1 px) and a score within 1e-3; raw scores and boxes
 * agree to 1e-3 relative; fused and unfused runs agree. The fused plans:
 * every deformable attention fused, and the 3 decoder self-attentions flash
 * attention (atto: 8 heads of D = 8; femto: 8 heads of D = 12). Dispatches:
 * atto's fused plan at most 350 (580 before the RMSNorm, elementwise-program,
 * strided-attention and view fusions), femto's at most 380, and each well
 * under the unfused plan's. */
#include "common.h"
#include "detr_check.h"

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    const char *models[2] = {"atto", "femto"}, *images[3] = {"bus", "zidane", "cats"};
    const int flash[2] = {3, 3};         /* fused decoder self-attentions */
    const int max_dispatch[2] = {350, 380}; /* fused plans (issue 10's target for atto) */
    for (int m = 0; m < 2; m++) {
        char rel[128];
        snprintf(rel, sizeof rel, "models/deimv2_hgnetv2_%s_coco.onnx", models[m]);
        const char *mp = vkt_asset(rel);
        if (!mp)
            continue;
        char model[4096];
        snprintf(model, sizeof model, "%s", mp);
        for (int i = 0; i < 3; i++) {
            snprintf(rel, sizeof rel, "golden/deimv2_%s_%s.safetensors", models[m], images[i]);
            const char *gp = vkt_asset(rel);
            vka_safetensors *st = gp ? vka_safetensors_open(gp) : NULL;
            if (!st)
                continue;
            dets fused, plain;
            char what[96];
            snprintf(what, sizeof what, "DEIMv2 %s on %s", models[m], images[i]);
            if (detr_run(ctx, model, st, 1, 3, 0.005, &fused)) {
                detr_check(what, &fused, st, 0.3f);
                vkt_check(fused.grid_samples == 0 && fused.deform_attns == 3 && fused.flash_attns == flash[m],
                          "%s fused plan: %d deform_attn nodes (want 3), %d grid_sample (want 0), %d "
                          "flash_attention (want %d)",
                          what, fused.deform_attns, fused.grid_samples, fused.flash_attns, flash[m]);
                if (i == 0)
                    vkt_check(fused.dispatches > 0 && fused.dispatches <= max_dispatch[m],
                              "%s fused plan: %d dispatches (at most %d)", what, fused.dispatches, max_dispatch[m]);
            }
            /* the unfused route once per model (it is the slow one) */
            if (i == 0 && detr_run(ctx, model, st, 0, 3, 0.005, &plain)) {
                double *ref = malloc(sizeof *ref * (size_t)plain.n);
                for (int j = 0; j < plain.n; j++)
                    ref[j] = fused.scores[j];
                snprintf(what, sizeof what, "DEIMv2 %s on %s: unfused scores vs fused", models[m], images[i]);
                vkt_compare(what, plain.scores, ref, (size_t)plain.n, 1e-4);
                vkt_check(plain.grid_samples == 6 && plain.deform_attns == 0 && plain.flash_attns == 0,
                          "%s: unfused plan keeps the 6 grid_sample nodes (%d) and no flash_attention (%d)", what,
                          plain.grid_samples, plain.flash_attns);
                vkt_check(fused.dispatches > 0 && 3 * fused.dispatches < 2 * plain.dispatches,
                          "%s: fused plan %d dispatches, unfused %d (fusion removes more than a third)", what,
                          fused.dispatches, plain.dispatches);
                free(ref);
                free_dets(&plain);
            }
            free_dets(&fused);
            vka_safetensors_close(st);
        }
    }
    return vkt_finish();
}
