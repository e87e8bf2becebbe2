#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""rtdetr_export.py — a random-weight RT-DETRv2 r18vd from the official code
(lyuwenyu/RT-DETR, rtdetrv2_pytorch) exported to ONNX the way its
tools/export_onnx.py does, plus the exact input tensors for a golden.

    /usr/bin/python3 tests/ref/rtdetr_export.py --repo /work/scratch/rtdetr/rtdetrv2_pytorch \
        --out /work/scratch/rtdetr --image ../shared/assets/images/bus.jpg

writes OUT/rtdetrv2_r18vd_rand.onnx (inputs images [N,3,640,640] f32 and
orig_target_sizes [N,2] i64; outputs labels, boxes, scores: the official
deploy model and postprocessor) and OUT/rtdetrv2_r18vd_rand_input_bus.safetensors
(images, orig_target_sizes) for tests/ref/ort_golden.js.

Debian's torch 1.13 runs the official code with these patches, all made here
at import time (the repository copy is not edited, no model math changes):
  1. torch.optim.lr_scheduler.LRScheduler (torch >= 2.0) = _LRScheduler;
  2. torch.utils.tensorboard (tensorboard is not packaged with torch) -> a stub;
  3. src.data (torchvision.transforms.v2, faster_coco_eval; training data only)
     -> a stub package holding only torch's DataLoader;
  4. torch.distributed.fsdp (torch 1.13's fails to import on Python 3.11: a
     dataclass with a mutable default; src.misc.dist_utils only names the
     class) -> a stub with an empty FullyShardedDataParallel;
  5. torchvision.disable_beta_transforms_warning (torchvision >= 0.15), called
     by src.misc.visualizer at import -> a no-op.
Weights: see randomize() below; they are fixed by seeds.

Reduced width (--width-div N, --size S; tests/data/rtdetr): the same model code
and graph, every channel count divided by N: the config's HybridEncoder
(in_channels, hidden_dim, dim_feedforward) and RTDETRTransformerv2
(feat_channels, hidden_dim, dim_feedforward) through YAMLConfig overrides, and
the PResNet, whose widths are constants of its code, by narrowing each of its
Conv2d / BatchNorm2d after construction (slim_convs; the modules and forward
are unchanged). eval_spatial_size (precomputed anchors and position
embeddings) and the traced input become S x S. Heads, layers, points, levels,
queries and classes are kept. Files: rtdetrv2_r18vd_div{N}_{S}_rand*.

Floating-point bits depend on the CPU kernels: OpenBLAS (DYNAMIC_ARCH) picks
them per CPU and runs on its own threads, oneDNN picks its ISA, so the
BatchNorm calibration and constant folding differ in low bits between
machines. The pins below (set unless already in the environment, before numpy
and torch load) made the sums in tests/ref/README.md on an AVX-512 x86-64 CPU;
without OPENBLAS_CORETYPE=Haswell, an AMD EPYC 9004 (Zen 4) gets OpenBLAS's
Cooperlake kernels and other bytes.
"""
import os

PINS = {'OPENBLAS_CORETYPE': 'Haswell', 'OPENBLAS_NUM_THREADS': '2', 'OMP_NUM_THREADS': '1'}
for _k, _v in PINS.items():
    os.environ.setdefault(_k, _v)

import argparse  # noqa: E402
import sys  # noqa: E402
import types  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402


def patch_imports(repo):
    import torch.optim.lr_scheduler as lrs
    if not hasattr(lrs, 'LRScheduler'):
        lrs.LRScheduler = lrs._LRScheduler  # patch 1
    tb = types.ModuleType('torch.utils.tensorboard')  # patch 2
    tb.SummaryWriter = type('SummaryWriter', (), {})
    sys.modules['torch.utils.tensorboard'] = tb
    data = types.ModuleType('src.data')  # patch 3
    data.__path__ = []
    data.DataLoader = torch.utils.data.DataLoader  # the one name src.misc.dist_utils imports
    sys.modules['src.data'] = data
    fsdp = types.ModuleType('torch.distributed.fsdp')  # patch 4
    fsdp.FullyShardedDataParallel = type('FullyShardedDataParallel', (), {})
    sys.modules['torch.distributed.fsdp'] = fsdp
    import torchvision
    if not hasattr(torchvision, 'disable_beta_transforms_warning'):  # patch 5
        torchvision.disable_beta_transforms_warning = lambda: None
    sys.path.insert(0, repo)


def slim_convs(module, div, keep_in=3):
    """Divides the channels of every Conv2d and BatchNorm2d under module by div
    (a Conv2d reading keep_in channels, the image, keeps its input), replacing
    each with a fresh module of the same kind, kernel, stride, padding and
    groups. For backbones whose widths are constants of their code."""
    for name, m in module.named_children():
        if isinstance(m, nn.Conv2d):
            cin = m.in_channels if m.in_channels == keep_in else m.in_channels // div
            groups = 1 if m.groups == 1 else m.groups // div
            assert m.out_channels % div == 0 and (cin == keep_in or m.in_channels % div == 0)
            setattr(module, name, nn.Conv2d(cin, m.out_channels // div, m.kernel_size, m.stride, m.padding,
                                            m.dilation, groups, m.bias is not None, m.padding_mode))
        elif isinstance(m, nn.BatchNorm2d):
            setattr(module, name, nn.BatchNorm2d(m.num_features // div, m.eps, m.momentum, m.affine,
                                                 m.track_running_stats))
        else:
            slim_convs(m, div, keep_in)


def randomize(model, size=640):
    """The official init leaves many tensors constant (zero sampling-offset and
    attention-weight projections, zero last box-MLP layers, constant biases,
    unit norms, BatchNorm statistics 0/1), which would hide mistakes. So:
    after torch.manual_seed(0) and construction, every parameter whose values
    are all equal is re-drawn in named_parameters() order from
    torch.Generator().manual_seed(1): 1-D weights of norms as 1 + 0.1*randn,
    everything else as 0.02*randn (2-D weights) or 0.1*randn (biases); then the
    BatchNorm running statistics are calibrated (momentum None = plain average)
    by one no-grad forward, BatchNorm in train mode and everything else in eval
    mode, on torch.rand(2, 3, size, size, generator=Generator().manual_seed(2))."""
    g = torch.Generator().manual_seed(1)
    norms = set()
    for name, m in model.named_modules():
        if isinstance(m, (nn.BatchNorm2d, nn.LayerNorm)):
            norms.add(name + '.weight')
    redrawn = []
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.numel() > 1 and bool((p == p.reshape(-1)[0]).all()):
                if name in norms:
                    p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
                elif name.endswith('bias'):
                    p.copy_(0.1 * torch.randn(p.shape, generator=g))
                else:
                    p.copy_(0.02 * torch.randn(p.shape, generator=g))
                redrawn.append(name)
    model.eval()
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
        m.train()
    x = torch.rand(2, 3, size, size, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        model(x)
    model.eval()
    return redrawn, len(bns)


def write_safetensors(path, tensors, meta):
    import json
    header, off, blobs = {}, 0, []
    for name, a in tensors:
        a = np.ascontiguousarray(a)
        dt = {np.dtype('float32'): 'F32', np.dtype('int64'): 'I64'}[a.dtype]
        b = a.tobytes()
        header[name] = {'dtype': dt, 'shape': list(a.shape), 'data_offsets': [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    header['__metadata__'] = meta
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(len(h).to_bytes(8, 'little'))
        f.write(h)
        for b in blobs:
            f.write(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--repo', required=True, help='rtdetrv2_pytorch directory of lyuwenyu/RT-DETR')
    ap.add_argument('--out', required=True)
    ap.add_argument('--image', required=True)
    ap.add_argument('--config', default='configs/rtdetrv2/rtdetrv2_r18vd_120e_coco.yml')
    ap.add_argument('--raw', action='store_true', help='also export the model without postprocessor '
                    '(outputs pred_logits, pred_boxes) as *_raw.onnx, for debugging')
    ap.add_argument('--width-div', type=int, default=1, help='divide every channel count by this (1: the r18vd)')
    ap.add_argument('--size', type=int, default=640, help='input height and width (eval_spatial_size)')
    args = ap.parse_args()
    repo = os.path.abspath(args.repo)
    patch_imports(repo)
    from src.core import YAMLConfig

    S, div = args.size, args.width_div
    name = 'rtdetrv2_r18vd' + (f'_div{div}' if div > 1 else '') + (f'_{S}' if S != 640 else '') + '_rand'
    over = {'PResNet': {'pretrained': False}}
    if div > 1 or S != 640:
        over['eval_spatial_size'] = [S, S]
        over['HybridEncoder'] = {'in_channels': [128 // div, 256 // div, 512 // div], 'hidden_dim': 256 // div,
                                 'dim_feedforward': 1024 // div}
        over['RTDETRTransformerv2'] = {'feat_channels': [256 // div] * 3, 'hidden_dim': 256 // div,
                                       'dim_feedforward': 1024 // div}
    torch.manual_seed(0)
    cfg = YAMLConfig(os.path.join(repo, args.config), **over)
    if div > 1:
        slim_convs(cfg.model.backbone, div)
    redrawn, nbn = randomize(cfg.model, S)
    print(f'{len(redrawn)} constant parameters re-drawn, {nbn} BatchNorm layers calibrated')

    class Model(nn.Module):  # as tools/export_onnx.py
        def __init__(self, ) -> None:
            super().__init__()
            self.model = cfg.model.deploy()
            self.postprocessor = cfg.postprocessor.deploy()

        def forward(self, images, orig_target_sizes):
            outputs = self.model(images)
            outputs = self.postprocessor(outputs, orig_target_sizes)
            return outputs

    model = Model()
    data = torch.rand(1, 3, S, S)
    size = torch.tensor([[S, S]])
    _ = model(data, size)
    onnx_path = os.path.join(args.out, name + '.onnx')
    torch.onnx.export(model, (data, size), onnx_path, input_names=['images', 'orig_target_sizes'],
                      output_names=['labels', 'boxes', 'scores'],
                      dynamic_axes={'images': {0: 'N'}, 'orig_target_sizes': {0: 'N'}},
                      opset_version=16, verbose=False, do_constant_folding=True)
    model.eval()  # export puts the wrapper (built in training mode, as the official script's) back in training mode
    if args.raw:
        class Raw(nn.Module):
            def __init__(self):
                super().__init__()
                self.model = cfg.model

            def forward(self, images):
                o = self.model(images)
                return o['pred_logits'], o['pred_boxes']
        torch.onnx.export(Raw().eval(), (data,), onnx_path.replace('.onnx', '_raw.onnx'), input_names=['images'],
                          output_names=['pred_logits', 'pred_boxes'], opset_version=16,
                          do_constant_folding=True)

    import onnx
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    ops = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    print('nodes', len(m.graph.node), 'initializers', len(m.graph.initializer), 'parameters',
          sum(p.numel() for p in model.parameters()), 'ops', sorted(ops.items(), key=lambda kv: -kv[1]))

    # the official preprocessing (references/deploy/rtdetrv2_onnxruntime.py): T.Resize((S, S)) on the
    # PIL image (bilinear, antialiased when downscaling), T.ToTensor() (u8 / 255), no mean/std
    from PIL import Image
    im = Image.open(args.image).convert('RGB')
    w, h = im.size
    x = np.asarray(im.resize((S, S), Image.BILINEAR), dtype=np.float32) / np.float32(255)
    x = x.transpose(2, 0, 1)[None]
    stem = os.path.splitext(os.path.basename(args.image))[0]
    write_safetensors(os.path.join(args.out, f'{name}_input_{stem}.safetensors'),
                      [('images', x), ('orig_target_sizes', np.array([[w, h]], dtype=np.int64))],
                      {'image': os.path.basename(args.image),
                       'preprocessing': f'PIL RGB, resize(({S},{S}), BILINEAR), /255, CHW, batch 1'})
    with torch.no_grad():
        lab, box, sco = model(torch.from_numpy(x), torch.tensor([[w, h]]))
    print('torch top-5 scores', sco[0, :5].tolist(), 'labels', lab[0, :5].tolist())
    np.savez(os.path.join(args.out, f'{name}_torch_{stem}.npz'), labels=lab.numpy(), boxes=box.numpy(),
             scores=sco.numpy())


if __name__ == '__main__':
    main()
