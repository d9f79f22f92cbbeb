/*
 * alloc.c - heap wrappers with optional fault injection (see alloc.h).
 */
#include "util/alloc.h"

#include <stdlib.h>
#include <string.h>

#ifdef SMTPDX_FAULT_INJECTION
#include <hs/hs.h>
#include <stdatomic.h>

/* Set before any thread starts; the counter is shared by the threads of
 * `bounce -j`, each allocation taking its own number. */
static unsigned long fail_at;  /* 0: never */
static _Atomic unsigned long counter;
static int fail_once;         /* only fail_at fails, not those after it */

static int should_fail(void)
{
    unsigned long c = atomic_fetch_add(&counter, 1) + 1;
    if (fail_at == 0)
        return 0;
    return fail_once ? c == fail_at : c >= fail_at;
}
#else
#define should_fail() 0
#endif

unsigned long sx_alloc_fail_after(unsigned long n)
{
#ifdef SMTPDX_FAULT_INJECTION
    /* Hyperscan's own allocations (databases, scratch) are counted and
     * failed too. Only in this test build: the allocator is process-wide,
     * and the shipping library must not take it from an application that
     * uses Hyperscan itself. */
    static int hs_hooked;
    if (!hs_hooked && hs_set_allocator(sx_malloc, sx_free) == HS_SUCCESS)
        hs_hooked = 1;
    unsigned long made = atomic_exchange(&counter, 0);
    fail_at = n;
    fail_once = 0;
    return made;
#else
    (void)n;
    return 0;
#endif
}

unsigned long sx_alloc_fail_only(unsigned long n)
{
    unsigned long made = sx_alloc_fail_after(n);
#ifdef SMTPDX_FAULT_INJECTION
    fail_once = 1;
#endif
    return made;
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
