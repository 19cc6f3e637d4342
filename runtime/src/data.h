/*===- data.h - Training data: synthetic, CSV or binary files -----------===*/

#ifndef LOOM_RUNTIME_DATA_H
#define LOOM_RUNTIME_DATA_H

#include "loom/runtime/abi.h"

#include <stddef.h>
#include <stdint.h>

/* Which inputs the data feeds: one f32 [batch, features] input and one
 * target, either i32 [batch] class labels or f32 [batch, width] values. */
typedef struct {
  int features_index; /* in the tensor table */
  int target_index;
  int64_t batch;
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
 * are argmax(x·T) for a random T, targets tanh(x·T); a model can learn both. */
loom_dataset *loom_data_synthetic(const loom_data_layout *layout,
                                  uint64_t seed);

/* Reads a whole file: CSV (a line per sample: the features, then the label
 * or the target values) or Loom's binary layout (docs/data.md). On failure
 * writes why into `err` and returns NULL. */
loom_dataset *loom_data_open(const char *path, const loom_data_layout *layout,
                             char *err, size_t err_size);

/* Writes the next batch into the input buffers. File data is read in order
 * and wraps around at its end. */
void loom_data_next_batch(loom_dataset *data, void *features, void *targets);

int64_t loom_data_samples(const loom_dataset *data); /* 0 when synthetic */
void loom_data_free(loom_dataset *data);

#endif /* LOOM_RUNTIME_DATA_H */
