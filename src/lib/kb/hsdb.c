/*
 * hsdb.c - compile the matcher databases from sx_kb_patterns (hsdb.h).
 *
 * All patterns are caseless. Regexes also get DOTALL, so that "." crosses
 * the line breaks of a joined multi-line reply. The classifier needs one
 * report per pattern, its first; the main database still reports every
 * match and match.c keeps the first of each: Hyperscan's single-match mode
 * costs more per scan (about 6% of it, measured on real bounces) than
 * the few extra reports do. The start-of-match
 * database holds only the regexes (a phrase's start is its end minus its
 * length), because tracking starts makes a database slower and larger.
 */
#include "kb/hsdb.h"

#include <limits.h>
#include <stdio.h>

#include "kb/kb_tables.h"
#include "util/alloc.h"

static unsigned pattern_flags(const sx_kb_pattern *p, sx_hsdb_kind kind)
{
    unsigned f = HS_FLAG_CASELESS;
    if (p->is_regex)
        f |= HS_FLAG_DOTALL;
    if (kind == SX_HSDB_SOM)
        f |= HS_FLAG_SOM_LEFTMOST;
    return f;
}

static int wanted(const sx_kb_pattern *p, sx_hsdb_kind kind)
{
    return kind == SX_HSDB_MAIN || p->is_regex;
}

smtpdx_status sx_hsdb_compile(sx_hsdb_kind kind,
                              const hs_platform_info_t *platform,
                              hs_database_t **out, char *err, size_t errlen)
{
    size_t n = 0;
    const char **exprs = NULL;
    unsigned *flags = NULL, *ids = NULL;
    hs_compile_error_t *cerr = NULL;
    smtpdx_status st = SMTPDX_OK;

    *out = NULL;
    if (errlen)
        err[0] = '\0';
    for (size_t i = 0; i < sx_kb_npatterns; i++)
        n += wanted(&sx_kb_patterns[i], kind);
    if (n == 0)
        return SMTPDX_OK;
    if (n > UINT_MAX)
        return SMTPDX_ERR_LIMIT;
    exprs = sx_calloc(n, sizeof(*exprs));
    flags = sx_calloc(n, sizeof(*flags));
    ids = sx_calloc(n, sizeof(*ids));
    if (exprs == NULL || flags == NULL || ids == NULL) {
        st = SMTPDX_ERR_NOMEM;
        goto done;
    }
    n = 0;
    for (size_t i = 0; i < sx_kb_npatterns; i++) {
        const sx_kb_pattern *p = &sx_kb_patterns[i];
        if (!wanted(p, kind))
            continue;
        exprs[n] = p->expr;
        flags[n] = pattern_flags(p, kind);
        ids[n] = (unsigned)i;
        n++;
    }
    if (hs_compile_multi(exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK,
                         platform, out, &cerr) != HS_SUCCESS) {
        st = SMTPDX_ERR_KB;
        *out = NULL;
        if (cerr != NULL && cerr->expression >= 0 &&
            (size_t)cerr->expression < n) {
            const sx_kb_pattern *p = &sx_kb_patterns[ids[cerr->expression]];
            snprintf(err, errlen, "%s: the matcher refuses /%.80s/: %s",
                     p->origin, p->expr, cerr->message);
        } else {
            snprintf(err, errlen, "matcher database: %s",
                     cerr ? cerr->message : "unknown error");
        }
    }
    hs_free_compile_error(cerr);
done:
    sx_free(exprs);
    sx_free(flags);
    sx_free(ids);
    return st;
}

uint64_t sx_hsdb_fingerprint(void)
{
    /* FNV-1a, 64 bits: fast, and collisions only matter against tables
     * built on purpose to collide. */
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < sx_kb_npatterns; i++) {
        const sx_kb_pattern *p = &sx_kb_patterns[i];
        for (const unsigned char *s = (const unsigned char *)p->expr; *s; s++)
            h = (h ^ *s) * 0x100000001b3u;
        unsigned f = pattern_flags(p, SX_HSDB_MAIN) |
                     (unsigned)p->is_regex << 30 | (unsigned)p->is_marker << 31;
        for (int b = 0; b < 4; b++)
            h = (h ^ ((f >> (8 * b)) & 0xffu)) * 0x100000001b3u;
    }
    return h ^ sx_kb_npatterns;
}
