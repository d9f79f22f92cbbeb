/*
 * bounce_date.c - dates as bounces write them, to Unix time and a
 * "+hhmm" offset.
 *
 * RFC 5322 3.3 (date-time) and its obsolete forms (4.3: two-digit years,
 * zone names), and the variants MTAs really write: no day name, no
 * seconds, a comment after the zone, ISO 8601 ("2024-06-11T18:02:02Z",
 * Amazon SES), "Jun 11 18:02:02 2024". Anything else gives 0.
 */
#include "bounce/bounce_date.h"

#include <ctype.h>
#include <string.h>

#include "bounce/bounce_text.h"

/* The months' first three letters in lower case, one word each (first
 * letter highest), so that a name is told by one compare a month. */
#define MON(a, b, c) ((uint32_t)(a) << 16 | (uint32_t)(b) << 8 | (uint32_t)(c))
static const uint32_t months[] = {
    MON('j', 'a', 'n'), MON('f', 'e', 'b'), MON('m', 'a', 'r'),
    MON('a', 'p', 'r'), MON('m', 'a', 'y'), MON('j', 'u', 'n'),
    MON('j', 'u', 'l'), MON('a', 'u', 'g'), MON('s', 'e', 'p'),
    MON('o', 'c', 't'), MON('n', 'o', 'v'), MON('d', 'e', 'c')};

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * civil-date arithmetic, written out). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

typedef struct cur {
    const char *p, *e;
} cur;

static void skip_cfws(cur *c)
{
    while (c->p < c->e) {
        if (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n' ||
            *c->p == ',') {
            c->p++;
        } else if (*c->p == '(') {
            /* a comment; nesting bounded by the input size */
            int depth = 0;
            while (c->p < c->e) {
                if (*c->p == '(')
                    depth++;
                else if (*c->p == ')' && --depth == 0) {
                    c->p++;
                    break;
                }
                c->p++;
            }
        } else {
            break;
        }
    }
}

static int number(cur *c, int maxdigits, long *out)
{
    long v = 0;
    int n = 0;
    /* '0'..'9' as isdigit() has them, without its table lookup */
    while (c->p < c->e && (unsigned char)(*c->p - '0') < 10 &&
           n < maxdigits) {
        v = v * 10 + (*c->p - '0');
        c->p++;
        n++;
    }
    if (n == 0)
        return 0;
    *out = v;
    return n;
}

static int month(cur *c)
{
    if (c->e - c->p < 3)
        return -1;
    uint32_t w = MON(sx_bt_lower[(unsigned char)c->p[0]],
                     sx_bt_lower[(unsigned char)c->p[1]],
                     sx_bt_lower[(unsigned char)c->p[2]]);
    for (int i = 0; i < 12; i++)
        if (w == months[i]) {
            c->p += 3;
            while (c->p < c->e && isalpha((unsigned char)*c->p))
                c->p++;
            return i + 1;
        }
    return -1;
}

/* hh:mm[:ss] */
static int clock_time(cur *c, long *h, long *mi, long *s)
{
    if (!number(c, 2, h) || c->p >= c->e || *c->p != ':')
        return 0;
    c->p++;
    if (!number(c, 2, mi))
        return 0;
    *s = 0;
    if (c->p < c->e && *c->p == ':') {
        c->p++;
        if (!number(c, 2, s))
            return 0;
        if (c->p < c->e && *c->p == '.') /* fractions */
            while (++c->p < c->e && isdigit((unsigned char)*c->p))
                ;
    }
    return *h < 24 && *mi < 60 && *s <= 60;
}

/* Zone: +hhmm, +hh:mm, Z, UT/GMT and the US names of RFC 5322 4.3, and a
 * few common others; offset in seconds. 0 when there is no zone. */
static int zone(cur *c, long *off)
{
    static const struct {
        const char *name;
        size_t len;
        int hours;
    } names[] = {
#define Z(name, hours) {name, sizeof name - 1, hours}
        Z("UTC", 0),  Z("UT", 0),   Z("GMT", 0),  Z("Z", 0),
        Z("EDT", -4), Z("EST", -5), Z("CDT", -5), Z("CST", -6),
        Z("MDT", -6), Z("MST", -7), Z("PDT", -7), Z("PST", -8),
        Z("JST", 9),  Z("KST", 9),  Z("CET", 1),  Z("CEST", 2),
        Z("BST", 1),  Z("IST", 5)
#undef Z
    };
    *off = 0;
    skip_cfws(c);
    if (c->p < c->e && (*c->p == '+' || *c->p == '-')) {
        int sign = *c->p == '-' ? -1 : 1;
        c->p++;
        long hh = 0, mm = 0;
        cur save = *c;
        int n = number(c, 4, &hh);
        if (n == 4) {
            mm = hh % 100;
            hh /= 100;
        } else if (n >= 1 && n <= 2) {
            if (c->p < c->e && *c->p == ':') {
                c->p++;
                number(c, 2, &mm);
            }
        } else {
            *c = save;
            return 0;
        }
        if (hh > 14 || mm > 59)
            return 0;
        *off = sign * (hh * 3600 + mm * 60);
        return 1;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t l = names[i].len;
        if ((size_t)(c->e - c->p) >= l && sx_bt_ieq(c->p, names[i].name, l) &&
            ((size_t)(c->e - c->p) == l ||
             !isalpha((unsigned char)c->p[l]))) {
            c->p += l;
            *off = names[i].hours * 3600L;
            return 1;
        }
    }
    return 0;
}

static int fix_year(long y)
{
    if (y < 50)
        return (int)(2000 + y); /* RFC 5322 4.3 */
    if (y < 1000)
        return (int)(1900 + y);
    return (int)y;
}

static int finish(long y, int mon, long d, long h, long mi, long s, long off,
                  int64_t *t, int *tzoff)
{
    if (mon < 1 || d < 1 || d > 31 || y < 1970 || y > 9999)
        return 0;
    int64_t days = days_from_civil(y, (unsigned)mon, (unsigned)d);
    *t = days * 86400 + h * 3600 + mi * 60 + s - off;
    long a = off < 0 ? -off : off;
    *tzoff = (int)((off < 0 ? -1 : 1) * ((a / 3600) * 100 + (a % 3600) / 60));
    return 1;
}

/* 2024-06-11T18:02:02.123Z / 2024-06-11 18:02:02 +0900 */
static int iso(cur *c, int64_t *t, int *tzoff)
{
    long y, mo, d, h = 0, mi = 0, s = 0, off = 0;
    if (number(c, 4, &y) != 4 || c->p >= c->e || *c->p != '-')
        return 0;
    c->p++;
    if (!number(c, 2, &mo) || c->p >= c->e || *c->p != '-')
        return 0;
    c->p++;
    if (!number(c, 2, &d))
        return 0;
    if (c->p < c->e && (*c->p == 'T' || *c->p == ' ')) {
        c->p++;
        if (!clock_time(c, &h, &mi, &s))
            return 0;
        zone(c, &off);
    }
    return finish(y, (int)mo, d, h, mi, s, off, t, tzoff);
}

int sx_bdate_parse(const char *s, size_t n, int64_t *t, int *tzoff)
{
    cur c = {s, s + n};
    *t = 0;
    *tzoff = 0;
    skip_cfws(&c);
    if (c.e - c.p >= 10 && isdigit((unsigned char)c.p[0]) && c.p[4] == '-') {
        cur k = c;
        if (iso(&k, t, tzoff))
            return 1;
    }
    /* optional day name */
    if (c.p < c.e && isalpha((unsigned char)*c.p)) {
        cur k = c;
        if (month(&k) < 0) {
            while (c.p < c.e && isalpha((unsigned char)*c.p))
                c.p++;
            skip_cfws(&c);
        }
    }
    long d = 0, y = 0, h = 0, mi = 0, sec = 0, off = 0;
    int mon;
    if (c.p < c.e && isdigit((unsigned char)*c.p)) {
        /* 11 Jun 2024 18:02:02 +0900 */
        if (!number(&c, 2, &d))
            return 0;
        skip_cfws(&c);
        if (c.p < c.e && *c.p == '-')
            c.p++;
        if ((mon = month(&c)) < 0)
            return 0;
        if (c.p < c.e && *c.p == '-')
            c.p++;
        skip_cfws(&c);
        if (!number(&c, 4, &y))
            return 0;
        skip_cfws(&c);
        if (!clock_time(&c, &h, &mi, &sec))
            return 0;
        zone(&c, &off);
    } else {
        /* Jun 11 18:02:02 [zone] 2024 (asctime and its kin) */
        if ((mon = month(&c)) < 0)
            return 0;
        skip_cfws(&c);
        if (!number(&c, 2, &d))
            return 0;
        skip_cfws(&c);
        if (!clock_time(&c, &h, &mi, &sec))
            return 0;
        zone(&c, &off);
        skip_cfws(&c);
        if (!number(&c, 4, &y))
            return 0;
    }
    return finish(fix_year(y), mon, d, h, mi, sec, off, t, tzoff);
}
