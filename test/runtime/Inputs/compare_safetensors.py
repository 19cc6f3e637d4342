"""Compares two safetensors files of F32 tensors: the same names and shapes,
and every value within relative tolerance R of the other (measured against
the tensor's largest magnitude, so that values near zero do not dominate).

With --global, the measure is the norm of all differences against the norm
of all parameters instead: AdamW divides each gradient by its own running
size, so a parameter whose gradient is zero in exact arithmetic (the key
bias of attention: softmax ignores a constant added to every score) moves by
its rounding noise, differently in two exact-equivalent computations.

Usage: compare_safetensors.py A B --rtol R [--global]
"""
import math
import argparse
import json
import struct
import sys


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    start = 8 + length
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        values = struct.unpack(f"<{(end - begin) // 4}f", data[start + begin:start + end])
        tensors[name] = (entry["shape"], values)
    return tensors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--rtol", type=float, required=True)
    parser.add_argument("--global", dest="whole", action="store_true")
    args = parser.parse_args()
    a, b = read(args.a), read(args.b)
    if sorted(a) != sorted(b):
        sys.exit(f"different tensors: {sorted(set(a) ^ set(b))}")
    worst = 0.0
    squares = norms = 0.0
    for name in sorted(a):
        (shape_a, x), (shape_b, y) = a[name], b[name]
        if shape_a != shape_b:
            sys.exit(f"{name}: shape {shape_a} and {shape_b}")
        scale = max(max(abs(v) for v in x), 1e-30)
        error = max(abs(p - q) for p, q in zip(x, y)) / scale
        squares += sum((p - q) ** 2 for p, q in zip(x, y))
        norms += sum(p * p for p in x)
        worst = max(worst, error)
        if error > args.rtol and not args.whole:
            sys.exit(f"{name}: relative difference {error:.2e} > {args.rtol}")
    if args.whole:
        error = math.sqrt(squares / max(norms, 1e-30))
        if error > args.rtol:
            sys.exit(f"all parameters: relative difference {error:.2e} > {args.rtol}")
        print(f"{len(a)} tensors agree within {args.rtol} as a whole (difference {error:.1e}; "
              f"largest of one tensor {worst:.1e})")
        return
    print(f"{len(a)} tensors agree within {args.rtol} (largest difference {worst:.1e})")


if __name__ == "__main__":
    main()
