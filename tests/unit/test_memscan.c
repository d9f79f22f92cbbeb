/*
 * test_memscan.c - the vectorised byte searches of util/memscan.h against
 * plain loops that say the same thing one byte at a time.
 *
 * The searches step sixteen bytes at a time, so their mistakes hide at
 * the edges: a match in the last byte, a pair split across two steps, a
 * buffer that ends one byte into a step. Every case is therefore run at
 * every start offset and every length up to a few steps, and each buffer
 * is a heap block of exactly that length, so that a read past the end is
 * caught by AddressSanitizer in the sanitizer build.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/memscan.h"

/* ---- the reference loops ---- */

static const char *ref_pair(const char *p, const char *end, char a, char b)
{
    for (; end - p >= 2; p++)
        if (p[0] == a && p[1] == b)
            return p;
    return NULL;
}

static const char *ref_bol(const char *lo, const char *p, const char *end,
                           char eol, char c)
{
    for (; p < end; p++)
        if (*p == c && (p == lo || p[-1] == eol))
            return p;
    return NULL;
}

static const char *ref_any2(const char *p, const char *end, char a, char b)
{
    for (; p < end; p++)
        if (*p == a || *p == b)
            return p;
    return NULL;
}

static const char *ref_ctl(const char *p, const char *end)
{
    for (; p < end; p++) {
        unsigned char u = (unsigned char)*p;
        if ((u < 0x20 && u != '\t') || u == 0x7f)
            return p;
    }
    return NULL;
}

static int ref_is_text(const char *p, const char *end)
{
    for (; p < end; p++) {
        unsigned char u = (unsigned char)*p;
        if (u != '\t' && (u < 0x20 || u > 0x7e))
            return 0;
    }
    return 1;
}

static size_t ref_graph_run(const char *p, const char *end, char stop)
{
    const char *q = p;
    while (q < end && *q > 0x20 && *q < 0x7f && *q != stop)
        q++;
    return (size_t)(q - p);
}

/* ---- inputs ---- */

/* A small deterministic generator: the failures must reproduce. */
static uint32_t rnd_state = 2463534242u;
static uint32_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state;
}

/* Bytes drawn mostly from a tiny alphabet so that the searched bytes and
 * pairs turn up often, with now and then any byte at all (high bytes and
 * controls included). */
static void fill(char *buf, size_t len)
{
    static const char alphabet[] = "\n\rF:a \t";
    for (size_t i = 0; i < len; i++) {
        uint32_t r = rnd();
        buf[i] = (r & 7) == 7 ? (char)(r >> 8)
                              : alphabet[(r >> 3) % (sizeof alphabet - 1)];
    }
}

#define MAXLEN 300 /* past the 128-byte steps of the widest vector path */
#define ROUNDS 12

/* One exact-size heap copy of src[0..len) so that ASan sees its end. */
static char *exact(const char *src, size_t len)
{
    char *b = malloc(len ? len : 1);
    assert_non_null(b);
    memcpy(b, src, len);
    return b;
}

static void test_pair(void **state)
{
    (void)state;
    char src[MAXLEN];
    for (int round = 0; round < ROUNDS; round++) {
        fill(src, sizeof src);
        for (size_t len = 0; len <= MAXLEN; len++) {
            char *b = exact(src, len);
            for (size_t off = 0; off <= len; off++) {
                assert_ptr_equal(sx_mem_pair(b + off, b + len, '\n', 'F'),
                                 ref_pair(b + off, b + len, '\n', 'F'));
                assert_ptr_equal(sx_mem_pair(b + off, b + len, '\r', '\n'),
                                 ref_pair(b + off, b + len, '\r', '\n'));
            }
            free(b);
        }
    }
}

static void test_pair_at_edges(void **state)
{
    (void)state;
    char src[MAXLEN];
    for (size_t len = 2; len <= MAXLEN; len++) {
        memset(src, 'x', len);
        src[len - 2] = '\n';
        src[len - 1] = 'F'; /* the pair ends on the last byte */
        char *b = exact(src, len);
        assert_ptr_equal(sx_mem_pair(b, b + len, '\n', 'F'), b + len - 2);
        /* one byte shorter: the pair is cut, nothing may be found */
        assert_null(sx_mem_pair(b, b + len - 1, '\n', 'F'));
        free(b);
    }
}

/* One pair at each place of a longer text, none elsewhere: found where it
 * is, also where it straddles two steps of a vector path. */
static void test_pair_every_place(void **state)
{
    (void)state;
    char src[MAXLEN];
    for (size_t at = 0; at + 1 < MAXLEN; at++) {
        memset(src, 'x', sizeof src);
        src[at] = '\n';
        src[at + 1] = '>';
        char *b = exact(src, sizeof src);
        assert_ptr_equal(sx_mem_pair(b, b + sizeof src, '\n', '>'), b + at);
        assert_ptr_equal(
            sx_mem_bol2(b, b + 1, b + sizeof src, '\n', 'F', '>'),
            b + at + 1);
        free(b);
    }
}

static void test_bol(void **state)
{
    (void)state;
    char src[MAXLEN];
    for (int round = 0; round < ROUNDS; round++) {
        fill(src, sizeof src);
        for (size_t len = 0; len <= MAXLEN; len++) {
            char *b = exact(src, len);
            for (size_t off = 0; off <= len; off++) {
                assert_ptr_equal(sx_mem_bol(b, b + off, b + len, '\n', 'F'),
                                 ref_bol(b, b + off, b + len, '\n', 'F'));
                assert_ptr_equal(sx_mem_bol(b, b + off, b + len, '\r', ':'),
                                 ref_bol(b, b + off, b + len, '\r', ':'));
            }
            free(b);
        }
    }
}

/* sx_mem_mask64: one bit per byte of the first 64 (fewer at the end) */
static void test_mask64(void **state)
{
    (void)state;
    char src[MAXLEN];
    for (int round = 0; round < ROUNDS; round++) {
        fill(src, sizeof src);
        for (size_t len = 0; len <= MAXLEN; len++) {
            char *b = exact(src, len);
            for (size_t off = 0; off <= len; off++) {
                uint64_t want = 0;
                for (size_t i = 0; i < 64 && off + i < len; i++)
                    want |= (uint64_t)(b[off + i] == '\n') << i;
                assert_int_equal(sx_mem_mask64(b + off, b + len, '\n'),
                                 want);
            }
            free(b);
        }
    }
}

/* sx_mem_bol2 is the earlier of the two one-byte searches */
static void test_bol2(void **state)
{
    (void)state;
    char src[MAXLEN];
    for (int round = 0; round < ROUNDS; round++) {
        fill(src, sizeof src);
        for (size_t len = 0; len <= MAXLEN; len++) {
            char *b = exact(src, len);
            for (size_t off = 0; off <= len; off++) {
                const char *x = ref_bol(b, b + off, b + len, '\n', 'F');
                const char *y = ref_bol(b, b + off, b + len, '\n', ':');
                const char *want = x == NULL ? y
                                   : y == NULL ? x
                                   : (x < y ? x : y);
                assert_ptr_equal(
                    sx_mem_bol2(b, b + off, b + len, '\n', 'F', ':'), want);
            }
            free(b);
        }
    }
}

/* Values made of "=?" pieces, text and a control byte now and then. */
static void test_is_plain(void **state)
{
    (void)state;
    static const char alphabet[] = "=?a \t=?\x01";
    char src[MAXLEN];
    for (int round = 0; round < ROUNDS; round++) {
        for (size_t i = 0; i < sizeof src; i++) {
            uint32_t r = rnd();
            /* mostly text, so that long plain runs occur */
            src[i] = (r & 3) ? 'a' : alphabet[(r >> 2) % (sizeof alphabet - 1)];
        }
        for (size_t len = 0; len <= MAXLEN; len++) {
            char *b = exact(src, len);
            for (size_t off = 0; off <= len; off++) {
                const char *p = b + off, *e = b + len;
                int pair = 0;
                for (const char *q = p; q + 1 < e; q++)
                    if (q[0] == '=' && q[1] == '?')
                        pair = 1;
                assert_int_equal(sx_mem_is_plain(p, e),
                                 ref_is_text(p, e) && !pair);
            }
            free(b);
        }
    }
}

static void test_bol_start_of_text(void **state)
{
    (void)state;
    char *b = exact("From x\nFrom y", 13);
    assert_ptr_equal(sx_mem_bol(b, b, b + 13, '\n', 'F'), b);
    /* from past lo: the first 'F' counts only after a line end */
    assert_ptr_equal(sx_mem_bol(b, b + 1, b + 13, '\n', 'F'), b + 7);
    free(b);
}

static void test_any2_ctl_text_graph(void **state)
{
    (void)state;
    char src[MAXLEN];
    for (int round = 0; round < ROUNDS; round++) {
        fill(src, sizeof src);
        for (size_t len = 0; len <= MAXLEN; len++) {
            char *b = exact(src, len);
            for (size_t off = 0; off <= len; off++) {
                const char *p = b + off, *e = b + len;
                assert_ptr_equal(sx_mem_any2(p, e, '\r', '\n'),
                                 ref_any2(p, e, '\r', '\n'));
                assert_ptr_equal(sx_mem_ctl(p, e), ref_ctl(p, e));
                assert_int_equal(sx_mem_is_text(p, e), ref_is_text(p, e));
                assert_int_equal(sx_mem_graph_run(p, e, ':'),
                                 ref_graph_run(p, e, ':'));
            }
            free(b);
        }
    }
}

/* Every byte value, one at a time, in a field of plain text: the class
 * searches must put each byte on the right side of their line. */
static void test_every_byte_value(void **state)
{
    (void)state;
    for (int v = 0; v < 256; v++) {
        for (size_t at = 0; at < 40; at += 13) {
            char src[40];
            memset(src, 'a', sizeof src);
            src[at] = (char)v;
            char *b = exact(src, sizeof src);
            const char *e = b + sizeof src;
            assert_ptr_equal(sx_mem_ctl(b, e), ref_ctl(b, e));
            assert_int_equal(sx_mem_is_text(b, e), ref_is_text(b, e));
            assert_int_equal(sx_mem_graph_run(b, e, ':'),
                             ref_graph_run(b, e, ':'));
            assert_ptr_equal(sx_mem_any2(b, e, (char)v, '\n'),
                             v == 'a' ? b : b + at);
            free(b);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pair),
        cmocka_unit_test(test_pair_at_edges),
        cmocka_unit_test(test_pair_every_place),
        cmocka_unit_test(test_bol),
        cmocka_unit_test(test_bol2),
        cmocka_unit_test(test_mask64),
        cmocka_unit_test(test_is_plain),
        cmocka_unit_test(test_bol_start_of_text),
        cmocka_unit_test(test_any2_ctl_text_graph),
        cmocka_unit_test(test_every_byte_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
