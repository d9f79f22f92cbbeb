/*
 * cmd_log_summary.c - the table 'smtpdx log' prints for people: failures
 * grouped by (cause, destination domain or relay), largest group first,
 * each with its counts, first and last time, one example reply and the
 * steps to take; then the totals and the events by hour of day.
 *
 * Groups live in an open-addressing table of at most MAX_GROUPS; past
 * that, records are counted in one "other" group, so a log with millions
 * of destinations still prints in bounded memory.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cmd_log.h"

#define MAX_GROUPS 65536u
#define SHOW_GROUPS 40u
#define EXAMPLE_MAX 240u

typedef struct group {
    char *cause;           /* cause id, or the reason when there is none */
    char *target;          /* destination domain or relay */
    char *example;         /* a reply, cut to EXAMPLE_MAX */
    smtpdx_reason reason;
    int temporary;
    smtpdx_who who;
    const smtpdx_kb_entry *entry; /* static: steps and summary */
    uint64_t count, deferred, failed;
    int64_t first, last;
    uint32_t hash;
} group;

struct log_summary {
    group *slots;
    size_t nslots, used;
    group other;
    uint64_t records;
};

static uint32_t hash2(const char *a, const char *b)
{
    uint32_t h = 2166136261u;
    for (const char *p = a; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h = (h ^ 0xffu) * 16777619u;
    for (const char *p = b; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h;
}

log_summary *log_summary_new(void)
{
    log_summary *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->nslots = 1024;
    s->slots = calloc(s->nslots, sizeof *s->slots);
    if (s->slots == NULL) {
        free(s);
        return NULL;
    }
    s->other.cause = "other";
    s->other.target = "(more groups than shown)";
    return s;
}

static void group_release(group *g)
{
    free(g->cause);
    free(g->target);
    free(g->example);
}

void log_summary_free(log_summary *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nslots; i++)
        if (s->slots[i].cause)
            group_release(&s->slots[i]);
    free(s->other.example);
    free(s->slots);
    free(s);
}

static int grow(log_summary *s)
{
    size_t n = s->nslots * 2;
    group *ns = calloc(n, sizeof *ns);
    if (ns == NULL)
        return -1;
    for (size_t i = 0; i < s->nslots; i++) {
        group *g = &s->slots[i];
        if (g->cause == NULL)
            continue;
        size_t j = g->hash & (n - 1);
        while (ns[j].cause)
            j = (j + 1) & (n - 1);
        ns[j] = *g;
    }
    free(s->slots);
    s->slots = ns;
    s->nslots = n;
    return 0;
}

static char *cut_dup(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max)
        n = max;
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static group *find(log_summary *s, const char *cause, const char *target)
{
    uint32_t h = hash2(cause, target);
    size_t i = h & (s->nslots - 1);
    while (s->slots[i].cause) {
        group *g = &s->slots[i];
        if (g->hash == h && strcmp(g->cause, cause) == 0 &&
            strcmp(g->target, target) == 0)
            return g;
        i = (i + 1) & (s->nslots - 1);
    }
    if (s->used >= MAX_GROUPS)
        return &s->other;
    if ((s->used + 1) * 4 > s->nslots * 3) {
        if (grow(s) != 0)
            return &s->other;
        return find(s, cause, target);
    }
    group *g = &s->slots[i];
    g->cause = strdup(cause);
    g->target = strdup(target);
    if (g->cause == NULL || g->target == NULL) {
        group_release(g);
        memset(g, 0, sizeof *g);
        return &s->other;
    }
    g->hash = h;
    s->used++;
    return g;
}

int log_summary_add(log_summary *s, const smtpdx_record *r)
{
    const char *cause = r->why.cause && r->why.cause[0]
                            ? r->why.cause
                            : smtpdx_reason_name(r->reason);
    const char *target = r->destination[0] ? r->destination
                         : r->relay[0]     ? r->relay
                                           : "-";
    group *g = find(s, cause, target);
    if (g->count == 0) {
        g->reason = r->reason;
        g->temporary = r->why.temporary;
        g->who = r->why.who;
        g->entry = r->why.entry;
        g->first = r->timestamp;
    }
    if (g->example == NULL && r->diagnosticcode[0])
        g->example = cut_dup(r->diagnosticcode, EXAMPLE_MAX);
    g->count++;
    if (strcmp(r->action, "delayed") == 0)
        g->deferred++;
    else
        g->failed++;
    if (r->timestamp && (g->first == 0 || r->timestamp < g->first))
        g->first = r->timestamp;
    if (r->timestamp > g->last)
        g->last = r->timestamp;
    s->records++;
    return 0;
}

static void fmt_time(char *buf, size_t cap, int64_t t, int utc)
{
    if (t == 0) {
        snprintf(buf, cap, "-");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    if ((utc ? gmtime_r(&tt, &tm) : localtime_r(&tt, &tm)) == NULL ||
        strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, cap, "%lld", (long long)t);
}

/* Text from the log on a terminal: control bytes become '?'. */
static void put_safe(FILE *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        fputc(c < 0x20 || c == 0x7f ? '?' : c, out);
    }
}

/* The width to wrap to: the terminal's when out is one, else 80; kept
 * between 40 and 120 as the other tables are. */
static int out_width(FILE *out)
{
    struct winsize ws;
    int w = 80;
    if (isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 &&
        ws.ws_col > 0)
        w = ws.ws_col;
    return w < 40 ? 40 : w > 120 ? 120 : w;
}

static int by_count(const void *a, const void *b)
{
    const group *x = *(const group *const *)a, *y = *(const group *const *)b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    int c = strcmp(x->cause, y->cause);
    return c ? c : strcmp(x->target, y->target);
}

static const char *sgr(int color, const char *code)
{
    return color ? code : "";
}

static void print_group(const group *g, FILE *out, int color, int utc)
{
    char t1[32], t2[32];
    fmt_time(t1, sizeof t1, g->first, utc);
    fmt_time(t2, sizeof t2, g->last, utc);
    const char *tone = g->temporary == 1 ? "\033[33m" : "\033[31m";
    fprintf(out, "%s%7llu%s  %s%s%s  ", sgr(color, tone),
            (unsigned long long)g->count, sgr(color, "\033[0m"),
            sgr(color, "\033[1m"), g->cause, sgr(color, "\033[0m"));
    put_safe(out, g->target);
    if (g->reason == SMTPDX_R_DELIVERED)
        fprintf(out, "\n         %s (success); who acts: %s\n",
                smtpdx_reason_name(g->reason), smtpdx_who_name(g->who));
    else
        fprintf(out, "\n         %s (%s, %s); who acts: %s\n",
                smtpdx_reason_name(g->reason),
                g->temporary == 1   ? "temporary"
                : g->temporary == 0 ? "permanent"
                                    : "unknown",
                g->deferred && g->failed ? "deferred and failed"
                : g->deferred            ? "deferred"
                                         : "failed",
                smtpdx_who_name(g->who));
    fprintf(out, "         first %s, last %s\n", t1, t2);
    int width = out_width(out);
    if (g->example) {
        fputs("         e.g. ", out);
        cli_wrap(out, g->example, 14, 14, width);
        fputc('\n', out);
    }
    if (g->entry && g->entry->nsteps) {
        for (size_t i = 0; i < g->entry->nsteps; i++) {
            fprintf(out, "         %s%zu.%s ", sgr(color, "\033[36m"), i + 1,
                    sgr(color, "\033[0m"));
            cli_wrap(out, g->entry->steps[i], 12, 12, width);
            fputc('\n', out);
        }
    }
    fputc('\n', out);
}

void log_summary_print(const log_summary *s, const smtpdx_log_stats *st,
                       FILE *out, int color, int utc)
{
    /* with --only all, deliveries are among the groups */
    int successes = 0;
    for (size_t i = 0; i < s->nslots && !successes; i++)
        successes = s->slots[i].cause && s->slots[i].reason ==
                                             SMTPDX_R_DELIVERED;
    fprintf(out, "%s%s by cause and destination%s: %llu events in %zu "
                 "groups\n\n",
            sgr(color, "\033[1m"), successes ? "Events" : "Failures",
            sgr(color, "\033[0m"),
            (unsigned long long)s->records,
            s->used + (s->other.count ? 1u : 0u));
    size_t n = 0;
    const group **list = malloc((s->used + 1) * sizeof *list);
    if (list) {
        for (size_t i = 0; i < s->nslots; i++)
            if (s->slots[i].cause)
                list[n++] = &s->slots[i];
        qsort(list, n, sizeof *list, by_count);
        for (size_t i = 0; i < n && i < SHOW_GROUPS; i++)
            print_group(list[i], out, color, utc);
        if (n > SHOW_GROUPS)
            fprintf(out, "  ... and %zu smaller groups (--format ndjson "
                         "lists every record)\n\n",
                    n - SHOW_GROUPS);
        free(list);
    }
    if (s->other.count)
        print_group(&s->other, out, color, utc);
    if (s->records == 0)
        fputs("  no failures found\n\n", out);

    char t1[32], t2[32];
    fmt_time(t1, sizeof t1, st->first, utc);
    fmt_time(t2, sizeof t2, st->last, utc);
    if (st->first == 0)
        fprintf(out, "%sTotals%s (the log gives no times)\n",
                sgr(color, "\033[1m"), sgr(color, "\033[0m"));
    else
        fprintf(out, "%sTotals%s (%s to %s)\n", sgr(color, "\033[1m"),
                sgr(color, "\033[0m"), t1, t2);
    fprintf(out,
            "  lines %llu (postfix %llu, exim %llu, sendmail %llu, "
            "opensmtpd %llu, courier %llu, unknown %llu)\n",
            (unsigned long long)st->lines, (unsigned long long)st->postfix,
            (unsigned long long)st->exim, (unsigned long long)st->sendmail,
            (unsigned long long)st->opensmtpd,
            (unsigned long long)st->courier,
            (unsigned long long)st->unknown);
    fprintf(out,
            "  received %llu  sent %llu  deferred %llu  bounced %llu  "
            "expired %llu  rejected %llu\n\n",
            (unsigned long long)st->received,
            (unsigned long long)st->total.sent,
            (unsigned long long)st->total.deferred,
            (unsigned long long)st->total.bounced,
            (unsigned long long)st->total.expired,
            (unsigned long long)st->total.rejected);
    int any = 0;
    for (int h = 0; h < 24; h++) {
        const smtpdx_log_counts *c = &st->by_hour[h];
        any |= (c->sent | c->deferred | c->bounced | c->expired |
                c->rejected) != 0;
    }
    if (!any)
        return; /* no event had a time */
    fprintf(out, "%sBy hour%s  %10s %10s %10s %10s %10s\n",
            sgr(color, "\033[1m"), sgr(color, "\033[0m"), "sent", "deferred",
            "bounced", "expired", "rejected");
    for (int h = 0; h < 24; h++) {
        const smtpdx_log_counts *c = &st->by_hour[h];
        if (!(c->sent | c->deferred | c->bounced | c->expired | c->rejected))
            continue;
        fprintf(out, "  %02d:00  %10llu %10llu %10llu %10llu %10llu\n", h,
                (unsigned long long)c->sent,
                (unsigned long long)c->deferred,
                (unsigned long long)c->bounced,
                (unsigned long long)c->expired,
                (unsigned long long)c->rejected);
    }
}

void log_summary_line(const smtpdx_record *r, FILE *out, int color, int utc)
{
    char t[32];
    fmt_time(t, sizeof t, r->timestamp, utc);
    const char *tone = strcmp(r->action, "delayed") == 0 ? "\033[33m"
                       : strcmp(r->action, "failed") == 0 ? "\033[31m"
                                                          : "\033[32m";
    fprintf(out, "%s %s%-9s%s ", t, sgr(color, tone), r->action,
            sgr(color, "\033[0m"));
    put_safe(out, r->recipient[0] ? r->recipient : "-");
    fprintf(out, " %s%s%s", sgr(color, "\033[1m"),
            r->why.cause && r->why.cause[0] ? r->why.cause
                                            : smtpdx_reason_name(r->reason),
            sgr(color, "\033[0m"));
    if (r->diagnosticcode[0]) {
        fputs(": ", out);
        put_safe(out, r->diagnosticcode);
    }
    fputc('\n', out);
}
