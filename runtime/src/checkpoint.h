/*===- checkpoint.h - Checkpoints a run resumes from exactly ------------===*/
/*
 * A checkpoint is a directory DIR/step-00000050 holding model.safetensors
 * (the parameters under their names, and the optimizer's state as
 * "SLOT.PARAMETER", e.g. exp_avg.h.0.attn.c_attn.weight) and state.json
 * (the step, the data position, the random state, the run's settings, and
 * the size and hash of model.safetensors). It is written in a hidden
 * directory, synced, and renamed into place, so a checkpoint under its
 * final name is always whole; older ones are removed only after it is.
 */

#ifndef LOOM_RUNTIME_CHECKPOINT_H
#define LOOM_RUNTIME_CHECKPOINT_H

#include "flags.h"
#include "tensors.h"

#include <stddef.h>
#include <stdint.h>

/* Where a run stands after a step: what resuming needs besides tensors. */
typedef struct {
  int64_t step;         /* steps done */
  int64_t batches_read; /* training batches consumed: the data position */
  int64_t tokens;       /* tokens (or samples) trained on */
} loom_run_position;

/* Whether a checkpoint of `needed` bytes fits in the `available` bytes
 * free in `dir`'s file system (-1: unknown, which fits): 0, or -1 with
 * both figures in `err`. loom_checkpoint_save checks it first. */
int loom_checkpoint_space(int64_t needed, int64_t available, const char *dir,
                          char *err, size_t err_size);

/* Writes the checkpoint of `position` (optimizer state of `optimizer`) and
 * keeps the newest `keep`. On failure (a full disk, say) leaves every older
 * checkpoint as it was, writes why into `err` and returns -1. */
int loom_checkpoint_save(const char *dir, const loom_tensors *tensors,
                         int32_t optimizer, const loom_run_position *position,
                         const loom_options *options, int64_t keep, char *err,
                         size_t err_size);

/* The path of the newest checkpoint in `dir` into `path`: 1 when there is
 * one, 0 when there is none (or no directory), -1 on error. */
int loom_checkpoint_newest(const char *dir, char *path, size_t path_size,
                           char *err, size_t err_size);

/* Loads a checkpoint: its parameters, and when `optimizer` is not -1 that
 * optimizer's state and the run's position. Refuses, with the reason, a
 * checkpoint of another model or optimizer, a corrupt one, and (when
 * `options` is not NULL) one whose run settings differ, listing them.
 * Nothing is written to the tensors unless the whole checkpoint checks
 * out. */
int loom_checkpoint_load(const char *path, loom_tensors *tensors,
                         int32_t optimizer, const loom_options *options,
                         loom_run_position *position, char *err,
                         size_t err_size);

#endif /* LOOM_RUNTIME_CHECKPOINT_H */
