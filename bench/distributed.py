"""Data-parallel figures on this machine, side by side in one sitting
(docs/distributed.md quotes them):

1. the collectives of a step (all-reduce; ZeRO-1's reduce-scatter and
   all-gather) over shared memory and over TCP on loopback, from
   loom-allreduce-bench;
2. tokens/s of 1 rank x 2 threads against 2 ranks x 1 thread, on the mini
   and gpt2s configs;
3. overlap: the step time of 2 ranks over TCP with gradients reduced while
   the backward pass runs and after it, interleaved run by run, and the
   share of the communication the backward pass hid; with --shape-loopback
   RATE (as root; tc from iproute2) again over loopback limited to RATE
   (say 4gbit), a link whose transfers take time but no CPU, as a real
   network's do;
4. ZeRO-1's memory: the optimizer state and peak resident memory of a rank
   of gpt2s, 1 rank, 2 ranks, 2 ranks with --zero 1.

Usage: /usr/bin/python3 bench/distributed.py [--out DIR] [--configs mini,gpt2s]
       [--repeats N] [--shape-loopback RATE] [--skip collectives,throughput,overlap,memory]
Run scripts/setup.sh first (it builds loomc and loom-allreduce-bench).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOOMC = os.path.join(ROOT, "build", "bin", "loomc")
ALLREDUCE = os.path.join(ROOT, "build", "bin", "loom-allreduce-bench")

# The GPT-2 configs of loom-bench: vocab, layers, dim, heads, seq, batch.
CONFIGS = {
    "mini": (4096, 4, 256, 4, 128, 8),
    "gpt2s": (50257, 12, 768, 12, 64, 4),
}
# Steps per run: enough for a stable median, few enough for gpt2s.
STEPS = {"mini": 20, "gpt2s": 6}
# Buckets for overlap: DDP's 25 MiB default holds all of mini's 17 MiB of
# gradients, which would leave nothing to overlap.
BUCKET_MIB = {"mini": 4, "gpt2s": 25}

MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe",
          "--bind-to", "none", "-x", "OMP_NUM_THREADS=1"]
SHM = ["--mca", "btl", "self,vader"]
TCP = ["--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", "lo"]


def run(command, env=None):
    result = subprocess.run(command, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(command)}\n"
                 f"{result.stdout[-3000:]}")
    return result.stdout


def compile_config(name, out):
    vocab, layers, dim, heads, seq, batch = CONFIGS[name]
    path = os.path.join(out, name)
    run([LOOMC, os.path.join(ROOT, "models", "gpt2.loom"),
         "-D", f"vocab={vocab}", "-D", f"layers={layers}", "-D", f"dim={dim}",
         "-D", f"heads={heads}", "-D", f"seq={seq}", "-D", f"batch={batch}",
         "-o", path])
    return path


def train(launcher, executable, name, extra=()):
    """One run; returns (median ms per step, the printed report)."""
    text = run(launcher + [executable, "--steps", str(STEPS[name])] + list(extra))
    median = float(re.search(r"median ([0-9.]+) ms/step", text).group(1))
    return median, text


def tokens_per_step(name, ranks):
    vocab, layers, dim, heads, seq, batch = CONFIGS[name]
    return batch * seq * ranks


def section(title):
    print(f"\n## {title}\n", flush=True)


def overlap(configs, executables, repeats):
    for name in configs:
        bucket = ["--bucket-mb", str(BUCKET_MIB[name])]
        times = {"on": [], "off": []}
        comm = {"on": [], "off": []}
        waited = {"on": [], "off": []}
        for _ in range(repeats):
            for overlap in ("on", "off"):
                median, text = train(MPIRUN + ["-np", "2"] + TCP,
                                     executables[name], name,
                                     ["--overlap", overlap] + bucket)
                report = re.search(r"([0-9.]+) ms per step in collectives, "
                                   r"([0-9.]+) ms of it waited for", text)
                times[overlap].append(median)
                comm[overlap].append(float(report.group(1)))
                waited[overlap].append(float(report.group(2)))
        on, off = statistics.median(times["on"]), statistics.median(times["off"])
        alone = statistics.median(comm["off"])
        print(f"{name} (buckets of {BUCKET_MIB[name]} MiB): step {off:.1f} ms "
              f"without overlap (runs {', '.join(f'{t:.0f}' for t in times['off'])}),"
              f" {on:.1f} ms with (runs {', '.join(f'{t:.0f}' for t in times['on'])});"
              f" collectives {alone:.1f} ms when alone, "
              f"{statistics.median(comm['on']):.1f} ms beside the backward pass, "
              f"{statistics.median(waited['on']):.1f} ms of them waited for; "
              f"step time saved {off - on:.1f} ms = {100 * (off - on) / alone:.0f} % "
              f"of the communication", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "bench",
                                                      "distributed"))
    parser.add_argument("--configs", default="mini,gpt2s")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--shape-loopback", metavar="RATE")
    parser.add_argument("--skip", default="")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    os.makedirs(args.out, exist_ok=True)
    configs = args.configs.split(",")
    for name in configs:
        if name not in CONFIGS:
            sys.exit(f"--configs: no config '{name}' (mini, gpt2s)")
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), "unknown CPU")
    print(f"# Data parallel on {cpu}, {os.cpu_count()} cores")

    if "collectives" not in skip:
        section("Collectives (loom-allreduce-bench, 2 ranks)")
        for transport, flags in (("shared memory", SHM), ("TCP loopback", TCP)):
            print(f"{transport}:")
            print(run(MPIRUN + ["-np", "2"] + flags +
                      [ALLREDUCE, "1", "16", "64", "256", "475"]), flush=True)

    executables = {name: compile_config(name, args.out) for name in configs}

    if "throughput" not in skip:
        section("Throughput: 1 rank x 2 threads against 2 ranks x 1 thread "
                "(shared memory), median of runs")
    for name in (configs if "throughput" not in skip else []):
        one, two = [], []
        for _ in range(args.repeats):
            one.append(train([], executables[name], name, ["--threads", "2"])[0])
            two.append(train(MPIRUN + ["-np", "2"] + SHM, executables[name],
                             name)[0])
        a, b = statistics.median(one), statistics.median(two)
        ta = tokens_per_step(name, 1) / a * 1e3
        tb = tokens_per_step(name, 2) / b * 1e3
        print(f"{name}: 1 x 2 threads {a:.1f} ms/step ({ta:.0f} tokens/s); "
              f"2 ranks x 1 thread {b:.1f} ms/step ({tb:.0f} tokens/s); "
              f"ratio {tb / ta:.3f}", flush=True)

    if "overlap" not in skip:
        section("Overlap over TCP loopback: 2 ranks x 1 thread, runs interleaved")
        overlap(configs, executables, args.repeats)
    if args.shape_loopback:
        section(f"Overlap over TCP loopback limited to {args.shape_loopback} "
                "(tc tbf): transfers that take time but no CPU")
        shape = ["tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate",
                 args.shape_loopback, "burst", "4mb", "latency", "50ms"]
        run(shape)
        try:
            print(run(MPIRUN + ["-np", "2"] + TCP + [ALLREDUCE, "16", "64"]),
                  flush=True)
            overlap(configs, executables, args.repeats)
        finally:
            subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"])

    if "gpt2s" in configs and "memory" not in skip:
        section("ZeRO-1's memory: gpt2s, rank 0's optimizer state and peak "
                "resident memory")
        cases = (("1 rank", [], []), ("2 ranks", MPIRUN + ["-np", "2"] + SHM, []),
                 ("2 ranks, --zero 1", MPIRUN + ["-np", "2"] + SHM,
                  ["--zero", "1"]))
        for label, launcher, extra in cases:
            _, text = train(launcher, executables["gpt2s"], "gpt2s",
                            extra + (["--threads", "2"] if not launcher else []))
            memory = re.search(r"^memory: .*$", text, re.M).group(0)
            print(f"{label}: {memory}", flush=True)


if __name__ == "__main__":
    main()
