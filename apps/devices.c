/* devices.c — `vkattn devices`: the device table, as text or JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

int cli_devices(int argc, char **argv)
{
    if (cli_flag(argc, argv, "-h") > 0 || cli_flag(argc, argv, "--help") > 0) {
        printf("usage: vkattn devices [--json]\n  Lists Vulkan devices with vendor, driver, type, limits and features.\n");
        return 0;
    }
    int json = cli_flag(argc, argv, "--json") > 0;
    int n = 0;
    vka_status s = vka_devices_list(NULL, 0, &n);
    if (s) {
        fprintf(stderr, "vkattn: %s\n", vka_last_error());
        return 1;
    }
    vka_device_info *d = calloc((size_t)(n ? n : 1), sizeof *d);
    vka_devices_list(d, n, &n);
    if (json)
        printf("[");
    for (int i = 0; i < n; i++) {
        const vka_device_info *x = &d[i];
        unsigned av = x->api_version;
        if (json) {
            printf("%s\n  {\"index\": %d, \"name\": ", i ? "," : "", x->index);
            json_str(x->name);
            printf(", \"vendor\": ");
            json_str(x->vendor);
            printf(", \"vendor_id\": %u, \"device_id\": %u, \"type\": \"%s\", \"driver_name\": ", x->vendor_id,
                   x->device_id, vka_device_type_str(x->type));
            json_str(x->driver_name);
            printf(", \"driver_info\": ");
            json_str(x->driver_info);
            printf(", \"api_version\": \"%u.%u.%u\", \"subgroup_size\": %u, \"max_shared_memory\": %u, "
                   "\"max_workgroup_invocations\": %u, \"max_storage_buffer_range\": %llu, "
                   "\"device_local_bytes\": %llu, \"timestamp_period_ns\": %g, \"fp16_arith\": %s, "
                   "\"fp16_storage\": %s, \"int8_arith\": %s, \"subgroup_arith\": %s, \"cooperative_matrix\": %s, "
                   "\"host_visible_device_memory\": %s, \"subgroup_size_control\": %s, \"min_subgroup_size\": %u, "
                   "\"max_subgroup_size\": %u}",
                   av >> 22, (av >> 12) & 0x3ff, av & 0xfff, x->subgroup_size, x->max_shared_memory,
                   x->max_workgroup_invocations, (unsigned long long)x->max_storage_buffer_range,
                   (unsigned long long)x->device_local_bytes, x->timestamp_period_ns,
                   x->fp16_arith ? "true" : "false", x->fp16_storage ? "true" : "false",
                   x->int8_arith ? "true" : "false", x->subgroup_arith ? "true" : "false",
                   x->cooperative_matrix ? "true" : "false", x->host_visible_device_memory ? "true" : "false",
                   x->subgroup_size_control ? "true" : "false", x->min_subgroup_size, x->max_subgroup_size);
        } else {
            printf("device %d: %s\n", x->index, x->name);
            printf("  vendor        %s (0x%04x), device 0x%04x, %s\n", x->vendor, x->vendor_id, x->device_id,
                   vka_device_type_str(x->type));
            printf("  driver        %s %s, Vulkan %u.%u.%u\n", x->driver_name, x->driver_info, av >> 22,
                   (av >> 12) & 0x3ff, av & 0xfff);
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
    }
    if (json)
        printf("\n]\n");
    if (!n && !json)
        printf("no Vulkan devices\n");
    free(d);
    return 0;
}
