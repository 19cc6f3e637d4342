/*===- tensors.c - The buffers of a model's tensor table ----------------===*/

#include "tensors.h"

#include "rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t loom_tensor_numel(const loom_tensor_info *info) {
  int64_t n = 1;
  for (int32_t d = 0; d < info->rank; ++d)
    n *= info->shape[d];
  return n;
}

size_t loom_tensor_bytes(const loom_tensor_info *info) {
  return (size_t)loom_tensor_numel(info) * 4; /* f32 and i32 */
}

int loom_find_tensor(const loom_model_info *model, loom_role role,
                     const char *name) {
  for (int32_t i = 0; i < model->num_tensors; ++i)
    if (model->tensors[i].role == (int32_t)role &&
        strcmp(model->tensors[i].name, name) == 0)
      return i;
  return -1;
}

/* A zeroed 64-byte aligned buffer for the tensor, or NULL. */
static void *alloc_buffer(const loom_tensor_info *info) {
  /* aligned_alloc needs a multiple of the alignment. */
  size_t bytes = (loom_tensor_bytes(info) + 63) & ~(size_t)63;
  void *buffer = aligned_alloc(64, bytes ? bytes : 64);
  if (buffer)
    memset(buffer, 0, bytes);
  return buffer;
}

/* The table's buffers: for training, all but the other optimizers' state
 * and the cache; for inference, the parameters, the inputs and the cache. */
static int alloc_table(loom_tensors *tensors, const loom_model_info *model,
                       int32_t optimizer, int inference) {
  tensors->model = model;
  tensors->buffers = calloc((size_t)model->num_tensors, sizeof(void *));
  if (!tensors->buffers)
    return -1;
  for (int32_t i = 0; i < model->num_tensors; ++i) {
    const loom_tensor_info *info = &model->tensors[i];
    int wanted = info->role == LOOM_ROLE_PARAM || info->role == LOOM_ROLE_INPUT;
    if (info->role == LOOM_ROLE_GRAD)
      wanted = !inference;
    else if (info->role == LOOM_ROLE_STATE)
      wanted = !inference && info->optimizer == optimizer;
    else if (info->role == LOOM_ROLE_CACHE)
      wanted = inference;
    if (wanted && !(tensors->buffers[i] = alloc_buffer(info)))
      return -1;
  }
  return 0;
}

int loom_tensors_alloc(loom_tensors *tensors, const loom_model_info *model,
                       int32_t optimizer) {
  return alloc_table(tensors, model, optimizer, 0);
}

int loom_tensors_alloc_inference(loom_tensors *tensors,
                                 const loom_model_info *model) {
  return alloc_table(tensors, model, -1, 1);
}

int loom_tensors_alloc_cache(loom_tensors *tensors) {
  const loom_model_info *model = tensors->model;
  for (int32_t i = 0; i < model->num_tensors; ++i)
    if (model->tensors[i].role == LOOM_ROLE_CACHE && !tensors->buffers[i] &&
        !(tensors->buffers[i] = alloc_buffer(&model->tensors[i])))
      return -1;
  return 0;
}

void loom_tensors_free(loom_tensors *tensors) {
  if (!tensors->buffers)
    return;
  for (int32_t i = 0; i < tensors->model->num_tensors; ++i)
    free(tensors->buffers[i]);
  free(tensors->buffers);
  tensors->buffers = NULL;
}

void loom_tensors_init(loom_tensors *tensors, uint64_t seed) {
  const loom_model_info *model = tensors->model;
  for (int32_t i = 0; i < model->num_tensors; ++i) {
    const loom_tensor_info *info = &model->tensors[i];
    float *data = tensors->buffers[i];
    if (info->role == LOOM_ROLE_INPUT || !data)
      continue;
    int64_t n = loom_tensor_numel(info);
    if (info->role != LOOM_ROLE_PARAM) {
      memset(data, 0, (size_t)n * sizeof(float));
      continue;
    }
    loom_rng rng;
    loom_rng_seed(&rng, seed, info->name);
    for (int64_t j = 0; j < n; ++j) {
      switch (info->init_kind) {
      case LOOM_INIT_NORMAL:
        data[j] = (float)(info->init_a * loom_rng_normal(&rng));
        break;
      case LOOM_INIT_UNIFORM:
        data[j] = (float)(info->init_a + (info->init_b - info->init_a) *
                                             loom_rng_uniform(&rng));
        break;
      case LOOM_INIT_ONES:
        data[j] = 1.0f;
        break;
      default:
        data[j] = 0.0f;
        break;
      }
    }
  }
}

void loom_format_type(const loom_tensor_info *info, char *out, size_t size) {
  size_t used = (size_t)snprintf(out, size, "%s[",
                                 info->dtype == LOOM_DTYPE_F32 ? "f32" : "i32");
  for (int32_t d = 0; d < info->rank && used < size; ++d)
    used += (size_t)snprintf(out + used, size - used, "%s%lld", d ? ", " : "",
                             (long long)info->shape[d]);
  if (used < size)
    snprintf(out + used, size - used, "]");
}
