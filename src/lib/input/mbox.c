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

/* Candidates are found by looking for 'F' rather than walking line by
 * line: line ends are ten times more frequent than that letter. Work stays
 * linear when data comes in chunks: a separator line is short
 * (SX_MBOX_SEP_MAX), so a longer unfinished "From " line is decided at
 * once, and after an unfinished ordinary line the scan resumes at the end
 * of the data, not at the start of the line. */
int sx_mbox_find(const char *lo, const char *from, const char *end, char eol,
                 int eof, const char **at)
{
    const char *q = from;
    while (q < end) {
        q = memchr(q, 'F', (size_t)(end - q));
        if (q == NULL)
            break;
        int bol = q == lo || q[-1] == eol;
        if (!bol) {
            /* the rest of this line cannot hold a separator */
            q = memchr(q, eol, (size_t)(end - q));
            if (q == NULL)
                break;
            q++;
            continue;
        }
        if (end - q < 5 || memcmp(q, "From ", 5) != 0) {
            if (bol && end - q < 5 && !eof
                && memcmp(q, "From ", (size_t)(end - q)) == 0) {
                *at = q; /* maybe the start of a separator */
                return SX_MBOX_NONE;
            }
            q++;
            continue;
        }
        const char *lim = end - q > SX_MBOX_SEP_MAX ? q + SX_MBOX_SEP_MAX
                                                    : end;
        const char *le = memchr(q, eol, (size_t)(lim - q));
        if (le == NULL && lim == end && !eof) {
            *at = q; /* the line is not complete yet */
            return SX_MBOX_NONE;
        }
        if (le == NULL && lim != end) {
            q++; /* too long for a separator */
            continue;
        }
        const char *e = le ? le : end;
        const char *ce = (eol == '\n' && e > q && e[-1] == '\r') ? e - 1 : e;
        if (has_time(q + 5, ce)) {
            *at = q;
            return SX_MBOX_FOUND;
        }
        const char *n = le ? le + 1 : end;
        const char *nlim = end - n > SX_MBOX_SEP_MAX ? n + SX_MBOX_SEP_MAX
                                                     : end;
        const char *nl = memchr(n, eol, (size_t)(nlim - n));
        if (nl == NULL && nlim == end && !eof) {
            *at = q;
            return SX_MBOX_MORE;
        }
        if (sx_mbox_is_sep(q, ce, n, nl ? nl : nlim)) {
            *at = q;
            return SX_MBOX_FOUND;
        }
        q = e;
    }
    /* nothing before end: a separator can only start past it, or at a
     * line start just before it that is still too short to tell (above) */
    *at = end;
    return SX_MBOX_NONE;
}

size_t sx_mbox_unquote(char *msg, size_t len, char eol)
{
    /* find the first quoted line; most messages have none */
    size_t r = 0;
    for (;;) {
        char *g = memchr(msg + r, '>', len - r);
        if (g == NULL)
            return len;
        size_t k = (size_t)(g - msg);
        if (k == 0 || msg[k - 1] == eol) {
            size_t j = k;
            while (j < len && msg[j] == '>')
                j++;
            if (len - j >= 5 && memcmp(msg + j, "From ", 5) == 0) {
                r = k;
                break;
            }
        }
        r = k + 1;
    }
    /* from there on, line by line, one '>' dropped per quoted line */
    size_t w = r;
    while (r < len) {
        size_t k = r;
        while (k < len && msg[k] == '>')
            k++;
        if (k > r && len - k >= 5 && memcmp(msg + k, "From ", 5) == 0)
            r++;
        const char *le = memchr(msg + r, eol, len - r);
        size_t stop = le ? (size_t)(le - msg) + 1 : len;
        memmove(msg + w, msg + r, stop - r);
        w += stop - r;
        r = stop;
    }
    return w;
}
