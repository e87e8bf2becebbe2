/* SPDX-License-Identifier: MIT */
/* test_threads.c — contexts on threads of their own: two threads, started
 * together, each create a context (the first ones race to open the Vulkan
 * loader), load, build and run vit_tiny_ci against the ONNX Runtime golden
 * and destroy it, twice; a third lists the devices meanwhile. In CI this
 * checks results; ThreadSanitizer checks the rest by hand (README, "Threads"):
 *     cmake -B build-tsan -DCMAKE_C_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread
 *     cmake --build build-tsan --target test_threads && build-tsan/tests/test_threads */
#include <pthread.h>

#include "common.h"

static char model[4096];
static const vka_st_tensor *in, *gold;
static pthread_barrier_t start;

typedef struct {
    int id, runs;
    double worst;
    char err[512];
} job;

static void *worker(void *arg)
{
    job *j = arg;
    pthread_barrier_wait(&start);
    for (int round = 0; round < 2 && !j->err[0]; round++) {
        vka_context *ctx = vka_context_create(NULL);
        if (!ctx) {
            snprintf(j->err, sizeof j->err, "context: %s", vka_last_error());
            break;
        }
        vka_graph *g = vka_onnx_load(ctx, model, NULL);
        vka_status s = g ? vka_graph_build(g, NULL) : VKA_ERR_NOT_FOUND;
        if (!s)
            s = vka_graph_set_input(g, "pixel_values", in->data, in->bytes);
        for (int i = 0; i < 5 && !s; i++) {
            float out[10];
            vka_submit_params sp = vka_submit_default_params();
            sp.slices = 1 + (i + j->id) % 3;
            if (!(s = vka_graph_submit(g, &sp)) && !(s = vka_graph_wait(g, -1)))
                s = vka_graph_get_output(g, "logits", out, sizeof out);
            for (int k = 0; k < 10 && !s; k++) {
                double d = fabs(out[k] - ((const float *)gold->data)[k]);
                j->worst = d > j->worst || d != d ? d : j->worst;
            }
            j->runs += !s;
        }
        if (s)
            snprintf(j->err, sizeof j->err, "%s", vka_context_last_error(ctx));
        int verr = vka_context_validation_errors(ctx);
        if (verr && !j->err[0])
            snprintf(j->err, sizeof j->err, "%d validation errors", verr);
        vka_graph_destroy(g);
        vka_context_destroy(ctx);
    }
    return NULL;
}

static void *lister(void *arg)
{
    int *n = arg;
    pthread_barrier_wait(&start);
    for (int i = 0; i < 3; i++)
        if (vka_devices_list(NULL, 0, n))
            *n = -1;
    return NULL;
}

int main(int argc, char **argv)
{
    (void)argc;
    /* no vkt_init: its context would open the loader before the threads race for it */
    printf("%s\n", argv[0]);
    const char *mp = vkt_asset("models/vit_tiny_ci.onnx");
    if (!mp)
        return vkt_finish();
    snprintf(model, sizeof model, "%s", mp);
    const char *gp = vkt_asset("golden/vit_tiny_ci_rand.safetensors");
    vka_safetensors *st = gp ? vka_safetensors_open(gp) : NULL;
    if (!st)
        return vkt_finish();
    in = vka_safetensors_find(st, "pixel_values"), gold = vka_safetensors_find(st, "logits");
    pthread_barrier_init(&start, NULL, 3);
    job jobs[2] = {{.id = 0}, {.id = 1}};
    int ndev = 0;
    pthread_t th[3];
    pthread_create(&th[0], NULL, worker, &jobs[0]);
    pthread_create(&th[1], NULL, worker, &jobs[1]);
    pthread_create(&th[2], NULL, lister, &ndev);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++)
        vkt_check(!jobs[i].err[0] && jobs[i].runs == 10 && jobs[i].worst < 1e-5,
                  "thread %d: two contexts one after the other, %d runs of vit_tiny_ci, max abs err vs ONNX Runtime "
                  "%.2e (%s)", i, jobs[i].runs, jobs[i].worst, jobs[i].err[0] ? jobs[i].err : "ok");
    vkt_check(ndev > 0, "a third thread listed %d devices meanwhile", ndev);
    pthread_barrier_destroy(&start);
    vka_safetensors_close(st);
    return vkt_finish();
}
