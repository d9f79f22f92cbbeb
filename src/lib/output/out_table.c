/*
 * out_table.c - the writer for people: one block per explanation (and,
 * through out_table_rec.c, a summary and one block per record).
 *
 * All text from the input passes through term.c and is neutralised; colour
 * appears only with SMTPDX_OUT_COLOR, which the caller sets for a terminal.
 */
#include <string.h>

#include "output/out_table.h"
#include "util/alloc.h"

void sx_table_label(sx_term *t, const char *label)
{
    fprintf(t->f, "  %-*s", SX_TABLE_LABEL - 2, label);
}

static const char *upper(const char *s, char *buf, size_t n)
{
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < n; i++)
        buf[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
    buf[i] = '\0';
    return buf;
}

void sx_table_verdict(sx_term *t, const smtpdx_explanation *e)
{
    char name[32];
    const char *sgr = SX_SGR_YELLOW;

    /* by what the record is before how lasting: a delivery is a success
     * and an auto-reply or a complaint no failure, whatever the flag */
    if (e->reason == SMTPDX_R_DELIVERED)
        sgr = SX_SGR_GREEN;
    else if (!sx_out_failure(e->reason) || e->temporary < 0)
        sgr = SX_SGR_BOLD;
    else if (e->temporary == 0)
        sgr = SX_SGR_RED;
    fputs("  ", t->f);
    sx_term_style(t, sgr);
    fputs(upper(smtpdx_reason_name(e->reason), name, sizeof(name)), t->f);
    sx_term_reset(t);
    if (e->cause != NULL && e->cause[0] != '\0') {
        fputs("  ", t->f);
        sx_term_textz(t, e->cause);
    }
    /* whatever the flag says, a delivery, an auto-reply or a complaint is
     * neither temporary nor permanent */
    if (e->reason == SMTPDX_R_DELIVERED)
        fputs("  success", t->f);
    else if (!sx_out_failure(e->reason))
        ;
    else if (e->temporary == 1)
        fputs("  temporary", t->f);
    else if (e->temporary == 0)
        fputs("  permanent", t->f);
    fputc('\n', t->f);
}

static const char *who_text(smtpdx_who w, int temporary)
{
    switch (w) {
    case SMTPDX_WHO_NOBODY:
        return temporary == 1 ? "nobody: the sending server retries on its own"
                              : "nobody";
    case SMTPDX_WHO_SENDER:
        return "the sender (the person or program that sent the message)";
    case SMTPDX_WHO_SENDER_ADMIN:
        return "the sender's mail administrator";
    case SMTPDX_WHO_RECIPIENT_ADMIN:
        return "the recipient's mail administrator";
    case SMTPDX_WHO_RECIPIENT:
        return "the recipient";
    case SMTPDX_WHO_COUNT:
        break;
    }
    return "unknown";
}

/* 900 -> "15 minutes", 14400 -> "4 hours", 432000 -> "5 days". */
static void duration(unsigned s, char *buf, size_t n)
{
    if (s % 86400 == 0 && s >= 86400)
        snprintf(buf, n, "%u day%s", s / 86400, s == 86400 ? "" : "s");
    else if (s % 3600 == 0 && s >= 3600)
        snprintf(buf, n, "%u hour%s", s / 3600, s == 3600 ? "" : "s");
    else if (s % 60 == 0 && s >= 60)
        snprintf(buf, n, "%u minute%s", s / 60, s == 60 ? "" : "s");
    else
        snprintf(buf, n, "%u second%s", s, s == 1 ? "" : "s");
}

static void retry_line(sx_term *t, const smtpdx_explanation *e,
                       int given_up)
{
    const smtpdx_kb_entry *k = e->entry;
    char a[32], g[32], line[200];

    switch (e->retry) {
    case SMTPDX_RETRY_NONE:
        snprintf(line, sizeof(line), "nothing to retry");
        break;
    case SMTPDX_RETRY_YES:
        /* a final report: the sending server will not try again itself */
        snprintf(line, sizeof(line), "%s",
                 given_up ? "yes, as it is, but the sending server has "
                            "given up: send the message again"
                          : "yes, as it is");
        if (k != NULL && k->retry_after_s > 0) {
            duration(k->retry_after_s, a, sizeof(a));
            size_t l = strlen(line);
            snprintf(line + l, sizeof(line) - l, "; first retry after %s", a);
        }
        if (k != NULL && k->give_up_after_s > 0) {
            duration(k->give_up_after_s, g, sizeof(g));
            size_t l = strlen(line);
            snprintf(line + l, sizeof(line) - l, "; give up after %s", g);
        }
        break;
    case SMTPDX_RETRY_NO:
        snprintf(line, sizeof(line),
                 "no: it will fail the same way until something changes");
        break;
    case SMTPDX_RETRY_AFTER_FIX:
        snprintf(line, sizeof(line), "after fixing the cause");
        break;
    }
    sx_table_label(t, "Retry");
    sx_term_wrap(t, line, strlen(line), SX_TABLE_LABEL, SX_TABLE_LABEL);
}

void sx_table_summary(sx_term *t, const smtpdx_explanation *e)
{
    const smtpdx_kb_entry *k = e->entry;

    if (k != NULL && k->summary != NULL && k->summary[0] != '\0') {
        fputs("  ", t->f);
        sx_term_wrap(t, k->summary, strlen(k->summary), 2, 2);
    }
}

void sx_table_diagnosis(sx_term *t, const smtpdx_explanation *e,
                        int given_up)
{
    const smtpdx_kb_entry *k = e->entry;

    if (k == NULL)
        return;
    sx_table_label(t, "Who acts");
    const char *w = who_text(e->who, e->temporary);
    sx_term_wrap(t, w, strlen(w), SX_TABLE_LABEL, SX_TABLE_LABEL);
    retry_line(t, e, given_up);
    for (size_t i = 0; k->steps != NULL && i < k->nsteps; i++) {
        char num[32];
        sx_table_label(t, i == 0 ? "What to do" : "");
        snprintf(num, sizeof(num), "%zu. ", i + 1);
        sx_term_style(t, SX_SGR_BOLD);
        fputs(num, t->f);
        sx_term_reset(t);
        int col = SX_TABLE_LABEL + (int)strlen(num);
        sx_term_wrap(t, k->steps[i], strlen(k->steps[i]), col, col);
    }
    for (size_t i = 0; k->refs != NULL && i < k->nrefs; i++) {
        sx_table_label(t, i == 0 ? "References" : "");
        sx_term_wrap(t, k->refs[i], strlen(k->refs[i]), SX_TABLE_LABEL,
                     SX_TABLE_LABEL + 2);
    }
}

void sx_table_matched(sx_term *t, const smtpdx_explanation *e,
                      const char *mtext, size_t mlen)
{
    if (e->entry != NULL && e->matched_by != SMTPDX_MATCH_NONE) {
        sx_table_label(t, "Matched");
        sx_term_textz(t, e->entry->id);
        if (mlen > 0) {
            fputs(" on '", t->f);
            sx_term_text(t, mtext, mlen);
            fputc('\'', t->f);
        }
        fprintf(t->f, " (%s)\n", smtpdx_match_kind_name(e->matched_by));
    }
    if (e->provider != NULL && e->provider[0] != '\0') {
        sx_table_label(t, "Provider");
        sx_term_textz(t, e->provider);
        fputc('\n', t->f);
    }
    if (e->conflict) {
        const char *note = e->conflict_note ? e->conflict_note
                                            : "the codes and the text disagree";
        sx_table_label(t, "Conflict");
        sx_term_style(t, SX_SGR_MAGENTA);
        sx_term_wrap(t, note, strlen(note), SX_TABLE_LABEL, SX_TABLE_LABEL);
        sx_term_reset(t);
    }
    sx_table_label(t, "Confidence");
    fprintf(t->f, "%s\n", smtpdx_confidence_name(e->confidence));
}

/* The input as given, one terminal line per input line, in bold. */
static void input_lines(sx_term *t, const char *s, size_t n)
{
    size_t i = 0;
    int lines = 0;
    if (n == 0) {
        sx_term_style(t, SX_SGR_BOLD);
        fputs("> (empty input)", t->f);
        sx_term_reset(t);
        fputc('\n', t->f);
        return;
    }
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) : n;
        sx_term_style(t, SX_SGR_BOLD);
        fputs(lines == 0 ? "> " : "  ", t->f);
        sx_term_text(t, s + i, end - i);
        sx_term_reset(t);
        fputc('\n', t->f);
        lines++;
        i = nl ? end + 1 : n;
        if (lines >= 50 && i < n) {
            fputs("  [...]\n", t->f); /* the JSON output keeps it all */
            break;
        }
    }
}

static void reply_parts(sx_term *t, const smtpdx_reply *r)
{
    char buf[64];
    int any = 0;

    if (r == NULL)
        return;
    sx_table_label(t, "Reply");
    if (r->code > 0) {
        snprintf(buf, sizeof(buf), "code %d", r->code);
        fputs(buf, t->f);
        any = 1;
    }
    if (r->enhanced[0] != '\0') {
        fputs(any ? ", enhanced " : "enhanced ", t->f);
        sx_term_textz(t, r->enhanced);
        any = 1;
    }
    if (r->command[0] != '\0') {
        fputs(any ? ", after " : "after ", t->f);
        sx_term_textz(t, r->command);
        any = 1;
    }
    if (r->host[0] != '\0' || r->addr[0] != '\0') {
        fputs(any ? ", from " : "from ", t->f);
        sx_term_textz(t, r->host[0] ? r->host : r->addr);
        if (r->host[0] != '\0' && r->addr[0] != '\0') {
            fputs(" [", t->f);
            sx_term_textz(t, r->addr);
            fputc(']', t->f);
        }
        any = 1;
    }
    if (!any)
        fputs("no reply code", t->f);
    fputc('\n', t->f);
}

static smtpdx_status tab_start(smtpdx_writer *w)
{
    sx_table_state *st = sx_calloc(1, sizeof(*st));
    if (st == NULL)
        return SMTPDX_ERR_NOMEM;
    sx_term_init(&st->term, w->out, (w->flags & SMTPDX_OUT_COLOR) != 0, 0);
    w->state = st;
    return SMTPDX_OK;
}

static smtpdx_status tab_expl(smtpdx_writer *w, const sx_expl_item *it)
{
    sx_table_state *st = w->state;
    sx_term *t = &st->term;
    const smtpdx_explanation *e = it->e;
    char buf[32];
    const char *mtext;
    size_t mlen;

    if (w->items > 0)
        fputc('\n', t->f);
    input_lines(t, it->input, it->input_len);
    sx_table_verdict(t, e);
    if (e->entry == NULL && e->matched_by == SMTPDX_MATCH_NONE) {
        fputs(it->reply == NULL
                  ? "  No SMTP reply code or text was found in this input.\n"
                  : "  Not recognised: no rule of the knowledge base matches "
                    "this reply.\n",
              t->f);
        reply_parts(t, it->reply);
        return SMTPDX_OK;
    }
    sx_table_summary(t, e);
    reply_parts(t, it->reply);
    sx_table_diagnosis(t, e, 0);
    sx_out_matched(it->reply, e, buf, sizeof(buf), &mtext, &mlen);
    sx_table_matched(t, e, mtext, mlen);
    return SMTPDX_OK;
}

static smtpdx_status tab_record(smtpdx_writer *w, const smtpdx_record *r)
{
    sx_table_state *st = w->state;
    return sx_table_rec_add(w, &st->term, r);
}

static smtpdx_status tab_finish(smtpdx_writer *w)
{
    sx_table_state *st = w->state;
    return sx_table_rec_finish(w, &st->term);
}

static void tab_release(smtpdx_writer *w)
{
    sx_table_state *st = w->state;
    if (st == NULL)
        return;
    sx_table_rec_release(w);
    sx_term_release(&st->term);
    sx_free(st);
    w->state = NULL;
}

static smtpdx_status tab_flush(smtpdx_writer *w)
{
    sx_table_state *st = w->state;
    return sx_table_rec_flush(w, &st->term);
}

const sx_writer_ops sx_out_table_ops = {
    tab_start, tab_record, tab_expl, tab_finish, tab_release, tab_flush,
};
