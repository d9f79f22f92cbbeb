/*
 * hsdb.h - building the matcher's Hyperscan databases from the compiled
 * knowledge base, shared by the library (kb/match.c) and the build-time
 * tool tools/kbdb.c.
 *
 * Compiling the databases takes a good fraction of a second, too long for
 * every start of the command-line tool, so the build compiles them once
 * (for a generic CPU, so that the result runs on any machine Hyperscan
 * supports) and links the serialized bytes in as kb_hsdb.c. At run time
 * the library deserializes them, which takes well under a millisecond, and
 * compiles afresh only when they do not fit: another Hyperscan version,
 * another CPU family, or other knowledge-base tables than they were made
 * from (the fingerprint tells).
 */
#ifndef SX_HSDB_H
#define SX_HSDB_H
#include <hs/hs.h>
#include <stddef.h>
#include <stdint.h>

#include "smtpdx.h"

typedef enum sx_hsdb_kind {
    SX_HSDB_MAIN = 0,  /* every phrase, regex and marker */
    SX_HSDB_SOM        /* the regexes alone, reporting where matches start */
} sx_hsdb_kind;

/* Compile one database from sx_kb_patterns for `platform` (NULL: this
 * machine). *out is NULL and SMTPDX_OK when there is nothing to put in it.
 * On SMTPDX_ERR_KB, err says which pattern failed, with its file and line. */
smtpdx_status sx_hsdb_compile(sx_hsdb_kind kind,
                              const hs_platform_info_t *platform,
                              hs_database_t **out, char *err, size_t errlen);

/* A hash of every pattern and its flags, to tell whether serialized
 * databases were made from the tables linked in. */
uint64_t sx_hsdb_fingerprint(void);

/* The serialized databases (generated kb_hsdb.c); length 0 when empty. */
extern const unsigned char sx_kb_hsdb_main[];
extern const size_t sx_kb_hsdb_main_len;
extern const unsigned char sx_kb_hsdb_som[];
extern const size_t sx_kb_hsdb_som_len;
extern const uint64_t sx_kb_hsdb_fingerprint;

#endif
