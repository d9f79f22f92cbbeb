/*
 * bounce_text.c - bounded text tools for the bounce detectors (see
 * bounce_text.h). Prefix sx_bt_.
 */
#include "bounce/bounce_text.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "util/memscan.h"
#include "util/utf8.h"

/* One load instead of two compares in the inner loops below. */
const unsigned char sx_bt_lower[256] = {
#define R4(b) (b), (b) + 1, (b) + 2, (b) + 3
#define R16(b) R4(b), R4((b) + 4), R4((b) + 8), R4((b) + 12)
    R16(0x00), R16(0x10), R16(0x20), R16(0x30),
    0x40, R4(0x61), R4(0x65), R4(0x69), R4(0x6d), R4(0x71), R4(0x75),
    0x79, 0x7a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
    R16(0x60), R16(0x70), R16(0x80), R16(0x90), R16(0xa0), R16(0xb0),
    R16(0xc0), R16(0xd0), R16(0xe0), R16(0xf0)
#undef R16
#undef R4
};

static int lower(int c)
{
    return sx_bt_lower[c & 0xff];
}

/* needle (nl >= 1 bytes, nl <= hl) in h, caselessly. A byte b equals a
 * lower-case letter L caselessly exactly when (b | 0x20) == L, and any
 * other byte only itself; so the first and the last byte of the needle
 * are looked for sixteen places at a time with that fold, and only where
 * both are there is the rest compared. The last byte rather than the
 * second: two neighbouring letters of a phrase ("th", "in") are often
 * found together in text, its two ends much less often. */
static const char *ifind(const char *h, size_t hl, const char *needle,
                         size_t nl)
{
    unsigned char c0 = sx_bt_lower[(unsigned char)needle[0]];
    unsigned char f0 = (c0 >= 'a' && c0 <= 'z') ? 0x20 : 0;
    const char *end = h + (hl - nl) + 1; /* last start + 1 */
    const char *q = h;
    if (nl == 1) {
#ifdef __SSE2__
        const __m128i w0 = _mm_set1_epi8((char)c0);
        const __m128i m0 = _mm_set1_epi8((char)f0);
        for (; end - q >= 16; q += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
            unsigned mask = (unsigned)_mm_movemask_epi8(
                _mm_cmpeq_epi8(_mm_or_si128(v, m0), w0));
            if (mask != 0)
                return q + __builtin_ctz(mask);
        }
#endif
        for (; q < end; q++)
            if (((unsigned char)*q | f0) == c0)
                return q;
        return NULL;
    }
    const size_t last = nl - 1;
    unsigned char c1 = sx_bt_lower[(unsigned char)needle[last]];
    unsigned char f1 = (c1 >= 'a' && c1 <= 'z') ? 0x20 : 0;
#ifdef __SSE2__
    /* q + 16 <= end keeps the load at q + last inside h: end + last is
     * h + hl */
    const __m128i w0 = _mm_set1_epi8((char)c0), m0 = _mm_set1_epi8((char)f0);
    const __m128i w1 = _mm_set1_epi8((char)c1), m1 = _mm_set1_epi8((char)f1);
    /* 32 starts a step while there are as many: half the loop's tests
     * and branches on long text */
    for (; end - q >= 32; q += 32) {
        __m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)q);
        __m128i v1 =
            _mm_loadu_si128((const __m128i *)(const void *)(q + last));
        __m128i v2 = _mm_loadu_si128((const __m128i *)(const void *)(q + 16));
        __m128i v3 =
            _mm_loadu_si128((const __m128i *)(const void *)(q + 16 + last));
        uint32_t lo = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(v0, m0), w0),
                          _mm_cmpeq_epi8(_mm_or_si128(v1, m1), w1)));
        uint32_t hi = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(v2, m0), w0),
                          _mm_cmpeq_epi8(_mm_or_si128(v3, m1), w1)));
        for (uint32_t mask = lo | hi << 16; mask != 0; mask &= mask - 1) {
            const char *c = q + __builtin_ctz(mask);
            if (sx_bt_ieq(c + 1, needle + 1, nl - 2))
                return c;
        }
    }
    for (; end - q >= 16; q += 16) {
        __m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)q);
        __m128i v1 =
            _mm_loadu_si128((const __m128i *)(const void *)(q + last));
        unsigned mask = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(v0, m0), w0),
                          _mm_cmpeq_epi8(_mm_or_si128(v1, m1), w1)));
        while (mask != 0) {
            const char *c = q + __builtin_ctz(mask);
            if (sx_bt_ieq(c + 1, needle + 1, nl - 2))
                return c;
            mask &= mask - 1;
        }
    }
    if (q < end && end - h >= 16) {
        /* the last starts: one load ending at end, overlapping starts
         * already looked at, which the mask drops */
        const char *t = end - 16;
        __m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)t);
        __m128i v1 =
            _mm_loadu_si128((const __m128i *)(const void *)(t + last));
        unsigned mask = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(v0, m0), w0),
                          _mm_cmpeq_epi8(_mm_or_si128(v1, m1), w1)));
        mask &= 0xffffu << (q - t);
        while (mask != 0) {
            const char *c = t + __builtin_ctz(mask);
            if (sx_bt_ieq(c + 1, needle + 1, nl - 2))
                return c;
            mask &= mask - 1;
        }
        return NULL;
    }
#endif
    for (; q < end; q++)
        if (((unsigned char)q[0] | f0) == c0 &&
            ((unsigned char)q[last] | f1) == c1 &&
            sx_bt_ieq(q + 1, needle + 1, nl - 2))
            return q;
    return NULL;
}

const char *sx_bt_ifind(const char *h, size_t hl, const char *needle)
{
    size_t nl = strlen(needle);
    if (h == NULL || nl == 0 || nl > hl)
        return NULL;
    return ifind(h, hl, needle, nl);
}

const char *sx_bt_find(const char *h, size_t hl, const char *needle)
{
    size_t nl = strlen(needle);
    if (h == NULL || nl == 0 || nl > hl)
        return NULL;
    const char *end = h + (hl - nl) + 1;
    for (const char *p = h; p < end;) {
        const char *q = memchr(p, needle[0], (size_t)(end - p));
        if (q == NULL)
            return NULL;
        if (memcmp(q, needle, nl) == 0)
            return q;
        p = q + 1;
    }
    return NULL;
}

int sx_bt_has(sx_str s, const char *needle)
{
    return sx_bt_ifind(s.p, s.len, needle) != NULL;
}

/* Lists longer than this are searched needle by needle. */
#define WALK_MAX_NEEDLES 254

/* h[0..hl) starts with the NUL-ended needle, caselessly. */
static int iprefix_z(const char *h, size_t hl, const char *needle)
{
    for (size_t i = 0;; i++) {
        if (needle[i] == '\0')
            return 1;
        if (i == hl || sx_bt_lower[(unsigned char)h[i]] !=
                           sx_bt_lower[(unsigned char)needle[i]])
            return 0;
    }
}

/* Does a needle of the chain from j (linked by next) start at h[p]? Its
 * first byte is known to match; c1 is h[p + 1] in lower case (0 past the
 * end), compared before the rest. */
static inline int chain_hit(const char *h, size_t hl, size_t p,
                            unsigned char c1, const char *const *needles,
                            unsigned j, const unsigned char *next)
{
    for (; j != 0xff; j = next[j]) {
        const char *w = needles[j];
        if (w[1] == '\0')
            return 1;
        if (sx_bt_lower[(unsigned char)w[1]] == c1 && p + 1 < hl &&
            iprefix_z(h + p + 2, hl - p - 2, w + 2))
            return 1;
    }
    return 0;
}

/* Any needle in h[0..hl), in one walk over h: the needles are chained by
 * their first byte (lower case), so each byte of h is looked at once and
 * compared only with the needles that start with it. */
static int has_any_walk(const char *h, size_t hl, const char *const *needles,
                        size_t n)
{
    unsigned char head[256], next[WALK_MAX_NEEDLES];
    size_t minlen = 1;
    memset(head, 0xff, sizeof head);
    for (size_t i = n; i-- > 0;) {
        unsigned char c = sx_bt_lower[(unsigned char)needles[i][0]];
        if (c == '\0')
            continue; /* the empty needle is found nowhere */
        next[i] = head[c];
        head[c] = (unsigned char)i;
    }
    /* A few long needles on a short span (a Subject) can only start in
     * its first bytes: worth measuring them. Many: not worth it. */
    if (n <= 8) {
        minlen = SIZE_MAX;
        for (size_t i = 0; i < n; i++) {
            size_t l = strlen(needles[i]);
            if (l > 0 && l < minlen)
                minlen = l;
        }
        if (minlen > hl)
            return 0;
    }
    for (size_t p = 0; p + minlen <= hl; p++) {
        unsigned j = head[sx_bt_lower[(unsigned char)h[p]]];
        if (j == 0xff)
            continue;
        /* the second byte first, as in set_walk() */
        unsigned char c1 =
            p + 1 < hl ? sx_bt_lower[(unsigned char)h[p + 1]] : 0;
        if (chain_hit(h, hl, p, c1, needles, j, next))
            return 1;
    }
    return 0;
}

int sx_bt_has_any(sx_str s, const char *const *needles)
{
    size_t n = 0;
    while (needles[n] != NULL)
        n++;
    if (s.p == NULL || s.len == 0)
        return 0;
    /* The walk costs about as much a byte of s as a search costs a needle
     * and 32 bytes of s (measured). */
    if (n >= 3 && n <= WALK_MAX_NEEDLES && s.len <= 32 * n)
        return has_any_walk(s.p, s.len, needles, n);
    for (size_t i = 0; i < n; i++)
        if (sx_bt_ifind(s.p, s.len, needles[i]) != NULL)
            return 1;
    return 0;
}

/* The skip table's index for the two bytes a, b. */
static inline unsigned skip_at(unsigned char a, unsigned char b)
{
    return (unsigned)(a & 31) << 5 | (b & 31);
}

/* Does a needle of set start at h[p] (p + minlen <= hl)? */
static inline int set_hit(const char *h, size_t hl, size_t p,
                          const sx_bt_set *set)
{
    uint32_t m = set->second[(unsigned char)h[p]];
    if (m == 0)
        return 0;
    /* the second byte is looked at here, not in a call: most of the
     * places a needle's first byte is found, no needle's second byte
     * follows, and the chain is not walked */
    unsigned char c1 = p + 1 < hl ? sx_bt_lower[(unsigned char)h[p + 1]] : 0;
    if (!(m >> (c1 & 31) & 1))
        return 0;
    return chain_hit(h, hl, p, c1, set->needles,
                     set->head[(unsigned char)h[p]], set->next);
}

/* The walk of has_any_walk() over an index built once. Where the set
 * has a skip table, the places tried are fewer: the two bytes that end
 * a window of win bytes from p tell how far on the nearest needle can
 * start (Wu and Manber's multi-pattern search), often several bytes. */
static int set_walk(const char *h, size_t hl, const sx_bt_set *set)
{
    if (set->minlen > hl)
        return 0;
    size_t last = set->win ? set->win - 1u : 0;
    for (size_t p = 0; p + set->minlen <= hl;) {
        if (last) {
            /* p + last < p + minlen <= hl */
            unsigned k = set->skip[skip_at((unsigned char)h[p + last - 1],
                                           (unsigned char)h[p + last])];
            if (k != 0) {
                p += k;
                continue;
            }
        }
        if (set_hit(h, hl, p, set))
            return 1;
        p++;
    }
    return 0;
}

/* The skip table of set (its needles indexed, minlen known): for each
 * pair of bytes, how far a window of win bytes may move on when it ends
 * with them, so that no needle's start is passed. A needle starting at
 * s >= p has its first win bytes in the window from s; when the window
 * from p ends inside them, at the needle's q-th byte (0 < q < win), the
 * pair there is the needle's bytes q - 1 and q, and the move is at most
 * win - 1 - q = s - p; else s - p >= win - 1, the largest move. Pairs
 * that share an entry take the least move of them. */
static void set_skip(sx_bt_set *set)
{
    size_t win = set->minlen < 255 ? set->minlen : 255;
    set->win = 0;
    if (win < 3)
        return; /* a move of one at most: nothing to gain */
    memset(set->skip, (int)(win - 1), sizeof set->skip);
    for (size_t i = 0; i < set->n; i++) {
        const unsigned char *w = (const unsigned char *)set->needles[i];
        if (w[0] == '\0')
            continue; /* found nowhere: no needle to keep */
        for (size_t q = 1; q < win; q++) {
            unsigned char *k = &set->skip[skip_at(w[q - 1], w[q])];
            if (*k > win - 1 - q)
                *k = (unsigned char)(win - 1 - q);
        }
    }
    set->win = (unsigned char)win;
}

int sx_bt_has_set(sx_str s, sx_bt_set *set)
{
    if (atomic_load_explicit(&set->state, memory_order_acquire) != 2) {
        /* the first caller builds the index; one that comes while it is
         * being built searches without it */
        int none = 0;
        if (!atomic_compare_exchange_strong(&set->state, &none, 1))
            return sx_bt_has_any(s, set->needles);
        size_t n = 0;
        while (set->needles[n] != NULL)
            n++;
        if (n > SX_BT_SET_MAX) {
            set->n = 0xff; /* searched as sx_bt_has_any() does */
        } else {
            set->n = (unsigned char)n;
            set->minlen = SIZE_MAX;
            memset(set->head, 0xff, sizeof set->head);
            memset(set->second, 0, sizeof set->second);
            for (size_t i = n; i-- > 0;) {
                const char *w = set->needles[i];
                unsigned char c = sx_bt_lower[(unsigned char)w[0]];
                if (c == '\0')
                    continue; /* the empty needle is found nowhere */
                set->next[i] = set->head[c];
                set->head[c] = (unsigned char)i;
                unsigned char c1 = sx_bt_lower[(unsigned char)w[1]];
                set->second[c] |=
                    w[1] == '\0' ? UINT32_MAX : (uint32_t)1 << (c1 & 31);
                if (strlen(w) < set->minlen)
                    set->minlen = strlen(w);
            }
            /* an upper-case letter opens the same chain as its lower
             * case: the walk then indexes by the text's byte as it is,
             * one load a byte fewer */
            for (int c = 'A'; c <= 'Z'; c++) {
                set->head[c] = set->head[c + ('a' - 'A')];
                set->second[c] = set->second[c + ('a' - 'A')];
            }
            set_skip(set);
        }
        atomic_store_explicit(&set->state, 2, memory_order_release);
    }
    if (s.p == NULL || s.len == 0)
        return 0;
    /* a long text: one fast search per needle, as sx_bt_has_any() */
    if (set->n == 0xff || s.len > 32 * (size_t)set->n)
        return sx_bt_has_any(s, set->needles);
    return set_walk(s.p, s.len, set);
}

int sx_bt_names_walk(sx_bt_names *s, const char *p, size_t l)
{
    if (atomic_load_explicit(&s->state, memory_order_acquire) != 2) {
        /* the first caller builds the index; one that comes while it is
         * being built walks the list */
        int none = 0;
        if (atomic_compare_exchange_strong(&s->state, &none, 1)) {
            memset(s->at, 0, sizeof s->at);
            s->maxlen = 0;
            for (size_t i = 0; s->names[i] != NULL && i < 0xfe; i++) {
                size_t n = strlen(s->names[i]);
                if (n > s->maxlen)
                    s->maxlen = n;
                if (n == 0 || n >= SX_BT_NAMES_LEN)
                    continue;
                unsigned char *k = &s->at[n][(unsigned char)s->names[i][n - 1] & 31];
                *k = *k == 0 ? (unsigned char)(i + 1) : 0xff;
            }
            atomic_store_explicit(&s->state, 2, memory_order_release);
        }
    }
    for (size_t i = 0; s->names[i] != NULL; i++)
        if (strlen(s->names[i]) == l && sx_bt_name_is(p, s->names[i], l))
            return (int)i;
    return -1;
}

static int blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* needle at h[0..hl) caselessly, where each blank in needle stands for a
 * run of one or more blanks (a line end included); the end of the match
 * in *mend. */
static int ieq_ws(const char *h, size_t hl, const char *needle,
                  const char **mend)
{
    size_t i = 0;
    for (const char *n = needle; *n != '\0'; n++) {
        if (*n == ' ') {
            size_t k = i;
            while (k < hl && blank((unsigned char)h[k]))
                k++;
            if (k == i)
                return 0;
            i = k;
            continue;
        }
        if (i >= hl || lower((unsigned char)h[i]) != lower((unsigned char)*n))
            return 0;
        i++;
    }
    *mend = h + i;
    return 1;
}

const char *sx_bt_ifind_ws(const char *h, size_t hl, const char *needle,
                           const char **mend)
{
    size_t nl = strlen(needle);
    if (h == NULL || nl == 0 || needle[0] == ' ')
        return NULL;
    /* A match starts with the needle's first word as it is: find that,
     * then check the rest with the blanks stretched. */
    const char *sp = memchr(needle, ' ', nl);
    size_t wl = sp ? (size_t)(sp - needle) : nl;
    for (size_t i = 0; i + wl <= hl;) {
        const char *q = ifind(h + i, hl - i, needle, wl);
        if (q == NULL)
            return NULL;
        const char *e;
        if (ieq_ws(q, hl - (size_t)(q - h), needle, &e)) {
            if (mend != NULL)
                *mend = e;
            return q;
        }
        i = (size_t)(q - h) + 1;
    }
    return NULL;
}

sx_str sx_bt_trim(sx_str s)
{
    while (s.len > 0 && blank((unsigned char)s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len > 0 && blank((unsigned char)s.p[s.len - 1]))
        s.len--;
    return s;
}

sx_str sx_bt_typed(sx_str v, sx_str *type, int strict)
{
    size_t i = 0;
    v = sx_bt_trim(v);
    if (type)
        *type = sx_bt_str(NULL, 0);
    if (strict) {
        const char *semi = v.len ? memchr(v.p, ';', v.len) : NULL;
        i = semi ? (size_t)(semi - v.p) : v.len;
    }
    for (; !strict && i < v.len; i++) {
        if (v.p[i] == ';')
            break;
        if (!strict && (i >= 16 || v.p[i] == ' '))
            return sx_bt_trim(v);
    }
    if (i == v.len)
        return sx_bt_trim(v);
    if (type)
        *type = sx_bt_trim(sx_bt_str(v.p, i));
    return sx_bt_trim(sx_bt_str(v.p + i + 1, v.len - i - 1));
}

void sx_bt_lines_init(sx_btlines *it, const char *p, size_t n)
{
    it->p = p;
    it->end = p ? p + n : p;
    it->count = 0;
    it->win = NULL;
    it->mask = 0;
}

/* The LFs of the window from at, which lies 64 bytes or more past the
 * start of the text: when fewer than 64 bytes are left, the 64 that end
 * at end (all inside the text) are read in one step and the bytes before
 * at shifted out, not taken sixteen or one at a time. */
static uint64_t lines_mask_after(const char *at, const char *end)
{
    size_t n = (size_t)(end - at);
    if (n >= 64)
        return sx_mem_mask64(at, end, '\n');
    return sx_mem_mask64(end - 64, end, '\n') >> (64 - n);
}

/* The next 64 bytes' mask; when those hold no LF either, the line is a
 * long one and memchr (fast on long runs) finds its end, the window
 * moving there. */
uint64_t sx_bt_lines_refill(sx_btlines *it)
{
    const char *from = it->p;
    uint64_t m;
    if (it->win != NULL) {
        if (it->end - it->win <= 64)
            return 0; /* the window reached the end */
        from = it->win + 64;
        m = lines_mask_after(from, it->end);
    } else {
        m = sx_mem_mask64(from, it->end, '\n');
    }
    it->win = from;
    if (m == 0 && it->end - from > 64) {
        const char *nl = memchr(from + 64, '\n', (size_t)(it->end - from - 64));
        if (nl == NULL)
            return 0;
        it->win = nl;
        m = lines_mask_after(nl, it->end);
    }
    return m;
}

/* Which bytes an address is made of, one table for both parts (the
 * checks run for every byte around each '@'; the C library's isalnum()
 * and a strchr() a byte cost more): a local part takes RFC 5322 atext
 * plus '.', as found in real local parts; a domain letters, digits, '-',
 * '.' and '_'; both any byte of a non-ASCII character. */
#define AC_LOCAL 1
#define AC_DOMAIN 2
/* the same for ASCII bytes only (see plain_addr) */
#define AC_LOCAL_ASCII 4
#define AC_DOMAIN_ASCII 8
/* a host name's or address literal's byte as sx_bt_host_len() takes it */
#define AC_HOST 16
#define AC_ALNUM(c)                                                            \
    (((c) >= '0' && (c) <= '9') || ((c) >= 'a' && (c) <= 'z') ||               \
     ((c) >= 'A' && (c) <= 'Z'))
#define AC_ATEXT(c)                                                            \
    ((c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' || (c) == '&' ||     \
     (c) == '\'' || (c) == '*' || (c) == '+' || (c) == '-' || (c) == '/' ||    \
     (c) == '=' || (c) == '?' || (c) == '^' || (c) == '_' || (c) == '`' ||     \
     (c) == '{' || (c) == '|' || (c) == '}' || (c) == '~' || (c) == '.')
#define AC_DOM(c) (AC_ALNUM(c) || (c) == '-' || (c) == '.' || (c) == '_')
#define AC(c)                                                                  \
    ((AC_ALNUM(c) || (c) >= 0x80 || AC_ATEXT(c) ? AC_LOCAL : 0) |              \
     (AC_DOM(c) || (c) >= 0x80 ? AC_DOMAIN : 0) |                              \
     (AC_ALNUM(c) || AC_ATEXT(c) ? AC_LOCAL_ASCII : 0) |                       \
     (AC_DOM(c) ? AC_DOMAIN_ASCII : 0) |                                       \
     (AC_DOM(c) || (c) == ':' ? AC_HOST : 0))
static const unsigned char addr_class[256] = {
#define A4(b) AC(b), AC((b) + 1), AC((b) + 2), AC((b) + 3)
#define A16(b) A4(b), A4((b) + 4), A4((b) + 8), A4((b) + 12)
#define A64(b) A16(b), A16((b) + 16), A16((b) + 32), A16((b) + 48)
    A64(0), A64(64), A64(128), A64(192)
#undef A64
#undef A16
#undef A4
};

static int local_char(int c)
{
    return addr_class[c & 0xff] & AC_LOCAL;
}

static int domain_char(int c)
{
    return addr_class[c & 0xff] & AC_DOMAIN;
}

/* Is the code point a space or a mark of punctuation of the kind that
 * separates words in text written in other scripts (ideographic space,
 * the full-width colon of "收件人：a@b", CJK brackets, typographic quotes)?
 * Local parts and domain names may hold other non-ASCII letters. */
static int wide_separator(uint32_t cp)
{
    return cp == 0xA0 || cp == 0xAB || cp == 0xBB ||
           (cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F) ||
           (cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
           (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65);
}

/* The length of the wide separator that starts at s[i] (before s[n]), or
 * 0: a byte below 0xC0 starts none. */
static size_t separator_at(const char *s, size_t i, size_t n)
{
    uint32_t cp;
    size_t len;
    if ((unsigned char)s[i] < 0xC0)
        return 0;
    len = sx_utf8_decode((const unsigned char *)s + i, n - i, &cp);
    return len > 0 && wide_separator(cp) ? len : 0;
}

int sx_bt_find_addr(const char *s, size_t n, sx_str *addr, size_t *next)
{
    size_t from = 0;
    while (from < n) {
        const char *at = memchr(s + from, '@', n - from);
        if (at == NULL)
            return 0;
        size_t ai = (size_t)(at - s);
        size_t b = ai;
        /* ASCII bytes first, in a loop of their own: none of them starts
         * a separator */
        while (b > 0 && (addr_class[(unsigned char)s[b - 1]] & AC_LOCAL_ASCII))
            b--;
        while (b > 0 && local_char((unsigned char)s[b - 1])) {
            /* at the first byte of a character: a separator ends the
             * local part after it */
            size_t l = separator_at(s, b - 1, ai);
            if (l > 0) {
                b += l - 1;
                break;
            }
            b--;
        }
        /* A quoted local part: "john doe"@example.com */
        if (b == ai && ai > 0 && s[ai - 1] == '"') {
            size_t q = ai - 1;
            while (q > 0 && s[q - 1] != '"' && s[q - 1] != '\n')
                q--;
            if (q > 0 && s[q - 1] == '"')
                b = q - 1;
        }
        size_t e = ai + 1;
        if (e < n && s[e] == '[') {
            while (e < n && s[e] != ']' && !blank((unsigned char)s[e]))
                e++;
            if (e < n && s[e] == ']')
                e++;
        } else {
            while (e < n && (addr_class[(unsigned char)s[e]] & AC_DOMAIN_ASCII))
                e++;
            while (e < n && domain_char((unsigned char)s[e]) &&
                   separator_at(s, e, n) == 0)
                e++;
            while (e > ai + 1 && (s[e - 1] == '.' || s[e - 1] == '-'))
                e--;
        }
        /* trim dots that cannot start a local part */
        while (b < ai && s[b] == '.')
            b++;
        /* 'a@b' or `a@b': quotes around the address, not a local part
         * that starts with an apostrophe */
        if (b < ai && (s[b] == '\'' || s[b] == '`') && e < n && s[e] == '\'')
            b++;
        int dotted = memchr(at + 1, '.', e - ai - 1) != NULL ||
                     (e > ai + 1 && at[1] == '[');
        if (b < ai && e > ai + 1 && dotted) {
            addr->p = s + b;
            addr->len = e - b;
            if (next)
                *next = e;
            return 1;
        }
        from = ai + 1;
    }
    return 0;
}

/* Is s[0..n) a plain ASCII address, local@dom.ain, that
 * sx_bt_find_addr() would find whole? One '@' with only local-part bytes
 * before it and domain bytes after, a dot in the domain, which ends in
 * neither '.' nor '-', and no '.' first: then its walks from the '@' reach
 * both ends with nothing to trim. Anything else (non-ASCII bytes, quotes,
 * brackets) is left to it. */
static int plain_addr(const char *s, size_t n)
{
    /* '@' is no local-part byte: the walk over the local part stops at
     * the first '@', and at any other byte the address is not plain; no
     * search for the '@' first */
    size_t ai = 0;
    while (ai < n && (addr_class[(unsigned char)s[ai]] & AC_LOCAL_ASCII))
        ai++;
    if (ai == 0 || ai == n || s[ai] != '@' || s[0] == '.')
        return 0;
    int dot = 0;
    for (size_t i = ai + 1; i < n; i++) {
        if (!(addr_class[(unsigned char)s[i]] & AC_DOMAIN_ASCII))
            return 0;
        dot |= s[i] == '.';
    }
    return dot && s[n - 1] != '.' && s[n - 1] != '-';
}

int sx_bt_is_addr(sx_str s, sx_str *addr)
{
    s = sx_bt_trim(s);
    if (s.len >= 2 && s.p[0] == '<' && s.p[s.len - 1] == '>') {
        s.p++;
        s.len -= 2;
        s = sx_bt_trim(s);
    }
    if (plain_addr(s.p, s.len)) {
        if (addr)
            *addr = s;
        return 1;
    }
    sx_str a;
    size_t next;
    if (!sx_bt_find_addr(s.p, s.len, &a, &next))
        return 0;
    if (a.p != s.p || next != s.len)
        return 0;
    if (addr)
        *addr = a;
    return 1;
}

int sx_bt_reply_code(const char *s, size_t n)
{
    if (n < 3 || !(s[0] >= '2' && s[0] <= '5') ||
        !isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]))
        return 0;
    if (n > 3 && s[3] != ' ' && s[3] != '-' && s[3] != '\t')
        return 0;
    return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

int sx_bt_find_enhanced(const char *s, size_t n, char out[16], size_t *at)
{
    if (n < 5)
        return 0;
    /* A code's second byte is '.': the starts are found from the dots
     * (memchr), in the same order as a walk over every byte would. */
    for (size_t from = 1; from + 4 <= n;) {
        const char *dot = memchr(s + from, '.', n - 3 - from);
        if (dot == NULL)
            return 0;
        size_t i = (size_t)(dot - s) - 1;
        from = i + 2;
        char c = s[i];
        if (c != '2' && c != '4' && c != '5')
            continue;
        if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '.'))
            continue;
        if (s[i + 1] != '.')
            continue;
        size_t j = i + 2, k;
        for (k = 0; j < n && isdigit((unsigned char)s[j]) && k < 3; j++, k++)
            ;
        if (k == 0 || j >= n || s[j] != '.')
            continue;
        size_t d0 = ++j;
        for (k = 0; j < n && isdigit((unsigned char)s[j]) && k < 3; j++, k++)
            ;
        if (k == 0 || (j < n && (isalnum((unsigned char)s[j]) ||
                                 (s[j] == '.' && j + 1 < n &&
                                  isdigit((unsigned char)s[j + 1])))))
            continue;
        (void)d0;
        size_t len = j - i;
        if (len >= 16)
            continue;
        memcpy(out, s + i, len);
        out[len] = '\0';
        if (at)
            *at = i;
        return 1;
    }
    return 0;
}

/* Is s[i..i+3) a reply code sx_bt_find_code takes (s[i] is '4' or
 * '5', i + 3 <= n)? */
static inline int code_at(const char *s, size_t n, size_t i)
{
    if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '.' ||
                  s[i - 1] == '-' || s[i - 1] == '#' || s[i - 1] == ':' ||
                  s[i - 1] == '/'))
        return 0;
    if (!isdigit((unsigned char)s[i + 1]) || !isdigit((unsigned char)s[i + 2]))
        return 0;
    if (s[i + 1] > '5')
        return 0;
    /* "550-5.7.1" or "550 5.1.1" or "550 text": fine; "550-192.0" (an
     * address range) is not a reply */
    return i + 3 >= n || s[i + 3] == ' ' || s[i + 3] == '-' ||
           s[i + 3] == '\t';
}

int sx_bt_find_code(const char *s, size_t n, size_t *at)
{
    /* the '4's and '5's of 64 bytes at once, as bit masks, walked in
     * order: the paragraphs searched are long and hold few of them, so a
     * test of every byte costs more */
    for (size_t base = 0; base + 3 <= n; base += 64) {
        uint64_t m = sx_mem_mask64(s + base, s + n, '4') |
                     sx_mem_mask64(s + base, s + n, '5');
        for (; m != 0; m &= m - 1) {
            size_t i = base + (size_t)__builtin_ctzll(m);
            if (i + 3 > n)
                return 0; /* the later bits are later still */
            if (!code_at(s, n, i))
                continue;
            if (at)
                *at = i;
            return (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 +
                   (s[i + 2] - '0');
        }
    }
    return 0;
}

/* Phrases that name the answered command, most specific first (also
 * compiled into the marker scanner, bounce_mark.c). */
const sx_bt_cmd_phrase sx_bt_command_phrases[] = {
    {"in reply to end of data", "DATA"},
    {"in reply to rcpt to", "RCPT"},
    {"in reply to mail from", "MAIL"},
    {"in reply to data", "DATA"},
    {"in reply to ehlo", "EHLO"},
    {"in reply to helo", "HELO"},
    {"in reply to starttls", "STARTTLS"},
    {"in reply to auth", "AUTH"},
    {"in reply to bdat", "DATA"},
    {"after end of data", "DATA"},
    {"after rcpt to", "RCPT"},
    {"after mail from", "MAIL"},
    {"after initial connection", "CONN"},
    /* Exim names what it had pipelined; BDAT's chunks ("sending data
     * block") carry the message text, as DATA does */
    {"after pipelined mail from", "MAIL"},
    {"after pipelined end of data", "DATA"},
    {"after pipelined data", "DATA"},
    {"after pipelined sending data block", "DATA"},
    {"after sending data block", "DATA"},
    {"after pipelined", "RCPT"},
    {"after data", "DATA"},
    {"after ehlo", "EHLO"},
    {"after helo", "HELO"},
    {"after starttls", "STARTTLS"},
    {"after auth", "AUTH"},
    {"our final data", "DATA"},
    {"our data", "DATA"},
    {"our rcpt to", "RCPT"},
    {"our mail from", "MAIL"},
    {"our helo", "HELO"},
    {"our ehlo", "EHLO"},
    {">>> rcpt to", "RCPT"},
    {">>> mail from", "MAIL"},
    {">>> data", "DATA"},
    {">>> ehlo", "EHLO"},
    {">>> helo", "HELO"},
    {">>> starttls", "STARTTLS"},
    {"rcpt to response", "RCPT"},
    {"for rcpt to", "RCPT"},
    {"mail from response", "MAIL"},
    {"data response", "DATA"},
    {"after i sent the message", "DATA"},
    {"does not like recipient", "RCPT"},
    {"sender was rejected", "MAIL"},
    /* 1&1: "SMTP error from remote server for TEXT command" (the message
     * text, sent after DATA) */
    {"for text command", "DATA"},
    {"for mail from command", "MAIL"},
    {"my name was rejected", "HELO"},
    /* qmail: "Connected to 192.0.2.1 but greeting failed." */
    {"but greeting failed", "CONN"},
    /* Yahoo tags the reply it quotes with the stage it answered
     * ("Remote host said: 550 ... [RCPT_TO]") */
    {"[rcpt_to]", "RCPT"},
    {"[mail_from]", "MAIL"},
    {"[body]", "DATA"},
};
const size_t sx_bt_ncommand_phrases =
    sizeof sx_bt_command_phrases / sizeof sx_bt_command_phrases[0];

const char *sx_bt_command(const char *s, size_t n)
{
    for (size_t i = 0; i < sx_bt_ncommand_phrases; i++)
        if (sx_bt_ifind(s, n, sx_bt_command_phrases[i].phrase) != NULL)
            return sx_bt_command_phrases[i].cmd;
    return NULL;
}

sx_str sx_bt_domain(sx_str addr)
{
    const char *at = NULL;
    size_t i = addr.len;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* eight bytes a step from the end: the bytes equal to '@' are those
     * of x ^ '@' that are zero, each found on its own (no carry between
     * bytes), and the last of them is the highest */
    const uint64_t ones = 0x0101010101010101ull, low7 = 0x7f * ones;
    for (; i >= 8 && at == NULL; i -= 8) {
        uint64_t x;
        memcpy(&x, addr.p + i - 8, 8);
        x ^= '@' * ones;
        uint64_t z = ~(((x & low7) + low7) | x) & 0x80 * ones;
        if (z != 0)
            at = addr.p + i - 8 + (63 - __builtin_clzll(z)) / 8;
    }
#endif
    for (; i > 0 && at == NULL; i--)
        if (addr.p[i - 1] == '@')
            at = addr.p + i - 1;
    if (at == NULL)
        return sx_bt_str("", 0);
    return sx_bt_str(at + 1, addr.len - (size_t)(at + 1 - addr.p));
}

size_t sx_bt_host_len(const char *s, size_t n)
{
    size_t i = 0;
    if (n > 0 && s[0] == '[') {
        while (i < n && s[i] != ']' && !blank((unsigned char)s[i]))
            i++;
        return (i < n && s[i] == ']') ? i + 1 : 0;
    }
    while (i < n && (addr_class[(unsigned char)s[i]] & AC_HOST))
        i++;
    while (i > 0 && (s[i - 1] == '.' || s[i - 1] == ':'))
        i--;
    return i;
}

const char *const sx_bt_genserver_words[] = {
    "generating server", "generierender server",
    "serveur de g\xc3\xa9n\xc3\xa9ration", "servidor de generaci\xc3\xb3n",
    "servidor de gera\xc3\xa7\xc3\xa3o", "server di generazione",
    "\xe7\x94\x9f\xe6\x88\x90\xe5\x85\x83\xe3\x82\xb5\xe3\x83\xbc"
    "\xe3\x83\x90\xe3\x83\xbc", /* 生成元サーバー */
    "\xe7\x94\x9f\xe6\x88\x90\xe6\x9c\x8d\xe5\x8a\xa1\xe5\x99\xa8", /* 生成服务器 */
    NULL};

size_t sx_bt_genserver_label(const char *s, size_t n)
{
    for (size_t i = 0; sx_bt_genserver_words[i]; i++) {
        size_t k = strlen(sx_bt_genserver_words[i]);
        if (!sx_bt_iprefix(s, n, sx_bt_genserver_words[i]))
            continue;
        /* French puts a blank before its colon */
        while (k < n && blank((unsigned char)s[k]))
            k++;
        if (k < n && s[k] == ':')
            k++;
        else if (n - k >= 3 && memcmp(s + k, "\xef\xbc\x9a", 3) == 0)
            k += 3; /* the full-width colon */
        else
            continue;
        while (k < n && blank((unsigned char)s[k]))
            k++;
        return k;
    }
    return 0;
}

size_t sx_bt_utf8_cut(const char *s, size_t n)
{
    /* step back over continuation bytes (10xxxxxx), then drop the lead
     * byte of the sequence they belonged to */
    size_t k = n;
    while (k > 0 && n - k < 4 && ((unsigned char)s[k - 1] & 0xC0) == 0x80)
        k--;
    if (k > 0 && ((unsigned char)s[k - 1] & 0xC0) == 0xC0) {
        unsigned char lead = (unsigned char)s[k - 1];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
        if (n - (k - 1) < need)
            return k - 1;
    }
    return n;
}
