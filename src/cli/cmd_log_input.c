/*
 * cmd_log_input.c - where 'smtpdx log' gets its lines: files (plain, or
 * gzip, xz, zstd or bzip2, recognised by their first bytes), standard
 * input, and a file followed as it grows, like tail -F.
 *
 * Lines are cut out of a 1 MiB block with memchr and handed over in
 * place, so reading costs one read() per block and no copy per line. A
 * line longer than the block is handed over cut at the block's size (the
 * parser counts it as unknown) and the rest of it is skipped.
 *
 * Everything but a followed file is read through the library's stream
 * (smtpdx_stream_*), which inflates compressed data, from a pipe too, and says when
 * a live input falls silent; a followed file is read here, since
 * following needs its descriptor (rotation, truncation).
 *
 * Following polls: at the end of the data it waits poll_ms, then reads
 * again; if the path now names another file (the log was rotated) the old
 * one is drained and the new one opened from its start; if the file got
 * shorter (truncated, copytruncate) reading starts over at offset 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd_log.h"

#define BLOCK (1u << 20)

int log_reader_init(log_reader *r)
{
    r->cap = BLOCK;
    r->buf = malloc(r->cap);
    if (r->poll_ms == 0)
        r->poll_ms = 250;
    return r->buf ? 0 : -1;
}

void log_reader_release(log_reader *r)
{
    free(r->buf);
    r->buf = NULL;
}

/* The state of one input while it is read. */
typedef struct src {
    smtpdx_stream *st; /* everything but a followed file */
    int fd;            /* a followed file */
    size_t have;       /* bytes of an unfinished line at buf[0] */
    int skipping;      /* inside an over-long line: drop up to '\n' */
    uint64_t offset;   /* bytes read from fd (follow), or st's offset */
} src;

/* Hand over every complete line in buf[0..len); keep the unfinished end.
 * Returns 0, or -2 when on_line asked to stop. */
static int cut_lines(log_reader *r, src *s, size_t len)
{
    char *p = r->buf, *end = r->buf + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            break;
        if (s->skipping)
            s->skipping = 0;
        else if (r->on_line(r->arg, p, (size_t)(nl - p)) != 0)
            return -2;
        p = nl + 1;
    }
    size_t rest = (size_t)(end - p);
    if (rest == r->cap) {
        /* one line fills the whole block */
        if (!s->skipping && r->on_line(r->arg, p, rest) != 0)
            return -2;
        s->skipping = 1;
        rest = 0;
    } else if (s->skipping) {
        rest = 0;
    }
    if (rest && p != r->buf)
        memmove(r->buf, p, rest);
    s->have = rest;
    return 0;
}

/* The unfinished last line at the end of an input. */
static int flush_tail(log_reader *r, src *s)
{
    int rc = 0;
    if (s->have && !s->skipping)
        rc = r->on_line(r->arg, r->buf, s->have) != 0 ? -2 : 0;
    s->have = 0;
    s->skipping = 0;
    return rc;
}

/* Read one block; returns bytes read, 0 at the end or when *stop was
 * set, -1 on error. */
static long read_block(log_reader *r, src *s)
{
    size_t room = r->cap - s->have;
    if (s->st != NULL) {
        size_t got = 0;
        for (;;) {
            smtpdx_status st =
                smtpdx_stream_read(s->st, r->buf + s->have, room, &got);
            if (st == SMTPDX_OK)
                break;
            if (st == SMTPDX_ERR_NOMEM)
                errno = ENOMEM;
            else if (st == SMTPDX_ERR_IO && errno == EINTR) {
                if (r->stop && *r->stop)
                    return 0;
                continue; /* a signal that is not ours to act on */
            }
            return -1;
        }
        uint64_t off = smtpdx_stream_offset(s->st);
        r->done += off - s->offset;
        s->offset = off;
        return (long)got;
    }
    for (;;) {
        ssize_t n = read(s->fd, r->buf + s->have, room);
        if (n < 0 && errno == EINTR) {
            if (r->stop && *r->stop)
                return 0;
            continue;
        }
        if (n > 0) {
            r->done += (uint64_t)n;
            s->offset += (uint64_t)n;
        }
        return (long)n;
    }
}

/* Why the last read failed, for people: what was wrong with gzip data
 * (it says more than the system's EIO would), else the system's word. */
static void read_why(const src *s, int err, char *out, size_t n)
{
    const char *why = s->st ? smtpdx_stream_why(s->st) : NULL;
    snprintf(out, n, "%s", why ? why : strerror(err));
}

/* The stream's hook: the live input fell silent for ms milliseconds. */
static void quiet(void *arg, unsigned ms)
{
    log_reader *r = arg;
    if (!(r->stop && *r->stop))
        r->on_quiet(r->arg, ms);
}

static int is_gzip(int fd)
{
    unsigned char m[2];
    ssize_t n = pread(fd, m, 2, 0);
    return n == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL); /* a signal cuts it short: fine */
}

/* Has the path been replaced by another file, or the file shrunk? */
static int rotated(const char *path, int fd, uint64_t offset, int *truncated)
{
    struct stat a, b;
    *truncated = 0;
    if (fstat(fd, &a) != 0)
        return 0;
    if (stat(path, &b) != 0)
        return 0; /* gone for now: keep the old one until a new appears */
    if (a.st_ino != b.st_ino || a.st_dev != b.st_dev)
        return 1;
    if ((uint64_t)a.st_size < offset)
        *truncated = 1;
    return 0;
}

/* A file to follow (a plain regular one) is opened here; anything else
 * as a stream. *follow is cleared for an input that cannot grow in place
 * (a pipe, a compressed file). */
static int open_input(log_reader *r, const char *path, int *follow, src *s)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    if (*follow) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return -1;
        struct stat sb;
        if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            close(fd);
            errno = EISDIR;
            return -1;
        }
        if (S_ISREG(sb.st_mode) && !is_gzip(fd)) {
            s->fd = fd;
            return 0;
        }
        close(fd);
        *follow = 0;
    }
    if (smtpdx_stream_new(path, &s->st) != SMTPDX_OK)
        return -1;
    if (smtpdx_stream_live(s->st)) {
        *follow = 0;
        if (r->on_quiet != NULL)
            smtpdx_stream_on_wait(s->st, quiet, r);
        /* Ctrl-C must end a wait for a silent pipe */
        smtpdx_stream_interruptible(s->st, r->stop != NULL);
    }
    return 0;
}

static void close_input(src *s)
{
    smtpdx_stream_free(s->st);
    if (s->fd >= 0)
        close(s->fd);
    s->st = NULL;
    s->fd = -1;
}

int log_read(log_reader *r, const char *path, int follow)
{
    src s;
    const char *name = strcmp(path, "-") == 0 ? "standard input" : path;
    if (strcmp(path, "-") == 0)
        follow = 0; /* a pipe does not grow in place */
    if (open_input(r, path, &follow, &s) != 0) {
        cli_error("log", name, "%s", strerror(errno));
        return -1;
    }
    r->live = s.st != NULL && smtpdx_stream_live(s.st);
    int rc = 0, first = 1;
    for (;;) {
        if (r->stop && *r->stop)
            break;
        long n = read_block(r, &s);
        if (n < 0) {
            char why[160];
            read_why(&s, errno, why, sizeof why);
            cli_error("log", name, "%s", why);
            rc = -1;
            break;
        }
        if (n > 0 && first) {
            /* a file given by mistake: said for what it is, not read as
             * lines none of which is a log line */
            const char *what = cli_sniff_why(r->buf, (size_t)n);
            if (what != NULL) {
                cli_error("log", name, "not a mail log: %s", what);
                rc = -1;
                s.have = 0;
                break;
            }
        }
        first = 0;
        if (n > 0) {
            if ((rc = cut_lines(r, &s, s.have + (size_t)n)) != 0)
                break;
            cli_progress_update(r->progress, r->done);
            if (r->on_batch && r->on_batch(r->arg) != 0) {
                rc = -2;
                break;
            }
            continue;
        }
        if (!follow)
            break;
        int truncated = 0;
        if (rotated(path, s.fd, s.offset, &truncated)) {
            /* the old file is drained (we are at its end): move on */
            if ((rc = flush_tail(r, &s)) != 0)
                break;
            src next;
            int again = 1;
            if (open_input(r, path, &again, &next) == 0) {
                close_input(&s);
                s = next;
                continue;
            }
        } else if (truncated) {
            if (lseek(s.fd, 0, SEEK_SET) == 0) {
                s.offset = 0;
                s.have = 0;
                s.skipping = 0;
            }
            continue;
        }
        if (r->on_batch && r->on_batch(r->arg) != 0) {
            rc = -2;
            break;
        }
        sleep_ms(r->poll_ms);
    }
    if (rc == 0)
        rc = flush_tail(r, &s);
    else
        (void)flush_tail(r, &s);
    close_input(&s);
    r->live = 0;
    return rc;
}

/* ---------------------------------------------------------------- order */

typedef struct ikey {
    char *path;
    size_t base_len;   /* length of the log's own name */
    size_t group;      /* first appearance of that name */
    int kind;          /* 0 numbered, 1 dated, 2 the live file */
    long num;          /* .N */
    const char *date;  /* after the '-' */
    size_t date_len;
    size_t pos;        /* original position, for a stable order */
} ikey;

/* The name without the suffix a compressor gave it (maillog.2.xz). */
static size_t strip_packed(const char *p, size_t n)
{
    static const char *const sfx[] = {".gz", ".xz", ".zst", ".bz2"};
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        size_t k = strlen(sfx[i]);
        if (n > k && memcmp(p + n - k, sfx[i], k) == 0)
            return n - k;
    }
    return n;
}

static void key_of(ikey *k)
{
    const char *p = k->path;
    size_t n = strip_packed(p, strlen(p));
    k->kind = 2;
    k->base_len = n;
    /* "name.N" */
    size_t i = n;
    while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9')
        i--;
    if (i < n && n - i <= 6 && i > 0 && p[i - 1] == '.') {
        k->kind = 0;
        k->num = strtol(p + i, NULL, 10);
        k->base_len = i - 1;
        return;
    }
    /* "name-YYYYMMDD" (logrotate's dateext) */
    if (i < n && n - i == 8 && i > 0 && p[i - 1] == '-') {
        k->kind = 1;
        k->date = p + i;
        k->date_len = 8;
        k->base_len = i - 1;
    }
}

static int cmp_keys(const void *a, const void *b)
{
    const ikey *x = a, *y = b;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    /* numbered (oldest = highest first), dated, live: kind 0 < 1 < 2 */
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->kind == 0 && x->num != y->num)
        return x->num > y->num ? -1 : 1;
    if (x->kind == 1) {
        int c = memcmp(x->date, y->date, 8);
        if (c)
            return c;
    }
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void log_sort_inputs(char **paths, size_t n)
{
    if (n < 2)
        return;
    ikey *k = calloc(n, sizeof *k);
    if (k == NULL)
        return; /* the given order is still a fine order */
    for (size_t i = 0; i < n; i++) {
        k[i].path = paths[i];
        k[i].pos = i;
        key_of(&k[i]);
        k[i].group = i;
        for (size_t j = 0; j < i; j++) {
            if (k[j].base_len == k[i].base_len &&
                memcmp(k[j].path, k[i].path, k[i].base_len) == 0) {
                k[i].group = k[j].group;
                break;
            }
        }
    }
    qsort(k, n, sizeof *k, cmp_keys);
    for (size_t i = 0; i < n; i++)
        paths[i] = k[i].path;
    free(k);
}

uint64_t log_inputs_size(char *const *paths, size_t n)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (strcmp(paths[i], "-") != 0 && stat(paths[i], &sb) == 0 &&
            S_ISREG(sb.st_mode))
            total += (uint64_t)sb.st_size;
    }
    return total;
}
