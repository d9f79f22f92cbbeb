/*
 * test_mime_bomb.c - hostile structures generated in memory: each must
 * stop at its documented limit, set its flag and finish quickly.
 * Limits (mime.h): depth SX_MIME_MAX_DEPTH, entities SX_MIME_MAX_PARTS,
 * fields per block SX_MIME_MAX_HEADERS, block size SX_MIME_MAX_HDR_BLOCK,
 * field size SX_MIME_MAX_FIELD. Each case prints its time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mime/mime.h"

/* Generous bound per case, ASan builds included. */
#define MAX_SECONDS 5.0

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void timed_parse(const char *what, sx_msg *m, const sx_sbuf *b)
{
    double t0 = now();
    assert_int_equal(sx_msg_parse(m, b->data, b->len), SMTPDX_OK);
    /* decoding every part is bounded too */
    sx_sbuf out;
    sx_sbuf_init(&out, 1u << 26);
    for (uint32_t i = 0; i < m->nparts; i++)
        sx_part_decode(m, &m->parts[i], 0, &out, NULL);
    sx_sbuf_release(&out);
    double dt = now() - t0;
    printf("  %-28s %9zu bytes, %4u parts, %.3f s\n", what, b->len,
           m->nparts, dt);
    assert_true(dt < MAX_SECONDS);
}

static void test_depth_bomb(void **state)
{
    (void)state;
    sx_sbuf b;
    sx_sbuf_init(&b, 1u << 26);
    const unsigned levels = 10000;
    for (unsigned i = 0; i < levels; i++)
        sx_sbuf_printf(&b, "Content-Type: multipart/mixed; boundary=b%u\n\n"
                           "--b%u\n", i, i);
    sx_sbuf_puts(&b, "Content-Type: text/plain\n\ndeep\n");
    for (unsigned i = levels; i-- > 0;)
        sx_sbuf_printf(&b, "--b%u--\n", i);
    sx_msg m;
    sx_msg_init(&m, NULL);
    timed_parse("10,000 nested multiparts", &m, &b);
    assert_true(m.flags & SX_MSG_F_DEPTH_LIMIT);
    assert_int_equal(m.nparts, SX_MIME_MAX_DEPTH + 1);
    const sx_part *last = &m.parts[m.nparts - 1];
    assert_int_equal(last->depth, SX_MIME_MAX_DEPTH);
    assert_true(last->flags & SX_PART_F_DEPTH_LIMIT);
    for (uint32_t i = 0; i < m.nparts; i++)
        assert_false(m.parts[i].flags & SX_PART_F_NO_END);
    sx_msg_release(&m);
    sx_sbuf_release(&b);
}

static void test_rfc822_bomb(void **state)
{
    (void)state;
    sx_sbuf b;
    sx_sbuf_init(&b, 1u << 26);
    for (unsigned i = 0; i < 10000; i++)
        sx_sbuf_puts(&b, "Content-Type: message/rfc822\n\n");
    sx_sbuf_puts(&b, "Subject: bottom\n\nbody\n");
    sx_msg m;
    sx_msg_init(&m, NULL);
    timed_parse("10,000 nested message/rfc822", &m, &b);
    assert_true(m.flags & SX_MSG_F_DEPTH_LIMIT);
    assert_int_equal(m.nparts, SX_MIME_MAX_DEPTH + 1);
    sx_msg_release(&m);
    sx_sbuf_release(&b);
}

static void test_part_bomb(void **state)
{
    (void)state;
    sx_sbuf b;
    sx_sbuf_init(&b, 1u << 26);
    sx_sbuf_puts(&b, "Content-Type: multipart/mixed; boundary=p\n\n");
    for (unsigned i = 0; i < 100000; i++)
        sx_sbuf_puts(&b, "--p\nContent-Type: multipart/mixed; boundary=q\n\n"
                         "--q\n\nx\n--q--\n");
    sx_sbuf_puts(&b, "--p--\nepilogue\n");
    sx_msg m;
    sx_msg_init(&m, NULL);
    timed_parse("100,000 parts", &m, &b);
    assert_true(m.flags & SX_MSG_F_PART_LIMIT);
    assert_int_equal(m.nparts, SX_MIME_MAX_PARTS);
    assert_true(m.parts[0].flags & SX_PART_F_PART_LIMIT);
    /* the top multipart still closes at its own delimiter */
    assert_false(m.parts[0].flags & SX_PART_F_NO_END);
    sx_msg_release(&m);
    sx_sbuf_release(&b);
}

static void test_header_bombs(void **state)
{
    (void)state;
    sx_sbuf b;
    sx_sbuf_init(&b, 1u << 26);
    for (unsigned i = 0; i < 100000; i++)
        sx_sbuf_printf(&b, "X-H%u: v\n", i);
    sx_sbuf_puts(&b, "\nbody\n");
    sx_msg m;
    sx_msg_init(&m, NULL);
    timed_parse("100,000 header fields", &m, &b);
    assert_true(m.flags & SX_MSG_F_HDR_LIMIT);
    assert_true(m.parts[0].hdr_count <= SX_MIME_MAX_HEADERS);
    /* the block is cut at its size limit: the rest is body */
    assert_true(m.parts[0].header.len <= SX_MIME_MAX_HDR_BLOCK + 64);

    sx_sbuf_reset(&b);
    sx_sbuf_puts(&b, "Subject: a");
    for (unsigned i = 0; i < 20000; i++)
        sx_sbuf_puts(&b, "\n folded line");
    sx_sbuf_puts(&b, "\nX-Next: kept\n\nbody\n");
    timed_parse("one 260 KB folded field", &m, &b);
    assert_true(m.parts[0].flags & SX_PART_F_FIELD_LIMIT);
    const sx_hdr *h = sx_msg_header_raw(&m, NULL, "subject", 0);
    assert_non_null(h);
    assert_true(h->value.len <= SX_MIME_MAX_FIELD);
    assert_non_null(sx_msg_header_raw(&m, NULL, "x-next", 0));
    sx_msg_release(&m);
    sx_sbuf_release(&b);
}

static void test_long_lines(void **state)
{
    (void)state;
    sx_sbuf b;
    sx_sbuf_init(&b, 1u << 26);
    sx_sbuf_puts(&b, "Content-Type: multipart/mixed; boundary=L\n\n--L\n"
                     "Content-Transfer-Encoding: base64\n\n");
    for (unsigned i = 0; i < (15u << 20) / 4; i++)
        sx_sbuf_append(&b, "QUJD", 4);
    sx_sbuf_puts(&b, "\n--L--\n");
    sx_msg m;
    sx_msg_init(&m, NULL);
    timed_parse("15 MB base64 line", &m, &b);
    assert_int_equal(m.nparts, 2);
    assert_int_equal(m.parts[1].body.len, 15u << 20);

    sx_sbuf_reset(&b);
    for (unsigned i = 0; i < (15u << 20); i++)
        sx_sbuf_putc(&b, 'h');
    timed_parse("15 MB header line", &m, &b);
    assert_int_equal(m.nparts, 1);
    sx_msg_release(&m);
    sx_sbuf_release(&b);
}

/* Lines that look like delimiters of every open multipart. */
static void test_dash_storm(void **state)
{
    (void)state;
    sx_sbuf b;
    sx_sbuf_init(&b, 1u << 26);
    for (unsigned i = 0; i < 32; i++)
        sx_sbuf_printf(&b, "Content-Type: multipart/mixed; boundary=%032u\n\n"
                           "--%032u\n", i, i);
    for (unsigned i = 0; i < 200000; i++)
        sx_sbuf_puts(&b, "--0000000000000000000000000000000\n");
    sx_msg m;
    sx_msg_init(&m, NULL);
    timed_parse("200,000 near-delimiters", &m, &b);
    assert_int_equal(m.nparts, 33);
    sx_msg_release(&m);
    sx_sbuf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_depth_bomb),
        cmocka_unit_test(test_rfc822_bomb),
        cmocka_unit_test(test_part_bomb),
        cmocka_unit_test(test_header_bombs),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_dash_storm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
