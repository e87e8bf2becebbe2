#!/bin/sh
# Installs the Debian packages vkattn needs to build and test (apt-get when
# root, else prints the exact command and fails). Usage: scripts/deps.sh [viewer]
set -eu
pkgs="cmake make gcc pkg-config binutils libvulkan1 libvulkan-dev libvulkan-volk-dev glslang-tools spirv-tools
libstb-dev libcjson-dev protobuf-c-compiler libprotobuf-c-dev libonnx-dev mesa-vulkan-drivers
vulkan-validationlayers"
for extra in "$@"; do
  case "$extra" in
    viewer) pkgs="$pkgs libsdl2-dev xvfb xauth" ;;
    *) echo "deps.sh: unknown set '$extra'" >&2; exit 2 ;;
  esac
done
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
