#!/usr/bin/env python3
"""Draws bench/run.sh's results as one PNG: time per training step of Loom
(fused, unfused, fused with --remat) and PyTorch for each config, and the rate of every
matrix product shape, Loom against OpenBLAS and the machine's peak.

Usage: plot.py LOOM_BENCH.txt PYTORCH.txt OUT.png
"""
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read(loom_path, torch_path):
    steps, products = {}, []
    config = peak = None
    for line in open(loom_path):
        m = re.match(r"the machine's peak: ([\d.]+) GFLOP/s", line)
        if m:
            peak = float(m.group(1))
        m = re.match(r"\s+train_step/(\S+)\s+fused\s+([\d.]+) ms\s+unfused\s+([\d.]+) ms", line)
        if m:
            steps[m.group(1)] = {"Loom fused": float(m.group(2)),
                                 "Loom unfused": float(m.group(3))}
            last = m.group(1)
        m = re.match(r"\s+--remat: ([\d.]+) ms", line)
        if m and steps:
            steps[last]["Loom fused --remat"] = float(m.group(1))
        m = re.match(r"(\S+): matrix products", line)
        if m:
            config = m.group(1)
        m = re.match(r"\s+(\S+(?: \(tied wte\))?)\s+(A\S*) M=(\d+) N=(\d+) K=(\d+)\s+([\d.]+)\s+([\d.]+)", line)
        if m and config:
            products.append((f"{config} {m.group(1)} {m.group(2)}\n{m.group(3)}x{m.group(4)}x{m.group(5)}",
                             float(m.group(6)), float(m.group(7))))
    for line in open(torch_path):
        m = re.match(r"pytorch \S+ (\S+): ([\d.]+) ms/step", line)
        if m and m.group(1) in steps:
            steps[m.group(1)]["PyTorch"] = float(m.group(2))
    return steps, products, peak


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip())
    steps, products, peak = read(sys.argv[1], sys.argv[2])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(14, 11),
                                      gridspec_kw={"height_ratios": [1, 1.6]})
    configs = sorted(steps)
    series = ["Loom fused", "Loom unfused", "Loom fused --remat", "PyTorch"]
    width = 0.8 / len(series)
    for i, name in enumerate(series):
        values = [steps[c].get(name, 0) / steps[c]["Loom fused"] for c in configs]
        bars = top.bar([x + i * width for x in range(len(configs))], values, width, label=name)
        for bar, c in zip(bars, configs):
            ms = steps[c].get(name)
            if ms:
                top.annotate(f"{ms:.0f} ms", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                             ha="center", va="bottom", fontsize=8)
    top.set_xticks([x + width * (len(series) - 1) / 2 for x in range(len(configs))])
    top.set_xticklabels(configs)
    top.set_ylabel("time per step / Loom fused")
    top.set_title("GPT-2 training step (AdamW), same machine and threads")
    top.legend()

    labels = [p[0] for p in products]
    xs = range(len(products))
    bottom.bar([x - 0.2 for x in xs], [p[1] for p in products], 0.4, label="Loom")
    bottom.bar([x + 0.2 for x in xs], [p[2] for p in products], 0.4, label="OpenBLAS sgemm")
    bottom.set_xticks(list(xs))
    bottom.set_xticklabels(labels, rotation=90, fontsize=7)
    if peak:
        bottom.axhline(peak, color="black", linestyle="--", linewidth=1,
                       label=f"the machine's peak ({peak:.0f})")
    bottom.set_ylabel("GFLOP/s")
    bottom.set_title("Matrix products of a step, at the model's shapes")
    bottom.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(sys.argv[3], dpi=110)
    print(f"{sys.argv[3]}: written")


if __name__ == "__main__":
    main()
