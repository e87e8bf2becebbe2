/* SPDX-License-Identifier: MIT */
/* devices.c — `vkattn devices`: the device table, as text or JSON, and the
 * device identity every benchmark report carries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"

/* VkDriverId names, as vulkaninfo prints them (DRIVER_ID_...). */
static const char *const driver_ids[] = {
    NULL,
    "AMD_PROPRIETARY",
    "AMD_OPEN_SOURCE",
    "MESA_RADV",
    "NVIDIA_PROPRIETARY",
    "INTEL_PROPRIETARY_WINDOWS",
    "INTEL_OPEN_SOURCE_MESA",
    "IMAGINATION_PROPRIETARY",
    "QUALCOMM_PROPRIETARY",
    "ARM_PROPRIETARY",
    "GOOGLE_SWIFTSHADER",
    "GGP_PROPRIETARY",
    "BROADCOM_PROPRIETARY",
    "MESA_LLVMPIPE",
    "MOLTENVK",
    "COREAVI_PROPRIETARY",
    "JUICE_PROPRIETARY",
    "VERISILICON_PROPRIETARY",
    "MESA_TURNIP",
    "MESA_V3DV",
    "MESA_PANVK",
    "SAMSUNG_PROPRIETARY",
    "MESA_VENUS",
    "MESA_DOZEN",
    "MESA_NVK",
    "IMAGINATION_OPEN_SOURCE_MESA",
    "MESA_HONEYKRISP",
    "VULKAN_SC_EMULATION_ON_VULKAN",
};

const char *cli_driver_id_str(uint32_t id, char *buf, size_t n)
{
    if (id < sizeof driver_ids / sizeof driver_ids[0] && driver_ids[id])
        snprintf(buf, n, "DRIVER_ID_%s", driver_ids[id]);
    else
        snprintf(buf, n, "%u", id);
    return buf;
}

/* driverVersion is vendor-encoded; decoded as vulkaninfo does. */
const char *cli_driver_version_str(const vka_device_info *x, char *buf, size_t n)
{
    uint32_t v = x->driver_version;
    if (x->vendor_id == 0x10DE)
        snprintf(buf, n, "%u.%u.%u.%u", v >> 22, (v >> 14) & 0xff, (v >> 6) & 0xff, v & 0x3f);
    else if (x->vendor_id == 0x8086 && x->driver_id == 5 /* Intel's Windows driver */)
        snprintf(buf, n, "%u.%u", v >> 14, v & 0x3fff);
    else
        snprintf(buf, n, "%u.%u.%u", v >> 22, (v >> 12) & 0x3ff, v & 0xfff);
    return buf;
}

static const char *uuid_str(const uint8_t u[16], char *buf)
{
    static const int dash[16] = {0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0};
    char *p = buf;
    for (int i = 0; i < 16; i++)
        p += sprintf(p, "%02x%s", u[i], dash[i] ? "-" : "");
    return buf;
}

cJSON *cli_device_json(const vka_device_info *x)
{
    cJSON *o = cJSON_CreateObject();
    char b[64];
    unsigned av = x->api_version;
    const uint8_t *cv = x->conformance_version;
    cJSON_AddNumberToObject(o, "index", x->index);
    cJSON_AddStringToObject(o, "name", x->name);
    cJSON_AddStringToObject(o, "vendor", x->vendor);
    cJSON_AddNumberToObject(o, "vendor_id", x->vendor_id);
    cJSON_AddNumberToObject(o, "device_id", x->device_id);
    cJSON_AddStringToObject(o, "type", vka_device_type_str(x->type));
    cJSON_AddStringToObject(o, "driver_name", x->driver_name);
    cJSON_AddStringToObject(o, "driver_info", x->driver_info);
    cJSON_AddStringToObject(o, "driver_id", cli_driver_id_str(x->driver_id, b, sizeof b));
    cJSON_AddNumberToObject(o, "driver_version", x->driver_version);
    cJSON_AddStringToObject(o, "driver_version_str", cli_driver_version_str(x, b, sizeof b));
    snprintf(b, sizeof b, "%u.%u.%u", av >> 22, (av >> 12) & 0x3ff, av & 0xfff);
    cJSON_AddStringToObject(o, "api_version", b);
    snprintf(b, sizeof b, "%u.%u.%u.%u", cv[0], cv[1], cv[2], cv[3]);
    cJSON_AddStringToObject(o, "conformance_version", b);
    cJSON_AddStringToObject(o, "device_uuid", uuid_str(x->device_uuid, b));
    cJSON_AddStringToObject(o, "driver_uuid", uuid_str(x->driver_uuid, b));
    cJSON_AddNumberToObject(o, "subgroup_size", x->subgroup_size);
    cJSON_AddNumberToObject(o, "max_shared_memory", x->max_shared_memory);
    cJSON_AddNumberToObject(o, "max_workgroup_invocations", x->max_workgroup_invocations);
    cJSON_AddNumberToObject(o, "max_storage_buffer_range", (double)x->max_storage_buffer_range);
    cJSON_AddNumberToObject(o, "device_local_bytes", (double)x->device_local_bytes);
    cJSON_AddNumberToObject(o, "timestamp_period_ns", x->timestamp_period_ns);
    cJSON_AddBoolToObject(o, "fp16_arith", x->fp16_arith);
    cJSON_AddBoolToObject(o, "fp16_storage", x->fp16_storage);
    cJSON_AddBoolToObject(o, "int8_arith", x->int8_arith);
    cJSON_AddBoolToObject(o, "subgroup_arith", x->subgroup_arith);
    cJSON_AddBoolToObject(o, "cooperative_matrix", x->cooperative_matrix);
    cJSON_AddBoolToObject(o, "host_visible_device_memory", x->host_visible_device_memory);
    cJSON_AddBoolToObject(o, "subgroup_size_control", x->subgroup_size_control);
    cJSON_AddNumberToObject(o, "min_subgroup_size", x->min_subgroup_size);
    cJSON_AddNumberToObject(o, "max_subgroup_size", x->max_subgroup_size);
    return o;
}

int cli_print_json(cJSON *j, FILE *f)
{
    char *s = j ? cJSON_Print(j) : NULL;
    if (!s) {
        fprintf(stderr, "vkattn: out of memory writing JSON\n");
        return 1;
    }
    fprintf(f, "%s\n", s);
    cJSON_free(s);
    return ferror(f) != 0;
}

static void print_text(const vka_device_info *x)
{
    unsigned av = x->api_version;
    const uint8_t *cv = x->conformance_version;
    char id[64], ver[64], du[40], dr[40];
    printf("device %d: %s\n", x->index, x->name);
    printf("  vendor        %s (0x%04x), device 0x%04x, %s\n", x->vendor, x->vendor_id, x->device_id,
           vka_device_type_str(x->type));
    printf("  driver        %s %s, Vulkan %u.%u.%u\n", x->driver_name, x->driver_info, av >> 22, (av >> 12) & 0x3ff,
           av & 0xfff);
    printf("                %s, version %s (0x%08x), conformance %u.%u.%u.%u\n",
           cli_driver_id_str(x->driver_id, id, sizeof id), cli_driver_version_str(x, ver, sizeof ver),
           x->driver_version, cv[0], cv[1], cv[2], cv[3]);
    printf("  uuid          device %s\n                driver %s\n", uuid_str(x->device_uuid, du),
           uuid_str(x->driver_uuid, dr));
    printf("  memory        %.1f GiB device-local%s\n", x->device_local_bytes / 1073741824.0,
           x->host_visible_device_memory ? ", host-visible (no staging)" : "");
    printf("  limits        subgroup %u, shared memory %u KiB, workgroup %u invocations,\n"
           "                maxStorageBufferRange %.0f MiB, timestamp period %g ns\n",
           x->subgroup_size, x->max_shared_memory / 1024, x->max_workgroup_invocations,
           x->max_storage_buffer_range / 1048576.0, x->timestamp_period_ns);
    printf("  features      fp16 storage %s, fp16 arithmetic %s, int8 %s, subgroup arithmetic %s,\n"
           "                cooperative matrix %s, subgroup size control %s (%u..%u)\n",
           x->fp16_storage ? "yes" : "no", x->fp16_arith ? "yes" : "no", x->int8_arith ? "yes" : "no",
           x->subgroup_arith ? "yes" : "no", x->cooperative_matrix ? "yes" : "no",
           x->subgroup_size_control ? "yes" : "no", x->min_subgroup_size, x->max_subgroup_size);
}

int cli_devices(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: vkattn devices [--json] [--device N|NAME]\n"
               "  Lists Vulkan devices with vendor, driver (name, info, VkDriverId, version, conformance\n"
               "  version), device and driver UUIDs, type, limits and features; --device lists only that one.\n"
               "  --json   an array of objects: index, name, vendor, vendor_id, device_id, type, driver_name,\n"
               "           driver_info, driver_id (\"DRIVER_ID_MESA_LLVMPIPE\"), driver_version (raw) and\n"
               "           driver_version_str (decoded as vulkaninfo does), api_version, conformance_version,\n"
               "           device_uuid, driver_uuid, subgroup_size, max_shared_memory,\n"
               "           max_workgroup_invocations, max_storage_buffer_range, device_local_bytes,\n"
               "           timestamp_period_ns, fp16_arith, fp16_storage, int8_arith, subgroup_arith,\n"
               "           cooperative_matrix, host_visible_device_memory, subgroup_size_control,\n"
               "           min_subgroup_size, max_subgroup_size\n");
        return 0;
    }
    static const cli_optdef defs[] = {CLI_FLAG_OPT("--json")};
    int npos;
    const char **pos;
    if (cli_parse(argc, argv, "devices", defs, CLI_NDEFS(defs), &pos, &npos))
        return 2;
    free(pos);
    if (npos) {
        fprintf(stderr, "vkattn: devices: unexpected argument \"%s\"\n", argv[1]);
        return 2;
    }
    int only = -1;
    const char *dev = cli_opt(argc, argv, "--device", NULL);
    if (dev) {
        int idx = -1;
        const char *name = NULL;
        if ((only = cli_device_select(dev, &idx, &name)) < 0)
            return 2;
    }
    int json = cli_flag(argc, argv, "--json") > 0;
    int n = 0;
    vka_status s = vka_devices_list(NULL, 0, &n);
    if (s) {
        fprintf(stderr, "vkattn: %s\n", vka_last_error());
        return 1;
    }
    vka_device_info *d = calloc((size_t)(n ? n : 1), sizeof *d);
    if (!d)
        return 1;
    vka_devices_list(d, n, &n);
    int rc = 0;
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < n; i++)
            if (only < 0 || i == only)
                cJSON_AddItemToArray(arr, cli_device_json(&d[i]));
        rc = cli_print_json(arr, stdout);
        cJSON_Delete(arr);
    } else {
        for (int i = 0; i < n; i++)
            if (only < 0 || i == only)
                print_text(&d[i]);
        if (!n)
            printf("no Vulkan devices\n");
    }
    free(d);
    return rc;
}
