#!/usr/bin/env python3
"""Writes a byte-level token file: every byte of a text becomes one token in
[0, 256), stored as raw little-endian uint16 (nanoGPT's .bin format), which
a language model compiled with -D vocab=256 trains on with --data.

Usage: bytes_to_tokens.py TEXT OUTPUT.bin
"""
import array
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip())
    with open(sys.argv[1], "rb") as text:
        tokens = array.array("H", list(text.read()))  # one uint16 per byte
    if sys.byteorder != "little":
        tokens.byteswap()
    with open(sys.argv[2], "wb") as out:
        tokens.tofile(out)
    print(f"{sys.argv[2]}: {len(tokens)} tokens")


if __name__ == "__main__":
    main()
