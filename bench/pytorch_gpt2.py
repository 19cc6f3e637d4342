#!/usr/bin/env python3
"""The PyTorch baseline of loom-bench's transformer configs: GPT-2 (tied
lm_head, tanh GELU) trained with AdamW on random tokens, eager mode, at
PyTorch's best settings on a CPU like this one (OMP_WAIT_POLICY=PASSIVE,
OpenBLAS free to use its AVX-512 kernel), with the same threads as Loom.

Prints the median ms per step and tokens/s; with --loom-ms, the ratio of
PyTorch's time to Loom's; with --peak-gflops (loom-bench's "the machine's
peak"), the largest ratio any implementation could reach on this machine.

With --bf16, the step runs under torch.autocast("cpu", dtype=torch.bfloat16),
PyTorch's mixed precision (its products in bf16 through oneDNN, float32
parameters and optimizer): the baseline of loomc --precision=bf16.

Usage: /usr/bin/python3 bench/pytorch_gpt2.py --config mini [--threads 2]
       [--steps 10] [--bf16] [--loom-ms 123.4] [--peak-gflops 232.0]
"""
import argparse
import os
import sys
import time

CONFIGS = {
    # vocab, layers, dim, heads, seq, batch
    "mini": dict(vocab=4096, layers=4, dim=256, heads=4, seq=128, batch=8),
    "gpt2s": dict(vocab=50257, layers=12, dim=768, heads=12, seq=64, batch=4),
}


def best_environment():
    """Re-executes this script with PyTorch's best settings, which must be in
    the environment before torch loads OpenMP and OpenBLAS."""
    env = dict(os.environ)
    wanted = env.get("OMP_WAIT_POLICY") == "PASSIVE" and "OPENBLAS_CORETYPE" not in env \
        and "OPENBLAS_L2_SIZE" not in env
    if wanted:
        return
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def model_flops(c):
    """FLOP per training step, the usual formula: 6·N·B·T for the
    non-embedding parameters N, 6·V·C·B·T for the tied output layer, and
    6·L·B·T²·C for causal attention (QKᵀ and PV, forward and backward, half
    of them masked)."""
    C, L, V, B, T = c["dim"], c["layers"], c["vocab"], c["batch"], c["seq"]
    non_embedding = L * (12 * C * C + 13 * C) + 2 * C
    return 6 * non_embedding * B * T + 6 * V * C * B * T + 6 * L * B * T * T * C


def positive(text):
    """A command-line number that divides: a finite time or rate above zero."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number above 0, got {text!r}")
    return value


def main():
    best_environment()
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", choices=sorted(CONFIGS), required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--bf16", action="store_true",
                        help="the step under torch.autocast(\"cpu\", dtype=torch.bfloat16)")
    parser.add_argument("--loom-ms", type=positive, help="Loom's median ms/step, for the ratio")
    parser.add_argument("--peak-gflops", type=positive,
                        help="the machine's multiply-add peak (loom-bench prints it), "
                        "for the largest ratio possible")
    args = parser.parse_args()

    import numpy as np
    import torch
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "test", "e2e", "Inputs"))
    import torch_models

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    c = dict(CONFIGS[args.config], ctx=1024)
    C, V = c["dim"], c["vocab"]
    shapes = {"wte.weight": (V, C), "wpe.weight": (c["ctx"], C), "ln_f.weight": (C,), "ln_f.bias": (C,)}
    for i in range(c["layers"]):
        n = f"h.{i}."
        shapes.update({n + "ln_1.weight": (C,), n + "ln_1.bias": (C,),
                       n + "attn.c_attn.weight": (C, 3 * C), n + "attn.c_attn.bias": (3 * C,),
                       n + "attn.c_proj.weight": (C, C), n + "attn.c_proj.bias": (C,),
                       n + "ln_2.weight": (C,), n + "ln_2.bias": (C,),
                       n + "mlp.c_fc.weight": (C, 4 * C), n + "mlp.c_fc.bias": (4 * C,),
                       n + "mlp.c_proj.weight": (4 * C, C), n + "mlp.c_proj.bias": (C,)})
    params = {n: torch.nn.Parameter(torch.randn(s) * 0.02) for n, s in shapes.items()}
    decay = [p for p in params.values() if p.dim() >= 2]
    no_decay = [p for p in params.values() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=1e-4)
    rng = np.random.default_rng(0)
    times = []
    for step in range(args.warmup + args.steps):
        tokens = torch.from_numpy(rng.integers(0, V, (c["batch"], c["seq"])))
        targets = torch.from_numpy(rng.integers(0, V, (c["batch"], c["seq"])))
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            loss = torch_models.loss("gpt2", params, tokens, targets, c)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step >= args.warmup:
            times.append(time.perf_counter() - start)
    ms = sorted(times)[len(times) // 2] * 1e3
    tokens_per_s = c["batch"] * c["seq"] / (ms * 1e-3)
    flops = model_flops(c)
    print(f"pytorch {torch.__version__} {args.config}{' bf16 autocast' if args.bf16 else ''}: "
          f"{ms:.1f} ms/step, "
          f"{tokens_per_s:.0f} tokens/s, {flops / (ms * 1e6):.1f} GFLOP/s "
          f"({flops / 1e9:.2f} GFLOP/step), {args.threads} threads")
    if args.loom_ms:
        print(f"pytorch / loom time per step: {ms / args.loom_ms:.2f}")
    if args.peak_gflops:
        # No implementation does a step in less than its FLOP at the
        # machine's multiply-add peak: the largest speedup over PyTorch any
        # could show here.
        floor_ms = flops / (args.peak_gflops * 1e6)
        print(f"at the machine's peak ({args.peak_gflops:.1f} GFLOP/s) a step takes at least "
              f"{floor_ms:.1f} ms: at most {ms / floor_ms:.2f}x pytorch")


if __name__ == "__main__":
    main()
