/*===- tensors.h - The buffers of a model's tensor table ----------------===*/

#ifndef LOOM_RUNTIME_TENSORS_H
#define LOOM_RUNTIME_TENSORS_H

#include "loom/runtime/abi.h"

#include <stddef.h>

typedef struct {
  const loom_model_info *model;
  void **buffers; /* one 64-byte aligned buffer per tensor */
  /* The elements each buffer holds: its tensor's, but for the optimizer
   * state of a laid-out table (loom_tensor_layout.state_range). */
  int64_t *elements;
  /* A laid-out table's one allocation, which its buffers point into. */
  void *arena;
} loom_tensors;

/* Where a training table's buffers go when its caller lays them out
 * (data_parallel.c): parameters in one region and gradients in another, at
 * the same offsets, so that a range of the gradient region and the same
 * range of the parameter region hold the same parameters' values; the
 * optimizer's state of parameter p holds its elements [state_range[2p],
 * state_range[2p+1]) alone (ZeRO-1's shard), in a third region. Parameter p
 * is the table's tensor p, and its gradient tensor num_params + p. */
typedef struct {
  int64_t region_elements;     /* of the parameter and gradient regions */
  const int64_t *offset;       /* per parameter, in elements, 16-aligned */
  const int64_t *state_range;  /* 2 per parameter */
} loom_tensor_layout;

int64_t loom_tensor_numel(const loom_tensor_info *info);
size_t loom_tensor_bytes(const loom_tensor_info *info);

/* Index of the tensor with this role and name, or -1. */
int loom_find_tensor(const loom_model_info *model, loom_role role,
                     const char *name);

/* Allocates every buffer, zeroed, except the state of optimizers other than
 * `optimizer` (an index into the model's optimizers; -1 for none) and the
 * inference cache (LOOM_ROLE_CACHE), which stay NULL: training never reads
 * them. Returns 0, or -1 when out of memory. */
int loom_tensors_alloc(loom_tensors *tensors, const loom_model_info *model,
                       int32_t optimizer);
/* loom_tensors_alloc with parameters, gradients and `optimizer`'s state
 * placed as `layout` says, in one allocation. Returns 0, or -1 when out of
 * memory or when the table is not parameters followed by their gradients
 * (which every loomc table is). */
int loom_tensors_alloc_laid_out(loom_tensors *tensors,
                                const loom_model_info *model,
                                int32_t optimizer,
                                const loom_tensor_layout *layout);
/* The number of parameters: the table's first tensors. */
int32_t loom_num_params(const loom_model_info *model);
/* For loom_prefill and loom_decode alone: the parameters, the inputs and
 * the cache, zeroed; gradients and optimizer state stay NULL (for GPT-2
 * the gradients alone are 500 MB). Returns 0, or -1 when out of memory. */
int loom_tensors_alloc_inference(loom_tensors *tensors,
                                 const loom_model_info *model);
/* Allocates the cache, zeroed, in tensors loom_tensors_alloc allocated
 * (train's --sample-every); buffers already there are kept. Returns 0, or
 * -1 when out of memory. */
int loom_tensors_alloc_cache(loom_tensors *tensors);
void loom_tensors_free(loom_tensors *tensors);

/* Initializes parameters by their initializers from `seed` (each from its
 * own stream, named after the parameter) and zeroes every other allocated
 * buffer but the inputs; NULL buffers are skipped. */
void loom_tensors_init(loom_tensors *tensors, uint64_t seed);

/* Writes "f32[256, 64]" into `out`. */
void loom_format_type(const loom_tensor_info *info, char *out, size_t size);

#endif /* LOOM_RUNTIME_TENSORS_H */
