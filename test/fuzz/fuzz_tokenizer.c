/*===- fuzz_tokenizer.c - libFuzzer target: BPE tokenizer files and text -===*
 *
 * A GPT-2 BPE tokenizer read from any files, then any text encoded with it.
 * The input is a selector byte, then the files' contents and the text
 * separated by NUL bytes:
 *   selector % 3 == 0: vocab.json NUL merges.txt NUL text
 *   selector % 3 == 1: tokenizer.json NUL text
 *   selector % 3 == 2: encoder.json NUL vocab.bpe NUL text
 * Reading must succeed or refuse naming the file; encoding must give ids
 * inside the vocabulary whose bytes are the text again (byte-level BPE
 * loses nothing), never read out of bounds.
 *
 *===----------------------------------------------------------------------===*/

#include "fuzz_input_file.h"
#include "tokenizer.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char directory[64];
static const char *const kFiles[] = {"vocab.json", "merges.txt", "tokenizer.json",
                                     "encoder.json", "vocab.bpe"};
enum { kNumFiles = sizeof kFiles / sizeof kFiles[0] };

static void path_of(const char *file, char *path, size_t size) {
  snprintf(path, size, "%s/%s", directory, file);
}

static void remove_files(void) {
  char path[128];
  for (int i = 0; i < kNumFiles; ++i) {
    path_of(kFiles[i], path, sizeof path);
    unlink(path);
  }
}

static void remove_directory(void) {
  remove_files();
  rmdir(directory);
}

static int write_file(const char *file, const uint8_t *data, size_t size) {
  char path[128];
  path_of(file, path, sizeof path);
  return fuzz_write_file(path, data, size);
}

/* The next NUL-terminated part of [*data, end), advancing past the NUL. */
static size_t next_part(const uint8_t **data, const uint8_t *end,
                        const uint8_t **part) {
  *part = *data;
  const uint8_t *nul = memchr(*data, 0, (size_t)(end - *data));
  size_t length = nul ? (size_t)(nul - *data) : (size_t)(end - *data);
  *data += nul ? length + 1 : length;
  return length;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  if (!directory[0]) {
    snprintf(directory, sizeof directory, "/tmp/loom-fuzz-tokenizer-%ld",
             (long)getpid());
    if (mkdir(directory, 0700) != 0 && errno != EEXIST) {
      directory[0] = '\0';
      return 0;
    }
    atexit(remove_directory);
  }
  remove_files();
  const uint8_t *end = data + size, *cursor = data + 1, *part;
  int layout = data[0] % 3;
  static const int kLayoutFiles[3][2] = {{0, 1}, {2, -1}, {3, 4}};
  for (int i = 0; i < 2 && kLayoutFiles[layout][i] >= 0; ++i) {
    size_t length = next_part(&cursor, end, &part);
    if (write_file(kFiles[kLayoutFiles[layout][i]], part, length) != 0)
      return 0;
  }
  size_t text_size = (size_t)(end - cursor);
  char *text = malloc(text_size + 1); /* its own allocation, for ASan */
  if (!text)
    return 0;
  memcpy(text, cursor, text_size);

  char err[512];
  loom_tokenizer *tokenizer = loom_tokenizer_open(directory, err, sizeof err);
  if (tokenizer) {
    int32_t *ids = NULL;
    int64_t count = 0, capacity = 0;
    if (loom_tokenizer_encode(tokenizer, text, text_size, &ids, &count, &capacity) == 0) {
      size_t position = 0;
      for (int64_t i = 0; i < count; ++i) {
        size_t length;
        const char *bytes = loom_tokenizer_token_bytes(tokenizer, ids[i], &length);
        if (!bytes || length > text_size - position ||
            memcmp(bytes, text + position, length) != 0)
          abort(); /* an id outside the vocabulary, or not the text's bytes */
        position += length;
      }
      if (position != text_size)
        abort(); /* lost part of the text */
    }
    free(ids);
    loom_tokenizer_free(tokenizer);
  }
  free(text);
  return 0;
}
