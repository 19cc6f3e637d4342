/*===- schedule.c - The learning rate of every step ---------------------===*/

#include "schedule.h"

#include <math.h>
#include <string.h>

int loom_schedule_kind_of(const char *name, loom_schedule_kind *kind) {
  static const char *const names[] = {"constant", "cosine", "linear"};
  for (int k = 0; k < 3; ++k) {
    if (strcmp(name, names[k]) == 0) {
      *kind = (loom_schedule_kind)k;
      return 0;
    }
  }
  return -1;
}

double loom_schedule_lr(const loom_schedule *schedule, int64_t step) {
  if (step <= schedule->warmup)
    return schedule->lr * (double)step / (double)schedule->warmup;
  int64_t decay_steps = schedule->steps - schedule->warmup;
  double progress =
      decay_steps > 0
          ? (double)(step - schedule->warmup) / (double)decay_steps
          : 1.0;
  if (progress > 1.0)
    progress = 1.0;
  double range = schedule->lr - schedule->lr_min;
  switch (schedule->kind) {
  case LOOM_SCHEDULE_CONSTANT:
    return schedule->lr;
  case LOOM_SCHEDULE_COSINE:
    return schedule->lr_min + range * 0.5 * (1.0 + cos(3.14159265358979323846 * progress));
  case LOOM_SCHEDULE_LINEAR:
    return schedule->lr - range * progress;
  }
  return schedule->lr;
}
