/*
 * mbox.c - mbox separators and ">From " unquoting (see mbox.h).
 */
#include "input/mbox.h"

#include <string.h>

#include "util/memscan.h"

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

/* Does the line at s (inside [s, end)) read ">+From "? */
static int quoted_from(const char *s, const char *end)
{
    const char *k = s;
    while (k < end && *k == '>')
        k++;
    return k > s && end - k >= 5 && memcmp(k, "From ", 5) == 0;
}

/* Candidates are line starts holding 'F', found with the line end before
 * them in one search (sx_mem_bol), not line by line. Work stays linear
 * when data comes in chunks: a separator line is short (SX_MBOX_SEP_MAX),
 * so a longer unfinished "From " line is decided at once, and after an
 * unfinished ordinary line the scan resumes at the end of the data, not
 * at the start of the line. */
int sx_mbox_find(const char *lo, const char *from, const char *end, char eol,
                 int eof, const char **at, const char **quoted)
{
    const char *q = from;
    while (q < end) {
        q = quoted ? sx_mem_bol2(lo, q, end, eol, 'F', '>')
                   : sx_mem_bol(lo, q, end, eol, 'F');
        if (q == NULL)
            break;
        if (*q == '>') {
            /* a quoted "From " line for sx_mbox_unquote; one that the
             * data ends in may be one */
            if (*quoted == NULL) {
                const char *k = q;
                while (k < end && *k == '>')
                    k++;
                if (end - k < 5 ? memcmp(k, "From ", (size_t)(end - k)) == 0
                                : memcmp(k, "From ", 5) == 0)
                    *quoted = q;
            }
            q++;
            continue;
        }
        if (end - q < 5 || memcmp(q, "From ", 5) != 0) {
            if (end - q < 5 && !eof
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

/* Quoted lines are found with sx_mem_bol, and the text between two of
 * them is moved in one piece: most messages have none, and a message
 * that has one is not walked line by line after it. */
size_t sx_mbox_unquote(char *msg, size_t len, char eol, size_t first)
{
    const char *end = msg + len;
    size_t r = 0, w = 0; /* read and write offsets, w <= r */
    if (first >= len)
        return len;
    const char *q = msg + first;
    while (q < end && (q = sx_mem_bol(msg, q, end, eol, '>')) != NULL) {
        if (!quoted_from(q, end)) {
            q++;
            continue;
        }
        size_t k = (size_t)(q - msg);
        /* moves only write below k, and the search goes on from k: it
         * reads bytes no move has reached */
        if (w != r)
            memmove(msg + w, msg + r, k - r);
        w += k - r;
        r = k + 1; /* one '>' dropped */
        q++;
    }
    if (w != r)
        memmove(msg + w, msg + r, len - r);
    return w + (len - r);
}
