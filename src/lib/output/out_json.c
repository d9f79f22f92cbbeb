/*
 * out_json.c - the JSON array and NDJSON writers, and the two objects they
 * print: an explanation and a record.
 *
 * Field names and value conventions:
 *  - Sisimai's fields in a record keep Sisimai's conventions (reason in
 *    lower case, replycode a string, "" for unknown strings, timestamp an
 *    integer, hardbounce 0/1, catch null) so that a consumer of Sisimai's
 *    JSON reads them unchanged.
 *  - Our own fields use JSON types: temporary true/false/null, steps and
 *    references arrays, retry and matched objects.
 */
#include <string.h>

#include "output/json.h"
#include "output/out_json.h"
#include "output/writer_int.h"

static void put_retry(sx_json *j, const smtpdx_explanation *e)
{
    const smtpdx_kb_entry *k = e->entry;
    sx_json_key(j, "retry");
    sx_json_obj_begin(j);
    sx_json_kstr(j, "advice", smtpdx_retry_name(e->retry));
    sx_json_kint(j, "after_seconds", k ? (long long)k->retry_after_s : 0);
    sx_json_kint(j, "give_up_after_seconds",
                 k ? (long long)k->give_up_after_s : 0);
    sx_json_obj_end(j);
}

static void put_strings(sx_json *j, const char *key, const char *const *v,
                        size_t n)
{
    sx_json_key(j, key);
    sx_json_arr_begin(j);
    for (size_t i = 0; v != NULL && i < n; i++)
        sx_json_strz(j, v[i] ? v[i] : "");
    sx_json_arr_end(j);
}

static void put_temporary(sx_json *j, int temporary)
{
    sx_json_key(j, "temporary");
    if (temporary < 0)
        sx_json_null(j);
    else
        sx_json_bool(j, temporary);
}

/* The diagnosis part shared by explanations and records. */
static void put_diagnosis(sx_json *j, const smtpdx_explanation *e,
                          const char *mtext, size_t mlen, int with_reason)
{
    const smtpdx_kb_entry *k = e->entry;
    if (with_reason)
        sx_json_kstr(j, "reason", smtpdx_reason_name(e->reason));
    sx_json_kstr(j, "cause", e->cause ? e->cause : "");
    put_temporary(j, e->temporary);
    sx_json_kstr(j, "who", smtpdx_who_name(e->who));
    put_retry(j, e);
    sx_json_kstr(j, "summary", k && k->summary ? k->summary : "");
    put_strings(j, "steps", k ? k->steps : NULL, k ? k->nsteps : 0);
    put_strings(j, "references", k ? k->refs : NULL, k ? k->nrefs : 0);
    sx_json_key(j, "matched");
    if (k == NULL || e->matched_by == SMTPDX_MATCH_NONE) {
        sx_json_null(j);
    } else {
        sx_json_obj_begin(j);
        sx_json_kstr(j, "rule", k->id ? k->id : "");
        sx_json_kstr(j, "kind", smtpdx_match_kind_name(e->matched_by));
        sx_json_key(j, "text");
        sx_json_str(j, mtext, mlen);
        sx_json_obj_end(j);
    }
    sx_json_kbool(j, "conflict", e->conflict);
    sx_json_kstr(j, "conflict_note", e->conflict_note);
    sx_json_kstr(j, "confidence", smtpdx_confidence_name(e->confidence));
    sx_json_kstr(j, "provider", e->provider);
}

void sx_out_json_explanation(sx_json *j, const sx_expl_item *it)
{
    const smtpdx_reply *r = it->reply;
    char buf[32];
    const char *mtext;
    size_t mlen;

    sx_out_matched(r, it->e, buf, sizeof(buf), &mtext, &mlen);
    sx_json_obj_begin(j);
    sx_json_key(j, "input");
    sx_json_str(j, it->input, it->input_len);
    sx_json_key(j, "code");
    if (r != NULL && r->code > 0)
        sx_json_int(j, r->code);
    else
        sx_json_null(j);
    sx_json_kstr(j, "enhanced", r ? r->enhanced : "");
    sx_json_kstr(j, "command", r ? r->command : "");
    sx_json_kstr(j, "host", r ? r->host : "");
    sx_json_kstr(j, "address", r ? r->addr : "");
    sx_json_key(j, "text");
    sx_json_str(j, r && r->text ? r->text : "", r && r->text ? r->text_len : 0);
    put_diagnosis(j, it->e, mtext, mlen, 1);
    const char *names[16];
    size_t nf = sx_out_flag_names(r ? r->flags : 0, names, 16);
    put_strings(j, "flags", names, nf);
    sx_json_obj_end(j);
}

void sx_out_json_sisimai_fields(sx_json *j, const smtpdx_record *r,
                                int softbounce)
{
    char code[16] = "";
    if (r->replycode > 0)
        snprintf(code, sizeof(code), "%d", r->replycode);
    sx_json_kstr(j, "action", r->action);
    sx_json_kstr(j, "addresser", r->addresser);
    sx_json_kstr(j, "alias", r->alias);
    sx_json_key(j, "catch"); /* what a Sisimai hook returned: none here */
    if (r->catch_[0] != '\0')
        sx_json_strz(j, r->catch_);
    else
        sx_json_null(j);
    sx_json_kstr(j, "deliverystatus", r->deliverystatus);
    sx_json_kstr(j, "destination", r->destination);
    sx_json_kstr(j, "diagnosticcode", r->diagnosticcode);
    sx_json_kstr(j, "diagnostictype", r->diagnostictype);
    sx_json_kstr(j, "feedbacktype", r->feedbacktype);
    sx_json_kint(j, "hardbounce", r->hardbounce ? 1 : 0);
    sx_json_kstr(j, "lhost", r->lhost);
    sx_json_kstr(j, "listid", r->listid);
    sx_json_kstr(j, "messageid", r->messageid);
    sx_json_kstr(j, "origin", r->origin);
    sx_json_kstr(j, "reason", smtpdx_reason_name(r->reason));
    sx_json_kstr(j, "recipient", r->recipient);
    sx_json_kstr(j, "replycode", code);
    sx_json_kstr(j, "rhost", r->rhost);
    sx_json_kstr(j, "senderdomain", r->senderdomain);
    sx_json_kstr(j, "smtpagent", r->smtpagent);
    sx_json_kstr(j, "smtpcommand", r->smtpcommand);
    if (softbounce)
        sx_json_kint(j, "softbounce", sx_out_softbounce(r));
    sx_json_kstr(j, "subject", r->subject);
    sx_json_kint(j, "timestamp", (long long)r->timestamp);
    sx_json_kstr(j, "timezoneoffset",
                 r->timezoneoffset[0] ? r->timezoneoffset : "+0000");
    sx_json_kstr(j, "token", r->token);
}

void sx_out_json_line_end(sx_json *j)
{
    if (j->err == SX_SBUF_OK)
        j->err = sx_sbuf_putc(j->out, '\n');
}

void sx_out_json_record(sx_json *j, const smtpdx_record *r)
{
    const smtpdx_explanation *e = &r->why;
    const char *mtext;
    size_t mlen;
    char buf[32];

    sx_out_record_matched(r, buf, sizeof(buf), &mtext, &mlen);
    sx_json_obj_begin(j);
    sx_out_json_sisimai_fields(j, r, 0);
    put_diagnosis(j, e, mtext, mlen, 0);
    if (r->queueid[0] != '\0')
        sx_json_kstr(j, "queueid", r->queueid);
    if (r->relay[0] != '\0')
        sx_json_kstr(j, "relay", r->relay);
    if (r->dsn_status[0] != '\0')
        sx_json_kstr(j, "dsn", r->dsn_status);
    if (r->delay[0] != '\0')
        sx_json_kstr(j, "delay", r->delay);
    sx_json_obj_end(j);
}

/* ---- the JSON array backend: "[" before the first item, "]" at finish */

/* Build "[\n" or ",\n" and the item in w->item, then write it at once. */
static void arr_item_begin(smtpdx_writer *w, sx_json *j)
{
    sx_json_init(j, &w->item);
    j->err = sx_sbuf_puts(&w->item, w->items == 0 ? "[\n" : ",\n");
}

static smtpdx_status arr_record(smtpdx_writer *w, const smtpdx_record *r)
{
    sx_json j;
    arr_item_begin(w, &j);
    sx_out_json_record(&j, r);
    return sx_out_item_write(w, j.err);
}

static smtpdx_status arr_expl(smtpdx_writer *w, const sx_expl_item *it)
{
    sx_json j;
    arr_item_begin(w, &j);
    sx_out_json_explanation(&j, it);
    return sx_out_item_write(w, j.err);
}

static smtpdx_status arr_finish(smtpdx_writer *w)
{
    fputs(w->items == 0 ? "[]\n" : "\n]\n", w->out);
    return SMTPDX_OK;
}

const sx_writer_ops sx_out_json_ops = {
    NULL, arr_record, arr_expl, arr_finish, NULL,
};

/* ---- NDJSON: one object per line, nothing before or after */

static smtpdx_status nd_record(smtpdx_writer *w, const smtpdx_record *r)
{
    sx_json j;
    sx_json_init(&j, &w->item);
    sx_out_json_record(&j, r);
    sx_out_json_line_end(&j);
    return sx_out_item_write(w, j.err);
}

static smtpdx_status nd_expl(smtpdx_writer *w, const sx_expl_item *it)
{
    sx_json j;
    sx_json_init(&j, &w->item);
    sx_out_json_explanation(&j, it);
    sx_out_json_line_end(&j);
    return sx_out_item_write(w, j.err);
}

static smtpdx_status nd_finish(smtpdx_writer *w)
{
    (void)w;
    return SMTPDX_OK;
}

const sx_writer_ops sx_out_ndjson_ops = {
    NULL, nd_record, nd_expl, nd_finish, NULL,
};
