/*
 * cli_progress.c - a one-line progress bar on stderr.
 *
 * Drawn only when stderr is a terminal (a log file or a pipe must never
 * fill with carriage returns), redrawn at most every 100 ms, and erased by
 * cli_progress_done() so the result that follows starts on a clean line.
 * Every function accepts NULL and then does nothing. A run ended by a
 * signal (a reader that closed the pipe, Ctrl-C) erases the bar too, so
 * the shell's prompt does not land after a half-drawn line.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define BAR_WIDTH 28
#define REDRAW_NS 100000000LL /* 100 ms */

struct cli_progress {
    char label[32];
    uint64_t total;
    uint64_t done;
    int unit_bytes;
    uint64_t count;        /* cli_progress_count(): shown after the bar */
    int64_t last_draw_ns;
    int drawn;
};

/* Set while a bar is on the screen; read by the signal handler. */
static volatile sig_atomic_t bar_shown;

static void erase_and_die(int sig)
{
    if (bar_shown) {
        static const char erase[] = "\r\033[K";
        ssize_t n = write(STDERR_FILENO, erase, sizeof erase - 1);
        (void)n; /* nothing more can be done about a failed erase */
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Erase the bar before dying of the signals that end a run by default;
 * a signal the program already handles (cmd_log's follow mode) is left
 * to its handler. */
static void erase_on_signals(void)
{
    static const int sigs[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old, sa;
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL)
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = erase_and_die;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

cli_progress *cli_progress_new(const char *label, uint64_t total,
                               int unit_bytes)
{
    if (!isatty(STDERR_FILENO))
        return NULL;
    const char *term = getenv("TERM");
    if (term != NULL && strcmp(term, "dumb") == 0)
        return NULL;
    cli_progress *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL; /* no bar is better than no result */
    snprintf(p->label, sizeof(p->label), "%s", label ? label : "");
    p->total = total;
    p->unit_bytes = unit_bytes;
    erase_on_signals();
    return p;
}

static void fmt_amount(char *buf, size_t n, uint64_t v, int bytes)
{
    if (!bytes) {
        snprintf(buf, n, "%llu", (unsigned long long)v);
    } else if (v < 1024) {
        snprintf(buf, n, "%llu B", (unsigned long long)v);
    } else if (v < 1024ull * 1024) {
        snprintf(buf, n, "%.1f KiB", (double)v / 1024.0);
    } else if (v < 1024ull * 1024 * 1024) {
        snprintf(buf, n, "%.1f MiB", (double)v / (1024.0 * 1024.0));
    } else {
        snprintf(buf, n, "%.2f GiB", (double)v / (1024.0 * 1024.0 * 1024.0));
    }
}

static void draw(cli_progress *p)
{
    bar_shown = 1;
    char done[32], total[32];
    fmt_amount(done, sizeof(done), p->done, p->unit_bytes);
    if (p->total > 0) {
        uint64_t d = p->done > p->total ? p->total : p->done;
        unsigned pct = (unsigned)(d * 100 / p->total);
        unsigned fill = (unsigned)(d * BAR_WIDTH / p->total);
        char bar[BAR_WIDTH + 1];
        for (unsigned i = 0; i < BAR_WIDTH; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[BAR_WIDTH] = '\0';
        fmt_amount(total, sizeof(total), p->total, p->unit_bytes);
        fprintf(stderr, "\r%s [%s] %3u%%  %s / %s", p->label, bar, pct,
                done, total);
        if (p->count > 0)
            fprintf(stderr, "  %llu message%s", (unsigned long long)p->count,
                    p->count == 1 ? "" : "s");
        fputs("\033[K", stderr);
    } else {
        fprintf(stderr, "\r%s %s\033[K", p->label, done);
    }
    fflush(stderr);
    p->drawn = 1;
}

void cli_progress_update(cli_progress *p, uint64_t done)
{
    if (p == NULL)
        return;
    p->done = done;
    int64_t t = now_ns();
    if (p->drawn && t - p->last_draw_ns < REDRAW_NS)
        return;
    p->last_draw_ns = t;
    draw(p);
}

void cli_progress_count(cli_progress *p, uint64_t n)
{
    if (p != NULL)
        p->count = n;
}

void cli_progress_set_total(cli_progress *p, uint64_t total)
{
    if (p != NULL)
        p->total = total;
}

void cli_progress_done(cli_progress *p)
{
    if (p == NULL)
        return;
    if (p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        bar_shown = 0;
    }
    free(p);
}
