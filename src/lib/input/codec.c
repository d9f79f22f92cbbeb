/*
 * codec.c - gzip, xz, zstd and bzip2 decoding a step at a time (see
 * codec.h), over zlib, liblzma, libzstd and libbz2.
 *
 * Each library keeps its own state between steps; this file only maps
 * their calls and return codes onto one shape. xz is decoded a stream at
 * a time (no LZMA_CONCATENATED), like the others a member at a time, so
 * that what follows a member is judged the same way for every format.
 * The xz decoder may use at most SX_CODEC_XZ_MEMLIMIT: a file that asks
 * for a larger dictionary is refused rather than allowed to take the
 * machine's memory.
 */
#include "input/codec.h"

#include <bzlib.h>
#include <limits.h>
#include <lzma.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "util/alloc.h"

#define SX_CODEC_XZ_MEMLIMIT (256u * 1024u * 1024u)

struct sx_codec {
    sx_codec_kind kind;
    z_stream z;
    lzma_stream x;
    ZSTD_DStream *zs;
    bz_stream b;
    int ready;  /* the library's state is set up */
};

static const struct {
    sx_codec_kind kind;
    unsigned char len;
    unsigned char magic[6];
} fmt[] = {
    {SX_CODEC_GZIP, 2, {0x1f, 0x8b}},
    {SX_CODEC_XZ, 6, {0xfd, '7', 'z', 'X', 'Z', 0x00}},
    {SX_CODEC_ZSTD, 4, {0x28, 0xb5, 0x2f, 0xfd}},
    {SX_CODEC_BZIP2, 3, {'B', 'Z', 'h'}},
};

int sx_codec_prefix(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < sizeof fmt / sizeof fmt[0]; i++) {
        size_t len = fmt[i].kind == SX_CODEC_BZIP2 ? 4 : fmt[i].len;
        size_t k = n < fmt[i].len ? n : fmt[i].len;
        if (n < len && memcmp(p, fmt[i].magic, k) == 0)
            return 1;
    }
    return 0;
}

sx_codec_kind sx_codec_sniff(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < sizeof fmt / sizeof fmt[0]; i++) {
        if (n < fmt[i].len || memcmp(p, fmt[i].magic, fmt[i].len) != 0)
            continue;
        /* bzip2: "BZh" and the block size, '1' to '9' */
        if (fmt[i].kind == SX_CODEC_BZIP2 && (n < 4 || p[3] < '1' || p[3] > '9'))
            continue;
        return fmt[i].kind;
    }
    return SX_CODEC_NONE;
}

const char *sx_codec_name(sx_codec_kind k)
{
    switch (k) {
    case SX_CODEC_GZIP:
        return "gzip";
    case SX_CODEC_XZ:
        return "xz";
    case SX_CODEC_ZSTD:
        return "zstd";
    case SX_CODEC_BZIP2:
        return "bzip2";
    default:
        return "plain";
    }
}

static void lib_end(sx_codec *c)
{
    if (!c->ready)
        return;
    switch (c->kind) {
    case SX_CODEC_GZIP:
        inflateEnd(&c->z);
        break;
    case SX_CODEC_XZ:
        lzma_end(&c->x);
        break;
    case SX_CODEC_ZSTD:
        ZSTD_freeDStream(c->zs);
        c->zs = NULL;
        break;
    case SX_CODEC_BZIP2:
        BZ2_bzDecompressEnd(&c->b);
        break;
    default:
        break;
    }
    c->ready = 0;
}

static smtpdx_status lib_start(sx_codec *c)
{
    int ok = 0;
    switch (c->kind) {
    case SX_CODEC_GZIP:
        memset(&c->z, 0, sizeof c->z);
        /* 16 + 15: a gzip wrapper around a window of up to 32 KiB */
        ok = inflateInit2(&c->z, 16 + MAX_WBITS) == Z_OK;
        break;
    case SX_CODEC_XZ: {
        lzma_stream init = LZMA_STREAM_INIT;
        c->x = init;
        ok = lzma_stream_decoder(&c->x, SX_CODEC_XZ_MEMLIMIT, 0) == LZMA_OK;
        break;
    }
    case SX_CODEC_ZSTD:
        c->zs = ZSTD_createDStream();
        ok = c->zs != NULL && !ZSTD_isError(ZSTD_initDStream(c->zs));
        if (!ok && c->zs != NULL) {
            ZSTD_freeDStream(c->zs);
            c->zs = NULL;
        }
        break;
    case SX_CODEC_BZIP2:
        memset(&c->b, 0, sizeof c->b);
        ok = BZ2_bzDecompressInit(&c->b, 0, 0) == BZ_OK;
        break;
    default:
        return SMTPDX_ERR_INVAL;
    }
    c->ready = ok;
    return ok ? SMTPDX_OK : SMTPDX_ERR_NOMEM;
}

smtpdx_status sx_codec_new(sx_codec_kind k, sx_codec **out)
{
    *out = NULL;
    sx_codec *c = sx_calloc(1, sizeof *c);
    if (c == NULL)
        return SMTPDX_ERR_NOMEM;
    c->kind = k;
    smtpdx_status st = lib_start(c);
    if (st != SMTPDX_OK) {
        sx_free(c);
        return st;
    }
    *out = c;
    return SMTPDX_OK;
}

void sx_codec_free(sx_codec *c)
{
    if (c == NULL)
        return;
    lib_end(c);
    sx_free(c);
}

smtpdx_status sx_codec_reset(sx_codec *c)
{
    if (c->kind == SX_CODEC_GZIP && c->ready)
        return inflateReset(&c->z) == Z_OK ? SMTPDX_OK : SMTPDX_ERR_NOMEM;
    if (c->kind == SX_CODEC_ZSTD && c->ready)
        return ZSTD_isError(ZSTD_DCtx_reset(c->zs, ZSTD_reset_session_only))
                   ? SMTPDX_ERR_NOMEM
                   : SMTPDX_OK;
    lib_end(c);
    return lib_start(c);
}

sx_codec_step_result sx_codec_step(sx_codec *c, const unsigned char *in,
                                   size_t in_len, char *out, size_t n,
                                   size_t *used, size_t *got,
                                   const char **why)
{
    *used = *got = 0;
    *why = NULL;
    if (in_len > UINT_MAX / 2)
        in_len = UINT_MAX / 2;
    if (n > UINT_MAX / 2)
        n = UINT_MAX / 2;
    switch (c->kind) {
    case SX_CODEC_GZIP: {
        c->z.next_in = (unsigned char *)in;
        c->z.avail_in = (uInt)in_len;
        c->z.next_out = (unsigned char *)out;
        c->z.avail_out = (uInt)n;
        int r = inflate(&c->z, Z_NO_FLUSH);
        *used = in_len - c->z.avail_in;
        *got = n - c->z.avail_out;
        if (r == Z_STREAM_END)
            return SX_CODEC_END;
        if (r == Z_MEM_ERROR)
            return SX_CODEC_NOMEM;
        if (r == Z_DATA_ERROR || r == Z_NEED_DICT) {
            *why = c->z.msg ? c->z.msg : "zlib could not inflate it";
            return SX_CODEC_DAMAGED;
        }
        return SX_CODEC_MORE;
    }
    case SX_CODEC_XZ: {
        c->x.next_in = in;
        c->x.avail_in = in_len;
        c->x.next_out = (uint8_t *)out;
        c->x.avail_out = n;
        lzma_ret r = lzma_code(&c->x, LZMA_RUN);
        *used = in_len - c->x.avail_in;
        *got = n - c->x.avail_out;
        switch (r) {
        case LZMA_OK:
        case LZMA_BUF_ERROR: /* no progress: the caller tells why */
            return SX_CODEC_MORE;
        case LZMA_STREAM_END:
            return SX_CODEC_END;
        case LZMA_MEM_ERROR:
            return SX_CODEC_NOMEM;
        case LZMA_MEMLIMIT_ERROR:
            *why = "it needs more than 256 MiB of memory to inflate";
            return SX_CODEC_DAMAGED;
        case LZMA_FORMAT_ERROR:
            *why = "not in the xz format";
            return SX_CODEC_DAMAGED;
        case LZMA_OPTIONS_ERROR:
            *why = "options liblzma does not support";
            return SX_CODEC_DAMAGED;
        default:
            *why = "liblzma found it corrupt";
            return SX_CODEC_DAMAGED;
        }
    }
    case SX_CODEC_ZSTD: {
        ZSTD_inBuffer ib = {in, in_len, 0};
        ZSTD_outBuffer ob = {out, n, 0};
        size_t r = ZSTD_decompressStream(c->zs, &ob, &ib);
        *used = ib.pos;
        *got = ob.pos;
        if (ZSTD_isError(r)) {
            if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
                return SX_CODEC_NOMEM;
            *why = ZSTD_getErrorName(r);
            return SX_CODEC_DAMAGED;
        }
        return r == 0 ? SX_CODEC_END : SX_CODEC_MORE;
    }
    case SX_CODEC_BZIP2: {
        c->b.next_in = (char *)in;
        c->b.avail_in = (unsigned)in_len;
        c->b.next_out = out;
        c->b.avail_out = (unsigned)n;
        int r = BZ2_bzDecompress(&c->b);
        *used = in_len - c->b.avail_in;
        *got = n - c->b.avail_out;
        if (r == BZ_STREAM_END)
            return SX_CODEC_END;
        if (r == BZ_OK)
            return SX_CODEC_MORE;
        if (r == BZ_MEM_ERROR)
            return SX_CODEC_NOMEM;
        *why = "libbz2 found it corrupt";
        return SX_CODEC_DAMAGED;
    }
    default:
        *why = "unknown format";
        return SX_CODEC_DAMAGED;
    }
}
