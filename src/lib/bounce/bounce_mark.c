/*
 * bounce_mark.c - one Hyperscan pass finds every family marker phrase
 * (bounce_mark.h) in a notification text.
 *
 * The database is built on first use, under a lock, and shared read-only
 * afterwards; a failed build leaves the next caller free to try again.
 * The scratch space a scan needs is kept in the caller's smtpdx_ctx
 * (ctx->ext), one per thread like the ctx itself.
 */
#include "bounce/bounce_mark.h"

#include <hs/hs.h>
#include <pthread.h>
#include <string.h>

#include "classify/ctx.h"
#include "util/alloc.h"

#define SX_BMARK_PHRASE(id, phrase) phrase,
static const char *const phrases[] = {SX_BMARK_LIST(SX_BMARK_PHRASE)};
#undef SX_BMARK_PHRASE

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static hs_database_t *db;

const char *sx_bmark_phrase(int id)
{
    return id >= 0 && id < SX_BMARK_COUNT ? phrases[id] : "";
}

static smtpdx_status build(void)
{
    smtpdx_status st = SMTPDX_OK;
    pthread_mutex_lock(&lock);
    if (db == NULL) {
        unsigned flags[SX_BMARK_COUNT], ids[SX_BMARK_COUNT];
        size_t lens[SX_BMARK_COUNT];
        for (unsigned i = 0; i < SX_BMARK_COUNT; i++) {
            flags[i] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH;
            ids[i] = i;
            lens[i] = strlen(phrases[i]);
        }
        hs_compile_error_t *err = NULL;
        if (hs_compile_lit_multi(phrases, flags, ids, lens, SX_BMARK_COUNT,
                                 HS_MODE_BLOCK, NULL, &db, &err) !=
            HS_SUCCESS) {
            hs_free_compile_error(err);
            db = NULL;
            st = SMTPDX_ERR_KB;
        }
    }
    pthread_mutex_unlock(&lock);
    return st;
}

static void scratch_free(void *p)
{
    hs_free_scratch(p);
}

typedef struct hit_ctx {
    sx_bmarks *out;
} hit_ctx;

static int on_match(unsigned int id, unsigned long long from,
                    unsigned long long to, unsigned int flags, void *arg)
{
    (void)from;
    (void)flags;
    sx_bmarks *out = ((hit_ctx *)arg)->out;
    size_t start = (size_t)to - strlen(phrases[id]);
    if (id < SX_BMARK_COUNT && start < out->at[id])
        out->at[id] = (uint32_t)start;
    return 0;
}

smtpdx_status sx_bmarks_scan(smtpdx_ctx *ctx, const char *text, size_t len,
                             sx_bmarks *out)
{
    for (unsigned i = 0; i < SX_BMARK_COUNT; i++)
        out->at[i] = SX_BMARK_NONE;
    if (len == 0)
        return SMTPDX_OK;
    if (len > UINT32_MAX - 1)
        len = UINT32_MAX - 1;
    smtpdx_status st = build();
    if (st != SMTPDX_OK)
        return st;
    if (ctx->ext == NULL) {
        hs_scratch_t *s = NULL;
        if (hs_alloc_scratch(db, &s) != HS_SUCCESS)
            return SMTPDX_ERR_NOMEM;
        ctx->ext = s;
        ctx->ext_free = scratch_free;
    }
    hit_ctx hc = {out};
    if (hs_scan(db, text, (unsigned)len, 0, ctx->ext, on_match, &hc) !=
        HS_SUCCESS)
        return SMTPDX_ERR_INVAL;
    return SMTPDX_OK;
}
