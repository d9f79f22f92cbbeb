/*
 * cursor.h - the bounded line cursor every MIME reader walks with.
 *
 * A cursor covers [p, end) of a buffer it does not own and only ever moves
 * forward inside it; a line is the bytes up to the next line end, and the
 * line-end convention (LF, CRLF or CR alone) is fixed when the cursor is
 * made, so that a CR-only text reads line by line exactly like its LF copy.
 * No function here reads outside [p, end).
 */
#ifndef SX_MIME_CURSOR_H
#define SX_MIME_CURSOR_H

#include <stddef.h>
#include <string.h>

#include "util/memscan.h"

typedef struct sx_cur {
    const char *p;   /* next unread byte */
    const char *end; /* one past the last byte */
    char eol;        /* '\n' (LF and CRLF) or '\r' (CR alone) */
} sx_cur;

/* The line-end byte of buf: '\r' when the text before the first LF holds
 * two lone CRs, or when there is no LF at all and some CR; '\n' otherwise.
 * A stray CR in one line does not turn an LF message into a CR one, and a
 * CR-only message is one whatever the length of its first line. *crlf
 * (may be NULL) is set when the first LF follows a CR. */
#define SX_EOL_SAMPLE 4096

static inline char sx_eol_detect(const char *buf, size_t len, int *crlf)
{
    uint64_t lfm = len ? sx_mem_mask64(buf, buf + len, '\n') : 0;
    if (lfm != 0) {
        /* the first LF in the first 64 bytes, as nearly always: the CRs
         * before it from a mask of the same bytes, not two memchr calls.
         * A CR is lone unless the LF follows it. */
        unsigned k = (unsigned)__builtin_ctzll(lfm);
        uint64_t crm = sx_mem_mask64(buf, buf + len, '\r')
                       & ((1ull << k) - 1);
        int cr_lf = k > 0 && buf[k - 1] == '\r';
        if (crlf)
            *crlf = cr_lf;
        if (cr_lf)
            crm &= ~(1ull << (k - 1));
        return (crm & (crm - 1)) != 0 ? '\r' : '\n'; /* two or more */
    }
    size_t n = len < SX_EOL_SAMPLE ? len : SX_EOL_SAMPLE;
    const char *lf = memchr(buf, '\n', n);
    if (lf == NULL && len > n)
        lf = memchr(buf + n, '\n', len - n);
    if (crlf)
        *crlf = lf && lf > buf && lf[-1] == '\r';
    if (lf == NULL) /* no LF at all: every CR is a lone one */
        return memchr(buf, '\r', len) ? '\r' : '\n';
    const char *p = buf, *end = lf;
    unsigned lone = 0;
    while (p < end && lone < 2) {
        const char *c = memchr(p, '\r', (size_t)(end - p));
        if (c == NULL)
            break;
        if (c + 1 < buf + len && c[1] != '\n')
            lone++;
        else if (c + 1 == buf + len)
            lone++;
        p = c + 1;
    }
    return lone >= 2 ? '\r' : '\n';
}

static inline void sx_cur_init(sx_cur *c, const char *p, const char *end,
                               char eol)
{
    c->p = p;
    c->end = end;
    c->eol = eol;
}

/* Next line: *s..*e its content without the line end (a CR before LF is
 * not content); the cursor moves past the line end. Returns 0 at the end
 * of the data, 1 otherwise. *had_eol says whether a line end was seen. */
static inline int sx_cur_line(sx_cur *c, const char **s, const char **e,
                              int *had_eol)
{
    if (c->p >= c->end)
        return 0;
    const char *start = c->p;
    const char *q = memchr(start, c->eol, (size_t)(c->end - start));
    const char *stop = q ? q : c->end;
    *s = start;
    *e = stop;
    if (c->eol == '\n' && stop > start && stop[-1] == '\r' && q)
        *e = stop - 1;
    c->p = q ? q + 1 : c->end;
    if (had_eol)
        *had_eol = q != NULL;
    return 1;
}

/* A cursor for a run of short lines read one after another (a header
 * block): the same lines as sx_cur_line, but the line ends are found 64
 * bytes at a time (sx_mem_mask64) and then taken from the bit mask, so a
 * block of forty lines costs a few vector steps, not forty memchr calls.
 * A copy of it is a saved position, as with sx_cur. */
typedef struct sx_lcur {
    const char *p;   /* next unread byte */
    const char *end; /* one past the last byte */
    const char *win; /* the window of (at most) 64 bytes mask covers */
    uint64_t mask;   /* the line ends in the window not yet passed */
    char eol;
} sx_lcur;

static inline void sx_lcur_init(sx_lcur *c, const char *p, const char *end,
                                char eol)
{
    c->p = p;
    c->end = end;
    c->eol = eol;
    c->win = p;
    c->mask = p < end ? sx_mem_mask64(p, end, eol) : 0;
}

/* As sx_cur_line. */
static inline int sx_lcur_line(sx_lcur *c, const char **s, const char **e,
                               int *had_eol)
{
    if (c->p >= c->end)
        return 0;
    const char *start = c->p;
    uint64_t m = c->mask;
    while (m == 0 && c->end - c->win > 64) {
        /* no line end left in the window: the next 64 bytes */
        c->win += 64;
        m = sx_mem_mask64(c->win, c->end, c->eol);
    }
    const char *q = m ? c->win + __builtin_ctzll(m) : NULL;
    c->mask = m & (m - 1);
    const char *stop = q ? q : c->end;
    *s = start;
    *e = stop;
    if (c->eol == '\n' && stop > start && stop[-1] == '\r' && q)
        *e = stop - 1;
    c->p = q ? q + 1 : c->end;
    if (had_eol)
        *had_eol = q != NULL;
    return 1;
}

/* Length of the line end that ends just before position q (0 if none),
 * never reaching before lo. */
static inline size_t sx_eol_before(const char *lo, const char *q, char eol)
{
    if (q <= lo || q[-1] != eol)
        return 0;
    if (eol == '\n' && q - 1 > lo && q[-2] == '\r')
        return 2;
    return 1;
}

static inline int sx_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

#endif
