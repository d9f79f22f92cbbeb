/*
 * bounce.c - smtpdx_bounce_parse(): one message in, one record per failed
 * (or reported) recipient out.
 *
 * Order of reading, most specific first:
 *  1. RFC 5965 feedback reports (multipart/report; report-type=
 *     feedback-report, or a message/feedback-report part);
 *  2. the MTA and provider families (sx_detectors[]): each has a cheap
 *     marker check on the header and first lines, and an extractor that
 *     knows its family's layout (and may read the RFC 3464 part too);
 *     the first one that finds recipients wins;
 *  3. a plain RFC 3464 report (multipart/report, RFC 6522);
 *  4. RFC 3834 automatic replies (reason vacation);
 *  5. the free-text fallback for bounces of unknown families.
 * A message none of them accepts is no bounce: SMTPDX_ERR_NOTBOUNCE.
 */
#include <string.h>

#include "bounce/bounce.h"
#include "record/record.h"
#include "util/alloc.h"

static smtpdx_status run(sx_bmail *m, sx_bres *res, const char *name,
                         smtpdx_status (*extract)(sx_bmail *, sx_bres *))
{
    sx_bres_reset(res);
    smtpdx_status st = extract(m, res);
    if (st == SMTPDX_ERR_LIMIT && res->n > 0)
        st = SMTPDX_OK; /* too many recipients: keep the first ones */
    if (st != SMTPDX_OK)
        return st;
    if (res->n > 0 && res->agent[0] == '\0')
        res->agent = name;
    return SMTPDX_OK;
}

static smtpdx_status detect(sx_bmail *m, sx_bres *res)
{
    smtpdx_status st;
    if (sx_barf_match(m)) {
        st = run(m, res, "ARF", sx_barf_extract);
        if (st != SMTPDX_OK || res->n > 0)
            return st;
    }
    for (size_t i = 0; i < sx_ndetectors; i++) {
        const sx_detector *d = sx_detectors[i];
        if (!d->match(m))
            continue;
        st = run(m, res, d->name, d->extract);
        if (st == SMTPDX_OK && res->n > 0)
            st = sx_bdsn_merge(m, res);
        if (st != SMTPDX_OK || res->n > 0)
            return st;
    }
    st = run(m, res, "RFC3464", sx_bdsn_extract);
    if (st != SMTPDX_OK || res->n > 0)
        return st;
    if (sx_bautoreply_match(m)) {
        st = run(m, res, "RFC3834", sx_bautoreply_extract);
        if (st != SMTPDX_OK || res->n > 0)
            return st;
    }
    if (sx_bgeneric_match(m)) {
        st = run(m, res, "RFC3464", sx_bgeneric_extract);
        if (st != SMTPDX_OK || res->n > 0)
            return st;
    }
    sx_bres_reset(res);
    return SMTPDX_OK;
}

smtpdx_status smtpdx_bounce_parse(smtpdx_ctx *ctx, const char *buf,
                                  size_t len, const char *origin,
                                  smtpdx_records *out)
{
    if (ctx == NULL || out == NULL || (buf == NULL && len > 0))
        return SMTPDX_ERR_INVAL;
    if (buf == NULL)
        buf = "";

    sx_bmail *m = sx_malloc(sizeof *m);
    if (m == NULL)
        return SMTPDX_ERR_NOMEM;
    sx_bres res;
    sx_bres_init(&res);
    smtpdx_status st = sx_bmail_open(m, buf, len);
    if (st != SMTPDX_OK)
        goto done;
    st = detect(m, &res);
    if (st != SMTPDX_OK)
        goto done;
    if (res.n == 0) {
        st = SMTPDX_ERR_NOTBOUNCE;
        goto done;
    }
    st = sx_bounce_emit(ctx, m, &res, origin, out);
done:
    sx_bmail_close(m);
    sx_free(m);
    sx_bres_release(&res);
    return st;
}
