/*===- sampler.c - The next token from a row of logits ------------------===*/

#include "sampler.h"

#include <math.h>
#include <stdlib.h>

/* A token still in the running: its scaled logit, later its probability. */
typedef struct {
  double value;
  int32_t id;
} candidate;

size_t loom_sampler_scratch_bytes(int64_t vocab) {
  return (size_t)(vocab > 0 ? vocab : 1) * sizeof(candidate);
}

void loom_sampler_rng(loom_rng *rng, uint64_t seed, uint64_t index) {
  loom_rng_seed_indexed(rng, seed, "sample", index);
}

static double logit_at(const float *logits, int64_t i) {
  return isnan(logits[i]) ? -INFINITY : (double)logits[i];
}

/* Whether `a` ranks before `b`: more likely, or as likely and a lower id. */
static int ranks_before(const candidate *a, const candidate *b) {
  return a->value > b->value || (a->value == b->value && a->id < b->id);
}

static int compare_candidates(const void *a, const void *b) {
  return ranks_before(b, a) - ranks_before(a, b);
}

static int64_t argmax(const float *logits, int64_t vocab) {
  int64_t best = 0;
  for (int64_t i = 1; i < vocab; ++i)
    if (logit_at(logits, i) > logit_at(logits, best))
      best = i;
  return best;
}

/* The k best-ranked tokens, in rank order, into c[0..k-1]: a heap of the k
 * best so far with the worst at its root, O(vocab · log k) rather than a
 * sort of the whole vocabulary (50257 tokens for GPT-2) per token. */
static void select_top_k(const float *logits, int64_t vocab, int64_t k,
                         candidate *c) {
  int64_t size = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    candidate next = {logit_at(logits, i), (int32_t)i};
    int64_t hole;
    if (size < k) {
      /* Sift up from the new leaf. */
      hole = size++;
      while (hole > 0 && ranks_before(&c[(hole - 1) / 2], &next)) {
        c[hole] = c[(hole - 1) / 2];
        hole = (hole - 1) / 2;
      }
      c[hole] = next;
      continue;
    }
    if (!ranks_before(&next, &c[0]))
      continue;
    /* Replace the worst and sift down. */
    hole = 0;
    for (;;) {
      int64_t child = 2 * hole + 1;
      if (child >= k)
        break;
      if (child + 1 < k && ranks_before(&c[child], &c[child + 1]))
        ++child;
      if (!ranks_before(&next, &c[child]))
        break;
      c[hole] = c[child];
      hole = child;
    }
    c[hole] = next;
  }
  qsort(c, (size_t)k, sizeof(candidate), compare_candidates);
}

int32_t loom_sampler_choose(const float *logits, int64_t vocab,
                            const loom_sampler_settings *settings, double u,
                            void *scratch) {
  if (vocab <= 1)
    return 0;
  int64_t best = argmax(logits, vocab);
  double max = logit_at(logits, best);
  if (settings->temperature <= 0 || settings->top_k == 1 || !isfinite(max))
    return (int32_t)best;
  candidate *c = scratch;
  int64_t n = vocab;
  int sorted = 0;
  if (settings->top_k > 0 && settings->top_k < vocab) {
    n = settings->top_k;
    select_top_k(logits, vocab, n, c);
    sorted = 1;
  } else {
    for (int64_t i = 0; i < vocab; ++i)
      c[i] = (candidate){logit_at(logits, i), (int32_t)i};
  }
  /* softmax((logit − max) / T) over the candidates. */
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    c[i].value = exp((c[i].value - max) / settings->temperature);
    sum += c[i].value;
  }
  for (int64_t i = 0; i < n; ++i)
    c[i].value /= sum;

  if (settings->top_p < 1) {
    if (!sorted) {
      /* llama2.c's cut before sorting: a token of probability below
       * (1 − top_p) / (n − 1), other than the most likely, is never in the
       * nucleus (it and the at most n − 2 tokens after it would hold less
       * than 1 − top_p, so the tokens before it would already reach top_p).
       * Half that bound leaves a margin for rounding: a lower bound only
       * keeps more tokens to sort. */
      double cut = 0.5 * (1 - settings->top_p) / (double)(n - 1);
      int64_t kept = 0;
      for (int64_t i = 0; i < n; ++i)
        if (c[i].value >= cut || c[i].id == (int32_t)best)
          c[kept++] = c[i];
      n = kept;
      qsort(c, (size_t)n, sizeof(candidate), compare_candidates);
    }
    double cumulative = 0;
    int64_t nucleus = 0;
    while (nucleus < n && (nucleus == 0 || cumulative < settings->top_p))
      cumulative += c[nucleus++].value;
    n = nucleus;
  }
  /* Invert the cumulative distribution of what is left at u·mass; the same
   * sums in the same order give the mass, so u < 1 always lands inside. */
  double mass = 0;
  for (int64_t i = 0; i < n; ++i)
    mass += c[i].value;
  double target = u * mass, cumulative = 0;
  int64_t last = 0; /* the last candidate of nonzero probability */
  for (int64_t i = 0; i < n; ++i) {
    if (c[i].value <= 0)
      continue;
    cumulative += c[i].value;
    last = i;
    if (target < cumulative)
      return c[i].id;
  }
  return c[last].id; /* u·mass rounded up to the mass */
}
