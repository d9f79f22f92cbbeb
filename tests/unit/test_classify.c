/*
 * test_classify.c - the classifier over the project's real knowledge base.
 *
 *  - the seed cases of the project's brief, one row each, parsed and
 *    classified as `smtpdx explain` does: reason, cause, temporary, who;
 *  - properties that must hold whatever the data grows into: every code,
 *    class and enhanced-code rule answers for its own code, every phrase
 *    is found, every provider is recognised by its hosts and markers, the
 *    matcher database compiles;
 *  - the conflict and hint behaviour on well-known replies;
 *  - two threads classifying at once, each with its own ctx, get exactly
 *    the answers one thread gets;
 *  - the resolver error about a host other than the recipient's domain
 *    (sx_mx_host_span), on its edges.
 * The finer rules of precedence are pinned down against a small fixed
 * knowledge base in test_classify_min.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "kb/kb.h"
#include "kb/kb_tables.h"
#include "kb/match.h"
#include "classify/mx_host.h"
#include "smtpdx.h"
#include "testutil.h"

typedef struct seed {
    const char *input;
    const char *rhost;   /* a remote host known beside the reply, or NULL */
    const char *reason, *cause;
    int temporary;
    const char *who;
    const char *provider;  /* the deciding rule must be this provider's */
} seed;

/* The brief's seed replies (issue 2, section 3) and the class fallbacks. */
static const seed seeds[] = {
    {"421 Unexpected failure, please try later", NULL,
     "systemerror", "server-error", 1, "recipient-admin", NULL},
    {"450 4.7.1 <user@domain.com>: Recipient address rejected: Policy "
     "Rejection- Greylisting challenge offered", NULL,
     "blocked", "greylisting", 1, "nobody", NULL},
    {"450 Requested mail action not taken: mailbox unavailable", NULL,
     "onhold", "mailbox-unavailable", 1, "nobody", NULL},
    {"452 4.3.1 Insufficient system resources", NULL,
     "systemfull", "disk-full", 1, "recipient-admin", NULL},
    {"550 SMTP Authentication error", NULL,
     "norelaying", "relay-denied", 0, "recipient-admin", NULL},
    {"550-not permitted to relay through this server", NULL,
     "norelaying", "relay-denied", 0, "sender", NULL},
    {"550 5.7.1 Unable to relay", NULL,
     "norelaying", "relay-denied", 0, "recipient-admin", NULL},
    {"550 5.1.1 User unknown", NULL,
     "userunknown", "user-unknown", 0, "sender", NULL},
    /* a bare 550 5.7.1 from Microsoft 365: its own meaning of the code */
    {"550 5.7.1", "contoso-com.mail.protection.outlook.com",
     "policyviolation", "recipient-policy", 0, "recipient-admin", "microsoft"},
    {"250 2.0.0 Ok: queued as 4F2C81234", NULL,
     "delivered", NULL, -1, "nobody", NULL},
    {"451 4.0.0 something odd happened", NULL, NULL, NULL, 1, NULL, NULL},
    {"554 something odd happened", NULL, NULL, NULL, 0, NULL, NULL},
};

static smtpdx_ctx *ctx;

static void check_seed(const seed *s, int *ok)
{
    const smtpdx_reply *r = NULL;
    smtpdx_explanation x;
    smtpdx_status st = smtpdx_explain(ctx, s->input, strlen(s->input), &r, &x);
    if (st == SMTPDX_OK && s->rhost != NULL) {
        smtpdx_hints h = {NULL, s->rhost, NULL};
        st = smtpdx_classify(ctx, r, &h, &x);
    }
    int good = st == SMTPDX_OK && x.entry != NULL &&
        (s->reason == NULL ||
         strcmp(smtpdx_reason_name(x.reason), s->reason) == 0) &&
        (s->cause == NULL || (x.cause && strcmp(x.cause, s->cause) == 0)) &&
        x.temporary == s->temporary &&
        (s->who == NULL || strcmp(smtpdx_who_name(x.who), s->who) == 0) &&
        (s->provider == NULL || (x.entry->provider != NULL &&
                                 strcmp(x.entry->provider, s->provider) == 0));
    printf("%s %-60.60s -> %s %s/%s temporary=%d who=%s%s%s\n",
           good ? "ok  " : "FAIL", s->input, x.entry ? x.entry->id : "-",
           smtpdx_reason_name(x.reason), x.cause ? x.cause : "-",
           x.temporary, smtpdx_who_name(x.who), x.provider ? " provider=" : "",
           x.provider ? x.provider : "");
    *ok += good;
}

static void test_seeds(void **state)
{
    (void)state;
    int ok = 0;
    size_t n = sizeof(seeds) / sizeof(seeds[0]);
    for (size_t i = 0; i < n; i++)
        check_seed(&seeds[i], &ok);
    printf("seed cases: %d of %zu pass\n", ok, n);
    assert_int_equal(ok, (int)n);
}

static void classify_codes(int code, int c, int s, int d, const char *text,
                           smtpdx_explanation *x)
{
    smtpdx_reply r;
    memset(&r, 0, sizeof(r));
    r.code = code;
    r.enh_class = c;
    r.enh_subject = s;
    r.enh_detail = d;
    r.text = text;
    r.text_len = strlen(text);
    assert_int_equal(smtpdx_classify(ctx, &r, NULL, x), SMTPDX_OK);
}

/* Each rule for a basic code answers for it, each class rule for a code
 * of its class that has no rule of its own. */
static void test_every_code_rule(void **state)
{
    (void)state;
    smtpdx_explanation x;
    size_t checked = 0;
    for (size_t i = 0; i < sx_kb_ncode_keys; i++) {
        const sx_kb_key *k = &sx_kb_code_keys[i];
        if (k->provider >= 0)
            continue;
        classify_codes(k->lo, 0, 0, 0, "", &x);
        assert_ptr_equal(x.entry, &sx_kb_entries[k->rule]);
        assert_int_equal(x.matched_by, SMTPDX_MATCH_CODE);
        assert_int_equal(x.confidence, SMTPDX_CONF_MEDIUM);
        checked++;
    }
    for (size_t i = 0; i < sx_kb_nclass_keys; i++) {
        const sx_kb_key *k = &sx_kb_class_keys[i];
        int code = k->lo;
        while (code <= k->hi && sx_kb_lookup_code(code, NULL) != NULL)
            code++;
        if (k->provider >= 0 || code > k->hi)
            continue;
        classify_codes(code, 0, 0, 0, "", &x);
        assert_ptr_equal(x.entry, &sx_kb_entries[k->rule]);
        assert_int_equal(x.matched_by, SMTPDX_MATCH_CLASS);
        assert_int_equal(x.confidence, SMTPDX_CONF_LOW);
        checked++;
    }
    printf("code and class rules checked: %zu\n", checked);
}

/* Each enhanced-code rule answers for the codes it names, or a more
 * specific rule does; the answer's rule always covers the code. */
static void test_every_enhanced_rule(void **state)
{
    (void)state;
    smtpdx_explanation x;
    for (size_t i = 0; i < sx_kb_nenh_keys; i++) {
        const sx_kb_key *k = &sx_kb_enh_keys[i];
        if (k->provider >= 0)
            continue;
        int cls = k->cls ? k->cls : 5;
        classify_codes(0, cls, k->subject, k->lo, "", &x);
        assert_int_equal(x.matched_by, SMTPDX_MATCH_ENHANCED);
        const sx_kb_key *got = sx_kb_lookup_enhanced(cls, k->subject, k->lo,
                                                     NULL);
        assert_non_null(got);
        assert_ptr_equal(x.entry, &sx_kb_entries[got->rule]);
        assert_true(got->spec >= k->spec);
        if (k->cls != 0 && k->lo == k->hi)  /* nothing beats an exact one */
            assert_int_equal(got->rule, k->rule);
        /* the temporary flag follows the class unless the rule says */
        int want = x.entry->temporary >= 0 ? x.entry->temporary
                 : cls == 4 ? 1 : cls == 5 ? 0 : -1;
        assert_int_equal(x.temporary, want);
    }
}

/* Each phrase of a text rule without limits is found in a reply made of
 * it, and the rule that wins ranks at least as high. */
static void test_every_phrase(void **state)
{
    (void)state;
    smtpdx_explanation x;
    size_t n = 0;
    char text[4200];
    assert_null(sx_match_error());
    for (size_t i = 0; i < sx_kb_npatterns; i++) {
        const sx_kb_pattern *p = &sx_kb_patterns[i];
        if (p->is_regex || p->is_marker)
            continue;
        const sx_kb_rule *rule = &sx_kb_rules[p->owner];
        if (rule->provider >= 0 || rule->ncodes || rule->nenh)
            continue;
        /* the phrase back from its escaped form: \xHH for each byte */
        size_t t = 0;
        for (const char *e = p->expr; *e && t < sizeof(text) - 1; e++) {
            if (e[0] == '\\' && e[1] == 'x') {
                unsigned v = 0;
                for (int j = 2; j < 4; j++)
                    v = v * 16 + (unsigned)(e[j] <= '9' ? e[j] - '0'
                                                        : e[j] - 'a' + 10);
                text[t++] = (char)v;
                e += 3;
            } else {
                text[t++] = *e;
            }
        }
        text[t] = '\0';
        classify_codes(0, 0, 0, 0, text, &x);
        if (x.matched_by != SMTPDX_MATCH_TEXT) {
            print_error("%s: phrase \"%s\" not found\n", p->origin, text);
            fail();
        }
        const sx_kb_rule *won = &sx_kb_rules[x.entry - sx_kb_entries];
        assert_true(won->provider >= 0 || won->priority >= rule->priority);
        n++;
    }
    printf("phrases checked: %zu\n", n);
}

/* Each provider is recognised by each of its host suffixes and markers. */
static void test_every_provider(void **state)
{
    (void)state;
    smtpdx_explanation x;
    for (size_t i = 0; i < sx_kb_nproviders; i++) {
        const sx_kb_provider *pv = &sx_kb_providers[i];
        for (size_t h = 0; h < pv->nhosts; h++) {
            char host[300];
            smtpdx_reply r;
            memset(&r, 0, sizeof(r));
            r.code = 550;
            r.text = "";
            smtpdx_hints hint = {NULL, host, NULL};
            snprintf(host, sizeof(host), "mx1.%s.", pv->hosts[h]);
            assert_int_equal(smtpdx_classify(ctx, &r, &hint, &x), SMTPDX_OK);
            assert_non_null(x.provider);
            unsigned char seen[512] = {0};
            assert_true(sx_kb_nproviders <= sizeof(seen));
            sx_kb_provider_by_host(host, seen);
            assert_true(seen[i]);
        }
    }
    for (size_t i = 0; i < sx_kb_npatterns; i++) {
        const sx_kb_pattern *p = &sx_kb_patterns[i];
        if (!p->is_marker)
            continue;
        char text[600];
        size_t t = 0;
        for (const char *e = p->expr; *e && t < 200; e++) {
            if (e[0] == '\\' && e[1] == 'x') {
                unsigned v = 0;
                for (int j = 2; j < 4; j++)
                    v = v * 16 + (unsigned)(e[j] <= '9' ? e[j] - '0'
                                                        : e[j] - 'a' + 10);
                text[t++] = (char)v;
                e += 3;
            } else {
                text[t++] = *e;
            }
        }
        text[t] = '\0';
        classify_codes(550, 0, 0, 0, text, &x);
        if (x.provider == NULL) {
            print_error("%s: marker \"%s\" not recognised\n", p->origin, text);
            fail();
        }
    }
}

/* The issue's own example of a contradiction, and a class conflict. */
static void test_conflicts(void **state)
{
    (void)state;
    smtpdx_explanation x;
    const smtpdx_reply *r;
    const char *in = "550 5.1.1 Rate limit exceeded, please slow down";
    assert_int_equal(smtpdx_explain(ctx, in, strlen(in), &r, &x), SMTPDX_OK);
    assert_int_equal(x.matched_by, SMTPDX_MATCH_TEXT);
    assert_int_equal(x.reason, SMTPDX_R_SPEEDING);
    assert_non_null(x.code_entry);
    assert_int_equal(x.code_entry->reason, SMTPDX_R_USERUNKNOWN);
    assert_int_equal(x.conflict, 1);
    assert_non_null(strstr(x.conflict_note, "enhanced code 5.1.1 means "
                                            "userunknown"));
    assert_non_null(strstr(x.conflict_note, "following the text"));
    assert_int_equal(x.confidence, SMTPDX_CONF_MEDIUM);

    in = "550 4.2.2 over quota";
    assert_int_equal(smtpdx_explain(ctx, in, strlen(in), &r, &x), SMTPDX_OK);
    assert_int_equal(x.conflict, 1);
    assert_int_equal(x.temporary, 1);
    assert_non_null(strstr(x.conflict_note, "enhanced code"));

    in = "550 5.1.1 User unknown";
    assert_int_equal(smtpdx_explain(ctx, in, strlen(in), &r, &x), SMTPDX_OK);
    assert_int_equal(x.conflict, 0);
    assert_null(x.conflict_note);
    assert_int_equal(x.confidence, SMTPDX_CONF_HIGH);
    assert_int_equal(x.match_len, strlen("User unknown"));
    assert_memory_equal(r->text + x.match_off, "User unknown", x.match_len);
}

static void test_hints(void **state)
{
    (void)state;
    smtpdx_explanation x;
    smtpdx_reply r;
    memset(&r, 0, sizeof(r));
    r.code = 550;
    r.text = "";
    smtpdx_hints h = {"5.1.1", NULL, NULL};
    assert_int_equal(smtpdx_classify(ctx, &r, &h, &x), SMTPDX_OK);
    assert_int_equal(x.matched_by, SMTPDX_MATCH_ENHANCED);
    assert_int_equal(x.reason, SMTPDX_R_USERUNKNOWN);

    smtpdx_hints g = {NULL, "gmail-smtp-in.l.google.com", NULL};
    assert_int_equal(smtpdx_classify(ctx, &r, &g, &x), SMTPDX_OK);
    assert_non_null(x.provider);
    assert_string_equal(x.provider, "google");
}

static void test_explain_edges(void **state)
{
    (void)state;
    smtpdx_explanation x;
    const smtpdx_reply *r = NULL;
    smtpdx_status st = smtpdx_explain(ctx, "", 0, &r, &x);
    assert_true(st == SMTPDX_OK || st == SMTPDX_ERR_PARSE);
    assert_non_null(r);
    assert_int_equal(smtpdx_explain(ctx, NULL, 3, &r, &x), SMTPDX_ERR_INVAL);
    assert_int_equal(smtpdx_explain(NULL, "x", 1, &r, &x), SMTPDX_ERR_INVAL);
    static char big[SMTPDX_REPLY_TEXT_MAX + 100];
    memset(big, 'a', sizeof(big));
    memcpy(big, "550 5.1.1 ", 10);
    st = smtpdx_explain(ctx, big, sizeof(big), &r, &x);
    assert_true(st == SMTPDX_OK || st == SMTPDX_ERR_LIMIT);
}

/* A rule limited to a class ("code: 4xx") is taken on trust for a text
 * with no code; the same text under a code of the other class does not
 * get it; and a text that rules of both classes claim decides nothing. */
static void test_class_limit_without_code(void **state)
{
    (void)state;
    smtpdx_explanation x;
    classify_codes(0, 0, 0, 0, "Greylisted, please try again later", &x);
    assert_non_null(x.entry);
    assert_string_equal(x.entry->id, "text.greylisting.generic");
    assert_int_equal(x.temporary, 1);
    assert_int_equal(x.confidence, SMTPDX_CONF_MEDIUM);
    classify_codes(550, 0, 0, 0, "Greylisted, please try again later", &x);
    assert_true(x.entry == NULL ||
                strcmp(x.entry->id, "text.greylisting.generic") != 0);
    classify_codes(450, 0, 0, 0, "Greylisted, please try again later", &x);
    assert_non_null(x.entry);
    assert_string_equal(x.entry->id, "text.greylisting.generic");
    /* kb: mailbox-unavailable for 5xx, its temporary twin for 4xx */
    classify_codes(0, 0, 0, 0, "Mailbox unavailable", &x);
    assert_null(x.entry);
    assert_int_equal(x.reason, SMTPDX_R_UNDEFINED);
    classify_codes(550, 0, 0, 0, "Mailbox unavailable", &x);
    assert_non_null(x.entry);
    assert_int_equal(x.temporary, 0);
    classify_codes(450, 0, 0, 0, "Mailbox unavailable", &x);
    assert_non_null(x.entry);
    assert_int_equal(x.temporary, 1);
}

/* --------------------------------------------------------- two threads */

static const char *const mixed[] = {
    "550 5.1.1 User unknown",
    "450 4.7.1 Recipient address rejected: Greylisted, see http://postgrey/",
    "550 5.7.1 Service unavailable; client [192.0.2.1] blocked using zen.spamhaus.org",
    "421 4.7.0 Try again later, closing connection. - gsmtp",
    "552 5.2.2 Mailbox full",
    "550 5.1.1 Rate limit exceeded, please slow down",
    "554 5.7.1 Message rejected as spam",
    "550-not permitted to relay through this server",
    "Status: 4.4.1",
    "250 ok",
};
#define NMIXED (sizeof(mixed) / sizeof(mixed[0]))

static smtpdx_explanation expected[NMIXED];

typedef struct worker {
    int rounds;
    int mismatches;
    smtpdx_status st;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    smtpdx_ctx *c = NULL;
    w->st = smtpdx_ctx_new(&c);
    if (w->st != SMTPDX_OK)
        return NULL;
    for (int round = 0; round < w->rounds; round++) {
        for (size_t i = 0; i < NMIXED; i++) {
            smtpdx_explanation x;
            if (smtpdx_explain(c, mixed[i], strlen(mixed[i]), NULL, &x) !=
                    SMTPDX_OK ||
                x.entry != expected[i].entry || x.reason != expected[i].reason ||
                x.conflict != expected[i].conflict ||
                x.match_off != expected[i].match_off ||
                x.match_len != expected[i].match_len ||
                x.provider != expected[i].provider)
                w->mismatches++;
        }
    }
    smtpdx_ctx_free(c);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    for (size_t i = 0; i < NMIXED; i++)
        assert_int_equal(smtpdx_explain(ctx, mixed[i], strlen(mixed[i]), NULL,
                                        &expected[i]), SMTPDX_OK);
    worker w[2] = {{1000, 0, SMTPDX_OK}, {1000, 0, SMTPDX_OK}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].st, SMTPDX_OK);
        assert_int_equal(w[i].mismatches, 0);
    }
}

static int setup(void **state)
{
    (void)state;
    smtpdx_status st = smtpdx_ctx_new(&ctx);
    if (st != SMTPDX_OK)
        fprintf(stderr, "smtpdx_ctx_new: %s (%s)\n", smtpdx_strerror(st),
                sx_match_error() ? sx_match_error() : "-");
    return st == SMTPDX_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    smtpdx_ctx_free(ctx);
    return 0;
}

static void test_mx_host_span(void **state)
{
    (void)state;
    static const struct {
        const char *text, *domain, *span; /* span NULL: not the MX's host */
    } rows[] = {
        {"Host or domain name not found. Name service error for "
         "name=mail.example.org type=A: Host not found",
         "example.org", "name=mail.example.org type=A"},
        {"Name service error for name=mx.example.org type=AAAA: Host not found",
         "example.org", "name=mx.example.org type=AAAA"},
        {"Name service error for name=Example.ORG. type=A: Host not found",
         "example.org", NULL},                 /* the domain itself */
        {"Name service error for name=example.org type=MX: Host not found",
         "example.org", NULL},
        {"Name service error for name=mx.example.org type=MX: Host not found",
         "example.org", NULL},                 /* an MX lookup: not a host */
        {"Name service error for name=mx.example.org type=AX", "example.org",
         NULL},
        {"Name service error for name=mx.example.org type=A", "example.org",
         "name=mx.example.org type=A"},        /* the text ends there */
        {"Name service error for name=mx.example.org type", "example.org", NULL},
        {"Name service error for name=", "example.org", NULL},
        {"name= type=A: Host not found", "example.org", NULL},
        {"Host not found", "example.org", NULL},
        {"Name service error for name=mx.example.org type=A: Host not found",
         "", NULL},
        /* Sendmail's wording */
        {"550 5.1.2 user@example.org... Host unknown (Name server: "
         "mail.example.org.: host not found)",
         "example.org", "Name server: mail.example.org.: host not found"},
        {"Host unknown (Name server: example.org: host not found)",
         "example.org", NULL},                 /* the domain itself */
        {"Host unknown (Name server: EXAMPLE.org.: host not found)",
         "example.org", NULL},
        {"Name server: mail.example.org: no data known", "example.org", NULL},
        {"Name server: : host not found", "example.org", NULL},
        {"Name server: mail.example.org", "example.org", NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *at = NULL;
        size_t n = sx_mx_host_span(rows[i].text, strlen(rows[i].text),
                                   rows[i].domain, &at);
        if (rows[i].span == NULL) {
            if (n != 0)
                fail_msg("row %zu: found '%.*s'", i, (int)n, at);
        } else {
            assert_int_equal(n, strlen(rows[i].span));
            assert_memory_equal(at, rows[i].span, n);
        }
    }
    assert_int_equal(sx_mx_host_span(NULL, 0, "example.org", &(const char *){NULL}), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seeds),
        cmocka_unit_test(test_every_code_rule),
        cmocka_unit_test(test_every_enhanced_rule),
        cmocka_unit_test(test_every_phrase),
        cmocka_unit_test(test_every_provider),
        cmocka_unit_test(test_conflicts),
        cmocka_unit_test(test_hints),
        cmocka_unit_test(test_explain_edges),
        cmocka_unit_test(test_class_limit_without_code),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_mx_host_span),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
