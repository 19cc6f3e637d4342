/*===- generate.c - Samples from the compiled inference entry points ----===*/

#define _POSIX_C_SOURCE 200809L

#include "generate.h"

#include "npy.h"
#include "tokenizer.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int loom_inference_refused(const loom_model_info *model, const char *flag,
                           const char *program) {
  if (model->inference.available)
    return 0;
  fprintf(stderr,
          "%s: error: %s%sthis executable has no inference entry points: %s\n",
          program, flag ? flag : "", flag ? ": " : "",
          model->inference.unavailable ? model->inference.unavailable
                                       : "no reason recorded");
  return 1;
}

/*===------------------------------------------------------------------===*/
/* The prompt                                                             */
/*===------------------------------------------------------------------===*/

/* "1, 2,3" -> {1, 2, 3}, each id below `vocab`. */
static int parse_token_ids(const char *text, int64_t vocab, int32_t **ids,
                           int64_t *count, const char *program) {
  int64_t capacity = 1;
  for (const char *c = text; *c; ++c)
    capacity += *c == ',';
  *ids = malloc((size_t)capacity * sizeof(int32_t));
  *count = 0;
  if (!*ids) {
    fprintf(stderr, "%s: error: out of memory\n", program);
    return -1;
  }
  const char *p = text;
  for (;;) {
    while (isspace((unsigned char)*p))
      ++p;
    const char *begin = p;
    int64_t id = 0;
    while (isdigit((unsigned char)*p)) {
      if (id <= vocab) /* past the vocabulary already: stop growing */
        id = id * 10 + (*p - '0');
      ++p;
    }
    const char *digits_end = p;
    while (isspace((unsigned char)*p))
      ++p;
    if (digits_end == begin || (*p != ',' && *p != '\0')) {
      const char *end = begin;
      while (*end && *end != ',')
        ++end;
      if (end == begin)
        fprintf(stderr, "%s: error: --prompt-tokens: id %lld is empty\n",
                program, (long long)*count + 1);
      else
        fprintf(stderr, "%s: error: --prompt-tokens: '%.*s' is not a token id\n",
                program, (int)(end - begin > 40 ? 40 : end - begin), begin);
      return -1;
    }
    if (id >= vocab) {
      fprintf(stderr,
              "%s: error: --prompt-tokens: token %.*s is outside the "
              "vocabulary [0, %lld)\n",
              program, (int)(digits_end - begin > 40 ? 40 : digits_end - begin),
              begin, (long long)vocab);
      return -1;
    }
    (*ids)[(*count)++] = (int32_t)id;
    if (*p == '\0')
      return 0;
    ++p; /* the comma */
  }
}

int loom_prompt_of(const loom_options *options, const loom_model_info *model,
                   const loom_tokenizer *tokenizer, int32_t **ids,
                   int64_t *length, const char *program) {
  const loom_inference_info *inference = &model->inference;
  *ids = NULL;
  *length = 0;
  if (tokenizer && loom_tokenizer_vocab_size(tokenizer) != inference->vocab) {
    fprintf(stderr,
            "%s: error: --tokenizer: the tokenizer has %lld tokens, and the "
            "model's logits %lld\n",
            program, (long long)loom_tokenizer_vocab_size(tokenizer),
            (long long)inference->vocab);
    return -1;
  }
  const char *flag = options->prompt_tokens ? "--prompt-tokens" : "--prompt";
  if (options->prompt_tokens) {
    if (parse_token_ids(options->prompt_tokens, inference->vocab, ids, length,
                        program) != 0)
      goto fail;
  } else if (options->prompt && !tokenizer) {
    fprintf(stderr,
            "%s: error: --prompt: there is no tokenizer to encode it (training "
            "on a --data token file or synthetic data has none); give "
            "--prompt-tokens\n",
            program);
    goto fail;
  } else if (tokenizer) {
    const char *text = options->prompt ? options->prompt : "\n";
    int64_t capacity = 0;
    if (loom_tokenizer_encode(tokenizer, text, strlen(text), ids, length,
                              &capacity) != 0) {
      fprintf(stderr, "%s: error: out of memory\n", program);
      goto fail;
    }
  } else {
    /* train's samples of a model trained on token files: the first id. */
    if (!(*ids = calloc(1, sizeof(int32_t)))) {
      fprintf(stderr, "%s: error: out of memory\n", program);
      goto fail;
    }
    *length = 1;
  }
  if (*length == 0) {
    fprintf(stderr, "%s: error: %s: the prompt holds no token\n", program,
            flag);
    goto fail;
  }
  if (*length > inference->context) {
    fprintf(stderr,
            "%s: error: %s: the prompt has %lld tokens and the model's "
            "context %lld\n",
            program, flag, (long long)*length, (long long)inference->context);
    goto fail;
  }
  return 0;
fail:
  free(*ids);
  *ids = NULL;
  *length = 0;
  return -1;
}

/*===------------------------------------------------------------------===*/
/* Generating                                                             */
/*===------------------------------------------------------------------===*/

int loom_generator_init(loom_generator *g, const loom_tensors *tensors,
                        int64_t max_tokens, char *err, size_t err_size) {
  const loom_inference_info *inference = &tensors->model->inference;
  memset(g, 0, sizeof(*g));
  g->model = tensors->model;
  g->buffers = tensors->buffers;
  int64_t batch = inference->batch, prefill = inference->prefill_length;
  int64_t vocab = inference->vocab, context = inference->context;
  /* The compiler guarantees these; a table that breaks them would send
   * loom_prefill past the cache. */
  if (batch < 1 || vocab < 1 || prefill < 1 || prefill > context) {
    snprintf(err, err_size,
             "the compiled inference entry points are inconsistent: batch "
             "%lld, context %lld, prefill %lld tokens, vocabulary %lld",
             (long long)batch, (long long)context, (long long)prefill,
             (long long)vocab);
    return -1;
  }
  /* No sample outgrows the context. */
  g->capacity = max_tokens < context ? max_tokens : context;
  if (g->capacity < 1)
    g->capacity = 1;
  g->tokens = malloc((size_t)(batch * prefill) * sizeof(int32_t));
  g->logits = malloc((size_t)(batch * prefill * vocab) * sizeof(float));
  g->scratch = malloc(loom_sampler_scratch_bytes(vocab));
  g->generated = malloc((size_t)(batch * g->capacity) * sizeof(int32_t));
  if (!g->tokens || !g->logits || !g->scratch || !g->generated) {
    loom_generator_free(g);
    snprintf(err, err_size, "out of memory for sampling (%lld logits of "
                            "each prefill call)",
             (long long)(batch * prefill * vocab));
    return -1;
  }
  return 0;
}

void loom_generator_free(loom_generator *g) {
  free(g->tokens);
  free(g->logits);
  free(g->scratch);
  free(g->generated);
  memset(g, 0, sizeof(*g));
}

int64_t loom_generated_length(const loom_inference_info *inference,
                              int64_t length, int64_t max_tokens) {
  int64_t room = inference->context - length + 1;
  return max_tokens < room ? max_tokens : room;
}

/* Feeds the prompt to loom_prefill in chunks of P = prefill_length: at
 * positions 0, P, 2P, ... while a whole chunk fits, then one chunk of the
 * last P tokens, overlapping the one before (it rewrites those positions
 * of the cache with the same values). A prompt shorter than P is padded
 * with its last token: the cache entries of the padding, at positions the
 * decode steps write before any query reads them, do not matter. Returns
 * the start of the last chunk, whose logits g->logits holds. */
static int64_t prefill(loom_generator *g, const int32_t *prompt,
                       int64_t length, const loom_generate_hooks *hooks,
                       int *stopped) {
  const loom_inference_info *inference = &g->model->inference;
  int64_t batch = inference->batch, p = inference->prefill_length;
  int64_t vocab = inference->vocab;
  int64_t start = 0;
  for (;;) {
    int64_t next = -1; /* the next chunk's start; -1 after the last */
    if (start + p < length)
      next = start + 2 * p <= length ? start + p : length - p;
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t j = 0; j < p; ++j)
        g->tokens[b * p + j] =
            start + j < length ? prompt[start + j] : prompt[length - 1];
    loom_prefill(g->buffers, g->tokens, start, g->logits);
    /* The positions no later chunk computes again. */
    int64_t end = next < 0 ? length : next;
    for (int64_t t = start; hooks && hooks->logits && t < end; ++t) {
      if (hooks->logits(hooks->context, t, g->logits + (t - start) * vocab,
                        p * vocab) != 0) {
        *stopped = 1;
        return start;
      }
    }
    if (next < 0)
      return start;
    start = next;
  }
}

int64_t loom_generate(loom_generator *g, const int32_t *prompt,
                      int64_t length, int64_t rows,
                      const loom_sampler_settings *settings,
                      int64_t max_tokens, loom_rng *rngs,
                      const loom_generate_hooks *hooks) {
  const loom_inference_info *inference = &g->model->inference;
  int64_t batch = inference->batch, vocab = inference->vocab;
  if (length < 1 || length > inference->context)
    return -1;
  int64_t count = loom_generated_length(inference, length, max_tokens);
  if (count > g->capacity)
    count = g->capacity;
  int stopped = 0;
  int64_t start = prefill(g, prompt, length, hooks, &stopped);
  if (stopped)
    return -1;
  /* The logits of the prompt's last token predict the first new one. */
  const float *logits = g->logits + (length - 1 - start) * vocab;
  int64_t stride = inference->prefill_length * vocab;
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t r = 0; r < rows; ++r) {
      int32_t token =
          loom_sampler_choose(logits + r * stride, vocab, settings,
                              loom_rng_uniform(&rngs[r]), g->scratch);
      g->generated[r * g->capacity + i] = token;
      g->tokens[r] = token;
    }
    for (int64_t r = rows; r < batch; ++r)
      g->tokens[r] = g->tokens[0];
    if (hooks && hooks->token && hooks->token(hooks->context, i, g->tokens))
      return -1;
    if (i + 1 == count)
      break; /* the last token's logits are not needed */
    /* Token i sits at position length + i, below the context by `count`. */
    int64_t position = length + i;
    loom_decode(g->buffers, g->tokens, position, g->logits);
    logits = g->logits;
    stride = vocab;
    if (hooks && hooks->logits &&
        hooks->logits(hooks->context, position, logits, stride))
      return -1;
  }
  return count;
}

loom_sampler_settings loom_sampler_settings_of(const loom_options *options) {
  loom_sampler_settings settings = {options->temperature, options->top_k,
                                    options->top_p};
  return settings;
}

/*===------------------------------------------------------------------===*/
/* Output                                                                 */
/*===------------------------------------------------------------------===*/

/* Token ids as text through `tokenizer` or, when it is NULL, as numbers
 * with a space before each (but the first when `first` is set). */
static void write_tokens(FILE *out, const loom_tokenizer *tokenizer,
                         const int32_t *ids, int64_t count, int first) {
  for (int64_t i = 0; i < count; ++i) {
    if (!tokenizer) {
      fprintf(out, "%s%d", first && i == 0 ? "" : " ", ids[i]);
      continue;
    }
    size_t size = 0;
    const char *bytes = loom_tokenizer_token_bytes(tokenizer, ids[i], &size);
    if (bytes)
      fwrite(bytes, 1, size, out);
  }
}

int64_t loom_sample_one(loom_generator *g, const loom_tokenizer *tokenizer,
                        const int32_t *prompt, int64_t length,
                        const loom_sampler_settings *settings,
                        int64_t max_tokens, loom_rng *rng, FILE *out) {
  int64_t count =
      loom_generate(g, prompt, length, 1, settings, max_tokens, rng, NULL);
  if (count < 0)
    return -1;
  write_tokens(out, tokenizer, prompt, length, 1);
  write_tokens(out, tokenizer, g->generated, count, 0);
  return ferror(out) ? -1 : count;
}

/* The sample subcommand's state while a group of rows generates. */
typedef struct {
  FILE *out;
  const loom_tokenizer *tokenizer; /* NULL: --print-tokens */
  int stream;                      /* row 0 is printed as it comes */
  int64_t first_sample, rows;      /* of the group */
  int64_t positions;               /* of each sample in --save-logits */
  int64_t vocab;
  loom_npy_writer *logits; /* NULL: no --save-logits */
  char err[1024];
} sample_run;

static int on_token(void *context, int64_t index, const int32_t *tokens) {
  (void)index;
  sample_run *run = context;
  if (!run->stream)
    return 0;
  write_tokens(run->out, run->tokenizer, tokens, 1, 0);
  /* Shown as generated, not when the buffer fills. */
  fflush(run->out);
  return 0;
}

static int on_logits(void *context, int64_t position, const float *logits,
                     int64_t stride) {
  sample_run *run = context;
  if (!run->logits)
    return 0;
  for (int64_t r = 0; r < run->rows; ++r) {
    int64_t row = (run->first_sample + r) * run->positions + position;
    if (loom_npy_write(run->logits, row * run->vocab, logits + r * stride,
                       run->vocab, run->err, sizeof(run->err)) != 0)
      return -1;
  }
  return 0;
}

/* What comes before sample `index`'s continuation: the separator from the
 * sample before (text only: a line of ids is its own separator), then the
 * prompt. */
static void begin_sample(const sample_run *run, int64_t index,
                         const int32_t *prompt, int64_t length) {
  if (index > 0 && run->tokenizer)
    fprintf(run->out, "---\n");
  write_tokens(run->out, run->tokenizer, prompt, length, 1);
}

int loom_sample(const loom_model_info *model, loom_tensors *tensors,
                const loom_options *options, const loom_tokenizer *tokenizer,
                FILE *out, const char *program) {
  if (loom_inference_refused(model, NULL, program))
    return 1;
  const loom_inference_info *inference = &model->inference;
  int32_t *prompt = NULL;
  int64_t length = 0;
  if (loom_prompt_of(options, model, tokenizer, &prompt, &length, program) != 0)
    return 1;
  int64_t max_tokens = loom_max_tokens(options);
  int64_t count = loom_generated_length(inference, length, max_tokens);
  int64_t batch = inference->batch, samples = options->num_samples;
  loom_sampler_settings settings = loom_sampler_settings_of(options);
  sample_run run = {.out = out,
                    .tokenizer = options->print_tokens ? NULL : tokenizer,
                    .positions = length + count - 1,
                    .vocab = inference->vocab};
  loom_generator generator;
  loom_npy_writer logits;
  if (loom_generator_init(&generator, tensors, max_tokens, run.err,
                          sizeof(run.err)) != 0) {
    fprintf(stderr, "%s: error: %s\n", program, run.err);
    free(prompt);
    return 1;
  }
  loom_rng *rngs = malloc((size_t)batch * sizeof(loom_rng));
  int status = 1, logits_open = 0;
  if (!rngs) {
    fprintf(stderr, "%s: error: out of memory\n", program);
    goto done;
  }
  if (options->save_logits) {
    int64_t shape[3] = {samples, run.positions, run.vocab};
    if ((double)samples * (double)run.positions * (double)run.vocab * 4 >
        9e18) {
      fprintf(stderr, "%s: error: --save-logits: %lld samples of %lld x %lld "
                      "logits are more than a file holds\n",
              program, (long long)samples, (long long)run.positions,
              (long long)run.vocab);
      goto done;
    }
    if (loom_npy_open(&logits, options->save_logits, shape, 3, run.err,
                      sizeof(run.err)) != 0) {
      fprintf(stderr, "%s: error: --save-logits: %s\n", program, run.err);
      goto done;
    }
    logits_open = 1;
    run.logits = &logits;
  }
  loom_generate_hooks hooks = {on_token, on_logits, &run};
  for (int64_t first = 0; first < samples; first += batch) {
    run.first_sample = first;
    run.rows = samples - first < batch ? samples - first : batch;
    /* A group of one sample (a batch of one, or --num-samples 1) is
     * printed as it is generated; the rows of a larger group come out
     * together, when the group is done. */
    run.stream = run.rows == 1;
    for (int64_t r = 0; r < run.rows; ++r)
      loom_sampler_rng(&rngs[r], options->seed, (uint64_t)(first + r));
    if (run.stream)
      begin_sample(&run, first, prompt, length);
    if (loom_generate(&generator, prompt, length, run.rows, &settings,
                      max_tokens, rngs, &hooks) < 0) {
      fprintf(stderr, "%s: error: --save-logits: %s\n", program, run.err);
      goto done;
    }
    for (int64_t r = 0; r < run.rows; ++r) {
      if (!run.stream) {
        begin_sample(&run, first + r, prompt, length);
        write_tokens(out, run.tokenizer,
                     generator.generated + r * generator.capacity, count, 0);
      }
      fprintf(out, "\n");
    }
    if (fflush(out) != 0 || ferror(out)) {
      fprintf(stderr, "%s: error: writing the samples: %s\n", program,
              strerror(errno));
      goto done;
    }
  }
  if (count < max_tokens)
    fprintf(stderr,
            "%s: note: stopped at the model's context of %lld positions "
            "after %lld tokens\n",
            program, (long long)inference->context, (long long)count);
  if (logits_open) {
    logits_open = 0;
    if (loom_npy_commit(&logits, run.err, sizeof(run.err)) != 0) {
      fprintf(stderr, "%s: error: --save-logits: %s\n", program, run.err);
      goto done;
    }
  }
  status = 0;
done:
  if (logits_open)
    loom_npy_abandon(&logits);
  loom_generator_free(&generator);
  free(rngs);
  free(prompt);
  return status;
}
