/*===- bpe_vocab.c - GPT-2 BPE vocabularies: reading and lookups --------===*/

#include "bpe_vocab.h"

#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t loom_bpe_hash(const char *bytes, size_t length) {
  uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
  for (size_t i = 0; i < length; ++i)
    h = (h ^ (unsigned char)bytes[i]) * 0x100000001b3u;
  return h ^ (h >> 32);
}

static uint64_t hash_pair(int64_t key) {
  uint64_t h = (uint64_t)key * 0x9e3779b97f4a7c15u;
  return h ^ (h >> 29);
}

static size_t table_size(size_t count) {
  size_t size = 16;
  while (size < 2 * count)
    size *= 2;
  return size;
}

int32_t loom_bpe_find_token(const loom_bpe_vocab *v, const char *bytes,
                            size_t length) {
  for (size_t i = loom_bpe_hash(bytes, length) & v->by_bytes_mask;;
       i = (i + 1) & v->by_bytes_mask) {
    int32_t id = v->by_bytes[i];
    if (id < 0)
      return -1;
    size_t size = v->offsets[id + 1] - v->offsets[id];
    if (size == length && memcmp(v->pool + v->offsets[id], bytes, length) == 0)
      return id;
  }
}

int32_t loom_bpe_merge_rank(const loom_bpe_vocab *v, int32_t left,
                            int32_t right, int32_t *result) {
  int64_t key = (int64_t)left << 32 | right;
  for (size_t i = hash_pair(key) & v->merge_mask;;
       i = (i + 1) & v->merge_mask) {
    if (v->merges[i].key < 0)
      return -1;
    if (v->merges[i].key == key) {
      *result = v->merges[i].result;
      return v->merges[i].rank;
    }
  }
}

/* GPT-2 spells byte b as one character: b itself when printable ('!'..'~',
 * '¡'..'¬', '®'..'ÿ'), else the n-th of the 68 others as U+0100 + n. Returns
 * the byte of character `code`, or -1 when it spells none. */
static int byte_of_symbol(uint32_t code) {
  if ((code >= 0x21 && code <= 0x7E) || (code >= 0xA1 && code <= 0xAC) ||
      (code >= 0xAE && code <= 0xFF))
    return (int)code;
  if (code < 0x100 || code >= 0x100 + 68)
    return -1;
  uint32_t n = code - 0x100; /* 0x00..0x20, then 0x7F..0xA0, then 0xAD */
  return n < 33 ? (int)n : n < 67 ? (int)(0x7F + n - 33) : 0xAD;
}

/* Writes the bytes a symbol string spells into `out` (at most `size` bytes
 * long); -1 when it is not made of GPT-2's byte characters, which all encode
 * in one or two bytes of UTF-8. */
static long symbol_bytes(const char *symbol, size_t size, char *out) {
  const unsigned char *s = (const unsigned char *)symbol;
  long length = 0;
  for (size_t i = 0; i < size; ++i) {
    uint32_t code = s[i];
    if (code >= 0x80) {
      if ((code & 0xE0) != 0xC0 || i + 1 == size || (s[i + 1] & 0xC0) != 0x80)
        return -1;
      code = (code & 0x1F) << 6 | (s[++i] & 0x3F);
      if (code < 0x80)
        return -1;
    }
    int byte = byte_of_symbol(code);
    if (byte < 0)
      return -1;
    out[length++] = (char)byte;
  }
  return length;
}

/* The vocabulary: a JSON object from symbol strings to ids, which must be
 * 0..n-1, each once, with a token for every single byte. */
static int load_vocab(loom_bpe_vocab *v, const json_value *vocab,
                      const char *path, char *err, size_t err_size) {
  if (!vocab || vocab->kind != JSON_OBJECT || vocab->count == 0 ||
      vocab->count > INT32_MAX) {
    snprintf(err, err_size, "%s: the vocabulary is not a non-empty JSON object",
             path);
    return -1;
  }
  size_t n = vocab->count, pool_size = 0;
  int32_t *member = malloc(n * sizeof(int32_t)); /* the member of each id */
  v->offsets = calloc(n + 1, sizeof(size_t));
  v->by_bytes_mask = table_size(n) - 1;
  v->by_bytes = malloc((v->by_bytes_mask + 1) * sizeof(int32_t));
  if (!member || !v->offsets || !v->by_bytes)
    goto out_of_memory;
  memset(member, -1, n * sizeof(int32_t));
  memset(v->by_bytes, -1, (v->by_bytes_mask + 1) * sizeof(int32_t));
  for (size_t i = 0; i < n; ++i) {
    int64_t id = json_integer(&vocab->items[i]);
    if (id < 0 || id >= (int64_t)n) {
      const char *text =
          vocab->items[i].kind == JSON_NUMBER ? vocab->items[i].text : NULL;
      snprintf(err, err_size,
               "%s: token \"%s\" has %s%s; the %zu ids must be 0..%zu, one per "
               "token",
               path, vocab->keys[i],
               text ? "id " : "an id that is not a number", text ? text : "", n,
               n - 1);
      goto fail;
    }
    if (member[id] >= 0) {
      snprintf(err, err_size,
               "%s: tokens \"%s\" and \"%s\" have the same id %lld", path,
               vocab->keys[member[id]], vocab->keys[i], (long long)id);
      goto fail;
    }
    member[id] = (int32_t)i;
    pool_size += strlen(vocab->keys[i]);
  }
  if (!(v->pool = malloc(pool_size + 1)))
    goto out_of_memory;
  for (size_t id = 0; id < n; ++id) {
    const char *key = vocab->keys[member[id]];
    long length = symbol_bytes(key, strlen(key), v->pool + v->offsets[id]);
    if (length <= 0) {
      snprintf(err, err_size,
               "%s: token \"%s\" (id %zu) is not spelled in GPT-2's 256 byte "
               "characters",
               path, key, id);
      goto fail;
    }
    v->offsets[id + 1] = v->offsets[id] + (size_t)length;
    int32_t same =
        loom_bpe_find_token(v, v->pool + v->offsets[id], (size_t)length);
    if (same >= 0) {
      snprintf(err, err_size,
               "%s: tokens %d and %zu (\"%s\") are the same bytes", path, same,
               id, key);
      goto fail;
    }
    size_t slot = loom_bpe_hash(v->pool + v->offsets[id], (size_t)length) &
                  v->by_bytes_mask;
    while (v->by_bytes[slot] >= 0)
      slot = (slot + 1) & v->by_bytes_mask;
    v->by_bytes[slot] = (int32_t)id;
  }
  v->size = (int32_t)n;
  for (int b = 0; b < 256; ++b) {
    char byte = (char)b;
    if ((v->byte_token[b] = loom_bpe_find_token(v, &byte, 1)) < 0) {
      snprintf(err, err_size, "%s: no token for the byte 0x%02x", path, b);
      goto fail;
    }
  }
  free(member);
  return 0;
out_of_memory:
  snprintf(err, err_size, "%s: out of memory for %zu tokens", path, n);
fail:
  free(member);
  return -1;
}

static int allocate_merges(loom_bpe_vocab *v, size_t count) {
  v->merge_mask = table_size(count) - 1;
  v->merges = malloc((v->merge_mask + 1) * sizeof(loom_bpe_merge));
  if (!v->merges)
    return -1;
  for (size_t i = 0; i <= v->merge_mask; ++i)
    v->merges[i].key = -1;
  return 0;
}

/* Adds the merge of two symbol strings as rank `rank`; on failure writes why
 * into `why`, for the caller to say where. */
static int add_merge(loom_bpe_vocab *v, const char *left, size_t left_size,
                     const char *right, size_t right_size, int32_t rank,
                     char *why, size_t why_size) {
  char bytes[2 * 256];
  const char *parts[2] = {left, right};
  size_t sizes[2] = {left_size, right_size};
  int32_t ids[2];
  long length = 0;
  for (int k = 0; k < 2; ++k) {
    long n =
        sizes[k] <= 256 ? symbol_bytes(parts[k], sizes[k], bytes + length) : -1;
    if (n < 0 ||
        (ids[k] = loom_bpe_find_token(v, bytes + length, (size_t)n)) < 0) {
      snprintf(why, why_size, "\"%.*s\" is not a token of the vocabulary",
               (int)sizes[k], parts[k]);
      return -1;
    }
    length += n;
  }
  int32_t result = loom_bpe_find_token(v, bytes, (size_t)length), old;
  if (result < 0) {
    snprintf(why, why_size,
             "the merge's result \"%.*s%.*s\" is not a token of the vocabulary",
             (int)left_size, left, (int)right_size, right);
    return -1;
  }
  if (loom_bpe_merge_rank(v, ids[0], ids[1], &old) >= 0) {
    snprintf(why, why_size, "\"%.*s %.*s\" is merged twice", (int)left_size,
             left, (int)right_size, right);
    return -1;
  }
  int64_t key = (int64_t)ids[0] << 32 | ids[1];
  size_t slot = hash_pair(key) & v->merge_mask;
  while (v->merges[slot].key >= 0)
    slot = (slot + 1) & v->merge_mask;
  v->merges[slot] = (loom_bpe_merge){key, rank, result};
  return 0;
}

/* merges.txt / vocab.bpe: an optional "#version" line, then one merge per
 * line, its two symbols separated by one space. */
static int load_merges_text(loom_bpe_vocab *v, const char *text, size_t size,
                            const char *path, char *err, size_t err_size) {
  size_t lines = 1;
  for (size_t i = 0; i < size; ++i)
    lines += text[i] == '\n';
  if (allocate_merges(v, lines) != 0) {
    snprintf(err, err_size, "%s: out of memory for %zu merges", path, lines);
    return -1;
  }
  int32_t rank = 0;
  const char *line = text, *end = text + size;
  for (size_t number = 1; line < end; ++number) {
    const char *eol = memchr(line, '\n', (size_t)(end - line));
    const char *next = eol ? eol + 1 : end;
    if (!eol)
      eol = end;
    if (eol > line && eol[-1] == '\r')
      --eol;
    size_t length = (size_t)(eol - line);
    int header = number == 1 && length >= 8 && memcmp(line, "#version", 8) == 0;
    if (length > 0 && !header) {
      const char *space = memchr(line, ' ', length);
      char why[600];
      if (!space || space == line || space + 1 == eol ||
          memchr(space + 1, ' ', (size_t)(eol - space - 1))) {
        snprintf(
            err, err_size,
            "%s:%zu: expected two symbols separated by one space, got \"%.*s\"",
            path, number, (int)(length < 200 ? length : 200), line);
        return -1;
      }
      if (add_merge(v, line, (size_t)(space - line), space + 1,
                    (size_t)(eol - space - 1), rank++, why, sizeof(why)) != 0) {
        snprintf(err, err_size, "%s:%zu: %s", path, number, why);
        return -1;
      }
    }
    line = next;
  }
  return 0;
}

/* tokenizer.json's merges: "a b" strings, or ["a", "b"] pairs in newer files.
 */
static int load_merges_json(loom_bpe_vocab *v, const json_value *merges,
                            const char *path, char *err, size_t err_size) {
  if (!merges || merges->kind != JSON_ARRAY) {
    snprintf(err, err_size, "%s: model.merges is not an array", path);
    return -1;
  }
  if (allocate_merges(v, merges->count) != 0) {
    snprintf(err, err_size, "%s: out of memory for %zu merges", path,
             merges->count);
    return -1;
  }
  for (size_t i = 0; i < merges->count; ++i) {
    const json_value *m = &merges->items[i];
    const char *left = NULL, *right = NULL;
    size_t left_size = 0;
    if (m->kind == JSON_STRING) {
      const char *space = strchr(m->text, ' ');
      if (space && space != m->text && space[1] && !strchr(space + 1, ' ')) {
        left = m->text;
        left_size = (size_t)(space - m->text);
        right = space + 1;
      }
    } else if (m->kind == JSON_ARRAY && m->count == 2 &&
               m->items[0].kind == JSON_STRING &&
               m->items[1].kind == JSON_STRING) {
      left = m->items[0].text;
      left_size = strlen(left);
      right = m->items[1].text;
    }
    char why[600];
    if (!left) {
      snprintf(err, err_size,
               "%s: model.merges[%zu] is not two symbols (\"a b\" or [\"a\", "
               "\"b\"])",
               path, i);
      return -1;
    }
    if (add_merge(v, left, left_size, right, strlen(right), (int32_t)i, why,
                  sizeof(why)) != 0) {
      snprintf(err, err_size, "%s: model.merges[%zu]: %s", path, i, why);
      return -1;
    }
  }
  return 0;
}

static char *read_file(const char *path, size_t *size, char *err,
                       size_t err_size) {
  FILE *file = fopen(path, "rb");
  if (!file) {
    snprintf(err, err_size, "%s: %s", path, strerror(errno));
    return NULL;
  }
  char *data = NULL;
  size_t used = 0, capacity = 0;
  while (1) {
    if (used == capacity) {
      char *grown = realloc(data, capacity = capacity ? 2 * capacity : 1 << 20);
      if (!grown) {
        snprintf(err, err_size, "%s: out of memory", path);
        break;
      }
      data = grown;
    }
    size_t got = fread(data + used, 1, capacity - used, file);
    used += got;
    if (got == 0) {
      if (!ferror(file)) {
        fclose(file);
        *size = used;
        return data;
      }
      snprintf(err, err_size, "%s: read failed", path);
      break;
    }
  }
  fclose(file);
  free(data);
  return NULL;
}

static json_value *read_json(const char *path, char *err, size_t err_size) {
  size_t size;
  char *text = read_file(path, &size, err, err_size), why[256];
  if (!text)
    return NULL;
  json_value *root = json_parse(text, size, why, sizeof(why));
  free(text);
  if (!root)
    snprintf(err, err_size, "%s: %s", path, why);
  return root;
}

/* Hugging Face's tokenizer.json, refusing what would not tokenize as GPT-2. */
static int load_tokenizer_json(loom_bpe_vocab *v, const char *path, char *err,
                               size_t err_size) {
  json_value *root = read_json(path, err, err_size);
  if (!root)
    return -1;
  const json_value *model = json_member(root, "model");
  const json_value *type = json_member(model, "type");
  const json_value *pre = json_member(root, "pre_tokenizer"),
                   *normalizer = json_member(root, "normalizer");
  const json_value *pre_type = json_member(pre, "type"),
                   *prefix = json_member(pre, "add_prefix_space");
  const json_value *regex = json_member(pre, "use_regex");
  int status = -1;
  if (!model || model->kind != JSON_OBJECT)
    snprintf(err, err_size, "%s: no \"model\" object", path);
  else if (type &&
           (type->kind != JSON_STRING || strcmp(type->text, "BPE") != 0))
    snprintf(err, err_size, "%s: model.type is not \"BPE\"", path);
  else if (normalizer && normalizer->kind != JSON_NULL)
    snprintf(err, err_size, "%s: has a normalizer; GPT-2's BPE has none", path);
  else if (pre && pre->kind != JSON_NULL &&
           (!pre_type || pre_type->kind != JSON_STRING ||
            strcmp(pre_type->text, "ByteLevel") != 0 ||
            (prefix && prefix->boolean) ||
            (regex && regex->kind == JSON_BOOL && !regex->boolean)))
    snprintf(err, err_size,
             "%s: pre_tokenizer is not GPT-2's (ByteLevel, its regex, no "
             "prefix space)",
             path);
  else if (load_vocab(v, json_member(model, "vocab"), path, err, err_size) == 0)
    status =
        load_merges_json(v, json_member(model, "merges"), path, err, err_size);
  json_free(root);
  return status;
}

/* vocab.json + merges.txt, or encoder.json + vocab.bpe. */
static int load_vocab_and_merges(loom_bpe_vocab *v, const char *vocab_path,
                                 const char *merges_path, char *err,
                                 size_t err_size) {
  json_value *vocab = read_json(vocab_path, err, err_size);
  if (!vocab)
    return -1;
  int status = load_vocab(v, vocab, vocab_path, err, err_size);
  json_free(vocab);
  size_t size;
  char *merges =
      status == 0 ? read_file(merges_path, &size, err, err_size) : NULL;
  if (!merges)
    return -1;
  status = load_merges_text(v, merges, size, merges_path, err, err_size);
  free(merges);
  return status;
}

static char *join_path(const char *dir, const char *file) {
  size_t size = strlen(dir) + strlen(file) + 2;
  char *path = malloc(size);
  int slash = dir[0] && dir[strlen(dir) - 1] == '/';
  if (path)
    snprintf(path, size, slash ? "%s%s" : "%s/%s", dir, file);
  return path;
}

static int exists(const char *path) {
  FILE *file = fopen(path, "rb");
  if (file)
    fclose(file);
  return file != NULL;
}

int loom_bpe_vocab_read(loom_bpe_vocab *v, const char *dir, char *err,
                        size_t err_size) {
  static const char *kFiles[] = {"vocab.json", "merges.txt", "tokenizer.json",
                                 "encoder.json", "vocab.bpe"};
  char *paths[5] = {0};
  int ready = 1, status = -1;
  for (int i = 0; i < 5 && ready; ++i)
    ready = (paths[i] = join_path(dir, kFiles[i])) != NULL;
  if (!ready)
    snprintf(err, err_size, "%s: out of memory", dir);
  else if (exists(paths[0]))
    status = load_vocab_and_merges(v, paths[0], paths[1], err, err_size);
  else if (exists(paths[2]))
    status = load_tokenizer_json(v, paths[2], err, err_size);
  else if (exists(paths[3]))
    status = load_vocab_and_merges(v, paths[3], paths[4], err, err_size);
  else
    snprintf(err, err_size,
             "%s: no tokenizer: expected vocab.json and merges.txt, "
             "tokenizer.json, or encoder.json and vocab.bpe",
             dir);
  for (int i = 0; i < 5; ++i)
    free(paths[i]);
  return status;
}

void loom_bpe_vocab_free(loom_bpe_vocab *v) {
  free(v->pool);
  free(v->offsets);
  free(v->by_bytes);
  free(v->merges);
  memset(v, 0, sizeof(*v));
}
