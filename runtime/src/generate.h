/*===- generate.h - Samples from the compiled inference entry points ----===*/
/*
 * A prompt is prefilled through loom_prefill in chunks of the compiled
 * prefill length, then each token chosen (sampler.h) is fed back through
 * loom_decode at the next position, for every row of the compiled batch
 * at once, until the token budget or the model's context runs out.
 */

#ifndef LOOM_RUNTIME_GENERATE_H
#define LOOM_RUNTIME_GENERATE_H

#include "flags.h"
#include "sampler.h"
#include "tensors.h"

#include <stdint.h>
#include <stdio.h>

typedef struct loom_tokenizer loom_tokenizer;

/* When the executable has no inference entry points: prints
 * "PROGRAM: error: [FLAG: ]this executable has no inference entry points:
 * REASON" and returns 1; otherwise 0. `flag` may be NULL. */
int loom_inference_refused(const loom_model_info *model, const char *flag,
                           const char *program);

/* The prompt's ids into *ids (malloc'd) and *length: --prompt-tokens,
 * each id checked against the model's vocabulary, or --prompt through
 * `tokenizer`; with neither (train's default), a newline through the
 * tokenizer, or token 0 without one. A prompt longer than the model's
 * context is refused, never cut, and so is a tokenizer whose vocabulary
 * is not the model's logits'. On failure prints the error, naming the
 * flag, and returns -1. */
int loom_prompt_of(const loom_options *options, const loom_model_info *model,
                   const loom_tokenizer *tokenizer, int32_t **ids,
                   int64_t *length, const char *program);

/* What generating needs beside the tensors, allocated once. */
typedef struct {
  const loom_model_info *model;
  void *const *buffers; /* the tensor table, parameters and cache allocated */
  int64_t capacity;     /* tokens each row of `generated` holds */
  int32_t *tokens;      /* [batch, prefill_length]: one call's ids */
  float *logits;        /* [batch, prefill_length, vocab]: one call's */
  void *scratch;        /* loom_sampler_choose's */
  int32_t *generated;   /* [batch, capacity]: the tokens chosen */
} loom_generator;

/* For samples of up to `max_tokens` tokens from `tensors`, whose cache
 * must be allocated (loom_tensors_alloc_cache). Returns -1 when out of
 * memory or when the model's inference description is inconsistent (a
 * prefill longer than the context); `err` says which. */
int loom_generator_init(loom_generator *generator, const loom_tensors *tensors,
                        int64_t max_tokens, char *err, size_t err_size);
void loom_generator_free(loom_generator *generator);

/* Tokens a sample of a prompt of `length` tokens generates:
 * min(max_tokens, context − length + 1), since the last one is chosen
 * from the logits of position context − 1. */
int64_t loom_generated_length(const loom_inference_info *inference,
                              int64_t length, int64_t max_tokens);

/* Called while generating; either may be NULL, and a non-zero return stops
 * the generation. */
typedef struct {
  /* After the `index`th token (from 0) of every row is chosen: tokens[r]
   * for row r of the compiled batch. */
  int (*token)(void *context, int64_t index, const int32_t *tokens);
  /* The logits computed at `position` (predicting position + 1): row r's
   * `vocab` floats at logits + r · stride. Positions come in increasing
   * order, each once, those of the prompt from the prefill call that
   * computed them last. */
  int (*logits)(void *context, int64_t position, const float *logits,
                int64_t stride);
  void *context;
} loom_generate_hooks;

/* Generates loom_generated_length(length, max_tokens) tokens in each of
 * the first `rows` rows of the compiled batch, all continuing `prompt`
 * [length] (at most the context), row r drawing from rngs[r]; the other
 * rows repeat row 0's tokens and are ignored. Row r's tokens go to
 * generated[r · capacity ...]. Returns their count, or -1 when a hook
 * stopped it (or the prompt is empty or longer than the context). */
int64_t loom_generate(loom_generator *generator, const int32_t *prompt,
                      int64_t length, int64_t rows,
                      const loom_sampler_settings *settings,
                      int64_t max_tokens, loom_rng *rngs,
                      const loom_generate_hooks *hooks);

/* The sampling flags of `options`. */
loom_sampler_settings loom_sampler_settings_of(const loom_options *options);

/* One sample continuing `prompt`, drawn from `rng` (row 0 of a batch),
 * written to `out` as the prompt and the continuation: text through
 * `tokenizer`, or space-separated ids when it is NULL. No newline is
 * added. Returns the tokens generated, or -1 on a write error. */
int64_t loom_sample_one(loom_generator *generator,
                        const loom_tokenizer *tokenizer, const int32_t *prompt,
                        int64_t length, const loom_sampler_settings *settings,
                        int64_t max_tokens, loom_rng *rng, FILE *out);

/* The sample subcommand on loaded parameters and an allocated cache:
 * --num-samples samples of the prompt written to `out` (docs/training.md
 * describes the format), --save-logits, and the note on standard error
 * when the context cut them short. `tokenizer` may be NULL when neither
 * --prompt nor text output needs one (--prompt-tokens, --print-tokens).
 * Returns the exit status. */
int loom_sample(const loom_model_info *model, loom_tensors *tensors,
                const loom_options *options, const loom_tokenizer *tokenizer,
                FILE *out, const char *program);

#endif /* LOOM_RUNTIME_GENERATE_H */
