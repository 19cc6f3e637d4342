"""Writes data files in Loom's binary layout (docs/data.md) for the tests.

Usage: make_data.py OUT --samples N --features F [--values W] [--label-max C]
                    [--bad-label] [--truncate BYTES] [--version V]

Features are a deterministic ramp; class labels cycle through [0, C); with
--values, targets are W f32 values per sample instead of labels.
"""
import argparse
import struct

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--samples", type=int, required=True)
parser.add_argument("--features", type=int, required=True)
parser.add_argument("--values", type=int, default=0)
parser.add_argument("--label-max", type=int, default=5)
parser.add_argument("--bad-label", action="store_true")
parser.add_argument("--truncate", type=int, default=0)
parser.add_argument("--version", type=int, default=1)
args = parser.parse_args()

kind = 1 if args.values else 0
width = args.values if args.values else 1
data = b"LOOMDATA" + struct.pack("<IIQQQ", args.version, kind, args.samples,
                                 args.features, width)
for s in range(args.samples):
    data += struct.pack(f"<{args.features}f",
                        *[((s * 7 + j) % 11 - 5) / 5.0 for j in range(args.features)])
if args.values:
    for s in range(args.samples):
        data += struct.pack(f"<{width}f", *[((s + j) % 3 - 1) / 2.0 for j in range(width)])
else:
    labels = [s % args.label_max for s in range(args.samples)]
    if args.bad_label:
        labels[-1] = args.label_max + 2
    data += struct.pack(f"<{args.samples}i", *labels)
if args.truncate:
    data = data[:-args.truncate]
with open(args.out, "wb") as out:
    out.write(data)
