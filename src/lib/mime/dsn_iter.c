/*
 * dsn_iter.c - the fields of a delivery-status body (RFC 3464 2.1,
 * RFC 6533 for the UTF-8 form), one at a time, with their block numbers.
 *
 * The body is groups of header-style fields separated by blank lines: the
 * per-message group, then one per recipient. A line holding only blanks
 * also separates groups (senders emit them). A folded value is unfolded
 * with each line end and the blanks that open the next line turned into
 * one space, which keeps a folded Diagnostic-Code readable as one reply.
 * Some gateways copy a multiline SMTP reply into Diagnostic-Code without
 * folding it: a line that opens with a reply code and a '-' or ' ' ("550-",
 * "550 ") cannot be a field of its own, so it continues the value too.
 */
#include <string.h>

#include "mime/cursor.h"
#include "mime/mime.h"
#include "mime/mime_int.h"
#include "util/memscan.h"

void sx_dsn_iter_init(sx_dsn_iter *it, const char *buf, size_t len)
{
    it->p = buf ? buf : "";
    it->end = it->p + (buf ? len : 0);
    it->block = 0;
    it->started = 0;
    it->eol = sx_eol_detect(it->p, (size_t)(it->end - it->p), NULL);
    sx_lcur c;
    sx_lcur_init(&c, it->p, it->end, (char)it->eol);
    it->win = c.win;
    it->mask = c.mask;
    it->junk = 0;
    sx_sbuf_init(&it->val, SX_MIME_MAX_FIELD);
}

void sx_dsn_iter_release(sx_dsn_iter *it)
{
    if (it)
        sx_sbuf_release(&it->val);
}

static int only_blanks(const char *s, const char *e)
{
    while (s < e && sx_is_blank(*s))
        s++;
    return s == e;
}

static void trim(const char **s, const char **e)
{
    while (*s < *e && sx_is_blank(**s))
        (*s)++;
    while (*e > *s && sx_is_blank((*e)[-1]))
        (*e)--;
}

/* How much of s[0..n) fits in room bytes: all of it, or a cut that does
 * not split a UTF-8 character (a value may be longer than a line may be
 * in a header block: the delivery-status part has a larger limit). */
static size_t fit(const char *s, size_t n, size_t room)
{
    if (n <= room)
        return n;
    size_t k = room;
    for (int i = 0; i < 3 && k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80;
         i++)
        k--;
    return k;
}

/* Does the line at p open with a reply code that continues a multiline
 * reply ("550-..." or "550 ...")? No field of RFC 3464 or of any MTA
 * we know is named like that, and "550 " cannot start a field at all. */
static int reply_line(const char *p, const char *end)
{
    if (end - p < 5)
        return 0;
    return p[0] >= '2' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' &&
           p[2] >= '0' && p[2] <= '9' && (p[3] == '-' || p[3] == ' ');
}

/* Append what fits of s[0..n) to the value; *cut once something did not. */
static int put_fit(sx_sbuf *b, const char *s, size_t n, int *cut)
{
    size_t k = fit(s, n, b->max - b->len);
    if (k < n)
        *cut = 1;
    return sx_sbuf_append(b, s, k);
}

/* The storage an iterator takes for its first unfolded value. */
#define UNFOLD_FIRST 512

/* fields_next for the line-end byte eol, a constant where it is inlined:
 * the vector of it that the line-end searches compare with, and the test
 * for a CR before LF, are then set up from the constant, not from the
 * iterator on every call. */
static inline __attribute__((always_inline)) smtpdx_status
fields_next_eol(sx_dsn_iter *it, sx_dsn_field *f, int (*want)(sx_str name),
                int want_max, char eol)
{
    /* the lines are read with a line-end mask kept in the iterator, not
     * one memchr call per line: most fields are a short line */
    sx_lcur c = {it->p, it->end, it->win, it->mask, eol};
    const char *s, *e;
    for (;;) {
        if (!sx_lcur_line(&c, &s, &e, NULL)) {
            it->p = c.p;
            it->win = c.win;
            it->mask = c.mask;
            return SMTPDX_ERR_PARSE;
        }
        /* a line that opens with a field name, the common case, is told
         * by its first byte */
        if (s == e || sx_is_blank(*s)) {
            if (only_blanks(s, e)) {
                if (it->started) {
                    it->block++;
                    it->started = 0;
                }
            } else {
                it->junk++; /* a continuation with no field before it */
            }
            continue;
        }
        /* the name (visible ASCII up to the first colon), blanks, then
         * the colon: one pass over the name, as headers_parse reads it.
         * The run cannot pass the line end (CR and LF are not visible),
         * so it is bounded by the end of the data: a short line is then
         * searched sixteen bytes at once too. */
        const char *ne = s + sx_mem_graph_run(s, c.end, ':');
        const char *colon = ne;
        while (colon < e && sx_is_blank(*colon))
            colon++;
        if (ne == s || colon == e || *colon != ':') {
            it->junk++;
            continue;
        }
        f->name.p = s;
        f->name.len = (size_t)(ne - s);
        f->code = want != NULL ? want(f->name) : -1;
        if (want != NULL && (f->code < 0 || f->code >= want_max)) {
            /* not asked for: its continuation lines are passed over, the
             * same ones as below, without unfolding them */
            while (c.p < c.end &&
                   (sx_is_blank(*c.p) || reply_line(c.p, c.end))) {
                sx_lcur save = c;
                const char *cs, *ce;
                sx_lcur_line(&c, &cs, &ce, NULL);
                if (only_blanks(cs, ce)) {
                    c = save;
                    break;
                }
            }
            it->p = c.p;
            it->win = c.win;
            it->mask = c.mask;
            f->value.p = "";
            f->value.len = 0;
            f->block = it->block;
            f->block_start = !it->started;
            it->started = 1;
            return SMTPDX_OK;
        }
        const char *vs = colon + 1, *ve = e;
        trim(&vs, &ve);
        /* continuation lines: start with a blank, hold something else;
         * or, unfolded, repeat a reply code */
        sx_lcur look = c;
        const char *cs, *ce;
        int folded = 0, cut = 0;
        smtpdx_status st = SMTPDX_OK;
        while (look.p < look.end &&
               (sx_is_blank(*look.p) || reply_line(look.p, look.end))) {
            sx_lcur save = look;
            sx_lcur_line(&look, &cs, &ce, NULL);
            if (only_blanks(cs, ce)) {
                look = save;
                break;
            }
            if (!folded) {
                sx_sbuf_reset(&it->val);
                /* one allocation for the common folded value (a
                 * Received field: a few hundred bytes) rather than a
                 * chain of them growing from 64 */
                int rc = sx_sbuf_reserve(&it->val, UNFOLD_FIRST < it->val.max
                                                       ? UNFOLD_FIRST
                                                       : it->val.max);
                if (rc == SX_SBUF_NOMEM ||
                    put_fit(&it->val, vs, (size_t)(ve - vs), &cut) ==
                        SX_SBUF_NOMEM)
                    st = SMTPDX_ERR_NOMEM;
                folded = 1;
            }
            trim(&cs, &ce);
            if (st == SMTPDX_OK && !cut) {
                /* over the field limit the value is cut, not failed */
                int rc = it->val.len ? sx_sbuf_putc(&it->val, ' ') : 0;
                if (rc == SX_SBUF_OK)
                    rc = put_fit(&it->val, cs, (size_t)(ce - cs), &cut);
                if (rc == SX_SBUF_NOMEM)
                    st = SMTPDX_ERR_NOMEM;
                else if (rc == SX_SBUF_LIMIT)
                    cut = 1;
            }
        }
        c = look;
        it->p = c.p;
        it->win = c.win;
        it->mask = c.mask;
        if (st != SMTPDX_OK)
            return st;
        if (folded) {
            f->value.p = it->val.data ? it->val.data : "";
            f->value.len = it->val.len;
        } else {
            f->value.p = vs;
            f->value.len = fit(vs, (size_t)(ve - vs), SX_MIME_MAX_FIELD);
        }
        f->block = it->block;
        f->block_start = !it->started;
        it->started = 1;
        return SMTPDX_OK;
    }
}

/* Inline in both entry points: the one without want then has no test
 * of it, nor the call through it, and the one with it is inlined in its
 * caller, which passes a known function. */
static inline __attribute__((always_inline)) smtpdx_status
fields_next(sx_dsn_iter *it, sx_dsn_field *f, int (*want)(sx_str name),
            int want_max)
{
    if (it == NULL || f == NULL)
        return SMTPDX_ERR_INVAL;
    return it->eol == '\r' ? fields_next_eol(it, f, want, want_max, '\r')
                            : fields_next_eol(it, f, want, want_max, '\n');
}

smtpdx_status sx_dsn_fields_next(sx_dsn_iter *it, sx_dsn_field *f)
{
    return fields_next(it, f, NULL, 0);
}

smtpdx_status sx_dsn_fields_next_want(sx_dsn_iter *it, sx_dsn_field *f,
                                      int (*want)(sx_str name), int want_max)
{
    return fields_next(it, f, want, want_max);
}
