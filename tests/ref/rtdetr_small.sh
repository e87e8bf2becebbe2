#!/bin/sh
# SPDX-License-Identifier: MIT
# rtdetr_small.sh — regenerates tests/data/rtdetr: the reduced-width (channels / 8,
# 320x320) random-weight RT-DETRv2 r18vd and Ultralytics RT-DETR-l exports and
# their ONNX Runtime goldens on bus.jpg (see tests/data/rtdetr/README.md).
#
#     tests/ref/rtdetr_small.sh SRC OUT     (from the repository root)
#
# SRC holds rtdetrv2_pytorch/ and ultralytics/ as tests/ref/README.md unpacks
# them; OUT gets the two .onnx, the two goldens (what tests/data/rtdetr holds),
# the input tensors and torch's outputs. NODE_PATH must reach onnxruntime-node.
set -eu
SRC=$1 OUT=$2
mkdir -p "$OUT" "$SRC/ucfg"
V2=rtdetrv2_r18vd_div8_320_rand L=rtdetr_l_div8_320_rand
/usr/bin/python3 tests/ref/rtdetr_export.py --repo "$SRC/rtdetrv2_pytorch" --out "$OUT" \
    --image ../shared/assets/images/bus.jpg --width-div 8 --size 320
YOLO_OFFLINE=1 YOLO_CONFIG_DIR="$SRC/ucfg" PYTHONPATH="$SRC/ultralytics" /usr/bin/python3 \
    tests/ref/rtdetr_ultralytics_export.py --out "$OUT" --input "$OUT/${V2}_input_bus.safetensors" \
    --width-div 8 --size 320
node tests/ref/ort_golden.js "$OUT/$V2.onnx" "$OUT/${V2}_input_bus.safetensors" "$OUT/${V2}_bus.safetensors" \
    source=tests/ref/rtdetr_export.py width_div=8
node tests/ref/ort_golden.js "$OUT/$L.onnx" "$OUT/${L}_input_bus.safetensors" "$OUT/${L}_bus.safetensors" \
    source=tests/ref/rtdetr_ultralytics_export.py ultralytics=8.2.61@47ff2b4a76e4f158890088b7be1dfed0fc69f032 width_div=8
cd "$OUT" && sha256sum "$V2.onnx" "${V2}_bus.safetensors" "$L.onnx" "${L}_bus.safetensors"
