/*===- flags.c - Command-line flags of a training executable ------------===*/

#include "flags.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void loom_default_options(loom_options *options) {
  options->steps = 100;
  options->lr = 0.05;
  options->momentum = 0.9;
  options->seed = 0;
  options->data_path = NULL;
  options->print_every = 1;
  options->threads = 0;
  options->grad_check = 0;
  options->info = 0;
}

static void print_help(const char *program, FILE *out) {
  fprintf(out,
          "usage: %s [flags]\n"
          "Trains the model this executable was compiled from, printing the "
          "loss of every step.\n\n"
          "  --steps N        training steps (default 100)\n"
          "  --lr X           learning rate (default 0.05)\n"
          "  --momentum X     SGD momentum (default 0.9)\n"
          "  --seed N         seed of the parameters' initialization and of "
          "the synthetic data (default 0)\n"
          "  --data FILE      training data: a .csv file, or a binary file "
          "in Loom's data layout\n"
          "                   (docs/data.md); without it, a built-in "
          "synthetic data set that the model can learn\n"
          "  --print-every N  print every Nth step (default 1)\n"
          "  --threads N      worker threads (default: OpenMP's choice)\n"
          "  --grad-check     compare the gradients with finite differences "
          "of the loss and exit\n"
          "  --info           describe the model's tensors and exit\n"
          "  --help           this text\n",
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
    char name[64];
    const char *value = NULL;
    const char *equals = strchr(arg, '=');
    if (strncmp(arg, "--", 2) != 0) {
      fprintf(err, "%s: error: unexpected argument '%s' (see --help)\n",
              program, arg);
      return LOOM_FLAGS_ERROR;
    }
    if (equals) {
      size_t length = (size_t)(equals - arg);
      if (length >= sizeof(name))
        length = sizeof(name) - 1;
      memcpy(name, arg, length);
      name[length] = '\0';
      value = equals + 1;
    } else {
      snprintf(name, sizeof(name), "%s", arg);
    }
    int known = strcmp(name, "--steps") == 0 || strcmp(name, "--lr") == 0 ||
                strcmp(name, "--momentum") == 0 ||
                strcmp(name, "--seed") == 0 || strcmp(name, "--data") == 0 ||
                strcmp(name, "--print-every") == 0 ||
                strcmp(name, "--threads") == 0;
    if (!known) {
      fprintf(err, "%s: error: unknown flag '%s' (see --help)\n", program, name);
      return LOOM_FLAGS_ERROR;
    }
    if (!value) {
      if (i + 1 >= argc) {
        fprintf(err, "%s: error: %s needs a value\n", program, name);
        return LOOM_FLAGS_ERROR;
      }
      value = argv[++i];
    }
    long long integer = 0;
    int failed = 0;
    if (strcmp(name, "--steps") == 0) {
      failed = parse_integer(name, value, 0, 1LL << 40, &integer, program, err);
      options->steps = integer;
    } else if (strcmp(name, "--lr") == 0) {
      failed = parse_number(name, value, 0.0, 1e6, &options->lr, program, err);
    } else if (strcmp(name, "--momentum") == 0) {
      failed = parse_number(name, value, 0.0, 1.0, &options->momentum, program,
                            err);
    } else if (strcmp(name, "--seed") == 0) {
      failed = parse_integer(name, value, 0, 0x7fffffffffffffffLL, &integer,
                             program, err);
      options->seed = (uint64_t)integer;
    } else if (strcmp(name, "--data") == 0) {
      if (*value == '\0') {
        fprintf(err, "%s: error: --data needs a file name\n", program);
        return LOOM_FLAGS_ERROR;
      }
      options->data_path = value;
    } else if (strcmp(name, "--print-every") == 0) {
      failed = parse_integer(name, value, 1, 1LL << 40, &integer, program, err);
      options->print_every = integer;
    } else if (strcmp(name, "--threads") == 0) {
      failed = parse_integer(name, value, 1, 1024, &integer, program, err);
      options->threads = (int)integer;
    }
    if (failed)
      return LOOM_FLAGS_ERROR;
  }
  return LOOM_FLAGS_OK;
}
