/*
 * reply_code.c - recognise one group of SMTP codes at an offset.
 *
 * A group is a basic reply code (RFC 5321 section 4.2: three digits, the
 * first 2 to 5, the second 0 to 5), an enhanced status code (RFC 3463
 * section 2: class "." subject "." detail, class 2, 4 or 5, subject and
 * detail one to three digits), or both as servers write them: "550 5.1.1",
 * "550-5.7.1" (a line of a multi-line reply, RFC 5321 4.2.1), "#550 5.1.1"
 * (Exchange), "550-'5.7.1" (quoted), "(#5.5.0)" (qmail's trailer), and the
 * misspellings "5-7-1" and "5.7.1.".
 *
 * The right edge of every number is checked so that the dotted quads,
 * versions, ports, sizes and dates found in reply text are not taken for
 * codes: "10.0.0.1", "192.0.2.550", "1.2.3.4", "SIZE=10485760", "4-12-2019".
 * The left edge is the caller's business (sx_reply_code_left_ok()), as only
 * the caller knows the byte before the group.
 *
 * This file only says what is written; which group is the reply's own code
 * is decided in reply_scan.c.
 */
#include "reply/reply.h"

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(unsigned char c)
{
    return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

int sx_reply_code_left_ok(unsigned char prev)
{
    switch (prev) {
    case ' ':
    case '\n':
    case SX_REPLY_DEL:
    case ';':
    case ',':
    case '=':
    case '#':
    case '*':
    case '\'':
    case '"':
    case '(':
    case '[':
    case '{':
    case '<':
    case '>':
        return 1;
    default:
        return 0; /* '.', ':', '-', '/', letters, digits, ... */
    }
}

/* Can this byte follow a number that is a code? A letter, a digit or
 * '_' '@' '/' '%' glue the number into a longer word ("550abc", "25%"). */
static int right_ok(unsigned char c)
{
    return !(is_alnum(c) || c == '_' || c == '@' || c == '/' || c == '%' ||
             c == '+' || c >= 0x80);
}

/* A dotted quad at b[k] ("192.0.2.1"), ended by no further digit or dot
 * and digit? */
static int ipv4_at(const char *b, size_t n, size_t k)
{
    for (int part = 0; part < 4; part++) {
        size_t d = k;
        while (k < n && is_digit((unsigned char)b[k]) && k - d < 4)
            k++;
        if (k == d || k - d > 3)
            return 0;
        if (part < 3) {
            if (k >= n || b[k] != '.')
                return 0;
            k++;
        }
    }
    return k >= n || !(is_alnum((unsigned char)b[k]) ||
                       (b[k] == '.' && k + 1 < n &&
                        is_digit((unsigned char)b[k + 1])));
}

/* An enhanced code at b[k]. Returns 1 and fills the enhanced part of *c,
 * with *endp after the detail; 0 when none (c->bad set when it would be
 * one but for a detail of four or more digits, as in "5.7.1000"). */
static int enh_at(const char *b, size_t n, size_t k, sx_code *c, size_t *endp)
{
    size_t p = k;
    int cls, subj = 0, det = 0, nsubj = 0, ndet = 0;
    char sep;

    if (p + 5 > n || !is_digit((unsigned char)b[p]))
        return 0; /* "5.1.1" needs five bytes */
    cls = b[p++] - '0';
    sep = b[p];
    if (sep != '.' && sep != '-')
        return 0;
    p++;
    while (p < n && is_digit((unsigned char)b[p]) && nsubj < 4) {
        subj = subj * 10 + (b[p++] - '0');
        nsubj++;
    }
    if (nsubj == 0 || nsubj > 3 || p >= n || b[p] != sep)
        return 0;
    p++;
    while (p < n && is_digit((unsigned char)b[p]) && ndet < 6) {
        det = det * 10 + (b[p++] - '0');
        ndet++;
    }
    if (ndet == 0 || ndet > 5)
        return 0; /* a long number: not a code at all */

    int dot = 0;
    if (p < n) {
        unsigned char u = (unsigned char)b[p];
        if (u == '.' || u == '-') {
            /* a fourth part: an address, a version, a date */
            if (p + 1 < n && is_digit((unsigned char)b[p + 1]))
                return 0;
            dot = u == '.';
        } else if (!right_ok(u)) {
            return 0;
        }
    }
    if (cls != 2 && cls != 4 && cls != 5)
        return 0; /* "1.2.3", "3.0.1": versions, not RFC 3463 classes */
    if (sep == '-' && (nsubj > 1 || ndet > 3))
        return 0; /* "4-12-2019" is a date */
    if (ndet > 3) {
        c->bad = SMTPDX_REPLY_ENH_INVALID; /* RFC 3463: detail 1*3digit */
        return 0;
    }
    c->enh_start = k;
    c->cls = cls;
    c->subj = subj;
    c->det = det;
    c->dashed = sep == '-';
    c->dot = (unsigned char)dot;
    c->subj_ok = subj <= 7; /* RFC 3463 section 3 defines 0..7 */
    *endp = p;
    return 1;
}

int sx_reply_code_at(const char *b, size_t n, size_t i, sx_code *c)
{
    size_t j = i, end = 0;

    c->start = i;
    c->end = i;
    c->enh_start = 0;
    c->basic = c->cls = c->subj = c->det = 0;
    c->bad = 0;
    c->sep = c->hash = c->trailer = c->quote = 0;
    c->dashed = c->dot = c->subj_ok = 0;
    if (i >= n)
        return 0;

    if (b[i] == '(') {
        /* qmail ends its own messages with "(#5.1.1)" */
        if (i + 2 >= n || b[i + 1] != '#')
            return 0;
        if (!enh_at(b, n, i + 2, c, &end) || end >= n || b[end] != ')' ||
            c->dashed)
            return 0;
        c->hash = c->trailer = 1;
        c->dot = 0;
        c->end = end + 1;
        return 1;
    }
    if (b[i] == '#') {
        c->hash = 1;
        j = i + 1;
    }

    /* A basic code: exactly three digits, then a proper edge. */
    if (j + 3 <= n && is_digit((unsigned char)b[j]) &&
        is_digit((unsigned char)b[j + 1]) &&
        is_digit((unsigned char)b[j + 2])) {
        size_t k = j + 3;
        unsigned char u = k < n ? (unsigned char)b[k] : ' ';
        int d0 = b[j] - '0', d1 = b[j + 1] - '0', d2 = b[j + 2] - '0';
        int edge = 1;

        if (k < n && is_digit(u))
            return 0; /* a longer number */
        if (u == ' ' || u == '\n' || u == '-')
            c->sep = k < n ? (u == '-' ? '-' : ' ') : 0;
        else if (u == '.')
            edge = !(k + 1 < n && is_digit((unsigned char)b[k + 1]));
        else
            edge = right_ok(u) && u != '[' && u != '<' && u != '#' &&
                   u != '=' && u != '*';
        if (!edge)
            return 0;

        int has_enh = 0;
        size_t q = k + 1;
        if (c->sep) {
            if (q < n && (b[q] == '\'' || b[q] == '"')) {
                c->quote = (unsigned char)b[q];
                q++;
            }
            if (q < n && b[q] == '#')
                q++;
            has_enh = enh_at(b, n, q, c, &end);
            if (!has_enh)
                c->quote = 0;
        }
        /* "550-1234": a number range or a ticket, not a code line; but
         * "250-8BITMIME" is one, a word that starts with a digit, and so
         * is "550-192.0.2.1 blocked", a line that names the client */
        if (c->sep == '-' && !has_enh && k + 1 < n &&
            is_digit((unsigned char)b[k + 1]) && !ipv4_at(b, n, k + 1)) {
            size_t d = k + 1;
            while (d < n && is_digit((unsigned char)b[d]))
                d++;
            unsigned char a = d < n ? (unsigned char)b[d] : ' ';
            if (!((a >= 'A' && a <= 'Z') || (a >= 'a' && a <= 'z')))
                return 0;
        }
        /* RFC 5321 4.2: first digit 2..5, second 0..5. A second digit
         * above 5 is let through only when an enhanced code of the same
         * class vouches for it ("571 5.7.1" is seen in the wild). */
        if (d0 < 2 || d0 > 5 || (d1 > 5 && !(has_enh && c->cls == d0))) {
            c->cls = 0;
            c->bad = 0;
            return 0;
        }
        c->basic = d0 * 100 + d1 * 10 + d2;
        if (has_enh)
            c->end = end;
        else
            c->end = c->sep == '-' ? k + 1 : k;
        return 1;
    }

    if (enh_at(b, n, j, c, &end)) {
        c->end = end;
        return 1;
    }
    return 0;
}

size_t sx_reply_enh_format(char *out, int cls, int subj, int det)
{
    size_t w = 0;
    int parts[3] = {cls, subj, det};

    for (int k = 0; k < 3; k++) {
        int v = parts[k];
        if (v < 0 || v > 999)
            v = 0;
        if (k)
            out[w++] = '.';
        if (v >= 100)
            out[w++] = (char)('0' + v / 100);
        if (v >= 10)
            out[w++] = (char)('0' + v / 10 % 10);
        out[w++] = (char)('0' + v % 10);
    }
    out[w] = '\0';
    return w;
}
