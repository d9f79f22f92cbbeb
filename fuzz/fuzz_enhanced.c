/*
 * fuzz_enhanced.c - enhanced status codes (RFC 3463) where they come
 * alone: a DSN "Status:" value, a Diagnostic-Code, a "#5.1.1" Exchange
 * line, and the Status/Action hints given to the classifier. The first
 * byte picks the framing, the rest (short) is the code.
 */
#include <string.h>

#include "fuzz.h"

static const char *const frames[] = {
    "Status: ", "Diagnostic-Code: smtp; ", "#", "", "550 ", "X-Postfix; ",
};

FZ_INIT_CTX

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[96], hint[64];
    smtpdx_ctx *ctx = fz_ctx();
    smtpdx_reply *r = smtpdx_reply_new();
    if (size < 1 || size > 48 || ctx == NULL || r == NULL)
        goto done;
    const char *frame = frames[data[0] % (sizeof frames / sizeof *frames)];
    size_t flen = strlen(frame);
    memcpy(buf, frame, flen);
    memcpy(buf + flen, data + 1, size - 1);
    memcpy(hint, data + 1, size - 1);
    hint[size - 1] = '\0'; /* a hint is a C string: it ends at a NUL */
    smtpdx_reply_parse(r, buf, flen + size - 1);
    fz_check_reply(r);
    smtpdx_hints h = {hint, hint, hint};
    smtpdx_explanation e;
    if (smtpdx_classify(ctx, r, &h, &e) == SMTPDX_OK)
        fz_check_explanation(&e, r);
done:
    smtpdx_reply_free(r);
    return 0;
}
