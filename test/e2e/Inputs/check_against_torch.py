"""Trains a Loom-compiled GPT-2 or Llama and the PyTorch reference of
torch_models.py from the same weights on the same tokens with AdamW, and
compares the loss of every step and every parameter afterwards.

The reference runs in float64, so the differences measured are Loom's own
float32 rounding (and any bug). AdamW's eps is 1e-5 here, not torch's
1e-8: AdamW divides each gradient by its own running magnitude, so an
entry whose true gradient is near zero turns float32 noise into an update
of up to ±lr in any float32 implementation. Measured with PyTorch's own
float32 run against its float64 run: at eps 1e-8 the GPT-2 key biases
(true gradient 0, softmax being invariant to them) differ by 1.5e-3; at
1e-6 an embedding row that one token touched once (gradient 3.6e-7, a
cancellation) differs by 8.8e-5; at 1e-5 PyTorch's float32 stays within
5e-6 of float64 on both models, well inside the tolerance.

Tolerances, both relative:
  loss of step s:   |loom - torch| <= rtol * |torch|
  each parameter:   max |loom - torch| <= rtol * max |torch|, per tensor
Exits 1 on any mismatch; prints the worst errors either way.

With --precision fp64, Loom computes the forward and backward passes in
float64 (loomc --precision=fp64) and is compared with the same float64
reference; only the float32 parameters, AdamW's float32 update and the
printed losses' 7 decimals are left between them.

With --precision bf16, Loom's products read bf16 operands (loomc
--precision=bf16), and the reference is PyTorch's own mixed precision:
float32 parameters, the forward pass under torch.autocast("cpu",
torch.bfloat16) (its products in bf16, the loss in float32). The losses
are compared with it and with Loom's float32 build on the same weights and
tokens; the parameters are not (AdamW turns the sign of a gradient near
zero, which bf16's rounding can flip, into a whole step of lr), only their
largest difference from the float32 build is printed.
"""
import argparse
import os
import re
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import loom_files  # noqa: E402
import torch_models  # noqa: E402


def gpt2_shapes(c):
    C, V = c["dim"], c["vocab"]
    shapes = {"wte.weight": (V, C), "wpe.weight": (c["ctx"], C),
              "ln_f.weight": (C,), "ln_f.bias": (C,)}
    for i in range(c["layers"]):
        n = f"h.{i}."
        shapes.update({
            n + "ln_1.weight": (C,), n + "ln_1.bias": (C,),
            n + "attn.c_attn.weight": (C, 3 * C), n + "attn.c_attn.bias": (3 * C,),
            n + "attn.c_proj.weight": (C, C), n + "attn.c_proj.bias": (C,),
            n + "ln_2.weight": (C,), n + "ln_2.bias": (C,),
            n + "mlp.c_fc.weight": (C, 4 * C), n + "mlp.c_fc.bias": (4 * C,),
            n + "mlp.c_proj.weight": (4 * C, C), n + "mlp.c_proj.bias": (C,)})
    return shapes


def llama_shapes(c):
    C, V, F = c["dim"], c["vocab"], c["hidden"]
    D = C // c["heads"]
    shapes = {"model.embed_tokens.weight": (V, C), "model.norm.weight": (C,),
              "lm_head.weight": (V, C)}
    for i in range(c["layers"]):
        n = f"model.layers.{i}."
        shapes.update({
            n + "input_layernorm.weight": (C,),
            n + "self_attn.q_proj.weight": (c["heads"] * D, C),
            n + "self_attn.k_proj.weight": (c["kv_heads"] * D, C),
            n + "self_attn.v_proj.weight": (c["kv_heads"] * D, C),
            n + "self_attn.o_proj.weight": (C, c["heads"] * D),
            n + "post_attention_layernorm.weight": (C,),
            n + "mlp.gate_proj.weight": (F, C), n + "mlp.up_proj.weight": (F, C),
            n + "mlp.down_proj.weight": (C, F)})
    return shapes


def initial_weights(shapes, seed):
    """Scales that keep every part of the model in play: matrices
    N(0, 1/fan_in), embeddings N(0, 0.1²), norm gains around 1, biases
    small but nonzero."""
    rng = np.random.default_rng(seed)
    weights = {}
    for name, shape in shapes.items():
        if len(shape) == 2 and ("wte" in name or "wpe" in name or "embed" in name):
            w = rng.normal(0, 0.1, shape)
        elif len(shape) == 2:
            fan_in = shape[1] if name.startswith(("model.", "lm_head")) else shape[0]
            w = rng.normal(0, fan_in ** -0.5, shape)
        elif "ln" in name or "norm" in name and name.endswith("weight"):
            w = 1 + 0.1 * rng.normal(size=shape) if name.endswith("weight") else 0.1 * rng.normal(size=shape)
        else:
            w = 0.1 * rng.normal(size=shape)
        weights[name] = w.astype(np.float32)
    return weights


def run_loom(args, config, workdir, init_path, tokens_path, precision="fp32"):
    exe = os.path.join(workdir, f"{args.model}-{'fused' if args.fuse else 'unfused'}"
                       f"{'-unrolled' if args.unroll_layers else ''}"
                       f"{'-remat-blocks' if args.remat_blocks else ''}-{precision}")
    defines = []
    for key in ["layers", "dim", "heads", "vocab", "ctx", "batch", "seq", "kv_heads", "hidden"]:
        if key in config:
            defines += ["-D", f"{key}={config[key]}"]
    command = [args.loomc, os.path.join(args.models, args.model + ".loom"), *defines, "-o", exe]
    if not args.fuse:
        command.append("--no-fuse")
    if args.unroll_layers:
        command.append("--unroll-layers")
    if args.remat_blocks:
        command.append("--remat-blocks")
    command.append("--precision=" + precision)
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL if args.fuse else None)
    saved = os.path.join(workdir, f"{args.model}-trained-{precision}.safetensors")
    run = [exe, "--init-from", init_path, "--data", tokens_path, "--data-order", "sequential",
           "--steps", str(args.steps), "--optimizer", "adamw", "--lr", str(args.lr),
           "--eps", str(args.eps),
           "--weight-decay", str(args.weight_decay), "--save", saved]
    if args.grad_clip:
        run += ["--grad-clip", str(args.grad_clip)]
    output = subprocess.run(run, check=True, capture_output=True, text=True).stdout
    losses = [float(m.group(1)) for m in re.finditer(r"^step \d+ loss (\S+)", output, re.M)]
    norms = [float(m.group(1)) for m in re.finditer(r"grad norm (\S+)", output)]
    return losses, norms, loom_files.read_safetensors(saved)


def run_torch(args, config, weights, tokens):
    """float64, or float32 under bf16 autocast with --precision bf16."""
    bf16 = args.precision == "bf16"
    dtype = torch.float32 if bf16 else torch.float64
    params = {n: torch.tensor(w, dtype=dtype, requires_grad=True)
              for n, w in weights.items()}
    decay = [p for p in params.values() if p.dim() >= 2]
    no_decay = [p for p in params.values() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay},
         {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, eps=args.eps)
    losses, norms = [], []
    for step in range(args.steps):
        inputs, targets = loom_files.sequential_batch(tokens, step, config["batch"], config["seq"])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = torch_models.loss(args.model, params, torch.from_numpy(inputs),
                                     torch.from_numpy(targets), config)
        optimizer.zero_grad()
        loss.backward()
        if args.grad_clip:
            norms.append(float(torch.nn.utils.clip_grad_norm_(list(params.values()), args.grad_clip)))
        optimizer.step()
        losses.append(loss.item())
    return losses, norms, {n: p.detach().numpy() for n, p in params.items()}


def compare_bf16(args, config, init_path, tokens_path, loom_losses, loom_params,
                 torch_losses):
    f32_losses, _, f32_params = run_loom(args, config, args.workdir, init_path, tokens_path)
    failures = 0
    if len(loom_losses) != args.steps:
        print(f"loom printed {len(loom_losses)} losses, expected {args.steps}")
        failures += 1
    for step, (a, b, c) in enumerate(zip(loom_losses, torch_losses, f32_losses), 1):
        to_torch, to_f32 = abs(a - b) / abs(b), abs(a - c) / abs(c)
        ok = to_torch <= args.rtol and to_f32 <= args.rtol
        failures += not ok
        print(f"step {step}: loss loom bf16 {a:.7f} torch bf16 autocast {b:.7f} "
              f"loom fp32 {c:.7f} relative errors {to_torch:.1e} {to_f32:.1e} "
              f"{'ok' if ok else 'MISMATCH'}")
    worst_name, worst = max(
        ((name, float(np.abs(loom_params[name] - f32_params[name]).max()
                      / np.abs(f32_params[name]).max())) for name in f32_params),
        key=lambda item: item[1])
    print(f"parameters after {args.steps} AdamW steps, against loom fp32 (not compared): "
          f"largest relative difference {worst:.1e} ({worst_name})")
    print(f"{args.model} ({'fused' if args.fuse else 'unfused'}, bf16): "
          f"{'agrees with PyTorch bf16 autocast and Loom fp32' if failures == 0 else f'{failures} mismatches'} "
          f"within {args.rtol:g}")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["gpt2", "llama"], required=True)
    parser.add_argument("--loomc", required=True)
    parser.add_argument("--models", required=True, help="the models/ directory")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--no-fuse", dest="fuse", action="store_false")
    parser.add_argument("--unroll-layers", action="store_true",
                        help="compile every layer on its own (loomc --unroll-layers)")
    parser.add_argument("--remat-blocks", action="store_true",
                        help="recompute every block's forward pass (loomc --remat-blocks)")
    parser.add_argument("-D", dest="defines", action="append", default=[],
                        help="NAME=VALUE, as for loomc")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--eps", type=float, default=1e-5)
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--grad-clip", type=float, default=0.0)
    parser.add_argument("--rtol", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--precision", choices=["fp32", "bf16", "fp64"], default="fp32",
                        help="loomc --precision; bf16 compares losses with PyTorch's "
                             "bf16 autocast and Loom's float32 build, fp64 with the "
                             "float64 reference as fp32 does")
    args = parser.parse_args()

    config = {"theta": 10000.0, "eps": 1e-5}
    for define in args.defines:
        key, value = define.split("=")
        config[key] = int(value)
    if args.model == "llama":
        config.setdefault("kv_heads", config["heads"])
        config.setdefault("hidden", 4 * config["dim"])
    os.makedirs(args.workdir, exist_ok=True)

    shapes = gpt2_shapes(config) if args.model == "gpt2" else llama_shapes(config)
    weights = initial_weights(shapes, args.seed)
    file_weights = dict(weights)
    if args.model == "gpt2":
        # Hugging Face GPT-2 checkpoints carry causal-mask buffers; Loom
        # skips them.
        for i in range(config["layers"]):
            file_weights[f"h.{i}.attn.bias"] = np.tril(np.ones((config["ctx"],) * 2, np.float32))[None, None]
    init_path = os.path.join(args.workdir, f"{args.model}-init.safetensors")
    loom_files.write_safetensors(init_path, file_weights, {"format": "pt"})

    rng = np.random.default_rng(args.seed + 1)
    count = args.steps * config["batch"] * config["seq"] + 1
    tokens = rng.integers(0, config["vocab"], count)
    tokens_path = os.path.join(args.workdir, f"{args.model}-tokens.bin")
    loom_files.write_tokens(tokens_path, tokens, headered=args.model == "llama")

    loom_losses, loom_norms, loom_params = run_loom(args, config, args.workdir, init_path,
                                                    tokens_path, args.precision)
    torch_losses, torch_norms, torch_params = run_torch(args, config, weights, tokens)
    if args.precision == "bf16":
        return compare_bf16(args, config, init_path, tokens_path, loom_losses, loom_params,
                            torch_losses)

    failures = 0
    if len(loom_losses) != args.steps:
        print(f"loom printed {len(loom_losses)} losses, expected {args.steps}")
        failures += 1
    for step, (a, b) in enumerate(zip(loom_losses, torch_losses), 1):
        error = abs(a - b) / abs(b)
        ok = error <= args.rtol
        failures += not ok
        print(f"step {step}: loss loom {a:.7f} torch {b:.7f} relative error {error:.1e} {'ok' if ok else 'MISMATCH'}")
    for step, (a, b) in enumerate(zip(loom_norms, torch_norms), 1):
        error = abs(a - b) / abs(b)
        ok = error <= args.rtol
        failures += not ok
        print(f"step {step}: grad norm loom {a:.6f} torch {b:.6f} relative error {error:.1e} {'ok' if ok else 'MISMATCH'}")
    if set(loom_params) != set(torch_params):
        print(f"parameter names differ: {sorted(set(loom_params) ^ set(torch_params))}")
        failures += 1
    worst_name, worst = None, 0.0
    for name in sorted(set(loom_params) & set(torch_params)):
        a, b = loom_params[name], torch_params[name]
        error = np.abs(a - b).max() / np.abs(b).max()
        if error > worst:
            worst_name, worst = name, error
        if error > args.rtol:
            failures += 1
            print(f"parameter {name}: relative error {error:.1e} MISMATCH")
    print(f"{len(torch_params)} parameters after {args.steps} AdamW steps: largest "
          f"relative error {worst:.1e} ({worst_name})")
    print(f"{args.model} ({'fused' if args.fuse else 'unfused'}{', unrolled' if args.unroll_layers else ''}"
          f"{', blocks recomputed' if args.remat_blocks else ''}): "
          f"{'agrees with PyTorch' if failures == 0 else f'{failures} mismatches'} "
          f"within {args.rtol:g}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
