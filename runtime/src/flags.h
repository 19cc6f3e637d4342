/*===- flags.h - Command-line flags of a training executable ------------===*/

#ifndef LOOM_RUNTIME_FLAGS_H
#define LOOM_RUNTIME_FLAGS_H

#include <stdint.h>
#include <stdio.h>

typedef struct {
  int64_t steps;
  const char *optimizer; /* "adamw" or "sgd" */
  double lr;             /* NAN: the optimizer's default */
  double momentum;       /* SGD */
  double beta1, beta2, eps, weight_decay; /* AdamW */
  double grad_clip;      /* the largest global gradient norm; 0: no clipping */
  uint64_t seed;
  const char *data_path;  /* NULL: the built-in synthetic data set */
  const char *data_order; /* "sequential" */
  const char *init_from;  /* a safetensors file of initial parameters */
  const char *save_path;  /* where the trained parameters go */
  int64_t print_every;
  int threads; /* 0: OpenMP's default */
  int grad_check;
  int info;
} loom_options;

void loom_default_options(loom_options *options);

/* The learning rate in use: --lr, or the optimizer's default. */
double loom_learning_rate(const loom_options *options);

typedef enum {
  LOOM_FLAGS_OK = 0,
  LOOM_FLAGS_ERROR = 1, /* reported on `err` */
  LOOM_FLAGS_HELP = 2,  /* --help printed on `out` */
} loom_flags_result;

loom_flags_result loom_parse_flags(int argc, char **argv, loom_options *options,
                                   const char *program, FILE *out, FILE *err);

#endif /* LOOM_RUNTIME_FLAGS_H */
