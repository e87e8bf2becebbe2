/* TEMPORARY placeholder while attention lands; deleted by that work. */
#include "internal.h"
vka_attn_desc vka_attn_default_desc(void) { vka_attn_desc d = {0}; return d; }
vka_status vka_attention(vka_cmd *cmd, const vka_attn_desc *d, vka_tensor *q, vka_tensor *k, vka_tensor *v, vka_tensor *o)
{ (void)d; (void)q; (void)k; (void)v; (void)o; return vka__err(cmd ? cmd->ctx : NULL, VKA_ERR_UNSUPPORTED, "not built yet"); }
vka_status vka_attention_naive(vka_cmd *cmd, const vka_attn_desc *d, vka_tensor *q, vka_tensor *k, vka_tensor *v, vka_tensor *s, vka_tensor *o)
{ (void)d; (void)q; (void)k; (void)v; (void)s; (void)o; return vka__err(cmd ? cmd->ctx : NULL, VKA_ERR_UNSUPPORTED, "not built yet"); }
vka_status vka_attention_probe(vka_cmd *cmd, const vka_attn_desc *d, vka_tensor *q, vka_tensor *k, vka_tensor *r, vka_tensor *p)
{ (void)d; (void)q; (void)k; (void)r; (void)p; return vka__err(cmd ? cmd->ctx : NULL, VKA_ERR_UNSUPPORTED, "not built yet"); }
