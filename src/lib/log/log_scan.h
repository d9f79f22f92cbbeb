/*
 * log_scan.h - a bounded view over one log line and the few scans the
 * dialect parsers need.
 *
 * Every parser walks a line through an sx_span: a pointer and a length
 * that never grow, so no scan can run past the line whatever the bytes
 * are. Nothing here allocates, copies or needs a NUL terminator; the
 * helpers are inline because they sit in the per-line hot path.
 */
#ifndef SX_LOG_SCAN_H
#define SX_LOG_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct sx_span {
    const char *p;
    size_t n;
} sx_span;

static inline sx_span sx_span_make(const char *p, size_t n)
{
    sx_span s = {p, n};
    return s;
}

/* s starts with the literal lit (length ln). */
static inline int sx_span_starts(sx_span s, const char *lit, size_t ln)
{
    return s.n >= ln && memcmp(s.p, lit, ln) == 0;
}
#define SX_STARTS(s, lit) sx_span_starts((s), (lit), sizeof(lit) - 1)

static inline int sx_span_ends(sx_span s, const char *lit, size_t ln)
{
    return s.n >= ln && memcmp(s.p + s.n - ln, lit, ln) == 0;
}
#define SX_ENDS(s, lit) sx_span_ends((s), (lit), sizeof(lit) - 1)

static inline int sx_span_eq(sx_span s, const char *lit, size_t ln)
{
    return s.n == ln && memcmp(s.p, lit, ln) == 0;
}
#define SX_EQ(s, lit) sx_span_eq((s), (lit), sizeof(lit) - 1)

/* Drop k bytes from the front (k is clamped). */
static inline sx_span sx_span_skip(sx_span s, size_t k)
{
    if (k > s.n)
        k = s.n;
    if (k > 0) { /* an empty span may have p == NULL: no p + 0 */
        s.p += k;
        s.n -= k;
    }
    return s;
}

/* Offset of the first c in s, or s.n when absent. */
static inline size_t sx_span_chr(sx_span s, char c)
{
    const char *q = s.n ? memchr(s.p, c, s.n) : NULL;
    return q ? (size_t)(q - s.p) : s.n;
}

/* Offset of the last c in s, or s.n when absent. */
static inline size_t sx_span_rchr(sx_span s, char c)
{
    for (size_t i = s.n; i > 0; i--)
        if (s.p[i - 1] == c)
            return i - 1;
    return s.n;
}

/* Offset of the first occurrence of needle (length ln > 0), or s.n. */
static inline size_t sx_span_find(sx_span s, const char *needle, size_t ln)
{
    if (ln == 0 || s.n < ln)
        return s.n;
    const char *p = s.p, *end = s.p + s.n - ln + 1;
    while (p < end) {
        const char *q = memchr(p, needle[0], (size_t)(end - p));
        if (q == NULL)
            break;
        if (memcmp(q, needle, ln) == 0)
            return (size_t)(q - s.p);
        p = q + 1;
    }
    return s.n;
}
#define SX_FIND(s, lit) sx_span_find((s), (lit), sizeof(lit) - 1)

/* Offset of the last occurrence of needle, or s.n. */
static inline size_t sx_span_rfind(sx_span s, const char *needle, size_t ln)
{
    if (ln == 0 || s.n < ln)
        return s.n;
    for (size_t i = s.n - ln + 1; i > 0; i--)
        if (s.p[i - 1] == needle[0] && memcmp(s.p + i - 1, needle, ln) == 0)
            return i - 1;
    return s.n;
}
#define SX_RFIND(s, lit) sx_span_rfind((s), (lit), sizeof(lit) - 1)

/* The leading part up to (not including) offset k, and the rest after
 * k + skip bytes. */
static inline sx_span sx_span_head(sx_span s, size_t k)
{
    if (k < s.n)
        s.n = k;
    return s;
}

static inline sx_span sx_span_trim(sx_span s)
{
    while (s.n && (s.p[0] == ' ' || s.p[0] == '\t'))
        s.p++, s.n--;
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t' ||
                   s.p[s.n - 1] == '\r'))
        s.n--;
    return s;
}

static inline int sx_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Exactly k decimal digits at s.p[at]; -1 when they are not there. */
static inline int sx_span_digits(sx_span s, size_t at, size_t k)
{
    if (at > s.n || s.n - at < k)
        return -1;
    int v = 0;
    for (size_t i = 0; i < k; i++) {
        char c = s.p[at + i];
        if (!sx_is_digit(c))
            return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

/* Where the value of key (given with its '=', like "to=") starts in a
 * list of key=value fields: the key counts only at the start of s or
 * after a blank (or, with comma, a ','), so "orig_to=" is never taken for
 * "to=". SIZE_MAX when the key is absent. */
static inline size_t sx_key_value_at(sx_span s, const char *key, size_t kl,
                                     int comma)
{
    size_t off = 0;
    while (off < s.n) {
        sx_span rest = sx_span_skip(s, off);
        size_t k = sx_span_find(rest, key, kl);
        if (k == rest.n)
            return SIZE_MAX;
        size_t at = off + k;
        if (at == 0 || s.p[at - 1] == ' ' || (comma && s.p[at - 1] == ','))
            return at + kl;
        off = at + 1;
    }
    return SIZE_MAX;
}

/* Where a postfix-style value at the start of v ends: after the '>' that
 * closes one opened with '<', else at ", " or the end. */
static inline size_t sx_value_end(sx_span v)
{
    if (v.n && v.p[0] == '<') {
        size_t e = sx_span_chr(v, '>');
        return e < v.n ? e + 1 : v.n;
    }
    return SX_FIND(v, ", ");
}

/* A postfix-style field value "key=value, key=value": the value of key
 * (given with its '=', like "to=") ending at ", " or at the end; for a
 * value that starts with '<' it ends after the matching '>'. Keys are
 * matched as sx_key_value_at says, after a blank or a comma. Returns 1
 * and sets *val when found. */
static inline int sx_field(sx_span s, const char *key, size_t kl, sx_span *val)
{
    size_t at = sx_key_value_at(s, key, kl, 1);
    if (at == SIZE_MAX)
        return 0;
    sx_span v = sx_span_skip(s, at);
    *val = sx_span_head(v, sx_value_end(v));
    return 1;
}
#define SX_FIELD(s, key, out) sx_field((s), (key), sizeof(key) - 1, (out))

/* Strip one pair of angle brackets: "<a@b>" -> "a@b". */
static inline sx_span sx_span_unangle(sx_span s)
{
    if (s.n >= 2 && s.p[0] == '<' && s.p[s.n - 1] == '>') {
        s.p++;
        s.n -= 2;
    }
    return s;
}

/* The domain part of an address: after the last '@', or empty. */
static inline sx_span sx_span_domain(sx_span addr)
{
    size_t at = sx_span_rchr(addr, '@');
    if (at == addr.n) /* (an empty span may have p == NULL: no p + 0) */
        return sx_span_make(addr.n ? addr.p + addr.n : addr.p, 0);
    return sx_span_skip(addr, at + 1);
}

/* FNV-1a, for the queue table and the classification cache. */
static inline uint32_t sx_hash(const char *p, size_t n, uint32_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 16777619u;
    }
    return h;
}
#define SX_HASH_SEED 2166136261u

#endif
