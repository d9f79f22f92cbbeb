/*
 * mbox.c - mbox separators and ">From " unquoting (see mbox.h).
 */
#include "input/mbox.h"

#include <string.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* "H:MM" or "HH:MM" somewhere in the line: the envelope time. */
static int has_time(const char *s, const char *e)
{
    for (const char *p = s; p + 3 < e; p++)
        if (is_digit(p[0]) && p[1] == ':' && is_digit(p[2]) && is_digit(p[3]))
            return 1;
    return 0;
}

/* "Name:" with a name of printable characters, no blanks. */
static int is_field(const char *s, const char *e)
{
    const char *p = s;
    while (p < e && *p != ':') {
        unsigned char c = (unsigned char)*p;
        if (c <= 32 || c >= 127)
            return 0;
        p++;
    }
    return p > s && p < e;
}

int sx_mbox_is_sep(const char *s, const char *e, const char *n,
                   const char *ne)
{
    if (e - s < 5 || memcmp(s, "From ", 5) != 0)
        return 0;
    if (has_time(s + 5, e))
        return 1;
    return n != NULL && is_field(n, ne);
}

int sx_mbox_find(const char *from, const char *end, char eol, int eof,
                 const char **at)
{
    const char *q = from;
    while (q < end) {
        const char *le = memchr(q, eol, (size_t)(end - q));
        if (le == NULL && !eof) {
            *at = q;
            return SX_MBOX_NONE;
        }
        const char *e = le ? le : end;
        if (e - q >= 5 && q[0] == 'F' && memcmp(q, "From ", 5) == 0) {
            const char *ce = (eol == '\n' && e > q && e[-1] == '\r') ? e - 1
                                                                    : e;
            if (has_time(q + 5, ce)) {
                *at = q;
                return SX_MBOX_FOUND;
            }
            const char *n = le ? le + 1 : end;
            const char *nl = memchr(n, eol, (size_t)(end - n));
            if (nl == NULL && !eof) {
                *at = q;
                return SX_MBOX_MORE;
            }
            if (sx_mbox_is_sep(q, ce, n, nl ? nl : end)) {
                *at = q;
                return SX_MBOX_FOUND;
            }
        }
        q = le ? le + 1 : end;
    }
    *at = end;
    return SX_MBOX_NONE;
}

size_t sx_mbox_unquote(char *msg, size_t len, char eol)
{
    size_t r = 0, w = 0;
    while (r < len) {
        /* at a line start */
        size_t k = r;
        while (k < len && msg[k] == '>')
            k++;
        int quoted = k > r && len - k >= 5 && memcmp(msg + k, "From ", 5) == 0;
        if (quoted)
            r++; /* drop one '>' */
        const char *le = memchr(msg + r, eol, len - r);
        size_t stop = le ? (size_t)(le - msg) + 1 : len;
        if (w != r)
            memmove(msg + w, msg + r, stop - r);
        w += stop - r;
        r = stop;
    }
    return w;
}
