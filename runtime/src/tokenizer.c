/*===- tokenizer.c - Byte-level and GPT-2 BPE tokenizers ----------------===*/
/* GPT-2's byte-level BPE as OpenAI's encoder.py defines it: pre-tokenize with
 * the regex (pretokenize.c), spell each pre-token's bytes as one symbol per
 * byte, then repeatedly merge every occurrence, left to right, of the
 * adjacent pair with the lowest merge rank. Symbols are token ids throughout:
 * loading checks that every merge's parts and result are tokens. */

#include "tokenizer.h"

#include "json.h"
#include "pretokenize.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Pre-tokens up to kCacheLongest bytes keep their ids in a direct-mapped
 * cache of kCacheSlots; a collision replaces the older entry. On English
 * prose almost every pre-token is a hit. */
enum { kCacheSlots = 1 << 16, kCacheLongest = 32 };

typedef struct cache_entry {
  uint32_t length, count; /* bytes of the pre-token, its ids */
  int32_t ids[];          /* count ids, then the pre-token's bytes */
} cache_entry;

typedef struct {
  int64_t key; /* left << 32 | right; -1 for an empty slot */
  int32_t rank, result;
} merge_slot;

/* What encoding mutates: the cache and the scratch of one pre-token's BPE. */
typedef struct {
  cache_entry **cache;
  size_t capacity;         /* bytes of pre-token the scratch holds */
  int32_t *symbol;         /* a symbol starting at byte i, -1 once merged away */
  int32_t *next, *prev;    /* the symbols still standing, as a list */
  int32_t *changed;        /* symbols merged in the current rank's pass */
  uint64_t *heap;          /* rank << 32 | i for each candidate pair (i, next) */
} encode_state;

struct loom_tokenizer {
  char *name;
  int32_t vocab_size;
  char *pool;        /* every token's bytes, in id order */
  size_t *offsets;   /* token i is pool[offsets[i] .. offsets[i + 1]) */
  int32_t *by_bytes; /* open addressing over token bytes; -1 when empty */
  size_t by_bytes_mask;
  int32_t byte_token[256];
  merge_slot *merges; /* open addressing over (left, right) */
  size_t merge_mask;
  encode_state *state;
};

static uint64_t hash_bytes(const char *bytes, size_t length) {
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

static char *copy_string(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b);
  char *out = malloc(na + nb + 1);
  if (out) {
    memcpy(out, a, na);
    memcpy(out + na, b, nb + 1);
  }
  return out;
}

static int32_t find_token(const loom_tokenizer *t, const char *bytes, size_t length) {
  for (size_t i = hash_bytes(bytes, length) & t->by_bytes_mask;; i = (i + 1) & t->by_bytes_mask) {
    int32_t id = t->by_bytes[i];
    if (id < 0)
      return -1;
    size_t size = t->offsets[id + 1] - t->offsets[id];
    if (size == length && memcmp(t->pool + t->offsets[id], bytes, length) == 0)
      return id;
  }
}

/* The rank of merging (left, right), with its result; -1 when no merge. */
static int32_t merge_rank(const loom_tokenizer *t, int32_t left, int32_t right, int32_t *result) {
  int64_t key = (int64_t)left << 32 | right;
  for (size_t i = hash_pair(key) & t->merge_mask;; i = (i + 1) & t->merge_mask) {
    if (t->merges[i].key < 0)
      return -1;
    if (t->merges[i].key == key) {
      *result = t->merges[i].result;
      return t->merges[i].rank;
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
static int load_vocab(loom_tokenizer *t, const json_value *vocab, const char *path, char *err,
                      size_t err_size) {
  if (!vocab || vocab->kind != JSON_OBJECT || vocab->count == 0 || vocab->count > INT32_MAX) {
    snprintf(err, err_size, "%s: the vocabulary is not a non-empty JSON object", path);
    return -1;
  }
  size_t n = vocab->count, pool_size = 0;
  int32_t *member = malloc(n * sizeof(int32_t)); /* the member of each id */
  t->offsets = calloc(n + 1, sizeof(size_t));
  t->by_bytes_mask = table_size(n) - 1;
  t->by_bytes = malloc((t->by_bytes_mask + 1) * sizeof(int32_t));
  if (!member || !t->offsets || !t->by_bytes)
    goto out_of_memory;
  memset(member, -1, n * sizeof(int32_t));
  memset(t->by_bytes, -1, (t->by_bytes_mask + 1) * sizeof(int32_t));
  for (size_t i = 0; i < n; ++i) {
    int64_t id = json_integer(&vocab->items[i]);
    if (id < 0 || id >= (int64_t)n) {
      snprintf(err, err_size,
               "%s: token \"%s\" has id %s; the %zu ids must be 0..%zu, one per token", path,
               vocab->keys[i], vocab->items[i].text ? vocab->items[i].text : "(not a number)",
               n, n - 1);
      goto fail;
    }
    if (member[id] >= 0) {
      snprintf(err, err_size, "%s: tokens \"%s\" and \"%s\" have the same id %lld", path,
               vocab->keys[member[id]], vocab->keys[i], (long long)id);
      goto fail;
    }
    member[id] = (int32_t)i;
    pool_size += strlen(vocab->keys[i]);
  }
  if (!(t->pool = malloc(pool_size + 1)))
    goto out_of_memory;
  for (size_t id = 0; id < n; ++id) {
    const char *key = vocab->keys[member[id]];
    long length = symbol_bytes(key, strlen(key), t->pool + t->offsets[id]);
    if (length <= 0) {
      snprintf(err, err_size,
               "%s: token \"%s\" (id %zu) is not spelled in GPT-2's 256 byte characters", path,
               key, id);
      goto fail;
    }
    t->offsets[id + 1] = t->offsets[id] + (size_t)length;
    int32_t same = find_token(t, t->pool + t->offsets[id], (size_t)length);
    if (same >= 0) {
      snprintf(err, err_size, "%s: tokens %d and %zu (\"%s\") are the same bytes", path, same,
               id, key);
      goto fail;
    }
    size_t slot = hash_bytes(t->pool + t->offsets[id], (size_t)length) & t->by_bytes_mask;
    while (t->by_bytes[slot] >= 0)
      slot = (slot + 1) & t->by_bytes_mask;
    t->by_bytes[slot] = (int32_t)id;
  }
  t->vocab_size = (int32_t)n;
  for (int b = 0; b < 256; ++b) {
    char byte = (char)b;
    if ((t->byte_token[b] = find_token(t, &byte, 1)) < 0) {
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

static int allocate_merges(loom_tokenizer *t, size_t count) {
  t->merge_mask = table_size(count) - 1;
  t->merges = malloc((t->merge_mask + 1) * sizeof(merge_slot));
  if (!t->merges)
    return -1;
  for (size_t i = 0; i <= t->merge_mask; ++i)
    t->merges[i].key = -1;
  return 0;
}

/* Adds the merge of two symbol strings with the next rank; on failure writes
 * why into `why`, for the caller to say where. */
static int add_merge(loom_tokenizer *t, const char *left, size_t left_size, const char *right,
                     size_t right_size, int32_t rank, char *why, size_t why_size) {
  char bytes[2 * 256];
  const char *parts[2] = {left, right};
  size_t sizes[2] = {left_size, right_size};
  int32_t ids[2];
  long length = 0;
  for (int k = 0; k < 2; ++k) {
    long n = sizes[k] <= 256 ? symbol_bytes(parts[k], sizes[k], bytes + length) : -1;
    if (n < 0 || (ids[k] = find_token(t, bytes + length, (size_t)n)) < 0) {
      snprintf(why, why_size, "\"%.*s\" is not a token of the vocabulary", (int)sizes[k],
               parts[k]);
      return -1;
    }
    length += n;
  }
  int32_t result = find_token(t, bytes, (size_t)length), old;
  if (result < 0) {
    snprintf(why, why_size, "the merge's result \"%.*s%.*s\" is not a token of the vocabulary",
             (int)left_size, left, (int)right_size, right);
    return -1;
  }
  if (merge_rank(t, ids[0], ids[1], &old) >= 0) {
    snprintf(why, why_size, "\"%.*s %.*s\" is merged twice", (int)left_size, left,
             (int)right_size, right);
    return -1;
  }
  int64_t key = (int64_t)ids[0] << 32 | ids[1];
  size_t slot = hash_pair(key) & t->merge_mask;
  while (t->merges[slot].key >= 0)
    slot = (slot + 1) & t->merge_mask;
  t->merges[slot] = (merge_slot){key, rank, result};
  return 0;
}

/* merges.txt / vocab.bpe: an optional "#version" line, then one merge per
 * line, its two symbols separated by one space. */
static int load_merges_text(loom_tokenizer *t, const char *text, size_t size, const char *path,
                            char *err, size_t err_size) {
  size_t lines = 1;
  for (size_t i = 0; i < size; ++i)
    lines += text[i] == '\n';
  if (allocate_merges(t, lines) != 0) {
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
      if (!space || space == line || space + 1 == eol || memchr(space + 1, ' ', (size_t)(eol - space - 1))) {
        snprintf(err, err_size, "%s:%zu: expected two symbols separated by one space, got \"%.*s\"",
                 path, number, (int)(length < 200 ? length : 200), line);
        return -1;
      }
      if (add_merge(t, line, (size_t)(space - line), space + 1, (size_t)(eol - space - 1), rank++,
                    why, sizeof(why)) != 0) {
        snprintf(err, err_size, "%s:%zu: %s", path, number, why);
        return -1;
      }
    }
    line = next;
  }
  return 0;
}

/* tokenizer.json's merges: "a b" strings, or ["a", "b"] pairs in newer files. */
static int load_merges_json(loom_tokenizer *t, const json_value *merges, const char *path,
                            char *err, size_t err_size) {
  if (!merges || merges->kind != JSON_ARRAY) {
    snprintf(err, err_size, "%s: model.merges is not an array", path);
    return -1;
  }
  if (allocate_merges(t, merges->count) != 0) {
    snprintf(err, err_size, "%s: out of memory for %zu merges", path, merges->count);
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
    } else if (m->kind == JSON_ARRAY && m->count == 2 && m->items[0].kind == JSON_STRING &&
               m->items[1].kind == JSON_STRING) {
      left = m->items[0].text;
      left_size = strlen(left);
      right = m->items[1].text;
    }
    char why[600];
    if (!left) {
      snprintf(err, err_size,
               "%s: model.merges[%zu] is not two symbols (\"a b\" or [\"a\", \"b\"])", path, i);
      return -1;
    }
    if (add_merge(t, left, left_size, right, strlen(right), (int32_t)i, why, sizeof(why)) != 0) {
      snprintf(err, err_size, "%s: model.merges[%zu]: %s", path, i, why);
      return -1;
    }
  }
  return 0;
}

static char *read_file(const char *path, size_t *size, char *err, size_t err_size) {
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
static int load_tokenizer_json(loom_tokenizer *t, const char *path, char *err, size_t err_size) {
  json_value *root = read_json(path, err, err_size);
  if (!root)
    return -1;
  const json_value *model = json_member(root, "model");
  const json_value *type = json_member(model, "type");
  const json_value *pre = json_member(root, "pre_tokenizer"), *normalizer = json_member(root, "normalizer");
  const json_value *pre_type = json_member(pre, "type"), *prefix = json_member(pre, "add_prefix_space");
  const json_value *regex = json_member(pre, "use_regex");
  int status = -1;
  if (!model || model->kind != JSON_OBJECT)
    snprintf(err, err_size, "%s: no \"model\" object", path);
  else if (type && (type->kind != JSON_STRING || strcmp(type->text, "BPE") != 0))
    snprintf(err, err_size, "%s: model.type is not \"BPE\"", path);
  else if (normalizer && normalizer->kind != JSON_NULL)
    snprintf(err, err_size, "%s: has a normalizer; GPT-2's BPE has none", path);
  else if (pre && pre->kind != JSON_NULL &&
           (!pre_type || pre_type->kind != JSON_STRING || strcmp(pre_type->text, "ByteLevel") != 0 ||
            (prefix && prefix->boolean) || (regex && regex->kind == JSON_BOOL && !regex->boolean)))
    snprintf(err, err_size,
             "%s: pre_tokenizer is not GPT-2's (ByteLevel, its regex, no prefix space)", path);
  else if (load_vocab(t, json_member(model, "vocab"), path, err, err_size) == 0)
    status = load_merges_json(t, json_member(model, "merges"), path, err, err_size);
  json_free(root);
  return status;
}

/* vocab.json + merges.txt, or encoder.json + vocab.bpe. */
static int load_vocab_and_merges(loom_tokenizer *t, const char *vocab_path, const char *merges_path,
                                 char *err, size_t err_size) {
  json_value *vocab = read_json(vocab_path, err, err_size);
  if (!vocab)
    return -1;
  int status = load_vocab(t, vocab, vocab_path, err, err_size);
  json_free(vocab);
  size_t size;
  char *merges = status == 0 ? read_file(merges_path, &size, err, err_size) : NULL;
  if (!merges)
    return -1;
  status = load_merges_text(t, merges, size, merges_path, err, err_size);
  free(merges);
  return status;
}

static int exists(const char *path) {
  FILE *file = path ? fopen(path, "rb") : NULL;
  if (file)
    fclose(file);
  return file != NULL;
}

loom_tokenizer *loom_tokenizer_open(const char *dir, char *err, size_t err_size) {
  loom_tokenizer *t = calloc(1, sizeof(loom_tokenizer));
  static const char *kFiles[] = {"/vocab.json", "/merges.txt", "/tokenizer.json",
                                 "/encoder.json", "/vocab.bpe"};
  char *paths[5] = {0};
  int ready = t && (t->name = copy_string("gpt2-bpe ", dir)) &&
              (t->state = calloc(1, sizeof(encode_state))) &&
              (t->state->cache = calloc(kCacheSlots, sizeof(cache_entry *)));
  for (int i = 0; i < 5 && ready; ++i)
    ready = (paths[i] = copy_string(dir, kFiles[i])) != NULL;
  int status = -1;
  if (!ready)
    snprintf(err, err_size, "%s: out of memory", dir);
  else if (exists(paths[0]))
    status = load_vocab_and_merges(t, paths[0], paths[1], err, err_size);
  else if (exists(paths[2]))
    status = load_tokenizer_json(t, paths[2], err, err_size);
  else if (exists(paths[3]))
    status = load_vocab_and_merges(t, paths[3], paths[4], err, err_size);
  else
    snprintf(err, err_size,
             "%s: no tokenizer: expected vocab.json and merges.txt, tokenizer.json, or "
             "encoder.json and vocab.bpe", dir);
  for (int i = 0; i < 5; ++i)
    free(paths[i]);
  if (status != 0) {
    loom_tokenizer_free(t);
    return NULL;
  }
  return t;
}

loom_tokenizer *loom_tokenizer_bytes(void) {
  loom_tokenizer *t = calloc(1, sizeof(loom_tokenizer));
  if (!t || !(t->name = copy_string("bytes", "")) || !(t->pool = malloc(256)) ||
      !(t->offsets = malloc(257 * sizeof(size_t)))) {
    loom_tokenizer_free(t);
    return NULL;
  }
  for (int b = 0; b < 256; ++b) {
    t->pool[b] = (char)b;
    t->offsets[b] = (size_t)b;
    t->byte_token[b] = b;
  }
  t->offsets[256] = 256;
  t->vocab_size = 256;
  return t;
}

void loom_tokenizer_free(loom_tokenizer *t) {
  if (!t)
    return;
  if (t->state) {
    for (size_t i = 0; t->state->cache && i < kCacheSlots; ++i)
      free(t->state->cache[i]);
    free(t->state->cache);
    free(t->state->symbol);
    free(t->state->next);
    free(t->state->prev);
    free(t->state->changed);
    free(t->state->heap);
    free(t->state);
  }
  free(t->name);
  free(t->pool);
  free(t->offsets);
  free(t->by_bytes);
  free(t->merges);
  free(t);
}

int64_t loom_tokenizer_vocab_size(const loom_tokenizer *t) { return t->vocab_size; }

const char *loom_tokenizer_name(const loom_tokenizer *t) { return t->name; }

const char *loom_tokenizer_token_bytes(const loom_tokenizer *t, int32_t id, size_t *length) {
  if (id < 0 || id >= t->vocab_size)
    return NULL;
  *length = t->offsets[id + 1] - t->offsets[id];
  return t->pool + t->offsets[id];
}

static int reserve(int32_t **ids, int64_t *count, int64_t *capacity, size_t extra) {
  if (*count + (int64_t)extra <= *capacity)
    return 0;
  int64_t grown = *capacity > 0 ? *capacity : 1024;
  while (grown < *count + (int64_t)extra)
    grown *= 2;
  int32_t *more = realloc(*ids, (size_t)grown * sizeof(int32_t));
  if (!more)
    return -1;
  *ids = more;
  *capacity = grown;
  return 0;
}

static void heap_push(encode_state *s, size_t *count, uint64_t entry) {
  size_t i = (*count)++;
  for (; i > 0 && s->heap[(i - 1) / 2] > entry; i = (i - 1) / 2)
    s->heap[i] = s->heap[(i - 1) / 2];
  s->heap[i] = entry;
}

static uint64_t heap_pop(encode_state *s, size_t *count) {
  uint64_t top = s->heap[0], last = s->heap[--*count];
  size_t i = 0;
  for (size_t child; (child = 2 * i + 1) < *count; i = child) {
    if (child + 1 < *count && s->heap[child + 1] < s->heap[child])
      ++child;
    if (s->heap[child] >= last)
      break;
    s->heap[i] = s->heap[child];
  }
  s->heap[i] = last;
  return top;
}

/* Pushes the pair of symbol i and the next one when they merge. */
static void push_pair(const loom_tokenizer *t, size_t *count, int32_t i) {
  encode_state *s = t->state;
  int32_t result;
  if (i < 0 || s->next[i] < 0)
    return;
  int32_t rank = merge_rank(t, s->symbol[i], s->symbol[s->next[i]], &result);
  if (rank >= 0)
    heap_push(s, count, (uint64_t)rank << 32 | (uint32_t)i);
}

/* encoder.py's bpe() in O(n log n): popping the heap in (rank, position)
 * order merges every occurrence of the lowest-ranked pair left to right;
 * pairs the merges create wait until that rank is done, as they would for
 * encoder.py's next pass. Leaves the ids in order in s->symbol via s->next. */
static int bpe(const loom_tokenizer *t, const unsigned char *bytes, size_t n) {
  encode_state *s = t->state;
  if (n > s->capacity) {
    size_t capacity = n > 2 * s->capacity ? n : 2 * s->capacity;
    int32_t **arrays[] = {&s->symbol, &s->next, &s->prev, &s->changed};
    for (int k = 0; k < 4; ++k) {
      int32_t *grown = realloc(*arrays[k], capacity * sizeof(int32_t));
      if (!grown)
        return -1;
      *arrays[k] = grown;
    }
    uint64_t *heap = realloc(s->heap, 3 * capacity * sizeof(uint64_t));
    if (!heap)
      return -1;
    s->heap = heap;
    s->capacity = capacity;
  }
  for (size_t i = 0; i < n; ++i) {
    s->symbol[i] = t->byte_token[bytes[i]];
    s->prev[i] = (int32_t)i - 1;
    s->next[i] = i + 1 < n ? (int32_t)i + 1 : -1;
  }
  size_t count = 0;
  for (size_t i = 0; i + 1 < n; ++i)
    push_pair(t, &count, (int32_t)i);
  while (count > 0) {
    uint64_t rank = s->heap[0] >> 32;
    size_t changed = 0;
    while (count > 0 && s->heap[0] >> 32 == rank) {
      int32_t i = (int32_t)(uint32_t)heap_pop(s, &count), j = s->next[i], result;
      if (s->symbol[i] < 0 || j < 0 ||
          merge_rank(t, s->symbol[i], s->symbol[j], &result) != (int32_t)rank)
        continue; /* a pair some earlier merge took apart */
      s->symbol[i] = result;
      s->symbol[j] = -1;
      s->next[i] = s->next[j];
      if (s->next[j] >= 0)
        s->prev[s->next[j]] = i;
      s->changed[changed++] = i;
    }
    for (size_t k = 0; k < changed; ++k) {
      push_pair(t, &count, s->prev[s->changed[k]]);
      push_pair(t, &count, s->changed[k]);
    }
  }
  return 0;
}

static int encode_pretoken(const loom_tokenizer *t, const unsigned char *bytes, size_t n,
                           int32_t **ids, int64_t *count, int64_t *capacity) {
  cache_entry **slot = NULL;
  if (n <= kCacheLongest) {
    slot = &t->state->cache[hash_bytes((const char *)bytes, n) & (kCacheSlots - 1)];
    cache_entry *e = *slot;
    if (e && e->length == n && memcmp(e->ids + e->count, bytes, n) == 0) {
      if (reserve(ids, count, capacity, e->count) != 0)
        return -1;
      memcpy(*ids + *count, e->ids, e->count * sizeof(int32_t));
      *count += e->count;
      return 0;
    }
  }
  if (bpe(t, bytes, n) != 0 || reserve(ids, count, capacity, n) != 0)
    return -1;
  int64_t first = *count;
  for (int32_t i = 0; i >= 0; i = t->state->next[i])
    (*ids)[(*count)++] = t->state->symbol[i];
  cache_entry *e = slot ? malloc(sizeof(cache_entry) + n * (sizeof(int32_t) + 1)) : NULL;
  if (e) { /* no room to cache is no failure */
    e->length = (uint32_t)n;
    e->count = (uint32_t)(*count - first);
    memcpy(e->ids, *ids + first, e->count * sizeof(int32_t));
    memcpy(e->ids + e->count, bytes, n);
    free(*slot);
    *slot = e;
  }
  return 0;
}

int loom_tokenizer_encode(const loom_tokenizer *t, const char *text, size_t size, int32_t **ids,
                          int64_t *count, int64_t *capacity) {
  if (!t->merges) { /* bytes */
    if (reserve(ids, count, capacity, size) != 0)
      return -1;
    for (size_t i = 0; i < size; ++i)
      (*ids)[(*count)++] = (unsigned char)text[i];
    return 0;
  }
  for (size_t pos = 0, end; pos < size; pos = end) {
    end = loom_pretoken_end(text, size, pos);
    if (encode_pretoken(t, (const unsigned char *)text + pos, end - pos, ids, count, capacity) != 0)
      return -1;
  }
  return 0;
}
