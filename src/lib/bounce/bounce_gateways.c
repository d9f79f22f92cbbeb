/*
 * bounce_gateways.c - mail gateways and filtering appliances that accept
 * a message and then report that the server behind them refused it:
 * ActiveHunter, MailFoundry, m-FILTER, SurfControl, X1 (Mail2000), X2,
 * Apache James (also Verizon's vtext.com), InterScan MSS (Trend Micro),
 * MailMarshal, Verizon's MMS gateway and FML mailing lists.
 *
 * They share one fact: the sender's server saw the message accepted (the
 * gateway said 250 after DATA), so a refusal reported later came after
 * the content was sent. A "user unknown" from behind such a gateway is
 * therefore what the taxonomy calls filtered (bounce_judge.c turns
 * userunknown after DATA into filtered); each detector marks its
 * recipients' command as DATA unless its report names another.
 * Each family has its own few markers and layout; what they extract is
 * the same: recipients, the reply, the command.
 */
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/bounce_fam.h"
#include "bounce/bounce_generic.h"
#include "bounce/bounce_text.h"

/* Add a recipient with its reply; the gateway accepted the message. */
static smtpdx_status add(sx_bres *res, sx_str a, sx_str diag, const char *cmd)
{
    smtpdx_status st;
    if (a.len == 0 || sx_bres_find(res, a.p, a.len))
        return SMTPDX_OK;
    sx_brcpt *rc = sx_bres_add(res, &st);
    if (rc == NULL)
        return st;
    if ((st = sx_bres_set(res, &rc->recipient, a.p, a.len)) ||
        (st = sx_bres_set(res, &rc->diag, diag.p, diag.len)))
        return st;
    rc->command = cmd;
    return SMTPDX_OK;
}

/* The text after the line holding marker, up to the first line holding
 * one of stops (or the end), lines joined by spaces into sb (cut at its
 * limit). *st becomes SMTPDX_ERR_NOMEM when sb cannot grow: a section
 * with a line missing would read as another reason. */
static sx_str section(sx_bmail *m, const char *marker,
                      const char *const *stops, sx_sbuf *sb,
                      smtpdx_status *st)
{
    int rc = SX_SBUF_OK;
    const char *t = m->tx;
    size_t len = m->txlen;
    const char *p = sx_bt_ifind(t, len, marker);
    sx_sbuf_reset(sb);
    if (p == NULL)
        return sx_bt_str(NULL, 0);
    sx_btlines it;
    sx_str l;
    sx_bt_lines_init(&it, p, len - (size_t)(p - t));
    sx_bt_next_line(&it, &l);
    /* what follows the marker on its own line belongs to the section */
    const char *after = p + strlen(marker);
    if (after < l.p + l.len) {
        sx_str rest = sx_bt_trim(sx_bt_str(after, (size_t)(l.p + l.len - after)));
        size_t k = 0;
        while (k < rest.len && (rest.p[k] == '-' || rest.p[k] == '='))
            k++;
        if (k < rest.len) /* not the end of a heading ("--- Title ---") */
            rc = sx_sbuf_append(sb, rest.p, rest.len);
    }
    while (rc == SX_SBUF_OK && it.count < 200 && sx_bt_next_line(&it, &l)) {
        if (stops && sx_bt_has_any(l, stops))
            break;
        sx_str tl = sx_bt_trim(l);
        if (tl.len == 0)
            continue;
        if (sb->len)
            rc = sx_sbuf_putc(sb, ' ');
        if (rc == SX_SBUF_OK)
            rc = sx_sbuf_append(sb, tl.p, tl.len);
    }
    if (rc == SX_SBUF_NOMEM)
        *st = SMTPDX_ERR_NOMEM;
    return sx_bt_str(sb->data ? sb->data : "", sb->len);
}

/* The first address after needle in the text. */
static sx_str addr_after(const sx_bmail *m, const char *needle)
{
    sx_str a = {NULL, 0};
    const char *p = sx_bt_ifind(m->tx, m->txlen, needle);
    if (p != NULL) {
        p += strlen(needle);
        const char *nl = memchr(p, '\n', m->txlen - (size_t)(p - m->tx));
        size_t n = nl ? (size_t)(nl - p) : m->txlen - (size_t)(p - m->tx);
        sx_bt_find_addr(p, n, &a, NULL);
    }
    return a;
}

/* ------------------------------------------------------------ ActiveHunter */

static int ah_match(const sx_bmail *m)
{
    static const char *const s[] = {"failure notice :", NULL};
    /* the marker table first: one load, where the Subject is a search */
    return sx_bfam_mark(m, MK_AH_QUOTE, 2048) && sx_bfam_subject(m, s);
}

static smtpdx_status ah_extract(sx_bmail *m, sx_bres *res)
{
    static const char *const stops[] = {"-----", NULL};
    smtpdx_status st = SMTPDX_OK;
    sx_str diag = section(m, "transcript of session follows", stops,
                          &m->scratch2, &st);
    if (st != SMTPDX_OK)
        return st;
    sx_btlines it;
    sx_str l;
    sx_bt_lines_init(&it, m->tx, m->txlen);
    while (it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l)) {
        sx_str a;
        if (l.len > 4 && sx_bt_iprefix(l.p, l.len, ">>> ") &&
            sx_bt_find_addr(l.p + 4, l.len - 4, &a, NULL) &&
            (st = add(res, a, diag, "DATA")))
            return st;
    }
    return st;
}

/* ------------------------------------------------------------- MailFoundry */

static int mf_match(const sx_bmail *m)
{
    return sx_bfam_mark(m, MK_MF_REASON, 2048);
}

static smtpdx_status mf_extract(sx_bmail *m, sx_bres *res)
{
    static const char *const stops[] = {"this has been a permanent failure",
                                        "no further delivery attempts", NULL};
    smtpdx_status st = SMTPDX_OK;
    sx_str a = addr_after(m, "unable to deliver message to");
    sx_str diag = section(m, "delivery failed for the following reason:",
                          stops, &m->scratch2, &st);
    if (st != SMTPDX_OK)
        return st;
    const char *w = sx_bt_ifind(diag.p, diag.len, "failed with:");
    if (w != NULL) {
        w += 12;
        diag = sx_bt_trim(sx_bt_str(w, diag.len - (size_t)(w - diag.p)));
    }
    return add(res, a, diag, "DATA");
}

/* ---------------------------------------------------------------- m-FILTER */

static int mfilter_match(const sx_bmail *m)
{
    sx_str x = sx_bmail_hdr(m, SX_H_X_MAILER);
    return (x.p && sx_bt_has(x, "m-FILTER")) ||
           sx_bfam_mark(m, MK_MFILTER, 1024);
}

static smtpdx_status mfilter_extract(sx_bmail *m, sx_bres *res)
{
    static const char *const stops[] = {"-------", NULL};
    const char *t = m->tx;
    const char *sm = sx_bt_ifind(t, m->txlen, "-------server message");
    if (sm == NULL)
        return SMTPDX_OK;
    smtpdx_status st = SMTPDX_OK;
    sx_str diag = section(m, "-------server message", stops, &m->scratch2,
                          &st);
    if (st != SMTPDX_OK)
        return st;
    /* the command is the line after "-------SMTP command" */
    const char *cmd = "DATA";
    const char *c = sx_bt_ifind(t, m->txlen, "-------SMTP command");
    if (c != NULL) {
        const char *nl = memchr(c, '\n', m->txlen - (size_t)(c - t));
        if (nl != NULL) {
            sx_str next = sx_bt_trim(sx_bt_str(nl + 1, (size_t)(t + m->txlen -
                                                                nl - 1)));
            if (sx_bt_iprefix(next.p, next.len, "RCPT"))
                cmd = "RCPT";
            else if (sx_bt_iprefix(next.p, next.len, "MAIL"))
                cmd = "MAIL";
            else if (sx_bt_iprefix(next.p, next.len, "HELO") ||
                     sx_bt_iprefix(next.p, next.len, "EHLO"))
                cmd = "HELO";
        }
    }
    /* the recipients are the address lines before the server message */
    sx_btlines it;
    sx_str l;
    sx_bt_lines_init(&it, t, (size_t)(sm - t));
    while (it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l)) {
        sx_str a;
        if (sx_bgeneric_addr_line(l, &a) && (st = add(res, a, diag, cmd)))
            return st;
    }
    return st;
}

/* -------------------------------------------------------------- SurfControl */

static int sc_match(const sx_bmail *m)
{
    return sx_bfam_mark(m, MK_SC_TRANSCRIPT, 1024);
}

static smtpdx_status sc_extract(sx_bmail *m, sx_bres *res)
{
    smtpdx_status st = SMTPDX_OK;
    sx_btlines it;
    sx_str l;
    sx_bt_lines_init(&it, m->tx, m->txlen);
    while (it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l)) {
        /* "user@example.com: [192.0.2.5], 550 user@... No such user" */
        sx_str a;
        size_t next;
        if (!sx_bt_find_addr(l.p, l.len, &a, &next) || a.p != l.p ||
            next + 2 > l.len || l.p[next] != ':')
            continue;
        const char *r = memchr(l.p + next, ',', l.len - next);
        sx_str diag = r ? sx_bt_trim(sx_bt_str(r + 1, l.len - (size_t)(r + 1 - l.p)))
                        : sx_bt_trim(sx_bt_str(l.p + next + 1, l.len - next - 1));
        if ((st = add(res, a, diag, "DATA")))
            return st;
    }
    if (res->n == 0) {
        sx_str a = addr_after(m, "addressed to:");
        st = add(res, a, sx_bt_str(NULL, 0), "DATA");
    }
    return st;
}

/* ---------------------------------------------------------- X1 (Mail2000) */

static int x1_match(const sx_bmail *m)
{
    return sx_bfam_mark(m, MK_X1, 1024);
}

static smtpdx_status x1_extract(sx_bmail *m, sx_bres *res)
{
    smtpdx_status st = SMTPDX_OK;
    sx_btlines it;
    sx_str l;
    sx_bt_lines_init(&it, m->tx, m->txlen);
    while (it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l)) {
        /* "user@example.org [User unknown]" */
        sx_str a;
        size_t next;
        if (!sx_bt_find_addr(l.p, l.len, &a, &next) || a.p != l.p)
            continue;
        sx_str rest = sx_bt_trim(sx_bt_str(l.p + next, l.len - next));
        if (rest.len < 2 || rest.p[0] != '[')
            continue;
        rest.p++;
        rest.len -= rest.p[rest.len - 2] == ']' ? 2 : 1;
        if ((st = add(res, a, sx_bt_trim(rest), "DATA")))
            return st;
    }
    return st;
}

/* -------------------------------------------------------------------- X2 */

static int x2_match(const sx_bmail *m)
{
    return sx_bfam_mark(m, MK_X2, 512);
}

static smtpdx_status x2_extract(sx_bmail *m, sx_bres *res)
{
    smtpdx_status st = sx_bgeneric_scan(m, m->tx, m->body_end, res);
    for (size_t i = 0; st == SMTPDX_OK && i < res->n; i++)
        if (res->r[i].command[0] == '\0' &&
            sx_bmark_command(m->ctx, res->r[i].diag, strlen(res->r[i].diag)) == NULL)
            res->r[i].command = "DATA";
    return st;
}

/* ------------------------------------------ Apache James (and vtext.com) */

static int james_match(const sx_bmail *m)
{
    return sx_bfam_mark(m, MK_JAMES_ERR, 4096) &&
           sx_bfam_mark(m, MK_JAMES_RCPT, 4096);
}

static smtpdx_status james_extract(sx_bmail *m, sx_bres *res)
{
    static const char *const stops[] = {"message details:", NULL};
    smtpdx_status st = SMTPDX_OK;
    sx_str a = addr_after(m, "rcpt to:");
    sx_str diag = section(m, "error message below:", stops, &m->scratch2,
                          &st);
    if (st != SMTPDX_OK)
        return st;
    return add(res, a, diag, "DATA");
}

/* ------------------------------------------- InterScan MSS (Trend Micro) */

static int ism_match(const sx_bmail *m)
{
    return sx_bfam_mark(m, MK_ISM, 1024);
}

static smtpdx_status ism_extract(sx_bmail *m, sx_bres *res)
{
    smtpdx_status st = sx_bgeneric_scan(m, m->tx, m->body_end, res);
    for (size_t i = 0; st == SMTPDX_OK && i < res->n; i++) {
        sx_brcpt *rc = &res->r[i];
        sx_str d = sx_bt_str(rc->diag, strlen(rc->diag));
        /* InterScan's own words when the next hop refused the address */
        if (sx_bt_has(d, "unable to deliver message to") &&
            sx_bt_find_code(d.p, d.len, NULL) == 0) {
            rc->hint = SMTPDX_R_USERUNKNOWN;
            rc->hint_strength = SX_HINT_WEAK;
        }
    }
    return st;
}

/* ------------------------------------------------------------- MailMarshal */

static int mm_match(const sx_bmail *m)
{
    return sx_bfam_mark(m, MK_MM, 2048);
}

static smtpdx_status mm_extract(sx_bmail *m, sx_bres *res)
{
    static const char *const stops[] = {"the following recipients were", NULL};
    sx_sbuf d;
    sx_sbuf_init(&d, SX_BOUNCE_MAX_DIAG);
    smtpdx_status st = SMTPDX_OK;
    sx_str diag = section(m, "could not be delivered because of", stops, &d,
                          &st);
    if (st != SMTPDX_OK) {
        sx_sbuf_release(&d);
        return st;
    }
    const char *p = sx_bt_ifind(m->tx, m->txlen,
                                "the following recipients were affected");
    sx_btlines it;
    sx_str l;
    sx_bt_lines_init(&it, p, m->txlen - (size_t)(p - m->tx));
    sx_bt_next_line(&it, &l);
    while (it.count < 1000 && sx_bt_next_line(&it, &l)) {
        sx_str a;
        if (sx_bt_trim(l).len == 0)
            continue;
        if (!sx_bgeneric_addr_line(l, &a))
            break;
        if ((st = add(res, a, diag, "")))
            break;
    }
    sx_sbuf_release(&d);
    return st;
}

/* ------------------------------------------------ Verizon's MMS gateway */

static int vz_match(const sx_bmail *m)
{
    return sx_bfam_mark(m, MK_VZ, 512);
}

static smtpdx_status vz_extract(sx_bmail *m, sx_bres *res)
{
    sx_str a = addr_after(m, "\nTo:");
    const char *e = sx_bt_ifind(m->tx, m->txlen, "error:");
    sx_str diag = {NULL, 0};
    if (e != NULL) {
        /* the text need not end in a NUL (it may be the message itself) */
        size_t rest = m->txlen - (size_t)(e - m->tx);
        const char *nl = memchr(e, '\n', rest);
        diag = sx_bt_trim(sx_bt_str(e + 6, nl ? (size_t)(nl - e - 6)
                                              : rest - 6));
    }
    smtpdx_status st = add(res, a, diag, "");
    if (st == SMTPDX_OK && res->n > 0 && sx_bt_has(diag, "no valid recipients")) {
        /* the gateway knows no such handset */
        res->r[res->n - 1].hint = SMTPDX_R_USERUNKNOWN;
        res->r[res->n - 1].hint_strength = SX_HINT_WEAK;
    }
    return st;
}

/* ----------------------------------------------------------------- FML */

static int fml_match(const sx_bmail *m)
{
    /* the marker table first: loads, where the From is a search */
    return (sx_bfam_mark(m, MK_FML_MEMBER, 1024) ||
            sx_bfam_mark(m, MK_FML_DUP, 1024)) &&
           sx_bt_has(m->from, "-admin@");
}

static smtpdx_status fml_extract(sx_bmail *m, sx_bres *res)
{
    smtpdx_status st;
    sx_str h = sx_bfam_head(m, 1024);
    sx_str a;
    if (!sx_bt_find_addr(h.p, h.len, &a, NULL))
        return SMTPDX_OK;
    const char *nl = memchr(h.p, '\n', h.len);
    sx_str first = sx_bt_str(h.p, nl ? (size_t)(nl - h.p) : h.len);
    if ((st = add(res, a, sx_bt_trim(first), "")))
        return st;
    sx_brcpt *rc = &res->r[res->n - 1];
    /* the list refused a non-member's post, or detected a mail loop */
    rc->hint = sx_bt_has(h, "not a member") ? SMTPDX_R_REJECTED
                                            : SMTPDX_R_SYSTEMERROR;
    rc->hint_strength = SX_HINT_STRONG;
    return SMTPDX_OK;
}

const sx_detector sx_det_activehunter = {"Activehunter", ah_match, ah_extract};
const sx_detector sx_det_mailfoundry = {"MailFoundry", mf_match, mf_extract};
const sx_detector sx_det_mfilter = {"mFILTER", mfilter_match, mfilter_extract};
const sx_detector sx_det_surfcontrol = {"SurfControl", sc_match, sc_extract};
const sx_detector sx_det_x1 = {"X1", x1_match, x1_extract};
const sx_detector sx_det_x2 = {"X2", x2_match, x2_extract};
const sx_detector sx_det_james = {"ApacheJames", james_match, james_extract};
const sx_detector sx_det_interscan = {"InterScanMSS", ism_match, ism_extract};
const sx_detector sx_det_mailmarshal = {"MailMarshalSMTP", mm_match, mm_extract};
const sx_detector sx_det_verizon = {"Verizon", vz_match, vz_extract};
const sx_detector sx_det_fml = {"FML", fml_match, fml_extract};
