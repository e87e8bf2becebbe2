/* SPDX-License-Identifier: MIT */
/* test_coopmat.c — per-device kernel choices: the cooperative-matrix choice
 * (vka_coopmat_choose) against tables of reported properties (NVIDIA-like,
 * AMD-like KHR only, none, near misses), what the context's device reports
 * (on lavapipe: "no cooperative matrix"), and the f16 GEMM that then runs
 * (the fallback) on an odd shape against float64, output poisoned with NaN
 * first; subgroup-size control: where the device has it, the kernels that
 * depend on the subgroup size are created with it required (seen in the
 * debug log) and still agree with float64 (under validation, any error in
 * the required-size chain fails). */
#include "common.h"

static vka_coopmat_entry E(uint32_t m, uint32_t n, uint32_t k, int a, int b, int c, int r)
{
    return (vka_coopmat_entry){m, n, k, a, b, c, r, 1};
}

static void expect(const char *what, const vka_coopmat_report *r, int want, const char *needle)
{
    char why[200];
    int got = vka_coopmat_choose(r, why, sizeof why);
    vkt_check(got == want && strstr(why, needle) != NULL, "%s: chosen %d (want %d): \"%s\"", what, got, want, why);
}

static void test_choice(void)
{
    /* NVIDIA (Turing and later) through VK_NV_cooperative_matrix: several shapes, 16x16x16 among them */
    vka_coopmat_report nv = {.nv_ext = 1, .khr_ext = 1, .subgroup_size = 32};
    nv.nv[nv.n_nv++] = E(16, 8, 16, VKA_F16, VKA_F16, VKA_F16, VKA_F16);
    nv.nv[nv.n_nv++] = E(16, 8, 8, VKA_F16, VKA_F16, VKA_F32, VKA_F32);
    nv.nv[nv.n_nv++] = E(16, 16, 16, VKA_F16, VKA_F16, VKA_F16, VKA_F16);
    nv.nv[nv.n_nv++] = E(16, 16, 16, VKA_F16, VKA_F16, VKA_F32, VKA_F32);
    nv.khr[nv.n_khr++] = E(16, 16, 16, VKA_F16, VKA_F16, VKA_F32, VKA_F32);
    expect("NVIDIA-like (NV 16x16x16 f16*f16+f32)", &nv, 1, "entry 3 of 4");
    /* the same without the fp32-accumulator entry: not chosen (the kernel accumulates in fp32) */
    vka_coopmat_report nv16 = nv;
    nv16.n_nv = 3;
    expect("NV with f16 accumulators only", &nv16, 0, "no 16x16x16 f16*f16+f32");
    /* the entry but a 64-wide subgroup: not chosen */
    vka_coopmat_report sg = nv;
    sg.subgroup_size = 64;
    expect("NV entry, 64-wide subgroup", &sg, 0, "32-wide");
    /* a workgroup-scope entry does not fit a subgroup-scope kernel */
    vka_coopmat_report ws = {.nv_ext = 1, .subgroup_size = 32};
    ws.nv[ws.n_nv] = E(16, 16, 16, VKA_F16, VKA_F16, VKA_F32, VKA_F32);
    ws.nv[ws.n_nv++].subgroup_scope = 0;
    expect("NV workgroup-scope entry", &ws, 0, "no 16x16x16");
    /* AMD RDNA3 (WMMA) reports only VK_KHR_cooperative_matrix, 16x16x16 with wave32 or wave64 */
    vka_coopmat_report amd = {.khr_ext = 1, .subgroup_size = 64};
    amd.khr[amd.n_khr++] = E(16, 16, 16, VKA_F16, VKA_F16, VKA_F32, VKA_F32);
    amd.khr[amd.n_khr++] = E(16, 16, 16, VKA_F16, VKA_F16, VKA_F16, VKA_F16);
    expect("AMD-like (KHR only)", &amd, 0, "cooperative_matrix only (2 entries, 16x16x16 f16*f16+f32 among them), and no KHR kernel");
    vka_coopmat_report none = {.subgroup_size = 8};
    expect("no extension (lavapipe-like)", &none, 0, "neither");
    expect("NULL report", NULL, 0, "no report");
}

static void test_device(vka_context *ctx)
{
    int chosen = -1;
    const char *why = NULL;
    const vka_coopmat_report *r = vka_context_coopmat(ctx, &chosen, &why);
    const vka_device_info *d = vka_context_device(ctx);
    char again[200];
    int pure = vka_coopmat_choose(r, again, sizeof again);
    vkt_check(r && why && (chosen == 0 || pure == 1) && (!chosen || r->nv_ext),
              "device %s: NV %d (%d entries), KHR %d (%d entries), subgroup %u: \"%s\"", d->name, r ? r->nv_ext : -1,
              r ? r->n_nv : -1, r ? r->khr_ext : -1, r ? r->n_khr : -1, r ? r->subgroup_size : 0, why ? why : "");
    if (strstr(d->driver_name, "llvmpipe"))
        vkt_check(!chosen && why && strstr(why, "no cooperative matrix") && !d->cooperative_matrix,
                  "lavapipe: no cooperative matrix (device info %d), the fallbacks run", d->cooperative_matrix);
}

/* An f16 GEMM with bias and residual on an odd shape: whatever kernel the device chose, against float64. */
static void test_f16_gemm(vka_context *ctx, int64_t M, int64_t N, int64_t K, const char *kernel)
{
    float *a = vkt_randn((size_t)(M * K), 1), *b = vkt_randn((size_t)(K * N), 1), *bias = vkt_randn((size_t)N, 1),
          *res = vkt_randn((size_t)(M * N), 1);
    vkt_round_f16(a, (size_t)(M * K)), vkt_round_f16(b, (size_t)(K * N)), vkt_round_f16(bias, (size_t)N);
    vkt_round_f16(res, (size_t)(M * N));
    vka_tensor *ta = vkt_tensor(ctx, VKA_F16, 2, (int64_t[]){M, K}, a), *tb = vkt_tensor(ctx, VKA_F16, 2, (int64_t[]){K, N}, b);
    vka_tensor *tbias = vkt_tensor(ctx, VKA_F16, 1, (int64_t[]){N}, bias);
    vka_tensor *tres = vkt_tensor(ctx, VKA_F16, 2, (int64_t[]){M, N}, res);
    vka_tensor *tc = vka_tensor_create(ctx, VKA_F16, 2, (int64_t[]){M, N});
    vkt_poison(tc);
    vka_gemm_desc d = vka_gemm_default_desc();
    d.bias = tbias;
    d.residual = tres;
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_status s = vka_cmd_enable_timestamps(cmd, 1); /* the timing labels name the kernel that ran */
    if (!s)
        s = vka_cmd_begin(cmd);
    if (!s)
        s = vka_gemm(cmd, &d, ta, tb, tc);
    if (!s)
        vkt_run(cmd); /* ends and submits */
    double *ref = malloc(sizeof *ref * (size_t)(M * N)), *mag = malloc(sizeof *mag * (size_t)(M * N));
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double acc = bias[j], m = fabs(bias[j]) + fabs(res[i * N + j]);
            for (int64_t k = 0; k < K; k++)
                acc += (double)a[i * K + k] * b[k * N + j], m += fabs((double)a[i * K + k] * b[k * N + j]);
            ref[i * N + j] = acc + res[i * N + j];
            mag[i * N + j] = m;
        }
    float *c = vkt_download(tc);
    int cm = 0;
    vka_context_coopmat(ctx, &cm, NULL);
    char w[160];
    snprintf(w, sizeof w, "f16 GEMM %lldx%lldx%lld + bias + residual (%s) vs float64", (long long)M, (long long)N,
             (long long)K, kernel ? kernel : cm ? "gemm_coopmat" : "fallback kernel");
    const char *ran = NULL;
    if (s)
        vkt_check(0, "%s: %s", w, vka_context_last_error(ctx));
    else if (vka_cmd_timing(cmd, 0, &ran, NULL) || !ran || (kernel && strcmp(ran, kernel)))
        vkt_check(0, "%s: the kernel that ran is %s", w, ran ? ran : "unknown");
    else
        vkt_compare_terms(w, c, ref, mag, (size_t)(M * N), 1e-2);
    if (!kernel && ran)
        vkt_check(cm || strncmp(ran, "gemm_coopmat", 12), "without a cooperative-matrix choice a fallback ran: %s", ran);
    free(c), free(ref), free(mag), free(a), free(b), free(bias), free(res);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(ta), vka_tensor_destroy(tb), vka_tensor_destroy(tbias), vka_tensor_destroy(tres);
    vka_tensor_destroy(tc);
}

static char sg_log[8192];
static void capture(void *user, int level, const char *msg)
{
    (void)user, (void)level;
    if (strstr(msg, "required subgroup size") && strlen(sg_log) + strlen(msg) + 2 < sizeof sg_log) {
        strcat(sg_log, msg);
        strcat(sg_log, "\n");
    }
}

/* A second context logging at debug level: which pipelines get a required subgroup size. */
static void test_subgroup_control(void)
{
    vka_context_params p = vka_context_default_params();
    p.log = capture;
    p.log_level = VKA_LOG_DEBUG;
    vka_context *ctx = vka_context_create(&p);
    if (!ctx) {
        vkt_check(0, "context: %s", vka_last_error());
        return;
    }
    const vka_device_info *d = vka_context_device(ctx);
    /* a softmax over odd rows: one subgroup per row (rowreduce.glsl) */
    const int64_t R = 13, C = 101;
    float *x = vkt_randn((size_t)(R * C), 2);
    vka_tensor *tx = vkt_tensor(ctx, VKA_F32, 2, (int64_t[]){R, C}, x), *ty = vka_tensor_create(ctx, VKA_F32, 2, (int64_t[]){R, C});
    vkt_poison(ty);
    vka_cmd *cmd = vka_cmd_create(ctx);
    vka_status s = vka_cmd_begin(cmd);
    if (!s)
        s = vka_softmax(cmd, tx, 1.0f, NULL, ty);
    if (!s) {
        vka_status e = vka_cmd_end(cmd);
        s = e ? e : vka_cmd_submit(cmd);
    }
    double *ref = malloc(sizeof *ref * (size_t)(R * C));
    for (int64_t r = 0; r < R; r++) {
        double mx = -INFINITY, sum = 0;
        for (int64_t c = 0; c < C; c++)
            mx = fmax(mx, x[r * C + c]);
        for (int64_t c = 0; c < C; c++)
            sum += exp(x[r * C + c] - mx);
        for (int64_t c = 0; c < C; c++)
            ref[r * C + c] = exp(x[r * C + c] - mx) / sum;
    }
    float *y = vkt_download(ty);
    if (s)
        vkt_check(0, "softmax: %s", vka_context_last_error(ctx));
    else
        vkt_compare("softmax 13x101 with the subgroup size required where controllable", y, ref, (size_t)(R * C), 1e-5);
    char want[64];
    snprintf(want, sizeof want, "pipeline softmax_f32: required subgroup size %u", d->subgroup_size);
    if (d->subgroup_size_control && d->subgroup_size >= d->min_subgroup_size && d->subgroup_size <= d->max_subgroup_size)
        vkt_check(strstr(sg_log, want) != NULL, "subgroup size control %u..%u: \"%s\" logged", d->min_subgroup_size,
                  d->max_subgroup_size, want);
    else
        vkt_check(sg_log[0] == 0, "no subgroup size control: no pipeline requires a size (log: \"%s\")", sg_log);
    vkt_check(vka_context_validation_errors(ctx) == 0, "subgroup-control context: %d validation errors",
              vka_context_validation_errors(ctx));
    free(x), free(y), free(ref);
    vka_cmd_destroy(cmd);
    vka_tensor_destroy(tx), vka_tensor_destroy(ty);
    vka_context_destroy(ctx);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    test_choice();
    test_device(ctx);
    if (vka_context_device(ctx)->fp16_storage)
        test_f16_gemm(ctx, 77, 45, 93, NULL);
    test_subgroup_control();
    /* the coopmat kernel's tiling, fragment offsets and epilogue with its matrix operations emulated */
    if (vka_context_device(ctx)->fp16_storage && vka_context_device(ctx)->fp16_arith) {
        vka_context *ec = vkt_context_coopmat_emulated(vkt_log, VKA_LOG_WARN);
        int cm = -1;
        const char *why = "";
        vka_context_coopmat(ec, &cm, &why);
        vkt_check(ec && !cm && strstr(why, "emulate"), "VKATTN_COOPMAT=emulate: \"%s\"", why);
        const int64_t shapes[4][3] = {{77, 45, 93}, {150, 131, 77}, {64, 64, 16}, {1, 200, 33}};
        for (int i = 0; ec && i < 4; i++)
            test_f16_gemm(ec, shapes[i][0], shapes[i][1], shapes[i][2], "gemm_coopmat_f16_emu");
        if (ec)
            vkt_check(vka_context_validation_errors(ec) == 0, "emulating context: %d validation errors",
                      vka_context_validation_errors(ec));
        vka_context_destroy(ec);
    }
    return vkt_finish();
}
