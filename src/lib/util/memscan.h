/*
 * memscan.h - byte searches that memchr does not offer, for scanners that
 * look for something at the start of a line.
 *
 * Mail is made of short lines, so "find the next line end, then look at
 * the line" costs a call per line. These searches look for the line end
 * and the byte after it together, sixteen bytes per step, and are
 * bounded by the end pointer they are given: nothing at or past end is
 * read. Also the one-byte-class searches that text cleaning needs.
 */
#ifndef SX_MEMSCAN_H
#define SX_MEMSCAN_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* The first p in [from, end - 1) with p[0] == a and p[1] == b, or NULL. */
const char *sx_mem_pair(const char *from, const char *end, char a, char b);

/* The first position q in [from, end) that holds c and starts a line: q is
 * lo (the start of the text) or follows the byte eol. lo <= from; the
 * byte before from is read when from > lo, nothing before it. NULL when
 * there is none. */
const char *sx_mem_bol(const char *lo, const char *from, const char *end,
                       char eol, char c);

/* Like sx_mem_bol, for a line start holding c1 or c2: two scanners that
 * look for different line starts in the same text share one pass. */
const char *sx_mem_bol2(const char *lo, const char *from, const char *end,
                        char eol, char c1, char c2);
/* The first byte in [from, end) equal to a or to b, or NULL. */
const char *sx_mem_any2(const char *from, const char *end, char a, char b);

/* The first control byte in [from, end) other than TAB: below 0x20, or
 * DEL (0x7f). NULL when there is none. */
const char *sx_mem_ctl(const char *from, const char *end);

/* Is every byte in [from, end) printable ASCII (0x20..0x7e) or TAB? */
int sx_mem_is_text(const char *from, const char *end);

/* sx_mem_is_text and no "=?" (an RFC 2047 word's start) in [from, end),
 * in one pass: a header value that needs no decoding. */
int sx_mem_is_plain(const char *from, const char *end);
/* Bit i set when from[i] == c, for the first 64 bytes of [from, end)
 * (fewer when end is nearer; no byte at or past end is read). A reader
 * of many short lines takes the line ends of 64 bytes at once this way
 * and walks the set bits, instead of one memchr call per line: on lines
 * of a few dozen bytes the call costs more than the search. */
static inline uint64_t sx_mem_mask64(const char *from, const char *end,
                                     char c)
{
    size_t n = (size_t)(end - from), i = 0;
    uint64_t m = 0;
#if defined(__SSE2__)
    const __m128i vc = _mm_set1_epi8(c);
    if (n >= 64) {
        const __m128i *v = (const __m128i *)from;
        uint64_t m0 = (unsigned)_mm_movemask_epi8(
                     _mm_cmpeq_epi8(_mm_loadu_si128(v), vc)),
                 m1 = (unsigned)_mm_movemask_epi8(
                     _mm_cmpeq_epi8(_mm_loadu_si128(v + 1), vc)),
                 m2 = (unsigned)_mm_movemask_epi8(
                     _mm_cmpeq_epi8(_mm_loadu_si128(v + 2), vc)),
                 m3 = (unsigned)_mm_movemask_epi8(
                     _mm_cmpeq_epi8(_mm_loadu_si128(v + 3), vc));
        return m0 | m1 << 16 | m2 << 32 | m3 << 48;
    }
    for (; i + 16 <= n; i += 16) { /* the end of the data is near */
        __m128i x = _mm_loadu_si128((const __m128i *)(from + i));
        m |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vc))
             << i;
    }
    if (i < n && n >= 16) {
        /* the last bytes: the sixteen that end at end, of which the
         * bytes already seen are shifted out */
        __m128i x = _mm_loadu_si128((const __m128i *)(end - 16));
        unsigned t = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, vc));
        return m | (uint64_t)(t >> (16 - (n - i))) << i;
    }
#else
    if (n > 64)
        n = 64;
#endif
    for (; i < n; i++)
        m |= (uint64_t)(from[i] == c) << i;
    return m;
}

/* Length of the run at from of visible ASCII bytes (0x21..0x7e) other
 * than stop: a header field name when stop is ':'. At most end - from.
 * Inline: the header readers call it once per field line, on names of a
 * few bytes, where a call costs as much as the search. */
static inline size_t sx_mem_graph_run(const char *from, const char *end,
                                      char stop)
{
    const unsigned char *s = (const unsigned char *)from;
    const unsigned char us = (unsigned char)stop;
    size_t n = from ? (size_t)(end - from) : 0, i = 0;

#if defined(__SSE2__)
    /* the first byte outside the run, sixteen at a time: x + 1 takes
     * 0x21..0x7e to 0x22..0x7f, the only bytes at or above 0x22 as
     * signed ones, so one compare finds both ends of the range; the
     * last step is the sixteen bytes that end at end, overlapping bytes
     * already known to be in the run */
    if (n >= 16) {
        const __m128i one = _mm_set1_epi8(1), top = _mm_set1_epi8(0x22),
                      vs = _mm_set1_epi8((char)stop);
        for (;;) {
            if (n - i < 16)
                i = n - 16;
            __m128i x = _mm_loadu_si128((const __m128i *)(s + i));
            unsigned bad = (unsigned)_mm_movemask_epi8(
                _mm_or_si128(_mm_cmpgt_epi8(top, _mm_add_epi8(x, one)),
                             _mm_cmpeq_epi8(x, vs)));
            if (bad != 0)
                return i + (size_t)__builtin_ctz(bad);
            if (n - i == 16)
                return n;
            i += 16;
        }
    }
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* the first byte outside the run: byte k of the vector is byte k of
     * the two words read back, so the lowest set byte is the first one;
     * the last step is the sixteen bytes that end at end, overlapping
     * bytes already known to be in the run */
    typedef unsigned char v16 __attribute__((vector_size(16)));
    if (n >= 16) {
        for (;;) {
            if (n - i < 16)
                i = n - 16;
            v16 x;
            memcpy(&x, s + i, 16);
            v16 bad = (v16)((v16)(x - 0x21) > 0x5d) | (v16)(x == us);
            uint64_t h[2];
            memcpy(h, &bad, sizeof h);
            if (h[0] != 0)
                return i + (size_t)__builtin_ctzll(h[0]) / 8;
            if (h[1] != 0)
                return i + 8 + (size_t)__builtin_ctzll(h[1]) / 8;
            if (n - i == 16)
                return n;
            i += 16;
        }
    }
#endif
    while (i < n && s[i] >= 0x21 && s[i] <= 0x7e && s[i] != us)
        i++;
    return i;
}

#endif
