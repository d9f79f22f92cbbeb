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

static const char *const months[] = {"jan", "feb", "mar", "apr", "may",
                                     "jun", "jul", "aug", "sep", "oct",
                                     "nov", "dec"};

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
    while (c->p < c->e && isdigit((unsigned char)*c->p) && n < maxdigits) {
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
    for (int i = 0; i < 12; i++)
        if (sx_bt_ieq(c->p, months[i], 3)) {
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
        int hours;
    } names[] = {{"UTC", 0},  {"UT", 0},   {"GMT", 0},  {"Z", 0},
                 {"EDT", -4}, {"EST", -5}, {"CDT", -5}, {"CST", -6},
                 {"MDT", -6}, {"MST", -7}, {"PDT", -7}, {"PST", -8},
                 {"JST", 9},  {"KST", 9},  {"CET", 1},  {"CEST", 2},
                 {"BST", 1},  {"IST", 5}};
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
        size_t l = strlen(names[i].name);
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
