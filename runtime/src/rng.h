/*===- rng.h - Seeded random numbers for initialization and data --------===*/

#ifndef LOOM_RUNTIME_RNG_H
#define LOOM_RUNTIME_RNG_H

#include <stdint.h>

/* splitmix64: small, fast, and every (seed, stream) pair gives an
 * independent sequence, so a parameter's initial values depend only on the
 * seed and its own name. */
typedef struct {
  uint64_t state;
} loom_rng;

void loom_rng_seed(loom_rng *rng, uint64_t seed, const char *stream);
/* The stream `stream` of `seed` jumped to its `index`th member: a sequence
 * of its own for every row of data, drawn in any order. */
void loom_rng_seed_indexed(loom_rng *rng, uint64_t seed, const char *stream,
                           uint64_t index);
uint64_t loom_rng_next(loom_rng *rng);
/* Uniform in [0, 1). */
double loom_rng_uniform(loom_rng *rng);
/* Standard normal (Box-Muller). */
double loom_rng_normal(loom_rng *rng);

#endif /* LOOM_RUNTIME_RNG_H */
