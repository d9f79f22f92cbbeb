/*
 * test_classify_min.c - the classifier's rules of precedence, conflict,
 * confidence and hints, against the small fixed knowledge base in
 * tests/data/kb-min/ rather than the project's real one, so that these
 * checks do not move when the real data grows.
 *
 * This program defines the knowledge-base tables itself (by including the
 * compiled kb-min, which test_kbc keeps equal to kbc's output); the static
 * library's own kb_tables.o is then never linked in.
 *
 * One row per case: the reply as the parser would hand it over (codes and
 * text), hints, and what the answer must be.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "smtpdx.h"
#include "testutil.h"
#include "util/alloc.h"

#include "../data/kb-min/kb_tables.expected.c"

typedef struct row {
    const char *name;
    int code;
    const char *enh;          /* "5.1.1" or NULL */
    const char *text;
    const char *host;         /* reply's host, or NULL */
    const char *h_status, *h_rhost, *h_action;  /* hints */
    /* expected */
    const char *id;           /* deciding entry, NULL for none */
    smtpdx_match_kind by;
    const char *reason;
    int temporary;
    int conflict;
    const char *note;         /* words the conflict note must hold */
    smtpdx_confidence conf;
    const char *provider;
    const char *matched;      /* the span of text that decided */
} row;

#define T SMTPDX_MATCH_TEXT
#define E SMTPDX_MATCH_ENHANCED
#define C SMTPDX_MATCH_CODE
#define K SMTPDX_MATCH_CLASS
#define N SMTPDX_MATCH_NONE
#define HI SMTPDX_CONF_HIGH
#define MED SMTPDX_CONF_MEDIUM
#define LO SMTPDX_CONF_LOW

static const row rows[] = {
    {"text agrees with its named code", 550, "5.1.1", "<a@b.example>: User unknown",
     NULL, NULL, NULL, NULL,
     "text.user.unknown", T, "userunknown", 0, 0, NULL, HI, NULL, "User unknown"},
    {"text against the enhanced code", 550, "5.1.1", "Rate limit exceeded, slow down",
     NULL, NULL, NULL, NULL,
     "text.rate.limited", T, "speeding", 1, 1,
     "enhanced code 5.1.1 means userunknown, but the text says speeding "
     "(rate-limited); following the text.", MED, NULL, "Rate limit"},
    {"text against the basic code", 550, NULL,
     "Service unavailable; client [192.0.2.1] listed at zen.spamhaus.org",
     NULL, NULL, NULL, NULL,
     "text.dnsbl", T, "blocked", 0, 1,
     "reply code 550 means rejected, but the text says blocked (dnsbl-listed)",
     MED, NULL, "listed at zen.spamhaus.org"},
    {"also-reason: no conflict", 550, "5.7.1", "Unable to relay for x@y.example",
     NULL, NULL, NULL, NULL,
     "text.relay.denied", T, "norelaying", 0, 0, NULL, HI, NULL, "Unable to relay"},
    {"regex span", 550, NULL, "5.7.1 Sorry, not permitted to relay through this server",
     NULL, NULL, NULL, NULL,
     "text.relay.denied", T, "norelaying", 0, 0, NULL, HI, NULL,
     "not permitted to relay"},
    {"priority beats length", 550, NULL, "rate limit: your IP is on spamhaus",
     NULL, NULL, NULL, NULL,
     "text.dnsbl", T, "blocked", 0, 1, NULL, MED, NULL, "spamhaus"},
    {"longer phrase wins a tie", 550, "5.1.1", "user unknown and rate limit",
     NULL, NULL, NULL, NULL,
     "text.user.unknown", T, "userunknown", 0, 0, NULL, HI, NULL, "user unknown"},
    {"caseless", 0, NULL, "RATE LIMIT reached", NULL, NULL, NULL, NULL,
     "text.rate.limited", T, "speeding", 1, 0, NULL, MED, NULL, "RATE LIMIT"},
    {"greylisting", 450, "4.7.1", "Recipient address rejected: Greylisted, see x",
     NULL, NULL, NULL, NULL,
     "text.greylisting", T, "blocked", 1, 0, NULL, HI, NULL, "Greylisted"},
    {"greylisting regex", 451, NULL, "Please try again in 300 seconds",
     NULL, NULL, NULL, NULL,
     "text.greylisting", T, "blocked", 1, 0, NULL, MED, NULL,
     "try again in 300 seconds"},
    {"class limit keeps a text rule out", 550, NULL, "greylisted", NULL, NULL,
     NULL, NULL,
     "code.550", C, "rejected", 0, 0, NULL, MED, NULL, NULL},
    {"enhanced limit keeps a text rule out", 550, "5.2.1", "User unknown",
     NULL, NULL, NULL, NULL,
     "code.550", C, "rejected", 0, 0, NULL, MED, NULL, NULL},
    {"enhanced exact over class-agnostic", 550, "5.1.1", "", NULL, NULL, NULL,
     NULL,
     "enh.5.1.1", E, "userunknown", 0, 0, NULL, MED, NULL, NULL},
    {"class-agnostic enhanced", 450, "4.1.1", "mailbox?", NULL, NULL, NULL, NULL,
     "enh.X.1.1", E, "userunknown", 1, 0, NULL, MED, NULL, NULL},
    {"basic code", 550, NULL, "", NULL, NULL, NULL, NULL,
     "code.550", C, "rejected", 0, 0, NULL, MED, NULL, NULL},
    {"unknown enhanced falls to basic", 421, "4.9.9", "bye", NULL, NULL, NULL,
     NULL,
     "code.421", C, "systemerror", 1, 0, NULL, MED, NULL, NULL},
    {"class fallback", 554, NULL, "whatever this is", NULL, NULL, NULL, NULL,
     "class.5", K, "undefined", 0, 0, NULL, LO, NULL, NULL},
    {"nothing at all", 0, NULL, "hello there", NULL, NULL, NULL, NULL,
     NULL, N, "undefined", -1, 0, NULL, LO, NULL, NULL},
    {"text without any code", 0, NULL, "too many messages from you", NULL, NULL,
     NULL, NULL,
     "text.rate.limited", T, "speeding", 1, 0, NULL, MED, NULL,
     "too many messages"},
    {"success is not a failure", 250, "2.0.0", "Ok: queued; not greylisted",
     NULL, NULL, NULL, NULL,
     "class.2", K, "delivered", -1, 0, NULL, LO, NULL, NULL},
    {"forced temporary on a 5xx", 552, "5.2.2", "Quota exceeded", NULL, NULL,
     NULL, NULL,
     "enh.X.2.2", E, "mailboxfull", 1, 0, NULL, MED, NULL, NULL},
    {"enhanced class wins", 550, "4.1.1", "", NULL, NULL, NULL, NULL,
     "enh.X.1.1", E, "userunknown", 1, 1,
     "The reply code 550 and the enhanced code 4.1.1 disagree on whether this "
     "is temporary; following the enhanced code.", MED, NULL, NULL},
    {"provider rule by marker", 550, "5.7.27",
     "The sending domain does not meet the requirement for senders to "
     "authenticate with SPF. x1si gsmtp", NULL, NULL, NULL, NULL,
     "text.google.spf", T, "authfailure", 0, 0, NULL, HI, "google",
     "senders to authenticate with SPF"},
    {"provider rule by reply host", 550, "5.7.27",
     "senders to authenticate with SPF", "gmail-smtp-in.l.google.com", NULL,
     NULL, NULL,
     "text.google.spf", T, "authfailure", 0, 0, NULL, HI, "google",
     "senders to authenticate with SPF"},
    {"provider rule by rhost hint", 550, "5.7.27",
     "senders to authenticate with SPF", NULL, NULL, "MX.Google.COM.", NULL,
     "text.google.spf", T, "authfailure", 0, 0, NULL, HI, "google",
     "senders to authenticate with SPF"},
    {"provider rule without the provider", 550, "5.7.27",
     "senders to authenticate with SPF", "mx.notgoogle.com", NULL, NULL, NULL,
     "code.550", C, "rejected", 0, 0, NULL, MED, NULL, NULL},
    {"provider code range", 550, "5.7.606", "Access denied, banned sending IP",
     "mail.protection.outlook.com", NULL, NULL, NULL,
     "enh.X.7.500-699", E, "blocked", 0, 0, NULL, HI, "microsoft", NULL},
    {"provider code range by marker", 550, "5.7.511",
     "Access denied [x.eop-nam.prod.protection.outlook.com]", NULL, NULL, NULL,
     NULL,
     "enh.X.7.500-699", E, "blocked", 0, 0, NULL, HI, "microsoft", NULL},
    {"provider code range, other provider", 550, "5.7.606", "banned",
     "mx.example.net", NULL, NULL, NULL,
     "code.550", C, "rejected", 0, 0, NULL, MED, NULL, NULL},
    {"status hint fills a missing enhanced code", 550, NULL, "Mailbox?",
     NULL, "5.1.1", NULL, NULL,
     "enh.5.1.1", E, "userunknown", 0, 0, NULL, MED, NULL, NULL},
    {"status hint over X.0.0", 550, "5.0.0", "", NULL, "5.1.1 (bad)", NULL,
     NULL,
     "enh.5.1.1", E, "userunknown", 0, 0, NULL, MED, NULL, NULL},
    {"status hint under a real code", 552, "5.2.2", "", NULL, "5.1.1", NULL,
     NULL,
     "enh.X.2.2", E, "mailboxfull", 1, 0, NULL, MED, NULL, NULL},
    {"malformed status hint", 550, NULL, "", NULL, "5.1", NULL, NULL,
     "code.550", C, "rejected", 0, 0, NULL, MED, NULL, NULL},
    {"action hint gives the class", 0, NULL, "", NULL, NULL, NULL, "delayed",
     "class.4", K, "onhold", 1, 0, NULL, LO, NULL, NULL},
};

static smtpdx_ctx *ctx;

static void fill_reply(smtpdx_reply *r, const row *w)
{
    memset(r, 0, sizeof(*r));
    r->code = w->code;
    if (w->enh != NULL) {
        int v[3] = {0, 0, 0}, part = 0;
        for (const char *p = w->enh; *p; p++) {
            if (*p == '.')
                part++;
            else
                v[part] = v[part] * 10 + (*p - '0');
        }
        assert_int_equal(part, 2);
        r->enh_class = v[0];
        r->enh_subject = v[1];
        r->enh_detail = v[2];
        snprintf(r->enhanced, sizeof(r->enhanced), "%s", w->enh);
    }
    if (w->host != NULL)
        snprintf(r->host, sizeof(r->host), "%s", w->host);
    r->text = w->text;
    r->text_len = strlen(w->text);
}

static void check_row(smtpdx_ctx *c, const row *w)
{
    smtpdx_reply r;
    smtpdx_hints h = {w->h_status, w->h_rhost, w->h_action};
    smtpdx_explanation x;
    fill_reply(&r, w);
    assert_int_equal(smtpdx_classify(c, &r, &h, &x), SMTPDX_OK);
    const char *got_id = x.entry ? x.entry->id : "(none)";
    const char *want_id = w->id ? w->id : "(none)";
    if (strcmp(got_id, want_id) != 0 || x.matched_by != w->by ||
        strcmp(smtpdx_reason_name(x.reason), w->reason) != 0 ||
        x.temporary != w->temporary || x.conflict != w->conflict ||
        x.confidence != w->conf) {
        print_error("case '%s': got %s by %s reason %s temporary %d conflict "
                    "%d (%s) confidence %s\n", w->name, got_id,
                    smtpdx_match_kind_name(x.matched_by),
                    smtpdx_reason_name(x.reason), x.temporary, x.conflict,
                    x.conflict_note ? x.conflict_note : "-",
                    smtpdx_confidence_name(x.confidence));
        fail();
    }
    assert_true((x.conflict_note != NULL) == (x.conflict != 0));
    if (w->note != NULL && strstr(x.conflict_note, w->note) == NULL) {
        print_error("case '%s': note \"%s\"\n", w->name, x.conflict_note);
        fail();
    }
    if (w->provider == NULL)
        assert_null(x.provider);
    else
        assert_string_equal(x.provider, w->provider);
    if (x.entry != NULL) {
        assert_ptr_equal(x.cause, x.entry->cause);
        assert_int_equal(x.who, x.entry->who);
        /* the entry's advice, except that a temporary reply is never
         * told not to be retried */
        smtpdx_retry want = x.entry->retry;
        if (x.temporary == 1 && want == SMTPDX_RETRY_NO)
            want = SMTPDX_RETRY_YES;
        assert_int_equal(x.retry, want);
        if (x.temporary == 1)
            assert_int_not_equal(x.retry, SMTPDX_RETRY_NO);
    }
    if (w->matched != NULL) {
        size_t n = strlen(w->matched);
        if (x.match_len != n || x.match_off + n > r.text_len ||
            memcmp(r.text + x.match_off, w->matched, n) != 0) {
            print_error("case '%s': span %zu+%zu\n", w->name, x.match_off,
                        x.match_len);
            fail();
        }
    } else {
        assert_int_equal(x.match_len, 0);
    }
}

static void test_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        check_row(ctx, &rows[i]);
    printf("kb-min classification: %zu of %zu cases pass\n",
           sizeof(rows) / sizeof(rows[0]), sizeof(rows) / sizeof(rows[0]));
}

/* The code entry is what the codes alone say, even when text decides. */
static void test_code_entry(void **state)
{
    (void)state;
    smtpdx_reply r;
    smtpdx_explanation x;
    fill_reply(&r, &rows[1]);
    assert_int_equal(smtpdx_classify(ctx, &r, NULL, &x), SMTPDX_OK);
    assert_non_null(x.code_entry);
    assert_string_equal(x.code_entry->id, "enh.5.1.1");
    assert_string_equal(x.entry->id, "text.rate.limited");
}

static void test_kb_api(void **state)
{
    (void)state;
    assert_int_equal(smtpdx_kb_count(), 16);
    for (size_t i = 0; i < smtpdx_kb_count(); i++) {
        const smtpdx_kb_entry *e = smtpdx_kb_get(i);
        assert_non_null(e);
        assert_ptr_equal(smtpdx_kb_find(e->id), e);
        assert_true(e->nsteps >= 1);
        assert_non_null(e->summary);
    }
    assert_null(smtpdx_kb_get(smtpdx_kb_count()));
    assert_null(smtpdx_kb_find("no.such.entry"));
    assert_null(smtpdx_kb_find(NULL));
    const smtpdx_kb_entry *g = smtpdx_kb_find("text.greylisting");
    assert_non_null(g);
    assert_string_equal(g->kind, "text");
    assert_int_equal(g->retry_after_s, 300);
    assert_int_equal(g->give_up_after_s, 5 * 86400);
    assert_int_equal(g->nsteps, 2);
    assert_string_equal(smtpdx_kb_find("enh.X.7.500-699")->provider,
                        "microsoft");
    assert_string_equal(smtpdx_kb_find("class.5")->kind, "class");
}

static void test_bad_args(void **state)
{
    (void)state;
    smtpdx_reply r;
    smtpdx_explanation x;
    fill_reply(&r, &rows[0]);
    assert_int_equal(smtpdx_classify(NULL, &r, NULL, &x), SMTPDX_ERR_INVAL);
    assert_int_equal(smtpdx_classify(ctx, NULL, NULL, &x), SMTPDX_ERR_INVAL);
    assert_int_equal(smtpdx_classify(ctx, &r, NULL, NULL), SMTPDX_ERR_INVAL);
    assert_int_equal(smtpdx_ctx_new(NULL), SMTPDX_ERR_INVAL);
    smtpdx_ctx_free(NULL);
    /* a reply without text at all */
    r.text = NULL;
    r.text_len = 0;
    assert_int_equal(smtpdx_classify(ctx, &r, NULL, &x), SMTPDX_OK);
    assert_string_equal(x.entry->id, "enh.5.1.1");
}

/* Every allocation of smtpdx_ctx_new() failing in turn gives NOMEM, never
 * a crash or a leak (only effective in fault-injection builds). */
static void test_ctx_nomem(void **state)
{
    (void)state;
    for (unsigned long n = 1; n < 100; n++) {
        smtpdx_ctx *c = NULL;
        sx_alloc_fail_after(n);
        smtpdx_status st = smtpdx_ctx_new(&c);
        sx_alloc_fail_after(0);
        if (st == SMTPDX_OK) {
            assert_non_null(c);
            smtpdx_ctx_free(c);
            return;
        }
        assert_int_equal(st, SMTPDX_ERR_NOMEM);
        assert_null(c);
    }
    fail_msg("smtpdx_ctx_new never succeeded");
}

static int setup(void **state)
{
    (void)state;
    return smtpdx_ctx_new(&ctx) == SMTPDX_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    smtpdx_ctx_free(ctx);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_code_entry),
        cmocka_unit_test(test_kb_api),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_ctx_nomem),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
