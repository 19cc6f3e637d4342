/*===- data_tokens.c - Windows of a token stream: a token file or a text ===*/
/*
 * The whole stream in memory as uint16 tokens, read from a token file or
 * tokenized from a text, and served in windows of T + 1 tokens to a
 * training split and a validation split (its end). docs/data.md describes
 * the orders.
 */

#define _POSIX_C_SOURCE 200809L

#include "data_source.h"
#include "footprint.h"

#include "read_file.h"
#include "tokenizer.h"
#include "tokens.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
  loom_token_file file;
  int refs; /* the splits that read it */
} token_stream;

/* Tokens [begin, begin + count) of the stream, in the split's order. */
typedef struct {
  token_stream *stream;
  int64_t begin, count;
  loom_row_order order;
} token_split;

static void free_split(void *state) {
  token_split *split = state;
  if (--split->stream->refs == 0) {
    loom_tokens_free(&split->stream->file);
    free(split->stream);
  }
  free(split);
}

/* In order, row r is window r mod W of the split's W whole windows (at
 * multiples of T); at random, it starts at any of its count − T tokens,
 * as nanoGPT's get_batch draws them. */
static void window_rows(void *state, const loom_data_layout *layout,
                        int64_t first_row, void *ids_buffer,
                        void *targets_buffer) {
  token_split *split = state;
  int32_t *ids = ids_buffer, *targets = targets_buffer;
  int64_t seq = layout->seq;
  const uint16_t *tokens = split->stream->file.tokens + split->begin;
  for (int64_t b = 0; b < layout->batch; ++b) {
    int64_t row = first_row + b, start;
    if (split->order.random)
      start = loom_row_item(&split->order, row, split->count - seq);
    else
      start = (row % ((split->count - 1) / seq)) * seq;
    for (int64_t t = 0; t < seq; ++t) {
      ids[b * seq + t] = tokens[start + t];
      targets[b * seq + t] = tokens[start + t + 1];
    }
  }
}

static const loom_data_source kWindows = {window_rows, free_split};

/* Reads `path` whole. */
static char *read_text(const char *path, size_t *size, char *err,
                       size_t err_size) {
  FILE *file = fopen(path, "rb");
  if (!file) {
    snprintf(err, err_size, "%s: %s", path, strerror(errno));
    return NULL;
  }
  /* The text is read whole (and its tokens take more besides). */
  struct stat status;
  if (fstat(fileno(file), &status) == 0 && S_ISREG(status.st_mode) &&
      loom_check_file_fits(path, (int64_t)status.st_size,
                           loom_machine_memory_bytes(), err, err_size) != 0) {
    fclose(file);
    return NULL;
  }
  char *text = loom_read_all(file, size);
  fclose(file);
  if (!text)
    snprintf(err, err_size, "%s: read failed or out of memory", path);
  return text;
}

/* Tokenizes the text at `path` into `out`. */
static int tokenize_file(const char *path, const loom_tokenizer *tokenizer,
                         int64_t vocab, loom_token_file *out, char *err,
                         size_t err_size) {
  size_t size = 0;
  char *text = read_text(path, &size, err, err_size);
  if (!text)
    return -1;
  if (size == 0) {
    snprintf(err, err_size, "%s: the text is empty", path);
    free(text);
    return -1;
  }
  int32_t *ids = NULL;
  int64_t count = 0, capacity = 0;
  int status = loom_tokenizer_encode(tokenizer, text, size, &ids, &count,
                                     &capacity);
  free(text);
  memset(out, 0, sizeof(*out));
  out->tokens = status == 0 ? malloc((size_t)count * sizeof(uint16_t)) : NULL;
  if (!out->tokens) {
    snprintf(err, err_size, "%s: out of memory", path);
    free(ids);
    return -1;
  }
  for (int64_t i = 0; i < count; ++i) {
    if (ids[i] >= vocab) {
      snprintf(err, err_size,
               "%s: token %d at position %lld is outside the model's "
               "vocabulary [0, %lld)",
               path, ids[i], (long long)i, (long long)vocab);
      free(ids);
      loom_tokens_free(out);
      return -1;
    }
    out->tokens[i] = (uint16_t)ids[i];
  }
  out->count = count;
  free(ids);
  return 0;
}

static loom_dataset *open_split(token_stream *stream, int64_t begin,
                                int64_t count, const loom_row_order *order,
                                const loom_data_layout *layout,
                                const char *path, const char *what, char *err,
                                size_t err_size) {
  int64_t needed = layout->batch * layout->seq + 1;
  if (count < needed) {
    snprintf(err, err_size,
             "%s: %s %lld tokens, fewer than one batch: %lld windows of %lld "
             "tokens and a last target need %lld",
             path, what, (long long)count, (long long)layout->batch,
             (long long)layout->seq, (long long)needed);
    return NULL;
  }
  token_split *split = calloc(1, sizeof(token_split));
  if (!split) {
    snprintf(err, err_size, "%s: out of memory", path);
    return NULL;
  }
  split->stream = stream;
  split->begin = begin;
  split->count = count;
  split->order = *order;
  ++stream->refs;
  int64_t batches = (count - 1) / layout->seq / layout->batch;
  loom_dataset *dataset =
      loom_dataset_new(layout, &kWindows, split, count, batches, path);
  if (!dataset)
    snprintf(err, err_size, "%s: out of memory", path);
  return dataset;
}

int loom_tokens_open(const char *path, const loom_tokenizer *tokenizer,
                     const loom_data_layout *layout, double val_fraction,
                     const loom_row_order *order, loom_dataset **train,
                     loom_dataset **val, char *err, size_t err_size) {
  token_stream *stream = calloc(1, sizeof(token_stream));
  if (!stream) {
    snprintf(err, err_size, "%s: out of memory", path);
    return -1;
  }
  int status = tokenizer ? tokenize_file(path, tokenizer, layout->vocab,
                                         &stream->file, err, err_size)
                         : loom_tokens_read(path, layout->vocab, &stream->file,
                                            err, err_size);
  if (status != 0) {
    free(stream);
    return -1;
  }
  int64_t count = stream->file.count;
  int64_t held_out = (int64_t)((double)count * val_fraction);
  /* The splits hold the stream: it goes with the last of them. */
  stream->refs = 1;
  *train = open_split(stream, 0, count - held_out, order, layout, path,
                      held_out ? "the training split holds" : "holds", err,
                      err_size);
  if (*train && held_out) {
    loom_row_order in_order = {0, 0};
    *val = open_split(stream, count - held_out, held_out, &in_order, layout,
                      path, "the validation split (--val-fraction) holds", err,
                      err_size);
  }
  if (--stream->refs == 0) {
    loom_tokens_free(&stream->file);
    free(stream);
  }
  return *train && (*val || !held_out) ? 0 : -1;
}
