/*
 * mime_param.c - Content-Type and Content-Disposition parameters as UTF-8
 * (RFC 2045 5.1, RFC 2183 2, RFC 2231 3-4).
 *
 * RFC 2231 forms win over a plain one of the same name: "name*" holds
 * charset'language'%XX-escaped text; "name*0", "name*1*", ... are joined
 * in order of their numbers (stopping at the first gap, at most
 * SX_PARAM_SEGMENTS of them), the starred ones percent-decoded, and the
 * whole is converted from the charset given by the first segment. A plain
 * value is unquoted (RFC 5322 3.2.4) and, being often written so, may hold
 * RFC 2047 words, which are decoded.
 */
#include <string.h>

#include "mime/mime.h"
#include "mime/mime_int.h"
#include "util/hex.h"
#include "util/memscan.h"

#define SX_PARAM_SEGMENTS 256u

/* Parsed form of an attribute "name", "name*", "name*N" or "name*N*". */
typedef struct pname {
    int ext;      /* 1 when the value is charset'lang'%XX-encoded */
    long seg;     /* continuation number, -1 when none */
} pname;

static int attr_match(sx_str a, const char *name, pname *pn)
{
    size_t nl = strlen(name);
    if (a.len < nl)
        return 0;
    for (size_t i = 0; i < nl; i++)
        if (sx_lc(a.p[i]) != sx_lc(name[i]))
            return 0;
    const char *s = a.p + nl, *e = a.p + a.len;
    pn->ext = 0;
    pn->seg = -1;
    if (s == e)
        return 1;
    if (*s++ != '*')
        return 0;
    if (s == e) {
        pn->ext = 1;
        return 1;
    }
    long n = 0;
    const char *d = s;
    while (s < e && *s >= '0' && *s <= '9' && n < 100000)
        n = n * 10 + (*s++ - '0');
    if (s == d)
        return 0;
    pn->seg = n;
    if (s < e && *s == '*') {
        pn->ext = 1;
        s++;
    }
    return s == e;
}

/* %XX-decode v into raw (RFC 2231 4). */
static smtpdx_status pct_decode(sx_str v, sx_sbuf *raw)
{
    for (size_t i = 0; i < v.len; i++) {
        char c = v.p[i];
        int h = c == '%' && i + 2 < v.len ? sx_hex_value(v.p[i + 1]) : -1;
        int l = h >= 0 ? sx_hex_value(v.p[i + 2]) : -1;
        if (l >= 0) {
            c = (char)(h * 16 + l);
            i += 2;
        }
        int rc = sx_sbuf_putc(raw, c);
        if (rc != SX_SBUF_OK)
            return sx_sbuf_status(rc);
    }
    return SMTPDX_OK;
}

/* Unquote a quoted-string body (backslash escapes). */
static smtpdx_status unquote(sx_str v, int escaped, sx_sbuf *raw)
{
    if (!escaped)
        return sx_sbuf_status(sx_sbuf_append(raw, v.p, v.len));
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] == '\\' && i + 1 < v.len)
            i++;
        int rc = sx_sbuf_putc(raw, v.p[i]);
        if (rc != SX_SBUF_OK)
            return sx_sbuf_status(rc);
    }
    return SMTPDX_OK;
}

/* Split "charset'lang'rest": charset copied into cs, v moved to rest. */
static void ext_prefix(sx_str *v, char *cs, size_t cap)
{
    const char *q1 = memchr(v->p, '\'', v->len);
    const char *q2 = q1 ? memchr(q1 + 1, '\'', v->len - (size_t)(q1 + 1 - v->p))
                        : NULL;
    cs[0] = '\0';
    if (q2 == NULL)
        return;
    size_t n = (size_t)(q1 - v->p);
    if (n >= cap)
        n = cap - 1;
    memcpy(cs, v->p, n);
    cs[n] = '\0';
    v->len -= (size_t)(q2 + 1 - v->p);
    v->p = q2 + 1;
}

/* Join the RFC 2231 continuation segments of name into raw. Returns 1
 * when segment 0 was there. */
static int segments_join(const char *p, const char *end, const char *name,
                         sx_sbuf *raw, char *cs, size_t cscap,
                         smtpdx_status *st)
{
    int found0 = 0;
    for (long want = 0; want < (long)SX_PARAM_SEGMENTS; want++) {
        const char *q = p;
        sx_str a, v;
        int esc, hit = 0;
        pname pn;
        while ((q = sx_param_next(q, end, &a, &v, &esc)) != NULL) {
            if (!attr_match(a, name, &pn) || pn.seg != want)
                continue;
            hit = 1;
            if (pn.ext) {
                if (want == 0)
                    ext_prefix(&v, cs, cscap);
                *st = pct_decode(v, raw);
            } else {
                *st = unquote(v, esc, raw);
            }
            break;
        }
        if (!hit || *st != SMTPDX_OK)
            break;
        if (want == 0)
            found0 = 1;
    }
    return found0;
}

smtpdx_status sx_param_get(const char *value, size_t len, const char *name,
                           sx_sbuf *out)
{
    if (value == NULL || name == NULL || out == NULL)
        return SMTPDX_ERR_INVAL;
    sx_sbuf_reset(out);
    const char *end = value + len;
    const char *semi = memchr(value, ';', len);
    if (semi == NULL)
        return SMTPDX_ERR_PARSE;
    const char *p = semi + 1;
    sx_sbuf raw;
    sx_sbuf_init(&raw, len + 16);
    char cs[64] = "";
    smtpdx_status st = SMTPDX_OK;
    int have = 0, plain = 0, segs = 0;
    sx_str a, v, pv = {NULL, 0};
    int esc, pesc = 0;
    pname pn;

    /* name* beats name*0.. which beats name */
    const char *q = p;
    while ((q = sx_param_next(q, end, &a, &v, &esc)) != NULL) {
        if (!attr_match(a, name, &pn))
            continue;
        if (pn.seg >= 0)
            segs = 1;
        if (pn.seg < 0 && pn.ext && have < 3) {
            ext_prefix(&v, cs, sizeof cs);
            sx_sbuf_reset(&raw);
            st = pct_decode(v, &raw);
            have = 3;
        } else if (pn.seg < 0 && !pn.ext && !plain) {
            pv = v;
            pesc = esc;
            plain = 1;
        }
    }
    /* the segments are looked for only when this walk saw one */
    if (have == 0 && st == SMTPDX_OK && segs
        && segments_join(p, end, name, &raw, cs, sizeof cs, &st))
        have = 2;
    if (st == SMTPDX_OK && have) {
        st = sx_charset_to_utf8(cs, raw.data ? raw.data : "", raw.len, out,
                                NULL);
    } else if (st == SMTPDX_OK && plain) {
        /* the value as written, copied only to undo backslash escapes */
        const char *d = pv.p ? pv.p : "";
        size_t dl = pv.len;
        if (pesc) {
            st = unquote(pv, pesc, &raw);
            d = raw.data ? raw.data : "";
            dl = raw.len;
        }
        if (st == SMTPDX_OK && sx_mem_pair(d, d + dl, '=', '?') != NULL)
            st = sx_hdr_decode(d, dl, out);
        else if (st == SMTPDX_OK)
            st = sx_charset_to_utf8(NULL, d, dl, out, NULL);
    } else if (st == SMTPDX_OK) {
        st = SMTPDX_ERR_PARSE;
    }
    sx_sbuf_release(&raw);
    if (st == SMTPDX_OK && out->data == NULL)
        st = sx_sbuf_status(sx_sbuf_append(out, "", 0));
    return st;
}

smtpdx_status sx_part_param(const sx_msg *m, const sx_part *p,
                            const char *hdr, const char *name, sx_sbuf *out)
{
    if (m == NULL || hdr == NULL || name == NULL || out == NULL)
        return SMTPDX_ERR_INVAL;
    const sx_hdr *h = sx_msg_header_raw(m, p, hdr, 0);
    if (h == NULL) {
        sx_sbuf_reset(out);
        return SMTPDX_ERR_PARSE;
    }
    return sx_param_get(h->value.p, h->value.len, name, out);
}
