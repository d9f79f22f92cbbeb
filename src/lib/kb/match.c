/*
 * match.c - the phrase matcher (match.h) over two Hyperscan databases:
 *  - the main one holds every phrase, regex and provider marker, so one
 *    pass over a reply finds every rule that could apply, however large
 *    the knowledge base;
 *  - a second one holds the regexes again with start-of-match tracking; it
 *    is run only when a regex wins, to report the span it matched.
 * Both come from the build, serialized (see hsdb.h); they are loaded once
 * per process, or compiled here when the serialized ones do not fit this
 * machine or these tables, and then shared read-only by all threads.
 */
#include "kb/match.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "kb/hsdb.h"
#include "kb/kb_tables.h"
#include "util/alloc.h"

struct sx_match {
    hs_scratch_t *scratch;   /* big enough for both databases */
    sx_match_hit *hits;      /* one slot per pattern */
    size_t nhits;
    /* scan number of each pattern's last report: its first report in a
     * scan is kept, the others dropped (the main database reports every
     * match, hsdb.c) */
    unsigned *stamp;
    unsigned scan;
    /* for the start search */
    unsigned want;
    size_t want_end, found_start;
    int found;
};

/* Loaded once, under this lock, by the first sx_match_new() that gets
 * through (not pthread_once: a failed allocation must leave the next
 * caller free to try again). Read-only afterwards: a thread only scans
 * with a scratch it got from sx_match_new(), after taking the lock. */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static int init_done;
static hs_database_t *main_db;  /* NULL when there is no pattern */
static hs_database_t *som_db;   /* NULL when there is no regex */
static smtpdx_status init_status;
static char init_error[512];

/* The build's serialized database, if it fits: same tables, and a
 * Hyperscan and CPU that can run it (hs_alloc_scratch checks the latter). */
static hs_database_t *load(const unsigned char *bytes, size_t len)
{
    hs_database_t *db = NULL;
    hs_scratch_t *probe = NULL;
    if (len == 0 || sx_kb_hsdb_fingerprint != sx_hsdb_fingerprint())
        return NULL;
    if (hs_deserialize_database((const char *)bytes, len, &db) != HS_SUCCESS)
        return NULL;
    if (hs_alloc_scratch(db, &probe) != HS_SUCCESS) {
        hs_free_database(db);
        return NULL;
    }
    hs_free_scratch(probe);
    return db;
}

static void init_dbs(void)
{
    main_db = load(sx_kb_hsdb_main, sx_kb_hsdb_main_len);
    som_db = load(sx_kb_hsdb_som, sx_kb_hsdb_som_len);
    init_status = SMTPDX_OK;
    if (main_db == NULL)
        init_status = sx_hsdb_compile(SX_HSDB_MAIN, NULL, &main_db,
                                      init_error, sizeof(init_error));
    if (init_status == SMTPDX_OK && som_db == NULL)
        init_status = sx_hsdb_compile(SX_HSDB_SOM, NULL, &som_db, init_error,
                                      sizeof(init_error));
    if (init_status != SMTPDX_OK) {
        hs_free_database(main_db);
        hs_free_database(som_db);
        main_db = som_db = NULL;
    }
}

const char *sx_match_error(void)
{
    return init_error[0] ? init_error : NULL;
}

smtpdx_status sx_match_new(sx_match **out)
{
    sx_match *m = NULL;
    smtpdx_status st = SMTPDX_ERR_NOMEM;

    if (out == NULL)
        return SMTPDX_ERR_INVAL;
    *out = NULL;
    if (pthread_mutex_lock(&init_lock) != 0)
        return SMTPDX_ERR_KB;
    if (!init_done) {
        init_dbs();
        init_done = init_status != SMTPDX_ERR_NOMEM;
    }
    st = init_status;
    pthread_mutex_unlock(&init_lock);
    if (st != SMTPDX_OK)
        return st;
    st = SMTPDX_ERR_NOMEM;
    m = sx_calloc(1, sizeof(*m));
    if (m == NULL)
        goto fail;
    m->hits = sx_calloc(sx_kb_npatterns ? sx_kb_npatterns : 1,
                        sizeof(*m->hits));
    m->stamp = sx_calloc(sx_kb_npatterns ? sx_kb_npatterns : 1,
                         sizeof(*m->stamp));
    if (m->hits == NULL || m->stamp == NULL)
        goto fail;
    /* One scratch grown to fit both databases (hs_alloc_scratch). */
    if ((main_db && hs_alloc_scratch(main_db, &m->scratch) != HS_SUCCESS) ||
        (som_db && hs_alloc_scratch(som_db, &m->scratch) != HS_SUCCESS))
        goto fail;
    *out = m;
    return SMTPDX_OK;
fail:
    sx_match_free(m);
    return st;
}

void sx_match_free(sx_match *m)
{
    if (m == NULL)
        return;
    if (m->scratch != NULL)
        hs_free_scratch(m->scratch);
    sx_free(m->hits);
    sx_free(m->stamp);
    sx_free(m);
}

static int on_hit(unsigned id, unsigned long long from, unsigned long long to,
                  unsigned flags, void *arg)
{
    sx_match *m = arg;
    (void)from;
    (void)flags;
    if (id >= sx_kb_npatterns || m->stamp[id] == m->scan)
        return 0; /* not the pattern's first match */
    m->stamp[id] = m->scan;
    /* One hit per pattern at most, so this never passes the array's end;
     * the check keeps it so should that change. */
    if (m->nhits < sx_kb_npatterns) {
        m->hits[m->nhits].pattern = id;
        m->hits[m->nhits].end = (size_t)to;
        m->nhits++;
    }
    return 0;
}

smtpdx_status sx_match_scan(sx_match *m, const char *text, size_t len,
                            const sx_match_hit **hits, size_t *nhits)
{
    m->nhits = 0;
    *hits = m->hits;
    *nhits = 0;
    if (main_db == NULL || text == NULL || len == 0)
        return SMTPDX_OK;
    if (len > UINT_MAX)
        len = UINT_MAX;
    if (++m->scan == 0) {
        /* wrapped: no stamp may equal a new scan's number */
        memset(m->stamp, 0, sx_kb_npatterns * sizeof(*m->stamp));
        m->scan = 1;
    }
    hs_error_t e = hs_scan(main_db, text, (unsigned)len, 0, m->scratch,
                           on_hit, m);
    if (e == HS_SCRATCH_IN_USE)
        return SMTPDX_ERR_INVAL;
    if (e != HS_SUCCESS)
        return SMTPDX_ERR_KB;
    *nhits = m->nhits;
    return SMTPDX_OK;
}

static int on_som(unsigned id, unsigned long long from, unsigned long long to,
                  unsigned flags, void *arg)
{
    sx_match *m = arg;
    (void)flags;
    if (id == m->want && to == m->want_end) {
        m->found_start = (size_t)from;
        m->found = 1;
        return 1;  /* stop the scan: found */
    }
    return 0;
}

/* Does every match of the regex start at offset 0: does it begin with
 * "^" and have no "|" outside groups and classes ("^a|b" does not)? The
 * patterns are compiled without HS_FLAG_MULTILINE, so "^" is only the
 * start of the text, and the start needs no scan. Anything this reading
 * could get wrong (an optional "^", "(?" flags or comments, \Q quoting)
 * answers no: the scan then tells. */
static int anchored_at_start(const char *re)
{
    int depth = 0;
    if (re[0] != '^' || strchr("?*+{", re[1]) != NULL)
        return 0;  /* (strchr finds the NUL too: a bare "^" is left alone) */
    for (const char *q = re + 1; *q; q++) {
        if (*q == '\\') {
            if (*++q == '\0' || *q == 'Q')
                return 0;
        } else if (*q == '[') {
            /* a class: "]" right after "[" or "[^" is one of its bytes */
            q++;
            if (*q == '^')
                q++;
            if (*q == ']')
                q++;
            for (; *q != ']'; q++) {
                if (*q == '\0')
                    return 0;
                if (*q == '\\' && *++q == '\0')
                    return 0;
            }
        } else if (*q == '(') {
            if (q[1] == '?')
                return 0;
            depth++;
        } else if (*q == ')') {
            depth--;
        } else if (*q == '|' && depth == 0) {
            return 0;
        }
    }
    return 1;
}

int sx_match_start(sx_match *m, unsigned pattern, const char *text,
                   size_t len, size_t end, size_t *start)
{
    if (som_db == NULL || text == NULL || end == 0 || end > len ||
        len > UINT_MAX)
        return -1;
    if (pattern < sx_kb_npatterns &&
        anchored_at_start(sx_kb_patterns[pattern].expr)) {
        *start = 0;
        return 0;
    }
    m->want = pattern;
    m->want_end = end;
    m->found = 0;
    /* The whole text, not just up to end, so that anchors such as $ see
     * the same input as in the main scan. */
    hs_error_t e = hs_scan(som_db, text, (unsigned)len, 0, m->scratch,
                           on_som, m);
    if ((e != HS_SUCCESS && e != HS_SCAN_TERMINATED) || !m->found)
        return -1;
    *start = m->found_start;
    return 0;
}
