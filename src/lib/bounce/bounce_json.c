/*
 * bounce_json.c - a bounded JSON reader (see bounce_json.h), recursive
 * descent with an explicit depth limit (RFC 8259 9 allows limits).
 */
#include "bounce/bounce_json.h"

#include <string.h>

#include "util/alloc.h"

typedef struct jp {
    const char *p, *e;
    sx_bjson *d;
    int err;
} jp;

static void ws(jp *j)
{
    while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' ||
                           *j->p == '\r'))
        j->p++;
}

static int node_new(jp *j, int type, int parent)
{
    sx_bjson *d = j->d;
    if (d->count >= (int)SX_BJSON_MAX_NODES) {
        j->err = -1;
        return -1;
    }
    if (d->count == d->cap) {
        int cap = d->cap ? d->cap * 2 : 64;
        sx_bjnode *n = sx_realloc(d->n, (size_t)cap * sizeof *n);
        if (n == NULL) {
            j->err = -2;
            return -1;
        }
        d->n = n;
        d->cap = cap;
    }
    sx_bjnode *x = &d->n[d->count];
    memset(x, 0, sizeof *x);
    x->type = type;
    x->parent = parent;
    x->next = x->first = -1;
    return d->count++;
}

static int put_utf8(sx_sbuf *b, unsigned long c)
{
    char u[4];
    size_t n;
    if (c < 0x80) {
        u[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xC0 | (c >> 6));
        u[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        u[0] = (char)(0xE0 | (c >> 12));
        u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (c >> 18));
        u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    return sx_sbuf_append(b, u, n);
}

static int hex4(const char *p, unsigned long *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        *v = *v * 16 + (unsigned long)d;
    }
    return 0;
}

/* A string at j->p (after the quote): unescaped into the store. A byte
 * that cannot be stored fails the parse: a string with a hole in it would
 * read as another value. */
static int string(jp *j, size_t *off, size_t *len)
{
    sx_sbuf *b = &j->d->store;
    int rc = SX_SBUF_OK;
    *off = b->len;
    while (rc == SX_SBUF_OK && j->p < j->e && *j->p != '"') {
        if (*j->p != '\\') {
            /* a run of plain bytes in one copy */
            const char *run = j->p;
            while (j->p < j->e && *j->p != '"' && *j->p != '\\')
                j->p++;
            rc = sx_sbuf_append(b, run, (size_t)(j->p - run));
            continue;
        }
        j->p++;
        if (j->p >= j->e)
            return -1;
        char c = *j->p++;
        switch (c) {
        case 'n': rc = sx_sbuf_putc(b, '\n'); break;
        case 't': rc = sx_sbuf_putc(b, '\t'); break;
        case 'r': rc = sx_sbuf_putc(b, '\r'); break;
        case 'b': rc = sx_sbuf_putc(b, '\b'); break;
        case 'f': rc = sx_sbuf_putc(b, '\f'); break;
        case 'u': {
            unsigned long v, lo;
            if (j->e - j->p < 4 || hex4(j->p, &v))
                return -1;
            j->p += 4;
            if (v >= 0xD800 && v < 0xDC00 && j->e - j->p >= 6 &&
                j->p[0] == '\\' && j->p[1] == 'u' && hex4(j->p + 2, &lo) == 0 &&
                lo >= 0xDC00 && lo < 0xE000) {
                v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                j->p += 6;
            } else if (v >= 0xD800 && v < 0xE000) {
                v = 0xFFFD;
            }
            rc = put_utf8(b, v);
            break;
        }
        default: rc = sx_sbuf_putc(b, c); break;
        }
    }
    if (rc == SX_SBUF_OK && j->p < j->e) {
        j->p++; /* closing quote */
        *len = b->len - *off;
        rc = sx_sbuf_putc(b, '\0');
        if (rc == SX_SBUF_OK)
            return 0;
    }
    if (rc == SX_SBUF_OK)
        return -1; /* no closing quote */
    /* callers stop at any non-zero; the parse returns j->err: -2 out of
     * memory, -1 past the store's limit */
    j->err = rc == SX_SBUF_NOMEM ? -2 : -1;
    return j->err;
}

static int value(jp *j, int parent, unsigned depth);

static int link_child(jp *j, int parent, int *last, int child)
{
    (void)j;
    if (*last < 0)
        j->d->n[parent].first = child;
    else
        j->d->n[*last].next = child;
    *last = child;
    return 0;
}

static int value(jp *j, int parent, unsigned depth)
{
    ws(j);
    if (j->p >= j->e || depth > SX_BJSON_MAX_DEPTH)
        return -1;
    char c = *j->p;
    if (c == '{' || c == '[') {
        int me = node_new(j, c == '{' ? SX_BJ_OBJ : SX_BJ_ARR, parent);
        if (me < 0)
            return -1;
        char close = c == '{' ? '}' : ']';
        int last = -1;
        j->p++;
        ws(j);
        if (j->p < j->e && *j->p == close) {
            j->p++;
            return me;
        }
        for (;;) {
            size_t koff = 0, klen = 0;
            ws(j);
            if (close == '}') {
                if (j->p >= j->e || *j->p != '"')
                    return -1;
                j->p++;
                if (string(j, &koff, &klen))
                    return -1;
                ws(j);
                if (j->p >= j->e || *j->p != ':')
                    return -1;
                j->p++;
            }
            int ch = value(j, me, depth + 1);
            if (ch < 0)
                return -1;
            j->d->n[ch].key = koff;
            j->d->n[ch].keylen = klen;
            link_child(j, me, &last, ch);
            ws(j);
            if (j->p < j->e && *j->p == ',') {
                j->p++;
                continue;
            }
            if (j->p < j->e && *j->p == close) {
                j->p++;
                return me;
            }
            return -1;
        }
    }
    if (c == '"') {
        int me = node_new(j, SX_BJ_STR, parent);
        if (me < 0)
            return -1;
        j->p++;
        size_t off, len;
        if (string(j, &off, &len))
            return -1;
        j->d->n[me].val = off;
        j->d->n[me].vallen = len;
        return me;
    }
    /* true, false, null, numbers: kept as their raw text */
    const char *s = j->p;
    while (j->p < j->e && *j->p != ',' && *j->p != '}' && *j->p != ']' &&
           *j->p != ' ' && *j->p != '\n' && *j->p != '\r' && *j->p != '\t')
        j->p++;
    if (j->p == s)
        return -1;
    int type = (*s == 't' || *s == 'f') ? SX_BJ_BOOL
               : *s == 'n' ? SX_BJ_NULL : SX_BJ_NUM;
    int me = node_new(j, type, parent);
    if (me < 0)
        return -1;
    size_t off = j->d->store.len;
    int rc = sx_sbuf_append(&j->d->store, s, (size_t)(j->p - s));
    if (rc == SX_SBUF_OK)
        rc = sx_sbuf_putc(&j->d->store, '\0');
    if (rc != SX_SBUF_OK) {
        j->err = rc == SX_SBUF_NOMEM ? -2 : -1;
        return -1;
    }
    j->d->n[me].val = off;
    j->d->n[me].vallen = (size_t)(j->p - s);
    return me;
}

void sx_bjson_init(sx_bjson *d)
{
    memset(d, 0, sizeof *d);
    sx_sbuf_init(&d->store, 4u * 1024u * 1024u);
}

void sx_bjson_release(sx_bjson *d)
{
    if (d == NULL)
        return;
    sx_free(d->n);
    sx_sbuf_release(&d->store);
    sx_bjson_init(d);
}

int sx_bjson_parse(sx_bjson *d, const char *s, size_t n)
{
    d->count = 0;
    sx_sbuf_reset(&d->store);
    /* offset 0 is an empty string, so a missing value reads as "" */
    if (sx_sbuf_putc(&d->store, '\0') != SX_SBUF_OK)
        return -2;
    jp j = {s, s + n, d, 0};
    int root = value(&j, -1, 0);
    if (j.err)
        return j.err;
    return root == 0 ? 0 : -1;
}

int sx_bjson_get(const sx_bjson *d, int obj, const char *key)
{
    if (obj < 0 || obj >= d->count || d->n[obj].type != SX_BJ_OBJ)
        return -1;
    size_t kl = strlen(key);
    for (int c = d->n[obj].first; c >= 0; c = d->n[c].next)
        if (d->n[c].keylen == kl &&
            memcmp(d->store.data + d->n[c].key, key, kl) == 0)
            return c;
    return -1;
}

const char *sx_bjson_str(const sx_bjson *d, int i)
{
    if (i < 0 || i >= d->count || d->store.data == NULL)
        return "";
    return d->store.data + d->n[i].val;
}
