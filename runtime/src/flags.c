/*===- flags.c - Subcommands and flags of a training executable ---------===*/
/*
 * One table describes every flag: its value, range, default, help text,
 * the subcommands that take it and whether it decides a training run's
 * numbers. Parsing, --help and the settings a checkpoint records all read
 * it, so a flag is described once.
 */

#include "flags.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void loom_default_options(loom_options *options) {
  memset(options, 0, sizeof(*options));
  options->subcommand = LOOM_TRAIN;
  options->steps = 100;
  options->optimizer = "adamw";
  options->save_dtype = "f32";
  options->lr = NAN;
  options->schedule = "constant";
  options->accum = 1;
  options->overlap = "on";
  /* PyTorch DDP's bucket_cap_mb. */
  options->bucket_mib = 25;
  options->momentum = 0.9;
  /* torch.optim.AdamW's defaults. */
  options->beta1 = 0.9;
  options->beta2 = 0.999;
  options->eps = 1e-8;
  options->weight_decay = 0.01;
  options->data_order = "random";
  options->eval_batches = 20;
  options->keep_checkpoints = 2;
  options->print_every = 1;
  options->temperature = 1.0;
  options->top_p = 1.0;
  options->num_samples = 1;
}

double loom_learning_rate(const loom_options *options) {
  if (!isnan(options->lr))
    return options->lr;
  return strcmp(options->optimizer, "sgd") == 0 ? 0.05 : 1e-3;
}

int64_t loom_max_tokens(const loom_options *options) {
  if (options->max_tokens > 0)
    return options->max_tokens;
  /* A sample every few steps of training should not cost much more than
   * the steps between them. */
  return options->subcommand == LOOM_TRAIN ? 64 : 256;
}

static const struct {
  const char *name;
  const char *summary;
} kSubcommands[LOOM_NUM_SUBCOMMANDS] = {
    [LOOM_TRAIN] = {"train", "train the model (the default without a "
                             "subcommand)"},
    [LOOM_EVAL] = {"eval", "the validation loss of a checkpoint or a "
                           "parameter file"},
    [LOOM_TOKENIZE] = {"tokenize", "print the token ids of a text "
                                   "(standard input or --text)"},
    [LOOM_DETOKENIZE] = {"detokenize", "print the text of token ids read "
                                       "from standard input"},
    [LOOM_INFO] = {"info", "describe the model's tensors"},
    [LOOM_SAMPLE] = {"sample", "generate text from a prompt with the "
                               "compiled inference entry points"},
};

#define TRAIN (1u << LOOM_TRAIN)
#define EVAL (1u << LOOM_EVAL)
#define TOKENIZE (1u << LOOM_TOKENIZE)
#define DETOKENIZE (1u << LOOM_DETOKENIZE)
#define INFO (1u << LOOM_INFO)
#define SAMPLE (1u << LOOM_SAMPLE)
#define TEXT_IO (TOKENIZE | DETOKENIZE)

typedef enum { kInteger, kNumber, kText, kChoice, kSwitch } value_kind;

typedef struct {
  const char *name;
  value_kind kind;
  size_t offset; /* into loom_options */
  double min, max;
  const char *choices[4]; /* kChoice: the accepted words */
  const char *value_name; /* "N", "X", "FILE" in --help */
  const char *help;
  const char *default_text; /* when the default is not the field's value */
  unsigned subcommands;     /* a mask of the subcommands that take it */
  int run_setting;          /* decides a training run's numbers */
} flag_info;

/* 2^40: large enough for any count of steps or batches. */
#define HUGE_COUNT 1099511627776.0
#define INT64_LIMIT 9223372036854775807.0

#define FIELD(f) offsetof(loom_options, f)
static const flag_info kFlags[] = {
    {"--steps", kInteger, FIELD(steps), 0, HUGE_COUNT, {0}, "N",
     "training steps", 0, TRAIN, 1},
    {"--stop-after", kInteger, FIELD(stop_after), 0, HUGE_COUNT, {0}, "N",
     "stop after step N, as if interrupted, to --resume later (0: run to "
     "--steps)",
     0, TRAIN, 0},
    {"--optimizer", kChoice, FIELD(optimizer), 0, 0, {"adamw", "sgd", 0}, "NAME",
     "adamw or sgd", 0, TRAIN, 1},
    {"--lr", kNumber, FIELD(lr), 0, 1e6, {0}, "X",
     "peak learning rate", "1e-3 for adamw, 0.05 for sgd", TRAIN, 1},
    {"--schedule", kChoice, FIELD(schedule), 0, 0,
     {"constant", "cosine", "linear", 0}, "NAME",
     "learning-rate schedule after the warm-up: constant, cosine or linear "
     "decay to --lr-min at the last step (docs/training.md)",
     0, TRAIN, 1},
    {"--warmup", kInteger, FIELD(warmup), 0, HUGE_COUNT, {0}, "N",
     "steps of linear warm-up to --lr", 0, TRAIN, 1},
    {"--lr-min", kNumber, FIELD(lr_min), 0, 1e6, {0}, "X",
     "the learning rate cosine and linear decay to", 0, TRAIN, 1},
    {"--accum", kInteger, FIELD(accum), 1, 1 << 20, {0}, "N",
     "micro-batches per step: gradients are averaged over N compiled "
     "batches",
     0, TRAIN, 1},
    {"--zero", kInteger, FIELD(zero), 0, 1, {0}, "N",
     "1: shard the optimizer state over the MPI ranks (ZeRO-1; "
     "docs/distributed.md)",
     0, TRAIN, 0},
    {"--overlap", kChoice, FIELD(overlap), 0, 0, {"on", "off", 0}, "ON|OFF",
     "reduce gradients over the MPI ranks while the backward pass runs",
     0, TRAIN, 0},
    {"--bucket-mb", kNumber, FIELD(bucket_mib), 0.0625, 65536, {0}, "MIB",
     "the size of a bucket of gradients reduced over the MPI ranks in one "
     "message",
     0, TRAIN, 0},
    {"--beta1", kNumber, FIELD(beta1), 0, 0.999999, {0}, "X",
     "AdamW's first-moment decay", 0, TRAIN, 1},
    {"--beta2", kNumber, FIELD(beta2), 0, 0.999999, {0}, "X",
     "AdamW's second-moment decay", 0, TRAIN, 1},
    {"--eps", kNumber, FIELD(eps), 0, 1, {0}, "X",
     "AdamW's denominator term", 0, TRAIN, 1},
    {"--weight-decay", kNumber, FIELD(weight_decay), 0, 1e6, {0}, "X",
     "AdamW's decoupled weight decay, applied to parameters of rank 2 or "
     "more",
     0, TRAIN, 1},
    {"--momentum", kNumber, FIELD(momentum), 0, 1, {0}, "X", "SGD momentum", 0,
     TRAIN, 1},
    {"--grad-clip", kNumber, FIELD(grad_clip), 0, 1e30, {0}, "X",
     "scale the gradients down to a global L2 norm of at most X (0: no "
     "clipping)",
     0, TRAIN, 1},
    {"--seed", kInteger, FIELD(seed), 0, INT64_LIMIT, {0}, "N",
     "seed of the initialization, the random data order, the synthetic "
     "data and sampling",
     0, TRAIN | EVAL | SAMPLE, 1},
    {"--data", kText, FIELD(data_path), 0, 0, {0}, "FILE",
     "training data (docs/data.md): a token file for language models, .csv "
     "or Loom's binary layout otherwise",
     "a built-in synthetic data set", TRAIN | EVAL, 1},
    {"--text", kText, FIELD(text_path), 0, 0, {0}, "FILE",
     "a UTF-8 text to train on (or to tokenize), through the tokenizer",
     "none",
     TRAIN | EVAL | TOKENIZE, 1},
    {"--tokenizer", kText, FIELD(tokenizer), 0, 0, {0}, "DIR",
     "GPT-2 byte-level BPE from Hugging Face's vocab.json + merges.txt (or "
     "tokenizer.json)",
     "bytes: one token per byte", TRAIN | EVAL | TEXT_IO | SAMPLE, 1},
    {"--data-order", kChoice, FIELD(data_order), 0, 0,
     {"random", "sequential", 0}, "ORDER",
     "random windows (from --seed) or sequential ones (docs/data.md)", 0,
     TRAIN, 1},
    {"--val-fraction", kNumber, FIELD(val_fraction), 0, 0.9, {0}, "F",
     "hold out the last fraction F of the data for validation", 0,
     TRAIN | EVAL, 1},
    {"--val-data", kText, FIELD(val_data), 0, 0, {0}, "FILE",
     "validation data, of the training data's kind", "none", TRAIN | EVAL, 1},
    {"--eval-every", kInteger, FIELD(eval_every), 0, HUGE_COUNT, {0}, "N",
     "print the validation loss every N steps (0: after the last step only)",
     0, TRAIN, 0},
    {"--eval-batches", kInteger, FIELD(eval_batches), 0, HUGE_COUNT, {0}, "N",
     "batches of the validation split per evaluation (0: all of it)", 0,
     TRAIN | EVAL, 0},
    {"--init-from", kText, FIELD(init_from), 0, 0, {0}, "FILE",
     "load the parameters from a safetensors file (or a checkpoint's), by "
     "name",
     "none", TRAIN | EVAL | SAMPLE, 0},
    {"--save", kText, FIELD(save_path), 0, 0, {0}, "FILE",
     "write the trained parameters to a safetensors file", "none", TRAIN, 0},
    {"--save-dtype", kChoice, FIELD(save_dtype), 0, 0, {"f32", "bf16", 0},
     "TYPE", "f32 or bf16 (half the size, for inference) for --save's file; "
     "checkpoints stay f32 so that a resume is exact", 0, TRAIN, 0},
    {"--checkpoint-dir", kText, FIELD(checkpoint_dir), 0, 0, {0}, "DIR",
     "where checkpoints go (and --resume, eval and sample read the newest)",
     "none", TRAIN | EVAL | SAMPLE, 0},
    {"--checkpoint-every", kInteger, FIELD(checkpoint_every), 0, HUGE_COUNT,
     {0}, "N", "write a checkpoint every N steps (0: after the last step only)",
     0, TRAIN, 0},
    {"--keep-checkpoints", kInteger, FIELD(keep_checkpoints), 1, HUGE_COUNT,
     {0}, "N", "keep the newest N checkpoints", 0, TRAIN, 0},
    {"--resume", kSwitch, FIELD(resume), 0, 0, {0}, NULL,
     "continue from the newest complete checkpoint in --checkpoint-dir",
     "off", TRAIN, 0},
    {"--metrics", kText, FIELD(metrics_path), 0, 0, {0}, "FILE",
     "append one JSON record per step and per evaluation (scripts/"
     "plot_metrics.py draws them)",
     "none", TRAIN, 0},
    {"--print-every", kInteger, FIELD(print_every), 1, HUGE_COUNT, {0}, "N",
     "print every Nth step", 0, TRAIN, 0},
    {"--threads", kInteger, FIELD(threads), 1, 1024, {0}, "N",
     "worker threads", "OpenMP's choice", TRAIN | EVAL | SAMPLE, 0},
    {"--prompt", kText, FIELD(prompt), 0, 0, {0}, "TEXT",
     "the text samples continue, through the tokenizer",
     "none for sample; a newline for train", TRAIN | SAMPLE, 0},
    {"--prompt-tokens", kText, FIELD(prompt_tokens), 0, 0, {0}, "IDS",
     "the prompt as token ids, comma-separated (1,2,3)", "none",
     TRAIN | SAMPLE, 0},
    {"--max-tokens", kInteger, FIELD(max_tokens), 1, HUGE_COUNT, {0}, "N",
     "tokens each sample generates, fewer when it reaches the model's "
     "context",
     "256 for sample, 64 for train", TRAIN | SAMPLE, 0},
    {"--temperature", kNumber, FIELD(temperature), 0, 1e6, {0}, "X",
     "divides the logits before the softmax (0: always the most likely "
     "token)",
     0, TRAIN | SAMPLE, 0},
    {"--top-k", kInteger, FIELD(top_k), 0, HUGE_COUNT, {0}, "K",
     "sample among the K most likely tokens (0: all)", 0, TRAIN | SAMPLE, 0},
    {"--top-p", kNumber, FIELD(top_p), 0, 1, {0}, "P",
     "sample among the fewest most likely tokens whose probability reaches "
     "P (1: all)",
     0, TRAIN | SAMPLE, 0},
    {"--num-samples", kInteger, FIELD(num_samples), 1, HUGE_COUNT, {0}, "N",
     "samples of the prompt, generated in groups of the compiled batch", 0,
     SAMPLE, 0},
    {"--print-tokens", kSwitch, FIELD(print_tokens), 0, 0, {0}, NULL,
     "print token ids, one sample per line, instead of text", "off", SAMPLE,
     0},
    {"--save-logits", kText, FIELD(save_logits), 0, 0, {0}, "FILE",
     "write every position's logits as a float32 .npy array [samples, "
     "positions, vocab]",
     "none", SAMPLE, 0},
    {"--sample-every", kInteger, FIELD(sample_every), 0, HUGE_COUNT, {0}, "N",
     "print a sample of the model every N steps (0: never)", 0, TRAIN, 0},
    {"--grad-check", kSwitch, FIELD(grad_check), 0, 0, {0}, NULL,
     "compare the gradients with finite differences of the loss and exit "
     "(needs an fp64 build: loomc --precision=fp64)",
     "off", TRAIN, 0},
    {"--info", kSwitch, FIELD(info), 0, 0, {0}, NULL,
     "describe the model's tensors and exit (as the info subcommand)", "off",
     TRAIN, 0},
};
#undef FIELD

static const size_t kNumFlags = sizeof(kFlags) / sizeof(kFlags[0]);

/* The field's value as text: exact for numbers, so that a checkpoint's
 * settings compare equal only when they are. */
static void format_value(const flag_info *flag, const loom_options *options,
                         int exact, char *out, size_t size) {
  const char *field = (const char *)options + flag->offset;
  switch (flag->kind) {
  case kInteger:
    if (strcmp(flag->name, "--threads") == 0)
      snprintf(out, size, "%d", *(const int *)field);
    else if (strcmp(flag->name, "--seed") == 0)
      snprintf(out, size, "%llu",
               (unsigned long long)*(const uint64_t *)field);
    else
      snprintf(out, size, "%lld", (long long)*(const int64_t *)field);
    return;
  case kNumber: {
    double value = *(const double *)field;
    if (strcmp(flag->name, "--lr") == 0)
      value = loom_learning_rate(options);
    snprintf(out, size, exact ? "%.17g" : "%g", value);
    return;
  }
  case kText:
  case kChoice: {
    const char *text = *(const char *const *)field;
    snprintf(out, size, "%s", text ? text : "");
    return;
  }
  case kSwitch:
    snprintf(out, size, "%s", *(const int *)field ? "on" : "off");
    return;
  }
}

void loom_each_run_setting(const loom_options *options,
                           void (*visit)(const char *flag, const char *value,
                                         void *context),
                           void *context) {
  char value[4096];
  for (size_t f = 0; f < kNumFlags; ++f) {
    if (!kFlags[f].run_setting)
      continue;
    /* A constant rate does not depend on the length of the run, which may
     * then grow when it resumes. */
    if (strcmp(kFlags[f].name, "--steps") == 0 &&
        strcmp(options->schedule, "constant") == 0)
      continue;
    format_value(&kFlags[f], options, 1, value, sizeof(value));
    visit(kFlags[f].name, value, context);
  }
}

/* Prints `text` from column `indent`, wrapped before column 79. */
static void print_wrapped(const char *text, int column, int indent, FILE *out) {
  while (*text) {
    int room = 79 - column;
    int length = (int)strlen(text);
    int cut = length;
    if (length > room) {
      cut = room;
      while (cut > 0 && text[cut] != ' ')
        --cut;
      if (cut == 0)
        cut = room;
    }
    fprintf(out, "%.*s\n", cut, text);
    text += cut;
    while (*text == ' ')
      ++text;
    if (*text)
      fprintf(out, "%*s", indent, "");
    column = indent;
  }
}

static void print_help(loom_subcommand subcommand, int named,
                       const char *program, FILE *out) {
  loom_options defaults;
  loom_default_options(&defaults);
  if (!named) {
    fprintf(out, "usage: %s [SUBCOMMAND] [flags]\n\nSubcommands (%s "
                 "SUBCOMMAND --help lists a subcommand's flags):\n",
            program, program);
    for (int s = 0; s < LOOM_NUM_SUBCOMMANDS; ++s)
      fprintf(out, "  %-12s %s\n", kSubcommands[s].name, kSubcommands[s].summary);
    fprintf(out, "\nFlags of train:\n");
  } else {
    fprintf(out, "usage: %s %s [flags]\n%c%s.\n\nFlags:\n", program,
            kSubcommands[subcommand].name,
            kSubcommands[subcommand].summary[0] - 'a' + 'A',
            kSubcommands[subcommand].summary + 1);
  }
  for (size_t f = 0; f < kNumFlags; ++f) {
    const flag_info *flag = &kFlags[f];
    if (!(flag->subcommands & (1u << subcommand)))
      continue;
    char left[64], value[96], help[512];
    snprintf(left, sizeof(left), "%s%s%s", flag->name,
             flag->value_name ? " " : "",
             flag->value_name ? flag->value_name : "");
    if (flag->default_text)
      snprintf(value, sizeof(value), "%s", flag->default_text);
    else
      format_value(flag, &defaults, 0, value, sizeof(value));
    snprintf(help, sizeof(help), "%s (default %s)", flag->help, value);
    fprintf(out, "  %-22s ", left);
    print_wrapped(help, 25, 25, out);
  }
  fprintf(out, "  %-22s this text\n", "--help");
}

/* Parses `text` as a finite number in [min, max], or (min, max] when
 * `open_min`. */
static int parse_number(const char *flag, const char *text, double min,
                        double max, int open_min, double *out,
                        const char *program, FILE *err) {
  char *end = NULL;
  errno = 0;
  double value = strtod(text, &end);
  if (end == text || *end != '\0' || errno != 0 || !isfinite(value)) {
    fprintf(err, "%s: error: %s: '%s' is not a number\n", program, flag, text);
    return -1;
  }
  if (value < min || (open_min && value == min) || value > max) {
    fprintf(err, "%s: error: %s: %s is out of range %c%g, %g]\n", program,
            flag, text, open_min ? '(' : '[', min, max);
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

static int set_value(const flag_info *flag, const char *value,
                     loom_options *options, const char *program, FILE *err) {
  char *field = (char *)options + flag->offset;
  switch (flag->kind) {
  case kInteger: {
    long long integer = 0;
    /* A double cannot hold LLONG_MAX; anything at 2^63 means "no limit". */
    long long max = flag->max >= INT64_LIMIT ? LLONG_MAX : (long long)flag->max;
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
    /* A nucleus of probability 0 would hold no token. */
    return parse_number(flag->name, value, flag->min, flag->max,
                        strcmp(flag->name, "--top-p") == 0, (double *)field,
                        program, err);
  case kText:
    if (*value == '\0') {
      const char *what = strcmp(flag->value_name, "DIR") == 0    ? "directory"
                         : strcmp(flag->value_name, "TEXT") == 0 ? "text"
                         : strcmp(flag->value_name, "IDS") == 0
                             ? "list of token ids"
                             : "file name";
      fprintf(err, "%s: error: %s needs a %s\n", program, flag->name, what);
      return -1;
    }
    *(const char **)field = value;
    return 0;
  case kChoice:
    for (int c = 0; c < 4 && flag->choices[c]; ++c) {
      if (strcmp(value, flag->choices[c]) == 0) {
        *(const char **)field = flag->choices[c];
        return 0;
      }
    }
    fprintf(err, "%s: error: %s: '%s' is not one of", program, flag->name,
            value);
    for (int c = 0; c < 4 && flag->choices[c]; ++c)
      fprintf(err, "%s %s", c ? "," : "", flag->choices[c]);
    fprintf(err, "\n");
    return -1;
  case kSwitch:
    *(int *)field = 1;
    return 0;
  }
  return -1;
}

/* Combinations no single flag's range can refuse. */
static int check_combinations(const loom_options *o, const char *program,
                              FILE *err) {
  const char *conflict = NULL;
  if (o->data_path && o->text_path)
    conflict = "--data and --text: train on one of them";
  else if (o->val_fraction > 0 && o->val_data)
    conflict = "--val-fraction and --val-data: hold out one of them";
  else if (o->resume && !o->checkpoint_dir)
    conflict = "--resume needs --checkpoint-dir";
  else if (o->resume && o->init_from)
    conflict = "--resume and --init-from: a resumed run's parameters are "
               "the checkpoint's";
  else if (o->checkpoint_every > 0 && !o->checkpoint_dir)
    conflict = "--checkpoint-every needs --checkpoint-dir";
  else if (o->tokenizer && o->data_path)
    conflict = "--tokenizer applies to --text; a --data token file is "
               "already tokens";
  else if (o->subcommand == LOOM_EVAL && !o->init_from && !o->checkpoint_dir)
    conflict = "eval needs --checkpoint-dir (its newest checkpoint) or "
               "--init-from FILE";
  else if (o->subcommand == LOOM_EVAL && o->init_from && o->checkpoint_dir)
    conflict = "eval: --init-from and --checkpoint-dir: evaluate one of them";
  else if (!isnan(o->lr) && o->lr_min > o->lr)
    conflict = "--lr-min is above --lr";
  else if (o->prompt && o->prompt_tokens)
    conflict = "--prompt and --prompt-tokens: give the prompt one way";
  else if (o->subcommand == LOOM_SAMPLE && !o->prompt && !o->prompt_tokens)
    conflict = "sample needs a prompt: --prompt TEXT or --prompt-tokens IDS";
  else if (o->subcommand == LOOM_SAMPLE && o->init_from && o->checkpoint_dir)
    conflict = "sample: --init-from and --checkpoint-dir: sample from one of "
               "them";
  if (!conflict)
    return 0;
  fprintf(err, "%s: error: %s\n", program, conflict);
  return -1;
}

loom_flags_result loom_parse_flags(int argc, char **argv, loom_options *options,
                                   const char *program, FILE *out, FILE *err) {
  int first = 1, named = 0;
  if (argc > 1 && strncmp(argv[1], "-", 1) != 0) {
    int s = 0;
    while (s < LOOM_NUM_SUBCOMMANDS && strcmp(argv[1], kSubcommands[s].name))
      ++s;
    if (s == LOOM_NUM_SUBCOMMANDS) {
      fprintf(err, "%s: error: unknown subcommand '%s' (see --help)\n",
              program, argv[1]);
      return LOOM_FLAGS_ERROR;
    }
    options->subcommand = (loom_subcommand)s;
    first = 2;
    named = 1;
  }
  const char *subcommand = kSubcommands[options->subcommand].name;
  for (int i = first; i < argc; ++i) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      print_help(options->subcommand, named, program, out);
      return LOOM_FLAGS_HELP;
    }
    /* "--flag value" or "--flag=value". */
    if (strncmp(arg, "--", 2) != 0) {
      fprintf(err, "%s: error: unexpected argument '%s' (see --help)\n",
              program, arg);
      return LOOM_FLAGS_ERROR;
    }
    const char *equals = strchr(arg, '=');
    size_t length = equals ? (size_t)(equals - arg) : strlen(arg);
    const flag_info *flag = NULL;
    for (size_t f = 0; f < kNumFlags; ++f)
      if (strlen(kFlags[f].name) == length &&
          strncmp(kFlags[f].name, arg, length) == 0)
        flag = &kFlags[f];
    if (!flag) {
      fprintf(err, "%s: error: unknown flag '%.*s' (see --help)\n", program,
              (int)length, arg);
      return LOOM_FLAGS_ERROR;
    }
    if (!(flag->subcommands & (1u << options->subcommand))) {
      fprintf(err, "%s: error: %s does not take %s (see %s %s --help)\n",
              program, subcommand, flag->name, program, subcommand);
      return LOOM_FLAGS_ERROR;
    }
    const char *value = equals ? equals + 1 : NULL;
    if (flag->kind == kSwitch) {
      if (value) {
        fprintf(err, "%s: error: %s takes no value\n", program, flag->name);
        return LOOM_FLAGS_ERROR;
      }
      value = "";
    } else if (!value) {
      if (i + 1 >= argc) {
        fprintf(err, "%s: error: %s needs a value\n", program, flag->name);
        return LOOM_FLAGS_ERROR;
      }
      value = argv[++i];
    }
    if (set_value(flag, value, options, program, err) != 0)
      return LOOM_FLAGS_ERROR;
  }
  if (options->info)
    options->subcommand = LOOM_INFO;
  return check_combinations(options, program, err) == 0 ? LOOM_FLAGS_OK
                                                        : LOOM_FLAGS_ERROR;
}
