/*===- bpe_vocab.h - GPT-2 BPE vocabularies: reading and lookups --------===*/
/*
 * The tables of a byte-level BPE tokenizer, read and checked from the files
 * of Hugging Face or OpenAI (bpe_vocab.c) and consulted by the encoder
 * (tokenizer.c). Symbols are token ids: loading checks that every merge's
 * parts and result are tokens. Not visible outside the tokenizer.
 */

#ifndef LOOM_RUNTIME_BPE_VOCAB_H
#define LOOM_RUNTIME_BPE_VOCAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  int64_t key; /* left << 32 | right; -1 for an empty slot */
  int32_t rank, result;
} loom_bpe_merge;

typedef struct {
  int32_t size;
  char *pool;        /* every token's bytes, in id order */
  size_t *offsets;   /* token i is pool[offsets[i] .. offsets[i + 1]) */
  int32_t *by_bytes; /* open addressing over token bytes; -1 when empty */
  size_t by_bytes_mask;
  int32_t byte_token[256]; /* the token of each single byte */
  loom_bpe_merge *merges;  /* open addressing over (left, right) */
  size_t merge_mask;
} loom_bpe_vocab;

/* Reads vocab.json + merges.txt, tokenizer.json, or encoder.json + vocab.bpe
 * from `dir` (the first present, in that order). On failure writes why,
 * naming the file and the line or entry, into `err` and returns -1; the
 * caller frees `vocab` either way. */
int loom_bpe_vocab_read(loom_bpe_vocab *vocab, const char *dir, char *err,
                        size_t err_size);
void loom_bpe_vocab_free(loom_bpe_vocab *vocab);

/* The id of the token of these bytes, or -1. */
int32_t loom_bpe_find_token(const loom_bpe_vocab *vocab, const char *bytes,
                            size_t length);

/* The rank of merging tokens (left, right), and its result; -1 when they do
 * not merge. */
int32_t loom_bpe_merge_rank(const loom_bpe_vocab *vocab, int32_t left,
                            int32_t right, int32_t *result);

uint64_t loom_bpe_hash(const char *bytes, size_t length);

#endif /* LOOM_RUNTIME_BPE_VOCAB_H */
