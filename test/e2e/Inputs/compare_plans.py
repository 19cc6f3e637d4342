"""Compares the memory plans of two builds of a model.

Usage: compare_plans.py BEFORE.mlir AFTER.mlir

Reads loom.arena_bytes, the size loom-plan-memory gave forward_backward's
arena, from each build's bufferized IR (loomc --emit=bufferized), and fails
(exit 1) unless the second is smaller.
"""
import re
import sys

ARENA = re.compile(r"func\.func @forward_backward\(.*loom\.arena_bytes = (\d+) : i64")


def arena_bytes(path):
    with open(path) as text:
        for line in text:
            match = ARENA.search(line)
            if match:
                return int(match.group(1))
    raise SystemExit(f"{path}: forward_backward has no loom.arena_bytes")


def main():
    before, after = arena_bytes(sys.argv[1]), arena_bytes(sys.argv[2])
    if not after < before:
        print(f"forward_backward needs no less: {before} -> {after} bytes")
        return 1
    print(f"forward_backward needs less: {before} -> {after} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
