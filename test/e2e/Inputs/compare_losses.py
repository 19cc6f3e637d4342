"""Compares the per-step losses of two training logs.

Usage: compare_losses.py A.log B.log --rtol R [--below L] [--validation]

Both logs come from a training executable ("step N loss X (T ms)" lines).
Fails (exit 1) unless both have the same steps, every pair of losses agrees
to within relative tolerance R, and, with --below, the last loss of each is
below L. With --validation the validation losses ("step N val loss X")
are compared instead of the training batches'.
"""
import argparse
import re
import sys

STEP = re.compile(r"^step (\d+) loss (\S+) ")
VALIDATION = re.compile(r"^step (\d+) val loss (\S+) ")


def losses(path, pattern=STEP):
    with open(path) as log:
        return [(int(m.group(1)), float(m.group(2)))
                for m in map(pattern.match, log) if m]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--rtol", type=float, required=True)
    parser.add_argument("--below", type=float)
    parser.add_argument("--validation", action="store_true")
    args = parser.parse_args()

    pattern = VALIDATION if args.validation else STEP
    first, second = losses(args.first, pattern), losses(args.second, pattern)
    if not first or [s for s, _ in first] != [s for s, _ in second]:
        print(f"the logs have different steps: {len(first)} and {len(second)} lines")
        return 1
    worst = 0.0
    for (step, a), (_, b) in zip(first, second):
        relative = abs(a - b) / max(abs(a), abs(b), 1e-30)
        worst = max(worst, relative)
        if relative > args.rtol:
            print(f"step {step}: losses {a} and {b} differ by {relative:.3e} relative "
                  f"(tolerance {args.rtol})")
            return 1
    print(f"{len(first)} steps agree: largest relative difference {worst:.3e} "
          f"(tolerance {args.rtol})")
    if args.below is not None:
        for path, log in ((args.first, first), (args.second, second)):
            if not log[-1][1] < args.below:
                print(f"{path}: final loss {log[-1][1]} is not below {args.below}")
                return 1
        print(f"final losses {first[-1][1]} and {second[-1][1]} are below {args.below}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
