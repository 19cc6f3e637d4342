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
 * `optimizer` (an index into the model's optimizers; -1 for none), which
 * stays NULL. Returns 0, or -1 when out of memory. */
int loom_tensors_alloc(loom_tensors *tensors, const loom_model_info *model,
                       int32_t optimizer);
void loom_tensors_free(loom_tensors *tensors);

/* Initializes parameters by their initializers from `seed` (each from its
 * own stream, named after the parameter) and zeroes gradients and the
 * allocated state. */
void loom_tensors_init(loom_tensors *tensors, uint64_t seed);

/* Writes "f32[256, 64]" into `out`. */
void loom_format_type(const loom_tensor_info *info, char *out, size_t size);

#endif /* LOOM_RUNTIME_TENSORS_H */
