/* SPDX-License-Identifier: MIT */
/* view.c — `vkattn view`: a live window on a model. Frames come from a source
 * on its own thread (camera, image, folder, synthetic), run through the model
 * on the device, and are composited there with the boxes, the per-head
 * attention heatmap and a HUD into the image the swapchain presents. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL2/SDL.h>

#include "capture.h"
#include "cli.h"
#include "compose.h"
#include "font.h"
#include "present.h"

static void view_usage(void)
{
    printf(
        "usage: vkattn view MODEL [--source S] [options]\n"
        "  A window showing MODEL live on frames from S: an ONNX/safetensors ViT classifier (the CLS\n"
        "  token's attention per head as a heatmap over the crop it saw, top-1 class in the HUD) or an\n"
        "  RT-DETR-family detector (DEIMv2; boxes with class and score, and where the decoder's\n"
        "  deformable attention sampled for the selected box or all boxes). The frame, heatmap, boxes and\n"
        "  text are composited on the GPU that runs the model and presented through a Vulkan swapchain\n"
        "  on the same device; a device that cannot present to the window falls back to SDL_Renderer\n"
        "  (the HUD and the first line on stdout say which is used).\n"
        "  --source S       synthetic (default: moving shapes, for machines without a camera), an image\n"
        "                   file, a folder of images (played in a loop), or a V4L2 camera such as\n"
        "                   /dev/video0 (YUYV converted to RGB on the GPU, or MJPEG)\n"
        "  --capture WxH    camera or synthetic frame size (default: the camera's own; synthetic 640x480)\n"
        "  --fps N          camera rate, folder/synthetic pace (default: camera's own; folder 10; synthetic 30)\n"
        "  --mjpeg          prefer the camera's MJPEG to YUYV\n"
        "  --size WxH       window size (default 960x720)\n"
        "  --threshold T    detector: boxes with score >= T (default 0.5)\n"
        "  --heatmap        start with the heatmap on (key a/h also turn it on)\n"
        "  --opacity A      heatmap weight over the frame, 0..1 (default 0.55)\n"
        "  --labels FILE    class names (default $VKATTN_ASSETS/labels/coco80.txt or imagenet1000_simple.txt)\n"
        "  --frames N       render N frames once the first inference has finished, then exit (headless runs)\n"
        "  --screenshot F   with --frames: save the last frame as PNG F; key s saves F-1.png, F-2.png, ...\n"
        "                   (default vkattn-view-1.png, ...)\n"
        "  --script LIST    keys pressed at given frames, for tests and demos: \"3:h,5:s,6:resize=640x480\"\n"
        "                   (frame:key, keys as below by name: h H a l tab shift-tab plus minus m space s\n"
        "                   q; resize=WxH resizes the window)\n"
        "  --present P      vulkan (default) or sdl (SDL_Renderer: a download per frame)\n"
        "  --no-fuse        run the model without the fusion passes\n"
        "  --precision P    f32 (default), f16 or auto: storage of weights and activations\n"
        "  --slices N       submit each inference in N parts (default 8, 1..64): the model never blocks the\n"
        "                   window; on a device with one queue (lavapipe) frames go between the parts\n"
        "  --device, --validate as for every command\n"
        "keys:\n"
        "  h / H      next / previous head            a      average of the heads\n"
        "  l          next attention layer            Tab    select the next box (Shift-Tab previous;\n"
        "  + / -      threshold up / down by 0.05               past the last: all boxes)\n"
        "  m          model-only view (what the model saw)    space  pause the source\n"
        "  s          screenshot PNG                          q, Esc quit\n"
        "Any validation error (--validate) makes the exit status 1.\n");
}

typedef struct {
    int frame;
    char key[32];
} script_event;

typedef struct {
    /* options */
    const char *model_path, *source, *screenshot, *labels_path;
    int win_w, win_h, cap_w, cap_h, fps, mjpeg, frames, vulkan, fuse, slices;
    vka_precision precision;
    float threshold, opacity;
    script_event script[64];
    int nscript;
    /* state */
    int heatmap, head, avg, layer, nlayers, sel, model_view, paused, quit;
    int shots;
    char **names;
    int nnames;
} view_state;

static int parse_size(const char *s, int *w, int *h)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (*end != 'x')
        return 1;
    long b = strtol(end + 1, &end, 10);
    if (*end || a < 16 || b < 16 || a > 8192 || b > 8192)
        return 1;
    *w = (int)a, *h = (int)b;
    return 0;
}

/* The keys --script can press, by name. */
static const struct {
    const char *name;
    SDL_Keycode sym;
    Uint16 mod;
} keys[] = {
    {"h", SDLK_h, 0},           {"H", SDLK_h, KMOD_LSHIFT},   {"a", SDLK_a, 0},
    {"l", SDLK_l, 0},           {"tab", SDLK_TAB, 0},         {"shift-tab", SDLK_TAB, KMOD_LSHIFT},
    {"plus", SDLK_PLUS, 0},     {"minus", SDLK_MINUS, 0},     {"m", SDLK_m, 0},
    {"space", SDLK_SPACE, 0},   {"s", SDLK_s, 0},             {"q", SDLK_q, 0},
    {"esc", SDLK_ESCAPE, 0},
};

static int script_key_ok(const char *k)
{
    int w, h;
    if (!strncmp(k, "resize=", 7))
        return parse_size(k + 7, &w, &h) == 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(k, keys[i].name))
            return 1;
    return 0;
}

static int parse_script(view_state *v, const char *s)
{
    while (s && *s) {
        char *end;
        long f = strtol(s, &end, 10);
        if (end == s || *end != ':' || f < 1 || v->nscript >= 64)
            return 1;
        s = end + 1;
        size_t n = strcspn(s, ",");
        if (n == 0 || n >= sizeof v->script[0].key)
            return 1;
        v->script[v->nscript].frame = (int)f;
        memcpy(v->script[v->nscript].key, s, n);
        v->script[v->nscript].key[n] = 0;
        if (!script_key_ok(v->script[v->nscript++].key))
            return 1;
        s += n;
        if (*s == ',')
            s++;
    }
    return 0;
}

/* A scripted key as the SDL event a keyboard would give. */
static int push_key(SDL_Window *win, const char *k)
{
    int w, h;
    if (!strncmp(k, "resize=", 7)) {
        if (parse_size(k + 7, &w, &h))
            return 1;
        SDL_SetWindowSize(win, w, h);
        return 0;
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(k, keys[i].name)) {
            SDL_Event e = {.type = SDL_KEYDOWN};
            e.key.windowID = SDL_GetWindowID(win);
            e.key.state = SDL_PRESSED;
            e.key.keysym.sym = keys[i].sym;
            e.key.keysym.mod = keys[i].mod;
            return SDL_PushEvent(&e) < 0;
        }
    return 1;
}

static const char *class_name(const view_state *v, int64_t c, char *buf, size_t n)
{
    if (c >= 0 && c < v->nnames && v->names[c][0])
        return v->names[c];
    snprintf(buf, n, "class%lld", (long long)c);
    return buf;
}

/* ------------------------------------------------------------ geometry */

/* Where the frame's source rect lands in the window: letterboxed, centred. */
typedef struct {
    float sx0, sy0, sx1, sy1;      /* source rect, frame pixels */
    float dx, dy, dw, dh;          /* window rect */
} view_map;

static void fit(view_map *m, float sx0, float sy0, float sx1, float sy1, float aspect, int W, int H)
{
    m->sx0 = sx0, m->sy0 = sy0, m->sx1 = sx1, m->sy1 = sy1;
    float s = fminf((float)W / aspect, (float)H);
    m->dh = floorf(s), m->dw = floorf(s * aspect);
    m->dx = floorf((W - m->dw) / 2), m->dy = floorf((H - m->dh) / 2);
}

static float map_x(const view_map *m, float x) { return m->dx + (x - m->sx0) * m->dw / (m->sx1 - m->sx0); }
static float map_y(const view_map *m, float y) { return m->dy + (y - m->sy0) * m->dh / (m->sy1 - m->sy0); }

/* The classifier's CLS maps of a layer, [heads + 1, grid, grid] with their mean last (caller frees); NULL after
 * printing why. */
static float *cls_maps(vka_classifier *c, vka_context *ctx, int layer, int *heads, int *grid)
{
    vka_heatmap_info hi;
    float *maps = NULL;
    if (!vka_classifier_heatmaps(c, layer, NULL, 0, &hi)) {
        size_t bytes = sizeof(float) * (size_t)(hi.heads + 1) * (size_t)(hi.grid_h * hi.grid_w);
        if ((maps = malloc(bytes)) && vka_classifier_heatmaps(c, layer, maps, bytes, &hi))
            free(maps), maps = NULL;
    }
    if (!maps) {
        fprintf(stderr, "vkattn: view: %s\n", vka_context_last_error(ctx));
        return NULL;
    }
    *heads = hi.heads, *grid = hi.grid_h;
    return maps;
}

/* ------------------------------------------------------------ heat maps */

static void min_max(const float *m, int n, float *lo, float *hi)
{
    *lo = INFINITY, *hi = -INFINITY;
    for (int i = 0; i < n; i++)
        *lo = fminf(*lo, m[i]), *hi = fmaxf(*hi, m[i]);
    if (!(*hi > *lo))
        *hi = *lo + 1e-6f;
}

/* ------------------------------------------------------------ keys */

static void on_key(view_state *v, const SDL_KeyboardEvent *k, int heads, int nkept, capture *cap, composer *c)
{
    int shift = (k->keysym.mod & KMOD_SHIFT) != 0;
    switch (k->keysym.sym) {
    case SDLK_h:
        v->heatmap = 1, v->avg = 0;
        if (heads > 0)
            v->head = (v->head + (shift ? heads - 1 : 1)) % heads;
        break;
    case SDLK_a: v->heatmap = 1, v->avg = !v->avg; break;
    case SDLK_l:
        if (v->nlayers > 0)
            v->layer = (v->layer + (shift ? v->nlayers - 1 : 1)) % v->nlayers;
        break;
    case SDLK_TAB: /* boxes 0..nkept-1, then -1: all */
        v->sel = nkept < 1 ? -1 : shift ? (v->sel < 0 ? nkept - 1 : v->sel - 1) : (v->sel + 1 >= nkept ? -1 : v->sel + 1);
        break;
    case SDLK_PLUS: case SDLK_EQUALS: case SDLK_KP_PLUS: v->threshold = fminf(v->threshold + 0.05f, 0.95f); break;
    case SDLK_MINUS: case SDLK_KP_MINUS: v->threshold = fmaxf(v->threshold - 0.05f, 0.05f); break;
    case SDLK_m: v->model_view = !v->model_view; break;
    case SDLK_SPACE:
        v->paused = !v->paused;
        capture_pause(cap, v->paused);
        break;
    case SDLK_s: {
        char name[1100];
        const char *base = v->screenshot ? v->screenshot : "vkattn-view.png";
        int stem = (int)(cli_ends_with(base, ".png") ? strlen(base) - 4 : strlen(base));
        snprintf(name, sizeof name, "%.*s-%d.png", stem, base, ++v->shots);
        if (composer_screenshot(c, name))
            fprintf(stderr, "vkattn: view: screenshot %s: %s\n", name, vka_last_error());
        else
            printf("screenshot: %s\n", name);
        break;
    }
    case SDLK_q: case SDLK_ESCAPE: v->quit = 1; break;
    default: break;
    }
}

/* ------------------------------------------------------------ the command */

int cli_view(int argc, char **argv)
{
    if (argc < 2 || cli_flag(argc, argv, "-h") > 0 || cli_flag(argc, argv, "--help") > 0) {
        view_usage();
        return argc < 2 ? 2 : 0;
    }
    static const char *const valued[] = {"--source", "--capture", "--fps", "--size", "--threshold", "--opacity",
                                         "--labels", "--frames", "--screenshot", "--script", "--present", "--slices",
                                         "--precision"};
    static const char *const flags[] = {"--mjpeg", "--heatmap", "--no-fuse"};
    int npos;
    const char **pos = cli_positionals(argc, argv, "view", valued, 13, flags, 3, &npos);
    if (!pos)
        return 2;
    view_state v = {.win_w = 960, .win_h = 720, .threshold = 0.5f, .opacity = 0.55f, .vulkan = 1, .sel = -1,
                    .slices = 8};
    int bad = npos != 1;
    if (bad)
        fprintf(stderr, "vkattn: view needs one model (vkattn view --help)\n");
    v.model_path = npos ? pos[0] : NULL;
    free(pos);
    v.source = cli_opt(argc, argv, "--source", "synthetic");
    v.screenshot = cli_opt(argc, argv, "--screenshot", NULL);
    v.mjpeg = cli_flag(argc, argv, "--mjpeg") > 0;
    v.heatmap = cli_flag(argc, argv, "--heatmap") > 0;
    v.fuse = cli_flag(argc, argv, "--no-fuse") < 0;
    if (cli_precision(argc, argv, &v.precision))
        bad = 1;
    const char *o;
    char *end;
    if ((o = cli_opt(argc, argv, "--size", NULL)) && parse_size(o, &v.win_w, &v.win_h))
        bad = fprintf(stderr, "vkattn: view: --size \"%s\" is not WxH (16..8192)\n", o);
    if ((o = cli_opt(argc, argv, "--capture", NULL)) && parse_size(o, &v.cap_w, &v.cap_h))
        bad = fprintf(stderr, "vkattn: view: --capture \"%s\" is not WxH (16..8192)\n", o);
    if ((o = cli_opt(argc, argv, "--fps", NULL)) && ((v.fps = (int)strtol(o, &end, 10)) < 1 || *end || v.fps > 1000))
        bad = fprintf(stderr, "vkattn: view: --fps \"%s\" is not 1..1000\n", o);
    if ((o = cli_opt(argc, argv, "--slices", NULL)) && ((v.slices = (int)strtol(o, &end, 10)) < 1 || *end || v.slices > 64))
        bad = fprintf(stderr, "vkattn: view: --slices \"%s\" is not 1..64\n", o);
    if ((o = cli_opt(argc, argv, "--frames", NULL)) && ((v.frames = (int)strtol(o, &end, 10)) < 1 || *end))
        bad = fprintf(stderr, "vkattn: view: --frames \"%s\" is not a positive count\n", o);
    if ((o = cli_opt(argc, argv, "--threshold", NULL)) &&
        (!((v.threshold = strtof(o, &end)) >= 0 && v.threshold <= 1) || *end))
        bad = fprintf(stderr, "vkattn: view: --threshold \"%s\" is not 0..1\n", o);
    if ((o = cli_opt(argc, argv, "--opacity", NULL)) && (!((v.opacity = strtof(o, &end)) >= 0 && v.opacity <= 1) || *end))
        bad = fprintf(stderr, "vkattn: view: --opacity \"%s\" is not 0..1\n", o);
    if ((o = cli_opt(argc, argv, "--script", NULL)) && parse_script(&v, o))
        bad = fprintf(stderr, "vkattn: view: --script \"%s\" is not frame:key[,frame:key...] with frames from 1 and "
                            "keys h H a l tab shift-tab plus minus m space s q esc resize=WxH\n", o);
    if ((o = cli_opt(argc, argv, "--present", NULL)) && strcmp(o, "vulkan") && strcmp(o, "sdl"))
        bad = fprintf(stderr, "vkattn: view: --present \"%s\" is not vulkan or sdl\n", o);
    v.vulkan = !o || !strcmp(o, "vulkan");
    if (bad)
        return 2;

    int rc = 1;
    SDL_Window *win = NULL;
    vka_context *ctx = NULL;
    presenter *pr = NULL;
    composer *comp = NULL;
    capture *cap = NULL;
    vka_classifier *cm = NULL; /* the model: a classifier or a detector */
    vka_detector *dm = NULL;
    vka_graph *mg = NULL;
    cap_frame fr = {0};
    /* Two frames on the device: the one on screen (whose results are drawn)
     * and the one in the model; a new frame goes into the one not on screen
     * when the model is free. Before the first result the frame in the model
     * is shown without overlays. */
    vka_tensor *frame_rgb[2] = {NULL, NULL}, *frame_yuyv = NULL;
    int slot_w[2] = {0, 0}, slot_h[2] = {0, 0}, shown_slot = -1, infer_slot = -1, have_result = 0;
    vka_cmd *conv = NULL;
    float *loc = NULL, *wts = NULL, *heat = NULL, *cls = NULL, *avg = NULL;
    int cls_layer = -1;
    size_t per_layer = 0;
    char err[512];

    /* the source first: a wrong path fails before the window and the model */
    cap_params cpar = {.source = v.source, .width = v.cap_w, .height = v.cap_h, .fps = v.fps, .prefer_mjpeg = v.mjpeg};
    if (!(cap = capture_open(&cpar, err, sizeof err))) {
        fprintf(stderr, "vkattn: view: %s\n", err);
        return 1;
    }
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "vkattn: view: SDL_Init: %s (no display? run under xvfb-run)\n", SDL_GetError());
        capture_close(cap);
        return 1;
    }
    win = SDL_CreateWindow("vkattn view", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, v.win_w, v.win_h,
                           SDL_WINDOW_RESIZABLE | (v.vulkan ? SDL_WINDOW_VULKAN : 0));
    if (!win && v.vulkan) { /* SDL without Vulkan support: present through its renderer */
        fprintf(stderr, "vkattn: view: SDL cannot make a Vulkan window (%s); using SDL_Renderer\n", SDL_GetError());
        v.vulkan = 0;
        win = SDL_CreateWindow("vkattn view", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, v.win_w, v.win_h,
                               SDL_WINDOW_RESIZABLE);
    }
    if (!win) {
        fprintf(stderr, "vkattn: view: SDL_CreateWindow: %s\n", SDL_GetError());
        goto out;
    }
    /* the runtime's context, made able to present to this window */
    {
        vka_context_params cp = vka_context_default_params();
        if (v.vulkan)
            presenter_context_params(win, &cp);
        int i = cli_flag(argc, argv, "--device");
        if (i > 0 && i + 1 < argc) {
            long d = strtol(argv[i + 1], &end, 10);
            if (*end == 0)
                cp.device_index = (int)d;
            else
                cp.device_name = argv[i + 1];
        }
        if (cli_flag(argc, argv, "--validate") > 0)
            cp.validation = 1;
        if (!(ctx = vka_context_create(&cp))) {
            fprintf(stderr, "vkattn: %s\n", vka_last_error());
            goto out;
        }
    }
    if (!(pr = presenter_create(win, ctx, v.vulkan, err, sizeof err))) {
        fprintf(stderr, "vkattn: view: cannot present: %s\n", err);
        goto out;
    }
    const char *devname = vka_context_device(ctx)->name;
    printf("vkattn view: %s on %s\n", presenter_describe(pr), devname);

    /* two inputs (image and its size): a detector */
    mg = cli_ends_with(v.model_path, ".safetensors") ? vka_vit_from_safetensors(ctx, v.model_path, NULL)
                                                     : vka_onnx_load(ctx, v.model_path, NULL);
    int det = mg && vka_graph_input_count(mg) == 2;
    if (mg && det) {
        vka_detector_params dp = vka_detector_default_params();
        dp.fuse = v.fuse, dp.heatmaps = 1, dp.clip = 0, dp.precision = v.precision;
        dm = vka_detector_create_graph(mg, &dp);
        mg = dm ? vka_detector_graph(dm) : NULL;
    } else if (mg) {
        vka_classifier_params cp = vka_classifier_default_params();
        cp.fuse = v.fuse, cp.heatmaps = 1, cp.precision = v.precision;
        cm = vka_classifier_create_graph(mg, &cp);
        mg = cm ? vka_classifier_graph(cm) : NULL;
    }
    if (!mg) {
        fprintf(stderr, "vkattn: %s\n", vka_last_error());
        goto out;
    }
    char deflab[4096];
    cli_default_labels(deflab, sizeof deflab, det ? "coco80.txt" : "imagenet1000_simple.txt");
    v.labels_path = cli_opt(argc, argv, "--labels", deflab);
    v.names = cli_read_labels(v.labels_path, &v.nnames);
    if (!v.names)
        fprintf(stderr, "vkattn: view: warning: no labels at %s; naming classes classN\n", v.labels_path);
    v.nlayers = det ? vka_graph_deform_count(mg) : vka_graph_attention_count(mg);
    v.layer = v.nlayers - 1;
    vka_deform_probe_info info = {0};
    if (det && v.nlayers > 0) { /* every layer's sampling, read when a run finishes */
        vka_graph_deform_probe(mg, -1, NULL, 0, NULL, 0, &info);
        per_layer = (size_t)(info.batch * info.queries * info.heads * info.points);
        loc = malloc(sizeof(float) * 2 * per_layer * (size_t)v.nlayers);
        wts = malloc(sizeof(float) * per_layer * (size_t)v.nlayers);
    }
    heat = malloc(sizeof(float) * CLI_DET_GRID * CLI_DET_GRID);

    if (capture_start(cap)) {
        fprintf(stderr, "vkattn: view: %s\n", capture_error(cap));
        goto out;
    }
    int W, H;
    presenter_size(pr, &W, &H);
    if (!(comp = composer_create(ctx, presenter_bgra(pr), W, H)) || !(conv = vka_cmd_create(ctx))) {
        fprintf(stderr, "vkattn: view: %s\n", vka_context_last_error(ctx));
        goto out;
    }

    double t_start = cli_now_ms(), t_last = t_start, fps = 0, infer_ms = 0, first_wait = cli_now_ms(), t_submit = 0;
    /* steady state: per-phase sums over the frames after the first WARM (pipelines compiled, caches warm) */
    enum { WARM = 3 };
    double t_warm = 0, sum_infer = 0, sum_overlay = 0, sum_compose = 0, sum_present = 0, t_phase = 0, ms_infer = 0;
    int n_infer = 0;
    /* shown: frames presented; counted: those with results (--frames, --script); during: presented while
     * an inference ran */
    int shown = 0, counted = 0, during = 0, ninfer = 0, heads = 0, grid = 0, nkept = 0, next_script = 0;
    vka_detection kept[512];
    float top_p = 0;
    int64_t top_c = -1;
    while (!v.quit) {
        /* scripted keys of the coming frame (numbered from 1 once a result is in) */
        for (int i = 0; i < v.nscript; i++)
            if (have_result && v.script[i].frame == counted + 1 && i >= next_script) {
                if (push_key(win, v.script[i].key))
                    fprintf(stderr, "vkattn: view: --script: unknown key \"%s\"\n", v.script[i].key);
                next_script = i + 1;
            }
        SDL_Event e;
        int resized = 0;
        while (SDL_PollEvent(&e)) {
            if (e.type == SDL_QUIT)
                v.quit = 1;
            else if (e.type == SDL_KEYDOWN)
                on_key(&v, &e.key, heads, nkept, cap, comp);
            else if (e.type == SDL_WINDOWEVENT && e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
                resized = 1;
        }
        if (v.quit)
            break;
        if (resized) {
            if (presenter_resize(pr) < 0) {
                fprintf(stderr, "vkattn: view: %s\n", presenter_error(pr));
                goto out;
            }
            presenter_size(pr, &W, &H);
            if (composer_resize(comp, W, H)) {
                fprintf(stderr, "vkattn: view: %s\n", vka_context_last_error(ctx));
                goto out;
            }
        }

        /* the inference in flight: finished? (paused: wait for it, so that the picture freezes with its results) */
        if (infer_slot >= 0) {
            vka_status s = det ? (v.paused ? vka_detector_wait(dm, -1) : vka_detector_poll(dm))
                               : (v.paused ? vka_classifier_wait(cm, -1) : vka_classifier_poll(cm));
            if (s && s != VKA_NOT_READY) {
                fprintf(stderr, "vkattn: view: inference: %s\n", vka_context_last_error(ctx));
                goto out;
            }
            if (s == VKA_OK) {
                infer_ms = ms_infer = cli_now_ms() - t_submit;
                shown_slot = infer_slot, infer_slot = -1, have_result = 1, ninfer++;
                for (int l = 0; det && loc && l < v.nlayers; l++)
                    if (vka_graph_deform_probe(mg, l, loc + (size_t)l * 2 * per_layer, sizeof(float) * 2 * per_layer,
                                               wts + (size_t)l * per_layer, sizeof(float) * per_layer, NULL)) {
                        fprintf(stderr, "vkattn: view: probe: %s\n", vka_context_last_error(ctx));
                        goto out;
                    }
                cls_layer = -1; /* new attention: the maps are read again */
            }
        }
        /* ViT heat maps of the shown layer, read while the model is free (they need its saved tensors) */
        if (!det && have_result && infer_slot < 0 && v.heatmap && cls_layer != v.layer) {
            free(cls);
            cls = cls_maps(cm, ctx, v.layer, &heads, &grid);
            cls_layer = v.layer;
        }

        /* a new frame, when the model is free: to the device (YUYV converted there) into the frame not on
         * screen, preprocessed into the model's input, and the model submitted without waiting */
        int r = infer_slot < 0 ? capture_latest(cap, fr.seq, &fr) : 0;
        if (r < 0) {
            fprintf(stderr, "vkattn: view: %s\n", capture_error(cap));
            goto out;
        }
        if (r) {
            int k = shown_slot == 0 ? 1 : 0;
            int64_t rs[3] = {fr.height, fr.width, 3}, ys[2] = {fr.height, 2 * (int64_t)fr.width};
            vka_status s = VKA_OK;
            if (!frame_rgb[k] || slot_w[k] != fr.width || slot_h[k] != fr.height) {
                vka_tensor_destroy(frame_rgb[k]);
                if (!(frame_rgb[k] = vka_tensor_create(ctx, VKA_U8, 3, rs)))
                    s = VKA_ERR_OUT_OF_MEMORY;
                slot_w[k] = fr.width, slot_h[k] = fr.height;
            }
            if (!s && fr.format == CAP_YUYV) {
                if (frame_yuyv && (vka_tensor_dim(frame_yuyv, 0) != ys[0] || vka_tensor_dim(frame_yuyv, 1) != ys[1])) {
                    vka_tensor_destroy(frame_yuyv);
                    frame_yuyv = NULL;
                }
                if (!frame_yuyv && !(frame_yuyv = vka_tensor_create(ctx, VKA_U8, 2, ys)))
                    s = VKA_ERR_OUT_OF_MEMORY;
                if (!s && !(s = vka_tensor_upload(frame_yuyv, fr.data, fr.bytes)) && !(s = vka_cmd_begin(conv)) &&
                    !(s = vka_yuyv_to_rgb(conv, frame_yuyv, frame_rgb[k])) && !(s = vka_cmd_end(conv)))
                    s = vka_cmd_submit(conv);
            } else if (!s) {
                s = vka_tensor_upload(frame_rgb[k], fr.data, fr.bytes);
            }
            vka_frame vf = {.format = VKA_FRAME_RGB8, .tensor = frame_rgb[k]};
            vka_submit_params sp = vka_submit_default_params();
            sp.slices = v.slices;
            if (!s)
                s = det ? vka_detector_submit(dm, &vf, &sp) : vka_classifier_submit(cm, &vf, &sp);
            if (s) {
                fprintf(stderr, "vkattn: view: frame %llu: %s\n", (unsigned long long)fr.seq,
                        vka_context_last_error(ctx));
                goto out;
            }
            t_submit = cli_now_ms();
            infer_slot = k;
            if (!have_result) /* nothing to show yet but this frame */
                shown_slot = k;
        }
        if (shown_slot < 0) { /* nothing captured yet: keep the window alive, give up after 20 s */
            if (cli_now_ms() - first_wait > 20000) {
                fprintf(stderr, "vkattn: view: no frame from %s in 20 s\n", capture_describe(cap));
                goto out;
            }
            SDL_Delay(2);
            continue;
        }

        /* results of the last finished inference at the current settings */
        t_phase = cli_now_ms();
        const float *map = NULL;
        int gw = 0, gh = 0;
        float lo = 0, hi = 1;
        nkept = 0;
        if (det && have_result) {
            nkept = vka_detector_results(dm, v.threshold, kept, 512);
            nkept = nkept < 512 ? nkept : 512;
            if (v.sel >= nkept)
                v.sel = -1;
            heads = (int)info.heads;
            if (v.heatmap && loc) {
                int64_t qs[512];
                int nq = 0;
                for (int i = 0; i < nkept; i++)
                    if ((v.sel < 0 || v.sel == i) && kept[i].query >= 0)
                        qs[nq++] = kept[i].query;
                vka_deform_heatmap(loc + (size_t)v.layer * 2 * per_layer, wts + (size_t)v.layer * per_layer, &info, qs,
                                   nq, v.avg ? -1 : v.head, CLI_DET_GRID, heat);
                map = heat, gw = gh = CLI_DET_GRID;
                min_max(heat, CLI_DET_GRID * CLI_DET_GRID, &lo, &hi);
                lo = 0;
            }
        } else if (!det && have_result) {
            vka_class_score t1 = {0};
            vka_classifier_top(cm, 1, &t1);
            top_c = t1.index;
            top_p = (float)t1.prob;
            if (v.heatmap && cls && cls_layer == v.layer) {
                int hd = v.head < heads ? v.head : 0;
                map = cls + hd * grid * grid, gw = gh = grid;
                if (v.avg) { /* the mean map of the heads */
                    float *na = realloc(avg, sizeof(float) * (size_t)(grid * grid));
                    if (na) {
                        avg = na;
                        for (int k = 0; k < grid * grid; k++) {
                            float a = 0;
                            for (int h = 0; h < heads; h++)
                                a += cls[h * grid * grid + k];
                            avg[k] = a / heads;
                        }
                        map = avg;
                    }
                }
                min_max(map, grid * grid, &lo, &hi);
            }
        }

        /* geometry: the full frame on screen, or what the model saw */
        int sw = slot_w[shown_slot], shh = slot_h[shown_slot];
        float fw = (float)sw, fh = (float)shh, cr[4] = {0, 0, fw, fh};
        if (!det)
            vka_classifier_crop_rect(cm, sw, shh, cr);
        view_map vm;
        if (v.model_view && det)
            fit(&vm, 0, 0, fw, fh, 1.0f, W, H);
        else if (v.model_view)
            fit(&vm, cr[0], cr[1], cr[2], cr[3], (cr[2] - cr[0]) / (cr[3] - cr[1]), W, H);
        else
            fit(&vm, 0, 0, fw, fh, fw / fh, W, H);
        vka_draw_image_params ip = vka_draw_image_default_params();
        ip.src_x0 = (int)vm.sx0, ip.src_y0 = (int)vm.sy0, ip.src_x1 = (int)ceilf(vm.sx1), ip.src_y1 = (int)ceilf(vm.sy1);
        ip.dst_x = (int)vm.dx, ip.dst_y = (int)vm.dy, ip.dst_w = (int)vm.dw, ip.dst_h = (int)vm.dh;
        ip.bgra = presenter_bgra(pr);
        ip.heat_opacity = v.opacity, ip.heat_lo = lo, ip.heat_hi = hi;
        ip.map_x0 = cr[0], ip.map_y0 = cr[1], ip.map_x1 = cr[2], ip.map_y1 = cr[3];

        /* overlays: boxes and tags (window coordinates), sampling points, HUD */
        composer_begin(comp);
        char buf[160], nb[32];
        int hs = W >= 640 ? 2 : 1, lh = (CLI_FONT_H + 3) * hs;
        if (det) {
            for (int i = nkept - 1; i >= 0; i--) { /* surest last, on top */
                const vka_detection *k = &kept[i];
                const float *b = k->box;
                float wb[4] = {map_x(&vm, b[0]), map_y(&vm, b[1]), map_x(&vm, b[2]), map_y(&vm, b[3])};
                cli_detection_shape d;
                cli_detection_layout(W, H, wb, k->label, class_name(&v, k->label, nb, sizeof nb), k->score, &d);
                uint32_t col = 0xFF000000u | (uint32_t)d.color[0] << 16 | (uint32_t)d.color[1] << 8 | d.color[2];
                uint32_t ink = 0xFF000000u | (uint32_t)d.ink[0] << 16 | (uint32_t)d.ink[1] << 8 | d.ink[2];
                for (int j = 0; j < 5; j++)
                    composer_rect(comp, COMPOSE_OVERLAY, d.rects[j][0], d.rects[j][1], d.rects[j][2], d.rects[j][3], col);
                if (v.sel == i) { /* the selected box: a white frame just outside it */
                    int x0 = d.rects[0][0] - 2, y0 = d.rects[0][1] - 2, x1 = d.rects[0][2] + 2, y1 = d.rects[1][3] + 2;
                    composer_rect(comp, COMPOSE_OVERLAY, x0, y0, x1, y0 + 2, 0xFFFFFFFFu);
                    composer_rect(comp, COMPOSE_OVERLAY, x0, y1 - 2, x1, y1, 0xFFFFFFFFu);
                    composer_rect(comp, COMPOSE_OVERLAY, x0, y0 + 2, x0 + 2, y1 - 2, 0xFFFFFFFFu);
                    composer_rect(comp, COMPOSE_OVERLAY, x1 - 2, y0 + 2, x1, y1 - 2, 0xFFFFFFFFu);
                }
                composer_text(comp, d.text_x, d.text_y, d.text, d.scale, ink);
            }
            if (v.heatmap && v.sel >= 0 && loc && kept[v.sel].query >= 0) {
                /* the selected box's sampling points, size by weight */
                int64_t q = kept[v.sel].query;
                const float *ll = loc + (size_t)v.layer * 2 * per_layer, *ww = wts + (size_t)v.layer * per_layer;
                for (int64_t h = 0; h < info.heads; h++) {
                    if (!v.avg && h != v.head)
                        continue;
                    for (int64_t p = 0; p < info.points; p++) {
                        size_t k = (size_t)((q * info.heads + h) * info.points + p);
                        int x = (int)map_x(&vm, ll[2 * k] * fw), y = (int)map_y(&vm, ll[2 * k + 1] * fh);
                        int rad = 1 + (int)lrintf(4 * sqrtf(fminf(ww[k], 1.0f)));
                        composer_rect(comp, COMPOSE_OVERLAY, x - rad, y - rad, x + rad + 1, y + rad + 1, 0xC000FFFFu);
                    }
                }
            }
        }
        /* HUD */
        const char *lines[6];
        char l0[320], l1[320], l2[320], l3[320], l4[320];
        uint64_t ncap = 0, dropped = 0;
        capture_stats(cap, &ncap, &dropped);
        snprintf(l0, sizeof l0, "%.200s", devname);
        snprintf(l1, sizeof l1, "FPS %.1f  infer %.1f ms%s  capture %.1f ms  dropped %llu", fps, infer_ms,
                 infer_slot >= 0 ? "*" : "", fr.capture_ms, (unsigned long long)dropped);
        snprintf(l2, sizeof l2, "%s%s", capture_describe(cap), v.paused ? "  PAUSED" : "");
        if (!have_result)
            snprintf(l3, sizeof l3, "waiting for the first inference");
        else if (det)
            snprintf(l3, sizeof l3, "%d boxes >= %.2f  %s", nkept, v.threshold,
                     v.sel < 0 ? "all boxes" : class_name(&v, kept[v.sel].label, nb, sizeof nb));
        else
            snprintf(l3, sizeof l3, "top-1 %s %.2f", class_name(&v, top_c, nb, sizeof nb), top_p);
        if (v.avg)
            snprintf(buf, sizeof buf, "heads avg of %d", heads);
        else
            snprintf(buf, sizeof buf, "head %d of %d", v.head + 1, heads);
        snprintf(l4, sizeof l4, "%s  layer %d of %d%s%s", v.heatmap ? buf : "heatmap off", v.layer + 1, v.nlayers,
                 v.model_view ? "  model view" : "", presenter_is_vulkan(pr) ? "" : "  SDL_Renderer");
        lines[0] = l0, lines[1] = l1, lines[2] = l2, lines[3] = l3, lines[4] = l4;
        int pw = 0;
        for (int i = 0; i < 5; i++) {
            int tw = cli_font_text_width(lines[i], hs);
            pw = tw > pw ? tw : pw;
        }
        composer_rect(comp, COMPOSE_HUD, 0, 0, pw + 4 * hs + 4, 5 * lh + 4 * hs, 0xB0000000u);
        for (int i = 0; i < 5; i++)
            composer_text(comp, 2 * hs + 2, 2 * hs + i * lh, lines[i], hs, i == 1 ? 0xFFFFE119u : 0xFFFFFFFFu);

        /* compositing and presenting go to the queue behind the model's slice in flight (one queue) */
        double t_compose = cli_now_ms();
        if (composer_draw(comp, frame_rgb[shown_slot], &ip, map, gw, gh)) {
            fprintf(stderr, "vkattn: view: compositing: %s\n", vka_context_last_error(ctx));
            goto out;
        }
        double t_present = cli_now_ms();
        int sr = presenter_show(pr, composer_image(comp));
        if (sr < 0) {
            fprintf(stderr, "vkattn: view: %s\n", presenter_error(pr));
            goto out;
        }
        if (sr == 1) { /* swapchain rebuilt: the image must follow */
            presenter_size(pr, &W, &H);
            if (composer_resize(comp, W, H))
                goto out;
            continue;
        }
        shown++;
        counted += have_result;
        during += infer_slot >= 0;
        double now = cli_now_ms();
        if (counted == WARM) {
            t_warm = now;
        } else if (counted > WARM) {
            sum_overlay += t_compose - t_phase, sum_compose += t_present - t_compose, sum_present += now - t_present;
            if (ms_infer > 0)
                sum_infer += ms_infer, n_infer++;
        }
        ms_infer = 0;
        fps = fps == 0 ? 1000.0 / fmax(now - t_last, 1e-3) : 0.8 * fps + 0.2 * 1000.0 / fmax(now - t_last, 1e-3);
        t_last = now;
        if (v.frames && counted >= v.frames)
            break;
    }
    if (v.frames && v.screenshot && counted >= v.frames) {
        if (composer_screenshot(comp, v.screenshot)) {
            fprintf(stderr, "vkattn: view: screenshot %s: %s\n", v.screenshot, vka_last_error());
            goto out;
        }
        printf("screenshot: %s (%dx%d)\n", v.screenshot, W, H);
    }
    {
        uint64_t ncap = 0, dropped = 0;
        capture_stats(cap, &ncap, &dropped);
        double secs = (cli_now_ms() - t_start) / 1000.0;
        printf("frames %d in %.2f s (%.2f fps), last inference %.1f ms, captured %llu, dropped %llu, %s builds %d\n",
               shown, secs, shown / fmax(secs, 1e-9), infer_ms, (unsigned long long)ncap, (unsigned long long)dropped,
               presenter_is_vulkan(pr) ? "swapchain" : "texture", presenter_rebuilds(pr));
        printf("non-blocking: %d of %d frames presented while an inference ran (%d inferences in %d slices each)\n",
               during, shown, ninfer, v.slices);
        int n = counted - WARM;
        if (n > 0)
            printf("steady state (frames %d..%d): %.2f fps; per frame: inference %.1f ms (%d runs), overlays %.1f ms, "
                   "compositing %.1f ms, present %.1f ms\n", WARM + 1, counted, n / fmax((t_last - t_warm) / 1000.0, 1e-9),
                   n_infer ? sum_infer / n_infer : 0.0, n_infer, sum_overlay / n, sum_compose / n, sum_present / n);
    }
    rc = 0;
out:
    capture_close(cap);
    cap_frame_free(&fr);
    free(loc), free(wts), free(heat), free(cls), free(avg);
    vka_cmd_destroy(conv);
    composer_destroy(comp);
    /* these wait for an inference still running, before its input frame goes */
    vka_classifier_destroy(cm);
    vka_detector_destroy(dm);
    vka_tensor_destroy(frame_rgb[0]);
    vka_tensor_destroy(frame_rgb[1]);
    vka_tensor_destroy(frame_yuyv);
    presenter_destroy(pr);
    if (ctx && vka_context_validation_errors(ctx)) {
        fprintf(stderr, "vkattn: %d validation errors\n", vka_context_validation_errors(ctx));
        rc = 1;
    }
    vka_context_destroy(ctx);
    cli_free_labels(v.names, v.nnames);
    if (win)
        SDL_DestroyWindow(win);
    SDL_Quit();
    return rc;
}
