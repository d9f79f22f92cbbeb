/*
 * mime_scan.c - one forward pass over a message that finds its MIME
 * structure (RFC 2045-2046, RFC 5322 2.1) without copying it.
 *
 * The scanner keeps a stack of the open multiparts' boundaries. Each
 * entity's header block is read, its Content-Type decides whether it
 * opens a multipart (push a boundary), wraps a message (parse the inner
 * header next) or is a leaf; then the body is skipped up to the next line
 * that is a delimiter of any open multipart. A delimiter of an outer
 * multipart also ends every inner one that is still open (RFC 2046 5.1.2
 * says an inner part can never hold it), which bounds the work to one
 * pass plus a boundary comparison on lines that begin with "--".
 */
#include <string.h>

#include "mime/cursor.h"
#include "mime/mime.h"
#include "mime/mime_int.h"
#include "util/alloc.h"
#include "util/memscan.h"

/* The frames live on the stack: max_depth is capped here. */
#define SX_DEPTH_HARD 128u

typedef struct frame {
    uint32_t part;    /* the multipart */
    uint32_t last;    /* its last child so far, SX_NONE before the first */
    const char *bnd;
    size_t blen;
} frame;

/* The Content- fields entity_classify reads, noted while the header block
 * is read so that it is not searched again. */
enum { CF_TYPE, CF_CTE, CF_DISP, CF_COUNT };

typedef struct scan {
    sx_msg *m;
    const char *end;
    char eol;
    int nomem;
    uint32_t cf[CF_COUNT]; /* index in m->hdrs of the first such field of
                              the entity being read, SX_NONE if none */
    unsigned nfr;
    frame fr[SX_DEPTH_HARD + 1];
} scan;

void sx_msg_limits_default(sx_msg_limits *lim)
{
    lim->max_message = SX_MIME_MAX_MESSAGE;
    lim->max_depth = SX_MIME_MAX_DEPTH;
    lim->max_parts = SX_MIME_MAX_PARTS;
    lim->max_headers = SX_MIME_MAX_HEADERS;
    lim->max_hdr_block = SX_MIME_MAX_HDR_BLOCK;
    lim->max_field = SX_MIME_MAX_FIELD;
}

void sx_msg_init(sx_msg *m, const sx_msg_limits *lim)
{
    memset(m, 0, sizeof *m);
    if (lim)
        m->lim_ = *lim;
    else
        sx_msg_limits_default(&m->lim_);
    if (m->lim_.max_depth > SX_DEPTH_HARD)
        m->lim_.max_depth = SX_DEPTH_HARD;
    if (m->lim_.max_parts < 1)
        m->lim_.max_parts = 1;
}

void sx_msg_release(sx_msg *m)
{
    if (m == NULL)
        return;
    sx_msg_limits lim = m->lim_;
    sx_free(m->parts);
    sx_free(m->hdrs);
    sx_msg_init(m, &lim);
}

/* Zero a part 32 bytes at a time: one memset of the whole struct becomes
 * "rep stos", whose start costs more than the few vector stores this
 * loop is made of (a part is made several times per message). */
static void part_clear(sx_part *p)
{
    char *b = (char *)p;
    size_t k = 0;
    for (; k + 32 <= sizeof *p; k += 32)
        memset(b + k, 0, 32);
    memset(b + k, 0, sizeof *p - k);
}

/* A new entity, or SX_NONE when the part limit is reached or memory is
 * out (s->nomem tells which). */
static uint32_t part_new(scan *s, uint32_t parent, uint32_t depth)
{
    sx_msg *m = s->m;
    if (m->nparts >= m->lim_.max_parts) {
        m->flags |= SX_MSG_F_PART_LIMIT;
        if (parent != SX_NONE)
            m->parts[parent].flags |= SX_PART_F_PART_LIMIT;
        return SX_NONE;
    }
    if (m->nparts == m->parts_cap_) {
        uint32_t cap = m->parts_cap_ ? m->parts_cap_ * 2 : 16;
        if (cap > m->lim_.max_parts)
            cap = m->lim_.max_parts;
        sx_part *np = sx_realloc(m->parts, (size_t)cap * sizeof *np);
        if (np == NULL) {
            s->nomem = 1;
            return SX_NONE;
        }
        m->parts = np;
        m->parts_cap_ = cap;
    }
    uint32_t i = m->nparts++;
    sx_part *p = &m->parts[i];
    part_clear(p);
    p->index = i;
    p->parent = parent;
    p->depth = depth;
    p->next_sibling = SX_NONE;
    p->hdr_first = m->nhdrs;
    if (parent != SX_NONE)
        m->parts[parent].nchildren++;
    return i;
}

/* Is the field name n[0..nl) the lower-case name lc (letters and '-'
 * only, nl bytes long) in any case? Setting bit 0x20 lower-cases a
 * letter and leaves '-' as it is; no other byte a name may hold (0x21 to
 * 0x7e) becomes a letter or '-' by it, so eight bytes are compared at
 * once. */
static int cname_is(const char *n, size_t nl, const char *lc)
{
    size_t i = 0;
    for (; i + 8 <= nl; i += 8) {
        uint64_t a, b;
        memcpy(&a, n + i, 8);
        memcpy(&b, lc + i, 8);
        if ((a | 0x2020202020202020ull) != b)
            return 0;
    }
    for (; i < nl; i++)
        if (((unsigned char)n[i] | 0x20) != (unsigned char)lc[i])
            return 0;
    return 1;
}

/* Room for one more field: m->hdrs grown, or -1 when memory is out. */
static int hdrs_grow(scan *s)
{
    sx_msg *m = s->m;
    uint32_t cap = m->hdrs_cap_ ? m->hdrs_cap_ * 2 : 32;
    sx_hdr *nh = sx_realloc(m->hdrs, (size_t)cap * sizeof *nh);
    if (nh == NULL) {
        s->nomem = 1;
        return -1;
    }
    m->hdrs = nh;
    m->hdrs_cap_ = cap;
    return 0;
}

/* Field i named n (nl bytes) may be one of the "Content-" fields of
 * interest: the first of each name is kept. */
static void cfield_note(scan *s, const char *n, size_t nl, uint32_t i)
{
    if (nl >= 12 && (n[0] | 0x20) == 'c') {
        int f = nl == 12   ? CF_TYPE
                : nl == 25 ? CF_CTE
                : nl == 19 ? CF_DISP
                           : CF_COUNT;
        static const char *const cfn[CF_COUNT] = {
            "content-type", "content-transfer-encoding",
            "content-disposition"};
        if (f != CF_COUNT && s->cf[f] == SX_NONE && cname_is(n, nl, cfn[f]))
            s->cf[f] = i;
    }
}

/* memcmp(a, b, n) == 0 without a call, for a boundary (a few dozen
 * bytes, compared at every line that starts with "--"): sixteen bytes a
 * step, the last step the sixteen that end at n; shorter ones by words.
 * Reads a[0..n) and b[0..n) only. */
static inline int bnd_eq(const char *a, const char *b, size_t n)
{
#if defined(__SSE2__)
    if (n >= 16) {
        for (size_t i = 0; i + 16 < n; i += 16) {
            __m128i x = _mm_loadu_si128((const __m128i *)(a + i));
            __m128i y = _mm_loadu_si128((const __m128i *)(b + i));
            if (_mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) != 0xffff)
                return 0;
        }
        __m128i x = _mm_loadu_si128((const __m128i *)(a + n - 16));
        __m128i y = _mm_loadu_si128((const __m128i *)(b + n - 16));
        return _mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) == 0xffff;
    }
#endif
    if (n >= 8) {
        uint64_t x0, y0, x1, y1;
        memcpy(&x0, a, 8);
        memcpy(&y0, b, 8);
        memcpy(&x1, a + n - 8, 8);
        memcpy(&y1, b + n - 8, 8);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* Is the line [q, le) a delimiter of an open multipart? Returns the frame
 * index (innermost first) or -1; *close is set for "--boundary--".
 * RFC 2046 5.1.1: "--" boundary, optional "--", then only blanks. */
static int delim_match(const scan *s, const char *q, const char *le,
                       int *close)
{
    size_t n = (size_t)(le - q);
    for (unsigned k = s->nfr; k-- > 0;) {
        const frame *f = &s->fr[k];
        if (n < 2 + f->blen || !bnd_eq(q + 2, f->bnd, f->blen))
            continue;
        const char *r = q + 2 + f->blen;
        int c = 0;
        if (le - r >= 2 && r[0] == '-' && r[1] == '-') {
            c = 1;
            r += 2;
        }
        while (r < le && sx_is_blank(*r))
            r++;
        if (r == le) {
            *close = c;
            return (int)k;
        }
    }
    return -1;
}

/* The content end of line q (CR before LF excluded). A line that may be
 * a delimiter is short: its end is looked for in a 64-byte mask first,
 * without a memchr call. */
static const char *line_end(const scan *s, const char *q, const char **next)
{
    uint64_t m = sx_mem_mask64(q, s->end, s->eol);
    const char *e;
    if (m != 0)
        e = q + __builtin_ctzll(m);
    else if (s->end - q > 64)
        e = memchr(q + 64, s->eol, (size_t)(s->end - q - 64));
    else
        e = NULL;
    if (e == NULL) {
        *next = s->end;
        return s->end;
    }
    *next = e + 1;
    if (s->eol == '\n' && e > q && e[-1] == '\r')
        return e - 1;
    return e;
}

/* Next delimiter line at or after line start q. Returns its start or
 * NULL; *k, *close and *after (start of the next line) are set. Candidates
 * are line starts holding '-', found together with the line end before
 * them (sx_mem_bol) rather than line by line: base64 bodies have no '-',
 * and most lines of text do not start with one. */
static const char *delim_find(const scan *s, const char *q, int *k,
                              int *close, const char **after)
{
    if (s->nfr == 0)
        return NULL;
    const char *lo = q;
    while (q < s->end) {
        q = sx_mem_bol(lo, q, s->end, s->eol, '-');
        if (q == NULL)
            return NULL;
        const char *nx;
        if (s->end - q >= 2 && q[1] == '-') {
            const char *le = line_end(s, q, &nx);
            *k = delim_match(s, q, le, close);
            if (*k >= 0) {
                *after = nx;
                return q;
            }
            q = nx;
            continue;
        }
        q++;
    }
    return NULL;
}

/* NUL bytes anywhere in the lines of a header block [b, e) that were
 * read (line ends hold none): one search per block, not one per line. */
static void nul_check(sx_msg *m, const char *b, const char *e)
{
    if (e > b && memchr(b, '\0', (size_t)(e - b)))
        m->flags |= SX_MSG_F_NUL;
}

/* Read the header block of entity idx starting at pos (RFC 5322 2.2);
 * returns where its body starts.
 *
 * A line that is not a field (no colon, bad name, folded text with no
 * field before it) is skipped and reading goes on, as GMime does: broken
 * folding in returned headers is common and the fields after it matter.
 * When the block then never meets its blank line (end of data, a
 * delimiter, a limit), the first such line is taken as the start of the
 * body instead: the sender simply left the blank line out. */
/* Is the line b..e a parameter that lost the blank of its fold? Some
 * senders (seen from Exchange, Office 365 and Java mailers) write
 *     Content-Type: multipart/alternative;
 *     boundary="..."
 * Read as RFC 5322 says, the second line is no field and the part has no
 * boundary: its children would be one opaque leaf, their quoted-printable
 * or base64 never decoded. So a line that is attribute "=" something,
 * right below a field whose value ends with the ';' that announces one
 * more parameter (RFC 2045 5.1), is read as that field's fold. */
static int param_fold(const sx_hdr *last, const char *b, const char *e)
{
    const char *v = last->value.p, *ve = v + last->value.len;
    while (ve > v && (sx_is_blank(ve[-1]) || ve[-1] == '\r' ||
                      ve[-1] == '\n'))
        ve--;
    if (ve == v || ve[-1] != ';')
        return 0;
    const char *q = b;
    /* an RFC 2045 token (RFC 2231's '*' sections are token characters) */
    while (q < e && sx_is_token_char((unsigned char)*q))
        q++;
    return q > b && q < e && *q == '=';
}

static const char *headers_parse(scan *s, uint32_t idx, const char *pos)
{
    sx_msg *m = s->m;
    sx_part *p = &m->parts[idx];
    /* read once: for the compiler the stores to m->hdrs below may
     * change them, so it would load them again on every line (the
     * multiparts open, s->nfr, do not change while a block is read) */
    const size_t max_block = m->lim_.max_hdr_block;
    const size_t max_field = m->lim_.max_field;
    const unsigned nfr = s->nfr;
    const unsigned max_headers = m->lim_.max_headers;
    /* the field table as locals, stored back where the block ends: the
     * stores of a field's pointers would otherwise make the compiler load
     * them again */
    sx_hdr *hv = m->hdrs;
    uint32_t nh = m->nhdrs, cap = m->hdrs_cap_, cnt = p->hdr_count;
    sx_lcur c;
    sx_lcur_init(&c, pos, s->end, s->eol);
    const char *blk = pos;
    const char *ls, *b, *e;
    sx_hdr *last = NULL;
    const char *junk = NULL;  /* first line that was not a field */
    uint32_t junk_nh = 0, junk_cnt = 0;

    p->hdr_first = nh;
    for (int k = 0; k < CF_COUNT; k++)
        s->cf[k] = SX_NONE;
    if (idx == 0 && s->end - pos >= 5 && memcmp(pos, "From ", 5) == 0) {
        /* an mbox separator left in front (RFC 4155) */
        sx_lcur_line(&c, &b, &e, NULL);
        blk = c.p;
        m->flags |= SX_MSG_F_MBOX_FROM;
    }
    /* the last line start within max_block of blk (the end of the data
     * when all of it is): one compare per line */
    const char *blk_lim =
        (size_t)(s->end - blk) > max_block ? blk + max_block : s->end;
    for (;;) {
        ls = c.p;
        if (!sx_lcur_line(&c, &b, &e, NULL)) {
            p->flags |= SX_PART_F_HDR_EOF;
            break;
        }
        if (b == e) {
            m->nhdrs = nh;
            p->hdr_count = cnt;
            nul_check(m, blk, ls);
            p->header.p = blk;
            p->header.len = (size_t)(ls - blk);
            return c.p;
        }
        if (ls > blk_lim) {
            m->nhdrs = nh;
            p->hdr_count = cnt;
            p->flags |= SX_PART_F_HDR_LIMIT;
            m->flags |= SX_MSG_F_HDR_LIMIT;
            /* the fields past the limit are dropped, but the body still
             * starts after the block: its rest is no body text (an
             * endless To: field would read as a list of addresses) */
            const char *cut = ls;
            int more, dl;
            while ((more = sx_lcur_line(&c, &b, &e, NULL)) && b != e &&
                   !(nfr && e - b >= 2 && b[0] == '-' && b[1] == '-' &&
                     delim_match(s, b, e, &dl) >= 0))
                ;
            if (!more || b == e) {
                /* the blank line, or the end: no body, or the body */
                nul_check(m, blk, cut);
                p->header.p = blk;
                p->header.len = (size_t)(cut - blk);
                return more ? c.p : s->end;
            }
            ls = cut; /* a delimiter inside: read on from the cut */
            break;
        }
        int cl;
        if (b[0] == '-' && nfr && e - b >= 2 && b[1] == '-'
            && delim_match(s, b, e, &cl) >= 0)
            break;
        const char *colon = NULL, *ne = NULL;
        if (!sx_is_blank(*b)) {
            /* the name (printable, no blanks), blanks, then the colon;
             * anything else makes the line junk. The run stops at the
             * line end (CR and LF are not printable), so it is bounded
             * by the end of the data: a short line is then searched
             * sixteen bytes at once too. */
            ne = b + sx_mem_graph_run(b, c.end, ':');
            colon = ne;
            if (ne == b || ne == e || *ne != ':') {
                /* not the usual colon right after the name */
                while (colon < e && sx_is_blank(*colon))
                    colon++;
                if (ne == b || colon == e || *colon != ':')
                    colon = NULL;
            }
        } else if (last) {
            if ((size_t)(e - last->name.p) > max_field)
                p->flags |= SX_PART_F_FIELD_LIMIT;
            else
                last->value.len = (size_t)(e - last->value.p);
            continue;
        }
        if (colon == NULL && last != NULL && param_fold(last, b, e)) {
            if ((size_t)(e - last->name.p) > max_field)
                p->flags |= SX_PART_F_FIELD_LIMIT;
            else
                last->value.len = (size_t)(e - last->value.p);
            p->flags |= SX_PART_F_PARAM_FOLD;
            continue;
        }
        if (colon == NULL) {
            p->flags |= SX_PART_F_BAD_HDR_LINE;
            if (junk == NULL) {
                junk = ls;
                junk_nh = nh;
                junk_cnt = cnt;
            }
            last = NULL;
            continue;
        }
        const char *v = colon + 1;
        if (v < e && *v == ' ') /* the usual one space */
            v++;
        while (v < e && sx_is_blank(*v))
            v++;
        size_t vl = (size_t)(e - v);
        if ((size_t)(e - b) > max_field) {
            p->flags |= SX_PART_F_FIELD_LIMIT;
            vl = max_field > (size_t)(v - b)
                     ? max_field - (size_t)(v - b) : 0;
        }
        if (cnt >= max_headers) {
            p->flags |= SX_PART_F_HDR_LIMIT;
            m->flags |= SX_MSG_F_HDR_LIMIT;
            /* a later continuation must not extend a field left out */
            last = NULL;
            continue;
        }
        if (nh == cap) {
            if (hdrs_grow(s) < 0) {
                m->nhdrs = nh;
                p->hdr_count = cnt;
                return s->end;
            }
            hv = m->hdrs;
            cap = m->hdrs_cap_;
        }
        cfield_note(s, b, (size_t)(ne - b), nh);
        sx_hdr *h = &hv[nh];
        h->name.p = b;
        h->name.len = (size_t)(ne - b);
        h->value.p = v;
        h->value.len = vl;
        nh++;
        cnt++;
        last = h;
    }
    m->nhdrs = nh;
    p->hdr_count = cnt;
    nul_check(m, blk, ls);
    p->flags |= SX_PART_F_NO_BLANK;
    if (junk) {
        m->nhdrs = junk_nh;
        p->hdr_count = junk_cnt;
        ls = junk;
    }
    if (ls == blk)
        p->flags |= SX_PART_F_NO_HEADERS;
    p->header.p = blk;
    p->header.len = (size_t)(ls - blk);
    return ls;
}

/* Field k of CF_* of entity p, or NULL: a field dropped with the lines
 * after a junk line (headers_parse) lies past the block's end. */
static const sx_hdr *block_field(const scan *s, const sx_part *p, int k)
{
    uint32_t i = s->cf[k];
    if (i == SX_NONE || i >= p->hdr_first + p->hdr_count)
        return NULL;
    return &s->m->hdrs[i];
}

/* The first token of a value, lower-cased into out (cut to cap); returns
 * its length. */
static size_t token_lc(const char *v, size_t len, char *out, size_t cap)
{
    const char *end = v + len;
    const char *p = sx_skip_cfws(v, end);
    size_t n = 0;
    while (p < end && sx_is_token_char((unsigned char)*p) && n + 1 < cap)
        out[n++] = sx_lc(*p++);
    out[n] = '\0';
    return n;
}

/* Is the token t[0..n) the literal lit? */
#define TOK_IS(t, n, lit) \
    ((n) == sizeof(lit) - 1 && memcmp((t), lit, sizeof(lit) - 1) == 0)

/* ARR_IS(t, "multipart") as two loads: for ten bytes the compiler makes
 * a memcmp call, and every entity with a Content-Type asks it. */
_Static_assert(sizeof(((sx_part *)0)->type) >= sizeof "multipart",
               "a part's type holds \"multipart\" and its NUL");
static inline int type_is_multipart(const char *t)
{
    static const char want[] = "multipart";
    uint64_t a, b;
    uint16_t c, d;
    memcpy(&a, t, 8);
    memcpy(&b, want, 8);
    memcpy(&c, t + 8, 2);
    memcpy(&d, want + 8, 2);
    return a == b && c == d;
}

/* Content-Type, -Transfer-Encoding and -Disposition of entity idx. */
static void entity_classify(scan *s, uint32_t idx, int in_digest)
{
    sx_msg *m = s->m;
    sx_part *p = &m->parts[idx];
    const sx_hdr *h = block_field(s, p, CF_TYPE);
    int ok = 0;
    if (h) {
        const char *params;
        ok = sx_ctype_parse(h->value.p, h->value.len, p->type,
                            sizeof p->type, p->subtype, sizeof p->subtype,
                            &params) == 0;
        if (!ok)
            p->flags |= SX_PART_F_BAD_TYPE;
        else {
            const char *pe = h->value.p + h->value.len;
            /* one walk over the parameters for both; the first of each
             * name counts */
            int want_b = type_is_multipart(p->type);
            int got_c = 0, got_b = 0;
            sx_str a, v;
            int esc;
            const char *q = params;
            while ((!got_c || (want_b && !got_b))
                   && (q = sx_param_next(q, pe, &a, &v, &esc)) != NULL) {
                if (!got_c && sx_str_ieq(a, "charset")) {
                    got_c = 1;
                    size_t n = 0;
                    for (size_t i = 0;
                         i < v.len && n + 1 < sizeof p->charset; i++)
                        if (!sx_is_blank(v.p[i]))
                            p->charset[n++] = sx_lc(v.p[i]);
                    p->charset[n] = '\0';
                } else if (want_b && !got_b && sx_str_ieq(a, "boundary")) {
                    got_b = 1;
                    /* trailing blanks are not part of a boundary (5.1.1) */
                    while (v.len && sx_is_blank(v.p[v.len - 1]))
                        v.len--;
                    p->boundary = v;
                }
            }
        }
    }
    if (!ok) {
        if (in_digest) {
            memcpy(p->type, "message", 8);
            memcpy(p->subtype, "rfc822", 7);
        } else {
            memcpy(p->type, "text", 5);
            memcpy(p->subtype, "plain", 6);
        }
        if (!h)
            p->flags |= SX_PART_F_DEFAULT_TYPE;
    }
    h = block_field(s, p, CF_CTE);
    if (h) {
        char t[24];
        size_t n = token_lc(h->value.p, h->value.len, t, sizeof t);
        if (TOK_IS(t, n, "base64"))
            p->cte = SX_CTE_BASE64;
        else if (TOK_IS(t, n, "quoted-printable"))
            p->cte = SX_CTE_QP;
        else if (TOK_IS(t, n, "x-uuencode") || TOK_IS(t, n, "uuencode")
                 || TOK_IS(t, n, "x-uue"))
            p->cte = SX_CTE_UUENCODE;
        else if (!TOK_IS(t, n, "7bit") && !TOK_IS(t, n, "8bit")
                 && !TOK_IS(t, n, "binary"))
            p->flags |= SX_PART_F_BAD_CTE;
    }
    h = block_field(s, p, CF_DISP);
    if (h) {
        char t[16];
        size_t n = token_lc(h->value.p, h->value.len, t, sizeof t);
        p->disp = TOK_IS(t, n, "inline")       ? SX_DISP_INLINE
                  : TOK_IS(t, n, "attachment") ? SX_DISP_ATTACHMENT
                                               : SX_DISP_OTHER;
    }
}

/* End the bodies of cur and its ancestors below stop at content end at. */
static void close_upto(scan *s, uint32_t cur, uint32_t stop, const char *at)
{
    sx_msg *m = s->m;
    unsigned guard = 0;
    while (cur != SX_NONE && cur != stop && guard++ <= SX_DEPTH_HARD + 1) {
        sx_part *p = &m->parts[cur];
        const char *e = at < p->body.p ? p->body.p : at;
        p->body.len = (size_t)(e - p->body.p);
        cur = p->parent;
    }
}

static int is_message_wrapper(const sx_part *p)
{
    return ARR_IS(p->type, "message")
           && (ARR_IS(p->subtype, "rfc822") || ARR_IS(p->subtype, "global")
               || ARR_IS(p->subtype, "news"))
           && p->cte == SX_CTE_IDENTITY;
}

/* Parse the header of a new entity at pos and classify it. */
static uint32_t entity_open(scan *s, uint32_t parent, const char **pos,
                            int in_digest)
{
    sx_msg *m = s->m;
    uint32_t depth = parent == SX_NONE ? 0 : m->parts[parent].depth + 1;
    uint32_t i = part_new(s, parent, depth);
    if (i == SX_NONE)
        return SX_NONE;
    *pos = headers_parse(s, i, *pos);
    if (s->nomem)
        return SX_NONE;
    entity_classify(s, i, in_digest);
    m->parts[i].body.p = *pos;
    m->parts[i].body.len = (size_t)(s->end - *pos);
    return i;
}

/* Nothing at pos but the end or a delimiter: an empty body. */
static int at_delim_or_end(const scan *s, const char *pos)
{
    if (pos >= s->end)
        return 1;
    if (s->end - pos < 2 || pos[0] != '-' || pos[1] != '-')
        return 0;
    const char *nx;
    const char *le = line_end(s, pos, &nx);
    int cl;
    return delim_match(s, pos, le, &cl) >= 0;
}

static void scan_run(scan *s)
{
    sx_msg *m = s->m;
    const char *pos = m->buf;
    uint32_t cur = entity_open(s, SX_NONE, &pos, 0);
    if (cur == SX_NONE)
        return;
    m->parts[cur].flags |= SX_PART_F_MESSAGE;

    for (;;) {
        /* cur's header has been read; pos is where its body starts */
        sx_part *p = &m->parts[cur];
        int container = 0;
        if (type_is_multipart(p->type)) {
            if (p->boundary.len == 0)
                p->flags |= SX_PART_F_NO_BOUNDARY;
            else
                container = 1;
        } else if (is_message_wrapper(p)) {
            container = 2;
        }
        if (container && p->depth >= m->lim_.max_depth) {
            p->flags |= SX_PART_F_DEPTH_LIMIT;
            m->flags |= SX_MSG_F_DEPTH_LIMIT;
            container = 0;
        }
        if (container == 1) {
            frame *f = &s->fr[s->nfr++];
            f->part = cur;
            f->last = SX_NONE;
            f->bnd = p->boundary.p;
            f->blen = p->boundary.len;
        } else if (container == 2 && !at_delim_or_end(s, pos)) {
            uint32_t c = entity_open(s, cur, &pos, 0);
            if (s->nomem)
                return;
            if (c != SX_NONE) {
                m->parts[c].flags |= SX_PART_F_MESSAGE;
                cur = c;
                continue;
            }
        }
        /* skip the body up to the next delimiter of any open multipart */
        for (;;) {
            int k, close;
            const char *after;
            const char *d = delim_find(s, pos, &k, &close, &after);
            if (d == NULL) {
                close_upto(s, cur, SX_NONE, s->end);
                for (unsigned j = 0; j < s->nfr; j++)
                    m->parts[s->fr[j].part].flags |= SX_PART_F_NO_END;
                return;
            }
            frame *f = &s->fr[k];
            const char *at = d - sx_eol_before(m->buf, d, s->eol);
            close_upto(s, cur, f->part, at);
            for (unsigned j = (unsigned)k + 1; j < s->nfr; j++)
                m->parts[s->fr[j].part].flags |= SX_PART_F_NO_END;
            s->nfr = (unsigned)k + 1;
            pos = after;
            if (close) {
                cur = f->part;
                s->nfr--;
                continue;
            }
            int digest = ARR_IS(m->parts[f->part].subtype, "digest");
            uint32_t c = entity_open(s, f->part, &pos, digest);
            if (s->nomem)
                return;
            if (c == SX_NONE) {
                /* over the part limit: skip this part's content */
                cur = f->part;
                continue;
            }
            if (f->last != SX_NONE)
                m->parts[f->last].next_sibling = c;
            f->last = c;
            cur = c;
            break;
        }
    }
}

smtpdx_status sx_msg_parse(sx_msg *m, const char *buf, size_t len)
{
    if (m == NULL || (buf == NULL && len > 0))
        return SMTPDX_ERR_INVAL;
    m->nparts = 0;
    m->nhdrs = 0;
    m->flags = 0;
    m->buf = buf ? buf : "";
    m->len = len;
    if (len > m->lim_.max_message) {
        m->len = 0;
        return SMTPDX_ERR_LIMIT;
    }
    scan sc;
    scan *s = &sc;
    s->m = m;
    s->end = m->buf + len;
    s->nomem = 0;
    s->nfr = 0;
    int crlf;
    s->eol = sx_eol_detect(m->buf, len, &crlf);
    if (s->eol == '\r')
        m->flags |= SX_MSG_F_EOL_CR;
    else if (crlf)
        m->flags |= SX_MSG_F_EOL_CRLF;
    scan_run(s);
    if (s->nomem) {
        m->nparts = 0;
        m->nhdrs = 0;
        return SMTPDX_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < m->nparts; i++)
        if (m->parts[i].flags
            & (SX_PART_F_NO_END | SX_PART_F_NO_BOUNDARY | SX_PART_F_BAD_TYPE))
            m->flags |= SX_MSG_F_BROKEN;
    return SMTPDX_OK;
}
