/*
 * source.c - file and stdin byte streams (see source.h).
 *
 * Plain data is read with read() straight into the caller's buffer.
 * Compressed data (gzip, xz, zstd, bzip2: codec.h) is inflated from a
 * buffer of our own, members one after the other as `cat a.gz b.gz` makes
 * them; what follows the last member without the same magic bytes is
 * ignored, as gunzip does. A regular file is recognised by its first bytes
 * without moving its offset; a pipe, terminal or socket by the first bytes
 * read, which are then handed out first.
 *
 * A read returns what is there: whatever a pipe holds, or what one block
 * of compressed input inflates to, never waiting to fill the caller's
 * buffer. So a writer that pauses (tail -f, a mail filter piping messages
 * in as they arrive) sees each one answered before the next arrives, and
 * the wait hook runs when such an input falls silent.
 *
 * Past SX_SRC_BOMB_OUT bytes of output, data that inflates to more than
 * SX_SRC_BOMB_RATIO times what was read is refused: no log or mailbox
 * compresses so well (their time stamps and ids alone keep them from
 * it), a decompression bomb does (gzip cannot go past some 1,000 times;
 * bzip2 and zstd can go far beyond, a few hundred bytes of bzip2 to tens
 * of megabytes).
 */
#include "input/source.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "input/codec.h"
#include "util/alloc.h"

#define SX_SRC_INBUF (128u * 1024u)
#define SX_SRC_BOMB_OUT (1024u * 1024u)
#define SX_SRC_BOMB_RATIO 10000u

enum mode { UNSEEN, PLAIN, PACKED };

struct sx_src {
    int fd;        /* owned */
    int live;      /* not a regular file: its writer may pause */
    enum mode mode;
    sx_codec_kind kind; /* PACKED: the format */
    /* compressed input, and the first bytes of an UNSEEN stream */
    unsigned char *in;
    size_t in_off, in_len; /* unread input at in + in_off */
    int in_eof;
    sx_codec *codec;
    int member_done; /* between two members */
    uint64_t out;    /* bytes inflated so far */
    void (*wait)(void *, unsigned);
    void *wait_arg;
    int intr;        /* a caught signal ends a wait (sx_src_intr) */
    uint64_t offset; /* bytes read from fd */
    char why[160];   /* what was wrong with the compressed data, or "" */
};

/* The format the regular file fd starts with (at its current offset),
 * told by its first bytes without moving the offset. SX_CODEC_NONE when
 * it is plain or cannot be told (the first read will meet the error). */
static sx_codec_kind file_kind(int fd)
{
    off_t at = lseek(fd, 0, SEEK_CUR);
    if (at < 0)
        return SX_CODEC_NONE;
    unsigned char m[SX_CODEC_MAGIC_MAX];
    ssize_t n;
    do
        n = pread(fd, m, sizeof m, at);
    while (n < 0 && errno == EINTR);
    return n > 0 ? sx_codec_sniff(m, (size_t)n) : SX_CODEC_NONE;
}

smtpdx_status sx_src_open(const char *path, sx_src **out)
{
    *out = NULL;
    int fd;
    if (path[0] == '-' && path[1] == '\0')
        fd = dup(STDIN_FILENO);
    else
        fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return SMTPDX_ERR_IO;
    struct stat st;
    int have_st = fstat(fd, &st) == 0;
    if (have_st && S_ISDIR(st.st_mode)) {
        close(fd);
        errno = EISDIR;
        return SMTPDX_ERR_INVAL;
    }
    sx_src *s = sx_calloc(1, sizeof *s);
    if (s == NULL) {
        close(fd);
        return SMTPDX_ERR_NOMEM;
    }
    s->fd = fd;
    s->live = !have_st || !S_ISREG(st.st_mode);
    s->mode = UNSEEN;
    if (!s->live) {
        s->kind = file_kind(fd);
        s->mode = s->kind != SX_CODEC_NONE ? PACKED : PLAIN;
    }
    *out = s;
    return SMTPDX_OK;
}

void sx_src_on_wait(sx_src *s, void (*fn)(void *arg, unsigned ms),
                    void *arg)
{
    s->wait = fn;
    s->wait_arg = arg;
}

void sx_src_intr(sx_src *s, int intr)
{
    s->intr = intr != 0;
}

int sx_src_live(const sx_src *s)
{
    return s->live;
}

uint64_t sx_src_offset(const sx_src *s)
{
    return s->offset;
}

/* Wait up to ms for fd to have input: 1 there is some (or an end or an
 * error for read() to report), 0 the time passed, -1 poll() failed or a
 * signal ended the wait of an interruptible source (errno says which).
 * ms < 0: no limit. */
static int wait_input(sx_src *s, int ms)
{
    struct pollfd p = {s->fd, POLLIN, 0};
    for (;;) {
        int r = poll(&p, 1, ms);
        if (r >= 0)
            return r > 0;
        if (errno != EINTR || s->intr)
            return -1;
    }
}

/* read() from the descriptor. A live input silent for SX_SRC_QUIET_MS
 * gets the wait hook, and again at SX_SRC_STILL_MS. The quiet time is
 * long enough that a fast writer (cat, zcat into a pipe) never triggers
 * it, short enough that a person watching sees no delay. -1 with errno
 * on failure. */
static ssize_t raw_read(sx_src *s, void *buf, size_t n)
{
    if (s->live && s->wait != NULL) {
        int w = wait_input(s, SX_SRC_QUIET_MS);
        if (w == 0) {
            s->wait(s->wait_arg, SX_SRC_QUIET_MS);
            w = wait_input(s, SX_SRC_STILL_MS - SX_SRC_QUIET_MS);
            if (w == 0)
                s->wait(s->wait_arg, SX_SRC_STILL_MS);
        }
        if (w < 0 && errno == EINTR)
            return -1; /* else read() meets the trouble and says it */
    }
    for (;;) {
        ssize_t r = read(s->fd, buf, n);
        if (r >= 0) {
            s->offset += (uint64_t)r;
            return r;
        }
        if (errno == EINTR) {
            if (s->intr)
                return -1;
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        /* a descriptor left non-blocking by whoever started us: wait */
        if (wait_input(s, -1) < 0)
            return -1;
    }
}

/* Say what was wrong with the compressed data ("the xz data is
 * damaged"), for sx_src_why(). */
static smtpdx_status fail(sx_src *s, const char *what, const char *detail)
{
    const char *name = sx_codec_name(s->kind);
    if (detail != NULL)
        snprintf(s->why, sizeof s->why, "the %s data %s (%s)", name, what,
                 detail);
    else
        snprintf(s->why, sizeof s->why, "the %s data %s", name, what);
    errno = EIO;
    return SMTPDX_ERR_IO;
}

/* At least want bytes of input at in + in_off, unless the input ends
 * first. */
static smtpdx_status gather(sx_src *s, size_t want)
{
    if (s->in == NULL) {
        s->in = sx_malloc(SX_SRC_INBUF);
        if (s->in == NULL)
            return SMTPDX_ERR_NOMEM;
    }
    if (s->in_off > 0) {
        memmove(s->in, s->in + s->in_off, s->in_len);
        s->in_off = 0;
    }
    while (s->in_len < want && !s->in_eof) {
        ssize_t r = raw_read(s, s->in + s->in_len, SX_SRC_INBUF - s->in_len);
        if (r < 0)
            return SMTPDX_ERR_IO;
        if (r == 0)
            s->in_eof = 1;
        s->in_len += (size_t)r;
    }
    return SMTPDX_OK;
}

/* Enough input to tell a format by its magic: SX_CODEC_MAGIC_MAX bytes,
 * or fewer that can be no magic's start, or the end. A pipe whose writer
 * sent two bytes and waits for an answer is not kept waiting. */
static smtpdx_status gather_magic(sx_src *s)
{
    size_t want = 1;
    for (;;) {
        smtpdx_status st = gather(s, want);
        if (st != SMTPDX_OK)
            return st;
        if (s->in_len >= SX_CODEC_MAGIC_MAX || s->in_eof ||
            !sx_codec_prefix(s->in + s->in_off, s->in_len))
            return SMTPDX_OK;
        want = s->in_len + 1;
    }
}

/* Inflate into buf; *got = 0 only at the end of the data. */
static smtpdx_status packed_read(sx_src *s, char *buf, size_t n, size_t *got)
{
    smtpdx_status st;
    if (s->codec == NULL && (st = sx_codec_new(s->kind, &s->codec)) != SMTPDX_OK)
        return st;
    for (;;) {
        if (s->member_done) {
            /* another member, or the end (anything else: ignored) */
            if ((st = gather_magic(s)) != SMTPDX_OK)
                return st;
            if (sx_codec_sniff(s->in + s->in_off, s->in_len) != s->kind) {
                s->in_len = 0;
                s->in_eof = 1;
                return SMTPDX_OK;
            }
            if ((st = sx_codec_reset(s->codec)) != SMTPDX_OK)
                return st;
            s->member_done = 0;
        }
        if (s->in_len == 0 && !s->in_eof && (st = gather(s, 1)) != SMTPDX_OK)
            return st;
        size_t used, made;
        const char *why;
        sx_codec_step_result r =
            sx_codec_step(s->codec, s->in + s->in_off, s->in_len, buf, n,
                          &used, &made, &why);
        s->in_off += used;
        s->in_len -= used;
        if (r == SX_CODEC_END)
            s->member_done = 1;
        else if (r == SX_CODEC_DAMAGED)
            return fail(s, "is damaged", why);
        else if (r == SX_CODEC_NOMEM)
            return fail(s, "could not be inflated: out of memory", NULL);
        s->out += made;
        if (s->out > SX_SRC_BOMB_OUT &&
            s->out / SX_SRC_BOMB_RATIO > s->offset)
            return fail(s, "inflates to more than 10,000 times its size",
                        "a decompression bomb: not read further");
        if (made > 0) {
            *got = made;
            return SMTPDX_OK;
        }
        if (used == 0 && s->in_len > 0 && !s->member_done)
            return fail(s, "is damaged", "the decoder made no progress on it");
        if (!s->member_done && s->in_len == 0 && s->in_eof)
            return fail(s, "ends early: the file is cut short", NULL);
    }
}

smtpdx_status sx_src_read(sx_src *s, char *buf, size_t n, size_t *got)
{
    *got = 0;
    if (n > INT_MAX / 2)
        n = INT_MAX / 2;
    if (s->mode == UNSEEN) {
        /* a pipe or terminal: its first bytes tell the format */
        smtpdx_status st = gather_magic(s);
        if (st != SMTPDX_OK)
            return st;
        s->kind = sx_codec_sniff(s->in + s->in_off, s->in_len);
        s->mode = s->kind != SX_CODEC_NONE ? PACKED : PLAIN;
    }
    if (s->mode == PACKED)
        return packed_read(s, buf, n, got);
    if (s->in_len > 0) {
        /* bytes read to tell the kind, handed out first */
        size_t k = s->in_len < n ? s->in_len : n;
        memcpy(buf, s->in + s->in_off, k);
        s->in_off += k;
        s->in_len -= k;
        *got = k;
        return SMTPDX_OK;
    }
    ssize_t r = raw_read(s, buf, n);
    if (r < 0)
        return SMTPDX_ERR_IO;
    *got = (size_t)r;
    return SMTPDX_OK;
}

const char *sx_src_why(const sx_src *s)
{
    return s != NULL && s->why[0] != '\0' ? s->why : NULL;
}

void sx_src_close(sx_src *s)
{
    if (s == NULL)
        return;
    sx_codec_free(s->codec);
    sx_free(s->in);
    close(s->fd);
    sx_free(s);
}
