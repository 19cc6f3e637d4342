/*===- data_samples.c - Files of samples: CSV or Loom's binary layout ---===*/
/*
 * Every sample of the file in memory, features then targets, served to
 * a training split and a validation split (its end), each in its row order
 * (docs/data.md).
 */

#define _POSIX_C_SOURCE 200809L

#include "data_source.h"
#include "footprint.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  int64_t samples;
  float *features; /* [samples][features] */
  int32_t *labels; /* [samples] when classifying */
  float *values;   /* [samples][target_width] otherwise */
  int refs;        /* the splits that read it */
} sample_file;

/* A split: samples [begin, begin + count) of the file, in its row order. */
typedef struct {
  sample_file *file;
  int64_t begin, count;
  loom_row_order order;
} sample_split;

static void free_samples(void *state) {
  sample_file *data = state;
  if (!data)
    return;
  free(data->features);
  free(data->labels);
  free(data->values);
  free(data);
}

static void free_split(void *state) {
  sample_split *split = state;
  if (--split->file->refs == 0)
    free_samples(split->file);
  free(split);
}

static void split_rows(void *state, const loom_data_layout *layout,
                       int64_t first_row, void *features, void *targets) {
  sample_split *split = state;
  const sample_file *data = split->file;
  for (int64_t s = 0; s < layout->batch; ++s) {
    int64_t i = split->begin +
                loom_row_item(&split->order, first_row + s, split->count);
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

static const loom_data_source kSampleSplit = {split_rows, free_split};

static sample_file *allocate_samples(const loom_data_layout *layout,
                                     int64_t samples) {
  sample_file *data = calloc(1, sizeof(sample_file));
  if (!data)
    return NULL;
  data->samples = samples;
  data->features = malloc((size_t)(samples * layout->features) * sizeof(float));
  if (layout->classification)
    data->labels = malloc((size_t)samples * sizeof(int32_t));
  else
    data->values =
        malloc((size_t)(samples * layout->target_width) * sizeof(float));
  if (!data->features || (!data->labels && !data->values)) {
    free_samples(data);
    return NULL;
  }
  return data;
}

/* Loom's binary layout, little-endian (docs/data.md):
 *   char magic[8] = "LOOMDATA"; u32 version = 1; u32 target_kind (0: i32
 *   labels, 1: f32 values); u64 samples; u64 features; u64 target_width;
 *   f32 features[samples][features];
 *   i32 labels[samples] or f32 values[samples][target_width]. */
static sample_file *read_binary(FILE *file, const char *path,
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
  /* Allocated only once the file is known to hold what its header
   * announces, and the machine to have room for it. */
  int64_t bytes_per_sample =
      (layout->features +
       (layout->classification ? 1 : layout->target_width)) * 4;
  /* samples <= 2^40 (checked above); a product past int64 announces more
   * than any file holds. */
  int64_t announced = (int64_t)samples > INT64_MAX / bytes_per_sample
                          ? INT64_MAX
                          : (int64_t)samples * bytes_per_sample;
  long file_size;
  if (fseek(file, 0, SEEK_END) != 0 || (file_size = ftell(file)) < 0 ||
      fseek(file, (long)sizeof(header), SEEK_SET) != 0) {
    snprintf(err, err_size, "%s: %s", path, strerror(errno));
    return NULL;
  }
  if (file_size - (long)sizeof(header) != announced) {
    snprintf(err, err_size,
             "%s: %s: the header announces %llu samples (%lld bytes of data "
             "after the header), the file has %ld",
             path, file_size - (long)sizeof(header) < announced
                       ? "truncated" : "has bytes after its samples",
             (unsigned long long)samples, (long long)announced,
             file_size - (long)sizeof(header));
    return NULL;
  }
  if (loom_check_file_fits(path, announced, loom_machine_memory_bytes(), err,
                           err_size) != 0)
    return NULL;
  sample_file *data = allocate_samples(layout, (int64_t)samples);
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
    free_samples(data);
    return NULL;
  }
  if (fgetc(file) != EOF) {
    snprintf(err, err_size, "%s: has bytes after the %llu samples its header "
                            "announces", path, (unsigned long long)samples);
    free_samples(data);
    return NULL;
  }
  return data;
}

/* One sample per line: the features, then the label or target values,
 * separated by commas; blank lines and lines starting with '#' are skipped. */
static sample_file *read_csv(FILE *file, const char *path,
                              const loom_data_layout *layout, char *err,
                              size_t err_size) {
  int64_t columns = layout->features + layout->target_width;
  int64_t capacity = 1024, samples = 0;
  sample_file *data = allocate_samples(layout, capacity);
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
  free_samples(data);
  return NULL;
}

static int validate_labels(const sample_file *data,
                           const loom_data_layout *layout, const char *path,
                           char *err, size_t err_size) {
  if (!layout->classification)
    return 0;
  for (int64_t s = 0; s < data->samples; ++s) {
    if (data->labels[s] < 0 || data->labels[s] >= layout->classes) {
      snprintf(err, err_size,
               "%s: sample %lld has label %d, outside the model's %lld "
               "classes [0, %lld)",
               path, (long long)s, data->labels[s],
               (long long)layout->classes, (long long)layout->classes);
      return -1;
    }
  }
  for (int64_t i = 0; i < data->samples * layout->features; ++i) {
    if (!isfinite(data->features[i])) {
      snprintf(err, err_size, "%s: sample %lld has a feature that is not finite",
               path, (long long)(i / layout->features));
      return -1;
    }
  }
  return 0;
}

/* A split of `count` samples from `begin`, which must hold a batch. */
static loom_dataset *open_split(sample_file *data, int64_t begin, int64_t count,
                                const loom_row_order *order,
                                const loom_data_layout *layout,
                                const char *path, const char *what, char *err,
                                size_t err_size) {
  if (count < layout->batch) {
    snprintf(err, err_size,
             "%s: %s %lld samples, fewer than one batch of %lld", path, what,
             (long long)count, (long long)layout->batch);
    return NULL;
  }
  sample_split *split = calloc(1, sizeof(sample_split));
  if (!split) {
    snprintf(err, err_size, "%s: out of memory", path);
    return NULL;
  }
  split->file = data;
  split->begin = begin;
  split->count = count;
  split->order = *order;
  ++data->refs;
  loom_dataset *dataset = loom_dataset_new(layout, &kSampleSplit, split, count,
                                           count / layout->batch, path);
  if (!dataset)
    snprintf(err, err_size, "%s: out of memory", path);
  return dataset;
}

int loom_samples_open(const char *path, const loom_data_layout *layout,
                      double val_fraction, const loom_row_order *order,
                      loom_dataset **train, loom_dataset **val, char *err,
                      size_t err_size) {
  FILE *file = fopen(path, "rb");
  if (!file) {
    snprintf(err, err_size, "%s: %s", path, strerror(errno));
    return -1;
  }
  char magic[8] = {0};
  size_t got = fread(magic, 1, sizeof(magic), file);
  sample_file *data;
  if (got == sizeof(magic) && memcmp(magic, "LOOMDATA", 8) == 0) {
    data = read_binary(file, path, layout, err, err_size);
  } else {
    rewind(file);
    data = read_csv(file, path, layout, err, err_size);
  }
  fclose(file);
  if (!data)
    return -1;
  if (validate_labels(data, layout, path, err, err_size) != 0) {
    free_samples(data);
    return -1;
  }
  int64_t held_out = (int64_t)((double)data->samples * val_fraction);
  int64_t kept = data->samples - held_out;
  /* The splits hold the file: it goes with the last of them. */
  data->refs = 1;
  *train = open_split(data, 0, kept,
                      order, layout, path,
                      held_out ? "the training split holds" : "holds", err,
                      err_size);
  if (*train && held_out) {
    loom_row_order in_order = {0, 0};
    *val = open_split(data, kept, held_out, &in_order, layout, path,
                      "the validation split (--val-fraction) holds", err,
                      err_size);
  }
  if (--data->refs == 0)
    free_samples(data);
  return *train && (*val || !held_out) ? 0 : -1;
}
