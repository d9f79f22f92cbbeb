/*
 * cli.h - what every smtpdx subcommand shares: exit codes, output options,
 * colour, the progress bar, error messages and help.
 *
 * The command-line tool compiles against the public header only; nothing
 * here reaches into src/lib. Contract for a subcommand:
 *   int cmd_X(int argc, char **argv);
 * argv[0] is the subcommand's name ("bounce"), options start at argv[1].
 * main() has already answered --help/-h (anywhere before "--"), so a
 * command never sees it. The return value is the process exit status and
 * is one of the CLI_EXIT_* codes below.
 *
 * Conventions:
 *  - Machine output (json, ndjson, sisimai, csv) goes to stdout only.
 *  - Everything for people that is not the result (errors, summaries,
 *    progress) goes to stderr.
 *  - Errors read "smtpdx: <what>: <where>: <why>" (cli_error).
 *  - Usage errors print one line and a hint, and exit CLI_EXIT_USAGE
 *    (cli_usage).
 */
#ifndef SMTPDX_CLI_H
#define SMTPDX_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "smtpdx.h"

/* ------------------------------------------------------------ exit codes */

/* The one table of exit codes; man page and --help print it from
 * cli_help.c, which must stay in step with this list. */
enum {
    CLI_EXIT_OK = 0,     /* explained, or records produced */
    CLI_EXIT_NONE = 1,   /* nothing recognised (an unknown reply, no bounce) */
    CLI_EXIT_USAGE = 2,  /* bad command line */
    CLI_EXIT_INPUT = 3   /* an input could not be read (others still were) */
};

/* --------------------------------------------------------- subcommands */

int cmd_explain(int argc, char **argv);
int cmd_bounce(int argc, char **argv);
int cmd_log(int argc, char **argv);

/* --------------------------------------------------------- output options */

enum cli_color_mode { CLI_COLOR_AUTO = 0, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };

/* The output options every command accepts:
 *   --format table|json|ndjson|sisimai|csv, --json, --ndjson,
 *   --color[=auto|always|never] (also spelt --colour).
 * Default format: table when stdout is a terminal, ndjson when it is not. */
typedef struct cli_outopts {
    smtpdx_format format;
    int format_set;          /* 0 until an option chose a format */
    enum cli_color_mode color;
} cli_outopts;

/* getopt_long() values for the shared options; a command's own long
 * options use values from CLI_OPT_FIRST_FREE on (or plain letters). */
enum {
    CLI_OPT_FORMAT = 0x100,
    CLI_OPT_JSON,
    CLI_OPT_NDJSON,
    CLI_OPT_COLOR,
    CLI_OPT_DOMAIN, /* the selections (cli_filter_handle) */
    CLI_OPT_SENDER,
    CLI_OPT_REASON,
    CLI_OPT_HARD,
    CLI_OPT_SOFT,
    CLI_OPT_FIRST_FREE = 0x120
};

/* Put this inside a command's struct option array. */
#define CLI_OUTPUT_LONGOPTS                                          \
    {"format", required_argument, NULL, CLI_OPT_FORMAT},             \
    {"json", no_argument, NULL, CLI_OPT_JSON},                       \
    {"ndjson", no_argument, NULL, CLI_OPT_NDJSON},                   \
    {"color", optional_argument, NULL, CLI_OPT_COLOR},               \
    {"colour", optional_argument, NULL, CLI_OPT_COLOR}

void cli_outopts_init(cli_outopts *o);

/* Handle one getopt_long() result. Returns 1 when opt was a shared output
 * option (and it was fine), 0 when it is not one of them, -1 on a bad value
 * (the usage message is already printed: return CLI_EXIT_USAGE). */
int cli_outopts_handle(cli_outopts *o, const char *cmd, int opt,
                       const char *arg);

/* Parse a format name ("table", "json", "ndjson", "sisimai", "csv");
 * returns 0 and sets *out, or -1 for an unknown name. */
int cli_format_parse(const char *name, smtpdx_format *out);
const char *cli_format_name(smtpdx_format f);

/* Settle the options against the real stream: fills *fmt with the format
 * (table on a terminal, ndjson otherwise, unless chosen) and returns the
 * smtpdx_writer flags (SMTPDX_OUT_COLOR when colour is on). */
unsigned cli_outopts_resolve(const cli_outopts *o, FILE *out,
                             smtpdx_format *fmt);

/* Colour decision: ALWAYS -> 1, NEVER -> 0, AUTO -> 1 only when the stream
 * is a terminal and NO_COLOR is unset or empty (https://no-color.org/). */
int cli_color_enabled(enum cli_color_mode mode, FILE *stream);

/* ------------------------------------------------------------ selection */

#define CLI_FILTER_REASONS 16

/* Which records to write (cli_filter.c); zeroed, it keeps every record. */
typedef struct cli_filter {
    const char *domain;  /* recipients in this domain or below it */
    const char *sender;  /* this sender, or "@domain": anyone there */
    smtpdx_reason reasons[CLI_FILTER_REASONS];
    size_t nreasons;     /* 0: any reason */
    int hard;            /* 1 hard bounces only, -1 the others only */
    int64_t since, until; /* records dated in [since, until); 0: open */
} cli_filter;

/* Add the comma-separated reason names of arg ("userunknown,blocked");
 * -1 for an unknown or empty name, or more than CLI_FILTER_REASONS. */
int cli_filter_reasons(cli_filter *f, const char *arg);
/* The selections every record-writing command accepts, for its struct
 * option array: --domain, --sender, --reason (bounce adds --hard and
 * --soft with CLI_OPT_HARD and CLI_OPT_SOFT). */
#define CLI_SELECT_LONGOPTS                                          \
    {"domain", required_argument, NULL, CLI_OPT_DOMAIN},             \
    {"sender", required_argument, NULL, CLI_OPT_SENDER},             \
    {"reason", required_argument, NULL, CLI_OPT_REASON}
/* Handle one getopt_long() result as cli_outopts_handle() does: 1 when
 * opt was a selection (and it was fine), 0 when it is not one, -1 on a
 * bad value (an unknown reason, an empty domain or sender, --hard with
 * --soft; the usage message is already printed). */
int cli_filter_handle(cli_filter *f, const char *cmd, int opt,
                      const char *arg);
/* Is any selection set? */
int cli_filter_any(const cli_filter *f);
/* Does r pass every selection? */
int cli_filter_keep(const cli_filter *f, const smtpdx_record *r);

/* A time as --since and --until take it: a span back from now ("2h",
 * "30m", "1d", "2w", "45s"), an ISO date or date and time ("2026-11-28",
 * "2026-11-28T03:00", local time unless utc or a "Z"/"+hh:mm" suffix), or
 * a Unix time ("@1795000000"). 0 and *out set, or -1. */
int cli_parse_when(const char *s, int utc, int64_t *out);

/* ------------------------------------------------------------- messages */

/* text at column col, wrapped at blanks to width columns, continuation
 * lines indented by indent; control characters become '?'. No newline
 * after the last word. A word longer than a line stays whole. */
void cli_wrap(FILE *out, const char *text, int col, int indent, int width);

/* "smtpdx: <what>: <where>: <why>\n" on stderr; where may be NULL (then
 * that part is left out). Control characters in where/why (an untrusted
 * path or text) are shown as '?', so no input can drive the terminal. */
void cli_error(const char *what, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* smtpdx_strerror(st), or for SMTPDX_ERR_IO the system's word for errno e
 * ("No space left on device") when there is one. */
const char *cli_strerror(smtpdx_status st, int e);

/* "smtpdx <cmd>: <message>\nTry 'smtpdx <cmd> --help'.\n" on stderr;
 * returns CLI_EXIT_USAGE so a command can `return cli_usage(...)`. */
int cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Turn a getopt_long() '?' or ':' (call it with opterr = 0) into the right
 * usage message; returns CLI_EXIT_USAGE. */
int cli_getopt_fail(const char *cmd, int c, char **argv);

/* ---------------------------------------------------------------- stop */

/* Set by SIGINT or SIGTERM once cli_stop_on_signals() ran: the command
 * ends its reading and still writes what it found (a live pipe, a
 * followed file, end with their summary instead of dying mid-way). */
extern volatile sig_atomic_t cli_stop;
/* Catch SIGINT and SIGTERM into cli_stop, without SA_RESTART, so that a
 * wait for input ends. Call before cli_progress_new(), whose own handlers
 * then leave these two alone. 0, or -1 when a handler could not be set. */
int cli_stop_on_signals(void);
/* Is standard input a pipe or socket (not a file, not a terminal)? Then
 * its writer may pause, and Ctrl-C is the way a person ends it. */
int cli_stdin_piped(void);

/* What a file given by mistake is, told by its first bytes (after any
 * gzip, xz, zstd or bzip2 was inflated), for an error that says what it
 * is and what to do. The texts, with the caller's "not a mail message: "
 * or "not a mail log: " before them. */
enum {
    CLI_SNIFF_NONE,
    CLI_SNIFF_ARCHIVE,    /* zip, 7z, rar */
    CLI_SNIFF_OUTLOOK,    /* an Outlook item (.msg: a compound file) */
    CLI_SNIFF_TNEF,       /* winmail.dat */
    CLI_SNIFF_UTF16,      /* a byte order mark */
    CLI_SNIFF_BINARY,     /* 16 NUL bytes or more in the first 4 KiB: a
                             program, an image; a stray NUL in text is not */
};
int cli_sniff(const char *buf, size_t len);
/* The text below for what cli_sniff() finds, or NULL for nothing. */
const char *cli_sniff_why(const char *buf, size_t len);
#define CLI_SNIFF_ARCHIVE_TEXT                                             \
    "an archive (zip, 7z or rar), which is not read; unpack it first "     \
    "(gzip, xz, zstd and bzip2 files are read as they are)"
#define CLI_SNIFF_OUTLOOK_TEXT                                             \
    "an Outlook item (.msg, a compound file), which is not read; save or " \
    "forward it as a mail (.eml) first"
#define CLI_SNIFF_TNEF_TEXT                                                \
    "Outlook's TNEF data (winmail.dat), which is not read; have the mail " \
    "sent again in plain MIME"
#define CLI_SNIFF_BINARY_TEXT                                              \
    "binary data (NUL bytes near its start), which is not read"
#define CLI_SNIFF_UTF16_TEXT                                               \
    "UTF-16 text (it starts with a UTF-16 byte order mark), which is not " \
    "read; save it as UTF-8 or plain text"

/* ---------------------------------------------------------------- help */

/* Print the help for a command (NULL or "" for the general help) on out.
 * Returns 0, or -1 when there is no such command. The same text makes the
 * man page (smtpdx help --man), so the two never drift. */
int cli_help_print(const char *cmd, FILE *out);
/* The man page, in troff, for all commands. */
void cli_help_man(FILE *out);

/* --------------------------------------------------------------- progress */

/* A progress bar on stderr, only when stderr is a terminal; every call is
 * a no-op on NULL, so a command can use it unconditionally:
 *
 *   cli_progress *p = cli_progress_new("reading", total_bytes, 1);
 *   ... cli_progress_update(p, bytes_done); ...
 *   cli_progress_done(p);          // clears the line and frees
 *
 * total 0 means unknown (a counter without percentage). unit_bytes 1 shows
 * sizes (KiB/MiB), 0 shows item counts. Redraws are throttled to ~10 per
 * second, so calling update per line or per message is cheap. */
typedef struct cli_progress cli_progress;
cli_progress *cli_progress_new(const char *label, uint64_t total,
                               int unit_bytes);
void cli_progress_update(cli_progress *p, uint64_t done);
void cli_progress_set_total(cli_progress *p, uint64_t total);
/* A count of messages shown after the bar of bytes (bounce: how many
 * were read); 0 shows none. */
void cli_progress_count(cli_progress *p, uint64_t n);
void cli_progress_done(cli_progress *p);

/* ------------------------------------------------------ parallel parsing */

/* Bounce mails parsed by worker threads, each with a context of its own,
 * and handed back in the order they were put in (cli_pool.c):
 *
 *   cli_pool_new(jobs, done, arg, &p);
 *   ... cli_pool_put(p, buf, len, origin, 0); ...   // copies the message
 *   cli_pool_drain(p);   // every message put so far is handed back
 *   cli_pool_free(p);    // messages not yet handed back are dropped
 *
 * done() runs in the thread that calls put and drain, never in a worker:
 * put hands back the messages finished before it (waiting when all the
 * slots are taken), drain all of them. The message's records are the n
 * from index first of recs. buf, origin and recs are valid during the
 * call only. */
typedef struct cli_pool cli_pool;
#define CLI_JOBS_MAX 256
/* A --jobs value: "0" (one per core this process may run on) up to
 * CLI_JOBS_MAX; *jobs gets the count, at least 1. -1 for anything else. */
int cli_jobs_parse(const char *arg, unsigned *jobs);
typedef void (*cli_pool_done)(void *arg, const char *buf, size_t len,
                              const char *origin, smtpdx_status st,
                              const smtpdx_records *recs, size_t first,
                              size_t n);
smtpdx_status cli_pool_new(unsigned workers, cli_pool_done done, void *arg,
                           cli_pool **out);
/* head: buf is only the head of a larger message (smtpdx_msgreader_cut):
 * parsed with smtpdx_bounce_parse_head() */
smtpdx_status cli_pool_put(cli_pool *p, const char *buf, size_t len,
                           const char *origin, int head);
void cli_pool_drain(cli_pool *p);
void cli_pool_free(cli_pool *p);

#endif /* SMTPDX_CLI_H */
