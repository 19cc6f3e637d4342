"""SIGKILLs one rank of a data-parallel run once it is training, and checks
that the whole job ends within a few seconds, with a non-zero status (a
rank waiting for the dead one must not hang). Prints the job's output, for
FileCheck to look for the message naming the rank.

Usage: kill_a_rank.py --rank R --within SECONDS -- MPIRUN COMMAND...
"""
import argparse
import os
import signal
import subprocess
import sys
import threading
import time


def ranks_of(launcher_pid):
    """The processes below the launcher, by MPI rank (their environment)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            if parent != launcher_pid:
                continue
            with open(f"/proc/{entry}/environ", "rb") as environ:
                for variable in environ.read().split(b"\0"):
                    if variable.startswith(b"OMPI_COMM_WORLD_RANK="):
                        found[int(variable.split(b"=")[1])] = int(entry)
        except (OSError, ValueError, IndexError):
            continue
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rank", type=int, required=True)
    parser.add_argument("--within", type=float, required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command

    job = subprocess.Popen(command, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True,
                           start_new_session=True)
    lines = []
    training = threading.Event()

    def read():
        for line in job.stdout:
            lines.append(line)
            if line.startswith("step "):
                training.set()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not training.wait(120):
            print("the job never started training")
            return 1
        victim = ranks_of(job.pid).get(args.rank)
        if victim is None:
            print(f"no process of rank {args.rank} under the launcher")
            return 1
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        try:
            status = job.wait(timeout=args.within)
        except subprocess.TimeoutExpired:
            print(f"the job still runs {args.within} s after rank "
                  f"{args.rank} was killed: it hangs")
            return 1
        took = time.monotonic() - killed
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)
            job.wait()
    reader.join(5)
    sys.stdout.write("".join(lines))
    print(f"the job ended {took:.1f} s after rank {args.rank} was killed "
          f"(within {args.within} s), status {status}")
    return 0 if status != 0 else 1


if __name__ == "__main__":
    sys.exit(main())
