/*===- main.c - loom-allreduce-bench: what a gradient reduction costs -----===*/
/*
 * Times, on the ranks mpirun starts, the collectives a data-parallel Loom
 * run makes on each step, through the runtime's own calls
 * (runtime/src/distributed.h): the all-reduce of a bucket of gradients, and
 * ZeRO-1's reduce-scatter followed by the all-gather of the updated
 * parameters. For each size it prints the median time of several rounds
 * and two bandwidths: the algorithm bandwidth (bytes / time) and the bus
 * bandwidth, bytes x 2(N-1)/N / time, which a ring all-reduce moves through
 * every rank's link and so compares across N (NCCL's convention).
 *
 *   mpirun -np 2 [transport flags] build/bin/loom-allreduce-bench [MIB...]
 *
 * docs/distributed.md's scaling model starts from these figures.
 */

#define _POSIX_C_SOURCE 200809L

#include "clock.h"
#include "distributed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

enum { kRounds = 7 };

/* The median over kRounds of the slowest rank's time of `round`. */
static double median_ms(void (*round)(float *, int64_t), float *values,
                        int64_t count) {
  double times[kRounds];
  round(values, count); /* first touches, connection set-up */
  for (int r = 0; r < kRounds; ++r) {
    double start = loom_now_ms();
    round(values, count);
    double mine = loom_now_ms() - start;
    /* Every rank's time, summed: the slowest dominates a collective. */
    times[r] = loom_dist_sum_double(mine) / loom_dist_size();
  }
  qsort(times, kRounds, sizeof(double), compare_doubles);
  return times[kRounds / 2];
}

static void all_reduce(float *values, int64_t count) {
  loom_dist_sum_floats(values, count);
}

/* ZeRO-1: N parts of count/N; this rank's sum lands in its own part. */
static float *g_scratch;
static void reduce_scatter_all_gather(float *values, int64_t count) {
  int64_t part = count / loom_dist_size();
  loom_dist_reduce_scatter_floats(values, g_scratch, part);
  memcpy(values + loom_dist_rank() * part, g_scratch,
         (size_t)part * sizeof(float));
  loom_dist_all_gather_floats(values, part);
}

int main(int argc, char **argv) {
  if (loom_dist_init(argc, argv, "loom-allreduce-bench") != 0)
    return 1;
  int ranks = loom_dist_size();
  double sizes_mib[32] = {1, 4, 16, 64, 256};
  int num_sizes = 5;
  if (argc > 1) {
    num_sizes = 0;
    for (int i = 1; i < argc && num_sizes < 32; ++i) {
      char *end = NULL;
      double mib = strtod(argv[i], &end);
      if (!end || *end || !(mib > 0) || mib > 65536) {
        fprintf(stderr, "loom-allreduce-bench: error: '%s' is not a size in "
                        "MiB (0 < MIB <= 65536)\n",
                argv[i]);
        loom_dist_finalize();
        return 1;
      }
      sizes_mib[num_sizes++] = mib;
    }
  }
  if (ranks < 2 && loom_dist_rank() == 0)
    printf("note: one rank: nothing crosses a link (start it with mpirun -np "
           "N)\n");
  if (loom_dist_rank() == 0)
    printf("%d ranks (%s); median of %d rounds; bus bandwidth = bytes x "
           "2(N-1)/N / time\n",
           ranks, loom_dist_transport(), kRounds);
  for (int s = 0; s < num_sizes; ++s) {
    /* A multiple of the ranks, as Loom's padded buckets are. */
    int64_t count = (int64_t)(sizes_mib[s] * 262144.0) / ranks * ranks;
    if (count < ranks)
      count = ranks;
    float *values = malloc((size_t)count * sizeof(float));
    g_scratch = malloc((size_t)(count / ranks) * sizeof(float));
    if (!values || !g_scratch) {
      fprintf(stderr, "loom-allreduce-bench: error: out of memory for %g MiB\n",
              sizes_mib[s]);
      loom_dist_abort(1);
    }
    for (int64_t i = 0; i < count; ++i)
      values[i] = (float)(i % 7) * 0.25f;
    double bytes = (double)count * sizeof(float);
    double bus = ranks > 1 ? 2.0 * (ranks - 1) / ranks : 0.0;
    double ar = median_ms(all_reduce, values, count);
    double zero = median_ms(reduce_scatter_all_gather, values, count);
    if (loom_dist_rank() == 0)
      printf("%8.1f MiB: all-reduce %9.3f ms (%6.2f GB/s, bus %6.2f GB/s); "
             "reduce-scatter + all-gather %9.3f ms (%6.2f GB/s, bus %6.2f "
             "GB/s)\n",
             bytes / 1048576.0, ar, bytes / (ar * 1e6), bus * bytes / (ar * 1e6),
             zero, bytes / (zero * 1e6), bus * bytes / (zero * 1e6));
    free(values);
    free(g_scratch);
  }
  loom_dist_finalize();
  return 0;
}
