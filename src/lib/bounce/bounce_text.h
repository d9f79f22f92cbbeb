/*
 * bounce_text.h - small, bounded text tools the bounce detectors share:
 * caseless search, line walking, e-mail addresses, reply codes, the SMTP
 * command a sentence names.
 *
 * Everything works on spans (pointer + length) of decoded UTF-8 text with
 * LF line ends and never reads outside them; nothing allocates.
 */
#ifndef SX_BOUNCE_TEXT_H
#define SX_BOUNCE_TEXT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mime/mime.h"

static inline sx_str sx_bt_str(const char *p, size_t n)
{
    sx_str s = {p, n};
    return s;
}

/* ASCII lower case of each byte value (others map to themselves). */
extern const unsigned char sx_bt_lower[256];

/* ASCII caseless compare of n bytes. Inline: the detectors call it and
 * sx_bt_iprefix hundreds of times a message, mostly to fail at once. */
static inline int sx_bt_ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (sx_bt_lower[(unsigned char)a[i]] !=
            sx_bt_lower[(unsigned char)b[i]])
            return 0;
    return 1;
}

/* s starts with prefix (caseless). */
static inline int sx_bt_iprefix(const char *s, size_t n, const char *prefix)
{
    if (prefix[0] == '\0')
        return 1;
    if (n == 0 || sx_bt_lower[(unsigned char)s[0]] !=
                      sx_bt_lower[(unsigned char)prefix[0]])
        return 0;
    size_t pl = strlen(prefix);
    return pl <= n && sx_bt_ieq(s + 1, prefix + 1, pl - 1);
}

/* Is the header field name p[0..l) the lower-case name lc (letters, digits
 * and '-', l >= 2) but for the case of its letters? Bit 0x20 is set in p
 * only where lc holds a letter (letters have bit 0x40, '-' and digits do
 * not), so a letter matches either case and any other byte only itself.
 * Eight bytes at a time, the last word overlapping bytes already
 * compared: the lookups by length and last letter that call it ask it of
 * every field of a header block. */
static inline int sx_bt_name_is(const char *p, const char *lc, size_t l)
{
    if (l >= 8) {
        uint64_t a, b;
        for (size_t i = 0; i + 8 < l; i += 8) {
            memcpy(&a, p + i, 8);
            memcpy(&b, lc + i, 8);
            if ((a | ((b >> 1) & 0x2020202020202020ull)) != b)
                return 0;
        }
        memcpy(&a, p + l - 8, 8);
        memcpy(&b, lc + l - 8, 8);
        return (a | ((b >> 1) & 0x2020202020202020ull)) == b;
    }
    if (l >= 4) {
        uint32_t a, b, c, d;
        memcpy(&a, p, 4);
        memcpy(&b, lc, 4);
        memcpy(&c, p + l - 4, 4);
        memcpy(&d, lc + l - 4, 4);
        return ((a | ((b >> 1) & 0x20202020u)) == b) &
               ((c | ((d >> 1) & 0x20202020u)) == d);
    }
    for (size_t i = 0; i < l; i++) {
        unsigned char b = (unsigned char)lc[i];
        if (((unsigned char)p[i] | ((b >> 1) & 0x20)) != b)
            return 0;
    }
    return 1;
}

/* A list of header field names (lower case, NULL-terminated, at most 254)
 * looked up by a name's length and last letter: the index, built once by
 * the first lookup, holds for each (length, last byte's low five bits,
 * which tell letters apart whatever their case) the one name there, so a
 * field is compared with one name at most; a slot two names share, or a
 * name of SX_BT_NAMES_LEN bytes or more, sends the lookup through the
 * list. Declare one static: static sx_bt_names s = SX_BT_NAMES(list); */
#define SX_BT_NAMES_LEN 24
typedef struct sx_bt_names {
    const char *const *names;
    atomic_int state;  /* 0 none, 1 being built, 2 built */
    size_t maxlen;     /* the longest name's length */
    unsigned char at[SX_BT_NAMES_LEN][32]; /* index + 1; 0 none, 0xff more */
} sx_bt_names;
#define SX_BT_NAMES(list)                                                      \
    {                                                                          \
        (list), 0, 0, {{0}}                                                    \
    }
/* The index of p[0..l) in the list, or -1: through the list (and building
 * the index if it is not there yet). */
int sx_bt_names_walk(sx_bt_names *s, const char *p, size_t l);
/* The same, by the index; inline: asked of every field of a header. */
static inline int sx_bt_names_find(sx_bt_names *s, const char *p, size_t l)
{
    if (atomic_load_explicit(&s->state, memory_order_acquire) != 2)
        return sx_bt_names_walk(s, p, l);
    if (l == 0 || l > s->maxlen)
        return -1;
    if (l >= SX_BT_NAMES_LEN)
        return sx_bt_names_walk(s, p, l);
    unsigned k = s->at[l][(unsigned char)p[l - 1] & 31];
    if (k == 0xff)
        return sx_bt_names_walk(s, p, l);
    return k != 0 && sx_bt_name_is(p, s->names[k - 1], l) ? (int)k - 1 : -1;
}
/* First caseless occurrence of needle in h[0..hl), NULL if none. */
const char *sx_bt_ifind(const char *h, size_t hl, const char *needle);
/* Like sx_bt_ifind, but a blank in needle matches any run of blanks in h
 * (line ends too): for phrases a notification may wrap. *mend (may be
 * NULL) gets the end of the match. */
const char *sx_bt_ifind_ws(const char *h, size_t hl, const char *needle,
                           const char **mend);
/* Same over a span. */
int sx_bt_has(sx_str s, const char *needle);
/* Any of a NULL-terminated list of needles. */
int sx_bt_has_any(sx_str s, const char *const *needles);
/* A needle list searched for often (in every line, or every message):
 * sx_bt_has_set() is sx_bt_has_any() on set->needles, with the list's
 * index (the needles chained by first byte) built on first use and kept
 * for the life of the process instead of at every call. Up to
 * SX_BT_SET_MAX needles; a longer list is searched as sx_bt_has_any()
 * does. Declare one static: static sx_bt_set s = SX_BT_SET(list); */
#define SX_BT_SET_MAX 96
typedef struct sx_bt_set {
    const char *const *needles; /* NULL-terminated */
    atomic_int state;           /* 0 none, 1 being built, 2 built */
    unsigned char n;
    unsigned char head[256], next[SX_BT_SET_MAX];
    size_t minlen;
    /* by first byte, one bit for each needle's second byte (lower-cased,
     * its low five bits); all of them for a one-byte needle */
    uint32_t second[256];
    /* how far a window of the first win bytes of every needle (win >= 2,
     * else 0: no skipping) may move on, by the last two bytes in it (the
     * low five bits of each, which ignore the case of a letter) */
    unsigned char win;
    unsigned char skip[1024];
} sx_bt_set;
#define SX_BT_SET(list)                                                        \
    {                                                                          \
        (list), 0, 0, {0}, {0}, 0, {0}, 0, {0}                                 \
    }
int sx_bt_has_set(sx_str s, sx_bt_set *set);
/* Case-sensitive search. */
const char *sx_bt_find(const char *h, size_t hl, const char *needle);

/* Blanks (SP, HT, CR, LF) trimmed off both ends. */
sx_str sx_bt_trim(sx_str s);

/* The value of an RFC 3464 typed field ("dns; mx.example.org", "smtp;550
 * ...") without its type, trimmed; *type (when not NULL) gets the type.
 * strict: whatever stands before the first ';' is the type (a field of a
 * delivery-status part always has one). Otherwise, for fields quoted in
 * free text, only a word of up to 16 bytes without a blank counts, since a
 * reply may hold a ';' of its own. */
sx_str sx_bt_typed(sx_str v, sx_str *type, int strict);

/* Line walker over LF (or CR LF) separated text: each call gives the next
 * line without its end; returns 0 at the end of the text. A copy of it is
 * a saved position. The LFs are found 64 bytes at a time (sx_mem_mask64)
 * and taken from the bit mask: the readers walk many short lines, on
 * which one memchr call per line costs more than the search itself. */
typedef struct sx_btlines {
    const char *p, *end;
    unsigned count;
    const char *win; /* the bytes mask covers (NULL before the first line) */
    uint64_t mask;   /* the LFs in the window not yet passed */
} sx_btlines;
void sx_bt_lines_init(sx_btlines *it, const char *p, size_t n);
/* The LFs at and after it->p once the window's are used up (the first
 * window at the first line); 0 when no LF is left. */
uint64_t sx_bt_lines_refill(sx_btlines *it);
/* Inline: called once per line by every reader, mostly to take the next
 * bit of the mask. */
static inline int sx_bt_next_line(sx_btlines *it, sx_str *line)
{
    if (it->p == NULL || it->p >= it->end)
        return 0;
    uint64_t m = it->mask;
    if (m == 0)
        m = sx_bt_lines_refill(it);
    const char *nl = m ? it->win + __builtin_ctzll(m) : NULL;
    it->mask = m & (m - 1);
    const char *e = nl ? nl : it->end;
    line->p = it->p;
    line->len = (size_t)(e - it->p);
    if (line->len > 0 && line->p[line->len - 1] == '\r')
        line->len--;
    it->p = nl ? nl + 1 : it->end;
    it->count++;
    return 1;
}

/* The first e-mail address in s[0..n): *addr gets its span (without <>),
 * *next (may be NULL) the offset just past it. 0 when there is none. An
 * address is local@domain with a dotted domain name or [literal]. */
int sx_bt_find_addr(const char *s, size_t n, sx_str *addr, size_t *next);
/* s is exactly one address, maybe in <> and blanks. */
int sx_bt_is_addr(sx_str s, sx_str *addr);

/* A basic reply code at the start of s ("550 ", "550-", "550" at the end)
 * or 0. */
int sx_bt_reply_code(const char *s, size_t n);
/* The first enhanced status code ("5.1.1") in s, copied into out[16] and
 * its offset in *at; 0 when there is none. Only classes 2, 4 and 5. */
int sx_bt_find_enhanced(const char *s, size_t n, char out[16], size_t *at);
/* The first basic reply code (4xx/5xx followed by a blank, '-' or end)
 * that stands alone as a word in s, with its offset; 0 when none. */
int sx_bt_find_code(const char *s, size_t n, size_t *at);

/* The SMTP command a sentence says was answered ("in reply to RCPT TO
 * command", "after end of data", ">>> MAIL From:", "did not like our
 * DATA") as "RCPT", "DATA", "MAIL", "HELO", "EHLO", "CONN", "STARTTLS",
 * "AUTH", "BDAT"; NULL when none. */
const char *sx_bt_command(const char *s, size_t n);
typedef struct sx_bt_cmd_phrase {
    const char *phrase;
    const char *cmd;
} sx_bt_cmd_phrase;
extern const sx_bt_cmd_phrase sx_bt_command_phrases[];
extern const size_t sx_bt_ncommand_phrases;

/* n, or less so that s[0..n) does not end inside a UTF-8 sequence. */
size_t sx_bt_utf8_cut(const char *s, size_t n);

/* The domain part of an address ("" if none). */
sx_str sx_bt_domain(sx_str addr);

/* A host name or address literal at s: letters, digits, '-', '.', ':' and
 * [..]; returns its length (0 if none). */
size_t sx_bt_host_len(const char *s, size_t n);

/* Exchange's "Generating server:" label (or a localised one:
 * "Generierender Server:", "Serveur de génération :", "生成元サーバー:")
 * at s, with its colon, ASCII or full-width, and the blanks around it:
 * its length, 0 if s does not start with one. */
size_t sx_bt_genserver_label(const char *s, size_t n);
/* The labels' words, without their colons (NULL-terminated), for
 * searching a text for where one may start. */
extern const char *const sx_bt_genserver_words[];

#endif
