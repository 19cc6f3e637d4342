/*===- npy.h - float32 arrays as NumPy .npy files -----------------------===*/

#ifndef LOOM_RUNTIME_NPY_H
#define LOOM_RUNTIME_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* An array being written, in any order of its rows, into a temporary file
 * next to its path; it appears under the path whole or not at all. */
typedef struct {
  FILE *file;
  char *temporary; /* PATH.tmp */
  const char *path;
  int64_t header_bytes;
  int64_t elements;
} loom_npy_writer;

/* Creates the temporary file with the header of a little-endian float32
 * array of `shape` [rank] (C order). -1 with the reason in `err`. */
int loom_npy_open(loom_npy_writer *writer, const char *path,
                  const int64_t *shape, int rank, char *err, size_t err_size);

/* Writes `count` elements at element `offset` of the array. -1 with the
 * reason in `err`. */
int loom_npy_write(loom_npy_writer *writer, int64_t offset, const float *data,
                   int64_t count, char *err, size_t err_size);

/* Syncs the file and renames it over the path. -1 with the reason in `err`;
 * the temporary file is removed either way. */
int loom_npy_commit(loom_npy_writer *writer, char *err, size_t err_size);

/* Removes the temporary file (after a failure elsewhere). */
void loom_npy_abandon(loom_npy_writer *writer);

#endif /* LOOM_RUNTIME_NPY_H */
