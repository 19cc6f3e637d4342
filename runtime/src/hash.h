/*===- hash.h - FNV-1a, of bytes and of whole files ---------------------===*/
/*
 * Not a cryptographic hash: it tells a checkpoint's file from a damaged
 * copy, and one rank's executable and flags from another's.
 */

#ifndef LOOM_RUNTIME_HASH_H
#define LOOM_RUNTIME_HASH_H

#include <stddef.h>
#include <stdint.h>

#define LOOM_FNV_BASIS 1469598103934665603ULL

/* `hash` (LOOM_FNV_BASIS to start) extended by `size` bytes. */
uint64_t loom_fnv1a(uint64_t hash, const void *bytes, size_t size);

/* The FNV-1a of a whole file, and its size; -1 when it cannot be read. */
int loom_hash_file(const char *path, uint64_t *hash, int64_t *size);

#endif /* LOOM_RUNTIME_HASH_H */
