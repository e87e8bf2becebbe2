#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs fuzz targets one after another, each for SECONDS, on build-fuzz/:
# corpus in build-fuzz/corpus/<target> (kept between runs), seeds from
# build-fuzz/seeds/<target> (make_seeds.py), findings in build-fuzz/crashes/,
# logs in build-fuzz/logs/. Fails if any target finds a crash,
# leak, UB report or timeout. Prints each target's execs, exec/s and coverage.
# FUZZ_FLAGS adds libFuzzer flags (e.g. "-fork=1 -ignore_crashes=1" to keep
# going after a finding and collect them all).
# FUZZ_SMOKE=1 (make fuzz-smoke, CI) makes the run replayable: a fresh corpus
# (build-fuzz/smoke-corpus, seeds only), -seed=1, a fixed number of inputs per
# target (about 30 s each on a 2-core Xeon) with SECONDS as a cap, no corpus
# reloads (-reload=0: they run by the clock), address-space randomisation off
# (setarch -R: libFuzzer learns from compared values, pointers among them)
# (the ONNX targets choose conv kernels by rule, not by timing, in every
# run: fuzz_onnx_common.h). Two runs on one machine then execute the same inputs
# in the same order (checked: two whole smoke runs gave the four other targets
# identical coverage; fuzz_image agreed for 30 000 inputs and then drifted
# slightly, cov 4 051 vs 4 025 after 200 000), and a slower machine runs a
# prefix of them. A machine whose lavapipe reports other
# limits (its CPU's vector width sets the subgroup size) can still take other
# paths, so a CI failure is a real finding to fix, never noise to rerun. The
# long runs (make fuzz) stay unseeded and time-bounded.
#   usage: tests/fuzz/run.sh SECONDS TARGET...
set -eu
[ $# -ge 2 ] || { echo "usage: $0 SECONDS TARGET..." >&2; exit 2; }
secs=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
b=${FUZZ_BUILD:-build-fuzz}
mkdir -p "$b/crashes" "$b/logs"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$here/ubsan.supp"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
fail=0
for t in "$@"; do
  bin="$b/tests/fuzz/$t"
  [ -x "$bin" ] || { echo "run.sh: $bin not built (make fuzz-smoke builds it)" >&2; exit 2; }
  corpus="$b/corpus/$t"
  runs=-1
  if [ "${FUZZ_SMOKE:-0}" = 1 ]; then
    corpus="$b/smoke-corpus/$t"
    rm -rf "$corpus"
    case $t in
      fuzz_onnx) runs=300000 ;;
      fuzz_onnx_struct) runs=150000 ;;
      fuzz_safetensors) runs=1800000 ;;
      fuzz_image) runs=200000 ;;
      *) runs=10000000 ;;
    esac
  fi
  mkdir -p "$corpus" "$b/seeds/$t"
  dict=""
  timeout=60
  case $t in
    fuzz_onnx*) dict="-dict=$here/onnx.dict"; maxlen=16384 ;;
    fuzz_image) maxlen=16384; timeout=180 ;; # a 100-byte RLE TGA may declare 16384x16384 (see README)
    *) dict="-dict=$here/$(echo "$t" | sed 's/^fuzz_//').dict"; maxlen=4096 ;;
  esac
  log="$b/logs/$t.log"
  echo "== $t: $secs s (log $log)"
  rc=0
  smoke=""
  norand=""
  if [ "${FUZZ_SMOKE:-0}" = 1 ]; then
    smoke="-seed=1 -runs=$runs -reload=0"
    setarch "$(uname -m)" -R true 2>/dev/null && norand="setarch $(uname -m) -R"
  fi
  $norand "$bin" -max_total_time="$secs" $smoke -timeout=$timeout -rss_limit_mb=3072 -max_len=$maxlen -print_final_stats=1 \
    -artifact_prefix="$b/crashes/$t-" $dict ${FUZZ_FLAGS:-} "$corpus" "$b/seeds/$t" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
  echo "$t: rc $rc, ${execs:-?} execs, ${rate:-?} exec/s, ${cov:-no coverage line}"
  if [ $rc -ne 0 ]; then
    grep -m1 -A30 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|SUMMARY' "$log" | head -40
    ls "$b/crashes/$t-"* 2>/dev/null | tail -3
    fail=1
  fi
done
exit $fail
