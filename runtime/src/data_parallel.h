/*===- data_parallel.h - N ranks training as one ------------------------===*/
/*
 * Between the backward pass and the update, every rank's gradients of its
 * slice of the global batch are summed over the ranks (distributed.h), as
 * PyTorch DDP and llm.c do; one process is the case N = 1, where only the
 * micro-batches of --accum are summed.
 *
 * - Buckets. The gradients lie in one region in the order the backward
 *   pass finishes them (loom_model_info.gradient_ready_order; parameters
 *   in a region of the same layout), cut into buckets of about
 *   --bucket-mb MiB, the first of 1 MiB so that communication starts
 *   early (DDP's defaults). Each bucket is reduced as one message.
 * - Overlap. With --overlap on, a bucket is handed to a communication
 *   thread as soon as the backward pass has said its last gradient ready
 *   (loom_gradient_ready), and reduced while the backward pass goes on;
 *   the step waits only for what is left when the pass ends.
 * - ZeRO-1. With --zero 1, each bucket is cut into N equal parts (padded
 *   to a multiple of 16·N elements) and rank r owns part r of every
 *   bucket: gradients are reduce-scattered, each rank keeps the optimizer
 *   state of the elements it owns and updates them alone (loom_update's
 *   ranges), and the parameters are all-gathered after the update.
 *
 * Every rank does the same arithmetic on the same values in the same
 * order, so all ranks stay bit-identical, and for two ranks a sum is a + b:
 * bit for bit what one process adding two micro-batches computes.
 */

#ifndef LOOM_RUNTIME_DATA_PARALLEL_H
#define LOOM_RUNTIME_DATA_PARALLEL_H

#include "tensors.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct loom_data_parallel loom_data_parallel;

typedef struct {
  int zero;          /* shard the optimizer state (--zero 1) */
  int overlap;       /* reduce buckets while the backward pass runs */
  double bucket_mib; /* the size of a bucket after the first */
  int64_t accum;     /* micro-batches per step on each rank */
} loom_dp_settings;

/* Plans the buckets and the layout of the tensors for this rank of
 * loom_dist_size(). Returns NULL after writing why into `err`. */
loom_data_parallel *loom_dp_create(const loom_model_info *model,
                                   int32_t optimizer,
                                   const loom_dp_settings *settings, char *err,
                                   size_t err_size);
void loom_dp_free(loom_data_parallel *dp);

/* Where loom_tensors_alloc_laid_out puts the tensors. */
const loom_tensor_layout *loom_dp_layout(const loom_data_parallel *dp);

/* Binds the allocated tensors and starts the communication thread when
 * there is one. Returns 0, or -1 after writing why into `err`. */
int loom_dp_start(loom_data_parallel *dp, loom_tensors *tensors, char *err,
                  size_t err_size);

/* Around micro-batch `micro` (0 .. accum-1) of a step's forward and
 * backward pass on this rank: the last one's gradients are reduced over
 * the ranks (from its backward pass on, with overlap), and after it every
 * rank holds the sum of the step's gradients over ranks and micro-batches
 * -- under ZeRO-1, in the elements it owns. */
void loom_dp_before_backward(loom_data_parallel *dp, int64_t micro);
void loom_dp_after_backward(loom_data_parallel *dp, int64_t micro);

/* The L2 norm of the summed gradients, the same on every rank. */
float loom_dp_grad_norm(loom_data_parallel *dp);

/* loom_update on the elements this rank owns, then (ZeRO-1) every rank's
 * updated parameters to every rank. */
void loom_dp_update(loom_data_parallel *dp, int32_t optimizer,
                    const float *hyper, float grad_scale, int64_t step);

/* Checkpoints hold the whole optimizer state. Under ZeRO-1 a rank holds a
 * shard of it, so a checkpoint is written from, and read into, a table
 * whose state is whole on rank 0: `whole` gets the tensors' parameters and,
 * on rank 0, whole state buffers (allocated here); without ZeRO-1 it is the
 * tensors themselves. Returns 0, or -1 when out of memory. */
int loom_dp_whole_state(loom_data_parallel *dp, loom_tensors *whole);
/* Every rank's shard into rank 0's whole state (collective). */
void loom_dp_gather_state(loom_data_parallel *dp, loom_tensors *whole);
/* Rank 0's whole state into every rank's shard (collective). */
void loom_dp_scatter_state(loom_data_parallel *dp, loom_tensors *whole);
void loom_dp_release_whole_state(loom_data_parallel *dp, loom_tensors *whole);

/* Bytes of optimizer state this rank holds. */
int64_t loom_dp_state_bytes(const loom_data_parallel *dp);

/* "data parallel: ..." lines: buckets, communication time and how much of
 * it the backward pass hid, over the steps since the last reset. */
void loom_dp_reset_timing(loom_data_parallel *dp);
void loom_dp_report(const loom_data_parallel *dp, int64_t steps, FILE *out);

#endif /* LOOM_RUNTIME_DATA_PARALLEL_H */
