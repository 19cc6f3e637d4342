/*===- safetensors.h - Parameters to and from safetensors files ---------===*/

#ifndef LOOM_RUNTIME_SAFETENSORS_H
#define LOOM_RUNTIME_SAFETENSORS_H

#include "tensors.h"

#include <stddef.h>

/* Loads every parameter of the table from `path` by name: each must be
 * present, F32, and of the parameter's shape; tensors that are not
 * parameters are refused, except the causal-mask buffers of Hugging Face
 * GPT-2 checkpoints (h.N.attn.bias, h.N.attn.masked_bias), which are
 * skipped. Nothing is written to the parameters unless the whole file
 * checks out. On failure writes a message naming the tensor and the
 * problem into `err` and returns -1. */
int loom_load_safetensors(loom_tensors *tensors, const char *path, char *err,
                          size_t err_size);

/* Writes every parameter, F32, under its name. The file appears whole or
 * not at all: it is written next to `path` and renamed over it. */
int loom_save_safetensors(const loom_tensors *tensors, const char *path,
                          char *err, size_t err_size);

#endif /* LOOM_RUNTIME_SAFETENSORS_H */
