/*
 * bounce_transcript.c - the SMTP session a notice pastes, read for the
 * failed command, the error answer and the server that gave it.
 *
 * Notices quote the dialogue in several shapes: arrows (">>> RCPT
 * TO:<a@b>" and "<<< 550 ..."; "Sent <<<" and "Received >>>" the other way
 * round; "-->" and "<--" after a session log's time stamp), "<Product>
 * sent:" over "Remote server replied:", or the bare command line and the
 * answer under it. The free-text reader (bounce_generic.c) asks here
 * whether a recipient's block of lines is such a transcript; a report's
 * recipients that lack a command or an answer are filled from one here
 * too.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/bounce_generic.h"
#include "bounce/bounce_lines.h"
#include "bounce/bounce_text.h"

static int same(sx_str a, sx_str b)
{
    return a.len == b.len && a.len > 0 && sx_bt_ieq(a.p, b.p, a.len);
}

/* The length of a transcript prefix that t opens with: for what was sent
 * (">>> ", or "Sent <<< " as some gateways write it, arrows the other way
 * round) when sent is set, else for what came back ("<<< ", "Received
 * >>> "). 0 when there is none. */
size_t sx_btx_arrow(sx_str t, int sent)
{
    static const char *const out[] = {">>> ", "sent <<< ", "sent >>> ",
                                      "--> ", NULL};
    static const char *const in[] = {"<<< ", "received >>> ",
                                     "received <<< ", "<-- ",
                                     "remote server replied: ", NULL};
    for (const char *const *x = sent ? out : in; *x; x++)
        if (sx_bt_iprefix(t.p, t.len, *x))
            return strlen(*x);
    /* a session log's lines open with a time stamp and a colon
     * ("Tue 2026-12-01 10:20:44.600: <-- 550 ..."): the arrow after it */
    const char *mark = sent ? "--> " : "<-- ";
    /* from colon to colon (memchr): most lines have none there */
    size_t lim = t.len >= 6 ? t.len - 5 : 0;
    if (lim > 48)
        lim = 48;
    for (size_t i = 8; i < lim; i++) {
        const char *c = memchr(t.p + i, ':', lim - i);
        if (c == NULL)
            break;
        i = (size_t)(c - t.p);
        if (t.p[i + 1] == ' ' && t.p[i - 1] >= '0' && t.p[i - 1] <= '9' &&
            memcmp(t.p + i + 2, mark, 4) == 0)
            return i + 6;
    }
    /* "<Product> sent: RCPT TO:<a@b>", one word before "sent:" */
    if (sent) {
        size_t w = 0;
        while (w < t.len && w < 32 && t.p[w] != ' ' && t.p[w] != ':')
            w++;
        if (w > 0 && sx_bt_iprefix(t.p + w, t.len - w, " sent: "))
            return w + 7;
    }
    return 0;
}

/* "RCPT TO:<a@b>" -> "RCPT"; "." (the end of the message) -> "DATA". */
static const char *sent_command(sx_str t)
{
    static const char *const cmds[][2] = {
        {"rcpt", "RCPT"}, {"mail", "MAIL"}, {"data", "DATA"},
        {"bdat", "DATA"}, {"ehlo", "EHLO"}, {"helo", "HELO"},
        {"lhlo", "EHLO"}, {"starttls", "STARTTLS"}, {"auth", "AUTH"},
    };
    if (t.len == 1 && t.p[0] == '.')
        return "DATA";
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        size_t k = strlen(cmds[i][0]);
        if (sx_bt_iprefix(t.p, t.len, cmds[i][0]) &&
            (t.len == k || t.p[k] == ' ' || t.p[k] == ':'))
            return cmds[i][1];
    }
    return NULL;
}

/* A transcript line that gives a command as sent, with no arrow before
 * it ("RCPT TO:<a@b>", "MAIL FROM:<a@b>", "DATA"): the command. Stricter
 * than sent_command, since a sentence may open with "Mail ...". */
const char *sx_btx_bare_command(sx_str t)
{
    if (sx_bt_iprefix(t.p, t.len, "rcpt to:"))
        return "RCPT";
    if (sx_bt_iprefix(t.p, t.len, "mail from:"))
        return "MAIL";
    if ((t.len == 4 || (t.len > 4 && t.p[4] == ' ')) &&
        sx_bt_iprefix(t.p, t.len, "data"))
        return t.len == 4 ? "DATA" : NULL;
    return NULL;
}

/* The answer a transcript line holds: an error code (4xx, 5xx) first. */
int sx_btx_error_answer(sx_str t)
{
    return t.len >= 3 && (t.p[0] == '4' || t.p[0] == '5') &&
           t.p[1] >= '0' && t.p[1] <= '9' && t.p[2] >= '0' && t.p[2] <= '9' &&
           (t.len == 3 || t.p[3] == ' ' || t.p[3] == '-');
}

/* The host a transcript's line names before the commands: "Remote server
 * 192.0.2.25 (mx.example.org) issued an error." (its name when it gives
 * one, else the address in or out of parentheses). Empty when none, or
 * when what it names has no dot. */
static sx_str session_host(sx_str t)
{
    const char *w = sx_bt_ifind(t.p, t.len, "remote server ");
    const char *e = t.p + t.len;
    sx_str best = {NULL, 0};
    if (w == NULL || sx_bt_ifind(t.p, t.len, " issued an error") == NULL)
        return best;
    w += 14;
    /* the first token, in parentheses or not, then a name in them */
    for (int k = 0; k < 2 && w < e; k++) {
        if (*w == '(')
            w++;
        else if (k == 1)
            break;
        size_t h = sx_bt_host_len(w, (size_t)(e - w));
        if (h == 0)
            break;
        int named = 0;
        for (size_t i = 0; i < h && !named; i++)
            named = (w[i] | 0x20) >= 'a' && (w[i] | 0x20) <= 'z';
        if (best.len == 0 || named)
            best = sx_bt_str(w, h);
        if (named)
            break;
        w += h;
        while (w < e && (*w == ')' || *w == ' '))
            w++;
    }
    if (best.len == 0 || memchr(best.p, '.', best.len) == NULL)
        return sx_bt_str(NULL, 0);
    return best;
}

/* A session transcript under an address ("mx.example.org [192.0.2.25]:",
 * ">>> RCPT TO:<a@b>", "<<< 550 5.1.1 ... User unknown"): the error answer
 * alone is the reply (with its continuation lines), the command sent
 * before it is the command and a "host [address]:" line before that names
 * the remote host. 1 when the block held such an answer. */
int sx_btx_read(sx_bres *res, sx_brcpt *rc, const char *p, const char *e,
                sx_sbuf *tmp, smtpdx_status *st)
{
    sx_btlines it;
    sx_str l, host = {NULL, 0};
    const char *cmd = NULL, *c;
    int full = 0, in_answer = 0, bare = 0;
    sx_sbuf_reset(tmp);
    sx_bt_lines_init(&it, p, (size_t)(e - p));
    while (it.count < 60 && sx_bt_next_line(&it, &l)) {
        sx_str t = sx_bt_trim(l), a = t;
        size_t k = sx_btx_arrow(t, 0);
        if (k > 0)
            a = sx_bt_trim(sx_bt_str(t.p + k, t.len - k));
        /* without arrows, a line with a code after a command line */
        if (k > 0 || (bare && t.len > 3 && t.p[0] >= '2' && t.p[0] <= '5' &&
                      t.p[1] >= '0' && t.p[1] <= '9' && t.p[2] >= '0' &&
                      t.p[2] <= '9' && (t.p[3] == ' ' || t.p[3] == '-'))) {
            if (!in_answer && !sx_btx_error_answer(a))
                continue; /* a greeting or an accepted command */
            in_answer = 1;
            if ((*st = sx_bgeneric_piece(tmp, a, &full)) != SMTPDX_OK)
                return 1;
            continue;
        }
        if (in_answer)
            break; /* the answer ends where the transcript does */
        if ((k = sx_btx_arrow(t, 1)) > 0) {
            c = sent_command(sx_bt_trim(sx_bt_str(t.p + k, t.len - k)));
            if (c != NULL)
                cmd = c;
        } else if ((c = sx_btx_bare_command(t)) != NULL) {
            cmd = c;
            bare = 1;
        } else if (cmd == NULL && t.len > 4 && t.p[t.len - 1] == ':' &&
                   t.p[t.len - 2] == ']') {
            /* "mx.example.org [192.0.2.25]:" */
            size_t h = sx_bt_host_len(t.p, t.len);
            if (h > 0 && h + 2 < t.len && t.p[h] == ' ' && t.p[h + 1] == '[')
                host = sx_bt_str(t.p, h);
        } else if (cmd == NULL) {
            /* Sendmail's "... while talking to mx.example.org.:" */
            const char *w = sx_bt_ifind(t.p, t.len, "while talking to ");
            sx_str sh;
            if (w != NULL) {
                w += 17;
                size_t rest = t.len - (size_t)(w - t.p);
                size_t h = sx_bt_host_len(w, rest);
                if (h > 0)
                    host = sx_bt_str(w, h);
            } else if (host.len == 0 && (sh = session_host(t)).len > 0) {
                host = sh;
            }
        }
    }
    if (!in_answer)
        return 0;
    *st = sx_bres_set(res, &rc->diag, tmp->data ? tmp->data : "", tmp->len);
    if (*st == SMTPDX_OK && cmd != NULL && rc->command[0] == '\0')
        *st = sx_bres_set(res, &rc->command, cmd, strlen(cmd));
    if (*st == SMTPDX_OK && host.len > 0 && rc->rhost[0] == '\0')
        *st = sx_bres_set(res, &rc->rhost, host.p, host.len);
    return 1;
}

/* Where the text holds a session transcript under a recipient of the
 * report ("<a@b>:", "[192.0.2.25] mx.example.org:", ">>> RCPT TO:<a@b>",
 * "<<< 550 ..."), as Courier writes beside its delivery-status part: the
 * command that the answer came back to, the answer itself when the report
 * gives none (a delay notice without Diagnostic-Code), and the host. A
 * command is taken only when the transcript's answer has the code of the
 * report's own reply, so that it is that reply's command. */
smtpdx_status sx_bgeneric_fill_transcript(sx_bmail *m, sx_bres *res)
{
    if (m->tx == NULL || res->n == 0)
        return SMTPDX_OK;
    size_t need = 0;
    for (size_t i = 0; i < res->n; i++)
        if (res->r[i].command[0] == '\0' || res->r[i].diag[0] == '\0')
            need++;
    /* no arrow and no bare RCPT TO in the text: no transcript to read,
     * and the lines are not walked */
    const uint32_t *at = m->marks.at;
    if (need == 0 ||
        (at[MK_TX_OUT] == SX_BMARK_NONE && at[MK_TX_IN] == SX_BMARK_NONE &&
         at[MK_TX_LOG] == SX_BMARK_NONE &&
         at[MK_TX_REPLIED] == SX_BMARK_NONE &&
         at[MK_JAMES_RCPT] == SX_BMARK_NONE))
        return SMTPDX_OK;

    smtpdx_status st = SMTPDX_OK;
    sx_btlines it;
    sx_str l, a;
    sx_brcpt *cur = NULL;
    const char *from = NULL;
    const char *end = m->tx + m->body_end;
    sx_bt_lines_init(&it, m->tx, m->body_end);
    for (;;) {
        int more = it.count < SX_BOUNCE_MAX_LINES && sx_bt_next_line(&it, &l);
        int is_addr = more && sx_bgeneric_addr_line(l, &a);
        if (cur != NULL && (!more || is_addr || sx_bl_rule(sx_bt_trim(l)))) {
            /* the block under cur's address ends here */
            sx_brcpt t = *cur;
            t.diag = t.command = t.rhost = "";
            if (sx_btx_read(res, &t, from, more ? l.p : end, &m->scratch2,
                           &st)) {
                if (st != SMTPDX_OK)
                    return st;
                int same_code = cur->diag[0] == '\0' ||
                    (strlen(cur->diag) >= 3 && strlen(t.diag) >= 3 &&
                     memcmp(cur->diag, t.diag, 3) == 0 &&
                     sx_btx_error_answer(sx_bt_str(t.diag, strlen(t.diag))));
                if (cur->diag[0] == '\0')
                    cur->diag = t.diag;
                if (same_code && cur->command[0] == '\0')
                    cur->command = t.command;
                if (same_code && cur->rhost[0] == '\0')
                    cur->rhost = t.rhost;
            }
            cur = NULL;
        }
        if (!more)
            break;
        if (!is_addr)
            continue;
        for (size_t i = 0; i < res->n && cur == NULL; i++) {
            sx_brcpt *rc = &res->r[i];
            if ((rc->command[0] == '\0' || rc->diag[0] == '\0') &&
                (same(sx_bt_str(rc->recipient, strlen(rc->recipient)), a) ||
                 same(sx_bt_str(rc->alias, strlen(rc->alias)), a)))
                cur = rc;
        }
        from = l.p + l.len;
    }
    return st;
}
