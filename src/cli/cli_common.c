/*
 * cli_common.c - output options, the colour decision, the error and
 * usage messages, the sniffing of files given by mistake and the reading
 * of --since/--until times, shared by the subcommands (see cli.h for the
 * contract).
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const struct {
    const char *name;
    smtpdx_format fmt;
} formats[] = {
    {"table", SMTPDX_FMT_TABLE},   {"json", SMTPDX_FMT_JSON},
    {"ndjson", SMTPDX_FMT_NDJSON}, {"sisimai", SMTPDX_FMT_SISIMAI},
    {"csv", SMTPDX_FMT_CSV},
};

void cli_outopts_init(cli_outopts *o)
{
    o->format = SMTPDX_FMT_TABLE;
    o->format_set = 0;
    o->color = CLI_COLOR_AUTO;
}

int cli_format_parse(const char *name, smtpdx_format *out)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        if (strcmp(name, formats[i].name) == 0) {
            *out = formats[i].fmt;
            return 0;
        }
    }
    return -1;
}

const char *cli_format_name(smtpdx_format f)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (formats[i].fmt == f)
            return formats[i].name;
    return "?";
}

int cli_outopts_handle(cli_outopts *o, const char *cmd, int opt,
                       const char *arg)
{
    switch (opt) {
    case CLI_OPT_FORMAT:
        if (cli_format_parse(arg, &o->format) != 0) {
            cli_usage(cmd, "unknown format '%s' (use table, json, ndjson, "
                           "sisimai or csv)", arg);
            return -1;
        }
        o->format_set = 1;
        return 1;
    case CLI_OPT_JSON:
        o->format = SMTPDX_FMT_JSON;
        o->format_set = 1;
        return 1;
    case CLI_OPT_NDJSON:
        o->format = SMTPDX_FMT_NDJSON;
        o->format_set = 1;
        return 1;
    case CLI_OPT_COLOR:
        if (arg == NULL || strcmp(arg, "always") == 0) {
            o->color = CLI_COLOR_ALWAYS;
        } else if (strcmp(arg, "auto") == 0) {
            o->color = CLI_COLOR_AUTO;
        } else if (strcmp(arg, "never") == 0) {
            o->color = CLI_COLOR_NEVER;
        } else {
            cli_usage(cmd, "--color takes auto, always or never, not '%s'",
                      arg);
            return -1;
        }
        return 1;
    default:
        return 0;
    }
}

int cli_color_enabled(enum cli_color_mode mode, FILE *stream)
{
    if (mode == CLI_COLOR_ALWAYS)
        return 1;
    if (mode == CLI_COLOR_NEVER)
        return 0;
    /* https://no-color.org/: set and not empty disables colour. */
    const char *nc = getenv("NO_COLOR");
    if (nc != NULL && nc[0] != '\0')
        return 0;
    const char *term = getenv("TERM");
    if (term != NULL && strcmp(term, "dumb") == 0)
        return 0;
    return isatty(fileno(stream));
}

unsigned cli_outopts_resolve(const cli_outopts *o, FILE *out,
                             smtpdx_format *fmt)
{
    if (o->format_set)
        *fmt = o->format;
    else
        *fmt = isatty(fileno(out)) ? SMTPDX_FMT_TABLE : SMTPDX_FMT_NDJSON;
    unsigned flags = 0;
    if (*fmt == SMTPDX_FMT_TABLE && cli_color_enabled(o->color, out))
        flags |= SMTPDX_OUT_COLOR;
    return flags;
}

/* Write s to stderr with every control byte shown as '?': paths and reply
 * texts come from outside and must not move the cursor or set colours. */
static void put_safe(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        fputc((*p < 0x20 || *p == 0x7f) ? '?' : *p, stderr);
}

void cli_error(const char *what, const char *where, const char *fmt, ...)
{
    char why[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    fputs("smtpdx: ", stderr);
    put_safe(what);
    if (where != NULL) {
        fputs(": ", stderr);
        put_safe(where);
    }
    fputs(": ", stderr);
    put_safe(why);
    fputc('\n', stderr);
}

const char *cli_strerror(smtpdx_status st, int e)
{
    return st == SMTPDX_ERR_IO && e > 0 ? strerror(e) : smtpdx_strerror(st);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fputs("smtpdx", stderr);
    if (cmd != NULL && cmd[0] != '\0') {
        fputc(' ', stderr);
        put_safe(cmd);
    }
    fputs(": ", stderr);
    put_safe(msg);
    fputs("\nTry 'smtpdx", stderr);
    if (cmd != NULL && cmd[0] != '\0') {
        fputc(' ', stderr);
        put_safe(cmd);
    }
    fputs(" --help'.\n", stderr);
    return CLI_EXIT_USAGE;
}

int cli_getopt_fail(const char *cmd, int c, char **argv)
{
    /* After an error getopt_long() has moved optind past the bad word,
     * unless it stopped inside a group of short options ("-xq"). Call
     * getopt_long() with opterr = 0 and an optstring that starts with ':'
     * so that a missing value comes back as ':'. */
    const char *arg = (optind > 0) ? argv[optind - 1] : "";
    if (c == ':')
        return cli_usage(cmd, "option '%s' needs a value", arg);
    if (arg[0] == '-' && arg[1] == '-' && strchr(arg, '=') != NULL
        && optopt != 0)
        return cli_usage(cmd, "option '%.*s' takes no value",
                         (int)(strchr(arg, '=') - arg), arg);
    if (optopt >= 0x100)
        return cli_usage(cmd, "option '%s' needs a value", arg);
    if (optopt > 0)
        return cli_usage(cmd, "unknown option '-%c'", optopt);
    return cli_usage(cmd, "unknown option '%s'", arg);
}

void cli_wrap(FILE *out, const char *text, int col, int indent, int width)
{
    const char *p = text;
    while (*p != '\0') {
        while (*p == ' ')
            p++;
        size_t wl = strcspn(p, " ");
        if (wl == 0)
            break;
        if (col > indent && col + 1 + (int)wl > width) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', out);
            col++;
        }
        for (size_t i = 0; i < wl; i++) {
            unsigned char c = (unsigned char)p[i];
            fputc(c < 0x20 || c == 0x7f ? '?' : c, out);
            /* columns, not bytes: UTF-8 continuation bytes take none */
            col += (c & 0xc0) != 0x80;
        }
        p += wl;
    }
}

volatile sig_atomic_t cli_stop;

static void on_stop(int sig)
{
    (void)sig;
    cli_stop = 1;
}

int cli_stop_on_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGINT, &sa, NULL) | sigaction(SIGTERM, &sa, NULL);
}

int cli_stdin_piped(void)
{
    struct stat st;
    return fstat(STDIN_FILENO, &st) == 0 && !S_ISREG(st.st_mode) &&
           !isatty(STDIN_FILENO);
}

int cli_sniff(const char *buf, size_t len)
{
    if ((len >= 4 && memcmp(buf, "PK\x03\x04", 4) == 0) ||
        (len >= 6 && memcmp(buf, "7z\xbc\xaf\x27\x1c", 6) == 0) ||
        (len >= 4 && memcmp(buf, "Rar!", 4) == 0))
        return CLI_SNIFF_ARCHIVE;
    if (len >= 8 && memcmp(buf, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8) == 0)
        return CLI_SNIFF_OUTLOOK;
    if (len >= 4 && memcmp(buf, "\x78\x9f\x3e\x22", 4) == 0)
        return CLI_SNIFF_TNEF;
    if (len >= 2 && (memcmp(buf, "\xff\xfe", 2) == 0 ||
                     memcmp(buf, "\xfe\xff", 2) == 0))
        return CLI_SNIFF_UTF16;
    size_t nul = 0, n = len < 4096 ? len : 4096;
    for (const char *p = buf; (p = memchr(p, '\0', n - (size_t)(p - buf)));
         p++)
        if (++nul >= 16)
            return CLI_SNIFF_BINARY;
    return CLI_SNIFF_NONE;
}

const char *cli_sniff_why(const char *buf, size_t len)
{
    static const char *const what[] = {
        [CLI_SNIFF_NONE] = NULL,
        [CLI_SNIFF_ARCHIVE] = CLI_SNIFF_ARCHIVE_TEXT,
        [CLI_SNIFF_OUTLOOK] = CLI_SNIFF_OUTLOOK_TEXT,
        [CLI_SNIFF_TNEF] = CLI_SNIFF_TNEF_TEXT,
        [CLI_SNIFF_UTF16] = CLI_SNIFF_UTF16_TEXT,
        [CLI_SNIFF_BINARY] = CLI_SNIFF_BINARY_TEXT,
    };
    return what[cli_sniff(buf, len)];
}

/* "2h", "30m", "1d", "2w", "45s" before now; or an ISO date "2026-11-28",
 * "2026-11-28T03:00", "2026-11-28 03:00:00" (local time unless utc or a
 * "Z"/"+hh:mm" suffix); or a Unix time "@1795000000". */
int cli_parse_when(const char *s, int utc, int64_t *out)
{
    size_t n = strlen(s);
    if (n == 0)
        return -1;
    if (s[0] == '@') {
        char *end;
        errno = 0;
        long long v = strtoll(s + 1, &end, 10);
        if (errno || *end || end == s + 1)
            return -1;
        *out = v;
        return 0;
    }
    char unit = s[n - 1];
    if (strchr("smhdw", unit) && n >= 2) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || end != s + n - 1 || v < 0 || v > 100LL * 365 * 86400)
            return -1;
        long long mul = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600
                      : unit == 'd' ? 86400 : 7 * 86400;
        *out = (int64_t)time(NULL) - v * mul;
        return 0;
    }
    int y, mo, d, h = 0, mi = 0, sec = 0;
    const unsigned char *p = (const unsigned char *)s;
    /* digits by hand: no sscanf on arguments */
#define NUM(dst, k)                                                        \
    do {                                                                   \
        dst = 0;                                                           \
        for (int i_ = 0; i_ < (k); i_++, p++) {                            \
            if (!isdigit(*p))                                              \
                return -1;                                                 \
            dst = dst * 10 + (*p - '0');                                   \
        }                                                                  \
    } while (0)
    NUM(y, 4);
    if (*p++ != '-')
        return -1;
    NUM(mo, 2);
    if (*p++ != '-')
        return -1;
    NUM(d, 2);
    if (*p == 'T' || *p == ' ') {
        p++;
        NUM(h, 2);
        if (*p++ != ':')
            return -1;
        NUM(mi, 2);
        if (*p == ':') {
            p++;
            NUM(sec, 2);
        }
    }
#undef NUM
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    int zone = 0, have_zone = 0;
    if (*p == 'Z') {
        have_zone = 1;
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, zh, zm;
        p++;
        if (!isdigit(p[0]) || !isdigit(p[1]))
            return -1;
        zh = (p[0] - '0') * 10 + (p[1] - '0');
        p += 2;
        if (*p == ':')
            p++;
        if (!isdigit(p[0]) || !isdigit(p[1]))
            return -1;
        zm = (p[0] - '0') * 10 + (p[1] - '0');
        p += 2;
        zone = sign * (zh * 3600 + zm * 60);
        have_zone = 1;
    }
    if (*p != '\0')
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    tm.tm_isdst = -1;
    if (have_zone || utc) {
        time_t t = timegm(&tm);
        if (t == (time_t)-1)
            return -1;
        *out = (int64_t)t - zone;
    } else {
        time_t t = mktime(&tm);
        if (t == (time_t)-1)
            return -1;
        *out = (int64_t)t;
    }
    return 0;
}
