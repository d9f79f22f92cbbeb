/*
 * out_csv.c - CSV for spreadsheets (RFC 4180).
 *
 * A header row before the first item (the records' one alone when there
 * is none), records or explanations one per row, CRLF line ends (RFC 4180 section 2, rule 1). A field is quoted
 * when it holds a comma, a quote, CR or LF, and quotes inside are doubled
 * (rules 6 and 7). Invalid UTF-8 becomes U+FFFD and control characters
 * other than LF and TAB become spaces. A field that starts with = + - @,
 * TAB or CR is prefixed with an apostrophe so that a spreadsheet shows it
 * as text instead of running it as a formula ("-2+3+cmd|..." is one too).
 */
#include <string.h>

#include "output/utf8.h"
#include "output/writer_int.h"

static void field(FILE *f, int first, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    int quote = 0;

    if (s == NULL)
        n = 0;
    if (!first)
        fputc(',', f);
    for (size_t i = 0; i < n; i++)
        if (p[i] == ',' || p[i] == '"' || p[i] == '\n' || p[i] == '\r')
            quote = 1;
    if (quote)
        fputc('"', f);
    if (n > 0 && (p[0] == '=' || p[0] == '+' || p[0] == '-' || p[0] == '@' ||
                  p[0] == '\t' || p[0] == '\r'))
        fputc('\'', f);
    /* Bytes printed as they are go out in runs, one fwrite each: a call
     * per code point made CSV the slowest format by far. */
    size_t run = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp = p[i];
        size_t len = 1;
        if (cp >= 0x20 && cp < 0x7f && cp != '"') {
            i++;
            continue;
        }
        if (cp >= 0x80)
            len = sx_utf8_decode(p + i, n - i, &cp);
        if (len != 0 && cp != '"' &&
            (cp == '\n' || cp == '\t' || !sx_utf8_is_unsafe(cp))) {
            i += len;
            continue;
        }
        if (i > run)
            fwrite(p + run, 1, i - run, f);
        if (len == 0)
            fputs("\xef\xbf\xbd", f);
        else if (cp == '"')
            fputs("\"\"", f);
        else
            fputc(' ', f);
        i += len ? len : 1;
        run = i;
    }
    if (n > run)
        fwrite(p + run, 1, n - run, f);
    if (quote)
        fputc('"', f);
}

static void fieldz(FILE *f, const char *s)
{
    field(f, 0, s, s ? strlen(s) : 0);
}

static void header(FILE *f, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        field(f, i == 0, names[i], strlen(names[i]));
    fputs("\r\n", f);
}

static const char *const rec_cols[] = {
    "date", "recipient", "addresser", "reason", "cause", "temporary", "who",
    "retry", "retry_until", "deliverystatus", "replycode", "smtpcommand",
    "rhost", "diagnosticcode", "queueid", "relay", "delay", "origin", "rule",
    "summary",
};

static const char *const expl_cols[] = {
    "input", "code", "enhanced", "command", "host", "reason", "cause",
    "temporary", "who", "retry", "confidence", "rule", "conflict", "summary",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static smtpdx_status csv_record(smtpdx_writer *w, const smtpdx_record *r)
{
    FILE *f = w->out;
    const smtpdx_explanation *e = &r->why;
    char date[40] = "", until[40] = "", code[16] = "";

    if (w->last_kind != SX_ITEM_RECORD) /* a header per kind of row */
        header(f, rec_cols, COUNT(rec_cols));
    if (r->timestamp != 0)
        sx_out_time(r->timestamp, r->timezoneoffset, date, sizeof(date));
    /* the report's own give-up time, in the record's time zone like date */
    if (r->retry_until != 0)
        sx_out_time(r->retry_until, r->timezoneoffset, until, sizeof(until));
    if (r->replycode > 0)
        snprintf(code, sizeof(code), "%d", r->replycode);
    field(f, 1, date, strlen(date));
    fieldz(f, r->recipient);
    fieldz(f, r->addresser);
    fieldz(f, smtpdx_reason_name(r->reason));
    fieldz(f, e->cause);
    fieldz(f, sx_out_temp_word(e->temporary));
    fieldz(f, smtpdx_who_name(e->who));
    fieldz(f, smtpdx_retry_name(e->retry));
    fieldz(f, until);
    fieldz(f, r->deliverystatus);
    fieldz(f, code);
    fieldz(f, r->smtpcommand);
    fieldz(f, r->rhost);
    fieldz(f, r->diagnosticcode);
    fieldz(f, r->queueid);
    fieldz(f, r->relay);
    fieldz(f, r->delay);
    fieldz(f, r->origin);
    fieldz(f, e->entry ? e->entry->id : "");
    fieldz(f, e->entry ? e->entry->summary : "");
    fputs("\r\n", f);
    return SMTPDX_OK;
}

static smtpdx_status csv_expl(smtpdx_writer *w, const sx_expl_item *it)
{
    FILE *f = w->out;
    const smtpdx_reply *r = it->reply;
    const smtpdx_explanation *e = it->e;
    char code[16] = "";

    if (w->last_kind != SX_ITEM_EXPLANATION)
        header(f, expl_cols, COUNT(expl_cols));
    if (r != NULL && r->code > 0)
        snprintf(code, sizeof(code), "%d", r->code);
    field(f, 1, it->input, it->input_len);
    fieldz(f, code);
    fieldz(f, r ? r->enhanced : "");
    fieldz(f, r ? r->command : "");
    fieldz(f, r ? r->host : "");
    fieldz(f, smtpdx_reason_name(e->reason));
    fieldz(f, e->cause);
    fieldz(f, sx_out_temp_word(e->temporary));
    fieldz(f, smtpdx_who_name(e->who));
    fieldz(f, smtpdx_retry_name(e->retry));
    fieldz(f, smtpdx_confidence_name(e->confidence));
    fieldz(f, e->entry ? e->entry->id : "");
    fieldz(f, e->conflict ? "yes" : "no");
    fieldz(f, e->entry ? e->entry->summary : "");
    fputs("\r\n", f);
    return SMTPDX_OK;
}

/* A run that found nothing still writes the header row of records, so
 * that the file a spreadsheet or a script opens has its columns. */
static smtpdx_status csv_finish(smtpdx_writer *w)
{
    if (w->last_kind == SX_ITEM_NONE)
        header(w->out, rec_cols, COUNT(rec_cols));
    return SMTPDX_OK;
}

const sx_writer_ops sx_out_csv_ops = {
    NULL, csv_record, csv_expl, csv_finish, NULL, NULL,
};
