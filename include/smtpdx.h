/*
 * smtpdx.h - the one public interface of libsmtpdx.
 *
 * libsmtpdx explains why an email was not delivered: it parses SMTP replies,
 * bounce mails and MTA logs, classifies each failure against a compiled-in
 * knowledge base and produces records that say the reason, the finer cause,
 * whether it is temporary, who must act and what to do.
 *
 * Ownership, once for the whole API:
 *  - The caller owns what it passes in; the library never keeps a pointer to
 *    caller memory beyond the call, unless a function says so.
 *  - Every smtpdx_X_new() has a smtpdx_X_free(); smtpdx_X_free(NULL) is a no-op.
 *  - Strings inside a result (smtpdx_explanation, smtpdx_record) belong to the
 *    object that holds the result and live until that object is freed or
 *    reused by the next call on it. Strings from the knowledge base
 *    (summaries, steps, references) are static and never freed.
 *  - The library never prints, exits or aborts: every fallible call returns
 *    an smtpdx_status, out-of-memory included.
 *
 * Threads: the compiled knowledge base is shared read-only by all threads.
 * An smtpdx_ctx holds per-thread scratch space; use one per thread.
 */
#ifndef SMTPDX_H
#define SMTPDX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SMTPDX_VERSION "0.1.0"

/* ---------------------------------------------------------------- status */

typedef enum smtpdx_status {
    SMTPDX_OK = 0,
    SMTPDX_ERR_NOMEM,     /* an allocation failed */
    SMTPDX_ERR_INVAL,     /* a bad argument (NULL where not allowed, ...) */
    SMTPDX_ERR_PARSE,     /* the input holds nothing recognisable */
    SMTPDX_ERR_LIMIT,     /* the input crossed a documented limit */
    SMTPDX_ERR_IO,        /* reading or writing failed (errno is kept) */
    SMTPDX_ERR_KB,        /* the knowledge base could not be prepared */
    SMTPDX_ERR_NOTBOUNCE, /* a mail that is no bounce, auto-reply or report */
    SMTPDX_STATUS_COUNT
} smtpdx_status;

/* A sentence for people, and the enum's own name ("SMTPDX_ERR_NOMEM"). */
const char *smtpdx_strerror(smtpdx_status st);
const char *smtpdx_status_name(smtpdx_status st);

/* --------------------------------------------------------------- reasons */

/* Sisimai-compatible reason names; smtpdx_reason_name() gives them in lower
 * case as Sisimai prints them ("userunknown"). */
typedef enum smtpdx_reason {
    SMTPDX_R_UNDEFINED = 0,
    SMTPDX_R_USERUNKNOWN,
    SMTPDX_R_HOSTUNKNOWN,
    SMTPDX_R_HASMOVED,
    SMTPDX_R_NOTACCEPT,
    SMTPDX_R_MAILBOXFULL,
    SMTPDX_R_SUSPEND,
    SMTPDX_R_SYSTEMFULL,
    SMTPDX_R_SYSTEMERROR,
    SMTPDX_R_MAILERERROR,
    SMTPDX_R_MESGTOOBIG,
    SMTPDX_R_EXCEEDLIMIT,
    SMTPDX_R_NORELAYING,
    SMTPDX_R_BLOCKED,
    SMTPDX_R_BADREPUTATION,
    SMTPDX_R_REQUIREPTR,
    SMTPDX_R_AUTHFAILURE,
    SMTPDX_R_REJECTED,
    SMTPDX_R_POLICYVIOLATION,
    SMTPDX_R_SECURITYERROR,
    SMTPDX_R_FAILEDSTARTTLS,
    SMTPDX_R_SPAMDETECTED,
    SMTPDX_R_VIRUSDETECTED,
    SMTPDX_R_CONTENTERROR,
    SMTPDX_R_NOTCOMPLIANTRFC,
    SMTPDX_R_FILTERED,
    SMTPDX_R_SPEEDING,
    SMTPDX_R_TOOMANYCONN,
    SMTPDX_R_SYNTAXERROR,
    SMTPDX_R_NETWORKERROR,
    SMTPDX_R_EXPIRED,
    SMTPDX_R_ONHOLD,
    SMTPDX_R_SUPPRESSED,
    SMTPDX_R_VACATION,
    SMTPDX_R_FEEDBACK,
    SMTPDX_R_DELIVERED,
    SMTPDX_REASON_COUNT
} smtpdx_reason;

const char *smtpdx_reason_name(smtpdx_reason r);
/* Case-insensitive; returns SMTPDX_REASON_COUNT for an unknown name. */
smtpdx_reason smtpdx_reason_from_name(const char *name);
/* Sisimai's hard-bounce rule (userunknown, hostunknown, hasmoved, and
 * notaccept unless temporary). */
int smtpdx_reason_is_hard(smtpdx_reason r, int temporary);

/* Who must act. */
typedef enum smtpdx_who {
    SMTPDX_WHO_NOBODY = 0,     /* e.g. greylisting: the sending server retries */
    SMTPDX_WHO_SENDER,         /* the person or app that sent the message */
    SMTPDX_WHO_SENDER_ADMIN,   /* whoever runs the sending server or domain */
    SMTPDX_WHO_RECIPIENT_ADMIN,
    SMTPDX_WHO_RECIPIENT,
    SMTPDX_WHO_COUNT
} smtpdx_who;
/* "nobody", "sender", "sender-admin", "recipient-admin", "recipient". */
const char *smtpdx_who_name(smtpdx_who w);

typedef enum smtpdx_confidence {
    SMTPDX_CONF_LOW = 0,
    SMTPDX_CONF_MEDIUM,
    SMTPDX_CONF_HIGH
} smtpdx_confidence;
const char *smtpdx_confidence_name(smtpdx_confidence c); /* "low", ... */

/* --------------------------------------------------------- reply parsing */

/* Flags set by the reply parser on what it found odd. */
#define SMTPDX_REPLY_MULTILINE      0x0001u /* continuation lines were joined */
#define SMTPDX_REPLY_CLASS_CONFLICT 0x0002u /* basic and enhanced class differ */
#define SMTPDX_REPLY_ENH_MISSPELT   0x0004u /* "5-7-1", "5.7.1." and the like */
#define SMTPDX_REPLY_NO_BASIC       0x0008u /* enhanced code without basic code */
#define SMTPDX_REPLY_TRUNCATED      0x0010u /* input longer than the text limit */
#define SMTPDX_REPLY_BAD_BYTES      0x0020u /* NUL or invalid UTF-8 replaced */
#define SMTPDX_REPLY_ENH_INVALID    0x0040u /* enhanced-looking code out of range */

/* Longest reply text kept; longer input is cut and flagged TRUNCATED. */
#define SMTPDX_REPLY_TEXT_MAX (64u * 1024u)

/* One parsed SMTP reply. Made by smtpdx_reply_new(), filled by
 * smtpdx_reply_parse(); the strings are owned by the reply and valid until
 * the next parse into it or its free. */
typedef struct smtpdx_reply {
    int code;            /* basic reply code (RFC 5321 4.2), 0 when absent */
    int enh_class;       /* enhanced status (RFC 3463): 2, 4 or 5; 0 absent */
    int enh_subject;     /* 0..7 */
    int enh_detail;      /* 0..999 */
    char enhanced[16];   /* normalised "5.7.1", "" when absent */
    char command[32];    /* command answered when stated: "RCPT", "DATA", ... */
    char host[256];      /* remote host when stated, "" otherwise */
    char addr[64];       /* remote address when stated ("192.0.2.1") */
    const char *text;    /* the human text, joined, UTF-8, NUL-terminated */
    size_t text_len;
    unsigned flags;      /* SMTPDX_REPLY_* */
    void *priv_;         /* internal storage; do not touch */
} smtpdx_reply;

smtpdx_reply *smtpdx_reply_new(void);
void smtpdx_reply_free(smtpdx_reply *r);
/* Parse one reply as seen in the wild (a line, a multi-line reply, a
 * Postfix "host X said: ..." sentence, a Diagnostic-Code value, ...).
 * Returns SMTPDX_ERR_PARSE when neither a code nor any text is found; the
 * reply is still filled with what there was. */
smtpdx_status smtpdx_reply_parse(smtpdx_reply *r, const char *in, size_t len);

/* ------------------------------------------------------- knowledge base */

typedef enum smtpdx_retry {
    SMTPDX_RETRY_NONE = 0,  /* success, nothing to retry */
    SMTPDX_RETRY_YES,       /* retry as it is */
    SMTPDX_RETRY_NO,        /* do not retry: it will fail the same way */
    SMTPDX_RETRY_AFTER_FIX  /* fix the stated problem, then retry */
} smtpdx_retry;
const char *smtpdx_retry_name(smtpdx_retry r); /* "none","retry","do-not-retry","fix-then-retry" */

/* One knowledge-base entry; static, never freed. */
typedef struct smtpdx_kb_entry {
    const char *id;          /* rule id, e.g. "text.greylisting.postgrey" */
    const char *kind;        /* "text", "enhanced", "code", "class" */
    const char *provider;    /* provider id or NULL */
    smtpdx_reason reason;
    const char *cause;       /* our finer cause id: "greylisting", ... */
    int temporary;           /* 1 temporary, 0 permanent, -1 from the class */
    smtpdx_who who;
    smtpdx_retry retry;
    unsigned retry_after_s;  /* first retry after, 0 when not said */
    unsigned give_up_after_s;/* stop retrying after, 0 when not said */
    const char *summary;
    const char *const *steps;
    size_t nsteps;
    const char *const *refs;
    size_t nrefs;
} smtpdx_kb_entry;

size_t smtpdx_kb_count(void);
const smtpdx_kb_entry *smtpdx_kb_get(size_t i);
const smtpdx_kb_entry *smtpdx_kb_find(const char *id);

/* ---------------------------------------------------------- classifying */

/* What decided a classification. */
typedef enum smtpdx_match_kind {
    SMTPDX_MATCH_NONE = 0,
    SMTPDX_MATCH_TEXT,       /* a phrase or pattern in the reply text */
    SMTPDX_MATCH_ENHANCED,   /* the enhanced status code */
    SMTPDX_MATCH_CODE,       /* the basic reply code */
    SMTPDX_MATCH_CLASS,      /* only the class (2xx/4xx/5xx) */
    SMTPDX_MATCH_RETURNED,   /* bounces: the returned message's header
                                (its hop count), the notice saying nothing */
    SMTPDX_MATCH_REPORT      /* bounces: a field of the delivery report
                                (Action: delayed, a warning); logs: the
                                MTA's line saying it gave up */
} smtpdx_match_kind;
const char *smtpdx_match_kind_name(smtpdx_match_kind k);

/* The answer for one reply. Strings point into the reply, the ctx or the
 * static knowledge base: valid until the next call on the same ctx. */
typedef struct smtpdx_explanation {
    const smtpdx_kb_entry *entry;  /* the deciding entry, NULL if none */
    smtpdx_reason reason;
    const char *cause;
    int temporary;                 /* 1 temporary, 0 permanent, -1 success/unknown */
    smtpdx_who who;
    smtpdx_retry retry;
    smtpdx_match_kind matched_by;
    size_t match_off, match_len;   /* span of reply text that decided (TEXT) */
    const char *provider;          /* provider recognised, or NULL */
    int conflict;                  /* code and text point different ways */
    const char *conflict_note;     /* a sentence saying how, or NULL */
    const smtpdx_kb_entry *code_entry; /* what the codes alone said, or NULL */
    smtpdx_confidence confidence;
} smtpdx_explanation;

/* Per-thread context: matcher scratch and buffers. The first ctx_new of a
 * process also loads the shared matcher database (thread-safe). Returns
 * SMTPDX_ERR_NOMEM, or SMTPDX_ERR_KB when the knowledge base cannot be
 * prepared. One ctx serves one thread at a time. */
typedef struct smtpdx_ctx smtpdx_ctx;
smtpdx_status smtpdx_ctx_new(smtpdx_ctx **out);
void smtpdx_ctx_free(smtpdx_ctx *ctx);

/* Extra facts a caller may know beside the reply (a bounce's Status field,
 * the remote host's name); any member may be NULL/0. */
typedef struct smtpdx_hints {
    const char *status;    /* a DSN Status: "5.0.0" */
    const char *rhost;     /* remote host name, to recognise a provider */
    const char *action;    /* DSN Action: "failed", "delayed", ... */
} smtpdx_hints;

/* Classify a parsed reply. hints may be NULL. The most specific evidence
 * wins: a provider's text rule, another text rule, the enhanced code, the
 * basic code, the class (kb/README.md has the details); out->code_entry
 * keeps what the codes alone say and out->conflict flags a text that
 * contradicts them. hints->status stands in for a missing (or X.0.0)
 * enhanced code, hints->rhost helps recognise the provider, and
 * hints->action gives the class when no code does. Allocates nothing;
 * out's strings live until the next call on ctx. */
smtpdx_status smtpdx_classify(smtpdx_ctx *ctx, const smtpdx_reply *r,
                              const smtpdx_hints *hints,
                              smtpdx_explanation *out);

/* Parse and classify in one call; the parsed reply is kept in the ctx and
 * returned through *reply_out when that is not NULL. Returns
 * SMTPDX_ERR_PARSE for input without any code or text. */
smtpdx_status smtpdx_explain(smtpdx_ctx *ctx, const char *in, size_t len,
                             const smtpdx_reply **reply_out,
                             smtpdx_explanation *out);

/* --------------------------------------------------------------- records */

/* One failed (or reported) recipient, from a bounce or a log. All strings
 * are owned by the record and are "" when unknown, never NULL. */
typedef struct smtpdx_record {
    /* Sisimai's compatible set */
    const char *action, *addresser, *alias, *catch_, *deliverystatus,
        *destination, *diagnosticcode, *diagnostictype, *feedbacktype,
        *lhost, *listid, *messageid, *origin, *recipient, *rhost,
        *senderdomain, *smtpagent, *smtpcommand, *subject, *token;
    int hardbounce;
    int replycode;          /* 0 when unknown */
    int64_t timestamp;      /* Unix time, 0 when unknown */
    char timezoneoffset[8]; /* "+0900" */
    smtpdx_reason reason;
    /* ours */
    smtpdx_explanation why; /* its strings stay valid with the record */
    const char *matched_text;
    unsigned truncated;     /* SMTPDX_CUT_*: what a limit cut short, 0: none */
    /* bounces: until when the sending server keeps retrying, by its delay
     * warning's Will-Retry-Until (RFC 3464 2.3.7); Unix time, 0 unknown */
    int64_t retry_until;
    /* log records */
    const char *queueid, *relay, *dsn_status, *delay;
    void *priv_;            /* internal storage; do not touch */
} smtpdx_record;

/* smtpdx_record.truncated: the parts of a bounce that a limit cut short,
 * so that the record may lack what lay beyond (docs/limits.md). */
#define SMTPDX_CUT_TEXT       0x01u /* the notification text (512 KiB, or
                                         20,000 lines before the copy) */
#define SMTPDX_CUT_DSN        0x02u /* the delivery-status part (256 KiB) */
#define SMTPDX_CUT_RECIPIENTS 0x04u /* recipients past the first 1,000 */
#define SMTPDX_CUT_DIAGNOSTIC 0x08u /* this recipient's reply text (16 KiB) */
#define SMTPDX_CUT_RETURNED   0x10u /* a returned-message header field (2 KiB) */
#define SMTPDX_CUT_HEADER     0x20u /* the notice's own header block (1 MiB):
                                         the fields past it are left out */
#define SMTPDX_CUT_MESSAGE    0x40u /* the message itself, over
                                         SMTPDX_MSG_MAX or broken off by
                                         its input: only its head was
                                         read */

/* A list of records (one bounce mail's, or a log's). */
typedef struct smtpdx_records smtpdx_records;
smtpdx_records *smtpdx_records_new(void);
void smtpdx_records_free(smtpdx_records *rs);
size_t smtpdx_records_count(const smtpdx_records *rs);
const smtpdx_record *smtpdx_records_get(const smtpdx_records *rs, size_t i);
void smtpdx_records_clear(smtpdx_records *rs);

/* ----------------------------------------------------------------- input */

/* Reads messages one at a time from a path: "-" (stdin), a single message
 * (.eml), an mbox (detected by content; ">From " unescaped), a Maildir
 * (cur/, new/) or a folder of messages walked recursively in name order;
 * gzip, xz, zstd and bzip2 files (told by their first bytes) are inflated
 * transparently. Memory stays bounded by the
 * largest single message. */
typedef struct smtpdx_msgreader smtpdx_msgreader;
smtpdx_status smtpdx_msgreader_new(const char *path, smtpdx_msgreader **out);
void smtpdx_msgreader_free(smtpdx_msgreader *r);
/* Next message: *buf and *len stay valid until the next call or the free;
 * *origin names where it came from (the file path; "path:N" for the N-th
 * message, 1-based, of an mbox holding more than one). Returns SMTPDX_OK
 * with *buf == NULL at the end. A file that cannot be read, or a folder
 * left out for a limit of the walk, gives SMTPDX_ERR_IO (see
 * smtpdx_msgreader_why()), an mbox "From " line longer than
 * SMTPDX_MSG_MAX SMTPDX_ERR_LIMIT (the rest of that file is lost), both
 * with *origin set; reading goes on with the next call. Of a message
 * larger than SMTPDX_MSG_MAX, only its head is handed out: see
 * smtpdx_msgreader_cut(). */
#define SMTPDX_MSG_MAX (64u * 1024u * 1024u) /* bytes per message */
smtpdx_status smtpdx_msgreader_next(smtpdx_msgreader *r, const char **buf,
                                    size_t *len, const char **origin);
/* 1 when the message the last smtpdx_msgreader_next() handed out was
 * larger than SMTPDX_MSG_MAX: *buf holds its first lines that fit in
 * SMTPDX_MSG_MAX bytes (the notice and the report of a bounce come
 * first; what is lost is the end of a large returned copy), and the rest
 * was skipped. 2 when its file broke off inside it (a compressed file
 * cut short, a read error): *buf holds what came before the break, and
 * the next call reports the break (SMTPDX_ERR_IO, with
 * smtpdx_msgreader_why()). Either way it is the head of a message, for
 * smtpdx_bounce_parse_head(). 0 otherwise. */
int smtpdx_msgreader_cut(const smtpdx_msgreader *r);
/* After SMTPDX_ERR_IO from smtpdx_msgreader_next(): why, for people: the
 * system's message ("No such file or directory", "Permission denied"), or
 * a limit of the folder walk ("folder nested deeper than 64 levels: not
 * read"; errno is then ELOOP, ENAMETOOLONG or EOVERFLOW). "" otherwise.
 * Valid until the next call. */
const char *smtpdx_msgreader_why(const smtpdx_msgreader *r);
/* fn(arg, ms) runs whenever the reader is about to wait for input that
 * has not come for ms milliseconds: at 50, then once more at 1000 if the
 * silence goes on; for standard input or a named pipe whose writer pauses
 * (tail -f, a filter fed message by message), never a regular file. The
 * moment for a caller to write out and flush what it has (at 50 ms), or
 * to tell a person that the input has paused (at 1000): a message is
 * handed out as soon as its end is known (for an mbox, when the next
 * "From " line or the end of input arrives), so the output keeps up with
 * the input. NULL fn removes the hook. */
void smtpdx_msgreader_on_wait(smtpdx_msgreader *r,
                              void (*fn)(void *arg, unsigned ms), void *arg);
/* on = 1: a signal caught while the reader waits for input ends that
 * input as its end of data would (the message read so far is handed out
 * whole), so that a caller's SIGINT handler can end a live pipe without
 * losing its last message; 0 (the default): the wait goes on. */
void smtpdx_msgreader_interruptible(smtpdx_msgreader *r, int on);
/* Bytes read so far from the files of this input (of a compressed file,
 * the compressed bytes): against smtpdx_input_size(), how far a progress
 * bar has come. */
uint64_t smtpdx_msgreader_offset(const smtpdx_msgreader *r);
/* The bytes a reader of path will take: a file's size, or the sum over
 * the files a folder's walk reads (which means a walk of the folder now);
 * 0 for standard input ("-"), a pipe, or a path that cannot be read. */
uint64_t smtpdx_input_size(const char *path);

/* The bytes of a file or of standard input ("-"), for a caller that cuts
 * them itself (log lines, say): gzip (RFC 1952), xz, zstd (RFC 8878) and
 * bzip2 data, told by its first bytes, is inflated on the fly, from a
 * pipe too; members one after the other as `cat a.gz b.gz` gives them.
 * Data that inflates past 1 MiB to more than 10,000 times its size (a
 * decompression bomb) ends with SMTPDX_ERR_IO, and xz data that needs
 * more than 256 MiB of memory is refused the same way. */
typedef struct smtpdx_stream smtpdx_stream;
/* SMTPDX_ERR_IO with errno kept when the path cannot be opened (EISDIR
 * for a folder). */
smtpdx_status smtpdx_stream_new(const char *path, smtpdx_stream **out);
void smtpdx_stream_free(smtpdx_stream *s);
/* Up to n bytes into buf: what the input holds, without waiting to fill
 * buf once some came; *got = 0 at the end. SMTPDX_ERR_IO when a read
 * failed (errno says why) or the compressed data is cut short or damaged
 * (smtpdx_stream_why() says how; what came before was handed out), and,
 * after smtpdx_stream_interruptible(s, 1), with errno EINTR when a caught
 * signal ended a wait for input: call again to go on. */
smtpdx_status smtpdx_stream_read(smtpdx_stream *s, char *buf, size_t n,
                                 size_t *got);
/* After SMTPDX_ERR_IO: what was wrong with the compressed data, for
 * people ("the xz data ends early: the file is cut short"), or NULL when the
 * system's read failed. */
const char *smtpdx_stream_why(const smtpdx_stream *s);
/* Is the input a pipe, terminal or socket, whose writer may pause? */
int smtpdx_stream_live(const smtpdx_stream *s);
/* Bytes taken from the file so far (compressed: the compressed ones): how
 * far a progress bar has come. */
uint64_t smtpdx_stream_offset(const smtpdx_stream *s);
/* fn(arg, ms) runs when a live input has given nothing for ms
 * milliseconds and the read is about to wait on: at 50 ms, then once more
 * at 1000 ms; never for a regular file. NULL fn removes the hook. */
void smtpdx_stream_on_wait(smtpdx_stream *s,
                           void (*fn)(void *arg, unsigned ms), void *arg);
/* on = 1: a signal caught while waiting for input ends the read (see
 * smtpdx_stream_read()), so that the caller's handler can end the
 * reading; 0 (the default): the wait goes on. */
void smtpdx_stream_interruptible(smtpdx_stream *s, int on);

/* ---------------------------------------------------------------- bounce */

/* Parse one message from memory and append one record per failed (or
 * reported) recipient to out. origin is copied into each record (may be
 * NULL). Returns SMTPDX_ERR_NOTBOUNCE for a mail that is none of bounce,
 * auto-reply, feedback report or delivery report, and SMTPDX_ERR_PARSE for
 * text that is no mail at all: it does not open with a header field (after
 * an mbox "From " line and blank lines); no records are added then. Text
 * that opens with no header field but holds the sentences a Postfix, Exim,
 * qmail, Sendmail or Exchange notice opens with (a notice's text pasted
 * without its header) is read as the body of a message without one. Of a
 * message longer than SMTPDX_MSG_MAX only the head is read (its lines
 * that fit; a bounce's notice and report come before the returned copy),
 * and its records carry SMTPDX_CUT_MESSAGE. */
smtpdx_status smtpdx_bounce_parse(smtpdx_ctx *ctx, const char *buf,
                                  size_t len, const char *origin,
                                  smtpdx_records *out);
/* The same for the head of a message whose end was not kept (what
 * smtpdx_msgreader_next() hands out when smtpdx_msgreader_cut() says 1):
 * its records carry SMTPDX_CUT_MESSAGE, so that a reader of them knows
 * that a part of the message was never seen. */
smtpdx_status smtpdx_bounce_parse_head(smtpdx_ctx *ctx, const char *buf,
                                       size_t len, const char *origin,
                                       smtpdx_records *out);

/* ------------------------------------------------------------------- log */

/* A streaming parser for MTA logs: Postfix (classic syslog, RFC 3339 and
 * RFC 5424 stamps, Postfix's own maillog_file), Exim mainlog, Sendmail,
 * OpenSMTPD and Courier, detected line by line. It is fed one line at a time and appends a record
 * for each failure as soon as the line that shows it arrives: a deferral,
 * a bounce, an expiry or a reject at the SMTP server stage. Facts from
 * earlier lines (sender, size, client) are joined by queue id through a
 * table whose size and entry age are bounded, so memory stays flat on an
 * endless log. Lines it does not understand are counted and skipped. */

typedef struct smtpdx_log_options {
    int year;             /* year of syslog stamps (they carry none); 0:
                             the latest year that puts the line no later
                             than two days after `now` */
    int64_t now;          /* reference time for that; 0: the clock */
    int utc;              /* stamps without a zone are UTC (1) or the
                             local time of the TZ environment (0) */
    int64_t since, until; /* only events in [since, until); 0: open */
    int all;              /* also a record per successful delivery */
    size_t queue_max;     /* messages remembered at once; 0: 20000 */
    int64_t queue_max_age;/* forget a message not seen for this many
                             seconds of log time; 0: 8 days */
} smtpdx_log_options;

/* Fill o with the defaults (all zero, as described above). */
void smtpdx_log_options_init(smtpdx_log_options *o);

typedef struct smtpdx_log_counts {
    uint64_t sent, deferred, bounced, expired, rejected;
} smtpdx_log_counts;

typedef struct smtpdx_log_stats {
    uint64_t lines;          /* lines fed */
    uint64_t unknown;        /* lines of no dialect understood */
    uint64_t postfix, exim, sendmail, opensmtpd, courier; /* lines per dialect */
    uint64_t received;       /* messages that entered a queue */
    smtpdx_log_counts total; /* events in the time window */
    smtpdx_log_counts by_hour[24]; /* by hour of day, as written */
    uint64_t evicted;        /* messages forgotten because the table was full */
    uint64_t aged_out;       /* messages forgotten after queue_max_age */
    int64_t first, last;     /* earliest and latest event time, 0: none */
} smtpdx_log_stats;

typedef struct smtpdx_logparser smtpdx_logparser;

/* opt may be NULL (defaults). *out is freed with smtpdx_logparser_free. */
smtpdx_status smtpdx_logparser_new(const smtpdx_log_options *opt,
                                   smtpdx_logparser **out);
void smtpdx_logparser_free(smtpdx_logparser *p);
/* Name the input that the next lines come from ("maillog.1"); records
 * carry "name:line" in origin. Lines are counted from 1 again. */
smtpdx_status smtpdx_logparser_set_origin(smtpdx_logparser *p,
                                          const char *name);
/* Feed one line (without its newline; a trailing CR is ignored) and append
 * the records it completes to out. Lines longer than 64 KiB are counted as
 * unknown. Returns SMTPDX_OK for any line, understood or not;
 * SMTPDX_ERR_NOMEM leaves out without a half-built record. */
smtpdx_status smtpdx_logparser_feed(smtpdx_logparser *p, smtpdx_ctx *ctx,
                                    const char *line, size_t len,
                                    smtpdx_records *out);
/* End of input: the records still held back are appended to out (a
 * refusal Sendmail logged before the line naming its sender, which never
 * came: written without it). Call it once the input has ended. */
smtpdx_status smtpdx_logparser_finish(smtpdx_logparser *p, smtpdx_ctx *ctx,
                                      smtpdx_records *out);
/* Counters so far; valid until the parser is freed. */
const smtpdx_log_stats *smtpdx_logparser_stats(const smtpdx_logparser *p);

/* ---------------------------------------------------------------- output */

typedef enum smtpdx_format {
    SMTPDX_FMT_TABLE = 0,
    SMTPDX_FMT_JSON,     /* one JSON array */
    SMTPDX_FMT_NDJSON,   /* one object per line */
    SMTPDX_FMT_SISIMAI,  /* NDJSON with Sisimai's fields only */
    SMTPDX_FMT_CSV
} smtpdx_format;

/* Output flags. */
#define SMTPDX_OUT_COLOR 0x1u    /* ANSI colour in table output */
#define SMTPDX_OUT_SUMMARY 0x2u  /* table output of records: the summary
                                    by reason only, no block per record */

/* Writes records or explanations in one format to a stdio stream. JSON
 * arrays are opened on the first item and closed by _finish; table output
 * may gather items and print them at _finish. Text from the input is made
 * safe: control characters never reach a terminal, JSON is valid UTF-8. */
typedef struct smtpdx_writer smtpdx_writer;
smtpdx_status smtpdx_writer_new(FILE *out, smtpdx_format fmt, unsigned flags,
                                smtpdx_writer **w);
void smtpdx_writer_free(smtpdx_writer *w);
smtpdx_status smtpdx_writer_record(smtpdx_writer *w, const smtpdx_record *r);
smtpdx_status smtpdx_writer_explanation(smtpdx_writer *w, const char *input,
                                        size_t input_len,
                                        const smtpdx_reply *reply,
                                        const smtpdx_explanation *e);
smtpdx_status smtpdx_writer_finish(smtpdx_writer *w);
/* The input paused (a live pipe): what is written goes out now. Table
 * output of records, which gathers every block behind the summary, then
 * prints the summary of the records so far and their blocks, and from
 * then on each record's block as it comes, the summary of all at _finish;
 * with SMTPDX_OUT_SUMMARY it prints the summary so far when records came
 * since the last one printed. Other formats: the stream is flushed. */
smtpdx_status smtpdx_writer_flush(smtpdx_writer *w);

#ifdef __cplusplus
}
#endif
#endif /* SMTPDX_H */
