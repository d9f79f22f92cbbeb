/*
 * mime_hdr.c - header values for people: unfolding (RFC 5322 2.2.3) and
 * encoded words (RFC 2047), turned into clean UTF-8.
 *
 * Decoding is loose the way mail needs it: a word is recognised even when
 * it touches other text, adjacent words of one charset are joined before
 * conversion (senders split multibyte characters across words), blanks
 * between two words vanish (RFC 2047 6.2), and raw 8-bit text is read as
 * UTF-8 when valid and Latin-1 otherwise. At most SX_MIME_MAX_WORDS words
 * are decoded per value; the rest is kept as written.
 */
#include <string.h>

#include "mime/cursor.h"
#include "mime/mime.h"
#include "mime/mime_int.h"
#include "util/memscan.h"

typedef struct hdec {
    sx_sbuf *out;
    sx_sbuf pend;     /* decoded bytes of adjacent words, one charset */
    char pcs[64];     /* their charset */
    unsigned info;
} hdec;

static smtpdx_status pend_flush(hdec *d)
{
    if (d->pend.len == 0)
        return SMTPDX_OK;
    smtpdx_status st = sx_charset_to_utf8(d->pcs, d->pend.data, d->pend.len,
                                          d->out, &d->info);
    sx_sbuf_reset(&d->pend);
    return st;
}

/* Raw text: line ends dropped (unfolding), 8-bit read as UTF-8/Latin-1. */
static smtpdx_status raw_emit(hdec *d, const char *s, const char *e)
{
    smtpdx_status st = pend_flush(d);
    while (st == SMTPDX_OK && s < e) {
        const char *q = sx_mem_any2(s, e, '\r', '\n');
        if (q == NULL)
            q = e;
        if (q > s)
            st = sx_charset_to_utf8(NULL, s, (size_t)(q - s), d->out,
                                    &d->info);
        s = q < e ? q + 1 : e;
    }
    return st;
}

static int all_space(const char *s, const char *e)
{
    for (; s < e; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return 0;
    return 1;
}

/* An encoded word at p (RFC 2047 2): "=?" charset "?" B|Q "?" text "?=".
 * Returns the end of the word or NULL. */
static const char *word_parse(const char *p, const char *end, sx_str *cs,
                              char *enc, sx_str *text)
{
    const char *q = p + 2;
    cs->p = q;
    while (q < end && *q != '?') {
        unsigned char c = (unsigned char)*q;
        if (!(sx_is_token_char(c) || c == '*') || q - cs->p > 60)
            return NULL;
        q++;
    }
    cs->len = (size_t)(q - cs->p);
    if (cs->len == 0 || end - q < 4 || q[2] != '?')
        return NULL;
    *enc = sx_lc(q[1]);
    if (*enc != 'b' && *enc != 'q')
        return NULL;
    q += 3;
    text->p = q;
    while (q + 1 < end && !(q[0] == '?' && q[1] == '=')) {
        if (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
            return NULL;
        q++;
    }
    if (q + 1 >= end)
        return NULL;
    text->len = (size_t)(q - text->p);
    return q + 2;
}

static smtpdx_status word_add(hdec *d, sx_str cs, char enc, sx_str text)
{
    char name[64];
    size_t n = cs.len < sizeof name - 1 ? cs.len : sizeof name - 1;
    for (size_t i = 0; i < n; i++)
        name[i] = sx_lc(cs.p[i]);
    name[n] = '\0';
    smtpdx_status st = SMTPDX_OK;
    if (d->pend.len && strcmp(name, d->pcs) != 0)
        st = pend_flush(d);
    if (st != SMTPDX_OK)
        return st;
    memcpy(d->pcs, name, n + 1);
    if (enc == 'b')
        return sx_base64_decode(text.p, text.len, &d->pend, &d->info);
    return sx_qp_decode(text.p, text.len, 1, &d->pend, &d->info);
}

/* Controls (but TAB) to spaces, then blanks trimmed at both ends. */
static void tidy(sx_sbuf *b)
{
    if (b->data == NULL)
        return;
    unsigned char *s = (unsigned char *)b->data;
    const char *c = b->data, *end = b->data + b->len;
    while ((c = sx_mem_ctl(c, end)) != NULL) {
        s[c - b->data] = ' ';
        c++;
    }
    size_t a = 0, z = b->len;
    while (a < z && (s[a] == ' ' || s[a] == '\t'))
        a++;
    while (z > a && (s[z - 1] == ' ' || s[z - 1] == '\t'))
        z--;
    if (a)
        memmove(s, s + a, z - a);
    b->len = z - a;
    s[b->len] = '\0';
}

smtpdx_status sx_hdr_decode(const char *v, size_t len, sx_sbuf *out)
{
    if (out == NULL || (v == NULL && len > 0))
        return SMTPDX_ERR_INVAL;
    sx_sbuf_reset(out);
    if (len == 0)
        return sx_sbuf_status(sx_sbuf_append(out, "", 0));
    if (len <= out->max && sx_mem_is_plain(v, v + len)) {
        /* the usual value, printable ASCII on one line without encoded
         * words: the general path below would only trim its ends */
        size_t a = 0, z = len;
        while (a < z && sx_is_blank(v[a]))
            a++;
        while (z > a && sx_is_blank(v[z - 1]))
            z--;
        return sx_sbuf_status(sx_sbuf_append(out, v + a, z - a));
    }
    hdec d;
    d.out = out;
    d.info = 0;
    d.pcs[0] = '\0';
    sx_sbuf_init(&d.pend, len + 16);
    const char *p = v, *end = v + len, *raw = v;
    int last_word = 0;
    unsigned words = 0;
    smtpdx_status st = SMTPDX_OK;
    while (p < end && st == SMTPDX_OK) {
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq == NULL || words >= SX_MIME_MAX_WORDS)
            break;
        p = eq;
        sx_str cs, text;
        char enc;
        const char *after = (p + 1 < end && p[1] == '?')
                                ? word_parse(p, end, &cs, &enc, &text)
                                : NULL;
        if (after == NULL) {
            p++;
            continue;
        }
        if (!(last_word && all_space(raw, p)))
            st = raw_emit(&d, raw, p);
        if (st == SMTPDX_OK)
            st = word_add(&d, cs, enc, text);
        words++;
        last_word = 1;
        p = raw = after;
    }
    if (st == SMTPDX_OK)
        st = raw_emit(&d, raw, end);
    if (st == SMTPDX_OK)
        st = pend_flush(&d);
    sx_sbuf_release(&d.pend);
    if (st == SMTPDX_OK || st == SMTPDX_ERR_LIMIT)
        tidy(out);
    return st;
}

smtpdx_status sx_hdr_unfold(const char *v, size_t len, sx_sbuf *out)
{
    if (out == NULL || (v == NULL && len > 0))
        return SMTPDX_ERR_INVAL;
    sx_sbuf_reset(out);
    int rc = sx_sbuf_append(out, "", 0);
    const char *s = v, *e = v + len;
    while (rc == SX_SBUF_OK && s < e) {
        const char *q = s;
        while (q < e && *q != '\r' && *q != '\n')
            q++;
        rc = sx_sbuf_append(out, s, (size_t)(q - s));
        s = q < e ? q + 1 : e;
    }
    if (out->data == NULL)
        return sx_sbuf_status(rc);
    size_t a = 0, z = out->len;
    char *b = out->data;
    while (a < z && (b[a] == ' ' || b[a] == '\t'))
        a++;
    while (z > a && (b[z - 1] == ' ' || b[z - 1] == '\t'))
        z--;
    if (a)
        memmove(b, b + a, z - a);
    out->len = z - a;
    b[out->len] = '\0';
    return sx_sbuf_status(rc);
}

smtpdx_status sx_msg_header(const sx_msg *m, const sx_part *p,
                            const char *name, sx_sbuf *out)
{
    if (m == NULL || name == NULL || out == NULL)
        return SMTPDX_ERR_INVAL;
    const sx_hdr *h = sx_msg_header_raw(m, p, name, 0);
    if (h == NULL) {
        sx_sbuf_reset(out);
        return SMTPDX_ERR_PARSE;
    }
    return sx_hdr_decode(h->value.p, h->value.len, out);
}
