/*
 * test_mime_gmime.c - differential test of the MIME scanner against GMime 3.
 *
 * Every message of ../shared/corpus (skipped when absent) and of
 * tests/data/mime/ is parsed by both; for each message the two must give
 * the same entity tree (pre-order, depth, lower-case type/subtype), the
 * same decoded Subject of every message header, and the same decoded text
 * for text/ and message/delivery-status parts. Mboxes are split by our
 * reader and by GMime's mbox mode, which checks the split too.
 *
 * Known, justified differences are recognised by explain() below, counted
 * and printed; any other difference fails the test.
 *  - CR-only files: GMime reads only LF line ends, so it is given the LF
 *    conversion of the file; ours reads the file as it is.
 *  - Text without a charset parameter holding 8-bit bytes: GMime returns
 *    the raw bytes (not UTF-8), we read them as Latin-1 when they are not
 *    valid UTF-8; compared after the same Latin-1 reading of GMime's.
 *  - Invalid sequences in a declared charset: both replace, but not always
 *    with the same count of U+FFFD; compared with runs of U+FFFD and '?'
 *    squeezed.
 *  - A parameter written on a line of its own without the blank of a fold
 *    ("Content-Type: multipart/alternative;" then "boundary=..."): ours
 *    reads it as the fold it was meant to be, GMime as a broken line that
 *    leaves the multipart without its boundary; GMime is then given a
 *    copy with the blank put in front of exactly those lines (found in
 *    the header blocks our scanner flagged), and must agree.
 *
 * The readings and their comparison are in mimediff.c, which the fuzz
 * harness fuzz/fuzz_mimediff.c shares. Run with file arguments to print
 * both views of those files.
 *
 * Building: needs GMime (pkg-config gmime-3.0) on this one target; see
 * tests/CMakeLists.txt. Without it this program only says SKIP.
 */
#if defined(__has_include)
#if __has_include(<gmime/gmime.h>)
#define HAVE_GMIME 1
#endif
#endif

#include <stdio.h>
#include <stdlib.h>

#ifndef HAVE_GMIME
int main(void)
{
    printf("SKIP: built without GMime (pkg-config gmime-3.0)\n");
    return 77;
}
#else

#include <ctype.h>
#include <dirent.h>
#include <gmime/gmime.h>
#include <string.h>
#include <sys/stat.h>

#include "mime/cursor.h"
#include "mimediff.h"
#include "smtpdx.h"
#include "testutil.h"

/* ---------------------------------------------------------- driving */

typedef struct tally {
    unsigned messages, same, explained, failed, mboxes;
    unsigned why[MIMEDIFF_NREASONS];
    int verbose;
} tally;

static void compare(const char *origin, const char *buf, size_t len,
                    tally *t)
{
    mimediff_result r;
    mimediff_compare(buf, len, &r);
    t->messages++;
    if (t->verbose)
        printf("== %s%s\n-- ours\n%s-- gmime\n%s", origin,
               r.cr_only ? " (CR-only: GMime given the LF conversion)" : "",
               r.ours, r.gmime);
    if (r.same) {
        t->same++;
    } else if (r.known) {
        t->explained++;
        printf("KNOWN %s\n", origin);
        for (unsigned i = 0; i < MIMEDIFF_NREASONS; i++)
            if (r.known & (1u << i)) {
                printf("    %s\n", mimediff_reasons[i]);
                t->why[i]++;
            }
    } else {
        t->failed++;
        printf("DIFF %s\n", origin);
    }
    if (!r.same && strcmp(r.ours, r.gmime) != 0)
        mimediff_show(r.ours, r.gmime);
    mimediff_release(&r);
}

/* GMime's own mbox split must find as many messages as our reader. */
static void mbox_count(const char *path, unsigned ours, tally *t)
{
    size_t len;
    char *buf = tu_read_file(path, &len);
    if (buf == NULL)
        return;
    if (len < 5 || memcmp(buf, "From ", 5) != 0) {
        free(buf);
        return;
    }
    if (sx_eol_detect(buf, len, NULL) == '\r')
        for (size_t i = 0; i < len; i++)
            if (buf[i] == '\r')
                buf[i] = '\n';
    GMimeStream *st = g_mime_stream_mem_new_with_buffer(buf, len);
    GMimeParser *ps = g_mime_parser_new_with_stream(st);
    g_mime_parser_set_format(ps, GMIME_FORMAT_MBOX);
    unsigned n = 0;
    while (!g_mime_parser_eos(ps)) {
        GMimeMessage *m = g_mime_parser_construct_message(ps, NULL);
        if (m == NULL)
            break;
        n++;
        g_object_unref(m);
    }
    g_object_unref(ps);
    g_object_unref(st);
    free(buf);
    t->mboxes++;
    if (n != ours) {
        t->failed++;
        printf("DIFF %s: mbox split into %u messages, GMime %u\n", path,
               ours, n);
    }
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(const char *path, tally *t)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d == NULL)
            return;
        char **names = NULL;
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t l = strlen(e->d_name);
            if (e->d_name[0] == '.'
                || (l > 7 && strcmp(e->d_name + l - 7, ".expect") == 0))
                continue; /* golden outputs beside the test messages */
            names = realloc(names, (n + 1) * sizeof *names);
            names[n++] = strdup(e->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof *names, name_cmp);
        for (size_t i = 0; i < n; i++) {
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, names[i]);
            walk(sub, t);
            free(names[i]);
        }
        free(names);
        return;
    }
    smtpdx_msgreader *r;
    if (smtpdx_msgreader_new(path, &r) != SMTPDX_OK)
        return;
    const char *buf, *origin;
    size_t len;
    unsigned n = 0;
    for (;;) {
        smtpdx_status rc = smtpdx_msgreader_next(r, &buf, &len, &origin);
        if (rc != SMTPDX_OK)
            continue;
        if (buf == NULL)
            break;
        n++;
        compare(origin, buf, len, t);
    }
    smtpdx_msgreader_free(r);
    mbox_count(path, n, t);
}

int main(int argc, char **argv)
{
    tally t = {0};
    g_mime_init();
    if (argc > 1) {
        t.verbose = 1;
        for (int i = 1; i < argc; i++)
            walk(argv[i], &t);
    } else {
        const char *sh = tu_shared_dir();
        walk(SMTPDX_SOURCE_DIR "/tests/data/mime", &t);
        if (sh) {
            static const char *const dirs[] = {
                "maildir", "mailbox", "to-be-debugged-because"};
            for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
                char p[4096];
                snprintf(p, sizeof p, "%s/corpus/%s", sh, dirs[i]);
                walk(p, &t);
            }
        } else {
            printf("note: ../shared absent, corpus not compared\n");
        }
    }
    printf("messages %u (mboxes %u), same %u, known differences %u, "
           "unexplained %u\n",
           t.messages, t.mboxes, t.same, t.explained, t.failed);
    for (unsigned i = 0; i < MIMEDIFF_NREASONS; i++)
        printf("  %3u x %s\n", t.why[i], mimediff_reasons[i]);
    g_mime_shutdown();
    return t.failed ? 1 : 0;
}
#endif
