/*
 * fuzz_bounce.c - smtpdx_bounce_parse() on one arbitrary message, then
 * every record checked and written in every format; JSON output must
 * parse, table output must hold no control bytes.
 */
#include "fuzz.h"

FZ_INIT_CTX

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    smtpdx_ctx *ctx = fz_ctx();
    smtpdx_records *rs = smtpdx_records_new();
    if (ctx == NULL || rs == NULL)
        goto done;
    smtpdx_status st = smtpdx_bounce_parse(ctx, (const char *)data, size,
                                           "fuzz/input.eml", rs);
    FZ_CHECK(st == SMTPDX_OK || st == SMTPDX_ERR_NOTBOUNCE ||
             st == SMTPDX_ERR_PARSE || st == SMTPDX_ERR_LIMIT ||
             st == SMTPDX_ERR_NOMEM);
    if (st == SMTPDX_ERR_NOTBOUNCE)
        FZ_CHECK(smtpdx_records_count(rs) == 0);
    for (size_t i = 0; i < smtpdx_records_count(rs); i++)
        fz_check_record(smtpdx_records_get(rs, i));
    fz_check_outputs_records(rs);
done:
    smtpdx_records_free(rs);
    return 0;
}
