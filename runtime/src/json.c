/*===- json.c - A small JSON reader: safetensors headers, tokenizers ----===*/

#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *text;
  size_t size, pos;
  char *err;
  size_t err_size;
  int failed;
} parser;

static void fail(parser *p, const char *what) {
  if (!p->failed)
    snprintf(p->err, p->err_size, "malformed JSON at byte %zu: %s", p->pos, what);
  p->failed = 1;
}

static void skip_space(parser *p) {
  while (p->pos < p->size && (p->text[p->pos] == ' ' || p->text[p->pos] == '\t' ||
                              p->text[p->pos] == '\n' || p->text[p->pos] == '\r'))
    ++p->pos;
}

static int parse_value(parser *p, json_value *out, int depth);

/* Four hex digits after "\u"; -1 when they are not. */
static long parse_hex4(parser *p) {
  if (p->size - p->pos < 4)
    return -1;
  long code = 0;
  for (size_t i = 0; i < 4; ++i) {
    char h = p->text[p->pos + i];
    int digit = h >= '0' && h <= '9'   ? h - '0'
                : h >= 'a' && h <= 'f' ? h - 'a' + 10
                : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                       : -1;
    if (digit < 0)
      return -1;
    code = code * 16 + digit;
  }
  p->pos += 4;
  return code;
}

/* p->pos is just past "\u": decodes the escape (two for a surrogate pair, as
 * JSON writes characters beyond the BMP) into UTF-8. Tokenizer vocabularies
 * (OpenAI's encoder.json) escape every non-ASCII character this way. */
static int parse_unicode_escape(parser *p, char bytes[4], size_t *n) {
  long code = parse_hex4(p);
  if (code < 0) {
    fail(p, "bad \\u escape");
    return 0;
  }
  if (code >= 0xD800 && code <= 0xDBFF) {
    long low = -1;
    if (p->size - p->pos >= 2 && p->text[p->pos] == '\\' && p->text[p->pos + 1] == 'u') {
      p->pos += 2;
      low = parse_hex4(p);
    }
    if (low < 0xDC00 || low > 0xDFFF) {
      fail(p, "a high surrogate \\u escape without its low surrogate");
      return 0;
    }
    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
  } else if (code >= 0xDC00 && code <= 0xDFFF) {
    fail(p, "a low surrogate \\u escape without its high surrogate");
    return 0;
  } else if (code == 0) {
    fail(p, "\\u0000 in a string (strings are NUL-terminated)");
    return 0;
  }
  if (code < 0x80) {
    bytes[0] = (char)code;
    *n = 1;
  } else if (code < 0x800) {
    bytes[0] = (char)(0xC0 | (code >> 6));
    bytes[1] = (char)(0x80 | (code & 0x3F));
    *n = 2;
  } else if (code < 0x10000) {
    bytes[0] = (char)(0xE0 | (code >> 12));
    bytes[1] = (char)(0x80 | ((code >> 6) & 0x3F));
    bytes[2] = (char)(0x80 | (code & 0x3F));
    *n = 3;
  } else {
    bytes[0] = (char)(0xF0 | (code >> 18));
    bytes[1] = (char)(0x80 | ((code >> 12) & 0x3F));
    bytes[2] = (char)(0x80 | ((code >> 6) & 0x3F));
    bytes[3] = (char)(0x80 | (code & 0x3F));
    *n = 4;
  }
  return 1;
}

static char *parse_string_body(parser *p) {
  /* p->pos is just past the opening quote. */
  size_t capacity = 16, length = 0;
  char *out = malloc(capacity);
  if (!out) {
    fail(p, "out of memory");
    return NULL;
  }
  while (1) {
    if (p->pos >= p->size) {
      fail(p, "unterminated string");
      free(out);
      return NULL;
    }
    char c = p->text[p->pos++];
    char bytes[4] = {c};
    size_t n = 1;
    if (c == '"')
      break;
    if ((unsigned char)c < 0x20) {
      fail(p, "control character in a string");
      free(out);
      return NULL;
    }
    if (c == '\\') {
      if (p->pos >= p->size) {
        fail(p, "unterminated escape");
        free(out);
        return NULL;
      }
      char e = p->text[p->pos++];
      switch (e) {
      case '"': case '\\': case '/': bytes[0] = e; break;
      case 'b': bytes[0] = '\b'; break;
      case 'f': bytes[0] = '\f'; break;
      case 'n': bytes[0] = '\n'; break;
      case 'r': bytes[0] = '\r'; break;
      case 't': bytes[0] = '\t'; break;
      case 'u':
        if (!parse_unicode_escape(p, bytes, &n)) {
          free(out);
          return NULL;
        }
        break;
      default:
        fail(p, "unknown escape");
        free(out);
        return NULL;
      }
    }
    if (length + n + 1 > capacity) {
      capacity *= 2;
      char *grown = realloc(out, capacity);
      if (!grown) {
        fail(p, "out of memory");
        free(out);
        return NULL;
      }
      out = grown;
    }
    memcpy(out + length, bytes, n);
    length += n;
  }
  out[length] = '\0';
  return out;
}

static int parse_container(parser *p, json_value *out, int depth, int object) {
  char close = object ? '}' : ']';
  out->kind = object ? JSON_OBJECT : JSON_ARRAY;
  size_t capacity = 0;
  skip_space(p);
  if (p->pos < p->size && p->text[p->pos] == close) {
    ++p->pos;
    return 1;
  }
  while (1) {
    if (out->count == capacity) {
      capacity = capacity ? 2 * capacity : 8;
      json_value *items = realloc(out->items, capacity * sizeof(json_value));
      char **keys = object ? realloc(out->keys, capacity * sizeof(char *)) : NULL;
      if (!items || (object && !keys)) {
        if (items)
          out->items = items;
        if (keys)
          out->keys = keys;
        fail(p, "out of memory");
        return 0;
      }
      out->items = items;
      if (object)
        out->keys = keys;
    }
    json_value *item = &out->items[out->count];
    memset(item, 0, sizeof(*item));
    if (object) {
      skip_space(p);
      if (p->pos >= p->size || p->text[p->pos] != '"') {
        fail(p, "expected a member name");
        return 0;
      }
      ++p->pos;
      char *key = parse_string_body(p);
      if (!key)
        return 0;
      out->keys[out->count] = key;
      ++out->count; /* owned now, even if the value fails */
      skip_space(p);
      if (p->pos >= p->size || p->text[p->pos] != ':') {
        fail(p, "expected ':'");
        return 0;
      }
      ++p->pos;
    } else {
      ++out->count;
    }
    if (!parse_value(p, item, depth + 1))
      return 0;
    skip_space(p);
    if (p->pos < p->size && p->text[p->pos] == ',') {
      ++p->pos;
      continue;
    }
    if (p->pos < p->size && p->text[p->pos] == close) {
      ++p->pos;
      return 1;
    }
    fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
    return 0;
  }
}

static int parse_value(parser *p, json_value *out, int depth) {
  if (depth > 64) {
    fail(p, "nested too deeply");
    return 0;
  }
  skip_space(p);
  if (p->pos >= p->size) {
    fail(p, "unexpected end");
    return 0;
  }
  char c = p->text[p->pos];
  if (c == '{' || c == '[') {
    ++p->pos;
    return parse_container(p, out, depth, c == '{');
  }
  if (c == '"') {
    ++p->pos;
    out->kind = JSON_STRING;
    out->text = parse_string_body(p);
    return out->text != NULL;
  }
  static const struct {
    const char *word;
    json_kind kind;
    int boolean;
  } words[] = {{"true", JSON_BOOL, 1}, {"false", JSON_BOOL, 0}, {"null", JSON_NULL, 0}};
  for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); ++i) {
    size_t n = strlen(words[i].word);
    if (p->size - p->pos >= n && memcmp(p->text + p->pos, words[i].word, n) == 0) {
      p->pos += n;
      out->kind = words[i].kind;
      out->boolean = words[i].boolean;
      return 1;
    }
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    size_t start = p->pos;
    while (p->pos < p->size && strchr("+-0123456789.eE", p->text[p->pos]))
      ++p->pos;
    out->kind = JSON_NUMBER;
    out->text = malloc(p->pos - start + 1);
    if (!out->text) {
      fail(p, "out of memory");
      return 0;
    }
    memcpy(out->text, p->text + start, p->pos - start);
    out->text[p->pos - start] = '\0';
    return 1;
  }
  fail(p, "unexpected character");
  return 0;
}

json_value *json_parse(const char *text, size_t size, char *err, size_t err_size) {
  parser p = {text, size, 0, err, err_size, 0};
  json_value *value = calloc(1, sizeof(json_value));
  if (!value) {
    snprintf(err, err_size, "out of memory");
    return NULL;
  }
  if (parse_value(&p, value, 0)) {
    skip_space(&p);
    if (p.pos != size)
      fail(&p, "trailing characters");
  }
  if (p.failed) {
    json_free(value);
    return NULL;
  }
  return value;
}

static void free_contents(json_value *value) {
  free(value->text);
  for (size_t i = 0; i < value->count; ++i) {
    free_contents(&value->items[i]);
    if (value->keys)
      free(value->keys[i]);
  }
  free(value->items);
  free(value->keys);
}

void json_free(json_value *value) {
  if (!value)
    return;
  free_contents(value);
  free(value);
}

const json_value *json_member(const json_value *object, const char *key) {
  if (!object || object->kind != JSON_OBJECT)
    return NULL;
  for (size_t i = 0; i < object->count; ++i)
    if (strcmp(object->keys[i], key) == 0)
      return &object->items[i];
  return NULL;
}

int64_t json_integer(const json_value *value) {
  if (!value || value->kind != JSON_NUMBER)
    return -1;
  char *end;
  errno = 0;
  long long n = strtoll(value->text, &end, 10);
  if (*end || errno || n < 0)
    return -1;
  return (int64_t)n;
}
