/*===- read_file.h - A whole file in memory -----------------------------===*/

#ifndef LOOM_RUNTIME_READ_FILE_H
#define LOOM_RUNTIME_READ_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Everything left in `file` (a file or standard input), malloc'd; NULL when
 * out of memory or on a read error. */
char *loom_read_all(FILE *file, size_t *size);

#endif /* LOOM_RUNTIME_READ_FILE_H */
