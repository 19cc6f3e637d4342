/*===- data_source.h - What each source of training data provides -----===*/
/*
 * A dataset is a layout and a source: synthetic samples or token walks
 * (data_synthetic.c), a file of samples (data_samples.c) or a token file
 * (data_tokens.c). Each source owns its state: it alone allocates it, reads
 * it to fill batches and frees it. data.c chooses the source and dispatches
 * to it; none of this is visible outside the data loader (data.h).
 */

#ifndef LOOM_RUNTIME_DATA_SOURCE_H
#define LOOM_RUNTIME_DATA_SOURCE_H

#include "data.h"

typedef struct {
  /* Writes the next batch into the input buffers. */
  void (*next_batch)(void *state, const loom_data_layout *layout,
                     void *features, void *targets);
  void (*free)(void *state);
} loom_data_source;

/* A dataset of `samples` samples (or tokens; 0 when synthetic) reading
 * `state` through `source`. On allocation failure frees the state and
 * returns NULL. */
loom_dataset *loom_dataset_new(const loom_data_layout *layout,
                               const loom_data_source *source, void *state,
                               int64_t samples);

/* data_synthetic.c: NULL when out of memory. */
loom_dataset *loom_synthetic_samples(const loom_data_layout *layout,
                                     uint64_t seed);
loom_dataset *loom_synthetic_tokens(const loom_data_layout *layout,
                                    uint64_t seed);

/* data_samples.c: a CSV or binary file of samples (docs/data.md). */
loom_dataset *loom_samples_open(const char *path,
                                const loom_data_layout *layout, char *err,
                                size_t err_size);

/* data_tokens.c: a token file, read in windows (docs/data.md). */
loom_dataset *loom_token_windows_open(const char *path,
                                      const loom_data_layout *layout,
                                      char *err, size_t err_size);

#endif /* LOOM_RUNTIME_DATA_SOURCE_H */
