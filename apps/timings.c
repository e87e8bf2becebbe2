/* timings.c — where an image command's time goes: preprocess / inference /
 * postprocess per image, the build, and the pipelines a driver compiles on
 * the first run, reported apart (with a progress line while it is slow). */
#include <stdio.h>

#include "cli.h"
#include "vision.h"

void cli_timings_add(cli_timings *t, double pre, double inf, double post)
{
    t->images++;
    t->preprocess_ms += pre;
    t->inference_ms += inf;
    t->postprocess_ms += post;
}

int cli_load_model(vision_model *m, vka_context *ctx, const char *path, int kind, const vision_options *o,
                   cli_timings *t)
{
    char msg[512];
    snprintf(msg, sizeof msg, "loading and building %s", path);
    cli_progress_begin(msg, 1500);
    int rc = vision_load(m, ctx, path, (vision_kind)kind, o);
    t->build_ms = cli_progress_end();
    t->pipelines = vka_context_pipeline_count(ctx);
    t->last_inference_ms = -1;
    return rc;
}

vka_status cli_first_run(vision_model *m, vka_tensor *rgb, cli_timings *t)
{
    double a = cli_now_ms();
    if (t->first_done) {
        vka_status s = vision_run(m, rgb);
        t->last_inference_ms = cli_now_ms() - a;
        return s;
    }
    /* the first run: a driver may compile its pipelines now (lavapipe does);
     * run the image twice and report the difference as compile time */
    t->first_done = 1;
    char msg[160];
    snprintf(msg, sizeof msg, "compiling %d pipelines, cached for next runs", t->pipelines);
    cli_progress_begin(msg, 1000);
    vka_status s = vision_run(m, rgb);
    double first = cli_progress_end();
    if (s)
        return s;
    t->pipelines = vka_context_pipeline_count(m->ctx); /* some are made on the first run */
    a = cli_now_ms();
    s = vision_run(m, rgb);
    t->last_inference_ms = cli_now_ms() - a;
    t->compile_ms = first > t->last_inference_ms ? first - t->last_inference_ms : 0;
    return s;
}

void cli_timings_print(const cli_timings *t, FILE *f)
{
    if (!t->images)
        return;
    double n = t->images;
    fprintf(f,
            "speed: %.1f ms preprocess, %.1f ms inference, %.1f ms postprocess per image (mean of %d); "
            "build %.0f ms, first-run compile %.0f ms (%d pipelines)\n",
            t->preprocess_ms / n, t->inference_ms / n, t->postprocess_ms / n, t->images, t->build_ms, t->compile_ms,
            t->pipelines);
}
