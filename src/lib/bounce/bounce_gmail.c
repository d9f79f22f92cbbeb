/*
 * bounce_gmail.c - bounces written by Gmail and Google Workspace.
 *
 * Gmail's notice (From: mailer-daemon@googlemail.com, Subject "Delivery
 * Status Notification (Failure|Delay)"):
 *   Delivery to the following recipient failed permanently:
 *        user@example.org
 *   Technical details of permanent failure:
 *   Google tried to deliver your message, but it was rejected by the
 *   server for the recipient domain example.org by mx.example.org.
 *   [192.0.2.1].
 *   The error that the other server returned was:
 *   550 5.1.1 <user@example.org>... User Unknown
 *   ----- Original message -----
 * The newer Workspace layout says "** Message not delivered **" (or
 * "** Address not found **") and "The response was:". "Message will be
 * retried" marks a delay notice; "did not accept our requests to connect"
 * is Gmail giving up after days of failed connections (expired).
 */
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/bounce_fam.h"
#include "bounce/bounce_generic.h"
#include "bounce/bounce_text.h"

static int google_sender(const sx_bmail *m)
{
    static const char *const froms[] = {"mailer-daemon@googlemail.com",
                                        "mailer-daemon@google.com", NULL};
    static sx_bt_set set = SX_BT_SET(froms);
    sx_str from = sx_bt_str(m->from_dec.data, m->from_dec.len);
    /* one search for what both names start with rules out most senders */
    return sx_bt_has(from, "mailer-daemon@google") &&
           sx_bt_has_set(from, &set);
}

static int gmail_match(const sx_bmail *m)
{
    static const int ids[] = {MK_GM_FOLLOWING, MK_GM_TECH, MK_GM_NOTDELIV,
                              MK_GM_NOTFOUND, MK_GM_BLOCKED, MK_GM_RESPONSE};
    /* the marker table first: loads, where the From is a search */
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (sx_bfam_mark(m, ids[i], 4096))
            return google_sender(m);
    return 0;
}

/* The reply: after "returned was:" or "The response was:", else the whole
 * technical paragraph. resp and tech are where "the response was:" and
 * "technical details of" start in t[0..len) (or NULL): the marker scan
 * found them. */
static sx_str reply_part(const char *t, size_t len, const char *resp,
                         const char *tech)
{
    /* in this order; a lead the marker scan looks for is not searched
     * again (scanned: its place, or NULL, is at) */
    const struct {
        const char *lead;
        int scanned;
        const char *at;
    } leads[] = {
        {"the error that the other server returned was:", 0, NULL},
        {"the response was:", 1, resp},
        {"the response from the remote server was:", 0, NULL},
    };
    for (size_t i = 0; i < sizeof leads / sizeof leads[0]; i++) {
        const char *p = leads[i].scanned ? leads[i].at
                                         : sx_bt_ifind(t, len, leads[i].lead);
        if (p != NULL) {
            p += strlen(leads[i].lead);
            return sx_bt_trim(sx_bt_str(p, len - (size_t)(p - t)));
        }
    }
    const char *p = tech;
    const char *stars = sx_bt_find(t, len, "** ");
    if (p == NULL && stars != NULL) {
        /* "** Address not found **" then a sentence saying why */
        const char *e = sx_bt_find(stars + 3, len - (size_t)(stars + 3 - t), "**");
        if (e != NULL) {
            e += 2;
            const char *more = sx_bt_ifind(e, len - (size_t)(e - t), "learn more");
            size_t n = more ? (size_t)(more - e) : len - (size_t)(e - t);
            return sx_bt_trim(sx_bt_str(e, n));
        }
    }
    if (p != NULL) {
        const char *colon = memchr(p, ':', len - (size_t)(p - t));
        if (colon)
            p = colon + 1;
        return sx_bt_trim(sx_bt_str(p, len - (size_t)(p - t)));
    }
    return sx_bt_str(NULL, 0);
}

/* "... by mx.example.org. [192.0.2.1]." -> mx.example.org */
static sx_str remote_host(sx_str t)
{
    const char *p = sx_bt_ifind(t.p, t.len, "for the recipient domain ");
    if (p == NULL)
        return sx_bt_str(NULL, 0);
    const char *by = sx_bt_ifind(p, t.len - (size_t)(p - t.p), " by ");
    if (by == NULL)
        return sx_bt_str(NULL, 0);
    by += 4;
    size_t l = sx_bt_host_len(by, t.len - (size_t)(by - t.p));
    return sx_bt_str(by, l);
}

static smtpdx_status gmail_extract(sx_bmail *m, sx_bres *res)
{
    smtpdx_status st = SMTPDX_OK;
    const char *t = m->tx;
    size_t end = m->body_end;
    sx_str body = sx_bt_str(t, end);

    /* recipients: the address lines before the technical details; the
     * phrases' places come from the marker scan of the text, which the
     * body starts */
    const char *tech = sx_bmarks_find(&m->marks, MK_GM_TECH, t, 0, end);
    const char *resp = sx_bmarks_find(&m->marks, MK_GM_RESPONSE, t, 0, end);
    const char *stop = tech ? tech : resp ? resp : t + end;
    sx_btlines it;
    sx_str l;
    sx_bt_lines_init(&it, t, (size_t)(stop - t));
    while (it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l)) {
        sx_str a;
        if (!sx_bgeneric_addr_line(l, &a) || sx_bres_find(res, a.p, a.len))
            continue;
        sx_brcpt *rc = sx_bres_add(res, &st);
        if (rc == NULL)
            return st;
        if ((st = sx_bres_set(res, &rc->recipient, a.p, a.len)))
            return st;
    }
    int sendas = sx_bt_has(body, "'send mail as'") ||
                 sx_bt_has(body, "CustomFromDenied");
    if (sendas && res->n == 0 && m->orig_part != NULL &&
        (m->orig_part->flags & SX_PART_F_MESSAGE)) {
        /* Gmail relayed through the sender's own server and failed there:
         * every recipient of the message failed, whatever
         * X-Failed-Recipients says */
        const sx_hdr *h = sx_msg_header_raw(&m->msg, m->orig_part, "To", 0);
        size_t off = 0, next;
        sx_str a;
        while (h && off < h->value.len &&
               sx_bt_find_addr(h->value.p + off, h->value.len - off, &a, &next)) {
            off += next;
            sx_brcpt *rc = sx_bres_add(res, &st);
            if (rc == NULL)
                return st;
            if ((st = sx_bres_set(res, &rc->recipient, a.p, a.len)))
                return st;
        }
    }
    if (res->n == 0 && (st = sx_bgeneric_xfailed(m, res)) != SMTPDX_OK)
        return st;
    if (res->n == 0 && (st = sx_bdsn_extract(m, res)) != SMTPDX_OK)
        return st;

    sx_str reply = reply_part(t, end, resp, tech);
    sx_str rhost = remote_host(body);
    int delayed = sx_bmarks_find(&m->marks, MK_DL_1, t, 0, end) != NULL ||
                  sx_bmarks_find(&m->marks, MK_DL_4, t, 0, end) != NULL;
    int noconnect = sx_bt_has(body, "did not accept our requests to connect");
    for (size_t i = 0; i < res->n; i++) {
        sx_brcpt *rc = &res->r[i];
        if ((st = sx_bres_set(res, &rc->diag, reply.p, reply.len)) ||
            (st = sx_bres_set(res, &rc->rhost, rhost.p, rhost.len)))
            return st;
        if (delayed)
            rc->action = "delayed";
        if (noconnect) {
            rc->hint = SMTPDX_R_EXPIRED;
            rc->hint_strength = SX_HINT_STRONG;
        } else if (sendas) {
            /* the sender's "Send mail as" account is misconfigured */
            rc->hint = SMTPDX_R_REJECTED;
            rc->hint_strength = SX_HINT_STRONG;
        }
    }
    return SMTPDX_OK;
}

const sx_detector sx_det_gmail = {"Gmail", gmail_match, gmail_extract};
