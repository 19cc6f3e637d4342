/*===- fuzz_checkpoint.c - libFuzzer target: a checkpoint's state.json ---===*
 *
 * loom_checkpoint_load (what --resume and --init-from of a checkpoint run)
 * on a checkpoint whose state.json is any bytes and whose tensors are a
 * small model's, saved once at start-up. The state names the model, its
 * tensor table, the tensors file's size and hash, the run's position and
 * settings: whatever it says, loading must succeed or refuse naming the
 * file, never read or write out of bounds, and never touch the model's
 * tensors unless the whole checkpoint checks out.
 *
 * LOOM_FUZZ_CHECKPOINT_SEED=FILE writes the valid state.json it starts from
 * to FILE (corpus/checkpoint/state.json was made so).
 *
 *===----------------------------------------------------------------------===*/

#include "checkpoint.h"
#include "fuzz_input_file.h"
#include "flags.h"
#include "read_file.h"
#include "tensors.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One parameter, its gradient and SGD's momentum for it. */
enum { kParam = 0, kState = 2, kElements = 12 };
static const int64_t kShape[] = {3, 4};
static const loom_tensor_info kTable[] = {
    {"w", LOOM_ROLE_PARAM, LOOM_DTYPE_F32, 2, LOOM_INIT_NORMAL, kShape, 0.5, 0, 0, -1},
    {"w", LOOM_ROLE_GRAD, LOOM_DTYPE_F32, 2, LOOM_INIT_ZEROS, kShape, 0, 0, 0, -1},
    {"w.momentum_buffer", LOOM_ROLE_STATE, LOOM_DTYPE_F32, 2, LOOM_INIT_ZEROS, kShape, 0, 0, 0,
     0},
};
static const char *const kHyper[] = {"lr", "momentum"};
static const loom_optimizer_info kSgd = {"sgd", 2, kHyper};
static const loom_model_info kModel = {.abi_version = LOOM_ABI_VERSION,
                                       .num_tensors = 3,
                                       .tensors = kTable,
                                       .model_name = "fuzz",
                                       .fused = 1,
                                       .num_optimizers = 1,
                                       .optimizers = &kSgd};

static loom_tensors tensors;
static loom_options options;
static char directory[64], checkpoint[4096], state_path[4200];
static float saved[2][kElements]; /* the parameter and the state saved */
static const int kSaved[2] = {kParam, kState};

static void remove_checkpoint(void) {
  char path[4300];
  snprintf(path, sizeof path, "%s/model.safetensors", checkpoint);
  unlink(path);
  unlink(state_path);
  rmdir(checkpoint);
  rmdir(directory);
}

/* Saves the checkpoint every input starts from. */
static int set_up(void) {
  char err[512];
  snprintf(directory, sizeof directory, "/tmp/loom-fuzz-checkpoint-%ld", (long)getpid());
  loom_default_options(&options);
  if (loom_tensors_alloc(&tensors, &kModel, 0) != 0)
    return -1;
  loom_tensors_init(&tensors, 1);
  for (int i = 0; i < kElements; ++i)
    ((float *)tensors.buffers[kState])[i] = 0.25f * (float)i;
  for (int t = 0; t < 2; ++t)
    memcpy(saved[t], tensors.buffers[kSaved[t]], sizeof saved[t]);
  loom_run_position position = {7, 7, 56};
  if (loom_checkpoint_save(directory, &tensors, 0, &position, &options, 1, err, sizeof err) !=
          0 ||
      loom_checkpoint_newest(directory, checkpoint, sizeof checkpoint, err, sizeof err) != 1) {
    fprintf(stderr, "loom-fuzz-checkpoint: cannot save its checkpoint: %s\n", err);
    return -1;
  }
  atexit(remove_checkpoint);
  snprintf(state_path, sizeof state_path, "%s/state.json", checkpoint);
  /* The checkpoint as saved must load, or every input is refused for a
   * reason that has nothing to do with it. */
  loom_run_position loaded;
  if (loom_checkpoint_load(checkpoint, &tensors, 0, &options, &loaded, err, sizeof err) != 0 ||
      loaded.step != position.step) {
    fprintf(stderr, "loom-fuzz-checkpoint: its own checkpoint does not load: %s\n", err);
    return -1;
  }
  const char *seed = getenv("LOOM_FUZZ_CHECKPOINT_SEED");
  if (seed) {
    FILE *in = fopen(state_path, "rb");
    size_t size = 0;
    char *text = in ? loom_read_all(in, &size) : NULL;
    int written = text && fuzz_write_file(seed, (const uint8_t *)text, size) == 0;
    free(text);
    if (in)
      fclose(in);
    if (!written)
      return -1;
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready = -1;
  if (ready < 0)
    ready = set_up() == 0;
  if (!ready)
    abort(); /* no checkpoint to fuzz: the run would test nothing */
  if (fuzz_write_file(state_path, data, size) != 0)
    return 0;
  for (int t = 0; t < 2; ++t)
    memset(tensors.buffers[kSaved[t]], 0, sizeof saved[t]);
  loom_run_position position;
  char err[1024];
  int loaded =
      loom_checkpoint_load(checkpoint, &tensors, 0, &options, &position, err, sizeof err) == 0;
  for (int t = 0; t < 2; ++t) {
    const float *now = tensors.buffers[kSaved[t]];
    for (int i = 0; i < kElements; ++i)
      if (loaded ? now[i] != saved[t][i] : now[i] != 0)
        abort(); /* loaded other tensors than were saved, or refused but wrote */
  }
  return 0;
}
