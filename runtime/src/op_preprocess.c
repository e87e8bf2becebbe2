/* SPDX-License-Identifier: MIT */
/* op_preprocess.c — decoded camera/image bytes to model inputs on the device:
 * vka_preprocess (resize as PIL's BILINEAR, center crop, mean/std) and
 * vka_yuyv_to_rgb (webcam YUYV 4:2:2 to RGB). */
#include "internal.h"

/* keep in sync with shaders/preprocess.comp */
typedef struct vka__preprocess_push {
    int32_t in_w, in_h;
    int32_t crop_w, crop_h;
    int32_t left, top;
    uint32_t off_in, off_out;
    int32_t res_w, res_h;
    float scale_x, scale_y;
    float support_x, support_y;
    float k_x, k_y;
    float inv_255_std[3];
    float mean_std[3];
} vka__preprocess_push;
_Static_assert(sizeof(vka__preprocess_push) <= VKA_PUSH_MAX, "push constants");

vka_preprocess_params vka_preprocess_default_params(void)
{
    return (vka_preprocess_params){
        .mode = VKA_RESIZE_SHORT_CROP,
        .resize = 256,
        .crop = 224,
        .mean = {0.485f, 0.456f, 0.406f},
        .std = {0.229f, 0.224f, 0.225f},
        .antialias = 1,
    };
}

/* Python's round() of d/2 for an integer d >= 0: halves go to the even side,
 * as torchvision's CenterCrop computes its offsets. */
static int round_half_even_half(int64_t d)
{
    int64_t k = d / 2;
    if (d % 2 == 0)
        return (int)k;
    return (int)(k % 2 == 0 ? k : k + 1);
}

/* One axis of PIL's ImagingResample: scale = in/out source pixels per output
 * pixel; the triangle filter is widened by the scale when downscaling. */
static void axis(int64_t in, int64_t out, int antialias, float *scale, float *support, float *k)
{
    double s = (double)in / (double)out;
    double fs = antialias && s > 1.0 ? s : 1.0;
    *scale = (float)s;
    *support = (float)fs;             /* bilinear support 1, times the filter scale */
    *k = (float)(1.0 / (2.0 * out * fs)); /* the shader's tap() scales an integer by it */
}

/* storageBuffer8BitAccess enabled on the context's device: its own has it
 * when the device does; an application's says so in device_create_info. */
static int has_8bit_storage(vka_context *ctx) { return ctx->feat.storage8; }

vka_status vka_preprocess(vka_cmd *cmd, vka_tensor *rgb, const vka_preprocess_params *p, vka_tensor *out)
{
    vka_status s = vka__check_cmd(cmd, "vka_preprocess");
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    char b1[128], b2[128];
    if (!rgb || !out || !p)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_preprocess: %s is NULL", !rgb ? "rgb" : !out ? "out" : "params");
    if (rgb->dtype != VKA_U8 || rgb->ndim != 3 || rgb->shape[2] != 3 || rgb->shape[0] < 1 || rgb->shape[1] < 1)
        return vka__err(ctx, VKA_ERR_SHAPE, "vka_preprocess: rgb %s is %s %s, expected u8 [H, W, 3]", vka__tname(rgb),
                        vka_dtype_str(rgb->dtype), vka__shape_str(rgb, b1, sizeof b1));
    if (p->mode != VKA_RESIZE_SHORT_CROP && p->mode != VKA_RESIZE_SQUARE)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_preprocess: unknown resize mode %d", (int)p->mode);
    if (p->crop < 1 || p->crop > 16384 || (p->mode == VKA_RESIZE_SHORT_CROP && p->resize < p->crop))
        return vka__err(ctx, VKA_ERR_INVALID_ARG,
                        "vka_preprocess: crop %d with resize %d (need 1 <= crop <= 16384 and resize >= crop)", p->crop,
                        p->resize);
    for (int c = 0; c < 3; c++)
        if (!(p->std[c] != 0.0f))
            return vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_preprocess: std[%d] is %g", c, (double)p->std[c]);
    if (out->dtype != VKA_F32 || out->ndim != 4 || out->shape[0] != 1 || out->shape[1] != 3 ||
        out->shape[2] != p->crop || out->shape[3] != p->crop)
        return vka__err(ctx, VKA_ERR_SHAPE, "vka_preprocess: out %s is %s %s, expected f32 [1, 3, %d, %d]",
                        vka__tname(out), vka_dtype_str(out->dtype), vka__shape_str(out, b2, sizeof b2), p->crop,
                        p->crop);
    if (!has_8bit_storage(ctx))
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "vka_preprocess: device \"%s\" lacks storageBuffer8BitAccess",
                        ctx->info.name);

    int64_t h = rgb->shape[0], w = rgb->shape[1];
    int64_t rw, rh; /* the resized image, of which the crop is a window */
    if (p->mode == VKA_RESIZE_SQUARE) {
        rw = rh = p->crop;
    } else if (w <= h) { /* torchvision Resize(int): long side int(resize * long / short), floored */
        rw = p->resize;
        rh = (int64_t)p->resize * h / w;
    } else {
        rh = p->resize;
        rw = (int64_t)p->resize * w / h;
    }
    /* tap() forms (2x+1)·res - (2xx+1)·in in int32 */
    if (w > 16384 || h > 16384 || rw > 16384 || rh > 16384)
        return vka__err(ctx, VKA_ERR_TOO_LARGE,
                        "vka_preprocess: image %lldx%lld resized to %lldx%lld; at most 16384 per side", (long long)w,
                        (long long)h, (long long)rw, (long long)rh);
    vka__preprocess_push pc = {
        .in_w = (int32_t)w,
        .in_h = (int32_t)h,
        .crop_w = p->crop,
        .crop_h = p->crop,
        .left = round_half_even_half(rw - p->crop),
        .top = round_half_even_half(rh - p->crop),
        .off_in = vka__off(rgb),
        .off_out = vka__off(out),
        .res_w = (int32_t)rw,
        .res_h = (int32_t)rh,
    };
    axis(w, rw, p->antialias, &pc.scale_x, &pc.support_x, &pc.k_x);
    axis(h, rh, p->antialias, &pc.scale_y, &pc.support_y, &pc.k_y);
    for (int c = 0; c < 3; c++) {
        pc.inv_255_std[c] = (float)(1.0 / (255.0 * p->std[c]));
        pc.mean_std[c] = (float)((double)p->mean[c] / p->std[c]);
    }
    vka__binding b[] = {{rgb, 0}, {out, 1}};
    uint32_t g = (uint32_t)(p->crop + 15) / 16;
    return vka__dispatch(cmd, "preprocess", NULL, 0, b, 2, &pc, sizeof pc, g, g, 1);
}

/* keep in sync with shaders/yuyv_rgb.comp */
typedef struct vka__yuyv_push {
    int32_t w, h;
    uint32_t off_in, off_out;
    float ky;
    float rv, gu, gv, bu;
} vka__yuyv_push;
_Static_assert(sizeof(vka__yuyv_push) <= VKA_PUSH_MAX, "push constants");

vka_status vka_yuyv_to_rgb(vka_cmd *cmd, vka_tensor *yuyv, vka_tensor *rgb)
{
    vka_status s = vka__check_cmd(cmd, "vka_yuyv_to_rgb");
    if (s)
        return s;
    vka_context *ctx = cmd->ctx;
    char b1[128], b2[128];
    if (!yuyv || !rgb)
        return vka__err(ctx, VKA_ERR_INVALID_ARG, "vka_yuyv_to_rgb: %s is NULL", !yuyv ? "yuyv" : "rgb");
    if (yuyv->dtype != VKA_U8 || yuyv->ndim != 2 || yuyv->shape[0] < 1 || yuyv->shape[1] < 2)
        return vka__err(ctx, VKA_ERR_SHAPE, "vka_yuyv_to_rgb: yuyv %s is %s %s, expected u8 [H, W*2]",
                        vka__tname(yuyv), vka_dtype_str(yuyv->dtype), vka__shape_str(yuyv, b1, sizeof b1));
    int64_t h = yuyv->shape[0], w = yuyv->shape[1] / 2;
    /* a pixel pair shares one U and one V: an odd width has no valid layout */
    if (yuyv->shape[1] % 4 != 0)
        return vka__err(ctx, VKA_ERR_SHAPE,
                        "vka_yuyv_to_rgb: yuyv %s is u8 %s: %lld bytes per row is not an even width of 2-byte pixels",
                        vka__tname(yuyv), vka__shape_str(yuyv, b1, sizeof b1), (long long)yuyv->shape[1]);
    if (rgb->dtype != VKA_U8 || rgb->ndim != 3 || rgb->shape[0] != h || rgb->shape[1] != w || rgb->shape[2] != 3)
        return vka__err(ctx, VKA_ERR_SHAPE, "vka_yuyv_to_rgb: rgb %s is %s %s, expected u8 [%lld, %lld, 3]",
                        vka__tname(rgb), vka_dtype_str(rgb->dtype), vka__shape_str(rgb, b2, sizeof b2),
                        (long long)h, (long long)w);
    /* uint32 byte indices in the shader */
    if (h * w * 3 > INT32_MAX)
        return vka__err(ctx, VKA_ERR_TOO_LARGE, "vka_yuyv_to_rgb: %lldx%lld image is over 2^31 bytes of RGB",
                        (long long)w, (long long)h);
    if (!has_8bit_storage(ctx))
        return vka__err(ctx, VKA_ERR_UNSUPPORTED, "vka_yuyv_to_rgb: device \"%s\" lacks storageBuffer8BitAccess",
                        ctx->info.name);
    /* BT.601 from its luma weights Kr = 0.299, Kb = 0.114, in limited range:
     * Y 16..235 (219 steps), U/V 16..240 around 128 (224 steps for the full
     * -0.5..0.5 of Pb/Pr). So ky = 255/219, and each chroma term is the
     * full-range one times 255/224: R += 2(1-Kr)·V = 1.402·255/224 (1.5960),
     * G -= 2(1-Kb)Kb/Kg·U (0.3918) + 2(1-Kr)Kr/Kg·V (0.8130), B += 2(1-Kb)·U =
     * 1.772·255/224 (2.0172); computed in double, rounded once to float. */
    const double kr = 0.299, kb = 0.114, kg = 1.0 - kr - kb, c = 255.0 / 224.0;
    vka__yuyv_push pc = {
        .w = (int32_t)w,
        .h = (int32_t)h,
        .off_in = vka__off(yuyv),
        .off_out = vka__off(rgb),
        .ky = (float)(255.0 / 219.0),
        .rv = (float)(2 * (1 - kr) * c),
        .gu = (float)(2 * (1 - kb) * kb / kg * c),
        .gv = (float)(2 * (1 - kr) * kr / kg * c),
        .bu = (float)(2 * (1 - kb) * c),
    };
    vka__binding b[] = {{yuyv, 0}, {rgb, 1}};
    return vka__dispatch(cmd, "yuyv_rgb", NULL, 0, b, 2, &pc, sizeof pc, (uint32_t)(w / 2 + 15) / 16,
                         (uint32_t)(h + 15) / 16, 1);
}
