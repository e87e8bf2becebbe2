/* SPDX-License-Identifier: MIT */
/* cli.h — the subcommands of the vkattn tool, one file each. */
#ifndef VKA_CLI_H
#define VKA_CLI_H
#include <stdio.h>

#include "vkattn.h"

/* Strict option parsing, one table per command (cliutil.c). Every command
 * checks its argv with cli_parse before doing anything: an unknown option, a
 * missing value or a bad value (not a number, out of range, not one of an
 * enum's choices) prints "vkattn: CMD: ..." naming it and the command exits 2.
 * The global --device N|NAME and --validate are accepted by every command,
 * before or after it (main moves the ones before the command after it).
 * Values are then read with cli_opt / cli_int / cli_num. */
typedef enum { CLI_FLAG, CLI_STR, CLI_INT, CLI_NUM, CLI_ENUM } cli_kind;
typedef struct cli_optdef {
    const char *name;            /* "--top" */
    cli_kind kind;
    double min, max;             /* CLI_INT, CLI_NUM: accepted range, inclusive */
    const char *choices;         /* CLI_ENUM: "text|json|csv|md" */
} cli_optdef;
#define CLI_FLAG_OPT(n) {.name = (n), .kind = CLI_FLAG}
#define CLI_STR_OPT(n) {.name = (n), .kind = CLI_STR}
#define CLI_INT_OPT(n, lo, hi) {.name = (n), .kind = CLI_INT, .min = (lo), .max = (hi)}
#define CLI_NUM_OPT(n, lo, hi) {.name = (n), .kind = CLI_NUM, .min = (lo), .max = (hi)}
#define CLI_ENUM_OPT(n, c) {.name = (n), .kind = CLI_ENUM, .choices = (c)}
#define CLI_NDEFS(a) ((int)(sizeof(a) / sizeof((a)[0])))
/* Checks argv[1..argc) against defs; the positional arguments go to *pos
 * (caller frees the array, not the strings; "--" ends the options). Returns 0,
 * or 2 after printing what is wrong. */
int cli_parse(int argc, char **argv, const char *cmd, const cli_optdef *defs, int ndefs, const char ***pos,
              int *npos);
/* The value of a checked CLI_INT / CLI_NUM option, or def when absent. */
long cli_int(int argc, char **argv, const char *flag, long def);
double cli_num(int argc, char **argv, const char *flag, double def);
/* -h or --help among the arguments. */
int cli_wants_help(int argc, char **argv);

/* --device's value: an index or a name substring, checked against the devices
 * (sets *index or *name as vka_context_params wants them); returns the index
 * of the device it picks, or -1 after printing the devices there are. */
int cli_device_select(const char *arg, int *index, const char **name);
/* The git commit the tool was built from, `git describe --dirty` ("unknown"
 * outside a checkout; apps/git_commit.cmake). */
const char *cli_git_commit(void);

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
/* A device's identity and limits as a JSON object (devices --json, bench reports). */
struct cJSON;
struct cJSON *cli_device_json(const vka_device_info *d);
/* VkDriverId as vulkaninfo names it ("DRIVER_ID_MESA_LLVMPIPE"), else the number. */
const char *cli_driver_id_str(uint32_t id, char *buf, size_t n);
/* driverVersion decoded per vendor (NVIDIA 10.8.8.6 bits, Intel Windows 18.14, else major.minor.patch). */
const char *cli_driver_version_str(const vka_device_info *d, char *buf, size_t n);
/* Writes j (formatted) and a newline to f; 0 on success. */
int cli_print_json(struct cJSON *j, FILE *f);
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
int cli_bench_conv(vka_context *ctx, int argc, char **argv);
/* `bench compare A.json B.json ...` (bench_compare.c): no device needed. */
int cli_bench_compare(int argc, char **argv);

/* Benchmark reports (report.c): version and commit, device identity, date,
 * host load, settings (arguments and the environment variables that change
 * what is measured), the measured peak and, per case, every sample with
 * min/median/mean/stddev, GFLOP/s and share of the peak (a share over 100% is
 * flagged over_peak, not printed as a fact). One JSON shape for every
 * benchmark (README: "Benchmark reports"); CSV and Markdown are views of it. */
typedef enum { CLI_FMT_TEXT, CLI_FMT_JSON, CLI_FMT_CSV, CLI_FMT_MD } cli_format;
#define CLI_FORMATS "text|json|csv|md"
cli_format cli_format_parse(const char *s);
typedef struct cli_report cli_report;
/* Where a benchmark's human-readable table goes: stdout for --format text (or
 * a report going to --out), else stderr, keeping stdout for the report. */
extern FILE *cli_txt;
typedef struct cli_stat {
    double min, median, mean, stddev, max;
} cli_stat;
void cli_stats(const double *v, int n, cli_stat *s);
cli_report *cli_report_begin(vka_context *ctx, const char *bench, int argc, char **argv, cli_format fmt);
void cli_report_setting(cli_report *r, const char *key, const char *value);
/* Measures the fp32 FMA peak once per report (later calls return it): up to
 * `tries` measurements of `reps` dispatches of >= min_ms each, until one has
 * its repetitions within 10%; the best is the peak. Prints it on a "#" line
 * to cli_txt. r may be NULL. Returns GFLOP/s, 0 when not measured. */
double cli_report_peak(cli_report *r, vka_context *ctx, int reps, double min_ms, int tries);
/* One case: samples ms[n] in run order (GPU or wall time), flop per run (0:
 * none); returns the JSON object for extra fields (NULL when r is NULL). */
struct cJSON *cli_report_result(cli_report *r, const char *bench, const char *name, const char *variant,
                                double flop, const double *ms, int n);
void cli_report_error(cli_report *r, const char *bench, const char *name, const char *variant, const char *why);
/* Writes the report (json/csv/md to stdout or to out; text: only to out, in
 * the format its extension names, .json by default) and frees it. 0 on success. */
int cli_report_end(cli_report *r, const char *out);
/* The report the running benchmark adds to (bench.c; NULL for --help). */
extern cli_report *cli_bench_report;
/* GPU time (ms) of each of `runs` submits of cmd after a warm-up, in run
 * order (caller frees); NULL on failure. */
double *cli_time_samples(vka_cmd *cmd, int runs);

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

/* The tiles of cli_heatmap_render (width x height, tiles size x size, nmaps
 * heads + mean) labelled: a title strip above (title: layer, class, score),
 * "head N" / "mean of N heads" on each tile, and a colour bar (low..high)
 * below. Returns RGB [*out_h, *out_w, 3] (caller frees), NULL when out of memory. */
#define CLI_HEAT_TITLE_H 24
#define CLI_HEAT_BAR_H 30
uint8_t *cli_heatmap_label(const uint8_t *tiles, int width, int height, int size, int nmaps, const char *title,
                           int *out_w, int *out_h);
void cli_heatmap_labelled_size(int width, int height, int *out_w, int *out_h);
/* The colormap at t in [0, 1], as bytes. */
void cli_colorbar_color(float t, uint8_t rgb[3]);
/* A horizontal colour bar (the colormap, low to high) at x, y of bw x bh with
 * a white frame and the texts lo and hi under its ends. */
void cli_draw_colorbar(uint8_t *rgb, int w, int h, int x, int y, int bw, int bh, const char *lo, const char *hi);
/* Blends map [grid, grid] (stretched over the whole image, bilinear, half-pixel
 * centres; normalized to its min..max) into rgb [height, width, 3] through the
 * inferno colormap with weight opacity x the normalized heat (where the heat
 * is 0 the image stays as it was). */
void cli_heat_blend(uint8_t *rgb, int width, int height, const float *map, int grid, float opacity);
/* Detector heat (vka_deform_heatmap, vka_detector_heatmap) on a CLI_DET_GRID² grid over the image. */
#define CLI_DET_GRID 48

/* Fills [x0, x1) x [y0, y1) of a w x h RGB8 image with c, clipped to the image (draw.c). */
void cli_fill_rect(uint8_t *rgb, int w, int h, int x0, int y0, int x1, int y1, const uint8_t c[3]);
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

/* Timings of the image commands (timings.c), as Ultralytics splits them:
 * preprocess (decode on the host), inference (the vision API's run: upload,
 * resize and normalize on the device, the model, outputs read back),
 * postprocess (top-k or box filtering and output). The build and the compile
 * on the first run are reported apart. */
typedef struct cli_timings {
    int images;
    double preprocess_ms, inference_ms, postprocess_ms; /* sums over images */
    double build_ms;             /* model import and graph build */
    double compile_ms;           /* first run minus a second run of the same image */
    int pipelines;               /* the context's, after the first run */
    double last_inference_ms;    /* of the image just run */
    int first_done;
} cli_timings;
void cli_timings_add(cli_timings *t, double pre, double inf, double post);
/* Around a model's load and build: a progress line when slow; sets build_ms
 * and pipelines. */
void cli_build_begin(const char *path);
void cli_build_end(cli_timings *t, vka_context *ctx);
/* run(user); the first time twice, with a progress line ("compiling N
 * pipelines, cached for next runs") while slow. Sets last_inference_ms. */
vka_status cli_timed_run(cli_timings *t, vka_context *ctx, vka_status (*run)(void *user), void *user);
/* "speed: ... per image; build, first-run compile" */
void cli_timings_print(const cli_timings *t, FILE *f);

/* Helpers shared by the image commands (cliutil.c). */
double cli_now_ms(void);
int cli_ends_with(const char *s, const char *suffix);
/* The positional arguments of argv[1..argc) (caller frees the array, not the
 * strings): options in `valued` (and --device) skip their value, `flags` (and
 * --validate) stand alone. NULL after printing an error naming `cmd` when an
 * option is unknown or lacks its value. */
const char **cli_positionals(int argc, char **argv, const char *cmd, const char *const *valued, int nvalued,
                             const char *const *flags, int nflags, int *npos);
/* Where the labels <file> (imagenet1000_simple.txt, coco80.txt) come from:
 * $VKATTN_ASSETS/labels/<file> when there, else the installed copy, else
 * "builtin:<file>": the names compiled in (labels_builtin.c). */
void cli_default_labels(char *buf, size_t n, const char *file);
extern const char *const cli_imagenet_labels[1000];
extern const char *const cli_coco80_labels[80];
/* The regular files in dir ending in suffix, sorted, as "dir/name" (free with
 * cli_free_labels); NULL with *n = 0 when there are none or dir is unreadable. */
char **cli_list_files(const char *dir, const char *suffix, int *n);
/* A line on stderr ("vkattn: MSG ...") once delay_ms pass before
 * cli_progress_end, which then adds " done in X s"; silent when quick (a warm
 * cache), and when stderr is not a terminal unless VKATTN_PROGRESS=1
 * (VKATTN_PROGRESS=0: never). Returns the ms between the two. One at a time. */
void cli_progress_begin(const char *msg, double delay_ms);
double cli_progress_end(void);
/* The image files of args: files as given, folders replaced by their images
 * (jpg, jpeg, png, bmp, gif, tga, ppm, pgm; sorted by name). Free with cli_free_labels. */
char **cli_expand_images(const char *const *args, int nargs, int *n);
/* COCO image_id of each path (README "JSON output"): the file stem as a number
 * when every stem is all digits (000000039769.jpg -> 39769), else the 1-based
 * position in the list. Returns 1 when numeric. */
int64_t cli_image_ids(const char *const *paths, int n, int64_t *ids);
/* One label per line; *n gets the count. NULL if the file cannot be read.
 * "builtin:imagenet1000_simple.txt" and "builtin:coco80.txt" are the built-in names. */
char **cli_read_labels(const char *path, int *n);
void cli_free_labels(char **labels, int n);
/* What classify and detect share before their model: the positional images
 * expanded (folders included) with their COCO image ids, the class names
 * (--labels, else cli_default_labels(default_labels)) and the context
 * (cli_context). */
typedef struct cli_batch {
    char **images;
    int nimg;
    int64_t *ids;
    char **labels;
    int nlabels;
    const char *labpath;
    char deflab[4096];
    vka_context *ctx;
} cli_batch;
/* 0, or 1 after saying on stderr what is missing (labels unreadable, no
 * images, no context); either way cli_batch_close frees what was made. */
int cli_batch_open(cli_batch *b, const char *cmd, const char *default_labels, int *argc, char **argv,
                   const char *const *args, int nargs);
/* Frees everything of b (destroy the model on b->ctx first); returns rc, or 1
 * after saying so when the context counted validation errors. */
int cli_batch_close(cli_batch *b, int rc);
/* The file name of path without directory and extension: *len chars from the result. */
const char *cli_stem(const char *path, int *len);
/* An output file per image: `out` itself for one image; with several, out's
 * stem gets _<image stem> (out/h.png + /x/cat.jpg -> out/h_cat.png). */
void cli_out_name(char *buf, size_t n, const char *out, const char *image, int several);
#endif
