#!/usr/bin/env bash
# The main job: set up and build (scripts/setup.sh), compile a small GPT-2
# (models/gpt2.loom: 2 layers, dim 128, 4 heads, byte-level vocabulary) into a
# training executable, and train it on the text the project ships
# (data/gpl-3.0.txt as byte tokens), printing the loss. Extra arguments go
# to the executable (see build/gpt2 --help), e.g. --steps 2000 --save out.safetensors.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
python3 scripts/bytes_to_tokens.py data/gpl-3.0.txt build/gpl-3.0.bin
build/bin/loomc models/gpt2.loom -D layers=2 -D dim=128 -D heads=4 -D vocab=256 \
  -D batch=16 -D seq=64 -o build/gpt2
build/gpt2 --data build/gpl-3.0.bin --steps 400 --lr 2e-3 --grad-clip 1 \
  --print-every 20 "$@"
