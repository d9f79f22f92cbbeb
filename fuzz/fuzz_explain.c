/*
 * fuzz_explain.c - smtpdx_explain() (parse and classify) on arbitrary
 * bytes, then every writer format over the explanation.
 */
#include "fuzz.h"

FZ_INIT_CTX

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    smtpdx_ctx *ctx = fz_ctx();
    const smtpdx_reply *r = NULL;
    smtpdx_explanation e;
    if (ctx == NULL)
        return 0;
    smtpdx_status st = smtpdx_explain(ctx, (const char *)data, size, &r, &e);
    if (st != SMTPDX_OK) {
        FZ_CHECK(st == SMTPDX_ERR_PARSE || st == SMTPDX_ERR_NOMEM ||
                 st == SMTPDX_ERR_LIMIT);
        return 0;
    }
    FZ_CHECK(r != NULL);
    fz_check_reply(r);
    fz_check_explanation(&e, r);
    fz_check_outputs_explanation((const char *)data, size, r, &e);
    return 0;
}
