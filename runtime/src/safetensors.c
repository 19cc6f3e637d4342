/*===- safetensors.c - Parameters to and from safetensors files ---------===*/
/*
 * The format: an 8-byte little-endian header length N, N bytes of JSON
 * ({"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]},
 * ..., "__metadata__": {...}}), then the data, offsets counted from the
 * end of the header.
 */

#define _POSIX_C_SOURCE 200809L

#include "safetensors.h"

#include "half_floats.h"

#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

/* Larger headers are not safetensors files (the format caps them at 100 MB). */
static const uint64_t kMaxHeader = 100u * 1000 * 1000;

static int is_causal_mask_buffer(const char *name) {
  /* h.<digits>.attn.bias or h.<digits>.attn.masked_bias */
  if (strncmp(name, "h.", 2) != 0)
    return 0;
  const char *p = name + 2;
  if (*p < '0' || *p > '9')
    return 0;
  while (*p >= '0' && *p <= '9')
    ++p;
  return strcmp(p, ".attn.bias") == 0 || strcmp(p, ".attn.masked_bias") == 0;
}

static void format_shape(const int64_t *shape, int rank, char *out, size_t size) {
  size_t used = (size_t)snprintf(out, size, "[");
  for (int d = 0; d < rank && used < size; ++d)
    used += (size_t)snprintf(out + used, size - used, "%s%lld", d ? ", " : "",
                             (long long)shape[d]);
  if (used < size)
    snprintf(out + used, size - used, "]");
}

static int find_named(const loom_named_tensor *tensors, int count,
                      const char *name) {
  for (int i = 0; i < count; ++i)
    if (strcmp(tensors[i].name, name) == 0)
      return i;
  return -1;
}

int loom_safetensors_read(const char *path, const loom_named_tensor *wanted,
                          int count,
                          const char *what,
                          int (*skip)(const char *name, const void *context),
                          const void *context, int widen, int *widened,
                          char *err, size_t err_size) {
  int status = -1;
  FILE *file = fopen(path, "rb");
  char *header = NULL;
  json_value *json = NULL;
  int *found = calloc((size_t)count + 1, sizeof(int));
  int64_t *offsets = calloc((size_t)count + 1, sizeof(int64_t));
  /* Per tensor: 0 F32 in the file, 1 BF16, 2 F16. */
  int *narrow = calloc((size_t)count + 1, sizeof(int));
  if (widened)
    *widened = 0;
  if (!file) {
    snprintf(err, err_size, "%s: %s", path, strerror(errno));
    goto done;
  }
  if (!found || !offsets || !narrow) {
    snprintf(err, err_size, "%s: out of memory", path);
    goto done;
  }
  struct stat info;
  if (fstat(fileno(file), &info) != 0) {
    snprintf(err, err_size, "%s: %s", path, strerror(errno));
    goto done;
  }
  uint64_t file_size = (uint64_t)info.st_size;
  unsigned char length_bytes[8];
  if (fread(length_bytes, 1, 8, file) != 8) {
    snprintf(err, err_size, "%s: truncated: no 8-byte header length", path);
    goto done;
  }
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i)
    header_size = (header_size << 8) | length_bytes[i];
  if (header_size > kMaxHeader || header_size > file_size - 8) {
    snprintf(err, err_size,
             "%s: malformed: the header claims %llu bytes but the file has %llu",
             path, (unsigned long long)header_size, (unsigned long long)file_size);
    goto done;
  }
  header = malloc(header_size ? header_size : 1);
  if (!header || fread(header, 1, header_size, file) != header_size) {
    snprintf(err, err_size, "%s: truncated header", path);
    goto done;
  }
  char why[256];
  json = json_parse(header, header_size, why, sizeof(why));
  if (!json || json->kind != JSON_OBJECT) {
    snprintf(err, err_size, "%s: header: %s", path,
             json ? "not a JSON object" : why);
    goto done;
  }
  uint64_t data_start = 8 + header_size, data_size = file_size - data_start;

  for (size_t m = 0; m < json->count; ++m) {
    const char *name = json->keys[m];
    const json_value *entry = &json->items[m];
    if (strcmp(name, "__metadata__") == 0)
      continue;
    int index = find_named(wanted, count, name);
    if (index < 0) {
      if (skip && skip(name, context))
        continue;
      snprintf(err, err_size,
               "%s: unexpected tensor '%s': the model has no %s of that name",
               path, name, what);
      goto done;
    }
    if (found[index]) {
      snprintf(err, err_size, "%s: tensor '%s' appears twice in the header",
               path, name);
      goto done;
    }
    const loom_tensor_info *param = wanted[index].info;
    const json_value *dtype = json_member(entry, "dtype");
    const json_value *shape = json_member(entry, "shape");
    const json_value *range = json_member(entry, "data_offsets");
    if (!dtype || dtype->kind != JSON_STRING || !shape ||
        shape->kind != JSON_ARRAY || !range || range->kind != JSON_ARRAY ||
        range->count != 2) {
      snprintf(err, err_size,
               "%s: tensor '%s': malformed entry (needs dtype, shape and "
               "data_offsets)", path, name);
      goto done;
    }
    /* 16-bit floats widen exactly into the model's f32 (when the caller
     * allows it: a resume reads Loom's own F32 checkpoints, exactly). */
    int kind = strcmp(dtype->text, "F32") == 0    ? 0
               : strcmp(dtype->text, "BF16") == 0 ? 1
               : strcmp(dtype->text, "F16") == 0  ? 2
                                                  : -1;
    if (kind < 0 || (kind > 0 && (!widen || param->dtype != LOOM_DTYPE_F32))) {
      snprintf(err, err_size, "%s: tensor '%s' is %s; the model needs F32%s",
               path, name, dtype->text,
               widen && param->dtype == LOOM_DTYPE_F32 ? " (or BF16, F16)" : "");
      goto done;
    }
    narrow[index] = kind;
    int shape_ok = shape->count == (size_t)param->rank;
    int64_t dims[16] = {0};
    for (size_t d = 0; d < shape->count && d < 16; ++d)
      dims[d] = json_integer(&shape->items[d]);
    for (int d = 0; shape_ok && d < param->rank; ++d)
      shape_ok = dims[d] == param->shape[d];
    if (!shape_ok) {
      char expected[128], got[128];
      format_shape(param->shape, param->rank, expected, sizeof(expected));
      format_shape(dims, (int)(shape->count < 16 ? shape->count : 16), got, sizeof(got));
      snprintf(err, err_size, "%s: tensor '%s' has shape %s; the model needs %s",
               path, name, got, expected);
      goto done;
    }
    int64_t begin = json_integer(&range->items[0]);
    int64_t end = json_integer(&range->items[1]);
    size_t bytes = kind ? loom_tensor_bytes(param) / 2 : loom_tensor_bytes(param);
    if (begin < 0 || end < begin || (uint64_t)(end - begin) != bytes) {
      snprintf(err, err_size,
               "%s: tensor '%s': data_offsets [%lld, %lld] do not hold %zu bytes",
               path, name, (long long)begin, (long long)end, bytes);
      goto done;
    }
    if ((uint64_t)end > data_size) {
      snprintf(err, err_size,
               "%s: truncated: tensor '%s' needs bytes [%lld, %lld) of the data, "
               "which has %llu", path, name, (long long)begin, (long long)end,
               (unsigned long long)data_size);
      goto done;
    }
    found[index] = 1;
    offsets[index] = begin;
  }
  for (int i = 0; i < count; ++i) {
    if (!found[i]) {
      snprintf(err, err_size, "%s: missing tensor '%s'", path, wanted[i].name);
      goto done;
    }
  }
  /* Everything checks out: read the data. */
  for (int i = 0; i < count; ++i) {
    size_t bytes = loom_tensor_bytes(wanted[i].info);
    /* A 16-bit tensor is read into the upper half of its buffer, then
     * widened in place. */
    size_t stored = narrow[i] ? bytes / 2 : bytes;
    unsigned char *into = (unsigned char *)wanted[i].data + (bytes - stored);
    if (fseeko(file, (off_t)(data_start + (uint64_t)offsets[i]), SEEK_SET) != 0 ||
        fread(into, 1, stored, file) != stored) {
      snprintf(err, err_size, "%s: tensor '%s': read failed: %s", path,
               wanted[i].name, strerror(errno));
      goto done;
    }
    if (narrow[i]) {
      loom_widen_in_place(wanted[i].data, bytes / 4, narrow[i] == 1);
      if (widened)
        ++*widened;
    }
  }
  status = 0;
done:
  if (file)
    fclose(file);
  free(header);
  json_free(json);
  free(found);
  free(offsets);
  free(narrow);
  return status;
}

/* Appends `text` to the JSON being built, growing it as needed. */
typedef struct {
  char *data;
  size_t length, capacity;
  int failed;
} text_buffer;

__attribute__((format(printf, 2, 3))) static void
append(text_buffer *b, const char *format, ...) {
  if (b->failed)
    return;
  while (1) {
    va_list args;
    va_start(args, format);
    int n = vsnprintf(b->data + b->length, b->capacity - b->length, format, args);
    va_end(args);
    if (n < 0) {
      b->failed = 1;
      return;
    }
    if ((size_t)n < b->capacity - b->length) {
      b->length += (size_t)n;
      return;
    }
    size_t capacity = 2 * b->capacity + (size_t)n + 1;
    char *grown = realloc(b->data, capacity);
    if (!grown) {
      b->failed = 1;
      return;
    }
    b->data = grown;
    b->capacity = capacity;
  }
}

/* Writes `count` f32s as bf16, a block at a time. */
static int write_bf16(FILE *file, const float *values, size_t count) {
  uint16_t block[4096];
  for (size_t done = 0; done < count;) {
    size_t n = count - done < 4096 ? count - done : 4096;
    for (size_t i = 0; i < n; ++i)
      block[i] = loom_f32_to_bf16(values[done + i]);
    if (fwrite(block, sizeof block[0], n, file) != n)
      return 0;
    done += n;
  }
  return 1;
}

int loom_safetensors_write(FILE *file, const char *path,
                           const loom_named_tensor *tensors, int count,
                           const char *model_name, int bf16, char *err,
                           size_t err_size) {
  text_buffer json = {malloc(4096), 0, 4096, 0};
  if (!json.data) {
    snprintf(err, err_size, "%s: out of memory", path);
    return -1;
  }
  /* The model's name may come from a file name: escape what JSON must. */
  append(&json, "{\"__metadata__\":{\"format\":\"pt\",\"model\":\"");
  for (const char *c = model_name; *c; ++c) {
    if (*c == '"' || *c == '\\')
      append(&json, "\\%c", *c);
    else if ((unsigned char)*c < 0x20)
      append(&json, "\\u%04x", (unsigned)*c);
    else
      append(&json, "%c", *c);
  }
  append(&json, "\"}");
  uint64_t offset = 0;
  for (int i = 0; i < count; ++i) {
    const loom_tensor_info *t = tensors[i].info;
    int narrow = bf16 && t->dtype == LOOM_DTYPE_F32;
    append(&json, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[", tensors[i].name,
           narrow ? "BF16" : "F32");
    for (int d = 0; d < t->rank; ++d)
      append(&json, "%s%lld", d ? "," : "", (long long)t->shape[d]);
    uint64_t bytes = narrow ? loom_tensor_bytes(t) / 2 : loom_tensor_bytes(t);
    append(&json, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)offset,
           (unsigned long long)(offset + bytes));
    offset += bytes;
  }
  append(&json, "}");
  /* Pad the header with spaces so that the data starts 8-byte aligned. */
  while (!json.failed && (json.length % 8) != 0)
    append(&json, " ");
  if (json.failed) {
    snprintf(err, err_size, "%s: out of memory", path);
    free(json.data);
    return -1;
  }
  unsigned char length_bytes[8];
  for (int i = 0; i < 8; ++i)
    length_bytes[i] = (unsigned char)((uint64_t)json.length >> (8 * i));
  int ok = fwrite(length_bytes, 1, 8, file) == 8 &&
           fwrite(json.data, 1, json.length, file) == json.length;
  for (int i = 0; ok && i < count; ++i) {
    size_t bytes = loom_tensor_bytes(tensors[i].info);
    if (bf16 && tensors[i].info->dtype == LOOM_DTYPE_F32)
      ok = write_bf16(file, tensors[i].data, bytes / 4);
    else
      ok = fwrite(tensors[i].data, 1, bytes, file) == bytes;
  }
  ok = ok && fflush(file) == 0;
  free(json.data);
  if (!ok)
    snprintf(err, err_size, "%s: cannot write: %s", path, strerror(errno));
  return ok ? 0 : -1;
}

/* The parameters, by name: all a parameter file holds (no gradients,
 * state, inputs or inference cache). */
static loom_named_tensor *parameters_of(const loom_tensors *tensors,
                                        int *count) {
  const loom_model_info *model = tensors->model;
  loom_named_tensor *list =
      calloc((size_t)model->num_tensors + 1, sizeof(loom_named_tensor));
  *count = 0;
  for (int32_t i = 0; list && i < model->num_tensors; ++i)
    if (model->tensors[i].role == LOOM_ROLE_PARAM)
      list[(*count)++] = (loom_named_tensor){model->tensors[i].name,
                                             &model->tensors[i],
                                             tensors->buffers[i]};
  return list;
}

/* Tensors of a Hugging Face GPT-2 checkpoint, or the optimizer state of a
 * Loom checkpoint ("exp_avg.h.0.attn.c_attn.weight"), that parameters do
 * not need. */
static int skippable(const char *name, const void *context) {
  const loom_model_info *model = context;
  if (is_causal_mask_buffer(name))
    return 1;
  for (int32_t i = 0; i < model->num_tensors; ++i) {
    const loom_tensor_info *t = &model->tensors[i];
    if (t->role != LOOM_ROLE_STATE)
      continue;
    const char *slot = strrchr(t->name, '.');
    size_t slot_length = slot ? strlen(slot + 1) : 0;
    if (slot && strncmp(name, slot + 1, slot_length) == 0 &&
        name[slot_length] == '.' &&
        strncmp(name + slot_length + 1, t->name,
                (size_t)(slot - t->name)) == 0 &&
        name[slot_length + 1 + (size_t)(slot - t->name)] == '\0')
      return 1;
  }
  return 0;
}

int loom_load_safetensors(loom_tensors *tensors, const char *path,
                          int *widened, char *err, size_t err_size) {
  int count = 0;
  loom_named_tensor *list = parameters_of(tensors, &count);
  if (!list) {
    snprintf(err, err_size, "%s: out of memory", path);
    return -1;
  }
  int status =
      loom_safetensors_read(path, list, count, "parameter", skippable,
                            tensors->model, 1, widened, err, err_size);
  free(list);
  return status;
}

int loom_fsync_directory_of(const char *path) {
  char *copy = malloc(strlen(path) + 1);
  if (!copy)
    return -1;
  strcpy(copy, path);
  char *slash = strrchr(copy, '/');
  const char *dir = slash ? (slash == copy ? "/" : (*slash = '\0', copy)) : ".";
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  int status = fd >= 0 && fsync(fd) == 0 ? 0 : -1;
  if (fd >= 0)
    close(fd);
  free(copy);
  return status;
}

int loom_save_safetensors(const loom_tensors *tensors, const char *path,
                          int bf16, char *err, size_t err_size) {
  int count = 0;
  loom_named_tensor *list = parameters_of(tensors, &count);
  size_t path_length = strlen(path);
  char *temporary = malloc(path_length + 16);
  if (!list || !temporary) {
    free(list);
    free(temporary);
    snprintf(err, err_size, "%s: out of memory", path);
    return -1;
  }
  snprintf(temporary, path_length + 16, "%s.tmp", path);
  FILE *file = fopen(temporary, "wb");
  int ok = file != NULL;
  if (!ok)
    snprintf(err, err_size, "%s: cannot write: %s", path, strerror(errno));
  ok = ok && loom_safetensors_write(file, path, list, count,
                                    tensors->model->model_name, bf16, err,
                                    err_size) == 0;
  if (ok && fsync(fileno(file)) != 0) {
    snprintf(err, err_size, "%s: cannot write: %s", path, strerror(errno));
    ok = 0;
  }
  if (file && fclose(file) != 0 && ok) {
    snprintf(err, err_size, "%s: cannot write: %s", path, strerror(errno));
    ok = 0;
  }
  /* The new file replaces the old one whole, and the rename itself
   * survives a crash once the directory is synced. */
  if (ok && (rename(temporary, path) != 0 || loom_fsync_directory_of(path) != 0)) {
    snprintf(err, err_size, "%s: cannot write: %s", path, strerror(errno));
    ok = 0;
  }
  if (!ok)
    remove(temporary);
  free(temporary);
  free(list);
  return ok ? 0 : -1;
}
