/*
 * json.c - JSON emitter into an sx_sbuf (see json.h).
 *
 * A record is some fifty short strings, so the cost is in the calls, not
 * in the bytes: each key or value reserves room for its worst case once
 * (six bytes out per byte in) and is then written straight into the
 * buffer; the common member (json.h's inline sx_json_member) does so
 * without a call of its own. Inside a string, runs of printable ASCII,
 * which pass unchanged, are checked and moved sixteen bytes at a time;
 * only the bytes around an escape or a non-ASCII sequence are looked at
 * one by one.
 */
#include "output/json.h"

#include <string.h>

#include "output/utf8.h"

static const char hex[] = "0123456789abcdef";

/* Bytes copied as they are: printable ASCII other than '"' and '\\'. */
static const unsigned char PLAIN[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20: '"' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x30 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50: '\\' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, /* 0x70: DEL */
    /* 0x80..0xff: 0, decoded as UTF-8 */
};

#ifdef __SSE2__
#include <emmintrin.h>

/* Sixteen bytes at a time (SSE2, every x86-64): a bit mask of the plain
 * bytes of a block, bit k for byte k. */
typedef __m128i sx_v16;

static inline unsigned plain_mask(sx_v16 v)
{
    /* printable ASCII, 0x20..0x7e, compared as signed bytes: those from
     * 0x80 are negative and fail the first test */
    __m128i ok = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x1f)),
                               _mm_cmplt_epi8(v, _mm_set1_epi8(0x7f)));
    __m128i esc = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                               _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
    return (unsigned)_mm_movemask_epi8(_mm_andnot_si128(esc, ok));
}
#else
/* Sixteen bytes at a time with the compiler's vector extension (NEON on
 * ARM). */
typedef unsigned char sx_v16 __attribute__((vector_size(16)));

static inline unsigned plain_mask(sx_v16 v)
{
    /* c - 0x20 wraps below 0x20: one compare finds both ends */
    sx_v16 bad = (sx_v16)((sx_v16)(v - 0x20) >= 0x5f) | (sx_v16)(v == '"') |
                 (sx_v16)(v == '\\');
    unsigned char b[16];
    unsigned m = 0;
    memcpy(b, &bad, 16);
    for (int k = 0; k < 16; k++)
        m |= b[k] ? 0u : 1u << k;
    return m;
}
#endif

/* The first byte of a block that is not plain, given its plain mask (not
 * all ones). */
static inline size_t first_bad(unsigned mask)
{
    return (size_t)__builtin_ctz(~mask);
}

/* sx_json_plain_copy for h <= m < 2h (h 4 or 8, a constant once
 * inlined): the halves p[0..h) and p[m-h..m) overlap or meet and are
 * checked as one block, the bytes after them filled with plain ones. */
static inline __attribute__((always_inline)) size_t
halves(char *o, const unsigned char *p, size_t m, size_t h)
{
    unsigned char b[16];
    sx_v16 v;
    memset(b, 'a', 16);
    memcpy(b, p, h);
    memcpy(b + h, p + m - h, h);
    memcpy(o, b, h);
    memcpy(o + m - h, b + h, h);
    memcpy(&v, b, 16);
    unsigned mask = plain_mask(v);
    if (mask == 0xffffu)
        return m;
    size_t f = first_bad(mask);
    return f < h ? f : m - 2 * h + f;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SX_JSON_AVX512 1

/* sx_json_plain_copy with AVX-512BW: a masked load reads p[0..m) and no
 * byte past it, so that a string shorter than 64 bytes, nearly every
 * value, is copied and checked in one step whatever its length, with no
 * branch on the length to mispredict. The block is stored whole, into
 * the slack past the run (json.h): a masked store is slow on some
 * CPUs. */
__attribute__((target("avx512bw"))) static size_t
plain_copy_avx512(char *o, const unsigned char *p, size_t m)
{
    const __m512i sp = _mm512_set1_epi8(0x20), span = _mm512_set1_epi8(0x5f);
    const __m512i quote = _mm512_set1_epi8('"');
    const __m512i bslash = _mm512_set1_epi8('\\');
    size_t i = 0;
    for (;;) {
        size_t left = m - i;
        __mmask64 k = left >= 64 ? ~(__mmask64)0
                                 : ((__mmask64)1 << left) - 1;
        __m512i v = _mm512_maskz_loadu_epi8(k, p + i);
        _mm512_storeu_si512(o + i, v);
        /* printable ASCII: c - 0x20 below 0x5f, unsigned */
        __mmask64 ok = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, sp), span) &
                       ~_mm512_cmpeq_epi8_mask(v, quote) &
                       ~_mm512_cmpeq_epi8_mask(v, bslash);
        __mmask64 bad = ~ok & k;
        if (bad != 0)
            return i + (size_t)__builtin_ctzll(bad);
        if (left <= 64)
            return m;
        i += 64;
    }
}
#endif

/* See json.h. Whole blocks are moved as they are checked; the last
 * partial block is read as the block that ends at m (its first bytes
 * checked twice), short strings as two overlapping halves, so that
 * nothing is read outside p[0..m). */
size_t sx_json_plain_copy(char *o, const unsigned char *p, size_t m)
{
    sx_v16 v;
    unsigned mask;
#ifdef SX_JSON_AVX512
    if (__builtin_cpu_supports("avx512bw"))
        return plain_copy_avx512(o, p, m);
#endif
    if (m >= 16) {
        size_t i = 0;
        for (;;) {
            memcpy(&v, p + i, 16);
            memcpy(o + i, &v, 16);
            mask = plain_mask(v);
            if (mask != 0xffffu)
                return i + first_bad(mask);
            i += 16;
            if (m - i < 16)
                break;
        }
        if (i == m)
            return m;
        /* lanes before i - (m - 16) are plain: the first bad one is not */
        memcpy(&v, p + m - 16, 16);
        memcpy(o + m - 16, &v, 16);
        mask = plain_mask(v);
        return mask == 0xffffu ? m : m - 16 + first_bad(mask);
    }
    if (m >= 8)
        return halves(o, p, m, 8);
    if (m >= 4)
        return halves(o, p, m, 4);
    size_t i = 0;
    while (i < m && PLAIN[p[i]]) {
        o[i] = (char)p[i];
        i++;
    }
    return i;
}

/* Copy n bytes, n small (a key), without a call for n <= 16. */
static inline void copy_small(char *o, const char *s, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(o, &a, 8);
        memcpy(o + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(o, &a, 4);
        memcpy(o + n - 4, &b, 4);
    } else {
        memcpy(o, s, n);
    }
}

/* The escape of code point cp (or of an invalid byte, cp == UINT32_MAX)
 * at o; returns its length. All escaped code points are in the BMP. */
static size_t put_escape(char *o, uint32_t cp)
{
    char c = 0;
    switch (cp) {
    case '"':
        c = '"';
        break;
    case '\\':
        c = '\\';
        break;
    case '\n':
        c = 'n';
        break;
    case '\r':
        c = 'r';
        break;
    case '\t':
        c = 't';
        break;
    case UINT32_MAX:
        cp = 0xfffd;
        break;
    default:
        break;
    }
    o[0] = '\\';
    if (c) {
        o[1] = c;
        return 2;
    }
    o[1] = 'u';
    o[2] = hex[(cp >> 12) & 15];
    o[3] = hex[(cp >> 8) & 15];
    o[4] = hex[(cp >> 4) & 15];
    o[5] = hex[cp & 15];
    return 6;
}

/* Escape the bytes of p from *i up to at least stop (a sequence that
 * starts before stop is finished; n bounds it) at o, which has room for
 * 6 bytes per byte consumed. Returns the new end of output. */
static char *escape_into(char *o, const unsigned char *p, size_t *i,
                         size_t stop, size_t n)
{
    size_t k = *i;
    while (k < stop) {
        if (PLAIN[p[k]]) {
            size_t r = sx_json_plain_copy(o, p + k, stop - k);
            o += r;
            k += r;
            if (k >= stop)
                break;
        }
        uint32_t cp = 0;
        size_t len;
        unsigned char c = p[k];
        /* two- and three-byte characters, most non-ASCII text, are
         * decoded here; anything else as sx_utf8_decode says */
        if (c >= 0xc2 && c <= 0xdf && n - k >= 2 &&
            (p[k + 1] & 0xc0) == 0x80) {
            cp = (uint32_t)(c & 0x1f) << 6 | (p[k + 1] & 0x3fu);
            len = 2;
        } else if (c >= 0xe1 && c <= 0xec && n - k >= 3 &&
                   (p[k + 1] & 0xc0) == 0x80 && (p[k + 2] & 0xc0) == 0x80) {
            /* E1..EC: neither overlong (E0) nor a surrogate (ED) */
            cp = (uint32_t)(c & 0x0f) << 12 | (uint32_t)(p[k + 1] & 0x3f) << 6 |
                 (p[k + 2] & 0x3fu);
            len = 3;
        } else {
            len = sx_utf8_decode(p + k, n - k, &cp);
        }
        /* every unsafe code point but the C0 controls lies in
         * U+007F..U+009F, U+061C or U+2000..U+206F */
        if (len > 1 && ((cp >= 0xa0 && cp < 0x2000 && cp != 0x061c) ||
                        cp >= 0x2070 || !sx_utf8_is_unsafe(cp))) {
            o[0] = (char)p[k];
            o[1] = (char)p[k + 1];
            for (size_t q = 2; q < len; q++)
                o[q] = (char)p[k + q];
            o += len;
        } else if (len == 0) {
            o += put_escape(o, UINT32_MAX); /* an invalid byte */
            len = 1;
        } else {
            o += put_escape(o, cp);
        }
        k += len;
    }
    *i = k;
    return o;
}

char *sx_json_escape_rest(char *o, const unsigned char *p, size_t from,
                          size_t n)
{
    return escape_into(o, p, &from, n, n);
}

/* Strings up to SX_JSON_QUOTE_BLOCK bytes are escaped with one
 * reservation of their worst case; longer ones a block at a time, so that
 * a long string does not reserve six times its size at once. */
#define QUOTE_BLOCK SX_JSON_QUOTE_BLOCK

int sx_json_quote(sx_sbuf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int rc;

    if (p == NULL)
        n = 0;
    if ((rc = sx_sbuf_reserve(b, 1)) != SX_SBUF_OK)
        return rc;
    b->data[b->len++] = '"';
    while (i < n) {
        size_t chunk = n - i < QUOTE_BLOCK ? n - i : QUOTE_BLOCK;
        rc = sx_sbuf_reserve(b, chunk * 6 + SX_JSON_SLACK);
        if (rc != SX_SBUF_OK)
            return rc;
        char *o = escape_into(b->data + b->len, p, &i, i + chunk, n);
        b->len = (size_t)(o - b->data);
    }
    if ((rc = sx_sbuf_reserve(b, 1)) != SX_SBUF_OK)
        return rc;
    b->data[b->len++] = '"';
    b->data[b->len] = '\0';
    return SX_SBUF_OK;
}

void sx_json_init(sx_json *j, sx_sbuf *out)
{
    memset(j, 0, sizeof(*j));
    j->out = out;
}

/* Where to write n more bytes (room for the NUL after them included), or
 * NULL when an earlier or this reservation failed (kept in j->err). */
static char *room(sx_json *j, size_t n)
{
    sx_sbuf *b = j->out;
    if (j->err)
        return NULL;
    if (b->cap - b->len <= n || b->max - b->len < n) {
        int rc = sx_sbuf_reserve(b, n);
        if (rc != SX_SBUF_OK) {
            j->err = rc;
            return NULL;
        }
    }
    return b->data + b->len;
}

/* The bytes up to o are written. */
static void commit(sx_json *j, char *o)
{
    sx_sbuf *b = j->out;
    b->len = (size_t)(o - b->data);
    *o = '\0';
}

/* Before any value: is a comma due (not the first at this level)? */
static int comma(sx_json *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return 0;
    }
    if (j->depth > 0 && j->depth <= SX_JSON_DEPTH)
        return j->count[j->depth - 1]++ > 0;
    return 0;
}

static void put(sx_json *j, const char *s, size_t n)
{
    char *o = room(j, n);
    if (o == NULL)
        return;
    memcpy(o, s, n);
    commit(j, o + n);
}

static void open_level(sx_json *j, char c)
{
    int cm = comma(j);
    char *o = room(j, 2);
    if (o != NULL) {
        if (cm)
            *o++ = ',';
        *o++ = c;
        commit(j, o);
    }
    j->depth++;
    if (j->depth <= SX_JSON_DEPTH)
        j->count[j->depth - 1] = 0;
}

static void close_level(sx_json *j, char c)
{
    if (j->depth > 0)
        j->depth--;
    j->after_key = 0;
    put(j, &c, 1);
}

void sx_json_obj_begin(sx_json *j) { open_level(j, '{'); }
void sx_json_obj_end(sx_json *j) { close_level(j, '}'); }
void sx_json_arr_begin(sx_json *j) { open_level(j, '['); }
void sx_json_arr_end(sx_json *j) { close_level(j, ']'); }

/* ',' when due, then the key (kn bytes), then the string s[0..n) (s
 * NULL: null). key may be NULL (a value without a key). Short strings are written
 * with one reservation; long ones through sx_json_quote. */
void sx_json_member_slow(sx_json *j, const char *key, size_t kn,
                         const char *s, size_t n)
{
    int cm = comma(j);
    int small = s == NULL || n <= QUOTE_BLOCK;
    char *o = room(j, 1 + kn + 3 + (small ? n * 6 + 4 + SX_JSON_SLACK : 0));
    if (o == NULL)
        return;
    if (cm)
        *o++ = ',';
    if (key) {
        /* keys are names given by the writers: nothing to escape */
        *o++ = '"';
        copy_small(o, key, kn);
        o += kn;
        *o++ = '"';
        *o++ = ':';
    }
    if (s == NULL) {
        memcpy(o, "null", 4);
        o += 4;
    } else if (small) {
        const unsigned char *p = (const unsigned char *)s;
        size_t i = 0;
        *o++ = '"';
        o = escape_into(o, p, &i, n, n);
        *o++ = '"';
    }
    commit(j, o);
    if (s != NULL && !small) {
        int rc = sx_json_quote(j->out, s, n);
        if (rc != SX_SBUF_OK)
            j->err = rc;
    }
}

void sx_json_keyn(sx_json *j, const char *key, size_t n)
{
    int cm = comma(j);
    char *o = room(j, n + 4);
    j->after_key = 1;
    if (o == NULL)
        return;
    if (cm)
        *o++ = ',';
    *o++ = '"';
    copy_small(o, key, n);
    o += n;
    *o++ = '"';
    *o++ = ':';
    commit(j, o);
}

void sx_json_str(sx_json *j, const char *s, size_t n)
{
    sx_json_member_slow(j, NULL, 0, s ? s : "", s ? n : 0);
}

/* v in decimal at the end of buf (24 bytes); returns where it starts. */
static size_t fmt_int(char buf[24], long long v)
{
    size_t k = 24;
    /* the magnitude as unsigned: -LLONG_MIN does not fit a long long */
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v
                                 : (unsigned long long)v;
    /* two digits a step: a timestamp's ten digits in five */
    static const char pairs[] = "0001020304050607080910111213141516171819"
                                "2021222324252627282930313233343536373839"
                                "4041424344454647484950515253545556575859"
                                "6061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    while (u >= 100) {
        unsigned d = (unsigned)(u % 100);
        u /= 100;
        buf[--k] = pairs[2 * d + 1];
        buf[--k] = pairs[2 * d];
    }
    if (u >= 10) {
        buf[--k] = pairs[2 * u + 1];
        buf[--k] = pairs[2 * u];
    } else {
        buf[--k] = (char)('0' + u);
    }
    if (v < 0)
        buf[--k] = '-';
    return k;
}

/* ',' when due, the key (kn bytes, may be NULL), then the integer. */
static void member_int(sx_json *j, const char *key, size_t kn, long long v)
{
    char buf[24];
    size_t k = fmt_int(buf, v);
    int cm = comma(j);
    char *o = room(j, 1 + kn + 3 + sizeof(buf));
    if (o == NULL)
        return;
    if (cm)
        *o++ = ',';
    if (key) {
        *o++ = '"';
        copy_small(o, key, kn);
        o += kn;
        *o++ = '"';
        *o++ = ':';
    }
    copy_small(o, buf + k, sizeof(buf) - k);
    commit(j, o + (sizeof(buf) - k));
}

char *sx_json_put_int(char *o, long long v)
{
    char buf[24];
    size_t k = fmt_int(buf, v);
    copy_small(o, buf + k, sizeof(buf) - k);
    return o + (sizeof(buf) - k);
}

char *sx_json_run_begin(sx_json *j, size_t need, int *comma)
{
    sx_sbuf *b = j->out;
    if (j->err || j->after_key || j->depth < 1 || j->depth > SX_JSON_DEPTH ||
        b->max - b->len < need)
        return NULL;
    if (b->cap - b->len <= need && sx_sbuf_reserve(b, need) != SX_SBUF_OK)
        return NULL;
    *comma = j->count[j->depth - 1] > 0;
    return b->data + b->len;
}

void sx_json_run_end(sx_json *j, char *o, unsigned members)
{
    commit(j, o);
    j->count[j->depth - 1] += members;
}

void sx_json_int(sx_json *j, long long v)
{
    member_int(j, NULL, 0, v);
}

/* ',' when due, then a literal (true, false, null). */
static void literal(sx_json *j, const char *lit, size_t n)
{
    int cm = comma(j);
    char *o = room(j, n + 1);
    if (o == NULL)
        return;
    if (cm)
        *o++ = ',';
    memcpy(o, lit, n);
    commit(j, o + n);
}

void sx_json_bool(sx_json *j, int v)
{
    if (v)
        literal(j, "true", 4);
    else
        literal(j, "false", 5);
}

void sx_json_null(sx_json *j)
{
    literal(j, "null", 4);
}

void sx_json_raw(sx_json *j, const char *s, size_t n)
{
    char *o = room(j, n);
    if (o == NULL)
        return;
    memcpy(o, s, n);
    commit(j, o + n);
    if (j->depth > 0 && j->depth <= SX_JSON_DEPTH)
        j->count[j->depth - 1]++;
}

void sx_json_kintn(sx_json *j, const char *key, size_t klen, long long v)
{
    member_int(j, key, klen, v);
}
