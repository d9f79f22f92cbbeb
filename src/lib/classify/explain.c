/*
 * explain.c - smtpdx_explain(): parse one reply into the ctx's own reply
 * object, then classify it.
 *
 * The reply lives in the ctx so that the strings the explanation points at
 * stay valid until the next call on the same ctx.
 */
#include <string.h>

#include "classify/ctx.h"

smtpdx_status smtpdx_explain(smtpdx_ctx *ctx, const char *in, size_t len,
                             const smtpdx_reply **reply_out,
                             smtpdx_explanation *out)
{
    smtpdx_status st;

    if (reply_out != NULL)
        *reply_out = NULL;
    if (ctx == NULL || out == NULL || (in == NULL && len > 0))
        return SMTPDX_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    out->temporary = -1;
    st = smtpdx_reply_parse(ctx->reply, in ? in : "", len);
    if (reply_out != NULL)
        *reply_out = ctx->reply;
    if (st != SMTPDX_OK)
        return st;
    return smtpdx_classify(ctx, ctx->reply, NULL, out);
}
