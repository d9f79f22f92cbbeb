/*
 * walk.h - the files under a directory, recursively, in a stable order.
 *
 * Entries of each directory are visited sorted by name (byte order),
 * files and subdirectories interleaved as they sort. In a Maildir (a
 * directory with both cur/ and new/) only cur/ and new/ are read: tmp/
 * holds deliveries in progress. Hidden files (leading dot) are skipped;
 * hidden directories (Maildir++ folders) are walked. Symbolic links to
 * directories are not followed, and nesting is bounded by SX_WALK_DEPTH.
 * Memory: the sorted names of the directories on the current path.
 */
#ifndef SX_INPUT_WALK_H
#define SX_INPUT_WALK_H

#include "smtpdx.h"

#define SX_WALK_DEPTH 64

typedef struct sx_walk sx_walk;

smtpdx_status sx_walk_new(const char *root, sx_walk **out);
/* Next file path (valid until the next call): SMTPDX_OK with *path NULL
 * at the end; SMTPDX_ERR_IO with *path naming what could not be read (the
 * walk goes on at the next call): a directory or entry the system refused
 * (errno says why), or one left out for a limit: a folder nested deeper
 * than SX_WALK_DEPTH, an entry whose path would pass 16 KiB (the folder is
 * named), a folder listing more than 4,194,304 names (named before its
 * first entry; the later names are not read), each with a phrase from
 * sx_walk_why() and errno ELOOP, ENAMETOOLONG or EOVERFLOW.
 * SMTPDX_ERR_NOMEM with *path NULL when memory ran out (the next call
 * tries the same name again). */
smtpdx_status sx_walk_next(sx_walk *w, const char **path);
/* The limit behind the last SMTPDX_ERR_IO, or NULL when errno tells. */
const char *sx_walk_why(const sx_walk *w);
void sx_walk_free(sx_walk *w);

#endif
