/*
 * classify.c - smtpdx_classify(): a parsed reply in, the knowledge-base
 * entry that explains it out.
 *
 * The most specific evidence wins:
 *   1. a text rule limited to a provider recognised in this reply,
 *   2. any other text rule (ties: priority, then the longer phrase, then
 *      file order),
 *   3. the enhanced status code (RFC 3463): 5.1.1 over X.1.1 over ranges,
 *      a provider's own meaning of a code first (but X.0.0, which says
 *      nothing beyond the class, only after the basic code),
 *   4. the basic reply code (RFC 5321 4.2.3),
 *   5. the class alone (RFC 5321 4.2.1: 2xx, 3xx, 4xx, 5xx).
 * What the codes alone say is kept as code_entry; when a text rule wins
 * against a code entry that means something else, the answer follows the
 * text and says so in conflict_note.
 *
 * Reentrant; the only writable state is the caller's ctx, and nothing is
 * allocated here.
 */
#include <string.h>

#include "classify/ctx.h"
#include "classify/note.h"
#include "classify/retry.h"
#include "kb/kb.h"
#include "kb/match.h"

/* What the reply and the caller's hints say about codes. */
typedef struct facts {
    int basic;                  /* basic code 200..599, 0 when absent */
    int ecls, esubj, edetail;   /* enhanced code; ecls 0 when absent */
    int cls;                    /* 2..5, 0 unknown; the enhanced class wins */
} facts;

/* The text rule that won, and how. */
typedef struct cand {
    const sx_kb_rule *rule;
    unsigned entry, pattern;
    size_t end;
    int anticipated;  /* the rule names the reply's very code in its limits */
    unsigned classes; /* class limits taken on trust (limits_hold) */
} cand;

/* "5.1.1" (anything may follow the detail); 0 on success. */
static int parse_status(const char *s, int *c, int *sj, int *d)
{
    int v[3] = {0, 0, 0};
    for (int part = 0; part < 3; part++) {
        int nd = 0;
        while (*s >= '0' && *s <= '9' && nd < 3) {
            v[part] = v[part] * 10 + (*s++ - '0');
            nd++;
        }
        if (nd == 0 || (part < 2 && *s++ != '.'))
            return -1;
    }
    if (*s >= '0' && *s <= '9')
        return -1;
    if (v[0] != 2 && v[0] != 4 && v[0] != 5)
        return -1;
    *c = v[0];
    *sj = v[1];
    *d = v[2];
    return 0;
}

static void get_facts(const smtpdx_reply *r, const smtpdx_hints *h, facts *f)
{
    int c, sj, d;
    memset(f, 0, sizeof(*f));
    if (r->code >= 200 && r->code <= 599)
        f->basic = r->code;
    if (r->enh_class == 2 || r->enh_class == 4 || r->enh_class == 5) {
        f->ecls = r->enh_class;
        f->esubj = r->enh_subject;
        f->edetail = r->enh_detail;
    }
    /* A DSN Status beside the reply: used when the reply has no enhanced
     * code, or only the uninformative X.0.0 (RFC 3463 3.1). */
    if (h != NULL && h->status != NULL &&
        parse_status(h->status, &c, &sj, &d) == 0 &&
        (f->ecls == 0 || (f->esubj == 0 && f->edetail == 0 &&
                          (sj != 0 || d != 0)))) {
        f->ecls = c;
        f->esubj = sj;
        f->edetail = d;
    }
    f->cls = f->ecls ? f->ecls : f->basic / 100;
    /* Nothing else: the DSN Action (RFC 3464 2.3.3) still tells the class. */
    if (f->cls == 0 && h != NULL && h->action != NULL) {
        if (strcmp(h->action, "failed") == 0)
            f->cls = 5;
        else if (strcmp(h->action, "delayed") == 0)
            f->cls = 4;
        else if (strcmp(h->action, "delivered") == 0 ||
                 strcmp(h->action, "relayed") == 0 ||
                 strcmp(h->action, "expanded") == 0)
            f->cls = 2;
    }
}

/* Do the rule's code limits hold? *exact is set when one that names a
 * code (not only a class) holds. A class limit ("code: 4xx") cannot be
 * tested when nothing tells the class (a reply text quoted without its
 * code, no Action field): it is taken to hold, and *classes gets the bit
 * of each class the rule would have needed (1 << class), so the caller
 * can tell when the text fits rules of both classes and says nothing. */
static int limits_hold(const sx_kb_rule *r, const facts *f, int *exact,
                       unsigned *classes)
{
    int ok = r->ncodes == 0;
    *classes = 0;
    for (size_t i = 0; i < r->ncodes; i++) {
        const sx_kb_code *c = &r->codes[i];
        if (c->cls && f->cls == 0)
            *classes |= 1u << c->cls;
        if (ok)
            continue;
        if (c->cls)
            ok = f->cls == c->cls || f->cls == 0;
        else if (f->basic >= c->lo && f->basic <= c->hi)
            ok = *exact = 1;
    }
    if (!ok)
        return 0;
    ok = r->nenh == 0;
    for (size_t i = 0; i < r->nenh && !ok; i++) {
        const sx_kb_enh *e = &r->enh[i];
        if (f->ecls && (e->cls == 0 || e->cls == f->ecls) &&
            e->subject == f->esubj && f->edetail >= e->lo &&
            f->edetail <= e->hi)
            ok = *exact = 1;
    }
    if (!ok)
        return 0;
    /* A success or intermediate reply is not a failure whatever its text
     * says: text rules hold there only when they name such codes. */
    if ((f->cls == 2 || f->cls == 3) && r->ncodes == 0 && r->nenh == 0)
        return 0;
    return 1;
}

static int cand_better(const cand *a, const cand *b)
{
    if (b->rule == NULL)
        return 1;
    if ((a->rule->provider >= 0) != (b->rule->provider >= 0))
        return a->rule->provider >= 0;
    if (a->rule->priority != b->rule->priority)
        return a->rule->priority > b->rule->priority;
    unsigned wa = sx_kb_patterns[a->pattern].weight;
    unsigned wb = sx_kb_patterns[b->pattern].weight;
    if (wa != wb)
        return wa > wb;
    if (a->entry != b->entry)
        return a->entry < b->entry;
    return a->pattern < b->pattern;
}

/* A message expires after temporary failures. A permanent reply (5xx, of
 * enhanced class 5 if it has one) that also says what went wrong is a
 * refusal, whatever words of giving up are wrapped around it: qmail ends
 * every permanent failure with "Giving up on HOST", and a notice may quote
 * the refusal above its "has been in the queue too long". Such words then
 * give way to any other text rule found. Not with an enhanced code of
 * subject 4 (routing, delivery time: 5.4.7, Microsoft's 5.4.3xx "Message
 * expired"), nor for a rule that names codes of its own. */
static int expiry_yields(const sx_kb_rule *r, const smtpdx_kb_entry *e,
                         const facts *f)
{
    return e->reason == SMTPDX_R_EXPIRED && r->ncodes == 0 && r->nenh == 0 &&
           f->basic / 100 == 5 && f->cls == 5 &&
           (f->ecls == 0 || f->esubj != 4);
}

/* A byte of an e-mail address as replies write them: RFC 5322 atext,
 * the dot and the at sign. A table: the test runs on every byte of each
 * phrase found and of the words around it. */
#define ADDR_BYTE(c)                                                           \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') ||               \
     ((c) >= '0' && (c) <= '9') || (c) >= 0x80 || (c) == '!' || (c) == '#' ||  \
     (c) == '$' || (c) == '%' || (c) == '&' || (c) == '\'' || (c) == '*' ||    \
     (c) == '+' || (c) == '-' || (c) == '/' || (c) == '=' || (c) == '?' ||     \
     (c) == '^' || (c) == '_' || (c) == '`' || (c) == '{' || (c) == '|' ||     \
     (c) == '}' || (c) == '~' || (c) == '.' || (c) == '@')
#define AB4(c)                                                                 \
    ADDR_BYTE(c), ADDR_BYTE((c) + 1), ADDR_BYTE((c) + 2), ADDR_BYTE((c) + 3)
#define AB16(c) AB4(c), AB4((c) + 4), AB4((c) + 8), AB4((c) + 12)
#define AB64(c) AB16(c), AB16((c) + 16), AB16((c) + 32), AB16((c) + 48)
static const unsigned char addr_bytes[256] = {AB64(0), AB64(64), AB64(128),
                                              AB64(192)};

static int addr_byte(unsigned char c)
{
    return addr_bytes[c];
}

/* Is t[s, e) a piece of an e-mail address: the run of address bytes
 * around it holds an '@' that the piece does not? A phrase found there
 * ("<spam@shop.example>: User unknown") is the address, not the reply's
 * words. */
static int in_address(const char *t, size_t n, size_t s, size_t e)
{
    for (size_t i = s; i < e; i++)
        if (!addr_byte((unsigned char)t[i]) || t[i] == '@')
            return 0;
    size_t a = s, b = e;
    while (a > 0 && addr_byte((unsigned char)t[a - 1]))
        a--;
    while (b < n && addr_byte((unsigned char)t[b]))
        b++;
    return memchr(t + a, '@', b - a) != NULL;
}

static int ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return 0;
    }
    return 1;
}

/* Where a phrase matched at t[end - len, end) inside an address is found
 * again outside any (the scan reports a phrase once, at its first place):
 * that end, or 0. */
static size_t outside_address(const char *t, size_t n, size_t end,
                              size_t len)
{
    if (len == 0 || end < len || end > n)
        return 0;
    const char *w = t + end - len;
    if (!in_address(t, n, end - len, end))
        return end;
    size_t s = end;
    while (s < n && addr_byte((unsigned char)t[s]))
        s++; /* past the address: another place in it is no better */
    for (; s + len <= n; s++) {
        if (!ieq(t + s, w, len))
            continue;
        if (!in_address(t, n, s, s + len))
            return s + len;
        while (s + 1 < n && addr_byte((unsigned char)t[s + 1]))
            s++; /* past this address too: each is walked once */
    }
    return 0;
}

/* Go through the hits: mark the providers whose markers were found, then
 * pick the best text rule whose limits hold. */
static void pick_text(smtpdx_ctx *ctx, const sx_match_hit *hits, size_t n,
                      const char *text, size_t tlen, const facts *f,
                      int *provider, cand *best)
{
    cand other;  /* the best rule of another reason than expired */
    cand sure;   /* the best rule whose limits were all tested */
    unsigned trusted = 0; /* the class limits taken on trust, all rules */
    memset(&other, 0, sizeof(other));
    memset(&sure, 0, sizeof(sure));
    for (size_t i = 0; i < n; i++) {
        const sx_kb_pattern *p = &sx_kb_patterns[hits[i].pattern];
        if (p->is_marker) {
            ctx->seen[p->owner] = 1;
            if (*provider < 0)
                *provider = (int)p->owner;
        }
    }
    memset(best, 0, sizeof(*best));
    for (size_t i = 0; i < n; i++) {
        const sx_kb_pattern *p = &sx_kb_patterns[hits[i].pattern];
        if (p->is_marker)
            continue;
        cand c = {&sx_kb_rules[p->owner], p->owner, hits[i].pattern,
                  hits[i].end, 0, 0};
        if (!p->is_regex &&
            (c.end = outside_address(text, tlen, hits[i].end, p->weight)) ==
                0)
            continue;
        if (!sx_kb_provider_ok(c.rule, ctx->seen) ||
            !limits_hold(c.rule, f, &c.anticipated, &c.classes))
            continue;
        trusted |= c.classes;
        if (cand_better(&c, best))
            *best = c;
        if (c.classes == 0 && cand_better(&c, &sure))
            sure = c;
        /* on hold says no more than expired does ("retry time not
         * reached" inside Exim's "... after a long failure period") */
        if (sx_kb_entries[c.entry].reason != SMTPDX_R_EXPIRED &&
            sx_kb_entries[c.entry].reason != SMTPDX_R_ONHOLD &&
            c.rule->priority >= 0 && cand_better(&c, &other))
            other = c;
    }
    /* "Mailbox unavailable" with no code: rules for 4xx and for 5xx both
     * take it on trust, and the text alone cannot choose */
    if (best->rule != NULL && best->classes != 0 &&
        (trusted & (trusted - 1)) != 0)
        *best = sure;
    if (best->rule != NULL && other.rule != NULL &&
        expiry_yields(best->rule, &sx_kb_entries[best->entry], f))
        *best = other;
}

static const sx_kb_key *pick_code(const facts *f, const unsigned char *seen,
                                  smtpdx_match_kind *kind)
{
    const sx_kb_key *k = NULL;
    /* X.0.0 says no more than its class (RFC 3463 3.1): a basic code
     * rule, if any, says more. */
    int vague = f->esubj == 0 && f->edetail == 0;
    *kind = SMTPDX_MATCH_NONE;
    if (vague && f->basic && (k = sx_kb_lookup_code(f->basic, seen)) != NULL)
        *kind = SMTPDX_MATCH_CODE;
    else if (f->ecls && (k = sx_kb_lookup_enhanced(f->ecls, f->esubj,
                                                   f->edetail, seen)) != NULL)
        *kind = SMTPDX_MATCH_ENHANCED;
    else if (f->basic && (k = sx_kb_lookup_code(f->basic, seen)) != NULL)
        *kind = SMTPDX_MATCH_CODE;
    else if (f->cls && (k = sx_kb_lookup_class(f->cls, seen)) != NULL)
        *kind = SMTPDX_MATCH_CLASS;
    return k;
}

static int also_means(const sx_kb_rule *r, smtpdx_reason reason)
{
    for (size_t i = 0; i < r->nalso; i++)
        if (r->also[i] == reason)
            return 1;
    return 0;
}

/* Does the code entry say something else than the text rule? Only an
 * entry that commits to a reason can (not one saying undefined or onhold:
 * "could be anything"), and not when the code is known to be sent for the
 * text's reason too. */
static int contradicts(const smtpdx_kb_entry *code, const sx_kb_rule *crule,
                       const smtpdx_kb_entry *text)
{
    if (code->reason == text->reason || code->reason == SMTPDX_R_UNDEFINED ||
        code->reason == SMTPDX_R_ONHOLD)
        return 0;
    return !also_means(crule, text->reason);
}

static int temporary_of(const smtpdx_kb_entry *e, const facts *f)
{
    if (e != NULL && e->temporary >= 0)
        return e->temporary;
    switch (f->cls) {
    case 4: return 1;
    case 5: return 0;
    default: return -1;  /* success, intermediate or unknown */
    }
}

smtpdx_status smtpdx_classify(smtpdx_ctx *ctx, const smtpdx_reply *r,
                              const smtpdx_hints *hints,
                              smtpdx_explanation *out)
{
    facts f;
    cand text;
    int provider = -1;
    const sx_match_hit *hits = NULL;
    size_t nhits = 0;
    sx_note note;
    smtpdx_match_kind code_kind;

    if (ctx == NULL || r == NULL || out == NULL)
        return SMTPDX_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    out->reason = SMTPDX_R_UNDEFINED;
    out->temporary = -1;
    sx_note_init(&note, ctx->note, sizeof(ctx->note));
    memset(ctx->seen, 0, sx_kb_nproviders);

    get_facts(r, hints, &f);
    provider = sx_kb_provider_by_host(r->host, ctx->seen);
    if (hints != NULL && hints->rhost != r->host) {
        /* (the reply's own host, as the bounce parser passes it when it
         * has no other, is marked already) */
        int p = sx_kb_provider_by_host(hints->rhost, ctx->seen);
        if (provider < 0)
            provider = p;
    }
    smtpdx_status st = sx_match_scan(ctx->match, r->text, r->text_len, &hits,
                                     &nhits);
    if (st != SMTPDX_OK)
        return st;
    pick_text(ctx, hits, nhits, r->text, r->text_len, &f, &provider, &text);

    const sx_kb_key *ck = pick_code(&f, ctx->seen, &code_kind);
    const sx_kb_rule *crule = ck ? &sx_kb_rules[ck->rule] : NULL;
    out->code_entry = ck ? &sx_kb_entries[ck->rule] : NULL;

    /* A rule of the vaguest words (negative priority: "service
     * unavailable") decides only when nothing else does: an enhanced code
     * more precise than its class and subject (5.1.10, a null MX) that
     * means something else says more. */
    if (text.rule != NULL && text.rule->priority < 0 &&
        text.rule->provider < 0 && ck != NULL &&
        code_kind == SMTPDX_MATCH_ENHANCED && f.edetail != 0 &&
        contradicts(out->code_entry, crule, &sx_kb_entries[text.entry]))
        text.rule = NULL;

    if (text.rule != NULL) {
        const smtpdx_kb_entry *e = &sx_kb_entries[text.entry];
        const sx_kb_pattern *p = &sx_kb_patterns[text.pattern];
        size_t start = 0;
        out->entry = e;
        out->matched_by = SMTPDX_MATCH_TEXT;
        if (!p->is_regex)
            start = text.end >= p->weight ? text.end - p->weight : 0;
        else if (sx_match_start(ctx->match, text.pattern, r->text,
                                r->text_len, text.end, &start) != 0)
            start = 0;  /* cannot tell: say from the start of the text */
        out->match_off = start;
        out->match_len = text.end - start;
        if (text.rule->provider >= 0)
            provider = text.rule->provider;
        if (ck != NULL && code_kind != SMTPDX_MATCH_CLASS &&
            !text.anticipated && contradicts(out->code_entry, crule, e)) {
            out->conflict = 1;
            sx_note_str(&note, code_kind == SMTPDX_MATCH_ENHANCED
                                   ? "enhanced code " : "reply code ");
            if (code_kind == SMTPDX_MATCH_ENHANCED)
                sx_note_enh(&note, f.ecls, f.esubj, f.edetail);
            else
                sx_note_int(&note, f.basic);
            sx_note_str(&note, " means ");
            sx_note_str(&note, smtpdx_reason_name(out->code_entry->reason));
            sx_note_str(&note, ", but the text says ");
            sx_note_str(&note, smtpdx_reason_name(e->reason));
            sx_note_str(&note, " (");
            sx_note_str(&note, e->cause);
            sx_note_str(&note, "); following the text.");
        }
        if (text.rule->provider >= 0)
            out->confidence = SMTPDX_CONF_HIGH;
        else if (out->conflict || ck == NULL || code_kind == SMTPDX_MATCH_CLASS)
            out->confidence = SMTPDX_CONF_MEDIUM;
        else
            out->confidence = SMTPDX_CONF_HIGH;
    } else if (ck != NULL) {
        out->entry = out->code_entry;
        out->matched_by = code_kind;
        if (code_kind == SMTPDX_MATCH_CLASS)
            out->confidence = SMTPDX_CONF_LOW;
        else if (crule->provider >= 0)
            out->confidence = SMTPDX_CONF_HIGH;
        else
            out->confidence = SMTPDX_CONF_MEDIUM;
    } else {
        out->confidence = SMTPDX_CONF_LOW;
    }

    /* RFC 3463: the enhanced code's class is the one that counts. */
    if (f.basic && f.ecls && f.basic / 100 != f.ecls) {
        out->conflict = 1;
        sx_note_sentence(&note);
        sx_note_str(&note, "The reply code ");
        sx_note_int(&note, f.basic);
        sx_note_str(&note, " and the enhanced code ");
        sx_note_enh(&note, f.ecls, f.esubj, f.edetail);
        sx_note_str(&note, f.ecls == 4 ? " disagree on whether this is "
                                         "temporary; following the enhanced code."
                          : f.ecls == 5 ? " disagree on whether this is "
                                          "permanent; following the enhanced code."
                          : " disagree on whether this is a failure; following "
                            "the enhanced code.");
    }
    if (out->conflict)
        out->conflict_note = ctx->note;

    if (out->entry != NULL) {
        out->reason = out->entry->reason;
        out->cause = out->entry->cause;
        out->who = out->entry->who;
        out->retry = out->entry->retry;
    }
    out->temporary = temporary_of(out->entry, &f);
    out->retry = sx_retry_for(out->retry, out->temporary);
    out->provider = provider >= 0 ? sx_kb_providers[provider].id : NULL;
    return SMTPDX_OK;
}
