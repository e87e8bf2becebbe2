/* TEMPORARY placeholder while the elementwise/layout ops land; deleted by that work. */
#include "internal.h"
#define NB(...) return vka__err(cmd ? cmd->ctx : NULL, VKA_ERR_UNSUPPORTED, "not built yet")
vka_status vka_binary(vka_cmd *cmd, vka_binary_op op, vka_tensor *a, vka_tensor *b, vka_tensor *y) { (void)op; (void)a; (void)b; (void)y; NB(); }
vka_status vka_unary(vka_cmd *cmd, vka_unary_op op, vka_tensor *x, vka_tensor *y) { (void)op; (void)x; (void)y; NB(); }
vka_status vka_permute(vka_cmd *cmd, vka_tensor *x, const int *perm, vka_tensor *y) { (void)perm; (void)x; (void)y; NB(); }
vka_status vka_concat(vka_cmd *cmd, int n, vka_tensor *const *xs, int axis, vka_tensor *y) { (void)n; (void)xs; (void)axis; (void)y; NB(); }
vka_status vka_slice(vka_cmd *cmd, vka_tensor *x, const int64_t *start, const int64_t *step, vka_tensor *y) { (void)start; (void)step; (void)x; (void)y; NB(); }
vka_status vka_cast(vka_cmd *cmd, vka_tensor *x, vka_tensor *y) { (void)x; (void)y; NB(); }
