/*
 * out_table_dest.c - the table summary's failures by destination domain:
 * where mail fails, and why there.
 *
 * A folder of bounces may name millions of domains, so the tally is
 * bounded: the first SX_DEST_MAX domains are counted exactly, the failures
 * at any later one only in a total, which the summary states. A few
 * domains take most failures in practice (the big providers, a mistyped
 * one), and those come early in any large input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/out_table.h"
#include "util/alloc.h"

#define SX_DEST_MAX 10000u  /* domains counted one by one */
#define SX_DEST_SHOWN 10    /* destinations the summary lists */
#define SX_DEST_REASONS 3   /* reasons shown per destination */
#define SX_DEST_NAME 256    /* longest domain kept (RFC 1035: 253) */

typedef struct dest {
    char *name; /* lower case */
    unsigned long count;
    uint32_t by_reason[SMTPDX_REASON_COUNT];
} dest;

struct sx_dest_tally {
    dest **slot; /* open addressing, a power of two of slots */
    size_t nslot, n;
    unsigned long untracked; /* failures at domains past SX_DEST_MAX */
};

sx_dest_tally *sx_dest_new(void)
{
    return sx_calloc(1, sizeof(sx_dest_tally));
}

void sx_dest_free(sx_dest_tally *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->nslot; i++)
        if (d->slot[i] != NULL) {
            sx_free(d->slot[i]->name);
            sx_free(d->slot[i]);
        }
    sx_free(d->slot);
    sx_free(d);
}

static uint64_t hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3u;
    return h;
}

/* Double the slots; 0 when out of memory (the tally stays as it was). */
static int grow(sx_dest_tally *d)
{
    size_t ns = d->nslot ? 2 * d->nslot : 64;
    dest **s = sx_calloc(ns, sizeof(*s));
    if (s == NULL)
        return 0;
    for (size_t i = 0; i < d->nslot; i++) {
        if (d->slot[i] == NULL)
            continue;
        size_t k = (size_t)hash(d->slot[i]->name) & (ns - 1);
        while (s[k] != NULL)
            k = (k + 1) & (ns - 1);
        s[k] = d->slot[i];
    }
    sx_free(d->slot);
    d->slot = s;
    d->nslot = ns;
    return 1;
}

void sx_dest_add(sx_dest_tally *d, const char *domain, smtpdx_reason r)
{
    char name[SX_DEST_NAME];
    size_t n = 0;
    if (d == NULL || domain == NULL || domain[0] == '\0')
        return;
    for (; domain[n] != '\0' && n + 1 < sizeof(name); n++) {
        char c = domain[n];
        name[n] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
    name[n] = '\0';
    if ((unsigned)r >= SMTPDX_REASON_COUNT)
        r = SMTPDX_R_UNDEFINED;
    if (d->nslot == 0 && !grow(d))
        return;
    uint64_t h = hash(name);
    size_t k = (size_t)h & (d->nslot - 1);
    while (d->slot[k] != NULL && strcmp(d->slot[k]->name, name) != 0)
        k = (k + 1) & (d->nslot - 1);
    dest *e = d->slot[k];
    if (e == NULL) {
        if (d->n >= SX_DEST_MAX) {
            d->untracked++;
            return;
        }
        if (2 * (d->n + 1) > d->nslot) { /* kept at most half full */
            if (!grow(d))
                return;
            k = (size_t)h & (d->nslot - 1); /* a new domain: a free slot */
            while (d->slot[k] != NULL)
                k = (k + 1) & (d->nslot - 1);
        }
        e = sx_calloc(1, sizeof(*e));
        if (e == NULL || (e->name = sx_strdup(name)) == NULL) {
            sx_free(e);
            return; /* the summary then lacks it, nothing more */
        }
        d->slot[k] = e;
        d->n++;
    }
    e->count++;
    e->by_reason[r]++;
}

static int by_count(const void *a, const void *b)
{
    const dest *x = *(dest *const *)a, *y = *(dest *const *)b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->name, y->name);
}

void sx_dest_print(sx_term *t, const sx_dest_tally *d)
{
    if (d == NULL || d->n == 0)
        return;
    dest **all = sx_malloc(d->n * sizeof(*all));
    if (all == NULL)
        return;
    size_t n = 0;
    for (size_t i = 0; i < d->nslot; i++)
        if (d->slot[i] != NULL)
            all[n++] = d->slot[i];
    qsort(all, n, sizeof(*all), by_count);
    FILE *f = t->f;
    fprintf(f, "\n  %-30s %7s  %s\n", "FAILED AT", "COUNT", "REASONS");
    size_t shown = n < SX_DEST_SHOWN ? n : SX_DEST_SHOWN;
    unsigned long rest = d->untracked;
    for (size_t i = 0; i < n; i++) {
        const dest *e = all[i];
        if (i >= shown) {
            rest += e->count;
            continue;
        }
        fputs("  ", f);
        sx_term_textz(t, e->name);
        size_t w = strlen(e->name);
        for (; w < 30; w++)
            fputc(' ', f);
        fprintf(f, " %7lu ", e->count);
        /* the reasons by falling count, the enum's order on ties */
        unsigned done[SX_DEST_REASONS];
        unsigned long listed = 0;
        int k = 0;
        for (; k < SX_DEST_REASONS; k++) {
            unsigned best = 0;
            uint32_t bc = 0;
            for (unsigned r = 0; r < SMTPDX_REASON_COUNT; r++) {
                int taken = 0;
                for (int j = 0; j < k; j++)
                    taken |= done[j] == r;
                if (!taken && e->by_reason[r] > bc) {
                    best = r;
                    bc = e->by_reason[r];
                }
            }
            if (bc == 0)
                break;
            done[k] = best;
            listed += bc;
            fprintf(f, "%s%s (%lu)", k ? ", " : " ",
                    smtpdx_reason_name((smtpdx_reason)best), (unsigned long)bc);
        }
        if (listed < e->count)
            fputs(", ...", f);
        fputc('\n', f);
    }
    if (d->untracked > 0)
        fprintf(f, "  and %lu more failure%s at other domains (past the "
                   "first %u domains they are not told apart)\n",
                rest, rest == 1 ? "" : "s", SX_DEST_MAX);
    else if (n > shown)
        fprintf(f, "  and %lu more failure%s at %zu other domain%s\n", rest,
                rest == 1 ? "" : "s", n - shown, n - shown == 1 ? "" : "s");
    sx_free(all);
}
