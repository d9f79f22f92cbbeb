/*
 * bounce_judge.c - settle one recipient's reason, status and command.
 *
 * The reason comes from smtpdx_classify (one taxonomy for every input);
 * this file adds only what the bounce itself says and a reply cannot:
 *  - Action: delivered/relayed/expanded is a success report (RFC 3464
 *    2.3.3), not a failure;
 *  - the sending MTA gave up (Action: delayed/expired, a queue timeout
 *    sentence) and the reply says nothing more specific, or says only
 *    that no connection could be made while the Status is X.4.7: expired;
 *    a delay warning (Action: delayed, no sign that time ran out) is
 *    expired too, by the shared reason names, but temporary: the message
 *    is still queued;
 *  - the failing command: a "no such user" answer to DATA is a content
 *    filter speaking (filtered) unless the status says X.1.x or the
 *    provider is known to answer so for other reasons (after_data[]); a
 *    rejection of MAIL FROM without a telling phrase is about the sender
 *    (rejected); any refusal of the greeting, and one of HELO/EHLO without
 *    a telling phrase, is about the client (blocked);
 *  - an X-Unix Diagnostic-Code is a local delivery program's failure
 *    (mailererror), or the mail system's when the Status says X.3.x;
 *  - a content filter's notice naming the RFC 5322 rule the message broke
 *    (notcompliantrfc) explains its spam or content verdict;
 *  - a detector's reading of its family's own wording (hints).
 * When the Status field and the reply point different ways, the record's
 * explanation says so (conflict).
 */
#include "bounce/bounce_judge.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bounce/bounce_text.h"
#include "classify/mx_host.h"
#include "classify/retry.h"
#include "util/addr.h"

/* The numbers Sisimai uses in its pseudo codes, by reason. */
static const struct {
    smtpdx_reason r;
    int n;
} pseudo[] = {
    {SMTPDX_R_UNDEFINED, 900},     {SMTPDX_R_ONHOLD, 901},
    {SMTPDX_R_SYNTAXERROR, 902},   {SMTPDX_R_NORELAYING, 909},
    {SMTPDX_R_FILTERED, 910},      {SMTPDX_R_USERUNKNOWN, 911},
    {SMTPDX_R_HOSTUNKNOWN, 912},   {SMTPDX_R_HASMOVED, 916},
    {SMTPDX_R_REJECTED, 918},      {SMTPDX_R_SUSPEND, 921},
    {SMTPDX_R_MAILBOXFULL, 922},   {SMTPDX_R_EXCEEDLIMIT, 923},
    {SMTPDX_R_SYSTEMERROR, 930},   {SMTPDX_R_SYSTEMFULL, 931},
    {SMTPDX_R_NOTACCEPT, 932},     {SMTPDX_R_MESGTOOBIG, 934},
    {SMTPDX_R_MAILERERROR, 939},   {SMTPDX_R_NETWORKERROR, 944},
    {SMTPDX_R_TOOMANYCONN, 945},   {SMTPDX_R_SPEEDING, 946},
    {SMTPDX_R_EXPIRED, 947},       {SMTPDX_R_CONTENTERROR, 960},
    {SMTPDX_R_NOTCOMPLIANTRFC, 961}, {SMTPDX_R_SECURITYERROR, 970},
    {SMTPDX_R_BLOCKED, 971},       {SMTPDX_R_POLICYVIOLATION, 972},
    {SMTPDX_R_REQUIREPTR, 973},    {SMTPDX_R_AUTHFAILURE, 974},
    {SMTPDX_R_BADREPUTATION, 975}, {SMTPDX_R_FAILEDSTARTTLS, 976},
    {SMTPDX_R_SPAMDETECTED, 980},  {SMTPDX_R_VIRUSDETECTED, 981},
    {SMTPDX_R_SUPPRESSED, 990},
};

/* "C.0.N" for class digit C and a pseudo number N (900..999). */
static void put_pseudo(char out[16], int cls, int n)
{
    out[0] = cls == 4 ? '4' : '5';
    out[1] = '.';
    out[2] = '0';
    out[3] = '.';
    out[4] = (char)('0' + n / 100 % 10);
    out[5] = (char)('0' + n / 10 % 10);
    out[6] = (char)('0' + n % 10);
    out[7] = '\0';
}

void sx_bjudge_pseudo_status(smtpdx_reason r, int cls, char out[16])
{
    out[0] = '\0';
    if (r == SMTPDX_R_VACATION || r == SMTPDX_R_FEEDBACK)
        return;
    if (r == SMTPDX_R_DELIVERED) {
        memcpy(out, "2.0.0", 6);
        return;
    }
    for (size_t i = 0; i < sizeof pseudo / sizeof pseudo[0]; i++)
        if (pseudo[i].r == r) {
            put_pseudo(out, cls, pseudo[i].n);
            return;
        }
    put_pseudo(out, cls, 900);
}

/* "5.1.1" -> subject 1, detail 1; -1 when not a code. */
static int enh_parts(const char *s, int *cls, int *subj, int *det)
{
    int v[3] = {0, 0, 0}, k = 0, digits = 0;
    for (; *s && k < 3; s++) {
        if (*s >= '0' && *s <= '9') {
            v[k] = v[k] * 10 + (*s - '0');
            digits++;
        } else if (*s == '.' && digits) {
            k++;
            digits = 0;
        } else {
            return -1;
        }
    }
    if (k != 2 || !digits)
        return -1;
    *cls = v[0];
    *subj = v[1];
    *det = v[2];
    return 0;
}

/* snprintf(out, 16, "%s", s) without the printf machinery: the code is
 * cut to 15 bytes. A byte loop: codes are a few bytes long, shorter than
 * what a call to strnlen() and one to memcpy() cost. */
static void put_status(char out[16], const char *s)
{
    size_t n = 0;
    for (; n < 15 && s[n] != '\0'; n++)
        out[n] = s[n];
    out[n] = '\0';
}

/* The first " -> " in d[0..n) (Exchange's summary, then the remote
 * server's reply), found by its rare '>'. */
static const char *find_arrow(const char *d, size_t n)
{
    for (const char *q = memchr(d, '>', n); q != NULL;
         q = memchr(q + 1, '>', n - (size_t)(q + 1 - d))) {
        size_t at = (size_t)(q - d);
        if (at >= 2 && at + 1 < n && q[-2] == ' ' && q[-1] == '-' &&
            q[1] == ' ')
            return q - 2;
    }
    return NULL;
}

/* a equals the literal (or table) string b; the first bytes, which
 * differ for most pairs, are compared before any call */
static inline int same(const char *a, const char *b)
{
    return a[0] == b[0] && strcmp(a, b) == 0;
}

static int is_action(const char *a, const char *want)
{
    return same(a, want);
}

/* Sentences in which the sending side says it stopped trying. */
static const char *const gave_up[] = {
    "retry timeout exceeded",
    "retry time not reached for any host",
    "all hosts have been failing for a long time",
    "could not deliver for the last",
    "message could not be delivered for",
    "in the queue too long",
    "delivery time expired",
    "message expired",
    "message has expired",
    "giving up",
    "has not been delivered for",
    "delivery attempts will continue",
    NULL,
};

/* Words that end a delay report's hope: the queue time ran out, so the
 * "delayed" Action notwithstanding, the message was given up. */
static const char *const ran_out[] = {
    "envelope expired", "delivery time expired", "message expired",
    "message has expired", "retry timeout exceeded", "giving up",
    "in the queue too long", NULL,
};

/* Both lists are searched for in most records' replies: their indexes
 * are built once, not at every search. */
static sx_bt_set gave_up_set = SX_BT_SET(gave_up);
static sx_bt_set ran_out_set = SX_BT_SET(ran_out);

/* Verdicts a named header fault explains better: the filter refused the
 * message (as spam, for its content, by a policy) because of that fault,
 * and fixing it is what the sender can do. */
static int content_verdict(smtpdx_reason r)
{
    return r == SMTPDX_R_SPAMDETECTED || r == SMTPDX_R_CONTENTERROR ||
           r == SMTPDX_R_POLICYVIOLATION || r == SMTPDX_R_FILTERED ||
           r == SMTPDX_R_UNDEFINED || r == SMTPDX_R_ONHOLD;
}

/* Reasons that are about one recipient's address or mailbox: they cannot
 * be the answer to a command given before any recipient was named. */
static int about_recipient(smtpdx_reason r)
{
    return r == SMTPDX_R_USERUNKNOWN || r == SMTPDX_R_HOSTUNKNOWN ||
           r == SMTPDX_R_HASMOVED || r == SMTPDX_R_MAILBOXFULL ||
           r == SMTPDX_R_SUSPEND || r == SMTPDX_R_FILTERED ||
           r == SMTPDX_R_NOTACCEPT;
}

/* What an "unknown user" answered only after DATA means at providers
 * known to answer so (bounce_judge's rule for everyone else: a content
 * filter, filtered). Yahoo and Verizon's SMS gateway check the recipient
 * only once the message is sent, so theirs is an unknown user; NTT docomo
 * answers so for unknown addresses and also when the recipient's
 * reception settings refuse the sender (text-bounce.kb), the latter being
 * what a sender can act on. kb_id NULL: keep the classifier's answer. */
static const struct after_data {
    const char *provider;
    smtpdx_reason reason;
    const char *kb_id;
} after_data[] = {
    {"yahoo", SMTPDX_R_USERUNKNOWN, NULL},
    {"verizon", SMTPDX_R_USERUNKNOWN, NULL},
    {"docomo", SMTPDX_R_REJECTED, "text.bounce.docomo-sender-refused"},
};

static const struct after_data *after_data_of(const char *provider)
{
    for (size_t i = 0; provider && i < sizeof after_data / sizeof after_data[0];
         i++)
        if (same(provider, after_data[i].provider))
            return &after_data[i];
    return NULL;
}

/* Yahoo defers MAIL FROM for volume or complaints (TSS04) per sending
 * stream: reports of it name the envelope sender as the refused party
 * (rejected); the IP-reputation reading stays for every other command. */
static int mail_deferral_is_sender(const char *provider, smtpdx_reason r)
{
    return r == SMTPDX_R_BADREPUTATION && provider != NULL &&
           same(provider, "yahoo");
}

/* Reasons a refusal of the connection itself (the greeting) may keep: the
 * server saying it cannot serve anyone now, or the sending side's own
 * verdict. Any other refusal there is of the client, since nothing but
 * its address has been seen (RFC 5321 3.1, 4.3.2): blocked. */
static int greeting_keeps(smtpdx_reason r)
{
    return r == SMTPDX_R_BLOCKED || r == SMTPDX_R_TOOMANYCONN ||
           r == SMTPDX_R_SYSTEMERROR || r == SMTPDX_R_SYSTEMFULL ||
           r == SMTPDX_R_NETWORKERROR || r == SMTPDX_R_EXPIRED ||
           r == SMTPDX_R_FAILEDSTARTTLS || r == SMTPDX_R_NOTACCEPT ||
           r == SMTPDX_R_DELIVERED;
}

/* A network-level failure (nothing answered, or the connection was
 * refused): when the sending side then gave up, it is the queue time that
 * ended delivery (expired), as for a connection that timed out. A DNS
 * failure stays a network error: it names the domain's fault. */
static int unreachable(const smtpdx_explanation *e)
{
    return e->reason == SMTPDX_R_NETWORKERROR && e->cause != NULL &&
           same(e->cause, "connection-failed");
}

static int reason_from_text(const smtpdx_explanation *e)
{
    return e->matched_by == SMTPDX_MATCH_TEXT &&
           e->reason != SMTPDX_R_UNDEFINED && e->reason != SMTPDX_R_ONHOLD;
}

/* The entry that explains a reason the bounce decided on its own. */
static const smtpdx_kb_entry *entry_for(smtpdx_reason r)
{
    static const struct {
        smtpdx_reason r;
        const char *id;
    } ids[] = {
        {SMTPDX_R_EXPIRED, "text.expired.queue"},
        {SMTPDX_R_DELIVERED, "class.2"},
        {SMTPDX_R_REJECTED, "text.sender.rejected"},
        {SMTPDX_R_BLOCKED, "text.bounce.client-refused"},
        {SMTPDX_R_FILTERED, "text.bounce.filtered-after-data"},
        {SMTPDX_R_MAILERERROR, "text.bounce.local-program"},
        {SMTPDX_R_VACATION, "text.bounce.auto-reply"},
        {SMTPDX_R_FEEDBACK, "text.bounce.feedback-report"},
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i].r == r) {
            const smtpdx_kb_entry *e = smtpdx_kb_find(ids[i].id);
            if (e != NULL)
                return e;
        }
    /* any entry for the reason, in knowledge-base order */
    for (size_t i = 0, n = smtpdx_kb_count(); i < n; i++) {
        const smtpdx_kb_entry *e = smtpdx_kb_get(i);
        if (e != NULL && e->reason == r)
            return e;
    }
    return NULL;
}

/* Point why at the reason r, with the knowledge-base entry kb_id (or one
 * for the reason) so that summary and steps fit it. */
static void override(sx_judgement *j, smtpdx_reason r, const char *kb_id)
{
    const smtpdx_kb_entry *e = kb_id ? smtpdx_kb_find(kb_id) : NULL;
    if (e == NULL || e->reason != r)
        e = entry_for(r);
    j->why.reason = r;
    if (e != NULL) {
        j->why.entry = e;
        j->why.cause = e->cause;
        j->why.who = e->who;
        j->why.retry = e->retry;
        if (e->temporary >= 0)
            j->why.temporary = e->temporary;
        j->why.retry = sx_retry_for(j->why.retry, j->why.temporary);
    }
}

/* The words p[0..n) decided (matched as kind), and they are not in the
 * reply's text: kept in j (cut to its size), the match pointing there. */
static void keep_span(sx_judgement *j, smtpdx_match_kind kind, const char *p,
                      size_t n)
{
    if (n > sizeof j->span - 1)
        n = sizeof j->span - 1;
    memcpy(j->span, p, n);
    j->span[n] = '\0';
    j->span_own = 1;
    j->why.matched_by = kind;
    j->why.match_off = 0;
    j->why.match_len = n;
}

/* As override(), to the reading e of another text (the reply after "->",
 * the Status comment) whose parse is r: the words that decided there are
 * kept, or the record would name the new rule beside the old one's match. */
static void override_by(sx_judgement *j, const smtpdx_explanation *e,
                        const smtpdx_reply *r)
{
    override(j, e->reason, e->entry ? e->entry->id : NULL);
    j->why.matched_by = e->matched_by;
    j->why.match_off = j->why.match_len = 0;
    j->span_own = 0;
    if (e->matched_by != SMTPDX_MATCH_TEXT)
        return;
    if (r == NULL || r->text == NULL || e->match_off > r->text_len ||
        e->match_len > r->text_len - e->match_off) {
        j->why.matched_by = SMTPDX_MATCH_NONE;
        return;
    }
    keep_span(j, SMTPDX_MATCH_TEXT, r->text + e->match_off, e->match_len);
}

/* The lowest hop limit in common use is Sendmail's 25 (MaxHopCount);
 * Exim stops at 30 Received fields, Postfix at 50, and RFC 5321 6.3 asks
 * for at least 100. A message that crossed that many hosts without a
 * loop is rare; one that a notice returns without saying why, rarer. */
void sx_bjudge_hops(sx_judgement *j, size_t dlen, unsigned hops)
{
    smtpdx_reason r = j->why.reason;
    if (dlen != 0 || hops < SX_BJUDGE_LOOP_HOPS ||
        (r != SMTPDX_R_ONHOLD && r != SMTPDX_R_UNDEFINED))
        return;
    override(j, SMTPDX_R_NETWORKERROR, "text.networkerror.loop");
    j->why.confidence = SMTPDX_CONF_LOW;
    j->why.matched_by = SMTPDX_MATCH_RETURNED;
    j->why.match_off = j->why.match_len = 0;
    j->span_own = 0;
    j->why.conflict = 0;
    j->why.conflict_note = NULL;
    j->hops = hops;
    j->hardbounce = 0;
}

static int same_addr(sx_str a, const char *b)
{
    size_t n = strlen(b);
    return n > 0 && n == a.len && sx_bt_ieq(a.p, b, n);
}

void sx_bjudge_shared(sx_judgement *j, const sx_bres *res,
                      const sx_brcpt *rc, const char *diag, size_t dlen)
{
    if (j->why.conflict || res->n < 2)
        return;
    const sx_brcpt *other = NULL;
    size_t off = 0, next;
    sx_str a;
    /* a few addresses at most; stop at the first of rc's own */
    for (int k = 0; k < 8 && off < dlen &&
                    sx_bt_find_addr(diag + off, dlen - off, &a, &next);
         k++) {
        off += next;
        if (same_addr(a, rc->recipient) || same_addr(a, rc->alias))
            return;
        for (size_t i = 0; other == NULL && i < res->n; i++)
            if (&res->r[i] != rc && same_addr(a, res->r[i].recipient))
                other = &res->r[i];
    }
    if (other == NULL)
        return;
    snprintf(j->note, sizeof j->note,
             "the reply is about %.100s, another recipient of this report",
             other->recipient);
    j->why.conflict = 1;
    j->why.conflict_note = j->note;
    /* this recipient may well have been fine */
    j->why.confidence = SMTPDX_CONF_LOW;
}

smtpdx_status sx_bjudge(smtpdx_ctx *ctx, const sx_bmail *m,
                        const sx_bres *res, const sx_brcpt *rc,
                        const char *diag, size_t dlen, smtpdx_reply *reply,
                        sx_judgement *j)
{
    /* note and span are read only once written (conflict_note, span_own
     * point at them): emptied, not cleared, as they are most of j */
    memset(j, 0, offsetof(sx_judgement, note));
    j->note[0] = '\0';
    j->hops = 0;
    j->span[0] = '\0';
    j->span_own = 0;
    smtpdx_status st = smtpdx_reply_parse(reply, diag, dlen);
    if (st != SMTPDX_OK && st != SMTPDX_ERR_PARSE)
        return st;
    j->replycode = reply->code;

    /* deliverystatus: the remote server's own enhanced code when it has
     * the Status field's class (the field is the reporting MTA's summary:
     * Exim writes 5.0.0 beside "550 5.1.1", Sendmail 4.4.7 beside the
     * "450 4.7.1" that kept failing); the field otherwise. */
    const char *field = rc->status;
    const char *enh = reply->enhanced;
    /* the field's parts, read once for every rule below that asks */
    int fc = 0, fs = -1, fd = -1;
    int field_ok = enh_parts(field, &fc, &fs, &fd) == 0 &&
                   (fc == 2 || fc == 4 || fc == 5) && fs <= 999 && fd <= 999;
    if (!field_ok)
        field = ""; /* "0.2.2", "5.1": a Status that is no code says nothing */
    if (field[0] == '\0')
        put_status(j->status, enh);
    else if (enh[0] != '\0' && field_ok && enh[0] == field[0] &&
             !(strcmp(enh + 1, ".0.0") == 0 && (fs != 0 || fd != 0)))
        put_status(j->status, enh);
    else
        put_status(j->status, field);
    /* no code where a reply parser looks for it: any in the text, e.g.
     * "501 Rcpt-To validation failed: ... 5.7.1 This system ..." */
    int jc, js, jd;
    if (enh[0] == '\0' &&
        (j->status[0] == '\0' ||
         (enh_parts(j->status, &jc, &js, &jd) == 0 && js == 0 && jd == 0))) {
        char code[16];
        size_t at;
        if (sx_bt_find_enhanced(diag, dlen, code, &at) &&
            (j->status[0] == '\0' || code[0] == j->status[0]))
            put_status(j->status, code);
    }

    /* "554 4.4.7 Message expired ...<421 4.4.2 Connection timed out>":
     * the sending MTA's summary quoting the last reply it got; the quoted
     * reply is the remote server's own answer */
    for (const char *q = memchr(diag, '<', dlen); q != NULL;
         q = memchr(q + 1, '<', dlen - (size_t)(q + 1 - diag))) {
        size_t rest = dlen - (size_t)(q + 1 - diag);
        int code = sx_bt_reply_code(q + 1, rest);
        char code2[16];
        size_t at;
        if (code >= 400 && q != diag &&
            sx_bt_find_enhanced(q + 1, rest, code2, &at) && at == 4) {
            j->replycode = code;
            put_status(j->status, code2);
            break;
        }
    }

    j->command = rc->command[0] ? rc->command : reply->command;
    if (j->command[0] == '\0') {
        const char *c = sx_bmark_command(ctx, diag, dlen);
        j->command = c ? c : "";
    }
    j->rhost = rc->rhost[0] ? rc->rhost : reply->host;
    j->diagtype = rc->diagtype[0] ? rc->diagtype
                  : (reply->code || reply->enhanced[0]) ? "SMTP" : "";

    /* without a remote host's name (none, or only its address), the
     * recipient's domain still names the provider whose wording the
     * reply may be in */
    const char *at = strrchr(rc->recipient, '@');
    const char *phost =
        j->rhost[0] && !sx_host_is_address(j->rhost) ? j->rhost
                                                   : at ? at + 1 : NULL;
    smtpdx_hints hints = {j->status[0] ? j->status : NULL, phost,
                          rc->action[0] ? rc->action : NULL};
    st = smtpdx_classify(ctx, reply, &hints, &j->why);
    if (st != SMTPDX_OK && st != SMTPDX_ERR_PARSE)
        return st;

    /* "550 5.1.351 Remote server returned unknown recipient ... -> 550 :
     * User unknown": Exchange's summary, then the remote server's reply;
     * the reply's own words say more than the summary. */
    const char *arrow = find_arrow(diag, dlen);
    if (arrow != NULL &&
        sx_bt_reply_code(arrow + 4, dlen - (size_t)(arrow + 4 - diag)) >= 400) {
        smtpdx_reply *r2 = smtpdx_reply_new();
        smtpdx_explanation e2;
        if (r2 == NULL)
            return SMTPDX_ERR_NOMEM;
        st = smtpdx_reply_parse(r2, arrow + 4, dlen - (size_t)(arrow + 4 - diag));
        if (st == SMTPDX_OK || st == SMTPDX_ERR_PARSE)
            st = smtpdx_classify(ctx, r2, &hints, &e2);
        if (st == SMTPDX_OK && reason_from_text(&e2) &&
            e2.reason != j->why.reason)
            override_by(j, &e2, r2);
        smtpdx_reply_free(r2);
        if (st != SMTPDX_OK && st != SMTPDX_ERR_PARSE)
            return st;
    }
    /* The reporting MTA's own reading ("Status: 5.2.1 (mailbox disabled,
     * not accepting messages)") is its verdict on the reply: when it names
     * a reason and the reply's text another, the verdict wins and the
     * record says they differ. */
    if (rc->status_note[0] != '\0' && strcmp(rc->status_note, diag) != 0) {
        smtpdx_explanation e2;
        const smtpdx_reply *r2 = NULL;
        smtpdx_status s2 = smtpdx_explain(ctx, rc->status_note,
                                          strlen(rc->status_note), &r2, &e2);
        if (s2 == SMTPDX_OK && reason_from_text(&e2) &&
            e2.reason != j->why.reason) {
            snprintf(j->note, sizeof j->note,
                     "the reply reads as %s, the Status comment as %s",
                     smtpdx_reason_name(j->why.reason),
                     smtpdx_reason_name(e2.reason));
            override_by(j, &e2, r2);
            j->why.conflict = 1;
            j->why.conflict_note = j->note;
        }
    }
    smtpdx_reason r = j->why.reason;
    int textual = reason_from_text(&j->why);
    sx_str d = sx_bt_str(diag, dlen);
    int sc = 0, ss = -1, sd = -1;
    if (j->status[0])
        enh_parts(j->status, &sc, &ss, &sd);
    int field_expired = field_ok && fc && fs == 4 && fd == 7;

    if (is_action(rc->action, "delivered") || is_action(rc->action, "relayed") ||
        is_action(rc->action, "expanded")) {
        override(j, SMTPDX_R_DELIVERED, "class.2");
        j->why.temporary = -1;
        j->why.confidence = SMTPDX_CONF_HIGH; /* the report's own field */
    } else if (rc->hint != SMTPDX_REASON_COUNT &&
               rc->hint_strength == SX_HINT_STRONG) {
        override(j, rc->hint, NULL);
        /* how sure, at least: a feedback report's own part, or an
         * auto-reply that says so in Auto-Submitted (RFC 3834 5), is
         * certain; a subject or a family's wording alone is likely */
        smtpdx_confidence c =
            rc->hint == SMTPDX_R_FEEDBACK ||
                    (rc->hint == SMTPDX_R_VACATION && m != NULL &&
                     m->autosub.p != NULL &&
                     sx_bt_has(m->autosub, "auto-replied"))
                ? SMTPDX_CONF_HIGH
                : SMTPDX_CONF_MEDIUM;
        if (j->why.confidence < c)
            j->why.confidence = c;
    } else if (same(rc->diagtype, "X-UNIX") &&
               r != SMTPDX_R_MAILBOXFULL && r != SMTPDX_R_SYSTEMFULL &&
               !(r == SMTPDX_R_USERUNKNOWN && textual)) {
        /* RFC 3464 2.3.6: the error came from a local delivery program
         * (a pipe, procmail), not from an SMTP server; unless the Status
         * field puts it on the mail system itself (X.3.x, RFC 3463 3.4:
         * the program could not run, e.g. for want of permission). A full
         * mailbox or disk stays what it is, and so does a user the local
         * mailer says is unknown (Sendmail's "X-Unix; 550 5.1.1 User
         * unknown"): the address is wrong, not the program. */
        if (field_ok && fs == 3)
            override(j, SMTPDX_R_SYSTEMERROR, NULL);
        else
            override(j, SMTPDX_R_MAILERERROR, "text.bounce.local-program");
    } else {
        if (!textual && is_action(rc->action, "delayed") &&
            rc->hint != SMTPDX_R_EXPIRED &&
            !sx_bt_has_set(d, &ran_out_set)) {
            /* a warning: the message is still queued. The report's
             * Action decided, not the words or codes of the reply: a
             * disagreement the classifier noted between those no longer
             * bears on the reason */
            override(j, SMTPDX_R_EXPIRED, "text.expired.delayed");
            keep_span(j, SMTPDX_MATCH_REPORT, "Action: delayed", 15);
            if (j->why.conflict_note != j->note) {
                j->why.conflict = 0;
                j->why.conflict_note = NULL;
            }
        } else if (!textual && (is_action(rc->action, "delayed") ||
                                is_action(rc->action, "expired") ||
                                rc->hint == SMTPDX_R_EXPIRED ||
                                sx_bt_has_set(d, &gave_up_set))) {
            override(j, SMTPDX_R_EXPIRED, "text.expired.queue");
        } else if (!textual && rc->hint != SMTPDX_REASON_COUNT) {
            override(j, rc->hint, NULL);
        } else if (same(j->command, "MAIL") &&
                   (about_recipient(r) || r == SMTPDX_R_UNDEFINED ||
                    r == SMTPDX_R_ONHOLD ||
                    (r == SMTPDX_R_SECURITYERROR && !sx_bt_has(d, "auth")) ||
                    mail_deferral_is_sender(j->why.provider, r))) {
            /* refused at MAIL FROM: about the sender, whatever words */
            override(j, SMTPDX_R_REJECTED, "text.sender.rejected");
        } else if (same(j->command, "CONN") && reply->code >= 400 &&
                   !greeting_keeps(r)) {
            /* the greeting refused: only the client's address was seen */
            override(j, SMTPDX_R_BLOCKED, "text.bounce.client-refused");
        } else if ((same(j->command, "HELO") ||
                    same(j->command, "EHLO") ||
                    same(j->command, "CONN")) &&
                   (about_recipient(r) || r == SMTPDX_R_REJECTED ||
                    r == SMTPDX_R_UNDEFINED || r == SMTPDX_R_ONHOLD)) {
            /* refused before any address was given: about the client */
            override(j, SMTPDX_R_BLOCKED, "text.bounce.client-refused");
        } else if (unreachable(&j->why) &&
                   ((sc && ss == 4 && sd == 7) || field_expired ||
                    sx_bt_has_set(d, &gave_up_set))) {
            /* X.4.7: delivery time expired (RFC 3463 3.5), in the reply
             * or in the Status field beside the reply that kept failing */
            override(j, SMTPDX_R_EXPIRED, "text.expired.queue");
        }
        r = j->why.reason;
        const struct after_data *ad = after_data_of(j->why.provider);
        /* a Status of X.2.x is the reporting MTA's own reading (the
         * mailbox refused it): a filter's answer, unless the provider's
         * answer is an unknown user anyway */
        if (ad != NULL && ss == 2 && ad->reason != SMTPDX_R_USERUNKNOWN)
            ad = NULL;
        if (r == SMTPDX_R_USERUNKNOWN && same(j->command, "DATA") &&
            (ss < 0 || ss == 0 || ss == 2) && ad != NULL) {
            if (ad->reason != r)
                override(j, ad->reason, ad->kb_id);
        } else if (r == SMTPDX_R_USERUNKNOWN &&
                   same(j->command, "DATA") &&
                   (ss < 0 || ss == 0 || ss == 2)) {
            /* a recipient refused only after the content was seen */
            override(j, SMTPDX_R_FILTERED, "text.bounce.filtered-after-data");
            snprintf(j->note, sizeof j->note,
                     "the reply says the recipient is unknown, but only "
                     "after DATA: a content filter refused the message");
            j->why.conflict = 1;
            j->why.conflict_note = j->note;
        }
    }
    r = j->why.reason;
    if (content_verdict(r) && m != NULL && m->tx != NULL &&
        /* how content filters (Amavis among them) name, in their notice,
         * the RFC 5322 rule the returned message broke (3.6: From, Date
         * once each; 2.1.1: line length; 2.2: header field syntax): the
         * phrases MK_HF_* of the marker scan, found there once per
         * message rather than searched for once per recipient */
        sx_bmarks_within(&m->marks, MK_HF_1, MK_HF_6, m->body_end)) {
        override(j, SMTPDX_R_NOTCOMPLIANTRFC,
                 sx_bt_has(sx_bt_str(m->tx, m->body_end), "duplicate")
                     ? "text.notcompliantrfc.duplicate-header"
                     : "text.notcompliantrfc.headers");
        r = j->why.reason;
    }

    const char *sp;
    size_t sl = sx_mx_host_reading(r, j->why.cause, diag, dlen,
                                   at ? at + 1 : NULL, &sp);
    if (sl > 0) {
        override(j, SMTPDX_R_HOSTUNKNOWN, SX_MX_HOST_ENTRY);
        keep_span(j, SMTPDX_MATCH_TEXT, sp, sl);
    }

    /* temporary: the explanation's, else the status class, else the
     * detector's reading of the whole report */
    int temp = j->why.temporary;
    if (temp < 0 && sc)
        temp = sc == 4;
    if (temp < 0 && reply->code)
        temp = reply->code / 100 == 4;
    if (temp < 0 && rc->temporary >= 0)
        temp = rc->temporary;
    if (temp < 0)
        temp = res->temporary ? 1 : 0;
    if (r == SMTPDX_R_DELIVERED || r == SMTPDX_R_VACATION ||
        r == SMTPDX_R_FEEDBACK)
        temp = 0;
    j->why.temporary = temp;

    if (j->status[0] == '\0') {
        int cls = reply->code ? reply->code / 100
                  : rc->temporary >= 0 ? (rc->temporary ? 4 : 5)
                  : res->temporary ? 4 : 5;
        /* Sisimai writes the "on hold" number for an Exim bounce whose
         * MAIL FROM was refused without a code: followed for the sake of
         * consumers that compare the two. */
        smtpdx_reason pr = same(j->command, "MAIL") &&
                                   same(res->agent, "Exim")
                               ? SMTPDX_R_ONHOLD
                               : r;
        sx_bjudge_pseudo_status(pr, cls, j->status);
    }

    /* the Status field against the reply: say so when they disagree */
    if (!j->why.conflict && field[0] && reply->enhanced[0] &&
        field[0] != reply->enhanced[0]) {
        snprintf(j->note, sizeof j->note,
                 "the Status field says %s but the reply says %s",
                 field, reply->enhanced);
        j->why.conflict = 1;
        j->why.conflict_note = j->note;
    }

    if (rc->action[0])
        j->action = rc->action;
    else if (r == SMTPDX_R_DELIVERED)
        j->action = "delivered";
    else if (r == SMTPDX_R_VACATION || r == SMTPDX_R_FEEDBACK)
        j->action = "";
    else if (res->temporary && temp)
        j->action = "delayed";
    else
        j->action = "failed";
    /* hard or soft follows the status class when there is one (a 4.x.x
     * Null MX report is soft), else the explanation */
    int cls_temp = j->status[0] == '4' ? 1 : j->status[0] == '5' ? 0 : temp;
    j->hardbounce = smtpdx_reason_is_hard(r, cls_temp);
    return SMTPDX_OK;
}
