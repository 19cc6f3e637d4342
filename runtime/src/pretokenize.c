/*===- pretokenize.c - GPT-2's pre-tokenization regex, by hand ----------===*/

#include "pretokenize.h"

#include "unicode_classes.h"

#include <stdint.h>

typedef enum { kOther, kLetter, kNumber, kSpace } char_class;

typedef struct {
  uint32_t code;
  size_t length; /* bytes */
  char_class cls;
} code_point;

/* Decodes the code point at `pos` (< size). Overlong forms, surrogates and
 * truncated sequences are invalid: their first byte stands alone as kOther,
 * as a lone surrogate would in Python's surrogateescape. */
static code_point decode(const unsigned char *s, size_t size, size_t pos) {
  unsigned char b = s[pos];
  code_point c = {b, 1, kOther};
  if (b < 0x80) {
    if ((b | 0x20) >= 'a' && (b | 0x20) <= 'z')
      c.cls = kLetter;
    else if (b >= '0' && b <= '9')
      c.cls = kNumber;
    else if (b == ' ' || (b >= '\t' && b <= '\r'))
      c.cls = kSpace;
    return c;
  }
  size_t length = b >= 0xF8   ? 0
                  : b >= 0xF0 ? 4
                  : b >= 0xE0 ? 3
                  : b >= 0xC0 ? 2
                              : 0;
  if (length == 0 || size - pos < length)
    return c;
  uint32_t code = b & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    if ((s[pos + i] & 0xC0) != 0x80)
      return c;
    code = code << 6 | (s[pos + i] & 0x3F);
  }
  static const uint32_t kSmallest[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kSmallest[length] || code > 0x10FFFF ||
      (code >= 0xD800 && code <= 0xDFFF))
    return c;
  c.code = code;
  c.length = length;
  c.cls = loom_unicode_is_letter(code)   ? kLetter
          : loom_unicode_is_number(code) ? kNumber
          : loom_unicode_is_space(code)  ? kSpace
                                         : kOther;
  return c;
}

size_t loom_pretoken_end(const char *text, size_t size, size_t pos) {
  const unsigned char *s = (const unsigned char *)text;
  /* 's|'t|'re|'ve|'m|'ll|'d, case-sensitive as in GPT-2. */
  if (s[pos] == '\'' && size - pos >= 2) {
    unsigned char a = s[pos + 1], b = size - pos >= 3 ? s[pos + 2] : 0;
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
      return pos + 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') ||
        (a == 'l' && b == 'l'))
      return pos + 3;
  }
  code_point c = decode(s, size, pos);
  size_t end = pos + c.length;
  char_class run = c.cls;
  /* ` ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+`: a space joins the run after it. */
  if (c.code == ' ' && end < size) {
    code_point next = decode(s, size, end);
    if (next.cls != kSpace) {
      run = next.cls;
      end += next.length;
    }
  }
  if (run != kSpace) {
    while (end < size) {
      code_point next = decode(s, size, end);
      if (next.cls != run)
        break;
      end += next.length;
    }
    return end;
  }
  /* `\s+(?!\S)|\s+`: a run of spaces, less its last one when a non-space
   * follows and the run has more than one, so that the last space can lead
   * the next word. */
  size_t last = pos;
  while (end < size) {
    code_point next = decode(s, size, end);
    if (next.cls != kSpace)
      return last > pos ? last : end;
    last = end;
    end += next.length;
  }
  return end;
}
