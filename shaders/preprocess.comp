/* SPDX-License-Identifier: MIT */
// preprocess.comp — U8 [H, W, 3] image -> F32 [1, 3, crop, crop]: PIL-style bilinear
// resampling (triangle filter widened by the downscale factor), center crop,
// /255, (x - mean) / std. One invocation per output pixel, all three channels.
//
// The two separable passes of PIL are done in one pass over the 2-D footprint
// (weights wx·wy), without PIL's rounding to 8 bits in between: a second
// dispatch and an intermediate buffer would cost more than the footprint reads,
// and the rounding only moves a value by under 1/255.
#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_8bit_storage : require

layout(local_size_x = 16, local_size_y = 16) in;

layout(std430, binding = 0) readonly buffer In { uint8_t rgb[]; };
layout(std430, binding = 1) writeonly buffer Out { float y[]; };

// keep in sync with vka__preprocess_push in runtime/src/op_preprocess.c
layout(push_constant) uniform Push {
    int in_w, in_h;        // source image
    int crop_w, crop_h;    // output
    int left, top;         // crop offset in the resized image
    uint off_in, off_out;  // vka__off of the tensors
    int res_w, res_h;      // the resized image
    float scale_x, scale_y;     // source pixels per resized pixel
    float support_x, support_y; // filter half-width in source pixels
    float k_x, k_y;             // 1 / (2 res · filter scale): see tap()
    float inv_255_std[3];  // (u8/255 - mean)/std folded into u8·inv_255_std - mean_std
    float mean_std[3];
} pc;

// Triangle weight of source pixel x for resized pixel xx. PIL's argument
// (x + 0.5 - center) / fs with center = (xx + 0.5)·in/res is formed as the exact
// integer (2x+1)·res - (2xx+1)·in times one constant: with center in fp32 its
// rounding (~4e-5 px at 600 px) moved weights by that much times the pixel
// step, up to 0.01 of a u8 level without antialias.
float tap(int x, int xx, int in_n, int res, float k)
{
    float a = abs(float((2 * x + 1) * res - (2 * xx + 1) * in_n) * k);
    return a < 1.0 ? 1.0 - a : 0.0;
}

void main()
{
    int ox = int(gl_GlobalInvocationID.x), oy = int(gl_GlobalInvocationID.y);
    if (ox >= pc.crop_w || oy >= pc.crop_h)
        return;
    // PIL precompute_coeffs: center of the output pixel in source coordinates,
    // taps [int(center - support + 0.5), int(center + support + 0.5)) clamped
    // (the end taps weigh ~0, so fp32 rounding of these bounds does not matter).
    float cx = (float(ox + pc.left) + 0.5) * pc.scale_x;
    float cy = (float(oy + pc.top) + 0.5) * pc.scale_y;
    int x0 = max(int(cx - pc.support_x + 0.5), 0), x1 = min(int(cx + pc.support_x + 0.5), pc.in_w);
    int y0 = max(int(cy - pc.support_y + 0.5), 0), y1 = min(int(cy + pc.support_y + 0.5), pc.in_h);
    int xx = ox + pc.left, yy = oy + pc.top;
    float sx = 0.0, sy = 0.0;
    for (int x = x0; x < x1; x++)
        sx += tap(x, xx, pc.in_w, pc.res_w, pc.k_x);
    for (int j = y0; j < y1; j++)
        sy += tap(j, yy, pc.in_h, pc.res_h, pc.k_y);
    vec3 acc = vec3(0.0);
    for (int j = y0; j < y1; j++) {
        float wy = tap(j, yy, pc.in_h, pc.res_h, pc.k_y);
        if (wy == 0.0)
            continue;
        vec3 row = vec3(0.0);
        uint base = pc.off_in + uint(j * pc.in_w) * 3u;
        for (int x = x0; x < x1; x++) {
            float wx = tap(x, xx, pc.in_w, pc.res_w, pc.k_x);
            uint i = base + uint(x) * 3u;
            row += wx * vec3(float(uint(rgb[i])), float(uint(rgb[i + 1u])), float(uint(rgb[i + 2u])));
        }
        acc += wy * row;
    }
    // PIL normalizes each axis' weights to sum 1 (left alone when the sum is 0)
    float norm = (sx != 0.0 ? 1.0 / sx : 1.0) * (sy != 0.0 ? 1.0 / sy : 1.0);
    acc *= norm;
    uint plane = uint(pc.crop_w * pc.crop_h), o = pc.off_out + uint(oy * pc.crop_w + ox);
    for (int c = 0; c < 3; c++)
        y[o + uint(c) * plane] = acc[c] * pc.inv_255_std[c] - pc.mean_std[c];
}
