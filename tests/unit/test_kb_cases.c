/*
 * test_kb_cases.c - the knowledge base against real SMTP replies.
 *
 * Reads tests/data/explain/cases.tsv (format at the top of that file),
 * runs every input through smtpdx_explain() as `smtpdx explain` does and
 * checks reason, cause, temporary and, when the row names it, who. Every
 * failing row is printed with what came out instead; the last line says
 * "explain cases: N/M passed". All rows must pass, and there must be at
 * least 300 of them (the brief's floor).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtpdx.h"
#include "testutil.h"

#define CASES_FILE SMTPDX_SOURCE_DIR "/tests/data/explain/cases.tsv"
#define MIN_CASES 300
#define MAX_COLS 5

/* Split line at tabs into at most MAX_COLS columns; returns the count. */
static int split_tabs(char *line, char **col)
{
    int n = 0;
    col[n++] = line;
    for (char *p = line; *p != '\0'; p++) {
        if (*p == '\t') {
            *p = '\0';
            if (n == MAX_COLS)
                return -1;
            col[n++] = p + 1;
        }
    }
    return n;
}

static int temporary_of(const char *s)
{
    if (strcmp(s, "yes") == 0)
        return 1;
    if (strcmp(s, "no") == 0)
        return 0;
    if (strcmp(s, "-") == 0)
        return -1;
    return -2;  /* a typing error in the table */
}

static const char *temporary_word(int t)
{
    return t == 1 ? "yes" : t == 0 ? "no" : "-";
}

/* Check one row; print it when it fails. Returns 1 on a pass. */
static int check_row(smtpdx_ctx *ctx, int lineno, char **col, int ncol)
{
    const smtpdx_reply *r = NULL;
    smtpdx_explanation x;
    size_t len = tu_unescape(col[0]);
    int want_temp = temporary_of(col[3]);

    if (want_temp == -2) {
        printf("line %d: bad temporary column '%s'\n", lineno, col[3]);
        return 0;
    }
    smtpdx_status st = smtpdx_explain(ctx, col[0], len, &r, &x);
    const char *reason = smtpdx_reason_name(x.reason);
    const char *cause = x.cause ? x.cause : "-";
    const char *who = smtpdx_who_name(x.who);
    int ok = st == SMTPDX_OK && x.entry != NULL &&
             strcmp(reason, col[1]) == 0 && strcmp(cause, col[2]) == 0 &&
             x.temporary == want_temp &&
             (ncol < 5 || col[4][0] == '\0' || strcmp(who, col[4]) == 0);
    if (!ok)
        printf("FAIL line %d: %.70s\n  want %s %s %s %s\n  got  %s %s %s %s"
               " (rule %s, status %s)\n", lineno, col[0], col[1], col[2],
               col[3], ncol >= 5 ? col[4] : "", reason, cause,
               temporary_word(x.temporary), who,
               x.entry ? x.entry->id : "-", smtpdx_status_name(st));
    return ok;
}

static void test_cases(void **state)
{
    (void)state;
    size_t size = 0;
    char *buf = tu_read_file(CASES_FILE, &size);
    smtpdx_ctx *ctx = NULL;
    int total = 0, passed = 0, lineno = 0;

    assert_non_null(buf);
    assert_int_equal(smtpdx_ctx_new(&ctx), SMTPDX_OK);
    for (char *line = buf; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        char *col[MAX_COLS];
        if (nl != NULL)
            *nl = '\0';
        lineno++;
        if (line[0] != '#' && line[0] != '\0') {
            int n = split_tabs(line, col);
            total++;
            if (n < 4) {
                printf("FAIL line %d: %d columns, want 4 or 5\n", lineno, n);
            } else {
                passed += check_row(ctx, lineno, col, n);
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    printf("explain cases: %d/%d passed\n", passed, total);
    smtpdx_ctx_free(ctx);
    free(buf);
    assert_true(total >= MIN_CASES);
    assert_int_equal(passed, total);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
