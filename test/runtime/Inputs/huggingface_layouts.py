"""Lays GPT-2's files out as Hugging Face does: DIR/vocab.json + merges.txt,
and DIR/tokenizer.json (merges as "a b" strings, or as [a, b] pairs as newer
files write them).

Usage: huggingface_layouts.py ENCODER_DIR OUT_DIR
"""
import json
import os
import shutil
import sys

source, out = sys.argv[1:]
vocab = json.load(open(os.path.join(source, "encoder.json"), encoding="utf-8"))
lines = open(os.path.join(source, "vocab.bpe"), encoding="utf-8").read().split("\n")
merges = [line for line in lines[1:] if line]
os.makedirs(os.path.join(out, "files"), exist_ok=True)
shutil.copy(os.path.join(source, "encoder.json"), os.path.join(out, "files", "vocab.json"))
shutil.copy(os.path.join(source, "vocab.bpe"), os.path.join(out, "files", "merges.txt"))
for name, listed in (("strings", merges), ("pairs", [m.split(" ") for m in merges])):
    os.makedirs(os.path.join(out, name), exist_ok=True)
    with open(os.path.join(out, name, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump({"version": "1.0", "model": {"type": "BPE", "vocab": vocab, "merges": listed}},
                  f, ensure_ascii=False)
