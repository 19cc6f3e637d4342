/*===- data.c - Training data: the layout and the choice of source -----===*/
/*
 * Which inputs the data feeds (the layout), and which source fills them:
 * synthetic data, a samples file, a token file or a text (data_source.h),
 * for the training split and the validation split.
 */

#include "data_source.h"

#include "rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct loom_dataset {
  loom_data_layout layout;
  const loom_data_source *source;
  void *state;
  int64_t samples, batches;
  char *name;
};

/* Two i32 [batch, seq] inputs: token ids, then targets. */
static int token_layout_of(const loom_model_info *model, const int *inputs,
                           int count, loom_data_layout *layout) {
  if (count != 2)
    return -1;
  const loom_tensor_info *ids = &model->tensors[inputs[0]];
  const loom_tensor_info *targets = &model->tensors[inputs[1]];
  if (ids->dtype != LOOM_DTYPE_I32 || targets->dtype != LOOM_DTYPE_I32 ||
      ids->rank != 2 || targets->rank != 2 ||
      ids->shape[0] != targets->shape[0] || ids->shape[1] != targets->shape[1])
    return -1;
  /* A token is both an input id and a target, so it must fit both. */
  int64_t vocab = 65536; /* token files hold uint16 */
  if (ids->index_bound > 0 && ids->index_bound < vocab)
    vocab = ids->index_bound;
  if (targets->index_bound > 0 && targets->index_bound < vocab)
    vocab = targets->index_bound;
  memset(layout, 0, sizeof(*layout));
  layout->tokens = 1;
  layout->features_index = inputs[0];
  layout->target_index = inputs[1];
  layout->batch = ids->shape[0];
  layout->seq = ids->shape[1];
  layout->vocab = vocab;
  return 0;
}

int loom_data_layout_of(const loom_model_info *model, loom_data_layout *layout,
                        char *err, size_t err_size) {
  int inputs[2], count = 0;
  for (int32_t i = 0; i < model->num_tensors; ++i) {
    if (model->tensors[i].role != LOOM_ROLE_INPUT)
      continue;
    if (count < 2)
      inputs[count] = i;
    ++count;
  }
  if (token_layout_of(model, inputs, count, layout) == 0)
    return 0;
  const loom_tensor_info *a = count == 2 ? &model->tensors[inputs[0]] : NULL;
  const loom_tensor_info *b = count == 2 ? &model->tensors[inputs[1]] : NULL;
  /* The features are the f32 matrix; the target is the other input. */
  if (a && b && !(a->dtype == LOOM_DTYPE_F32 && a->rank == 2)) {
    const loom_tensor_info *t = a;
    a = b;
    b = t;
    int s = inputs[0];
    inputs[0] = inputs[1];
    inputs[1] = s;
  }
  int fits = a && b && a->dtype == LOOM_DTYPE_F32 && a->rank == 2 &&
             b->shape[0] == a->shape[0] &&
             ((b->dtype == LOOM_DTYPE_I32 && b->rank == 1 && b->index_bound > 0) ||
              (b->dtype == LOOM_DTYPE_F32 && b->rank == 2));
  if (!fits) {
    snprintf(err, err_size,
             "the data loader feeds models with two inputs, either f32 "
             "[batch, features] and a target (i32 [batch] class labels or f32 "
             "[batch, width] values), or i32 [batch, seq] token ids and "
             "targets; this model's %d input%s fit neither",
             count, count == 1 ? "" : "s");
    return -1;
  }
  memset(layout, 0, sizeof(*layout));
  layout->features_index = inputs[0];
  layout->target_index = inputs[1];
  layout->batch = a->shape[0];
  layout->features = a->shape[1];
  layout->classification = b->dtype == LOOM_DTYPE_I32;
  layout->classes = layout->classification ? b->index_bound : 0;
  layout->target_width = layout->classification ? 1 : b->shape[1];
  return 0;
}

loom_dataset *loom_dataset_new(const loom_data_layout *layout,
                               const loom_data_source *source, void *state,
                               int64_t samples, int64_t batches,
                               const char *name) {
  loom_dataset *data = calloc(1, sizeof(loom_dataset));
  char *copy = malloc(strlen(name) + 1);
  if (!data || !copy) {
    source->free(state);
    free(data);
    free(copy);
    return NULL;
  }
  data->layout = *layout;
  data->source = source;
  data->state = state;
  data->samples = samples;
  data->batches = batches;
  data->name = strcpy(copy, name);
  return data;
}

int64_t loom_row_item(const loom_row_order *order, int64_t row, int64_t count) {
  if (!order->random)
    return row % count;
  loom_rng rng;
  loom_rng_seed_indexed(&rng, order->seed, "data-order", (uint64_t)row);
  return (int64_t)(loom_rng_next(&rng) % (uint64_t)count);
}

/* The training split of the spec, and its validation split held out. */
static int open_file(const char *path, const loom_data_spec *spec,
                     const loom_data_layout *layout, double val_fraction,
                     const loom_row_order *order, loom_dataset **train,
                     loom_dataset **val, char *err, size_t err_size) {
  if (layout->tokens)
    return loom_tokens_open(path, spec->text_path ? spec->tokenizer : NULL,
                            layout, val_fraction, order, train, val, err,
                            err_size);
  if (spec->text_path) {
    snprintf(err, err_size,
             "--text: %s: this model takes vectors, not token windows", path);
    return -1;
  }
  return loom_samples_open(path, layout, val_fraction, order, train, val, err,
                           err_size);
}

int loom_data_open(const loom_data_spec *spec, const loom_data_layout *layout,
                   loom_dataset **train, loom_dataset **val, char *err,
                   size_t err_size) {
  *train = *val = NULL;
  loom_row_order order = {spec->random_order, spec->seed};
  const char *path = spec->data_path ? spec->data_path : spec->text_path;
  if (!path) {
    *train = layout->tokens ? loom_synthetic_tokens(layout, spec->seed, "train")
                            : loom_synthetic_samples(layout, spec->seed, "train");
    *val = layout->tokens
               ? loom_synthetic_tokens(layout, spec->seed, "validation")
               : loom_synthetic_samples(layout, spec->seed, "validation");
    if (*train && *val)
      return 0;
    snprintf(err, err_size, "out of memory for the synthetic data");
    goto fail;
  }
  if (open_file(path, spec, layout, spec->val_fraction, &order, train, val,
                err, err_size) != 0)
    goto fail;
  if (spec->val_path) {
    loom_row_order in_order = {0, 0};
    loom_dataset *unused = NULL;
    if (open_file(spec->val_path, spec, layout, 0, &in_order, val, &unused, err,
                  err_size) != 0)
      goto fail;
  }
  return 0;
fail:
  loom_data_free(*train);
  loom_data_free(*val);
  *train = *val = NULL;
  return -1;
}

void loom_data_batch(loom_dataset *data, int64_t index, void *features,
                     void *targets) {
  data->source->rows(data->state, &data->layout, index * data->layout.batch,
                     features, targets);
}

int64_t loom_data_samples(const loom_dataset *data) { return data->samples; }
int64_t loom_data_batches(const loom_dataset *data) { return data->batches; }
const char *loom_data_name(const loom_dataset *data) { return data->name; }

void loom_data_free(loom_dataset *data) {
  if (!data)
    return;
  data->source->free(data->state);
  free(data->name);
  free(data);
}
