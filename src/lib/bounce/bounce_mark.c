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

#include "bounce/bounce.h"
#include "bounce/bounce_text.h"
#include "classify/ctx.h"
#include "util/alloc.h"

#define SX_BMARK_PHRASE(id, phrase) phrase,
static const char *const phrases[] = {SX_BMARK_LIST(SX_BMARK_PHRASE)};
#undef SX_BMARK_PHRASE

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static hs_database_t *db;      /* the family markers */
static hs_database_t *cmd_db;  /* the command phrases (bounce_text.c) */

const char *sx_bmark_phrase(int id)
{
    return id >= 0 && id < SX_BMARK_COUNT ? phrases[id] : "";
}

/* NULL with *st set when the database cannot be made: SMTPDX_ERR_NOMEM
 * when our own arrays could not be allocated (a caller may try again),
 * SMTPDX_ERR_KB when Hyperscan refused the phrases. */
static hs_database_t *compile(const char *const *ph, size_t n,
                              smtpdx_status *st)
{
    hs_database_t *d = NULL;
    unsigned *flags = sx_malloc(n * sizeof *flags);
    unsigned *ids = sx_malloc(n * sizeof *ids);
    size_t *lens = sx_malloc(n * sizeof *lens);
    if (!flags || !ids || !lens) {
        *st = SMTPDX_ERR_NOMEM;
    } else {
        for (unsigned i = 0; i < n; i++) {
            flags[i] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH;
            ids[i] = i;
            lens[i] = strlen(ph[i]);
        }
        hs_compile_error_t *err = NULL;
        if (hs_compile_lit_multi(ph, flags, ids, lens, (unsigned)n,
                                 HS_MODE_BLOCK, NULL, &d, &err) != HS_SUCCESS) {
            hs_free_compile_error(err);
            d = NULL;
            *st = SMTPDX_ERR_KB;
        }
    }
    sx_free(flags);
    sx_free(ids);
    sx_free(lens);
    return d;
}

static smtpdx_status build(void)
{
    smtpdx_status st = SMTPDX_OK;
    pthread_mutex_lock(&lock);
    if (cmd_db == NULL) {
        const char *ph[64];
        size_t n = sx_bt_ncommand_phrases < 64 ? sx_bt_ncommand_phrases : 64;
        for (size_t i = 0; i < n; i++)
            ph[i] = sx_bt_command_phrases[i].phrase;
        cmd_db = compile(ph, n, &st);
    }
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

static void bctx_free(void *p)
{
    sx_bctx *b = p;
    if (b == NULL)
        return;
    hs_free_scratch(b->scratch);
    if (b->spare != NULL) {
        sx_bmail_close(b->spare);
        sx_free(b->spare);
    }
    sx_free(b);
}

sx_bctx *sx_bctx_get(smtpdx_ctx *ctx)
{
    if (ctx->ext == NULL) {
        sx_bctx *b = sx_calloc(1, sizeof *b);
        if (b == NULL)
            return NULL;
        ctx->ext = b;
        ctx->ext_free = bctx_free;
    }
    return ctx->ext;
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

/* One scratch big enough for both databases (Hyperscan grows it). */
static smtpdx_status scratch(sx_bctx *b)
{
    if (b->scratch != NULL)
        return SMTPDX_OK;
    hs_scratch_t *s = NULL;
    if (hs_alloc_scratch(db, &s) != HS_SUCCESS ||
        hs_alloc_scratch(cmd_db, &s) != HS_SUCCESS) {
        hs_free_scratch(s);
        return SMTPDX_ERR_NOMEM;
    }
    b->scratch = s;
    return SMTPDX_OK;
}

static int on_command(unsigned int id, unsigned long long from,
                      unsigned long long to, unsigned int flags, void *arg)
{
    (void)from;
    (void)to;
    (void)flags;
    unsigned *best = arg;
    if (id < *best)
        *best = id;
    return 0;
}

const char *sx_bmark_command(smtpdx_ctx *ctx, const char *s, size_t n)
{
    if (ctx == NULL || n == 0 || build() != SMTPDX_OK)
        return ctx == NULL ? sx_bt_command(s, n) : NULL;
    sx_bctx *b = sx_bctx_get(ctx);
    if (b == NULL || scratch(b) != SMTPDX_OK)
        return sx_bt_command(s, n);
    unsigned best = UINT32_MAX;
    if (n > UINT32_MAX - 1)
        n = UINT32_MAX - 1;
    if (hs_scan(cmd_db, s, (unsigned)n, 0, b->scratch, on_command, &best) !=
            HS_SUCCESS ||
        best >= sx_bt_ncommand_phrases)
        return NULL;
    return sx_bt_command_phrases[best].cmd;
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
    sx_bctx *b = sx_bctx_get(ctx);
    if (b == NULL || scratch(b) != SMTPDX_OK)
        return SMTPDX_ERR_NOMEM;
    hit_ctx hc = {out};
    if (hs_scan(db, text, (unsigned)len, 0, b->scratch, on_match, &hc) !=
        HS_SUCCESS)
        return SMTPDX_ERR_INVAL;
    return SMTPDX_OK;
}
