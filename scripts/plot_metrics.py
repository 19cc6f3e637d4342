#!/usr/bin/python3
"""Draws a --metrics file: the training loss of every step (and its running
mean) and the validation loss of every evaluation, against steps, with the
tokens trained on along the top.

Usage: scripts/plot_metrics.py METRICS.jsonl OUT.png [--title TEXT]

Needs Debian's python3-matplotlib (scripts/setup.sh installs it); run with
/usr/bin/python3. A resumed run appends to its metrics file: where a step
appears more than once, its last record counts.
"""
import argparse
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read(path):
    steps, evals = {}, {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{number}: not a JSON record: {e}")
            if "val_loss" in record:
                evals[record["step"]] = record
            elif "loss" in record:
                steps[record["step"]] = record
    if not steps:
        sys.exit(f"{path}: no step records")
    return [steps[s] for s in sorted(steps)], [evals[s] for s in sorted(evals)]


def running_mean(values, window):
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("metrics")
    parser.add_argument("out")
    parser.add_argument("--title", default=None)
    args = parser.parse_args()
    steps, evals = read(args.metrics)
    x = [r["step"] for r in steps]
    loss = [r["loss"] for r in steps]
    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=100)
    axes.plot(x, loss, color="tab:blue", alpha=0.25, linewidth=0.8, label="training loss")
    window = max(1, len(x) // 50)
    axes.plot(x, running_mean(loss, window), color="tab:blue", linewidth=1.6,
              label=f"training loss, mean of {window} steps")
    if evals:
        axes.plot([r["step"] for r in evals], [r["val_loss"] for r in evals], "o-",
                  color="tab:orange", linewidth=1.6, markersize=4, label="validation loss")
    axes.set_xlabel("step")
    axes.set_ylabel("loss (nats per token)")
    axes.grid(alpha=0.3)
    axes.legend()
    # Tokens along the top, from the step records (tokens grow linearly).
    tokens_per_step = steps[-1]["tokens"] / steps[-1]["step"]
    top = axes.secondary_xaxis("top", functions=(lambda s: s * tokens_per_step,
                                                 lambda t: t / tokens_per_step))
    top.set_xlabel("tokens trained on")
    axes.set_title(args.title or args.metrics, fontsize=10)
    figure.tight_layout()
    figure.savefig(args.out)
    print(f"{args.out}: {len(steps)} steps, {len(evals)} evaluations")


if __name__ == "__main__":
    main()
