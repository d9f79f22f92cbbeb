/*
 * fuzz_log.c - the MTA log parser (every dialect: it picks one per line)
 * fed an arbitrary text line by line, with a tiny queue table so that
 * eviction and expiry run too; records checked and written in every
 * format. The first byte chooses the options, and whether the records
 * are cleared before they are freed (as the CLI clears each batch once it
 * is written).
 */
#include <string.h>

#include "fuzz.h"

FZ_INIT_CTX

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    smtpdx_ctx *ctx = fz_ctx();
    smtpdx_records *rs = smtpdx_records_new();
    smtpdx_logparser *p = NULL;
    smtpdx_log_options o;
    if (size < 1 || ctx == NULL || rs == NULL)
        goto done;
    smtpdx_log_options_init(&o);
    o.utc = 1;
    o.now = 1772445600; /* fixed: no dependence on the clock */
    o.all = data[0] & 1;
    o.queue_max = (data[0] & 2) ? 4 : 0;
    o.queue_max_age = (data[0] & 4) ? 60 : 0;
    if (smtpdx_logparser_new(&o, &p) != SMTPDX_OK)
        goto done;
    const char *s = (const char *)data + 1, *end = (const char *)data + size;
    uint64_t fed = 0;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = (size_t)((nl ? nl : end) - s);
        smtpdx_status st = smtpdx_logparser_feed(p, ctx, s, n, rs);
        FZ_CHECK(st == SMTPDX_OK || st == SMTPDX_ERR_NOMEM);
        fed++;
        s += n + 1;
    }
    smtpdx_logparser_finish(p, ctx, rs);
    const smtpdx_log_stats *stats = smtpdx_logparser_stats(p);
    FZ_CHECK(stats->lines == fed && stats->unknown <= fed);
    for (size_t i = 0; i < smtpdx_records_count(rs); i++)
        fz_check_record(smtpdx_records_get(rs, i));
    fz_check_outputs_records(rs);
    if (data[0] & 8)
        smtpdx_records_clear(rs);
done:
    smtpdx_logparser_free(p);
    smtpdx_records_free(rs);
    return 0;
}
