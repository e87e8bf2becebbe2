#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks the test and demo assets that vkattn reads from $VKATTN_ASSETS
# (default ../shared/assets next to this checkout) and says where to get any
# that are missing. The assets are not in this repository: they are models and
# images with their own licences (see the assets' README.md and licenses/).
#
# Where they come from:
#   models/deimv2_hgnetv2_{atto,femto}_coco.onnx
#       github.com/Kazuhito00/DEIMv2-ONNX-Sample, model/ (Apache-2.0), exported from
#       the official Intellindust-AI-Lab/DEIMv2 checkpoints.
#   models/deit_tiny_patch16_224.{safetensors,onnx}
#       DeiT-Tiny weights converted from github.com/wvfunc/matlab-bit_true-deit_tiny-fix
#       (Apache-2.0) to timm-named safetensors, then exported to ONNX opset 17 with
#       torchvision's VisionTransformer (see the assets README, section 1).
#   models/vit_tiny_ci.{safetensors,onnx}
#       a 2-layer random ViT made with torch (assets README, section 2).
#   images/bus.jpg, images/zidane.jpg   github.com/ultralytics/yolov5 data/images/
#   images/coco_000000039769.png        COCO val2017 image 39769
#   images/ort_kitten_224.png, ort_fish.png   onnxruntime winml/test/collateral/images/
#   golden/*.safetensors                outputs of ONNX Runtime 1.30 CPU on the stored inputs
# Usage: scripts/get-assets.sh [DIR]
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-${VKATTN_ASSETS:-$here/../shared/assets}}
fail=0
check() { # sha256 path
  f="$dir/$2"
  if [ ! -f "$f" ]; then echo "missing  $2"; fail=1; return; fi
  got=$(sha256sum "$f" | cut -d' ' -f1)
  if [ "$got" = "$1" ]; then echo "ok       $2"; else echo "MISMATCH $2 (sha256 $got)"; fail=1; fi
}
check b114aa6610ac7c2bd9b3186ffb001afa872430db957407ef2473f7148d00646e models/deimv2_hgnetv2_atto_coco.onnx
check c6ad358f750132b891165e034c2ba507abefc5ebe1c1d2732a0acbcacc47e52c models/deimv2_hgnetv2_femto_coco.onnx
check c27d01970caebef26849e2f85e58b83c14ff14d3c93e557e1cac6042da23a61e models/deit_tiny_patch16_224.onnx
check a91a0fbf6ee3f0bbf1965e355ae8c63016cad5822752a7739672f988da5cc4b7 models/deit_tiny_patch16_224.safetensors
check bf2c1529df3f00c8aa8e30ef439125189fb497310375282795037bebf3a64865 models/vit_tiny_ci.onnx
check 0916afbe08932b392bdbdcceafb6f4da37628616f63c6029ed3444314245bec5 models/vit_tiny_ci.safetensors
check 33b198a1d2839bb9ac4c65d61f9e852196793cae9a0781360859425f6022b69c images/bus.jpg
check 356dad2107bb0254e4e4a81bc1d9c7140043e88569d546e5b404b19bffa77d0a images/zidane.jpg
check cf6f3c4befa148732c7453e0de5afab00f682427435fead2d88b07a9615cdac2 images/coco_000000039769.png
check e49fb5cd0c31b07984784e50a809825370d8adeac31c9f86ff396f64da635010 images/ort_kitten_224.png
check 5dc87a520293463e60023ae4070e475c2712c8aba77ecf43432d3d946c6d1bcc images/ort_fish.png
check 26f91a6d11b4991e21cad8b13bfa9688b6d57b1ce0a59a8617933dacca512b8f labels/imagenet1000_simple.txt
check bd17f1ee35d5f3c862a4894605855abbb9dda4b0621fdb0ac4c2c8c7bb7e730a labels/coco80.txt
check 9aeb01d618c27eb71350a20c1d4fc6440b0468db93ef7e1b917d6c0acd584452 golden/vit_tiny_ci_rand.safetensors
check 2531a38fa4467c92ac47c7ec8f77d40eb9bf6ff9d4b935f468f3b36be16ece3f golden/deit_tiny_cats.safetensors
check 57b856accbc9f210a0f075c34fa3e0f7b3136c956b8e5c5a2d67d89cce48d633 golden/deit_tiny_kitten.safetensors
check 062664bfd92634aac76bb46bb26e6ba2d96c5a882ae3a052aa4a188d4e6c323b golden/deit_tiny_fish.safetensors
check e12f32dc7d518e33d16c24cf802e2370dbb9cdeb03738d822ef4c5a2f8fb8ccd golden/deimv2_atto_bus.safetensors
check fd27c82f476ec8f1451cb95ab3ca16b5bcec3e8525cecde827cfff4a1a41009a golden/deimv2_femto_bus.safetensors
if [ $fail -ne 0 ]; then
  echo "Some assets are missing or differ in $dir. Get them from the sources listed at the top of"
  echo "this script (or a copy of the team's shared/assets) and point VKATTN_ASSETS at the folder."
fi
exit $fail
