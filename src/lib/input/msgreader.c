/*
 * msgreader.c - smtpdx_msgreader_*: messages one at a time from stdin, a
 * file (one message, or an mbox when it starts with a "From " line), a
 * gzip file of either, or a directory walked in name order.
 *
 * Origins: the path for a file; "path:N" (1-based) for the N-th message
 * of an mbox holding more than one.
 *
 * Memory stays bounded by the largest message: an mbox is read in chunks
 * into one buffer that holds the current message and the start of the
 * next; a message is handed out in place (after ">From " unquoting) and
 * the buffer is compacted on the next call. Of a message larger than
 * SMTPDX_MSG_MAX only the head is handed out (smtpdx_msgreader_cut()):
 * a bounce says what happened at its start, and what a limit cuts off is
 * the copy of a large returned message, so the rest is skipped unread or
 * dropped as it is read and memory stays bounded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "input/mbox.h"
#include "input/msgreader.h"
#include "input/source.h"
#include "input/walk.h"
#include "mime/cursor.h"
#include "smtpdx.h"
#include "util/alloc.h"
#include "util/sbuf.h"

#define SX_READ_CHUNK (256u * 1024u)

enum { KIND_EML, KIND_MBOX };

struct smtpdx_msgreader {
    char *root;
    int is_dir, root_done;
    sx_walk *walk;
    sx_src *src;       /* the open file, NULL between files */
    sx_sbuf path;      /* its path */
    int kind, eof;
    char eol;
    unsigned n;        /* mbox: number of the last message handed out */
    int last;          /* mbox: that message ended at the end of data */
    char *buf;
    size_t len, cap, pos;
    size_t max;        /* SMTPDX_MSG_MAX */
    size_t chunk;      /* bytes asked of each read */
    sx_sbuf origin;
    const char *why;   /* smtpdx_msgreader_why() */
    char whybuf[128];
    void (*wait)(void *, unsigned); /* smtpdx_msgreader_on_wait() */
    void *wait_arg;
    int intr;          /* smtpdx_msgreader_interruptible() */
    int cut;           /* smtpdx_msgreader_cut() */
    uint64_t taken;    /* bytes read from the files already closed */
    int broken;        /* the file broke off inside a message: handed out
                          as far as it went, then reported (whybuf) */
};

smtpdx_status smtpdx_msgreader_new(const char *path, smtpdx_msgreader **out)
{
    if (out == NULL)
        return SMTPDX_ERR_INVAL;
    *out = NULL;
    if (path == NULL || *path == '\0')
        return SMTPDX_ERR_INVAL;
    smtpdx_msgreader *r = sx_calloc(1, sizeof *r);
    if (r == NULL)
        return SMTPDX_ERR_NOMEM;
    sx_sbuf_init(&r->path, 64u * 1024u);
    sx_sbuf_init(&r->origin, 64u * 1024u);
    r->max = SMTPDX_MSG_MAX;
    r->chunk = SX_READ_CHUNK;
    r->root = sx_strdup(path);
    if (r->root == NULL) {
        smtpdx_msgreader_free(r);
        return SMTPDX_ERR_NOMEM;
    }
    struct stat st;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        r->is_dir = 1;
        smtpdx_status rc = sx_walk_new(path, &r->walk);
        if (rc != SMTPDX_OK) {
            smtpdx_msgreader_free(r);
            return rc;
        }
    }
    *out = r;
    return SMTPDX_OK;
}

/* Close the open file, counting what was read from it. */
static void src_done(smtpdx_msgreader *r)
{
    if (r->src != NULL)
        r->taken += sx_src_offset(r->src);
    sx_src_close(r->src);
    r->src = NULL;
}

static void file_close(smtpdx_msgreader *r)
{
    int e = errno;
    src_done(r);
    r->len = r->pos = 0;
    errno = e;
}

void smtpdx_msgreader_free(smtpdx_msgreader *r)
{
    if (r == NULL)
        return;
    file_close(r);
    sx_walk_free(r->walk);
    sx_free(r->root);
    sx_free(r->buf);
    sx_sbuf_release(&r->path);
    sx_sbuf_release(&r->origin);
    sx_free(r);
}

void smtpdx_msgreader_on_wait(smtpdx_msgreader *r,
                              void (*fn)(void *arg, unsigned ms), void *arg)
{
    if (r == NULL)
        return;
    r->wait = fn;
    r->wait_arg = arg;
    if (r->src != NULL)
        sx_src_on_wait(r->src, fn, arg);
}

void smtpdx_msgreader_interruptible(smtpdx_msgreader *r, int on)
{
    if (r == NULL)
        return;
    r->intr = on != 0;
    if (r->src != NULL)
        sx_src_intr(r->src, r->intr);
}

void sx_msgreader_tune(smtpdx_msgreader *r, size_t chunk, size_t max)
{
    if (r == NULL || r->buf != NULL)
        return; /* reading has begun */
    if (chunk > 0)
        r->chunk = chunk;
    if (max > 0 && max <= SMTPDX_MSG_MAX)
        r->max = max;
}

/* Room for at least want more bytes after len. */
static smtpdx_status room(smtpdx_msgreader *r, size_t want)
{
    if (r->cap - r->len >= want + 1)
        return SMTPDX_OK;
    size_t nc = r->cap ? r->cap : r->chunk;
    while (nc - r->len < want + 1)
        nc *= 2;
    char *nb = sx_realloc(r->buf, nc);
    if (nb == NULL)
        return SMTPDX_ERR_NOMEM;
    r->buf = nb;
    r->cap = nc;
    return SMTPDX_OK;
}

/* Read one chunk at len; sets eof. */
static smtpdx_status fill(smtpdx_msgreader *r)
{
    smtpdx_status st = room(r, r->chunk);
    if (st != SMTPDX_OK)
        return st;
    size_t got;
    st = sx_src_read(r->src, r->buf + r->len, r->chunk, &got);
    if (st == SMTPDX_ERR_IO && r->intr && errno == EINTR) {
        /* the caller's signal handler wants the reading to end: what
         * came is all there is */
        r->eof = 1;
        return SMTPDX_OK;
    }
    if (st != SMTPDX_OK) {
        const char *why = sx_src_why(r->src);
        int e = errno;
        if (st == SMTPDX_ERR_IO && r->len > r->pos) {
            /* a compressed file cut short, a disk error: the message
             * under way is handed out as far as it came, as the head of
             * a message too large is, and the break is reported after it */
            snprintf(r->whybuf, sizeof r->whybuf, "%s",
                     why ? why : e ? strerror(e) : "input/output error");
            r->broken = 1;
            r->eof = 1;
            st = SMTPDX_OK;
        } else if (why != NULL) {
            snprintf(r->whybuf, sizeof r->whybuf, "%s", why);
            r->why = r->whybuf;
        }
        errno = e;
        return st;
    }
    if (got == 0)
        r->eof = 1;
    r->len += got;
    return SMTPDX_OK;
}

static smtpdx_status origin_set(smtpdx_msgreader *r, const char *path,
                                unsigned n)
{
    /* once per message: digits by hand rather than through printf */
    char num[16];
    size_t k = sizeof num;
    sx_sbuf_reset(&r->origin);
    int rc = sx_sbuf_puts(&r->origin, path);
    if (n && rc == SX_SBUF_OK) {
        do {
            num[--k] = (char)('0' + n % 10);
            n /= 10;
        } while (n > 0);
        num[--k] = ':';
        rc = sx_sbuf_append(&r->origin, num + k, sizeof num - k);
    }
    return rc == SX_SBUF_OK ? SMTPDX_OK : SMTPDX_ERR_NOMEM;
}

/* The bytes before a file's first line of content: a UTF-8 byte order
 * mark and blank lines; the scan resumes at from, what an earlier call on
 * a shorter buffer returned (so that a file of blank lines read in small
 * pieces is not scanned again from its start each time). */
static size_t lead(const char *b, size_t n, size_t from)
{
    size_t k = from;
    if (k == 0 && n >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0)
        k = 3;
    while (k < n && (b[k] == '\n' || b[k] == '\r'))
        k++;
    return k;
}

/* Open the next file; SMTPDX_OK with r->src NULL at the very end. */
static smtpdx_status file_open(smtpdx_msgreader *r)
{
    const char *p;
    smtpdx_status st;
    if (r->is_dir) {
        st = sx_walk_next(r->walk, &p);
        if (st != SMTPDX_OK) {
            r->why = sx_walk_why(r->walk);
            if (p && origin_set(r, p, 0) != SMTPDX_OK)
                return SMTPDX_ERR_NOMEM;
            return st;
        }
        if (p == NULL)
            return SMTPDX_OK;
    } else {
        if (r->root_done)
            return SMTPDX_OK;
        r->root_done = 1;
        p = r->root;
    }
    sx_sbuf_reset(&r->path);
    if (sx_sbuf_puts(&r->path, p) != SX_SBUF_OK
        || origin_set(r, p, 0) != SMTPDX_OK)
        return SMTPDX_ERR_NOMEM;
    st = sx_src_open(p, &r->src);
    if (st != SMTPDX_OK)
        return st == SMTPDX_ERR_INVAL ? SMTPDX_ERR_IO : st;
    sx_src_on_wait(r->src, r->wait, r->wait_arg);
    sx_src_intr(r->src, r->intr);
    r->len = r->pos = 0;
    r->eof = 0;
    r->n = 0;
    /* The line end is guessed from the first SX_READ_CHUNK bytes, or from
     * fewer once they hold an LF (the guess looks no further than the
     * first LF): never from whatever a short read returned, so that a
     * pipe, or a smaller chunk, cannot change where messages end. */
    /* An mbox that a program saved with a byte order mark or blank lines
     * first is still one: its separators start after them (skip). */
    size_t seen = 0, skip = 0;
    while (!r->eof && r->len < SX_READ_CHUNK) {
        skip = lead(r->buf, r->len, skip);
        if (r->len >= skip + 5 &&
            memchr(r->buf + (seen > skip ? seen : skip), '\n',
                   r->len - (seen > skip ? seen : skip)))
            break;
        seen = r->len;
        if ((st = fill(r)) != SMTPDX_OK) {
            file_close(r);
            return st;
        }
    }
    skip = lead(r->buf, r->len, skip);
    r->kind = (r->len - skip >= 5 && memcmp(r->buf + skip, "From ", 5) == 0)
                  ? KIND_MBOX
                  : KIND_EML;
    if (r->kind == KIND_MBOX)
        r->pos = skip;
    r->eol = sx_eol_detect(r->buf,
                           r->len < SX_READ_CHUNK ? r->len : SX_READ_CHUNK,
                           NULL);
    return SMTPDX_OK;
}

/* The length of the head of a message of len > max bytes that is handed
 * out: its lines that fit in max, or max bytes when no line end is there. */
static size_t head_len(const char *msg, size_t max, char eol)
{
    for (size_t n = max; n > 0; n--)
        if (msg[n - 1] == eol)
            return n;
    return max;
}

/* The whole file as one message; past r->max, its head, and the rest is
 * not read. */
static smtpdx_status eml_read(smtpdx_msgreader *r, const char **buf,
                              size_t *len)
{
    smtpdx_status st = SMTPDX_OK;
    while (!r->eof && st == SMTPDX_OK && r->len <= r->max)
        st = fill(r);
    if (st == SMTPDX_OK && r->len > r->max) {
        r->len = head_len(r->buf, r->max, r->eol);
        r->cut = 1;
    }
    else if (st == SMTPDX_OK && r->broken)
        r->cut = 2;
    if (st == SMTPDX_OK && r->len > 0) {
        r->buf[r->len] = '\0';
        *buf = r->buf;
        *len = r->len;
    }
    return st;
}

/* Move the unconsumed data to the front, then read a chunk: the buffer
 * is compacted only when it must grow, never once per message. */
static smtpdx_status more(smtpdx_msgreader *r)
{
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
    }
    return fill(r);
}

/* The next message of the open mbox; SMTPDX_OK with *buf NULL at its end.
 * Offsets below are relative to r->pos, the start of the message's
 * separator line, which more() may move. */
static smtpdx_status mbox_next(smtpdx_msgreader *r, const char **buf,
                               size_t *len)
{
    smtpdx_status st;
    while (r->pos == r->len) {
        if (r->eof)
            return SMTPDX_OK;
        if ((st = more(r)) != SMTPDX_OK)
            return st;
    }
    r->n++;
    r->last = 0;
    /* the separator line (or, before the first one, junk) */
    size_t b, seen = 0;
    for (;;) {
        const char *s0 = r->buf + r->pos;
        const char *le = memchr(s0 + seen, r->eol, r->len - r->pos - seen);
        if (le) {
            b = (size_t)(le - s0) + 1;
            break;
        }
        seen = r->len - r->pos;
        if (r->eof) {
            b = r->len - r->pos;
            break;
        }
        if (seen > r->max) {
            b = seen; /* already too long: its end does not matter */
            break;
        }
        if ((st = more(r)) != SMTPDX_OK)
            return st;
    }
    if (b > r->max) {
        /* a "From " line longer than a message may be: the rest of the
         * file is lost, however much of the line one read brought */
        r->len = r->pos = 0;
        r->eof = 1;
        return SMTPDX_ERR_LIMIT;
    }
    int too_big = 0;
    size_t from = b, end; /* the scan resumes at from */
    size_t quoted = SIZE_MAX; /* the first quoted "From " line, if any */
    for (;;) {
        char *s0 = r->buf + r->pos;
        const char *at, *qt = NULL;
        int f = sx_mbox_find(s0 + b, s0 + from, r->buf + r->len, r->eol,
                             r->eof, &at, quoted == SIZE_MAX ? &qt : NULL);
        if (qt != NULL)
            quoted = (size_t)(qt - s0);
        if (f == SX_MBOX_FOUND) {
            end = (size_t)(at - s0);
            break;
        }
        if (r->eof) {
            end = r->len - r->pos;
            r->last = 1;
            if (r->broken)
                r->cut = 2;
            break;
        }
        from = (size_t)(at - s0);
        if (from - b > r->max + 1) {
            /* too big: keep the head, drop what was read after it but
             * the byte before the resume point (it tells whether that
             * point starts a line) */
            too_big = 1;
            size_t keep = b + r->max;
            memmove(s0 + keep, s0 + from - 1, r->len - r->pos - from + 1);
            r->len -= from - 1 - keep;
            from = keep + 1;
        }
        if ((st = more(r)) != SMTPDX_OK)
            return st;
    }
    char *msg = r->buf + r->pos;
    r->pos += end;
    if (too_big || end - b > r->max) {
        end = b + head_len(msg + b, r->max, r->eol);
        r->cut = 1;
        if (quoted != SIZE_MAX && quoted >= end)
            quoted = SIZE_MAX;
    } else {
        /* the blank line before a separator belongs to the separator */
        size_t el = sx_eol_before(msg + b, msg + end, r->eol);
        if (el && sx_eol_before(msg + b, msg + end - el, r->eol))
            end -= el;
    }
    *buf = msg + b;
    *len = sx_mbox_unquote(msg + b, end - b, r->eol,
                           quoted == SIZE_MAX ? SIZE_MAX : quoted - b);
    return SMTPDX_OK;
}

static smtpdx_status reader_next(smtpdx_msgreader *r, const char **buf,
                                 size_t *len, const char **origin);

smtpdx_status smtpdx_msgreader_next(smtpdx_msgreader *r, const char **buf,
                                    size_t *len, const char **origin)
{
    if (r == NULL || buf == NULL || len == NULL)
        return SMTPDX_ERR_INVAL;
    r->why = NULL;
    r->cut = 0;
    smtpdx_status st = reader_next(r, buf, len, origin);
    if (st == SMTPDX_ERR_IO && r->why == NULL) {
        /* the system's word, taken before anything else can change it */
        int e = errno;
        snprintf(r->whybuf, sizeof r->whybuf, "%s",
                 e ? strerror(e) : "input/output error");
        r->why = r->whybuf;
        errno = e;
    }
    return st;
}

int smtpdx_msgreader_cut(const smtpdx_msgreader *r)
{
    return r != NULL ? r->cut : 0;
}

const char *smtpdx_msgreader_why(const smtpdx_msgreader *r)
{
    return r != NULL && r->why != NULL ? r->why : "";
}

/* The break behind a message handed out in part (smtpdx_msgreader_cut()
 * 2), named by its file; the rest of the file is lost. */
static smtpdx_status broken_report(smtpdx_msgreader *r, const char **origin)
{
    r->broken = 0;
    r->why = r->whybuf; /* written at the break; nothing wrote it since */
    if (r->src != NULL)
        file_close(r);
    if (origin_set(r, r->path.data, 0) != SMTPDX_OK)
        return SMTPDX_ERR_NOMEM;
    if (origin)
        *origin = r->origin.data;
    return SMTPDX_ERR_IO;
}

static smtpdx_status reader_next(smtpdx_msgreader *r, const char **buf,
                                 size_t *len, const char **origin)
{
    *buf = NULL;
    *len = 0;
    if (origin)
        *origin = NULL;
    smtpdx_status st;
    for (;;) {
        if (r->broken && (r->src == NULL || r->pos == r->len))
            return broken_report(r, origin);
        if (r->src == NULL) {
            st = file_open(r);
            if (origin)
                *origin = r->origin.data;
            if (st != SMTPDX_OK)
                return st;
            if (r->src == NULL)
                return SMTPDX_OK; /* the end */
        }
        if (r->kind == KIND_EML) {
            st = eml_read(r, buf, len);
            if (origin)
                *origin = r->origin.data;
            /* the buffer stays valid: only the stream is closed */
            int e = errno;
            src_done(r);
            errno = e;
            if (st != SMTPDX_OK || *buf)
                return st;
            continue; /* an empty file holds no message */
        }
        st = mbox_next(r, buf, len);
        if (st == SMTPDX_OK && *buf == NULL) {
            file_close(r);
            continue;
        }
        /* an mbox of one message is named like a plain file */
        unsigned num = (r->n == 1 && r->last) ? 0 : r->n;
        if (origin_set(r, r->path.data, num) != SMTPDX_OK)
            st = SMTPDX_ERR_NOMEM;
        if (origin)
            *origin = r->origin.data;
        if (st == SMTPDX_ERR_IO || st == SMTPDX_ERR_NOMEM)
            file_close(r); /* the rest of this file is lost */
        return st;
    }
}

uint64_t smtpdx_msgreader_offset(const smtpdx_msgreader *r)
{
    if (r == NULL)
        return 0;
    return r->taken + (r->src != NULL ? sx_src_offset(r->src) : 0);
}

uint64_t smtpdx_input_size(const char *path)
{
    struct stat sb;
    if (path == NULL || strcmp(path, "-") == 0 || stat(path, &sb) != 0)
        return 0;
    if (S_ISREG(sb.st_mode))
        return (uint64_t)sb.st_size;
    if (!S_ISDIR(sb.st_mode))
        return 0; /* a named pipe or a device: no size to tell */
    /* the walk the reader will make, so that the two agree on which
     * files count (a Maildir's tmp/ and hidden files do not) */
    sx_walk *w = NULL;
    if (sx_walk_new(path, &w) != SMTPDX_OK)
        return 0;
    uint64_t total = 0;
    for (;;) {
        const char *p = NULL;
        smtpdx_status st = sx_walk_next(w, &p);
        if (st == SMTPDX_ERR_NOMEM)
            break;
        if (st != SMTPDX_OK)
            continue;
        if (p == NULL)
            break;
        if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode))
            total += (uint64_t)sb.st_size;
    }
    sx_walk_free(w);
    return total;
}
