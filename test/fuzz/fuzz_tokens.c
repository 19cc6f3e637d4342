/*===- fuzz_tokens.c - libFuzzer target: token files ---------------------===*
 *
 * loom_tokens_read on any bytes, as raw uint16 tokens or llm.c's headered
 * format, for GPT-2's vocabulary: it must read the tokens or refuse the
 * file naming the problem, never read out of bounds or accept a token
 * outside the vocabulary.
 *
 *===----------------------------------------------------------------------===*/

#include "tokens.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char path[64];

static void removeInput(void) { unlink(path); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!path[0]) {
    snprintf(path, sizeof path, "/tmp/loom-fuzz-tokens-%ld", (long)getpid());
    atexit(removeInput);
  }
  FILE *file = fopen(path, "wb");
  if (!file)
    return 0;
  size_t written = fwrite(data, 1, size, file);
  fclose(file);
  if (written != size)
    return 0;
  loom_token_file tokens;
  char err[512];
  if (loom_tokens_read(path, 50257, &tokens, err, sizeof err) == 0) {
    for (int64_t i = 0; i < tokens.count; ++i)
      if (tokens.tokens[i] >= 50257)
        abort(); /* accepted a token outside the vocabulary */
    loom_tokens_free(&tokens);
  }
  return 0;
}
