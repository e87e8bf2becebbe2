/* SPDX-License-Identifier: MIT */
// draw.glsl — RGBA8 pixels of the drawing ops (draw_image, draw_rects,
// draw_glyphs). A pixel is one uint of dst: bytes R,G,B,A or (bgra) B,G,R,A
// from the lowest address, so little-endian words; colours come as 0xAARRGGBB.
#ifndef VKA_DRAW_GLSL
#define VKA_DRAW_GLSL

// 0xAARRGGBB -> (R, G, B, A) in 0..255
vec4 vka_argb(uint c)
{
    return vec4(float((c >> 16) & 255u), float((c >> 8) & 255u), float(c & 255u), float(c >> 24));
}

// A dst word -> (R, G, B, A) in 0..255
vec4 vka_unpack(uint w, bool bgra)
{
    vec4 v = vec4(float(w & 255u), float((w >> 8) & 255u), float((w >> 16) & 255u), float(w >> 24));
    return bgra ? v.zyxw : v;
}

// (R, G, B, A) -> a dst word; each byte floor(v + 0.5) clamped to [0, 255]
uint vka_pack(vec4 c, bool bgra)
{
    uvec4 u = uvec4(clamp(floor(c + 0.5), 0.0, 255.0));
    if (bgra)
        u = u.zyxw;
    return u.x | (u.y << 8) | (u.z << 16) | (u.w << 24);
}

// colour 0xAARRGGBB over the dst word `old` with alpha a = A/255: a·colour +
// (1 - a)·old for R, G, B; A + (1 - a)·old alpha for the alpha byte. Opaque
// and transparent colours are exact without the arithmetic.
uint vka_blend(uint old, uint argb, bool bgra)
{
    uint A = argb >> 24;
    if (A == 255u)
        return vka_pack(vka_argb(argb), bgra);
    if (A == 0u)
        return old;
    float a = float(A) * (1.0 / 255.0);
    vec4 o = vka_unpack(old, bgra), c = vka_argb(argb);
    return vka_pack(vec4(a * c.rgb + (1.0 - a) * o.rgb, c.a + (1.0 - a) * o.a), bgra);
}

#endif
