"""SIGKILLs a training run at random moments while it writes checkpoints,
many times, and checks after every kill that the newest checkpoint is whole
(it loads: `eval --checkpoint-dir`) and that the run resumes from it; the run
finally completes with --resume and must print, bit for bit, the losses of a
run never interrupted.

Usage: kill_during_saves.py --kills N EXE WORKDIR -- TRAINING FLAGS...
"""
import argparse
import os
import random
import re
import subprocess
import sys
import time

STEP = re.compile(r"^step (\d+) loss (\S+)", re.M)


def losses(output):
    return {int(m.group(1)): m.group(2) for m in STEP.finditer(output)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("exe")
    parser.add_argument("workdir")
    parser.add_argument("--kills", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("flags", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    flags = [f for f in args.flags if f != "--"]
    rng = random.Random(args.seed)
    os.makedirs(args.workdir, exist_ok=True)

    reference = subprocess.run([args.exe, *flags], check=True, capture_output=True,
                               text=True).stdout
    expected = losses(reference)
    directory = os.path.join(args.workdir, "checkpoints")
    run = [args.exe, *flags, "--checkpoint-dir", directory, "--checkpoint-every", "1",
           "--keep-checkpoints", "2", "--resume"]
    seen = {}
    kills = halfway = 0
    for attempt in range(args.kills):
        process = subprocess.Popen(run, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        time.sleep(rng.uniform(0.0, 0.4))
        process.kill()
        out, err = process.communicate()
        if process.returncode == 0:
            print(f"attempt {attempt}: the run had finished; starting again")
            subprocess.run(["rm", "-rf", directory], check=True)
            continue
        if process.returncode != -9:
            sys.exit(f"attempt {attempt}: exit {process.returncode}: {err}")
        kills += 1
        for step, loss in losses(out).items():
            seen.setdefault(step, loss)
            if loss != expected[step]:
                sys.exit(f"attempt {attempt}: step {step} loss {loss}, uninterrupted {expected[step]}")
        entries = os.listdir(directory) if os.path.isdir(directory) else []
        names = sorted(n for n in entries if n.startswith("step-"))
        if any(n.startswith(".") for n in entries):
            halfway += 1
        for name in names:
            files = sorted(os.listdir(os.path.join(directory, name)))
            if files != ["model.safetensors", "state.json"]:
                sys.exit(f"attempt {attempt}: {name} holds {files}")
        if names:
            check = subprocess.run([args.exe, "eval", "--checkpoint-dir", directory,
                                    *[f for f in eval_flags(flags)]],
                                   capture_output=True, text=True)
            if check.returncode != 0:
                sys.exit(f"attempt {attempt}: the newest checkpoint {names[-1]} does not "
                         f"load: {check.stderr}")
    final = subprocess.run(run, check=True, capture_output=True, text=True).stdout
    for step, loss in losses(final).items():
        if loss != expected[step]:
            sys.exit(f"resumed: step {step} loss {loss}, uninterrupted {expected[step]}")
    last = max(expected)
    if last not in losses(final) and last not in seen:
        sys.exit("the resumed run never reached the last step")
    if halfway == 0:
        sys.exit(f"none of {kills} kills landed inside a save: nothing was tested")
    print(f"{kills} kills, {halfway} inside a save (a hidden directory left behind); "
          f"every newest checkpoint loaded; "
          f"the resumed run's losses equal the uninterrupted run's bit for bit")


def eval_flags(flags):
    """The data flags of a training command line, for eval."""
    keep = {"--data", "--text", "--tokenizer", "--val-fraction", "--val-data"}
    out = []
    for i, flag in enumerate(flags):
        if flag in keep:
            out += [flag, flags[i + 1]]
    return out


if __name__ == "__main__":
    main()
