"""A checkpoint save that runs out of disk fails with a clear message, exits
1 and leaves the previous checkpoint whole and loadable.

The disk is a small tmpfs when this process may mount one (root); otherwise a
file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored) makes the same writes
fail, and the script says which it used.

Usage: save_on_full_disk.py EXE WORKDIR -- TRAINING FLAGS...
"""
import argparse
import os
import resource
import signal
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("exe")
    parser.add_argument("workdir")
    parser.add_argument("flags", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    flags = [f for f in args.flags if f != "--"]
    disk = os.path.join(args.workdir, "disk")
    os.makedirs(disk, exist_ok=True)
    directory = os.path.join(disk, "checkpoints")
    first = [args.exe, *flags, "--steps", "4", "--checkpoint-dir", directory,
             "--checkpoint-every", "2"]
    # One checkpoint's size decides the disk's: room for it and a little more.
    probe = os.path.join(args.workdir, "probe")
    subprocess.run([*first[:-4], "--steps", "1", "--checkpoint-dir", probe],
                   check=True, capture_output=True)
    size = sum(os.path.getsize(os.path.join(root, f))
               for root, _, files in os.walk(probe) for f in files)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size * 3 // 2 + 8192}",
                              "tmpfs", disk], capture_output=True, text=True)
    limit = None
    if mounted.returncode == 0:
        print(f"a tmpfs of {size * 3 // 2 + 8192} bytes for checkpoints of {size}")
    else:
        limit = size // 4
        print(f"no tmpfs ({mounted.stderr.strip()}): a file-size limit of {limit} bytes")
    try:
        def small_disk():
            if limit:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        # Step 2's checkpoint fits; with the limit, it is written before it.
        subprocess.run([*first[:-6], "--steps", "2", "--checkpoint-dir", directory],
                       check=True, capture_output=True)
        failed = subprocess.run([*first, "--resume"], capture_output=True, text=True,
                                preexec_fn=small_disk)
        sys.stdout.write(failed.stderr)
        if failed.returncode != 1:
            sys.exit(f"the save on a full disk exited {failed.returncode}")
        names = sorted(os.listdir(directory))
        print("left:", " ".join(names))
        check = subprocess.run([args.exe, "eval", "--checkpoint-dir", directory,
                                *flags[flags.index("--text"):flags.index("--text") + 2]],
                               capture_output=True, text=True)
        sys.stdout.write(check.stdout + check.stderr)
    finally:
        if limit is None:
            subprocess.run(["umount", disk], check=True)


if __name__ == "__main__":
    main()
