/*
 * fuzz_mbox.c - the message reader (mbox splitting, ">From " unquoting,
 * gzip, xz, zstd and bzip2 data) over an arbitrary file, read in chunks
 * of a few bytes so that every chunk boundary of a short input is
 * crossed.
 *
 * Byte 0 picks the chunk size (1 to 256 bytes); byte 1 either keeps the
 * default message size limit or sets a small one (so the limit paths run
 * on short inputs); the rest is the file, handed over through a memfd.
 *
 * Checked on every input: statuses are the documented ones, the calls end
 * (each one consumes input), no message is over the limit, a message is
 * said cut exactly when the limit was reached, and a file that is not an
 * mbox comes back as one message: whole, or past the limit its head.
 * Unless the input is compressed, the same file is read again in one chunk
 * with the same limit, and both reads must give the same messages, in the
 * same order, with the same statuses and origins: where a read happens to
 * end must never change where a message does.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "input/codec.h"
#include "input/msgreader.h"

typedef struct item {
    smtpdx_status st;
    int cut;
    size_t len;
    uint64_t hash; /* of the message bytes; 0 for no message */
    char origin[64];
} item;

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h | 1;
}

/* One read of path; items into out (room for cap), their count returned,
 * or -1 when memory ran out (the run is then not compared). */
static long read_all(const char *path, size_t chunk, size_t max,
                     const char *file, size_t size, int gz, item *out,
                     size_t cap)
{
    smtpdx_msgreader *r = NULL;
    if (smtpdx_msgreader_new(path, &r) != SMTPDX_OK)
        return -1;
    sx_msgreader_tune(r, chunk, max);
    size_t n = 0, total = 0;
    /* an mbox starts with "From ", after a UTF-8 byte order mark and
     * blank lines (CR or LF) if any, as the reader documents */
    size_t k = size >= 3 && memcmp(file, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    while (k < size && (file[k] == '\n' || file[k] == '\r'))
        k++;
    int mbox = size - k >= 5 && memcmp(file + k, "From ", 5) == 0;
    long ret = 0;
    for (;;) {
        const char *buf, *origin;
        size_t len;
        smtpdx_status st = smtpdx_msgreader_next(r, &buf, &len, &origin);
        if (st == SMTPDX_ERR_NOMEM) {
            ret = -1;
            break;
        }
        FZ_CHECK(st == SMTPDX_OK || st == SMTPDX_ERR_LIMIT ||
                 (st == SMTPDX_ERR_IO && gz));
        if (st == SMTPDX_OK && buf == NULL)
            break;
        /* every call consumes at least one byte of the file (of what
         * it inflates to, for gzip: that may be far more) */
        if (gz && n == cap)
            break;
        FZ_CHECK(n < cap);
        FZ_CHECK(origin != NULL && strncmp(origin, path, strlen(path)) == 0);
        item *it = &out[n++];
        memset(it, 0, sizeof *it);
        it->st = st;
        snprintf(it->origin, sizeof it->origin, "%s", origin);
        if (st != SMTPDX_OK)
            continue;
        FZ_CHECK(len <= max);
        it->len = len;
        it->hash = fnv(buf, len);
        it->cut = smtpdx_msgreader_cut(r);
        total += len;
        if (!gz) {
            FZ_CHECK(total <= size);
            /* one plain message: the file, unchanged, or its head */
            if (!mbox && !it->cut)
                FZ_CHECK(len == size && memcmp(buf, file, size) == 0);
            if (!mbox && it->cut)
                FZ_CHECK(size > max && len > 0 &&
                         memcmp(buf, file, len) == 0 &&
                         (len == max || buf[len - 1] == '\n' ||
                          buf[len - 1] == '\r'));
        }
    }
    if (!gz && !mbox && ret == 0) {
        if (size == 0)
            FZ_CHECK(n == 0);
        else
            FZ_CHECK(n == 1 && out[0].st == SMTPDX_OK &&
                     out[0].cut == (size > max));
    }
    smtpdx_msgreader_free(r);
    return ret < 0 ? -1 : (long)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t chunk = 1 + data[0];
    size_t max = (data[1] & 0x80) ? 1 + (size_t)(data[1] & 0x7f) * 16
                                  : SMTPDX_MSG_MAX;
    const char *file = (const char *)data + 2;
    size -= 2;
    /* compressed data (gzip, xz, zstd, bzip2): not the file's bytes */
    int gz = sx_codec_sniff((const unsigned char *)file, size) != SX_CODEC_NONE;

    int fd = memfd_create("fuzz_mbox", 0);
    if (fd < 0)
        return 0;
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, file + done, size - done);
        if (w <= 0) {
            close(fd);
            return 0;
        }
        done += (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

    size_t cap = size + 4;
    item *a = calloc(cap, sizeof *a), *b = calloc(cap, sizeof *b);
    long na = -1, nb = -1;
    if (a != NULL && b != NULL)
        na = read_all(path, chunk, max, file, size, gz, a, cap);
    if (na >= 0 && !gz) {
        nb = read_all(path, size + 1, max, file, size, gz, b, cap);
        if (nb >= 0) {
            FZ_CHECK(na == nb);
            for (long i = 0; i < na; i++) {
                FZ_CHECK(a[i].st == b[i].st);
                FZ_CHECK(a[i].cut == b[i].cut);
                FZ_CHECK(a[i].len == b[i].len);
                FZ_CHECK(a[i].hash == b[i].hash);
                FZ_CHECK(strcmp(a[i].origin, b[i].origin) == 0);
            }
        }
    }
    free(a);
    free(b);
    close(fd);
    return 0;
}
