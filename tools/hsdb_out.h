/*
 * hsdb_out.h - the build-time tools' shared writer: Hyperscan databases,
 * serialized, as a C file the library compiles in (tools/kbdb.c for the
 * knowledge base, tools/bmarkdb.c for the bounce marker scan).
 */
#ifndef SX_TOOLS_HSDB_OUT_H
#define SX_TOOLS_HSDB_OUT_H

#include <hs/hs.h>
#include <stddef.h>
#include <stdint.h>

/* Write path (through path.tmp, renamed at the end, so that a failed run
 * never leaves a half file that make would take as up to date): head as
 * it is, "const uint64_t FP_NAME = FP;", then for each of the n databases
 * "const size_t PREFIX_NAME_len" and "const unsigned char PREFIX_NAME[]"
 * (a NULL database is written with length 0). Errors go to stderr under
 * the tool's name. Returns 0 on success, 1 on failure. */
int sx_hsdb_out_write(const char *tool, const char *path, const char *head,
                      const char *fp_name, uint64_t fp, const char *prefix,
                      const char *const *names, hs_database_t *const *dbs,
                      size_t n);

#endif
