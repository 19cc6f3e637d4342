"""Reading and writing the files a Loom training executable exchanges:
safetensors checkpoints (F32 tensors) and token files (raw uint16 or
llm.c's headered format). Written from the formats' specifications so that
the tests do not depend on the safetensors package."""
import json
import struct

import numpy as np


def write_safetensors(path, tensors, metadata=None):
    """tensors: {name: float32 array}, written in name order."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)  # the format pads the header to 8 bytes
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for blob in blobs:
            out.write(blob)


def read_safetensors(path):
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {entry['dtype']}, not F32")
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(
            entry["shape"]).copy()
    return tensors


def write_tokens(path, tokens, headered=False):
    """Raw little-endian uint16 (nanoGPT's .bin), or llm.c's format: 256
    int32 of header (magic 20240520, version 1, token count), then the
    tokens."""
    tokens = np.asarray(tokens, dtype="<u2")
    with open(path, "wb") as out:
        if headered:
            header = np.zeros(256, dtype="<i4")
            header[0], header[1], header[2] = 20240520, 1, len(tokens)
            out.write(header.tobytes())
        out.write(tokens.tobytes())


def sequential_batch(tokens, step, batch, seq):
    """docs/data.md's sequential order: at step s (from 0), row b is window
    k = s*B + b of the (len - 1) // T windows, wrapping around."""
    windows = (len(tokens) - 1) // seq
    inputs = np.empty((batch, seq), dtype=np.int64)
    targets = np.empty((batch, seq), dtype=np.int64)
    for b in range(batch):
        k = (step * batch + b) % windows
        inputs[b] = tokens[k * seq:k * seq + seq]
        targets[b] = tokens[k * seq + 1:k * seq + seq + 1]
    return inputs, targets
