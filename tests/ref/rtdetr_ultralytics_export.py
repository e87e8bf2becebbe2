#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""rtdetr_ultralytics_export.py — a random-weight Ultralytics RT-DETR-l
(ultralytics/cfg/models/rt-detr/rtdetr-l.yaml, RTDETRDetectionModel) exported
to ONNX the way Ultralytics' exporter (engine/exporter.py, format=onnx) does.

    YOLO_OFFLINE=1 YOLO_CONFIG_DIR=/work/scratch/rtdetr/ucfg PYTHONPATH=/work/scratch/rtdetr/ultralytics \
        /usr/bin/python3 tests/ref/rtdetr_ultralytics_export.py --out /work/scratch/rtdetr \
        --input /work/scratch/rtdetr/rtdetrv2_r18vd_rand_input_bus.safetensors

writes OUT/rtdetr_l_rand.onnx (input images [1,3,640,640], output output0
[1, 300, 84] = 4 box values cx cy w h in [0, 1], then 80 sigmoid scores, one
row per query, in query order) and OUT/rtdetr_l_rand_input_bus.safetensors
(the same images tensor as the RT-DETRv2 golden: the official RT-DETR
preprocessing, PIL resize to 640x640, /255; Ultralytics' own predictor would
stretch with cv2 instead, which does not matter for parity).

The Ultralytics package runs unchanged on Debian's torch 1.13 with Debian's
python3-opencv, -matplotlib, -tqdm, -requests, -psutil, -cpuinfo, -yaml, -scipy
(no patches). Exporter steps copied: requires_grad False, eval, float,
fuse() (Conv+BN, RepConv), RTDETRDecoder.export = True / dynamic False /
format 'onnx', two dry runs on zeros, torch.onnx.export(opset =
get_latest_opset() = 16 on torch 1.13, do_constant_folding True,
input_names ['images'], output_names ['output0'], static shapes).
Weights: rtdetr_export.randomize() (same scheme as RT-DETRv2), before fuse().
The CPU-kernel pins of rtdetr_export (OPENBLAS_CORETYPE etc.) apply here too:
it is imported before numpy and torch.

Reduced width (--width-div N, --size S; tests/data/rtdetr): rtdetr-l.yaml as
loaded, every channel argument divided by N (HGStem, HGBlock, DWConv, Conv,
RepC3 widths, AIFI's feed-forward width) and RTDETRDecoder given hd = 256/N and
d_ffn = 1024/N (its other arguments at their defaults: 300 queries, 4 points,
8 heads, 6 layers); depth, kernels, heads and layers are kept. The input
(and the dry runs and trace) is S x S. Files: rtdetr_l_div{N}_{S}_rand*.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rtdetr_export import randomize, write_safetensors  # noqa: E402  (first: it pins the CPU kernels)

import numpy as np  # noqa: E402
import torch  # noqa: E402


def read_safetensors(path):
    b = open(path, 'rb').read()
    n = int.from_bytes(b[:8], 'little')
    h = json.loads(b[8:8 + n])
    out = {}
    for k, t in h.items():
        if k == '__metadata__':
            continue
        a, e = t['data_offsets']
        dt = {'F32': np.float32, 'I64': np.int64}[t['dtype']]
        out[k] = np.frombuffer(b[8 + n + a:8 + n + e], dtype=dt).reshape(t['shape'])
    return out, h.get('__metadata__', {})


def slim_cfg(d, div):
    """rtdetr-l.yaml's model dict with every channel argument divided by div (see the docstring)."""
    import copy
    d = copy.deepcopy(d)
    for layer in d['backbone'] + d['head']:
        m, args = layer[2], layer[3]
        if m in ('HGStem', 'HGBlock'):  # [cm, c2, ...]
            args[0], args[1] = args[0] // div, args[1] // div
        elif m in ('Conv', 'DWConv', 'RepC3', 'AIFI'):  # [c2 (AIFI: cm), ...]
            args[0] //= div
        elif m == 'RTDETRDecoder':  # [nc] -> [nc, hd, nq, ndp, nh, ndl, d_ffn]
            assert args == ['nc'] or args == [d['nc']], args
            layer[3] = [args[0], 256 // div, 300, 4, 8, 6, 1024 // div]
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--input', required=True, help='safetensors holding images [1, 3, S, S]')
    ap.add_argument('--width-div', type=int, default=1, help='divide every channel count by this (1: RT-DETR-l)')
    ap.add_argument('--size', type=int, default=640, help='input height and width')
    args = ap.parse_args()
    from ultralytics.nn.modules import RTDETRDecoder
    from ultralytics.nn.tasks import RTDETRDetectionModel, yaml_model_load
    from ultralytics.utils.torch_utils import get_latest_opset

    S, div = args.size, args.width_div
    name = 'rtdetr_l' + (f'_div{div}' if div > 1 else '') + (f'_{S}' if S != 640 else '') + '_rand'
    cfg = 'rtdetr-l.yaml' if div == 1 else slim_cfg(yaml_model_load('rtdetr-l.yaml'), div)
    torch.manual_seed(0)
    model = RTDETRDetectionModel(cfg, nc=80, verbose=False)
    redrawn, nbn = randomize(model, S)
    print(f'{len(redrawn)} constant parameters re-drawn, {nbn} BatchNorm layers calibrated')

    # engine/exporter.py, Exporter.__call__ "Update model"
    for p in model.parameters():
        p.requires_grad = False
    model.eval()
    model.float()
    model = model.fuse(verbose=False)
    for m in model.modules():
        if isinstance(m, RTDETRDecoder):
            m.dynamic = False
            m.export = True
            m.format = 'onnx'
    im = torch.zeros(1, 3, S, S)
    for _ in range(2):
        y = model(im)
    opset = get_latest_opset()
    f = os.path.join(args.out, name + '.onnx')
    torch.onnx.export(model, im, f, verbose=False, opset_version=opset, do_constant_folding=True,
                      input_names=['images'], output_names=['output0'], dynamic_axes=None)
    import onnx
    m = onnx.load(f)
    ops = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    print('opset', opset, 'output', tuple(y.shape), 'nodes', len(m.graph.node), 'initializers',
          len(m.graph.initializer), 'parameters', sum(p.numel() for p in model.parameters()),
          'ops', sorted(ops.items(), key=lambda kv: -kv[1]))

    t, meta = read_safetensors(args.input)
    x = np.ascontiguousarray(t['images'])
    meta = dict(meta, source_input=os.path.basename(args.input))
    if x.shape != (1, 3, S, S):
        raise SystemExit(f'{args.input}: images is {x.shape}, want (1, 3, {S}, {S})')
    stem = os.path.splitext(os.path.basename(meta.get('image', 'bus')))[0]
    write_safetensors(os.path.join(args.out, f'{name}_input_{stem}.safetensors'), [('images', x)], meta)
    with torch.no_grad():
        yt = model(torch.from_numpy(x.copy()))
    np.save(os.path.join(args.out, f'{name}_torch_{stem}.npy'), yt.numpy())
    print('torch output0', tuple(yt.shape), 'max score', float(yt[0, :, 4:].max()))


if __name__ == '__main__':
    main()
