/* SPDX-License-Identifier: MIT */
/* detr.c — recipe for DETR-family detectors exported with their postprocessor
 * (RT-DETR, DEIMv2): trace each detection back to the decoder query that made
 * it, so a viewer can show where that box's deformable attention looked.
 *
 *     int64_t flat;
 *     vka_detr_trace_queries(g, &flat);     // before vka_graph_build
 *     ... build (probe_attention = 1), run ...
 *     vka_graph_get_output(g, VKA_DETR_TOPK_OUTPUT, idx, 8 * n);
 *     query_of_detection_i = idx[i] / (flat / info.queries);   // info: vka_graph_deform_probe
 */
#include "graph.h"

vka_status vka_detr_trace_queries(vka_graph *g, int64_t *flat)
{
    if (!g || !flat)
        return VKA_ERR_INVALID_ARG;
    if (g->built)
        return vka__err(g->ctx, VKA_ERR_STATE, "vka_detr_trace_queries: call it before vka_graph_build");
    /* The postprocessor ranks sigmoid scores flattened over queries x classes
     * with one TopK; it is the graph's last TopK over a [1, Q*C] input. */
    for (int i = g->nnodes - 1; i >= 0; i--) {
        const vka__node *n = &g->nodes[i];
        if (n->op != VKA__OP_TOPK || n->out2 == VKA_NONE)
            continue;
        const vka__value *x = &g->vals[n->in[0]];
        if (x->ndim != 2 || x->shape[0] != 1)
            continue;
        for (int k = 0; k < g->noutputs; k++)
            if (g->outputs[k] == n->out2) { /* already an output */
                *flat = x->shape[1];
                return VKA_OK;
            }
        vka_status s = vka_graph_output(g, n->out2, VKA_DETR_TOPK_OUTPUT);
        if (!s)
            *flat = x->shape[1];
        return s;
    }
    return vka__err(g->ctx, VKA_ERR_NOT_FOUND,
                    "vka_detr_trace_queries: no TopK over a flattened [1, queries x classes] score in the graph "
                    "(is the postprocessor exported with the model?)");
}
