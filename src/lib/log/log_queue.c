/*
 * log_queue.c - the bounded correlation table: what earlier lines said
 * about a message, found by its queue id (Postfix, Sendmail) or message
 * id (Exim).
 *
 * Entries are fixed-size and come from chunks of CHUNK entries allocated
 * as the table fills, never more than max in all; a hash of chained
 * indexes finds them, and a list ordered by last use lets the table drop
 * the oldest in O(1), both when it is full (eviction) and when an entry
 * has not been seen for max_age seconds of log time (a message whose
 * "removed" line was never logged or fell outside the input). So memory is
 * flat on endless input: at most max * sizeof(sx_qentry) plus the index.
 */
#include <string.h>

#include "log/log.h"
#include "util/alloc.h"

#define CHUNK 1024u

static sx_qentry *at(const sx_logq *q, uint32_t idx1)
{
    uint32_t i = idx1 - 1;
    return &q->chunks[i / CHUNK][i % CHUNK];
}

static uint32_t idx_of(const sx_logq *q, const sx_qentry *e)
{
    for (size_t c = 0; c < q->nchunks; c++) {
        const sx_qentry *base = q->chunks[c];
        if (base && e >= base && e < base + CHUNK)
            return (uint32_t)(c * CHUNK + (size_t)(e - base) + 1);
    }
    return 0;
}

smtpdx_status sx_logq_init(sx_logq *q, size_t max, int64_t max_age)
{
    memset(q, 0, sizeof *q);
    if (max == 0)
        max = 20000;
    if (max > 10u * 1000u * 1000u)
        max = 10u * 1000u * 1000u;
    q->max = max;
    q->max_age = max_age > 0 ? max_age : 8 * 86400;
    q->nchunks = (max + CHUNK - 1) / CHUNK;
    q->chunks = sx_calloc(q->nchunks, sizeof *q->chunks);
    size_t nb = 1024;
    while (nb < max)
        nb <<= 1;
    q->nbuckets = nb;
    q->buckets = sx_calloc(nb, sizeof *q->buckets);
    if (q->chunks == NULL || q->buckets == NULL) {
        sx_logq_release(q);
        return SMTPDX_ERR_NOMEM;
    }
    return SMTPDX_OK;
}

void sx_logq_release(sx_logq *q)
{
    if (q->chunks)
        for (size_t c = 0; c < q->nchunks; c++)
            sx_free(q->chunks[c]);
    sx_free(q->chunks);
    sx_free(q->buckets);
    memset(q, 0, sizeof *q);
}

static void age_unlink(sx_logq *q, sx_qentry *e)
{
    if (e->older)
        at(q, e->older)->newer = e->newer;
    else
        q->oldest = e->newer;
    if (e->newer)
        at(q, e->newer)->older = e->older;
    else
        q->newest = e->older;
    e->older = e->newer = 0;
}

static void age_push(sx_logq *q, sx_qentry *e, uint32_t idx)
{
    e->older = q->newest;
    e->newer = 0;
    if (q->newest)
        at(q, q->newest)->newer = idx;
    else
        q->oldest = idx;
    q->newest = idx;
}

static void drop(sx_logq *q, sx_qentry *e, uint32_t idx)
{
    uint32_t *link = &q->buckets[e->hash & (q->nbuckets - 1)];
    for (size_t guard = 0; *link && guard <= q->max; guard++) {
        if (*link == idx) {
            *link = e->next;
            break;
        }
        link = &at(q, *link)->next;
    }
    age_unlink(q, e);
    e->used = 0;
    e->next = q->free_head;
    q->free_head = idx;
    q->count--;
}

void sx_logq_remove(sx_logq *q, sx_qentry *e)
{
    if (e == NULL || !e->used)
        return;
    uint32_t idx = idx_of(q, e);
    if (idx)
        drop(q, e, idx);
}

void sx_logq_sweep(sx_logq *q, int64_t now)
{
    while (q->oldest) {
        sx_qentry *e = at(q, q->oldest);
        if (now == 0 || e->last == 0 || now - e->last <= q->max_age)
            break;
        drop(q, e, q->oldest);
        q->aged_out++;
    }
}

/* A free slot: from the free list, a new chunk, or the oldest entry. */
static uint32_t take_slot(sx_logq *q, smtpdx_status *st)
{
    if (q->free_head) {
        uint32_t idx = q->free_head;
        q->free_head = at(q, idx)->next;
        return idx;
    }
    if (q->allocated < q->max) {
        size_t c = q->allocated / CHUNK;
        if (q->chunks[c] == NULL) {
            q->chunks[c] = sx_malloc(CHUNK * sizeof(sx_qentry));
            if (q->chunks[c] == NULL) {
                *st = SMTPDX_ERR_NOMEM;
                return 0;
            }
        }
        q->allocated++;
        return (uint32_t)q->allocated;
    }
    if (q->oldest == 0) {
        *st = SMTPDX_ERR_LIMIT;
        return 0;
    }
    uint32_t idx = q->oldest;
    drop(q, at(q, idx), idx);
    q->evicted++;
    q->free_head = at(q, idx)->next;
    return idx;
}

sx_qentry *sx_logq_get(sx_logq *q, sx_span id, int64_t now, int create,
                       smtpdx_status *st)
{
    *st = SMTPDX_OK;
    if (id.n == 0 || id.n >= SX_Q_ID_MAX)
        return NULL;
    uint32_t h = sx_hash(id.p, id.n, SX_HASH_SEED);
    uint32_t *bucket = &q->buckets[h & (q->nbuckets - 1)];
    uint32_t idx = *bucket;
    for (size_t guard = 0; idx && guard <= q->max; guard++) {
        sx_qentry *e = at(q, idx);
        if (e->hash == h && memcmp(e->id, id.p, id.n) == 0 &&
            e->id[id.n] == '\0') {
            if (now > e->last)
                e->last = now;
            if (q->newest != idx) {
                age_unlink(q, e);
                age_push(q, e, idx);
            }
            return e;
        }
        idx = e->next;
    }
    if (!create)
        return NULL;
    idx = take_slot(q, st);
    if (idx == 0)
        return NULL;
    sx_qentry *e = at(q, idx);
    /* Only the header and the first byte of each string need clearing:
     * wiping the whole 1.3 KB entry per message would cost more than the
     * rest of the line's work. */
    e->hash = h;
    e->last = now;
    e->size = 0;
    e->used = 1;
    e->nrcpt = 0;
    e->has_from = 0;
    e->from[0] = e->client[0] = e->msgid[0] = '\0';
    memcpy(e->id, id.p, id.n);
    e->id[id.n] = '\0';
    bucket = &q->buckets[h & (q->nbuckets - 1)];
    e->next = *bucket;
    *bucket = idx;
    age_push(q, e, idx);
    q->count++;
    return e;
}

void sx_q_copy(char *dst, size_t cap, sx_span s)
{
    size_t n = s.n < cap - 1 ? s.n : cap - 1;
    if (n > 0) /* an empty span may have p == NULL: memcpy wants a pointer */
        memcpy(dst, s.p, n);
    dst[n] = '\0';
}

void sx_qentry_defer(sx_qentry *e, sx_span rcpt, sx_span reply, sx_span dsn,
                     sx_span relay)
{
    if (rcpt.n == 0 || rcpt.n >= SX_Q_ADDR_MAX)
        return;
    sx_qrcpt *r = NULL;
    for (unsigned i = 0; i < e->nrcpt; i++)
        if (memcmp(e->rcpt[i].addr, rcpt.p, rcpt.n) == 0 &&
            e->rcpt[i].addr[rcpt.n] == '\0')
            r = &e->rcpt[i];
    if (r == NULL) {
        /* more deferred recipients than kept: the newest replaces the
         * last slot, so an expiry still names most of them */
        r = &e->rcpt[e->nrcpt < SX_Q_RCPT_MAX ? e->nrcpt++
                                              : SX_Q_RCPT_MAX - 1];
        sx_q_copy(r->addr, sizeof r->addr, rcpt);
    }
    sx_q_copy(r->reply, sizeof r->reply, reply);
    sx_q_copy(r->dsn, sizeof r->dsn, dsn);
    sx_q_copy(r->relay, sizeof r->relay, relay);
}

void sx_qentry_done(sx_qentry *e, sx_span rcpt)
{
    if (rcpt.n == 0 || rcpt.n >= SX_Q_ADDR_MAX)
        return;
    for (unsigned i = 0; i < e->nrcpt; i++) {
        if (memcmp(e->rcpt[i].addr, rcpt.p, rcpt.n) == 0 &&
            e->rcpt[i].addr[rcpt.n] == '\0') {
            e->nrcpt--;
            if (i != e->nrcpt)
                e->rcpt[i] = e->rcpt[e->nrcpt];
            return;
        }
    }
}
