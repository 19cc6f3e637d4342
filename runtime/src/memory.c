/*===- memory.c - What happens when the compiled step runs out of memory -===*/

#include "loom/runtime/abi.h"

#include <stdio.h>
#include <stdlib.h>

void loom_out_of_memory(int64_t bytes) {
  fprintf(stderr,
          "%s: error: out of memory: the training step could not allocate "
          "%lld bytes for an intermediate tensor\n",
          loom_model.model_name, (long long)bytes);
  exit(1);
}
