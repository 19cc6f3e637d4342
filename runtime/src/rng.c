/*===- rng.c - Seeded random numbers for initialization and data --------===*/

#include "rng.h"

#include <math.h>

void loom_rng_seed(loom_rng *rng, uint64_t seed, const char *stream) {
  /* FNV-1a of the stream name, mixed with the seed. */
  uint64_t hash = 1469598103934665603ULL;
  for (const char *c = stream; *c; ++c) {
    hash ^= (unsigned char)*c;
    hash *= 1099511628211ULL;
  }
  rng->state = hash ^ (seed * 0x9E3779B97F4A7C15ULL);
  loom_rng_next(rng);
}

void loom_rng_seed_indexed(loom_rng *rng, uint64_t seed, const char *stream,
                           uint64_t index) {
  loom_rng_seed(rng, seed, stream);
  /* Another odd constant than the step's, so that index i + 1 is not the
   * sequence of index i shifted by one draw. */
  rng->state ^= index * 0xD1B54A32D192ED03ULL;
  loom_rng_next(rng);
}

uint64_t loom_rng_next(loom_rng *rng) {
  uint64_t z = (rng->state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double loom_rng_uniform(loom_rng *rng) {
  return (double)(loom_rng_next(rng) >> 11) * 0x1.0p-53;
}

double loom_rng_normal(loom_rng *rng) {
  double u1 = 1.0 - loom_rng_uniform(rng); /* in (0, 1]: log is finite */
  double u2 = loom_rng_uniform(rng);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
