"""Checks a Loom-compiled GPT-2 or Llama's inference entry points (the
`sample` subcommand: prefill, then one decode step per token, with a
key/value cache) against two references, from the weights of
check_against_torch.py:

  * PyTorch (torch_models.py, float64), decoding greedily by recomputing
    the whole sequence for every token: the generated tokens must be the
    same, and the logits at every position (saved with --save-logits)
    within `rtol` of PyTorch's, relative to the largest logit;
  * Loom's own forward pass over the whole sequence at once (a second
    executable whose prefill takes every position of it), whose logits the
    decode steps' must equal within `rtol` as well.

The prompt is `--prompt-length` random tokens; shorter than the compiled
prefill it is padded, longer it takes whole chunks and one overlapping
chunk at its end (docs/training.md), so both lengths are worth testing.
Exits 1 on any mismatch and prints the errors either way.
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
import check_against_torch  # noqa: E402
import loom_files  # noqa: E402
import torch_models  # noqa: E402


def read_npy(path):
    return np.load(path)


def build(args, config, name, extra):
    exe = os.path.join(args.workdir, name)
    defines = []
    for key in ["layers", "dim", "heads", "vocab", "ctx", "batch", "seq", "kv_heads", "hidden"]:
        if key in config:
            defines += ["-D", f"{key}={config[key]}"]
    command = [args.loomc, os.path.join(args.models, args.model + ".loom"), *defines,
               "-o", exe, *extra]
    if not args.fuse:
        command.append("--no-fuse")
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    return exe


def sample(exe, init_path, prompt, max_tokens, logits_path):
    run = [exe, "sample", "--init-from", init_path,
           "--prompt-tokens", ",".join(str(t) for t in prompt),
           "--max-tokens", str(max_tokens), "--temperature", "0", "--print-tokens",
           "--save-logits", logits_path]
    output = subprocess.run(run, check=True, capture_output=True, text=True).stdout
    return [int(t) for t in output.split()], read_npy(logits_path)[0]


def torch_greedy(args, config, weights, prompt, max_tokens):
    params = {n: torch.tensor(w, dtype=torch.float64) for n, w in weights.items()}
    sequence = list(prompt)
    with torch.no_grad():
        for _ in range(max_tokens):
            logits = torch_models.LOGITS[args.model](
                params, torch.tensor([sequence]), config)[0]
            sequence.append(int(logits[-1].argmax()))
        logits = torch_models.LOGITS[args.model](params, torch.tensor([sequence[:-1]]), config)[0]
    return sequence, logits.numpy()


def relative(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["gpt2", "llama"], required=True)
    parser.add_argument("--loomc", required=True)
    parser.add_argument("--models", required=True, help="the models/ directory")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--no-fuse", dest="fuse", action="store_false")
    parser.add_argument("-D", dest="defines", action="append", default=[])
    parser.add_argument("--prompt-length", type=int, required=True)
    parser.add_argument("--max-tokens", type=int, default=12)
    parser.add_argument("--rtol", type=float, default=1e-5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    config = {"theta": 10000.0, "eps": 1e-5}
    for define in args.defines:
        key, value = define.split("=")
        config[key] = int(value)
    if args.model == "llama":
        config.setdefault("kv_heads", config["heads"])
        config.setdefault("hidden", 4 * config["dim"])
    os.makedirs(args.workdir, exist_ok=True)
    shapes = (check_against_torch.gpt2_shapes(config) if args.model == "gpt2"
              else check_against_torch.llama_shapes(config))
    weights = check_against_torch.initial_weights(shapes, args.seed)
    init_path = os.path.join(args.workdir, f"{args.model}-init.safetensors")
    loom_files.write_safetensors(init_path, weights, {"format": "pt"})
    rng = np.random.default_rng(args.seed + 1)
    prompt = [int(t) for t in rng.integers(0, config["vocab"], args.prompt_length)]
    variant = f"{args.model}-{'fused' if args.fuse else 'unfused'}"

    exe = build(args, config, variant, [])
    tokens, logits = sample(exe, init_path, prompt, args.max_tokens,
                            os.path.join(args.workdir, "decode.npy"))
    expected, torch_logits = torch_greedy(args, config, weights, prompt, args.max_tokens)
    failures = 0
    if tokens != expected:
        failures += 1
        print(f"greedy tokens MISMATCH:\n  loom  {tokens}\n  torch {expected}")
    else:
        print(f"greedy tokens: the same as PyTorch's ({len(tokens) - len(prompt)} generated)")
    rows = len(expected) - 1
    if logits.shape != (rows, config["vocab"]):
        print(f"saved logits are {logits.shape}, expected {(rows, config['vocab'])}")
        return 1
    error = relative(logits, torch_logits)
    failures += error > args.rtol
    print(f"logits at {rows} positions against PyTorch: relative error {error:.1e} "
          f"{'ok' if error <= args.rtol else 'MISMATCH'}")

    # Loom's own forward pass over the whole sequence in one prefill.
    whole = build(args, config, variant + "-whole", [f"--prefill-length={rows}"])
    _, forward_logits = sample(whole, init_path, expected[:-1], 1,
                               os.path.join(args.workdir, "forward.npy"))
    error = relative(logits, forward_logits[:rows])
    failures += error > args.rtol
    print(f"logits at {rows} positions against the full forward pass: relative error "
          f"{error:.1e} {'ok' if error <= args.rtol else 'MISMATCH'}")
    print(f"{variant}: {'decodes as PyTorch and its forward pass' if failures == 0 else f'{failures} mismatches'}"
          f" within {args.rtol:g}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
