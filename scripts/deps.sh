#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages vkattn needs to build and test (apt-get when
# root, else prints the exact command and fails). Usage: scripts/deps.sh [core|fuzz]
# Without an argument: everything, the viewer (SDL2) and its headless test
# display (Xvfb) included; `core` only what the library, CLI and tests need
# (the viewer is then left out of the build and its test skips); `fuzz` the
# core set and what make fuzz-smoke needs (clang-14 with libFuzzer, and
# python3-onnx, -numpy, -pil for the seeds).
set -eu
pkgs="cmake make gcc pkg-config binutils libvulkan1 libvulkan-dev libvulkan-volk-dev glslang-tools spirv-tools
libstb-dev libcjson-dev protobuf-c-compiler libprotobuf-c-dev libonnx-dev mesa-vulkan-drivers
vulkan-validationlayers"
viewer="libsdl2-dev xvfb xauth"
fuzz="clang-14 libclang-rt-14-dev python3 python3-onnx python3-numpy python3-pil"
case "${1:-all}" in
  all) pkgs="$pkgs $viewer" ;;
  core) ;;
  fuzz) pkgs="$pkgs $fuzz" ;;
  *) echo "deps.sh: unknown set '$1' (all, core or fuzz)" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps.sh: missing Debian packages:$missing"
if [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends $missing
else
  echo "deps.sh: run as root:  sudo apt-get update && sudo apt-get install -y$missing" >&2
  exit 1
fi
