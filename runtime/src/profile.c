/*===- profile.c - Where a training step spends its time ----------------===*/

#define _POSIX_C_SOURCE 200809L

#include "profile.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
  double total_ns;
  int64_t calls;
  double started_ns;
} op_time;

static op_time *times;
static int32_t num_ops;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int loom_profile_reset(const loom_model_info *model) {
  free(times);
  times = NULL;
  num_ops = 0;
  if (model->num_profiled_ops <= 0)
    return 0;
  times = calloc((size_t)model->num_profiled_ops, sizeof(op_time));
  if (!times)
    return -1;
  num_ops = model->num_profiled_ops;
  return 0;
}

void loom_profile_begin(int32_t op) {
  if (op >= 0 && op < num_ops)
    times[op].started_ns = now_ns();
}

void loom_profile_end(int32_t op) {
  if (op < 0 || op >= num_ops)
    return;
  times[op].total_ns += now_ns() - times[op].started_ns;
  ++times[op].calls;
}

void loom_profile_get(int32_t op, double *total_ms, int64_t *calls) {
  *total_ms = op >= 0 && op < num_ops ? times[op].total_ns * 1e-6 : 0.0;
  *calls = op >= 0 && op < num_ops ? times[op].calls : 0;
}

/* The name up to the tab: "fused_linear gelu". */
static size_t kind_length(const char *name) {
  const char *tab = strchr(name, '\t');
  return tab ? (size_t)(tab - name) : strlen(name);
}

typedef struct {
  const char *name; /* the first op of the kind, or the op */
  size_t length;    /* of the part printed */
  double total_ns;
  int64_t calls;
} row;

static int by_time(const void *a, const void *b) {
  double x = ((const row *)a)->total_ns, y = ((const row *)b)->total_ns;
  return (x < y) - (x > y);
}

void loom_profile_report(const loom_model_info *model, int64_t steps,
                         double total_ms, int top, FILE *out) {
  if (num_ops == 0 || steps <= 0)
    return;
  row *kinds = calloc((size_t)num_ops, sizeof(row));
  row *ops = calloc((size_t)num_ops, sizeof(row));
  if (!kinds || !ops) {
    free(kinds);
    free(ops);
    return;
  }
  int32_t num_kinds = 0;
  double profiled_ns = 0;
  for (int32_t i = 0; i < num_ops; ++i) {
    const char *name = model->profiled_op_names[i];
    size_t length = kind_length(name);
    int32_t k = 0;
    while (k < num_kinds && !(kinds[k].length == length &&
                              strncmp(kinds[k].name, name, length) == 0))
      ++k;
    if (k == num_kinds)
      kinds[num_kinds++] = (row){name, length, 0, 0};
    kinds[k].total_ns += times[i].total_ns;
    kinds[k].calls += times[i].calls;
    ops[i] = (row){name, strlen(name), times[i].total_ns, times[i].calls};
    profiled_ns += times[i].total_ns;
  }
  qsort(kinds, (size_t)num_kinds, sizeof(row), by_time);
  qsort(ops, (size_t)num_ops, sizeof(row), by_time);
  double per_step = 1e-6 / (double)steps; /* ns in all -> ms per step */
  fprintf(out, "profile over %lld steps (after the first): %.3f ms/step, of "
               "which %.3f ms in profiled operations\n",
          (long long)steps, total_ms / (double)steps, profiled_ns * per_step);
  fprintf(out, "  %-28s %10s %7s %7s\n", "operation", "ms/step", "share",
          "calls");
  for (int32_t k = 0; k < num_kinds; ++k)
    fprintf(out, "  %-28.*s %10.3f %6.1f%% %7lld\n", (int)kinds[k].length,
            kinds[k].name, kinds[k].total_ns * per_step,
            100.0 * kinds[k].total_ns / (total_ms * 1e6),
            (long long)(kinds[k].calls / steps));
  fprintf(out, "slowest single operations:\n");
  for (int32_t i = 0; i < num_ops && i < top; ++i) {
    size_t length = kind_length(ops[i].name);
    const char *where = ops[i].name[length] ? ops[i].name + length + 1 : "";
    fprintf(out, "  %-28.*s %10.3f %6.1f%%  %s\n", (int)length, ops[i].name,
            ops[i].total_ns * per_step,
            100.0 * ops[i].total_ns / (total_ms * 1e6), where);
  }
  free(kinds);
  free(ops);
}
