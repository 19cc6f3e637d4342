/*===- flags.h - Subcommands and flags of a training executable ---------===*/

#ifndef LOOM_RUNTIME_FLAGS_H
#define LOOM_RUNTIME_FLAGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What the executable does; the first argument names it, and without one it
 * trains. */
typedef enum {
  LOOM_TRAIN = 0,
  LOOM_EVAL,
  LOOM_TOKENIZE,
  LOOM_DETOKENIZE,
  LOOM_INFO,
  LOOM_SAMPLE,
  LOOM_NUM_SUBCOMMANDS
} loom_subcommand;

typedef struct {
  loom_subcommand subcommand;
  /* The optimizer and its schedule. */
  int64_t steps;
  int64_t stop_after; /* stop after this step (to resume later); 0: none */
  const char *optimizer; /* "adamw" or "sgd" */
  double lr;             /* NAN: the optimizer's default */
  const char *schedule;  /* "constant", "cosine" or "linear" */
  int64_t warmup;        /* steps of linear warm-up */
  double lr_min;         /* where cosine and linear end */
  int64_t accum;         /* micro-batches per step */
  /* Data parallel over MPI ranks (docs/distributed.md). None of it changes
   * a run's numbers beyond rounding (ZeRO-1's clipping norm). */
  int64_t zero;          /* 1: shard the optimizer state (ZeRO-1) */
  const char *overlap;   /* "on": reduce gradients during the backward pass */
  double bucket_mib;     /* gradient bucket size */
  double momentum;       /* SGD */
  double beta1, beta2, eps, weight_decay; /* AdamW */
  double grad_clip;      /* the largest global gradient norm; 0: no clipping */
  uint64_t seed;
  /* Data. */
  const char *data_path;  /* a data file (docs/data.md) */
  const char *text_path;  /* a UTF-8 text, tokenized by the tokenizer */
  const char *tokenizer;  /* a GPT-2 BPE directory; NULL: bytes */
  const char *data_order; /* "random" or "sequential" */
  double val_fraction;    /* the end of the data held out for validation */
  const char *val_data;   /* a validation file of the training data's kind */
  int64_t eval_every;     /* 0: only at the end */
  int64_t eval_batches;   /* 0: every batch the split holds */
  /* Parameters, checkpoints and output. */
  const char *init_from;      /* a safetensors file of initial parameters */
  const char *save_path;      /* where the trained parameters go */
  const char *save_dtype;     /* "f32" or "bf16": --save's file */
  const char *checkpoint_dir; /* where checkpoints go, and resume from */
  int64_t checkpoint_every;   /* 0: only at the end */
  int64_t keep_checkpoints;
  int resume;
  const char *metrics_path; /* JSON lines, one per step and per evaluation */
  int64_t print_every;
  /* Sampling: the sample subcommand, and train's samples every
   * --sample-every steps. None of it changes a training run's numbers. */
  const char *prompt;        /* a text, through the tokenizer */
  const char *prompt_tokens; /* token ids, "1,2,3" */
  int64_t max_tokens;        /* 0: the default (loom_max_tokens) */
  double temperature;        /* 0: argmax */
  int64_t top_k;             /* 0: off */
  double top_p;              /* 1: off */
  int64_t num_samples;
  int print_tokens;          /* ids instead of text */
  const char *save_logits;   /* a .npy file of every position's logits */
  int64_t sample_every;      /* train: 0, never */
  int threads; /* 0: OpenMP's default */
  int grad_check;
  int info; /* --info, the old spelling of the info subcommand */
} loom_options;

void loom_default_options(loom_options *options);

/* The learning rate in use: --lr, or the optimizer's default. */
double loom_learning_rate(const loom_options *options);

/* The tokens a sample may generate: --max-tokens, or by default 256 for
 * the sample subcommand and 64 for train's short samples. */
int64_t loom_max_tokens(const loom_options *options);

typedef enum {
  LOOM_FLAGS_OK = 0,
  LOOM_FLAGS_ERROR = 1, /* reported on `err` */
  LOOM_FLAGS_HELP = 2,  /* --help printed on `out` */
} loom_flags_result;

/* Parses `[SUBCOMMAND] [flags]`: a flag the subcommand does not take is an
 * error naming both. */
loom_flags_result loom_parse_flags(int argc, char **argv, loom_options *options,
                                   const char *program, FILE *out, FILE *err);

/* The settings that decide a training run's numbers (optimizer, schedule,
 * data, seed, ...), each as "--flag" and its value written exactly, for a
 * checkpoint to record and a resumed run to compare. Calls `visit` once per
 * setting, in a fixed order. */
void loom_each_run_setting(const loom_options *options,
                           void (*visit)(const char *flag, const char *value,
                                         void *context),
                           void *context);

#endif /* LOOM_RUNTIME_FLAGS_H */
