/*
 * bounce_orig.c - the returned message's header (From, To, Subject,
 * Message-ID, Date, List-Id, Return-Path), wherever the bounce put it:
 * an encapsulated message/rfc822 entity, a text/rfc822-headers part
 * (RFC 6522 3), or a copy pasted into the text after a family's marker
 * line or found by its look (two header fields in a row).
 */
#include "bounce/bounce_orig.h"

#include <ctype.h>
#include <string.h>

#include "bounce/bounce_text.h"

static const char *const wanted[SX_BORIG_NFIELDS] = {
    "From", "To", "Subject", "Message-ID", "Date", "List-Id", "Return-Path",
};

void sx_borig_init(sx_borig *o)
{
    for (int i = 0; i < SX_BORIG_NFIELDS; i++)
        sx_sbuf_init(&o->v[i], 2048);
}

void sx_borig_release(sx_borig *o)
{
    if (o == NULL)
        return;
    for (int i = 0; i < SX_BORIG_NFIELDS; i++)
        sx_sbuf_release(&o->v[i]);
}

const char *sx_borig_get(const sx_borig *o, int which)
{
    const sx_sbuf *b = &o->v[which];
    return b->data && b->len ? b->data : "";
}

static int field_index(sx_str name)
{
    for (int i = 0; i < SX_BORIG_NFIELDS; i++)
        if (sx_str_ieq(name, wanted[i]))
            return i;
    return -1;
}

static smtpdx_status keep(sx_borig *o, int i, const char *v, size_t n)
{
    if (o->v[i].len > 0)
        return SMTPDX_OK; /* the first occurrence wins */
    smtpdx_status st = sx_hdr_decode(v, n, &o->v[i]);
    if (st == SMTPDX_ERR_LIMIT || st == SMTPDX_ERR_PARSE)
        st = SMTPDX_OK;
    return st;
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
        smtpdx_status r = sx_dsn_fields_next(&it, &f);
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
        int i = field_index(f.name);
        if (i >= 0 && (st = keep(o, i, f.value.p, f.value.len)) != SMTPDX_OK)
            break;
    }
    sx_dsn_iter_release(&it);
    return st;
}

/* A header field line: a name of letters, digits and '-' then ':'. */
static int header_line(sx_str l)
{
    size_t i = 0;
    while (i < l.len && (isalnum((unsigned char)l.p[i]) || l.p[i] == '-'))
        i++;
    return i > 1 && i < l.len && l.p[i] == ':' && isalpha((unsigned char)l.p[0]);
}

static int known_start(sx_str l)
{
    static const char *const names[] = {
        "Return-Path:", "Received:", "Message-ID:", "From:", "To:",
        "Subject:", "Date:", "MIME-Version:", "Content-Type:",
        "DKIM-Signature:", "Delivered-To:", "X-", "Reply-To:", "Sender:",
        NULL};
    for (size_t i = 0; names[i]; i++)
        if (sx_bt_iprefix(l.p, l.len, names[i]))
            return 1;
    return 0;
}

const char *sx_borig_find(const char *text, size_t len, size_t *rest)
{
    sx_btlines it;
    sx_str l, prev = {NULL, 0};
    int prev_hdr = 0;
    sx_bt_lines_init(&it, text, len);
    while (it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l)) {
        int h = header_line(l) && known_start(l);
        int cont = l.len > 0 && (l.p[0] == ' ' || l.p[0] == '\t');
        if (prev_hdr && (h || (cont && header_line(prev)))) {
            /* two fields in a row (or a field and its continuation) */
            if (h || cont) {
                *rest = len - (size_t)(prev.p - text);
                return prev.p;
            }
        }
        if (h) {
            prev = l;
            prev_hdr = 1;
        } else {
            prev_hdr = 0;
        }
    }
    return NULL;
}

smtpdx_status sx_borig_read(sx_bmail *m, const char *copy, size_t copy_len,
                            sx_borig *o)
{
    smtpdx_status st = SMTPDX_OK;
    const sx_part *p = m->orig_part;
    if (p != NULL && (p->flags & SX_PART_F_MESSAGE)) {
        for (int i = 0; i < SX_BORIG_NFIELDS; i++) {
            st = sx_msg_header(&m->msg, p, wanted[i], &o->v[i]);
            if (st == SMTPDX_ERR_PARSE || st == SMTPDX_ERR_LIMIT)
                st = SMTPDX_OK;
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
    return SMTPDX_OK;
}
