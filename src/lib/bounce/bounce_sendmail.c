/*
 * bounce_sendmail.c - Sendmail's "Returned mail" notices, with or without
 * an RFC 3464 part (the old 5.x and 8.x before DSN support).
 *
 * The notice quotes the SMTP session:
 *      ----- Transcript of session follows -----
 *   ... while talking to mx.example.org.:
 *   >>> RCPT To:<user@example.org>
 *   <<< 550 5.1.1 <user@example.org>... User unknown
 *   550 5.1.1 <user@example.org>... User unknown
 * ">>>" is what Sendmail sent, "<<<" what the server answered, and the
 * lines "NNN <address>... text" are Sendmail's verdict per recipient.
 * With a DSN part the recipients and Status come from it and the
 * transcript adds the failing command and host; without one (Sendmail
 * 5.x, "V5sendmail") the verdict lines are the recipients.
 */
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/bounce_fam.h"
#include "bounce/bounce_generic.h"
#include "bounce/bounce_text.h"
#include "util/alloc.h"

static int sendmail_match(const sx_bmail *m)
{
    static const char *const subjects[] = {
        "returned mail:", "postmaster notify:",
        "warning: could not send message for past", NULL};
    static sx_bt_set set = SX_BT_SET(subjects);
    if (sx_bfam_mark(m, MK_SM_TRANSCRIPT, 4096) ||
        sx_bfam_mark(m, MK_SM_RECEIVED, 4096) ||
        sx_bfam_mark(m, MK_SM_FATAL, 4096))
        return 1;
    return sx_bt_has_set(
               sx_bt_str(m->subject_dec.data, m->subject_dec.len), &set) &&
           sx_bt_has(sx_bt_str(m->from_dec.data, m->from_dec.len),
                     "mailer-daemon");
}

/* A ">>> MAIL From:<...>" line -> "MAIL". */
static const char *sent_command(sx_str v)
{
    static const char *const cmds[] = {"MAIL", "RCPT", "DATA", "EHLO", "HELO",
                                       "QUIT", "RSET", "STARTTLS", "AUTH",
                                       NULL};
    for (size_t i = 0; cmds[i]; i++)
        if (sx_bt_iprefix(v.p, v.len, cmds[i]))
            return cmds[i];
    return NULL;
}

typedef struct tline {
    sx_str text;        /* without ">>> " / "<<< " */
    char kind;          /* '>' sent, '<' received, 'v' verdict, 't' talking */
    const char *cmd;    /* the command in force */
    sx_str host;        /* the host being talked to */
} tline;

#define MAX_TLINES 2000u

/* The first "unsent message follows" in m->tx[from, from + n), from the
 * marker scan where it can tell. */
static const char *unsent_at(const sx_bmail *m, size_t from, size_t n)
{
    return sx_bmarks_find(&m->marks, MK_COPY_21, m->tx, from, n);
}

/* The transcript as typed lines. */
static size_t transcript(const sx_bmail *m, tline *out)
{
    const char *t = m->tx;
    size_t len = m->txlen, body_end = m->body_end;
    const char *p = sx_bt_ifind(t, len, "transcript of session follows");
    if (p == NULL || (size_t)(p - t) >= body_end)
        return 0;
    size_t end = body_end - (size_t)(p - t);
    const char *stop = unsent_at(m, (size_t)(p - t), end);
    if (stop)
        end = (size_t)(stop - p);
    sx_btlines it;
    sx_str l, host = {NULL, 0};
    const char *cmd = "CONN";
    size_t n = 0;
    const char *e = p + end;
    /* where "while talking to " stands next: searched for in the text
     * ahead, not in each line (a line only has it where the text has it;
     * it holds no line end) */
    const char *talk = sx_bt_ifind(p, end, "while talking to ");
    sx_bt_lines_init(&it, p, end);
    sx_bt_next_line(&it, &l); /* the "follows" line itself */
    while (n < MAX_TLINES && it.count < SX_BOUNCE_MAX_LINES &&
           sx_bt_next_line(&it, &l)) {
        sx_str tl = sx_bt_trim(l);
        if (tl.len == 0)
            continue;
        tline *x = &out[n];
        x->cmd = cmd;
        x->host = host;
        if (talk != NULL && talk < tl.p) /* passed: the next one */
            talk = sx_bt_ifind(tl.p, (size_t)(e - tl.p), "while talking to ");
        /* in the line once its blanks are cut: the phrase ends in one */
        if (talk != NULL && talk + 17 <= tl.p + tl.len) {
            const char *h = sx_bt_ifind(tl.p, tl.len, "talking to ") + 11;
            size_t hl = sx_bt_host_len(h, tl.len - (size_t)(h - tl.p));
            host = sx_bt_str(h, hl);
            cmd = "CONN";
            x->kind = 't';
            x->text = tl;
            x->host = host;
        } else if (sx_bt_iprefix(tl.p, tl.len, ">>>")) {
            x->text = sx_bt_trim(sx_bt_str(tl.p + 3, tl.len - 3));
            const char *c = sent_command(x->text);
            if (c)
                cmd = c;
            x->cmd = cmd;
            x->kind = '>';
        } else if (sx_bt_iprefix(tl.p, tl.len, "<<<")) {
            x->text = sx_bt_trim(sx_bt_str(tl.p + 3, tl.len - 3));
            x->kind = '<';
        } else {
            x->text = tl;
            x->kind = 'v';
        }
        n++;
    }
    return n;
}

static int mentions(sx_str s, const char *addr)
{
    return addr[0] != '\0' && sx_bt_ifind(s.p, s.len, addr) != NULL;
}

/* Command and host for a recipient: the server's answer that carries its
 * Diagnostic-Code or names its address. */
static const tline *answer_for(const tline *tl, size_t n, const sx_brcpt *rc)
{
    sx_str d = sx_bt_trim(sx_bt_str(rc->diag, strlen(rc->diag)));
    size_t dl = d.len < 40 ? d.len : 40;
    for (size_t i = 0; dl > 3 && i < n; i++)
        if (tl[i].kind == '<' && tl[i].text.len >= dl &&
            sx_bt_ieq(tl[i].text.p, d.p, dl))
            return &tl[i];
    for (size_t i = 0; i < n; i++)
        if (tl[i].kind == '<' && mentions(tl[i].text, rc->recipient) &&
            sx_bt_reply_code(tl[i].text.p, tl[i].text.len) >= 400)
            return &tl[i];
    return NULL;
}

/* Does host end with the domain of addr ("mx.example.net." and
 * "u@example.net")? */
static int host_of_domain(sx_str host, sx_str addr)
{
    const char *at = memchr(addr.p, '@', addr.len);
    if (at == NULL)
        return 0;
    sx_str dom = sx_bt_str(at + 1, addr.len - (size_t)(at + 1 - addr.p));
    while (host.len > 0 && host.p[host.len - 1] == '.')
        host.len--;
    if (dom.len == 0 || host.len < dom.len ||
        !sx_bt_ieq(host.p + host.len - dom.len, dom.p, dom.len))
        return 0;
    return host.len == dom.len || host.p[host.len - dom.len - 1] == '.';
}

/* An address of the list above the transcript ("The following addresses
 * had permanent fatal errors") that no verdict line named failed in a
 * conversation of its own, ended by a line about the host rather than
 * the address ("554 5.0.0 Service unavailable" after a refused MAIL):
 * it takes the server's last refusal in the conversation with a host of
 * its domain. */
static smtpdx_status whole_reply(const tline *tl, size_t n, sx_str first,
                                 sx_bres *res, sx_brcpt *rc);

/* "(reason: 554 ...)", the line Sendmail 8 writes under a listed address:
 * *r gets what stands in the parentheses. */
static int reason_line(sx_str t, sx_str *r)
{
    if (!sx_bt_iprefix(t.p, t.len, "(reason: "))
        return 0;
    *r = sx_bt_str(t.p + 9, t.len - 9);
    if (r->len > 0 && r->p[r->len - 1] == ')')
        r->len--;
    return 1;
}

static smtpdx_status listed(const sx_bmail *m, const tline *tl, size_t n,
                            sx_bres *res)
{
    const char *t = m->tx;
    const char *p = sx_bt_ifind(t, m->txlen, "following addresses had");
    const char *q = p ? sx_bt_ifind(p, m->txlen - (size_t)(p - t),
                                    "transcript of session")
                      : NULL;
    if (p == NULL || q == NULL)
        return SMTPDX_OK;
    smtpdx_status st = SMTPDX_OK;
    sx_btlines it;
    sx_str l, a;
    sx_bt_lines_init(&it, p, (size_t)(q - p));
    sx_bt_next_line(&it, &l);
    while (it.count < 1000 && sx_bt_next_line(&it, &l)) {
        if (!sx_bgeneric_addr_line(l, &a) || l.p[0] == ' ' ||
            sx_bres_find(res, a.p, a.len))
            continue;
        const tline *ans = NULL;
        for (size_t i = 0; i < n; i++)
            if (tl[i].kind == '<' && host_of_domain(tl[i].host, a) &&
                sx_bt_reply_code(tl[i].text.p, tl[i].text.len) >= 400)
                ans = &tl[i];
        if (ans == NULL) {
            /* no conversation with a host of its domain (its MX is
             * elsewhere): the "(reason: ...)" line Sendmail wrote under it */
            sx_btlines peek = it;
            sx_str nl;
            if (!sx_bt_next_line(&peek, &nl) || nl.len == 0 ||
                nl.p[0] != ' ')
                continue;
            sx_str x;
            if (!reason_line(sx_bt_trim(nl), &x))
                continue;
            sx_brcpt *rc = sx_bres_add(res, &st);
            if (rc == NULL)
                return st;
            if ((st = sx_bres_set(res, &rc->recipient, a.p, a.len)) ||
                (st = whole_reply(tl, n, x, res, rc)))
                return st;
            continue;
        }
        sx_brcpt *rc = sx_bres_add(res, &st);
        if (rc == NULL)
            return st;
        if ((st = sx_bres_set(res, &rc->recipient, a.p, a.len)) ||
            (st = sx_bres_set(res, &rc->diag, ans->text.p, ans->text.len)) ||
            (st = sx_bres_set(res, &rc->rhost, ans->host.p, ans->host.len)))
            return st;
        rc->command = ans->cmd;
    }
    return SMTPDX_OK;
}

/* rc's reply: the transcript's refusal that starts with first (the one
 * line "(reason: ...)" gives), with the lines that continue it
 * ("550-5.7.1 ..." up to "550 5.7.1 ..."), joined; first alone when the
 * transcript does not have it. */
static smtpdx_status whole_reply(const tline *tl, size_t n, sx_str first,
                                 sx_bres *res, sx_brcpt *rc)
{
    size_t i = 0;
    while (i < n && !(tl[i].kind == '<' && first.len > 3 &&
                      tl[i].text.len >= first.len &&
                      sx_bt_ieq(tl[i].text.p, first.p, first.len)))
        i++;
    if (i == n)
        return sx_bres_set(res, &rc->diag, first.p, first.len);
    char buf[4096];
    size_t w = 0;
    for (size_t k = i; k < n && tl[k].kind == '<'; k++) {
        sx_str t = tl[k].text;
        if (w > 0 && w < sizeof buf)
            buf[w++] = ' ';
        size_t c = t.len < sizeof buf - w ? t.len : sizeof buf - w;
        memcpy(buf + w, t.p, c);
        w += c;
        /* "550 5.7.1 ..." (a blank after the code) is the last line */
        if (t.len < 4 || t.p[3] != '-')
            break;
    }
    if (rc->rhost[0] == '\0' && tl[i].host.len > 0) {
        smtpdx_status st =
            sx_bres_set(res, &rc->rhost, tl[i].host.p, tl[i].host.len);
        if (st != SMTPDX_OK)
            return st;
    }
    rc->command = tl[i].cmd;
    return sx_bres_set(res, &rc->diag, buf, w);
}

/* A program or a file an alias led to, as Sendmail lists it in place of
 * an address: "|/usr/local/bin/filter", quoted or not, or "/var/mail/x". */
static int program_line(sx_str x)
{
    if (x.len > 0 && x.p[0] == '"')
        x = sx_bt_str(x.p + 1, x.len - 1);
    return x.len > 1 && (x.p[0] == '|' || x.p[0] == '/');
}

/* The list above the transcript when no verdict line names an address
 * and no conversation was with a host of the address's domain (the MX of
 * yahoo.com is at yahoodns.net, of many domains at google.com or
 * outlook.com): each address takes the "(reason: 554 ...)" line Sendmail
 * writes under it, else the last refusal of the transcript, else its last
 * failing verdict ("554 5.0.0 Service unavailable"). */
static smtpdx_status unmatched_list(const sx_bmail *m, const tline *tl,
                                    size_t n, sx_bres *res)
{
    const char *t = m->tx;
    const char *p = sx_bt_ifind(t, m->body_end, "following addresses had");
    if (p == NULL)
        return SMTPDX_OK;
    const char *q = sx_bt_ifind(p, m->body_end - (size_t)(p - t),
                                "transcript of session");
    const tline *last = NULL, *verdict = NULL;
    for (size_t i = 0; i < n; i++) {
        if (sx_bt_reply_code(tl[i].text.p, tl[i].text.len) < 400)
            continue;
        if (tl[i].kind == '<')
            last = &tl[i];
        else if (tl[i].kind == 'v' && verdict == NULL)
            verdict = &tl[i];
    }
    smtpdx_status st = SMTPDX_OK;
    sx_btlines it;
    sx_str l, a;
    sx_brcpt *rc = NULL;
    sx_bt_lines_init(&it, p, (size_t)((q ? q : t + m->body_end) - p));
    sx_bt_next_line(&it, &l); /* the heading itself */
    while (it.count < 1000 && sx_bt_next_line(&it, &l)) {
        sx_str x = sx_bt_trim(l);
        if (rc != NULL && l.len > 0 && l.p[0] == ' ' && reason_line(x, &x)) {
            /* "(reason: 554 ...)" below the address: its reply */
            /* it holds the first line of the reply only: the transcript
             * has all of them */
            if ((st = whole_reply(tl, n, x, res, rc)))
                return st;
            continue;
        }
        sx_str al;
        size_t next;
        if (rc != NULL && l.len > 0 && l.p[0] == ' ' &&
            sx_bt_iprefix(x.p, x.len, "(expanded from") &&
            sx_bt_find_addr(x.p, x.len, &al, &next)) {
            /* the address the message was sent to, before an alias; of
             * a program or a file, the only address there is */
            if ((st = sx_bres_set(res, rc->recipient[0] == '\0'
                                           ? &rc->recipient
                                           : &rc->alias,
                                  al.p, al.len)))
                return st;
            continue;
        }
        if (l.len > 0 && l.p[0] != ' ' && program_line(x)) {
            /* its record opens here; the lines below give its reply and
             * its address */
            if ((rc = sx_bres_add(res, &st)) == NULL)
                return st;
            continue;
        }
        if (!sx_bgeneric_addr_line(l, &a) || l.p[0] == ' ' ||
            sx_bres_find(res, a.p, a.len))
            continue;
        if ((rc = sx_bres_add(res, &st)) == NULL)
            return st;
        const tline *ans = last ? last : verdict;
        if ((st = sx_bres_set(res, &rc->recipient, a.p, a.len)))
            return st;
        if (ans != NULL) {
            if ((st = sx_bres_set(res, &rc->diag, ans->text.p,
                                  ans->text.len)) ||
                (st = sx_bres_set(res, &rc->rhost, ans->host.p,
                                  ans->host.len)))
                return st;
            if (ans->kind == '<')
                rc->command = ans->cmd;
        }
    }
    /* a program or a file that no "(expanded from ...)" line named an
     * address for is no recipient */
    size_t k = 0;
    for (size_t i = 0; i < res->n; i++)
        if (res->r[i].recipient[0] != '\0')
            res->r[k++] = res->r[i];
    res->n = k;
    return SMTPDX_OK;
}

/* Sendmail 5.x: "554 <user@example.org>... 550 Host unknown" lines; a
 * Sendmail 8 notice without a DSN part (sent to a host that does not
 * speak MIME) writes them with an enhanced code, "550 5.1.1 <user@...>...
 * User unknown", and *enhanced is then set. */
static smtpdx_status verdicts(sx_bmail *m, const tline *tl, size_t n,
                              sx_bres *res, int *enhanced)
{
    smtpdx_status st = SMTPDX_OK;
    for (size_t i = 0; i < n; i++) {
        if (tl[i].kind != 'v' || sx_bt_reply_code(tl[i].text.p, tl[i].text.len) < 400)
            continue;
        sx_str v = sx_bt_trim(sx_bt_str(tl[i].text.p + 3, tl[i].text.len - 3));
        char code[16];
        size_t at;
        if (sx_bt_find_enhanced(v.p, v.len, code, &at) && at == 0) {
            size_t k = strlen(code);
            v = sx_bt_trim(sx_bt_str(v.p + k, v.len - k));
            *enhanced = 1;
        }
        const char *dots = sx_bt_find(v.p, v.len, "...");
        sx_str a;
        if (dots == NULL || !sx_bt_is_addr(sx_bt_str(v.p, (size_t)(dots - v.p)), &a))
            continue;
        if (sx_bres_find(res, a.p, a.len))
            continue;
        sx_brcpt *rc = sx_bres_add(res, &st);
        if (rc == NULL)
            return st;
        /* the server's answer in the same conversation, else the verdict */
        sx_str reply = sx_bt_str(dots + 3, v.len - (size_t)(dots + 3 - v.p));
        const char *cmd = "";
        for (size_t k = i; k > 0; k--) {
            const tline *x = &tl[k - 1];
            if (x->kind == 't' || x->kind == 'v')
                break;
            if (x->kind == '<' && sx_bt_reply_code(x->text.p, x->text.len) >= 400) {
                reply = x->text;
                cmd = x->cmd;
                break;
            }
        }
        if ((st = sx_bres_set(res, &rc->recipient, a.p, a.len)) ||
            (st = sx_bres_set(res, &rc->diag, reply.p, reply.len)) ||
            (st = sx_bres_set(res, &rc->rhost, tl[i].host.p, tl[i].host.len)))
            return st;
        rc->command = cmd;
    }
    if (res->n > 0)
        return listed(m, tl, n, res);
    if ((st = unmatched_list(m, tl, n, res)) != SMTPDX_OK)
        return st;
    if (res->n > 0) {
        *enhanced = 1; /* the list and its "(reason: ...)": Sendmail 8's */
        return SMTPDX_OK;
    }
    /* only host-level lines ("421 host (smtp)... Deferred: ..."): every
     * recipient of the returned message failed with it */
    for (size_t i = 0; i < n; i++) {
        if (tl[i].kind != 'v' ||
            sx_bt_reply_code(tl[i].text.p, tl[i].text.len) < 400)
            continue;
        const char *t = m->tx;
        const char *u = unsent_at(m, 0, m->txlen);
        if (u == NULL)
            return SMTPDX_OK;
        sx_btlines it;
        sx_str l;
        sx_bt_lines_init(&it, u, m->txlen - (size_t)(u - t));
        while (it.count < 200 && sx_bt_next_line(&it, &l)) {
            if (!sx_bt_iprefix(l.p, l.len, "To:"))
                continue;
            size_t off = 3, next;
            sx_str a;
            while (off < l.len &&
                   sx_bt_find_addr(l.p + off, l.len - off, &a, &next)) {
                off += next;
                sx_brcpt *rc = sx_bres_add(res, &st);
                if (rc == NULL)
                    return st;
                if ((st = sx_bres_set(res, &rc->recipient, a.p, a.len)) ||
                    (st = sx_bres_set(res, &rc->diag, tl[i].text.p,
                                      tl[i].text.len)))
                    return st;
            }
            break;
        }
        return SMTPDX_OK;
    }
    return SMTPDX_OK;
}

static smtpdx_status sendmail_extract(sx_bmail *m, sx_bres *res)
{
    smtpdx_status st;
    tline *tl = NULL;
    size_t n = 0;
    sx_str subj = sx_bt_str(m->subject_dec.data, m->subject_dec.len);
    if (sx_bt_has(subj, "warning: could not send"))
        res->temporary = 1;

    st = sx_bdsn_extract(m, res);
    if (st != SMTPDX_OK)
        return st;
    tl = sx_malloc(MAX_TLINES * sizeof *tl);
    if (tl == NULL)
        return SMTPDX_ERR_NOMEM;
    n = transcript(m, tl);
    if (res->n == 0) {
        int enhanced = 0;
        st = verdicts(m, tl, n, res, &enhanced);
        if (res->n > 0)
            res->agent = enhanced ? "Sendmail" : "V5sendmail";
        goto done;
    }
    /* the addresses Sendmail lists before the transcript, in order: they
     * stand in for a broken Final-Recipient ("RFC822; @host") */
    {
        const char *t = m->tx;
        const char *p = sx_bt_ifind(t, m->txlen, "following addresses had");
        const char *q = p ? sx_bt_ifind(p, m->txlen - (size_t)(p - t),
                                        "transcript of session") : NULL;
        size_t k = 0;
        sx_btlines it;
        sx_str l;
        sx_bt_lines_init(&it, p, p ? (size_t)((q ? q : t + m->txlen) - p) : 0);
        sx_bt_next_line(&it, &l);
        while (p && it.count < 1000 && sx_bt_next_line(&it, &l)) {
            sx_str a;
            if (!sx_bgeneric_addr_line(l, &a) || l.p[0] == ' ')
                continue;
            if (k < res->n && strchr(res->r[k].recipient, '@') != NULL &&
                res->r[k].recipient[0] != '@') {
                k++;
                continue;
            }
            if (k < res->n &&
                (st = sx_bres_set(res, &res->r[k].recipient, a.p, a.len)))
                goto done;
            k++;
        }
    }
    for (size_t i = 0; i < res->n; i++) {
        sx_brcpt *rc = &res->r[i];
        if (rc->diag[0] != '\0' && strspn(rc->diag, "0123456789") ==
                                       strlen(rc->diag)) {
            /* a mailer's exit code ("X-Unix; 255"): Sendmail's verdict
             * line says what it means ("554 5.3.0 unknown mailer error") */
            for (size_t k = n; k > 0; k--) {
                const tline *x = &tl[k - 1];
                if (x->kind == 'v' &&
                    sx_bt_reply_code(x->text.p, x->text.len) >= 400) {
                    st = sx_bres_set(res, &rc->diag, x->text.p, x->text.len);
                    break;
                }
            }
            if (st != SMTPDX_OK)
                goto done;
        }
        const tline *a = answer_for(tl, n, rc);
        for (size_t k = 0; a == NULL && k < n; k++)
            if (tl[k].kind == '<' &&
                sx_bt_reply_code(tl[k].text.p, tl[k].text.len) >= 400)
                a = &tl[k];
        if (a != NULL) {
            rc->command = a->cmd;
            if (rc->rhost[0] == '\0' &&
                (st = sx_bres_set(res, &rc->rhost, a->host.p, a->host.len)))
                goto done;
        }
        if (rc->diag[0] == '\0') {
            /* no Diagnostic-Code: Sendmail's verdict on this recipient
             * ("554 <user@...>... Service unavailable") */
            const tline *v = NULL;
            size_t vi = 0;
            for (size_t k = 0; k < n; k++) {
                if (tl[k].kind != 'v' ||
                    sx_bt_reply_code(tl[k].text.p, tl[k].text.len) < 400)
                    continue;
                if (v == NULL || mentions(tl[k].text, rc->recipient)) {
                    v = &tl[k];
                    vi = k;
                }
            }
            if (v != NULL) {
                /* with what a local delivery agent printed just before it
                 * ("mail.local: unknown user: kijitora") */
                size_t k0 = vi;
                while (k0 > 0 && tl[k0 - 1].kind == 'v' &&
                       sx_bt_reply_code(tl[k0 - 1].text.p,
                                        tl[k0 - 1].text.len) == 0 &&
                       vi - k0 < 5)
                    k0--;
                const char *b = tl[k0].text.p;
                const char *e = v->text.p + v->text.len;
                if ((st = sx_bres_set(res, &rc->diag, b, (size_t)(e - b))))
                    goto done;
            }
        }
        if (rc->diag[0] == '\0') {
            /* or its "Deferred: ..." line ("<a@b>... Deferred: ..."): the
             * one naming it, else one naming no other recipient */
            const tline *dl = NULL;
            const char *dd = NULL;
            for (size_t k = 0; k < n; k++) {
                const char *d = sx_bt_ifind(tl[k].text.p, tl[k].text.len,
                                            "deferred:");
                if (tl[k].kind != 'v' || d == NULL)
                    continue;
                if (mentions(tl[k].text, rc->recipient)) {
                    dl = &tl[k], dd = d;
                    break;
                }
                int other = 0;
                for (size_t o = 0; o < res->n && !other; o++)
                    other = o != i && mentions(tl[k].text, res->r[o].recipient);
                if (dl == NULL && !other)
                    dl = &tl[k], dd = d;
            }
            if (dl != NULL) {
                dd += 9;
                st = sx_bres_set(res, &rc->diag, dd,
                                 dl->text.len - (size_t)(dd - dl->text.p));
            }
            if (st != SMTPDX_OK)
                goto done;
        }
    }
done:
    sx_free(tl);
    return st;
}

const sx_detector sx_det_sendmail = {"Sendmail", sendmail_match,
                                     sendmail_extract};
