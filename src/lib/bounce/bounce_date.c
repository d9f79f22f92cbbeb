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

/* The month a word of months[] stands for, by its slot: (w * MON_HASH)
 * >> 28 differs for the twelve names, so a name is found with one compare,
 * not a loop whose exit depends on the month. */
#define MON_HASH 0x1d21d7u
static const unsigned char month_at[16] = {2, 1, 8, 11, 0, 7, 6,  3,
                                          5, 4, 0, 9,  12, 0, 0, 10};

/* 1..12 for the month word w (lower case), -1 when w names none. */
static int month_of(uint32_t w)
{
    unsigned i = month_at[(uint32_t)(w * MON_HASH) >> 28];
    return i != 0 && months[i - 1] == w ? (int)i : -1;
}

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

/* The month that the three letters at p name (1..12), or -1. */
static int month3(const char *p)
{
    return month_of(MON(sx_bt_lower[(unsigned char)p[0]],
                        sx_bt_lower[(unsigned char)p[1]],
                        sx_bt_lower[(unsigned char)p[2]]));
}

static int month(cur *c)
{
    if (c->e - c->p < 3)
        return -1;
    int i = month3(c->p);
    if (i < 0)
        return -1;
    c->p += 3;
    while (c->p < c->e && isalpha((unsigned char)*c->p))
        c->p++;
    return i;
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

/* "-0000" as zone() reads it: no offset from UTC, but no more known of
 * the local zone (RFC 5322 3.3). No real zone is one second off UTC. */
#define MINUS_ZERO (-1L)

/* Zone: +hhmm, +hh:mm, Z, UT/GMT and the US names of RFC 5322 4.3, and a
 * few common others; offset in seconds (MINUS_ZERO for "-0000"). 0 when
 * there is no zone. */
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
        if (sign < 0 && *off == 0)
            *off = MINUS_ZERO; /* kept apart for the record's offset */
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
    int minus_zero = off == MINUS_ZERO;
    if (minus_zero)
        off = 0;
    int64_t days = days_from_civil(y, (unsigned)mon, (unsigned)d);
    *t = days * 86400 + h * 3600 + mi * 60 + s - off;
    long a = off < 0 ? -off : off;
    *tzoff = minus_zero ? SX_BDATE_TZ_MINUS_ZERO
                        : (int)((off < 0 ? -1 : 1) *
                                ((a / 3600) * 100 + (a % 3600) / 60));
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

static inline int digit(char c)
{
    return (unsigned char)(c - '0') < 10;
}

static inline int letter(char c)
{
    return (unsigned)(((unsigned char)c | 0x20) - 'a') < 26;
}

/* The form nearly every date of a notice has, "Thu, 29 Apr 2009 23:34:45
 * +0900" (the day name and the spaces after its comma optional, the day
 * one or two digits; what follows the zone is not read), taken at fixed
 * places with no branch per byte. Any other text gives -1, and the general
 * parser below reads it; a date of this form gives what that parser makes
 * of it. */
static int canonical(const char *s, size_t n, int64_t *t, int *tzoff)
{
    const char *p = s, *e = s + n;
    if (e - p >= 5 && letter(p[0]) && letter(p[1]) && letter(p[2]) &&
        p[3] == ',') {
        if (month3(p) > 0)
            return -1; /* "Apr, ...": the general parser's other branch */
        p += 4;
        while (p < e && *p == ' ')
            p++;
    }
    /* "D Mon YYYY HH:MM:SS +hhmm": 25 bytes from the day's last digit */
    if (e - p < 25 || !digit(p[0]))
        return -1;
    long d = p[0] - '0';
    if (digit(p[1])) {
        d = d * 10 + (p[1] - '0');
        p++;
        if (e - p < 25)
            return -1;
    }
    const char *q = p + 1; /* " Mon YYYY HH:MM:SS +hhmm" */
    if (q[0] != ' ' || q[4] != ' ' || q[9] != ' ' || q[12] != ':' ||
        q[15] != ':' || q[18] != ' ' || (q[19] != '+' && q[19] != '-') ||
        !digit(q[5]) || !digit(q[6]) || !digit(q[7]) || !digit(q[8]) ||
        !digit(q[10]) || !digit(q[11]) || !digit(q[13]) || !digit(q[14]) ||
        !digit(q[16]) || !digit(q[17]) || !digit(q[20]) || !digit(q[21]) ||
        !digit(q[22]) || !digit(q[23]))
        return -1;
    int mon = month3(q + 1);
    long y = (q[5] - '0') * 1000L + (q[6] - '0') * 100L + (q[7] - '0') * 10L +
             (q[8] - '0');
    long h = (q[10] - '0') * 10L + (q[11] - '0');
    long mi = (q[13] - '0') * 10L + (q[14] - '0');
    long sec = (q[16] - '0') * 10L + (q[17] - '0');
    long zh = (q[20] - '0') * 10L + (q[21] - '0');
    long zm = (q[22] - '0') * 10L + (q[23] - '0');
    if (mon < 0 || h >= 24 || mi >= 60 || sec > 60 || zh > 14 || zm > 59)
        return -1;
    long off = (q[19] == '-' ? -1 : 1) * (zh * 3600 + zm * 60);
    if (q[19] == '-' && off == 0)
        off = MINUS_ZERO;
    return finish(fix_year(y), mon, d, h, mi, sec, off, t, tzoff) ? 1 : -1;
}

int sx_bdate_parse(const char *s, size_t n, int64_t *t, int *tzoff)
{
    cur c = {s, s + n};
    *t = 0;
    *tzoff = 0;
    if (canonical(s, n, t, tzoff) > 0)
        return 1;
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
