/*===- tokenizer.c - Byte-level and GPT-2 BPE tokenizers ----------------===*/
/* GPT-2's byte-level BPE as OpenAI's encoder.py defines it: pre-tokenize with
 * the regex (pretokenize.c), spell each pre-token's bytes as one symbol per
 * byte, then repeatedly merge every occurrence, left to right, of the
 * adjacent pair with the lowest merge rank (bpe_vocab.c reads the ranks). */

#include "tokenizer.h"

#include "bpe_vocab.h"
#include "pretokenize.h"

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

/* What encoding mutates: the cache and the scratch of one pre-token's BPE. */
typedef struct {
  cache_entry **cache;
  size_t capacity;      /* bytes of pre-token the scratch holds */
  int32_t *symbol;      /* a symbol starting at byte i, -1 once merged away */
  int32_t *next, *prev; /* the symbols still standing, as a list */
  int32_t *changed;     /* symbols merged in the current rank's pass */
  uint64_t *heap;       /* rank << 32 | i for each candidate pair (i, next) */
} encode_state;

struct loom_tokenizer {
  char *name;
  loom_bpe_vocab vocab; /* no merges for bytes */
  encode_state *state;  /* see tokenizer.h on threads */
};

static loom_tokenizer *allocate(const char *kind, const char *dir) {
  loom_tokenizer *t = calloc(1, sizeof(loom_tokenizer));
  size_t size = strlen(kind) + (dir ? strlen(dir) + 1 : 0) + 1;
  if (!t || !(t->name = malloc(size)) ||
      !(t->state = calloc(1, sizeof(encode_state)))) {
    loom_tokenizer_free(t);
    return NULL;
  }
  snprintf(t->name, size, dir ? "%s %s" : "%s", kind, dir);
  return t;
}

loom_tokenizer *loom_tokenizer_open(const char *dir, char *err,
                                    size_t err_size) {
  loom_tokenizer *t = allocate("gpt2-bpe", dir);
  if (!t || !(t->state->cache = calloc(kCacheSlots, sizeof(cache_entry *)))) {
    snprintf(err, err_size, "%s: out of memory", dir);
    loom_tokenizer_free(t);
    return NULL;
  }
  if (loom_bpe_vocab_read(&t->vocab, dir, err, err_size) != 0) {
    loom_tokenizer_free(t);
    return NULL;
  }
  return t;
}

loom_tokenizer *loom_tokenizer_bytes(void) {
  loom_tokenizer *t = allocate("bytes", NULL);
  if (!t || !(t->vocab.pool = malloc(256)) ||
      !(t->vocab.offsets = malloc(257 * sizeof(size_t)))) {
    loom_tokenizer_free(t);
    return NULL;
  }
  for (int b = 0; b < 256; ++b) {
    t->vocab.pool[b] = (char)b;
    t->vocab.offsets[b] = (size_t)b;
  }
  t->vocab.offsets[256] = 256;
  t->vocab.size = 256;
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
  loom_bpe_vocab_free(&t->vocab);
  free(t->name);
  free(t);
}

int64_t loom_tokenizer_vocab_size(const loom_tokenizer *t) {
  return t->vocab.size;
}

const char *loom_tokenizer_name(const loom_tokenizer *t) { return t->name; }

const char *loom_tokenizer_token_bytes(const loom_tokenizer *t, int32_t id,
                                       size_t *length) {
  if (id < 0 || id >= t->vocab.size)
    return NULL;
  *length = t->vocab.offsets[id + 1] - t->vocab.offsets[id];
  return t->vocab.pool + t->vocab.offsets[id];
}

static int reserve(int32_t **ids, int64_t *count, int64_t *capacity,
                   size_t extra) {
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

/* The rank of merging symbol i with the next one, and its result; -1 when
 * they do not merge. */
static int32_t pair_rank(const loom_tokenizer *t, int32_t i, int32_t *result) {
  const encode_state *s = t->state;
  if (i < 0 || s->symbol[i] < 0 || s->next[i] < 0)
    return -1;
  return loom_bpe_merge_rank(&t->vocab, s->symbol[i], s->symbol[s->next[i]],
                             result);
}

static void push_pair(const loom_tokenizer *t, size_t *count, int32_t i) {
  int32_t result, rank = pair_rank(t, i, &result);
  if (rank >= 0)
    heap_push(t->state, count, (uint64_t)rank << 32 | (uint32_t)i);
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
    s->symbol[i] = t->vocab.byte_token[bytes[i]];
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
      int32_t i = (int32_t)(uint32_t)heap_pop(s, &count), result;
      if (pair_rank(t, i, &result) != (int32_t)rank)
        continue; /* a pair some earlier merge took apart */
      int32_t j = s->next[i];
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

static int encode_pretoken(const loom_tokenizer *t, const unsigned char *bytes,
                           size_t n, int32_t **ids, int64_t *count,
                           int64_t *capacity) {
  cache_entry **slot = NULL;
  if (n <= kCacheLongest) {
    uint64_t hash = loom_bpe_hash((const char *)bytes, n);
    slot = &t->state->cache[hash & (kCacheSlots - 1)];
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
  cache_entry *e =
      slot ? malloc(sizeof(cache_entry) + n * (sizeof(int32_t) + 1)) : NULL;
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

int loom_tokenizer_encode(const loom_tokenizer *t, const char *text,
                          size_t size, int32_t **ids, int64_t *count,
                          int64_t *capacity) {
  if (!t->vocab.merges) { /* bytes */
    if (reserve(ids, count, capacity, size) != 0)
      return -1;
    for (size_t i = 0; i < size; ++i)
      (*ids)[(*count)++] = (unsigned char)text[i];
    return 0;
  }
  for (size_t pos = 0, end; pos < size; pos = end) {
    end = loom_pretoken_end(text, size, pos);
    if (encode_pretoken(t, (const unsigned char *)text + pos, end - pos, ids,
                        count, capacity) != 0)
      return -1;
  }
  return 0;
}
