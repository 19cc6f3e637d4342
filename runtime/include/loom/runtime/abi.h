/*===- abi.h - The contract between generated code and the runtime ------===*
 *
 * loomc emits an object that defines `loom_model` and the entry points below;
 * the runtime (plain C, linked into every executable) owns every buffer and
 * calls them. The compiler includes this header too, so both sides share one
 * definition of every enum and struct.
 *
 *===---------------------------------------------------------------------===*/

#ifndef LOOM_RUNTIME_ABI_H
#define LOOM_RUNTIME_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LOOM_ABI_VERSION 1

/* What a tensor of the model is. The tensor table lists parameters, then
 * their gradients, then optimizer state (slot by slot), then inputs. */
typedef enum {
  LOOM_ROLE_PARAM = 0,
  LOOM_ROLE_GRAD = 1,
  LOOM_ROLE_STATE = 2,
  LOOM_ROLE_INPUT = 3,
} loom_role;

typedef enum {
  LOOM_DTYPE_F32 = 0,
  LOOM_DTYPE_I32 = 1,
} loom_dtype;

/* Numbered as the dialect's InitKind. */
typedef enum {
  LOOM_INIT_NORMAL = 0,  /* N(0, a^2) */
  LOOM_INIT_UNIFORM = 1, /* U[a, b) */
  LOOM_INIT_ZEROS = 2,
  LOOM_INIT_ONES = 3,
} loom_init_kind;

typedef struct {
  const char *name; /* "fc1.weight", "fc1.weight.momentum_buffer", "x" */
  int32_t role;     /* loom_role */
  int32_t dtype;    /* loom_dtype */
  int32_t rank;
  int32_t init_kind; /* loom_init_kind; zeros for gradients and state */
  const int64_t *shape;
  double init_a, init_b;
  /* For an i32 input of class indices: every value must lie in
   * [0, index_bound). 0 when the input is not used as indices. */
  int64_t index_bound;
} loom_tensor_info;

typedef struct {
  int32_t abi_version; /* LOOM_ABI_VERSION */
  int32_t num_tensors;
  const loom_tensor_info *tensors;
  const char *model_name;
  const char *optimizer; /* "sgd" */
  /* The scalar hyperparameters loom_train_step reads from its `hyper`
   * array, in that order: "lr", "momentum", ... */
  int32_t num_hyper;
  const char *const *hyper_names;
  int32_t fused; /* built with fusion (1) or --no-fuse (0) */
  /* Floating-point operations of one training step's matrix products
   * (2·M·N·K each, forward and backward); elementwise work is not counted. */
  double train_step_flops;
} loom_model_info;

extern const loom_model_info loom_model;

/* One training step on the batch in the input buffers: forward, backward
 * (gradients written to the gradient buffers) and the optimizer update of
 * parameters and state, in place. `buffers` holds one pointer per tensor of
 * the table, each 64-byte aligned and densely packed in row-major order.
 * `step` counts from 1. Returns the loss before the update. */
float loom_train_step(void *const *buffers, const float *hyper, int64_t step);

/* The loss of the current parameters on the batch in the input buffers;
 * changes nothing. */
float loom_eval_loss(void *const *buffers);

/* Provided by whoever calls the entry points (the runtime, loom-bench):
 * called when an intermediate tensor of `bytes` cannot be allocated. Must
 * not return. */
void loom_out_of_memory(int64_t bytes);

#ifdef __cplusplus
}
#endif

#endif /* LOOM_RUNTIME_ABI_H */
