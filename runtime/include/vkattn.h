/* SPDX-License-Identifier: MIT */
/* vkattn.h — Vulkan compute runtime for attention models. The one public header.
 *
 * Usage:
 *     vka_context_params p = vka_context_default_params();
 *     vka_context *ctx = vka_context_create(&p);
 *     if (!ctx) { fprintf(stderr, "%s\n", vka_last_error()); return 1; }
 *     int64_t sa[2] = {197, 768}, sb[2] = {768, 2304}, sc[2] = {197, 2304};
 *     vka_tensor *a = vka_tensor_create(ctx, VKA_F32, 2, sa);   // likewise b, c
 *     vka_tensor_upload(a, host_a, vka_tensor_bytes(a));
 *     vka_cmd *cmd = vka_cmd_create(ctx);
 *     vka_cmd_begin(cmd);
 *     vka_gemm_desc g = vka_gemm_default_desc();
 *     vka_gemm(cmd, &g, a, b, c);                  // c = a·b
 *     vka_cmd_end(cmd);
 *     vka_cmd_submit(cmd);                         // replay as often as you like
 *     vka_tensor_download(c, host_c, vka_tensor_bytes(c));
 *     vka_cmd_destroy(cmd); vka_tensor_destroy(a); ... vka_context_destroy(ctx);
 *
 * Ownership: the caller owns every object it creates and destroys it; destroying
 * NULL is a no-op. Tensors and commands must be destroyed before their context.
 * A view shares its parent's memory and must be destroyed before the parent.
 * A recorded vka_cmd refers to its tensors: keep them alive while it is used.
 *
 * Errors: actions return vka_status (0 ok, negative error). The message of the
 * last error (with the failing Vulkan call and VkResult name) is kept on the
 * context, vka_context_last_error(); constructors that return NULL set the
 * thread's vka_last_error(). The library never prints unless a log callback is
 * set, and never exits or aborts.
 *
 * Threads: a context and everything made from it is used by one thread at a time;
 * different contexts may be used from different threads at once.
 *
 * Embedding: the library exports only vka_* symbols (its Vulkan loader is
 * private: a host linked to libvulkan or using its own volk keeps its state),
 * so link it as vkattn::vkattn (find_package(vkattn)) or `pkg-config vkattn`.
 * An application that owns the Vulkan device asks vka_vulkan_device_wants()
 * what to enable and hands the device to vka_context_create_external();
 * vka_graph_submit() / vka_graph_poll() run a graph without blocking, and
 * vka_graph_record() puts it into the application's own command buffer.
 * vka_classifier and vka_detector ("vision", near the end) take an image or a
 * camera frame to top-k classes, boxes and heatmaps; examples/ uses them.
 */
#ifndef VKATTN_H
#define VKATTN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The one place the version is written (CMakeLists.txt reads it from here). */
#define VKA_VERSION_MAJOR 0
#define VKA_VERSION_MINOR 1
#define VKA_VERSION_PATCH 0
#define VKA_MAX_DIMS 8

/* Marks what the library exports; everything else in it is hidden. */
#ifndef VKA_API
#if defined(_WIN32) && defined(VKA_SHARED) && defined(VKA_BUILDING)
#define VKA_API __declspec(dllexport)
#elif defined(_WIN32) && defined(VKA_SHARED)
#define VKA_API __declspec(dllimport)
#elif defined(__GNUC__) || defined(__clang__)
#define VKA_API __attribute__((visibility("default")))
#else
#define VKA_API
#endif
#endif

/* The version of the library linked at run time, which may differ from the
 * header's: VKA_VERSION_MAJOR << 16 | MINOR << 8 | PATCH, and "0.1.0". */
VKA_API uint32_t vka_version(void);
VKA_API const char *vka_version_string(void);

/* ------------------------------------------------------------------ status */

typedef enum vka_status {
    VKA_OK = 0,
    VKA_ERR_INVALID_ARG = -1,   /* NULL handle, bad enum, inconsistent descriptor */
    VKA_ERR_SHAPE = -2,         /* shapes or dtypes that do not fit together */
    VKA_ERR_TOO_LARGE = -3,     /* over a device limit (maxStorageBufferRange, ...) */
    VKA_ERR_OUT_OF_MEMORY = -4, /* host or device allocation failed */
    VKA_ERR_VULKAN = -5,        /* a Vulkan call failed; the message names it */
    VKA_ERR_UNSUPPORTED = -6,   /* the device or the library lacks a feature */
    VKA_ERR_NOT_FOUND = -7,     /* no such device, file, tensor, shader */
    VKA_ERR_IO = -8,            /* reading or writing a file failed */
    VKA_ERR_FORMAT = -9,        /* malformed file contents */
    VKA_ERR_STATE = -10,        /* call out of order (e.g. submit before end) */
    VKA_ERR_DEVICE_LOST = -11,
    VKA_ERR_TIMEOUT = -12,      /* the device did not finish within the context's timeout */
    VKA_NOT_READY = 1,          /* not an error: submitted work still running (poll / wait) */
} vka_status;

VKA_API const char *vka_status_str(vka_status s);
/* The thread's last error from a constructor that returned NULL. */
VKA_API const char *vka_last_error(void);

/* ------------------------------------------------------------------ devices */

typedef enum vka_device_type {
    VKA_DEVICE_OTHER = 0,
    VKA_DEVICE_INTEGRATED = 1,
    VKA_DEVICE_DISCRETE = 2,
    VKA_DEVICE_VIRTUAL = 3,
    VKA_DEVICE_CPU = 4,
} vka_device_type;

typedef struct vka_device_info {
    int index;                          /* position in the loader's list */
    char name[256];
    char driver_name[256];              /* VkPhysicalDeviceDriverProperties */
    char driver_info[256];
    char vendor[32];                    /* "NVIDIA", "AMD", "Intel", "Mesa", ... */
    uint32_t vendor_id;
    uint32_t device_id;
    uint32_t api_version;               /* VK_MAKE_API_VERSION */
    uint32_t driver_version;
    vka_device_type type;
    uint32_t subgroup_size;
    uint32_t max_shared_memory;         /* maxComputeSharedMemorySize, bytes */
    uint32_t max_workgroup_invocations;
    uint64_t max_storage_buffer_range;  /* bytes */
    uint64_t device_local_bytes;        /* largest device-local heap */
    float timestamp_period_ns;
    int fp16_arith;                     /* shaderFloat16 */
    int fp16_storage;                   /* storageBuffer16BitAccess */
    int int8_arith;                     /* shaderInt8 */
    int subgroup_arith;                 /* subgroup arithmetic in compute */
    int cooperative_matrix;             /* VK_KHR_cooperative_matrix or _NV */
    int host_visible_device_memory;     /* UMA or ReBAR: no staging needed */
    /* VK_EXT_subgroup_size_control for compute: the sizes a pipeline may require
     * (kernels that depend on the subgroup size get theirs set; see pipeline.c) */
    int subgroup_size_control;
    uint32_t min_subgroup_size, max_subgroup_size;
    /* What names a device and its driver in a benchmark report (the fields
     * `vulkaninfo --summary` shows): */
    uint32_t driver_id;                 /* VkDriverId (VkPhysicalDeviceDriverProperties); 0: unknown */
    uint8_t conformance_version[4];     /* major, minor, subminor, patch; all 0: not conformant/unknown */
    uint8_t device_uuid[16];            /* VkPhysicalDeviceIDProperties::deviceUUID */
    uint8_t driver_uuid[16];            /* VkPhysicalDeviceIDProperties::driverUUID */
} vka_device_info;

/* Lists the Vulkan devices. Writes up to max entries, sets *count to the number
 * of devices. out may be NULL to count only. */
VKA_API vka_status vka_devices_list(vka_device_info *out, int max, int *count);
VKA_API const char *vka_device_type_str(vka_device_type t);

/* Cooperative matrices (tensor cores): what a device reports and the choice
 * made from it. The runtime has one cooperative-matrix kernel, an fp16 GEMM
 * through VK_NV_cooperative_matrix with fp32 accumulation (gemm_coopmat.comp),
 * used for f16 GEMMs when vka_coopmat_choose says so. There is no KHR kernel:
 * Debian 12's glslang 12 lacks GL_KHR_cooperative_matrix and its SPIRV-Tools
 * 2023.1 cannot assemble SPV_KHR_cooperative_matrix; the KHR entries are
 * queried and reported all the same. */
typedef struct vka_coopmat_entry {
    uint32_t m, n, k;                   /* MxK · KxN */
    int a, b, c, result;                /* component types as vka_dtype (F16, F32, I32, U8), -1 others */
    int subgroup_scope;                 /* 1: subgroup scope */
} vka_coopmat_entry;
typedef struct vka_coopmat_report {
    int nv_ext, khr_ext;                /* VK_NV_cooperative_matrix, VK_KHR_cooperative_matrix */
    uint32_t subgroup_size;             /* the compute subgroup size */
    int n_nv, n_khr;                    /* entries below (at most 32 each are kept) */
    vka_coopmat_entry nv[32];           /* vkGetPhysicalDeviceCooperativeMatrixPropertiesNV */
    vka_coopmat_entry khr[32];          /* vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR */
} vka_coopmat_report;
/* 1 when the NV fp16 GEMM kernel may run on a device reporting r: the NV
 * extension, a 32-wide subgroup, and a 16x16x16 subgroup-scope entry with
 * A, B f16 and C, result f32. Else 0. Either way `why` (if not NULL) gets one
 * line saying what was chosen or why not ("no cooperative matrix: ..."). */
VKA_API int vka_coopmat_choose(const vka_coopmat_report *r, char *why, size_t why_size);

/* ------------------------------------------------------------------ context */

typedef struct vka_context vka_context;

enum { VKA_LOG_ERROR = 0, VKA_LOG_WARN = 1, VKA_LOG_INFO = 2, VKA_LOG_DEBUG = 3 };
typedef void (*vka_log_fn)(void *user, int level, const char *msg);
typedef void (*vka_queue_lock_fn)(void *user, int lock);

typedef struct vka_context_params {
    int device_index;          /* -1 (default): VKATTN_DEVICE, else best by type */
    const char *device_name;   /* substring of the device name; NULL: unused */
    int validation;            /* 1: Khronos validation; -1 (default): VKATTN_VALIDATE */
    int pipeline_cache;        /* 1 (default): persist in $XDG_CACHE_HOME/vkattn */
    vka_log_fn log;            /* NULL (default): silent */
    void *log_user;
    int log_level;             /* VKA_LOG_WARN by default */
    /* For applications that present or share the device (e.g. a window):
     * extensions enabled on top of the runtime's own; creation fails naming
     * one the loader or device lacks. Lists are not kept after creation. */
    const char *const *instance_extensions; /* e.g. SDL_Vulkan_GetInstanceExtensions' list; NULL */
    int instance_extension_count;
    const char *const *device_extensions;   /* e.g. "VK_KHR_swapchain"; NULL */
    int device_extension_count;
    int graphics_queue;        /* 1: a queue family with graphics too (the kind that presents); 0 (default):
                                  prefer a compute-only family */
    /* A queue shared with other threads (e.g. the application's own, in
     * vka_context_create_external): called with lock = 1 before and lock = 0
     * after each vkQueueSubmit of the runtime, on the thread making it, so the
     * application can hold the mutex it uses for that queue. NULL (default): none. */
    vka_queue_lock_fn queue_lock;
    void *queue_lock_user;
    /* Blocking waits (vka_cmd_submit, vka_graph_run, vka_graph_wait with a
     * negative timeout, staged uploads and downloads) give up after this many
     * milliseconds with VKA_ERR_TIMEOUT, so a hung device cannot hang the host.
     * 0 (default): $VKATTN_TIMEOUT_MS, else 60 s on a GPU and 10 minutes on
     * a CPU driver (lavapipe: a loaded host stretches a submission); < 0:
     * wait forever. */
    int64_t timeout_ms;
} vka_context_params;

VKA_API vka_context_params vka_context_default_params(void);
VKA_API vka_context *vka_context_create(const vka_context_params *p);
VKA_API void vka_context_destroy(vka_context *ctx);

/* Bring your own Vulkan: the runtime uses the application's instance, device
 * and queue and destroys none of them. The instance and device must be Vulkan
 * 1.2; the features vkattn can use are those vka_vulkan_device_wants reports,
 * and the context uses only the ones the application says it enabled
 * (device_create_info): kernels that need a feature it lacks are replaced by
 * variants without it, or refused with an error naming the feature. */
typedef struct vka_external_vulkan {
    void *instance;                 /* VkInstance */
    void *physical_device;          /* VkPhysicalDevice */
    void *device;                   /* VkDevice */
    void *queue;                    /* VkQueue with compute support */
    uint32_t queue_family;
    void *get_instance_proc_addr;   /* PFN_vkGetInstanceProcAddr; NULL: the loader's */
    int fp16_storage_enabled;       /* storageBuffer16BitAccess was enabled */
    int fp16_arith_enabled;         /* shaderFloat16 was enabled */
    /* The VkDeviceCreateInfo the application gave vkCreateDevice, read during
     * vka_context_create_external only: the features it enabled
     * (pEnabledFeatures, or a VkPhysicalDeviceFeatures2 in pNext, and the
     * Vulkan 1.1/1.2 or per-feature structs there). NULL: none beyond the two
     * flags above. */
    const void *device_create_info;
} vka_external_vulkan;

VKA_API vka_context *vka_context_create_external(const vka_external_vulkan *ext, const vka_context_params *p);

/* The own-device contract: what vkattn asks of a device an application
 * creates and shares with it. */
typedef struct vka_vulkan_wants {
    uint32_t api_version;              /* for the instance and the device: VK_API_VERSION_1_2 */
    int instance_extension_count;      /* none today */
    const char *instance_extensions[4];
    int device_extension_count;        /* "VK_KHR_portability_subset" where the device has it */
    const char *device_extensions[4];
    /* The features vkattn uses that the device has, by Vulkan name, out of
     * shaderInt64 (a faster GEMM load; else a variant without it),
     * storageBuffer16BitAccess (f16 tensors; else refused), shaderFloat16
     * (f16 compare/gather/pad/where; else refused), storageBuffer8BitAccess
     * (u8 images: vka_preprocess, vka_draw_image, vka_yuyv_to_rgb, u8 Where
     * conditions; else refused) and shaderInt8 (vka_yuyv_to_rgb). */
    int feature_count;
    const char *features[8];
    /* Those of features[] that could not be set because the chain given had no
     * struct holding them (add VkPhysicalDeviceVulkan11Features and
     * VkPhysicalDeviceVulkan12Features to get them all). */
    int not_in_chain_count;
    const char *not_in_chain[8];
} vka_vulkan_wants;

/* Fills *wants for physical_device of instance (get_instance_proc_addr: the
 * application's PFN_vkGetInstanceProcAddr, or NULL for the system loader's)
 * and, when features2 (a VkPhysicalDeviceFeatures2 whose pNext chain the
 * application built) is not NULL, sets to VK_TRUE there each feature in
 * wants->features: in features2->features and in the Vulkan11Features,
 * Vulkan12Features, 16BitStorage, 8BitStorage and ShaderFloat16Int8 structs
 * found on its pNext chain. Nothing is cleared, so the application's own
 * features stay. Fails (the thread's last error) on a device below Vulkan 1.2. */
VKA_API vka_status vka_vulkan_device_wants(void *instance, void *physical_device, void *get_instance_proc_addr,
                                   void *features2, vka_vulkan_wants *wants);

VKA_API const vka_device_info *vka_context_device(const vka_context *ctx);
/* The context's Vulkan handles (its own or the application's), for sharing
 * the device: e.g. to create a swapchain on it. They stay the context's; the
 * queue must not be used from two threads at once (see queue_lock).
 * get_instance_proc_addr is the context's, for the application's own loader
 * (e.g. volkInitializeCustom): the library's is private. */
VKA_API vka_status vka_context_vulkan(const vka_context *ctx, vka_external_vulkan *out);
VKA_API const char *vka_context_last_error(const vka_context *ctx);
/* Validation messages of severity error seen since creation (0 without validation). */
VKA_API int vka_context_validation_errors(const vka_context *ctx);
VKA_API int vka_context_validation_enabled(const vka_context *ctx);
/* Compute pipelines the context has created so far (graph builds create them
 * as they need them; a driver may compile them on first use). */
VKA_API int vka_context_pipeline_count(const vka_context *ctx);
/* Bytes of device memory held by the runtime's allocator. */
VKA_API uint64_t vka_context_memory_used(const vka_context *ctx);
/* What the context's device reported about cooperative matrices, whether f16
 * GEMMs run on them (*chosen), and the line saying why. Either out may be NULL.
 * Only a device the context created itself enables them. */
VKA_API const vka_coopmat_report *vka_context_coopmat(const vka_context *ctx, int *chosen, const char **why);

/* ------------------------------------------------------------------ tensors */

typedef enum vka_dtype {
    VKA_F32 = 0,
    VKA_F16 = 1,
    VKA_I32 = 2,   /* also holds ONNX int64 values that fit in 32 bits */
    VKA_U8 = 3,
} vka_dtype;

VKA_API size_t vka_dtype_size(vka_dtype t);
VKA_API const char *vka_dtype_str(vka_dtype t);

typedef struct vka_tensor vka_tensor;

/* A dense row-major tensor in device memory, contents undefined. Fails with
 * VKA_ERR_TOO_LARGE if its bytes exceed the device's maxStorageBufferRange. */
VKA_API vka_tensor *vka_tensor_create(vka_context *ctx, vka_dtype dtype, int ndim, const int64_t *shape);
/* A view of `parent` starting `offset` elements in, with its own shape; it
 * must lie inside the parent. */
VKA_API vka_tensor *vka_tensor_view(vka_tensor *parent, int64_t offset, int ndim, const int64_t *shape);
VKA_API void vka_tensor_destroy(vka_tensor *t);

VKA_API vka_dtype vka_tensor_dtype(const vka_tensor *t);
VKA_API int vka_tensor_ndim(const vka_tensor *t);
VKA_API int64_t vka_tensor_dim(const vka_tensor *t, int axis);    /* negative axis from the end */
VKA_API const int64_t *vka_tensor_shape(const vka_tensor *t);
VKA_API int64_t vka_tensor_numel(const vka_tensor *t);
VKA_API size_t vka_tensor_bytes(const vka_tensor *t);
/* The VkBuffer holding the tensor and the byte offset of its first element,
 * for interop (e.g. vkCmdCopyBufferToImage into a swapchain image). The buffer
 * is the runtime's and is shared with other tensors: touch only this range. */
VKA_API vka_status vka_tensor_vulkan(const vka_tensor *t, void **vk_buffer, uint64_t *offset);
/* Optional label used in error messages and profiles. Copied. */
VKA_API void vka_tensor_set_name(vka_tensor *t, const char *name);
VKA_API const char *vka_tensor_name(const vka_tensor *t);

/* Copy between host memory and the tensor; bytes must equal vka_tensor_bytes.
 * Must not be called while a command that uses the tensor is running. */
VKA_API vka_status vka_tensor_upload(vka_tensor *t, const void *data, size_t bytes);
VKA_API vka_status vka_tensor_download(const vka_tensor *t, void *data, size_t bytes);

/* ------------------------------------------------------------------ commands */

/* A vka_cmd records dispatches once and replays them on every submit. Barriers
 * are inserted where a dispatch reads or overwrites what an earlier one wrote. */
typedef struct vka_cmd vka_cmd;

VKA_API vka_cmd *vka_cmd_create(vka_context *ctx);
VKA_API void vka_cmd_destroy(vka_cmd *cmd);
VKA_API vka_status vka_cmd_begin(vka_cmd *cmd);                  /* discards any earlier recording */
VKA_API vka_status vka_cmd_end(vka_cmd *cmd);
/* Runs it and waits, up to the context's timeout (then VKA_ERR_TIMEOUT: the
 * command is still running; vka_cmd_wait for it before anything else). */
VKA_API vka_status vka_cmd_submit(vka_cmd *cmd);

/* Synchronisation with the application's own work on the queue, for
 * non-blocking runs. Handles are VkSemaphore and VkFence. */
typedef struct vka_sync {
    int wait_count;                 /* semaphores waited on before the first dispatch */
    void *const *wait_semaphores;
    const uint64_t *wait_values;    /* timeline semaphores: a value each; NULL: binary */
    const uint32_t *wait_stages;    /* VkPipelineStageFlags each; NULL: compute shader */
    int signal_count;               /* semaphores signalled after the last dispatch */
    void *const *signal_semaphores;
    const uint64_t *signal_values;  /* timeline semaphores: a value each; NULL: binary */
    void *fence;                    /* VkFence signalled when the work is done; NULL: none */
} vka_sync;
VKA_API vka_sync vka_sync_default(void);    /* nothing to wait on or signal */

/* Runs a recorded command without waiting for it (sync may be NULL). Until
 * vka_cmd_poll returns VKA_OK or vka_cmd_wait does, its tensors must not be
 * read or written by the host, and it cannot be begun or submitted again. */
VKA_API vka_status vka_cmd_submit_async(vka_cmd *cmd, const vka_sync *sync);
/* VKA_OK once the command has finished (or was never submitted), VKA_NOT_READY
 * while it runs, or an error (VKA_ERR_DEVICE_LOST). Never blocks. */
VKA_API vka_status vka_cmd_poll(vka_cmd *cmd);
/* Waits for it: up to timeout_ns (>= 0), then VKA_NOT_READY if still running;
 * timeout_ns < 0: up to the context's timeout, then VKA_ERR_TIMEOUT. */
VKA_API vka_status vka_cmd_wait(vka_cmd *cmd, int64_t timeout_ns);
/* Per-dispatch GPU timestamps: enable before begin; after a submit, n entries. */
VKA_API vka_status vka_cmd_enable_timestamps(vka_cmd *cmd, int enable);
VKA_API int vka_cmd_dispatch_count(const vka_cmd *cmd);
/* Label and GPU time (ms) of dispatch i of the last submit. */
VKA_API vka_status vka_cmd_timing(const vka_cmd *cmd, int i, const char **label, double *ms);
/* Label for the following dispatches (e.g. the graph node's name); copied. */
VKA_API void vka_cmd_set_label(vka_cmd *cmd, const char *label);

/* ------------------------------------------------------------------ ops
 * Every op records into a vka_cmd between begin and end. All float tensors of
 * one op share a dtype (F32 or F16 storage; accumulation is always fp32)
 * unless the op says otherwise. Outputs must not alias inputs unless stated. */

typedef enum vka_act {
    VKA_ACT_NONE = 0,
    VKA_ACT_RELU = 1,
    VKA_ACT_GELU_ERF = 2,
    VKA_ACT_GELU_TANH = 3,
    VKA_ACT_SILU = 4,
    VKA_ACT_SIGMOID = 5,
} vka_act;

/* GEMM: C = act(alpha·op(A)·op(B) + bias) + residual + beta·C.
 * a: [batch?, M, K] ([batch?, K, M] when trans_a), b: [batch?, K, N] ([.., N, K]
 * when trans_b), c: [batch?, M, N]; a 2-D a or b is shared by every batch.
 * bias: [N] or NULL; residual: shaped like c, or NULL (may alias nothing).
 * Leading dimensions and batch strides default (0) to the dense layout; set
 * them to read strided views (e.g. Q out of a packed QKV). */
typedef struct vka_gemm_desc {
    int trans_a;
    int trans_b;
    float alpha;               /* default 1 */
    float beta;                /* default 0 */
    vka_act act;
    vka_tensor *bias;          /* [N] or NULL */
    vka_tensor *residual;      /* like c, or NULL */
    int64_t lda, ldb, ldc;     /* elements between rows; 0: dense */
    int64_t stride_a, stride_b, stride_c; /* elements between batches; 0: dense (2-D: shared) */
    int64_t batch;             /* 0: from the tensors */
    int64_t m, n, k;           /* 0: from the tensors */
} vka_gemm_desc;

VKA_API vka_gemm_desc vka_gemm_default_desc(void);
VKA_API vka_status vka_gemm(vka_cmd *cmd, const vka_gemm_desc *d, vka_tensor *a, vka_tensor *b, vka_tensor *c);

/* Softmax over the last axis: y = softmax(scale·x + mask).
 * x, y: [..., N]; mask: NULL or a tensor whose shape is a suffix of x's (leading
 * axes broadcast), e.g. [Nq, Nk] for x [B, H, Nq, Nk]. y may alias x. */
VKA_API vka_status vka_softmax(vka_cmd *cmd, vka_tensor *x, float scale, vka_tensor *mask, vka_tensor *y);

/* LayerNorm over the last axis: y = (x - mean) / sqrt(var + eps) · gamma + beta.
 * x, y: [..., C]; gamma, beta: [C] or NULL (1 and 0). */
VKA_API vka_status vka_layernorm(vka_cmd *cmd, vka_tensor *x, vka_tensor *gamma, vka_tensor *beta, float eps, vka_tensor *y);

/* RMSNorm over the last axis: y = x / sqrt(mean(x²) + eps) · gamma.
 * x, y: [..., C]; gamma: [C] or NULL (1). y may alias x. */
VKA_API vka_status vka_rmsnorm(vka_cmd *cmd, vka_tensor *x, vka_tensor *gamma, float eps, vka_tensor *y);

typedef enum vka_binary_op {
    VKA_ADD = 0, VKA_SUB, VKA_MUL, VKA_DIV, VKA_POW, VKA_MAX, VKA_MIN,
    VKA_BINARY_COUNT
} vka_binary_op;

/* y = a op b with numpy broadcasting (up to VKA_MAX_DIMS axes); y has the
 * broadcast shape. y may alias a or b when it has the same shape.
 * a, b and y share one dtype: f32, f16 (fp32 math) or i32. On i32, add, sub
 * and mul wrap modulo 2^32, div truncates toward zero like C and ONNX
 * (-7 / 2 = -3), x / 0 = 0 and INT32_MIN / -1 = INT32_MIN; pow is
 * VKA_ERR_UNSUPPORTED. Mixing i32 with float is VKA_ERR_SHAPE: vka_cast first. */
VKA_API vka_status vka_binary(vka_cmd *cmd, vka_binary_op op, vka_tensor *a, vka_tensor *b, vka_tensor *y);

typedef enum vka_unary_op {
    VKA_EXP = 0, VKA_LOG, VKA_SQRT, VKA_ERF, VKA_TANH, VKA_SIGMOID, VKA_RELU,
    VKA_GELU, VKA_NEG, VKA_RECIPROCAL, VKA_ABS, VKA_GELU_TANH, VKA_SILU, VKA_SIN, VKA_COS,
    VKA_UNARY_COUNT
} vka_unary_op;

/* y = op(x), elementwise; y may alias x. x and y share one dtype: f32, f16
 * (fp32 math), or i32 for VKA_NEG and VKA_ABS only (others are
 * VKA_ERR_UNSUPPORTED); both wrap, so -INT32_MIN and abs(INT32_MIN) are INT32_MIN. */
VKA_API vka_status vka_unary(vka_cmd *cmd, vka_unary_op op, vka_tensor *x, vka_tensor *y);

/* An elementwise program: a chain of unary and binary ops on up to
 * VKA_ELTWISE_MAX_IN inputs in one dispatch (what the graph fusion makes of
 * Relu -> Mul(scale[C]) -> Add(shift[C]), x·sigmoid(x), box arithmetic on
 * slices). Instructions run in order on four fp32 registers; each reads
 * operands a and b and writes register dst:
 *     op < VKA_BINARY_COUNT:   dst = a op b           (vka_binary_op)
 *     op = VKA_EW_UNARY + u:   dst = u(a)             (vka_unary_op; b unused)
 * Operands: VKA_EW_R(i) register i, VKA_EW_X(i) input i's element,
 * VKA_EW_C(i) immediate imm[i]. The result is register 0 after the last
 * instruction. It is computed for every element of y, or, when y_strided, for
 * every element of `shape` and written at y_offset + Σ_k index_k·y_stride[k]
 * into y (a column of a concat, say; at most VKA_ELTWISE_MAX_IMM_STRIDED
 * immediates then). Inputs broadcast numpy-style from their own shape to the
 * computed shape, or, when strided[i], are read at offset[i] +
 * Σ_k index_k·stride[i][k] (a slice, a transpose or a broadcast of a bigger
 * tensor, with no copy). All tensors share one float dtype (f32 or f16; fp32
 * math). y must not overlap an input unless it is the same elements, dense. */
#define VKA_ELTWISE_MAX_IN 4
#define VKA_ELTWISE_MAX_CODE 14
#define VKA_ELTWISE_MAX_IMM 7
#define VKA_ELTWISE_MAX_IMM_STRIDED 3
#define VKA_EW_UNARY 32
#define VKA_EW_R(i) (i)
#define VKA_EW_X(i) (4 + (i))
#define VKA_EW_C(i) (8 + (i))

typedef struct vka_eltwise_instr {
    uint8_t op;                /* vka_binary_op, or VKA_EW_UNARY + vka_unary_op */
    uint8_t dst;               /* register 0..3 */
    uint8_t a, b;              /* operands (VKA_EW_R/X/C) */
} vka_eltwise_instr;

typedef struct vka_eltwise_desc {
    int ncode;
    vka_eltwise_instr code[VKA_ELTWISE_MAX_CODE];
    int nimm;
    float imm[VKA_ELTWISE_MAX_IMM];
    int strided[VKA_ELTWISE_MAX_IN];                  /* 0: numpy broadcasting of the input's shape */
    int64_t stride[VKA_ELTWISE_MAX_IN][VKA_MAX_DIMS]; /* elements per step of each computed axis */
    int64_t offset[VKA_ELTWISE_MAX_IN];               /* elements into the input */
    int y_strided;                                    /* 0: y is dense and its shape is computed */
    int ndim;                                         /* y_strided: the computed shape */
    int64_t shape[VKA_MAX_DIMS];
    int64_t y_stride[VKA_MAX_DIMS];                   /* y_strided: where each computed element goes */
    int64_t y_offset;
} vka_eltwise_desc;

/* nin: 0..VKA_ELTWISE_MAX_IN inputs xs; y: the output. At most 4 axes after
 * merging the ones every input and y walk alike (VKA_ERR_UNSUPPORTED beyond). */
VKA_API vka_status vka_eltwise(vka_cmd *cmd, const vka_eltwise_desc *d, int nin, vka_tensor *const *xs, vka_tensor *y);

typedef enum vka_reduce_op { VKA_REDUCE_SUM = 0, VKA_REDUCE_MEAN, VKA_REDUCE_MAX, VKA_REDUCE_COUNT } vka_reduce_op;

/* Reduce one axis: y has x's shape with that axis removed or set to 1
 * (either is accepted; the element count must match). */
VKA_API vka_status vka_reduce(vka_cmd *cmd, vka_reduce_op op, vka_tensor *x, int axis, vka_tensor *y);

/* y = x permuted: y.shape[i] = x.shape[perm[i]]. Transpose is a permute. */
VKA_API vka_status vka_permute(vka_cmd *cmd, vka_tensor *x, const int *perm, vka_tensor *y);

/* y = concatenation of n tensors along axis; all other axes equal. */
VKA_API vka_status vka_concat(vka_cmd *cmd, int n, vka_tensor *const *xs, int axis, vka_tensor *y);

/* y[i...] = x[start[d] + i[d]·step[d] ...]; y's shape gives the counts. step may
 * be negative; NULL step means 1. */
VKA_API vka_status vka_slice(vka_cmd *cmd, vka_tensor *x, const int64_t *start, const int64_t *step, vka_tensor *y);

/* Convert between dtypes (F32 <-> F16, F32 <-> I32); same shape. Float -> int
 * truncates toward zero, saturates outside the int32 range, NaN gives 0;
 * int -> float and f32 -> f16 round to nearest even. */
VKA_API vka_status vka_cast(vka_cmd *cmd, vka_tensor *x, vka_tensor *y);

/* Copy x into y (same element count and dtype). */
VKA_API vka_status vka_copy(vka_cmd *cmd, vka_tensor *x, vka_tensor *y);

/* ---- CNN ops (NCHW)
 * Convolution, pooling, padding, resizing and clipping for convolutional
 * backbones (HGNetv2, ResNet) in the DETR family. Float tensors only; f32 or
 * f16 storage, fp32 arithmetic. */

/* y = act(conv(x, w) + bias) for any groups (depthwise included: groups ==
 * C == O). The kernel is chosen per call: an implicit GEMM through texel
 * buffers on CPU drivers, one with shared-memory tiles on GPUs, a depthwise
 * kernel, GEMM for pointwise convs, or the direct kernel
 * (VKATTN_CONV_VARIANT=tex|shared|dw|gemm|direct forces one where it applies).
 * Output size: (H + pad_top + pad_bottom - dilation·(KH-1) - 1) / stride + 1.
 * x: [N, C, H, W], w: [O, C/groups, KH, KW], bias: [O] or NULL,
 * y: [N, O, OH, OW]; p NULL: vka_conv_default_params(). */
typedef struct vka_conv_params vka_conv_params; /* defined with the graph builders below */
VKA_API vka_status vka_conv2d(vka_cmd *cmd, vka_tensor *x, vka_tensor *w, vka_tensor *bias, const vka_conv_params *p,
                      vka_tensor *y);

/* What vka_conv2d_ex adds (zero-initialise for none). The output is, in order:
 *     v = conv(x, w) + bias;  v += residual        (residual_before_act)
 *     v = act(v);  v = v·scale[o] + shift[o];  v += residual   (otherwise) */
typedef struct vka_conv_epilogue {
    vka_tensor *scale;         /* [O] or NULL */
    vka_tensor *shift;         /* [O] or NULL */
    vka_tensor *residual;      /* y's shape (any dims, N·O·OH·OW elements) or NULL; not overlapping y */
    int residual_before_act;   /* ResNet blocks: relu(conv + shortcut) */
    int w_packed;              /* w is [O, KH, KW, roundup(C/groups, 4)] from vka_conv_pack_weights
                                  (the texel kernel's layout; four channels of a tap in one load) */
    const float *w_host;       /* w's values on the host (f32, w's layout) for as long as the recording
                                  is used, or NULL. Read when the conv is recorded: kernels for short
                                  reductions (3-channel stems, CPU drivers) compile them in. */
} vka_conv_epilogue;
/* vka_conv2d with the epilogue e (NULL: none). */
VKA_API vka_status vka_conv2d_ex(vka_cmd *cmd, vka_tensor *x, vka_tensor *w, vka_tensor *bias,
                                 const vka_conv_params *p, const vka_conv_epilogue *e, vka_tensor *y);
/* The weight layout of the kernel the plan picks for a conv of x [N, C, H, W]
 * and OIHW weights [O, C/groups, KH, KW] (as vka_graph_build does: measured
 * on the device on first use, remembered next to the pipeline cache): 1
 * packed (vka_conv_pack_weights, then vka_conv2d_ex with w_packed), 0 OIHW;
 * w_host: the weights' values will be given (vka_conv_epilogue.w_host), which
 * admits the kernels that compile them in. < 0: not a valid conv. */
VKA_API int vka_conv2d_plan_packed(vka_context *ctx, vka_dtype dtype, const int64_t xshape[4],
                                   const int64_t wshape[4], const vka_conv_params *p, int w_host);
/* Host side: OIHW weights w [O, cg, KH, KW] (cg = C/groups) to the packed layout
 * [O, KH, KW, roundup(cg, 4)] (zeros past cg). */
VKA_API void vka_conv_pack_weights(const float *w, int64_t O, int64_t cg, int64_t KH, int64_t KW, float *out);

typedef enum vka_pool_op { VKA_POOL_MAX = 0, VKA_POOL_AVG = 1 } vka_pool_op;

typedef struct vka_pool_params {
    int64_t kernel[2];         /* KH, KW (default 2, 2) */
    int64_t stride[2];         /* default 1 */
    int64_t pad[4];            /* top, left, bottom, right (default 0) */
    int64_t dilation[2];       /* default 1 */
    int ceil_mode;             /* 1: output size rounds up (a window must start inside x or its top/left pad) */
    int count_include_pad;     /* average: divide by the window inside the padded x, not only inside x */
} vka_pool_params;
VKA_API vka_pool_params vka_pool_default_params(void);

/* Max or average pooling (ONNX MaxPool / AveragePool). Padding never wins a max;
 * windows that run past the padding (ceil_mode) count only what they cover.
 * x: [N, C, H, W] -> y: [N, C, OH, OW], OH = floor_or_ceil((H + pt + pb -
 * dilation·(KH-1) - 1) / stride) + 1. */
VKA_API vka_status vka_pool2d(vka_cmd *cmd, vka_pool_op op, vka_tensor *x, const vka_pool_params *p, vka_tensor *y);

/* Mean over H·W: x [N, C, H, W] -> y [N, C, 1, 1] (or [N, C]). */
VKA_API vka_status vka_global_avgpool(vka_cmd *cmd, vka_tensor *x, vka_tensor *y);

typedef enum vka_pad_mode { VKA_PAD_CONSTANT = 0, VKA_PAD_REFLECT = 1, VKA_PAD_EDGE = 2 } vka_pad_mode;

/* ONNX Pad: y.shape[d] = x.shape[d] + begin[d] + end[d] for every axis (rank up
 * to VKA_MAX_DIMS); negative pads crop. CONSTANT fills with value, REFLECT
 * mirrors without repeating the edge (pads below x.shape[d]), EDGE repeats it.
 * x, y: same rank; begin/end: [ndim]. */
VKA_API vka_status vka_pad(vka_cmd *cmd, vka_tensor *x, const int64_t *begin, const int64_t *end, vka_pad_mode mode,
                   float value, vka_tensor *y);

typedef enum vka_interp { VKA_INTERP_NEAREST = 0, VKA_INTERP_LINEAR = 1 } vka_interp;

/* ONNX Resize coordinate_transformation_mode */
typedef enum vka_coord_mode {
    VKA_COORD_HALF_PIXEL = 0,          /* (y + 0.5) / scale - 0.5 */
    VKA_COORD_PYTORCH_HALF_PIXEL = 1,  /* as half_pixel, but 0 when the output axis has length 1 */
    VKA_COORD_ALIGN_CORNERS = 2,       /* y · (in - 1) / (out - 1) */
    VKA_COORD_ASYMMETRIC = 3,          /* y / scale */
} vka_coord_mode;

/* ONNX Resize nearest_mode */
typedef enum vka_nearest_mode {
    VKA_NEAREST_ROUND_PREFER_FLOOR = 0,
    VKA_NEAREST_ROUND_PREFER_CEIL = 1,
    VKA_NEAREST_FLOOR = 2,
    VKA_NEAREST_CEIL = 3,
} vka_nearest_mode;

/* ONNX Resize (opset 13-18) over H and W: nearest or (bi)linear, source
 * coordinates clamped to the input (linear weights as in the spec's edge
 * padding). scales: {scale_h, scale_w} as given to ONNX (the coordinate
 * transform uses them; y must be floor(in · scale) long), or NULL: OH/H and OW/W
 * (ONNX "sizes"). Nearest indices are computed in exact integer arithmetic, so
 * ties round as the mode says. x: [N, C, H, W] -> y: [N, C, OH, OW]. */
VKA_API vka_status vka_resize(vka_cmd *cmd, vka_tensor *x, vka_interp mode, vka_coord_mode coord,
                      vka_nearest_mode nearest, const float *scales, vka_tensor *y);

/* y = min(max(x, lo), hi) elementwise (ONNX Clip; NaN stays NaN); y may alias x.
 * x, y: same shape. */
VKA_API vka_status vka_clip(vka_cmd *cmd, vka_tensor *x, float lo, float hi, vka_tensor *y);

/* Folds BatchNormalization into the preceding convolution (host only):
 * s = scale / sqrt(var + eps), w_out = w · s (per output), b_out = (b - mean) · s + bias.
 * w, w_out: [O, per_out] (per_out = C/groups·KH·KW; may alias), b: [O] or NULL
 * (zero), scale/bias/mean/var, b_out: [O]. Computed in double. */
VKA_API void vka_fold_batchnorm(const float *w, const float *b, int64_t O, int64_t per_out, const float *scale,
                        const float *bias, const float *mean, const float *var, float eps, float *w_out,
                        float *b_out);

/* ------------------------------------------------------------------ attention
 * O = softmax(scale·Q·Kᵀ + mask)·V, per batch and head, without materialising
 * the score matrix (fused flash attention).
 * Shapes are given in the descriptor; tensors are addressed through strides so
 * that [B, N, H, D] and [B, H, N, D] layouts, and Q/K/V straight out of a packed
 * QKV projection, need no copy. */
typedef struct vka_attn_desc {
    int64_t batch, heads;      /* B, H */
    int64_t nq, nk;            /* query rows, key rows */
    int64_t head_dim;          /* D: a multiple of 4 from 4 to 128 */
    float scale;               /* 0: 1/sqrt(D) */
    int causal;                /* mask key j > query i (aligned at the end when nq != nk) */
    /* element strides (batch, head, row) for q, k, v, o; the last axis is dense.
     * 0 in all three of a tensor: dense [B, H, N, D]. */
    int64_t q_stride[3], k_stride[3], v_stride[3], o_stride[3];
    int64_t q_offset, k_offset, v_offset, o_offset; /* elements into each tensor */
    vka_tensor *mask;          /* NULL or additive [nq, nk], broadcast over B and H */
    vka_tensor *lse;           /* NULL or F32 [B, H, nq]: log-sum-exp of each row (natural log, of scale·QKᵀ+mask) */
} vka_attn_desc;

VKA_API vka_attn_desc vka_attn_default_desc(void);
VKA_API vka_status vka_attention(vka_cmd *cmd, const vka_attn_desc *d, vka_tensor *q, vka_tensor *k, vka_tensor *v, vka_tensor *o);

/* The same computation the naive way (GEMM, softmax, GEMM) through a scratch
 * score tensor `scores` of F32 [B, H, nq, nk] (or the q dtype); for comparison
 * and as a fallback. */
VKA_API vka_status vka_attention_naive(vka_cmd *cmd, const vka_attn_desc *d, vka_tensor *q, vka_tensor *k, vka_tensor *v, vka_tensor *scores, vka_tensor *o);

/* Attention probe: exact softmax rows P[b, h, r, :] for the query rows listed in
 * rows (I32 [R]) from Q, K and the LSE a vka_attention pass saved (d->lse).
 * probs: F32 [B, H, R, nk]. Cost O(R·nk·D); no second attention pass. */
VKA_API vka_status vka_attention_probe(vka_cmd *cmd, const vka_attn_desc *d, vka_tensor *q, vka_tensor *k, vka_tensor *rows, vka_tensor *probs);

/* ------------------------------------------------------------------ graphs
 * A graph is built once (by the C builder API below, by the ONNX importer, or by
 * a model recipe in models/), then vka_graph_build runs the passes (constant
 * folding, fusion, memory planning) and records the whole graph into one
 * command buffer; every vka_graph_run is upload -> replay -> download.
 *
 *     vka_graph *g = vka_graph_create(ctx);
 *     vka_val x = vka_graph_input(g, "x", VKA_F32, 2, (int64_t[]){197, 192});
 *     vka_val w = vka_graph_const(g, "w", VKA_F32, 2, (int64_t[]){192, 576}, weights);
 *     vka_graph_output(g, vka_graph_matmul(g, "qkv", x, w), "qkv");
 *     vka_graph_build(g, NULL);
 *     vka_graph_set_input(g, "x", host_x, bytes);
 *     vka_graph_run(g);
 *     vka_graph_get_output(g, "qkv", host_y, bytes);
 *
 * Builders return a value id (>= 0) or VKA_NONE, with the context's last error
 * naming the node, its inputs' shapes and what does not fit. A graph with a
 * failed builder call refuses to build. Shapes are static: inference happens
 * as nodes are added. Integer tensors (ONNX int64) live on the host while
 * they are constant (shape arithmetic) and as I32 on the device otherwise. */
typedef int32_t vka_val;
#define VKA_NONE (-1)

typedef struct vka_graph vka_graph;

VKA_API vka_graph *vka_graph_create(vka_context *ctx);
VKA_API void vka_graph_destroy(vka_graph *g);

VKA_API vka_val vka_graph_input(vka_graph *g, const char *name, vka_dtype dtype, int ndim, const int64_t *shape);
/* A constant; data is copied. dtype F32, F16 or I32. */
VKA_API vka_val vka_graph_const(vka_graph *g, const char *name, vka_dtype dtype, int ndim, const int64_t *shape,
                        const void *data);
/* An integer constant (ONNX int64): folded on the host, I32 on the device. */
VKA_API vka_val vka_graph_const_i64(vka_graph *g, const char *name, int ndim, const int64_t *shape, const int64_t *data);
VKA_API vka_status vka_graph_output(vka_graph *g, vka_val v, const char *name);

VKA_API int vka_graph_ndim(const vka_graph *g, vka_val v);
VKA_API const int64_t *vka_graph_shape(const vka_graph *g, vka_val v);
VKA_API vka_dtype vka_graph_dtype(const vka_graph *g, vka_val v);
/* Host data of a constant (after folding), else NULL. I64 values as int64_t. */
VKA_API const void *vka_graph_const_data(const vka_graph *g, vka_val v);
VKA_API int vka_graph_is_int(const vka_graph *g, vka_val v);

/* Op builders. `name` labels the node (errors, profiles); may be NULL. */
/* numpy matmul: a [..., M, K] · b [..., K, N] with batch broadcasting */
VKA_API vka_val vka_graph_matmul(vka_graph *g, const char *name, vka_val a, vka_val b);
/* ONNX Gemm: alpha·op(a)·op(b) + beta·c, a/b 2-D, c broadcast to [M, N] or VKA_NONE */
VKA_API vka_val vka_graph_gemm(vka_graph *g, const char *name, vka_val a, vka_val b, vka_val c, float alpha, float beta,
                       int trans_a, int trans_b);
VKA_API vka_val vka_graph_binary(vka_graph *g, const char *name, vka_binary_op op, vka_val a, vka_val b);
VKA_API vka_val vka_graph_unary(vka_graph *g, const char *name, vka_unary_op op, vka_val x);
/* normalizes over the axes from `axis` to the end; gamma/beta shaped like them or VKA_NONE */
VKA_API vka_val vka_graph_layernorm(vka_graph *g, const char *name, vka_val x, vka_val gamma, vka_val beta, int axis,
                            float eps);
VKA_API vka_val vka_graph_softmax(vka_graph *g, const char *name, vka_val x, int axis);
/* sum/mean/max over n axes (all axes when n = 0), keeping them as 1 or dropping them */
VKA_API vka_val vka_graph_reduce(vka_graph *g, const char *name, vka_reduce_op op, vka_val x, int n, const int64_t *axes,
                         int keepdims);
/* shape may hold 0 (copy the input's dim) and one -1 (inferred), as in ONNX */
VKA_API vka_val vka_graph_reshape(vka_graph *g, const char *name, vka_val x, int ndim, const int64_t *shape);
VKA_API vka_val vka_graph_transpose(vka_graph *g, const char *name, vka_val x, const int *perm);
/* ONNX Slice over n axes (starts/ends clamped, negative from the end; steps NULL = 1) */
VKA_API vka_val vka_graph_slice(vka_graph *g, const char *name, vka_val x, int n, const int64_t *starts,
                        const int64_t *ends, const int64_t *axes, const int64_t *steps);
VKA_API vka_val vka_graph_concat(vka_graph *g, const char *name, int n, const vka_val *xs, int axis);
/* ONNX Gather along axis with integer indices (a constant or a device I32 tensor) */
VKA_API vka_val vka_graph_gather(vka_graph *g, const char *name, vka_val x, vka_val indices, int axis);
/* ONNX Expand (numpy broadcast of x to shape) */
VKA_API vka_val vka_graph_expand(vka_graph *g, const char *name, vka_val x, int ndim, const int64_t *shape);
VKA_API vka_val vka_graph_cast(vka_graph *g, const char *name, vka_val x, vka_dtype to);
/* ONNX Where(cond, a, b) (cond constant) */
VKA_API vka_val vka_graph_where(vka_graph *g, const char *name, vka_val cond, vka_val a, vka_val b);

typedef struct vka_conv_params {
    int64_t stride[2];         /* default 1 */
    int64_t pad[4];            /* top, left, bottom, right */
    int64_t dilation[2];       /* default 1 */
    int64_t groups;            /* default 1 */
    vka_act act;
} vka_conv_params;
VKA_API vka_conv_params vka_conv_default_params(void);
/* x [N, C, H, W], w [O, C/groups, kh, kw], bias [O] or VKA_NONE -> [N, O, H', W'] */
VKA_API vka_val vka_graph_conv(vka_graph *g, const char *name, vka_val x, vka_val w, vka_val bias, const vka_conv_params *p);
/* Fused attention: q [B, H, Nq, D], k/v [B, H, Nk, D] -> [B, H, Nq, D];
 * mask [Nq, Nk] or VKA_NONE; scale 0: 1/sqrt(D). */
VKA_API vka_val vka_graph_attention(vka_graph *g, const char *name, vka_val q, vka_val k, vka_val v, vka_val mask,
                            float scale);

/* Storage precision of a graph's weights and activations. Math is fp32 in
 * every kernel either way (f16 loads widen; GEMM, conv and attention
 * accumulate in fp32; softmax and norm statistics run in fp32). F16 stores
 * weights (converted once at upload) and activations as f16; inputs, outputs,
 * integer values, Reduce, TopK and the light tails feeding outputs and TopK
 * (scores, box decoding) stay f32, with casts at the boundaries (the rule is
 * in runtime/src/precision.c). F16 needs storageBuffer16BitAccess and
 * shaderFloat16 (else vka_graph_build fails with VKA_ERR_UNSUPPORTED). AUTO is
 * F16 on a device that has both and is not a CPU, F32 elsewhere (lavapipe). */
typedef enum vka_precision {
    VKA_PRECISION_F32 = 0,
    VKA_PRECISION_F16 = 1,
    VKA_PRECISION_AUTO = 2,
} vka_precision;
/* "f32", "f16", "auto" */
VKA_API const char *vka_precision_str(vka_precision p);

typedef struct vka_graph_build_params {
    int fuse;                  /* 1 (default): fusion passes on */
    int profile;               /* 1: per-dispatch GPU timestamps (vka_graph_profile) */
    /* Attention probe: save the LSE of the attention nodes so that
     * vka_graph_attention_probe can return exact probability rows. */
    int probe_attention;       /* default 0 */
    vka_precision precision;   /* default VKA_PRECISION_F32 */
    /* Bytes of device memory the graph's weights and activations may take
     * (0, the default: no limit beyond the device's). A build that would need
     * more fails with VKA_ERR_TOO_LARGE before allocating past it, naming
     * what it needed: for a host program (a game's VRAM budget) or a service
     * loading models from others. On a CPU driver device memory is host RAM. */
    uint64_t device_memory_limit;
} vka_graph_build_params;
VKA_API vka_graph_build_params vka_graph_default_build_params(void);

VKA_API vka_status vka_graph_build(vka_graph *g, const vka_graph_build_params *p);
VKA_API vka_status vka_graph_set_input(vka_graph *g, const char *name, const void *data, size_t bytes);
/* The device tensor behind input `name` (the graph's; valid until it is
 * destroyed), for filling it on the device (e.g. vka_preprocess into it)
 * instead of through vka_graph_set_input. Integer inputs are I32 there.
 * NULL, with the context's error set, before build or for an unknown name. */
VKA_API vka_tensor *vka_graph_input_tensor(vka_graph *g, const char *name);
/* Runs the graph and waits: vka_graph_submit then vka_graph_wait. Fails naming
 * any input that was never set (vka_graph_set_input, or filled on the device
 * through vka_graph_input_tensor). */
VKA_API vka_status vka_graph_run(vka_graph *g);
VKA_API vka_status vka_graph_get_output(vka_graph *g, const char *name, void *data, size_t bytes);

/* Non-blocking runs. vka_graph_submit queues the graph and returns at once;
 * the host is free until vka_graph_poll returns VKA_OK (or vka_graph_wait
 * does), after which outputs and probes are read as after vka_graph_run. In
 * between, inputs, outputs, probes and the input tensors must not be touched
 * (the calls that would return VKA_ERR_STATE).
 *
 *     vka_submit_params sp = vka_submit_default_params();
 *     sp.slices = 8;                          // share a single queue with rendering
 *     vka_graph_submit(g, &sp);
 *     while (vka_graph_poll(g) == VKA_NOT_READY)
 *         render_a_frame();                   // its submissions go between slices
 *     vka_graph_get_output(g, "logits", logits, bytes);
 */
typedef struct vka_submit_params {
    vka_sync sync;             /* waits before the first dispatch; signals and fence after the last */
    /* 1 (default): one submission. N > 1: the graph in N parts of about equal
     * dispatch counts, each submitted by vka_graph_poll / vka_graph_wait once
     * the one before has finished, so that work the application submits to the
     * same queue in between (a frame) waits for at most one part: on a device
     * with a single queue (lavapipe, many phones) the host's frames keep going
     * during an inference. Per-node profiles are kept only for slices = 1. */
    int slices;
} vka_submit_params;
VKA_API vka_submit_params vka_submit_default_params(void);
VKA_API vka_status vka_graph_submit(vka_graph *g, const vka_submit_params *p);
/* VKA_OK when the run has finished (or none is pending), VKA_NOT_READY while
 * it runs (submitting the next slice when the last one is done), or an error.
 * Never blocks. */
VKA_API vka_status vka_graph_poll(vka_graph *g);
/* Waits for the pending run: up to timeout_ns (>= 0), then VKA_NOT_READY;
 * timeout_ns < 0: up to the context's timeout per slice, then VKA_ERR_TIMEOUT. */
VKA_API vka_status vka_graph_wait(vka_graph *g, int64_t timeout_ns);
/* Records the whole graph into the application's command buffer (a primary
 * VkCommandBuffer of the context's queue family, recording, outside a render
 * pass) as one vkCmdExecuteCommands of a secondary command buffer recorded
 * once and reused (it may be pending in several of the application's command
 * buffers at once). Its first dispatch waits for earlier compute-shader and
 * transfer writes; its writes are made visible to host reads and transfers;
 * other consumers (a fragment shader) need the application's own barrier.
 * Set inputs before the application submits; read outputs after its fence. */
VKA_API vka_status vka_graph_record(vka_graph *g, void *command_buffer);

VKA_API int vka_graph_input_count(const vka_graph *g);
VKA_API int vka_graph_output_count(const vka_graph *g);
VKA_API vka_val vka_graph_input_at(const vka_graph *g, int i);
VKA_API vka_val vka_graph_output_at(const vka_graph *g, int i);
/* The value's name: the graph's own string, valid until the graph next grows
 * (any vka_graph_* call that adds a value, and vka_graph_build, whose passes
 * add some): copy it to keep it. */
VKA_API const char *vka_graph_value_name(const vka_graph *g, vka_val v);

/* The executed plan, after build: one entry per kernel-level node. */
VKA_API int vka_graph_plan_size(const vka_graph *g);
/* op name of plan entry i ("gemm", "flash_attention", "softmax", ...) and its node name */
VKA_API const char *vka_graph_plan_op(const vka_graph *g, int i);
VKA_API const char *vka_graph_plan_node(const vka_graph *g, int i);
/* Peak bytes of activation memory after buffer reuse, and without reuse. */
VKA_API uint64_t vka_graph_activation_bytes(const vka_graph *g, uint64_t *without_reuse);
/* Bytes of the weights (constants) on the device, after build. */
VKA_API uint64_t vka_graph_weight_bytes(const vka_graph *g);
/* The precision the graph was built with (AUTO resolved), after build. */
VKA_API vka_precision vka_graph_precision(const vka_graph *g);
/* Per-node GPU time (ms) of the last run, when built with profile = 1. */
VKA_API vka_status vka_graph_profile(const vka_graph *g, int i, const char **node, const char **op, double *ms);
/* Dispatches in the recording, and those of plan entry i (a node may record several). */
VKA_API int vka_graph_dispatch_count(const vka_graph *g);
VKA_API int vka_graph_plan_dispatches(const vka_graph *g, int i);
/* The j-th node of the graph as built that plan entry i absorbed (fused into
 * it, or a slice / concat made a view of the memory it writes), with its op
 * name in *op when op is not NULL; NULL past the last. */
VKA_API const char *vka_graph_plan_absorbed(const vka_graph *g, int i, int j, const char **op);
/* Floating-point operations of plan entry i: 2 per multiply-add of matmul, GEMM,
 * convolution, attention (Q·Kᵀ and P·V) and deformable attention (4 bilinear
 * taps per sampling point); 1 per output element and op for elementwise ops,
 * 5 per element for softmax and norms, 1 per element read for reductions and
 * pooling windows; 0 for data movement (copies, gathers, resize, grid sample). */
VKA_API double vka_graph_plan_flops(const vka_graph *g, int i);

/* Number of attention nodes in the plan (fused or not). */
VKA_API int vka_graph_attention_count(const vka_graph *g);
/* [B, H, Nq, Nk] of attention node `layer` (negative: from the end). */
VKA_API vka_status vka_graph_attention_shape(const vka_graph *g, int layer, int64_t shape4[4]);
/* Exact attention probabilities of attention node `layer` (negative: from the
 * end) for query rows `rows[0..nrows)`, after a run: probs F32 [B, H, nrows, Nk],
 * row-major into `out` of `bytes`. Needs probe_attention = 1 at build. */
VKA_API vka_status vka_graph_attention_probe(vka_graph *g, int layer, int nrows, const int32_t *rows, float *out,
                                     size_t bytes, int64_t *shape4);

/* ------------------------------------------------------------------ ONNX
 * Imports an ONNX model (opsets 13-17) into a graph: initializers (raw_data,
 * typed fields, external data next to the model), constant folding of shape
 * arithmetic for the fixed input size, and every op of the ViT and DETR
 * assets. An unsupported op, a wrong arity or an unknown attribute is an error
 * naming the node, op type and opset (and the attribute).
 *
 * A model file is untrusted input. Before anything is unpacked, a pre-scan
 * bounds the nesting (64 messages), checks every length against the file, each
 * tensor's declared shape against the device's maxStorageBufferRange, and the
 * memory the import would take against a host budget; the file is mapped, not
 * read, so a refused payload is never loaded. External data must resolve (after
 * symlinks) to a regular file inside the model's folder. */
typedef struct vka_onnx_params {
    int64_t dynamic_dim;       /* value for symbolic dims such as batch 'N' (default 1) */
    uint64_t host_memory_limit; /* bytes of host memory the import may take for the
                                   unpacked model and folded constants (0: half the RAM) */
    const char *external_data_dir; /* vka_onnx_load_memory: folder that external data is
                                      read from (NULL: external data refused); ignored by
                                      vka_onnx_load, which uses the model's folder */
} vka_onnx_params;
VKA_API vka_onnx_params vka_onnx_default_params(void);
VKA_API vka_graph *vka_onnx_load(vka_context *ctx, const char *path, const vka_onnx_params *p);
/* The same from a buffer (a model received over a network, a fuzzer's input):
 * `data` is only read, and may be freed once this returns. Errors name the
 * model "<memory>". */
VKA_API vka_graph *vka_onnx_load_memory(vka_context *ctx, const void *data, size_t size, const vka_onnx_params *p);

/* ------------------------------------------------------------------ model recipes (models/)
 * ViT classification built with the C builder API from a .safetensors file in
 * timm, torchvision or Hugging Face naming: the example an embedding
 * application follows. Input "pixel_values" F32 [1, 3, S, S] (normalized),
 * output "logits" F32 [1, classes]. Attention runs fused; build with
 * probe_attention = 1 to read per-head CLS maps (vka_vit_cls_attention). */
typedef struct vka_vit_config {
    int64_t image_size, patch_size, layers, heads, dim, mlp_dim, classes;
    float eps;
} vka_vit_config;

/* Reads the weights and builds the (unbuilt) graph; cfg may be NULL. Heads come
 * from the file's metadata (num_heads) or, failing that, head dim 64. */
VKA_API vka_graph *vka_vit_from_safetensors(vka_context *ctx, const char *path, vka_vit_config *cfg);

/* Per-head attention of the CLS token over the patch grid, after a run of a
 * graph built with probe_attention = 1: out F32 [H, grid, grid] (the CLS->patch
 * probabilities; *cls_self gets each head's CLS->CLS weight if not NULL, so a
 * head's map plus its cls_self sums to 1). layer < 0 counts from the end. */
VKA_API vka_status vka_vit_cls_attention(vka_graph *g, int layer, float *out, size_t bytes, int64_t *heads, int64_t *grid,
                                 float *cls_self);

/* ------------------------------------------------------------------ images
 * Decoding through stb_image (JPEG, PNG, BMP, TGA, GIF first frame, HDR, PNM)
 * into 8-bit RGB; preprocessing runs on the device. (Not PSD: stb_image 2.30
 * converts out-of-range floats to bytes in its PSD un-matting, undefined
 * behaviour that fuzz_image reached.) */
typedef struct vka_image {
    int width, height;           /* pixels */
    uint8_t *rgb;                /* [height, width, 3], row-major */
} vka_image;

/* Loads an image file; NULL with vka_last_error() naming the file and why. */
VKA_API vka_image *vka_image_load(const char *path);
/* The same from encoded bytes in memory (e.g. an MJPEG camera frame); `what`
 * names them in errors. */
VKA_API vka_image *vka_image_decode(const void *data, size_t bytes, const char *what);
/* The size vka_image_decode would decode encoded bytes to, from their header
 * alone, after every check it makes first (the JPEG and PNM guards, at most
 * 16384 pixels per side and 1 GiB decoded): VKA_OK with *width, *height, or
 * an error (VKA_ERR_FORMAT, VKA_ERR_TOO_LARGE, VKA_ERR_INVALID_ARG) with
 * vka_last_error() naming what is wrong. */
VKA_API vka_status vka_image_probe(const void *data, size_t bytes, const char *what, int *width, int *height);
VKA_API void vka_image_free(vka_image *img);
/* Writes [h, w, 3] RGB as PNG. */
VKA_API vka_status vka_image_write_png(const char *path, int width, int height, const uint8_t *rgb);

typedef enum vka_resize_mode {
    VKA_RESIZE_SHORT_CROP = 0,   /* shorter side to `resize`, then center crop `crop` (ImageNet eval) */
    VKA_RESIZE_SQUARE = 1,       /* straight to crop x crop, aspect not kept (DETR) */
} vka_resize_mode;

typedef struct vka_preprocess_params {
    vka_resize_mode mode;
    int resize;                  /* default 256 */
    int crop;                    /* default 224 */
    float mean[3], std[3];       /* default ImageNet; x = (u8/255 - mean) / std */
    int antialias;               /* 1 (default): widen the bilinear filter when downscaling (PIL) */
} vka_preprocess_params;
VKA_API vka_preprocess_params vka_preprocess_default_params(void);

/* rgb: U8 [H, W, 3] on the device -> out: F32 [1, 3, crop, crop]. */
VKA_API vka_status vka_preprocess(vka_cmd *cmd, vka_tensor *rgb, const vka_preprocess_params *p, vka_tensor *out);

/* YUYV 4:2:2 (V4L2_PIX_FMT_YUYV: Y0 U Y1 V per pixel pair) to RGB, BT.601 limited range
 * (the usual webcam encoding): yuyv U8 [H, W·2] (W even) -> rgb U8 [H, W, 3]. Coefficients
 * from Kr = 0.299, Kb = 0.114 scaled by 255/219 (Y) and 255/224 (U, V): R = 1.164(Y-16) +
 * 1.596(V-128), G = 1.164(Y-16) - 0.392(U-128) - 0.813(V-128), B = 1.164(Y-16) + 2.017(U-128),
 * rounded half up and clamped to 0..255. */
VKA_API vka_status vka_yuyv_to_rgb(vka_cmd *cmd, vka_tensor *yuyv, vka_tensor *rgb);

/* ------------------------------------------------------------------ safetensors
 * Reads .safetensors files (8-byte little-endian header length, JSON header,
 * raw little-endian data) through mmap; every offset is checked against the
 * file size, so a malformed file gives an error naming what is wrong.
 *
 *     vka_safetensors *st = vka_safetensors_open("model.safetensors");
 *     const vka_st_tensor *w = vka_safetensors_find(st, "head.weight");
 *     // w->dtype, w->shape, w->data (valid until close)
 *     vka_safetensors_close(st);
 */
typedef enum vka_st_dtype {
    VKA_ST_F32 = 0, VKA_ST_F16, VKA_ST_BF16, VKA_ST_F64, VKA_ST_I64, VKA_ST_I32, VKA_ST_I16, VKA_ST_I8,
    VKA_ST_U8, VKA_ST_BOOL, VKA_ST_DTYPE_COUNT
} vka_st_dtype;

typedef struct vka_st_tensor {
    const char *name;
    vka_st_dtype dtype;
    int ndim;
    int64_t shape[VKA_MAX_DIMS];
    const void *data;          /* inside the mapping (read) or the caller's buffer (write) */
    size_t bytes;
} vka_st_tensor;

typedef struct vka_safetensors vka_safetensors;

VKA_API vka_safetensors *vka_safetensors_open(const char *path);
/* The same on a caller's buffer, which must outlive the handle (tensor data
 * points into it); `what` names it in errors (NULL: "<memory>"). Both refuse
 * offsets past the data or not exact integers, duplicate names and tensors
 * whose bytes overlap. */
VKA_API vka_safetensors *vka_safetensors_open_memory(const void *data, size_t size, const char *what);
VKA_API void vka_safetensors_close(vka_safetensors *st);
VKA_API int vka_safetensors_count(const vka_safetensors *st);
VKA_API const vka_st_tensor *vka_safetensors_get(const vka_safetensors *st, int i);      /* in header order */
VKA_API const vka_st_tensor *vka_safetensors_find(const vka_safetensors *st, const char *name);
VKA_API const char *vka_safetensors_metadata(const vka_safetensors *st, const char *key); /* NULL if absent */
/* Writes n tensors (dtype, shape, data, bytes) to path. */
VKA_API vka_status vka_safetensors_write(const char *path, int n, const vka_st_tensor *tensors);
VKA_API const char *vka_st_dtype_str(vka_st_dtype t);
VKA_API size_t vka_st_dtype_size(vka_st_dtype t);

/* ---- detection ops
 * Kernels of the RT-DETR / D-FINE / DEIMv2 detection heads: sampling, top-k
 * query selection, index ops. Index tensors are I32 on the device; the C side
 * cannot see their values, so out-of-range indices are handled in the kernels
 * as each op says (never an error, never a read outside the tensor). */

/* ONNX GridSample (opset 16), mode bilinear, padding zeros:
 * x [N, C, H, W], grid [N, Ho, Wo, 2] holding (x, y) in [-1, 1] -> y [N, C, Ho, Wo].
 * align_corners 0: -1 and 1 are the outer edges of the border pixels
 * (pixel = ((g + 1)·W - 1) / 2); 1: their centres (pixel = (g + 1) / 2 · (W - 1)).
 * Taps outside the image read 0; a NaN coordinate gives 0. */
VKA_API vka_status vka_grid_sample(vka_cmd *cmd, vka_tensor *x, vka_tensor *grid, int align_corners, vka_tensor *y);

#define VKA_DEFORM_MAX_LEVELS 8

typedef enum vka_deform_layout {
    /* value [B, S, H, D], levels concatenated along S (RT-DETR's MSDeformAttn) */
    VKA_DEFORM_VALUE_BSHD = 0,
    /* value [B, H, D, S]: what the D-FINE/DEIMv2 export slices per level into
     * [B·H, D, H_l, W_l] for its GridSample nodes (Transpose perm [0, 2, 3, 1]) */
    VKA_DEFORM_VALUE_BHDS = 1,
} vka_deform_layout;

typedef struct vka_deform_attn_desc {
    int levels;                                       /* L, 1..VKA_DEFORM_MAX_LEVELS */
    int64_t spatial_shapes[VKA_DEFORM_MAX_LEVELS][2]; /* (H_l, W_l); S = Σ H_l·W_l */
    int points[VKA_DEFORM_MAX_LEVELS];                /* P_l (1..255); all 0: one P from the tensors */
    vka_deform_layout value_layout;                   /* default VKA_DEFORM_VALUE_BSHD */
} vka_deform_attn_desc;

VKA_API vka_deform_attn_desc vka_deform_attn_default_desc(void);

/* Multi-scale deformable attention in one dispatch:
 * out[b, q, h·D + d] = Σ_l Σ_p w[b, q, h, l, p] · bilinear(value level l, head h,
 * channel d, at loc[b, q, h, l, p] · (W_l, H_l) - 0.5), taps outside a level
 * read 0 (grid_sample with align_corners 0 and zeros padding, as in
 * ms_deform_attn_core_pytorch). Weights are used as given (softmax them before).
 * value: see vka_deform_layout; loc: [B, Nq, H, L, P, 2] of (x, y) in [0, 1]
 * (outside is allowed); w: [B, Nq, H, L, P] -> out: [B, Nq, H·D].
 * With per-level points (d->points, D-FINE's num_points_list, e.g. DEIMv2's
 * [4, 2]) loc is [B, Nq, H, ΣP_l, 2] and w [B, Nq, H, ΣP_l], level-major;
 * this form is also accepted for a uniform P. */
VKA_API vka_status vka_deform_attn(vka_cmd *cmd, const vka_deform_attn_desc *d, vka_tensor *value, vka_tensor *loc,
                           vka_tensor *w, vka_tensor *out);

/* Top-k along the last axis: x [..., N] -> values [..., k] (x's dtype) and
 * indices I32 [..., k]. largest 1: the k largest, else the k smallest; ties go
 * to the lower index (as ONNX Runtime). The result is always sorted (best
 * first, equal values by index), which also satisfies sorted = 0. -0 equals +0;
 * the order of NaNs is unspecified. N up to 2048 with any k; beyond that
 * (up to 2^19) k at most 2048. One workgroup per row. */
VKA_API vka_status vka_topk(vka_cmd *cmd, vka_tensor *x, int64_t k, int largest, int sorted, vka_tensor *values,
                    vka_tensor *indices);

/* ONNX Gather: y = x indexed along `axis` (negative from the end) by the I32
 * `indices` of any shape: y.shape = x.shape[:axis] + indices.shape +
 * x.shape[axis+1:]. Negative indices count from the end; indices still out of
 * [0, x.shape[axis]) give 0. x, y: F32, F16 or I32 (same dtype). */
VKA_API vka_status vka_gather(vka_cmd *cmd, vka_tensor *x, vka_tensor *indices, int axis, vka_tensor *y);

/* ONNX GatherElements: y[i] = x[i with i[axis] replaced by indices[i]]; indices
 * I32 of x's rank (each dim at most x's, except along axis), y shaped like
 * indices. Negative indices count from the end; out of range gives 0. */
VKA_API vka_status vka_gather_elements(vka_cmd *cmd, vka_tensor *x, vka_tensor *indices, int axis, vka_tensor *y);

/* ONNX Tile: y.shape[i] = x.shape[i] · repeats[i] (repeats >= 0, one per axis). */
VKA_API vka_status vka_tile(vka_cmd *cmd, vka_tensor *x, const int64_t *repeats, vka_tensor *y);

/* ONNX Where: y = cond ? a : b with numpy broadcasting of all three (at most 6
 * axes once broadcast-equal neighbours merge). cond: U8 or I32 (non-zero is
 * true); a, b, y: one dtype, F32, F16 or I32. */
VKA_API vka_status vka_where(vka_cmd *cmd, vka_tensor *cond, vka_tensor *a, vka_tensor *b, vka_tensor *y);

typedef enum vka_compare_op {
    VKA_CMP_EQ = 0, VKA_CMP_LT, VKA_CMP_GT, VKA_CMP_LE, VKA_CMP_GE,
    VKA_CMP_AND, VKA_CMP_OR, VKA_CMP_XOR,  /* logical: non-zero is true (Not: EQ with 0) */
    VKA_CMP_COUNT
} vka_compare_op;

/* y = (a op b) as I32 0/1 with numpy broadcasting; a, b: one dtype, F32, F16
 * or I32 (I32 compares exactly as integers). EQ..GE with a NaN give 0; the
 * logical ops count a NaN as true (non-zero). */
VKA_API vka_status vka_compare(vka_cmd *cmd, vka_compare_op op, vka_tensor *a, vka_tensor *b, vka_tensor *y);

/* ---- graph builders for the CNN and detection ops (declared here, after their types) */
/* Convolutional-network and detection builders (the kernels of the same names):
 * pad: begin/end per axis; pool: NCHW max/avg; resize: to [N, C, oh, ow],
 * scales {h, w} as the model gave them or NULL; topk along the last axis, the
 * I32 indices through *indices; compare gives I32 0/1; deform_attn: see
 * vka_deform_attn. */
VKA_API vka_val vka_graph_pad(vka_graph *g, const char *name, vka_val x, const int64_t *begin, const int64_t *end,
                      vka_pad_mode mode, float value);
VKA_API vka_val vka_graph_pool(vka_graph *g, const char *name, vka_pool_op op, vka_val x, const vka_pool_params *p);
VKA_API vka_val vka_graph_global_avgpool(vka_graph *g, const char *name, vka_val x);
VKA_API vka_val vka_graph_resize(vka_graph *g, const char *name, vka_val x, vka_interp mode, vka_coord_mode coord,
                         vka_nearest_mode nearest, int64_t oh, int64_t ow, const float *scales);
VKA_API vka_val vka_graph_clip(vka_graph *g, const char *name, vka_val x, float lo, float hi);
VKA_API vka_val vka_graph_topk(vka_graph *g, const char *name, vka_val x, int64_t k, int largest, vka_val *indices);
VKA_API vka_val vka_graph_gather_elements(vka_graph *g, const char *name, vka_val x, vka_val indices, int axis);
VKA_API vka_val vka_graph_tile(vka_graph *g, const char *name, vka_val x, const int64_t *repeats);
VKA_API vka_val vka_graph_compare(vka_graph *g, const char *name, vka_compare_op op, vka_val a, vka_val b);
VKA_API vka_val vka_graph_grid_sample(vka_graph *g, const char *name, vka_val x, vka_val grid, int align_corners);
VKA_API vka_val vka_graph_deform_attn(vka_graph *g, const char *name, const vka_deform_attn_desc *d, vka_val value,
                              vka_val loc, vka_val weights);

/* Detection probe: where each query of a deformable-attention layer looked.
 * After a run of a graph built with probe_attention = 1: loc F32
 * [B, Nq, H, sum P, 2] (x, y normalized to [0, 1] over each level's map) and
 * weights F32 [B, Nq, H, sum P] (softmaxed over a head's points). layer < 0
 * counts from the end (the last decoder layer: -1). info (may be NULL) gets
 * the shapes. Either buffer may be NULL to skip it. */
typedef struct vka_deform_probe_info {
    int64_t batch, queries, heads, points; /* points: sum over levels */
    vka_deform_attn_desc desc;             /* levels, spatial shapes, points per level */
} vka_deform_probe_info;
VKA_API int vka_graph_deform_count(const vka_graph *g);
VKA_API vka_status vka_graph_deform_probe(vka_graph *g, int layer, float *loc, size_t loc_bytes, float *weights,
                                  size_t weights_bytes, vka_deform_probe_info *info);

/* DETR-family detectors exported with their postprocessor (RT-DETR, DEIMv2;
 * models/detr.c). Before build: adds the postprocessor's TopK indices (over
 * queries x classes) as the graph output VKA_DETR_TOPK_OUTPUT (int64 [1, N])
 * and sets *flat to queries x classes, so detection i came from decoder query
 * index[i] / (flat / queries) (queries: vka_deform_probe_info). */
#define VKA_DETR_TOPK_OUTPUT "vka_detr_topk"
VKA_API vka_status vka_detr_trace_queries(vka_graph *g, int64_t *flat);

/* ------------------------------------------------------------------ drawing
 * Overlays composited on the device (the live viewer: camera frame, heat map, boxes, text into a
 * window-sized buffer that is then copied into a swapchain image):
 *
 *     vka_draw_image_params dp = vka_draw_image_default_params();
 *     dp.dst_w = win_w, dp.dst_h = win_h, dp.bgra = 1;
 *     vka_draw_image(cmd, frame, heat, &dp, canvas);        // frame U8 [h, w, 3], heat F32 [gh, gw]
 *     vka_draw_rects(cmd, boxes, nboxes, 1, canvas);        // boxes I32 [max, 5]
 *     vka_draw_glyphs(cmd, font, 5, 8, text, nglyphs, 1, canvas);
 *
 * dst for all drawing ops: U8 [H, W, 4], one pixel per 4 bytes, R,G,B,A or (bgra = 1) B,G,R,A
 * (the byte order of a VK_FORMAT_B8G8R8A8 swapchain image); a view must start at a multiple of 4
 * bytes. Colours are given as 0xAARRGGBB. A byte is floor(v + 0.5) of the float result clamped to
 * [0, 255]. Blending with alpha a = A/255: each of R, G, B becomes a·colour + (1 - a)·old, the
 * pixel's alpha A + (1 - a)·old alpha. Inputs must not alias dst. */
typedef struct vka_draw_image_params {
    int src_x0, src_y0, src_x1, src_y1;   /* source rect in src pixels; all 0: the whole src */
    int dst_x, dst_y, dst_w, dst_h;       /* destination rect in dst pixels, may extend past dst (clipped) */
    int bgra;                             /* dst byte order */
    float heat_opacity;                   /* 0..1: colormap weight where the map covers (default 0.55) */
    float heat_lo, heat_hi;               /* map values at the colormap's dark and bright ends (default 0, 1) */
    float map_x0, map_y0, map_x1, map_y1; /* the rect of src pixels the map covers (all 0: the source rect) */
} vka_draw_image_params;
VKA_API vka_draw_image_params vka_draw_image_default_params(void);
/* Draws src U8 [h, w, 3] RGB (the source rect of it) scaled bilinearly (half-pixel centres, edges
 * clamped: pixels outside the source rect are never read) into the destination rect of dst.
 * map (optional, NULL): F32 [gh, gw] heat map spread bilinearly (half-pixel centres, edges clamped)
 * over the map rect; where it covers a pixel (the pixel's centre maps into [map_x0, map_x1) x
 * [map_y0, map_y1)) the pixel becomes (1 - opacity)·image + opacity·inferno((v - lo) / (hi - lo)),
 * the fraction clamped to [0, 1] (hi == lo: the dark end). A = 255. Pixels outside the destination
 * rect are untouched. The source rect must lie in src; dst_w, dst_h >= 0 (0: nothing drawn);
 * dst_x, dst_y, dst_w, dst_h within ±2^24. */
VKA_API vka_status vka_draw_image(vka_cmd *cmd, vka_tensor *src, vka_tensor *map, const vka_draw_image_params *p,
                          vka_tensor *dst);
/* Fills n rects (rows of rects I32 [>= n, 5]: x0, y0, x1, y1 exclusive, colour 0xAARRGGBB), clipped
 * to dst, alpha-blended (A 255 opaque). Rects drawn by one call may overlap only when opaque (the
 * order of overlapping writes is undefined). n = 0 records nothing. */
VKA_API vka_status vka_draw_rects(vka_cmd *cmd, vka_tensor *rects, int n, int bgra, vka_tensor *dst);
/* Draws n glyphs of a 1-bit font: font I32 [nchars, font_h], row r of character c a bitmask with
 * bit (font_w - 1 - x) the pixel at column x (font_w 1..32, font_h 1..64);
 * glyphs I32 [>= n, 4]: x, y (top-left in dst pixels), char | scale << 8 (char 0..255, scale
 * 1..16; a glyph with another scale draws nothing), colour 0xAARRGGBB (alpha-blended).
 * Each font pixel becomes scale x scale dst pixels, clipped to dst. Characters >= nchars draw
 * nothing. Glyphs drawn by one call may overlap only when opaque, as rects. */
VKA_API vka_status vka_draw_glyphs(vka_cmd *cmd, vka_tensor *font, int font_w, int font_h, vka_tensor *glyphs, int n,
                           int bgra, vka_tensor *dst);

/* ------------------------------------------------------------------ vision
 * Image models as two objects: a classifier (ViT / DeiT from ONNX or a timm,
 * torchvision or Hugging Face .safetensors) and a detector (RT-DETR family
 * exported with its postprocessor: DEIMv2, RT-DETRv2). A frame goes in (RGB
 * pixels from the host, or a U8 tensor already on the device: RGB or a YUYV
 * camera frame), is resized and normalized on the device the way the model
 * was evaluated, and top-k classes, boxes and attention heatmaps come out.
 *
 *     vka_classifier_params cp = vka_classifier_default_params();
 *     cp.labels_path = "imagenet1000_simple.txt";            // optional
 *     vka_classifier *cls = vka_classifier_create(ctx, "deit_tiny_patch16_224.onnx", &cp);
 *     if (!cls) { fprintf(stderr, "%s\n", vka_last_error()); ... }
 *     vka_image *img = vka_image_load("cat.jpg");
 *     if (vka_classifier_run_image(cls, img->rgb, img->width, img->height, 0) == VKA_OK) {
 *         vka_class_score top[5];
 *         int n = vka_classifier_top(cls, 5, top);           // top[i].index, .prob, .label
 *     }
 *     vka_classifier_destroy(cls);
 *
 *     vka_detector *det = vka_detector_create(ctx, "deimv2_hgnetv2_atto_coco.onnx", NULL);
 *     vka_detector_run_image(det, img->rgb, img->width, img->height, 0);
 *     vka_detection d[100];
 *     int n = vka_detector_results(det, 0.5, d, 100);          // d[i].box (image pixels), .label, .score
 *
 * Non-blocking (a render loop): vka_detector_submit(det, &frame, &sp) returns
 * once the frame is preprocessed and the model queued; vka_detector_poll()
 * says VKA_NOT_READY until the results are in. sp.slices > 1 lets the
 * application's own submissions to a shared queue run between the parts.
 *
 * Ownership: an object owns its graph, its device tensors and its results;
 * labels in params are copied (a labels_path file is read at creation). What
 * a getter returns (names, logits, the graph) stays valid until the object is
 * destroyed; results change at the next run that finishes. A frame's tensor
 * stays the caller's: keep it alive and do not write it until the submit has
 * returned (the model reads its own copy after that). Destroy objects before
 * their context; destroying NULL is a no-op.
 * Errors: actions return vka_status with the message on the context
 * (vka_context_last_error); constructors return NULL and set vka_last_error()
 * (a model that is not a classifier or not a detector is named as such).
 * Threads: an object is used by one thread at a time, like its context.
 * Device features: frames are U8 tensors (storageBuffer8BitAccess; YUYV also
 * shaderInt8); on a device without them a run fails naming the feature. */

typedef enum vka_frame_format {
    VKA_FRAME_RGB8 = 0,          /* 3 bytes per pixel, R G B */
    VKA_FRAME_YUYV = 1,          /* V4L2 YUYV 4:2:2, 2 bytes per pixel (vka_yuyv_to_rgb), width even */
} vka_frame_format;

/* One image for a classifier or detector: host pixels or a device tensor. */
typedef struct vka_frame {
    vka_frame_format format;
    int width, height;           /* pixels (a tensor's are read from its shape) */
    const void *pixels;          /* host: height rows of width x 3 (RGB8) or width x 2 (YUYV) bytes */
    size_t stride;               /* host: bytes from one row to the next; 0: packed */
    vka_tensor *tensor;          /* or, when pixels is NULL, on the device: U8 [height, width, 3] (RGB8) or
                                    U8 [height, width * 2] (YUYV) */
} vka_frame;

/* ---- classifier */
typedef struct vka_classifier vka_classifier;

typedef struct vka_classifier_params {
    int fuse;                    /* 1 (default): fusion passes */
    int heatmaps;                /* 1: build with the attention probe, for vka_classifier_heatmaps (default 0) */
    vka_precision precision;     /* storage of weights and activations (default VKA_PRECISION_F32) */
    /* Preprocessing (vka_preprocess, VKA_RESIZE_SHORT_CROP): 0 (default) reads
     * them from the model: crop = its input size S, resize = floor(S / 0.875)
     * (timm's and torchvision's eval transform: 224 -> resize 256, crop 224). */
    int resize, crop;
    float mean[3], std[3];       /* default ImageNet (0.485, 0.456, 0.406), (0.229, 0.224, 0.225) */
    const char *const *labels;   /* class names by index (copied), or NULL */
    int label_count;
    const char *labels_path;     /* when labels is NULL: a file with one name per line, or NULL */
} vka_classifier_params;
VKA_API vka_classifier_params vka_classifier_default_params(void);

/* Loads a model (.onnx, or .safetensors through vka_vit_from_safetensors) and
 * builds it. It must have one float input [1, 3, S, S] and float logits as
 * output 0. p NULL: the defaults. */
VKA_API vka_classifier *vka_classifier_create(vka_context *ctx, const char *path, const vka_classifier_params *p);
/* The same from an ONNX file in memory (only read; may be freed on return). */
VKA_API vka_classifier *vka_classifier_create_memory(vka_context *ctx, const void *onnx, size_t size,
                                                     const vka_classifier_params *p);
/* The same from a graph not yet built (the C builder, vka_onnx_load with
 * other params); the classifier owns g from this call on, also on failure. */
VKA_API vka_classifier *vka_classifier_create_graph(vka_graph *g, const vka_classifier_params *p);
/* Waits for a run still in flight, then frees everything. */
VKA_API void vka_classifier_destroy(vka_classifier *c);

/* Classifies a frame and waits: submit then wait. */
VKA_API vka_status vka_classifier_run(vka_classifier *c, const vka_frame *frame);
/* The same on host RGB8 pixels, rows stride bytes apart (0: width x 3). */
VKA_API vka_status vka_classifier_run_image(vka_classifier *c, const uint8_t *rgb, int width, int height, size_t stride);
/* Non-blocking: preprocesses the frame into the model's input (this waits
 * for the short preprocessing only) and submits the model (p NULL: one
 * submission, no sync). VKA_ERR_STATE while a run is in flight. */
VKA_API vka_status vka_classifier_submit(vka_classifier *c, const vka_frame *frame, const vka_submit_params *p);
/* VKA_NOT_READY while the run is in flight; VKA_OK once its results are in
 * (also when none was submitted). Never blocks. */
VKA_API vka_status vka_classifier_poll(vka_classifier *c);
/* Waits as vka_graph_wait (timeout_ns < 0: the context's timeout). */
VKA_API vka_status vka_classifier_wait(vka_classifier *c, int64_t timeout_ns);

typedef struct vka_class_score {
    int64_t index;               /* class */
    double prob;                 /* softmax over all logits, in double on the host */
    float logit;
    const char *label;           /* the class's name from params, or NULL */
} vka_class_score;
/* After a run: the k most likely classes, best first (equal logits by
 * index); returns how many were written (k or the class count if fewer;
 * 0 before the first run). */
VKA_API int vka_classifier_top(const vka_classifier *c, int k, vka_class_score *out);
VKA_API int64_t vka_classifier_classes(const vka_classifier *c);
/* The last run's logits, [classes] (NULL before the first run). */
VKA_API const float *vka_classifier_logits(const vka_classifier *c);
/* Name of class i from params, or NULL. */
VKA_API const char *vka_classifier_label(const vka_classifier *c, int64_t i);
/* The model's input size S and the preprocessing in use. */
VKA_API int vka_classifier_input_size(const vka_classifier *c);
VKA_API vka_preprocess_params vka_classifier_preprocess(const vka_classifier *c);
/* The part of a width x height frame the model sees (the centre crop), as
 * x0, y0, x1, y1 in frame pixels. */
VKA_API void vka_classifier_crop_rect(const vka_classifier *c, int width, int height, float rect[4]);
/* After a run: the crop the model saw, denormalized to RGB8 [S, S, 3]. */
VKA_API vka_status vka_classifier_input_rgb(vka_classifier *c, uint8_t *rgb, size_t bytes);

typedef struct vka_heatmap_info {
    int heads;                   /* maps per layer */
    int grid_h, grid_w;          /* the patch grid */
    int layers;                  /* attention layers of the model */
} vka_heatmap_info;
/* After a run, with params.heatmaps = 1: the CLS token's attention over the
 * patch grid in attention layer `layer` (negative from the end):
 * maps F32 [heads + 1, grid_h, grid_w], each head's map then their mean
 * (a head's map plus its CLS->CLS weight sums to 1). maps NULL: info only. */
VKA_API vka_status vka_classifier_heatmaps(vka_classifier *c, int layer, float *maps, size_t bytes,
                                           vka_heatmap_info *info);
/* The built graph, the classifier's: for profiles and probes. Do not run it. */
VKA_API vka_graph *vka_classifier_graph(const vka_classifier *c);

/* ---- detector */
typedef struct vka_detector vka_detector;

typedef struct vka_detector_params {
    int fuse;                    /* 1 (default): fusion passes */
    /* 1: build with the deformable-attention probe and trace each detection
     * to its decoder query, for vka_detector_heatmap (default 0) */
    int heatmaps;
    int clip;                    /* 1 (default): boxes clipped to the frame; 0: as the model gives them */
    vka_precision precision;     /* storage of weights and activations (default VKA_PRECISION_F32) */
    const char *const *labels;   /* class names by index (copied), or NULL */
    int label_count;
    const char *labels_path;     /* when labels is NULL: a file with one name per line, or NULL */
} vka_detector_params;
VKA_API vka_detector_params vka_detector_default_params(void);

/* Loads an RT-DETR-family ONNX detector exported with its postprocessor and
 * builds it: inputs images F32 [1, 3, S, S] and orig_target_sizes int64
 * [1, 2], outputs labels int64 [1, N], boxes F32 [1, N, 4] (x1 y1 x2 y2 in
 * image pixels), scores F32 [1, N]. Frames are resized to S x S (aspect not
 * kept, PIL-style antialiased bilinear) and scaled to [0, 1]. */
VKA_API vka_detector *vka_detector_create(vka_context *ctx, const char *path, const vka_detector_params *p);
VKA_API vka_detector *vka_detector_create_memory(vka_context *ctx, const void *onnx, size_t size,
                                                 const vka_detector_params *p);
/* From a graph not yet built; the detector owns g from this call on. */
VKA_API vka_detector *vka_detector_create_graph(vka_graph *g, const vka_detector_params *p);
/* Waits for a run still in flight, then frees everything. */
VKA_API void vka_detector_destroy(vka_detector *d);

VKA_API vka_status vka_detector_run(vka_detector *d, const vka_frame *frame);
VKA_API vka_status vka_detector_run_image(vka_detector *d, const uint8_t *rgb, int width, int height, size_t stride);
/* As vka_classifier_submit / _poll / _wait. */
VKA_API vka_status vka_detector_submit(vka_detector *d, const vka_frame *frame, const vka_submit_params *p);
VKA_API vka_status vka_detector_poll(vka_detector *d);
VKA_API vka_status vka_detector_wait(vka_detector *d, int64_t timeout_ns);

typedef struct vka_detection {
    float box[4];                /* x1, y1, x2, y2 in frame pixels */
    float score;
    int64_t label;               /* class index (DEIMv2: contiguous COCO-80) */
    const char *name;            /* the class's name from params, or NULL */
    int rank;                    /* position among the model's N outputs */
    int64_t query;               /* decoder query that made it (params.heatmaps), else -1 */
} vka_detection;
/* After a run: the detections with score >= threshold, in the model's order
 * (best first). Writes up to max of them to out (may be NULL with max 0)
 * and returns how many there are (0 before the first run). */
VKA_API int vka_detector_results(const vka_detector *d, double threshold, vka_detection *out, int max);
/* N: the detections the model outputs per frame. S: its input size. */
VKA_API int vka_detector_capacity(const vka_detector *d);
VKA_API int vka_detector_input_size(const vka_detector *d);
VKA_API const char *vka_detector_label(const vka_detector *d, int64_t i);
/* After a run, with params.heatmaps = 1: where decoder layer `layer`
 * (negative from the end) sampled for the detections with score >=
 * threshold, one head or all (head < 0): map F32 [grid, grid] over the frame
 * (vka_deform_heatmap). */
VKA_API vka_status vka_detector_heatmap(vka_detector *d, double threshold, int layer, int head, float *map, int grid);
VKA_API vka_graph *vka_detector_graph(const vka_detector *d);

/* Sampling heatmap of a deformable-attention layer (what
 * vka_detector_heatmap draws): the weights of the given decoder queries (one
 * head, or all for head < 0) splatted bilinearly onto a grid x grid map over
 * the image, blurred twice with [1 2 1]/4 each way and square-rooted, so
 * single points show as blobs and weak ones stay visible. loc, weights: one
 * layer of vka_graph_deform_probe as info describes; map: grid² floats. */
VKA_API vka_status vka_deform_heatmap(const float *loc, const float *weights, const vka_deform_probe_info *info,
                                      const int64_t *queries, int nq, int head, int grid, float *map);

/* ------------------------------------------------------------------ benchmark helpers */

/* How vka_measure_fp32_peak_ex measured: the FMA shader (48 FMAs per invocation
 * per iteration) timed with GPU timestamps, `reps` dispatches of `iters`
 * iterations each after a calibration, so that one dispatch runs for at least
 * min_ms. The best repetition is the peak: on a shared machine the others lost
 * time to other processes, never gained it. */
typedef struct vka_peak_info {
    double gflops;         /* best repetition: the peak */
    double median_gflops;  /* median repetition */
    double worst_gflops;   /* slowest repetition */
    int reps;              /* repetitions timed (after calibration) */
    double rep_ms;         /* GPU time of the best repetition */
    double total_ms;       /* GPU time of all timed repetitions */
    uint64_t invocations;  /* per dispatch */
    uint32_t iters;        /* loop iterations per invocation */
} vka_peak_info;
/* Measured fp32 FMA throughput of the device: reps repetitions (<= 0: 5), each
 * dispatch at least min_ms of GPU time (<= 0: 200). Takes ~reps·min_ms plus a
 * calibration of similar length. A spread (worst / best) far below 1 says the
 * machine was busy and the peak may be low, which inflates "% of peak". */
VKA_API vka_status vka_measure_fp32_peak_ex(vka_context *ctx, int reps, double min_ms, vka_peak_info *info);
/* vka_measure_fp32_peak_ex with the defaults; *gflops = info.gflops. */
VKA_API vka_status vka_measure_fp32_peak(vka_context *ctx, double *gflops);

#ifdef __cplusplus
}
#endif
#endif /* VKATTN_H */
