/*
 * log_opensmtpd.c - the OpenSMTPD dialect (syslog tag "smtpd"), as 6.x and
 * later write it: a session id, then what the session did, then
 * key=value fields whose values may be quoted.
 *   "SID smtp envelope evpid=EVP from=<a> to=<b>"            (accepted)
 *   "SID smtp failed-command command="RCPT TO:<b>" result="550 ...""
 *                                                 (the SMTP server refused)
 *   "SID mta delivery evpid=EVP from=<a> to=<b> rcpt=<-> source="ip"
 *    relay="ip (name)" delay=1s result="TempFail" stat="451 ...""
 *                                                 (a relay attempt)
 *   "SID mda delivery evpid=EVP ... user=u delay=0s result=Ok stat=Delivered"
 *                                                 (a local delivery)
 *   "relay: Expire for EVP: from=<a>, to=<b>, rcpt=<->, delay=8s,
 *    stat=Envelope expired"                       (given up, queue ttl)
 * An envelope id (16 hex digits) names one recipient of one message; its
 * first 8 digits are the message id, which keys the queue table so that
 * an expiry can tell the reply of the last attempt. result= is Ok,
 * TempFail, PermFail or Loop.
 */
#include <string.h>

#include "log/log.h"

static const sx_span none = {"", 0};

/* The value of key (given with its '=') in a blank-separated field list:
 * a quoted value runs to its closing quote, a bare one to the next blank.
 * stat= is the last field and its text may hold blanks and quotes of its
 * own (a local mailer's message): it runs to the end of the line, less
 * the quotes around it. */
static int field(sx_span s, const char *key, size_t kl, sx_span *val)
{
    size_t at = sx_key_value_at(s, key, kl, 0);
    if (at == SIZE_MAX)
        return 0;
    sx_span v = sx_span_skip(s, at);
    if (kl == 5 && memcmp(key, "stat=", 5) == 0) {
        if (v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"')
            v = sx_span_make(v.p + 1, v.n - 2);
        *val = v;
    } else if (v.n && v.p[0] == '"') {
        v = sx_span_skip(v, 1);
        *val = sx_span_head(v, sx_span_chr(v, '"'));
    } else {
        *val = sx_span_head(v, sx_span_chr(v, ' '));
    }
    return 1;
}
#define FIELD(s, key, out) field((s), (key), sizeof(key) - 1, (out))

/* "127.0.0.1 (mx.example.net)" -> "mx.example.net"; no name: the address. */
static sx_span relay_host(sx_span relay)
{
    size_t open = sx_span_chr(relay, '(');
    if (open < relay.n && SX_ENDS(relay, ")")) {
        sx_span name = sx_span_make(relay.p + open + 1, relay.n - open - 2);
        if (name.n)
            return name;
    }
    return sx_span_head(relay, sx_span_chr(relay, ' '));
}

/* The message id of an envelope id: its first 8 hex digits. */
static sx_span msg_id(sx_span evpid)
{
    return evpid.n == 16 ? sx_span_head(evpid, 8) : evpid;
}

static int is_hex16(sx_span s)
{
    if (s.n != 16)
        return 0;
    for (size_t i = 0; i < 16; i++) {
        char c = s.p[i];
        if (!sx_is_digit(c) && !(c >= 'a' && c <= 'f'))
            return 0;
    }
    return 1;
}

/* "mta delivery ..." or "mda delivery ...": one attempt for one envelope. */
static int delivery(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span s,
                    int remote, smtpdx_records *out, smtpdx_status *st)
{
    sx_span evpid = none, result = none, stat = none, rcpt = none;
    if (!FIELD(s, "evpid=", &evpid) || !FIELD(s, "result=", &result))
        return 1;
    FIELD(s, "stat=", &stat);
    sx_logevent ev;
    memset(&ev, 0, sizeof ev);
    if (SX_EQ(result, "Ok"))
        ev.kind = SX_EV_SENT;
    else if (SX_EQ(result, "TempFail"))
        ev.kind = SX_EV_DEFERRED;
    else if (SX_EQ(result, "PermFail") || SX_EQ(result, "Loop"))
        ev.kind = SX_EV_BOUNCED;
    else
        return 1;
    ev.agent = "OpenSMTPD";
    ev.queueid = evpid;
    ev.lhost = p->host;
    ev.reply = stat;
    sx_span v;
    if (FIELD(s, "from=", &v))
        ev.sender = sx_span_unangle(v);
    if (FIELD(s, "to=", &v))
        ev.recipient = sx_span_unangle(v);
    /* rcpt= is the address as given at RCPT TO when aliases or a
     * forward changed it ("-" when they did not) */
    if (FIELD(s, "rcpt=", &v)) {
        rcpt = sx_span_unangle(v);
        if (!SX_EQ(rcpt, "-") && !(rcpt.n == ev.recipient.n &&
                                   memcmp(rcpt.p, ev.recipient.p, rcpt.n) == 0))
            ev.alias = rcpt;
    }
    FIELD(s, "delay=", &ev.delay);
    if (remote && FIELD(s, "relay=", &ev.relay))
        ev.rhost = relay_host(ev.relay);
    if (SX_EQ(result, "Loop") && ev.reply.n == 0)
        ev.reply = sx_span_make("Loop detected", 13);

    sx_qentry *e = sx_logq_get(&p->q, msg_id(evpid), p->now.t, 1, st);
    if (*st != SMTPDX_OK)
        return 1;
    if (e) {
        if (ev.kind == SX_EV_DEFERRED)
            sx_qentry_defer(e, ev.recipient, ev.reply, none, ev.relay);
        else
            sx_qentry_done(e, ev.recipient);
        if (ev.sender.n == 0)
            sx_log_event_from_entry(&ev, e);
    }
    *st = sx_log_emit(p, ctx, &ev, out);
    return 1;
}

/* "smtp failed-command command="RCPT TO:<b>" result="550 ..."": this
 * server refused a client. Only the commands that say something about a
 * message count; a refused NOOP or an unknown verb does not. */
static int failed_command(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span s,
                          smtpdx_records *out, smtpdx_status *st)
{
    sx_span cmd = none, result = none;
    if (!FIELD(s, "command=", &cmd) || !FIELD(s, "result=", &result))
        return 1;
    sx_logevent ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = SX_EV_REJECTED;
    ev.agent = "OpenSMTPD";
    ev.lhost = p->host; /* no queue id yet: the session's is no message's */
    ev.reply = result;
    sx_span verb = sx_span_head(cmd, sx_span_chr(cmd, ' '));
    size_t colon = sx_span_chr(cmd, ':');
    sx_span arg = sx_span_trim(sx_span_skip(cmd, colon + 1));
    arg = sx_span_head(arg, sx_span_chr(arg, ' '));
    if (SX_STARTS(cmd, "RCPT TO:") || SX_STARTS(cmd, "rcpt to:")) {
        ev.command = sx_span_make("RCPT", 4);
        ev.recipient = sx_span_unangle(arg);
    } else if (SX_STARTS(cmd, "MAIL FROM:") || SX_STARTS(cmd, "mail from:")) {
        ev.command = sx_span_make("MAIL", 4);
        ev.sender = sx_span_unangle(arg);
    } else if (SX_EQ(verb, "DATA") || SX_EQ(verb, "data") ||
               SX_EQ(cmd, ".")) {
        ev.command = sx_span_make("DATA", 4);
    } else if (SX_EQ(verb, "HELO") || SX_EQ(verb, "EHLO") ||
               SX_EQ(verb, "helo") || SX_EQ(verb, "ehlo")) {
        ev.command = sx_span_make("HELO", 4);
    } else {
        return 1;
    }
    *st = sx_log_emit(p, ctx, &ev, out);
    return 1;
}

/* "relay: Expire for EVP: from=<a>, to=<b>, rcpt=<->, delay=8s, stat=..."
 * (or "delivery: ..." for a local one). Other words in place of Expire
 * (Remove: taken out of the queue by hand) are no delivery outcome. */
static int expire(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span s,
                  smtpdx_records *out, smtpdx_status *st)
{
    size_t k = SX_FIND(s, ": Expire for ");
    if (k >= s.n || k > 10)
        return 1;
    sx_span rest = sx_span_skip(s, k + 13);
    sx_span evpid = sx_span_head(rest, sx_span_chr(rest, ':'));
    if (!is_hex16(evpid))
        return 1;
    rest = sx_span_skip(rest, evpid.n + 1);
    sx_logevent ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = SX_EV_EXPIRED;
    ev.agent = "OpenSMTPD";
    ev.queueid = evpid;
    ev.lhost = p->host;
    ev.dsn = sx_span_make("4.4.7", 5); /* RFC 3463: delivery time expired */
    sx_span v;
    if (SX_FIELD(rest, "from=", &v))
        ev.sender = sx_span_unangle(v);
    if (SX_FIELD(rest, "to=", &v))
        ev.recipient = sx_span_unangle(v);
    if (SX_FIELD(rest, "delay=", &v))
        ev.delay = v;
    size_t sk = SX_FIND(rest, "stat=");
    if (sk < rest.n)
        ev.reply = sx_span_skip(rest, sk + 5);
    /* the reply of the last attempt says more than "Envelope expired" */
    sx_qentry *e = sx_logq_get(&p->q, msg_id(evpid), p->now.t, 0, st);
    const sx_qrcpt *r = sx_qentry_find(e, ev.recipient);
    if (r != NULL && r->reply[0]) {
        ev.said = ev.reply;
        ev.reply = sx_span_make(r->reply, strlen(r->reply));
        ev.relay = sx_span_make(r->relay, strlen(r->relay));
        ev.rhost = relay_host(ev.relay);
    }
    *st = sx_log_emit(p, ctx, &ev, out);
    if (e)
        sx_qentry_done(e, ev.recipient);
    return 1;
}

int sx_log_opensmtpd_bare(sx_span line)
{
    if (SX_STARTS(line, "relay: Expire for ") ||
        SX_STARTS(line, "delivery: Expire for "))
        return 1;
    if (!is_hex16(sx_span_head(line, 16)) || line.n < 17 || line.p[16] != ' ')
        return 0;
    sx_span s = sx_span_skip(line, 17);
    return SX_STARTS(s, "smtp ") || SX_STARTS(s, "mta ") ||
           SX_STARTS(s, "mda ");
}

int sx_log_opensmtpd(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span msg,
                     smtpdx_records *out, smtpdx_status *st)
{
    *st = SMTPDX_OK;
    if (SX_STARTS(msg, "relay: ") || SX_STARTS(msg, "delivery: "))
        return expire(p, ctx, msg, out, st);
    /* a session id: 16 hex digits */
    sx_span sid = sx_span_head(msg, sx_span_chr(msg, ' '));
    if (!is_hex16(sid))
        return 1;
    sx_span s = sx_span_skip(msg, sid.n + 1);
    if (SX_STARTS(s, "mta delivery "))
        return delivery(p, ctx, sx_span_skip(s, 13), 1, out, st);
    if (SX_STARTS(s, "mda delivery "))
        return delivery(p, ctx, sx_span_skip(s, 13), 0, out, st);
    if (SX_STARTS(s, "smtp failed-command "))
        return failed_command(p, ctx, sx_span_skip(s, 20), out, st);
    if (SX_STARTS(s, "smtp envelope ")) {
        sx_span evpid, from;
        s = sx_span_skip(s, 14);
        if (!FIELD(s, "evpid=", &evpid) || !FIELD(s, "from=", &from))
            return 1;
        sx_qentry *e = sx_logq_get(&p->q, msg_id(evpid), p->now.t, 1, st);
        if (e && !e->has_from) {
            sx_q_copy(e->from, sizeof e->from, sx_span_unangle(from));
            e->has_from = 1;
            p->st.received++;
        }
        return 1;
    }
    return 1;
}
