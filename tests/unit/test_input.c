/*
 * test_input.c - smtpdx_msgreader over every kind of input, built in a
 * temporary directory: mbox (">From " unquoting, CR-only), gzip detected
 * by its magic bytes, a Maildir tree in name order, tiny files, missing
 * paths, corrupt gzip, stdin, and the per-message size limit (a sparse
 * 64 MiB hole, so the test stays fast), stdin on a pipe fed in pieces
 * (plain and gzip, which must read as the same file does) and the hook
 * run when such a pipe pauses, and the same inputs read in
 * chunks of every size from one byte up, which must not move a message;
 * and smtpdx_stream, the same reading for callers that cut bytes.
 * The shared corpus mboxes are checked when ../shared is there.
 */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bzlib.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <cmocka.h>

#include "input/msgreader.h"
#include "smtpdx.h"
#include "testutil.h"

static char dir[256];

static void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *data, size_t len)
{
    char p[512];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void write_str(const char *name, const char *s)
{
    write_file(name, s, strlen(s));
}

static void mkdir_in(const char *name)
{
    char p[512];
    path_of(p, sizeof p, name);
    assert_int_equal(mkdir(p, 0700), 0);
}

static int rm_one(const char *p, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/smtpdx-input-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Read everything from path in reads of chunk bytes, messages of at most
 * max (0: the defaults): messages joined as "origin\n<msg>\n--\n",
 * errors as "ERR <status> origin\n". */
static char *read_tuned(const char *path, size_t chunk, size_t max,
                        unsigned *nmsg, unsigned *nerr)
{
    smtpdx_msgreader *r;
    assert_int_equal(smtpdx_msgreader_new(path, &r), SMTPDX_OK);
    sx_msgreader_tune(r, chunk, max);
    size_t cap = 1 << 16, len = 0;
    char *acc = malloc(cap);
    assert_non_null(acc);
    *nmsg = *nerr = 0;
    for (unsigned guard = 0; guard < 10000; guard++) {
        const char *buf, *origin;
        size_t n;
        smtpdx_status st = smtpdx_msgreader_next(r, &buf, &n, &origin);
        char head[1024];
        if (st != SMTPDX_OK) {
            (*nerr)++;
            const char *why = smtpdx_msgreader_why(r);
            snprintf(head, sizeof head, "ERR %s %s%s%s\n",
                     smtpdx_status_name(st), origin ? origin : "(null)",
                     *why ? ": " : "", why);
            n = 0;
            buf = "";
        } else if (buf == NULL) {
            break;
        } else {
            (*nmsg)++;
            snprintf(head, sizeof head, "%s%s\n",
                     smtpdx_msgreader_cut(r) ? "CUT " : "", origin);
        }
        size_t hl = strlen(head);
        while (len + hl + n + 8 > cap) {
            cap *= 2;
            acc = realloc(acc, cap);
            assert_non_null(acc);
        }
        memcpy(acc + len, head, hl);
        len += hl;
        if (st == SMTPDX_OK) {
            memcpy(acc + len, buf, n);
            len += n;
            memcpy(acc + len, "\n--\n", 4);
            len += 4;
        }
    }
    acc[len] = '\0';
    smtpdx_msgreader_free(r);
    return acc;
}

static char *read_all(const char *path, unsigned *nmsg, unsigned *nerr)
{
    return read_tuned(path, 0, 0, nmsg, nerr);
}

static const char MBOX[] =
    "From alice@example.org Mon Mar  3 10:00:00 2025\n"
    "Subject: one\n"
    "\n"
    ">From the start of a line\n"
    ">>From twice quoted\n"
    "> From not a separator quote\n"
    "\n"
    "From bob@example.org Mon Mar  3 10:01:00 2025\n"
    "Subject: two\n"
    "\n"
    "From here on this line is body: no time, no field after\n"
    "body two\n"
    "\n"
    "From carol Mon Mar  3 10:02:00 2025\n"
    "Subject: three\n"
    "\n"
    "last\n";

static void check_mbox_result(const char *all, const char *p)
{
    char want[4096];
    snprintf(want, sizeof want,
             "%s:1\nSubject: one\n\nFrom the start of a line\n"
             ">From twice quoted\n> From not a separator quote\n\n--\n"
             "%s:2\nSubject: two\n\nFrom here on this line is body: no time, "
             "no field after\nbody two\n\n--\n"
             "%s:3\nSubject: three\n\nlast\n\n--\n",
             p, p, p);
    assert_string_equal(all, want);
}

static void test_mbox(void **state)
{
    (void)state;
    write_str("box", MBOX);
    char p[512];
    path_of(p, sizeof p, "box");
    unsigned n, e;
    char *all = read_all(p, &n, &e);
    assert_int_equal(n, 3);
    assert_int_equal(e, 0);
    check_mbox_result(all, p);
    free(all);

    /* saved with a byte order mark, or blank lines, before the first
     * separator: still an mbox of three */
    char lead[sizeof MBOX + 8];
    snprintf(lead, sizeof lead, "\xef\xbb\xbf\n\n%s", MBOX);
    write_str("box-bom", lead);
    path_of(p, sizeof p, "box-bom");
    all = read_all(p, &n, &e);
    assert_int_equal(n, 3);
    check_mbox_result(all, p);
    free(all);

    /* an mbox of one message is named like a plain file */
    write_str("one", "From x Mon Mar  3 10:00:00 2025\nSubject: 1\n\nb\n");
    path_of(p, sizeof p, "one");
    all = read_all(p, &n, &e);
    char want[600];
    snprintf(want, sizeof want, "%s\nSubject: 1\n\nb\n\n--\n", p);
    assert_string_equal(all, want);
    free(all);
}

static void test_gzip_by_magic(void **state)
{
    (void)state;
    char p[512];
    path_of(p, sizeof p, "box-compressed.txt"); /* no .gz in the name */
    gzFile gz = gzopen(p, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, MBOX, sizeof MBOX - 1), (int)sizeof MBOX - 1);
    gzclose(gz);
    unsigned n, e;
    char *all = read_all(p, &n, &e);
    assert_int_equal(n, 3);
    check_mbox_result(all, p);
    free(all);

    /* a gzip stream cut short is a read error, named */
    size_t len;
    char *raw = tu_read_file(p, &len);
    assert_non_null(raw);
    write_file("cut.gz", raw, len - 12);
    free(raw);
    path_of(p, sizeof p, "cut.gz");
    all = read_all(p, &n, &e);
    assert_int_equal(e, 1);
    assert_non_null(strstr(all, "ERR SMTPDX_ERR_IO"));
    assert_non_null(strstr(all, ": the gzip data ends early"));
    free(all);

    /* a gzip header over data that does not inflate: damaged, in words */
    static const char bad[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
                              "garbage that is no deflate stream";
    write_file("bad.gz", bad, sizeof bad - 1);
    path_of(p, sizeof p, "bad.gz");
    all = read_all(p, &n, &e);
    assert_int_equal(e, 1);
    assert_int_equal(n, 0);
    assert_non_null(strstr(all, ": the gzip data is damaged ("));
    assert_null(strstr(all, "<fd:")); /* zlib's descriptor name left out */
    free(all);
}

/* One member of data in the format k, made with its library; *len set. */
static char *pack(int k, const char *data, size_t n, size_t *len)
{
    size_t cap = n + n / 2 + 1024;
    char *out = malloc(cap);
    assert_non_null(out);
    if (k == 0) {
        size_t pos = 0;
        assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL,
                                                 (const uint8_t *)data, n,
                                                 (uint8_t *)out, &pos, cap),
                         LZMA_OK);
        *len = pos;
    } else if (k == 1) {
        size_t r = ZSTD_compress(out, cap, data, n, 3);
        assert_false(ZSTD_isError(r));
        *len = r;
    } else {
        unsigned dl = (unsigned)cap;
        assert_int_equal(BZ2_bzBuffToBuffCompress(out, &dl, (char *)data,
                                                  (unsigned)n, 9, 0, 0),
                         BZ_OK);
        *len = dl;
    }
    return out;
}

/* xz, zstd and bzip2 read as gzip is: told by their magic, members one
 * after the other, a cut or damaged file named as such in words. */
static void test_other_codecs(void **state)
{
    (void)state;
    static const char *const names[] = {"xz", "zstd", "bzip2"};
    static const char *const bad[] = {"\xfd" "7zXZ", "\x28\xb5\x2f\xfd",
                                      "BZh9"};
    static const size_t badlen[] = {6, 4, 4};
    size_t half = (sizeof MBOX - 1) / 2;
    for (int k = 0; k < 3; k++) {
        size_t l1, l2;
        char *a = pack(k, MBOX, half, &l1);
        char *b = pack(k, MBOX + half, sizeof MBOX - 1 - half, &l2);
        char *both = malloc(l1 + l2);
        assert_non_null(both);
        memcpy(both, a, l1);
        memcpy(both + l1, b, l2);
        char p[512], want[128];
        write_file("packed.txt", both, l1 + l2); /* no suffix: by magic */
        path_of(p, sizeof p, "packed.txt");
        unsigned n, e;
        char *all = read_all(p, &n, &e);
        assert_int_equal(e, 0);
        assert_int_equal(n, 3);
        check_mbox_result(all, p);
        free(all);

        write_file("packed-cut", both, l1 + l2 - 8);
        path_of(p, sizeof p, "packed-cut");
        all = read_all(p, &n, &e);
        assert_int_equal(e, 1);
        snprintf(want, sizeof want, ": the %s data ends early", names[k]);
        if (strstr(all, want) == NULL)
            fail_msg("%s cut short: %s", names[k], all);
        free(all);

        char junk[64];
        memcpy(junk, bad[k], badlen[k]);
        memset(junk + badlen[k], 'x', sizeof junk - badlen[k]);
        write_file("packed-bad", junk, sizeof junk);
        path_of(p, sizeof p, "packed-bad");
        all = read_all(p, &n, &e);
        assert_int_equal(e, 1);
        assert_int_equal(n, 0);
        snprintf(want, sizeof want, ": the %s data is damaged (", names[k]);
        if (strstr(all, want) == NULL)
            fail_msg("%s damaged: %s", names[k], all);
        free(all);
        free(a);
        free(b);
        free(both);
    }
}

/* Data that inflates more than 10,000 times past 1 MiB is refused with
 * an error in words, not read on for ever (a decompression bomb): 256 MiB
 * of zeros in some kilobytes of zstd. */
static void test_bomb(void **state)
{
    (void)state;
    ZSTD_CStream *z = ZSTD_createCStream();
    assert_non_null(z);
    assert_false(ZSTD_isError(ZSTD_initCStream(z, 19)));
    char *zero = calloc(1, 1 << 20);
    size_t cap = 1 << 20;
    char *out = malloc(cap);
    assert_non_null(zero);
    assert_non_null(out);
    ZSTD_outBuffer ob = {out, cap, 0};
    for (int i = 0; i < 256; i++) {
        ZSTD_inBuffer ib = {zero, 1 << 20, 0};
        while (ib.pos < ib.size)
            assert_false(ZSTD_isError(ZSTD_compressStream(z, &ob, &ib)));
    }
    assert_int_equal(ZSTD_endStream(z, &ob), 0);
    ZSTD_freeCStream(z);
    assert_true(ob.pos < 64 * 1024);
    write_file("bomb.zst", out, ob.pos);
    char p[512];
    path_of(p, sizeof p, "bomb.zst");
    smtpdx_stream *s = NULL;
    assert_int_equal(smtpdx_stream_new(p, &s), SMTPDX_OK);
    size_t got, total = 0;
    smtpdx_status st;
    while ((st = smtpdx_stream_read(s, out, cap, &got)) == SMTPDX_OK && got)
        total += got;
    assert_int_equal(st, SMTPDX_ERR_IO);
    assert_true(total >= (1u << 19) && total < (256u << 20));
    const char *why = smtpdx_stream_why(s);
    assert_non_null(why);
    assert_non_null(strstr(why, "the zstd data inflates to more than 10,000 times its size"));
    smtpdx_stream_free(s);
    free(zero);
    free(out);
}

static void test_cr_only_mbox(void **state)
{
    (void)state;
    char cr[sizeof MBOX];
    memcpy(cr, MBOX, sizeof MBOX);
    for (char *c = cr; *c; c++)
        if (*c == '\n')
            *c = '\r';
    write_str("crbox", cr);
    char p[512];
    path_of(p, sizeof p, "crbox");
    unsigned n, e;
    char *all = read_all(p, &n, &e);
    assert_int_equal(n, 3);
    assert_non_null(strstr(all, "\rFrom the start of a line\r>From twice"));
    free(all);
}

static void test_maildir_order(void **state)
{
    (void)state;
    mkdir_in("md");
    mkdir_in("md/cur");
    mkdir_in("md/new");
    mkdir_in("md/tmp");
    mkdir_in("md/.Sent");
    mkdir_in("md/.Sent/cur");
    mkdir_in("md/.Sent/new");
    write_str("md/cur/2.host:2,S", "Subject: cur 2\n\nb\n");
    write_str("md/cur/1.host:2,S", "Subject: cur 1\n\nb\n");
    write_str("md/new/3.host", "Subject: new 3\n\nb\n");
    write_str("md/tmp/4.host", "Subject: in delivery\n\nb\n");
    write_str("md/.Sent/cur/5.host", "Subject: sent 5\n\nb\n");
    write_str("md/cur/.hidden", "Subject: hidden\n\nb\n");
    write_str("md/cur/1.host:2,S~", "Subject: backup\n\nb\n");
    write_str("md/maildirsize", "1000S\n");
    write_str("md/dovecot-uidlist", "3 V1 N2\n");
    /* a folder as a plain subdirectory (Dovecot's LAYOUT=fs) */
    mkdir_in("md/Archive");
    mkdir_in("md/Archive/cur");
    mkdir_in("md/Archive/new");
    write_str("md/Archive/cur/6.host:2,S", "Subject: archive 6\n\nb\n");
    /* a folder of files only is none of mail (Courier's keywords) */
    mkdir_in("md/courierimapkeywords");
    write_str("md/courierimapkeywords/:list", "Subject: keywords\n\nb\n");
    char p[512];
    path_of(p, sizeof p, "md/");
    unsigned n, e;
    char *all = read_all(p, &n, &e);
    assert_int_equal(n, 5);
    assert_int_equal(e, 0);
    const char *a = strstr(all, "sent 5"), *b = strstr(all, "cur 1"),
               *c = strstr(all, "cur 2"), *d = strstr(all, "new 3"),
               *f = strstr(all, "archive 6");
    assert_true(a && b && c && d && f && a < f && f < b && b < c && c < d);
    assert_null(strstr(all, "1000S"));
    assert_null(strstr(all, "keywords"));
    assert_null(strstr(all, "V1 N2"));
    assert_null(strstr(all, "in delivery"));
    assert_null(strstr(all, "hidden"));
    assert_null(strstr(all, "backup"));
    char o[600];
    snprintf(o, sizeof o, "%s/md/cur/1.host:2,S\n", dir);
    assert_non_null(strstr(all, o));
    free(all);
}

/* A progress bar's numbers: the size of an input is what its reader
 * takes from it, file by file of a folder's walk (a Maildir's tmp/ and
 * hidden files left out), compressed bytes for a compressed file; stdin
 * and missing paths have no size. */
static void test_input_size(void **state)
{
    (void)state;
    mkdir_in("sz");
    mkdir_in("sz/cur");
    mkdir_in("sz/new");
    mkdir_in("sz/tmp");
    write_str("sz/cur/1.host:2,S", "Subject: one\n\nbody\n");
    write_str("sz/new/2.host", "Subject: two\n\nlonger body here\n");
    write_str("sz/tmp/3.host", "Subject: in delivery, not read\n\nb\n");
    write_str("sz/cur/.hidden", "Subject: hidden\n\nb\n");
    char p[512];
    path_of(p, sizeof p, "sz");
    uint64_t want = strlen("Subject: one\n\nbody\n") +
                    strlen("Subject: two\n\nlonger body here\n");
    assert_int_equal(smtpdx_input_size(p), want);

    smtpdx_msgreader *r;
    assert_int_equal(smtpdx_msgreader_new(p, &r), SMTPDX_OK);
    assert_int_equal(smtpdx_msgreader_offset(r), 0);
    const char *buf, *origin;
    size_t n;
    unsigned msgs = 0;
    while (smtpdx_msgreader_next(r, &buf, &n, &origin) == SMTPDX_OK &&
           buf != NULL) {
        msgs++;
        assert_true(smtpdx_msgreader_offset(r) <= want);
    }
    assert_int_equal(msgs, 2);
    assert_int_equal(smtpdx_msgreader_offset(r), want);
    smtpdx_msgreader_free(r);

    /* a gzip mbox: its own (compressed) size, all of it read */
    path_of(p, sizeof p, "sz.mbox.gz");
    gzFile gz = gzopen(p, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, MBOX, sizeof MBOX - 1), (int)sizeof MBOX - 1);
    gzclose(gz);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(smtpdx_input_size(p), (uint64_t)sb.st_size);
    assert_true((uint64_t)sb.st_size < sizeof MBOX - 1);
    assert_int_equal(smtpdx_msgreader_new(p, &r), SMTPDX_OK);
    msgs = 0;
    while (smtpdx_msgreader_next(r, &buf, &n, &origin) == SMTPDX_OK &&
           buf != NULL)
        msgs++;
    assert_int_equal(msgs, 3);
    assert_int_equal(smtpdx_msgreader_offset(r), (uint64_t)sb.st_size);
    smtpdx_msgreader_free(r);

    assert_int_equal(smtpdx_input_size("-"), 0);
    path_of(p, sizeof p, "no-such-file");
    assert_int_equal(smtpdx_input_size(p), 0);
    assert_int_equal(smtpdx_input_size(NULL), 0);
    assert_int_equal(smtpdx_msgreader_offset(NULL), 0);
}

/* Folders nest 64 deep at most (SX_WALK_DEPTH): a message 63 folders
 * down is read, one 65 down is not and the folder left out is reported
 * (SMTPDX_ERR_IO, with the reason), and the walk goes on after both. */
static void test_walk_depth(void **state)
{
    (void)state;
    char rel[512] = "deep";
    mkdir_in(rel);
    write_str("deep/a-top.eml", "Subject: top\n\nb\n");
    for (int i = 1; i <= 65; i++) {
        strcat(rel, "/d");
        mkdir_in(rel);
        char f[600];
        if (i == 63 || i == 65) {
            snprintf(f, sizeof f, "%s/m.eml", rel);
            write_str(f, i == 63 ? "Subject: level 63\n\nb\n"
                                 : "Subject: level 65\n\nb\n");
        }
    }
    write_str("deep/z-last.eml", "Subject: last\n\nb\n");
    char p[512];
    path_of(p, sizeof p, "deep");
    unsigned n, e;
    char *all = read_all(p, &n, &e);
    assert_int_equal(e, 1);
    assert_int_equal(n, 3);
    char want[1024];
    snprintf(want, sizeof want, "ERR SMTPDX_ERR_IO %s", p);
    for (int i = 1; i <= 64; i++)
        strcat(want, "/d");
    strcat(want, ": folder nested deeper than 64 levels: not read\n");
    assert_non_null(strstr(all, want));
    assert_non_null(strstr(all, "Subject: top"));
    assert_non_null(strstr(all, "Subject: level 63"));
    assert_null(strstr(all, "Subject: level 65"));
    assert_non_null(strstr(all, "Subject: last"));
    free(all);
}

static void test_tiny_and_missing(void **state)
{
    (void)state;
    mkdir_in("tiny");
    write_file("tiny/a0", "", 0);
    write_file("tiny/b1", "\n", 1);
    write_file("tiny/c3", "Fro", 3);
    write_file("tiny/d5", "From ", 5);
    char p[512];
    path_of(p, sizeof p, "tiny");
    unsigned n, e;
    char *all = read_all(p, &n, &e);
    /* the empty file holds nothing; the others are one message each */
    assert_int_equal(n, 3);
    assert_int_equal(e, 0);
    free(all);

    path_of(p, sizeof p, "no-such-file");
    all = read_all(p, &n, &e);
    assert_int_equal(n, 0);
    assert_int_equal(e, 1);
    char want[600];
    snprintf(want, sizeof want, "ERR SMTPDX_ERR_IO %s: %s\n", p,
             strerror(ENOENT));
    assert_string_equal(all, want);
    free(all);

    smtpdx_msgreader *r;
    assert_int_equal(smtpdx_msgreader_new("", &r), SMTPDX_ERR_INVAL);
    assert_int_equal(smtpdx_msgreader_new(NULL, &r), SMTPDX_ERR_INVAL);
    smtpdx_msgreader_free(NULL);
}

/* The same data as a regular file on standard input. */
static char *read_redirected(const char *data, size_t len, unsigned *nmsg,
                             unsigned *nerr)
{
    write_file("redirected", data, len);
    char p[512];
    path_of(p, sizeof p, "redirected");
    int saved = dup(STDIN_FILENO);
    int fd = open(p, O_RDONLY);
    assert_true(fd >= 0 && saved >= 0);
    dup2(fd, STDIN_FILENO);
    close(fd);
    char *all = read_all("-", nmsg, nerr);
    dup2(saved, STDIN_FILENO);
    close(saved);
    return all;
}

static void test_stdin(void **state)
{
    (void)state;
    unsigned n, e;
    char *all = read_redirected(MBOX, sizeof MBOX - 1, &n, &e);
    assert_int_equal(n, 3);
    assert_non_null(strstr(all, "-:2\nSubject: two"));
    free(all);
}

/* Read "-" with standard input on the read end of a pipe that a child
 * fills with data[0..len) in pieces of piece bytes. */
static char *read_piped(const char *data, size_t len, size_t piece,
                        unsigned *nmsg, unsigned *nerr)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        for (size_t at = 0; at < len;) {
            size_t k = len - at < piece ? len - at : piece;
            ssize_t w = write(fds[1], data + at, k);
            if (w <= 0)
                _exit(1);
            at += (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    int saved = dup(STDIN_FILENO);
    dup2(fds[0], STDIN_FILENO);
    close(fds[0]);
    char *all = read_all("-", nmsg, nerr);
    dup2(saved, STDIN_FILENO);
    close(saved);
    int status;
    waitpid(pid, &status, 0);
    return all;
}

/* gzip of s (one member) into out; its length. */
static size_t gzip_of(const char *s, size_t n, char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8,
                                  Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (unsigned char *)s;
    z.avail_in = (uInt)n;
    z.next_out = (unsigned char *)out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t got = cap - z.avail_out;
    deflateEnd(&z);
    return got;
}

/* A pipe reads as the same file does, whatever the pieces its writer
 * sends: plain, gzip, gzip in two members (as gzip -c a b writes), gzip
 * followed by bytes that are not gzip (ignored), gzip cut short and
 * damaged gzip (the same errors, in words). */
static void test_stdin_pipe(void **state)
{
    (void)state;
    static char buf[8192];
    size_t half = sizeof MBOX / 2;
    while (MBOX[half - 1] != '\n')
        half++;
    struct {
        const char *name;
        size_t len;
        unsigned msgs, errs;
    } cases[6];
    char *data[6];
    for (int i = 0; i < 6; i++)
        data[i] = malloc(sizeof buf);
    size_t n;
    memcpy(data[0], MBOX, sizeof MBOX - 1);
    cases[0].len = sizeof MBOX - 1;
    cases[0].name = "plain";
    cases[1].len = gzip_of(MBOX, sizeof MBOX - 1, data[1], sizeof buf);
    cases[1].name = "gzip";
    n = gzip_of(MBOX, half, data[2], sizeof buf);
    n += gzip_of(MBOX + half, sizeof MBOX - 1 - half, data[2] + n,
                 sizeof buf - n);
    cases[2].len = n;
    cases[2].name = "two members";
    n = gzip_of(MBOX, sizeof MBOX - 1, data[3], sizeof buf);
    memcpy(data[3] + n, "trailing bytes\n", 15);
    cases[3].len = n + 15;
    cases[3].name = "trailing bytes";
    memcpy(data[4], data[1], cases[1].len);
    cases[4].len = cases[1].len - 12;
    cases[4].name = "cut";
    static const char bad[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"
                              "garbage that is no deflate stream";
    memcpy(data[5], bad, sizeof bad - 1);
    cases[5].len = sizeof bad - 1;
    cases[5].name = "damaged";
    /* cut: the third message, under way at the break, is handed out as
     * far as it came (marked CUT), then the break is reported */
    unsigned want_msgs[6] = {3, 3, 3, 3, 3, 0};
    unsigned want_errs[6] = {0, 0, 0, 0, 1, 1};
    char *plain = NULL;
    for (int i = 0; i < 6; i++) {
        unsigned fm, fe;
        char *file = read_redirected(data[i], cases[i].len, &fm, &fe);
        for (size_t piece = 1; piece <= 4096; piece *= 8) {
            unsigned pm, pe;
            char *piped = read_piped(data[i], cases[i].len, piece, &pm, &pe);
            if (strcmp(file, piped) != 0)
                fail_msg("%s in pieces of %zu: the pipe read\n%s\nthe file\n%s",
                         cases[i].name, piece, piped, file);
            assert_int_equal(pm, fm);
            assert_int_equal(pe, fe);
            free(piped);
        }
        if (fm != want_msgs[i] || fe != want_errs[i])
            fail_msg("%s: %u messages, %u errors", cases[i].name, fm, fe);
        if (i == 0)
            plain = file;
        else if (i <= 3) {
            assert_string_equal(file, plain); /* inflates to the mbox */
            free(file);
        } else {
            const char *err =
                strstr(file, i == 4 ? ": the gzip data ends early"
                                    : ": the gzip data is damaged (");
            assert_non_null(err);
            if (i == 4) {
                const char *cut = strstr(file, "CUT ");
                assert_non_null(cut);
                assert_true(cut < err);
                assert_non_null(strstr(cut, "Subject: three"));
                assert_null(strstr(cut + 4, "CUT ")); /* only that one */
            }
            free(file);
        }
    }
    free(plain);
    for (int i = 0; i < 6; i++)
        free(data[i]);
}

/* The wait hook of a pipe whose writer pauses: the child writes the first
 * two messages and waits for a byte on a second pipe, which only the
 * hook sends. The first message must come out before it (its end is
 * known: the second's From line), the hook must run once the pipe has
 * fallen silent, and everything after it must still be read. An alarm
 * ends the test if the reader waited without running the hook. */
static int go_fd = -1, hook_runs;
static void go_hook(void *arg, unsigned ms)
{
    (void)arg;
    assert_true(ms == 50 || ms == 1000);
    hook_runs++;
    if (go_fd >= 0) {
        assert_int_equal(write(go_fd, "g", 1), 1);
        close(go_fd);
        go_fd = -1;
    }
}

static void test_stdin_wait_hook(void **state)
{
    (void)state;
    const char *second = strstr(MBOX, "From carol");
    assert_non_null(second);
    int data[2], go[2];
    assert_int_equal(pipe(data), 0);
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(data[0]);
        close(go[1]);
        size_t first = (size_t)(second - MBOX);
        char c;
        if (write(data[1], MBOX, first) != (ssize_t)first ||
            read(go[0], &c, 1) != 1)
            _exit(1);
        size_t rest = sizeof MBOX - 1 - first;
        _exit(write(data[1], second, rest) == (ssize_t)rest ? 0 : 1);
    }
    close(data[1]);
    close(go[0]);
    go_fd = go[1];
    hook_runs = 0;
    int saved = dup(STDIN_FILENO);
    dup2(data[0], STDIN_FILENO);
    close(data[0]);
    alarm(20);
    smtpdx_msgreader *r;
    assert_int_equal(smtpdx_msgreader_new("-", &r), SMTPDX_OK);
    smtpdx_msgreader_on_wait(r, go_hook, NULL);
    const char *buf, *origin;
    size_t len;
    unsigned got = 0;
    while (smtpdx_msgreader_next(r, &buf, &len, &origin) == SMTPDX_OK &&
           buf != NULL) {
        got++;
        if (got == 1) /* out before the writer was let go */
            assert_int_equal(hook_runs, 0);
    }
    alarm(0);
    smtpdx_msgreader_free(r);
    dup2(saved, STDIN_FILENO);
    close(saved);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(got, 3);
    assert_true(hook_runs >= 1);
    if (go_fd >= 0)
        close(go_fd);
    go_fd = -1;

    /* a regular file never runs the hook */
    write_str("hook-file", MBOX);
    char p[512];
    path_of(p, sizeof p, "hook-file");
    hook_runs = 0;
    assert_int_equal(smtpdx_msgreader_new(p, &r), SMTPDX_OK);
    smtpdx_msgreader_on_wait(r, go_hook, NULL);
    got = 0;
    while (smtpdx_msgreader_next(r, &buf, &len, &origin) == SMTPDX_OK &&
           buf != NULL)
        got++;
    smtpdx_msgreader_free(r);
    assert_int_equal(got, 3);
    assert_int_equal(hook_runs, 0);
}

/* smtpdx_stream, the bytes of a file or pipe: a gzip file reads as its
 * plain text (in reads of any size), its offset the compressed size; a
 * cut one gives the error in words after what came before it; a folder
 * is refused. A FIFO is live: its hook runs at 50 and 1000 ms of
 * silence; a caught signal ends the wait only when the stream was made
 * interruptible, and reading goes on after it. */
static unsigned wait_ms[4];
static int nwait;
static void stream_hook(void *arg, unsigned ms)
{
    (void)arg;
    if (nwait < 4)
        wait_ms[nwait] = ms;
    nwait++;
}

static void on_alarm(int sig)
{
    (void)sig;
}

static void alarm_in_ms(long ms)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = ms / 1000;
    it.it_value.tv_usec = (ms % 1000) * 1000;
    assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
}

/* Everything a stream gives, read piece by piece; its final status. */
static smtpdx_status read_stream(smtpdx_stream *s, char *out, size_t cap,
                                 size_t piece, size_t *have)
{
    size_t got;
    smtpdx_status st;
    *have = 0;
    do {
        size_t n = cap - *have < piece ? cap - *have : piece;
        st = smtpdx_stream_read(s, out + *have, n, &got);
        *have += got;
    } while (st == SMTPDX_OK && got > 0 && *have < cap);
    return st;
}

static void test_stream(void **state)
{
    (void)state;
    char gz[4096], buf[8192], p[512];
    size_t gn = gzip_of(MBOX, sizeof MBOX - 1, gz, sizeof gz);
    write_file("stream.gz", gz, gn);
    write_file("stream-cut.gz", gz, gn / 2);
    path_of(p, sizeof p, "stream.gz");
    static const size_t pieces[] = {1, 7, 4096};
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        smtpdx_stream *s;
        size_t have;
        assert_int_equal(smtpdx_stream_new(p, &s), SMTPDX_OK);
        assert_false(smtpdx_stream_live(s));
        assert_int_equal(read_stream(s, buf, sizeof buf, pieces[i], &have),
                         SMTPDX_OK);
        assert_int_equal(have, sizeof MBOX - 1);
        assert_memory_equal(buf, MBOX, have);
        assert_int_equal(smtpdx_stream_offset(s), gn);
        smtpdx_stream_free(s);
    }
    smtpdx_stream *s;
    size_t have;
    path_of(p, sizeof p, "stream-cut.gz");
    assert_int_equal(smtpdx_stream_new(p, &s), SMTPDX_OK);
    assert_int_equal(read_stream(s, buf, sizeof buf, 64, &have),
                     SMTPDX_ERR_IO);
    assert_true(have > 0 && have < sizeof MBOX - 1);
    assert_memory_equal(buf, MBOX, have);
    assert_non_null(smtpdx_stream_why(s));
    assert_non_null(strstr(smtpdx_stream_why(s), "ends early"));
    smtpdx_stream_free(s);
    assert_int_equal(smtpdx_stream_new(dir, &s), SMTPDX_ERR_IO);
    assert_int_equal(errno, EISDIR);
    assert_null(s);

    /* a FIFO, its writer held open here */
    path_of(p, sizeof p, "stream-fifo");
    assert_int_equal(mkfifo(p, 0600), 0);
    int w = open(p, O_RDWR);
    assert_true(w >= 0);
    assert_int_equal(smtpdx_stream_new(p, &s), SMTPDX_OK);
    assert_true(smtpdx_stream_live(s));
    smtpdx_stream_on_wait(s, stream_hook, NULL);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART: the signal cuts waits */
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
    size_t got;

    smtpdx_stream_interruptible(s, 1);
    nwait = 0;
    alarm_in_ms(1300);
    errno = 0;
    assert_int_equal(smtpdx_stream_read(s, buf, sizeof buf, &got),
                     SMTPDX_ERR_IO);
    assert_int_equal(errno, EINTR);
    assert_int_equal(got, 0);
    assert_int_equal(nwait, 2);
    assert_int_equal(wait_ms[0], 50);
    assert_int_equal(wait_ms[1], 1000);
    assert_int_equal(write(w, "abc", 3), 3);
    assert_int_equal(smtpdx_stream_read(s, buf, sizeof buf, &got),
                     SMTPDX_OK);
    assert_int_equal(got, 3);
    assert_memory_equal(buf, "abc", 3);

    /* not interruptible: a signal at 100 ms, the data at 300 ms */
    smtpdx_stream_interruptible(s, 0);
    nwait = 0;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        usleep(300000);
        _exit(write(w, "xyz", 3) == 3 ? 0 : 1);
    }
    alarm_in_ms(100);
    assert_int_equal(smtpdx_stream_read(s, buf, sizeof buf, &got),
                     SMTPDX_OK);
    assert_int_equal(got, 3);
    assert_memory_equal(buf, "xyz", 3);
    assert_int_equal(nwait, 1);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    alarm_in_ms(0);
    sigaction(SIGALRM, &old, NULL);
    close(w);
    smtpdx_stream_free(s);
}

/* Of a message over SMTPDX_MSG_MAX, the lines that fit are handed out
 * and said to be cut; the rest is skipped and reading goes on. */
static void test_size_limit(void **state)
{
    (void)state;
    mkdir_in("big");
    char p[512];
    path_of(p, sizeof p, "big/mbox");
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    static const char head[] = "From a Mon Mar  3 10:00:00 2025\n"
                               "Subject: small\n\nbody\n\n"
                               "From b Mon Mar  3 10:00:00 2025\n"
                               "Subject: huge\n\n";
    static const char tail[] = "\n\nFrom c Mon Mar  3 10:00:00 2025\n"
                               "Subject: after\n\nbody\n";
    assert_true(write(fd, head, sizeof head - 1) == (ssize_t)sizeof head - 1);
    assert_true(lseek(fd, (off_t)SMTPDX_MSG_MAX + 4096, SEEK_CUR) > 0);
    assert_true(write(fd, tail, sizeof tail - 1) == (ssize_t)sizeof tail - 1);
    close(fd);
    path_of(p, sizeof p, "big/single.eml");
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    static const char one[] = "Subject: single\n\n";
    assert_true(write(fd, one, sizeof one - 1) == (ssize_t)sizeof one - 1);
    assert_int_equal(ftruncate(fd, (off_t)SMTPDX_MSG_MAX + 1), 0);
    close(fd);
    write_str("big/z-last.eml", "Subject: last\n\nb\n");

    path_of(p, sizeof p, "big");
    unsigned n, e;
    char *all = read_all(p, &n, &e);
    assert_int_equal(n, 5);
    assert_int_equal(e, 0);
    char want[2048];
    snprintf(want, sizeof want,
             "%s/big/mbox:1\nSubject: small\n\nbody\n\n--\n"
             "CUT %s/big/mbox:2\nSubject: huge\n\n\n--\n"
             "%s/big/mbox:3\nSubject: after\n\nbody\n\n--\n"
             "CUT %s/big/single.eml\nSubject: single\n\n\n--\n"
             "%s/big/z-last.eml\nSubject: last\n\nb\n\n--\n",
             dir, dir, dir, dir, dir);
    assert_string_equal(all, want);
    free(all);
}

/* Where a read ends must not change where a message does: every chunk
 * size from 1 to 300 bytes gives what one read of the whole file gives,
 * for LF, CRLF and CR-only mboxes and a gzip one. */
static void test_chunk_sizes(void **state)
{
    (void)state;
    char crlf[2048], cr[1024];
    size_t k = 0;
    for (const char *m = MBOX; *m; m++) {
        if (*m == '\n')
            crlf[k++] = '\r';
        crlf[k++] = *m;
    }
    crlf[k] = '\0';
    snprintf(cr, sizeof cr, "%s", MBOX);
    for (char *c = cr; *c; c++)
        if (*c == '\n')
            *c = '\r';
    write_str("ck-lf", MBOX);
    write_str("ck-crlf", crlf);
    write_str("ck-cr", cr);
    char p[512];
    path_of(p, sizeof p, "ck-gz");
    gzFile gz = gzopen(p, "wb");
    assert_non_null(gz);
    assert_int_equal(gzputs(gz, MBOX), (int)strlen(MBOX));
    assert_int_equal(gzclose(gz), Z_OK);

    static const char *const names[] = {"ck-lf", "ck-crlf", "ck-cr", "ck-gz"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        path_of(p, sizeof p, names[i]);
        unsigned n0, e0, n, e;
        char *whole = read_tuned(p, 1 << 20, 0, &n0, &e0);
        assert_int_equal(n0, 3);
        assert_int_equal(e0, 0);
        if (i == 0)
            check_mbox_result(whole, p);
        for (size_t chunk = 1; chunk <= 300; chunk++) {
            char *got = read_tuned(p, chunk, 0, &n, &e);
            if (strcmp(got, whole) != 0)
                fail_msg("%s read in %zu-byte chunks:\n%s\nwhole:\n%s",
                         names[i], chunk, got, whole);
            free(got);
        }
        free(whole);
    }
}

/* A "From " line is a separator only when it is at most SX_MBOX_SEP_MAX
 * (1,000) bytes long: 900 bytes splits the mbox, 1,500 bytes is message
 * text, at any chunk size. */
static void test_separator_length(void **state)
{
    (void)state;
    static const size_t lens[] = {900, 1500};
    for (size_t k = 0; k < 2; k++) {
        static const char date[] = " Mon Mar  3 10:01:00 2025";
        char box[4096], line[2048];
        size_t fill = lens[k] - 5 - (sizeof date - 1);
        memcpy(line, "From ", 5);
        memset(line + 5, 'a', fill);
        memcpy(line + 5 + fill, date, sizeof date);
        assert_int_equal(strlen(line), lens[k]);
        snprintf(box, sizeof box,
                 "From a Mon Mar  3 10:00:00 2025\nSubject: one\n\nb\n\n"
                 "%s\nSubject: two\n\nb\n",
                 line);
        write_str("seplen", box);
        char p[512];
        path_of(p, sizeof p, "seplen");
        static const size_t chunks[] = {1, 7, 64, 0};
        for (size_t c = 0; c < 4; c++) {
            unsigned n, e;
            char *got = read_tuned(p, chunks[c], 0, &n, &e);
            assert_int_equal(e, 0);
            assert_int_equal(n, k == 0 ? 2 : 1);
            free(got);
        }
    }
}

/* Small limits at every chunk size. 60 bytes: the first two messages of
 * MBOX are over it and their lines within the 60 bytes (before ">From"
 * unquoting) handed out, said cut; the third is read whole. 40
 * bytes: the first "From " line is itself longer than a message may be,
 * so the rest of the file is lost, whether one read brought the whole
 * line or not. */
static void test_small_limit_chunks(void **state)
{
    (void)state;
    write_str("lim", MBOX);
    char p[512], want60[2048], want40[1024];
    path_of(p, sizeof p, "lim");
    snprintf(want60, sizeof want60,
             "CUT %s:1\nSubject: one\n\nFrom the start of a line\n"
             ">From twice quoted\n\n--\n"
             "CUT %s:2\nSubject: two\n\n\n--\n"
             "%s:3\nSubject: three\n\nlast\n\n--\n",
             p, p, p);
    snprintf(want40, sizeof want40, "ERR SMTPDX_ERR_LIMIT %s:1\n", p);
    for (size_t chunk = 1; chunk <= 600; chunk++) {
        unsigned n, e;
        char *got = read_tuned(p, chunk, 60, &n, &e);
        if (strcmp(got, want60) != 0)
            fail_msg("%zu-byte chunks, 60-byte limit:\n%s", chunk, got);
        free(got);
        got = read_tuned(p, chunk, 40, &n, &e);
        if (strcmp(got, want40) != 0)
            fail_msg("%zu-byte chunks, 40-byte limit:\n%s", chunk, got);
        free(got);
    }
}

static void test_shared_mailboxes(void **state)
{
    (void)state;
    const char *sh = tu_shared_dir();
    if (sh == NULL) {
        printf("  shared corpus absent: skipped\n");
        return;
    }
    char p[4096];
    snprintf(p, sizeof p, "%s/corpus/mailbox/mbox-0", sh);
    unsigned n, e;
    char *all = read_all(p, &n, &e);
    assert_int_equal(e, 0);
    /* one message per file of maildir/err, which holds its split */
    snprintf(p, sizeof p, "%s/corpus/maildir/err", sh);
    unsigned n2, e2;
    char *all2 = read_all(p, &n2, &e2);
    assert_int_equal(n, n2);
    assert_true(n > 30);
    free(all);
    free(all2);
    snprintf(p, sizeof p, "%s/corpus/mailbox/mbox-1", sh);
    all = read_all(p, &n, &e);
    assert_int_equal(n, 1);
    free(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mbox),
        cmocka_unit_test(test_gzip_by_magic),
        cmocka_unit_test(test_other_codecs),
        cmocka_unit_test(test_bomb),
        cmocka_unit_test(test_cr_only_mbox),
        cmocka_unit_test(test_maildir_order),
        cmocka_unit_test(test_input_size),
        cmocka_unit_test(test_walk_depth),
        cmocka_unit_test(test_tiny_and_missing),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_stdin_pipe),
        cmocka_unit_test(test_stdin_wait_hook),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_chunk_sizes),
        cmocka_unit_test(test_separator_length),
        cmocka_unit_test(test_small_limit_chunks),
        cmocka_unit_test(test_shared_mailboxes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
