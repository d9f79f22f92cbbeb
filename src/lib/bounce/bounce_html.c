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
 * Tags are dropped, and the content of <style>, <script> and <head>
 * ignored. Bounded: only the first 256 KiB is read (a notification
 * states the failure first), and past out's limit the text is cut.
 */
#include "bounce/bounce_html.h"

#include <string.h>

#include "bounce/bounce_text.h"
#include "util/memscan.h"

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

static size_t utf8_put(char *d, unsigned long c)
{
    if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        c = 0xFFFD;
    if (c < 0x80) {
        d[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        d[0] = (char)(0xC0 | (c >> 6));
        d[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        d[0] = (char)(0xE0 | (c >> 12));
        d[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        d[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (c >> 18));
    d[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    d[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* The character reference at s ('&'): its UTF-8 bytes into d, its length
 * in the source into *used; 0 bytes when it is none we know (the '&' is
 * then text). */
static size_t reference(const char *s, size_t n, char d[4], size_t *used)
{
    static const struct {
        const char *name; /* without '&' and ';' */
        unsigned long c;
    } names[] = {
        {"amp", '&'},      {"lt", '<'},       {"gt", '>'},
        {"quot", '"'},     {"apos", '\''},    {"nbsp", ' '},
        {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C},
        {"rdquo", 0x201D}, {"ndash", 0x2013}, {"mdash", 0x2014},
        {"hellip", 0x2026}, {"laquo", 0xAB},  {"raquo", 0xBB},
        {"copy", 0xA9},    {"reg", 0xAE},     {"shy", 0xAD},
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
        return utf8_put(d, c == 0xA0 ? ' ' : c);
    }
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        size_t l = strlen(names[k].name);
        if (n - i > l && s[i + l] == ';' &&
            sx_bt_iprefix(s + i, n - i, names[k].name)) {
            *used = i + l + 1;
            return utf8_put(d, names[k].c);
        }
    }
    return 0;
}

/* How a tag lays out the text around it. */
enum { T_NONE, T_BR, T_LINE, T_PARA, T_PRE, T_PRE_END, T_HIDE, T_SHOW };

static int tag_kind(const char *t, size_t l)
{
    static const struct {
        const char *name;
        int kind;
    } tags[] = {
        {"br", T_BR},       {"p", T_PARA},      {"div", T_LINE},
        {"tr", T_LINE},     {"td", T_LINE},     {"th", T_LINE},
        {"li", T_LINE},     {"ul", T_PARA},     {"ol", T_PARA},
        {"table", T_PARA},  {"h1", T_PARA},     {"h2", T_PARA},
        {"h3", T_PARA},     {"h4", T_PARA},     {"h5", T_PARA},
        {"h6", T_PARA},     {"hr", T_PARA},     {"blockquote", T_PARA},
        {"pre", T_PRE},     {"style", T_HIDE},  {"script", T_HIDE},
        {"head", T_HIDE},   {"title", T_HIDE},
    };
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
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        if (strlen(tags[i].name) != k || !sx_bt_ieq(t, tags[i].name, k))
            continue;
        int kind = tags[i].kind;
        if (end && kind == T_PRE)
            return T_PRE_END;
        if (end && kind == T_HIDE)
            return T_SHOW;
        return kind == T_BR && end ? T_NONE : kind;
    }
    return T_NONE;
}

smtpdx_status sx_bhtml_to_text(const char *s, size_t n, sx_sbuf *out)
{
    writer w = {out, SX_SBUF_OK, 0, 0};
    int hide = 0, pre = 0;
    sx_sbuf_reset(out);
    if (n > HTML_READ_MAX)
        n = HTML_READ_MAX;
    for (size_t i = 0; i < n && w.rc == SX_SBUF_OK;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '<') {
            const char *gt = memchr(s + i, '>', n - i);
            size_t tl = gt ? (size_t)(gt - (s + i)) + 1 : n - i;
            if (tl >= 4 && memcmp(s + i, "<!--", 4) == 0) {
                /* a comment ends at "-->", not at the first '>' */
                const char *e = s + i + 4;
                while ((e = sx_mem_pair(e, s + n, '-', '-')) != NULL &&
                       (e + 2 >= s + n || e[2] != '>'))
                    e++;
                i = e ? (size_t)(e - s) + 3 : n;
                continue;
            }
            int kind = tag_kind(s + i + 1, tl > 1 ? tl - 1 : 0);
            i += tl;
            switch (kind) {
            case T_HIDE: hide = 1; break;
            case T_SHOW: hide = 0; break;
            case T_BR:
                if (!hide) {
                    /* a line break even on an empty line */
                    w.nl = 0;
                    line_end(&w, 0);
                }
                break;
            case T_LINE: line_end(&w, 0); break;
            case T_PARA: line_end(&w, 1); break;
            case T_PRE: line_end(&w, 0); pre = 1; break;
            case T_PRE_END: line_end(&w, 0); pre = 0; break;
            default: break;
            }
            continue;
        }
        if (hide) {
            const char *lt = memchr(s + i, '<', n - i);
            i = lt ? (size_t)(lt - s) : n;
            continue;
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
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            if (pre && c == '\n') {
                w.nl = 0;
                line_end(&w, 0);
            } else if (pre && c != '\r') {
                put(&w, (const char *)&s[i], 1);
            } else if (!pre) {
                w.space = 1;
            }
            i++;
            continue;
        }
        /* a run of text up to the next tag, reference or white space */
        size_t j = i + 1;
        while (j < n && s[j] != '<' && s[j] != '&' && s[j] != ' ' &&
               s[j] != '\t' && s[j] != '\n' && s[j] != '\r' && s[j] != '\f')
            j++;
        put(&w, s + i, j - i);
        i = j;
    }
    return w.rc == SX_SBUF_NOMEM ? SMTPDX_ERR_NOMEM : SMTPDX_OK;
}
