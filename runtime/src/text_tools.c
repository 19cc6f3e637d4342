/*===- text_tools.c - The tokenize and detokenize subcommands -----------===*/

#define _POSIX_C_SOURCE 200809L

#include "text_tools.h"

#include "read_file.h"
#include "tokenizer.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int loom_tokenize_text(const loom_tokenizer *tokenizer, const char *path,
                       const char *program) {
  FILE *file = path ? fopen(path, "rb") : stdin;
  const char *name = path ? path : "standard input";
  if (!file) {
    fprintf(stderr, "%s: error: --text: %s: %s\n", program, path,
            strerror(errno));
    return 1;
  }
  size_t size = 0;
  char *text = loom_read_all(file, &size);
  if (path)
    fclose(file);
  if (!text) {
    fprintf(stderr, "%s: error: %s: cannot read it\n", program, name);
    return 1;
  }
  int32_t *ids = NULL;
  int64_t count = 0, capacity = 0;
  int status = loom_tokenizer_encode(tokenizer, text, size, &ids, &count,
                                     &capacity);
  free(text);
  if (status != 0) {
    fprintf(stderr, "%s: error: out of memory\n", program);
    free(ids);
    return 1;
  }
  for (int64_t i = 0; i < count; ++i)
    fprintf(stdout, "%s%d", i ? " " : "", ids[i]);
  fprintf(stdout, "\n");
  free(ids);
  return fflush(stdout) == 0 ? 0 : 1;
}

int loom_detokenize_ids(const loom_tokenizer *tokenizer, const char *program) {
  size_t size = 0;
  char *text = loom_read_all(stdin, &size);
  if (!text) {
    fprintf(stderr, "%s: error: standard input: cannot read it\n", program);
    return 1;
  }
  int64_t vocab = loom_tokenizer_vocab_size(tokenizer);
  int64_t position = 0;
  size_t i = 0;
  int status = 0;
  while (i < size && status == 0) {
    if (isspace((unsigned char)text[i]) || text[i] == ',') {
      ++i;
      continue;
    }
    size_t begin = i;
    int64_t id = 0;
    while (i < size && isdigit((unsigned char)text[i]) && id <= vocab)
      id = id * 10 + (text[i++] - '0');
    int digits = i > begin;
    while (i < size && isdigit((unsigned char)text[i]))
      ++i;
    if (!digits || (i < size && !isspace((unsigned char)text[i]) &&
                    text[i] != ',')) {
      size_t end = begin;
      while (end < size && !isspace((unsigned char)text[end]) &&
             text[end] != ',')
        ++end;
      fprintf(stderr,
              "%s: error: standard input: '%.*s' at position %lld is not a "
              "token id\n",
              program, (int)(end - begin > 40 ? 40 : end - begin),
              text + begin, (long long)position);
      status = 1;
    } else if (id >= vocab) {
      fprintf(stderr,
              "%s: error: standard input: token %.*s at position %lld is "
              "outside the vocabulary [0, %lld)\n",
              program, (int)(i - begin > 40 ? 40 : i - begin), text + begin,
              (long long)position, (long long)vocab);
      status = 1;
    } else {
      size_t length = 0;
      const char *bytes =
          loom_tokenizer_token_bytes(tokenizer, (int32_t)id, &length);
      fwrite(bytes, 1, length, stdout);
    }
    ++position;
  }
  free(text);
  if (fflush(stdout) != 0)
    status = 1;
  return status;
}
