/*
 * bounce_markdb.h - the Hyperscan databases of the marker scan
 * (bounce_mark.c), shared by the library and the build-time tool
 * tools/bmarkdb.c.
 *
 * Like the knowledge base's matcher (kb/hsdb.h), the build compiles them
 * once for a generic CPU and links the serialized bytes in (the generated
 * bounce_markdb_data.c): compiling them costs every start of the program
 * several milliseconds, deserializing them a few microseconds. The library
 * compiles afresh only when the bytes do not fit: another Hyperscan
 * version or CPU family, or other phrases than they were made from (the
 * fingerprint tells).
 */
#ifndef SX_BOUNCE_MARKDB_H
#define SX_BOUNCE_MARKDB_H

#include <hs/hs.h>
#include <stddef.h>
#include <stdint.h>

#include "smtpdx.h"

typedef enum sx_bmarkdb_kind {
    SX_BMARKDB_MARKS = 0, /* the family markers of bounce_mark.h */
    SX_BMARKDB_COMMANDS   /* sx_bt_command_phrases (bounce_text.c) */
} sx_bmarkdb_kind;

/* Compile one database for `platform` (NULL: this machine). Every phrase
 * is a caseless literal reported once; its id is its index in its list.
 * SMTPDX_ERR_NOMEM when our own arrays cannot be allocated, SMTPDX_ERR_KB
 * when Hyperscan refuses the phrases; *out is NULL then. */
smtpdx_status sx_bmarkdb_compile(sx_bmarkdb_kind kind,
                                 const hs_platform_info_t *platform,
                                 hs_database_t **out);

/* A hash of both phrase lists and their flags. */
uint64_t sx_bmarkdb_fingerprint(void);

/* The serialized databases (generated bounce_markdb_data.c). */
extern const unsigned char sx_bmarkdb_marks[];
extern const size_t sx_bmarkdb_marks_len;
extern const unsigned char sx_bmarkdb_commands[];
extern const size_t sx_bmarkdb_commands_len;
extern const uint64_t sx_bmarkdb_built_fingerprint;

#endif
