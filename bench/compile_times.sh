#!/usr/bin/env bash
# loomc's compile time against depth, at GPT-2 small's width (dim 768,
# vocab 50257, batch 4, seq 64), on this machine in one sitting: each depth
# compiled RUNS times with the repeated block compiled once (the default),
# the fastest kept, then once per depth in UNROLLED_LAYERS with
# --unroll-layers (every layer compiled on its own), for comparison.
#   bench/compile_times.sh [RUNS] [LAYERS...]
#   (defaults: 3 runs; layers 1 6 12 24 48; UNROLLED_LAYERS="1 6 12")
# Prints a Markdown table and the ratio of the deepest to 12 layers.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shift || true
layers=("${@:-1 6 12 24 48}")
read -r -a layers <<< "${layers[*]}"
read -r -a unrolled <<< "${UNROLLED_LAYERS:-1 6 12}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Wall time of one compile, in seconds (loomc --timing's total).
compile() {
  build/bin/loomc models/gpt2.loom -D batch=4 -D seq=64 -D layers="$1" \
    -o "$out/model" --timing "${@:2}" 2>&1 |
    awk '/time: .* in all/ {print $3}'
}

declare -A fastest
for l in "${layers[@]}"; do
  best=
  for ((r = 0; r < runs; r++)); do
    t=$(compile "$l")
    if [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN {exit !(a < b)}'; then
      best=$t
    fi
  done
  fastest[$l]=$best
done

header="| layers |"; rule="|---|"; once="| compiled once (default), fastest of $runs |"
unroll="| \`--unroll-layers\`, one run |"
for l in "${layers[@]}"; do
  header+=" $l |"; rule+="---|"; once+=" ${fastest[$l]} s |"
  if [[ " ${unrolled[*]} " == *" $l "* ]]; then
    unroll+=" $(compile "$l" --unroll-layers) s |"
  else
    unroll+=" not run |"
  fi
done
printf '%s\n%s\n%s\n%s\n' "$header" "$rule" "$once" "$unroll"
deepest=${layers[-1]}
if [[ -n ${fastest[12]:-} ]]; then
  awk -v d="${fastest[$deepest]}" -v t="${fastest[12]}" -v l="$deepest" \
    'BEGIN {printf "%s layers take %.2fx the time of 12\n", l, d / t}'
fi
