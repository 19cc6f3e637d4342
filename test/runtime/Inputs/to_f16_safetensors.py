"""Rewrites a safetensors file of F32 tensors with F16 ones (numpy's
float16, round to nearest even), as other tools write checkpoints.

Usage: to_f16_safetensors.py IN OUT
"""
import json
import struct
import sys

import numpy as np


def main():
    source, target = sys.argv[1:]
    with open(source, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    out_header, chunks, offset = {}, [], 0
    for name, entry in header.items():
        if name == "__metadata__":
            out_header[name] = entry
            continue
        begin, end = entry["data_offsets"]
        values = np.frombuffer(data[begin:end], dtype="<f4").astype("<f2")
        chunk = values.tobytes()
        out_header[name] = {"dtype": "F16", "shape": entry["shape"],
                            "data_offsets": [offset, offset + len(chunk)]}
        chunks.append(chunk)
        offset += len(chunk)
    text = json.dumps(out_header).encode()
    text += b" " * (-len(text) % 8)
    with open(target, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


if __name__ == "__main__":
    main()
