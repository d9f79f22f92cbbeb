/*
 * test_mime_api.c - the MIME API contract, call by call: lookups, inner
 * messages, zero-copy bodies, bounded outputs, parameter and encoded-word
 * edge cases, the delivery-status field iterator and allocation failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime/mime.h"
#include "mime/mime_int.h"
#include "testutil.h"
#include "util/alloc.h"

static const char REPORT[] =
    "From: MAILER-DAEMON@example.org\n"
    "Subject: first\n"
    "Subject: second\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    " boundary=\"R\"\n"
    "\n"
    "--R\n"
    "Content-Type: text/plain\n"
    "\n"
    "notice\n"
    "--R\n"
    "Content-Type: message/delivery-status\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "UmVwb3J0aW5nLU1UQTogZG5zOyBteC5leGFtcGxlLm9yZwoKRmluYWwtUmVjaXBpZW50\n"
    "OiByZmM4MjI7IHVAZXhhbXBsZS5uZXQKU3RhdHVzOiA1LjEuMQo=\n"
    "--R\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "Subject: =?utf-8?q?orig=C3=A9?=\n"
    "Message-ID: <x@y>\n"
    "\n"
    "original body\n"
    "--R--\n";

static void parse(sx_msg *m, const char *s)
{
    sx_msg_init(m, NULL);
    assert_int_equal(sx_msg_parse(m, s, strlen(s)), SMTPDX_OK);
}

static void test_lookup(void **state)
{
    (void)state;
    sx_msg m;
    sx_sbuf out;
    sx_sbuf_init(&out, 4096);
    parse(&m, REPORT);
    assert_int_equal(m.nparts, 5);
    assert_int_equal(sx_msg_header_count(&m, NULL, "SUBJECT"), 2);
    const sx_hdr *h = sx_msg_header_raw(&m, NULL, "subject", 1);
    assert_non_null(h);
    assert_memory_equal(h->value.p, "second", 6);
    assert_null(sx_msg_header_raw(&m, NULL, "subject", 2));
    assert_int_equal(sx_msg_header(&m, NULL, "subject", &out), SMTPDX_OK);
    assert_string_equal(out.data, "first");
    assert_int_equal(sx_msg_header(&m, NULL, "x-none", &out),
                     SMTPDX_ERR_PARSE);
    assert_int_equal(out.len, 0);
    assert_int_equal(sx_part_param(&m, NULL, "content-type", "report-type",
                                   &out),
                     SMTPDX_OK);
    assert_string_equal(out.data, "delivery-status");
    assert_int_equal(sx_part_param(&m, NULL, "content-type", "nothing",
                                   &out),
                     SMTPDX_ERR_PARSE);
    sx_sbuf_release(&out);
    sx_msg_release(&m);
}

static void test_inner_and_find(void **state)
{
    (void)state;
    sx_msg m;
    sx_sbuf out;
    sx_sbuf_init(&out, 4096);
    parse(&m, REPORT);
    const sx_part *rfc = sx_msg_find_part(&m, 0, "message", "rfc822");
    assert_non_null(rfc);
    assert_int_equal(rfc->index, 3);
    assert_null(sx_msg_find_part(&m, 4, "message", "rfc822"));
    assert_non_null(sx_msg_find_part(&m, 0, "*", "delivery-status"));
    const sx_part *in = sx_part_inner(&m, rfc);
    assert_non_null(in);
    assert_true(in->flags & SX_PART_F_MESSAGE);
    assert_int_equal(sx_msg_header(&m, in, "subject", &out), SMTPDX_OK);
    assert_string_equal(out.data, "origé");
    assert_null(sx_part_inner(&m, sx_msg_part(&m, 1)));
    assert_null(sx_msg_part(&m, 99));
    sx_sbuf_release(&out);
    sx_msg_release(&m);
}

static void test_body_views(void **state)
{
    (void)state;
    sx_msg m;
    sx_sbuf scratch;
    sx_sbuf_init(&scratch, 1 << 20);
    parse(&m, REPORT);
    const char *b;
    size_t n;
    const sx_part *t = sx_msg_part(&m, 1);
    assert_int_equal(sx_part_body(&m, t, &scratch, &b, &n), SMTPDX_OK);
    assert_ptr_equal(b, t->body.p); /* identity: no copy */
    assert_int_equal(n, 6);
    const sx_part *ds = sx_msg_part(&m, 2);
    assert_int_equal(sx_part_body(&m, ds, &scratch, &b, &n), SMTPDX_OK);
    assert_ptr_equal(b, scratch.data);
    sx_dsn_iter it;
    sx_dsn_field f;
    sx_dsn_iter_init(&it, b, n);
    assert_int_equal(sx_dsn_fields_next(&it, &f), SMTPDX_OK);
    assert_true(sx_str_ieq(f.name, "reporting-mta"));
    assert_int_equal(f.block, 0);
    assert_int_equal(sx_dsn_fields_next(&it, &f), SMTPDX_OK);
    assert_true(sx_str_ieq(f.name, "final-recipient"));
    assert_int_equal(f.block, 1);
    assert_true(f.block_start);
    assert_int_equal(sx_dsn_fields_next(&it, &f), SMTPDX_OK);
    assert_false(f.block_start);
    assert_memory_equal(f.value.p, "5.1.1", 5);
    assert_int_equal(sx_dsn_fields_next(&it, &f), SMTPDX_ERR_PARSE);
    sx_dsn_iter_release(&it);
    sx_sbuf_release(&scratch);
    sx_msg_release(&m);
}

static void test_decode_limit(void **state)
{
    (void)state;
    sx_msg m;
    sx_sbuf out;
    sx_sbuf_init(&out, 4);
    parse(&m, REPORT);
    unsigned info;
    assert_int_equal(sx_part_decode(&m, sx_msg_part(&m, 1), 0, &out, &info),
                     SMTPDX_ERR_LIMIT);
    assert_true(info & SX_DEC_TRUNCATED);
    assert_true(out.len <= 4);
    sx_sbuf_release(&out);
    sx_msg_release(&m);
}

static void test_reuse_and_args(void **state)
{
    (void)state;
    sx_msg m;
    sx_msg_init(&m, NULL);
    assert_int_equal(sx_msg_parse(NULL, "x", 1), SMTPDX_ERR_INVAL);
    assert_int_equal(sx_msg_parse(&m, NULL, 3), SMTPDX_ERR_INVAL);
    assert_int_equal(sx_msg_parse(&m, NULL, 0), SMTPDX_OK);
    assert_int_equal(m.nparts, 1);
    assert_int_equal(sx_msg_parse(&m, REPORT, strlen(REPORT)), SMTPDX_OK);
    assert_int_equal(m.nparts, 5);
    assert_int_equal(sx_msg_parse(&m, "Subject: x\n\nbody\n", 17), SMTPDX_OK);
    assert_int_equal(m.nparts, 1);
    assert_int_equal(m.nhdrs, 1);
    sx_msg_release(&m);
    sx_msg_release(&m);
    sx_msg_release(NULL);

    sx_msg_limits lim;
    sx_msg_limits_default(&lim);
    lim.max_message = 10;
    sx_msg_init(&m, &lim);
    assert_int_equal(sx_msg_parse(&m, REPORT, strlen(REPORT)),
                     SMTPDX_ERR_LIMIT);
    assert_int_equal(m.nparts, 0);
    sx_msg_release(&m);
}

static void hdr(const char *in, const char *want)
{
    sx_sbuf out;
    sx_sbuf_init(&out, 4096);
    assert_int_equal(sx_hdr_decode(in, strlen(in), &out), SMTPDX_OK);
    assert_string_equal(out.data, want);
    sx_sbuf_release(&out);
}

static void test_encoded_words(void **state)
{
    (void)state;
    hdr("=?ISO-8859-1?Q?a?= b", "a b");
    hdr("=?ISO-8859-1?Q?a?=\r\n =?ISO-8859-1?Q?b?=", "ab");
    hdr("x=?utf-8?q?y?=z", "xyz"); /* loose: words touching text */
    hdr("=?utf-8*en?Q?lang?=", "lang"); /* RFC 2231 5 language */
    hdr("=?UTF-8?B?4pyI?=\t end", "\xE2\x9C\x88\t end");
    hdr("=?utf-8?q?line=0D=0Abreak?=", "line  break"); /* no controls */
    hdr("  raw \xE9t\xE9  ", "raw \xC3\xA9t\xC3\xA9");
    hdr("=?utf-7?B?K1pnQS0=?=", "\xE6\x98\x80"); /* UTF-7 "+ZgA-" */
    hdr("=?iso-2022-jp?B?GyRCJUYlOSVIGyhC?=", "テスト");
    hdr("=?utf-8?B?", "=?utf-8?B?");
    hdr("", "");
    /* more words than the limit: the rest stays as written */
    sx_sbuf in, out;
    sx_sbuf_init(&in, 1 << 20);
    sx_sbuf_init(&out, 1 << 20);
    for (unsigned i = 0; i < SX_MIME_MAX_WORDS + 5; i++)
        sx_sbuf_puts(&in, "=?us-ascii?q?a?= ");
    assert_int_equal(sx_hdr_decode(in.data, in.len, &out), SMTPDX_OK);
    assert_int_equal(strspn(out.data, "a"), SX_MIME_MAX_WORDS);
    assert_non_null(strstr(out.data, "=?us-ascii?q?a?="));
    sx_sbuf_release(&in);
    sx_sbuf_release(&out);
}

static void param(const char *v, const char *name, smtpdx_status st,
                  const char *want)
{
    sx_sbuf out;
    sx_sbuf_init(&out, 4096);
    assert_int_equal(sx_param_get(v, strlen(v), name, &out), st);
    if (want)
        assert_string_equal(out.data, want);
    sx_sbuf_release(&out);
}

static void test_params(void **state)
{
    (void)state;
    param("text/plain; charset=\"a\\\"b\"", "charset", SMTPDX_OK, "a\"b");
    param("text/plain; (comment) charset = utf-8 ; x=y", "charset",
          SMTPDX_OK, "utf-8");
    param("text/plain; junk; ;=; charset=us-ascii", "charset", SMTPDX_OK,
          "us-ascii");
    param("text/plain", "charset", SMTPDX_ERR_PARSE, NULL);
    param("a/b; name*=''plain%20text", "name", SMTPDX_OK, "plain text");
    param("a/b; name*=bad%zz", "name", SMTPDX_OK, "bad%zz");
    param("a/b; name*0=x; name*2=z", "name", SMTPDX_OK, "x");
    param("a/b; name*1=only-later", "name", SMTPDX_ERR_PARSE, NULL);
    param("a/b; name=\"unterminated", "name", SMTPDX_OK, "unterminated");
    param("a/b; boundary=----=_Part_1_2.3", "boundary", SMTPDX_OK,
          "----=_Part_1_2.3");
}

static void test_charsets(void **state)
{
    (void)state;
    sx_sbuf out;
    sx_sbuf_init(&out, 4096);
    unsigned info = 0;
    /* ISO-2022-JP with an 8-bit byte inside that is not UTF-8 */
    const char jis[] = "\x1b$B$\"\x1b(B\xff";
    assert_int_equal(sx_charset_to_utf8("ISO-2022-JP", jis, sizeof jis - 1,
                                        &out, &info),
                     SMTPDX_OK);
    assert_true(info & SX_DEC_REPLACED);
    assert_string_equal(out.data, "あ\xEF\xBF\xBD");
    sx_sbuf_reset(&out);
    info = 0;
    /* a cut multibyte sequence at the end */
    assert_int_equal(sx_charset_to_utf8("shift_jis", "\x82", 1, &out, &info),
                     SMTPDX_OK);
    assert_true(info & SX_DEC_REPLACED);
    sx_sbuf_reset(&out);
    info = 0;
    assert_int_equal(sx_charset_to_utf8("\"UTF-8\"", "ok", 2, &out, &info),
                     SMTPDX_OK);
    assert_string_equal(out.data, "ok");
    assert_int_equal(info, 0);
    sx_sbuf_release(&out);
}

static void test_dsn_iter_shapes(void **state)
{
    (void)state;
    static const char in[] =
        "\r\r  \rReporting-MTA: dns; a\r"
        "not a field line\r"
        "  \r"
        "Final-Recipient:\r   rfc822; x@y\r"
        "Diagnostic-Code: smtp; 550 a\r\t b\r";
    sx_dsn_iter it;
    sx_dsn_field f;
    sx_dsn_iter_init(&it, in, sizeof in - 1);
    assert_int_equal(sx_dsn_fields_next(&it, &f), SMTPDX_OK);
    assert_int_equal(f.block, 0);
    assert_int_equal(sx_dsn_fields_next(&it, &f), SMTPDX_OK);
    assert_int_equal(f.block, 1);
    assert_memory_equal(f.value.p, "rfc822; x@y", f.value.len);
    assert_int_equal(f.value.len, 11);
    assert_int_equal(sx_dsn_fields_next(&it, &f), SMTPDX_OK);
    assert_int_equal(f.value.len, 13);
    assert_memory_equal(f.value.p, "smtp; 550 a b", 13);
    assert_int_equal(sx_dsn_fields_next(&it, &f), SMTPDX_ERR_PARSE);
    assert_int_equal(it.junk, 1);
    sx_dsn_iter_release(&it);
}

/* The token table against RFC 2045 5.1 spelled out. */
static void test_token_table(void **state)
{
    (void)state;
    static const char tspecials[] = "()<>@,;:\\\"/[]?=";
    for (int c = 0; c < 256; c++) {
        int want = c > 32 && c < 127 && memchr(tspecials, c, 15) == NULL;
        assert_int_equal(sx_is_token_char((unsigned char)c), want);
    }
}

static void test_eol_detection(void **state)
{
    (void)state;
    sx_msg m;
    /* a stray CR inside the first line of an LF message */
    parse(&m, "Subject: a\rb\nFrom: x\n\nbody\n");
    assert_false(m.flags & SX_MSG_F_EOL_CR);
    assert_int_equal(m.nhdrs, 2);
    assert_int_equal(m.parts[0].body.len, 5);
    sx_msg_release(&m);
    /* CR alone, and one stray LF later */
    parse(&m, "Subject: a\rFrom: x\rTo: y\n\r\rbody\r");
    assert_true(m.flags & SX_MSG_F_EOL_CR);
    assert_int_equal(m.nhdrs, 3);
    sx_msg_release(&m);
    parse(&m, "Subject: only one line\r");
    assert_true(m.flags & SX_MSG_F_EOL_CR);
    sx_msg_release(&m);
    parse(&m, "Subject: a\r\nX: y\r\n\r\nbody\r\n");
    assert_true(m.flags & SX_MSG_F_EOL_CRLF);
    assert_int_equal(m.nhdrs, 2);
    assert_memory_equal(m.parts[0].body.p, "body\r\n", 6);
    sx_msg_release(&m);
}

/* Every allocation made during parse and decode fails once in turn: the
 * result is OK or NOMEM, never a crash or a leak (ASan builds). */
static void test_alloc_failures(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/mime/nested.eml",
             SMTPDX_SOURCE_DIR);
    size_t len;
    char *buf = tu_read_file(path, &len);
    assert_non_null(buf);
    for (unsigned long n = 1; n < 200; n++) {
        sx_msg m;
        sx_sbuf out;
        sx_msg_init(&m, NULL);
        sx_sbuf_init(&out, 1 << 20);
        sx_alloc_fail_after(n);
        smtpdx_status st = sx_msg_parse(&m, buf, len);
        assert_true(st == SMTPDX_OK || st == SMTPDX_ERR_NOMEM);
        for (uint32_t i = 0; st == SMTPDX_OK && i < m.nparts; i++) {
            smtpdx_status d = sx_part_decode(&m, &m.parts[i], 0, &out, NULL);
            assert_true(d == SMTPDX_OK || d == SMTPDX_ERR_NOMEM);
            d = sx_part_param(&m, &m.parts[i], "content-disposition",
                              "filename", &out);
            assert_true(d == SMTPDX_OK || d == SMTPDX_ERR_NOMEM
                        || d == SMTPDX_ERR_PARSE);
        }
        sx_alloc_fail_after(0);
        sx_sbuf_release(&out);
        sx_msg_release(&m);
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_inner_and_find),
        cmocka_unit_test(test_body_views),
        cmocka_unit_test(test_decode_limit),
        cmocka_unit_test(test_reuse_and_args),
        cmocka_unit_test(test_encoded_words),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_charsets),
        cmocka_unit_test(test_dsn_iter_shapes),
        cmocka_unit_test(test_eol_detection),
        cmocka_unit_test(test_token_table),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
