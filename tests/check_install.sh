#!/bin/sh
# SPDX-License-Identifier: MIT
# `cmake --install` into a temporary prefix, then an application outside the
# tree built against it through find_package(vkattn) (shared and static) and
# through pkg-config (shared and --static), each running vit_tiny_ci against
# the ONNX Runtime golden; examples/ built the same two ways and their output
# checked; the installed CLI finds the installed labels; and
# vkattn configured as a subproject (add_subdirectory) of a game.
#   check_install.sh BUILD_DIR SOURCE_DIR ASSETS_DIR
set -u
build=$1 src=$2 assets=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "PASS $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
prefix=$tmp/prefix
if cmake --install "$build" --prefix "$prefix" > "$tmp/install.log" 2>&1; then ok "cmake --install $prefix"; else
  bad "cmake --install"; cat "$tmp/install.log"; fi
libdir=$(dirname "$(find "$prefix" -name 'libvkattn.so.0' | head -1)")
for f in include/vkattn.h bin/vkattn share/vkattn/labels/coco80.txt share/doc/vkattn/LICENSE \
         share/doc/vkattn/CHANGELOG.md; do
  if [ -e "$prefix/$f" ]; then ok "installed $f"; else bad "missing $f"; fi
done
for f in libvkattn.a libvkattn.so libvkattn.so.0 cmake/vkattn/vkattnConfig.cmake \
         cmake/vkattn/vkattnConfigVersion.cmake pkgconfig/vkattn.pc; do
  if [ -e "$libdir/$f" ]; then ok "installed ${libdir#$prefix/}/$f"; else bad "missing ${libdir#$prefix/}/$f"; fi
done
[ -e "$prefix/share/vkattn/labels/imagenet1000_simple.txt" ] && bad "imagenet1000_simple.txt shipped (its licence is not recorded)"

# VKA_APP_FLAGS: what an application needs to link this build's archive (a
# sanitizer build's objects call the sanitizer runtime); empty normally
app_flags=${VKA_APP_FLAGS:-}
# the application, copied out of the tree
mkdir -p "$tmp/app"
cp "$src/tests/external/CMakeLists.txt" "$src/tests/external/main.c" "$src/tests/link/link_app.h" "$tmp/app/"
if cmake -S "$tmp/app" -B "$tmp/app-build" -DCMAKE_PREFIX_PATH="$prefix" ${app_flags:+-DCMAKE_C_FLAGS=$app_flags} > "$tmp/app.log" 2>&1 &&
   cmake --build "$tmp/app-build" >> "$tmp/app.log" 2>&1; then ok "find_package(vkattn): the application builds"; else
  bad "find_package(vkattn) build"; cat "$tmp/app.log"; fi
for exe in user_shared user_static; do
  if "$tmp/app-build/$exe" "$assets" > "$tmp/$exe.log" 2>&1; then
    ok "find_package: $exe runs: $(grep 'vit_tiny_ci' "$tmp/$exe.log")"
  else bad "find_package: $exe"; cat "$tmp/$exe.log"; fi
done
if readelf -d "$tmp/app-build/user_static" | grep -q 'libvkattn'; then bad "user_static links libvkattn.so"; else
  ok "user_static has no libvkattn.so dependency"; fi

# pkg-config
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc=${CC:-cc}
if $cc $app_flags -o "$tmp/pc_shared" "$tmp/app/main.c" $(pkg-config --cflags --libs vkattn) -lm -Wl,-rpath,"$libdir" \
     > "$tmp/pc.log" 2>&1 && "$tmp/pc_shared" "$assets" > "$tmp/pc_shared.log" 2>&1; then
  ok "pkg-config vkattn: builds and runs: $(grep 'vit_tiny_ci' "$tmp/pc_shared.log")"
else bad "pkg-config vkattn"; cat "$tmp/pc.log" "$tmp/pc_shared.log" 2>/dev/null; fi
if $cc $app_flags -o "$tmp/pc_static" "$tmp/app/main.c" $(pkg-config --cflags vkattn) "$libdir/libvkattn.a" \
     $(pkg-config --static --libs vkattn | sed 's/-lvkattn//') -lm > "$tmp/pcs.log" 2>&1 &&
   "$tmp/pc_static" "$assets" > "$tmp/pc_static.log" 2>&1; then
  ok "pkg-config --static vkattn: builds and runs: $(grep 'vit_tiny_ci' "$tmp/pc_static.log")"
else bad "pkg-config --static vkattn"; cat "$tmp/pcs.log" "$tmp/pc_static.log" 2>/dev/null; fi

# examples/ outside the tree against the installed package: its CMakeLists.txt on its own
# (find_package), and classify.c through pkg-config; their outputs checked (ORT: kitten 281, bus.jpg 4 persons + bus)
cp -r "$src/examples" "$tmp/examples"
ex=$tmp/ex-build
kitten="$assets/images/ort_kitten_224.png" bus="$assets/images/bus.jpg" labels="$assets/labels"
if cmake -S "$tmp/examples" -B "$ex" -DCMAKE_PREFIX_PATH="$prefix" ${app_flags:+-DCMAKE_C_FLAGS=$app_flags} > "$tmp/ex.log" 2>&1 &&
   cmake --build "$ex" >> "$tmp/ex.log" 2>&1; then ok "examples/ builds against the installed package"; else
  bad "examples/ against the installed package"; cat "$tmp/ex.log"; fi
if "$ex/classify" "$assets/models/deit_tiny_patch16_224.onnx" "$kitten" "$labels/imagenet1000_simple.txt" \
     > "$tmp/ex_cls.log" 2>&1 && grep -q '^1\. class 281 ' "$tmp/ex_cls.log"; then
  ok "installed examples: classify kitten: $(grep '^1\.' "$tmp/ex_cls.log")"
else bad "installed examples: classify"; cat "$tmp/ex_cls.log"; fi
if "$ex/detect" "$assets/models/deimv2_hgnetv2_atto_coco.onnx" "$bus" "$labels/coco80.txt" > "$tmp/ex_det.log" 2>&1 &&
   [ "$(grep -c '^box label 0 ' "$tmp/ex_det.log")" -eq 4 ] && [ "$(grep -c '^box label 5 ' "$tmp/ex_det.log")" -eq 1 ]
then ok "installed examples: detect bus.jpg: 4 persons and a bus"
else bad "installed examples: detect"; cat "$tmp/ex_det.log"; fi
if [ -x "$ex/game_loop" ]; then
  if "$ex/game_loop" "$assets/models/deimv2_hgnetv2_atto_coco.onnx" "$bus" --headless > "$tmp/ex_game.log" 2>&1 &&
     grep -q 'while an inference was in flight' "$tmp/ex_game.log"; then
    ok "installed examples: game_loop --headless: $(grep '^frames' "$tmp/ex_game.log")"
  else bad "installed examples: game_loop"; cat "$tmp/ex_game.log"; fi
fi
if $cc $app_flags -o "$tmp/pc_classify" "$tmp/examples/classify.c" $(pkg-config --cflags --libs vkattn) -Wl,-rpath,"$libdir" \
     > "$tmp/pcx.log" 2>&1 &&
   "$tmp/pc_classify" "$assets/models/deit_tiny_patch16_224.onnx" "$kitten" > "$tmp/pcx_run.log" 2>&1 &&
   grep -q '^1\. class 281 ' "$tmp/pcx_run.log"; then ok "pkg-config vkattn: examples/classify.c builds and runs"
else bad "pkg-config: examples/classify.c"; cat "$tmp/pcx.log" "$tmp/pcx_run.log" 2>/dev/null; fi

# the installed CLI, away from the source tree's assets: the installed COCO names
mkdir -p "$tmp/cwd"
if (cd "$tmp/cwd" && env -u VKATTN_ASSETS "$prefix/bin/vkattn" detect \
      "$assets/models/deimv2_hgnetv2_atto_coco.onnx" "$assets/images/bus.jpg" > "$tmp/cli.log" 2>&1) &&
   grep -q '^bus ' "$tmp/cli.log" && grep -q '^person ' "$tmp/cli.log"; then
  ok "installed vkattn detect names classes from the installed labels"
else bad "installed CLI"; cat "$tmp/cli.log"; fi

# a subproject
if cmake -S "$src/tests/subproject" -B "$tmp/sub" -DVKA_SOURCE="$src" > "$tmp/sub.log" 2>&1 &&
   grep -q 'vkattn as a subproject: ok' "$tmp/sub.log" && ! grep -q '^CMAKE_BUILD_TYPE:[A-Z]*=.' "$tmp/sub/CMakeCache.txt"
then ok "add_subdirectory: no CMAKE_BUILD_TYPE forced, no CLI or tests, vkattn::vkattn aliases"
else bad "add_subdirectory"; cat "$tmp/sub.log"; fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
