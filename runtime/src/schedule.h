/*===- schedule.h - The learning rate of every step ---------------------===*/

#ifndef LOOM_RUNTIME_SCHEDULE_H
#define LOOM_RUNTIME_SCHEDULE_H

#include <stdint.h>

typedef enum {
  LOOM_SCHEDULE_CONSTANT,
  LOOM_SCHEDULE_COSINE,
  LOOM_SCHEDULE_LINEAR,
} loom_schedule_kind;

typedef struct {
  loom_schedule_kind kind;
  double lr, lr_min;
  int64_t warmup, steps;
} loom_schedule;

/* "constant", "cosine" or "linear"; -1 for anything else. */
int loom_schedule_kind_of(const char *name, loom_schedule_kind *kind);

/* The learning rate of step s (from 1), docs/training.md's formula:
 * lr · s / warmup during the warm-up (s ≤ warmup), then, with
 * p = (s − warmup) / (steps − warmup), lr for constant,
 * lr_min + (lr − lr_min) · (1 + cos(π·p)) / 2 for cosine and
 * lr − (lr − lr_min) · p for linear. */
double loom_schedule_lr(const loom_schedule *schedule, int64_t step);

#endif /* LOOM_RUNTIME_SCHEDULE_H */
