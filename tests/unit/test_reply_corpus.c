/*
 * test_reply_corpus.c - the reply parser on real bounces, read in place
 * from ../shared/corpus (skipped when that folder is absent).
 *
 * 1. Every line of every mail, and every Diagnostic-Code value (unfolded,
 *    RFC 3464 2.3.6), is parsed; the parser's invariants must hold on all
 *    of them (valid UTF-8 text of the stated length, codes in range, ...).
 * 2. Where a mail has as many Diagnostic-Code fields as expected.jsonl has
 *    rows for it, the basic and enhanced codes we read from each field
 *    must agree with the expected ones whenever both sides have one.
 *    expected.jsonl holds Sisimai's results, which may take a code from
 *    elsewhere in the mail; the few rows where that makes a difference are
 *    listed in KNOWN below with the reason, and are reported, not failed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>

#include <cmocka.h>

#include "smtpdx.h"
#include "testutil.h"

/* Rows where the Diagnostic-Code alone says something else than the
 * expectation, and the Diagnostic-Code is what a reply parser must read. */
static const struct {
    const char *file; /* suffix after maildir/<dir>/ */
    const char *why;
} KNOWN[] = {
    {"lhost-amazonses-17.eml",
     "the reply is 554 4.4.7 (expired); the 421 4.4.2 is an earlier "
     "attempt quoted inside its text"},
    {"lhost-exchange2007-05.eml",
     "the field says 4.4.7; 4.4.1 comes from the Status: field"},
    {"lhost-sendmail-56.eml",
     "the field says 554; 421 comes from the session transcript"},
};

static const char *shared;
static smtpdx_reply *reply;
static unsigned long parsed, fields, compared, agreed, known_seen;

static int valid_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        int need = c < 0x80    ? 0
                   : c >= 0xF0 ? 3
                   : c >= 0xE0 ? 2
                   : c >= 0xC2 ? 1
                               : -1;
        if (need < 0 || c > 0xF4 || c < 0x20 || c == 0x7F)
            return 0;
        for (int k = 1; k <= need; k++)
            if (i + (size_t)k >= n || (p[i + k] & 0xC0) != 0x80)
                return 0;
        i += (size_t)need + 1;
    }
    return 1;
}

static void parse_checked(const char *s, size_t n)
{
    smtpdx_status st = smtpdx_reply_parse(reply, s, n);
    assert_true(st == SMTPDX_OK || st == SMTPDX_ERR_PARSE);
    assert_int_equal(strlen(reply->text), reply->text_len);
    assert_true(valid_utf8(reply->text, reply->text_len));
    assert_true(reply->code == 0 || (reply->code >= 200 && reply->code <= 599));
    if (reply->enh_class)
        assert_true(reply->enh_class == 2 || reply->enh_class == 4 ||
                    reply->enh_class == 5);
    parsed++;
}

/* Split into lines whatever the line ends (LF, CRLF, CR). Returns the
 * number of lines; each line NUL-terminated in place. */
static size_t split_lines(char *buf, size_t len, char ***out)
{
    size_t cap = 256, n = 0;
    char **lines = malloc(cap * sizeof *lines);
    assert_non_null(lines);
    size_t i = 0;
    while (i <= len) {
        size_t s = i;
        while (i < len && buf[i] != '\n' && buf[i] != '\r')
            i++;
        if (n == cap) {
            cap *= 2;
            lines = realloc(lines, cap * sizeof *lines);
            assert_non_null(lines);
        }
        lines[n++] = buf + s;
        if (i < len && buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n')
            buf[i++] = '\0';
        if (i < len)
            buf[i] = '\0';
        i++;
    }
    *out = lines;
    return n;
}

/* The Diagnostic-Code values of one mail, unfolded with "\n " between
 * the pieces (the parser must join them). */
typedef struct diag_list {
    char *v[64];
    size_t n;
} diag_list;

static void collect_diags(char **lines, size_t nl, diag_list *d)
{
    d->n = 0;
    for (size_t i = 0; i < nl && d->n < 64; i++) {
        if (strncasecmp(lines[i], "Diagnostic-Code:", 16) != 0)
            continue;
        size_t cap = strlen(lines[i]) + 1, len = 0;
        char *v = malloc(cap);
        assert_non_null(v);
        len = (size_t)snprintf(v, cap, "%s", lines[i] + 16);
        for (size_t j = i + 1;
             j < nl && (lines[j][0] == ' ' || lines[j][0] == '\t'); j++) {
            size_t add = strlen(lines[j]) + 2;
            v = realloc(v, cap + add);
            assert_non_null(v);
            cap += add;
            len += (size_t)snprintf(v + len, cap - len, "\n%s", lines[j]);
        }
        d->v[d->n++] = v;
    }
}

static void free_diags(diag_list *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->v[i]);
    d->n = 0;
}

/* Parse every line and every Diagnostic-Code of one mail. */
static void parse_mail(const char *path, diag_list *d)
{
    size_t len;
    char *buf = tu_read_file(path, &len);
    assert_non_null(buf);
    char **lines;
    size_t nl = split_lines(buf, len, &lines);
    for (size_t i = 0; i < nl; i++)
        parse_checked(lines[i], strlen(lines[i]));
    collect_diags(lines, nl, d);
    for (size_t i = 0; i < d->n; i++) {
        parse_checked(d->v[i], strlen(d->v[i]));
        fields++;
    }
    free(lines);
    free(buf);
}

static void test_every_line(void **state)
{
    (void)state;
    static const char *const dirs[] = {"bsd", "dos", "mac",
                                       "err", "not", "tmp"};
    char path[4096];
    diag_list d;
    for (size_t k = 0; k < sizeof dirs / sizeof dirs[0]; k++) {
        snprintf(path, sizeof path, "%s/corpus/maildir/%s", shared, dirs[k]);
        DIR *dir = opendir(path);
        if (dir == NULL)
            continue;
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/corpus/maildir/%s/%s", shared,
                     dirs[k], e->d_name);
            parse_mail(path, &d);
            free_diags(&d);
        }
        closedir(dir);
    }
    printf("reply corpus: %lu lines and fields parsed, %lu Diagnostic-Code "
           "fields\n",
           parsed, fields);
    assert_true(fields > 100);
}

/* "key": "value" from one line of expected.jsonl (its values hold no
 * escaped quotes). */
static void json_str(const char *line, const char *key, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    const char *p = strstr(line, pat);
    out[0] = '\0';
    if (p == NULL)
        return;
    p += strlen(pat);
    const char *q = strchr(p, '"');
    if (q == NULL)
        return;
    snprintf(out, cap, "%.*s", (int)(q - p), p);
}

static const char *known_why(const char *file)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    for (size_t k = 0; k < sizeof KNOWN / sizeof KNOWN[0]; k++)
        if (strcmp(base, KNOWN[k].file) == 0)
            return KNOWN[k].why;
    return NULL;
}

static void test_agrees_with_expected(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/corpus/expected.jsonl", shared);
    size_t len;
    char *buf = tu_read_file(path, &len);
    if (buf == NULL)
        skip();
    char **lines;
    size_t nl = split_lines(buf, len, &lines);
    unsigned long bad = 0;

    for (size_t i = 0; i < nl;) {
        char file[512], next[512];
        json_str(lines[i], "file", file, sizeof file);
        size_t j = i;
        do {
            j++;
            next[0] = '\0';
            if (j < nl)
                json_str(lines[j], "file", next, sizeof next);
        } while (j < nl && strcmp(next, file) == 0);
        if (file[0] == '\0' || strncmp(file, "maildir/", 8) != 0) {
            i = j;
            continue;
        }
        snprintf(path, sizeof path, "%s/corpus/%s", shared, file);
        size_t mlen;
        char *mail = tu_read_file(path, &mlen);
        if (mail == NULL) {
            i = j;
            continue;
        }
        char **ml;
        size_t mn = split_lines(mail, mlen, &ml);
        diag_list d;
        collect_diags(ml, mn, &d);
        if (d.n == j - i) {
            for (size_t k = 0; k < d.n; k++) {
                char want_code[16], want_enh[16];
                json_str(lines[i + k], "replycode", want_code,
                         sizeof want_code);
                json_str(lines[i + k], "status", want_enh, sizeof want_enh);
                smtpdx_reply_parse(reply, d.v[k], strlen(d.v[k]));
                int ok = 1, cmp = 0;
                if (want_code[0] && reply->code) {
                    cmp = 1;
                    ok &= strtol(want_code, NULL, 10) == reply->code;
                }
                if (want_enh[0] && reply->enhanced[0]) {
                    cmp = 1;
                    ok &= strcmp(want_enh, reply->enhanced) == 0;
                }
                compared += cmp;
                agreed += cmp && ok;
                if (cmp && !ok) {
                    const char *why = known_why(file);
                    printf("%s %s: want %s %s, read %d %s from \"%.60s\"%s%s\n",
                           why ? "known" : "DISAGREE", file, want_code,
                           want_enh, reply->code, reply->enhanced, d.v[k],
                           why ? " -- " : "", why ? why : "");
                    if (why)
                        known_seen++;
                    else
                        bad++;
                }
            }
        }
        free_diags(&d);
        free(ml);
        free(mail);
        i = j;
    }
    printf("reply corpus: codes agree on %lu of %lu fields compared "
           "(%lu known differences)\n",
           agreed, compared, known_seen);
    free(lines);
    free(buf);
    assert_true(compared > 100);
    assert_int_equal(bad, 0);
}

static int setup(void **state)
{
    (void)state;
    reply = smtpdx_reply_new();
    return reply == NULL;
}

static int teardown(void **state)
{
    (void)state;
    smtpdx_reply_free(reply);
    return 0;
}

int main(void)
{
    shared = tu_shared_dir();
    if (shared == NULL)
        tu_skip("../shared is absent: no corpus to read");
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/corpus/maildir/bsd", shared);
    DIR *d = opendir(probe);
    if (d == NULL)
        tu_skip("../shared/corpus/maildir/bsd is absent");
    closedir(d);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_line),
        cmocka_unit_test(test_agrees_with_expected),
    };
    return cmocka_run_group_tests_name("reply_corpus", tests, setup, teardown);
}
