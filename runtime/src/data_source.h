/*===- data_source.h - What each source of training data provides -----===*/
/*
 * A dataset is a layout and a source: synthetic samples or token walks
 * (data_synthetic.c), a file of samples (data_samples.c) or a stream of
 * tokens from a token file or a text (data_tokens.c). Each source owns its
 * state: it alone allocates it, reads it to fill batches and frees it.
 * data.c chooses the sources of the two splits and dispatches to them; none
 * of this is visible outside the data loader (data.h).
 */

#ifndef LOOM_RUNTIME_DATA_SOURCE_H
#define LOOM_RUNTIME_DATA_SOURCE_H

#include "data.h"

typedef struct {
  /* Writes rows first_row .. first_row + B − 1 into the input buffers. */
  void (*rows)(void *state, const loom_data_layout *layout, int64_t first_row,
               void *features, void *targets);
  void (*free)(void *state);
} loom_data_source;

/* A dataset reading `state` through `source`: `samples` samples (or
 * tokens; 0 when synthetic), `batches` distinct batches in order, read from
 * `name`. On allocation failure frees the state and returns NULL. */
loom_dataset *loom_dataset_new(const loom_data_layout *layout,
                               const loom_data_source *source, void *state,
                               int64_t samples, int64_t batches,
                               const char *name);

/* The row order of a split: in order, wrapping around its `count` items,
 * or each row an item drawn from (seed, row) alone. */
typedef struct {
  int random;
  uint64_t seed;
} loom_row_order;

/* The item row `row` reads, in [0, count). */
int64_t loom_row_item(const loom_row_order *order, int64_t row, int64_t count);

/* data_synthetic.c: rows drawn from (seed, split, row); NULL when out of
 * memory. */
loom_dataset *loom_synthetic_samples(const loom_data_layout *layout,
                                     uint64_t seed, const char *split);
loom_dataset *loom_synthetic_tokens(const loom_data_layout *layout,
                                    uint64_t seed, const char *split);

/* data_samples.c: a CSV or binary file of samples (docs/data.md), split at
 * `val_fraction` (0: all of it is training data, *val stays NULL). */
int loom_samples_open(const char *path, const loom_data_layout *layout,
                      double val_fraction, const loom_row_order *order,
                      loom_dataset **train, loom_dataset **val, char *err,
                      size_t err_size);

/* data_tokens.c: a token file, or a text through a tokenizer, read in
 * windows (docs/data.md) and split like samples. */
int loom_tokens_open(const char *path, const loom_tokenizer *tokenizer,
                     const loom_data_layout *layout, double val_fraction,
                     const loom_row_order *order, loom_dataset **train,
                     loom_dataset **val, char *err, size_t err_size);

#endif /* LOOM_RUNTIME_DATA_SOURCE_H */
