/*
 * match.h - the phrase matcher: every text-rule phrase and regex and every
 * provider marker of the knowledge base in one Hyperscan database.
 *
 * The database is loaded once per process, on first use, under a lock,
 * and is then shared read-only by all threads. Scanning needs
 * per-thread scratch space, which an sx_match holds: one per smtpdx_ctx.
 * After sx_match_new() a scan allocates nothing.
 */
#ifndef SX_MATCH_H
#define SX_MATCH_H
#include <stddef.h>

#include "smtpdx.h"

/* One pattern found: its index in sx_kb_patterns and the offset just past
 * the end of its first match (Hyperscan reports ends, not starts). */
typedef struct sx_match_hit {
    unsigned pattern;
    size_t end;
} sx_match_hit;

typedef struct sx_match sx_match;

/* Compile the database if that has not happened yet (thread-safe) and make
 * the scratch space for one thread. SMTPDX_ERR_KB when the knowledge base
 * does not compile (sx_match_error() says why), SMTPDX_ERR_NOMEM. */
smtpdx_status sx_match_new(sx_match **out);
void sx_match_free(sx_match *m);

/* Find every pattern in text[0..len). The hits, at most one per pattern,
 * stay valid until the next scan on m. SMTPDX_ERR_INVAL when m is being
 * used by two threads at once. */
smtpdx_status sx_match_scan(sx_match *m, const char *text, size_t len,
                            const sx_match_hit **hits, size_t *nhits);

/* Where the match of regex `pattern` that ends at `end` starts (the
 * leftmost start), text[0..len) being what was scanned. Phrases need no
 * call: their start is end - weight. Returns 0 and sets *start, or -1 when
 * it cannot be told. */
int sx_match_start(sx_match *m, unsigned pattern, const char *text,
                   size_t len, size_t end, size_t *start);

/* Why the database did not compile ("text-x.kb:12: ..."), or NULL. */
const char *sx_match_error(void);

#endif
