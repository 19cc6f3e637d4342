/*===- fuzz_input_file.h - A fuzz input as the file a reader takes -------===*
 *
 * The runtime's readers take a path: each input is written to one file per
 * process (removed at exit), named after the target.
 *
 *===----------------------------------------------------------------------===*/

#ifndef LOOM_TEST_FUZZ_INPUT_FILE_H
#define LOOM_TEST_FUZZ_INPUT_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_input_path[64];

static void fuzz_remove_input(void) { unlink(fuzz_input_path); }

/* The file holding `data`, or NULL when it cannot be written. */
static const char *fuzz_input_file(const char *target, const uint8_t *data, size_t size) {
  if (!fuzz_input_path[0]) {
    snprintf(fuzz_input_path, sizeof fuzz_input_path, "/tmp/loom-fuzz-%s-%ld", target,
             (long)getpid());
    atexit(fuzz_remove_input);
  }
  FILE *file = fopen(fuzz_input_path, "wb");
  if (!file)
    return NULL;
  size_t written = fwrite(data, 1, size, file);
  if (fclose(file) != 0 || written != size)
    return NULL;
  return fuzz_input_path;
}

#endif /* LOOM_TEST_FUZZ_INPUT_FILE_H */
