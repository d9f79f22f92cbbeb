/*
 * reply_norm.c - first step of reply parsing: untrusted bytes in, clean
 * UTF-8 out.
 *
 * Contract (see sx_reply_norm() in reply.h): the output holds no control
 * character and no invalid UTF-8, words are separated by exactly one ' ' or
 * '\n' (a run of white space that crossed a line end, whatever its style:
 * LF, CRLF or a lone CR as old Mac files have), and it never exceeds the
 * caller's maximum. Everything after this step may assume that shape, which
 * keeps the scanners simple and their bounds checks few.
 *
 * Invalid UTF-8 is replaced the way the Unicode Standard (chapter 3, "U+FFFD
 * substitution of maximal subparts") recommends: one U+FFFD for each
 * maximal prefix of a well-formed sequence, or for each single bad byte.
 */
#include "reply/reply.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum { WS_NONE = 0, WS_SPACE = 1, WS_BREAK = 2 };

static const char REPLACEMENT[3] = {'\xEF', '\xBF', '\xBD'}; /* U+FFFD */

/* Length of the well-formed UTF-8 sequence at p (1..4), or, when it is
 * not well formed, minus the length of its maximal subpart (-1..-3).
 * Only called for p[0] >= 0x80. */
static int utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    unsigned char lo = 0x80, hi = 0xBF;
    int need;

    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0)
            lo = 0xA0; /* no overlong forms */
        else if (c == 0xED)
            hi = 0x9F; /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        return -1; /* stray continuation, C0/C1, F5..FF */
    }
    for (int k = 1; k <= need; k++) {
        if ((size_t)k >= avail || p[k] < lo || p[k] > hi)
            return -k;
        lo = 0x80;
        hi = 0xBF;
    }
    return need + 1;
}

/* The characters that follow a non-ASCII one and need nothing but
 * copying (well formed, from U+00C0 on: no C1 control, no no-break space;
 * no line or paragraph separator), copied in one loop instead of each
 * going through the byte classes of sx_reply_norm(). Stops at any other
 * byte, or where the room ends (the caller's loop then says so); *ip
 * moves past what was copied, the new output length is returned. */
static size_t utf8_run(const unsigned char *p, size_t len, size_t *ip,
                       char *out, size_t w, size_t max)
{
    size_t i = *ip;
    while (i < len && p[i] >= 0xC3) {
        int s = utf8_seq(p + i, len - i);
        if (s < 0 || (size_t)s > max - w)
            break;
        if (p[i] == 0xE2 && p[i + 1] == 0x80 &&
            (p[i + 2] == 0xA8 || p[i + 2] == 0xA9))
            break;
        out[w] = (char)p[i];
        for (int q = 1; q < s; q++)
            out[w + (size_t)q] = (char)p[i + (size_t)q];
        w += (size_t)s;
        i += (size_t)s;
    }
    *ip = i;
    return w;
}

size_t sx_reply_norm(const char *in, size_t len, char *out, size_t max,
                     unsigned *flags, unsigned *breaks)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t i = 0, w = 0;
    int pend = WS_NONE;
    unsigned nbreaks = 0;

    while (i < len) {
        unsigned char c = p[i];
        const char *src;
        size_t k;

        if (c > 0x20 && c < 0x7F) {
            /* The common case, printable ASCII, copied in a tight run
             * bounded by the room left. */
            size_t sep = (pend != WS_NONE && w > 0) ? 1 : 0;
            if (sep + 1 > max - w) {
                *flags |= SMTPDX_REPLY_TRUNCATED;
                break;
            }
            if (sep) {
                out[w++] = pend == WS_BREAK ? '\n' : ' ';
                nbreaks += pend == WS_BREAK;
            }
            pend = WS_NONE;
            /* one byte out for each byte in: single spaces between
             * words are copied in the same run */
            size_t lim = len - i < max - w ? len : i + (max - w);
            while (i < lim) {
#ifdef __SSE2__
                /* sixteen bytes at once when they are all printable and
                 * every space in them is followed by a word byte of the
                 * same block: the byte rule below, for a whole block */
                if (lim - i >= 16) {
                    __m128i v = _mm_loadu_si128((const __m128i *)(p + i));
                    __m128i pr = _mm_and_si128(
                        _mm_cmpgt_epi8(v, _mm_set1_epi8(0x1f)),
                        _mm_cmplt_epi8(v, _mm_set1_epi8(0x7f)));
                    unsigned pm = (unsigned)_mm_movemask_epi8(pr);
                    unsigned sm = (unsigned)_mm_movemask_epi8(
                        _mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
                    if (pm == 0xffffu && (sm & 0x8000u) == 0 &&
                        (sm & (sm >> 1)) == 0) {
                        _mm_storeu_si128((__m128i *)(out + w), v);
                        w += 16;
                        i += 16;
                        continue;
                    }
                }
#endif
                unsigned char u = p[i];
                if (!((unsigned char)(u - 0x21) < 0x5E ||
                      (u == ' ' && i + 1 < lim &&
                       (unsigned char)(p[i + 1] - 0x21) < 0x5E)))
                    break;
                out[w++] = (char)u;
                i++;
            }
            if (i == lim && i < len && p[i] > 0x20 && p[i] < 0x7F) {
                *flags |= SMTPDX_REPLY_TRUNCATED;
                break;
            }
            continue;
        } else if (c == ' ' || c == '\t' || c == '\v' || c == '\f') {
            if (pend == WS_NONE)
                pend = WS_SPACE;
            i++;
            continue;
        } else if (c == '\n' || c == '\r') {
            pend = WS_BREAK;
            i++;
            continue;
        } else if (c < 0x80) {
            /* NUL, the other C0 controls and DEL: never passed on, a
             * terminal would act on them. */
            *flags |= SMTPDX_REPLY_BAD_BYTES;
            src = REPLACEMENT;
            k = 3;
            i++;
        } else {
            int s = utf8_seq(p + i, len - i);
            if (s < 0) {
                *flags |= SMTPDX_REPLY_BAD_BYTES;
                src = REPLACEMENT;
                k = 3;
                i += (size_t)-s;
            } else if (c == 0xC2 && p[i + 1] < 0xA0) {
                *flags |= SMTPDX_REPLY_BAD_BYTES; /* C1 controls */
                src = REPLACEMENT;
                k = 3;
                i += 2;
            } else if (c == 0xC2 && p[i + 1] == 0xA0) {
                if (pend == WS_NONE) /* no-break space */
                    pend = WS_SPACE;
                i += 2;
                continue;
            } else if (c == 0xE2 && p[i + 1] == 0x80 &&
                       (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)) {
                pend = WS_BREAK; /* U+2028, U+2029 */
                i += 3;
                continue;
            } else if (c == 0xEF && p[i + 1] == 0xBB && p[i + 2] == 0xBF &&
                       w == 0) {
                i += 3; /* a leading BOM */
                continue;
            } else {
                src = (const char *)p + i;
                k = (size_t)s;
                i += (size_t)s;
            }
        }

        size_t sep = (pend != WS_NONE && w > 0) ? 1 : 0;
        if (k + sep > max - w) {
            /* the rest is cut; a character is never split */
            *flags |= SMTPDX_REPLY_TRUNCATED;
            break;
        }
        if (sep) {
            out[w++] = pend == WS_BREAK ? '\n' : ' ';
            nbreaks += pend == WS_BREAK;
        }
        pend = WS_NONE;
        /* one to four bytes: a loop costs less than memcpy's set-up */
        out[w] = src[0];
        for (size_t q = 1; q < k; q++)
            out[w + q] = src[q];
        w += k;
        if (k > 1 && src != REPLACEMENT)
            w = utf8_run(p, len, &i, out, w, max);
    }
    *breaks = nbreaks;
    return w;
}
