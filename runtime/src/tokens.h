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

#endif /* LOOM_RUNTIME_TOKENS_H */
