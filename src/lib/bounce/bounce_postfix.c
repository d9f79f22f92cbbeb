/*
 * bounce_postfix.c - Postfix bounces (bounce(8) notices).
 *
 * Postfix writes a multipart/report (RFC 3464, with X-Postfix-* fields)
 * whose first part ends with one paragraph per recipient:
 *   <rcpt@example.org> (expanded from <alias@example.org>): host
 *       mx.example.org[192.0.2.1] said: 550 5.1.1 <rcpt@...>: User unknown
 *       (in reply to RCPT TO command)
 * The DSN part gives Status and Diagnostic-Code; the paragraph adds the
 * failing command and the alias. Old versions send the paragraph alone.
 * The postmaster copy "Postfix SMTP server: errors from ..." holds a
 * session transcript (In:/Out: lines) instead.
 */
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/bounce_fam.h"
#include "bounce/bounce_generic.h"
#include "bounce/bounce_orig.h"
#include "bounce/bounce_text.h"

static int postfix_match(const sx_bmail *m)
{
    static const char *const subjects[] = {
        "undelivered mail returned to sender", "delayed mail (still being",
        "postfix smtp server: errors from", "successful mail delivery report",
        "mail delivery status report", NULL};
    static sx_bt_set subject_set = SX_BT_SET(subjects);
    sx_str s = sx_bt_str(m->subject_dec.data, m->subject_dec.len);
    /* the marker table before the Subject search: cheaper, same answer */
    if (sx_bfam_mark(m, MK_PF_SYSTEM, 2048) ||
        sx_bfam_mark(m, MK_PF_PROGRAM, 2048))
        return 1;
    if (sx_bt_has_set(s, &subject_set))
        return 1;
    return m->dsnlen > 0 &&
           sx_bt_ifind(m->dsnp, m->dsnlen, "X-Postfix-") != NULL;
}

/* "<a@b> (expanded from <c@d>): text..." paragraphs. */
static smtpdx_status paragraphs(sx_bmail *m, const char *t, size_t len,
                                sx_bres *res)
{
    sx_btlines it;
    sx_str l;
    smtpdx_status st = SMTPDX_OK;
    sx_brcpt *cur = NULL;
    sx_sbuf *acc = &m->scratch2;
    sx_sbuf_reset(acc);

    sx_bt_lines_init(&it, t, len);
    for (;;) {
        int more = it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l);
        int starts = 0;
        sx_str a = {NULL, 0}, alias = {NULL, 0};
        size_t rest_at = 0;
        if (more && l.len > 3 && l.p[0] == '<') {
            const char *gt = memchr(l.p, '>', l.len);
            if (gt && sx_bt_is_addr(sx_bt_str(l.p, (size_t)(gt - l.p) + 1), &a)) {
                size_t i = (size_t)(gt - l.p) + 1;
                if (sx_bt_iprefix(l.p + i, l.len - i, " (expanded from ")) {
                    size_t j = i + 16;
                    const char *cl = memchr(l.p + j, ')', l.len - j);
                    if (cl) {
                        sx_bt_is_addr(sx_bt_str(l.p + j, (size_t)(cl - l.p) - j),
                                      &alias);
                        i = (size_t)(cl - l.p) + 1;
                    }
                }
                if (i < l.len && l.p[i] == ':') {
                    starts = 1;
                    rest_at = i + 1;
                }
            }
        }
        int ends = !more || starts || (l.len == 0 && cur != NULL);
        if (ends && cur != NULL) {
            st = sx_bres_set(res, &cur->diag, acc->data ? acc->data : "",
                             acc->len);
            if (st != SMTPDX_OK)
                return st;
            const char *c = sx_bmark_command(m->ctx, acc->data ? acc->data : "", acc->len);
            if (c)
                cur->command = c;
            cur = NULL;
            sx_sbuf_reset(acc);
        }
        if (!more)
            break;
        if (starts) {
            sx_brcpt *dup = sx_bres_find(res, a.p, a.len);
            if (dup != NULL) {
                cur = dup; /* the same address again: refresh its text */
            } else {
                cur = sx_bres_add(res, &st);
                if (cur == NULL)
                    return st;
                st = sx_bres_set(res, &cur->recipient, a.p, a.len);
                if (st == SMTPDX_OK && alias.len)
                    st = sx_bres_set(res, &cur->alias, alias.p, alias.len);
                if (st != SMTPDX_OK)
                    return st;
            }
            /* past its limit the text is cut; a failed allocation must
             * not leave a record with a line missing */
            if (sx_sbuf_append(acc, l.p + rest_at, l.len - rest_at) ==
                SX_SBUF_NOMEM)
                return SMTPDX_ERR_NOMEM;
        } else if (cur != NULL) {
            sx_str tl = sx_bt_trim(l);
            if (sx_sbuf_putc(acc, ' ') == SX_SBUF_NOMEM ||
                sx_sbuf_append(acc, tl.p, tl.len) == SX_SBUF_NOMEM)
                return SMTPDX_ERR_NOMEM;
        }
    }
    return SMTPDX_OK;
}

/* The postmaster's transcript: " In:  RCPT TO:<a@b>" ... " Out: 550 ..." */
static smtpdx_status transcript(sx_bmail *m, sx_bres *res)
{
    sx_btlines it;
    sx_str l, rcpt = {NULL, 0}, err = {NULL, 0};
    const char *cmd = "";
    const char *last_in = "";
    smtpdx_status st = SMTPDX_OK;
    sx_bt_lines_init(&it, m->tx, m->txlen);
    while (it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l)) {
        sx_str t = sx_bt_trim(l);
        if (sx_bt_iprefix(t.p, t.len, "In:")) {
            sx_str v = sx_bt_trim(sx_bt_str(t.p + 3, t.len - 3));
            const char *c = NULL;
            if (sx_bt_iprefix(v.p, v.len, "RCPT"))
                c = "RCPT";
            else if (sx_bt_iprefix(v.p, v.len, "MAIL"))
                c = "MAIL";
            else if (sx_bt_iprefix(v.p, v.len, "DATA"))
                c = "DATA";
            else if (sx_bt_iprefix(v.p, v.len, "EHLO"))
                c = "EHLO";
            else if (sx_bt_iprefix(v.p, v.len, "HELO"))
                c = "HELO";
            if (c)
                last_in = c;
            sx_str a;
            if (c && strcmp(c, "RCPT") == 0 && rcpt.len == 0 &&
                sx_bt_find_addr(v.p, v.len, &a, NULL))
                rcpt = a;
        } else if (sx_bt_iprefix(t.p, t.len, "Out:")) {
            sx_str v = sx_bt_trim(sx_bt_str(t.p + 4, t.len - 4));
            int code = sx_bt_reply_code(v.p, v.len);
            if (code >= 400 && err.len == 0) {
                err = v;
                cmd = last_in;
            }
        }
    }
    if (rcpt.len == 0 || err.len == 0)
        return SMTPDX_OK;
    sx_brcpt *rc = sx_bres_add(res, &st);
    if (rc == NULL)
        return st;
    st = sx_bres_set(res, &rc->recipient, rcpt.p, rcpt.len);
    if (st == SMTPDX_OK)
        st = sx_bres_set(res, &rc->diag, err.p, err.len);
    rc->command = cmd;
    return st;
}

/* Postfix writes "--- Delivery report unavailable ---" and a DSN part
 * without per-recipient fields when its bounce log for the message is
 * lost. The returned message still says whom it was for: when its To
 * names exactly one address, that is the recipient (what failed stays
 * unknown). */
static smtpdx_status recipient_from_copy(sx_bmail *m, sx_bres *res)
{
    if (m->orig_part == NULL || !(sx_bfam_mark(m, MK_PF_SYSTEM, 2048) ||
                                  sx_bfam_mark(m, MK_PF_PROGRAM, 2048)))
        return SMTPDX_OK;
    sx_brcpt *rc;
    return sx_borig_sole_recipient(m, res, &rc);
}

/* A notice without a delivery-status part names its server in its first
 * sentence: the reporting host, when nothing else gives one (no
 * Reporting-MTA and no Received field, as in a notice quoted in a
 * reply). */
static smtpdx_status own_host(const sx_bmail *m, sx_bres *res)
{
    smtpdx_status st =
        sx_bfam_own_host(m, res, MK_PF_SYSTEM, " at host ", 40);
    if (st == SMTPDX_OK)
        st = sx_bfam_own_host(m, res, MK_PF_PROGRAM, " at host ", 40);
    return st;
}

static smtpdx_status postfix_extract(sx_bmail *m, sx_bres *res)
{
    smtpdx_status st;
    sx_str s = sx_bt_str(m->subject_dec.data, m->subject_dec.len);
    if (sx_bt_has(s, "errors from"))
        return transcript(m, res);
    if (sx_bt_has(s, "delayed mail"))
        res->temporary = 1;

    st = sx_bdsn_extract(m, res);
    if (st != SMTPDX_OK)
        return st;
    /* the paragraphs: into a second list, then merged by address */
    sx_bres par;
    sx_bres_init(&par);
    st = paragraphs(m, m->tx, m->body_end, &par);
    st = sx_bres_capped(m, st, par.n);
    if (st != SMTPDX_OK)
        goto done;
    if (res->n == 0 && par.n == 0) {
        st = recipient_from_copy(m, res);
        goto done;
    }
    if (res->n == 0) {
        for (size_t i = 0; i < par.n; i++) {
            sx_brcpt *rc = sx_bres_add(res, &st);
            if (rc == NULL)
                goto done;
            const sx_brcpt *p = &par.r[i];
            if ((st = sx_bres_sets(res, &rc->recipient, p->recipient)) ||
                (st = sx_bres_sets(res, &rc->alias, p->alias)) ||
                (st = sx_bres_sets(res, &rc->diag, p->diag)))
                goto done;
            rc->command = p->command;
            if (res->temporary)
                rc->action = "delayed";
        }
        goto done;
    }
    for (size_t i = 0; i < res->n; i++) {
        sx_brcpt *rc = &res->r[i];
        const char *keys[2] = {rc->recipient, rc->alias};
        const sx_brcpt *p = NULL;
        for (int k = 0; k < 2 && p == NULL; k++)
            if (keys[k][0])
                p = sx_bres_find(&par, keys[k], strlen(keys[k]));
        for (size_t k = 0; p == NULL && k < par.n; k++)
            if (par.r[k].alias[0] &&
                strcmp(par.r[k].alias, rc->recipient) == 0)
                p = &par.r[k];
        if (p == NULL)
            continue;
        rc->command = p->command;
        if (rc->diag[0] == '\0' &&
            (st = sx_bres_sets(res, &rc->diag, p->diag)) != SMTPDX_OK)
            goto done;
        if (rc->alias[0] == '\0' && p->alias[0] &&
            (st = sx_bres_sets(res, &rc->alias, p->alias)) != SMTPDX_OK)
            goto done;
    }
done:
    sx_bres_release(&par);
    if (st == SMTPDX_OK && res->n > 0 && res->reporting_mta[0] == '\0' &&
        sx_bmail_header(m, "Received").p == NULL)
        st = own_host(m, res);
    return st;
}

const sx_detector sx_det_postfix = {"Postfix", postfix_match, postfix_extract};
