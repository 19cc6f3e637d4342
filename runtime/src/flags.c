/*===- flags.c - Command-line flags of a training executable ------------===*/

#include "flags.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void loom_default_options(loom_options *options) {
  memset(options, 0, sizeof(*options));
  options->steps = 100;
  options->optimizer = "adamw";
  options->data_order = "sequential";
  options->lr = NAN;
  options->momentum = 0.9;
  /* torch.optim.AdamW's defaults. */
  options->beta1 = 0.9;
  options->beta2 = 0.999;
  options->eps = 1e-8;
  options->weight_decay = 0.01;
  options->print_every = 1;
}

double loom_learning_rate(const loom_options *options) {
  if (!isnan(options->lr))
    return options->lr;
  return strcmp(options->optimizer, "sgd") == 0 ? 0.05 : 1e-3;
}

static void print_help(const char *program, FILE *out) {
  fprintf(out,
          "usage: %s [flags]\n"
          "Trains the model this executable was compiled from, printing the "
          "loss of every step.\n\n"
          "  --steps N            training steps (default 100)\n"
          "  --optimizer NAME     adamw (default) or sgd\n"
          "  --lr X               learning rate (default 1e-3 for adamw, "
          "0.05 for sgd)\n"
          "  --beta1 X            AdamW's first-moment decay (default 0.9)\n"
          "  --beta2 X            AdamW's second-moment decay (default "
          "0.999)\n"
          "  --eps X              AdamW's denominator term (default 1e-8)\n"
          "  --weight-decay X     AdamW's decoupled weight decay, applied to "
          "parameters of rank\n"
          "                       2 or more (default 0.01)\n"
          "  --momentum X         SGD momentum (default 0.9)\n"
          "  --grad-clip X        scale the gradients down to a global L2 "
          "norm of at most X\n"
          "                       (default 0: no clipping)\n"
          "  --seed N             seed of the parameters' initialization and "
          "of the synthetic\n"
          "                       data (default 0)\n"
          "  --init-from FILE     load the initial parameters from a "
          "safetensors file, by name\n"
          "  --save FILE          write the trained parameters to a "
          "safetensors file\n"
          "  --data FILE          training data (docs/data.md): token files "
          "for language models,\n"
          "                       .csv or Loom's binary layout otherwise; "
          "without it, a built-in\n"
          "                       synthetic data set that the model can "
          "learn\n"
          "  --data-order ORDER   sequential (the only order so far; "
          "docs/data.md)\n"
          "  --print-every N      print every Nth step (default 1)\n"
          "  --threads N          worker threads (default: OpenMP's "
          "choice)\n"
          "  --grad-check         compare the gradients with finite "
          "differences of the loss and\n"
          "                       exit\n"
          "  --info               describe the model's tensors and exit\n"
          "  --help               this text\n",
          program);
}

/* Parses `text` as a finite number in [min, max]. */
static int parse_number(const char *flag, const char *text, double min,
                        double max, double *out, const char *program,
                        FILE *err) {
  char *end = NULL;
  errno = 0;
  double value = strtod(text, &end);
  if (end == text || *end != '\0' || errno != 0 || !isfinite(value)) {
    fprintf(err, "%s: error: %s: '%s' is not a number\n", program, flag, text);
    return -1;
  }
  if (value < min || value > max) {
    fprintf(err, "%s: error: %s: %s is out of range [%g, %g]\n", program, flag,
            text, min, max);
    return -1;
  }
  *out = value;
  return 0;
}

static int parse_integer(const char *flag, const char *text, long long min,
                         long long max, long long *out, const char *program,
                         FILE *err) {
  char *end = NULL;
  errno = 0;
  long long value = strtoll(text, &end, 10);
  if (end == text || *end != '\0' || errno != 0) {
    fprintf(err, "%s: error: %s: '%s' is not an integer\n", program, flag, text);
    return -1;
  }
  if (value < min || value > max) {
    fprintf(err, "%s: error: %s: %s is out of range [%lld, %lld]\n", program,
            flag, text, min, max);
    return -1;
  }
  *out = value;
  return 0;
}

/* Flags that take a value, and where it goes. */
typedef enum { kInteger, kNumber, kText, kChoice } value_kind;

typedef struct {
  const char *name;
  value_kind kind;
  size_t offset; /* into loom_options */
  double min, max;
  const char *choices[3]; /* kChoice: the accepted words */
} value_flag;

#define FIELD(f) offsetof(loom_options, f)
static const value_flag kValueFlags[] = {
    {"--steps", kInteger, FIELD(steps), 0, 1099511627776.0, {0}},
    {"--optimizer", kChoice, FIELD(optimizer), 0, 0, {"adamw", "sgd", 0}},
    {"--lr", kNumber, FIELD(lr), 0, 1e6, {0}},
    {"--momentum", kNumber, FIELD(momentum), 0, 1, {0}},
    {"--beta1", kNumber, FIELD(beta1), 0, 0.999999, {0}},
    {"--beta2", kNumber, FIELD(beta2), 0, 0.999999, {0}},
    {"--eps", kNumber, FIELD(eps), 0, 1, {0}},
    {"--weight-decay", kNumber, FIELD(weight_decay), 0, 1e6, {0}},
    {"--grad-clip", kNumber, FIELD(grad_clip), 0, 1e30, {0}},
    {"--seed", kInteger, FIELD(seed), 0, 9223372036854775807.0, {0}},
    {"--data", kText, FIELD(data_path), 0, 0, {0}},
    {"--init-from", kText, FIELD(init_from), 0, 0, {0}},
    {"--save", kText, FIELD(save_path), 0, 0, {0}},
    {"--data-order", kChoice, FIELD(data_order), 0, 0, {"sequential", 0}},
    {"--print-every", kInteger, FIELD(print_every), 1, 1099511627776.0, {0}},
    {"--threads", kInteger, FIELD(threads), 1, 1024, {0}},
};
#undef FIELD

static int set_value(const value_flag *flag, const char *value,
                     loom_options *options, const char *program, FILE *err) {
  char *field = (char *)options + flag->offset;
  switch (flag->kind) {
  case kInteger: {
    long long integer = 0;
    /* A double cannot hold LLONG_MAX; anything at 2^63 means "no limit". */
    long long max = flag->max >= 9223372036854775807.0 ? LLONG_MAX
                                                       : (long long)flag->max;
    if (parse_integer(flag->name, value, (long long)flag->min, max, &integer,
                      program, err) != 0)
      return -1;
    if (strcmp(flag->name, "--threads") == 0)
      *(int *)field = (int)integer;
    else if (strcmp(flag->name, "--seed") == 0)
      *(uint64_t *)field = (uint64_t)integer;
    else
      *(int64_t *)field = integer;
    return 0;
  }
  case kNumber:
    return parse_number(flag->name, value, flag->min, flag->max,
                        (double *)field, program, err);
  case kText:
    if (*value == '\0') {
      fprintf(err, "%s: error: %s needs a file name\n", program, flag->name);
      return -1;
    }
    *(const char **)field = value;
    return 0;
  case kChoice:
    for (int c = 0; c < 3 && flag->choices[c]; ++c) {
      if (strcmp(value, flag->choices[c]) == 0) {
        *(const char **)field = flag->choices[c];
        return 0;
      }
    }
    fprintf(err, "%s: error: %s: '%s' is not one of", program, flag->name,
            value);
    for (int c = 0; c < 3 && flag->choices[c]; ++c)
      fprintf(err, "%s %s", c ? "," : "", flag->choices[c]);
    fprintf(err, "\n");
    return -1;
  }
  return -1;
}

loom_flags_result loom_parse_flags(int argc, char **argv, loom_options *options,
                                   const char *program, FILE *out, FILE *err) {
  for (int i = 1; i < argc; ++i) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      print_help(program, out);
      return LOOM_FLAGS_HELP;
    }
    if (strcmp(arg, "--grad-check") == 0) {
      options->grad_check = 1;
      continue;
    }
    if (strcmp(arg, "--info") == 0) {
      options->info = 1;
      continue;
    }
    /* Flags with a value: "--flag value" or "--flag=value". */
    if (strncmp(arg, "--", 2) != 0) {
      fprintf(err, "%s: error: unexpected argument '%s' (see --help)\n",
              program, arg);
      return LOOM_FLAGS_ERROR;
    }
    const char *equals = strchr(arg, '=');
    size_t length = equals ? (size_t)(equals - arg) : strlen(arg);
    const value_flag *flag = NULL;
    for (size_t f = 0; f < sizeof(kValueFlags) / sizeof(kValueFlags[0]); ++f)
      if (strlen(kValueFlags[f].name) == length &&
          strncmp(kValueFlags[f].name, arg, length) == 0)
        flag = &kValueFlags[f];
    if (!flag) {
      fprintf(err, "%s: error: unknown flag '%.*s' (see --help)\n", program,
              (int)length, arg);
      return LOOM_FLAGS_ERROR;
    }
    const char *value = equals ? equals + 1 : NULL;
    if (!value) {
      if (i + 1 >= argc) {
        fprintf(err, "%s: error: %s needs a value\n", program, flag->name);
        return LOOM_FLAGS_ERROR;
      }
      value = argv[++i];
    }
    if (set_value(flag, value, options, program, err) != 0)
      return LOOM_FLAGS_ERROR;
  }
  return LOOM_FLAGS_OK;
}
