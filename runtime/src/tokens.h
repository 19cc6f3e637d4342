/*===- tokens.h - Token files for language models -----------------------===*/

#ifndef LOOM_RUNTIME_TOKENS_H
#define LOOM_RUNTIME_TOKENS_H

#include <stddef.h>
#include <stdint.h>

/* A whole token file in memory: raw little-endian uint16 tokens (nanoGPT's
 * .bin), or llm.c's format (a header of 256 int32: magic 20240520, version
 * 1, token count; then uint16 tokens). */
typedef struct {
  uint16_t *tokens;
  int64_t count;
  int headered; /* llm.c's format */
} loom_token_file;

/* Reads and checks a token file: every token must lie in [0, vocab). On
 * failure writes why (naming the file and, for a bad token, its position)
 * into `err` and returns -1. */
int loom_tokens_read(const char *path, int64_t vocab, loom_token_file *file,
                     char *err, size_t err_size);
void loom_tokens_free(loom_token_file *file);

/* Fills a batch in the documented sequential order (docs/data.md): at step s
 * (from 0), row b is window k = s·B + b, wrapped around the windows the
 * file holds; inputs are tokens[k·T .. k·T + T − 1] and targets the tokens
 * one further. */
void loom_tokens_batch(const loom_token_file *file, int64_t step, int64_t batch,
                       int64_t seq, int32_t *inputs, int32_t *targets);

/* Windows of T + 1 tokens the file holds: (count − 1) / T. */
int64_t loom_tokens_windows(const loom_token_file *file, int64_t seq);

#endif /* LOOM_RUNTIME_TOKENS_H */
