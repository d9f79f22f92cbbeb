/*
 * source.c - file and stdin byte streams (see source.h).
 *
 * Plain data is read with read() straight into the caller's buffer. gzip
 * data (RFC 1952) is inflated with zlib's inflate() from a buffer of our
 * own, members one after the other as gzip(1) concatenates them; what
 * follows the last member without the magic bytes is ignored, as gunzip
 * does. A regular file is recognised by its first two bytes without
 * moving its offset; a pipe, terminal or socket by the first bytes read,
 * which are then handed out first.
 *
 * A read returns what is there: whatever a pipe holds, or what one block
 * of compressed input inflates to, never waiting to fill the caller's
 * buffer. So a writer that pauses (tail -f, a mail filter piping messages
 * in as they arrive) sees each one answered before the next arrives, and
 * the wait hook runs when such an input falls silent.
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
#include <zlib.h>

#include "util/alloc.h"

#define SX_SRC_GZBUF (128u * 1024u)

enum mode { UNSEEN, PLAIN, GZIP };

struct sx_src {
    int fd;        /* owned */
    int live;      /* not a regular file: its writer may pause */
    enum mode mode;
    /* gzip, and the first bytes of an UNSEEN stream */
    unsigned char *in;
    size_t in_off, in_len; /* unread input at in + in_off */
    int in_eof;
    z_stream z;
    int z_ready;     /* inflateInit2 done */
    int member_done; /* between two members */
    void (*wait)(void *, unsigned);
    void *wait_arg;
    int intr;        /* a caught signal ends a wait (sx_src_intr) */
    uint64_t offset; /* bytes read from fd */
    char why[128];   /* what was wrong with the gzip data, "" when nothing */
};

/* Does the regular file fd start (at its current offset) with the gzip
 * magic (RFC 1952 2.3.1: 31 139)? The offset is not moved. -1 when it
 * cannot be told (the first read will meet the error). */
static int gzip_file(int fd)
{
    off_t at = lseek(fd, 0, SEEK_CUR);
    if (at < 0)
        return -1;
    unsigned char m[2];
    ssize_t n;
    do
        n = pread(fd, m, 2, at);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    return n == 2 && m[0] == 31 && m[1] == 139;
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
        int g = gzip_file(fd);
        s->mode = g == 1 ? GZIP : PLAIN;
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

static smtpdx_status fail(sx_src *s, const char *what, const char *detail)
{
    if (detail != NULL)
        snprintf(s->why, sizeof s->why, "%s (%s)", what, detail);
    else
        snprintf(s->why, sizeof s->why, "%s", what);
    errno = EIO;
    return SMTPDX_ERR_IO;
}

/* At least want bytes of input at in + in_off, unless the input ends
 * first. */
static smtpdx_status gather(sx_src *s, size_t want)
{
    if (s->in == NULL) {
        s->in = sx_malloc(SX_SRC_GZBUF);
        if (s->in == NULL)
            return SMTPDX_ERR_NOMEM;
    }
    if (s->in_off > 0) {
        memmove(s->in, s->in + s->in_off, s->in_len);
        s->in_off = 0;
    }
    while (s->in_len < want && !s->in_eof) {
        ssize_t r = raw_read(s, s->in + s->in_len, SX_SRC_GZBUF - s->in_len);
        if (r < 0)
            return SMTPDX_ERR_IO;
        if (r == 0)
            s->in_eof = 1;
        s->in_len += (size_t)r;
    }
    return SMTPDX_OK;
}

static int magic_at(const sx_src *s)
{
    return s->in_len >= 2 && s->in[s->in_off] == 31 &&
           s->in[s->in_off + 1] == 139;
}

/* Inflate into buf; *got = 0 only at the end of the data. */
static smtpdx_status gz_read(sx_src *s, char *buf, size_t n, size_t *got)
{
    smtpdx_status st;
    if (!s->z_ready) {
        /* 16 + 15: a gzip wrapper around a window of up to 32 KiB */
        if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK)
            return SMTPDX_ERR_NOMEM;
        s->z_ready = 1;
    }
    for (;;) {
        if (s->member_done) {
            /* another member, or the end (anything else: ignored) */
            if ((st = gather(s, 2)) != SMTPDX_OK)
                return st;
            if (!magic_at(s)) {
                s->in_len = 0;
                s->in_eof = 1;
                return SMTPDX_OK;
            }
            if (inflateReset(&s->z) != Z_OK)
                return SMTPDX_ERR_NOMEM;
            s->member_done = 0;
        }
        if (s->in_len == 0 && !s->in_eof && (st = gather(s, 1)) != SMTPDX_OK)
            return st;
        s->z.next_in = s->in + s->in_off;
        s->z.avail_in = (uInt)s->in_len;
        s->z.next_out = (unsigned char *)buf;
        s->z.avail_out = (uInt)n;
        int zr = inflate(&s->z, Z_NO_FLUSH);
        size_t used = s->in_len - s->z.avail_in;
        s->in_off += used;
        s->in_len -= used;
        *got = n - s->z.avail_out;
        if (zr == Z_STREAM_END)
            s->member_done = 1;
        else if (zr == Z_DATA_ERROR || zr == Z_NEED_DICT)
            return fail(s, "the gzip data is damaged",
                        s->z.msg ? s->z.msg : "zlib could not inflate it");
        else if (zr == Z_MEM_ERROR)
            return fail(s, "out of memory while inflating the gzip data",
                        NULL);
        if (*got > 0)
            return SMTPDX_OK;
        if (zr == Z_BUF_ERROR && used == 0 && s->in_len > 0)
            return fail(s, "the gzip data is damaged",
                        "zlib made no progress on it");
        if (!s->member_done && s->in_len == 0 && s->in_eof)
            return fail(s, "the gzip data ends early: the file is cut short",
                        NULL);
    }
}

smtpdx_status sx_src_read(sx_src *s, char *buf, size_t n, size_t *got)
{
    *got = 0;
    if (n > INT_MAX / 2)
        n = INT_MAX / 2;
    if (s->mode == UNSEEN) {
        /* a pipe or terminal: its first bytes tell gzip from plain */
        smtpdx_status st = gather(s, 2);
        if (st != SMTPDX_OK)
            return st;
        s->mode = magic_at(s) ? GZIP : PLAIN;
    }
    if (s->mode == GZIP)
        return gz_read(s, buf, n, got);
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
    if (s->z_ready)
        inflateEnd(&s->z);
    sx_free(s->in);
    close(s->fd);
    sx_free(s);
}
