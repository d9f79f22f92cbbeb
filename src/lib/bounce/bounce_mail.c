/*
 * bounce_mail.c - one message as the bounce detectors see it (sx_bmail).
 *
 * The MIME structure is scanned once; then the parts a report is made of
 * are picked out: the human notification (first text part outside the
 * returned message), the RFC 3464 fields (message/delivery-status, RFC
 * 3464 2.1; RFC 6533 for the global variant), the RFC 5965 feedback
 * report, and the returned message or its headers (RFC 6522 3: the third
 * part of a multipart/report). Only those are decoded; the returned
 * message's body never is.
 */
#include <stdint.h>
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/bounce_html.h"
#include "bounce/bounce_text.h"

static sx_str raw(const sx_msg *msg, const char *name)
{
    const sx_hdr *h = sx_msg_header_raw(msg, NULL, name, 0);
    if (h == NULL)
        return sx_bt_str(NULL, 0);
    return h->value;
}

/* The names in lower case, in the order of SX_H_*. */
static const char *const hdr_names[SX_H_COUNT + 1] = {
    "from", "subject", "to", "date", "content-type",
    "x-failed-recipients", "auto-submitted", "message-id",
    "x-apple-unsubscribe", "x-autoreply", "x-autorespond",
    "x-autoresponder", "x-auto-response", "precedence",
    "reply-to", "return-path", "x-mailer",
    "x-amz-sns-message-id", "received", NULL,
};
static sx_bt_names hdr_index = SX_BT_NAMES(hdr_names);

sx_str sx_bmail_header(const sx_bmail *m, const char *name)
{
    int k = sx_bt_names_find(&hdr_index, name, strlen(name));
    if (k >= 0)
        return m->hdr[k];
    return raw(&m->msg, name);
}

/* One pass over the top header block for the fields in hdr_names. */
static void top_headers(sx_bmail *m)
{
    size_t n = 0;
    const sx_hdr *h = sx_part_headers(&m->msg, NULL, &n);
    /* every entry empty (NULL, 0), 32 bytes per store pair: a loop over
     * the entries is not merged into wide stores, and one memset of the
     * table becomes "rep stos", slow to start for 300 bytes */
    char *z = (char *)m->hdr;
    size_t b = 0;
    for (; b + 32 <= sizeof m->hdr; b += 32)
        memset(z + b, 0, 32);
    memset(z + b, 0, sizeof m->hdr - b);
    for (size_t i = 0; i < n; i++) {
        int k = sx_bt_names_find(&hdr_index, h[i].name.p, h[i].name.len);
        if (k >= 0 && m->hdr[k].p == NULL)
            m->hdr[k] = h[i].value;
    }
}

/* A field's value decoded for people (sx_hdr_decode); SMTPDX_ERR_PARSE
 * and out empty when there is no such field. */
static smtpdx_status decoded(sx_str v, sx_sbuf *out)
{
    if (v.p == NULL) {
        sx_sbuf_reset(out);
        return SMTPDX_ERR_PARSE;
    }
    return sx_hdr_decode(v.p, v.len, out);
}

/* Is part p inside a returned message (an encapsulated message entity
 * below the top)? */
static int inside_returned(const sx_msg *msg, const sx_part *p)
{
    unsigned guard = 0;
    while (p != NULL && p->index != 0 && guard++ < 64) {
        if (p->flags & SX_PART_F_MESSAGE)
            return 1;
        p = p->parent == SX_NONE ? NULL : sx_msg_part(msg, p->parent);
    }
    return 0;
}

/* cut: the SMTPDX_CUT_* bit a record gets when out's limit is reached */
static smtpdx_status decode_into(sx_bmail *m, const sx_part *p, sx_sbuf *out,
                                 unsigned cut)
{
    smtpdx_status st = sx_part_decode(&m->msg, p, 0, out, NULL);
    if (st == SMTPDX_ERR_LIMIT) {
        st = SMTPDX_OK; /* keep the start: a notification comes first */
        m->cut |= cut;
    }
    return st;
}

/* Only white space (or nothing) in s[0..n)? */
static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return 0;
    return 1;
}

static smtpdx_status text_from_html(sx_bmail *m, const sx_part *p)
{
    smtpdx_status st = decode_into(m, p, &m->scratch, SMTPDX_CUT_TEXT);
    if (st != SMTPDX_OK)
        return st;
    st = sx_bhtml_to_text(m->scratch.data ? m->scratch.data : "",
                          m->scratch.len, &m->text);
    sx_sbuf_reset(&m->scratch);
    return st;
}

/* The first marker of a pasted copy that stands on a short line of its
 * own (a sentence that only mentions "a copy of the message" does not). */
static size_t copy_start(const sx_bmail *m)
{
    size_t best = m->txlen;
    /* most notices hold none: one AND over the group (no branch per mark)
     * tells, as every absent mark is all ones */
    uint32_t none = SX_BMARK_NONE;
    for (int id = SX_BMARK_FIRST_COPY; id < SX_BMARK_COUNT; id++)
        none &= m->marks.at[id];
    if (none == SX_BMARK_NONE)
        return best;
    for (int id = SX_BMARK_FIRST_COPY; id < SX_BMARK_COUNT; id++) {
        uint32_t at = m->marks.at[id];
        if (at == SX_BMARK_NONE || at >= best)
            continue;
        const char *t = m->tx;
        if (t[at] == '\n')
            at++; /* a signature separator's mark opens with a line end */
        /* only a line of 160 bytes at most counts: neither walk goes
         * further than that from the mark (a mark inside a long paragraph
         * read it to its end) */
        size_t b = at;
        while (b > 0 && t[b - 1] != '\n' && at - b <= 160)
            b--;
        if (at - b > 160)
            continue;
        size_t lim = m->txlen - b > 161 ? b + 161 : m->txlen;
        if ((at < lim && memchr(t + at, '\n', lim - at) != NULL) ||
            m->txlen - b <= 160)
            best = b;
    }
    return best;
}

/* Is the part's lower-case token arr (a NUL-ended sx_part array) the
 * literal lit? memcmp of the literal with its NUL, a length known here,
 * is a few loads and compares where strcmp is a call; the array is read
 * only within its size (it is zeroed before it is filled, so the bytes
 * past its NUL are set), and one shorter than the literal cannot hold it. */
#define TOKEN_IS(arr, lit)                                                    \
    (sizeof(arr) >= sizeof(lit) && memcmp((arr), (lit), sizeof(lit)) == 0)

/* Can the part be read as it is (no transfer encoding, a charset that is
 * already UTF-8, LF line ends)? Then it is not copied. */
static int plain(const sx_msg *msg, const sx_part *p)
{
    if (p->cte != SX_CTE_IDENTITY || (msg->flags & (SX_MSG_F_EOL_CR |
                                                   SX_MSG_F_EOL_CRLF)))
        return 0;
    return p->charset[0] == '\0' || TOKEN_IS(p->charset, "us-ascii") ||
           TOKEN_IS(p->charset, "utf-8");
}

static void storage_init(sx_bmail *m)
{
    sx_msg_init(&m->msg, NULL);
    sx_sbuf_init(&m->subject_dec, 4096);
    sx_sbuf_init(&m->from_dec, 4096);
    sx_sbuf_init(&m->text, SX_BOUNCE_MAX_TEXT);
    sx_sbuf_init(&m->text2, SX_BOUNCE_MAX_TEXT);
    sx_sbuf_init(&m->dsn, SX_BOUNCE_MAX_DSN);
    sx_sbuf_init(&m->scratch, SX_BOUNCE_MAX_TEXT);
    sx_sbuf_init(&m->scratch2, SX_BOUNCE_MAX_TEXT);
    sx_bres_init(&m->dsnc);
    m->ready = 1;
}

/* Forget the previous message, keep the storage. */
static void storage_reset(sx_bmail *m)
{
    sx_sbuf_reset(&m->subject_dec);
    sx_sbuf_reset(&m->from_dec);
    sx_sbuf_reset(&m->text);
    sx_sbuf_reset(&m->text2);
    sx_sbuf_reset(&m->dsn);
    sx_sbuf_reset(&m->scratch);
    sx_sbuf_reset(&m->scratch2);
    sx_bres_clear(&m->dsnc);
}

static smtpdx_status ensure(sx_sbuf *b)
{
    if (b->data == NULL && sx_sbuf_reserve(b, 0) != SX_SBUF_OK)
        return SMTPDX_ERR_NOMEM;
    b->data[b->len] = '\0';
    return SMTPDX_OK;
}

smtpdx_status sx_bmail_open(sx_bmail *m, smtpdx_ctx *ctx, const char *buf,
                            size_t len)
{
    if (!m->ready)
        storage_init(m);
    else
        storage_reset(m);
    m->ctx = ctx;
    /* everything but the storage starts empty */
    m->from = m->subject = m->to = m->date = m->ctype = m->xfailed =
        m->autosub = m->msgid = sx_bt_str(NULL, 0);
    m->text_part = m->dsn_part = m->arf_part = m->orig_part = NULL;
    m->mdn_part = NULL;
    m->tx = m->dsnp = "";
    m->txlen = m->dsnlen = 0;
    m->multipart_report = m->report_feedback = 0;
    m->dsnc_done = 0;
    m->cut = 0;
    m->body_end = 0;
    /* the marks and m->hdr are set whole below, by sx_bmarks_scan and
     * top_headers, before anything reads them; a message that fails to
     * open is not read */

    smtpdx_status st = sx_msg_parse(&m->msg, buf, len);
    if (st != SMTPDX_OK)
        return st;
    const sx_msg *msg = &m->msg;
    if (msg->nparts > 0 && (msg->parts[0].flags & SX_PART_F_HDR_LIMIT))
        m->cut |= SMTPDX_CUT_HEADER; /* the notice's own block */
    top_headers(m);
    m->from = m->hdr[SX_H_FROM];
    m->subject = m->hdr[SX_H_SUBJECT];
    m->to = m->hdr[SX_H_TO];
    m->date = m->hdr[SX_H_DATE];
    m->ctype = m->hdr[SX_H_CONTENT_TYPE];
    m->xfailed = m->hdr[SX_H_X_FAILED_RECIPIENTS];
    m->autosub = m->hdr[SX_H_AUTO_SUBMITTED];
    m->msgid = m->hdr[SX_H_MESSAGE_ID];

    /* decoded from the fields top_headers found (the first of each name,
     * as sx_msg_header would take) */
    st = decoded(m->subject, &m->subject_dec);
    if (st != SMTPDX_OK && st != SMTPDX_ERR_PARSE && st != SMTPDX_ERR_LIMIT)
        return st;
    st = decoded(m->from, &m->from_dec);
    if (st != SMTPDX_OK && st != SMTPDX_ERR_PARSE && st != SMTPDX_ERR_LIMIT)
        return st;
    /* a message without From or Subject is still read (a delivery agent
     * may leave the field to the MTA that carries the notice): the
     * status of a missing field must not reach the checks below */
    st = SMTPDX_OK;

    const sx_part *top = sx_msg_part(msg, 0);
    if (top != NULL && sx_part_is(top, "multipart", "report")) {
        m->multipart_report = 1;
        /* the top's Content-Type is m->ctype: not searched for again */
        if (m->ctype.p != NULL) {
            st = sx_param_get(m->ctype.p, m->ctype.len, "report-type",
                              &m->scratch);
        } else {
            sx_sbuf_reset(&m->scratch);
            st = SMTPDX_ERR_PARSE;
        }
        if (st == SMTPDX_OK && m->scratch.len == 15 &&
            sx_bt_ieq(m->scratch.data, "feedback-report", 15))
            m->report_feedback = 1;
        else if (st == SMTPDX_ERR_NOMEM)
            return st;
        sx_sbuf_reset(&m->scratch);
        /* a report without report-type (old X.400 gateways write none)
         * is still read: the lookup's status must not reach the checks
         * below */
        st = SMTPDX_OK;
    }

    const sx_part *html = NULL;
    for (uint32_t i = 0; i < msg->nparts; i++) {
        const sx_part *p = &msg->parts[i];
        if (inside_returned(msg, p)) {
            if (m->orig_part == NULL && (p->flags & SX_PART_F_MESSAGE))
                m->orig_part = p;
            continue;
        }
        /* the type is compared once, then only the subtype */
        int is_text = TOKEN_IS(p->type, "text");
        int is_msg = !is_text && TOKEN_IS(p->type, "message");
        if (p->nchildren > 0 || (!is_text && !is_msg &&
                                 TOKEN_IS(p->type, "multipart")))
            continue;
        if (is_msg && (TOKEN_IS(p->subtype, "delivery-status") ||
                       TOKEN_IS(p->subtype, "global-delivery-status"))) {
            if (m->dsn_part == NULL)
                m->dsn_part = p;
        } else if (is_msg && TOKEN_IS(p->subtype, "feedback-report")) {
            if (m->arf_part == NULL)
                m->arf_part = p;
        } else if (is_msg &&
                   TOKEN_IS(p->subtype, "disposition-notification")) {
            if (m->mdn_part == NULL)
                m->mdn_part = p;
        } else if ((is_text && (TOKEN_IS(p->subtype, "rfc822-headers") ||
                                TOKEN_IS(p->subtype, "rfc822-header"))) ||
                   (is_msg && (TOKEN_IS(p->subtype, "global-headers") ||
                               TOKEN_IS(p->subtype, "rfc822") ||
                               TOKEN_IS(p->subtype, "global")))) {
            /* the returned header, or its UTF-8 form (RFC 6533 6.4); or
             * the returned message in base64 or quoted-printable, which
             * RFC 2046 5.2.1 forbids and some servers write anyway: not
             * opened as a message, its header is read once decoded */
            if (m->orig_part == NULL)
                m->orig_part = p;
        } else if (is_text &&
                   (TOKEN_IS(p->subtype, "plain") || p->index == 0)) {
            if (m->text_part == NULL)
                m->text_part = p;
            else if (m->orig_part == NULL && m->text2.len < 65536) {
                /* later text parts before the returned message (some MTAs
                 * put the report's fields in text/plain) */
                st = decode_into(m, p, &m->scratch, SMTPDX_CUT_TEXT);
                if (st != SMTPDX_OK)
                    return st;
                int rc = sx_sbuf_append(&m->text2,
                                        m->scratch.data ? m->scratch.data : "",
                                        m->scratch.len);
                if (rc == SX_SBUF_OK)
                    rc = sx_sbuf_putc(&m->text2, '\n');
                sx_sbuf_reset(&m->scratch);
                /* past its limit text2 is cut; out of memory, a part
                 * missing from it would change what is read */
                if (rc == SX_SBUF_NOMEM)
                    return SMTPDX_ERR_NOMEM;
            }
        } else if (is_text && TOKEN_IS(p->subtype, "html")) {
            if (html == NULL)
                html = p;
        }
    }

    int copied = 1;
    if (m->text_part != NULL) {
        if (m->text_part->index == 0 && sx_part_is(m->text_part, "text", "html")) {
            st = text_from_html(m, m->text_part);
        } else if (plain(msg, m->text_part)) {
            m->tx = m->text_part->body.p ? m->text_part->body.p : "";
            m->txlen = m->text_part->body.len < SX_BOUNCE_MAX_TEXT
                           ? m->text_part->body.len
                           : SX_BOUNCE_MAX_TEXT;
            if (m->text_part->body.len > SX_BOUNCE_MAX_TEXT)
                m->cut |= SMTPDX_CUT_TEXT;
            copied = 0;
        } else {
            st = decode_into(m, m->text_part, &m->text, SMTPDX_CUT_TEXT);
        }
        if (st != SMTPDX_OK)
            return st;
    }
    /* an empty text/plain beside the HTML one (some services send the
     * notice only as HTML, with a blank plain alternative): the HTML */
    if (html != NULL &&
        (m->text_part == NULL ||
         (m->text_part != html &&
          blank(copied ? m->text.data : m->tx,
                copied ? m->text.len : m->txlen)))) {
        sx_sbuf_reset(&m->text);
        m->text_part = html;
        copied = 1;
        st = text_from_html(m, html);
        if (st != SMTPDX_OK)
            return st;
    }
    if (m->text_part == NULL && msg->nparts > 0) {
        /* no readable text part (a broken multipart): read the raw body */
        const sx_part *p0 = &msg->parts[0];
        size_t n = p0->body.len < SX_BOUNCE_MAX_TEXT ? p0->body.len
                                                     : SX_BOUNCE_MAX_TEXT;
        if (p0->body.len > SX_BOUNCE_MAX_TEXT)
            m->cut |= SMTPDX_CUT_TEXT;
        if (sx_sbuf_reserve(&m->text, n) != SX_SBUF_OK)
            return SMTPDX_ERR_NOMEM;
        /* CR LF and CR alone both end a line: the runs between CRs are
         * copied whole */
        const char *s = p0->body.p, *e = s + n;
        while (s < e) {
            const char *cr = memchr(s, '\r', (size_t)(e - s));
            size_t run = cr ? (size_t)(cr - s) : (size_t)(e - s);
            memcpy(m->text.data + m->text.len, s, run);
            m->text.len += run;
            if (cr == NULL)
                break;
            if (cr + 1 >= e || cr[1] != '\n')
                m->text.data[m->text.len++] = '\n';
            s = cr + 1;
        }
    }
    if (m->dsn_part != NULL) {
        if (m->dsn_part->cte == SX_CTE_IDENTITY) {
            m->dsnp = m->dsn_part->body.p ? m->dsn_part->body.p : "";
            m->dsnlen = m->dsn_part->body.len < SX_BOUNCE_MAX_DSN
                            ? m->dsn_part->body.len
                            : SX_BOUNCE_MAX_DSN;
            if (m->dsn_part->body.len > SX_BOUNCE_MAX_DSN)
                m->cut |= SMTPDX_CUT_DSN;
        } else {
            st = decode_into(m, m->dsn_part, &m->dsn, SMTPDX_CUT_DSN);
            if (st != SMTPDX_OK)
                return st;
            if ((st = ensure(&m->dsn)) != SMTPDX_OK)
                return st;
            m->dsnp = m->dsn.data;
            m->dsnlen = m->dsn.len;
        }
    }
    /* never NULL, so detectors can use them */
    if ((st = ensure(&m->text)) || (st = ensure(&m->text2)) ||
        (st = ensure(&m->subject_dec)) || (st = ensure(&m->from_dec)))
        return st;
    if (copied) {
        m->tx = m->text.data;
        m->txlen = m->text.len;
    }
    st = sx_bmarks_scan(ctx, m->tx, m->txlen, &m->marks);
    if (st != SMTPDX_OK)
        return st;
    m->body_end = copy_start(m);
    /* the readers walk at most SX_BOUNCE_MAX_LINES lines of the notice
     * (before the returned copy): a longer notice is only partly read
     * (a text shorter than that many bytes cannot have more lines) */
    if (m->body_end >= SX_BOUNCE_MAX_LINES) {
        size_t lines = 0;
        const char *p = m->tx, *e = m->tx + m->body_end;
        while (lines < SX_BOUNCE_MAX_LINES && p < e &&
               (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
            p++;
            lines++;
        }
        if (lines == SX_BOUNCE_MAX_LINES && p != NULL && p < e)
            m->cut |= SMTPDX_CUT_TEXT;
    }
    return SMTPDX_OK;
}

void sx_bmail_close(sx_bmail *m)
{
    if (m == NULL || !m->ready)
        return;
    sx_msg_release(&m->msg);
    sx_sbuf_release(&m->subject_dec);
    sx_sbuf_release(&m->from_dec);
    sx_sbuf_release(&m->text);
    sx_sbuf_release(&m->text2);
    sx_sbuf_release(&m->dsn);
    sx_sbuf_release(&m->scratch);
    sx_sbuf_release(&m->scratch2);
    sx_bres_release(&m->dsnc);
    m->ready = 0;
}
