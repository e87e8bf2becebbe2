#!/usr/bin/python3
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
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rtdetr_export import randomize, write_safetensors  # noqa: E402


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--input', required=True, help='safetensors holding images [1,3,640,640]')
    args = ap.parse_args()
    from ultralytics.nn.modules import RTDETRDecoder
    from ultralytics.nn.tasks import RTDETRDetectionModel
    from ultralytics.utils.torch_utils import get_latest_opset

    torch.manual_seed(0)
    model = RTDETRDetectionModel('rtdetr-l.yaml', nc=80, verbose=False)
    redrawn, nbn = randomize(model)
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
    im = torch.zeros(1, 3, 640, 640)
    for _ in range(2):
        y = model(im)
    opset = get_latest_opset()
    f = os.path.join(args.out, 'rtdetr_l_rand.onnx')
    torch.onnx.export(model, im, f, verbose=False, opset_version=opset, do_constant_folding=True,
                      input_names=['images'], output_names=['output0'], dynamic_axes=None)
    import onnx
    m = onnx.load(f)
    ops = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    print('opset', opset, 'output', tuple(y.shape), 'nodes', len(m.graph.node),
          'ops', sorted(ops.items(), key=lambda kv: -kv[1]))

    t, meta = read_safetensors(args.input)
    x = np.ascontiguousarray(t['images'])
    meta = dict(meta, source_input=os.path.basename(args.input))
    write_safetensors(os.path.join(args.out, 'rtdetr_l_rand_input_bus.safetensors'), [('images', x)], meta)
    with torch.no_grad():
        yt = model(torch.from_numpy(x.copy()))
    np.save(os.path.join(args.out, 'torch_rtdetr_l_bus.npy'), yt.numpy())
    print('torch output0', tuple(yt.shape), 'max score', float(yt[0, :, 4:].max()))


if __name__ == '__main__':
    main()
