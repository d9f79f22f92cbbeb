/*
 * mimediff.c - our MIME scanner and GMime read one message; see mimediff.h.
 */
#include "mimediff.h"

#include <ctype.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime/cursor.h"
#include "mime/mime.h"
#include "smtpdx.h"
#include "util/sbuf.h"

/* What a view leaves out, to test whether a difference is one of the
 * known kinds. */
#define V_FULL     0u
#define V_ASCII    1u /* text and subjects: bytes >= 0x80 and '?' dropped */
#define V_NO_TEXT  2u /* decoded text left out */
#define V_NO_SUBJ  4u /* subjects left out */

/* What our side noticed that may explain a difference. */
#define N_BADTEXT  1u /* some decoding replaced, relabelled or guessed */
#define N_B64PAD   2u /* a subject has a padded B word followed by more */
#define N_NOBLANK  4u /* a header block without its blank line */
#define N_JUNK1ST  8u /* the top header starts with a line that is no field */
#define N_QPPAD   16u /* quoted-printable "=" then blanks then line end */
#define N_B64TAIL 32u /* base64 whose last group lacks its padding */
#define N_PFOLD   64u /* a parameter on a line of its own, read as a fold */

typedef struct view {
    sx_sbuf s;
    unsigned mode;
    unsigned notes;
} view;

static void vput(view *v, const char *s, size_t n)
{
    sx_sbuf_append(&v->s, s, n);
}

static void vputs(view *v, const char *s)
{
    vput(v, s, strlen(s));
}

/* LF line ends, U+FFFD and '?' runs squeezed, trailing blank lines cut;
 * the text stops at a NUL (GMime hands text out as C strings). */
static void text_norm(view *v, const char *s, size_t n)
{
    size_t start = v->s.len;
    int repl = 0;
    /* an empty text may come as NULL */
    const char *nul = n ? memchr(s, '\0', n) : NULL;
    if (nul)
        n = (size_t)(nul - s);
    for (size_t i = 0; i < n; i++) {
        if ((v->mode & V_ASCII)
            && ((unsigned char)s[i] >= 0x80 || s[i] == '?'))
            continue;
        if (s[i] == '\r') {
            vput(v, "\n", 1);
            if (i + 1 < n && s[i + 1] == '\n')
                i++;
            repl = 0;
            continue;
        }
        if ((unsigned char)s[i] == 0xEF && i + 2 < n
            && (unsigned char)s[i + 1] == 0xBF
            && (unsigned char)s[i + 2] == 0xBD) {
            if (!repl)
                vput(v, "?", 1);
            repl = 1;
            i += 2;
            continue;
        }
        if (s[i] == '?') {
            if (!repl)
                vput(v, "?", 1);
            repl = 1;
            continue;
        }
        repl = 0;
        vput(v, s + i, 1);
    }
    while (v->s.len > start && (v->s.data[v->s.len - 1] == '\n'
                                || v->s.data[v->s.len - 1] == ' '))
        v->s.len--;
    vput(v, "\n", 1);
}

static int is_utf8(const char *s, size_t n)
{
    sx_sbuf b;
    sx_sbuf_init(&b, n * 3 + 16);
    unsigned info = 0;
    sx_charset_to_utf8("utf-8", s, n, &b, &info);
    sx_sbuf_release(&b);
    return (info & SX_DEC_REPLACED) == 0;
}

static int want_text(const char *type, const char *sub)
{
    return strcmp(type, "text") == 0
           || (strcmp(type, "message") == 0
               && (strcmp(sub, "delivery-status") == 0
                   || strcmp(sub, "global-delivery-status") == 0));
}

/* ------------------------------------------------------------- ours */

static int b64pad_then_word(const char *v, size_t n)
{
    for (size_t i = 0; i + 4 < n; i++) {
        if (memcmp(v + i, "=?=", 3) != 0)
            continue;
        size_t j = i + 3;
        while (j < n && (v[j] == ' ' || v[j] == '\t' || v[j] == '\r'
                         || v[j] == '\n'))
            j++;
        if (j + 1 < n && v[j] == '=' && v[j + 1] == '?')
            return 1;
    }
    return 0;
}

static int qp_padded(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '=')
            continue;
        size_t j = i + 1;
        while (j < n && (s[j] == ' ' || s[j] == '\t'))
            j++;
        if (j > i + 1 && j < n && (s[j] == '\n' || s[j] == '\r'))
            return 1;
    }
    return 0;
}

static int b64_unpadded(const char *s, size_t n)
{
    size_t k = 0, pad = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || c == '+' || c == '/')
            k++;
        else if (c == '=')
            pad++;
    }
    return (k + pad) % 4 != 0;
}

static void ours_view(const char *buf, size_t len, view *v)
{
    sx_msg m;
    sx_msg_init(&m, NULL);
    sx_sbuf tmp;
    sx_sbuf_init(&tmp, 64u << 20);
    if (sx_msg_parse(&m, buf, len) != SMTPDX_OK) {
        vputs(v, "PARSE-ERROR\n");
        goto done;
    }
    if (m.nparts && (m.parts[0].flags & SX_PART_F_BAD_HDR_LINE))
        v->notes |= N_JUNK1ST;
    for (uint32_t i = 0; i < m.nparts; i++) {
        const sx_part *p = &m.parts[i];
        char line[200];
        if ((p->flags & SX_PART_F_BAD_HDR_LINE)
            && (p->flags & SX_PART_F_NO_BLANK))
            v->notes |= N_NOBLANK;
        if (p->cte == SX_CTE_QP && qp_padded(p->body.p, p->body.len))
            v->notes |= N_QPPAD;
        if (p->cte == SX_CTE_BASE64 && b64_unpadded(p->body.p, p->body.len))
            v->notes |= N_B64TAIL;
        if (p->flags & SX_PART_F_PARAM_FOLD)
            v->notes |= N_PFOLD;
        snprintf(line, sizeof line, "%u %s/%s\n", p->depth, p->type,
                 p->subtype);
        vputs(v, line);
        if ((p->flags & SX_PART_F_MESSAGE) && !(v->mode & V_NO_SUBJ)) {
            vputs(v, "  subject: ");
            const sx_hdr *h = sx_msg_header_raw(&m, p, "subject", 0);
            if (h && b64pad_then_word(h->value.p, h->value.len))
                v->notes |= N_B64PAD;
            if (sx_msg_header(&m, p, "subject", &tmp) == SMTPDX_OK)
                text_norm(v, tmp.data, tmp.len);
            else
                vputs(v, "(none)\n");
        }
        if (want_text(p->type, p->subtype) && !(p->nchildren)
            && !(v->mode & V_NO_TEXT)) {
            unsigned info;
            sx_part_decode(&m, p, 0, &tmp, &info);
            if (info & (SX_DEC_REPLACED | SX_DEC_CHARSET_MISLABELED
                        | SX_DEC_CHARSET_UNKNOWN))
                v->notes |= N_BADTEXT;
            vputs(v, "  text:\n");
            text_norm(v, tmp.data ? tmp.data : "", tmp.len);
        }
    }
done:
    sx_sbuf_release(&tmp);
    sx_msg_release(&m);
}

/* ------------------------------------------------------------ GMime */

static void gm_text(GMimeObject *o, const char *type, view *v)
{
    GMimeStream *ms = g_mime_stream_mem_new();
    GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));
    char *txt = NULL;
    if (GMIME_IS_TEXT_PART(o))
        txt = g_mime_text_part_get_text(GMIME_TEXT_PART(o));
    if (txt == NULL && GMIME_IS_PART(o)) {
        GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(o));
        if (w)
            g_mime_data_wrapper_write_to_stream(w, ms);
        txt = g_strndup((const char *)ba->data, ba->len);
        /* bytes whatever their charset: read as ours reads undeclared text */
    }
    size_t n = txt ? strlen(txt) : 0;
    vputs(v, "  text:\n");
    if (txt && !is_utf8(txt, n)) {
        sx_sbuf b;
        sx_sbuf_init(&b, n * 3 + 16);
        sx_charset_to_utf8("iso-8859-1", txt, n, &b, NULL);
        text_norm(v, b.data ? b.data : "", b.len);
        sx_sbuf_release(&b);
    } else {
        text_norm(v, txt ? txt : "", n);
    }
    (void)type;
    g_free(txt);
    g_object_unref(ms);
}

/* The first Subject field, decoded (get_subject would give the last). */
static void gm_subject(GMimeMessage *msg, view *v)
{
    if (v->mode & V_NO_SUBJ)
        return;
    vputs(v, "  subject: ");
    const char *s = g_mime_object_get_header(GMIME_OBJECT(msg), "Subject");
    if (s == NULL) {
        vputs(v, "(none)\n");
        return;
    }
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    text_norm(v, s, n);
}

static void gm_walk(GMimeObject *o, unsigned depth, GMimeMessage *msg,
                    view *v)
{
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    const char *t = ct ? g_mime_content_type_get_media_type(ct) : "?";
    const char *s = ct ? g_mime_content_type_get_media_subtype(ct) : "?";
    char type[64], sub[96], line[200];
    snprintf(type, sizeof type, "%s", t ? t : "");
    snprintf(sub, sizeof sub, "%s", s ? s : "");
    for (char *c = type; *c; c++)
        *c = (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
    for (char *c = sub; *c; c++)
        *c = (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
    snprintf(line, sizeof line, "%u %s/%s\n", depth, type, sub);
    vputs(v, line);
    if (msg)
        gm_subject(msg, v);
    if (GMIME_IS_MULTIPART(o)) {
        int n = g_mime_multipart_get_count(GMIME_MULTIPART(o));
        for (int i = 0; i < n; i++)
            gm_walk(g_mime_multipart_get_part(GMIME_MULTIPART(o), i),
                    depth + 1, NULL, v);
    } else if (GMIME_IS_MESSAGE_PART(o)) {
        GMimeMessage *in = g_mime_message_part_get_message(
            GMIME_MESSAGE_PART(o));
        if (in && g_mime_message_get_mime_part(in))
            gm_walk(g_mime_message_get_mime_part(in), depth + 1, in, v);
    } else if (want_text(type, sub) && !(v->mode & V_NO_TEXT)) {
        gm_text(o, type, v);
    }
}

static void gm_view_msg(GMimeMessage *msg, view *v)
{
    GMimeObject *top = msg ? g_mime_message_get_mime_part(msg) : NULL;
    if (top == NULL) {
        vputs(v, "PARSE-ERROR\n");
        return;
    }
    gm_walk(top, 0, msg, v);
}

static void gm_view(const char *buf, size_t len, view *v)
{
    GMimeStream *st = g_mime_stream_mem_new_with_buffer(buf, len);
    GMimeParser *ps = g_mime_parser_new_with_stream(st);
    GMimeMessage *msg = g_mime_parser_construct_message(ps, NULL);
    gm_view_msg(msg, v);
    if (msg)
        g_object_unref(msg);
    g_object_unref(ps);
    g_object_unref(st);
}

static char *cr_to_lf(const char *buf, size_t len)
{
    char *c = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        c[i] = buf[i] == '\r' ? '\n' : buf[i];
    c[len] = '\0';
    return c;
}

void mimediff_show(const char *a, const char *b)
{
    /* print the first differing line of each view */
    size_t i = 0, ls = 0;
    while (a[i] && a[i] == b[i]) {
        if (a[i] == '\n')
            ls = i + 1;
        i++;
    }
    const char *ea = strchr(a + ls, '\n'), *eb = strchr(b + ls, '\n');
    int na = ea ? (int)(ea - a - ls) : (int)strlen(a + ls);
    int nb = eb ? (int)(eb - b - ls) : (int)strlen(b + ls);
    printf("    ours : %.*s\n    gmime: %.*s\n", na > 160 ? 160 : na, a + ls,
           nb > 160 ? 160 : nb, b + ls);
}

const char *const mimediff_reasons[MIMEDIFF_NREASONS] = {
    "charset: text invalid in its declared charset (ours replaces it or "
    "reads valid UTF-8, GMime drops bytes or passes them raw)",
    "GMime loses an encoded word that follows a padded B word",
    "header block without its blank line (ours keeps the rest as body, "
    "GMime drops it)",
    "GMime rejects a message whose first line is no header field",
    "quoted-printable '=' with blanks before the line end is a soft break "
    "(RFC 2045 6.7 rule 3); GMime keeps it",
    "base64 without its final padding: ours decodes the last partial "
    "group, GMime drops it",
    "a parameter on a line of its own below a ';': ours reads it as a "
    "fold; GMime agrees once the fold's blank is put in",
};

/* Of the header blocks our scanner read a parameter fold in, the lines
 * that are such a fold: a line that opens with attribute '=', right below
 * a line that ends with ';'. A copy of gbuf (same length as buf: the
 * LF conversion is byte for byte) with a blank put in front of each, or
 * NULL when there is none. */
static char *pfold_copy(const char *buf, size_t len, const char *gbuf,
                        size_t *outlen)
{
    sx_msg m;
    sx_msg_init(&m, NULL);
    size_t *at = NULL, nat = 0;
    if (sx_msg_parse(&m, buf, len) == SMTPDX_OK) {
        at = malloc((m.nparts + 1) * 64 * sizeof *at);
        for (uint32_t i = 0; at && i < m.nparts; i++) {
            const sx_part *p = &m.parts[i];
            if (!(p->flags & SX_PART_F_PARAM_FOLD))
                continue;
            const char *h = p->header.p, *he = h + p->header.len;
            char prev = 0;
            for (const char *ls = h; ls < he && nat < (m.nparts + 1) * 64;) {
                const char *le = ls;
                while (le < he && *le != '\n' && *le != '\r')
                    le++;
                const char *q = ls;
                while (q < le && (isalnum((unsigned char)*q) || *q == '-'
                                  || *q == '_' || *q == '.' || *q == '*'))
                    q++;
                if (prev == ';' && q > ls && q < le && *q == '=')
                    at[nat++] = (size_t)(ls - buf);
                const char *t = le;
                while (t > ls && (t[-1] == ' ' || t[-1] == '\t'))
                    t--;
                prev = t > ls ? t[-1] : 0;
                ls = le;
                if (ls < he && *ls == '\r')
                    ls++;
                if (ls < he && *ls == '\n')
                    ls++;
            }
        }
    }
    sx_msg_release(&m);
    if (nat == 0) {
        free(at);
        return NULL;
    }
    char *c = malloc(len + nat + 1);
    size_t o = 0, prev = 0;
    for (size_t k = 0; k < nat; k++) {
        memcpy(c + o, gbuf + prev, at[k] - prev);
        o += at[k] - prev;
        c[o++] = ' ';
        prev = at[k];
    }
    memcpy(c + o, gbuf + prev, len - prev);
    o += len - prev;
    c[o] = '\0';
    free(at);
    *outlen = o;
    return c;
}

/* Render both sides with mode; 1 when equal. */
static int render_eq(const char *buf, size_t len, const char *gbuf,
                     size_t glen, unsigned mode, unsigned *notes, view *o,
                     view *g)
{
    sx_sbuf_reset(&o->s);
    sx_sbuf_reset(&g->s);
    o->mode = g->mode = mode;
    o->notes = 0;
    ours_view(buf, len, o);
    gm_view(gbuf, glen, g);
    vput(o, "", 0);
    vput(g, "", 0);
    *notes = o->notes;
    return o->s.len == g->s.len && memcmp(o->s.data, g->s.data, o->s.len) == 0;
}

void mimediff_compare(const char *buf, size_t len, mimediff_result *r)
{
    view o, g;
    sx_sbuf_init(&o.s, 256u << 20);
    sx_sbuf_init(&g.s, 256u << 20);
    char *lf = NULL;
    if (len && sx_eol_detect(buf, len, NULL) == '\r')
        lf = cr_to_lf(buf, len); /* GMime reads LF line ends only */
    const char *gbuf = lf ? lf : buf;
    size_t glen = len;
    char *folded = NULL;
    unsigned notes;
    r->same = render_eq(buf, len, gbuf, glen, V_FULL, &notes, &o, &g);
    r->known = 0;
    r->cr_only = lf != NULL;
    if (r->same)
        goto done;
    unsigned mode = 0, used = 0;
    size_t flen = 0;
    if ((notes & N_PFOLD)
        && (folded = pfold_copy(buf, len, gbuf, &flen)) != NULL) {
        gbuf = folded;
        glen = flen;
        used |= 64;
        if (render_eq(buf, len, gbuf, glen, V_FULL, &notes, &o, &g))
            goto known;
    }
    if (strcmp(g.s.data, "PARSE-ERROR\n") == 0 && (notes & N_JUNK1ST)) {
        used |= 8;
    } else {
        if (notes & N_BADTEXT) {
            mode |= V_ASCII;
            used |= 1;
        }
        if (notes & N_B64PAD) {
            mode |= V_NO_SUBJ;
            used |= 2;
        }
        if (notes & N_NOBLANK) {
            mode |= V_NO_TEXT;
            used |= 4;
        }
        if (notes & N_QPPAD) {
            mode |= V_NO_TEXT;
            used |= 16;
        }
        if (notes & N_B64TAIL) {
            mode |= V_NO_TEXT;
            used |= 32;
        }
        view o2, g2;
        sx_sbuf_init(&o2.s, 256u << 20);
        sx_sbuf_init(&g2.s, 256u << 20);
        unsigned n2;
        if (!mode || !render_eq(buf, len, gbuf, glen, mode, &n2, &o2, &g2))
            used = 0;
        sx_sbuf_release(&o2.s);
        sx_sbuf_release(&g2.s);
    }
known:
    r->known = used;
done:
    r->ours = strdup(o.s.data ? o.s.data : "");
    r->gmime = strdup(g.s.data ? g.s.data : "");
    free(folded);
    free(lf);
    sx_sbuf_release(&o.s);
    sx_sbuf_release(&g.s);
}

void mimediff_release(mimediff_result *r)
{
    free(r->ours);
    free(r->gmime);
    r->ours = r->gmime = NULL;
}
