/*
 * cmd_bounce.c - 'smtpdx bounce': read bounce mails, write one diagnosed
 * record per failed (or reported) recipient.
 *
 * Inputs are files (one message or an mbox), directories (Maildir or a
 * folder of messages) or "-" for standard input; the library's message
 * reader tells them apart. Records go to standard output in the chosen
 * format; the summary (messages read, bounces, and apart from them the
 * auto-replies, feedback reports and delivery reports, records,
 * non-bounces, unparseable messages with where they came from, unreadable inputs) and
 * the progress bar go to standard error.
 * --domain, --sender, --reason, --hard and --soft choose which records
 * are written (cli_filter.c); the summary still counts every record found.
 * Exit status: 0 records written, 1 nothing recognised (or nothing left
 * by the selection), 2 usage, 3 an input could not be read (the others
 * were still processed).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Paths of unparseable messages and unreadable inputs listed in the
 * summary; beyond this only the counts are given. */
#define LIST_MAX 20

typedef struct bounce_run {
    smtpdx_ctx *ctx;
    smtpdx_writer *w;
    smtpdx_records *recs;
    cli_pool *pool;        /* --jobs: parsed by workers; NULL: here */
    cli_progress *progress;
    int progress_bytes;    /* the bar counts bytes of a known total */
    uint64_t bytes_before; /* read from the inputs already done */
    const smtpdx_msgreader *rd; /* the input being read */
    cli_filter filter;
    unsigned long messages, bounces, records, written, notbounce,
        unparseable, unreadable;
    unsigned long cut;     /* messages read only in part: over 64 MiB */
    unsigned long broke;   /* and those whose input broke off inside */
    unsigned long limited; /* messages whose records a parser limit cut */
    /* reports that are not failures, counted apart from the bounces */
    unsigned long autoreplies, feedback, delivered;
    char *bad[LIST_MAX];   /* unparseable origins */
    const char *why[LIST_MAX]; /* and why each gave nothing */
    char *lost[LIST_MAX];  /* unreadable inputs */
    char *cutmsg[LIST_MAX]; /* origins of the limited messages */
    unsigned cutwhat[LIST_MAX]; /* and what was cut: SMTPDX_CUT_* */
    int failed;            /* output or library failure: stop */
    int table;             /* the table format (records or --summary) */
    int summary_only;      /* --summary */
    int paused;            /* the input paused: the notice is out */
    int interruptible;     /* Ctrl-C ends standard input (cli_stop) */
} bounce_run;

static void remember(char **list, unsigned long count, const char *what)
{
    if (count <= LIST_MAX && what != NULL)
        list[count - 1] = strdup(what);
}

/* What the summary says of a message that gave no record: a crossed
 * limit deserves naming, since its remedy differs from that of a mail that
 * is damaged; so does input that is no mail at all (a file given by
 * mistake), told binary when NUL bytes come early, since no mail has any. */
static const char *why_text(smtpdx_status st, const char *buf, size_t len)
{
    if (st == SMTPDX_ERR_LIMIT)
        return "unparseable message: past a size limit (a message may "
               "have 64 MiB)";
    if (st == SMTPDX_ERR_PARSE && buf != NULL) {
        switch (cli_sniff(buf, len)) {
        case CLI_SNIFF_ARCHIVE:
            return "not a mail message: " CLI_SNIFF_ARCHIVE_TEXT;
        case CLI_SNIFF_OUTLOOK: /* help desks are sent these instead */
            return "not a mail message: " CLI_SNIFF_OUTLOOK_TEXT;
        case CLI_SNIFF_TNEF:
            return "not a mail message: " CLI_SNIFF_TNEF_TEXT;
        case CLI_SNIFF_UTF16: /* a notice saved by an editor */
            return "not a mail message: " CLI_SNIFF_UTF16_TEXT;
        default:
            break;
        }
        if (memchr(buf, '\0', len < 4096 ? len : 4096) != NULL)
            return "not a mail message: binary data (NUL bytes near its "
                   "start)";
        return "not a mail message: it does not start with header fields "
               "(\"Name: value\" lines)";
    }
    return "unparseable message";
}

/* The limits that can cost a message records or their substance; a
 * reply or a returned field cut at its length limit still leaves the
 * record whole, and the 64 MiB cut is reported as the message is read. */
#define CUT_REPORTED \
    (SMTPDX_CUT_TEXT | SMTPDX_CUT_DSN | SMTPDX_CUT_RECIPIENTS | \
     SMTPDX_CUT_HEADER)

static void cut_phrases(unsigned cut, char *out, size_t size)
{
    static const struct {
        unsigned bit;
        const char *what;
    } names[] = {
        {SMTPDX_CUT_RECIPIENTS, "recipients past the first 1,000"},
        {SMTPDX_CUT_DSN, "the delivery-status part past 256 KiB"},
        {SMTPDX_CUT_TEXT, "the notice's text past 512 KiB or 20,000 lines"},
        {SMTPDX_CUT_HEADER, "header fields past the first 1 MiB"},
    };
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(cut & names[i].bit))
            continue;
        int n = snprintf(out + k, size - k, "%s%s", k ? "; " : "",
                         names[i].what);
        if (n < 0 || (size_t)n >= size - k)
            break;
        k += (size_t)n;
    }
}

/* A message that crossed a parser limit still gives its records, each
 * saying what was cut ("truncated"); the summary names the message too,
 * since records past the limit are missing, not merely shortened. */
static void limited(bounce_run *run, const char *origin, unsigned cut)
{
    run->limited++;
    remember(run->cutmsg, run->limited, origin);
    if (run->limited <= LIST_MAX)
        run->cutwhat[run->limited - 1] = cut;
}

static void unparseable(bounce_run *run, const char *origin,
                        smtpdx_status st, const char *buf, size_t len)
{
    run->unparseable++;
    remember(run->bad, run->unparseable, origin);
    if (run->unparseable <= LIST_MAX)
        run->why[run->unparseable - 1] = why_text(st, buf, len);
}

/* What one message gave (st, and its records in recs): counted, and its
 * records written. Called in reading order, however it was parsed. */
static void account(bounce_run *run, const char *buf, size_t len,
                    const char *origin, smtpdx_status st,
                    const smtpdx_records *recs, size_t first, size_t n)
{
    if (run->failed)
        return; /* parsed ahead of a failure: dropped */
    run->messages++;
    if (st == SMTPDX_ERR_NOTBOUNCE) {
        run->notbounce++;
        goto done;
    }
    if (st == SMTPDX_ERR_NOMEM || st == SMTPDX_ERR_KB) {
        /* no later message would fare better: stop */
        cli_error("bounce", origin, "%s", smtpdx_strerror(st));
        run->failed = 1;
        return;
    }
    if (st != SMTPDX_OK) {
        unparseable(run, origin, st, buf, len);
        goto done;
    }
    /* a message whose every record is an auto-reply, a complaint or a
     * delivery is no bounce: the summary names it for what it is */
    smtpdx_reason kind = SMTPDX_R_UNDEFINED;
    for (size_t i = first; i < first + n; i++) {
        smtpdx_reason r = smtpdx_records_get(recs, i)->reason;
        if (r != SMTPDX_R_VACATION && r != SMTPDX_R_FEEDBACK &&
            r != SMTPDX_R_DELIVERED) {
            kind = SMTPDX_R_UNDEFINED;
            break;
        }
        if (i > first && r != kind) {
            kind = SMTPDX_R_UNDEFINED;
            break;
        }
        kind = r;
    }
    if (kind == SMTPDX_R_VACATION)
        run->autoreplies++;
    else if (kind == SMTPDX_R_FEEDBACK)
        run->feedback++;
    else if (kind == SMTPDX_R_DELIVERED)
        run->delivered++;
    else
        run->bounces++;
    unsigned cut = 0;
    for (size_t i = first; i < first + n; i++) {
        const smtpdx_record *r = smtpdx_records_get(recs, i);
        run->records++;
        cut |= r->truncated & CUT_REPORTED;
        if (!cli_filter_keep(&run->filter, r))
            continue;
        st = smtpdx_writer_record(run->w, r);
        if (st != SMTPDX_OK) {
            cli_error("bounce", "standard output", "%s",
                      cli_strerror(st, errno));
            run->failed = 1;
            return;
        }
        run->written++;
    }
    if (cut)
        limited(run, origin, cut);
done:
    cli_progress_count(run->progress, run->messages);
    if (run->progress_bytes)
        cli_progress_update(run->progress,
                            run->bytes_before +
                                smtpdx_msgreader_offset(run->rd));
    else
        cli_progress_update(run->progress, run->messages);
}

static void pooled(void *arg, const char *buf, size_t len,
                   const char *origin, smtpdx_status st,
                   const smtpdx_records *recs, size_t first, size_t n)
{
    account(arg, buf, len, origin, st, recs, first, n);
}

static void one_message(bounce_run *run, const char *buf, size_t len,
                        const char *origin, int head)
{
    if (run->pool != NULL) {
        smtpdx_status st = cli_pool_put(run->pool, buf, len, origin, head);
        if (st != SMTPDX_OK) {
            cli_error("bounce", origin, "%s", smtpdx_strerror(st));
            run->failed = 1;
        }
        return;
    }
    smtpdx_records_clear(run->recs);
    smtpdx_status st =
        (head ? smtpdx_bounce_parse_head : smtpdx_bounce_parse)(
            run->ctx, buf, len, origin, run->recs);
    account(run, buf, len, origin, st, run->recs, 0,
            smtpdx_records_count(run->recs));
}

/* Before the reader's own word on an input (a file it cannot read, a
 * message past the size limit): the messages read before it first, so
 * that counts, lists and errors keep the order of the input. */
static void catch_up(bounce_run *run)
{
    if (run->pool != NULL)
        cli_pool_drain(run->pool);
}

/* The input paused (standard input fed as mail arrives): what is parsed
 * so far goes out now, not when a batch or the output buffer fills. The
 * table, after a second of silence, shows the summary so far and the
 * records gathered behind it, then each record as it comes (--summary:
 * the summary again when records came); the summary of all ends it. A
 * mailbox piped whole, even over a slow link, reads as a file does. A
 * write error shows at the final flush. */
static void on_wait(void *arg, unsigned ms)
{
    bounce_run *run = arg;
    catch_up(run);
    if (ms >= 1000 && run->table && !run->failed && !cli_stop) {
        (void)smtpdx_writer_flush(run->w);
        if (!run->paused)
            fputs(run->summary_only
                      ? "\n-- the input paused: the summary is shown again "
                        "when records come, and at its end (or Ctrl-C) --\n"
                      : "\n-- the input paused: each new record is shown as "
                        "it comes; the summary of all follows at its end "
                        "(or Ctrl-C) --\n",
                  stdout);
        run->paused = 1;
    }
    fflush(stdout);
}

static void one_input(bounce_run *run, const char *path)
{
    smtpdx_msgreader *rd = NULL;
    smtpdx_status st = smtpdx_msgreader_new(path, &rd);
    if (st != SMTPDX_OK) {
        int e = errno;
        catch_up(run);
        cli_error("bounce", path, "%s",
                  st == SMTPDX_ERR_IO && e ? strerror(e) : smtpdx_strerror(st));
        run->unreadable++;
        remember(run->lost, run->unreadable, path);
        return;
    }
    smtpdx_msgreader_on_wait(rd, on_wait, run);
    smtpdx_msgreader_interruptible(rd, run->interruptible);
    run->rd = rd;
    while (!run->failed && !cli_stop) {
        const char *buf = NULL, *origin = NULL;
        size_t len = 0;
        st = smtpdx_msgreader_next(rd, &buf, &len, &origin);
        if (st != SMTPDX_OK)
            catch_up(run);
        if (st == SMTPDX_ERR_IO) {
            const char *where = origin ? origin : path;
            const char *why = smtpdx_msgreader_why(rd);
            cli_error("bounce", where, "%s", *why ? why : smtpdx_strerror(st));
            run->unreadable++;
            remember(run->lost, run->unreadable, where);
            continue; /* the reader goes on with the next file */
        }
        if (st != SMTPDX_OK) {
            const char *where = origin ? origin : path;
            if (st == SMTPDX_ERR_NOMEM) {
                cli_error("bounce", where, "%s", smtpdx_strerror(st));
                run->failed = 1;
                break;
            }
            /* a message over the size limit and the like */
            run->messages++;
            unparseable(run, where, st, NULL, 0);
            continue;
        }
        if (buf == NULL)
            break;
        int head = smtpdx_msgreader_cut(rd);
        if (head == 1) {
            catch_up(run);
            cli_error("bounce", origin ? origin : path,
                      "larger than 64 MiB: only its first 64 MiB were read "
                      "(a bounce's notice and report come first; the end "
                      "of its returned copy is what is lost)");
            run->cut++;
        } else if (head == 2) {
            catch_up(run);
            cli_error("bounce", origin ? origin : path,
                      "the input breaks off inside this message: it is read "
                      "as far as it goes");
            run->broke++;
        }
        one_message(run, buf, len, origin ? origin : path, head);
    }
    /* messages still with the workers are counted against this input's
     * end, which is close enough for a bar */
    run->bytes_before += smtpdx_msgreader_offset(rd);
    run->rd = NULL;
    smtpdx_msgreader_free(rd);
}

static void summary(const bounce_run *run)
{
    fprintf(stderr, "smtpdx bounce: %lu message%s read, %lu bounce%s",
            run->messages, run->messages == 1 ? "" : "s", run->bounces,
            run->bounces == 1 ? "" : "s");
    if (run->autoreplies)
        fprintf(stderr, ", %lu auto-repl%s", run->autoreplies,
                run->autoreplies == 1 ? "y" : "ies");
    if (run->feedback)
        fprintf(stderr, ", %lu feedback report%s", run->feedback,
                run->feedback == 1 ? "" : "s");
    if (run->delivered)
        fprintf(stderr, ", %lu delivery report%s", run->delivered,
                run->delivered == 1 ? "" : "s");
    fprintf(stderr, ", %lu record%s, %lu not a bounce, %lu unparseable",
            run->records, run->records == 1 ? "" : "s", run->notbounce,
            run->unparseable);
    if (cli_filter_any(&run->filter))
        fprintf(stderr, ", %lu record%s selected", run->written,
                run->written == 1 ? "" : "s");
    if (run->unreadable)
        fprintf(stderr, ", %lu input%s unreadable", run->unreadable,
                run->unreadable == 1 ? "" : "s");
    if (run->cut)
        fprintf(stderr, ", %lu read in part (over 64 MiB)", run->cut);
    if (run->broke)
        fprintf(stderr, ", %lu read in part (the input broke off)",
                run->broke);
    if (run->limited)
        fprintf(stderr, ", %lu cut short by a limit", run->limited);
    fputc('\n', stderr);
    for (unsigned long i = 0; i < run->unparseable && i < LIST_MAX; i++)
        if (run->bad[i])
            cli_error("bounce", run->bad[i], "%s", run->why[i]);
    if (run->unparseable > LIST_MAX)
        fprintf(stderr, "smtpdx bounce: ... and %lu more unparseable\n",
                run->unparseable - LIST_MAX);
    for (unsigned long i = 0; i < run->limited && i < LIST_MAX; i++) {
        if (run->cutmsg[i] == NULL)
            continue;
        char what[256];
        cut_phrases(run->cutwhat[i], what, sizeof what);
        cli_error("bounce", run->cutmsg[i],
                  "cut short by a limit, its records may be incomplete "
                  "(their \"truncated\" says so): %s", what);
    }
    if (run->limited > LIST_MAX)
        fprintf(stderr, "smtpdx bounce: ... and %lu more cut short\n",
                run->limited - LIST_MAX);
}

int cmd_bounce(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_OUTPUT_LONGOPTS,
        CLI_SELECT_LONGOPTS,
        {"hard", no_argument, NULL, CLI_OPT_HARD},
        {"soft", no_argument, NULL, CLI_OPT_SOFT},
        {"quiet", no_argument, NULL, 'q'},
        {"summary", no_argument, NULL, CLI_OPT_FIRST_FREE},
        {"since", required_argument, NULL, CLI_OPT_FIRST_FREE + 1},
        {"until", required_argument, NULL, CLI_OPT_FIRST_FREE + 2},
        {"jobs", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_outopts oo;
    bounce_run run;
    smtpdx_format fmt;
    int c, quiet = 0, summary_only = 0;
    unsigned jobs = 1;

    memset(&run, 0, sizeof run);
    cli_outopts_init(&oo);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":hqj:", longopts, NULL)) != -1) {
        int r = cli_outopts_handle(&oo, "bounce", c, optarg);
        if (r == 0)
            r = cli_filter_handle(&run.filter, "bounce", c, optarg);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        if (c == 'q') {
            quiet = 1;
            continue;
        }
        if (c == CLI_OPT_FIRST_FREE) {
            summary_only = 1;
            continue;
        }
        if (c == CLI_OPT_FIRST_FREE + 1 || c == CLI_OPT_FIRST_FREE + 2) {
            int since = c == CLI_OPT_FIRST_FREE + 1;
            int64_t *when = since ? &run.filter.since : &run.filter.until;
            /* 0 is "open": a window from the epoch is the open one */
            if (cli_parse_when(optarg, 0, when) != 0 || *when <= 0)
                return cli_usage("bounce", "--%s: '%s' is no time (2h, 1d, "
                                 "2026-11-28, 2026-11-28T03:00)",
                                 since ? "since" : "until", optarg);
            continue;
        }
        if (c == 'j') {
            if (cli_jobs_parse(optarg, &jobs) != 0)
                return cli_usage("bounce", "--jobs takes a number of "
                                           "threads from 0 (one per core) "
                                           "to %u, not '%s'",
                                 CLI_JOBS_MAX, optarg);
            continue;
        }
        if (c == 'h')
            return cli_help_print("bounce", stdout) == 0 ? CLI_EXIT_OK
                                                         : CLI_EXIT_USAGE;
        return cli_getopt_fail("bounce", c, argv);
    }
    if (optind >= argc && isatty(STDIN_FILENO))
        return cli_usage("bounce", "give files or directories of bounce "
                                   "mails, or - to read standard input");

    unsigned flags = cli_outopts_resolve(&oo, stdout, &fmt);
    if (summary_only) {
        /* the summary is the table's; in a pipe too */
        if (oo.format_set && fmt != SMTPDX_FMT_TABLE)
            return cli_usage("bounce", "--summary goes with the table "
                                       "format only");
        fmt = SMTPDX_FMT_TABLE;
        flags |= SMTPDX_OUT_SUMMARY;
    }
    /* An mbox gives records by the thousand: write them in large blocks
     * when no one watches them arrive. Each record reaches stdio whole. */
    static char outbuf[256u * 1024u]; /* glibc ignores a size alone */
    if (!isatty(STDOUT_FILENO))
        setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    smtpdx_status st = smtpdx_ctx_new(&run.ctx);
    if (st != SMTPDX_OK) {
        cli_error("bounce", "knowledge base", "%s", smtpdx_strerror(st));
        return CLI_EXIT_INPUT;
    }
    run.recs = smtpdx_records_new();
    st = run.recs ? smtpdx_writer_new(stdout, fmt, flags, &run.w)
                  : SMTPDX_ERR_NOMEM;
    if (st != SMTPDX_OK) {
        cli_error("bounce", "output", "%s", smtpdx_strerror(st));
        smtpdx_records_free(run.recs);
        smtpdx_ctx_free(run.ctx);
        return CLI_EXIT_INPUT;
    }
    if (jobs > 1 &&
        (st = cli_pool_new(jobs, pooled, &run, &run.pool)) != SMTPDX_OK) {
        cli_error("bounce", "worker threads", "%s", smtpdx_strerror(st));
        smtpdx_writer_free(run.w);
        smtpdx_records_free(run.recs);
        smtpdx_ctx_free(run.ctx);
        return CLI_EXIT_INPUT;
    }
    run.table = fmt == SMTPDX_FMT_TABLE;
    run.summary_only = summary_only;
    /* Ctrl-C ends a live pipe with what it gave and the summary */
    int reads_stdin = optind >= argc;
    for (int i = optind; i < argc; i++)
        reads_stdin |= strcmp(argv[i], "-") == 0;
    if (reads_stdin && cli_stdin_piped())
        run.interruptible = cli_stop_on_signals() == 0;
    /* files and folders of a known size get a bar of the bytes read;
     * standard input only a count of the messages */
    uint64_t total = 0;
    if (!quiet && !reads_stdin && isatty(STDERR_FILENO))
        for (int i = optind; i < argc; i++)
            total += smtpdx_input_size(argv[i]);
    run.progress_bytes = total > 0;
    run.progress = quiet ? NULL
                   : total > 0 ? cli_progress_new("reading", total, 1)
                               : cli_progress_new("messages", 0, 0);

    if (optind >= argc)
        one_input(&run, "-");
    for (int i = optind; i < argc && !run.failed && !cli_stop; i++)
        one_input(&run, argv[i]);

    catch_up(&run);
    cli_pool_free(run.pool);
    cli_progress_done(run.progress);
    st = smtpdx_writer_finish(run.w);
    if (st != SMTPDX_OK && !run.failed) {
        cli_error("bounce", "standard output", "%s",
                  cli_strerror(st, errno));
        run.failed = 1;
    }
    if (fflush(stdout) != 0 && !run.failed) {
        cli_error("bounce", "standard output", "%s", strerror(errno));
        run.failed = 1;
    }
    if (!quiet)
        summary(&run);

    smtpdx_writer_free(run.w);
    smtpdx_records_free(run.recs);
    smtpdx_ctx_free(run.ctx);
    for (int i = 0; i < LIST_MAX; i++) {
        free(run.bad[i]);
        free(run.lost[i]);
        free(run.cutmsg[i]);
    }
    if (run.failed || run.unreadable > 0)
        return CLI_EXIT_INPUT;
    return run.written > 0 ? CLI_EXIT_OK : CLI_EXIT_NONE;
}
