/*===- fuzz_tokens.c - libFuzzer target: token files ---------------------===*
 *
 * loom_tokens_read on any bytes, as raw uint16 tokens or llm.c's headered
 * format, for GPT-2's vocabulary: it must read the tokens or refuse the
 * file naming the problem, never read out of bounds or accept a token
 * outside the vocabulary.
 *
 *===----------------------------------------------------------------------===*/

#include "fuzz_input_file.h"
#include "tokens.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_input_file("tokens", data, size);
  if (!path)
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
