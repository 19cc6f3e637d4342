#!/usr/bin/env bash
# Installs what Loom needs on Debian 12 (only the packages that are missing),
# then configures and builds it in ./build. Run as root, or as a user with
# sudo. The other scripts start by running this one.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache python3
  clang-22 lld-22 llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  libomp-22-dev libgtest-dev libbenchmark-dev libopenblas-dev
  libclang-rt-22-dev  # libFuzzer and the sanitizers (test/fuzz)
  openmpi-bin libopenmpi-dev  # data-parallel training (docs/distributed.md)
  python3-numpy python3-torch  # the PyTorch reference of test/e2e and bench/
  python3-matplotlib  # bench/plot.py
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -f build/build.ninja ]; then
  cmake -G Ninja -S . -B build \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit
fi
ninja -C build
