/*
 * test_kbc.c - the knowledge-base compiler refuses what is wrong, says
 * where, and compiles what is right to the same bytes every time.
 *
 * Each row of `broken` is one small .kb file, written to a temporary
 * folder, fed to the built smtpdx-kbc; the row gives the line and the words
 * the error must carry. The good case is tests/data/kb-min/, whose output
 * must equal tests/data/kb-min/kb_tables.expected.c; after a deliberate
 * change to kbc's output, regenerate that file with
 *   build/smtpdx-kbc -o tests/data/kb-min/kb_tables.expected.c \
 *       tests/data/kb-min/[a-z]*.kb
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define KBC SMTPDX_BINARY_DIR "/smtpdx-kbc"
#define KBMIN SMTPDX_SOURCE_DIR "/tests/data/kb-min"

/* A correct rule; rows build on it. */
#define GOOD_HEAD "id: text.ok\ntext: something happened\n"
#define GOOD_TAIL "reason: blocked\ncause: some-cause\nwho: sender-admin\n" \
                  "retry: retry\nsummary: It happened.\nstep: Do this.\n"

typedef struct broken {
    const char *name;
    const char *kb;       /* file content */
    int line;             /* line the error must name */
    const char *words;    /* text the message must contain */
} broken;

static const broken rows[] = {
    {"unknown key", GOOD_HEAD "colour: blue\n" GOOD_TAIL, 3, "unknown key 'colour'"},
    {"unknown reason", "id: a\nbasic: 550\nreason: nosuchreason\ncause: c\n"
     "who: sender\nretry: retry\nsummary: s.\nstep: x.\n", 3,
     "unknown reason 'nosuchreason'"},
    {"bad also-reason", GOOD_HEAD "also-reason: blocked, bogus\n" GOOD_TAIL, 3,
     "unknown reason 'bogus'"},
    {"bad who", "id: a\nbasic: 550\nreason: rejected\ncause: c\nwho: postmaster\n"
     "retry: retry\nsummary: s.\nstep: x.\n", 5, "bad who 'postmaster'"},
    {"bad temporary", GOOD_HEAD "temporary: maybe\n" GOOD_TAIL, 3,
     "bad temporary 'maybe'"},
    {"bad retry", "id: a\nbasic: 550\nreason: rejected\ncause: c\nwho: sender\n"
     "retry: later\nsummary: s.\nstep: x.\n", 6, "bad retry 'later'"},
    {"bad duration unit", GOOD_HEAD "retry-after: 5w\n" GOOD_TAIL, 3,
     "bad duration '5w'"},
    {"bad duration too long", GOOD_HEAD "give-up-after: 500d\n" GOOD_TAIL, 3,
     "bad duration '500d'"},
    {"duplicate id", GOOD_HEAD GOOD_TAIL "\n" GOOD_HEAD GOOD_TAIL, 10,
     "duplicate entry id 'text.ok'"},
    {"no summary", "id: a\nbasic: 550\nreason: rejected\ncause: c\nwho: sender\n"
     "retry: retry\nstep: x.\n", 1, "has no 'summary:'"},
    {"no step", "id: a\nbasic: 550\nreason: rejected\ncause: c\nwho: sender\n"
     "retry: retry\nsummary: s.\n", 1, "has no 'step:'"},
    {"no reason", "id: a\nbasic: 550\ncause: c\nwho: sender\nretry: retry\n"
     "summary: s.\nstep: x.\n", 1, "has no 'reason:'"},
    {"no match condition", "\n# nothing to match\nid: a\nreason: rejected\n"
     "cause: c\nwho: sender\nretry: retry\nsummary: s.\nstep: x.\n", 3,
     "no match condition"},
    {"provider only", "id: a\nprovider: google\nreason: rejected\ncause: c\n"
     "who: sender\nretry: retry\nsummary: s.\nstep: x.\n", 1,
     "no match condition"},
    {"code without text", "id: a\ncode: 550\nreason: rejected\ncause: c\n"
     "who: sender\nretry: retry\nsummary: s.\nstep: x.\n", 2,
     "only limits a text rule"},
    {"unknown provider", GOOD_HEAD "provider: nosuchmail\n" GOOD_TAIL, 3,
     "unknown provider id 'nosuchmail'"},
    {"bad code pattern", GOOD_HEAD "code: 5x0\n" GOOD_TAIL, 3,
     "invalid code pattern '5x0'"},
    {"bad code class", GOOD_HEAD "code: 650\n" GOOD_TAIL, 3,
     "invalid code pattern '650'"},
    {"bad basic range", "id: a\nbasic: 55x\nreason: rejected\ncause: c\n"
     "who: sender\nretry: retry\nsummary: s.\nstep: x.\n", 2,
     "invalid code pattern '55x'"},
    {"bad enhanced subject", "id: a\nenhanced: 5.9.1\nreason: rejected\n"
     "cause: c\nwho: sender\nretry: retry\nsummary: s.\nstep: x.\n", 2,
     "invalid enhanced code pattern '5.9.1'"},
    {"bad enhanced range", GOOD_HEAD "enhanced: 5.7.600-500\n" GOOD_TAIL, 3,
     "invalid enhanced code pattern"},
    {"bad enhanced class", GOOD_HEAD "enhanced: 3.1.1\n" GOOD_TAIL, 3,
     "invalid enhanced code pattern '3.1.1'"},
    {"code claimed twice", "id: a\nenhanced: X.1.1\nreason: userunknown\n"
     "cause: c\nwho: sender\nretry: retry\nsummary: s.\nstep: x.\n\n"
     "id: b\nenhanced: X.1.1\nreason: userunknown\ncause: c\nwho: sender\n"
     "retry: retry\nsummary: s.\nstep: x.\n", 11, "already explained by 'a'"},
    {"back-reference", "id: a\nregex: (a+)b\\1\n" GOOD_TAIL, 2,
     "back-references"},
    {"unbalanced regex", "id: a\nregex: (abc\n" GOOD_TAIL, 2, "unbalanced ("},
    {"short phrase", "id: a\ntext: ab\n" GOOD_TAIL, 2, "shorter than 3"},
    {"key twice", GOOD_HEAD "who: sender\n" GOOD_TAIL, 6,
     "given twice (first on line 3)"},
    {"basic in text rule", GOOD_HEAD "basic: 550\n" GOOD_TAIL, 3,
     "limit a text rule with 'code:'"},
    {"priority on code rule", "id: a\nbasic: 550\npriority: 3\n"
     "reason: rejected\ncause: c\nwho: sender\nretry: retry\nsummary: s.\n"
     "step: x.\n", 3, "only orders text rules"},
    {"bad priority", GOOD_HEAD "priority: high\n" GOOD_TAIL, 3,
     "bad priority 'high'"},
    {"stanza must start with id", "reason: blocked\n", 1,
     "must start with 'id:' or 'provider:'"},
    {"missing blank line", GOOD_HEAD GOOD_TAIL GOOD_HEAD GOOD_TAIL, 9,
     "must be the first line"},
    {"stray continuation", "  floating words\n", 1, "continuation line"},
    {"not key value", GOOD_HEAD "just some words\n" GOOD_TAIL, 3,
     "expected 'key: value'"},
    {"bad cause", "id: a\nbasic: 550\nreason: rejected\ncause: Some Cause\n"
     "who: sender\nretry: retry\nsummary: s.\nstep: x.\n", 4, "bad cause"},
    {"invalid utf-8", GOOD_HEAD GOOD_TAIL "step: caf\xc3(\n", 9,
     "invalid UTF-8"},
    {"provider without host", "provider: acme\nname: Acme Mail\n", 1,
     "neither 'host:' nor 'marker:'"},
    {"provider without name", "provider: acme\nhost: acme.example\n", 1,
     "has no 'name:'"},
    {"rule key in provider", "provider: acme\nname: Acme\nhost: acme.example\n"
     "reason: blocked\n", 4, "does not belong in a provider stanza"},
};

static char tmpdir[] = "/tmp/smtpdx-kbc-test.XXXXXX";

static int run_kbc(const char *args, char *errbuf, size_t errlen)
{
    char cmd[8192], errpath[512];
    snprintf(errpath, sizeof(errpath), "%s/stderr", tmpdir);
    int n = snprintf(cmd, sizeof(cmd), "%s %s 2>%s", KBC, args, errpath);
    assert_true(n > 0 && (size_t)n < sizeof(cmd));
    int rc = system(cmd);
    char *err = tu_read_file(errpath, NULL);
    snprintf(errbuf, errlen, "%s", err ? err : "");
    free(err);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_broken_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char kb[512], out[512], args[1200], err[8192], want[64];
        snprintf(kb, sizeof(kb), "%s/bad.kb", tmpdir);
        snprintf(out, sizeof(out), "%s/out.c", tmpdir);
        write_file(kb, rows[i].kb);
        unlink(out);
        snprintf(args, sizeof(args), "-o %s %s", out, kb);
        int rc = run_kbc(args, err, sizeof(err));
        snprintf(want, sizeof(want), "bad.kb:%d: ", rows[i].line);
        const char *at = strstr(err, want);
        if (rc != 1 || at == NULL || strstr(at, rows[i].words) == NULL) {
            print_error("case '%s': exit %d, wanted \"%s...%s\", got:\n%s",
                        rows[i].name, rc, want, rows[i].words, err);
            fail();
        }
        /* No half-written output may stay behind for make to trust. */
        assert_int_not_equal(access(out, F_OK), 0);
    }
}

/* The good set, in a shuffled order on the command line: same bytes as the
 * expected file, run after run. */
static void test_good_output(void **state)
{
    (void)state;
    char args[4096], err[4096], out1[512], out2[512];
    snprintf(out1, sizeof(out1), "%s/one.c", tmpdir);
    snprintf(out2, sizeof(out2), "%s/two.c", tmpdir);
    snprintf(args, sizeof(args), "-o %s %s/text-min.kb %s/class.kb "
             "%s/providers.kb %s/enhanced.kb %s/codes.kb", out1, KBMIN, KBMIN,
             KBMIN, KBMIN, KBMIN);
    assert_int_equal(run_kbc(args, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    snprintf(args, sizeof(args), "-o %s %s/[a-z]*.kb", out2, KBMIN);
    assert_int_equal(run_kbc(args, err, sizeof(err)), 0);

    char *a = tu_read_file(out1, NULL), *b = tu_read_file(out2, NULL);
    char *want = tu_read_file(KBMIN "/kb_tables.expected.c", NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(want);
    assert_string_equal(a, b);
    if (strcmp(a, want) != 0) {
        print_error("kbc output differs from kb_tables.expected.c; if the "
                    "change is meant, regenerate it (see the top of this "
                    "file)\n");
        fail();
    }
    /* Spot checks that the tables say what the files say. */
    assert_non_null(strstr(a, "{.id = \"text.greylisting\", .kind = \"text\""));
    assert_non_null(strstr(a, ".reason = SMTPDX_R_BLOCKED, .cause = "
                              "\"greylisting\", .temporary = 1, .who = "
                              "SMTPDX_WHO_NOBODY, .retry = SMTPDX_RETRY_YES"));
    assert_non_null(strstr(a, ".retry_after_s = 300, .give_up_after_s = 432000"));
    /* a continued summary is joined with one space */
    assert_non_null(strstr(a, "come back later; a normal sending server"));
    /* phrases are escaped for the matcher, regexes kept as written */
    assert_non_null(strstr(a, "\"unable\\\\x20to\\\\x20relay\""));
    assert_non_null(strstr(a, "\"try again in \\\\d+ (seconds|minutes)\""));
    assert_non_null(strstr(a, ".is_marker = 1, .origin = \"providers.kb:7\""));
    free(a);
    free(b);
    free(want);
}

/* The knowledge base of the project itself compiles without complaint. */
static void test_project_kb(void **state)
{
    (void)state;
    char args[1024], err[8192];
    DIR *d = opendir(SMTPDX_SOURCE_DIR "/kb");
    int any = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL)
        any |= strstr(de->d_name, ".kb") != NULL;
    if (d)
        closedir(d);
    if (!any)
        skip();
    snprintf(args, sizeof(args), "-o %s/project.c %s/kb/*.kb", tmpdir,
             SMTPDX_SOURCE_DIR);
    int rc = run_kbc(args, err, sizeof(err));
    if (rc != 0)
        print_error("%s", err);
    assert_int_equal(rc, 0);
}

static void test_usage(void **state)
{
    (void)state;
    char err[4096];
    assert_int_equal(run_kbc("", err, sizeof(err)), 2);
    assert_non_null(strstr(err, "usage:"));
    assert_int_equal(run_kbc("/nonexistent/x.kb", err, sizeof(err)), 1);
    assert_non_null(strstr(err, "/nonexistent/x.kb:0: cannot open"));
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broken_files),
        cmocka_unit_test(test_good_output),
        cmocka_unit_test(test_project_kb),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
