#!/bin/sh
# SPDX-License-Identifier: MIT
# libvkattn.a and libvkattn.so export the vka_* API and nothing else: no
# volk vk*/volk* entry points, no protobuf-c or onnx__ symbols, no vka__
# internals, no embedded SPIR-V arrays; every function vkattn.h declares is
# defined in both; neither links libvulkan or libprotobuf-c.
# With the library's object directory as 4th argument: no runtime object but
# volk's own reads volk's global vk* pointers (they stay NULL: the runtime
# calls Vulkan through the context's tables, ctx->vi and ctx->vk).
#   check_symbols.sh libvkattn.a libvkattn.so vkattn.h [objdir]
set -eu
a=$1 so=$2 header=$3 objdir=${4:-}
fail=0 pass=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "PASS $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

nm -g --defined-only "$a" | awk 'NF == 3 {print $3}' | sort -u > "$tmp/a.syms"
nm -D -g --defined-only "$so" | awk 'NF == 3 {print $3}' | sed 's/@.*//' | sort -u > "$tmp/so.syms"
sed -n 's/^VKA_API[^(]*[ *]\(vka_[a-z0-9_]*\)(.*/\1/p' "$header" | sort -u > "$tmp/api"
napi=$(wc -l < "$tmp/api")
for lib in a so; do
  other=$(grep -v '^vka_[a-z0-9]' "$tmp/$lib.syms" || true)
  n=$(wc -l < "$tmp/$lib.syms")
  if [ -z "$other" ]; then ok "$lib: all $n defined globals are vka_*"; else
    bad "$lib: defined globals that are not vka_*: $(echo $other | head -c 600)"; fi
  missing=$(comm -23 "$tmp/api" "$tmp/$lib.syms")
  if [ -z "$missing" ] && [ "$napi" -gt 100 ]; then ok "$lib: all $napi functions of vkattn.h are exported"; else
    bad "$lib: vkattn.h functions not exported (VKA_API missing?): $(echo $missing | head -c 600)"; fi
done
# the archive asks nothing of libvulkan or protobuf-c (it loads Vulkan itself; protobuf-c is inside)
und=$(nm -u "$a" | awk '{print $2}' | grep -E '^(vk[A-Z]|volk|protobuf_c_|onnx__)' | sort -u || true)
if [ -z "$und" ]; then ok "a: no undefined vk*/volk*/protobuf_c_* references"; else
  bad "a: undefined references left for the application: $und"; fi
if [ -n "$objdir" ]; then
  glob=""
  for o in "$objdir"/*.o; do
    case "$o" in */volk_table.c.o) continue ;; esac
    u=$(nm -u "$o" | awk '{print $2}' | grep -E '^(vk[A-Z]|volk)' || true)
    [ -z "$u" ] || glob="$glob $(basename "$o"): $(echo $u)"
  done
  if [ -z "$glob" ]; then ok "objects: none reads volk's global vk* pointers"; else
    bad "objects call Vulkan through volk's globals (NULL here; use ctx->vi / ctx->vk):$glob"; fi
fi
needed=$(readelf -d "$so" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
case "$needed" in
  *libvulkan*|*libprotobuf-c*) bad "so: NEEDED $needed" ;;
  *) ok "so: NEEDED $needed(no libvulkan, no libprotobuf-c)" ;;
esac
if [ "$soname" = "libvkattn.so.0" ]; then ok "so: SONAME $soname"; else bad "so: SONAME '$soname'"; fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
