#!/usr/bin/env python3
"""PyTorch's matrix products at given shapes: the baseline loom-bench
--products measures Loom's bf16 products against (oneDNN's bf16 matmul,
which PyTorch calls for bf16 tensors on a CPU with AVX-512), or its f32
ones with --f32.

Each shape is M,N,K,LHS_T,RHS_T: C[M, N] = op(A)·op(B) with A stored [K, M]
when LHS_T is 1 and B stored [N, K] when RHS_T is 1, as loom-bench's
ProductShape. Prints one line per shape, "M N K LHS_T RHS_T GFLOPS", the
fastest of --repetitions timed calls after two untimed ones, and first a
line "# " describing what ran.

Usage: /usr/bin/python3 bench/pytorch_products.py --threads 2
       [--repetitions 10] [--f32] 256,2304,768,0,0 768,256,2304,1,0 ...
"""
import argparse
import os
import sys
import time


def passive_waits():
    """Re-executes with OMP_WAIT_POLICY=PASSIVE, as bench/pytorch_gpt2.py
    does: it must be set before torch loads OpenMP."""
    if os.environ.get("OMP_WAIT_POLICY") == "PASSIVE":
        return
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def parse_shape(text):
    fields = text.split(",")
    if len(fields) != 5:
        raise argparse.ArgumentTypeError(
            f"'{text}': expected M,N,K,LHS_T,RHS_T")
    try:
        m, n, k, lhs_t, rhs_t = (int(f) for f in fields)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': not five integers")
    if min(m, n, k) < 1 or lhs_t not in (0, 1) or rhs_t not in (0, 1):
        raise argparse.ArgumentTypeError(
            f"'{text}': sizes must be positive, transposes 0 or 1")
    return m, n, k, lhs_t, rhs_t


def rate(torch, shape, dtype, repetitions):
    m, n, k, lhs_t, rhs_t = shape
    a = torch.randn(k, m) if lhs_t else torch.randn(m, k)
    b = torch.randn(n, k) if rhs_t else torch.randn(k, n)
    a, b = a.to(dtype), b.to(dtype)
    left = a.t() if lhs_t else a
    right = b.t() if rhs_t else b
    for _ in range(2):
        torch.matmul(left, right)
    best = float("inf")
    for _ in range(repetitions):
        start = time.perf_counter()
        torch.matmul(left, right)
        best = min(best, time.perf_counter() - start)
    return 2.0 * m * n * k / best * 1e-9


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--repetitions", type=int, default=10)
    parser.add_argument("--f32", action="store_true")
    parser.add_argument("shapes", nargs="+", type=parse_shape)
    args = parser.parse_args()
    if args.threads < 1 or args.repetitions < 1:
        parser.error("--threads and --repetitions must be at least 1")
    passive_waits()
    import torch
    torch.set_num_threads(args.threads)
    dtype = torch.float32 if args.f32 else torch.bfloat16
    onednn = "on" if torch.backends.mkldnn.is_available() else "off"
    print(f"# torch {torch.__version__}, {dtype} matmul, oneDNN {onednn}")
    with torch.no_grad():
        for shape in args.shapes:
            print(*shape, f"{rate(torch, shape, dtype, args.repetitions):.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
