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

#define LOOM_ABI_VERSION 9

/* What a tensor of the model is. The tensor table lists parameters, then
 * their gradients, then the state of every optimizer (optimizer by
 * optimizer, slot by slot), then inputs, then the key/value cache of the
 * inference entry points. */
typedef enum {
  LOOM_ROLE_PARAM = 0,
  LOOM_ROLE_GRAD = 1,
  LOOM_ROLE_STATE = 2,
  LOOM_ROLE_INPUT = 3,
  /* "cache.N.key", "cache.N.value": attention N's (in the order of the
   * forward pass) keys and values of every position decoded so far,
   * [inference.batch, inference.context, kv_heads·head_dim]. */
  LOOM_ROLE_CACHE = 4,
} loom_role;

typedef enum {
  LOOM_DTYPE_F32 = 0,
  LOOM_DTYPE_I32 = 1,
} loom_dtype;

/* What the entry points compute in (loomc --precision). The tensors in
 * buffers are f32 in every build. */
typedef enum {
  LOOM_PRECISION_FP32 = 0,
  /* Matrix products read bf16 copies of their operands, accumulate in f32. */
  LOOM_PRECISION_BF16 = 1,
  /* The forward and backward passes in f64 from the f32 buffers, rounding
   * only what they store; losses are returned in full. For checking
   * (--grad-check), not speed. */
  LOOM_PRECISION_FP64 = 2,
} loom_precision;

/* Numbered as the dialect's InitKind. */
typedef enum {
  LOOM_INIT_NORMAL = 0,  /* N(0, a^2) */
  LOOM_INIT_UNIFORM = 1, /* U[a, b) */
  LOOM_INIT_ZEROS = 2,
  LOOM_INIT_ONES = 3,
} loom_init_kind;

typedef struct {
  const char *name; /* "h.0.attn.c_attn.weight", "...weight.exp_avg", "idx" */
  int32_t role;     /* loom_role */
  int32_t dtype;    /* loom_dtype */
  int32_t rank;
  int32_t init_kind; /* loom_init_kind; zeros for gradients and state */
  const int64_t *shape;
  double init_a, init_b;
  /* For an i32 input of indices (class labels, token ids): every value must
   * lie in [0, index_bound). 0 when the input is not used as indices. */
  int64_t index_bound;
  /* For optimizer state: the optimizer it belongs to (an index into
   * loom_model_info.optimizers); -1 for every other tensor. */
  int32_t optimizer;
} loom_tensor_info;

typedef struct {
  const char *name; /* "sgd", "adamw" */
  /* The scalar hyperparameters loom_update reads from its `hyper` array for
   * this optimizer, in that order: "lr", "momentum", ... */
  int32_t num_hyper;
  const char *const *hyper_names;
} loom_optimizer_info;

/* The inference entry points loom_prefill and loom_decode: the forward pass
 * without the loss, from token ids to next-token logits, with each
 * attention's keys and values kept in the cache tensors (LOOM_ROLE_CACHE). */
typedef struct {
  /* 1 when the model is a causal language model loomc compiled them for;
   * 0, with the reason in `unavailable`, otherwise (the entry points then
   * trap). */
  int32_t available;
  const char *unavailable;
  int64_t batch;          /* sequences decoded side by side */
  int64_t context;        /* positions the cache holds */
  int64_t prefill_length; /* tokens of each sequence one loom_prefill takes */
  int64_t vocab;          /* logits per position */
  /* 2·M·N·K of the matrix products of one loom_decode call, attention's
   * excluded (they grow with the position). */
  double decode_flops;
} loom_inference_info;

typedef struct {
  int32_t abi_version; /* LOOM_ABI_VERSION */
  int32_t num_tensors;
  const loom_tensor_info *tensors;
  const char *model_name;
  int32_t fused; /* built with fusion (1) or --no-fuse (0) */
  int32_t num_optimizers;
  const loom_optimizer_info *optimizers;
  /* Floating-point operations of one forward and backward pass's matrix
   * products (2·M·N·K each); elementwise work is not counted. */
  double train_step_flops;
  /* Built with `loomc --profile`: the operations whose time the compiled
   * code reports through loom_profile_begin/end, each named
   * "KIND\tWHERE" ("attention\th.0.attn gpt2.loom:27 in forward_backward");
   * 0 and NULL otherwise. */
  int32_t num_profiled_ops;
  const char *const *profiled_op_names;
  /* loomc's static memory plan: the bytes of the largest arena an entry
   * point allocates for its intermediate tensors during one call (each
   * entry point has one, freed before it returns). */
  int64_t arena_bytes;
  loom_inference_info inference;
  /* The gradients (g: the g-th LOOM_ROLE_GRAD tensor of the table, the
   * gradient of the g-th parameter) in the order loom_forward_backward
   * calls loom_gradient_ready for them: roughly the reverse of the order
   * the forward pass reads the parameters. One entry per parameter. */
  const int32_t *gradient_ready_order;
  /* The CPU features the generated code may use (names of
   * cpu_features.h's table, LLVM's spelling: "avx512f", "avx512bf16",
   * "amx-tile"): the runtime checks them with CPUID before calling it. */
  int32_t num_cpu_features;
  const char *const *cpu_features;
  int32_t precision; /* loom_precision */
  /* With --profile, per profiled operation and call: the FLOP of its
   * matrix products (2·M·N·K each; attention's products halved by the
   * causal mask; 0 for operations without them) and the bytes of the
   * tensors it reads and writes, each counted once -- the least it must
   * move. NULL without --profile. */
  const double *profiled_op_flops;
  const double *profiled_op_bytes;
} loom_model_info;

extern const loom_model_info loom_model;

/* `buffers` holds one pointer per tensor of the table, each 64-byte aligned
 * and densely packed in row-major order; the state of optimizers not in use
 * may be NULL. The entry points read the array itself throughout the call
 * (a loop over a model's layers picks each layer's buffers from it), so it
 * must hold the same pointers until the call returns. */

/* The forward and backward pass on the batch in the input buffers: returns
 * the loss and writes every gradient into its buffer. As soon as gradient
 * g is final it calls loom_gradient_ready(g) (below). Losses are returned
 * as double: exactly the f32 loss of an fp32 or bf16 build, the whole f64
 * loss of an fp64 one. */
double loom_forward_backward(void *const *buffers);

/* Parameter element ranges, for loom_grad_norm and loom_update: NULL for
 * every element of every parameter, or 2 int64_t per parameter in the
 * table's order, [begin, end) of its elements in row-major order. A rank
 * of a ZeRO-1 run passes the shard whose optimizer state it holds. */

/* The L2 norm of the gradients' elements in `ranges`, for clipping. */
float loom_grad_norm(void *const *buffers, const int64_t *ranges);

/* The update of the parameters and of `optimizer`'s state, in place, from
 * the gradients multiplied by `grad_scale`. `hyper` holds the optimizer's
 * hyper_names in order; `step` counts from 1. Parameter p is updated at
 * its elements in `ranges` alone, from the same elements of its gradient,
 * and its state buffers hold those elements alone (state element j is
 * parameter element begin + j), so an empty range reads none of its
 * buffers, whose state may then be NULL. */
void loom_update(int32_t optimizer, void *const *buffers, const float *hyper,
                 float grad_scale, int64_t step, const int64_t *ranges);

/* The loss of the current parameters on the batch in the input buffers;
 * changes nothing. */
double loom_eval_loss(void *const *buffers);

/* Inference. `tokens` holds inference.prefill_length token ids per sequence
 * (row-major [batch, prefill_length]) at positions position ...
 * position + prefill_length - 1, which must lie below inference.context:
 * their keys and values are written into the cache, every query attends to
 * the cache's positions up to its own, and `logits` receives
 * [batch, prefill_length, vocab]. Positions below `position` must hold what
 * earlier calls wrote there; later ones are never read. */
void loom_prefill(void *const *buffers, const int32_t *tokens, int64_t position,
                  float *logits);

/* loom_prefill for one token per sequence: `tokens` [batch] at `position`,
 * `logits` [batch, vocab]. */
void loom_decode(void *const *buffers, const int32_t *tokens, int64_t position,
                 float *logits);

/* Provided by whoever calls the entry points (the runtime, loom-bench):
 * called when an intermediate tensor of `bytes` cannot be allocated. Must
 * not return. */
void loom_out_of_memory(int64_t bytes);

/* Provided by the caller too: loom_forward_backward calls it on the calling
 * thread, between its parallel loops, once per gradient and call, as soon
 * as gradient g (the g-th LOOM_ROLE_GRAD tensor of the table) holds its
 * final value: the pass neither writes nor reads that buffer again in the
 * call, so the caller may start reducing it over ranks (and rewrite it in
 * place) while the backward pass goes on. It must return quickly. */
void loom_gradient_ready(int32_t gradient);

/* Provided by the caller too, and called only by code built with
 * `loomc --profile`: around the loop nests of profiled operation `op` (an
 * index into profiled_op_names), on the calling thread, never nested. */
void loom_profile_begin(int32_t op);
void loom_profile_end(int32_t op);

#ifdef __cplusplus
}
#endif

#endif /* LOOM_RUNTIME_ABI_H */
