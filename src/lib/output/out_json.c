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
 * The JSON and NDJSON writers keep, per knowledge-base entry, the members
 * a record copies from it already rendered (fixed_cache below).
 */
#include <stdint.h>
#include <string.h>

#include "kb/kb_tables.h"
#include "output/json.h"
#include "output/out_json.h"
#include "output/writer_int.h"
#include "util/alloc.h"

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

/* An entry's fixed members: the same for every record it explains. */
static void put_fixed(sx_json *j, const smtpdx_kb_entry *k)
{
    sx_json_kstr(j, "summary", k && k->summary ? k->summary : "");
    put_strings(j, "steps", k ? k->steps : NULL, k ? k->nsteps : 0);
    put_strings(j, "references", k ? k->refs : NULL, k ? k->nrefs : 0);
}

/* The JSON writers' state: for each knowledge-base entry, the members a
 * record takes from it as JSON text (who and retry as the entry gives
 * them, then summary, steps and references: half of a record's bytes),
 * rendered on the entry's first use and copied from then on. Keyed on the
 * entry, so it never holds more than the knowledge base has entries,
 * whatever the input. Without it (no writer, out of memory) the members
 * are written one by one, to the same bytes. */
typedef struct fixed_text {
    sx_sbuf text;     /* len 0: not made */
    size_t fixed_at;  /* where "summary" starts in text */
} fixed_text;

typedef struct fixed_cache {
    fixed_text *e;  /* one per entry of sx_kb_entries */
} fixed_cache;

static const fixed_text *fixed_of(fixed_cache *fc, const smtpdx_kb_entry *k)
{
    uintptr_t a = (uintptr_t)k, lo = (uintptr_t)sx_kb_entries;
    if (fc == NULL || k == NULL || a < lo ||
        a - lo >= sx_kb_nentries * sizeof *k || (a - lo) % sizeof *k != 0)
        return NULL;
    if (fc->e == NULL) {
        fc->e = sx_calloc(sx_kb_nentries, sizeof *fc->e);
        if (fc->e == NULL)
            return NULL;
        for (size_t i = 0; i < sx_kb_nentries; i++)
            sx_sbuf_init(&fc->e[i].text, SX_OUT_ITEM_MAX);
    }
    fixed_text *f = &fc->e[(a - lo) / sizeof *k];
    if (f->text.len == 0) {
        /* as written inside a record, after its first members */
        smtpdx_explanation ke;
        sx_json tj;
        memset(&ke, 0, sizeof ke);
        ke.entry = k;
        ke.who = k->who;
        ke.retry = k->retry;
        sx_json_init(&tj, &f->text);
        tj.depth = 1;
        tj.count[0] = 1;
        sx_json_kstr(&tj, "who", smtpdx_who_name(ke.who));
        put_retry(&tj, &ke);
        f->fixed_at = f->text.len;
        put_fixed(&tj, k);
        if (tj.err != SX_SBUF_OK || f->fixed_at == f->text.len) {
            sx_sbuf_release(&f->text);
            return NULL;
        }
    }
    return f;
}

static void fixed_cache_free(fixed_cache *fc)
{
    if (fc == NULL)
        return;
    for (size_t i = 0; fc->e != NULL && i < sx_kb_nentries; i++)
        sx_sbuf_release(&fc->e[i].text);
    sx_free(fc->e);
    sx_free(fc);
}

/* A record's diagnosis part as one run (json.h), in the common case
 * put_diagnosis takes: the entry's who and retry, their members and the
 * entry's fixed ones already rendered in f. Returns 0, having written
 * nothing, when the run cannot be taken. */
/* A literal key (with its ',' and ':') written at o as constant moves,
 * in the one-run writers below. */
#define KEY(lit) (memcpy(o, lit, sizeof lit - 1), o += sizeof lit - 1)

static int diagnosis_run(sx_json *j, const smtpdx_explanation *e,
                         const char *mtext, size_t mlen, const fixed_text *f)
{
    const smtpdx_kb_entry *k = e->entry;
    int matched = e->matched_by != SMTPDX_MATCH_NONE;
    /* cause, rule, kind, text, conflict_note, confidence, provider;
     * NULL: null (text: "") */
    const char *v[] = {
        e->cause ? e->cause : "",
        matched ? (k->id ? k->id : "") : "",
        matched ? smtpdx_match_kind_name(e->matched_by) : "",
        mtext ? mtext : "",
        e->conflict_note,
        smtpdx_confidence_name(e->confidence),
        e->provider,
    };
    enum { NV = sizeof v / sizeof v[0] };
    size_t n[NV];
    /* per string: ',', a key (13 bytes at most) in quotes, ':', the
     * value's quotes or null; "temporary", "matched" with its braces and
     * "conflict" with their values */
    size_t need = NV * (1 + 15 + 1 + 4) + 3 * (1 + 15 + 1 + 6) + f->text.len +
                  SX_JSON_SLACK;
    for (size_t i = 0; i < NV; i++) {
        n[i] = v[i] == NULL ? 0 : i == 3 ? (mtext ? mlen : 0) : strlen(v[i]);
        if (n[i] > SX_JSON_QUOTE_BLOCK)
            return 0;
        need += n[i] * 6;
    }
    int cm;
    char *o = sx_json_run_begin(j, need, &cm);
    if (o == NULL)
        return 0;
#define STR(lit, i)                                                          \
    (KEY(lit), v[i] != NULL ? (o = sx_json_put_str(o, v[i], n[i]))            \
                            : (memcpy(o, "null", 4), o += 4))
    *o = ',';
    o += cm;
    STR("\"cause\":", 0);
    if (e->temporary < 0)
        KEY(",\"temporary\":null");
    else if (e->temporary)
        KEY(",\"temporary\":true");
    else
        KEY(",\"temporary\":false");
    memcpy(o, f->text.data, f->text.len);
    o += f->text.len;
    if (!matched) {
        KEY(",\"matched\":null");
    } else {
        STR(",\"matched\":{\"rule\":", 1);
        STR(",\"kind\":", 2);
        STR(",\"text\":", 3);
        *o++ = '}';
    }
    if (e->conflict)
        KEY(",\"conflict\":true");
    else
        KEY(",\"conflict\":false");
    STR(",\"conflict_note\":", 4);
    STR(",\"confidence\":", 5);
    STR(",\"provider\":", 6);
#undef STR
    sx_json_run_end(j, o, 8);
    return 1;
}

/* The diagnosis part shared by explanations and records. */
static void put_diagnosis(sx_json *j, const smtpdx_explanation *e,
                          const char *mtext, size_t mlen, int with_reason,
                          fixed_cache *fc)
{
    const smtpdx_kb_entry *k = e->entry;
    const fixed_text *f = fixed_of(fc, k);
    if (!with_reason && f != NULL && e->who == k->who &&
        e->retry == k->retry && diagnosis_run(j, e, mtext, mlen, f))
        return;
    if (with_reason)
        sx_json_kstr(j, "reason", smtpdx_reason_name(e->reason));
    sx_json_kstr(j, "cause", e->cause ? e->cause : "");
    put_temporary(j, e->temporary);
    if (f != NULL && e->who == k->who && e->retry == k->retry) {
        sx_json_raw(j, f->text.data, f->text.len);
    } else {
        sx_json_kstr(j, "who", smtpdx_who_name(e->who));
        put_retry(j, e);
        if (f != NULL)
            sx_json_raw(j, f->text.data + f->fixed_at,
                        f->text.len - f->fixed_at);
        else
            put_fixed(j, k);
    }
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
    put_diagnosis(j, it->e, mtext, mlen, 1, NULL);
    const char *names[16];
    size_t nf = sx_out_flag_names(r ? r->flags : 0, names, 16);
    put_strings(j, "flags", names, nf);
    sx_json_obj_end(j);
}

/* sx_out_json_sisimai_fields as one run (json.h): the same bytes, with
 * one reservation for the lot. Returns 0, having written nothing, when
 * the run cannot be taken (a NULL or long string, no room): the fields
 * are then written one by one. */
static int sisimai_run(sx_json *j, const smtpdx_record *r, int softbounce,
                       const char *code, const char *reason, const char *tz)
{
    const char *v[] = {
        r->action,      r->addresser,    r->alias,          r->catch_,
        r->deliverystatus, r->destination, r->diagnosticcode,
        r->diagnostictype, r->feedbacktype, r->lhost,       r->listid,
        r->messageid,   r->origin,       reason,            r->recipient,
        code,           r->rhost,        r->senderdomain,   r->smtpagent,
        r->smtpcommand, r->subject,      tz,                r->token,
    };
    enum { NV = sizeof v / sizeof v[0], NMEMBERS = NV + 3 };
    size_t n[NV];
    /* per member: ',', the key (14 bytes at most) in quotes, ':', and a
     * string's quotes or an integer's 20 characters */
    size_t need = NMEMBERS * (1 + 16 + 1 + 20) + SX_JSON_SLACK;
    for (size_t i = 0; i < NV; i++) {
        if (v[i] == NULL)
            return 0;
        n[i] = strlen(v[i]);
        if (n[i] > SX_JSON_QUOTE_BLOCK)
            return 0;
        need += n[i] * 6;
    }
    int cm;
    char *o = sx_json_run_begin(j, need, &cm);
    if (o == NULL)
        return 0;
    unsigned members = NMEMBERS - (softbounce ? 0 : 1);
#define STR(lit, i) (KEY(lit), o = sx_json_put_str(o, v[i], n[i]))
    *o = ',';
    o += cm;
    STR("\"action\":", 0);
    STR(",\"addresser\":", 1);
    STR(",\"alias\":", 2);
    if (n[3] > 0)
        STR(",\"catch\":", 3);
    else
        KEY(",\"catch\":null"); /* what a Sisimai hook returned: none here */
    STR(",\"deliverystatus\":", 4);
    STR(",\"destination\":", 5);
    STR(",\"diagnosticcode\":", 6);
    STR(",\"diagnostictype\":", 7);
    STR(",\"feedbacktype\":", 8);
    KEY(",\"hardbounce\":");
    o = sx_json_put_int(o, r->hardbounce ? 1 : 0);
    STR(",\"lhost\":", 9);
    STR(",\"listid\":", 10);
    STR(",\"messageid\":", 11);
    STR(",\"origin\":", 12);
    STR(",\"reason\":", 13);
    STR(",\"recipient\":", 14);
    STR(",\"replycode\":", 15);
    STR(",\"rhost\":", 16);
    STR(",\"senderdomain\":", 17);
    STR(",\"smtpagent\":", 18);
    STR(",\"smtpcommand\":", 19);
    if (softbounce) {
        KEY(",\"softbounce\":");
        o = sx_json_put_int(o, sx_out_softbounce(r));
    }
    STR(",\"subject\":", 20);
    KEY(",\"timestamp\":");
    o = sx_json_put_int(o, (long long)r->timestamp);
    STR(",\"timezoneoffset\":", 21);
    STR(",\"token\":", 22);
#undef STR
    sx_json_run_end(j, o, members);
    return 1;
}

void sx_out_json_sisimai_fields(sx_json *j, const smtpdx_record *r,
                                int softbounce)
{
    char code[16];
    size_t k = sizeof(code);
    code[--k] = '\0';
    /* "%d" of a positive code, "" of none */
    for (unsigned v = r->replycode > 0 ? (unsigned)r->replycode : 0; v > 0;
         v /= 10)
        code[--k] = (char)('0' + v % 10);
    const char *reason = smtpdx_reason_name(r->reason);
    const char *tz = r->timezoneoffset[0] ? r->timezoneoffset : "+0000";
    if (sisimai_run(j, r, softbounce, code + k, reason, tz))
        return;
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
    sx_json_kstr(j, "reason", reason);
    sx_json_kstr(j, "recipient", r->recipient);
    sx_json_kstr(j, "replycode", code + k);
    sx_json_kstr(j, "rhost", r->rhost);
    sx_json_kstr(j, "senderdomain", r->senderdomain);
    sx_json_kstr(j, "smtpagent", r->smtpagent);
    sx_json_kstr(j, "smtpcommand", r->smtpcommand);
    if (softbounce)
        sx_json_kint(j, "softbounce", sx_out_softbounce(r));
    sx_json_kstr(j, "subject", r->subject);
    sx_json_kint(j, "timestamp", (long long)r->timestamp);
    sx_json_kstr(j, "timezoneoffset", tz);
    sx_json_kstr(j, "token", r->token);
}

void sx_out_json_line_end(sx_json *j)
{
    if (j->err == SX_SBUF_OK)
        j->err = sx_sbuf_putc(j->out, '\n');
}

/* fc: the writer's cache of fixed members, or NULL */
static void json_record(sx_json *j, const smtpdx_record *r, fixed_cache *fc)
{
    const smtpdx_explanation *e = &r->why;
    const char *mtext;
    size_t mlen;
    char buf[32];

    sx_out_record_matched(r, buf, sizeof(buf), &mtext, &mlen);
    sx_json_obj_begin(j);
    sx_out_json_sisimai_fields(j, r, 0);
    put_diagnosis(j, e, mtext, mlen, 0, fc);
    if (r->retry_until != 0)
        sx_json_kint(j, "retry_until", (long long)r->retry_until);
    if (r->queueid[0] != '\0')
        sx_json_kstr(j, "queueid", r->queueid);
    if (r->relay[0] != '\0')
        sx_json_kstr(j, "relay", r->relay);
    if (r->dsn_status[0] != '\0')
        sx_json_kstr(j, "dsn", r->dsn_status);
    if (r->delay[0] != '\0')
        sx_json_kstr(j, "delay", r->delay);
    if (r->truncated) {
        /* only when a limit was met, so that common records stay short */
        const char *names[8];
        size_t n = sx_out_cut_names(r->truncated, names, 8);
        put_strings(j, "truncated", names, n);
    }
    sx_json_obj_end(j);
}

void sx_out_json_record(sx_json *j, const smtpdx_record *r)
{
    json_record(j, r, NULL);
}

/* The writer's cache, made on its first record; NULL when it cannot be. */
static fixed_cache *cache_of(smtpdx_writer *w)
{
    if (w->state == NULL)
        w->state = sx_calloc(1, sizeof(fixed_cache));
    return w->state;
}

static void json_release(smtpdx_writer *w)
{
    fixed_cache_free(w->state);
    w->state = NULL;
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
    json_record(&j, r, cache_of(w));
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
    NULL, arr_record, arr_expl, arr_finish, json_release, NULL,
};

/* ---- NDJSON: one object per line, nothing before or after */

static smtpdx_status nd_record(smtpdx_writer *w, const smtpdx_record *r)
{
    sx_json j;
    sx_json_init(&j, &w->item);
    json_record(&j, r, cache_of(w));
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
    NULL, nd_record, nd_expl, nd_finish, json_release, NULL,
};
