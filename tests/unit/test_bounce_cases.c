/*
 * test_bounce_cases.c - golden tests of smtpdx_bounce_parse on the
 * project's own bounce mails: every tests/data/bounce/NAME.eml is parsed
 * and its records dumped, one "N field: value" line per field, and the
 * dump must equal NAME.expect. Adding a case is adding the two files; the
 * leading '#' lines of an .expect say where the mail comes from and what
 * it proves, and SMTPDX_REGEN=1 rewrites the rest (review the result
 * before keeping it). The same message with CRLF and with CR-only line ends
 * must give the same dump: the conversion is made here, in memory. So
 * must the message forwarded by a person as an attachment, once and twice
 * over (a help desk handed a forwarded notice): a notice is read the same
 * wherever it is attached.
 *
 * Unlike the shared corpus test these cases need nothing outside the
 * project, so every build checks them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "smtpdx.h"
#include "testutil.h"

#define DATA SMTPDX_SOURCE_DIR "/tests/data/bounce"

typedef struct out {
    char *p;
    size_t len, cap;
} out;

static void put(out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    if (o->len + (size_t)n + 1 > o->cap) {
        o->cap = (o->len + (size_t)n + 1) * 2;
        o->p = realloc(o->p, o->cap);
        assert_non_null(o->p);
    }
    va_start(ap, fmt);
    vsnprintf(o->p + o->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    o->len += (size_t)n;
}

static void dump(const char *buf, size_t len, out *o)
{
    smtpdx_ctx *ctx = NULL;
    assert_int_equal(smtpdx_ctx_new(&ctx), SMTPDX_OK);
    smtpdx_records *rs = smtpdx_records_new();
    assert_non_null(rs);
    smtpdx_status st = smtpdx_bounce_parse(ctx, buf, len, "case", rs);
    put(o, "status: %s\n", smtpdx_status_name(st));
    size_t n = smtpdx_records_count(rs);
    put(o, "records: %zu\n", n);
    for (size_t i = 0; i < n; i++) {
        const smtpdx_record *r = smtpdx_records_get(rs, i);
        size_t k = i + 1;
        const struct {
            const char *name, *value;
        } s[] = {
            {"recipient", r->recipient},
            {"alias", r->alias},
            {"action", r->action},
            {"reason", smtpdx_reason_name(r->reason)},
            {"deliverystatus", r->deliverystatus},
            {"diagnosticcode", r->diagnosticcode},
            {"diagnostictype", r->diagnostictype},
            {"smtpcommand", r->smtpcommand},
            {"smtpagent", r->smtpagent},
            {"rhost", r->rhost},
            {"lhost", r->lhost},
            {"addresser", r->addresser},
            {"subject", r->subject},
            {"messageid", r->messageid},
            {"cause", r->why.cause ? r->why.cause : ""},
            {"who", smtpdx_who_name(r->why.who)},
            {"retry", smtpdx_retry_name(r->why.retry)},
            {"rule", r->why.entry ? r->why.entry->id : ""},
            {"matched", smtpdx_match_kind_name(r->why.matched_by)},
            {"matched text", r->matched_text ? r->matched_text : ""},
        };
        for (size_t j = 0; j < sizeof s / sizeof s[0]; j++)
            put(o, "%zu %s: %s\n", k, s[j].name, s[j].value);
        if (r->listid[0] != '\0') /* (only where there is one) */
            put(o, "%zu listid: %s\n", k, r->listid);
        put(o, "%zu replycode: %d\n", k, r->replycode);
        put(o, "%zu hardbounce: %d\n", k, r->hardbounce);
        put(o, "%zu temporary: %d\n", k, r->why.temporary);
        put(o, "%zu conflict: %d\n", k, r->why.conflict);
        put(o, "%zu confidence: %s\n", k,
            smtpdx_confidence_name(r->why.confidence));
        put(o, "%zu timestamp: %lld %s\n", k, (long long)r->timestamp,
            r->timezoneoffset);
        if (r->retry_until != 0) /* only delay warnings that say */
            put(o, "%zu retry until: %lld\n", k, (long long)r->retry_until);
    }
    smtpdx_records_free(rs);
    smtpdx_ctx_free(ctx);
}

/* The '#' lines that open an .expect file: what the case is for. */
static size_t comment_len(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] == '#') {
        const char *nl = memchr(s + i, '\n', n - i);
        i = nl ? (size_t)(nl - s) + 1 : n;
    }
    return i;
}

/* LF text with every LF turned into CRLF, or into CR. */
static char *convert(const char *s, size_t n, int crlf, size_t *outlen)
{
    char *d = malloc(2 * n + 1);
    assert_non_null(d);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            d[w++] = '\r';
            if (crlf)
                d[w++] = '\n';
        } else {
            d[w++] = s[i];
        }
    }
    *outlen = w;
    return d;
}

/* msg attached to a person's mail that forwards it, as a mail client
 * writes it (the person's text names no address). */
static char *forward(const char *msg, size_t n, int level, size_t *outlen)
{
    char head[512];
    int h = snprintf(head, sizeof head,
                     "From: Pat Person <pat@forwarding.example>\n"
                     "To: helpdesk@forwarding.example\n"
                     "Subject: Fwd: what went wrong here?\n"
                     "Date: Tue, 01 Dec 2026 10:00:00 +0000\n"
                     "Message-ID: <fwd-%d@forwarding.example>\n"
                     "MIME-Version: 1.0\n"
                     "Content-Type: multipart/mixed; boundary=\"fwd-%d\"\n\n"
                     "--fwd-%d\nContent-Type: text/plain; charset=us-ascii\n\n"
                     "Hello, this came back. Could you tell me why?\n\n"
                     "--fwd-%d\nContent-Type: message/rfc822\n"
                     "Content-Disposition: attachment\n\n",
                     level, level, level, level);
    assert_true(h > 0 && (size_t)h < sizeof head);
    char tail[64];
    int t = snprintf(tail, sizeof tail, "\n--fwd-%d--\n", level);
    char *d = malloc((size_t)h + n + (size_t)t + 1);
    assert_non_null(d);
    memcpy(d, head, (size_t)h);
    memcpy(d + h, msg, n);
    memcpy(d + (size_t)h + n, tail, (size_t)t);
    *outlen = (size_t)h + n + (size_t)t;
    return d;
}

static void check_one(const char *name)
{
    char path[4096], exp[4096];
    snprintf(path, sizeof path, "%s/%s", DATA, name);
    snprintf(exp, sizeof exp, "%s/%.*s.expect", DATA,
             (int)(strlen(name) - 4), name);
    size_t len;
    char *buf = tu_read_file(path, &len);
    assert_non_null(buf);
    assert_null(memchr(buf, '\r', len)); /* the cases are kept with LF */
    out got = {0};
    dump(buf, len, &got);

    size_t elen = 0;
    char *want = tu_read_file(exp, &elen);
    if (getenv("SMTPDX_REGEN")) {
        FILE *f = fopen(exp, "wb");
        assert_non_null(f);
        if (want)
            fwrite(want, 1, comment_len(want, elen), f);
        fwrite(got.p, 1, got.len, f);
        fclose(f);
        free(want);
        want = tu_read_file(exp, &elen);
    }
    if (want == NULL)
        fail_msg("%s: no expected output %s", name, exp);
    size_t c = comment_len(want, elen);
    if (elen - c != got.len || memcmp(want + c, got.p, got.len) != 0) {
        print_message("%s: records differ\n--- expected:\n%.*s--- got:\n%.*s",
                      name, (int)(elen - c), want + c, (int)got.len, got.p);
        fail();
    }
    for (int crlf = 0; crlf <= 1; crlf++) {
        size_t clen;
        char *cbuf = convert(buf, len, crlf, &clen);
        out other = {0};
        dump(cbuf, clen, &other);
        if (other.len != got.len || memcmp(other.p, got.p, got.len) != 0) {
            print_message("%s: the %s copy differs\n--- LF:\n%.*s--- %s:\n%.*s",
                          name, crlf ? "CRLF" : "CR-only", (int)got.len, got.p,
                          crlf ? "CRLF" : "CR", (int)other.len, other.p);
            fail();
        }
        free(other.p);
        free(cbuf);
    }
    /* Text that is no mail becomes one when forwarded: a mail that is no
     * bounce, with no record either way. */
    static const char no_mail[] = "status: SMTPDX_ERR_PARSE\n";
    static const char no_bounce[] = "status: SMTPDX_ERR_NOTBOUNCE\n";
    out fwant = {0};
    if (got.len >= sizeof no_mail - 1 &&
        memcmp(got.p, no_mail, sizeof no_mail - 1) == 0) {
        size_t rest = got.len - (sizeof no_mail - 1);
        fwant.len = sizeof no_bounce - 1 + rest;
        fwant.p = malloc(fwant.len + 1);
        assert_non_null(fwant.p);
        memcpy(fwant.p, no_bounce, sizeof no_bounce - 1);
        memcpy(fwant.p + sizeof no_bounce - 1, got.p + sizeof no_mail - 1,
               rest);
    } else {
        fwant.p = malloc(got.len + 1);
        assert_non_null(fwant.p);
        memcpy(fwant.p, got.p, got.len);
        fwant.len = got.len;
    }
    size_t flen = len;
    char *fbuf = NULL;
    for (int level = 1; level <= 2; level++) {
        char *next = forward(fbuf ? fbuf : buf, flen, level, &flen);
        free(fbuf);
        fbuf = next;
        out other = {0};
        dump(fbuf, flen, &other);
        if (other.len != fwant.len ||
            memcmp(other.p, fwant.p, fwant.len) != 0) {
            print_message("%s: forwarded %d time(s), it reads otherwise\n"
                          "--- as it is:\n%.*s--- forwarded:\n%.*s",
                          name, level, (int)fwant.len, fwant.p,
                          (int)other.len, other.p);
            fail();
        }
        free(other.p);
    }
    free(fbuf);
    free(fwant.p);
    free(want);
    free(got.p);
    free(buf);
}

static void test_golden(void **state)
{
    (void)state;
    assert_true(tu_each_file(DATA, ".eml", check_one) >= 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
