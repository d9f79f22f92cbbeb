/*
 * alloc.c - heap wrappers with optional fault injection (see alloc.h).
 */
#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

#ifdef SMTPDX_FAULT_INJECTION
static unsigned long fail_at;  /* 0: never */
static unsigned long counter;

static int should_fail(void)
{
    counter++;
    return fail_at != 0 && counter >= fail_at;
}
#else
#define should_fail() 0
#endif

unsigned long sx_alloc_fail_after(unsigned long n)
{
#ifdef SMTPDX_FAULT_INJECTION
    unsigned long made = counter;
    counter = 0;
    fail_at = n;
    return made;
#else
    (void)n;
    return 0;
#endif
}

void *sx_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *sx_calloc(size_t n, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *sx_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void sx_free(void *p)
{
    free(p);
}

char *sx_strndup(const char *s, size_t n)
{
    char *d = sx_malloc(n + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *sx_strdup(const char *s)
{
    return sx_strndup(s, strlen(s));
}
