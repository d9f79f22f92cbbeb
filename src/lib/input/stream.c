/*
 * stream.c - the public face of a byte source (source.h): the same
 * reading of files, pipes and gzip that the message reader uses, for a
 * caller that cuts the bytes its own way (the log command's lines).
 */
#include <errno.h>

#include "input/source.h"
#include "util/alloc.h"

struct smtpdx_stream {
    sx_src *src;
};

smtpdx_status smtpdx_stream_new(const char *path, smtpdx_stream **out)
{
    if (out == NULL)
        return SMTPDX_ERR_INVAL;
    *out = NULL;
    if (path == NULL || path[0] == '\0')
        return SMTPDX_ERR_INVAL;
    smtpdx_stream *s = sx_calloc(1, sizeof *s);
    if (s == NULL)
        return SMTPDX_ERR_NOMEM;
    smtpdx_status st = sx_src_open(path, &s->src);
    if (st != SMTPDX_OK) {
        int e = errno;
        sx_free(s);
        errno = e;
        /* a folder: no stream of bytes, said as the system says it */
        return st == SMTPDX_ERR_INVAL ? SMTPDX_ERR_IO : st;
    }
    *out = s;
    return SMTPDX_OK;
}

void smtpdx_stream_free(smtpdx_stream *s)
{
    if (s == NULL)
        return;
    sx_src_close(s->src);
    sx_free(s);
}

smtpdx_status smtpdx_stream_read(smtpdx_stream *s, char *buf, size_t n,
                                 size_t *got)
{
    if (got != NULL)
        *got = 0;
    if (s == NULL || got == NULL || (buf == NULL && n > 0))
        return SMTPDX_ERR_INVAL;
    if (n == 0)
        return SMTPDX_OK;
    return sx_src_read(s->src, buf, n, got);
}

const char *smtpdx_stream_why(const smtpdx_stream *s)
{
    return s != NULL ? sx_src_why(s->src) : NULL;
}

int smtpdx_stream_live(const smtpdx_stream *s)
{
    return s != NULL && sx_src_live(s->src);
}

uint64_t smtpdx_stream_offset(const smtpdx_stream *s)
{
    return s != NULL ? sx_src_offset(s->src) : 0;
}

void smtpdx_stream_on_wait(smtpdx_stream *s,
                           void (*fn)(void *arg, unsigned ms), void *arg)
{
    if (s != NULL)
        sx_src_on_wait(s->src, fn, arg);
}

void smtpdx_stream_interruptible(smtpdx_stream *s, int on)
{
    if (s != NULL)
        sx_src_intr(s->src, on);
}
