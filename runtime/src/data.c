/*===- data.c - Training data: synthetic, CSV or binary files -----------===*/

#define _POSIX_C_SOURCE 200809L

#include "data.h"

#include "rng.h"
#include "tensors.h"
#include "tokens.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct loom_dataset {
  loom_data_layout layout;
  /* File data: all samples, features then targets. */
  int64_t samples;
  float *features;
  int32_t *labels;
  float *values;
  int64_t next;
  /* Synthetic data: the teacher T [features, classes or width], and one
   * sample's scores x·T. */
  int synthetic;
  float *teacher;
  int64_t teacher_width;
  double *scores;
  loom_rng rng;
  /* Token windows: the file and the step of the next batch, or for
   * synthetic data the successor graph [vocab][kSuccessors]. */
  loom_token_file token_file;
  int64_t step;
  int32_t *successors;
};

enum { kSuccessors = 4 };

/* Two i32 [batch, seq] inputs: token ids, then targets. */
static int token_layout_of(const loom_model_info *model, const int *inputs,
                           int count, loom_data_layout *layout) {
  if (count != 2)
    return -1;
  const loom_tensor_info *ids = &model->tensors[inputs[0]];
  const loom_tensor_info *targets = &model->tensors[inputs[1]];
  if (ids->dtype != LOOM_DTYPE_I32 || targets->dtype != LOOM_DTYPE_I32 ||
      ids->rank != 2 || targets->rank != 2 ||
      ids->shape[0] != targets->shape[0] || ids->shape[1] != targets->shape[1])
    return -1;
  /* A token is both an input id and a target, so it must fit both. */
  int64_t vocab = 65536; /* token files hold uint16 */
  if (ids->index_bound > 0 && ids->index_bound < vocab)
    vocab = ids->index_bound;
  if (targets->index_bound > 0 && targets->index_bound < vocab)
    vocab = targets->index_bound;
  memset(layout, 0, sizeof(*layout));
  layout->tokens = 1;
  layout->features_index = inputs[0];
  layout->target_index = inputs[1];
  layout->batch = ids->shape[0];
  layout->seq = ids->shape[1];
  layout->vocab = vocab;
  return 0;
}

int loom_data_layout_of(const loom_model_info *model, loom_data_layout *layout,
                        char *err, size_t err_size) {
  int inputs[2], count = 0;
  for (int32_t i = 0; i < model->num_tensors; ++i) {
    if (model->tensors[i].role != LOOM_ROLE_INPUT)
      continue;
    if (count < 2)
      inputs[count] = i;
    ++count;
  }
  if (token_layout_of(model, inputs, count, layout) == 0)
    return 0;
  const loom_tensor_info *a = count == 2 ? &model->tensors[inputs[0]] : NULL;
  const loom_tensor_info *b = count == 2 ? &model->tensors[inputs[1]] : NULL;
  /* The features are the f32 matrix; the target is the other input. */
  if (a && b && !(a->dtype == LOOM_DTYPE_F32 && a->rank == 2)) {
    const loom_tensor_info *t = a;
    a = b;
    b = t;
    int s = inputs[0];
    inputs[0] = inputs[1];
    inputs[1] = s;
  }
  int fits = a && b && a->dtype == LOOM_DTYPE_F32 && a->rank == 2 &&
             b->shape[0] == a->shape[0] &&
             ((b->dtype == LOOM_DTYPE_I32 && b->rank == 1 && b->index_bound > 0) ||
              (b->dtype == LOOM_DTYPE_F32 && b->rank == 2));
  if (!fits) {
    snprintf(err, err_size,
             "the data loader feeds models with two inputs, either f32 "
             "[batch, features] and a target (i32 [batch] class labels or f32 "
             "[batch, width] values), or i32 [batch, seq] token ids and "
             "targets; this model's %d input%s fit neither",
             count, count == 1 ? "" : "s");
    return -1;
  }
  memset(layout, 0, sizeof(*layout));
  layout->features_index = inputs[0];
  layout->target_index = inputs[1];
  layout->batch = a->shape[0];
  layout->features = a->shape[1];
  layout->classification = b->dtype == LOOM_DTYPE_I32;
  layout->classes = layout->classification ? b->index_bound : 0;
  layout->target_width = layout->classification ? 1 : b->shape[1];
  return 0;
}

static loom_dataset *synthetic_tokens(loom_dataset *data, uint64_t seed) {
  int64_t vocab = data->layout.vocab;
  data->successors = malloc((size_t)(vocab * kSuccessors) * sizeof(int32_t));
  if (!data->successors) {
    free(data);
    return NULL;
  }
  loom_rng rng;
  loom_rng_seed(&rng, seed, "synthetic-token-graph");
  for (int64_t i = 0; i < vocab * kSuccessors; ++i)
    data->successors[i] = (int32_t)(loom_rng_next(&rng) % (uint64_t)vocab);
  loom_rng_seed(&data->rng, seed, "synthetic-token-walks");
  return data;
}

static void synthetic_token_batch(loom_dataset *data, int32_t *ids,
                                  int32_t *targets) {
  const loom_data_layout *layout = &data->layout;
  for (int64_t b = 0; b < layout->batch; ++b) {
    int32_t token =
        (int32_t)(loom_rng_next(&data->rng) % (uint64_t)layout->vocab);
    for (int64_t t = 0; t < layout->seq; ++t) {
      int32_t next = data->successors[token * kSuccessors +
                                      loom_rng_next(&data->rng) % kSuccessors];
      ids[b * layout->seq + t] = token;
      targets[b * layout->seq + t] = next;
      token = next;
    }
  }
}

loom_dataset *loom_data_synthetic(const loom_data_layout *layout,
                                  uint64_t seed) {
  loom_dataset *data = calloc(1, sizeof(loom_dataset));
  if (!data)
    return NULL;
  data->layout = *layout;
  data->synthetic = 1;
  if (layout->tokens)
    return synthetic_tokens(data, seed);
  data->teacher_width =
      layout->classification ? layout->classes : layout->target_width;
  int64_t n = layout->features * data->teacher_width;
  data->teacher = malloc((size_t)n * sizeof(float));
  data->scores = malloc((size_t)data->teacher_width * sizeof(double));
  if (!data->teacher || !data->scores) {
    free(data->teacher);
    free(data->scores);
    free(data);
    return NULL;
  }
  loom_rng rng;
  loom_rng_seed(&rng, seed, "synthetic-data-teacher");
  /* Scaled so that x·T has unit variance per output. */
  double scale = 1.0 / sqrt((double)layout->features);
  for (int64_t i = 0; i < n; ++i)
    data->teacher[i] = (float)(scale * loom_rng_normal(&rng));
  loom_rng_seed(&data->rng, seed, "synthetic-data-samples");
  return data;
}

static void synthetic_batch(loom_dataset *data, float *features,
                            void *targets) {
  const loom_data_layout *layout = &data->layout;
  int64_t f = layout->features, w = data->teacher_width;
  for (int64_t s = 0; s < layout->batch; ++s) {
    float *x = features + s * f;
    for (int64_t j = 0; j < f; ++j)
      x[j] = (float)loom_rng_normal(&data->rng);
    /* Row by row of T, which is stored by rows: each score still sums
     * over j in order, and T is read once per sample, not once per
     * score with a stride of a row (minutes per batch for 50k outputs). */
    double *scores = data->scores;
    for (int64_t c = 0; c < w; ++c)
      scores[c] = 0.0;
    for (int64_t j = 0; j < f; ++j) {
      const float *row = data->teacher + j * w;
      double xj = (double)x[j];
      for (int64_t c = 0; c < w; ++c)
        scores[c] += xj * row[c];
    }
    int64_t best = 0;
    double bestScore = -INFINITY;
    for (int64_t c = 0; c < w; ++c) {
      double score = scores[c];
      if (layout->classification) {
        if (score > bestScore) {
          bestScore = score;
          best = c;
        }
      } else {
        ((float *)targets)[s * w + c] = (float)tanh(score);
      }
    }
    if (layout->classification)
      ((int32_t *)targets)[s] = (int32_t)best;
  }
}

static loom_dataset *allocate_file_data(const loom_data_layout *layout,
                                        int64_t samples) {
  loom_dataset *data = calloc(1, sizeof(loom_dataset));
  if (!data)
    return NULL;
  data->layout = *layout;
  data->samples = samples;
  data->features = malloc((size_t)(samples * layout->features) * sizeof(float));
  if (layout->classification)
    data->labels = malloc((size_t)samples * sizeof(int32_t));
  else
    data->values =
        malloc((size_t)(samples * layout->target_width) * sizeof(float));
  if (!data->features || (!data->labels && !data->values)) {
    loom_data_free(data);
    return NULL;
  }
  return data;
}

/* Loom's binary layout, little-endian (docs/data.md):
 *   char magic[8] = "LOOMDATA"; u32 version = 1; u32 target_kind (0: i32
 *   labels, 1: f32 values); u64 samples; u64 features; u64 target_width;
 *   f32 features[samples][features];
 *   i32 labels[samples] or f32 values[samples][target_width]. */
static loom_dataset *read_binary(FILE *file, const char *path,
                                 const loom_data_layout *layout, char *err,
                                 size_t err_size) {
  unsigned char header[40];
  if (fseek(file, 0, SEEK_SET) != 0 ||
      fread(header, 1, sizeof(header), file) != sizeof(header)) {
    snprintf(err, err_size, "%s: truncated: the header needs 40 bytes", path);
    return NULL;
  }
  uint32_t version, kind;
  uint64_t samples, features, width;
  memcpy(&version, header + 8, 4);
  memcpy(&kind, header + 12, 4);
  memcpy(&samples, header + 16, 8);
  memcpy(&features, header + 24, 8);
  memcpy(&width, header + 32, 8);
  if (version != 1) {
    snprintf(err, err_size, "%s: unsupported version %u (expected 1)", path,
             version);
    return NULL;
  }
  if (kind != (layout->classification ? 0u : 1u)) {
    snprintf(err, err_size,
             "%s: holds %s, but the model trains on %s", path,
             kind == 0 ? "class labels" : "f32 target values",
             layout->classification ? "class labels" : "f32 target values");
    return NULL;
  }
  if (features != (uint64_t)layout->features ||
      width != (uint64_t)layout->target_width) {
    snprintf(err, err_size,
             "%s: samples have %llu features and %llu target values, but the "
             "model takes %lld features and %lld target value%s",
             path, (unsigned long long)features, (unsigned long long)width,
             (long long)layout->features, (long long)layout->target_width,
             layout->target_width == 1 ? "" : "s");
    return NULL;
  }
  if (samples == 0 || samples > (1ULL << 40)) {
    snprintf(err, err_size, "%s: %llu samples; expected at least one", path,
             (unsigned long long)samples);
    return NULL;
  }
  loom_dataset *data = allocate_file_data(layout, (int64_t)samples);
  if (!data) {
    snprintf(err, err_size, "%s: out of memory for %llu samples", path,
             (unsigned long long)samples);
    return NULL;
  }
  size_t featureCount = (size_t)(samples * features);
  size_t targetCount = (size_t)(samples * width);
  void *targets = layout->classification ? (void *)data->labels
                                         : (void *)data->values;
  if (fread(data->features, 4, featureCount, file) != featureCount ||
      fread(targets, 4, targetCount, file) != targetCount) {
    snprintf(err, err_size,
             "%s: truncated: the header announces %llu samples (%zu bytes of "
             "data after the header)",
             path, (unsigned long long)samples, 4 * (featureCount + targetCount));
    loom_data_free(data);
    return NULL;
  }
  if (fgetc(file) != EOF) {
    snprintf(err, err_size, "%s: has bytes after the %llu samples its header "
                            "announces", path, (unsigned long long)samples);
    loom_data_free(data);
    return NULL;
  }
  return data;
}

/* One sample per line: the features, then the label or target values,
 * separated by commas; blank lines and lines starting with '#' are skipped. */
static loom_dataset *read_csv(FILE *file, const char *path,
                              const loom_data_layout *layout, char *err,
                              size_t err_size) {
  int64_t columns = layout->features + layout->target_width;
  int64_t capacity = 1024, samples = 0;
  loom_dataset *data = allocate_file_data(layout, capacity);
  char *line = NULL;
  size_t lineCapacity = 0;
  long lineNumber = 0;
  double *row = malloc((size_t)columns * sizeof(double));
  if (!data || !row)
    goto oom;
  while (getline(&line, &lineCapacity, file) != -1) {
    ++lineNumber;
    char *p = line;
    while (*p == ' ' || *p == '\t')
      ++p;
    if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
      continue;
    int64_t count = 0;
    while (1) {
      char *end;
      errno = 0;
      double value = strtod(p, &end);
      if (end == p || errno != 0 || !isfinite(value)) {
        snprintf(err, err_size, "%s:%ld: value %lld is not a finite number",
                 path, lineNumber, (long long)count + 1);
        goto fail;
      }
      if (count < columns)
        row[count] = value;
      ++count;
      p = end;
      while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        ++p;
      if (*p == ',') {
        ++p;
        continue;
      }
      if (*p == '\0')
        break;
      snprintf(err, err_size, "%s:%ld: unexpected '%c' after value %lld", path,
               lineNumber, *p, (long long)count);
      goto fail;
    }
    if (count != columns) {
      snprintf(err, err_size,
               "%s:%ld: expected %lld values (%lld features and %s), found "
               "%lld",
               path, lineNumber, (long long)columns, (long long)layout->features,
               layout->classification ? "a label" : "the target values",
               (long long)count);
      goto fail;
    }
    if (samples == capacity) {
      capacity *= 2;
      float *features = realloc(data->features, (size_t)(capacity * layout->features) * sizeof(float));
      if (!features)
        goto oom;
      data->features = features;
      if (layout->classification) {
        int32_t *labels = realloc(data->labels, (size_t)capacity * sizeof(int32_t));
        if (!labels)
          goto oom;
        data->labels = labels;
      } else {
        float *values = realloc(data->values, (size_t)(capacity * layout->target_width) * sizeof(float));
        if (!values)
          goto oom;
        data->values = values;
      }
    }
    for (int64_t j = 0; j < layout->features; ++j)
      data->features[samples * layout->features + j] = (float)row[j];
    if (layout->classification) {
      double label = row[layout->features];
      if (label != floor(label) || label < 0 || label >= (double)layout->classes) {
        snprintf(err, err_size,
                 "%s:%ld: label %g is not a class index in [0, %lld)", path,
                 lineNumber, label, (long long)layout->classes);
        goto fail;
      }
      data->labels[samples] = (int32_t)label;
    } else {
      for (int64_t j = 0; j < layout->target_width; ++j)
        data->values[samples * layout->target_width + j] =
            (float)row[layout->features + j];
    }
    ++samples;
  }
  if (samples == 0) {
    snprintf(err, err_size, "%s: no samples", path);
    goto fail;
  }
  data->samples = samples;
  free(line);
  free(row);
  return data;
oom:
  snprintf(err, err_size, "%s: out of memory", path);
fail:
  free(line);
  free(row);
  loom_data_free(data);
  return NULL;
}

static int validate_labels(const loom_dataset *data, const char *path,
                           char *err, size_t err_size) {
  if (!data->layout.classification)
    return 0;
  for (int64_t s = 0; s < data->samples; ++s) {
    if (data->labels[s] < 0 || data->labels[s] >= data->layout.classes) {
      snprintf(err, err_size,
               "%s: sample %lld has label %d, outside the model's %lld "
               "classes [0, %lld)",
               path, (long long)s, data->labels[s],
               (long long)data->layout.classes, (long long)data->layout.classes);
      return -1;
    }
  }
  for (int64_t i = 0; i < data->samples * data->layout.features; ++i) {
    if (!isfinite(data->features[i])) {
      snprintf(err, err_size, "%s: sample %lld has a feature that is not finite",
               path, (long long)(i / data->layout.features));
      return -1;
    }
  }
  return 0;
}

static loom_dataset *open_tokens(const char *path,
                                 const loom_data_layout *layout, char *err,
                                 size_t err_size) {
  loom_dataset *data = calloc(1, sizeof(loom_dataset));
  if (!data) {
    snprintf(err, err_size, "%s: out of memory", path);
    return NULL;
  }
  data->layout = *layout;
  if (loom_tokens_read(path, layout->vocab, &data->token_file, err,
                       err_size) != 0) {
    free(data);
    return NULL;
  }
  if (loom_tokens_windows(&data->token_file, layout->seq) < 1) {
    snprintf(err, err_size,
             "%s: %lld tokens; a window of the model's sequence length %lld "
             "needs %lld (its tokens and one more target)",
             path, (long long)data->token_file.count, (long long)layout->seq,
             (long long)layout->seq + 1);
    loom_data_free(data);
    return NULL;
  }
  data->samples = data->token_file.count;
  return data;
}

loom_dataset *loom_data_open(const char *path, const loom_data_layout *layout,
                             char *err, size_t err_size) {
  if (layout->tokens)
    return open_tokens(path, layout, err, err_size);
  FILE *file = fopen(path, "rb");
  if (!file) {
    snprintf(err, err_size, "%s: %s", path, strerror(errno));
    return NULL;
  }
  char magic[8] = {0};
  size_t got = fread(magic, 1, sizeof(magic), file);
  loom_dataset *data;
  if (got == sizeof(magic) && memcmp(magic, "LOOMDATA", 8) == 0) {
    data = read_binary(file, path, layout, err, err_size);
  } else {
    rewind(file);
    data = read_csv(file, path, layout, err, err_size);
  }
  fclose(file);
  if (data && validate_labels(data, path, err, err_size) != 0) {
    loom_data_free(data);
    return NULL;
  }
  return data;
}

void loom_data_next_batch(loom_dataset *data, void *features, void *targets) {
  if (data->layout.tokens) {
    if (data->synthetic)
      synthetic_token_batch(data, features, targets);
    else
      loom_tokens_batch(&data->token_file, data->step, data->layout.batch,
                        data->layout.seq, features, targets);
    ++data->step;
    return;
  }
  if (data->synthetic) {
    synthetic_batch(data, features, targets);
    return;
  }
  const loom_data_layout *layout = &data->layout;
  for (int64_t s = 0; s < layout->batch; ++s) {
    int64_t i = data->next;
    data->next = (data->next + 1) % data->samples;
    memcpy((float *)features + s * layout->features,
           data->features + i * layout->features,
           (size_t)layout->features * sizeof(float));
    if (layout->classification)
      ((int32_t *)targets)[s] = data->labels[i];
    else
      memcpy((float *)targets + s * layout->target_width,
             data->values + i * layout->target_width,
             (size_t)layout->target_width * sizeof(float));
  }
}

int64_t loom_data_samples(const loom_dataset *data) { return data->samples; }

void loom_data_free(loom_dataset *data) {
  if (!data)
    return;
  free(data->features);
  free(data->labels);
  free(data->values);
  free(data->teacher);
  free(data->scores);
  free(data->successors);
  loom_tokens_free(&data->token_file);
  free(data);
}
