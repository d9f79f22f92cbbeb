/*
 * test_fault_alloc.c - every library allocation made to fail, one after
 * the other, in-process.
 *
 * For each scenario (reply parsing, explain with a fresh context, bounce
 * messages, a multi-dialect log, an mbox through the message reader) a
 * clean run gives the reference status, NDJSON output and allocation
 * count A. Then for n = 1..A the n-th allocation fails, twice over: once
 * with all later ones failing too (sx_alloc_fail_after), once alone
 * (sx_alloc_fail_only: a caller that swallows the failure and goes on
 * shows up as output that differs, instead of a later error hiding it).
 * Every run must end:
 *  - with SMTPDX_ERR_NOMEM, and output made of whole reference lines, a
 *    prefix of the reference (no partial or altered record), or
 *  - with the reference status and exactly the reference output (the
 *    failure was absorbed without losing anything).
 * Leaks are for LeakSanitizer: run in a -DSMTPDX_SANITIZE=ON
 * -DSMTPDX_FAULT_INJECTION=ON build (tests/integration/fault_alloc.sh
 * makes one). Without fault injection the test skips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smtpdx.h"
#include "testutil.h"
#include "util/alloc.h"

/* The harnesses' strict JSON checker, compiled in rather than shared
 * through a library so that this test builds from tests/ alone. */
#include "../../fuzz/fzjson.c"

#define CORPUS SMTPDX_SOURCE_DIR "/fuzz/corpus"

typedef smtpdx_status (*scenario_fn)(FILE *out);

/* ------------------------------------------------------------ helpers */

/* Regular files of a folder in name order; NULL-terminated, caller frees
 * with free_list. */
static char **list_dir(const char *dir)
{
    struct dirent **ents = NULL;
    int n = scandir(dir, &ents, NULL, alphasort);
    char **v = calloc((size_t)(n > 0 ? n : 0) + 1, sizeof *v);
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        if (ents[i]->d_name[0] != '.' && v != NULL) {
            size_t need = strlen(dir) + strlen(ents[i]->d_name) + 2;
            v[k] = malloc(need);
            if (v[k] != NULL)
                snprintf(v[k++], need, "%s/%s", dir, ents[i]->d_name);
        }
        free(ents[i]);
    }
    free(ents);
    return v;
}

static void free_list(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

static smtpdx_status write_records(smtpdx_writer *w, const smtpdx_records *rs)
{
    smtpdx_status st = SMTPDX_OK;
    for (size_t i = 0; i < smtpdx_records_count(rs) && st == SMTPDX_OK; i++)
        st = smtpdx_writer_record(w, smtpdx_records_get(rs, i));
    return st;
}

/* ---------------------------------------------------------- scenarios */

static const char *const replies[] = {
    "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown",
    "550-5.7.1 first line\r\n550-5.7.1 second line\r\n550 5.7.1 last line",
    "host mx.example.net[192.0.2.7] said: 450 4.7.1 Greylisted (in reply "
    "to RCPT TO command)",
    "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not "
    "found'",
    "Status: 5.2.2",
    "452 4.3.1 Insufficient system resources",
};

static smtpdx_status run_reply(FILE *out)
{
    smtpdx_reply *r = smtpdx_reply_new();
    if (r == NULL)
        return SMTPDX_ERR_NOMEM;
    smtpdx_status st = SMTPDX_OK;
    for (size_t i = 0; i < sizeof replies / sizeof *replies; i++) {
        st = smtpdx_reply_parse(r, replies[i], strlen(replies[i]));
        if (st != SMTPDX_OK)
            break;
        fprintf(out, "{\"code\":%d,\"enhanced\":\"%s\",\"len\":%zu}\n",
                r->code, r->enhanced, r->text_len);
    }
    smtpdx_reply_free(r);
    return st;
}

static smtpdx_status run_explain(FILE *out)
{
    smtpdx_ctx *ctx = NULL;
    smtpdx_writer *w = NULL;
    smtpdx_status st = smtpdx_ctx_new(&ctx);
    if (st == SMTPDX_OK)
        st = smtpdx_writer_new(out, SMTPDX_FMT_NDJSON, 0, &w);
    for (size_t i = 0; st == SMTPDX_OK && i < sizeof replies / sizeof *replies;
         i++) {
        const smtpdx_reply *r = NULL;
        smtpdx_explanation e;
        st = smtpdx_explain(ctx, replies[i], strlen(replies[i]), &r, &e);
        if (st == SMTPDX_OK)
            st = smtpdx_writer_explanation(w, replies[i], strlen(replies[i]),
                                           r, &e);
    }
    if (st == SMTPDX_OK)
        st = smtpdx_writer_finish(w);
    smtpdx_writer_free(w);
    smtpdx_ctx_free(ctx);
    return st;
}

static smtpdx_status run_bounce(FILE *out)
{
    smtpdx_ctx *ctx = NULL;
    smtpdx_writer *w = NULL;
    smtpdx_records *rs = smtpdx_records_new();
    char **files = list_dir(CORPUS "/bounce");
    smtpdx_status st = rs ? smtpdx_ctx_new(&ctx) : SMTPDX_ERR_NOMEM;
    if (st == SMTPDX_OK)
        st = smtpdx_writer_new(out, SMTPDX_FMT_NDJSON, 0, &w);
    for (size_t i = 0; st == SMTPDX_OK && files && files[i]; i++) {
        size_t len = 0;
        char *buf = tu_read_file(files[i], &len);
        if (buf == NULL)
            continue;
        smtpdx_records_clear(rs);
        st = smtpdx_bounce_parse(ctx, buf, len, files[i], rs);
        free(buf);
        if (st == SMTPDX_ERR_NOTBOUNCE || st == SMTPDX_ERR_PARSE)
            st = SMTPDX_OK; /* reported per message by the CLI; go on */
        if (st == SMTPDX_OK)
            st = write_records(w, rs);
    }
    if (st == SMTPDX_OK)
        st = smtpdx_writer_finish(w);
    smtpdx_writer_free(w);
    smtpdx_records_free(rs);
    smtpdx_ctx_free(ctx);
    free_list(files);
    return st;
}

static smtpdx_status run_log(FILE *out)
{
    smtpdx_ctx *ctx = NULL;
    smtpdx_writer *w = NULL;
    smtpdx_logparser *p = NULL;
    smtpdx_log_options o;
    smtpdx_records *rs = smtpdx_records_new();
    char **files = list_dir(CORPUS "/log");
    smtpdx_log_options_init(&o);
    o.utc = 1;
    o.now = 1772445600;
    o.all = 1;
    o.queue_max = 2; /* eviction runs too */
    smtpdx_status st = rs ? smtpdx_ctx_new(&ctx) : SMTPDX_ERR_NOMEM;
    if (st == SMTPDX_OK)
        st = smtpdx_logparser_new(&o, &p);
    if (st == SMTPDX_OK)
        st = smtpdx_writer_new(out, SMTPDX_FMT_NDJSON, 0, &w);
    for (size_t i = 0; st == SMTPDX_OK && files && files[i]; i++) {
        size_t len = 0;
        char *buf = tu_read_file(files[i], &len);
        if (buf == NULL)
            continue;
        st = smtpdx_logparser_set_origin(p, files[i]);
        /* the first byte of a log seed is the fuzz harness's option byte */
        for (char *s = buf + 1, *end = buf + len; st == SMTPDX_OK && s < end;) {
            char *nl = memchr(s, '\n', (size_t)(end - s));
            size_t n = (size_t)((nl ? nl : end) - s);
            smtpdx_records_clear(rs);
            st = smtpdx_logparser_feed(p, ctx, s, n, rs);
            if (st == SMTPDX_OK)
                st = write_records(w, rs);
            s += n + 1;
        }
        free(buf);
    }
    if (st == SMTPDX_OK) {
        smtpdx_records_clear(rs);
        st = smtpdx_logparser_finish(p, ctx, rs);
    }
    if (st == SMTPDX_OK)
        st = write_records(w, rs);
    if (st == SMTPDX_OK)
        st = smtpdx_writer_finish(w);
    smtpdx_writer_free(w);
    smtpdx_logparser_free(p);
    smtpdx_records_free(rs);
    smtpdx_ctx_free(ctx);
    free_list(files);
    return st;
}

static char mbox_path[64];

static smtpdx_status run_mbox(FILE *out)
{
    smtpdx_msgreader *rd = NULL;
    smtpdx_ctx *ctx = NULL;
    smtpdx_writer *w = NULL;
    smtpdx_records *rs = smtpdx_records_new();
    smtpdx_status st = rs ? smtpdx_msgreader_new(mbox_path, &rd)
                          : SMTPDX_ERR_NOMEM;
    if (st == SMTPDX_OK)
        st = smtpdx_ctx_new(&ctx);
    if (st == SMTPDX_OK)
        st = smtpdx_writer_new(out, SMTPDX_FMT_NDJSON, 0, &w);
    while (st == SMTPDX_OK) {
        const char *buf = NULL, *origin = NULL;
        size_t len = 0;
        st = smtpdx_msgreader_next(rd, &buf, &len, &origin);
        if (st != SMTPDX_OK || buf == NULL)
            break;
        smtpdx_records_clear(rs);
        st = smtpdx_bounce_parse(ctx, buf, len, origin, rs);
        if (st == SMTPDX_ERR_NOTBOUNCE || st == SMTPDX_ERR_PARSE)
            st = SMTPDX_OK;
        if (st == SMTPDX_OK)
            st = write_records(w, rs);
    }
    if (st == SMTPDX_OK)
        st = smtpdx_writer_finish(w);
    smtpdx_writer_free(w);
    smtpdx_ctx_free(ctx);
    smtpdx_msgreader_free(rd);
    smtpdx_records_free(rs);
    return st;
}

/* ------------------------------------------------------------- driver */

static smtpdx_status run_captured(scenario_fn fn, char **text, size_t *len)
{
    FILE *f = open_memstream(text, len);
    assert_non_null(f);
    smtpdx_status st = fn(f);
    assert_int_equal(fclose(f), 0);
    return st;
}

/* Is every line of got a line of ref, in the same order, from the start? */
static int is_line_prefix(const char *got, size_t glen, const char *ref,
                          size_t rlen)
{
    if (glen > rlen || memcmp(got, ref, glen) != 0)
        return 0;
    return glen == 0 || got[glen - 1] == '\n';
}

/* One pass over n = 1..total in one mode; fails the test (after freeing
 * ref: fail() jumps out, and a leak report would bury the finding) at the
 * first run that breaks the rules above. */
static void fault_each(const char *name, scenario_fn fn, int once, char *ref,
                       size_t rlen, smtpdx_status st0, unsigned long total)
{
    const char *mode = once ? "alone" : "with all after it";
    char *got = NULL;
    size_t glen = 0;
    unsigned long absorbed = 0;
    for (unsigned long n = 1; n <= total; n++) {
        if (once)
            sx_alloc_fail_only(n);
        else
            sx_alloc_fail_after(n);
        smtpdx_status st = run_captured(fn, &got, &glen);
        unsigned long made = sx_alloc_fail_after(0);
        int bad = 1;
        if (made < n)
            print_error("%s: run %lu made only %lu allocations\n", name, n,
                        made);
        else if (st == SMTPDX_ERR_NOMEM &&
                 !is_line_prefix(got, glen, ref, rlen))
            print_error("%s: allocation %lu failed (%s): output is not a "
                        "whole-record prefix of the clean run:\n%.*s\n",
                        name, n, mode, (int)(glen > 2000 ? 2000 : glen), got);
        else if (st == SMTPDX_ERR_NOMEM)
            bad = 0;
        else if (st == st0 && glen == rlen && memcmp(got, ref, rlen) == 0) {
            bad = 0;
            absorbed++;
        } else
            print_error("%s: allocation %lu failed (%s) but the run "
                        "returned %s with %s output\n",
                        name, n, mode, smtpdx_status_name(st),
                        glen == rlen && !memcmp(got, ref, rlen) ? "the same"
                                                                : "different");
        free(got);
        got = NULL;
        if (bad) {
            free(ref);
            fail();
        }
    }
    printf("%s: %lu faults (%s), %lu absorbed without loss\n", name, total,
           mode, absorbed);
}

static void fault_every_allocation(const char *name, scenario_fn fn)
{
    char *ref = NULL;
    size_t rlen = 0, line = 0;

    /* A first run for what is made once per process (lazy tables), so
     * that the reference counts only what every run allocates. */
    sx_alloc_fail_after(0);
    run_captured(fn, &ref, &rlen);
    free(ref);
    ref = NULL;
    sx_alloc_fail_after(0);
    smtpdx_status st0 = run_captured(fn, &ref, &rlen);
    unsigned long total = sx_alloc_fail_after(0);
    if (st0 != SMTPDX_OK || !fz_json_lines_valid(ref, rlen, &line)) {
        print_error("%s: clean run: %s, output line %zu is not JSON\n", name,
                    smtpdx_status_name(st0), line);
        free(ref);
        fail();
    }
    printf("%s: %lu allocations, %zu bytes of output\n", name, total, rlen);
    fault_each(name, fn, 0, ref, rlen, st0, total);
    fault_each(name, fn, 1, ref, rlen, st0, total);
    free(ref);
}

static void test_reply(void **state)
{
    (void)state;
    fault_every_allocation("reply", run_reply);
}

static void test_explain(void **state)
{
    (void)state;
    fault_every_allocation("explain", run_explain);
}

static void test_bounce(void **state)
{
    (void)state;
    fault_every_allocation("bounce", run_bounce);
}

static void test_log(void **state)
{
    (void)state;
    fault_every_allocation("log", run_log);
}

static void test_mbox(void **state)
{
    (void)state;
    char **files = list_dir(CORPUS "/bounce");
    snprintf(mbox_path, sizeof mbox_path, "/tmp/smtpdx-fault-XXXXXX");
    int fd = mkstemp(mbox_path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    for (size_t i = 0; files && files[i] && i < 3; i++) {
        size_t len = 0;
        char *buf = tu_read_file(files[i], &len);
        assert_non_null(buf);
        fprintf(f, "From MAILER-DAEMON Mon Mar  2 10:00:00 2026\n");
        fwrite(buf, 1, len, f);
        fputs(len && buf[len - 1] == '\n' ? "\n" : "\n\n", f);
        free(buf);
    }
    assert_int_equal(fclose(f), 0);
    free_list(files);
    fault_every_allocation("mbox", run_mbox);
    unlink(mbox_path);
}

int main(void)
{
    /* Is the hook live? One allocation must be counted. */
    sx_alloc_fail_after(0);
    sx_free(sx_malloc(1));
    if (sx_alloc_fail_after(0) != 1)
        tu_skip("not a -DSMTPDX_FAULT_INJECTION=ON build");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply),  cmocka_unit_test(test_explain),
        cmocka_unit_test(test_bounce), cmocka_unit_test(test_log),
        cmocka_unit_test(test_mbox),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
