/* SPDX-License-Identifier: MIT */
/* timings.c — where an image command's time goes: preprocess / inference /
 * postprocess per image, the build, and the pipelines a driver compiles on
 * the first run, reported apart (with a progress line while it is slow). */
#include <stdio.h>

#include "cli.h"

void cli_timings_add(cli_timings *t, double pre, double inf, double post)
{
    t->images++;
    t->preprocess_ms += pre;
    t->inference_ms += inf;
    t->postprocess_ms += post;
}

void cli_build_begin(const char *path)
{
    char msg[512];
    snprintf(msg, sizeof msg, "loading and building %s", path);
    cli_progress_begin(msg, 1500);
}

void cli_build_end(cli_timings *t, vka_context *ctx)
{
    t->build_ms = cli_progress_end();
    t->pipelines = vka_context_pipeline_count(ctx);
    t->last_inference_ms = -1;
}

vka_status cli_timed_run(cli_timings *t, vka_context *ctx, vka_status (*run)(void *user), void *user)
{
    double a = cli_now_ms();
    if (t->first_done) {
        vka_status s = run(user);
        t->last_inference_ms = cli_now_ms() - a;
        return s;
    }
    /* the first run: a driver may compile its pipelines now (lavapipe does);
     * run the image twice and report the difference as compile time */
    t->first_done = 1;
    char msg[160];
    snprintf(msg, sizeof msg, "compiling %d pipelines, cached for next runs", t->pipelines);
    cli_progress_begin(msg, 1000);
    vka_status s = run(user);
    double first = cli_progress_end();
    if (s)
        return s;
    t->pipelines = vka_context_pipeline_count(ctx); /* some are made on the first run */
    a = cli_now_ms();
    s = run(user);
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
