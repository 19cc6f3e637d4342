/*===- data_synthetic.c - Synthetic samples and token walks ------------===*/
/*
 * Samples drawn from a fixed random "teacher", and token windows walked on
 * a fixed random graph, each row from its own seeded stream (data.h says
 * what a model can learn from each).
 */

#include "data_source.h"

#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/*===------------------------------------------------------------------===*/
/* Samples: labels argmax(x·T), or targets tanh(x·T)                      */
/*===------------------------------------------------------------------===*/

typedef struct {
  /* The teacher T [features, width], width the classes or target values,
   * and one sample's scores x·T. */
  float *teacher;
  int64_t width;
  double *scores;
  uint64_t seed;
  char stream[64]; /* of the rows: "synthetic-data-samples.train" */
} synthetic_samples;

static void free_samples(void *state) {
  synthetic_samples *samples = state;
  free(samples->teacher);
  free(samples->scores);
  free(samples);
}

static void sample_rows(void *state, const loom_data_layout *layout,
                        int64_t first_row, void *features_buffer,
                        void *targets) {
  synthetic_samples *samples = state;
  float *features = features_buffer;
  int64_t f = layout->features, w = samples->width;
  for (int64_t s = 0; s < layout->batch; ++s) {
    loom_rng rng;
    loom_rng_seed_indexed(&rng, samples->seed, samples->stream,
                          (uint64_t)(first_row + s));
    float *x = features + s * f;
    for (int64_t j = 0; j < f; ++j)
      x[j] = (float)loom_rng_normal(&rng);
    /* Row by row of T, which is stored by rows: each score still sums
     * over j in order, and T is read once per sample, not once per
     * score with a stride of a row (minutes per batch for 50k outputs). */
    double *scores = samples->scores;
    for (int64_t c = 0; c < w; ++c)
      scores[c] = 0.0;
    for (int64_t j = 0; j < f; ++j) {
      const float *row = samples->teacher + j * w;
      double xj = (double)x[j];
      for (int64_t c = 0; c < w; ++c)
        scores[c] += xj * row[c];
    }
    int64_t best = 0;
    double bestScore = -INFINITY;
    for (int64_t c = 0; c < w; ++c) {
      double score = scores[c];
      if (layout->classification) {
        if (score > bestScore) {
          bestScore = score;
          best = c;
        }
      } else {
        ((float *)targets)[s * w + c] = (float)tanh(score);
      }
    }
    if (layout->classification)
      ((int32_t *)targets)[s] = (int32_t)best;
  }
}

static const loom_data_source kSamples = {sample_rows, free_samples};

loom_dataset *loom_synthetic_samples(const loom_data_layout *layout,
                                     uint64_t seed, const char *split) {
  synthetic_samples *samples = calloc(1, sizeof(synthetic_samples));
  if (!samples)
    return NULL;
  samples->width =
      layout->classification ? layout->classes : layout->target_width;
  int64_t n = layout->features * samples->width;
  samples->teacher = malloc((size_t)n * sizeof(float));
  samples->scores = malloc((size_t)samples->width * sizeof(double));
  if (!samples->teacher || !samples->scores) {
    free_samples(samples);
    return NULL;
  }
  loom_rng rng;
  loom_rng_seed(&rng, seed, "synthetic-data-teacher");
  /* Scaled so that x·T has unit variance per output. */
  double scale = 1.0 / sqrt((double)layout->features);
  for (int64_t i = 0; i < n; ++i)
    samples->teacher[i] = (float)(scale * loom_rng_normal(&rng));
  samples->seed = seed;
  snprintf(samples->stream, sizeof(samples->stream),
           "synthetic-data-samples.%s", split);
  return loom_dataset_new(layout, &kSamples, samples, 0, 0, "synthetic data");
}

/*===------------------------------------------------------------------===*/
/* Token windows: random walks, four successors per token                 */
/*===------------------------------------------------------------------===*/

enum { kSuccessors = 4 };

typedef struct {
  int32_t *successors; /* [vocab][kSuccessors] */
  uint64_t seed;
  char stream[64]; /* of the walks: "synthetic-token-walks.train" */
} synthetic_tokens;

static void free_tokens(void *state) {
  synthetic_tokens *tokens = state;
  free(tokens->successors);
  free(tokens);
}

static void walk_rows(void *state, const loom_data_layout *layout,
                      int64_t first_row, void *ids_buffer,
                      void *targets_buffer) {
  synthetic_tokens *tokens = state;
  int32_t *ids = ids_buffer, *targets = targets_buffer;
  for (int64_t b = 0; b < layout->batch; ++b) {
    loom_rng rng;
    loom_rng_seed_indexed(&rng, tokens->seed, tokens->stream,
                          (uint64_t)(first_row + b));
    int32_t token = (int32_t)(loom_rng_next(&rng) % (uint64_t)layout->vocab);
    for (int64_t t = 0; t < layout->seq; ++t) {
      int32_t next = tokens->successors[token * kSuccessors +
                                        loom_rng_next(&rng) % kSuccessors];
      ids[b * layout->seq + t] = token;
      targets[b * layout->seq + t] = next;
      token = next;
    }
  }
}

static const loom_data_source kTokens = {walk_rows, free_tokens};

loom_dataset *loom_synthetic_tokens(const loom_data_layout *layout,
                                    uint64_t seed, const char *split) {
  synthetic_tokens *tokens = calloc(1, sizeof(synthetic_tokens));
  if (!tokens)
    return NULL;
  int64_t vocab = layout->vocab;
  tokens->successors = malloc((size_t)(vocab * kSuccessors) * sizeof(int32_t));
  if (!tokens->successors) {
    free_tokens(tokens);
    return NULL;
  }
  loom_rng rng;
  loom_rng_seed(&rng, seed, "synthetic-token-graph");
  for (int64_t i = 0; i < vocab * kSuccessors; ++i)
    tokens->successors[i] = (int32_t)(loom_rng_next(&rng) % (uint64_t)vocab);
  tokens->seed = seed;
  snprintf(tokens->stream, sizeof(tokens->stream), "synthetic-token-walks.%s",
           split);
  return loom_dataset_new(layout, &kTokens, tokens, 0, 0, "synthetic data");
}
