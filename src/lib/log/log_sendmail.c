/*
 * log_sendmail.c - the Sendmail dialect (sendmail, sm-mta, sm-msp-queue).
 *
 * Sendmail logs comma-separated key=value lists after the queue id:
 *   "QID: from=<a>, size=N, class=0, nrcpts=1, msgid=<m>, proto=ESMTP,
 *    daemon=MTA, relay=host [addr]"                          (arrival)
 *   "QID: to=<b>,<c>, delay=00:00:01, xdelay=..., mailer=esmtp, pri=...,
 *    relay=mx. [addr], dsn=5.1.1, stat=User unknown"        (a delivery try)
 *   "QID: ruleset=check_rcpt, arg1=<b>, relay=host [addr],
 *    reject=550 5.7.1 <b>... Relaying denied"               (SMTP-time reject)
 *   "QID: Milter: to=<b>, reject=..."                        (milter reject)
 *   "QID: <b>... User unknown"                               (RCPT refused)
 *   "QID: QID2: DSN: Cannot send message for 5 days"          (expiry;
 *    other versions write "return to sender: Cannot ...")
 * stat= is always last and may hold commas; dsn= gives the class of the
 * outcome (RFC 3463), the stat text says "Sent", "Deferred: why" or the
 * failure. A session's refused recipients come before its from= line
 * ("nrcpts=0" when none was taken), which alone names the sender: they
 * wait for it (log_hold.c).
 */
#include <string.h>

#include "log/log.h"

static const sx_span none = {"", 0};

/* A sendmail queue id ("4ASJ2xYZ012345", 8 to 20 letters and digits) or
 * NOQUEUE, then ": ". Returns its length or 0. */
static size_t queue_id(sx_span s)
{
    size_t i = 0;
    while (i < s.n && i <= 20 &&
           (sx_is_digit(s.p[i]) || (s.p[i] >= 'A' && s.p[i] <= 'Z') ||
            (s.p[i] >= 'a' && s.p[i] <= 'z')))
        i++;
    if (i < 7 || i > 20 || i + 1 >= s.n || s.p[i] != ':' || s.p[i + 1] != ' ')
        return 0;
    return i;
}

/* "mx.example.net. [192.0.2.1]" -> "mx.example.net"; "[addr]" -> "". */
static sx_span relay_host(sx_span relay)
{
    if (relay.n == 0 || relay.p[0] == '[')
        return none;
    sx_span h = sx_span_head(relay, sx_span_chr(relay, ' '));
    if (SX_ENDS(h, "."))
        h.n--;
    return h;
}

/* The value of a field up to ", " (for to= lists) or the line's end. */
static int list_field(sx_span s, const char *key, size_t kl, sx_span *v)
{
    if (!sx_field(s, key, kl, v))
        return 0;
    size_t start = (size_t)(v->p - s.p);
    sx_span rest = sx_span_skip(s, start);
    *v = sx_span_head(rest, SX_FIND(rest, ", "));
    return 1;
}

static int delivery(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span qid,
                    sx_span s, smtpdx_records *out, smtpdx_status *st)
{
    size_t sk = SX_FIND(s, ", stat=");
    if (sk >= s.n)
        return 1;
    sx_span fields = sx_span_head(s, sk);
    sx_span stat = sx_span_skip(s, sk + 7);
    sx_span to = none;
    list_field(fields, "to=", 3, &to);
    sx_logevent ev;
    memset(&ev, 0, sizeof ev);
    ev.agent = "Sendmail";
    ev.queueid = qid;
    ev.lhost = p->host;
    SX_FIELD(fields, "relay=", &ev.relay);
    SX_FIELD(fields, "delay=", &ev.delay);
    SX_FIELD(fields, "dsn=", &ev.dsn);
    ev.rhost = relay_host(ev.relay);
    int cls = ev.dsn.n ? ev.dsn.p[0] - '0' : 0;
    if (cls == 2 || (cls == 0 && SX_STARTS(stat, "Sent")))
        ev.kind = SX_EV_SENT;
    else if (cls == 4 || (cls == 0 && SX_STARTS(stat, "Deferred")))
        ev.kind = SX_EV_DEFERRED;
    else if (cls == 5 || cls == 0)
        ev.kind = SX_EV_BOUNCED;
    else
        return 1;
    if (cls == 0 && (SX_EQ(stat, "queued") || SX_STARTS(stat, "queued ")))
        return 1; /* accepted for a later run: nothing happened yet */
    if (SX_STARTS(stat, "Deferred: "))
        ev.reply = sx_span_skip(stat, 10);
    else if (SX_STARTS(stat, "Sent (") && SX_ENDS(stat, ")"))
        ev.reply = sx_span_make(stat.p + 6, stat.n - 7);
    else
        ev.reply = stat;
    sx_span rep;
    if (ev.kind != SX_EV_SENT && SX_FIELD(fields, "reply=", &rep))
        ev.reply = rep;

    sx_qentry *e = sx_logq_get(&p->q, qid, p->now.t, 1, st);
    if (*st != SMTPDX_OK)
        return 1;
    /* one event per recipient of "to=<a>,<b>" */
    size_t guard = 0;
    while (to.n && guard++ < 1000) {
        size_t c = sx_span_chr(to, ',');
        sx_span one = sx_span_trim(sx_span_head(to, c));
        to = sx_span_skip(to, c + 1);
        ev.recipient = sx_span_unangle(one);
        ev.sender = none;
        ev.msgid = none;
        sx_log_event_from_entry(&ev, e);
        if (e) {
            if (ev.kind == SX_EV_DEFERRED)
                sx_qentry_defer(e, ev.recipient, ev.reply, ev.dsn, ev.relay);
            else
                sx_qentry_done(e, ev.recipient);
        }
        *st = sx_log_emit(p, ctx, &ev, out);
        if (*st != SMTPDX_OK)
            return 1;
    }
    return 1;
}

static int reject(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span qid,
                  sx_span s, smtpdx_records *out, smtpdx_status *st)
{
    size_t rk = SX_FIND(s, "reject=");
    if (rk >= s.n || (rk > 0 && s.p[rk - 1] != ' '))
        return 1;
    sx_span fields = sx_span_head(s, rk);
    sx_logevent ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = SX_EV_REJECTED;
    ev.agent = "Sendmail";
    ev.queueid = SX_EQ(qid, "NOQUEUE") ? none : qid;
    ev.rhost = p->host;
    ev.reply = sx_span_skip(s, rk + 7);
    SX_FIELD(fields, "relay=", &ev.relay);
    ev.lhost = relay_host(ev.relay);
    sx_span rs = none, arg1 = none, v;
    SX_FIELD(fields, "ruleset=", &rs);
    SX_FIELD(fields, "arg1=", &arg1);
    if (SX_EQ(rs, "check_rcpt")) {
        ev.command = sx_span_make("RCPT", 4);
        ev.recipient = sx_span_unangle(arg1);
    } else if (SX_EQ(rs, "check_mail")) {
        ev.command = sx_span_make("MAIL", 4);
        ev.sender = sx_span_unangle(arg1);
    } else if (SX_EQ(rs, "check_relay")) {
        ev.command = sx_span_make("CONN", 4);
    } else if (SX_STARTS(s, "Milter: ")) {
        if (SX_FIELD(fields, "to=", &v)) {
            ev.command = sx_span_make("RCPT", 4);
            ev.recipient = sx_span_unangle(v);
        } else if (SX_FIELD(fields, "from=", &v)) {
            ev.command = sx_span_make("MAIL", 4);
            ev.sender = sx_span_unangle(v);
        } else {
            ev.command = sx_span_make("DATA", 4);
        }
    }
    if (ev.queueid.n)
        sx_log_event_from_entry(&ev, sx_logq_get(&p->q, qid, p->now.t, 0, st));
    if (ev.queueid.n && ev.sender.n == 0 && ev.recipient.n)
        *st = sx_log_hold(p, ctx, &ev, out);
    else
        *st = sx_log_emit(p, ctx, &ev, out);
    return 1;
}

int sx_log_sendmail(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span msg,
                    smtpdx_records *out, smtpdx_status *st)
{
    *st = SMTPDX_OK;
    size_t ql = queue_id(msg);
    /* a client refused at connection time (check_relay: a block list, a
     * rate limit) is logged before any queue id exists */
    if (ql == 0 && SX_STARTS(msg, "ruleset="))
        return reject(p, ctx, sx_span_make("NOQUEUE", 7), msg, out, st);
    if (ql == 0)
        return 1;
    sx_span qid = sx_span_head(msg, ql);
    sx_span s = sx_span_skip(msg, ql + 2);
    sx_span v;
    if (SX_STARTS(s, "from=")) {
        sx_qentry *e = sx_logq_get(&p->q, qid, p->now.t, 1, st);
        if (e == NULL)
            return 1;
        sx_span from = none;
        if (SX_FIELD(s, "from=", &v)) {
            from = sx_span_unangle(v);
            sx_q_copy(e->from, sizeof e->from, from);
            e->has_from = 1;
        }
        if (SX_FIELD(s, "msgid=", &v))
            sx_q_copy(e->msgid, sizeof e->msgid, sx_span_unangle(v));
        if (SX_FIELD(s, "relay=", &v))
            sx_q_copy(e->client, sizeof e->client, v);
        p->st.received++;
        if (p->held.n > 0)
            *st = sx_log_unhold(p, ctx, qid, from, out);
        return 1;
    }
    if (SX_STARTS(s, "to="))
        return delivery(p, ctx, qid, s, out, st);
    if (SX_STARTS(s, "ruleset=") || SX_STARTS(s, "Milter: ") ||
        SX_STARTS(s, "arg1="))
        return reject(p, ctx, qid, s, out, st);
    if (s.n && s.p[0] == '<') {
        /* "<b>... User unknown": the SMTP server refused a recipient. The
         * same words follow a failed queued delivery, which has a to=
         * line of its own: only a message not yet received counts here. */
        size_t dots = SX_FIND(s, ">... ");
        if (dots >= s.n)
            return 1;
        sx_qentry *e = sx_logq_get(&p->q, qid, p->now.t, 0, st);
        if (e && e->has_from)
            return 1;
        sx_logevent ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = SX_EV_REJECTED;
        ev.agent = "Sendmail";
        ev.queueid = qid;
        ev.rhost = p->host;
        ev.command = sx_span_make("RCPT", 4);
        ev.recipient = sx_span_make(s.p + 1, dots - 1);
        ev.reply = sx_span_skip(s, dots + 5);
        *st = sx_log_hold(p, ctx, &ev, out);
        return 1;
    }
    size_t ql2 = queue_id(s);
    if (ql2) {
        sx_span t = sx_span_skip(s, ql2 + 2);
        /* the return of a message whose queue time ran out: "return to
         * sender: " before Sendmail 8.14 wrote "DSN: " there */
        size_t lead = SX_STARTS(t, "return to sender: ") ? 18
                      : SX_STARTS(t, "DSN: ")            ? 5
                                                          : 0;
        sx_span said = sx_span_skip(t, lead);
        if (lead && SX_STARTS(said, "Cannot send message for")) {
            sx_qentry *e = sx_logq_get(&p->q, qid, p->now.t, 0, st);
            *st = sx_log_emit_expired(p, ctx, e, "Sendmail", qid, said, out);
            if (e)
                e->nrcpt = 0;
        }
    }
    return 1;
}
