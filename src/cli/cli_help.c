/*
 * cli_help.c - the one source of every user-facing fact about the command
 * line: commands, options, examples, exit codes, environment.
 *
 * `smtpdx --help`, `smtpdx help CMD` and `smtpdx CMD --help` render these
 * tables as text; `smtpdx help --man` renders the same tables as the man
 * page, which is committed as man/smtpdx.1 (scripts/gen-man.sh rewrites
 * it, tests/integration/cli_help.sh fails when it differs). Edit the
 * tables here, never the man page.
 */
#include <string.h>

#include "cli.h"

#define WIDTH 79

typedef struct help_opt {
    const char *flags; /* "--format FMT" */
    const char *text;
} help_opt;

typedef struct help_example {
    const char *cmd;  /* a shell command line, shown after "$ " */
    const char *text; /* what it shows */
} help_example;

typedef struct help_page {
    const char *name;    /* command name; "" for the general page */
    const char *summary; /* one line */
    const char *usage[4];
    const char *desc[8]; /* paragraphs */
    help_opt opts[16];
    help_example ex[6];
} help_page;

/* Options every command takes: they are handled in cli_common.c. */
#define OUTPUT_OPTS                                                         \
    {"--format FMT",                                                        \
     "Output format: table (for people; the default on a terminal), json "  \
     "(one JSON array), ndjson (one JSON object per line; the default when " \
     "the output is a pipe or a file), sisimai (NDJSON with Sisimai's "     \
     "field names and value conventions only; explanations have no "       \
     "Sisimai form and are written as ndjson) or csv (RFC 4180, a header "  \
     "row before the first row; no output when there is no row)."},         \
    {"--json", "Same as --format json."},                                   \
    {"--ndjson", "Same as --format ndjson."},                               \
    {"--color[=WHEN]",                                                      \
     "Colour in table output: auto (the default: only on a terminal and "   \
     "when NO_COLOR is not set), always, or never. --colour is the same."}, \
    {"-h, --help", "Show this help and exit."}

static const help_page pages[] = {
    {"",
     "explain why an email was not delivered, and what to do about it",
     {"smtpdx COMMAND [OPTIONS] [ARGUMENTS...]", "smtpdx help [COMMAND]",
      "smtpdx --version"},
     {"smtpdx reads what came back when an email was not delivered (an SMTP "
      "reply, a bounce mail, a mail server's log) and says what happened in "
      "words a person can act on: the reason, the finer cause, whether the "
      "failure is temporary or permanent, who has to act, whether and when "
      "to retry, and the steps that fix it. Every answer names the rule "
      "that decided it and the words it matched, so it can be checked.",
      "Reasons use the names Sisimai made common (userunknown, mailboxfull, "
      "blocked, ...), so the output can replace Sisimai's in existing "
      "pipelines. On a terminal the output is written for people; in a pipe "
      "it is one JSON object per line."},
     {{"-h, --help", "Show this help, or a command's help with COMMAND."},
      {"-V, --version", "Show the version and the size of the knowledge "
                        "base."}},
     {{"smtpdx explain '550 5.1.1 <bob@example.com>: Recipient address "
       "rejected: User unknown in local recipient table'",
       "Explain one reply: the address does not exist, do not retry."},
      {"smtpdx help explain", "Everything about one command."}}},

    {"explain",
     "say what SMTP replies mean, whether to retry and who must act",
     {"smtpdx explain [OPTIONS] REPLY...", "smtpdx explain [OPTIONS] -"},
     {"Each REPLY argument is one SMTP reply as it came back: a reply line "
      "(550 5.1.1 User unknown), a multi-line reply given as one argument "
      "with its lines separated by newlines, a Postfix \"host ... said: "
      "...\" sentence, an Exchange \"Remote Server returned ...\" line, or "
      "the value of a Diagnostic-Code field. Quote it so that the shell "
      "keeps it in one piece.",
      "With - (or without any REPLY when standard input is not a terminal) "
      "the replies are read from standard input, one per line. The "
      "lines of a multi-line reply (550-... followed by 550 ...) are joined "
      "into one reply; an empty line ends a reply and is otherwise "
      "skipped. An indented line without a code of its own carries on the "
      "reply above it, as bounce notices and Diagnostic-Code fields wrap "
      "long replies. A pasted session transcript is read for the server's "
      "replies: the prefixes of swaks (<-, <**) and of Sendmail (<<<) are "
      "cut off, and the lines of the client (->, >>>) and of the tool "
      "(===) skipped. Each answer is written as soon as its reply has "
      "ended, also while a pipe's writer pauses. Binary data (a program, "
      "an image, an archive) and UTF-16 text on standard input are named "
      "and not read (exit status 3).",
      "For each reply smtpdx shows the parts it found (basic code, enhanced "
      "status code, the command it answered, the remote host), the reason "
      "and the finer cause, whether it is temporary or permanent, who must "
      "act, the retry advice, a summary, numbered steps and references; "
      "then the rule that matched and on which words, a note when the codes "
      "and the text disagree (the text wins), and how confident the answer "
      "is (high, medium or low).",
      "The exit status is 0 when every reply was explained and 1 when at "
      "least one could not be parsed or matched no rule."},
     {OUTPUT_OPTS},
     {{"smtpdx explain '550 5.1.1 <bob@example.com>: Recipient address "
       "rejected: User unknown in local recipient table'",
       "The address does not exist at the recipient's server: check the "
       "spelling or remove it; retrying will not help."},
      {"smtpdx explain --json '450 4.7.1 <ann@example.org>: Recipient "
       "address rejected: Greylisted, see "
       "http://postgrey.schweikert.ch/help/example.org.html'",
       "Greylisting, as JSON: a temporary deferral that the sending server "
       "retries by itself; nobody has to act."},
      {"printf '550-5.7.1 Relaying denied.\\n550 5.7.1 Unable to relay\\n' "
       "| smtpdx explain -",
       "A multi-line reply read from standard input is joined and explained "
       "once."},
      {"smtpdx explain --ndjson - < replies.txt | jq -r .cause | sort | "
       "uniq -c",
       "Count the causes in a file of replies, one per line."}}},

    {"bounce",
     "read bounce mails: one diagnosed record per failed recipient",
     {"smtpdx bounce [OPTIONS] [FILE|DIR|-]..."},
     {"Reads bounce mails and writes one record for every recipient that "
      "failed, in the order they appear. A FILE is one message or an mbox "
      "(recognised by its content); a DIR is a Maildir or a folder of "
      "messages, walked in name order; - or no argument reads standard "
      "input. gzip, xz, zstd and bzip2 files are read as they are, piped "
      "in too. The text of a notice pasted without its header fields is "
      "read as the body of a message, when it holds the sentences a "
      "Postfix, Exim, qmail, Sendmail or Exchange notice opens with. When "
      "standard input is a pipe whose writer pauses (tail -f, a mail "
      "filter), the records of each message are written as soon as it "
      "has ended: for an mbox, when the next message's From line or the "
      "end arrives. The table, which puts its summary first, shows after "
      "a second of silence the summary so far and the records behind it, "
      "then each record as it comes (--summary: the summary again when "
      "records came); Ctrl-C ends such a pipe as its end would, its last "
      "message read, with the summary of all.",
      "Each record carries Sisimai's fields (recipient, reason, "
      "deliverystatus, replycode, diagnosticcode, ...) and smtpdx's "
      "diagnosis: the cause, whether it is temporary, who must act, the "
      "retry advice, the steps and the rule that matched. Auto-replies are "
      "reported as vacation, feedback reports as feedback, delivery "
      "reports as delivered and a recipient's own filter refusing the "
      "message (a Sieve reject) as filtered; read receipts and other "
      "mails give no record. A notice that "
      "someone forwarded, as an attachment or inline in the text, or "
      "quoted in a reply (\"On ..., Mail Delivery System wrote:\"), is "
      "read as the notice itself.",
      "A summary (messages read, bounces, and apart from them "
      "auto-replies, feedback reports (RFC 5965) and delivery reports, records, "
      "mails that were no bounce, messages that could not be read as "
      "mail, each named with why (binary data, an Outlook item, no "
      "header fields, past a size limit), messages a parser limit cut "
      "short (past 1,000 recipients, say), each named with what was cut, "
      "inputs that could not be "
      "opened, and how many records the selection options kept) goes to "
      "standard error, and while reading, when standard error is a "
      "terminal, a progress bar: the bytes read of the files and folders "
      "given, with the messages so far (standard input: the count "
      "alone). Of a message over 64 "
      "MiB (a bounce returning a large copy), the first 64 MiB are read "
      "and a warning names it; a message whose file breaks off inside it "
      "(a compressed file cut short) is read as far as it goes, and the "
      "break is named after its records (exit status 3)."},
     {{"--hard", "Only hard bounces: the addresses to stop sending to "
                 "(the recipient or its domain does not exist, and the "
                 "like; Sisimai's hardbounce)."},
      {"--soft", "Only the other failures: worth another try, or a fix "
                 "on the sending side first (no deliveries, auto-replies "
                 "or feedback reports)."},
      {"--reason LIST", "Only records with these reasons, comma-separated, "
                        "named as explain prints them (mailboxfull,blocked)."},
      {"--domain DOMAIN", "Only records for recipients in DOMAIN or its "
                          "subdomains."},
      {"--sender ADDRESS", "Only records for messages from ADDRESS "
                           "(@DOMAIN: from anyone in DOMAIN)."},
      {"--since TIME", "Only records of bounces dated at or after TIME: "
                       "a span back from now (30m, 2h, 1d, 2w), a date or "
                       "date and time (2026-11-28, 2026-11-28T03:00, "
                       "local time unless a Z or +hh:mm suffix), or a "
                       "Unix time (@1795000000). A bounce without a date "
                       "is left out."},
      {"--until TIME", "Only records of bounces dated before TIME, "
                       "written as for --since."},
      {"-q, --quiet", "No counts and no progress on standard error; "
                      "errors are still reported."},
      {"--summary", "Only the table's summary: records by reason and "
                    "cause, and the ten domains with the most failures "
                    "and why, without a block per record (for a large "
                    "folder); a table even in a pipe."},
      {"-j, --jobs N", "Parse on N threads (0: one for each core smtpdx "
                       "may run on); the records, the summary and the "
                       "errors are the same, in the same order, as on one. "
                       "Default 1."},
      OUTPUT_OPTS},
     {{"smtpdx bounce /var/mail/bounces",
       "A summary by reason and by the domains that fail most, then one "
       "block per failed recipient."},
      {"smtpdx bounce --hard --ndjson Maildir/ | jq -r .recipient | sort -u",
       "The addresses to remove from a mailing list."},
      {"smtpdx bounce --format sisimai Maildir/ > bounces.ndjson",
       "Records with Sisimai's fields only, for tools that read Sisimai's "
       "output."},
      {"smtpdx bounce --summary -j 0 archive.mbox.gz",
       "Counts by reason of a large archive, read on every core."}}},

    {"log",
     "triage a mail server's log into diagnosed failures",
     {"smtpdx log [OPTIONS] [FILE...|-]"},
     {"Reads Postfix, Exim, Sendmail, OpenSMTPD or Courier log lines (the "
      "dialect is recognised per line), follows each message by its queue "
      "id and "
      "writes one record for each deferral, bounce, expiry and reject, "
      "with the same diagnosis as explain. Several files are read oldest "
      "first (maillog.2.gz, maillog.1, maillog); gzip, xz, zstd and bzip2 "
      "files are read as they are, piped in too; - reads standard input, "
      "and so does no argument "
      "when standard input is not a terminal (journalctl -f | smtpdx log: "
      "records are written as their lines arrive); journalctl's output (-o short, short-iso, "
      "short-precise, short-full, json) reads as a syslog file does. Lines "
      "that are not understood are counted and "
      "skipped. OpenSMTPD's lines are also read without a syslog header "
      "(smtpd -d, a container's log); their events then have no time.",
      "On a terminal the output starts with a summary grouped by cause and "
      "destination, then the totals. When a pipe on standard input falls "
      "silent for a second (journalctl -f | smtpdx log), the table shows what came so "
      "far, then each new failure as a line as it comes, and the summary "
      "of all at the end of the input or on Ctrl-C."},
     {{"-f, --follow", "Keep reading the file as it grows, like tail -F, "
                       "and survive its rotation."},
      {"--since TIME", "Only events at or after TIME: a span back from "
                       "now (45s, 30m, 2h, 1d, 2w), a date or date and "
                       "time (2026-11-28, 2026-11-28T03:00, local time "
                       "unless --utc or a Z or +hh:mm suffix), or a Unix "
                       "time (@1795000000)."},
      {"--until TIME", "Only events before TIME, written as for --since."},
      {"--domain DOMAIN", "Only events for recipients in DOMAIN."},
      {"--sender ADDRESS", "Only events for messages from ADDRESS "
                           "(@DOMAIN: from anyone in DOMAIN)."},
      {"--reason LIST", "Only events with these reasons, comma-separated, "
                        "named as explain prints them (userunknown,blocked)."},
      {"--only failures|all", "Show only failures (the default) or every "
                              "delivery event."},
      {"--year YEAR", "The year of classic syslog time stamps, which have "
                      "none (by default it is inferred from today)."},
      {"--utc", "Read and show times in UTC instead of local time."},
      {"--queue-age SPAN", "Forget a message whose queue id has not been "
                           "seen for SPAN of log time (12h, 8d, 2w; default "
                           "8d), so memory stays flat on endless input."},
      {"--queue-max N", "Remember at most N messages at once (default "
                        "20000); the oldest is forgotten first."},
      OUTPUT_OPTS},
     {{"smtpdx log /var/log/mail.log",
       "What is failing, to whom, why, and what to do."},
      {"smtpdx log --reason blocked --format csv /var/log/mail.log.1.gz",
       "The blocked deliveries of a rotated log, for a spreadsheet."}}},

    {"help",
     "show help for smtpdx or one of its commands",
     {"smtpdx help [COMMAND]", "smtpdx help --man"},
     {"Shows the same text as smtpdx COMMAND --help. With --man it prints "
      "this manual page in troff, as installed in man/smtpdx.1."},
     {{NULL, NULL}},
     {{"smtpdx help bounce", "The options of the bounce command."}}},

    {"version",
     "show the version",
     {"smtpdx version", "smtpdx --version"},
     {"Prints smtpdx's version and the number of rules in its compiled-in "
      "knowledge base."},
     {{NULL, NULL}},
     {{NULL, NULL}}},
};

#define NPAGES (sizeof(pages) / sizeof(pages[0]))

static const struct {
    int code;
    const char *text;
} exit_codes[] = {
    {CLI_EXIT_OK, "Success: every reply was explained, or records were "
                  "produced."},
    {CLI_EXIT_NONE, "Nothing recognised: a reply that could not be parsed "
                    "or matched, or input without any bounce or failure "
                    "(or none that --domain, --reason and the like "
                    "selected)."},
    {CLI_EXIT_USAGE, "Usage error: an unknown command or option, or a bad "
                     "option value."},
    {CLI_EXIT_INPUT, "An input could not be read; the others were still "
                     "processed and reported."},
};

static const help_opt environment[] = {
    {"NO_COLOR", "When set to anything but the empty string, table output "
                 "has no colour unless --color=always is given."},
    {"TERM", "When it is dumb, there is no colour and no progress bar."},
};

/* ------------------------------------------------------------ plain text */

/* Print text word-wrapped: the cursor is at column col, continuation
 * lines start at column indent. */
static void wrap(FILE *out, const char *text, int col, int indent)
{
    cli_wrap(out, text, col, indent, WIDTH);
    fputc('\n', out);
}

static void text_opts(FILE *out, const help_opt *o, size_t max)
{
    for (size_t i = 0; i < max && o[i].flags != NULL; i++) {
        int n = fprintf(out, "  %s", o[i].flags);
        if (n <= 20) { /* at least two spaces before the text */
            fprintf(out, "%*s", 22 - n, "");
            n = 22;
        } else {
            fprintf(out, "\n%22s", "");
            n = 22;
        }
        wrap(out, o[i].text, n, 22);
    }
}

static void text_page(const help_page *pg, FILE *out)
{
    fprintf(out, "smtpdx%s%s - %s\n\nUsage:\n", pg->name[0] ? " " : "",
            pg->name, pg->summary);
    for (size_t i = 0; i < 4 && pg->usage[i] != NULL; i++)
        fprintf(out, "  %s\n", pg->usage[i]);
    for (size_t i = 0; i < 8 && pg->desc[i] != NULL; i++) {
        fputc('\n', out);
        wrap(out, pg->desc[i], 0, 0);
    }
    if (pg->name[0] == '\0') {
        fputs("\nCommands:\n", out);
        for (size_t i = 1; i < NPAGES; i++) {
            int n = fprintf(out, "  %s", pages[i].name);
            fprintf(out, "%*s", 12 - n, "");
            wrap(out, pages[i].summary, 12, 12);
        }
    }
    if (pg->opts[0].flags != NULL) {
        fputs("\nOptions:\n", out);
        text_opts(out, pg->opts, 16);
    }
    if (pg->ex[0].cmd != NULL) {
        fputs("\nExamples:\n", out);
        for (size_t i = 0; i < 6 && pg->ex[i].cmd != NULL; i++) {
            /* a command line is never wrapped: it must paste as it is */
            fprintf(out, "%s  $ %s\n", i ? "\n" : "", pg->ex[i].cmd);
            fputs("    ", out);
            wrap(out, pg->ex[i].text, 4, 4);
        }
    }
    fputs("\nExit status:\n", out);
    for (size_t i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); i++) {
        fprintf(out, "  %d  ", exit_codes[i].code);
        wrap(out, exit_codes[i].text, 5, 5);
    }
    if (pg->name[0] == '\0') {
        fputs("\nEnvironment:\n", out);
        text_opts(out, environment,
                  sizeof(environment) / sizeof(environment[0]));
        fputs("\nSee 'smtpdx help COMMAND' for the options of each command, "
              "and man smtpdx.\n", out);
    }
}

int cli_help_print(const char *cmd, FILE *out)
{
    if (cmd == NULL)
        cmd = "";
    for (size_t i = 0; i < NPAGES; i++) {
        if (strcmp(pages[i].name, cmd) == 0) {
            text_page(&pages[i], out);
            return 0;
        }
    }
    return -1;
}

/* ----------------------------------------------------------------- troff */

/* Escape for troff: backslashes and hyphens, and a leading dot or quote
 * that would be read as a request (groff_man(7)). */
static void roff(FILE *out, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", out);
    for (; *s != '\0'; s++) {
        if (*s == '\\')
            fputs("\\e", out);
        else if (*s == '-')
            fputs("\\-", out);
        else
            fputc(*s, out);
    }
}

static void man_lines(FILE *out, const char *const *lines, size_t max)
{
    fputs(".nf\n", out);
    for (size_t i = 0; i < max && lines[i] != NULL; i++) {
        roff(out, lines[i]);
        fputc('\n', out);
    }
    fputs(".fi\n", out);
}

static void man_opts(FILE *out, const help_opt *o, size_t max)
{
    for (size_t i = 0; i < max && o[i].flags != NULL; i++) {
        fputs(".TP\n.B ", out);
        roff(out, o[i].flags);
        fputc('\n', out);
        roff(out, o[i].text);
        fputc('\n', out);
    }
}

static void man_examples(FILE *out, const help_example *ex, size_t max)
{
    for (size_t i = 0; i < max && ex[i].cmd != NULL; i++) {
        fputs(".PP\n", out);
        roff(out, ex[i].text);
        fputs("\n.PP\n.RS 4\n.EX\n$ ", out);
        roff(out, ex[i].cmd);
        fputs("\n.EE\n.RE\n", out);
    }
}

void cli_help_man(FILE *out)
{
    const help_page *top = &pages[0];

    fputs(".\\\" Generated by 'smtpdx help --man' from src/cli/cli_help.c;"
          " do not edit.\n", out);
    fprintf(out, ".TH SMTPDX 1 \"\" \"smtpdx %s\" \"User Commands\"\n",
            SMTPDX_VERSION);
    fputs(".SH NAME\nsmtpdx \\- ", out);
    roff(out, top->summary);
    fputs("\n.SH SYNOPSIS\n.nf\n", out);
    for (size_t i = 1; i < NPAGES; i++)
        for (size_t u = 0; u < 4 && pages[i].usage[u] != NULL; u++) {
            roff(out, pages[i].usage[u]);
            fputc('\n', out);
        }
    fputs(".fi\n.SH DESCRIPTION\n", out);
    for (size_t i = 0; i < 8 && top->desc[i] != NULL; i++) {
        fputs(".PP\n", out);
        roff(out, top->desc[i]);
        fputc('\n', out);
    }
    fputs(".SH OPTIONS\n", out);
    man_opts(out, top->opts, 16);
    fputs(".SH COMMANDS\n", out);
    for (size_t i = 1; i < NPAGES; i++) {
        const help_page *pg = &pages[i];
        fprintf(out, ".SS \"smtpdx %s\"\n", pg->name);
        roff(out, pg->summary);
        fputs(".\n.PP\n", out);
        man_lines(out, pg->usage, 4);
        for (size_t d = 0; d < 8 && pg->desc[d] != NULL; d++) {
            fputs(".PP\n", out);
            roff(out, pg->desc[d]);
            fputc('\n', out);
        }
        if (pg->opts[0].flags != NULL) {
            fputs(".PP\nOptions:\n", out);
            man_opts(out, pg->opts, 16);
        }
        if (pg->ex[0].cmd != NULL)
            man_examples(out, pg->ex, 6);
    }
    fputs(".SH EXIT STATUS\n", out);
    for (size_t i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); i++) {
        fprintf(out, ".TP\n.B %d\n", exit_codes[i].code);
        roff(out, exit_codes[i].text);
        fputc('\n', out);
    }
    fputs(".SH ENVIRONMENT\n", out);
    man_opts(out, environment, sizeof(environment) / sizeof(environment[0]));
    fputs(".SH EXAMPLES\n", out);
    man_examples(out, top->ex, 6);
    fputs(".SH STANDARDS\n"
          "RFC 5321 (SMTP reply codes), RFC 3463 (enhanced status codes), "
          "RFC 3464 (delivery status notifications), RFC 3834 "
          "(auto-replies), RFC 5965 (feedback reports), RFC 4180 (CSV).\n",
          out);
}

