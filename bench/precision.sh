#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/precision.sh — f32 against f16 graphs (--precision) on the same
# device, interleaved: per model and round, `vkattn bench model` latency and
# GPU time (medians of N runs) and, steadier on a loaded machine, the CPU time
# the process spends per inference: user + system time of --runs N+2 minus
# --runs 2, over N (the build, the pipelines and the warm-ups cancel).
# usage: sh bench/precision.sh [runs] [rounds]
set -eu
runs=${1:-10}
rounds=${2:-2}
B=${BUILD:-build}
A=${VKATTN_ASSETS:-$(dirname "$0")/../../shared/assets}
V=$B/apps/vkattn
date -u '+# %Y-%m-%d %H:%M UTC'
echo "# $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
$V devices | head -3
cpu() { # user+system seconds of one command
  /usr/bin/time -f '%U %S' "$@" 2>&1 >/dev/null | tail -1 | awk '{print $1 + $2}'
}
for m in deit_tiny_patch16_224 deimv2_hgnetv2_atto_coco; do
  for r in $(seq "$rounds"); do
    for p in f32 f16; do
      lat=$($V bench model "$A/models/$m.onnx" --runs "$runs" --no-peak --precision "$p" | grep '^latency' | sed 's/latency (median of [0-9]*): //')
      big=$(cpu $V bench model "$A/models/$m.onnx" --runs $((runs + 2)) --no-peak --precision "$p")
      small=$(cpu $V bench model "$A/models/$m.onnx" --runs 2 --no-peak --precision "$p")
      echo "$m round $r $p: $lat; CPU $(echo "$big $small $runs" | awk '{printf "%.0f", ($1 - $2) * 1000 / $3}') ms per inference; load $(cut -d' ' -f1 /proc/loadavg)"
    done
  done
done
