#!/bin/sh
# SPDX-License-Identifier: MIT
# The vkattn CLI links libvkattn statically and embeds its SPIR-V: it must not
# depend on libvulkan (volk loads the loader at run time) or on any vkattn
# file, and must run from an empty directory with an empty HOME.
set -eu
exe=$1
fail=0
needed=$(readelf -d "$exe" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
echo "NEEDED: $needed"
for lib in $needed; do
  case "$lib" in
    libvulkan*|libvkattn*) echo "FAIL links $lib"; fail=1 ;;
  esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$exe" "$tmp/vkattn"
if (cd "$tmp" && HOME="$tmp" XDG_CACHE_HOME="$tmp/cache" ./vkattn devices >devices.txt 2>&1 &&
    HOME="$tmp" XDG_CACHE_HOME="$tmp/cache" ./vkattn bench gemm --sizes 64 --runs 1 >bench.txt 2>&1); then
  echo "PASS runs alone from $tmp"
  cat "$tmp/devices.txt"
else
  echo "FAIL could not run from an empty directory"; cat "$tmp"/*.txt; fail=1
fi
if [ $fail -eq 0 ]; then echo "2 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
