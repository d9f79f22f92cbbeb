/*
 * log_time.c - timestamps of mail logs, turned into Unix time.
 *
 * Two shapes cover the dialects: the BSD syslog stamp "Nov 28 03:19:44"
 * (RFC 3164 4.1.2; also what Postfix's maillog_file writes) and ISO 8601 /
 * RFC 3339 section 5.6 stamps as rsyslog, journald and RFC 5424 write them,
 * plus Exim's "2026-11-28 03:19:44 [+0100]". Syslog stamps have no year: it
 * is fixed by the caller or inferred as the latest year that does not put
 * the line more than two days after the reference time. Stamps without a
 * zone are local time (TZ) unless the caller asks for UTC; the local
 * conversion is cached per hour so that mktime() runs once an hour of log,
 * not once a line.
 */
#include <string.h>
#include <time.h>

#include "log/log.h"

/* Days from 1970-01-01 to a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t sx_clock_civil(int y, int mon, int d, int h, int mi, int sec)
{
    return days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 + sec;
}

void sx_clock_init(sx_logclock *c, const smtpdx_log_options *o)
{
    c->utc = o->utc;
    c->year = o->year;
    c->ref = o->now ? o->now : (int64_t)time(NULL);
    time_t r = (time_t)c->ref;
    struct tm tm;
    if (c->utc ? gmtime_r(&r, &tm) != NULL : localtime_r(&r, &tm) != NULL) {
        c->ref_year = tm.tm_year + 1900;
        c->ref_civil = sx_clock_civil(c->ref_year, tm.tm_mon + 1, tm.tm_mday,
                                      tm.tm_hour, tm.tm_min, tm.tm_sec);
    } else {
        c->ref_year = 1970;
        c->ref_civil = c->ref;
    }
    c->hkey = -1;
}

/* A zone-less local time to Unix time; *off gets the offset in seconds. */
static int64_t local_to_unix(sx_logclock *c, int y, int mon, int d, int h,
                             int mi, int s, int *off)
{
    int64_t civil = sx_clock_civil(y, mon, d, h, mi, s);
    if (c->utc) {
        *off = 0;
        return civil;
    }
    int64_t key = ((int64_t)y * 100 + mon) * 10000 + d * 100 + h;
    if (key != c->hkey) {
        struct tm tm = {0};
        tm.tm_year = y - 1900;
        tm.tm_mon = mon - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_isdst = -1;
        time_t t = mktime(&tm);
        if (t == (time_t)-1) {
            *off = 0;
            return civil;
        }
        c->hkey = key;
        c->hbase = (int64_t)t;
        c->hoff = (int)(sx_clock_civil(y, mon, d, h, 0, 0) - (int64_t)t);
    }
    *off = c->hoff;
    return c->hbase + mi * 60 + s;
}

static int month_of(const char *p)
{
    /* The three letters as one number: a switch beats 12 memcmp calls. */
    unsigned k = ((unsigned)(unsigned char)p[0] << 16) |
                 ((unsigned)(unsigned char)p[1] << 8) | (unsigned char)p[2];
    switch (k) {
    case 0x4a616e: return 1;  /* Jan */
    case 0x466562: return 2;  /* Feb */
    case 0x4d6172: return 3;  /* Mar */
    case 0x417072: return 4;  /* Apr */
    case 0x4d6179: return 5;  /* May */
    case 0x4a756e: return 6;  /* Jun */
    case 0x4a756c: return 7;  /* Jul */
    case 0x417567: return 8;  /* Aug */
    case 0x536570: return 9;  /* Sep */
    case 0x4f6374: return 10; /* Oct */
    case 0x4e6f76: return 11; /* Nov */
    case 0x446563: return 12; /* Dec */
    default: return 0;
    }
}

/* hh:mm:ss at s.p[at]; 0 when not there. */
static int hms(sx_span s, size_t at, int *h, int *mi, int *sec)
{
    if (at + 8 > s.n || s.p[at + 2] != ':' || s.p[at + 5] != ':')
        return 0;
    *h = sx_span_digits(s, at, 2);
    *mi = sx_span_digits(s, at + 3, 2);
    *sec = sx_span_digits(s, at + 6, 2);
    return *h >= 0 && *h < 24 && *mi >= 0 && *mi < 60 && *sec >= 0 &&
           *sec <= 60;
}

/* Past the fraction of a second that may follow "hh:mm:ss" at s.p[at]
 * (".123456": journalctl -o short-precise, syslog-ng's frac-digits) and
 * the space after the stamp: the stamp's length, or 0 when no space
 * follows. */
static size_t stamp_end(sx_span s, size_t at)
{
    if (at < s.n && s.p[at] == '.') {
        size_t k = 0;
        at++;
        while (at < s.n && k < 9 && sx_is_digit(s.p[at]))
            at++, k++;
        if (k == 0)
            return 0;
    }
    return at < s.n && s.p[at] == ' ' ? at + 1 : 0;
}

/* The time of a syslog stamp's fields, the year guessed when the log
 * names none. */
static int64_t syslog_time(sx_logclock *c, int mon, int d, int h, int mi,
                           int sec, int *off)
{
    int y = c->year;
    if (y == 0) {
        y = c->ref_year;
        /* A stamp more than two days ahead of the reference belongs to
         * the year before (a December line read in January). */
        if (sx_clock_civil(y, mon, d, h, mi, sec) > c->ref_civil + 2 * 86400)
            y--;
    }
    return local_to_unix(c, y, mon, d, h, mi, sec, off);
}

/* "Mar 7 02:09:33 ": a day of one digit after a single space, as some
 * relays and log converters write the stamp (not kept in the minute
 * cache, whose key is the padded form). */
static size_t syslog_unpadded(sx_logclock *c, sx_span s, sx_logtime *out)
{
    size_t len;
    int mon, d, h, mi, sec;
    if (s.n < 15 || (len = s.p[14] == ' ' ? 15 : stamp_end(s, 14)) == 0 ||
        (mon = month_of(s.p)) == 0 || (d = sx_span_digits(s, 4, 1)) < 1 ||
        !hms(s, 6, &h, &mi, &sec))
        return 0;
    out->t = syslog_time(c, mon, d, h, mi, sec, &out->off);
    out->hour = h;
    return len;
}

size_t sx_clock_syslog(sx_logclock *c, sx_span s, sx_logtime *out)
{
    /* "Nov 28 03:19:44 " or "Nov  1 03:19:44 ", maybe with a fraction of
     * a second ("Nov 28 03:19:44.123456 ") */
    size_t len;
    if (s.n >= 15 && s.p[3] == ' ' && s.p[5] == ' ' && sx_is_digit(s.p[4]))
        return syslog_unpadded(c, s, out);
    if (s.n < 16 || s.p[3] != ' ' || s.p[6] != ' ' ||
        (len = s.p[15] == ' ' ? 16 : stamp_end(s, 15)) == 0)
        return 0;
    /* Lines come in bursts within one minute: "Mmm dd hh:mm" as before
     * means the same base, and only the seconds change. */
    if (c->mvalid && memcmp(s.p, c->mkey, 12) == 0 && s.p[12] == ':') {
        int sec = sx_span_digits(s, 13, 2);
        if (sec >= 0 && sec <= 60) {
            out->t = c->mbase + sec;
            out->off = c->moff;
            out->hour = c->mhour;
            return len;
        }
    }
    int mon = month_of(s.p);
    if (mon == 0)
        return 0;
    int d;
    if (s.p[4] == ' ')
        d = sx_span_digits(s, 5, 1);
    else
        d = sx_span_digits(s, 4, 2);
    int h, mi, sec;
    if (d < 1 || d > 31 || !hms(s, 7, &h, &mi, &sec))
        return 0;
    out->t = syslog_time(c, mon, d, h, mi, sec, &out->off);
    out->hour = h;
    memcpy(c->mkey, s.p, 12);
    c->mbase = out->t - sec;
    c->moff = out->off;
    c->mhour = h;
    c->mvalid = 1;
    return len;
}

size_t sx_clock_iso(sx_logclock *c, sx_span s, sx_logtime *out)
{
    /* YYYY-MM-DD[T ]hh:mm:ss */
    if (s.n < 20 || s.p[4] != '-' || s.p[7] != '-' ||
        (s.p[10] != 'T' && s.p[10] != ' '))
        return 0;
    int y = sx_span_digits(s, 0, 4), mon = sx_span_digits(s, 5, 2),
        d = sx_span_digits(s, 8, 2);
    int h, mi, sec;
    if (y < 1970 || mon < 1 || mon > 12 || d < 1 || d > 31 ||
        !hms(s, 11, &h, &mi, &sec))
        return 0;
    size_t i = 19;
    if (i < s.n && (s.p[i] == '.' || s.p[i] == ',')) {
        i++;
        size_t k = 0;
        while (i < s.n && sx_is_digit(s.p[i]) && k < 9)
            i++, k++;
    }
    int have_zone = 0, off = 0;
    if (i < s.n && s.p[i] == 'Z') {
        have_zone = 1;
        i++;
    } else {
        /* "+01:00" or "+0100" straight after, or " +0100" (Exim's
         * log_timezone) */
        size_t z = i;
        if (z < s.n && s.p[z] == ' ' && z + 1 < s.n &&
            (s.p[z + 1] == '+' || s.p[z + 1] == '-') && s.p[10] == ' ')
            z++;
        if (z < s.n && (s.p[z] == '+' || s.p[z] == '-')) {
            int sign = s.p[z] == '-' ? -1 : 1;
            int zh = sx_span_digits(s, z + 1, 2), zm = -1;
            size_t end = 0;
            if (zh >= 0 && z + 3 < s.n && s.p[z + 3] == ':') {
                zm = sx_span_digits(s, z + 4, 2);
                end = z + 6;
            } else if (zh >= 0) {
                zm = sx_span_digits(s, z + 3, 2);
                end = z + 5;
            }
            if (zh >= 0 && zh < 24 && zm >= 0 && zm < 60) {
                have_zone = 1;
                off = sign * (zh * 3600 + zm * 60);
                i = end;
            }
        }
    }
    if (i >= s.n || s.p[i] != ' ')
        return 0;
    if (have_zone) {
        out->t = sx_clock_civil(y, mon, d, h, mi, sec) - off;
        out->off = off;
    } else {
        out->t = local_to_unix(c, y, mon, d, h, mi, sec, &out->off);
    }
    out->hour = h;
    return i + 1;
}
