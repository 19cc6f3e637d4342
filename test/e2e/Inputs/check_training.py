"""Checks that a language model trained on a token file learned it: the
mean loss over the last epoch of a training log (the last `epoch` steps,
which together see every window of the file once) must lie at least
`margin` nats below the unigram entropy of the file's tokens, the loss of
the best model that ignores context.

Usage: check_training.py LOG TOKENS.bin --epoch STEPS --margin NATS
"""
import argparse
import math
import re
import sys
from collections import Counter
from array import array


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("log")
    parser.add_argument("tokens")
    parser.add_argument("--epoch", type=int, required=True)
    parser.add_argument("--margin", type=float, required=True)
    args = parser.parse_args()

    tokens = array("H")
    with open(args.tokens, "rb") as f:
        tokens.frombytes(f.read())
    counts = Counter(tokens)
    entropy = -sum(c / len(tokens) * math.log(c / len(tokens)) for c in counts.values())

    with open(args.log) as log:
        losses = [float(m.group(1)) for m in map(re.compile(r"^step \d+ loss (\S+)").match, log) if m]
    if len(losses) < args.epoch:
        print(f"the log has {len(losses)} steps, fewer than an epoch of {args.epoch}")
        return 1
    last = sum(losses[-args.epoch:]) / args.epoch
    ok = last <= entropy - args.margin
    print(f"unigram entropy {entropy:.3f} nats; mean loss of the last {args.epoch} "
          f"steps {last:.3f} ({entropy - last:.3f} below); "
          f"{'learned' if ok else 'NOT LEARNED'} (needs {args.margin} below)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
