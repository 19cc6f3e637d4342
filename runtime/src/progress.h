/*===- progress.h - What a training run shows while it runs -------------===*/

#ifndef LOOM_RUNTIME_PROGRESS_H
#define LOOM_RUNTIME_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

/* On a terminal, one line rewritten in place after every step (and kept
 * every --print-every steps); otherwise a plain line every --print-every
 * steps. With --metrics, a JSON record per step and per evaluation. */
typedef struct {
  FILE *out;
  FILE *metrics; /* NULL: none */
  int terminal;
  int64_t steps, print_every;
  int64_t tokens_per_step; /* or samples, for models of vectors */
  const char *unit;        /* "tokens" or "samples" */
  int clipping; /* print the gradient norm */
  double last_val; /* NAN until the first evaluation */
  double elapsed_ms; /* of the steps timed so far */
  int64_t timed_steps;
  int line_open; /* a terminal line waits for its newline */
} loom_progress;

/* `metrics_path` is appended to (a resumed run continues its file). */
int loom_progress_open(loom_progress *progress, const char *metrics_path,
                       int64_t steps, int64_t print_every,
                       int64_t tokens_per_step, int clipping, char *err,
                       size_t err_size);
void loom_progress_step(loom_progress *progress, int64_t step, int64_t tokens,
                        double loss, double grad_norm, double lr, double ms);
void loom_progress_eval(loom_progress *progress, int64_t step, int64_t tokens,
                        double val_loss, int64_t batches);
/* Ends an open terminal line before other output. */
void loom_progress_break(loom_progress *progress);
void loom_progress_close(loom_progress *progress);

#endif /* LOOM_RUNTIME_PROGRESS_H */
