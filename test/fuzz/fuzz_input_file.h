/*===- fuzz_input_file.h - A fuzz input as the file a reader takes -------===*
 *
 * The runtime's readers take a path: each input is written to one file per
 * process (removed at exit), named after the target; fuzz_write_file writes
 * the targets that take several files.
 *
 *===----------------------------------------------------------------------===*/

#ifndef LOOM_TEST_FUZZ_INPUT_FILE_H
#define LOOM_TEST_FUZZ_INPUT_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Writes `data` to `path`: 0, or -1 when it cannot. */
static inline int fuzz_write_file(const char *path, const uint8_t *data, size_t size) {
  FILE *file = fopen(path, "wb");
  if (!file)
    return -1;
  size_t written = fwrite(data, 1, size, file);
  return fclose(file) == 0 && written == size ? 0 : -1;
}

static char fuzz_input_path[64];

static inline void fuzz_remove_input(void) { unlink(fuzz_input_path); }

/* The file holding `data`, or NULL when it cannot be written. */
static inline const char *fuzz_input_file(const char *target, const uint8_t *data, size_t size) {
  if (!fuzz_input_path[0]) {
    snprintf(fuzz_input_path, sizeof fuzz_input_path, "/tmp/loom-fuzz-%s-%ld", target,
             (long)getpid());
    atexit(fuzz_remove_input);
  }
  return fuzz_write_file(fuzz_input_path, data, size) == 0 ? fuzz_input_path : NULL;
}

#endif /* LOOM_TEST_FUZZ_INPUT_FILE_H */
