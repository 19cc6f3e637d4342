/*===- footprint.c - Planned memory against the process's peak ----------===*/

#include "footprint.h"
#include "tensors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int64_t table_bytes(const loom_model_info *model, loom_role role,
                           int32_t optimizer) {
  int64_t bytes = 0;
  for (int32_t i = 0; i < model->num_tensors; ++i) {
    const loom_tensor_info *info = &model->tensors[i];
    if (info->role != (int32_t)role)
      continue;
    if (role == LOOM_ROLE_STATE && info->optimizer != optimizer)
      continue;
    bytes += (int64_t)loom_tensor_bytes(info);
  }
  return bytes;
}

int64_t loom_planned_bytes(const loom_model_info *model, int32_t optimizer) {
  return table_bytes(model, LOOM_ROLE_PARAM, optimizer) +
         table_bytes(model, LOOM_ROLE_GRAD, optimizer) +
         table_bytes(model, LOOM_ROLE_STATE, optimizer) +
         table_bytes(model, LOOM_ROLE_INPUT, optimizer) + model->arena_bytes;
}

/* The first number after `key` in a small text file, times `unit`; -1 when
 * absent ("max" in a cgroup file). */
static int64_t read_number(const char *path, const char *key, int64_t unit) {
  FILE *file = fopen(path, "r");
  if (!file)
    return -1;
  char line[256];
  int64_t value = -1;
  size_t key_length = strlen(key);
  while (fgets(line, sizeof(line), file)) {
    if (strncmp(line, key, key_length) != 0)
      continue;
    char *end = NULL;
    long long number = strtoll(line + key_length, &end, 10);
    if (end != line + key_length && number > 0)
      value = (int64_t)number * unit;
    break;
  }
  fclose(file);
  return value;
}

int64_t loom_machine_memory_bytes(void) {
  int64_t total = read_number("/proc/meminfo", "MemTotal:", 1024);
  int64_t limit = read_number("/sys/fs/cgroup/memory.max", "", 1);
  if (total <= 0)
    total = 0;
  if (limit > 0 && (total == 0 || limit < total))
    total = limit;
  return total;
}

static double gib(int64_t bytes) { return (double)bytes / (1 << 30); }

int loom_check_plan_fits(int64_t planned, int64_t machine, char *err,
                         size_t err_size) {
  if (machine <= 0 || planned <= machine)
    return 0;
  snprintf(err, err_size,
           "a training step needs %.2f GiB by loomc's memory plan, more than "
           "the %.2f GiB of memory this machine has; train a smaller model or "
           "batch, or on a larger machine",
           gib(planned), gib(machine));
  return -1;
}

int loom_check_file_fits(const char *path, int64_t needed, int64_t machine,
                         char *err, size_t err_size) {
  if (machine <= 0 || needed <= machine)
    return 0;
  snprintf(err, err_size,
           "%s: reading it needs %.2f GiB of memory, more than the %.2f GiB "
           "this machine has; split the file or train on a larger machine",
           path, gib(needed), gib(machine));
  return -1;
}

int64_t loom_peak_rss_bytes(void) {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0)
    return 0;
  return (int64_t)usage.ru_maxrss * 1024; /* Linux reports KiB */
}

static double mib(int64_t bytes) { return (double)bytes / (1 << 20); }

void loom_print_footprint(const loom_model_info *model, int32_t optimizer,
                          int64_t state_bytes, FILE *out) {
  int64_t whole_state = table_bytes(model, LOOM_ROLE_STATE, optimizer);
  int64_t planned = loom_planned_bytes(model, optimizer) - whole_state +
                    state_bytes;
  int64_t peak = loom_peak_rss_bytes();
  char shard[96] = "";
  if (state_bytes != whole_state)
    snprintf(shard, sizeof(shard), " of the %.1f MiB in all (ZeRO-1)",
             mib(whole_state));
  fprintf(out,
          "memory: plan %.1f MiB (parameters %.1f, gradients %.1f, "
          "optimizer state %.1f%s, inputs %.1f, intermediates %.1f), peak "
          "resident %.1f MiB (%.2f x plan)\n",
          mib(planned), mib(table_bytes(model, LOOM_ROLE_PARAM, optimizer)),
          mib(table_bytes(model, LOOM_ROLE_GRAD, optimizer)),
          mib(state_bytes), shard,
          mib(table_bytes(model, LOOM_ROLE_INPUT, optimizer)),
          mib(model->arena_bytes), mib(peak),
          planned > 0 ? (double)peak / (double)planned : 0.0);
}
