/*
 * bounce_orig.c - the returned message's header (From, To, Subject,
 * Message-ID, Date, List-Id, Return-Path), wherever the bounce put it:
 * an encapsulated message/rfc822 entity, a text/rfc822-headers part
 * (RFC 6522 3), or a copy pasted into the text after a family's marker
 * line or found by its look (two header fields in a row).
 */
#include "bounce/bounce_orig.h"

#include <stdint.h>
#include <string.h>

#include "bounce/bounce_text.h"
#include "util/memscan.h"

/* The values live in one buffer, each followed by a NUL: one allocation
 * per returned header instead of one per field. A value that needs
 * decoding is decoded into tmp (bounded as each field is) and copied
 * there; a plain one is copied there directly. */
#define SX_BORIG_VALUE_MAX 2048u

void sx_borig_init(sx_borig *o)
{
    sx_sbuf_init(&o->all, SX_BORIG_NFIELDS * (SX_BORIG_VALUE_MAX + 1));
    sx_sbuf_init(&o->tmp, SX_BORIG_VALUE_MAX);
    for (int i = 0; i < SX_BORIG_NFIELDS; i++)
        o->off[i] = o->len[i] = 0;
    o->cut = 0;
    o->received = 0;
}

void sx_borig_release(sx_borig *o)
{
    if (o == NULL)
        return;
    sx_sbuf_release(&o->all);
    sx_sbuf_release(&o->tmp);
}

void sx_borig_clear(sx_borig *o)
{
    sx_sbuf_reset(&o->all);
    sx_sbuf_reset(&o->tmp);
    for (int i = 0; i < SX_BORIG_NFIELDS; i++)
        o->off[i] = o->len[i] = 0;
    o->cut = 0;
    o->received = 0;
}

const char *sx_borig_get(const sx_borig *o, int which)
{
    return o->len[which] ? o->all.data + o->off[which] : "";
}

/* Decode v[0..n) as field i's value (RFC 2047 words, unfolded). A value
 * cut at the limit is kept as far as it goes; an empty one is not stored,
 * so that every field takes space in o->all once at most. */
static smtpdx_status store(sx_borig *o, int i, const char *v, size_t n)
{
    const char *d;
    size_t dl;
    if (n <= SX_BORIG_VALUE_MAX && sx_mem_is_plain(v, v + n)) {
        /* the usual value: what sx_hdr_decode would make of it (the value
         * with its blank ends cut) is copied straight, not through tmp */
        const char *e = v + n;
        while (v < e && (*v == ' ' || *v == '\t'))
            v++;
        while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        d = v;
        dl = (size_t)(e - v);
    } else {
        smtpdx_status st = sx_hdr_decode(v, n, &o->tmp);
        if (st == SMTPDX_ERR_LIMIT)
            o->cut = 1;
        if (st == SMTPDX_ERR_LIMIT || st == SMTPDX_ERR_PARSE)
            st = SMTPDX_OK;
        if (st != SMTPDX_OK)
            return st;
        d = o->tmp.data;
        dl = o->tmp.len;
    }
    o->len[i] = 0;
    if (dl == 0)
        return SMTPDX_OK;
    /* room for the usual header at once, then the value and its NUL */
    size_t at = o->all.len;
    if ((o->all.cap == 0 && sx_sbuf_reserve(&o->all, 512) != SX_SBUF_OK)
        || sx_sbuf_reserve(&o->all, dl + 1) != SX_SBUF_OK)
        return SMTPDX_ERR_NOMEM; /* all's limit holds every field */
    memcpy(o->all.data + at, d, dl);
    o->all.data[at + dl] = '\0';
    o->all.len = at + dl + 1;
    o->all.data[o->all.len] = '\0';
    o->off[i] = at;
    o->len[i] = dl;
    return SMTPDX_OK;
}

/* The names this file reads, in lower case, by SX_BORIG_*, and Received,
 * which is only counted. */
#define F_RECEIVED SX_BORIG_NFIELDS
static const char *const field_names[SX_BORIG_NFIELDS + 2] = {
    [SX_BORIG_FROM] = "from",           [SX_BORIG_TO] = "to",
    [SX_BORIG_SUBJECT] = "subject",     [SX_BORIG_MSGID] = "message-id",
    [SX_BORIG_DATE] = "date",           [SX_BORIG_LISTID] = "list-id",
    [SX_BORIG_RETURNPATH] = "return-path", [F_RECEIVED] = "received",
    [F_RECEIVED + 1] = NULL,
};
static sx_bt_names field_index = SX_BT_NAMES(field_names);

/* The SX_BORIG_* of a field name, F_RECEIVED, or -1 (most fields of a
 * header block). */
static inline int field_code(sx_str name)
{
    return sx_bt_names_find(&field_index, name.p, name.len);
}

static smtpdx_status keep(sx_borig *o, int i, const char *v, size_t n)
{
    if (o->len[i] > 0)
        return SMTPDX_OK; /* the first occurrence wins */
    return store(o, i, v, n);
}

/* Header fields from header-like text, first block only. */
static smtpdx_status from_text(sx_borig *o, const char *p, size_t n)
{
    sx_dsn_iter it;
    sx_dsn_field f;
    smtpdx_status st = SMTPDX_OK;
    unsigned block = 0;
    int seen = 0;
    sx_dsn_iter_init(&it, p, n);
    for (unsigned guard = 0; guard < 4000; guard++) {
        /* the iterator names each field by its code: values are made
         * only for the fields kept, Received ones (F_RECEIVED, past
         * them) are counted from their name alone */
        smtpdx_status r = sx_dsn_fields_next_want(&it, &f, field_code,
                                                   SX_BORIG_NFIELDS);
        if (r == SMTPDX_ERR_PARSE)
            break;
        if (r != SMTPDX_OK) {
            st = r;
            break;
        }
        if (!seen) {
            seen = 1;
            block = f.block;
        } else if (f.block != block) {
            break;
        }
        int i = f.code;
        if (i == F_RECEIVED)
            o->received++;
        else if (i >= 0 &&
                 (st = keep(o, i, f.value.p, f.value.len)) != SMTPDX_OK)
            break;
    }
    sx_dsn_iter_release(&it);
    return st;
}

static inline int ascii_letter(unsigned char c)
{
    return (unsigned)((c | 0x20) - 'a') < 26;
}

/* The length of the field name that opens the header field line l (a
 * letter, then letters, digits and '-', then ':'), 0 when l is none.
 * The classes by hand rather than by <ctype.h>, whose tables are found
 * through a call, and most lines fail at their first blank. */
static size_t header_name(sx_str l)
{
    if (l.len < 3 || !ascii_letter((unsigned char)l.p[0]))
        return 0;
    size_t i = 1;
    while (i < l.len) {
        unsigned char c = (unsigned char)l.p[i];
        if (!(ascii_letter(c) || (unsigned)(c - '0') < 10 || c == '-'))
            break;
        i++;
    }
    return i > 1 && i < l.len && l.p[i] == ':' ? i : 0;
}

/* Names that start a copied header, in lower case; "x-..." too. */
static const char *const known_names[] = {
    "return-path", "received", "message-id", "from", "to", "subject",
    "date", "mime-version", "content-type", "dkim-signature",
    "delivered-to", "reply-to", "sender", NULL,
};

static sx_bt_names known_index = SX_BT_NAMES(known_names);

/* Is l a header field line whose name is one a copied header starts
 * with? */
static int known_field(sx_str l)
{
    size_t n = header_name(l);
    if (n == 0)
        return 0;
    if ((l.p[0] == 'X' || l.p[0] == 'x') && l.p[1] == '-')
        return 1;
    return sx_bt_names_find(&known_index, l.p, n) >= 0;
}

const char *sx_borig_find(const char *text, size_t len, size_t *rest)
{
    sx_btlines it;
    sx_str l, prev = {NULL, 0};
    int prev_hdr = 0;
    sx_bt_lines_init(&it, text, len);
    while (it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l)) {
        /* a continuation line opens with a blank, a field line never */
        int cont = l.len > 0 && (l.p[0] == ' ' || l.p[0] == '\t');
        int h = !cont && known_field(l);
        if (prev_hdr && (h || cont)) {
            /* two fields in a row (or a field and its continuation) */
            *rest = len - (size_t)(prev.p - text);
            return prev.p;
        }
        if (h)
            prev = l;
        prev_hdr = h;
    }
    return NULL;
}

/* The width of the blanks that open l (at most 8), 0 when none. */
static size_t indent(sx_str l)
{
    size_t i = 0;
    while (i < l.len && i < 8 && (l.p[i] == ' ' || l.p[i] == '\t'))
        i++;
    return i < l.len ? i : 0;
}

/* Header fields the notice echoes indented ("This report relates to a
 * message you sent with the following header fields:", then "  Subject:
 * ..."), read once the indentation is taken off; used when the text holds
 * no copy of them at the left margin. Two such fields in a row start the
 * block; it ends at a line that is blank or less indented. */
static smtpdx_status indented(sx_bmail *m, sx_borig *o)
{
    sx_btlines it;
    sx_str l, prev = {NULL, 0};
    size_t width = 0;
    const char *start = NULL;
    sx_bt_lines_init(&it, m->tx, m->txlen);
    while (start == NULL && it.count < SX_BOUNCE_MAX_LINES &&
           sx_bt_next_line(&it, &l)) {
        size_t w = indent(l);
        sx_str t = sx_bt_str(l.p + w, l.len - w);
        if (w == 0 || !known_field(t)) {
            prev.p = NULL;
            continue;
        }
        if (prev.p != NULL && indent(prev) == w)
            start = prev.p, width = w;
        else
            prev = l;
    }
    if (start == NULL)
        return SMTPDX_OK;
    sx_sbuf *b = &m->scratch2;
    sx_sbuf_reset(b);
    int rc = SX_SBUF_OK;
    sx_bt_lines_init(&it, start, m->txlen - (size_t)(start - m->tx));
    while (rc == SX_SBUF_OK && it.count < 200 && sx_bt_next_line(&it, &l)) {
        size_t w = indent(l);
        if (w < width)
            break; /* blank, or back at the margin */
        /* a continuation keeps the blanks past the block's own */
        rc = sx_sbuf_append(b, l.p + width, l.len - width);
        if (rc == SX_SBUF_OK)
            rc = sx_sbuf_putc(b, '\n');
    }
    if (rc == SX_SBUF_NOMEM)
        return SMTPDX_ERR_NOMEM;
    return from_text(o, b->data ? b->data : "", b->len);
}

smtpdx_status sx_borig_read(sx_bmail *m, const char *copy, size_t copy_len,
                            sx_borig *o)
{
    smtpdx_status st = SMTPDX_OK;
    const sx_part *p = m->orig_part;
    o->received = 0;
    if (p != NULL && (p->flags & SX_PART_F_MESSAGE)) {
        /* one walk over the entity's fields finds the first of each name */
        const sx_hdr *first[SX_BORIG_NFIELDS] = {NULL};
        size_t n = 0;
        const sx_hdr *h = sx_part_headers(&m->msg, p, &n);
        for (size_t k = 0; k < n; k++) {
            int i = field_code(h[k].name);
            if (i == F_RECEIVED)
                o->received++;
            else if (i >= 0 && first[i] == NULL)
                first[i] = &h[k];
        }
        /* every field is set here: the values before go */
        sx_sbuf_reset(&o->all);
        for (int i = 0; i < SX_BORIG_NFIELDS; i++)
            o->len[i] = 0;
        for (int i = 0; i < SX_BORIG_NFIELDS; i++) {
            if (first[i] == NULL)
                continue;
            st = store(o, i, first[i]->value.p, first[i]->value.len);
            if (st != SMTPDX_OK)
                return st;
        }
        return SMTPDX_OK;
    }
    if (p != NULL) {
        /* text/rfc822-headers: decode, then read it as a header block */
        st = sx_part_decode(&m->msg, p, 0, &m->scratch2, NULL);
        if (st != SMTPDX_OK && st != SMTPDX_ERR_LIMIT)
            return st;
        return from_text(o, m->scratch2.data ? m->scratch2.data : "",
                         m->scratch2.len);
    }
    if (copy != NULL)
        return from_text(o, copy, copy_len);
    size_t rest = 0;
    const char *h = sx_borig_find(m->tx, m->txlen, &rest);
    if (h != NULL)
        return from_text(o, h, rest);
    return indented(m, o);
}

smtpdx_status sx_borig_sole_recipient(sx_bmail *m, sx_bres *res,
                                      sx_brcpt **added)
{
    *added = NULL;
    sx_borig o;
    sx_borig_init(&o);
    smtpdx_status st = sx_borig_read(m, NULL, 0, &o);
    const char *to = sx_borig_get(&o, SX_BORIG_TO);
    size_t n = strlen(to), next = 0;
    sx_str a, b;
    if (st == SMTPDX_OK && sx_bt_find_addr(to, n, &a, &next) &&
        !sx_bt_find_addr(to + next, n - next, &b, NULL)) {
        sx_brcpt *rc = sx_bres_add(res, &st);
        if (rc != NULL && (st = sx_bres_set(res, &rc->recipient, a.p,
                                            a.len)) == SMTPDX_OK)
            *added = rc;
    }
    sx_borig_release(&o);
    return st;
}
