/*
 * log_hold.c - refusals kept back until the log names their sender.
 *
 * Sendmail writes the envelope sender of a session whose recipients it
 * refused only when the session's envelope ends, after the refusals:
 *   "QID: <ghost@here>... User unknown"
 *   "QID: from=<mallory@there>, size=0, class=0, nrcpts=0, ..."
 * So such a refusal is copied here (the line it came from is gone by
 * then) and written when the from= line of its queue id comes, with that
 * sender; or without one when the log's clock has moved on by
 * SX_HOLD_SECONDS (the client vanished), when too many wait, and at the
 * end of the input. Each record keeps its own line's time and origin.
 */
#include <string.h>

#include "log/log.h"
#include "util/alloc.h"

/* A session that refuses a recipient ends within seconds: the client
 * gives up (QUIT, RSET) or the server drops it. */
#define SX_HOLD_SECONDS 60
/* So many refusals may wait at once (a spammer's run of guesses); the
 * oldest goes out without its sender to make room. */
#define SX_HOLD_MAX 1024

struct sx_held {
    sx_logevent ev;   /* its spans point into blob */
    char *blob;
    sx_logtime now;   /* of the refusal's line */
    uint64_t line;
};

/* The spans of an event, in one list for copying. */
#define SPANS(ev)                                                          \
    {&(ev)->queueid, &(ev)->recipient, &(ev)->alias, &(ev)->sender,         \
     &(ev)->relay,   &(ev)->rhost,     &(ev)->lhost, &(ev)->dsn,            \
     &(ev)->delay,   &(ev)->reply,     &(ev)->command, &(ev)->msgid,        \
     &(ev)->said}

static smtpdx_status copy_event(sx_held *h, const sx_logevent *ev)
{
    h->ev = *ev;
    sx_span *sp[] = SPANS(&h->ev);
    size_t nsp = sizeof sp / sizeof sp[0], total = 1;
    for (size_t i = 0; i < nsp; i++)
        total += sp[i]->n;
    h->blob = sx_malloc(total);
    if (h->blob == NULL)
        return SMTPDX_ERR_NOMEM;
    char *w = h->blob;
    for (size_t i = 0; i < nsp; i++) {
        if (sp[i]->n)
            memcpy(w, sp[i]->p, sp[i]->n);
        *sp[i] = sx_span_make(w, sp[i]->n);
        w += sp[i]->n;
    }
    return SMTPDX_OK;
}

/* Write held event i (with sender, when it has one now) and drop it. */
static smtpdx_status release_one(smtpdx_logparser *p, smtpdx_ctx *ctx,
                                 size_t i, sx_span sender,
                                 smtpdx_records *out)
{
    sx_holds *hs = &p->held;
    sx_held h = hs->v[i];
    memmove(hs->v + i, hs->v + i + 1, (hs->n - i - 1) * sizeof *hs->v);
    hs->n--;
    if (sender.n)
        h.ev.sender = sender;
    /* the record tells the refusal's own time and line */
    sx_logtime now = p->now;
    uint64_t line = p->origin_line;
    p->now = h.now;
    p->origin_line = h.line;
    smtpdx_status st = sx_log_emit(p, ctx, &h.ev, out);
    p->now = now;
    p->origin_line = line;
    sx_free(h.blob);
    return st;
}

smtpdx_status sx_log_hold(smtpdx_logparser *p, smtpdx_ctx *ctx,
                          const sx_logevent *ev, smtpdx_records *out)
{
    sx_holds *hs = &p->held;
    smtpdx_status st = SMTPDX_OK;
    if (hs->n == SX_HOLD_MAX &&
        (st = release_one(p, ctx, 0, sx_span_make("", 0), out)) !=
            SMTPDX_OK)
        return st;
    if (hs->n == hs->cap) {
        size_t cap = hs->cap ? hs->cap * 2 : 16;
        sx_held *v = sx_realloc(hs->v, cap * sizeof *v);
        if (v == NULL)
            return SMTPDX_ERR_NOMEM;
        hs->v = v;
        hs->cap = cap;
    }
    sx_held *h = &hs->v[hs->n];
    if ((st = copy_event(h, ev)) != SMTPDX_OK)
        return st;
    h->now = p->now;
    h->line = p->origin_line;
    hs->n++;
    return SMTPDX_OK;
}

smtpdx_status sx_log_unhold(smtpdx_logparser *p, smtpdx_ctx *ctx,
                            sx_span qid, sx_span sender, smtpdx_records *out)
{
    sx_holds *hs = &p->held;
    for (size_t i = 0; i < hs->n;) {
        sx_span id = hs->v[i].ev.queueid;
        if (id.n != qid.n || memcmp(id.p, qid.p, qid.n) != 0) {
            i++;
            continue;
        }
        smtpdx_status st = release_one(p, ctx, i, sender, out);
        if (st != SMTPDX_OK)
            return st;
    }
    return SMTPDX_OK;
}

smtpdx_status sx_log_hold_sweep(smtpdx_logparser *p, smtpdx_ctx *ctx,
                                int all, smtpdx_records *out)
{
    sx_holds *hs = &p->held;
    while (hs->n > 0) {
        int64_t t = hs->v[0].now.t;
        /* a line without a time (or a clock set back) says nothing of
         * how long the oldest has waited */
        if (!all && (p->now.t == 0 || p->now.t - t < SX_HOLD_SECONDS))
            break;
        smtpdx_status st = release_one(p, ctx, 0, sx_span_make("", 0), out);
        if (st != SMTPDX_OK)
            return st;
    }
    return SMTPDX_OK;
}

void sx_log_hold_release(smtpdx_logparser *p)
{
    for (size_t i = 0; i < p->held.n; i++)
        sx_free(p->held.v[i].blob);
    sx_free(p->held.v);
    memset(&p->held, 0, sizeof p->held);
}
