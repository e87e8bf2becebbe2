/* SPDX-License-Identifier: MIT */
/* internal.h — shared between the runtime's source files; not installed.
 *
 * An op is implemented as: check shapes, fill a push-constant struct, then
 *     vka__binding b[] = {{x, 0}, {y, 1}};          // tensor, written?
 *     return vka__dispatch(cmd, "softmax_f32", spec, nspec, b, 2, &pc, sizeof pc, gx, gy, gz);
 * vka__dispatch finds or builds the pipeline, writes the descriptor set, adds the
 * barrier the hazards need, and records the dispatch.
 */
#ifndef VKA_INTERNAL_H
#define VKA_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <volk.h>

#include "vkattn.h"
#include "loader.h"
#include "shaders.h"

#define VKA_PUSH_MAX 128
#define VKA_MAX_BINDINGS 8
#define VKA_TEXEL_MASKS 8 /* texel-buffer bindings: any of bindings 0, 1 and 2 */
/* specialization constants of one pipeline, in 32-bit words: a kernel's own
 * (ids below VKA__CONV_FEW_SPEC0), and conv2d_few's weights from there (in its
 * _w64 variants two per 64-bit constant) */
#define VKA__CONV_FEW_SPEC0 16
#define VKA_MAX_SPEC (VKA__CONV_FEW_SPEC0 + VKA__CONV_FEW_WMAX64)
/* the most weights conv2d_few compiles into one pipeline (its VKA_FEW_WMAX):
 * one per constant, and in its _w64 variant two (shaderInt64) */
#define VKA__CONV_FEW_WMAX 1024
#define VKA__CONV_FEW_WMAX64 2048
#define VKA_ALLOC_ALIGN 256
#define VKA_BLOCK_BYTES (64ull << 20)

/* ------------------------------------------------------------ errors */

/* Sets the context's last error (and the thread's) and logs it; returns s. */
vka_status vka__err(vka_context *ctx, vka_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vka__set_tls_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vka__log(vka_context *ctx, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *vka__vkresult_str(VkResult r);

#define VKA_VK(ctx, call)                                                                   \
    do {                                                                                    \
        VkResult vka__r = (call);                                                           \
        if (vka__r != VK_SUCCESS)                                                           \
            return vka__err((ctx), vka__r == VK_ERROR_DEVICE_LOST ? VKA_ERR_DEVICE_LOST     \
                                   : (vka__r == VK_ERROR_OUT_OF_DEVICE_MEMORY ||            \
                                      vka__r == VK_ERROR_OUT_OF_HOST_MEMORY)                \
                                       ? VKA_ERR_OUT_OF_MEMORY : VKA_ERR_VULKAN,            \
                            "%s failed: %s (%s:%d)", #call, vka__vkresult_str(vka__r),      \
                            __FILE__, __LINE__);                                            \
    } while (0)

/* ------------------------------------------------------------ sizes (limits.c)
 * Every loader and builder counts elements and bytes through these: a count
 * read from a file is a hostile number. VKA__MAX_NUMEL (2^48) keeps numel * 8
 * far inside int64 and size_t, so a checked count times an element size needs
 * no further check. */
#define VKA__MAX_NUMEL ((int64_t)1 << 48)
/* *out = a * b for counts; false (and *out = -1) if either is negative or the product passes VKA__MAX_NUMEL. */
bool vka__mul_count(int64_t a, int64_t b, int64_t *out);
/* The element count of a shape; false for a bad rank, a negative dim or an overflow. */
bool vka__numel(int ndim, const int64_t *shape, int64_t *out);
/* ONNX axis normalisation: axis in [-rank, rank) into [0, rank); false outside. */
bool vka__axis(int64_t axis, int rank, int *out);
/* The same for an axis inserted into a rank-`rank` tensor (Unsqueeze): [-rank-1, rank]. */
bool vka__axis_insert(int64_t axis, int rank, int *out);
/* Half the machine's RAM: the default host budget for a model's constants. */
uint64_t vka__host_budget_default(void);

/* ------------------------------------------------------------ memory */

typedef struct vka__block {
    VkDeviceMemory mem;
    VkBuffer buf;
    VkDeviceSize size;
    void *mapped;                /* non-NULL when host-visible */
    struct vka__span *free;      /* sorted free list */
    struct vka__block *next;
} vka__block;

typedef struct vka__alloc {
    vka__block *block;
    VkDeviceSize offset;
    VkDeviceSize size;
} vka__alloc;

vka_status vka__mem_alloc(vka_context *ctx, VkDeviceSize size, vka__alloc *out);
void vka__mem_free(vka_context *ctx, vka__alloc *a);
void vka__mem_destroy_all(vka_context *ctx);

/* ------------------------------------------------------------ pipelines */

typedef struct vka__pipeline {
    char name[64];
    uint32_t *spec;              /* nspec values (owned) */
    int nspec;
    int nbind;
    uint32_t texel;              /* bit i: binding i is a uniform texel buffer */
    VkPipeline pipe;
    VkPipelineLayout layout;     /* owned by the context (one per nbind) */
    VkDescriptorSetLayout dsl;
} vka__pipeline;

vka_status vka__pipeline_get(vka_context *ctx, const char *name, const uint32_t *spec, int nspec,
                             int nbind, uint32_t texel, vka__pipeline **out);
void vka__pipelines_destroy(vka_context *ctx);
vka_status vka__pipeline_cache_load(vka_context *ctx);
void vka__pipeline_cache_save(vka_context *ctx);

/* ------------------------------------------------------------ features (features.c) */

/* Device features the kernels use, as SPIR-V capabilities ask for them. On a
 * context: those enabled on its device (all it has when the runtime made the
 * device; what the application enabled on its own device). pipeline.c picks
 * a variant without a missing one, or fails naming it. */
typedef struct vka__features {
    bool int64;                  /* shaderInt64: the GEMM's 64-bit B loads */
    bool int8;                   /* shaderInt8: 8-bit arithmetic (vka_yuyv_to_rgb) */
    bool float16;                /* shaderFloat16: f16 arithmetic (f16 compare, gather, pad, where) */
    bool storage16;              /* storageBuffer16BitAccess: f16 tensors */
    bool storage8;               /* storageBuffer8BitAccess: u8 tensors (images, Where's u8 condition) */
} vka__features;

/* What the physical device supports. */
void vka__features_query(const vka__instance_fns *vi, VkPhysicalDevice pd, vka__features *have);
/* What an application enabled, from the VkDeviceCreateInfo it gave vkCreateDevice. */
vka_status vka__features_enabled(const void *device_create_info, vka__features *on);
/* "shaderInt64, storageBuffer8BitAccess" into buf ("none" when empty). */
const char *vka__features_str(const vka__features *f, char *buf, size_t n);

/* pipeline.c: the subgroup size pipeline `name` is created with, 0 for the driver's choice */
uint32_t vka__required_subgroup_size(const vka_context *ctx, const char *name);

/* ------------------------------------------------------------ cooperative matrices (coopmat.c) */

/* Fills r from the device's NV and KHR properties (extension functions through vi). */
void vka__coopmat_query(const vka__instance_fns *vi, VkInstance instance, VkPhysicalDevice pd, uint32_t subgroup_size,
                        vka_coopmat_report *r);

/* ------------------------------------------------------------ queue (queue.c) */

/* vkQueueSubmit under the application's queue lock (vka_context_params.queue_lock). */
VkResult vka__queue_submit(vka_context *ctx, uint32_t n, const VkSubmitInfo *si, VkFence fence);
/* Waits for a fence: timeout_ns >= 0 waits that long and returns VKA_NOT_READY
 * if it is still unsignalled; < 0 waits the context's timeout and then fails
 * with VKA_ERR_TIMEOUT naming `what`. A lost device is VKA_ERR_DEVICE_LOST. */
vka_status vka__fence_wait(vka_context *ctx, VkFence fence, int64_t timeout_ns, const char *what);
/* A monotonic clock, in nanoseconds. */
double vka__now_ns(void);

/* ------------------------------------------------------------ objects */

struct vka_context {
    VkInstance instance;
    VkPhysicalDevice phys;
    VkDevice device;
    VkQueue queue;
    uint32_t queue_family;
    vka__instance_fns vi;        /* instance-level functions (loader.c), the context's own */
    struct VolkDeviceTable vk;   /* device-level functions, the context's own */
    bool own_instance, own_device;
    vka__features feat;          /* enabled on the device */
    bool shader_int64;           /* feat.int64 (op_gemm.c reads it) */
    const char *conv_variant;    /* kernel of the last vka_conv2d_ex ("conv.tex", ...; exec.c's plan reads it) */
    struct vka__conv_tune *conv_tune; /* op_conv2d.c: measured kernel choices per conv shape */
    VkSubgroupFeatureFlags subgroup_ops; /* supported in compute shaders (0 when compute has none) */
    vka_queue_lock_fn queue_lock;
    void *queue_lock_user;
    int64_t timeout_ns;          /* blocking waits; < 0: forever */
    VkDebugUtilsMessengerEXT messenger;
    int validation;
    int validation_errors;

    vka_device_info info;
    vka_coopmat_report coopmat;  /* coopmat.c: what the device reports */
    bool coopmat_gemm;           /* the NV fp16 GEMM is enabled and chosen */
    bool coopmat_emulate;        /* VKATTN_COOPMAT=emulate: f16 GEMMs run its _emu variant (tests) */
    bool sg_control;             /* subgroupSizeControl enabled: pipelines may require a size */
    bool sg_full;                /* computeFullSubgroups enabled */
    char coopmat_why[160];
    VkPhysicalDeviceProperties props;
    VkPhysicalDeviceMemoryProperties memprops;
    uint32_t mem_type;           /* for tensors */
    bool mem_host_visible;
    bool mem_coherent;
    uint32_t staging_type;       /* host-visible type for staging */
    bool staging_coherent;

    vka__block *blocks;
    uint64_t mem_used;

    VkCommandPool pool;          /* for one-shot transfers */
    VkFence xfer_fence;
    VkCommandBuffer xfer_pending; /* a transfer whose wait timed out */
    VkBuffer staging_buf;
    VkDeviceMemory staging_mem;
    void *staging_map;
    VkDeviceSize staging_size;

    VkPipelineCache pcache;
    char pcache_path[1024];
    vka__pipeline *pipes;
    int npipes, cap_pipes;
    /* [nbind][texel mask of bindings 0, 1 and 2] (see vka__binding.texel) */
    VkDescriptorSetLayout dsl[VKA_MAX_BINDINGS + 1][VKA_TEXEL_MASKS];
    VkPipelineLayout layouts[VKA_MAX_BINDINGS + 1][VKA_TEXEL_MASKS];

    vka_tensor *dummy;           /* bound where an optional tensor is absent */

    vka_log_fn log;
    void *log_user;
    int log_level;
    char err[1024];
};

struct vka_tensor {
    vka_context *ctx;
    vka_dtype dtype;
    int ndim;
    int64_t shape[VKA_MAX_DIMS];
    int64_t numel;
    size_t bytes;
    vka__alloc alloc;            /* of the root tensor; views copy it */
    VkDeviceSize byte_offset;    /* into alloc (views) */
    bool is_view;
    char name[64];
};

typedef struct vka__access {
    VkBuffer buf;
    VkDeviceSize lo, hi;
    bool write;
} vka__access;

struct vka_cmd {
    vka_context *ctx;
    VkCommandPool pool;
    VkCommandBuffer cb;
    VkFence fence;
    int state;                   /* 0 idle, 1 recording, 2 ended */
    bool inflight;               /* submitted; the fence not yet seen signalled */
    bool secondary;              /* a secondary command buffer (vka_graph_record) */
    VkDescriptorPool *dpools;
    int ndpools;
    VkBufferView *views;         /* texel-buffer views of the recorded dispatches */
    int nviews, cap_views;
    int dpool_cur, dpool_used;   /* pool in use, sets taken from it */
    vka__access *pending;        /* accesses since the last barrier */
    int npending, cap_pending;
    const char *last_writer;     /* for barrier labels */
    int ndispatch;
    int timestamps;
    VkQueryPool qpool;
    int qcap;
    char (*labels)[64];
    int cap_labels;
    double *times_ms;
    char label[64];
    int nbarriers;
};

/* ------------------------------------------------------------ dispatch */

typedef struct vka__binding {
    vka_tensor *t;               /* NULL: the context's dummy buffer */
    int write;                   /* 1: written; 0, VKA__TEXEL or VKA__TEXEL1: read */
} vka__binding;

/* vka__binding.write: read through a storage texel buffer of 4-vectors of the
 * tensor's dtype (GLSL imageBuffer, rgba32f or rgba16f) instead of a storage
 * buffer. llvmpipe compiles an imageLoad into vector loads and shuffles, but a
 * storage-buffer load at a per-invocation address into a branchy loop over the
 * SIMD lanes.
 * Bindings 0, 1 and 2 only (GEMM's A and B, attention's K and V); the view
 * starts where the storage descriptor would, so vka__off() holds for it too (in
 * elements; divide by 4 for texels). */
#define VKA__TEXEL 2
/* As VKA__TEXEL with texels of one element (GLSL imageBuffer r32f or r16f):
 * any offset and stride, for operands whose rows are not whole 4-vectors. */
#define VKA__TEXEL1 3

/* Can t be bound as a texel buffer (VKA__TEXEL): the view's start meets the
 * device's texel alignment and its length the texel limit. Whole texels are
 * the caller's to check (offsets and strides in multiples of 4 elements). */
int vka__texel_ok(const vka_context *ctx, const vka_tensor *t);
/* The same for VKA__TEXEL1 (one-element texels; the device must support the
 * format as a storage texel buffer, which R32_SFLOAT always is). */
int vka__texel1_ok(const vka_context *ctx, const vka_tensor *t);

/* Elements between the bound descriptor offset and the tensor's first element
 * (non-zero for views whose start is not aligned to the device's
 * minStorageBufferOffsetAlignment). Every shader adds it to its indices. */
uint32_t vka__off(const vka_tensor *t);

/* tensor.c: a view of `parent` (any dtype) as dtype at a byte offset */
/* IEEE half <-> float on the host (round to nearest even; overflow to inf). */
uint16_t vka__f32_to_f16(float f);
float vka__f16_to_f32(uint16_t h);
/* Downloads a F32 or F16 tensor as floats (n = its element count). */
vka_status vka__download_f32(const vka_tensor *t, float *out, int64_t n);
vka_tensor *vka__tensor_view_typed(vka_tensor *parent, vka_dtype dtype, size_t byte_offset, int ndim,
                                   const int64_t *shape);

/* cmd.c: a command recorded into a secondary command buffer, for an
 * application's primary one to execute (vka_graph_record). */
vka_cmd *vka__cmd_create_secondary(vka_context *ctx);
/* Submits an ended primary command with the waits of sync (when `waits`) and
 * its signals and fence (when `signals`); the command is then in flight. */
vka_status vka__cmd_submit_sync(vka_cmd *cmd, const vka_sync *sync, bool waits, bool signals);
/* vka_cmd_wait with `what` naming the wait in a timeout's message. */
vka_status vka__cmd_wait_named(vka_cmd *cmd, int64_t timeout_ns, const char *what);

vka_status vka__dispatch(vka_cmd *cmd, const char *shader, const uint32_t *spec, int nspec,
                         const vka__binding *b, int nbind, const void *push, size_t push_size,
                         uint32_t gx, uint32_t gy, uint32_t gz);

/* The fused epilogue's activation and flags as specialization constants 5 and 6
 * of the GEMM and conv kernels (shaders/include/epi_spec.glsl): the driver then
 * compiles only what runs. Zero-fills spec[nspec..4]; returns the new count, 7. */
static inline int vka__epi_spec(uint32_t *spec, int nspec, uint32_t act, uint32_t flags)
{
    for (int i = nspec; i < 5; i++)
        spec[i] = 0;
    spec[5] = act, spec[6] = flags;
    return 7;
}

/* Splits a 1-D count of workgroups across x and y within the device's
 * maxComputeWorkGroupCount; shaders rebuild the id with vka_group_id(). */
void vka__grid1d(vka_context *ctx, uint64_t groups, uint32_t *gx, uint32_t *gy);

/* The grid of shaders/include/rows.glsl: ceil(len / VKA_ROW_WG) segments of
 * blocks of VKA_ROWS_PER_WG of `rows` rows, the blocks split across y and z
 * (the shader skips rows past the last). VKA_ERR_TOO_LARGE naming op past the limits. */
#define VKA_ROW_WG 64
#define VKA_ROWS_PER_WG 4
vka_status vka__grid_rows(vka_context *ctx, const char *op, uint64_t rows, uint64_t len, uint32_t g[3]);
/* The lane layout of shaders/include/tile_rows.glsl (conv2d_dw.comp,
 * pool2d_tile.comp): workgroups of VKA_TILE_WG lanes; a lane computes px = 8
 * outputs (4 where rows are that short) of up to VKA_TILE_ROWS rows of one
 * plane, fewer rows for large windows so that the unrolled code stays short
 * (at most VKA_TILE_TAPS window taps times rows); lanes numbered across the
 * planes, so workgroups stay full however small a plane is. lavapipe, bench
 * conv 2026-12-03 (depthwise): 8 outputs 1.2x faster than 4, 8 rows 1.3x
 * faster than 4 (16: no faster), workgroups of 64 5% faster than 8. */
#define VKA_TILE_WG 64
#define VKA_TILE_ROWS 8
#define VKA_TILE_TAPS 256
typedef struct vka__tile {
    uint32_t rows, px; /* output rows and outputs per row of a lane */
    uint32_t gx, gy;   /* the grid (vka__grid1d) */
} vka__tile;
/* The windows the tile kernels take (tile_rows.glsl's VKA_TILE_LMAX inputs
 * per row): up to 16x16, strides and dilations up to 4. */
bool vka__tile_ok(int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t dh, int64_t dw);
/* The layout for y [N, C, OH, OW] under a kh x kw window; VKA_ERR_TOO_LARGE
 * naming op when the lanes outgrow their 32-bit numbers or the grid the
 * device's limits. */
vka_status vka__tile_layout(vka_context *ctx, const char *op, const vka_tensor *y, int64_t kh, int64_t kw,
                            vka__tile *t);
/* x's rows as aligned 4-vector texels (1: its width and offset multiples of
 * 4, and a texel view possible), and then *ph, the phase of every lane's
 * first input, (-pad_left) & 3 (a lane's group starts on a multiple of 4
 * outputs); the XV and PH of conv2d_dw, conv2d_few and pool2d_tile. */
uint32_t vka__x_rows_texel4(const vka_context *ctx, const vka_tensor *x, int64_t pad_left, uint32_t *ph);
/* A pooled axis's length (-1: the window does not fit); with ceil_mode the
 * last window must still start inside x or its leading pad (PyTorch, ONNX
 * Runtime). */
int64_t vka__pool_len(int64_t in, int64_t pa, int64_t pb, int64_t k, int64_t d, int64_t s, int ceil_mode);
/* vka_pool2d; with pad_value (max only) the padding holds that value and
 * takes part in the max (a constant Pad the graph folded into the pool). */
vka_status vka__pool2d(vka_cmd *cmd, vka_pool_op op, vka_tensor *x, const vka_pool_params *p, const float *pad_value,
                       vka_tensor *y);
/* How a rows.glsl kernel binds x: VKA__TEXEL1 (element texels; llvmpipe loads
 * them inline, where a storage-buffer load is a loop over the lanes) where x
 * can be one, else 0 (a storage buffer, the kernel without "_tex"); the
 * environment variable `env` set to 0 forces the latter (tests). */
int vka__rows_x_texel(const vka_context *ctx, const vka_tensor *x, const char *env);

/* Variant name helper: "<base>_f32" or "<base>_f16". */
const char *vka__variant(char *buf, size_t n, const char *base, vka_dtype t);

/* op_conv2d.c: the kernel the plan runs for a conv of x [N, C, H, W] and OIHW
 * weights [O, C/groups, KH, KW] (measured on the device, see op_conv2d.c), as
 * a variant code for vka__conv2d; w_host: the weights' values will be on the
 * host when recorded (vka_conv_epilogue.w_host); *packed: that kernel wants
 * the weights packed by vka_conv_pack_weights. The packing pass asks. */
int vka__conv_plan(vka_context *ctx, vka_dtype dt, const int64_t *xshape, const int64_t *wshape,
                   const vka_conv_params *p, bool w_host, bool *packed);
/* vka_conv2d_ex running variant code `variant` (from vka__conv_plan; < 0: choose). */
vka_status vka__conv2d(vka_cmd *cmd, vka_tensor *x, vka_tensor *w, vka_tensor *bias, const vka_conv_params *p,
                       const vka_conv_epilogue *e, vka_tensor *y, int variant);
void vka__conv_tune_free(vka_context *ctx);

/* op_attention.c: head dims the flash kernels take (the fusion pass asks). */
int vka__attn_head_dim_ok(int64_t D);

/* Checks shared by the ops; each returns VKA_OK or sets the error naming `op`. */
vka_status vka__check_cmd(vka_cmd *cmd, const char *op);
vka_status vka__check_float(vka_context *ctx, const char *op, const vka_tensor *t, const char *what);
vka_status vka__check_same_dtype(vka_context *ctx, const char *op, const vka_tensor *a, const vka_tensor *b);
/* vka__check_float, plus rank ndim (0: any) and at most 2^31-1 elements (32-bit indexing in shaders). */
vka_status vka__check_float_dims(vka_context *ctx, const char *op, const vka_tensor *t, const char *what, int ndim);
/* "[2, 3, 4]" into buf. */
const char *vka__shape_str(const vka_tensor *t, char *buf, size_t n);
const char *vka__tname(const vka_tensor *t);

#endif
