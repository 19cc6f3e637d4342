/*===- data_tokens.c - Windows of a token file ------------------------===*/

#include "data_source.h"

#include "tokens.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct {
  loom_token_file file;
  int64_t step; /* of the next batch, for the sequential order */
} token_windows;

static void free_windows(void *state) {
  token_windows *windows = state;
  loom_tokens_free(&windows->file);
  free(windows);
}

static void next_windows(void *state, const loom_data_layout *layout,
                         void *ids, void *targets) {
  token_windows *windows = state;
  loom_tokens_batch(&windows->file, windows->step, layout->batch, layout->seq,
                    ids, targets);
  ++windows->step;
}

static const loom_data_source kWindows = {next_windows, free_windows};

loom_dataset *loom_token_windows_open(const char *path,
                                      const loom_data_layout *layout,
                                      char *err, size_t err_size) {
  token_windows *windows = calloc(1, sizeof(token_windows));
  if (!windows) {
    snprintf(err, err_size, "%s: out of memory", path);
    return NULL;
  }
  if (loom_tokens_read(path, layout->vocab, &windows->file, err, err_size) !=
      0) {
    free(windows);
    return NULL;
  }
  if (loom_tokens_windows(&windows->file, layout->seq) < 1) {
    snprintf(err, err_size,
             "%s: %lld tokens; a window of the model's sequence length %lld "
             "needs %lld (its tokens and one more target)",
             path, (long long)windows->file.count, (long long)layout->seq,
             (long long)layout->seq + 1);
    free_windows(windows);
    return NULL;
  }
  loom_dataset *data =
      loom_dataset_new(layout, &kWindows, windows, windows->file.count);
  if (!data)
    snprintf(err, err_size, "%s: out of memory", path);
  return data;
}
