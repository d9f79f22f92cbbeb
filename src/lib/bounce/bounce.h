/*
 * bounce.h - inside the bounce parser: the view of one message that the
 * detectors read, the recipients they write, and the detector table.
 *
 * Flow (one message, one call, no state kept between calls):
 *   sx_bmail_open()   scans the MIME structure once and finds the parts a
 *                     bounce is made of (notification text, delivery-status
 *                     fields, returned message or headers, feedback report);
 *   detectors         the first family whose cheap marker check holds and
 *                     whose extractor finds recipients fills an sx_bres;
 *                     RFC 3464, ARF, RFC 3834 and a free-text fallback come
 *                     after the families (bounce.c decides the order);
 *   sx_bounce_emit()  turns each sx_brcpt into a classified smtpdx_record.
 *
 * Strings in an sx_bres live in its arena and die with it. Texts read from
 * the message are UTF-8 with LF line ends (sx_part_decode converts them).
 */
#ifndef SX_BOUNCE_H
#define SX_BOUNCE_H

#include <stddef.h>
#include <stdint.h>

#include "bounce/bounce_mark.h"
#include "mime/mime.h"
#include "smtpdx.h"
#include "util/sbuf.h"

/* Limits (also in the manual's limits table). */
#define SX_BOUNCE_MAX_RCPTS 1000u            /* recipients kept per message */
#define SX_BOUNCE_MAX_TEXT (512u * 1024u)    /* decoded notification text */
#define SX_BOUNCE_MAX_DSN (256u * 1024u)     /* decoded delivery-status */
#define SX_BOUNCE_MAX_DIAG (16u * 1024u)     /* one recipient's reply text */
#define SX_BOUNCE_MAX_LINES 20000u           /* lines walked per text */
#define SX_BOUNCE_MAX_NEST 3                 /* attached bounces looked into */

/* ------------------------------------------------------------- the arena */

typedef struct sx_barena_block sx_barena_block;
typedef struct sx_barena {
    sx_barena_block *head;
} sx_barena;

/* Copy s[0..n) and NUL-terminate; NULL on out of memory. */
char *sx_barena_dup(sx_barena *a, const char *s, size_t n);
void sx_barena_release(sx_barena *a);

/* ---------------------------------------------------------- recipients */

/* Strength of a detector's reason hint against the classifier's answer. */
enum {
    SX_HINT_NONE = 0,
    SX_HINT_WEAK,   /* used when the reply text matched no phrase */
    SX_HINT_STRONG  /* the family's own wording is decisive */
};

/* One failed (or reported) recipient as a detector found it. Every string
 * is "" when unknown, never NULL. */
typedef struct sx_brcpt {
    const char *recipient;   /* bare address */
    const char *alias;       /* Original-Recipient or the address written */
    const char *action;      /* "failed", "delayed", "delivered", ... */
    const char *status;      /* enhanced status from a Status field/text */
    const char *diag;        /* the reply or error text, unfolded */
    const char *diagtype;    /* "SMTP", "X-Postfix", ... */
    const char *command;     /* "CONN","HELO","EHLO","MAIL","RCPT","DATA",.. */
    const char *rhost;
    const char *lhost;
    const char *feedbacktype;
    const char *date;        /* Last-Attempt-Date or the like, raw */
    const char *retry_until; /* Will-Retry-Until of a delay warning, raw */
    const char *status_note; /* the comment after a Status code */
    smtpdx_reason hint;      /* SMTPDX_REASON_COUNT when none */
    int hint_strength;       /* SX_HINT_* */
    int temporary;           /* -1 unknown, 0 permanent, 1 temporary */
} sx_brcpt;

/* What a detector found in one message. */
typedef struct sx_bres {
    sx_brcpt *r;
    size_t n, cap;
    sx_barena arena;
    const char *agent;           /* detector name, Sisimai style */
    const char *reporting_mta;   /* per-message DSN fields, "" if none */
    const char *arrival_date;
    const char *received_from;
    const char *orig;            /* where a copy of the returned message's
                                    header starts in the text, or NULL */
    size_t orig_len;
    int temporary;               /* the whole report is a delay notice */
} sx_bres;

void sx_bres_init(sx_bres *res);
void sx_bres_release(sx_bres *res);
/* Forget the recipients (arena kept; strings stay valid until release). */
void sx_bres_reset(sx_bres *res);
/* Forget the recipients and free their strings (the array is kept). */
void sx_bres_clear(sx_bres *res);
/* Append an empty recipient; NULL on out of memory or past the limit
 * (*st tells which: SMTPDX_ERR_NOMEM or SMTPDX_ERR_LIMIT). */
sx_brcpt *sx_bres_add(sx_bres *res, smtpdx_status *st);
/* Copy s[0..n) (trimmed of blanks) into *field. */
smtpdx_status sx_bres_set(sx_bres *res, const char **field, const char *s,
                          size_t n);
smtpdx_status sx_bres_sets(sx_bres *res, const char **field, const char *s);
/* Find the recipient with this address (case-insensitive), NULL if none. */
sx_brcpt *sx_bres_find(sx_bres *res, const char *addr, size_t len);
/* What became of filling a list of one's own (st) that holds listed
 * recipients: SMTPDX_ERR_LIMIT with some listed means more than are
 * kept, no failure: the message's records are marked cut
 * (SMTPDX_CUT_RECIPIENTS) and SMTPDX_OK returned; else st as it is. */
struct sx_bmail;
smtpdx_status sx_bres_capped(struct sx_bmail *m, smtpdx_status st,
                             size_t listed);

/* ------------------------------------------------------------ the view */

/* The top-level header fields the detectors read, found in one pass. */
enum sx_bhdr {
    SX_H_FROM, SX_H_SUBJECT, SX_H_TO, SX_H_DATE, SX_H_CONTENT_TYPE,
    SX_H_X_FAILED_RECIPIENTS, SX_H_AUTO_SUBMITTED, SX_H_MESSAGE_ID,
    SX_H_X_APPLE_UNSUBSCRIBE, SX_H_X_AUTOREPLY, SX_H_X_AUTORESPOND,
    SX_H_X_AUTORESPONDER, SX_H_X_AUTO_RESPONSE, SX_H_PRECEDENCE,
    SX_H_REPLY_TO, SX_H_RETURN_PATH, SX_H_X_MAILER, SX_H_X_AMZ_SNS,
    SX_H_RECEIVED, SX_H_COUNT
};

/* One message as the detectors see it. Header values are raw spans into
 * the message (cheap to test); the decoded texts are UTF-8 with LF ends. */
typedef struct sx_bmail {
    sx_str hdr[SX_H_COUNT];      /* first field of each name, raw */
    sx_msg msg;
    /* raw top-level header values ({NULL, 0} when absent) */
    sx_str from, subject, to, date, ctype, xfailed, autosub, msgid;
    /* decoded subject and From (UTF-8, unfolded) */
    sx_sbuf subject_dec, from_dec;
    /* the notification: first text part (HTML turned to text when that is
     * all there is), or the whole body of a single-part message */
    const sx_part *text_part;
    const char *tx;              /* the text: into text, or zero-copy into
                                    the message when it needs no decoding */
    size_t txlen;
    sx_sbuf text;
    /* all other text/plain parts before the returned message, joined */
    sx_sbuf text2;
    /* machine-readable report parts (NULL when absent) */
    const sx_part *dsn_part;     /* message/(global-)delivery-status */
    const char *dsnp;            /* its body (any line ends: the field
                                    iterator reads them all) */
    size_t dsnlen;
    sx_sbuf dsn;
    const sx_part *arf_part;     /* message/feedback-report */
    const sx_part *mdn_part;     /* message/disposition-notification */
    const sx_part *orig_part;    /* returned message header holder: the
                                    inner entity of message/rfc822 or a
                                    text/rfc822-headers part */
    int multipart_report;        /* Content-Type multipart/report */
    int report_feedback;         /* report-type=feedback-report */
    sx_bmarks marks;             /* family phrases found in text */
    size_t body_end;             /* where a pasted copy starts in text */
    sx_sbuf scratch;             /* for detectors, reset freely */
    sx_sbuf scratch2;
    sx_bres dsnc;                /* dsnp's fields, parsed once on demand */
    int dsnc_done;
    unsigned cut;                /* SMTPDX_CUT_* met while reading it */
    int ready;                   /* storage made: open() reuses it */
    smtpdx_ctx *ctx;             /* the caller's, for the scanners */
} sx_bmail;

/* m is zeroed memory or a view opened before (its storage is reused). */
smtpdx_status sx_bmail_open(sx_bmail *m, smtpdx_ctx *ctx, const char *buf,
                            size_t len);
void sx_bmail_close(sx_bmail *m);

/* Per-thread state kept in the smtpdx_ctx: the marker scan's scratch and
 * a view kept for reuse, so that a message costs no allocation once the
 * buffers have grown to fit. */
typedef struct sx_bctx {
    void *scratch;       /* hs_scratch_t */
    sx_bmail *spare;     /* NULL while in use */
    struct evp_md_ctx_st *sha1; /* the token's digest context, reused */
    /* the outermost message's recipient list, emptied for the next one
     * (its array and arena block kept); a nested message, read while it
     * is in use, gets its own */
    sx_bres res;
    int res_busy;
    struct sx_bemit *emit; /* sx_bounce_emit()'s buffers (bounce_emit.c) */
    /* Read every message as if no family detector knew it (only the
     * standard reports and the free-text fallback): how a family never
     * seen fares. Set by the corpus test; 0 everywhere else. */
    unsigned char no_families;
} sx_bctx;
sx_bctx *sx_bctx_get(smtpdx_ctx *ctx);
void sx_bemit_free(struct sx_bemit *e);

/* SHA-1 (FIPS 180-4) of data, as 40 lower-case hex digits plus NUL
 * (bounce_sha1.c). SMTPDX_ERR_NOMEM when libcrypto fails. */
smtpdx_status sx_bsha1_hex(sx_bctx *b, const void *data, size_t len,
                           char out[41]);

/* Top-level header lookups (raw value span; {NULL,0} when absent). */
sx_str sx_bmail_header(const sx_bmail *m, const char *name);
static inline sx_str sx_bmail_hdr(const sx_bmail *m, enum sx_bhdr h)
{
    return m->hdr[h];
}

/* ------------------------------------------------------------ detectors */

typedef struct sx_detector {
    const char *name;                       /* smtpagent: "Postfix" */
    int (*match)(const sx_bmail *m);        /* cheap marker check */
    smtpdx_status (*extract)(sx_bmail *m, sx_bres *res);
} sx_detector;

/* The families' table has this many entries: a constant, so that the
 * walk over it is unrolled and each family's check called directly. */
#define SX_NDETECTORS 19
extern const sx_detector *const sx_detectors[SX_NDETECTORS];

/* The standard formats, also used by families that embed them. */
/* RFC 3464: fill res from m->dsn (or DSN-looking text); OK with no
 * recipients when there are none. */
smtpdx_status sx_bdsn_extract(sx_bmail *m, sx_bres *res);
/* RFC 8098: a disposition notification that says the message was deleted
 * unread ("...; deleted"), as a Sieve reject sends it (RFC 5429 2.1):
 * its recipients, refused by their own filter. OK with no recipients for
 * any other notification (a read receipt is no failure). */
smtpdx_status sx_bmdn_extract(sx_bmail *m, sx_bres *res);
/* Fill what a family left empty (Status, Action, Remote-MTA, dates, ...)
 * from the message's delivery-status part, pairing by address. */
smtpdx_status sx_bdsn_merge(sx_bmail *m, sx_bres *res);
/* Parse DSN fields out of any buffer (a text part holding a report). */
smtpdx_status sx_bdsn_parse(const char *buf, size_t len, sx_bres *res);
int sx_barf_match(const sx_bmail *m);
smtpdx_status sx_barf_extract(sx_bmail *m, sx_bres *res);
int sx_bautoreply_match(const sx_bmail *m);
smtpdx_status sx_bautoreply_extract(sx_bmail *m, sx_bres *res);
int sx_bgeneric_match(const sx_bmail *m);
/* Does a subject speak of a failed delivery ("Undelivered", "Returned
 * mail", ...)? */
int sx_bgeneric_subject(sx_str s);
smtpdx_status sx_bgeneric_extract(sx_bmail *m, sx_bres *res);
/* Diagnostics missing from a delivery-status part, taken from the
 * notification text where it pairs them with the recipients. */
smtpdx_status sx_bgeneric_fill_diag(sx_bmail *m, sx_bres *res);
/* Commands, hosts and missing answers from a session transcript that the
 * notification text gives under a recipient of the report. */
smtpdx_status sx_bgeneric_fill_transcript(sx_bmail *m, sx_bres *res);
/* The name of the software that wrote a notice no family reader took
 * (bounce_agent.c), or NULL when nothing names it. */
const char *sx_bagent_name(const sx_bmail *m, const sx_bres *res);
/* The provider whose MTA wrote a notice that family d's reader took
 * (SendGrid's Postfix, 1&1's Exim, ...), "RFC3464" for a standard report
 * that only borrows an MTA's format, or NULL to keep the reader's name. */
const char *sx_bagent_provider(const sx_bmail *m, const sx_detector *d,
                               const sx_bres *res);
/* Scan free text for "address ... reply" pairs (the fallback's engine,
 * also used by families for their free-form parts). */
smtpdx_status sx_bgeneric_scan(sx_bmail *m, const char *text, size_t len,
                               sx_bres *res);

/* -------------------------------------------------------------- records */

/* Classify every recipient of res and append one record each to out. */
smtpdx_status sx_bounce_emit(smtpdx_ctx *ctx, sx_bmail *m, sx_bres *res,
                             const char *origin, smtpdx_records *out);

#endif
