/*===- tensors.h - The buffers of a model's tensor table ----------------===*/

#ifndef LOOM_RUNTIME_TENSORS_H
#define LOOM_RUNTIME_TENSORS_H

#include "loom/runtime/abi.h"

#include <stddef.h>

typedef struct {
  const loom_model_info *model;
  void **buffers; /* one 64-byte aligned buffer per tensor */
} loom_tensors;

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
