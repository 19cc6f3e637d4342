"""Checks a training executable's GPT-2 BPE against GPT-2's own encoder: for
every text, the ids of `EXE tokenize --tokenizer DIR` must equal those of the
gpt-3-encoder package's Encoder.js run under Node (computed here, not
stored), and `EXE detokenize` must give the text back byte for byte. Texts
that are not valid UTF-8 (which Node would read with replacement characters)
are only checked for the round trip.

Usage: check_tokenizer.py EXE VOCAB_DIR TOKENIZER_DIR TEXT...
"""
import json
import subprocess
import sys

NODE = """
const {encode} = require(process.argv[1] + '/Encoder.js');
const text = require('fs').readFileSync(process.argv[2], 'utf8');
console.log(encode(text).join(' '));
"""


def main():
    exe, vocab, tokenizer, *texts = sys.argv[1:]
    for path in texts:
        data = open(path, "rb").read()
        ours = subprocess.run([exe, "tokenize", "--tokenizer", tokenizer, "--text", path],
                              check=True, capture_output=True, text=True).stdout.split()
        back = subprocess.run([exe, "detokenize", "--tokenizer", tokenizer],
                              input=" ".join(ours).encode(), check=True,
                              capture_output=True).stdout
        if back != data:
            sys.exit(f"{path}: decode(encode(text)) differs from the text")
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            print(f"{path}: {len(ours)} tokens, round trip exact (not UTF-8: no reference)")
            continue
        theirs = subprocess.run(["node", "-e", NODE, vocab, path], check=True,
                                capture_output=True, text=True).stdout.split()
        if ours != theirs:
            first = next(i for i, (a, b) in enumerate(zip(ours + [None] * len(theirs),
                                                         theirs + [None] * len(ours)))
                         if a != b)
            sys.exit(f"{path}: token {first} is {ours[first:first + 5]} here and "
                     f"{theirs[first:first + 5]} in GPT-2's encoder")
        print(f"{path}: {len(ours)} tokens equal GPT-2's encoder's, round trip exact")


if __name__ == "__main__":
    main()
