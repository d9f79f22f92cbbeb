/*
 * source.c - file and stdin byte streams through zlib's gz layer, which
 * inflates gzip data and passes anything else through (see source.h).
 */
#include "input/source.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "util/alloc.h"

#define SX_SRC_GZBUF (128u * 1024u)

struct sx_src {
    gzFile gz;
};

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
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        errno = EISDIR;
        return SMTPDX_ERR_INVAL;
    }
    sx_src *s = sx_calloc(1, sizeof *s);
    if (s == NULL) {
        close(fd);
        return SMTPDX_ERR_NOMEM;
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
    int r = gzread(s->gz, buf, (unsigned)n);
    if (r < 0) {
        int zerr;
        gzerror(s->gz, &zerr);
        if (zerr != Z_ERRNO)
            errno = EIO;
        return SMTPDX_ERR_IO;
    }
    if (r == 0) {
        /* zlib says Z_BUF_ERROR when the data ended inside a gzip member */
        int zerr;
        gzerror(s->gz, &zerr);
        if (zerr == Z_BUF_ERROR) {
            errno = EIO;
            return SMTPDX_ERR_IO;
        }
    }
    *got = (size_t)r;
    return SMTPDX_OK;
}

void sx_src_close(sx_src *s)
{
    if (s == NULL)
        return;
    gzclose_r(s->gz);
    sx_free(s);
}
