/*
 * reply_parse.c - the public reply parser: smtpdx_reply_new(),
 * smtpdx_reply_free(), smtpdx_reply_parse().
 *
 * A parse normalises the input into the reply's own buffer (reply_norm.c),
 * scans it once (reply_scan.c), then marks what is not human text (the code
 * group, the wrappers before it, trailers such as "(in reply to RCPT TO
 * command)", the code prefixes that repeat on continuation lines) and
 * compacts the buffer in place into the text. The buffer grows to the
 * largest input seen and is then reused: parsing allocates nothing after
 * warm-up.
 *
 * What the text is: the reply's words after its code. Words before a code
 * that stands inside a sentence are dropped when the code has words after
 * it ("The server answered 550 5.1.1 user unknown" gives "user unknown"),
 * kept when it has none. A qmail-style trailer "(#4.4.3)" does not split
 * the text. Without any code the text is the input minus the wrappers.
 *
 * The rules where the RFCs leave a choice (the tests in
 * tests/data/reply/cases.tsv pin each of them):
 *  - Basic code: three digits, first 2..5, second 0..5 (RFC 5321 4.2);
 *    "999", "600", "199" are no codes and stay in the text. A second digit
 *    above 5 is accepted only with an enhanced code of the same class
 *    ("571 5.7.1").
 *  - Enhanced code (RFC 3463 2): class 2, 4 or 5; subject and detail one to
 *    three digits. A subject above 7 ("5.9.9") is kept (its class still
 *    says permanent or temporary) and flagged SMTPDX_REPLY_ENH_INVALID, as
 *    section 3 defines no such subject; a detail of four digits
 *    ("5.7.1000") breaks the grammar: not a code, left in the text, and
 *    flagged ENH_INVALID when it stands where a code stands.
 *  - "5-7-1" and a dot right after the code ("550 5.7.1. text") are read
 *    and flagged SMTPDX_REPLY_ENH_MISSPELT.
 *  - Basic and enhanced codes of different classes: both are kept and
 *    SMTPDX_REPLY_CLASS_CONFLICT is set; the enhanced class is the one to
 *    follow (RFC 3463 2: it gives more detail).
 *  - SMTPDX_REPLY_MULTILINE: the input had more than one line, or a
 *    repeated continuation prefix was removed from inside a line.
 *  - Input past SMTPDX_REPLY_TEXT_MAX bytes of text is cut at a character
 *    boundary (SMTPDX_REPLY_TRUNCATED); NUL, other controls and invalid
 *    UTF-8 become U+FFFD (SMTPDX_REPLY_BAD_BYTES).
 *  - SMTPDX_ERR_PARSE when there is no code and the text has no letter:
 *    "", white space, ".", "999", "X-Unix; 255". The reply is still filled.
 *  - command: an SMTP verb, or "CONN" when the failure came before any
 *    command (connecting, the greeting).
 *  - A reply passed on with '_' for each space ("550_5.1.1_User_unknown",
 *    a basic code then '_') is read as the spaced reply; '_' inside <...>
 *    stays, and so does any '_' of a word that opens with no such code.
 */
#include <string.h>

#include "reply/reply.h"
#include "util/alloc.h"
#include "util/sbuf.h"

typedef struct reply_priv {
    sx_sbuf buf;
} reply_priv;

/* Room beyond the text limit: the terminating NUL, the padding and a
 * little slack. */
#define BUF_SLACK (8u + SX_REPLY_PAD)

smtpdx_reply *smtpdx_reply_new(void)
{
    smtpdx_reply *r = sx_calloc(1, sizeof *r);
    reply_priv *p = sx_calloc(1, sizeof *p);
    if (r == NULL || p == NULL) {
        sx_free(r);
        sx_free(p);
        return NULL;
    }
    sx_sbuf_init(&p->buf, SMTPDX_REPLY_TEXT_MAX + BUF_SLACK);
    r->priv_ = p;
    r->text = "";
    return r;
}

void smtpdx_reply_free(smtpdx_reply *r)
{
    if (r == NULL)
        return;
    reply_priv *p = r->priv_;
    if (p != NULL) {
        sx_sbuf_release(&p->buf);
        sx_free(p);
    }
    sx_free(r);
}

static void clear(smtpdx_reply *r)
{
    r->code = 0;
    r->enh_class = r->enh_subject = r->enh_detail = 0;
    r->enhanced[0] = '\0';
    r->command[0] = '\0';
    r->host[0] = '\0';
    r->addr[0] = '\0';
    r->text = "";
    r->text_len = 0;
    r->flags = 0;
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\n';
}

static int is_alpha(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* Any letter in b[s, e) that is not deleted? Bytes of non-ASCII letters
 * count; U+FFFD does not. */
static int has_words(const char *b, size_t s, size_t e)
{
    for (size_t k = s; k < e; k++) {
        unsigned char c = (unsigned char)b[k];
        if (is_alpha(c))
            return 1;
        if (c >= 0xC0) {
            if (!(c == 0xEF && k + 2 < e && (unsigned char)b[k + 1] == 0xBF &&
                  (unsigned char)b[k + 2] == 0xBD))
                return 1;
        }
    }
    return 0;
}

static void del(char *b, size_t s, size_t e)
{
    if (e > s)
        memset(b + s, SX_REPLY_DEL, e - s);
}

/* The closing quote of "Remote Server returned '...'" or "550-'5.7.1
 * ...'": the last one after from that ends a word. */
static void del_close_quote(char *b, size_t n, size_t from, char q)
{
    for (size_t k = n; k > from; k--) {
        if (b[k - 1] != q)
            continue;
        unsigned char nx = k < n ? (unsigned char)b[k] : ' ';
        if (is_ws(nx) || nx == ')' || nx == SX_REPLY_DEL || nx == '.' ||
            nx == ',' || nx == ';' || nx == '>') {
            b[k - 1] = SX_REPLY_DEL;
            return;
        }
    }
}

static void del_close_last(char *b, size_t n, size_t from, char want)
{
    for (size_t k = n; k > from; k--) {
        unsigned char c = (unsigned char)b[k - 1];
        if (c == SX_REPLY_DEL || is_ws(c))
            continue;
        if (c == (unsigned char)want)
            b[k - 1] = SX_REPLY_DEL;
        return;
    }
}

/* Is the group at b[k] a repeat of the reply's code prefix on a
 * continuation line (RFC 5321 4.2.1: "550-5.7.1 ..." then "550 5.7.1
 * ...")? Returns its end, or 0. At a line start any repeat of the basic
 * code goes; inside a line (where a bounce joined the lines) only the
 * "550-" form, the full "550 5.7.1" pair, or a bare "550 " when the reply
 * itself began "550-", so that "-> 550 : User unknown" keeps its number. */
static size_t repeat_at(const char *b, size_t n, size_t k, int line_start,
                        const sx_scan_result *res)
{
    sx_code c;
    if (!sx_reply_code_at(b, n, k, &c) || c.basic != res->basic || c.trailer)
        return 0;
    if (line_start || c.sep == '-' || (res->prim.sep == '-' && !c.cls))
        return c.end + (c.dot ? 1 : 0);
    if (c.cls && c.cls == res->cls && c.subj == res->subj && c.det == res->det)
        return c.end + (c.dot ? 1 : 0);
    return 0;
}

/* Squeeze the buffer in place: drop deleted bytes and code repeats, one
 * space between words, no leading separator left by a deleted code
 * ("550 : User unknown"). Returns the new length. */
static size_t compact(char *b, size_t n, const sx_scan_result *res,
                      unsigned *flags)
{
    size_t w = 0;
    int pend = 0, line_start = 1;
    unsigned char prev = ' ';
    size_t after = res->found ? res->prim.end : n;

    for (size_t r = 0; r < n; r++) {
        unsigned char c = (unsigned char)b[r];
        if (w > 0 && SX_CT(c, SX_C_PLAIN)) {
            /* the common case: a run of ordinary bytes */
            if (pend)
                b[w++] = ' ';
            pend = 0;
            line_start = 0;
#ifdef __SSE2__
            /* sixteen bytes at a time, words and the single spaces
             * between them (written as they are: one space, no pending
             * one); moved as a block only where every byte the store
             * overwrites has been read (w + 16 <= r + run: the block is
             * loaded before the store) */
            for (;;) { /* the zero padding ends the run at n at the latest */
                unsigned m = sx_reply_plain16(b + r);
                size_t run = m == 0xffffu ? 16 : (size_t)__builtin_ctz(~m);
                if (w + 16 <= r + run)
                    _mm_storeu_si128((__m128i *)(b + w),
                                     _mm_loadu_si128((const __m128i *)(b + r)));
                else if (w != r)
                    for (size_t q = 0; q < run; q++)
                        b[w + q] = b[r + q];
                w += run;
                r += run;
                if (run < 16)
                    break;
            }
#else
            while (r < n && SX_CT(b[r], SX_C_PLAIN))
                b[w++] = b[r++];
#endif
            prev = (unsigned char)b[w - 1];
            r--;
            continue;
        }
        if (c == SX_REPLY_DEL) {
#ifdef __SSE2__
            /* a deleted span is a code group or a whole wrapper: passed
             * sixteen bytes at a time (the zero padding ends it at n) */
            for (;;) {
                unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
                    _mm_loadu_si128((const __m128i *)(b + r + 1)),
                    _mm_set1_epi8(SX_REPLY_DEL)));
                if (m != 0xffffu) {
                    r += (size_t)__builtin_ctz(~m);
                    break;
                }
                r += 16;
            }
#else
            while (r + 1 < n && b[r + 1] == SX_REPLY_DEL)
                r++;
#endif
            prev = ' ';
            pend = 1;
            line_start = 0; /* what follows a deleted code is text */
            continue;
        }
        if (is_ws(c)) {
            pend = 1;
            line_start |= c == '\n';
            prev = c;
            continue;
        }
        if (res->basic && r >= after && (c == '#' || (c >= '0' && c <= '9')) &&
            sx_reply_code_left_ok(prev)) {
            size_t e = repeat_at(b, n, r, line_start, res);
            if (e > r) {
                *flags |= SMTPDX_REPLY_MULTILINE;
                r = e - 1;
                prev = ' ';
                pend = 1;
                line_start = 0;
                continue;
            }
        }
        prev = c;
        line_start = 0;
        if (w == 0 && (c == ':' || c == ';' || c == ',' || c == '-') &&
            (r + 1 >= n || is_ws((unsigned char)b[r + 1]) ||
             b[r + 1] == SX_REPLY_DEL))
            continue;
        if (pend && w > 0)
            b[w++] = ' ';
        pend = 0;
        b[w++] = (char)c;
    }
    /* "user@example . (#5.5.0)": qmail's lone final dot */
    if (w >= 2 && b[w - 1] == '.' && b[w - 2] == ' ') {
        b[w - 2] = '.';
        w--;
    }
    b[w] = '\0';
    return w;
}

/* Does a reply written with '_' for every space start at b[i]: a basic
 * code then '_' ("550_5.1.1_User_unknown", as some gateways pass replies
 * on), at the start or after a blank, ':' or '('? */
static int underscored_at(const char *b, size_t i, size_t n)
{
    if (i + 4 > n || b[i + 3] != '_' || (i > 0 && b[i - 1] != ' ' &&
                                         b[i - 1] != '\n' &&
                                         b[i - 1] != ':' && b[i - 1] != '('))
        return 0;
    return (b[i] == '2' || b[i] == '4' || b[i] == '5') &&
           b[i + 1] >= '0' && b[i + 1] <= '5' && b[i + 2] >= '0' &&
           b[i + 2] <= '9';
}

/* Such a reply, up to the next blank, gets its spaces back, so that the
 * code, the enhanced code and the words are read as in any reply; the
 * '_' of an address in <...> stays. Runs of '_' become one space, none
 * at the end, so the text keeps the one-blank shape of sx_reply_norm(). */
static size_t restore_spaces(char *b, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        if (!underscored_at(b, i, n)) {
            b[w++] = b[i++];
            continue;
        }
        int angle = 0;
        while (i < n && b[i] != ' ' && b[i] != '\n') {
            char c = b[i++];
            if (c == '<')
                angle = 1;
            else if (c == '>')
                angle = 0;
            if (c != '_' || angle) {
                b[w++] = c;
                continue;
            }
            while (i < n && b[i] == '_')
                i++;
            if (i < n && b[i] != ' ' && b[i] != '\n' && w > 0 &&
                b[w - 1] != ' ')
                b[w++] = ' ';
        }
    }
    return w;
}

smtpdx_status smtpdx_reply_parse(smtpdx_reply *r, const char *in, size_t len)
{
    if (r == NULL || r->priv_ == NULL || (in == NULL && len > 0))
        return SMTPDX_ERR_INVAL;
    reply_priv *p = r->priv_;
    clear(r);

    /* Each input byte yields at most 3 output bytes (U+FFFD). */
    size_t max = SMTPDX_REPLY_TEXT_MAX;
    size_t need = len < max / 3 ? len * 3 : max;
    sx_sbuf_reset(&p->buf);
    if (sx_sbuf_reserve(&p->buf, need + 1 + SX_REPLY_PAD) != SX_SBUF_OK)
        return SMTPDX_ERR_NOMEM;
    char *b = p->buf.data;

    unsigned flags = 0, breaks = 0;
    size_t n = len ? sx_reply_norm(in, len, b, need, &flags, &breaks) : 0;
    if (memchr(b, '_', n) != NULL)
        n = restore_spaces(b, n);
    memset(b + n, 0, SX_REPLY_PAD);
    if (breaks)
        flags |= SMTPDX_REPLY_MULTILINE;

    sx_scan sc; /* the span table is filled before it is read */
    sc.b = b;
    sc.n = n;
    sc.r = r;
    sc.cmd_prio = 0;
    sc.nspan = 0;
    sc.at_head = 1;
    sc.strong_at = (size_t)-1;
    sc.diag_at = (size_t)-1;
    sc.no_basic = 0;
    sc.close_quote = 0;
    sc.close_last = 0;
    sx_scan_result res;
    sx_reply_scan(&sc, &res);
    flags |= res.flags;

    /* What is not text: trailers always, wrappers when before the code,
     * the code group itself, and closing marks of wrappers. */
    for (size_t k = 0; k < sc.nspan; k++) {
        if (sc.span[k].always || !res.found || sc.span[k].s < res.prim.start)
            del(b, sc.span[k].s, sc.span[k].e);
    }
    size_t from = 0;
    if (res.found) {
        del(b, res.prim.start, res.prim.end);
        from = res.prim.end;
    }
    if (sc.close_quote)
        del_close_quote(b, n, from, sc.close_quote);
    if (sc.close_last)
        del_close_last(b, n, from, sc.close_last);
    if (res.found && !res.prim.trailer && res.prim.start > 0 &&
        has_words(b, res.prim.end, n))
        del(b, 0, res.prim.start);

    n = compact(b, n, &res, &flags);
    p->buf.len = n;

    r->text = b;
    r->text_len = n;
    r->code = res.basic;
    if (res.cls) {
        r->enh_class = res.cls;
        r->enh_subject = res.subj;
        r->enh_detail = res.det;
        sx_reply_enh_format(r->enhanced, res.cls, res.subj, res.det);
        if (!res.basic)
            flags |= SMTPDX_REPLY_NO_BASIC;
        else if (res.basic / 100 != res.cls)
            flags |= SMTPDX_REPLY_CLASS_CONFLICT; /* RFC 3463 2: the
                                                     enhanced class wins */
    }
    r->flags = flags;
    if (!res.basic && !res.cls && !has_words(b, 0, n))
        return SMTPDX_ERR_PARSE;
    return SMTPDX_OK;
}
