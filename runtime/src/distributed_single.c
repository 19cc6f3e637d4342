/*===- distributed_single.c - One rank, for a runtime built without MPI -===*/
/*
 * The executable is always one process. Started by an MPI launcher as one
 * of several ranks, it refuses rather than train N separate copies.
 */

#include "distributed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char g_program[256] = "loom";

int loom_dist_init(int argc, char **argv, const char *program) {
  (void)argc;
  (void)argv;
  snprintf(g_program, sizeof(g_program), "%s", program);
  const char *size = getenv("OMPI_COMM_WORLD_SIZE");
  if (size && atoi(size) > 1) {
    fprintf(stderr,
            "%s: error: started as one of %s MPI ranks, but this executable "
            "was built without MPI (install libopenmpi-dev and rebuild Loom "
            "and the model)\n",
            program, size);
    return -1;
  }
  return 0;
}

void loom_dist_finalize(void) {}
int loom_dist_rank(void) { return 0; }
int loom_dist_size(void) { return 1; }
const char *loom_dist_program(void) { return g_program; }
const char *loom_dist_transport(void) { return "no MPI"; }

void loom_dist_abort(int status) {
  fflush(stdout);
  exit(status);
}

int loom_dist_all_succeeded(int failed) { return !failed; }
void loom_dist_sum_floats(float *values, int64_t count) {
  (void)values;
  (void)count;
}
double loom_dist_sum_double(double value) { return value; }
void loom_dist_broadcast(void *bytes, int64_t size) {
  (void)bytes;
  (void)size;
}

void loom_dist_reduce_scatter_floats(const float *in, float *out,
                                     int64_t block) {
  memcpy(out, in, (size_t)block * sizeof(float));
}
void loom_dist_all_gather_floats(float *values, int64_t block) {
  (void)values;
  (void)block;
}
void loom_dist_gather_floats(const float *mine, int64_t count, float *all,
                             const int64_t *counts) {
  (void)counts;
  memcpy(all, mine, (size_t)count * sizeof(float));
}
void loom_dist_scatter_floats(const float *all, const int64_t *counts,
                              float *mine, int64_t count) {
  (void)counts;
  memcpy(mine, all, (size_t)count * sizeof(float));
}
