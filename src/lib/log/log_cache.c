/*
 * log_cache.c - classification of log replies, remembered.
 *
 * A busy log repeats the same few hundred replies a million times, with
 * only the recipient address or a provider's trace token changing. The
 * cache keys a reply on its text with those variable parts masked (an
 * address in angle brackets, a long token mixing letters and digits) plus
 * the hints, and keeps what the reply parser and classifier said, so that
 * a repeat costs one hash and one compare instead of a parse and a match.
 * A hit is taken only when the text still contains the phrase that
 * decided the first time; otherwise the reply is classified afresh, so the
 * masking can never change an answer, only save work.
 *
 * Fixed size (SLOTS, direct-mapped): no allocation after creation.
 */
#include <string.h>

#include "log/log.h"
#include "util/alloc.h"

#define SLOTS 1024u
#define KEY_MAX 400u
#define TOKEN_MIN 20u

typedef struct slot {
    uint32_t hash;
    uint16_t keylen;
    uint8_t used;
    char key[KEY_MAX];
    sx_clsresult res;
} slot;

struct sx_clscache {
    smtpdx_reply *reply;
    uint64_t hits, misses;
    sx_clsresult scratch;
    char key[KEY_MAX];
    slot slots[SLOTS];
};

smtpdx_status sx_clscache_new(sx_clscache **out)
{
    *out = NULL;
    sx_clscache *c = sx_calloc(1, sizeof *c);
    if (c == NULL)
        return SMTPDX_ERR_NOMEM;
    c->reply = smtpdx_reply_new();
    if (c->reply == NULL) {
        sx_free(c);
        return SMTPDX_ERR_NOMEM;
    }
    *out = c;
    return SMTPDX_OK;
}

void sx_clscache_free(sx_clscache *c)
{
    if (c == NULL)
        return;
    smtpdx_reply_free(c->reply);
    sx_free(c);
}

uint64_t sx_clscache_hits(const sx_clscache *c)
{
    return c ? c->hits : 0;
}

/* Append s to key[*k..KEY_MAX); 0 when it does not fit. */
static int put(char *key, size_t *k, const char *s, size_t n)
{
    if (n > KEY_MAX - *k)
        return 0;
    memcpy(key + *k, s, n);
    *k += n;
    return 1;
}

/* Is t[0..n) a trace token: long, with digits and letters, and neither a
 * URL nor an address? */
static int trace_token(const char *t, size_t n)
{
    if (n < TOKEN_MIN || n > 512)
        return 0;
    size_t digits = 0, alpha = 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (c == '/' || c == '@' || c == '<')
            return 0;
        digits += sx_is_digit(c);
        alpha += (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }
    return digits >= 4 && alpha >= 4;
}

/* Build the masked key; returns its length or 0 when too long. Works a
 * space-separated token at a time: most tokens are copied whole. */
static size_t make_key(char *key, sx_span text, const char *status,
                       const char *rhost, const char *action)
{
    size_t k = 0, i = 0;
    while (i < text.n) {
        sx_span rest = sx_span_skip(text, i);
        size_t tl = sx_span_chr(rest, ' ');
        const char *t = rest.p;
        if (trace_token(t, tl)) {
            if (!put(key, &k, "#", 1))
                return 0;
        } else if (memchr(t, '<', tl) == NULL) {
            if (!put(key, &k, t, tl))
                return 0;
        } else {
            /* "<user@domain>" anywhere in the token becomes "<@>" */
            for (size_t j = 0; j < tl;) {
                if (t[j] == '<') {
                    size_t close = j + 1;
                    while (close < tl && close - j < 256 && t[close] != '>')
                        close++;
                    if (close < tl && t[close] == '>' &&
                        memchr(t + j, '@', close - j) != NULL) {
                        if (!put(key, &k, "<@>", 3))
                            return 0;
                        j = close + 1;
                        continue;
                    }
                }
                if (!put(key, &k, t + j, 1))
                    return 0;
                j++;
            }
        }
        i += tl;
        if (i < text.n) {
            if (!put(key, &k, " ", 1))
                return 0;
            i++;
        }
    }
    const char *parts[3] = {status, rhost, action};
    for (int p = 0; p < 3; p++) {
        const char *s = parts[p] ? parts[p] : "";
        if (!put(key, &k, "\x01", 1) || !put(key, &k, s, strlen(s)))
            return 0;
    }
    return k;
}

static void copy_str(char *dst, size_t cap, const char *s)
{
    if (s == NULL) {
        dst[0] = '\0';
        return;
    }
    size_t n = strlen(s);
    sx_q_copy(dst, cap, sx_span_make(s, n));
}

static smtpdx_status classify(sx_clscache *c, smtpdx_ctx *ctx, sx_span text,
                              const char *status, const char *rhost,
                              const char *action, sx_clsresult *res)
{
    smtpdx_status st = smtpdx_reply_parse(c->reply, text.p, text.n);
    if (st != SMTPDX_OK && st != SMTPDX_ERR_PARSE)
        return st;
    smtpdx_hints hints = {status, rhost, action};
    smtpdx_explanation why;
    memset(&why, 0, sizeof why);
    st = smtpdx_classify(ctx, c->reply, &hints, &why);
    if (st != SMTPDX_OK)
        return st;
    const smtpdx_reply *r = c->reply;
    res->why = why;
    res->replycode = r->code;
    copy_str(res->enhanced, sizeof res->enhanced, r->enhanced);
    copy_str(res->command, sizeof res->command, r->command);
    copy_str(res->rhost, sizeof res->rhost, r->host);
    copy_str(res->cause, sizeof res->cause, why.cause);
    copy_str(res->provider, sizeof res->provider, why.provider);
    copy_str(res->note, sizeof res->note, why.conflict_note);
    res->matched[0] = '\0';
    if (why.matched_by == SMTPDX_MATCH_TEXT && r->text &&
        why.match_off <= r->text_len &&
        why.match_len <= r->text_len - why.match_off)
        sx_q_copy(res->matched, sizeof res->matched,
                  sx_span_make(r->text + why.match_off, why.match_len));
    res->why.cause = why.cause ? res->cause : NULL;
    res->why.provider = why.provider ? res->provider : NULL;
    res->why.conflict_note = why.conflict_note ? res->note : NULL;
    return SMTPDX_OK;
}

/* Pointers into a slot move with it: refresh them after a copy. */
static void repoint(sx_clsresult *res)
{
    if (res->why.cause)
        res->why.cause = res->cause;
    if (res->why.provider)
        res->why.provider = res->provider;
    if (res->why.conflict_note)
        res->why.conflict_note = res->note;
}

smtpdx_status sx_clscache_classify(sx_clscache *c, smtpdx_ctx *ctx,
                                   sx_span text, const char *status,
                                   const char *rhost, const char *action,
                                   const sx_clsresult **res)
{
    size_t kl = make_key(c->key, text, status, rhost, action);
    if (kl == 0) {
        smtpdx_status st =
            classify(c, ctx, text, status, rhost, action, &c->scratch);
        *res = &c->scratch;
        return st;
    }
    uint32_t h = sx_hash(c->key, kl, SX_HASH_SEED);
    slot *s = &c->slots[h & (SLOTS - 1)];
    if (s->used && s->hash == h && s->keylen == kl &&
        memcmp(s->key, c->key, kl) == 0) {
        size_t ml = strlen(s->res.matched);
        if (ml == 0 || sx_span_find(text, s->res.matched, ml) < text.n) {
            c->hits++;
            *res = &s->res;
            return SMTPDX_OK;
        }
    }
    c->misses++;
    s->used = 0;
    smtpdx_status st = classify(c, ctx, text, status, rhost, action, &s->res);
    if (st != SMTPDX_OK)
        return st;
    repoint(&s->res);
    s->hash = h;
    s->keylen = (uint16_t)kl;
    memcpy(s->key, c->key, kl);
    s->used = 1;
    *res = &s->res;
    return SMTPDX_OK;
}
