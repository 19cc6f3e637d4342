/*===- tokenizer.h - Byte-level and GPT-2 BPE tokenizers ----------------===*/

#ifndef LOOM_RUNTIME_TOKENIZER_H
#define LOOM_RUNTIME_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

/* Text to token ids and back. Encoding remembers recent pre-tokens inside
 * the tokenizer, so one tokenizer must not encode on two threads at once. */
typedef struct loom_tokenizer loom_tokenizer;

/* Byte-level: token id = byte value, 256 tokens. NULL when out of memory. */
loom_tokenizer *loom_tokenizer_bytes(void);

/* GPT-2 byte-level BPE from a directory holding Hugging Face's vocab.json +
 * merges.txt, or tokenizer.json, or OpenAI's original encoder.json + vocab.bpe
 * (same formats as vocab.json / merges.txt). On failure NULL and a message
 * naming the file (and line/offset where it applies) in err. */
loom_tokenizer *loom_tokenizer_open(const char *dir, char *err,
                                    size_t err_size);

void loom_tokenizer_free(loom_tokenizer *tokenizer);

/* 256 for bytes, 50257 for GPT-2. */
int64_t loom_tokenizer_vocab_size(const loom_tokenizer *tokenizer);

/* "bytes" or "gpt2-bpe DIR". */
const char *loom_tokenizer_name(const loom_tokenizer *tokenizer);

/* Encodes `size` bytes of text (any bytes; invalid UTF-8 must still encode
 * losslessly: byte-level BPE covers every byte). Appends ids to *ids
 * (realloc'd; *count and *capacity updated; *ids may start NULL). -1 on out
 * of memory. */
int loom_tokenizer_encode(const loom_tokenizer *tokenizer, const char *text,
                          size_t size, int32_t **ids, int64_t *count,
                          int64_t *capacity);

/* The bytes of one token (not NUL-terminated), or NULL when id is outside
 * [0, vocab_size). */
const char *loom_tokenizer_token_bytes(const loom_tokenizer *tokenizer,
                                       int32_t id, size_t *length);

#endif /* LOOM_RUNTIME_TOKENIZER_H */
