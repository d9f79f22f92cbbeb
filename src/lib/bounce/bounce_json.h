/*
 * bounce_json.h - a small, bounded JSON reader (RFC 8259) for the
 * notifications some providers send instead of bounce mails (Amazon SES
 * through SNS). It reads one document into a flat node array; strings are
 * unescaped into storage owned by the document. Limits: SX_BJSON_MAX_NODES
 * nodes and SX_BJSON_MAX_DEPTH nesting; beyond them parsing fails.
 */
#ifndef SX_BOUNCE_JSON_H
#define SX_BOUNCE_JSON_H

#include <stddef.h>

#include "util/sbuf.h"

#define SX_BJSON_MAX_NODES 8192u
#define SX_BJSON_MAX_DEPTH 32u

enum { SX_BJ_NULL, SX_BJ_BOOL, SX_BJ_NUM, SX_BJ_STR, SX_BJ_ARR, SX_BJ_OBJ };

typedef struct sx_bjnode {
    int type;
    int parent;         /* -1 for the root */
    int next;           /* next sibling, -1 */
    int first;          /* first child (arrays, objects), -1 */
    size_t key, keylen; /* offset of the member name in the string store */
    size_t val, vallen; /* offset of a string value / the raw number */
} sx_bjnode;

typedef struct sx_bjson {
    sx_bjnode *n;
    int count, cap;
    sx_sbuf store;      /* unescaped strings, NUL-separated */
} sx_bjson;

void sx_bjson_init(sx_bjson *d);
void sx_bjson_release(sx_bjson *d);
/* 0 on success, -1 on malformed input or a crossed limit, -2 no memory. */
int sx_bjson_parse(sx_bjson *d, const char *s, size_t n);
/* Member of object node obj named key; -1 when absent. */
int sx_bjson_get(const sx_bjson *d, int obj, const char *key);
/* The string value of node i ("" when it is not a string). */
const char *sx_bjson_str(const sx_bjson *d, int i);
/* Children of an array: first, then next. */
static inline int sx_bjson_first(const sx_bjson *d, int i)
{
    return i >= 0 && i < d->count ? d->n[i].first : -1;
}
static inline int sx_bjson_next(const sx_bjson *d, int i)
{
    return i >= 0 && i < d->count ? d->n[i].next : -1;
}

#endif
