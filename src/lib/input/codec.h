/*
 * codec.h - the compressed formats a byte source inflates on the fly:
 * gzip (RFC 1952), xz, zstd (RFC 8878) and bzip2, each told by the magic
 * bytes it starts with, each through its Debian library (zlib, liblzma,
 * libzstd, libbz2).
 *
 * A codec turns input bytes into output bytes a step at a time, never
 * asking for more than it is given, so that a source can hand out what a
 * pipe has brought without waiting for the rest. A compressed file may
 * hold several members (streams, frames) one after the other, as
 * `cat a.gz b.gz` or `zstd` with several inputs makes: a step says when a
 * member ends, and the source starts the next one when the next bytes
 * are the same format's magic.
 */
#ifndef SX_INPUT_CODEC_H
#define SX_INPUT_CODEC_H

#include <stddef.h>

#include "smtpdx.h"

typedef enum sx_codec_kind {
    SX_CODEC_NONE = 0,
    SX_CODEC_GZIP,
    SX_CODEC_XZ,
    SX_CODEC_ZSTD,
    SX_CODEC_BZIP2,
} sx_codec_kind;

/* The most magic bytes any format needs to be told. */
#define SX_CODEC_MAGIC_MAX 6u

/* The format that p[0..n) starts with, SX_CODEC_NONE for none; the
 * caller gives SX_CODEC_MAGIC_MAX bytes when the input has that many. */
sx_codec_kind sx_codec_sniff(const unsigned char *p, size_t n);

/* Could p[0..n) still grow into a format's magic (a prefix shorter than
 * it)? Then the caller should read on before it decides. */
int sx_codec_prefix(const unsigned char *p, size_t n);

/* "gzip", "xz", "zstd", "bzip2". */
const char *sx_codec_name(sx_codec_kind k);

typedef struct sx_codec sx_codec;

smtpdx_status sx_codec_new(sx_codec_kind k, sx_codec **out);
void sx_codec_free(sx_codec *c);
/* Ready for the next member of the same format. */
smtpdx_status sx_codec_reset(sx_codec *c);

typedef enum sx_codec_step_result {
    SX_CODEC_MORE,   /* progress, or it needs more input */
    SX_CODEC_END,    /* a member ended (*used and *got say how far) */
    SX_CODEC_DAMAGED,
    SX_CODEC_NOMEM,
} sx_codec_step_result;

/* Decode from in[0..in_len) into out[0..n): *used input bytes taken,
 * *got output bytes made. On SX_CODEC_DAMAGED, *why says what the
 * library found. */
sx_codec_step_result sx_codec_step(sx_codec *c, const unsigned char *in,
                                   size_t in_len, char *out, size_t n,
                                   size_t *used, size_t *got,
                                   const char **why);

#endif
