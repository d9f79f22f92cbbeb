/*
 * reply.h - internals shared by the files of the reply parser.
 *
 * The parser works in one buffer owned by the reply (no allocation once it
 * has grown to the largest input seen):
 *   reply_norm.c  copies the input in as clean UTF-8, words separated by a
 *                 single ' ' (or '\n' where a line ended), cut at the limit;
 *   reply_code.c  recognises one code group ("550 5.1.1", "#5.0.0", ...)
 *                 at a given offset;
 *   reply_host.c  recognises the wrappers around a reply (Postfix "host X[A]
 *                 said:", Exim "SMTP error ... after RCPT TO:", Exchange
 *                 "Remote Server returned '...'", ...) and takes the remote
 *                 host and the SMTP command from them;
 *   reply_scan.c  walks the buffer once, token by token, calling the two
 *                 above, and picks the reply's own code;
 *   reply_parse.c the public calls; compacts the buffer in place into the
 *                 final text;
 *   reply_ctype.c the byte classes the per-byte loops look up.
 * None of these functions allocates or reads outside [b, b + n), except
 * the sixteen-byte loads, which may read the SX_REPLY_PAD zero bytes that
 * follow the text.
 */
#ifndef SX_REPLY_H
#define SX_REPLY_H

#include <stddef.h>

#include "smtpdx.h"

/* Marks a deleted byte in the work buffer. Normalisation replaces every
 * control character, so this byte never occurs in real text. */
#define SX_REPLY_DEL '\001'

/* Zero bytes kept after the normalised text b[0..n): a sixteen-byte load
 * at any offset up to n + 1 stays in the buffer (the token scan reads
 * three overlapping blocks from any i < n), and a word or run of text
 * always ends at b[n] (no class holds NUL), so the block loops need no
 * byte-by-byte tail. */
#define SX_REPLY_PAD 32u

/* ----------------------------------------------------- reply_ctype.c */

enum {
    SX_C_ALNUM = 0x01, /* 0-9 A-Z a-z */
    SX_C_HIGH = 0x02,  /* a byte of a non-ASCII character */
    SX_C_DIGIT = 0x04,
    SX_C_WS = 0x08,    /* ' ' and '\n', the only white space left */
    SX_C_PLAIN = 0x10, /* copied as it is when compacting: not white
                          space, deleted, a digit or '#' */
    SX_C_ALPHA = 0x20,
    SX_C_WRAP = 0x40 /* may start a wrapper of reply_host.c */
};
extern const unsigned char sx_reply_ctype[256];
#define SX_CT(c, bits) (sx_reply_ctype[(unsigned char)(c)] & (bits))

#ifdef __SSE2__
#include <emmintrin.h>
/* The same classes for sixteen bytes at once: bit k of the result is set
 * when byte k of b is ALNUM or HIGH (sx_reply_word16), or PLAIN or a ' '
 * that the next byte of the block, PLAIN, follows (sx_reply_plain16: what
 * compacting copies unchanged). The caller makes sure b[0..16) is in the
 * buffer. */
static inline unsigned sx_reply_word16(const char *b)
{
    __m128i v = _mm_loadu_si128((const __m128i *)b);
    __m128i l = _mm_or_si128(v, _mm_set1_epi8(0x20));
    __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(l, _mm_set1_epi8('a' - 1)),
                                  _mm_cmplt_epi8(l, _mm_set1_epi8('z' + 1)));
    __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                  _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
    /* bytes from 0x80 (HIGH) have their sign bit set */
    return (unsigned)_mm_movemask_epi8(
        _mm_or_si128(_mm_or_si128(alpha, digit), v));
}

static inline unsigned sx_reply_plain16(const char *b)
{
    __m128i v = _mm_loadu_si128((const __m128i *)b);
    /* above ' ' as unsigned bytes: flip the sign bit, compare signed */
    __m128i above = _mm_cmpgt_epi8(_mm_xor_si128(v, _mm_set1_epi8((char)0x80)),
                                   _mm_set1_epi8((char)(' ' ^ 0x80)));
    __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                  _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
    __m128i hash = _mm_cmpeq_epi8(v, _mm_set1_epi8('#'));
    unsigned plain = (unsigned)_mm_movemask_epi8(
        _mm_andnot_si128(_mm_or_si128(digit, hash), above));
    /* a single ' ' between two PLAIN bytes is copied as it is too */
    unsigned space = (unsigned)_mm_movemask_epi8(
        _mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
    return plain | (space & (plain >> 1));
}
#endif

/* ------------------------------------------------------ reply_norm.c */

/* Copy len bytes of untrusted input to out as valid UTF-8 without control
 * characters: NUL and other controls become U+FFFD, each maximal invalid
 * UTF-8 subpart becomes one U+FFFD (SMTPDX_REPLY_BAD_BYTES), runs of white
 * space become one ' ', or one '\n' when they held a line end (LF, CRLF or
 * CR); nothing leads or trails. At most max bytes are written, cut at a
 * character boundary (SMTPDX_REPLY_TRUNCATED when something was left);
 * out must hold max + 1 bytes, or 3 * len + 1 when that is less. *breaks
 * counts the kept line breaks. Returns the length written (no NUL added). */
size_t sx_reply_norm(const char *in, size_t len, char *out, size_t max,
                     unsigned *flags, unsigned *breaks);

/* ------------------------------------------------------ reply_code.c */

/* One code group as written: a basic code, an enhanced code or both. */
typedef struct sx_code {
    size_t start, end;     /* the whole group: '(#', '#', codes, ')' */
    size_t enh_start;      /* where the enhanced code begins */
    int basic;             /* RFC 5321 4.2 code, 0 when none */
    int cls, subj, det;    /* RFC 3463 code, cls 0 when none */
    unsigned bad;          /* SMTPDX_REPLY_ENH_INVALID: a detail of four
                              or more digits stood where a code stands */
    unsigned char sep;     /* after the basic code: ' ', '-' or 0 */
    unsigned char hash;    /* written "#550" or "#5.1.1" */
    unsigned char trailer; /* qmail's "(#5.1.1)" */
    unsigned char quote;   /* quote between the codes ("550-'5.7.1"), or 0 */
    unsigned char dashed;  /* "5-7-1" */
    unsigned char dot;     /* a '.' right after the enhanced code */
    unsigned char subj_ok; /* subject is one RFC 3463 section 3 defines */
} sx_code;

/* Read a code group starting at b[i] (the caller checked that b[i] starts
 * a token). Returns 1 and fills *c when a basic or enhanced code is there;
 * 0 otherwise (c->bad may still be set). */
int sx_reply_code_at(const char *b, size_t n, size_t i, sx_code *c);

/* Can the byte before a code be there? ("192.0.2.550" and ":250" no). */
int sx_reply_code_left_ok(unsigned char prev);

/* Write "5.7.1" into out (16 bytes); returns its length. */
size_t sx_reply_enh_format(char *out, int cls, int subj, int det);

/* ------------------------------------------------------ reply_host.c */

#define SX_REPLY_MAX_SPANS 24

/* Scanner state shared by reply_scan.c and reply_host.c. */
typedef struct sx_scan {
    char *b; /* the normalised buffer */
    size_t n;
    smtpdx_reply *r; /* host, addr, command are written here */
    int cmd_prio;    /* 2 stated ("in reply to"), 1 inferred */
    /* Spans to delete: wrappers (only when before the reply's code) and
     * trailers (always). */
    struct {
        size_t s, e;
        unsigned char always;
    } span[SX_REPLY_MAX_SPANS];
    size_t nspan;
    int at_head;      /* no word of text has been passed yet */
    size_t strong_at; /* a code here is in code position */
    size_t diag_at;   /* a "smtp;" type may stand here */
    int no_basic;     /* "x-unix;": numbers are exit codes */
    char close_quote; /* delete this closing quote at the end */
    char close_last;  /* delete this closing '>' or ')' at the end */
} sx_scan;

/* Try every wrapper or phrase that can start at b[i] (a token start).
 * Returns the offset after what was consumed, or i when nothing matched
 * (phrases that only give facts consume nothing and return i). */
size_t sx_reply_host_at(sx_scan *sc, size_t i);

/* Record a span to delete; ignored when the table is full. */
void sx_reply_span(sx_scan *sc, size_t s, size_t e, int always);

/* ------------------------------------------------------ reply_scan.c */

/* What the scan decided. */
typedef struct sx_scan_result {
    int found;                 /* a reply code was found */
    sx_code prim;              /* its group; prim.basic/cls are the codes */
    int basic, cls, subj, det; /* final codes (an earlier "#5.0.0" may
                                  give the enhanced part) */
    unsigned flags;            /* SMTPDX_REPLY_* seen while scanning */
} sx_scan_result;

void sx_reply_scan(sx_scan *sc, sx_scan_result *res);

#endif
