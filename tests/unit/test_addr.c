/*
 * test_addr.c - the plain spelling of an address (util/addr.h): quotes a
 * local part does not need go, quotes it needs stay, and nothing is read
 * or written past the ends given.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/addr.h"

/* The plain form of a, or a itself when it is kept ("" for kept). */
static const char *plain(const char *a)
{
    static char buf[400];
    size_t n = strlen(a);
    /* the input is copied to the heap with no byte after it, so that a
     * read past its end shows under AddressSanitizer */
    char *in = malloc(n);
    assert_non_null(in);
    memcpy(in, a, n);
    memset(buf, 0, sizeof buf);
    size_t k = sx_addr_plain(in, n, buf, sizeof buf - 1);
    free(in);
    if (k == 0)
        return "";
    assert_true(k < sizeof buf);
    buf[k] = '\0';
    return buf;
}

static void test_needless_quotes_go(void **state)
{
    (void)state;
    assert_string_equal(plain("\"kijitora\"@example.jp"),
                        "kijitora@example.jp");
    assert_string_equal(plain("\"tora.neko\"@example.jp"),
                        "tora.neko@example.jp");
    assert_string_equal(plain("\"a+tag\"@example.org"), "a+tag@example.org");
    assert_string_equal(plain("\"x!#$%&'*+-/=?^_`{|}~y\"@example.org"),
                        "x!#$%&'*+-/=?^_`{|}~y@example.org");
    /* UTF-8 local parts are atext under RFC 6531 */
    assert_string_equal(plain("\"\xe3\x81\xad\xe3\x81\x93\"@example.jp"),
                        "\xe3\x81\xad\xe3\x81\x93@example.jp");
}

static void test_needed_quotes_stay(void **state)
{
    (void)state;
    assert_string_equal(plain("\"neko..nyaan\"@example.jp"), "");
    assert_string_equal(plain("\".neko\"@example.jp"), "");
    assert_string_equal(plain("\"neko.\"@example.jp"), "");
    assert_string_equal(plain("\"john doe\"@example.com"), "");
    assert_string_equal(plain("\"a\\\"b\"@example.com"), "");
    assert_string_equal(plain("\"a@b\"@example.com"), "");
    assert_string_equal(plain("\"a,b\"@example.com"), "");
    assert_string_equal(plain("\"\"@example.com"), "");
}

static void test_not_a_quoted_local_part(void **state)
{
    (void)state;
    assert_string_equal(plain("kijitora@example.jp"), "");
    assert_string_equal(plain("\"kijitora\""), "");
    assert_string_equal(plain("\"kijitora\"@"), "");
    assert_string_equal(plain("\"kijitora"), "");
    assert_string_equal(plain("\"kiji\"tora@example.jp"), "");
    assert_string_equal(plain("\""), "");
    assert_string_equal(plain(""), "");
}

static void test_buffer_too_small(void **state)
{
    (void)state;
    char buf[8];
    const char *a = "\"kijitora\"@example.jp";
    assert_int_equal(sx_addr_plain(a, strlen(a), buf, sizeof buf), 0);
    /* exactly the room it needs */
    char fit[19];
    assert_int_equal(sx_addr_plain(a, strlen(a), fit, sizeof fit), 19);
    assert_memory_equal(fit, "kijitora@example.jp", 19);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_needless_quotes_go),
        cmocka_unit_test(test_needed_quotes_stay),
        cmocka_unit_test(test_not_a_quoted_local_part),
        cmocka_unit_test(test_buffer_too_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
