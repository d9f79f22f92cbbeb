/*
 * bounce.c - smtpdx_bounce_parse(): one message in, one record per failed
 * (or reported) recipient out.
 *
 * Order of reading, most specific first:
 *  0. a person's reply that quotes a notice under an attribution line
 *     naming a mail system: the quoted notice, read as a message;
 *  1. RFC 5965 feedback reports (multipart/report; report-type=
 *     feedback-report, or a message/feedback-report part);
 *  2. the MTA and provider families (sx_detectors[]): each has a cheap
 *     marker check on the header and first lines, and an extractor that
 *     knows its family's layout (and may read the RFC 3464 part too);
 *     the first one that finds recipients wins;
 *  3. a plain RFC 3464 report (multipart/report, RFC 6522); a recipient
 *     its delivery-status part gives no Diagnostic-Code takes the reply
 *     the notification text pairs with its address (so does one that a
 *     family's extractor left without a reply);
 *  4. RFC 3834 automatic replies (reason vacation);
 *  5. a bounce inside this one (attached, or forwarded with "> "
 *     quoting), read the same way once;
 *  6. the free-text fallback for bounces of unknown families.
 * A message none of them accepts is no bounce: SMTPDX_ERR_NOTBOUNCE; or
 * SMTPDX_ERR_PARSE when the text does not even open as a mail does. Text
 * that opens with no header field but with the sentences a notice opens
 * or is divided by (a notice's text pasted from a mail client) is read
 * once more as the body of a message without header fields.
 */
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/bounce_fam.h"
#include "bounce/bounce_text.h"
#include "record/record.h"
#include "util/alloc.h"

static smtpdx_status run(sx_bmail *m, sx_bres *res, const char *name,
                         smtpdx_status (*extract)(sx_bmail *, sx_bres *))
{
    sx_bres_reset(res);
    smtpdx_status st = extract(m, res);
    if (st == SMTPDX_ERR_LIMIT && res->n > 0) {
        st = SMTPDX_OK; /* too many recipients: keep the first ones */
        m->cut |= SMTPDX_CUT_RECIPIENTS;
    }
    if (st != SMTPDX_OK)
        return st;
    if (res->n > 0 && res->agent[0] == '\0')
        res->agent = name;
    return SMTPDX_OK;
}

/* A notice is named for what wrote it where something says so
 * (bounce_agent.c); name is NULL otherwise. */
static void rename_agent(sx_bres *res, const char *name)
{
    if (name != NULL)
        res->agent = name;
}

/* The free-text fallback, last of all. */
static smtpdx_status detect_last(sx_bmail *m, sx_bres *res)
{
    smtpdx_status st = SMTPDX_OK;
    if (sx_bgeneric_match(m)) {
        st = run(m, res, "RFC3464", sx_bgeneric_extract);
        if (st == SMTPDX_OK && res->n > 0)
            rename_agent(res, sx_bagent_name(m, res));
        if (st != SMTPDX_OK || res->n > 0)
            return st;
    }
    sx_bres_reset(res);
    return SMTPDX_OK;
}

static smtpdx_status detect(sx_bmail *m, sx_bres *res, int outer,
                            int families)
{
    smtpdx_status st;
    if (sx_barf_match(m)) {
        st = run(m, res, "ARF", sx_barf_extract);
        if (st != SMTPDX_OK || res->n > 0)
            return st;
    }
    /* unrolled: the table is constant, so each entry's check is a direct
     * call, not an indirect one through a target that changes at every
     * step (an unoptimised build would warn that it ignores the pragma) */
#ifdef __OPTIMIZE__
#pragma GCC unroll 32
#endif
    for (size_t i = 0; families && i < SX_NDETECTORS; i++) {
        const sx_detector *d = sx_detectors[i];
        if (!d->match(m))
            continue;
        st = run(m, res, d->name, d->extract);
        if (st == SMTPDX_OK && res->n > 0)
            rename_agent(res, sx_bagent_provider(m, d, res));
        if (st == SMTPDX_OK && res->n > 0)
            st = sx_bdsn_merge(m, res);
        if (st == SMTPDX_OK && res->n > 0)
            st = sx_bgeneric_fill_diag(m, res);
        if (st != SMTPDX_OK || res->n > 0)
            return st;
    }
    st = run(m, res, "RFC3464", sx_bdsn_extract);
    if (st == SMTPDX_OK && res->n > 0)
        rename_agent(res, sx_bagent_name(m, res));
    if (st == SMTPDX_OK && res->n > 0)
        st = sx_bgeneric_fill_transcript(m, res);
    if (st == SMTPDX_OK && res->n > 0)
        st = sx_bgeneric_fill_diag(m, res);
    if (st != SMTPDX_OK || res->n > 0)
        return st;
    if (m->mdn_part != NULL) {
        st = run(m, res, "RFC3464", sx_bmdn_extract);
        if (st == SMTPDX_OK && res->n > 0)
            st = sx_bgeneric_fill_diag(m, res);
        if (st != SMTPDX_OK || res->n > 0)
            return st;
    }
    if (sx_bautoreply_match(m)) {
        st = run(m, res, "RFC3834", sx_bautoreply_extract);
        if (st != SMTPDX_OK || res->n > 0)
            return st;
    }
    if (outer) {
        /* the caller first looks for a bounce inside this one */
        sx_bres_reset(res);
        return SMTPDX_OK;
    }
    return detect_last(m, res);
}

/* The whole of the attached message (message/rfc822), or NULL. */
static const char *attached(const sx_bmail *m, size_t *len)
{
    const sx_part *o = m->orig_part;
    if (o == NULL || !(o->flags & SX_PART_F_MESSAGE))
        return NULL;
    const char *b = o->header.p ? o->header.p : o->body.p;
    const char *e = o->body.p + o->body.len;
    if (b == NULL || e <= b)
        return NULL;
    *len = (size_t)(e - b);
    return b;
}

/* A header field line of a notice forwarded inline: one of the fields
 * mail clients show there, in whatever order they put them. */
static int shown_field(sx_str t)
{
    static const char *const fields[] = {"from:", "subject:", "date:",
                                         "sent:", "to:", "cc:",
                                         "reply-to:", NULL};
    /* most lines start with none of the fields' first letters */
    switch (t.len > 0 ? sx_bt_lower[(unsigned char)t.p[0]] : 0) {
    case 'f':
    case 's':
    case 'd':
    case 't':
    case 'c':
    case 'r':
        break;
    default:
        return 0;
    }
    for (size_t k = 0; fields[k]; k++)
        if (sx_bt_iprefix(t.p, t.len, fields[k]))
            return 1;
    return 0;
}

/* Does the message come from a mail system (MAILER-DAEMON, postmaster,
 * "Mail Delivery ...")? A notice does; a person's forward does not. */
static const char *const system_marks[] = {"mailer-daemon", "postmaster",
                                           "mail delivery", "mail system",
                                           "delivery subsystem", NULL};
static sx_bt_set system_set = SX_BT_SET(system_marks);

static int from_mail_system(const sx_bmail *m)
{
    return m->from.p != NULL && sx_bt_has_set(m->from, &system_set);
}

/* The quoted lines from p on ("> text" or ">text") without their quote
 * marks, one per line, into u (room for n + 1 bytes); up to the first
 * line that is not quoted. Returns the bytes written. */
static size_t unquote(const char *p, size_t n, char *u)
{
    sx_btlines it;
    sx_str l;
    size_t w = 0;
    sx_bt_lines_init(&it, p, n);
    while (it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l)) {
        if (l.len == 0 || l.p[0] != '>')
            break; /* the quote ends */
        size_t k = 1;
        if (k < l.len && l.p[k] == ' ')
            k++;
        memcpy(u + w, l.p + k, l.len - k);
        w += l.len - k;
        u[w++] = '\n';
    }
    return w;
}

/* Where the first of the needles starts in p[0..n), or NULL: each needle
 * is looked for only before the earliest start found so far. */
static const char *first_of(const char *p, size_t n, const char *const *needles)
{
    const char *best = NULL;
    for (size_t i = 0; needles[i]; i++) {
        size_t lim = best ? (size_t)(best - p) + strlen(needles[i]) : n;
        const char *q = sx_bt_ifind(p, lim < n ? lim : n, needles[i]);
        if (q != NULL && (best == NULL || q < best))
            best = q;
    }
    return best;
}

/* A bounce inside the message: an attached message/rfc822 that is itself
 * a bounce (a bounce of a bounce, or one forwarded as an attachment), or
 * one forwarded inline, quoted with "> " or not. *out gets a buffer to
 * parse instead (*owned = 1 when it must be freed), or NULL; the status
 * says whether memory ran out on the way. */
static smtpdx_status inner_bounce(const sx_bmail *m, const char **out,
                                  size_t *len, int *owned)
{
    static const char *const marks[] = {"mailer-daemon", "postmaster",
                                        "mail delivery", NULL};
    static sx_bt_set set = SX_BT_SET(marks);
    *owned = 0;
    *out = NULL;
    const sx_part *o = m->orig_part;
    if (o != NULL && (o->flags & SX_PART_F_MESSAGE)) {
        const sx_hdr *f = sx_msg_header_raw(&m->msg, o, "From", 0);
        const sx_hdr *c = sx_msg_header_raw(&m->msg, o, "Content-Type", 0);
        if ((f && sx_bt_has_set(f->value, &set)) ||
            (c && sx_bt_has(c->value, "report-type=delivery-status"))) {
            *out = attached(m, len);
            if (*out != NULL)
                return SMTPDX_OK;
        }
    }
    /* "> From: Mail Delivery Subsystem <MAILER-DAEMON>" and what follows;
     * or a notice forwarded inline as mail clients do it: a block of its
     * header fields, unquoted (From:, Date:, Subject:, Outlook's Sent:, in
     * any order), with a From: of a mail system or right under a
     * "Forwarded message" line (then whoever sent it): the notice starts
     * at the block */
    static const char *const forwarded[] = {
        "forwarded message", "original message", "weitergeleitete nachricht",
        "message transf", "mensaje reenviado", NULL}; /* MK_FWD_* */
    sx_btlines it;
    sx_str l;
    const char *start = NULL, *block = NULL;
    int quoted = 0, after_mark = 0, block_marked = 0, fields = 0, from = 0;
    /* where the words stand next: searched for in the text ahead, not in
     * each line (a line can only have them where the text has them); the
     * first of them the marker scan found (it read the whole text: no
     * longer than SX_BOUNCE_MAX_TEXT) */
    uint32_t at = sx_bmarks_first(&m->marks, MK_FWD_1, MK_FWD_5);
    const char *mark = at == SX_BMARK_NONE ? NULL : m->tx + at;
    sx_bt_lines_init(&it, m->tx, m->txlen);
    while (start == NULL && it.count < SX_BOUNCE_MAX_LINES &&
           sx_bt_next_line(&it, &l)) {
        quoted = l.len > 0 && l.p[0] == '>';
        sx_str t = sx_bt_trim(quoted ? sx_bt_str(l.p + 1, l.len - 1) : l);
        if (quoted) {
            if (t.len > 5 && sx_bt_iprefix(t.p, t.len, "From:") &&
                sx_bt_has_set(t, &set))
                start = l.p;
            block = NULL;
            continue;
        }
        int marked = after_mark > 0;
        if (t.len > 0) {
            if (mark != NULL && mark < l.p) /* passed: the next ones */
                mark =
                    first_of(l.p, m->txlen - (size_t)(l.p - m->tx), forwarded);
            after_mark = mark != NULL && mark < l.p + l.len && t.len < 80 &&
                                 sx_bt_has_any(t, forwarded)
                             ? 2
                             : 0;
        } else if (after_mark > 0)
            after_mark--; /* Apple Mail leaves a blank line */
        if (t.len > 0 && shown_field(t)) {
            if (block == NULL) {
                block = l.p;
                block_marked = marked;
                fields = from = 0;
            }
            fields++;
            if (sx_bt_iprefix(t.p, t.len, "From:"))
                from = sx_bt_has_set(t, &set) || block_marked ? 2 : 1;
            continue;
        }
        /* the block ends: the notice's own header, or someone's? */
        if (block != NULL && fields >= 2 && from == 2)
            start = block;
        block = NULL;
    }
    if (start == NULL)
        return SMTPDX_OK;
    if (!quoted) {
        *len = m->txlen - (size_t)(start - m->tx);
        *out = start;
        return SMTPDX_OK;
    }
    size_t n = m->txlen - (size_t)(start - m->tx);
    char *u = sx_malloc(n + 1);
    if (u == NULL)
        return SMTPDX_ERR_NOMEM;
    *len = unquote(start, n, u);
    *owned = 1;
    *out = u;
    return SMTPDX_OK;
}

/* A reply that quotes a notice under an attribution line naming a mail
 * system ("On ..., Mail Delivery System <MAILER-DAEMON@...> wrote:", then
 * "> " lines): a person asking about a bounce, or a help desk's ticket.
 * The quoted lines, unquoted, under a From: of that line, a To: of the
 * reply's sender and the reply's Subject without its "Re:", make the
 * notice to read; *out gets that buffer (the caller frees it) or NULL. A
 * notice never quotes one this way, so a mail system's own message is not
 * looked into. */
static smtpdx_status quoted_reply(const sx_bmail *m, int from_system,
                                  char **out, size_t *len)
{
    static const char *const says[] = {"wrote:", "schrieb:", "a écrit :",
                                       "a écrit:", "escribió:", "ha scritto:",
                                       NULL};
    *out = NULL;
    if (from_system || m->txlen == 0 ||
        sx_bt_find(m->tx, m->txlen, "\n>") == NULL)
        return SMTPDX_OK;
    sx_btlines it;
    sx_str l, prev = {NULL, 0}, head = {NULL, 0}, attrib = {NULL, 0};
    const char *q = NULL;
    sx_bt_lines_init(&it, m->tx, m->txlen);
    while (it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l)) {
        sx_str t = sx_bt_trim(l);
        if (attrib.p != NULL) {
            if (t.len == 0)
                continue;
            if (l.p[0] == '>')
                q = l.p;
            break;
        }
        /* mail clients wrap a long attribution: its first half is then
         * the line above ("On ..., Mail Delivery System <" / "MAILER-
         * DAEMON@...> wrote:") */
        for (size_t i = 0; says[i] && t.len > 0; i++) {
            size_t k = strlen(says[i]);
            if (t.len < k || !sx_bt_ieq(t.p + t.len - k, says[i], k))
                continue;
            if (sx_bt_has_set(t, &system_set))
                attrib = sx_bt_str(t.p, t.len - k);
            else if (prev.len > 0 && sx_bt_has_set(prev, &system_set))
                head = prev, attrib = sx_bt_str(t.p, t.len - k);
            break;
        }
        prev = t;
    }
    if (q == NULL)
        return SMTPDX_OK;
    /* and the reply is about a bounce: its subject says so (a reply to a
     * postmaster's own letter is no bounce) */
    if (!sx_bgeneric_subject(
            sx_bt_str(m->subject_dec.data, m->subject_dec.len)))
        return SMTPDX_OK;
    sx_str subj = sx_bt_trim(sx_bt_str(m->subject_dec.data, m->subject_dec.len));
    for (int again = 1; again;) {
        again = 0;
        static const char *const re[] = {"re:", "aw:", "fwd:", "fw:", "wg:",
                                         "tr:", NULL};
        for (size_t i = 0; re[i]; i++)
            if (sx_bt_iprefix(subj.p, subj.len, re[i])) {
                size_t k = strlen(re[i]);
                subj = sx_bt_trim(sx_bt_str(subj.p + k, subj.len - k));
                again = 1;
            }
    }
    size_t rest = m->txlen - (size_t)(q - m->tx);
    /* the one who asks is the one the notice went to */
    sx_str to = m->from.p ? sx_bt_trim(m->from) : sx_bt_str("", 0);
    size_t cap = 40 + head.len + attrib.len + subj.len + to.len + rest;
    char *u = sx_malloc(cap);
    if (u == NULL)
        return SMTPDX_ERR_NOMEM;
    size_t w = 0;
    memcpy(u + w, "From: ", 6), w += 6;
    if (head.len > 0) {
        memcpy(u + w, head.p, head.len), w += head.len;
        /* "<" then "MAILER-DAEMON@...>": no blank inside the address */
        if (head.p[head.len - 1] != '<')
            u[w++] = ' ';
    }
    memcpy(u + w, attrib.p, attrib.len), w += attrib.len;
    memcpy(u + w, "\nTo: ", 5), w += 5;
    memcpy(u + w, to.p, to.len), w += to.len;
    memcpy(u + w, "\nSubject: ", 10), w += 10;
    memcpy(u + w, subj.p, subj.len), w += subj.len;
    memcpy(u + w, "\n\n", 2), w += 2;
    w += unquote(q, rest, u + w);
    *out = u;
    *len = w;
    return SMTPDX_OK;
}

static smtpdx_status parse_one(smtpdx_ctx *ctx, const char *buf, size_t len,
                               const char *origin, smtpdx_records *out,
                               int depth)
{
    /* the outer message reuses the ctx's view (its buffers have grown to
     * fit earlier messages); a nested one gets its own */
    sx_bctx *bc = sx_bctx_get(ctx);
    sx_bmail *m = NULL;
    if (bc == NULL)
        return SMTPDX_ERR_NOMEM;
    if (bc->spare != NULL) {
        m = bc->spare;
        bc->spare = NULL;
    } else {
        m = sx_calloc(1, sizeof *m);
        if (m == NULL)
            return SMTPDX_ERR_NOMEM;
    }
    sx_bres own;
    sx_bres *res = &own;
    if (!bc->res_busy) {
        res = &bc->res;
        bc->res_busy = 1;
    } else {
        sx_bres_init(&own);
    }
    smtpdx_status st = sx_bmail_open(m, ctx, buf, len);
    if (st != SMTPDX_OK)
        goto done;
    /* a bounce may be attached to a message that is itself attached (a
     * forwarded bounce of a bounce): so many levels are looked into */
    int nest = depth < SX_BOUNCE_MAX_NEST;
    /* asked once: both looks inside below depend on it */
    int from_system = nest && from_mail_system(m);
    /* whether inner_bounce() already found nothing in this message: it
     * would find nothing again after detect() */
    int no_inner = 0;
    if (nest) {
        char *quoted = NULL;
        size_t qlen = 0;
        st = quoted_reply(m, from_system, &quoted, &qlen);
        if (st != SMTPDX_OK)
            goto done;
        if (quoted != NULL) {
            st = parse_one(ctx, quoted, qlen, origin, out, depth + 1);
            sx_free(quoted);
            if (st != SMTPDX_ERR_NOTBOUNCE)
                goto done;
        }
    }
    if (nest && !from_system) {
        /* a person passed a notice on (inline, or attached): read the
         * notice itself first, so that its own header (whom it went to)
         * counts, not the forward's */
        size_t flen = 0;
        int owned = 0;
        const char *fwd = NULL;
        st = inner_bounce(m, &fwd, &flen, &owned);
        if (st != SMTPDX_OK)
            goto done;
        no_inner = fwd == NULL;
        if (fwd != NULL) {
            st = parse_one(ctx, fwd, flen, origin, out, depth + 1);
            if (owned)
                sx_free((void *)fwd);
            if (st != SMTPDX_ERR_NOTBOUNCE)
                goto done;
        }
    }
    st = detect(m, res, nest, !bc->no_families);
    if (st != SMTPDX_OK)
        goto done;
    if (res->n == 0 && nest) {
        size_t ilen = 0;
        int owned = 0;
        const char *inner = NULL;
        st = no_inner ? SMTPDX_OK : inner_bounce(m, &inner, &ilen, &owned);
        if (st != SMTPDX_OK)
            goto done;
        const char *tried = owned ? NULL : inner;
        if (inner != NULL) {
            st = parse_one(ctx, inner, ilen, origin, out, depth + 1);
            if (owned)
                sx_free((void *)inner);
            if (st == SMTPDX_OK || st != SMTPDX_ERR_NOTBOUNCE)
                goto done;
        }
        /* nothing inside: the free-text fallback on the outer message */
        st = detect_last(m, res);
        if (st != SMTPDX_OK)
            goto done;
        /* still nothing: an attached message from any sender, for a
         * notice forwarded by a person (to a help desk, say) that comes
         * from a no-reply address, or a feedback report or auto-reply
         * passed on; a returned original gives nothing */
        if (res->n == 0 && (inner = attached(m, &ilen)) != NULL &&
            inner != tried) {
            st = parse_one(ctx, inner, ilen, origin, out, depth + 1);
            goto done;
        }
    }
    if (res->n == 0) {
        st = SMTPDX_ERR_NOTBOUNCE;
        goto done;
    }
    st = sx_bounce_emit(ctx, m, res, origin, out);
done:
    if (bc->spare == NULL && m->msg.len < 4u * 1024u * 1024u) {
        bc->spare = m; /* keep it (not the storage of a huge one) */
    } else {
        sx_bmail_close(m);
        sx_free(m);
    }
    if (res == &bc->res) {
        sx_bres_clear(res);
        bc->res_busy = 0;
    } else {
        sx_bres_release(res);
    }
    return st;
}

/* Does the text open as a mail does, with a header field (RFC 5322 2.2;
 * blanks before the colon as its obsolete syntax allows), once an mbox
 * "From " line, a UTF-8 byte order mark and blank lines that a saved copy
 * may have gained are passed? Only asked of what gave no record, so that
 * a file given by mistake is told apart from a mail that is no bounce. */
static int opens_like_mail(const char *p, size_t n)
{
    const char *e = p + n;
    if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    if (e - p >= 5 && memcmp(p, "From ", 5) == 0) {
        /* the line ends at LF, CR LF or a CR alone */
        while (p < e && *p != '\n' && *p != '\r')
            p++;
    }
    while (p < e && (*p == '\n' || *p == '\r'))
        p++;
    const char *name = p;
    while (p < e && (unsigned char)*p > 32 && (unsigned char)*p < 127 &&
           *p != ':')
        p++;
    if (p == name)
        return 0;
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    return p < e && *p == ':';
}

/* Does the text, in its first 4 KiB, hold a sentence that opens or
 * divides a notice written by Postfix, Exim, qmail, Sendmail or Exchange?
 * Asked only of text that gave no record and opens with no header field. */
static int pasted_notice(const char *p, size_t n)
{
    static const char *const lines[] = {
        "this is the mail system at host",
        "this message was created automatically by mail delivery",
        "this is the qmail-send program",
        "the original message was received at",
        "delivery has failed to these recipients",
        "the following addresses had permanent fatal errors",
        "below this line is a copy of the message",
        "this is a copy of the message, including all the headers",
        NULL};
    size_t k = n < 4096 ? n : 4096;
    for (size_t i = 0; lines[i]; i++)
        if (sx_bt_ifind(p, k, lines[i]) != NULL)
            return 1;
    return 0;
}

/* Of a message over SMTPDX_MSG_MAX, the lines that fit (max bytes when
 * no line ends there): a bounce's notice and report come before its
 * returned copy, so the end is what may go. */
static size_t head_len(const char *buf, size_t max)
{
    for (size_t n = max; n > 0; n--)
        if (buf[n - 1] == '\n' || buf[n - 1] == '\r')
            return n; /* a CR LF cut after its CR costs a blank line */
    return max;
}

static smtpdx_status parse_top(smtpdx_ctx *ctx, const char *buf, size_t len,
                               const char *origin, int head,
                               smtpdx_records *out)
{
    if (ctx == NULL || out == NULL || (buf == NULL && len > 0))
        return SMTPDX_ERR_INVAL;
    if (buf == NULL)
        buf = "";
    if (len > SMTPDX_MSG_MAX) {
        len = head_len(buf, SMTPDX_MSG_MAX);
        head = 1;
    }
    size_t first = smtpdx_records_count(out);
    smtpdx_status st = parse_one(ctx, buf, len, origin, out, 0);
    if (st == SMTPDX_ERR_NOTBOUNCE && !opens_like_mail(buf, len)) {
        st = SMTPDX_ERR_PARSE;
        if (pasted_notice(buf, len)) {
            /* an empty header, then the text as the body */
            char *body = sx_malloc(len + 2);
            if (body == NULL)
                return SMTPDX_ERR_NOMEM;
            body[0] = '\n';
            memcpy(body + 1, buf, len);
            body[len + 1] = '\0';
            st = parse_one(ctx, body, len + 1, origin, out, 0);
            sx_free(body);
            if (st == SMTPDX_ERR_NOTBOUNCE)
                st = SMTPDX_ERR_PARSE;
        }
    }
    if (head)
        sx_records_cut_from(out, first, SMTPDX_CUT_MESSAGE);
    return st;
}

smtpdx_status smtpdx_bounce_parse(smtpdx_ctx *ctx, const char *buf,
                                  size_t len, const char *origin,
                                  smtpdx_records *out)
{
    return parse_top(ctx, buf, len, origin, 0, out);
}

smtpdx_status smtpdx_bounce_parse_head(smtpdx_ctx *ctx, const char *buf,
                                       size_t len, const char *origin,
                                       smtpdx_records *out)
{
    return parse_top(ctx, buf, len, origin, 1, out);
}
