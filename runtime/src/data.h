/*===- data.h - Training data: synthetic, CSV or binary files -----------===*/

#ifndef LOOM_RUNTIME_DATA_H
#define LOOM_RUNTIME_DATA_H

#include "loom/runtime/abi.h"

#include <stddef.h>
#include <stdint.h>

/* Which inputs the data feeds. Either vectors: one f32 [batch, features]
 * input and one target, i32 [batch] class labels or f32 [batch, width]
 * values; or tokens: two i32 [batch, seq] inputs, the token ids (the first
 * declared) and the next-token targets (the second). */
typedef struct {
  int features_index; /* in the tensor table; the token ids for tokens */
  int target_index;
  int64_t batch;
  int tokens;      /* a language model's token windows */
  int64_t seq;     /* tokens: the window length T */
  int64_t vocab;   /* tokens: every id lies in [0, vocab) */
  int64_t features;
  int classification; /* targets are labels in [0, classes) */
  int64_t classes;
  int64_t target_width; /* f32 targets per sample when not classifying */
} loom_data_layout;

/* Fills `layout` from the model's inputs; on failure writes why into `err`
 * and returns -1. */
int loom_data_layout_of(const loom_model_info *model, loom_data_layout *layout,
                        char *err, size_t err_size);

typedef struct loom_dataset loom_dataset;

/* Samples drawn fresh for every batch from a fixed random "teacher": labels
 * are argmax(x·T) for a random T, targets tanh(x·T); a model can learn both.
 * Token windows are random walks on a fixed random graph in which every
 * token has four successors, so a language model can learn them down to a
 * loss of ln 4. */
loom_dataset *loom_data_synthetic(const loom_data_layout *layout,
                                  uint64_t seed);

/* Reads a whole file: for vectors CSV (a line per sample: the features, then
 * the label or the target values) or Loom's binary layout; for tokens a
 * token file (tokens.h). docs/data.md describes them all. On failure writes
 * why into `err` and returns NULL. */
loom_dataset *loom_data_open(const char *path, const loom_data_layout *layout,
                             char *err, size_t err_size);

/* Writes the next batch into the input buffers. File data is read in order
 * and wraps around at its end (for tokens, the sequential order of
 * docs/data.md). */
void loom_data_next_batch(loom_dataset *data, void *features, void *targets);

/* Samples (vectors) or tokens in the file; 0 when synthetic. */
int64_t loom_data_samples(const loom_dataset *data);
void loom_data_free(loom_dataset *data);

#endif /* LOOM_RUNTIME_DATA_H */
