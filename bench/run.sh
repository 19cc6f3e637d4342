#!/usr/bin/env bash
# The whole benchmark, side by side on this machine in one sitting:
# loom-bench (Loom's training step fused and unfused on the mini and gpt2s
# configs, every matrix product shape against OpenBLAS, a step broken down
# by operation), then the PyTorch baseline on the same configs and threads
# right after, with the ratio of the two, then a chart of it all.
#   bench/run.sh [OUTPUT_DIR]   (default build/bench)
# Run scripts/setup.sh first. OpenBLAS and PyTorch get their best settings
# here: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, OMP_WAIT_POLICY=PASSIVE
# for PyTorch (bench/pytorch_gpt2.py sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/bench}
mkdir -p "$out"
threads=${LOOM_BENCH_THREADS:-$(nproc)}
export OMP_NUM_THREADS=$threads

env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE build/bin/loom-bench | tee "$out/loom-bench.txt"

: > "$out/pytorch.txt"
peak=$(awk '/^the machine.s peak:/ {print $4}' "$out/loom-bench.txt")
for config in mini gpt2s; do
  loom_ms=$(awk -v c="train_step/$config" '$1 == c && $2 == "fused" {print $3}' "$out/loom-bench.txt")
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/pytorch_gpt2.py \
    --config "$config" --threads "$threads" --loom-ms "$loom_ms" --peak-gflops "$peak" \
    | tee -a "$out/pytorch.txt"
  # PyTorch's bf16 autocast against Loom's bf16 step, where loom-bench built
  # one (loomc --precision=bf16 runs on this CPU).
  loom_bf16_ms=$(awk -v c="train_step/$config" '$1 == c && $2 == "bf16" {print $4}' "$out/loom-bench.txt")
  bf16_peak=$(awk '/^the machine.s bf16 peak:/ {print $5}' "$out/loom-bench.txt")
  if [[ -n "$loom_bf16_ms" ]]; then
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/pytorch_gpt2.py \
      --config "$config" --threads "$threads" --bf16 --loom-ms "$loom_bf16_ms" \
      ${bf16_peak:+--peak-gflops "$bf16_peak"} | tee -a "$out/pytorch.txt"
  fi
done

/usr/bin/python3 bench/plot.py "$out/loom-bench.txt" "$out/pytorch.txt" "$out/bench.png"
