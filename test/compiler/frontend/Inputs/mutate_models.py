"""Feeds loomc mutated model definitions and fails if it ever crashes or hangs.

Usage: mutate_models.py LOOMC MODEL.loom [--count N] [--seed S]

Each mutant deletes, duplicates, swaps or replaces a few characters or
tokens of MODEL.loom. loomc must exit with status 0 or 1 within the time
limit; a signal (a crash or an assertion) or a timeout is a failure.
"""
import argparse
import random
import subprocess
import sys
import tempfile

TOKENS = ["(", ")", "[", "]", ",", "=", ":", "+", "-", "*", "/", "0", "-1",
          "99999999999999999999", "1e309", "f32", "i32", "linear", "matmul",
          "gelu", "minimize", "const", "input", "param", "x", "#", "\n", "\t",
          "activation=", "bias=false", "normal(", "zeros", ".", "é", "\x00"]


def mutate(text, rng):
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        if not chars:
            break
        i = rng.randrange(len(chars))
        action = rng.randrange(4)
        if action == 0:
            del chars[i:i + rng.randint(1, 8)]
        elif action == 1:
            chars[i:i] = list(rng.choice(TOKENS))
        elif action == 2:
            j = rng.randrange(len(chars))
            chars[i], chars[j] = chars[j], chars[i]
        else:
            chars[i:i] = chars[rng.randrange(len(chars)):][:rng.randint(1, 20)]
    return "".join(chars)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("loomc")
    parser.add_argument("model")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    original = open(args.model, encoding="utf-8").read()
    outcomes = {0: 0, 1: 0}
    for n in range(args.count):
        mutant = mutate(original, rng)
        with tempfile.NamedTemporaryFile("w", suffix=".loom", delete=False,
                                         encoding="utf-8", errors="replace") as f:
            f.write(mutant)
            path = f.name
        try:
            result = subprocess.run([args.loomc, path, "--emit=fused"],
                                    capture_output=True, timeout=30)
        except subprocess.TimeoutExpired:
            print(f"mutant {n} hangs; kept at {path}")
            return 1
        if result.returncode not in (0, 1):
            print(f"mutant {n}: loomc exited with {result.returncode}; kept at {path}")
            print(result.stderr.decode(errors="replace")[-2000:])
            return 1
        if result.returncode == 1 and b"error" not in result.stderr:
            print(f"mutant {n}: loomc failed without an error message; kept at {path}")
            return 1
        outcomes[result.returncode] += 1
    print(f"{args.count} mutants: {outcomes[0]} compiled, {outcomes[1]} refused "
          f"with an error, none crashed or hung")
    return 0


if __name__ == "__main__":
    sys.exit(main())
