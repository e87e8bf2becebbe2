/* test_cli.c — the vkattn CLI as a user meets it: every command rejects an
 * unknown option and a bad value with exit status 2 and a message naming
 * them; global options go before or after the command; `devices --json`
 * parses (cJSON) and names the device as the library lists it. */
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common.h"
#include "cli_common.h"

/* Runs `vkattn ARGS`; *err gets stderr (caller frees). */
static int run_cli(const char *args, char **out, char **err)
{
    char cmd[2048], errpath[] = "/tmp/vkattn_test_cli_XXXXXX";
    int fd = mkstemp(errpath);
    if (fd >= 0)
        close(fd);
    snprintf(cmd, sizeof cmd, "'%s' %s 2>'%s'", cli_path(), args, errpath);
    int rc = run_cmd(cmd, out);
    *err = read_text(errpath);
    remove(errpath);
    return rc;
}

/* args must exit 2 with every one of the words in stderr. */
static void expect_usage_error(const char *args, const char *word1, const char *word2)
{
    char *out, *err;
    int rc = run_cli(args, &out, &err);
    vkt_check(rc == 2 && strstr(err, word1) && (!word2 || strstr(err, word2)),
              "vkattn %s: status %d (want 2), stderr names \"%s\"%s%s: \"%.200s\"", args, rc, word1,
              word2 ? " and " : "", word2 ? word2 : "", err);
    free(out), free(err);
}

static void check_options(void)
{
    /* one unknown option and one bad value for each command */
    static const struct {
        const char *args, *w1, *w2;
    } cases[] = {
        {"devices --jsn", "--jsn", NULL},
        {"devices --device 99", "--device 99", "no such device"},
        {"devices extra", "extra", NULL},
        {"run m.onnx --bogus", "--bogus", NULL},
        {"run m.onnx --input nofile", "--input", "NAME=FILE"},
        {"run m.onnx --output", "--output", "needs a value"},
        {"classify m.onnx a.jpg --tpo 3", "--tpo", NULL},
        {"classify m.onnx a.jpg --top abc", "--top", "abc"},
        {"classify m.onnx a.jpg --top 0", "--top", "out of range"},
        {"classify m.onnx a.jpg --layer 1.5", "--layer", "1.5"},
        {"classify m.onnx a.jpg --top=3", "--top=3", "--top 3"},
        {"detect m.onnx a.jpg --jsn", "--jsn", NULL},
        {"detect m.onnx a.jpg --threshold high", "--threshold", "high"},
        {"detect m.onnx a.jpg --threshold 2", "--threshold", "out of range"},
        {"detect m.onnx a.jpg --heatmap", "--heatmap", "--out"},
        {"view m.onnx --bogus", "--bogus", NULL},
        {"view m.onnx --fps fast", "--fps", "fast"},
        {"bench gemm --typo", "--typo", NULL},
        {"bench gemm --dtype bf16", "--dtype", "bf16"},
        {"bench gemm --runs abc", "--runs", "abc"},
        {"bench gemm --sizes 64,x", "--sizes", "x"},
        {"bench gemm --shapes 3x4x5y", "3x4x5y", NULL},
        {"bench attention --quik", "--quik", NULL},
        {"bench attention --dtype bf16", "--dtype", "bf16"},
        {"bench model m.onnx --tpo 3", "--tpo", NULL},
        {"bench model m.onnx --runs -3", "--runs", "out of range"},
        {"bench model", "model", NULL},
        {"bench nonesuch", "nonesuch", NULL},
        {"nonesuch", "nonesuch", NULL},
        {"--device", "--device", "needs a value"},
        {"--device 99 devices", "--device 99", "no such device"},
        {"bench gemm --device 99", "--device 99", "no such device"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_usage_error(cases[i].args, cases[i].w1, cases[i].w2);

    /* --help exits 0 for every command and benchmark */
    static const char *helps[] = {"--help", "devices --help", "run --help", "classify --help", "detect --help",
                                  "bench --help", "bench gemm --help", "bench attention --help",
                                  "bench model --help"};
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
        char *out, *err;
        int rc = run_cli(helps[i], &out, &err);
        vkt_check(rc == 0 && strstr(out, "usage"), "vkattn %s: status %d, usage printed %d", helps[i], rc,
                  strstr(out, "usage") != NULL);
        free(out), free(err);
    }
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* The UUID as devices prints it: 8-4-4-4-12 lowercase hex. */
static void uuid_text(const uint8_t u[16], char *buf)
{
    sprintf(buf, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4],
            u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static void check_devices_json(void)
{
    int n = 0;
    vka_devices_list(NULL, 0, &n);
    vka_device_info *d = calloc((size_t)(n ? n : 1), sizeof *d);
    vka_devices_list(d, n, &n);
    /* the global option before the command selects the last device */
    char args[64];
    snprintf(args, sizeof args, "--device %d devices --json", n - 1);
    char *out, *err;
    int rc = run_cli(args, &out, &err);
    cJSON *j = cJSON_Parse(out);
    vkt_check(rc == 0 && cJSON_IsArray(j) && cJSON_GetArraySize(j) == 1,
              "vkattn %s: status %d, a JSON array of one device (%d); stderr \"%.200s\"", args, rc,
              j ? cJSON_GetArraySize(j) : -1, err);
    const cJSON *o = cJSON_GetArrayItem(j, 0);
    const vka_device_info *x = &d[n - 1];
    char du[40], dr[40], conf[32];
    uuid_text(x->device_uuid, du);
    uuid_text(x->driver_uuid, dr);
    snprintf(conf, sizeof conf, "%u.%u.%u.%u", x->conformance_version[0], x->conformance_version[1],
             x->conformance_version[2], x->conformance_version[3]);
    const cJSON *dv = cJSON_GetObjectItemCaseSensitive(o, "driver_version"),
                *vid = cJSON_GetObjectItemCaseSensitive(o, "vendor_id"),
                *did = cJSON_GetObjectItemCaseSensitive(o, "device_id");
    vkt_check(o && !strcmp(jstr(o, "name"), x->name) && !strcmp(jstr(o, "driver_name"), x->driver_name) &&
                  !strcmp(jstr(o, "driver_info"), x->driver_info) && cJSON_IsNumber(dv) &&
                  (uint32_t)dv->valuedouble == x->driver_version && cJSON_IsNumber(vid) &&
                  (uint32_t)vid->valuedouble == x->vendor_id && cJSON_IsNumber(did) &&
                  (uint32_t)did->valuedouble == x->device_id,
              "devices --json: name \"%s\", driver \"%s\" \"%s\" version %.0f, vendor %.0f, device %.0f", jstr(o, "name"),
              jstr(o, "driver_name"), jstr(o, "driver_info"), dv ? dv->valuedouble : -1, vid ? vid->valuedouble : -1,
              did ? did->valuedouble : -1);
    vkt_check(!strcmp(jstr(o, "device_uuid"), du) && !strcmp(jstr(o, "driver_uuid"), dr) &&
                  !strcmp(jstr(o, "conformance_version"), conf) && strlen(jstr(o, "api_version")) >= 5 &&
                  strlen(jstr(o, "driver_version_str")) >= 3,
              "devices --json: device uuid %s (%s), driver uuid %s (%s), conformance %s (%s), api %s, driver %s",
              jstr(o, "device_uuid"), du, jstr(o, "driver_uuid"), dr, jstr(o, "conformance_version"), conf,
              jstr(o, "api_version"), jstr(o, "driver_version_str"));
    /* a known driver has its vulkaninfo name; lavapipe's is DRIVER_ID_MESA_LLVMPIPE */
    const char *id = jstr(o, "driver_id");
    vkt_check(x->driver_id == 0 || (!strncmp(id, "DRIVER_ID_", 10) || atoi(id) == (int)x->driver_id),
              "devices --json: driver_id \"%s\" (VkDriverId %u)", id, x->driver_id);
    if (!strcmp(x->driver_name, "llvmpipe"))
        vkt_check(!strcmp(id, "DRIVER_ID_MESA_LLVMPIPE"), "lavapipe's driver_id \"%s\"", id);
    cJSON_Delete(j);
    free(out), free(err), free(d);

    /* the text table carries the same identity; the global option after the command */
    rc = run_cli("devices --validate", &out, &err);
    vkt_check(rc == 0 && strstr(out, "uuid") && strstr(out, "conformance"),
              "devices --validate: status %d, uuid and conformance lines", rc);
    free(out), free(err);
}

int main(int argc, char **argv)
{
    vka_context *ctx = vkt_init(argc, argv);
    if (!ctx)
        return 1;
    check_options();
    check_devices_json();
    return vkt_finish();
}
