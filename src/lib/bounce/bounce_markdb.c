/*
 * bounce_markdb.c - compile the marker scan's databases from the phrase
 * lists (bounce_markdb.h).
 */
#include "bounce/bounce_markdb.h"

#include <string.h>

#include "bounce/bounce_mark.h"
#include "bounce/bounce_text.h"
#include "util/alloc.h"

#define SX_BMARK_PHRASE(id, phrase) phrase,
static const char *const mark_phrases[] = {SX_BMARK_LIST(SX_BMARK_PHRASE)};
#undef SX_BMARK_PHRASE

/* Caseless. Every occurrence is reported: the callers keep the smallest
 * start (bounce_mark.c, on_match) or the smallest id (on_command)
 * themselves, which costs less than Hyperscan's one-report bookkeeping
 * (SINGLEMATCH) on the short texts of a notice. */
#define PHRASE_FLAGS HS_FLAG_CASELESS

static size_t count(sx_bmarkdb_kind kind)
{
    return kind == SX_BMARKDB_MARKS ? (size_t)SX_BMARK_COUNT
                                    : sx_bt_ncommand_phrases;
}

static const char *phrase(sx_bmarkdb_kind kind, size_t i)
{
    return kind == SX_BMARKDB_MARKS ? mark_phrases[i]
                                    : sx_bt_command_phrases[i].phrase;
}

smtpdx_status sx_bmarkdb_compile(sx_bmarkdb_kind kind,
                                 const hs_platform_info_t *platform,
                                 hs_database_t **out)
{
    size_t n = count(kind);
    smtpdx_status st = SMTPDX_OK;
    const char **ph = sx_calloc(n, sizeof *ph);
    unsigned *flags = sx_calloc(n, sizeof *flags);
    unsigned *ids = sx_calloc(n, sizeof *ids);
    size_t *lens = sx_calloc(n, sizeof *lens);

    *out = NULL;
    if (ph == NULL || flags == NULL || ids == NULL || lens == NULL) {
        st = SMTPDX_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        ph[i] = phrase(kind, i);
        flags[i] = PHRASE_FLAGS;
        ids[i] = (unsigned)i;
        lens[i] = strlen(ph[i]);
    }
    hs_compile_error_t *err = NULL;
    if (hs_compile_lit_multi(ph, flags, ids, lens, (unsigned)n, HS_MODE_BLOCK,
                             platform, out, &err) != HS_SUCCESS) {
        hs_free_compile_error(err);
        *out = NULL;
        st = SMTPDX_ERR_KB;
    }
done:
    sx_free(ph);
    sx_free(flags);
    sx_free(ids);
    sx_free(lens);
    return st;
}

uint64_t sx_bmarkdb_fingerprint(void)
{
    /* FNV-1a, 64 bits, over each list's phrases (NUL-ended) and flags. */
    uint64_t h = 0xcbf29ce484222325u;
    for (int k = SX_BMARKDB_MARKS; k <= SX_BMARKDB_COMMANDS; k++) {
        size_t n = count((sx_bmarkdb_kind)k);
        for (size_t i = 0; i < n; i++) {
            const unsigned char *s =
                (const unsigned char *)phrase((sx_bmarkdb_kind)k, i);
            do
                h = (h ^ *s) * 0x100000001b3u;
            while (*s++ != '\0');
        }
        h = (h ^ (uint64_t)n ^ (uint64_t)PHRASE_FLAGS << 32) * 0x100000001b3u;
    }
    return h;
}
