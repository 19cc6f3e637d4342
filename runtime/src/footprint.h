/*===- footprint.h - Planned memory against the process's peak ----------===*/

#ifndef LOOM_RUNTIME_FOOTPRINT_H
#define LOOM_RUNTIME_FOOTPRINT_H

#include "loom/runtime/abi.h"

#include <stddef.h>
#include <stdio.h>

/* Bytes a training step with `optimizer` (an index into the model's
 * optimizers, -1 for none) needs by the compiled plan: the tensor table's
 * parameters, gradients, inputs and that optimizer's state, plus the
 * largest arena of intermediates (loom_model_info.arena_bytes). */
int64_t loom_planned_bytes(const loom_model_info *model, int32_t optimizer);

/* The memory this machine gives the process: /proc/meminfo's MemTotal, or
 * the cgroup's memory.max when that is lower; 0 when unknown. */
int64_t loom_machine_memory_bytes(void);

/* Whether a step that needs `planned` bytes fits in `machine` bytes (0:
 * unknown, which fits): 0, or -1 with both figures in `err`. */
int loom_check_plan_fits(int64_t planned, int64_t machine, char *err,
                         size_t err_size);

/* Whether reading the file at `path` into `needed` bytes of memory fits in
 * `machine` bytes (0: unknown, which fits): 0, or -1 with the path and both
 * figures in `err`. Readers call it before they allocate, so that a data
 * file larger than the machine is refused, not read until the process is
 * killed. */
int loom_check_file_fits(const char *path, int64_t needed, int64_t machine,
                         char *err, size_t err_size);

/* The process's peak resident set so far, in bytes (0 if unknown). */
int64_t loom_peak_rss_bytes(void);

/* "memory: plan 104.2 MiB (parameters ..., intermediates ...), peak
 * resident 110.0 MiB (1.06 x plan)", with `state_bytes` of optimizer state
 * (what this process holds: all of it, or a ZeRO-1 shard). */
void loom_print_footprint(const loom_model_info *model, int32_t optimizer,
                          int64_t state_bytes, FILE *out);

#endif /* LOOM_RUNTIME_FOOTPRINT_H */
