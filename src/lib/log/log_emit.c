/*
 * log_emit.c - from a dialect's event to a counted, classified record.
 *
 * The dialect parsers know what happened (deferred, bounced, expired,
 * rejected, sent) and which spans of the line say to whom and why; this
 * file applies the caller's time window, keeps the counters, asks the
 * classifier (through the cache) about the reply and fills an
 * smtpdx_record with the same fields a bounce would use for the same
 * meaning: recipient, addresser, destination, rhost, replycode,
 * deliverystatus, diagnosticcode, smtpcommand, timestamp, action, plus the
 * log's own queueid, relay, dsn_status and delay.
 */
#include <stdio.h>
#include <string.h>

#include "log/log.h"
#include "record/record.h"
#include "classify/ctx.h"
#include "classify/mx_host.h"
#include "kb/kb.h"
#include "util/addr.h"

/* As the bounce judge reads it: a resolver error about a host that is not
 * the recipient's domain means the domain's MX names a host without an
 * address. Applied after the cache, which knows only the reply's text. */
static smtpdx_status mx_host(smtpdx_record *r, sx_span reply)
{
    const char *at;
    size_t n;
    const smtpdx_kb_entry *e;
    if ((n = sx_mx_host_reading(r->reason, r->why.cause, reply.p, reply.n,
                                r->destination, &at)) == 0 ||
        (e = smtpdx_kb_find(SX_MX_HOST_ENTRY)) == NULL)
        return SMTPDX_OK;
    r->why.entry = e;
    r->why.who = e->who;
    r->why.retry = e->retry;
    r->why.matched_by = SMTPDX_MATCH_TEXT;
    smtpdx_status st = sx_record_sets(r, &r->why.cause, e->cause);
    if (st == SMTPDX_OK)
        st = sx_record_set(r, &r->matched_text, at, n);
    return st;
}

static smtpdx_log_counts *count_for(smtpdx_log_counts *c, enum sx_evkind k,
                                    uint64_t **field)
{
    switch (k) {
    case SX_EV_SENT: *field = &c->sent; break;
    case SX_EV_DEFERRED: *field = &c->deferred; break;
    case SX_EV_BOUNCED: *field = &c->bounced; break;
    case SX_EV_EXPIRED: *field = &c->expired; break;
    case SX_EV_REJECTED: *field = &c->rejected; break;
    }
    return c;
}

static void count(smtpdx_logparser *p, enum sx_evkind k)
{
    uint64_t *f = NULL;
    count_for(&p->st.total, k, &f);
    if (f)
        (*f)++;
    int h = p->now.hour;
    if (h >= 0 && h < 24) {
        f = NULL;
        count_for(&p->st.by_hour[h], k, &f);
        if (f)
            (*f)++;
    }
    int64_t t = p->now.t;
    if (t) {
        if (p->st.first == 0 || t < p->st.first)
            p->st.first = t;
        if (t > p->st.last)
            p->st.last = t;
    }
}

/* The class digit a reply starts with ("450 ..." -> 4), 0 when none. */
static int lead_class(sx_span s)
{
    /* "550 ..." or, as a milter's reply is logged, "4.7.1 ..." */
    if (s.n >= 3 && (s.p[0] == '4' || s.p[0] == '5' || s.p[0] == '2') &&
        ((sx_is_digit(s.p[1]) && sx_is_digit(s.p[2])) ||
         (s.p[1] == '.' && sx_is_digit(s.p[2]))))
        return s.p[0] - '0';
    return 0;
}

/* The basic code a reply starts with ("250 2.0.0 Ok" -> 250); 0 when it
 * starts otherwise, with an enhanced code alone ("2.0.0 Ok: queued", as
 * Sendmail logs what the next hop said) among them. */
static int lead_code(sx_span s)
{
    if (lead_class(s) == 0 || !sx_is_digit(s.p[1]) ||
        (s.n > 3 && s.p[3] != ' ' && s.p[3] != '-'))
        return 0;
    return (s.p[0] - '0') * 100 + (s.p[1] - '0') * 10 + (s.p[2] - '0');
}

/* Is s an enhanced status code (RFC 3463: class 2, 4 or 5, then one to
 * three digits twice)? A log's dsn= field is copied to deliverystatus
 * only then; a damaged one ("4.4.", "4.0.13.990") says nothing. */
static int dsn_ok(sx_span s)
{
    size_t i = 0;
    if (s.n < 5 || (s.p[0] != '2' && s.p[0] != '4' && s.p[0] != '5') ||
        s.p[1] != '.')
        return 0;
    i = 2;
    for (int part = 0; part < 2; part++) {
        size_t d = i;
        while (i < s.n && sx_is_digit(s.p[i]) && i - d < 4)
            i++;
        if (i == d || i - d > 3)
            return 0;
        if (part == 0) {
            if (i >= s.n || s.p[i] != '.')
                return 0;
            i++;
        }
    }
    return i == s.n;
}

/* The SMTP command a log names ("RCPT", "end of DATA" made "DATA" by
 * the dialect), upper-cased into out when it is one; 0 when it is none
 * (a word of a damaged line). */
static int command_ok(sx_span c, char out[12])
{
    static const char *const known[] = {
        "CONN", "HELO", "EHLO", "LHLO", "STARTTLS", "AUTH", "MAIL", "RCPT",
        "DATA", "BDAT", "QUIT", "RSET", "NOOP", "VRFY", "EXPN", "ETRN",
        "XCLIENT", "XFORWARD", NULL};
    if (c.n == 0 || c.n > 8)
        return 0;
    for (size_t i = 0; i < c.n; i++) {
        char ch = c.p[i];
        out[i] = ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
    }
    out[c.n] = '\0';
    for (size_t k = 0; known[k]; k++)
        if (strcmp(out, known[k]) == 0)
            return 1;
    return 0;
}

static const char *action_of(const sx_logevent *ev)
{
    switch (ev->kind) {
    case SX_EV_SENT: return "delivered";
    case SX_EV_DEFERRED: return "delayed";
    case SX_EV_REJECTED: {
        int cls = ev->replycode ? ev->replycode / 100 : lead_class(ev->reply);
        if (cls == 0 && dsn_ok(ev->dsn))
            cls = ev->dsn.p[0] - '0';
        if (cls == 0)
            cls = ev->temporary_hint ? 4 : 5;
        return cls == 4 ? "delayed" : "failed";
    }
    default: return "failed";
    }
}

#define SET(field, span)                                                   \
    do {                                                                   \
        if ((span).n &&                                                    \
            (st = sx_record_set(r, &r->field, (span).p, (span).n)) !=      \
                SMTPDX_OK)                                                 \
            goto fail;                                                     \
    } while (0)
#define SETS(field, str)                                                   \
    do {                                                                   \
        if ((str) && *(str) &&                                             \
            (st = sx_record_sets(r, &r->field, (str))) != SMTPDX_OK)       \
            goto fail;                                                     \
    } while (0)

smtpdx_status sx_log_emit(smtpdx_logparser *p, smtpdx_ctx *ctx,
                          const sx_logevent *ev, smtpdx_records *out)
{
    int64_t t = p->now.t;
    if (t && p->opt.since && t < p->opt.since)
        return SMTPDX_OK;
    if (t && p->opt.until && t >= p->opt.until)
        return SMTPDX_OK;
    count(p, ev->kind);
    if (out == NULL || (ev->kind == SX_EV_SENT && !p->opt.all))
        return SMTPDX_OK;

    smtpdx_status st = SMTPDX_OK;
    smtpdx_record *r = sx_records_add(out);
    if (r == NULL)
        return SMTPDX_ERR_NOMEM;
    const char *action = action_of(ev);
    char dsn[16] = "", rhost[SX_Q_HOST_MAX], cmd[12];
    int good_dsn = dsn_ok(ev->dsn), good_cmd = command_ok(ev->command, cmd);
    if (good_dsn)
        sx_q_copy(dsn, sizeof dsn, ev->dsn);
    /* (pointers: the SET macros test what they are given) */
    const char *dsn_s = good_dsn ? dsn : NULL;
    const char *cmd_s = good_cmd ? cmd : NULL;
    sx_q_copy(rhost, sizeof rhost, ev->rhost);

    SETS(action, action);
    SETS(smtpagent, ev->agent);
    SET(queueid, ev->queueid);
    /* one spelling per mailbox, as in bounce records (util/addr.h) */
    char plain[320];
    sx_span rcpt = ev->recipient;
    size_t pk = sx_addr_plain(rcpt.p, rcpt.n, plain, sizeof plain);
    if (pk > 0)
        rcpt = sx_span_make(plain, pk);
    SET(recipient, rcpt);
    SET(alias, ev->alias);
    SET(addresser, ev->sender);
    SET(senderdomain, sx_span_domain(ev->sender));
    SET(destination, sx_span_domain(rcpt));
    SET(relay, ev->relay);
    SET(lhost, ev->lhost);
    SET(dsn_status, ev->dsn);
    SET(delay, ev->delay);
    SET(diagnosticcode, ev->reply);
    SET(messageid, ev->msgid);
    r->timestamp = t;
    {
        /* "+hhmm", by hand (snprintf would cost a tenth of the record) */
        int off = p->now.off, a = off < 0 ? -off : off;
        int hh = (a / 3600) % 100, mm = (a / 60) % 60;
        char *z = r->timezoneoffset;
        z[0] = off < 0 ? '-' : '+';
        z[1] = (char)('0' + hh / 10);
        z[2] = (char)('0' + hh % 10);
        z[3] = (char)('0' + mm / 10);
        z[4] = (char)('0' + mm % 10);
        z[5] = '\0';
    }
    if (p->origin[0]) {
        /* "name:line", built by hand: printf costs more than the rest of
         * the record */
        char o[sizeof p->origin + 24], digits[24];
        size_t ol = strlen(p->origin), dn = 0;
        uint64_t v = p->origin_line;
        do {
            digits[dn++] = (char)('0' + v % 10);
            v /= 10;
        } while (v && dn < sizeof digits);
        memcpy(o, p->origin, ol);
        o[ol++] = ':';
        while (dn)
            o[ol++] = digits[--dn];
        if ((st = sx_record_set(r, &r->origin, o, ol)) != SMTPDX_OK)
            goto fail;
    }

    if (ev->kind == SX_EV_SENT) {
        SETS(deliverystatus, dsn_s);
        SET(rhost, ev->rhost);
        SETS(smtpcommand, cmd_s);
        r->replycode = ev->replycode ? ev->replycode : lead_code(ev->reply);
        r->reason = SMTPDX_R_DELIVERED;
        r->why.reason = SMTPDX_R_DELIVERED;
        r->why.temporary = -1;
        return SMTPDX_OK;
    }

    const sx_clsresult *res = NULL;
    /* Without a status in the log, the action still tells the classifier
     * the class (RFC 3464 2.3.3: "failed" is permanent, "delayed" not). */
    const char *status = dsn[0] ? dsn : NULL;
    /* Postfix and Sendmail write X.0.0 when the reply carried no enhanced
     * code: it says only the class, which the action already gives, and
     * must not outweigh what the reply's own words say. */
    if (status && strcmp(status + 1, ".0.0") == 0)
        status = NULL;
    /* Without the remote host's name, the recipient's domain may name the
     * provider whose wording the reply is in, as in bounce records; only
     * a domain that names one is passed, so that the cache keeps one
     * entry per wording for all the others. */
    const char *phost = rhost[0] && !sx_host_is_address(rhost) ? rhost : NULL;
    char dom[SX_Q_HOST_MAX];
    if (phost == NULL) {
        sx_q_copy(dom, sizeof dom, sx_span_domain(rcpt));
        if (dom[0] && sx_kb_provider_by_host(dom, ctx->seen) >= 0)
            phost = dom;
    }
    st = sx_clscache_classify(p->cache, ctx, ev->reply, status, phost, action,
                              &res);
    if (st != SMTPDX_OK)
        goto fail;
    r->replycode = ev->replycode ? ev->replycode : res->replycode;
    SETS(deliverystatus, dsn_s ? dsn_s : res->enhanced);
    SETS(smtpcommand, cmd_s ? cmd_s : res->command);
    if (ev->rhost.n)
        SET(rhost, ev->rhost);
    else
        SETS(rhost, res->rhost);
    if (r->replycode)
        SETS(diagnostictype, "SMTP");
    if ((st = sx_record_set_why(r, &res->why, NULL, 0)) != SMTPDX_OK)
        goto fail;
    /* The cache may reuse its slot: the record keeps its own copies. */
    r->why.cause = NULL;
    r->why.provider = NULL;
    if (res->why.cause &&
        (st = sx_record_sets(r, &r->why.cause, res->why.cause)) != SMTPDX_OK)
        goto fail;
    if (res->why.provider && (st = sx_record_sets(r, &r->why.provider,
                                                  res->why.provider)) !=
                                 SMTPDX_OK)
        goto fail;
    SETS(matched_text, res->matched);
    if ((st = mx_host(r, ev->reply)) != SMTPDX_OK)
        goto fail;
    if (ev->kind == SX_EV_EXPIRED) {
        /* The message was returned: whatever kept it waiting, the reason
         * is that it ran out of time, and it will not be retried. The
         * cause stays what kept failing; who acts and what to do are the
         * expiry's (the last reply's "let the server retry" no longer
         * holds, and somebody must now act). */
        const smtpdx_kb_entry *x = smtpdx_kb_find("text.expired.queue");
        r->reason = r->why.reason = SMTPDX_R_EXPIRED;
        r->why.temporary = 0;
        r->hardbounce = smtpdx_reason_is_hard(SMTPDX_R_EXPIRED, 0);
        if (x != NULL) {
            r->why.entry = x;
            r->why.who = x->who;
            r->why.retry = x->retry;
        }
        /* the rule is the expiry's: so is the evidence, when the log said
         * it apart from the reply of an earlier attempt */
        if (ev->said.n > 0) {
            r->why.matched_by = SMTPDX_MATCH_REPORT;
            if ((st = sx_record_set(r, &r->matched_text, ev->said.p,
                                    ev->said.n)) != SMTPDX_OK)
                goto fail;
        }
    }
    return SMTPDX_OK;
fail:
    sx_records_pop(out);
    return st;
}

void sx_log_event_from_entry(sx_logevent *ev, const sx_qentry *e)
{
    if (e == NULL)
        return;
    if (e->has_from && ev->sender.n == 0)
        ev->sender = sx_span_make(e->from, strlen(e->from));
    if (ev->msgid.n == 0 && e->msgid[0])
        ev->msgid = sx_span_make(e->msgid, strlen(e->msgid));
}

smtpdx_status sx_log_emit_expired(smtpdx_logparser *p, smtpdx_ctx *ctx,
                                  const sx_qentry *e, const char *agent,
                                  sx_span qid, sx_span said,
                                  smtpdx_records *out)
{
    sx_logevent ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = SX_EV_EXPIRED;
    ev.agent = agent;
    ev.queueid = qid;
    ev.lhost = p->host;
    ev.said = said;
    sx_log_event_from_entry(&ev, e);
    if (e == NULL || e->nrcpt == 0) {
        ev.dsn = sx_span_make("4.4.7", 5); /* RFC 3463: delivery time expired */
        return sx_log_emit(p, ctx, &ev, out);
    }
    for (unsigned i = 0; i < e->nrcpt; i++) {
        const sx_qrcpt *r = &e->rcpt[i];
        ev.recipient = sx_span_make(r->addr, strlen(r->addr));
        ev.reply = sx_span_make(r->reply, strlen(r->reply));
        ev.dsn = r->dsn[0] ? sx_span_make(r->dsn, strlen(r->dsn))
                           : sx_span_make("4.4.7", 5);
        ev.relay = sx_span_make(r->relay, strlen(r->relay));
        smtpdx_status st = sx_log_emit(p, ctx, &ev, out);
        if (st != SMTPDX_OK)
            return st;
    }
    return SMTPDX_OK;
}
