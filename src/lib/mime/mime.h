/*
 * mime.h - a zero-copy MIME structure scanner (RFC 5322, RFC 2045-2049)
 * with on-demand decoding (RFC 2047 words, RFC 2231 parameters, base64,
 * quoted-printable, charsets to UTF-8) and an RFC 3464 field iterator.
 *
 * Contract:
 *  - sx_msg_parse() never copies the message: every span (sx_str) points
 *    into the caller's buffer, which must outlive the sx_msg and stay
 *    unchanged while it is used. Lower-cased type names and charsets are
 *    small copies kept inside each sx_part.
 *  - Parsing is tolerant: broken input gives a structure plus flags that
 *    say what was odd (SX_MSG_F_*, SX_PART_F_*), never a failure. Only
 *    SMTPDX_ERR_NOMEM, SMTPDX_ERR_INVAL and SMTPDX_ERR_LIMIT (message
 *    larger than limits.max_message) are returned.
 *  - Every limit is fixed at sx_msg_init(); crossing one truncates the
 *    structure and sets a flag, so the work per byte stays bounded.
 *  - Line ends may be LF, CRLF or CR alone. The convention is decided per
 *    buffer from its first line end; a CR-only message parses exactly as
 *    its LF copy does (same parts, same headers, same decoded text).
 *  - Decoding happens only when asked (sx_msg_header, sx_part_decode, ...)
 *    and writes into a caller sx_sbuf, which bounds its size.
 *  - One sx_msg is used by one thread at a time; parsing again into the
 *    same sx_msg reuses its storage.
 */
#ifndef SX_MIME_H
#define SX_MIME_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "smtpdx.h"
#include "util/sbuf.h"

/* A span of bytes; not NUL-terminated. */
typedef struct sx_str {
    const char *p;
    size_t len;
} sx_str;

/* ---------------------------------------------------------------- limits */

/* Defaults, also documented in the limits table of the manual. */
#define SX_MIME_MAX_MESSAGE   (64u * 1024u * 1024u) /* bytes per message */
#define SX_MIME_MAX_DEPTH     32u    /* nesting of entities (top = 0) */
#define SX_MIME_MAX_PARTS     1000u  /* entities per message, top included */
#define SX_MIME_MAX_HEADERS   2000u  /* fields per header block */
#define SX_MIME_MAX_HDR_BLOCK (1024u * 1024u) /* bytes per header block */
#define SX_MIME_MAX_FIELD     (64u * 1024u)   /* bytes per header field,
                                                 folded lines included */
#define SX_MIME_MAX_WORDS     1000u  /* RFC 2047 encoded words per value */

typedef struct sx_msg_limits {
    size_t max_message;   /* larger input: SMTPDX_ERR_LIMIT */
    unsigned max_depth;   /* deeper entities are kept as opaque leaves */
    unsigned max_parts;   /* later entities are not listed */
    unsigned max_headers; /* later fields of a block are not listed */
    size_t max_hdr_block; /* a longer block ends there; the rest is body */
    size_t max_field;     /* a longer field is cut (value span shortened) */
} sx_msg_limits;

/* Fill with the SX_MIME_MAX_* defaults. */
void sx_msg_limits_default(sx_msg_limits *lim);

/* ---------------------------------------------------------------- header */

/* One header field as found: name without the colon (trailing blanks
 * trimmed), value from after the colon and leading blanks up to the end
 * of the field's last line (folding line ends inside, final one not). */
typedef struct sx_hdr {
    sx_str name;
    sx_str value;
} sx_hdr;

/* ------------------------------------------------------------------ part */

/* Content-Transfer-Encoding (RFC 2045 6.1). Unknown values are IDENTITY
 * with SX_PART_F_BAD_CTE set. */
typedef enum sx_cte {
    SX_CTE_IDENTITY = 0, /* 7bit, 8bit, binary or absent */
    SX_CTE_BASE64,
    SX_CTE_QP,
    SX_CTE_UUENCODE      /* x-uuencode and kin: decoded as identity */
} sx_cte;

/* Content-Disposition (RFC 2183). */
typedef enum sx_disp {
    SX_DISP_NONE = 0,
    SX_DISP_INLINE,
    SX_DISP_ATTACHMENT,
    SX_DISP_OTHER
} sx_disp;

/* Part flags: what was odd about one entity. */
#define SX_PART_F_DEFAULT_TYPE 0x0001u /* no usable Content-Type: default
                                          (text/plain, or message/rfc822 in
                                          multipart/digest) RFC 2045 5.2 */
#define SX_PART_F_BAD_TYPE     0x0002u /* Content-Type present but broken */
#define SX_PART_F_NO_BOUNDARY  0x0004u /* multipart without boundary:
                                          kept as a leaf */
#define SX_PART_F_NO_END       0x0008u /* multipart whose closing delimiter
                                          never came (RFC 2046 5.1.1) */
#define SX_PART_F_DEPTH_LIMIT  0x0010u /* too deep: kept as a leaf */
#define SX_PART_F_PART_LIMIT   0x0020u /* children beyond max_parts dropped */
#define SX_PART_F_HDR_LIMIT    0x0040u /* header count/size limit crossed */
#define SX_PART_F_NO_HEADERS   0x0080u /* no header block (body at once) */
#define SX_PART_F_HDR_EOF      0x0100u /* headers ran to the end of data */
#define SX_PART_F_BAD_CTE      0x0200u /* unknown transfer encoding */
#define SX_PART_F_MESSAGE      0x0400u /* this entity is the root of a
                                          message: index 0, or the child of
                                          a message/rfc822|global part */
#define SX_PART_F_BAD_HDR_LINE 0x0800u /* a header line without a colon */
#define SX_PART_F_FIELD_LIMIT  0x1000u /* a field longer than max_field */
#define SX_PART_F_NO_BLANK     0x2000u /* the header block ended without its
                                          blank line (end of data, a
                                          delimiter, a limit) */
#define SX_PART_F_PARAM_FOLD   0x4000u /* a parameter ("boundary=...") on a
                                          line of its own without the
                                          leading blank of a fold, read as
                                          the fold it was meant to be */

#define SX_NONE UINT32_MAX

/* One entity. Parts live in a flat array in pre-order (a parent comes
 * before its children, siblings in order of appearance); index 0 is the
 * message itself. A message/rfc822 or message/global part (RFC 2046
 * 5.2.1, RFC 6532) whose encoding allows it has exactly one child: the
 * encapsulated message, flagged SX_PART_F_MESSAGE, whose header block is
 * that message's header (Subject, Message-ID, ...) and whose own structure
 * follows as its descendants. */
typedef struct sx_part {
    uint32_t index;
    uint32_t parent;       /* SX_NONE for the top */
    uint32_t depth;        /* 0 for the top */
    uint32_t nchildren;    /* direct children */
    uint32_t next_sibling; /* SX_NONE for the last child */
    uint32_t hdr_first;    /* first of this entity's fields in the message
                              header table, hdr_count of them */
    uint32_t hdr_count;
    unsigned flags;        /* SX_PART_F_* */
    char type[32];         /* lower case: "text", "multipart", ... */
    char subtype[64];      /* lower case: "plain", "report", ...; long
                              names are cut */
    char charset[40];      /* lower case charset parameter, "" if none */
    sx_cte cte;
    sx_disp disp;
    sx_str boundary;       /* multipart boundary parameter (raw, unquoted
                              when it was a plain quoted-string) */
    sx_str header;         /* the raw header block, without the blank line */
    sx_str body;           /* the raw body: for a multipart everything from
                              the blank line to the delimiter that ends it
                              (preamble and epilogue included); the line end
                              before a delimiter belongs to the delimiter
                              (RFC 2046 5.1.1) */
} sx_part;

/* --------------------------------------------------------------- message */

/* Message flags. */
#define SX_MSG_F_EOL_CR     0x0001u /* line ends are CR alone */
#define SX_MSG_F_EOL_CRLF   0x0002u /* line ends are CRLF */
#define SX_MSG_F_PART_LIMIT 0x0004u /* some entities were not listed */
#define SX_MSG_F_DEPTH_LIMIT 0x0008u /* some entity was too deep */
#define SX_MSG_F_HDR_LIMIT  0x0010u /* some header block was cut */
#define SX_MSG_F_NUL        0x0020u /* NUL bytes seen in headers */
#define SX_MSG_F_MBOX_FROM  0x0040u /* a leading "From " line was skipped */
#define SX_MSG_F_BROKEN     0x0080u /* some part has a structural flag
                                       (NO_END, NO_BOUNDARY, BAD_TYPE) */

typedef struct sx_msg {
    /* read-only after sx_msg_parse() */
    const char *buf;
    size_t len;
    unsigned flags;        /* SX_MSG_F_* */
    sx_part *parts;
    uint32_t nparts;
    sx_hdr *hdrs;          /* all header blocks, one after the other */
    uint32_t nhdrs;
    /* private */
    sx_msg_limits lim_;
    uint32_t parts_cap_, hdrs_cap_;
} sx_msg;

/* Prepare an empty message; lim NULL means the defaults. No allocation. */
void sx_msg_init(sx_msg *m, const sx_msg_limits *lim);

/* Scan buf[0..len) as one message (RFC 5322 header, blank line, body, MIME
 * structure). buf is kept, not copied: it must outlive every later call on
 * m. A leading mbox "From " line is skipped. Parsing again into m forgets
 * the previous message and reuses the storage.
 * Returns SMTPDX_OK (also for broken input: see the flags),
 * SMTPDX_ERR_INVAL (m NULL, buf NULL with len > 0), SMTPDX_ERR_LIMIT (len >
 * max_message; m is then empty), SMTPDX_ERR_NOMEM (m is then empty). */
smtpdx_status sx_msg_parse(sx_msg *m, const char *buf, size_t len);

/* Free the storage; m is left as after sx_msg_init (same limits). NULL ok. */
void sx_msg_release(sx_msg *m);

/* Part i (0 = top), NULL when out of range. */
const sx_part *sx_msg_part(const sx_msg *m, size_t i);

/* First part with index >= from whose type and subtype match (either may
 * be NULL or "*" for any; lower case), NULL if none. */
const sx_part *sx_msg_find_part(const sx_msg *m, size_t from,
                                const char *type, const char *subtype);

/* The encapsulated message of a message/rfc822|global part (its only
 * child), NULL when p is not such a part or it was not parsed. */
const sx_part *sx_part_inner(const sx_msg *m, const sx_part *p);

/* Non-zero when p has this type and subtype (lower case, "*" for any). */
int sx_part_is(const sx_part *p, const char *type, const char *subtype);

/* --------------------------------------------------------------- headers */

/* The fields of p's header block (p NULL: the top), in order; *n gets the
 * count. Never NULL when *n > 0. */
const sx_hdr *sx_part_headers(const sx_msg *m, const sx_part *p, size_t *n);

/* The nth (0-based) field named name (ASCII case-insensitive) in p's block
 * (p NULL: the top), NULL when there are fewer. */
const sx_hdr *sx_msg_header_raw(const sx_msg *m, const sx_part *p,
                                const char *name, size_t nth);

/* How many fields named name p's block has. */
size_t sx_msg_header_count(const sx_msg *m, const sx_part *p,
                           const char *name);

/* The first field named name, unfolded (RFC 5322 2.2.3), RFC 2047 words
 * decoded (RFC 2047 6.1: blanks between adjacent words dropped) and turned
 * into UTF-8; leading and trailing blanks trimmed; bytes that are not
 * UTF-8 are read as Latin-1; control characters other than TAB become
 * spaces. out is reset first (its max bounds the result).
 * Returns SMTPDX_OK when found, SMTPDX_ERR_PARSE when there is no such
 * field (out empty), SMTPDX_ERR_LIMIT (out holds what fit), NOMEM. */
smtpdx_status sx_msg_header(const sx_msg *m, const sx_part *p,
                            const char *name, sx_sbuf *out);

/* The same decoding for any raw value (a field value, a DSN field). */
smtpdx_status sx_hdr_decode(const char *v, size_t len, sx_sbuf *out);

/* Unfold only (no RFC 2047, no charset): line ends inside v removed
 * (RFC 5322 2.2.3), runs of blanks kept, ends trimmed. out is reset. */
smtpdx_status sx_hdr_unfold(const char *v, size_t len, sx_sbuf *out);

/* ------------------------------------------------------------ parameters */

/* Parameter name of field hdr ("Content-Type", "Content-Disposition")
 * in p's block, decoded to UTF-8: RFC 2231 continuations (name*0, name*1*)
 * joined and charset'lang'%XX values converted; quoted strings unquoted;
 * RFC 2047 words inside a value decoded (common though not allowed).
 * out is reset. Returns SMTPDX_OK, SMTPDX_ERR_PARSE when absent,
 * SMTPDX_ERR_LIMIT, NOMEM. */
smtpdx_status sx_part_param(const sx_msg *m, const sx_part *p,
                            const char *hdr, const char *name, sx_sbuf *out);

/* The same over a raw field value (what follows the colon). */
smtpdx_status sx_param_get(const char *value, size_t len, const char *name,
                           sx_sbuf *out);

/* -------------------------------------------------------------- decoding */

/* sx_part_decode flags */
#define SX_DECODE_RAW_CHARSET 0x1u /* transfer-decode only, keep bytes */
#define SX_DECODE_KEEP_EOL    0x2u /* keep line ends; by default text and
                                      message parts get LF line ends */

/* What sx_part_decode found (may be NULL). */
#define SX_DEC_BAD_BASE64      0x01u /* junk skipped or padding wrong */
#define SX_DEC_BAD_QP          0x02u /* malformed =XX kept as is */
#define SX_DEC_CHARSET_UNKNOWN 0x04u /* unknown charset: UTF-8 kept if
                                        valid, else read as Latin-1 */
#define SX_DEC_REPLACED        0x08u /* invalid sequences became U+FFFD */
#define SX_DEC_TRUNCATED       0x10u /* out->max reached */
#define SX_DEC_CHARSET_MISLABELED 0x20u /* invalid in the declared charset
                                        but valid UTF-8: read as UTF-8 */

/* The body of p transfer-decoded (base64 tolerant of junk and blanks;
 * quoted-printable with soft breaks, RFC 2045 6.7) and, for text and
 * message parts, converted from its charset to UTF-8 (glibc iconv;
 * invalid sequences become U+FFFD, but text invalid in its declared
 * charset and valid as UTF-8 is taken as UTF-8; no charset means
 * US-ASCII, read as UTF-8 when valid and Latin-1 otherwise). Line ends become LF unless
 * SX_DECODE_KEEP_EOL. For a multipart the raw body is given. out is
 * reset; *info (may be NULL) gets SX_DEC_* bits.
 * Returns SMTPDX_OK, SMTPDX_ERR_LIMIT (out->max reached; out holds the
 * start), SMTPDX_ERR_NOMEM, SMTPDX_ERR_INVAL. */
smtpdx_status sx_part_decode(const sx_msg *m, const sx_part *p,
                             unsigned flags, sx_sbuf *out, unsigned *info);

/* The body of p as bytes after transfer decoding, without a copy when the
 * encoding is identity (*data then points into the message buffer);
 * otherwise decoded into scratch (reset first) and *data = scratch->data.
 * Line ends and charset untouched. Returns as sx_part_decode. */
smtpdx_status sx_part_body(const sx_msg *m, const sx_part *p,
                           sx_sbuf *scratch, const char **data, size_t *len);

/* Convert len bytes in charset (any MIME name or alias, case-insensitive;
 * NULL or "" = US-ASCII) to UTF-8, appending to out. Same replacement
 * policy and info bits as sx_part_decode. */
smtpdx_status sx_charset_to_utf8(const char *charset, const char *in,
                                 size_t len, sx_sbuf *out, unsigned *info);

/* --------------------------------------------- RFC 3464 field iterator */

/* Walks the fields of a message/delivery-status (RFC 3464 2.1) or
 * message/global-delivery-status (RFC 6533) body: blocks of fields
 * separated by blank lines, the first being the per-message block, each
 * later one a per-recipient block. Folded values are unfolded. Lines that
 * are not fields (no colon) are skipped and counted. Works for LF, CRLF,
 * CR-only; bounded by the input size. Also usable on any header-like text
 * (text/rfc822-headers). */
typedef struct sx_dsn_iter {
    const char *p, *end;
    const char *win;       /* the line ends of win[0..64) not yet passed */
    uint64_t mask;         /* are kept between calls (see sx_lcur) */
    unsigned block;        /* current block number */
    int started;           /* a field was seen in the current block */
    int eol;               /* line-end convention: '\n' or '\r' */
    unsigned junk;         /* lines skipped */
    sx_sbuf val;           /* storage for unfolded values */
} sx_dsn_iter;

typedef struct sx_dsn_field {
    sx_str name;           /* trailing blanks trimmed */
    sx_str value;          /* unfolded, trimmed; points into the input when
                              the field was not folded, else into the
                              iterator: valid until the next call */
    unsigned block;        /* 0 = first block (per-message), 1.. = per-
                              recipient blocks in order */
    int block_start;       /* 1 for the first field of a block */
    int code;              /* what want() said of the name (-1 without) */
} sx_dsn_field;

/* Start over buf[0..len), which must outlive the iterator's use. */
void sx_dsn_iter_init(sx_dsn_iter *it, const char *buf, size_t len);
/* Next field: SMTPDX_OK with f filled, SMTPDX_ERR_PARSE at the end,
 * SMTPDX_ERR_NOMEM. Values longer than SX_MIME_MAX_FIELD are cut. */
smtpdx_status sx_dsn_fields_next(sx_dsn_iter *it, sx_dsn_field *f);
/* The same walk, but want() is asked about each name first: it returns
 * the reader's own code for it, kept in f->code, and a value is made only
 * where that code is at least 0 and below want_max; the others come with
 * an empty value. For readers that need a few fields of a long header
 * block (folded Received lines cost most), and that would otherwise look
 * each name up again to tell what it is. */
smtpdx_status sx_dsn_fields_next_want(sx_dsn_iter *it, sx_dsn_field *f,
                                      int (*want)(sx_str name), int want_max);
/* Free the iterator's storage. */
void sx_dsn_iter_release(sx_dsn_iter *it);

/* ASCII case-insensitive equality of a[0..n) and the C string c. */
int sx_mem_ieq(const char *a, size_t n, const char *c);

/* The same for a span. Inline because detectors call it by the hundred
 * per message, and most calls are settled by the first byte. */
static inline int sx_str_ieq(sx_str s, const char *c)
{
    /* c is most often a literal, whose length is then known when this is
     * compiled: names of another length are told apart without a call */
    if (strlen(c) != s.len)
        return 0;
    if (s.len == 0)
        return 1;
    /* equal ignoring ASCII case implies equal once bit 0x20 is set */
    if (((unsigned char)s.p[0] | 0x20) != ((unsigned char)c[0] | 0x20))
        return 0;
    return sx_mem_ieq(s.p, s.len, c);
}

#endif
