/*
 * cmd_explain.c - 'smtpdx explain': what SMTP replies mean and what to do.
 *
 * Each argument is one reply; "-" reads replies from standard input, one
 * per line, joining the lines of a multi-line reply ("550-..." up to the
 * "550 ..." line with the same code, RFC 5321 section 4.2.1) and the
 * indented lines that carry on a reply wrapped the way mail notices and
 * Diagnostic-Code fields wrap it (RFC 5322 2.2.3 folding). Exit status:
 * 0 all explained, 1 some reply unparseable or unmatched, 2 usage, 3 when
 * standard input or output failed.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* A line longer than a reply may be is cut here; the parser then flags
 * the reply as truncated. A joined multi-line reply is capped the same
 * way, plus room for its line breaks. */
#define LINE_MAX_BYTES (SMTPDX_REPLY_TEXT_MAX + 1)
#define GROUP_MAX_BYTES (SMTPDX_REPLY_TEXT_MAX + 4096)

typedef struct explain_run {
    smtpdx_ctx *ctx;
    smtpdx_writer *w;
    unsigned long explained, unknown;
    int failed; /* a library call failed for a reason other than the input */
} explain_run;

static void explain_one(explain_run *run, const char *in, size_t len)
{
    const smtpdx_reply *reply = NULL;
    smtpdx_explanation e;
    smtpdx_status st;

    memset(&e, 0, sizeof(e));
    st = smtpdx_explain(run->ctx, in, len, &reply, &e);
    if (st == SMTPDX_ERR_PARSE) {
        memset(&e, 0, sizeof(e));
        e.reason = SMTPDX_R_UNDEFINED;
        e.temporary = -1;
        reply = NULL;
    } else if (st != SMTPDX_OK) {
        cli_error("explain", NULL, "%s", smtpdx_strerror(st));
        run->failed = 1;
        return;
    }
    if (st != SMTPDX_OK || e.entry == NULL
        || e.matched_by == SMTPDX_MATCH_NONE)
        run->unknown++;
    else
        run->explained++;
    st = smtpdx_writer_explanation(run->w, in, len, reply, &e);
    if (st != SMTPDX_OK && !run->failed) {
        cli_error("explain", "standard output", "%s",
                  cli_strerror(st, errno));
        run->failed = 1;
    }
}

/* ------------------------------------------------------- standard input */

/* Standard input, read in blocks. A pipe or terminal may fall silent
 * (tail -f, a person typing): once nothing has come for QUIET_MS, what is
 * explained so far is flushed before waiting, so the answers keep up with
 * the questions; a fast writer never sees a flush. */
#define IN_BLOCK (64u * 1024u)
#define QUIET_MS 50

typedef struct line_in {
    char *buf;
    size_t pos, len;
    int live;  /* not a regular file */
    int err;   /* errno of a failed read, 0 */
    int eof;
    /* run when a live input falls silent, before the flush: a reply
     * held for lines that may carry it on is explained then */
    void (*quiet)(void *arg);
    void *quiet_arg;
} line_in;

/* Refill an empty buffer; 0 at the end or on an error. */
static int refill(line_in *in)
{
    if (in->eof)
        return 0;
    if (in->live) {
        struct pollfd p = {STDIN_FILENO, POLLIN, 0};
        if (poll(&p, 1, QUIET_MS) == 0) {
            if (in->quiet != NULL)
                in->quiet(in->quiet_arg);
            fflush(stdout);
        }
    }
    ssize_t r;
    for (;;) {
        r = read(STDIN_FILENO, in->buf, IN_BLOCK);
        if (r >= 0 || (errno != EINTR && errno != EAGAIN &&
                       errno != EWOULDBLOCK))
            break;
        if (errno != EINTR) {
            /* left non-blocking by whoever started us: wait for input */
            struct pollfd p = {STDIN_FILENO, POLLIN, 0};
            (void)poll(&p, 1, -1);
        }
    }
    if (r <= 0) {
        in->err = r < 0 ? errno : 0;
        in->eof = 1;
        return 0;
    }
    in->pos = 0;
    in->len = (size_t)r;
    return 1;
}

/* Read one line into buf (without its line end), at most cap bytes kept;
 * the rest of a longer line is read and dropped. Returns the length, or
 * -1 at the end of input. */
static long read_line(line_in *in, char *buf, size_t cap)
{
    size_t n = 0;
    int any = 0;
    for (;;) {
        if (in->pos == in->len && !refill(in))
            break;
        any = 1;
        const char *p = in->buf + in->pos;
        size_t avail = in->len - in->pos;
        const char *nl = memchr(p, '\n', avail);
        size_t take = nl ? (size_t)(nl - p) : avail;
        size_t keep = take < cap - n ? take : cap - n;
        memcpy(buf + n, p, keep);
        n += keep;
        in->pos += take + (nl != NULL);
        if (nl != NULL)
            break;
    }
    if (!any)
        return -1;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    return (long)n;
}

/* The code of a reply line and the character after it: "550-" gives
 * 550 and '-'; 0 when the line does not start with three digits. */
static int line_code(const char *s, size_t n, char *sep)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (n - i < 3)
        return 0;
    for (size_t k = 0; k < 3; k++)
        if (s[i + k] < '0' || s[i + k] > '9')
            return 0;
    *sep = (n - i > 3) ? s[i + 3] : ' ';
    if (*sep != '-' && *sep != ' ' && *sep != '\t')
        return 0;
    return (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
}

/* A session transcript pasted whole (swaks: "<-  250 ...", "<** 550 ...",
 * " -> RCPT TO:...", "=== Connected"; Sendmail's "<<< 550 ...", ">>> ..."):
 * 1 for a line of the client or of the tool, which is no reply and is
 * skipped; else the prefix of a server's line is cut off (*off). */
static int transcript_line(const char *s, size_t n, size_t *off)
{
    static const char *const server[] = {"<** ", "<~* ", "<-  ", "<~  ",
                                         "<<< ", NULL};
    static const char *const client[] = {" -> ", " ~> ", "=== ", "*** ",
                                         ">>> ", NULL};
    *off = 0;
    for (size_t i = 0; client[i]; i++)
        if (n >= 4 && memcmp(s, client[i], 4) == 0)
            return 1;
    for (size_t i = 0; server[i]; i++)
        if (n >= 4 && memcmp(s, server[i], 4) == 0) {
            *off = 4;
            while (*off < n && s[*off] == ' ')
                (*off)++;
            break;
        }
    return 0;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    return 1;
}

/* Does the line open a mail message: an mbox "From " line, or one of the
 * header fields a delivered mail starts with? A bounce mail piped in by
 * mistake: explain reads it a line at a time, which helps nobody. */
static int mail_start(const char *s, size_t n)
{
    static const char *const fields[] = {
        "return-path:", "received:", "delivered-to:", "x-original-to:",
        "from:", "date:", "message-id:", "mime-version:", "subject:",
        "to:", NULL};
    if (n > 5 && memcmp(s, "From ", 5) == 0) {
        /* "From MAILER-DAEMON Thu Jan  1 00:00:00 2026": a sender, then
         * a weekday */
        static const char days[] = "MonTueWedThuFriSatSun";
        size_t i = 5;
        while (i < n && s[i] != ' ')
            i++;
        while (i < n && s[i] == ' ')
            i++;
        for (size_t d = 0; d < 21 && i + 3 < n; d += 3)
            if (memcmp(s + i, days + d, 3) == 0 && s[i + 3] == ' ')
                return 1;
    }
    for (size_t i = 0; fields[i]; i++) {
        size_t k = strlen(fields[i]);
        if (n > k && strncasecmp(s, fields[i], k) == 0)
            return 1;
    }
    return 0;
}

/* Does the file at path open like a mail message (mail_start)? */
static int file_is_mail(const char *path)
{
    char head[256];
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    size_t e = 0;
    while (e < n && head[e] != '\n' && head[e] != '\r')
        e++;
    return mail_start(head, e);
}

/* A reply line held until the next line shows whether it goes on. */
typedef struct held {
    explain_run *run;
    char *buf;
    size_t len;
} held;

static void held_explain(void *arg)
{
    held *h = arg;
    if (h->len > 0 && !h->run->failed)
        explain_one(h->run, h->buf, h->len);
    h->len = 0;
}

/* Carry the held reply on with an indented line: one space for the line
 * break and the indentation, as RFC 5322 unfolding would leave it. */
static void held_fold(held *h, const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    size_t room = GROUP_MAX_BYTES - h->len;
    if (room < 2)
        return;
    h->buf[h->len++] = ' ';
    room--;
    size_t take = n < room ? n : room;
    memcpy(h->buf + h->len, s, take);
    h->len += take;
}

static int explain_stdin(explain_run *run)
{
    char *line = malloc(LINE_MAX_BYTES);
    char *group = malloc(GROUP_MAX_BYTES);
    held hold = {run, malloc(GROUP_MAX_BYTES), 0};
    line_in in = {malloc(IN_BLOCK), 0, 0, 0, 0, 0, held_explain, &hold};
    size_t glen = 0;
    int gcode = 0; /* code of the multi-line reply being joined, 0: none */
    int first_seen = 0; /* the first line that is not blank was read */
    int hinted = 0;     /* the hint to use 'bounce -' was given */
    unsigned long unknown_before = run->unknown;
    long n;
    struct stat sb;
    in.live = fstat(STDIN_FILENO, &sb) != 0 || !S_ISREG(sb.st_mode);

    if (line == NULL || group == NULL || in.buf == NULL || hold.buf == NULL) {
        free(line);
        free(group);
        free(in.buf);
        free(hold.buf);
        cli_error("explain", "standard input", "out of memory");
        return -1;
    }
    /* a file given by mistake (a program, an image, an archive): said
     * for what it is, not explained line by line as garbage; a stray NUL
     * byte in a reply is read as it is (flagged bad-bytes) */
    const char *why = refill(&in) ? cli_sniff_why(in.buf, in.len) : NULL;
    if (why != NULL) {
        cli_error("explain", "standard input", "not SMTP replies: %s", why);
        free(line);
        free(group);
        free(in.buf);
        free(hold.buf);
        return -1;
    }
    while (!run->failed && (n = read_line(&in, line, LINE_MAX_BYTES)) >= 0) {
        char sep = ' ';
        size_t len = (size_t)n, off;
        if (transcript_line(line, len, &off)) {
            held_explain(&hold);
            continue;
        }
        if (off > 0) {
            memmove(line, line + off, len - off);
            len -= off;
        }
        int code = line_code(line, len, &sep);
        if (!first_seen && !blank(line, len)) {
            first_seen = 1;
            if (mail_start(line, len)) {
                fprintf(stderr, "smtpdx: explain: standard input starts "
                        "like a mail message, and explain reads one reply "
                        "per line; for a bounce mail, use: smtpdx bounce "
                        "-\n");
                hinted = 1;
            }
        }

        /* an indented line without a code of its own carries the held
         * reply on ("host mx[...] said: 550 5.1.1 <a@b>: Recipient" and
         * "    address rejected: User unknown (in reply to RCPT TO
         * command)") */
        if (hold.len > 0 && off == 0 && len > 0 &&
            (line[0] == ' ' || line[0] == '\t') && code == 0 &&
            !blank(line, len)) {
            held_fold(&hold, line, len);
            continue;
        }
        held_explain(&hold);
        if (gcode != 0 && code != gcode) {
            explain_one(run, group, glen); /* an unfinished reply */
            gcode = 0;
            glen = 0;
        }
        if (blank(line, len))
            continue;
        if (code != 0 && (sep == '-' || gcode != 0)) {
            /* a line of a multi-line reply: join it */
            if (glen > 0 && glen < GROUP_MAX_BYTES)
                group[glen++] = '\n';
            size_t room = GROUP_MAX_BYTES - glen;
            size_t take = len < room ? len : room;
            memcpy(group + glen, line, take);
            glen += take;
            gcode = code;
            if (sep != '-') { /* "550 ..." ends it */
                explain_one(run, group, glen);
                gcode = 0;
                glen = 0;
            }
            continue;
        }
        memcpy(hold.buf, line, len);
        hold.len = len;
    }
    held_explain(&hold);
    if (gcode != 0 && !run->failed)
        explain_one(run, group, glen);
    /* lines that are no reply at all, the sentences around the replies
     * of a pasted notice most likely */
    if (!hinted && run->unknown - unknown_before >= 3)
        fprintf(stderr, "smtpdx: explain: %lu of the replies read matched "
                "nothing smtpdx knows (no code, no known wording); if they "
                "are sentences of a bounce notice, read it whole with: "
                "smtpdx bounce -\n",
                run->unknown - unknown_before);
    free(line);
    free(group);
    free(in.buf);
    free(hold.buf);
    if (in.err) {
        cli_error("explain", "standard input", "%s", strerror(in.err));
        return -1;
    }
    return 0;
}

/* ----------------------------------------------------------------- main */

int cmd_explain(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_OUTPUT_LONGOPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_outopts oo;
    explain_run run;
    smtpdx_format fmt;
    int c, rc = CLI_EXIT_OK, input_failed = 0;

    memset(&run, 0, sizeof(run));
    cli_outopts_init(&oo);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        int r = cli_outopts_handle(&oo, "explain", c, optarg);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        if (c == 'h')
            return cli_help_print("explain", stdout) == 0 ? CLI_EXIT_OK
                                                          : CLI_EXIT_USAGE;
        return cli_getopt_fail("explain", c, argv);
    }
    int use_stdin = optind >= argc;
    if (use_stdin && isatty(STDIN_FILENO))
        return cli_usage("explain", "give a reply to explain, or - to read "
                                    "replies from standard input");

    unsigned flags = cli_outopts_resolve(&oo, stdout, &fmt);
    smtpdx_status st = smtpdx_ctx_new(&run.ctx);
    if (st != SMTPDX_OK) {
        cli_error("explain", "knowledge base", "%s", smtpdx_strerror(st));
        return CLI_EXIT_INPUT;
    }
    st = smtpdx_writer_new(stdout, fmt, flags, &run.w);
    if (st != SMTPDX_OK) {
        cli_error("explain", "output", "%s", smtpdx_strerror(st));
        smtpdx_ctx_free(run.ctx);
        return CLI_EXIT_INPUT;
    }
    if (use_stdin) {
        input_failed = explain_stdin(&run) != 0;
    } else {
        for (int i = optind; i < argc && !run.failed; i++) {
            if (strcmp(argv[i], "-") == 0) {
                input_failed |= explain_stdin(&run) != 0;
                continue;
            }
            unsigned long before = run.unknown;
            explain_one(&run, argv[i], strlen(argv[i]));
            /* a path given where a reply was wanted: say how to read
             * the replies the file holds */
            struct stat sb;
            if (run.unknown > before && strchr(argv[i], ' ') == NULL &&
                stat(argv[i], &sb) == 0) {
                if (S_ISREG(sb.st_mode) && file_is_mail(argv[i]))
                    fprintf(stderr, "smtpdx: explain: '%s' is a mail file, "
                            "explained as a reply; to read a bounce mail, "
                            "use: smtpdx bounce FILE\n", argv[i]);
                else
                    fprintf(stderr, "smtpdx: explain: '%s' is a %s, "
                            "explained as a reply; to explain the replies "
                            "in a file, use: smtpdx explain - < FILE\n",
                            argv[i],
                            S_ISDIR(sb.st_mode) ? "directory" : "file");
            }
        }
    }
    if (!input_failed && !run.failed && run.explained + run.unknown == 0)
        cli_error("explain", "standard input", "no reply to explain "
                  "(it was empty or held only blank lines)");
    st = smtpdx_writer_finish(run.w);
    if (st != SMTPDX_OK && !run.failed) {
        cli_error("explain", "standard output", "%s",
                  cli_strerror(st, errno));
        run.failed = 1;
    }
    smtpdx_writer_free(run.w);
    smtpdx_ctx_free(run.ctx);

    if (run.failed || input_failed)
        rc = CLI_EXIT_INPUT;
    else if (run.unknown > 0 || run.explained == 0)
        rc = CLI_EXIT_NONE;
    return rc;
}
