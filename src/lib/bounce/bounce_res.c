/*
 * bounce_res.c - the recipient list a detector fills (sx_bres) and the
 * string arena behind it (see bounce.h).
 *
 * Detectors copy spans of decoded text that are about to be reused, so the
 * list owns its strings; one arena per message makes freeing one sweep.
 */
#include <string.h>

#include "bounce/bounce.h"
#include "bounce/bounce_text.h"
#include "util/alloc.h"

#define SX_BARENA_BLOCK 4096u /* the usual block's size */

struct sx_barena_block {
    sx_barena_block *next;
    size_t used, cap;
    char data[];
};

char *sx_barena_dup(sx_barena *a, const char *s, size_t n)
{
    sx_barena_block *b = a->head;
    if (b == NULL || b->cap - b->used < n + 1) {
        size_t cap = n + 1 > SX_BARENA_BLOCK ? n + 1 : SX_BARENA_BLOCK;
        sx_barena_block *nb = sx_malloc(sizeof *nb + cap);
        if (nb == NULL)
            return NULL;
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        a->head = nb;
        b = nb;
    }
    char *p = b->data + b->used;
    if (n > 0)
        memcpy(p, s, n);
    p[n] = '\0';
    b->used += n + 1;
    return p;
}

void sx_barena_release(sx_barena *a)
{
    sx_barena_block *b = a->head;
    while (b != NULL) {
        sx_barena_block *next = b->next;
        sx_free(b);
        b = next;
    }
    a->head = NULL;
}

void sx_bres_init(sx_bres *res)
{
    memset(res, 0, sizeof *res);
    res->agent = "";
    res->reporting_mta = "";
    res->arrival_date = "";
    res->received_from = "";
}

void sx_bres_release(sx_bres *res)
{
    if (res == NULL)
        return;
    sx_free(res->r);
    sx_barena_release(&res->arena);
    sx_bres_init(res);
}

void sx_bres_reset(sx_bres *res)
{
    res->n = 0;
    res->agent = "";
    res->reporting_mta = "";
    res->arrival_date = "";
    res->received_from = "";
    res->orig = NULL;
    res->orig_len = 0;
    res->temporary = 0;
}

/* The list is cleared once per message (the view's own DSN fields): the
 * arena's oldest block, of the usual size, is kept for the next message
 * and emptied; the ones a large message added go. */
void sx_bres_clear(sx_bres *res)
{
    sx_bres_reset(res);
    sx_barena_block *b = res->arena.head;
    while (b != NULL && b->next != NULL) {
        sx_barena_block *next = b->next;
        sx_free(b);
        b = next;
    }
    if (b != NULL && b->cap != SX_BARENA_BLOCK) {
        sx_free(b);
        b = NULL;
    }
    if (b != NULL)
        b->used = 0;
    res->arena.head = b;
}

sx_brcpt *sx_bres_add(sx_bres *res, smtpdx_status *st)
{
    if (res->n >= SX_BOUNCE_MAX_RCPTS) {
        *st = SMTPDX_ERR_LIMIT;
        return NULL;
    }
    if (res->n == res->cap) {
        size_t cap = res->cap ? res->cap * 2 : 8;
        sx_brcpt *p = sx_realloc(res->r, cap * sizeof *p);
        if (p == NULL) {
            *st = SMTPDX_ERR_NOMEM;
            return NULL;
        }
        res->r = p;
        res->cap = cap;
    }
    sx_brcpt *rc = &res->r[res->n++];
    rc->recipient = rc->alias = rc->action = rc->status = rc->diag = "";
    rc->diagtype = rc->command = rc->rhost = rc->lhost = "";
    rc->feedbacktype = rc->date = rc->retry_until = rc->status_note = "";
    rc->hint = SMTPDX_REASON_COUNT;
    rc->hint_strength = SX_HINT_NONE;
    rc->temporary = -1;
    *st = SMTPDX_OK;
    return rc;
}

smtpdx_status sx_bres_set(sx_bres *res, const char **field, const char *s,
                          size_t n)
{
    sx_str t = sx_bt_trim(sx_bt_str(s, s ? n : 0));
    if (t.len == 0) {
        *field = "";
        return SMTPDX_OK;
    }
    char *p = sx_barena_dup(&res->arena, t.p, t.len);
    if (p == NULL)
        return SMTPDX_ERR_NOMEM;
    *field = p;
    return SMTPDX_OK;
}

smtpdx_status sx_bres_sets(sx_bres *res, const char **field, const char *s)
{
    return sx_bres_set(res, field, s, s ? strlen(s) : 0);
}

sx_brcpt *sx_bres_find(sx_bres *res, const char *addr, size_t len)
{
    for (size_t i = 0; i < res->n; i++) {
        const char *r = res->r[i].recipient;
        if (strlen(r) == len && sx_bt_ieq(r, addr, len))
            return &res->r[i];
    }
    return NULL;
}

smtpdx_status sx_bres_capped(sx_bmail *m, smtpdx_status st, size_t listed)
{
    if (st != SMTPDX_ERR_LIMIT || listed == 0)
        return st;
    m->cut |= SMTPDX_CUT_RECIPIENTS;
    return SMTPDX_OK;
}
