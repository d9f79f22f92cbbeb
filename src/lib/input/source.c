/*
 * source.c - file and stdin byte streams (see source.h). gzip data goes
 * through zlib's gz layer, which inflates it; a regular file that does
 * not start with the gzip magic bytes is read with plain read() calls
 * straight into the caller's buffer, sparing the copy the gz layer makes
 * of data it passes through. Pipes and terminals always take the gz
 * layer, which looks at their first bytes without losing them.
 */
#include "input/source.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "util/alloc.h"

#define SX_SRC_GZBUF (128u * 1024u)

struct sx_src {
    gzFile gz;   /* NULL when reading plainly from fd */
    int fd;      /* owned when gz is NULL; else gz owns it */
    char why[128]; /* what the gzip layer found wrong, "" when nothing */
};

/* Words for people on what went wrong inside gzip data: zlib's own codes
 * say it more precisely than the EIO the read reports. */
static void gz_why(sx_src *s, int zerr, const char *zmsg)
{
    if (zerr == Z_BUF_ERROR)
        snprintf(s->why, sizeof s->why,
                 "the gzip data ends early: the file is cut short");
    else if (zerr == Z_DATA_ERROR) {
        /* zlib names a descriptor it was given as "<fd:3>: " first */
        const char *cut = zmsg && zmsg[0] == '<' ? strstr(zmsg, ">: ") : NULL;
        if (cut != NULL)
            zmsg = cut + 3;
        snprintf(s->why, sizeof s->why, "the gzip data is damaged (%s)",
                 zmsg && *zmsg ? zmsg : "zlib could not inflate it");
    }
    else if (zerr == Z_MEM_ERROR)
        snprintf(s->why, sizeof s->why,
                 "out of memory while inflating the gzip data");
}

/* Does the regular file fd start (at its current offset) with something
 * other than the gzip magic (RFC 1952 2.3.1: 31 139)? The offset is not
 * moved. 0 when it is gzip or cannot be told. */
static int plain_file(int fd, const struct stat *st)
{
    if (!S_ISREG(st->st_mode))
        return 0;
    off_t at = lseek(fd, 0, SEEK_CUR);
    if (at < 0)
        return 0;
    unsigned char m[2];
    ssize_t n;
    do
        n = pread(fd, m, 2, at);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return 0; /* let the gz layer meet the error on the first read */
    return !(n == 2 && m[0] == 31 && m[1] == 139);
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
    if (have_st && plain_file(fd, &st)) {
        *out = s;
        return SMTPDX_OK;
    }
    s->gz = gzdopen(fd, "rb");
    if (s->gz == NULL) {
        /* zlib could not allocate its state */
        close(fd);
        sx_free(s);
        return SMTPDX_ERR_NOMEM;
    }
    gzbuffer(s->gz, SX_SRC_GZBUF);
    *out = s;
    return SMTPDX_OK;
}

smtpdx_status sx_src_read(sx_src *s, char *buf, size_t n, size_t *got)
{
    *got = 0;
    if (n > INT_MAX / 2)
        n = INT_MAX / 2;
    if (s->gz == NULL) {
        ssize_t r;
        do
            r = read(s->fd, buf, n);
        while (r < 0 && errno == EINTR);
        if (r < 0)
            return SMTPDX_ERR_IO;
        *got = (size_t)r;
        return SMTPDX_OK;
    }
    int r = gzread(s->gz, buf, (unsigned)n);
    if (r < 0) {
        int zerr;
        const char *zmsg = gzerror(s->gz, &zerr);
        if (zerr != Z_ERRNO) {
            gz_why(s, zerr, zmsg);
            errno = EIO;
        }
        return SMTPDX_ERR_IO;
    }
    if (r == 0) {
        /* zlib says Z_BUF_ERROR when the data ended inside a gzip member */
        int zerr;
        gzerror(s->gz, &zerr);
        if (zerr == Z_BUF_ERROR) {
            gz_why(s, zerr, NULL);
            errno = EIO;
            return SMTPDX_ERR_IO;
        }
    }
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
    if (s->gz != NULL)
        gzclose_r(s->gz);
    else
        close(s->fd);
    sx_free(s);
}
