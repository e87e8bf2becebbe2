/* SPDX-License-Identifier: MIT */
/* test_draw.c — vka_draw_image, vka_draw_rects and vka_draw_glyphs against
 * float64 CPU references on random images, maps, rects and fonts of odd
 * sizes, partly off-screen, both byte orders, into dst poisoned with random
 * bytes: pixels outside what is drawn must come back unchanged. Rounding: a
 * byte is floor(v + 0.5) of the float result; bilinear and translucent blends
 * may land one level off a float64 reference, opaque fills must be exact. */
#include "common.h"

/* matplotlib's inferno at 9 stops: the table of apps/heatmap.c */
static const double inferno_ref[9][3] = {
    {0, 0, 4},     {31, 12, 72},   {85, 15, 109},  {136, 34, 106}, {186, 54, 85},
    {227, 89, 51}, {249, 140, 10}, {249, 201, 50}, {252, 255, 164},
};

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

static void colormap_ref(double t, double rgb[3])
{
    t = clampd(t, 0, 1);
    double f = t * 8;
    int i = (int)f < 7 ? (int)f : 7;
    double a = f - i;
    for (int c = 0; c < 3; c++)
        rgb[c] = inferno_ref[i][c] * (1 - a) + inferno_ref[i + 1][c] * a;
}

static uint8_t *rand_bytes(size_t n)
{
    uint8_t *b = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(vkt_rand_u32() >> 24);
    return b;
}

static uint32_t rand_colour(int opaque)
{
    uint32_t c = vkt_rand_u32() & 0xffffffu;
    uint32_t a = opaque ? 255u : 1u + vkt_rand_u32() % 254u; /* translucent: 1..254 */
    return c | a << 24;
}

static vka_tensor *u8_tensor(vka_context *ctx, int ndim, const int64_t *shape, const uint8_t *data)
{
    vka_tensor *t = vkt_tensor(ctx, VKA_U8, ndim, shape, NULL);
    if (data && vka_tensor_upload(t, data, vka_tensor_bytes(t))) {
        fprintf(stderr, "FAIL upload: %s\n", vka_context_last_error(ctx));
        exit(1);
    }
    return t;
}

static uint8_t *download_u8(const vka_tensor *t)
{
    size_t n = vka_tensor_bytes(t);
    uint8_t *b = malloc(n ? n : 1);
    if (vka_tensor_download(t, b, n)) {
        fprintf(stderr, "FAIL download: %s\n", vka_context_last_error(vkt_ctx));
        exit(1);
    }
    return b;
}

/* ------------------------------------------------------------ comparison */

/* Expected pixels as float64 RGBA before rounding, in RGBA order (the check
 * swaps for bgra); alt: a second acceptable value where the reference sits on
 * an edge of the map rect (fp32 may land on either side), else NULL. */
typedef struct expect {
    int set;         /* 0: the pixel must be unchanged */
    int exact;       /* 1: must equal round(v) exactly */
    double v[4];
    int has_alt;
    double alt[4];
} expect;

static int round_byte(double v) { return (int)floor(clampd(v, 0, 255) + 0.5); }

/* Checks every byte of got against `before` and the expectations; prints
 * relative L2 error and max abs error against the unrounded reference and how
 * many channels sit one level off the rounded one. */
static void check_pixels(const char *what, const uint8_t *got, const uint8_t *before, const expect *e, int W, int H,
                         int bgra)
{
    static const int rgba[4] = {0, 1, 2, 3}, bgra_ord[4] = {2, 1, 0, 3};
    const int *ord = bgra ? bgra_ord : rgba; /* byte k holds channel ord[k] */
    size_t npix = (size_t)W * H, changed = 0, bad = 0, off1 = 0, drawn = 0, first_bad = 0;
    double num = 0, den = 0, maxabs = 0;
    for (size_t i = 0; i < npix; i++) {
        const uint8_t *g = got + 4 * i, *b = before + 4 * i;
        if (!e[i].set) {
            if (memcmp(g, b, 4) != 0 && !changed++)
                first_bad = i;
            continue;
        }
        drawn++;
        int worst = 0, worst_alt = 0;
        double d2 = 0, r2 = 0, mabs = 0;
        for (int k = 0; k < 4; k++) {
            int c = ord[k];
            int dv = abs(g[k] - round_byte(e[i].v[c]));
            worst = dv > worst ? dv : worst;
            if (e[i].has_alt) {
                int da = abs(g[k] - round_byte(e[i].alt[c]));
                worst_alt = da > worst_alt ? da : worst_alt;
            }
            double d = g[k] - clampd(e[i].v[c], 0, 255);
            d2 += d * d;
            r2 += e[i].v[c] * e[i].v[c];
            mabs = fabs(d) > mabs ? fabs(d) : mabs;
        }
        if (e[i].has_alt && worst_alt < worst) {
            worst = worst_alt; /* the other side of the map edge: measure against it */
            d2 = 0, mabs = 0;
            for (int k = 0; k < 4; k++) {
                double d = g[k] - clampd(e[i].alt[ord[k]], 0, 255);
                d2 += d * d;
                mabs = fabs(d) > mabs ? fabs(d) : mabs;
            }
        }
        num += d2;
        den += r2;
        maxabs = mabs > maxabs ? mabs : maxabs;
        if (worst == 1)
            off1++;
        if (worst > (e[i].exact ? 0 : 1) && !bad++ && !changed)
            first_bad = i;
    }
    double rel = den > 0 ? sqrt(num / den) : sqrt(num);
    int ok = !changed && !bad && drawn > 0;
    vkt_check(ok,
              "%s: %zu px drawn, rel err %.3e, max abs %.3f levels vs float64, %zu px one level off; %zu px off by "
              "more, %zu untouched px changed%s",
              what, drawn, rel, maxabs, off1, bad, changed, ok ? "" : " (see first below)");
    if (!ok) {
        size_t i = first_bad;
        const uint8_t *g = got + 4 * i, *b = before + 4 * i;
        printf("    first bad pixel (%zu, %zu): got %u %u %u %u, before %u %u %u %u, "
               "want (rgba) %.2f %.2f %.2f %.2f%s\n",
               i % (size_t)W, i / (size_t)W, g[0], g[1], g[2], g[3], b[0], b[1], b[2], b[3], e[i].v[0], e[i].v[1],
               e[i].v[2], e[i].v[3], e[i].set ? "" : " (untouched)");
    }
}

/* ------------------------------------------------------------ draw_image */

/* float64 reference of one destination pixel (px, py) of vka_draw_image: the
 * bilinear image and, when the map covers the pixel's centre, the blend. */
static void ref_image_px(const uint8_t *src, int w, const float *map, int gw, int gh, const vka_draw_image_params *p,
                         int sx0, int sy0, int sx1, int sy1, const double mr[4], int px, int py, int cover,
                         double out[4])
{
    double u = sx0 + (px - p->dst_x + 0.5) * (double)(sx1 - sx0) / p->dst_w;
    double v = sy0 + (py - p->dst_y + 0.5) * (double)(sy1 - sy0) / p->dst_h;
    double fx = clampd(u - 0.5, sx0, sx1 - 1), fy = clampd(v - 0.5, sy0, sy1 - 1);
    int x0 = (int)floor(fx), y0 = (int)floor(fy);
    int x1 = x0 + 1 < sx1 ? x0 + 1 : sx1 - 1, y1 = y0 + 1 < sy1 ? y0 + 1 : sy1 - 1;
    double ax = fx - x0, ay = fy - y0;
    for (int c = 0; c < 3; c++) {
        double p00 = src[((size_t)y0 * w + x0) * 3 + c], p10 = src[((size_t)y0 * w + x1) * 3 + c];
        double p01 = src[((size_t)y1 * w + x0) * 3 + c], p11 = src[((size_t)y1 * w + x1) * 3 + c];
        out[c] = (p00 * (1 - ax) + p10 * ax) * (1 - ay) + (p01 * (1 - ax) + p11 * ax) * ay;
    }
    out[3] = 255;
    if (!map || !cover)
        return;
    double gx = clampd((u - mr[0]) * gw / (mr[2] - mr[0]) - 0.5, 0, gw - 1);
    double gy = clampd((v - mr[1]) * gh / (mr[3] - mr[1]) - 0.5, 0, gh - 1);
    int i0 = (int)floor(gx), j0 = (int)floor(gy);
    int i1 = i0 + 1 < gw ? i0 + 1 : gw - 1, j1 = j0 + 1 < gh ? j0 + 1 : gh - 1;
    double bx = gx - i0, by = gy - j0;
    double m = (map[j0 * gw + i0] * (1 - bx) + map[j0 * gw + i1] * bx) * (1 - by) +
               (map[j1 * gw + i0] * (1 - bx) + map[j1 * gw + i1] * bx) * by;
    double range = (double)p->heat_hi - p->heat_lo, col[3];
    colormap_ref(range != 0 ? (m - p->heat_lo) / range : 0, col);
    for (int c = 0; c < 3; c++)
        out[c] = (1 - p->heat_opacity) * out[c] + p->heat_opacity * col[c];
}

typedef struct image_case {
    const char *what;
    int w, h;            /* src */
    int W, H;            /* dst */
    int gw, gh;          /* map; 0: none */
    vka_draw_image_params p;
    int src_offset;      /* > 0: src is a u8 view this many bytes into a larger tensor */
    int dst_offset;      /* > 0: dst is a view this many bytes (a multiple of 4) in */
} image_case;

static void image_case_run(vka_context *ctx, image_case tc)
{
    vka_draw_image_params *p = &tc.p;
    size_t sbytes = (size_t)tc.w * tc.h * 3, dbytes = (size_t)tc.W * tc.H * 4;
    uint8_t *src = rand_bytes(sbytes), *before = rand_bytes(dbytes);
    /* half noise, half smooth so that bilinear weights matter on both */
    for (int y = 0; y < tc.h; y++)
        for (int x = tc.w / 2; x < tc.w; x++)
            for (int c = 0; c < 3; c++)
                src[((size_t)y * tc.w + x) * 3 + c] = (uint8_t)((x * 9 + y * 5 + c * 70) & 255);
    float *map = NULL;
    if (tc.gw) {
        map = vkt_randn((size_t)tc.gw * tc.gh, 1.0f);
        if (p->heat_lo == 0 && p->heat_hi == 0) { /* lo/hi from the map's min and max */
            p->heat_lo = INFINITY, p->heat_hi = -INFINITY;
            for (int i = 0; i < tc.gw * tc.gh; i++) {
                p->heat_lo = fminf(p->heat_lo, map[i]);
                p->heat_hi = fmaxf(p->heat_hi, map[i]);
            }
        }
    }

    int64_t sshape[3] = {tc.h, tc.w, 3}, dshape[3] = {tc.H, tc.W, 4}, mshape[2] = {tc.gh, tc.gw};
    int64_t sparent_n = (int64_t)sbytes + tc.src_offset, dparent_n = (int64_t)dbytes + tc.dst_offset;
    vka_tensor *sparent = NULL, *dparent = NULL, *ts, *td;
    if (tc.src_offset) {
        sparent = u8_tensor(ctx, 1, &sparent_n, NULL);
        ts = vka_tensor_view(sparent, tc.src_offset, 3, sshape);
    } else
        ts = u8_tensor(ctx, 3, sshape, NULL);
    vka_tensor_upload(ts, src, sbytes);
    if (tc.dst_offset) {
        dparent = u8_tensor(ctx, 1, &dparent_n, NULL);
        td = vka_tensor_view(dparent, tc.dst_offset, 3, dshape);
    } else
        td = u8_tensor(ctx, 3, dshape, NULL);
    vka_tensor_upload(td, before, dbytes);
    vka_tensor *tm = map ? vkt_tensor(ctx, VKA_F32, 2, mshape, map) : NULL;

    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_draw_image(cmd, ts, tm, p, td);
    if (s) {
        vkt_check(0, "%s: vka_draw_image: %s: %s", tc.what, vka_status_str(s), vka_context_last_error(ctx));
        vka_cmd_end(cmd);
    } else {
        vkt_run(cmd);
        uint8_t *got = download_u8(td);
        int sx0 = p->src_x0, sy0 = p->src_y0, sx1 = p->src_x1, sy1 = p->src_y1;
        if (!sx0 && !sy0 && !sx1 && !sy1)
            sx1 = tc.w, sy1 = tc.h;
        double mr[4] = {p->map_x0, p->map_y0, p->map_x1, p->map_y1};
        if (!mr[0] && !mr[1] && !mr[2] && !mr[3])
            mr[0] = sx0, mr[1] = sy0, mr[2] = sx1, mr[3] = sy1;
        expect *e = calloc((size_t)tc.W * tc.H, sizeof *e);
        size_t covered = 0, edge = 0;
        for (int y = 0; y < tc.H; y++)
            for (int x = 0; x < tc.W; x++) {
                if (x < p->dst_x || x >= p->dst_x + p->dst_w || y < p->dst_y || y >= p->dst_y + p->dst_h)
                    continue;
                expect *q = &e[(size_t)y * tc.W + x];
                q->set = 1;
                double u = sx0 + (x - p->dst_x + 0.5) * (double)(sx1 - sx0) / p->dst_w;
                double v = sy0 + (y - p->dst_y + 0.5) * (double)(sy1 - sy0) / p->dst_h;
                int cover = u >= mr[0] && u < mr[2] && v >= mr[1] && v < mr[3];
                covered += map && cover;
                ref_image_px(src, tc.w, map, tc.gw, tc.gh, p, sx0, sy0, sx1, sy1, mr, x, y, cover, q->v);
                /* within fp32 rounding of a map edge: either side passes */
                double tol = 1e-4 * (1 + fabs(u) + fabs(v));
                if (map && (fabs(u - mr[0]) < tol || fabs(u - mr[2]) < tol || fabs(v - mr[1]) < tol ||
                            fabs(v - mr[3]) < tol)) {
                    q->has_alt = 1;
                    edge++;
                    ref_image_px(src, tc.w, map, tc.gw, tc.gh, p, sx0, sy0, sx1, sy1, mr, x, y, !cover, q->alt);
                }
            }
        char what[256];
        snprintf(what, sizeof what, "%s (%zu px under the map, %zu on its edge)", tc.what, covered, edge);
        check_pixels(what, got, before, e, tc.W, tc.H, p->bgra);
        free(e);
        free(got);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(tm);
    vka_tensor_destroy(ts);
    vka_tensor_destroy(td);
    vka_tensor_destroy(sparent);
    vka_tensor_destroy(dparent);
    free(src);
    free(before);
    free(map);
}

static void image_cases(vka_context *ctx)
{
    vka_draw_image_params d = vka_draw_image_default_params();
    vkt_check(d.heat_opacity == 0.55f && d.heat_lo == 0 && d.heat_hi == 1 && d.bgra == 0 && d.src_x0 == 0 &&
                  d.src_x1 == 0 && d.dst_w == 0 && d.map_x1 == 0,
              "default params: opacity 0.55, lo 0, hi 1, whole src, no destination rect");

    vka_draw_image_params p = d;
    /* 37x23 up into a rect hanging off the left and bottom of 101x67 */
    p.dst_x = -9, p.dst_y = 5, p.dst_w = 83, p.dst_h = 71;
    image_case_run(ctx,
                   (image_case){"image 37x23 -> rect (-9,5) 83x71 in 101x67, rgba", 37, 23, 101, 67, 0, 0, p, 0, 0});
    p.bgra = 1;
    image_case_run(ctx,
                   (image_case){"image 37x23 -> rect (-9,5) 83x71 in 101x67, bgra", 37, 23, 101, 67, 0, 0, p, 0, 0});

    /* a source sub-rect, a 7x5 map over a sub-rect of it, lo/hi the map's range */
    vka_draw_image_params q = d;
    q.src_x0 = 3, q.src_y0 = 2, q.src_x1 = 34, q.src_y1 = 21;
    q.dst_x = 11, q.dst_y = -7, q.dst_w = 97, q.dst_h = 61;
    q.map_x0 = 5.5f, q.map_y0 = 4.25f, q.map_x1 = 30.75f, q.map_y1 = 18.5f;
    q.heat_lo = q.heat_hi = 0; /* from the map */
    image_case_run(ctx, (image_case){"image 37x23 [3,34)x[2,21) + map 7x5 over [5.5,30.75)x[4.25,18.5) -> (11,-7) "
                                     "97x61 in 101x67, rgba",
                                     37, 23, 101, 67, 7, 5, q, 0, 0});
    q.bgra = 1;
    image_case_run(ctx, (image_case){"same, bgra", 37, 23, 101, 67, 7, 5, q, 0, 0});

    /* downscale, the map over the whole source rect (map rect all 0), fixed lo/hi clipping t at both ends */
    vka_draw_image_params r = d;
    r.dst_x = 4, r.dst_y = 3, r.dst_w = 64, r.dst_h = 45;
    r.heat_lo = -0.7f, r.heat_hi = 1.3f;
    image_case_run(ctx, (image_case){"image 211x157 -> 64x45 at (4,3) in 71x53 + map 7x5 over the whole src, t "
                                     "clipped at both ends, rgba",
                                     211, 157, 71, 53, 7, 5, r, 0, 0});
    /* views: src at an odd byte offset, dst 12 bytes into its parent */
    vka_draw_image_params v = d;
    v.dst_x = 2, v.dst_y = 1, v.dst_w = 40, v.dst_h = 30;
    v.heat_lo = v.heat_hi = 0;
    v.heat_opacity = 1.0f;
    v.bgra = 1;
    image_case_run(ctx, (image_case){"image 37x23 via a view at byte 5 -> 40x30 in a dst view at byte 12, map 7x5 at "
                                     "opacity 1, bgra",
                                     37, 23, 45, 33, 7, 5, v, 5, 12});
    /* a destination rect larger than dst on every side; equal lo and hi: the dark end */
    vka_draw_image_params c = d;
    c.dst_x = -20, c.dst_y = -15, c.dst_w = 90, c.dst_h = 70;
    c.heat_lo = c.heat_hi = 0.25f;
    image_case_run(ctx, (image_case){"image 19x29 -> (-20,-15) 90x70 covering all of 51x41, lo == hi, rgba", 19, 29,
                                     51, 41, 7, 5, c, 0, 0});
}

/* ------------------------------------------------------------ draw_rects */

/* the alpha blend in float64, channels RGBA */
static void blend_ref(const double old[4], uint32_t argb, double out[4])
{
    double a = (argb >> 24) / 255.0, col[3] = {(argb >> 16) & 255, (argb >> 8) & 255, argb & 255};
    for (int c = 0; c < 3; c++)
        out[c] = a * col[c] + (1 - a) * old[c];
    out[3] = (argb >> 24) + (1 - a) * old[3];
}

static void old_rgba(const uint8_t *b, int bgra, double out[4])
{
    out[0] = b[bgra ? 2 : 0], out[1] = b[1], out[2] = b[bgra ? 0 : 2], out[3] = b[3];
}

/* Rects on a grid of cells so that none overlap, some hanging off each edge,
 * half opaque; only n of `rows` rows are drawn. */
static void rects_case(vka_context *ctx, int W, int H, int rows, int n, int bgra)
{
    int32_t *r = malloc(sizeof *r * 5 * (size_t)rows);
    int cols = 6, cw = (W + 20) / cols, chh = (H + 16) / 4; /* cells over [-10, W+10) x [-8, H+8) */
    for (int i = 0; i < rows; i++) {
        int cx = -10 + (i % cols) * cw, cy = -8 + (i / cols % 4) * chh;
        int x0 = cx + (int)(vkt_rand_u32() % (unsigned)(cw / 2)), y0 = cy + (int)(vkt_rand_u32() % (unsigned)(chh / 2));
        int x1 = x0 + 1 + (int)(vkt_rand_u32() % (unsigned)(cx + cw - x0));
        int y1 = y0 + 1 + (int)(vkt_rand_u32() % (unsigned)(cy + chh - y0));
        uint32_t col = rand_colour(i % 2 == 0);
        int32_t row[5] = {x0, y0, x1, y1, (int32_t)col};
        if (i == 5) /* empty (x1 < x0) */
            row[2] = row[0] - 3;
        memcpy(r + 5 * i, row, sizeof row);
    }
    int64_t rshape[2] = {rows, 5}, dshape[3] = {H, W, 4};
    vka_tensor *tr = vkt_tensor(ctx, VKA_I32, 2, rshape, NULL), *td = u8_tensor(ctx, 3, dshape, NULL);
    vkt_upload_i32(tr, r);
    uint8_t *before = rand_bytes((size_t)W * H * 4);
    vka_tensor_upload(td, before, (size_t)W * H * 4);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_draw_rects(cmd, tr, n, bgra, td);
    char what[160];
    snprintf(what, sizeof what, "rects %d of %d rows (opaque and translucent, off-screen parts) in %dx%d, %s", n, rows,
             W, H, bgra ? "bgra" : "rgba");
    if (s) {
        vkt_check(0, "%s: %s: %s", what, vka_status_str(s), vka_context_last_error(ctx));
        vka_cmd_end(cmd);
    } else {
        vkt_run(cmd);
        uint8_t *got = download_u8(td);
        expect *e = calloc((size_t)W * H, sizeof *e);
        for (int i = 0; i < n; i++) {
            const int32_t *q = r + 5 * i;
            for (int y = q[1] > 0 ? q[1] : 0; y < q[3] && y < H; y++)
                for (int x = q[0] > 0 ? q[0] : 0; x < q[2] && x < W; x++) {
                    expect *p = &e[(size_t)y * W + x];
                    double old[4];
                    old_rgba(before + 4 * ((size_t)y * W + x), bgra, old);
                    p->set = 1;
                    p->exact = ((uint32_t)q[4] >> 24) == 255;
                    blend_ref(old, (uint32_t)q[4], p->v);
                }
        }
        check_pixels(what, got, before, e, W, H, bgra);
        free(e);
        free(got);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(tr);
    vka_tensor_destroy(td);
    free(r);
    free(before);
}

/* One opaque rect of extreme corners over all of a dst of more than 64·65535
 * pixels: one workgroup alone would stop short (llvmpipe ends an invocation
 * after 65535 loop iterations; measured: 5760 pixels left unwritten at
 * 2000x2100), so it must be split over chunks of workgroups. */
static void big_rect_case(vka_context *ctx)
{
    int W = 2049, H = 2053;
    int32_t r[2][5] = {{INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX, (int32_t)0xff3a7bc4u},
                       {100, 200, 1200, 1000, (int32_t)0x80102030u}};
    int64_t rshape[2] = {2, 5}, dshape[3] = {H, W, 4};
    vka_tensor *tr = vkt_tensor(ctx, VKA_I32, 2, rshape, NULL), *td = u8_tensor(ctx, 3, dshape, NULL);
    vkt_upload_i32(tr, &r[0][0]);
    uint8_t *before = rand_bytes((size_t)W * H * 4);
    vka_tensor_upload(td, before, (size_t)W * H * 4);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_tensor *second = vka_tensor_view(tr, 5, 2, (int64_t[]){1, 5}); /* 20 bytes in: a shifted binding */
    vka_status s = vka_draw_rects(cmd, tr, 1, 1, td);
    if (!s) /* the translucent one over the first: a second call, ordered by the barrier */
        s = vka_draw_rects(cmd, second, 1, 1, td);
    if (s) {
        vkt_check(0, "big rect: %s: %s", vka_status_str(s), vka_context_last_error(ctx));
        vka_cmd_end(cmd);
    } else {
        vkt_run(cmd);
        uint8_t *got = download_u8(td);
        expect *e = calloc((size_t)W * H, sizeof *e);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                expect *p = &e[(size_t)y * W + x];
                double old[4] = {0x3a, 0x7b, 0xc4, 255};
                p->set = 1;
                p->exact = 1;
                memcpy(p->v, old, sizeof old);
                if (x >= 100 && x < 1200 && y >= 200 && y < 1000) {
                    blend_ref(old, 0x80102030u, p->v);
                    p->exact = 0;
                }
            }
        check_pixels("rect (INT_MIN, INT_MIN)-(INT_MAX, INT_MAX) over all of 2049x2053 (4.2M px: chunked), then a "
                     "translucent rect from a rects view in a second call, bgra",
                     got, before, e, W, H, 1);
        free(e);
        free(got);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(second);
    vka_tensor_destroy(tr);
    vka_tensor_destroy(td);
    free(before);
}

/* ------------------------------------------------------------ draw_glyphs */

/* Glyphs of a random 5x8 font of 40 characters on a grid of cells (no two
 * overlap), scales 1..3, some hanging off the edges; a few draw nothing (char
 * >= nchars, scale 0 or 17); only n of `rows` rows are drawn. */
static void glyphs_case(vka_context *ctx, int W, int H, int rows, int n, int opaque, int bgra, int dst_offset)
{
    enum { FW = 5, FH = 8, NCH = 40 };
    int32_t font[NCH * FH];
    for (int i = 0; i < NCH * FH; i++)
        font[i] = (int32_t)(vkt_rand_u32() & 31u);
    int32_t *g = malloc(sizeof *g * 4 * (size_t)rows);
    int cw = 3 * FW + 2, ch = 3 * FH + 2, cols = (W + cw) / cw + 1; /* cells from (-cw/2, -ch/2) past the edges */
    for (int i = 0; i < rows; i++) {
        int scale = 1 + (int)(vkt_rand_u32() % 3);
        int c = (int)(vkt_rand_u32() % NCH);
        int x = -cw / 2 + (i % cols) * cw + (int)(vkt_rand_u32() % 3);
        int y = -ch / 2 + (i / cols) * ch + (int)(vkt_rand_u32() % 3);
        if (i % 11 == 3)
            c = NCH + (int)(vkt_rand_u32() % 200); /* not in the font */
        if (i % 13 == 4)
            scale = i % 2 ? 0 : 17; /* out of range */
        if (i % 17 == 9) { /* far outside, where x + width would wrap */
            x = i % 2 ? INT32_MAX - 3 : INT32_MIN + 2;
            y = i % 2 ? INT32_MIN : INT32_MAX;
        }
        g[4 * i] = x, g[4 * i + 1] = y, g[4 * i + 2] = c | scale << 8, g[4 * i + 3] = (int32_t)rand_colour(opaque);
    }
    int64_t fshape[2] = {NCH, FH}, gshape[2] = {rows, 4}, dshape[3] = {H, W, 4};
    int64_t dparent_n = (int64_t)W * H * 4 + dst_offset;
    vka_tensor *tf = vkt_tensor(ctx, VKA_I32, 2, fshape, NULL), *tg = vkt_tensor(ctx, VKA_I32, 2, gshape, NULL);
    vkt_upload_i32(tf, font);
    vkt_upload_i32(tg, g);
    vka_tensor *dparent = dst_offset ? u8_tensor(ctx, 1, &dparent_n, NULL) : NULL;
    vka_tensor *td = dst_offset ? vka_tensor_view(dparent, dst_offset, 3, dshape) : u8_tensor(ctx, 3, dshape, NULL);
    uint8_t *before = rand_bytes((size_t)W * H * 4);
    vka_tensor_upload(td, before, (size_t)W * H * 4);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_status s = vka_draw_glyphs(cmd, tf, FW, FH, tg, n, bgra, td);
    char what[200];
    snprintf(what, sizeof what,
             "glyphs %d of %d rows, 5x8 font of %d chars, scales 1-3 (+ 0, 17, chars >= nchars, INT_MIN/MAX corners), "
             "%s, in %dx%d%s, %s",
             n, rows, NCH, opaque ? "opaque" : "translucent", W, H, dst_offset ? " (a dst view)" : "",
             bgra ? "bgra" : "rgba");
    if (s) {
        vkt_check(0, "%s: %s: %s", what, vka_status_str(s), vka_context_last_error(ctx));
        vka_cmd_end(cmd);
    } else {
        vkt_run(cmd);
        uint8_t *got = download_u8(td);
        expect *e = calloc((size_t)W * H, sizeof *e);
        for (int i = 0; i < n; i++) {
            const int32_t *q = g + 4 * i;
            int c = q[2] & 255, scale = q[2] >> 8;
            if (c >= NCH || scale < 1 || scale > 16)
                continue;
            for (int fy = 0; fy < FH; fy++)
                for (int fx = 0; fx < FW; fx++) {
                    if (!((font[c * FH + fy] >> (FW - 1 - fx)) & 1))
                        continue;
                    for (int dy = 0; dy < scale; dy++)
                        for (int dx = 0; dx < scale; dx++) {
                            int64_t x = (int64_t)q[0] + fx * scale + dx, y = (int64_t)q[1] + fy * scale + dy;
                            if (x < 0 || y < 0 || x >= W || y >= H)
                                continue;
                            expect *p = &e[(size_t)y * W + x];
                            double old[4];
                            old_rgba(before + 4 * ((size_t)y * W + x), bgra, old);
                            p->set = 1;
                            p->exact = opaque;
                            blend_ref(old, (uint32_t)q[3], p->v);
                        }
                }
        }
        check_pixels(what, got, before, e, W, H, bgra);
        free(e);
        free(got);
    }
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(tf);
    vka_tensor_destroy(tg);
    vka_tensor_destroy(td);
    vka_tensor_destroy(dparent);
    free(g);
    free(before);
}

/* ------------------------------------------------------------ errors */

static void error_cases(vka_context *ctx)
{
    int64_t s_src[3] = {9, 11, 3}, s_dst[3] = {13, 17, 4}, s_dst3[3] = {13, 17, 3};
    int64_t s_map[2] = {3, 4}, s_map3[3] = {1, 3, 4}, n_par = 13 * 17 * 4 + 4;
    int64_t s_r[2] = {4, 5}, s_r4[2] = {4, 4}, s_g[2] = {4, 4}, s_f[2] = {10, 8}, s_f7[2] = {10, 7};
    vka_tensor *src = u8_tensor(ctx, 3, s_src, NULL), *srcf = vkt_tensor(ctx, VKA_F32, 3, s_src, NULL);
    vka_tensor *dst = u8_tensor(ctx, 3, s_dst, NULL), *dstf = vkt_tensor(ctx, VKA_F32, 3, s_dst, NULL);
    vka_tensor *dst3 = u8_tensor(ctx, 3, s_dst3, NULL), *par = u8_tensor(ctx, 1, &n_par, NULL);
    vka_tensor *dst_odd = vka_tensor_view(par, 2, 3, s_dst); /* starts 2 bytes past a word */
    vka_tensor *map = vkt_tensor(ctx, VKA_F32, 2, s_map, NULL), *map3 = vkt_tensor(ctx, VKA_F32, 3, s_map3, NULL);
    vka_tensor *rects = vkt_tensor(ctx, VKA_I32, 2, s_r, NULL), *rectsf = vkt_tensor(ctx, VKA_F32, 2, s_r, NULL);
    vka_tensor *rects4 = vkt_tensor(ctx, VKA_I32, 2, s_r4, NULL), *glyphs = vkt_tensor(ctx, VKA_I32, 2, s_g, NULL);
    vka_tensor *font = vkt_tensor(ctx, VKA_I32, 2, s_f, NULL), *font7 = vkt_tensor(ctx, VKA_I32, 2, s_f7, NULL);
    vka_tensor_set_name(dst3, "canvas3");
    vka_tensor_set_name(rects4, "boxes4");
    vka_tensor_set_name(srcf, "framef");
    int32_t zeros[40] = {0};
    vkt_upload_i32(rects, zeros);
    vkt_upload_i32(glyphs, zeros);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_cmd_begin(cmd);
    vka_draw_image_params p = vka_draw_image_default_params();
    p.dst_w = 17, p.dst_h = 13;

    vkt_expect_error("image: NULL src", vka_draw_image(cmd, NULL, NULL, &p, dst), VKA_ERR_INVALID_ARG, "src is NULL");
    vkt_expect_error("image: NULL params", vka_draw_image(cmd, src, NULL, NULL, dst), VKA_ERR_INVALID_ARG, "params");
    vkt_expect_error("image: f32 src", vka_draw_image(cmd, srcf, NULL, &p, dst), VKA_ERR_SHAPE, "\"framef\"");
    vkt_expect_error("image: f32 dst", vka_draw_image(cmd, src, NULL, &p, dstf), VKA_ERR_SHAPE,
                     "expected u8 [H, W, 4]");
    vkt_expect_error("image: dst of 3 channels", vka_draw_image(cmd, src, NULL, &p, dst3), VKA_ERR_SHAPE,
                     "\"canvas3\" [13, 17, 3]");
    vkt_expect_error("image: rank-3 map", vka_draw_image(cmd, src, map3, &p, dst), VKA_ERR_SHAPE,
                     "expected f32 [gh, gw]");
    vkt_expect_error("image: dst view off a word", vka_draw_image(cmd, src, NULL, &p, dst_odd), VKA_ERR_INVALID_ARG,
                     "multiple of 4");
    vka_tensor *alias = vka_tensor_view(dst, 40, 3, s_src); /* u8 [9, 11, 3] inside dst */
    vkt_expect_error("image: src aliasing dst", vka_draw_image(cmd, alias, NULL, &p, dst), VKA_ERR_INVALID_ARG,
                     "overlaps dst");
    vka_draw_image_params b = p;
    b.dst_w = -1;
    vkt_expect_error("image: dst_w < 0", vka_draw_image(cmd, src, NULL, &b, dst), VKA_ERR_INVALID_ARG,
                     "destination rect");
    b = p;
    b.heat_opacity = 1.5f;
    vkt_expect_error("image: opacity 1.5", vka_draw_image(cmd, src, map, &b, dst), VKA_ERR_INVALID_ARG, "heat_opacity");
    b.heat_opacity = NAN;
    vkt_expect_error("image: opacity NaN", vka_draw_image(cmd, src, map, &b, dst), VKA_ERR_INVALID_ARG, "heat_opacity");
    b = p;
    b.src_x1 = 12, b.src_y1 = 5;
    vkt_expect_error("image: source rect past src", vka_draw_image(cmd, src, NULL, &b, dst), VKA_ERR_INVALID_ARG,
                     "source rect");
    b = p;
    b.map_x0 = 4, b.map_x1 = 2, b.map_y1 = 3;
    vkt_expect_error("image: empty map rect", vka_draw_image(cmd, src, map, &b, dst), VKA_ERR_INVALID_ARG, "map rect");

    vkt_expect_error("rects: NULL rects", vka_draw_rects(cmd, NULL, 1, 0, dst), VKA_ERR_INVALID_ARG, "rects is NULL");
    vkt_expect_error("rects: NULL dst", vka_draw_rects(cmd, rects, 1, 0, NULL), VKA_ERR_INVALID_ARG, "dst is NULL");
    vkt_expect_error("rects: f32 rects", vka_draw_rects(cmd, rectsf, 1, 0, dst), VKA_ERR_SHAPE,
                     "expected i32 [>= n, 5]");
    vkt_expect_error("rects: 4 columns", vka_draw_rects(cmd, rects4, 1, 0, dst), VKA_ERR_SHAPE, "\"boxes4\" [4, 4]");
    vkt_expect_error("rects: n 5 of 4 rows", vka_draw_rects(cmd, rects, 5, 0, dst), VKA_ERR_SHAPE, "n = 5");
    vkt_expect_error("rects: n < 0", vka_draw_rects(cmd, rects, -1, 0, dst), VKA_ERR_INVALID_ARG, "negative");
    vkt_expect_error("rects: f32 dst", vka_draw_rects(cmd, rects, 1, 0, dstf), VKA_ERR_SHAPE, "expected u8 [H, W, 4]");

    vkt_expect_error("glyphs: NULL font", vka_draw_glyphs(cmd, NULL, 5, 8, glyphs, 1, 0, dst), VKA_ERR_INVALID_ARG,
                     "font is NULL");
    vkt_expect_error("glyphs: font_h 7 vs [10, 8]", vka_draw_glyphs(cmd, font, 5, 7, glyphs, 1, 0, dst), VKA_ERR_SHAPE,
                     "expected i32 [nchars, 7]");
    vkt_expect_error("glyphs: font_w 33", vka_draw_glyphs(cmd, font, 33, 8, glyphs, 1, 0, dst), VKA_ERR_INVALID_ARG,
                     "33x8");
    vkt_expect_error("glyphs: glyphs of 5 columns", vka_draw_glyphs(cmd, font7, 5, 7, rects, 1, 0, dst),
                     VKA_ERR_SHAPE, "expected i32 [>= n, 4]");
    vkt_expect_error("glyphs: n 9 of 4 rows", vka_draw_glyphs(cmd, font, 5, 8, glyphs, 9, 0, dst), VKA_ERR_SHAPE,
                     "n = 9");
    vkt_expect_error("glyphs: dst of 3 channels", vka_draw_glyphs(cmd, font, 5, 8, glyphs, 1, 0, dst3), VKA_ERR_SHAPE,
                     "\"canvas3\"");

    /* nothing to draw: OK, nothing recorded */
    int before = vka_cmd_dispatch_count(cmd);
    b = p;
    b.dst_x = 17; /* just right of dst */
    vka_status s1 = vka_draw_image(cmd, src, NULL, &b, dst);
    b = p;
    b.dst_h = 0;
    vka_status s2 = vka_draw_image(cmd, src, NULL, &b, dst);
    vka_status s3 = vka_draw_rects(cmd, rects, 0, 0, dst), s4 = vka_draw_glyphs(cmd, font, 5, 8, glyphs, 0, 0, dst);
    vkt_check(!s1 && !s2 && !s3 && !s4 && vka_cmd_dispatch_count(cmd) == before,
              "fully clipped and zero-size rects, n = 0: OK (%d %d %d %d), %d dispatches recorded", s1, s2, s3, s4,
              vka_cmd_dispatch_count(cmd) - before);
    vka_cmd_end(cmd);
    vka_cmd_destroy(cmd);
    vka_tensor *ts[] = {alias, src, srcf, dst, dstf, dst3, dst_odd, par, map, map3, rects, rectsf, rects4, glyphs,
                        font, font7};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
        vka_tensor_destroy(ts[i]);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);

    image_cases(ctx);

    rects_case(ctx, 101, 67, 24, 17, 0); /* rows 17..23 must not be drawn */
    rects_case(ctx, 101, 67, 24, 24, 1);
    rects_case(ctx, 333, 211, 20, 19, 1);
    big_rect_case(ctx);

    glyphs_case(ctx, 101, 67, 40, 33, 1, 0, 0);
    glyphs_case(ctx, 101, 67, 40, 40, 1, 1, 0);
    glyphs_case(ctx, 97, 59, 30, 27, 0, 1, 8);

    error_cases(ctx);
    /* the context stays usable after the errors */
    rects_case(ctx, 37, 29, 24, 11, 0);
    glyphs_case(ctx, 53, 41, 16, 16, 0, 0, 0);
    return vkt_finish();
}
