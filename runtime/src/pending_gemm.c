/* TEMPORARY placeholder while the GEMM work lands; deleted by it. */
#include "internal.h"
vka_gemm_desc vka_gemm_default_desc(void) { vka_gemm_desc d = {0}; d.alpha = 1; return d; }
vka_status vka_gemm(vka_cmd *cmd, const vka_gemm_desc *d, vka_tensor *a, vka_tensor *b, vka_tensor *c)
{ (void)d; (void)a; (void)b; (void)c; return vka__err(cmd ? cmd->ctx : NULL, VKA_ERR_UNSUPPORTED, "vka_gemm: not built yet"); }
vka_status vka_measure_fp32_peak(vka_context *ctx, double *g) { (void)g; return vka__err(ctx, VKA_ERR_UNSUPPORTED, "peak: not built yet"); }
