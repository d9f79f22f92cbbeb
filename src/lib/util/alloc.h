/*
 * alloc.h - the library's only door to the heap.
 *
 * Every allocation in libsmtpdx goes through sx_malloc/sx_calloc/sx_realloc
 * so that a test build (SMTPDX_FAULT_INJECTION) can fail the n-th one and
 * prove that each caller turns out-of-memory into SMTPDX_ERR_NOMEM. That
 * build also hands these functions to Hyperscan (alloc.c).
 */
#ifndef SX_ALLOC_H
#define SX_ALLOC_H
#include <stddef.h>

void *sx_malloc(size_t n);
void *sx_calloc(size_t n, size_t size);
void *sx_realloc(void *p, size_t n);
void sx_free(void *p);
char *sx_strndup(const char *s, size_t n);
char *sx_strdup(const char *s);

/* Fault injection (only effective in SMTPDX_FAULT_INJECTION builds): the
 * n-th allocation from now fails (1 = the next one), and so does every one
 * after it; 0 turns it off. Returns how many allocations were made since
 * the last call to either function. */
unsigned long sx_alloc_fail_after(unsigned long n);
/* The same, but only the n-th allocation fails and later ones succeed:
 * a caller that swallows the failure and goes on then shows up as output
 * that differs from a clean run, not only as a later error. */
unsigned long sx_alloc_fail_only(unsigned long n);

#endif
