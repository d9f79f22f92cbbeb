/*
 * mime_decode.c - transfer decoding (RFC 2045 6.7 quoted-printable, 6.8
 * base64, RFC 2047 4.2 "Q") and the body accessors sx_part_decode and
 * sx_part_body. Decoders read exactly [in, in+len), append to a bounded
 * sbuf and flag what they had to forgive instead of failing.
 */
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "mime/mime.h"
#include "mime/mime_int.h"
#include "util/hex.h"

/* The value of each base64 digit (RFC 2045 6.8 table 1), -1 for bytes
 * that are none; bytes from 0x80 on are none either. */
static const signed char B64[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
    -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
    -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

static signed char b64val(unsigned char c)
{
    return B64[c];
}

smtpdx_status sx_base64_decode(const char *in, size_t len, sx_sbuf *out,
                               unsigned *info)
{
    int rc = sx_sbuf_reserve(out, len / 4 * 3 + 3);
    if (rc == SX_SBUF_NOMEM)
        return SMTPDX_ERR_NOMEM;
    /* reserved in full: whole groups of four digits need no room test */
    const int fits = rc == SX_SBUF_OK;
    uint32_t acc = 0;
    unsigned n = 0;
    char q[3];
    for (size_t i = 0; i < len; i++) {
        if (n == 0 && fits && len - i >= 4) {
            /* four digits in a row, as almost all of a body is: one
             * test for the four, three bytes written at once */
            int a = B64[(unsigned char)in[i]];
            int b = B64[(unsigned char)in[i + 1]];
            int c2 = B64[(unsigned char)in[i + 2]];
            int d = B64[(unsigned char)in[i + 3]];
            if ((a | b | c2 | d) >= 0) {
                uint32_t g = (uint32_t)a << 18 | (uint32_t)b << 12 |
                             (uint32_t)c2 << 6 | (uint32_t)d;
                char *o = out->data + out->len;
                o[0] = (char)(g >> 16);
                o[1] = (char)(g >> 8);
                o[2] = (char)g;
                out->len += 3;
                i += 3;
                continue;
            }
        }
        unsigned char c = (unsigned char)in[i];
        signed char v = b64val(c);
        if (v < 0) {
            /* blanks and line ends are expected; '=' pads; the rest is
             * junk that RFC 2045 6.8 says to ignore */
            if (c != '\n' && c != '\r' && c != ' ' && c != '\t' && c != '=')
                *info |= SX_DEC_BAD_BASE64;
            continue;
        }
        acc = (acc << 6) | (uint32_t)v;
        if (++n == 4) {
            q[0] = (char)(acc >> 16);
            q[1] = (char)(acc >> 8);
            q[2] = (char)acc;
            if (out->len + 3 < out->cap) {
                memcpy(out->data + out->len, q, 3);
                out->len += 3;
                out->data[out->len] = '\0';
            } else if ((rc = sx_sbuf_append(out, q, 3)) != SX_SBUF_OK) {
                return sx_sbuf_status(rc);
            }
            acc = 0;
            n = 0;
        }
    }
    if (out->data != NULL)
        out->data[out->len] = '\0'; /* the groups above leave it out */
    if (n == 1)
        *info |= SX_DEC_BAD_BASE64;
    if (n >= 2) {
        /* a last group without its padding: 12 bits give one byte, 18
         * give two (the low bits left over are padding) */
        if (n == 2) {
            q[0] = (char)(acc >> 4);
        } else {
            q[0] = (char)(acc >> 10);
            q[1] = (char)(acc >> 2);
        }
        rc = sx_sbuf_append(out, q, n - 1);
        if (rc != SX_SBUF_OK)
            return sx_sbuf_status(rc);
    }
    return SMTPDX_OK;
}

/* Quoted-printable into o, which has room for len bytes: the decoded
 * text is never longer than the encoded one (an escape gives one byte for
 * three, a soft break none, anything else one for one). The same rules as
 * the bounded loop in sx_qp_decode; returns the bytes written. */
static size_t qp_into(const char *in, size_t len, int header_q, char *o,
                      unsigned *info)
{
    size_t i = 0, w = 0;
    while (i < len) {
        char c = in[i];
        if (c != '=' && !(header_q && c == '_')) {
            /* a run of literal bytes up to the next escape */
            size_t j;
            if (header_q) {
                j = i + 1;
                while (j < len && in[j] != '=' && in[j] != '_')
                    j++;
            } else {
#if defined(__SSE2__)
                /* the search and the copy in one pass, sixteen bytes a
                 * step, without a call: in a body the runs between
                 * escapes are short (a few bytes in encoded non-ASCII
                 * text, a line of text at most), where a memchr and a
                 * memcpy call each cost more than the bytes. Storing all
                 * sixteen is safe: w <= i, and o has room for len. */
                const __m128i veq = _mm_set1_epi8('=');
                while (len - i >= 16) {
                    __m128i x = _mm_loadu_si128((const __m128i *)(in + i));
                    _mm_storeu_si128((__m128i *)(o + w), x);
                    unsigned m = (unsigned)_mm_movemask_epi8(
                        _mm_cmpeq_epi8(x, veq));
                    if (m != 0) {
                        unsigned k = (unsigned)__builtin_ctz(m);
                        i += k;
                        w += k;
                        break;
                    }
                    i += 16;
                    w += 16;
                }
                if (i == len || in[i] == '=')
                    continue; /* the end, or an escape found above */
#endif
                const char *eq = memchr(in + i, '=', len - i);
                j = eq ? (size_t)(eq - in) : len;
            }
            memcpy(o + w, in + i, j - i);
            w += j - i;
            i = j;
            continue;
        }
        if (c == '_') {
            o[w++] = ' ';
            i++;
            continue;
        }
        if (i + 2 < len) {
            /* "=XX", the usual escape (runs of them in encoded UTF-8):
             * a digit after '=' is no blank or line end, so no soft
             * break can start here */
            int h = sx_hex_digit[(unsigned char)in[i + 1]];
            int l = sx_hex_digit[(unsigned char)in[i + 2]];
            if ((h | l) >= 0) {
                o[w++] = (char)(h * 16 + l);
                i += 3;
                continue;
            }
        }
        size_t j = i + 1;
        while (j < len && (in[j] == ' ' || in[j] == '\t'))
            j++;
        if (j < len && (in[j] == '\n' || in[j] == '\r')) {
            if (in[j] == '\r' && j + 1 < len && in[j + 1] == '\n')
                j++;
            i = j + 1;
            continue;
        }
        if (j == len) {
            i = len;
            continue;
        }
        int h = i + 2 < len ? sx_hex_value(in[i + 1]) : -1;
        int l = h >= 0 ? sx_hex_value(in[i + 2]) : -1;
        if (h >= 0 && l >= 0) {
            o[w++] = (char)(h * 16 + l);
            i += 3;
        } else {
            *info |= SX_DEC_BAD_QP;
            o[w++] = '=';
            i++;
        }
    }
    return w;
}

smtpdx_status sx_qp_decode(const char *in, size_t len, int header_q,
                           sx_sbuf *out, unsigned *info)
{
    int rc = sx_sbuf_reserve(out, len);
    if (rc == SX_SBUF_NOMEM)
        return SMTPDX_ERR_NOMEM;
    if (rc == SX_SBUF_OK) {
        /* it fits: write in place, no bound checked per byte */
        out->len += qp_into(in, len, header_q, out->data + out->len, info);
        out->data[out->len] = '\0';
        return SMTPDX_OK;
    }
    /* near the limit: append piece by piece, keep what fitted */
    size_t i = 0, run = 0;
    while (i < len) {
        char c = in[i];
        if (c != '=' && !(header_q && c == '_')) {
            if (header_q) {
                i++;
                continue;
            }
            /* bodies: jump to the next escape */
            const char *eq = memchr(in + i, '=', len - i);
            i = eq ? (size_t)(eq - in) : len;
            continue;
        }
        if ((rc = sx_sbuf_append(out, in + run, i - run)) != SX_SBUF_OK)
            return sx_sbuf_status(rc);
        if (c == '_') {
            rc = sx_sbuf_putc(out, ' ');
            run = ++i;
        } else {
            /* soft line break (6.7 rule 5), padding blanks allowed */
            size_t j = i + 1;
            while (j < len && (in[j] == ' ' || in[j] == '\t'))
                j++;
            if (j < len && (in[j] == '\n' || in[j] == '\r')) {
                if (in[j] == '\r' && j + 1 < len && in[j + 1] == '\n')
                    j++;
                run = i = j + 1;
                continue;
            }
            if (j == len) {
                run = i = len;
                continue;
            }
            int h = i + 2 < len ? sx_hex_value(in[i + 1]) : -1;
            int l = h >= 0 ? sx_hex_value(in[i + 2]) : -1;
            if (h >= 0 && l >= 0) {
                rc = sx_sbuf_putc(out, (char)(h * 16 + l));
                run = i = i + 3;
            } else {
                *info |= SX_DEC_BAD_QP;
                rc = sx_sbuf_putc(out, '=');
                run = ++i;
            }
        }
        if (rc != SX_SBUF_OK)
            return sx_sbuf_status(rc);
    }
    return sx_sbuf_status(sx_sbuf_append(out, in + run, len - run));
}

/* CRLF and lone CR become LF, in place. */
static void eol_normalise(sx_sbuf *b)
{
    char *s = b->data;
    if (s == NULL)
        return;
    char *cr = memchr(s, '\r', b->len);
    if (cr == NULL)
        return;
    size_t w = (size_t)(cr - s), r = w;
    while (r < b->len) {
        /* here s[r] is a CR: it becomes LF, an LF after it goes */
        s[w++] = '\n';
        r += (r + 1 < b->len && s[r + 1] == '\n') ? 2 : 1;
        const char *nx = memchr(s + r, '\r', b->len - r);
        size_t stop = nx ? (size_t)(nx - s) : b->len;
        memmove(s + w, s + r, stop - r);
        w += stop - r;
        r = stop;
    }
    b->len = w;
    s[w] = '\0';
}

static smtpdx_status transfer_decode(const sx_part *p, sx_sbuf *out,
                                     unsigned *info)
{
    switch (p->cte) {
    case SX_CTE_BASE64:
        return sx_base64_decode(p->body.p, p->body.len, out, info);
    case SX_CTE_QP:
        return sx_qp_decode(p->body.p, p->body.len, 0, out, info);
    default:
        return sx_sbuf_status(sx_sbuf_append(out, p->body.p, p->body.len));
    }
}

smtpdx_status sx_part_body(const sx_msg *m, const sx_part *p,
                           sx_sbuf *scratch, const char **data, size_t *len)
{
    unsigned info = 0;
    if (m == NULL || p == NULL || data == NULL || len == NULL)
        return SMTPDX_ERR_INVAL;
    if (p->cte != SX_CTE_BASE64 && p->cte != SX_CTE_QP) {
        *data = p->body.p;
        *len = p->body.len;
        return SMTPDX_OK;
    }
    if (scratch == NULL)
        return SMTPDX_ERR_INVAL;
    sx_sbuf_reset(scratch);
    smtpdx_status st = transfer_decode(p, scratch, &info);
    *data = scratch->data ? scratch->data : "";
    *len = scratch->len;
    return st;
}

smtpdx_status sx_part_decode(const sx_msg *m, const sx_part *p,
                             unsigned flags, sx_sbuf *out, unsigned *info)
{
    unsigned dummy = 0;
    if (info == NULL)
        info = &dummy;
    *info = 0;
    if (m == NULL || p == NULL || out == NULL)
        return SMTPDX_ERR_INVAL;
    sx_sbuf_reset(out);
    int text = ARR_IS(p->type, "text");
    int message = ARR_IS(p->type, "message");
    smtpdx_status st;
    if ((!text && !message) || (flags & SX_DECODE_RAW_CHARSET)) {
        st = transfer_decode(p, out, info);
        if (st == SMTPDX_ERR_LIMIT)
            *info |= SX_DEC_TRUNCATED;
        if ((text || message) && !(flags & SX_DECODE_KEEP_EOL))
            eol_normalise(out);
        return st;
    }
    const char *cs = text ? p->charset : "";
    if (p->cte == SX_CTE_BASE64 || p->cte == SX_CTE_QP) {
        sx_sbuf tmp;
        sx_sbuf_init(&tmp, p->body.len + 16);
        st = transfer_decode(p, &tmp, info);
        if (st == SMTPDX_OK)
            st = sx_charset_to_utf8(cs, tmp.data ? tmp.data : "", tmp.len,
                                    out, info);
        sx_sbuf_release(&tmp);
    } else {
        st = sx_charset_to_utf8(cs, p->body.p, p->body.len, out, info);
    }
    if (st == SMTPDX_ERR_LIMIT)
        *info |= SX_DEC_TRUNCATED;
    if (!(flags & SX_DECODE_KEEP_EOL))
        eol_normalise(out);
    return st;
}
