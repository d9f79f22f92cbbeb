/*
 * fzjson.c - the harnesses' own strict checkers for JSON, UTF-8 and
 * terminal-safe text (see fuzz.h).
 *
 * Written small and separate from the library's writer on purpose: a
 * checker that shared code with what it checks would share its bugs. The
 * grammar is RFC 8259 section 2-7; UTF-8 per RFC 3629 section 4.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

enum { FZ_JSON_DEPTH = 256 };

void fz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
    fflush(stderr);
    abort();
}

int fz_skipped(const char *tag)
{
    static const char *skip;
    static int read;
    if (!read) {
        read = 1;
        skip = getenv("SMTPDX_FUZZ_SKIP");
    }
    if (skip == NULL)
        return 0;
    size_t n = strlen(tag);
    for (const char *p = skip; (p = strstr(p, tag)) != NULL; p += n)
        if ((p == skip || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 when invalid.
 * *cp receives the code point. */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned long *cp)
{
    unsigned char c = s[0];
    size_t len;
    unsigned long v, min;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        v = c & 0x1f;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        v = c & 0x0f;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        v = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

int fz_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned long cp;
        size_t k = utf8_seq(p + i, n - i, &cp);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

int fz_text_safe(const char *s, size_t n, size_t *err_off)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned long cp;
        size_t k = utf8_seq(p + i, n - i, &cp);
        if (k == 0) {
            /* Not UTF-8: harmless unless the raw byte is a C1 control,
             * which 8-bit terminals obey (0x9b is CSI). */
            cp = p[i];
            k = 1;
        }
        if ((cp < 0x20 && cp != '\n' && cp != '\t') ||
            (cp >= 0x7f && cp <= 0x9f)) {
            if (err_off)
                *err_off = i;
            return 0;
        }
        i += k;
    }
    return 1;
}

/* ------------------------------------------------------------------ JSON */

typedef struct jcur {
    const unsigned char *s;
    size_t n, i;
    int depth;
} jcur;

static void skip_ws(jcur *c)
{
    while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' ||
                           c->s[c->i] == '\n' || c->s[c->i] == '\r'))
        c->i++;
}

static int lit(jcur *c, const char *w)
{
    size_t k = strlen(w);
    if (c->n - c->i < k || memcmp(c->s + c->i, w, k) != 0)
        return 0;
    c->i += k;
    return 1;
}

static int hex4(jcur *c, unsigned *out)
{
    unsigned v = 0;
    if (c->n - c->i < 4)
        return 0;
    for (int k = 0; k < 4; k++) {
        unsigned char h = c->s[c->i++];
        v <<= 4;
        if (h >= '0' && h <= '9')
            v |= (unsigned)(h - '0');
        else if (h >= 'a' && h <= 'f')
            v |= (unsigned)(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F')
            v |= (unsigned)(h - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

static int jstring(jcur *c)
{
    if (c->i >= c->n || c->s[c->i] != '"')
        return 0;
    c->i++;
    while (c->i < c->n) {
        unsigned char ch = c->s[c->i];
        if (ch == '"') {
            c->i++;
            return 1;
        }
        if (ch < 0x20)
            return 0; /* RFC 8259 section 7: controls must be escaped */
        if (ch == '\\') {
            c->i++;
            if (c->i >= c->n)
                return 0;
            ch = c->s[c->i++];
            if (ch == 'u') {
                unsigned u, lo;
                if (!hex4(c, &u))
                    return 0;
                if (u >= 0xdc00 && u <= 0xdfff)
                    return 0; /* a low surrogate first */
                if (u >= 0xd800 && u <= 0xdbff) {
                    if (!lit(c, "\\u") || !hex4(c, &lo) || lo < 0xdc00 ||
                        lo > 0xdfff)
                        return 0;
                }
            } else if (!strchr("\"\\/bfnrt", ch) || ch == '\0') {
                return 0;
            }
            continue;
        }
        unsigned long cp;
        size_t k = utf8_seq(c->s + c->i, c->n - c->i, &cp);
        if (k == 0)
            return 0;
        c->i += k;
    }
    return 0;
}

static int digits(jcur *c)
{
    size_t start = c->i;
    while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9')
        c->i++;
    return c->i > start;
}

static int jnumber(jcur *c)
{
    if (c->i < c->n && c->s[c->i] == '-')
        c->i++;
    if (c->i < c->n && c->s[c->i] == '0') {
        c->i++;
    } else if (!digits(c)) {
        return 0;
    }
    if (c->i < c->n && c->s[c->i] == '.') {
        c->i++;
        if (!digits(c))
            return 0;
    }
    if (c->i < c->n && (c->s[c->i] == 'e' || c->s[c->i] == 'E')) {
        c->i++;
        if (c->i < c->n && (c->s[c->i] == '+' || c->s[c->i] == '-'))
            c->i++;
        if (!digits(c))
            return 0;
    }
    return 1;
}

static int jvalue(jcur *c);

static int jcontainer(jcur *c, char close, int object)
{
    if (++c->depth > FZ_JSON_DEPTH)
        return 0;
    c->i++; /* the opening bracket */
    skip_ws(c);
    if (c->i < c->n && c->s[c->i] == (unsigned char)close) {
        c->i++;
        c->depth--;
        return 1;
    }
    for (;;) {
        skip_ws(c);
        if (object) {
            if (!jstring(c))
                return 0;
            skip_ws(c);
            if (c->i >= c->n || c->s[c->i] != ':')
                return 0;
            c->i++;
        }
        if (!jvalue(c))
            return 0;
        skip_ws(c);
        if (c->i >= c->n)
            return 0;
        if (c->s[c->i] == ',') {
            c->i++;
            continue;
        }
        if (c->s[c->i] != (unsigned char)close)
            return 0;
        c->i++;
        c->depth--;
        return 1;
    }
}

static int jvalue(jcur *c)
{
    skip_ws(c);
    if (c->i >= c->n)
        return 0;
    switch (c->s[c->i]) {
    case '{':
        return jcontainer(c, '}', 1);
    case '[':
        return jcontainer(c, ']', 0);
    case '"':
        return jstring(c);
    case 't':
        return lit(c, "true");
    case 'f':
        return lit(c, "false");
    case 'n':
        return lit(c, "null");
    default:
        return jnumber(c);
    }
}

int fz_json_valid(const char *s, size_t n, size_t *err_off)
{
    jcur c = {(const unsigned char *)s, n, 0, 0};
    int ok = jvalue(&c);
    if (ok) {
        skip_ws(&c);
        ok = c.i == n;
    }
    if (!ok && err_off)
        *err_off = c.i;
    return ok;
}

int fz_json_lines_valid(const char *s, size_t n, size_t *err_line)
{
    size_t line = 0, i = 0;
    if (n > 0 && s[n - 1] != '\n') {
        /* the last record was cut short */
        const char *p = s;
        for (size_t k = 0; k < n; k++)
            line += p[k] == '\n';
        if (err_line)
            *err_line = line + 1;
        return 0;
    }
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = (size_t)(nl - s);
        line++;
        if (!fz_json_valid(s + i, end - i, NULL)) {
            if (err_line)
                *err_line = line;
            return 0;
        }
        i = end + 1;
    }
    return 1;
}
