/*===- fuzz_flags.c - libFuzzer target: the executable's flag parser ------===*
 *
 * loom_parse_flags on any argument list: the input's NUL bytes separate
 * the arguments (after the program's name). It must accept the flags, print
 * help or refuse naming the flag, never read past an argument or the list;
 * what it accepts must be a complete set of settings a checkpoint can record.
 *
 *===----------------------------------------------------------------------===*/

#include "flags.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kMaxArguments = 64 };

static void measure_setting(const char *flag, const char *value, void *context) {
  if (!flag || !value)
    abort(); /* every recorded setting has a flag and a value */
  *(size_t *)context += strlen(flag) + strlen(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FILE *sink;
  if (!sink && !(sink = fopen("/dev/null", "w")))
    return 0;
  /* Each argument its own allocation, so that reading past one is caught. */
  static char program[] = "loom-fuzz-flags";
  char *argv[kMaxArguments + 2] = {program};
  int argc = 1;
  for (size_t start = 0; start <= size && argc <= kMaxArguments;) {
    const uint8_t *end = memchr(data + start, 0, size - start);
    size_t length = end ? (size_t)(end - (data + start)) : size - start;
    argv[argc] = malloc(length + 1);
    if (!argv[argc])
      break;
    memcpy(argv[argc], data + start, length);
    argv[argc++][length] = '\0';
    start += length + 1;
  }
  argv[argc] = NULL;
  loom_options options;
  loom_default_options(&options);
  if (loom_parse_flags(argc, argv, &options, "loom-fuzz-flags", sink, sink) ==
      LOOM_FLAGS_OK) {
    size_t total = 0;
    loom_each_run_setting(&options, measure_setting, &total);
    if (options.subcommand >= LOOM_NUM_SUBCOMMANDS)
      abort();
  }
  for (int i = 1; i < argc; ++i)
    free(argv[i]);
  return 0;
}
