/*
 * out_table_rec.c - records for people: a summary grouped by reason first,
 * then one block per record.
 *
 * The summary needs every record counted before it is printed, but
 * keeping the records would make memory grow with the input. So each
 * block is rendered at once into an anonymous temporary file and copied
 * out after the summary; only the counts stay in memory. When no
 * temporary file can be made, blocks go straight out and the summary
 * comes last. So it is too once the input has paused (a live pipe): the
 * summary so far and the blocks gathered go out then, and each block
 * after them as it comes, the summary of all at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "output/out_table.h"
#include "util/alloc.h"

#define MAX_CAUSES 3   /* causes listed per reason in the summary */

typedef struct rec_group {
    smtpdx_reason reason;
    char cause[48];
    unsigned long count;
} rec_group;

typedef struct rec_state {
    FILE *tmp;      /* blocks waiting for the summary; NULL: direct */
    int direct;
    unsigned long by_reason[SMTPDX_REASON_COUNT];
    /* every (reason, cause) pair met: their number is bounded by the
     * knowledge base's, not by the input, so all are kept */
    rec_group *groups;
    size_t ngroups, cap;
    sx_dest_tally *dest; /* failures by destination domain */
    unsigned long total, temporary, permanent, hard;
    unsigned long shown; /* summary only: the total last printed */
    int paused;          /* smtpdx_writer_flush() printed something */
} rec_state;

static rec_state *state_of(smtpdx_writer *w)
{
    sx_table_state *ts = w->state;
    if (ts->rec == NULL) {
        rec_state *rs = sx_calloc(1, sizeof(*rs));
        if (rs == NULL)
            return NULL;
        rs->dest = sx_dest_new(); /* NULL: the summary goes without it */
        rs->tmp = tmpfile();
        rs->direct = rs->tmp == NULL;
        ts->rec = rs;
    }
    return ts->rec;
}

static void count(rec_state *rs, const smtpdx_record *r)
{
    const char *cause = r->why.cause ? r->why.cause : "";
    unsigned ri = (unsigned)r->reason < SMTPDX_REASON_COUNT ? r->reason : 0;

    rs->total++;
    rs->by_reason[ri]++;
    int failure = sx_out_failure(r->reason); /* else counted by reason only */
    if (failure)
        sx_dest_add(rs->dest, r->destination, r->reason);
    if (failure && r->why.temporary == 1)
        rs->temporary++;
    else if (failure && r->why.temporary == 0)
        rs->permanent++;
    if (r->hardbounce)
        rs->hard++;
    for (size_t i = 0; i < rs->ngroups; i++) {
        if (rs->groups[i].reason == (smtpdx_reason)ri
            && strncmp(rs->groups[i].cause, cause, sizeof(rs->groups[i].cause) - 1) == 0) {
            rs->groups[i].count++;
            return;
        }
    }
    if (rs->ngroups == rs->cap) {
        size_t nc = rs->cap ? 2 * rs->cap : 64;
        rec_group *ng = sx_realloc(rs->groups, nc * sizeof(*ng));
        if (ng == NULL)
            return; /* the summary then lacks this cause, nothing more */
        rs->groups = ng;
        rs->cap = nc;
    }
    rec_group *g = &rs->groups[rs->ngroups++];
    g->reason = (smtpdx_reason)ri;
    snprintf(g->cause, sizeof(g->cause), "%s", cause);
    g->count = 1;
}

/* "Label   value" with the value neutralised and wrapped; skipped when
 * the value is empty. */
static void line(sx_term *t, const char *label, const char *v)
{
    if (v == NULL || v[0] == '\0')
        return;
    sx_table_label(t, label);
    sx_term_wrap(t, v, strlen(v), SX_TABLE_LABEL, SX_TABLE_LABEL);
}

/* Join "a, b, c" from the non-empty parts, each prefixed by its word. */
static void join(char *buf, size_t n, const char *const *words,
                 const char *const *vals, size_t count_)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count_ && used < n; i++) {
        if (vals[i] == NULL || vals[i][0] == '\0')
            continue;
        int k = snprintf(buf + used, n - used, "%s%s%s", used ? ", " : "",
                         words[i], vals[i]);
        if (k < 0)
            break;
        used += (size_t)k < n - used ? (size_t)k : n - used - 1;
    }
}

static void block(sx_term *t, const smtpdx_record *r)
{
    const smtpdx_explanation *e = &r->why;
    char buf[1024], date[40] = "", code[16] = "";

    sx_term_style(t, SX_SGR_BOLD);
    if (r->recipient[0] != '\0')
        sx_term_textz(t, r->recipient);
    else
        fputs("(no recipient named)", t->f);
    sx_term_reset(t);
    fputc('\n', t->f);
    sx_table_verdict(t, e);
    sx_table_summary(t, e);
    line(t, "Reply", r->diagnosticcode);

    if (r->replycode > 0)
        snprintf(code, sizeof(code), "%d", r->replycode);
    const char *sw[] = {"code ", "status ", "after ", "from ", "action "};
    const char *sv[] = {code, r->deliverystatus, r->smtpcommand, r->rhost,
                        r->action};
    join(buf, sizeof(buf), sw, sv, 5);
    line(t, "Status", buf);

    /* which system wrote the report: the first thing a help desk asks
     * the other side about; the name of a standard the report follows
     * (RFC3464 for a delivery status notification, RFC3834 for an
     * auto-reply) says nothing about who wrote it */
    const char *agent =
        strncmp(r->smtpagent, "RFC", 3) == 0 ? "" : r->smtpagent;
    if (r->lhost[0] != '\0' && agent[0] != '\0')
        snprintf(buf, sizeof(buf), "by %s (%s)", r->lhost, agent);
    else if (r->lhost[0] != '\0' || agent[0] != '\0')
        snprintf(buf, sizeof(buf), "by %s", r->lhost[0] ? r->lhost : agent);
    else
        buf[0] = '\0';
    line(t, "Reported", buf);

    if (r->timestamp != 0)
        sx_out_time(r->timestamp, r->timezoneoffset, date, sizeof(date));
    const char *mw[] = {"from ", "sent ", "subject ", "id "};
    const char *mv[] = {r->addresser, date, r->subject, r->messageid};
    join(buf, sizeof(buf), mw, mv, 4);
    line(t, "Message", buf);
    if (r->retry_until != 0) {
        char until[40];
        sx_out_time(r->retry_until, r->timezoneoffset, until, sizeof(until));
        snprintf(buf, sizeof(buf), "%s (the sending server's own limit, "
                 "from its report)", until);
        line(t, "Retry until", buf);
    }

    const char *qw[] = {"queue id ", "relay ", "dsn ", "delay "};
    const char *qv[] = {r->queueid, r->relay, r->dsn_status, r->delay};
    join(buf, sizeof(buf), qw, qv, 4);
    line(t, "Log", buf);
    line(t, "Feedback", r->feedbacktype);

    sx_table_diagnosis(t, e, strcmp(r->action, "failed") == 0);
    if (e->entry != NULL || e->conflict) {
        const char *mtext;
        size_t mlen;
        sx_out_record_matched(r, code, sizeof(code), &mtext, &mlen);
        sx_table_matched(t, e, mtext, mlen);
    }
    line(t, "Origin", r->origin);
    if (r->truncated) {
        const char *names[8];
        size_t n = sx_out_cut_names(r->truncated, names, 8);
        buf[0] = '\0';
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                strncat(buf, ", ", sizeof(buf) - strlen(buf) - 1);
            strncat(buf, names[i], sizeof(buf) - strlen(buf) - 1);
        }
        strncat(buf, " (cut at a limit; what lay beyond was not read)",
                sizeof(buf) - strlen(buf) - 1);
        line(t, "Truncated", buf);
    }
}

smtpdx_status sx_table_rec_add(smtpdx_writer *w, sx_term *t,
                               const smtpdx_record *r)
{
    rec_state *rs = state_of(w);
    if (rs == NULL)
        return SMTPDX_ERR_NOMEM;
    if (w->flags & SMTPDX_OUT_SUMMARY) {
        count(rs, r);
        return SMTPDX_OK;
    }
    FILE *out = t->f;
    if (!rs->direct)
        t->f = rs->tmp;
    if (rs->total > 0)
        fputc('\n', t->f);
    block(t, r);
    int bad = !rs->direct && ferror(rs->tmp);
    t->f = out;
    count(rs, r);
    return bad ? SMTPDX_ERR_IO : SMTPDX_OK;
}

static int by_count(const void *a, const void *b)
{
    const rec_group *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return (int)x->reason - (int)y->reason;
}

static void summary(sx_term *t, rec_state *rs)
{
    FILE *f = t->f;
    unsigned long order[SMTPDX_REASON_COUNT];
    size_t n = 0;

    sx_term_style(t, SX_SGR_BOLD);
    fprintf(f, "%lu record%s", rs->total, rs->total == 1 ? "" : "s");
    sx_term_reset(t);
    fprintf(f, ": %lu permanent, %lu temporary, %lu hard bounce%s\n\n",
            rs->permanent, rs->temporary, rs->hard, rs->hard == 1 ? "" : "s");
    qsort(rs->groups, rs->ngroups, sizeof(rs->groups[0]), by_count);
    for (unsigned i = 0; i < SMTPDX_REASON_COUNT; i++)
        if (rs->by_reason[i] > 0)
            order[n++] = i;
    /* reasons by falling count, stable on the enum order */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && rs->by_reason[order[j]] > rs->by_reason[order[j - 1]]; j--) {
            unsigned long tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    fprintf(f, "  %-18s %7s  %s\n", "REASON", "COUNT", "CAUSES");
    for (size_t i = 0; i < n; i++) {
        smtpdx_reason r = (smtpdx_reason)order[i];
        fprintf(f, "  %-18s %7lu", smtpdx_reason_name(r), rs->by_reason[r]);
        int shown = 0;
        unsigned long listed = 0;
        for (size_t g = 0; g < rs->ngroups; g++) {
            if (rs->groups[g].reason != r || rs->groups[g].cause[0] == '\0')
                continue;
            if (shown == MAX_CAUSES)
                break;
            fputs(shown ? ", " : "  ", f);
            sx_term_textz(t, rs->groups[g].cause);
            fprintf(f, " (%lu)", rs->groups[g].count);
            listed += rs->groups[g].count;
            shown++;
        }
        if (shown > 0 && listed < rs->by_reason[r])
            fputs(", ...", f);
        fputc('\n', f);
    }
    sx_dest_print(t, rs->dest);
}

/* The blocks waiting in the temporary file, after the summary. */
static smtpdx_status copy_blocks(sx_term *t, rec_state *rs)
{
    char buf[8192];
    size_t n;
    fputc('\n', t->f);
    if (fflush(rs->tmp) != 0 || fseek(rs->tmp, 0, SEEK_SET) != 0)
        return SMTPDX_ERR_IO;
    while ((n = fread(buf, 1, sizeof(buf), rs->tmp)) > 0)
        if (fwrite(buf, 1, n, t->f) != n)
            return SMTPDX_ERR_IO;
    return ferror(rs->tmp) ? SMTPDX_ERR_IO : SMTPDX_OK;
}

smtpdx_status sx_table_rec_finish(smtpdx_writer *w, sx_term *t)
{
    sx_table_state *ts = w->state;
    rec_state *rs = ts->rec;

    if (rs == NULL || rs->total == 0)
        return SMTPDX_OK;
    if (w->flags & SMTPDX_OUT_SUMMARY) {
        if (rs->paused)
            fputc('\n', t->f);
        summary(t, rs);
        return ferror(t->f) ? SMTPDX_ERR_IO : SMTPDX_OK;
    }
    if (rs->direct) {
        fputc('\n', t->f);
        summary(t, rs);
        return SMTPDX_OK;
    }
    summary(t, rs);
    return copy_blocks(t, rs);
}

smtpdx_status sx_table_rec_flush(smtpdx_writer *w, sx_term *t)
{
    rec_state *rs = state_of(w);
    if (rs == NULL)
        return SMTPDX_ERR_NOMEM;
    if (w->flags & SMTPDX_OUT_SUMMARY) {
        if (rs->total == rs->shown)
            return SMTPDX_OK;
        if (rs->paused)
            fputc('\n', t->f);
        summary(t, rs);
        rs->shown = rs->total;
        rs->paused = 1;
        return ferror(t->f) ? SMTPDX_ERR_IO : SMTPDX_OK;
    }
    if (rs->direct)
        return SMTPDX_OK; /* every block is out already */
    smtpdx_status st = SMTPDX_OK;
    if (rs->total > 0) {
        summary(t, rs);
        st = copy_blocks(t, rs);
    }
    fclose(rs->tmp);
    rs->tmp = NULL;
    rs->direct = 1;
    return st;
}

void sx_table_rec_release(smtpdx_writer *w)
{
    sx_table_state *ts = w->state;
    rec_state *rs = ts->rec;
    if (rs == NULL)
        return;
    if (rs->tmp != NULL)
        fclose(rs->tmp);
    sx_free(rs->groups);
    sx_dest_free(rs->dest);
    sx_free(rs);
    ts->rec = NULL;
}
