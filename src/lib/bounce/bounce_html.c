/*
 * bounce_html.c - the text of a notification that came only as text/html,
 * laid out in lines the way a mail client would show it, so that the
 * readers find the same lines and paragraphs as in a text/plain notice.
 *
 * HTML collapses every run of white space, line ends included, into one
 * space (HTML 4.01 9.1), except inside <pre>; lines come from <br> and
 * from block elements, and a paragraph (<p>, a heading, a table) stands
 * apart by a blank line. Character references are decoded: the named
 * ones that notices use, and every numeric one (&#39; &#x27;) to UTF-8.
 * Tags are dropped, and the content of <style>, <script>, <title> and
 * <head> ignored; a '<' that opens no tag is text. tests/unit/
 * test_bounce_html.c holds this reading against libxml2's HTML parser.
 * Bounded: only the first 256 KiB is read (a notification
 * states the failure first), and past out's limit the text is cut.
 */
#include "bounce/bounce_html.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "bounce/bounce_text.h"
#include "util/memscan.h"
#include "util/utf8.h"

#define HTML_READ_MAX (256u * 1024u)

typedef struct writer {
    sx_sbuf *out;
    int rc;
    unsigned nl;   /* line ends at the end of out (0: inside a line) */
    int space;     /* white space seen since the last character */
} writer;

static void put(writer *w, const char *s, size_t n)
{
    if (w->rc != SX_SBUF_OK || n == 0)
        return;
    if (w->space && w->nl == 0 && w->out->len > 0)
        w->rc = sx_sbuf_putc(w->out, ' ');
    w->space = 0;
    if (w->rc == SX_SBUF_OK)
        w->rc = sx_sbuf_append(w->out, s, n);
    w->nl = 0;
}

/* End the line; with blank, leave an empty line too (a new paragraph).
 * Nothing before the first text. */
static void line_end(writer *w, int blank)
{
    w->space = 0;
    if (w->rc != SX_SBUF_OK || w->out->len == 0)
        return;
    unsigned want = blank ? 2 : 1;
    while (w->nl < want && w->rc == SX_SBUF_OK) {
        w->rc = sx_sbuf_putc(w->out, '\n');
        w->nl++;
    }
}

/* The character reference at s ('&'): its UTF-8 bytes into d, its length
 * in the source into *used; 0 bytes when it is none we know (the '&' is
 * then text). */
static size_t reference(const char *s, size_t n, char d[4], size_t *used)
{
    /* HTML 4's Latin-1 names, the typographic ones notices use, and the
     * capital forms HTML 5 also defines; case matters (&Eacute; is not
     * &eacute;) */
    static const struct {
        const char *name; /* without '&' and ';' */
        unsigned long c;
    } names[] = {
        {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'},
        {"apos", '\''}, {"nbsp", ' '}, {"AMP", '&'}, {"LT", '<'},
        {"GT", '>'}, {"QUOT", '"'}, {"COPY", 0xA9}, {"REG", 0xAE},
        {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"sbquo", 0x201A},
        {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"bdquo", 0x201E},
        {"ndash", 0x2013}, {"mdash", 0x2014}, {"hellip", 0x2026},
        {"bull", 0x2022}, {"euro", 0x20AC}, {"trade", 0x2122},
        {"lsaquo", 0x2039}, {"rsaquo", 0x203A}, {"thinsp", 0x2009},
        {"ensp", 0x2002}, {"emsp", 0x2003}, {"zwnj", 0x200C},
        {"zwj", 0x200D}, {"iexcl", 0xA1}, {"cent", 0xA2},
        {"pound", 0xA3}, {"curren", 0xA4}, {"yen", 0xA5},
        {"brvbar", 0xA6}, {"sect", 0xA7}, {"uml", 0xA8}, {"copy", 0xA9},
        {"ordf", 0xAA}, {"laquo", 0xAB}, {"not", 0xAC}, {"shy", 0xAD},
        {"reg", 0xAE}, {"macr", 0xAF}, {"deg", 0xB0}, {"plusmn", 0xB1},
        {"sup2", 0xB2}, {"sup3", 0xB3}, {"acute", 0xB4}, {"micro", 0xB5},
        {"para", 0xB6}, {"middot", 0xB7}, {"cedil", 0xB8}, {"sup1", 0xB9},
        {"ordm", 0xBA}, {"raquo", 0xBB}, {"frac14", 0xBC},
        {"frac12", 0xBD}, {"frac34", 0xBE}, {"iquest", 0xBF},
        {"Agrave", 0xC0}, {"Aacute", 0xC1}, {"Acirc", 0xC2},
        {"Atilde", 0xC3}, {"Auml", 0xC4}, {"Aring", 0xC5}, {"AElig", 0xC6},
        {"Ccedil", 0xC7}, {"Egrave", 0xC8}, {"Eacute", 0xC9},
        {"Ecirc", 0xCA}, {"Euml", 0xCB}, {"Igrave", 0xCC}, {"Iacute", 0xCD},
        {"Icirc", 0xCE}, {"Iuml", 0xCF}, {"ETH", 0xD0}, {"Ntilde", 0xD1},
        {"Ograve", 0xD2}, {"Oacute", 0xD3}, {"Ocirc", 0xD4},
        {"Otilde", 0xD5}, {"Ouml", 0xD6}, {"times", 0xD7}, {"Oslash", 0xD8},
        {"Ugrave", 0xD9}, {"Uacute", 0xDA}, {"Ucirc", 0xDB}, {"Uuml", 0xDC},
        {"Yacute", 0xDD}, {"THORN", 0xDE}, {"szlig", 0xDF},
        {"agrave", 0xE0}, {"aacute", 0xE1}, {"acirc", 0xE2},
        {"atilde", 0xE3}, {"auml", 0xE4}, {"aring", 0xE5}, {"aelig", 0xE6},
        {"ccedil", 0xE7}, {"egrave", 0xE8}, {"eacute", 0xE9},
        {"ecirc", 0xEA}, {"euml", 0xEB}, {"igrave", 0xEC}, {"iacute", 0xED},
        {"icirc", 0xEE}, {"iuml", 0xEF}, {"eth", 0xF0}, {"ntilde", 0xF1},
        {"ograve", 0xF2}, {"oacute", 0xF3}, {"ocirc", 0xF4},
        {"otilde", 0xF5}, {"ouml", 0xF6}, {"divide", 0xF7},
        {"oslash", 0xF8}, {"ugrave", 0xF9}, {"uacute", 0xFA},
        {"ucirc", 0xFB}, {"uuml", 0xFC}, {"yacute", 0xFD}, {"thorn", 0xFE},
        {"yuml", 0xFF},
    };
    size_t i = 1;
    if (i < n && s[i] == '#') {
        unsigned long c = 0;
        int hex = i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X');
        size_t j = i + 1 + (size_t)hex, digits = 0;
        for (; j < n && digits < 8; j++, digits++) {
            unsigned char ch = (unsigned char)s[j];
            unsigned v;
            if (ch >= '0' && ch <= '9')
                v = ch - '0';
            else if (hex && ch >= 'a' && ch <= 'f')
                v = ch - 'a' + 10u;
            else if (hex && ch >= 'A' && ch <= 'F')
                v = ch - 'A' + 10u;
            else
                break;
            c = c * (hex ? 16u : 10u) + v;
        }
        if (digits == 0 || digits == 8)
            return 0;
        *used = j + (j < n && s[j] == ';');
        /* U+00A0 is a space to the readers, as &nbsp; */
        return sx_utf8_encode(d, (uint32_t)(c == 0xA0 ? ' ' : c));
    }
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (i >= n || names[k].name[0] != s[i])
            continue; /* settles most names on the first letter */
        size_t l = strlen(names[k].name);
        if (n - i > l && s[i + l] == ';' &&
            memcmp(s + i, names[k].name, l) == 0) {
            *used = i + l + 1;
            return sx_utf8_encode(d, names[k].c);
        }
    }
    return 0;
}

/* How a tag lays out the text around it. T_RAW: script, style and title,
 * whose content is text up to their own end tag, never markup (HTML 5
 * 13.1.2: raw text and escapable raw text elements), and is not shown.
 * T_HEAD: the head, hidden until its end tag, a <body> or a tag or text
 * that belongs in a body closes it (HTML 5 13.2.6.4.4). */
enum {
    T_NONE, T_BR, T_LINE, T_PARA, T_PRE, T_PRE_END, T_RAW, T_HEAD,
    T_HEAD_END, T_BODY
};

/* Is the name t[0..k) the lower-case tag name lc? */
#define NAME_IS(t, k, lc) ((k) == sizeof(lc) - 1 && sx_bt_ieq((t), (lc), (k)))

/* The kind of the start tag named t[0..k) (k > 0, letters and digits):
 * by its first letter, then by its length and name, a few compares where
 * a walk over every known name cost one test each. */
static int start_kind(const char *t, size_t k)
{
    switch (t[0] | 0x20) {
    case 'b':
        return NAME_IS(t, k, "br")           ? T_BR
               : NAME_IS(t, k, "body")       ? T_BODY
               : NAME_IS(t, k, "blockquote") ? T_PARA
                                             : T_NONE;
    case 'p':
        return NAME_IS(t, k, "p") ? T_PARA : NAME_IS(t, k, "pre") ? T_PRE
                                                                  : T_NONE;
    case 'd': return NAME_IS(t, k, "div") ? T_LINE : T_NONE;
    case 'l': return NAME_IS(t, k, "li") ? T_LINE : T_NONE;
    case 'u': return NAME_IS(t, k, "ul") ? T_PARA : T_NONE;
    case 'o': return NAME_IS(t, k, "ol") ? T_PARA : T_NONE;
    case 't':
        if (k == 2) {
            unsigned char c1 = (unsigned char)(t[1] | 0x20);
            return c1 == 'r' || c1 == 'd' || c1 == 'h' ? T_LINE : T_NONE;
        }
        return NAME_IS(t, k, "table")   ? T_PARA
               : NAME_IS(t, k, "title") ? T_RAW
                                        : T_NONE;
    case 'h':
        if (k == 2)
            return (t[1] >= '1' && t[1] <= '6') || (t[1] | 0x20) == 'r'
                       ? T_PARA
                       : T_NONE;
        return NAME_IS(t, k, "head") ? T_HEAD : T_NONE;
    case 's':
        return NAME_IS(t, k, "style") || NAME_IS(t, k, "script") ? T_RAW
                                                                 : T_NONE;
    default: return T_NONE;
    }
}
#undef NAME_IS

static int tag_kind(const char *t, size_t l, size_t *name_len)
{
    int end = l > 0 && t[0] == '/';
    if (end) {
        t++;
        l--;
    }
    size_t k = 0;
    while (k < l && ((t[k] >= 'a' && t[k] <= 'z') ||
                     (t[k] >= 'A' && t[k] <= 'Z') ||
                     (t[k] >= '0' && t[k] <= '9')))
        k++;
    *name_len = k;
    int kind = k > 0 ? start_kind(t, k) : T_NONE;
    if (!end || kind == T_NONE)
        return kind;
    if (kind == T_PRE)
        return T_PRE_END;
    if (kind == T_HEAD)
        return T_HEAD_END;
    /* </br> is no line break; a stray end tag of a raw element or of the
     * body is nothing */
    return kind == T_BR || kind == T_RAW || kind == T_BODY ? T_NONE : kind;
}

/* The length of the tag at s ('<'), its '>' included: a '>' inside a
 * quoted attribute value (title="a>b") does not end it. A quote left open
 * would hide the rest of the text, so then the first '>' ends the tag.
 * One walk from '=' to '=': a quote opens a value only after one, so a
 * tag with no quoted value before its first '>' ends there all the same,
 * and the first '>' is looked for apart only when the walk fails. */
static size_t tag_len(const char *s, size_t n)
{
    for (size_t k = 1; k < n; k++) {
        /* only '>' and '=' matter: the bytes between are skipped at once */
        const char *h = sx_mem_any2(s + k, s + n, '>', '=');
        if (h == NULL)
            break;
        k = (size_t)(h - s);
        if (s[k] == '>')
            return k + 1;
        size_t v = k + 1;
        while (v < n && (s[v] == ' ' || s[v] == '\t' || s[v] == '\n' ||
                         s[v] == '\r'))
            v++;
        if (v < n && (s[v] == '"' || s[v] == '\'')) {
            const char *close = memchr(s + v + 1, s[v], n - v - 1);
            if (close == NULL)
                break;
            k = (size_t)(close - s);
        }
    }
    const char *gt = memchr(s, '>', n);
    return gt ? (size_t)(gt - s) + 1 : n;
}

/* Past the end tag of the raw element named s[0..l) from p on: where the
 * text goes on, or n when it is never closed (all the rest is its). */
static size_t raw_end(const char *s, size_t n, size_t p, const char *name,
                      size_t l)
{
    while (p < n) {
        const char *lt = memchr(s + p, '<', n - p);
        if (lt == NULL)
            return n;
        size_t at = (size_t)(lt - s);
        if (n - at > l + 2 && s[at + 1] == '/' &&
            sx_bt_ieq(s + at + 2, name, l) &&
            !((s[at + 2 + l] >= 'a' && s[at + 2 + l] <= 'z') ||
              (s[at + 2 + l] >= 'A' && s[at + 2 + l] <= 'Z') ||
              (s[at + 2 + l] >= '0' && s[at + 2 + l] <= '9')))
            return at + tag_len(s + at, n - at);
        p = at + 1;
    }
    return n;
}

/* The bytes that end a run of text: a tag's or a reference's start, and
 * white space (HTML 4.01 9.1). One table look-up per byte. */
enum { C_STOP = 1, C_SPACE = 2 };
static const unsigned char cls[256] = {
    ['<'] = C_STOP, ['&'] = C_STOP,
    [' '] = C_STOP | C_SPACE, ['\t'] = C_STOP | C_SPACE,
    ['\n'] = C_STOP | C_SPACE, ['\r'] = C_STOP | C_SPACE,
    ['\f'] = C_STOP | C_SPACE,
};

#ifdef __SSE2__
/* The white space bytes of cls among sixteen, as a vector mask. */
static inline __m128i space16(__m128i v)
{
    __m128i m = _mm_cmpeq_epi8(v, _mm_set1_epi8(' '));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));
    m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('\r')));
    return _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('\f')));
}
#endif

/* The first byte from j on (j <= n) that is no white space, or n. The
 * indentation of generated HTML runs to dozens of blanks: sixteen bytes a
 * step while as many are left, not one test and branch a byte. */
static size_t space_end(const char *s, size_t j, size_t n)
{
#ifdef __SSE2__
    for (; n - j >= 16; j += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + j));
        unsigned m = (unsigned)_mm_movemask_epi8(space16(v)) ^ 0xffffu;
        if (m != 0)
            return j + (size_t)__builtin_ctz(m);
    }
#endif
    while (j < n && (cls[(unsigned char)s[j]] & C_SPACE))
        j++;
    return j;
}

/* The first byte from j on (j <= n) that ends a run of text (C_STOP), or
 * n: a word is found in one step of sixteen bytes, its end not by a
 * branch on every byte. */
static size_t stop_at(const char *s, size_t j, size_t n)
{
#ifdef __SSE2__
    for (; n - j >= 16; j += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + j));
        __m128i m = _mm_or_si128(space16(v),
                                 _mm_cmpeq_epi8(v, _mm_set1_epi8('<')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('&')));
        unsigned b = (unsigned)_mm_movemask_epi8(m);
        if (b != 0)
            return j + (size_t)__builtin_ctz(b);
    }
#endif
    while (j < n && !(cls[(unsigned char)s[j]] & C_STOP))
        j++;
    return j;
}

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

smtpdx_status sx_bhtml_to_text(const char *s, size_t n, sx_sbuf *out)
{
    writer w = {out, SX_SBUF_OK, 0, 0};
    int head = 0, pre = 0;
    sx_sbuf_reset(out);
    if (n > HTML_READ_MAX)
        n = HTML_READ_MAX;
    for (size_t i = 0; i < n && w.rc == SX_SBUF_OK;) {
        unsigned char c = (unsigned char)s[i];
        /* a tag opens with a letter, '/', '!' or '?' after '<'; any other
         * '<' is text ("if a < b") */
        if (c == '<' && i + 1 < n &&
            (is_alpha((unsigned char)s[i + 1]) || s[i + 1] == '/' ||
             s[i + 1] == '!' || s[i + 1] == '?')) {
            if (n - i >= 4 && memcmp(s + i, "<!--", 4) == 0) {
                /* a comment ends at "-->", not at the first '>' */
                const char *e = s + i + 4;
                while ((e = sx_mem_pair(e, s + n, '-', '-')) != NULL &&
                       (e + 2 >= s + n || e[2] != '>'))
                    e++;
                i = e ? (size_t)(e - s) + 3 : n;
                continue;
            }
            size_t tl = tag_len(s + i, n - i), nl = 0;
            int kind = tag_kind(s + i + 1, tl > 1 ? tl - 1 : 0, &nl);
            i += tl;
            if (head && (kind == T_HEAD_END || kind == T_BODY ||
                         kind == T_BR || kind == T_LINE || kind == T_PARA ||
                         kind == T_PRE))
                head = 0;
            switch (kind) {
            case T_RAW: i = raw_end(s, n, i, s + i - tl + 1, nl); break;
            case T_HEAD: head = 1; break;
            case T_BR:
                /* a line break even on an empty line */
                w.nl = 0;
                line_end(&w, 0);
                break;
            case T_LINE: line_end(&w, 0); break;
            case T_PARA: line_end(&w, 1); break;
            case T_PRE: line_end(&w, 0); pre = 1; break;
            case T_PRE_END: line_end(&w, 0); pre = 0; break;
            default: break;
            }
            continue;
        }
        if (head) {
            /* white space stays in the head; other text starts the body */
            if (cls[c] & C_SPACE) {
                i++;
                continue;
            }
            head = 0;
        }
        if (c == '&') {
            char d[4];
            size_t used = 0, k = reference(s + i, n - i, d, &used);
            if (k > 0) {
                /* &nbsp; is a space that does not collapse: text made
                 * into HTML keeps its indentation so */
                if (k == 1 && d[0] == ' ') {
                    w.space = 0;
                    if (w.rc == SX_SBUF_OK)
                        w.rc = sx_sbuf_putc(w.out, ' ');
                    w.nl = 0;
                } else {
                    put(&w, d, k);
                }
                i += used;
                continue;
            }
        }
        if (cls[c] & C_SPACE) {
            if (pre && c == '\n') {
                w.nl = 0;
                line_end(&w, 0);
            } else if (pre && c != '\r') {
                put(&w, (const char *)&s[i], 1);
            } else if (!pre) {
                /* the whole run collapses into one space */
                w.space = 1;
                i = space_end(s, i + 1, n);
                continue;
            }
            i++;
            continue;
        }
        /* a run of text up to the next tag, reference or white space */
        size_t j = stop_at(s, i + 1, n);
        /* the words after it that single spaces part join it, as put()
         * would write them one by one (in <pre> too): a sentence is one
         * append, not one a word. Only while all of it fits (with a space
         * before it), so that the text is cut where it would be. */
        size_t k = j;
        while (k + 1 < n && s[k] == ' ' &&
               !(cls[(unsigned char)s[k + 1]] & C_STOP)) {
            k = stop_at(s, k + 2, n);
        }
        if (k - i < w.out->max - w.out->len)
            j = k;
        put(&w, s + i, j - i);
        i = j;
    }
    return w.rc == SX_SBUF_NOMEM ? SMTPDX_ERR_NOMEM : SMTPDX_OK;
}
