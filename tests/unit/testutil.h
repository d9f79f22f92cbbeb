/*
 * testutil.h - small helpers shared by the unit tests.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H
#include <stddef.h>

/* The shared facts folder (../shared beside the project, or $SMTPDX_SHARED),
 * or NULL when it is absent: tests that need it then skip. */
const char *tu_shared_dir(void);
/* Read a whole file; NUL-terminated; NULL on error. Caller frees. */
char *tu_read_file(const char *path, size_t *len);
/* Skip the whole test program (ctest counts exit 77 as skipped). */
void tu_skip(const char *why) __attribute__((noreturn));
/* Call fn with the name of each file in dir whose name ends in suffix
 * (in the order the directory gives them); returns how many there were,
 * 0 when dir cannot be read. */
unsigned tu_each_file(const char *dir, const char *suffix,
                      void (*fn)(const char *name));
/* Un-escape \n \r \t \\ \0 \xHH in place; returns the new length. */
size_t tu_unescape(char *s);
#endif
