/*
 * record.c - record lists and the per-record string arena (see record.h).
 *
 * A record's strings live in a chain of blocks owned by the record, so a
 * record is freed in one sweep and producers never track string lifetimes.
 * The first block comes with the record's own allocation. A cleared list
 * keeps its records for the next ones (a producer that runs once per
 * message adds about as many each time): they are made again in place,
 * not allocated and freed record by record.
 */
#include "record/record.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/alloc.h"

typedef struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    char data[];
} arena_block;

struct smtpdx_records {
    smtpdx_record **items;
    size_t count, cap;
    size_t spare; /* cleared records kept at items[count..count+spare) */
};

static const char empty[] = "";

/* A new record: every string "", reason undefined, temporary unknown.
 * Copied from one made at compile time, not set field by field. */
static const smtpdx_record blank = {
    .action = empty, .addresser = empty, .alias = empty, .catch_ = empty,
    .deliverystatus = empty, .destination = empty, .diagnosticcode = empty,
    .diagnostictype = empty, .feedbacktype = empty, .lhost = empty,
    .listid = empty, .messageid = empty, .origin = empty,
    .recipient = empty, .rhost = empty, .senderdomain = empty,
    .smtpagent = empty, .smtpcommand = empty, .subject = empty,
    .token = empty, .matched_text = empty, .queueid = empty,
    .relay = empty, .dsn_status = empty, .delay = empty,
    .why = {.reason = SMTPDX_R_UNDEFINED, .temporary = -1},
};

static void record_init(smtpdx_record *r)
{
    *r = blank;
}

/* A record is allocated with its first arena block right behind it (one
 * allocation for the common record, whose strings fit); later blocks are
 * allocated on their own. */
#define FIRST_BLOCK 1024u
_Static_assert(sizeof(smtpdx_record) % _Alignof(arena_block) == 0,
               "the first block behind a record is aligned");

static arena_block *first_block(smtpdx_record *r)
{
    return (arena_block *)(void *)((char *)r + sizeof *r);
}

static void record_free(smtpdx_record *r)
{
    if (r == NULL)
        return;
    arena_block *b = r->priv_;
    while (b) {
        arena_block *next = b->next;
        if (b != first_block(r))
            sx_free(b);
        b = next;
    }
    sx_free(r);
}

/* Back to what sx_records_add makes: the blocks past the first freed, and
 * the record pointing at the first again (a cleared record may be freed
 * without being reused, and must not lead record_free to the others). */
static void record_trim(smtpdx_record *r)
{
    arena_block *first = first_block(r), *b = r->priv_;
    while (b != NULL && b != first) {
        arena_block *next = b->next;
        sx_free(b);
        b = next;
    }
    first->next = NULL;
    first->used = 0;
    r->priv_ = first;
}

static char *arena_alloc(smtpdx_record *r, size_t n)
{
    arena_block *b = r->priv_;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > 1024 ? n : 1024;
        arena_block *nb = sx_malloc(sizeof *nb + cap);
        if (nb == NULL)
            return NULL;
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        r->priv_ = nb;
        b = nb;
    }
    char *p = b->data + b->used;
    b->used += n;
    return p;
}

smtpdx_records *smtpdx_records_new(void)
{
    return sx_calloc(1, sizeof(smtpdx_records));
}

void smtpdx_records_clear(smtpdx_records *rs)
{
    if (rs == NULL)
        return;
    for (size_t i = 0; i < rs->count; i++)
        record_trim(rs->items[i]);
    rs->spare += rs->count;
    rs->count = 0;
}

void smtpdx_records_free(smtpdx_records *rs)
{
    if (rs == NULL)
        return;
    for (size_t i = 0; i < rs->count + rs->spare; i++)
        record_free(rs->items[i]);
    sx_free(rs->items);
    sx_free(rs);
}

size_t smtpdx_records_count(const smtpdx_records *rs)
{
    return rs ? rs->count : 0;
}

const smtpdx_record *smtpdx_records_get(const smtpdx_records *rs, size_t i)
{
    if (rs == NULL || i >= rs->count)
        return NULL;
    return rs->items[i];
}

smtpdx_record *sx_records_add(smtpdx_records *rs)
{
    smtpdx_record *r;
    if (rs->spare > 0) {
        r = rs->items[rs->count]; /* a cleared one, its first block kept */
        rs->spare--;
    } else {
        if (rs->count == rs->cap) {
            size_t cap = rs->cap ? rs->cap * 2 : 8;
            smtpdx_record **p = sx_realloc(rs->items, cap * sizeof *p);
            if (p == NULL)
                return NULL;
            rs->items = p;
            rs->cap = cap;
        }
        r = sx_malloc(sizeof *r + sizeof(arena_block) + FIRST_BLOCK);
        if (r == NULL)
            return NULL;
    }
    record_init(r);
    arena_block *b = first_block(r);
    b->next = NULL;
    b->used = 0;
    b->cap = FIRST_BLOCK;
    r->priv_ = b;
    rs->items[rs->count++] = r;
    return r;
}

void sx_records_pop(smtpdx_records *rs)
{
    if (rs && rs->count > 0) {
        record_trim(rs->items[--rs->count]);
        rs->spare++;
    }
}

void sx_records_cut_from(smtpdx_records *rs, size_t first, unsigned cut)
{
    for (size_t i = first; rs && i < rs->count; i++)
        rs->items[i]->truncated |= cut;
}

smtpdx_status sx_record_set(smtpdx_record *r, const char **field,
                            const char *s, size_t n)
{
    if (s == NULL || n == 0) {
        *field = empty;
        return SMTPDX_OK;
    }
    char *p = arena_alloc(r, n + 1);
    if (p == NULL)
        return SMTPDX_ERR_NOMEM;
    memcpy(p, s, n);
    p[n] = '\0';
    *field = p;
    return SMTPDX_OK;
}

smtpdx_status sx_record_sets(smtpdx_record *r, const char **field,
                             const char *s)
{
    return sx_record_set(r, field, s, s ? strlen(s) : 0);
}

smtpdx_status sx_record_setf(smtpdx_record *r, const char **field,
                             const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SMTPDX_ERR_INVAL;
    if ((size_t)n < sizeof small)
        return sx_record_set(r, field, small, (size_t)n);
    char *p = arena_alloc(r, (size_t)n + 1);
    if (p == NULL)
        return SMTPDX_ERR_NOMEM;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    *field = p;
    return SMTPDX_OK;
}

smtpdx_status sx_record_set_why(smtpdx_record *r,
                                const smtpdx_explanation *why,
                                const char *text, size_t text_len)
{
    r->why = *why;
    r->reason = why->reason;
    r->hardbounce = smtpdx_reason_is_hard(why->reason, why->temporary == 1);
    if (why->conflict_note) {
        const char *note = NULL;
        smtpdx_status st = sx_record_sets(r, &note, why->conflict_note);
        if (st != SMTPDX_OK)
            return st;
        r->why.conflict_note = note;
    }
    r->matched_text = empty;
    if (text &&
        (why->matched_by == SMTPDX_MATCH_TEXT ||
         why->matched_by == SMTPDX_MATCH_REPORT) &&
        why->match_off <= text_len && why->match_len <= text_len - why->match_off)
        return sx_record_set(r, &r->matched_text, text + why->match_off,
                             why->match_len);
    return SMTPDX_OK;
}
