/*
 * bounce_arf.c - feedback reports: RFC 5965 (ARF) and two older shapes.
 *
 * An ARF report is multipart/report; report-type=feedback-report (RFC
 * 5965 2) whose second part, message/feedback-report, holds fields like
 * RFC 5322 headers (RFC 5965 3): Feedback-Type (3.5: abuse, fraud, virus,
 * other, not-spam; RFC 6591 adds auth-failure, RFC 6650 opt-out...),
 * Original-Rcpt-To (any number), Arrival-Date, Source-IP, Reporting-MTA.
 * The third part is the reported message or its header.
 * One record per Original-Rcpt-To; without any, the reported message's To
 * (or Hotmail's X-HmXmrOriginalRecipient) names the recipient.
 * Also read: Hotmail's old complaint mails (a bare message/rfc822 from
 * staff@hotmail.com) and Apple Mail's unsubscribe message (opt-out,
 * X-Apple-Unsubscribe).
 */
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/bounce_text.h"

static int hotmail_complaint(const sx_bmail *m)
{
    return m->from.p != NULL && sx_bt_has(m->from, "staff@hotmail.com") &&
           sx_bt_has(m->subject, "complaint about message");
}

static int apple_unsubscribe(const sx_bmail *m)
{
    sx_str v = sx_bmail_hdr(m, SX_H_X_APPLE_UNSUBSCRIBE);
    return v.p != NULL && sx_bt_has(v, "true");
}

int sx_barf_match(const sx_bmail *m)
{
    return m->report_feedback || m->arf_part != NULL || hotmail_complaint(m) ||
           apple_unsubscribe(m);
}

static smtpdx_status add(sx_bres *res, sx_str addr, const char *type,
                         size_t tlen, const char *date)
{
    smtpdx_status st;
    sx_brcpt *rc = sx_bres_add(res, &st);
    if (rc == NULL)
        return st;
    rc->hint = SMTPDX_R_FEEDBACK;
    rc->hint_strength = SX_HINT_STRONG;
    rc->action = "";
    st = sx_bres_set(res, &rc->recipient, addr.p, addr.len);
    if (st == SMTPDX_OK)
        st = sx_bres_set(res, &rc->feedbacktype, type, tlen);
    if (st == SMTPDX_OK && date)
        st = sx_bres_sets(res, &rc->date, date);
    return st;
}

/* The recipient named by the reported message's header, into *out (empty
 * when there is none). SMTPDX_ERR_NOMEM when the header could not be
 * decoded for want of memory: an empty answer then would read as "no
 * recipient named" and change the record. */
static smtpdx_status reported_to(sx_bmail *m, sx_str *out)
{
    *out = sx_bt_str(NULL, 0);
    sx_str a = {NULL, 0};
    const sx_part *o = m->orig_part;
    if (o != NULL && (o->flags & SX_PART_F_MESSAGE)) {
        static const char *const names[] = {"X-HmXmrOriginalRecipient", "To",
                                            NULL};
        for (size_t i = 0; names[i]; i++) {
            const sx_hdr *h = sx_msg_header_raw(&m->msg, o, names[i], 0);
            if (h && sx_bt_find_addr(h->value.p, h->value.len, &a, NULL)) {
                *out = a;
                return SMTPDX_OK;
            }
        }
        return SMTPDX_OK;
    }
    if (o != NULL) {
        /* text/rfc822-headers: its To field */
        smtpdx_status st = sx_part_decode(&m->msg, o, 0, &m->scratch, NULL);
        if (st == SMTPDX_ERR_NOMEM)
            return st;
        if (st != SMTPDX_OK)
            return SMTPDX_OK;
        sx_btlines it;
        sx_str l;
        sx_bt_lines_init(&it, m->scratch.data, m->scratch.len);
        while (it.count < 2000 && sx_bt_next_line(&it, &l)) {
            if (l.len == 0)
                break;
            if (sx_bt_iprefix(l.p, l.len, "To:") &&
                sx_bt_find_addr(l.p + 3, l.len - 3, &a, NULL)) {
                *out = a;
                break;
            }
        }
    }
    return SMTPDX_OK;
}

smtpdx_status sx_barf_extract(sx_bmail *m, sx_bres *res)
{
    smtpdx_status st = SMTPDX_OK;
    char type[64] = "";
    size_t tlen = 0;
    const char *date = NULL;

    if (apple_unsubscribe(m) && m->arf_part == NULL) {
        sx_str a;
        if (m->from.p && sx_bt_find_addr(m->from.p, m->from.len, &a, NULL))
            return add(res, a, "opt-out", 7, NULL);
        return SMTPDX_OK;
    }
    if (m->arf_part == NULL) {
        /* no report fields: Hotmail style or a report without its part */
        sx_str a;
        if ((st = reported_to(m, &a)) != SMTPDX_OK)
            return st;
        return add(res, a, "abuse", 5, NULL);
    }
    st = sx_part_decode(&m->msg, m->arf_part, 0, &m->scratch2, NULL);
    if (st == SMTPDX_ERR_NOMEM)
        return st; /* not "no report": the caller must hear of it */
    if (st != SMTPDX_OK && m->scratch2.len == 0)
        return SMTPDX_OK;

    sx_dsn_iter it;
    sx_dsn_field f;
    size_t first = res->n;
    sx_dsn_iter_init(&it, m->scratch2.data ? m->scratch2.data : "",
                     m->scratch2.len);
    /* First pass: the type and date; second: the recipients, so that
     * each record carries the type whatever the field order. */
    for (unsigned guard = 0; guard < 10000; guard++) {
        st = sx_dsn_fields_next(&it, &f);
        if (st != SMTPDX_OK)
            break;
        if (sx_str_ieq(f.name, "Feedback-Type") && tlen == 0) {
            sx_str v = sx_bt_trim(f.value);
            tlen = v.len < sizeof type - 1 ? v.len : sizeof type - 1;
            for (size_t i = 0; i < tlen; i++) {
                char c = v.p[i];
                type[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
            }
        } else if (sx_str_ieq(f.name, "Arrival-Date") && date == NULL) {
            st = sx_bres_set(res, &res->arrival_date, f.value.p, f.value.len);
            if (st != SMTPDX_OK)
                break;
            date = res->arrival_date;
        } else if (sx_str_ieq(f.name, "Reporting-MTA")) {
            sx_str v = f.value;
            const char *semi = memchr(v.p, ';', v.len);
            if (semi)
                v = sx_bt_str(semi + 1, v.len - (size_t)(semi + 1 - v.p));
            st = sx_bres_set(res, &res->reporting_mta, v.p, v.len);
            if (st != SMTPDX_OK)
                break;
        }
    }
    sx_dsn_iter_release(&it);
    if (st != SMTPDX_ERR_PARSE && st != SMTPDX_OK)
        return st;
    st = SMTPDX_OK;

    sx_dsn_iter_init(&it, m->scratch2.data ? m->scratch2.data : "",
                     m->scratch2.len);
    for (unsigned guard = 0; guard < 10000; guard++) {
        smtpdx_status r = sx_dsn_fields_next(&it, &f);
        if (r != SMTPDX_OK) {
            if (r != SMTPDX_ERR_PARSE)
                st = r;
            break;
        }
        sx_str a;
        if (sx_str_ieq(f.name, "Original-Rcpt-To") &&
            sx_bt_find_addr(f.value.p, f.value.len, &a, NULL)) {
            if (sx_bres_find(res, a.p, a.len) != NULL)
                continue;
            st = add(res, a, type, tlen, NULL);
            if (st != SMTPDX_OK)
                break;
        }
    }
    sx_dsn_iter_release(&it);
    if (st != SMTPDX_OK)
        return st;
    if (res->n == first) {
        sx_str a;
        if ((st = reported_to(m, &a)) != SMTPDX_OK)
            return st;
        if (a.len == 0) {
            sx_str v = {NULL, 0};
            /* Removal-Recipient (RFC 6650 3) is the last resort */
            sx_dsn_iter_init(&it, m->scratch2.data ? m->scratch2.data : "",
                             m->scratch2.len);
            while (sx_dsn_fields_next(&it, &f) == SMTPDX_OK)
                if (sx_str_ieq(f.name, "Removal-Recipient")) {
                    v = f.value;
                    break;
                }
            if (v.p != NULL)
                sx_bt_find_addr(v.p, v.len, &a, NULL);
            st = add(res, a, type, tlen, NULL);
            sx_dsn_iter_release(&it);
            return st;
        }
        st = add(res, a, type, tlen, NULL);
    }
    return st;
}
