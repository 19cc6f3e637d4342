/*===- cpu_check.h - Does this CPU run what loomc generated? -------------===*/

#ifndef LOOM_RUNTIME_CPU_CHECK_H
#define LOOM_RUNTIME_CPU_CHECK_H

#include "loom/runtime/abi.h"
#include <stddef.h>

/* Whether this CPU (and the OS's saving of its registers) has CPU feature
 * `name` of cpu_features.h: 1 yes, 0 no, -1 not a name of the table. */
int loom_cpu_has(const char *name);

/* Checks every feature `model` was compiled for. Returns 0 when the CPU has
 * them all; otherwise writes the missing ones, comma-separated, into
 * `missing` and returns how many. When the model uses AMX tiles it also
 * asks Linux for the process's tile state (without it the first tile
 * instruction is SIGILL); a refusal counts "amx-tile" as missing. */
int loom_cpu_check(const loom_model_info *model, char *missing, size_t size);

#endif /* LOOM_RUNTIME_CPU_CHECK_H */
