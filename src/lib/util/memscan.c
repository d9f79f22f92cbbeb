/*
 * memscan.c - two-byte and byte-class searches (see memscan.h).
 *
 * Written with the GCC/Clang vector extension, which compiles to SSE2 on
 * x86-64 and NEON on ARM, and falls back to plain code elsewhere; no
 * alignment assumptions. A hit is placed by its byte in the mask only on
 * a little-endian CPU (SX_MEM_LE), by a byte-wise loop elsewhere. The one
 * search that pays for wider vectors (sx_mem_pair, over whole bodies) has
 * AVX2 and AVX-512 forms too, taken after a run-time check of the CPU.
 */
#include "util/memscan.h"

#include <stdint.h>
#include <string.h>

typedef unsigned char sx_v16 __attribute__((vector_size(16)));

static int any16(sx_v16 m)
{
    uint64_t h[2];
    memcpy(h, &m, sizeof h);
    return (h[0] | h[1]) != 0;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SX_MEM_LE 1
/* The index of the first non-zero byte of m, 16 when there is none: on a
 * little-endian CPU byte k of the vector is byte k of the words read
 * back, so the lowest set bit names it. */
static unsigned first16(sx_v16 m)
{
    uint64_t h[2];
    memcpy(h, &m, sizeof h);
    if (h[0] != 0)
        return (unsigned)__builtin_ctzll(h[0]) / 8;
    if (h[1] != 0)
        return 8 + (unsigned)__builtin_ctzll(h[1]) / 8;
    return 16;
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SX_MEM_AVX2 1

/* sx_mem_pair on a CPU with AVX2 (checked at run time, and only where
 * the compiler can build it), for 33 bytes or more: 129 bytes are read
 * per step, the pairs that start in the first 128, and a hit is placed by
 * its bit in a byte mask; the last pairs are looked at through one window
 * of 33 bytes that ends at end, overlapping pairs already known not to
 * match. A MIME body is searched for its next boundary line this way, and
 * an mbox for its "From " and ">From " lines, so twice the width per
 * instruction pays on every byte. With two (a constant where it is
 * inlined) the second byte may also be ub2: the one-byte search does not
 * pay for the other compare. */
__attribute__((target("avx2"), always_inline)) static inline __m256i
pair_mask(const unsigned char *p, __m256i va, __m256i vb, __m256i vb2, int two)
{
    __m256i x = _mm256_loadu_si256((const __m256i *)p);
    __m256i y = _mm256_loadu_si256((const __m256i *)(p + 1));
    __m256i b = _mm256_cmpeq_epi8(y, vb);
    if (two)
        b = _mm256_or_si256(b, _mm256_cmpeq_epi8(y, vb2));
    return _mm256_and_si256(_mm256_cmpeq_epi8(x, va), b);
}

__attribute__((target("avx2"), always_inline)) static inline const
    unsigned char *
    pair_avx2_any(const unsigned char *s, const unsigned char *e,
                  unsigned char ua, unsigned char ub, unsigned char ub2,
                  int two)
{
    const __m256i va = _mm256_set1_epi8((char)ua);
    const __m256i vb = _mm256_set1_epi8((char)ub);
    const __m256i vb2 = _mm256_set1_epi8((char)ub2);
    __m256i m[4];
    for (; e - s >= 129; s += 128) {
        for (int k = 0; k < 4; k++)
            m[k] = pair_mask(s + 32 * k, va, vb, vb2, two);
        __m256i any = _mm256_or_si256(_mm256_or_si256(m[0], m[1]),
                                      _mm256_or_si256(m[2], m[3]));
        if (_mm256_testz_si256(any, any))
            continue;
        for (int k = 0;; k++) {
            unsigned bits = (unsigned)_mm256_movemask_epi8(m[k]);
            if (bits != 0)
                return s + 32 * k + __builtin_ctz(bits);
        }
    }
    for (;;) {
        if (e - s < 33)
            s = e - 33;
        unsigned bits =
            (unsigned)_mm256_movemask_epi8(pair_mask(s, va, vb, vb2, two));
        if (bits != 0)
            return s + __builtin_ctz(bits);
        if (e - s == 33)
            return NULL;
        s += 32;
    }
}

/* The same with AVX-512 (BW), for 65 bytes or more. Each 64 bytes are
 * loaded once: their compares land in mask registers, and the mask of the
 * second bytes is shifted down by one, the next block's first bit coming
 * in at the top, instead of a second, unaligned load one byte on. The
 * last pairs are looked at through one window of 65 that ends at end,
 * with the two loads, overlapping pairs already known not to match. */
__attribute__((target("avx512bw"), always_inline)) static inline uint64_t
pair_mask512(const unsigned char *p, __m512i va, __m512i vb, __m512i vb2,
             int two)
{
    __m512i x = _mm512_loadu_si512((const void *)p);
    __m512i y = _mm512_loadu_si512((const void *)(p + 1));
    __mmask64 b = _mm512_cmpeq_epi8_mask(y, vb);
    if (two)
        b |= _mm512_cmpeq_epi8_mask(y, vb2);
    return (uint64_t)(_mm512_cmpeq_epi8_mask(x, va) & b);
}

__attribute__((target("avx512bw"), always_inline)) static inline const
    unsigned char *
    pair_avx512_any(const unsigned char *s, const unsigned char *e,
                    unsigned char ua, unsigned char ub, unsigned char ub2,
                    int two)
{
    const __m512i va = _mm512_set1_epi8((char)ua);
    const __m512i vb = _mm512_set1_epi8((char)ub);
    const __m512i vb2 = _mm512_set1_epi8((char)ub2);
    if (e - s >= 128) {
        __m512i x = _mm512_loadu_si512((const void *)s);
        uint64_t a = _mm512_cmpeq_epi8_mask(x, va);
        uint64_t b = _mm512_cmpeq_epi8_mask(x, vb);
        if (two)
            b |= _mm512_cmpeq_epi8_mask(x, vb2);
        /* a and b are the block at s; the one at s + 64 is whole */
        for (; e - s >= 128; s += 64) {
            __m512i y = _mm512_loadu_si512((const void *)(s + 64));
            uint64_t na = _mm512_cmpeq_epi8_mask(y, va);
            uint64_t nb = _mm512_cmpeq_epi8_mask(y, vb);
            if (two)
                nb |= _mm512_cmpeq_epi8_mask(y, vb2);
            uint64_t m = a & (b >> 1 | nb << 63);
            if (m != 0)
                return s + __builtin_ctzll(m);
            a = na;
            b = nb;
        }
    }
    for (;;) {
        if (e - s < 65)
            s = e - 65;
        uint64_t m = pair_mask512(s, va, vb, vb2, two);
        if (m != 0)
            return s + __builtin_ctzll(m);
        if (e - s == 65)
            return NULL;
        s += 64;
    }
}

__attribute__((target("avx512bw"))) static const unsigned char *
pair_avx512(const unsigned char *s, const unsigned char *e, unsigned char ua,
            unsigned char ub)
{
    return pair_avx512_any(s, e, ua, ub, ub, 0);
}

__attribute__((target("avx512bw"))) static const unsigned char *
pair2_avx512(const unsigned char *s, const unsigned char *e, unsigned char ua,
             unsigned char ub, unsigned char ub2)
{
    return pair_avx512_any(s, e, ua, ub, ub2, 1);
}

__attribute__((target("avx2"))) static const unsigned char *
pair_avx2(const unsigned char *s, const unsigned char *e, unsigned char ua,
          unsigned char ub)
{
    return pair_avx2_any(s, e, ua, ub, ub, 0);
}

__attribute__((target("avx2"))) static const unsigned char *
pair2_avx2(const unsigned char *s, const unsigned char *e, unsigned char ua,
           unsigned char ub, unsigned char ub2)
{
    return pair_avx2_any(s, e, ua, ub, ub2, 1);
}
#endif

const char *sx_mem_pair(const char *from, const char *end, char a, char b)
{
    const unsigned char *s = (const unsigned char *)from;
    const unsigned char *e = (const unsigned char *)end;
    const unsigned char ua = (unsigned char)a, ub = (unsigned char)b;

    if (from == NULL || end - from < 2)
        return NULL;
#ifdef SX_MEM_AVX2
    if (e - s >= 65 && __builtin_cpu_supports("avx512bw"))
        return (const char *)pair_avx512(s, e, ua, ub);
    if (e - s >= 33 && __builtin_cpu_supports("avx2"))
        return (const char *)pair_avx2(s, e, ua, ub);
#endif
    /* 65 bytes are read per step: the pairs that start in the first 64;
     * the four masks are merged before the one test */
    while (e - s >= 65) {
        sx_v16 m = {0};
        for (int k = 0; k < 64; k += 16) {
            sx_v16 x, y;
            memcpy(&x, s + k, 16);
            memcpy(&y, s + k + 1, 16);
            m |= (sx_v16)(x == ua) & (sx_v16)(y == ub);
        }
        if (any16(m))
            break;
        s += 64;
    }
    while (e - s >= 17) {
        sx_v16 x, y;
        memcpy(&x, s, 16);
        memcpy(&y, s + 1, 16);
        if (any16((sx_v16)(x == ua) & (sx_v16)(y == ub)))
            break;
        s += 16;
    }
    for (; e - s >= 2; s++)
        if (s[0] == ua && s[1] == ub)
            return (const char *)s;
    return NULL;
}

const char *sx_mem_bol(const char *lo, const char *from, const char *end,
                       char eol, char c)
{
    if (from >= end)
        return NULL;
    if (from == lo) {
        if (*from == c)
            return from;
        from++;
        if (from >= end)
            return NULL;
    }
    const char *h = sx_mem_pair(from - 1, end, eol, c);
    return h ? h + 1 : NULL;
}

/* sx_mem_pair with two possible second bytes. */
static const char *mem_pair2(const char *from, const char *end, char a,
                             char b1, char b2)
{
    const unsigned char *s = (const unsigned char *)from;
    const unsigned char *e = (const unsigned char *)end;
    const unsigned char ua = (unsigned char)a, u1 = (unsigned char)b1,
                        u2 = (unsigned char)b2;

    if (from == NULL || end - from < 2)
        return NULL;
#ifdef SX_MEM_AVX2
    if (e - s >= 65 && __builtin_cpu_supports("avx512bw"))
        return (const char *)pair2_avx512(s, e, ua, u1, u2);
    if (e - s >= 33 && __builtin_cpu_supports("avx2"))
        return (const char *)pair2_avx2(s, e, ua, u1, u2);
#endif
    while (e - s >= 65) {
        sx_v16 m = {0};
        for (int k = 0; k < 64; k += 16) {
            sx_v16 x, y;
            memcpy(&x, s + k, 16);
            memcpy(&y, s + k + 1, 16);
            m |= (sx_v16)(x == ua) & ((sx_v16)(y == u1) | (sx_v16)(y == u2));
        }
        if (any16(m))
            break;
        s += 64;
    }
    while (e - s >= 17) {
        sx_v16 x, y;
        memcpy(&x, s, 16);
        memcpy(&y, s + 1, 16);
        if (any16((sx_v16)(x == ua)
                  & ((sx_v16)(y == u1) | (sx_v16)(y == u2))))
            break;
        s += 16;
    }
    for (; e - s >= 2; s++)
        if (s[0] == ua && (s[1] == u1 || s[1] == u2))
            return (const char *)s;
    return NULL;
}

const char *sx_mem_bol2(const char *lo, const char *from, const char *end,
                        char eol, char c1, char c2)
{
    if (from >= end)
        return NULL;
    if (from == lo) {
        if (*from == c1 || *from == c2)
            return from;
        from++;
        if (from >= end)
            return NULL;
    }
    const char *h = mem_pair2(from - 1, end, eol, c1, c2);
    return h ? h + 1 : NULL;
}

const char *sx_mem_any2(const char *from, const char *end, char a, char b)
{
    const unsigned char *s = (const unsigned char *)from;
    const unsigned char *e = (const unsigned char *)end;
    const unsigned char ua = (unsigned char)a, ub = (unsigned char)b;

    if (from == NULL)
        return NULL;
#ifdef SX_MEM_LE
    /* the hit is placed by its byte in the mask; the last step is the
     * sixteen bytes that end at end, overlapping bytes already passed */
    if (e - s >= 16) {
        for (;;) {
            if (e - s < 16)
                s = e - 16;
            sx_v16 x;
            memcpy(&x, s, 16);
            unsigned k = first16((sx_v16)(x == ua) | (sx_v16)(x == ub));
            if (k < 16)
                return (const char *)s + k;
            if (e - s == 16)
                return NULL;
            s += 16;
        }
    }
#else
    while (e - s >= 16) {
        sx_v16 x;
        memcpy(&x, s, 16);
        if (any16((sx_v16)(x == ua) | (sx_v16)(x == ub)))
            break;
        s += 16;
    }
#endif
    for (; s < e; s++)
        if (*s == ua || *s == ub)
            return (const char *)s;
    return NULL;
}

static int is_ctl(unsigned char c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

const char *sx_mem_ctl(const char *from, const char *end)
{
    const unsigned char *s = (const unsigned char *)from;
    const unsigned char *e = (const unsigned char *)end;

    if (from == NULL)
        return NULL;
    while (e - s >= 16) {
        sx_v16 x;
        memcpy(&x, s, 16);
        if (any16(((sx_v16)(x < 0x20) & (sx_v16)(x != '\t'))
                  | (sx_v16)(x == 0x7f)))
            break;
        s += 16;
    }
    for (; s < e; s++)
        if (is_ctl(*s))
            return (const char *)s;
    return NULL;
}

int sx_mem_is_text(const char *from, const char *end)
{
    const unsigned char *s = (const unsigned char *)from;
    const unsigned char *e = (const unsigned char *)end;

    if (from == NULL)
        return 1;
    while (e - s >= 16) {
        sx_v16 x;
        memcpy(&x, s, 16);
        /* c - 0x20 wraps below 0x20: one compare finds both ends */
        if (any16((sx_v16)((sx_v16)(x - 0x20) >= 0x5f) & (sx_v16)(x != '\t')))
            return 0;
        s += 16;
    }
    for (; s < e; s++)
        if ((*s < 0x20 || *s > 0x7e) && *s != '\t')
            return 0;
    return 1;
}

/* Outside 0x20..0x7e and not TAB (c - 0x20 wraps below 0x20). */
static int not_text(unsigned char c)
{
    return (unsigned char)(c - 0x20) >= 0x5f && c != '\t';
}

/* The bytes of the 17 at s that make a value not plain, for the pairs
 * that start in the first 16: a byte outside 0x20..0x7e other than TAB,
 * or '=' before '?'. Adding 1 maps 0x20..0x7e to 0x21..0x7f, the only
 * bytes above 0x20 as signed ones (DEL wraps to -128, 0xff to 0): one
 * compare takes both ends of the range. */
static sx_v16 plain_bad(const unsigned char *s)
{
    typedef signed char sx_s16 __attribute__((vector_size(16)));
    sx_v16 x, y;
    memcpy(&x, s, 16);
    memcpy(&y, s + 1, 16);
    sx_v16 ok = (sx_v16)((sx_s16)(x + 1) > 0x20) | (sx_v16)(x == '\t');
    return ~ok | ((sx_v16)(x == '=') & (sx_v16)(y == '?'));
}

int sx_mem_is_plain(const char *from, const char *end)
{
    const unsigned char *s = (const unsigned char *)from;
    const unsigned char *e = (const unsigned char *)end;

    if (from == NULL)
        return 1;
    /* 33 bytes read per step: the pairs that start in the first 32. The
     * rest, 32 bytes at most, is two windows of 17, the last one ending
     * at end and overlapping bytes already passed; the last byte is
     * looked at alone. No byte-wise tail. */
    if (e - s >= 17) {
        for (; e - s >= 33; s += 32)
            if (any16(plain_bad(s) | plain_bad(s + 16)))
                return 0;
        const unsigned char *t = e - 17;
        sx_v16 m = plain_bad(t);
        if (t > s)
            m |= plain_bad(s);
        return !any16(m) && !not_text(e[-1]);
    }
    for (; s < e; s++) {
        if (not_text(*s))
            return 0;
        if (*s == '=' && e - s >= 2 && s[1] == '?')
            return 0;
    }
    return 1;
}
