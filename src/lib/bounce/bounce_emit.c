/*
 * bounce_emit.c - from what a detector found to classified records.
 *
 * For every recipient: the reply text is parsed (smtpdx_reply_parse) and
 * classified by the one classifier every input uses (smtpdx_classify),
 * given the bounce's own facts as hints (Status, Action, remote host).
 * Then comes what only a bounce can tell (bounce_judge.c), and the record
 * gets the Sisimai-compatible fields: deliverystatus (the more specific of
 * the Status field and the reply's enhanced code, RFC 3463; a pseudo code
 * X.0.9NN naming the reason when neither exists, as Sisimai writes it),
 * the returned message's sender, subject and ids, a timestamp and a token.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "bounce/bounce.h"
#include "bounce/bounce_date.h"
#include "bounce/bounce_judge.h"
#include "bounce/bounce_orig.h"
#include "bounce/bounce_text.h"
#include "classify/ctx.h"
#include "record/record.h"
#include "util/addr.h"
#include "util/alloc.h"

/* Collapse runs of blanks (folding left overs) of s[0..n) into one space
 * at w, which has room for n + 1 bytes; returns the length written (a NUL
 * follows). */
static size_t squeeze_to(char *w, const char *s, size_t n)
{
    size_t k = 0;
    int sp = 0;
    for (size_t i = 0; i < n; i++) {
#ifdef __SSE2__
        /* sixteen bytes at once: up to the first blank that is not a
         * single space between other bytes, they are copied as they are */
        if (k > 0 && !sp && n - i >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
            unsigned sm = (unsigned)_mm_movemask_epi8(
                _mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
            unsigned cm = (unsigned)_mm_movemask_epi8(_mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\t')),
                             _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))),
                _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))));
            /* the bytes that need the rule below: other blanks, and
             * spaces followed by a blank or by the block's end */
            unsigned bad = cm | (sm & ((sm | cm) >> 1)) | (sm & 0x8000u);
            size_t f = bad ? (size_t)__builtin_ctz(bad) : 16;
            _mm_storeu_si128((__m128i *)(w + k), v);
            k += f;
            i += f;
            if (f == 16) {
                i--;
                continue;
            }
        }
#endif
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            sp = k > 0;
            continue;
        }
        if (sp)
            w[k++] = ' ';
        sp = 0;
        w[k++] = c;
    }
    w[k] = '\0';
    return k;
}

/* squeeze_to into out, the text cut at out's maximum. SMTPDX_ERR_NOMEM
 * when out cannot grow. */
static smtpdx_status squeeze(const char *s, size_t n, sx_sbuf *out)
{
    sx_sbuf_reset(out);
    if (n > out->max)
        n = out->max;
    if (sx_sbuf_reserve(out, n) != SX_SBUF_OK)
        return SMTPDX_ERR_NOMEM;
    out->len = squeeze_to(out->data, s, n);
    return SMTPDX_OK;
}

static sx_str bare(const char *v)
{
    sx_str a;
    sx_str s = sx_bt_str(v, strlen(v));
    if (sx_bt_find_addr(s.p, s.len, &a, NULL))
        return a;
    return sx_bt_str("", 0);
}

/* The host in the bounce's own topmost "Received: ... by HOST" field. */
static sx_str received_by(const sx_bmail *m)
{
    sx_str v = sx_bmail_hdr(m, SX_H_RECEIVED);
    if (v.p == NULL)
        return sx_bt_str("", 0);
    const char *by = sx_bt_ifind(v.p, v.len, "by ");
    while (by != NULL && by > v.p && by[-1] != ' ' && by[-1] != '\t' &&
           by[-1] != '\n' && by[-1] != ')') {
        size_t off = (size_t)(by + 3 - v.p);
        by = sx_bt_ifind(by + 3, v.len - off, "by ");
    }
    if (by == NULL)
        return sx_bt_str("", 0);
    const char *p = by + 3;
    size_t rest = v.len - (size_t)(p - v.p);
    while (rest > 0 && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
        p++;
        rest--;
    }
    size_t l = sx_bt_host_len(p, rest);
    if (l == 0 || memchr(p, '.', l) == NULL)
        return sx_bt_str("", 0);
    return sx_bt_str(p, l);
}

/* Exchange and Microsoft 365 notices name the server that wrote them on
 * a line of their own, "Generating server: host" (in a localised notice
 * "Generierender Server:", "Serveur de génération :", ...): the reporting
 * host of a notice that carries neither Reporting-MTA nor a Received
 * field. */
static sx_str generating_server(const sx_bmail *m)
{
    const char *end = m->tx + m->txlen;
    for (size_t i = 0; sx_bt_genserver_words[i]; i++) {
        const char *t = m->tx, *at;
        while (t < end && (at = sx_bt_ifind(t, (size_t)(end - t),
                                             sx_bt_genserver_words[i]))) {
            t = at + 1;
            if (at != m->tx && at[-1] != '\n')
                continue;
            size_t k = sx_bt_genserver_label(at, (size_t)(end - at));
            if (k == 0)
                continue;
            const char *p = at + k;
            size_t l = sx_bt_host_len(p, (size_t)(end - p));
            if (l > 0 && memchr(p, '.', l) != NULL)
                return sx_bt_str(p, l);
        }
    }
    return sx_bt_str("", 0);
}

/* "\x1e" time "\x03" written at the end of buf (n >= 24); returns where it
 * starts. The number as %lld prints it. */
static size_t fmt_time(char *buf, size_t n, int64_t ts)
{
    size_t k = n;
    uint64_t u = ts < 0 ? 0u - (uint64_t)ts : (uint64_t)ts;
    buf[--k] = '\x03';
    do {
        buf[--k] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (ts < 0)
        buf[--k] = '-';
    buf[--k] = '\x1e';
    return k;
}

/* What sx_bounce_emit() works in: kept in the bounce context from one
 * message to the next, so that its buffers (the returned header's values
 * above all) are not made again for every message. */
struct sx_bemit {
    smtpdx_reply *reply;
    sx_sbuf diag, tmp;
    sx_borig orig;
};
typedef struct sx_bemit emit_state;

void sx_bemit_free(emit_state *es)
{
    if (es == NULL)
        return;
    sx_sbuf_release(&es->diag);
    sx_sbuf_release(&es->tmp);
    sx_borig_release(&es->orig);
    sx_free(es);
}

static smtpdx_status set(smtpdx_record *r, const char **f, sx_str s)
{
    return sx_record_set(r, f, s.p, s.len);
}

/* "[192.0.2.1]" and "[IPv6:2001:db8::1]" as some reports write an address
 * literal (RFC 5321 4.1.3): the address alone, as others write it, so that
 * records of one host group together. */
static sx_str unbracket(sx_str h)
{
    if (h.len < 3 || h.p[0] != '[' || h.p[h.len - 1] != ']')
        return h;
    h = sx_bt_str(h.p + 1, h.len - 2);
    if (sx_bt_iprefix(h.p, h.len, "ipv6:"))
        h = sx_bt_str(h.p + 5, h.len - 5);
    return h;
}

/* A List-Id field's identifier: what stands between '<' and '>' ("Cats
 * <cats.example.org>" -> "cats.example.org", RFC 2919 2); the field as it
 * is when it has no brackets. */
static sx_str list_id(const char *v)
{
    sx_str t = sx_bt_trim(sx_bt_str(v, strlen(v)));
    const char *lt = t.len ? memchr(t.p, '<', t.len) : NULL;
    if (lt != NULL) {
        const char *gt = memchr(lt, '>', t.len - (size_t)(lt - t.p));
        if (gt != NULL && gt > lt + 1)
            return sx_bt_str(lt + 1, (size_t)(gt - lt - 1));
    }
    return t;
}

static smtpdx_status one(smtpdx_ctx *ctx, sx_bmail *m, sx_bres *res,
                         sx_brcpt *rc, const char *origin, emit_state *es,
                         smtpdx_records *out)
{
    smtpdx_status st;
    sx_judgement j;

    size_t rawlen = strlen(rc->diag);
    /* the usual reply text is squeezed on the stack: no allocation */
    char sq[1024];
    const char *diag;
    size_t dlen;
    if (rawlen < sizeof sq) {
        dlen = squeeze_to(sq, rc->diag, rawlen);
        diag = sq;
    } else {
        st = squeeze(rc->diag, rawlen, &es->diag);
        if (st != SMTPDX_OK)
            return st;
        diag = es->diag.data ? es->diag.data : "";
        dlen = es->diag.len;
    }
    st = sx_bjudge(ctx, m, res, rc, diag, dlen, es->reply, &j);
    if (st != SMTPDX_OK)
        return st;
    sx_bjudge_hops(&j, dlen, es->orig.received);
    sx_bjudge_shared(&j, res, rc, diag, dlen);

    smtpdx_record *r = sx_records_add(out);
    if (r == NULL)
        return SMTPDX_ERR_NOMEM;

    const sx_borig *o = &es->orig;
    sx_str sender = bare(sx_borig_get(o, SX_BORIG_FROM));
    if (sender.len == 0)
        sender = bare(sx_borig_get(o, SX_BORIG_RETURNPATH));
    if (sender.len == 0 && m->to.p != NULL) {
        /* the bounce goes back to the sender */
        sx_str a;
        if (sx_bt_find_addr(m->to.p, m->to.len, &a, NULL))
            sender = a;
    }
    char plain[320];
    sx_str rcpt = sx_bt_str(rc->recipient, strlen(rc->recipient));
    size_t pk = sx_addr_plain(rcpt.p, rcpt.len, plain, sizeof plain);
    if (pk > 0)
        rcpt = sx_bt_str(plain, pk);

    /* the date: last attempt, arrival, the returned message, the bounce */
    int64_t ts = 0;
    int tz = 0;
    const char *dates[4] = {rc->date, res->arrival_date,
                            sx_borig_get(o, SX_BORIG_DATE), NULL};
    for (int i = 0; i < 3 && ts == 0; i++)
        if (dates[i][0] != '\0')
            sx_bdate_parse(dates[i], strlen(dates[i]), &ts, &tz);
    if (ts == 0 && m->date.p != NULL)
        sx_bdate_parse(m->date.p, m->date.len, &ts, &tz);

    /* lhost: the detector's, Reporting-MTA, the bounce's own server, the
     * server an Exchange notice says generated it */
    sx_str lhost = sx_bt_str(rc->lhost, strlen(rc->lhost));
    if (lhost.len == 0)
        lhost = sx_bt_str(res->reporting_mta, strlen(res->reporting_mta));
    if (lhost.len == 0)
        lhost = received_by(m);
    if (lhost.len == 0 && m->tx != NULL)
        lhost = generating_server(m);

    st = set(r, &r->action, sx_bt_str(j.action, strlen(j.action)));
    if (st == SMTPDX_OK)
        st = set(r, &r->addresser, sender);
    if (st == SMTPDX_OK)
        st = set(r, &r->senderdomain, sx_bt_domain(sender));
    if (st == SMTPDX_OK)
        st = set(r, &r->recipient, rcpt);
    if (st == SMTPDX_OK)
        st = set(r, &r->destination, sx_bt_domain(rcpt));
    if (st == SMTPDX_OK && rc->alias[0] != '\0' &&
        !(strlen(rc->alias) == rcpt.len &&
          sx_bt_ieq(rc->alias, rcpt.p, rcpt.len)))
        st = sx_record_sets(r, &r->alias, rc->alias);
    if (st == SMTPDX_OK)
        st = sx_record_sets(r, &r->deliverystatus, j.status);
    if (st == SMTPDX_OK)
        st = sx_record_set(r, &r->diagnosticcode, diag, dlen);
    if (st == SMTPDX_OK)
        st = sx_record_sets(r, &r->diagnostictype, j.diagtype);
    if (st == SMTPDX_OK)
        st = sx_record_sets(r, &r->feedbacktype, rc->feedbacktype);
    if (st == SMTPDX_OK)
        st = set(r, &r->lhost, lhost);
    if (st == SMTPDX_OK)
        st = set(r, &r->rhost, unbracket(sx_bt_str(j.rhost, strlen(j.rhost))));
    if (st == SMTPDX_OK)
        st = set(r, &r->listid, list_id(sx_borig_get(o, SX_BORIG_LISTID)));
    if (st == SMTPDX_OK) {
        sx_str id = sx_bt_trim(sx_bt_str(sx_borig_get(o, SX_BORIG_MSGID),
                                         strlen(sx_borig_get(o, SX_BORIG_MSGID))));
        /* an auto-reply returns no message but names the one it answers
         * (RFC 3834 3.1.5) */
        if (id.len == 0 && j.why.reason == SMTPDX_R_VACATION) {
            sx_str irt = sx_bmail_header(m, "In-Reply-To");
            if (irt.p != NULL)
                id = sx_bt_trim(irt);
        }
        if (id.len >= 2 && id.p[0] == '<') {
            const char *gt = memchr(id.p, '>', id.len);
            id = sx_bt_str(id.p + 1, gt ? (size_t)(gt - id.p - 1) : id.len - 1);
        }
        st = set(r, &r->messageid, id);
    }
    if (st == SMTPDX_OK && origin != NULL)
        st = sx_record_sets(r, &r->origin, origin);
    if (st == SMTPDX_OK)
        st = sx_record_sets(r, &r->smtpagent, res->agent);
    if (st == SMTPDX_OK)
        st = sx_record_sets(r, &r->smtpcommand, j.command);
    if (st == SMTPDX_OK)
        st = sx_record_sets(r, &r->subject, sx_borig_get(o, SX_BORIG_SUBJECT));
    if (st == SMTPDX_OK) {
        /* Sisimai's token: SHA-1 of STX sender RS recipient RS time ETX */
        char hex[41];
        /* Every step is checked: after a failed step a later one that
         * fits would hash another text, a wrong token in a record that
         * looks whole. Past the buffer's limit (addresses far beyond RFC
         * 5321's 256 octets) the hash covers what fit: still stable. */
        int brc;
        char num[24];
        size_t k = fmt_time(num, sizeof num, ts);
        size_t need = 1 + sender.len + 1 + rcpt.len + (sizeof num - k);
        /* the usual key fits on the stack: no allocation per message */
        char small[512];
        const char *key = NULL;
        size_t klen = 0;
        sx_sbuf_reset(&es->tmp);
        brc = need < sizeof small ? SX_SBUF_OK
                                  : sx_sbuf_reserve(&es->tmp, need);
        if (brc == SX_SBUF_OK) {
            /* it all fits: written in place */
            char *t = need < sizeof small ? small : es->tmp.data;
            key = t;
            *t++ = '\x02';
            if (sender.len > 0)
                memcpy(t, sender.p, sender.len);
            t += sender.len;
            *t++ = '\x1e';
            if (rcpt.len > 0)
                memcpy(t, rcpt.p, rcpt.len);
            t += rcpt.len;
            memcpy(t, num + k, sizeof num - k);
            t += sizeof num - k;
            *t = '\0';
            klen = (size_t)(t - key);
        } else {
            brc = sx_sbuf_putc(&es->tmp, '\x02');
            if (brc == SX_SBUF_OK)
                brc = sx_sbuf_append(&es->tmp, sender.p, sender.len);
            if (brc == SX_SBUF_OK)
                brc = sx_sbuf_putc(&es->tmp, '\x1e');
            if (brc == SX_SBUF_OK)
                brc = sx_sbuf_append(&es->tmp, rcpt.p, rcpt.len);
            if (brc == SX_SBUF_OK)
                brc = sx_sbuf_append(&es->tmp, num + k, sizeof num - k);
            key = es->tmp.data;
            klen = es->tmp.len;
        }
        sx_bctx *b = sx_bctx_get(ctx);
        if (brc == SX_SBUF_NOMEM || key == NULL || b == NULL)
            st = SMTPDX_ERR_NOMEM;
        else if ((st = sx_bsha1_hex(b, key, klen, hex)) == SMTPDX_OK)
            st = sx_record_sets(r, &r->token, hex);
    }
    if (st == SMTPDX_OK)
        st = j.span_own ? sx_record_set_why(r, &j.why, j.span, strlen(j.span))
                        : sx_record_set_why(r, &j.why, es->reply->text,
                                            es->reply->text_len);
    if (st == SMTPDX_OK && j.hops > 0) {
        char hops[40];
        snprintf(hops, sizeof hops, "%u Received fields", j.hops);
        st = sx_record_sets(r, &r->matched_text, hops);
    }
    if (st != SMTPDX_OK) {
        sx_records_pop(out);
        return st;
    }
    r->reason = j.why.reason;
    r->hardbounce = j.hardbounce;
    /* a reply text at its limit was, as a rule, cut there */
    r->truncated = m->cut | (es->orig.cut ? SMTPDX_CUT_RETURNED : 0u) |
                   (rawlen >= SX_BOUNCE_MAX_DIAG ? SMTPDX_CUT_DIAGNOSTIC : 0u);
    r->replycode = j.replycode;
    r->timestamp = ts;
    r->retry_until = 0;
    if (rc->retry_until[0] != '\0' && strcmp(j.action, "delayed") == 0) {
        int64_t until = 0;
        int utz = 0;
        sx_bdate_parse(rc->retry_until, strlen(rc->retry_until), &until, &utz);
        r->retry_until = until;
    }
    {
        /* tz is a bounded hhmm number (|tz| <= 1459), or "-0000" */
        unsigned a = tz == SX_BDATE_TZ_MINUS_ZERO
                         ? 0u
                         : (unsigned)(tz < 0 ? -tz : tz) % 10000u;
        r->timezoneoffset[0] = tz < 0 ? '-' : '+';
        r->timezoneoffset[1] = (char)('0' + a / 1000);
        r->timezoneoffset[2] = (char)('0' + a / 100 % 10);
        r->timezoneoffset[3] = (char)('0' + a / 10 % 10);
        r->timezoneoffset[4] = (char)('0' + a % 10);
        r->timezoneoffset[5] = '\0';
    }
    return SMTPDX_OK;
}

/* Does the report list recipient i already, word for word (the same
 * address, action, status and reply)? Some MTAs write a recipient's block
 * twice; it is one failed recipient, and two records of it would count it
 * twice in every list and total. Blocks with another action, status or
 * reply are all kept: two attempts with two answers say more than one. */
static int repeated(const sx_bres *res, size_t i)
{
    const sx_brcpt *a = &res->r[i];
    for (size_t k = 0; k < i; k++) {
        const sx_brcpt *b = &res->r[k];
        if (strcasecmp(a->recipient, b->recipient) == 0 &&
            strcmp(a->action, b->action) == 0 &&
            strcmp(a->status, b->status) == 0 &&
            strcmp(a->diag, b->diag) == 0)
            return 1;
    }
    return 0;
}

smtpdx_status sx_bounce_emit(smtpdx_ctx *ctx, sx_bmail *m, sx_bres *res,
                             const char *origin, smtpdx_records *out)
{
    smtpdx_status st = SMTPDX_OK;
    size_t before = smtpdx_records_count(out);
    sx_bctx *bc = sx_bctx_get(ctx);
    if (bc == NULL)
        return SMTPDX_ERR_NOMEM;
    if (bc->emit == NULL) {
        bc->emit = sx_malloc(sizeof *bc->emit);
        if (bc->emit == NULL)
            return SMTPDX_ERR_NOMEM;
        sx_sbuf_init(&bc->emit->diag, SX_BOUNCE_MAX_DIAG);
        sx_sbuf_init(&bc->emit->tmp, 4096);
        sx_borig_init(&bc->emit->orig);
    }
    emit_state *es = bc->emit;
    sx_sbuf_reset(&es->diag);
    sx_sbuf_reset(&es->tmp);
    sx_borig_clear(&es->orig);
    /* one reply per ctx, reused: its buffer has grown to fit already */
    if (ctx->held == NULL)
        ctx->held = smtpdx_reply_new();
    es->reply = ctx->held;
    if (es->reply == NULL)
        return SMTPDX_ERR_NOMEM;
    st = sx_borig_read(m, res->orig, res->orig_len, &es->orig);
    if (st != SMTPDX_OK)
        return st;
    for (size_t i = 0; i < res->n; i++) {
        if (repeated(res, i))
            continue;
        st = one(ctx, m, res, &res->r[i], origin, es, out);
        if (st != SMTPDX_OK)
            break;
    }
    if (st != SMTPDX_OK)
        while (smtpdx_records_count(out) > before)
            sx_records_pop(out);
    return st;
}
