/*
 * bounce_mark.c - one Hyperscan pass finds every family marker phrase
 * (bounce_mark.h) in a notification text.
 *
 * The databases come from the build, serialized (bounce_markdb.h); they
 * are loaded on first use, under a lock, or compiled here when the
 * serialized ones do not fit this machine, and shared read-only
 * afterwards; a failed load leaves the next caller free to try again.
 * The scratch space a scan needs is kept in the caller's smtpdx_ctx
 * (ctx->ext), one per thread like the ctx itself.
 */
#include "bounce/bounce_mark.h"

#include <hs/hs.h>
#include <openssl/evp.h>
#include <pthread.h>

#include "bounce/bounce.h"
#include "bounce/bounce_markdb.h"
#include "bounce/bounce_text.h"
#include "classify/ctx.h"
#include "util/alloc.h"

#define SX_BMARK_PHRASE(id, phrase) phrase,
static const char *const phrases[] = {SX_BMARK_LIST(SX_BMARK_PHRASE)};
#undef SX_BMARK_PHRASE
#define SX_BMARK_LEN(id, phrase) sizeof(phrase) - 1,
static const unsigned short lens[] = {SX_BMARK_LIST(SX_BMARK_LEN)};
#undef SX_BMARK_LEN

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static hs_database_t *db;      /* the family markers */
static hs_database_t *cmd_db;  /* the command phrases (bounce_text.c) */
/* Set once both databases are there; read without the lock after that
 * (they never change again). */
static _Atomic int ready;

const char *sx_bmark_phrase(int id)
{
    return id >= 0 && id < SX_BMARK_COUNT ? phrases[id] : "";
}

uint32_t sx_bmarks_first(const sx_bmarks *mk, int first, int last)
{
    uint32_t best = SX_BMARK_NONE;
    for (int id = first; id <= last; id++)
        if (mk->at[id] < best)
            best = mk->at[id];
    return best;
}

int sx_bmarks_within(const sx_bmarks *mk, int first, int last, size_t end)
{
    for (int id = first; id <= last; id++)
        if (mk->at[id] != SX_BMARK_NONE && (size_t)mk->at[id] + lens[id] <= end)
            return 1;
    return 0;
}

const char *sx_bmarks_find(const sx_bmarks *mk, int id, const char *text,
                           size_t from, size_t n)
{
    uint32_t at = mk->at[id];
    if (at == SX_BMARK_NONE)
        return NULL;
    if (at < from)
        return sx_bt_ifind(text + from, n, phrases[id]);
    return at + lens[id] <= from + n ? text + at : NULL;
}

/* The build's serialized database, if it fits: same phrases, and a
 * Hyperscan and CPU that can run it (hs_alloc_scratch checks the latter). */
static hs_database_t *load(const unsigned char *bytes, size_t len)
{
    hs_database_t *d = NULL;
    hs_scratch_t *probe = NULL;
    if (len == 0 || sx_bmarkdb_built_fingerprint != sx_bmarkdb_fingerprint())
        return NULL;
    if (hs_deserialize_database((const char *)bytes, len, &d) != HS_SUCCESS)
        return NULL;
    if (hs_alloc_scratch(d, &probe) != HS_SUCCESS) {
        hs_free_database(d);
        return NULL;
    }
    hs_free_scratch(probe);
    return d;
}

/* Load (or else compile) whichever database is missing. SMTPDX_ERR_NOMEM
 * when an allocation failed (a caller may try again), SMTPDX_ERR_KB when
 * Hyperscan refused the phrases. */
static smtpdx_status build(void)
{
    if (ready)
        return SMTPDX_OK;
    smtpdx_status st = SMTPDX_OK;
    pthread_mutex_lock(&lock);
    if (cmd_db == NULL) {
        cmd_db = load(sx_bmarkdb_commands, sx_bmarkdb_commands_len);
        if (cmd_db == NULL)
            st = sx_bmarkdb_compile(SX_BMARKDB_COMMANDS, NULL, &cmd_db);
    }
    if (st == SMTPDX_OK && db == NULL) {
        db = load(sx_bmarkdb_marks, sx_bmarkdb_marks_len);
        if (db == NULL)
            st = sx_bmarkdb_compile(SX_BMARKDB_MARKS, NULL, &db);
    }
    if (st == SMTPDX_OK)
        ready = 1;
    pthread_mutex_unlock(&lock);
    return st;
}

static void bctx_free(void *p)
{
    sx_bctx *b = p;
    if (b == NULL)
        return;
    hs_free_scratch(b->scratch);
    EVP_MD_CTX_free(b->sha1);
    sx_bres_release(&b->res);
    sx_bemit_free(b->emit);
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
        sx_bres_init(&b->res);
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
    if (id >= SX_BMARK_COUNT)
        return 0;
    size_t start = (size_t)to - lens[id];
    if (start < out->at[id])
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
