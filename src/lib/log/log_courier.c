/*
 * log_courier.c - the Courier dialect (courierd, courieresmtp,
 * courierlocal and the other courier* modules), as Courier 1.0 logs
 * through syslog. Each delivery attempt of one recipient writes the
 * answer it got, then its outcome, on two lines:
 *   "id=ID,from=<a>,addr=<b>: 550 5.1.1 <b>: ... User unknown"
 *   "id=ID,from=<a>,addr=<b>,status: failure"      (deferred, success)
 * and courierd notes each message that enters the queue:
 *   "newmsg,id=ID: dns; localhost (localhost [127.0.0.1])"
 * Its SMTP server (courieresmtpd) logs what it refuses a client:
 *   "error,relay=IP,port=N,from=<a>,to=<b>: 550 User <b> unknown"
 * The message id (inode.time.pid in hex) keys the queue table; the
 * answer waits there, under the recipient, for the outcome line.
 */
#include <string.h>

#include "log/log.h"

static const sx_span none = {"", 0};

/* "id=ID,from=<a>,addr=<b>" at the start of s: the three values and
 * where the part after addr's '>' starts. 0 when s is not so. */
static int head(sx_span s, sx_span *id, sx_span *from, sx_span *addr,
                size_t *rest)
{
    if (!SX_STARTS(s, "id="))
        return 0;
    size_t c = sx_span_chr(s, ',');
    if (c >= s.n)
        return 0;
    *id = sx_span_make(s.p + 3, c - 3);
    sx_span t = sx_span_skip(s, c + 1);
    if (!SX_STARTS(t, "from=<"))
        return 0;
    size_t gt = sx_span_chr(t, '>');
    if (gt >= t.n)
        return 0;
    *from = sx_span_make(t.p + 6, gt - 6);
    t = sx_span_skip(t, gt + 1);
    if (!SX_STARTS(t, ",addr=<"))
        return 0;
    gt = sx_span_chr(t, '>');
    if (gt >= t.n)
        return 0;
    *addr = sx_span_make(t.p + 7, gt - 7);
    *rest = (size_t)(t.p + gt + 1 - s.p);
    return id->n > 0;
}

/* Courier's SMTP server refusing a client: "error,relay=IP,port=N,
 * from=<a>,to=<b>: 550 User <b> unknown" (a recipient), without "to=" a
 * refused sender. This server is the one that refused (rhost), the client
 * is the other end (lhost). */
static int refused(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span msg,
                   smtpdx_records *out, smtpdx_status *st)
{
    size_t colon = sx_span_find(msg, ": ", 2);
    if (colon >= msg.n)
        return 1;
    sx_span fields = sx_span_head(msg, colon);
    sx_logevent ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = SX_EV_REJECTED;
    ev.agent = "Courier";
    ev.reply = sx_span_skip(msg, colon + 2);
    ev.rhost = p->host;
    /* the list has no blank after its commas: a plain value ends at one */
    if (SX_FIELD(fields, "relay=", &ev.lhost))
        ev.lhost = sx_span_head(ev.lhost, sx_span_chr(ev.lhost, ','));
    if (SX_FIELD(fields, "from=", &ev.sender))
        ev.sender = sx_span_unangle(ev.sender);
    if (SX_FIELD(fields, "to=", &ev.recipient))
        ev.recipient = sx_span_unangle(ev.recipient);
    ev.command = ev.recipient.n ? sx_span_make("RCPT", 4)
                                : sx_span_make("MAIL", 4);
    *st = sx_log_emit(p, ctx, &ev, out);
    return 1;
}

int sx_log_courier(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span msg,
                   smtpdx_records *out, smtpdx_status *st)
{
    *st = SMTPDX_OK;
    if (SX_STARTS(msg, "error,relay="))
        return refused(p, ctx, msg, out, st);
    if (SX_STARTS(msg, "newmsg,id=")) {
        sx_span id = sx_span_skip(msg, 10);
        id = sx_span_head(id, sx_span_chr(id, ':'));
        if (sx_logq_get(&p->q, id, p->now.t, 1, st) != NULL)
            p->st.received++;
        return 1;
    }
    sx_span id, from, addr;
    size_t at;
    if (!head(msg, &id, &from, &addr, &at))
        return 1;
    sx_span rest = sx_span_skip(msg, at);
    sx_qentry *e = sx_logq_get(&p->q, id, p->now.t, 1, st);
    if (*st != SMTPDX_OK)
        return 1;
    if (SX_STARTS(rest, ": ")) {
        /* the answer: kept until the outcome line says what it meant */
        if (e)
            sx_qentry_defer(e, addr, sx_span_skip(rest, 2), none, none);
        return 1;
    }
    if (!SX_STARTS(rest, ",status: "))
        return 1; /* ",success: delivered: ...": the status line follows */
    sx_span status = sx_span_skip(rest, 9);
    sx_logevent ev;
    memset(&ev, 0, sizeof ev);
    if (SX_EQ(status, "success"))
        ev.kind = SX_EV_SENT;
    else if (SX_EQ(status, "deferred"))
        ev.kind = SX_EV_DEFERRED;
    else if (SX_EQ(status, "failure"))
        ev.kind = SX_EV_BOUNCED;
    else
        return 1;
    ev.agent = "Courier";
    ev.queueid = id;
    ev.lhost = p->host;
    ev.sender = from;
    ev.recipient = addr;
    ev.reply = status;
    const sx_qrcpt *r = sx_qentry_find(e, addr);
    if (r != NULL)
        ev.reply = sx_span_make(r->reply, strlen(r->reply));
    *st = sx_log_emit(p, ctx, &ev, out);
    /* a deferred answer stays for the next attempt's outcome */
    if (e && ev.kind != SX_EV_DEFERRED)
        sx_qentry_done(e, addr);
    return 1;
}
