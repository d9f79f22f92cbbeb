/*
 * source.h - a byte stream from a file or stdin, inflated on the fly when
 * it is gzip, xz, zstd or bzip2 data.
 *
 * Compression is recognised by the format's magic bytes (codec.h), not by
 * the file name: a plain file reads through unchanged. The source owns
 * its descriptor (stdin is duplicated, so closing never closes fd 0).
 */
#ifndef SX_INPUT_SOURCE_H
#define SX_INPUT_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "smtpdx.h"

typedef struct sx_src sx_src;

/* Open path ("-" = stdin). SMTPDX_ERR_IO with errno kept on failure,
 * SMTPDX_ERR_INVAL for a directory. */
smtpdx_status sx_src_open(const char *path, sx_src **out);
/* How long a live input may stay silent before the wait hook runs, and
 * when it runs once more if the silence goes on. */
#define SX_SRC_QUIET_MS 50
#define SX_SRC_STILL_MS 1000
/* fn(arg, ms) runs when a live input (a pipe, terminal or socket) has had
 * nothing to read for ms milliseconds (SX_SRC_QUIET_MS, then
 * SX_SRC_STILL_MS) and the reader is about to wait for it on; never for
 * a regular file. NULL fn: no hook. */
void sx_src_on_wait(sx_src *s, void (*fn)(void *arg, unsigned ms),
                    void *arg);
/* intr = 1: a signal caught while waiting for input ends the read with
 * SMTPDX_ERR_IO and errno EINTR (the caller's handler may want the reading
 * to stop); 0, the default: the wait goes on. */
void sx_src_intr(sx_src *s, int intr);
/* Is it a pipe, terminal or socket (not a regular file)? */
int sx_src_live(const sx_src *s);
/* Bytes taken from the descriptor so far (compressed: the compressed
 * ones). */
uint64_t sx_src_offset(const sx_src *s);
/* Read up to n bytes, what is there without waiting for more once some
 * came: *got = 0 means the end. SMTPDX_ERR_IO on a read or
 * inflate error (a truncated or corrupt .gz, .xz, .zst or .bz2). */
smtpdx_status sx_src_read(sx_src *s, char *buf, size_t n, size_t *got);
/* After SMTPDX_ERR_IO from sx_src_read: what was wrong with compressed
 * data, in words for people ("the xz data ends early: ..."), or NULL when it was
 * the system's read that failed (errno says why then). */
const char *sx_src_why(const sx_src *s);
void sx_src_close(sx_src *s);

#endif
