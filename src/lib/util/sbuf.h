/*
 * sbuf.h - a growable byte string with a hard maximum.
 *
 * Untrusted input is only ever accumulated through an sbuf, so every
 * buffer has a ceiling fixed when it is made; crossing it is an error the
 * caller sees (SX_SBUF_LIMIT), never silent growth. The content is always
 * NUL-terminated.
 */
#ifndef SX_SBUF_H
#define SX_SBUF_H
#include <stdarg.h>
#include <stddef.h>

typedef struct sx_sbuf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;  /* largest len allowed */
} sx_sbuf;

enum { SX_SBUF_OK = 0, SX_SBUF_NOMEM = -1, SX_SBUF_LIMIT = -2 };

void sx_sbuf_init(sx_sbuf *b, size_t max);
void sx_sbuf_release(sx_sbuf *b);  /* frees the storage, b can be reused */
void sx_sbuf_reset(sx_sbuf *b);    /* len = 0, storage kept */
int sx_sbuf_reserve(sx_sbuf *b, size_t extra);
int sx_sbuf_append(sx_sbuf *b, const char *s, size_t n);
/* As sx_sbuf_append, but when s does not fit whole the start that fits
 * is kept, cut before a UTF-8 character it would split, and
 * SX_SBUF_LIMIT returned: for text whose beginning is worth keeping. */
int sx_sbuf_append_utf8_cut(sx_sbuf *b, const char *s, size_t n);
int sx_sbuf_puts(sx_sbuf *b, const char *s);
int sx_sbuf_putc(sx_sbuf *b, char c);
int sx_sbuf_printf(sx_sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int sx_sbuf_vprintf(sx_sbuf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Hand over the storage (NUL-terminated); the sbuf is left empty. */
char *sx_sbuf_steal(sx_sbuf *b);

#endif
