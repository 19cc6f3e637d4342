/*===- distributed_mpi.c - The ranks of a data-parallel run, over MPI ---===*/
/*
 * MPI_Init only when a launcher started the process, so that the same
 * executable run on its own is exactly the single-process trainer (no
 * singleton MPI runtime, no daemon). The OpenMP threads of the compiled
 * step never call MPI; the main thread and the data-parallel runtime's
 * communication thread do, one at a time (MPI_THREAD_SERIALIZED).
 */

#define _POSIX_C_SOURCE 200809L

#include "distributed.h"

#include "hash.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_rank = 0, g_size = 1, g_joined = 0;
static char g_program[256] = "loom";
static char g_transport[64];

/* The environment of a process an MPI launcher started (OpenMPI's mpirun,
 * or PMIx/PMI ones such as srun). */
static int launched(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") ||
         getenv("PMI_RANK");
}

/* What must be the same on every rank: the executable's bytes, and the
 * arguments after its name (mpirun gives each rank the same ones unless
 * told otherwise). */
typedef struct {
  uint64_t executable, arguments;
} job_identity;

static job_identity identity_of(int argc, char **argv) {
  job_identity id = {0, LOOM_FNV_BASIS};
  int64_t size = 0;
  if (loom_hash_file("/proc/self/exe", &id.executable, &size) != 0)
    id.executable = 0; /* unreadable: compared as such */
  for (int i = 1; i < argc; ++i)
    id.arguments = loom_fnv1a(id.arguments, argv[i], strlen(argv[i]) + 1);
  return id;
}

/* Every rank learns every rank's identity; each one that differs from
 * rank 0 says how, and all refuse the job together. */
static int check_identities(int argc, char **argv) {
  job_identity mine = identity_of(argc, argv);
  job_identity *all = malloc((size_t)g_size * sizeof(job_identity));
  if (!all) {
    fprintf(stderr, "%s: error: out of memory\n", g_program);
    loom_dist_abort(1);
  }
  MPI_Allgather(&mine, 2, MPI_UINT64_T, all, 2, MPI_UINT64_T, MPI_COMM_WORLD);
  int differing = 0;
  for (int r = 1; r < g_size; ++r) {
    int executable = all[r].executable != all[0].executable;
    int arguments = all[r].arguments != all[0].arguments;
    if (!executable && !arguments)
      continue;
    ++differing;
    if (r != g_rank)
      continue;
    /* One write, so that the lines of several ranks do not interleave. */
    char line[4096];
    int used = snprintf(
        line, sizeof(line), "%s: error: this rank runs %s than rank 0 does:",
        g_program,
        executable && arguments
            ? "another executable, with other arguments,"
            : executable ? "another executable (or another build of the "
                           "model)"
                         : "the executable with other arguments");
    for (int i = 1; i < argc && used < (int)sizeof(line); ++i)
      used += snprintf(line + used, sizeof(line) - (size_t)used, " %s", argv[i]);
    fprintf(stderr, "%s\n", line);
  }
  free(all);
  if (differing && g_rank == 0)
    fprintf(stderr,
            "%s: error: %d of the %d ranks differ from rank 0 in executable "
            "or arguments (see their messages): every rank must run the same "
            "job\n",
            g_program, differing, g_size);
  return differing ? -1 : 0;
}

int loom_dist_init(int argc, char **argv, const char *program) {
  snprintf(g_program, sizeof(g_program), "%s", program);
  snprintf(g_transport, sizeof(g_transport), "OpenMPI %d.%d.%d",
           OMPI_MAJOR_VERSION, OMPI_MINOR_VERSION, OMPI_RELEASE_VERSION);
  if (!launched())
    return 0;
  /* The communication thread waits in blocking collectives, where OpenMPI
   * polls without pause: with as many busy threads as cores, the poll
   * takes the core from the backward pass it should run beside. Yielding
   * while idle gives the core back (GPT-2 mini, 2 ranks x 1 thread over
   * TCP: 337 ms per step with overlap, 323 without; with the yield, 317
   * and 324). A value the user gives (--mca, the environment) wins. */
  setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
  int provided = 0;
  if (MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided) !=
      MPI_SUCCESS) {
    fprintf(stderr, "%s: error: MPI_Init_thread failed\n", program);
    return -1;
  }
  g_joined = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  if (g_size > 1)
    snprintf(g_program, sizeof(g_program), "%s (rank %d of %d)", program,
             g_rank, g_size);
  if (provided < MPI_THREAD_SERIALIZED) {
    fprintf(stderr, "%s: error: the MPI library gives too little thread "
                    "support (MPI_THREAD_SERIALIZED is needed: a "
                    "communication thread reduces gradients while the "
                    "backward pass runs)\n",
            g_program);
    loom_dist_abort(1);
  }
  if (g_size > 1 && check_identities(argc, argv) != 0)
    return -1;
  /* Only rank 0 prints what a run prints; errors still come from every
   * rank, on standard error, naming it. */
  if (g_rank != 0 && !freopen("/dev/null", "w", stdout)) {
    fprintf(stderr, "%s: error: cannot silence this rank's output\n",
            g_program);
    loom_dist_abort(1);
  }
  return 0;
}

void loom_dist_finalize(void) {
  if (g_joined)
    MPI_Finalize();
  g_joined = 0;
}

int loom_dist_rank(void) { return g_rank; }
int loom_dist_size(void) { return g_size; }
const char *loom_dist_program(void) { return g_program; }
const char *loom_dist_transport(void) { return g_transport; }

void loom_dist_abort(int status) {
  fflush(stdout);
  fflush(stderr);
  if (g_joined && g_size > 1)
    MPI_Abort(MPI_COMM_WORLD, status);
  exit(status);
}

int loom_dist_all_succeeded(int failed) {
  if (g_size == 1)
    return !failed;
  int mine = failed ? g_rank : g_size, first = g_size;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (first < g_size && !failed)
    fprintf(stderr, "%s: error: stopping: rank %d failed (its message says "
                    "why)\n",
            g_program, first);
  return first == g_size;
}

/* MPI counts are ints: large buffers go in pieces of 2^30 elements. */
static const int64_t kPiece = (int64_t)1 << 30;

void loom_dist_sum_floats(float *values, int64_t count) {
  if (g_size == 1)
    return;
  for (int64_t done = 0; done < count; done += kPiece) {
    int n = (int)(count - done < kPiece ? count - done : kPiece);
    MPI_Allreduce(MPI_IN_PLACE, values + done, n, MPI_FLOAT, MPI_SUM,
                  MPI_COMM_WORLD);
  }
}

double loom_dist_sum_double(double value) {
  if (g_size == 1)
    return value;
  double sum = 0;
  MPI_Allreduce(&value, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return sum;
}

void loom_dist_broadcast(void *bytes, int64_t size) {
  if (g_size == 1)
    return;
  for (int64_t done = 0; done < size; done += kPiece) {
    int n = (int)(size - done < kPiece ? size - done : kPiece);
    MPI_Bcast((char *)bytes + done, n, MPI_BYTE, 0, MPI_COMM_WORLD);
  }
}

void loom_dist_reduce_scatter_floats(const float *in, float *out,
                                     int64_t block) {
  if (g_size == 1) {
    memcpy(out, in, (size_t)block * sizeof(float));
    return;
  }
  MPI_Reduce_scatter_block(in, out, (int)block, MPI_FLOAT, MPI_SUM,
                           MPI_COMM_WORLD);
}

void loom_dist_all_gather_floats(float *values, int64_t block) {
  if (g_size == 1)
    return;
  MPI_Allgather(MPI_IN_PLACE, 0, MPI_FLOAT, values, (int)block, MPI_FLOAT,
                MPI_COMM_WORLD);
}

/* MPI's counts and displacements of `counts`, as ints. */
static int counts_and_displacements(const int64_t *counts, int **ints,
                                    int **displacements) {
  *ints = malloc((size_t)g_size * sizeof(int));
  *displacements = malloc((size_t)g_size * sizeof(int));
  if (!*ints || !*displacements) {
    fprintf(stderr, "%s: error: out of memory\n", g_program);
    loom_dist_abort(1);
  }
  int64_t at = 0;
  for (int r = 0; r < g_size; ++r) {
    if (counts[r] > INT32_MAX || at > INT32_MAX) {
      fprintf(stderr, "%s: error: a tensor of 2^31 or more elements cannot "
                      "be gathered in one piece\n",
              g_program);
      loom_dist_abort(1);
    }
    (*ints)[r] = (int)counts[r];
    (*displacements)[r] = (int)at;
    at += counts[r];
  }
  return 0;
}

void loom_dist_gather_floats(const float *mine, int64_t count, float *all,
                             const int64_t *counts) {
  if (g_size == 1) {
    memcpy(all, mine, (size_t)count * sizeof(float));
    return;
  }
  int *ints, *displacements;
  counts_and_displacements(counts, &ints, &displacements);
  MPI_Gatherv(mine, (int)count, MPI_FLOAT, all, ints, displacements,
              MPI_FLOAT, 0, MPI_COMM_WORLD);
  free(ints);
  free(displacements);
}

void loom_dist_scatter_floats(const float *all, const int64_t *counts,
                              float *mine, int64_t count) {
  if (g_size == 1) {
    memcpy(mine, all, (size_t)count * sizeof(float));
    return;
  }
  int *ints, *displacements;
  counts_and_displacements(counts, &ints, &displacements);
  MPI_Scatterv(all, ints, displacements, MPI_FLOAT, mine, (int)count,
               MPI_FLOAT, 0, MPI_COMM_WORLD);
  free(ints);
  free(displacements);
}
