/*
 * fuzz_reply.c - smtpdx_reply_parse() on arbitrary bytes, twice into the
 * same reply (the second parse must not see the first one's state).
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    smtpdx_reply *r = smtpdx_reply_new();
    if (r == NULL)
        return 0;
    smtpdx_status st = smtpdx_reply_parse(r, (const char *)data, size);
    FZ_CHECK(st == SMTPDX_OK || st == SMTPDX_ERR_PARSE ||
             st == SMTPDX_ERR_NOMEM || st == SMTPDX_ERR_LIMIT);
    fz_check_reply(r);
    smtpdx_reply_parse(r, (const char *)data + size / 2, size - size / 2);
    fz_check_reply(r);
    smtpdx_reply_free(r);
    return 0;
}
