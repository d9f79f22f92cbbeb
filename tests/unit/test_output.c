/*
 * test_output.c - the writers: JSON that stays valid whatever the input,
 * Sisimai's value conventions, RFC 4180 CSV quoting, and table output that
 * no input can use to drive a terminal.
 *
 * Every writer runs into an in-memory stream; JSON is checked by a small
 * strict validator below (RFC 8259 grammar, UTF-8 well-formed, no raw
 * control characters) rather than by looking for fixed strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "output/utf8.h"
#include "record/record.h"
#include "smtpdx.h"
#include "util/alloc.h"

/* ------------------------------------------------------ a JSON validator */

typedef struct jv {
    const unsigned char *p, *end;
    int depth;
} jv;

static int jv_value(jv *v);

static void jv_ws(jv *v)
{
    while (v->p < v->end && (*v->p == ' ' || *v->p == '\t' || *v->p == '\n'
                             || *v->p == '\r'))
        v->p++;
}

static int jv_lit(jv *v, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(v->end - v->p) < n || memcmp(v->p, lit, n) != 0)
        return 0;
    v->p += n;
    return 1;
}

static int jv_string(jv *v)
{
    if (v->p >= v->end || *v->p != '"')
        return 0;
    v->p++;
    while (v->p < v->end && *v->p != '"') {
        if (*v->p < 0x20)
            return 0; /* raw control character */
        if (*v->p == '\\') {
            v->p++;
            if (v->p >= v->end)
                return 0;
            if (*v->p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (v->p + i >= v->end
                        || !strchr("0123456789abcdefABCDEF", v->p[i]))
                        return 0;
                v->p += 5;
            } else if (strchr("\"\\/bfnrt", *v->p) && *v->p) {
                v->p++;
            } else {
                return 0;
            }
            continue;
        }
        uint32_t cp;
        size_t len = sx_utf8_decode(v->p, (size_t)(v->end - v->p), &cp);
        if (len == 0)
            return 0; /* invalid UTF-8 */
        v->p += len;
    }
    if (v->p >= v->end)
        return 0;
    v->p++;
    return 1;
}

static int jv_number(jv *v)
{
    const unsigned char *s = v->p;
    if (v->p < v->end && *v->p == '-')
        v->p++;
    if (v->p >= v->end || *v->p < '0' || *v->p > '9')
        return 0;
    if (*v->p == '0')
        v->p++;
    else
        while (v->p < v->end && *v->p >= '0' && *v->p <= '9')
            v->p++;
    return v->p > s;
}

static int jv_container(jv *v, char open, char close)
{
    if (++v->depth > 64)
        return 0;
    v->p++; /* open */
    jv_ws(v);
    if (v->p < v->end && *v->p == (unsigned char)close) {
        v->p++;
        v->depth--;
        return 1;
    }
    for (;;) {
        jv_ws(v);
        if (open == '{') {
            if (!jv_string(v))
                return 0;
            jv_ws(v);
            if (v->p >= v->end || *v->p != ':')
                return 0;
            v->p++;
            jv_ws(v);
        }
        if (!jv_value(v))
            return 0;
        jv_ws(v);
        if (v->p < v->end && *v->p == ',') {
            v->p++;
            continue;
        }
        if (v->p < v->end && *v->p == (unsigned char)close) {
            v->p++;
            v->depth--;
            return 1;
        }
        return 0;
    }
}

static int jv_value(jv *v)
{
    jv_ws(v);
    if (v->p >= v->end)
        return 0;
    switch (*v->p) {
    case '{':
        return jv_container(v, '{', '}');
    case '[':
        return jv_container(v, '[', ']');
    case '"':
        return jv_string(v);
    case 't':
        return jv_lit(v, "true");
    case 'f':
        return jv_lit(v, "false");
    case 'n':
        return jv_lit(v, "null");
    default:
        return jv_number(v);
    }
}

/* One complete JSON text in s[0..n). */
static int json_valid(const char *s, size_t n)
{
    jv v = {(const unsigned char *)s, (const unsigned char *)s + n, 0};
    if (!jv_value(&v))
        return 0;
    jv_ws(&v);
    return v.p == v.end;
}

/* Every non-empty line is one JSON text. Returns the number of lines. */
static int ndjson_valid(const char *s, size_t n)
{
    int lines = 0;
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) : n;
        if (end > i) {
            if (!json_valid(s + i, end - i))
                return -1;
            lines++;
        }
        i = end + 1;
    }
    return lines;
}

/* ----------------------------------------------------------- fixtures */

static const char *const steps[] = {
    "Check the address for typing errors.",
    "Remove it from the list if it keeps failing.",
};
static const char *const refs[] = {"RFC 3463 section 3.2"};
static const smtpdx_kb_entry entry = {
    "enhanced.5.1.1", "enhanced", NULL, SMTPDX_R_USERUNKNOWN, "user-unknown",
    0, SMTPDX_WHO_SENDER, SMTPDX_RETRY_NO, 0, 0,
    "The address does not exist at the receiving server.",
    steps, 2, refs, 1,
};

/* Every kind of byte a hostile reply can hold. */
static const char hostile[] =
    "550 5.1.1 \"quoted\" back\\slash \x1b[31mred\x1b[0m \x1b]0;title\x07 "
    "bell\x07 nul\0after del\x7f c1\xc2\x9b bad\xff\xfe overlong\xc0\xaf "
    "surrogate\xed\xa0\x80 cut\xe2\x82 ls\xe2\x80\xa8 rlo\xe2\x80\xae "
    "tab\there cr\rlf\nend \xc3\xa9t\xc3\xa9";
#define HOSTILE_LEN (sizeof(hostile) - 1)

static smtpdx_reply *hostile_reply(void)
{
    static smtpdx_reply r;
    memset(&r, 0, sizeof(r));
    r.code = 550;
    r.enh_class = 5;
    r.enh_subject = 1;
    r.enh_detail = 1;
    memcpy(r.enhanced, "5.1.1", 6);
    memcpy(r.command, "RCPT", 5);
    memcpy(r.host, "mx\x1b[2J.example", sizeof("mx\x1b[2J.example"));
    r.text = hostile + 10;
    r.text_len = HOSTILE_LEN - 10;
    r.flags = SMTPDX_REPLY_BAD_BYTES | SMTPDX_REPLY_MULTILINE;
    return &r;
}

static void hostile_expl(smtpdx_explanation *e)
{
    memset(e, 0, sizeof(*e));
    e->entry = &entry;
    e->reason = SMTPDX_R_USERUNKNOWN;
    e->cause = "user-unknown";
    e->temporary = 0;
    e->who = SMTPDX_WHO_SENDER;
    e->retry = SMTPDX_RETRY_NO;
    e->matched_by = SMTPDX_MATCH_TEXT;
    e->match_off = 0;
    e->match_len = 20; /* spans quotes, a backslash and an ESC */
    e->conflict = 1;
    e->conflict_note = "the code says one thing, \"the text\" another";
    e->confidence = SMTPDX_CONF_HIGH;
}

/* Write one hostile explanation in fmt; returns the malloc'ed output. */
static char *write_expl(smtpdx_format fmt, unsigned flags, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    smtpdx_writer *w = NULL;
    smtpdx_explanation e;

    assert_non_null(f);
    hostile_expl(&e);
    assert_int_equal(smtpdx_writer_new(f, fmt, flags, &w), SMTPDX_OK);
    assert_int_equal(smtpdx_writer_explanation(w, hostile, HOSTILE_LEN,
                                               hostile_reply(), &e),
                     SMTPDX_OK);
    assert_int_equal(smtpdx_writer_explanation(w, "", 0, NULL, &e), SMTPDX_OK);
    assert_int_equal(smtpdx_writer_finish(w), SMTPDX_OK);
    smtpdx_writer_free(w);
    fclose(f);
    return buf;
}

static smtpdx_records *sample_records(void)
{
    smtpdx_records *rs = smtpdx_records_new();
    smtpdx_explanation e;
    assert_non_null(rs);

    smtpdx_record *r = sx_records_add(rs);
    assert_non_null(r);
    hostile_expl(&e);
    e.matched_by = SMTPDX_MATCH_ENHANCED;
    assert_int_equal(sx_record_set_why(r, &e, NULL, 0), SMTPDX_OK);
    sx_record_sets(r, &r->recipient, "bob@example.com");
    sx_record_sets(r, &r->addresser, "=cmd|' /C calc'!A0@example.org");
    sx_record_sets(r, &r->deliverystatus, "5.1.1");
    sx_record_set(r, &r->diagnosticcode, hostile, HOSTILE_LEN);
    sx_record_sets(r, &r->subject, "a, \"b\"\nnext line");
    sx_record_sets(r, &r->origin, "bounces/one.eml");
    r->replycode = 550;
    r->timestamp = 1795835659;
    memcpy(r->timezoneoffset, "+0900", 6);

    r = sx_records_add(rs);
    assert_non_null(r);
    memset(&e, 0, sizeof(e));
    e.reason = SMTPDX_R_BLOCKED;
    e.cause = "dnsbl-listed";
    e.temporary = 1;
    e.who = SMTPDX_WHO_SENDER_ADMIN;
    e.retry = SMTPDX_RETRY_AFTER_FIX;
    assert_int_equal(sx_record_set_why(r, &e, NULL, 0), SMTPDX_OK);
    sx_record_sets(r, &r->recipient, "ann@example.net");
    sx_record_sets(r, &r->queueid, "4AB12C0123");
    sx_record_sets(r, &r->relay, "mx.example.net[192.0.2.7]:25");
    r->retry_until = 1796440459; /* a delay warning's Will-Retry-Until */
    memcpy(r->timezoneoffset, "+0900", 6);

    r = sx_records_add(rs);
    assert_non_null(r);
    memset(&e, 0, sizeof(e));
    e.reason = SMTPDX_R_FEEDBACK;
    e.temporary = -1;
    assert_int_equal(sx_record_set_why(r, &e, NULL, 0), SMTPDX_OK);
    sx_record_sets(r, &r->recipient, "carl@example.net");
    sx_record_sets(r, &r->addresser, "-2+3+cmd|'!A0@example.net");
    sx_record_sets(r, &r->feedbacktype, "abuse");
    return rs;
}

/* Write rs in fmt; returns the malloc'ed output. */
static char *write_all(const smtpdx_records *rs, smtpdx_format fmt,
                       unsigned flags, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    smtpdx_writer *w = NULL;

    assert_non_null(f);
    assert_int_equal(smtpdx_writer_new(f, fmt, flags, &w), SMTPDX_OK);
    for (size_t i = 0; i < smtpdx_records_count(rs); i++)
        assert_int_equal(smtpdx_writer_record(w, smtpdx_records_get(rs, i)),
                         SMTPDX_OK);
    assert_int_equal(smtpdx_writer_finish(w), SMTPDX_OK);
    smtpdx_writer_free(w);
    fclose(f);
    return buf;
}

/* Write rs in fmt and free it; returns the malloc'ed output. */
static char *write_set(smtpdx_records *rs, smtpdx_format fmt, unsigned flags,
                       size_t *len)
{
    char *buf = write_all(rs, fmt, flags, len);
    smtpdx_records_free(rs);
    return buf;
}

static char *write_records(smtpdx_format fmt, unsigned flags, size_t *len)
{
    return write_set(sample_records(), fmt, flags, len);
}

/* No byte of s is ESC or another C0 control except \n (and \r\n in CSV). */
static void assert_no_controls(const char *s, size_t n, int allow_cr)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n' || (allow_cr && c == '\r') || (c == '\t' && allow_cr))
            continue;
        if (c < 0x20 || c == 0x7f) {
            fprintf(stderr, "control byte 0x%02x at %zu in: %.*s\n", c, i,
                    (int)(n - i < 40 ? n - i : 40), s + i);
            fail();
        }
    }
}

/* Every ESC in s starts an SGR sequence "ESC [ digits;... m". */
static void assert_only_sgr(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\x1b')
            continue;
        assert_true(i + 1 < n && s[i + 1] == '[');
        size_t j = i + 2;
        while (j < n && ((s[j] >= '0' && s[j] <= '9') || s[j] == ';'))
            j++;
        assert_true(j < n && s[j] == 'm');
    }
}

/* Every line is well-formed UTF-8. */
static void assert_utf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = sx_utf8_decode((const unsigned char *)s + i, n - i, &cp);
        assert_true(len > 0);
        i += len;
    }
}

/* ------------------------------------------------------------- the tests */

static void test_utf8_decode(void **state)
{
    (void)state;
    uint32_t cp;
    /* the encoder round-trips through the decoder at each length's
     * bounds, and writes U+FFFD for what no text may hold */
    static const uint32_t cps[] = {0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xffff,
                                   0x10000, 0x10ffff};
    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        char b[4];
        size_t n = sx_utf8_encode(b, cps[i]);
        assert_int_equal(sx_utf8_decode((const unsigned char *)b, n, &cp), n);
        assert_int_equal(cp, cps[i]);
    }
    static const uint32_t bad[] = {0, 0xd800, 0xdfff, 0x110000};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char b[4];
        assert_int_equal(sx_utf8_encode(b, bad[i]), 3);
        assert_memory_equal(b, "\xef\xbf\xbd", 3);
    }
    assert_int_equal(sx_utf8_decode((const unsigned char *)"\xc3\xa9", 2, &cp), 2);
    assert_int_equal(cp, 0xe9);
    assert_int_equal(sx_utf8_decode((const unsigned char *)"\xc0\xaf", 2, &cp), 0);
    assert_int_equal(sx_utf8_decode((const unsigned char *)"\xed\xa0\x80", 3, &cp), 0);
    assert_int_equal(sx_utf8_decode((const unsigned char *)"\xf4\x90\x80\x80", 4, &cp), 0);
    assert_int_equal(sx_utf8_decode((const unsigned char *)"\xe2\x82", 2, &cp), 0);
    assert_int_equal(sx_utf8_decode((const unsigned char *)"\xf0\x9f\x93\xa7", 4, &cp), 4);
    assert_int_equal(cp, 0x1f4e7);
    assert_true(sx_utf8_is_unsafe(0x1b));
    assert_true(sx_utf8_is_unsafe(0x9b));
    assert_true(sx_utf8_is_unsafe(0x202e));
    assert_false(sx_utf8_is_unsafe(0xe9));
}

#define JV(lit) json_valid(lit, sizeof(lit) - 1)

static void test_validator_rejects(void **state)
{
    (void)state;
    /* the checker itself must be strict, or the tests below prove nothing */
    assert_true(JV("{\"a\":[1,true,null,\"x\\u00e9\"]}"));
    assert_false(JV("{\"a\":1,}"));
    assert_false(JV("\"a\x01\""));
    assert_false(JV("\"\xff\""));
    assert_false(JV("\"\\x41\""));
    assert_false(JV("[1] [2]"));
}

static void test_json_hostile(void **state)
{
    (void)state;
    size_t len;
    char *out = write_expl(SMTPDX_FMT_JSON, 0, &len);

    assert_true(json_valid(out, len));
    assert_no_controls(out, len, 0);
    assert_utf8(out, len);
    assert_non_null(strstr(out, "\\ufffd"));          /* invalid bytes */
    assert_non_null(strstr(out, "\\u001b[31mred"));   /* ESC escaped */
    assert_non_null(strstr(out, "\\u0000after"));     /* NUL kept, escaped */
    assert_non_null(strstr(out, "\\u009b"));          /* C1 escaped */
    assert_non_null(strstr(out, "\\u2028"));          /* JS line separator */
    assert_non_null(strstr(out, "\\u202e"));          /* bidi override */
    assert_non_null(strstr(out, "\\\"quoted\\\" back\\\\slash"));
    assert_non_null(strstr(out, "\xc3\xa9t\xc3\xa9")); /* valid UTF-8 kept */
    assert_non_null(strstr(out, "\"reason\":\"userunknown\""));
    assert_non_null(strstr(out, "\"temporary\":false"));
    assert_non_null(strstr(out, "\"code\":550"));
    assert_non_null(strstr(out, "\"rule\":\"enhanced.5.1.1\""));
    assert_non_null(strstr(out, "\"conflict\":true"));
    assert_non_null(strstr(out, "\"flags\":[\"multiline\",\"bad-bytes\"]"));
    /* the second, empty input has no parsed reply */
    assert_non_null(strstr(out, "\"input\":\"\",\"code\":null"));
    free(out);
}

static void test_ndjson_and_sisimai_lines(void **state)
{
    (void)state;
    size_t len;
    char *out = write_expl(SMTPDX_FMT_NDJSON, 0, &len);
    assert_int_equal(ndjson_valid(out, len), 2);
    assert_no_controls(out, len, 0);
    free(out);

    out = write_records(SMTPDX_FMT_NDJSON, 0, &len);
    assert_int_equal(ndjson_valid(out, len), 3);
    assert_no_controls(out, len, 0);
    /* Sisimai's conventions for its own fields */
    assert_non_null(strstr(out, "\"replycode\":\"550\""));
    assert_non_null(strstr(out, "\"replycode\":\"\""));
    assert_non_null(strstr(out, "\"timestamp\":1795835659"));
    assert_non_null(strstr(out, "\"timezoneoffset\":\"+0900\""));
    assert_non_null(strstr(out, "\"catch\":null"));
    assert_non_null(strstr(out, "\"hardbounce\":1"));
    assert_non_null(strstr(out, "\"hardbounce\":0"));
    /* ours, and log fields only where set */
    assert_non_null(strstr(out, "\"cause\":\"dnsbl-listed\""));
    assert_non_null(strstr(out, "\"queueid\":\"4AB12C0123\""));
    assert_non_null(strstr(out, "\"matched\":{\"rule\":\"enhanced.5.1.1\","
                                "\"kind\":\"enhanced\",\"text\":\"5.1.1\"}"));
    const char *first_nl = strchr(out, '\n');
    assert_non_null(first_nl);
    const char *q = strstr(out, "\"queueid\"");
    assert_true(q != NULL && q > first_nl); /* not in the first record */
    free(out);

    out = write_records(SMTPDX_FMT_SISIMAI, 0, &len);
    assert_int_equal(ndjson_valid(out, len), 3);
    assert_null(strstr(out, "\"cause\""));   /* Sisimai's fields only */
    assert_null(strstr(out, "\"queueid\""));
    assert_non_null(strstr(out, "\"softbounce\":0"));  /* hard */
    assert_non_null(strstr(out, "\"softbounce\":1"));  /* blocked */
    assert_non_null(strstr(out, "\"softbounce\":-1")); /* feedback */
    assert_non_null(strstr(out, "\"feedbacktype\":\"abuse\""));
    free(out);
}

static void test_json_array_shapes(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    smtpdx_writer *w = NULL;

    assert_int_equal(smtpdx_writer_new(f, SMTPDX_FMT_JSON, 0, &w), SMTPDX_OK);
    assert_int_equal(smtpdx_writer_finish(w), SMTPDX_OK);
    assert_int_equal(smtpdx_writer_finish(w), SMTPDX_OK); /* idempotent */
    smtpdx_writer_free(w);
    fclose(f);
    assert_string_equal(buf, "[]\n");
    free(buf);

    char *out = write_records(SMTPDX_FMT_JSON, 0, &len);
    assert_true(json_valid(out, len));
    assert_true(out[0] == '[');
    free(out);
}

static void test_csv_quoting(void **state)
{
    (void)state;
    size_t len;
    char *out = write_records(SMTPDX_FMT_CSV, 0, &len);

    assert_no_controls(out, len, 1);
    assert_utf8(out, len);
    /* header, CRLF line ends (RFC 4180 section 2) */
    assert_memory_equal(out, "date,recipient,addresser,reason,", 32);
    assert_non_null(strstr(out, ",summary\r\n"));
    assert_non_null(strstr(out, ",retry,retry_until,deliverystatus,"));
    /* retry_until in the record's zone; empty where the report gave none */
    assert_non_null(strstr(out, ",fix-then-retry,2026-12-05T12:14:19+0900,,,,"));
    assert_non_null(strstr(out, ",do-not-retry,,5.1.1,550,"));
    /* a field with a comma, quotes and a line break is quoted, quotes doubled */
    assert_non_null(strstr(out, "2026-11-28T12:14:19+0900,bob@example.com,"));
    /* a formula is defused */
    assert_non_null(strstr(out, ",'=cmd|' /C calc'!A0@example.org,"));
    assert_non_null(strstr(out, ",'-2+3+cmd|'!A0@example.net,"));
    /* diagnosticcode: quoted because of its quotes, escapes gone */
    assert_non_null(strstr(out, ",\"550 5.1.1 \"\"quoted\"\" back\\slash"));
    assert_null(strchr(out, '\x1b'));
    free(out);

    /* no record: the header row alone, one line */
    smtpdx_records *none = smtpdx_records_new();
    assert_non_null(none);
    out = write_set(none, SMTPDX_FMT_CSV, 0, &len);
    assert_memory_equal(out, "date,recipient,addresser,reason,", 32);
    assert_ptr_equal(strchr(out, '\n'), out + len - 1);
    free(out);

    out = write_expl(SMTPDX_FMT_CSV, 0, &len);
    assert_memory_equal(out, "input,code,enhanced,", 20);
    assert_non_null(strstr(out, "\r\n\"550 5.1.1 \"\"quoted"));
    assert_no_controls(out, len, 1);
    free(out);
}

static void test_table_neutralised(void **state)
{
    (void)state;
    size_t len;
    char *out = write_expl(SMTPDX_FMT_TABLE, 0, &len);

    assert_no_controls(out, len, 0);
    assert_utf8(out, len);
    assert_non_null(strstr(out, "\\x1b[31mred"));   /* shown, not obeyed */
    assert_non_null(strstr(out, "\\x07"));
    assert_non_null(strstr(out, "\\u202e"));
    assert_non_null(strstr(out, "USERUNKNOWN"));
    assert_non_null(strstr(out, "1. Check the address"));
    assert_non_null(strstr(out, "enhanced.5.1.1 on '"));
    assert_non_null(strstr(out, "Conflict"));
    free(out);

    out = write_expl(SMTPDX_FMT_TABLE, SMTPDX_OUT_COLOR, &len);
    assert_only_sgr(out, len);
    assert_non_null(strstr(out, "\x1b[1;31mUSERUNKNOWN"));
    free(out);
}

/* An input past what the table cleans at once (1 MiB) is cut at a
 * character boundary and says so with "...", however the cut falls. */
static void test_table_cut_long_input(void **state)
{
    (void)state;
    for (size_t shift = 0; shift < 3; shift++) {
        size_t n = 1100000 + shift; /* "x" * shift, then U+00E9 ... */
        char *in = malloc(n);
        assert_non_null(in);
        memset(in, 'x', shift);
        for (size_t i = shift; i + 1 < n; i += 2)
            memcpy(in + i, "\xc3\xa9", 2);
        in[n - 1] = 'z';
        smtpdx_explanation e;
        hostile_expl(&e);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        smtpdx_writer *w = NULL;
        assert_int_equal(smtpdx_writer_new(f, SMTPDX_FMT_TABLE, 0, &w),
                         SMTPDX_OK);
        assert_int_equal(smtpdx_writer_explanation(w, in, n, NULL, &e),
                         SMTPDX_OK);
        assert_int_equal(smtpdx_writer_finish(w), SMTPDX_OK);
        smtpdx_writer_free(w);
        fclose(f);
        assert_utf8(buf, len);
        const char *cut = strstr(buf, "\xc3\xa9...");
        assert_non_null(cut);
        assert_null(strchr(buf, 'z')); /* the end was not shown */
        free(buf);
        free(in);
    }
}

static void test_table_records(void **state)
{
    (void)state;
    size_t len;
    char *out = write_records(SMTPDX_FMT_TABLE, 0, &len);

    assert_no_controls(out, len, 0);
    /* the summary comes first, grouped by reason, with counts */
    assert_memory_equal(out, "3 records: 1 permanent, 1 temporary", 35);
    char *sum = strstr(out, "REASON");
    char *rec = strstr(out, "bob@example.com");
    assert_non_null(sum);
    assert_non_null(rec);
    assert_true(sum < rec);
    assert_non_null(strstr(out, "userunknown              1  user-unknown (1)"));
    assert_non_null(strstr(out, "blocked                  1  dnsbl-listed (1)"));
    assert_non_null(strstr(out, "queue id 4AB12C0123"));
    assert_non_null(strstr(out, "subject a, \"b\" | next line"));
    free(out);
}

/* A writer of fmt into a memory stream (*f, its text in *buf). */
static smtpdx_writer *mem_writer(smtpdx_format fmt, unsigned flags, FILE **f,
                                 char **buf, size_t *len)
{
    smtpdx_writer *w = NULL;
    *buf = NULL;
    *f = open_memstream(buf, len);
    assert_non_null(*f);
    assert_int_equal(smtpdx_writer_new(*f, fmt, flags, &w), SMTPDX_OK);
    return w;
}

/* One record for domain with reason, into rs. */
static void dest_record(smtpdx_records *rs, const char *domain,
                        smtpdx_reason reason)
{
    smtpdx_record *r = sx_records_add(rs);
    assert_non_null(r);
    smtpdx_explanation e;
    memset(&e, 0, sizeof e);
    e.reason = reason;
    e.temporary = 0;
    assert_int_equal(sx_record_set_why(r, &e, NULL, 0), SMTPDX_OK);
    sx_record_sets(r, &r->destination, domain);
}

/* The table's summary alone (--summary) of every record of rs. */
static char *summary_text(const smtpdx_records *rs)
{
    size_t len;
    return write_all(rs, SMTPDX_FMT_TABLE, SMTPDX_OUT_SUMMARY, &len);
}

/* The summary's failures by destination: the most failing domains first
 * (names compared without case), their reasons by count, the rest in one
 * line; complaints are no failures; past 10,000 domains the tally says it
 * no longer tells them apart. */
static void test_table_destinations(void **state)
{
    (void)state;
    smtpdx_records *rs = smtpdx_records_new();
    assert_non_null(rs);
    dest_record(rs, "Big.Example", SMTPDX_R_USERUNKNOWN);
    dest_record(rs, "big.example", SMTPDX_R_BLOCKED);
    dest_record(rs, "BIG.EXAMPLE", SMTPDX_R_USERUNKNOWN);
    dest_record(rs, "big.example", SMTPDX_R_FEEDBACK);
    dest_record(rs, "mid.example", SMTPDX_R_MAILBOXFULL);
    dest_record(rs, "mid.example", SMTPDX_R_MAILBOXFULL);
    char name[32];
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof name, "d%d.example", i);
        dest_record(rs, name, SMTPDX_R_HOSTUNKNOWN);
    }
    char *buf = summary_text(rs);
    char *at = strstr(buf, "FAILED AT");
    assert_non_null(at);
    char *big = strstr(at, "\n  big.example ");
    char *mid = strstr(at, "\n  mid.example ");
    assert_non_null(big);
    assert_non_null(mid);
    assert_true(big < mid);
    assert_non_null(strstr(big, " 3  userunknown (2), blocked (1)\n"));
    assert_non_null(strstr(mid, " 2  mailboxfull (2)\n"));
    /* d0..d7 shown, in name order on equal counts; d8 and d9 summed */
    assert_non_null(strstr(at, "\n  d7.example "));
    assert_null(strstr(at, "\n  d8.example "));
    assert_non_null(strstr(at, "\n  and 2 more failures at 2 other domains\n"));
    free(buf);

    /* bounded: 10,004 domains */
    smtpdx_records_clear(rs);
    for (int i = 0; i < 10004; i++) {
        snprintf(name, sizeof name, "n%d.example", i);
        dest_record(rs, name, SMTPDX_R_USERUNKNOWN);
    }
    buf = summary_text(rs);
    assert_non_null(strstr(buf, "\n  and 9994 more failures at other domains "
                                "(past the first 10000 domains"));
    free(buf);
    smtpdx_records_free(rs);
}

/* smtpdx_writer_flush(), for an input that paused: the table prints the
 * summary of the records so far and their blocks at the first flush, each
 * later block at once, and the summary of all at the end; --summary
 * prints the summary at a flush only when records came since the last;
 * NDJSON is only flushed. */
static void test_table_flush(void **state)
{
    (void)state;
    smtpdx_records *rs = sample_records();
    char *buf;
    size_t len = 0;
    FILE *f;
    smtpdx_writer *w = mem_writer(SMTPDX_FMT_TABLE, 0, &f, &buf, &len);
    assert_int_equal(smtpdx_writer_record(w, smtpdx_records_get(rs, 0)),
                     SMTPDX_OK);
    assert_int_equal(smtpdx_writer_record(w, smtpdx_records_get(rs, 1)),
                     SMTPDX_OK);
    assert_int_equal(len, 0); /* gathered behind the summary */
    assert_int_equal(smtpdx_writer_flush(w), SMTPDX_OK);
    assert_memory_equal(buf, "2 records: 1 permanent, 1 temporary", 35);
    assert_non_null(strstr(buf, "bob@example.com"));
    assert_non_null(strstr(buf, "ann@example.net"));
    size_t at_flush = len;
    assert_int_equal(smtpdx_writer_flush(w), SMTPDX_OK);
    assert_int_equal(len, at_flush); /* nothing new: nothing more */
    assert_int_equal(smtpdx_writer_record(w, smtpdx_records_get(rs, 2)),
                     SMTPDX_OK);
    assert_int_equal(fflush(f), 0);
    assert_true(len > at_flush);
    assert_non_null(strstr(buf + at_flush, "carl@example.net"));
    assert_null(strstr(buf + at_flush, "records:"));
    assert_int_equal(smtpdx_writer_finish(w), SMTPDX_OK);
    assert_non_null(strstr(buf + at_flush, "\n3 records: 1 permanent"));
    smtpdx_writer_free(w);
    fclose(f);
    free(buf);

    /* --summary */
    w = mem_writer(SMTPDX_FMT_TABLE, SMTPDX_OUT_SUMMARY, &f, &buf, &len);
    assert_int_equal(smtpdx_writer_flush(w), SMTPDX_OK);
    assert_int_equal(len, 0); /* no record yet: no summary */
    assert_int_equal(smtpdx_writer_record(w, smtpdx_records_get(rs, 0)),
                     SMTPDX_OK);
    assert_int_equal(smtpdx_writer_flush(w), SMTPDX_OK);
    assert_memory_equal(buf, "1 record: 1 permanent", 21);
    at_flush = len;
    assert_int_equal(smtpdx_writer_flush(w), SMTPDX_OK);
    assert_int_equal(len, at_flush);
    assert_int_equal(smtpdx_writer_record(w, smtpdx_records_get(rs, 1)),
                     SMTPDX_OK);
    assert_int_equal(smtpdx_writer_flush(w), SMTPDX_OK);
    assert_non_null(strstr(buf + at_flush, "\n2 records: 1 permanent"));
    assert_null(strstr(buf, "bob@example.com")); /* no blocks */
    assert_int_equal(smtpdx_writer_finish(w), SMTPDX_OK);
    assert_int_equal(smtpdx_writer_flush(w), SMTPDX_OK); /* after: a no-op */
    smtpdx_writer_free(w);
    fclose(f);
    free(buf);

    /* NDJSON: the line is out at once; a flush adds nothing */
    w = mem_writer(SMTPDX_FMT_NDJSON, 0, &f, &buf, &len);
    assert_int_equal(smtpdx_writer_record(w, smtpdx_records_get(rs, 1)),
                     SMTPDX_OK);
    assert_int_equal(smtpdx_writer_flush(w), SMTPDX_OK);
    assert_true(ndjson_valid(buf, len));
    assert_non_null(strstr(buf, "ann@example.net"));
    assert_int_equal(buf[len - 1], '\n');
    smtpdx_writer_free(w);
    fclose(f);
    free(buf);
    assert_int_equal(smtpdx_writer_flush(NULL), SMTPDX_ERR_INVAL);
    smtpdx_records_free(rs);
}

/* The summary counts every (reason, cause) pair however many come before
 * it: a cause first met after a hundred others, and the most common one,
 * is listed first under its reason. */
static void test_table_many_causes(void **state)
{
    (void)state;
    size_t len = 0;
    smtpdx_records *rs = smtpdx_records_new();
    char causes[100][16];
    assert_non_null(rs);
    for (int i = 0; i < 100 + 5; i++) {
        smtpdx_record *r = sx_records_add(rs);
        smtpdx_explanation e;
        assert_non_null(r);
        memset(&e, 0, sizeof(e));
        e.reason = i < 100 ? SMTPDX_R_BLOCKED : SMTPDX_R_NOTACCEPT;
        if (i < 100) {
            snprintf(causes[i], sizeof causes[i], "cause-%03d", i);
            e.cause = causes[i];
        } else {
            e.cause = "null-mx";
        }
        e.temporary = 0;
        assert_int_equal(sx_record_set_why(r, &e, NULL, 0), SMTPDX_OK);
        sx_record_sets(r, &r->recipient, "x@example.net");
    }
    char *buf = write_set(rs, SMTPDX_FMT_TABLE, 0, &len);
    assert_non_null(strstr(buf, "notaccept                5  null-mx (5)\n"));
    assert_non_null(strstr(buf, "blocked                100  cause-000 (1), "
                                "cause-001 (1), cause-002 (1), ...\n"));
    free(buf);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    smtpdx_writer *w = (smtpdx_writer *)1;
    smtpdx_explanation e;
    memset(&e, 0, sizeof(e));

    assert_int_equal(smtpdx_writer_new(NULL, SMTPDX_FMT_JSON, 0, &w),
                     SMTPDX_ERR_INVAL);
    assert_null(w);
    assert_int_equal(smtpdx_writer_new(stdout, (smtpdx_format)42, 0, &w),
                     SMTPDX_ERR_INVAL);
    assert_int_equal(smtpdx_writer_record(NULL, NULL), SMTPDX_ERR_INVAL);
    assert_int_equal(smtpdx_writer_explanation(NULL, "x", 1, NULL, &e),
                     SMTPDX_ERR_INVAL);
    assert_int_equal(smtpdx_writer_finish(NULL), SMTPDX_ERR_INVAL);
    smtpdx_writer_free(NULL);
}

/* A record whose strings outgrow its first arena block, cleared and then
 * freed without being reused (as a reader that clears its batch after
 * writing it does at the end), or reused for longer strings: no block may
 * be freed twice or read after it is freed (the sanitizer build checks
 * that), and a reused record holds what was set last. */
static void test_records_clear_reuse_free(void **state)
{
    (void)state;
    enum { LONG = 5000 };
    char *big = malloc(LONG + 1);
    assert_non_null(big);
    for (int round = 0; round < 3; round++) {
        smtpdx_records *rs = smtpdx_records_new();
        assert_non_null(rs);
        for (int i = 0; i <= round; i++) {
            memset(big, 'a' + i, LONG);
            big[LONG] = '\0';
            smtpdx_record *r = sx_records_add(rs);
            assert_non_null(r);
            assert_int_equal(sx_record_sets(r, &r->diagnosticcode, big),
                             SMTPDX_OK);
            assert_int_equal(sx_record_sets(r, &r->recipient, "a@example.org"),
                             SMTPDX_OK);
        }
        smtpdx_records_clear(rs);
        assert_int_equal(smtpdx_records_count(rs), 0);
        if (round == 1) {
            /* reused: the cleared records come back empty */
            smtpdx_record *r = sx_records_add(rs);
            assert_non_null(r);
            assert_string_equal(r->diagnosticcode, "");
            memset(big, 'z', LONG);
            assert_int_equal(sx_record_sets(r, &r->diagnosticcode, big),
                             SMTPDX_OK);
            assert_int_equal(strlen(r->diagnosticcode), LONG);
            assert_int_equal(r->diagnosticcode[LONG - 1], 'z');
            smtpdx_records_clear(rs);
            smtpdx_records_clear(rs); /* twice: nothing left to trim */
        }
        smtpdx_records_free(rs);
    }
    free(big);
}

/* With fault injection built in, every allocation of a writer's life fails
 * once in turn; each must come back as SMTPDX_ERR_NOMEM, never a crash. */
static void test_alloc_failures(void **state)
{
    (void)state;
    for (unsigned long n = 1; n < 64; n++) {
        char *buf = NULL;
        size_t len;
        FILE *f = open_memstream(&buf, &len);
        smtpdx_writer *w = NULL;
        smtpdx_explanation e;
        hostile_expl(&e);
        sx_alloc_fail_after(n);
        smtpdx_status st = smtpdx_writer_new(f, SMTPDX_FMT_TABLE, 0, &w);
        if (st == SMTPDX_OK) {
            st = smtpdx_writer_explanation(w, hostile, HOSTILE_LEN,
                                           hostile_reply(), &e);
            smtpdx_writer_finish(w);
        }
        unsigned long made = sx_alloc_fail_after(0);
        assert_true(st == SMTPDX_OK || st == SMTPDX_ERR_NOMEM);
        smtpdx_writer_free(w);
        fclose(f);
        free(buf);
        if (made < n)
            break; /* every allocation has had its turn */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_decode),
        cmocka_unit_test(test_validator_rejects),
        cmocka_unit_test(test_json_hostile),
        cmocka_unit_test(test_ndjson_and_sisimai_lines),
        cmocka_unit_test(test_json_array_shapes),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_table_neutralised),
        cmocka_unit_test(test_table_cut_long_input),
        cmocka_unit_test(test_table_records),
        cmocka_unit_test(test_table_destinations),
        cmocka_unit_test(test_table_flush),
        cmocka_unit_test(test_table_many_causes),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_records_clear_reuse_free),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
