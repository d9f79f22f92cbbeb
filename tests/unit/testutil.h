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
/* Un-escape \n \r \t \\ \0 \xHH in place; returns the new length. */
size_t tu_unescape(char *s);
#endif
