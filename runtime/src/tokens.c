/*===- tokens.c - Token files for language models -----------------------===*/

#include "tokens.h"

#include "footprint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kHeaderInts = 256, kMagic = 20240520, kVersion = 1 };

int loom_tokens_read(const char *path, int64_t vocab, loom_token_file *out,
                     char *err, size_t err_size) {
  memset(out, 0, sizeof(*out));
  FILE *file = fopen(path, "rb");
  if (!file) {
    snprintf(err, err_size, "%s: %s", path, strerror(errno));
    return -1;
  }
  int status = -1;
  if (fseek(file, 0, SEEK_END) != 0) {
    snprintf(err, err_size, "%s: %s", path, strerror(errno));
    goto done;
  }
  long size = ftell(file);
  rewind(file);
  int32_t header[kHeaderInts];
  size_t offset = 0;
  int64_t count = size / 2;
  if (size >= (long)sizeof(header) && fread(header, 4, kHeaderInts, file) == kHeaderInts &&
      header[0] == kMagic) {
    if (header[1] != kVersion) {
      snprintf(err, err_size,
               "%s: llm.c token file of version %d; only version 1 (uint16 "
               "tokens) is supported", path, header[1]);
      goto done;
    }
    if (header[2] < 0 || (long)sizeof(header) + 2L * header[2] != size) {
      snprintf(err, err_size,
               "%s: truncated or malformed: the llm.c header announces %d "
               "tokens (%ld bytes), the file has %ld bytes", path, header[2],
               (long)sizeof(header) + 2L * header[2], size);
      goto done;
    }
    out->headered = 1;
    offset = sizeof(header);
    count = header[2];
  } else if (size % 2 != 0) {
    snprintf(err, err_size,
             "%s: %ld bytes is not a whole number of uint16 tokens", path, size);
    goto done;
  }
  if (count == 0) {
    snprintf(err, err_size, "%s: the file holds no tokens", path);
    goto done;
  }
  if (loom_check_file_fits(path, count * (int64_t)sizeof(uint16_t),
                           loom_machine_memory_bytes(), err, err_size) != 0)
    goto done;
  out->tokens = malloc((size_t)count * sizeof(uint16_t));
  if (!out->tokens) {
    snprintf(err, err_size, "%s: out of memory for %lld tokens", path,
             (long long)count);
    goto done;
  }
  if (fseek(file, (long)offset, SEEK_SET) != 0 ||
      fread(out->tokens, 2, (size_t)count, file) != (size_t)count) {
    snprintf(err, err_size, "%s: read failed", path);
    goto done;
  }
  for (int64_t i = 0; i < count; ++i) {
    if (out->tokens[i] >= vocab) {
      snprintf(err, err_size,
               "%s: token %u at position %lld is outside the model's "
               "vocabulary [0, %lld)", path, out->tokens[i], (long long)i,
               (long long)vocab);
      goto done;
    }
  }
  out->count = count;
  status = 0;
done:
  fclose(file);
  if (status != 0)
    loom_tokens_free(out);
  return status;
}

void loom_tokens_free(loom_token_file *file) {
  free(file->tokens);
  file->tokens = NULL;
  file->count = 0;
}
