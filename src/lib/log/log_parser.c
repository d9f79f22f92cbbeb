/*
 * log_parser.c - the public face of the log parser: one line in, its
 * header taken apart, the dialect chosen, records out.
 *
 * Header shapes, tried in this order (cheapest test first):
 *   "<13>1 2026-11-28T03:19:44.1Z host app procid msgid [sd] msg"
 *        RFC 5424 section 6 as rsyslog writes it to a file;
 *   "Nov 28 03:19:44 host prog[pid]: msg"
 *        RFC 3164 / classic syslog, and Postfix's own maillog_file; the
 *        seconds may have a fraction (journalctl -o short-precise), and
 *        a "<PRI>" may come first (the form syslog sends on the wire);
 *   "2026-11-28T03:19:44+01:00 host prog[pid]: msg"
 *        rsyslog's file format and journalctl -o short-iso (also with a
 *        space for the T);
 *   "Sat 2026-11-28 03:19:44 UTC host prog[pid]: msg"
 *        journalctl -o short-full;
 *   "2026-11-28 03:19:44 [+0100] [[pid]] msg"
 *        Exim's mainlog (its message then says what it is);
 *   "0123456789abcdef mta delivery ..."
 *        OpenSMTPD's lines with no header at all (smtpd -d, a container's
 *        log), whose events then have no time;
 *   "{"__REALTIME_TIMESTAMP":..., "MESSAGE":..., ...}"
 *        journalctl -o json (log_journal.c).
 * The program name picks the dialect (postfix/..., exim, sendmail/sm-mta,
 * smtpd: OpenSMTPD's tag, as Postfix's is always "NAME/smtpd"; courier*);
 * a line that fits none is counted as unknown and skipped. A line that
 * starts with white space right after an understood line continues it
 * (Exim writes "Suggested action" lines so) and is not unknown.
 */
#include <string.h>

#include "log/log.h"
#include "util/alloc.h"

#define LINE_MAX_LEN (64u * 1024u)
#define TAG_MAX 128u

void smtpdx_log_options_init(smtpdx_log_options *o)
{
    if (o)
        memset(o, 0, sizeof *o);
}

smtpdx_status smtpdx_logparser_new(const smtpdx_log_options *opt,
                                   smtpdx_logparser **out)
{
    if (out == NULL)
        return SMTPDX_ERR_INVAL;
    *out = NULL;
    smtpdx_logparser *p = sx_calloc(1, sizeof *p);
    if (p == NULL)
        return SMTPDX_ERR_NOMEM;
    if (opt)
        p->opt = *opt;
    sx_clock_init(&p->clock, &p->opt);
    smtpdx_status st = sx_logq_init(&p->q, p->opt.queue_max,
                                    p->opt.queue_max_age);
    if (st == SMTPDX_OK)
        st = sx_clscache_new(&p->cache);
    if (st != SMTPDX_OK) {
        smtpdx_logparser_free(p);
        return st;
    }
    *out = p;
    return SMTPDX_OK;
}

void smtpdx_logparser_free(smtpdx_logparser *p)
{
    if (p == NULL)
        return;
    sx_log_hold_release(p);
    sx_logq_release(&p->q);
    sx_clscache_free(p->cache);
    sx_free(p);
}

smtpdx_status smtpdx_logparser_set_origin(smtpdx_logparser *p,
                                          const char *name)
{
    if (p == NULL)
        return SMTPDX_ERR_INVAL;
    size_t n = name ? strlen(name) : 0;
    sx_q_copy(p->origin, sizeof p->origin, sx_span_make(name ? name : "", n));
    p->origin_line = 0;
    return SMTPDX_OK;
}

const smtpdx_log_stats *smtpdx_logparser_stats(const smtpdx_logparser *p)
{
    return p ? &p->st : NULL;
}

smtpdx_status smtpdx_logparser_finish(smtpdx_logparser *p, smtpdx_ctx *ctx,
                                      smtpdx_records *out)
{
    if (p == NULL)
        return SMTPDX_ERR_INVAL;
    smtpdx_status st = sx_log_hold_sweep(p, ctx, 1, out);
    p->st.evicted = p->q.evicted;
    p->st.aged_out = p->q.aged_out;
    return st;
}

/* Next space-delimited token of s; s moves past it and one space. */
static sx_span token(sx_span *s)
{
    size_t k = sx_span_chr(*s, ' ');
    sx_span t = sx_span_head(*s, k);
    *s = sx_span_skip(*s, k + 1);
    return t;
}

enum dialect {
    D_NONE = 0, D_POSTFIX, D_EXIM, D_SENDMAIL, D_OPENSMTPD, D_COURIER
};

/* Postfix services, the last part of a program name like
 * "postfix-out/smtp" when syslog_name was changed. */
static int postfix_service(sx_span svc)
{
    static const char *const names[] = {
        "smtp", "smtpd", "lmtp", "qmgr", "cleanup", "local", "virtual",
        "pipe", "error", "retry", "bounce", "discard", "postscreen",
        "pickup", "master", "anvil", "scache", "tlsmgr", "trivial-rewrite",
        "verify", "dnsblog", "tlsproxy", "postlogd", "qmqpd", "oqmgr",
        "postsuper", "postdrop", "sendmail", "lmtp", "defer", "trace",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (svc.n == strlen(names[i]) && memcmp(svc.p, names[i], svc.n) == 0)
            return 1;
    return 0;
}

static enum dialect dialect_of(sx_span prog)
{
    if (SX_STARTS(prog, "postfix"))
        return D_POSTFIX;
    /* "sm-acceptingconnections": the ident some systems log for the
     * daemon once Sendmail has set its process title */
    if (SX_EQ(prog, "sendmail") || SX_STARTS(prog, "sm-mta") ||
        SX_STARTS(prog, "sm-msp") || SX_STARTS(prog, "sm-accepting"))
        return D_SENDMAIL;
    if (SX_STARTS(prog, "exim"))
        return D_EXIM;
    if (SX_EQ(prog, "smtpd") || SX_EQ(prog, "opensmtpd"))
        return D_OPENSMTPD;
    if (SX_STARTS(prog, "courier"))
        return D_COURIER;
    size_t slash = sx_span_rchr(prog, '/');
    if (slash < prog.n && postfix_service(sx_span_skip(prog, slash + 1)))
        return D_POSTFIX;
    return D_NONE;
}

/* "host prog[pid]: msg" after a syslog stamp. Returns the dialect and sets
 * *prog and *msg; D_NONE when the shape is not there. */
static enum dialect syslog_tail(smtpdx_logparser *p, sx_span s,
                                sx_span *prog, sx_span *msg)
{
    sx_span host = token(&s);
    if (host.n == 0 || s.n == 0)
        return D_NONE;
    size_t colon = sx_span_find(sx_span_head(s, TAG_MAX), ": ", 2);
    if (colon >= s.n || colon >= TAG_MAX) {
        /* "prog[pid]:" at the end of the line: an empty message */
        return D_NONE;
    }
    sx_span tag = sx_span_head(s, colon);
    size_t br = sx_span_chr(tag, '[');
    *prog = sx_span_head(tag, br);
    *msg = sx_span_skip(s, colon + 2);
    p->host = host;
    return dialect_of(*prog);
}

/* RFC 5424: "<PRI>1 STAMP HOST APP PROCID MSGID SD MSG". */
static enum dialect rfc5424(smtpdx_logparser *p, sx_span s, sx_span *prog,
                            sx_span *msg)
{
    size_t gt = sx_span_chr(sx_span_head(s, 6), '>');
    if (gt >= s.n || gt >= 6)
        return D_NONE;
    s = sx_span_skip(s, gt + 1);
    if (!SX_STARTS(s, "1 "))
        return D_NONE;
    s = sx_span_skip(s, 2);
    size_t k = sx_clock_iso(&p->clock, s, &p->now);
    if (k == 0)
        return D_NONE;
    s = sx_span_skip(s, k);
    sx_span host = token(&s);
    sx_span app = token(&s);
    (void)token(&s); /* procid */
    (void)token(&s); /* msgid */
    if (SX_STARTS(s, "- ")) {
        s = sx_span_skip(s, 2);
    } else if (s.n && s.p[0] == '[') {
        /* structured data: skip "[...]" elements; a ']' inside a value is
         * escaped with a backslash (RFC 5424 6.3.3) */
        size_t i = 0;
        while (i < s.n && s.p[i] == '[') {
            i++;
            while (i < s.n && s.p[i] != ']')
                i += (s.p[i] == '\\') ? 2 : 1;
            i++;
        }
        s = sx_span_skip(s, i);
        if (s.n && s.p[0] == ' ')
            s = sx_span_skip(s, 1);
    }
    /* RFC 5424 6.4: the message may start with a UTF-8 BOM */
    if (SX_STARTS(s, "\xEF\xBB\xBF"))
        s = sx_span_skip(s, 3);
    p->host = host;
    *prog = app;
    *msg = s;
    return dialect_of(app);
}

/* Past the "[pid] " that Exim may write after its stamp. */
static sx_span past_pid(sx_span s)
{
    if (s.n && s.p[0] == '[') {
        size_t e = sx_span_chr(sx_span_head(s, 16), ']');
        if (e < s.n && e + 1 < s.n && s.p[e + 1] == ' ')
            s = sx_span_skip(s, e + 2);
    }
    return s;
}

/* Is the second word of s a syslog tag ("host postfix/smtp[12]: ...")?
 * Exim's words after its stamp (a message id, "<=", "H=...") never end
 * in a colon there, so its lines are not taken apart as syslog's. */
static int tag_second(sx_span s)
{
    size_t h = sx_span_chr(s, ' ');
    if (h == 0 || h >= s.n)
        return 0;
    sx_span t = sx_span_skip(s, h + 1);
    size_t e = sx_span_chr(sx_span_head(t, TAG_MAX), ' ');
    return e > 1 && e < t.n && t.p[e - 1] == ':';
}

/* Exim's lines sent to syslog keep its own stamp (syslog_timestamp is
 * true by default): "exim[123]: 2026-11-28 03:19:47 [+0100] [[pid]] 1xX8..."
 * The text after it; the syslog header's time stands. */
static sx_span exim_unstamp(smtpdx_logparser *p, sx_span msg)
{
    sx_logtime t;
    size_t k = msg.n > 10 && msg.p[10] == ' ' ? sx_clock_iso(&p->clock, msg, &t)
                                               : 0;
    if (k == 0)
        return msg;
    return past_pid(sx_span_skip(msg, k));
}

/* journalctl -o short-full: "Sat 2026-11-28 03:19:44 UTC host ...": a
 * weekday, an ISO date and time, then the zone's abbreviation, which says
 * UTC or else the local time of the reader's zone (the abbreviations of
 * other zones are ambiguous). The length up to the host, or 0. */
static size_t full_stamp(smtpdx_logparser *p, sx_span s)
{
    if (s.n < 30 || s.p[3] != ' ' || !sx_is_digit(s.p[4]) ||
        s.p[14] != ' ' || s.p[0] < 'A' || s.p[0] > 'Z')
        return 0;
    sx_span rest = sx_span_skip(s, 4);
    size_t k = sx_clock_iso(&p->clock, rest, &p->now);
    if (k == 0 || k != 20) /* a zone of its own: not this shape */
        return 0;
    sx_span zone = sx_span_head(sx_span_skip(rest, k),
                                sx_span_chr(sx_span_skip(rest, k), ' '));
    if (zone.n < 3 || zone.n > 5 || 4 + k + zone.n + 1 >= s.n)
        return 0;
    for (size_t i = 0; i < zone.n; i++)
        if (!((zone.p[i] >= 'A' && zone.p[i] <= 'Z') || zone.p[i] == '+' ||
              zone.p[i] == '-' || sx_is_digit(zone.p[i])))
            return 0;
    if (SX_EQ(zone, "UTC") || SX_EQ(zone, "GMT")) {
        p->now.t += p->now.off;
        p->now.off = 0;
    }
    return 4 + k + zone.n + 1;
}

smtpdx_status smtpdx_logparser_feed(smtpdx_logparser *p, smtpdx_ctx *ctx,
                                    const char *line, size_t len,
                                    smtpdx_records *out)
{
    if (p == NULL || (line == NULL && len))
        return SMTPDX_ERR_INVAL;
    p->st.lines++;
    p->origin_line++;
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len > LINE_MAX_LEN) {
        p->st.unknown++;
        p->prev_known = 0;
        return SMTPDX_OK;
    }
    sx_span s = sx_span_make(line, len), prog = {0}, msg = {0};
    enum dialect d = D_NONE;
    size_t k;
    p->host = sx_span_make("", 0);
    void *hold = NULL; /* a journal line's parsed object */
    if (len && line[0] == '{') {
        if (sx_log_journal(p, s, &prog, &msg, &hold))
            d = dialect_of(prog);
    } else if (len && line[0] == '<') {
        d = rfc5424(p, s, &prog, &msg);
        /* "<13>Nov 28 ...": RFC 3164 as it travels, kept by some
         * collectors: the rest is read as any syslog line */
        size_t gt = sx_span_chr(sx_span_head(s, 6), '>');
        if (d == D_NONE && gt < s.n && gt < 6 && gt > 1 &&
            sx_span_digits(s, 1, gt - 1) >= 0)
            s = sx_span_skip(s, gt + 1);
    }
    if (d != D_NONE) {
        /* read above */
    } else if ((k = sx_clock_syslog(&p->clock, s, &p->now)) != 0) {
        d = syslog_tail(p, sx_span_skip(s, k), &prog, &msg);
    } else if ((k = full_stamp(p, s)) != 0) {
        d = syslog_tail(p, sx_span_skip(s, k), &prog, &msg);
    } else if ((k = sx_clock_iso(&p->clock, s, &p->now)) != 0) {
        sx_span rest = sx_span_skip(s, k);
        /* "2026-11-28T..." with a host and a tag after it; so too with a
         * space for the T, but that is first of all Exim's own stamp */
        if (s.p[10] == 'T' || tag_second(rest))
            d = syslog_tail(p, rest, &prog, &msg);
        if (d == D_NONE) {
            p->host = sx_span_make("", 0);
            rest = past_pid(rest);
            if (s.p[10] == ' ') {
                d = D_EXIM;
                msg = rest;
            }
        }
    } else if (len && (line[0] == ' ' || line[0] == '\t') && p->prev_known) {
        return SMTPDX_OK; /* continuation of the line before */
    } else if (sx_log_opensmtpd_bare(s)) {
        /* no stamp: its events have no time (a time window keeps them) */
        d = D_OPENSMTPD;
        msg = s;
        memset(&p->now, 0, sizeof p->now);
        p->now.hour = -1; /* counted in no hour */
    }

    smtpdx_status st = SMTPDX_OK;
    int known = 0;
    if (d != D_NONE) {
        sx_logq_sweep(&p->q, p->now.t);
        if (p->held.n > 0 &&
            (st = sx_log_hold_sweep(p, ctx, 0, out)) != SMTPDX_OK) {
            sx_log_journal_release(hold);
            return st;
        }
    }
    switch (d) {
    case D_POSTFIX:
        p->st.postfix++;
        known = sx_log_postfix(p, ctx, prog, msg, out, &st);
        break;
    case D_EXIM:
        p->st.exim++;
        if (prog.n > 0)
            msg = exim_unstamp(p, msg);
        known = sx_log_exim(p, ctx, msg, out, &st);
        break;
    case D_SENDMAIL:
        p->st.sendmail++;
        known = sx_log_sendmail(p, ctx, msg, out, &st);
        break;
    case D_OPENSMTPD:
        p->st.opensmtpd++;
        known = sx_log_opensmtpd(p, ctx, msg, out, &st);
        break;
    case D_COURIER:
        p->st.courier++;
        known = sx_log_courier(p, ctx, msg, out, &st);
        break;
    case D_NONE:
        break;
    }
    if (d == D_NONE) {
        p->st.unknown++;
        known = 0;
    }
    p->prev_known = d != D_NONE;
    (void)known;
    sx_log_journal_release(hold);
    p->st.evicted = p->q.evicted;
    p->st.aged_out = p->q.aged_out;
    return st;
}
