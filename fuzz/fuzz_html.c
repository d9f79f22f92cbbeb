/*
 * fuzz_html.c - the HTML-to-text renderer of HTML-only notices
 * (sx_bhtml_to_text) on arbitrary bytes, with a small output limit too,
 * so that the cut at the limit is reached.
 *
 * Beside memory errors it checks what bounce_html.h promises: the status
 * is OK or NOMEM (never NOMEM with room to grow), the text stays within
 * the buffer's limit, and it holds no NUL that the input did not.
 */
#include <string.h>

#include "bounce/bounce_html.h"
#include "fuzz.h"

static void one(const char *s, size_t n, size_t max)
{
    sx_sbuf out;
    sx_sbuf_init(&out, max);
    smtpdx_status st = sx_bhtml_to_text(s, n, &out);
    FZ_CHECK(st == SMTPDX_OK || st == SMTPDX_ERR_NOMEM);
    FZ_CHECK(out.len <= max);
    if (out.len > 0 && memchr(s, '\0', n) == NULL)
        FZ_CHECK(memchr(out.data, '\0', out.len) == NULL);
    sx_sbuf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one((const char *)data, size, 1u << 20);
    one((const char *)data, size, 64);
    return 0;
}
