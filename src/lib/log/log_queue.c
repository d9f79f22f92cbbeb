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

static sx_qmeta *meta(const sx_logq *q, uint32_t idx1)
{
    uint32_t i = idx1 - 1;
    return &q->mchunks[i / CHUNK][i % CHUNK];
}

static sx_qentry *at(const sx_logq *q, uint32_t idx1)
{
    uint32_t i = idx1 - 1;
    return &q->chunks[i / CHUNK][i % CHUNK];
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
    q->mchunks = sx_calloc(q->nchunks, sizeof *q->mchunks);
    size_t nb = 1024;
    while (nb < 2 * max)
        nb <<= 1;
    q->nbuckets = nb;
    q->buckets = sx_calloc(nb, sizeof *q->buckets);
    if (q->chunks == NULL || q->mchunks == NULL || q->buckets == NULL) {
        sx_logq_release(q);
        return SMTPDX_ERR_NOMEM;
    }
    return SMTPDX_OK;
}

void sx_logq_release(sx_logq *q)
{
    for (size_t c = 0; c < q->nchunks; c++) {
        if (q->chunks)
            sx_free(q->chunks[c]);
        if (q->mchunks)
            sx_free(q->mchunks[c]);
    }
    sx_free(q->chunks);
    sx_free(q->mchunks);
    sx_free(q->buckets);
    memset(q, 0, sizeof *q);
}

static void age_unlink(sx_logq *q, sx_qmeta *m)
{
    if (m->older)
        meta(q, m->older)->newer = m->newer;
    else
        q->oldest = m->newer;
    if (m->newer)
        meta(q, m->newer)->older = m->older;
    else
        q->newest = m->older;
    m->older = m->newer = 0;
}

static void age_push(sx_logq *q, sx_qmeta *m, uint32_t idx)
{
    m->older = q->newest;
    m->newer = 0;
    if (q->newest)
        meta(q, q->newest)->newer = idx;
    else
        q->oldest = idx;
    q->newest = idx;
}

static void drop(sx_logq *q, uint32_t idx)
{
    sx_qmeta *m = meta(q, idx);
    uint32_t *link = &q->buckets[m->hash & (q->nbuckets - 1)];
    for (size_t guard = 0; *link && guard <= q->max; guard++) {
        if (*link == idx) {
            *link = m->next;
            break;
        }
        link = &meta(q, *link)->next;
    }
    age_unlink(q, m);
    m->used = 0;
    m->next = q->free_head;
    q->free_head = idx;
    q->count--;
}

void sx_logq_remove(sx_logq *q, sx_qentry *e)
{
    if (e == NULL || e->self == 0 || !meta(q, e->self)->used)
        return;
    drop(q, e->self);
}

void sx_logq_sweep(sx_logq *q, int64_t now)
{
    while (q->oldest) {
        sx_qmeta *m = meta(q, q->oldest);
        if (now == 0 || m->last == 0 || now - m->last <= q->max_age)
            break;
        drop(q, q->oldest);
        q->aged_out++;
    }
}

/* A free slot: from the free list, a new chunk, or the oldest entry. */
static uint32_t take_slot(sx_logq *q, smtpdx_status *st)
{
    if (q->free_head) {
        uint32_t idx = q->free_head;
        q->free_head = meta(q, idx)->next;
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
        if (q->mchunks[c] == NULL) {
            q->mchunks[c] = sx_calloc(CHUNK, sizeof(sx_qmeta));
            if (q->mchunks[c] == NULL) {
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
    drop(q, idx);
    q->evicted++;
    q->free_head = meta(q, idx)->next;
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
        sx_qmeta *m = meta(q, idx);
        if (m->hash == h && memcmp(m->id, id.p, id.n) == 0 &&
            m->id[id.n] == '\0') {
            if (now > m->last)
                m->last = now;
            if (q->newest != idx) {
                age_unlink(q, m);
                age_push(q, m, idx);
            }
            return at(q, idx);
        }
        idx = m->next;
    }
    if (!create)
        return NULL;
    idx = take_slot(q, st);
    if (idx == 0)
        return NULL;
    sx_qmeta *m = meta(q, idx);
    m->hash = h;
    m->last = now;
    m->used = 1;
    memcpy(m->id, id.p, id.n);
    m->id[id.n] = '\0';
    bucket = &q->buckets[h & (q->nbuckets - 1)];
    m->next = *bucket;
    *bucket = idx;
    age_push(q, m, idx);
    q->count++;
    /* Only the header and the first byte of each string need clearing:
     * wiping the whole entry per message would cost more than the rest of
     * the line's work. */
    sx_qentry *e = at(q, idx);
    e->self = idx;
    e->size = 0;
    e->nrcpt = 0;
    e->has_from = 0;
    e->from[0] = e->client[0] = e->msgid[0] = e->tried[0] = '\0';
    return e;
}

void sx_q_copy(char *dst, size_t cap, sx_span s)
{
    size_t n = s.n < cap - 1 ? s.n : cap - 1;
    if (n > 0) /* an empty span may have p == NULL: memcpy wants a pointer */
        memcpy(dst, s.p, n);
    dst[n] = '\0';
}

sx_qrcpt *sx_qentry_find(sx_qentry *e, sx_span rcpt)
{
    if (e == NULL || rcpt.n == 0 || rcpt.n >= SX_Q_ADDR_MAX)
        return NULL;
    for (unsigned i = 0; i < e->nrcpt; i++)
        if (memcmp(e->rcpt[i].addr, rcpt.p, rcpt.n) == 0 &&
            e->rcpt[i].addr[rcpt.n] == '\0')
            return &e->rcpt[i];
    return NULL;
}

void sx_qentry_defer(sx_qentry *e, sx_span rcpt, sx_span reply, sx_span dsn,
                     sx_span relay)
{
    if (rcpt.n == 0 || rcpt.n >= SX_Q_ADDR_MAX)
        return;
    sx_qrcpt *r = sx_qentry_find(e, rcpt);
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
    sx_qrcpt *r = sx_qentry_find(e, rcpt);
    if (r == NULL)
        return;
    e->nrcpt--;
    if (r != &e->rcpt[e->nrcpt])
        *r = e->rcpt[e->nrcpt];
}
