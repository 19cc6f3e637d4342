/*===- distributed.h - The ranks of a data-parallel run ------------------===*/
/*
 * A training executable runs as one process, or as N ranks started by
 * mpirun (docs/distributed.md). Every rank holds the whole model, trains on
 * its slice of each global batch and sums its gradients with the others'
 * before the update, so all ranks update identically. Nothing here needs
 * MPI to be present: built without it (distributed_single.c), or started
 * without a launcher, the executable is one rank of one and calls no MPI.
 *
 * Every call below but rank/size/program is collective: all ranks make it,
 * in the same order, and on each rank one thread at a time.
 */

#ifndef LOOM_RUNTIME_DISTRIBUTED_H
#define LOOM_RUNTIME_DISTRIBUTED_H

#include <stddef.h>
#include <stdint.h>

/* Joins the job when a launcher started this process (MPI_Init_thread,
 * with MPI_THREAD_SERIALIZED: the data-parallel runtime's communication
 * thread and the main thread call MPI, never at once), and checks
 * that every rank runs the same executable with the same arguments: a rank
 * that differs is named and the job refused. `program` is the model's name;
 * loom_dist_program() then names the rank in messages. Returns 0, or -1
 * after printing why (every rank returns -1 then, and none trains). */
int loom_dist_init(int argc, char **argv, const char *program);
/* Leaves the job (MPI_Finalize); after a failure on this rank that the
 * others may not share, use loom_dist_abort instead. */
void loom_dist_finalize(void);

int loom_dist_rank(void);
int loom_dist_size(void);
/* The model's name, and with several ranks which rank this is:
 * "gpt2 (rank 1 of 2)". */
const char *loom_dist_program(void);
/* "OpenMPI 4.1.4" or "no MPI": what this executable was built with. */
const char *loom_dist_transport(void);

/* A failure the other ranks do not know of (a checkpoint that could not be
 * written, say): ends every rank of the job with `status` at once rather
 * than leave them waiting in a collective. Does not return. */
void loom_dist_abort(int status);

/* Whether every rank succeeded at what it just did on its own (open its
 * data, say): 1 when all did; 0 when any failed, the failed ones having
 * said why and the others saying which rank failed first. */
int loom_dist_all_succeeded(int failed);

/* Sums over ranks, in place, identically on every rank. For two ranks the
 * sum is a + b, bit for bit what one process adding two micro-batches'
 * values computes. */
void loom_dist_sum_floats(float *values, int64_t count);
double loom_dist_sum_double(double value);

/* Rank 0's bytes into every other rank's. */
void loom_dist_broadcast(void *bytes, int64_t size);

/* `in` holds N blocks of `block` floats; this rank's block r of the sum
 * over ranks goes to `out` (MPI_Reduce_scatter_block). `block` must be
 * below 2^31. */
void loom_dist_reduce_scatter_floats(const float *in, float *out,
                                     int64_t block);
/* `values` holds N blocks of `block` floats, this rank's block r filled:
 * every rank's block r goes to every rank's (MPI_Allgather in place).
 * `block` must be below 2^31. */
void loom_dist_all_gather_floats(float *values, int64_t block);

/* Rank r's `count` floats at `mine` go, in rank order, to `all` on rank 0
 * (which may be NULL elsewhere); `counts` lists every rank's count. */
void loom_dist_gather_floats(const float *mine, int64_t count, float *all,
                             const int64_t *counts);
/* The reverse: rank 0's `all`, cut in rank order by `counts`, rank r's
 * part to its `mine`. */
void loom_dist_scatter_floats(const float *all, const int64_t *counts,
                              float *mine, int64_t count);

#endif /* LOOM_RUNTIME_DISTRIBUTED_H */
