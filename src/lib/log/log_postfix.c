/*
 * log_postfix.c - the Postfix dialect.
 *
 * What Postfix logs about a message, by the daemon that logs it:
 *   smtpd     "QID: client=host[addr]", rejects
 *             "NOQUEUE: reject: RCPT from host[addr]: 550 5.1.1 <x>: ...;
 *              from=<a> to=<b> proto=ESMTP helo=<h>" (QID instead of
 *             NOQUEUE once a recipient was accepted), and anvil's
 *             "warning: Connection concurrency limit exceeded: ..."
 *   pickup    "QID: uid=0 from=<a>"
 *   cleanup   "QID: message-id=<m>", header/body and milter rejects
 *   qmgr      "QID: from=<a>, size=N, nrcpt=N (queue active)",
 *             "QID: from=<a>, status=expired, returned to sender",
 *             "QID: removed"
 *   smtp, lmtp, local, virtual, pipe, error, discard
 *             "QID: to=<b>, orig_to=<c>, relay=host[addr]:port, delay=D,
 *              delays=a/b/c/d, dsn=X.Y.Z, status=sent|deferred|bounced (why)"
 *             (status=SOFTBOUNCE under soft_bounce=yes: a deferral)
 * A status line gives one event for one recipient; the sender comes from
 * the qmgr line remembered in the queue table. "removed" ends the entry.
 */
#include <string.h>

#include "log/log.h"

static const sx_span none = {"", 0};

/* "host[addr]:port" -> "host"; "none", "local" and the like have no
 * remote host. */
static sx_span host_of(sx_span relay)
{
    size_t br = sx_span_chr(relay, '[');
    if (br >= relay.n)
        return none;
    return sx_span_head(relay, br);
}

/* "RCPT TO" -> "RCPT", "end of DATA" -> "DATA", "MAIL FROM" -> "MAIL". */
static sx_span command_word(sx_span c)
{
    if (SX_STARTS(c, "end of ")) {
        size_t sp = sx_span_rchr(c, ' ');
        return sx_span_skip(c, sp + 1);
    }
    return sx_span_head(c, sx_span_chr(c, ' '));
}

/* Split a status text into the remote reply and the command it answered:
 * "host h[a] said: 550 5.1.1 ... (in reply to RCPT TO command)". Texts of
 * Postfix's own making ("connect to h[a]:25: Connection refused") are the
 * reply as they are. */
static void split_said(sx_span text, sx_span *reply, sx_span *cmd)
{
    *reply = text;
    *cmd = none;
    size_t said = SX_FIND(text, " said: ");
    if (said < text.n && (SX_STARTS(text, "host ") ||
                          SX_STARTS(text, "delivery temporarily suspended: ")))
        *reply = sx_span_skip(text, said + 7);
    size_t rt = SX_FIND(text, " refused to talk to me: ");
    if (rt < text.n && SX_STARTS(text, "host ")) {
        /* the greeting was an error (RFC 5321 3.1: 554 or 421) */
        *reply = sx_span_skip(text, rt + 24);
        *cmd = sx_span_make("CONN", 4);
        return;
    }
    size_t irt = SX_RFIND(*reply, " (in reply to ");
    if (irt < reply->n && SX_ENDS(*reply, " command)")) {
        sx_span c = sx_span_skip(*reply, irt + 14);
        c.n -= 9;
        *cmd = command_word(c);
        *reply = sx_span_head(*reply, irt);
    }
}

static int delivery(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span qid,
                    sx_span s, smtpdx_records *out, smtpdx_status *st)
{
    /* One pass over "key=value, key=value, ..., status=word (text)": the
     * fields come in a fixed order, so each is read where it starts rather
     * than searched for. A value in angle brackets ends at its '>' (an
     * address may hold ", "). */
    sx_logevent ev;
    memset(&ev, 0, sizeof ev);
    sx_span to = none, orig = none, rest = s, stat = none;
    for (int guard = 0; rest.n && guard < 32; guard++) {
        size_t eq = sx_span_chr(sx_span_head(rest, 16), '=');
        if (eq >= rest.n || eq >= 16)
            return 1;
        sx_span key = sx_span_head(rest, eq);
        sx_span v = sx_span_skip(rest, eq + 1);
        if (SX_EQ(key, "status")) {
            stat = v;
            break;
        }
        size_t end = sx_value_end(v);
        sx_span val = sx_span_head(v, end);
        switch (key.p[0]) {
        case 't':
            if (SX_EQ(key, "to"))
                to = val;
            break;
        case 'o':
            if (SX_EQ(key, "orig_to"))
                orig = val;
            break;
        case 'r':
            if (SX_EQ(key, "relay"))
                ev.relay = val;
            break;
        case 'd':
            if (SX_EQ(key, "delay"))
                ev.delay = val;
            else if (SX_EQ(key, "dsn"))
                ev.dsn = val;
            break;
        default:
            break;
        }
        rest = sx_span_skip(v, end);
        if (!SX_STARTS(rest, ", "))
            return 1;
        rest = sx_span_skip(rest, 2);
    }
    size_t sp = sx_span_chr(stat, ' ');
    sx_span word = sx_span_head(stat, sp);
    sx_span text = sx_span_skip(stat, sp + 1);
    if (SX_STARTS(text, "(") && SX_ENDS(text, ")")) {
        text.p++;
        text.n -= 2;
    }
    if (SX_EQ(word, "sent"))
        ev.kind = SX_EV_SENT;
    else if (SX_EQ(word, "deferred") || SX_EQ(word, "SOFTBOUNCE"))
        /* soft_bounce=yes keeps what would have bounced in the queue (its
         * dsn then starts with 4): a deferral, with the refusal's reply */
        ev.kind = SX_EV_DEFERRED;
    else if (SX_EQ(word, "bounced"))
        ev.kind = SX_EV_BOUNCED;
    else if (SX_EQ(word, "expired"))
        ev.kind = SX_EV_EXPIRED;
    else
        return 1; /* deliverable/undeliverable: address probes, not mail */
    ev.recipient = sx_span_unangle(to);
    ev.alias = sx_span_unangle(orig);
    ev.rhost = host_of(ev.relay);
    ev.lhost = p->host;
    ev.agent = "Postfix";
    ev.queueid = qid;
    if (ev.kind == SX_EV_SENT)
        ev.reply = text; /* the remote's 250 text, no diagnosis needed */
    else
        split_said(text, &ev.reply, &ev.command);

    sx_qentry *e = sx_logq_get(&p->q, qid, p->now.t, 1, st);
    if (*st != SMTPDX_OK)
        return 1;
    sx_log_event_from_entry(&ev, e);
    if (e) {
        if (ev.kind == SX_EV_DEFERRED)
            sx_qentry_defer(e, ev.recipient, ev.reply, ev.dsn, ev.relay);
        else
            sx_qentry_done(e, ev.recipient);
    }
    *st = sx_log_emit(p, ctx, &ev, out);
    return 1;
}

/* The end of the reply in a reject line: where Postfix appends what it
 * knows of the session (smtpd_check.c writes "; from=<> to=<> proto=
 * helo=<>", each part only when known). */
static size_t reply_end(sx_span s)
{
    static const struct {
        const char *lit;
        size_t n;
    } tails[] = {
        {"; from=<", 8}, {"; to=<", 6}, {"; proto=", 8}, {"; helo=<", 8},
    };
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        size_t k = sx_span_rfind(s, tails[i].lit, tails[i].n);
        if (k < s.n)
            return k;
    }
    return s.n;
}

static sx_span stage_command(sx_span stage)
{
    if (SX_EQ(stage, "END-OF-MESSAGE") || SX_EQ(stage, "header") ||
        SX_EQ(stage, "body") || SX_EQ(stage, "BDAT"))
        return sx_span_make("DATA", 4);
    if (SX_EQ(stage, "CONNECT"))
        return sx_span_make("CONN", 4);
    return stage;
}

/* "reject: RCPT from h[a]: 550 ...; from=<a> to=<b> proto=ESMTP helo=<h>"
 * (s starts at the stage word, after "reject: "). */
static int reject(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span qid,
                  sx_span s, smtpdx_records *out, smtpdx_status *st)
{
    size_t sp = sx_span_chr(s, ' ');
    sx_span stage = sx_span_head(s, sp);
    sx_span rest = sx_span_skip(s, sp + 1);
    sx_logevent ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = SX_EV_REJECTED;
    ev.agent = "Postfix";
    ev.queueid = qid;
    ev.command = stage_command(stage);
    ev.rhost = p->host;
    sx_span tail;
    if (SX_EQ(stage, "header") || SX_EQ(stage, "body")) {
        /* cleanup: "header Subject: x from h[a]; from=<> ... helo=<h>: 5.7.1
         * text" - the reply comes last */
        size_t f = SX_RFIND(rest, "; from=<");
        if (f >= rest.n)
            return 1;
        tail = sx_span_skip(rest, f + 2);
        sx_span head = sx_span_head(rest, f);
        size_t fr = SX_RFIND(head, " from ");
        if (fr < head.n)
            ev.relay = sx_span_skip(head, fr + 6);
        size_t h = SX_FIND(tail, "helo=<");
        size_t from = h < tail.n ? h : 0;
        sx_span after = sx_span_skip(tail, from);
        size_t colon = SX_FIND(after, ": ");
        if (colon >= after.n)
            return 1;
        ev.reply = sx_span_skip(after, colon + 2);
        tail = sx_span_head(tail, from + colon);
    } else {
        if (!SX_STARTS(rest, "from "))
            return 1;
        rest = sx_span_skip(rest, 5);
        size_t colon = SX_FIND(rest, ": ");
        if (colon >= rest.n)
            return 1;
        ev.relay = sx_span_head(rest, colon);
        rest = sx_span_skip(rest, colon + 2);
        size_t e = reply_end(rest);
        ev.reply = sx_span_head(rest, e);
        tail = sx_span_skip(rest, e + 2);
    }
    sx_span from = none, to = none;
    SX_FIELD(tail, "from=", &from);
    SX_FIELD(tail, "to=", &to);
    ev.sender = sx_span_unangle(from);
    ev.recipient = sx_span_unangle(to);
    ev.lhost = host_of(ev.relay);
    if (qid.n) {
        sx_qentry *e = sx_logq_get(&p->q, qid, p->now.t, 0, st);
        sx_log_event_from_entry(&ev, e);
    }
    *st = sx_log_emit(p, ctx, &ev, out);
    return 1;
}

/* anvil limits reported by smtpd as warnings; the client was answered
 * with the reply smtpd gives for that limit (see smtpd(8),
 * smtpd_client_connection_count_limit and the *_rate_limit settings). */
static int limit_warning(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span s,
                         smtpdx_records *out, smtpdx_status *st)
{
    static const struct {
        const char *lit;
        size_t n;
        const char *reply;
    } limits[] = {
        {"Connection concurrency limit exceeded: ", 39,
         "421 4.7.0 Error: too many connections from "},
        {"Connection rate limit exceeded: ", 32,
         "421 4.7.0 Error: too many connections from "},
        {"Message delivery request rate limit exceeded: ", 46,
         "421 4.7.0 Error: too many message delivery requests from "},
        {"Recipient address rate limit exceeded: ", 39,
         "450 4.7.1 Error: too many recipients from "},
        {"New TLS session rate limit exceeded: ", 37,
         "421 4.7.0 Error: too many new TLS sessions from "},
    };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        if (!sx_span_starts(s, limits[i].lit, limits[i].n))
            continue;
        /* "2 from unknown[127.0.0.1] for service 127.0.0.1:2530" */
        sx_span rest = sx_span_skip(s, limits[i].n);
        size_t fr = SX_FIND(rest, " from ");
        if (fr >= rest.n)
            return 1;
        rest = sx_span_skip(rest, fr + 6);
        sx_span client = sx_span_head(rest, sx_span_chr(rest, ' '));
        size_t lb = sx_span_chr(client, '['), rb = sx_span_rchr(client, ']');
        sx_span addr = client;
        if (lb < client.n && rb < client.n && rb > lb)
            addr = sx_span_make(client.p + lb + 1, rb - lb - 1);
        char reply[256];
        size_t rl = strlen(limits[i].reply);
        size_t al = addr.n < sizeof reply - rl - 1 ? addr.n
                                                   : sizeof reply - rl - 1;
        memcpy(reply, limits[i].reply, rl);
        memcpy(reply + rl, addr.p, al);
        sx_logevent ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = SX_EV_REJECTED;
        ev.agent = "Postfix";
        ev.command = sx_span_make("CONN", 4);
        ev.relay = client;
        ev.lhost = host_of(client);
        ev.rhost = p->host;
        ev.reply = sx_span_make(reply, rl + al);
        *st = sx_log_emit(p, ctx, &ev, out);
        return 1;
    }
    return 1;
}

/* A queue id: 5 to 20 letters and digits with at least one digit or
 * capital (so "fatal" or "warning" are none), then ": ". */
static size_t queue_id(sx_span s)
{
    size_t i = 0;
    int mark = 0;
    while (i < s.n && i <= 20) {
        char c = s.p[i];
        if (sx_is_digit(c) || (c >= 'A' && c <= 'Z'))
            mark = 1;
        else if (!(c >= 'a' && c <= 'z'))
            break;
        i++;
    }
    if (i < 5 || i > 20 || !mark || i + 1 >= s.n || s.p[i] != ':' ||
        s.p[i + 1] != ' ')
        return 0;
    return i;
}

int sx_log_postfix(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span prog,
                   sx_span msg, smtpdx_records *out, smtpdx_status *st)
{
    (void)prog;
    *st = SMTPDX_OK;
    if (SX_STARTS(msg, "NOQUEUE: ")) {
        sx_span r = sx_span_skip(msg, 9);
        if (SX_STARTS(r, "reject: "))
            return reject(p, ctx, none, sx_span_skip(r, 8), out, st);
        if (SX_STARTS(r, "milter-reject: "))
            return reject(p, ctx, none, sx_span_skip(r, 15), out, st);
        return 1;
    }
    if (SX_STARTS(msg, "warning: "))
        return limit_warning(p, ctx, sx_span_skip(msg, 9), out, st);
    size_t ql = queue_id(msg);
    if (ql == 0)
        return 1; /* connect, disconnect, statistics and the like */
    sx_span qid = sx_span_head(msg, ql);
    sx_span s = sx_span_skip(msg, ql + 2);
    if (s.n == 0)
        return 1;
    sx_qentry *e;
    sx_span v;
    switch (s.p[0]) {
    case 't':
        if (SX_STARTS(s, "to="))
            return delivery(p, ctx, qid, s, out, st);
        break;
    case 'f':
        if (!SX_STARTS(s, "from="))
            break;
        e = sx_logq_get(&p->q, qid, p->now.t, 1, st);
        if (e == NULL)
            return 1;
        if (SX_FIELD(s, "from=", &v)) {
            sx_q_copy(e->from, sizeof e->from, sx_span_unangle(v));
            e->has_from = 1;
        }
        size_t xk = SX_FIND(s, ", status=expired");
        if (xk < s.n) {
            sx_span said = sx_span_skip(s, xk + 2);
            *st = sx_log_emit_expired(p, ctx, e, "Postfix", qid, said, out);
            e->nrcpt = 0;
        } else if (SX_FIELD(s, "size=", &v)) {
            uint64_t n = 0;
            for (size_t i = 0; i < v.n && i < 19 && sx_is_digit(v.p[i]); i++)
                n = n * 10 + (uint64_t)(v.p[i] - '0');
            e->size = n;
        }
        return 1;
    case 'r':
        if (SX_EQ(s, "removed")) {
            sx_logq_remove(&p->q, sx_logq_get(&p->q, qid, p->now.t, 0, st));
            return 1;
        }
        if (SX_STARTS(s, "reject: "))
            return reject(p, ctx, qid, sx_span_skip(s, 8), out, st);
        break;
    case 'm':
        if (SX_STARTS(s, "milter-reject: "))
            return reject(p, ctx, qid, sx_span_skip(s, 15), out, st);
        if (SX_STARTS(s, "message-id=")) {
            e = sx_logq_get(&p->q, qid, p->now.t, 1, st);
            if (e && e->msgid[0] == '\0') {
                sx_q_copy(e->msgid, sizeof e->msgid,
                          sx_span_unangle(sx_span_skip(s, 11)));
                p->st.received++;
            }
            return 1;
        }
        break;
    case 'c':
        if (SX_STARTS(s, "client=")) {
            e = sx_logq_get(&p->q, qid, p->now.t, 1, st);
            if (e && SX_FIELD(s, "client=", &v))
                sx_q_copy(e->client, sizeof e->client, v);
            return 1;
        }
        break;
    case 'u':
        if (SX_STARTS(s, "uid=") && SX_FIELD(s, "from=", &v)) {
            e = sx_logq_get(&p->q, qid, p->now.t, 1, st);
            if (e) {
                sx_q_copy(e->from, sizeof e->from, sx_span_unangle(v));
                e->has_from = 1;
            }
            return 1;
        }
        break;
    default:
        break;
    }
    return 1;
}
