/*===- footprint.c - Planned memory against the process's peak ----------===*/

#include "footprint.h"
#include "tensors.h"

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
