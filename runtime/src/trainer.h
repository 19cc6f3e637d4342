/*===- trainer.h - The training loop and the validation loss ------------===*/

#ifndef LOOM_RUNTIME_TRAINER_H
#define LOOM_RUNTIME_TRAINER_H

#include "data.h"
#include "data_parallel.h"
#include "flags.h"
#include "tensors.h"

typedef struct {
  const loom_model_info *model;
  loom_tensors *tensors;
  const loom_data_layout *layout;
  loom_dataset *train, *val; /* val may be NULL */
  int32_t optimizer;
  const loom_options *options;
  const char *program;
  /* --sample-every's text; NULL (a --data token file, synthetic data):
   * samples print token ids. */
  const loom_tokenizer *tokenizer;
  /* The reduction of gradients over ranks and micro-batches, which laid
   * the tensors out (train only; NULL for eval). */
  loom_data_parallel *dp;
} loom_trainer;

/* Trains from scratch (the tensors initialized) or, with --resume, from the
 * newest checkpoint; returns the process's exit status. With
 * --sample-every it allocates the tensors' inference cache. */
int loom_train(const loom_trainer *trainer);

/* The mean loss of the first `batches` batches of `data` in order (0: all
 * it holds), through the compiled eval_loss; *used says how many. */
double loom_evaluate(const loom_trainer *trainer, loom_dataset *data,
                     int64_t batches, int64_t *used);

#endif /* LOOM_RUNTIME_TRAINER_H */
