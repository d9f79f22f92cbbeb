/*
 * mime_util.c - lexical helpers of the MIME module (RFC 2045 5.1 tokens,
 * RFC 5322 3.2.2 comments and folding white space, Content-Type shape and
 * raw parameter lookup) and the simple accessors of sx_msg.
 */
#include <string.h>

#include "mime/cursor.h"
#include "mime/mime.h"
#include "mime/mime_int.h"
#include "util/memscan.h"
#include "util/sbuf.h"

/* Comments nest (RFC 5322 3.2.2); deeper ones are read as flat text. */
#define SX_COMMENT_DEPTH 16

/* ASCII lower case of every byte value: one load per byte compared. */
#define R8(b) b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7
#define R16(b) R8(b), R8(b + 8)
static const unsigned char LC[256] = {
    R16(0x00), R16(0x10), R16(0x20), R16(0x30),
    0x40, R8(0x61), R8(0x69), R8(0x71), 0x79, 0x7a, /* '@', 'A'..'Z' */
    0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
    R16(0x60), R16(0x70), R16(0x80), R16(0x90), R16(0xa0), R16(0xb0),
    R16(0xc0), R16(0xd0), R16(0xe0), R16(0xf0),
};
#undef R16
#undef R8

int sx_mem_ieq(const char *a, size_t n, const char *c)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)c;
    for (size_t i = 0; i < n; i++) {
        if (y[i] == '\0' || LC[x[i]] != LC[y[i]])
            return 0;
    }
    return y[n] == '\0';
}

smtpdx_status sx_sbuf_status(int rc)
{
    if (rc == SX_SBUF_OK)
        return SMTPDX_OK;
    return rc == SX_SBUF_LIMIT ? SMTPDX_ERR_LIMIT : SMTPDX_ERR_NOMEM;
}

/* RFC 2045 5.1: token := 1*<any (US-ASCII) CHAR except SPACE, CTLs, or
 * tspecials>; per byte its lower case when it is one, else 0, so that a
 * token is tested and lower-cased by one load per byte. */
static const unsigned char TOKEN[256] = {
#define T(c) [c] = (unsigned char)((c) >= 'A' && (c) <= 'Z' ? (c) | 0x20 : (c))
    T('!'), T('#'), T('$'), T('%'), T('&'), T('\''), T('*'), T('+'), T('-'),
    T('.'), T('0'), T('1'), T('2'), T('3'), T('4'), T('5'), T('6'), T('7'),
    T('8'), T('9'), T('A'), T('B'), T('C'), T('D'), T('E'), T('F'), T('G'),
    T('H'), T('I'), T('J'), T('K'), T('L'), T('M'), T('N'), T('O'), T('P'),
    T('Q'), T('R'), T('S'), T('T'), T('U'), T('V'), T('W'), T('X'), T('Y'),
    T('Z'), T('^'), T('_'), T('`'), T('a'), T('b'), T('c'), T('d'), T('e'),
    T('f'), T('g'), T('h'), T('i'), T('j'), T('k'), T('l'), T('m'), T('n'),
    T('o'), T('p'), T('q'), T('r'), T('s'), T('t'), T('u'), T('v'), T('w'),
    T('x'), T('y'), T('z'), T('{'), T('|'), T('}'), T('~'),
#undef T
};

int sx_is_token_char(unsigned char c)
{
    return TOKEN[c] != 0;
}

const char *sx_skip_cfws(const char *p, const char *end)
{
    while (p < end) {
        char c = *p;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            p++;
            continue;
        }
        if (c != '(')
            break;
        unsigned depth = 0;
        while (p < end) {
            if (*p == '\\' && p + 1 < end) {
                p += 2;
                continue;
            }
            if (*p == '(' && depth < SX_COMMENT_DEPTH)
                depth++;
            else if (*p == ')' && --depth == 0) {
                p++;
                break;
            }
            p++;
        }
    }
    return p;
}

/* sx_skip_cfws, the blanks and line ends skipped here: the call is made
 * only for a comment, which few values hold */
static inline const char *cfws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    if (p < end && *p == '(')
        return sx_skip_cfws(p, end);
    return p;
}

static const char *token_copy(const char *p, const char *end, char *out,
                              size_t cap, size_t *n)
{
    size_t k = 0;
    unsigned char lc;
    /* what fits, then the rest of a longer token unwritten: the bound is
     * the nearer of the two ends, one test per byte */
    size_t room = cap ? cap - 1 : 0;
    size_t lim = (size_t)(end - p) < room ? (size_t)(end - p) : room;
    while (k < lim && (lc = TOKEN[(unsigned char)p[k]]) != 0)
        out[k++] = (char)lc;
    p += k;
    while (p < end && TOKEN[(unsigned char)*p] != 0)
        p++;
    out[k] = '\0';
    *n = k;
    return p;
}

int sx_ctype_parse(const char *v, size_t len, char *type, size_t tcap,
                   char *sub, size_t scap, const char **params)
{
    const char *end = v + len;
    size_t n;
    const char *p = cfws(v, end);
    p = token_copy(p, end, type, tcap, &n);
    *params = p;
    if (n == 0)
        goto bad;
    p = cfws(p, end);
    if (p >= end || *p != '/')
        goto bad;
    p = cfws(p + 1, end);
    p = token_copy(p, end, sub, scap, &n);
    if (n == 0)
        goto bad;
    *params = p;
    return 0;
bad:
    memcpy(type, "text", 5);
    memcpy(sub, "plain", 6);
    return -1;
}

/* Bytes that end an attribute name, and a bare value (one table each
 * rather than a chain of compares per byte). */
static const unsigned char ATTR_STOP[256] = {
    ['='] = 1, [';'] = 1, [' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1,
    ['"'] = 1, ['('] = 1,
};
static const unsigned char WORD_STOP[256] = {
    [';'] = 1, [' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1,
};


/* One parameter value at p (after '='): quoted string or bare word. */
static const char *value_read(const char *p, const char *end, sx_str *val,
                              int *escaped)
{
    *escaped = 0;
    if (p < end && *p == '"') {
        const char *s = ++p;
        /* long quoted values (boundaries) go from quote or backslash to
         * the next */
        while ((p = sx_mem_any2(p, end, '"', '\\')) != NULL && *p != '"') {
            if (p + 1 < end) {
                *escaped = 1;
                p++;
            }
            p++;
        }
        if (p == NULL)
            p = end;
        val->p = s;
        val->len = (size_t)(p - s);
        return p < end ? p + 1 : p;
    }
    const char *s = p;
    while (p < end && !WORD_STOP[(unsigned char)*p])
        p++;
    val->p = s;
    val->len = (size_t)(p - s);
    return p;
}

const char *sx_param_next(const char *p, const char *end, sx_str *attr,
                          sx_str *val, int *escaped)
{
    while (p < end) {
        p = cfws(p, end);
        if (p >= end)
            break;
        if (*p == ';') {
            p++;
            continue;
        }
        const char *as = p;
        while (p < end && !ATTR_STOP[(unsigned char)*p])
            p++;
        const char *ae = p;
        p = cfws(p, end);
        if (p < end && *p == '=' && ae > as) {
            p = cfws(p + 1, end);
            p = value_read(p, end, val, escaped);
            attr->p = as;
            attr->len = (size_t)(ae - as);
            return p;
        }
        /* junk without '=': skip a character so that we always advance */
        if (p == as && p < end && *p != ';')
            p++;
    }
    return NULL;
}

int sx_param_raw(const char *p, const char *end, const char *name,
                 sx_str *val, int *escaped)
{
    sx_str a, v;
    int esc;
    while ((p = sx_param_next(p, end, &a, &v, &esc)) != NULL) {
        if (sx_str_ieq(a, name)) {
            *val = v;
            *escaped = esc;
            return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ accessors */

const sx_part *sx_msg_part(const sx_msg *m, size_t i)
{
    if (m == NULL || i >= m->nparts)
        return NULL;
    return &m->parts[i];
}

/* Does the lower-case name have match want (NULL or "*": anything)? The
 * first byte settles most calls: detectors ask many questions per part. */
static int name_is(const char *have, const char *want)
{
    if (want == NULL || (want[0] == '*' && want[1] == '\0'))
        return 1;
    return have[0] == want[0] && strcmp(have, want) == 0;
}

int sx_part_is(const sx_part *p, const char *type, const char *subtype)
{
    return p != NULL && name_is(p->type, type) && name_is(p->subtype, subtype);
}

const sx_part *sx_msg_find_part(const sx_msg *m, size_t from,
                                const char *type, const char *subtype)
{
    if (m == NULL)
        return NULL;
    for (size_t i = from; i < m->nparts; i++)
        if (sx_part_is(&m->parts[i], type, subtype))
            return &m->parts[i];
    return NULL;
}

const sx_part *sx_part_inner(const sx_msg *m, const sx_part *p)
{
    if (m == NULL || p == NULL || strcmp(p->type, "message") != 0
        || p->nchildren != 1 || p->index + 1 >= m->nparts)
        return NULL;
    const sx_part *c = &m->parts[p->index + 1];
    return (c->parent == p->index && (c->flags & SX_PART_F_MESSAGE)) ? c
                                                                     : NULL;
}

const sx_hdr *sx_part_headers(const sx_msg *m, const sx_part *p, size_t *n)
{
    if (p == NULL)
        p = sx_msg_part(m, 0);
    if (p == NULL) {
        *n = 0;
        return NULL;
    }
    *n = p->hdr_count;
    /* m->hdrs is NULL while no field exists: no pointer arithmetic then */
    return p->hdr_count ? m->hdrs + p->hdr_first : NULL;
}

const sx_hdr *sx_msg_header_raw(const sx_msg *m, const sx_part *p,
                                const char *name, size_t nth)
{
    size_t n, len = strlen(name);
    const sx_hdr *h = sx_part_headers(m, p, &n);
    for (size_t i = 0; i < n; i++)
        if (h[i].name.len == len && sx_mem_ieq(h[i].name.p, len, name)
            && nth-- == 0)
            return &h[i];
    return NULL;
}

size_t sx_msg_header_count(const sx_msg *m, const sx_part *p,
                           const char *name)
{
    size_t n, c = 0, len = strlen(name);
    const sx_hdr *h = sx_part_headers(m, p, &n);
    for (size_t i = 0; i < n; i++)
        if (h[i].name.len == len && sx_mem_ieq(h[i].name.p, len, name))
            c++;
    return c;
}
