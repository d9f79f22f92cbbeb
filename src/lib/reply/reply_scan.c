/*
 * reply_scan.c - one walk over the normalised reply: find its code.
 *
 * The walk visits each token start once. There it lets reply_host.c try the
 * wrappers (which may consume them) and reply_code.c read a code group,
 * and decides whether that group is the reply's own code. Past the head of
 * the text a token can begin a wrapper or a code only when its first two
 * bytes are one of a few pairs: only such tokens are visited, found sixteen
 * bytes at a time. The rules for a code group:
 *
 *  - A group in code position is taken as it is: at the head of the text,
 *    right after a wrapper ("said:", "smtp;", "Status:"), or written with
 *    '#'. Only there are the doubtful forms accepted: a bare enhanced code
 *    with an unregistered subject ("5.9.9"), a misspelt one ("5-7-1",
 *    "5.7.1."), a bare basic code at the very start.
 *  - Inside a sentence ("The server answered 550 5.1.1 user unknown") a
 *    basic code followed by an enhanced code is taken, and so is a well
 *    formed enhanced code of class 4 or 5 (a "2.3.16" there is more often
 *    a version than a success); a lone three-digit number only after a word
 *    that introduces a reply ("said", "returned", "error", a ':' ...), so
 *    that "retry in 450 seconds" keeps its number.
 *  - The first group taken wins, with two refinements: an enhanced code
 *    alone that leads the text (a DSN status, "#5.0.0") gives way to a
 *    later full reply ("5.1.0 ... 550-'5.7.1 Access denied", "<mx #5.0.0
 *    smtp;550 5.1.1 ...>"), keeping its enhanced code if the reply has
 *    none; and a basic code alone takes its enhanced code from qmail's
 *    "(#5.5.0)" trailer.
 */
#include "reply/reply.h"

#include <string.h>

enum { ST_LOOK = 0, ST_FOUND, ST_DONE };

static int is_alnum(unsigned char c)
{
    return SX_CT(c, SX_C_ALNUM);
}

/* Does the word before b[i] introduce a reply ("said: 550", "-> 550",
 * 'said: "550')? */
static int introduced(const char *b, size_t i)
{
    static const char *const words[] = {
        "said",  "answered", "returned", "replied", "responded", "response",
        "reply", "code",     "error",    "with",    "status",
    };
    size_t k = i;
    /* the reply quoted: 'Mailer mx said: "554 Message looping"' */
    if (k > 0 && (b[k - 1] == '"' || b[k - 1] == '\''))
        k--;
    if (k > 0 &&
        (b[k - 1] == ' ' || b[k - 1] == '\n' || b[k - 1] == SX_REPLY_DEL))
        k--;
    if (k == 0)
        return 0;
    if (b[k - 1] == ':' || b[k - 1] == '>')
        return 1;
    size_t e = k;
    while (k > 0 && e - k < 10 && is_alnum((unsigned char)b[k - 1]))
        k--;
    if (e - k < 4 || (k > 0 && is_alnum((unsigned char)b[k - 1])))
        return 0;
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        size_t len = strlen(words[w]);
        if (len != e - k)
            continue;
        size_t j = 0;
        while (j < len && (b[k + j] | 0x20) == words[w][j])
            j++;
        if (j == len)
            return 1;
    }
    return 0;
}

static void take_enh(sx_scan_result *res, const sx_code *c, unsigned gf)
{
    res->cls = c->cls;
    res->subj = c->subj;
    res->det = c->det;
    res->flags =
        (res->flags & ~(SMTPDX_REPLY_ENH_MISSPELT | SMTPDX_REPLY_ENH_INVALID)) |
        gf;
}

/* Decide about the group c read at b[i]. Returns 1 when it was used or
 * skipped as a whole (the walk goes on after it), 0 when it is no code
 * here and the walk should treat it as a word. */
static int consider(sx_scan *sc, sx_scan_result *res, sx_code *c, int *state)
{
    int strong = sc->at_head || c->start == sc->strong_at;

    if (sc->no_basic && c->basic) {
        if (!c->cls)
            return 0; /* "X-Unix; 255": an exit status */
        c->basic = 0;
        c->start = c->enh_start;
        c->sep = 0;
        c->quote = 0;
    }
    if (*state == ST_FOUND && res->prim.basic && !res->cls &&
        c->basic == res->prim.basic && c->start == res->prim.end + 1) {
        /* "554 554 5.7.0 ...": the code said twice, then its enhanced code */
        res->prim.end = c->end;
        if (c->cls) {
            /* the same flags as a code read in one go ("550 4.74.4") */
            take_enh(res, c,
                     (c->dashed ? SMTPDX_REPLY_ENH_MISSPELT : 0) |
                         (c->subj_ok ? 0 : SMTPDX_REPLY_ENH_INVALID));
            *state = ST_DONE;
        }
        return 1;
    }

    int pair = c->basic && c->cls;
    int codepos = strong || pair || c->hash;

    /* a bare x.y.z inside a sentence: only a failure class, so that a
     * "Dovecot 2.3.16" stays a version */
    if (c->cls && !c->basic && !codepos &&
        (!c->subj_ok || c->dashed || c->cls == 2))
        return 0;
    if (c->basic && !c->cls && !codepos && !introduced(sc->b, c->start))
        return 0;

    unsigned gf = 0;
    if (c->cls) {
        if (c->dashed)
            gf |= SMTPDX_REPLY_ENH_MISSPELT;
        if (c->dot && codepos) {
            gf |= SMTPDX_REPLY_ENH_MISSPELT; /* "5.7.1." */
            c->end++;
        }
        if (!c->subj_ok)
            gf |= SMTPDX_REPLY_ENH_INVALID;
    }
    if (c->bad && codepos)
        gf |= SMTPDX_REPLY_ENH_INVALID; /* "550 5.7.1000" */

    if (*state == ST_LOOK) {
        res->found = 1;
        res->prim = *c;
        res->basic = c->basic;
        take_enh(res, c, gf);
        sc->at_head = 0;
        if (!c->basic && !c->trailer) {
            /* "<mx #5.0.0 smtp;550 ...>": a type may follow */
            size_t d = c->end;
            if (d < sc->n && (sc->b[d] == ' ' || sc->b[d] == '\n'))
                d++;
            sc->diag_at = d;
        }
        if (c->quote)
            sc->close_quote = (char)c->quote;
        else if (c->start > 0 &&
                 (sc->b[c->start - 1] == '\'' || sc->b[c->start - 1] == '"'))
            sc->close_quote = sc->b[c->start - 1]; /* "'550 ... text'" */
        *state = ST_FOUND;
        return 1;
    }
    if (*state != ST_FOUND)
        return 1;

    if (!res->prim.basic && !res->prim.trailer && c->basic &&
        c->start - res->prim.end <= 256) {
        /* the DSN status gives way to the remote server's reply */
        sx_reply_span(sc, res->prim.start, res->prim.end, 0);
        res->prim = *c;
        res->basic = c->basic;
        if (c->cls)
            take_enh(res, c, gf);
        else
            res->flags |= gf;
        if (c->quote)
            sc->close_quote = (char)c->quote;
        *state = c->cls ? ST_DONE : ST_FOUND;
        return 1;
    }
    if (c->trailer) {
        if (res->basic && !res->cls) {
            take_enh(res, c, gf); /* qmail's (#5.5.0) */
            sx_reply_span(sc, c->start, c->end, 1);
            *state = ST_DONE;
        } else if (res->cls == c->cls && res->subj == c->subj &&
                   res->det == c->det) {
            sx_reply_span(sc, c->start, c->end, 1); /* says it twice */
        }
    }
    return 1;
}

/* What a token starting at b[i] (after the byte prev) may be: a wrapper,
 * or a code group that is used. Returns the offset after what it
 * consumed, or 0 when it is a word like others. */
static size_t token_at(sx_scan *sc, sx_scan_result *res, int *state,
                       size_t i, unsigned char prev)
{
    const char *b = sc->b;
    unsigned char ch = (unsigned char)b[i];
    sx_code c;

    if (SX_CT(ch, SX_C_WRAP) || sc->at_head) {
        size_t e = sx_reply_host_at(sc, i);
        if (e > i)
            return e;
    }
    /* ':' glued to a number is a port ("mx:25"), but not after a
     * space ("ERROR_CODE :550", Zoho) */
    if ((ch == '#' || ch == '(' || SX_CT(ch, SX_C_DIGIT)) &&
        (sx_reply_code_left_ok(prev) ||
         (prev == ':' && i >= 2 && SX_CT(b[i - 2], SX_C_WS)))) {
        int got = sx_reply_code_at(b, sc->n, i, &c);
        if (got && consider(sc, res, &c, state))
            return c.end > i ? c.end : i + 1;
        if (!got && c.bad && *state == ST_LOOK &&
            (sc->at_head || i == sc->strong_at))
            res->flags |= SMTPDX_REPLY_ENH_INVALID; /* "5.7.1000" */
    }
    return 0;
}

/* One step of the walk at the head of the text, where every token is
 * tried; returns where the walk goes on. */
static size_t head_step(sx_scan *sc, sx_scan_result *res, int *state,
                        size_t i)
{
    const char *b = sc->b;
    unsigned char ch = (unsigned char)b[i];

    if (SX_CT(ch, SX_C_WS))
        return i + 1;
    unsigned char prev = i ? (unsigned char)b[i - 1] : ' ';
    if (SX_CT(prev, SX_C_ALNUM | SX_C_HIGH))
        return i + 1; /* inside a word */
    size_t e = token_at(sc, res, state, i, prev);
    if (e != 0)
        return e;
    if (SX_CT(ch, SX_C_ALNUM | SX_C_HIGH))
        sc->at_head = 0; /* (the rest of the word is inside it) */
    return i + 1;
}

#ifdef __SSE2__
static inline __m128i eq8(__m128i v, char c)
{
    return _mm_cmpeq_epi8(v, _mm_set1_epi8(c));
}

/* Bit k set when token_at() can do anything at b[k] once the head is
 * passed: a token start (no word byte before it; the one before b[0] is
 * a word byte when carry is 1) whose first bytes can begin a code ('#',
 * '(#', a digit) or one of the wrappers of sx_reply_host_at(), which
 * takes no other token: that function's switch, sixteen bytes at once.
 * The third byte is looked at too where a word of the switch has one:
 * the words of a reply that share a wrapper's first two letters
 * ("sender", "recipient", "could") would otherwise each cost a call that
 * turns them away. The caller makes sure b[0, 18) is in the buffer. */
static unsigned starts16(const char *b, unsigned carry)
{
    __m128i v = _mm_loadu_si128((const __m128i *)b);
    __m128i v2 = _mm_loadu_si128((const __m128i *)(b + 1));
    __m128i v3 = _mm_loadu_si128((const __m128i *)(b + 2));
    __m128i l = _mm_or_si128(v, _mm_set1_epi8(0x20));
    __m128i l2 = _mm_or_si128(v2, _mm_set1_epi8(0x20));
    __m128i l3 = _mm_or_si128(v3, _mm_set1_epi8(0x20));
    __m128i o = eq8(l2, 'o'), s3 = eq8(l3, 's'), d = eq8(l, 'd');
    /* "connect", "conversation", "does", "host", "lost", "most" */
    __m128i t = _mm_and_si128(
        o, _mm_or_si128(
               _mm_or_si128(
                   _mm_and_si128(eq8(l, 'c'),
                                 _mm_or_si128(eq8(l3, 'n'), eq8(l3, 'v'))),
                   _mm_and_si128(d, eq8(l3, 'e'))),
               _mm_and_si128(_mm_or_si128(_mm_or_si128(eq8(l, 'h'),
                                                       eq8(l, 'l')),
                                          eq8(l, 'm')),
                             s3)));
    /* "did", "failed", "h=", "remote", "server", "smtp", "x-", "while" */
    t = _mm_or_si128(t, _mm_and_si128(_mm_and_si128(d, eq8(l2, 'i')),
                                      eq8(l3, 'd')));
    t = _mm_or_si128(t, _mm_and_si128(_mm_and_si128(eq8(l, 'f'),
                                                    eq8(l2, 'a')),
                                      eq8(l3, 'i')));
    t = _mm_or_si128(t, _mm_and_si128(eq8(l, 'h'), eq8(v2, '=')));
    t = _mm_or_si128(t, _mm_and_si128(_mm_and_si128(eq8(l, 'r'),
                                                    eq8(l2, 'e')),
                                      eq8(l3, 'm')));
    __m128i s = eq8(l, 's');
    t = _mm_or_si128(
        t, _mm_and_si128(s, _mm_or_si128(
                                _mm_and_si128(eq8(l2, 'e'), eq8(l3, 'r')),
                                _mm_and_si128(eq8(l2, 'm'), eq8(l3, 't')))));
    t = _mm_or_si128(t, _mm_and_si128(eq8(l, 'x'), eq8(v2, '-')));
    t = _mm_or_si128(t, _mm_and_si128(_mm_and_si128(eq8(l, 'w'),
                                                    eq8(l2, 'h')),
                                      eq8(l3, 'i')));
    /* "(in reply to", "(#5.1.1)", a log's "status=bounced (host",
     * "(connect to", "(conversation with", "(lost connection", ">>> " */
    t = _mm_or_si128(
        t, _mm_and_si128(
               eq8(v, '('),
               _mm_or_si128(
                   _mm_or_si128(_mm_and_si128(eq8(l2, 'i'), eq8(l3, 'n')),
                                eq8(v2, '#')),
                   _mm_or_si128(_mm_and_si128(eq8(l2, 'h'), eq8(l3, 'o')),
                                _mm_and_si128(_mm_or_si128(eq8(l2, 'c'),
                                                           eq8(l2, 'l')),
                                              eq8(l3, 'o'))))));
    t = _mm_or_si128(t, _mm_and_si128(_mm_and_si128(eq8(v, '>'),
                                                    eq8(v2, '>')),
                                      eq8(v3, '>')));
    /* '<', '#' and digits whatever follows */
    t = _mm_or_si128(t, _mm_or_si128(eq8(v, '<'), eq8(v, '#')));
    t = _mm_or_si128(
        t, _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                         _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1))));
    unsigned word = sx_reply_word16(b);
    return (unsigned)_mm_movemask_epi8(t) & ~((word << 1) | carry);
}
#endif

void sx_reply_scan(sx_scan *sc, sx_scan_result *res)
{
    const char *b = sc->b;
    size_t n = sc->n, i = 0;
    int state = ST_LOOK;

    memset(res, 0, sizeof *res);
    /* at the head every token may begin a wrapper: each is tried */
    while (i < n && sc->at_head)
        i = head_step(sc, res, &state, i);
#ifdef __SSE2__
    /* past it, token_at() at any other token would do nothing (the zero
     * padding after the text holds none of these, and loads at any i < n,
     * i + 1 and i + 2 stay in the buffer) */
    while (i < n) {
        size_t base = i;
        unsigned m = starts16(b + base,
                              base > 0 && SX_CT(b[base - 1],
                                                SX_C_ALNUM | SX_C_HIGH));
        for (;;) {
            if (m == 0) {
                i = base + 16;
                break;
            }
            size_t j = base + (size_t)__builtin_ctz(m);
            size_t e = token_at(sc, res, &state, j,
                                j ? (unsigned char)b[j - 1] : ' ');
            /* a word is passed by the mask: no token starts inside it */
            i = e != 0 ? e : j + 1;
            if (i >= base + 16)
                break;
            m &= ~0u << (i - base); /* none before where the walk is */
        }
    }
#else
    while (i < n) {
        unsigned char prev = i ? (unsigned char)b[i - 1] : ' ';
        size_t e = 0;
        if (!SX_CT(b[i], SX_C_WS) && !SX_CT(prev, SX_C_ALNUM | SX_C_HIGH))
            e = token_at(sc, res, &state, i, prev);
        i = e != 0 ? e : i + 1;
    }
#endif
}
