/*===- checkpoint.c - Checkpoints a run resumes from exactly ------------===*/

#define _POSIX_C_SOURCE 200809L

#include "checkpoint.h"

#include "hash.h"
#include "json.h"
#include "safetensors.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static const char kFormat[] = "loom-checkpoint";
static const int kVersion = 1;
static const char kTensorsFile[] = "model.safetensors";
static const char kStateFile[] = "state.json";

/*===------------------------------------------------------------------===*/
/* Hashes and names                                                       */
/*===------------------------------------------------------------------===*/

/* What makes two models the same: every tensor's name, role and shape,
 * the inference cache's aside: its shape follows loomc's --sample-batch and
 * --context, which change no parameter, and it is never saved. */
static uint64_t tensor_table_hash(const loom_model_info *model) {
  uint64_t hash = LOOM_FNV_BASIS;
  for (int32_t i = 0; i < model->num_tensors; ++i) {
    const loom_tensor_info *t = &model->tensors[i];
    if (t->role == LOOM_ROLE_CACHE)
      continue;
    hash = loom_fnv1a(hash, t->name, strlen(t->name) + 1);
    hash = loom_fnv1a(hash, &t->role, sizeof(t->role));
    hash = loom_fnv1a(hash, t->shape, (size_t)t->rank * sizeof(int64_t));
  }
  return hash;
}

/* The tensors a checkpoint holds: the parameters, then `optimizer`'s state
 * named "SLOT.PARAMETER" (never gradients, inputs or the inference cache).
 * Names of state are allocated; free with free_checkpoint_tensors. */
static loom_named_tensor *checkpoint_tensors(const loom_tensors *tensors,
                                             int32_t optimizer, int *count) {
  const loom_model_info *model = tensors->model;
  loom_named_tensor *list =
      calloc((size_t)model->num_tensors + 1, sizeof(loom_named_tensor));
  *count = 0;
  for (int32_t i = 0; list && i < model->num_tensors; ++i) {
    const loom_tensor_info *t = &model->tensors[i];
    int state = t->role == LOOM_ROLE_STATE && t->optimizer == optimizer;
    if (t->role != LOOM_ROLE_PARAM && !state)
      continue;
    const char *name = t->name;
    if (state) {
      /* "h.0.attn.c_attn.weight.exp_avg" -> "exp_avg.h.0.attn.c_attn.weight" */
      const char *slot = strrchr(t->name, '.');
      size_t length = strlen(t->name);
      char *renamed = malloc(length + 2);
      if (!renamed || !slot) {
        free(renamed);
        continue;
      }
      snprintf(renamed, length + 2, "%s.%.*s", slot + 1,
               (int)(slot - t->name), t->name);
      name = renamed;
    }
    list[(*count)++] = (loom_named_tensor){name, t, tensors->buffers[i]};
  }
  return list;
}

static void free_checkpoint_tensors(loom_named_tensor *list, int count) {
  for (int i = 0; list && i < count; ++i)
    if (list[i].info->role == LOOM_ROLE_STATE)
      free((void *)(uintptr_t)list[i].name); /* allocated above */
  free(list);
}

/* DIR/NAME into `out`. */
static void join(char *out, size_t size, const char *dir, const char *name) {
  snprintf(out, size, "%s/%s", dir, name);
}

/* "step-00000050" -> 50; -1 for any other name. */
static int64_t step_of(const char *name) {
  if (strncmp(name, "step-", 5) != 0 || !name[5])
    return -1;
  int64_t step = 0;
  for (const char *c = name + 5; *c; ++c) {
    if (*c < '0' || *c > '9' || step > (INT64_MAX - 9) / 10)
      return -1;
    step = step * 10 + (*c - '0');
  }
  return step;
}

/*===------------------------------------------------------------------===*/
/* Writing                                                                */
/*===------------------------------------------------------------------===*/

static void write_json_string(FILE *file, const char *text) {
  fputc('"', file);
  for (const unsigned char *c = (const unsigned char *)text; *c; ++c) {
    if (*c == '"' || *c == '\\')
      fprintf(file, "\\%c", *c);
    else if (*c < 0x20)
      fprintf(file, "\\u%04x", *c);
    else
      fputc(*c, file);
  }
  fputc('"', file);
}

typedef struct {
  FILE *file;
  int first;
} settings_writer;

static void write_setting(const char *flag, const char *value, void *context) {
  settings_writer *writer = context;
  fprintf(writer->file, "%s\n    ", writer->first ? "" : ",");
  writer->first = 0;
  write_json_string(writer->file, flag);
  fprintf(writer->file, ": ");
  write_json_string(writer->file, value);
}

static int write_state(const char *path, const loom_tensors *tensors,
                       int32_t optimizer, const loom_run_position *position,
                       const loom_options *options, uint64_t hash,
                       int64_t size) {
  FILE *file = fopen(path, "w");
  if (!file)
    return -1;
  const loom_model_info *model = tensors->model;
  fprintf(file, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n  \"model\": ",
          kFormat, kVersion);
  write_json_string(file, model->model_name);
  fprintf(file,
          ",\n  \"tensor_table\": \"%016llx\",\n  \"optimizer\": \"%s\",\n"
          "  \"step\": %lld,\n  \"batches_read\": %lld,\n  \"tokens\": %lld,\n"
          "  \"random_state\": {\"generator\": \"splitmix64, a stream per "
          "data row\", \"seed\": %llu, \"next_batch\": %lld},\n"
          "  \"files\": {\"%s\": {\"bytes\": %lld, \"fnv1a64\": "
          "\"%016llx\"}},\n  \"settings\": {",
          (unsigned long long)tensor_table_hash(model),
          optimizer >= 0 ? model->optimizers[optimizer].name : "none",
          (long long)position->step,
          (long long)position->batches_read, (long long)position->tokens,
          (unsigned long long)options->seed,
          (long long)position->batches_read, kTensorsFile, (long long)size,
          (unsigned long long)hash);
  settings_writer writer = {file, 1};
  loom_each_run_setting(options, write_setting, &writer);
  fprintf(file, "\n  }\n}\n");
  int ok = fflush(file) == 0 && fsync(fileno(file)) == 0;
  ok = fclose(file) == 0 && ok;
  return ok ? 0 : -1;
}

static int fsync_path(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  int status = fd >= 0 && fsync(fd) == 0 ? 0 : -1;
  if (fd >= 0)
    close(fd);
  return status;
}

/* Removes a checkpoint directory (or the remains of one): its files, then
 * itself. */
static void remove_directory(const char *path) {
  DIR *dir = opendir(path);
  if (dir) {
    struct dirent *entry;
    char file[4096];
    while ((entry = readdir(dir)) != NULL) {
      if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
        continue;
      join(file, sizeof(file), path, entry->d_name);
      unlink(file);
    }
    closedir(dir);
  }
  rmdir(path);
}

static int compare_steps(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Removes what killed saves left (hidden directories) and all but the
 * newest `keep` checkpoints. A checkpoint is renamed out of sight before
 * its files go, so a kill halfway leaves no half checkpoint under a
 * checkpoint's name. */
static void prune(const char *dir_path, int64_t keep) {
  DIR *dir = opendir(dir_path);
  if (!dir)
    return;
  int64_t *steps = NULL;
  size_t count = 0, capacity = 0;
  struct dirent *entry;
  char path[4096], hidden[4096];
  while ((entry = readdir(dir)) != NULL) {
    if (strncmp(entry->d_name, ".incomplete-", 12) == 0 ||
        strncmp(entry->d_name, ".removing-", 10) == 0) {
      join(path, sizeof(path), dir_path, entry->d_name);
      remove_directory(path);
      continue;
    }
    int64_t step = step_of(entry->d_name);
    if (step < 0)
      continue;
    if (count == capacity) {
      capacity = capacity ? 2 * capacity : 16;
      int64_t *grown = realloc(steps, capacity * sizeof(int64_t));
      if (!grown)
        break;
      steps = grown;
    }
    steps[count++] = step;
  }
  closedir(dir);
  if (steps)
    qsort(steps, count, sizeof(int64_t), compare_steps);
  for (size_t i = 0; i + (size_t)keep < count; ++i) {
    char name[64];
    snprintf(name, sizeof(name), "step-%08lld", (long long)steps[i]);
    join(path, sizeof(path), dir_path, name);
    snprintf(name, sizeof(name), ".removing-step-%08lld", (long long)steps[i]);
    join(hidden, sizeof(hidden), dir_path, name);
    if (rename(path, hidden) == 0)
      remove_directory(hidden);
  }
  fsync_path(dir_path);
  free(steps);
}

int loom_checkpoint_space(int64_t needed, int64_t available, const char *dir,
                          char *err, size_t err_size) {
  if (available < 0 || needed <= available)
    return 0;
  snprintf(err, err_size,
           "--checkpoint-dir: %s: a checkpoint needs %.1f MiB and the file "
           "system has %.1f MiB free",
           dir, (double)needed / (1 << 20), (double)available / (1 << 20));
  return -1;
}

/* Bytes free for this process in the file system of `dir`; -1 if unknown. */
static int64_t free_bytes(const char *dir) {
  struct statvfs fs;
  if (statvfs(dir, &fs) != 0)
    return -1;
  return (int64_t)fs.f_bavail * (int64_t)fs.f_frsize;
}

int loom_checkpoint_save(const char *dir, const loom_tensors *tensors,
                         int32_t optimizer, const loom_run_position *position,
                         const loom_options *options, int64_t keep, char *err,
                         size_t err_size) {
  char name[64], temporary[4096], final_path[4096], file_path[4096];
  snprintf(name, sizeof(name), "step-%08lld", (long long)position->step);
  join(final_path, sizeof(final_path), dir, name);
  snprintf(name, sizeof(name), ".incomplete-step-%08lld",
           (long long)position->step);
  join(temporary, sizeof(temporary), dir, name);
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
    snprintf(err, err_size, "--checkpoint-dir: %s: %s", dir, strerror(errno));
    return -1;
  }
  remove_directory(temporary);
  if (mkdir(temporary, 0777) != 0) {
    snprintf(err, err_size, "%s: %s", temporary, strerror(errno));
    return -1;
  }
  char why[512] = "";
  int count = 0;
  loom_named_tensor *list = checkpoint_tensors(tensors, optimizer, &count);
  int ok = list != NULL;
  if (!ok)
    snprintf(err, err_size, "%s: out of memory", dir);
  /* The space is checked before anything is written: the tensors, their
   * header entries (well under 256 bytes each) and the state file's 4 KiB. */
  int64_t needed = 4096 + 256 * (int64_t)count;
  for (int i = 0; ok && i < count; ++i)
    needed += (int64_t)loom_tensor_bytes(list[i].info);
  if (ok && loom_checkpoint_space(needed, free_bytes(dir), dir, why, sizeof(why)) != 0)
    ok = 0;
  join(file_path, sizeof(file_path), temporary, kTensorsFile);
  FILE *file = ok ? fopen(file_path, "wb") : NULL;
  if (ok && !file) {
    snprintf(err, err_size, "%s: %s", file_path, strerror(errno));
    ok = 0;
  }
  ok = ok && loom_safetensors_write(file, file_path, list, count,
                                    tensors->model->model_name, 0, why,
                                    sizeof(why)) == 0;
  if (ok && fsync(fileno(file)) != 0) {
    snprintf(why, sizeof(why), "%s: cannot write: %s", file_path,
             strerror(errno));
    ok = 0;
  }
  if (file && fclose(file) != 0 && ok) {
    snprintf(why, sizeof(why), "%s: cannot write: %s", file_path,
             strerror(errno));
    ok = 0;
  }
  free_checkpoint_tensors(list, count);
  uint64_t hash = 0;
  int64_t size = 0;
  if (ok && loom_hash_file(file_path, &hash, &size) != 0) {
    snprintf(why, sizeof(why), "%s: cannot read back: %s", file_path,
             strerror(errno));
    ok = 0;
  }
  join(file_path, sizeof(file_path), temporary, kStateFile);
  if (ok && write_state(file_path, tensors, optimizer, position, options, hash,
                        size) != 0) {
    snprintf(why, sizeof(why), "%s: cannot write: %s", file_path,
             strerror(errno));
    ok = 0;
  }
  /* The files are on disk; now the directory that names them, then its
   * final name, then the directory holding that name. */
  if (ok && (fsync_path(temporary) != 0 || rename(temporary, final_path) != 0 ||
             fsync_path(dir) != 0)) {
    snprintf(why, sizeof(why), "%s: %s", final_path, strerror(errno));
    ok = 0;
  }
  if (!ok) {
    remove_directory(temporary);
    if (why[0])
      snprintf(err, err_size,
               "checkpoint of step %lld not saved (the older ones are kept): "
               "%s",
               (long long)position->step, why);
    return -1;
  }
  prune(dir, keep);
  return 0;
}

int loom_checkpoint_newest(const char *dir_path, char *path, size_t path_size,
                           char *err, size_t err_size) {
  DIR *dir = opendir(dir_path);
  if (!dir) {
    if (errno == ENOENT)
      return 0;
    snprintf(err, err_size, "--checkpoint-dir: %s: %s", dir_path,
             strerror(errno));
    return -1;
  }
  int64_t newest = -1;
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    int64_t step = step_of(entry->d_name);
    if (step > newest)
      newest = step;
  }
  closedir(dir);
  if (newest < 0)
    return 0;
  char name[64];
  snprintf(name, sizeof(name), "step-%08lld", (long long)newest);
  join(path, path_size, dir_path, name);
  return 1;
}

/*===------------------------------------------------------------------===*/
/* Reading                                                                */
/*===------------------------------------------------------------------===*/

typedef struct {
  const json_value *settings;
  char *differences;
  size_t length, capacity;
} settings_check;

static void check_setting(const char *flag, const char *value, void *context) {
  settings_check *check = context;
  const json_value *saved = json_member(check->settings, flag);
  const char *before = saved && saved->kind == JSON_STRING ? saved->text : "?";
  if (strcmp(before, value) == 0)
    return;
  char line[1024];
  int n = snprintf(line, sizeof(line), "\n  %s: %s in the checkpoint, %s now",
                   flag, *before ? before : "(none)", *value ? value : "(none)");
  if (n < 0)
    return;
  if (check->length + (size_t)n + 1 > check->capacity) {
    size_t capacity = 2 * check->capacity + (size_t)n + 1;
    char *grown = realloc(check->differences, capacity);
    if (!grown)
      return;
    check->differences = grown;
    check->capacity = capacity;
  }
  memcpy(check->differences + check->length, line, (size_t)n + 1);
  check->length += (size_t)n;
}

static char *read_small_file(const char *path, size_t *size) {
  FILE *file = fopen(path, "rb");
  if (!file)
    return NULL;
  char *text = malloc(1 << 20);
  *size = text ? fread(text, 1, (1 << 20) - 1, file) : 0;
  fclose(file);
  return text;
}

__attribute__((format(printf, 4, 5))) static int
refuse(char *err, size_t err_size, const char *path, const char *format, ...) {
  int used = snprintf(err, err_size, "%s: ", path);
  if (used >= 0 && (size_t)used < err_size) {
    va_list args;
    va_start(args, format);
    vsnprintf(err + used, err_size - (size_t)used, format, args);
    va_end(args);
  }
  return -1;
}

static int64_t member_integer(const json_value *state, const char *key) {
  const json_value *value = json_member(state, key);
  return value && value->kind == JSON_NUMBER ? json_integer(value) : -1;
}

int loom_checkpoint_load(const char *path, loom_tensors *tensors,
                         int32_t optimizer, const loom_options *options,
                         loom_run_position *position, char *err,
                         size_t err_size) {
  const loom_model_info *model = tensors->model;
  char file_path[4096], why[512];
  join(file_path, sizeof(file_path), path, kStateFile);
  size_t size = 0;
  char *text = read_small_file(file_path, &size);
  if (!text)
    return refuse(err, err_size, file_path, "%s", strerror(errno));
  json_value *state = json_parse(text, size, why, sizeof(why));
  free(text);
  int status = -1;
  loom_named_tensor *list = NULL;
  int count = 0;
  settings_check check = {0};
  if (!state || state->kind != JSON_OBJECT) {
    refuse(err, err_size, file_path, "corrupt: %s",
           state ? "not a JSON object" : why);
    goto done;
  }
  const json_value *format = json_member(state, "format");
  const json_value *name = json_member(state, "model");
  const json_value *table = json_member(state, "tensor_table");
  const json_value *saved_optimizer = json_member(state, "optimizer");
  const json_value *files = json_member(state, "files");
  const json_value *tensors_file = files ? json_member(files, kTensorsFile) : NULL;
  const json_value *hash_text =
      tensors_file ? json_member(tensors_file, "fnv1a64") : NULL;
  int64_t bytes = tensors_file ? member_integer(tensors_file, "bytes") : -1;
  if (!format || format->kind != JSON_STRING ||
      strcmp(format->text, kFormat) != 0) {
    refuse(err, err_size, file_path, "not a Loom checkpoint");
    goto done;
  }
  if (member_integer(state, "version") != kVersion || !name ||
      name->kind != JSON_STRING || !table || table->kind != JSON_STRING ||
      !saved_optimizer || saved_optimizer->kind != JSON_STRING ||
      !hash_text || hash_text->kind != JSON_STRING || bytes < 0 ||
      member_integer(state, "step") < 0 ||
      member_integer(state, "batches_read") < 0 ||
      member_integer(state, "tokens") < 0) {
    refuse(err, err_size, file_path,
           "corrupt or of another version: the format's fields are missing");
    goto done;
  }
  char expected_table[32];
  snprintf(expected_table, sizeof(expected_table), "%016llx",
           (unsigned long long)tensor_table_hash(model));
  if (strcmp(name->text, model->model_name) != 0 ||
      strcmp(table->text, expected_table) != 0) {
    refuse(err, err_size, path,
           "a checkpoint of another model: '%s'%s, and this executable is "
           "'%s'",
           name->text,
           strcmp(name->text, model->model_name) == 0
               ? " with other tensors (names or shapes; other -D values?)"
               : "",
           model->model_name);
    goto done;
  }
  if (optimizer >= 0 &&
      strcmp(saved_optimizer->text, model->optimizers[optimizer].name) != 0) {
    refuse(err, err_size, path,
           "the checkpoint holds the state of %s, and this run uses %s "
           "(--optimizer)",
           saved_optimizer->text, model->optimizers[optimizer].name);
    goto done;
  }
  join(file_path, sizeof(file_path), path, kTensorsFile);
  uint64_t hash = 0;
  int64_t actual = 0;
  if (loom_hash_file(file_path, &hash, &actual) != 0) {
    refuse(err, err_size, file_path, "%s", strerror(errno));
    goto done;
  }
  char actual_hash[32];
  snprintf(actual_hash, sizeof(actual_hash), "%016llx",
           (unsigned long long)hash);
  if (actual != bytes || strcmp(actual_hash, hash_text->text) != 0) {
    refuse(err, err_size, file_path,
           "corrupt: %lld bytes with FNV-1a hash %s, and state.json recorded "
           "%lld bytes with hash %s",
           (long long)actual, actual_hash, (long long)bytes, hash_text->text);
    goto done;
  }
  if (options) {
    const json_value *settings = json_member(state, "settings");
    if (!settings || settings->kind != JSON_OBJECT) {
      refuse(err, err_size, file_path, "corrupt: no settings");
      goto done;
    }
    check.settings = settings;
    loom_each_run_setting(options, check_setting, &check);
    if (check.length) {
      refuse(err, err_size, path,
             "resuming needs the settings the run started with; these "
             "differ:%s",
             check.differences);
      goto done;
    }
  }
  if (optimizer < 0) {
    /* Parameters alone: the optimizer's state is skipped. */
    if (loom_load_safetensors(tensors, file_path, NULL, err, err_size) != 0)
      goto done;
  } else {
    list = checkpoint_tensors(tensors, optimizer, &count);
    if (!list) {
      refuse(err, err_size, path, "out of memory");
      goto done;
    }
    /* Loom's own F32 tensors, restored exactly: no widening. */
    if (loom_safetensors_read(file_path, list, count, "tensor", NULL, NULL, 0,
                              NULL, err, err_size) != 0)
      goto done;
  }
  if (position) {
    position->step = member_integer(state, "step");
    position->batches_read = member_integer(state, "batches_read");
    position->tokens = member_integer(state, "tokens");
  }
  status = 0;
done:
  free(check.differences);
  free_checkpoint_tensors(list, count);
  json_free(state);
  return status;
}
