/*
 * cmd_log.c - 'smtpdx log': triage MTA logs into diagnosed failures.
 *
 *   smtpdx log [OPTIONS] [FILE...|-]
 *
 * Files are put in time order (rotated ones first), read line by line
 * (plain or .gz) and fed to the library's log parser; each record it
 * returns passes the filters (--domain, --sender, --reason; --since and
 * --until are applied by the parser so that the totals obey them too) and
 * goes to the writer (json, ndjson, sisimai, csv) or into the grouped
 * summary (table). With --follow the last file is followed like tail -F
 * until SIGINT or SIGTERM, then the summary is printed.
 *
 * Exit status (the table in cli.h): 0 records written, 1 none, 2 usage,
 * 3 an input could not be read (the others still were).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd_log.h"

enum {
    OPT_SINCE = CLI_OPT_FIRST_FREE,
    OPT_UNTIL,
    OPT_ONLY,
    OPT_YEAR,
    OPT_UTC,
    OPT_QUEUE_AGE,
    OPT_QUEUE_MAX,
};

typedef struct log_run {
    smtpdx_logparser *parser;
    smtpdx_ctx *ctx;
    smtpdx_records *batch;
    smtpdx_writer *w;        /* machine formats */
    log_summary *summary;    /* table */
    FILE *out;
    int follow;              /* following a growing file */
    const log_reader *reader;
    int follow_lines;        /* table while following: one line each */
    int color, utc;
    cli_filter filter;       /* --domain, --sender, --reason */
    uint64_t written;
    int failed;              /* an output or library error */
} log_run;

/* Write and count what the last lines produced, then drop it. */
static int drain(log_run *run)
{
    size_t n = smtpdx_records_count(run->batch);
    for (size_t i = 0; i < n && !run->failed; i++) {
        const smtpdx_record *r = smtpdx_records_get(run->batch, i);
        if (!cli_filter_keep(&run->filter, r))
            continue;
        run->written++;
        if (run->w) {
            smtpdx_status st = smtpdx_writer_record(run->w, r);
            if (st != SMTPDX_OK) {
                cli_error("log", "standard output", "%s",
                          cli_strerror(st, errno));
                run->failed = 1;
            }
        } else {
            log_summary_add(run->summary, r);
            if (run->follow_lines)
                log_summary_line(r, run->out, run->color, run->utc);
        }
    }
    smtpdx_records_clear(run->batch);
    return run->failed ? -1 : 0;
}

static int on_line(void *arg, const char *line, size_t len)
{
    log_run *run = arg;
    smtpdx_status st =
        smtpdx_logparser_feed(run->parser, run->ctx, line, len, run->batch);
    if (st != SMTPDX_OK) {
        cli_error("log", NULL, "%s", smtpdx_strerror(st));
        run->failed = 1;
        return -1;
    }
    /* keep the batch small so memory stays flat whatever the log */
    if (smtpdx_records_count(run->batch) >= 512)
        return drain(run);
    return 0;
}

static int on_batch(void *arg)
{
    log_run *run = arg;
    if (drain(run) != 0)
        return -1;
    /* someone is watching a file grow, or a pipe's writer may pause for
     * long (journalctl -f, tail -F): show each record now. A read ends
     * each call, so that is one write per block of input at most. */
    if (run->follow || run->reader->live)
        fflush(run->out);
    return 0;
}

/* A live input (journalctl -f, tail -F into a pipe) fell silent. Machine
 * formats: what is done goes out at once. The table, after a second of
 * silence: what came so far is shown as a summary, and from then on each
 * failure as a line when it comes, as with --follow; the summary of
 * everything follows at the end (Ctrl-C). A log piped whole, even over a
 * slow link, reads as a file does. */
static void on_quiet(void *arg, unsigned ms)
{
    log_run *run = arg;
    if (drain(run) != 0)
        return;
    if (run->summary != NULL && !run->follow_lines && ms >= 1000) {
        log_summary_print(run->summary, smtpdx_logparser_stats(run->parser),
                          run->out, run->color, run->utc);
        fputs("\n-- the input paused: each new failure is shown as it comes; "
              "the summary of all follows at its end (or Ctrl-C) --\n",
              run->out);
        run->follow_lines = 1;
    }
    fflush(run->out);
}

/* ---------------------------------------------------------- time options */

/* A span such as "45s", "30m", "12h", "8d" or "2w", in seconds. */
static int parse_span(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    if (n < 2 || !strchr("smhdw", s[n - 1]))
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end != s + n - 1 || v <= 0 || v > 100LL * 365 * 86400)
        return -1;
    char unit = s[n - 1];
    long long mul = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600
                  : unit == 'd' ? 86400 : 7 * 86400;
    if (v > 100LL * 365 * 86400 / mul)
        return -1;
    *out = (int64_t)(v * mul);
    return 0;
}

/* ------------------------------------------------------------------ run */

int cmd_log(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"follow", no_argument, NULL, 'f'},
        {"since", required_argument, NULL, OPT_SINCE},
        {"until", required_argument, NULL, OPT_UNTIL},
        CLI_SELECT_LONGOPTS,
        {"only", required_argument, NULL, OPT_ONLY},
        {"year", required_argument, NULL, OPT_YEAR},
        {"utc", no_argument, NULL, OPT_UTC},
        {"queue-age", required_argument, NULL, OPT_QUEUE_AGE},
        {"queue-max", required_argument, NULL, OPT_QUEUE_MAX},
        CLI_OUTPUT_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    log_run run;
    cli_outopts oo;
    smtpdx_log_options lo;
    const char *since = NULL, *until = NULL;
    int follow = 0, c, rc = CLI_EXIT_OK, input_failed = 0;
    log_reader reader;

    memset(&run, 0, sizeof run);
    memset(&reader, 0, sizeof reader);
    cli_outopts_init(&oo);
    smtpdx_log_options_init(&lo);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":f", longopts, NULL)) != -1) {
        int h = cli_outopts_handle(&oo, "log", c, optarg);
        if (h == 0)
            h = cli_filter_handle(&run.filter, "log", c, optarg);
        if (h < 0)
            return CLI_EXIT_USAGE;
        if (h > 0)
            continue;
        switch (c) {
        case 'f': follow = 1; break;
        case OPT_SINCE: since = optarg; break;
        case OPT_UNTIL: until = optarg; break;
        case OPT_UTC: lo.utc = 1; break;
        case OPT_ONLY:
            if (strcmp(optarg, "all") == 0)
                lo.all = 1;
            else if (strcmp(optarg, "failures") == 0)
                lo.all = 0;
            else
                return cli_usage("log", "--only takes 'failures' or 'all', "
                                 "not '%s'", optarg);
            break;
        case OPT_YEAR: {
            char *end;
            long y = strtol(optarg, &end, 10);
            if (*end || y < 1970 || y > 9999)
                return cli_usage("log", "--year wants a year like 2026");
            lo.year = (int)y;
            break;
        }
        case OPT_QUEUE_AGE:
            if (parse_span(optarg, &lo.queue_max_age) != 0)
                return cli_usage("log", "--queue-age wants a span such as "
                                 "12h, 8d or 2w, not '%s'", optarg);
            break;
        case OPT_QUEUE_MAX: {
            char *end;
            errno = 0;
            long long v = strtoll(optarg, &end, 10);
            if (errno || *end || end == optarg || v < 1 || v > 100000000)
                return cli_usage("log", "--queue-max wants a count of "
                                 "messages from 1 to 100000000, not '%s'",
                                 optarg);
            lo.queue_max = (size_t)v;
            break;
        }
        default:
            return cli_getopt_fail("log", c, argv);
        }
    }
    run.utc = lo.utc;
    if (since && cli_parse_when(since, lo.utc, &lo.since) != 0)
        return cli_usage("log", "--since: '%s' is no time (2h, 1d, "
                         "2026-11-28, 2026-11-28T03:00)", since);
    if (until && cli_parse_when(until, lo.utc, &lo.until) != 0)
        return cli_usage("log", "--until: '%s' is no time (2h, 1d, "
                         "2026-11-28, 2026-11-28T03:00)", until);

    char **inputs = argv + optind;
    size_t ninputs = (size_t)(argc - optind);
    char *dash[] = {"-"};
    /* no file and a person at the keyboard: they meant to name one */
    if (ninputs == 0 && isatty(STDIN_FILENO))
        return cli_usage("log", "give log files (maillog, mail.log, "
                                "mainlog; .gz too), or - to read standard "
                                "input");
    if (ninputs == 0) {
        inputs = dash;
        ninputs = 1;
    }
    log_sort_inputs(inputs, ninputs);

    smtpdx_format fmt;
    unsigned flags = cli_outopts_resolve(&oo, stdout, &fmt);
    /* Records come by the thousand: write them in large blocks, unless
     * someone watches them arrive. */
    static char outbuf[1u << 20]; /* glibc ignores a size without a buffer */
    if (!follow && !isatty(STDOUT_FILENO))
        setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    run.out = stdout;
    run.color = (flags & SMTPDX_OUT_COLOR) != 0;
    smtpdx_status st = smtpdx_ctx_new(&run.ctx);
    if (st == SMTPDX_OK)
        st = smtpdx_logparser_new(&lo, &run.parser);
    run.batch = smtpdx_records_new();
    if (st == SMTPDX_OK && run.batch == NULL)
        st = SMTPDX_ERR_NOMEM;
    if (st == SMTPDX_OK) {
        if (fmt == SMTPDX_FMT_TABLE) {
            run.summary = log_summary_new();
            run.follow_lines = follow;
            if (run.summary == NULL)
                st = SMTPDX_ERR_NOMEM;
        } else {
            st = smtpdx_writer_new(stdout, fmt, flags, &run.w);
        }
    }
    if (st != SMTPDX_OK || log_reader_init(&reader) != 0) {
        cli_error("log", NULL, "%s",
                  smtpdx_strerror(st != SMTPDX_OK ? st : SMTPDX_ERR_NOMEM));
        rc = CLI_EXIT_INPUT;
        goto done;
    }
    run.follow = follow;
    /* Ctrl-C ends a followed file or a live pipe with its summary */
    int reads_stdin = 0;
    for (size_t i = 0; i < ninputs; i++)
        reads_stdin |= strcmp(inputs[i], "-") == 0;
    if (follow || (cli_stdin_piped() && reads_stdin))
        cli_stop_on_signals();
    reader.on_line = on_line;
    reader.on_batch = on_batch;
    reader.on_quiet = on_quiet;
    reader.arg = &run;
    run.reader = &reader;
    reader.stop = &cli_stop;
    /* following a log onto the terminal, events are printed as they come:
     * a bar would share their lines */
    if (isatty(STDERR_FILENO) && !(follow && isatty(STDOUT_FILENO)))
        reader.progress = cli_progress_new(
            "reading", log_inputs_size(inputs, ninputs), 1);

    for (size_t i = 0; i < ninputs && !cli_stop; i++) {
        smtpdx_logparser_set_origin(run.parser, inputs[i]);
        int r = log_read(&reader, inputs[i], follow && i + 1 == ninputs);
        if (r == -1)
            input_failed = 1;
        if (r == -2 || run.failed)
            break;
    }
    cli_progress_done(reader.progress);
    reader.progress = NULL;
    if (!run.failed) {
        st = smtpdx_logparser_finish(run.parser, run.ctx, run.batch);
        if (st != SMTPDX_OK) {
            cli_error("log", NULL, "%s", smtpdx_strerror(st));
            run.failed = 1;
        }
        drain(&run);
    }
    const smtpdx_log_stats *stats = smtpdx_logparser_stats(run.parser);
    if (run.w) {
        st = smtpdx_writer_finish(run.w);
        if (st != SMTPDX_OK && !run.failed) {
            cli_error("log", "standard output", "%s",
                      cli_strerror(st, errno));
            run.failed = 1;
        }
    } else if (run.summary) {
        if (run.follow_lines)
            fputc('\n', stdout);
        log_summary_print(run.summary, stats, stdout, run.color, run.utc);
    }
    if (fflush(stdout) != 0 && !run.failed) {
        cli_error("log", "standard output", "%s", strerror(errno));
        run.failed = 1;
    }
    if (run.w && isatty(STDERR_FILENO))
        fprintf(stderr,
                "smtpdx log: %llu lines (%llu unknown), %llu records; sent "
                "%llu, deferred %llu, bounced %llu, expired %llu, rejected "
                "%llu\n",
                (unsigned long long)stats->lines,
                (unsigned long long)stats->unknown,
                (unsigned long long)run.written,
                (unsigned long long)stats->total.sent,
                (unsigned long long)stats->total.deferred,
                (unsigned long long)stats->total.bounced,
                (unsigned long long)stats->total.expired,
                (unsigned long long)stats->total.rejected);
    /* Always said: input of which no line is from a mail server's log is
     * most likely the wrong file (a bounce mail, another program's log) */
    if (stats->lines > 0 && stats->unknown == stats->lines)
        fprintf(stderr,
                "smtpdx log: none of the %llu line%s read is a Postfix, "
                "Exim, Sendmail, OpenSMTPD or Courier log line: is this a "
                "mail log? (bounce mails are read by 'smtpdx bounce')\n",
                (unsigned long long)stats->lines,
                stats->lines == 1 ? "" : "s");
    /* Always said, TTY or not: a forgotten message's later lines stand
     * alone, so its records may lack what the earlier lines told. */
    if (stats->evicted || stats->aged_out)
        fprintf(stderr,
                "smtpdx log: %llu queued message%s forgotten before their "
                "last line (%llu: queue table full, see --queue-max; %llu: "
                "older than --queue-age)\n",
                (unsigned long long)(stats->evicted + stats->aged_out),
                stats->evicted + stats->aged_out == 1 ? "" : "s",
                (unsigned long long)stats->evicted,
                (unsigned long long)stats->aged_out);
    if (run.failed || input_failed)
        rc = CLI_EXIT_INPUT;
    else
        rc = run.written ? CLI_EXIT_OK : CLI_EXIT_NONE;
done:
    log_reader_release(&reader);
    smtpdx_writer_free(run.w);
    log_summary_free(run.summary);
    smtpdx_records_free(run.batch);
    smtpdx_logparser_free(run.parser);
    smtpdx_ctx_free(run.ctx);
    return rc;
}
