#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/run.sh — every number in docs/perf.md, measured in one run on one
# machine, peers included: vkattn's GEMM, attention and model benchmarks, then
# ONNX Runtime CPU on the same models and inputs (when onnxruntime-node is
# installed: npm install --ignore-scripts onnxruntime-node@1.30.0, NODE_PATH
# pointing at its node_modules). Run it on a quiet machine; it prints the date.
# usage: sh bench/run.sh [runs]
set -eu
runs=${1:-10}
B=${BUILD:-build}
A=${VKATTN_ASSETS:-$(dirname "$0")/../../shared/assets}
V=$B/apps/vkattn
date -u '+# %Y-%m-%d %H:%M UTC'
echo "# $(uname -m), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
$V devices | head -3
$V bench gemm --runs "$runs"
$V bench attention --runs "$runs"
$V bench conv --runs "$runs"
for m in vit_tiny_ci deit_tiny_patch16_224 deimv2_hgnetv2_atto_coco deimv2_hgnetv2_femto_coco; do
  $V bench model "$A/models/$m.onnx" --runs "$runs"
  $V bench model "$A/models/$m.onnx" --runs "$runs" --no-fuse --no-peak --top 0 | grep -E '^(# model|latency)'
done
# the official RT-DETRv2 and Ultralytics RT-DETR-l random-weight exports, when
# generated (tests/ref/README.md): VKATTN_RTDETR_DIR points at them
R=${VKATTN_RTDETR_DIR:-}
if [ -n "$R" ] && [ -f "$R/rtdetrv2_r18vd_rand.onnx" ]; then
  for m in rtdetrv2_r18vd_rand rtdetr_l_rand; do
    [ -f "$R/$m.onnx" ] || continue
    $V bench model "$R/$m.onnx" --runs "$runs"
    $V bench model "$R/$m.onnx" --runs "$runs" --no-fuse --no-peak --top 0 | grep -E '^(# model|latency)'
  done
fi
# the live viewer: synthetic 640x480 @30 source (a new frame for every inference),
# heatmap on, 960x720 window; its steady-state line (after 3 warm-up frames) and
# how many frames went out while an inference ran, with the model in 8 slices
# (the default) and whole (--slices 1), one after the other
in_display() { if [ -n "${DISPLAY:-}" ]; then "$@"; else xvfb-run -a -s "-screen 0 1280x1024x24" "$@"; fi; }
for m in deimv2_hgnetv2_atto_coco deit_tiny_patch16_224; do
  for sl in 8 1; do
    echo "# view $m --slices $sl"
    if ! in_display "$V" view "$A/models/$m.onnx" --source synthetic --heatmap --frames 33 --size 960x720 --slices $sl |
         grep -E '^(vkattn view|steady|non-blocking)'; then
      echo "# view: not measured (no viewer in this build, or no display / xvfb-run)"
    fi
  done
done
if node -e "require('onnxruntime-node')" 2>/dev/null; then
  node "$(dirname "$0")/ort_latency.js" "$A/models/vit_tiny_ci.onnx" "$A/golden/vit_tiny_ci_rand.safetensors" 20
  node "$(dirname "$0")/ort_latency.js" "$A/models/deit_tiny_patch16_224.onnx" "$A/golden/deit_tiny_cats.safetensors" 20
  node "$(dirname "$0")/ort_latency.js" "$A/models/deimv2_hgnetv2_atto_coco.onnx" "$A/golden/deimv2_atto_bus.safetensors" 20
  node "$(dirname "$0")/ort_latency.js" "$A/models/deimv2_hgnetv2_femto_coco.onnx" "$A/golden/deimv2_femto_bus.safetensors" 20
  if [ -n "$R" ] && [ -f "$R/rtdetrv2_r18vd_rand.onnx" ]; then
    for m in rtdetrv2_r18vd_rand rtdetr_l_rand; do
      if [ -f "$R/$m.onnx" ]; then node "$(dirname "$0")/ort_latency.js" "$R/$m.onnx" "$R/${m}_input_bus.safetensors" 20; fi
    done
  fi
else
  echo "# onnxruntime-node not found (NODE_PATH): peer not measured"
fi
