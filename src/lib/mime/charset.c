/*
 * charset.c - MIME charsets to UTF-8 (RFC 2046 4.1.2, RFC 2978 names)
 * through glibc iconv, with a policy for what the wild sends: aliases
 * mapped to the superset that mail clients really write (Shift_JIS as
 * Windows CP932, GB2312 as GB18030, ks_c_5601 as CP949), invalid
 * sequences replaced by U+FFFD, an unknown charset read as UTF-8 when the
 * bytes are valid UTF-8 and as Latin-1 otherwise (and said so).
 * Output is appended to a bounded sbuf; input is never read past len.
 */
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <string.h>

#include "mime/mime.h"
#include "mime/mime_int.h"
#include "util/alloc.h"

static const char REPL[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* Aliases: what is written in mail -> what glibc iconv should open. */
static const struct {
    const char *mime;
    const char *iconv;
} ALIASES[] = {
    {"shift_jis", "CP932"},       {"shift-jis", "CP932"},
    {"sjis", "CP932"},            {"x-sjis", "CP932"},
    {"ms_kanji", "CP932"},        {"csshiftjis", "CP932"},
    {"windows-31j", "CP932"},     {"x-ms-cp932", "CP932"},
    {"cp932", "CP932"},           {"euc-jp", "EUC-JP-MS"},
    {"x-euc-jp", "EUC-JP-MS"},    {"cseucpkdfmtjapanese", "EUC-JP-MS"},
    {"gb2312", "GB18030"},        {"gbk", "GB18030"},
    {"x-gbk", "GB18030"},         {"cp936", "GB18030"},
    {"euc-cn", "GB18030"},        {"csgb2312", "GB18030"},
    {"x-euc-cn", "GB18030"},      {"gb_2312-80", "GB18030"},
    {"ks_c_5601-1987", "CP949"},  {"ks_c_5601", "CP949"},
    {"euc-kr", "CP949"},          {"ks_c_5601-1989", "CP949"},
    {"iso-8859-8-i", "ISO-8859-8"}, {"iso-8859-6-i", "ISO-8859-6"},
    {"unicode-1-1-utf-7", "UTF-7"}, {"big5", "BIG5-HKSCS"},
    {"x-mac-roman", "MACINTOSH"}, {"macintosh", "MACINTOSH"},
};

/* Names that say nothing: read as unknown. */
static const char *const UNKNOWN[] = {
    "unknown-8bit", "x-unknown", "unknown", "x-user-defined", "default",
    "charset", "none",
};

/* strcmp(n, lit) == 0, the first byte compared before the call: most of
 * the names tested against a charset differ there (an unknown one is
 * tested against some fifty). */
static int name_is(const char *n, const char *lit)
{
    return n[0] == lit[0] && strcmp(n, lit) == 0;
}

enum { CS_ASCII, CS_UTF8, CS_LATIN1, CS_ICONV, CS_UNKNOWN };

/* Length of the valid UTF-8 sequence at p, 0 when invalid (RFC 3629 4:
 * no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0)
        return (n >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
            return 0;
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80
            || (p[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

/* Bytes from i on that are ASCII, eight at a time. */
static size_t ascii_run(const unsigned char *p, size_t i, size_t n)
{
    while (i + 32 <= n) {
        /* 32 bytes per test: long ASCII runs are the common case */
        uint64_t w[4];
        memcpy(w, p + i, sizeof w);
        if ((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ull)
            break;
        i += 32;
    }
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ull)
            break;
        i += 8;
    }
    while (i < n && p[i] < 0x80)
        i++;
    return i;
}

static int utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        /* the ASCII run is searched for only where one starts: in CJK
         * text a call per character would cost more than the check */
        if (p[i] < 0x80) {
            i = ascii_run(p, i, n);
            continue;
        }
        size_t k = utf8_seq(p + i, n - i);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

/* Copy UTF-8, each invalid byte replaced by U+FFFD. */
static smtpdx_status utf8_copy(const char *s, size_t n, sx_sbuf *out,
                               unsigned *info)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0;
    while (i < n) {
        if (p[i] < 0x80) { /* as in utf8_valid */
            i = ascii_run(p, i, n);
            continue;
        }
        size_t k = utf8_seq(p + i, n - i);
        if (k) {
            i += k;
            continue;
        }
        int rc = sx_sbuf_append_utf8_cut(out, s + run, i - run);
        if (rc == SX_SBUF_OK)
            rc = sx_sbuf_append(out, REPL, 3);
        if (rc != SX_SBUF_OK)
            return sx_sbuf_status(rc);
        *info |= SX_DEC_REPLACED;
        run = ++i;
    }
    return sx_sbuf_status(sx_sbuf_append_utf8_cut(out, s + run, n - run));
}

/* One Latin-1 byte c as UTF-8 at o; returns the end. Both bytes of the
 * two-byte form are stored whatever c is, the first one chosen by mask:
 * the caller has room for one byte past the end (the NUL's place). */
static inline char *latin1_put(char *o, unsigned char c)
{
    unsigned hb = c >> 7;
    unsigned m = 0u - hb; /* all ones for a byte from 0x80 on */
    o[0] = (char)((c & ~m) | ((0xC0u | (c >> 6)) & m));
    o[1] = (char)(0x80u | (c & 0x3Fu));
    return o + 1 + hb;
}

static smtpdx_status latin1_copy(const char *s, size_t n, sx_sbuf *out)
{
    /* the exact output size first: when it fits, convert in place */
    const unsigned char *u = (const unsigned char *)s;
    size_t hi = 0, q = 0;
    while (q + 8 <= n) {
        /* the high bits of up to 248 words summed per byte lane */
        uint64_t acc = 0;
        for (unsigned k = 0; k < 248 && q + 8 <= n; k++, q += 8) {
            uint64_t w;
            memcpy(&w, u + q, 8);
            acc += (w >> 7) & 0x0101010101010101ull;
        }
        /* lanes to 16 bits (sums up to 496), then all four added */
        acc = (acc & 0x00ff00ff00ff00ffull) + ((acc >> 8) & 0x00ff00ff00ff00ffull);
        hi += (size_t)((acc * 0x0001000100010001ull) >> 48);
    }
    for (; q < n; q++)
        hi += u[q] >> 7;
    if (sx_sbuf_reserve(out, n + hi) == SX_SBUF_OK) {
        /* eight ASCII bytes copied as one word; a word with any other
         * byte converted byte by byte without a branch on the byte, as
         * is the rest: text with accents has a few ASCII bytes between
         * them, too few to pay for a call that searches and one that
         * copies, and in 8-bit data taken for Latin-1 (an attachment)
         * whether a byte is ASCII is a coin toss */
        char *o = out->data + out->len;
        size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            uint64_t w;
            memcpy(&w, u + i, 8);
            if ((w & 0x8080808080808080ull) == 0) {
                memcpy(o, &w, 8);
                o += 8;
                continue;
            }
            for (unsigned k = 0; k < 8; k++)
                o = latin1_put(o, u[i + k]);
        }
        for (; i < n; i++)
            o = latin1_put(o, u[i]);
        out->len += n + hi;
        out->data[out->len] = '\0';
        return SMTPDX_OK;
    }
    int rc = sx_sbuf_reserve(out, n);
    if (rc != SX_SBUF_OK) {
        /* may still fit when mostly ASCII: go byte by byte */
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            char two[2] = {(char)(0xC0 | (c >> 6)), (char)(0x80 | (c & 0x3F))};
            rc = c < 0x80 ? sx_sbuf_putc(out, (char)c)
                          : sx_sbuf_append(out, two, 2);
            if (rc != SX_SBUF_OK)
                return sx_sbuf_status(rc);
        }
        return SMTPDX_OK;
    }
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && (unsigned char)s[j] < 0x80)
            j++;
        if ((rc = sx_sbuf_append_utf8_cut(out, s + i, j - i)) != SX_SBUF_OK)
            return sx_sbuf_status(rc);
        if (j < n) {
            unsigned char c = (unsigned char)s[j];
            char two[2] = {(char)(0xC0 | (c >> 6)), (char)(0x80 | (c & 0x3F))};
            if ((rc = sx_sbuf_append(out, two, 2)) != SX_SBUF_OK)
                return sx_sbuf_status(rc);
            j++;
        }
        i = j;
    }
    return SMTPDX_OK;
}

/* UTF-8 when valid, else Latin-1: the reading for undeclared 8-bit text. */
static smtpdx_status guess_copy(const char *s, size_t n, sx_sbuf *out)
{
    if (utf8_valid(s, n))
        return sx_sbuf_status(sx_sbuf_append_utf8_cut(out, s, n));
    return latin1_copy(s, n, out);
}

/* Normalise a charset name into buf (lower case, no quotes or blanks). */
static void cs_norm(const char *cs, char *buf, size_t cap)
{
    size_t n = 0;
    for (; cs && *cs && n + 1 < cap; cs++) {
        char c = *cs;
        if (c == '"' || c == '\'' || c == ' ' || c == '\t')
            continue;
        /* RFC 2231 5: a language may follow the charset in encoded
         * words; the name ends at its '*' */
        if (c == '*')
            break;
        buf[n++] = sx_lc(c);
    }
    buf[n] = '\0';
}

static int cs_kind(const char *n, const char **iconv_name)
{
    *iconv_name = n;
    if (n[0] == '\0' || name_is(n, "us-ascii") || name_is(n, "ascii")
        || name_is(n, "ansi_x3.4-1968") || name_is(n, "us"))
        return CS_ASCII;
    if (name_is(n, "utf-8") || name_is(n, "utf8")
        || name_is(n, "x-utf-8"))
        return CS_UTF8;
    if (name_is(n, "iso-8859-1") || name_is(n, "latin1")
        || name_is(n, "iso_8859-1") || name_is(n, "l1")
        || name_is(n, "iso8859-1"))
        return CS_LATIN1;
    for (size_t i = 0; i < sizeof UNKNOWN / sizeof UNKNOWN[0]; i++)
        if (name_is(n, UNKNOWN[i]))
            return CS_UNKNOWN;
    for (size_t i = 0; i < sizeof ALIASES / sizeof ALIASES[0]; i++)
        if (name_is(n, ALIASES[i].mime)) {
            *iconv_name = ALIASES[i].iconv;
            break;
        }
    return CS_ICONV;
}

/* Charsets in which plain ASCII bytes (no ESC) mean ASCII. */
static int ascii_compatible(const char *n)
{
    return strstr(n, "utf-7") == NULL && strstr(n, "utf7") == NULL
           && strstr(n, "16") == NULL && strstr(n, "32") == NULL
           && strstr(n, "ucs") == NULL && strncmp(n, "hz", 2) != 0;
}

/* Charsets of 7-bit bytes only: glibc's converters reject every byte from
 * 0x80 on in them, so such a byte always ends in a replacement. */
static int seven_bit(const char *n)
{
    return strncmp(n, "iso-2022-", 9) == 0 || strcmp(n, "utf-7") == 0
           || strcmp(n, "utf7") == 0 || strcmp(n, "unicode-1-1-utf-7") == 0;
}

/* The names that open glibc's UTF-7 converter (RFC 2152), not its IMAP
 * variant, whose shift byte and direct set differ. */
static int utf7(const char *name, const char *iname)
{
    return name_is(iname, "UTF-7") || name_is(name, "utf-7")
           || name_is(name, "utf7");
}

/* Is s[0..n) made only of the bytes glibc's UTF-7 converter passes
 * through unchanged: TAB, LF, CR and ' ' to '}' but '+' (the shift into
 * base64) and '\\'? Such text converts to itself, so it needs no
 * converter call, which costs some thousand instructions each. */
static int utf7_direct(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 ? c != '\t' && c != '\n' && c != '\r'
                     : c > '}' || c == '+' || c == '\\')
            return 0;
    }
    return 1;
}

static int plain_ascii(const char *s, size_t n)
{
    /* ESC starts ISO 2022 shifts: not plain ASCII for those charsets */
    return ascii_run((const unsigned char *)s, 0, n) == n
           && memchr(s, 0x1B, n) == NULL;
}

/* ---------------------------------------------------- converter cache
 *
 * iconv_open loads a gconv module and iconv_close unloads it when it was
 * the last user, which costs more than converting a whole bounce. Each
 * thread keeps its last few converters open (reset before each use) and
 * closes them when it exits. */

#define SX_ICONV_CACHE 8

typedef struct cd_slot {
    char name[64];
    iconv_t cd;
    unsigned long used;
} cd_slot;

typedef struct cd_cache {
    cd_slot slot[SX_ICONV_CACHE];
    unsigned long clock;
} cd_cache;

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_ok;

static void cache_free(void *p)
{
    cd_cache *c = p;
    for (unsigned i = 0; i < SX_ICONV_CACHE; i++)
        if (c->slot[i].name[0])
            iconv_close(c->slot[i].cd);
    sx_free(c);
}

static void cache_init(void)
{
    cache_ok = pthread_key_create(&cache_key, cache_free) == 0;
}

static cd_cache *cache_get(void)
{
    pthread_once(&cache_once, cache_init);
    if (!cache_ok)
        return NULL;
    cd_cache *c = pthread_getspecific(cache_key);
    if (c == NULL) {
        c = sx_calloc(1, sizeof *c);
        if (c == NULL)
            return NULL;
        if (pthread_setspecific(cache_key, c) != 0) {
            sx_free(c);
            return NULL;
        }
    }
    return c;
}

/* A converter from name to UTF-8 in its initial state, or (iconv_t)-1.
 * *cached says whether it must be handed back with cd_put. */
static iconv_t cd_get(const char *name, int *cached)
{
    cd_cache *c = cache_get();
    *cached = 0;
    if (c == NULL || strlen(name) >= sizeof c->slot[0].name)
        return iconv_open("UTF-8", name);
    cd_slot *victim = &c->slot[0];
    for (unsigned i = 0; i < SX_ICONV_CACHE; i++) {
        cd_slot *s = &c->slot[i];
        if (s->name[0] && name_is(s->name, name)) {
            s->used = ++c->clock;
            iconv(s->cd, NULL, NULL, NULL, NULL);
            *cached = 1;
            return s->cd;
        }
        if (s->used < victim->used)
            victim = s;
    }
    iconv_t cd = iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1)
        return cd;
    if (victim->name[0])
        iconv_close(victim->cd);
    memcpy(victim->name, name, strlen(name) + 1);
    victim->cd = cd;
    victim->used = ++c->clock;
    *cached = 1;
    return cd;
}

static void cd_put(iconv_t cd, int cached)
{
    if (!cached)
        iconv_close(cd);
}

static smtpdx_status iconv_run(iconv_t cd, const char *in, size_t len,
                               sx_sbuf *out, unsigned *info)
{
    char *ip = (char *)(uintptr_t)in;
    size_t il = len;
    smtpdx_status st = SMTPDX_OK;
    int flushed = 0;
    while (il > 0 || !flushed) {
        size_t room = out->max - out->len;
        size_t want = il * 3 + 16;
        if (want > room)
            want = room;
        if (want < 8) {
            st = SMTPDX_ERR_LIMIT;
            break;
        }
        int rc = sx_sbuf_reserve(out, want);
        if (rc != SX_SBUF_OK) {
            st = sx_sbuf_status(rc);
            break;
        }
        char *op = out->data + out->len;
        size_t ol = want;
        size_t r;
        if (il > 0)
            r = iconv(cd, &ip, &il, &op, &ol);
        else {
            /* end of input: return to the initial state, once */
            flushed = 1;
            r = iconv(cd, NULL, NULL, &op, &ol);
        }
        out->len = (size_t)(op - out->data);
        out->data[out->len] = '\0';
        if (r != (size_t)-1 || il == 0)
            continue;
        if (errno == E2BIG) {
            /* not even one character fitted in the room left */
            if (ol == want) {
                st = SMTPDX_ERR_LIMIT;
                break;
            }
            continue;
        }
        if ((rc = sx_sbuf_append(out, REPL, 3)) != SX_SBUF_OK) {
            st = sx_sbuf_status(rc);
            break;
        }
        *info |= SX_DEC_REPLACED;
        if (errno == EILSEQ && il > 0) {
            ip++;
            il--;
        } else {
            il = 0; /* EINVAL: a sequence cut at the end */
        }
    }
    if (st == SMTPDX_ERR_LIMIT)
        *info |= SX_DEC_TRUNCATED;
    return st;
}

/* Western single-byte charsets, the labels most often put on text that
 * is UTF-8 in fact (a client or gateway that labels all it sends so). */
static int western(const char *n)
{
    return name_is(n, "windows-1252") || name_is(n, "cp1252") ||
           name_is(n, "iso-8859-15") || name_is(n, "latin-9");
}

/* Text labelled Latin-1 (iname NULL) or another Western charset that is
 * valid UTF-8 with 8-bit bytes in it: UTF-8 (flagged as mislabelled).
 * Latin-1 text is valid UTF-8 only by rare chance ("Ã©" and the like);
 * UTF-8 read as Latin-1 becomes that very mojibake. */
static smtpdx_status western_copy(const char *s, size_t n, sx_sbuf *out,
                                  unsigned *info, const char *iname)
{
    /* plain_ascii, its ASCII run kept: the UTF-8 check starts past it,
     * and Latin-1 text that is all ASCII (the most of it) is copied */
    size_t a = ascii_run((const unsigned char *)s, 0, n);
    if ((a < n || (n > 0 && memchr(s, 0x1B, n) != NULL))
        && utf8_valid(s + a, n - a)) {
        *info |= SX_DEC_CHARSET_MISLABELED;
        return sx_sbuf_status(sx_sbuf_append_utf8_cut(out, s, n));
    }
    if (iname == NULL) {
        if (a == n && sx_sbuf_reserve(out, n) == SX_SBUF_OK) {
            if (n > 0) /* s may be NULL then */
                memcpy(out->data + out->len, s, n);
            out->len += n;
            out->data[out->len] = '\0';
            return SMTPDX_OK;
        }
        return latin1_copy(s, n, out);
    }
    int cached;
    iconv_t cd = cd_get(iname, &cached);
    if (cd == (iconv_t)-1) {
        *info |= SX_DEC_CHARSET_UNKNOWN;
        return latin1_copy(s, n, out);
    }
    unsigned got = 0;
    smtpdx_status st = iconv_run(cd, s, n, out, &got);
    cd_put(cd, cached);
    *info |= got;
    return st;
}

/* out from start on again, each byte of an invalid sequence replaced. */
static smtpdx_status revalidate(sx_sbuf *out, size_t start, unsigned *info)
{
    size_t n = out->len - start;
    char *tmp = sx_malloc(n);
    if (tmp == NULL)
        return SMTPDX_ERR_NOMEM;
    memcpy(tmp, out->data + start, n);
    out->len = start;
    out->data[start] = '\0';
    smtpdx_status st = utf8_copy(tmp, n, out, info);
    sx_free(tmp);
    return st;
}

smtpdx_status sx_charset_to_utf8(const char *charset, const char *in,
                                 size_t len, sx_sbuf *out, unsigned *info)
{
    unsigned dummy = 0;
    if (info == NULL)
        info = &dummy;
    if (out == NULL || (in == NULL && len > 0))
        return SMTPDX_ERR_INVAL;
    char name[64];
    const char *iname;
    cs_norm(charset, name, sizeof name);
    int kind = cs_kind(name, &iname);
    smtpdx_status st;
    switch (kind) {
    case CS_ASCII:
        st = guess_copy(in, len, out);
        break;
    case CS_UTF8:
        st = utf8_copy(in, len, out, info);
        break;
    case CS_LATIN1:
        st = western_copy(in, len, out, info, NULL);
        break;
    case CS_UNKNOWN:
        *info |= SX_DEC_CHARSET_UNKNOWN;
        st = guess_copy(in, len, out);
        break;
    default:
        if (ascii_compatible(name) && plain_ascii(in, len)) {
            st = sx_sbuf_status(sx_sbuf_append_utf8_cut(out, in, len));
            break;
        }
        if (western(name)) {
            st = western_copy(in, len, out, info, iname);
            break;
        }
        int cached;
        iconv_t cd = cd_get(iname, &cached);
        if (cd == (iconv_t)-1 && iname != name)
            cd = cd_get(name, &cached);
        if (cd == (iconv_t)-1) {
            *info |= SX_DEC_CHARSET_UNKNOWN;
            st = guess_copy(in, len, out);
            break;
        }
        size_t room = out->max - out->len;
        if (room >= 16 && (room - 16) / 3 >= len && utf7(name, iname)
            && utf7_direct(in, len)) {
            /* what iconv would give (with room it could not overrun) */
            cd_put(cd, cached);
            st = sx_sbuf_status(sx_sbuf_append(out, in, len));
            break;
        }
        if (seven_bit(name) && room >= 16 && (room - 16) / 3 >= len
            && ascii_run((const unsigned char *)in, 0, len) < len
            && utf8_valid(in, len)) {
            /* 8-bit bytes in a 7-bit charset: iconv would replace each
             * (one call per byte), then the valid UTF-8 below would win.
             * Taken directly, with room that iconv could not have
             * overrun (at most 3 bytes out per byte in). */
            cd_put(cd, cached);
            *info |= SX_DEC_CHARSET_MISLABELED;
            st = sx_sbuf_status(sx_sbuf_append(out, in, len));
            break;
        }
        size_t start = out->len;
        unsigned got = 0;
        size_t skip = 0, tail = len;
        if (room >= 16 && (room - 16) / 3 >= len
            && name_is(name, "iso-2022-jp")) {
            /* what comes before the first shift (or 8-bit byte) is read
             * in the initial ASCII state, where glibc's converter gives
             * back every 7-bit byte but ESC as it is: copied, and the
             * converter starts at the shift (mail in Japanese often has
             * its English part first); the same for what follows a
             * last shift back to ASCII ("ESC ( B") */
            skip = ascii_run((const unsigned char *)in, 0, len);
            const char *esc = memchr(in, 0x1B, skip);
            if (esc != NULL)
                skip = (size_t)(esc - in);
            size_t k = len;
            while (k > skip && (unsigned char)in[k - 1] < 0x80
                   && in[k - 1] != 0x1B)
                k--;
            if (k > skip && len - k >= 2 && in[k - 1] == 0x1B
                && in[k] == '(' && in[k + 1] == 'B')
                tail = k + 2;
            st = sx_sbuf_status(sx_sbuf_append(out, in, skip));
            if (st != SMTPDX_OK) {
                cd_put(cd, cached);
                break;
            }
        }
        st = iconv_run(cd, in + skip, tail - skip, out, &got);
        cd_put(cd, cached);
        if (st == SMTPDX_OK && tail < len)
            st = sx_sbuf_status(sx_sbuf_append(out, in + tail, len - tail));
        if ((got & SX_DEC_REPLACED) && st == SMTPDX_OK && utf8_valid(in, len)) {
            /* invalid in the declared charset but valid UTF-8: the label
             * is wrong (common with ISO-2022-JP), the bytes are UTF-8 */
            out->len = start;
            out->data[start] = '\0';
            got = SX_DEC_CHARSET_MISLABELED;
            st = sx_sbuf_status(sx_sbuf_append(out, in, len));
        } else if (st == SMTPDX_OK &&
                   !utf8_valid(out->data + start, out->len - start)) {
            /* glibc lets a name it takes for UTF-8 ("ut&f-8") pass
             * sequences above U+10FFFF through unchecked: what comes out
             * must be UTF-8 all the same */
            st = revalidate(out, start, &got);
        }
        *info |= got;
        break;
    }
    if (st == SMTPDX_ERR_LIMIT)
        *info |= SX_DEC_TRUNCATED;
    return st;
}
