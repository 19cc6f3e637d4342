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

int32_t loom_num_params(const loom_model_info *model) {
  int32_t count = 0;
  while (count < model->num_tensors &&
         model->tensors[count].role == LOOM_ROLE_PARAM)
    ++count;
  return count;
}

/* Whether `tensors` will hold tensor `info`: for training, all but the
 * other optimizers' state and the cache; for inference, the parameters,
 * the inputs and the cache. */
static int wanted(const loom_tensor_info *info, int32_t optimizer,
                  int inference) {
  if (info->role == LOOM_ROLE_GRAD)
    return !inference;
  if (info->role == LOOM_ROLE_STATE)
    return !inference && info->optimizer == optimizer;
  if (info->role == LOOM_ROLE_CACHE)
    return inference;
  return info->role == LOOM_ROLE_PARAM || info->role == LOOM_ROLE_INPUT;
}

static int alloc_lists(loom_tensors *tensors, const loom_model_info *model) {
  tensors->model = model;
  tensors->arena = NULL;
  tensors->buffers = calloc((size_t)model->num_tensors, sizeof(void *));
  tensors->elements = calloc((size_t)model->num_tensors, sizeof(int64_t));
  if (!tensors->buffers || !tensors->elements)
    return -1;
  for (int32_t i = 0; i < model->num_tensors; ++i)
    tensors->elements[i] = loom_tensor_numel(&model->tensors[i]);
  return 0;
}

static int alloc_table(loom_tensors *tensors, const loom_model_info *model,
                       int32_t optimizer, int inference) {
  if (alloc_lists(tensors, model) != 0)
    return -1;
  for (int32_t i = 0; i < model->num_tensors; ++i)
    if (wanted(&model->tensors[i], optimizer, inference) &&
        !(tensors->buffers[i] = alloc_buffer(&model->tensors[i])))
      return -1;
  return 0;
}

int loom_tensors_alloc(loom_tensors *tensors, const loom_model_info *model,
                       int32_t optimizer) {
  return alloc_table(tensors, model, optimizer, 0);
}

int loom_tensors_alloc_laid_out(loom_tensors *tensors,
                                const loom_model_info *model,
                                int32_t optimizer,
                                const loom_tensor_layout *layout) {
  if (alloc_lists(tensors, model) != 0)
    return -1;
  int32_t params = loom_num_params(model);
  if (2 * params > model->num_tensors)
    return -1;
  for (int32_t p = 0; p < params; ++p)
    if (model->tensors[params + p].role != LOOM_ROLE_GRAD)
      return -1;
  /* The state region: each state tensor's range, 16-aligned, in table
   * order. A state tensor belongs to parameter k mod P, k counting the
   * optimizer's state tensors (slot by slot, parameters in order). */
  int64_t state_elements = 0;
  for (int pass = 0; pass < 2; ++pass) {
    int64_t next = 2 * layout->region_elements, k = 0;
    for (int32_t i = 0; i < model->num_tensors; ++i) {
      const loom_tensor_info *info = &model->tensors[i];
      if (info->role != LOOM_ROLE_STATE || info->optimizer != optimizer)
        continue;
      int32_t p = (int32_t)(k++ % params);
      int64_t held = layout->state_range[2 * p + 1] - layout->state_range[2 * p];
      tensors->elements[i] = held;
      if (pass == 1)
        tensors->buffers[i] = held ? (float *)tensors->arena + next : NULL;
      next += (held + 15) & ~(int64_t)15;
    }
    if (pass == 0) {
      state_elements = next - 2 * layout->region_elements;
      size_t bytes = (size_t)(2 * layout->region_elements + state_elements) * 4;
      tensors->arena = aligned_alloc(64, bytes ? bytes : 64);
      if (!tensors->arena)
        return -1;
      memset(tensors->arena, 0, bytes);
    }
  }
  float *region = tensors->arena;
  for (int32_t p = 0; p < params; ++p) {
    tensors->buffers[p] = region + layout->offset[p];
    tensors->buffers[params + p] =
        region + layout->region_elements + layout->offset[p];
  }
  for (int32_t i = 2 * params; i < model->num_tensors; ++i) {
    const loom_tensor_info *info = &model->tensors[i];
    if (info->role != LOOM_ROLE_STATE && wanted(info, optimizer, 0) &&
        !(tensors->buffers[i] = alloc_buffer(info)))
      return -1;
  }
  return 0;
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

/* Whether buffer i lies in the table's arena (and is not freed alone). */
static int in_arena(const loom_tensors *tensors, int32_t i) {
  const loom_tensor_info *info = &tensors->model->tensors[i];
  return tensors->arena &&
         (info->role == LOOM_ROLE_PARAM || info->role == LOOM_ROLE_GRAD ||
          info->role == LOOM_ROLE_STATE);
}

void loom_tensors_free(loom_tensors *tensors) {
  if (tensors->buffers)
    for (int32_t i = 0; i < tensors->model->num_tensors; ++i)
      if (!in_arena(tensors, i))
        free(tensors->buffers[i]);
  free(tensors->buffers);
  free(tensors->elements);
  free(tensors->arena);
  tensors->buffers = NULL;
  tensors->elements = NULL;
  tensors->arena = NULL;
}

void loom_tensors_init(loom_tensors *tensors, uint64_t seed) {
  const loom_model_info *model = tensors->model;
  for (int32_t i = 0; i < model->num_tensors; ++i) {
    const loom_tensor_info *info = &model->tensors[i];
    float *data = tensors->buffers[i];
    if (info->role == LOOM_ROLE_INPUT || !data)
      continue;
    int64_t n = tensors->elements[i];
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
