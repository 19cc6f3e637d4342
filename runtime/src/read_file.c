/*===- read_file.c - A whole file in memory -----------------------------===*/

#include "read_file.h"

#include <stdlib.h>

char *loom_read_all(FILE *file, size_t *size) {
  size_t capacity = 1 << 16, length = 0;
  char *text = malloc(capacity);
  while (text) {
    length += fread(text + length, 1, capacity - length, file);
    if (length < capacity)
      break;
    char *grown = realloc(text, capacity *= 2);
    if (!grown)
      free(text);
    text = grown;
  }
  if (text && ferror(file)) {
    free(text);
    return NULL;
  }
  *size = length;
  return text;
}

