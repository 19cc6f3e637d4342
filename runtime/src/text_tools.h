/*===- text_tools.h - The tokenize and detokenize subcommands -----------===*/

#ifndef LOOM_RUNTIME_TEXT_TOOLS_H
#define LOOM_RUNTIME_TEXT_TOOLS_H

typedef struct loom_tokenizer loom_tokenizer;

/* Prints the token ids of the text at `path` (NULL: standard input),
 * space-separated, on one line; returns the exit status. */
int loom_tokenize_text(const loom_tokenizer *tokenizer, const char *path,
                       const char *program);

/* Reads token ids from standard input (separated by white space or commas)
 * and writes their text; an id outside the vocabulary is refused with its
 * position. Returns the exit status. */
int loom_detokenize_ids(const loom_tokenizer *tokenizer, const char *program);

#endif /* LOOM_RUNTIME_TEXT_TOOLS_H */
