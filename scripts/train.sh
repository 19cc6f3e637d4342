#!/usr/bin/env bash
# The main job: set up and build (scripts/setup.sh), compile models/mlp.loom
# into a training executable, and train it for a short run, printing the loss.
# Extra arguments go to the executable (see build/mlp --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build/bin/loomc models/mlp.loom -o build/mlp
build/mlp --steps 200 --print-every 20 "$@"
