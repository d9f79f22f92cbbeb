/*
 * log.h - internals shared by the MTA log parser's files.
 *
 * One line flows: log_parser.c splits off the timestamp and the syslog
 * header (log_time.c), picks the dialect from the program name or the line
 * shape, and hands the message to log_postfix.c, log_exim.c,
 * log_sendmail.c, log_opensmtpd.c or log_courier.c. Those fill an
 * sx_logevent for each failure (or delivery) they see and call
 * sx_log_emit() (log_emit.c),
 * which applies the time window, counts, classifies through a small cache
 * (log_cache.c) and appends the record. Per-message facts seen on
 * earlier lines (sender, size, client, deferred recipients) live in the
 * bounded correlation table of log_queue.c.
 *
 * Nothing here allocates per line: the queue table grows in chunks up to
 * its maximum, the cache is fixed, and records are the caller's.
 */
#ifndef SX_LOG_H
#define SX_LOG_H

#include <stdint.h>

#include "log/log_scan.h"
#include "smtpdx.h"

/* ------------------------------------------------------------ time */

typedef struct sx_logclock {
    int utc;           /* stamps without a zone are UTC */
    int year;          /* fixed year for syslog stamps, 0: infer */
    int64_t ref;       /* reference time for the inference */
    int ref_year;
    int64_t ref_civil; /* the reference as local wall-clock seconds */
    /* last local hour converted: stamps within it need no mktime() */
    int64_t hkey, hbase;
    int hoff;
    /* last syslog minute "Mmm dd hh:mm" and its Unix time */
    char mkey[12];
    int mvalid, moff, mhour;
    int64_t mbase;
} sx_logclock;

/* A parsed timestamp: t is Unix time (0 when unknown), off the offset from
 * UTC in seconds that applied, hour the hour of day as written. */
typedef struct sx_logtime {
    int64_t t;
    int off;
    int hour;
} sx_logtime;

void sx_clock_init(sx_logclock *c, const smtpdx_log_options *o);
/* "Mmm dd hh:mm:ss " (day may be space padded). Returns the bytes taken
 * including the trailing space, 0 when s does not start so. */
size_t sx_clock_syslog(sx_logclock *c, sx_span s, sx_logtime *out);
/* "YYYY-MM-DD[T ]hh:mm:ss[.frac][Z|+hh:mm|+hhmm| +hhmm] ". Returns the bytes
 * taken including the trailing space, 0 when s does not start so. */
size_t sx_clock_iso(sx_logclock *c, sx_span s, sx_logtime *out);
/* Unix time of a civil date and time in UTC. */
int64_t sx_clock_civil(int y, int mon, int d, int h, int mi, int sec);

/* ------------------------------------------------------------ queue */

#define SX_Q_ID_MAX 48 /* Courier's ids are 42 bytes */
#define SX_Q_ADDR_MAX 128
#define SX_Q_HOST_MAX 96
#define SX_Q_RCPT_MAX 4
#define SX_Q_REPLY_MAX 200

/* A recipient still deferred, with the reason of its last try: an expiry
 * line names only the message, so this is what it is told about. */
typedef struct sx_qrcpt {
    char addr[SX_Q_ADDR_MAX];
    char reply[SX_Q_REPLY_MAX];
    char dsn[12];
    char relay[64];
} sx_qrcpt;

/* What is known about one message in the queue. Fixed size, so the table
 * holds at most max * (sizeof(sx_qentry) + sizeof(sx_qmeta)) bytes however
 * long the log. */
typedef struct sx_qentry {
    uint32_t self;                 /* its index + 1 */
    uint64_t size;
    uint8_t nrcpt;                 /* deferred recipients remembered */
    uint8_t has_from;
    char from[SX_Q_ADDR_MAX];
    char client[SX_Q_HOST_MAX];
    char msgid[SX_Q_HOST_MAX];
    char tried[SX_Q_HOST_MAX];     /* Exim: host of the last failed connection */
    sx_qrcpt rcpt[SX_Q_RCPT_MAX];
} sx_qentry;

/* The part of an entry every lookup touches, kept apart and small so that
 * finding a message and keeping the age order stays in cache. */
typedef struct sx_qmeta {
    uint32_t hash;
    uint32_t next;                 /* hash chain (index + 1, 0 = none) */
    uint32_t older, newer;         /* age list (index + 1) */
    int64_t last;                  /* log time of the last line about it */
    uint8_t used;
    char id[SX_Q_ID_MAX];
} sx_qmeta;

typedef struct sx_logq {
    sx_qentry **chunks;
    sx_qmeta **mchunks;
    size_t nchunks, count, max, allocated;
    uint32_t *buckets;
    size_t nbuckets;
    uint32_t free_head;            /* free list through .next */
    uint32_t oldest, newest;
    int64_t max_age;
    uint64_t evicted, aged_out;
} sx_logq;

smtpdx_status sx_logq_init(sx_logq *q, size_t max, int64_t max_age);
void sx_logq_release(sx_logq *q);
/* Find the entry for id; with create, make it when absent (evicting the
 * oldest when full). Touches its age. NULL when absent (or no memory:
 * *st says which). */
sx_qentry *sx_logq_get(sx_logq *q, sx_span id, int64_t now, int create,
                       smtpdx_status *st);
void sx_logq_remove(sx_logq *q, sx_qentry *e);
/* Forget entries not touched for max_age seconds before now. */
void sx_logq_sweep(sx_logq *q, int64_t now);
/* Copy a span into a fixed field, cut to fit, NUL-terminated. */
void sx_q_copy(char *dst, size_t cap, sx_span s);
/* Remember a deferred recipient with the reason; drop one on delivery. */
void sx_qentry_defer(sx_qentry *e, sx_span rcpt, sx_span reply, sx_span dsn,
                     sx_span relay);
void sx_qentry_done(sx_qentry *e, sx_span rcpt);
/* The deferred recipient rcpt an entry remembers, or NULL (e may be). */
sx_qrcpt *sx_qentry_find(sx_qentry *e, sx_span rcpt);

/* ----------------------------------------------------- classification */

typedef struct sx_clscache sx_clscache;
smtpdx_status sx_clscache_new(sx_clscache **out);
void sx_clscache_free(sx_clscache *c);

/* What the classifier said about one reply, as the cache keeps it. */
typedef struct sx_clsresult {
    smtpdx_explanation why;   /* strings point into this struct */
    int replycode;
    char enhanced[16];
    char command[32];
    char cause[64];
    char provider[64];
    char note[192];
    char matched[160];
    char rhost[SX_Q_HOST_MAX];/* host named in the reply ("host X said") */
} sx_clsresult;

/* Classify text with the hints; *res is filled and points into the cache
 * or into scratch that lives until the next call. */
smtpdx_status sx_clscache_classify(sx_clscache *c, smtpdx_ctx *ctx,
                                   sx_span text, const char *status,
                                   const char *rhost, const char *action,
                                   const sx_clsresult **res);
uint64_t sx_clscache_hits(const sx_clscache *c);

/* ------------------------------------------------------------ events */

enum sx_evkind {
    SX_EV_SENT = 0,
    SX_EV_DEFERRED,
    SX_EV_BOUNCED,
    SX_EV_EXPIRED,
    SX_EV_REJECTED
};

/* One event as a dialect parser saw it; every span may be empty. */
typedef struct sx_logevent {
    enum sx_evkind kind;
    int temporary_hint;     /* reject: 1 when the log says "temporarily" */
    const char *agent;      /* "Postfix", "Exim", "Sendmail", ... */
    sx_span queueid, recipient, alias, sender, relay, rhost, lhost;
    sx_span dsn, delay, reply, command, msgid;
    sx_span said;           /* expiry: the log's own words for it, when the
                               reply is that of an earlier attempt */
    int replycode;          /* when the dialect knows it beside the text */
} sx_logevent;

/* Refusals waiting for their sender (log_hold.c). */
typedef struct sx_held sx_held;
typedef struct sx_holds {
    sx_held *v;
    size_t n, cap;
} sx_holds;

/* The parser; the public type is opaque. */
struct smtpdx_logparser {
    smtpdx_log_options opt;
    smtpdx_log_stats st;
    sx_logclock clock;
    sx_logq q;
    sx_clscache *cache;
    sx_logtime now;         /* the current line's time */
    sx_span host;           /* the current line's host (syslog) */
    int prev_known;         /* the line before was understood */
    char origin[256];
    uint64_t origin_line;
    sx_holds held;          /* refusals whose sender comes later */
};

/* Dialect parsers: msg is the text after the header. Return 1 when the
 * line was understood (event or not), 0 when not; *st carries errors. */
int sx_log_postfix(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span prog,
                   sx_span msg, smtpdx_records *out, smtpdx_status *st);
int sx_log_exim(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span msg,
                smtpdx_records *out, smtpdx_status *st);
int sx_log_sendmail(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span msg,
                    smtpdx_records *out, smtpdx_status *st);
int sx_log_opensmtpd(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span msg,
                     smtpdx_records *out, smtpdx_status *st);
int sx_log_courier(smtpdx_logparser *p, smtpdx_ctx *ctx, sx_span msg,
                   smtpdx_records *out, smtpdx_status *st);
/* Is the line one of OpenSMTPD's without a syslog header (as "smtpd -d",
 * a container's log or "journalctl -o cat" show them)? */
int sx_log_opensmtpd_bare(sx_span line);

/* A line of "journalctl -o json" (log_journal.c): 1 when s is one, with
 * *prog and *msg set, the line's host and time in p; *hold is the parsed
 * object the spans point into, to give to sx_log_journal_release once the
 * line is handled. */
int sx_log_journal(smtpdx_logparser *p, sx_span s, sx_span *prog,
                   sx_span *msg, void **hold);
void sx_log_journal_release(void *hold);

/* A refusal whose sender the log names only later (Sendmail's from=
 * line at the end of the session): copied and kept back. */
smtpdx_status sx_log_hold(smtpdx_logparser *p, smtpdx_ctx *ctx,
                          const sx_logevent *ev, smtpdx_records *out);
/* The sender of queue id qid is known: its refusals go out with it. */
smtpdx_status sx_log_unhold(smtpdx_logparser *p, smtpdx_ctx *ctx,
                            sx_span qid, sx_span sender, smtpdx_records *out);
/* Refusals that waited too long by the current line's time (all of them
 * at the end of input) go out without a sender. */
smtpdx_status sx_log_hold_sweep(smtpdx_logparser *p, smtpdx_ctx *ctx,
                                int all, smtpdx_records *out);
void sx_log_hold_release(smtpdx_logparser *p);

/* Count, filter, classify and append one event. */
smtpdx_status sx_log_emit(smtpdx_logparser *p, smtpdx_ctx *ctx,
                          const sx_logevent *ev, smtpdx_records *out);
/* Emit expiry records for the deferred recipients an entry remembers
 * (one record without a recipient when it remembers none). */
smtpdx_status sx_log_emit_expired(smtpdx_logparser *p, smtpdx_ctx *ctx,
                                  const sx_qentry *e, const char *agent,
                                  sx_span qid, sx_span said,
                                  smtpdx_records *out);

/* Fill the event's sender-side facts from a queue entry. */
void sx_log_event_from_entry(sx_logevent *ev, const sx_qentry *e);

#endif
