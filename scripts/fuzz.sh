#!/usr/bin/env bash
# Runs every fuzz target (test/fuzz) for longer than the tests do: SECONDS
# each (default 600), from a corpus kept in build/fuzz-corpus/NAME (seeded
# from test/fuzz/corpus/NAME and growing run by run). A crash leaves its
# input in build/fuzz-crashes/; keep it as a regression seed once fixed.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
scripts/setup.sh
mkdir -p build/fuzz-crashes
status=0
for target in json safetensors tokens tokenizer flags checkpoint model; do
  corpus=build/fuzz-corpus/$target
  mkdir -p "$corpus"
  cp -n test/fuzz/corpus/$target/* "$corpus"/
  echo "== loom-fuzz-$target, $seconds s"
  dict=()
  [ "$target" = model ] && dict=(-dict=test/fuzz/loom.dict)
  build/bin/loom-fuzz-$target "$corpus" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=1024 -malloc_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix=build/fuzz-crashes/$target- 2>&1 |
    grep -E "^(Done|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)" || status=1
done
exit $status
