/*===- hash.c - FNV-1a, of bytes and of whole files ---------------------===*/

#include "hash.h"

#include <stdio.h>

uint64_t loom_fnv1a(uint64_t hash, const void *bytes, size_t size) {
  const unsigned char *p = bytes;
  for (size_t i = 0; i < size; ++i) {
    hash ^= p[i];
    hash *= 1099511628211ULL;
  }
  return hash;
}

int loom_hash_file(const char *path, uint64_t *hash, int64_t *size) {
  FILE *file = fopen(path, "rb");
  if (!file)
    return -1;
  char block[1 << 16];
  size_t got;
  *hash = LOOM_FNV_BASIS;
  *size = 0;
  while ((got = fread(block, 1, sizeof(block), file)) > 0) {
    *hash = loom_fnv1a(*hash, block, got);
    *size += (int64_t)got;
  }
  int failed = ferror(file);
  fclose(file);
  return failed ? -1 : 0;
}
