/*
 * test_limits.c - every documented input limit (docs/limits.md), crossed
 * by one byte or one item, through the library calls: the result must be
 * a clear error or a cut result that says it was cut, and never more than
 * the limit allows.
 *
 * Inputs are built in memory here; nothing large is stored in the tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime/cursor.h"
#include "mime/mime.h"
#include "smtpdx.h"
#include "testutil.h"

/* A growable text for building inputs (test side: plain malloc). */
typedef struct gen {
    char *s;
    size_t n, cap;
} gen;

static void gen_reserve(gen *g, size_t n)
{
    if (g->n + n + 1 <= g->cap)
        return;
    size_t cap = g->cap ? g->cap : 4096;
    while (cap < g->n + n + 1)
        cap *= 2;
    g->s = realloc(g->s, cap);
    assert_non_null(g->s);
    g->cap = cap;
}

static void gen_add(gen *g, const char *s, size_t n)
{
    gen_reserve(g, n);
    memcpy(g->s + g->n, s, n);
    g->n += n;
    g->s[g->n] = '\0';
}

static void gen_puts(gen *g, const char *s)
{
    gen_add(g, s, strlen(s));
}

static void gen_printf(gen *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void gen_printf(gen *g, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    assert_true(k >= 0 && (size_t)k < sizeof buf);
    gen_add(g, buf, (size_t)k);
}

static void gen_fill(gen *g, char c, size_t n)
{
    gen_reserve(g, n);
    memset(g->s + g->n, c, n);
    g->n += n;
    g->s[g->n] = '\0';
}

static const char dsn_head[] =
    "From: MAILER-DAEMON@mx.example.com\n"
    "To: alice@example.com\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status; "
    "boundary=\"B\"\n\n"
    "--B\nContent-Type: text/plain\n\nDelivery failed.\n\n"
    "--B\nContent-Type: message/delivery-status\n\n"
    "Reporting-MTA: dns; mx.example.com\n\n";

/* ------------------------------------------------------------- replies */

/* SMTPDX_REPLY_TEXT_MAX: a longer reply is cut there and flagged. */
static void test_reply_text_max(void **state)
{
    (void)state;
    gen g = {0};
    gen_puts(&g, "550 5.1.1 ");
    gen_fill(&g, 'x', SMTPDX_REPLY_TEXT_MAX + 1);
    smtpdx_reply *r = smtpdx_reply_new();
    assert_non_null(r);
    smtpdx_status st = smtpdx_reply_parse(r, g.s, g.n);
    assert_true(st == SMTPDX_OK || st == SMTPDX_ERR_LIMIT);
    assert_true(r->text_len <= SMTPDX_REPLY_TEXT_MAX);
    assert_true(r->flags & SMTPDX_REPLY_TRUNCATED);
    assert_int_equal(r->code, 550);

    /* exactly at the limit: nothing cut */
    g.n = 0;
    gen_puts(&g, "550 ");
    gen_fill(&g, 'y', SMTPDX_REPLY_TEXT_MAX - 4);
    st = smtpdx_reply_parse(r, g.s, g.n);
    assert_int_equal(st, SMTPDX_OK);
    assert_false(r->flags & SMTPDX_REPLY_TRUNCATED);
    smtpdx_reply_free(r);
    free(g.s);
}

/* smtpdx_reply.host holds 255 bytes: a host named with more is not
 * taken (the field stays empty), one of 255 is; the code is read either
 * way. */
static void test_reply_host_max(void **state)
{
    (void)state;
    smtpdx_reply *r = smtpdx_reply_new();
    assert_non_null(r);
    static const size_t lens[] = {255, 256, 400};
    for (size_t k = 0; k < 3; k++) {
        gen g = {0};
        gen_puts(&g, "host ");
        gen_fill(&g, 'h', lens[k] - 12);
        gen_puts(&g, ".example.net[192.0.2.1] said: 550 5.1.1 User unknown");
        assert_int_equal(smtpdx_reply_parse(r, g.s, g.n), SMTPDX_OK);
        assert_int_equal(r->code, 550);
        if (lens[k] <= 255) {
            assert_int_equal(strlen(r->host), lens[k]);
            assert_string_equal(r->addr, "192.0.2.1");
        } else {
            assert_string_equal(r->host, "");
        }
        free(g.s);
    }
    smtpdx_reply_free(r);
}

/* ---------------------------------------------------------------- MIME */

static void parse_or_fail(sx_msg *m, const gen *g)
{
    sx_msg_init(m, NULL);
    assert_int_equal(sx_msg_parse(m, g->s, g->n), SMTPDX_OK);
}

/* SX_MIME_MAX_DEPTH: deeper entities are kept as leaves and flagged. */
static void test_mime_depth(void **state)
{
    (void)state;
    gen g = {0};
    unsigned n = SX_MIME_MAX_DEPTH + 8;
    gen_puts(&g, "Content-Type: multipart/mixed; boundary=\"b0\"\n\n");
    for (unsigned i = 1; i < n; i++)
        gen_printf(&g, "--b%u\nContent-Type: multipart/mixed; "
                       "boundary=\"b%u\"\n\n", i - 1, i);
    gen_printf(&g, "--b%u\nContent-Type: text/plain\n\ndeep\n", n - 1);
    for (unsigned i = n; i-- > 0;)
        gen_printf(&g, "--b%u--\n", i);
    sx_msg m;
    parse_or_fail(&m, &g);
    assert_true(m.flags & SX_MSG_F_DEPTH_LIMIT);
    unsigned flagged = 0;
    for (uint32_t i = 0; i < m.nparts; i++) {
        assert_true(m.parts[i].depth <= SX_MIME_MAX_DEPTH);
        flagged += (m.parts[i].flags & SX_PART_F_DEPTH_LIMIT) != 0;
    }
    assert_true(flagged >= 1);
    sx_msg_release(&m);
    free(g.s);
}

/* SX_MIME_MAX_PARTS: later entities are not listed; flagged. */
static void test_mime_parts(void **state)
{
    (void)state;
    gen g = {0};
    gen_puts(&g, "Content-Type: multipart/mixed; boundary=\"p\"\n\n");
    for (unsigned i = 0; i < SX_MIME_MAX_PARTS + 10; i++)
        gen_printf(&g, "--p\nContent-Type: text/plain\n\npart %u\n", i);
    gen_puts(&g, "--p--\n");
    sx_msg m;
    parse_or_fail(&m, &g);
    assert_int_equal(m.nparts, SX_MIME_MAX_PARTS);
    assert_true(m.flags & SX_MSG_F_PART_LIMIT);
    sx_msg_release(&m);
    free(g.s);
}

/* SX_MIME_MAX_HEADERS: later fields of a block are not listed; flagged. */
static void test_mime_headers(void **state)
{
    (void)state;
    gen g = {0};
    for (unsigned i = 0; i < SX_MIME_MAX_HEADERS + 5; i++)
        gen_printf(&g, "X-Field-%u: %u\n", i, i);
    gen_puts(&g, "\nbody\n");
    sx_msg m;
    parse_or_fail(&m, &g);
    assert_true(m.nhdrs <= SX_MIME_MAX_HEADERS);
    assert_true(m.flags & SX_MSG_F_HDR_LIMIT);
    sx_msg_release(&m);
    free(g.s);
}

/* Parse g's message, which must parse, into a new list; *ctx gets the
 * context it was read with. The caller frees both. */
static smtpdx_records *parse_ok(const gen *g, smtpdx_ctx **ctx)
{
    assert_int_equal(smtpdx_ctx_new(ctx), SMTPDX_OK);
    smtpdx_records *rs = smtpdx_records_new();
    assert_non_null(rs);
    assert_int_equal(smtpdx_bounce_parse(*ctx, g->s, g->n, "limits", rs),
                     SMTPDX_OK);
    return rs;
}

/* SX_MIME_MAX_HDR_BLOCK: a longer header block ends there; flagged. */
static void test_mime_header_block(void **state)
{
    (void)state;
    gen g = {0};
    while (g.n <= SX_MIME_MAX_HDR_BLOCK)
        gen_puts(&g, "X-Filler: some words to fill a header block with\n");
    gen_puts(&g, "\nbody\n");
    sx_msg m;
    parse_or_fail(&m, &g);
    /* the check is made at the start of each line: the block ends with
     * the first line that starts past the limit */
    assert_true(m.parts[0].header.len <= SX_MIME_MAX_HDR_BLOCK + 64);
    assert_true(m.flags & SX_MSG_F_HDR_LIMIT);
    /* the body still starts after the blank line: the rest of the block
     * is no body text */
    assert_int_equal(m.parts[0].body.len, 5);
    assert_memory_equal(m.parts[0].body.p, "body\n", 5);
    sx_msg_release(&m);
    free(g.s);
}

/* A notice whose own header block passes the limit (a To: field of many
 * thousand addresses) is still read from its body, and its records say
 * that header fields were left out; the addresses of the endless field
 * are no recipients. */
static void test_bounce_header_block(void **state)
{
    (void)state;
    gen g = {0};
    gen_puts(&g, "From: MAILER-DAEMON@mx.example.com\n"
                 "Subject: Undelivered Mail Returned to Sender\n"
                 "To: u0@example.org");
    for (int i = 1; g.n <= SX_MIME_MAX_HDR_BLOCK + 1000; i++)
        gen_printf(&g, ",\n u%d@example.org", i);
    gen_puts(&g, "\n\n<bob@example.net>: host mx.example.net[192.0.2.7] "
                 "said: 550 5.1.1 User unknown (in reply to RCPT TO "
                 "command)\n");
    smtpdx_ctx *ctx = NULL;
    smtpdx_records *rs = parse_ok(&g, &ctx);
    assert_int_equal(smtpdx_records_count(rs), 1);
    assert_string_equal(smtpdx_records_get(rs, 0)->recipient,
                        "bob@example.net");
    assert_true(smtpdx_records_get(rs, 0)->truncated & SMTPDX_CUT_HEADER);
    smtpdx_records_free(rs);
    smtpdx_ctx_free(ctx);
    free(g.s);
}

/* SX_MIME_MAX_FIELD: a longer field (folded lines counted) is cut. */
static void test_mime_field(void **state)
{
    (void)state;
    gen g = {0};
    gen_puts(&g, "Subject: start\n");
    while (g.n <= SX_MIME_MAX_FIELD + 100)
        gen_puts(&g, " folded words of one very long header field\n");
    gen_puts(&g, "To: bob@example.net\n\nbody\n");
    sx_msg m;
    parse_or_fail(&m, &g);
    const sx_hdr *h = sx_msg_header_raw(&m, NULL, "Subject", 0);
    assert_non_null(h);
    assert_true(h->value.len <= SX_MIME_MAX_FIELD);
    assert_true(m.parts[0].flags & SX_PART_F_FIELD_LIMIT);
    /* the field after it is still found */
    assert_non_null(sx_msg_header_raw(&m, NULL, "To", 0));
    sx_msg_release(&m);
    free(g.s);
}

/* SX_MIME_MAX_MESSAGE: a larger message is refused with a clear error. */
static void test_mime_message_size(void **state)
{
    (void)state;
    size_t n = (size_t)SX_MIME_MAX_MESSAGE + 1;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'a', n);
    memcpy(big, "Subject: x\n\n", 12);
    sx_msg m;
    sx_msg_init(&m, NULL);
    assert_int_equal(sx_msg_parse(&m, big, n), SMTPDX_ERR_LIMIT);
    assert_int_equal(m.nparts, 0);
    assert_int_equal(sx_msg_parse(&m, big, n - 1), SMTPDX_OK);
    sx_msg_release(&m);
    free(big);
}

/* SX_MIME_MAX_WORDS: RFC 2047 words past the limit stay as written. */
static void test_mime_encoded_words(void **state)
{
    (void)state;
    gen g = {0};
    sx_sbuf out;
    sx_sbuf_init(&out, 1u << 20);
    for (unsigned i = 0; i < SX_MIME_MAX_WORDS + 3; i++)
        gen_puts(&g, "=?UTF-8?Q?a?= ");
    assert_int_equal(sx_hdr_decode(g.s, g.n, &out), SMTPDX_OK);
    /* the first SX_MIME_MAX_WORDS words are decoded ("a" each, blanks
     * between words dropped), the rest are left encoded */
    assert_true(out.len >= SX_MIME_MAX_WORDS);
    assert_non_null(strstr(out.data, "=?UTF-8?Q?a?="));
    assert_int_equal(strspn(out.data, "a"), SX_MIME_MAX_WORDS);
    sx_sbuf_release(&out);
    free(g.s);
}

/* -------------------------------------------------------------- bounce */

/* SX_BOUNCE_MAX_RCPTS (1000): the first recipients are kept. */
/* A CR-only message is read as one even when its first line is longer
 * than the bytes the line-end guess used to sample (4 KiB): the same
 * parts and fields as its LF original. */
static void test_mime_cr_long_first_line(void **state)
{
    (void)state;
    gen g = {0};
    gen_puts(&g, "X-Long: ");
    gen_fill(&g, 'l', 5000);
    gen_puts(&g, "\nSubject: s\nMIME-Version: 1.0\nContent-Type: multipart/"
                 "mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n"
                 "one\n--b\nContent-Type: text/plain\n\ntwo\n--b--\n");
    sx_msg m;
    parse_or_fail(&m, &g);
    uint32_t nparts = m.nparts, nhdrs = m.nhdrs;
    sx_msg_release(&m);
    assert_int_equal(nparts, 3);
    for (size_t i = 0; i < g.n; i++)
        if (g.s[i] == '\n')
            g.s[i] = '\r';
    assert_int_equal(sx_eol_detect(g.s, g.n, NULL), '\r');
    parse_or_fail(&m, &g);
    assert_int_equal(m.nparts, nparts);
    assert_int_equal(m.nhdrs, nhdrs);
    sx_msg_release(&m);
    free(g.s);
}

/* A field of a delivery-status part is at most SX_MIME_MAX_FIELD bytes:
 * one 100 KiB line is cut there, and so is a folded value whose second
 * line crosses it (the part that fits is kept); a UTF-8 character is not
 * split. */
static void test_dsn_field_max(void **state)
{
    (void)state;
    for (int folded = 0; folded < 2; folded++) {
        gen g = {0};
        gen_puts(&g, "Final-Recipient: rfc822; bob@example.net\n"
                     "Diagnostic-Code: smtp; 550 ");
        gen_fill(&g, 'x', folded ? 40u * 1024u : 100u * 1024u);
        if (folded) {
            /* the value so far: "smtp; 550 ", 40 KiB, a blank: the first
             * "\xc3\xa9" starts one byte before the limit */
            gen_puts(&g, "\n ");
            gen_fill(&g, 'y', SX_MIME_MAX_FIELD - 1 - (10 + 40u * 1024u + 1));
            gen_puts(&g, "\xc3\xa9\xc3\xa9");
        }
        gen_puts(&g, "\nStatus: 5.1.1\n");
        sx_dsn_iter it;
        sx_dsn_field f;
        sx_dsn_iter_init(&it, g.s, g.n);
        int seen = 0;
        while (sx_dsn_fields_next(&it, &f) == SMTPDX_OK) {
            assert_true(f.value.len <= SX_MIME_MAX_FIELD);
            if (f.name.len == 15 && memcmp(f.name.p, "Diagnostic-Code", 15) == 0) {
                seen = 1;
                assert_int_equal(f.value.len, folded ? SX_MIME_MAX_FIELD - 1
                                                     : SX_MIME_MAX_FIELD);
                /* no split character: the value ends in ASCII or a whole
                 * two-byte one */
                unsigned char last = (unsigned char)f.value.p[f.value.len - 1];
                assert_true(last < 0x80 || (last & 0xC0) == 0x80);
                if (last >= 0x80)
                    assert_int_equal((unsigned char)f.value.p[f.value.len - 2],
                                     0xc3);
            }
            if (f.name.len == 6 && memcmp(f.name.p, "Status", 6) == 0)
                assert_true(f.value.len == 5 && !memcmp(f.value.p, "5.1.1", 5));
        }
        assert_true(seen);
        sx_dsn_iter_release(&it);
        free(g.s);
    }
}

static void test_bounce_recipients(void **state)
{
    (void)state;
    gen g = {0};
    gen_puts(&g, dsn_head);
    for (unsigned i = 0; i < 1500; i++)
        gen_printf(&g, "Final-Recipient: rfc822; u%u@example.net\n"
                       "Action: failed\nStatus: 5.1.1\n\n", i);
    gen_puts(&g, "--B--\n");
    smtpdx_ctx *ctx = NULL;
    assert_int_equal(smtpdx_ctx_new(&ctx), SMTPDX_OK);
    smtpdx_records *rs = smtpdx_records_new();
    assert_non_null(rs);
    smtpdx_status st = smtpdx_bounce_parse(ctx, g.s, g.n, "limits", rs);
    assert_true(st == SMTPDX_OK || st == SMTPDX_ERR_LIMIT);
    size_t n = smtpdx_records_count(rs);
    printf("bounce: 1500 recipients in, %zu records out (%s)\n", n,
           smtpdx_status_name(st));
    assert_true(n >= 1 && n <= 1000);
    assert_string_equal(smtpdx_records_get(rs, 0)->recipient,
                        "u0@example.net");
    /* every record says that recipients were left out, and nothing else */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(smtpdx_records_get(rs, i)->truncated,
                         SMTPDX_CUT_RECIPIENTS);
    smtpdx_records_free(rs);
    smtpdx_ctx_free(ctx);
    free(g.s);
}

/* The same past SX_BOUNCE_MAX_RCPTS in the notices' own text, where a
 * family's reader lists the recipients first: Postfix's paragraphs,
 * Exim's list, X-Failed-Recipients alone. The first 1000 give records,
 * marked cut; none is lost for the limit. */
static void test_bounce_recipients_text(void **state)
{
    (void)state;
    for (int form = 0; form < 3; form++) {
        gen g = {0};
        if (form == 0) {
            gen_puts(&g, "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\n"
                         "Subject: Undelivered Mail Returned to Sender\n\n"
                         "This is the mail system at host mx.example.com.\n\n");
            for (unsigned i = 0; i < 1001; i++)
                gen_printf(&g, "<u%u@example.net>: host mx.example.net"
                               "[192.0.2.7] said: 550 5.1.1 User unknown\n\n",
                           i);
        } else if (form == 1) {
            gen_puts(&g, "From: Mail Delivery System <Mailer-Daemon@mx.example.com>\n"
                         "Subject: Mail delivery failed: returning message to "
                         "sender\n\nThis message was created automatically by "
                         "mail delivery software.\n\nA message that you sent "
                         "could not be delivered to one or more of its\n"
                         "recipients. This is a permanent error. The following "
                         "address(es) failed:\n\n");
            for (unsigned i = 0; i < 1001; i++)
                gen_printf(&g, "  u%u@example.net\n    SMTP error from remote "
                               "mail server after RCPT TO:<u%u@example.net>:\n"
                               "    550 5.1.1 User unknown\n", i, i);
        } else {
            gen_puts(&g, "From: Mail Delivery System <Mailer-Daemon@mx.example.com>\n"
                         "Subject: Mail delivery failed: returning message to "
                         "sender\nX-Failed-Recipients: u0@example.net");
            for (unsigned i = 1; i < 1001; i++)
                gen_printf(&g, ",\n u%u@example.net", i);
            gen_puts(&g, "\n\nThis message was created automatically by mail "
                         "delivery software.\n\n550 5.1.1 User unknown\n");
        }
        smtpdx_ctx *ctx = NULL;
        smtpdx_records *rs = parse_ok(&g, &ctx);
        assert_int_equal(smtpdx_records_count(rs), 1000);
        assert_string_equal(smtpdx_records_get(rs, 0)->recipient,
                            "u0@example.net");
        assert_string_equal(smtpdx_records_get(rs, 999)->recipient,
                            "u999@example.net");
        assert_true(smtpdx_records_get(rs, 0)->truncated &
                    SMTPDX_CUT_RECIPIENTS);
        smtpdx_records_free(rs);
        smtpdx_ctx_free(ctx);
        free(g.s);
    }
}

/* Parse g's message and return its first record's truncated bits. */
static unsigned cut_of(const gen *g, size_t *nrecs)
{
    smtpdx_ctx *ctx = NULL;
    smtpdx_records *rs = parse_ok(g, &ctx);
    *nrecs = smtpdx_records_count(rs);
    assert_true(*nrecs >= 1);
    unsigned cut = smtpdx_records_get(rs, 0)->truncated;
    smtpdx_records_free(rs);
    smtpdx_ctx_free(ctx);
    return cut;
}

/* Under every limit: no mark. */
static void test_bounce_not_cut(void **state)
{
    (void)state;
    gen g = {0};
    gen_puts(&g, dsn_head);
    gen_puts(&g, "Final-Recipient: rfc822; u@example.net\nAction: failed\n"
                 "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 no such "
                 "user\n\n--B--\n");
    size_t n;
    assert_int_equal(cut_of(&g, &n), 0);
    free(g.s);
}

/* SX_BOUNCE_MAX_DIAG (16 KiB): a longer Diagnostic-Code is cut there and
 * its recipient's record marked; the next recipient's is not. */
static void test_bounce_diag_cut(void **state)
{
    (void)state;
    gen g = {0};
    gen_puts(&g, dsn_head);
    gen_puts(&g, "Final-Recipient: rfc822; a@example.net\nAction: failed\n"
                 "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 ");
    gen_fill(&g, 'x', 40000);
    gen_puts(&g, "\n\nFinal-Recipient: rfc822; b@example.net\n"
                 "Action: failed\nStatus: 5.1.1\n\n--B--\n");
    smtpdx_ctx *ctx = NULL;
    assert_int_equal(smtpdx_ctx_new(&ctx), SMTPDX_OK);
    smtpdx_records *rs = smtpdx_records_new();
    assert_int_equal(smtpdx_bounce_parse(ctx, g.s, g.n, "limits", rs),
                     SMTPDX_OK);
    assert_int_equal(smtpdx_records_count(rs), 2);
    const smtpdx_record *a = smtpdx_records_get(rs, 0);
    assert_int_equal(a->truncated, SMTPDX_CUT_DIAGNOSTIC);
    assert_true(strlen(a->diagnosticcode) <= 16u * 1024u);
    assert_int_equal(smtpdx_records_get(rs, 1)->truncated, 0);
    smtpdx_records_free(rs);
    smtpdx_ctx_free(ctx);
    free(g.s);
}

/* SX_BOUNCE_MAX_TEXT (512 KiB) and SX_BOUNCE_MAX_DSN (256 KiB): parts
 * longer than these are read as far as the limit, and marked. */
static void test_bounce_text_and_dsn_cut(void **state)
{
    (void)state;
    gen g = {0};
    gen_puts(&g, "From: MAILER-DAEMON@mx.example.com\n"
                 "To: alice@example.com\n"
                 "Subject: Undelivered Mail Returned to Sender\n"
                 "MIME-Version: 1.0\n"
                 "Content-Type: multipart/report; "
                 "report-type=delivery-status; boundary=\"B\"\n\n"
                 "--B\nContent-Type: text/plain\n\nDelivery failed.\n");
    for (int i = 0; i < 12000; i++) /* 600 KB of text */
        gen_puts(&g, "This line only fills the notification up to a size.\n");
    gen_puts(&g, "\n--B\nContent-Type: message/delivery-status\n\n"
                 "Reporting-MTA: dns; mx.example.com\n\n"
                 "Final-Recipient: rfc822; u@example.net\nAction: failed\n"
                 "Status: 5.1.1\n\n");
    for (int i = 0; i < 6000; i++) /* 300 KB of fields nobody reads */
        gen_puts(&g, "X-Padding: fills the delivery-status part past it\n");
    gen_puts(&g, "\n--B--\n");
    size_t n;
    unsigned cut = cut_of(&g, &n);
    assert_true(cut & SMTPDX_CUT_TEXT);
    assert_true(cut & SMTPDX_CUT_DSN);
    free(g.s);
}

/* The same text limit when the notice's text must be copied to be read:
 * CRLF line ends, quoted-printable, base64, HTML. Its start is kept and
 * read (a UTF-8 character is not split), and the record is marked; it
 * was lost whole, the mail then counted as no bounce. */
static void test_bounce_text_cut_copied(void **state)
{
    (void)state;
    static const char *const forms[] = {"crlf", "qp", "base64", "html"};
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        const char *form = forms[f];
        int crlf = strcmp(form, "crlf") == 0;
        const char *nl = crlf ? "\r\n" : "\n";
        gen g = {0};
        gen_printf(&g, "From: MAILER-DAEMON@mx.example.com%s"
                       "To: alice@example.com%s"
                       "Subject: Undelivered Mail Returned to Sender%s"
                       "MIME-Version: 1.0%s"
                       "Content-Type: text/%s; charset=utf-8%s"
                       "Content-Transfer-Encoding: %s%s%s",
                   nl, nl, nl, nl, strcmp(form, "html") ? "plain" : "html",
                   nl, strcmp(form, "qp") == 0       ? "quoted-printable"
                       : strcmp(form, "base64") == 0 ? "base64"
                                                     : "8bit",
                   nl, nl);
        /* the notice: its recipient and reply first, then 590 KB more */
        gen t = {0};
        gen_puts(&t, strcmp(form, "html") == 0 ? "<p>&lt;bob@example.net&gt;"
                                                : "<bob@example.net>");
        gen_puts(&t, ": host mx.example.net[192.0.2.7] said: 550 5.1.1 User "
                     "unknown (in reply to RCPT TO command)\n\n");
        for (int i = 0; i < 16000; i++) /* 590 KB */
            gen_puts(&t, strcmp(form, "html") == 0
                             ? "<br>caf\xc3\xa9 fills the notice up to a size.\n"
                             : "caf\xc3\xa9 fills the notice up to a size.\n");
        if (strcmp(form, "base64") == 0) {
            static const char b64[] =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            for (size_t i = 0; i < t.n; i += 57) {
                size_t k = t.n - i < 57 ? t.n - i : 57;
                for (size_t j = 0; j < k; j += 3) {
                    unsigned v = (unsigned char)t.s[i + j] << 16;
                    if (j + 1 < k)
                        v |= (unsigned char)t.s[i + j + 1] << 8;
                    if (j + 2 < k)
                        v |= (unsigned char)t.s[i + j + 2];
                    char q[5] = {b64[v >> 18], b64[(v >> 12) & 63],
                                 j + 1 < k ? b64[(v >> 6) & 63] : '=',
                                 j + 2 < k ? b64[v & 63] : '=', 0};
                    gen_puts(&g, q);
                }
                gen_puts(&g, "\n");
            }
        } else {
            for (size_t i = 0; i < t.n; i++) {
                unsigned char c = (unsigned char)t.s[i];
                if (strcmp(form, "qp") == 0 && (c >= 0x80 || c == '='))
                    gen_printf(&g, "=%02X", c);
                else if (crlf && c == '\n')
                    gen_puts(&g, "\r\n");
                else
                    gen_printf(&g, "%c", c);
            }
        }
        free(t.s);
        size_t n;
        unsigned cut = cut_of(&g, &n);
        printf("text cut, %s: %zu record(s), cut %#x\n", form, n, cut);
        assert_int_equal(n, 1);
        assert_true(cut & SMTPDX_CUT_TEXT);
        free(g.s);
    }
}

/* Addresses listed on one long line of a notice of no known family: each
 * record's reply is at most 4 KB of that line, not a copy of all of it
 * (some hundred candidates times half a megabyte). */
static void test_bounce_one_long_line(void **state)
{
    (void)state;
    gen g = {0};
    gen_puts(&g, "From: MAILER-DAEMON@mx.example.com\n"
                 "To: alice@example.com\n"
                 "Subject: Delivery failure\n\n"
                 "Delivery failed: 550 user unknown:");
    for (int i = 0; i < 20000; i++)
        gen_printf(&g, " u%d@example.net", i);
    gen_puts(&g, "\n");
    smtpdx_ctx *ctx = NULL;
    smtpdx_records *rs = parse_ok(&g, &ctx);
    size_t n = smtpdx_records_count(rs);
    assert_true(n >= 1);
    for (size_t i = 0; i < n; i++)
        assert_true(strlen(smtpdx_records_get(rs, i)->diagnosticcode) <= 4100);
    smtpdx_records_free(rs);
    free(g.s);

    /* cut where it is cut, the reply ends with a whole character */
    gen h = {0};
    gen_puts(&h, "From: MAILER-DAEMON@mx.example.com\n"
                 "Subject: Delivery failure\n\n"
                 "u@example.net: 550 x");
    for (int i = 0; i < 3000; i++)
        gen_puts(&h, "\xc3\xa9");
    gen_puts(&h, "\n");
    smtpdx_ctx_free(ctx);
    rs = parse_ok(&h, &ctx);
    assert_true(smtpdx_records_count(rs) >= 1);
    const char *d = smtpdx_records_get(rs, 0)->diagnosticcode;
    size_t dl = strlen(d);
    assert_true(dl > 0 && dl <= 4100);
    /* the last character: ASCII, or the second byte of a whole "é" */
    unsigned char last = (unsigned char)d[dl - 1];
    assert_true(last < 0x80 ||
                (last == 0xa9 && dl >= 2 && (unsigned char)d[dl - 2] == 0xc3));
    smtpdx_records_free(rs);
    smtpdx_ctx_free(ctx);
    free(h.s);
}

/* SX_BOUNCE_MAX_LINES (20,000 lines walked per text): a notice with more
 * lines than that before its returned copy is only partly read, and its
 * records say so; the same lines in the returned copy cut nothing. */
static void test_bounce_lines_cut(void **state)
{
    (void)state;
    for (int in_copy = 0; in_copy <= 1; in_copy++) {
        gen g = {0};
        gen_puts(&g, "From: MAILER-DAEMON@mx.example.com\n"
                     "To: alice@example.com\n"
                     "Subject: Undelivered Mail Returned to Sender\n\n"
                     "Delivery to the following recipient failed:\n\n"
                     "  u@example.net\n"
                     "  550 5.1.1 no such user\n\n");
        if (in_copy)
            gen_puts(&g, "------ This is a copy of the message, including "
                         "all the headers. ------\n");
        for (int i = 0; i < 25000; i++) /* 50 KB: far under the size limit */
            gen_puts(&g, "x\n");
        size_t n;
        assert_int_equal(cut_of(&g, &n), in_copy ? 0 : SMTPDX_CUT_TEXT);
        free(g.s);
    }
}

/* A notice attached to a mail that is attached to a mail ...: three
 * levels of attachment are looked into, not four. */
static void test_bounce_nest(void **state)
{
    (void)state;
    static const char notice[] =
        "From: Mail Gateway <noreply@gw.example.net>\n"
        "Subject: Undeliverable: hello\n\n"
        "Your message could not be delivered:\n\n"
        "<u@example.net>:\n550 5.1.1 no such user\n";
    for (int levels = 0; levels <= 4; levels++) {
        gen g = {0};
        for (int i = 0; i < levels; i++)
            gen_printf(&g,
                       "From: p%d@example.com\nSubject: Fwd: hello\n"
                       "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n"
                       "--b%d\nContent-Type: text/plain\n\nsee below\n"
                       "--b%d\nContent-Type: message/rfc822\n\n",
                       i, i, i, i);
        gen_puts(&g, notice);
        for (int i = levels - 1; i >= 0; i--)
            gen_printf(&g, "\n--b%d--\n", i);
        smtpdx_ctx *ctx = NULL;
        assert_int_equal(smtpdx_ctx_new(&ctx), SMTPDX_OK);
        smtpdx_records *rs = smtpdx_records_new();
        assert_non_null(rs);
        smtpdx_status st = smtpdx_bounce_parse(ctx, g.s, g.n, "nest", rs);
        if (levels <= 3) {
            assert_int_equal(st, SMTPDX_OK);
            assert_int_equal(smtpdx_records_count(rs), 1);
            assert_string_equal(
                smtpdx_records_get(rs, 0)->recipient, "u@example.net");
        } else {
            assert_int_equal(st, SMTPDX_ERR_NOTBOUNCE);
        }
        smtpdx_records_free(rs);
        smtpdx_ctx_free(ctx);
        free(g.s);
    }
}

/* A returned-message header field over 2 KiB is cut and marked. */
static void test_bounce_returned_cut(void **state)
{
    (void)state;
    gen g = {0};
    gen_puts(&g, dsn_head);
    gen_puts(&g, "Final-Recipient: rfc822; u@example.net\nAction: failed\n"
                 "Status: 5.1.1\n\n--B\nContent-Type: message/rfc822\n\n"
                 "From: alice@example.com\nSubject: ");
    gen_fill(&g, 's', 5000);
    gen_puts(&g, "\nMessage-ID: <1@example.com>\n\nhello\n--B--\n");
    size_t n;
    assert_int_equal(cut_of(&g, &n), SMTPDX_CUT_RETURNED);
    free(g.s);
}

/* SMTPDX_MSG_MAX: of a longer buffer the lines that fit are read (the
 * notice and report lead) and every record says the message was read in
 * part; the same head given to smtpdx_bounce_parse_head() is marked as
 * well, and under smtpdx_bounce_parse() it is not. */
static void test_bounce_message_cut(void **state)
{
    (void)state;
    gen g = {0};
    gen_puts(&g, dsn_head);
    gen_puts(&g, "Final-Recipient: rfc822; u@example.net\nAction: failed\n"
                 "Status: 5.1.1\n\nFinal-Recipient: rfc822; v@example.net\n"
                 "Action: failed\nStatus: 5.2.2\n\n--B\n"
                 "Content-Type: message/rfc822\n\n"
                 "From: alice@example.com\nSubject: hi\n\n");
    size_t head = g.n;
    while (g.n < (size_t)SMTPDX_MSG_MAX + 100)
        gen_puts(&g, "a line of the returned copy's body\n");
    gen_puts(&g, "--B--\n");
    smtpdx_ctx *ctx = NULL;
    assert_int_equal(smtpdx_ctx_new(&ctx), SMTPDX_OK);
    smtpdx_records *rs = smtpdx_records_new();
    assert_int_equal(smtpdx_bounce_parse(ctx, g.s, g.n, NULL, rs), SMTPDX_OK);
    assert_int_equal(smtpdx_records_count(rs), 2);
    for (size_t i = 0; i < 2; i++)
        assert_true(smtpdx_records_get(rs, i)->truncated & SMTPDX_CUT_MESSAGE);
    assert_string_equal(smtpdx_records_get(rs, 1)->recipient, "v@example.net");
    assert_string_equal(smtpdx_records_get(rs, 1)->deliverystatus, "5.2.2");
    smtpdx_records_clear(rs);
    /* a head handed out by the reader, small */
    assert_int_equal(smtpdx_bounce_parse_head(ctx, g.s, head, "m", rs),
                     SMTPDX_OK);
    assert_int_equal(smtpdx_records_count(rs), 2);
    assert_int_equal(smtpdx_records_get(rs, 0)->truncated, SMTPDX_CUT_MESSAGE);
    smtpdx_records_clear(rs);
    assert_int_equal(smtpdx_bounce_parse(ctx, g.s, head, "m", rs), SMTPDX_OK);
    assert_int_equal(smtpdx_records_get(rs, 0)->truncated, 0);
    /* records already in the list are left as they were */
    assert_int_equal(smtpdx_bounce_parse_head(ctx, g.s, head, "m", rs),
                     SMTPDX_OK);
    assert_int_equal(smtpdx_records_count(rs), 4);
    assert_int_equal(smtpdx_records_get(rs, 1)->truncated, 0);
    assert_int_equal(smtpdx_records_get(rs, 2)->truncated, SMTPDX_CUT_MESSAGE);
    smtpdx_records_free(rs);
    smtpdx_ctx_free(ctx);
    free(g.s);
}

/* ----------------------------------------------------------------- log */

static smtpdx_logparser *log_new(size_t queue_max, int64_t max_age)
{
    smtpdx_log_options o;
    smtpdx_log_options_init(&o);
    o.utc = 1;
    o.now = 1772445600;
    o.queue_max = queue_max;
    o.queue_max_age = max_age;
    smtpdx_logparser *p = NULL;
    assert_int_equal(smtpdx_logparser_new(&o, &p), SMTPDX_OK);
    return p;
}

/* Lines longer than 64 KiB are counted as unknown, nothing else. */
static void test_log_line(void **state)
{
    (void)state;
    smtpdx_ctx *ctx = NULL;
    assert_int_equal(smtpdx_ctx_new(&ctx), SMTPDX_OK);
    smtpdx_logparser *p = log_new(0, 0);
    smtpdx_records *rs = smtpdx_records_new();
    gen g = {0};
    gen_puts(&g, "Mar  2 10:00:02 mx postfix/smtp[1]: ABC123: "
                 "to=<bob@example.net>, relay=none, dsn=5.1.1, "
                 "status=bounced (host x said: 550 5.1.1 ");
    gen_fill(&g, 'z', 64u * 1024u);
    gen_puts(&g, ")");
    assert_int_equal(smtpdx_logparser_feed(p, ctx, g.s, g.n, rs), SMTPDX_OK);
    assert_int_equal(smtpdx_records_count(rs), 0);
    assert_int_equal(smtpdx_logparser_stats(p)->unknown, 1);
    /* the same line within the limit is understood */
    g.n = 0;
    gen_puts(&g, "Mar  2 10:00:02 mx postfix/smtp[1]: ABC123: "
                 "to=<bob@example.net>, relay=none, dsn=5.1.1, "
                 "status=bounced (host x said: 550 5.1.1 User unknown)");
    assert_int_equal(smtpdx_logparser_feed(p, ctx, g.s, g.n, rs), SMTPDX_OK);
    assert_int_equal(smtpdx_records_count(rs), 1);
    smtpdx_records_free(rs);
    smtpdx_logparser_free(p);
    smtpdx_ctx_free(ctx);
    free(g.s);
}

/* A syslog program tag ("prog[pid]") of more than TAG_MAX (128) bytes is
 * not read as one: the line is unknown. A 105-byte tag is read. */
static void test_log_tag(void **state)
{
    (void)state;
    smtpdx_ctx *ctx = NULL;
    assert_int_equal(smtpdx_ctx_new(&ctx), SMTPDX_OK);
    smtpdx_logparser *p = log_new(0, 0);
    smtpdx_records *rs = smtpdx_records_new();
    static const size_t pad[] = {120, 90};
    for (size_t k = 0; k < 2; k++) {
        gen g = {0};
        gen_puts(&g, "Mar  2 10:00:02 mx postfix/smtp");
        gen_fill(&g, '0', pad[k]);
        gen_puts(&g, "[1]: ABC123: to=<bob@example.net>, relay=none, "
                     "dsn=5.1.1, status=bounced (host x said: 550 5.1.1 "
                     "User unknown)");
        assert_int_equal(smtpdx_logparser_feed(p, ctx, g.s, g.n, rs),
                         SMTPDX_OK);
        free(g.s);
        assert_int_equal(smtpdx_records_count(rs), k);
        assert_int_equal(smtpdx_logparser_stats(p)->unknown, 1);
    }
    smtpdx_records_free(rs);
    smtpdx_logparser_free(p);
    smtpdx_ctx_free(ctx);
}

/* queue_max: more open messages than that evict the oldest, counted. */
static void test_log_queue_table(void **state)
{
    (void)state;
    smtpdx_ctx *ctx = NULL;
    assert_int_equal(smtpdx_ctx_new(&ctx), SMTPDX_OK);
    smtpdx_logparser *p = log_new(100, 0);
    smtpdx_records *rs = smtpdx_records_new();
    char line[256];
    for (unsigned i = 0; i < 1000; i++) {
        int k = snprintf(line, sizeof line,
                         "Mar  2 10:00:%02u mx postfix/qmgr[9]: %08X: "
                         "from=<s%u@example.com>, size=9, nrcpt=1 "
                         "(queue active)", i % 60, 0x1000 + i, i);
        assert_int_equal(smtpdx_logparser_feed(p, ctx, line, (size_t)k, rs),
                         SMTPDX_OK);
    }
    const smtpdx_log_stats *st = smtpdx_logparser_stats(p);
    printf("log: 1000 messages, table of 100: %llu evicted\n",
           (unsigned long long)st->evicted);
    assert_int_equal(st->evicted, 900);
    smtpdx_records_free(rs);
    smtpdx_logparser_free(p);
    smtpdx_ctx_free(ctx);
}

/* queue_max_age: a message not seen for that long is forgotten. */
static void test_log_queue_age(void **state)
{
    (void)state;
    smtpdx_ctx *ctx = NULL;
    assert_int_equal(smtpdx_ctx_new(&ctx), SMTPDX_OK);
    smtpdx_logparser *p = log_new(0, 60);
    smtpdx_records *rs = smtpdx_records_new();
    char line[256];
    for (unsigned i = 0; i < 50; i++) {
        /* one message per minute and a half: each is stale at the next */
        unsigned t = i * 90;
        int k = snprintf(line, sizeof line,
                         "Mar  2 %02u:%02u:%02u mx postfix/qmgr[9]: %08X: "
                         "from=<s%u@example.com>, size=9, nrcpt=1 "
                         "(queue active)", 10 + t / 3600, t / 60 % 60, t % 60,
                         0x2000 + i, i);
        assert_int_equal(smtpdx_logparser_feed(p, ctx, line, (size_t)k, rs),
                         SMTPDX_OK);
    }
    const smtpdx_log_stats *st = smtpdx_logparser_stats(p);
    printf("log: 50 messages 90 s apart, max age 60 s: %llu aged out\n",
           (unsigned long long)st->aged_out);
    assert_true(st->aged_out >= 1);
    smtpdx_records_free(rs);
    smtpdx_logparser_free(p);
    smtpdx_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_text_max),
        cmocka_unit_test(test_reply_host_max),
        cmocka_unit_test(test_mime_depth),
        cmocka_unit_test(test_mime_parts),
        cmocka_unit_test(test_mime_headers),
        cmocka_unit_test(test_mime_header_block),
        cmocka_unit_test(test_bounce_header_block),
        cmocka_unit_test(test_mime_field),
        cmocka_unit_test(test_mime_message_size),
        cmocka_unit_test(test_mime_encoded_words),
        cmocka_unit_test(test_mime_cr_long_first_line),
        cmocka_unit_test(test_dsn_field_max),
        cmocka_unit_test(test_bounce_recipients),
        cmocka_unit_test(test_bounce_recipients_text),
        cmocka_unit_test(test_bounce_text_cut_copied),
        cmocka_unit_test(test_bounce_one_long_line),
        cmocka_unit_test(test_bounce_not_cut),
        cmocka_unit_test(test_bounce_diag_cut),
        cmocka_unit_test(test_bounce_text_and_dsn_cut),
        cmocka_unit_test(test_bounce_lines_cut),
        cmocka_unit_test(test_bounce_returned_cut),
        cmocka_unit_test(test_bounce_message_cut),
        cmocka_unit_test(test_bounce_nest),
        cmocka_unit_test(test_log_line),
        cmocka_unit_test(test_log_tag),
        cmocka_unit_test(test_log_queue_table),
        cmocka_unit_test(test_log_queue_age),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
