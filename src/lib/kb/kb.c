/*
 * kb.c - the public view of the knowledge base (smtpdx_kb_*) and the
 * lookups the classifier makes by code and by host (kb.h).
 *
 * kbc sorts the code indexes, so a lookup is a binary search to the run of
 * keys that can apply and a short walk along it: no allocation, no locks.
 */
#include "kb/kb.h"

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

/* Walk the keys of (cls, subject) that can hold value; from_lo is the
 * smallest lo worth looking at (value itself when every key is exact). */
static const sx_kb_key *best_in_run(const sx_kb_key *keys, size_t n, int cls,
                                    int subject, int from_lo, int detail,
                                    const unsigned char *seen,
                                    const sx_kb_key *best)
{
    for (size_t i = lower_bound(keys, n, cls, subject, from_lo); i < n; i++) {
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
    best = best_in_run(sx_kb_enh_keys, sx_kb_nenh_keys, cls, subject, 0,
                       detail, seen, NULL);
    /* X.s.d rules explain failures: a 2.s.d success only takes rules
     * written for class 2. */
    if (cls != 4 && cls != 5)
        return best;
    return best_in_run(sx_kb_enh_keys, sx_kb_nenh_keys, 0, subject, 0, detail,
                       seen, best);
}

const sx_kb_key *sx_kb_lookup_code(int code, const unsigned char *seen)
{
    return best_in_run(sx_kb_code_keys, sx_kb_ncode_keys, 0, 0, code, code,
                       seen, NULL);
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

int sx_kb_provider_by_host(const char *host, unsigned char *seen)
{
    size_t hl = 0;
    int first = -1;
    if (host == NULL)
        return -1;
    /* The name ends at the first byte no host name holds ("[", " ", ":"). */
    while (hl < 255 && host[hl] != '\0' &&
           strchr("[]() :;,<>\"'", host[hl]) == NULL)
        hl++;
    while (hl > 0 && host[hl - 1] == '.')
        hl--;
    if (hl == 0)
        return -1;
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
