"""Checks a --metrics file: a record per step with the learning rate of
docs/training.md's schedule, and a record per evaluation.

Usage: check_metrics.py FILE --steps N --lr X --lr-min X --warmup N
       --schedule NAME --evals K
"""
import argparse
import json
import math
import sys


def expected_lr(step, args):
    if step <= args.warmup:
        return args.lr * step / args.warmup
    progress = min(1.0, (step - args.warmup) / max(1, args.steps - args.warmup))
    if args.schedule == "constant":
        return args.lr
    if args.schedule == "cosine":
        return args.lr_min + (args.lr - args.lr_min) * 0.5 * (1 + math.cos(math.pi * progress))
    return args.lr - (args.lr - args.lr_min) * progress


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--lr", type=float, required=True)
    parser.add_argument("--lr-min", type=float, default=0.0)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--schedule", default="constant")
    parser.add_argument("--evals", type=int, required=True)
    args = parser.parse_args()
    records = [json.loads(line) for line in open(args.file)]
    steps = [r for r in records if "loss" in r]
    evals = [r for r in records if "val_loss" in r]
    if [r["step"] for r in steps] != list(range(1, args.steps + 1)):
        sys.exit(f"step records for steps {[r['step'] for r in steps]}")
    for r in steps:
        want = expected_lr(r["step"], args)
        if abs(r["lr"] - want) > 1e-6 * max(abs(want), 1e-12):
            sys.exit(f"step {r['step']}: lr {r['lr']}, the schedule says {want}")
        if not (math.isfinite(r["loss"]) and r["tokens"] > 0 and r["ms"] > 0):
            sys.exit(f"step {r['step']}: a malformed record {r}")
    if len(evals) != args.evals:
        sys.exit(f"{len(evals)} evaluation records, expected {args.evals}")
    print(f"{len(steps)} step records follow the {args.schedule} schedule; "
          f"{len(evals)} evaluations")


if __name__ == "__main__":
    main()
