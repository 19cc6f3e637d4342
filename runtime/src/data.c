/*===- data.c - Training data: the layout and the choice of source -----===*/
/*
 * Which inputs the data feeds (the layout), and which source fills them:
 * synthetic data, a samples file or a token file (data_source.h).
 */

#include "data_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct loom_dataset {
  loom_data_layout layout;
  const loom_data_source *source;
  void *state;
  int64_t samples;
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
                               int64_t samples) {
  loom_dataset *data = calloc(1, sizeof(loom_dataset));
  if (!data) {
    source->free(state);
    return NULL;
  }
  data->layout = *layout;
  data->source = source;
  data->state = state;
  data->samples = samples;
  return data;
}

loom_dataset *loom_data_synthetic(const loom_data_layout *layout,
                                  uint64_t seed) {
  return layout->tokens ? loom_synthetic_tokens(layout, seed)
                        : loom_synthetic_samples(layout, seed);
}

loom_dataset *loom_data_open(const char *path, const loom_data_layout *layout,
                             char *err, size_t err_size) {
  return layout->tokens
             ? loom_token_windows_open(path, layout, err, err_size)
             : loom_samples_open(path, layout, err, err_size);
}

void loom_data_next_batch(loom_dataset *data, void *features, void *targets) {
  data->source->next_batch(data->state, &data->layout, features, targets);
}

int64_t loom_data_samples(const loom_dataset *data) { return data->samples; }

void loom_data_free(loom_dataset *data) {
  if (!data)
    return;
  data->source->free(data->state);
  free(data);
}
