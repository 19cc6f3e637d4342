/*===- sampler.h - The next token from a row of logits ------------------===*/
/*
 * Pure: no entry point is called and nothing is allocated, so the choice is
 * a function of the logits, the settings and one uniform number, and the
 * unit tests can sweep that number.
 */

#ifndef LOOM_RUNTIME_SAMPLER_H
#define LOOM_RUNTIME_SAMPLER_H

#include "rng.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
  double temperature; /* 0: the most likely token (argmax) */
  int64_t top_k;      /* keep the k most likely tokens; 0: all */
  /* Nucleus: keep the smallest set of the most likely tokens whose
   * probability reaches top_p (always at least one); 1: all. */
  double top_p;
} loom_sampler_settings;

/* Bytes of the scratch loom_sampler_choose needs for `vocab` logits: 16 per
 * logit (a probability and an id). */
size_t loom_sampler_scratch_bytes(int64_t vocab);

/* The next token from `logits` [vocab]: softmax(logits / temperature) in
 * double (the maximum subtracted), cut to the top_k most likely tokens,
 * then to the top_p nucleus, renormalized, and its cumulative distribution
 * inverted at `u` in [0, 1) (tokens in rank order once cut, equal logits
 * ranking the lower id first; in id order when nothing is cut).
 * Temperature 0 or top_k 1 is the argmax, the lowest id among equal
 * maxima. NaN logits count as -infinity; without a finite maximum the
 * argmax is returned. `scratch` holds loom_sampler_scratch_bytes(vocab)
 * bytes, aligned for a double (malloc's are), so that choosing a token
 * allocates nothing. */
int32_t loom_sampler_choose(const float *logits, int64_t vocab,
                            const loom_sampler_settings *settings, double u,
                            void *scratch);

/* The random stream of sample `index` of `seed`: `sample`'s sample i, and
 * the sample the trainer draws after step i, each have their own, so that
 * sampling draws nothing from the streams training uses. */
void loom_sampler_rng(loom_rng *rng, uint64_t seed, uint64_t index);

#endif /* LOOM_RUNTIME_SAMPLER_H */
