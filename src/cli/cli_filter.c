/*
 * cli_filter.c - which records a command writes: the selections that
 * 'smtpdx bounce' and 'smtpdx log' share (--domain, --sender, --reason,
 * and for bounce --hard, --soft, --since and --until; the log reader
 * applies its own time window). A record is written when it passes
 * every selection given; none given, every record is.
 */
#include <string.h>
#include <strings.h>

#include "cli.h"

/* d equals want or is a subdomain of it, ignoring case. */
static int domain_match(const char *d, const char *want)
{
    size_t dl = strlen(d), wl = strlen(want);
    if (dl == wl)
        return strcasecmp(d, want) == 0;
    return dl > wl && d[dl - wl - 1] == '.' &&
           strcasecmp(d + dl - wl, want) == 0;
}

int cli_filter_reasons(cli_filter *f, const char *arg)
{
    const char *p = arg;
    while (*p) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        char name[64];
        if (n == 0 || n >= sizeof name || f->nreasons >= CLI_FILTER_REASONS)
            return -1;
        memcpy(name, p, n);
        name[n] = '\0';
        smtpdx_reason r = smtpdx_reason_from_name(name);
        if (r == SMTPDX_REASON_COUNT)
            return -1;
        f->reasons[f->nreasons++] = r;
        p += n + (c ? 1 : 0);
    }
    return f->nreasons ? 0 : -1;
}

/* The first name of a --reason list that is no reason, into bad. */
static void first_unknown(const char *arg, char *bad, size_t n)
{
    const char *p = arg;
    bad[0] = '\0';
    while (*p) {
        const char *c = strchr(p, ',');
        size_t k = c ? (size_t)(c - p) : strlen(p);
        char name[64];
        if (k == 0 || k >= sizeof name)
            break;
        memcpy(name, p, k);
        name[k] = '\0';
        if (smtpdx_reason_from_name(name) == SMTPDX_REASON_COUNT)
            break;
        p += k + (c ? 1 : 0);
    }
    size_t k = strcspn(p, ",");
    if (k >= n)
        k = n - 1;
    memcpy(bad, p, k);
    bad[k] = '\0';
}

/* An option's value that is another option ("--domain -q") or a path
 * ("--domain maildir/new"): its own value was forgotten. */
static int misplaced(const char *cmd, const char *opt, const char *arg,
                     int path_too)
{
    if (arg[0] == '-' && arg[1] != '\0') {
        cli_usage(cmd, "--%s wants a value, not the option '%s' (was the "
                       "value left out?)", opt, arg);
        return 1;
    }
    if (path_too && strchr(arg, '/') != NULL) {
        cli_usage(cmd, "--%s wants a domain, not the path '%s' (was the "
                       "value left out?)", opt, arg);
        return 1;
    }
    return 0;
}

int cli_filter_handle(cli_filter *f, const char *cmd, int opt,
                      const char *arg)
{
    switch (opt) {
    case CLI_OPT_REASON:
        if (misplaced(cmd, "reason", arg, 0))
            return -1;
        if (cli_filter_reasons(f, arg) == 0)
            return 1;
        {
            char bad[64], names[1024];
            size_t used = 0;
            first_unknown(arg, bad, sizeof bad);
            if (bad[0] == '\0' && strstr(arg, ",,") == NULL &&
                arg[0] != ',' && arg[strlen(arg) - 1] != ',') {
                /* every name known: there were too many */
                cli_usage(cmd, "--reason: at most %d reasons",
                          CLI_FILTER_REASONS);
                return -1;
            }
            if (bad[0] == '\0') {
                cli_usage(cmd, "--reason: an empty name in '%s'", arg);
                return -1;
            }
            names[0] = '\0';
            for (int r = 0; r < SMTPDX_REASON_COUNT && used < sizeof names;
                 r++) {
                int k = snprintf(names + used, sizeof names - used, "%s%s",
                                 r ? " " : "",
                                 smtpdx_reason_name((smtpdx_reason)r));
                if (k < 0)
                    break;
                used += (size_t)k;
            }
            cli_usage(cmd, "--reason: '%s' is no reason (a comma-separated "
                           "list of: %s)", bad, names);
        }
        return -1;
    case CLI_OPT_DOMAIN:
    case CLI_OPT_SENDER: {
        int domain = opt == CLI_OPT_DOMAIN;
        if (misplaced(cmd, domain ? "domain" : "sender", arg, 1))
            return -1;
        /* an empty domain would select nothing, silently */
        if (arg[0] == '\0' || (!domain && strcmp(arg, "@") == 0)) {
            cli_usage(cmd, "--%s wants %s", domain ? "domain" : "sender",
                      domain ? "a domain (example.org)"
                             : "an address or @domain");
            return -1;
        }
        if (domain)
            f->domain = arg;
        else
            f->sender = arg;
        return 1;
    }
    case CLI_OPT_HARD:
    case CLI_OPT_SOFT: {
        int want = opt == CLI_OPT_HARD ? 1 : -1;
        if (f->hard == -want) {
            cli_usage(cmd, "--hard and --soft exclude each other");
            return -1;
        }
        f->hard = want;
        return 1;
    }
    default:
        return 0;
    }
}

int cli_filter_any(const cli_filter *f)
{
    return f->domain || f->sender || f->nreasons || f->hard || f->since ||
           f->until;
}

int cli_filter_keep(const cli_filter *f, const smtpdx_record *r)
{
    if (f->domain && !domain_match(r->destination, f->domain))
        return 0;
    if (f->sender) {
        if (f->sender[0] == '@') {
            if (!domain_match(r->senderdomain, f->sender + 1))
                return 0;
        } else if (strcasecmp(r->addresser, f->sender) != 0) {
            return 0;
        }
    }
    if (f->nreasons) {
        size_t i;
        for (i = 0; i < f->nreasons; i++)
            if (r->reason == f->reasons[i])
                break;
        if (i == f->nreasons)
            return 0;
    }
    if (f->hard && (f->hard > 0) != (r->hardbounce != 0))
        return 0;
    /* a record without a date cannot be said to be in the window */
    if ((f->since || f->until) && r->timestamp == 0)
        return 0;
    if (f->since && r->timestamp < f->since)
        return 0;
    if (f->until && r->timestamp >= f->until)
        return 0;
    /* the others than hard bounces are failures still: a delivery, an
     * auto-reply or a complaint is worth no other try */
    if (f->hard < 0 && (r->reason == SMTPDX_R_DELIVERED ||
                        r->reason == SMTPDX_R_VACATION ||
                        r->reason == SMTPDX_R_FEEDBACK))
        return 0;
    return 1;
}
