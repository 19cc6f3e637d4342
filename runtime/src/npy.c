/*===- npy.c - float32 arrays as NumPy .npy files -----------------------===*/
/*
 * Format 1.0: "\x93NUMPY", the version bytes 1 and 0, a little-endian
 * uint16 header length, then a Python dict literal padded with spaces and
 * ended by '\n' so that the data starts 64-byte aligned, then the data.
 */

#define _POSIX_C_SOURCE 200809L

#include "npy.h"

#include "safetensors.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* '<f4' is little-endian: the buffers are written as they are in memory. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c writes floats as '<f4' straight from memory"
#endif

int loom_npy_open(loom_npy_writer *writer, const char *path,
                  const int64_t *shape, int rank, char *err, size_t err_size) {
  memset(writer, 0, sizeof(*writer));
  writer->path = path;
  char dict[512];
  int used = snprintf(dict, sizeof(dict),
                      "{'descr': '<f4', 'fortran_order': False, 'shape': (");
  writer->elements = 1;
  for (int d = 0; d < rank && used > 0 && (size_t)used < sizeof(dict); ++d) {
    used += snprintf(dict + used, sizeof(dict) - (size_t)used, "%s%lld",
                     d ? ", " : "", (long long)shape[d]);
    writer->elements *= shape[d];
  }
  if (used > 0 && (size_t)used < sizeof(dict))
    used += snprintf(dict + used, sizeof(dict) - (size_t)used, "%s), }",
                     rank == 1 ? "," : "");
  /* 10 bytes before the dict; the dict's last byte is the newline. */
  size_t length = (size_t)used;
  size_t padded = (10 + length + 1 + 63) / 64 * 64 - 10;
  if (used < 0 || padded >= sizeof(dict)) {
    snprintf(err, err_size, "%s: the array's shape is too long", path);
    return -1;
  }
  memset(dict + length, ' ', padded - length - 1);
  dict[padded - 1] = '\n';
  size_t path_length = strlen(path);
  writer->temporary = malloc(path_length + 5);
  if (!writer->temporary) {
    snprintf(err, err_size, "%s: out of memory", path);
    return -1;
  }
  snprintf(writer->temporary, path_length + 5, "%s.tmp", path);
  writer->file = fopen(writer->temporary, "wb");
  if (!writer->file) {
    snprintf(err, err_size, "%s: cannot write: %s", path, strerror(errno));
    free(writer->temporary);
    writer->temporary = NULL;
    return -1;
  }
  unsigned char magic[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                             (unsigned char)(padded & 0xff),
                             (unsigned char)(padded >> 8)};
  writer->header_bytes = (int64_t)(10 + padded);
  if (fwrite(magic, 1, 10, writer->file) != 10 ||
      fwrite(dict, 1, padded, writer->file) != padded) {
    snprintf(err, err_size, "%s: cannot write: %s", path, strerror(errno));
    loom_npy_abandon(writer);
    return -1;
  }
  return 0;
}

int loom_npy_write(loom_npy_writer *writer, int64_t offset, const float *data,
                   int64_t count, char *err, size_t err_size) {
  if (offset < 0 || count < 0 || offset + count > writer->elements) {
    snprintf(err, err_size, "%s: elements [%lld, %lld) lie outside the array",
             writer->path, (long long)offset, (long long)(offset + count));
    return -1;
  }
  off_t at = (off_t)(writer->header_bytes + offset * (int64_t)sizeof(float));
  if (fseeko(writer->file, at, SEEK_SET) != 0 ||
      fwrite(data, sizeof(float), (size_t)count, writer->file) !=
          (size_t)count) {
    snprintf(err, err_size, "%s: cannot write: %s", writer->path,
             strerror(errno));
    return -1;
  }
  return 0;
}

int loom_npy_commit(loom_npy_writer *writer, char *err, size_t err_size) {
  /* Rows never written would read as zeros: make the file its full size so
   * that a reader's size check holds even then. */
  off_t end = (off_t)(writer->header_bytes +
                      writer->elements * (int64_t)sizeof(float));
  int ok = fflush(writer->file) == 0 &&
           ftruncate(fileno(writer->file), end) == 0 &&
           fsync(fileno(writer->file)) == 0;
  ok = fclose(writer->file) == 0 && ok;
  writer->file = NULL;
  ok = ok && rename(writer->temporary, writer->path) == 0 &&
       loom_fsync_directory_of(writer->path) == 0;
  if (!ok) {
    snprintf(err, err_size, "%s: cannot write: %s", writer->path,
             strerror(errno));
    remove(writer->temporary);
  }
  free(writer->temporary);
  writer->temporary = NULL;
  return ok ? 0 : -1;
}

void loom_npy_abandon(loom_npy_writer *writer) {
  if (writer->file)
    fclose(writer->file);
  writer->file = NULL;
  if (writer->temporary)
    remove(writer->temporary);
  free(writer->temporary);
  writer->temporary = NULL;
}
