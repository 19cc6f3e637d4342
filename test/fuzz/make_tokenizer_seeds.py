#!/usr/bin/env python3
"""Writes corpus/tokenizer/*: seeds for loom-fuzz-tokenizer (fuzz_tokenizer.c
describes the layout), one per file layout, each a small but complete
byte-level BPE (all 256 byte tokens and a few merges) and a text."""
import json
import os

def byte_symbols():
    """GPT-2's printable stand-in for each byte (bytes_to_unicode)."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) +
                 list(range(0xAE, 0x100)))
    symbols, extra = {}, 0
    for b in range(256):
        if b in printable:
            symbols[b] = chr(b)
        else:
            symbols[b] = chr(256 + extra)
            extra += 1
    return symbols

symbols = byte_symbols()
vocab = {symbols[b]: b for b in range(256)}
merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "a")]
for left, right in merges:
    vocab[left + right] = len(vocab)
text = "the cat in the hat, then 42 émigrés\n\tand a\x00byte".encode()
merges_text = "#version: 0.2\n" + "".join(f"{l} {r}\n" for l, r in merges)

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "tokenizer")
os.makedirs(here, exist_ok=True)
def write(name, selector, parts):
    with open(os.path.join(here, name), "wb") as f:
        f.write(bytes([selector]) + b"\0".join(parts))

write("vocab-and-merges", 0, [json.dumps(vocab).encode(), merges_text.encode(), text])
tokenizer = {"normalizer": None,
             "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False},
             "model": {"type": "BPE", "vocab": vocab,
                       "merges": [f"{l} {r}" for l, r in merges[:3]] +
                                 [[l, r] for l, r in merges[3:]]}}
write("tokenizer-json", 1, [json.dumps(tokenizer, ensure_ascii=False).encode(), text])
write("encoder-and-bpe", 2, [json.dumps(vocab, ensure_ascii=False).encode(),
                             merges_text.encode(), text])
