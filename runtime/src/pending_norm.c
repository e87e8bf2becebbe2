/* TEMPORARY placeholder while softmax/layernorm/reduce land; deleted by that work. */
#include "internal.h"
vka_status vka_softmax(vka_cmd *cmd, vka_tensor *x, float scale, vka_tensor *mask, vka_tensor *y)
{ (void)x; (void)scale; (void)mask; (void)y; return vka__err(cmd ? cmd->ctx : NULL, VKA_ERR_UNSUPPORTED, "not built yet"); }
vka_status vka_layernorm(vka_cmd *cmd, vka_tensor *x, vka_tensor *g, vka_tensor *b, float eps, vka_tensor *y)
{ (void)x; (void)g; (void)b; (void)eps; (void)y; return vka__err(cmd ? cmd->ctx : NULL, VKA_ERR_UNSUPPORTED, "not built yet"); }
vka_status vka_reduce(vka_cmd *cmd, vka_reduce_op op, vka_tensor *x, int axis, vka_tensor *y)
{ (void)op; (void)x; (void)axis; (void)y; return vka__err(cmd ? cmd->ctx : NULL, VKA_ERR_UNSUPPORTED, "not built yet"); }
