/*
 * test_bounce_date.c - the date reader of bounce/bounce_date.h.
 *
 * Dates of the common form ("Thu, 29 Apr 2009 23:34:45 +0900") take a
 * short path read at fixed places; everything else goes through the
 * general reader. Both must agree: a comment before a date sends it down
 * the general path (only that path skips comments) without changing what
 * it says, so every date is read both ways and the answers compared. A few
 * dates are also checked against timegm(3), and every text is a heap block
 * of exactly its length, so that a read past the end shows in the
 * sanitizer build.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "bounce/bounce_date.h"

typedef struct {
    int ok;
    int64_t t;
    int tz;
} answer;

static answer read_exact(const char *s, size_t n)
{
    char *b = malloc(n ? n : 1);
    assert_non_null(b);
    memcpy(b, s, n);
    answer a;
    a.ok = sx_bdate_parse(b, n, &a.t, &a.tz);
    free(b);
    return a;
}

/* s read as it is, and behind a comment (the general path) */
static void both(const char *s, answer *fast, answer *general)
{
    char buf[160];
    int n = snprintf(buf, sizeof buf, "(sent) %s", s);
    assert_true(n > 0 && (size_t)n < sizeof buf);
    *fast = read_exact(s, strlen(s));
    *general = read_exact(buf, (size_t)n);
}

static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm);
}

static void test_common_form_values(void **state)
{
    (void)state;
    answer a = read_exact("Thu, 29 Apr 2009 23:34:45 +0900", 31);
    assert_int_equal(a.ok, 1);
    assert_int_equal(a.t, utc(2009, 4, 29, 23, 34, 45) - 9 * 3600);
    assert_int_equal(a.tz, 900);

    const char *s = "Thu,  1 Jul 2010 01:02:03 -0330 (NDT)";
    a = read_exact(s, strlen(s));
    assert_int_equal(a.ok, 1);
    assert_int_equal(a.t, utc(2010, 7, 1, 1, 2, 3) + 3 * 3600 + 30 * 60);
    assert_int_equal(a.tz, -330);

    s = "5 DEC 2024 00:00:00 +0000";
    a = read_exact(s, strlen(s));
    assert_int_equal(a.ok, 1);
    assert_int_equal(a.t, utc(2024, 12, 5, 0, 0, 0));
    assert_int_equal(a.tz, 0);

    /* "-0000": UTC, with no more known of the local zone (RFC 5322
     * 3.3); kept apart from "+0000" on both paths */
    answer f, g;
    both("Thu, 29 Apr 2009 23:34:45 -0000", &f, &g);
    assert_int_equal(f.ok, 1);
    assert_int_equal(f.t, utc(2009, 4, 29, 23, 34, 45));
    assert_int_equal(f.tz, SX_BDATE_TZ_MINUS_ZERO);
    assert_int_equal(g.t, f.t);
    assert_int_equal(g.tz, SX_BDATE_TZ_MINUS_ZERO);
    s = "2009-04-29 23:34:45 -00:00";
    a = read_exact(s, strlen(s));
    assert_int_equal(a.t, utc(2009, 4, 29, 23, 34, 45));
    assert_int_equal(a.tz, SX_BDATE_TZ_MINUS_ZERO);
}

/* forms at the edge of the short path: each must read as the general
 * path reads it, whatever that is */
static void test_edges_agree(void **state)
{
    (void)state;
    static const char *const dates[] = {
        "Thu, 29 Apr 2009 23:34:45 +0900",
        "Thu,29 Apr 2009 23:34:45 +0900",
        "Thu,  1 Jul 2010 01:02:03 -0330",
        "Apr, 29 Apr 2009 23:34:45 +0900", /* a month where the day goes */
        "Thu, 29 Apr 2009 23:34:45 +1500", /* zone hours past 14 */
        "Thu, 29 Apr 2009 23:34:45 +0960", /* zone minutes past 59 */
        "Thu, 29 Apr 2009 24:00:00 +0000",
        "Thu, 29 Apr 2009 23:60:00 +0000",
        "Thu, 31 Dec 1998 23:59:60 +0000", /* a leap second */
        "Thu, 29 Apr 2009 23:34:45 +0900(JST)",
        "Thu, 29 Apr 2009 23:34:45 +090",  /* cut inside the zone */
        "Thu, 29 Apr 2009 23:34:45 +",
        "Thu, 29 Abc 2009 23:34:45 +0900",
        "Thu, 29 Apr 09 23:34:45 +0900",   /* a two-digit year */
        "Thu, 29 Apr 2009 23:34 +0900",    /* no seconds */
        "Thu, 0 Apr 2009 23:34:45 +0900",
        "Thu, 31 Feb 2009 23:34:45 +0900",
        "Thu, 123 Apr 2009 23:34:45 +0900",
        "Thu, 29 Apr 2009 23:34:45 GMT",
        "2009-04-29 23:34:45 +0900",
        "",
        "7",
    };
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        answer f, g;
        both(dates[i], &f, &g);
        if (f.ok != g.ok || f.t != g.t || f.tz != g.tz)
            fail_msg("\"%s\": %d %lld %d as it is, %d %lld %d behind a "
                     "comment",
                     dates[i], f.ok, (long long)f.t, f.tz, g.ok,
                     (long long)g.t, g.tz);
    }
}

static unsigned next(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 16) & 0x7fff;
}

/* many dates of the common form and near it, each read both ways */
static void test_random_dates_agree(void **state)
{
    (void)state;
    static const char *const mon[] = {"Jan", "feb", "MAR", "Apr", "May",
                                      "jun", "Jul", "AUG", "Sep", "Oct",
                                      "Nov", "dec", "Xyz", "Ma"};
    static const char *const day[] = {"Mon, ", "tue,", "Wed,  ", "", "Apr, "};
    unsigned seed = 20261206u;
    for (int i = 0; i < 20000; i++) {
        char s[96];
        int d = (int)(next(&seed) % 33);
        int y = 1960 + (int)(next(&seed) % 90);
        int h = (int)(next(&seed) % 26);
        int mi = (int)(next(&seed) % 62);
        int sec = (int)(next(&seed) % 62);
        int zh = (int)(next(&seed) % 17);
        int zm = (int)(next(&seed) % 62);
        const char *dn = day[next(&seed) % 5];
        const char *mn = mon[next(&seed) % 14];
        char sign = next(&seed) % 2 ? '+' : '-';
        snprintf(s, sizeof s, "%s%d %s %04d %02d:%02d:%02d %c%02d%02d", dn,
                 d, mn, y, h, mi, sec, sign, zh, zm);
        /* and cut short at a random place now and then */
        size_t n = strlen(s);
        if (next(&seed) % 4 == 0)
            s[next(&seed) % (n + 1)] = '\0';
        answer f, g;
        both(s, &f, &g);
        if (f.ok != g.ok || f.t != g.t || f.tz != g.tz)
            fail_msg("\"%s\": %d %lld %d as it is, %d %lld %d behind a "
                     "comment",
                     s, f.ok, (long long)f.t, f.tz, g.ok, (long long)g.t,
                     g.tz);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_common_form_values),
        cmocka_unit_test(test_edges_agree),
        cmocka_unit_test(test_random_dates_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
