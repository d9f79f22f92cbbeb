/*
 * ctx.c - smtpdx_ctx_new() and smtpdx_ctx_free().
 *
 * The first ctx of a process also compiles the matcher database (once,
 * thread-safely, in kb/match.c); later ones only make their own scratch.
 */
#include "classify/ctx.h"

#include "kb/kb_tables.h"
#include "util/alloc.h"

smtpdx_status smtpdx_ctx_new(smtpdx_ctx **out)
{
    smtpdx_ctx *ctx = NULL;
    smtpdx_status st = SMTPDX_ERR_NOMEM;

    if (out == NULL)
        return SMTPDX_ERR_INVAL;
    *out = NULL;
    ctx = sx_calloc(1, sizeof(*ctx));
    if (ctx == NULL)
        goto fail;
    ctx->seen = sx_calloc(sx_kb_nproviders ? sx_kb_nproviders : 1, 1);
    if (ctx->seen == NULL)
        goto fail;
    st = sx_match_new(&ctx->match);
    if (st != SMTPDX_OK)
        goto fail;
    st = SMTPDX_ERR_NOMEM;
    ctx->reply = smtpdx_reply_new();
    if (ctx->reply == NULL)
        goto fail;
    *out = ctx;
    return SMTPDX_OK;
fail:
    smtpdx_ctx_free(ctx);
    return st;
}

void smtpdx_ctx_free(smtpdx_ctx *ctx)
{
    if (ctx == NULL)
        return;
    if (ctx->ext_free != NULL)
        ctx->ext_free(ctx->ext);
    smtpdx_reply_free(ctx->reply);
    smtpdx_reply_free(ctx->held);
    sx_match_free(ctx->match);
    sx_free(ctx->seen);
    sx_free(ctx);
}
