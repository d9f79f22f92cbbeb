/*
 * log_exim.c - the Exim mainlog dialect.
 *
 * After the stamp (and an optional "[pid]"), a line about a message
 * starts with its id, "1xX8xq-0005eW-0t" (Exim up to 4.96) or
 * "1xX8xq-00000005eW-0tAB" (4.97 on), then a flag:
 *   <=  arrival: sender, S=size, id=message-id, H=client
 *   =>  delivery; ->  a further address of the same delivery;
 *   *>  delivery suppressed (-N)
 *   **  delivery failed for good ("retry timeout exceeded": expired)
 *   ==  delivery deferred
 *   Completed  the message left the queue
 * Rejects at SMTP time have no id or one without a flag:
 *   "H=(helo) [addr] F=<a> rejected RCPT <b>: text",
 *   "... temporarily rejected ...", "ID rejected from <a> H=...: text".
 * Failure texts look like "SMTP error from remote mail server after RCPT
 * TO:<b>: 550 5.1.1 ..." (the remote reply follows the command) or are
 * Exim's own ("defer (111): Connection refused").
 */
#include <string.h>

#include "log/log.h"

static const sx_span none = {"", 0};

static int id_char(char c)
{
    return sx_is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Length of an Exim message id at the start of s, followed by a space or
 * the end; 0 when there is none. */
static size_t exim_id(sx_span s)
{
    static const size_t shapes[2][3] = {{6, 6, 2}, {6, 11, 4}};
    for (int k = 0; k < 2; k++) {
        size_t i = 0;
        int ok = 1;
        for (int part = 0; part < 3 && ok; part++) {
            for (size_t j = 0; j < shapes[k][part]; j++, i++)
                if (i >= s.n || !id_char(s.p[i]))
                    ok = 0;
            if (ok && part < 2) {
                if (i >= s.n || s.p[i] != '-')
                    ok = 0;
                i++;
            }
        }
        if (ok && (i == s.n || s.p[i] == ' '))
            return i;
    }
    return 0;
}

/* The value of " K=" (or K= at the start): a token, or for H= a host
 * with its "[addr]", for F= an address in angle brackets; a value in
 * double quotes (C="250 OK id=...") is given without its quotes and ends
 * at the first quote that no backslash escapes. */
static int exim_field(sx_span s, char key, sx_span *val)
{
    for (size_t i = 0; i + 1 < s.n; i++) {
        if (s.p[i] != key || s.p[i + 1] != '=' || (i > 0 && s.p[i - 1] != ' '))
            continue;
        sx_span v = sx_span_skip(s, i + 2);
        size_t e;
        if (key == 'H') {
            /* "name [addr]", "(helo) [addr]", "name (helo) [addr]" */
            size_t rb = sx_span_chr(sx_span_head(v, 320), ']');
            e = rb < v.n && rb < 320 ? rb + 1 : sx_span_chr(v, ' ');
        } else if (v.n && v.p[0] == '"') {
            size_t q = 1;
            while (q < v.n && v.p[q] != '"')
                q += v.p[q] == '\\' ? 2 : 1;
            *val = sx_span_head(sx_span_skip(v, 1), q - 1);
            return 1;
        } else if (v.n && v.p[0] == '<') {
            e = sx_span_chr(v, '>');
            e = e < v.n ? e + 1 : v.n;
        } else {
            e = sx_span_chr(v, ' ');
        }
        *val = sx_span_head(v, e);
        return 1;
    }
    return 0;
}

/* "name [addr]" -> "name"; "(helo) [addr]" and "[addr]" have none. */
static sx_span host_name(sx_span h)
{
    if (h.n == 0 || h.p[0] == '(' || h.p[0] == '[')
        return none;
    return sx_span_head(h, sx_span_chr(h, ' '));
}

/* Split "SMTP error from remote mail server after RCPT TO:<b>: 550 ..."
 * into the command and the remote reply; other texts stay whole. */
static void split_smtp_error(sx_span text, sx_span *reply, sx_span *cmd)
{
    *reply = text;
    *cmd = none;
    size_t a = SX_FIND(text, " after ");
    if (!SX_STARTS(text, "SMTP error from remote ") || a >= text.n)
        return;
    sx_span c = sx_span_skip(text, a + 7);
    if (SX_STARTS(c, "pipelined "))
        c = sx_span_skip(c, 10);
    /* "sending data block": BDAT's chunk, the message text as DATA's */
    if (SX_STARTS(c, "end of data") || SX_STARTS(c, "DATA") ||
        SX_STARTS(c, "sending data block"))
        *cmd = sx_span_make("DATA", 4);
    else if (SX_STARTS(c, "initial connection"))
        *cmd = sx_span_make("CONN", 4);
    else {
        /* "RCPT TO:<b>" -> "RCPT", "EHLO name" -> "EHLO" */
        size_t sp = sx_span_chr(c, ' '), co = sx_span_chr(c, ':');
        *cmd = sx_span_head(c, sp < co ? sp : co);
    }
    /* the reply: after the first ": " that a reply code follows */
    size_t off = 0;
    while (off < c.n) {
        sx_span rest = sx_span_skip(c, off);
        size_t k = SX_FIND(rest, ": ");
        if (k >= rest.n)
            break;
        sx_span r = sx_span_skip(rest, k + 2);
        if (r.n >= 3 && sx_is_digit(r.p[0]) && sx_is_digit(r.p[1]) &&
            sx_is_digit(r.p[2])) {
            *reply = r;
            return;
        }
        off += k + 2;
    }
}

/* "addr [<orig>] ..." after a flag: the address, the original address
 * and the rest of the line. */
static void addresses(sx_span s, sx_span *addr, sx_span *orig, sx_span *rest)
{
    size_t sp = sx_span_chr(s, ' ');
    *addr = sx_span_head(s, sp);
    /* "addr: text", but ":blackhole:" is a name that ends in a colon */
    if (SX_ENDS(*addr, ":") && addr->p[0] != ':')
        addr->n--;
    *rest = sx_span_skip(s, sp + 1);
    *orig = none;
    if (rest->n && rest->p[0] == '<') {
        size_t gt = sx_span_chr(*rest, '>');
        if (gt < rest->n) {
            *orig = sx_span_make(rest->p + 1, gt - 1);
            *rest = sx_span_skip(*rest, gt + 1);
        }
    }
}

static int delivery(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span qid,
                    char flag, sx_span s, smtpdx_records *out,
                    smtpdx_status *st)
{
    sx_logevent ev;
    memset(&ev, 0, sizeof ev);
    ev.agent = "Exim";
    ev.queueid = qid;
    ev.lhost = p->host;
    sx_span addr, orig, rest;
    addresses(s, &addr, &orig, &rest);
    /* a local delivery logs the local part first and the address in
     * angle brackets: the recipient is the one with a domain; a message
     * discarded by a redirect (":blackhole:") has no other name */
    if (sx_span_chr(addr, '@') >= addr.n && orig.n) {
        ev.recipient = orig;
        ev.alias = addr.n && addr.p[0] == ':' ? none : addr;
    } else {
        ev.recipient = addr;
        ev.alias = orig;
    }
    sx_span h = none, f = none;
    exim_field(rest, 'H', &h);
    ev.relay = h;
    ev.rhost = host_name(h);
    if (exim_field(rest, 'F', &f))
        ev.sender = sx_span_unangle(f);
    sx_qentry *e = sx_logq_get(&p->q, qid, p->now.t, 0, st);
    sx_log_event_from_entry(&ev, e);
    if (h.n == 0 && flag != '=' && flag != '-' && flag != '*' && e != NULL &&
        e->tried[0]) {
        /* a failed connection names its host on a line of its own, just
         * before the deferral ("ID H=mx [addr] Connection refused") */
        ev.relay = sx_span_make(e->tried, strlen(e->tried));
        ev.rhost = host_name(ev.relay);
    }
    sx_span text = none;
    if (flag == '=' || flag == '-' || flag == '*') {
        ev.kind = SX_EV_SENT;
        sx_span c;
        if (exim_field(rest, 'C', &c)) {
            /* a multi-line confirmation (as after CHUNKING) is logged
             * with escaped newlines, "250- ...\\n250 OK id=...": the
             * last line is the final answer (RFC 5321 4.2.1) */
            size_t nl = SX_RFIND(c, "\\n");
            ev.reply = nl < c.n ? sx_span_skip(c, nl + 2) : c;
        }
    } else {
        size_t from = 0;
        if (flag == 'd') {
            size_t d = SX_FIND(rest, "defer (");
            from = d < rest.n ? d : 0;
        }
        sx_span after = sx_span_skip(rest, from);
        size_t colon = SX_FIND(after, ": ");
        if (colon < after.n)
            text = sx_span_skip(after, colon + 2);
        else if (SX_STARTS(s, ": ") || (addr.n < s.n && s.p[addr.n] == ':'))
            text = sx_span_trim(sx_span_skip(s, addr.n + 1));
        if (flag == 'd') {
            ev.kind = SX_EV_DEFERRED;
        } else if (SX_FIND(text, "retry timeout exceeded") < text.n ||
                   SX_FIND(text, "after a long failure period") < text.n) {
            ev.kind = SX_EV_EXPIRED;
        } else {
            ev.kind = SX_EV_BOUNCED;
        }
        split_smtp_error(text, &ev.reply, &ev.command);
    }
    *st = sx_log_emit(p, ctx, &ev, out);
    return 1;
}

/* "[H=...] [F=<a>] [temporarily ]rejected STAGE ...: text" */
static int reject(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span qid, sx_span s,
                  size_t at, smtpdx_records *out, smtpdx_status *st)
{
    sx_logevent ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = SX_EV_REJECTED;
    ev.agent = "Exim";
    ev.queueid = qid;
    ev.rhost = p->host;
    sx_span before = sx_span_head(s, at);
    ev.temporary_hint = SX_ENDS(before, "temporarily ");
    sx_span after = sx_span_skip(s, at + 9); /* "rejected " */
    size_t colon = SX_FIND(after, ": ");
    sx_span stage = sx_span_head(after, colon);
    if (colon < after.n)
        ev.reply = sx_span_skip(after, colon + 2);
    sx_span h = none, f = none;
    if (!exim_field(before, 'H', &h))
        exim_field(stage, 'H', &h);
    if (exim_field(before, 'F', &f) || exim_field(stage, 'F', &f))
        ev.sender = sx_span_unangle(f);
    ev.relay = h;
    ev.lhost = host_name(h);
    if (SX_STARTS(stage, "RCPT ")) {
        ev.command = sx_span_make("RCPT", 4);
        sx_span a = sx_span_skip(stage, 5);
        ev.recipient = sx_span_unangle(sx_span_head(a, sx_span_chr(a, ' ')));
    } else if (SX_STARTS(stage, "MAIL ")) {
        ev.command = sx_span_make("MAIL", 4);
        sx_span a = sx_span_skip(stage, 5);
        if (SX_STARTS(a, "FROM:"))
            a = sx_span_skip(a, 5);
        if (ev.sender.n == 0)
            ev.sender = sx_span_unangle(sx_span_head(a, sx_span_chr(a, ' ')));
    } else if (SX_STARTS(stage, "from ") || SX_STARTS(stage, "after DATA")) {
        ev.command = sx_span_make("DATA", 4);
        if (ev.sender.n == 0 && SX_STARTS(stage, "from ")) {
            sx_span a = sx_span_skip(stage, 5);
            ev.sender = sx_span_unangle(sx_span_head(a, sx_span_chr(a, ' ')));
        }
    } else if (SX_STARTS(stage, "connection")) {
        ev.command = sx_span_make("CONN", 4);
    } else if (SX_STARTS(stage, "EHLO") || SX_STARTS(stage, "HELO")) {
        ev.command = sx_span_make("EHLO", 4);
    }
    if (qid.n)
        sx_log_event_from_entry(&ev, sx_logq_get(&p->q, qid, p->now.t, 0, st));
    *st = sx_log_emit(p, ctx, &ev, out);
    return 1;
}

/* Where "rejected " starts as a word, or s.n. */
static size_t rejected_at(sx_span s)
{
    if (SX_STARTS(s, "rejected "))
        return 0;
    size_t k = SX_FIND(s, " rejected ");
    return k < s.n ? k + 1 : s.n;
}

int sx_log_exim(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span msg,
                smtpdx_records *out, smtpdx_status *st)
{
    *st = SMTPDX_OK;
    size_t il = exim_id(msg);
    if (il == 0) {
        size_t k = rejected_at(msg);
        if (k < msg.n && (k == 0 || SX_STARTS(msg, "H=") ||
                          SX_FIND(sx_span_head(msg, k), " H=") < k))
            return reject(p, ctx, none, msg, k, out, st);
        return 1; /* queue runs, daemon start, warnings */
    }
    sx_span qid = sx_span_head(msg, il);
    sx_span s = sx_span_skip(msg, il + 1);
    if (s.n >= 3 && s.p[2] == ' ') {
        char a = s.p[0], b = s.p[1];
        sx_span body = sx_span_skip(s, 3);
        if (a == '<' && b == '=') {
            sx_qentry *e = sx_logq_get(&p->q, qid, p->now.t, 1, st);
            if (e == NULL)
                return 1;
            sx_span from = sx_span_head(body, sx_span_chr(body, ' ')), v;
            sx_q_copy(e->from, sizeof e->from, sx_span_unangle(from));
            e->has_from = 1;
            if (exim_field(body, 'S', &v)) {
                uint64_t n = 0;
                for (size_t i = 0; i < v.n && i < 19 && sx_is_digit(v.p[i]);
                     i++)
                    n = n * 10 + (uint64_t)(v.p[i] - '0');
                e->size = n;
            }
            size_t idk = SX_FIND(body, " id=");
            if (idk < body.n) {
                sx_span id = sx_span_skip(body, idk + 4);
                sx_q_copy(e->msgid, sizeof e->msgid,
                          sx_span_head(id, sx_span_chr(id, ' ')));
            }
            sx_span h;
            if (exim_field(body, 'H', &h))
                sx_q_copy(e->client, sizeof e->client, h);
            p->st.received++;
            return 1;
        }
        if ((a == '=' || a == '-' || a == '*') && b == '>')
            return delivery(p, ctx, qid, a, body, out, st);
        if (a == '*' && b == '*')
            return delivery(p, ctx, qid, 'b', body, out, st);
        if (a == '=' && b == '=')
            return delivery(p, ctx, qid, 'd', body, out, st);
    }
    if (SX_EQ(s, "Completed") || SX_STARTS(s, "Completed ")) {
        sx_logq_remove(&p->q, sx_logq_get(&p->q, qid, p->now.t, 0, st));
        return 1;
    }
    size_t k = rejected_at(s);
    if (k < s.n)
        return reject(p, ctx, qid, s, k, out, st);
    sx_span h;
    if (SX_STARTS(s, "H=") && exim_field(s, 'H', &h)) {
        /* "ID H=mx [addr] Connection refused" (or timed out): kept for
         * the deferral or failure line that follows without a host */
        sx_qentry *e = sx_logq_get(&p->q, qid, p->now.t, 0, st);
        if (e != NULL)
            sx_q_copy(e->tried, sizeof e->tried, h);
    }
    return 1;
}
