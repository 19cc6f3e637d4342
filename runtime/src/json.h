/*===- json.h - A small JSON reader: safetensors headers, tokenizers ----===*/

#ifndef LOOM_RUNTIME_JSON_H
#define LOOM_RUNTIME_JSON_H

#include <stddef.h>
#include <stdint.h>

/* A parsed JSON value. Objects and arrays own their children; strings are
 * NUL-terminated copies with escapes resolved (\u escapes to UTF-8). Numbers
 * keep their text. */
typedef enum {
  JSON_NULL,
  JSON_BOOL,
  JSON_NUMBER,
  JSON_STRING,
  JSON_ARRAY,
  JSON_OBJECT,
} json_kind;

typedef struct json_value json_value;
struct json_value {
  json_kind kind;
  char *text;        /* string contents or number text */
  int boolean;
  size_t count;      /* array elements or object members */
  char **keys;       /* object member names */
  json_value *items; /* array elements or object member values */
};

/* Parses `size` bytes; on failure returns NULL and writes why (with the byte
 * offset) into `err`. Nesting deeper than 64 is refused. */
json_value *json_parse(const char *text, size_t size, char *err, size_t err_size);
void json_free(json_value *value);

/* The member `key` of an object, or NULL. */
const json_value *json_member(const json_value *object, const char *key);

/* A non-negative integer number that fits in int64; -1 otherwise. */
int64_t json_integer(const json_value *value);

#endif /* LOOM_RUNTIME_JSON_H */
