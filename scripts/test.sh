#!/usr/bin/env bash
# Set up and build (scripts/setup.sh), then run every test: lit tests of the
# dialect, passes, front end, runtime and tools, the GoogleTest unit tests,
# gradient checks and end-to-end training runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ninja -C build check-loom
