/*
 * json.c - JSON emitter into an sx_sbuf (see json.h).
 *
 * A record is some fifty short strings, so the cost is in the calls, not
 * in the bytes: each key or value reserves room for its worst case once
 * (six bytes out per byte in) and is then written straight into the
 * buffer. Inside a string, runs of printable ASCII, which pass unchanged,
 * are found sixteen bytes at a time and copied in one go; only the bytes
 * around an escape or a non-ASCII sequence are looked at one by one.
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

/* Sixteen bytes at a time; GCC and Clang turn this into SIMD compares
 * (SSE2 on x86-64, NEON on ARM). */
typedef unsigned char sx_v16 __attribute__((vector_size(16)));

/* Length of the run of plain bytes at the start of p[0..n). */
static size_t plain_run(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (n - i >= 16) {
        sx_v16 v;
        memcpy(&v, p + i, 16);
        /* c - 0x20 wraps below 0x20: one compare finds both ends */
        sx_v16 bad = (sx_v16)((sx_v16)(v - 0x20) >= 0x5f) | (sx_v16)(v == '"')
                     | (sx_v16)(v == '\\');
        uint64_t h[2];
        memcpy(h, &bad, 16);
        if ((h[0] | h[1]) != 0)
            break;
        i += 16;
    }
    while (i < n && PLAIN[p[i]])
        i++;
    return i;
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
        size_t r = plain_run(p + k, stop - k);
        memcpy(o, p + k, r);
        o += r;
        k += r;
        if (k >= stop)
            break;
        uint32_t cp = 0;
        size_t len = sx_utf8_decode(p + k, n - k, &cp);
        if (len > 1 && !sx_utf8_is_unsafe(cp)) {
            memcpy(o, p + k, len);
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

/* Strings up to this length are escaped with one reservation of their
 * worst case; longer ones a block at a time, so that a long string does
 * not reserve six times its size at once. */
#define QUOTE_BLOCK 4096u

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
        if ((rc = sx_sbuf_reserve(b, chunk * 6)) != SX_SBUF_OK)
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
static void member(sx_json *j, const char *key, size_t kn, const char *s,
                   size_t n)
{
    int cm = comma(j);
    int small = s == NULL || n <= QUOTE_BLOCK;
    char *o = room(j, 1 + kn + 3 + (small ? n * 6 + 4 : 0));
    if (o == NULL)
        return;
    if (cm)
        *o++ = ',';
    if (key) {
        /* keys are names given by the writers: nothing to escape */
        *o++ = '"';
        memcpy(o, key, kn);
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
    memcpy(o, key, n);
    o += n;
    *o++ = '"';
    *o++ = ':';
    commit(j, o);
}

void sx_json_str(sx_json *j, const char *s, size_t n)
{
    member(j, NULL, 0, s ? s : "", s ? n : 0);
}

void sx_json_strz(sx_json *j, const char *s)
{
    member(j, NULL, 0, s, s ? strlen(s) : 0);
}

/* ',' when due, the key (kn bytes, may be NULL), then the integer. */
static void member_int(sx_json *j, const char *key, size_t kn, long long v)
{
    char buf[24];
    size_t k = sizeof(buf);
    /* the magnitude as unsigned: -LLONG_MIN does not fit a long long */
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v
                                 : (unsigned long long)v;
    do {
        buf[--k] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (v < 0)
        buf[--k] = '-';
    int cm = comma(j);
    char *o = room(j, 1 + kn + 3 + sizeof(buf));
    if (o == NULL)
        return;
    if (cm)
        *o++ = ',';
    if (key) {
        *o++ = '"';
        memcpy(o, key, kn);
        o += kn;
        *o++ = '"';
        *o++ = ':';
    }
    memcpy(o, buf + k, sizeof(buf) - k);
    commit(j, o + (sizeof(buf) - k));
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

void sx_json_kstrn(sx_json *j, const char *key, size_t klen, const char *s)
{
    member(j, key, klen, s, s ? strlen(s) : 0);
}

void sx_json_kintn(sx_json *j, const char *key, size_t klen, long long v)
{
    member_int(j, key, klen, v);
}
