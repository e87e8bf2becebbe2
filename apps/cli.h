/* cli.h — the subcommands of the vkattn tool, one file each. */
#ifndef VKA_CLI_H
#define VKA_CLI_H
#include "vkattn.h"

/* Shared options: --device N|NAME, --validate. Removes them from argv. */
vka_context *cli_context(int *argc, char **argv);
/* Index of flag in argv, or -1. */
int cli_flag(int argc, char **argv, const char *flag);
/* Value after flag, or def. */
const char *cli_opt(int argc, char **argv, const char *flag, const char *def);

/* --precision f16|f32|auto (default f32) into *out: 0, or 2 (bad usage; printed). */
int cli_precision(int argc, char **argv, vka_precision *out);
/* "weights 10.9 MiB (f16), activations 2.3 MiB" line of a built graph, for --plan and bench model. */
void cli_print_bytes(const vka_graph *g);

int cli_devices(int argc, char **argv);
int cli_run(int argc, char **argv);
/* Host bytes of a graph value: float32, or int64 for integer values. */
size_t cli_value_bytes(const vka_graph *g, vka_val v);
int cli_classify(int argc, char **argv);
int cli_detect(int argc, char **argv);
/* The live viewer (view.c; view_missing.c in a build without SDL2). */
int cli_view(int argc, char **argv);
/* Prints the top n plan nodes of the last run by GPU time. */
void cli_print_profile(vka_graph *g, int top);
/* The built plan with what each node absorbed, and the totals (`run --plan`). */
void cli_print_plan(vka_graph *g);
int cli_bench(int argc, char **argv);
int cli_bench_gemm(vka_context *ctx, int argc, char **argv);
int cli_bench_attention(vka_context *ctx, int argc, char **argv);

/* Median GPU time (ms) of the recorded command over `runs` submits, after one
 * warm-up; the sum of its per-dispatch timestamps. */
double cli_time_cmd(vka_cmd *cmd, int runs);
/* Prints "device, driver, date" for benchmark headers. */
void cli_print_bench_header(vka_context *ctx, const char *what);
/* Measures the fp32 FMA peak (vka_measure_fp32_peak_ex, defaults) and prints
 * it and how it was measured on "#" lines; returns GFLOP/s, 0 on failure. */
double cli_measure_peak(vka_context *ctx);
/* The "% of peak" text of gflops into buf: "-" without a peak, and flagged
 * "?!" over 100% (the peak or the timing was disturbed, not a fact). */
const char *cli_peak_share(char *buf, size_t n, double gflops, double peak);

/* Attention heatmaps (heatmap.c). Tiles: one per map plus their mean, at most
 * 4 per row, each size x size. */
void cli_heatmap_layout(int nmaps, int size, int *cols, int *rows, int *width, int *height);
/* map [grid, grid] -> out [size, size], bilinear with half-pixel centers, edges clamped. */
void cli_upsample_bilinear(const float *map, int grid, int size, float *out);
/* crop: RGB [size, size, 3]; maps: [nmaps, grid, grid]. Returns RGB [*height, *width, 3]
 * (caller frees), each tile the crop blended with an inferno colormap of its map
 * normalized to its own min..max; NULL when out of memory. */
uint8_t *cli_heatmap_render(const uint8_t *crop, int size, const float *maps, int nmaps, int grid, int *width,
                            int *height);

/* Blends map [grid, grid] (stretched over the whole image, bilinear, half-pixel
 * centres; normalized to its min..max) into rgb [height, width, 3] through the
 * inferno colormap with weight opacity. */
void cli_heat_blend(uint8_t *rgb, int width, int height, const float *map, int grid, float opacity);
/* Detector heat (vka_deform_heatmap, vka_detector_heatmap) on a CLI_DET_GRID² grid over the image. */
#define CLI_DET_GRID 48

/* Detections drawn into images (draw.c). */
/* The colour of class cls: 20 distinct colours, repeating. */
void cli_class_color(int64_t cls, uint8_t rgb[3]);
/* Box line width (2 or 3 px) and font scale (1..3) for an image of this size. */
int cli_draw_thickness(int width, int height);
int cli_draw_scale(int width, int height);
/* Draws box xyxy (pixels; clamped to the image) into rgb [height, width, 3] in
 * the class colour, lines inside the box, with a tag "name 0.81" of that colour
 * above its top-left corner (inside the box when there is no room above). */
/* What cli_draw_detection draws, for drawing it elsewhere (the viewer, on the
 * GPU): four box lines and the tag as filled rects x0, y0, x1, y1 (exclusive),
 * then the text in ink at (text_x, text_y), `scale` x the font. */
typedef struct cli_detection_shape {
    int rects[5][4];             /* top, bottom, left, right line; the tag */
    uint8_t color[3];            /* the class colour: lines and tag */
    uint8_t ink[3];              /* the text */
    char text[96];
    int text_x, text_y, scale;
} cli_detection_shape;
void cli_detection_layout(int width, int height, const float box[4], int64_t cls, const char *name, float score,
                          cli_detection_shape *d);
void cli_draw_detection(uint8_t *rgb, int width, int height, const float box[4], int64_t cls, const char *name,
                        float score);

/* Helpers shared by the image commands (cliutil.c). */
double cli_now_ms(void);
int cli_ends_with(const char *s, const char *suffix);
/* Prints s as a JSON string literal to stdout. */
void cli_json_str(const char *s);
/* The positional arguments of argv[1..argc) (caller frees the array, not the
 * strings): options in `valued` (and --device) skip their value, `flags` (and
 * --validate) stand alone. NULL after printing an error naming `cmd` when an
 * option is unknown or lacks its value. */
const char **cli_positionals(int argc, char **argv, const char *cmd, const char *const *valued, int nvalued,
                             const char *const *flags, int nflags, int *npos);
/* $VKATTN_ASSETS/labels/<file>, VKATTN_ASSETS defaulting to ../shared/assets. */
void cli_default_labels(char *buf, size_t n, const char *file);
/* One label per line; *n gets the count. NULL if the file cannot be read. */
char **cli_read_labels(const char *path, int *n);
void cli_free_labels(char **labels, int n);
/* The file name of path without directory and extension: *len chars from the result. */
const char *cli_stem(const char *path, int *len);
/* An output file per image: `out` itself for one image; with several, out's
 * stem gets _<image stem> (out/h.png + /x/cat.jpg -> out/h_cat.png). */
void cli_out_name(char *buf, size_t n, const char *out, const char *image, int several);
#endif
