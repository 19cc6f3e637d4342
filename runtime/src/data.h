/*===- data.h - Training data: synthetic, token files, texts, CSV or binary -----------===*/

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
typedef struct loom_tokenizer loom_tokenizer;

/* Where the data comes from and how it is served. */
typedef struct {
  const char *data_path; /* a data file; NULL: synthetic or text */
  const char *text_path; /* a text, through `tokenizer` */
  const loom_tokenizer *tokenizer;
  const char *val_path;  /* validation data of the training data's kind */
  double val_fraction;   /* or the end of the training data held out */
  int random_order;      /* training rows at random (from `seed`) */
  uint64_t seed;
} loom_data_spec;

/* Opens the training split and, when the spec holds data out (or the data
 * is synthetic), the validation split; otherwise *val is NULL. Each split
 * must hold at least one batch. On failure writes why (naming the file and
 * what it holds) into `err` and returns -1. docs/data.md describes the
 * files, the orders and the splits. */
int loom_data_open(const loom_data_spec *spec, const loom_data_layout *layout,
                   loom_dataset **train, loom_dataset **val, char *err,
                   size_t err_size);

/* Writes batch `index` (from 0) into the input buffers. A batch is rows
 * index·B .. index·B + B − 1 of the split's endless stream of rows, and a
 * row is a function of the split, the order, the seed and its number alone:
 * so N batches of B rows hold what one batch of N·B rows holds, and a run
 * resumes from the count of batches it has read. The validation split is
 * always read in order. */
void loom_data_batch(loom_dataset *data, int64_t index, void *features,
                     void *targets);

/* Samples (vectors) or tokens in the split; 0 when synthetic. */
int64_t loom_data_samples(const loom_dataset *data);
/* Batches of distinct rows, read in order, before the split wraps around;
 * 0 when synthetic (endless). */
int64_t loom_data_batches(const loom_dataset *data);
/* The file the split reads, or "synthetic data". */
const char *loom_data_name(const loom_dataset *data);
void loom_data_free(loom_dataset *data);

#endif /* LOOM_RUNTIME_DATA_H */
