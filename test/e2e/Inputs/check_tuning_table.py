"""Checks a tuning table that loomc --tune wrote (docs/tuning.md).

Usage: check_tuning_table.py TABLE.json

Fails (exit 1), saying why, unless the file has the documented format: a
"format" of "loom-tuning-1", the CPU it was measured on, and at least one
product shape ("f32 256x768x3072 A.B^T") with a tiling of five positive
sizes (the reduction block may be 0) and the rates measured, the chosen
tiling's no slower than the rules'.
"""
import json
import re
import sys

KEY = re.compile(r"^(f32|bf16|f64) \d+x\d+x\d+ A(\^T)?\.B(\^T)?$")


def main():
    with open(sys.argv[1]) as f:
        table = json.load(f)
    problems = []
    if table.get("format") != "loom-tuning-1":
        problems.append("format is %r" % table.get("format"))
    if not table.get("cpu"):
        problems.append("no cpu")
    products = table.get("products", {})
    if not products:
        problems.append("no products")
    for key, entry in products.items():
        if not KEY.match(key):
            problems.append("bad key %r" % key)
        tiling = entry.get("tiling", [])
        if len(tiling) != 5 or any(not isinstance(v, int) for v in tiling) or \
                min(tiling[:4]) < 1 or tiling[4] < 0:
            problems.append("%s: bad tiling %r" % (key, tiling))
        if not entry.get("gflops", 0) > 0 or not entry.get("default_gflops", 0) > 0:
            problems.append("%s: no rates" % key)
        elif entry["gflops"] < entry["default_gflops"]:
            problems.append("%s: chose a tiling slower than the rules'" % key)
    for problem in problems:
        print("check_tuning_table: " + problem)
    print("%d product shapes" % len(products))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
