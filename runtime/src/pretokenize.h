/*===- pretokenize.h - GPT-2's pre-tokenization regex, by hand ----------===*/

#ifndef LOOM_RUNTIME_PRETOKENIZE_H
#define LOOM_RUNTIME_PRETOKENIZE_H

#include <stddef.h>

/* The end of the pre-token that starts at `pos` (< size): the leftmost-first
 * match at `pos` of GPT-2's
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * over UTF-8 text. Every byte of invalid UTF-8 is a code point of its own,
 * neither letter, number nor space, so the pre-tokens always tile the text. */
size_t loom_pretoken_end(const char *text, size_t size, size_t pos);

#endif /* LOOM_RUNTIME_PRETOKENIZE_H */
