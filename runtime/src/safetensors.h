/*===- safetensors.h - Parameters to and from safetensors files ---------===*/

#ifndef LOOM_RUNTIME_SAFETENSORS_H
#define LOOM_RUNTIME_SAFETENSORS_H

#include "tensors.h"

#include <stddef.h>
#include <stdio.h>

/* A tensor to write or read: its name in the file, its type and shape, and
 * its buffer. */
typedef struct {
  const char *name;
  const loom_tensor_info *info;
  void *data;
} loom_named_tensor;

/* Reads every tensor of `wanted` from `path` by name: each must be present,
 * F32 (or, when `widen`, BF16 or F16 for an f32 tensor, widened exactly;
 * `widened`, when given, counts those), and of its shape. Other tensors of the file are refused as "no
 * `what` of that name", unless skip(name, context) says to skip them.
 * Nothing is written to the buffers unless the whole file checks out. On
 * failure writes a message naming the tensor and the problem into `err`
 * and returns -1. */
int loom_safetensors_read(const char *path, const loom_named_tensor *wanted,
                          int count, const char *what,
                          int (*skip)(const char *name, const void *context),
                          const void *context, int widen, int *widened,
                          char *err, size_t err_size);

/* Writes the tensors, F32 (f32 ones as BF16, rounded to nearest even, when
 * `bf16`), to an open file (`path` names it in messages). */
int loom_safetensors_write(FILE *file, const char *path,
                           const loom_named_tensor *tensors, int count,
                           const char *model_name, int bf16, char *err,
                           size_t err_size);

/* fsync of the directory holding `path`, so that a rename into it lasts. */
int loom_fsync_directory_of(const char *path);

/* Loads every parameter of the table from `path` by name: each must be
 * present, F32, BF16 or F16 (widened to the model's f32; `widened` counts
 * those), and of the parameter's shape; tensors that are not
 * parameters are refused, except the causal-mask buffers of Hugging Face
 * GPT-2 checkpoints (h.N.attn.bias, h.N.attn.masked_bias) and the optimizer
 * state of Loom's checkpoints, which are skipped. Nothing is written to the parameters unless the whole file
 * checks out. On failure writes a message naming the tensor and the
 * problem into `err` and returns -1. */
int loom_load_safetensors(loom_tensors *tensors, const char *path,
                          int *widened, char *err, size_t err_size);

/* Writes every parameter, F32 (BF16 when `bf16`: for inference, not for
 * resuming training exactly), under its name. The file appears whole or
 * not at all: it is written next to `path`, synced, and renamed over it. */
int loom_save_safetensors(const loom_tensors *tensors, const char *path,
                          int bf16, char *err, size_t err_size);

#endif /* LOOM_RUNTIME_SAFETENSORS_H */
