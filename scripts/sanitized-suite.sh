#!/usr/bin/env bash
# Runs every test with the whole of Loom built with AddressSanitizer and
# UndefinedBehaviorSanitizer (-DLOOM_SANITIZE_ALL=ON, in ./build-sanitized):
# the front end, the passes, code generation, loomc, loom-opt, loom-bench,
# the runtime every executable links and the unit tests. LLVM, MLIR and the
# generated code are not instrumented. It takes about as long again as a
# build and the suite (so CI runs only the runtime's and the front end's
# tests sanitized: check-loom-sanitized). Any sanitizer report fails the test
# it occurs in. Usage: scripts/sanitized-suite.sh [lit arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ ! -f build-sanitized/build.ninja ]; then
  cmake -G Ninja -S . -B build-sanitized \
    -DCMAKE_BUILD_TYPE=Release -DLOOM_SANITIZE_ALL=ON \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit
fi
ninja -C build-sanitized
# -Dsanitized=1: the sanitizers' options (test/lit.cfg.py), and the tests
# that cannot hold with a sanitized runtime (reproducible-build.test: its
# debug information names the sources) are skipped.
/usr/lib/llvm-22/bin/lit -sv -Dsanitized=1 "${@:--j2}" build-sanitized/test
