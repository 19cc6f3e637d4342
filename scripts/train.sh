#!/usr/bin/env bash
# The main job: set up and build (scripts/setup.sh), compile a small GPT-2
# (models/gpt2.loom: 2 layers, dim 128, 4 heads, byte-level vocabulary, and
# position embeddings for the 64 positions it trains on) into a training
# executable, and train it on the text the project ships
# (data/gpl-3.0.txt, its last tenth held out for validation), printing the
# loss, evaluating every 100 steps and checkpointing every 250 into
# build/run/checkpoints; then draw build/run/loss.png from the metrics and
# print a sample of what the trained model writes (its inference entry
# points: a prefill of the prompt, then one decode step per token, up to
# the 64 positions).
# Extra arguments go to the executable (see build/gpt2 --help), e.g.
# --steps 2000, or --resume to continue a run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
build/bin/loomc models/gpt2.loom -D layers=2 -D dim=128 -D heads=4 -D vocab=256 -D ctx=64 \
  -D batch=16 -D seq=64 -o build/gpt2
mkdir -p build/run
if [[ " $* " != *" --resume "* ]]; then
  rm -rf build/run/checkpoints build/run/metrics.jsonl
fi
build/gpt2 --text data/gpl-3.0.txt --val-fraction 0.1 --steps 1000 --lr 2e-3 \
  --schedule cosine --warmup 50 --lr-min 2e-4 --grad-clip 1 \
  --eval-every 100 --print-every 50 --checkpoint-dir build/run/checkpoints \
  --checkpoint-every 250 --metrics build/run/metrics.jsonl "$@"
/usr/bin/python3 scripts/plot_metrics.py build/run/metrics.jsonl build/run/loss.png \
  --title "GPT-2, 2 layers of 128, on data/gpl-3.0.txt (byte-level)"
echo "--- a sample of the trained model (build/gpt2 sample):"
build/gpt2 sample --checkpoint-dir build/run/checkpoints --prompt "This License" \
  --temperature 0.8 --top-k 40 --seed 1
