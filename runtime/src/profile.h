/*===- profile.h - Where a training step spends its time ----------------===*/

#ifndef LOOM_RUNTIME_PROFILE_H
#define LOOM_RUNTIME_PROFILE_H

#include "loom/runtime/abi.h"

#include <stdint.h>
#include <stdio.h>

/* Code built with `loomc --profile` calls loom_profile_begin/end (abi.h)
 * around every operation; this file defines them, adding up each
 * operation's time and calls. Clears the totals; returns -1 when out of
 * memory. Models without profiled operations need no reset. */
int loom_profile_reset(const loom_model_info *model);

/* The time and calls accumulated for profiled operation `op` since the
 * last reset. */
void loom_profile_get(int32_t op, double *total_ms, int64_t *calls);

/* Prints the time per step of each kind of operation (attention,
 * fused_linear gelu, adamw_update, ...) and of the `top` slowest single
 * operations, over `steps` steps that took `total_ms` in all (the training
 * loop leaves out the first step, which pays for first touches). */
void loom_profile_report(const loom_model_info *model, int64_t steps,
                         double total_ms, int top, FILE *out);

#endif /* LOOM_RUNTIME_PROFILE_H */
