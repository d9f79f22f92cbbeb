/*
 * sbuf.c - growable, bounded byte strings (see sbuf.h).
 */
#include "util/sbuf.h"

#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

void sx_sbuf_init(sx_sbuf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void sx_sbuf_release(sx_sbuf *b)
{
    sx_free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void sx_sbuf_reset(sx_sbuf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int sx_sbuf_reserve(sx_sbuf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return SX_SBUF_LIMIT;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return SX_SBUF_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
    char *p = sx_realloc(b->data, cap);
    if (p == NULL)
        return SX_SBUF_NOMEM;
    b->data = p;
    b->cap = cap;
    return SX_SBUF_OK;
}

int sx_sbuf_append(sx_sbuf *b, const char *s, size_t n)
{
    int rc = sx_sbuf_reserve(b, n);
    if (rc != SX_SBUF_OK)
        return rc;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return SX_SBUF_OK;
}

int sx_sbuf_append_utf8_cut(sx_sbuf *b, const char *s, size_t n)
{
    int rc = sx_sbuf_append(b, s, n);
    if (rc != SX_SBUF_LIMIT)
        return rc;
    size_t room = b->max > b->len ? b->max - b->len : 0;
    if (room > n)
        room = n;
    /* back to the first byte of a character: not 10xxxxxx */
    size_t k = room;
    while (k > 0 && k < n && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    rc = sx_sbuf_append(b, s, k);
    return rc == SX_SBUF_OK ? SX_SBUF_LIMIT : rc;
}

int sx_sbuf_puts(sx_sbuf *b, const char *s)
{
    return sx_sbuf_append(b, s, strlen(s));
}

int sx_sbuf_putc(sx_sbuf *b, char c)
{
    return sx_sbuf_append(b, &c, 1);
}

int sx_sbuf_vprintf(sx_sbuf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return SX_SBUF_LIMIT;
    if ((size_t)n < sizeof small)
        return sx_sbuf_append(b, small, (size_t)n);
    int rc = sx_sbuf_reserve(b, (size_t)n);
    if (rc != SX_SBUF_OK)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return SX_SBUF_OK;
}

int sx_sbuf_printf(sx_sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = sx_sbuf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *sx_sbuf_steal(sx_sbuf *b)
{
    if (b->data == NULL && sx_sbuf_reserve(b, 0) != SX_SBUF_OK)
        return NULL;
    char *p = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
