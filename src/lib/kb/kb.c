/*
 * kb.c - the public view of the knowledge base (smtpdx_kb_*) and the
 * lookups the classifier makes by code and by host (kb.h).
 *
 * kbc sorts the code indexes, so a lookup is a binary search to the run of
 * keys that can apply and a short walk along it: no allocation, no locks.
 * Host suffixes are looked up in a hash table made once per process
 * (pthread_once) in static storage.
 */
#include "kb/kb.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

size_t smtpdx_kb_count(void)
{
    return sx_kb_nentries;
}

const smtpdx_kb_entry *smtpdx_kb_get(size_t i)
{
    return i < sx_kb_nentries ? &sx_kb_entries[i] : NULL;
}

const smtpdx_kb_entry *smtpdx_kb_find(const char *id)
{
    size_t lo = 0, hi = sx_kb_nentries;
    if (id == NULL)
        return NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const smtpdx_kb_entry *e = &sx_kb_entries[sx_kb_id_index[mid]];
        int c = strcmp(id, e->id);
        if (c == 0)
            return e;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* Is key a better answer than best? */
static int key_better(const sx_kb_key *key, const sx_kb_key *best)
{
    if (best == NULL)
        return 1;
    if ((key->provider >= 0) != (best->provider >= 0))
        return key->provider >= 0;
    if (key->spec != best->spec)
        return key->spec > best->spec;
    if (key->hi - key->lo != best->hi - best->lo)
        return key->hi - key->lo < best->hi - best->lo;
    return key->rule < best->rule;
}

static int key_holds(const sx_kb_key *k, int value, const unsigned char *seen)
{
    return value >= k->lo && value <= k->hi &&
           (k->provider < 0 || (seen != NULL && seen[k->provider]));
}

/* First index in keys[0..n) whose (cls, subject, lo) is not below the
 * arguments: keys are sorted on these (kbc's key_cmp). */
static size_t lower_bound(const sx_kb_key *keys, size_t n, int cls,
                          int subject, int lo_min)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const sx_kb_key *k = &keys[mid];
        int below = k->cls != cls ? k->cls < cls
                  : k->subject != subject ? k->subject < subject
                  : k->lo < lo_min;
        if (below)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Where the binary searches of every lookup end, found once per process:
 * enh_at[cls][subject] is lower_bound(enhanced keys, cls, subject, 0) and
 * code_at[code] lower_bound(code keys, 0, 0, code), for the classes,
 * subjects and codes a reply can have (others are searched). */
#define AT_CLS 6
#define AT_SUBJ 256
#define AT_CODE 1000
static unsigned short enh_at[AT_CLS][AT_SUBJ];
static unsigned short code_at[AT_CODE];
static int at_ok; /* 0: the tables are too long to index so, search */
static pthread_once_t at_once = PTHREAD_ONCE_INIT;

static void at_build(void)
{
    if (sx_kb_nenh_keys > 65535 || sx_kb_ncode_keys > 65535)
        return;
    for (int c = 0; c < AT_CLS; c++)
        for (int s = 0; s < AT_SUBJ; s++)
            enh_at[c][s] = (unsigned short)lower_bound(
                sx_kb_enh_keys, sx_kb_nenh_keys, c, s, 0);
    for (int v = 0; v < AT_CODE; v++)
        code_at[v] = (unsigned short)lower_bound(sx_kb_code_keys,
                                                 sx_kb_ncode_keys, 0, 0, v);
    at_ok = 1;
}

static size_t enh_start(int cls, int subject)
{
    pthread_once(&at_once, at_build);
    if (at_ok && cls >= 0 && cls < AT_CLS && subject >= 0 && subject < AT_SUBJ)
        return enh_at[cls][subject];
    return lower_bound(sx_kb_enh_keys, sx_kb_nenh_keys, cls, subject, 0);
}

static size_t code_start(int code)
{
    pthread_once(&at_once, at_build);
    if (at_ok && code >= 0 && code < AT_CODE)
        return code_at[code];
    return lower_bound(sx_kb_code_keys, sx_kb_ncode_keys, 0, 0, code);
}

/* Walk the keys of (cls, subject) from keys[from] (the first that can
 * hold detail) on. */
static const sx_kb_key *best_in_run(const sx_kb_key *keys, size_t n,
                                    size_t from, int cls, int subject,
                                    int detail, const unsigned char *seen,
                                    const sx_kb_key *best)
{
    for (size_t i = from; i < n; i++) {
        const sx_kb_key *k = &keys[i];
        if (k->cls != cls || k->subject != subject || k->lo > detail)
            break;
        if (key_holds(k, detail, seen) && key_better(k, best))
            best = k;
    }
    return best;
}

const sx_kb_key *sx_kb_lookup_enhanced(int cls, int subject, int detail,
                                       const unsigned char *seen)
{
    const sx_kb_key *best;
    best = best_in_run(sx_kb_enh_keys, sx_kb_nenh_keys,
                       enh_start(cls, subject), cls, subject, detail, seen,
                       NULL);
    /* X.s.d rules explain failures: a 2.s.d success only takes rules
     * written for class 2. */
    if (cls != 4 && cls != 5)
        return best;
    return best_in_run(sx_kb_enh_keys, sx_kb_nenh_keys, enh_start(0, subject),
                       0, subject, detail, seen, best);
}

const sx_kb_key *sx_kb_lookup_code(int code, const unsigned char *seen)
{
    return best_in_run(sx_kb_code_keys, sx_kb_ncode_keys, code_start(code), 0,
                       0, code, seen, NULL);
}

const sx_kb_key *sx_kb_lookup_class(int cls, const unsigned char *seen)
{
    const sx_kb_key *best = NULL;
    for (size_t i = 0; i < sx_kb_nclass_keys; i++) {
        const sx_kb_key *k = &sx_kb_class_keys[i];
        if (k->cls == cls && key_holds(k, k->lo, seen) && key_better(k, best))
            best = k;
    }
    return best;
}

/* Provider by host: every host suffix of every provider in one hash table,
 * keyed on the suffix in lower case and hashed from its last byte
 * backwards, so that one right-to-left walk over a host name hashes all
 * of its label-boundary suffixes ("mx.l.google.com", "l.google.com",
 * "google.com", "com") as it goes and probes once for each. Built once
 * per process from the const tables into static storage (no allocation);
 * a knowledge base with more suffixes than it holds falls back to the
 * walk over every suffix. */
#define HOST_SLOTS 1024u  /* a power of two, at least twice the suffixes */

typedef struct host_slot {
    const char *suf;  /* NULL: empty */
    size_t len;
    uint32_t hash;
    int provider;
} host_slot;

static host_slot host_tab[HOST_SLOTS];
static int host_tab_ok;  /* 0: walk the providers instead */
/* The fewest labels a suffix has, and a filter of the hashes of every
 * suffix's last that many labels ("google.com" of "l.google.com"): a
 * host whose own last labels are not in it ends with no suffix, and the
 * walk stops there instead of hashing the rest of the name. */
static unsigned tail_labels;
static unsigned char tail_bits[HOST_SLOTS / 8];
static pthread_once_t host_once = PTHREAD_ONCE_INIT;

static inline unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c | 0x20) : c;
}

static inline uint32_t hash_step(uint32_t h, unsigned char c)
{
    return (h ^ lower(c)) * 16777619u; /* FNV-1a, fed from the end */
}

/* The number of labels of a suffix. */
static unsigned labels_of(const char *suf, size_t sl)
{
    unsigned n = 1;
    for (size_t k = 0; k < sl; k++)
        n += suf[k] == '.';
    return n;
}

static void tail_add(const char *suf, size_t sl)
{
    uint32_t h = 2166136261u;
    unsigned labels = 0;
    for (size_t k = sl; k > 0; k--) {
        h = hash_step(h, (unsigned char)suf[k - 1]);
        if (k > 1 && suf[k - 2] != '.')
            continue;
        if (++labels == tail_labels)
            break;
    }
    tail_bits[(h & (HOST_SLOTS - 1)) >> 3] |= (unsigned char)(1u << (h & 7));
}

static void host_tab_build(void)
{
    size_t total = 0;
    for (size_t p = 0; p < sx_kb_nproviders; p++)
        total += sx_kb_providers[p].nhosts;
    if (total * 2 > HOST_SLOTS)
        return;
    tail_labels = UINT_MAX;
    for (size_t p = 0; p < sx_kb_nproviders; p++)
        for (size_t i = 0; i < sx_kb_providers[p].nhosts; i++) {
            const char *suf = sx_kb_providers[p].hosts[i];
            size_t sl = strlen(suf);
            unsigned n = sl > 0 ? labels_of(suf, sl) : UINT_MAX;
            if (n < tail_labels)
                tail_labels = n;
        }
    if (tail_labels == UINT_MAX)
        tail_labels = 0; /* no suffix: every probe finds an empty slot */
    for (size_t p = 0; p < sx_kb_nproviders; p++) {
        const sx_kb_provider *pv = &sx_kb_providers[p];
        for (size_t i = 0; i < pv->nhosts; i++) {
            const char *suf = pv->hosts[i];
            size_t sl = strlen(suf);
            uint32_t h = 2166136261u;
            if (sl == 0)
                continue;  /* matches nothing */
            for (size_t k = sl; k > 0; k--)
                h = hash_step(h, (unsigned char)suf[k - 1]);
            size_t at = h & (HOST_SLOTS - 1);
            while (host_tab[at].suf != NULL)
                at = (at + 1) & (HOST_SLOTS - 1);
            host_tab[at].suf = suf;
            host_tab[at].len = sl;
            host_tab[at].hash = h;
            host_tab[at].provider = (int)p;
            tail_add(suf, sl);
        }
    }
    host_tab_ok = 1;
}

/* Bytes that end a host name inside a longer text ("[", " ", ":"...): a
 * table, as every byte of the name is tested. */
#define HOST_STOP(c)                                                           \
    ((c) == '\0' || (c) == '[' || (c) == ']' || (c) == '(' || (c) == ')' ||    \
     (c) == ' ' || (c) == ':' || (c) == ';' || (c) == ',' || (c) == '<' ||     \
     (c) == '>' || (c) == '"' || (c) == '\'')
#define HSTOP4(c)                                                              \
    HOST_STOP(c), HOST_STOP((c) + 1), HOST_STOP((c) + 2), HOST_STOP((c) + 3)
#define HSTOP16(c)                                                             \
    HSTOP4(c), HSTOP4((c) + 4), HSTOP4((c) + 8), HSTOP4((c) + 12)
#define HSTOP64(c)                                                             \
    HSTOP16(c), HSTOP16((c) + 16), HSTOP16((c) + 32), HSTOP16((c) + 48)
static const unsigned char host_stops[256] = {
    HSTOP64(0), HSTOP64(64), HSTOP64(128), HSTOP64(192)};

static int host_stop(unsigned char c)
{
    return host_stops[c];
}

/* The suffix host[s..hl) equals suf (lower case), caselessly. */
static int suffix_is(const char *host, size_t s, size_t hl, const char *suf)
{
    for (size_t k = s; k < hl; k++)
        if (lower((unsigned char)host[k]) != (unsigned char)suf[k - s])
            return 0;
    return 1;
}

/* The walk over every suffix of every provider. */
static int by_host_walk(const char *host, size_t hl, unsigned char *seen)
{
    int first = -1;
    for (size_t p = 0; p < sx_kb_nproviders; p++) {
        const sx_kb_provider *pv = &sx_kb_providers[p];
        for (size_t i = 0; i < pv->nhosts; i++) {
            const char *suf = pv->hosts[i];
            size_t sl = strlen(suf);
            /* suffixes are lower case (kbc): the last byte rules out most */
            if (sl == 0 || sl > hl ||
                (host[hl - 1] | 0x20) != suf[sl - 1] ||
                strncasecmp(host + hl - sl, suf, sl) != 0)
                continue;
            if (sl < hl && host[hl - sl - 1] != '.')
                continue;
            seen[p] = 1;
            if (first < 0)
                first = (int)p;
            break;
        }
    }
    return first;
}

int sx_kb_provider_by_host(const char *host, unsigned char *seen)
{
    size_t hl = 0;
    int first = -1;
    if (host == NULL)
        return -1;
    /* The name ends at the first byte no host name holds ("[", " ", ":"). */
    while (hl < 255 && !host_stop((unsigned char)host[hl]))
        hl++;
    while (hl > 0 && host[hl - 1] == '.')
        hl--;
    if (hl == 0)
        return -1;
    pthread_once(&host_once, host_tab_build);
    if (!host_tab_ok)
        return by_host_walk(host, hl, seen);
    uint32_t h = 2166136261u;
    unsigned labels = 0;
    for (size_t s = hl; s > 0; s--) {
        h = hash_step(h, (unsigned char)host[s - 1]);
        if (s > 1 && host[s - 2] != '.')
            continue;  /* host[s-1..hl) does not start a label */
        if (++labels < tail_labels)
            continue;  /* shorter than any suffix */
        if (labels == tail_labels &&
            !(tail_bits[(h & (HOST_SLOTS - 1)) >> 3] >> (h & 7) & 1))
            break;     /* no suffix ends so */
        size_t len = hl - (s - 1);
        for (size_t at = h & (HOST_SLOTS - 1); host_tab[at].suf != NULL;
             at = (at + 1) & (HOST_SLOTS - 1)) {
            const host_slot *e = &host_tab[at];
            if (e->hash != h || e->len != len ||
                !suffix_is(host, s - 1, hl, e->suf))
                continue;
            seen[e->provider] = 1;
            if (first < 0 || e->provider < first)
                first = e->provider;
        }
    }
    return first;
}
